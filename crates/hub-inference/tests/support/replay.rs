//! Replay of the recorded (VCR cassette) interactions in `shared/fixtures/inference-recordings`.
//!
//! A [`ReplayServer`] answers the recorded responses in order, on 127.0.0.1:0, and keeps every
//! request it received so the test can compare them with the recorded requests.
//! Shared by the hub-inference and hub-endpoints test suites (`#[path]`-included).
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

/// The shared recordings: `$INFERENCE_RECORDINGS_DIR` when set (worktrees that do not sit next
/// to `shared/`), else `shared/fixtures/inference-recordings` beside the checkout.
pub fn recordings_dir() -> String {
    std::env::var("INFERENCE_RECORDINGS_DIR").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/inference-recordings"
        )
        .to_owned()
    })
}

#[derive(Debug, Deserialize)]
struct RawCassette {
    interactions: Vec<RawInteraction>,
}

#[derive(Debug, Deserialize)]
struct RawInteraction {
    request: RawRequest,
    response: RawResponse,
}

#[derive(Debug, Deserialize)]
struct RawRequest {
    #[serde(default)]
    body: Option<RawReqBody>,
    #[serde(default)]
    headers: BTreeMap<String, Vec<String>>,
    method: String,
    uri: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawReqBody {
    Text(String),
    /// A Python `BytesIO` (binary upload): `state[0]` holds the base64 content.
    Io {
        state: Vec<Value>,
    },
}

#[derive(Debug, Deserialize)]
struct RawResponse {
    body: RawRespBody,
    #[serde(default)]
    headers: BTreeMap<String, Vec<String>>,
    status: RawStatus,
}

#[derive(Debug, Deserialize)]
struct RawRespBody {
    #[serde(default)]
    string: Option<String>,
    /// `string: !!binary` rewritten to this key before parsing (see [`load`]).
    #[serde(default)]
    binary: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawStatus {
    code: u16,
}

/// Body of a recorded request.
#[derive(Debug, Clone, PartialEq)]
pub enum RecBody {
    None,
    Text(String),
    Bytes(Vec<u8>),
}

impl RecBody {
    pub fn json(&self) -> Option<Value> {
        match self {
            RecBody::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Interaction {
    pub method: String,
    pub uri: String,
    pub req_headers: BTreeMap<String, Vec<String>>,
    pub req_body: RecBody,
    pub status: u16,
    pub resp_headers: Vec<(String, String)>,
    pub resp_body: Vec<u8>,
}

impl Interaction {
    /// Path and query of the recorded URI.
    pub fn path(&self) -> String {
        let u = url::Url::parse(&self.uri).unwrap();
        match u.query() {
            Some(q) => format!("{}?{}", u.path(), q),
            None => u.path().to_owned(),
        }
    }

    pub fn req_header(&self, name: &str) -> Option<&str> {
        self.req_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

fn decode_b64(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .unwrap()
}

/// Loads a cassette. Python-specific YAML tags are rewritten first: `BytesIO`/tuple tags are
/// dropped (their content is base64) and `string: !!binary` becomes `binary:` so that binary
/// bodies stay distinguishable from text bodies.
pub fn load(name: &str) -> Vec<Interaction> {
    load_path(&format!("{}/{name}", recordings_dir()))
}

/// Loads a cassette from a path (same format as [`load`]; JSON cassettes load as they are).
pub fn load_path(path: &str) -> Vec<Interaction> {
    let name = path;
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace("!!python/object/new:_io.BytesIO", "")
        .replace("!!python/tuple", "")
        .replace("string: !!binary", "binary:")
        .replace("- !!binary", "-");
    let raw: RawCassette = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    raw.interactions
        .into_iter()
        .map(|i| {
            let req_body = match i.request.body {
                None => RecBody::None,
                Some(RawReqBody::Text(t)) => RecBody::Text(t),
                Some(RawReqBody::Io { state }) => {
                    RecBody::Bytes(decode_b64(state[0].as_str().unwrap()))
                }
            };
            let resp_body = match (i.response.body.string, i.response.body.binary) {
                (_, Some(b)) => decode_b64(&b),
                (Some(s), None) => s.into_bytes(),
                (None, None) => Vec::new(),
            };
            let resp_headers = i
                .response
                .headers
                .into_iter()
                .filter(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    // Bodies are stored decoded and whole: framing headers must not be replayed.
                    !matches!(
                        k.as_str(),
                        "content-length" | "transfer-encoding" | "connection" | "content-encoding"
                    )
                })
                .filter_map(|(k, v)| v.into_iter().next().map(|v| (k, v)))
                .collect();
            Interaction {
                method: i.request.method,
                uri: i.request.uri,
                req_headers: i.request.headers,
                req_body,
                status: i.response.status.code,
                resp_headers,
                resp_body,
            }
        })
        .collect()
}

/// Every cassette file name in the directory.
pub fn all_recordings() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(recordings_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

/// A request received by the replay server.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {}: body is not JSON ({e})", self.method, self.path))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
struct ServerState {
    interactions: Arc<Vec<Interaction>>,
    next: Arc<Mutex<usize>>,
    captured: Arc<Mutex<Vec<Captured>>>,
}

async fn answer(
    State(s): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    s.captured.lock().unwrap().push(Captured {
        method: method.to_string(),
        path: path.clone(),
        headers,
        body,
    });
    let index = {
        let mut n = s.next.lock().unwrap();
        let i = *n;
        *n += 1;
        i
    };
    let Some(inter) = s.interactions.get(index) else {
        return (
            StatusCode::IM_A_TEAPOT,
            format!("no recorded interaction #{index} for {method} {path}"),
        )
            .into_response();
    };
    if inter.method != method.as_str() || inter.path() != path {
        return (
            StatusCode::IM_A_TEAPOT,
            format!(
                "expected {} {}, got {method} {path}",
                inter.method,
                inter.path()
            ),
        )
            .into_response();
    }
    let mut resp = Response::builder().status(inter.status);
    for (k, v) in &inter.resp_headers {
        resp = resp.header(k.as_str(), v.as_str());
    }
    resp.body(axum::body::Body::from(inter.resp_body.clone()))
        .unwrap()
}

/// Serves recorded answers in order on 127.0.0.1:0; stops when dropped.
pub struct ReplayServer {
    pub url: String,
    captured: Arc<Mutex<Vec<Captured>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ReplayServer {
    pub async fn start(interactions: Vec<Interaction>) -> Self {
        let captured = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            interactions: Arc::new(interactions),
            next: Arc::new(Mutex::new(0)),
            captured: captured.clone(),
        };
        let app = axum::Router::new().fallback(answer).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        ReplayServer {
            url,
            captured,
            shutdown: Some(tx),
        }
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Removes `null` values recursively (the client omits unset fields; old recordings sent nulls).
pub fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
