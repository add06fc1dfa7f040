//! Receive Hugging Face Hub webhooks: the Rust counterpart of Python's `WebhooksServer` and
//! `@webhook_endpoint`.
//!
//! # Design
//!
//! A [`WebhooksServer`] is a list of `(path, handler)` pairs plus an optional secret. It turns
//! into a plain [`axum::Router`] ([`WebhooksServer::into_router`]) so it can be mounted inside
//! an existing axum app, or serves itself on a listener with graceful shutdown
//! ([`WebhooksServer::serve`]). Each path accepts `POST` with the Hub's JSON payload:
//!
//! * when a secret is set, the `X-Webhook-Secret` header must match it exactly, otherwise the
//!   answer is **401** and the handler is not called (the Hub sends the secret you configured
//!   on the webhook);
//! * a body that is not a webhook payload is a **400**;
//! * otherwise the handler runs with the typed [`WebhookPayload`] and the answer is **200**
//!   `{"status": "accepted"}` once it has finished, so a failing receiver shows up in the Hub's
//!   delivery log.
//!
//! `GET /` is a health route listing the registered paths (Python's landing page).
//!
//! Payload types are lenient: only `event` is required; every other part is optional and
//! unknown keys are kept in `extra`, because the Hub adds fields over time and a receiver must
//! not start rejecting events when it does.
//!
//! ```no_run
//! use hub_webhooks::{WebhookPayload, WebhooksServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = WebhooksServer::new()
//!     .secret("my-secret")
//!     .route("/on-commit", |p: WebhookPayload| async move {
//!         if p.event.scope.starts_with("repo.content") {
//!             let repo = p.repo.map(|r| r.name).unwrap_or_default();
//!             println!("new commit on {repo}");
//!         }
//!     });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! server.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Name of the header carrying the webhook's secret.
pub const SECRET_HEADER: &str = "x-webhook-secret";

/// What happened: `{"action": "create|update|delete|move", "scope": "repo.content|discussion|discussion.comment|..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// `create`, `update`, `delete`, `move`, ...
    pub action: String,
    /// `repo`, `repo.content`, `repo.config`, `discussion`, `discussion.comment`, ...
    pub scope: String,
}

/// URLs of a repo, discussion or comment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookUrls {
    /// Page on the Hub.
    #[serde(default)]
    pub web: Option<String>,
    /// API URL.
    #[serde(default)]
    pub api: Option<String>,
}

/// A user or organization in a payload (`{"id", "name"}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookAccount {
    /// Object id.
    #[serde(default)]
    pub id: Option<String>,
    /// User or organization name.
    #[serde(default)]
    pub name: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// One ref changed by a `repo.content` event; a created ref has no `old_sha`, a deleted one no
/// `new_sha`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookUpdatedRef {
    /// Full ref name (`refs/heads/main`, `refs/tags/v1`, `refs/pr/3`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Where it pointed before.
    #[serde(default)]
    pub old_sha: Option<String>,
    /// Where it points now.
    #[serde(default)]
    pub new_sha: Option<String>,
}

/// Where a repo went, for a `repo` event with action `move`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookMovedTo {
    /// New repo id (`namespace/name`).
    #[serde(default)]
    pub name: String,
    /// New owner.
    #[serde(default)]
    pub owner: Option<WebhookAccount>,
}

/// What a pull request changes (`base` branch, and the merge commit once merged).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDiscussionChanges {
    /// Target ref (`refs/heads/main`).
    #[serde(default)]
    pub base: String,
    /// The merge commit, once merged.
    #[serde(default)]
    pub merge_commit_id: Option<String>,
}

/// The repo an event is about.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRepo {
    /// `model`, `dataset` or `space`.
    #[serde(rename = "type", default)]
    pub repo_type: String,
    /// Repo id (`namespace/name`).
    #[serde(default)]
    pub name: String,
    /// Object id of the repo (stable across renames).
    #[serde(default)]
    pub id: Option<String>,
    /// Owner (user or organization).
    #[serde(default)]
    pub owner: Option<WebhookAccount>,
    /// Whether it is private.
    #[serde(default)]
    pub private: Option<bool>,
    /// Its URLs.
    #[serde(default)]
    pub url: Option<WebhookUrls>,
    /// Head commit after a content event.
    #[serde(default)]
    pub head_sha: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// The discussion or pull request of a `discussion*` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDiscussion {
    /// Object id.
    #[serde(default)]
    pub id: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<WebhookAccount>,
    /// Its URLs.
    #[serde(default)]
    pub url: Option<WebhookUrls>,
    /// For a pull request: base branch and merge commit.
    #[serde(default)]
    pub changes: Option<WebhookDiscussionChanges>,
    /// Whether it is pinned.
    #[serde(default)]
    pub pinned: Option<bool>,
    /// Number.
    #[serde(default)]
    pub num: Option<u64>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// `open`, `closed`, `merged`, `draft`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether it is a pull request.
    #[serde(default)]
    pub is_pull_request: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// The comment of a `discussion.comment` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookComment {
    /// Comment id.
    #[serde(default)]
    pub id: Option<String>,
    /// Text (absent when hidden).
    #[serde(default)]
    pub content: Option<String>,
    /// Whether it is hidden.
    #[serde(default)]
    pub hidden: Option<bool>,
    /// Author.
    #[serde(default)]
    pub author: Option<WebhookAccount>,
    /// Its URLs (`web` points at the comment in its discussion).
    #[serde(default)]
    pub url: Option<WebhookUrls>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// The webhook that sent an event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebhookRef {
    /// Webhook id.
    #[serde(default)]
    pub id: String,
    /// Payload version.
    #[serde(default)]
    pub version: Option<u32>,
}

/// A webhook payload (Python's `WebhookPayload`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// What happened.
    pub event: WebhookEvent,
    /// The repo concerned.
    #[serde(default)]
    pub repo: Option<WebhookRepo>,
    /// The discussion, for discussion events.
    #[serde(default)]
    pub discussion: Option<WebhookDiscussion>,
    /// The comment, for comment events.
    #[serde(default)]
    pub comment: Option<WebhookComment>,
    /// The sending webhook.
    #[serde(default)]
    pub webhook: Option<WebhookRef>,
    /// Refs changed by a `repo.content` event.
    #[serde(default)]
    pub updated_refs: Option<Vec<WebhookUpdatedRef>>,
    /// Where the repo went, for a `repo` `move` event.
    #[serde(default)]
    pub moved_to: Option<WebhookMovedTo>,
    /// The settings a `repo.config` event changed (`private`, `gated`, ...).
    #[serde(default)]
    pub updated_config: Option<serde_json::Map<String, Value>>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

type Handler = Arc<dyn Fn(WebhookPayload) -> BoxFuture<'static, ()> + Send + Sync>;

/// A set of webhook endpoints (Python's `WebhooksServer`); see the crate docs.
#[derive(Clone, Default)]
pub struct WebhooksServer {
    secret: Option<String>,
    routes: Vec<(String, Handler)>,
}

impl std::fmt::Debug for WebhooksServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("WebhooksServer")
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field(
                "routes",
                &self.routes.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Clone)]
struct Endpoint {
    secret: Option<Arc<str>>,
    handler: Handler,
}

impl WebhooksServer {
    /// No routes, no secret.
    pub fn new() -> Self {
        Self::default()
    }

    /// Require this secret in `X-Webhook-Secret` on every route (401 otherwise).
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Registers `handler` for `POST path` (a leading `/` is added when missing). A later
    /// registration of the same path replaces the earlier one.
    pub fn route<F, Fut>(mut self, path: &str, handler: F) -> Self
    where
        F: Fn(WebhookPayload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let h: Handler = Arc::new(move |p| Box::pin(handler(p)));
        self.routes.retain(|(p, _)| *p != path);
        self.routes.push((path, h));
        self
    }

    /// The registered paths, in registration order.
    pub fn paths(&self) -> Vec<String> {
        self.routes.iter().map(|(p, _)| p.clone()).collect()
    }

    /// The routes as an axum router (health route `GET /` included).
    pub fn into_router(self) -> Router {
        let paths = self.paths();
        let secret: Option<Arc<str>> = self.secret.map(Arc::from);
        let mut router = Router::new().route(
            "/",
            get(move || {
                let paths = paths.clone();
                async move { axum::Json(json!({"status": "ok", "webhooks": paths})) }
            }),
        );
        for (path, handler) in self.routes {
            let ep = Endpoint {
                secret: secret.clone(),
                handler,
            };
            router = router.route(&path, post(receive).with_state(ep));
        }
        router
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests in flight
    /// (graceful shutdown) and returns.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.into_router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Compares without stopping at the first difference, so timing says nothing about the secret.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive(State(ep): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(secret) = &ep.secret {
        let given = headers
            .get(SECRET_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !same_secret(given, secret.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "Invalid webhook secret"})),
            )
                .into_response();
        }
    }
    let payload: WebhookPayload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("webhook body is not a payload: {e}");
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": format!("Invalid webhook payload: {e}")})),
            )
                .into_response();
        }
    };
    (ep.handler)(payload).await;
    axum::Json(json!({"status": "accepted"})).into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hub_core::SendOptions;
    use reqwest::Method;
    use std::sync::Mutex;

    async fn start(server: WebhooksServer) -> (String, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(listener, async {
            let _ = rx.await;
        }));
        (url, tx)
    }

    #[tokio::test]
    async fn secret_payload_health_and_shutdown() {
        let got: Arc<Mutex<Vec<WebhookPayload>>> = Arc::default();
        let g = got.clone();
        let server = WebhooksServer::new().secret("s").route("hook", move |p| {
            let g = g.clone();
            async move { g.lock().unwrap().push(p) }
        });
        assert_eq!(server.paths(), ["/hook"]);
        assert!(!format!("{server:?}").contains("\"s\""));
        let (url, stop) = start(server).await;
        // The test plays the Hub: it sends through hub-rs's one request path, without a token,
        // answering every status (the 401s are what it checks) and never retrying.
        let c = hub_core::HubClient::builder()
            .config(hub_core::Config::default())
            .no_token()
            .no_proxy()
            .build()
            .unwrap();
        let once = || SendOptions::new().pass_error_statuses().once();
        let payload = json!({"event": {"action": "create", "scope": "discussion.comment"},
            "repo": {"type": "model", "name": "a/b", "future": 1},
            "comment": {"id": "c1", "content": "hi"}, "webhook": {"id": "w", "version": 3}});
        let post = |secret: Option<&str>, body: String| {
            let mut rb = c
                .request_without_token(Method::POST, &format!("{url}/hook"))
                .body(body);
            if let Some(s) = secret {
                rb = rb.header("X-Webhook-Secret", s);
            }
            c.send(rb, once())
        };
        assert_eq!(post(None, payload.to_string()).await.unwrap().status(), 401);
        assert_eq!(
            post(Some("x"), payload.to_string()).await.unwrap().status(),
            401
        );
        assert_eq!(post(Some("s"), "{}".into()).await.unwrap().status(), 400);
        assert_eq!(
            post(Some("s"), payload.to_string()).await.unwrap().status(),
            200
        );
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "rejected requests never reach the handler");
        assert_eq!(got[0].event.scope, "discussion.comment");
        let repo = got[0].repo.clone().unwrap();
        assert_eq!(
            (repo.repo_type.as_str(), repo.name.as_str()),
            ("model", "a/b")
        );
        assert_eq!(repo.extra["future"], 1);
        assert_eq!(
            got[0].comment.as_ref().unwrap().content.as_deref(),
            Some("hi")
        );
        let get = || c.send(c.request_without_token(Method::GET, &url), once());
        let health: Value = get().await.unwrap().json().await.unwrap();
        assert_eq!(health, json!({"status": "ok", "webhooks": ["/hook"]}));
        let _ = stop.send(());
        // After shutdown the port stops answering.
        let mut closed = false;
        for _ in 0..50 {
            if get().await.is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(closed);
    }

    #[test]
    fn every_typed_part_of_a_full_payload_is_read() {
        let p: WebhookPayload = serde_json::from_value(json!({
            "event": {"action": "move", "scope": "repo"},
            "repo": {"type": "dataset", "name": "acme/old", "id": "r1", "private": false,
                "owner": {"id": "o1", "name": "acme"}, "headSha": "abc",
                "url": {"web": "https://hub/datasets/acme/old", "api": "https://hub/api/datasets/acme/old"}},
            "discussion": {"id": "d1", "num": 4, "title": "T", "status": "merged",
                "isPullRequest": true, "pinned": false, "author": {"id": "u1", "name": "bob"},
                "url": {"web": "https://hub/x/discussions/4"},
                "changes": {"base": "refs/heads/main", "mergeCommitId": "m1"}},
            "comment": {"id": "c1", "hidden": true, "author": {"id": "u1"},
                "url": {"web": "https://hub/x/discussions/4#c1"}},
            "movedTo": {"name": "acme/new", "owner": {"id": "o1", "name": "acme"}},
            "updatedRefs": [{"ref": "refs/tags/v1", "newSha": "n1"}],
            "updatedConfig": {"private": true},
            "webhook": {"id": "w", "version": 3},
        }))
        .unwrap();
        let repo = p.repo.unwrap();
        assert_eq!(
            (repo.id.as_deref(), repo.head_sha.as_deref()),
            (Some("r1"), Some("abc"))
        );
        assert_eq!(repo.owner.unwrap().name.as_deref(), Some("acme"));
        let d = p.discussion.unwrap();
        assert_eq!(d.author.unwrap().id.as_deref(), Some("u1"));
        assert_eq!(d.changes.unwrap().merge_commit_id.as_deref(), Some("m1"));
        let c = p.comment.unwrap();
        assert_eq!((c.hidden, c.content), (Some(true), None));
        assert_eq!(p.moved_to.unwrap().name, "acme/new");
        assert_eq!(
            p.updated_refs.unwrap(),
            vec![WebhookUpdatedRef {
                git_ref: "refs/tags/v1".into(),
                old_sha: None,
                new_sha: Some("n1".into())
            }]
        );
        assert_eq!(p.updated_config.unwrap()["private"], true);
        assert!(
            p.extra.is_empty(),
            "every key has a typed home: {:?}",
            p.extra
        );
    }
}
