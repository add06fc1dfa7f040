//! Pure download decisions, separated from the engine that executes them so each rule of the
//! Python library's flow (protocol §2.6, §12.2) can be tested without a server or a disk.

use crate::error::Error;

/// What the cache already holds for the file, as seen just before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheState {
    /// `snapshots/<commit>/<path>` exists (and resolves).
    pub pointer_exists: bool,
    /// `blobs/<etag>` exists.
    pub blob_exists: bool,
}

/// What to do once the metadata (commit, etag) is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheDecision {
    /// The snapshot already has the file.
    UsePointer,
    /// The blob is there (another revision shares it): only link it.
    LinkBlob,
    /// Download the blob, then link it.
    Download,
}

/// Cache mode, after a successful metadata call.
pub(crate) fn decide_cache(force_download: bool, state: CacheState) -> CacheDecision {
    if force_download {
        CacheDecision::Download
    } else if state.pointer_exists {
        CacheDecision::UsePointer
    } else if state.blob_exists {
        CacheDecision::LinkBlob
    } else {
        CacheDecision::Download
    }
}

/// How a failed metadata call is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadFailure {
    /// Raise at once (`RevisionNotFound`, `EntryNotFound`, invalid arguments).
    Raise,
    /// Fall back to the cached copy, if any (network down, timeouts, offline, other HTTP errors
    /// including 401/403/5xx, missing metadata headers).
    FallBack,
}

/// Classifies a metadata error as Python's `_get_metadata_or_catch_error` does.
pub(crate) fn classify_head_error(err: &hub_core::Error) -> HeadFailure {
    match err {
        Error::RevisionNotFound(_) | Error::EntryNotFound(_) | Error::InvalidArgument(_) => {
            HeadFailure::Raise
        }
        _ => HeadFailure::FallBack,
    }
}

/// The error returned when the metadata call failed and nothing usable is cached (Python's
/// `_raise_on_head_call_error`). `what` names the file for the message.
pub(crate) fn error_after_head_failure(
    err: hub_core::Error,
    force_download: bool,
    local_files_only: bool,
    what: &str,
) -> Error {
    if force_download {
        let msg = if local_files_only {
            "Cannot pass 'force_download=True' and 'local_files_only=True' at the same time."
                .to_owned()
        } else if matches!(err, Error::OfflineModeIsEnabled(_)) {
            "Cannot pass 'force_download=True' when offline mode is enabled.".to_owned()
        } else {
            format!("Force download failed due to the above error: {err}")
        };
        return Error::InvalidArgument(msg);
    }
    if local_files_only {
        return Error::LocalEntryNotFound(format!(
            "Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable hf.co look-ups and downloads online, set 'local_files_only' to False. ({what})"
        ));
    }
    match err {
        Error::RepositoryNotFound(_) | Error::GatedRepo(_) => err,
        Error::OfflineModeIsEnabled(_) => Error::LocalEntryNotFound(format!(
            "Cannot find the requested files in the disk cache and outgoing traffic has been disabled (HF_HUB_OFFLINE=1). Unset HF_HUB_OFFLINE to download {what}."
        )),
        other => Error::LocalEntryNotFound(format!(
            "An error happened while trying to locate the file on the Hub and we cannot find the requested files in the local cache. Please check your connection and try again or make sure your Internet connection is on. ({what}; cause: {other})"
        )),
    }
}

/// What a `local_dir` holds for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalState {
    /// `<local_dir>/<path>` is a regular file.
    pub file_exists: bool,
    /// Trusted metadata (`commit`, `etag`), if any: present, parsable, and not older than the
    /// file's mtime − 1 s.
    pub metadata: Option<(String, String)>,
}

/// `local_dir` decision before any network call: a commit-hash revision already recorded in the
/// metadata is served as is.
pub(crate) fn local_dir_skip_network(
    force_download: bool,
    revision: &str,
    state: &LocalState,
) -> bool {
    !force_download
        && hub_core::repo::is_commit_hash(revision)
        && state.file_exists
        && state
            .metadata
            .as_ref()
            .is_some_and(|(commit, _)| commit == revision)
}

/// `local_dir` decision once the etag is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalDecision {
    /// Same etag as recorded: refresh the metadata, keep the file.
    RefreshMetadata,
    /// No metadata and the etag is a sha256: hash the local file and compare.
    HashLocalFile,
    /// Copy from the main cache if it has the file at this commit, else download.
    CopyOrDownload,
}

/// Protocol §12.2, in Python's order.
pub(crate) fn decide_local_dir(
    force_download: bool,
    state: &LocalState,
    etag: &str,
) -> LocalDecision {
    if !force_download && state.file_exists {
        match &state.metadata {
            Some((_, recorded)) if recorded == etag => return LocalDecision::RefreshMetadata,
            None if is_sha256(etag) => return LocalDecision::HashLocalFile,
            _ => {}
        }
    }
    LocalDecision::CopyOrDownload
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_err(status: u16, code: Option<&str>) -> hub_core::Error {
        let mut h = reqwest::header::HeaderMap::new();
        if let Some(c) = code {
            h.insert("x-error-code", c.parse().unwrap());
        }
        hub_core::error::map_status(status, "http://h/x", &h, b"").unwrap()
    }

    #[test]
    fn cache_decisions() {
        let s = |p, b| CacheState {
            pointer_exists: p,
            blob_exists: b,
        };
        assert_eq!(
            decide_cache(false, s(true, true)),
            CacheDecision::UsePointer
        );
        assert_eq!(decide_cache(false, s(false, true)), CacheDecision::LinkBlob);
        assert_eq!(
            decide_cache(false, s(false, false)),
            CacheDecision::Download
        );
        assert_eq!(decide_cache(true, s(true, true)), CacheDecision::Download);
    }

    #[test]
    fn head_errors() {
        assert_eq!(
            classify_head_error(&http_err(404, Some("EntryNotFound"))),
            HeadFailure::Raise
        );
        assert_eq!(
            classify_head_error(&http_err(404, Some("RevisionNotFound"))),
            HeadFailure::Raise
        );
        assert_eq!(
            classify_head_error(&http_err(404, Some("RepoNotFound"))),
            HeadFailure::FallBack
        );
        assert_eq!(
            classify_head_error(&http_err(500, None)),
            HeadFailure::FallBack
        );
        assert_eq!(
            classify_head_error(&Error::OfflineModeIsEnabled("x".into())),
            HeadFailure::FallBack
        );
        let e = error_after_head_failure(http_err(404, Some("RepoNotFound")), false, false, "f");
        assert!(matches!(e, Error::RepositoryNotFound(_)));
        let e = error_after_head_failure(http_err(500, None), false, false, "f");
        assert!(e.is_local_entry_not_found());
        let e = error_after_head_failure(http_err(500, None), false, true, "f");
        assert!(e.to_string().contains("local_files_only"), "{e}");
        let e = error_after_head_failure(http_err(500, None), true, false, "f");
        assert!(matches!(e, Error::InvalidArgument(_)));
    }

    #[test]
    fn local_dir_decisions() {
        let sha = "a".repeat(64);
        let st = |f, m: Option<(&str, &str)>| LocalState {
            file_exists: f,
            metadata: m.map(|(c, e)| (c.to_owned(), e.to_owned())),
        };
        let commit = "c".repeat(40);
        assert!(local_dir_skip_network(
            false,
            &commit,
            &st(true, Some((&commit, "e")))
        ));
        assert!(!local_dir_skip_network(
            false,
            "main",
            &st(true, Some((&commit, "e")))
        ));
        assert!(!local_dir_skip_network(
            true,
            &commit,
            &st(true, Some((&commit, "e")))
        ));
        assert!(!local_dir_skip_network(
            false,
            &commit,
            &st(false, Some((&commit, "e")))
        ));
        assert_eq!(
            decide_local_dir(false, &st(true, Some(("c", "e"))), "e"),
            LocalDecision::RefreshMetadata
        );
        assert_eq!(
            decide_local_dir(false, &st(true, Some(("c", "x"))), "e"),
            LocalDecision::CopyOrDownload
        );
        assert_eq!(
            decide_local_dir(false, &st(true, None), &sha),
            LocalDecision::HashLocalFile
        );
        assert_eq!(
            decide_local_dir(false, &st(true, None), "e"),
            LocalDecision::CopyOrDownload
        );
        assert_eq!(
            decide_local_dir(true, &st(true, Some(("c", "e"))), "e"),
            LocalDecision::CopyOrDownload
        );
        assert_eq!(
            decide_local_dir(false, &st(false, None), &sha),
            LocalDecision::CopyOrDownload
        );
    }
}
