//! hub-cache: downloads from the Hugging Face Hub into the cache shared with the Python library.
//!
//! A file downloaded here is found by Python's `hf_hub_download` offline, and the other way
//! round: same layout (`blobs/`, `snapshots/` with relative symlinks, `refs/`, `.no_exist/`,
//! `.locks/`), same `local_dir` metadata, same `flock` locks, same resumable `.incomplete` files,
//! same `scan_cache_dir` figures and messages.
//!
//! ```no_run
//! # async fn run() -> hub_cache::Result<()> {
//! use hub_cache::CacheExt;
//! use hub_core::{HubClient, RepoId, RepoType};
//!
//! let client = HubClient::from_env()?; // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE...
//! let repo = RepoId::new("openai-community/gpt2")?;
//!
//! // One file (Python's hf_hub_download).
//! let config = client.download(&repo, "config.json").send().await?;
//!
//! // A file of a dataset at a PR revision, into a plain folder.
//! let csv = client
//!     .download(&RepoId::new("ns/data")?, "train.csv")
//!     .repo_type(RepoType::Dataset)
//!     .revision("refs/pr/1")
//!     .local_dir("./data")
//!     .send()
//!     .await?;
//!
//! // A whole revision, filtered (Python's snapshot_download).
//! let dir = client
//!     .snapshot_download(&repo)
//!     .allow_patterns(["*.json", "*.safetensors"])
//!     .max_workers(8)
//!     .send()
//!     .await?;
//!
//! // Telling "not cached and unreachable" from "does not exist":
//! match client.download(&repo, "maybe.bin").local_files_only(true).send().await {
//!     Ok(path) => println!("cached at {}", path.display()),
//!     Err(e) if e.is_local_entry_not_found() => println!("not in the cache"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Design: one module per step, a pure plan in the middle
//!
//! A download goes through the steps of the protocol, each in its own module and testable alone:
//! [`layout`] (paths and their validation) → metadata (`hub_core::api::metadata`: HEAD, relative
//! redirects only) → `plan` (pure decisions: use the pointer, link a blob, download, fall back
//! to the cache) → [`lock`] (`flock`, polled off the executor, no timeout) → `transfer`
//! (ranged GETs into `blobs/<etag>.incomplete`, hashed while streaming by `verify`) →
//! `commit` (atomic rename into `blobs/`, relative symlink in `snapshots/`) → `refs`.
//! `download` runs this for one file ([`DownloadBuilder`]), `snapshot` for a listing
//! ([`SnapshotBuilder`]), [`local_dir`] for the folder mode; [`lookup`] and [`scan`] read the
//! cache without the network. The step modules are private: their seams are for this crate's
//! tests, the builders are the API.
//!
//! # Guarantees
//!
//! * **Nothing partial is visible.** Blobs and snapshot entries appear by rename only after the
//!   size and the hash (sha256 for LFS etags, git blob sha1 for regular files) are verified.
//!   A mismatch is [`Error::HashMismatch`] and leaves nothing behind.
//! * **Resumable, and shared with Python.** `blobs/<etag>.incomplete` is always a true prefix of
//!   the content, even while parallel range requests fill a bounded in-memory reorder buffer, so
//!   Python (which resumes by size) and this crate can continue each other's downloads.
//! * **Fast and bounded.** Files of 32 MiB and more use 8 parallel range requests of 4 MiB over
//!   pooled connections (at most 32 MiB buffered per file), falling back to one stream on 403,
//!   416, a missing `Content-Range` or a 200 that ignores `Range`. All file I/O runs off the
//!   async executor; hashing happens on the writer thread while the network keeps receiving.
//! * **Safe.** `Authorization` is only sent to the host of the resolve URL (redirects to another
//!   host drop it). Repository paths, revisions, etags and commits from callers or servers that
//!   are absolute or contain `..`, `\` or NUL are refused ([`Error::UnsafePath`]).
//! * **Offline-friendly.** A commit-hash revision already cached is served with no request; when
//!   the Hub is unreachable (timeouts, network down, `HF_HUB_OFFLINE`, 5xx, 401/403) the cached
//!   copy of the revision is used, else a typed `LocalEntryNotFound` explains why.
//! * **Quiet.** Libraries never print: progress goes to a [`hub_core::ProgressSink`].
//!
//! Pattern filtering uses [`fnmatch`] (re-exported from hub-core, shared with hub-upload), an exact port of Python's `fnmatch` (a `*` crosses `/`).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod append;
mod commit;
mod download;
mod error;
pub use hub_core::fnmatch;
pub mod layout;
pub mod local_dir;
pub mod lock;
pub mod lookup;
mod plan;
mod refs;
pub mod scan;
mod snapshot;
mod task;
mod transfer;
mod verify;

pub use download::{CacheExt, DownloadBuilder, DownloadOutcome};
pub use error::{Error, Result};
pub use lookup::{CacheLookup, cached_assets_path, try_to_load_from_cache};
pub use scan::{
    CachedFileInfo, CachedRepoInfo, CachedRevisionInfo, CorruptedCache, DeleteCacheStrategy,
    HFCacheInfo, format_size, scan_cache_dir,
};
pub use snapshot::SnapshotBuilder;
pub use transfer::{TransferStats, Tuning};

/// Lets a builder be awaited directly (`client.download(..).await`), as hub-core's builders are:
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
    DownloadBuilder => std::path::PathBuf,
    SnapshotBuilder => std::path::PathBuf,
);
