//! Git smart-HTTP bridge to `git http-backend` (CGI).

use axum::response::{IntoResponse, Response};

/// Serves one git smart-HTTP request for the bare repository `git_dir`.
pub async fn serve_git(
    _git_dir: std::path::PathBuf,
    _req: axum::extract::Request,
    _user: Option<String>,
    _can_write: bool,
) -> Response {
    http::StatusCode::NOT_IMPLEMENTED.into_response()
}
