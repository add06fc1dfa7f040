//! Crash-consistency test: the real `hub-server` binary is killed with SIGKILL while API commits,
//! LFS uploads and git pushes are in flight, restarted on the same data directory, and checked:
//!
//! * `git fsck --strict` is clean on every repository and every ref points at a commit (or tag);
//! * no temp file sits among the loose objects, every LFS object is complete and hash-correct;
//! * every commit acknowledged before a kill is on `main` afterwards, with every file it added
//!   downloadable with the right content;
//! * the API's view (`sha` of repo info) matches the git refs on disk.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::StreamExt;
use sha2::Digest;

const TOKEN: &str = "hf_crash_alice_token";
/// Repos written by the API commit worker (the first also receives LFS files).
const API_REPOS: [&str; 2] = ["alice/c0", "alice/c1"];
/// Repo written only by `git push`.
const GIT_REPO: &str = "alice/g0";
/// Size of each LFS file uploaded while the server may be killed.
const LFS_SIZE: usize = 2 << 20;

/// A file some acknowledged commit added: its content, or for LFS files its sha256 and size.
#[derive(Debug, Clone)]
enum Expect {
    Bytes(Vec<u8>),
    Lfs { oid: String, size: u64 },
}

/// A commit the server acknowledged (HTTP 200 with `commitOid`, or a successful `git push`).
#[derive(Debug, Clone)]
struct Acked {
    repo: String,
    commit: String,
    files: Vec<(String, Expect)>,
}

type Ledger = Arc<Mutex<Vec<Acked>>>;

struct Server {
    child: tokio::process::Child,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn spawn_server(data: &Path, log: &Path) -> Server {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hub-server"))
        .args([
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            &addr,
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://{addr}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(resp) = http
            .get(format!("{url}/api/whoami-v2"))
            .bearer_auth(TOKEN)
            .send()
            .await
            && resp.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not come up on {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server { child, url }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

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

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn create_repo(url: &str, id: &str) {
    let (ns, name) = id.split_once('/').unwrap();
    let resp = http()
        .post(format!("{url}/api/repos/create"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": name, "organization": ns, "type": "model"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "create {id}: {}", resp.status());
}

/// Posts an NDJSON commit; `Ok(Some(oid))` when acknowledged, `Ok(None)` on an HTTP error status,
/// `Err` when the connection failed (server gone).
async fn commit(
    http: &reqwest::Client,
    url: &str,
    id: &str,
    lines: &[serde_json::Value],
) -> Result<Option<String>, reqwest::Error> {
    let mut body =
        serde_json::json!({"key": "header", "value": {"summary": "crash test", "description": ""}})
            .to_string();
    for line in lines {
        body.push('\n');
        body.push_str(&line.to_string());
    }
    body.push('\n');
    let resp = http
        .post(format!("{url}/api/models/{id}/commit/main"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    if !resp.status().is_success() {
        let _ = resp.bytes().await;
        return Ok(None);
    }
    let v: serde_json::Value = resp.json().await?;
    Ok(v["commitOid"].as_str().map(str::to_owned))
}

/// API commits of three small files each, in a loop, until stopped or the server is gone.
async fn api_worker(
    url: String,
    repo: &'static str,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Ledger,
) {
    let http = http();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let files: Vec<(String, Vec<u8>)> = (0..3)
            .map(|k| {
                let path = format!("r{round}/c{i}/f{k}.txt");
                (
                    path.clone(),
                    format!("{repo} {path}\n")
                        .repeat(1 + (i * 7 + k) % 60)
                        .into_bytes(),
                )
            })
            .collect();
        let lines: Vec<serde_json::Value> = files
            .iter()
            .map(|(path, content)| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(content);
                serde_json::json!({"key": "file", "value": {"content": b64, "path": path, "encoding": "base64"}})
            })
            .collect();
        match commit(&http, &url, repo, &lines).await {
            Ok(Some(oid)) => ledger.lock().unwrap().push(Acked {
                repo: repo.to_owned(),
                commit: oid,
                files: files
                    .into_iter()
                    .map(|(p, c)| (p, Expect::Bytes(c)))
                    .collect(),
            }),
            // A transient refusal (e.g. a ref lock left by the previous crash): retry.
            Ok(None) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(_) => return,
        }
        i += 1;
    }
}

/// LFS uploads (batch + slowly streamed PUT + verify) followed by an `lfsFile` commit.
async fn lfs_worker(
    url: String,
    repo: &'static str,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Ledger,
) {
    let http = http();
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let content = noise(LFS_SIZE, (round as u64) << 32 | i);
        let oid = sha256_hex(&content);
        let size = content.len() as u64;
        let path = format!("lfs/r{round}-{i}.bin");
        i += 1;
        let Ok(resp) = http
            .post(format!("{url}/{repo}.git/info/lfs/objects/batch"))
            .bearer_auth(TOKEN)
            .header("accept", "application/vnd.git-lfs+json")
            .header("content-type", "application/vnd.git-lfs+json")
            .json(&serde_json::json!({"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
                "objects": [{"oid": oid, "size": size}]}))
            .send()
            .await
        else {
            return;
        };
        let Ok(batch) = resp.json::<serde_json::Value>().await else {
            return;
        };
        let obj = &batch["objects"][0];
        if let Some(actions) = obj.get("actions") {
            assert!(
                actions["upload"]["header"].get("chunk_size").is_none(),
                "2 MiB must be a basic upload"
            );
            // Stream the body in 64 KiB pieces with pauses, so that a kill lands mid-upload.
            let chunks: Vec<bytes::Bytes> = content
                .chunks(64 * 1024)
                .map(bytes::Bytes::copy_from_slice)
                .collect();
            let stream = futures::stream::iter(chunks).then(|c| async move {
                tokio::time::sleep(Duration::from_millis(4)).await;
                Ok::<_, std::io::Error>(c)
            });
            let put = http
                .put(actions["upload"]["href"].as_str().unwrap())
                .header("content-length", size)
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await;
            match put {
                Ok(r) if r.status().is_success() => {}
                Ok(_) => continue,
                Err(_) => return,
            }
            if let Some(verify) = actions.get("verify") {
                match http
                    .post(verify["href"].as_str().unwrap())
                    .bearer_auth(TOKEN)
                    .json(&serde_json::json!({"oid": oid, "size": size}))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {}
                    Ok(_) => continue,
                    Err(_) => return,
                }
            }
        }
        let line = serde_json::json!({"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid, "size": size}});
        match commit(&http, &url, repo, &[line]).await {
            Ok(Some(commit)) => ledger.lock().unwrap().push(Acked {
                repo: repo.to_owned(),
                commit,
                files: vec![(path, Expect::Lfs { oid, size })],
            }),
            Ok(None) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(_) => return,
        }
    }
}

async fn git(home: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap()
}

async fn git_ok(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = git(home, dir, args).await;
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Commits and pushes with the real git client in a loop.
async fn git_worker(
    url: String,
    work: PathBuf,
    home: PathBuf,
    round: usize,
    stop: Arc<AtomicBool>,
    ledger: Ledger,
) {
    let remote = url.replacen("http://", &format!("http://alice:{TOKEN}@"), 1) + "/" + GIT_REPO;
    git_ok(&home, &work, &["remote", "set-url", "origin", &remote]).await;
    // Start from the server's state (a push cut by the previous kill may or may not have landed).
    if !git(&home, &work, &["fetch", "-q", "origin"])
        .await
        .status
        .success()
    {
        return;
    }
    git_ok(&home, &work, &["reset", "-q", "--hard", "origin/main"]).await;
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let files: Vec<(String, Vec<u8>)> = (0..2)
            .map(|k| {
                let path = format!("g{round}/p{i}/f{k}.txt");
                (
                    path.clone(),
                    format!("pushed {path}\n")
                        .repeat(1 + (i + k) % 40)
                        .into_bytes(),
                )
            })
            .collect();
        for (path, content) in &files {
            let p = work.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        git_ok(&home, &work, &["add", "-A"]).await;
        git_ok(
            &home,
            &work,
            &["commit", "-q", "-m", &format!("push {round}/{i}")],
        )
        .await;
        let commit = git_ok(&home, &work, &["rev-parse", "HEAD"])
            .await
            .trim()
            .to_owned();
        if !git(&home, &work, &["push", "-q", "origin", "HEAD:main"])
            .await
            .status
            .success()
        {
            return;
        }
        ledger.lock().unwrap().push(Acked {
            repo: GIT_REPO.to_owned(),
            commit,
            files: files
                .into_iter()
                .map(|(p, c)| (p, Expect::Bytes(c)))
                .collect(),
        });
        i += 1;
    }
}

/// Checks everything the test promises about the data directory and the restarted server: all
/// acknowledged commits must be on `main`; the files of `ledger[downloads..]` are downloaded and
/// compared (earlier ones were downloaded by earlier checks, and paths are never rewritten).
/// Returns every problem found (empty = consistent).
async fn check(
    data: &Path,
    url: &str,
    home: &Path,
    ledger: &[Acked],
    downloads: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    let http = http();
    let repos: Vec<&str> = API_REPOS.iter().copied().chain([GIT_REPO]).collect();
    for id in &repos {
        let dir = data.join("repos/models").join(format!("{id}.git"));
        let fsck = git(
            home,
            &dir,
            &["fsck", "--strict", "--no-dangling", "--no-progress"],
        )
        .await;
        // fsck reports some damage (e.g. stray files among loose objects) only as warnings.
        if !fsck.status.success() || !fsck.stderr.is_empty() {
            problems.push(format!(
                "fsck {id}: {}{}",
                String::from_utf8_lossy(&fsck.stdout),
                String::from_utf8_lossy(&fsck.stderr)
            ));
        }
        let refs = git_ok(
            home,
            &dir,
            &["for-each-ref", "--format=%(objecttype) %(refname)"],
        )
        .await;
        for line in refs.lines() {
            let (ty, name) = line.split_once(' ').unwrap();
            if !(ty == "commit" || (ty == "tag" && name.starts_with("refs/tags/"))) {
                problems.push(format!("{id}: ref {name} points at a {ty}"));
            }
        }
        // Loose objects: only complete, content-addressed files.
        for entry in std::fs::read_dir(dir.join("objects")).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                for obj in std::fs::read_dir(entry.path()).unwrap().flatten() {
                    let file = obj.file_name().to_string_lossy().into_owned();
                    if !(file.len() == 38 && file.bytes().all(|b| b.is_ascii_hexdigit())) {
                        problems.push(format!("{id}: stray file objects/{name}/{file}"));
                    }
                }
            }
        }
        let head = git_ok(home, &dir, &["rev-parse", "main"])
            .await
            .trim()
            .to_owned();
        let info: serde_json::Value = http
            .get(format!("{url}/api/models/{id}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if info["sha"] != head.as_str() {
            problems.push(format!(
                "{id}: API sha {} but refs/heads/main is {head}",
                info["sha"]
            ));
        }
        // One rev-list per repo instead of one merge-base per acknowledged commit.
        let history = git_ok(home, &dir, &["rev-list", "main"]).await;
        let history: std::collections::HashSet<&str> = history.lines().collect();
        for acked in ledger.iter().filter(|a| a.repo == *id) {
            if !history.contains(acked.commit.as_str()) {
                problems.push(format!("{id}: acknowledged commit {} lost", acked.commit));
            }
        }
    }
    // LFS store: every object is complete and hash-correct.
    let mut stack = vec![data.join("lfs")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let name = entry.file_name().to_string_lossy().into_owned();
                let content = std::fs::read(entry.path()).unwrap();
                if sha256_hex(&content) != name {
                    problems.push(format!("LFS object {} is torn", entry.path().display()));
                }
            }
        }
    }
    // Acknowledged files, through the API (a few downloads at a time).
    let jobs = ledger[downloads..].iter().flat_map(|acked| {
        acked
            .files
            .iter()
            .map(move |(path, expect)| (&acked.repo, path, expect))
    });
    let results: Vec<Option<String>> = futures::stream::iter(jobs)
        .map(|(repo, path, expect)| {
            let http = http.clone();
            async move {
                let resp = http
                    .get(format!("{url}/{repo}/resolve/main/{path}"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .unwrap();
                if !resp.status().is_success() {
                    return Some(format!("{repo} {path}: {}", resp.status()));
                }
                let body = resp.bytes().await.unwrap();
                let ok = match expect {
                    Expect::Bytes(content) => body[..] == content[..],
                    Expect::Lfs { oid, size } => {
                        body.len() as u64 == *size && &sha256_hex(&body) == oid
                    }
                };
                (!ok).then(|| format!("{repo} {path}: wrong content"))
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    problems.extend(results.into_iter().flatten());
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_varied_moments_keeps_data_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let log = tmp.path().join("server.log");
    std::fs::create_dir_all(&home).unwrap();
    hub_server::admin::add_user(&data, "alice", TOKEN, false, None, None).unwrap();

    let server = spawn_server(&data, &log).await;
    for id in API_REPOS.iter().chain([&GIT_REPO]) {
        create_repo(&server.url, id).await;
    }
    let work = tmp.path().join("work");
    let remote = format!("{}/{GIT_REPO}", server.url);
    git_ok(
        &home,
        tmp.path(),
        &["clone", "-q", &remote, work.to_str().unwrap()],
    )
    .await;
    let mut server = Some(server);

    let ledger: Ledger = Arc::new(Mutex::new(Vec::new()));
    let mut problems = Vec::new();
    let delays_ms = [120u64, 250, 400, 550, 700, 900, 1100, 1400, 1700, 2100];
    for (round, delay) in delays_ms.iter().enumerate() {
        let srv = match server.take() {
            Some(s) => s,
            None => spawn_server(&data, &log).await,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let before = ledger.lock().unwrap().len();
        let mut tasks = Vec::new();
        for repo in API_REPOS {
            tasks.push(tokio::spawn(api_worker(
                srv.url.clone(),
                repo,
                round,
                stop.clone(),
                ledger.clone(),
            )));
        }
        tasks.push(tokio::spawn(lfs_worker(
            srv.url.clone(),
            API_REPOS[0],
            round,
            stop.clone(),
            ledger.clone(),
        )));
        tasks.push(tokio::spawn(git_worker(
            srv.url.clone(),
            work.clone(),
            home.clone(),
            round,
            stop.clone(),
            ledger.clone(),
        )));
        tokio::time::sleep(Duration::from_millis(*delay)).await;
        let mut child = srv.child;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.unwrap();
        }
        let acked = ledger.lock().unwrap().clone();
        println!(
            "round {round}: killed after {delay} ms, {} commits acknowledged",
            acked.len() - before
        );

        let restarted = spawn_server(&data, &log).await;
        let started = Instant::now();
        // The last round downloads every acknowledged file again.
        let from = if round + 1 == delays_ms.len() {
            0
        } else {
            before
        };
        for problem in check(&data, &restarted.url, &home, &acked, from).await {
            println!("round {round}: {problem}");
            problems.push(format!("round {round}: {problem}"));
        }
        println!("round {round}: checked in {:?}", started.elapsed());
        server = Some(restarted);
    }
    assert!(
        problems.is_empty(),
        "inconsistent after kill -9:\n{}",
        problems.join("\n")
    );
    let total = ledger.lock().unwrap().len();
    assert!(
        total >= 20,
        "the workload hardly ran: {total} acknowledged commits"
    );
    let lfs = ledger
        .lock()
        .unwrap()
        .iter()
        .filter(|a| matches!(a.files[0].1, Expect::Lfs { .. }))
        .count();
    let pushes = ledger
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.repo == GIT_REPO)
        .count();
    println!("total acknowledged: {total} commits ({lfs} LFS, {pushes} git pushes)");
    assert!(
        lfs > 0 && pushes > 0,
        "every kind of write must have been acknowledged at least once"
    );
}
