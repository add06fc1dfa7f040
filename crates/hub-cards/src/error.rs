//! The error type of hub-cards.

/// Every error hub-cards returns. Errors about the card's text name the line (1-based, counted
/// in the whole card file, front matter included).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The front matter is not valid YAML (or uses YAML that PyYAML's safe loader rejects).
    #[error(
        "invalid YAML in the card metadata at line {line}, column {column}: {message}. Fix the YAML between the `---` lines."
    )]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The front matter is valid YAML but not a mapping (`key: value` lines).
    #[error(
        "repo card metadata block should be a dict: the YAML at line {line} is a {found}. Write the metadata as `key: value` lines."
    )]
    NotAMapping {
        /// 1-based line of the YAML document.
        line: usize,
        /// What was found instead (`list`, `str`, ...).
        found: &'static str,
    },
    /// The `model-index` has the wrong shape (missing `name`, `results`, `task.type`, ...).
    #[error(
        "invalid `model-index` in the card metadata{}: {message}. Fix it, or load with `ignore_metadata_errors` to drop it (its eval results are then lost).",
        line.map(|l| format!(" at line {l}")).unwrap_or_default()
    )]
    ModelIndex {
        /// 1-based line of the `model-index` key, when it came from a card's text.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A metadata value conflicts with the one already in the card (see `metadata_update`).
    #[error("{0} Set `overwrite(true)` to overwrite existing metadata.")]
    Conflict(String),
    /// An argument is invalid (e.g. eval results without a model name).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The Hub rejected the card's metadata (`POST /api/validate-yaml` answered 400).
    #[error("the Hub rejected the card metadata: {0}")]
    Rejected(String),
    /// A card template failed to parse or render.
    #[error("card template error: {0}")]
    Template(#[from] minijinja::Error),
    /// Reading or writing a card file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`, `writing`).
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error from the Hub client (HTTP, authentication, repository not found, ...); it is
    /// this error's `source()`.
    #[error("{0}")]
    Hub(#[from] hub_core::Error),
}

impl Error {
    /// The 1-based line of the card this error is about, when it is about a line.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Yaml { line, .. } | Error::NotAMapping { line, .. } => Some(*line),
            Error::ModelIndex { line, .. } => *line,
            _ => None,
        }
    }

    /// The kind of error, shared with the whole hub-rs family.
    pub fn kind(&self) -> hub_core::ErrorKind {
        use hub_core::ErrorKind;
        match self {
            Error::Hub(e) => e.kind(),
            Error::Yaml { .. } | Error::NotAMapping { .. } | Error::ModelIndex { .. } => {
                ErrorKind::InvalidArgument
            }
            Error::InvalidArgument(_) | Error::Template(_) => ErrorKind::InvalidArgument,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Rejected(_) => ErrorKind::BadRequest,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// The Hub client error inside, if any.
    pub fn as_hub(&self) -> Option<&hub_core::Error> {
        match self {
            Error::Hub(e) => Some(e),
            _ => None,
        }
    }

    /// Shifts the line of a text error by `offset` lines (front matter → whole file).
    pub(crate) fn offset_lines(self, offset: usize) -> Self {
        match self {
            Error::Yaml {
                line,
                column,
                message,
            } => Error::Yaml {
                line: line + offset,
                column,
                message,
            },
            Error::NotAMapping { line, found } => Error::NotAMapping {
                line: line + offset,
                found,
            },
            Error::ModelIndex { line, message } => Error::ModelIndex {
                line: line.map(|l| l + offset),
                message,
            },
            other => other,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
