//! One method per task of the serverless "task" API (protocol §9.3).
//!
//! Every method resolves its URL like [`InferenceClient::resolve_url`] with the task name, sends
//! the payload shape of the current Python client, and parses the answer into the typed outputs
//! of [`crate::types`]. Use [`InferenceClient::with_model`] to call another model.

use base64::Engine as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::client::{InferenceClient, Payload, RawResponse};
use crate::error::{Error, Result};
use crate::input::BinaryInput;
use crate::types::*;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Serialises parameters; `None` when unset or empty (so `parameters` is omitted).
fn params_value(params: Option<impl Serialize>) -> Result<Option<Value>> {
    let Some(p) = params else { return Ok(None) };
    let v =
        serde_json::to_value(p).map_err(|e| Error::InvalidArgument(format!("parameters: {e}")))?;
    Ok(match &v {
        Value::Object(m) if m.is_empty() => None,
        Value::Null => None,
        _ => Some(v),
    })
}

/// `{"inputs": inputs, "parameters"?: params}`.
fn inputs_payload(inputs: Value, params: Option<impl Serialize>) -> Result<Payload> {
    let mut body = json!({ "inputs": inputs });
    if let Some(p) = params_value(params)? {
        body["parameters"] = p;
    }
    Ok(Payload::Json(body))
}

/// Binary tasks: raw bytes without parameters, JSON with a base64 input otherwise.
fn binary_payload(data: bytes::Bytes, params: Option<impl Serialize>) -> Result<Payload> {
    Ok(match params_value(params)? {
        None => Payload::Bytes(data),
        Some(p) => Payload::Json(json!({ "inputs": b64(&data), "parameters": p })),
    })
}

fn decode<T: DeserializeOwned>(value: Value, task: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|source| Error::Decode {
        what: task.into(),
        source,
    })
}

/// The first element of a list answer, or the answer itself.
fn first(value: Value) -> Value {
    match value {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => other,
    }
}

/// A list answer, or a single object wrapped in a list.
fn list(value: Value) -> Value {
    match value {
        Value::Array(_) => value,
        other => Value::Array(vec![other]),
    }
}

fn binary_output(raw: RawResponse) -> BinaryOutput {
    BinaryOutput {
        content_type: raw.content_type().map(str::to_owned),
        bytes: raw.body,
    }
}

impl InferenceClient {
    async fn call(&self, task: &str, payload: Payload) -> Result<RawResponse> {
        let url = self.resolve_url(None, Some(task)).await?;
        self.send_bytes(&url, &payload, Some(task), &[]).await
    }

    async fn call_json(&self, task: &str, payload: Payload) -> Result<Value> {
        self.call(task, payload).await?.json(task)
    }

    /// `audio-classification`: labels of an audio clip.
    pub async fn audio_classification(
        &self,
        audio: impl Into<BinaryInput>,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<AudioClassificationOutputElement>> {
        let data = audio.into().load(self).await?;
        decode(
            self.call_json("audio-classification", binary_payload(data, params)?)
                .await?,
            "audio-classification",
        )
    }

    /// `audio-to-audio`: audio sources separated or enhanced from a clip (blobs decoded).
    pub async fn audio_to_audio(
        &self,
        audio: impl Into<BinaryInput>,
    ) -> Result<Vec<AudioToAudioOutputElement>> {
        #[derive(serde::Deserialize)]
        struct Wire {
            label: String,
            blob: String,
            #[serde(rename = "content-type", alias = "content_type")]
            content_type: String,
        }
        let data = audio.into().load(self).await?;
        let items: Vec<Wire> = decode(
            self.call_json("audio-to-audio", Payload::Bytes(data))
                .await?,
            "audio-to-audio",
        )?;
        items
            .into_iter()
            .map(|w| {
                let blob = base64::engine::general_purpose::STANDARD
                    .decode(w.blob.as_bytes())
                    .map_err(|e| {
                        Error::Unsupported(format!("audio-to-audio blob is not base64: {e}"))
                    })?;
                Ok(AudioToAudioOutputElement {
                    label: w.label,
                    blob: blob.into(),
                    content_type: w.content_type,
                })
            })
            .collect()
    }

    /// `automatic-speech-recognition`: transcribes an audio clip. Without parameters the audio
    /// is sent raw; with parameters, base64 in a JSON body.
    pub async fn automatic_speech_recognition(
        &self,
        audio: impl Into<BinaryInput>,
        params: Option<AutomaticSpeechRecognitionParameters>,
    ) -> Result<AutomaticSpeechRecognitionOutput> {
        let data = audio.into().load(self).await?;
        let task = "automatic-speech-recognition";
        decode(
            self.call_json(task, binary_payload(data, params)?).await?,
            task,
        )
    }

    /// `text-to-speech`: audio bytes for a text.
    ///
    /// The generation parameters are sent directly in `parameters`, as Python's `text_to_speech`
    /// sends its keyword arguments (not under the `generate` key of the seed's
    /// [`TextToSpeechParameters`], which [`TextToAudioInput`] uses).
    pub async fn text_to_speech(
        &self,
        text: &str,
        params: Option<TextToSpeechGenerationParameters>,
    ) -> Result<BinaryOutput> {
        let payload = inputs_payload(json!(text), params)?;
        Ok(binary_output(self.call("text-to-speech", payload).await?))
    }

    /// `image-classification`: labels of an image.
    pub async fn image_classification(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<ImageClassificationOutputElement>> {
        let data = image.into().load(self).await?;
        decode(
            self.call_json("image-classification", binary_payload(data, params)?)
                .await?,
            "image-classification",
        )
    }

    /// `image-segmentation`: segments with base64 PNG masks.
    pub async fn image_segmentation(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageSegmentationParameters>,
    ) -> Result<Vec<ImageSegmentationOutputElement>> {
        let data = image.into().load(self).await?;
        decode(
            self.call_json("image-segmentation", binary_payload(data, params)?)
                .await?,
            "image-segmentation",
        )
    }

    /// `image-to-image`: a transformed image (sends `Accept: image/png` unless set).
    pub async fn image_to_image(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageToImageParameters>,
    ) -> Result<BinaryOutput> {
        let data = image.into().load(self).await?;
        Ok(binary_output(
            self.call("image-to-image", binary_payload(data, params)?)
                .await?,
        ))
    }

    /// `image-to-text`: a caption. Without parameters the image is sent raw; with parameters,
    /// base64 in a JSON body.
    pub async fn image_to_text(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageToTextParameters>,
    ) -> Result<ImageToTextOutput> {
        let data = image.into().load(self).await?;
        decode(
            first(
                self.call_json("image-to-text", binary_payload(data, params)?)
                    .await?,
            ),
            "image-to-text",
        )
    }

    /// `object-detection`: objects with bounding boxes.
    pub async fn object_detection(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ObjectDetectionParameters>,
    ) -> Result<Vec<ObjectDetectionOutputElement>> {
        let data = image.into().load(self).await?;
        decode(
            self.call_json("object-detection", binary_payload(data, params)?)
                .await?,
            "object-detection",
        )
    }

    /// `text-to-image`: image bytes for a prompt (sends `Accept: image/png` unless set).
    pub async fn text_to_image(
        &self,
        prompt: &str,
        params: Option<TextToImageParameters>,
    ) -> Result<BinaryOutput> {
        let payload = inputs_payload(json!(prompt), params)?;
        Ok(binary_output(self.call("text-to-image", payload).await?))
    }

    /// `zero-shot-image-classification`: scores of free-form labels for an image.
    pub async fn zero_shot_image_classification(
        &self,
        image: impl Into<BinaryInput>,
        candidate_labels: &[&str],
        params: Option<ZeroShotImageClassificationParameters>,
    ) -> Result<Vec<ZeroShotImageClassificationOutputElement>> {
        if candidate_labels.len() < 2 {
            return Err(Error::InvalidArgument(
                "give at least 2 candidate labels".into(),
            ));
        }
        let data = image.into().load(self).await?;
        // The serverless API's field name and comma-joined form, as Python sends them.
        let payload = inputs_payload(
            json!({"image": b64(&data), "candidateLabels": candidate_labels.join(",")}),
            params,
        )?;
        let task = "zero-shot-image-classification";
        decode(self.call_json(task, payload).await?, task)
    }

    /// `document-question-answering`: answers a question about a document image.
    pub async fn document_question_answering(
        &self,
        image: impl Into<BinaryInput>,
        question: &str,
        params: Option<DocumentQuestionAnsweringParameters>,
    ) -> Result<Vec<DocumentQuestionAnsweringOutputElement>> {
        let data = image.into().load(self).await?;
        let payload = inputs_payload(json!({"question": question, "image": b64(&data)}), params)?;
        let task = "document-question-answering";
        decode(list(self.call_json(task, payload).await?), task)
    }

    /// `visual-question-answering`: answers a question about an image.
    pub async fn visual_question_answering(
        &self,
        image: impl Into<BinaryInput>,
        question: &str,
        params: Option<VisualQuestionAnsweringParameters>,
    ) -> Result<Vec<VisualQuestionAnsweringOutputElement>> {
        let data = image.into().load(self).await?;
        // This task has no `inputs` wrapper (protocol §9.3).
        let mut body = json!({"question": question, "image": b64(&data)});
        if let Some(p) = params_value(params)? {
            body["parameters"] = p;
        }
        let task = "visual-question-answering";
        decode(list(self.call_json(task, Payload::Json(body)).await?), task)
    }

    /// `feature-extraction`: embeddings of a text (`{endpoint}/pipeline/feature-extraction/{id}`).
    pub async fn feature_extraction(
        &self,
        text: &str,
        params: Option<FeatureExtractionParameters>,
    ) -> Result<FeatureExtractionOutput> {
        let value = self
            .call_json("feature-extraction", inputs_payload(json!(text), params)?)
            .await?;
        FeatureExtractionOutput::from_json(&value).ok_or_else(|| {
            Error::Unsupported("feature-extraction answer is not a numeric tensor".into())
        })
    }

    /// `fill-mask`: candidates for the mask token.
    pub async fn fill_mask(
        &self,
        text: &str,
        params: Option<FillMaskParameters>,
    ) -> Result<Vec<FillMaskOutputElement>> {
        decode(
            list(
                self.call_json("fill-mask", inputs_payload(json!(text), params)?)
                    .await?,
            ),
            "fill-mask",
        )
    }

    /// `question-answering`: extracts answers to `question` from `context`.
    pub async fn question_answering(
        &self,
        question: &str,
        context: &str,
        params: Option<QuestionAnsweringParameters>,
    ) -> Result<Vec<QuestionAnsweringOutputElement>> {
        let payload = inputs_payload(json!({"question": question, "context": context}), params)?;
        decode(
            list(self.call_json("question-answering", payload).await?),
            "question-answering",
        )
    }

    /// `sentence-similarity`: similarity of `source` to each of `sentences`
    /// (`{endpoint}/pipeline/sentence-similarity/{id}`).
    pub async fn sentence_similarity(
        &self,
        source: &str,
        sentences: &[&str],
        params: Option<SentenceSimilarityParameters>,
    ) -> Result<Vec<f64>> {
        let payload = inputs_payload(
            json!({"source_sentence": source, "sentences": sentences}),
            params,
        )?;
        decode(
            self.call_json("sentence-similarity", payload).await?,
            "sentence-similarity",
        )
    }

    /// `summarization`: a summary of a text.
    pub async fn summarization(
        &self,
        text: &str,
        params: Option<SummarizationParameters>,
    ) -> Result<SummarizationOutput> {
        decode(
            first(
                self.call_json("summarization", inputs_payload(json!(text), params)?)
                    .await?,
            ),
            "summarization",
        )
    }

    /// `table-question-answering`: answers a question about a table (column → cells). The
    /// question is sent as `query`, the serverless API's name.
    pub async fn table_question_answering(
        &self,
        table: &Table,
        query: &str,
        params: Option<TableQuestionAnsweringParameters>,
    ) -> Result<TableQuestionAnsweringOutputElement> {
        let payload = inputs_payload(json!({"query": query, "table": table}), params)?;
        let task = "table-question-answering";
        decode(first(self.call_json(task, payload).await?), task)
    }

    /// `tabular-classification`: one label per row of `table`.
    pub async fn tabular_classification(&self, table: &Table) -> Result<Vec<String>> {
        let task = "tabular-classification";
        let values: Vec<Value> = decode(
            self.call_json(task, Payload::Json(json!({ "table": table })))
                .await?,
            task,
        )?;
        // Models return labels as strings or numbers; both are reported as text.
        Ok(values
            .into_iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect())
    }

    /// `tabular-regression`: one value per row of `table`.
    pub async fn tabular_regression(&self, table: &Table) -> Result<Vec<f64>> {
        let task = "tabular-regression";
        decode(
            self.call_json(task, Payload::Json(json!({ "table": table })))
                .await?,
            task,
        )
    }

    /// `text-classification`: labels of a text.
    pub async fn text_classification(
        &self,
        text: &str,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<TextClassificationOutputElement>> {
        let value = self
            .call_json("text-classification", inputs_payload(json!(text), params)?)
            .await?;
        // One list per input; a flat list comes from newer servers.
        let value = match value {
            Value::Array(items) if items.first().is_some_and(Value::is_array) => {
                first(Value::Array(items))
            }
            other => other,
        };
        decode(value, "text-classification")
    }

    /// `token-classification`: entities in a text.
    pub async fn token_classification(
        &self,
        text: &str,
        params: Option<TokenClassificationParameters>,
    ) -> Result<Vec<TokenClassificationOutputElement>> {
        let task = "token-classification";
        decode(
            self.call_json(task, inputs_payload(json!(text), params)?)
                .await?,
            task,
        )
    }

    /// `translation`: translates a text (`src_lang`/`tgt_lang` for multilingual models).
    pub async fn translation(
        &self,
        text: &str,
        params: Option<TranslationParameters>,
    ) -> Result<TranslationOutput> {
        decode(
            first(
                self.call_json("translation", inputs_payload(json!(text), params)?)
                    .await?,
            ),
            "translation",
        )
    }

    /// `zero-shot-classification`: scores of free-form labels for a text, best first.
    pub async fn zero_shot_classification(
        &self,
        text: &str,
        candidate_labels: &[&str],
        params: Option<ZeroShotClassificationParameters>,
    ) -> Result<Vec<ZeroShotClassificationOutputElement>> {
        #[derive(serde::Deserialize)]
        struct Wire {
            labels: Vec<String>,
            scores: Vec<f64>,
        }
        let mut params = params.unwrap_or_default();
        // The seed's default, which Python always sends.
        params.multi_label.get_or_insert(false);
        let mut parameters = params_value(Some(params))?.unwrap_or_else(|| json!({}));
        parameters["candidate_labels"] = json!(candidate_labels);
        let payload = Payload::Json(json!({"inputs": text, "parameters": parameters}));
        let task = "zero-shot-classification";
        let wire: Wire = decode(self.call_json(task, payload).await?, task)?;
        Ok(wire
            .labels
            .into_iter()
            .zip(wire.scores)
            .map(|(label, score)| ClassificationOutputElement { label, score })
            .collect())
    }

    /// Deprecated `conversational` task (use chat completion): one turn of a conversation.
    pub async fn conversational(
        &self,
        text: &str,
        generated_responses: Option<&[String]>,
        past_user_inputs: Option<&[String]>,
    ) -> Result<ConversationalOutput> {
        let mut inputs = json!({ "text": text });
        if let Some(r) = generated_responses {
            inputs["generated_responses"] = json!(r);
        }
        if let Some(p) = past_user_inputs {
            inputs["past_user_inputs"] = json!(p);
        }
        let payload = Payload::Json(json!({ "inputs": inputs }));
        decode(
            self.call_json("conversational", payload).await?,
            "conversational",
        )
    }
}
