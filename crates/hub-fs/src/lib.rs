//! hub-fs: the Hugging Face Hub as an async file system of `hf://` paths, the Rust
//! counterpart of Python's `HfFileSystem` (huggingface_hub 0.26.5).
//!
//! # Paths
//!
//! `hf://[datasets/|spaces/]namespace/name[@revision]/path/in/repo` (the `hf://` is optional).
//! Resolution follows Python's `resolve_path` rule for rule ([`path`]): `refs/pr/N` and
//! `refs/convert/NAME` revisions keep their `/`, any other revision with a `/` is written
//! percent-encoded (`@my%2Fbranch`), ids without a namespace (`gpt2/config.json`) are found by
//! asking the Hub which repository exists, and a missing repository or revision is a typed
//! [`FsError::NotFound`] saying which part is missing. Names in answers keep the user's
//! spelling of the revision, as Python's do.
//!
//! # Design
//!
//! Everything builds on the other crates: listings are hub-core's `list_repo_tree` and
//! `get_paths_info`, writes are hub-upload commits (copies are server-side
//! `CommitOperationCopy`s, so LFS content is never uploaded again), and the one new HTTP call
//! is a ranged `GET` of the resolve URL ([`mod@file`]), sent through `HubClient::send` like every
//! other request.
//!
//! Caching: directory listings are cached per (repository, revision, folder), and whether a
//! repository/revision exists is cached as Python caches it. A recursive listing fills the
//! cache of every folder below, so a `find` followed by `ls`/`info` of anything inside costs
//! no request. Each write through this file system drops the cached listings of the revision
//! it wrote to; [`HfFileSystem::invalidate_cache`] drops everything (for writes made by
//! others).
//!
//! What is where: [`HfFileSystem`] (listings, `glob`/`find`/`walk`/`du`, `cat_file`, writes),
//! [`HfFile`] / [`BlockingHfFile`] (reads with read-ahead), [`HfWriter`] (a file opened for
//! writing, one commit), [`safetensors`] (headers by range requests), [`shards`] (Python's
//! shard plan and index JSON) and, with the `object-store` feature, `HfObjectStore`.
//!
//! The caches are never evicted: a long-lived file system over many repositories should call
//! [`HfFileSystem::invalidate_cache`] now and then, as Python's users call `invalidate_cache`.
//!
//! Errors: [`FsError`] keeps hub-core's error reachable ([`FsError::Hub`], [`FsError::kind`]).
//! Unlike Python, `exists`/`isdir`/`isfile` only turn "not found" into `false`; network and
//! auth failures are returned.
//!
//! ```no_run
//! # async fn run() -> Result<(), hub_fs::FsError> {
//! use hub_fs::HfFileSystem;
//! let fs = HfFileSystem::new(hub_core::HubClient::from_env()?);
//! for name in fs.glob("datasets/ns/data/**/*.parquet").names().await? {
//!     println!("{name}");
//! }
//! let header = fs.cat_file("ns/model/model.safetensors", Some(0), Some(8)).await?;
//! # Ok(()) }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod file;
mod fs;
pub mod glob;
#[cfg(feature = "object-store")]
pub mod objstore;
pub mod path;
pub mod safetensors;
pub mod shards;
mod write;

pub use error::{FsError, NotFoundReason, Result};
pub use file::{BlockingHfFile, DEFAULT_BLOCK_SIZE, HfFile};
pub use fs::{
    DuBuilder, EntryKind, FindBuilder, FsEntry, GlobBuilder, HfFileSystem, LsBuilder, WalkBuilder,
    WalkLevel,
};
#[cfg(feature = "object-store")]
pub use objstore::HfObjectStore;
pub use path::{DEFAULT_REVISION, ResolvedPath};
pub use safetensors::{SafetensorsFileMetadata, SafetensorsRepoMetadata, TensorInfo};
pub use write::{CopyBuilder, HfWriter, PutBuilder, RmBuilder};
