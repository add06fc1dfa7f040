//! Server information: model status, endpoint info, health (protocol §9.1 "Other endpoints").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{InferenceClient, is_url};
use crate::error::{Error, Result};

/// Status of a model on the serverless API (`GET {endpoint}/status/{model}`), the seed's
/// `ModelStatus`: all four fields are required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelStatus {
    /// Whether the model is loaded and ready.
    pub loaded: bool,
    /// `Loadable`, `Loaded`, `TooBig`, …
    pub state: String,
    /// Hardware it runs on: an object (`{"gpu": {...}}`) in the seed, a plain string (`"cpu"`)
    /// from some service versions; kept as the JSON the server sent.
    pub compute_type: Value,
    /// Serving framework (`text-generation-inference`, `transformers`, …).
    pub framework: String,
}

/// Frameworks [`InferenceClient::list_deployed_models`] asks about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Frameworks {
    /// The main ones (Python's `MAIN_INFERENCE_API_FRAMEWORKS`).
    #[default]
    Main,
    /// Every framework the serverless API knows (Python's `ALL_INFERENCE_API_FRAMEWORKS`).
    All,
    /// These ones.
    Only(Vec<String>),
}

/// Python's `MAIN_INFERENCE_API_FRAMEWORKS`.
pub const MAIN_INFERENCE_API_FRAMEWORKS: &[&str] = &[
    "diffusers",
    "sentence-transformers",
    "text-generation-inference",
    "transformers",
];

/// Python's `ALL_INFERENCE_API_FRAMEWORKS`: the main ones, then the others.
pub const ALL_INFERENCE_API_FRAMEWORKS: &[&str] = &[
    "diffusers",
    "sentence-transformers",
    "text-generation-inference",
    "transformers",
    "adapter-transformers",
    "allennlp",
    "asteroid",
    "bertopic",
    "doctr",
    "espnet",
    "fairseq",
    "fastai",
    "fasttext",
    "flair",
    "k2",
    "keras",
    "mindspore",
    "nemo",
    "open_clip",
    "paddlenlp",
    "peft",
    "pyannote-audio",
    "sklearn",
    "spacy",
    "span-marker",
    "speechbrain",
    "stanza",
    "timm",
];

/// One model of `GET {endpoint}/framework/{framework}`.
#[derive(Deserialize)]
struct DeployedModel {
    model_id: String,
    task: String,
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

    /// Models deployed on the serverless API, by task (`GET {endpoint}/framework/{name}` for
    /// each framework). Sentence-transformers models are listed under both `feature-extraction`
    /// and `sentence-similarity`, which they all serve. Each task's models are sorted
    /// case-insensitively, without duplicates.
    pub async fn list_deployed_models(
        &self,
        frameworks: Frameworks,
    ) -> Result<BTreeMap<String, Vec<String>>> {
        let mut names: Vec<String> = match frameworks {
            Frameworks::Main => MAIN_INFERENCE_API_FRAMEWORKS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            Frameworks::All => ALL_INFERENCE_API_FRAMEWORKS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            Frameworks::Only(list) => list,
        };
        names.sort();
        names.dedup();
        let mut by_task: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for framework in names {
            let url = format!("{}/framework/{framework}", self.inference_endpoint());
            let models: Vec<DeployedModel> = serde_json::from_value(self.get_json(&url).await?)
                .map_err(|source| Error::Decode {
                    what: format!("deployed models of {framework}"),
                    source,
                })?;
            for model in models {
                if framework == "sentence-transformers" {
                    for task in ["feature-extraction", "sentence-similarity"] {
                        by_task
                            .entry(task.to_owned())
                            .or_default()
                            .push(model.model_id.clone());
                    }
                } else {
                    by_task.entry(model.task).or_default().push(model.model_id);
                }
            }
        }
        for models in by_task.values_mut() {
            models.sort();
            models.dedup();
            models.sort_by_key(|m| m.to_lowercase());
        }
        Ok(by_task)
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
