//! [`CommitScheduler`]: commit a folder every N minutes in the background.
//!
//! Meant for append-only data (logs, user feedback): each run lists the folder, keeps the files
//! that are new or changed (size or modification time) since the last successful commit, and
//! commits them with message `Scheduled Commit`. Nothing new means no commit. Errors are logged
//! (`tracing`) and kept in [`CommitScheduler::last_error`]; the next run tries again. Each file is
//! read up to the size it had when the folder was listed, so appends during an upload go to the
//! next commit.
//!
//! The [`CommitScheduler::lock`] guard is held by the scheduler only while it lists the folder;
//! hold it while writing to make sure a run never sees half-written files.
//!
//! ```no_run
//! # async fn run() -> hub_core::Result<()> {
//! use std::time::Duration;
//! use hub_core::{HubClient, RepoId, RepoType};
//! use hub_upload::UploadExt;
//! let client = HubClient::from_env()?;
//! let scheduler = client
//!     .commit_scheduler(&RepoId::new("me/feedback")?, "feedback/")
//!     .repo_type(RepoType::Dataset)
//!     .path_in_repo("data")
//!     .every(Duration::from_secs(600))
//!     .start()
//!     .await?;
//! {
//!     let _guard = scheduler.lock().await;
//!     tokio::fs::write("feedback/data-1.json", b"{}\n").await.ok();
//! }
//! scheduler.stop().await?; // one last commit of whatever is left
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::{Duration, SystemTime};

use hub_core::fnmatch::PatternFilter;
use hub_core::{Error, HubClient, RepoId, RepoType, Result};
use tokio::sync::{Mutex, MutexGuard, Notify};

use crate::commit::{CommitInfo, CommitSettings, create_commit_impl};
use crate::folder::{DEFAULT_IGNORE_PATTERNS, folder_prefix, list_folder_blocking};
use crate::ops::CommitOperation;
use crate::remote::{self, RepoCtx};

/// Builder of a [`CommitScheduler`]; see [`crate::UploadExt::commit_scheduler`].
#[must_use = "call .start() to start the scheduler"]
#[derive(Debug)]
pub struct CommitSchedulerBuilder {
    client: HubClient,
    repo_id: RepoId,
    folder: PathBuf,
    every: Duration,
    path_in_repo: Option<String>,
    repo_type: RepoType,
    revision: Option<String>,
    private: Option<bool>,
    allow: Option<Vec<String>>,
    ignore: Vec<String>,
}

impl CommitSchedulerBuilder {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, folder: PathBuf) -> Self {
        CommitSchedulerBuilder {
            client,
            repo_id,
            folder,
            every: Duration::from_secs(5 * 60),
            path_in_repo: None,
            repo_type: RepoType::Model,
            revision: None,
            private: None,
            allow: None,
            ignore: Vec::new(),
        }
    }

    /// Time between runs (default 5 minutes, the recommended minimum on the Hub).
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every.max(Duration::from_millis(10));
        self
    }

    /// Folder in the repository (default: root).
    pub fn path_in_repo(mut self, path: impl Into<String>) -> Self {
        self.path_in_repo = Some(path.into());
        self
    }

    /// Repository type (default model).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }

    /// Branch to commit to (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Visibility of the repository if the scheduler creates it.
    pub fn private(mut self, private: bool) -> Self {
        self.private = Some(private);
        self
    }

    /// Only files matching one of these patterns (fnmatch).
    pub fn allow_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.allow = Some(p.into_iter().map(Into::into).collect());
        self
    }

    /// Skip files matching any of these patterns (fnmatch).
    pub fn ignore_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.ignore = p.into_iter().map(Into::into).collect();
        self
    }

    /// Creates the repository (if missing) and the local folder (if missing), then starts the
    /// background task. Must be called inside a tokio runtime.
    pub async fn start(self) -> Result<CommitScheduler> {
        let ctx = RepoCtx {
            client: self.client,
            repo_id: self.repo_id,
            repo_type: self.repo_type,
        };
        remote::create_repo(&ctx, self.private).await?;
        tokio::fs::create_dir_all(&self.folder)
            .await
            .map_err(|e| Error::io(format!("creating {}", self.folder.display()), e))?;
        let mut ignore = self.ignore;
        ignore.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|s| s.to_string()));
        let inner = Arc::new(Inner {
            ctx,
            settings: CommitSettings {
                repo_type: self.repo_type,
                revision: self.revision,
                ..CommitSettings::default()
            },
            folder: self.folder,
            prefix: folder_prefix(self.path_in_repo.as_deref()),
            filter: PatternFilter::new(self.allow, ignore),
            lock: Mutex::new(()),
            push: Mutex::new(()),
            last_uploaded: StdMutex::new(HashMap::new()),
            last_error: StdMutex::new(None),
        });
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run_loop(inner.clone(), self.every, stop.clone()));
        Ok(CommitScheduler { inner, stop, task })
    }
}

struct Inner {
    ctx: RepoCtx,
    settings: CommitSettings,
    folder: PathBuf,
    prefix: String,
    filter: PatternFilter,
    /// The user-visible lock, held by the scheduler while it lists the folder.
    lock: Mutex<()>,
    /// Serialises runs (timer, `trigger`, final flush).
    push: Mutex<()>,
    /// Size and mtime of each file at its last successful commit.
    last_uploaded: StdMutex<HashMap<PathBuf, (u64, Option<SystemTime>)>>,
    last_error: StdMutex<Option<String>>,
}

/// A running scheduler. Dropping it aborts the background task without a final commit; call
/// [`CommitScheduler::stop`] to flush.
#[derive(Debug)]
pub struct CommitScheduler {
    inner: Arc<Inner>,
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitScheduler")
            .field("repo_id", &self.ctx.repo_id)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl Drop for CommitScheduler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run_loop(inner: Arc<Inner>, every: Duration, stop: Arc<Notify>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.notified() => return,
        }
        if let Err(e) = push_to_hub(&inner).await {
            tracing::warn!("scheduled commit failed (will retry next time): {e}");
            *inner
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
        }
    }
}

/// One run: list changed files (under the lock), then commit them (without the lock).
async fn push_to_hub(inner: &Inner) -> Result<Option<CommitInfo>> {
    let _run = inner.push.lock().await;
    let changed = {
        let _guard = inner.lock.lock().await;
        let folder = inner.folder.clone();
        let filter = inner.filter.clone();
        let files = tokio::task::spawn_blocking(move || {
            let files = list_folder_blocking(&folder, &filter)?;
            Ok::<_, Error>(
                files
                    .into_iter()
                    .filter_map(|(rel, abs)| {
                        let md = std::fs::metadata(&abs).ok()?;
                        Some((rel, abs, md.len(), md.modified().ok()))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .map_err(|e| Error::io("listing folder", std::io::Error::other(e)))??;
        let last = inner
            .last_uploaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        files
            .into_iter()
            .filter(|(_, abs, size, mtime)| last.get(abs) != Some(&(*size, *mtime)))
            .collect::<Vec<_>>()
    };
    if changed.is_empty() {
        tracing::debug!("scheduled commit skipped: nothing changed");
        return Ok(None);
    }
    let mut ops = Vec::with_capacity(changed.len());
    for (rel, abs, _, _) in &changed {
        ops.push(CommitOperation::add_path(
            &format!("{}{rel}", inner.prefix),
            abs.clone(),
        )?);
    }
    let info = create_commit_impl(&inner.ctx, ops, "Scheduled Commit", &inner.settings).await?;
    let mut last = inner
        .last_uploaded
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    for (_, abs, size, mtime) in changed {
        last.insert(abs, (size, mtime));
    }
    *inner
        .last_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
    Ok(Some(info))
}

impl CommitScheduler {
    /// The lock to hold while writing into the folder (the scheduler holds it only while
    /// listing files, never during uploads).
    pub async fn lock(&self) -> MutexGuard<'_, ()> {
        self.inner.lock.lock().await
    }

    /// Runs now: commits new and changed files. `Ok(None)` when nothing changed.
    pub async fn trigger(&self) -> Result<Option<CommitInfo>> {
        push_to_hub(&self.inner).await
    }

    /// Stops the background task, waits for a run in progress, and makes a final commit of
    /// whatever changed since the last one.
    pub async fn stop(mut self) -> Result<Option<CommitInfo>> {
        self.stop.notify_one();
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
        push_to_hub(&self.inner).await
    }

    /// The error of the last failed run, cleared by a successful one.
    pub fn last_error(&self) -> Option<String> {
        self.inner
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The repository id.
    pub fn repo_id(&self) -> &RepoId {
        &self.inner.ctx.repo_id
    }

    /// The local folder.
    pub fn folder_path(&self) -> &std::path::Path {
        &self.inner.folder
    }
}
