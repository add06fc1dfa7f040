//! The one request path, end to end: every surface goes through `HubClient::send`, so a proxy
//! sees every request of a download, an upload and an inference call; the retry rules let
//! uploads and downloads complete under faults without applying a change twice; the blocking
//! facade works from inside a runtime.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use hub_cache::CacheExt;
use hub_core::{HubClient, RepoId};
use hub_inference::InferenceClient;
use hub_tests::{ALICE, TestServer, cli_command, random_bytes, unique_name, write_file};
use hub_upload::UploadExt;

/// A forwarding HTTP proxy on 127.0.0.1: records `METHOD absolute-URI` of every request it is
/// asked to forward, sends it on (without a proxy of its own) and streams the answer back.
struct RecordingProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct ProxyState {
    seen: Arc<Mutex<Vec<String>>>,
    upstream: reqwest::Client,
}

async fn forward(State(st): State<ProxyState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let uri = parts.uri.to_string();
    st.seen
        .lock()
        .unwrap()
        .push(format!("{} {uri}", parts.method));
    let mut headers = parts.headers.clone();
    for hop in ["proxy-connection", "connection", "keep-alive", "host"] {
        headers.remove(hop);
    }
    let sent = st
        .upstream
        .request(parts.method.clone(), &uri)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let mut out = Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                if k != "connection" && k != "transfer-encoding" {
                    out = out.header(k, v);
                }
            }
            out.body(Body::from_stream(resp.bytes_stream())).unwrap()
        }
        Err(e) => Response::builder()
            .status(502)
            .body(Body::from(format!("proxy: {e}")))
            .unwrap(),
    }
}

impl RecordingProxy {
    async fn start() -> RecordingProxy {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            seen: seen.clone(),
            upstream: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RecordingProxy {
            url,
            seen,
            _task: task,
        }
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// A stand-in inference server: every POST under `/models/` answers one text classification.
async fn inference_standin() -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/models/{*model}",
        axum::routing::post(|| async {
            axum::Json(serde_json::json!([[{"label": "POSITIVE", "score": 0.75}]]))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

fn proxied_client(server: &TestServer, proxy: &str, home: &Path) -> HubClient {
    HubClient::builder()
        .config(
            hub_core::Config::builder()
                .endpoint(server.url())
                .home(home)
                .build(),
        )
        .token(server.tokens().write.clone())
        .proxy(proxy)
        .build()
        .unwrap()
}

fn has(seen: &[String], method: &str, path_part: &str) -> bool {
    seen.iter()
        .any(|l| l.starts_with(&format!("{method} http://")) && l.contains(path_part))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_sees_every_request_of_upload_download_and_inference() {
    let server = TestServer::builder().multipart(1 << 20, 512 * 1024).start();
    let proxy = RecordingProxy::start().await;
    let home = tempfile::tempdir().unwrap();
    let client = proxied_client(&server, &proxy.url, home.path());
    let id = RepoId::new(format!("{ALICE}/{}", unique_name("proxy"))).unwrap();

    // Upload: repo creation, preupload, LFS batch, multipart part PUTs and completion, commit.
    client.api().create_repo(&id).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let big = random_bytes(1_500_000, 5);
    write_file(&dir.path().join("weights.bin"), &big);
    write_file(&dir.path().join("config.json"), b"{\"a\": 1}\n");
    // hub-upload and hub-cache builders can be awaited without `.send()`.
    client.upload_folder(&id, dir.path()).await.unwrap();
    let seen = proxy.take();
    for (method, part) in [
        ("POST", "/api/repos/create"),
        ("POST", "/preupload/main"),
        ("POST", ".git/info/lfs/objects/batch"),
        ("PUT", ""),
        ("POST", "/commit/main"),
    ] {
        assert!(
            has(&seen, method, part),
            "{method} {part} not proxied: {seen:#?}"
        );
    }
    let puts = seen.iter().filter(|l| l.starts_with("PUT ")).count();
    assert!(
        puts >= 3,
        "expected every multipart part through the proxy: {seen:#?}"
    );

    // Download: the metadata HEAD and the GETs of both files.
    let cache = tempfile::tempdir().unwrap();
    let folder = client
        .snapshot_download(&id)
        .cache_dir(cache.path())
        .await
        .unwrap();
    assert_eq!(std::fs::read(folder.join("weights.bin")).unwrap(), big);
    let seen = proxy.take();
    assert!(
        has(&seen, "GET", &format!("/api/models/{id}/revision/main")),
        "{seen:#?}"
    );
    assert!(has(&seen, "GET", "/resolve/"), "{seen:#?}");
    let single = client
        .download(&id, "config.json")
        .revision(hub_core::Revision::main())
        .cache_dir(tempfile::tempdir().unwrap().path())
        .send()
        .await
        .unwrap();
    assert!(single.ends_with("config.json"));
    let seen = proxy.take();
    assert!(has(&seen, "HEAD", "/resolve/main/config.json"), "{seen:#?}");

    // Inference: the POST to the model URL.
    let (standin, _task) = inference_standin().await;
    let inference = InferenceClient::builder()
        .hub_client(client.clone())
        .model(format!("{standin}/models/some/model"))
        .build()
        .unwrap();
    let labels = inference.text_classification("hi", None).await.unwrap();
    assert_eq!(labels[0].label, "POSITIVE");
    let seen = proxy.take();
    assert_eq!(
        seen,
        vec![format!("POST {standin}/models/some/model")],
        "inference call not proxied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_honours_http_proxy_from_the_environment() {
    let server = TestServer::start();
    let proxy = RecordingProxy::start().await;
    let id = format!("{ALICE}/{}", unique_name("envproxy"));
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join("a.txt"), b"through the proxy\n");
    let mut cmd = cli_command(home.path());
    cmd.args(["upload", &id, dir.path().to_str().unwrap(), "."])
        .env("HF_ENDPOINT", server.url())
        .env("HF_TOKEN", &server.tokens().write)
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    // The proxy runs on this runtime: the child is awaited off its threads.
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = proxy.take();
    assert!(has(&seen, "POST", "/api/repos/create"), "{seen:#?}");
    assert!(has(&seen, "POST", "/commit/main"), "{seen:#?}");
}

/// Uploads and downloads through `huggingface-cli` against a server that drops 10 % of the
/// answers mid-body, answers 10 % of the requests with 5xx and 5 % with 429 (the chaos spec of
/// the issue): every one of 20 uploads and 20 downloads must complete with the right bytes.
#[test]
fn cli_uploads_and_downloads_complete_under_chaos_slow() {
    let server = TestServer::builder()
        .chaos("drop=0.1,error=0.1,ratelimit=0.05,seed=42")
        .start();
    let home = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = cli_command(home.path())
            .args(args)
            .env("HF_ENDPOINT", server.url())
            .env("HF_TOKEN", &server.tokens().write)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let src = tempfile::tempdir().unwrap();
    let weights = random_bytes(300_000, 9);
    write_file(&src.path().join("weights.bin"), &weights);
    write_file(&src.path().join("README.md"), b"# chaos\n");
    write_file(&src.path().join("sub/notes.txt"), b"notes\n");
    let folder = src.path().to_str().unwrap();
    let mut repos = Vec::new();
    for i in 0..20 {
        let id = format!("{ALICE}/{}", unique_name(&format!("chaos{i}")));
        let (ok, stderr) = cli(&["upload", &id, folder, "."]);
        assert!(ok, "upload {i} failed under chaos: {stderr}");
        repos.push(id);
    }
    for (i, id) in repos.iter().enumerate() {
        let cache = tempfile::tempdir().unwrap();
        let (ok, stderr) = cli(&[
            "download",
            id,
            "--cache-dir",
            cache.path().to_str().unwrap(),
        ]);
        assert!(ok, "download {i} failed under chaos: {stderr}");
        let snapshots = cache
            .path()
            .join(format!("models--{}", id.replace('/', "--")))
            .join("snapshots");
        let snapshot = std::fs::read_dir(&snapshots)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(
            std::fs::read(snapshot.join("weights.bin")).unwrap(),
            weights
        );
        assert_eq!(
            std::fs::read(snapshot.join("sub/notes.txt")).unwrap(),
            b"notes\n"
        );
    }
}

/// The blocking facade runs the async API on its own thread: calling it from inside a tokio
/// runtime (of either flavour) must neither panic nor deadlock.
#[tokio::test(flavor = "current_thread")]
async fn blocking_api_works_inside_a_current_thread_runtime() {
    blocking_calls_inside_runtime().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_api_works_inside_a_multi_thread_runtime() {
    blocking_calls_inside_runtime().await;
}

async fn blocking_calls_inside_runtime() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let client = HubClient::builder()
        .config(
            hub_core::Config::builder()
                .endpoint(server.url())
                .home(home.path())
                .build(),
        )
        .token(server.tokens().write.clone())
        .build()
        .unwrap();
    let api = hub_core::blocking::HfApi::new(client).unwrap();
    let id = RepoId::new(format!("{ALICE}/{}", unique_name("blocking"))).unwrap();
    // Deliberately called on the runtime's own thread.
    api.run(api.api().create_repo(&id).send()).unwrap();
    assert_eq!(api.whoami().unwrap().name, ALICE);
    assert!(api.repo_exists(&id, hub_core::RepoType::Model).unwrap());
    drop(api);
}
