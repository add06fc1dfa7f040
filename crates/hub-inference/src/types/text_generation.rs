//! Text generation (TGI `generate` API) types.

use serde::{Deserialize, Serialize};

use super::GrammarType;

/// Body of a text-generation request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationInput {
    /// The prompt.
    pub inputs: String,
    /// Generation parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<TextGenerationInputGenerateParameters>,
    /// Whether the answer is streamed.
    #[serde(default)]
    pub stream: bool,
}

/// Generation parameters (`parameters` of [`TextGenerationInput`]).
///
/// The client always sends `details`, `do_sample`, `return_full_text` (false unless set) and
/// `stop` (empty unless set), the seed's defaults; other fields only when set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationInputGenerateParameters {
    /// LoRA adapter to use (TGI multi-LoRA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Generate this many sequences and return the best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_of: Option<u32>,
    /// Return prompt token details (needs `details`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoder_input_details: Option<bool>,
    /// Return generation details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<bool>,
    /// Sample instead of greedy decoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_sample: Option<bool>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Grammar constraint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grammar: Option<GrammarType>,
    /// Maximum number of generated tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<u32>,
    /// Repetition penalty (1.0 = none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repetition_penalty: Option<f64>,
    /// Prepend the prompt to the generated text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_full_text: Option<bool>,
    /// Random seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Return this many most likely tokens per position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_n_tokens: Option<u32>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Truncate the prompt to this many tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncate: Option<u32>,
    /// Typical decoding mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typical_p: Option<f64>,
    /// Watermark the output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<bool>,
}

/// Non-streamed text-generation answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationOutput {
    /// The generated text.
    pub generated_text: String,
    /// Details, when requested from a TGI server.
    #[serde(default)]
    pub details: Option<TextGenerationOutputDetails>,
}

/// Details of a generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationOutputDetails {
    /// `length`, `eos_token` or `stop_sequence`.
    pub finish_reason: String,
    /// Number of generated tokens.
    pub generated_tokens: u32,
    /// Prompt tokens (filled with `decoder_input_details`).
    pub prefill: Vec<TextGenerationOutputPrefillToken>,
    /// Seed used for sampling.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Generated tokens.
    pub tokens: Vec<TextGenerationOutputToken>,
    /// Most likely tokens per position (with `top_n_tokens`).
    #[serde(default)]
    pub top_tokens: Option<Vec<Vec<TextGenerationOutputToken>>>,
    /// The other sequences (with `best_of`).
    #[serde(default)]
    pub best_of_sequences: Option<Vec<TextGenerationOutputBestOfSequence>>,
}

/// A candidate sequence of `best_of`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationOutputBestOfSequence {
    /// Why it stopped.
    pub finish_reason: String,
    /// Its text.
    pub generated_text: String,
    /// Its length in tokens.
    pub generated_tokens: u32,
    /// Prompt tokens.
    pub prefill: Vec<TextGenerationOutputPrefillToken>,
    /// Seed used.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Its tokens.
    pub tokens: Vec<TextGenerationOutputToken>,
    /// Most likely tokens per position.
    #[serde(default)]
    pub top_tokens: Option<Vec<Vec<TextGenerationOutputToken>>>,
}

/// A prompt token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationOutputPrefillToken {
    /// Token id.
    pub id: u32,
    /// Log probability (`None` for the first token, which TGI sends as null).
    #[serde(default)]
    pub logprob: Option<f64>,
    /// Token text.
    pub text: String,
}

/// A generated token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationOutputToken {
    /// Token id.
    pub id: u32,
    /// Log probability (`None` when the server sends null).
    #[serde(default)]
    pub logprob: Option<f64>,
    /// Whether it is a special token.
    pub special: bool,
    /// Token text.
    pub text: String,
}

/// One event of a streamed generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationStreamOutput {
    /// Index of the event (required by the seed; TGI before 1.0 did not send it).
    #[serde(default)]
    pub index: Option<u32>,
    /// The new token.
    pub token: TextGenerationStreamOutputToken,
    /// Full text, on the last event only.
    #[serde(default)]
    pub generated_text: Option<String>,
    /// Details, on the last event only (with `details: true`).
    #[serde(default)]
    pub details: Option<TextGenerationStreamOutputStreamDetails>,
    /// Most likely tokens at this position.
    #[serde(default)]
    pub top_tokens: Option<Vec<TextGenerationStreamOutputToken>>,
}

/// A token of a streamed generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationStreamOutputToken {
    /// Token id.
    pub id: u32,
    /// Log probability (`None` when the server sends null).
    #[serde(default)]
    pub logprob: Option<f64>,
    /// Whether it is a special token.
    pub special: bool,
    /// Token text.
    pub text: String,
}

/// Details on the last event of a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationStreamOutputStreamDetails {
    /// Why generation stopped.
    pub finish_reason: String,
    /// Number of generated tokens.
    pub generated_tokens: u32,
    /// Seed used.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Prompt length in tokens (required by the seed; TGI before 2.0 did not send it).
    #[serde(default)]
    pub input_length: Option<u32>,
}
