//! Comment edit and hide: `POST /api/{T}/{id}/discussions/{num}/comment/{comment_id}/{edit|hide}`.
//!
//! Comments are the `comment` events stored with the discussion (see `discussions.rs`). An edit
//! moves the current revision (`data.latest`) to the front of `data.history` (newest first) and
//! sets `edited`; only the comment's author may edit. Hiding replaces the text for good and drops
//! the history, since a hidden comment's content must not be readable any more; the author or
//! anyone with write access to the repo may hide. A hidden comment cannot be edited.

use axum::response::Response;
use serde_json::{Value, json};

use super::Ctx;
use crate::error::{HubError, HubResult};
use crate::repo::RepoType;
use crate::util;

/// Text a hidden comment shows instead of its content.
const HIDDEN_TEXT: &str = "This comment has been hidden";

/// `POST .../discussions/{num}/comment/{comment_id}/{edit|hide}` → `{"updatedComment": event}`.
pub(super) async fn action(
    ctx: &mut Ctx,
    ty: RepoType,
    (ns, name): (&str, &str),
    num: &str,
    comment_id: &str,
    action: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let caller = ctx.need_caller()?.name.clone();
    let num: u64 = num
        .parse()
        .map_err(|_| HubError::NotFound("Discussion not found".into()))?;
    let content = match action {
        "edit" => {
            let c = body
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if c.trim().is_empty() {
                return Err(HubError::BadRequest(
                    "Comment content cannot be empty".into(),
                ));
            }
            Some(c)
        }
        "hide" => None,
        _ => return Err(HubError::NotFound("Not Found".into())),
    };
    // Decided before taking the repo lock: `check_write` reads repo settings.
    let may_moderate = ctx.check_write(&repo).await.is_ok();
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut all = ctx.st.inner.repos.discussions(&repo).await?;
    let d = all
        .iter_mut()
        .find(|d| d.num == num)
        .ok_or_else(|| HubError::NotFound("Discussion not found".into()))?;
    let event = d
        .events
        .iter_mut()
        .find(|e| {
            e["type"] == "comment"
                && e["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(comment_id))
        })
        .ok_or_else(|| HubError::NotFound("Comment not found".into()))?;
    let author = event["author"]["name"].as_str().unwrap_or("").to_string();
    let is_author = author == caller;
    if event["data"]["hidden"] == true {
        return Err(HubError::Forbidden(
            "This comment is hidden and can no longer be changed".into(),
        ));
    }
    match content {
        Some(text) => {
            if !is_author {
                return Err(HubError::Forbidden(
                    "Only the author of a comment can edit it".into(),
                ));
            }
            let previous = event["data"]["latest"].take();
            let mut history = match event["data"]["history"].take() {
                Value::Array(h) => h,
                _ => Vec::new(),
            };
            history.insert(0, previous);
            event["data"]["history"] = Value::Array(history);
            // Rendered as the text itself, as new comments are (see `discussions.rs`).
            event["data"]["latest"] = json!({"raw": text, "html": text,
                "updatedAt": util::now_date(), "author": {"name": caller}});
            event["data"]["edited"] = json!(true);
        }
        None => {
            if !is_author && !may_moderate {
                return Err(HubError::Forbidden(
                    "Only the author of a comment or a maintainer of the repo can hide it".into(),
                ));
            }
            event["data"]["hidden"] = json!(true);
            event["data"]["history"] = json!([]);
            event["data"]["latest"] = json!({"raw": HIDDEN_TEXT, "html": HIDDEN_TEXT,
                "updatedAt": util::now_date(), "author": {"name": caller}});
        }
    }
    let updated = event.clone();
    let discussion = super::webhooks::discussion_hook(ctx.public(), &repo, d);
    let hook = json!({"comment": super::webhooks::comment_hook(&discussion, &updated),
        "discussion": discussion});
    ctx.st.inner.repos.save_discussions(&repo, &all).await?;
    // An edit or a hide is an `update` of the comment (content left out once hidden).
    super::webhooks::notify(
        ctx,
        &repo,
        "discussion",
        "discussion.comment",
        "update",
        hook,
    )
    .await;
    Ok(super::json(json!({ "updatedComment": updated })))
}
