//! Asking for access to a gated repo: `POST /api/{T}/{id}/ask-access` (on the Hub, the gate
//! form's submit). The request is recorded under the caller's name with the status the gate
//! mode gives it: `"auto"` accepts at once, `"manual"` leaves it pending for the owner (who
//! lists and handles it through `user-access-request/*`, see `repos.rs`). Asking again keeps
//! an accepted or rejected answer: only the owner changes those.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::repo::{AccessRequest, RepoType};
use crate::util;

/// `POST /api/{T}/{id}/ask-access` → `{"status": ...}`.
pub(super) async fn ask(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let user = ctx.need_caller()?.name.clone();
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
                },
            );
            ctx.st.inner.repos.save_meta(&repo).await?;
            status.to_string()
        }
    };
    Ok(super::json(json!({ "status": status })))
}
