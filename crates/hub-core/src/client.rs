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

    /// The token sent on ordinary (implicit) calls, if any.
    pub fn token(&self) -> Option<Token> {
        match &self.inner.token {
            TokenChoice::Explicit(src) => src.token(),
            TokenChoice::Implicit(src) if !self.inner.config.disable_implicit_token => src.token(),
            _ => None,
        }
    }

    /// The token for calls that need one (writes, whoami): ignores
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN`, fails with [`Error::TokenRequired`] when there is none.
    pub fn require_token(&self) -> Result<Token> {
        let token = match &self.inner.token {
            TokenChoice::Explicit(src) | TokenChoice::Implicit(src) => src.token(),
            TokenChoice::Disabled => None,
        };
        token.ok_or_else(|| {
            Error::TokenRequired(
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

    /// A request to `url` carrying the implicit token (if any). Send it with
    /// [`HubClient::send`].
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let rb = self.inner.http.request(method, url);
        match self.token() {
            Some(t) => with_bearer(rb, &t),
            None => rb,
        }
    }

    /// A request to `url` that must carry a token (writes): fails when no token is available.
    pub fn authed_request(&self, method: Method, url: &str) -> Result<RequestBuilder> {
        let token = self.require_token()?;
        Ok(with_bearer(self.inner.http.request(method, url), &token))
    }

    /// A request to `url` that carries no token, for URLs that hold their own credentials
    /// (pre-signed LFS and S3 URLs) or belong to another service.
    pub fn request_without_token(&self, method: Method, url: &str) -> RequestBuilder {
        self.inner.http.request(method, url)
    }

    /// Sends a request: the one request path of hub-rs.
    ///
    /// Offline mode is checked first; error statuses become [`Error`] variants (except those
    /// passed through by `options`); the retry policy applies through [`RetryPolicy::run`]:
    /// connection errors, timeouts, 408, 429 and 5xx are retried, honouring `Retry-After`.
    ///
    /// Which failures may be repeated depends on the request. GET, HEAD, PUT, DELETE and
    /// OPTIONS are repeated after any retryable failure. POST and PATCH may change state, and
    /// a lost answer does not tell whether the server acted, so they are repeated only when it
    /// certainly did not (no connection, 429, 503) — unless [`SendOptions::repeatable`] says a
    /// repetition is harmless or detectable (a read-only POST; a create whose repetition answers
    /// 409). A request whose body is a stream cannot be cloned and is sent once; its caller
    /// retries by building it again inside [`RetryPolicy::run`].
    ///
    /// The response carries the number of attempts made as an [`Attempts`] extension.
    pub async fn send(&self, rb: RequestBuilder, options: SendOptions) -> Result<Response> {
        let req = rb
            .build()
            .map_err(|e| Error::invalid_argument(format!("invalid request: {e}")))?;
        // Boxed: the retry loop holds reqwest's future, and every caller embeds this one.
        Box::pin(self.execute(req, &options)).await
    }

    async fn execute(&self, req: reqwest::Request, options: &SendOptions) -> Result<Response> {
        let url = req.url().to_string();
        // Every request of every surface goes through here: offline mode is enforced once.
        self.ensure_online(&url)?;
        let http = match options.redirects {
            Redirects::Follow => &self.inner.http,
            Redirects::Manual => &self.inner.http_no_redirect,
        };
        let repeatable = options
            .repeatable
            .unwrap_or_else(|| is_idempotent(req.method()));
        let Some(template) = req.try_clone() else {
            // Not cloneable (streaming body): send the original once.
            let resp = http
                .execute(req)
                .await
                .map_err(|e| Error::transport(&url, e))?;
            return finish(resp, options, 0).await;
        };
        let policy = match options.retry {
            RetryScope::Never => RetryPolicy::none(),
            _ => self.inner.retry.clone(),
        };
        let retry_transport = options.retry != RetryScope::StatusOnly;
        let decide = |(err, is_transport): &(Error, bool)| {
            if (*is_transport && !retry_transport) || !(repeatable || err.proves_not_processed()) {
                crate::retry::RetryDecision::Fail
            } else {
                err.retry_decision()
            }
        };
        let outcome = policy
            .run_if(
                |attempt| {
                    let this_try = template.try_clone();
                    let url = &url;
                    async move {
                        let this_try = this_try.ok_or_else(|| {
                            (Error::invalid_argument("request cannot be repeated"), false)
                        })?;
                        match http.execute(this_try).await {
                            Ok(resp) => {
                                finish(resp, options, attempt).await.map_err(|e| (e, false))
                            }
                            Err(e) => Err((Error::transport(url, e), true)),
                        }
                    }
                },
                decide,
            )
            .await;
        outcome.map_err(|(e, _)| e)
    }

    /// Sends like [`HubClient::send`] and reads the whole body. A body cut mid-way (connection
    /// reset, truncated answer) is retried with the policy as well when the request may be
    /// repeated (see [`HubClient::send`]).
    pub async fn send_read(
        &self,
        rb: RequestBuilder,
        options: SendOptions,
    ) -> Result<FullResponse> {
        let req = rb
            .build()
            .map_err(|e| Error::invalid_argument(format!("invalid request: {e}")))?;
        Box::pin(self.send_read_impl(req, options)).await
    }

    async fn send_read_impl(
        &self,
        req: reqwest::Request,
        options: SendOptions,
    ) -> Result<FullResponse> {
        let repeatable = options
            .repeatable
            .unwrap_or_else(|| is_idempotent(req.method()));
        let Some(template) = req.try_clone() else {
            let resp = self.execute(req, &options).await?;
            return FullResponse::read(resp, 0).await;
        };
        let policy = match options.retry {
            RetryScope::Never => RetryPolicy::none(),
            _ => self.inner.retry.clone(),
        };
        policy
            .run_if(
                |earlier| {
                    let this_try = template.try_clone();
                    let options = &options;
                    async move {
                        let this_try = this_try.ok_or_else(|| {
                            (Error::invalid_argument("request cannot be repeated"), false)
                        })?;
                        // Status and connection failures were already retried inside.
                        let resp = self
                            .execute(this_try, options)
                            .await
                            .map_err(|e| (e, false))?;
                        FullResponse::read(resp, earlier)
                            .await
                            .map_err(|e| (e, true))
                    }
                },
                |(_, body_cut): &(Error, bool)| {
                    // A body cut mid-way is worth another try whatever reqwest calls it.
                    if *body_cut && repeatable {
                        crate::retry::RetryDecision::Retry
                    } else {
                        crate::retry::RetryDecision::Fail
                    }
                },
            )
            .await
            .map_err(|(e, _)| e)
    }

    /// [`HubClient::send_read`], then decodes the body as JSON into `T`.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        rb: RequestBuilder,
        options: SendOptions,
    ) -> Result<T> {
        let r = self.send_read(rb, options).await?;
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

fn with_bearer(rb: RequestBuilder, token: &Token) -> RequestBuilder {
    match header::HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
        Ok(mut v) => {
            // Marked sensitive: reqwest and hyper then keep it out of Debug output.
            v.set_sensitive(true);
            rb.header(header::AUTHORIZATION, v)
        }
        // A token with characters a header cannot hold is not sent; the server answers 401.
        Err(_) => rb,
    }
}

/// Maps the status of one attempt's answer (see [`HubClient::send`]) and records the attempt.
async fn finish(mut resp: Response, options: &SendOptions, attempt: u32) -> Result<Response> {
    resp.extensions_mut().insert(Attempts(attempt + 1));
    if options.pass_errors || options.pass_status.contains(&resp.status().as_u16()) {
        return Ok(resp);
    }
    check_response(resp).await
}

/// How many times [`HubClient::send`] sent a request before this answer, stored in the
/// response's extensions. A create answered 409 after more than one attempt was most likely
/// created by an earlier attempt whose answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts(pub u32);

impl Attempts {
    /// The attempts recorded on `resp` (1 when the response did not come from `send`).
    pub fn of(resp: &Response) -> u32 {
        resp.extensions().get::<Attempts>().map_or(1, |a| a.0)
    }
}

/// Which redirects [`HubClient::send`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Redirects {
    /// Follow redirects (the `Authorization` header is dropped when the host changes).
    #[default]
    Follow,
    /// Return 3xx answers as they are (the file-metadata HEAD follows relative ones itself).
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RetryScope {
    #[default]
    All,
    StatusOnly,
    Never,
}

/// How [`HubClient::send`] treats one request: redirects, whether it may be repeated, which
/// statuses come back as answers instead of errors, and how far the retry policy applies.
///
/// ```
/// use hub_core::client::SendOptions;
/// // A create whose repetition is detectable (409), whose 409 body the caller reads.
/// let options = SendOptions::new().repeatable(true).pass_status(409);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SendOptions {
    redirects: Redirects,
    repeatable: Option<bool>,
    pass_status: Vec<u16>,
    pass_errors: bool,
    retry: RetryScope,
}

impl SendOptions {
    /// The defaults: follow redirects, repeat by method, map every error status, retry
    /// everything retryable.
    pub fn new() -> Self {
        SendOptions::default()
    }

    /// Chooses the redirect policy (default: follow).
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// Says whether the request may be sent again after any retryable failure, whatever its
    /// method: `true` for a POST that only reads, or whose repetition the caller detects;
    /// `false` to treat a PUT as unrepeatable. Default: by method (RFC 9110 idempotence).
    pub fn repeatable(mut self, repeatable: bool) -> Self {
        self.repeatable = Some(repeatable);
        self
    }

    /// Returns answers with this status as responses instead of errors, so the caller can
    /// read them (the `url` in the body of a 409, the headers of a 404).
    pub fn pass_status(mut self, status: u16) -> Self {
        self.pass_status.push(status);
        self
    }

    /// Returns every answer as a response, error statuses included, for callers that map
    /// errors of another service themselves (an inference server's `error_type`s). Only
    /// transport failures are then retried.
    pub fn pass_error_statuses(mut self) -> Self {
        self.pass_errors = true;
        self
    }

    /// Retries error statuses but not transport failures (timeouts, refused connections):
    /// for a call whose caller falls back at once, such as the metadata HEAD that falls back to
    /// the cache, as Python does.
    pub fn no_transport_retry(mut self) -> Self {
        self.retry = RetryScope::StatusOnly;
        self
    }

    /// Sends once: the caller retries, typically around building the request again.
    pub fn once(mut self) -> Self {
        self.retry = RetryScope::Never;
        self
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
    /// How many times the request was sent for this answer (see [`Attempts`]).
    pub attempts: u32,
}

impl FullResponse {
    async fn read(resp: Response, earlier_attempts: u32) -> Result<FullResponse> {
        let url = resp.url().to_string();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let attempts = Attempts::of(&resp) + earlier_attempts;
        let body = resp.bytes().await.map_err(|e| Error::transport(&url, e))?;
        Ok(FullResponse {
            status,
            url,
            headers,
            body,
            attempts,
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
///
/// Defaults: the environment's config, token and proxies (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`, as Python's `requests` reads them); a 10 s connect timeout; a
/// 120 s read timeout (no data for that long fails the request with [`Error::Timeout`]); no
/// total timeout; the default [`RetryPolicy`].
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
    read_timeout: Option<Option<Duration>>,
    proxies: Vec<reqwest::Proxy>,
    no_proxy: bool,
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
            _ => self.fail(Error::invalid_argument(format!("invalid header {name:?}"))),
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
    /// Read timeout: how long a request may wait for the answer or for the next bytes of its
    /// body before failing with [`Error::Timeout`] (default 120 s; `None` waits forever). A
    /// stalled body is detected by this timer.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = Some(timeout);
        self
    }
    /// Sends every request (http and https) through the proxy at `url` (Python's
    /// `proxies={"http": url, "https": url}`); hosts listed in `NO_PROXY` still go direct.
    /// The environment's proxy variables are then ignored.
    pub fn proxy(self, url: &str) -> Self {
        self.add_proxy(url, |u| reqwest::Proxy::all(u))
    }
    /// Sends `http://` requests through the proxy at `url` (Python's `proxies={"http": url}`).
    pub fn http_proxy(self, url: &str) -> Self {
        self.add_proxy(url, |u| reqwest::Proxy::http(u))
    }
    /// Sends `https://` requests through the proxy at `url` (Python's `proxies={"https": url}`).
    pub fn https_proxy(self, url: &str) -> Self {
        self.add_proxy(url, |u| reqwest::Proxy::https(u))
    }
    /// Ignores every proxy, including the environment's.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }
    /// Replaces the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    fn add_proxy(
        mut self,
        url: &str,
        make: impl FnOnce(&str) -> reqwest::Result<reqwest::Proxy>,
    ) -> Self {
        match make(url) {
            Ok(p) => self.proxies.push(p.no_proxy(reqwest::NoProxy::from_env())),
            Err(e) => self.fail(Error::invalid_argument(format!(
                "invalid proxy URL {}: {e}",
                crate::error::redact_url(url)
            ))),
        }
        self
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
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
        let read_timeout = self.read_timeout.unwrap_or(Some(DEFAULT_READ_TIMEOUT));
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
            if let Some(t) = read_timeout {
                b = b.read_timeout(t);
            }
            if self.no_proxy {
                b = b.no_proxy();
            }
            for p in &self.proxies {
                b = b.proxy(p.clone());
            }
            if !redirects {
                b = b.redirect(reqwest::redirect::Policy::none());
            }
            b.build()
                .map_err(|e| Error::invalid_argument(format!("cannot build HTTP client: {e}")))
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

/// The read timeout of a client built without [`HubClientBuilder::read_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);

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
        assert!(matches!(c.require_token(), Err(Error::TokenRequired(_))));
    }

    #[tokio::test]
    async fn offline_sends_nothing() {
        let config = Config::builder()
            .offline(true)
            .endpoint("http://127.0.0.1:9")
            .build();
        let c = HubClient::builder().config(config).build().unwrap();
        let err = c
            .send(
                c.request(Method::GET, "http://127.0.0.1:9/api/whoami-v2"),
                SendOptions::new(),
            )
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

    /// A server that accepts connections and then sends `head` and nothing more.
    async fn stalling_server(head: &'static [u8]) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut sock, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await;
                let _ = tokio::io::AsyncWriteExt::write_all(&mut sock, head).await;
                held.push(sock);
            }
        });
        (format!("http://{addr}/x"), accepted)
    }

    fn quick_client(read_timeout: Duration) -> HubClient {
        HubClient::builder()
            .config(Config::builder().build())
            .no_token()
            .read_timeout(Some(read_timeout))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_silent_server_is_a_read_timeout() {
        let (url, _) = stalling_server(b"").await;
        let c = quick_client(Duration::from_millis(200));
        let err = c
            .send(c.request(Method::GET, &url), SendOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(err.kind(), crate::ErrorKind::Timeout);
        assert!(matches!(
            err,
            Error::Timeout {
                phase: crate::error::TimeoutPhase::Read,
                ..
            }
        ));
        assert!(err.is_retryable());
    }

    #[tokio::test]
    async fn a_stalled_body_is_a_timeout() {
        let (url, _) =
            stalling_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"partial\":").await;
        let c = quick_client(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let err = c
            .send_read(c.request(Method::GET, &url), SendOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn timeouts_are_retried_by_the_policy() {
        let (url, accepted) = stalling_server(b"").await;
        let c = HubClient::builder()
            .config(Config::builder().build())
            .no_token()
            .read_timeout(Some(Duration::from_millis(100)))
            .retry_policy(RetryPolicy {
                max_retries: 2,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(20),
                max_elapsed: Duration::from_secs(10),
            })
            .build()
            .unwrap();
        let err = c
            .send(c.request(Method::GET, &url), SendOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_timeout());
        // The first try and two retries, each on a connection of its own (a timed-out
        // connection is not reused).
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[test]
    fn a_bad_proxy_url_fails_at_build() {
        let e = HubClient::builder()
            .config(Config::builder().build())
            .proxy("::not a url::")
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
    }
}
