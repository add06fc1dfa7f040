//! [`MockServer`]: an axum router served on `127.0.0.1:0` that records what it receives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// Path and query, as sent (`/api/models?search=x`).
    pub path: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The path without the query.
    pub fn uri_path(&self) -> &str {
        self.path.split_once('?').map_or(&self.path, |(p, _)| p)
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON; panics (failing the test) when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {}: body is not JSON ({e})", self.method, self.path))
    }
}

type Log = Arc<Mutex<Vec<RecordedRequest>>>;

fn lock(log: &Log) -> MutexGuard<'_, Vec<RecordedRequest>> {
    // A handler that panicked mid-test must not hide what was recorded before.
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A router served on an ephemeral local port; stops accepting when dropped.
///
/// Every request is recorded, body included, before the router handles it (the body is read
/// whole first, so handlers see it already complete).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use axum::routing::get;
/// let server = test_support::MockServer::start(
///     axum::Router::new().route("/api/whoami-v2", get(|| async { r#"{"name":"alice"}"# })),
/// )
/// .await?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.hits(), 0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    log: Log,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl MockServer {
    /// Binds `127.0.0.1:0` and serves `router` on the current tokio runtime.
    pub async fn start(router: Router) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log = Log::default();
        let app = router.layer(axum::middleware::from_fn_with_state(log.clone(), record));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            // An error here ends the server; the test then fails on its next request.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockServer {
            addr,
            log,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }

    /// The most recent request; panics (failing the test) when there was none.
    pub fn last_request(&self) -> RecordedRequest {
        lock(&self.log)
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("no request reached {}", self.url()))
    }

    /// How many requests were received so far.
    pub fn hits(&self) -> usize {
        lock(&self.log).len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("reading body: {e}")).into_response(),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    lock(&log).push(RecordedRequest {
        method: parts.method.clone(),
        path,
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::time::Duration;

    async fn send(method: &str, url: &str, body: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: {host}\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn records_requests_and_serves_the_router() {
        let server = MockServer::start(
            Router::new()
                .route("/echo", post(|body: Bytes| async move { body }))
                .route("/hi", get(|| async { "hi" })),
        )
        .await
        .unwrap();
        let answer = send("POST", &format!("{}/echo?x=1", server.url()), r#"{"a":1}"#).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.ends_with(r#"{"a":1}"#),
            "the handler sees the whole body: {answer}"
        );
        let answer = send("GET", &format!("{}/missing", server.url()), "").await;
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
        assert_eq!(server.hits(), 2, "unrouted requests are recorded too");
        let first = &server.requests()[0];
        assert_eq!(first.method, Method::POST);
        assert_eq!(first.path, "/echo?x=1");
        assert_eq!(first.uri_path(), "/echo");
        assert_eq!(first.header("x-test"), Some("yes"));
        assert_eq!(first.json(), serde_json::json!({"a": 1}));
        assert_eq!(server.last_request().path, "/missing");
    }

    #[tokio::test]
    async fn drop_stops_the_server() {
        let server = MockServer::start(Router::new().route("/hi", get(|| async { "hi" })))
            .await
            .unwrap();
        let addr = server.addr();
        assert!(
            send("GET", &format!("http://{addr}/hi"), "")
                .await
                .ends_with("hi")
        );
        drop(server);
        // The listener closes once the graceful shutdown is seen; connecting then fails.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "still accepting after drop"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
