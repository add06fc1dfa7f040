//! [`InferenceClient`], its builder, URL resolution and the transport (retries, errors, timeouts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hub_core::{HubClient, Token};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::stream::{JsonEventStream, error_from_value};

/// Default serverless inference endpoint (`HF_INFERENCE_ENDPOINT` overrides it through
/// hub-core's `Config`).
pub const DEFAULT_INFERENCE_ENDPOINT: &str = "https://api-inference.huggingface.co";

/// Tasks whose serverless URL is `{endpoint}/pipeline/{task}/{model}` rather than
/// `{endpoint}/models/{model}`: one model can serve both, so the task must be explicit.
const PIPELINE_TASKS: &[&str] = &["feature-extraction", "sentence-similarity"];

pub(crate) struct Inner {
    pub(crate) hub: HubClient,
    /// Model id or URL (`base_url` is the same setting).
    pub(crate) model: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) headers: HeaderMap,
    pub(crate) inference_endpoint: String,
    pub(crate) wait_for_model: bool,
    pub(crate) model_loading_retry_interval: Duration,
    /// Parameters each model rejected as `model_kwargs` (non-TGI models); shared by clones so a
    /// model is probed once per client family, as Python does once per process.
    pub(crate) unsupported_kwargs: Arc<Mutex<HashMap<String, Vec<String>>>>,
    /// Recommended models per task, fetched once from `{hub}/api/tasks`.
    pub(crate) recommended: Arc<tokio::sync::OnceCell<HashMap<String, String>>>,
}

/// Client for the serverless Inference API, Inference Endpoints, TGI and any OpenAI-compatible
/// server.
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool of the underlying
/// [`HubClient`].
///
/// ```no_run
/// # async fn run() -> hub_inference::Result<()> {
/// use hub_inference::InferenceClient;
/// let client = InferenceClient::builder().model("distilbert-base-uncased-finetuned-sst-2-english").build()?;
/// let labels = client.text_classification("I like you", None).await?;
/// println!("{} {:.3}", labels[0].label, labels[0].score);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct InferenceClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for InferenceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("InferenceClient")
            .field("model", &self.inner.model)
            .field("inference_endpoint", &self.inner.inference_endpoint)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Builds an [`InferenceClient`]. Setters never fail; errors surface in [`build`](Self::build).
#[derive(Default)]
#[must_use]
pub struct InferenceClientBuilder {
    hub: Option<HubClient>,
    model: Option<String>,
    token: Option<Token>,
    timeout: Option<Duration>,
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
    inference_endpoint: Option<String>,
    wait_for_model: Option<bool>,
    retry_interval: Option<Duration>,
}

impl std::fmt::Debug for InferenceClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferenceClientBuilder")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl InferenceClientBuilder {
    /// Shares this hub client (connection pool, user-agent, token, `HF_INFERENCE_ENDPOINT`).
    /// Default: a client configured from the environment.
    pub fn hub_client(mut self, hub: HubClient) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Default model: a Hub model id (`"gpt2"`) or a URL (Inference Endpoint, TGI, local server).
    /// Default: none — each task then uses the Hub's recommended model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// OpenAI-style alias of [`model`](Self::model): the server's base URL (`…/v1` accepted).
    pub fn base_url(self, base_url: impl Into<String>) -> Self {
        self.model(base_url)
    }

    /// Token sent as `Authorization: Bearer`. Default: the hub client's token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token::new(token));
        self
    }

    /// OpenAI-style alias of [`token`](Self::token).
    pub fn api_key(self, api_key: impl Into<String>) -> Self {
        self.token(api_key)
    }

    /// Upper bound of one call, including waiting for a model to load; for streams, the longest
    /// allowed silence between two chunks. Expiry gives [`Error::InferenceTimeout`].
    /// Default: none (wait forever, as Python).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a header to every request (e.g. `x-use-cache: false`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a cookie to every request.
    pub fn cookie(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.cookies.push((name.into(), value.into()));
        self
    }

    /// Serverless endpoint used to resolve model ids. Default: the hub client's
    /// `inference_endpoint` (`HF_INFERENCE_ENDPOINT`, else [`DEFAULT_INFERENCE_ENDPOINT`]).
    pub fn inference_endpoint(mut self, url: impl Into<String>) -> Self {
        self.inference_endpoint = Some(url.into());
        self
    }

    /// Whether a 503 "model loading" answer is retried (with `X-wait-for-model: 1` on
    /// serverless URLs) until the client timeout, or returned at once as
    /// [`Error::ModelLoading`]. Default: `true`, as Python 0.26.
    pub fn wait_for_model(mut self, wait: bool) -> Self {
        self.wait_for_model = Some(wait);
        self
    }

    /// Pause between two attempts while a model loads. Default: 1 second.
    pub fn model_loading_retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = Some(interval);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<InferenceClient> {
        let hub = match self.hub {
            Some(hub) => hub,
            None => HubClient::builder().build()?,
        };
        // An explicit token rides on the shared client, so every request of this client goes
        // through `HubClient::send` with it.
        let hub = match self.token {
            Some(token) => hub.with_token(Some(token)),
            None => hub,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::InvalidArgument(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::InvalidArgument(format!("invalid value for header {name}")))?;
            headers.append(name, value);
        }
        if !self.cookies.is_empty() {
            let joined = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let value = HeaderValue::from_str(&joined)
                .map_err(|_| Error::InvalidArgument("invalid cookie value".into()))?;
            headers.append(reqwest::header::COOKIE, value);
        }
        let inference_endpoint = self
            .inference_endpoint
            .unwrap_or_else(|| hub.config().inference_endpoint.clone())
            .trim_end_matches('/')
            .to_owned();
        Ok(InferenceClient {
            inner: Arc::new(Inner {
                hub,
                model: self.model,
                timeout: self.timeout,
                headers,
                inference_endpoint,
                wait_for_model: self.wait_for_model.unwrap_or(true),
                model_loading_retry_interval: self.retry_interval.unwrap_or(Duration::from_secs(1)),
                unsupported_kwargs: Arc::default(),
                recommended: Arc::default(),
            }),
        })
    }
}

/// Body of a request.
#[derive(Debug, Clone, Default)]
pub enum Payload {
    /// No body.
    #[default]
    Empty,
    /// A JSON body (`Content-Type: application/json`).
    Json(serde_json::Value),
    /// Raw bytes, sent without an explicit `Content-Type`.
    Bytes(Bytes),
}

/// A raw request for [`InferenceClient::post`], for tasks without a dedicated method.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PostRequest {
    pub(crate) payload: Payload,
    pub(crate) model: Option<String>,
    pub(crate) task: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

impl PostRequest {
    /// A request with a JSON body.
    pub fn json(body: impl Serialize) -> Result<Self> {
        let value = serde_json::to_value(body)
            .map_err(|e| Error::InvalidArgument(format!("body is not serialisable: {e}")))?;
        Ok(Self {
            payload: Payload::Json(value),
            ..Self::default()
        })
    }

    /// A request with a raw body.
    pub fn bytes(body: impl Into<Bytes>) -> Self {
        Self {
            payload: Payload::Bytes(body.into()),
            ..Self::default()
        }
    }

    /// Model id or URL for this call (overrides the client's).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Task name, used to pick a recommended model and the `pipeline/` URL form.
    pub fn task(mut self, task: impl Into<String>) -> Self {
        self.task = Some(task.into());
        self
    }

    /// Adds a header to this call.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A successful raw answer.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// `Content-Type` of the answer.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|source| Error::Decode {
            what: what.into(),
            source,
        })
    }
}

pub(crate) fn is_url(model: &str) -> bool {
    model.starts_with("http://") || model.starts_with("https://")
}

/// Chat URL rule of the protocol (§9.1): strip trailing `/`; `…/v1` gets `/chat/completions`;
/// anything not already ending in `/chat/completions` gets `/v1/chat/completions`.
pub(crate) fn chat_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/chat/completions") {
        base.to_owned()
    } else if base.ends_with("/v1") {
        format!("{base}/chat/completions")
    } else {
        format!("{base}/v1/chat/completions")
    }
}

impl InferenceClient {
    /// Starts a builder.
    pub fn builder() -> InferenceClientBuilder {
        InferenceClientBuilder::default()
    }

    /// A client for `model` (id or URL) with everything else from the environment.
    pub fn new(model: impl Into<String>) -> Result<Self> {
        Self::builder().model(model).build()
    }

    /// The same client bound to another model (shares the connection pool and caches).
    #[must_use]
    pub fn with_model(&self, model: impl Into<String>) -> Self {
        let i = &self.inner;
        InferenceClient {
            inner: Arc::new(Inner {
                hub: i.hub.clone(),
                model: Some(model.into()),
                timeout: i.timeout,
                headers: i.headers.clone(),
                inference_endpoint: i.inference_endpoint.clone(),
                wait_for_model: i.wait_for_model,
                model_loading_retry_interval: i.model_loading_retry_interval,
                unsupported_kwargs: i.unsupported_kwargs.clone(),
                recommended: i.recommended.clone(),
            }),
        }
    }

    /// The default model (id or URL), if set.
    pub fn model(&self) -> Option<&str> {
        self.inner.model.as_deref()
    }

    /// The serverless endpoint used to resolve model ids.
    pub fn inference_endpoint(&self) -> &str {
        &self.inner.inference_endpoint
    }

    /// The underlying hub client.
    pub fn hub_client(&self) -> &HubClient {
        &self.inner.hub
    }

    /// URL a task call goes to (protocol §9.1): a URL model is used as is; a model id becomes
    /// `{endpoint}/models/{id}` (`{endpoint}/pipeline/{task}/{id}` for feature extraction and
    /// sentence similarity); without a model, the Hub's recommended model for `task` is used.
    pub async fn resolve_url(&self, model: Option<&str>, task: Option<&str>) -> Result<String> {
        let model = match model.or(self.inner.model.as_deref()) {
            Some(m) => m.to_owned(),
            None => {
                let task = task.ok_or_else(|| {
                    Error::InvalidArgument("no model given and no task to recommend one for".into())
                })?;
                self.recommended_model(task).await?
            }
        };
        Ok(self.model_url(&model, task))
    }

    pub(crate) fn model_url(&self, model: &str, task: Option<&str>) -> String {
        if is_url(model) {
            return model.to_owned();
        }
        let ep = &self.inner.inference_endpoint;
        match task {
            Some(t) if PIPELINE_TASKS.contains(&t) => format!("{ep}/pipeline/{t}/{model}"),
            _ => format!("{ep}/models/{model}"),
        }
    }

    /// The Hub's recommended model for `task` (first `widgetModels` entry of `GET /api/tasks`).
    pub async fn recommended_model(&self, task: &str) -> Result<String> {
        let map = self
            .inner
            .recommended
            .get_or_try_init(|| async {
                let url = format!("{}/api/tasks", self.inner.hub.endpoint());
                let hub = &self.inner.hub;
                let tasks: HashMap<String, serde_json::Value> = hub
                    .send_json(
                        hub.request(reqwest::Method::GET, &url),
                        hub_core::SendOptions::new(),
                    )
                    .await?;
                Ok::<_, Error>(
                    tasks
                        .into_iter()
                        .filter_map(|(task, info)| {
                            let first = info
                                .get("widgetModels")?
                                .as_array()?
                                .first()?
                                .as_str()?
                                .to_owned();
                            Some((task, first))
                        })
                        .collect(),
                )
            })
            .await?;
        map.get(task).cloned().ok_or_else(|| {
            Error::Unsupported(format!(
                "no recommended model for task {task:?}; pass a model"
            ))
        })
    }

    /// Sends a raw request and returns the whole answer (no task-specific parsing).
    ///
    /// ```no_run
    /// # async fn run() -> hub_inference::Result<()> {
    /// use hub_inference::{InferenceClient, PostRequest};
    /// let client = InferenceClient::builder().build()?;
    /// let req = PostRequest::json(serde_json::json!({"inputs": "An astronaut riding a horse"}))?
    ///     .model("stabilityai/stable-diffusion-2-1");
    /// let image = client.post(req).await?;
    /// println!("{} bytes of {:?}", image.body.len(), image.content_type());
    /// # Ok(()) }
    /// ```
    pub async fn post(&self, req: PostRequest) -> Result<RawResponse> {
        let url = self
            .resolve_url(req.model.as_deref(), req.task.as_deref())
            .await?;
        self.send_bytes(&url, &req.payload, req.task.as_deref(), &req.headers)
            .await
    }

    /// Sends a raw request and returns the response as soon as its headers arrived (for
    /// streaming bodies). Error statuses are mapped as for [`post`](Self::post).
    pub async fn post_response(&self, req: PostRequest) -> Result<reqwest::Response> {
        let url = self
            .resolve_url(req.model.as_deref(), req.task.as_deref())
            .await?;
        self.with_timeout(
            &url,
            self.send(&url, &req.payload, req.task.as_deref(), &req.headers),
        )
        .await
    }

    /// Sends and reads the whole body, all under the client timeout.
    pub(crate) async fn send_bytes(
        &self,
        url: &str,
        payload: &Payload,
        task: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<RawResponse> {
        self.with_timeout(url, async {
            let resp = self.send(url, payload, task, headers).await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| Error::Hub(hub_core::Error::transport(url, e)))?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        })
        .await
    }

    /// Sends a JSON request and returns an event stream. The timeout covers the wait for the
    /// response headers, then each silence between chunks.
    pub(crate) async fn send_stream<T: DeserializeOwned>(
        &self,
        url: &str,
        payload: &Payload,
        task: Option<&str>,
    ) -> Result<JsonEventStream<T>> {
        let resp = self
            .with_timeout(url, self.send(url, payload, task, &[]))
            .await?;
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if is_json {
            // A server that ignored `stream: true` (or answered an error with a 200) sent one
            // JSON document instead of events: report it rather than yield an empty stream.
            let body = self
                .with_timeout(url, async {
                    resp.bytes()
                        .await
                        .map_err(|e| Error::Hub(hub_core::Error::transport(url, e)))
                })
                .await?;
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|source| Error::Decode {
                    what: "stream".into(),
                    source,
                })?;
            if let Some(error) = value.get("error") {
                let kind = value.get("error_type").and_then(|t| t.as_str());
                return Err(error_from_value(error, kind, None));
            }
            return Err(Error::Unsupported(format!(
                "{} answered with a single JSON document instead of an event stream",
                hub_core::error::redact_url(url)
            )));
        }
        Ok(JsonEventStream::from_response(resp, self.inner.timeout))
    }

    async fn with_timeout<T>(
        &self,
        url: &str,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.inner.timeout {
            None => fut.await,
            Some(timeout) => match tokio::time::timeout(timeout, fut).await {
                Ok(r) => r,
                Err(_) => Err(Error::InferenceTimeout {
                    url: hub_core::error::redact_url(url),
                    timeout,
                }),
            },
        }
    }

    /// One logical POST: retries 503 "model loading" answers, maps error statuses.
    async fn send(
        &self,
        url: &str,
        payload: &Payload,
        task: Option<&str>,
        extra_headers: &[(String, String)],
    ) -> Result<reqwest::Response> {
        let hub = &self.inner.hub;
        let mut attempt = 0u32;
        loop {
            let mut rb = hub
                .request(reqwest::Method::POST, url)
                .headers(self.inner.headers.clone());
            if matches!(task, Some("text-to-image" | "image-to-image"))
                && !self.inner.headers.contains_key(reqwest::header::ACCEPT)
                && !extra_headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
            {
                rb = rb.header(reqwest::header::ACCEPT, "image/png");
            }
            for (k, v) in extra_headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            // Only the serverless API understands this header; other servers may reject it.
            if attempt > 0 && url.starts_with(&self.inner.inference_endpoint) {
                rb = rb.header("X-wait-for-model", "1");
            }
            rb = match payload {
                Payload::Empty => rb,
                Payload::Json(v) => rb.json(v),
                Payload::Bytes(b) => rb.body(b.clone()),
            };
            // Inference changes nothing on the server, so a lost connection is retried by the
            // client's policy; error answers come back here, where an inference server's
            // `error_type`s and the 503 of a loading model get their own meaning.
            let options = hub_core::SendOptions::new()
                .repeatable(true)
                .pass_error_statuses();
            let resp = hub.send(rb, options).await?;
            let status = resp.status().as_u16();
            if status < 400 {
                return Ok(resp);
            }
            let resp_url = resp.url().to_string();
            let headers = resp.headers().clone();
            // The body is only read for its message; a broken body still gives the status error.
            let body = resp.bytes().await.unwrap_or_default();
            if status == 503 && self.inner.wait_for_model {
                tracing::debug!(url, attempt, "model loading (503), retrying");
                tokio::time::sleep(self.inner.model_loading_retry_interval).await;
                attempt += 1;
                continue;
            }
            return Err(map_error(status, &resp_url, &headers, &body, task));
        }
    }
}

/// Turns an error answer into an [`Error`]: TGI `error_type`s and 422 become typed inference
/// errors, 503 becomes [`Error::ModelLoading`], everything else goes through hub-core's mapping.
pub(crate) fn map_error(
    status: u16,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    task: Option<&str>,
) -> Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error_field = json.as_ref().and_then(|j| j.get("error"));
    let error_type = json
        .as_ref()
        .and_then(|j| j.get("error_type"))
        .and_then(|t| t.as_str());
    if status == 503 {
        let message = hub_core::error::server_message(headers, body)
            .unwrap_or_else(|| "model is loading".into());
        let estimated_time = json
            .as_ref()
            .and_then(|j| j.get("estimated_time"))
            .and_then(|t| t.as_f64());
        return Error::ModelLoading {
            message,
            estimated_time,
        };
    }
    if let (Some(error), Some(kind)) = (error_field, error_type) {
        return error_from_value(error, Some(kind), Some(status));
    }
    if status == 422 {
        let mut message = hub_core::error::server_message(headers, body).unwrap_or_default();
        if let Some(task) = task {
            message.push_str(&format!(
                "\nMake sure '{task}' task is supported by the model."
            ));
        }
        return Error::Validation {
            status: Some(status),
            message,
        };
    }
    match hub_core::error::map_status(status, url, headers, body) {
        Some(e) => Error::Hub(e),
        None => Error::Hub(hub_core::Error::decode(
            url,
            format!("unexpected status {status}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(model: Option<&str>) -> InferenceClient {
        let hub = HubClient::builder()
            .config(hub_core::Config::builder().build())
            .no_token()
            .build()
            .unwrap();
        let mut b = InferenceClient::builder()
            .hub_client(hub)
            .inference_endpoint("https://inf.example/");
        if let Some(m) = model {
            b = b.model(m);
        }
        b.build().unwrap()
    }

    #[test]
    fn chat_url_rules() {
        assert_eq!(
            chat_url("http://h:8080"),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://h:8080/"),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://h:8080/v1"),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://h:8080/v1/"),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://h/v1/chat/completions"),
            "http://h/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://h/v1/chat/completions/"),
            "http://h/v1/chat/completions"
        );
        assert_eq!(
            chat_url("https://inf.example/models/m"),
            "https://inf.example/models/m/v1/chat/completions"
        );
    }

    #[tokio::test]
    async fn model_resolution() {
        let c = client(Some("gpt2"));
        assert_eq!(
            c.resolve_url(None, Some("text-generation")).await.unwrap(),
            "https://inf.example/models/gpt2"
        );
        assert_eq!(
            c.resolve_url(None, Some("feature-extraction"))
                .await
                .unwrap(),
            "https://inf.example/pipeline/feature-extraction/gpt2"
        );
        assert_eq!(
            c.resolve_url(Some("org/m"), None).await.unwrap(),
            "https://inf.example/models/org/m"
        );
        assert_eq!(
            c.resolve_url(Some("http://local:1/x"), Some("fill-mask"))
                .await
                .unwrap(),
            "http://local:1/x"
        );
        let url_client = client(Some("https://ep.example/"));
        assert_eq!(
            url_client
                .resolve_url(None, Some("sentence-similarity"))
                .await
                .unwrap(),
            "https://ep.example/"
        );
    }

    #[test]
    fn map_error_kinds() {
        let h = HeaderMap::new();
        let e = map_error(
            422,
            "http://x",
            &h,
            br#"{"error":"bad","error_type":"validation"}"#,
            None,
        );
        assert!(
            matches!(e, Error::Validation { status: Some(422), ref message } if message == "bad")
        );
        let e = map_error(
            422,
            "http://x",
            &h,
            b"Failed to deserialize",
            Some("fill-mask"),
        );
        assert!(
            matches!(e, Error::Validation { ref message, .. } if message.starts_with("Failed to deserialize"))
        );
        let e = map_error(
            503,
            "http://x",
            &h,
            br#"{"error":"Model x is currently loading","estimated_time":20.5}"#,
            None,
        );
        assert!(matches!(e, Error::ModelLoading { estimated_time: Some(t), .. } if t == 20.5));
        let e = map_error(400, "http://x", &h, br#"{"error":"nope"}"#, None);
        assert!(matches!(e, Error::Hub(hub_core::Error::BadRequest(_))));
        assert_eq!(e.server_message(), Some("nope"));
        let e = map_error(500, "http://x", &h, br#"{"error":"crash"}"#, None);
        assert_eq!(e.status(), Some(500));
    }

    #[test]
    fn debug_hides_token() {
        let hub = HubClient::builder()
            .config(hub_core::Config::builder().build())
            .no_token()
            .build()
            .unwrap();
        let c = InferenceClient::builder()
            .hub_client(hub)
            .api_key("hf_secret_value")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("hf_secret_value"));
    }
}
