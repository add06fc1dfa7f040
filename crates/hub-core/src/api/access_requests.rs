//! Access requests of gated repos.
//!
//! | Python | Rust |
//! |---|---|
//! | `list_pending_access_requests` / `list_accepted_access_requests` / `list_rejected_access_requests` | [`HfApi::list_access_requests`] with [`AccessRequestStatus`] |
//! | `accept_access_request` / `reject_access_request` / `cancel_access_request` | [`HfApi::handle_access_request`] with the new status |
//! | `grant_access` | [`HfApi::grant_access`] |
//!
//! Only the repo's owner (write access) may list and handle requests. The repo must be gated:
//! the Hub answers 400 otherwise. Python 0.26 sends these to the global endpoint; here they go
//! to the client's, like everything else.

use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::json;

use crate::api::HfApi;
use crate::client::SendOptions;
use crate::error::Result;
use crate::repo::{RepoId, RepoType};
use crate::types_community::{AccessRequest, AccessRequestWire};

/// Status of an access request; also what [`HfApi::handle_access_request`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRequestStatus {
    /// Waiting for the owner (Python's `cancel_access_request` puts a request back here).
    Pending,
    /// Access given (`accept_access_request`).
    Accepted,
    /// Access refused (`reject_access_request`).
    Rejected,
}

impl AccessRequestStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRequestStatus::Pending => "pending",
            AccessRequestStatus::Accepted => "accepted",
            AccessRequestStatus::Rejected => "rejected",
        }
    }
}

/// Builder of [`HfApi::list_access_requests`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct AccessRequestsBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    status: AccessRequestStatus,
}

impl AccessRequestsBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<Vec<AccessRequest>>> {
        Box::pin(async move {
            let url = format!(
                "{}/user-access-request/{}",
                self.api.repo_api_url(self.repo_type, &self.repo_id),
                self.status.as_str()
            );
            let client = self.api.client();
            let rb = client.authed_request(Method::GET, &url)?;
            let items: Vec<AccessRequestWire> = client.send_json(rb, SendOptions::new()).await?;
            Ok(items.into_iter().map(AccessRequest::from).collect())
        })
    }
}

crate::api::into_future!(AccessRequestsBuilder, Vec<AccessRequest>);

/// Builder of [`HfApi::handle_access_request`] and [`HfApi::grant_access`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct AccessChangeBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    user: String,
    /// `None` = grant.
    status: Option<AccessRequestStatus>,
}

impl AccessChangeBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let base = self.api.repo_api_url(self.repo_type, &self.repo_id);
            let (url, body) = match self.status {
                Some(s) => (
                    format!("{base}/user-access-request/handle"),
                    json!({"user": self.user, "status": s.as_str()}),
                ),
                None => (
                    format!("{base}/user-access-request/grant"),
                    json!({"user": self.user}),
                ),
            };
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            // Setting a status is idempotent; a repeated grant is refused (409), so not that.
            let options = SendOptions::new().repeatable(self.status.is_some());
            client.send(rb, options).await.map(drop)
        })
    }
}

crate::api::into_future!(AccessChangeBuilder, ());

impl HfApi {
    /// `GET /api/{type}s/{repo_id}/user-access-request/{status}`: the requests with `status`.
    pub fn list_access_requests(
        &self,
        repo_id: &RepoId,
        status: AccessRequestStatus,
    ) -> AccessRequestsBuilder {
        AccessRequestsBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            status,
        }
    }

    /// Python's `list_pending_access_requests`.
    pub fn list_pending_access_requests(&self, repo_id: &RepoId) -> AccessRequestsBuilder {
        self.list_access_requests(repo_id, AccessRequestStatus::Pending)
    }

    /// Python's `list_accepted_access_requests`.
    pub fn list_accepted_access_requests(&self, repo_id: &RepoId) -> AccessRequestsBuilder {
        self.list_access_requests(repo_id, AccessRequestStatus::Accepted)
    }

    /// Python's `list_rejected_access_requests`.
    pub fn list_rejected_access_requests(&self, repo_id: &RepoId) -> AccessRequestsBuilder {
        self.list_access_requests(repo_id, AccessRequestStatus::Rejected)
    }

    /// `POST /api/{type}s/{repo_id}/user-access-request/handle` `{"user", "status"}`: moves
    /// `user`'s request to `status`. A user without a request is a 404.
    pub fn handle_access_request(
        &self,
        repo_id: &RepoId,
        user: &str,
        status: AccessRequestStatus,
    ) -> AccessChangeBuilder {
        AccessChangeBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            user: user.to_owned(),
            status: Some(status),
        }
    }

    /// Python's `accept_access_request`.
    pub fn accept_access_request(&self, repo_id: &RepoId, user: &str) -> AccessChangeBuilder {
        self.handle_access_request(repo_id, user, AccessRequestStatus::Accepted)
    }

    /// Python's `reject_access_request`.
    pub fn reject_access_request(&self, repo_id: &RepoId, user: &str) -> AccessChangeBuilder {
        self.handle_access_request(repo_id, user, AccessRequestStatus::Rejected)
    }

    /// Python's `cancel_access_request`: puts an accepted or rejected request back to pending.
    pub fn cancel_access_request(&self, repo_id: &RepoId, user: &str) -> AccessChangeBuilder {
        self.handle_access_request(repo_id, user, AccessRequestStatus::Pending)
    }

    /// `POST /api/{type}s/{repo_id}/user-access-request/grant` `{"user"}`: gives `user` access
    /// without a request. Granting someone who already has access is a 409.
    pub fn grant_access(&self, repo_id: &RepoId, user: &str) -> AccessChangeBuilder {
        AccessChangeBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            user: user.to_owned(),
            status: None,
        }
    }
}
