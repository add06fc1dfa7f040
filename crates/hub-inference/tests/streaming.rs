//! Streaming and transport robustness against a local server: events split at every byte,
//! keep-alives, errors inside a 200 stream, stalls, early closes, consumer drop; 503 retries and
//! timeouts.
#![allow(clippy::unwrap_used, missing_docs)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::{Stream, StreamExt};
use hub_core::{Config, HubClient};
use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage};
use hub_inference::{Error, InferenceClient};
use test_support::MockServer;

fn chunk_json(i: usize, content: &str) -> String {
    serde_json::json!({
        "id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": null}]
    })
    .to_string()
        + &" ".repeat(i % 2) // vary lengths a little
}

fn sse(events: &[String]) -> String {
    events.iter().map(|e| format!("data: {e}\n\n")).collect()
}

fn event_stream(body: Body) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap()
}

/// A body that yields `data` one byte per chunk, yielding to the scheduler in between so the
/// bytes really travel separately.
fn byte_by_byte(data: Vec<u8>) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    futures::stream::iter(data).then(|b| async move {
        tokio::time::sleep(Duration::from_micros(200)).await;
        Ok(Bytes::from(vec![b]))
    })
}

/// Sets a flag when dropped: the server's body was dropped, i.e. the connection went away.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[derive(Clone, Default)]
struct AppState {
    dropped: Arc<AtomicBool>,
    hits: Arc<AtomicUsize>,
    wait_headers: Arc<std::sync::Mutex<Vec<Option<String>>>>,
}

const UNICODE: &str = "caf\u{e9} \u{1f980} \u{65e5}\u{672c}";

fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/bytes/v1/chat/completions",
            post(|| async {
                let mut body = String::from(": hello\r\n\r\n");
                for (i, word) in ["Hello", " ", UNICODE, "!"].iter().enumerate() {
                    body.push_str(&format!("data:{}\r\n\r\n", chunk_json(i, word)));
                    body.push_str(": keep-alive\n\n");
                }
                body.push_str("data: [DONE]\n\n");
                event_stream(Body::from_stream(byte_by_byte(body.into_bytes())))
            }),
        )
        .route(
            "/error/v1/chat/completions",
            post(|| async {
                let mut body = sse(&[chunk_json(0, "a"), chunk_json(1, "b")]);
                body.push_str("data: {\"error\":\"Request failed during generation: out of memory\",\"error_type\":\"generation\"}\n\n");
                body.push_str(&sse(&[chunk_json(2, "never")]));
                event_stream(Body::from(body))
            }),
        )
        .route(
            "/error-object/v1/chat/completions",
            post(|| async {
                let body = format!("{}data: {{\"error\":{{\"message\":\"rate limited\",\"type\":\"overloaded\"}}}}\n\n", sse(&[chunk_json(0, "a")]));
                event_stream(Body::from(body))
            }),
        )
        .route(
            "/stall/v1/chat/completions",
            post(|State(s): State<AppState>| async move {
                let flag = DropFlag(s.dropped.clone());
                let first = Bytes::from(sse(&[chunk_json(0, "first")]));
                let stream = futures::stream::once(async move { Ok::<_, Infallible>(first) }).chain(
                    futures::stream::once(async move {
                        let _flag = flag;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        Ok(Bytes::new())
                    }),
                );
                event_stream(Body::from_stream(stream))
            }),
        )
        .route(
            "/close/v1/chat/completions",
            post(|| async { event_stream(Body::from(sse(&[chunk_json(0, "a"), chunk_json(1, "b")]))) }),
        )
        .route(
            "/truncated/v1/chat/completions",
            post(|| async {
                let mut body = sse(&[chunk_json(0, "a")]);
                body.push_str("data: {\"id\":\"x\",\"choi");
                event_stream(Body::from(body))
            }),
        )
        .route(
            "/abort/v1/chat/completions",
            post(|| async {
                let first = Bytes::from(sse(&[chunk_json(0, "a")]));
                // The failure comes after the headers and first event were flushed.
                let stream = futures::stream::once(async move { Ok(first) }).chain(futures::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "upstream died"))
                }));
                event_stream(Body::from_stream(stream))
            }),
        )
        .route(
            "/endless/v1/chat/completions",
            post(|State(s): State<AppState>| async move {
                let flag = Arc::new(DropFlag(s.dropped.clone()));
                let stream = futures::stream::unfold(0usize, move |i| {
                    let _keep = flag.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        Some((Ok::<_, Infallible>(Bytes::from(sse(&[chunk_json(i, "tick")]))), i + 1))
                    }
                });
                event_stream(Body::from_stream(stream))
            }),
        )
        .route(
            "/models/loading",
            post(|State(s): State<AppState>, headers: HeaderMap| async move {
                s.wait_headers
                    .lock()
                    .unwrap()
                    .push(headers.get("x-wait-for-model").map(|v| v.to_str().unwrap().to_owned()));
                if s.hits.fetch_add(1, Ordering::SeqCst) < 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"error": "Model m is currently loading", "estimated_time": 12.5})))
                        .into_response()
                } else {
                    axum::Json(serde_json::json!([{"label": "POSITIVE", "score": 0.9}])).into_response()
                }
            }),
        )
        .route(
            "/json-error/v1/chat/completions",
            post(|| async { axum::Json(serde_json::json!({"error": "Input validation error: too long", "error_type": "validation"})) }),
        )
        .route(
            "/not-streaming/v1/chat/completions",
            post(|| async { axum::Json(serde_json::json!({"choices": []})) }),
        )
        .route(
            "/models/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .with_state(state)
}

struct Server {
    url: String,
    state: AppState,
    _server: MockServer,
}

async fn start() -> Server {
    let state = AppState::default();
    let server = MockServer::start(app(state.clone())).await.unwrap();
    Server {
        url: server.url(),
        state,
        _server: server,
    }
}

fn client(server: &Server, path: &str, timeout: Option<Duration>) -> InferenceClient {
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    let mut b = InferenceClient::builder()
        .hub_client(hub)
        .base_url(format!("{}/{path}", server.url))
        .model_loading_retry_interval(Duration::from_millis(20));
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.build().unwrap()
}

fn input() -> ChatCompletionInput {
    ChatCompletionInput::new([ChatCompletionInputMessage::user("hi")])
}

#[tokio::test]
async fn events_split_at_every_byte_with_keepalives_crlf_and_unicode() {
    let server = start().await;
    let stream = client(&server, "bytes", None)
        .chat_completion_stream(&input())
        .await
        .unwrap();
    let chunks: Vec<_> = stream.collect().await;
    assert_eq!(
        chunks.len(),
        4,
        "keep-alives and comments are skipped, [DONE] ends"
    );
    let text: String = chunks
        .iter()
        .map(|c| c.as_ref().unwrap().content().unwrap().to_owned())
        .collect();
    assert_eq!(text, format!("Hello {UNICODE}!"));
}

#[tokio::test]
async fn error_event_inside_200_stream_is_typed_then_stream_ends() {
    let server = start().await;
    let mut stream = client(&server, "error", None)
        .chat_completion_stream(&input())
        .await
        .unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().content(), Some("a"));
    assert_eq!(stream.next().await.unwrap().unwrap().content(), Some("b"));
    match stream.next().await.unwrap() {
        Err(Error::Generation { message }) => assert!(message.contains("out of memory")),
        other => panic!("expected a generation error, got {other:?}"),
    }
    assert!(
        stream.next().await.is_none(),
        "the stream ends after an error"
    );
}

#[tokio::test]
async fn error_object_event_is_typed() {
    let server = start().await;
    let items: Vec<_> = client(&server, "error-object", None)
        .chat_completion_stream(&input())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[1], Err(Error::Overloaded { message }) if message == "rate limited"));
}

#[tokio::test]
async fn stalled_stream_times_out_with_typed_error() {
    let server = start().await;
    let mut stream = client(&server, "stall", Some(Duration::from_millis(300)))
        .chat_completion_stream(&input())
        .await
        .unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap().content(),
        Some("first")
    );
    let started = std::time::Instant::now();
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::InferenceTimeout { .. }));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stream.next().await.is_none());
    drop(stream);
    // The timed-out stream released the connection, so the server's body is dropped.
    wait_for_flag(&server.state.dropped).await;
}

#[tokio::test]
async fn server_closing_without_done_ends_the_stream_cleanly() {
    let server = start().await;
    let items: Vec<_> = client(&server, "close", None)
        .chat_completion_stream(&input())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(Result::is_ok));
}

#[tokio::test]
async fn server_closing_mid_event_gives_decode_error() {
    let server = start().await;
    let items: Vec<_> = client(&server, "truncated", None)
        .chat_completion_stream(&input())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(
        matches!(&items[1], Err(Error::Decode { .. })),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn connection_abort_gives_transport_error_once() {
    let server = start().await;
    let items: Vec<_> = client(&server, "abort", None)
        .chat_completion_stream(&input())
        .await
        .unwrap()
        .collect()
        .await;
    assert!(items[0].is_ok());
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        matches!(
            &items[1],
            Err(Error::Hub(hub_core::Error::Transport { .. }))
        ),
        "{:?}",
        items[1]
    );
}

async fn wait_for_flag(flag: &AtomicBool) {
    for _ in 0..500 {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server never saw the connection close");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = start().await;
    let mut stream = client(&server, "endless", None)
        .chat_completion_stream(&input())
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            stream.next().await.unwrap().unwrap().content(),
            Some("tick")
        );
    }
    assert!(!server.state.dropped.load(Ordering::SeqCst));
    drop(stream);
    wait_for_flag(&server.state.dropped).await;
}

#[tokio::test]
async fn model_loading_503_is_retried_with_wait_header() {
    let server = start().await;
    let client = client(&server, "unused", None).with_model("loading");
    let out = client
        .text_classification("I like you", None)
        .await
        .unwrap();
    assert_eq!(out[0].label, "POSITIVE");
    assert_eq!(server.state.hits.load(Ordering::SeqCst), 3);
    let headers = server.state.wait_headers.lock().unwrap().clone();
    assert_eq!(
        headers,
        vec![None, Some("1".to_owned()), Some("1".to_owned())]
    );
}

#[tokio::test]
async fn model_loading_without_waiting_is_typed() {
    let server = start().await;
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    let client = InferenceClient::builder()
        .hub_client(hub)
        .model("loading")
        .wait_for_model(false)
        .build()
        .unwrap();
    match client.text_classification("x", None).await.unwrap_err() {
        Error::ModelLoading {
            estimated_time,
            message,
        } => {
            assert_eq!(estimated_time, Some(12.5));
            assert!(message.contains("currently loading"));
        }
        other => panic!("expected ModelLoading, got {other:?}"),
    }
}

#[tokio::test]
async fn slow_answer_times_out() {
    let server = start().await;
    let client = client(&server, "unused", Some(Duration::from_millis(200))).with_model("slow");
    let err = client.fill_mask("a <mask>", None).await.unwrap_err();
    assert!(
        matches!(err, Error::InferenceTimeout { timeout, .. } if timeout == Duration::from_millis(200))
    );
}

#[tokio::test]
async fn loading_model_past_timeout_is_a_timeout() {
    let server = start().await;
    // Retries every 20 ms would succeed on the 3rd try (40 ms); a 10 ms budget expires first.
    let client = client(&server, "unused", Some(Duration::from_millis(10))).with_model("loading");
    let err = client.text_classification("x", None).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn json_answer_to_a_stream_request_is_reported() {
    let server = start().await;
    let err = client(&server, "json-error", None)
        .chat_completion_stream(&input())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation { ref message, .. } if message == "Input validation error: too long"),
        "{err:?}"
    );
    let err = client(&server, "not-streaming", None)
        .chat_completion_stream(&input())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
}
