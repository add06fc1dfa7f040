//! [`InferenceEndpoints`] (the API handle) and [`InferenceEndpoint`] (one endpoint).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hub_core::HubClient;
use hub_core::client::json_body;
use reqwest::Method;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::types::{
    CustomImage, EndpointWire, InferenceEndpointStatus, InferenceEndpointType, ListWire,
};

/// Base URL of the Inference Endpoints API. Python hard-codes it; here it is the default of
/// [`InferenceEndpoints::with_base_url`] (not affected by `HF_ENDPOINT`).
pub const INFERENCE_ENDPOINTS_ENDPOINT: &str = "https://api.endpoints.huggingface.cloud/v2";

/// Upper bound of one readiness probe in [`InferenceEndpoint::wait`].
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handle on the Inference Endpoints API, sharing a [`HubClient`] (token, connection pool).
///
/// Every call needs a token. When `namespace` is `None`, the token owner's name (from
/// `whoami`) is used, as in Python.
///
/// ```no_run
/// # async fn run() -> hub_endpoints::Result<()> {
/// use hub_endpoints::{CreateInferenceEndpoint, InferenceEndpoints};
/// let api = InferenceEndpoints::new(hub_core::HubClient::from_env()?);
/// let mut endpoint = api.create_inference_endpoint(CreateInferenceEndpoint::new("my-endpoint", "gpt2")).await?;
/// endpoint.wait(Some(std::time::Duration::from_secs(600)), std::time::Duration::from_secs(5)).await?;
/// let client = endpoint.client()?;
/// # let _ = client;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct InferenceEndpoints {
    hub: HubClient,
    base_url: String,
    /// The token owner's name, looked up once (`whoami`) for calls without a namespace.
    default_namespace: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

impl InferenceEndpoints {
    /// A handle using [`INFERENCE_ENDPOINTS_ENDPOINT`].
    pub fn new(hub: HubClient) -> Self {
        Self {
            hub,
            base_url: INFERENCE_ENDPOINTS_ENDPOINT.to_owned(),
            default_namespace: Default::default(),
        }
    }

    /// Uses another API base URL (a test server, a proxy). Trailing `/` is removed.
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The hub client in use.
    pub fn hub_client(&self) -> &HubClient {
        &self.hub
    }

    async fn namespace(&self, namespace: Option<&str>) -> Result<String> {
        match namespace {
            Some(ns) => Ok(ns.to_owned()),
            None => {
                let name = self
                    .default_namespace
                    .get_or_try_init(|| async {
                        Ok::<_, Error>(self.hub.api().whoami().await?.name)
                    })
                    .await?;
                Ok(name.clone())
            }
        }
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<reqwest::Response> {
        let mut rb = self.hub.authed_request(method, url)?;
        if let Some(b) = body {
            rb = rb.json(b);
        }
        Ok(self.hub.send(rb, hub_core::SendOptions::new()).await?)
    }

    async fn call_endpoint(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        namespace: &str,
    ) -> Result<InferenceEndpoint> {
        let raw: Value = json_body(self.call(method, url, body).await?).await?;
        InferenceEndpoint::from_raw(raw, namespace, self.clone())
    }

    fn endpoint_url(&self, namespace: &str, name: &str) -> String {
        format!(
            "{}/endpoint/{}/{}",
            self.base_url,
            hub_core::urls::quote_segment(namespace),
            hub_core::urls::quote_segment(name)
        )
    }

    /// `GET /endpoint/{namespace}`: every endpoint of a namespace. `Some("*")` lists the user's
    /// and all of their organisations' endpoints (organisations answering 401 are skipped).
    pub async fn list(&self, namespace: Option<&str>) -> Result<Vec<InferenceEndpoint>> {
        let namespaces = if namespace == Some("*") {
            let me = self.hub.api().whoami().await?;
            std::iter::once(me.name)
                .chain(me.orgs.into_iter().map(|o| o.name))
                .collect()
        } else {
            vec![self.namespace(namespace).await?]
        };
        let mut out = Vec::new();
        for (i, ns) in namespaces.iter().enumerate() {
            let url = format!(
                "{}/endpoint/{}",
                self.base_url,
                hub_core::urls::quote_segment(ns)
            );
            let resp = match self.call(Method::GET, &url, None).await {
                Ok(r) => r,
                // An org where the token may not list endpoints is skipped, as in Python.
                Err(Error::Hub(e)) if i > 0 && e.status() == Some(401) => continue,
                Err(e) => return Err(e),
            };
            let list: ListWire = json_body(resp).await?;
            for raw in list.items {
                out.push(InferenceEndpoint::from_raw(raw, ns, self.clone())?);
            }
        }
        Ok(out)
    }

    /// `GET /endpoint/{namespace}/{name}`.
    pub async fn get(&self, name: &str, namespace: Option<&str>) -> Result<InferenceEndpoint> {
        let ns = self.namespace(namespace).await?;
        self.call_endpoint(Method::GET, &self.endpoint_url(&ns, name), None, &ns)
            .await
    }

    /// `POST /endpoint/{namespace}`: creates an endpoint (initial state `pending`).
    pub async fn create_inference_endpoint(
        &self,
        params: CreateInferenceEndpoint,
    ) -> Result<InferenceEndpoint> {
        let ns = self.namespace(params.namespace.as_deref()).await?;
        let url = format!(
            "{}/endpoint/{}",
            self.base_url,
            hub_core::urls::quote_segment(&ns)
        );
        self.call_endpoint(Method::POST, &url, Some(&params.to_body()), &ns)
            .await
    }

    /// `PUT /endpoint/{namespace}/{name}` with only the fields set in `update`.
    pub async fn update(
        &self,
        name: &str,
        namespace: Option<&str>,
        update: &UpdateInferenceEndpoint,
    ) -> Result<InferenceEndpoint> {
        let ns = self.namespace(namespace).await?;
        self.call_endpoint(
            Method::PUT,
            &self.endpoint_url(&ns, name),
            Some(&update.to_body()),
            &ns,
        )
        .await
    }

    /// `DELETE /endpoint/{namespace}/{name}` (irreversible).
    pub async fn delete(&self, name: &str, namespace: Option<&str>) -> Result<()> {
        let ns = self.namespace(namespace).await?;
        self.call(Method::DELETE, &self.endpoint_url(&ns, name), None)
            .await?;
        Ok(())
    }

    /// `POST …/pause`: stops the endpoint until [`resume`](Self::resume); not billed meanwhile.
    pub async fn pause(&self, name: &str, namespace: Option<&str>) -> Result<InferenceEndpoint> {
        let ns = self.namespace(namespace).await?;
        let url = format!("{}/pause", self.endpoint_url(&ns, name));
        self.call_endpoint(Method::POST, &url, None, &ns).await
    }

    /// `POST …/resume`. With `running_ok`, a 400 "already running" answer counts as success and
    /// the endpoint is fetched instead.
    pub async fn resume(
        &self,
        name: &str,
        namespace: Option<&str>,
        running_ok: bool,
    ) -> Result<InferenceEndpoint> {
        let ns = self.namespace(namespace).await?;
        let url = format!("{}/resume", self.endpoint_url(&ns, name));
        match self.call_endpoint(Method::POST, &url, None, &ns).await {
            Err(Error::Hub(e))
                if running_ok
                    && e.status() == Some(400)
                    && e.server_message()
                        .is_some_and(|m| m.contains("already running")) =>
            {
                self.get(name, Some(&ns)).await
            }
            other => other,
        }
    }

    /// `POST …/scale-to-zero`: frees the resources; the URL stays and the next request wakes it.
    pub async fn scale_to_zero(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<InferenceEndpoint> {
        let ns = self.namespace(namespace).await?;
        let url = format!("{}/scale-to-zero", self.endpoint_url(&ns, name));
        self.call_endpoint(Method::POST, &url, None, &ns).await
    }
}

/// Parameters of [`InferenceEndpoints::create_inference_endpoint`].
///
/// Defaults (override with the setters): framework `pytorch`, accelerator `cpu`, instance size
/// `x2`, instance type `intel-icl`, vendor `aws`, region `us-east-1`, type `protected`,
/// replicas 0..=1.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct CreateInferenceEndpoint {
    /// Endpoint name (unique in the namespace).
    pub name: String,
    /// Model repository id.
    pub repository: String,
    /// `pytorch`, `custom`, …
    pub framework: String,
    /// `cpu` or `gpu`.
    pub accelerator: String,
    /// e.g. `x2`.
    pub instance_size: String,
    /// e.g. `intel-icl`, `nvidia-a10g`.
    pub instance_type: String,
    /// Cloud region.
    pub region: String,
    /// Cloud vendor.
    pub vendor: String,
    /// Namespace (default: the token owner).
    pub namespace: Option<String>,
    /// Billing account.
    pub account_id: Option<String>,
    /// Task (default: the model's pipeline tag).
    pub task: Option<String>,
    /// Model revision.
    pub revision: Option<String>,
    /// Who may call it.
    pub kind: InferenceEndpointType,
    /// Minimum replicas (0 allows scale to zero).
    pub min_replica: u32,
    /// Maximum replicas.
    pub max_replica: u32,
    /// Minutes without traffic before scaling to zero.
    pub scale_to_zero_timeout: Option<u32>,
    /// Custom container instead of the default image.
    pub custom_image: Option<CustomImage>,
    /// Secrets exposed to the container.
    pub secrets: BTreeMap<String, String>,
    /// Environment variables of the container.
    pub env: BTreeMap<String, String>,
}

impl CreateInferenceEndpoint {
    /// Parameters for endpoint `name` serving `repository`, with the defaults above.
    pub fn new(name: impl Into<String>, repository: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            repository: repository.into(),
            framework: "pytorch".into(),
            accelerator: "cpu".into(),
            instance_size: "x2".into(),
            instance_type: "intel-icl".into(),
            region: "us-east-1".into(),
            vendor: "aws".into(),
            namespace: None,
            account_id: None,
            task: None,
            revision: None,
            kind: InferenceEndpointType::Protected,
            min_replica: 0,
            max_replica: 1,
            scale_to_zero_timeout: None,
            custom_image: None,
            secrets: BTreeMap::new(),
            env: BTreeMap::new(),
        }
    }

    /// Sets accelerator, instance size and type.
    pub fn compute(mut self, accelerator: &str, instance_size: &str, instance_type: &str) -> Self {
        self.accelerator = accelerator.into();
        self.instance_size = instance_size.into();
        self.instance_type = instance_type.into();
        self
    }

    /// Sets vendor and region.
    pub fn provider(mut self, vendor: &str, region: &str) -> Self {
        self.vendor = vendor.into();
        self.region = region.into();
        self
    }

    /// Sets the namespace.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the task.
    pub fn task(mut self, task: &str) -> Self {
        self.task = Some(task.into());
        self
    }

    /// Request body (protocol §10).
    pub fn to_body(&self) -> Value {
        let mut scaling = json!({"maxReplica": self.max_replica, "minReplica": self.min_replica});
        if let Some(t) = self.scale_to_zero_timeout {
            scaling["scaleToZeroTimeout"] = json!(t);
        }
        let image = match &self.custom_image {
            Some(c) => json!({ "custom": c }),
            None => json!({ "huggingface": {} }),
        };
        let mut model = json!({
            "framework": self.framework,
            "repository": self.repository,
            "revision": self.revision,
            "task": self.task,
            "image": image,
        });
        if !self.secrets.is_empty() {
            model["secrets"] = json!(self.secrets);
        }
        if !self.env.is_empty() {
            model["env"] = json!(self.env);
        }
        json!({
            "accountId": self.account_id,
            "compute": {
                "accelerator": self.accelerator,
                "instanceSize": self.instance_size,
                "instanceType": self.instance_type,
                "scaling": scaling,
            },
            "model": model,
            "name": self.name,
            "provider": {"region": self.region, "vendor": self.vendor},
            "type": self.kind,
        })
    }
}

/// Fields of [`InferenceEndpoints::update`]; only the ones set are sent.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct UpdateInferenceEndpoint {
    /// `cpu` or `gpu`.
    pub accelerator: Option<String>,
    /// Instance size.
    pub instance_size: Option<String>,
    /// Instance type.
    pub instance_type: Option<String>,
    /// Minimum replicas.
    pub min_replica: Option<u32>,
    /// Maximum replicas.
    pub max_replica: Option<u32>,
    /// Minutes without traffic before scaling to zero.
    pub scale_to_zero_timeout: Option<u32>,
    /// Model repository.
    pub repository: Option<String>,
    /// Framework.
    pub framework: Option<String>,
    /// Model revision.
    pub revision: Option<String>,
    /// Task.
    pub task: Option<String>,
    /// Custom container.
    pub custom_image: Option<CustomImage>,
    /// Secrets (replace the current ones).
    pub secrets: Option<BTreeMap<String, String>>,
    /// Environment variables (replace the current ones).
    pub env: Option<BTreeMap<String, String>>,
}

impl UpdateInferenceEndpoint {
    /// Partial request body, nested as the create body.
    pub fn to_body(&self) -> Value {
        let mut body = serde_json::Map::new();
        let mut compute = serde_json::Map::new();
        let mut scaling = serde_json::Map::new();
        let mut model = serde_json::Map::new();
        let put = |map: &mut serde_json::Map<String, Value>, key: &str, v: Option<Value>| {
            if let Some(v) = v {
                map.insert(key.to_owned(), v);
            }
        };
        put(
            &mut compute,
            "accelerator",
            self.accelerator.as_ref().map(|v| json!(v)),
        );
        put(
            &mut compute,
            "instanceSize",
            self.instance_size.as_ref().map(|v| json!(v)),
        );
        put(
            &mut compute,
            "instanceType",
            self.instance_type.as_ref().map(|v| json!(v)),
        );
        put(
            &mut scaling,
            "minReplica",
            self.min_replica.map(|v| json!(v)),
        );
        put(
            &mut scaling,
            "maxReplica",
            self.max_replica.map(|v| json!(v)),
        );
        put(
            &mut scaling,
            "scaleToZeroTimeout",
            self.scale_to_zero_timeout.map(|v| json!(v)),
        );
        put(
            &mut model,
            "repository",
            self.repository.as_ref().map(|v| json!(v)),
        );
        put(
            &mut model,
            "framework",
            self.framework.as_ref().map(|v| json!(v)),
        );
        put(
            &mut model,
            "revision",
            self.revision.as_ref().map(|v| json!(v)),
        );
        put(&mut model, "task", self.task.as_ref().map(|v| json!(v)));
        put(
            &mut model,
            "image",
            self.custom_image.as_ref().map(|c| json!({ "custom": c })),
        );
        put(
            &mut model,
            "secrets",
            self.secrets.as_ref().map(|v| json!(v)),
        );
        put(&mut model, "env", self.env.as_ref().map(|v| json!(v)));
        if !scaling.is_empty() {
            compute.insert("scaling".into(), Value::Object(scaling));
        }
        if !compute.is_empty() {
            body.insert("compute".into(), Value::Object(compute));
        }
        if !model.is_empty() {
            body.insert("model".into(), Value::Object(model));
        }
        Value::Object(body)
    }
}

/// One Inference Endpoint, as last fetched.
///
/// Methods that change it (`fetch`, `wait`, `pause`, …) update it in place, as Python's do.
/// `Display` prints Python's repr:
/// `InferenceEndpoint(name='my-endpoint-name', namespace='Wauplin', repository='gpt2', status='pending', url=None)`.
#[derive(Debug, Clone)]
pub struct InferenceEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Namespace (user or organisation).
    pub namespace: String,
    /// Model repository.
    pub repository: String,
    /// Current state.
    pub status: InferenceEndpointStatus,
    /// URL to send requests to; `None` until deployed.
    pub url: Option<String>,
    /// Framework.
    pub framework: Option<String>,
    /// Model revision.
    pub revision: Option<String>,
    /// Task.
    pub task: Option<String>,
    /// Access type.
    pub kind: InferenceEndpointType,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated_at: Option<DateTime<Utc>>,
    /// Server's status message, if any.
    pub message: Option<String>,
    /// The whole JSON object the API returned.
    pub raw: Value,
    api: InferenceEndpoints,
}

impl fmt::Display for InferenceEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self
            .url
            .as_deref()
            .map(|u| format!("'{u}'"))
            .unwrap_or_else(|| "None".into());
        write!(
            f,
            "InferenceEndpoint(name='{}', namespace='{}', repository='{}', status='{}', url={url})",
            self.name, self.namespace, self.repository, self.status
        )
    }
}

impl InferenceEndpoint {
    /// Builds an endpoint from the API's JSON object.
    pub fn from_raw(raw: Value, namespace: &str, api: InferenceEndpoints) -> Result<Self> {
        let wire: EndpointWire = serde_json::from_value(raw.clone()).map_err(|e| {
            Error::Hub(hub_core::Error::decode(
                api.base_url(),
                format!("invalid endpoint object: {e}"),
            ))
        })?;
        Ok(Self {
            name: wire.name,
            namespace: namespace.to_owned(),
            repository: wire.model.repository,
            status: wire.status.state,
            url: wire.status.url.filter(|u| !u.is_empty()),
            framework: wire.model.framework,
            revision: wire.model.revision,
            task: wire.model.task,
            kind: wire.kind,
            created_at: wire.status.created_at,
            updated_at: wire.status.updated_at,
            message: wire.status.message,
            raw,
            api,
        })
    }

    fn replace(&mut self, other: InferenceEndpoint) -> &mut Self {
        *self = other;
        self
    }

    /// Re-reads the endpoint from the API.
    pub async fn fetch(&mut self) -> Result<&mut Self> {
        let fresh = self.api.get(&self.name, Some(&self.namespace)).await?;
        Ok(self.replace(fresh))
    }

    /// Waits until the endpoint answers at its URL (Python 0.26's `wait`): while the URL is set,
    /// `GET <url>` returning 200 means ready; state `failed`/`updateFailed` is an error; past
    /// `timeout` gives [`Error::InferenceEndpointTimeout`]; otherwise sleep `refresh_every` and
    /// fetch again.
    pub async fn wait(
        &mut self,
        timeout: Option<Duration>,
        refresh_every: Duration,
    ) -> Result<&mut Self> {
        let start = tokio::time::Instant::now();
        loop {
            if let Some(url) = &self.url {
                let hub = &self.api.hub;
                let rb = hub.request(Method::GET, url);
                // Any answer is a verdict; the probe is not retried (the loop is the retry).
                let options = hub_core::SendOptions::new().once().pass_error_statuses();
                // A probe that fails or hangs only means "not ready yet"; it may not outlive the
                // remaining time budget.
                let budget = timeout.map_or(PROBE_TIMEOUT, |t| {
                    t.saturating_sub(start.elapsed()).min(PROBE_TIMEOUT)
                });
                if let Ok(Ok(resp)) = tokio::time::timeout(budget, hub.send(rb, options)).await
                    && resp.status().as_u16() == 200
                {
                    return Ok(self);
                }
            }
            if matches!(
                self.status,
                InferenceEndpointStatus::Failed | InferenceEndpointStatus::UpdateFailed
            ) {
                return Err(Error::InferenceEndpoint {
                    name: self.name.clone(),
                    message: format!(
                        "deployment is in state {}{}",
                        self.status,
                        self.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                });
            }
            let mut sleep = refresh_every;
            if let Some(t) = timeout {
                let elapsed = start.elapsed();
                if elapsed >= t {
                    return Err(Error::InferenceEndpointTimeout {
                        name: self.name.clone(),
                        timeout: t,
                        last_state: self.status.to_string(),
                    });
                }
                sleep = sleep.min(t - elapsed);
            }
            tokio::time::sleep(sleep).await;
            self.fetch().await?;
        }
    }

    /// Pauses the endpoint (URL removed until resumed).
    pub async fn pause(&mut self) -> Result<&mut Self> {
        let fresh = self.api.pause(&self.name, Some(&self.namespace)).await?;
        Ok(self.replace(fresh))
    }

    /// Resumes a paused endpoint (`running_ok`: an already running endpoint is not an error).
    pub async fn resume(&mut self, running_ok: bool) -> Result<&mut Self> {
        let fresh = self
            .api
            .resume(&self.name, Some(&self.namespace), running_ok)
            .await?;
        Ok(self.replace(fresh))
    }

    /// Scales the endpoint to zero (URL kept; the next request restarts it).
    pub async fn scale_to_zero(&mut self) -> Result<&mut Self> {
        let fresh = self
            .api
            .scale_to_zero(&self.name, Some(&self.namespace))
            .await?;
        Ok(self.replace(fresh))
    }

    /// Updates the endpoint (it usually goes back to `pending`).
    pub async fn update(&mut self, update: &UpdateInferenceEndpoint) -> Result<&mut Self> {
        let fresh = self
            .api
            .update(&self.name, Some(&self.namespace), update)
            .await?;
        Ok(self.replace(fresh))
    }

    /// Deletes the endpoint (irreversible).
    pub async fn delete(self) -> Result<()> {
        self.api.delete(&self.name, Some(&self.namespace)).await
    }

    /// An [`InferenceClient`](hub_inference::InferenceClient) bound to the endpoint URL, sharing
    /// the hub client; [`Error::NotDeployed`] while the endpoint has no URL.
    pub fn client(&self) -> Result<hub_inference::InferenceClient> {
        let url = self.url.as_ref().ok_or_else(|| Error::NotDeployed {
            name: self.name.clone(),
        })?;
        Ok(hub_inference::InferenceClient::builder()
            .hub_client(self.api.hub.clone())
            .model(url)
            .build()?)
    }
}
