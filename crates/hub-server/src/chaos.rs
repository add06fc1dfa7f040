//! Fault injection ("chaos") middleware, used to test how clients cope with an unreliable Hub.
//!
//! A [`ChaosSpec`] is parsed from a comma-separated list such as
//! `drop=0.1,error=0.05,ratelimit=0.05,throttle=1048576,seed=7` and applied to a router with
//! [`layer`]. The faults are designed so that they can never corrupt server state:
//!
//! * `error` and `ratelimit` are decided *before* the handler runs, so a request that receives an
//!   injected 5xx/429 has had no effect at all;
//! * `drop` and `throttle` only touch the *response body* after the handler has finished, so the
//!   server-side effect of the request is complete even if the client never sees the answer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::{Instant, Sleep};

/// A parsed chaos specification.
///
/// Text form: comma-separated `key=value` items, each key at most once:
///
/// | key | value | effect |
/// |---|---|---|
/// | `drop` | probability `0..=1` | cut the response body part-way (headers and some bytes are sent, then the connection is aborted) |
/// | `error` | probability | answer 500, 502 or 503 without running the handler |
/// | `ratelimit` | probability | answer 429 with `Retry-After: 1` without running the handler |
/// | `throttle` | bytes per second (> 0) | limit the rate at which every response body is sent |
/// | `seed` | unsigned integer | seed of the random generator, making the fault sequence reproducible |
///
/// An empty string is a valid spec with no faults.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChaosSpec {
    /// Per-request probability of cutting the response body part-way.
    pub drop: f64,
    /// Per-request probability of answering 5xx instead of handling the request.
    pub error: f64,
    /// Per-request probability of answering 429 instead of handling the request.
    pub ratelimit: f64,
    /// Response body rate limit in bytes per second (`None`: unlimited).
    pub throttle: Option<u64>,
    /// Seed of the deterministic random generator (`None`: seeded from the OS).
    pub seed: Option<u64>,
}

impl ChaosSpec {
    /// True when this spec injects no fault at all (the layer is then a no-op).
    pub fn is_noop(&self) -> bool {
        self.drop == 0.0 && self.error == 0.0 && self.ratelimit == 0.0 && self.throttle.is_none()
    }
}

/// Error returned when a chaos specification cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChaosSpecError {
    /// An item was not of the form `key=value`.
    #[error(
        "invalid chaos item {0:?}: expected key=value (keys: drop, error, ratelimit, throttle, seed)"
    )]
    NotKeyValue(String),
    /// The key is not one of the known fault kinds.
    #[error("unknown chaos key {0:?} (known: drop, error, ratelimit, throttle, seed)")]
    UnknownKey(String),
    /// A key appeared more than once.
    #[error("chaos key {0:?} given more than once")]
    Duplicate(String),
    /// A probability was not a number in `0..=1`.
    #[error("chaos {key}={value:?}: expected a probability between 0 and 1")]
    BadProbability {
        /// The key whose value was rejected.
        key: String,
        /// The rejected value.
        value: String,
    },
    /// `throttle` was not a positive integer.
    #[error("chaos throttle={0:?}: expected a positive number of bytes per second")]
    BadThrottle(String),
    /// `seed` was not an unsigned integer.
    #[error("chaos seed={0:?}: expected an unsigned integer")]
    BadSeed(String),
}

fn parse_probability(key: &str, value: &str) -> Result<f64, ChaosSpecError> {
    let bad = || ChaosSpecError::BadProbability {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    let p: f64 = value.parse().map_err(|_| bad())?;
    // `contains` is false for NaN, so NaN is rejected too.
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(bad())
    }
}

impl FromStr for ChaosSpec {
    type Err = ChaosSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = ChaosSpec::default();
        let mut seen: Vec<String> = Vec::new();
        for item in s.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()))
                .ok_or_else(|| ChaosSpecError::NotKeyValue(item.to_owned()))?;
            if seen.contains(&key) {
                return Err(ChaosSpecError::Duplicate(key));
            }
            match key.as_str() {
                "drop" => spec.drop = parse_probability(&key, value)?,
                "error" => spec.error = parse_probability(&key, value)?,
                "ratelimit" => spec.ratelimit = parse_probability(&key, value)?,
                "throttle" => {
                    let bps: u64 = value
                        .parse()
                        .ok()
                        .filter(|bps| *bps > 0)
                        .ok_or_else(|| ChaosSpecError::BadThrottle(value.to_owned()))?;
                    spec.throttle = Some(bps);
                }
                "seed" => {
                    spec.seed = Some(
                        value
                            .parse()
                            .map_err(|_| ChaosSpecError::BadSeed(value.to_owned()))?,
                    );
                }
                _ => return Err(ChaosSpecError::UnknownKey(key)),
            }
            seen.push(key);
        }
        Ok(spec)
    }
}

impl fmt::Display for ChaosSpec {
    /// Formats the spec in the same syntax [`FromStr`] accepts (only non-default items).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items = Vec::new();
        if self.drop > 0.0 {
            items.push(format!("drop={}", self.drop));
        }
        if self.error > 0.0 {
            items.push(format!("error={}", self.error));
        }
        if self.ratelimit > 0.0 {
            items.push(format!("ratelimit={}", self.ratelimit));
        }
        if let Some(bps) = self.throttle {
            items.push(format!("throttle={bps}"));
        }
        if let Some(seed) = self.seed {
            items.push(format!("seed={seed}"));
        }
        f.write_str(&items.join(","))
    }
}

/// Shared state of the chaos middleware: the spec and its random generator.
struct Chaos {
    spec: ChaosSpec,
    rng: Mutex<StdRng>,
}

/// The random draws for one request, all taken up front so that the sequence of outcomes of a
/// seeded run does not depend on which fault fired.
struct Draws {
    error: f64,
    ratelimit: f64,
    drop: f64,
    status: usize,
    cut: f64,
}

impl Chaos {
    fn draw(&self) -> Draws {
        // A poisoned lock only means another request panicked mid-draw; the generator is still
        // usable, and the chaos layer must not take the server down.
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        Draws {
            error: rng.random(),
            ratelimit: rng.random(),
            drop: rng.random(),
            status: rng.random_range(0..3),
            cut: rng.random(),
        }
    }
}

/// Wraps `router` so that every request is subject to the faults described by `spec`.
///
/// A no-op spec returns the router unchanged.
pub fn layer(router: axum::Router, spec: ChaosSpec) -> axum::Router {
    if spec.is_noop() {
        return router;
    }
    let rng = match spec.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_os_rng(),
    };
    let chaos = Arc::new(Chaos {
        spec,
        rng: Mutex::new(rng),
    });
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: axum::middleware::Next| {
            let chaos = Arc::clone(&chaos);
            async move { apply(&chaos, req, next).await }
        },
    ))
}

async fn apply(chaos: &Chaos, req: Request, next: axum::middleware::Next) -> Response {
    let spec = &chaos.spec;
    let draws = chaos.draw();
    // Request-level faults: decided before the handler, so the request has no effect.
    if draws.error < spec.error {
        let status = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ][draws.status];
        return injected(status, "chaos: injected server error");
    }
    if draws.ratelimit < spec.ratelimit {
        let mut resp = injected(StatusCode::TOO_MANY_REQUESTS, "chaos: injected rate limit");
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        // Newer clients wait `t` (+1) seconds when `r=0`, like `Retry-After`.
        resp.headers_mut()
            .insert("ratelimit", HeaderValue::from_static("\"api\";r=0;t=1"));
        return resp;
    }
    let is_head = req.method() == http::Method::HEAD;
    let resp = next.run(req).await;
    if is_head {
        // No body is ever sent for HEAD.
        return resp;
    }
    let drop_now = draws.drop < spec.drop;
    if !drop_now && spec.throttle.is_none() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let hint = body.size_hint();
    let drop_after = if drop_now {
        cut_point(&hint, draws.cut)
    } else {
        None
    };
    if drop_after.is_none() && spec.throttle.is_none() {
        return Response::from_parts(parts, body);
    }
    let body = ChaosBody {
        inner: body,
        hint,
        pending: Bytes::new(),
        emitted: 0,
        drop_after,
        abort: None,
        throttle: spec.throttle.map(|bps| Throttle {
            bps,
            start: None,
            sleep: None,
        }),
    };
    Response::from_parts(parts, Body::new(body))
}

/// Where to cut a body of the given size: somewhere strictly inside it, so that the client
/// receives the headers and a proper prefix of the body. `None` for bodies that are known to be
/// empty (there is nothing to truncate).
fn cut_point(hint: &SizeHint, frac: f64) -> Option<u64> {
    // Bodies of unknown length are cut within their first 64 KiB (if they are shorter, they end
    // normally).
    let len = hint.exact().unwrap_or(64 * 1024);
    match len {
        0 => None,
        1 => Some(0),
        // Truncation toward zero keeps the result in 1..len.
        _ => Some(1 + ((len - 1) as f64 * frac) as u64),
    }
}

fn injected(status: StatusCode, message: &'static str) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"error\":\"{message}\"}}"),
    )
        .into_response();
    let headers = resp.headers_mut();
    headers.insert("x-error-message", HeaderValue::from_static(message));
    // The inner router's request-id layer never sees this request; clients quote the id in
    // their error messages, so give injected answers one too.
    if let Ok(id) = HeaderValue::from_str(&format!("chaos-{}", uuid::Uuid::new_v4())) {
        headers.insert("x-request-id", id);
    }
    resp
}

/// How long a dropped body stays silent before the connection is aborted.
const ABORT_PAUSE: Duration = Duration::from_millis(50);

/// Pacing state of a throttled body.
struct Throttle {
    bps: u64,
    /// When the body was first polled; the pacing schedule counts from there, so time spent in
    /// the handler does not count as credit for the body.
    start: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Throttle {
    /// Largest chunk released at once: about a tenth of a second worth of data, so the rate is
    /// smooth at the scale of a second.
    fn chunk(&self) -> usize {
        usize::try_from((self.bps / 10).max(1)).unwrap_or(usize::MAX)
    }
}

/// A response body wrapper that paces (`throttle`) and/or truncates (`drop`) the inner body.
///
/// The inner size hint is forwarded, so the client still receives `Content-Length` and can detect
/// the truncation.
struct ChaosBody {
    inner: Body,
    hint: SizeHint,
    /// Data taken from `inner` but not yet released.
    pending: Bytes,
    emitted: u64,
    drop_after: Option<u64>,
    /// Pause between the last byte sent and the abort of a dropped body.
    abort: Option<Pin<Box<Sleep>>>,
    throttle: Option<Throttle>,
}

impl HttpBody for ChaosBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        loop {
            if this.pending.is_empty() {
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Ready(Some(Err(e))) => {
                        return Poll::Ready(Some(Err(std::io::Error::other(e))));
                    }
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => {
                            this.pending = data;
                            continue;
                        }
                        // Trailers pass through untouched.
                        Err(frame) => return Poll::Ready(Some(Ok(frame))),
                    },
                }
            }
            let mut take = this.pending.len();
            if let Some(limit) = this.drop_after {
                if this.emitted >= limit {
                    // Pause before failing: hyper flushes what it buffered while the body is
                    // pending, but discards its buffer when the body fails. Without the pause a
                    // small prefix (even the headers) would never reach the client.
                    let pause = this
                        .abort
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(ABORT_PAUSE)));
                    if Future::poll(pause.as_mut(), cx).is_pending() {
                        return Poll::Pending;
                    }
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "chaos: response body dropped",
                    ))));
                }
                take = take.min(usize::try_from(limit - this.emitted).unwrap_or(usize::MAX));
            }
            if let Some(throttle) = this.throttle.as_mut() {
                take = take.min(throttle.chunk());
                let start = *throttle.start.get_or_insert_with(Instant::now);
                // Bytes already released must have "paid" for their time before more go out.
                let due =
                    start + Duration::from_secs_f64(this.emitted as f64 / throttle.bps as f64);
                if due > Instant::now() {
                    let sleep = throttle
                        .sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                    sleep.as_mut().reset(due);
                    if Future::poll(sleep.as_mut(), cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
            let chunk = this.pending.split_to(take);
            this.emitted += chunk.len() as u64;
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream() && self.drop_after.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use http_body_util::BodyExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    #[test]
    fn parses_full_spec() {
        let spec: ChaosSpec = " drop=0.1, error=0.25 ,ratelimit=1,throttle=1048576,seed=42"
            .parse()
            .unwrap();
        assert_eq!(
            spec,
            ChaosSpec {
                drop: 0.1,
                error: 0.25,
                ratelimit: 1.0,
                throttle: Some(1_048_576),
                seed: Some(42)
            }
        );
        assert_eq!(spec.to_string().parse::<ChaosSpec>().unwrap(), spec);
        assert!(!spec.is_noop());
    }

    #[test]
    fn empty_spec_is_noop() {
        let spec: ChaosSpec = "".parse().unwrap();
        assert!(spec.is_noop());
        assert_eq!(spec.to_string(), "");
        assert!("seed=3".parse::<ChaosSpec>().unwrap().is_noop());
    }

    #[test]
    fn rejects_invalid_specs() {
        for (text, want) in [
            ("drop", ChaosSpecError::NotKeyValue("drop".into())),
            ("explode=0.5", ChaosSpecError::UnknownKey("explode".into())),
            (
                "drop=0.1,drop=0.2",
                ChaosSpecError::Duplicate("drop".into()),
            ),
            (
                "drop=1.5",
                ChaosSpecError::BadProbability {
                    key: "drop".into(),
                    value: "1.5".into(),
                },
            ),
            (
                "error=-0.1",
                ChaosSpecError::BadProbability {
                    key: "error".into(),
                    value: "-0.1".into(),
                },
            ),
            (
                "ratelimit=NaN",
                ChaosSpecError::BadProbability {
                    key: "ratelimit".into(),
                    value: "NaN".into(),
                },
            ),
            (
                "ratelimit=lots",
                ChaosSpecError::BadProbability {
                    key: "ratelimit".into(),
                    value: "lots".into(),
                },
            ),
            ("throttle=0", ChaosSpecError::BadThrottle("0".into())),
            ("throttle=1.5", ChaosSpecError::BadThrottle("1.5".into())),
            ("seed=-1", ChaosSpecError::BadSeed("-1".into())),
        ] {
            let err = text.parse::<ChaosSpec>().unwrap_err();
            assert_eq!(err, want, "{text}");
            assert!(!err.to_string().is_empty());
        }
    }

    /// A router whose POST handler counts how often it ran (to prove injected errors have no
    /// effect) and whose GET handler returns `len` bytes.
    fn app(hits: Arc<AtomicUsize>, len: usize) -> axum::Router {
        axum::Router::new()
            .route(
                "/effect",
                post(move || {
                    let hits = Arc::clone(&hits);
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        "done"
                    }
                }),
            )
            .route("/data", get(move || async move { vec![7u8; len] }))
    }

    fn post_req() -> Request {
        Request::post("/effect").body(Body::empty()).unwrap()
    }

    fn get_req() -> Request {
        Request::get("/data").body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn error_fault_skips_handler() {
        let hits = Arc::new(AtomicUsize::new(0));
        let spec = "error=1,seed=1".parse().unwrap();
        let app = layer(app(Arc::clone(&hits), 10), spec);
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let resp = app.clone().oneshot(post_req()).await.unwrap();
            statuses.push(resp.status().as_u16());
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "handler must not run on injected errors"
        );
        for code in [500, 502, 503] {
            assert!(
                statuses.contains(&code),
                "{code} never injected: {statuses:?}"
            );
        }
        assert!(statuses.iter().all(|s| [500, 502, 503].contains(s)));
    }

    #[tokio::test]
    async fn ratelimit_fault_sets_retry_after() {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = layer(app(Arc::clone(&hits), 10), "ratelimit=1".parse().unwrap());
        let resp = app.oneshot(post_req()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
        assert_eq!(resp.headers()["ratelimit"], "\"api\";r=0;t=1");
        assert!(
            resp.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .starts_with("chaos-")
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn probabilities_are_respected_and_seeded() {
        async fn run(seed: u64) -> (Vec<u16>, usize) {
            let hits = Arc::new(AtomicUsize::new(0));
            let spec = format!("error=0.3,ratelimit=0.3,seed={seed}")
                .parse()
                .unwrap();
            let app = layer(app(Arc::clone(&hits), 10), spec);
            let mut statuses = Vec::new();
            for _ in 0..400 {
                statuses.push(
                    app.clone()
                        .oneshot(post_req())
                        .await
                        .unwrap()
                        .status()
                        .as_u16(),
                );
            }
            (statuses, hits.load(Ordering::SeqCst))
        }
        let (a, hits) = run(9).await;
        let ok = a.iter().filter(|s| **s == 200).count();
        assert_eq!(
            ok, hits,
            "every 200 ran the handler exactly once, nothing else did"
        );
        // P(ok) = 0.7 * 0.7 = 0.49; 400 samples: very loose bounds.
        assert!((120..=280).contains(&ok), "ok={ok}");
        assert!(a.contains(&429));
        let (b, _) = run(9).await;
        assert_eq!(a, b, "same seed, same fault sequence");
        let (c, _) = run(10).await;
        assert_ne!(a, c, "different seed, different sequence");
    }

    #[tokio::test]
    async fn drop_fault_truncates_body() {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = layer(app(hits, 100_000), "drop=1,seed=5".parse().unwrap());
        for _ in 0..10 {
            let resp = app.clone().oneshot(get_req()).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "headers are sent normally");
            let body = resp.into_body();
            assert_eq!(
                body.size_hint().exact(),
                Some(100_000),
                "length still announced"
            );
            let mut stream = body.into_data_stream();
            let mut got = 0usize;
            let mut failed = false;
            while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
                match chunk {
                    Ok(bytes) => got += bytes.len(),
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            assert!(failed, "the body must end with an error");
            assert!(got > 0 && got < 100_000, "got {got} bytes");
        }
    }

    #[tokio::test]
    async fn drop_never_fires_at_zero_probability() {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = layer(
            app(hits, 5000),
            "drop=0,throttle=100000000".parse().unwrap(),
        );
        for _ in 0..20 {
            let body = app.clone().oneshot(get_req()).await.unwrap().into_body();
            let bytes = body.collect().await.unwrap().to_bytes();
            assert_eq!(bytes.len(), 5000);
        }
    }

    #[tokio::test]
    async fn throttle_paces_body() {
        let hits = Arc::new(AtomicUsize::new(0));
        // 4 000 bytes at 10 000 B/s in chunks of 1 000: the last chunk is due after 0.3 s.
        // Only a lower bound on time is asserted (a slow machine can only make it slower).
        let app = layer(app(hits, 4_000), "throttle=10000".parse().unwrap());
        let started = Instant::now();
        let resp = app.oneshot(get_req()).await.unwrap();
        let body = resp.into_body();
        assert_eq!(body.size_hint().exact(), Some(4_000));
        let mut stream = body.into_data_stream();
        let mut got = 0usize;
        let mut chunks = 0usize;
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            let chunk = chunk.unwrap();
            assert!(
                chunk.len() <= 1_000,
                "chunks are a tenth of a second worth: {}",
                chunk.len()
            );
            got += chunk.len();
            chunks += 1;
        }
        assert_eq!(got, 4_000, "throttling must not lose data");
        assert!(chunks >= 4);
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(290),
            "took only {elapsed:?}"
        );
    }

    #[test]
    fn cut_point_stays_inside_body() {
        assert_eq!(cut_point(&SizeHint::with_exact(0), 0.5), None);
        assert_eq!(cut_point(&SizeHint::with_exact(1), 0.5), Some(0));
        for frac in [0.0, 0.3, 0.999_999] {
            let cut = cut_point(&SizeHint::with_exact(10), frac).unwrap();
            assert!((1..10).contains(&cut), "{cut}");
        }
    }
}
