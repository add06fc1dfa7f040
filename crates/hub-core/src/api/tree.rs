//! Tree listing, file listing and paths-info (protocol §4).

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;

use crate::api::{HfApi, bool_str};
use crate::client::json_body;
use crate::error::Result;
use crate::repo::{RepoId, RepoType};
use crate::types::RepoEntry;

#[derive(Debug, Clone)]
struct TreeParams {
    repo_id: RepoId,
    repo_type: RepoType,
    revision: Option<String>,
    path: Option<String>,
    recursive: bool,
    expand: bool,
}

/// Builder of [`HfApi::list_repo_tree`] (and, finished with [`TreeBuilder::files`], of
/// [`HfApi::list_repo_files`]).
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct TreeBuilder {
    api: HfApi,
    params: TreeParams,
}

impl TreeBuilder {
    /// Revision (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.params.revision = Some(revision.into());
        self
    }
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.params.repo_type = repo_type;
        self
    }
    /// Folder to list (default: the root). An unknown folder is [`crate::Error::EntryNotFound`].
    pub fn path_in_repo(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        let p = p.trim_matches('/');
        self.params.path = (!p.is_empty()).then(|| p.to_owned());
        self
    }
    /// List all descendants, folders included (default false: direct children only).
    pub fn recursive(mut self, yes: bool) -> Self {
        self.params.recursive = yes;
        self
    }
    /// Ask for `lastCommit` and security info of every entry (default false; slower).
    pub fn expand(mut self, yes: bool) -> Self {
        self.params.expand = yes;
        self
    }

    /// Starts the listing: a lazy `'static` stream of entries (pages fetched on demand).
    pub fn send(self) -> BoxStream<'static, Result<RepoEntry>> {
        let p = &self.params;
        let mut url = format!(
            "{}/tree/{}",
            self.api.repo_api_url(p.repo_type, &p.repo_id),
            crate::urls::quote_segment(
                p.revision
                    .as_deref()
                    .unwrap_or(crate::config::DEFAULT_REVISION)
            )
        );
        if let Some(path) = &p.path {
            url.push('/');
            url.push_str(&crate::urls::quote_segment(path));
        }
        let query = vec![
            ("recursive".to_owned(), bool_str(p.recursive)),
            ("expand".to_owned(), bool_str(p.expand)),
        ];
        self.api.client().paginate::<RepoEntry>(&url, query).boxed()
    }

    /// Collects the paths of all files (recursively, whatever `.recursive()` said), as Python's
    /// `list_repo_files`.
    pub fn files(self) -> BoxFuture<'static, Result<Vec<String>>> {
        let stream = self.recursive(true).send();
        Box::pin(async move {
            stream
                .try_filter_map(|e| async move {
                    Ok(match e {
                        RepoEntry::File(f) => Some(f.path),
                        RepoEntry::Folder(_) => None,
                    })
                })
                .try_collect()
                .await
        })
    }
}

/// Builder of [`HfApi::get_paths_info`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct PathsInfoBuilder {
    api: HfApi,
    repo_id: RepoId,
    paths: Vec<String>,
    repo_type: RepoType,
    revision: Option<String>,
    expand: bool,
}

impl PathsInfoBuilder {
    /// Revision (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }
    /// Ask for `lastCommit` and security info (default false).
    pub fn expand(mut self, yes: bool) -> Self {
        self.expand = yes;
        self
    }
    /// Sends the request. Paths that do not exist are silently left out of the answer.
    pub fn send(self) -> BoxFuture<'static, Result<Vec<RepoEntry>>> {
        Box::pin(paths_info_impl(self))
    }
}

crate::api::into_future!(PathsInfoBuilder, Vec<RepoEntry>);

async fn paths_info_impl(b: PathsInfoBuilder) -> Result<Vec<RepoEntry>> {
    let url = format!(
        "{}/paths-info/{}",
        b.api.repo_api_url(b.repo_type, &b.repo_id),
        crate::urls::quote_segment(
            b.revision
                .as_deref()
                .unwrap_or(crate::config::DEFAULT_REVISION)
        )
    );
    // Form-encoded, not JSON (protocol §4.2).
    let mut form: Vec<(&str, String)> = b.paths.iter().map(|p| ("paths", p.clone())).collect();
    form.push(("expand", bool_str(b.expand)));
    let client = b.api.client();
    // A read, although sent as a POST: safe to repeat.
    let resp = client
        .send(
            client.request(Method::POST, &url).form(&form),
            // Reads only: safe to repeat.
            crate::client::SendOptions::new().repeatable(true),
        )
        .await?;
    json_body(resp).await
}

impl HfApi {
    /// `GET /api/{type}s/{repo_id}/tree/{revision}[/{path}]?recursive=&expand=` (paginated):
    /// the entries of a folder, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(api: hub_core::HfApi) -> hub_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use hub_core::RepoId;
    /// let mut entries = api.list_repo_tree(&RepoId::new("gpt2")?).recursive(true).send();
    /// while let Some(entry) = entries.try_next().await? {
    ///     println!("{}", entry.path());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_repo_tree(&self, repo_id: &RepoId) -> TreeBuilder {
        TreeBuilder {
            api: self.clone(),
            params: TreeParams {
                repo_id: repo_id.clone(),
                repo_type: RepoType::Model,
                revision: None,
                path: None,
                recursive: false,
                expand: false,
            },
        }
    }

    /// The paths of every file of the repository (a recursive tree listing); set options on
    /// the returned builder, then call [`TreeBuilder::files`].
    ///
    /// ```no_run
    /// # async fn run(api: hub_core::HfApi) -> hub_core::Result<()> {
    /// let files = api.list_repo_files(&hub_core::RepoId::new("gpt2")?).revision("main").files().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_repo_files(&self, repo_id: &RepoId) -> TreeBuilder {
        self.list_repo_tree(repo_id).recursive(true)
    }

    /// `POST /api/{type}s/{repo_id}/paths-info/{revision}` (form `paths=...&expand=...`): the
    /// entries for the given paths (missing paths are left out).
    pub fn get_paths_info<I, S>(&self, repo_id: &RepoId, paths: I) -> PathsInfoBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PathsInfoBuilder {
            api: self.clone(),
            repo_id: repo_id.clone(),
            paths: paths.into_iter().map(Into::into).collect(),
            repo_type: RepoType::Model,
            revision: None,
            expand: false,
        }
    }
}
