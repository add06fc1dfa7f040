//! Chat completion (OpenAI-compatible) request and response types.
//!
//! Names follow the seed's inference types reference (`ChatCompletionInput…`,
//! `ChatCompletionOutput…`, `ChatCompletionStreamOutput…`). Requests omit unset optional fields;
//! responses accept unknown fields and treat every field a server may leave out as optional.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{GrammarType, de_opt_one_or_many, de_string_or_number};

/// Body of `POST …/v1/chat/completions`.
///
/// Build one with [`ChatCompletionInput::new`] and set fields directly or with the `with_*`
/// helpers. `model` is filled in by the client when left empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionInput {
    /// Model name sent in the body (`"tgi"` for a raw URL, the model id otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The conversation so far.
    pub messages: Vec<ChatCompletionInputMessage>,
    /// Penalise tokens by their frequency so far, in [-2, 2].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Token biases (TGI: list of floats; OpenAI: map of token id to bias).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<Value>,
    /// Return log probabilities of the output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    /// Maximum number of tokens to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Number of choices to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Penalise tokens already present, in [-2, 2].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Constrain the output (TGI grammar: JSON schema or regex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Random seed for sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Whether the answer is streamed; set by the client's methods, not by callers.
    #[serde(default)]
    pub stream: bool,
    /// Options of the streamed answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<ChatCompletionInputStreamOptions>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Which tool the model should call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Text prepended to the tools' description (TGI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_prompt: Option<String>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolElement>>,
    /// Number of most likely tokens to return at each position (needs `logprobs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    /// Nucleus sampling probability mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
}

impl ChatCompletionInput {
    /// A request with these messages and nothing else set.
    pub fn new(messages: impl IntoIterator<Item = ChatCompletionInputMessage>) -> Self {
        Self {
            messages: messages.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Sets `max_tokens`.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets `temperature`.
    #[must_use]
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets `seed`.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets `model` (the name in the body; the URL is chosen by the client).
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

/// Who speaks in a message. Sent as the lower-case name; a role this version does not know is
/// kept as [`Role::Other`], so an answer never fails to decode for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// `system`: instructions for the model.
    System,
    /// `user`: the person's turn.
    #[default]
    User,
    /// `assistant`: the model's turn.
    Assistant,
    /// `tool`: the answer of a tool call.
    Tool,
    /// Any other role a server uses.
    Other(String),
}

impl Role {
    /// The name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(s) => s,
        }
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Role {
        match s {
            "system" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            other => Role::Other(other.to_owned()),
        }
    }
}

impl From<String> for Role {
    fn from(s: String) -> Role {
        Role::from(s.as_str())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Role {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Role {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Role::from(String::deserialize(d)?))
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionInputMessage {
    /// Who speaks.
    pub role: Role,
    /// Text, or a list of text and image parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    /// Optional participant name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls made by the assistant in an earlier turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ChatCompletionOutputToolCall>>,
    /// For `tool` messages: the call this message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatCompletionInputMessage {
    /// A message with `role` and text `content`.
    pub fn new(role: impl Into<Role>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: Some(MessageContent::Text(content.into())),
            ..Self::default()
        }
    }

    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// An `assistant` message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// A `user` message made of parts (text and images).
    pub fn user_parts(parts: impl IntoIterator<Item = ChatCompletionInputMessageChunk>) -> Self {
        Self {
            role: Role::User,
            content: Some(MessageContent::Parts(parts.into_iter().collect())),
            ..Self::default()
        }
    }
}

/// Content of a message: plain text or parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Text and image parts.
    Parts(Vec<ChatCompletionInputMessageChunk>),
}

/// One part of a multi-part message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatCompletionInputMessageChunk {
    /// A text part.
    Text {
        /// The text.
        text: String,
    },
    /// An image part, by URL (http(s) or `data:` URL).
    ImageUrl {
        /// The image location.
        image_url: ChatCompletionInputUrl,
    },
}

impl ChatCompletionInputMessageChunk {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An image part.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::ImageUrl {
            image_url: ChatCompletionInputUrl { url: url.into() },
        }
    }
}

/// URL of an image part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionInputUrl {
    /// The URL.
    pub url: String,
}

/// `response_format`: a TGI grammar, or any other OpenAI-style object passed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseFormat {
    /// `{"type": "json"|"regex"|"json_schema", "value": ...}`.
    Grammar(GrammarType),
    /// Anything else (e.g. OpenAI's `{"type": "json_object"}`), sent as is.
    Other(Value),
}

/// `stream_options`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionInputStreamOptions {
    /// Send a last chunk with token usage (and empty `choices`).
    pub include_usage: bool,
}

/// `tool_choice`: a mode (`"auto"`, `"none"`, `"required"`, or — for old TGI — a bare function
/// name) or a specific function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// A mode string.
    Mode(String),
    /// Call this function.
    Function(ChatCompletionInputToolType),
}

impl ToolChoice {
    /// `"auto"`: the model decides.
    pub fn auto() -> Self {
        Self::Mode("auto".into())
    }

    /// `"none"`: no tool.
    pub fn none() -> Self {
        Self::Mode("none".into())
    }

    /// `"required"`: some tool must be called.
    pub fn required() -> Self {
        Self::Mode("required".into())
    }

    /// `{"type": "function", "function": {"name": name}}`.
    pub fn function(name: impl Into<String>) -> Self {
        Self::Function(ChatCompletionInputToolType {
            kind: Some("function".into()),
            function: ChatCompletionInputFunctionName { name: name.into() },
        })
    }
}

/// A specific tool choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionInputToolType {
    /// `"function"` (OpenAI requires it; TGI accepts it).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The function.
    pub function: ChatCompletionInputFunctionName,
}

/// A function name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionInputFunctionName {
    /// The name.
    pub name: String,
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolElement {
    /// Always `"function"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function.
    pub function: ChatCompletionInputFunctionDefinition,
}

impl ToolElement {
    /// A function tool with a JSON-schema `parameters` object.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> Self {
        Self {
            kind: "function".into(),
            function: ChatCompletionInputFunctionDefinition {
                name: name.into(),
                description: Some(description.into()),
                parameters: Some(parameters),
                arguments: None,
            },
        }
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionInputFunctionDefinition {
    /// Function name.
    pub name: String,
    /// What the function does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments (OpenAI and current TGI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// JSON schema of the arguments under the name old TGI versions used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
}

/// Non-streamed chat completion answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutput {
    /// Generated choices.
    pub choices: Vec<ChatCompletionOutputComplete>,
    /// Creation time (Unix seconds).
    pub created: u64,
    /// Completion id (may be empty).
    pub id: String,
    /// Model that answered.
    pub model: String,
    /// Object type (`chat.completion`, or `text_completion` from older TGI).
    #[serde(default)]
    pub object: Option<String>,
    /// Server version fingerprint.
    #[serde(default)]
    pub system_fingerprint: Option<String>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<ChatCompletionOutputUsage>,
}

/// One choice of a non-streamed answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputComplete {
    /// Why generation stopped (`length`, `eos_token`, `stop`, `tool_calls`, …).
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Index of the choice.
    pub index: u32,
    /// The generated message.
    pub message: ChatCompletionOutputMessage,
    /// Log probabilities, when requested.
    #[serde(default)]
    pub logprobs: Option<ChatCompletionOutputLogprobs>,
}

/// The generated message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputMessage {
    /// Usually [`Role::Assistant`].
    pub role: Role,
    /// Generated text (absent when the model called tools).
    #[serde(default)]
    pub content: Option<String>,
    /// Participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls requested by the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ChatCompletionOutputToolCall>>,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputToolCall {
    /// Call id (old TGI sent a number; it is kept as its decimal text).
    #[serde(deserialize_with = "de_string_or_number")]
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function and its arguments.
    pub function: ChatCompletionOutputFunctionDefinition,
}

/// Function called by the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputFunctionDefinition {
    /// Function name.
    pub name: String,
    /// Arguments: a JSON object (TGI) or a string holding JSON (OpenAI).
    pub arguments: Value,
    /// Description (TGI echoes it, usually null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Value>,
}

/// Log probabilities of the generated tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputLogprobs {
    /// One entry per generated token.
    pub content: Vec<ChatCompletionOutputLogprob>,
}

/// Log probability of one token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputLogprob {
    /// The log probability.
    pub logprob: f64,
    /// The token.
    pub token: String,
    /// Most likely alternatives.
    pub top_logprobs: Vec<ChatCompletionOutputTopLogprob>,
}

/// An alternative token and its log probability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionOutputTopLogprob {
    /// The log probability.
    pub logprob: f64,
    /// The token.
    pub token: String,
}

/// Token counts of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionOutputUsage {
    /// Generated tokens.
    pub completion_tokens: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Sum of both.
    pub total_tokens: u64,
}

/// One chunk of a streamed chat completion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutput {
    /// Choices with their deltas (empty on the final usage chunk).
    pub choices: Vec<ChatCompletionStreamOutputChoice>,
    /// Creation time (Unix seconds).
    pub created: u64,
    /// Completion id.
    pub id: String,
    /// Model that answered.
    pub model: String,
    /// Object type (`chat.completion.chunk`, or `text_completion` from older TGI).
    #[serde(default)]
    pub object: Option<String>,
    /// Server version fingerprint.
    #[serde(default)]
    pub system_fingerprint: Option<String>,
    /// Token counts (only with `stream_options.include_usage`).
    #[serde(default)]
    pub usage: Option<ChatCompletionStreamOutputUsage>,
}

impl ChatCompletionStreamOutput {
    /// Text of the first choice's delta, if any (the usual way to print a stream).
    pub fn content(&self) -> Option<&str> {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
    }
}

/// One choice of a stream chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputChoice {
    /// What changed.
    pub delta: ChatCompletionStreamOutputDelta,
    /// Index of the choice.
    pub index: u32,
    /// Log probabilities of this chunk's tokens.
    #[serde(default)]
    pub logprobs: Option<ChatCompletionStreamOutputLogprobs>,
    /// Set on the last chunk of the choice.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// A delta of the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputDelta {
    /// Role (repeated by TGI on every chunk).
    #[serde(default)]
    pub role: Option<Role>,
    /// New text.
    #[serde(default)]
    pub content: Option<String>,
    /// Tool call fragments (TGI sends one object, OpenAI a list; both become a list).
    #[serde(
        default,
        deserialize_with = "de_opt_one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub tool_calls: Option<Vec<ChatCompletionStreamOutputDeltaToolCall>>,
}

/// Fragment of a tool call in a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputDeltaToolCall {
    /// Function name and argument fragment.
    pub function: ChatCompletionStreamOutputFunction,
    /// Call id.
    #[serde(deserialize_with = "de_string_or_number")]
    pub id: String,
    /// Index of the call.
    pub index: u32,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Function fragment of a streamed tool call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputFunction {
    /// Fragment of the JSON arguments.
    pub arguments: String,
    /// Function name (on the first fragment).
    #[serde(default)]
    pub name: Option<String>,
}

/// Log probabilities of the tokens of a stream chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputLogprobs {
    /// One entry per token of the chunk.
    pub content: Vec<ChatCompletionStreamOutputLogprob>,
}

/// Log probability of one streamed token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputLogprob {
    /// The log probability.
    pub logprob: f64,
    /// The token.
    pub token: String,
    /// Most likely alternatives.
    pub top_logprobs: Vec<ChatCompletionStreamOutputTopLogprob>,
}

/// An alternative streamed token and its log probability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputTopLogprob {
    /// The log probability.
    pub logprob: f64,
    /// The token.
    pub token: String,
}

/// Token counts of a streamed request (last chunk, with `stream_options.include_usage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionStreamOutputUsage {
    /// Generated tokens.
    pub completion_tokens: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Sum of both.
    pub total_tokens: u64,
}
