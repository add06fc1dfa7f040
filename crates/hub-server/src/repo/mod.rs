//! Repository store: locating, creating, renaming and deleting Hub repositories (bare git repos),
//! their settings, discussions, and the read/write operations on their git content.
//!
//! - `types`: repository kinds, settings and discussions as stored on disk.
//! - `gitattributes`: the default `.gitattributes` of new repositories.
//! - `read`: cached reads of a repository's git content (revisions, trees, blobs, history).
//! - `write`: building commits from a list of changes.
//! - `store`: the on-disk namespace of repositories (find, create, rename, delete, list).

mod gitattributes;
mod read;
mod store;
mod types;
mod write;

pub use gitattributes::DEFAULT_GITATTRIBUTES;
pub use read::{BlobInfo, ObjCache, PathEntry, Reader, Resolved, blocking};
pub use store::{RepoStore, StoreError};
pub use types::{AccessRequest, Discussion, Repo, RepoMeta, RepoType, SpaceState};
pub use write::{ApplyError, Change, CommitMeta};

#[cfg(test)]
mod tests;
