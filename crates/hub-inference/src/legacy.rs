//! The legacy `InferenceApi` client that the seed still documents (deprecated in favour of
//! [`InferenceClient`]).
//!
//! It is bound to one model and one task: construction reads the model's `pipeline_tag` from the
//! Hub (`GET {hub}/api/models/{repo_id}`) unless a task is forced, and every call posts
//! `{"options": {"wait_for_model": true, "use_gpu": …}, "inputs"?, "parameters"?}` (or raw
//! bytes) to `{inference endpoint}/pipeline/{task}/{repo_id}` — the URL Python's `InferenceApi`
//! uses for every task. Answers are JSON or a decoded image; anything else needs
//! [`InferenceApiCall::raw_response`].
//!
//! Differences from Python 0.26.5, on purpose: a forced task that is not a known task is refused
//! before any request (Python asks the Hub first); HTTP errors are typed [`Error`]s instead of a
//! response carrying the error; a JSON answer with a `charset` parameter is accepted as JSON.
#![allow(deprecated)]

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use bytes::Bytes;
use hub_core::{HubClient, RepoId, Token};
use serde_json::{Value, json};

use crate::client::{InferenceClient, Payload, RawResponse};
use crate::error::{Error, Result};

/// Tasks a legacy client may be forced to: Python's `InferenceApi.ALL_TASKS`, plus the other
/// serverless tasks of the seed's `InferenceClient` (which Python accepts when they match the
/// model's `pipeline_tag`).
pub const LEGACY_TASKS: &[&str] = &[
    // Python's `ALL_TASKS`, in its order.
    "text-classification",
    "token-classification",
    "table-question-answering",
    "question-answering",
    "zero-shot-classification",
    "translation",
    "summarization",
    "conversational",
    "feature-extraction",
    "text-generation",
    "text2text-generation",
    "fill-mask",
    "sentence-similarity",
    "text-to-speech",
    "automatic-speech-recognition",
    "audio-to-audio",
    "audio-classification",
    "voice-activity-detection",
    "image-classification",
    "object-detection",
    "image-segmentation",
    "text-to-image",
    "image-to-image",
    "tabular-classification",
    "tabular-regression",
    // The seed's other serverless tasks.
    "depth-estimation",
    "document-question-answering",
    "image-to-text",
    "text-to-audio",
    "video-classification",
    "visual-question-answering",
    "zero-shot-image-classification",
    "zero-shot-object-detection",
];

/// Client for one model and one task of the serverless Inference API (the legacy Python
/// `InferenceApi`).
///
/// ```no_run
/// # #![allow(deprecated)]
/// # async fn run() -> hub_inference::Result<()> {
/// use hub_inference::{InferenceApi, InferenceApiOutput};
/// use serde_json::json;
/// let api = InferenceApi::builder("bert-base-uncased").await?; // task: the model's pipeline_tag
/// assert_eq!(api.task(), "fill-mask");
/// if let InferenceApiOutput::Json(answer) = api.call().inputs(json!("The goal of life is [MASK].")).await? {
///     println!("{answer}");
/// }
/// # Ok(()) }
/// ```
#[deprecated(note = "use InferenceClient")]
#[derive(Clone)]
pub struct InferenceApi {
    client: InferenceClient,
    repo_id: RepoId,
    task: String,
    api_url: String,
    use_gpu: bool,
}

impl std::fmt::Debug for InferenceApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("InferenceApi")
            .field("api_url", &self.api_url)
            .field("task", &self.task)
            .field("use_gpu", &self.use_gpu)
            .finish_non_exhaustive()
    }
}

/// Builds an [`InferenceApi`]; awaiting it (or [`send`](Self::send)) validates the task and asks
/// the Hub for the model's `pipeline_tag`.
#[deprecated(note = "use InferenceClient")]
#[must_use]
pub struct InferenceApiBuilder {
    repo_id: String,
    task: Option<String>,
    token: Option<Token>,
    gpu: bool,
    hub: Option<HubClient>,
    inference_endpoint: Option<String>,
}

impl std::fmt::Debug for InferenceApiBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferenceApiBuilder")
            .field("repo_id", &self.repo_id)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

impl InferenceApi {
    /// Starts a client for `repo_id` (e.g. `"bert-base-uncased"`).
    pub fn builder(repo_id: impl Into<String>) -> InferenceApiBuilder {
        InferenceApiBuilder {
            repo_id: repo_id.into(),
            task: None,
            token: None,
            gpu: false,
            hub: None,
            inference_endpoint: None,
        }
    }

    /// The model.
    pub fn repo_id(&self) -> &RepoId {
        &self.repo_id
    }

    /// The task: the forced one, else the model's `pipeline_tag`.
    pub fn task(&self) -> &str {
        &self.task
    }

    /// `{inference endpoint}/pipeline/{task}/{repo_id}`, where calls go.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// Whether calls ask for a GPU (`options.use_gpu`).
    pub fn use_gpu(&self) -> bool {
        self.use_gpu
    }

    /// Starts a call; set `inputs`, `params` or raw `data`, then await it.
    pub fn call(&self) -> InferenceApiCall<'_> {
        InferenceApiCall {
            api: self,
            inputs: None,
            params: None,
            data: None,
        }
    }
}

impl InferenceApiBuilder {
    /// Forces the task instead of the model's `pipeline_tag`. Must be one of [`LEGACY_TASKS`].
    pub fn task(mut self, task: impl Into<String>) -> Self {
        self.task = Some(task.into());
        self
    }

    /// Token for the model-info request and the calls. Default: the hub client's token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token::new(token));
        self
    }

    /// Asks for a GPU (`options.use_gpu: true`). Default: false.
    pub fn gpu(mut self, gpu: bool) -> Self {
        self.gpu = gpu;
        self
    }

    /// Shares this hub client (Hub endpoint, user-agent, connection pool). Default: a client
    /// configured from the environment.
    pub fn hub_client(mut self, hub: HubClient) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Serverless endpoint. Default: the hub client's (`HF_INFERENCE_ENDPOINT`).
    pub fn inference_endpoint(mut self, url: impl Into<String>) -> Self {
        self.inference_endpoint = Some(url.into());
        self
    }

    /// Validates the task, reads the model's `pipeline_tag` and builds the client.
    pub async fn send(self) -> Result<InferenceApi> {
        let repo_id = RepoId::new(&self.repo_id)?;
        if let Some(task) = self
            .task
            .as_ref()
            .filter(|t| !LEGACY_TASKS.contains(&t.as_str()))
        {
            return Err(Error::UnknownTask { task: task.clone() });
        }
        let hub = match self.hub {
            Some(hub) => hub,
            None => HubClient::builder().build()?,
        };
        let hub = match &self.token {
            Some(token) => hub.with_token(Some(token.clone())),
            None => hub,
        };
        let info = hub.api().model_info(&repo_id).send().await?;
        let pipeline_tag = info.pipeline_tag;
        let task = match (self.task, pipeline_tag) {
            (Some(task), tag) => {
                if tag.as_deref().is_some_and(|t| t != task) {
                    tracing::warn!(
                        %task,
                        pipeline_tag = ?tag,
                        "using a different task than the model's pipeline_tag"
                    );
                }
                task
            }
            (None, Some(tag)) => tag,
            (None, None) => {
                return Err(Error::NoTask {
                    repo_id: repo_id.as_str().to_owned(),
                });
            }
        };
        let mut builder = InferenceClient::builder().hub_client(hub);
        if let Some(ep) = self.inference_endpoint {
            builder = builder.inference_endpoint(ep);
        }
        let client = builder.build()?;
        let api_url = format!(
            "{}/pipeline/{task}/{}",
            client.inference_endpoint(),
            repo_id.as_str()
        );
        Ok(InferenceApi {
            client,
            repo_id,
            task,
            api_url,
            use_gpu: self.gpu,
        })
    }
}

impl IntoFuture for InferenceApiBuilder {
    type Output = Result<InferenceApi>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A decoded answer of [`InferenceApi`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InferenceApiOutput {
    /// A JSON answer.
    Json(Value),
    /// An image answer (`Content-Type: image/…`), decoded.
    Image(image::DynamicImage),
}

/// One call of an [`InferenceApi`]; await it for the decoded answer, or use
/// [`raw_response`](Self::raw_response).
#[deprecated(note = "use InferenceClient")]
#[must_use]
#[derive(Debug)]
pub struct InferenceApiCall<'a> {
    api: &'a InferenceApi,
    inputs: Option<Value>,
    params: Option<Value>,
    data: Option<Bytes>,
}

/// Python sends `inputs` and `parameters` only when they are truthy.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

impl InferenceApiCall<'_> {
    /// Inputs of the prediction (a string, an object, a list, …).
    pub fn inputs(mut self, inputs: Value) -> Self {
        self.inputs = Some(inputs);
        self
    }

    /// Parameters, sent as `parameters`.
    pub fn params(mut self, params: Value) -> Self {
        self.params = Some(params);
        self
    }

    /// Raw request body (an image, an audio clip). When set, it is sent instead of the JSON
    /// body, as Python does, so `inputs` and `params` are not sent.
    pub fn data(mut self, data: impl Into<Bytes>) -> Self {
        self.data = Some(data.into());
        self
    }

    fn payload(&self) -> Payload {
        if let Some(data) = &self.data {
            return Payload::Bytes(data.clone());
        }
        let mut body = json!({
            "options": {"wait_for_model": true, "use_gpu": self.api.use_gpu},
        });
        if let Some(inputs) = self.inputs.as_ref().filter(|v| truthy(v)) {
            body["inputs"] = inputs.clone();
        }
        if let Some(params) = self.params.as_ref().filter(|v| truthy(v)) {
            body["parameters"] = params.clone();
        }
        Payload::Json(body)
    }

    /// Sends the call and returns the answer as received.
    pub async fn raw_response(self) -> Result<RawResponse> {
        let payload = self.payload();
        // No task: the legacy client sends no task-specific headers.
        self.api
            .client
            .send_bytes(&self.api.api_url, &payload, None, &[])
            .await
    }

    /// Sends the call and decodes the answer: JSON, or an image.
    pub async fn send(self) -> Result<InferenceApiOutput> {
        let task = self.api.task.clone();
        let raw = self.raw_response().await?;
        let content_type = raw.content_type().unwrap_or("").to_owned();
        if content_type.starts_with("image") {
            let image = image::load_from_memory(&raw.body).map_err(|e| Error::Image {
                task,
                message: e.to_string(),
            })?;
            Ok(InferenceApiOutput::Image(image))
        } else if content_type.starts_with("application/json") {
            Ok(InferenceApiOutput::Json(raw.json(&task)?))
        } else {
            Err(Error::Unsupported(format!(
                "task {task:?} answered {content_type:?}, which is not decoded; use \
                 `raw_response()` and read the body yourself"
            )))
        }
    }
}

impl<'a> IntoFuture for InferenceApiCall<'a> {
    type Output = Result<InferenceApiOutput>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_python() {
        for v in [
            json!(""),
            json!([]),
            json!({}),
            json!(null),
            json!(0),
            json!(false),
        ] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [
            json!("x"),
            json!([1]),
            json!({"a": 1}),
            json!(2),
            json!(true),
        ] {
            assert!(truthy(&v), "{v}");
        }
    }
}
