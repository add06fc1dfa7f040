//! Replay of the recorded (VCR cassette) interactions in `shared/fixtures/inference-recordings`.
//!
//! A [`ReplayServer`] answers the recorded responses in order on a [`MockServer`], which keeps
//! every request it received so the test can compare them with the recorded requests.
//!
//! The recordings are found in `$HUB_RS_RECORDINGS` if set, else in
//! `shared/fixtures/inference-recordings` next to the repository.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use crate::{MockServer, RecordedRequest};

/// Where the cassettes are: `$HUB_RS_RECORDINGS`, else `shared/fixtures/inference-recordings`
/// beside the repository root.
pub fn recordings_dir() -> PathBuf {
    std::env::var_os("HUB_RS_RECORDINGS").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/fixtures/inference-recordings"
            ))
        },
        PathBuf::from,
    )
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
    /// No body.
    None,
    /// A text body (JSON, usually).
    Text(String),
    /// A binary body.
    Bytes(Vec<u8>),
}

impl RecBody {
    /// The text body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        match self {
            RecBody::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        }
    }
}

/// One recorded request and the response it got.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// Request method.
    pub method: String,
    /// Request URI (absolute, on the recorded host).
    pub uri: String,
    /// Request headers.
    pub req_headers: BTreeMap<String, Vec<String>>,
    /// Request body.
    pub req_body: RecBody,
    /// Response status.
    pub status: u16,
    /// Response headers, without the framing ones (bodies are stored decoded and whole).
    pub resp_headers: Vec<(String, String)>,
    /// Response body.
    pub resp_body: Vec<u8>,
}

impl Interaction {
    /// Path and query of the recorded URI.
    pub fn path(&self) -> String {
        let u =
            url::Url::parse(&self.uri).unwrap_or_else(|e| panic!("recorded URI {}: {e}", self.uri));
        match u.query() {
            Some(q) => format!("{}?{}", u.path(), q),
            None => u.path().to_owned(),
        }
    }

    /// A recorded request header (first value, name compared case-insensitively).
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
        .unwrap_or_else(|e| panic!("recorded base64 body: {e}"))
}

/// Loads a cassette. Python-specific YAML tags are rewritten first: `BytesIO`/tuple tags are
/// dropped (their content is base64) and `string: !!binary` becomes `binary:` so that binary
/// bodies stay distinguishable from text bodies.
pub fn load(name: &str) -> Vec<Interaction> {
    load_path(&recordings_dir().join(name))
}

/// Loads a cassette from a path (same format as [`load`]; JSON cassettes load as they are).
pub fn load_path(path: &std::path::Path) -> Vec<Interaction> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set HUB_RS_RECORDINGS?)", path.display()));
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
                    let b64 = state.first().and_then(Value::as_str);
                    RecBody::Bytes(decode_b64(
                        b64.unwrap_or_else(|| panic!("{name}: BytesIO without content")),
                    ))
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
    let dir = recordings_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set HUB_RS_RECORDINGS?)", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

#[derive(Clone)]
struct ServerState {
    interactions: Arc<Vec<Interaction>>,
    next: Arc<Mutex<usize>>,
}

async fn answer(State(s): State<ServerState>, method: Method, uri: Uri) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let index = {
        let mut n = s.next.lock().unwrap_or_else(PoisonError::into_inner);
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
        .unwrap_or_else(|e| {
            (
                StatusCode::IM_A_TEAPOT,
                format!("recorded response #{index} cannot be replayed: {e}"),
            )
                .into_response()
        })
}

/// Serves recorded answers in order on 127.0.0.1:0; stops when dropped.
#[derive(Debug)]
pub struct ReplayServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    server: MockServer,
}

impl ReplayServer {
    /// Starts serving `interactions`, in order.
    pub async fn start(interactions: Vec<Interaction>) -> Self {
        let state = ServerState {
            interactions: Arc::new(interactions),
            next: Arc::new(Mutex::new(0)),
        };
        let app = axum::Router::new().fallback(answer).with_state(state);
        let server = MockServer::start(app)
            .await
            .unwrap_or_else(|e| panic!("starting the replay server: {e}"));
        ReplayServer {
            url: server.url(),
            server,
        }
    }

    /// Every request received so far, oldest first.
    pub fn captured(&self) -> Vec<RecordedRequest> {
        self.server.requests()
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
