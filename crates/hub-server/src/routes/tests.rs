//! Handler tests driving the router with `tower::ServiceExt::oneshot`.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use sha1::Digest as _;
use tower::ServiceExt;

use crate::{AppState, ServerConfig};

const URL: &str = "http://hub.test";
const W: &str = "hf_alice_write";
const R: &str = "hf_alice_read";
const BOB: &str = "hf_bob";

struct H {
    _dir: tempfile::TempDir,
    state: AppState,
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not json ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, k: &str) -> &str {
        self.headers
            .get(k)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
    fn code(&self) -> &str {
        self.header("x-error-code")
    }
}

fn git_sha1(data: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

impl H {
    fn new() -> H {
        Self::with(|_| {})
    }

    fn with(f: impl FnOnce(&mut ServerConfig)) -> H {
        let dir = tempfile::tempdir().unwrap();
        crate::admin::add_user(
            dir.path(),
            "alice",
            W,
            false,
            Some("Alice"),
            Some("a@x.org"),
        )
        .unwrap();
        crate::admin::add_user(dir.path(), "alice", R, true, None, None).unwrap();
        crate::admin::add_user(dir.path(), "bob", BOB, false, None, None).unwrap();
        crate::admin::add_org(dir.path(), "acme", &["alice".to_string()], Some("Acme")).unwrap();
        let mut cfg = ServerConfig::new(dir.path());
        f(&mut cfg);
        let state = AppState::open_with(&cfg, URL).unwrap();
        H { _dir: dir, state }
    }

    /// Re-opens the same data dir (simulates a restart).
    fn restart(&mut self) {
        let cfg = ServerConfig::new(self._dir.path());
        self.state = AppState::open_with(&cfg, URL).unwrap();
    }

    async fn req(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let resp = crate::app(self.state.clone())
            .oneshot(b.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> Resp {
        self.req("GET", uri, token, &[], Body::empty()).await
    }

    async fn post_json(&self, uri: &str, token: Option<&str>, v: Value) -> Resp {
        self.req(
            "POST",
            uri,
            token,
            &[("content-type", "application/json")],
            Body::from(v.to_string()),
        )
        .await
    }

    async fn create(&self, id: &str, extra: Value) -> Resp {
        let (ns, name) = id.split_once('/').unwrap();
        let mut body = json!({"name": name, "organization": ns});
        if let Value::Object(m) = extra {
            for (k, v) in m {
                body[k] = v;
            }
        }
        self.post_json("/api/repos/create", Some(W), body).await
    }

    async fn commit_raw(
        &self,
        id: &str,
        rev: &str,
        token: &str,
        lines: &[Value],
        query: &str,
    ) -> Resp {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let uri = format!("/api/models/{id}/commit/{rev}{query}");
        self.req(
            "POST",
            &uri,
            Some(token),
            &[("content-type", "application/x-ndjson")],
            Body::from(body),
        )
        .await
    }

    async fn commit_files(&self, id: &str, rev: &str, files: &[(&str, &[u8])]) -> Resp {
        let mut lines = vec![
            json!({"key": "header", "value": {"summary": "add files", "description": "desc"}}),
        ];
        for (p, c) in files {
            lines.push(json!({"key": "file", "value": {"path": p, "content": b64(c), "encoding": "base64"}}));
        }
        self.commit_raw(id, rev, W, &lines, "").await
    }

    async fn head_sha(&self, id: &str, rev: &str) -> String {
        let r = self
            .get(&format!("/api/models/{id}/revision/{rev}"), Some(W))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.json()["sha"].as_str().unwrap().to_string()
    }

    /// Uploads LFS content through the batch API (basic transfer) and returns the oid.
    async fn upload_lfs(&self, id: &str, data: &[u8]) -> String {
        let oid = sha256(data);
        let r = self
            .post_json(
                &format!("/{id}.git/info/lfs/objects/batch"),
                Some(W),
                json!({"operation": "upload", "transfers": ["basic", "multipart"], "objects": [{"oid": oid, "size": data.len()}], "hash_algo": "sha256"}),
            )
            .await;
        assert_eq!(r.status, 200);
        let obj = &r.json()["objects"][0];
        if let Some(href) = obj["actions"]["upload"]["href"].as_str() {
            let path = href.strip_prefix(URL).unwrap();
            let put = self
                .req("PUT", path, None, &[], Body::from(data.to_vec()))
                .await;
            assert_eq!(put.status, 200, "{:?}", put.body);
        }
        oid
    }
}

fn date_ok(s: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS.mmmZ
    s.len() == 24 && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.' && s.ends_with('Z')
}

#[tokio::test]
async fn whoami_and_auth() {
    let h = H::new();
    let r = h.get("/api/whoami-v2", None).await;
    assert_eq!(r.status, 401);
    assert!(!r.header("x-request-id").is_empty());
    let r = h.get("/api/whoami-v2", Some("hf_nope")).await;
    assert_eq!(r.status, 401);
    let r = h.get("/api/whoami-v2", Some(W)).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["name"], "alice");
    assert_eq!(v["fullname"], "Alice");
    assert_eq!(v["type"], "user");
    assert_eq!(v["auth"]["accessToken"]["role"], "write");
    assert_eq!(v["orgs"][0]["name"], "acme");
    assert_eq!(v["orgs"][0]["fullname"], "Acme");
    assert!(date_ok(
        v["auth"]["accessToken"]["createdAt"].as_str().unwrap()
    ));
    let v = h.get("/api/whoami-v2", Some(R)).await.json();
    assert_eq!(v["auth"]["accessToken"]["role"], "read");
    let v = h.get("/api/whoami-v2", Some(BOB)).await.json();
    assert_eq!(v["orgs"], json!([]));
    // Request ids are echoed.
    let r = h
        .req(
            "GET",
            "/api/whoami-v2",
            Some(W),
            &[("x-request-id", "abc-123")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.header("x-request-id"), "abc-123");
    // Basic auth as sent by git.
    let basic = format!("Basic {}", b64(format!("alice:{W}").as_bytes()));
    let r = h
        .req(
            "GET",
            "/api/whoami-v2",
            None,
            &[("authorization", &basic)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.json()["name"], "alice");
}

#[tokio::test]
async fn create_repo_semantics() {
    let h = H::new();
    let r = h.create("alice/r", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["url"], format!("{URL}/alice/r"));
    let r = h.create("alice/r", json!({})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["url"], format!("{URL}/alice/r"));
    // Same name, different type is a different repo.
    let r = h.create("alice/r", json!({"type": "dataset"})).await;
    assert_eq!(r.json()["url"], format!("{URL}/datasets/alice/r"));
    let r = h
        .create(
            "acme/s",
            json!({"type": "space", "sdk": "gradio", "private": true}),
        )
        .await;
    assert_eq!(r.json()["url"], format!("{URL}/spaces/acme/s"));
    // Namespace from the token when organization is null.
    let r = h
        .post_json(
            "/api/repos/create",
            Some(BOB),
            json!({"name": "mine", "organization": null}),
        )
        .await;
    assert_eq!(r.json()["name"], "bob/mine");
    // Forbidden: read token, foreign namespace; no token → 401.
    let r = h
        .post_json("/api/repos/create", Some(R), json!({"name": "x"}))
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post_json(
            "/api/repos/create",
            Some(BOB),
            json!({"name": "x", "organization": "acme"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post_json("/api/repos/create", None, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, 401);
    for bad in ["a b", "../x", "x.git", "-x", "a..b"] {
        let r = h
            .post_json("/api/repos/create", Some(W), json!({"name": bad}))
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].as_str().unwrap().contains("Invalid"));
        assert!(!r.header("x-error-message").is_empty());
    }
    // [main]-style visibility.
    let r = h
        .post_json(
            "/api/repos/create",
            Some(W),
            json!({"name": "vis", "organization": "alice", "visibility": "private"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.get("/api/models/alice/vis", Some(W)).await.json()["private"],
        true
    );
    // Oversized JSON is refused.
    let huge = format!("{{\"name\": \"{}\"}}", "a".repeat(11 * 1024 * 1024));
    let r = h
        .req("POST", "/api/repos/create", Some(W), &[], Body::from(huge))
        .await;
    assert_eq!(r.status, 413);
    let r = h
        .req(
            "POST",
            "/api/repos/create",
            Some(W),
            &[],
            Body::from("{not json"),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn info_privacy_and_initial_commit() {
    let h = H::new();
    h.create("alice/pub", json!({})).await;
    h.create("alice/priv", json!({"private": true})).await;
    let r = h.get("/api/models/alice/pub", None).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["id"], "alice/pub");
    assert_eq!(v["private"], false);
    assert!(date_ok(v["lastModified"].as_str().unwrap()));
    assert_eq!(v["siblings"], json!([{"rfilename": ".gitattributes"}]));
    assert_eq!(v["sha"].as_str().unwrap().len(), 40);
    // Case-insensitive ids.
    assert_eq!(h.get("/api/models/ALICE/Pub", None).await.status, 200);
    // The Hub's statuses: 401 without a token, 404 with one that has no access.
    for (tok, status) in [(None, 401), (Some(BOB), 404)] {
        let r = h.get("/api/models/alice/priv", tok).await;
        assert_eq!(r.status, status);
        assert_eq!(r.code(), "RepoNotFound");
        assert_eq!(r.header("x-error-message"), "Repository not found");
        let r = h
            .req(
                "HEAD",
                "/alice/priv/resolve/main/.gitattributes",
                tok,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!(r.code(), "RepoNotFound");
    }
    assert_eq!(h.get("/api/models/alice/priv", Some(R)).await.status, 200);
    assert_eq!(
        h.get("/api/models/alice/missing", Some(W)).await.code(),
        "RepoNotFound"
    );
    let r = h.get("/api/models/alice/pub/revision/nope", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "RevisionNotFound"));
    // Fresh repos: one "initial commit" with the default .gitattributes.
    let commits = h
        .get("/api/models/alice/pub/commits/main", None)
        .await
        .json();
    assert_eq!(commits.as_array().unwrap().len(), 1);
    assert_eq!(commits[0]["title"], "initial commit");
    let attrs = h.get("/alice/pub/resolve/main/.gitattributes", None).await;
    let text = String::from_utf8_lossy(&attrs.body);
    assert!(
        text.contains("*.bin filter=lfs")
            && text.contains("*.safetensors filter=lfs")
            && text.contains("*tfevents*")
    );
    // Writes by others are forbidden, but bob can see the public repo.
    let r = h
        .req(
            "POST",
            "/api/models/alice/pub/commit/main",
            Some(BOB),
            &[],
            Body::from("{\"key\":\"header\",\"value\":{\"summary\":\"x\"}}\n"),
        )
        .await;
    assert_eq!(r.status, 403);
    // expand keeps only requested fields.
    let v = h
        .get("/api/models/alice/pub?expand=sha&expand[]=private", None)
        .await
        .json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{v}");
    assert!(v.get("sha").is_some() && v.get("siblings").is_none());
}

#[tokio::test]
async fn regular_file_resolve_headers_and_ranges() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    let data = b"0123456789abcdef".repeat(100);
    let r = h
        .commit_files("alice/r", "main", &[("dir/my file+x#.txt", &data)])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = r.json();
    let commit = v["commitOid"].as_str().unwrap().to_string();
    assert_eq!(v["commitUrl"], format!("{URL}/alice/r/commit/{commit}"));
    let url = "/alice/r/resolve/main/dir/my%20file%2Bx%23.txt";
    let r = h.req("HEAD", url, None, &[], Body::empty()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-repo-commit"), commit);
    assert_eq!(r.header("etag"), format!("\"{}\"", git_sha1(&data)));
    assert_eq!(r.header("content-length"), data.len().to_string());
    assert_eq!(r.header("accept-ranges"), "bytes");
    assert!(r.body.is_empty());
    let r = h.get(url, None).await;
    assert_eq!(&r.body[..], &data[..]);
    let r = h
        .req("GET", url, None, &[("range", "bytes=10-19")], Body::empty())
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &data[10..20]);
    assert_eq!(
        r.header("content-range"),
        format!("bytes 10-19/{}", data.len())
    );
    let r = h
        .req("GET", url, None, &[("range", "bytes=1500-")], Body::empty())
        .await;
    assert_eq!(&r.body[..], &data[1500..]);
    let r = h
        .req("GET", url, None, &[("range", "bytes=5000-")], Body::empty())
        .await;
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), format!("bytes */{}", data.len()));
    // Every revision form.
    for rev in [
        commit.as_str(),
        "main",
        "refs%2Fheads%2Fmain",
        "refs/heads/main",
    ] {
        let r = h
            .req(
                "HEAD",
                &format!("/alice/r/resolve/{rev}/dir/my%20file%2Bx%23.txt"),
                None,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!(r.status, 200, "{rev}");
        assert_eq!(r.header("x-repo-commit"), commit);
    }
    // Missing file: EntryNotFound + X-Repo-Commit, on HEAD and GET.
    for m in ["HEAD", "GET"] {
        let r = h
            .req(
                m,
                "/alice/r/resolve/main/nope.txt",
                None,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "EntryNotFound"));
        assert_eq!(r.header("x-repo-commit"), commit);
    }
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/nope/x.txt",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    // A folder is not a file.
    assert_eq!(
        h.get("/alice/r/resolve/main/dir", None).await.code(),
        "EntryNotFound"
    );
}

#[tokio::test]
async fn branches_with_slashes_tags_and_longest_ref() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    h.commit_files("alice/r", "main", &[("a.txt", b"main")])
        .await;
    let r = h
        .post_json("/api/models/alice/r/branch/feature%2Fx", Some(W), json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = h
        .post_json("/api/models/alice/r/branch/feature%2Fx", Some(W), json!({}))
        .await;
    assert_eq!(r.status, 409);
    let r = h
        .post_json(
            "/api/models/alice/r/branch/b2",
            Some(W),
            json!({"startingPoint": "nope"}),
        )
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    let r = h
        .commit_files("alice/r", "feature%2Fx", &[("a.txt", b"feature")])
        .await;
    assert_eq!(r.status, 200);
    // Raw and encoded slashes both resolve to the branch.
    assert_eq!(
        &h.get("/alice/r/resolve/feature/x/a.txt", None).await.body[..],
        b"feature"
    );
    assert_eq!(
        &h.get("/alice/r/resolve/feature%2Fx/a.txt", None).await.body[..],
        b"feature"
    );
    assert_eq!(
        &h.get("/alice/r/resolve/main/a.txt", None).await.body[..],
        b"main"
    );
    let r = h
        .post_json(
            "/api/models/alice/r/tag/main",
            Some(W),
            json!({"tag": "v1", "message": "release"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .post_json(
            "/api/models/alice/r/tag/main",
            Some(W),
            json!({"tag": "v1"}),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = h
        .post_json(
            "/api/models/alice/r/tag/main",
            Some(W),
            json!({"tag": "bad name"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let main = h.head_sha("alice/r", "main").await;
    assert_eq!(h.head_sha("alice/r", "v1").await, main);
    let refs = h.get("/api/models/alice/r/refs", None).await.json();
    assert_eq!(refs["branches"][0]["name"], "main");
    assert_eq!(
        refs["tags"][0],
        json!({"name": "v1", "ref": "refs/tags/v1", "targetCommit": main})
    );
    assert_eq!(refs["converts"], json!([]));
    assert!(refs.get("pullRequests").is_none());
    assert_eq!(
        h.get("/api/models/alice/r/refs?include_prs=1", None)
            .await
            .json()["pullRequests"],
        json!([])
    );
    let r = h
        .req(
            "DELETE",
            "/api/models/alice/r/tag/v1",
            Some(W),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .req(
            "DELETE",
            "/api/models/alice/r/tag/v1",
            Some(W),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    let r = h
        .req(
            "DELETE",
            "/api/models/alice/r/branch/feature%2Fx",
            Some(W),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.get("/alice/r/resolve/feature%2Fx/a.txt", None)
            .await
            .code(),
        "RevisionNotFound"
    );
    let r = h
        .req(
            "DELETE",
            "/api/models/alice/r/branch/feature%2Fx",
            Some(W),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    // Read-only token cannot create branches.
    assert_eq!(
        h.post_json("/api/models/alice/r/branch/ro", Some(R), json!({}))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn bad_commits_change_nothing() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    let before = h.head_sha("alice/r", "main").await;
    let header = json!({"key": "header", "value": {"summary": "x"}});
    let cases: Vec<(Vec<Value>, u16)> = vec![
        (
            vec![
                header.clone(),
                json!({"key": "file", "value": {"path": "a", "content": "%%%", "encoding": "base64"}}),
            ],
            400,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "teleport", "value": {"path": "a"}}),
            ],
            400,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "file", "value": {"path": "../x", "content": ""}}),
            ],
            422,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "file", "value": {"path": "/abs", "content": ""}}),
            ],
            422,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "file", "value": {"path": "a/.git/config", "content": ""}}),
            ],
            422,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "file", "value": {"path": "..\\ddd", "content": ""}}),
            ],
            422,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "a".repeat(64), "size": 3}}),
            ],
            400,
        ),
        (
            vec![json!({"key": "file", "value": {"path": "a", "content": ""}})],
            400,
        ),
        (
            vec![json!({"key": "header", "value": {"summary": ""}})],
            400,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "deletedFile", "value": {"path": "missing.txt"}}),
            ],
            404,
        ),
        (
            vec![
                header.clone(),
                json!({"key": "deletedFolder", "value": {"path": "nodir/"}}),
            ],
            404,
        ),
    ];
    for (lines, status) in cases {
        let r = h.commit_raw("alice/r", "main", W, &lines, "").await;
        assert_eq!(r.status.as_u16(), status, "{lines:?}: {:?}", r.body);
        assert!(r.json()["error"].is_string());
        assert!(!r.header("x-error-message").is_empty());
    }
    let r = h
        .req(
            "POST",
            "/api/models/alice/r/commit/main",
            Some(W),
            &[],
            Body::from("not json at all\n"),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = h
        .commit_raw(
            "alice/r",
            "main",
            W,
            &[
                header.clone(),
                json!({"key": "deletedFile", "value": {"path": "missing.txt"}}),
            ],
            "",
        )
        .await;
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("A file with this name doesn't exist")
    );
    assert_eq!(h.head_sha("alice/r", "main").await, before);
    // Missing branch.
    let r = h
        .commit_raw("alice/r", "nobranch", W, std::slice::from_ref(&header), "")
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    // Stale parent → 412; matching parent (also abbreviated) → 200.
    let stale = json!({"key": "header", "value": {"summary": "x", "parentCommit": "0".repeat(40)}});
    assert_eq!(
        h.commit_raw("alice/r", "main", W, &[stale], "")
            .await
            .status,
        412
    );
    let ok = json!({"key": "header", "value": {"summary": "x", "parentCommit": &before[..7]}});
    assert_eq!(
        h.commit_raw("alice/r", "main", W, &[ok], "").await.status,
        200
    );
}

#[tokio::test]
async fn lfs_basic_flow_and_signed_urls() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    // Preupload: *.bin is LFS by default, small text regular, NUL bytes → LFS, ignore rules applied.
    let r = h
        .post_json(
            "/api/models/alice/r/preupload/main",
            Some(W),
            json!({"files": [
                {"path": "w.bin", "sample": b64(&data[..512]), "size": data.len()},
                {"path": "a.txt", "sample": b64(b"hello"), "size": 5},
                {"path": "big.txt", "sample": b64(b"x"), "size": 20_000_000},
                {"path": "logs/x.log", "sample": "", "size": 0},
            ], "gitIgnore": "*.log\n"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let files = r.json()["files"].clone();
    let modes: Vec<(&str, bool)> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["uploadMode"].as_str().unwrap(),
                f["shouldIgnore"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        vec![
            ("lfs", false),
            ("regular", false),
            ("lfs", false),
            ("regular", true)
        ]
    );
    // Upload with the wrong content is refused and leaves nothing behind.
    let oid = sha256(&data);
    let batch = h
        .post_json(
            "/alice/r.git/info/lfs/objects/batch",
            Some(W),
            json!({"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": data.len()}]}),
        )
        .await;
    assert_eq!(batch.header("content-type"), "application/vnd.git-lfs+json");
    let obj = batch.json()["objects"][0].clone();
    let href = obj["actions"]["upload"]["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(href.starts_with(URL));
    let path = href.strip_prefix(URL).unwrap();
    let r = h
        .req("PUT", path, None, &[], Body::from(vec![0u8; data.len()]))
        .await;
    assert_eq!(r.status, 400);
    let tampered = path.replace("sig=", "sig=0");
    assert_eq!(
        h.req("PUT", &tampered, None, &[], Body::from(data.clone()))
            .await
            .status,
        403
    );
    // Verify before upload fails, after succeeds.
    let verify = obj["actions"]["verify"]["href"]
        .as_str()
        .unwrap()
        .strip_prefix(URL)
        .unwrap()
        .to_string();
    assert_eq!(
        h.post_json(&verify, Some(W), json!({"oid": oid, "size": data.len()}))
            .await
            .status,
        404
    );
    assert_eq!(
        h.req("PUT", path, None, &[], Body::from(data.clone()))
            .await
            .status,
        200
    );
    assert_eq!(
        h.post_json(&verify, Some(W), json!({"oid": oid, "size": data.len()}))
            .await
            .status,
        200
    );
    // Batch again: already stored → no actions.
    let batch = h
        .post_json(
            "/alice/r.git/info/lfs/objects/batch",
            Some(W),
            json!({"operation": "upload", "objects": [{"oid": oid, "size": data.len()}]}),
        )
        .await;
    assert!(batch.json()["objects"][0].get("actions").is_none());
    // Commit it (and a copy without size, as LFS copies arrive).
    let lines = vec![
        json!({"key": "header", "value": {"summary": "lfs"}}),
        json!({"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": data.len()}}),
        json!({"key": "lfsFile", "value": {"path": "copy/w2.dat", "algo": "sha256", "oid": oid}}),
    ];
    let r = h.commit_raw("alice/r", "main", W, &lines, "").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let commit = r.json()["commitOid"].as_str().unwrap().to_string();
    // .gitattributes got a rule for the uncovered LFS path.
    let attrs = h.get("/alice/r/resolve/main/.gitattributes", None).await;
    assert!(String::from_utf8_lossy(&attrs.body).contains("copy/w2.dat filter=lfs"));
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/main/w.bin",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("x-linked-etag"), format!("\"{oid}\""));
    assert_eq!(r.header("x-linked-size"), data.len().to_string());
    assert_eq!(r.header("x-repo-commit"), commit);
    let loc = r.header("location").to_string();
    assert!(loc.starts_with(&format!("{URL}/_lfs/{oid}?")));
    let blob_path = loc.strip_prefix(URL).unwrap();
    let r = h.get(blob_path, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &data[..]);
    assert_eq!(r.header("x-repo-commit"), commit);
    assert_eq!(r.header("x-linked-size"), data.len().to_string());
    assert_eq!(r.header("etag"), format!("\"{oid}\""));
    let r = h
        .req(
            "GET",
            blob_path,
            None,
            &[("range", "bytes=99990-")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(&r.body[..], &data[99_990..]);
    let r = h.req("HEAD", blob_path, None, &[], Body::empty()).await;
    assert_eq!(r.header("content-length"), data.len().to_string());
    assert_eq!(
        h.get(&blob_path.replace("sig=", "sig=f"), None)
            .await
            .status,
        403
    );
    // Tree / paths-info / info with blobs show LFS metadata; preupload of a committed LFS file
    // returns its sha256 oid.
    let tree = h
        .get(
            "/api/models/alice/r/tree/main?recursive=True&expand=False",
            None,
        )
        .await
        .json();
    let w = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "w.bin")
        .unwrap()
        .clone();
    assert_eq!(w["size"], data.len());
    assert_eq!(w["lfs"]["oid"], oid);
    assert_eq!(
        w["lfs"]["pointerSize"],
        crate::git::lfs_pointer(&oid, data.len() as u64).len()
    );
    let info = h.get("/api/models/alice/r?blobs=True", None).await.json();
    let s = info["siblings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rfilename"] == "copy/w2.dat")
        .unwrap()
        .clone();
    assert_eq!(s["lfs"]["sha256"], oid);
    assert_eq!(s["size"], data.len());
    let r = h
        .post_json(
            "/api/models/alice/r/preupload/main",
            Some(W),
            json!({"files": [{"path": "w.bin", "sample": "", "size": 1}]}),
        )
        .await;
    assert_eq!(r.json()["files"][0]["oid"], oid);
}

#[tokio::test]
async fn lfs_multipart_flow() {
    let h = H::with(|c| {
        c.multipart_threshold = Some(1000);
        c.multipart_chunk_size = Some(400);
    });
    h.create("alice/r", json!({})).await;
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
    let oid = sha256(&data);
    let batch = h
        .post_json(
            "/alice/r.git/info/lfs/objects/batch",
            Some(W),
            json!({"operation": "upload", "objects": [{"oid": oid, "size": 1000}]}),
        )
        .await;
    let up = batch.json()["objects"][0]["actions"]["upload"].clone();
    assert_eq!(up["header"]["chunk_size"], "400");
    let parts: Vec<String> = (1..=3)
        .map(|i| up["header"][i.to_string()].as_str().unwrap().to_string())
        .collect();
    assert!(up["header"].get("4").is_none());
    // Completing before all parts are there fails.
    let complete = up["href"]
        .as_str()
        .unwrap()
        .strip_prefix(URL)
        .unwrap()
        .to_string();
    let mut etags = vec![];
    for (i, p) in parts.iter().enumerate() {
        let chunk = data[i * 400..((i + 1) * 400).min(1000)].to_vec();
        let r = h
            .req(
                "PUT",
                p.strip_prefix(URL).unwrap(),
                None,
                &[],
                Body::from(chunk),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(!r.header("etag").is_empty());
        etags.push(r.header("etag").to_string());
        if i == 0 {
            assert_eq!(
                h.post_json(&complete, None, json!({"oid": oid, "parts": []}))
                    .await
                    .status,
                400
            );
        }
    }
    // A wrong-sized part is refused.
    assert_eq!(
        h.req(
            "PUT",
            parts[0].strip_prefix(URL).unwrap(),
            None,
            &[],
            Body::from(vec![1u8; 10])
        )
        .await
        .status,
        400
    );
    let parts_json: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"partNumber": i + 1, "etag": e}))
        .collect();
    let r = h
        .post_json(&complete, None, json!({"oid": oid, "parts": parts_json}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let batch = h
        .post_json(
            "/alice/r.git/info/lfs/objects/batch",
            Some(W),
            json!({"operation": "upload", "objects": [{"oid": oid, "size": 1000}]}),
        )
        .await;
    assert!(batch.json()["objects"][0].get("actions").is_none());
    let bad = h
        .post_json(
            "/alice/r.git/info/lfs/objects/batch",
            Some(W),
            json!({"operation": "upload", "objects": [{"oid": "xyz", "size": 1}]}),
        )
        .await;
    assert_eq!(bad.json()["objects"][0]["error"]["code"], 422);
}

#[tokio::test]
async fn tree_paths_info_and_pagination() {
    let h = H::with(|c| c.page_size = Some(2));
    h.create("alice/r", json!({})).await;
    h.commit_files(
        "alice/r",
        "main",
        &[
            ("file.md", b"x"),
            ("1/file_1.md", b"y"),
            ("1/2/3/deep.md", b"z"),
        ],
    )
    .await;
    // Pagination with absolute Link headers.
    let mut url = "/api/models/alice/r/tree/main?recursive=True&expand=False".to_string();
    let mut all = vec![];
    let mut pages = 0;
    loop {
        let r = h.get(&url, None).await;
        assert_eq!(r.status, 200);
        pages += 1;
        all.extend(
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap().to_string()),
        );
        let link = r.header("link").to_string();
        if link.is_empty() {
            break;
        }
        assert!(
            link.starts_with(&format!("<{URL}/api/models/alice/r/tree/main?"))
                && link.ends_with("rel=\"next\""),
            "{link}"
        );
        url = link[1..link.find('>').unwrap()]
            .strip_prefix(URL)
            .unwrap()
            .to_string();
    }
    all.sort();
    assert_eq!(
        all,
        vec![
            ".gitattributes",
            "1",
            "1/2",
            "1/2/3",
            "1/2/3/deep.md",
            "1/file_1.md",
            "file.md"
        ]
    );
    assert_eq!(pages, 4);
    // Sub-folder with %2F, non-recursive, expand adds lastCommit.
    let r = h
        .get(
            "/api/models/alice/r/tree/main/1%2F2?recursive=false&expand=true",
            None,
        )
        .await
        .json();
    assert_eq!(r[0]["path"], "1/2/3");
    assert_eq!(r[0]["type"], "directory");
    assert_eq!(r[0]["lastCommit"]["title"], "add files");
    assert!(date_ok(r[0]["lastCommit"]["date"].as_str().unwrap()));
    assert_eq!(
        h.get("/api/models/alice/r/tree/main/nope", None)
            .await
            .code(),
        "EntryNotFound"
    );
    assert_eq!(
        h.get("/api/models/alice/r/tree/nope", None).await.code(),
        "RevisionNotFound"
    );
    // paths-info: form-encoded, missing omitted, order kept.
    let r = h
        .req(
            "POST",
            "/api/models/alice/r/paths-info/main",
            None,
            &[("content-type", "application/x-www-form-urlencoded")],
            Body::from("paths=file.md&paths=missing&paths=1&expand=True"),
        )
        .await;
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["path"], "file.md");
    assert_eq!(v[0]["oid"], git_sha1(b"x"));
    assert_eq!(v[0]["security"]["safe"], true);
    assert_eq!(v[1]["type"], "directory");
    // Commits pagination.
    let r = h.get("/api/models/alice/r/commits/main", None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert!(r.header("link").is_empty());
    h.commit_files("alice/r", "main", &[("x", b"1")]).await;
    let r = h
        .get("/api/models/alice/r/commits/main?expand[]=formatted", None)
        .await;
    let v = r.json();
    assert_eq!(v[0]["title"], "add files");
    assert_eq!(v[0]["message"], "desc");
    assert_eq!(v[0]["authors"][0]["user"], "alice");
    assert!(v[0]["formatted"]["title"].is_string());
    assert!(r.header("link").contains("cursor="));
}

#[tokio::test]
async fn listing_filters_and_pages() {
    let h = H::with(|c| c.page_size = Some(2));
    for n in ["a1", "a2", "a3"] {
        h.create(&format!("alice/{n}"), json!({})).await;
    }
    h.create("alice/hidden", json!({"private": true})).await;
    h.create("acme/o1", json!({})).await;
    let r = h.get("/api/models?author=alice", None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let link = r.header("link").to_string();
    let next = link[1..link.find('>').unwrap()]
        .strip_prefix(URL)
        .unwrap()
        .to_string();
    let r2 = h.get(&next, None).await.json();
    assert_eq!(r2.as_array().unwrap().len(), 1);
    assert_eq!(r2[0]["id"], "alice/a3");
    // Owner sees the private repo too.
    let ids: Vec<String> = {
        let mut ids = vec![];
        let mut url = "/api/models?author=alice".to_string();
        loop {
            let r = h.get(&url, Some(W)).await;
            ids.extend(
                r.json()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_str().unwrap().to_string()),
            );
            let l = r.header("link").to_string();
            if l.is_empty() {
                break;
            }
            url = l[1..l.find('>').unwrap()]
                .strip_prefix(URL)
                .unwrap()
                .to_string();
        }
        ids
    };
    assert_eq!(
        ids,
        vec!["alice/a1", "alice/a2", "alice/a3", "alice/hidden"]
    );
    let v = h.get("/api/models?search=o1&full=True", None).await.json();
    assert_eq!(v[0]["id"], "acme/o1");
    assert_eq!(v[0]["siblings"][0]["rfilename"], ".gitattributes");
    let v = h
        .get("/api/models?sort=id&direction=-1&limit=1", None)
        .await
        .json();
    assert_eq!(v[0]["id"], "alice/a3");
    assert_eq!(h.get("/api/datasets", None).await.json(), json!([]));
    // Filters match tags derived from the README card.
    h.commit_files(
        "alice/a2",
        "main",
        &[(
            "README.md",
            b"---\nlicense: mit\ntags:\n- vision\nlibrary_name: timm\n---\n# a2\n",
        )],
    )
    .await;
    let v = h
        .get("/api/models?filter=vision&filter=license:mit", None)
        .await
        .json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["id"], "alice/a2");
    assert_eq!(
        h.get("/api/models?filter=vision&filter=license:apache-2.0", None)
            .await
            .json(),
        json!([])
    );
    let info = h.get("/api/models/alice/a2", None).await.json();
    assert_eq!(info["cardData"]["license"], "mit");
    assert_eq!(info["library_name"], "timm");
}

#[tokio::test]
async fn pull_requests_and_discussions() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    let main_before = h.head_sha("alice/r", "main").await;
    let lines = vec![
        json!({"key": "header", "value": {"summary": "my pr", "description": "please"}}),
        json!({"key": "file", "value": {"path": "pr.txt", "content": b64(b"pr"), "encoding": "base64"}}),
    ];
    let r = h
        .commit_raw("alice/r", "main", W, &lines, "?create_pr=1")
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.json()["pullRequestUrl"],
        format!("{URL}/alice/r/discussions/1")
    );
    assert_eq!(h.head_sha("alice/r", "main").await, main_before);
    assert_eq!(
        &h.get("/alice/r/resolve/refs%2Fpr%2F1/pr.txt", None)
            .await
            .body[..],
        b"pr"
    );
    assert_eq!(
        &h.get("/alice/r/resolve/refs/pr/1/pr.txt", None).await.body[..],
        b"pr"
    );
    assert_eq!(
        h.get("/alice/r/resolve/main/pr.txt", None).await.code(),
        "EntryNotFound"
    );
    // Appending to the PR; history shows base + PR commits.
    let r = h
        .commit_raw(
            "alice/r",
            "refs%2Fpr%2F1",
            W,
            &[json!({"key": "header", "value": {"summary": "more"}})],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.get("/api/models/alice/r/commits/refs%2Fpr%2F1", None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let r = h
        .commit_raw("alice/r", "main", W, &lines, "?create_pr=1")
        .await;
    assert_eq!(
        r.json()["pullRequestUrl"],
        format!("{URL}/alice/r/discussions/2")
    );
    let refs = h
        .get("/api/models/alice/r/refs?include_prs=1", None)
        .await
        .json();
    assert_eq!(refs["pullRequests"].as_array().unwrap().len(), 2);
    let list = h
        .get("/api/models/alice/r/discussions?p=0", None)
        .await
        .json();
    assert_eq!(list["count"], 2);
    assert_eq!(list["discussions"][0]["num"], 2);
    assert_eq!(list["discussions"][0]["isPullRequest"], true);
    let d = h
        .get("/api/models/alice/r/discussions/1", None)
        .await
        .json();
    assert_eq!(d["title"], "my pr");
    assert!(
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "commit")
    );
    // PRs only start from branches.
    let r = h
        .commit_raw("alice/r", &main_before, W, &lines, "?create_pr=1")
        .await;
    assert_eq!(r.code(), "RevisionNotFound");
    // Merge into main.
    let r = h
        .post_json(
            "/api/models/alice/r/discussions/1/merge",
            Some(W),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        &h.get("/alice/r/resolve/main/pr.txt", None).await.body[..],
        b"pr"
    );
}

#[tokio::test]
async fn settings_gated_move_delete() {
    let h = H::new();
    h.create("alice/r", json!({})).await;
    h.commit_files("alice/r", "main", &[("a.txt", b"a")]).await;
    let r = h
        .req(
            "PUT",
            "/api/models/alice/r/settings",
            Some(W),
            &[],
            Body::from(r#"{"gated": "manual"}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.get("/api/models/alice/r", None).await.json()["gated"],
        "manual"
    );
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/main/a.txt",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "GatedRepo"));
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/main/a.txt",
            Some(BOB),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "GatedRepo"));
    assert_eq!(
        h.get("/api/models/alice/r/auth-check", Some(BOB))
            .await
            .code(),
        "GatedRepo"
    );
    assert_eq!(
        h.get("/alice/r/resolve/main/a.txt", Some(W)).await.status,
        200
    );
    // Granting access lets bob in.
    assert_eq!(
        h.post_json(
            "/api/models/alice/r/user-access-request/grant",
            Some(BOB),
            json!({"user": "bob"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        h.post_json(
            "/api/models/alice/r/user-access-request/grant",
            Some(W),
            json!({"user": "bob"})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        h.post_json(
            "/api/models/alice/r/user-access-request/grant",
            Some(W),
            json!({"user": "bob"})
        )
        .await
        .status,
        409
    );
    let acc = h
        .get("/api/models/alice/r/user-access-request/accepted", Some(W))
        .await
        .json();
    assert_eq!(acc[0]["user"]["user"], "bob");
    assert!(date_ok(acc[0]["timestamp"].as_str().unwrap()));
    assert_eq!(
        h.get("/alice/r/resolve/main/a.txt", Some(BOB)).await.status,
        200
    );
    let r = h
        .post_json(
            "/api/models/alice/r/user-access-request/handle",
            Some(W),
            json!({"user": "bob", "status": "rejected"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.get("/alice/r/resolve/main/a.txt", Some(BOB)).await.code(),
        "GatedRepo"
    );
    let r = h
        .req(
            "PUT",
            "/api/models/alice/r/settings",
            Some(BOB),
            &[],
            Body::from(r#"{"private": true}"#),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .req(
            "PUT",
            "/api/models/alice/r/settings",
            Some(W),
            &[],
            Body::from(r#"{"private": true, "gated": false}"#),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"private": true, "gated": false, "discussionsDisabled": false})
    );
    assert_eq!(
        h.get("/api/models/alice/r", Some(BOB)).await.code(),
        "RepoNotFound"
    );
    // Move into the org; old URLs redirect relatively.
    let r = h
        .post_json(
            "/api/repos/move",
            Some(W),
            json!({"fromRepo": "alice/r", "toRepo": "acme/r2", "type": "model"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/main/a.txt",
            Some(W),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), "/acme/r2/resolve/main/a.txt");
    assert_eq!(
        h.get("/acme/r2/resolve/main/a.txt", Some(W)).await.status,
        200
    );
    h.create("alice/other", json!({})).await;
    let r = h
        .post_json(
            "/api/repos/move",
            Some(W),
            json!({"fromRepo": "alice/other", "toRepo": "acme/r2", "type": "model"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    // Delete with a JSON body.
    let del = |org: &str| json!({"name": "r2", "organization": org}).to_string();
    assert_eq!(
        h.req(
            "DELETE",
            "/api/repos/delete",
            Some(BOB),
            &[],
            Body::from(del("acme"))
        )
        .await
        .status,
        404
    );
    assert_eq!(
        h.req(
            "DELETE",
            "/api/repos/delete",
            Some(W),
            &[],
            Body::from(del("acme"))
        )
        .await
        .status,
        200
    );
    let r = h
        .req(
            "DELETE",
            "/api/repos/delete",
            Some(W),
            &[],
            Body::from(del("acme")),
        )
        .await;
    assert_eq!(r.code(), "RepoNotFound");
}

#[tokio::test]
async fn restart_keeps_state_and_super_squash() {
    let mut h = H::new();
    h.create("alice/r", json!({})).await;
    let oid = h.upload_lfs("alice/r", b"lfs payload").await;
    let lines = vec![
        json!({"key": "header", "value": {"summary": "lfs"}}),
        json!({"key": "lfsFile", "value": {"path": "x.bin", "algo": "sha256", "oid": oid, "size": 11}}),
    ];
    assert_eq!(
        h.commit_raw("alice/r", "main", W, &lines, "").await.status,
        200
    );
    h.commit_files("alice/r", "main", &[("a.txt", b"a")]).await;
    let head = h.head_sha("alice/r", "main").await;
    h.restart();
    assert_eq!(h.head_sha("alice/r", "main").await, head);
    let r = h
        .req(
            "HEAD",
            "/alice/r/resolve/main/x.bin",
            None,
            &[],
            Body::empty(),
        )
        .await;
    let loc = r.header("location").strip_prefix(URL).unwrap().to_string();
    assert_eq!(&h.get(&loc, None).await.body[..], b"lfs payload");
    let r = h
        .post_json(
            "/api/models/alice/r/super-squash/main",
            Some(W),
            json!({"message": "squashed"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let commits = h.get("/api/models/alice/r/commits/main", None).await.json();
    assert_eq!(commits.as_array().unwrap().len(), 1);
    assert_eq!(commits[0]["title"], "squashed");
    assert_eq!(
        &h.get("/alice/r/resolve/main/a.txt", None).await.body[..],
        b"a"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_serialize() {
    let h = std::sync::Arc::new(H::new());
    h.create("alice/r", json!({})).await;
    let base = h.head_sha("alice/r", "main").await;
    // Without parentCommit: all apply, one at a time.
    let mut tasks = vec![];
    for i in 0..8 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("f{i}.txt");
            h.commit_files("alice/r", "main", &[(&name, format!("{i}").as_bytes())])
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let tree = h.get("/api/models/alice/r/tree/main", None).await.json();
    assert_eq!(tree.as_array().unwrap().len(), 9);
    assert_eq!(
        h.get("/api/models/alice/r/commits/main", None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        9
    );
    // With the same parentCommit: exactly one wins, the rest get 412.
    let head = h.head_sha("alice/r", "main").await;
    assert_ne!(head, base);
    let mut tasks = vec![];
    for i in 0..6 {
        let h = h.clone();
        let head = head.clone();
        tasks.push(tokio::spawn(async move {
            let lines = vec![
                json!({"key": "header", "value": {"summary": "race", "parentCommit": head}}),
                json!({"key": "file", "value": {"path": format!("race{i}"), "content": b64(b"r")}}),
            ];
            h.commit_raw("alice/r", "main", W, &lines, "")
                .await
                .status
                .as_u16()
        }));
    }
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 412, 412, 412, 412, 412]);
}

#[tokio::test]
async fn misc_endpoints() {
    let h = H::new();
    let r = h
        .post_json(
            "/api/validate-yaml",
            None,
            json!({"content": "---\nlicense: mit\n---\n# x", "repoType": "model"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["errors"], json!([]));
    let r = h
        .post_json(
            "/api/validate-yaml",
            None,
            json!({"content": "---\nnot yaml at all\n---\n", "repoType": "model"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["errors"].is_array());
    assert_eq!(
        h.req("HEAD", "/api/telemetry/x/y", None, &[], Body::empty())
            .await
            .status,
        200
    );
    assert_eq!(h.get("/nothing/here/at/all", None).await.status, 404);
    assert_eq!(
        h.get("/api/users/alice/overview", None).await.json()["user"],
        "alice"
    );
    assert_eq!(
        h.get("/api/organizations/acme/members", None).await.json()[0]["user"],
        "alice"
    );
}

#[tokio::test]
async fn duplicate_space_and_runtime() {
    let h = H::new();
    h.create("alice/src", json!({"type": "space", "sdk": "static"}))
        .await;
    let lines = [
        json!({"key": "header", "value": {"summary": "index"}}),
        json!({"key": "file", "value": {"path": "index.html", "content": b64(b"<html/>")}}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        h.req(
            "POST",
            "/api/spaces/alice/src/commit/main",
            Some(W),
            &[],
            Body::from(body)
        )
        .await
        .status,
        200
    );
    let r = h
        .post_json(
            "/api/spaces/alice/src/duplicate",
            Some(BOB),
            json!({"repository": "bob/copy", "private": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["url"], format!("{URL}/spaces/bob/copy"));
    let info = h.get("/api/spaces/bob/copy", Some(BOB)).await.json();
    assert_eq!(info["private"], true);
    assert_eq!(info["sdk"], "static");
    assert_eq!(
        h.get("/api/spaces/bob/copy", Some(W)).await.code(),
        "RepoNotFound"
    );
    assert_eq!(
        &h.get("/spaces/bob/copy/resolve/main/index.html", Some(BOB))
            .await
            .body[..],
        b"<html/>"
    );
    let r = h
        .post_json(
            "/api/spaces/alice/src/duplicate",
            Some(BOB),
            json!({"repository": "bob/copy"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["url"], format!("{URL}/spaces/bob/copy"));
    assert_eq!(
        h.post_json(
            "/api/spaces/alice/src/duplicate",
            Some(BOB),
            json!({"repository": "acme/x"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        h.get("/api/spaces/alice/src/runtime", None).await.json()["stage"],
        "RUNNING"
    );
}

#[tokio::test]
async fn likes_and_space_settings() {
    let h = H::new();
    h.create("alice/sp", json!({"type": "space", "sdk": "docker"}))
        .await;
    assert_eq!(
        h.req(
            "POST",
            "/api/spaces/alice/sp/like",
            None,
            &[],
            Body::empty()
        )
        .await
        .status,
        401
    );
    assert_eq!(
        h.req(
            "POST",
            "/api/spaces/alice/sp/like",
            Some(BOB),
            &[],
            Body::empty()
        )
        .await
        .status,
        200
    );
    assert_eq!(h.get("/api/spaces/alice/sp", None).await.json()["likes"], 1);
    assert_eq!(
        h.get("/api/spaces/alice/sp/likers", None).await.json()[0]["user"],
        "bob"
    );
    assert_eq!(
        h.get("/api/users/bob/likes", None).await.json()[0]["repo"],
        json!({"name": "alice/sp", "type": "space"})
    );
    assert_eq!(
        h.req(
            "DELETE",
            "/api/spaces/alice/sp/like",
            Some(BOB),
            &[],
            Body::empty()
        )
        .await
        .status,
        200
    );
    assert_eq!(h.get("/api/spaces/alice/sp", None).await.json()["likes"], 0);
    // Space settings need write access and are reflected in the runtime.
    assert_eq!(
        h.post_json(
            "/api/spaces/alice/sp/hardware",
            Some(BOB),
            json!({"flavor": "t4-small"})
        )
        .await
        .status,
        403
    );
    let r = h
        .post_json(
            "/api/spaces/alice/sp/hardware",
            Some(W),
            json!({"flavor": "t4-small", "sleepTimeSeconds": 600}),
        )
        .await;
    assert_eq!(r.json()["hardware"]["requested"], "t4-small");
    assert_eq!(r.json()["gcTimeout"], 600);
    assert_eq!(
        h.req(
            "POST",
            "/api/spaces/alice/sp/pause",
            Some(W),
            &[],
            Body::empty()
        )
        .await
        .json()["stage"],
        "PAUSED"
    );
    assert_eq!(
        h.get("/api/spaces/alice/sp/runtime", None).await.json()["stage"],
        "PAUSED"
    );
    let r = h
        .post_json(
            "/api/spaces/alice/sp/variables",
            Some(W),
            json!({"key": "A", "value": "1", "description": "d"}),
        )
        .await;
    assert_eq!(r.json()["A"]["value"], "1");
    assert!(date_ok(r.json()["A"]["updatedAt"].as_str().unwrap()));
    let del = h
        .req(
            "DELETE",
            "/api/spaces/alice/sp/variables",
            Some(W),
            &[],
            Body::from(r#"{"key": "A"}"#),
        )
        .await;
    assert_eq!(del.json(), json!({}));
    assert_eq!(
        h.post_json(
            "/api/spaces/alice/sp/secrets",
            Some(W),
            json!({"key": "S", "value": "v"})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        h.post_json(
            "/api/spaces/alice/sp/storage",
            Some(W),
            json!({"tier": "huge"})
        )
        .await
        .status,
        400
    );
    // Secrets are write-only: the value is never stored.
    let meta =
        std::fs::read_to_string(h._dir.path().join("repos/spaces/alice/sp.git/hub.json")).unwrap();
    assert!(meta.contains("\"S\"") && !meta.contains("\"v\""));
}

#[tokio::test]
async fn git_routes_respect_privacy_and_gating() {
    let h = H::new();
    h.create("alice/g", json!({})).await;
    h.create("alice/p", json!({"private": true})).await;
    let refs = "/alice/g.git/info/refs?service=git-upload-pack";
    let r = h.get(refs, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(String::from_utf8_lossy(&r.body).contains("refs/heads/main"));
    // Private: anonymous gets a Basic challenge (git then retries with credentials).
    let r = h
        .get("/alice/p/info/refs?service=git-upload-pack", None)
        .await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("Basic"));
    assert_eq!(
        h.get("/alice/p/info/refs?service=git-upload-pack", Some(BOB))
            .await
            .code(),
        "RepoNotFound"
    );
    assert_eq!(
        h.get("/alice/p/info/refs?service=git-upload-pack", Some(W))
            .await
            .status,
        200
    );
    // Gated: same challenge for anonymous, GatedRepo for others, fine for the owner.
    h.req(
        "PUT",
        "/api/models/alice/g/settings",
        Some(W),
        &[],
        Body::from(r#"{"gated": "auto"}"#),
    )
    .await;
    assert_eq!(h.get(refs, None).await.status, 401);
    assert_eq!(h.get(refs, Some(BOB)).await.code(), "GatedRepo");
    assert_eq!(h.get(refs, Some(W)).await.status, 200);
}

#[tokio::test]
async fn canonical_ids_do_not_shadow_namespaced_repos() {
    let h = H::new();
    crate::admin::create_canonical_repo(
        h._dir.path(),
        crate::repo::RepoType::Model,
        "gpt2",
        Some("acme"),
    )
    .await
    .unwrap();
    // A namespaced repository whose name is also an action word keeps its own routes.
    h.create("alice/tree", json!({})).await;
    let r = h.get("/api/models/gpt2", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], "gpt2");
    assert_eq!(r.json()["author"], "acme");
    assert_eq!(
        h.get("/api/models/alice/tree", None).await.json()["id"],
        "alice/tree"
    );
    assert_eq!(h.get("/api/models/gpt2/tree/main", None).await.status, 200);
    assert_eq!(
        h.get("/api/models/gpt2/revision/main", None).await.status,
        200
    );
    assert_eq!(
        h.get("/api/models/gpt2/commits/main", None).await.status,
        200
    );
    let r = h
        .req(
            "HEAD",
            "/gpt2/resolve/main/.gitattributes",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 200);
    // Missing canonical ids answer in Hub terms: 401 + RepoNotFound without a token.
    let r = h.get("/api/models/nope", None).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "RepoNotFound"));
    let r = h.get("/api/models/nope", Some(W)).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "RepoNotFound"));
    // ...also with a revision, a tree or a file after the missing id.
    for path in [
        "/api/models/nope/revision/main",
        "/api/models/nope/tree/main",
        "/nope/resolve/main/config.json",
    ] {
        let r = h.get(path, Some(W)).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (404, "RepoNotFound"),
            "{path}"
        );
        let r = h.get(path, None).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (401, "RepoNotFound"),
            "{path}"
        );
    }
    // Members of the owner may write; others may not.
    let r = h
        .post_json("/api/models/gpt2/branch/dev", Some(W), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .post_json("/api/models/gpt2/branch/dev2", Some(BOB), json!({}))
        .await;
    assert_eq!(r.status, 403);
    // The commit page exists for the head and is a 404 for an unknown id.
    let sha = h.get("/api/models/gpt2", None).await.json()["sha"]
        .as_str()
        .unwrap()
        .to_string();
    let r = h.get(&format!("/gpt2/commit/{}", &sha[..7]), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-repo-commit"), sha);
    let r = h
        .get(&format!("/gpt2/commit/{}", "f".repeat(40)), None)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "RevisionNotFound"));
}

#[tokio::test]
async fn validate_yaml_accepts_repocard_form_bodies() {
    let h = H::new();
    let form = |content: &str| {
        format!(
            "repoType=model&content={}",
            url::form_urlencoded::byte_serialize(content.as_bytes()).collect::<String>()
        )
    };
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "text/plain"),
    ];
    let r = h
        .req(
            "POST",
            "/api/validate-yaml",
            None,
            &headers,
            Body::from(form("---\nlicense: mit\n---\n# ok\n")),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .req(
            "POST",
            "/api/validate-yaml",
            None,
            &headers,
            Body::from(form("---\nmodel-index: 3\n---\n")),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "Invalid metadata in README.md.\n- \"model-index\" must be an array"
    );
}
