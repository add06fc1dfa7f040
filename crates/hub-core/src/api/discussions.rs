//! Discussions and pull requests (protocol §8.1).
//!
//! | Python | Rust |
//! |---|---|
//! | `get_repo_discussions` | [`HfApi::get_repo_discussions`] → lazy `Stream` of [`Discussion`] |
//! | `get_discussion_details` | [`HfApi::get_discussion_details`] → [`DiscussionWithDetails`] |
//! | `create_discussion` / `create_pull_request` | [`HfApi::create_discussion`] / [`HfApi::create_pull_request`] |
//! | `comment_discussion` | [`HfApi::comment_discussion`] |
//! | `edit_discussion_comment` / `hide_discussion_comment` | [`HfApi::edit_discussion_comment`] / [`HfApi::hide_discussion_comment`] |
//! | `rename_discussion` | [`HfApi::rename_discussion`] |
//! | `change_discussion_status` | [`HfApi::change_discussion_status`] |
//! | `merge_pull_request` | [`HfApi::merge_pull_request`] |
//!
//! The listing is the one page-number-based listing of the Hub (`p=0,1,...`, stop when
//! `start + len(page) >= count`), so it has its own small pager instead of
//! [`crate::HubClient::paginate`]. None of the writes is repeatable: each one adds an event, so a
//! retry after a lost answer would add it twice.

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::HfApi;
use crate::client::SendOptions;
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType};
use crate::types_community::{
    Discussion, DiscussionEvent, DiscussionPageWire, DiscussionStatus, DiscussionWithDetails,
    details_from_json, event_from_json,
};
use crate::urls::quote_segment;

/// Which kind of thread [`HfApi::get_repo_discussions`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscussionTypeFilter {
    /// Discussions and pull requests (the default; not sent).
    #[default]
    All,
    /// Discussions only.
    Discussion,
    /// Pull requests only.
    PullRequest,
}

/// Which statuses [`HfApi::get_repo_discussions`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscussionStatusFilter {
    /// Every status (the default; not sent).
    #[default]
    All,
    /// Open and draft.
    Open,
    /// Closed and merged.
    Closed,
}

/// Builder of [`HfApi::get_repo_discussions`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct DiscussionListBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
    author: Option<String>,
    discussion_type: DiscussionTypeFilter,
    discussion_status: DiscussionStatusFilter,
}

impl DiscussionListBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Only threads opened by this user.
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }
    /// Only discussions or only pull requests (default both).
    pub fn discussion_type(mut self, kind: DiscussionTypeFilter) -> Self {
        self.discussion_type = kind;
        self
    }
    /// Only open or only closed threads (default both).
    pub fn discussion_status(mut self, status: DiscussionStatusFilter) -> Self {
        self.discussion_status = status;
        self
    }
    /// Starts the listing: a lazy stream, newest first; pages are fetched as it is polled.
    pub fn send(self) -> BoxStream<'static, Result<Discussion>> {
        let url = format!(
            "{}/discussions",
            self.api.repo_api_url(self.repo_type, &self.repo_id)
        );
        // Only the filters given are sent, as Python does.
        let mut query: Vec<(&'static str, String)> = Vec::new();
        match self.discussion_type {
            DiscussionTypeFilter::All => {}
            DiscussionTypeFilter::Discussion => query.push(("type", "discussion".into())),
            DiscussionTypeFilter::PullRequest => query.push(("type", "pull_request".into())),
        }
        match self.discussion_status {
            DiscussionStatusFilter::All => {}
            DiscussionStatusFilter::Open => query.push(("status", "open".into())),
            DiscussionStatusFilter::Closed => query.push(("status", "closed".into())),
        }
        if let Some(a) = self.author {
            query.push(("author", a));
        }
        let api = self.api;
        futures::stream::try_unfold(Some(0u64), move |page| {
            let (api, url, query) = (api.clone(), url.clone(), query.clone());
            async move {
                let Some(p) = page else {
                    return Ok::<_, Error>(None);
                };
                let (items, next) = fetch_page(&api, &url, &query, p).await?;
                let items: Vec<Result<Discussion>> = items.into_iter().map(Ok).collect();
                Ok(Some((futures::stream::iter(items), next)))
            }
        })
        .try_flatten()
        .boxed()
    }
}

/// One page of the listing and the number of the next page, if any.
async fn fetch_page(
    api: &HfApi,
    url: &str,
    query: &[(&'static str, String)],
    p: u64,
) -> Result<(Vec<Discussion>, Option<u64>)> {
    let client = api.client();
    let rb = client
        .request(Method::GET, url)
        .query(query)
        .query(&[("p", p)]);
    let page: DiscussionPageWire = client.send_json(rb, SendOptions::new()).await?;
    let n = page.discussions.len() as u64;
    // An empty page ends the listing even if `count` says otherwise: never loop forever.
    let next = (n > 0 && page.start + n < page.count).then_some(p + 1);
    let endpoint = client.endpoint();
    let items = page
        .discussions
        .into_iter()
        .map(|d| d.into_discussion(endpoint))
        .collect();
    Ok((items, next))
}

/// Builder of [`HfApi::get_discussion_details`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DiscussionDetailsBuilder {
    api: HfApi,
    repo_id: RepoId,
    num: u64,
    repo_type: RepoType,
}

impl DiscussionDetailsBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<DiscussionWithDetails>> {
        Box::pin(async move { details(&self.api, self.repo_type, &self.repo_id, self.num).await })
    }
}

crate::api::into_future!(DiscussionDetailsBuilder, DiscussionWithDetails);

async fn details(
    api: &HfApi,
    repo_type: RepoType,
    repo_id: &RepoId,
    num: u64,
) -> Result<DiscussionWithDetails> {
    check_num(num)?;
    let url = format!("{}/discussions/{num}", api.repo_api_url(repo_type, repo_id));
    let client = api.client();
    let rb = client.request(Method::GET, &url).query(&[("diff", "1")]);
    let v: Value = client.send_json(rb, SendOptions::new()).await?;
    details_from_json(v, client.endpoint()).map_err(|m| Error::decode(&url, m))
}

fn check_num(num: u64) -> Result<()> {
    if num == 0 {
        return Err(Error::invalid_argument(
            "discussion numbers start at 1: pass the `num` of a discussion or pull request",
        ));
    }
    Ok(())
}

/// Builder of [`HfApi::create_discussion`] and [`HfApi::create_pull_request`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CreateDiscussionBuilder {
    api: HfApi,
    repo_id: RepoId,
    title: String,
    repo_type: RepoType,
    description: Option<String>,
    pull_request: bool,
}

impl CreateDiscussionBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// The opening comment (markdown). Default: a line saying which library opened it.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Open a (draft) pull request instead of a discussion; its git ref is `refs/pr/<num>`.
    pub fn pull_request(mut self, yes: bool) -> Self {
        self.pull_request = yes;
        self
    }
    /// Sends the request, then reads the new thread back (as Python does).
    pub fn send(self) -> BoxFuture<'static, Result<DiscussionWithDetails>> {
        Box::pin(async move {
            let kind = if self.pull_request {
                "Pull Request"
            } else {
                "Discussion"
            };
            let description = match self.description.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => d.to_owned(),
                _ => format!(
                    "{kind} opened with the [huggingface_hub Python library](https://huggingface.co/docs/huggingface_hub)"
                ),
            };
            let url = format!(
                "{}/discussions",
                self.api.repo_api_url(self.repo_type, &self.repo_id)
            );
            let body = json!({
                "title": self.title.trim(),
                "description": description,
                "pullRequest": self.pull_request,
            });
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            let created: Value = client.send_json(rb, SendOptions::new()).await?;
            let num = created
                .get("num")
                .and_then(Value::as_u64)
                .ok_or_else(|| Error::decode(&url, "created discussion without `num`"))?;
            details(&self.api, self.repo_type, &self.repo_id, num).await
        })
    }
}

crate::api::into_future!(CreateDiscussionBuilder, DiscussionWithDetails);

/// What a [`DiscussionChangeBuilder`] does.
#[derive(Debug, Clone)]
enum Change {
    Comment(String),
    Rename(String),
    EditComment {
        id: String,
        content: String,
    },
    HideComment {
        id: String,
    },
    Status {
        status: DiscussionStatus,
        comment: Option<String>,
    },
}

/// Builder of the calls that add or change one event of a thread and return it:
/// [`HfApi::comment_discussion`], [`HfApi::rename_discussion`],
/// [`HfApi::edit_discussion_comment`], [`HfApi::hide_discussion_comment`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DiscussionChangeBuilder {
    api: HfApi,
    repo_id: RepoId,
    num: u64,
    repo_type: RepoType,
    change: Change,
}

impl DiscussionChangeBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Sends the request; returns the event the Hub created or changed.
    pub fn send(self) -> BoxFuture<'static, Result<DiscussionEvent>> {
        Box::pin(async move {
            check_num(self.num)?;
            let (path, body, key) = match self.change {
                Change::Comment(text) => (
                    "comment".to_owned(),
                    Some(json!({"comment": text})),
                    "newMessage",
                ),
                Change::Rename(title) => (
                    "title".to_owned(),
                    Some(json!({"title": title})),
                    "newTitle",
                ),
                Change::EditComment { id, content } => (
                    // The Hub's ids are lower-case hex; Python lower-cases what it is given.
                    format!("comment/{}/edit", quote_segment(&id.to_lowercase())),
                    Some(json!({"content": content})),
                    "updatedComment",
                ),
                Change::HideComment { id } => (
                    format!("comment/{}/hide", quote_segment(&id.to_lowercase())),
                    None,
                    "updatedComment",
                ),
                Change::Status { status, comment } => {
                    if !matches!(status, DiscussionStatus::Open | DiscussionStatus::Closed) {
                        return Err(Error::invalid_argument(
                            "a status change takes `Open` or `Closed`; merge a pull request with \
                             `merge_pull_request`",
                        ));
                    }
                    let mut body = json!({"status": status.as_str()});
                    if let Some(c) = comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                        body["comment"] = json!(c);
                    }
                    ("status".to_owned(), Some(body), "newStatus")
                }
            };
            let url = change_url(&self.api, self.repo_type, &self.repo_id, self.num, &path);
            let v = post_change(&self.api, &url, body).await?;
            let event = v
                .get(key)
                .cloned()
                .ok_or_else(|| Error::decode(&url, format!("answer without `{key}`")))?;
            event_from_json(event).map_err(|m| Error::decode(&url, m))
        })
    }
}

crate::api::into_future!(DiscussionChangeBuilder, DiscussionEvent);

/// Builder of [`HfApi::change_discussion_status`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct ChangeStatusBuilder {
    inner: DiscussionChangeBuilder,
}

impl ChangeStatusBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.inner.repo_type = repo_type;
        self
    }
    /// A comment posted with the status change.
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        if let Change::Status { comment, .. } = &mut self.inner.change {
            *comment = Some(text.into());
        }
        self
    }
    /// Sends the request; returns the status-change event.
    pub fn send(self) -> BoxFuture<'static, Result<DiscussionEvent>> {
        self.inner.send()
    }
}

crate::api::into_future!(ChangeStatusBuilder, DiscussionEvent);

/// Builder of [`HfApi::merge_pull_request`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct MergePullRequestBuilder {
    api: HfApi,
    repo_id: RepoId,
    num: u64,
    repo_type: RepoType,
    comment: Option<String>,
}

impl MergePullRequestBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// A comment posted with the merge.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
    /// Sends the request. Read the merge commit with [`HfApi::get_discussion_details`]
    /// ([`DiscussionWithDetails::merge_commit_oid`]).
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            check_num(self.num)?;
            let url = change_url(&self.api, self.repo_type, &self.repo_id, self.num, "merge");
            // No body at all without a comment, as Python sends it.
            let body = self
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| json!({"comment": c}));
            post_change(&self.api, &url, body).await.map(drop)
        })
    }
}

crate::api::into_future!(MergePullRequestBuilder, ());

fn change_url(api: &HfApi, repo_type: RepoType, repo_id: &RepoId, num: u64, path: &str) -> String {
    format!(
        "{}/discussions/{num}/{path}",
        api.repo_api_url(repo_type, repo_id)
    )
}

/// The one write of this module: `POST` with an optional JSON body, answer as JSON (`{}` when
/// the Hub sends an empty body).
async fn post_change(api: &HfApi, url: &str, body: Option<Value>) -> Result<Value> {
    let client = api.client();
    let mut rb = client.authed_request(Method::POST, url)?;
    if let Some(b) = &body {
        rb = rb.json(b);
    }
    let resp = client.send(rb, SendOptions::new()).await?;
    let bytes = resp.bytes().await.map_err(|e| Error::transport(url, e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::decode(url, e.to_string()))
}

impl HfApi {
    /// `GET /api/{type}s/{repo_id}/discussions?p=..` (page-numbered): discussions and pull
    /// requests, newest first, as a lazy stream. Filters: `.author()`, `.discussion_type()`,
    /// `.discussion_status()`.
    pub fn get_repo_discussions(&self, repo_id: &RepoId) -> DiscussionListBuilder {
        DiscussionListBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
            author: None,
            discussion_type: DiscussionTypeFilter::All,
            discussion_status: DiscussionStatusFilter::All,
        }
    }

    /// `GET /api/{type}s/{repo_id}/discussions/{num}?diff=1`: one thread with its events and,
    /// for a pull request, its target branch, conflicts, merge commit and diff.
    pub fn get_discussion_details(&self, repo_id: &RepoId, num: u64) -> DiscussionDetailsBuilder {
        DiscussionDetailsBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            num,
            repo_type: RepoType::Model,
        }
    }

    /// `POST /api/{type}s/{repo_id}/discussions`: opens a discussion (or, with
    /// `.pull_request(true)`, a draft pull request) and returns it with its details.
    pub fn create_discussion(&self, repo_id: &RepoId, title: &str) -> CreateDiscussionBuilder {
        CreateDiscussionBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            title: title.to_owned(),
            repo_type: RepoType::Model,
            description: None,
            pull_request: false,
        }
    }

    /// [`HfApi::create_discussion`] with `.pull_request(true)`: opens a draft pull request whose
    /// branch `refs/pr/<num>` starts at `main`; push to it with `revision = refs/pr/<num>`.
    pub fn create_pull_request(&self, repo_id: &RepoId, title: &str) -> CreateDiscussionBuilder {
        self.create_discussion(repo_id, title).pull_request(true)
    }

    fn change(&self, repo_id: &RepoId, num: u64, change: Change) -> DiscussionChangeBuilder {
        DiscussionChangeBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            num,
            repo_type: RepoType::Model,
            change,
        }
    }

    /// `POST .../discussions/{num}/comment`: adds a comment (markdown); returns it.
    pub fn comment_discussion(
        &self,
        repo_id: &RepoId,
        num: u64,
        comment: &str,
    ) -> DiscussionChangeBuilder {
        self.change(repo_id, num, Change::Comment(comment.to_owned()))
    }

    /// `POST .../discussions/{num}/title`: renames a thread; returns the title-change event.
    pub fn rename_discussion(
        &self,
        repo_id: &RepoId,
        num: u64,
        new_title: &str,
    ) -> DiscussionChangeBuilder {
        self.change(repo_id, num, Change::Rename(new_title.to_owned()))
    }

    /// `POST .../discussions/{num}/status`: opens or closes a thread (`.comment()` adds a
    /// comment with it); returns the status-change event. Only [`DiscussionStatus::Open`] and
    /// [`DiscussionStatus::Closed`] are accepted.
    pub fn change_discussion_status(
        &self,
        repo_id: &RepoId,
        num: u64,
        new_status: DiscussionStatus,
    ) -> ChangeStatusBuilder {
        ChangeStatusBuilder {
            inner: self.change(
                repo_id,
                num,
                Change::Status {
                    status: new_status,
                    comment: None,
                },
            ),
        }
    }

    /// `POST .../discussions/{num}/comment/{comment_id}/edit`: replaces the text of a comment
    /// (the old text moves to its edit history); returns the comment.
    pub fn edit_discussion_comment(
        &self,
        repo_id: &RepoId,
        num: u64,
        comment_id: &str,
        new_content: &str,
    ) -> DiscussionChangeBuilder {
        self.change(
            repo_id,
            num,
            Change::EditComment {
                id: comment_id.to_owned(),
                content: new_content.to_owned(),
            },
        )
    }

    /// `POST .../discussions/{num}/comment/{comment_id}/hide`: hides a comment for good (its
    /// text can no longer be read); returns the comment.
    pub fn hide_discussion_comment(
        &self,
        repo_id: &RepoId,
        num: u64,
        comment_id: &str,
    ) -> DiscussionChangeBuilder {
        self.change(
            repo_id,
            num,
            Change::HideComment {
                id: comment_id.to_owned(),
            },
        )
    }

    /// `POST .../discussions/{num}/merge`: merges a pull request into its target branch.
    pub fn merge_pull_request(&self, repo_id: &RepoId, num: u64) -> MergePullRequestBuilder {
        MergePullRequestBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            num,
            repo_type: RepoType::Model,
            comment: None,
        }
    }
}
