//! Webhooks settings (protocol §8.3): `/api/settings/webhooks[/{id}[/enable|/disable]]`.
//!
//! Webhooks belong to the user who created them: others (and anonymous callers) get 404 for
//! them, as if they did not exist. They live in `{data_dir}/webhooks.json`, rewritten
//! atomically under a process-wide lock. Reading needs any token; changing needs a write token.
//!
//! Updates (`POST .../{id}`) replace the fields they carry; an empty `watched` list and a null
//! `domains` or `secret` keep the current value, because Python's `update_webhook` sends
//! `watched: []` and nulls for the arguments the caller left out.
//!
//! Delivery ([`notify`]): discussion events (new discussion or PR, new comment, status and
//! title changes; domain `discussion`) and commits (`repo.content`, domain `repo`, emitted by
//! the [`repo_events`] middleware) are POSTed to every enabled webhook watching the repo (or
//! its owner) with that domain, with `X-Webhook-Secret`, from a background task per webhook
//! that keeps their order and retries failures; the write that caused the event never waits
//! for it. See `docs/community.md` for the full event table (repo create/delete/move,
//! `repo.config`, `repo.content` for every ref write, discussion and comment events).
//!
//! Delivery uses a rustls `reqwest` client (http and https; webpki roots plus the
//! server's `webhook_ca_file`). An event whose attempts all fail is logged and dropped.

use std::sync::LazyLock;

use axum::http::Method;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::util;

static LOCK: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

const WATCH_TYPES: [&str; 5] = ["model", "dataset", "space", "user", "org"];
const DOMAINS: [&str; 2] = ["repo", "discussion"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Watched {
    #[serde(rename = "type")]
    kind: String,
    name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Hook {
    id: String,
    owner: String,
    url: String,
    watched: Vec<Watched>,
    domains: Vec<String>,
    secret: Option<String>,
    disabled: bool,
}

impl Hook {
    fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "url": self.url, "watched": self.watched,
            "domains": self.domains, "disabled": self.disabled});
        if let Some(s) = &self.secret {
            v["secret"] = json!(s);
        }
        v
    }
}

fn path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.st.inner.data_dir.join("webhooks.json")
}

async fn load(ctx: &Ctx) -> HubResult<Vec<Hook>> {
    load_state(&ctx.st).await
}

async fn load_state(st: &crate::AppState) -> HubResult<Vec<Hook>> {
    match tokio::fs::read(st.inner.data_dir.join("webhooks.json")).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(internal),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

async fn save(ctx: &Ctx, all: &[Hook]) -> HubResult<()> {
    let bytes = serde_json::to_vec(all).map_err(internal)?;
    let p = path(ctx);
    tokio::task::spawn_blocking(move || util::atomic_write(&p, &bytes))
        .await
        .map_err(internal)?
        .map_err(internal)
}

fn parse_url(body: &Value) -> HubResult<Option<String>> {
    match body.get("url") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(u)) if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(Some(u.clone()))
        }
        Some(other) => Err(HubError::BadRequest(format!(
            "url must be an http(s) URL, got {other}"
        ))),
    }
}

fn parse_watched(body: &Value) -> HubResult<Vec<Watched>> {
    let items = match body.get("watched") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => serde_json::from_value::<Vec<Watched>>(v.clone()).map_err(|e| {
            HubError::BadRequest(format!("watched must be a list of {{type, name}}: {e}"))
        })?,
    };
    for w in &items {
        if !WATCH_TYPES.contains(&w.kind.as_str()) || w.name.is_empty() {
            return Err(HubError::BadRequest(format!(
                "Invalid watched item {}: type must be one of {WATCH_TYPES:?}",
                w.name
            )));
        }
    }
    Ok(items)
}

fn parse_domains(body: &Value) -> HubResult<Option<Vec<String>>> {
    match body.get("domains") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let d: Vec<String> = serde_json::from_value(v.clone())
                .map_err(|e| HubError::BadRequest(format!("domains must be a list: {e}")))?;
            if let Some(bad) = d.iter().find(|x| !DOMAINS.contains(&x.as_str())) {
                return Err(HubError::BadRequest(format!(
                    "Invalid domain {bad:?}: must be one of {DOMAINS:?}"
                )));
            }
            Ok(Some(d))
        }
    }
}

/// Dispatches `/api/settings/webhooks/...`.
pub(super) async fn route(ctx: &mut Ctx, segs: &[&str]) -> HubResult<Response> {
    let m = ctx.method().clone();
    let caller = ctx.need_caller()?.clone();
    if m != Method::GET && !caller.write {
        return Err(HubError::Forbidden(
            "You cannot change webhooks with a read-only token".into(),
        ));
    }
    let body: Value = if m == Method::POST {
        ctx.json().await?
    } else {
        Value::Null
    };
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    let mine = |all: &[Hook], id: &str| {
        all.iter()
            .position(|h| h.id == id && h.owner == caller.name)
            .ok_or_else(|| HubError::NotFound(format!("Webhook {id} not found")))
    };
    let answer = match segs {
        [] if m == Method::GET => Value::Array(
            all.iter()
                .filter(|h| h.owner == caller.name)
                .map(Hook::to_json)
                .collect(),
        ),
        [] if m == Method::POST => {
            let url =
                parse_url(&body)?.ok_or_else(|| HubError::BadRequest("Missing url".into()))?;
            let watched = parse_watched(&body)?;
            if watched.is_empty() {
                return Err(HubError::BadRequest("Watch at least one item".into()));
            }
            let hook = Hook {
                id: hex::encode(rand::random::<[u8; 12]>()),
                owner: caller.name.clone(),
                url,
                watched,
                domains: parse_domains(&body)?
                    .unwrap_or_else(|| DOMAINS.iter().map(|d| d.to_string()).collect()),
                secret: body
                    .get("secret")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                disabled: false,
            };
            let v = json!({ "webhook": hook.to_json() });
            all.push(hook);
            save(ctx, &all).await?;
            v
        }
        [id] if m == Method::GET => json!({ "webhook": all[mine(&all, id)?].to_json() }),
        [id] if m == Method::POST => {
            let i = mine(&all, id)?;
            let (url, watched, domains) = (
                parse_url(&body)?,
                parse_watched(&body)?,
                parse_domains(&body)?,
            );
            let h = &mut all[i];
            if let Some(u) = url {
                h.url = u;
            }
            if !watched.is_empty() {
                h.watched = watched;
            }
            if let Some(d) = domains {
                h.domains = d;
            }
            if let Some(s) = body.get("secret").and_then(Value::as_str) {
                h.secret = Some(s.to_string());
            }
            let v = json!({ "webhook": h.to_json() });
            save(ctx, &all).await?;
            v
        }
        [id, action @ ("enable" | "disable")] if m == Method::POST => {
            let i = mine(&all, id)?;
            all[i].disabled = *action == "disable";
            let v = json!({ "webhook": all[i].to_json() });
            save(ctx, &all).await?;
            v
        }
        [id] if m == Method::DELETE => {
            let i = mine(&all, id)?;
            all.remove(i);
            save(ctx, &all).await?;
            json!({})
        }
        _ => return Err(HubError::NotFound("Not Found".into())),
    };
    Ok(super::json(answer))
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// One event to POST to one webhook.
struct Job {
    client: reqwest::Client,
    url: String,
    secret: Option<String>,
    body: Vec<u8>,
}

/// Pending jobs per webhook id, and whether a worker is draining them. One worker per webhook
/// delivers its events one at a time, in the order they happened.
/// A webhook's queue and whether its worker runs.
type Queue = (std::collections::VecDeque<Job>, bool);
static QUEUES: LazyLock<std::sync::Mutex<std::collections::HashMap<String, Queue>>> =
    LazyLock::new(Default::default);

/// Attempts per event (first try + retries), and the pause before retry `n` is `n` × this.
const ATTEMPTS: u32 = 3;
const BACKOFF: std::time::Duration = std::time::Duration::from_millis(300);

/// Queues the Hub's webhook payload for every enabled webhook watching `repo` (by repo, or by
/// its owner) with `domain` in its domains. Never fails and never waits: delivery runs in the
/// background, so the write that caused the event is answered first.
///
/// `extra` holds the parts besides `event`, `repo` and `webhook` (`discussion`, `comment`,
/// `updatedRefs`, `movedTo`, ...), plus `headSha`, which moves into `repo`. Authors named in
/// `discussion`/`comment` get their `id` here, where the account data is at hand.
pub(super) async fn notify(
    ctx: &Ctx,
    repo: &crate::repo::Repo,
    domain: &str,
    scope: &str,
    action: &str,
    extra: Value,
) {
    notify_state(&ctx.st, repo, domain, scope, action, extra).await;
}

/// A stable 24-hex object id for things hub-server stores without one (discussions, unknown
/// authors), derived from what identifies them so every event names them the same way.
pub(super) fn derived_id(parts: &[&str]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(parts.join("\0").as_bytes());
    hex::encode(&digest[..12])
}

/// The payload's `discussion` part (`WebhookPayloadDiscussion`): `id`, `num`, `author`, `url`,
/// `title`, `isPullRequest`, `status`, `pinned`, and for a PR `changes{base, mergeCommitId}`.
pub(super) fn discussion_hook(
    base: &str,
    repo: &crate::repo::Repo,
    d: &crate::repo::Discussion,
) -> Value {
    let repo_id = repo.id();
    let mut v = json!({
        "id": derived_id(&[&repo.meta.id, "discussion", &d.num.to_string()]),
        "num": d.num, "title": d.title, "status": d.status, "isPullRequest": d.is_pull_request,
        "author": {"name": d.author}, "pinned": false,
        "url": {"web": format!("{base}/{}{repo_id}/discussions/{}", repo.ty.url_prefix(), d.num),
                "api": format!("{base}/api/{}s/{repo_id}/discussions/{}", repo.ty.singular(), d.num)},
    });
    if d.is_pull_request {
        let merge = d
            .events
            .iter()
            .rev()
            .find_map(|e| e["data"]["mergeCommitId"].as_str());
        v["changes"] = json!({"base": "refs/heads/main", "mergeCommitId": merge});
    }
    v
}

/// The payload's `comment` part (`WebhookPayloadComment`) for a stored comment event; a hidden
/// comment carries no `content`.
pub(super) fn comment_hook(discussion: &Value, event: &Value) -> Value {
    let id = event["id"].as_str().unwrap_or_default();
    let hidden = event["data"]["hidden"] == true;
    let web = discussion["url"]["web"].as_str().unwrap_or_default();
    let mut v = json!({"id": id, "author": {"name": event["author"]["name"]}, "hidden": hidden,
        "url": {"web": format!("{web}#{id}")}});
    if !hidden {
        v["content"] = event["data"]["latest"]["raw"].clone();
    }
    v
}

async fn notify_state(
    st: &crate::AppState,
    repo: &crate::repo::Repo,
    domain: &str,
    scope: &str,
    action: &str,
    extra: Value,
) {
    let hooks = match load_state(st).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!("webhooks not loaded, event {scope} dropped: {e}");
            return;
        }
    };
    let repo_id = repo.id();
    let ty = repo.ty.singular();
    let watching: Vec<&Hook> = hooks
        .iter()
        .filter(|h| !h.disabled && h.domains.iter().any(|d| d == domain))
        .filter(|h| {
            h.watched.iter().any(|w| {
                (w.kind == ty && w.name == repo_id)
                    || ((w.kind == "user" || w.kind == "org")
                        && w.name.eq_ignore_ascii_case(repo.owner()))
            })
        })
        .collect();
    if watching.is_empty() {
        return;
    }
    let auth = st.inner.auth.get().await.ok();
    let id_of = |name: &str| {
        auth.as_ref()
            .and_then(|a| {
                a.users
                    .get(name)
                    .map(|u| u.id.clone())
                    .or_else(|| a.orgs.get(name).map(|o| o.id.clone()))
            })
            .unwrap_or_else(|| derived_id(&["account", name]))
    };
    let base = &st.inner.public_url;
    let owner = repo.owner();
    let mut common = json!({
        "event": {"action": action, "scope": scope},
        "repo": {"type": ty, "name": repo_id, "id": repo.meta.id, "private": repo.meta.private,
            "url": {"web": format!("{base}/{}{repo_id}", repo.ty.url_prefix()),
                    "api": format!("{base}/api/{ty}s/{repo_id}")},
            "owner": {"id": id_of(owner), "name": owner}},
    });
    if let (Value::Object(p), Value::Object(e)) = (&mut common, extra) {
        p.extend(e);
    }
    // The head commit belongs inside `repo`.
    if let Some(head) = common.as_object_mut().and_then(|p| p.remove("headSha")) {
        common["repo"]["headSha"] = head;
    }
    for part in ["discussion", "comment"] {
        if let Some(name) = common[part]["author"]["name"].as_str().map(str::to_owned) {
            common[part]["author"]["id"] = json!(id_of(&name));
        }
    }
    if let Some(name) = common["movedTo"]["owner"]["name"]
        .as_str()
        .map(str::to_owned)
    {
        common["movedTo"]["owner"]["id"] = json!(id_of(&name));
    }
    for h in watching {
        let mut payload = common.clone();
        payload["webhook"] = json!({"id": h.id, "version": 3});
        let Ok(body) = serde_json::to_vec(&payload) else {
            continue;
        };
        enqueue(
            h.id.clone(),
            Job {
                client: st.inner.webhook_client.clone(),
                url: h.url.clone(),
                secret: h.secret.clone(),
                body,
            },
        );
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

fn enqueue(hook: String, job: Job) {
    let start = {
        let mut q = QUEUES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = q.entry(hook.clone()).or_default();
        entry.0.push_back(job);
        !std::mem::replace(&mut entry.1, true)
    };
    if start {
        tokio::spawn(drain(hook));
    }
}

async fn drain(hook: String) {
    loop {
        let job = {
            let mut q = QUEUES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(entry) = q.get_mut(&hook) else {
                return;
            };
            match entry.0.pop_front() {
                Some(j) => j,
                None => {
                    entry.1 = false;
                    return;
                }
            }
        };
        for attempt in 1..=ATTEMPTS {
            match post(&job).await {
                Ok(status) if (200..300).contains(&status) => break,
                outcome => {
                    // The error's source chain says why (refused, certificate not trusted, ...).
                    let why = match outcome {
                        Ok(status) => format!("answered {status}"),
                        Err(e) => error_chain(&e),
                    };
                    if attempt < ATTEMPTS {
                        tracing::warn!(
                            "webhook {hook}: delivery attempt {attempt} to {} failed: {why}; retrying",
                            job.url
                        );
                        tokio::time::sleep(BACKOFF * attempt).await;
                    } else {
                        tracing::error!(
                            "webhook {hook}: giving up on an event for {} after {ATTEMPTS} attempts: {why}",
                            job.url
                        );
                    }
                }
            }
        }
    }
}

/// POSTs one payload (http or https, see `webhook_client` in `lib.rs`) and returns the status.
async fn post(job: &Job) -> Result<u16, reqwest::Error> {
    let mut rb = job
        .client
        .post(&job.url)
        .header("content-type", "application/json")
        .body(job.body.clone());
    if let Some(secret) = &job.secret {
        rb = rb.header("x-webhook-secret", secret);
    }
    Ok(rb.send().await?.status().as_u16())
}

/// Per-repository locks of [`repo_events`], keyed by repository directory: ref writes to one
/// repo pass one at a time, so each request's before/after snapshots see only its own changes.
static REF_WRITES: LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
> = LazyLock::new(Default::default);

/// The requests that move refs: API commits, branch and tag creation/deletion, super-squash,
/// PR merges, and git pushes. Returns the repository's (type, namespace, name).
fn ref_write_target(
    method: &Method,
    segs: &[&str],
) -> Option<(crate::repo::RepoType, String, String)> {
    use crate::repo::RepoType;
    let post = method == Method::POST;
    let delete = method == Method::DELETE;
    match segs {
        ["api", t, ns, name, "commit" | "super-squash", rev @ ..] if post && !rev.is_empty() => {
            RepoType::from_plural(t).map(|ty| (ty, ns.to_string(), name.to_string()))
        }
        ["api", t, ns, name, "branch" | "tag", rev @ ..] if (post || delete) && !rev.is_empty() => {
            RepoType::from_plural(t).map(|ty| (ty, ns.to_string(), name.to_string()))
        }
        ["api", t, ns, name, "discussions", _, "merge"] if post => {
            RepoType::from_plural(t).map(|ty| (ty, ns.to_string(), name.to_string()))
        }
        [prefix @ .., ns, name, "git-receive-pack"] if post => {
            let ty = match prefix {
                [] => RepoType::Model,
                ["datasets"] => RepoType::Dataset,
                ["spaces"] => RepoType::Space,
                _ => return None,
            };
            let name = name.strip_suffix(".git").unwrap_or(name);
            Some((ty, ns.to_string(), name.to_string()))
        }
        _ => None,
    }
}

async fn snapshot(
    st: &crate::AppState,
    repo: &crate::repo::Repo,
) -> Option<std::collections::BTreeMap<String, String>> {
    let reader = st.inner.repos.reader(repo);
    crate::repo::blocking(&reader, |rd| rd.git.list_refs())
        .await
        .map(|refs| refs.into_iter().collect())
        .map_err(|e| tracing::warn!("refs of {} not readable for webhooks: {e}", repo.id()))
        .ok()
}

/// Middleware emitting `repo.content` events (domain `repo`) for every request that moves refs
/// (see [`ref_write_target`]): the repo's refs are read before and after the request, and the
/// difference becomes `updatedRefs` (`{ref, oldSha, newSha}`, null for a created or deleted
/// ref). The action is `create` when every changed ref is new, `delete` when every one is gone,
/// `update` otherwise. The write is answered as it is; the event is delivered in the background.
pub(crate) async fn repo_events(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let Some((ty, ns, name)) = ref_write_target(req.method(), &segs) else {
        return next.run(req).await;
    };
    let repo = match st.inner.repos.find(ty, &ns, &name).await {
        Ok(Some(r)) => r,
        _ => return next.run(req).await,
    };
    let lock = {
        let mut all = REF_WRITES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Locks nobody holds or waits for are dropped now and then, so the map stays small.
        if all.len() > 1024 {
            all.retain(|_, l| std::sync::Arc::strong_count(l) > 1);
        }
        all.entry(repo.lock_key()).or_default().clone()
    };
    let _serial = lock.lock().await;
    let Some(before) = snapshot(&st, &repo).await else {
        return next.run(req).await;
    };
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp;
    }
    // A push updates refs while its answer streams; the answer ends once they are written.
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("answer of a ref write not readable for webhooks: {e}");
            return Response::from_parts(parts, axum::body::Body::empty());
        }
    };
    if let Some(after) = snapshot(&st, &repo).await {
        let mut updated = Vec::new();
        let (mut created, mut deleted) = (0, 0);
        for name in before
            .keys()
            .chain(after.keys().filter(|k| !before.contains_key(*k)))
        {
            let (old, new) = (before.get(name), after.get(name));
            if old == new {
                continue;
            }
            created += usize::from(old.is_none());
            deleted += usize::from(new.is_none());
            updated.push(json!({"ref": name, "oldSha": old, "newSha": new}));
        }
        if !updated.is_empty() {
            let action = if created == updated.len() {
                "create"
            } else if deleted == updated.len() {
                "delete"
            } else {
                "update"
            };
            let mut extra = json!({"updatedRefs": updated});
            if let Some(head) = after.get("refs/heads/main") {
                extra["headSha"] = json!(head);
            }
            notify_state(&st, &repo, "repo", "repo.content", action, extra).await;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
