//! [`HubClient`]: the one HTTP client every hub-rs surface shares.
//!
//! Like `reqwest::Client`, it is an `Arc` inside and cheap to clone: build it once and hand
//! clones to downloads, uploads and inference so they share the connection pool, the token
//! source and the retry policy. [`HubClientBuilder`] is consumed by value and stores the first
//! error for [`HubClientBuilder::build`] to return, so builder chains never fail midway.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use reqwest::{Method, RequestBuilder, Response, header};
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::{Error, Result, map_status};
use crate::retry::RetryPolicy;
use crate::token::{EnvOrFileTokenSource, Token, TokenSource};

/// How the client chooses the token of a request.
#[derive(Debug, Clone)]
enum TokenChoice {
    /// Python's default: `HF_TOKEN`, then the token file; not sent on implicit calls when
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set.
    Implicit(Arc<dyn TokenSource>),
    /// Always this source (an explicit token or an injected secret store).
    Explicit(Arc<dyn TokenSource>),
    /// Never send a token (Python's `token=False`).
    Disabled,
}

struct Inner {
    config: Config,
    http: reqwest::Client,
    http_no_redirect: reqwest::Client,
    token: TokenChoice,
    user_agent: String,
    retry: RetryPolicy,
}

/// The shared client: config, token source, HTTP connection pool, retry policy.
///
/// ```no_run
/// # async fn run() -> hub_core::Result<()> {
/// use hub_core::HubClient;
/// let client = HubClient::builder().endpoint("http://127.0.0.1:8080").token("hf_xxx").build()?;
/// let me = client.api().whoami().await?;
/// println!("{}", me.name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HubClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.inner.config.endpoint)
            .field("user_agent", &self.inner.user_agent)
            .finish_non_exhaustive()
    }
}

impl HubClient {
    /// A client configured from the environment (`Config::from_env`), with defaults otherwise.
    pub fn from_env() -> Result<Self> {
        HubClient::builder().build()
    }

    /// Starts a builder. Without `.config(..)` the environment is read at `build()`.
    pub fn builder() -> HubClientBuilder {
        HubClientBuilder::default()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The Hub endpoint, without trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.inner.config.endpoint
    }

    /// The user-agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The shared reqwest client (follows redirects; drops `Authorization` on a cross-host
    /// redirect, as reqwest does by default).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A reqwest client sharing the settings but following no redirect, for the file-metadata
    /// HEAD, which must only follow relative redirects itself.
    pub fn http_no_redirect(&self) -> &reqwest::Client {
        &self.inner.http_no_redirect
    }

    /// The token sent on ordinary (implicit) calls, if any.
    pub fn token(&self) -> Option<Token> {
        match &self.inner.token {
            TokenChoice::Explicit(src) => src.token(),
            TokenChoice::Implicit(src) if !self.inner.config.disable_implicit_token => src.token(),
            _ => None,
        }
    }

    /// The token for calls that need one (writes, whoami): ignores
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN`, fails with [`Error::Unauthenticated`] when there is none.
    pub fn require_token(&self) -> Result<Token> {
        let token = match &self.inner.token {
            TokenChoice::Explicit(src) | TokenChoice::Implicit(src) => src.token(),
            TokenChoice::Disabled => None,
        };
        token.ok_or_else(|| {
            Error::Unauthenticated(
                "Token is required but no token was found. Log in with `huggingface-cli login`, set HF_TOKEN, or pass a token explicitly."
                    .to_owned(),
            )
        })
    }

    /// Returns a client identical to this one but using `token` (cheap: shares the pool).
    pub fn with_token(&self, token: Option<Token>) -> HubClient {
        let choice = match token {
            Some(t) => TokenChoice::Explicit(Arc::new(t)),
            None => self.inner.token.clone(),
        };
        HubClient {
            inner: Arc::new(Inner {
                config: self.inner.config.clone(),
                http: self.inner.http.clone(),
                http_no_redirect: self.inner.http_no_redirect.clone(),
                token: choice,
                user_agent: self.inner.user_agent.clone(),
                retry: self.inner.retry.clone(),
            }),
        }
    }

    /// Fails with [`Error::OfflineModeIsEnabled`] when offline mode is on.
    pub fn ensure_online(&self, what: &str) -> Result<()> {
        if self.inner.config.offline {
            Err(Error::OfflineModeIsEnabled(format!(
                "cannot reach {}",
                crate::error::redact_url(what)
            )))
        } else {
            Ok(())
        }
    }

    /// A request to `url` carrying the implicit token (if any).
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let rb = self.inner.http.request(method, url);
        match self.token() {
            Some(t) => rb.bearer_auth(t.expose()),
            None => rb,
        }
    }

    /// A request to `url` that must carry a token (writes): fails when no token is available.
    pub fn authed_request(&self, method: Method, url: &str) -> Result<RequestBuilder> {
        let token = self.require_token()?;
        Ok(self
            .inner
            .http
            .request(method, url)
            .bearer_auth(token.expose()))
    }

    /// Sends a request once, checks offline mode and maps error statuses to [`Error`].
    pub async fn send_once(&self, rb: RequestBuilder) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        let url = req.url().to_string();
        self.ensure_online(&url)?;
        let resp = self
            .inner
            .http
            .execute(req)
            .await
            .map_err(|e| Error::transport(&url, e))?;
        check_response(resp).await
    }

    /// Sends a request with the retry policy (connection errors, 408, 429, 5xx; honours
    /// `Retry-After` and `RateLimit`). Requests whose body cannot be cloned (streams) are sent once.
    ///
    /// POST and PATCH requests may change state, and an error answer or a lost connection does
    /// not tell whether the server acted, so they are retried only when it certainly did not:
    /// the connection could not be made, or the answer was 429 or 503. Requests that only read
    /// (or are safe to repeat) go through [`HubClient::send_idempotent`] instead.
    pub async fn send(&self, rb: RequestBuilder) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        // Boxed: the retry loop holds reqwest's future, and every caller embeds this one.
        Box::pin(self.execute_with_retry(&self.inner.http, req, true, &[])).await
    }

    /// [`HubClient::send`] for a request that is safe to repeat whatever its method (a POST
    /// that only reads, such as `paths-info`): retried on every retryable error.
    pub async fn send_idempotent(&self, rb: RequestBuilder) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        Box::pin(self.execute_with_retry_as(&self.inner.http, req, true, &[], true)).await
    }

    /// Like [`HubClient::send`], but answers whose status is in `pass_through` are returned as
    /// responses instead of errors, so the caller can read their body (e.g. the `url` in the
    /// body of a 409 from `create_repo`).
    pub async fn send_passing(&self, rb: RequestBuilder, pass_through: &[u16]) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        Box::pin(self.execute_with_retry(&self.inner.http, req, true, pass_through)).await
    }

    /// Sends a request through [`HubClient::http_no_redirect`]: a 3xx answer is returned as is.
    /// Statuses 408/429/5xx are retried with the policy, but transport errors (timeouts,
    /// refused connections) are not: this is the metadata HEAD, whose caller falls back to the
    /// local cache at once, as Python does, instead of waiting through a backoff.
    pub async fn send_no_redirect(&self, rb: RequestBuilder) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        Box::pin(self.execute_with_retry(&self.inner.http_no_redirect, req, false, &[])).await
    }

    /// [`HubClient::send_no_redirect`] returning answers whose status is in `pass_through` as
    /// responses (to read headers of an error answer, e.g. `X-Repo-Commit` of a 404).
    pub async fn send_no_redirect_passing(
        &self,
        rb: RequestBuilder,
        pass_through: &[u16],
    ) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        Box::pin(self.execute_with_retry(&self.inner.http_no_redirect, req, false, pass_through))
            .await
    }

    async fn execute_with_retry(
        &self,
        http: &reqwest::Client,
        req: reqwest::Request,
        retry_transport: bool,
        pass_through: &[u16],
    ) -> Result<Response> {
        let repeatable = is_idempotent(req.method());
        self.execute_with_retry_as(http, req, retry_transport, pass_through, repeatable)
            .await
    }

    /// The retry loop. `repeatable`: the request may be sent again after any retryable error;
    /// otherwise only after errors that prove the server did not act on it.
    async fn execute_with_retry_as(
        &self,
        http: &reqwest::Client,
        req: reqwest::Request,
        retry_transport: bool,
        pass_through: &[u16],
        repeatable: bool,
    ) -> Result<Response> {
        let url = req.url().to_string();
        // Every request of every surface goes through here: offline mode is enforced once.
        self.ensure_online(&url)?;
        let policy = &self.inner.retry;
        let mut attempt: u32 = 0;
        let started = std::time::Instant::now();
        loop {
            let Some(req_now) = req.try_clone() else {
                // Not cloneable (streaming body): send the original once.
                let resp = http
                    .execute(req)
                    .await
                    .map_err(|e| Error::transport(&url, e))?;
                if pass_through.contains(&resp.status().as_u16()) {
                    return Ok(resp);
                }
                return check_response(resp).await;
            };
            let (result, is_transport) = match http.execute(req_now).await {
                Ok(resp) if pass_through.contains(&resp.status().as_u16()) => return Ok(resp),
                Ok(resp) => (check_response(resp).await, false),
                Err(e) => (Err(Error::transport(&url, e)), true),
            };
            match result {
                Err(err)
                    if err.is_retryable()
                        && (retry_transport || !is_transport)
                        && (repeatable || err.proves_not_processed()) =>
                {
                    let hinted = err.http_context().and_then(|c| c.retry_after);
                    match policy.next_delay(attempt, started.elapsed(), hinted) {
                        Some(delay) => {
                            tracing::debug!(%url, attempt, ?delay, "retrying after: {err}");
                            tokio::time::sleep(delay).await;
                            attempt += 1;
                        }
                        None => return Err(err),
                    }
                }
                other => return other,
            }
        }
    }

    /// GETs `url` with `query` and decodes a JSON body (see [`HubClient::send_json`]).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        self.send_json(self.request(Method::GET, url).query(query))
            .await
    }

    /// Sends like [`HubClient::send`] and reads the whole body. For idempotent methods (GET,
    /// HEAD, PUT, DELETE, OPTIONS) a body cut mid-way (connection reset, truncated answer) is
    /// retried with the policy as well; for POST it is not, since the server may already have
    /// acted on the request.
    pub async fn send_read(&self, rb: RequestBuilder) -> Result<FullResponse> {
        Box::pin(self.send_read_impl(rb)).await
    }

    async fn send_read_impl(&self, rb: RequestBuilder) -> Result<FullResponse> {
        let req = rb
            .build()
            .map_err(|e| Error::validation(format!("invalid request: {e}")))?;
        let idempotent = is_idempotent(req.method());
        let policy = &self.inner.retry;
        let started = std::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            let (this_try, retry_body) = match req.try_clone() {
                Some(r) => (r, idempotent),
                None => {
                    // A streaming body cannot be sent twice: one attempt, read once.
                    let resp = self
                        .execute_with_retry(&self.inner.http, req, true, &[])
                        .await?;
                    return FullResponse::read(resp).await;
                }
            };
            let resp = self
                .execute_with_retry(&self.inner.http, this_try, true, &[])
                .await?;
            let url = resp.url().to_string();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            match resp.bytes().await {
                Ok(body) => {
                    return Ok(FullResponse {
                        status,
                        url,
                        headers,
                        body,
                    });
                }
                Err(e) => {
                    let err = Error::transport(&url, e);
                    if !retry_body {
                        return Err(err);
                    }
                    match policy.next_delay(attempt, started.elapsed(), None) {
                        Some(delay) => {
                            tracing::debug!(%url, attempt, ?delay, "body cut, retrying: {err}");
                            tokio::time::sleep(delay).await;
                            attempt += 1;
                        }
                        None => return Err(err),
                    }
                }
            }
        }
    }

    /// [`HubClient::send_read`], then decodes the body as JSON into `T`.
    pub async fn send_json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let r = self.send_read(rb).await?;
        decode_json(&r.url, &r.body)
    }

    /// Lazily follows `Link: <url>; rel="next"` pages of a JSON array endpoint. The stream owns
    /// a clone of the client, so it can be moved into a task.
    pub fn paginate<T: DeserializeOwned + Send + 'static>(
        &self,
        url: &str,
        query: Vec<(String, String)>,
    ) -> impl Stream<Item = Result<T>> + Send + 'static {
        crate::pagination::paginate(self.clone(), url.to_owned(), query)
    }
}

/// Methods whose repetition has the same effect as sending them once (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// A successful answer read in full (see [`HubClient::send_read`]).
#[derive(Debug, Clone)]
pub struct FullResponse {
    /// HTTP status (below 400).
    pub status: u16,
    /// Final URL (after redirects).
    pub url: String,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The whole body.
    pub body: bytes::Bytes,
}

impl FullResponse {
    async fn read(resp: Response) -> Result<FullResponse> {
        let url = resp.url().to_string();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| Error::transport(&url, e))?;
        Ok(FullResponse {
            status,
            url,
            headers,
            body,
        })
    }
}

/// Maps an error status to [`Error`] (reading the body for the server message); passes
/// successes through untouched.
pub async fn check_response(resp: Response) -> Result<Response> {
    let status = resp.status().as_u16();
    if status < 400 {
        return Ok(resp);
    }
    let url = resp.url().to_string();
    let headers = resp.headers().clone();
    // The body is only read for its message; a broken body still yields the status error.
    let body = resp.bytes().await.unwrap_or_default();
    Err(map_status(status, &url, &headers, &body)
        .unwrap_or_else(|| Error::decode(&url, "unexpected status")))
}

/// Reads a whole JSON body into `T`, with a typed error for empty, HTML, truncated or
/// malformed bodies.
pub async fn json_body<T: DeserializeOwned>(resp: Response) -> Result<T> {
    let url = resp.url().to_string();
    let bytes = resp.bytes().await.map_err(|e| Error::transport(&url, e))?;
    decode_json(&url, &bytes)
}

/// Decodes JSON bytes with a message that says what was wrong.
pub fn decode_json<T: DeserializeOwned>(url: &str, bytes: &[u8]) -> Result<T> {
    if bytes.is_empty() {
        return Err(Error::decode(url, "empty body where JSON was expected"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        Error::decode(
            url,
            format!("invalid JSON ({e}); body starts with {start:?}"),
        )
    })
}

/// Builds a [`HubClient`].
#[must_use]
#[derive(Default)]
pub struct HubClientBuilder {
    config: Option<Config>,
    endpoint: Option<String>,
    token: Option<TokenChoice>,
    library_name: Option<String>,
    library_version: Option<String>,
    user_agent_extra: Vec<String>,
    headers: header::HeaderMap,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    error: Option<Error>,
}

impl HubClientBuilder {
    /// Uses this config instead of reading the environment.
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }
    /// Overrides the Hub endpoint.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }
    /// Uses this token for every call (Python's `token="hf_..."`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(TokenChoice::Explicit(Arc::new(Token::new(token))));
        self
    }
    /// Uses an optional token: `Some` as [`Self::token`], `None` keeps the implicit rule.
    pub fn maybe_token(mut self, token: Option<Token>) -> Self {
        if let Some(t) = token {
            self.token = Some(TokenChoice::Explicit(Arc::new(t)));
        }
        self
    }
    /// Asks `source` for the token of every request.
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token = Some(TokenChoice::Explicit(source));
        self
    }
    /// Never sends a token (Python's `token=False`).
    pub fn no_token(mut self) -> Self {
        self.token = Some(TokenChoice::Disabled);
        self
    }
    /// Names the calling library in the user-agent (`name/version; ...`).
    pub fn library(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.library_name = Some(name.into());
        self.library_version = Some(version.into());
        self
    }
    /// Appends a `key/value` or free-form token to the user-agent.
    pub fn user_agent_extra(mut self, extra: impl Into<String>) -> Self {
        self.user_agent_extra.push(extra.into());
        self
    }
    /// Adds a header to every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            header::HeaderName::from_bytes(name.as_bytes()),
            header::HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => {
                if self.error.is_none() {
                    self.error = Some(Error::validation(format!("invalid header {name:?}")));
                }
            }
        }
        self
    }
    /// Total timeout of each request (default: none, as Python's JSON calls).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Connection timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Replaces the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<HubClient> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut config = self.config.unwrap_or_else(Config::from_env);
        if let Some(ep) = self.endpoint {
            config.endpoint = ep.trim_end_matches('/').to_owned();
        }
        let user_agent = build_user_agent(
            self.library_name.as_deref(),
            self.library_version.as_deref(),
            &self.user_agent_extra,
        );
        let make = |redirects: bool| {
            let mut b = reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .default_headers(self.headers.clone())
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .pool_idle_timeout(Duration::from_secs(60))
                .tcp_nodelay(true);
            if let Some(t) = self.timeout {
                b = b.timeout(t);
            }
            if !redirects {
                b = b.redirect(reqwest::redirect::Policy::none());
            }
            b.build()
                .map_err(|e| Error::validation(format!("cannot build HTTP client: {e}")))
        };
        let http = make(true)?;
        let http_no_redirect = make(false)?;
        let token = self
            .token
            .unwrap_or_else(|| TokenChoice::Implicit(Arc::new(EnvOrFileTokenSource::new(&config))));
        Ok(HubClient {
            inner: Arc::new(Inner {
                config,
                http,
                http_no_redirect,
                token,
                user_agent,
                retry: self.retry.unwrap_or_default(),
            }),
        })
    }
}

/// Builds the user-agent as Python does: `;`-separated `name/version` tokens, the caller's
/// library first (`unknown/None` when not named), deduplicated with the first occurrence kept.
pub fn build_user_agent(
    library_name: Option<&str>,
    library_version: Option<&str>,
    extra: &[String],
) -> String {
    let mut tokens: Vec<String> = vec![
        format!(
            "{}/{}",
            library_name.unwrap_or("unknown"),
            library_version.unwrap_or("None")
        ),
        format!("hf_hub/{}", env!("CARGO_PKG_VERSION")),
        "hub-rs/rust".to_owned(),
    ];
    tokens.extend(extra.iter().cloned());
    let mut seen: Vec<String> = Vec::new();
    for t in tokens {
        let t = t.trim().to_owned();
        if !t.is_empty() && !seen.contains(&t) {
            seen.push(t);
        }
    }
    seen.join("; ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_shape() {
        assert_eq!(
            build_user_agent(None, None, &["x/1".into(), "x/1".into()]),
            format!(
                "unknown/None; hf_hub/{}; hub-rs/rust; x/1",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(build_user_agent(Some("lib"), Some("2"), &[]).starts_with("lib/2; "));
    }

    #[test]
    fn token_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::builder().home(dir.path()).build();
        std::fs::write(&config.token_path, "hf_file").unwrap();
        let c = HubClient::builder().config(config.clone()).build().unwrap();
        assert_eq!(c.token().unwrap().expose(), "hf_file");
        let env_cfg = config
            .to_builder()
            .env_token(Some(Token::new("hf_env")))
            .build();
        let c = HubClient::builder()
            .config(env_cfg.clone())
            .build()
            .unwrap();
        assert_eq!(c.token().unwrap().expose(), "hf_env");
        let c = HubClient::builder()
            .config(env_cfg.clone())
            .token("hf_explicit")
            .build()
            .unwrap();
        assert_eq!(c.token().unwrap().expose(), "hf_explicit");
        let no_implicit = env_cfg.to_builder().disable_implicit_token(true).build();
        let c = HubClient::builder().config(no_implicit).build().unwrap();
        assert!(c.token().is_none());
        assert_eq!(c.require_token().unwrap().expose(), "hf_env");
        let c = HubClient::builder()
            .config(config)
            .no_token()
            .build()
            .unwrap();
        assert!(c.token().is_none());
        assert!(matches!(c.require_token(), Err(Error::Unauthenticated(_))));
    }

    #[tokio::test]
    async fn offline_sends_nothing() {
        let config = Config::builder()
            .offline(true)
            .endpoint("http://127.0.0.1:9")
            .build();
        let c = HubClient::builder().config(config).build().unwrap();
        let err = c
            .send(c.request(Method::GET, "http://127.0.0.1:9/api/whoami-v2"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OfflineModeIsEnabled(_)), "{err}");
    }

    #[test]
    fn malformed_json_is_typed() {
        let e = decode_json::<serde_json::Value>("http://h/x", b"").unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
        let e = decode_json::<serde_json::Value>("http://h/x", b"<html>").unwrap_err();
        assert!(e.to_string().contains("<html>"), "{e}");
        let e = decode_json::<Vec<u8>>("http://h/x", b"[1,2").unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
    }
}
