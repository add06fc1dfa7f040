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

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use hub_core::file_lock::FileLock;
use hub_core::fnmatch::PatternFilter;
use hub_core::{Error, HubClient, NoProgress, ProgressSink, RepoId, RepoType, Result};
use tokio::sync::Notify;

use crate::commit::{CommitSettings, GIT_SHA1_INLINE_LIMIT, finish_commit};
use crate::folder::{DEFAULT_IGNORE_PATTERNS, list_folder_blocking};
use crate::hash::{SAMPLE_SIZE, hash_file};
use crate::lfs::{LfsJob, upload_lfs};
use crate::ops::{CommitOperation, CommitOperationAdd, Content, Source, UploadInfo, UploadMode};
use crate::preupload::fetch_upload_modes;
use crate::remote::{self, RepoCtx};

/// Commit message of every commit (Python's).
pub const COMMIT_MESSAGE: &str = "Add files using upload-large-folder tool";
/// Most regular files per commit.
pub const MAX_REGULAR_PER_COMMIT: usize = 75;
/// Most LFS files per commit.
pub const MAX_LFS_PER_COMMIT: usize = 150;
/// An uploaded but uncommitted LFS file older than this is uploaded again.
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(20 * 3600);

// ------------------------------------------------------------------------------------------
// Metadata files

/// The state of one file, as saved in `.cache/huggingface/upload/<path>.metadata`.
///
/// The file has exactly 7 lines: timestamp (float seconds), size, should-ignore (`0`/`1`/empty),
/// sha256 (hex or empty), upload mode (`lfs`/`regular`/empty), is-uploaded (`0`/`1`),
/// is-committed (`0`/`1`).
///
/// ```
/// use hub_upload::large_folder::UploadMetadata;
/// let m = UploadMetadata::parse("1700000000.5\n12\n\nabc\nlfs\n1\n0\n")?;
/// assert_eq!(m.size, 12);
/// assert_eq!(m.render(1700000000.5), "1700000000.5\n12\n\nabc\nlfs\n1\n0\n");
/// # Ok::<(), hub_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UploadMetadata {
    /// When the metadata was saved (unix seconds); `None` for fresh state.
    pub timestamp: Option<f64>,
    /// File size in bytes.
    pub size: u64,
    /// Whether the server ignores the file (`None`: not asked yet).
    pub should_ignore: Option<bool>,
    /// sha256 hex, once hashed.
    pub sha256: Option<String>,
    /// Upload mode, once asked.
    pub upload_mode: Option<UploadMode>,
    /// Whether the LFS content is uploaded.
    pub is_uploaded: bool,
    /// Whether the file is committed.
    pub is_committed: bool,
}

impl UploadMetadata {
    /// Fresh state of a file of `size` bytes.
    pub fn new(size: u64) -> Self {
        UploadMetadata {
            timestamp: None,
            size,
            should_ignore: None,
            sha256: None,
            upload_mode: None,
            is_uploaded: false,
            is_committed: false,
        }
    }

    /// Parses the 7-line format.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |what: &str| Error::Corrupted(format!("invalid upload metadata: {what}"));
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        if lines.len() < 7 {
            return Err(bad("fewer than 7 lines"));
        }
        let flag = |s: &str| match s {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(bad("flag is not 0 or 1")),
        };
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(UploadMetadata {
            timestamp: Some(lines[0].parse::<f64>().map_err(|_| bad("timestamp"))?),
            size: lines[1].parse::<u64>().map_err(|_| bad("size"))?,
            should_ignore: if lines[2].is_empty() {
                None
            } else {
                Some(flag(lines[2])?)
            },
            sha256: opt(lines[3]),
            upload_mode: match lines[4] {
                "" => None,
                "lfs" => Some(UploadMode::Lfs),
                "regular" => Some(UploadMode::Regular),
                _ => return Err(bad("upload mode")),
            },
            is_uploaded: flag(lines[5])?,
            is_committed: flag(lines[6])?,
        })
    }

    /// Renders the 7-line format with `timestamp`.
    pub fn render(&self, timestamp: f64) -> String {
        let b = |v: bool| if v { "1" } else { "0" };
        format!(
            "{timestamp}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.size,
            self.should_ignore.map(b).unwrap_or(""),
            self.sha256.as_deref().unwrap_or(""),
            self.upload_mode.map(UploadMode::as_str).unwrap_or(""),
            b(self.is_uploaded),
            b(self.is_committed),
        )
    }
}

/// `<folder>/.cache/huggingface/upload/<rel><suffix>`.
fn upload_state_path(folder: &Path, rel: &str, suffix: &str) -> PathBuf {
    let mut p = folder.join(".cache").join("huggingface").join("upload");
    for part in rel.split('/') {
        p.push(part);
    }
    let mut name = p.into_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `<folder>/.cache/huggingface/upload/<rel>.metadata`.
pub fn metadata_path(folder: &Path, rel: &str) -> PathBuf {
    upload_state_path(folder, rel, ".metadata")
}

/// `<folder>/.cache/huggingface/upload/<rel>.lock`: the lock file held (`flock`, exclusive)
/// while the metadata of `rel` is read or written.
///
/// Python's `get_local_upload_paths` derives it with `metadata_path.with_suffix(".lock")`, which
/// replaces the final `.metadata`: `sub/a.bin` → `sub/a.bin.lock`. The file is empty and stays
/// behind after the upload (filelock never deletes it on POSIX), as with Python.
pub fn lock_path(folder: &Path, rel: &str) -> PathBuf {
    upload_state_path(folder, rel, ".lock")
}

/// Holds the metadata lock of `rel` (blocking; called off the executor only). Within one run a
/// file's metadata is only touched by the one worker that holds its item, and never with another
/// lock held, so waiting here only ever waits for another process (Python or hub-rs).
fn lock_metadata(folder: &Path, rel: &str) -> Result<FileLock> {
    let path = lock_path(folder, rel);
    FileLock::acquire_blocking(&path)
        .map_err(|e| Error::io(format!("locking {}", path.display()), e))
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Whether metadata saved at `timestamp` says "uploaded, not committed" for longer than
/// [`UPLOAD_EXPIRY`] at `now` (unix seconds): the pre-signed upload may have been collected, so
/// the content must be uploaded again (Python's 20-hour rule in `read_upload_metadata`).
fn upload_expired(m: &UploadMetadata, now: f64) -> bool {
    let ts = m.timestamp.unwrap_or(0.0);
    m.is_uploaded && !m.is_committed && now - ts > UPLOAD_EXPIRY.as_secs_f64()
}

/// Reads the saved state of `rel`, as Python does: under the lock of `<rel>.lock` (created, with
/// its directories, if missing), unreadable metadata is deleted; metadata older than the file's
/// mtime is ignored; an upload older than 20 h is forgotten.
fn read_metadata(folder: &Path, rel: &str, abs: &Path) -> Result<UploadMetadata> {
    let _lock = lock_metadata(folder, rel)?;
    let file_md =
        std::fs::metadata(abs).map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    let path = metadata_path(folder, rel);
    if let Ok(text) = std::fs::read_to_string(&path) {
        match UploadMetadata::parse(&text) {
            Ok(mut m) => {
                let ts = m.timestamp.unwrap_or(0.0);
                if upload_expired(&m, unix_now()) {
                    tracing::info!("upload of '{rel}' is older than 20 h; will upload it again");
                    m.is_uploaded = false;
                }
                let mtime = file_md
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(f64::MAX);
                if mtime <= ts && m.size == file_md.len() {
                    return Ok(m);
                }
                tracing::info!("ignored metadata for '{rel}' (outdated); will hash again");
            }
            Err(e) => {
                tracing::warn!("invalid metadata for '{rel}' ({e}); removing it");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(UploadMetadata::new(file_md.len()))
}

/// Saves `m` under the lock of `<rel>.lock`, as Python's `LocalUploadFileMetadata.save` does, and
/// atomically (temp file + rename), so a kill never leaves a torn file.
fn save_metadata(folder: &Path, rel: &str, m: &mut UploadMetadata) -> Result<()> {
    let path = metadata_path(folder, rel);
    let ctx = || format!("writing {}", path.display());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(ctx(), e))?;
    }
    let _lock = lock_metadata(folder, rel)?;
    let ts = unix_now();
    let tmp = {
        let mut n = path.clone().into_os_string();
        n.push(format!(".{}.tmp", std::process::id()));
        PathBuf::from(n)
    };
    std::fs::write(&tmp, m.render(ts)).map_err(|e| Error::io(ctx(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(ctx(), e))?;
    m.timestamp = Some(ts);
    Ok(())
}

/// Creates `.cache/huggingface/.gitignore` (`*`), so git users never commit the state. As in
/// Python's `_huggingface_dir`, it is written under the lock of `.gitignore.lock`, which is then
/// deleted (unlike the per-file `.lock` files, which stay).
fn ensure_cache_gitignore(folder: &Path) -> Result<()> {
    let dir = folder.join(".cache").join("huggingface");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let gi = dir.join(".gitignore");
    if !gi.exists() {
        let lock_file = dir.join(".gitignore.lock");
        let lock = FileLock::acquire_blocking(&lock_file)
            .map_err(|e| Error::io(format!("locking {}", lock_file.display()), e))?;
        std::fs::write(&gi, "*").map_err(|e| Error::io(format!("writing {}", gi.display()), e))?;
        drop(lock);
        // Python ignores a failure here too (another process may have removed it already).
        let _ = std::fs::remove_file(&lock_file);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Status report

/// A snapshot of a large upload; `Display` renders the report of the Python tool.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeFolderStatus {
    /// Local time of the snapshot.
    pub now: chrono::DateTime<chrono::Local>,
    /// Time since the upload started.
    pub elapsed: Duration,
    /// Files to upload (ignored files excluded).
    pub total_files: usize,
    /// Their total size.
    pub total_size: u64,
    /// Files hashed.
    pub hashed_files: usize,
    /// Bytes hashed.
    pub hashed_size: u64,
    /// Files the server wants through LFS.
    pub lfs_files: usize,
    /// Files whose upload mode is not known yet.
    pub unsure_files: usize,
    /// LFS files uploaded.
    pub preuploaded_files: usize,
    /// Bytes of LFS files uploaded.
    pub preuploaded_size: u64,
    /// Files committed.
    pub committed_files: usize,
    /// Bytes committed.
    pub committed_size: u64,
    /// Files the server ignores (`.gitignore`).
    pub ignored_files: usize,
    /// Workers hashing.
    pub workers_hashing: usize,
    /// Workers asking upload modes.
    pub workers_get_upload_mode: usize,
    /// Workers uploading LFS content.
    pub workers_preuploading: usize,
    /// Workers committing.
    pub workers_committing: usize,
    /// Idle workers.
    pub workers_waiting: usize,
    /// Files hashed by this run (not recovered from metadata).
    pub hashed_this_run: usize,
    /// LFS files uploaded by this run.
    pub uploaded_this_run: usize,
    /// Commits made by this run.
    pub commits_this_run: usize,
}

/// Python's `_format_size` (re-exported from hub-core).
pub use hub_core::units::format_size;

/// Python's `str(timedelta)` without the fraction: `H:MM:SS`, with `N day(s), ` in front.
fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    let (days, rem) = (s / 86400, s % 86400);
    let hms = format!("{}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        n => format!("{n} days, {hms}"),
    }
}

impl fmt::Display for LargeFolderStatus {
    /// The three report lines framed by dashes (Python starts with an extra empty line; print
    /// one before if you want the same spacing).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = format_size(self.total_size);
        writeln!(
            f,
            "{} {} ({}) {}",
            "-".repeat(10),
            self.now.format("%Y-%m-%d %H:%M:%S"),
            format_elapsed(self.elapsed),
            "-".repeat(10)
        )?;
        write!(
            f,
            "Files:   hashed {}/{} ({}/{total}) | pre-uploaded: {}/{} ({}/{total})",
            self.hashed_files,
            self.total_files,
            format_size(self.hashed_size),
            self.preuploaded_files,
            self.lfs_files,
            format_size(self.preuploaded_size),
        )?;
        if self.unsure_files > 0 {
            write!(f, " (+{} unsure)", self.unsure_files)?;
        }
        writeln!(
            f,
            " | committed: {}/{} ({}/{total}) | ignored: {}",
            self.committed_files,
            self.total_files,
            format_size(self.committed_size),
            self.ignored_files
        )?;
        writeln!(
            f,
            "Workers: hashing: {} | get upload mode: {} | pre-uploading: {} | committing: {} | waiting: {}",
            self.workers_hashing,
            self.workers_get_upload_mode,
            self.workers_preuploading,
            self.workers_committing,
            self.workers_waiting
        )?;
        f.write_str(&"-".repeat(51))
    }
}

// ------------------------------------------------------------------------------------------
// Builder

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
        Box::pin(run(self))
    }
}

// ------------------------------------------------------------------------------------------
// Engine

#[derive(Debug)]
struct Item {
    rel: String,
    abs: PathBuf,
    meta: UploadMetadata,
    sample: Option<Vec<u8>>,
    git_sha1: Option<String>,
    remote_oid: Option<String>,
    failures: u32,
}

#[derive(Debug)]
enum Job {
    Hash(usize),
    GetUploadMode(Vec<usize>),
    Preupload(usize),
    Commit(Vec<usize>),
    Wait,
    Done,
}

#[derive(Debug, Default)]
struct Queues {
    hash: VecDeque<usize>,
    mode: VecDeque<usize>,
    lfs: VecDeque<usize>,
    commit: VecDeque<usize>,
}

#[derive(Debug)]
struct State {
    items: Vec<Item>,
    q: Queues,
    w_hash: usize,
    w_mode: usize,
    w_lfs: usize,
    w_commit: usize,
    w_wait: usize,
    last_commit_attempt: Option<Instant>,
    fatal: Option<Error>,
    hashed_this_run: usize,
    uploaded_this_run: usize,
    commits_this_run: usize,
}

impl State {
    fn route(&mut self, i: usize) {
        let m = &self.items[i].meta;
        if m.is_committed || m.should_ignore == Some(true) {
        } else if m.sha256.is_none() {
            self.q.hash.push_back(i);
        } else if m.upload_mode.is_none() {
            self.q.mode.push_back(i);
        } else if m.upload_mode == Some(UploadMode::Lfs) && !m.is_uploaded {
            self.q.lfs.push_back(i);
        } else {
            self.q.commit.push_back(i);
        }
    }

    fn take_commit_batch(&mut self) -> Vec<usize> {
        let (mut lfs, mut regular) = (0, 0);
        let mut out = Vec::new();
        while lfs < MAX_LFS_PER_COMMIT && regular < MAX_REGULAR_PER_COMMIT {
            let Some(i) = self.q.commit.pop_front() else {
                break;
            };
            if self.items[i].meta.upload_mode == Some(UploadMode::Lfs) {
                lfs += 1;
            } else {
                regular += 1;
            }
            out.push(i);
        }
        out
    }

    fn take_n(q: &mut VecDeque<usize>, n: usize) -> Vec<usize> {
        let k = n.min(q.len());
        q.drain(..k).collect()
    }

    /// Python's `_determine_next_job`, rule for rule.
    fn next_job(&mut self) -> Job {
        let since_commit = self.last_commit_attempt.map(|t| t.elapsed());
        let can_commit = self.w_commit == 0 && !self.q.commit.is_empty();
        if can_commit && since_commit.is_some_and(|d| d > Duration::from_secs(300)) {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self.w_commit == 0 && self.q.commit.len() >= MAX_LFS_PER_COMMIT {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self.q.mode.len() >= 10 {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if !self.q.lfs.is_empty() && self.w_lfs == 0 {
            self.w_lfs += 1;
            return Job::Preupload(self.q.lfs.pop_front().unwrap_or_default());
        }
        if !self.q.hash.is_empty() && self.w_hash == 0 {
            self.w_hash += 1;
            return Job::Hash(self.q.hash.pop_front().unwrap_or_default());
        }
        if !self.q.mode.is_empty() && self.w_mode == 0 {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if let Some(i) = self.q.lfs.pop_front() {
            self.w_lfs += 1;
            return Job::Preupload(i);
        }
        if let Some(i) = self.q.hash.pop_front() {
            self.w_hash += 1;
            return Job::Hash(i);
        }
        if !self.q.mode.is_empty() {
            self.w_mode += 1;
            return Job::GetUploadMode(Self::take_n(&mut self.q.mode, 50));
        }
        if can_commit && since_commit.is_some_and(|d| d > Duration::from_secs(60)) {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        let others_idle = self.q.hash.is_empty()
            && self.q.mode.is_empty()
            && self.q.lfs.is_empty()
            && self.w_hash == 0
            && self.w_mode == 0
            && self.w_lfs == 0;
        if can_commit && others_idle {
            self.w_commit += 1;
            return Job::Commit(self.take_commit_batch());
        }
        if self
            .items
            .iter()
            .all(|it| it.meta.is_committed || it.meta.should_ignore == Some(true))
        {
            return Job::Done;
        }
        Job::Wait
    }

    fn status(&self, started: Instant) -> LargeFolderStatus {
        let mut s = LargeFolderStatus {
            now: chrono::Local::now(),
            elapsed: started.elapsed(),
            total_files: 0,
            total_size: 0,
            hashed_files: 0,
            hashed_size: 0,
            lfs_files: 0,
            unsure_files: 0,
            preuploaded_files: 0,
            preuploaded_size: 0,
            committed_files: 0,
            committed_size: 0,
            ignored_files: 0,
            workers_hashing: self.w_hash,
            workers_get_upload_mode: self.w_mode,
            workers_preuploading: self.w_lfs,
            workers_committing: self.w_commit,
            workers_waiting: self.w_wait,
            hashed_this_run: self.hashed_this_run,
            uploaded_this_run: self.uploaded_this_run,
            commits_this_run: self.commits_this_run,
        };
        for it in &self.items {
            let m = &it.meta;
            if m.should_ignore == Some(true) {
                s.ignored_files += 1;
                continue;
            }
            s.total_files += 1;
            s.total_size += m.size;
            if m.sha256.is_some() {
                s.hashed_files += 1;
                s.hashed_size += m.size;
            }
            match m.upload_mode {
                Some(UploadMode::Lfs) => s.lfs_files += 1,
                None => s.unsure_files += 1,
                _ => {}
            }
            if m.is_uploaded {
                s.preuploaded_files += 1;
                s.preuploaded_size += m.size;
            }
            if m.is_committed {
                s.committed_files += 1;
                s.committed_size += m.size;
            }
        }
        s
    }
}

struct Shared {
    ctx: RepoCtx,
    settings: CommitSettings,
    folder: PathBuf,
    state: Mutex<State>,
    changed: Notify,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether an error will not go away by retrying.
fn is_permanent(e: &Error) -> bool {
    match e {
        Error::TokenRequired(_)
        | Error::Unauthenticated(_)
        | Error::RepositoryNotFound(_)
        | Error::RevisionNotFound(_)
        | Error::GatedRepo(_)
        | Error::DisabledRepo(_)
        | Error::OfflineModeIsEnabled(_)
        | Error::InvalidArgument(_) => true,
        other => matches!(other.status(), Some(400 | 401 | 403 | 404 | 413 | 422)),
    }
}

async fn run(b: UploadLargeFolder) -> Result<LargeFolderStatus> {
    let folder = tokio::fs::canonicalize(&b.folder)
        .await
        .map_err(|e| Error::io(format!("opening {}", b.folder.display()), e))?;
    if !tokio::fs::metadata(&folder)
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false)
    {
        return Err(Error::invalid_argument(format!(
            "Provided path: '{}' is not a directory",
            folder.display()
        )));
    }
    let ctx = RepoCtx {
        client: b.client,
        repo_id: b.repo_id,
        repo_type: b.repo_type,
    };
    remote::create_repo(&ctx, b.private).await?;
    let settings = CommitSettings {
        repo_type: b.repo_type,
        revision: b.revision,
        lfs_concurrency: 1,
        progress: b.progress,
        ..CommitSettings::default()
    };

    // Scan and recover (blocking: many small reads).
    let mut ignore = b.ignore;
    ignore.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|s| s.to_string()));
    let filter = PatternFilter::new(b.allow, ignore);
    let f2 = folder.clone();
    let items = tokio::task::spawn_blocking(move || -> Result<Vec<Item>> {
        ensure_cache_gitignore(&f2)?;
        let files = list_folder_blocking(&f2, &filter)?;
        files
            .into_iter()
            .map(|(rel, abs)| {
                let meta = read_metadata(&f2, &rel, &abs)?;
                Ok(Item {
                    rel,
                    abs,
                    meta,
                    sample: None,
                    git_sha1: None,
                    remote_oid: None,
                    failures: 0,
                })
            })
            .collect()
    })
    .await
    .map_err(|e| Error::io("scanning folder", std::io::Error::other(e)))??;
    tracing::info!("Found {} candidate files to upload", items.len());

    let mut state = State {
        items,
        q: Queues::default(),
        w_hash: 0,
        w_mode: 0,
        w_lfs: 0,
        w_commit: 0,
        w_wait: 0,
        last_commit_attempt: None,
        fatal: None,
        hashed_this_run: 0,
        uploaded_this_run: 0,
        commits_this_run: 0,
    };
    for i in 0..state.items.len() {
        state.route(i);
    }
    let shared = Arc::new(Shared {
        ctx,
        settings,
        folder,
        state: Mutex::new(state),
        changed: Notify::new(),
        started: Instant::now(),
    });
    let workers = b.num_workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .saturating_sub(2)
            .max(2)
    });
    let reporter = b.on_report.map(|f| {
        let shared = shared.clone();
        let every = b.report_every;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let status = shared.lock().status(shared.started);
                f(&status);
            }
        })
    });
    let handles: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(worker(shared.clone())))
        .collect();
    for h in handles {
        let _ = h.await;
    }
    if let Some(r) = reporter {
        r.abort();
    }
    let mut st = shared.lock();
    if let Some(e) = st.fatal.take() {
        return Err(e);
    }
    Ok(st.status(shared.started))
}

async fn worker(shared: Arc<Shared>) {
    loop {
        let job = {
            let mut st = shared.lock();
            if st.fatal.is_some() {
                return;
            }
            let job = st.next_job();
            if matches!(job, Job::Wait) {
                st.w_wait += 1;
            }
            job
        };
        match job {
            Job::Done => {
                shared.changed.notify_waiters();
                return;
            }
            Job::Wait => {
                // Woken by any finished job; the timeout re-checks the time-based commit rules.
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), shared.changed.notified()).await;
                shared.lock().w_wait -= 1;
                continue;
            }
            Job::Hash(i) => {
                let r = do_hash(&shared, i).await;
                finish(&shared, vec![i], r, |st| st.w_hash -= 1).await;
            }
            Job::GetUploadMode(ix) => {
                let r = do_get_upload_mode(&shared, &ix).await;
                finish(&shared, ix, r, |st| st.w_mode -= 1).await;
            }
            Job::Preupload(i) => {
                let r = do_preupload(&shared, i).await;
                finish(&shared, vec![i], r, |st| st.w_lfs -= 1).await;
            }
            Job::Commit(ix) => {
                shared.lock().last_commit_attempt = Some(Instant::now());
                let r = do_commit(&shared, &ix).await;
                finish(&shared, ix, r, |st| st.w_commit -= 1).await;
            }
        }
        shared.changed.notify_waiters();
    }
}

/// Routes the items of a finished job; on failure waits (backoff) and re-queues them, or
/// records a permanent error that stops every worker.
async fn finish(
    shared: &Shared,
    items: Vec<usize>,
    r: Result<()>,
    release: impl FnOnce(&mut State),
) {
    match r {
        Ok(()) => {
            let mut st = shared.lock();
            release(&mut st);
            for i in items {
                st.items[i].failures = 0;
                st.route(i);
            }
        }
        Err(e) if is_permanent(&e) => {
            let mut st = shared.lock();
            release(&mut st);
            tracing::error!("upload_large_folder stopped: {e}");
            st.fatal.get_or_insert(e);
        }
        Err(e) => {
            let failures = {
                let mut st = shared.lock();
                items
                    .iter()
                    .map(|&i| {
                        st.items[i].failures += 1;
                        st.items[i].failures
                    })
                    .max()
                    .unwrap_or(1)
            };
            // Local trouble (a file deleted or rewritten meanwhile) does not heal by waiting
            // forever, unlike the network: give up after a few attempts.
            if matches!(e, Error::Io { .. } | Error::Corrupted(_)) && failures >= 5 {
                let mut st = shared.lock();
                release(&mut st);
                tracing::error!("upload_large_folder stopped: {e}");
                st.fatal.get_or_insert(e);
                return;
            }
            let delay = Duration::from_millis(500u64.saturating_mul(1 << failures.min(7)))
                .min(Duration::from_secs(60));
            tracing::warn!("upload_large_folder: {e}; retrying in {delay:?}");
            tokio::time::sleep(delay).await;
            let mut st = shared.lock();
            release(&mut st);
            for i in items {
                st.route(i);
            }
        }
    }
}

fn snapshot(shared: &Shared, i: usize) -> (String, PathBuf, UploadMetadata) {
    let st = shared.lock();
    let it = &st.items[i];
    (it.rel.clone(), it.abs.clone(), it.meta.clone())
}

async fn save(shared: &Shared, rel: &str, mut meta: UploadMetadata) -> Result<UploadMetadata> {
    let folder = shared.folder.clone();
    let rel = rel.to_owned();
    tokio::task::spawn_blocking(move || save_metadata(&folder, &rel, &mut meta).map(|_| meta))
        .await
        .map_err(|e| Error::io("saving metadata", std::io::Error::other(e)))?
}

async fn do_hash(shared: &Shared, i: usize) -> Result<()> {
    let (rel, abs, mut meta) = snapshot(shared, i);
    let size = tokio::fs::metadata(&abs)
        .await
        .map_err(|e| Error::io(format!("reading {}", abs.display()), e))?
        .len();
    let info = hash_file(&abs, size <= GIT_SHA1_INLINE_LIMIT).await?;
    meta.size = info.size;
    meta.sha256 = Some(info.sha256);
    let meta = save(shared, &rel, meta).await?;
    let mut st = shared.lock();
    st.hashed_this_run += 1;
    let it = &mut st.items[i];
    it.meta = meta;
    it.sample = Some(info.sample);
    it.git_sha1 = info.git_sha1;
    Ok(())
}

fn read_sample(abs: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut f =
        std::fs::File::open(abs).map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    let mut buf = Vec::with_capacity(SAMPLE_SIZE);
    f.by_ref()
        .take(SAMPLE_SIZE as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(format!("reading {}", abs.display()), e))?;
    Ok(buf)
}

/// An addition carrying what is known about item `i` (no content is read here).
fn addition_for(it: &Item) -> Result<CommitOperationAdd> {
    let mut op = CommitOperationAdd::from_path(&it.rel, it.abs.clone())?;
    op.info = Some(UploadInfo {
        size: it.meta.size,
        sha256: it.meta.sha256.clone().unwrap_or_default(),
        sample: it.sample.clone().unwrap_or_default(),
        git_sha1: it.git_sha1.clone(),
    });
    op.upload_mode = it.meta.upload_mode;
    op.remote_oid = it.remote_oid.clone();
    op.is_uploaded = it.meta.is_uploaded;
    Ok(op)
}

async fn do_get_upload_mode(shared: &Shared, ix: &[usize]) -> Result<()> {
    // Files recovered from metadata have no sample in memory: read their first bytes.
    let missing: Vec<(usize, PathBuf)> = {
        let st = shared.lock();
        ix.iter()
            .filter(|&&i| st.items[i].sample.is_none())
            .map(|&i| (i, st.items[i].abs.clone()))
            .collect()
    };
    if !missing.is_empty() {
        let samples = tokio::task::spawn_blocking(move || {
            missing
                .into_iter()
                .map(|(i, p)| read_sample(&p).map(|s| (i, s)))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .map_err(|e| Error::io("reading samples", std::io::Error::other(e)))??;
        let mut st = shared.lock();
        for (i, s) in samples {
            st.items[i].sample = Some(s);
        }
    }
    let mut ops: Vec<CommitOperationAdd> = {
        let st = shared.lock();
        ix.iter()
            .map(|&i| addition_for(&st.items[i]))
            .collect::<Result<_>>()?
    };
    let mut refs: Vec<&mut CommitOperationAdd> = ops.iter_mut().collect();
    fetch_upload_modes(
        &shared.ctx,
        shared.settings.revision(),
        false,
        &mut refs,
        None,
    )
    .await?;
    for (op, &i) in ops.iter().zip(ix) {
        let (rel, _, mut meta) = snapshot(shared, i);
        meta.upload_mode = op.upload_mode;
        meta.should_ignore = Some(op.should_ignore);
        let meta = save(shared, &rel, meta).await?;
        let mut st = shared.lock();
        st.items[i].meta = meta;
        st.items[i].remote_oid = op.remote_oid.clone();
    }
    Ok(())
}

async fn do_preupload(shared: &Shared, i: usize) -> Result<()> {
    let (rel, abs, mut meta) = snapshot(shared, i);
    let job = LfsJob {
        path_in_repo: rel.clone(),
        sha256: meta.sha256.clone().unwrap_or_default(),
        size: meta.size,
        source: Source::File(abs),
    };
    upload_lfs(
        &shared.ctx,
        shared.settings.revision(),
        false,
        vec![job],
        1,
        shared.settings.progress.clone(),
    )
    .await?;
    meta.is_uploaded = true;
    let meta = save(shared, &rel, meta).await?;
    let mut st = shared.lock();
    st.uploaded_this_run += 1;
    st.items[i].meta = meta;
    Ok(())
}

async fn do_commit(shared: &Shared, ix: &[usize]) -> Result<()> {
    if ix.is_empty() {
        return Ok(());
    }
    let ops: Vec<CommitOperation> = {
        let st = shared.lock();
        ix.iter()
            .map(|&i| {
                let mut op = addition_for(&st.items[i])?;
                // Uploaded LFS content is referenced by hash only.
                if op.upload_mode == Some(UploadMode::Lfs) {
                    op.content = Content::Dropped;
                }
                Ok(CommitOperation::Add(op))
            })
            .collect::<Result<_>>()?
    };
    finish_commit(&shared.ctx, ops, COMMIT_MESSAGE, &shared.settings).await?;
    for &i in ix {
        let (rel, _, mut meta) = snapshot(shared, i);
        meta.is_committed = true;
        let meta = save(shared, &rel, meta).await?;
        shared.lock().items[i].meta = meta;
    }
    shared.lock().commits_this_run += 1;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trip() {
        let m = UploadMetadata {
            timestamp: Some(1.5),
            size: 42,
            should_ignore: Some(false),
            sha256: Some("ab".repeat(32)),
            upload_mode: Some(UploadMode::Regular),
            is_uploaded: false,
            is_committed: true,
        };
        let text = m.render(1732623456.123456);
        assert_eq!(text.lines().count(), 7);
        assert!(text.ends_with('\n'));
        let back = UploadMetadata::parse(&text).unwrap();
        assert_eq!(
            back,
            UploadMetadata {
                timestamp: Some(1732623456.123456),
                ..m
            }
        );
        // Fresh state renders empty optional lines.
        assert_eq!(UploadMetadata::new(3).render(2.0), "2\n3\n\n\n\n0\n0\n");
        // Python writes e.g. `1721661797.3453724`: accepted.
        let py = "1721661797.3453724\n5\n0\n\nlfs\n1\n0\n";
        let m = UploadMetadata::parse(py).unwrap();
        assert_eq!(m.upload_mode, Some(UploadMode::Lfs));
        assert_eq!(m.should_ignore, Some(false));
        assert!(m.sha256.is_none());
        for bad in [
            "",
            "x\n1\n\n\n\n0\n0\n",
            "1\n1\n\n\n\nmaybe\n0\n",
            "1\n1\n\n\nxet\n0\n0\n",
            "1\n2\n",
        ] {
            assert!(UploadMetadata::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_files_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.bin"), b"hello").unwrap();
        assert_eq!(
            metadata_path(root, "sub/a.bin"),
            root.join(".cache/huggingface/upload/sub/a.bin.metadata")
        );
        // No metadata: fresh state with the size.
        let m = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(m, UploadMetadata::new(5));
        let mut m = m;
        m.sha256 = Some("00".into());
        save_metadata(root, "sub/a.bin", &mut m).unwrap();
        let back = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(back.sha256.as_deref(), Some("00"));
        // A modified file makes the metadata outdated.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(root.join("sub/a.bin"), b"hello!").unwrap();
        let fresh = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(fresh, UploadMetadata::new(6));
        // Garbage is removed.
        std::fs::write(metadata_path(root, "sub/a.bin"), "garbage").unwrap();
        let _ = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert!(!metadata_path(root, "sub/a.bin").exists());
    }

    #[test]
    fn lock_files_next_to_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(
            lock_path(root, "sub/a.bin"),
            root.join(".cache/huggingface/upload/sub/a.bin.lock")
        );
        // Python's `Path("noext.metadata").with_suffix(".lock")`.
        assert_eq!(
            lock_path(root, "noext"),
            root.join(".cache/huggingface/upload/noext.lock")
        );
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.bin"), b"hello").unwrap();
        // Reading creates the (empty) lock file, as Python's read does; it stays afterwards.
        let mut m = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        let lock = lock_path(root, "sub/a.bin");
        assert_eq!(std::fs::read(&lock).unwrap(), b"");
        save_metadata(root, "sub/a.bin", &mut m).unwrap();
        assert!(lock.exists());
        // Held by someone else: a save waits for it.
        let held = FileLock::acquire_blocking(&lock).unwrap();
        let r = root.to_path_buf();
        let saver = std::thread::spawn(move || {
            let mut m = UploadMetadata::new(5);
            m.sha256 = Some("11".into());
            save_metadata(&r, "sub/a.bin", &mut m)
        });
        std::thread::sleep(Duration::from_millis(150));
        assert!(!saver.is_finished(), "save must wait for the lock");
        let saved = std::fs::read_to_string(metadata_path(root, "sub/a.bin")).unwrap();
        assert_eq!(
            saved.lines().nth(3),
            Some(""),
            "nothing written while locked"
        );
        drop(held);
        saver.join().unwrap().unwrap();
        let back = read_metadata(root, "sub/a.bin", &root.join("sub/a.bin")).unwrap();
        assert_eq!(back.sha256.as_deref(), Some("11"));
        // The `.gitignore.lock` is removed after use, as Python removes it.
        ensure_cache_gitignore(root).unwrap();
        let hf = root.join(".cache/huggingface");
        assert_eq!(std::fs::read_to_string(hf.join(".gitignore")).unwrap(), "*");
        assert!(!hf.join(".gitignore.lock").exists());
    }

    #[test]
    fn uploads_expire_after_20_hours() {
        let now = 1_800_000_000.0;
        let mut m = UploadMetadata::new(1);
        m.upload_mode = Some(UploadMode::Lfs);
        m.is_uploaded = true;
        m.timestamp = Some(now - 21.0 * 3600.0);
        assert!(upload_expired(&m, now));
        m.timestamp = Some(now - 19.0 * 3600.0);
        assert!(!upload_expired(&m, now));
        // Committed files, or files never uploaded, are not concerned.
        m.timestamp = Some(now - 21.0 * 3600.0);
        m.is_committed = true;
        assert!(!upload_expired(&m, now));
        m.is_committed = false;
        m.is_uploaded = false;
        assert!(!upload_expired(&m, now));

        // Through the reader: metadata in Python's format, consistent with the file.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (name, age_h) in [("old.bin", 21.0), ("new.bin", 1.0)] {
            std::fs::write(root.join(name), b"abc").unwrap();
            let ts = unix_now() - age_h * 3600.0;
            let f = std::fs::File::options()
                .write(true)
                .open(root.join(name))
                .unwrap();
            f.set_modified(UNIX_EPOCH + Duration::from_secs_f64(ts - 3600.0))
                .unwrap();
            let text = format!("{ts}\n3\n0\n{}\nlfs\n1\n0\n", "ab".repeat(32));
            let p = metadata_path(root, name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let old = read_metadata(root, "old.bin", &root.join("old.bin")).unwrap();
        assert!(!old.is_uploaded, "21 h old upload must be redone");
        assert_eq!(old.sha256, Some("ab".repeat(32)), "but not re-hashed");
        let new = read_metadata(root, "new.bin", &root.join("new.bin")).unwrap();
        assert!(new.is_uploaded);
    }

    #[test]
    fn report_format() {
        assert_eq!(format_size(0), "0.0");
        assert_eq!(format_size(5_000_000_000), "5.0G");
        assert_eq!(format_size(999), "999.0");
        assert_eq!(format_size(1_500), "1.5K");
        assert_eq!(format_elapsed(Duration::from_secs(3725)), "1:02:05");
        assert_eq!(format_elapsed(Duration::from_secs(90000)), "1 day, 1:00:00");
        let s = LargeFolderStatus {
            now: chrono::Local::now(),
            elapsed: Duration::ZERO,
            total_files: 5,
            total_size: 5_000_000_000,
            hashed_files: 5,
            hashed_size: 5_000_000_000,
            lfs_files: 5,
            unsure_files: 0,
            preuploaded_files: 0,
            preuploaded_size: 0,
            committed_files: 0,
            committed_size: 0,
            ignored_files: 0,
            workers_hashing: 0,
            workers_get_upload_mode: 0,
            workers_preuploading: 5,
            workers_committing: 0,
            workers_waiting: 11,
            hashed_this_run: 5,
            uploaded_this_run: 0,
            commits_this_run: 0,
        };
        let text = s.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines[0].starts_with("---------- ") && lines[0].ends_with(" (0:00:00) ----------"),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[1],
            "Files:   hashed 5/5 (5.0G/5.0G) | pre-uploaded: 0/5 (0.0/5.0G) | committed: 0/5 (0.0/5.0G) | ignored: 0"
        );
        assert_eq!(
            lines[2],
            "Workers: hashing: 0 | get upload mode: 0 | pre-uploading: 5 | committing: 0 | waiting: 11"
        );
        assert_eq!(lines[3], "-".repeat(51));
    }

    fn item(mode: Option<UploadMode>, sha: bool, uploaded: bool, committed: bool) -> Item {
        let mut meta = UploadMetadata::new(1);
        meta.upload_mode = mode;
        meta.sha256 = sha.then(|| "x".into());
        meta.is_uploaded = uploaded;
        meta.is_committed = committed;
        Item {
            rel: "r".into(),
            abs: "a".into(),
            meta,
            sample: None,
            git_sha1: None,
            remote_oid: None,
            failures: 0,
        }
    }

    fn state(items: Vec<Item>) -> State {
        let mut st = State {
            items,
            q: Queues::default(),
            w_hash: 0,
            w_mode: 0,
            w_lfs: 0,
            w_commit: 0,
            w_wait: 0,
            last_commit_attempt: None,
            fatal: None,
            hashed_this_run: 0,
            uploaded_this_run: 0,
            commits_this_run: 0,
        };
        for i in 0..st.items.len() {
            st.route(i);
        }
        st
    }

    #[test]
    fn routing_and_job_rules() {
        let st = state(vec![
            item(None, false, false, false),
            item(None, true, false, false),
            item(Some(UploadMode::Lfs), true, false, false),
            item(Some(UploadMode::Lfs), true, true, false),
            item(Some(UploadMode::Regular), true, false, true),
        ]);
        assert_eq!(st.q.hash, [0]);
        assert_eq!(st.q.mode, [1]);
        assert_eq!(st.q.lfs, [2]);
        assert_eq!(st.q.commit, [3]);
        let mut st = st;
        // One LFS upload first, then one hash, then the mode batch; commit waits for the rest.
        assert!(matches!(st.next_job(), Job::Preupload(2)));
        assert!(matches!(st.next_job(), Job::Hash(0)));
        assert!(matches!(st.next_job(), Job::GetUploadMode(ref v) if v == &[1]));
        assert!(matches!(st.next_job(), Job::Wait));
        st.w_lfs = 0;
        st.w_hash = 0;
        st.w_mode = 0;
        assert!(matches!(st.next_job(), Job::Commit(ref v) if v == &[3]));
        // Batches of regular files stop at 75.
        let many: Vec<Item> = (0..200)
            .map(|_| item(Some(UploadMode::Regular), true, false, false))
            .collect();
        let mut st = state(many);
        match st.next_job() {
            Job::Commit(v) => assert_eq!(v.len(), MAX_REGULAR_PER_COMMIT),
            other => panic!("{other:?}"),
        }
        let done = state(vec![item(None, true, false, true)]);
        let mut done = done;
        assert!(matches!(done.next_job(), Job::Done));
    }
}
