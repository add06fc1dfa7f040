//! Follows: `POST|DELETE /api/users/{user}/follow` (the caller follows or unfollows a user or an
//! organization) and `GET /api/users/{user}/{followers|following}` (arrays of User objects,
//! protocol §8.4).
//!
//! Follows live in `{data_dir}/follows.json` as `(follower, followed)` pairs, rewritten
//! atomically under a process-wide lock (the same scheme as collections: small, rarely
//! written data).

use std::sync::LazyLock;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::util;

static LOCK: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

fn path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.st.inner.data_dir.join("follows.json")
}

async fn load(ctx: &Ctx) -> HubResult<Vec<(String, String)>> {
    match tokio::fs::read(path(ctx)).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(internal),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

/// Dispatches `/api/users/{user}/{follow|followers|following}`.
pub(super) async fn route(ctx: &mut Ctx, user: &str, what: &str) -> HubResult<Response> {
    let m = ctx.method().clone();
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let user = auth
        .namespace(user)
        .ok_or_else(|| HubError::NotFound(format!("User {user} not found")))?;
    let user_json = |name: &str| {
        let u = auth.users.get(name);
        json!({"user": name, "fullname": u.map(|x| x.fullname.clone()).unwrap_or_else(|| name.to_string()),
            "avatarUrl": super::account::avatar(name), "type": if u.is_some() { "user" } else { "org" },
            "isPro": false})
    };
    match what {
        "followers" | "following" if m == Method::GET => {
            let all = load(ctx).await?;
            let out: Vec<Value> = all
                .iter()
                .filter_map(|(from, to)| match what {
                    "followers" if *to == user => Some(user_json(from)),
                    "following" if *from == user => Some(user_json(to)),
                    _ => None,
                })
                .collect();
            Ok(super::json(Value::Array(out)))
        }
        "follow" if m == Method::POST || m == Method::DELETE => {
            let caller = ctx.need_caller()?;
            if !caller.write {
                return Err(HubError::Forbidden(
                    "You cannot follow with a read-only token".into(),
                ));
            }
            let me = caller.name.clone();
            if me == user {
                return Err(HubError::BadRequest("You cannot follow yourself".into()));
            }
            let _g = LOCK.lock().await;
            let mut all = load(ctx).await?;
            all.retain(|(from, to)| !(*from == me && *to == user));
            if m == Method::POST {
                all.push((me, user));
            }
            let bytes = serde_json::to_vec(&all).map_err(internal)?;
            let p = path(ctx);
            tokio::task::spawn_blocking(move || util::atomic_write(&p, &bytes))
                .await
                .map_err(internal)?
                .map_err(internal)?;
            Ok(super::json(json!({})))
        }
        _ => Err(HubError::NotFound("Not Found".into())),
    }
}
