//! Collections (protocol §8.2): `/api/collections[/{namespace}/{slug}[/items[/{item_id}]]]`.
//!
//! All collections live in one JSON file, `{data_dir}/collections.json`, rewritten atomically
//! under a process-wide lock: collections are few and small, and one file keeps create/update
//! consistent without a database. A slug is `{namespace}/{title-slug}-{id}`; lookups use the
//! namespace and the trailing id only, so a slug keeps working after a rename changed its title
//! part (as on the Hub). Private collections are visible only to those who may write to their
//! namespace (the owner, or members of the owning organization); to others they do not exist (404).
//! The listing leaves out `position` (clients number the items themselves), `get` includes it.
//!
//! Listing order (`sort=`): `lastModified` (default) is the most recently changed first.
//! `trending` has no documented definition, so it is recent activity: the number of changes
//! (creation, metadata edits, items added, edited or removed) in the last
//! [`TRENDING_WINDOW_DAYS`] days, most first, ties by last change. `upvotes` orders by the stored
//! upvote count (the protocol documents no upvote route, so counts stay as stored), ties by
//! last change.

use std::sync::LazyLock;

use axum::http::Method;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Ctx, internal};
use crate::error::{HubError, HubResult};
use crate::repo::RepoType;
use crate::util;

/// Serializes read-modify-write cycles of the collections file.
static LOCK: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredItem {
    object_id: String,
    id: String,
    kind: String,
    note: Option<String>,
}

/// How far back `sort=trending` counts a collection's changes.
const TRENDING_WINDOW_DAYS: i64 = 7;

/// Changes remembered per collection for `trending` (older ones fall out of the window anyway).
const ACTIVITY_CAP: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    id: String,
    namespace: String,
    title: String,
    description: Option<String>,
    private: bool,
    theme: String,
    position: u64,
    last_updated: String,
    items: Vec<StoredItem>,
    /// Upvote count (no route changes it; kept so `sort=upvotes` reads a stored value).
    #[serde(default)]
    upvotes: u64,
    /// Times of recent changes (unix seconds), oldest first, for `sort=trending`.
    #[serde(default)]
    activity: Vec<i64>,
}

impl Stored {
    /// Records a change now: `lastUpdated` and one more entry of recent activity.
    fn touch(&mut self) {
        let now = chrono::Utc::now();
        self.last_updated = util::format_date(now);
        let horizon = now.timestamp() - TRENDING_WINDOW_DAYS * 86_400;
        self.activity.retain(|t| *t >= horizon);
        self.activity.push(now.timestamp());
        if self.activity.len() > ACTIVITY_CAP {
            let extra = self.activity.len() - ACTIVITY_CAP;
            self.activity.drain(..extra);
        }
    }

    /// Changes within the trending window as of `now` (unix seconds).
    fn recent_activity(&self, now: i64) -> usize {
        let horizon = now - TRENDING_WINDOW_DAYS * 86_400;
        self.activity.iter().filter(|t| **t >= horizon).count()
    }

    fn slug(&self) -> String {
        format!("{}/{}-{}", self.namespace, slugify(&self.title), self.id)
    }

    fn to_json(&self, owner_type: &str, with_position: bool) -> Value {
        let items: Vec<Value> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let mut v =
                    json!({"_id": it.object_id, "id": it.id, "type": it.kind, "position": i});
                if let Some(n) = &it.note {
                    v["note"] = json!({"text": n, "html": n});
                }
                v
            })
            .collect();
        let mut v = json!({
            "slug": self.slug(), "title": self.title,
            "owner": {"name": self.namespace, "type": owner_type},
            "items": items, "lastUpdated": self.last_updated, "private": self.private,
            "theme": self.theme, "upvotes": self.upvotes, "isUpvotedByUser": false,
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        if with_position {
            v["position"] = json!(self.position);
        }
        v
    }
}

/// `Hello, World!` → `hello-world`.
fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "collection".into()
    } else {
        out.to_string()
    }
}

fn new_id() -> String {
    hex::encode(rand::random::<[u8; 12]>())
}

fn path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.st.inner.data_dir.join("collections.json")
}

async fn load(ctx: &Ctx) -> HubResult<Vec<Stored>> {
    match tokio::fs::read(path(ctx)).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(internal),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(internal(e)),
    }
}

async fn save(ctx: &Ctx, all: &[Stored]) -> HubResult<()> {
    let bytes = serde_json::to_vec(all).map_err(internal)?;
    let p = path(ctx);
    tokio::task::spawn_blocking(move || util::atomic_write(&p, &bytes))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// Who the caller is, and which namespaces they may write to.
struct Access {
    caller: Option<(String, bool)>,
    auth: std::sync::Arc<crate::auth::AuthData>,
}

impl Access {
    fn may_write(&self, ns: &str) -> bool {
        self.caller
            .as_ref()
            .is_some_and(|(name, _)| self.auth.can_write_namespace(name, ns))
    }
    fn may_read(&self, c: &Stored) -> bool {
        !c.private || self.may_write(&c.namespace)
    }
    fn owner_type(&self, ns: &str) -> &'static str {
        if self.auth.orgs.keys().any(|o| o.eq_ignore_ascii_case(ns)) {
            "org"
        } else {
            "user"
        }
    }
}

async fn access(ctx: &Ctx) -> HubResult<Access> {
    let auth = ctx.st.inner.auth.get().await.map_err(internal)?;
    Ok(Access {
        caller: ctx.caller.as_ref().map(|c| (c.name.clone(), c.write)),
        auth,
    })
}

fn not_found() -> HubError {
    HubError::NotFound("Collection not found".into())
}

/// Index of the collection `{ns}/{slug}` the caller may read.
fn find(all: &[Stored], acc: &Access, ns: &str, slug: &str) -> HubResult<usize> {
    let id = slug.rsplit('-').next().unwrap_or(slug);
    all.iter()
        .position(|c| c.id == id && c.namespace.eq_ignore_ascii_case(ns) && acc.may_read(c))
        .ok_or_else(not_found)
}

fn need_write(acc: &Access, ns: &str) -> HubResult<()> {
    match &acc.caller {
        None => Err(HubError::Unauthorized(
            "You must be authenticated to perform this action".into(),
        )),
        Some((_, false)) => Err(HubError::Forbidden(
            "You cannot change collections with a read-only token".into(),
        )),
        Some(_) if !acc.may_write(ns) => Err(HubError::Forbidden(format!(
            "You don't have the rights to change collections of \"{ns}\""
        ))),
        Some(_) => Ok(()),
    }
}

/// Dispatches `/api/collections/...`.
pub(super) async fn route(ctx: &mut Ctx, segs: &[&str]) -> HubResult<Response> {
    let m = ctx.method().clone();
    match segs {
        [] if m == Method::GET => list(ctx).await,
        [] if m == Method::POST => create(ctx).await,
        [ns, slug] if m == Method::GET => {
            let all = load(ctx).await?;
            let acc = access(ctx).await?;
            let c = &all[find(&all, &acc, ns, slug)?];
            Ok(super::json(c.to_json(acc.owner_type(&c.namespace), true)))
        }
        [ns, slug] if m == Method::PATCH => update(ctx, ns, slug).await,
        [ns, slug] if m == Method::DELETE => delete(ctx, ns, slug).await,
        [ns, slug, "items"] if m == Method::POST => add_item(ctx, ns, slug).await,
        [ns, slug, "items", item] if m == Method::PATCH || m == Method::DELETE => {
            change_item(ctx, ns, slug, item).await
        }
        _ => Err(HubError::NotFound("Not Found".into())),
    }
}

/// `GET /api/collections?owner=&item=&sort=&limit=` (owner and item may repeat).
async fn list(ctx: &mut Ctx) -> HubResult<Response> {
    let all = load(ctx).await?;
    let acc = access(ctx).await?;
    let owners = ctx.query.all("owner");
    // `item` is `{type}s/{id}` (`models/user/name`) or `papers/{id}`.
    let items: Vec<(String, String)> = ctx
        .query
        .all("item")
        .iter()
        .filter_map(|i| i.split_once('/'))
        .map(|(t, id)| (t.trim_end_matches('s').to_string(), id.to_string()))
        .collect();
    let mut found: Vec<&Stored> = all
        .iter()
        .filter(|c| acc.may_read(c))
        .filter(|c| {
            owners.is_empty() || owners.iter().any(|o| o.eq_ignore_ascii_case(&c.namespace))
        })
        .filter(|c| {
            items.is_empty()
                || items
                    .iter()
                    .any(|(t, id)| c.items.iter().any(|it| &it.kind == t && &it.id == id))
        })
        .collect();
    // Most recent change first; the other orders use it to break ties.
    found.sort_by(|a, b| b.last_updated.cmp(&a.last_updated));
    match ctx.query.get("sort") {
        Some("upvotes") => found.sort_by_key(|c| std::cmp::Reverse(c.upvotes)),
        Some("trending") => {
            let now = chrono::Utc::now().timestamp();
            found.sort_by_key(|c| std::cmp::Reverse(c.recent_activity(now)));
        }
        _ => {}
    }
    if let Some(limit) = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        found.truncate(limit);
    }
    let out: Vec<Value> = found
        .iter()
        .map(|c| c.to_json(acc.owner_type(&c.namespace), false))
        .collect();
    Ok(super::json(Value::Array(out)))
}

/// `POST /api/collections` `{"title", "namespace", "private", "description"?}`.
async fn create(ctx: &mut Ctx) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let acc = access(ctx).await?;
    let caller = ctx.need_caller()?.name.clone();
    let ns = body
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(&caller)
        .to_string();
    need_write(&acc, &ns)?;
    let ns = acc.auth.namespace(&ns).unwrap_or(ns);
    let title = body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if title.is_empty() || title.len() > 60 {
        return Err(HubError::BadRequest(
            "Title must be between 1 and 60 characters".into(),
        ));
    }
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    if let Some(existing) = all
        .iter()
        .find(|c| c.namespace == ns && c.title.eq_ignore_ascii_case(&title))
    {
        let mut extra = serde_json::Map::new();
        extra.insert("slug".into(), json!(existing.slug()));
        return Err(HubError::Conflict {
            message: "You already have a collection with this title".into(),
            extra: Some(extra),
        });
    }
    let mut c = Stored {
        id: new_id(),
        position: all.iter().filter(|c| c.namespace == ns).count() as u64,
        namespace: ns,
        title,
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        private: body
            .get("private")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        theme: "default".into(),
        last_updated: util::now_date(),
        items: Vec::new(),
        upvotes: 0,
        activity: Vec::new(),
    };
    c.touch();
    let v = c.to_json(acc.owner_type(&c.namespace), true);
    all.push(c);
    save(ctx, &all).await?;
    Ok(super::json(v))
}

/// `PATCH /api/collections/{ns}/{slug}` with any of `title, description, private, theme, position`.
async fn update(ctx: &mut Ctx, ns: &str, slug: &str) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let acc = access(ctx).await?;
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    let i = find(&all, &acc, ns, slug)?;
    need_write(&acc, &all[i].namespace)?;
    let c = &mut all[i];
    if let Some(t) = body.get("title").and_then(Value::as_str) {
        let t = t.trim();
        if t.is_empty() || t.len() > 60 {
            return Err(HubError::BadRequest(
                "Title must be between 1 and 60 characters".into(),
            ));
        }
        c.title = t.to_string();
    }
    if let Some(d) = body.get("description").and_then(Value::as_str) {
        c.description = Some(d.to_string());
    }
    if let Some(p) = body.get("private").and_then(Value::as_bool) {
        c.private = p;
    }
    if let Some(t) = body.get("theme").and_then(Value::as_str) {
        c.theme = t.to_string();
    }
    if let Some(p) = body.get("position").and_then(Value::as_u64) {
        c.position = p;
    }
    c.touch();
    let v = c.to_json(acc.owner_type(&c.namespace), true);
    save(ctx, &all).await?;
    Ok(super::json(json!({ "data": v })))
}

/// `DELETE /api/collections/{ns}/{slug}`.
async fn delete(ctx: &mut Ctx, ns: &str, slug: &str) -> HubResult<Response> {
    let acc = access(ctx).await?;
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    let i = find(&all, &acc, ns, slug)?;
    need_write(&acc, &all[i].namespace)?;
    all.remove(i);
    save(ctx, &all).await?;
    Ok(super::json(json!({})))
}

/// `POST /api/collections/{ns}/{slug}/items` `{"item": {"id", "type"}, "note"?}`.
async fn add_item(ctx: &mut Ctx, ns: &str, slug: &str) -> HubResult<Response> {
    let body: Value = ctx.json().await?;
    let acc = access(ctx).await?;
    let id = body["item"]["id"].as_str().unwrap_or("").to_string();
    let kind = body["item"]["type"].as_str().unwrap_or("").to_string();
    // A repo item must exist and be visible to the caller; papers are not checked.
    match kind.as_str() {
        "paper" if !id.is_empty() => {}
        t @ ("model" | "dataset" | "space") => {
            let ty = RepoType::from_plural(&format!("{t}s")).ok_or_else(|| internal("type"))?;
            let (rns, rname) = id
                .split_once('/')
                .ok_or_else(|| HubError::BadRequest(format!("Invalid {t} id {id:?}")))?;
            ctx.repo_read(ty, rns, rname).await?;
        }
        _ => {
            return Err(HubError::BadRequest(
                "item.type must be one of model, dataset, space, paper".into(),
            ));
        }
    }
    let note = body.get("note").and_then(Value::as_str).map(str::to_string);
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    let i = find(&all, &acc, ns, slug)?;
    need_write(&acc, &all[i].namespace)?;
    let c = &mut all[i];
    if c.items.iter().any(|it| it.id == id && it.kind == kind) {
        return Err(HubError::conflict("Item already in the collection"));
    }
    c.items.push(StoredItem {
        object_id: new_id(),
        id,
        kind,
        note,
    });
    c.touch();
    let v = c.to_json(acc.owner_type(&c.namespace), true);
    save(ctx, &all).await?;
    Ok(super::json(v))
}

/// `PATCH` (`{"note"?, "position"?}`) or `DELETE` `/api/collections/{ns}/{slug}/items/{item_id}`.
async fn change_item(ctx: &mut Ctx, ns: &str, slug: &str, item: &str) -> HubResult<Response> {
    let delete = ctx.method() == Method::DELETE;
    let body: Value = ctx.json().await?;
    let acc = access(ctx).await?;
    let _g = LOCK.lock().await;
    let mut all = load(ctx).await?;
    let i = find(&all, &acc, ns, slug)?;
    need_write(&acc, &all[i].namespace)?;
    let c = &mut all[i];
    let at = c
        .items
        .iter()
        .position(|it| it.object_id == item)
        .ok_or_else(|| HubError::NotFound("Item not found in the collection".into()))?;
    if delete {
        c.items.remove(at);
    } else {
        if let Some(n) = body.get("note").and_then(Value::as_str) {
            c.items[at].note = Some(n.to_string());
        }
        if let Some(p) = body.get("position").and_then(Value::as_u64) {
            let it = c.items.remove(at);
            let p = usize::try_from(p).unwrap_or(usize::MAX).min(c.items.len());
            c.items.insert(p, it);
        }
    }
    c.touch();
    save(ctx, &all).await?;
    Ok(super::json(json!({})))
}
