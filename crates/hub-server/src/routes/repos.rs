//! Repository CRUD, settings, info and listing.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Ctx, decode_cursor, encode_cursor, internal, with_next};
use crate::auth::valid_name;
use crate::error::{HubError, HubResult};
use crate::repo::{self, Repo, RepoMeta, RepoType, StoreError};
use crate::util;

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn bool_field(v: &Value, k: &str) -> Option<bool> {
    match v.get(k)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(util::parse_bool(s)),
        _ => None,
    }
}

fn type_field(v: &Value) -> HubResult<RepoType> {
    match str_field(v, "type") {
        None => Ok(RepoType::Model),
        Some(t) => RepoType::from_singular(t)
            .or_else(|| RepoType::from_plural(t))
            .ok_or_else(|| HubError::BadRequest(format!("Invalid repo type {t:?}"))),
    }
}

/// Splits `name` / `organization` from create/delete bodies into (namespace, name).
fn ns_name(ctx: &Ctx, body: &Value) -> HubResult<(String, String)> {
    let name =
        str_field(body, "name").ok_or_else(|| HubError::BadRequest("Missing repo name".into()))?;
    let (ns, name) = match (str_field(body, "organization"), name.split_once('/')) {
        (_, Some((ns, n))) => (ns.to_string(), n.to_string()),
        (Some(org), None) => (org.to_string(), name.to_string()),
        (None, None) => (ctx.need_caller()?.name.clone(), name.to_string()),
    };
    if !valid_name(&ns) || !valid_name(&name) {
        return Err(HubError::BadRequest(format!(
            "Invalid repo name {ns}/{name}: use letters, digits, '-', '_' and '.', no '--' or '..', at most 96 characters"
        )));
    }
    Ok((ns, name))
}

/// `POST /api/repos/create`.
pub(super) async fn create(ctx: &mut Ctx) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let caller = ctx.need_caller()?.clone();
    let ty = type_field(&body)?;
    let (ns, name) = ns_name(ctx, &body)?;
    if !caller.write {
        return Err(HubError::Forbidden(
            "You cannot create a repository with a read-only token".into(),
        ));
    }
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    if !auth.can_write_namespace(&caller.name, &ns) {
        return Err(HubError::Forbidden(format!(
            "You don't have the rights to create a {} under the namespace \"{ns}\"",
            ty.singular()
        )));
    }
    let ns = auth.namespace(&ns).unwrap_or(ns);
    let private = match str_field(&body, "visibility") {
        Some(v) => v != "public",
        None => bool_field(&body, "private").unwrap_or(false),
    };
    let sdk = str_field(&body, "sdk").map(str::to_string);
    if ty == RepoType::Space
        && let Some(s) = &sdk
        && !matches!(s.as_str(), "gradio" | "streamlit" | "docker" | "static")
    {
        return Err(HubError::BadRequest(format!("Invalid space sdk {s:?}")));
    }
    let space = match ty {
        RepoType::Space => super::extras::requested_space(&body)?,
        _ => None,
    };
    let meta = RepoMeta {
        id: hex::encode(rand::random::<[u8; 12]>()),
        private,
        gated: Value::Bool(false),
        sdk: sdk.or_else(|| (ty == RepoType::Space).then(|| "gradio".to_string())),
        created_at: util::now_date(),
        access: Default::default(),
        likers: vec![],
        owner: None,
        space,
        discussions_disabled: false,
    };
    match ctx
        .st
        .inner
        .repos
        .create(ty, &ns, &name, meta, &caller.name)
        .await
    {
        Ok(repo) => {
            let url = ctx.repo_url(&repo);
            super::webhooks::notify(ctx, &repo, "repo", "repo", "create", json!({})).await;
            Ok(super::json(
                json!({"url": url, "name": repo.id(), "id": repo.id()}),
            ))
        }
        Err(StoreError::Exists) => {
            let existing = ctx.st.inner.repos.find(ty, &ns, &name).await?;
            let url = match &existing {
                Some(r) => ctx.repo_url(r),
                None => format!("{}/{}{ns}/{name}", ctx.public(), ty.url_prefix()),
            };
            let mut extra = Map::new();
            extra.insert("url".into(), Value::String(url));
            Err(HubError::Conflict {
                message: format!("You already created this {} repo", ty.singular()),
                extra: Some(extra),
            })
        }
        Err(e) => Err(internal(e)),
    }
}

/// `DELETE /api/repos/delete` (JSON body).
pub(super) async fn delete(ctx: &mut Ctx) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    ctx.need_caller()?;
    let ty = type_field(&body)?;
    let (ns, name) = ns_name(ctx, &body)?;
    let repo = ctx.repo_write(ty, &ns, &name).await?;
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    ctx.st.inner.repos.delete(&repo).await.map_err(internal)?;
    // Described as it was just before it went away.
    super::webhooks::notify(ctx, &repo, "repo", "repo", "delete", json!({})).await;
    Ok(super::json(json!({})))
}

/// `POST /api/repos/move`.
pub(super) async fn move_repo(ctx: &mut Ctx) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let caller = ctx.need_caller()?.clone();
    let ty = type_field(&body)?;
    let from = str_field(&body, "fromRepo")
        .ok_or_else(|| HubError::BadRequest("Missing fromRepo".into()))?;
    let to =
        str_field(&body, "toRepo").ok_or_else(|| HubError::BadRequest("Missing toRepo".into()))?;
    let (fns, fname) = from
        .split_once('/')
        .ok_or_else(|| HubError::BadRequest("fromRepo must be namespace/name".into()))?;
    let (tns, tname) = to
        .split_once('/')
        .ok_or_else(|| HubError::BadRequest("toRepo must be namespace/name".into()))?;
    if !valid_name(tns) || !valid_name(tname) {
        return Err(HubError::BadRequest(format!("Invalid repo name {to}")));
    }
    let repo = ctx.repo_write(ty, fns, fname).await?;
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    if !auth.can_write_namespace(&caller.name, tns) {
        return Err(HubError::Forbidden(format!(
            "You don't have the rights to move a repo to the namespace \"{tns}\""
        )));
    }
    let tns = auth.namespace(tns).unwrap_or_else(|| tns.to_string());
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    match ctx.st.inner.repos.rename(&repo, &tns, tname).await {
        Ok(()) => {
            // `repo` is the old name; `movedTo` says where it went.
            let moved =
                json!({"movedTo": {"name": format!("{tns}/{tname}"), "owner": {"name": tns}}});
            super::webhooks::notify(ctx, &repo, "repo", "repo", "move", moved).await;
            Ok(super::json(
                json!({"url": format!("{}/{}{tns}/{tname}", ctx.public(), ty.url_prefix())}),
            ))
        }
        Err(StoreError::Exists) => Err(HubError::conflict(format!(
            "A {} repository called {tns}/{tname} already exists",
            ty.singular()
        ))),
        Err(e) => Err(internal(e)),
    }
}

/// `POST /api/spaces/{id}/duplicate` `{"repository": "ns/name", "private"?}`.
pub(super) async fn duplicate(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let caller = ctx.need_caller()?.clone();
    let src = ctx.repo_read(ty, ns, name).await?;
    let target = str_field(&body, "repository")
        .ok_or_else(|| HubError::BadRequest("Missing repository".into()))?;
    let (tns, tname) = match target.split_once('/') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (caller.name.clone(), target.to_string()),
    };
    if !valid_name(&tns) || !valid_name(&tname) {
        return Err(HubError::BadRequest(format!(
            "Invalid repo name {tns}/{tname}"
        )));
    }
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    if !caller.write || !auth.can_write_namespace(&caller.name, &tns) {
        return Err(HubError::Forbidden(format!(
            "You don't have the rights to create a space under the namespace \"{tns}\""
        )));
    }
    let tns = auth.namespace(&tns).unwrap_or(tns);
    let meta = RepoMeta {
        id: hex::encode(rand::random::<[u8; 12]>()),
        private: bool_field(&body, "private").unwrap_or(src.meta.private),
        gated: Value::Bool(false),
        sdk: src.meta.sdk.clone(),
        created_at: util::now_date(),
        access: Default::default(),
        likers: vec![],
        owner: None,
        space: super::extras::requested_space(&body)?,
        discussions_disabled: false,
    };
    let url = format!("{}/{}{tns}/{tname}", ctx.public(), ty.url_prefix());
    match ctx.st.inner.repos.duplicate(&src, &tns, &tname, meta).await {
        Ok(copy) => {
            super::webhooks::notify(ctx, &copy, "repo", "repo", "create", json!({})).await;
            Ok(super::json(json!({"url": url})))
        }
        Err(StoreError::Exists) => {
            let mut extra = Map::new();
            extra.insert("url".into(), Value::String(url));
            Err(HubError::Conflict {
                message: format!("You already created a space called {tns}/{tname}"),
                extra: Some(extra),
            })
        }
        Err(e) => Err(internal(e)),
    }
}

/// `PUT /api/{T}/{id}/settings`.
pub(super) async fn settings(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let mut repo = ctx.repo_write(ty, ns, name).await?;
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    // Re-read under the lock so concurrent settings changes do not overwrite each other.
    if let Some(fresh) = ctx.st.inner.repos.find(ty, &repo.ns, &repo.name).await? {
        repo = fresh;
    }
    let (was_private, was_gated, was_closed) = (
        repo.meta.private,
        repo.meta.gated.clone(),
        repo.meta.discussions_disabled,
    );
    if let Some(off) = bool_field(&body, "discussionsDisabled") {
        repo.meta.discussions_disabled = off;
    }
    if let Some(v) = str_field(&body, "visibility") {
        repo.meta.private = v != "public";
    } else if let Some(p) = bool_field(&body, "private") {
        repo.meta.private = p;
    }
    if let Some(g) = body.get("gated") {
        repo.meta.gated = match g {
            Value::Bool(false) | Value::Null => Value::Bool(false),
            Value::Bool(true) => Value::String("auto".into()),
            Value::String(s) if s == "auto" || s == "manual" => Value::String(s.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            other => return Err(HubError::BadRequest(format!("Invalid gated value {other}"))),
        };
    }
    let before = (was_private, was_gated, was_closed);
    ctx.st.inner.repos.save_meta(&repo).await?;
    // A change sends `repo.config`; a call that changes nothing is quiet. The Hub documents
    // `updatedConfig` as carrying only the keys webhooks support (`private`, and `xetEnabled`
    // which this server has not): any other change is announced with an empty object.
    let mut changed = serde_json::Map::new();
    if before.0 != repo.meta.private {
        changed.insert("private".into(), json!(repo.meta.private));
    }
    let other_change = before.1 != repo.meta.gated || before.2 != repo.meta.discussions_disabled;
    if !changed.is_empty() || other_change {
        let extra = json!({"updatedConfig": changed});
        super::webhooks::notify(ctx, &repo, "repo", "repo.config", "update", extra).await;
    }
    Ok(super::json(
        json!({"private": repo.meta.private, "gated": repo.meta.gated,
        "discussionsDisabled": repo.meta.discussions_disabled}),
    ))
}

/// `GET /api/{T}/{id}/user-access-request/{pending|accepted|rejected}`.
pub(super) async fn access_list(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    status: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_write(ty, ns, name).await?;
    if repo.meta.gated == Value::Bool(false) {
        return Err(HubError::BadRequest(format!(
            "Repo {} is not gated",
            repo.id()
        )));
    }
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    let items: Vec<Value> = repo
        .meta
        .access
        .iter()
        .filter(|(_, a)| a.status == status)
        .map(|(u, a)| {
            let user = auth.users.get(u);
            // The e-mail shared when asking: none for access granted without a request.
            let mut v = json!({"user": {"user": u, "fullname": user.map(|x| x.fullname.clone()), "email": a.email},
                   "status": a.status, "timestamp": a.timestamp});
            if let Some(f) = &a.fields {
                v["fields"] = Value::Object(f.clone());
            }
            v
        })
        .collect();
    Ok(super::json(Value::Array(items)))
}

/// `POST /api/{T}/{id}/user-access-request/{handle|grant}` `{"user", "status"?}`.
pub(super) async fn access_change(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    action: &str,
) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let mut repo = ctx.repo_write(ty, ns, name).await?;
    if repo.meta.gated == Value::Bool(false) {
        return Err(HubError::BadRequest(format!(
            "Repo {} is not gated",
            repo.id()
        )));
    }
    let user = str_field(&body, "user")
        .ok_or_else(|| HubError::BadRequest("Missing user".into()))?
        .to_string();
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    if !auth.users.contains_key(&user) {
        return Err(HubError::NotFound(format!("User {user} not found")));
    }
    let status = match action {
        "grant" => {
            if repo
                .meta
                .access
                .get(&user)
                .is_some_and(|a| a.status == "accepted")
            {
                return Err(HubError::conflict(format!(
                    "User {user} already has access"
                )));
            }
            "accepted".to_string()
        }
        _ => {
            let s = str_field(&body, "status").unwrap_or("");
            if !matches!(s, "accepted" | "rejected" | "pending") {
                return Err(HubError::BadRequest(format!("Invalid status {s:?}")));
            }
            if !repo.meta.access.contains_key(&user) {
                return Err(HubError::NotFound(format!("No access request from {user}")));
            }
            s.to_string()
        }
    };
    let lock = ctx.st.inner.repos.lock(&repo);
    let _g = lock.lock().await;
    if let Some(fresh) = ctx.st.inner.repos.find(ty, &repo.ns, &repo.name).await? {
        repo = fresh;
    }
    // A handled (or granted-over) request keeps what the requester shared with it.
    let (email, fields) = repo
        .meta
        .access
        .get(&user)
        .map(|a| (a.email.clone(), a.fields.clone()))
        .unwrap_or_default();
    repo.meta.access.insert(
        user,
        repo::AccessRequest {
            status,
            timestamp: util::now_date(),
            email,
            fields,
        },
    );
    ctx.st.inner.repos.save_meta(&repo).await?;
    Ok(super::json(json!({})))
}

/// `GET /api/{T}/{id}/auth-check`.
pub(super) async fn auth_check(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    ctx.check_gated(&repo).await?;
    Ok(super::json(json!({"ok": true})))
}

/// Data about a repo at a commit, used by info and listing.
struct Snapshot {
    sha: Option<String>,
    last_modified: Option<String>,
    files: Option<Vec<Value>>,
    used_storage: u64,
    card: Option<Map<String, Value>>,
}

async fn snapshot(
    ctx: &Ctx,
    repo: &Repo,
    rev: &str,
    want_files: bool,
    files_metadata: bool,
) -> HubResult<Option<Snapshot>> {
    let reader = ctx.st.inner.repos.reader(repo);
    let rev = rev.to_string();
    repo::blocking(&reader, move |r| {
        let Some(res) = r.resolve(&rev)? else {
            return Ok(None);
        };
        let commit = r.commit(&res.commit)?;
        let mut files = None;
        let mut used = 0u64;
        if want_files {
            let mut out = vec![];
            for e in r.list(&commit.tree, "", true)? {
                if e.is_tree {
                    continue;
                }
                let mut item = json!({"rfilename": e.path});
                if files_metadata {
                    let info = r.blob_info(&e.oid)?;
                    let size = info.lfs.as_ref().map(|l| l.size).unwrap_or(info.size);
                    used += size;
                    item["size"] = json!(size);
                    item["blobId"] = json!(e.oid);
                    if let Some(l) = info.lfs {
                        item["lfs"] =
                            json!({"sha256": l.oid, "size": l.size, "pointerSize": info.size});
                    }
                }
                out.push(item);
            }
            files = Some(out);
        }
        let readme = r.file_text(&commit.tree, "README.md")?;
        let card = (!readme.is_empty())
            .then(|| crate::card::parse(&readme))
            .filter(|c| !c.is_empty());
        Ok(Some(Snapshot {
            card,
            sha: Some(res.commit),
            last_modified: Some(util::format_unix(commit.time)),
            files,
            used_storage: used,
        }))
    })
    .await
    .map_err(internal)
}

fn base_json(repo: &Repo, snap: Option<&Snapshot>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("_id".into(), json!(repo.meta.id));
    m.insert("id".into(), json!(repo.id()));
    if repo.ty == RepoType::Model {
        m.insert("modelId".into(), json!(repo.id()));
    }
    // A canonical repository has no namespace; its owner stands in as the author.
    if !repo.owner().is_empty() {
        m.insert("author".into(), json!(repo.owner()));
    }
    if let Some(s) = snap {
        if let Some(sha) = &s.sha {
            m.insert("sha".into(), json!(sha));
        }
        if let Some(lm) = &s.last_modified {
            m.insert("lastModified".into(), json!(lm));
        }
    }
    m.insert("createdAt".into(), json!(repo.meta.created_at));
    m.insert("private".into(), json!(repo.meta.private));
    m.insert("gated".into(), repo.meta.gated.clone());
    m.insert("disabled".into(), json!(false));
    m.insert("downloads".into(), json!(0));
    m.insert("likes".into(), json!(repo.meta.likers.len()));
    m.insert("trendingScore".into(), json!(0));
    let card = snap.and_then(|s| s.card.clone()).unwrap_or_default();
    m.insert("tags".into(), json!(crate::card::tags(repo.ty, &card)));
    if repo.ty == RepoType::Model {
        for k in ["library_name", "pipeline_tag"] {
            if let Some(v) = card.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
    }
    if !card.is_empty() {
        m.insert("cardData".into(), Value::Object(card));
    }
    match repo.ty {
        RepoType::Model => {
            m.insert("spaces".into(), json!([]));
        }
        RepoType::Dataset => {}
        RepoType::Space => {
            let sub = format!("{}-{}", repo.ns, repo.name)
                .to_ascii_lowercase()
                .replace(['_', '.'], "-");
            m.insert("sdk".into(), json!(repo.meta.sdk));
            m.insert("subdomain".into(), json!(sub));
            m.insert("host".into(), json!(format!("https://{sub}.hf.space")));
            m.insert("runtime".into(), super::extras::runtime_json(repo));
            m.insert("models".into(), json!([]));
            m.insert("datasets".into(), json!([]));
        }
    }
    if let Some(s) = snap
        && let Some(files) = &s.files
    {
        m.insert("siblings".into(), Value::Array(files.clone()));
        m.insert("usedStorage".into(), json!(s.used_storage));
    }
    m
}

/// Keeps `_id`, `id` and the requested properties only (the Hub's `expand` semantics).
fn apply_expand(mut m: Map<String, Value>, expand: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for k in ["_id", "id"] {
        if let Some(v) = m.remove(k) {
            out.insert(k.into(), v);
        }
    }
    for k in expand {
        if let Some(v) = m.remove(*k) {
            out.insert((*k).to_string(), v);
        } else {
            let default = match *k {
                "cardData" | "config" | "transformersInfo" | "gguf" | "safetensors" => Value::Null,
                _ => continue,
            };
            out.insert((*k).to_string(), default);
        }
    }
    out
}

/// `GET /api/{T}/{id}[/revision/{rev}]`.
pub(super) async fn info(
    ctx: &mut Ctx,
    ty: RepoType,
    ns: &str,
    name: &str,
    rev: Option<String>,
) -> HubResult<Response> {
    let repo = ctx.repo_read(ty, ns, name).await?;
    let rev = rev.unwrap_or_else(|| "main".into());
    let expand: Vec<String> = ctx
        .query
        .all("expand")
        .into_iter()
        .map(str::to_string)
        .collect();
    let files_metadata = ctx.query.flag("blobs");
    let snap = snapshot(
        ctx,
        &repo,
        &rev,
        true,
        files_metadata || expand.iter().any(|e| e == "usedStorage"),
    )
    .await?;
    let Some(snap) = snap else {
        return Err(HubError::RevisionNotFound(format!("Invalid rev id: {rev}")));
    };
    let mut m = base_json(&repo, Some(&snap));
    if !files_metadata && !expand.iter().any(|e| e == "usedStorage") {
        m.remove("usedStorage");
    }
    if !expand.is_empty() {
        let e: Vec<&str> = expand.iter().map(String::as_str).collect();
        m = apply_expand(m, &e);
    }
    Ok(super::json(Value::Object(m)))
}

/// `GET /api/{models|datasets|spaces}` with search/author/filter/sort/direction/limit/full/expand.
pub(super) async fn list(ctx: &mut Ctx, ty: RepoType) -> HubResult<Response> {
    let all = ctx.st.inner.repos.list(ty).await?;
    let searches: Vec<String> = ctx
        .query
        .all("search")
        .into_iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let author = ctx.query.get("author").map(str::to_ascii_lowercase);
    let filters: Vec<String> = ctx
        .query
        .all("filter")
        .into_iter()
        .map(str::to_string)
        .collect();
    let full = ctx.query.flag("full");
    let expand: Vec<String> = ctx
        .query
        .all("expand")
        .into_iter()
        .map(str::to_string)
        .collect();
    let want_files = full || expand.iter().any(|e| e == "siblings");
    let mut visible = Vec::new();
    for r in all {
        if !ctx.can_read(&r).await? {
            continue;
        }
        let id = r.id().to_ascii_lowercase();
        if !searches.iter().all(|s| id.contains(s.as_str())) {
            continue;
        }
        if let Some(a) = &author
            && r.ns.to_ascii_lowercase() != *a
        {
            continue;
        }
        if let Some(g) = ctx.query.get("gated") {
            let gated = r.meta.gated != Value::Bool(false);
            if gated != util::parse_bool(g) {
                continue;
            }
        }
        visible.push(r);
    }
    let mut items: Vec<(Repo, Option<Snapshot>)> = Vec::with_capacity(visible.len());
    for r in visible {
        let snap = snapshot(ctx, &r, "main", want_files, false)
            .await
            .unwrap_or(None);
        items.push((r, snap));
    }
    // Every filter must be one of the repo's tags (derived from its README card).
    if !filters.is_empty() {
        items.retain(|(r, s)| {
            let card = s.as_ref().and_then(|s| s.card.clone()).unwrap_or_default();
            let tags = crate::card::tags(r.ty, &card);
            filters.iter().all(|f| tags.iter().any(|t| t == f))
        });
    }
    let sort = ctx.query.get("sort").unwrap_or("id");
    let desc = ctx
        .query
        .get("direction")
        .map(|d| d == "-1")
        .unwrap_or(sort != "id");
    match sort {
        "lastModified" | "last_modified" => items.sort_by(|a, b| {
            let ka =
                a.1.as_ref()
                    .and_then(|s| s.last_modified.clone())
                    .unwrap_or_default();
            let kb =
                b.1.as_ref()
                    .and_then(|s| s.last_modified.clone())
                    .unwrap_or_default();
            ka.cmp(&kb).then_with(|| a.0.id().cmp(&b.0.id()))
        }),
        "createdAt" | "created_at" => items.sort_by(|a, b| {
            a.0.meta
                .created_at
                .cmp(&b.0.meta.created_at)
                .then_with(|| a.0.id().cmp(&b.0.id()))
        }),
        _ => items.sort_by_key(|a| a.0.id()),
    }
    if desc {
        items.reverse();
    }
    let offset = decode_cursor(ctx.query.get("cursor"))?;
    let mut page = ctx.st.inner.page_size;
    if let Some(l) = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        page = page.min(l.max(1));
    }
    let total = items.len();
    let out: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(page)
        .map(|(r, s)| {
            let mut m = base_json(r, s.as_ref());
            if !expand.is_empty() {
                let e: Vec<&str> = expand.iter().map(String::as_str).collect();
                m = apply_expand(m, &e);
            }
            Value::Object(m)
        })
        .collect();
    let next = (offset + page < total).then(|| ctx.next_link(&encode_cursor(offset + page)));
    Ok(with_next(super::json(Value::Array(out)), next))
}
