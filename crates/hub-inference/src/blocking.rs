//! Blocking facade (cargo feature `blocking`).
//!
//! [`InferenceClient`] here wraps the async client and runs every call on a dedicated thread
//! that owns a current-thread tokio runtime, as `reqwest::blocking` does. The caller's thread
//! only waits on a channel, so using this client never panics, even from inside async code (it
//! does block that thread, which is the caller's choice). A runtime owned by the caller's thread
//! would panic on `block_on` or on drop inside an async context; that design is avoided.
//!
//! ```no_run
//! # fn run() -> hub_inference::Result<()> {
//! use hub_inference::blocking::InferenceClient;
//! use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage as Msg};
//! let client = InferenceClient::new(hub_inference::InferenceClient::new("HuggingFaceH4/zephyr-7b-beta")?)?;
//! for chunk in client.chat_completion_stream(&ChatCompletionInput::new([Msg::user("Hi")]))? {
//!     print!("{}", chunk?.content().unwrap_or(""));
//! }
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;

use crate::error::{Error, Result};
use crate::input::BinaryInput;
use crate::stream::JsonEventStream;
use crate::types::*;
use crate::{PostRequest, RawResponse};

use hub_core::runtime_thread::RuntimeThread;

fn stopped() -> Error {
    Error::Unsupported("the blocking runtime thread has stopped".into())
}

/// Blocking version of [`crate::InferenceClient`]; same methods, same errors.
#[derive(Clone)]
pub struct InferenceClient {
    client: crate::InferenceClient,
    rt: Arc<RuntimeThread>,
}

impl std::fmt::Debug for InferenceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("blocking::InferenceClient")
            .field(&self.client)
            .finish()
    }
}

/// Blocking iterator over a stream's items; dropping it closes the response.
pub struct StreamIter<T: 'static> {
    stream: Option<JsonEventStream<T>>,
    rt: Arc<RuntimeThread>,
}

impl<T: 'static> std::fmt::Debug for StreamIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamIter")
            .field("open", &self.stream.is_some())
            .finish()
    }
}

impl<T: serde::de::DeserializeOwned + Send + 'static> Iterator for StreamIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut stream = self.stream.take()?;
        match self.rt.run(async move {
            let item = stream.next().await;
            (stream, item)
        }) {
            Ok((stream, item)) => {
                if item.is_some() {
                    self.stream = Some(stream);
                }
                item
            }
            Err(_) => Some(Err(stopped())),
        }
    }
}

impl<T: 'static> Drop for StreamIter<T> {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            // Timers and the connection are dropped where they were created.
            let _ = self.rt.detach(async move { drop(stream) });
        }
    }
}

impl InferenceClient {
    /// Wraps an async client; starts the runtime thread.
    pub fn new(client: crate::InferenceClient) -> Result<Self> {
        Ok(Self {
            client,
            rt: Arc::new(
                RuntimeThread::start("hub-inference-blocking")
                    .map_err(|source| Error::Io { path: None, source })?,
            ),
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &crate::InferenceClient {
        &self.client
    }

    fn run<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(crate::InferenceClient) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        self.rt.run(f(self.client.clone())).map_err(|_| stopped())?
    }

    fn iter<T: 'static>(&self, stream: JsonEventStream<T>) -> StreamIter<T> {
        StreamIter {
            stream: Some(stream),
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::InferenceClient::post`].
    pub fn post(&self, req: PostRequest) -> Result<RawResponse> {
        self.run(move |c| async move { c.post(req).await })
    }

    /// See [`crate::InferenceClient::chat_completion`].
    pub fn chat_completion(&self, input: &ChatCompletionInput) -> Result<ChatCompletionOutput> {
        let input = input.clone();
        self.run(move |c| async move { c.chat_completion(&input).await })
    }

    /// See [`crate::InferenceClient::chat_completion_stream`].
    pub fn chat_completion_stream(
        &self,
        input: &ChatCompletionInput,
    ) -> Result<StreamIter<ChatCompletionStreamOutput>> {
        let input = input.clone();
        let stream = self.run(move |c| async move { c.chat_completion_stream(&input).await })?;
        Ok(self.iter(stream))
    }

    /// See [`crate::InferenceClient::text_generation`].
    pub fn text_generation(
        &self,
        prompt: &str,
        params: Option<TextGenerationInputGenerateParameters>,
    ) -> Result<TextGenerationOutput> {
        let prompt = prompt.to_owned();
        self.run(move |c| async move { c.text_generation(&prompt, params).await })
    }

    /// See [`crate::InferenceClient::text_generation_stream`].
    pub fn text_generation_stream(
        &self,
        prompt: &str,
        params: Option<TextGenerationInputGenerateParameters>,
    ) -> Result<StreamIter<TextGenerationStreamOutput>> {
        let prompt = prompt.to_owned();
        let stream =
            self.run(move |c| async move { c.text_generation_stream(&prompt, params).await })?;
        Ok(self.iter(stream))
    }

    /// See [`crate::InferenceClient::audio_classification`].
    pub fn audio_classification(
        &self,
        audio: impl Into<BinaryInput>,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<AudioClassificationOutputElement>> {
        let audio = audio.into();
        self.run(move |c| async move { c.audio_classification(audio, params).await })
    }

    /// See [`crate::InferenceClient::audio_to_audio`].
    pub fn audio_to_audio(
        &self,
        audio: impl Into<BinaryInput>,
    ) -> Result<Vec<AudioToAudioOutputElement>> {
        let audio = audio.into();
        self.run(move |c| async move { c.audio_to_audio(audio).await })
    }

    /// See [`crate::InferenceClient::automatic_speech_recognition`].
    pub fn automatic_speech_recognition(
        &self,
        audio: impl Into<BinaryInput>,
        params: Option<AutomaticSpeechRecognitionParameters>,
    ) -> Result<AutomaticSpeechRecognitionOutput> {
        let audio = audio.into();
        self.run(move |c| async move { c.automatic_speech_recognition(audio, params).await })
    }

    /// See [`crate::InferenceClient::text_to_speech`].
    pub fn text_to_speech(
        &self,
        text: &str,
        params: Option<TextToSpeechGenerationParameters>,
    ) -> Result<BinaryOutput> {
        let text = text.to_owned();
        self.run(move |c| async move { c.text_to_speech(&text, params).await })
    }

    /// See [`crate::InferenceClient::image_classification`].
    pub fn image_classification(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<ImageClassificationOutputElement>> {
        let image = image.into();
        self.run(move |c| async move { c.image_classification(image, params).await })
    }

    /// See [`crate::InferenceClient::image_segmentation`].
    pub fn image_segmentation(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageSegmentationParameters>,
    ) -> Result<Vec<ImageSegmentationOutputElement>> {
        let image = image.into();
        self.run(move |c| async move { c.image_segmentation(image, params).await })
    }

    /// See [`crate::InferenceClient::image_to_image`].
    pub fn image_to_image(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageToImageParameters>,
    ) -> Result<BinaryOutput> {
        let image = image.into();
        self.run(move |c| async move { c.image_to_image(image, params).await })
    }

    /// See [`crate::InferenceClient::image_to_text`].
    pub fn image_to_text(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ImageToTextParameters>,
    ) -> Result<ImageToTextOutput> {
        let image = image.into();
        self.run(move |c| async move { c.image_to_text(image, params).await })
    }

    /// See [`crate::InferenceClient::object_detection`].
    pub fn object_detection(
        &self,
        image: impl Into<BinaryInput>,
        params: Option<ObjectDetectionParameters>,
    ) -> Result<Vec<ObjectDetectionOutputElement>> {
        let image = image.into();
        self.run(move |c| async move { c.object_detection(image, params).await })
    }

    /// See [`crate::InferenceClient::text_to_image`].
    pub fn text_to_image(
        &self,
        prompt: &str,
        params: Option<TextToImageParameters>,
    ) -> Result<BinaryOutput> {
        let prompt = prompt.to_owned();
        self.run(move |c| async move { c.text_to_image(&prompt, params).await })
    }

    /// See [`crate::InferenceClient::zero_shot_image_classification`].
    pub fn zero_shot_image_classification(
        &self,
        image: impl Into<BinaryInput>,
        candidate_labels: &[&str],
        params: Option<ZeroShotImageClassificationParameters>,
    ) -> Result<Vec<ZeroShotImageClassificationOutputElement>> {
        let image = image.into();
        let labels: Vec<String> = candidate_labels.iter().map(|s| (*s).to_owned()).collect();
        self.run(move |c| async move {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            c.zero_shot_image_classification(image, &refs, params).await
        })
    }

    /// See [`crate::InferenceClient::document_question_answering`].
    pub fn document_question_answering(
        &self,
        image: impl Into<BinaryInput>,
        question: &str,
        params: Option<DocumentQuestionAnsweringParameters>,
    ) -> Result<Vec<DocumentQuestionAnsweringOutputElement>> {
        let (image, question) = (image.into(), question.to_owned());
        self.run(move |c| async move {
            c.document_question_answering(image, &question, params)
                .await
        })
    }

    /// See [`crate::InferenceClient::visual_question_answering`].
    pub fn visual_question_answering(
        &self,
        image: impl Into<BinaryInput>,
        question: &str,
        params: Option<VisualQuestionAnsweringParameters>,
    ) -> Result<Vec<VisualQuestionAnsweringOutputElement>> {
        let (image, question) = (image.into(), question.to_owned());
        self.run(
            move |c| async move { c.visual_question_answering(image, &question, params).await },
        )
    }

    /// See [`crate::InferenceClient::feature_extraction`].
    pub fn feature_extraction(
        &self,
        text: &str,
        params: Option<FeatureExtractionParameters>,
    ) -> Result<FeatureExtractionOutput> {
        let text = text.to_owned();
        self.run(move |c| async move { c.feature_extraction(&text, params).await })
    }

    /// See [`crate::InferenceClient::fill_mask`].
    pub fn fill_mask(
        &self,
        text: &str,
        params: Option<FillMaskParameters>,
    ) -> Result<Vec<FillMaskOutputElement>> {
        let text = text.to_owned();
        self.run(move |c| async move { c.fill_mask(&text, params).await })
    }

    /// See [`crate::InferenceClient::question_answering`].
    pub fn question_answering(
        &self,
        question: &str,
        context: &str,
        params: Option<QuestionAnsweringParameters>,
    ) -> Result<Vec<QuestionAnsweringOutputElement>> {
        let (question, context) = (question.to_owned(), context.to_owned());
        self.run(move |c| async move { c.question_answering(&question, &context, params).await })
    }

    /// See [`crate::InferenceClient::sentence_similarity`].
    pub fn sentence_similarity(
        &self,
        source: &str,
        sentences: &[&str],
        params: Option<SentenceSimilarityParameters>,
    ) -> Result<Vec<f64>> {
        let source = source.to_owned();
        let sentences: Vec<String> = sentences.iter().map(|s| (*s).to_owned()).collect();
        self.run(move |c| async move {
            let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
            c.sentence_similarity(&source, &refs, params).await
        })
    }

    /// See [`crate::InferenceClient::summarization`].
    pub fn summarization(
        &self,
        text: &str,
        params: Option<SummarizationParameters>,
    ) -> Result<SummarizationOutput> {
        let text = text.to_owned();
        self.run(move |c| async move { c.summarization(&text, params).await })
    }

    /// See [`crate::InferenceClient::table_question_answering`].
    pub fn table_question_answering(
        &self,
        table: &Table,
        query: &str,
        params: Option<TableQuestionAnsweringParameters>,
    ) -> Result<TableQuestionAnsweringOutputElement> {
        let (table, query) = (table.clone(), query.to_owned());
        self.run(move |c| async move { c.table_question_answering(&table, &query, params).await })
    }

    /// See [`crate::InferenceClient::tabular_classification`].
    pub fn tabular_classification(&self, table: &Table) -> Result<Vec<String>> {
        let table = table.clone();
        self.run(move |c| async move { c.tabular_classification(&table).await })
    }

    /// See [`crate::InferenceClient::tabular_regression`].
    pub fn tabular_regression(&self, table: &Table) -> Result<Vec<f64>> {
        let table = table.clone();
        self.run(move |c| async move { c.tabular_regression(&table).await })
    }

    /// See [`crate::InferenceClient::text_classification`].
    pub fn text_classification(
        &self,
        text: &str,
        params: Option<ClassificationParameters>,
    ) -> Result<Vec<TextClassificationOutputElement>> {
        let text = text.to_owned();
        self.run(move |c| async move { c.text_classification(&text, params).await })
    }

    /// See [`crate::InferenceClient::token_classification`].
    pub fn token_classification(
        &self,
        text: &str,
        params: Option<TokenClassificationParameters>,
    ) -> Result<Vec<TokenClassificationOutputElement>> {
        let text = text.to_owned();
        self.run(move |c| async move { c.token_classification(&text, params).await })
    }

    /// See [`crate::InferenceClient::translation`].
    pub fn translation(
        &self,
        text: &str,
        params: Option<TranslationParameters>,
    ) -> Result<TranslationOutput> {
        let text = text.to_owned();
        self.run(move |c| async move { c.translation(&text, params).await })
    }

    /// See [`crate::InferenceClient::zero_shot_classification`].
    pub fn zero_shot_classification(
        &self,
        text: &str,
        candidate_labels: &[&str],
        params: Option<ZeroShotClassificationParameters>,
    ) -> Result<Vec<ZeroShotClassificationOutputElement>> {
        let text = text.to_owned();
        let labels: Vec<String> = candidate_labels.iter().map(|s| (*s).to_owned()).collect();
        self.run(move |c| async move {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            c.zero_shot_classification(&text, &refs, params).await
        })
    }
}
