//! Likes, users and organizations (protocol §8.4).
//!
//! | Python | Rust |
//! |---|---|
//! | `like` / `unlike` | [`HfApi::like`] / [`HfApi::unlike`] |
//! | `list_liked_repos` | [`HfApi::list_liked_repos`] → [`UserLikes`] |
//! | `list_repo_likers` | [`HfApi::list_repo_likers`] → lazy `Stream` of [`User`] |
//! | `get_user_overview` | [`HfApi::get_user_overview`] |
//! | `list_organization_members` | [`HfApi::list_organization_members`] → `Stream` of [`User`] |
//! | `list_user_followers` / `list_user_following` | [`HfApi::list_user_followers`] / [`HfApi::list_user_following`] |
//!
//! User and organization names go into URLs as one percent-encoded segment. The user listings
//! follow `Link: rel="next"` like every other listing.

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;

use crate::api::HfApi;
use crate::client::SendOptions;
use crate::error::Result;
use crate::repo::{RepoId, RepoType};
use crate::types_community::{LikeWire, User, UserLikes};
use crate::urls::quote_segment;

/// Builder of [`HfApi::list_repo_likers`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct LikersBuilder {
    api: HfApi,
    repo_id: RepoId,
    repo_type: RepoType,
}

impl LikersBuilder {
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Starts the listing: a lazy stream of the users who liked the repo.
    pub fn send(self) -> BoxStream<'static, Result<User>> {
        let url = format!(
            "{}/likers",
            self.api.repo_api_url(self.repo_type, &self.repo_id)
        );
        self.api.client().paginate(&url, Vec::new()).boxed()
    }
}

impl HfApi {
    async fn like_impl(&self, repo_id: &RepoId, repo_type: RepoType, method: Method) -> Result<()> {
        let url = format!("{}/like", self.repo_api_url(repo_type, repo_id));
        let rb = self.client().authed_request(method, &url)?;
        // Liking twice, or unliking twice, leaves the same state.
        self.client()
            .send(rb, SendOptions::new().repeatable(true))
            .await
            .map(drop)
    }

    /// `POST /api/{type}s/{repo_id}/like`: likes a repo as the caller.
    pub async fn like(&self, repo_id: &RepoId, repo_type: RepoType) -> Result<()> {
        self.like_impl(repo_id, repo_type, Method::POST).await
    }

    /// `DELETE /api/{type}s/{repo_id}/like`: takes the caller's like back.
    pub async fn unlike(&self, repo_id: &RepoId, repo_type: RepoType) -> Result<()> {
        self.like_impl(repo_id, repo_type, Method::DELETE).await
    }

    /// `GET /api/users/{user}/likes` (all pages): the repos `user` liked, by type. `None` means
    /// the caller (from `whoami`).
    pub async fn list_liked_repos(&self, user: Option<&str>) -> Result<UserLikes> {
        let user = match user {
            Some(u) => u.to_owned(),
            None => self.whoami().await?.name,
        };
        let url = format!(
            "{}/api/users/{}/likes",
            self.client().endpoint(),
            quote_segment(&user)
        );
        let likes: Vec<LikeWire> = self
            .client()
            .paginate(&url, Vec::new())
            .try_collect()
            .await?;
        let mut out = UserLikes {
            user,
            total: likes.len(),
            ..UserLikes::default()
        };
        for l in likes {
            match l.repo.kind.as_str() {
                "model" => out.models.push(l.repo.name),
                "dataset" => out.datasets.push(l.repo.name),
                "space" => out.spaces.push(l.repo.name),
                _ => {}
            }
        }
        Ok(out)
    }

    /// `GET /api/{type}s/{repo_id}/likers` (paginated): who liked a repo.
    pub fn list_repo_likers(&self, repo_id: &RepoId) -> LikersBuilder {
        LikersBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            repo_type: RepoType::Model,
        }
    }

    /// `GET /api/users/{username}/overview`: a user's profile.
    pub async fn get_user_overview(&self, username: &str) -> Result<User> {
        let url = format!(
            "{}/api/users/{}/overview",
            self.client().endpoint(),
            quote_segment(username)
        );
        let rb = self.client().request(Method::GET, &url);
        self.client().send_json(rb, SendOptions::new()).await
    }

    fn users_listing(&self, path: String) -> BoxStream<'static, Result<User>> {
        let url = format!("{}/api/{path}", self.client().endpoint());
        self.client().paginate(&url, Vec::new()).boxed()
    }

    /// `GET /api/organizations/{org}/members` (paginated).
    pub fn list_organization_members(&self, org: &str) -> BoxStream<'static, Result<User>> {
        self.users_listing(format!("organizations/{}/members", quote_segment(org)))
    }

    /// `GET /api/users/{username}/followers` (paginated).
    pub fn list_user_followers(&self, username: &str) -> BoxStream<'static, Result<User>> {
        self.users_listing(format!("users/{}/followers", quote_segment(username)))
    }

    /// `GET /api/users/{username}/following` (paginated).
    pub fn list_user_following(&self, username: &str) -> BoxStream<'static, Result<User>> {
        self.users_listing(format!("users/{}/following", quote_segment(username)))
    }
}
