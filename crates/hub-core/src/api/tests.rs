//! Transport-level tests of the API against a tiny scripted axum server: redirects of the
//! metadata HEAD, malformed / HTML / empty / truncated bodies, offline mode, pagination.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use futures::TryStreamExt;
use test_support::MockServer;

use crate::error::Error;
use crate::repo::{RepoId, RepoType};
use crate::{Config, HubClient, RetryPolicy, SendOptions};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
    _server: MockServer,
}

fn resp(status: u16) -> axum::http::response::Builder {
    Response::builder().status(StatusCode::from_u16(status).unwrap())
}

/// The scripted Hub: each path prefix is one scenario.
async fn handler(base: Arc<String>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_owned();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let b = Body::empty;
    match path.as_str() {
        "/ns/m/resolve/main/regular.txt" => {
            if auth != "Bearer hf_test_token" {
                return resp(401)
                    .header("x-error-code", "RepoNotFound")
                    .body(b())
                    .unwrap();
            }
            let accept = headers.get("accept-encoding").and_then(|v| v.to_str().ok());
            resp(200)
                .header("etag", "W/\"1234abcd\"")
                .header("content-length", "5")
                .header("x-repo-commit", COMMIT)
                .header("x-accept-encoding-seen", accept.unwrap_or("none"))
                .body(if method == Method::HEAD { b() } else { Body::from("hello") })
                .unwrap()
        }
        "/ns/m/resolve/main/lfs.bin" => resp(302)
            .header("location", format!("{}/cdn/blob?sig=secret", base.replace("127.0.0.1", "localhost")))
            .header("x-linked-etag", "\"e3b0c442\"")
            .header("x-linked-size", "123456")
            .header("etag", "\"pointer\"")
            .header("x-repo-commit", COMMIT)
            .body(b())
            .unwrap(),
        "/old/m/resolve/main/regular.txt" => resp(307)
            .header("location", "/ns/m/resolve/main/regular.txt?dropped=1")
            .body(b())
            .unwrap(),
        "/loop/m/resolve/main/x" => resp(301)
            .header("location", "/loop/m/resolve/main/x")
            .body(b())
            .unwrap(),
        "/ns/m/resolve/main/no-commit" => resp(200)
            .header("etag", "\"a\"")
            .header("content-length", "1")
            .body(b())
            .unwrap(),
        "/ns/m/resolve/main/no-etag" => resp(200)
            .header("x-repo-commit", COMMIT)
            .header("content-length", "1")
            .body(b())
            .unwrap(),
        "/ns/m/resolve/main/missing" => resp(404)
            .header("x-error-code", "EntryNotFound")
            .header("x-error-message", "Entry not found")
            .header("x-repo-commit", COMMIT)
            .body(b())
            .unwrap(),
        "/ns/m/resolve/main/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            resp(200).body(b()).unwrap()
        }
        "/api/models/ns/html" => resp(200)
            .header("content-type", "text/html")
            .body(Body::from("<html><body>Welcome</body></html>"))
            .unwrap(),
        "/api/models/ns/html-error" => resp(502)
            .header("content-type", "text/html")
            .header("x-request-id", "req-42")
            .body(Body::from("<html><body>Bad gateway</body></html>"))
            .unwrap(),
        "/api/models/ns/empty" => resp(200).body(b()).unwrap(),
        "/api/models/ns/malformed" => resp(200)
            .header("content-type", "application/json")
            .body(Body::from("{\"id\": \"ns/malformed\", \"sha\": "))
            .unwrap(),
        "/api/models/ns/truncated" => {
            // Announces more bytes than it sends: the connection ends early.
            resp(200)
                .header("content-type", "application/json")
                .header("content-length", "100")
                .body(Body::from_stream(futures::stream::iter(vec![
                    Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"id\": \"ns/tru")),
                    Err(std::io::Error::other("connection reset")),
                ])))
                .unwrap()
        }
        "/api/models/ns/flaky" | "/api/datasets/ns/flaky" => {
            // Cuts the body of every other answer.
            static N: AtomicUsize = AtomicUsize::new(0);
            if N.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                resp(200)
                    .header("content-length", "100")
                    .body(Body::from_stream(futures::stream::iter(vec![
                        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"id\"")),
                        Err(std::io::Error::other("reset")),
                    ])))
                    .unwrap()
            } else {
                resp(200).body(Body::from(r#"{"id":"ns/flaky"}"#)).unwrap()
            }
        }
        p if p.starts_with("/status/") => {
            // `/status/{code}`: answers `code` to every request.
            let code = p["/status/".len()..].parse().unwrap_or(500);
            resp(code).body(b()).unwrap()
        }
        "/api/models/ns/ok" => resp(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"id":"ns/ok","sha":"abc","lastModified":"2024-01-01T00:00:00Z","newThing":[1]}"#))
            .unwrap(),
        "/api/models" => {
            // Two pages; the second carries no `next`.
            let page2 = uri.query().unwrap_or("").contains("cursor=2");
            let items = if page2 { r#"[{"id":"c/3"}]"# } else { r#"[{"id":"a/1"},{"id":"b/2"}]"# };
            let mut r = resp(200).header("content-type", "application/json");
            if !page2 {
                r = r.header("link", format!("<{base}/api/models?cursor=2>; rel=\"next\""));
            }
            r.body(Body::from(items)).unwrap()
        }
        "/api/repos/create" => resp(409)
            .header("content-type", "application/json")
            .body(Body::from(format!(
                r#"{{"error":"You already created this model repo","url":"{base}/ns/exists"}}"#
            )))
            .unwrap(),
        _ => resp(404)
            .header("x-error-code", "RepoNotFound")
            .body(b())
            .unwrap(),
    }
}

async fn server() -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    // The scenarios name the server's own URL, known once it is bound.
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let (h, b) = (hits.clone(), base.clone());
    let app = axum::Router::new().fallback(move |m: Method, u: Uri, hd: HeaderMap| {
        h.fetch_add(1, Ordering::SeqCst);
        handler(Arc::new(b.get().cloned().unwrap_or_default()), m, u, hd)
    });
    let server = MockServer::start(app).await.unwrap();
    let url = server.url();
    base.set(url.clone()).unwrap();
    Server {
        url,
        hits,
        _server: server,
    }
}

fn client(url: &str) -> HubClient {
    let config = Config::builder().endpoint(url).build();
    HubClient::builder()
        .config(config)
        .token("hf_test_token")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A client that retries `max_retries` times with millisecond backoff.
fn retrying_client(url: &str, max_retries: u32) -> HubClient {
    let policy = RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(5),
    };
    HubClient::builder()
        .config(Config::builder().endpoint(url).build())
        .token("hf_test_token")
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn id(s: &str) -> RepoId {
    RepoId::new(s).unwrap()
}

#[tokio::test]
async fn metadata_of_regular_file() {
    let s = server().await;
    let api = client(&s.url).api();
    let m = api
        .get_hf_file_metadata(&id("ns/m"), "regular.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(m.commit_hash, COMMIT);
    assert_eq!(m.etag, "1234abcd");
    assert_eq!(m.size, 5);
    assert_eq!(
        m.location,
        format!("{}/ns/m/resolve/main/regular.txt", s.url)
    );
    // IntoFuture: `.send()` may be left out.
    let m2 = api
        .get_hf_file_metadata(&id("ns/m"), "regular.txt")
        .await
        .unwrap();
    assert_eq!(m, m2);
}

#[tokio::test]
async fn metadata_sends_identity_encoding() {
    let s = server().await;
    let c = client(&s.url);
    let rb = c
        .request_without_token(
            Method::HEAD,
            &format!("{}/ns/m/resolve/main/regular.txt", s.url),
        )
        .header("accept-encoding", "identity")
        .bearer_auth("hf_test_token");
    let options = SendOptions::new().redirects(crate::client::Redirects::Manual);
    let r = c.send(rb, options).await.unwrap();
    assert_eq!(r.headers()["x-accept-encoding-seen"], "identity");
}

#[tokio::test]
async fn metadata_of_lfs_file_stops_at_absolute_redirect() {
    let s = server().await;
    let api = client(&s.url).api();
    let m = api
        .get_hf_file_metadata(&id("ns/m"), "lfs.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(m.etag, "e3b0c442", "X-Linked-Etag wins over ETag");
    assert_eq!(m.size, 123456, "X-Linked-Size");
    assert!(
        m.location.starts_with("http://localhost:"),
        "{}",
        m.location
    );
    assert!(
        m.location.ends_with("/cdn/blob?sig=secret"),
        "{}",
        m.location
    );
    // Only the HEAD was sent: the CDN URL was not followed.
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn metadata_follows_relative_redirect_keeping_auth() {
    let s = server().await;
    let url = format!("{}/old/m/resolve/main/regular.txt", s.url);
    let m = crate::api::file_metadata(&client(&s.url), &url, None)
        .await
        .unwrap();
    // The regular route demands the token: the second hop carried it.
    assert_eq!(m.etag, "1234abcd");
    assert_eq!(
        m.location,
        format!("{}/ns/m/resolve/main/regular.txt", s.url),
        "query dropped"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn metadata_errors_are_typed() {
    let s = server().await;
    let c = client(&s.url);
    let api = c.api();
    let e = api
        .get_hf_file_metadata(&id("ns/m"), "no-commit")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::FileMetadata { .. }), "{e}");
    let e = api
        .get_hf_file_metadata(&id("ns/m"), "no-etag")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::FileMetadata { .. }), "{e}");
    let e = api
        .get_hf_file_metadata(&id("ns/m"), "missing")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::EntryNotFound(_)), "{e}");
    assert_eq!(e.server_message(), Some("Entry not found"));
    let url = format!("{}/ns/m/resolve/main/missing", s.url);
    match crate::api::probe_file(&c, &url, None).await.unwrap() {
        crate::api::FileProbe::EntryNotFound { commit_hash, error } => {
            assert_eq!(commit_hash.as_deref(), Some(COMMIT));
            assert!(matches!(error, Error::EntryNotFound(_)));
        }
        other => panic!("{other:?}"),
    }
    let url = format!("{}/ns/m/resolve/main/regular.txt", s.url);
    assert!(matches!(
        crate::api::probe_file(&c, &url, None).await.unwrap(),
        crate::api::FileProbe::Found(_)
    ));
    // A 404 that is not EntryNotFound stays an error.
    let url = format!("{}/nope/x/resolve/main/regular.txt", s.url);
    let e = crate::api::probe_file(&c, &url, None).await.unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    let e = api
        .get_hf_file_metadata(&id("loop/m"), "x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::FileMetadata { .. }), "{e}");
    // Without the token the route says RepoNotFound (X-Error-Code on a bodiless HEAD).
    let anon = HubClient::builder()
        .config(c.config().clone())
        .no_token()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = anon
        .api()
        .get_hf_file_metadata(&id("ns/m"), "regular.txt")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
}

#[tokio::test]
async fn metadata_honours_etag_timeout() {
    let s = server().await;
    let config = Config::builder()
        .endpoint(&s.url)
        .etag_timeout(Duration::from_millis(200))
        .build();
    let c = HubClient::builder()
        .config(config)
        .token("hf_test_token")
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = c
        .api()
        .get_hf_file_metadata(&id("ns/m"), "slow")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    // Not retried, even though timeouts are retryable elsewhere.
    assert!(started.elapsed() < Duration::from_secs(3));
    // An explicit timeout wins over the config.
    let e = c
        .api()
        .get_hf_file_metadata(&id("ns/m"), "slow")
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout());
}

#[tokio::test]
async fn bad_bodies_are_typed_errors() {
    let s = server().await;
    let api = client(&s.url).api();
    for (repo, what) in [
        ("ns/html", "html"),
        ("ns/empty", "empty"),
        ("ns/malformed", "malformed"),
    ] {
        let e = api.model_info(&id(repo)).send().await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{what}: {e}");
    }
    let e = api
        .model_info(&id("ns/truncated"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Transport { .. } | Error::Decode { .. }),
        "truncated: {e:?}"
    );
    let e = api
        .model_info(&id("ns/html-error"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::HubHttp(_)), "{e}");
    assert_eq!(e.status(), Some(502));
    assert_eq!(e.request_id(), Some("req-42"));
    assert_eq!(e.server_message(), None, "HTML pages are not messages");
    assert!(e.is_retryable());
    let e = api.model_info(&id("ns/unknown")).send().await.unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)));
    let ok = api.model_info(&id("ns/ok")).send().await.unwrap();
    assert_eq!(ok.sha.as_deref(), Some("abc"));
    assert!(ok.extra.contains_key("newThing"));
    assert!(
        !api.repo_exists(&id("ns/unknown"), RepoType::Model)
            .await
            .unwrap()
    );
    assert!(
        api.repo_exists(&id("ns/ok"), RepoType::Model)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn cut_bodies_of_reads_are_retried() {
    let s = server().await;
    let c = retrying_client(&s.url, 3);
    for _ in 0..3 {
        let before = s.hits.load(Ordering::SeqCst);
        let info = c.api().model_info(&id("ns/flaky")).send().await.unwrap();
        assert_eq!(info.id, "ns/flaky");
        let sent = s.hits.load(Ordering::SeqCst) - before;
        assert!((1..=2).contains(&sent), "{sent}");
    }
    // Without retries the cut shows as a transport error at some point.
    let c = client(&s.url);
    let mut errors = 0;
    for _ in 0..2 {
        if let Err(e) = c.api().dataset_info(&id("ns/flaky")).send().await {
            assert!(matches!(e, Error::Transport { .. }), "{e:?}");
            errors += 1;
        }
    }
    assert_eq!(errors, 1);
}

#[tokio::test]
async fn posts_are_repeated_only_when_the_server_cannot_have_acted() {
    let s = server().await;
    let c = retrying_client(&s.url, 2);
    let sent = |method: Method, code: u16, idempotent: bool| {
        let c = c.clone();
        let hits = s.hits.clone();
        let url = format!("{}/status/{code}", s.url);
        async move {
            let before = hits.load(Ordering::SeqCst);
            let rb = c.request(method, &url);
            let options = if idempotent {
                SendOptions::new().repeatable(true)
            } else {
                SendOptions::new()
            };
            let result = c.send(rb, options).await;
            assert!(result.is_err());
            hits.load(Ordering::SeqCst) - before
        }
    };
    // A POST may have been acted on before a 500 or 502: sent once.
    assert_eq!(sent(Method::POST, 500, false).await, 1);
    assert_eq!(sent(Method::POST, 502, false).await, 1);
    // 429 and 503 prove it was not: retried like any request.
    assert_eq!(sent(Method::POST, 429, false).await, 3);
    assert_eq!(sent(Method::POST, 503, false).await, 3);
    // Reads (whatever their method) and idempotent methods are retried on every 5xx.
    assert_eq!(sent(Method::POST, 500, true).await, 3);
    assert_eq!(sent(Method::GET, 500, false).await, 3);
    assert_eq!(sent(Method::PUT, 502, false).await, 3);
    // A connection that cannot be made is retried for a POST too (nothing reached a server).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let started = std::time::Instant::now();
    let err = c
        .send(
            c.request(Method::POST, &format!("http://{closed}/x")),
            SendOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.proves_not_processed(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn listing_follows_next_links_lazily() {
    let s = server().await;
    let api = client(&s.url).api();
    let all: Vec<_> = api.list_models().send().try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a/1", "b/2", "c/3"]);
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
    // `limit` stops fetching: two items fit in the first page.
    let two: Vec<_> = api
        .list_models()
        .limit(2)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
    // The stream is 'static and Send: it can be moved into a task.
    let stream = api.list_models().send();
    let n = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await.map(|v| v.len()) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn create_repo_reads_url_from_409() {
    let s = server().await;
    let api = client(&s.url).api();
    let u = api
        .create_repo(&id("ns/exists"))
        .exist_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(u.url(), format!("{}/ns/exists", s.url));
    let e = api.create_repo(&id("ns/exists")).send().await.unwrap_err();
    assert_eq!(e.status(), Some(409));
    assert_eq!(
        e.server_message(),
        Some("You already created this model repo")
    );
}

#[tokio::test]
async fn offline_mode_sends_nothing() {
    let s = server().await;
    let config = Config::builder().endpoint(&s.url).offline(true).build();
    let c = HubClient::builder()
        .config(config)
        .token("hf_test_token")
        .build()
        .unwrap();
    let api = c.api();
    let r = id("ns/m");
    let mut errors: Vec<Error> = Vec::new();
    macro_rules! check {
        ($e:expr) => {
            errors.push($e.await.map(drop).unwrap_err())
        };
    }
    check!(api.whoami());
    check!(api.get_hf_file_metadata(&r, "regular.txt").send());
    check!(crate::api::file_metadata(
        &c,
        &format!("{}/ns/m/resolve/main/x", s.url),
        None
    ));
    check!(api.model_info(&r).send());
    check!(api.dataset_info(&r).send());
    check!(api.space_info(&r).send());
    check!(api.repo_info(&r).send());
    check!(api.repo_exists(&r, RepoType::Model));
    check!(api.revision_exists(&r, "main", RepoType::Model));
    check!(api.file_exists(&r, "x", RepoType::Model, None));
    check!(api.list_models().send().try_collect::<Vec<_>>());
    check!(api.list_datasets().send().try_collect::<Vec<_>>());
    check!(api.list_spaces().send().try_collect::<Vec<_>>());
    check!(api.list_repo_tree(&r).send().try_collect::<Vec<_>>());
    check!(api.list_repo_files(&r).files());
    check!(api.get_paths_info(&r, ["a"]).send());
    check!(api.list_repo_refs(&r).send());
    check!(api.list_repo_commits(&r).send().try_collect::<Vec<_>>());
    check!(api.create_branch(&r, "b").send());
    check!(api.delete_branch(&r, "b", RepoType::Model));
    check!(api.create_tag(&r, "t").send());
    check!(api.delete_tag(&r, "t", RepoType::Model));
    check!(api.super_squash_history(&r).send());
    check!(api.create_repo(&r).send());
    check!(api.delete_repo(&r).send());
    check!(api.move_repo(&r, &id("ns/n")).send());
    check!(api.update_repo_settings(&r).private(true).send());
    check!(api.update_repo_visibility(&r, true, RepoType::Model));
    check!(api.duplicate_space(&r).to_id("ns/copy").send());
    check!(crate::auth::login(
        c.config(),
        &crate::Token::new("hf_xxxxxxxxxxxx"),
        false
    ));
    for e in &errors {
        assert!(matches!(e, Error::OfflineModeIsEnabled(_)), "{e:?}");
    }
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        0,
        "offline mode sent a request"
    );
}

#[test]
fn futures_stay_small() {
    // hf-hub's lesson: unboxed request futures grow to tens of KB and hit rustc's limits in
    // callers. Builders return boxed futures; the few plain `async fn`s must stay small too.
    let api = crate::HubClient::builder()
        .config(Config::default())
        .build()
        .unwrap()
        .api();
    let r = id("ns/m");
    let sizes = [
        (
            "model_info.send",
            std::mem::size_of_val(&api.model_info(&r).send()),
        ),
        (
            "create_repo.send",
            std::mem::size_of_val(&api.create_repo(&r).send()),
        ),
        ("whoami", std::mem::size_of_val(&api.whoami())),
        (
            "repo_exists",
            std::mem::size_of_val(&api.repo_exists(&r, RepoType::Model)),
        ),
        (
            "revision_exists",
            std::mem::size_of_val(&api.revision_exists(&r, "main", RepoType::Model)),
        ),
        (
            "file_exists",
            std::mem::size_of_val(&api.file_exists(&r, "f", RepoType::Model, None)),
        ),
        (
            "delete_branch",
            std::mem::size_of_val(&api.delete_branch(&r, "b", RepoType::Model)),
        ),
        (
            "update_repo_visibility",
            std::mem::size_of_val(&api.update_repo_visibility(&r, true, RepoType::Model)),
        ),
        (
            "file_metadata",
            std::mem::size_of_val(&crate::api::file_metadata(api.client(), "http://h/x", None)),
        ),
    ];
    for (name, size) in sizes {
        eprintln!("{name}: {size} bytes");
        assert!(size <= 1024, "{name} future is {size} bytes");
    }
}
