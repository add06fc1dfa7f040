//! Behaviour without a recording: binary tasks with parameters, image-to-image, tabular tasks,
//! URL inputs, raw `post`, recommended models, headers/cookies/token, HTTP error mapping.
#![allow(clippy::unwrap_used, missing_docs)]

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hub_core::{Config, HubClient};
use hub_inference::types::*;
use hub_inference::{Error, InferenceClient, PostRequest};
use serde_json::{Value, json};
use test_support::MockServer;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake-image";

async fn handler(uri: Uri) -> Response {
    let path = uri.path().to_owned();
    match path.as_str() {
        "/api/tasks" => Json(json!({
            "fill-mask": {"widgetModels": ["recommended/fill"], "id": "fill-mask"},
            "translation": {"widgetModels": []}
        }))
        .into_response(),
        "/models/recommended/fill" => Json(json!([{"score": 0.5, "token": 1, "token_str": "x", "sequence": "a x"}])).into_response(),
        "/models/img2img" => ([("content-type", "image/png")], PNG).into_response(),
        "/models/tab-cls" => Json(json!(["yes", 1, "no"])).into_response(),
        "/models/tab-reg" => Json(json!([1.5, 2.0])).into_response(),
        "/models/img-cls" => Json(json!([{"label": "cat", "score": 0.9}])).into_response(),
        "/files/cat.png" => ([("content-type", "image/png")], PNG).into_response(),
        "/models/private" => (
            StatusCode::UNAUTHORIZED,
            [("x-request-id", "req-123")],
            Json(json!({"error": "Authorization header is correct, but the token seems invalid"})),
        )
            .into_response(),
        "/models/raw" => ([("content-type", "application/octet-stream")], "raw-answer").into_response(),
        "/status/gpt2" => Json(json!({"loaded": true, "state": "Loaded", "compute_type": "gpu", "framework": "text-generation-inference"})).into_response(),
        "/status/missing" => Json(json!({"error": "Model missing does not exist"})).into_response(),
        "/status/partial" => Json(json!({"loaded": false, "state": "Loadable"})).into_response(),
        "/status/object" => Json(json!({"loaded": true, "state": "Loaded", "compute_type": {"gpu": {"gpu": "a10g", "count": 1}}, "framework": "transformers"})).into_response(),
        "/framework/transformers" => Json(json!([
            {"model_id": "b/model", "task": "fill-mask", "compute_type": "cpu"},
            {"model_id": "A/model", "task": "fill-mask", "compute_type": "cpu"},
            {"model_id": "b/model", "task": "fill-mask", "compute_type": "gpu"},
            {"model_id": "gpt2", "task": "text-generation", "compute_type": "cpu"}
        ])).into_response(),
        "/framework/sentence-transformers" => Json(json!([
            {"model_id": "st/mini", "task": "sentence-similarity"}
        ])).into_response(),
        "/framework/diffusers" => Json(json!([])).into_response(),
        "/framework/text-generation-inference" => Json(json!([
            {"model_id": "HuggingFaceH4/zephyr-7b-beta", "task": "text-generation"}
        ])).into_response(),
        "/models/gpt2/info" => Json(json!({"model_id": "gpt2", "max_input_length": 1024})).into_response(),
        "/tgi/health" => "".into_response(),
        "/models/crash" => (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({"error": format!("Model {path} does not exist")}))).into_response(),
    }
}

struct Server {
    url: String,
    server: MockServer,
}

async fn start() -> Server {
    let server = MockServer::start(axum::Router::new().fallback(handler))
        .await
        .unwrap();
    Server {
        url: server.url(),
        server,
    }
}

fn builder(server: &Server) -> hub_inference::InferenceClientBuilder {
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    InferenceClient::builder().hub_client(hub)
}

/// Method, path (without the query), headers and body of a received request.
type Request = (Method, String, HeaderMap, Bytes);

/// Every request the server received, oldest first.
fn seen(server: &Server) -> Vec<Request> {
    server
        .server
        .requests()
        .into_iter()
        .map(|r| (r.method.clone(), r.uri_path().to_owned(), r.headers, r.body))
        .collect()
}

fn last(server: &Server) -> Request {
    seen(server).pop().unwrap()
}

#[tokio::test]
async fn binary_task_with_parameters_sends_base64_json() {
    let server = start().await;
    let client = builder(&server).model("img-cls").build().unwrap();
    let params = ClassificationParameters {
        top_k: Some(1),
        ..Default::default()
    };
    let out = client
        .image_classification(PNG.to_vec(), Some(params))
        .await
        .unwrap();
    assert_eq!(out[0].label, "cat");
    let (_, _, headers, body) = last(&server);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["parameters"], json!({"top_k": 1}));
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(body["inputs"].as_str().unwrap())
            .unwrap(),
        PNG
    );
    assert_eq!(headers.get("content-type").unwrap(), "application/json");

    // Without parameters: raw bytes, no JSON content type.
    client
        .image_classification(PNG.to_vec(), None)
        .await
        .unwrap();
    let (_, _, headers, body) = last(&server);
    assert_eq!(body.as_ref(), PNG);
    assert!(headers.get("content-type").is_none());
}

#[tokio::test]
async fn image_to_image_from_url_input() {
    let server = start().await;
    let client = builder(&server).model("img2img").build().unwrap();
    let params = ImageToImageParameters {
        prompt: Some("make it blue".into()),
        ..Default::default()
    };
    let out = client
        .image_to_image(format!("{}/files/cat.png", server.url), Some(params))
        .await
        .unwrap();
    assert_eq!(out.bytes.as_ref(), PNG);
    assert_eq!(out.content_type.as_deref(), Some("image/png"));
    let seen = seen(&server);
    assert_eq!(
        seen[0].1, "/files/cat.png",
        "the URL input is downloaded first"
    );
    let (_, path, headers, body) = seen[1].clone();
    assert_eq!(path, "/models/img2img");
    assert_eq!(headers.get("accept").unwrap(), "image/png");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["parameters"]["prompt"], "make it blue");
}

#[tokio::test]
async fn tabular_tasks() {
    let server = start().await;
    let mut table = Table::new();
    table.insert(
        "fixed_acidity".into(),
        vec!["7.4".into(), "7.8".into(), "10.3".into()],
    );
    let labels = builder(&server)
        .model("tab-cls")
        .build()
        .unwrap()
        .tabular_classification(&table)
        .await
        .unwrap();
    assert_eq!(labels, vec!["yes", "1", "no"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&last(&server).3).unwrap(),
        json!({"table": {"fixed_acidity": ["7.4", "7.8", "10.3"]}})
    );
    let values = builder(&server)
        .model("tab-reg")
        .build()
        .unwrap()
        .tabular_regression(&table)
        .await
        .unwrap();
    assert_eq!(values, vec![1.5, 2.0]);
}

#[tokio::test]
async fn recommended_model_is_used_without_a_model() {
    let server = start().await;
    let client = builder(&server).build().unwrap();
    let out = client.fill_mask("a <mask>", None).await.unwrap();
    assert_eq!(out[0].token_str, "x");
    assert_eq!(last(&server).1, "/models/recommended/fill");
    // Cached: a second call does not fetch /api/tasks again.
    client.fill_mask("b <mask>", None).await.unwrap();
    let tasks_calls = seen(&server).iter().filter(|s| s.1 == "/api/tasks").count();
    assert_eq!(tasks_calls, 1);
    let err = client.translation("hi", None).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)));
}

#[tokio::test]
async fn headers_cookies_and_token_are_sent() {
    let server = start().await;
    let client = builder(&server)
        .model("raw")
        .token("hf_abc")
        .header("x-use-cache", "false")
        .cookie("session", "s1")
        .cookie("theme", "dark")
        .build()
        .unwrap();
    let raw = client
        .post(
            PostRequest::json(json!({"inputs": "x"}))
                .unwrap()
                .header("x-extra", "1"),
        )
        .await
        .unwrap();
    assert_eq!(raw.body.as_ref(), b"raw-answer");
    assert_eq!(raw.content_type(), Some("application/octet-stream"));
    let (method, _, headers, _) = last(&server);
    assert_eq!(method, Method::POST);
    assert_eq!(headers.get("authorization").unwrap(), "Bearer hf_abc");
    assert_eq!(headers.get("x-use-cache").unwrap(), "false");
    assert_eq!(headers.get("cookie").unwrap(), "session=s1; theme=dark");
    assert_eq!(headers.get("x-extra").unwrap(), "1");
    assert!(
        headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("hf_hub")
    );
    assert!(!format!("{client:?}").contains("hf_abc"));
}

#[tokio::test]
async fn http_errors_carry_status_message_and_request_id() {
    let server = start().await;
    let err = builder(&server)
        .model("private")
        .build()
        .unwrap()
        .fill_mask("x", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.server_message(),
        Some("Authorization header is correct, but the token seems invalid")
    );
    match &err {
        Error::Hub(e) => assert_eq!(e.request_id(), Some("req-123")),
        other => panic!("{other:?}"),
    }
    let err = builder(&server)
        .model("nope")
        .build()
        .unwrap()
        .fill_mask("x", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = builder(&server)
        .model("crash")
        .build()
        .unwrap()
        .fill_mask("x", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.server_message(), Some("upstream exploded"));
}

#[tokio::test]
async fn missing_input_file_is_an_io_error() {
    let server = start().await;
    let client = builder(&server).model("img-cls").build().unwrap();
    let err = client
        .image_classification("/definitely/not/here.png", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { path: Some(_), .. }));
    assert!(seen(&server).is_empty(), "nothing is sent");
}

#[tokio::test]
async fn model_status_info_and_health() {
    let server = start().await;
    let client = builder(&server).model("gpt2").build().unwrap();
    let status = client.get_model_status(None).await.unwrap();
    assert!(status.loaded);
    assert_eq!(status.framework, "text-generation-inference");
    assert!(matches!(
        client.get_model_status(Some("missing")).await.unwrap_err(),
        Error::Server { .. }
    ));
    // The seed's four fields are required: a partial answer is a decode error, not zeros.
    assert!(matches!(
        client.get_model_status(Some("partial")).await.unwrap_err(),
        Error::Decode { .. }
    ));
    let status = client.get_model_status(Some("object")).await.unwrap();
    assert_eq!(status.compute_type["gpu"]["gpu"], "a10g");
    assert_eq!(
        client.get_endpoint_info(None).await.unwrap()["max_input_length"],
        1024
    );
    assert!(
        client
            .health_check(Some(&format!("{}/tgi", server.url)))
            .await
            .unwrap()
    );
    assert!(
        !client
            .health_check(Some(&format!("{}/down", server.url)))
            .await
            .unwrap()
    );
    assert!(matches!(
        client.health_check(None).await.unwrap_err(),
        Error::InvalidArgument(_)
    ));
}

#[tokio::test]
async fn list_deployed_models_groups_by_task() {
    let server = start().await;
    let client = builder(&server).build().unwrap();
    let models = client
        .list_deployed_models(hub_inference::Frameworks::Main)
        .await
        .unwrap();
    // One GET per main framework, in a stable order.
    let seen: Vec<String> = seen(&server)
        .iter()
        .map(|(m, p, _, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        seen,
        [
            "GET /framework/diffusers",
            "GET /framework/sentence-transformers",
            "GET /framework/text-generation-inference",
            "GET /framework/transformers",
        ]
    );
    // Sorted case-insensitively, duplicates removed.
    assert_eq!(models["fill-mask"], ["A/model", "b/model"]);
    assert_eq!(
        models["text-generation"],
        ["gpt2", "HuggingFaceH4/zephyr-7b-beta"]
    );
    // Sentence-transformers models serve both embedding tasks.
    assert_eq!(models["feature-extraction"], ["st/mini"]);
    assert_eq!(models["sentence-similarity"], ["st/mini"]);
    assert_eq!(models.len(), 4);

    let only = client
        .list_deployed_models(hub_inference::Frameworks::Only(vec![
            "transformers".into(),
            "transformers".into(),
        ]))
        .await
        .unwrap();
    assert_eq!(
        only.keys().collect::<Vec<_>>(),
        ["fill-mask", "text-generation"]
    );
    // An unknown framework is the server's 404, reported as an error.
    assert!(
        client
            .list_deployed_models(hub_inference::Frameworks::Only(vec!["nope".into()]))
            .await
            .is_err()
    );
}
