//! End-to-end lifecycle against a local simulation of the Inference Endpoints API.
//!
//! The simulation keeps endpoints in memory and moves them through realistic states on each
//! poll (pending → initializing → running; paused; scaledToZero woken by a request; failed).
//! A running endpoint's URL serves a small deterministic OpenAI-compatible model, so
//! `wait()` then `client().chat_completion()` (streamed too) runs end to end.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use hub_core::{Config, HubClient};
use hub_endpoints::{
    CreateInferenceEndpoint, Error, InferenceEndpointStatus, InferenceEndpointType,
    InferenceEndpoints, UpdateInferenceEndpoint,
};
use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage};
use serde_json::{Value, json};
use test_support::MockServer;

const TOKEN: &str = "hf_sim_token";

#[derive(Debug, Clone)]
struct SimEndpoint {
    body: Value,
    state: String,
    /// Polls seen in the current transitional state.
    polls: u32,
}

#[derive(Clone, Default)]
struct Sim {
    base: Arc<Mutex<String>>,
    endpoints: Arc<Mutex<HashMap<(String, String), SimEndpoint>>>,
    requests: Arc<Mutex<Vec<(String, String, Value)>>>,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl Sim {
    fn record(&self, method: &str, path: String, body: Value) {
        self.requests
            .lock()
            .unwrap()
            .push((method.to_owned(), path, body));
    }

    fn view(&self, ns: &str, name: &str, e: &SimEndpoint) -> Value {
        let mut v = e.body.clone();
        let url = matches!(e.state.as_str(), "running" | "scaledToZero")
            .then(|| format!("{}/model/{ns}/{name}", self.base.lock().unwrap()));
        v["status"] = json!({
            "state": e.state,
            "createdAt": "2023-10-26T12:41:53.263078506Z",
            "updatedAt": "2023-10-26T12:41:53.263078506Z",
            "url": url,
            "message": if e.state == "failed" { json!("Endpoint failed to start: model crashed") } else { json!(null) },
            "readyReplica": if e.state == "running" { 1 } else { 0 },
            "targetReplica": 1,
        });
        v
    }

    /// Advances a transitional state on each poll, as a deployment progresses.
    fn tick(e: &mut SimEndpoint) {
        let repo = e.body["model"]["repository"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        e.polls += 1;
        let next = match (e.state.as_str(), repo.as_str()) {
            (_, "slow/model") => None,
            ("pending", "broken/model") => (e.polls >= 2).then_some("failed"),
            ("pending", _) if e.polls >= 1 => Some("initializing"),
            ("initializing", _) if e.polls >= 2 => Some("running"),
            _ => None,
        };
        if let Some(n) = next {
            e.state = n.to_owned();
            e.polls = 0;
        }
    }
}

async fn whoami(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Invalid credentials in Authorization header",
        );
    }
    Json(json!({"type": "user", "name": "alice", "orgs": [{"name": "acme"}, {"name": "locked-org"}]})).into_response()
}

async fn list(State(sim): State<Sim>, Path(ns): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers) || ns == "locked-org" {
        return error(StatusCode::UNAUTHORIZED, "not allowed");
    }
    let mut map = sim.endpoints.lock().unwrap();
    let mut items = Vec::new();
    for ((n, name), e) in map.iter_mut() {
        if *n == ns {
            Sim::tick(e);
            items.push(sim.view(n, name, e));
        }
    }
    Json(json!({ "items": items })).into_response()
}

async fn create(
    State(sim): State<Sim>,
    Path(ns): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    sim.record("POST", format!("/endpoint/{ns}"), body.clone());
    let Some(name) = body["name"].as_str().map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "name is required");
    };
    for pointer in [
        "/compute/scaling/maxReplica",
        "/model/repository",
        "/provider/vendor",
        "/type",
    ] {
        if body.pointer(pointer).is_none() {
            return error(StatusCode::BAD_REQUEST, &format!("missing {pointer}"));
        }
    }
    let mut map = sim.endpoints.lock().unwrap();
    if map.contains_key(&(ns.clone(), name.clone())) {
        return error(StatusCode::CONFLICT, "endpoint already exists");
    }
    let e = SimEndpoint {
        body,
        state: "pending".into(),
        polls: 0,
    };
    let view = sim.view(&ns, &name, &e);
    map.insert((ns, name), e);
    Json(view).into_response()
}

async fn get_one(
    State(sim): State<Sim>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let mut map = sim.endpoints.lock().unwrap();
    match map.get_mut(&(ns.clone(), name.clone())) {
        Some(e) => {
            Sim::tick(e);
            Json(sim.view(&ns, &name, e)).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "endpoint not found"),
    }
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

async fn update(
    State(sim): State<Sim>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
    Json(patch): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    sim.record("PUT", format!("/endpoint/{ns}/{name}"), patch.clone());
    let mut map = sim.endpoints.lock().unwrap();
    let Some(e) = map.get_mut(&(ns.clone(), name.clone())) else {
        return error(StatusCode::NOT_FOUND, "endpoint not found");
    };
    merge(&mut e.body, &patch);
    e.state = "pending".into();
    e.polls = 0;
    Json(sim.view(&ns, &name, e)).into_response()
}

async fn delete(
    State(sim): State<Sim>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    match sim.endpoints.lock().unwrap().remove(&(ns, name)) {
        Some(_) => Json(json!({})).into_response(),
        None => error(StatusCode::NOT_FOUND, "endpoint not found"),
    }
}

async fn action(
    State(sim): State<Sim>,
    Path((ns, name, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let mut map = sim.endpoints.lock().unwrap();
    let Some(e) = map.get_mut(&(ns.clone(), name.clone())) else {
        return error(StatusCode::NOT_FOUND, "endpoint not found");
    };
    match action.as_str() {
        "pause" => e.state = "paused".into(),
        "resume" if e.state == "running" => {
            return error(StatusCode::BAD_REQUEST, "Endpoint is already running");
        }
        "resume" => e.state = "pending".into(),
        "scale-to-zero" => e.state = "scaledToZero".into(),
        _ => return error(StatusCode::NOT_FOUND, "unknown action"),
    }
    e.polls = 0;
    Json(sim.view(&ns, &name, e)).into_response()
}

/// The deterministic test model: answers `"{name} heard: {last user message}"`.
fn reply(name: &str, body: &Value) -> String {
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    format!("{name} heard: {last}")
}

async fn model_probe(State(sim): State<Sim>, Path((ns, name)): Path<(String, String)>) -> Response {
    let map = sim.endpoints.lock().unwrap();
    match map.get(&(ns, name)).map(|e| e.state.as_str()) {
        Some("running") => "ok".into_response(),
        _ => error(StatusCode::SERVICE_UNAVAILABLE, "not running"),
    }
}

async fn model_chat(
    State(sim): State<Sim>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "protected endpoint needs a token");
    }
    {
        let mut map = sim.endpoints.lock().unwrap();
        match map.get_mut(&(ns.clone(), name.clone())) {
            // A scaled-to-zero endpoint wakes up on traffic.
            Some(e) if e.state == "scaledToZero" => e.state = "running".into(),
            Some(e) if e.state == "running" => {}
            _ => return error(StatusCode::NOT_FOUND, "endpoint is not running"),
        }
    }
    let text = reply(&name, &body);
    let base = json!({"id": "sim", "created": 1700000000, "model": body["model"], "system_fingerprint": "sim-1"});
    if body["stream"] == true {
        let mut out = String::new();
        for (i, word) in text.split_inclusive(' ').enumerate() {
            let mut chunk = base.clone();
            chunk["object"] = json!("chat.completion.chunk");
            chunk["choices"] = json!([{"index": 0, "delta": {"role": "assistant", "content": word}, "finish_reason": null}]);
            out.push_str(&format!("data: {chunk}\n\n"));
            if i == 0 {
                out.push_str(": keep-alive\n\n");
            }
        }
        let mut last = base.clone();
        last["choices"] = json!([{"index": 0, "delta": {}, "finish_reason": "stop"}]);
        out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
        return Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from(out))
            .unwrap();
    }
    let mut out = base;
    out["object"] = json!("chat.completion");
    out["choices"] = json!([{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]);
    out["usage"] = json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7});
    Json(out).into_response()
}

struct Server {
    url: String,
    sim: Sim,
    _server: MockServer,
}

async fn start() -> Server {
    let sim = Sim::default();
    let app = Router::new()
        .route("/api/whoami-v2", get(whoami))
        .route("/v2/endpoint/{ns}", get(list).post(create))
        .route(
            "/v2/endpoint/{ns}/{name}",
            get(get_one).put(update).delete(delete),
        )
        .route("/v2/endpoint/{ns}/{name}/{action}", post(action))
        .route("/model/{ns}/{name}", get(model_probe))
        .route("/model/{ns}/{name}/v1/chat/completions", post(model_chat))
        .with_state(sim.clone());
    let server = MockServer::start(app).await.unwrap();
    let url = server.url();
    *sim.base.lock().unwrap() = url.clone();
    Server {
        url,
        sim,
        _server: server,
    }
}

fn api(server: &Server) -> InferenceEndpoints {
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(format!("{}/unused", server.url))
        .build();
    let hub = HubClient::builder()
        .config(config)
        .token(TOKEN)
        .build()
        .unwrap();
    InferenceEndpoints::new(hub).with_base_url(format!("{}/v2/", server.url))
}

const POLL: Duration = Duration::from_millis(10);

fn chat() -> ChatCompletionInput {
    ChatCompletionInput::new([ChatCompletionInputMessage::user("hello there")])
}

#[tokio::test]
async fn create_wait_chat_pause_resume_scale_update_delete() {
    let server = start().await;
    let api = api(&server);

    let mut params =
        CreateInferenceEndpoint::new("my-endpoint-name", "gpt2").task("text-generation");
    params.scale_to_zero_timeout = Some(15);
    let mut endpoint = api.create_inference_endpoint(params).await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Pending);
    assert_eq!(endpoint.kind, InferenceEndpointType::Protected);
    assert_eq!(
        endpoint.to_string(),
        "InferenceEndpoint(name='my-endpoint-name', namespace='alice', repository='gpt2', status='pending', url=None)"
    );
    assert_eq!(
        endpoint.created_at.unwrap().timestamp_subsec_nanos(),
        263078506
    );
    let (method, path, body) = server.sim.requests.lock().unwrap()[0].clone();
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/endpoint/alice")
    );
    assert_eq!(
        body,
        json!({
            "accountId": null,
            "compute": {"accelerator": "cpu", "instanceSize": "x2", "instanceType": "intel-icl",
                        "scaling": {"maxReplica": 1, "minReplica": 0, "scaleToZeroTimeout": 15}},
            "model": {"framework": "pytorch", "repository": "gpt2", "revision": null, "task": "text-generation",
                      "image": {"huggingface": {}}},
            "name": "my-endpoint-name",
            "provider": {"region": "us-east-1", "vendor": "aws"},
            "type": "protected"
        })
    );

    // Not deployed yet: no client.
    assert!(matches!(
        endpoint.client().unwrap_err(),
        Error::NotDeployed { .. }
    ));
    assert!(
        endpoint
            .client()
            .unwrap_err()
            .to_string()
            .starts_with("Cannot create a client for this Inference Endpoint")
    );

    endpoint
        .wait(Some(Duration::from_secs(10)), POLL)
        .await
        .unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Running);
    let url = endpoint.url.clone().unwrap();
    assert_eq!(url, format!("{}/model/alice/my-endpoint-name", server.url));

    let client = endpoint.client().unwrap();
    let out = client.chat_completion(&chat()).await.unwrap();
    assert_eq!(
        out.choices[0].message.content.as_deref(),
        Some("my-endpoint-name heard: hello there")
    );
    assert_eq!(
        out.model, "tgi",
        "a URL model sends the placeholder model name"
    );
    let chunks: Vec<_> = client
        .chat_completion_stream(&chat())
        .await
        .unwrap()
        .map(|c| c.unwrap())
        .collect()
        .await;
    let text: String = chunks.iter().filter_map(|c| c.content()).collect();
    assert_eq!(text, "my-endpoint-name heard: hello there");
    assert_eq!(
        chunks.last().unwrap().choices[0].finish_reason.as_deref(),
        Some("stop")
    );

    // Pause: URL gone; resume: back to pending, then running again.
    endpoint.pause().await.unwrap();
    assert_eq!(
        (endpoint.status.clone(), endpoint.url.clone()),
        (InferenceEndpointStatus::Paused, None)
    );
    assert!(
        client.chat_completion(&chat()).await.is_err(),
        "paused endpoints do not answer"
    );
    endpoint.resume(false).await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Pending);
    endpoint
        .wait(Some(Duration::from_secs(10)), POLL)
        .await
        .unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Running);

    // Resuming a running endpoint: error, unless running_ok.
    let err = endpoint.clone().resume(false).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    endpoint.resume(true).await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Running);

    // Scale to zero keeps the URL; a request wakes the endpoint.
    endpoint.scale_to_zero().await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::ScaledToZero);
    assert_eq!(endpoint.url.as_deref(), Some(url.as_str()));
    let out = endpoint
        .client()
        .unwrap()
        .chat_completion(&chat())
        .await
        .unwrap();
    assert_eq!(out.usage.unwrap().total_tokens, 7);
    endpoint.fetch().await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Running);

    // Update sends only the given fields, nested; the endpoint redeploys.
    let update = UpdateInferenceEndpoint {
        min_replica: Some(1),
        max_replica: Some(2),
        instance_size: Some("x4".into()),
        secrets: Some([("API_KEY".to_owned(), "s3cr3t".to_owned())].into()),
        env: Some([("MAX_TOKENS".to_owned(), "512".to_owned())].into()),
        ..Default::default()
    };
    endpoint.update(&update).await.unwrap();
    assert_eq!(endpoint.status, InferenceEndpointStatus::Pending);
    let (_, path, body) = server.sim.requests.lock().unwrap().last().unwrap().clone();
    assert_eq!(path, "/endpoint/alice/my-endpoint-name");
    assert_eq!(
        body,
        json!({"compute": {"instanceSize": "x4", "scaling": {"minReplica": 1, "maxReplica": 2}},
               "model": {"secrets": {"API_KEY": "s3cr3t"}, "env": {"MAX_TOKENS": "512"}}})
    );
    assert_eq!(endpoint.raw["compute"]["scaling"]["maxReplica"], 2);
    endpoint
        .wait(Some(Duration::from_secs(10)), POLL)
        .await
        .unwrap();

    // Listing: own namespace, and "*" (the org answering 401 is skipped).
    let mine = api.list(None).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, "my-endpoint-name");
    let mut other = CreateInferenceEndpoint::new("org-endpoint", "gpt2").namespace("acme");
    other.kind = InferenceEndpointType::Public;
    api.create_inference_endpoint(other).await.unwrap();
    let all = api.list(Some("*")).await.unwrap();
    let mut names: Vec<_> = all
        .iter()
        .map(|e| (e.namespace.as_str(), e.name.as_str()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![("acme", "org-endpoint"), ("alice", "my-endpoint-name")]
    );

    // Delete.
    endpoint.delete().await.unwrap();
    let err = api.get("my-endpoint-name", None).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn wait_times_out_with_typed_error() {
    let server = start().await;
    let api = api(&server);
    let mut endpoint = api
        .create_inference_endpoint(CreateInferenceEndpoint::new("slow", "slow/model"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = endpoint
        .wait(Some(Duration::from_millis(200)), POLL)
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(
        err.to_string(),
        "Timeout while waiting for Inference Endpoint to be deployed."
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(endpoint.status, InferenceEndpointStatus::Pending);
}

#[tokio::test]
async fn wait_reports_failed_deployment() {
    let server = start().await;
    let api = api(&server);
    let mut endpoint = api
        .create_inference_endpoint(CreateInferenceEndpoint::new("broken", "broken/model"))
        .await
        .unwrap();
    match endpoint
        .wait(Some(Duration::from_secs(10)), POLL)
        .await
        .unwrap_err()
    {
        Error::InferenceEndpoint { name, message } => {
            assert_eq!(name, "broken");
            assert!(
                message.contains("failed") && message.contains("model crashed"),
                "{message}"
            );
        }
        other => panic!("expected an endpoint error, got {other:?}"),
    }
    assert_eq!(endpoint.status, InferenceEndpointStatus::Failed);
}

#[tokio::test]
async fn unknown_states_and_auth_errors_are_typed() {
    let server = start().await;
    let api = api(&server);
    let endpoint = api
        .create_inference_endpoint(CreateInferenceEndpoint::new("e", "gpt2"))
        .await
        .unwrap();
    // A state this version does not know is kept verbatim.
    server
        .sim
        .endpoints
        .lock()
        .unwrap()
        .get_mut(&("alice".into(), "e".into()))
        .unwrap()
        .state = "migrating".into();
    let fetched = api.get("e", None).await.unwrap();
    assert_eq!(
        fetched.status,
        InferenceEndpointStatus::Unknown("migrating".into())
    );
    assert_eq!(fetched.status.to_string(), "migrating");
    drop(endpoint);

    let config = Config::builder().endpoint(&server.url).build();
    let bad = InferenceEndpoints::new(
        HubClient::builder()
            .config(config)
            .token("hf_wrong")
            .build()
            .unwrap(),
    )
    .with_base_url(format!("{}/v2", server.url));
    let err = bad.get("e", Some("alice")).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
}
