//! Asking for access to a gated repo: `POST /api/{T}/{id}/ask-access` (on the Hub, the gate
//! form's submit). The request is recorded under the caller's name with the status the gate
//! mode gives it: `"auto"` accepts at once, `"manual"` leaves it pending for the owner (who
//! lists and handles it through `user-access-request/*`, see `repos.rs`). Asking again keeps
//! an accepted or rejected answer: only the owner changes those.
//!
//! The body is the gate form: a JSON object or an urlencoded form of the extra fields the repo's
//! card asks for (`extra_gated_fields`). They are stored as the request's `fields`, together with
//! the requester's e-mail at the time of asking (the Hub shares it with the repo's authors), and
//! both come back in the `user-access-request/*` listings.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::repo::{AccessRequest, RepoType};
use crate::util;

/// `POST /api/{T}/{id}/ask-access` → `{"status": ...}`.
pub(super) async fn ask(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let user = ctx.need_caller()?.name.clone();
    let fields = form_fields(ctx).await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let mode = match &repo.meta.gated {
        Value::String(s) if s == "auto" || s == "manual" => s.clone(),
        _ => {
            return Err(HubError::BadRequest(format!(
                "Repo {} is not gated",
                repo.id()
            )));
        }
    };
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut repo = ctx
        .st
        .inner
        .repos
        .find(ty, &repo.ns, &repo.name)
        .await?
        .ok_or_else(|| internal("repo vanished"))?;
    let email = ctx
        .st
        .inner
        .auth
        .get()
        .await
        .map_err(internal)?
        .users
        .get(&user)
        .and_then(|u| u.email.clone());
    let status = match repo.meta.access.get(&user) {
        Some(a) if a.status != "pending" => a.status.clone(),
        _ => {
            let status = if mode == "auto" {
                "accepted"
            } else {
                "pending"
            };
            repo.meta.access.insert(
                user,
                AccessRequest {
                    status: status.into(),
                    timestamp: util::now_date(),
                    email,
                    fields: (!fields.is_empty()).then_some(fields),
                },
            );
            ctx.st.inner.repos.save_meta(&repo).await?;
            status.to_string()
        }
    };
    Ok(super::json(json!({ "status": status })))
}

/// The gate form's fields: a JSON object, or an urlencoded form (values kept as strings).
async fn form_fields(ctx: &mut Ctx) -> HubResult<serde_json::Map<String, Value>> {
    let urlencoded = ctx
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if urlencoded {
        let bytes = ctx.body_bytes(1 << 20).await?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| HubError::BadRequest(format!("Invalid form body: {e}")))?;
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    match ctx.json::<Value>().await? {
        Value::Object(m) => Ok(m),
        other => Err(HubError::BadRequest(format!(
            "The access request form must be a JSON object of fields, got {other}"
        ))),
    }
}
