//! Repository CRUD: create, delete, move, settings, duplicate a Space (protocol §6).

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::api::HfApi;
use crate::client::{FullResponse, SendOptions, decode_json};
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType, RepoUrl};
use crate::types::{
    CreateRepoResponse, Gated, SpaceHardware, SpaceKeyValue, SpaceSdk, SpaceStorage,
};

/// Body text of the transient 409 the Hub answers while another operation holds the repo name.
const CONFLICTING_OPERATION: &str =
    "Cannot create repo: another conflicting operation is in progress";
/// How often `create_repo` re-posts on that transient 409 (Python loops forever).
const CONFLICT_RETRIES: usize = 20;

/// Space options shared by `create_repo` and `duplicate_space`.
#[derive(Debug, Clone, Default)]
struct SpaceOptions {
    hardware: Option<SpaceHardware>,
    storage: Option<SpaceStorage>,
    sleep_time: Option<u64>,
    secrets: Vec<SpaceKeyValue>,
    variables: Vec<SpaceKeyValue>,
}

impl SpaceOptions {
    fn write_into(&self, body: &mut Map<String, Value>) {
        if let Some(h) = &self.hardware {
            body.insert("hardware".into(), json!(h));
        }
        if let Some(s) = self.storage {
            body.insert("storageTier".into(), json!(s));
        }
        if let Some(t) = self.sleep_time {
            body.insert("sleepTimeSeconds".into(), json!(t));
        }
        if !self.secrets.is_empty() {
            body.insert("secrets".into(), json!(self.secrets));
        }
        if !self.variables.is_empty() {
            body.insert("variables".into(), json!(self.variables));
        }
    }
    fn is_empty(&self) -> bool {
        self.hardware.is_none()
            && self.storage.is_none()
            && self.sleep_time.is_none()
            && self.secrets.is_empty()
            && self.variables.is_empty()
    }
}

/// Reads the `url` of a create/duplicate answer (200 or 409) into a [`RepoUrl`] on this
/// client's endpoint.
fn repo_url_from(api: &HfApi, resp: &FullResponse, repo_type: RepoType) -> Result<RepoUrl> {
    let body: CreateRepoResponse = decode_json(&resp.url, &resp.body)?;
    let endpoint = api.client().endpoint();
    let parsed = RepoUrl::parse(&body.url, endpoint)
        .ok()
        .map(|u| (u.repo_type(), u.repo_id().clone()))
        .or_else(|| {
            let name = body.name.as_deref()?;
            Some((repo_type, RepoId::new(name).ok()?))
        });
    match parsed {
        // Rebuilt on our endpoint: the canonical `https://huggingface.co` is rewritten, as Python does.
        Some((t, id)) => Ok(RepoUrl::new(endpoint, t, id)),
        None => Err(Error::decode(
            &body.url,
            format!(
                "cannot read a repository id from the returned url {:?}",
                body.url
            ),
        )),
    }
}

/// Builder of [`HfApi::create_repo`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CreateRepoBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    private: bool,
    exist_ok: bool,
    resource_group_id: Option<String>,
    sdk: Option<SpaceSdk>,
    space: SpaceOptions,
}

impl CreateRepoBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Create a private repository (default false).
    pub fn private(mut self, yes: bool) -> Self {
        self.private = yes;
        self
    }
    /// Succeed (returning its URL) when the repository already exists (default false: a 409
    /// [`Error::HubHttp`]).
    pub fn exist_ok(mut self, yes: bool) -> Self {
        self.exist_ok = yes;
        self
    }
    /// Resource group (Enterprise organisations).
    pub fn resource_group_id(mut self, id: impl Into<String>) -> Self {
        self.resource_group_id = Some(id.into());
        self
    }
    /// SDK of a Space (required for Spaces).
    pub fn space_sdk(mut self, sdk: SpaceSdk) -> Self {
        self.sdk = Some(sdk);
        self
    }
    /// Hardware of a Space (`cpu-basic`, `t4-small`, ...).
    pub fn space_hardware(mut self, hardware: impl Into<SpaceHardware>) -> Self {
        self.space.hardware = Some(hardware.into());
        self
    }
    /// Persistent storage of a Space.
    pub fn space_storage(mut self, storage: SpaceStorage) -> Self {
        self.space.storage = Some(storage);
        self
    }
    /// Seconds of inactivity before a Space sleeps.
    pub fn space_sleep_time(mut self, seconds: u64) -> Self {
        self.space.sleep_time = Some(seconds);
        self
    }
    /// Secrets of a Space.
    pub fn space_secrets(mut self, secrets: Vec<SpaceKeyValue>) -> Self {
        self.space.secrets = secrets;
        self
    }
    /// Public variables of a Space.
    pub fn space_variables(mut self, variables: Vec<SpaceKeyValue>) -> Self {
        self.space.variables = variables;
        self
    }

    /// The JSON body this builder posts (for inspection and tests).
    pub fn body(&self) -> Result<Value> {
        let mut body = Map::new();
        body.insert("name".into(), json!(self.repo_id.name()));
        body.insert("organization".into(), json!(self.repo_id.namespace()));
        body.insert("private".into(), json!(self.private));
        if self.repo_type != RepoType::Model {
            body.insert("type".into(), json!(self.repo_type.as_str()));
        }
        if self.repo_type == RepoType::Space {
            let sdk = self.sdk.ok_or_else(|| {
                Error::invalid_argument(
                    "No space_sdk provided. `create_repo` expects space_sdk to be one of ['gradio', 'streamlit', 'docker', 'static'] when repo_type is 'space'`",
                )
            })?;
            body.insert("sdk".into(), json!(sdk.as_str()));
            self.space.write_into(&mut body);
        } else if self.sdk.is_some() || !self.space.is_empty() {
            return Err(Error::invalid_argument(
                "Ignoring provided space_sdk/space options because repo_type is not 'space'.",
            ));
        }
        if let Some(rg) = &self.resource_group_id {
            body.insert("resourceGroupId".into(), json!(rg));
        }
        Ok(Value::Object(body))
    }

    /// Sends the request; returns the repository URL.
    pub fn send(self) -> BoxFuture<'static, Result<RepoUrl>> {
        Box::pin(create_repo_impl(self))
    }
}

crate::api::into_future!(CreateRepoBuilder, RepoUrl);

async fn create_repo_impl(b: CreateRepoBuilder) -> Result<RepoUrl> {
    let body = b.body()?;
    let client = b.api.client();
    let url = format!("{}/api/repos/create", client.endpoint());
    let mut attempts = 0;
    loop {
        let rb = client.authed_request(Method::POST, &url)?.json(&body);
        // A repeated create is detectable: it answers 409 with the repository's URL.
        let options = SendOptions::new().repeatable(true).pass_status(409);
        // Read whole, so a body cut after the server acted is retried too (and answers 409).
        let resp = client.send_read(rb, options).await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) if b.exist_ok && e.status() == Some(403) => {
                // No right to create here: fine if the repository is already visible.
                return match b
                    .api
                    .repo_info(&b.repo_id)
                    .repo_type(b.repo_type)
                    .send()
                    .await
                {
                    Ok(info) => Ok(RepoUrl::new(
                        client.endpoint(),
                        b.repo_type,
                        RepoId::new(info.id()).unwrap_or_else(|_| b.repo_id.clone()),
                    )),
                    Err(_) => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        if resp.status != 409 {
            return repo_url_from(&b.api, &resp, b.repo_type);
        }
        // An earlier attempt whose answer was lost created it.
        let created_by_us = resp.attempts > 1;
        let (headers, resp_url, bytes) = (&resp.headers, &resp.url, &resp.body);
        let text = String::from_utf8_lossy(bytes);
        if text.contains(CONFLICTING_OPERATION) && attempts < CONFLICT_RETRIES {
            attempts += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        if b.exist_ok || created_by_us {
            let parsed: CreateRepoResponse = crate::client::decode_json(resp_url, bytes)?;
            let endpoint = client.endpoint();
            return Ok(match RepoUrl::parse(&parsed.url, endpoint) {
                Ok(u) => RepoUrl::new(endpoint, u.repo_type(), u.repo_id().clone()),
                Err(_) => RepoUrl::new(endpoint, b.repo_type, b.repo_id.clone()),
            });
        }
        return Err(crate::error::map_status(409, resp_url, headers, bytes)
            .unwrap_or_else(|| Error::decode(resp_url, "409")));
    }
}

/// Builder of [`HfApi::delete_repo`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DeleteRepoBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    missing_ok: bool,
}

impl DeleteRepoBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Succeed when the repository does not exist (default false:
    /// [`Error::RepositoryNotFound`]).
    pub fn missing_ok(mut self, yes: bool) -> Self {
        self.missing_ok = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let client = self.api.client();
            let url = format!("{}/api/repos/delete", client.endpoint());
            let mut body = json!({
                "name": self.repo_id.name(),
                "organization": self.repo_id.namespace(),
            });
            if self.repo_type != RepoType::Model {
                body["type"] = json!(self.repo_type.as_str());
            }
            // DELETE with a JSON body (protocol §6.2).
            let rb = client.authed_request(Method::DELETE, &url)?.json(&body);
            match client.send(rb, SendOptions::new()).await {
                Ok(_) => Ok(()),
                Err(Error::RepositoryNotFound(_)) if self.missing_ok => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
}

crate::api::into_future!(DeleteRepoBuilder, ());

/// Builder of [`HfApi::move_repo`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct MoveRepoBuilder {
    api: HfApi,
    from: RepoId,
    to: RepoId,
    repo_type: RepoType,
}

impl MoveRepoBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            for id in [&self.from, &self.to] {
                if id.namespace().is_none() {
                    return Err(Error::invalid_argument(format!(
                        "Invalid repo_id: {id}. It should have a namespace (:namespace:/:repo_name:)"
                    )));
                }
            }
            let client = self.api.client();
            let url = format!("{}/api/repos/move", client.endpoint());
            let body = json!({
                "fromRepo": self.from.as_str(),
                "toRepo": self.to.as_str(),
                "type": self.repo_type.as_str(),
            });
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            client.send(rb, SendOptions::new()).await.map(drop)
        })
    }
}

crate::api::into_future!(MoveRepoBuilder, ());

/// Builder of [`HfApi::update_repo_settings`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct UpdateSettingsBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    private: Option<bool>,
    gated: Option<Gated>,
}

impl UpdateSettingsBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Make the repository private or public (default: unchanged).
    pub fn private(mut self, yes: bool) -> Self {
        self.private = Some(yes);
        self
    }
    /// Gating: [`Gated::Auto`], [`Gated::Manual`] or [`Gated::Disabled`] (default: unchanged).
    pub fn gated(mut self, gated: Gated) -> Self {
        self.gated = Some(gated);
        self
    }
    /// Sends the request; returns the server's JSON answer.
    pub fn send(self) -> BoxFuture<'static, Result<Value>> {
        Box::pin(async move {
            let mut body = Map::new();
            if let Some(g) = &self.gated {
                if let Gated::Other(o) = g {
                    return Err(Error::invalid_argument(format!(
                        "Invalid gated status, must be one of 'auto', 'manual' or False. Got '{o}'."
                    )));
                }
                body.insert("gated".into(), json!(g));
            }
            if let Some(p) = self.private {
                body.insert("private".into(), json!(p));
            }
            if body.is_empty() {
                return Err(Error::invalid_argument(
                    "At least one setting ('private' or 'gated') must be given.",
                ));
            }
            let client = self.api.client();
            let url = format!(
                "{}/settings",
                self.api.repo_api_url(self.repo_type, &self.repo_id)
            );
            let rb = client.authed_request(Method::PUT, &url)?.json(&body);
            let resp = client.send(rb, SendOptions::new()).await?;
            // The answer body is not specified beyond `private`; an empty body is fine.
            let url = resp.url().to_string();
            let bytes = resp.bytes().await.map_err(|e| Error::transport(&url, e))?;
            Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        })
    }
}

crate::api::into_future!(UpdateSettingsBuilder, Value);

/// Builder of [`HfApi::duplicate_space`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DuplicateSpaceBuilder {
    api: HfApi,
    from: RepoId,
    to: Option<String>,
    private: Option<bool>,
    exist_ok: bool,
    space: SpaceOptions,
}

impl DuplicateSpaceBuilder {
    /// Target id; without namespace the token owner's is used, and by default the source's name.
    pub fn to_id(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }
    /// Make the copy private or public (default: as the server decides, the source's).
    pub fn private(mut self, yes: bool) -> Self {
        self.private = Some(yes);
        self
    }
    /// Succeed (returning its URL) when the target exists (default false).
    pub fn exist_ok(mut self, yes: bool) -> Self {
        self.exist_ok = yes;
        self
    }
    /// Hardware of the copy.
    pub fn hardware(mut self, hardware: impl Into<SpaceHardware>) -> Self {
        self.space.hardware = Some(hardware.into());
        self
    }
    /// Persistent storage of the copy.
    pub fn storage(mut self, storage: SpaceStorage) -> Self {
        self.space.storage = Some(storage);
        self
    }
    /// Sleep time of the copy, in seconds.
    pub fn sleep_time(mut self, seconds: u64) -> Self {
        self.space.sleep_time = Some(seconds);
        self
    }
    /// Secrets of the copy.
    pub fn secrets(mut self, secrets: Vec<SpaceKeyValue>) -> Self {
        self.space.secrets = secrets;
        self
    }
    /// Variables of the copy.
    pub fn variables(mut self, variables: Vec<SpaceKeyValue>) -> Self {
        self.space.variables = variables;
        self
    }
    /// Sends the request; returns the URL of the copy.
    pub fn send(self) -> BoxFuture<'static, Result<RepoUrl>> {
        Box::pin(duplicate_impl(self))
    }
}

crate::api::into_future!(DuplicateSpaceBuilder, RepoUrl);

async fn duplicate_impl(b: DuplicateSpaceBuilder) -> Result<RepoUrl> {
    // Python: the target namespace defaults to the token owner, the name to the source's.
    let (ns, name) = match b.to.as_deref() {
        Some(to) => match to.split_once('/') {
            Some((ns, name)) => (Some(ns.to_owned()), name.to_owned()),
            None => (None, to.to_owned()),
        },
        None => (None, b.from.name().to_owned()),
    };
    let ns = match ns {
        Some(ns) => ns,
        None => b.api.whoami().await?.name,
    };
    let to_id = RepoId::new(format!("{ns}/{name}"))?;
    let mut body = Map::new();
    body.insert("repository".into(), json!(to_id.as_str()));
    if let Some(p) = b.private {
        body.insert("private".into(), json!(p));
    }
    b.space.write_into(&mut body);
    let client = b.api.client();
    let url = format!("{}/duplicate", b.api.repo_api_url(RepoType::Space, &b.from));
    let rb = client.authed_request(Method::POST, &url)?.json(&body);
    let options = SendOptions::new().repeatable(true).pass_status(409);
    let resp = client.send_read(rb, options).await?;
    if resp.status == 409 && !b.exist_ok && resp.attempts == 1 {
        return Err(
            crate::error::map_status(409, &resp.url, &resp.headers, &resp.body)
                .unwrap_or_else(|| Error::decode(&resp.url, "409")),
        );
    }
    repo_url_from(&b.api, &resp, RepoType::Space)
}

impl HfApi {
    /// `POST /api/repos/create`: creates a repository and returns its URL.
    ///
    /// A `repo_id` without namespace is created in the token owner's namespace. Options:
    /// `.repo_type()`, `.private()` (default false), `.exist_ok()` (default false; the URL is then
    /// read from the 409 answer), `.resource_group_id()`, and for Spaces `.space_sdk()`
    /// (required), `.space_hardware()`, `.space_storage()`, `.space_sleep_time()`,
    /// `.space_secrets()`, `.space_variables()`.
    ///
    /// ```no_run
    /// # async fn run(api: hub_core::HfApi) -> hub_core::Result<()> {
    /// use hub_core::{RepoId, RepoType, types::SpaceSdk};
    /// let url = api.create_repo(&RepoId::new("my-space")?).repo_type(RepoType::Space)
    ///     .space_sdk(SpaceSdk::Gradio).private(true).exist_ok(true).send().await?;
    /// println!("{url}");
    /// # Ok(()) }
    /// ```
    pub fn create_repo(&self, repo_id: &RepoId) -> CreateRepoBuilder {
        CreateRepoBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            private: false,
            exist_ok: false,
            resource_group_id: None,
            sdk: None,
            space: SpaceOptions::default(),
        }
    }

    /// `DELETE /api/repos/delete` (JSON body): deletes a repository. Irreversible.
    pub fn delete_repo(&self, repo_id: &RepoId) -> DeleteRepoBuilder {
        DeleteRepoBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            missing_ok: false,
        }
    }

    /// `POST /api/repos/move`: renames a repository or transfers it to an organisation. Both
    /// ids need a namespace.
    pub fn move_repo(&self, from_id: &RepoId, to_id: &RepoId) -> MoveRepoBuilder {
        MoveRepoBuilder {
            api: self.clone(),
            from: from_id.clone(),
            to: to_id.clone(),
            repo_type: RepoType::Model,
        }
    }

    /// `PUT /api/{type}s/{repo_id}/settings`: changes `private` and/or `gated`.
    pub fn update_repo_settings(&self, repo_id: &RepoId) -> UpdateSettingsBuilder {
        UpdateSettingsBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            private: None,
            gated: None,
        }
    }

    /// Deprecated form of [`HfApi::update_repo_settings`] with only `private`; returns the
    /// server's JSON answer (`{"private": ...}`).
    pub async fn update_repo_visibility(
        &self,
        repo_id: &RepoId,
        private: bool,
        repo_type: RepoType,
    ) -> Result<Value> {
        self.update_repo_settings(repo_id)
            .repo_type(repo_type)
            .private(private)
            .send()
            .await
    }

    /// `POST /api/spaces/{from_id}/duplicate`: copies a Space. Options: `.to_id()`,
    /// `.private()`, `.exist_ok()`, `.hardware()`, `.storage()`, `.sleep_time()`, `.secrets()`,
    /// `.variables()`.
    pub fn duplicate_space(&self, from_id: &RepoId) -> DuplicateSpaceBuilder {
        DuplicateSpaceBuilder {
            api: self.clone(),
            from: from_id.clone(),
            to: None,
            private: None,
            exist_ok: false,
            space: SpaceOptions::default(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn api() -> HfApi {
        crate::HubClient::builder()
            .config(crate::Config::default())
            .build()
            .unwrap()
            .api()
    }

    #[test]
    fn create_bodies() {
        let b = api()
            .create_repo(&RepoId::new("x").unwrap())
            .body()
            .unwrap();
        assert_eq!(
            b,
            json!({"name": "x", "organization": null, "private": false})
        );
        let b = api()
            .create_repo(&RepoId::new("ns/s").unwrap())
            .repo_type(RepoType::Space)
            .space_sdk(SpaceSdk::Docker)
            .space_hardware("t4-small")
            .space_storage(SpaceStorage::Small)
            .space_sleep_time(3600)
            .space_secrets(vec![SpaceKeyValue::new("K", "V")])
            .space_variables(vec![SpaceKeyValue {
                key: "A".into(),
                value: "B".into(),
                description: Some("d".into()),
            }])
            .private(true)
            .body()
            .unwrap();
        assert_eq!(
            b,
            json!({"name": "s", "organization": "ns", "private": true, "type": "space",
                   "sdk": "docker", "hardware": "t4-small", "storageTier": "small",
                   "sleepTimeSeconds": 3600, "secrets": [{"key": "K", "value": "V"}],
                   "variables": [{"key": "A", "value": "B", "description": "d"}]})
        );
        let e = api()
            .create_repo(&RepoId::new("ns/s").unwrap())
            .repo_type(RepoType::Space)
            .body()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)));
        assert!(
            api()
                .create_repo(&RepoId::new("ns/m").unwrap())
                .space_sdk(SpaceSdk::Gradio)
                .body()
                .is_err()
        );
    }
}
