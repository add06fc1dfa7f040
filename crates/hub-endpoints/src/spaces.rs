//! Space runtime management (protocol §8.5): runtime, hardware, sleep time, storage, pause,
//! restart, secrets and variables.
//!
//! These calls go to the Hub (`{HF_ENDPOINT}/api/spaces/{id}/…`) and need a token.

use std::collections::BTreeMap;

use hub_core::client::json_body;
use hub_core::{HubClient, RepoId};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Result;
pub use hub_core::types::{SpaceHardware, SpaceRuntime, SpaceStage, SpaceStorage};

/// A Space variable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceVariable {
    /// Value.
    pub value: String,
    /// Description, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// Last update (ISO 8601 text as sent).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Handle on the Space runtime API of a hub.
#[derive(Debug, Clone)]
pub struct Spaces {
    hub: HubClient,
}

impl Spaces {
    /// A handle sharing `hub`.
    pub fn new(hub: HubClient) -> Self {
        Self { hub }
    }

    fn url(&self, repo_id: &RepoId, tail: &str) -> String {
        format!("{}/api/spaces/{}/{tail}", self.hub.endpoint(), repo_id)
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<reqwest::Response> {
        let mut rb = self.hub.authed_request(method, url)?;
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Ok(self.hub.send(rb, hub_core::SendOptions::new()).await?)
    }

    async fn runtime_call(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<SpaceRuntime> {
        let raw: Value = json_body(self.call(method, url, body).await?).await?;
        Ok(SpaceRuntime::from_value(raw, url)?)
    }

    /// `GET /api/spaces/{id}/runtime`.
    pub async fn get_space_runtime(&self, repo_id: &RepoId) -> Result<SpaceRuntime> {
        self.runtime_call(Method::GET, &self.url(repo_id, "runtime"), None)
            .await
    }

    /// `POST /api/spaces/{id}/pause` (stays paused until restarted).
    pub async fn pause_space(&self, repo_id: &RepoId) -> Result<SpaceRuntime> {
        self.runtime_call(Method::POST, &self.url(repo_id, "pause"), None)
            .await
    }

    /// `POST /api/spaces/{id}/restart[?factory=true]`.
    pub async fn restart_space(
        &self,
        repo_id: &RepoId,
        factory_reboot: bool,
    ) -> Result<SpaceRuntime> {
        let mut url = self.url(repo_id, "restart");
        if factory_reboot {
            url.push_str("?factory=true");
        }
        self.runtime_call(Method::POST, &url, None).await
    }

    /// `POST /api/spaces/{id}/hardware` with a flavor ([`SpaceHardware::T4Medium`], or a
    /// string such as `"t4-medium"`) and optional sleep time in seconds.
    pub async fn request_space_hardware(
        &self,
        repo_id: &RepoId,
        hardware: impl Into<SpaceHardware>,
        sleep_time: Option<u64>,
    ) -> Result<SpaceRuntime> {
        let mut body = json!({ "flavor": hardware.into().as_str() });
        if let Some(s) = sleep_time {
            body["sleepTimeSeconds"] = json!(s);
        }
        self.runtime_call(Method::POST, &self.url(repo_id, "hardware"), Some(body))
            .await
    }

    /// `POST /api/spaces/{id}/sleeptime` (seconds; `-1` never sleeps on upgraded hardware).
    pub async fn set_space_sleep_time(
        &self,
        repo_id: &RepoId,
        seconds: i64,
    ) -> Result<SpaceRuntime> {
        self.runtime_call(
            Method::POST,
            &self.url(repo_id, "sleeptime"),
            Some(json!({ "seconds": seconds })),
        )
        .await
    }

    /// `POST /api/spaces/{id}/storage` with a [`SpaceStorage`] tier.
    pub async fn request_space_storage(
        &self,
        repo_id: &RepoId,
        storage: SpaceStorage,
    ) -> Result<SpaceRuntime> {
        self.runtime_call(
            Method::POST,
            &self.url(repo_id, "storage"),
            Some(json!({ "tier": storage.as_str() })),
        )
        .await
    }

    /// `DELETE /api/spaces/{id}/storage`.
    pub async fn delete_space_storage(&self, repo_id: &RepoId) -> Result<SpaceRuntime> {
        self.runtime_call(Method::DELETE, &self.url(repo_id, "storage"), None)
            .await
    }

    /// `POST /api/spaces/{id}/secrets` (insert or update; the Space restarts).
    pub async fn add_space_secret(
        &self,
        repo_id: &RepoId,
        key: &str,
        value: &str,
        description: Option<&str>,
    ) -> Result<()> {
        let mut body = json!({ "key": key, "value": value });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        self.call(Method::POST, &self.url(repo_id, "secrets"), Some(body))
            .await?;
        Ok(())
    }

    /// `DELETE /api/spaces/{id}/secrets` with `{"key"}` (a missing key is not an error).
    pub async fn delete_space_secret(&self, repo_id: &RepoId, key: &str) -> Result<()> {
        self.call(
            Method::DELETE,
            &self.url(repo_id, "secrets"),
            Some(json!({ "key": key })),
        )
        .await?;
        Ok(())
    }

    /// `GET /api/spaces/{id}/variables`.
    pub async fn get_space_variables(
        &self,
        repo_id: &RepoId,
    ) -> Result<BTreeMap<String, SpaceVariable>> {
        Ok(json_body(
            self.call(Method::GET, &self.url(repo_id, "variables"), None)
                .await?,
        )
        .await?)
    }

    /// `POST /api/spaces/{id}/variables` (insert or update); returns all variables.
    pub async fn add_space_variable(
        &self,
        repo_id: &RepoId,
        key: &str,
        value: &str,
        description: Option<&str>,
    ) -> Result<BTreeMap<String, SpaceVariable>> {
        let mut body = json!({ "key": key, "value": value });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        Ok(json_body(
            self.call(Method::POST, &self.url(repo_id, "variables"), Some(body))
                .await?,
        )
        .await?)
    }

    /// `DELETE /api/spaces/{id}/variables` with `{"key"}`; returns the remaining variables.
    pub async fn delete_space_variable(
        &self,
        repo_id: &RepoId,
        key: &str,
    ) -> Result<BTreeMap<String, SpaceVariable>> {
        Ok(json_body(
            self.call(
                Method::DELETE,
                &self.url(repo_id, "variables"),
                Some(json!({ "key": key })),
            )
            .await?,
        )
        .await?)
    }
}
