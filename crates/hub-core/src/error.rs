//! The error family of hub-rs.
//!
//! [`Error`] is a `#[non_exhaustive]` enum whose variants carry Hub meanings, as Python's
//! exception classes do: callers `match` on [`Error::RepositoryNotFound`] where Python code
//! catches `RepositoryNotFoundError`. HTTP-derived variants carry a boxed [`HttpContext`]
//! (status, URL without its query string, request id, `X-Error-Code`, server message), so the
//! enum stays small. [`map_status`] is the single place where a response becomes an error, in
//! the order of Python's `hf_raise_for_status`.
//!
//! hub-core, hub-cache and hub-upload return this one type. hub-inference and hub-endpoints add
//! kinds only they can produce (a model still loading, an endpoint that failed to deploy) in
//! enums of their own, whose `Hub` variant keeps this error as its `source()`, so generic code
//! finds it by walking the chain. Every error of the family answers [`Error::kind`] with an
//! [`ErrorKind`], and the predicates (`is_not_found`, `is_timeout`, `is_auth`, ...) are
//! defined on the kind, so callers and the CLI branch on kinds, never on message text.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// Shorthand for `Result<T, hub_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the server said about a failed HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl HttpContext {
    /// A context for `status` at `url` (its query string is removed), with nothing else known.
    pub fn new(status: u16, url: &str) -> Self {
        HttpContext {
            status,
            url: redact_url(url),
            request_id: None,
            error_code: None,
            server_message: None,
            retry_after: None,
        }
    }

    /// Sets the `X-Error-Code`.
    pub fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Sets the server's message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.server_message = Some(message.into());
        self
    }
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
    /// No answer came in time: the connection could not be made, the server sent nothing for
    /// the read timeout, or a body stalled mid-way. Worth retrying.
    #[error("Request to {url} timed out ({phase}{}). Check your network connection; slow links may need a longer timeout (HF_HUB_DOWNLOAD_TIMEOUT for downloads, HubClientBuilder::read_timeout otherwise).", after.map(|d| format!(" after {d:?}")).unwrap_or_default())]
    Timeout {
        /// Request URL without query string.
        url: String,
        /// Which wait expired.
        phase: TimeoutPhase,
        /// The timeout that expired, when known.
        after: Option<Duration>,
    },
    /// The request could not be sent or the response could not be read (connection refused,
    /// TLS, truncated body).
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
    /// An argument given by the caller is invalid (nothing was sent).
    #[error("{0}")]
    InvalidArgument(String),
    /// A token is needed and none was found (no `HF_TOKEN`, no token file, or `token=False`).
    #[error("{0}")]
    TokenRequired(String),
    /// The token was refused (an invalid or revoked token at login).
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
    /// Data on disk or on the wire is inconsistent (damaged cache, impossible answer).
    #[error("{0}")]
    Corrupted(String),
    /// Downloaded bytes do not hash to the expected value; nothing was cached.
    #[error("{0}")]
    HashMismatch(Box<HashMismatch>),
    /// The size received differs from the size announced by the server; nothing was cached.
    #[error(
        "Consistency check failed for '{file}': expected {expected} bytes, received {actual}. Nothing was cached; retry the download."
    )]
    SizeMismatch {
        /// Path of the file in the repository.
        file: String,
        /// Size announced by the server.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// A path given by the caller or the server would escape the cache or target directory.
    #[error("Refusing unsafe repository path {path:?}: {reason}")]
    UnsafePath {
        /// The offending path.
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Some files of a multi-file job (a snapshot) failed; every failed file is listed.
    #[error("{}", snapshot_message(.failures, *.total))]
    Snapshot {
        /// Each failed file with its error.
        failures: Vec<(String, Error)>,
        /// Number of files the job tried to handle.
        total: usize,
    },
    /// The cache directory to scan does not exist.
    #[error(
        "Cache directory not found: {0}. Please use `cache_dir` argument or set `HF_HUB_CACHE` environment variable."
    )]
    CacheNotFound(PathBuf),
}

/// The details of [`Error::HashMismatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashMismatch {
    /// Path of the file in the repository.
    pub file: String,
    /// `sha256` (LFS) or `git-sha1` (regular file).
    pub algorithm: &'static str,
    /// Expected digest (the etag).
    pub expected: String,
    /// Digest of what was received.
    pub actual: String,
}

impl fmt::Display for HashMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Hash mismatch for '{}': expected {} {}, got {}. The partial download was deleted and nothing was cached.",
            self.file, self.algorithm, self.expected, self.actual
        )
    }
}

fn snapshot_message(failures: &[(String, Error)], total: usize) -> String {
    let mut msg = format!("{} of {total} files failed to download:", failures.len());
    for (file, err) in failures {
        msg.push_str(&format!("\n  - {file}: {err}"));
    }
    msg
}

/// Which wait of a request expired (see [`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection.
    Connect,
    /// Waiting for the answer or for the next bytes of it (the read timeout).
    Read,
    /// A body that stopped arriving mid-way (the download stall detector).
    Stall,
    /// The whole request took longer than its total timeout.
    Total,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Read => "waiting for data",
            TimeoutPhase::Stall => "the body stalled",
            TimeoutPhase::Total => "the whole request",
        })
    }
}

/// The kind of an error of the hub-rs family: what callers branch on.
///
/// Every crate's error answers `kind()`; the CLI maps kinds to messages and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The repository does not exist or cannot be seen with this token.
    RepositoryNotFound,
    /// The revision does not exist.
    RevisionNotFound,
    /// The file does not exist at that revision.
    EntryNotFound,
    /// The file is not cached and the Hub cannot be asked.
    LocalEntryNotFound,
    /// The repository is gated and access was not granted.
    GatedRepo,
    /// Access to the repository was disabled.
    DisabledRepo,
    /// No token, or the token was refused (401/403).
    Auth,
    /// The server refused the request as malformed (400, 422).
    BadRequest,
    /// The resource already exists or the request conflicts with its state (409).
    Conflict,
    /// The server asked us to slow down (429).
    RateLimited,
    /// Another HTTP error status.
    Http,
    /// No answer in time.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// The answer could not be decoded or lacked required metadata.
    Decode,
    /// Offline mode forbids the call.
    Offline,
    /// An argument given by the caller is invalid.
    InvalidArgument,
    /// A local file-system operation failed.
    Io,
    /// Content failed verification (hash, size) or the cache is damaged.
    Integrity,
    /// A path would escape its directory.
    UnsafePath,
    /// Part of a multi-file job failed.
    Partial,
    /// A kind only a higher-level crate produces (inference server errors, endpoint states).
    Service,
}

impl Error {
    /// An invalid-argument error with `message`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }

    /// A hash-mismatch error.
    pub fn hash_mismatch(
        file: impl Into<String>,
        algorithm: &'static str,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Error::HashMismatch(Box::new(HashMismatch {
            file: file.into(),
            algorithm,
            expected: expected.into(),
            actual: actual.into(),
        }))
    }

    /// A timeout of `phase` while talking to `url`.
    pub fn timeout(url: &str, phase: TimeoutPhase, after: Option<Duration>) -> Self {
        Error::Timeout {
            url: redact_url(url),
            phase,
            after,
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RepositoryNotFound(_) => ErrorKind::RepositoryNotFound,
            Error::GatedRepo(_) => ErrorKind::GatedRepo,
            Error::DisabledRepo(_) => ErrorKind::DisabledRepo,
            Error::RevisionNotFound(_) => ErrorKind::RevisionNotFound,
            Error::EntryNotFound(_) => ErrorKind::EntryNotFound,
            Error::BadRequest(_) => ErrorKind::BadRequest,
            Error::RateLimited(_) => ErrorKind::RateLimited,
            Error::HubHttp(c) => match c.status {
                401 | 403 => ErrorKind::Auth,
                409 => ErrorKind::Conflict,
                422 => ErrorKind::BadRequest,
                _ => ErrorKind::Http,
            },
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Connection,
            Error::Decode { .. } | Error::FileMetadata { .. } => ErrorKind::Decode,
            Error::LocalEntryNotFound(_) => ErrorKind::LocalEntryNotFound,
            Error::OfflineModeIsEnabled(_) => ErrorKind::Offline,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::TokenRequired(_) | Error::Unauthenticated(_) | Error::EnvironmentToken(_) => {
                ErrorKind::Auth
            }
            Error::Io { .. } => ErrorKind::Io,
            Error::Corrupted(_) | Error::HashMismatch(_) | Error::SizeMismatch { .. } => {
                ErrorKind::Integrity
            }
            Error::UnsafePath { .. } => ErrorKind::UnsafePath,
            Error::Snapshot { .. } => ErrorKind::Partial,
            Error::CacheNotFound(_) => ErrorKind::Io,
        }
    }

    /// An I/O error with context (say what was done and to which path).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A transport error for `url` (its query string is removed). Timeouts become
    /// [`Error::Timeout`], so `is_timeout()` holds whatever layer noticed them.
    pub fn transport(url: &str, source: reqwest::Error) -> Self {
        if source.is_timeout() {
            let phase = if source.is_connect() {
                TimeoutPhase::Connect
            } else {
                TimeoutPhase::Read
            };
            return Error::timeout(url, phase, None);
        }
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
    /// bodies, 408, 429, 500, 502, 503, 504, and content that failed verification in transit.
    pub fn is_retryable(&self) -> bool {
        match self {
            // hub-rs decodes JSON itself, so a reqwest decode error is a body that broke off
            // (hyper reports a truncated body that way), as worth retrying as a reset.
            Error::Transport { source, .. } => {
                source.is_connect() || source.is_body() || source.is_request() || source.is_decode()
            }
            Error::Timeout { .. } | Error::RateLimited(_) => true,
            Error::HubHttp(c) => is_retryable_status(c.status),
            Error::HashMismatch(_) | Error::SizeMismatch { .. } => true,
            _ => false,
        }
    }

    /// How [`RetryPolicy::run`](crate::RetryPolicy::run) treats this error.
    pub fn retry_decision(&self) -> crate::retry::RetryDecision {
        use crate::retry::RetryDecision;
        if !self.is_retryable() {
            return RetryDecision::Fail;
        }
        match self.http_context().and_then(|c| c.retry_after) {
            Some(d) => RetryDecision::RetryAfter(d),
            None => RetryDecision::Retry,
        }
    }

    /// Whether the error proves the server did not act on the request, so that even a request
    /// that changes state may be sent again: the connection could not be made, or the answer
    /// was 429 (rate limited) or 503 (unavailable).
    pub fn proves_not_processed(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_connect(),
            Error::Timeout { phase, .. } => *phase == TimeoutPhase::Connect,
            Error::RateLimited(_) => true,
            Error::HubHttp(c) => c.status == 503,
            _ => false,
        }
    }

    /// Whether no answer came in time (connect, read, stall or total timeout).
    pub fn is_timeout(&self) -> bool {
        self.kind().is_timeout()
    }

    /// Whether the error says "this does not exist" (repo, revision, entry, or an entry that
    /// is neither cached nor reachable, as Python's `LocalEntryNotFoundError` is an
    /// `EntryNotFoundError`).
    pub fn is_not_found(&self) -> bool {
        self.kind().is_not_found()
    }

    /// Whether a token is missing or was refused (401, 403, no token for a write).
    pub fn is_auth(&self) -> bool {
        self.kind().is_auth()
    }

    /// Whether offline mode forbade the call.
    pub fn is_offline(&self) -> bool {
        self.kind() == ErrorKind::Offline
    }

    /// Whether the file is neither cached nor reachable (Python's `LocalEntryNotFoundError`).
    pub fn is_local_entry_not_found(&self) -> bool {
        self.kind() == ErrorKind::LocalEntryNotFound
    }

    /// Whether received content failed verification (hash or size).
    pub fn is_corrupted_transfer(&self) -> bool {
        matches!(self, Error::HashMismatch(_) | Error::SizeMismatch { .. })
    }
}

impl ErrorKind {
    /// Repository, revision, entry, or local entry not found.
    pub fn is_not_found(self) -> bool {
        matches!(
            self,
            ErrorKind::RepositoryNotFound
                | ErrorKind::RevisionNotFound
                | ErrorKind::EntryNotFound
                | ErrorKind::LocalEntryNotFound
        )
    }

    /// Any timeout.
    pub fn is_timeout(self) -> bool {
        self == ErrorKind::Timeout
    }

    /// Missing or refused credentials, including gated repositories.
    pub fn is_auth(self) -> bool {
        matches!(self, ErrorKind::Auth | ErrorKind::GatedRepo)
    }
}

/// Finds the [`Error`] of the hub-rs family in an error's `source()` chain (the error itself
/// included), as wrapped by hub-inference, hub-endpoints or `anyhow`.
pub fn find_in_chain<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(hub) = e.downcast_ref::<Error>() {
            return Some(hub);
        }
        cur = e.source();
    }
    None
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
