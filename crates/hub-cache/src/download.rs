//! `hf_hub_download`: the [`DownloadBuilder`] and the engine that runs its plan.
//!
//! Flow in cache mode (protocol §2.6): commit-hash revision already in the snapshot → done, no
//! network; metadata HEAD (relative redirects only, see [`hub_core::api::file_metadata`]); ref
//! written; pointer or blob present → done; else lock `<etag>.lock`, transfer into
//! `<etag>.incomplete` (resumed, verified while streaming), rename into `blobs/`, link. A failed
//! HEAD falls back to the cached copy of the revision.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hub_core::{HubClient, NoProgress, ProgressSink, RepoId, RepoType};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::commit::link_pointer;
use crate::error::{Error, Result};
use crate::layout::{RepoCache, validate_repo_path, validate_revision_path};
use crate::lock::FileLock;
use crate::plan::{self, CacheDecision, CacheState, HeadFailure};
use crate::transfer::{self, TransferStats, Tuning};

/// What a download did, from [`DownloadBuilder::send_detailed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOutcome {
    /// The local file (snapshot pointer, or the file in `local_dir`).
    pub path: PathBuf,
    /// The commit the file belongs to, when known.
    pub commit: Option<String>,
    /// Transfer figures; `None` when nothing was transferred (served from disk).
    pub transfer: Option<TransferStats>,
}

/// Metadata known in advance (from a listing), so the HEAD can be skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnownFile {
    pub etag: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub repo_id: RepoId,
    pub filename: String,
    pub subfolder: Option<String>,
    pub repo_type: RepoType,
    pub revision: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub local_dir: Option<PathBuf>,
    pub force_download: bool,
    pub local_files_only: bool,
    pub etag_timeout: Option<Duration>,
    pub headers: HeaderMap,
    pub progress: Arc<dyn ProgressSink>,
    pub tuning: Tuning,
    pub known: Option<KnownFile>,
}

impl Params {
    pub(crate) fn new(repo_id: RepoId, filename: String) -> Self {
        Params {
            repo_id,
            filename,
            subfolder: None,
            repo_type: RepoType::Model,
            revision: None,
            cache_dir: None,
            local_dir: None,
            force_download: false,
            local_files_only: false,
            etag_timeout: None,
            headers: HeaderMap::new(),
            progress: Arc::new(NoProgress),
            tuning: Tuning::default(),
            known: None,
        }
    }
}

/// Downloads of files and snapshots on a [`HubClient`].
pub trait CacheExt {
    /// Starts a download of one file (Python's `hf_hub_download`). Finish with `.send()`.
    ///
    /// ```no_run
    /// # async fn run() -> hub_cache::Result<()> {
    /// use hub_cache::CacheExt;
    /// use hub_core::{HubClient, RepoId};
    /// let client = HubClient::from_env()?;
    /// let path = client
    ///     .download(&RepoId::new("openai-community/gpt2")?, "config.json")
    ///     .revision("main")
    ///     .send()
    ///     .await?;
    /// println!("{}", path.display());
    /// # Ok(()) }
    /// ```
    fn download(&self, repo_id: &RepoId, filename: &str) -> DownloadBuilder;

    /// Starts a download of a whole repository revision (Python's `snapshot_download`).
    ///
    /// ```no_run
    /// # async fn run() -> hub_cache::Result<()> {
    /// use hub_cache::CacheExt;
    /// use hub_core::{HubClient, RepoId};
    /// let client = HubClient::from_env()?;
    /// let dir = client
    ///     .snapshot_download(&RepoId::new("openai-community/gpt2")?)
    ///     .allow_patterns(["*.json", "tokenizer/"])
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    fn snapshot_download(&self, repo_id: &RepoId) -> crate::snapshot::SnapshotBuilder;
}

impl CacheExt for HubClient {
    fn download(&self, repo_id: &RepoId, filename: &str) -> DownloadBuilder {
        DownloadBuilder {
            client: self.clone(),
            params: Params::new(repo_id.clone(), filename.to_owned()),
            error: None,
        }
    }

    fn snapshot_download(&self, repo_id: &RepoId) -> crate::snapshot::SnapshotBuilder {
        crate::snapshot::SnapshotBuilder::new(self.clone(), repo_id.clone())
    }
}

/// Builder of one file download. Every setter documents its default; finish with
/// [`DownloadBuilder::send`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct DownloadBuilder {
    client: HubClient,
    params: Params,
    error: Option<String>,
}

impl DownloadBuilder {
    /// Branch, tag, `refs/pr/N` or 40-hex commit (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.params.revision = Some(revision.into());
        self
    }
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.params.repo_type = repo_type;
        self
    }
    /// Folder of the file inside the repository (joined as `subfolder/filename`).
    pub fn subfolder(mut self, subfolder: impl Into<String>) -> Self {
        self.params.subfolder = Some(subfolder.into());
        self
    }
    /// Cache directory (default `HF_HUB_CACHE` from the client's config).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.params.cache_dir = Some(dir.into());
        self
    }
    /// Download into this folder instead of the cache, keeping the repository layout
    /// (metadata under `<local_dir>/.cache/huggingface/`). Default: cache mode.
    pub fn local_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.params.local_dir = Some(dir.into());
        self
    }
    /// Download again even if cached (default false).
    pub fn force_download(mut self, force: bool) -> Self {
        self.params.force_download = force;
        self
    }
    /// Never use the network; fail with `LocalEntryNotFound` if not cached (default false).
    pub fn local_files_only(mut self, local_only: bool) -> Self {
        self.params.local_files_only = local_only;
        self
    }
    /// Timeout of the metadata request (default `HF_HUB_ETAG_TIMEOUT`, 10 s).
    pub fn etag_timeout(mut self, timeout: Duration) -> Self {
        self.params.etag_timeout = Some(timeout);
        self
    }
    /// Extra headers sent with the file GETs (not with the metadata HEAD, which
    /// `hub_core::api::metadata::probe_file` sends with the client's own headers). Invalid names or
    /// values fail at `send`.
    pub fn headers<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in headers {
            match (
                HeaderName::from_bytes(k.as_ref().as_bytes()),
                HeaderValue::from_str(v.as_ref()),
            ) {
                (Ok(n), Ok(v)) => {
                    self.params.headers.insert(n, v);
                }
                _ => {
                    self.error
                        .get_or_insert_with(|| format!("invalid header {:?}", k.as_ref()));
                }
            }
        }
        self
    }
    /// Where progress events go (default: nowhere).
    pub fn progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.params.progress = sink;
        self
    }
    /// Transfer tuning: parallel connections, chunk size (default [`Tuning::default`]).
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.params.tuning = tuning;
        self
    }

    /// Downloads (or finds) the file and returns its local path.
    pub fn send(self) -> BoxFuture<'static, Result<PathBuf>> {
        Box::pin(async move { self.send_detailed().await.map(|o| o.path) })
    }

    /// As [`Self::send`], with what was done (commit, bytes resumed and received).
    pub fn send_detailed(self) -> BoxFuture<'static, Result<DownloadOutcome>> {
        Box::pin(async move {
            if let Some(e) = self.error {
                return Err(hub_core::Error::invalid_argument(e));
            }
            run(&self.client, &self.params).await
        })
    }
}

/// Runs one download with `params` (cache or local_dir mode).
pub(crate) async fn run(client: &HubClient, p: &Params) -> Result<DownloadOutcome> {
    let filename = hub_core::urls::join_subfolder(p.subfolder.as_deref(), &p.filename);
    validate_repo_path(&filename)?;
    let revision = p
        .revision
        .clone()
        .unwrap_or_else(|| hub_core::config::DEFAULT_REVISION.to_owned());
    validate_revision_path(&revision)?;
    let cache_dir = p
        .cache_dir
        .clone()
        .unwrap_or_else(|| client.config().hub_cache.clone());
    let repo = RepoCache::new(cache_dir, &p.repo_id, p.repo_type);
    match &p.local_dir {
        Some(dir) => crate::local_dir::run(client, p, &repo, dir, &filename, &revision).await,
        None => run_cache(client, p, &repo, &filename, &revision).await,
    }
}

/// The metadata needed to download: from a HEAD, or known from a listing.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub commit: String,
    pub etag: String,
    pub size: u64,
    pub url: String,
    pub send_auth: bool,
}

/// The metadata step: HEAD the resolve URL (or use what the listing said). Writes the
/// `.no_exist` marker and the ref on `EntryNotFound`.
pub(crate) async fn resolve(
    client: &HubClient,
    p: &Params,
    repo: &RepoCache,
    filename: &str,
    revision: &str,
) -> std::result::Result<Resolved, hub_core::Error> {
    if p.local_files_only {
        return Err(hub_core::Error::OfflineModeIsEnabled(format!(
            "Cannot access file since 'local_files_only=True' as been set. (repo_id: {}, repo_type: {}, revision: {revision}, filename: {filename})",
            p.repo_id, p.repo_type
        )));
    }
    let url = hub_core::urls::hf_hub_url(
        client.endpoint(),
        &p.repo_id,
        filename,
        p.repo_type,
        revision,
    );
    if let Some(known) = &p.known
        && hub_core::repo::is_commit_hash(revision)
    {
        client.ensure_online(&url)?;
        return Ok(Resolved {
            commit: revision.to_owned(),
            etag: known.etag.clone(),
            size: known.size,
            url,
            send_auth: true,
        });
    }
    match hub_core::api::metadata::probe_file(client, &url, p.etag_timeout).await? {
        hub_core::api::metadata::FileProbe::Found(meta) => {
            let send_auth = same_host(&url, &meta.location);
            Ok(Resolved {
                commit: meta.commit_hash,
                etag: meta.etag,
                size: meta.size,
                url: meta.location,
                send_auth,
            })
        }
        hub_core::api::metadata::FileProbe::EntryNotFound { commit_hash, error } => {
            if let Some(commit) = commit_hash
                && validate_repo_path(&commit).is_ok()
                && !commit.contains('/')
            {
                // Cache the non-existence, as Python does; failures here are not fatal.
                let marker = repo.no_exist_path(&commit, filename);
                if let Some(parent) = marker.parent() {
                    let _ = tokio::fs::create_dir_all(parent).await;
                }
                let _ = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&marker)
                    .await;
                let _ = crate::refs::write_ref(repo, revision, &commit).await;
            }
            Err(error)
        }
    }
}

fn same_host(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// Etags and commits become file names: refuse anything that is not one plain component.
pub(crate) fn check_server_names(r: &Resolved) -> Result<()> {
    for name in [&r.etag, &r.commit] {
        validate_repo_path(name)?;
        if name.contains('/') {
            return Err(Error::UnsafePath {
                path: name.clone(),
                reason: "separator in etag or commit",
            });
        }
    }
    Ok(())
}

async fn exists(path: &std::path::Path) -> bool {
    tokio::fs::metadata(path).await.is_ok()
}

async fn run_cache(
    client: &HubClient,
    p: &Params,
    repo: &RepoCache,
    filename: &str,
    revision: &str,
) -> Result<DownloadOutcome> {
    let is_commit = hub_core::repo::is_commit_hash(revision);
    if is_commit && !p.force_download {
        let pointer = repo.pointer_path(revision, filename);
        if exists(&pointer).await {
            return Ok(DownloadOutcome {
                path: pointer,
                commit: Some(revision.to_owned()),
                transfer: None,
            });
        }
    }
    let resolved = match resolve(client, p, repo, filename, revision).await {
        Ok(r) => r,
        Err(err) => {
            if plan::classify_head_error(&err) == HeadFailure::Raise {
                return Err(err);
            }
            if !p.force_download {
                let commit = if is_commit {
                    Some(revision.to_owned())
                } else {
                    crate::refs::read_ref(repo, revision).await
                };
                if let Some(commit) = commit {
                    let pointer = repo.pointer_path(&commit, filename);
                    if validate_repo_path(&commit).is_ok() && exists(&pointer).await {
                        return Ok(DownloadOutcome {
                            path: pointer,
                            commit: Some(commit),
                            transfer: None,
                        });
                    }
                }
            }
            let what = format!("{} {filename} at {revision}", p.repo_id);
            return Err(plan::error_after_head_failure(
                err,
                p.force_download,
                p.local_files_only,
                &what,
            ));
        }
    };
    check_server_names(&resolved)?;
    crate::refs::write_ref(repo, revision, &resolved.commit).await?;
    let pointer = repo.pointer_path(&resolved.commit, filename);
    let blob = repo.blob_path(&resolved.etag);
    // One hand-off for both checks and, when a download is needed and nobody else holds it,
    // the lock with its re-check of the blob: the common case of a snapshot's small files.
    let (state, locked) = {
        let (p1, b1, lock_path) = (
            pointer.clone(),
            blob.clone(),
            repo.lock_path(&resolved.etag),
        );
        let force = p.force_download;
        tokio::task::spawn_blocking(move || {
            let state = CacheState {
                pointer_exists: p1.exists(),
                blob_exists: b1.exists(),
            };
            let locked = match plan::decide_cache(force, state) {
                CacheDecision::Download => {
                    FileLock::try_acquire_and_check_blocking(lock_path, &b1).map(Some)
                }
                _ => Ok(None),
            };
            (state, locked)
        })
        .await
        .map_err(|e| Error::io("cache check task", std::io::Error::other(e)))?
    };
    let locked = locked.map_err(|e| Error::io("taking the download lock", e))?;
    let outcome = |transfer| DownloadOutcome {
        path: pointer.clone(),
        commit: Some(resolved.commit.clone()),
        transfer,
    };
    match plan::decide_cache(p.force_download, state) {
        CacheDecision::UsePointer => return Ok(outcome(None)),
        CacheDecision::LinkBlob => {
            link_pointer(&pointer, filename, &blob, &resolved.etag).await?;
            return Ok(outcome(None));
        }
        CacheDecision::Download => {}
    }
    // Another process may have finished the blob while we waited for the lock.
    let (_lock, blob_now) = match locked.flatten() {
        Some(held) => held,
        None => FileLock::acquire_and_check(repo.lock_path(&resolved.etag), &blob)
            .await
            .map_err(|e| Error::io("taking the download lock", e))?,
    };
    if !p.force_download && blob_now {
        link_pointer(&pointer, filename, &blob, &resolved.etag).await?;
        return Ok(outcome(None));
    }
    let incomplete = repo.incomplete_path(&resolved.etag);
    let stats = transfer::download(
        client,
        transfer::Job {
            url: resolved.url.clone(),
            send_auth: resolved.send_auth,
            headers: p.headers.clone(),
            size: resolved.size,
            etag: resolved.etag.clone(),
            incomplete: incomplete.clone(),
            file: filename.to_owned(),
            progress: p.progress.clone(),
            tuning: p.tuning.clone(),
            restart: p.force_download,
        },
        crate::commit::Finish::Cache {
            blob: blob.clone(),
            pointer: pointer.clone(),
            repo_path: filename.to_owned(),
            etag: resolved.etag.clone(),
        },
    )
    .await?;
    Ok(outcome(Some(stats)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_comparison() {
        assert!(same_host("http://127.0.0.1:5/a", "http://127.0.0.1:5/b?x"));
        assert!(!same_host("http://127.0.0.1:5/a", "http://localhost:5/a"));
        assert!(!same_host("http://127.0.0.1:5/a", "http://127.0.0.1:6/a"));
        assert!(same_host("https://h/a", "https://h:443/b"));
    }

    #[test]
    fn server_names_checked() {
        let r = |etag: &str, commit: &str| Resolved {
            commit: commit.into(),
            etag: etag.into(),
            size: 1,
            url: String::new(),
            send_auth: false,
        };
        assert!(check_server_names(&r("abc", "def")).is_ok());
        assert!(check_server_names(&r("../x", "def")).is_err());
        assert!(check_server_names(&r("a/b", "def")).is_err());
        assert!(check_server_names(&r("abc", "..")).is_err());
    }
}
