//! Errors of the Inference Endpoints and Space runtime APIs.

use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while managing an Inference Endpoint or a Space.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the shared family (not found, bad request, 401, timeout, …); it is this
    /// error's `source()`.
    #[error("{0}")]
    Hub(#[from] hub_core::Error),
    /// An error of the inference client handed out by [`InferenceEndpoint::client`](crate::InferenceEndpoint::client);
    /// it is this error's `source()`.
    #[error("{0}")]
    Inference(#[from] hub_inference::Error),
    /// `wait()` ran out of time (Python's `InferenceEndpointTimeoutError`).
    #[error("Timeout while waiting for Inference Endpoint to be deployed.")]
    InferenceEndpointTimeout {
        /// Endpoint name.
        name: String,
        /// The timeout that expired.
        timeout: Duration,
        /// Last state seen.
        last_state: String,
    },
    /// The endpoint is in a failed state, or cannot do what was asked (Python's
    /// `InferenceEndpointError`).
    #[error("Inference Endpoint {name}: {message}")]
    InferenceEndpoint {
        /// Endpoint name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// [`InferenceEndpoint::client`](crate::InferenceEndpoint::client) was called before the
    /// endpoint had a URL.
    #[error(
        "Cannot create a client for this Inference Endpoint as it is not yet deployed. Please wait for the Inference Endpoint to be deployed using `endpoint.wait()` and try again."
    )]
    NotDeployed {
        /// Endpoint name.
        name: String,
    },
    /// An argument was rejected before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// The kind of error, shared with the whole hub-rs family.
    pub fn kind(&self) -> hub_core::ErrorKind {
        use hub_core::ErrorKind;
        match self {
            Error::Hub(e) => e.kind(),
            Error::Inference(e) => e.kind(),
            Error::InferenceEndpointTimeout { .. } => ErrorKind::Timeout,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::InferenceEndpoint { .. } | Error::NotDeployed { .. } => ErrorKind::Service,
        }
    }

    /// True for [`Error::InferenceEndpointTimeout`] and for timeouts of the requests made.
    pub fn is_timeout(&self) -> bool {
        self.kind().is_timeout()
    }

    /// HTTP status of an HTTP-derived error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Hub(e) => e.status(),
            Error::Inference(e) => e.status(),
            _ => None,
        }
    }
}
