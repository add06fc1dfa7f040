//! [`HfApi`]: the repository surface of the Hub (whoami, repos, info, listings, refs, commits).
//!
//! `HfApi` is a thin handle on a [`HubClient`]; get one with [`HubClient::api`]. Wire types live
//! in [`crate::types`] (serde only, no behaviour).
//!
//! # Calling convention
//!
//! Every call with options is a builder finished with `.send()` (hf-hub's style): the builder
//! owns a clone of the (cheap, `Arc`'d) client and a params struct, and `.send()` returns a
//! boxed `'static` future, so calls can be spawned and their futures stay small whatever the
//! call does. Builders also implement [`IntoFuture`], so `.send()` may
//! be left out before `.await`. Listings (`list_models`, `list_repo_tree`, `list_repo_commits`,
//! ...) return `'static` [`Stream`](futures::Stream)s that fetch pages lazily, following
//! `Link: rel="next"`; dropping the stream stops the fetching.
//!
//! # Methods
//!
//! | Area | Methods |
//! |---|---|
//! | account | [`HfApi::whoami`]; login/logout in [`crate::auth`] |
//! | repositories | [`HfApi::create_repo`], [`HfApi::delete_repo`], [`HfApi::move_repo`], [`HfApi::update_repo_settings`], [`HfApi::update_repo_visibility`], [`HfApi::duplicate_space`] |
//! | info | [`HfApi::model_info`], [`HfApi::dataset_info`], [`HfApi::space_info`], [`HfApi::repo_info`], [`HfApi::repo_exists`], [`HfApi::revision_exists`], [`HfApi::file_exists`] |
//! | search | [`HfApi::list_models`], [`HfApi::list_datasets`], [`HfApi::list_spaces`] |
//! | files | [`HfApi::list_repo_tree`], [`HfApi::list_repo_files`], [`HfApi::get_paths_info`], [`HfApi::get_hf_file_metadata`], [`HfApi::hf_hub_url`], [`file_metadata`], [`probe_file`] |
//! | community | [`HfApi::get_repo_discussions`], [`HfApi::get_discussion_details`], [`HfApi::create_discussion`], [`HfApi::create_pull_request`], [`HfApi::comment_discussion`], [`HfApi::edit_discussion_comment`], [`HfApi::hide_discussion_comment`], [`HfApi::rename_discussion`], [`HfApi::change_discussion_status`], [`HfApi::merge_pull_request`] ([`discussions`]) |
//! | collections | [`HfApi::get_collection`], [`HfApi::list_collections`], [`HfApi::create_collection`], [`HfApi::update_collection_metadata`], [`HfApi::delete_collection`], [`HfApi::add_collection_item`], [`HfApi::update_collection_item`], [`HfApi::delete_collection_item`] ([`collections`]) |
//! | likes, users, orgs | [`HfApi::like`], [`HfApi::unlike`], [`HfApi::list_liked_repos`], [`HfApi::list_repo_likers`], [`HfApi::get_user_overview`], [`HfApi::list_organization_members`], [`HfApi::list_user_followers`], [`HfApi::list_user_following`] ([`social`]) |
//! | gated repos | [`HfApi::list_pending_access_requests`], [`HfApi::list_accepted_access_requests`], [`HfApi::list_rejected_access_requests`], [`HfApi::accept_access_request`], [`HfApi::reject_access_request`], [`HfApi::cancel_access_request`], [`HfApi::grant_access`] ([`access_requests`]) |
//! | webhooks | [`HfApi::create_webhook`], [`HfApi::get_webhook`], [`HfApi::list_webhooks`], [`HfApi::update_webhook`], [`HfApi::enable_webhook`], [`HfApi::disable_webhook`], [`HfApi::delete_webhook`] ([`webhooks`]) |
//! | history | [`HfApi::list_repo_refs`], [`HfApi::list_repo_commits`], [`HfApi::create_branch`], [`HfApi::delete_branch`], [`HfApi::create_tag`], [`HfApi::delete_tag`], [`HfApi::super_squash_history`] |
//!
//! Python's per-call `token=` argument is [`HfApi::with_token`].
//!
//! # Wire conventions
//!
//! Booleans are sent as lower-case `true`/`false` (the server accepts both cases), lists as
//! repeated keys (`expand=a&expand=b`), and the commits listing uses `expand[]=formatted`, as
//! the protocol document says. Revisions and branch/tag names are percent-encoded with
//! `safe=""`, file paths in resolve URLs with `safe="/"` ([`crate::urls`]).
//!
//! # Offline mode
//!
//! With `config.offline`, every call fails with [`crate::Error::OfflineModeIsEnabled`] before
//! anything is sent: all requests go through [`HubClient::send`], which checks it first.

use reqwest::Method;

use crate::client::HubClient;
use crate::error::Result;
use crate::repo::{RepoId, RepoType};
use crate::types::WhoAmI;

pub mod access_requests;
pub mod collections;
pub mod discussions;
pub mod info;
pub mod listing;
pub mod metadata;
pub mod refs;
pub mod repos;
pub mod social;
pub mod tree;
pub mod webhooks;

pub use access_requests::{AccessChangeBuilder, AccessRequestStatus, AccessRequestsBuilder};
pub use collections::{
    AddCollectionItemBuilder, CollectionListBuilder, CollectionSort, CreateCollectionBuilder,
    DeleteCollectionBuilder, UpdateCollectionBuilder, UpdateCollectionItemBuilder,
};
pub use discussions::{
    ChangeStatusBuilder, CreateDiscussionBuilder, DiscussionChangeBuilder,
    DiscussionDetailsBuilder, DiscussionListBuilder, DiscussionStatusFilter, DiscussionTypeFilter,
    MergePullRequestBuilder,
};
pub use info::{InfoBuilder, RepoInfoBuilder};
pub use listing::{DatasetListBuilder, ModelListBuilder, Sort, SpaceListBuilder};
pub use metadata::{FileMetadataBuilder, FileProbe, file_metadata, probe_file};
pub use refs::{
    CommitListBuilder, CreateBranchBuilder, CreateTagBuilder, RefsBuilder, SuperSquashBuilder,
};
pub use repos::{
    CreateRepoBuilder, DeleteRepoBuilder, DuplicateSpaceBuilder, MoveRepoBuilder,
    UpdateSettingsBuilder,
};
pub use social::LikersBuilder;
pub use tree::{PathsInfoBuilder, TreeBuilder};
pub use webhooks::WebhookBuilder;

/// Implements `IntoFuture` for a builder by calling its `send()`.
macro_rules! into_future {
    ($builder:ty, $out:ty) => {
        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::error::Result<$out>;
            type IntoFuture = ::futures::future::BoxFuture<'static, $crate::error::Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    };
}
pub(crate) use into_future;

/// The Hub's repository API, bound to a [`HubClient`].
#[derive(Debug, Clone)]
pub struct HfApi {
    client: HubClient,
}

impl HubClient {
    /// The repository API on this client.
    pub fn api(&self) -> HfApi {
        HfApi {
            client: self.clone(),
        }
    }
}

impl HfApi {
    /// An API handle on `client` (same as [`HubClient::api`]).
    pub fn new(client: HubClient) -> Self {
        HfApi { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &HubClient {
        &self.client
    }

    /// The same API using `token` for every call (Python's per-call `token=`); cheap, the
    /// connection pool is shared.
    pub fn with_token(&self, token: crate::Token) -> HfApi {
        HfApi {
            client: self.client.with_token(Some(token)),
        }
    }

    /// `GET /api/whoami-v2`: the account behind the token (a token is required, even when
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set).
    pub async fn whoami(&self) -> Result<WhoAmI> {
        let url = format!("{}/api/whoami-v2", self.client.endpoint());
        let rb = self.client.authed_request(Method::GET, &url)?;
        self.client
            .send_json(rb, crate::client::SendOptions::new())
            .await
    }

    /// `{EP}/api/{type}s/{repo_id}`.
    pub(crate) fn repo_api_url(&self, repo_type: RepoType, repo_id: &RepoId) -> String {
        crate::urls::api_repo_url(self.client.endpoint(), repo_type, repo_id)
    }
}

/// Lower-case boolean for query strings and forms.
pub(crate) fn bool_str(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod community_tests;
