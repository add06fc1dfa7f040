//! HTTP layer: one dispatcher that parses the raw path (the Hub's URL space has revisions and paths
//! with raw or `%2F`-encoded slashes, which a pattern router cannot express), plus one module per
//! area.

mod access;
mod account;
mod collections;
mod comments;
mod discussions;
mod extras;
mod files;
mod history;
mod repos;
mod social;
mod tree;
mod upload;
mod webhooks;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{HubError, HubResult};
use crate::repo::{Repo, RepoType};
use crate::util::Query;

/// Largest JSON body accepted by API endpoints.
const JSON_LIMIT: usize = 10 * 1024 * 1024;

pub(crate) fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            webhooks::repo_events,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(request_id))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Echoes the caller's `x-request-id` (or a new uuid) on every response.
pub(crate) async fn request_id(mut req: Request, next: axum::middleware::Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 200)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // Pass the id inwards so nested layers (and handlers) agree on it.
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert("x-request-id", v);
    }
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// The authenticated caller.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) write: bool,
    pub(crate) token_name: String,
    pub(crate) token_created: String,
}

/// Per-request context.
pub(crate) struct Ctx {
    pub(crate) st: AppState,
    pub(crate) parts: axum::http::request::Parts,
    /// Wrapped in a mutex only to make `Ctx: Sync` (Body is not), so `&Ctx` may cross awaits.
    pub(crate) body: std::sync::Mutex<Option<Body>>,
    pub(crate) query: Query,
    pub(crate) caller: Option<Caller>,
}

impl Ctx {
    /// Takes the request body (empty when already taken).
    pub(crate) fn take_body(&self) -> Body {
        let mut guard = match self.body.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard.take().unwrap_or_else(Body::empty)
    }

    pub(crate) fn method(&self) -> &Method {
        &self.parts.method
    }
    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }
    pub(crate) fn public(&self) -> &str {
        &self.st.inner.public_url
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    pub(crate) async fn body_bytes(&mut self, limit: usize) -> HubResult<bytes::Bytes> {
        let body = self.take_body();
        axum::body::to_bytes(body, limit).await.map_err(|e| {
            HubError::PayloadTooLarge(format!(
                "Request body too large or unreadable (limit {limit} bytes): {e}"
            ))
        })
    }

    /// Parses a JSON body (an empty body parses as `{}`).
    pub(crate) async fn json<T: DeserializeOwned>(&mut self) -> HubResult<T> {
        let bytes = self.body_bytes(JSON_LIMIT).await?;
        let bytes: &[u8] = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map_err(|e| HubError::BadRequest(format!("Invalid JSON body: {e}")))
    }

    /// Requires an authenticated caller.
    pub(crate) fn need_caller(&self) -> HubResult<&Caller> {
        self.caller.as_ref().ok_or_else(|| {
            HubError::Unauthorized("You must be authenticated to perform this action".into())
        })
    }

    /// Whether the caller may read `repo`.
    pub(crate) async fn can_read(&self, repo: &Repo) -> HubResult<bool> {
        if !repo.meta.private {
            return Ok(true);
        }
        let Some(c) = &self.caller else {
            return Ok(false);
        };
        let auth = self
            .st
            .inner
            .auth
            .get()
            .await
            .map_err(|e| HubError::Internal(e.to_string()))?;
        Ok(auth.can_write_namespace(&c.name, repo.owner()))
    }

    /// Whether the caller may write `repo` (write token of the owner or an org member).
    pub(crate) async fn can_write(&self, repo: &Repo) -> HubResult<bool> {
        let Some(c) = &self.caller else {
            return Ok(false);
        };
        if !c.write {
            return Ok(false);
        }
        let auth = self
            .st
            .inner
            .auth
            .get()
            .await
            .map_err(|e| HubError::Internal(e.to_string()))?;
        Ok(auth.can_write_namespace(&c.name, repo.owner()))
    }

    /// Finds a repo the caller can read (private repos of others are reported as missing).
    pub(crate) async fn repo_read(&self, ty: RepoType, ns: &str, name: &str) -> HubResult<Repo> {
        // The Hub's text: the client prints its own explanation, then this line.
        let missing = || HubError::RepoNotFound("Repository not found".into());
        let repo = self
            .st
            .inner
            .repos
            .find(ty, ns, name)
            .await?
            .ok_or_else(missing)?;
        if !self.can_read(&repo).await? {
            return Err(missing());
        }
        Ok(repo)
    }

    /// Finds a repo the caller can write.
    pub(crate) async fn repo_write(&self, ty: RepoType, ns: &str, name: &str) -> HubResult<Repo> {
        let repo = self.repo_read(ty, ns, name).await?;
        self.check_write(&repo).await?;
        Ok(repo)
    }

    /// 401 without token, 403 with a read token or without rights.
    pub(crate) async fn check_write(&self, repo: &Repo) -> HubResult<()> {
        let c = self.need_caller()?;
        if !c.write {
            return Err(HubError::Forbidden("You have read access but not the required permissions for this operation (read-only token).".into()));
        }
        if !self.can_write(repo).await? {
            return Err(HubError::Forbidden(format!(
                "You don't have the rights to write to {} {}",
                repo.ty.singular(),
                repo.id()
            )));
        }
        Ok(())
    }

    /// Anyone who can read a repository may contribute to it through a pull request, as on the
    /// Hub: preupload and commit with `create_pr=1`, and LFS uploads (content-addressed objects
    /// reach no branch until a commit names them). Needs a write token; other changes need
    /// [`Ctx::check_write`].
    pub(crate) async fn check_contribute(&self, repo: &Repo) -> HubResult<()> {
        let c = self.need_caller()?;
        if !c.write {
            return Err(HubError::Forbidden("You have read access but not the required permissions for this operation (read-only token).".into()));
        }
        self.check_gated(repo).await
    }

    /// Writes to `rev`: needs write access, except that the author of an open pull request may
    /// add commits to its `refs/pr/N` (as on the Hub).
    pub(crate) async fn check_write_rev(&self, repo: &Repo, rev: &str) -> HubResult<()> {
        let denied = match self.check_write(repo).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(num) = rev
            .strip_prefix("refs/pr/")
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return Err(denied);
        };
        let Some(caller) = &self.caller else {
            return Err(denied);
        };
        let discussions = self.st.inner.repos.discussions(repo).await?;
        let own_open_pr = discussions.iter().any(|d| {
            d.num == num
                && d.is_pull_request
                && d.author == caller.name
                && matches!(d.status.as_str(), "open" | "draft")
        });
        if own_open_pr {
            self.check_contribute(repo).await
        } else {
            Err(denied)
        }
    }

    /// Gated repos: file access needs an authenticated member of the owning namespace.
    pub(crate) async fn check_gated(&self, repo: &Repo) -> HubResult<()> {
        if repo.meta.gated == serde_json::Value::Bool(false) || repo.meta.gated.is_null() {
            return Ok(());
        }
        match &self.caller {
            None => Err(HubError::GatedRepo {
                message: format!(
                    "Access to {} {} is restricted. You must have access to it and be authenticated to access it. Please log in.",
                    repo.ty.singular(),
                    repo.id()
                ),
                status: StatusCode::UNAUTHORIZED,
            }),
            Some(c) => {
                let auth = self
                    .st
                    .inner
                    .auth
                    .get()
                    .await
                    .map_err(|e| HubError::Internal(e.to_string()))?;
                let granted = repo
                    .meta
                    .access
                    .get(&c.name)
                    .is_some_and(|a| a.status == "accepted");
                if granted || auth.can_write_namespace(&c.name, repo.owner()) {
                    Ok(())
                } else {
                    Err(HubError::GatedRepo {
                        message: format!(
                            "Access to {} {} is restricted and you are not in the authorized list. Visit {} to ask for access.",
                            repo.ty.singular(),
                            repo.id(),
                            self.repo_url(repo)
                        ),
                        status: StatusCode::FORBIDDEN,
                    })
                }
            }
        }
    }

    /// Absolute URL of the current request with `cursor` set (for `Link: rel="next"`).
    pub(crate) fn next_link(&self, cursor: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(raw) = self.parts.uri.query() {
            for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
                if k != "cursor" {
                    q.append_pair(&k, &v);
                }
            }
        }
        q.append_pair("cursor", cursor);
        format!("{}{}?{}", self.public(), self.parts.uri.path(), q.finish())
    }

    /// Web URL of a repo (`{public}/{prefix}{id}`).
    pub(crate) fn repo_url(&self, repo: &Repo) -> String {
        format!("{}/{}{}", self.public(), repo.ty.url_prefix(), repo.id())
    }
}

/// Adds a `Link: <next>; rel="next"` header when there is a next page.
pub(crate) fn with_next(mut resp: Response, next: Option<String>) -> Response {
    if let Some(n) = next
        && let Ok(v) = HeaderValue::from_str(&format!("<{n}>; rel=\"next\""))
    {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}

/// Opaque cursor for offset pagination.
pub(crate) fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"o\":{offset}}}"))
}

/// Decodes a cursor produced by [`encode_cursor`].
pub(crate) fn decode_cursor(c: Option<&str>) -> HubResult<usize> {
    let Some(c) = c else { return Ok(0) };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.trim_end_matches('='))
        .map_err(|_| HubError::BadRequest("Invalid cursor".into()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| HubError::BadRequest("Invalid cursor".into()))?;
    v.get("o")
        .and_then(|o| o.as_u64())
        .map(|o| o as usize)
        .ok_or_else(|| HubError::BadRequest("Invalid cursor".into()))
}

/// JSON 200 response.
pub(crate) fn json(v: serde_json::Value) -> Response {
    axum::Json(v).into_response()
}

fn decode_segment(s: &str) -> HubResult<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| HubError::BadRequest("Invalid percent-encoding in URL".into()))
}

async fn resolve_caller(st: &AppState, headers: &HeaderMap) -> HubResult<Option<Caller>> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let value = value.trim();
    let token = if let Some(t) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        t.trim().to_string()
    } else if let Some(b) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        // git sends `user:token`; the token is the password.
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|_| {
                HubError::Unauthorized("Invalid credentials in Authorization header".into())
            })?;
        let s = String::from_utf8_lossy(&decoded).to_string();
        match s.split_once(':') {
            Some((_, pw)) => pw.to_string(),
            None => s,
        }
    } else {
        return Err(HubError::Unauthorized(
            "Invalid credentials in Authorization header".into(),
        ));
    };
    if token.is_empty() {
        return Ok(None);
    }
    let auth = st
        .inner
        .auth
        .get()
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    match auth.token(&token) {
        Some(t) => Ok(Some(Caller {
            name: t.user.clone(),
            write: t.role == "write",
            token_name: t.display_name.clone(),
            token_created: t.created_at.clone(),
        })),
        // The Hub's wording for an unknown or revoked token.
        None => Err(HubError::Unauthorized(
            "Invalid username or password.".into(),
        )),
    }
}

async fn dispatch(State(st): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let query = Query::parse(parts.uri.query());
    let path = parts.uri.path().to_string();
    let raw: Vec<&str> = path.split('/').skip(1).collect();
    let segs: Vec<String> = match raw
        .iter()
        .map(|s| decode_segment(s))
        .collect::<HubResult<Vec<_>>>()
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    // Signed blob/upload routes carry their authorisation in the URL; never in a header.
    let caller = if matches!(
        segs.first().map(String::as_str),
        Some("_lfs") | Some("_upload")
    ) {
        None
    } else {
        match resolve_caller(&st, &parts.headers).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        }
    };
    let mut ctx = Ctx {
        st,
        parts,
        body: std::sync::Mutex::new(Some(body)),
        query,
        caller,
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match route(&mut ctx, &segs).await {
        Ok(r) => r,
        // Like the Hub: without a token a missing (or invisible) repository is a 401, so an
        // anonymous caller learns to authenticate; with one it is a 404.
        Err(e @ HubError::RepoNotFound(_)) if ctx.caller.is_none() => {
            let mut resp = e.into_response();
            *resp.status_mut() = StatusCode::UNAUTHORIZED;
            resp
        }
        Err(e) => e.into_response(),
    }
}

fn not_found() -> HubError {
    HubError::NotFound("Not Found".into())
}

async fn route(ctx: &mut Ctx, segs: &[&str]) -> HubResult<Response> {
    let m = ctx.method().clone();
    match segs {
        ["api", rest @ ..] => api(ctx, rest).await,
        ["_lfs", oid] => files::signed_blob(ctx, oid).await,
        ["_upload", rest @ ..] => upload::signed_upload(ctx, rest).await,
        [] | [""] if m == Method::GET => Ok(json(serde_json::json!({"name": "hub-server"}))),
        _ => repo_scoped(ctx, segs).await,
    }
}

async fn api(ctx: &mut Ctx, segs: &[&str]) -> HubResult<Response> {
    let m = ctx.method().clone();
    match segs {
        ["whoami-v2"] | ["whoami"] => account::whoami(ctx).await,
        ["validate-yaml"] if m == Method::POST => account::validate_yaml(ctx).await,
        ["telemetry", ..] => Ok(StatusCode::OK.into_response()),
        ["metrics"] if m == Method::GET => extras::metrics(ctx).await,
        ["collections", rest @ ..] => collections::route(ctx, rest).await,
        ["settings", "webhooks", rest @ ..] => webhooks::route(ctx, rest).await,
        ["repos", "create"] if m == Method::POST => repos::create(ctx).await,
        ["repos", "delete"] if m == Method::DELETE => repos::delete(ctx).await,
        ["repos", "move"] if m == Method::POST => repos::move_repo(ctx).await,
        ["users", user, "overview"] => account::user_overview(ctx, user).await,
        ["users", user, "likes"] => extras::user_likes(ctx, user).await,
        ["users", user, what @ ("follow" | "followers" | "following")] => {
            social::route(ctx, user, what).await
        }
        ["organizations", org, "members"] => account::org_members(ctx, org).await,
        ["organizations", org, "overview"] => account::org_overview(ctx, org).await,
        [t] if m == Method::GET || m == Method::HEAD => match RepoType::from_plural(t) {
            Some(ty) => repos::list(ctx, ty).await,
            None => Err(not_found()),
        },
        [t, first, rest @ ..] => match RepoType::from_plural(t) {
            Some(ty) => match rest {
                [] => repo_api(ctx, ty, "", first, rest).await,
                [second, tail @ ..] => {
                    if API_ACTIONS.contains(second)
                        && canonical(ctx, ty, first, second, !tail.is_empty()).await
                    {
                        repo_api(ctx, ty, "", first, rest).await
                    } else {
                        repo_api(ctx, ty, first, second, tail).await
                    }
                }
            },
            None => Err(not_found()),
        },
        _ => Err(not_found()),
    }
}

/// The first path segment after a repository id on `/api/{T}/{id}/…` routes.
const API_ACTIONS: &[&str] = &[
    "revision",
    "tree",
    "paths-info",
    "refs",
    "commits",
    "branch",
    "tag",
    "super-squash",
    "preupload",
    "commit",
    "settings",
    "duplicate",
    "runtime",
    "hardware",
    "sleeptime",
    "pause",
    "restart",
    "storage",
    "secrets",
    "variables",
    "like",
    "likers",
    "auth-check",
    "user-access-request",
    "discussions",
];

/// The first path segment after a repository id on the non-API routes (`/{id}/resolve/…`).
const WEB_ACTIONS: &[&str] = &[
    "resolve",
    "commit",
    "info",
    "git-upload-pack",
    "git-receive-pack",
    "HEAD",
    "objects",
];

/// Whether `first/second…` addresses the canonical repository `first` (an id without a
/// namespace, like `gpt2`) rather than the repository `first/second`. The namespaced one always
/// wins when it exists, so neither ever shadows an existing repository. Otherwise the canonical
/// reading is taken when that repository exists, or when more segments follow `second` (`gpt2x/
/// revision/main` can only mean "revision main of gpt2x", and must answer RepoNotFound for
/// `gpt2x` as the Hub does, not a bare 404 for an unknown route).
async fn canonical(ctx: &Ctx, ty: RepoType, first: &str, second: &str, more: bool) -> bool {
    let repos = &ctx.st.inner.repos;
    matches!(repos.find(ty, first, second).await, Ok(None))
        && (more || matches!(repos.find(ty, "", first).await, Ok(Some(_))))
}

async fn repo_api(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rest: &[&str],
) -> HubResult<Response> {
    let m = ctx.method().clone();
    let join = |s: &[&str]| s.join("/");
    let get = m == Method::GET || m == Method::HEAD;
    if get
        && (rest.is_empty() || rest.first() == Some(&"revision"))
        && let Some(resp) = redirect_renamed(ctx, ty, ns, name).await
    {
        return Ok(resp);
    }
    match rest {
        [] if get => repos::info(ctx, ty, ns, name, None).await,
        ["revision", rev @ ..] if get && !rev.is_empty() => {
            repos::info(ctx, ty, ns, name, Some(join(rev))).await
        }
        ["tree", rest @ ..] if get && !rest.is_empty() => tree::tree(ctx, ty, ns, name, rest).await,
        ["paths-info", rev @ ..] if m == Method::POST && !rev.is_empty() => {
            tree::paths_info(ctx, ty, ns, name, &join(rev)).await
        }
        ["refs"] if get => history::refs(ctx, ty, ns, name).await,
        ["commits", rev @ ..] if get && !rev.is_empty() => {
            history::commits(ctx, ty, ns, name, &join(rev)).await
        }
        ["branch", b @ ..] if !b.is_empty() && m == Method::POST => {
            history::create_branch(ctx, ty, ns, name, &join(b)).await
        }
        ["branch", b @ ..] if !b.is_empty() && m == Method::DELETE => {
            history::delete_branch(ctx, ty, ns, name, &join(b)).await
        }
        ["tag", r @ ..] if !r.is_empty() && m == Method::POST => {
            history::create_tag(ctx, ty, ns, name, &join(r)).await
        }
        ["tag", t @ ..] if !t.is_empty() && m == Method::DELETE => {
            history::delete_tag(ctx, ty, ns, name, &join(t)).await
        }
        ["super-squash", b @ ..] if !b.is_empty() && m == Method::POST => {
            history::super_squash(ctx, ty, ns, name, &join(b)).await
        }
        ["preupload", rev @ ..] if !rev.is_empty() && m == Method::POST => {
            upload::preupload(ctx, ty, ns, name, &join(rev)).await
        }
        ["commit", rev @ ..] if !rev.is_empty() && m == Method::POST => {
            upload::commit(ctx, ty, ns, name, &join(rev)).await
        }
        ["settings"] if m == Method::PUT => repos::settings(ctx, ty, ns, name).await,
        ["duplicate"] if m == Method::POST && ty == RepoType::Space => {
            repos::duplicate(ctx, ty, ns, name).await
        }
        ["runtime"] if get && ty == RepoType::Space => extras::runtime(ctx, ty, ns, name).await,
        [
            action @ ("hardware" | "sleeptime" | "pause" | "restart" | "storage" | "secrets"
            | "variables"),
        ] if ty == RepoType::Space => extras::space_action(ctx, ty, ns, name, action).await,
        ["like"] if m == Method::POST || m == Method::DELETE => {
            extras::like(ctx, ty, ns, name).await
        }
        ["likers"] if get => extras::likers(ctx, ty, ns, name).await,
        ["auth-check"] if get => repos::auth_check(ctx, ty, ns, name).await,
        ["ask-access"] if m == Method::POST => access::ask(ctx, ty, ns, name).await,
        ["user-access-request", status] if get => {
            repos::access_list(ctx, ty, ns, name, status).await
        }
        ["user-access-request", action @ ("handle" | "grant")] if m == Method::POST => {
            repos::access_change(ctx, ty, ns, name, action).await
        }
        ["discussions"] if get => discussions::list(ctx, ty, ns, name).await,
        ["discussions"] if m == Method::POST => discussions::create(ctx, ty, ns, name).await,
        ["discussions", num] if get => discussions::details(ctx, ty, ns, name, num).await,
        ["discussions", num, action] if m == Method::POST => {
            discussions::action(ctx, ty, ns, name, num, action).await
        }
        ["discussions", num, "comment", id, action] if m == Method::POST => {
            comments::action(ctx, ty, (ns, name), num, id, action).await
        }
        _ => Err(not_found()),
    }
}

/// For a renamed repo, a relative redirect to the same URL under the new id.
async fn redirect_renamed(ctx: &Ctx, ty: RepoType, ns: &str, name: &str) -> Option<Response> {
    if ctx.st.inner.repos.find(ty, ns, name).await.ok()?.is_some() {
        return None;
    }
    let target = ctx.st.inner.repos.redirect(ty, ns, name).await?;
    let path = ctx.parts.uri.path();
    let needle = format!("/{ns}/{name}");
    let idx = path.find(&needle)?;
    let after = &path[idx + needle.len()..];
    if !(after.is_empty() || after.starts_with('/')) {
        return None;
    }
    let new_path = format!("{}/{}{}", &path[..idx], target, after);
    let loc = match ctx.parts.uri.query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    let mut resp = StatusCode::TEMPORARY_REDIRECT.into_response();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_str(&loc).ok()?);
    Some(resp)
}

async fn repo_scoped(ctx: &mut Ctx, segs: &[&str]) -> HubResult<Response> {
    let (ty, rest) = match segs.first() {
        Some(&"datasets") => (RepoType::Dataset, &segs[1..]),
        Some(&"spaces") => (RepoType::Space, &segs[1..]),
        _ => (RepoType::Model, segs),
    };
    let (ns, name, rest) = match rest {
        // Namespaces never end in `.git`, so `/gpt2.git/…` can only be a canonical repository.
        [first, rest @ ..] if first.ends_with(".git") => ("", *first, rest),
        [first, tail @ ..]
            if tail.first().is_some_and(|a| WEB_ACTIONS.contains(a))
                && canonical(ctx, ty, first, tail[0], tail.len() > 1).await =>
        {
            ("", *first, tail)
        }
        [ns, name, rest @ ..] => (*ns, *name, rest),
        _ => return Err(not_found()),
    };
    if let Some(base) = name.strip_suffix(".git") {
        return match rest {
            ["info", "lfs", "objects", "batch"] => upload::lfs_batch(ctx, ty, ns, base).await,
            ["info", "lfs", "objects", "verify"] => upload::lfs_verify(ctx, ty, ns, base).await,
            [] => Err(not_found()),
            _ => git(ctx, ty, ns, base).await,
        };
    }
    match rest {
        ["resolve", rest @ ..] if rest.len() >= 2 => {
            if let Some(resp) = redirect_renamed(ctx, ty, ns, name).await {
                return Ok(resp);
            }
            files::resolve(ctx, ty, ns, name, rest).await
        }
        ["commit", sha] if ctx.method() == Method::GET || ctx.method() == Method::HEAD => {
            history::commit_page(ctx, ty, ns, name, sha).await
        }
        ["info", ..] | ["git-upload-pack"] | ["git-receive-pack"] | ["HEAD"] | ["objects", ..] => {
            git(ctx, ty, ns, name).await
        }
        _ => Err(not_found()),
    }
}

async fn git(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let repo = match ctx.repo_read(ty, ns, name).await {
        Ok(r) => r,
        // Anonymous git clients only send credentials after a 401 challenge.
        Err(HubError::RepoNotFound(_)) if ctx.caller.is_none() => {
            let mut resp = (StatusCode::UNAUTHORIZED, "Authentication required").into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"hub\""),
            );
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    // Gated content is not served to git either; anonymous clients get a challenge first.
    if let Err(e) = ctx.check_gated(&repo).await {
        if ctx.caller.is_none() {
            let mut resp = (StatusCode::UNAUTHORIZED, "Authentication required").into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"hub\""),
            );
            return Ok(resp);
        }
        return Err(e);
    }
    let can_write = ctx.can_write(&repo).await?;
    let user = ctx.caller.as_ref().map(|c| c.name.clone());
    let body = ctx.take_body();
    let req = Request::from_parts(ctx.parts.clone(), body);
    let dir = repo.git.dir().to_path_buf();
    let is_push = ctx.parts.uri.path().ends_with("/git-receive-pack");
    if is_push {
        // Keep API commits out while receive-pack updates refs.
        let guard = ctx.st.inner.repos.lock(&repo).lock_owned().await;
        let checks = crate::git_http::PushChecks {
            hooks_dir: ctx.st.inner.hooks_dir.clone(),
            lfs_objects: ctx.st.inner.lfs_objects.clone(),
        };
        Ok(
            crate::git_http::serve_git_guarded(dir, req, user, can_write, Some(checks), guard)
                .await,
        )
    } else {
        Ok(crate::git_http::serve_git(dir, req, user, can_write).await)
    }
}

/// Maps an I/O error from a blocking git operation.
pub(crate) fn internal(e: impl std::fmt::Display) -> HubError {
    HubError::Internal(e.to_string())
}

/// Percent-encodes a revision for a URL path segment (`safe=""`).
pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests;
