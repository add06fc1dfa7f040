//! Collections (protocol §8.2).
//!
//! | Python | Rust |
//! |---|---|
//! | `get_collection` | [`HfApi::get_collection`] |
//! | `list_collections` | [`HfApi::list_collections`] → lazy `Stream` of [`Collection`] |
//! | `create_collection` | [`HfApi::create_collection`] |
//! | `update_collection_metadata` | [`HfApi::update_collection_metadata`] |
//! | `delete_collection` | [`HfApi::delete_collection`] |
//! | `add_collection_item` | [`HfApi::add_collection_item`] |
//! | `update_collection_item` | [`HfApi::update_collection_item`] |
//! | `delete_collection_item` | [`HfApi::delete_collection_item`] |
//!
//! A slug (`namespace/title-slug-id`) goes into URLs with its slash unencoded, as the Hub's
//! routes expect. The listing leaves `position` out; as in Python, a listed collection's
//! position is its index in the listing.

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::HfApi;
use crate::client::{Attempts, SendOptions};
use crate::error::{Error, Result};
use crate::types_community::{Collection, CollectionItemType, CollectionWire};
use crate::urls::{quote_path, quote_segment};

/// Order of [`HfApi::list_collections`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionSort {
    /// Most recently changed first.
    LastModified,
    /// Trending first.
    Trending,
    /// Most upvoted first.
    Upvotes,
}

impl CollectionSort {
    fn as_str(self) -> &'static str {
        match self {
            CollectionSort::LastModified => "lastModified",
            CollectionSort::Trending => "trending",
            CollectionSort::Upvotes => "upvotes",
        }
    }
}

fn collection_url(api: &HfApi, slug: &str) -> String {
    format!(
        "{}/api/collections/{}",
        api.client().endpoint(),
        quote_path(slug)
    )
}

fn to_collection(url: &str, endpoint: &str, v: Value) -> Result<Collection> {
    let w: CollectionWire =
        serde_json::from_value(v).map_err(|e| Error::decode(url, e.to_string()))?;
    w.into_collection(endpoint, None)
        .map_err(|m| Error::decode(url, m))
}

/// Builder of [`HfApi::list_collections`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct CollectionListBuilder {
    api: HfApi,
    owners: Vec<String>,
    items: Vec<String>,
    sort: Option<CollectionSort>,
    limit: Option<usize>,
}

impl CollectionListBuilder {
    /// Only collections of this user or organization (may be given several times).
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owners.push(owner.into());
        self
    }
    /// Only collections containing this item, written `{type}s/{id}`: `models/user/name`,
    /// `datasets/...`, `spaces/...` or `papers/{arxiv id}` (may be given several times).
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.items.push(item.into());
        self
    }
    /// Order (default: the Hub's).
    pub fn sort(mut self, sort: CollectionSort) -> Self {
        self.sort = Some(sort);
        self
    }
    /// At most this many collections (also sent to the Hub, and no further page is read).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Starts the listing: a lazy stream.
    pub fn send(self) -> BoxStream<'static, Result<Collection>> {
        let url = format!("{}/api/collections", self.api.client().endpoint());
        let mut query: Vec<(String, String)> = Vec::new();
        query.extend(self.owners.into_iter().map(|o| ("owner".to_owned(), o)));
        query.extend(self.items.into_iter().map(|i| ("item".to_owned(), i)));
        if let Some(s) = self.sort {
            query.push(("sort".into(), s.as_str().into()));
        }
        if let Some(l) = self.limit {
            query.push(("limit".into(), l.to_string()));
        }
        let endpoint = self.api.client().endpoint().to_owned();
        let stream = self
            .api
            .client()
            .paginate::<CollectionWire>(&url, query)
            .enumerate()
            .map(move |(i, w)| {
                w.and_then(|w| {
                    w.into_collection(&endpoint, Some(i as u64))
                        .map_err(|m| Error::decode(&url, m))
                })
            });
        match self.limit {
            Some(l) => stream.take(l).boxed(),
            None => stream.boxed(),
        }
    }
}

/// Builder of [`HfApi::create_collection`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CreateCollectionBuilder {
    api: HfApi,
    title: String,
    namespace: Option<String>,
    description: Option<String>,
    private: bool,
    exists_ok: bool,
}

impl CreateCollectionBuilder {
    /// Owner: a user or an organization (default: the caller, from `whoami`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }
    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Private collection (default false).
    pub fn private(mut self, yes: bool) -> Self {
        self.private = yes;
        self
    }
    /// Return the existing collection with this title instead of failing with 409.
    pub fn exists_ok(mut self, yes: bool) -> Self {
        self.exists_ok = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<Collection>> {
        Box::pin(async move {
            let namespace = match self.namespace {
                Some(n) => n,
                None => self.api.whoami().await?.name,
            };
            let mut body =
                json!({"title": self.title, "namespace": namespace, "private": self.private});
            if let Some(d) = &self.description {
                body["description"] = json!(d);
            }
            let url = format!("{}/api/collections", self.api.client().endpoint());
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            let resp = client.send(rb, SendOptions::new().pass_status(409)).await?;
            if resp.status().as_u16() == 409 {
                // A 409 after a retried POST would be our own collection; there is no retry here.
                if !self.exists_ok || Attempts::of(&resp) > 1 {
                    return Err(crate::client::check_response(resp)
                        .await
                        .err()
                        .unwrap_or_else(|| {
                            Error::decode(&url, "409 answer that is not an error")
                        }));
                }
                let v: Value = resp
                    .json()
                    .await
                    .map_err(|e| Error::decode(&url, e.to_string()))?;
                let slug = v
                    .get("slug")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::decode(&url, "409 answer without `slug`"))?;
                return self.api.get_collection(slug).await;
            }
            let v: Value = resp
                .json()
                .await
                .map_err(|e| Error::decode(&url, e.to_string()))?;
            to_collection(&url, client.endpoint(), v)
        })
    }
}

crate::api::into_future!(CreateCollectionBuilder, Collection);

/// Builder of [`HfApi::update_collection_metadata`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct UpdateCollectionBuilder {
    api: HfApi,
    slug: String,
    body: serde_json::Map<String, Value>,
}

impl UpdateCollectionBuilder {
    /// New title (the slug's title part changes, its id does not).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.body.insert("title".into(), json!(title.into()));
        self
    }
    /// New description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.body
            .insert("description".into(), json!(description.into()));
        self
    }
    /// New position among the owner's collections.
    pub fn position(mut self, position: u64) -> Self {
        self.body.insert("position".into(), json!(position));
        self
    }
    /// Make it private or public.
    pub fn private(mut self, yes: bool) -> Self {
        self.body.insert("private".into(), json!(yes));
        self
    }
    /// New display theme.
    pub fn theme(mut self, theme: impl Into<String>) -> Self {
        self.body.insert("theme".into(), json!(theme.into()));
        self
    }
    /// Sends the request; returns the updated collection.
    pub fn send(self) -> BoxFuture<'static, Result<Collection>> {
        Box::pin(async move {
            let url = collection_url(&self.api, &self.slug);
            let client = self.api.client();
            let rb = client
                .authed_request(Method::PATCH, &url)?
                .json(&Value::Object(self.body));
            // Setting the same fields twice gives the same result.
            let v: Value = client
                .send_json(rb, SendOptions::new().repeatable(true))
                .await?;
            let data = v
                .get("data")
                .cloned()
                .ok_or_else(|| Error::decode(&url, "answer without `data`"))?;
            to_collection(&url, client.endpoint(), data)
        })
    }
}

crate::api::into_future!(UpdateCollectionBuilder, Collection);

/// Builder of [`HfApi::add_collection_item`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct AddCollectionItemBuilder {
    api: HfApi,
    slug: String,
    item_id: String,
    item_type: CollectionItemType,
    note: Option<String>,
    exists_ok: bool,
}

impl AddCollectionItemBuilder {
    /// A note shown with the item (markdown, at most 500 characters on the Hub).
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
    /// Succeed (returning the collection) when the item is already in it.
    pub fn exists_ok(mut self, yes: bool) -> Self {
        self.exists_ok = yes;
        self
    }
    /// Sends the request; returns the collection with the new item last.
    pub fn send(self) -> BoxFuture<'static, Result<Collection>> {
        Box::pin(async move {
            let url = format!("{}/items", collection_url(&self.api, &self.slug));
            let mut body = json!({"item": {"id": self.item_id, "type": self.item_type.as_str()}});
            if let Some(n) = &self.note {
                body["note"] = json!(n);
            }
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            match client.send_json::<Value>(rb, SendOptions::new()).await {
                Ok(v) => to_collection(&url, client.endpoint(), v),
                Err(e) if self.exists_ok && e.status() == Some(409) => {
                    self.api.get_collection(&self.slug).await
                }
                Err(e) => Err(e),
            }
        })
    }
}

crate::api::into_future!(AddCollectionItemBuilder, Collection);

/// Builder of [`HfApi::update_collection_item`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct UpdateCollectionItemBuilder {
    api: HfApi,
    slug: String,
    item_object_id: String,
    note: Option<String>,
    position: Option<u64>,
}

impl UpdateCollectionItemBuilder {
    /// New note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
    /// New position in the collection (0 is first; the others shift).
    pub fn position(mut self, position: u64) -> Self {
        self.position = Some(position);
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let url = format!(
                "{}/items/{}",
                collection_url(&self.api, &self.slug),
                quote_segment(&self.item_object_id)
            );
            let mut body = serde_json::Map::new();
            if let Some(n) = self.note {
                body.insert("note".into(), json!(n));
            }
            if let Some(p) = self.position {
                body.insert("position".into(), json!(p));
            }
            let client = self.api.client();
            let rb = client
                .authed_request(Method::PATCH, &url)?
                .json(&Value::Object(body));
            client
                .send(rb, SendOptions::new().repeatable(true))
                .await
                .map(drop)
        })
    }
}

crate::api::into_future!(UpdateCollectionItemBuilder, ());

/// Builder of [`HfApi::delete_collection`] and [`HfApi::delete_collection_item`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DeleteCollectionBuilder {
    api: HfApi,
    url: String,
    missing_ok: bool,
}

impl DeleteCollectionBuilder {
    /// Succeed when it does not exist (default false: a 404 error).
    pub fn missing_ok(mut self, yes: bool) -> Self {
        self.missing_ok = yes;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            let client = self.api.client();
            let rb = client.authed_request(Method::DELETE, &self.url)?;
            // A repeated delete finds nothing (404), which is what the first one did.
            let options = SendOptions::new().repeatable(true).pass_status(404);
            let resp = client.send(rb, options).await?;
            if resp.status().as_u16() == 404 && !(self.missing_ok || Attempts::of(&resp) > 1) {
                return Err(crate::client::check_response(resp)
                    .await
                    .err()
                    .unwrap_or_else(|| {
                        Error::decode(&self.url, "404 answer that is not an error")
                    }));
            }
            Ok(())
        })
    }
}

crate::api::into_future!(DeleteCollectionBuilder, ());

impl HfApi {
    /// `GET /api/collections/{slug}`: one collection with its items.
    pub async fn get_collection(&self, slug: &str) -> Result<Collection> {
        let url = collection_url(self, slug);
        let client = self.client();
        let rb = client.request(Method::GET, &url);
        let v: Value = client.send_json(rb, SendOptions::new()).await?;
        to_collection(&url, client.endpoint(), v)
    }

    /// `GET /api/collections?owner=&item=&sort=&limit=` (paginated): a lazy stream.
    pub fn list_collections(&self) -> CollectionListBuilder {
        CollectionListBuilder {
            api: self.clone(),
            owners: Vec::new(),
            items: Vec::new(),
            sort: None,
            limit: None,
        }
    }

    /// `POST /api/collections`: creates a collection (owned by the caller unless
    /// `.namespace()`); a title already used by the owner is a 409 unless `.exists_ok(true)`.
    pub fn create_collection(&self, title: &str) -> CreateCollectionBuilder {
        CreateCollectionBuilder {
            api: self.clone(),
            title: title.to_owned(),
            namespace: None,
            description: None,
            private: false,
            exists_ok: false,
        }
    }

    /// `PATCH /api/collections/{slug}`: changes title, description, position, visibility or
    /// theme (only the fields set on the builder are sent).
    pub fn update_collection_metadata(&self, slug: &str) -> UpdateCollectionBuilder {
        UpdateCollectionBuilder {
            api: self.clone(),
            slug: slug.to_owned(),
            body: serde_json::Map::new(),
        }
    }

    /// `DELETE /api/collections/{slug}`. Irreversible.
    pub fn delete_collection(&self, slug: &str) -> DeleteCollectionBuilder {
        DeleteCollectionBuilder {
            api: self.clone(),
            url: collection_url(self, slug),
            missing_ok: false,
        }
    }

    /// `POST /api/collections/{slug}/items`: adds a repo or paper (`item_type` accepts a
    /// [`crate::RepoType`] through `into()`).
    pub fn add_collection_item(
        &self,
        slug: &str,
        item_id: &str,
        item_type: impl Into<CollectionItemType>,
    ) -> AddCollectionItemBuilder {
        AddCollectionItemBuilder {
            api: self.clone(),
            slug: slug.to_owned(),
            item_id: item_id.to_owned(),
            item_type: item_type.into(),
            note: None,
            exists_ok: false,
        }
    }

    /// `PATCH /api/collections/{slug}/items/{item_object_id}`: changes an item's note or
    /// position. `item_object_id` is [`crate::types_community::CollectionItem::item_object_id`].
    pub fn update_collection_item(
        &self,
        slug: &str,
        item_object_id: &str,
    ) -> UpdateCollectionItemBuilder {
        UpdateCollectionItemBuilder {
            api: self.clone(),
            slug: slug.to_owned(),
            item_object_id: item_object_id.to_owned(),
            note: None,
            position: None,
        }
    }

    /// `DELETE /api/collections/{slug}/items/{item_object_id}`: removes an item.
    pub fn delete_collection_item(
        &self,
        slug: &str,
        item_object_id: &str,
    ) -> DeleteCollectionBuilder {
        DeleteCollectionBuilder {
            api: self.clone(),
            url: format!(
                "{}/items/{}",
                collection_url(self, slug),
                quote_segment(item_object_id)
            ),
            missing_ok: false,
        }
    }
}
