//! Tree listing and paths-info.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, decode_cursor, encode_cursor, internal, with_next};
use crate::error::{HubError, HubResult};
use crate::repo::{self, PathEntry, Reader, RepoType};
use crate::util;

/// JSON item for a tree entry (without `lastCommit`).
fn item(r: &Reader, e: &PathEntry) -> std::io::Result<Value> {
    if e.is_tree {
        return Ok(json!({"type": "directory", "oid": e.oid, "size": 0, "path": e.path}));
    }
    let info = r.blob_info(&e.oid)?;
    let mut v = json!({"type": "file", "oid": e.oid, "size": info.lfs.as_ref().map(|l| l.size).unwrap_or(info.size), "path": e.path});
    if let Some(l) = info.lfs {
        v["lfs"] = json!({"oid": l.oid, "size": l.size, "pointerSize": info.size});
    }
    Ok(v)
}

/// Adds `lastCommit` and security info to items (expand=true).
fn expand_items(r: &Reader, head: &str, items: &mut [Value]) -> std::io::Result<()> {
    let paths: Vec<String> = items
        .iter()
        .filter_map(|i| i["path"].as_str().map(str::to_string))
        .collect();
    let last = r.last_commits(head, &paths)?;
    for it in items.iter_mut() {
        let Some(p) = it["path"].as_str().map(str::to_string) else {
            continue;
        };
        if let Some((oid, c)) = last.get(&p) {
            it["lastCommit"] =
                json!({"id": oid, "title": c.title(), "date": util::format_unix(c.time)});
        }
        if it["type"] == "file" {
            let scan = json!({"virusFound": false, "virusNames": null});
            let pickle = json!({"highestSafetyLevel": "innocuous", "imports": []});
            it["security"] = json!({"safe": true, "avScan": scan, "pickleImportScan": pickle});
            it["securityFileStatus"] =
                json!({"status": "safe", "avScan": scan, "pickleImportScan": pickle});
        }
    }
    Ok(())
}

/// `GET /api/{T}/{id}/tree/{rev}[/{path}]?recursive=&expand=&cursor=`.
pub(super) async fn tree(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rest: &[&str],
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let reader = ctx.st.inner.repos.reader(&repo);
    let recursive = ctx.query.flag("recursive");
    let expand = ctx.query.flag("expand");
    let offset = decode_cursor(ctx.query.get("cursor"))?;
    let mut page = ctx.st.inner.page_size;
    if let Some(l) = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        page = page.min(l.max(1));
    }
    let parts: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    let result = repo::blocking(&reader, move |r| {
        for k in (1..=parts.len()).rev() {
            let rev = parts[..k].join("/");
            let Some(res) = r.resolve(&rev)? else {
                continue;
            };
            let path = parts[k..].join("/").trim_matches('/').to_string();
            let commit = r.commit(&res.commit)?;
            let Some(entry) = r.entry(&commit.tree, &path)? else {
                return Ok(Err(HubError::entry("Entry not found", Some(res.commit))));
            };
            if !entry.is_tree {
                return Ok(Err(HubError::entry(
                    format!("{path} is not a folder"),
                    Some(res.commit),
                )));
            }
            let all = r.list(&entry.oid, &path, recursive)?;
            let total = all.len();
            let mut items = all
                .iter()
                .skip(offset)
                .take(page)
                .map(|e| item(r, e))
                .collect::<std::io::Result<Vec<_>>>()?;
            if expand {
                expand_items(r, &res.commit, &mut items)?;
            }
            return Ok(Ok((items, offset + page < total)));
        }
        Ok(Err(HubError::RevisionNotFound(format!(
            "Invalid rev id: {}",
            parts.first().cloned().unwrap_or_default()
        ))))
    })
    .await
    .map_err(internal)??;
    let (items, more) = result;
    let next = more.then(|| ctx.next_link(&encode_cursor(offset + page)));
    Ok(with_next(super::json(Value::Array(items)), next))
}

/// `POST /api/{T}/{id}/paths-info/{rev}` (form: `paths=..&paths=..&expand=..`, or JSON).
pub(super) async fn paths_info(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let is_json = ctx
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.contains("json"))
        .unwrap_or(false);
    let body = ctx.body_bytes(super::JSON_LIMIT).await?;
    let (paths, expand) = if is_json {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| HubError::BadRequest(format!("Invalid JSON body: {e}")))?;
        let paths = match &v["paths"] {
            Value::Array(a) => a
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => vec![],
        };
        let expand = match &v["expand"] {
            Value::Bool(b) => *b,
            Value::String(s) => util::parse_bool(s),
            _ => false,
        };
        (paths, expand)
    } else {
        let mut paths = vec![];
        let mut expand = false;
        for (k, v) in url::form_urlencoded::parse(&body) {
            match k.trim_end_matches("[]") {
                "paths" => paths.push(v.into_owned()),
                "expand" => expand = util::parse_bool(&v),
                _ => {}
            }
        }
        (paths, expand)
    };
    let reader = ctx.st.inner.repos.reader(&repo);
    let rev = rev.to_string();
    let items = repo::blocking(&reader, move |r| {
        let Some(res) = r.resolve(&rev)? else {
            return Ok(Err(HubError::RevisionNotFound(format!(
                "Invalid rev id: {rev}"
            ))));
        };
        let commit = r.commit(&res.commit)?;
        let mut items = vec![];
        let mut seen = std::collections::HashSet::new();
        for p in paths {
            let p = p.trim_matches('/').to_string();
            if p.is_empty() || !seen.insert(p.clone()) {
                continue;
            }
            if let Some(e) = r.entry(&commit.tree, &p)? {
                items.push(item(r, &e)?);
            }
        }
        if expand {
            expand_items(r, &res.commit, &mut items)?;
        }
        Ok(Ok(items))
    })
    .await
    .map_err(internal)??;
    Ok(super::json(Value::Array(items)))
}
