//! A tiny Hub-like server for protocol edge cases (ranges ignored, truncated bodies, corrupted
//! bodies, cross-host redirects), with counters the tests assert on.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use sha1::Digest as _;

pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

#[derive(Clone)]
pub struct FileSpec {
    pub content: Bytes,
    pub lfs: bool,
}

#[derive(Default)]
pub struct Behaviour {
    /// Answer ranged GETs with 200 and the full body.
    pub ignore_range: AtomicBool,
    /// Answer ranged GETs with this status (e.g. 403, 416); 0 = off.
    pub range_status: AtomicU64,
    /// Cut the body of the next N GETs after half the bytes.
    pub truncate_next: AtomicUsize,
    /// Flip one byte of every body.
    pub corrupt: AtomicBool,
    /// Delay (ms) before sending the chunk that starts at offset 0 (makes later ranges finish first).
    pub delay_first_chunk_ms: AtomicU64,
    /// Answer everything with 500.
    pub fail_all: AtomicBool,
}

#[derive(Default)]
pub struct Counters {
    pub body_bytes: AtomicU64,
    pub gets: AtomicUsize,
    pub heads: AtomicUsize,
    pub ranged_gets: AtomicUsize,
    pub listing_calls: AtomicUsize,
    pub blob_auth_seen: AtomicUsize,
    pub resolve_auth_seen: AtomicUsize,
    pub ranges: Mutex<Vec<String>>,
}

pub struct Inner {
    pub files: Mutex<HashMap<String, FileSpec>>,
    pub behaviour: Behaviour,
    pub counters: Counters,
    pub blob_base: Mutex<String>,
    pub commit: Mutex<String>,
}

#[derive(Clone)]
pub struct Fixture {
    pub inner: Arc<Inner>,
    pub addr: SocketAddr,
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

pub fn git_sha1(b: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", b.len()).as_bytes());
    h.update(b);
    hex::encode(h.finalize())
}

pub fn etag_of(f: &FileSpec) -> String {
    if f.lfs {
        sha256_hex(&f.content)
    } else {
        git_sha1(&f.content)
    }
}

pub fn pseudo_random(len: usize, seed: u64) -> Bytes {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

impl Fixture {
    pub async fn start(files: Vec<(&str, Bytes, bool)>) -> Fixture {
        let map = files
            .into_iter()
            .map(|(p, c, lfs)| (p.to_owned(), FileSpec { content: c, lfs }))
            .collect();
        let inner = Arc::new(Inner {
            files: Mutex::new(map),
            behaviour: Behaviour::default(),
            counters: Counters::default(),
            blob_base: Mutex::new(String::new()),
            commit: Mutex::new(COMMIT.to_owned()),
        });
        let app = Router::new()
            .route("/{ns}/{name}/resolve/{rev}/{*path}", get(resolve))
            .route("/blob/{sha}", get(blob))
            .route("/api/models/{ns}/{name}/revision/{rev}", get(info))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The blob "CDN" is the same server reached under another host name.
        *inner.blob_base.lock().unwrap() = format!("http://localhost:{}", addr.port());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fixture { inner, addr }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    pub fn b(&self) -> &Behaviour {
        &self.inner.behaviour
    }

    pub fn c(&self) -> &Counters {
        &self.inner.counters
    }

    pub fn file(&self, path: &str) -> FileSpec {
        self.inner.files.lock().unwrap().get(path).unwrap().clone()
    }
}

fn parse_range(h: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = h.get("range")?.to_str().ok()?;
    let r = v.strip_prefix("bytes=")?;
    let (a, b) = r.split_once('-')?;
    Some((
        a.parse().ok()?,
        if b.is_empty() {
            None
        } else {
            Some(b.parse().ok()?)
        },
    ))
}

fn serve_bytes(
    state: &Inner,
    method: &Method,
    headers: &HeaderMap,
    content: &Bytes,
    etag: &str,
) -> Response {
    let total = content.len() as u64;
    let b = &state.behaviour;
    if b.fail_all.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let range = parse_range(headers);
    if method == Method::HEAD {
        return Response::builder()
            .status(200)
            .header("etag", format!("\"{etag}\""))
            .header("content-length", total)
            .header("x-repo-commit", state.commit.lock().unwrap().clone())
            .header("accept-ranges", "bytes")
            .body(Body::empty())
            .unwrap();
    }
    state.counters.gets.fetch_add(1, Ordering::SeqCst);
    let mut status = 200;
    let (mut start, mut end) = (0u64, total);
    if let Some((a, z)) = range {
        state.counters.ranged_gets.fetch_add(1, Ordering::SeqCst);
        state.counters.ranges.lock().unwrap().push(format!(
            "{a}-{}",
            z.map(|z| z.to_string()).unwrap_or_default()
        ));
        let forced = b.range_status.load(Ordering::SeqCst);
        if forced != 0 {
            return StatusCode::from_u16(forced as u16).unwrap().into_response();
        }
        if !b.ignore_range.load(Ordering::SeqCst) {
            if a >= total {
                return Response::builder()
                    .status(416)
                    .header("content-range", format!("bytes */{total}"))
                    .body(Body::empty())
                    .unwrap();
            }
            status = 206;
            start = a;
            end = z.map(|z| (z + 1).min(total)).unwrap_or(total);
        }
    }
    let mut body = content.slice(start as usize..end as usize);
    if b.corrupt.load(Ordering::SeqCst) && !body.is_empty() {
        let mut v = body.to_vec();
        v[0] ^= 0xff;
        body = Bytes::from(v);
    }
    let truncate = b
        .truncate_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let delay = if start == 0 && status == 206 {
        b.delay_first_chunk_ms.load(Ordering::SeqCst)
    } else {
        0
    };
    let counters_len = body.len() as u64;
    let mut builder = Response::builder()
        .status(status)
        .header("etag", format!("\"{etag}\""))
        .header("accept-ranges", "bytes");
    if status == 206 {
        builder = builder.header(
            "content-range",
            format!("bytes {start}-{}/{total}", end - 1),
        );
    }
    let inner_counters = &state.counters;
    if truncate {
        let half = body.slice(..body.len() / 2);
        inner_counters
            .body_bytes
            .fetch_add(half.len() as u64, Ordering::SeqCst);
        // Pause before failing so the first half is flushed to the client first.
        let s = futures::stream::unfold(0u8, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((Err(std::io::Error::other("cut")), 2))
                    }
                    _ => None,
                }
            }
        });
        return builder
            .header("content-length", body.len())
            .body(Body::from_stream(s))
            .unwrap();
    }
    inner_counters
        .body_bytes
        .fetch_add(counters_len, Ordering::SeqCst);
    if delay > 0 {
        let s = futures::stream::once(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Ok::<Bytes, std::io::Error>(body)
        });
        return builder
            .header("content-length", counters_len)
            .body(Body::from_stream(s))
            .unwrap();
    }
    builder.body(Body::from(body)).unwrap()
}

async fn resolve(
    State(state): State<Arc<Inner>>,
    Path((_ns, _name, _rev, path)): Path<(String, String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if method == Method::HEAD {
        state.counters.heads.fetch_add(1, Ordering::SeqCst);
    }
    if headers.contains_key("authorization") {
        state
            .counters
            .resolve_auth_seen
            .fetch_add(1, Ordering::SeqCst);
    }
    let commit = state.commit.lock().unwrap().clone();
    let Some(f) = state.files.lock().unwrap().get(&path).cloned() else {
        return Response::builder()
            .status(404)
            .header("x-error-code", "EntryNotFound")
            .header("x-error-message", "Entry not found")
            .header("x-repo-commit", commit)
            .body(Body::empty())
            .unwrap();
    };
    let etag = etag_of(&f);
    if f.lfs {
        let loc = format!("{}/blob/{etag}?sig=secret", state.blob_base.lock().unwrap());
        return Response::builder()
            .status(302)
            .header("location", loc)
            .header("x-linked-etag", format!("\"{etag}\""))
            .header("x-linked-size", f.content.len())
            .header("x-repo-commit", commit)
            .body(Body::empty())
            .unwrap();
    }
    serve_bytes(&state, &method, &headers, &f.content, &etag)
}

async fn blob(
    State(state): State<Arc<Inner>>,
    Path(sha): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key("authorization") {
        state.counters.blob_auth_seen.fetch_add(1, Ordering::SeqCst);
    }
    let found = state
        .files
        .lock()
        .unwrap()
        .values()
        .find(|f| f.lfs && sha256_hex(&f.content) == sha)
        .cloned();
    match found {
        Some(f) => serve_bytes(&state, &method, &headers, &f.content, &sha),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn info(State(state): State<Arc<Inner>>) -> Response {
    state.counters.listing_calls.fetch_add(1, Ordering::SeqCst);
    let files = state.files.lock().unwrap().clone();
    let mut names: Vec<_> = files.keys().cloned().collect();
    names.sort();
    let siblings: Vec<serde_json::Value> = names
        .iter()
        .map(|n| {
            let f = &files[n];
            let mut v = serde_json::json!({"rfilename": n, "size": f.content.len(), "blobId": git_sha1(&f.content)});
            if f.lfs {
                v["lfs"] = serde_json::json!({"sha256": sha256_hex(&f.content), "size": f.content.len(), "pointerSize": 130});
            }
            v
        })
        .collect();
    axum::Json(serde_json::json!({"id": "ns/repo", "sha": state.commit.lock().unwrap().clone(), "siblings": siblings}))
        .into_response()
}
