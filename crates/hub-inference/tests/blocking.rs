//! The blocking facade works from plain threads and from inside async code without panicking.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use axum::Json;
use axum::routing::post;
use hub_core::{Config, HubClient};
use hub_inference::blocking;
use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage};
use serde_json::{Value, json};

/// A tiny OpenAI-compatible server on its own thread and runtime.
fn serve() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/v1/chat/completions",
                    post(|Json(body): Json<Value>| async move {
                        let words = ["one ", "two ", "three"];
                        if body["stream"] == true {
                            let sse: String = words
                                .iter()
                                .map(|w| format!("data: {}\n\n", json!({"id": "c1", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": w}}]})))
                                .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
                                .collect();
                            axum::response::Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(axum::body::Body::from(sse))
                                .unwrap()
                        } else {
                            axum::response::IntoResponse::into_response(Json(
                                json!({"id": "c1", "created": 1, "model": "m", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": words.concat()}}]}),
                            ))
                        }
                    }),
                )
                .route("/models/m", post(|| async { Json(json!([[{"label": "POSITIVE", "score": 0.75}]])) }));
            let server = test_support::MockServer::start(app).await.unwrap();
            tx.send(server.url()).unwrap();
            // Serve for as long as the test process lives.
            std::future::pending::<()>().await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

fn client(url: &str) -> blocking::InferenceClient {
    let config = Config::builder()
        .endpoint(url)
        .inference_endpoint(url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    let inner = hub_inference::InferenceClient::builder()
        .hub_client(hub)
        .base_url(url)
        .build()
        .unwrap();
    blocking::InferenceClient::new(inner).unwrap()
}

fn input() -> ChatCompletionInput {
    ChatCompletionInput::new([ChatCompletionInputMessage::user("count")])
}

#[test]
fn blocking_calls_and_streams_from_a_plain_thread() {
    let url = serve();
    let client = client(&url);
    let out = client.chat_completion(&input()).unwrap();
    assert_eq!(
        out.choices[0].message.content.as_deref(),
        Some("one two three")
    );
    let words: Vec<String> = client
        .chat_completion_stream(&input())
        .unwrap()
        .map(|c| c.unwrap().content().unwrap().to_owned())
        .collect();
    assert_eq!(words, vec!["one ", "two ", "three"]);
    let labels = client.as_async().with_model(format!("{url}/models/m"));
    let labels = blocking::InferenceClient::new(labels)
        .unwrap()
        .text_classification("x", None)
        .unwrap();
    assert_eq!(labels[0].label, "POSITIVE");
    // Dropping a half-read stream and the client must not hang or panic.
    let mut stream = client.chat_completion_stream(&input()).unwrap();
    assert!(stream.next().is_some());
    drop(stream);
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_used_and_dropped_inside_async_code_does_not_panic() {
    let url = serve();
    // Created, used and dropped on an executor thread: the runtime lives on its own thread.
    let client = client(&url);
    let out = client.chat_completion(&input()).unwrap();
    assert_eq!(
        out.choices[0].message.content.as_deref(),
        Some("one two three")
    );
    drop(client);
}
