//! The error family of hub-rs.
//!
//! [`Error`] is a `#[non_exhaustive]` enum whose variants carry Hub meanings, as Python's
//! exception classes do: callers `match` on [`Error::RepositoryNotFound`] where Python code
//! catches `RepositoryNotFoundError`. HTTP-derived variants carry a boxed [`HttpContext`]
//! (status, URL without its query string, request id, `X-Error-Code`, server message), so the
//! enum stays small. [`map_status`] is the single place where a response becomes an error, in
//! the order of Python's `hf_raise_for_status`.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// Shorthand for `Result<T, hub_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the server said about a failed HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpContext {
    /// HTTP status code.
    pub status: u16,
    /// Request URL with its query string removed (presigned URLs carry credentials there).
    pub url: String,
    /// `x-request-id` (or `X-Amzn-Trace-Id`) of the response.
    pub request_id: Option<String>,
    /// `X-Error-Code` header.
    pub error_code: Option<String>,
    /// Message extracted from `X-Error-Message` and the JSON/text body.
    pub server_message: Option<String>,
    /// For 429: how long the server asked us to wait.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for HttpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Unknown");
        let side = if self.status >= 500 {
            "Server"
        } else {
            "Client"
        };
        write!(
            f,
            "{} {side} Error: {reason} for url: {}",
            self.status, self.url
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (Request ID: {id})")?;
        }
        if let Some(msg) = &self.server_message {
            write!(f, "\n\n{msg}")?;
        }
        Ok(())
    }
}

/// Every error hub-rs libraries return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The repository does not exist, or it is private and the token cannot see it.
    #[error(
        "Repository Not Found. {0}\nMake sure you specified the correct `repo_id` and `repo_type`. If you are trying to access a private or gated repo, make sure you are authenticated (`huggingface-cli login` or HF_TOKEN)."
    )]
    RepositoryNotFound(Box<HttpContext>),
    /// The repository is gated and the token has no access yet.
    #[error(
        "Cannot access gated repo. {0}\nAsk for access on the repository page, then retry with a token of an account that was granted access."
    )]
    GatedRepo(Box<HttpContext>),
    /// Access to the repository was disabled by the Hub.
    #[error("Cannot access repository: access to this resource is disabled. {0}")]
    DisabledRepo(Box<HttpContext>),
    /// The revision (branch, tag, commit, PR ref) does not exist.
    #[error(
        "Revision Not Found. {0}\nCheck the branch, tag or commit name (full 40-character commit ids only)."
    )]
    RevisionNotFound(Box<HttpContext>),
    /// The file does not exist at that revision.
    #[error("Entry Not Found. {0}")]
    EntryNotFound(Box<HttpContext>),
    /// The server refused the request as malformed (HTTP 400).
    #[error("Bad request: {0}")]
    BadRequest(Box<HttpContext>),
    /// The server asked us to slow down (HTTP 429) and retries were exhausted.
    #[error(
        "Rate limited by the server. {0}\nWait a moment and retry, or authenticate to get a higher limit."
    )]
    RateLimited(Box<HttpContext>),
    /// Any other HTTP error status.
    #[error("{0}")]
    HubHttp(Box<HttpContext>),
    /// The request could not be sent or the response could not be read (connection refused,
    /// timeout, TLS, truncated body).
    #[error("Request to {url} failed: {source}")]
    Transport {
        /// Request URL without query string.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with a body we could not decode.
    #[error("Unexpected response from {url}: {message}")]
    Decode {
        /// Request URL without query string.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The response lacked metadata the protocol requires (e.g. `X-Repo-Commit`, `ETag`).
    #[error("File metadata missing from the server's answer for {url}: {message}")]
    FileMetadata {
        /// Request URL without query string.
        url: String,
        /// What was missing.
        message: String,
    },
    /// The file is not in the local cache and the network may not be used.
    #[error("{0}")]
    LocalEntryNotFound(String),
    /// `HF_HUB_OFFLINE` is set, so no HTTP call is made.
    #[error(
        "Offline mode is enabled (HF_HUB_OFFLINE=1): {0}. Unset HF_HUB_OFFLINE to reach the Hub."
    )]
    OfflineModeIsEnabled(String),
    /// An argument failed validation.
    #[error("{0}")]
    Validation(String),
    /// A token is needed and none was found.
    #[error("{0}")]
    Unauthenticated(String),
    /// A token from the environment (`HF_TOKEN`) is active, so logging out (or switching) in
    /// the token files cannot change which token is used.
    #[error("{0}")]
    EnvironmentToken(String),
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Data on disk or on the wire is inconsistent (hash or size mismatch, damaged cache).
    #[error("{0}")]
    Corrupted(String),
}

impl Error {
    /// A validation error with `message`.
    pub fn validation(message: impl Into<String>) -> Self {
        Error::Validation(message.into())
    }

    /// An I/O error with context (say what was done and to which path).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A transport error for `url` (its query string is removed).
    pub fn transport(url: &str, source: reqwest::Error) -> Self {
        Error::Transport {
            url: redact_url(url),
            source: source.without_url(),
        }
    }

    /// A decode error for `url`.
    pub fn decode(url: &str, message: impl Into<String>) -> Self {
        Error::Decode {
            url: redact_url(url),
            message: message.into(),
        }
    }

    /// The HTTP context of HTTP-derived errors.
    pub fn http_context(&self) -> Option<&HttpContext> {
        match self {
            Error::RepositoryNotFound(c)
            | Error::GatedRepo(c)
            | Error::DisabledRepo(c)
            | Error::RevisionNotFound(c)
            | Error::EntryNotFound(c)
            | Error::BadRequest(c)
            | Error::RateLimited(c)
            | Error::HubHttp(c) => Some(c),
            _ => None,
        }
    }

    /// The HTTP status, for HTTP-derived errors.
    pub fn status(&self) -> Option<u16> {
        self.http_context().map(|c| c.status)
    }

    /// The server's request id, for HTTP-derived errors.
    pub fn request_id(&self) -> Option<&str> {
        self.http_context().and_then(|c| c.request_id.as_deref())
    }

    /// The server's message, for HTTP-derived errors.
    pub fn server_message(&self) -> Option<&str> {
        self.http_context()
            .and_then(|c| c.server_message.as_deref())
    }

    /// Whether retrying the same request may succeed: connection errors, timeouts, truncated
    /// bodies, 408, 429, 500, 502, 503, 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                source.is_timeout()
                    || source.is_connect()
                    || source.is_body()
                    || source.is_request()
            }
            Error::RateLimited(_) => true,
            Error::HubHttp(c) => is_retryable_status(c.status),
            _ => false,
        }
    }

    /// Whether the error proves the server did not act on the request, so that even a request
    /// that changes state may be sent again: the connection could not be made, or the answer
    /// was 429 (rate limited) or 503 (unavailable).
    pub fn proves_not_processed(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_connect(),
            Error::RateLimited(_) => true,
            Error::HubHttp(c) => c.status == 503,
            _ => false,
        }
    }

    /// Whether this is a timeout (looks through the transport error).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_timeout())
    }

    /// Whether the error says "this does not exist" (repo, revision or entry).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::RepositoryNotFound(_) | Error::RevisionNotFound(_) | Error::EntryNotFound(_)
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io {
            context: "I/O error".to_owned(),
            source,
        }
    }
}

/// Whether a status is worth retrying.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Removes the query string and fragment (presigned URLs carry credentials) and any userinfo.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or("").to_owned(),
    }
}

/// Extracts the server message as Python does: `X-Error-Message`, then the JSON body's `error`
/// (string or list) and every `errors[].message`, or the raw text of a non-HTML body.
pub fn server_message(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = header_str(headers, "x-error-message") {
        parts.push(m.to_owned());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => {
            match json.get("error") {
                Some(serde_json::Value::String(s)) => parts.push(s.clone()),
                Some(serde_json::Value::Array(items)) => {
                    parts.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)))
                }
                Some(serde_json::Value::Object(o)) => {
                    if let Some(m) = o.get("message").and_then(|m| m.as_str()) {
                        parts.push(m.to_owned());
                    }
                }
                _ => {}
            }
            if let Some(desc) = json.get("error_description").and_then(|d| d.as_str()) {
                parts.push(desc.to_owned());
            }
            if let Some(errors) = json.get("errors").and_then(|e| e.as_array()) {
                parts.extend(
                    errors
                        .iter()
                        .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                        .map(str::to_owned),
                );
            }
        }
        Err(_) => {
            let is_html = header_str(headers, "content-type")
                .map(|c| c.to_ascii_lowercase().contains("html"))
                .unwrap_or(false);
            if !is_html && !body.is_empty() {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                if !text.is_empty() {
                    // Keep messages readable: a huge text body is cut.
                    let cut: String = text.chars().take(2000).collect();
                    parts.push(cut);
                }
            }
        }
    }
    let mut seen = Vec::new();
    for p in parts {
        if !p.is_empty() && !seen.contains(&p) {
            seen.push(p);
        }
    }
    if seen.is_empty() {
        None
    } else {
        Some(seen.join("\n"))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parses `Retry-After: <seconds>` and `RateLimit: "...";r=<remaining>;t=<reset>` (wait `t+1`
/// when `r=0`), returning how long to wait.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(s) = header_str(headers, "retry-after")
        && let Ok(secs) = s.trim().parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(3600.0)));
    }
    let rl = header_str(headers, "ratelimit")?;
    let mut remaining = None;
    let mut reset = None;
    for part in rl.split([';', ',']) {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("r=") {
            remaining = v.trim().parse::<u64>().ok();
        } else if let Some(v) = part.strip_prefix("t=") {
            reset = v.trim().parse::<u64>().ok();
        }
    }
    match (remaining, reset) {
        (Some(0), Some(t)) => Some(Duration::from_secs(t.min(3600) + 1)),
        _ => None,
    }
}

/// Turns a failed response into the right [`Error`] variant, in the order of Python's
/// `hf_raise_for_status`. Returns `None` for statuses below 400.
pub fn map_status(status: u16, url: &str, headers: &HeaderMap, body: &[u8]) -> Option<Error> {
    if status < 400 {
        return None;
    }
    let error_code = header_str(headers, "x-error-code").map(str::to_owned);
    let error_message = header_str(headers, "x-error-message");
    let request_id = header_str(headers, "x-request-id")
        .or_else(|| header_str(headers, "x-amzn-trace-id"))
        .map(str::to_owned);
    let mut ctx = HttpContext {
        status,
        url: redact_url(url),
        request_id,
        error_code: error_code.clone(),
        server_message: server_message(headers, body),
        retry_after: None,
    };
    let is_repo_url = {
        // Python's 401 fallback only fires for https URLs of repo API or resolve routes.
        static RE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^https://[^/]+(/api/(models|datasets|spaces)/.+|/.+/resolve/.+)")
                .ok()
        });
        RE.as_ref().map(|re| re.is_match(url)).unwrap_or(false)
    };
    let boxed = |c: HttpContext| Box::new(c);
    Some(match error_code.as_deref() {
        Some("RevisionNotFound") => Error::RevisionNotFound(boxed(ctx)),
        Some("EntryNotFound") => Error::EntryNotFound(boxed(ctx)),
        Some("GatedRepo") => Error::GatedRepo(boxed(ctx)),
        _ if error_message == Some("Access to this resource is disabled.") => {
            Error::DisabledRepo(boxed(ctx))
        }
        Some("RepoNotFound") => Error::RepositoryNotFound(boxed(ctx)),
        _ if status == 401
            && is_repo_url
            && error_message != Some("Invalid credentials in Authorization header") =>
        {
            Error::RepositoryNotFound(boxed(ctx))
        }
        _ if status == 400 => Error::BadRequest(boxed(ctx)),
        _ if status == 429 => {
            ctx.retry_after = retry_after(headers);
            Error::RateLimited(boxed(ctx))
        }
        _ => Error::HubHttp(boxed(ctx)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(
            std::mem::size_of::<Error>() <= 56,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn mapping_order() {
        let url = "http://h/ns/r/resolve/main/f";
        let e = map_status(
            404,
            url,
            &headers(&[("x-error-code", "EntryNotFound")]),
            b"",
        )
        .unwrap();
        assert!(matches!(e, Error::EntryNotFound(_)));
        let e = map_status(
            404,
            url,
            &headers(&[("x-error-code", "RevisionNotFound")]),
            b"",
        )
        .unwrap();
        assert!(matches!(e, Error::RevisionNotFound(_)));
        let e = map_status(403, url, &headers(&[("x-error-code", "GatedRepo")]), b"").unwrap();
        assert!(matches!(e, Error::GatedRepo(_)));
        let e = map_status(404, url, &headers(&[("x-error-code", "RepoNotFound")]), b"").unwrap();
        assert!(matches!(e, Error::RepositoryNotFound(_)));
        let e = map_status(
            403,
            url,
            &headers(&[("x-error-message", "Access to this resource is disabled.")]),
            b"",
        )
        .unwrap();
        assert!(matches!(e, Error::DisabledRepo(_)));
        // 401 fallback only for https.
        let e = map_status(401, url, &HeaderMap::new(), b"").unwrap();
        assert!(matches!(e, Error::HubHttp(_)));
        let e = map_status(401, "https://h/api/models/a/b", &HeaderMap::new(), b"").unwrap();
        assert!(matches!(e, Error::RepositoryNotFound(_)));
        let e = map_status(400, url, &HeaderMap::new(), b"{\"error\":\"bad\"}").unwrap();
        assert!(matches!(e, Error::BadRequest(_)));
        assert_eq!(e.server_message(), Some("bad"));
        let e = map_status(429, url, &headers(&[("retry-after", "2")]), b"").unwrap();
        assert_eq!(
            e.http_context().unwrap().retry_after,
            Some(Duration::from_secs(2))
        );
        assert!(e.is_retryable());
        assert!(map_status(302, url, &HeaderMap::new(), b"").is_none());
    }

    #[test]
    fn server_messages() {
        let h = headers(&[("x-error-message", "from header")]);
        assert_eq!(
            server_message(&h, br#"{"error":["a","b"],"errors":[{"message":"c"}]}"#).unwrap(),
            "from header\na\nb\nc"
        );
        let html = headers(&[("content-type", "text/html")]);
        assert_eq!(server_message(&html, b"<html>oops</html>"), None);
        assert_eq!(
            server_message(&HeaderMap::new(), b"plain text").unwrap(),
            "plain text"
        );
        assert_eq!(server_message(&HeaderMap::new(), b""), None);
    }

    #[test]
    fn display_has_request_id_and_redacts_query() {
        let h = headers(&[("x-request-id", "abc"), ("x-error-code", "RepoNotFound")]);
        let e = map_status(
            404,
            "http://h/api/models/a/b?X-Amz-Signature=secret",
            &h,
            b"",
        )
        .unwrap();
        let s = e.to_string();
        assert!(s.contains("(Request ID: abc)"), "{s}");
        assert!(!s.contains("secret"), "{s}");
        assert_eq!(e.request_id(), Some("abc"));
    }

    #[test]
    fn ratelimit_header() {
        let h = headers(&[("ratelimit", "\"api\";r=0;t=5")]);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(6)));
        let h = headers(&[("ratelimit", "\"api\";r=3;t=5")]);
        assert_eq!(retry_after(&h), None);
    }
}
