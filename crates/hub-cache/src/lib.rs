//! hub-cache (in progress).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod commit;
pub mod download;
pub mod error;
pub mod fnmatch;
pub mod layout;
pub mod local_dir;
pub mod lock;
pub mod lookup;
pub mod plan;
pub mod refs;
pub mod scan;
pub mod snapshot;
pub mod transfer;
pub mod verify;

pub use download::{CacheExt, DownloadBuilder, DownloadOutcome};
pub use error::{Error, Result};
pub use lookup::{CacheLookup, cached_assets_path, try_to_load_from_cache};
pub use scan::{
    CachedFileInfo, CachedRepoInfo, CachedRevisionInfo, CorruptedCache, DeleteCacheStrategy, HFCacheInfo,
    scan_cache_dir,
};
pub use snapshot::SnapshotBuilder;
pub use transfer::{TransferStats, Tuning};
