//! Refs, commit history, branches, tags and super-squash.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Ctx, decode_cursor, encode_cursor, internal, with_next};
use crate::error::{HubError, HubResult};
use crate::git::{self, Commit, Kind, RefError};
use crate::repo::{self, RepoType};
use crate::util;

/// `GET /api/{T}/{id}/refs[?include_prs=1]`.
pub(super) async fn refs(ctx: &mut Ctx, ty: RepoType, ns: &str, name: &str) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let include_prs = ctx.query.flag("include_prs");
    let reader = ctx.st.inner.repos.reader(&repo);
    let v = repo::blocking(&reader, move |r| {
        let (mut branches, mut tags, mut converts, mut prs) = (vec![], vec![], vec![], vec![]);
        for (name, oid) in r.git.list_refs()? {
            let target = r.git.peel_to_commit(&oid)?.unwrap_or(oid);
            let (list, short) = if let Some(s) = name.strip_prefix("refs/heads/") {
                (&mut branches, s)
            } else if let Some(s) = name.strip_prefix("refs/tags/") {
                (&mut tags, s)
            } else if let Some(s) = name.strip_prefix("refs/convert/") {
                (&mut converts, s)
            } else if let Some(s) = name.strip_prefix("refs/pr/") {
                (&mut prs, s)
            } else {
                continue;
            };
            list.push(json!({"name": short, "ref": name, "targetCommit": target}));
        }
        // The default branch first, like the Hub.
        branches.sort_by_key(|b| b["name"] != "main");
        prs.sort_by_key(|p| {
            p["name"]
                .as_str()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(u64::MAX)
        });
        let mut v = json!({"branches": branches, "converts": converts, "tags": tags});
        if include_prs {
            v["pullRequests"] = Value::Array(prs);
        }
        Ok(v)
    })
    .await
    .map_err(internal)?;
    Ok(super::json(v))
}

fn commit_item(oid: &str, c: &Commit, formatted: bool) -> Value {
    let title = c.title().to_string();
    let body = c
        .message
        .split_once('\n')
        .map(|(_, b)| b.trim().to_string())
        .unwrap_or_default();
    let mut v = json!({
        "id": oid,
        "authors": [{"user": c.author, "avatar": format!("https://www.gravatar.com/avatar/{}?d=retro", &util::sha256_hex(c.author.as_bytes())[..32])}],
        "date": util::format_unix(c.time),
        "title": title,
        "message": body,
    });
    if formatted {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        v["formatted"] = json!({"title": esc(&title), "message": esc(&body)});
    }
    v
}

/// `GET /api/{T}/{id}/commits/{rev}` — newest first, paginated.
pub(super) async fn commits(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let formatted = ctx.query.all("expand").contains(&"formatted");
    let offset = decode_cursor(ctx.query.get("cursor"))?;
    let mut page = ctx.st.inner.page_size;
    if let Some(l) = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        page = page.min(l.max(1));
    }
    let reader = ctx.st.inner.repos.reader(&repo);
    let rev = rev.to_string();
    let rev_shown = rev.clone();
    let res = repo::blocking(&reader, move |r| {
        let Some(res) = r.resolve(&rev)? else {
            return Ok(None);
        };
        let (list, more) = r.log(&res.commit, offset, page)?;
        Ok(Some((
            list.iter()
                .map(|(o, c)| commit_item(o, c, formatted))
                .collect::<Vec<_>>(),
            more,
        )))
    })
    .await
    .map_err(internal)?;
    let Some((items, more)) = res else {
        return Err(HubError::RevisionNotFound(format!(
            "Invalid rev id: {rev_shown}"
        )));
    };
    let next = more.then(|| ctx.next_link(&encode_cursor(offset + page)));
    Ok(with_next(super::json(Value::Array(items)), next))
}

fn check_ref_name(kind: &str, name: &str) -> HubResult<()> {
    if !git::valid_ref_suffix(name) || name.starts_with("refs/") || git::is_oid(name) {
        return Err(HubError::BadRequest(format!(
            "Invalid {kind} name: {name:?}"
        )));
    }
    Ok(())
}

fn ref_err(e: RefError, what: &str) -> HubError {
    match e {
        RefError::Stale(_) => {
            HubError::conflict(format!("{what} was modified concurrently, please retry"))
        }
        RefError::Io(e) => internal(e),
    }
}

/// `POST /api/{T}/{id}/branch/{name}` `{"startingPoint"?}`.
pub(super) async fn create_branch(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    branch: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_write(ty, ns, name).await?;
    let start = body
        .get("startingPoint")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("main")
        .to_string();
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let reader = ctx.st.inner.repos.reader(&repo);
    let refname = format!("refs/heads/{branch}");
    let branch = branch.to_string();
    let result = repo::blocking(&reader, move |r| {
        // The Hub reports a missing starting point before it judges the new branch's name.
        let Some(res) = r.resolve(&start)? else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {start}"
            ))));
        };
        if let Err(e) = check_ref_name("branch", &branch) {
            return Ok(Err(e));
        }
        if r.git.read_ref(&refname)?.is_some() {
            return Ok(Err(HubError::conflict("Reference already exists")));
        }
        // A branch `a/b` cannot coexist with a branch `a` (git ref files).
        let all = r.git.list_refs()?;
        if all.iter().any(|(n, _)| {
            n.starts_with(&format!("{refname}/")) || refname.starts_with(&format!("{n}/"))
        }) {
            return Ok(Err(HubError::conflict(
                "A conflicting reference already exists",
            )));
        }
        Ok(r.git
            .update_ref(&refname, None, Some(&res.commit))
            .map_err(|e| ref_err(e, "Branch")))
    })
    .await
    .map_err(internal)?;
    result?;
    Ok(super::json(json!({})))
}

/// `DELETE /api/{T}/{id}/branch/{name}`.
pub(super) async fn delete_branch(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    branch: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_write(ty, ns, name).await?;
    if branch == "main" || branch == "refs/heads/main" {
        return Err(HubError::Forbidden("Cannot delete refs/heads/main".into()));
    }
    delete_ref(ctx, &repo, format!("refs/heads/{branch}"), branch, "Branch").await
}

/// Deletes `refname` (404 `RevisionNotFound` when it does not exist) under the repo lock.
async fn delete_ref(
    ctx: &Ctx,
    repo: &repo::Repo,
    refname: String,
    shown: &str,
    what: &'static str,
) -> HubResult<Response> {
    let lock = ctx.st.inner.repos.lock(repo);
    let _g = lock.lock().await;
    let reader = ctx.st.inner.repos.reader(repo);
    let shown = shown.to_string();
    repo::blocking(&reader, move |r| {
        let Some(cur) = r.git.read_ref(&refname)? else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {shown}"
            ))));
        };
        Ok(r.git
            .update_ref(&refname, Some(&cur), None)
            .map_err(|e| ref_err(e, what)))
    })
    .await
    .map_err(internal)??;
    Ok(super::json(json!({})))
}

/// `POST /api/{T}/{id}/tag/{rev}` `{"tag", "message"?}`.
pub(super) async fn create_tag(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_write(ty, ns, name).await?;
    let caller = ctx.need_caller()?.name.clone();
    let tag = body
        .get("tag")
        .and_then(Value::as_str)
        .ok_or_else(|| HubError::BadRequest("Missing tag".into()))?
        .to_string();
    check_ref_name("tag", &tag)?;
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let reader = ctx.st.inner.repos.reader(&repo);
    let rev = rev.to_string();
    repo::blocking(&reader, move |r| {
        let refname = format!("refs/tags/{tag}");
        if r.git.read_ref(&refname)?.is_some() {
            return Ok(Err(HubError::conflict(format!("Tag {tag} already exists"))));
        }
        let Some(res) = r.resolve(&rev)? else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {rev}"
            ))));
        };
        let target = if message.is_empty() {
            res.commit
        } else {
            let obj = git::tag_object(
                &res.commit,
                &tag,
                &caller,
                chrono::Utc::now().timestamp(),
                &message,
            );
            r.git.write(Kind::Tag, &obj)?
        };
        Ok(r.git
            .update_ref(&refname, None, Some(&target))
            .map_err(|e| ref_err(e, "Tag")))
    })
    .await
    .map_err(internal)??;
    Ok(super::json(json!({})))
}

/// `DELETE /api/{T}/{id}/tag/{tag}`.
pub(super) async fn delete_tag(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    tag: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_write(ty, ns, name).await?;
    delete_ref(ctx, &repo, format!("refs/tags/{tag}"), tag, "Tag").await
}

/// `POST /api/{T}/{id}/super-squash/{branch}` `{"message"?}`.
pub(super) async fn super_squash(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    branch: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let repo = ctx.repo_write(ty, ns, name).await?;
    let author = ctx.need_caller()?.name.clone();
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("Super-squash branch '{branch}' using huggingface_hub"));
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    let reader = ctx.st.inner.repos.reader(&repo);
    let refname = if branch.starts_with("refs/") {
        branch.to_string()
    } else {
        format!("refs/heads/{branch}")
    };
    let branch = branch.to_string();
    let oid = repo::blocking(&reader, move |r| {
        let Some(head) = r.git.read_ref(&refname)? else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {branch}"
            ))));
        };
        let c = r.commit(&head)?;
        let squashed = Commit {
            tree: c.tree,
            parents: vec![],
            author: author.clone(),
            author_email: format!("{author}@users.noreply.huggingface.co"),
            time: chrono::Utc::now().timestamp(),
            message,
        };
        let oid = r.git.write(Kind::Commit, &squashed.serialize())?;
        Ok(r.git
            .update_ref(&refname, Some(&head), Some(&oid))
            .map(|_| oid)
            .map_err(|e| ref_err(e, "Branch")))
    })
    .await
    .map_err(internal)??;
    Ok(super::json(json!({"commitId": oid})))
}

/// `GET /{prefix}{id}/commit/{sha}`: the web page of one commit (title, message, author, date,
/// parents and the files it changed), which clients open after a push.
pub(super) async fn commit_page(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    sha: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let reader = ctx.st.inner.repos.reader(&repo);
    let rev = sha.to_string();
    let found = repo::blocking(&reader, move |r| {
        let Some(res) = r.resolve(&rev)? else {
            return Ok(None);
        };
        let c = r.commit(&res.commit)?;
        let after = r.flatten(&c.tree)?;
        let before = match c.parents.first() {
            Some(p) => r.flatten(&r.commit(p)?.tree)?,
            None => Default::default(),
        };
        let mut changed: Vec<(char, String)> = Vec::new();
        for (path, (_, oid)) in &after {
            match before.get(path) {
                None => changed.push(('A', path.clone())),
                Some((_, old)) if old != oid => changed.push(('M', path.clone())),
                Some(_) => {}
            }
        }
        for path in before.keys().filter(|p| !after.contains_key(*p)) {
            changed.push(('D', path.clone()));
        }
        changed.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(Some((res.commit, c, changed)))
    })
    .await
    .map_err(internal)?;
    let Some((oid, c, changed)) = found else {
        return Err(HubError::RevisionNotFound(format!("Invalid rev id: {sha}")));
    };
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let id = repo.id();
    let repo_url = ctx.repo_url(&repo);
    let mut html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title} · {id} at {short}</title></head>\n<body>\n\
         <h1><a href=\"{repo_url}\">{id}</a></h1>\n<h2>{title}</h2>\n<pre>{message}</pre>\n\
         <p>commit <code>{oid}</code> by {author} on {date}</p>\n",
        title = esc(c.title()),
        id = esc(&id),
        short = &oid[..7.min(oid.len())],
        repo_url = esc(&repo_url),
        message = esc(c
            .message
            .split_once('\n')
            .map(|(_, b)| b.trim())
            .unwrap_or("")),
        author = esc(&c.author),
        date = util::format_unix(c.time),
    );
    for p in &c.parents {
        html.push_str(&format!(
            "<p>parent <a href=\"{repo_url}/commit/{p}\"><code>{p}</code></a></p>\n",
            repo_url = esc(&repo_url)
        ));
    }
    html.push_str("<ul>\n");
    for (kind, path) in &changed {
        html.push_str(&format!("<li>{kind} {}</li>\n", esc(path)));
    }
    html.push_str("</ul>\n</body></html>\n");
    let mut resp = axum::response::Html(html).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&oid) {
        resp.headers_mut().insert("x-repo-commit", v);
    }
    Ok(resp)
}
