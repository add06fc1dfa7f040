//! Inputs, parameters and outputs of the serverless "task" API (everything except chat and text
//! generation), after the seed's inference types.
//!
//! Parameters serialise only the fields that are set, under the seed's names. Outputs follow the
//! seed: a field the seed marks required must be present (a missing one is a decode error, never
//! a made-up `0` or `""`), an optional one is an `Option` that stays `None` when not sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Free-form parameters, for tasks whose seed type is `Dict[str, Any]`, and the escape hatch of
/// the typed parameter structs (sent as is, next to the typed fields).
pub type ExtraParameters = BTreeMap<String, Value>;

// ------------------------------------------------------------------------------- classification

/// A label and its score (audio, image, text, video and zero-shot classification).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassificationOutputElement {
    /// Predicted label.
    pub label: String,
    /// Its score (probability).
    pub score: f64,
}

/// Output of `audio-classification`.
pub type AudioClassificationOutputElement = ClassificationOutputElement;
/// Output of `image-classification`.
pub type ImageClassificationOutputElement = ClassificationOutputElement;
/// Output of `text-classification`.
pub type TextClassificationOutputElement = ClassificationOutputElement;
/// Output of `video-classification`.
pub type VideoClassificationOutputElement = ClassificationOutputElement;
/// Output of `zero-shot-classification` (one element per candidate label, best first).
pub type ZeroShotClassificationOutputElement = ClassificationOutputElement;
/// Output of `zero-shot-image-classification`.
pub type ZeroShotImageClassificationOutputElement = ClassificationOutputElement;

/// Function applied to the model's scores (`function_to_apply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassificationOutputTransform {
    /// `sigmoid`.
    Sigmoid,
    /// `softmax`.
    Softmax,
    /// `none`: raw scores.
    None,
}

/// Parameters of the classification tasks (audio, image, text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassificationParameters {
    /// Function applied to the scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_to_apply: Option<ClassificationOutputTransform>,
    /// Return only the `top_k` best labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// Parameters of `audio-classification`.
pub type AudioClassificationParameters = ClassificationParameters;
/// Parameters of `image-classification`.
pub type ImageClassificationParameters = ClassificationParameters;
/// Parameters of `text-classification`.
pub type TextClassificationParameters = ClassificationParameters;

/// Parameters of `video-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoClassificationParameters {
    /// Sampling rate of the frames given to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_sampling_rate: Option<u32>,
    /// Function applied to the scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_to_apply: Option<ClassificationOutputTransform>,
    /// Number of frames given to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_frames: Option<u32>,
    /// Return only the `top_k` best labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// Body of a `video-classification` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoClassificationInput {
    /// The video (base64 or URL, as the server accepts).
    pub inputs: Value,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<VideoClassificationParameters>,
}

// ------------------------------------------------------------------ generation (audio, image2text)

/// `early_stopping` of beam search: a flag, or `"never"` (stop only when no better candidate can
/// exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyStopping {
    /// `true`.
    Enabled,
    /// `false`.
    Disabled,
    /// `"never"`.
    Never,
}

impl Serialize for EarlyStopping {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EarlyStopping::Enabled => s.serialize_bool(true),
            EarlyStopping::Disabled => s.serialize_bool(false),
            EarlyStopping::Never => s.serialize_str("never"),
        }
    }
}

impl<'de> Deserialize<'de> for EarlyStopping {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(true) => Ok(EarlyStopping::Enabled),
            Value::Bool(false) => Ok(EarlyStopping::Disabled),
            Value::String(s) if s == "never" => Ok(EarlyStopping::Never),
            other => Err(serde::de::Error::custom(format!(
                "early_stopping must be true, false or \"never\", not {other}"
            ))),
        }
    }
}

/// Generation parameters of the transformers `generate` method, shared by speech recognition,
/// image-to-text, text-to-speech and text-to-audio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationParameters {
    /// Sample instead of greedy decoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_sample: Option<bool>,
    /// Stopping condition of beam search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
    /// Epsilon sampling cut-off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon_cutoff: Option<f64>,
    /// Eta sampling cut-off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_cutoff: Option<f64>,
    /// Maximum length of the output, prompt included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Maximum number of generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<u32>,
    /// Minimum length of the output, prompt included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Minimum number of generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_new_tokens: Option<u32>,
    /// Number of beam groups (diverse beam search).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_beam_groups: Option<u32>,
    /// Number of beams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_beams: Option<u32>,
    /// Degeneration penalty of contrastive search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty_alpha: Option<f64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Typical decoding mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typical_p: Option<f64>,
    /// Reuse past key/values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_cache: Option<bool>,
}

/// Generation parameters of `automatic-speech-recognition`.
pub type AutomaticSpeechRecognitionGenerationParameters = GenerationParameters;
/// Generation parameters of `image-to-text`.
pub type ImageToTextGenerationParameters = GenerationParameters;
/// Generation parameters of `text-to-speech`.
pub type TextToSpeechGenerationParameters = GenerationParameters;
/// Generation parameters of `text-to-audio`.
pub type TextToAudioGenerationParameters = GenerationParameters;

// ------------------------------------------------------------------------------------- binaries

/// Binary output (image or audio) with its media type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryOutput {
    /// Raw bytes.
    pub bytes: bytes::Bytes,
    /// `Content-Type` sent by the server (e.g. `image/jpeg`, `audio/flac`).
    pub content_type: Option<String>,
}

// ---------------------------------------------------------------------------------------- audio

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

/// Parameters of `automatic-speech-recognition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomaticSpeechRecognitionParameters {
    /// Generation parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<AutomaticSpeechRecognitionGenerationParameters>,
    /// Return timestamped chunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_timestamps: Option<bool>,
}

/// Output of `automatic-speech-recognition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomaticSpeechRecognitionOutput {
    /// The transcription.
    pub text: String,
    /// Timestamped chunks, when requested.
    #[serde(default)]
    pub chunks: Option<Vec<AutomaticSpeechRecognitionOutputChunk>>,
}

/// A timestamped chunk of a transcription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomaticSpeechRecognitionOutputChunk {
    /// Text of the chunk.
    pub text: String,
    /// Start and end, in seconds (transformers pipelines call it `timestamp`).
    #[serde(alias = "timestamp")]
    pub timestamps: Vec<f64>,
}

/// Parameters of `text-to-speech`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextToSpeechParameters {
    /// Generation parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<TextToSpeechGenerationParameters>,
}

/// Parameters of `text-to-audio`.
pub type TextToAudioParameters = TextToSpeechParameters;

/// Body of a `text-to-audio` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextToAudioInput {
    /// The text.
    pub inputs: String,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<TextToAudioParameters>,
}

/// JSON output of `text-to-audio` / `text-to-speech` servers that do not answer raw audio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextToAudioOutput {
    /// The audio (its encoding depends on the server).
    pub audio: Value,
    /// Sampling rate of the audio, in Hz.
    pub sampling_rate: f64,
}

/// JSON output of `text-to-speech`.
pub type TextToSpeechOutput = TextToAudioOutput;

// ---------------------------------------------------------------------------------------- image

/// Parameters of `depth-estimation` (the seed lists them as free-form).
pub type DepthEstimationParameters = ExtraParameters;

/// Body of a `depth-estimation` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthEstimationInput {
    /// The image (base64 or URL, as the server accepts).
    pub inputs: Value,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<DepthEstimationParameters>,
}

/// Output of `depth-estimation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthEstimationOutput {
    /// The depth map, as an image.
    pub depth: Value,
    /// The predicted depth, as a tensor.
    pub predicted_depth: Value,
}

/// What kind of segmentation `image-segmentation` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageSegmentationSubtask {
    /// `instance`.
    Instance,
    /// `panoptic`.
    Panoptic,
    /// `semantic`.
    Semantic,
}

/// One segment of `image-segmentation` output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageSegmentationOutputElement {
    /// Label of the segment.
    pub label: String,
    /// Mask as a base64-encoded PNG (see [`ImageSegmentationOutputElement::mask_bytes`]).
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
    /// Kind of segmentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtask: Option<ImageSegmentationSubtask>,
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

/// Target size of `image-to-image`.
pub type ImageToImageTargetSize = TargetSize;
/// Target size of `text-to-image`.
pub type TextToImageTargetSize = TargetSize;

/// Parameters of `image-to-image`.
///
/// The seed's four fields, plus `prompt`, `height` and `width`, which Python's `image_to_image`
/// sends in `parameters` too.
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
    pub target_size: Option<ImageToImageTargetSize>,
    /// Text guiding the transformation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Output height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Output width in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
}

/// Parameters of `image-to-text`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageToTextParameters {
    /// Generation parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<ImageToTextGenerationParameters>,
    /// Maximum number of generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<u32>,
}

/// Output of `image-to-text`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageToTextOutput {
    /// The caption.
    pub generated_text: String,
}

/// One detected object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectDetectionOutputElement {
    /// Its bounding box.
    #[serde(rename = "box")]
    pub bounding_box: ObjectDetectionBoundingBox,
    /// Its label.
    pub label: String,
    /// Its score.
    pub score: f64,
}

/// A bounding box in pixels (integers in the seed; kept as `f64` so that servers answering
/// fractional pixels still decode).
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

/// Inputs of `zero-shot-object-detection`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZeroShotObjectDetectionInputData {
    /// Labels to look for.
    pub candidate_labels: Vec<String>,
    /// The image (base64).
    pub image: String,
}

/// Body of a `zero-shot-object-detection` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZeroShotObjectDetectionInput {
    /// Image and labels.
    pub inputs: ZeroShotObjectDetectionInputData,
    /// Free-form parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<ExtraParameters>,
}

/// Bounding box of `zero-shot-object-detection`.
pub type ZeroShotObjectDetectionBoundingBox = ObjectDetectionBoundingBox;
/// One object of `zero-shot-object-detection` output.
pub type ZeroShotObjectDetectionOutputElement = ObjectDetectionOutputElement;

/// Parameters of `text-to-image`.
///
/// The seed's six fields, plus `height` and `width`, the serverless API's names (Python's
/// `text_to_image` sends both forms).
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
    /// Output size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_size: Option<TextToImageTargetSize>,
}

/// Parameters of `zero-shot-image-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZeroShotImageClassificationParameters {
    /// Template of the sentence scored for each label, with `{}` for the label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hypothesis_template: Option<String>,
}

// ------------------------------------------------------------------------------ question answering

/// One answer of `document-question-answering`.
///
/// The seed marks every field required, but the serverless API leaves out `words` and, for
/// some models, the positions; those are `None` when not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentQuestionAnsweringOutputElement {
    /// The answer.
    pub answer: String,
    /// Its score.
    #[serde(default)]
    pub score: Option<f64>,
    /// Start word index.
    #[serde(default)]
    pub start: Option<u32>,
    /// End word index.
    #[serde(default)]
    pub end: Option<u32>,
    /// Indices of the answer's words.
    #[serde(default)]
    pub words: Option<Vec<u32>>,
}

/// A word box of `document-question-answering`: a word, or a bounding box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WordBox {
    /// A word.
    Word(String),
    /// A bounding box `[x0, y0, x1, y1]`.
    Box(Vec<f64>),
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
    pub word_boxes: Option<Vec<WordBox>>,
}

/// One answer of `visual-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisualQuestionAnsweringOutputElement {
    /// The answer.
    #[serde(default)]
    pub answer: Option<String>,
    /// Its score.
    pub score: f64,
}

/// Parameters of `visual-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisualQuestionAnsweringParameters {
    /// Number of answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
}

/// One answer of `question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionAnsweringOutputElement {
    /// The answer.
    pub answer: String,
    /// Character index where it ends in the context.
    pub end: u32,
    /// Its score.
    pub score: f64,
    /// Character index where it starts in the context.
    pub start: u32,
}

/// Parameters of `question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionAnsweringParameters {
    /// Align the answer to words.
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

/// Padding strategy of `table-question-answering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// `do_not_pad`.
    DoNotPad,
    /// `longest`.
    Longest,
    /// `max_length`.
    MaxLength,
}

/// Parameters of `table-question-answering`.
///
/// The seed types them as free-form (`Dict[str, Any]`); the three fields are those of the
/// transformers pipeline (and of later revisions of the task spec); `extra` carries anything
/// else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableQuestionAnsweringParameters {
    /// Padding strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding: Option<Padding>,
    /// Answer the queries one after the other (needed by conversational models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    /// Truncate tables that are too long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation: Option<bool>,
    /// Other parameters, sent as is.
    #[serde(flatten)]
    pub extra: ExtraParameters,
}

/// Output of `table-question-answering`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableQuestionAnsweringOutputElement {
    /// Aggregator used (`AVERAGE`, `SUM`, `NONE`, …).
    #[serde(default)]
    pub aggregator: Option<String>,
    /// The answer.
    pub answer: String,
    /// Cells used for the answer.
    pub cells: Vec<String>,
    /// Coordinates (row, column) of those cells.
    pub coordinates: Vec<Vec<u32>>,
}

// ------------------------------------------------------------------------------------------ NLP

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
    pub score: f64,
    /// The input with the mask replaced.
    pub sequence: String,
    /// Token id.
    pub token: u64,
    /// Token text.
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

/// Side of a too-long input that `feature-extraction` truncates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TruncationDirection {
    /// `Left`.
    Left,
    /// `Right`.
    Right,
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
    /// Which side to truncate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation_direction: Option<TruncationDirection>,
}

/// Parameters of `sentence-similarity` (the seed lists them as free-form).
pub type SentenceSimilarityParameters = ExtraParameters;

/// Truncation strategy of the text-to-text tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncationStrategy {
    /// `do_not_truncate`.
    DoNotTruncate,
    /// `longest_first`.
    LongestFirst,
    /// `only_first`.
    OnlyFirst,
    /// `only_second`.
    OnlySecond,
}

/// Output of `summarization`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummarizationOutput {
    /// The summary.
    pub summary_text: String,
}

/// Parameters of `summarization` (and of `text2text-generation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummarizationParameters {
    /// Clean up tokenisation spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clean_up_tokenization_spaces: Option<bool>,
    /// Generation parameters passed to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_parameters: Option<ExtraParameters>,
    /// Truncation strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation: Option<TruncationStrategy>,
}

/// Parameters of `text2text-generation`.
pub type Text2TextGenerationParameters = SummarizationParameters;

/// Parameters of `translation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranslationParameters {
    /// Clean up tokenisation spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clean_up_tokenization_spaces: Option<bool>,
    /// Generation parameters passed to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_parameters: Option<ExtraParameters>,
    /// Source language (multilingual models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_lang: Option<String>,
    /// Target language (multilingual models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tgt_lang: Option<String>,
    /// Truncation strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation: Option<TruncationStrategy>,
}

/// Output of `translation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranslationOutput {
    /// The translation.
    pub translation_text: String,
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
    pub score: f64,
    /// The text of the entity.
    #[serde(default)]
    pub word: Option<String>,
    /// Start character index.
    #[serde(default)]
    pub start: Option<u32>,
    /// End character index.
    #[serde(default)]
    pub end: Option<u32>,
}

/// How `token-classification` groups tokens into entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenClassificationAggregationStrategy {
    /// `none`: one entity per token.
    None,
    /// `simple`.
    Simple,
    /// `first`.
    First,
    /// `average`.
    Average,
    /// `max`.
    Max,
}

/// Parameters of `token-classification`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenClassificationParameters {
    /// How tokens are grouped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregation_strategy: Option<TokenClassificationAggregationStrategy>,
    /// Labels to leave out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_labels: Option<Vec<String>>,
    /// Overlap of chunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stride: Option<u32>,
}

/// Parameters of `zero-shot-classification` (the labels are an argument of their own).
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
    pub generated_text: String,
    /// The conversation so far, to send back with the next turn.
    pub conversation: ConversationalOutputConversation,
    /// Warnings of the server.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// State of a `conversational` conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationalOutputConversation {
    /// Replies of the model.
    pub generated_responses: Vec<String>,
    /// Inputs of the user.
    pub past_user_inputs: Vec<String>,
}

/// A table for tabular and table-QA tasks: column name → cells.
pub type Table = BTreeMap<String, Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_optional_fields_are_none_and_absent_required_fields_fail() {
        let seg: ImageSegmentationOutputElement =
            serde_json::from_value(json!({"label": "a", "mask": "AA"})).unwrap();
        assert_eq!(seg.score, None);
        let tok: TokenClassificationOutputElement =
            serde_json::from_value(json!({"score": 0.5})).unwrap();
        assert_eq!((tok.word, tok.start, tok.entity_group), (None, None, None));
        let vqa: VisualQuestionAnsweringOutputElement =
            serde_json::from_value(json!({"score": 0.5})).unwrap();
        assert_eq!(vqa.answer, None);
        // Required by the seed: missing is an error, never 0 or "".
        assert!(
            serde_json::from_value::<ClassificationOutputElement>(json!({"label": "a"})).is_err()
        );
        assert!(
            serde_json::from_value::<QuestionAnsweringOutputElement>(
                json!({"answer": "a", "score": 1.0, "start": 0})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<FillMaskOutputElement>(
                json!({"score": 1.0, "sequence": "s", "token_str": "t"})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<TableQuestionAnsweringOutputElement>(json!({"answer": "a"}))
                .is_err()
        );
        assert!(serde_json::from_value::<AutomaticSpeechRecognitionOutput>(json!({})).is_err());
    }

    #[test]
    fn seed_types_of_the_newer_tasks() {
        let det: ZeroShotObjectDetectionOutputElement = serde_json::from_value(
            json!({"box": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "label": "cat", "score": 0.9}),
        )
        .unwrap();
        assert_eq!(det.bounding_box.xmax, 3.0);
        let input = ZeroShotObjectDetectionInput {
            inputs: ZeroShotObjectDetectionInputData {
                candidate_labels: vec!["cat".into()],
                image: "AA==".into(),
            },
            parameters: None,
        };
        assert_eq!(
            serde_json::to_value(&input).unwrap(),
            json!({"inputs": {"candidate_labels": ["cat"], "image": "AA=="}})
        );
        let depth: DepthEstimationOutput =
            serde_json::from_value(json!({"depth": "png-b64", "predicted_depth": [[0.5]]}))
                .unwrap();
        assert_eq!(depth.predicted_depth, json!([[0.5]]));
        let audio: TextToAudioOutput =
            serde_json::from_value(json!({"audio": "flac-b64", "sampling_rate": 16000})).unwrap();
        assert_eq!(audio.sampling_rate, 16000.0);
        let tta = TextToAudioInput {
            inputs: "hi".into(),
            parameters: Some(TextToAudioParameters {
                generate: Some(GenerationParameters {
                    early_stopping: Some(EarlyStopping::Never),
                    ..Default::default()
                }),
            }),
        };
        assert_eq!(
            serde_json::to_value(&tta).unwrap(),
            json!({"inputs": "hi", "parameters": {"generate": {"early_stopping": "never"}}})
        );
        let video = VideoClassificationInput {
            inputs: json!("https://example.com/v.mp4"),
            parameters: Some(VideoClassificationParameters {
                num_frames: Some(8),
                function_to_apply: Some(ClassificationOutputTransform::Softmax),
                ..Default::default()
            }),
        };
        assert_eq!(
            serde_json::to_value(&video).unwrap()["parameters"],
            json!({"num_frames": 8, "function_to_apply": "softmax"})
        );
        for (v, e) in [
            (json!(true), EarlyStopping::Enabled),
            (json!(false), EarlyStopping::Disabled),
            (json!("never"), EarlyStopping::Never),
        ] {
            assert_eq!(
                serde_json::from_value::<EarlyStopping>(v.clone()).unwrap(),
                e
            );
            assert_eq!(serde_json::to_value(e).unwrap(), v);
        }
        assert!(serde_json::from_value::<EarlyStopping>(json!("sometimes")).is_err());
    }
}
