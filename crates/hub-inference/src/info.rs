//! Server information: model status, endpoint info, health (protocol §9.1 "Other endpoints").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{InferenceClient, is_url};
use crate::error::{Error, Result};

/// Status of a model on the serverless API (`GET {endpoint}/status/{model}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelStatus {
    /// Whether the model is loaded and ready.
    #[serde(default)]
    pub loaded: bool,
    /// `Loadable`, `Loaded`, `TooBig`, …
    #[serde(default)]
    pub state: String,
    /// Hardware it runs on (a string or an object, depending on the service version).
    #[serde(default)]
    pub compute_type: Value,
    /// Serving framework (`text-generation-inference`, `transformers`, …).
    #[serde(default)]
    pub framework: String,
}

impl InferenceClient {
    async fn get_json(&self, url: &str) -> Result<Value> {
        let hub = self.hub_client();
        let rb = hub.request(reqwest::Method::GET, url);
        Ok(hub.send_json(rb, hub_core::SendOptions::new()).await?)
    }

    /// Status of a model id on the serverless API. URLs have no status (use
    /// [`health_check`](Self::health_check)).
    pub async fn get_model_status(&self, model: Option<&str>) -> Result<ModelStatus> {
        let model = model
            .or(self.model())
            .ok_or_else(|| Error::InvalidArgument("give a model id to get its status".into()))?;
        if is_url(model) {
            return Err(Error::InvalidArgument(
                "model status is only available for model ids".into(),
            ));
        }
        let value = self
            .get_json(&format!("{}/status/{model}", self.inference_endpoint()))
            .await?;
        if let Some(error) = value.get("error") {
            let message = error
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| error.to_string());
            return Err(Error::Server {
                error_type: None,
                message,
            });
        }
        serde_json::from_value(value).map_err(|source| Error::Decode {
            what: "model status".into(),
            source,
        })
    }

    /// `GET {url}/info` of a TGI server or endpoint (or `{endpoint}/models/{id}/info`).
    pub async fn get_endpoint_info(&self, model: Option<&str>) -> Result<Value> {
        let model = model
            .or(self.model())
            .ok_or_else(|| Error::InvalidArgument("give a model id or URL".into()))?;
        let base = if is_url(model) {
            model.trim_end_matches('/').to_owned()
        } else {
            self.model_url(model, None)
        };
        self.get_json(&format!("{base}/info")).await
    }

    /// `GET {url}/health` of a deployed server: `true` iff it answers 200. Only for URLs.
    pub async fn health_check(&self, url: Option<&str>) -> Result<bool> {
        let url = url
            .or(self.model())
            .filter(|u| is_url(u))
            .ok_or_else(|| Error::InvalidArgument("health checks need a server URL".into()))?;
        let url = format!("{}/health", url.trim_end_matches('/'));
        let hub = self.hub_client();
        let rb = hub.request(reqwest::Method::GET, &url);
        // Any answer is a verdict; only a failure to get one is an error.
        let options = hub_core::SendOptions::new().once().pass_error_statuses();
        let resp = hub.send(rb, options).await?;
        Ok(resp.status().as_u16() == 200)
    }
}
