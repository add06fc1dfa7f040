//! The error type of hub-cache: [`hub_core::Error`] plus the kinds only downloads and the cache
//! can produce (hash mismatch, unsafe server paths, partial snapshot failures, damaged caches).

use std::path::PathBuf;

/// Shorthand for `Result<T, hub_cache::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error hub-cache returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the shared family (HTTP, offline, not found locally, I/O, ...).
    #[error(transparent)]
    Hub(#[from] hub_core::Error),
    /// The downloaded bytes do not hash to the expected value; nothing was cached.
    #[error(
        "Hash mismatch for '{file}': expected {algorithm} {expected}, got {actual}. The partial download was deleted and nothing was cached."
    )]
    HashMismatch {
        /// Path of the file in the repository.
        file: String,
        /// `sha256` (LFS) or `git-sha1` (regular file).
        algorithm: &'static str,
        /// Expected digest (the etag).
        expected: String,
        /// Digest of what was received.
        actual: String,
    },
    /// The downloaded size differs from the size announced by the server; nothing was cached.
    #[error(
        "Consistency check failed for '{file}': expected {expected} bytes, received {actual}. Nothing was cached; retry the download."
    )]
    SizeMismatch {
        /// Path of the file in the repository.
        file: String,
        /// Size announced by the metadata request.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// A path given by the caller or the server would escape the cache or local directory.
    #[error("Refusing unsafe repository path {path:?}: {reason}")]
    UnsafePath {
        /// The offending path.
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Some files of a snapshot failed; every failed file is listed.
    #[error("{}", snapshot_message(.failures, *.total))]
    Snapshot {
        /// Each failed file with its error.
        failures: Vec<(String, Error)>,
        /// Number of files the snapshot tried to fetch.
        total: usize,
    },
    /// The cache directory to scan does not exist.
    #[error(
        "Cache directory not found: {0}. Please use `cache_dir` argument or set `HF_HUB_CACHE` environment variable."
    )]
    CacheNotFound(PathBuf),
}

fn snapshot_message(failures: &[(String, Error)], total: usize) -> String {
    let mut msg = format!("{} of {total} files failed to download:", failures.len());
    for (file, err) in failures {
        msg.push_str(&format!("\n  - {file}: {err}"));
    }
    msg
}

impl Error {
    /// The inner [`hub_core::Error`], if this is one.
    pub fn as_hub(&self) -> Option<&hub_core::Error> {
        match self {
            Error::Hub(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the file is neither cached nor reachable (Python's `LocalEntryNotFoundError`).
    pub fn is_local_entry_not_found(&self) -> bool {
        matches!(self, Error::Hub(hub_core::Error::LocalEntryNotFound(_)))
    }

    /// Whether the data received failed verification (hash or size).
    pub fn is_corrupted_transfer(&self) -> bool {
        matches!(
            self,
            Error::HashMismatch { .. } | Error::SizeMismatch { .. }
        )
    }

    /// Whether retrying may succeed (looks through to the HTTP error).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Hub(e) => e.is_retryable(),
            Error::HashMismatch { .. } | Error::SizeMismatch { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status, for HTTP-derived errors.
    pub fn status(&self) -> Option<u16> {
        self.as_hub().and_then(|e| e.status())
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Hub(hub_core::Error::io(context, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync_and_messages() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        let e = Error::Snapshot {
            failures: vec![
                (
                    "a.bin".into(),
                    Error::UnsafePath {
                        path: "../x".into(),
                        reason: "parent",
                    },
                ),
                (
                    "b.bin".into(),
                    Error::SizeMismatch {
                        file: "b.bin".into(),
                        expected: 2,
                        actual: 1,
                    },
                ),
            ],
            total: 5,
        };
        let msg = e.to_string();
        assert!(msg.starts_with("2 of 5 files failed"), "{msg}");
        assert!(msg.contains("a.bin") && msg.contains("b.bin"), "{msg}");
    }
}
