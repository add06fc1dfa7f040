//! Refs, commits, branches, tags and super-squash (protocol §5).

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::json;

use crate::api::HfApi;
use crate::client::{Attempts, SendOptions};
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType};
use crate::types::{GitCommitInfo, GitRefs};
use crate::urls::quote_segment;

/// Builder of [`HfApi::list_repo_refs`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct RefsBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    include_pull_requests: bool,
}

impl RefsBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Also list pull-request refs (`refs/pr/N`) in [`GitRefs::pull_requests`]. Default false.
    pub fn include_pull_requests(mut self, yes: bool) -> Self {
        self.include_pull_requests = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<GitRefs>> {
        Box::pin(async move {
            let url = format!(
                "{}/refs",
                self.api.repo_api_url(self.repo_type, &self.repo_id)
            );
            let client = self.api.client();
            let mut rb = client.request(Method::GET, &url);
            if self.include_pull_requests {
                // The protocol's literal `1` for this flag.
                rb = rb.query(&[("include_prs", "1")]);
            }
            let mut refs: GitRefs = client.send_json(rb, SendOptions::new()).await?;
            if self.include_pull_requests && refs.pull_requests.is_none() {
                refs.pull_requests = Some(Vec::new());
            }
            Ok(refs)
        })
    }
}

crate::api::into_future!(RefsBuilder, GitRefs);

/// Builder of [`HfApi::list_repo_commits`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct CommitListBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    revision: Option<String>,
    formatted: bool,
}

impl CommitListBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Revision whose history is listed (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }
    /// Ask for HTML-formatted titles and messages (`expand[]=formatted`). Default false.
    pub fn formatted(mut self, yes: bool) -> Self {
        self.formatted = yes;
        self
    }
    /// Starts the listing: a lazy stream of commits, newest first.
    pub fn send(self) -> BoxStream<'static, Result<GitCommitInfo>> {
        let url = format!(
            "{}/commits/{}",
            self.api.repo_api_url(self.repo_type, &self.repo_id),
            quote_segment(
                self.revision
                    .as_deref()
                    .unwrap_or(crate::config::DEFAULT_REVISION)
            )
        );
        let query = if self.formatted {
            vec![("expand[]".to_owned(), "formatted".to_owned())]
        } else {
            Vec::new()
        };
        self.api.client().paginate(&url, query).boxed()
    }
}

/// Builder of [`HfApi::create_branch`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CreateBranchBuilder {
    api: HfApi,
    repo_id: RepoId,
    branch: String,
    repo_type: RepoType,
    revision: Option<String>,
    exist_ok: bool,
}

impl CreateBranchBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Starting point of the branch (default: the head of `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }
    /// Succeed when the branch already exists (default false: [`crate::Error::HubHttp`] with 409).
    pub fn exist_ok(mut self, yes: bool) -> Self {
        self.exist_ok = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(create_branch_impl(self))
    }
}

crate::api::into_future!(CreateBranchBuilder, ());

async fn create_branch_impl(b: CreateBranchBuilder) -> Result<()> {
    let url = format!(
        "{}/branch/{}",
        b.api.repo_api_url(b.repo_type, &b.repo_id),
        quote_segment(&b.branch)
    );
    let body = match &b.revision {
        Some(rev) => json!({ "startingPoint": rev }),
        None => json!({}),
    };
    let client = b.api.client();
    let rb = client.authed_request(Method::POST, &url)?.json(&body);
    // A repeated create is detectable (409); one after a lost answer is ours.
    let options = SendOptions::new().repeatable(true).pass_status(409);
    match client.send(rb, options).await {
        Ok(r) if r.status().as_u16() != 409 || b.exist_ok || Attempts::of(&r) > 1 => Ok(()),
        Ok(r) => Err(crate::client::check_response(r)
            .await
            .err()
            .unwrap_or_else(|| Error::decode(&url, "409 answer that is not an error"))),
        Err(e) if b.exist_ok && e.status() == Some(403) => {
            // No right to create branches: fine if it is already there (Python's rule).
            let refs = b
                .api
                .list_repo_refs(&b.repo_id)
                .repo_type(b.repo_type)
                .send()
                .await;
            match refs {
                Ok(r) if r.branches.iter().any(|x| x.name == b.branch) => Ok(()),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Builder of [`HfApi::create_tag`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CreateTagBuilder {
    api: HfApi,
    repo_id: RepoId,
    tag: String,
    repo_type: RepoType,
    revision: Option<String>,
    message: Option<String>,
    exist_ok: bool,
}

impl CreateTagBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Revision to tag (default `main`; may be `refs/pr/N` or a commit).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }
    /// Message of an annotated tag (default: none).
    pub fn tag_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
    /// Succeed when the tag already exists (default false).
    pub fn exist_ok(mut self, yes: bool) -> Self {
        self.exist_ok = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let url = format!(
                "{}/tag/{}",
                self.api.repo_api_url(self.repo_type, &self.repo_id),
                quote_segment(
                    self.revision
                        .as_deref()
                        .unwrap_or(crate::config::DEFAULT_REVISION)
                )
            );
            let mut body = json!({ "tag": self.tag });
            if let Some(m) = &self.message {
                body["message"] = json!(m);
            }
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            let options = SendOptions::new().repeatable(true).pass_status(409);
            match client.send(rb, options).await {
                Ok(r) if r.status().as_u16() != 409 || self.exist_ok || Attempts::of(&r) > 1 => {
                    Ok(())
                }
                Ok(r) => Err(crate::client::check_response(r)
                    .await
                    .err()
                    .unwrap_or_else(|| Error::decode(&url, "409 answer that is not an error"))),
                Err(e) => Err(e),
            }
        })
    }
}

crate::api::into_future!(CreateTagBuilder, ());

/// Builder of [`HfApi::super_squash_history`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct SuperSquashBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    branch: Option<String>,
    message: Option<String>,
}

impl SuperSquashBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Branch to squash (default `main`).
    pub fn branch(mut self, branch: impl Into<String>) -> Self {
        self.branch = Some(branch.into());
        self
    }
    /// Message of the single resulting commit (default
    /// `Super-squash branch '<branch>' using huggingface_hub`).
    pub fn commit_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let branch = self
                .branch
                .as_deref()
                .unwrap_or(crate::config::DEFAULT_REVISION);
            // Encoded as the newest client does; the server accepts raw and encoded slashes.
            let url = format!(
                "{}/super-squash/{}",
                self.api.repo_api_url(self.repo_type, &self.repo_id),
                quote_segment(branch)
            );
            let message = self
                .message
                .clone()
                .unwrap_or_else(|| format!("Super-squash branch '{branch}' using huggingface_hub"));
            let client = self.api.client();
            let rb = client
                .authed_request(Method::POST, &url)?
                .json(&json!({ "message": message }));
            client.send(rb, SendOptions::new()).await.map(drop)
        })
    }
}

crate::api::into_future!(SuperSquashBuilder, ());

impl HfApi {
    /// `GET /api/{type}s/{repo_id}/refs[?include_prs=1]`: branches, tags, converts (and pull
    /// requests with `.include_pull_requests(true)`).
    pub fn list_repo_refs(&self, repo_id: &RepoId) -> RefsBuilder {
        RefsBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            include_pull_requests: false,
        }
    }

    /// `GET /api/{type}s/{repo_id}/commits/{revision}` (paginated): the history, newest first.
    pub fn list_repo_commits(&self, repo_id: &RepoId) -> CommitListBuilder {
        CommitListBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            revision: None,
            formatted: false,
        }
    }

    /// `POST /api/{type}s/{repo_id}/branch/{branch}` (JSON `{"startingPoint": ...}`): creates a
    /// branch. An existing branch is a 409 ([`crate::Error::HubHttp`]) unless `.exist_ok(true)`;
    /// a missing starting point is [`crate::Error::RevisionNotFound`].
    pub fn create_branch(&self, repo_id: &RepoId, branch: &str) -> CreateBranchBuilder {
        CreateBranchBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            branch: branch.to_owned(),
            repo_type: RepoType::Model,
            revision: None,
            exist_ok: false,
        }
    }

    /// `DELETE /api/{type}s/{repo_id}/branch/{branch}`. A missing branch is
    /// [`crate::Error::RevisionNotFound`].
    pub async fn delete_branch(
        &self,
        repo_id: &RepoId,
        branch: &str,
        repo_type: RepoType,
    ) -> Result<()> {
        let url = format!(
            "{}/branch/{}",
            self.repo_api_url(repo_type, repo_id),
            quote_segment(branch)
        );
        let rb = self.client().authed_request(Method::DELETE, &url)?;
        self.client().send(rb, SendOptions::new()).await.map(drop)
    }

    /// `POST /api/{type}s/{repo_id}/tag/{revision}` (JSON `{"tag", "message"}`): tags a revision.
    pub fn create_tag(&self, repo_id: &RepoId, tag: &str) -> CreateTagBuilder {
        CreateTagBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            tag: tag.to_owned(),
            repo_type: RepoType::Model,
            revision: None,
            message: None,
            exist_ok: false,
        }
    }

    /// `DELETE /api/{type}s/{repo_id}/tag/{tag}`. A missing tag is [`crate::Error::RevisionNotFound`].
    pub async fn delete_tag(&self, repo_id: &RepoId, tag: &str, repo_type: RepoType) -> Result<()> {
        let url = format!(
            "{}/tag/{}",
            self.repo_api_url(repo_type, repo_id),
            quote_segment(tag)
        );
        let rb = self.client().authed_request(Method::DELETE, &url)?;
        self.client().send(rb, SendOptions::new()).await.map(drop)
    }

    /// `POST /api/{type}s/{repo_id}/super-squash/{branch}`: squashes the history of a branch
    /// into one commit. Irreversible.
    pub fn super_squash_history(&self, repo_id: &RepoId) -> SuperSquashBuilder {
        SuperSquashBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            branch: None,
            message: None,
        }
    }
}
