//! Repository info (`model_info`, `dataset_info`, `space_info`, `repo_info`) and the existence
//! checks built on it (protocol §3.1).

use std::marker::PhantomData;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::api::{HfApi, bool_str};
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType};
use crate::types::{DatasetInfo, ModelInfo, RepoInfo, SpaceInfo};

#[derive(Debug, Clone)]
struct InfoParams {
    repo_id: RepoId,
    repo_type: RepoType,
    revision: Option<String>,
    files_metadata: bool,
    security_status: bool,
    expand: Vec<String>,
    timeout: Option<Duration>,
}

impl InfoParams {
    fn new(repo_id: &RepoId, repo_type: RepoType) -> Self {
        InfoParams {
            repo_id: repo_id.clone(),
            repo_type,
            revision: None,
            files_metadata: false,
            security_status: false,
            expand: Vec::new(),
            timeout: None,
        }
    }
}

/// Builder of [`HfApi::model_info`], [`HfApi::dataset_info`] and [`HfApi::space_info`]; `T` is
/// the info type returned.
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug)]
pub struct InfoBuilder<T> {
    api: HfApi,
    params: InfoParams,
    _out: PhantomData<fn() -> T>,
}

impl<T> Clone for InfoBuilder<T> {
    fn clone(&self) -> Self {
        InfoBuilder {
            api: self.api.clone(),
            params: self.params.clone(),
            _out: PhantomData,
        }
    }
}

macro_rules! info_setters {
    () => {
        /// Revision: branch, tag, `refs/pr/N` or commit (default: the default branch, using
        /// the route without `/revision/`).
        pub fn revision(mut self, revision: impl Into<String>) -> Self {
            self.params.revision = Some(revision.into());
            self
        }
        /// Asks for file sizes, blob ids and LFS details of the siblings (`blobs=true`).
        /// Default false. Cannot be combined with [`Self::expand`].
        pub fn files_metadata(mut self, yes: bool) -> Self {
            self.params.files_metadata = yes;
            self
        }
        /// Asks for the security scan status (`securityStatus=true`, models only). Default
        /// false. Cannot be combined with [`Self::expand`].
        pub fn security_status(mut self, yes: bool) -> Self {
            self.params.security_status = yes;
            self
        }
        /// Asks for exactly these properties (`expand=...` repeated); the answer then holds
        /// only `id` and them.
        pub fn expand<I, S>(mut self, properties: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.params
                .expand
                .extend(properties.into_iter().map(Into::into));
            self
        }
        /// Request timeout (default: none).
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.params.timeout = Some(timeout);
            self
        }
    };
}

impl<T: DeserializeOwned + Send + 'static> InfoBuilder<T> {
    info_setters!();

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<T>> {
        Box::pin(info_impl::<T>(self.api, self.params))
    }
}

impl<T: DeserializeOwned + Send + 'static> std::future::IntoFuture for InfoBuilder<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'static, Result<T>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Builder of [`HfApi::repo_info`]: the info of a repository of any type.
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct RepoInfoBuilder {
    api: HfApi,
    params: InfoParams,
}

impl RepoInfoBuilder {
    info_setters!();

    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.params.repo_type = repo_type;
        self
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<RepoInfo>> {
        Box::pin(async move {
            Ok(match self.params.repo_type {
                RepoType::Model => RepoInfo::Model(info_impl(self.api, self.params).await?),
                RepoType::Dataset => RepoInfo::Dataset(info_impl(self.api, self.params).await?),
                RepoType::Space => RepoInfo::Space(info_impl(self.api, self.params).await?),
            })
        })
    }
}

crate::api::into_future!(RepoInfoBuilder, RepoInfo);

async fn info_impl<T: DeserializeOwned>(api: HfApi, p: InfoParams) -> Result<T> {
    if !p.expand.is_empty() && (p.files_metadata || p.security_status) {
        return Err(Error::invalid_argument(
            "`expand` cannot be used if `securityStatus` or `files_metadata` are set.",
        ));
    }
    let mut url = api.repo_api_url(p.repo_type, &p.repo_id);
    if let Some(rev) = &p.revision {
        url.push_str("/revision/");
        url.push_str(&crate::urls::quote_segment(rev));
    }
    let mut query: Vec<(&str, String)> = Vec::new();
    if p.files_metadata {
        query.push(("blobs", bool_str(true)));
    }
    if p.security_status {
        query.push(("securityStatus", bool_str(true)));
    }
    for e in &p.expand {
        query.push(("expand", e.clone()));
    }
    let client = api.client();
    let mut rb = client.request(Method::GET, &url).query(&query);
    if let Some(t) = p.timeout {
        rb = rb.timeout(t);
    }
    client
        .send_json(rb, crate::client::SendOptions::new())
        .await
}

impl HfApi {
    /// `GET /api/models/{repo_id}[/revision/{revision}]`: the info of a model.
    ///
    /// Options: `.revision()` (default branch), `.files_metadata(bool)` (`blobs=true`, default
    /// false), `.security_status(bool)`, `.expand([...])`, `.timeout()`. A missing repository
    /// is [`Error::RepositoryNotFound`], a missing revision [`Error::RevisionNotFound`].
    pub fn model_info(&self, repo_id: &RepoId) -> InfoBuilder<ModelInfo> {
        self.info_builder(repo_id, RepoType::Model)
    }

    /// `GET /api/datasets/{repo_id}[/revision/{revision}]`: the info of a dataset (options as
    /// [`HfApi::model_info`]).
    pub fn dataset_info(&self, repo_id: &RepoId) -> InfoBuilder<DatasetInfo> {
        self.info_builder(repo_id, RepoType::Dataset)
    }

    /// `GET /api/spaces/{repo_id}[/revision/{revision}]`: the info of a Space (options as
    /// [`HfApi::model_info`]).
    pub fn space_info(&self, repo_id: &RepoId) -> InfoBuilder<SpaceInfo> {
        self.info_builder(repo_id, RepoType::Space)
    }

    /// The info of a repository of the type set with `.repo_type()` (default model).
    pub fn repo_info(&self, repo_id: &RepoId) -> RepoInfoBuilder {
        RepoInfoBuilder {
            api: self.clone(),
            params: InfoParams::new(repo_id, RepoType::Model),
        }
    }

    fn info_builder<T>(&self, repo_id: &RepoId, repo_type: RepoType) -> InfoBuilder<T> {
        InfoBuilder {
            api: self.clone(),
            params: InfoParams::new(repo_id, repo_type),
            _out: PhantomData,
        }
    }

    /// Whether the repository exists and is visible to the token. A gated repository exists.
    /// Other errors (network, 5xx, offline) are returned as errors, not as `false`.
    pub async fn repo_exists(&self, repo_id: &RepoId, repo_type: RepoType) -> Result<bool> {
        match self.repo_info(repo_id).repo_type(repo_type).send().await {
            Ok(_) | Err(Error::GatedRepo(_)) => Ok(true),
            Err(Error::RepositoryNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `revision` exists in the repository (`false` too when the repository does not
    /// exist, as in Python).
    pub async fn revision_exists(
        &self,
        repo_id: &RepoId,
        revision: &str,
        repo_type: RepoType,
    ) -> Result<bool> {
        let req = self
            .repo_info(repo_id)
            .repo_type(repo_type)
            .revision(revision);
        match req.send().await {
            Ok(_) => Ok(true),
            Err(Error::RevisionNotFound(_) | Error::RepositoryNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `filename` exists at `revision` (default `main`), by a metadata HEAD. A missing
    /// repository, revision or file is `false`; a gated repository is [`Error::GatedRepo`].
    pub async fn file_exists(
        &self,
        repo_id: &RepoId,
        filename: &str,
        repo_type: RepoType,
        revision: Option<&str>,
    ) -> Result<bool> {
        let url = self.hf_hub_url(repo_id, filename, repo_type, revision);
        match crate::api::file_metadata(self.client(), &url, None).await {
            // The file answered; headers the download would need do not matter here.
            Ok(_) | Err(Error::FileMetadata { .. }) => Ok(true),
            Err(
                Error::RepositoryNotFound(_) | Error::RevisionNotFound(_) | Error::EntryNotFound(_),
            ) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
