//! Wire types of the community API (protocol §8.1): discussions, pull requests and their
//! events.
//!
//! The Hub's JSON is read into private `*Wire` structs and turned into the public types here,
//! because the public shape is Python's (`author` is a plain name, `"deleted"` when the account
//! is gone; a PR's details are flattened out of `changes`), not the wire's. Every public type
//! keeps what it was built from where Python does (`DiscussionEvent::raw`), so fields the Hub
//! adds later stay reachable.
//!
//! Required keys are the ones Python 0.26 indexes with `[...]`; a missing one is a decode error
//! rather than a silently empty value. Dates are lenient as everywhere else
//! ([`crate::types::parse_hub_date`]).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::repo::RepoType;

/// Author name Python reports when the Hub sends no author (a deleted account).
pub const DELETED_AUTHOR: &str = "deleted";

/// Status of a discussion or pull request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum DiscussionStatus {
    /// Open (discussions, and PRs that are ready).
    Open,
    /// Closed without merging.
    Closed,
    /// A merged pull request.
    Merged,
    /// A pull request that is not ready yet (every new PR starts as a draft).
    Draft,
    /// A status this client does not know, kept verbatim.
    Other(String),
}

impl DiscussionStatus {
    /// The wire name (`open`, `closed`, `merged`, `draft`, or the unknown string).
    pub fn as_str(&self) -> &str {
        match self {
            DiscussionStatus::Open => "open",
            DiscussionStatus::Closed => "closed",
            DiscussionStatus::Merged => "merged",
            DiscussionStatus::Draft => "draft",
            DiscussionStatus::Other(s) => s,
        }
    }
}

impl From<String> for DiscussionStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "open" => DiscussionStatus::Open,
            "closed" => DiscussionStatus::Closed,
            "merged" => DiscussionStatus::Merged,
            "draft" => DiscussionStatus::Draft,
            _ => DiscussionStatus::Other(s),
        }
    }
}

impl From<DiscussionStatus> for String {
    fn from(s: DiscussionStatus) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for DiscussionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A discussion or pull request, as listed (Python's `Discussion`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discussion {
    /// Title.
    pub title: String,
    /// Status.
    pub status: DiscussionStatus,
    /// Number, unique per repository and shared by discussions and PRs.
    pub num: u64,
    /// The repository it belongs to (`namespace/name`).
    pub repo_id: String,
    /// The repository's type.
    pub repo_type: RepoType,
    /// Username of the author, [`DELETED_AUTHOR`] when the account is gone.
    pub author: String,
    /// Whether it is a pull request.
    pub is_pull_request: bool,
    /// Creation date (`None` if the Hub sent a date this client cannot read).
    pub created_at: Option<DateTime<Utc>>,
    /// Endpoint it was read from, for [`Discussion::url`].
    pub endpoint: String,
}

impl Discussion {
    /// The git reference of a pull request (`refs/pr/<num>`), `None` for a discussion.
    pub fn git_reference(&self) -> Option<String> {
        self.is_pull_request
            .then(|| format!("refs/pr/{}", self.num))
    }

    /// The page of the discussion on the Hub: `{endpoint}/[datasets/|spaces/]{repo_id}/discussions/{num}`.
    pub fn url(&self) -> String {
        format!(
            "{}/{}{}/discussions/{}",
            self.endpoint,
            self.repo_type.url_prefix(),
            self.repo_id,
            self.num
        )
    }
}

/// A discussion or pull request with its events (Python's `DiscussionWithDetails`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionWithDetails {
    /// The listing part.
    pub discussion: Discussion,
    /// Events, oldest first (the first is the opening comment).
    pub events: Vec<DiscussionEvent>,
    /// Files in conflict with the target branch (PRs only): a list, or `true`/`false` when the
    /// Hub only says whether there are any.
    pub conflicting_files: Option<ConflictingFiles>,
    /// The branch a pull request merges into (`refs/heads/main`), `None` for a discussion.
    pub target_branch: Option<String>,
    /// The commit that merged a pull request, once merged.
    pub merge_commit_oid: Option<String>,
    /// Unified diff of a pull request (when the Hub sent one).
    pub diff: Option<String>,
}

impl std::ops::Deref for DiscussionWithDetails {
    type Target = Discussion;
    fn deref(&self) -> &Discussion {
        &self.discussion
    }
}

/// [`DiscussionWithDetails::conflicting_files`]: the Hub sends either a list or a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConflictingFiles {
    /// The files in conflict.
    Files(Vec<String>),
    /// Only whether there are conflicts.
    Any(bool),
}

/// One event of a discussion (Python's `DiscussionEvent` and its subclasses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionEvent {
    /// Event id (a comment's id is what [`crate::HfApi::edit_discussion_comment`] takes).
    pub id: String,
    /// Wire type: `comment`, `status-change`, `commit`, `title-change`, or another.
    pub event_type: String,
    /// When it happened.
    pub created_at: Option<DateTime<Utc>>,
    /// Username of the author, [`DELETED_AUTHOR`] when the account is gone.
    pub author: String,
    /// The typed content.
    pub kind: DiscussionEventKind,
    /// The event as the Hub sent it.
    pub raw: Value,
}

impl DiscussionEvent {
    /// The comment, if this event is one.
    pub fn as_comment(&self) -> Option<&DiscussionComment> {
        match &self.kind {
            DiscussionEventKind::Comment(c) => Some(c),
            _ => None,
        }
    }
}

/// Typed content of a [`DiscussionEvent`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DiscussionEventKind {
    /// A comment (`comment`).
    Comment(DiscussionComment),
    /// A status change (`status-change`).
    StatusChange(DiscussionStatusChange),
    /// A commit pushed to a pull request (`commit`).
    Commit(DiscussionCommit),
    /// A rename (`title-change`).
    TitleChange(DiscussionTitleChange),
    /// Any other type; read [`DiscussionEvent::raw`].
    Other,
}

/// A comment (Python's `DiscussionComment`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionComment {
    /// Current raw (markdown) text.
    pub content: String,
    /// Current rendered HTML.
    pub rendered: String,
    /// Whether it was edited.
    pub edited: bool,
    /// Whether it was hidden (its text is then no longer available).
    pub hidden: bool,
    /// When the current text was written.
    pub last_edited_at: Option<DateTime<Utc>>,
    /// Who wrote the current text, [`DELETED_AUTHOR`] when unknown.
    pub last_edited_by: String,
    /// Earlier revisions, as the Hub sent them (`number_of_edits` is its length).
    pub edit_history: Vec<CommentRevision>,
}

impl DiscussionComment {
    /// How many times the comment was edited.
    pub fn number_of_edits(&self) -> usize {
        self.edit_history.len()
    }
}

/// One revision of a comment (`data.latest` and `data.history[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentRevision {
    /// Raw (markdown) text.
    #[serde(default)]
    pub raw: String,
    /// Rendered HTML.
    #[serde(default)]
    pub html: String,
    /// When this revision was written.
    #[serde(default, with = "crate::types::date")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Author of this revision.
    #[serde(default)]
    pub author: Option<AuthorRef>,
}

/// `{"name": ...}` author objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorRef {
    /// Username.
    pub name: String,
}

/// A status change (Python's `DiscussionStatusChange`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionStatusChange {
    /// The status after the change.
    pub new_status: DiscussionStatus,
}

/// A commit pushed to a pull request (Python's `DiscussionCommit`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionCommit {
    /// First line of the commit message.
    pub summary: String,
    /// Commit id.
    pub oid: String,
}

/// A rename (Python's `DiscussionTitleChange`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscussionTitleChange {
    /// Title before.
    pub old_title: String,
    /// Title after.
    pub new_title: String,
}

// ---------------------------------------------------------------------------------------------
// Collections (protocol §8.2)

/// Kind of a [`CollectionItem`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum CollectionItemType {
    /// A model repository.
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space.
    Space,
    /// A paper (its arXiv id).
    Paper,
    /// A type this client does not know, kept verbatim.
    Other(String),
}

impl CollectionItemType {
    /// The wire name (`model`, `dataset`, `space`, `paper`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            CollectionItemType::Model => "model",
            CollectionItemType::Dataset => "dataset",
            CollectionItemType::Space => "space",
            CollectionItemType::Paper => "paper",
            CollectionItemType::Other(s) => s,
        }
    }
}

impl From<String> for CollectionItemType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "model" => CollectionItemType::Model,
            "dataset" => CollectionItemType::Dataset,
            "space" => CollectionItemType::Space,
            "paper" => CollectionItemType::Paper,
            _ => CollectionItemType::Other(s),
        }
    }
}

impl From<CollectionItemType> for String {
    fn from(t: CollectionItemType) -> Self {
        t.as_str().to_owned()
    }
}

impl From<RepoType> for CollectionItemType {
    fn from(t: RepoType) -> Self {
        match t {
            RepoType::Model => CollectionItemType::Model,
            RepoType::Dataset => CollectionItemType::Dataset,
            RepoType::Space => CollectionItemType::Space,
        }
    }
}

/// One entry of a [`Collection`] (Python's `CollectionItem`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionItem {
    /// Id of the entry itself (what item updates and deletes take).
    pub item_object_id: String,
    /// Id of what it points to: a repo id or a paper id.
    pub item_id: String,
    /// What it points to.
    pub item_type: CollectionItemType,
    /// Position in the collection, from 0.
    pub position: u64,
    /// The note attached to it (markdown text).
    pub note: Option<String>,
    /// Other keys the Hub sent (repo metadata and so on), kept as sent.
    pub extra: serde_json::Map<String, Value>,
}

/// A collection (Python's `Collection`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collection {
    /// `{namespace}/{title-slug}-{id}`: what every collection call takes.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Owner object as the Hub sent it (`name`, `type`, ...).
    pub owner: Value,
    /// Entries, in order.
    pub items: Vec<CollectionItem>,
    /// Last change.
    pub last_updated: Option<DateTime<Utc>>,
    /// Position among the owner's collections (in a listing: the index in the listing).
    pub position: u64,
    /// Whether only the owner can see it.
    pub private: bool,
    /// Display theme.
    pub theme: String,
    /// Number of upvotes.
    pub upvotes: u64,
    /// Description, if any.
    pub description: Option<String>,
    /// Its page: `{endpoint}/collections/{slug}`.
    pub url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CollectionWire {
    slug: String,
    title: String,
    owner: Value,
    items: Vec<CollectionItemWire>,
    #[serde(with = "crate::types::date")]
    last_updated: Option<DateTime<Utc>>,
    #[serde(default)]
    position: Option<u64>,
    private: bool,
    theme: String,
    upvotes: u64,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct CollectionItemWire {
    #[serde(rename = "_id")]
    object_id: String,
    id: String,
    #[serde(rename = "type")]
    kind: CollectionItemType,
    position: u64,
    #[serde(default)]
    note: Option<NoteWire>,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct NoteWire {
    text: String,
}

impl CollectionWire {
    /// `position` comes from the object, or (listings) from `listed_at`; one of them is needed.
    pub(crate) fn into_collection(
        self,
        endpoint: &str,
        listed_at: Option<u64>,
    ) -> Result<Collection, String> {
        let position = self
            .position
            .or(listed_at)
            .ok_or("collection without `position`")?;
        Ok(Collection {
            url: format!("{endpoint}/collections/{}", self.slug),
            slug: self.slug,
            title: self.title,
            owner: self.owner,
            items: self
                .items
                .into_iter()
                .map(|i| CollectionItem {
                    item_object_id: i.object_id,
                    item_id: i.id,
                    item_type: i.kind,
                    position: i.position,
                    note: i.note.map(|n| n.text),
                    extra: i.extra,
                })
                .collect(),
            last_updated: self.last_updated,
            position,
            private: self.private,
            theme: self.theme,
            upvotes: self.upvotes,
            description: self.description,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Users, likes and access requests (protocol §8.4, gated repos)

/// A user or organization as the Hub describes people (Python's `User`). Every field is
/// optional on the wire; the username is under the key `user`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Username.
    #[serde(rename = "user", default)]
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Whether the caller follows this user.
    #[serde(default)]
    pub is_following: Option<bool>,
    /// Whether the user has a Pro subscription.
    #[serde(default)]
    pub is_pro: Option<bool>,
    /// Profile text.
    #[serde(default)]
    pub details: Option<String>,
    /// Number of models.
    #[serde(default)]
    pub num_models: Option<u64>,
    /// Number of datasets.
    #[serde(default)]
    pub num_datasets: Option<u64>,
    /// Number of Spaces.
    #[serde(default)]
    pub num_spaces: Option<u64>,
    /// Number of discussions.
    #[serde(default)]
    pub num_discussions: Option<u64>,
    /// Number of papers.
    #[serde(default)]
    pub num_papers: Option<u64>,
    /// Number of upvotes received.
    #[serde(default)]
    pub num_upvotes: Option<u64>,
    /// Number of likes given.
    #[serde(default)]
    pub num_likes: Option<u64>,
    /// Number of accounts followed.
    #[serde(default)]
    pub num_following: Option<u64>,
    /// Number of followers.
    #[serde(default)]
    pub num_followers: Option<u64>,
    /// `user` or `org`.
    #[serde(rename = "type", default)]
    pub user_type: Option<String>,
    /// Organizations the user belongs to.
    #[serde(default)]
    pub orgs: Vec<UserOrg>,
    /// Other keys the Hub sent (Python keeps them as attributes).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// An organization in [`User::orgs`] (Python's `Organization`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOrg {
    /// Organization name.
    #[serde(default)]
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// The repos a user liked, by type (Python's `UserLikes`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UserLikes {
    /// Whose likes these are.
    pub user: String,
    /// Number of liked repos.
    pub total: usize,
    /// Liked datasets.
    pub datasets: Vec<String>,
    /// Liked models.
    pub models: Vec<String>,
    /// Liked Spaces.
    pub spaces: Vec<String>,
}

/// A request for access to a gated repo (Python's `AccessRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRequest {
    /// Who asked.
    pub username: String,
    /// Their display name.
    pub fullname: String,
    /// Their e-mail, when the Hub shows it to the repo's owner.
    pub email: Option<String>,
    /// When the request was made or last handled.
    pub timestamp: Option<DateTime<Utc>>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// What the requester filled in the gate form's extra fields, if it has any.
    pub fields: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
pub(crate) struct AccessRequestWire {
    user: AccessUserWire,
    status: String,
    #[serde(with = "crate::types::date")]
    timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    fields: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
struct AccessUserWire {
    user: String,
    #[serde(default)]
    fullname: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

impl From<AccessRequestWire> for AccessRequest {
    fn from(w: AccessRequestWire) -> Self {
        AccessRequest {
            fullname: w.user.fullname.unwrap_or_default(),
            username: w.user.user,
            email: w.user.email,
            timestamp: w.timestamp,
            status: w.status,
            fields: w.fields.filter(|f| !f.is_empty()),
        }
    }
}

/// One entry of `GET /api/users/{user}/likes`.
#[derive(Deserialize)]
pub(crate) struct LikeWire {
    pub(crate) repo: LikedRepoWire,
}

#[derive(Deserialize)]
pub(crate) struct LikedRepoWire {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}

// ---------------------------------------------------------------------------------------------
// Webhooks (protocol §8.3)

/// What a [`WebhookWatchedItem`] watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum WatchedType {
    /// A model repository.
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space.
    Space,
    /// Every repo of a user.
    User,
    /// Every repo of an organization.
    Org,
    /// A type this client does not know, kept verbatim.
    Other(String),
}

impl WatchedType {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            WatchedType::Model => "model",
            WatchedType::Dataset => "dataset",
            WatchedType::Space => "space",
            WatchedType::User => "user",
            WatchedType::Org => "org",
            WatchedType::Other(s) => s,
        }
    }
}

impl From<String> for WatchedType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "model" => WatchedType::Model,
            "dataset" => WatchedType::Dataset,
            "space" => WatchedType::Space,
            "user" => WatchedType::User,
            "org" => WatchedType::Org,
            _ => WatchedType::Other(s),
        }
    }
}

impl From<WatchedType> for String {
    fn from(t: WatchedType) -> Self {
        t.as_str().to_owned()
    }
}

/// One thing a webhook watches (Python's `WebhookWatchedItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookWatchedItem {
    /// What kind of thing.
    #[serde(rename = "type")]
    pub item_type: WatchedType,
    /// Repo id, user name or organization name.
    pub name: String,
}

impl WebhookWatchedItem {
    /// A watched item of `item_type` named `name`.
    pub fn new(item_type: WatchedType, name: impl Into<String>) -> Self {
        WebhookWatchedItem {
            item_type,
            name: name.into(),
        }
    }
}

/// Which events a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookDomain {
    /// Commits, refs and repo settings.
    Repo,
    /// Discussions, pull requests and comments.
    Discussion,
}

/// A webhook (Python's `WebhookInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    /// Id (what the other webhook calls take).
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// What it watches.
    pub watched: Vec<WebhookWatchedItem>,
    /// Which events it receives.
    pub domains: Vec<WebhookDomain>,
    /// Secret sent as `X-Webhook-Secret`, if set.
    #[serde(default)]
    pub secret: Option<String>,
    /// Whether deliveries are paused.
    pub disabled: bool,
}

// ---------------------------------------------------------------------------------------------
// Wire → public

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscussionWire {
    title: String,
    status: DiscussionStatus,
    num: u64,
    #[serde(default)]
    author: Option<AuthorRef>,
    #[serde(with = "crate::types::date")]
    created_at: Option<DateTime<Utc>>,
    is_pull_request: bool,
    repo: RepoRefWire,
}

#[derive(Deserialize)]
struct RepoRefWire {
    name: String,
    #[serde(rename = "type")]
    kind: RepoType,
}

impl DiscussionWire {
    pub(crate) fn into_discussion(self, endpoint: &str) -> Discussion {
        Discussion {
            title: self.title,
            status: self.status,
            num: self.num,
            repo_id: self.repo.name,
            repo_type: self.repo.kind,
            author: author_name(self.author),
            is_pull_request: self.is_pull_request,
            created_at: self.created_at,
            endpoint: endpoint.to_owned(),
        }
    }
}

/// `GET .../discussions` page.
#[derive(Deserialize)]
pub(crate) struct DiscussionPageWire {
    pub(crate) discussions: Vec<DiscussionWire>,
    pub(crate) count: u64,
    pub(crate) start: u64,
}

fn author_name(a: Option<AuthorRef>) -> String {
    a.map(|a| a.name)
        .unwrap_or_else(|| DELETED_AUTHOR.to_owned())
}

/// Builds a [`DiscussionWithDetails`] from the details JSON; `Err` names what is missing.
pub(crate) fn details_from_json(v: Value, endpoint: &str) -> Result<DiscussionWithDetails, String> {
    let discussion: DiscussionWire =
        serde_json::from_value(v.clone()).map_err(|e| format!("discussion: {e}"))?;
    let discussion = discussion.into_discussion(endpoint);
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .ok_or("no `events` list")?
        .iter()
        .map(|e| event_from_json(e.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut conflicting_files, mut target_branch, mut merge_commit_oid) = (None, None, None);
    if discussion.is_pull_request {
        let changes = v.get("changes").ok_or("pull request without `changes`")?;
        target_branch = Some(
            changes
                .get("base")
                .and_then(Value::as_str)
                .ok_or("no `changes.base`")?
                .to_owned(),
        );
        merge_commit_oid = changes
            .get("mergeCommitId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        conflicting_files = match v.get("filesWithConflicts") {
            None | Some(Value::Null) => None,
            Some(f) => Some(
                serde_json::from_value(f.clone())
                    .map_err(|e| format!("`filesWithConflicts`: {e}"))?,
            ),
        };
    }
    let diff = v.get("diff").and_then(Value::as_str).map(str::to_owned);
    Ok(DiscussionWithDetails {
        discussion,
        events,
        conflicting_files,
        target_branch,
        merge_commit_oid,
        diff,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventWire {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(with = "crate::types::date")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    author: Option<AuthorRef>,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct CommentDataWire {
    edited: bool,
    hidden: bool,
    latest: CommentRevision,
    #[serde(default)]
    history: Vec<CommentRevision>,
}

#[derive(Deserialize)]
struct StatusDataWire {
    status: DiscussionStatus,
}

#[derive(Deserialize)]
struct CommitDataWire {
    subject: String,
    oid: String,
}

#[derive(Deserialize)]
struct TitleDataWire {
    from: String,
    to: String,
}

/// Builds one [`DiscussionEvent`] (Python's `deserialize_event`).
pub(crate) fn event_from_json(raw: Value) -> Result<DiscussionEvent, String> {
    let w: EventWire = serde_json::from_value(raw.clone()).map_err(|e| format!("event: {e}"))?;
    let data = |what: &str| -> Result<Value, String> {
        match &w.data {
            Value::Object(_) => Ok(w.data.clone()),
            _ => Err(format!("{what} event {} without `data`", w.id)),
        }
    };
    let kind = match w.kind.as_str() {
        "comment" => {
            let d: CommentDataWire = serde_json::from_value(data("comment")?)
                .map_err(|e| format!("comment {}: {e}", w.id))?;
            let last_edited_by = author_name(d.latest.author.clone());
            DiscussionEventKind::Comment(DiscussionComment {
                content: d.latest.raw.clone(),
                rendered: d.latest.html.clone(),
                edited: d.edited,
                hidden: d.hidden,
                last_edited_at: d.latest.updated_at,
                last_edited_by,
                edit_history: d.history,
            })
        }
        "status-change" => {
            let d: StatusDataWire = serde_json::from_value(data("status-change")?)
                .map_err(|e| format!("status change {}: {e}", w.id))?;
            DiscussionEventKind::StatusChange(DiscussionStatusChange {
                new_status: d.status,
            })
        }
        "commit" => {
            let d: CommitDataWire = serde_json::from_value(data("commit")?)
                .map_err(|e| format!("commit {}: {e}", w.id))?;
            DiscussionEventKind::Commit(DiscussionCommit {
                summary: d.subject,
                oid: d.oid,
            })
        }
        "title-change" => {
            let d: TitleDataWire = serde_json::from_value(data("title-change")?)
                .map_err(|e| format!("title change {}: {e}", w.id))?;
            DiscussionEventKind::TitleChange(DiscussionTitleChange {
                old_title: d.from,
                new_title: d.to,
            })
        }
        _ => DiscussionEventKind::Other,
    };
    Ok(DiscussionEvent {
        id: w.id,
        event_type: w.kind,
        created_at: w.created_at,
        author: author_name(w.author),
        kind,
        raw,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base(pr: bool) -> Value {
        json!({"num": 3, "title": "T", "status": "draft", "createdAt": "2024-05-01T12:00:00.000Z",
            "isPullRequest": pr, "repo": {"name": "a/b", "type": "dataset"}, "events": []})
    }

    #[test]
    fn details_of_a_pr_are_flattened_and_a_missing_author_is_deleted() {
        let mut v = base(true);
        v["changes"] = json!({"base": "refs/heads/main", "mergeCommitId": "abc"});
        v["filesWithConflicts"] = json!(["x.txt"]);
        v["diff"] = json!("diff --git");
        let d = details_from_json(v, "http://h").unwrap();
        assert_eq!(d.author, DELETED_AUTHOR);
        assert_eq!(d.status, DiscussionStatus::Draft);
        assert_eq!(d.target_branch.as_deref(), Some("refs/heads/main"));
        assert_eq!(d.merge_commit_oid.as_deref(), Some("abc"));
        assert_eq!(
            d.conflicting_files,
            Some(ConflictingFiles::Files(vec!["x.txt".into()]))
        );
        assert_eq!(d.git_reference().as_deref(), Some("refs/pr/3"));
        assert_eq!(d.url(), "http://h/datasets/a/b/discussions/3");
    }

    #[test]
    fn a_pr_without_changes_is_an_error_and_a_discussion_ignores_them() {
        assert!(details_from_json(base(true), "h").is_err());
        let d = details_from_json(base(false), "h").unwrap();
        assert_eq!(d.target_branch, None);
        assert_eq!(d.git_reference(), None);
    }

    #[test]
    fn events_are_typed_and_unknown_ones_kept() {
        let at = "2024-05-01T12:00:00Z";
        let comment = json!({"id": "c1", "type": "comment", "createdAt": at, "author": {"name": "u"},
            "data": {"edited": true, "hidden": false,
                "latest": {"raw": "new", "html": "<p>new</p>", "updatedAt": at, "author": {"name": "v"}},
                "history": [{"raw": "old", "html": "old", "updatedAt": at}]}});
        let e = event_from_json(comment).unwrap();
        let c = e.as_comment().unwrap();
        assert_eq!(
            (c.content.as_str(), c.edited, c.number_of_edits()),
            ("new", true, 1)
        );
        assert_eq!(c.last_edited_by, "v");
        let t = event_from_json(json!({"id": "t", "type": "title-change", "createdAt": at,
            "data": {"from": "a", "to": "b"}}))
        .unwrap();
        assert_eq!(
            t.kind,
            DiscussionEventKind::TitleChange(DiscussionTitleChange {
                old_title: "a".into(),
                new_title: "b".into()
            })
        );
        assert_eq!(t.author, DELETED_AUTHOR);
        let s = event_from_json(json!({"id": "s", "type": "status-change", "createdAt": at,
            "data": {"status": "someday"}}))
        .unwrap();
        assert_eq!(
            s.kind,
            DiscussionEventKind::StatusChange(DiscussionStatusChange {
                new_status: DiscussionStatus::Other("someday".into())
            })
        );
        let o = event_from_json(json!({"id": "o", "type": "pinned", "createdAt": at})).unwrap();
        assert_eq!(o.kind, DiscussionEventKind::Other);
        assert!(
            event_from_json(json!({"id": "x", "type": "commit", "createdAt": at,
            "data": {"subject": "s"}}))
            .is_err()
        );
    }
}
