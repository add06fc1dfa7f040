//! Outputs and parameters of the serverless "task" API (everything except chat and text
//! generation).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A label and its score (audio, image, text and zero-shot classification).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassificationOutputElement {
    /// Predicted label.
    #[serde(default)]
    pub label: String,
    /// Its score (probability).
    #[serde(default)]
    pub score: f64,
}

/// Output of `audio-classification`.
pub type AudioClassificationOutputElement = ClassificationOutputElement;
/// Output of `image-classification`.
pub type ImageClassificationOutputElement = ClassificationOutputElement;
/// Output of `text-classification`.
pub type TextClassificationOutputElement = ClassificationOutputElement;
/// Output of `zero-shot-classification` (one element per candidate label, best first).
pub type ZeroShotClassificationOutputElement = ClassificationOutputElement;
/// Output of `zero-shot-image-classification`.
pub type ZeroShotImageClassificationOutputElement = ClassificationOutputElement;

/// Parameters of the classification tasks (audio, image, text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassificationParameters {
    /// `sigmoid`, `softmax` or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_to_apply: Option<String>,
    /// Return only the `top_k` best labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// Binary output (image or audio) with its media type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryOutput {
    /// Raw bytes.
    pub bytes: bytes::Bytes,
    /// `Content-Type` sent by the server (e.g. `image/jpeg`, `audio/flac`).
    pub content_type: Option<String>,
}

/// One element of `audio-to-audio` output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioToAudioOutputElement {
    /// Label of the audio (e.g. a separated source).
    pub label: String,
    /// Decoded audio bytes.
    pub blob: bytes::Bytes,
    /// Media type of the audio.
    pub content_type: String,
}

/// Output of `automatic-speech-recognition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomaticSpeechRecognitionOutput {
    /// The transcription.
    #[serde(default)]
    pub text: String,
    /// Timestamped chunks, when requested.
    #[serde(default)]
    pub chunks: Option<Vec<AutomaticSpeechRecognitionOutputChunk>>,
}

/// A timestamped chunk of a transcription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomaticSpeechRecognitionOutputChunk {
    /// Text of the chunk.
    #[serde(default)]
    pub text: String,
    /// Start and end, in seconds.
    #[serde(default)]
    pub timestamp: Vec<f64>,
}

/// One segment of `image-segmentation` output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageSegmentationOutputElement {
    /// Label of the segment.
    #[serde(default)]
    pub label: String,
    /// Mask as a base64-encoded PNG (see [`ImageSegmentationOutputElement::mask_bytes`]).
    #[serde(default)]
    pub mask: String,
    /// Score, when the model gives one.
    #[serde(default)]
    pub score: Option<f64>,
}

impl ImageSegmentationOutputElement {
    /// Decodes the mask image.
    pub fn mask_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(self.mask.as_bytes())
    }
}

/// Parameters of `image-segmentation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageSegmentationParameters {
    /// Threshold to binarise masks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_threshold: Option<f64>,
    /// Mask overlap threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_mask_area_threshold: Option<f64>,
    /// `instance`, `panoptic` or `semantic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtask: Option<String>,
    /// Probability threshold to filter out masks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// Target size of generated images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSize {
    /// Height in pixels.
    pub height: u32,
    /// Width in pixels.
    pub width: u32,
}

/// Parameters of `image-to-image`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageToImageParameters {
    /// Classifier-free guidance scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance_scale: Option<f64>,
    /// What not to draw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<Vec<String>>,
    /// Number of denoising steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_inference_steps: Option<u32>,
    /// Output size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_size: Option<TargetSize>,
    /// Text guiding the transformation (sent in `parameters`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// Output of `image-to-text`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageToTextOutput {
    /// The caption.
    #[serde(default)]
    pub generated_text: String,
}

/// One detected object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectDetectionOutputElement {
    /// Its bounding box.
    #[serde(rename = "box")]
    pub bounding_box: ObjectDetectionBoundingBox,
    /// Its label.
    #[serde(default)]
    pub label: String,
    /// Its score.
    #[serde(default)]
    pub score: f64,
}

/// A bounding box in pixels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectDetectionBoundingBox {
    /// Left.
    pub xmin: f64,
    /// Top.
    pub ymin: f64,
    /// Right.
    pub xmax: f64,
    /// Bottom.
    pub ymax: f64,
}

/// Parameters of `object-detection`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectDetectionParameters {
    /// Minimum score of reported objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// Parameters of `text-to-image`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextToImageParameters {
    /// Classifier-free guidance scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance_scale: Option<f64>,
    /// Image height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Image width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// What not to draw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<Vec<String>>,
    /// Number of denoising steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_inference_steps: Option<u32>,
    /// Scheduler name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
    /// Random seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Output size (newer API; `height`/`width` are the serverless API's names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_size: Option<TargetSize>,
}

/// One answer of `document-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentQuestionAnsweringOutputElement {
    /// The answer.
    #[serde(default)]
    pub answer: String,
    /// Its score, when given.
    #[serde(default)]
    pub score: Option<f64>,
    /// Start word index, when given.
    #[serde(default)]
    pub start: Option<u32>,
    /// End word index, when given.
    #[serde(default)]
    pub end: Option<u32>,
}

/// Parameters of `document-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentQuestionAnsweringParameters {
    /// Overlap between chunks of a long document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_stride: Option<u32>,
    /// Accept "impossible" as an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle_impossible_answer: Option<bool>,
    /// OCR language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Maximum answer length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_answer_len: Option<u32>,
    /// Maximum question length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_question_len: Option<u32>,
    /// Maximum sequence length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_seq_len: Option<u32>,
    /// Number of answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Words and boxes, skipping OCR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_boxes: Option<Vec<Value>>,
}

/// One answer of `visual-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisualQuestionAnsweringOutputElement {
    /// The answer.
    #[serde(default)]
    pub answer: Option<String>,
    /// Its score.
    #[serde(default)]
    pub score: f64,
}

/// Parameters of `fill-mask`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FillMaskParameters {
    /// Only score these words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// Number of predictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// One prediction of `fill-mask`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FillMaskOutputElement {
    /// Its score.
    #[serde(default)]
    pub score: f64,
    /// The input with the mask replaced.
    #[serde(default)]
    pub sequence: String,
    /// Token id.
    #[serde(default)]
    pub token: u64,
    /// Token text.
    #[serde(default)]
    pub token_str: String,
}

/// Output of `feature-extraction`: a dense tensor, flattened row-major.
///
/// Sentence-transformers models return one vector (`shape == [dim]`); plain transformers return
/// one vector per token (`[1, tokens, dim]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureExtractionOutput {
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

impl FeatureExtractionOutput {
    /// Builds the tensor from nested JSON arrays; `None` if they are ragged or not numbers.
    pub fn from_json(value: &Value) -> Option<Self> {
        let mut shape = Vec::new();
        let mut probe = value;
        while let Value::Array(items) = probe {
            shape.push(items.len());
            match items.first() {
                Some(first) => probe = first,
                None => break,
            }
        }
        let mut values = Vec::with_capacity(shape.iter().product());
        fn walk(v: &Value, depth: usize, shape: &[usize], out: &mut Vec<f32>) -> bool {
            match v {
                Value::Array(items) => {
                    depth < shape.len()
                        && items.len() == shape[depth]
                        && items.iter().all(|i| walk(i, depth + 1, shape, out))
                }
                Value::Number(n) if depth == shape.len() => {
                    // Embeddings are f32 on the server; narrowing is intended.
                    out.push(n.as_f64().unwrap_or(f64::NAN) as f32);
                    true
                }
                _ => false,
            }
        }
        walk(value, 0, &shape, &mut values).then_some(Self { shape, values })
    }
}

/// Parameters of `feature-extraction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureExtractionParameters {
    /// Normalise the embeddings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// Name of the prompt to prepend (sentence-transformers prompts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_name: Option<String>,
    /// Truncate inputs that are too long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncate: Option<bool>,
    /// `left` or `right`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation_direction: Option<String>,
}

/// One answer of `question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionAnsweringOutputElement {
    /// The answer.
    #[serde(default)]
    pub answer: String,
    /// Character index where it ends in the context.
    #[serde(default)]
    pub end: u32,
    /// Its score.
    #[serde(default)]
    pub score: f64,
    /// Character index where it starts in the context.
    #[serde(default)]
    pub start: u32,
}

/// Parameters of `question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionAnsweringParameters {
    /// Also accept an empty answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub align_to_words: Option<bool>,
    /// Overlap between chunks of a long context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_stride: Option<u32>,
    /// Accept "impossible" as an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle_impossible_answer: Option<bool>,
    /// Maximum answer length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_answer_len: Option<u32>,
    /// Maximum question length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_question_len: Option<u32>,
    /// Maximum sequence length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_seq_len: Option<u32>,
    /// Number of answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// Output of `summarization`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummarizationOutput {
    /// The summary.
    #[serde(default)]
    pub summary_text: String,
}

/// Parameters of `summarization` and `translation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Text2TextParameters {
    /// Clean up tokenisation spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clean_up_tokenization_spaces: Option<bool>,
    /// Generation parameters passed to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_parameters: Option<BTreeMap<String, Value>>,
    /// Truncation strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation: Option<String>,
    /// Source language (translation with multilingual models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_lang: Option<String>,
    /// Target language (translation with multilingual models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tgt_lang: Option<String>,
}

/// Output of `table-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableQuestionAnsweringOutputElement {
    /// Aggregator used (`AVERAGE`, `SUM`, `NONE`, …).
    #[serde(default)]
    pub aggregator: Option<String>,
    /// The answer.
    #[serde(default)]
    pub answer: String,
    /// Cells used for the answer.
    #[serde(default)]
    pub cells: Vec<String>,
    /// Coordinates (row, column) of those cells.
    #[serde(default)]
    pub coordinates: Vec<Vec<u32>>,
}

/// One entity of `token-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenClassificationOutputElement {
    /// Entity group (with an aggregation strategy).
    #[serde(default)]
    pub entity_group: Option<String>,
    /// Entity label (without aggregation).
    #[serde(default)]
    pub entity: Option<String>,
    /// Its score.
    #[serde(default)]
    pub score: f64,
    /// The text of the entity.
    #[serde(default)]
    pub word: String,
    /// Start character index.
    #[serde(default)]
    pub start: Option<u32>,
    /// End character index.
    #[serde(default)]
    pub end: Option<u32>,
}

/// Parameters of `token-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenClassificationParameters {
    /// `none`, `simple`, `first`, `average` or `max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregation_strategy: Option<String>,
    /// Labels to leave out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_labels: Option<Vec<String>>,
    /// Overlap of chunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stride: Option<u32>,
}

/// Output of `translation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranslationOutput {
    /// The translation.
    #[serde(default)]
    pub translation_text: String,
}

/// Parameters of `zero-shot-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZeroShotClassificationParameters {
    /// Template of the hypothesis, with `{}` for the label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hypothesis_template: Option<String>,
    /// Labels may all be true at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_label: Option<bool>,
}

/// Answer of the deprecated `conversational` task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationalOutput {
    /// The reply.
    #[serde(default)]
    pub generated_text: String,
    /// The conversation so far, to send back with the next turn.
    #[serde(default)]
    pub conversation: ConversationalOutputConversation,
    /// Warnings of the server.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// State of a `conversational` conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationalOutputConversation {
    /// Replies of the model.
    #[serde(default)]
    pub generated_responses: Vec<String>,
    /// Inputs of the user.
    #[serde(default)]
    pub past_user_inputs: Vec<String>,
}

/// A table for tabular and table-QA tasks: column name → cells.
pub type Table = BTreeMap<String, Vec<String>>;
