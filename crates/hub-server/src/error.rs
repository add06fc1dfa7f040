//! The one error type every handler returns, rendered the way the Hub renders errors:
//! status code + `X-Error-Code` + `X-Error-Message` headers + JSON body `{"error": ...}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Missing repo, or a private repo the caller may not see (404 `RepoNotFound`).
    #[error("{0}")]
    RepoNotFound(String),
    /// Missing branch/tag/commit (404 `RevisionNotFound`).
    #[error("{0}")]
    RevisionNotFound(String),
    /// Missing file or folder (404 `EntryNotFound`); carries the resolved commit when known.
    #[error("{message}")]
    EntryNotFound {
        /// Message for the client.
        message: String,
        /// Commit the revision resolved to (sent as `X-Repo-Commit`).
        commit: Option<String>,
    },
    /// Gated repo file access without permission (401 anonymous / 403 authenticated).
    #[error("{message}")]
    GatedRepo {
        /// Message for the client.
        message: String,
        /// 401 or 403.
        status: StatusCode,
    },
    /// No or invalid credentials for an operation that needs them (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Malformed request (400).
    #[error("{0}")]
    BadRequest(String),
    /// Something else that does not exist (404 without Hub error code).
    #[error("{0}")]
    NotFound(String),
    /// Already exists (409); extra JSON fields (such as `url`) are merged into the body.
    #[error("{message}")]
    Conflict {
        /// Message for the client.
        message: String,
        /// Extra body fields.
        extra: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// `parentCommit` is not the branch head (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// Invalid path or value (422).
    #[error("{0}")]
    Unprocessable(String),
    /// Unsatisfiable range (416) for a resource of `size` bytes.
    #[error("Requested range not satisfiable")]
    RangeNotSatisfiable {
        /// Resource size, sent as `Content-Range: bytes */size`.
        size: u64,
    },
    /// Body too large (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Server-side failure (500). The detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Handler result.
pub type HubResult<T> = Result<T, HubError>;

impl HubError {
    /// Convenience constructor for `EntryNotFound`.
    pub fn entry(message: impl Into<String>, commit: Option<String>) -> Self {
        HubError::EntryNotFound {
            message: message.into(),
            commit,
        }
    }
    /// Convenience constructor for a 409 without extra fields.
    pub fn conflict(message: impl Into<String>) -> Self {
        HubError::Conflict {
            message: message.into(),
            extra: None,
        }
    }
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            HubError::RepoNotFound(_)
            | HubError::RevisionNotFound(_)
            | HubError::EntryNotFound { .. } => StatusCode::NOT_FOUND,
            HubError::NotFound(_) => StatusCode::NOT_FOUND,
            HubError::GatedRepo { status, .. } => *status,
            HubError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HubError::Conflict { .. } => StatusCode::CONFLICT,
            HubError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            HubError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            HubError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HubError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn code(&self) -> Option<&'static str> {
        match self {
            HubError::RepoNotFound(_) => Some("RepoNotFound"),
            HubError::RevisionNotFound(_) => Some("RevisionNotFound"),
            HubError::EntryNotFound { .. } => Some("EntryNotFound"),
            HubError::GatedRepo { .. } => Some("GatedRepo"),
            _ => None,
        }
    }
}

impl From<std::io::Error> for HubError {
    fn from(e: std::io::Error) -> Self {
        HubError::Internal(e.to_string())
    }
}

/// Makes a header-safe version of a message (ASCII printable only).
fn header_safe(s: &str) -> HeaderValue {
    let cleaned: String = s
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { ' ' })
        .take(500)
        .collect();
    HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            HubError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "Internal Error".to_string()
            }
            other => other.to_string(),
        };
        let mut body = serde_json::Map::new();
        body.insert("error".into(), serde_json::Value::String(message.clone()));
        if let HubError::Conflict {
            extra: Some(extra), ..
        } = &self
        {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        let mut resp = (status, axum::Json(serde_json::Value::Object(body))).into_response();
        let h = resp.headers_mut();
        if let Some(code) = self.code() {
            h.insert("x-error-code", HeaderValue::from_static(code));
        }
        h.insert("x-error-message", header_safe(&message));
        if let HubError::EntryNotFound {
            commit: Some(c), ..
        } = &self
            && let Ok(v) = HeaderValue::from_str(c)
        {
            h.insert("x-repo-commit", v);
        }
        if let HubError::RangeNotSatisfiable { size } = &self
            && let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            h.insert("content-range", v);
        }
        resp
    }
}
