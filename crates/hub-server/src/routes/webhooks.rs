//! Webhooks settings (protocol §8.3): `/api/settings/webhooks[/{id}[/enable|/disable]]`.
//!
//! Webhooks belong to the user who created them: others (and anonymous callers) get 404 for
//! them, as if they did not exist. They live in `{data_dir}/webhooks.json`, rewritten
//! atomically under a process-wide lock. Reading needs any token; changing needs a write token.
//!
//! Updates (`POST .../{id}`) replace the fields they carry; an empty `watched` list and a null
//! `domains` or `secret` keep the current value, because Python's `update_webhook` sends
//! `watched: []` and nulls for the arguments the caller left out.
//! Delivery of events to the URLs is not implemented here (see the report of issue 13).

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
    match tokio::fs::read(path(ctx)).await {
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
