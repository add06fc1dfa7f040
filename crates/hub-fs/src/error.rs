//! The file system's error type.

use hub_core::ErrorKind;

/// Why a path was not found; the same distinctions Python's `FileNotFoundError` messages make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundReason {
    /// The repository does not exist (or the token cannot see it).
    Repository,
    /// The repository exists but not the revision.
    Revision,
    /// The path names no valid repository id.
    InvalidRepoId,
    /// Repository and revision exist, the path in it does not.
    Path,
}

impl std::fmt::Display for NotFoundReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotFoundReason::Repository => {
                "repository not found; check the repository id, its type prefix (datasets/, spaces/) and your token"
            }
            NotFoundReason::Revision => {
                "revision not found; check the branch, tag or commit after '@' (quote a revision containing '/')"
            }
            NotFoundReason::InvalidRepoId => {
                "invalid repository id; paths look like [datasets/|spaces/]namespace/name[@revision]/path"
            }
            NotFoundReason::Path => "no such file or directory at this revision",
        })
    }
}

/// An error of [`crate::HfFileSystem`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The path does not exist (Python's `FileNotFoundError`).
    #[error("{path} ({reason})")]
    NotFound {
        /// The path as given (without `hf://`).
        path: String,
        /// Which part is missing.
        reason: NotFoundReason,
    },
    /// The path names no repository (the root, `datasets/`, or an unknown id without a
    /// `/`): listing repositories is not a file-system operation.
    #[error(
        "'{0}' does not name an existing repository: access to repositories lists is not implemented. Use `HfApi::list_models`/`list_datasets`/`list_spaces` to list repositories."
    )]
    RepoListing(String),
    /// The path is a directory where a file is needed (or the reverse).
    #[error("{path}: {message}")]
    WrongKind {
        /// The path as given.
        path: String,
        /// What was expected.
        message: String,
    },
    /// An argument is invalid.
    #[error("{0}")]
    InvalidArgument(String),
    /// Content read from the Hub could not be parsed (a safetensors header, an index file).
    #[error("{0}")]
    Parse(String),
    /// The Hub or the transport failed.
    #[error("{0}")]
    Hub(#[from] hub_core::Error),
    /// A local file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl FsError {
    /// The error family, as hub-core classifies errors.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FsError::NotFound { reason, .. } => match reason {
                NotFoundReason::Repository => ErrorKind::RepositoryNotFound,
                NotFoundReason::Revision => ErrorKind::RevisionNotFound,
                NotFoundReason::InvalidRepoId => ErrorKind::InvalidArgument,
                NotFoundReason::Path => ErrorKind::EntryNotFound,
            },
            FsError::RepoListing(_) | FsError::InvalidArgument(_) | FsError::WrongKind { .. } => {
                ErrorKind::InvalidArgument
            }
            FsError::Parse(_) => ErrorKind::Decode,
            FsError::Hub(e) => e.kind(),
            FsError::Io { .. } => ErrorKind::Io,
        }
    }

    /// Whether this is a "not found" answer (what Python raises as `FileNotFoundError`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::NotFound { .. })
    }

    pub(crate) fn path_not_found(path: &str) -> FsError {
        FsError::NotFound {
            path: path.to_owned(),
            reason: NotFoundReason::Path,
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = FsError> = std::result::Result<T, E>;
