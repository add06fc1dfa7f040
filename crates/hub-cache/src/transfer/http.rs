//! Requests of the transfer engine, the answers it accepts, and how its failures are retried.

use hub_core::client::SendOptions;
use hub_core::error::TimeoutPhase;
use hub_core::{RetryDecision, RetryPolicy};
use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};

use super::Ctx;
use crate::error::{Error, Result};
use crate::verify::Expected;

/// A GET of the file, for `range` (`from`, inclusive `to`) when given. The token goes only to
/// the resolve URL's own host (`send_auth`); reqwest drops it on a redirect to another host.
pub(super) fn request(ctx: &Ctx, range: Option<(u64, Option<u64>)>) -> reqwest::RequestBuilder {
    let rb = if ctx.send_auth {
        ctx.client.request(Method::GET, &ctx.url)
    } else {
        ctx.client.request_without_token(Method::GET, &ctx.url)
    };
    let mut rb = rb.headers(ctx.headers.clone());
    if let Some((from, to)) = range {
        let v = match to {
            Some(end) => format!("bytes={from}-{end}"),
            None => format!("bytes={from}-"),
        };
        rb = rb.header(RANGE, v);
    }
    rb
}

/// Sends `rb` once through the client (the engine's loops do the retrying, resuming from what
/// they received); a 416 comes back as an answer. No answer within three read timeouts is
/// [`Error::Timeout`].
pub(super) async fn send(ctx: &Ctx, rb: reqwest::RequestBuilder) -> Result<reqwest::Response> {
    let options = SendOptions::new().once().pass_status(416);
    let wait = ctx.read_timeout * 3;
    tokio::time::timeout(wait, ctx.client.send(rb, options))
        .await
        .map_err(|_| Error::timeout(&ctx.url, TimeoutPhase::Read, Some(wait)))?
}

/// The body sent nothing for the read timeout.
pub(super) fn stall_error(ctx: &Ctx) -> Error {
    Error::timeout(&ctx.url, TimeoutPhase::Stall, Some(ctx.read_timeout))
}

/// A body that broke off mid-way (connection cut, truncated; reqwest reports some of these as
/// decode errors): always worth resuming.
pub(super) fn body_error(url: &str, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::transport(url, e);
    }
    Error::io(
        format!("reading the body of {}", hub_core::error::redact_url(url)),
        std::io::Error::new(std::io::ErrorKind::ConnectionAborted, e.without_url()),
    )
}

/// A body that ended before the bytes it announced.
pub(super) fn short_body_error(ctx: &Ctx) -> Error {
    Error::io(
        format!(
            "reading the body of {}",
            hub_core::error::redact_url(&ctx.url)
        ),
        std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "body ended early"),
    )
}

/// Whether a failed attempt is worth resuming: what [`Error::is_retryable`] says of network
/// failures, and a body that ended early; never content that failed verification (the caller
/// restarts those from zero once).
pub(super) fn is_transient(e: &Error) -> bool {
    match e {
        Error::Io { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::ConnectionAborted
        ),
        other => other.is_retryable() && !other.is_corrupted_transfer(),
    }
}

/// How the engine's loops treat a failed attempt: an attempt that moved the file forward
/// resets the count (Python resumes as long as bytes keep coming); one that did not counts
/// against [`super::Tuning::max_stalls`] with a backoff, honouring `Retry-After`.
pub(super) fn retry_decision(err: &Error, progressed: bool) -> RetryDecision {
    if !is_transient(err) {
        return RetryDecision::Fail;
    }
    if progressed {
        return RetryDecision::RetryReset;
    }
    match err.http_context().and_then(|c| c.retry_after) {
        Some(d) => RetryDecision::RetryAfter(d),
        None => RetryDecision::Retry,
    }
}

/// Runs `attempt` (which reports whether it made progress when it fails) under the engine's
/// policy.
pub(super) async fn with_retries<T, F, Fut>(policy: &RetryPolicy, attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, (Error, bool)>>,
{
    policy
        .run_if(attempt, |(err, progressed)| {
            retry_decision(err, *progressed)
        })
        .await
        .map_err(|(err, _)| err)
}

/// `Content-Range: bytes a-b/total` → `(a, b)`.
pub(super) fn content_range(resp: &reqwest::Response) -> Option<(u64, u64)> {
    let v = resp.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, _total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Whether the response names a different content than the one being resumed.
pub(super) fn etag_changed(ctx: &Ctx, resp: &reqwest::Response) -> bool {
    let h = resp
        .headers()
        .get("x-linked-etag")
        .or_else(|| resp.headers().get(reqwest::header::ETAG))
        .and_then(|v| v.to_str().ok())
        .map(hub_core::api::metadata::normalize_etag);
    match h {
        Some(tag) => {
            Expected::from_etag(&tag) != Expected::SizeOnly
                && std::mem::discriminant(&Expected::from_etag(&tag))
                    == std::mem::discriminant(&ctx.expected)
                && tag != ctx.etag
        }
        None => false,
    }
}

/// Whether an answer means "this server does not serve ranges properly": fall back to one
/// stream.
pub(super) fn is_fallback(e: &Error) -> bool {
    matches!(e.status(), Some(403) | Some(416))
}

/// Whether the answer is the full body (200) the small path expects.
pub(super) fn is_full_body(resp: &reqwest::Response) -> bool {
    resp.status() == StatusCode::OK
}
