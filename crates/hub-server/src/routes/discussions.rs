//! Minimal discussions / pull requests (enough for `refs/pr/N` workflows).

use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::repo::{self, Discussion, Repo, RepoType};
use crate::util;

/// Page size of the discussions listing (page-number based, `p=0..`).
const PAGE: usize = 50;

fn discussion_json(repo: &Repo, d: &Discussion) -> Value {
    json!({
        "num": d.num, "title": d.title, "status": d.status, "createdAt": d.created_at,
        "isPullRequest": d.is_pull_request, "author": {"name": d.author, "type": "user"},
        "repo": {"name": repo.id(), "type": repo.ty.singular()},
        "numComments": d.events.iter().filter(|e| e["type"] == "comment").count(),
        "pinned": false,
    })
}

/// New discussions and comments need the repo's discussions to be on (`discussionsDisabled`).
fn refuse_if_disabled(repo: &Repo) -> HubResult<()> {
    if repo.meta.discussions_disabled {
        return Err(HubError::Forbidden(format!(
            "Discussions are disabled for {}; its owner can turn them back on in the repo \
             settings (discussionsDisabled: false)",
            repo.id()
        )));
    }
    Ok(())
}

/// `GET /api/{T}/{id}/discussions?p=&type=&status=&author=`.
pub(super) async fn list(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let all = ctx.st.inner.repos.discussions(&repo).await?;
    let kind = ctx.query.get("type").unwrap_or("all");
    let status = ctx.query.get("status").unwrap_or("all");
    let author = ctx.query.get("author");
    let mut filtered: Vec<&Discussion> = all
        .iter()
        .filter(|d| match kind {
            "pull_request" => d.is_pull_request,
            "discussion" => !d.is_pull_request,
            _ => true,
        })
        .filter(|d| match status {
            "open" => d.status == "open" || d.status == "draft",
            "closed" => d.status == "closed" || d.status == "merged",
            _ => true,
        })
        .filter(|d| author.is_none_or(|a| d.author.eq_ignore_ascii_case(a)))
        .collect();
    filtered.sort_by_key(|d| std::cmp::Reverse(d.num));
    let p: usize = ctx.query.get("p").and_then(|p| p.parse().ok()).unwrap_or(0);
    let start = p * PAGE;
    let items: Vec<Value> = filtered
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|d| discussion_json(&repo, d))
        .collect();
    Ok(super::json(
        json!({"discussions": items, "count": filtered.len(), "start": start, "numClosedDiscussions": 0}),
    ))
}

async fn details_json(ctx: &Ctx, repo: &Repo, d: &Discussion) -> HubResult<Value> {
    let mut v = discussion_json(repo, d);
    v["events"] = Value::Array(d.events.clone());
    if d.is_pull_request {
        let reader = ctx.st.inner.repos.reader(repo);
        let num = d.num;
        let (head, base) = repo::blocking(&reader, move |r| {
            Ok((
                r.git.read_ref(&format!("refs/pr/{num}"))?,
                r.git.read_ref("refs/heads/main")?,
            ))
        })
        .await
        .map_err(internal)?;
        let merge_commit = d
            .events
            .iter()
            .rev()
            .find_map(|e| e["data"]["mergeCommitId"].as_str())
            .map(str::to_owned);
        v["changes"] = json!({"base": "refs/heads/main", "mergeCommitId": merge_commit, "head": head, "baseCommit": base});
        v["filesWithConflicts"] = json!([]);
        v["diff"] = json!("");
    }
    Ok(v)
}

/// `GET /api/{T}/{id}/discussions/{num}`.
pub(super) async fn details(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    num: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let num: u64 = num
        .parse()
        .map_err(|_| HubError::NotFound("Discussion not found".into()))?;
    let all = ctx.st.inner.repos.discussions(&repo).await?;
    let d = all
        .iter()
        .find(|d| d.num == num)
        .ok_or_else(|| HubError::NotFound("Discussion not found".into()))?;
    Ok(super::json(details_json(ctx, &repo, d).await?))
}

fn event(kind: &str, author: &str, data: Value) -> Value {
    json!({"id": hex::encode(rand::random::<[u8; 12]>()), "type": kind, "createdAt": util::now_date(),
        "author": {"name": author}, "data": data})
}

fn comment_event(author: &str, text: &str) -> Value {
    event(
        "comment",
        author,
        json!({"edited": false, "hidden": false, "latest": {"raw": text, "html": text,
        "updatedAt": util::now_date(), "author": {"name": author}}, "history": []}),
    )
}

/// `POST /api/{T}/{id}/discussions` `{"title", "description", "pullRequest"}`.
pub(super) async fn create(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let caller = ctx.need_caller()?.name.clone();
    refuse_if_disabled(&repo)?;
    let title = body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if title.len() < 3 {
        return Err(HubError::BadRequest(
            "Title must be at least 3 characters".into(),
        ));
    }
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let is_pr = body
        .get("pullRequest")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if is_pr {
        ctx.check_write(&repo).await?;
    }
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut all = ctx.st.inner.repos.discussions(&repo).await?;
    let max_discussion = all.iter().map(|d| d.num).max().unwrap_or(0);
    let reader = ctx.st.inner.repos.reader(&repo);
    let num = repo::blocking(&reader, move |r| {
        let max_ref = r
            .git
            .list_refs()?
            .iter()
            .filter_map(|(n, _)| {
                n.strip_prefix("refs/pr/")
                    .and_then(|x| x.parse::<u64>().ok())
            })
            .max()
            .unwrap_or(0);
        let num = max_ref.max(max_discussion) + 1;
        if is_pr {
            // A new PR starts at the head of main.
            let head = r
                .git
                .read_ref("refs/heads/main")?
                .ok_or_else(|| std::io::Error::other("no main branch"))?;
            r.git
                .update_ref(&format!("refs/pr/{num}"), None, Some(&head))
                .map_err(std::io::Error::other)?;
        }
        Ok(num)
    })
    .await
    .map_err(internal)?;
    let d = Discussion {
        num,
        title,
        status: if is_pr { "draft".into() } else { "open".into() },
        author: caller.clone(),
        created_at: util::now_date(),
        is_pull_request: is_pr,
        events: vec![comment_event(&caller, &description)],
    };
    all.push(d.clone());
    ctx.st.inner.repos.save_discussions(&repo, &all).await?;
    let hook = json!({"discussion": super::webhooks::discussion_hook(ctx.public(), &repo, &d)});
    super::webhooks::notify(ctx, &repo, "discussion", "discussion", "create", hook).await;
    Ok(super::json(details_json(ctx, &repo, &d).await?))
}

/// `POST /api/{T}/{id}/discussions/{num}/{comment|status|title|merge}`.
pub(super) async fn action(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    num: &str,
    action: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_read(ty, ns, name).await?;
    let caller = ctx.need_caller()?.name.clone();
    let num: u64 = num
        .parse()
        .map_err(|_| HubError::NotFound("Discussion not found".into()))?;
    if action != "comment" {
        ctx.check_write(&repo).await?;
    } else {
        refuse_if_disabled(&repo)?;
    }
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let mut all = ctx.st.inner.repos.discussions(&repo).await?;
    let d = all
        .iter_mut()
        .find(|d| d.num == num)
        .ok_or_else(|| HubError::NotFound("Discussion not found".into()))?;
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let result = match action {
        "comment" => {
            let e = comment_event(&caller, &text("comment"));
            d.events.push(e.clone());
            json!({"newMessage": e})
        }
        "title" => {
            let e = event(
                "title-change",
                &caller,
                json!({"from": d.title, "to": text("title")}),
            );
            d.title = text("title");
            d.events.push(e.clone());
            json!({"newTitle": e})
        }
        "status" => {
            let s = text("status");
            if s != "open" && s != "closed" {
                return Err(HubError::BadRequest(format!("Invalid status {s:?}")));
            }
            d.status = s.clone();
            let e = event("status-change", &caller, json!({"status": s}));
            d.events.push(e.clone());
            // The Hub posts the optional comment along with the change.
            let comment = text("comment");
            if !comment.trim().is_empty() {
                d.events.push(comment_event(&caller, &comment));
            }
            json!({"newStatus": e})
        }
        "merge" => {
            if !d.is_pull_request {
                return Err(HubError::BadRequest("Not a pull request".into()));
            }
            let reader = ctx.st.inner.repos.reader(&repo);
            let pr_num = d.num;
            let author = caller.clone();
            let merge_oid = repo::blocking(&reader, move |r| {
                let pr = r
                    .git
                    .read_ref(&format!("refs/pr/{pr_num}"))?
                    .ok_or_else(|| std::io::Error::other("PR ref missing"))?;
                let main = r
                    .git
                    .read_ref("refs/heads/main")?
                    .ok_or_else(|| std::io::Error::other("main missing"))?;
                // Merge = main takes the PR's tree (a merge commit with both parents).
                let tree = r.commit(&pr)?.tree;
                let c = crate::git::Commit {
                    tree,
                    parents: vec![main.clone(), pr],
                    author: author.clone(),
                    author_email: format!("{author}@users.noreply.huggingface.co"),
                    time: chrono::Utc::now().timestamp(),
                    message: format!("Merge pull request #{pr_num}\n"),
                };
                let oid = r.git.write(crate::git::Kind::Commit, &c.serialize())?;
                r.git
                    .update_ref("refs/heads/main", Some(&main), Some(&oid))
                    .map_err(std::io::Error::other)?;
                Ok(oid)
            })
            .await
            .map_err(internal)?;
            d.status = "merged".into();
            let comment = text("comment");
            if !comment.trim().is_empty() {
                d.events.push(comment_event(&caller, &comment));
            }
            // The merge commit is kept on the event, where `details_json` finds it.
            d.events.push(event(
                "status-change",
                &caller,
                json!({"status": "merged", "mergeCommitId": merge_oid}),
            ));
            json!({"mergeCommitId": merge_oid})
        }
        _ => return Err(HubError::NotFound("Not Found".into())),
    };
    // Webhook payload: a new comment, or an update of the discussion itself.
    let discussion = super::webhooks::discussion_hook(ctx.public(), &repo, d);
    let (scope, action, hook) = match result.get("newMessage") {
        Some(c) => (
            "discussion.comment",
            "create",
            json!({"comment": super::webhooks::comment_hook(&discussion, c), "discussion": discussion}),
        ),
        None => ("discussion", "update", json!({"discussion": discussion})),
    };
    ctx.st.inner.repos.save_discussions(&repo, &all).await?;
    super::webhooks::notify(ctx, &repo, "discussion", scope, action, hook).await;
    Ok(super::json(result))
}
