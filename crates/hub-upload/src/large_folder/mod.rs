//! `upload_large_folder`: a resumable, multi-worker upload in many commits.
//!
//! Every file goes through four steps — hash, get upload mode (preupload), upload LFS content,
//! commit — and the result of each step is saved next to the data, in
//! `<folder>/.cache/huggingface/upload/<path>.metadata`, in the 7-line format Python uses
//! ([`UploadMetadata`]), read and written while holding an exclusive `flock` on the empty
//! `<path>.lock` next to it ([`lock_path`]; kept afterwards, as Python keeps it), so hub-rs and
//! Python processes never see each other's half-written state. A run that is killed resumes
//! where it stopped: hashed files are not hashed again, uploaded LFS files are not uploaded again
//! (unless the upload is older than 20 h, when pre-signed uploads may have been collected),
//! committed files are skipped. Python and hub-rs can resume each other's runs.
//!
//! Workers (default `max(cpus − 2, 2)`) pick the next job with Python's priority rules: commit
//! when 150 files are ready (at most 75 regular or 150 LFS files per commit) or after 5 minutes,
//! batch preupload requests (≥ 10 files, ≤ 50 per request), keep one LFS upload and one hash
//! going, and commit what is left at the end. Transient failures (connection, 5xx, 429) are
//! retried with backoff, indefinitely as in Python; permanent ones (bad token, no access,
//! missing repository or revision) stop the upload with that error, and so do local file errors
//! that persist for 5 attempts (a file deleted or rewritten during the upload).
//!
//! Limitations (as in Python, enforced by the builder, which simply has no such settings): no
//! `path_in_repo` (arrange the folder locally), no commit message or description (many commits
//! are made), no deletions, no `create_pr` (open a PR first and pass `refs/pr/N` as revision).
//!
//! ```no_run
//! # async fn run() -> hub_core::Result<()> {
//! use std::sync::Arc;
//! use hub_core::{HubClient, RepoId, RepoType};
//! use hub_upload::UploadExt;
//! let client = HubClient::from_env()?;
//! let status = client
//!     .upload_large_folder(&RepoId::new("me/big-dataset")?, RepoType::Dataset, "/data/big")
//!     .on_report(Arc::new(|s: &hub_upload::LargeFolderStatus| eprintln!("{s}")))
//!     .send()
//!     .await?;
//! assert_eq!(status.committed_files, status.total_files);
//! # Ok(()) }
//! ```

mod metadata;
mod queue;
mod run;
mod status;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hub_core::{HubClient, NoProgress, ProgressSink, RepoId, RepoType, Result};

pub use metadata::{UploadMetadata, lock_path, metadata_path};
pub use status::{LargeFolderStatus, format_size};

/// Commit message of every commit (Python's).
pub const COMMIT_MESSAGE: &str = "Add files using upload-large-folder tool";
/// Most regular files per commit.
pub const MAX_REGULAR_PER_COMMIT: usize = 75;
/// Most LFS files per commit.
pub const MAX_LFS_PER_COMMIT: usize = 150;
/// An uploaded but uncommitted LFS file older than this is uploaded again.
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(20 * 3600);

/// Receives periodic status reports.
pub type ReportFn = Arc<dyn Fn(&LargeFolderStatus) + Send + Sync>;

/// Builder of [`crate::UploadExt::upload_large_folder`].
#[must_use = "call .send() to upload"]
pub struct UploadLargeFolder {
    client: HubClient,
    repo_id: RepoId,
    repo_type: RepoType,
    folder: PathBuf,
    revision: Option<String>,
    private: Option<bool>,
    allow: Option<Vec<String>>,
    ignore: Vec<String>,
    num_workers: Option<usize>,
    report_every: Duration,
    on_report: Option<ReportFn>,
    progress: Arc<dyn ProgressSink>,
}

impl fmt::Debug for UploadLargeFolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadLargeFolder")
            .field("repo_id", &self.repo_id)
            .field("repo_type", &self.repo_type)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl UploadLargeFolder {
    pub(crate) fn new(
        client: HubClient,
        repo_id: RepoId,
        repo_type: RepoType,
        folder: PathBuf,
    ) -> Self {
        UploadLargeFolder {
            client,
            repo_id,
            repo_type,
            folder,
            revision: None,
            private: None,
            allow: None,
            ignore: Vec::new(),
            num_workers: None,
            report_every: Duration::from_secs(60),
            on_report: None,
            progress: Arc::new(NoProgress),
        }
    }

    /// Branch or `refs/pr/N` to commit to (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Visibility if the repository is created.
    pub fn private(mut self, private: bool) -> Self {
        self.private = Some(private);
        self
    }

    /// Only files matching one of these patterns (fnmatch, relative paths).
    pub fn allow_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.allow = Some(p.into_iter().map(Into::into).collect());
        self
    }

    /// Skip files matching any of these patterns.
    pub fn ignore_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.ignore = p.into_iter().map(Into::into).collect();
        self
    }

    /// Number of workers (default `max(cpus − 2, 2)`).
    pub fn num_workers(mut self, n: usize) -> Self {
        self.num_workers = Some(n.max(1));
        self
    }

    /// How often `on_report` is called (default every minute).
    pub fn report_every(mut self, every: Duration) -> Self {
        self.report_every = every.max(Duration::from_millis(10));
        self
    }

    /// Called with a status snapshot every `report_every` (the library never prints).
    pub fn on_report(mut self, f: ReportFn) -> Self {
        self.on_report = Some(f);
        self
    }

    /// Receives progress events of LFS transfers.
    pub fn progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.progress = sink;
        self
    }

    /// Runs the upload to the end; returns the final status.
    pub fn send(self) -> BoxFuture<'static, Result<LargeFolderStatus>> {
        Box::pin(run::run(self))
    }
}
