//! `snapshot_download`: one listing call, pattern filtering, concurrent file downloads.
//!
//! The listing is `GET /api/{type}s/{repo}/revision/{rev}?blobs=True` (Python 0.26's call, plus
//! `blobs` so each sibling carries its blob id / LFS sha256 and size). Files are then fetched at
//! the resolved commit by up to `max_workers` concurrent tasks. When the listing already gives a
//! file's etag and size, its HEAD is skipped: the content is verified against that etag anyway.
//!
//! Large files (those that use parallel ranges) run at most [`large_file_limit`] at a time:
//! each one already adapts its own connections, and every large transfer keeps a hashing
//! thread busy and holds its write and reorder buffers, so more of them than there are cores
//! only adds memory and context switches (8 × 128 MiB shards on 2 cores: the limit cut peak
//! memory and time; see `docs/benchmarks.md`). Small files keep all `max_workers` slots.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use hub_core::{HubClient, ProgressSink, RepoId, RepoType};
use serde::Deserialize;

use crate::download::{KnownFile, Params};
use crate::error::{Error, Result};
use crate::layout::{RepoCache, validate_repo_path, validate_revision_path};
use crate::transfer::Tuning;

#[derive(Debug, Deserialize)]
struct RepoInfo {
    sha: Option<String>,
    siblings: Option<Vec<Sibling>>,
}

#[derive(Debug, Deserialize)]
struct Sibling {
    rfilename: String,
    size: Option<u64>,
    #[serde(rename = "blobId")]
    blob_id: Option<String>,
    lfs: Option<Lfs>,
}

#[derive(Debug, Deserialize)]
struct Lfs {
    sha256: Option<String>,
    size: Option<u64>,
}

impl Sibling {
    fn known(&self) -> Option<KnownFile> {
        match &self.lfs {
            Some(lfs) => Some(KnownFile {
                etag: lfs.sha256.clone()?,
                size: lfs.size.or(self.size)?,
            }),
            None => Some(KnownFile {
                etag: self.blob_id.clone()?,
                size: self.size?,
            }),
        }
    }
}

/// Builder of a snapshot download. Finish with [`SnapshotBuilder::send`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct SnapshotBuilder {
    client: HubClient,
    params: Params,
    allow: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    max_workers: usize,
}

impl SnapshotBuilder {
    pub(crate) fn new(client: HubClient, repo_id: RepoId) -> Self {
        SnapshotBuilder {
            client,
            params: Params::new(repo_id, String::new()),
            allow: None,
            ignore: None,
            max_workers: 8,
        }
    }
    /// Branch, tag, `refs/pr/N` or commit (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.params.revision = Some(revision.into());
        self
    }
    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.params.repo_type = repo_type;
        self
    }
    /// Cache directory (default `HF_HUB_CACHE`).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.params.cache_dir = Some(dir.into());
        self
    }
    /// Download into this folder instead of the cache (default: cache mode).
    pub fn local_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.params.local_dir = Some(dir.into());
        self
    }
    /// Keep only files matching one of these fnmatch patterns (default: all). A pattern ending
    /// with `/` matches everything below that folder.
    pub fn allow_patterns<S: Into<String>>(
        mut self,
        patterns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allow = Some(patterns.into_iter().map(Into::into).collect());
        self
    }
    /// Drop files matching one of these fnmatch patterns (default: none).
    pub fn ignore_patterns<S: Into<String>>(
        mut self,
        patterns: impl IntoIterator<Item = S>,
    ) -> Self {
        self.ignore = Some(patterns.into_iter().map(Into::into).collect());
        self
    }
    /// Concurrent file downloads (default 8).
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = n.max(1);
        self
    }
    /// Download every file again (default false).
    pub fn force_download(mut self, force: bool) -> Self {
        self.params.force_download = force;
        self
    }
    /// Never use the network (default false).
    pub fn local_files_only(mut self, local_only: bool) -> Self {
        self.params.local_files_only = local_only;
        self
    }
    /// Timeout of each metadata request (default `HF_HUB_ETAG_TIMEOUT`).
    pub fn etag_timeout(mut self, timeout: Duration) -> Self {
        self.params.etag_timeout = Some(timeout);
        self
    }
    /// Where progress events go (default: nowhere).
    pub fn progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.params.progress = sink;
        self
    }
    /// Transfer tuning for each file.
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.params.tuning = tuning;
        self
    }

    /// Downloads the snapshot; returns the snapshot folder (or the local directory).
    /// Fails with [`Error::Snapshot`] naming every file that failed.
    pub fn send(self) -> BoxFuture<'static, Result<PathBuf>> {
        Box::pin(run(self))
    }
}

async fn run(b: SnapshotBuilder) -> Result<PathBuf> {
    let client = &b.client;
    let p = &b.params;
    let revision = p
        .revision
        .clone()
        .unwrap_or_else(|| hub_core::config::DEFAULT_REVISION.to_owned());
    validate_revision_path(&revision)?;
    let cache_dir = p
        .cache_dir
        .clone()
        .unwrap_or_else(|| client.config().hub_cache.clone());
    let repo = RepoCache::new(&cache_dir, &p.repo_id, p.repo_type);

    let info = if p.local_files_only {
        Err(hub_core::Error::OfflineModeIsEnabled(
            "local_files_only=True".into(),
        ))
    } else {
        let url = format!(
            "{}/revision/{}",
            hub_core::urls::api_repo_url(client.endpoint(), p.repo_type, &p.repo_id),
            hub_core::urls::quote_segment(&revision)
        );
        list_with_retries(client, &url).await
    };
    let info = match info {
        Ok(info) => info,
        Err(err) => return offline_fallback(&b, &repo, &revision, err).await,
    };
    let (Some(commit), Some(siblings)) = (info.sha, info.siblings) else {
        return Err(hub_core::Error::decode(
            client.endpoint(),
            "repository info without `sha` or `siblings`",
        ));
    };
    validate_repo_path(&commit)?;
    if commit.contains('/') {
        return Err(Error::UnsafePath {
            path: commit,
            reason: "separator in commit",
        });
    }
    let names: Vec<&str> = siblings.iter().map(|s| s.rfilename.as_str()).collect();
    let kept: std::collections::HashSet<&str> =
        crate::fnmatch::filter_paths(names, b.allow.as_deref(), b.ignore.as_deref())
            .into_iter()
            .collect();
    let selected: Vec<&Sibling> = siblings
        .iter()
        .filter(|s| kept.contains(s.rfilename.as_str()))
        .collect();
    crate::refs::write_ref(&repo, &revision, &commit).await?;

    let total = selected.len();
    let large_slots = Arc::new(tokio::sync::Semaphore::new(large_file_limit(b.max_workers)));
    let jobs: Vec<(Params, bool)> = selected
        .into_iter()
        .map(|s| {
            let large = s
                .known()
                .is_none_or(|k| k.size >= p.tuning.parallel_threshold);
            let mut fp = p.clone();
            fp.filename = s.rfilename.clone();
            fp.revision = Some(commit.clone());
            // Skip the HEAD only for files small enough not to use parallel ranges, which would
            // each pay the redirect.
            fp.known = s.known().filter(|k| k.size < fp.tuning.parallel_threshold);
            (fp, large)
        })
        .collect();
    let results: Vec<(String, Result<()>)> =
        futures::stream::iter(jobs.into_iter().map(|(fp, large)| {
            let client = client.clone();
            let name = fp.filename.clone();
            let large_slots = large_slots.clone();
            async move {
                // Held for the whole file; the semaphore is never closed.
                let _slot = match large {
                    true => large_slots.acquire_owned().await.ok(),
                    false => None,
                };
                let r = match validate_repo_path(&name) {
                    // Each file runs as its own task, on the runtime's worker threads.
                    Ok(()) => crate::task::on_worker(async move {
                        crate::download::run(&client, &fp).await.map(|_| ())
                    })
                    .await
                    .and_then(|r| r),
                    Err(e) => Err(e),
                };
                (name, r)
            }
        }))
        .buffer_unordered(b.max_workers)
        .collect()
        .await;
    let mut failures: Vec<(String, Error)> = results
        .into_iter()
        .filter_map(|(n, r)| r.err().map(|e| (n, e)))
        .collect();
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(Error::Snapshot { failures, total });
    }
    match &p.local_dir {
        Some(dir) => Ok(tokio::fs::canonicalize(dir)
            .await
            .unwrap_or_else(|_| dir.clone())),
        None => Ok(repo.snapshot_dir(&commit)),
    }
}

/// How many large files a snapshot transfers at once: one per core (at least two, so a slow
/// file does not hold the others back), never more than `max_workers`.
fn large_file_limit(max_workers: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    cores.max(2).min(max_workers.max(1))
}

/// The listing, through the client's retry policy: statuses and bodies cut mid-way are
/// retried, but a connection that cannot be made is not, so the caller falls back to the cache
/// at once, as Python does.
async fn list_with_retries(client: &HubClient, url: &str) -> hub_core::Result<RepoInfo> {
    let rb = client
        .request(reqwest::Method::GET, url)
        .query(&[("blobs", "True")]);
    let options = hub_core::SendOptions::new().no_transport_retry();
    client.send_json(rb, options).await
}

async fn offline_fallback(
    b: &SnapshotBuilder,
    repo: &RepoCache,
    revision: &str,
    err: hub_core::Error,
) -> Result<PathBuf> {
    if matches!(
        err,
        hub_core::Error::RevisionNotFound(_) | hub_core::Error::InvalidArgument(_)
    ) {
        return Err(err);
    }
    let commit = if hub_core::repo::is_commit_hash(revision) {
        Some(revision.to_owned())
    } else {
        crate::refs::read_ref(repo, revision).await
    };
    if let Some(commit) = commit
        && validate_repo_path(&commit).is_ok()
    {
        let dir = repo.snapshot_dir(&commit);
        if tokio::fs::metadata(&dir).await.is_ok() {
            return Ok(dir);
        }
    }
    if let Some(local) = &b.params.local_dir
        && let Ok(mut rd) = tokio::fs::read_dir(local).await
        && rd.next_entry().await.ok().flatten().is_some()
    {
        return Ok(tokio::fs::canonicalize(local)
            .await
            .unwrap_or_else(|_| local.clone()));
    }
    let msg = if b.params.local_files_only {
        "Cannot find an appropriate cached snapshot folder for the specified revision on the local disk and outgoing traffic has been disabled. To enable repo look-ups and downloads online, pass 'local_files_only=False' as input.".to_owned()
    } else if matches!(err, hub_core::Error::OfflineModeIsEnabled(_)) {
        "Cannot find an appropriate cached snapshot folder for the specified revision on the local disk and outgoing traffic has been disabled. To enable repo look-ups and downloads online, set 'HF_HUB_OFFLINE=0' as environment variable.".to_owned()
    } else if matches!(
        err,
        hub_core::Error::RepositoryNotFound(_) | hub_core::Error::GatedRepo(_)
    ) {
        return Err(err);
    } else {
        format!(
            "An error happened while trying to locate the files on the Hub and we cannot find the appropriate snapshot folder for the specified revision on the local disk. Please check your internet connection and try again. (cause: {err})"
        )
    };
    Err(hub_core::Error::LocalEntryNotFound(msg))
}
