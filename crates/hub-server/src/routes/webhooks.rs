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
//! for it. New branches emit `repo.content` (`create`) too; tags and settings changes emit
//! nothing yet.

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
    for h in hooks
        .iter()
        .filter(|h| !h.disabled && h.domains.iter().any(|d| d == domain))
    {
        let watches = h.watched.iter().any(|w| {
            (w.kind == ty && w.name == repo_id)
                || ((w.kind == "user" || w.kind == "org") && w.name.eq_ignore_ascii_case(&repo.ns))
        });
        if !watches {
            continue;
        }
        let base = &st.inner.public_url;
        let mut payload = json!({
            "event": {"action": action, "scope": scope},
            "repo": {"type": ty, "name": repo_id, "private": repo.meta.private,
                "url": {"web": format!("{base}/{}{repo_id}", repo.ty.url_prefix()),
                        "api": format!("{base}/api/{}s/{repo_id}", ty)},
                "owner": {"name": repo.ns}},
            "webhook": {"id": h.id, "version": 3},
        });
        if let (Value::Object(p), Value::Object(e)) = (&mut payload, &extra) {
            p.extend(e.clone());
            // The head commit belongs inside `repo`.
            if let Some(head) = p.remove("headSha") {
                payload["repo"]["headSha"] = head;
            }
        }
        let Ok(body) = serde_json::to_vec(&payload) else {
            continue;
        };
        enqueue(
            h.id.clone(),
            Job {
                url: h.url.clone(),
                secret: h.secret.clone(),
                body,
            },
        );
    }
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
                    tracing::warn!(
                        "webhook {hook}: delivery attempt {attempt} to {} failed: {outcome:?}",
                        job.url
                    );
                    if attempt < ATTEMPTS {
                        tokio::time::sleep(BACKOFF * attempt).await;
                    }
                }
            }
        }
    }
}

/// POSTs one payload over plain HTTP/1.1 and returns the status code. hub-server has no HTTP
/// client (and must not depend on the client crates), and a test server delivers to local
/// receivers, so `https://` URLs are reported as undeliverable.
async fn post(job: &Job) -> std::io::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let err = |m: &str| std::io::Error::other(m.to_string());
    let rest = job
        .url
        .strip_prefix("http://")
        .ok_or_else(|| err("only http:// webhook URLs can be delivered by hub-server"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let io = async {
        let mut s = tokio::net::TcpStream::connect(&addr).await?;
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: hub-server-webhooks\r\n",
            job.body.len()
        );
        if let Some(secret) = &job.secret {
            head.push_str(&format!("X-Webhook-Secret: {secret}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await?;
        s.write_all(&job.body).await?;
        let mut buf = [0u8; 64];
        let mut n = 0;
        while n < 12 {
            let r = s.read(&mut buf[n..]).await?;
            if r == 0 {
                break;
            }
            n += r;
        }
        let line = String::from_utf8_lossy(&buf[..n]).to_string();
        line.split(' ')
            .nth(1)
            .and_then(|c| c.get(..3))
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| err("no HTTP status line in the answer"))
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), io)
        .await
        .map_err(|_| err("timed out"))?
}

/// Middleware emitting `repo.content` events (domain `repo`) for successful commits
/// (`POST /api/{type}s/{ns}/{name}/commit/{revision}`, action `update`) and new branches
/// (`POST .../branch/{name}`, action `create`): the write is answered as it is, the event only
/// reads its answer (`commitOid`) or the new ref, and is delivered in the background.
pub(crate) async fn repo_events(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let decode = |s: &[&str]| {
        percent_encoding::percent_decode_str(&s.join("/"))
            .decode_utf8_lossy()
            .into_owned()
    };
    // (type, namespace, name, revision, is a new branch)
    let target = match (req.method() == Method::POST, segs.as_slice()) {
        (true, ["api", t, ns, name, kind @ ("commit" | "branch"), rev @ ..]) if !rev.is_empty() => {
            crate::repo::RepoType::from_plural(t).map(|ty| {
                (
                    ty,
                    ns.to_string(),
                    name.to_string(),
                    decode(rev),
                    *kind == "branch",
                )
            })
        }
        _ => None,
    };
    let resp = next.run(req).await;
    let Some((ty, ns, name, rev, new_branch)) = target else {
        return resp;
    };
    if !resp.status().is_success() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("commit answer not readable for webhooks: {e}");
            return Response::from_parts(parts, axum::body::Body::empty());
        }
    };
    let git_ref = if rev.starts_with("refs/") {
        rev
    } else {
        format!("refs/heads/{rev}")
    };
    if let Ok(Some(repo)) = st.inner.repos.find(ty, &ns, &name).await {
        // A commit's answer names the new head; a new branch points where the ref now does.
        let oid = if new_branch {
            let reader = st.inner.repos.reader(&repo);
            let r = git_ref.clone();
            crate::repo::blocking(&reader, move |rd| rd.git.read_ref(&r))
                .await
                .ok()
                .flatten()
        } else {
            serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["commitOid"].as_str().map(str::to_owned))
        };
        if let Some(oid) = oid {
            let mut updated = json!({"ref": git_ref, "newSha": oid});
            if new_branch {
                updated["oldSha"] = Value::Null;
            }
            let extra = json!({"updatedRefs": [updated], "headSha": oid});
            let action = if new_branch { "create" } else { "update" };
            notify_state(&st, &repo, "repo", "repo.content", action, extra).await;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
