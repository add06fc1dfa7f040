//! Client for Hugging Face inference: the serverless Inference API, Inference Endpoints,
//! text-generation-inference (TGI) and any OpenAI-compatible server.
//!
//! One [`InferenceClient`] covers every task of the Python `InferenceClient` — chat completion
//! (plain and streamed), text generation, and the classification, vision, audio, tabular and
//! NLP tasks — with typed inputs and outputs ([`types`]), typed errors ([`Error`]), and a raw
//! [`InferenceClient::post`] for anything else. It is built on a shared
//! [`hub_core::HubClient`], so token, user-agent and connection pool are common with the rest
//! of hub-rs.
//!
//! # Examples
//!
//! A task on the serverless API (model id → `{HF_INFERENCE_ENDPOINT}/models/{id}`):
//!
//! ```no_run
//! # async fn run() -> hub_inference::Result<()> {
//! use hub_inference::InferenceClient;
//! let client = InferenceClient::new("distilroberta-base")?;
//! for candidate in client.fill_mask("The goal of life is <mask>.", None).await? {
//!     println!("{:.3} {}", candidate.score, candidate.sequence);
//! }
//! # Ok(()) }
//! ```
//!
//! Streamed chat against any OpenAI-compatible server, with the OpenAI-style aliases
//! (`base_url`, `api_key`, `chat().completions()`):
//!
//! ```no_run
//! # async fn run() -> hub_inference::Result<()> {
//! use futures::StreamExt;
//! use hub_inference::InferenceClient;
//! use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage as Msg};
//!
//! let client = InferenceClient::builder()
//!     .base_url("http://localhost:8080/v1") // → http://localhost:8080/v1/chat/completions
//!     .api_key("hf_xxx")
//!     .timeout(std::time::Duration::from_secs(30))
//!     .build()?;
//! let input = ChatCompletionInput::new([Msg::system("Be brief."), Msg::user("Count to 10")]).with_max_tokens(64);
//! let mut stream = client.chat().completions().create_stream(&input).await?;
//! while let Some(chunk) = stream.next().await {
//!     print!("{}", chunk?.content().unwrap_or(""));
//! }
//! # Ok(()) }
//! ```
//!
//! Handling errors by kind:
//!
//! ```no_run
//! # async fn run(client: hub_inference::InferenceClient) {
//! use hub_inference::Error;
//! match client.text_generation("test", None).await {
//!     Ok(out) => println!("{}", out.generated_text),
//!     Err(Error::Validation { message, .. }) => eprintln!("rejected: {message}"),
//!     Err(e) if e.is_timeout() => eprintln!("gave up waiting"),
//!     Err(e) => eprintln!("{e}"),
//! }
//! # }
//! ```
//!
//! # Design
//!
//! - **URL resolution** follows the protocol exactly ([`InferenceClient::resolve_url`]): a URL
//!   is used as is; a model id goes to `{endpoint}/models/{id}` (`/pipeline/{task}/{id}` for
//!   feature extraction and sentence similarity); chat appends `/v1/chat/completions` unless the
//!   URL already ends with `/v1` or `/chat/completions`.
//! - **Streams are pull-based.** [`ChatCompletionStream`] and [`TextGenerationStream`] own the
//!   HTTP response and do all their work inside `poll_next` — byte stream → SSE framing
//!   ([`sse::SseDecoder`]) → JSON. No task is spawned, nothing is read ahead of the consumer, and
//!   dropping the stream closes the connection. Comments and keep-alives are skipped, `[DONE]`
//!   ends the stream, and an error event inside a 200 stream is yielded as a typed error before
//!   the stream ends. With a client timeout, a stream silent for longer than the timeout yields
//!   [`Error::InferenceTimeout`].
//! - **Transport**: a 503 "model loading" answer is retried every second (with
//!   `X-wait-for-model: 1` on the serverless API) until the client timeout; 422 and TGI
//!   `error_type`s become [`Error::Validation`], [`Error::Generation`], …; other HTTP errors are
//!   hub-core's ([`Error::Hub`]) and carry the server's message and request id.
//! - **Request bodies are the seed's**: every task takes a typed parameter struct; a parameter
//!   that is set is sent as set, one that is not is not sent, and only the defaults the seed
//!   documents for Python's methods are sent unasked (text generation's `details`, `do_sample`,
//!   `return_full_text`, `stop`; zero-shot classification's `multi_label`).
//! - **Outputs are the seed's**: required fields must be present, optional ones are `Option`s
//!   that stay `None` when not sent (no made-up zeros).
//! - **The legacy [`InferenceApi`]** (deprecated) is kept for code written against Python's
//!   `InferenceApi`: task from the model's `pipeline_tag`, `/pipeline/{task}/{model}` URLs.
//! - **Text generation on non-TGI models**: parameters a transformers pipeline rejects
//!   (`model_kwargs` not used) are remembered per model and the call is retried without them.
//!
//! # Crate features
//!
//! - `blocking`: `blocking::InferenceClient`, a synchronous facade that runs calls on a
//!   dedicated runtime thread (safe to use, and to drop, from any thread including async code).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod chat;
mod client;
mod error;
mod info;
mod input;
mod legacy;
pub mod sse;
pub mod stream;
mod tasks;
mod text_generation;
pub mod types;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use chat::{Chat, Completions};
pub use client::{
    DEFAULT_INFERENCE_ENDPOINT, InferenceClient, InferenceClientBuilder, Payload, PostRequest,
    RawResponse,
};
pub use error::{Error, Result};
pub use info::{
    ALL_INFERENCE_API_FRAMEWORKS, Frameworks, MAIN_INFERENCE_API_FRAMEWORKS, ModelStatus,
};
pub use input::BinaryInput;
#[allow(deprecated)]
pub use legacy::{
    InferenceApi, InferenceApiBuilder, InferenceApiCall, InferenceApiOutput, LEGACY_TASKS,
};
pub use stream::{ChatCompletionStream, JsonEventStream, TextGenerationStream};
