//! Inference Endpoints lifecycle, and Space runtime management, on a shared
//! [`hub_core::HubClient`].
//!
//! [`InferenceEndpoints`] is a thin handle on the Endpoints API (`/v2/endpoint/{namespace}…`,
//! base URL configurable for tests and proxies). It creates, lists, updates, pauses, resumes,
//! scales to zero and deletes endpoints; each returns an [`InferenceEndpoint`] whose methods
//! update it in place, as Python's do. [`InferenceEndpoint::wait`] polls with a caller-set
//! timeout and refresh interval, and [`InferenceEndpoint::client`] hands out a
//! [`hub_inference::InferenceClient`] bound to the endpoint URL that shares the same hub client.
//!
//! [`Spaces`] covers the Space runtime calls: runtime, hardware, sleep time, storage,
//! pause/restart, secrets and variables.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> hub_endpoints::Result<()> {
//! use std::time::Duration;
//! use hub_endpoints::{CreateInferenceEndpoint, InferenceEndpoints, InferenceEndpointStatus};
//! use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage as Msg};
//!
//! let api = InferenceEndpoints::new(hub_core::HubClient::from_env()?);
//! let params = CreateInferenceEndpoint::new("my-endpoint", "HuggingFaceH4/zephyr-7b-beta")
//!     .compute("gpu", "x1", "nvidia-a10g")
//!     .task("text-generation");
//! let mut endpoint = api.create_inference_endpoint(params).await?;
//! println!("{endpoint}"); // InferenceEndpoint(name='my-endpoint', ..., status='pending', url=None)
//! endpoint.wait(Some(Duration::from_secs(900)), Duration::from_secs(5)).await?;
//! assert_eq!(endpoint.status, InferenceEndpointStatus::Running);
//! let answer = endpoint.client()?.chat_completion(&ChatCompletionInput::new([Msg::user("Hi")])).await?;
//! println!("{:?}", answer.choices[0].message.content);
//! endpoint.scale_to_zero().await?; // free while idle, wakes on the next request
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! - States and types are enums with an `Unknown(String)` fallback, so a state added by the
//!   service does not break parsing ([`InferenceEndpointStatus`], [`InferenceEndpointType`]).
//! - `wait` follows Python 0.26: once the endpoint has a URL, a `GET` of it answering 200 means
//!   ready; states `failed`/`updateFailed` end the wait with [`Error::InferenceEndpoint`]; past
//!   the timeout it returns [`Error::InferenceEndpointTimeout`].
//! - Update bodies carry only the fields that were set, nested as the create body
//!   ([`UpdateInferenceEndpoint::to_body`]).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod endpoints;
mod error;
pub mod spaces;
pub mod types;

pub use endpoints::{
    CreateInferenceEndpoint, INFERENCE_ENDPOINTS_ENDPOINT, InferenceEndpoint, InferenceEndpoints,
    UpdateInferenceEndpoint,
};
pub use error::{Error, Result};
pub use spaces::{SpaceHardware, SpaceRuntime, SpaceStage, SpaceStorage, SpaceVariable, Spaces};
pub use types::{CustomImage, InferenceEndpointStatus, InferenceEndpointType};
