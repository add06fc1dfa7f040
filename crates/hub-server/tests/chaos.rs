//! Fault-injection tests: a hub-server with `chaos` configured, driven by a plain reqwest client.
//!
//! * each fault kind is observable on the wire (5xx, 429 + `Retry-After`, truncated bodies,
//!   throttled bodies);
//! * injected errors and rate limits have no effect on server state;
//! * after many commits and LFS uploads under chaos, a chaos-free server on the same data
//!   directory finds a consistent repository containing every acknowledged change.
//!
//! Also holds the `bench_serve_1gib` benchmark (ignored by default):
//! `cargo test -p hub-server --release --test chaos -- --ignored --nocapture bench_serve_1gib`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use hub_server::{RunningServer, ServerConfig};
use sha2::Digest;

const TOKEN: &str = "hf_alice_chaos_token";

async fn start(data: &Path, chaos: Option<&str>) -> RunningServer {
    let mut config = ServerConfig::new(data);
    config.chaos = chaos.map(str::to_owned);
    hub_server::start(config).await.unwrap()
}

fn new_data_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    hub_server::admin::add_user(&data, "alice", TOKEN, false, None, None).unwrap();
    (tmp, data)
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

/// Pseudo-random, incompressible bytes (xorshift), deterministic per seed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// How one request ended, as far as the client can tell.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// 2xx with a complete body.
    Ok(serde_json::Value),
    /// An injected (or real) 5xx / 429: the request had no effect.
    Refused(u16),
    /// The response was cut: the request may or may not have taken effect.
    Unknown,
    /// Any other status (a 4xx from the server itself).
    Failed(u16),
}

/// Small Hub client used by the tests: create repo, NDJSON commit, LFS batch + upload.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(server: &RunningServer) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: server.url().to_owned(),
        }
    }

    async fn finish(resp: Result<reqwest::Response, reqwest::Error>) -> Outcome {
        let Ok(resp) = resp else {
            return Outcome::Unknown;
        };
        let status = resp.status();
        let body = resp.bytes().await;
        if status.is_server_error() || status.as_u16() == 429 {
            return Outcome::Refused(status.as_u16());
        }
        match body {
            Ok(_) if !status.is_success() => Outcome::Failed(status.as_u16()),
            Ok(bytes) => {
                Outcome::Ok(serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
            }
            Err(_) => Outcome::Unknown,
        }
    }

    async fn create_repo(&self, id: &str) -> Outcome {
        let (ns, name) = id.split_once('/').unwrap();
        let resp = self
            .http
            .post(format!("{}/api/repos/create", self.url))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"name": name, "organization": ns, "type": "model"}))
            .send()
            .await;
        Self::finish(resp).await
    }

    async fn commit(&self, id: &str, lines: Vec<serde_json::Value>) -> Outcome {
        let mut body = serde_json::json!({"key": "header", "value": {"summary": "chaos commit", "description": ""}})
            .to_string();
        body.push('\n');
        for line in lines {
            body.push_str(&line.to_string());
            body.push('\n');
        }
        let resp = self
            .http
            .post(format!("{}/api/models/{id}/commit/main", self.url))
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await;
        Self::finish(resp).await
    }

    async fn commit_file(&self, id: &str, path: &str, content: &[u8]) -> Outcome {
        let b64 = base64::engine::general_purpose::STANDARD.encode(content);
        self.commit(
            id,
            vec![serde_json::json!({"key": "file", "value": {"content": b64, "path": path, "encoding": "base64"}})],
        )
        .await
    }

    async fn commit_lfs(&self, id: &str, path: &str, oid: &str, size: u64) -> Outcome {
        self.commit(
            id,
            vec![serde_json::json!({"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid, "size": size}})],
        )
        .await
    }

    /// Uploads an LFS object (basic or multipart, as the server asks). Any fault fails the call;
    /// callers retry (every step is idempotent).
    async fn lfs_upload(
        &self,
        id: &str,
        oid: &str,
        size: u64,
        part: impl Fn(u64, u64) -> Vec<u8>,
    ) -> Result<(), String> {
        let resp = self
            .http
            .post(format!("{}/{id}.git/info/lfs/objects/batch", self.url))
            .bearer_auth(TOKEN)
            .header("accept", "application/vnd.git-lfs+json")
            .header("content-type", "application/vnd.git-lfs+json")
            .json(&serde_json::json!({
                "operation": "upload", "transfers": ["basic", "multipart"], "hash_algo": "sha256",
                "objects": [{"oid": oid, "size": size}], "ref": {"name": "main"}
            }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("batch: {}", resp.status()));
        }
        let batch: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        let obj = &batch["objects"][0];
        assert!(obj.get("error").is_none(), "batch error: {obj}");
        let Some(actions) = obj.get("actions") else {
            return Ok(());
        };
        let upload = &actions["upload"];
        let href = upload["href"].as_str().unwrap();
        let header = &upload["header"];
        if let Some(chunk) = header.get("chunk_size") {
            let chunk = chunk
                .as_u64()
                .or_else(|| chunk.as_str().and_then(|s| s.parse().ok()))
                .unwrap();
            let parts = size.div_ceil(chunk);
            let mut etags = Vec::new();
            for n in 1..=parts {
                let part_url = header[n.to_string()].as_str().unwrap();
                let start = (n - 1) * chunk;
                let body = part(start, (start + chunk).min(size));
                let resp = self
                    .http
                    .put(part_url)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !resp.status().is_success() {
                    return Err(format!("part {n}: {}", resp.status()));
                }
                let etag = resp
                    .headers()
                    .get("etag")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                resp.bytes().await.map_err(|e| e.to_string())?;
                etags.push(serde_json::json!({"partNumber": n, "etag": etag}));
            }
            let resp = self
                .http
                .post(href)
                .header("accept", "application/vnd.git-lfs+json")
                .header("content-type", "application/vnd.git-lfs+json")
                .json(&serde_json::json!({"oid": oid, "parts": etags}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!("complete: {}", resp.status()));
            }
            resp.bytes().await.map_err(|e| e.to_string())?;
        } else {
            let resp = self
                .http
                .put(href)
                .body(part(0, size))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!("put: {}", resp.status()));
            }
            resp.bytes().await.map_err(|e| e.to_string())?;
        }
        if let Some(verify) = actions.get("verify") {
            let resp = self
                .http
                .post(verify["href"].as_str().unwrap())
                .bearer_auth(TOKEN)
                .json(&serde_json::json!({"oid": oid, "size": size}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!("verify: {}", resp.status()));
            }
            resp.bytes().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn resolve(&self, id: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/{id}/resolve/main/{path}", self.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }
}

/// Creates `alice/{name}` on a chaos-free server and commits `files` in one commit.
async fn seed_repo(data: &Path, name: &str, files: &[(&str, &[u8])]) {
    let server = start(data, None).await;
    let client = Client::new(&server);
    let id = format!("alice/{name}");
    assert!(matches!(client.create_repo(&id).await, Outcome::Ok(_)));
    for (path, content) in files {
        assert!(matches!(
            client.commit_file(&id, path, content).await,
            Outcome::Ok(_)
        ));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_errors_and_rate_limits_have_no_effect() {
    let (_tmp, data) = new_data_dir();
    let server = start(&data, Some("error=0.3,ratelimit=0.2,seed=11")).await;
    let client = Client::new(&server);
    let mut created = Vec::new();
    let mut seen = BTreeMap::<u16, usize>::new();
    for i in 0..60 {
        let id = format!("alice/r{i}");
        // Inspect the raw response for the 429 header.
        let resp = client
            .http
            .post(format!("{}/api/repos/create", client.url))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"name": format!("r{i}"), "organization": "alice", "type": "model"}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        *seen.entry(status).or_default() += 1;
        if status == 429 {
            assert_eq!(resp.headers()["retry-after"], "1");
        }
        if status == 200 {
            created.push(id);
        } else {
            assert!(
                [429, 500, 502, 503].contains(&status),
                "unexpected status {status}"
            );
        }
    }
    println!("statuses: {seen:?}");
    for code in [200, 429, 500, 502, 503] {
        assert!(
            seen.contains_key(&code),
            "status {code} never seen: {seen:?}"
        );
    }
    server.shutdown().await;

    // Without chaos: exactly the acknowledged repos exist.
    let server = start(&data, None).await;
    let client = Client::new(&server);
    for i in 0..60 {
        let id = format!("alice/r{i}");
        let status = client
            .http
            .get(format!("{}/api/models/{id}", client.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.is_success(), created.contains(&id), "{id}: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_bodies_are_truncated() {
    let (_tmp, data) = new_data_dir();
    let content = noise(1 << 20, 1);
    seed_repo(&data, "drop", &[("big.txt", &content)]).await;
    let server = start(&data, Some("drop=1,seed=3")).await;
    let client = Client::new(&server);
    let mut lengths = Vec::new();
    for _ in 0..8 {
        let mut resp = client.resolve("alice/drop", "big.txt").await;
        assert_eq!(resp.status(), 200, "headers are sent normally");
        assert_eq!(
            resp.content_length(),
            Some(content.len() as u64),
            "full length is announced"
        );
        let mut got = Vec::new();
        let err = loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => got.extend_from_slice(&chunk),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        assert!(err.is_some(), "the body must fail, got {} bytes", got.len());
        assert!(got.len() < content.len());
        assert_eq!(
            got[..],
            content[..got.len()],
            "what arrives is a true prefix"
        );
        lengths.push(got.len());
    }
    println!("truncated at {lengths:?}");
    lengths.dedup();
    assert!(lengths.len() > 1, "cut points vary");
    // HEAD has no body to cut.
    let head = client
        .http
        .head(format!("{}/alice/drop/resolve/main/big.txt", client.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(head.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_bodies_are_paced() {
    const BPS: f64 = 256.0 * 1024.0;
    let (_tmp, data) = new_data_dir();
    let content = noise(512 * 1024, 2);
    seed_repo(&data, "slow", &[("slow.txt", &content)]).await;
    let server = start(&data, Some("throttle=262144")).await;
    let client = Client::new(&server);
    let started = Instant::now();
    let mut resp = client.resolve("alice/slow", "slow.txt").await;
    assert_eq!(resp.status(), 200);
    let mut got = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        got.extend_from_slice(&chunk);
        // The server starts pacing after the request was sent, so whatever arrived by now can be
        // at most one tenth-of-a-second chunk ahead of the rate. (A slow machine only lowers it.)
        let allowed = BPS * started.elapsed().as_secs_f64() + BPS / 10.0 + 1.0;
        assert!(
            (got.len() as f64) <= allowed,
            "{} bytes after {:?}",
            got.len(),
            started.elapsed()
        );
    }
    assert_eq!(got, content, "throttling must not alter the content");
    let elapsed = started.elapsed();
    println!("512 KiB at 256 KiB/s took {elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(1800),
        "too fast: {elapsed:?}"
    );
}

/// Many commits and LFS uploads through a chaotic server, then a consistency check without chaos.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaotic_commits_never_corrupt_state() {
    let (_tmp, data) = new_data_dir();
    let server = start(&data, Some("drop=0.2,error=0.15,ratelimit=0.1,seed=21")).await;
    let client = Client::new(&server);
    let id = "alice/chaotic";
    loop {
        match client.create_repo(id).await {
            // 409: an earlier attempt whose answer was cut did create it.
            Outcome::Ok(_) | Outcome::Failed(409) => break,
            Outcome::Refused(_) | Outcome::Unknown => continue,
            Outcome::Failed(code) => panic!("create: {code}"),
        }
    }
    // path -> (content, acknowledged?)
    let mut attempted: BTreeMap<String, (Vec<u8>, bool)> = BTreeMap::new();
    let mut stats = BTreeMap::<String, usize>::new();
    for i in 0..40u64 {
        let path = format!("files/f{i}.txt");
        let content = format!("file {i}\n")
            .repeat(1 + i as usize * 50)
            .into_bytes();
        let acked = loop {
            match client.commit_file(id, &path, &content).await {
                Outcome::Ok(v) => {
                    assert!(v["commitOid"].is_string());
                    *stats.entry("ok".into()).or_default() += 1;
                    break true;
                }
                Outcome::Refused(code) => *stats.entry(format!("refused {code}")).or_default() += 1,
                Outcome::Unknown => {
                    *stats.entry("unknown".into()).or_default() += 1;
                    break false;
                }
                Outcome::Failed(code) => panic!("commit {path}: {code}"),
            }
        };
        attempted.insert(path, (content, acked));
    }
    for i in 0..6u64 {
        let path = format!("weights/w{i}.bin");
        let content = noise(300_000 + i as usize * 1000, 100 + i);
        let oid = sha256_hex(&content);
        let size = content.len() as u64;
        let mut tries = 0;
        while let Err(e) = client
            .lfs_upload(id, &oid, size, |a, b| {
                content[a as usize..b as usize].to_vec()
            })
            .await
        {
            tries += 1;
            assert!(tries < 100, "LFS upload never got through: {e}");
        }
        let acked = loop {
            match client.commit_lfs(id, &path, &oid, size).await {
                Outcome::Ok(_) => break true,
                Outcome::Refused(_) => {}
                Outcome::Unknown => break false,
                Outcome::Failed(code) => panic!("commit {path}: {code}"),
            }
        };
        attempted.insert(path, (content, acked));
    }
    println!("commit outcomes under chaos: {stats:?}");
    assert!(
        stats.contains_key("unknown") && stats.keys().any(|k| k.starts_with("refused")),
        "{stats:?}"
    );
    server.shutdown().await;

    // Chaos off: check the repository.
    let server = start(&data, None).await;
    let client = Client::new(&server);
    let repo_dir = data.join("repos/models/alice/chaotic.git");
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--strict", "--no-dangling"])
        .current_dir(&repo_dir)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "fsck: {}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    let mut present = 0;
    for (path, (content, acked)) in &attempted {
        let resp = client.resolve(id, path).await;
        if resp.status().is_success() {
            present += 1;
            let body = resp.bytes().await.unwrap();
            assert!(body[..] == content[..], "{path}: wrong content");
        } else {
            assert_eq!(resp.status(), 404, "{path}");
            assert!(!acked, "{path} was acknowledged but is missing");
        }
    }
    // Every commit added exactly one new file on top of the initial commit: no duplicate, no
    // partial commit.
    let count = std::process::Command::new("git")
        .args(["rev-list", "--count", "main"])
        .current_dir(&repo_dir)
        .output()
        .unwrap();
    let count: usize = String::from_utf8(count.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(count, 1 + present, "commits vs files present");
    check_lfs_store(&data);
}

/// Every object in the LFS store is complete: its name is the sha256 of its content.
fn check_lfs_store(data: &Path) {
    let root = data.join("lfs/objects");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                let name = entry.file_name().to_string_lossy().into_owned();
                let content = std::fs::read(&path).unwrap();
                assert_eq!(
                    sha256_hex(&content),
                    name,
                    "LFS object {} is not hash-correct",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test]
async fn invalid_chaos_spec_is_rejected() {
    let (_tmp, data) = new_data_dir();
    let mut config = ServerConfig::new(&data);
    config.chaos = Some("drop=7".into());
    let err = hub_server::start(config).await.unwrap_err();
    assert!(err.to_string().contains("drop"), "{err}");
}

/// Serves a 1 GiB LFS file over loopback and prints the throughput. Run with
/// `cargo test -p hub-server --release --test chaos -- --ignored --nocapture bench_serve_1gib`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly in release mode"]
async fn bench_serve_1gib() {
    const SIZE: u64 = 1 << 30;
    const BLOCK: usize = 1 << 20;
    let (_tmp, data) = new_data_dir();
    let server = start(&data, None).await;
    let client = Client::new(&server);
    let id = "alice/bench";
    assert!(matches!(client.create_repo(id).await, Outcome::Ok(_)));
    // 1 GiB = the same random MiB repeated (no compression anywhere on this path).
    let block = noise(BLOCK, 99);
    let mut hasher = sha2::Sha256::new();
    for _ in 0..SIZE / BLOCK as u64 {
        hasher.update(&block);
    }
    let oid = hex::encode(hasher.finalize());
    let part = |start: u64, end: u64| -> Vec<u8> {
        let mut out = Vec::with_capacity((end - start) as usize);
        let mut pos = start;
        while pos < end {
            let off = (pos % BLOCK as u64) as usize;
            let n = ((end - pos) as usize).min(BLOCK - off);
            out.extend_from_slice(&block[off..off + n]);
            pos += n as u64;
        }
        out
    };
    let t = Instant::now();
    client.lfs_upload(id, &oid, SIZE, part).await.unwrap();
    let upload = t.elapsed();
    assert!(matches!(
        client.commit_lfs(id, "big.bin", &oid, SIZE).await,
        Outcome::Ok(_)
    ));
    println!(
        "upload 1 GiB: {:.0} MB/s ({upload:?})",
        SIZE as f64 / 1e6 / upload.as_secs_f64()
    );
    for round in 1..=3 {
        let t = Instant::now();
        let mut resp = client.resolve(id, "big.bin").await;
        assert!(resp.status().is_success());
        let mut n = 0u64;
        let mut first_block_ok = true;
        while let Some(chunk) = resp.chunk().await.unwrap() {
            if n < BLOCK as u64 {
                let off = n as usize;
                let m = chunk.len().min(BLOCK - off);
                first_block_ok &= chunk[..m] == block[off..off + m];
            }
            n += chunk.len() as u64;
        }
        let elapsed = t.elapsed();
        assert_eq!(n, SIZE);
        assert!(first_block_ok);
        println!(
            "bench_serve_1gib round {round}: {:.0} MB/s ({elapsed:?})",
            SIZE as f64 / 1e6 / elapsed.as_secs_f64()
        );
    }
}

/// The `--chaos` flag of the real binary: a valid spec injects faults, an invalid one is refused
/// with a message naming the problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_chaos_flag() {
    let (_tmp, data) = new_data_dir();
    let bin = env!("CARGO_BIN_EXE_hub-server");
    let bad = tokio::process::Command::new(bin)
        .args([
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--chaos", "error=1.5"])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("error=") && stderr.contains("probability"),
        "{stderr}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(bin)
        .args(["serve", "--data-dir", data.to_str().unwrap()])
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--chaos",
            "ratelimit=1,seed=4",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let resp = loop {
        if let Ok(resp) = http
            .get(format!("http://127.0.0.1:{port}/api/whoami-v2"))
            .send()
            .await
        {
            break resp;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
