//! hub-upload: commits to the Hugging Face Hub over HTTP — files, folders, very large folders,
//! scheduled commits — with no git involved.
//!
//! Everything is a method of [`UploadExt`], an extension trait on [`hub_core::HubClient`], so
//! uploads share the client's connection pool, token and retry policy with downloads:
//!
//! ```no_run
//! # async fn run() -> hub_core::Result<()> {
//! use hub_core::{HubClient, RepoId, RepoType};
//! use hub_upload::{CommitOperation, UploadExt};
//!
//! let client = HubClient::from_env()?;
//! let repo = RepoId::new("me/my-model")?;
//!
//! // One file (from a path, bytes, or an async reader):
//! let info = client.upload_file(&repo, "weights.safetensors", "model.safetensors").send().await?;
//! println!("{}", info.commit_url);
//!
//! // A folder, filtered with Python's fnmatch patterns, deleting stale remote logs:
//! client
//!     .upload_folder(&repo, "./checkpoints")
//!     .path_in_repo("ckpt")
//!     .ignore_patterns(["*.tmp"])
//!     .delete_patterns(["*.log"])
//!     .send()
//!     .await?;
//!
//! // Any mix of operations in one commit:
//! let ops = vec![
//!     CommitOperation::add_bytes("notes.txt", &b"hello"[..])?,
//!     CommitOperation::delete("old/")?,
//!     CommitOperation::copy("model.safetensors", "backup/model.safetensors")?,
//! ];
//! client.create_commit(&repo, ops).commit_message("Tidy up").create_pr(true).send().await?;
//! # Ok(()) }
//! ```
//!
//! # How a commit travels
//!
//! Each commit is planned, then executed, as in the [`commit`] module: additions are hashed in
//! one streaming pass (sha256 with SHA-NI when available, plus the git blob sha1 of small files,
//! see [`hash`]); a preupload request (256 files at a time) lets the server pick `regular` or
//! `lfs` per file and reveals files that are already there; LFS content the server lacks goes
//! through the git-lfs batch API, by a single PUT or by the Hub's multipart transfer with parts
//! sent concurrently (see [`lfs`]); the NDJSON commit is then *streamed* from disk with an exact
//! `Content-Length`, so memory stays flat for 10 000 files or a 50 GB file. A commit that would
//! change nothing is not made: the current head is returned, as in Python.
//!
//! The commit POST itself is not idempotent, so it is only retried when that cannot commit twice
//! (see [`commit`]); every other call (preupload, batch, PUTs, verify, listings) is retried with
//! the client's [`hub_core::RetryPolicy`], request and body alike.
//!
//! # Larger jobs
//!
//! * [`UploadExt::upload_large_folder`] ([`large_folder`]): resumable, multi-worker, many commits,
//!   with a status report you can render.
//! * [`CommitScheduler`] ([`scheduler`]): commits a folder every N minutes in the background.
//! * [`BackgroundQueue`] ([`queue`]): Python's `run_as_future` — jobs run one after another in
//!   submission order, each returning an awaitable [`JobHandle`].
//!
//! The library never prints: progress goes to a [`hub_core::ProgressSink`], and status reports
//! are values with a `Display`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod commit;
pub mod folder;
pub mod hash;
pub mod large_folder;
pub mod lfs;
mod ndjson;
pub mod ops;
pub mod preupload;
pub mod queue;
mod remote;
pub mod scheduler;
mod stream;

use std::path::PathBuf;

use hub_core::{HubClient, RepoId, RepoType};

pub use commit::{CommitInfo, CreateCommit, PreuploadLfsFiles};
pub use folder::{DeleteFile, DeleteFiles, DeleteFolder, FileSource, UploadFile, UploadFolder};
pub use large_folder::{LargeFolderStatus, UploadLargeFolder};
pub use ops::{
    CommitOperation, CommitOperationAdd, CommitOperationCopy, CommitOperationDelete, UploadInfo,
    UploadMode,
};
pub use queue::{BackgroundQueue, JobHandle};
pub use scheduler::{CommitScheduler, CommitSchedulerBuilder};

/// Lets a builder be awaited directly (`client.upload_file(..).await`), as hub-core's builders are:
/// awaiting it is the same as awaiting its `.send()`.
macro_rules! into_future {
    ($($builder:ty => $out:ty),+ $(,)?) => {$(
        impl ::std::future::IntoFuture for $builder {
            type Output = hub_core::Result<$out>;
            type IntoFuture = ::futures::future::BoxFuture<'static, hub_core::Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    )+};
}

into_future!(
    CreateCommit => CommitInfo,
    UploadFile => CommitInfo,
    UploadFolder => CommitInfo,
    DeleteFile => CommitInfo,
    DeleteFolder => CommitInfo,
    DeleteFiles => CommitInfo,
    UploadLargeFolder => LargeFolderStatus,
);

impl<'a> ::std::future::IntoFuture for PreuploadLfsFiles<'a> {
    type Output = hub_core::Result<()>;
    type IntoFuture = ::futures::future::BoxFuture<'a, hub_core::Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Upload methods on [`HubClient`]. Each returns a builder; finish it with `.send()`.
pub trait UploadExt {
    /// A commit of `operations` (adds, deletes, copies). Set the title with
    /// `.commit_message(..)` (required), and optionally `.revision`, `.create_pr`,
    /// `.parent_commit`, `.commit_description`, `.progress`.
    ///
    /// `POST /api/{type}s/{repo_id}/commit/{revision}` after preupload and LFS uploads.
    fn create_commit(&self, repo_id: &RepoId, operations: Vec<CommitOperation>) -> CreateCommit;

    /// Uploads the LFS content of `additions` now and commits nothing; pass the same
    /// operations to [`UploadExt::create_commit`] later. Uploaded content is released.
    fn preupload_lfs_files<'a>(
        &self,
        repo_id: &RepoId,
        additions: &'a mut [CommitOperationAdd],
    ) -> PreuploadLfsFiles<'a>;

    /// Uploads one file to `path_in_repo` (default message `Upload {path} with huggingface_hub`).
    fn upload_file(
        &self,
        repo_id: &RepoId,
        source: impl Into<FileSource>,
        path_in_repo: &str,
    ) -> UploadFile;

    /// Uploads a folder in one commit (default message `Upload folder using huggingface_hub`).
    fn upload_folder(&self, repo_id: &RepoId, folder: impl Into<PathBuf>) -> UploadFolder;

    /// Deletes one file.
    fn delete_file(&self, repo_id: &RepoId, path_in_repo: &str) -> DeleteFile;

    /// Deletes a folder and everything below it.
    fn delete_folder(&self, repo_id: &RepoId, path_in_repo: &str) -> DeleteFolder;

    /// Deletes every remote file matching one of `patterns` (Python fnmatch).
    fn delete_files<I, S>(&self, repo_id: &RepoId, patterns: I) -> DeleteFiles
    where
        I: IntoIterator<Item = S>,
        S: Into<String>;

    /// A resumable upload of a large folder in many commits; the repository type must be given.
    fn upload_large_folder(
        &self,
        repo_id: &RepoId,
        repo_type: RepoType,
        folder: impl Into<PathBuf>,
    ) -> UploadLargeFolder;

    /// A scheduler that commits `folder` every few minutes in the background.
    fn commit_scheduler(
        &self,
        repo_id: &RepoId,
        folder: impl Into<PathBuf>,
    ) -> CommitSchedulerBuilder;
}

impl UploadExt for HubClient {
    fn create_commit(&self, repo_id: &RepoId, operations: Vec<CommitOperation>) -> CreateCommit {
        CreateCommit {
            client: self.clone(),
            repo_id: repo_id.clone(),
            operations,
            settings: Default::default(),
        }
    }

    fn preupload_lfs_files<'a>(
        &self,
        repo_id: &RepoId,
        additions: &'a mut [CommitOperationAdd],
    ) -> PreuploadLfsFiles<'a> {
        PreuploadLfsFiles {
            client: self.clone(),
            repo_id: repo_id.clone(),
            additions,
            settings: Default::default(),
            free_memory: true,
        }
    }

    fn upload_file(
        &self,
        repo_id: &RepoId,
        source: impl Into<FileSource>,
        path_in_repo: &str,
    ) -> UploadFile {
        UploadFile::new(self.clone(), repo_id.clone(), source.into(), path_in_repo)
    }

    fn upload_folder(&self, repo_id: &RepoId, folder: impl Into<PathBuf>) -> UploadFolder {
        UploadFolder::new(self.clone(), repo_id.clone(), folder.into())
    }

    fn delete_file(&self, repo_id: &RepoId, path_in_repo: &str) -> DeleteFile {
        DeleteFile::new(self.clone(), repo_id.clone(), path_in_repo)
    }

    fn delete_folder(&self, repo_id: &RepoId, path_in_repo: &str) -> DeleteFolder {
        DeleteFolder::new(self.clone(), repo_id.clone(), path_in_repo)
    }

    fn delete_files<I, S>(&self, repo_id: &RepoId, patterns: I) -> DeleteFiles
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DeleteFiles::new(
            self.clone(),
            repo_id.clone(),
            patterns.into_iter().map(Into::into).collect(),
        )
    }

    fn upload_large_folder(
        &self,
        repo_id: &RepoId,
        repo_type: RepoType,
        folder: impl Into<PathBuf>,
    ) -> UploadLargeFolder {
        UploadLargeFolder::new(self.clone(), repo_id.clone(), repo_type, folder.into())
    }

    fn commit_scheduler(
        &self,
        repo_id: &RepoId,
        folder: impl Into<PathBuf>,
    ) -> CommitSchedulerBuilder {
        CommitSchedulerBuilder::new(self.clone(), repo_id.clone(), folder.into())
    }
}
