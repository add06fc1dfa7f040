//! Errors of the inference client.

use std::path::PathBuf;
use std::time::Duration;

use hub_core::ErrorKind;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while calling an inference server.
///
/// Variants carry the server's own words where there are some (`message`), so callers can show
/// them; match on the variant, not on the text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the shared family: an HTTP error that has no inference-specific meaning
    /// (401, 404, 500, …), a timeout, offline mode. It is this error's `source()`, so code that
    /// walks the chain finds it ([`hub_core::error::find_in_chain`]).
    #[error("{0}")]
    Hub(#[from] hub_core::Error),
    /// The request did not finish within the client's timeout (including waiting for a model to
    /// load), or a stream stayed silent for longer than the timeout.
    #[error("inference request to {url} timed out after {timeout:?}")]
    InferenceTimeout {
        /// URL of the request.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The server rejected the inputs or parameters (HTTP 422, or TGI `error_type: validation`).
    #[error("validation error: {message}")]
    Validation {
        /// HTTP status, when the error came as a status rather than inside a stream.
        status: Option<u16>,
        /// The server's message.
        message: String,
    },
    /// The model is still loading (HTTP 503) and waiting for it was disabled.
    #[error("model is loading: {message}")]
    ModelLoading {
        /// The server's message.
        message: String,
        /// Server's estimate of the remaining loading time, in seconds.
        estimated_time: Option<f64>,
    },
    /// TGI `error_type: generation`: generation failed on the server.
    #[error("generation error: {message}")]
    Generation {
        /// The server's message.
        message: String,
    },
    /// TGI `error_type: incomplete_generation`.
    #[error("incomplete generation: {message}")]
    IncompleteGeneration {
        /// The server's message.
        message: String,
    },
    /// TGI `error_type: overloaded`: the server is overloaded, retry later.
    #[error("server overloaded: {message}")]
    Overloaded {
        /// The server's message.
        message: String,
    },
    /// An error event inside a successful (200) stream, or a TGI error with an unknown type.
    #[error("server error{}: {message}", error_type.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Server {
        /// `error_type` sent by the server, if any.
        error_type: Option<String>,
        /// The server's message.
        message: String,
    },
    /// A response body was not what the task returns.
    #[error("could not decode the {what} response: {source}")]
    Decode {
        /// What was being decoded (task name or `stream event`).
        what: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Reading a local input file failed.
    #[error("could not read {}: {source}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "input".into()))]
    Io {
        /// The file, when the input was a path.
        path: Option<PathBuf>,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The legacy [`crate::InferenceApi`] was forced to a task it does not know (nothing was
    /// sent).
    #[error(
        "unknown task {task:?}: pass one of hub_inference::LEGACY_TASKS, or no task to use the model's pipeline_tag"
    )]
    UnknownTask {
        /// The task given.
        task: String,
    },
    /// The legacy [`crate::InferenceApi`] got no task and the model has no `pipeline_tag`.
    #[error(
        "model {repo_id} has no pipeline_tag: pass a task, or add `pipeline_tag` to its model card"
    )]
    NoTask {
        /// The model.
        repo_id: String,
    },
    /// An image answer could not be decoded.
    #[error("could not decode the image answered for task {task:?}: {message}")]
    Image {
        /// The task.
        task: String,
        /// The decoder's message.
        message: String,
    },
    /// An argument was invalid before anything was sent (bad URL, empty input, bad header, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The model or server cannot do what was asked (e.g. streaming from a non-TGI model, or no
    /// recommended model for a task).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl Error {
    /// The kind of error, shared with the whole hub-rs family: inference-specific variants are
    /// [`ErrorKind::Service`] except where a shared kind says more (a timeout, a rejected input,
    /// an invalid argument, a local I/O failure).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Hub(e) => e.kind(),
            Error::InferenceTimeout { .. } => ErrorKind::Timeout,
            Error::Validation { .. } => ErrorKind::BadRequest,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Io { .. } => ErrorKind::Io,
            Error::InvalidArgument(_) | Error::UnknownTask { .. } | Error::NoTask { .. } => {
                ErrorKind::InvalidArgument
            }
            Error::Image { .. } => ErrorKind::Decode,
            Error::ModelLoading { .. }
            | Error::Generation { .. }
            | Error::IncompleteGeneration { .. }
            | Error::Overloaded { .. }
            | Error::Server { .. }
            | Error::Unsupported(_) => ErrorKind::Service,
        }
    }

    /// The error of the shared family inside, if this is one.
    pub fn as_hub(&self) -> Option<&hub_core::Error> {
        match self {
            Error::Hub(e) => Some(e),
            _ => None,
        }
    }

    /// True for [`Error::InferenceTimeout`] and for transport timeouts.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::InferenceTimeout { .. } => true,
            Error::Hub(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// HTTP status of the failed response, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Hub(e) => e.status(),
            Error::Validation { status, .. } => *status,
            Error::ModelLoading { .. } => Some(503),
            _ => None,
        }
    }

    /// The server's message, when the server sent one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Error::Hub(e) => e.server_message(),
            Error::Validation { message, .. }
            | Error::ModelLoading { message, .. }
            | Error::Generation { message }
            | Error::IncompleteGeneration { message }
            | Error::Overloaded { message }
            | Error::Server { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Maps a TGI `{"error": ..., "error_type": ...}` pair to a variant.
    pub(crate) fn from_tgi(
        error_type: Option<&str>,
        message: String,
        status: Option<u16>,
    ) -> Error {
        match error_type {
            Some("validation") => Error::Validation { status, message },
            Some("generation") => Error::Generation { message },
            Some("incomplete_generation") => Error::IncompleteGeneration { message },
            Some("overloaded") => Error::Overloaded { message },
            other => Error::Server {
                error_type: other.map(str::to_owned),
                message,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }

    #[test]
    fn tgi_error_types_map_to_variants() {
        assert!(matches!(
            Error::from_tgi(Some("validation"), "m".into(), Some(422)),
            Error::Validation {
                status: Some(422),
                ..
            }
        ));
        assert!(matches!(
            Error::from_tgi(Some("overloaded"), "m".into(), None),
            Error::Overloaded { .. }
        ));
        assert!(matches!(
            Error::from_tgi(Some("generation"), "m".into(), None),
            Error::Generation { .. }
        ));
        assert!(matches!(
            Error::from_tgi(Some("incomplete_generation"), "m".into(), None),
            Error::IncompleteGeneration { .. }
        ));
        let e = Error::from_tgi(Some("weird"), "boom".into(), None);
        assert_eq!(e.to_string(), "server error (weird): boom");
        assert_eq!(e.server_message(), Some("boom"));
    }
}
