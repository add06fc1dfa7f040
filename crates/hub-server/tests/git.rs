//! End-to-end git smart-HTTP tests with the real `git` (and `git lfs` when installed) against an
//! in-process hub-server.
//!
//! Covered: clone / commit / push through HTTP, the pushed commit visible through the API and
//! `resolve`, API commits visible to `git pull`, read-only tokens refused, private repos hidden from
//! other users and anonymous clients, the `datasets/` prefix, and LFS files pushed with `git lfs`
//! (through the server's LFS batch API) served with the right content.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use hub_server::{RunningServer, ServerConfig};

const ALICE_WRITE: &str = "hf_alice_write_token";
const ALICE_READ: &str = "hf_alice_read_token";
const BOB_WRITE: &str = "hf_bob_write_token";

struct Env {
    tmp: tempfile::TempDir,
    server: RunningServer,
    http: reqwest::Client,
}

impl Env {
    async fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        hub_server::admin::add_user(&data, "alice", ALICE_WRITE, false, None, None).unwrap();
        hub_server::admin::add_user(&data, "alice", ALICE_READ, true, None, None).unwrap();
        hub_server::admin::add_user(&data, "bob", BOB_WRITE, false, None, None).unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        let server = hub_server::start(ServerConfig::new(&data)).await.unwrap();
        Env {
            tmp,
            server,
            http: reqwest::Client::new(),
        }
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn work(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `http://user:token@host:port/{prefix}{id}` (no credentials when `token` is `None`).
    fn git_url(&self, token: Option<&str>, prefix: &str, id: &str) -> String {
        let addr = self.server.addr();
        match token {
            Some(t) => format!("http://user:{t}@{addr}/{prefix}{id}"),
            None => format!("http://{addr}/{prefix}{id}"),
        }
    }

    async fn create_repo(&self, ty: &str, id: &str, private: bool) {
        let (ns, name) = id.split_once('/').unwrap();
        let resp = self
            .http
            .post(format!("{}/api/repos/create", self.server.url()))
            .bearer_auth(ALICE_WRITE)
            .json(&serde_json::json!({"name": name, "organization": ns, "type": ty, "private": private}))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "create {id}: {}",
            resp.text().await.unwrap()
        );
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.server.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn repo_info(&self, plural: &str, id: &str) -> serde_json::Value {
        let resp = self
            .get(&format!("/api/{plural}/{id}"), Some(ALICE_WRITE))
            .await;
        assert!(resp.status().is_success(), "info {id}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn resolve(&self, prefix: &str, id: &str, path: &str) -> Vec<u8> {
        let resp = self
            .get(
                &format!("/{prefix}{id}/resolve/main/{path}"),
                Some(ALICE_WRITE),
            )
            .await;
        assert!(
            resp.status().is_success(),
            "resolve {path}: {}",
            resp.status()
        );
        resp.bytes().await.unwrap().to_vec()
    }

    /// Runs git with an isolated environment (own HOME, no system config, never prompts).
    async fn git(&self, dir: &Path, args: &[&str]) -> Output {
        tokio::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "/bin/false")
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@example.com")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@example.com")
            .env_remove("GIT_DIR")
            .output()
            .await
            .unwrap()
    }

    async fn git_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git(dir, args).await;
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    async fn git_err(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git(dir, args).await;
        assert!(!out.status.success(), "git {args:?} unexpectedly succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    async fn clone_repo(&self, url: &str, into: &Path) {
        self.git_ok(
            self.tmp.path(),
            &["clone", "-q", url, into.to_str().unwrap()],
        )
        .await;
    }

    async fn commit_all(&self, dir: &Path, message: &str) -> String {
        self.git_ok(dir, &["add", "-A"]).await;
        self.git_ok(dir, &["commit", "-q", "-m", message]).await;
        self.git_ok(dir, &["rev-parse", "HEAD"])
            .await
            .trim()
            .to_owned()
    }

    /// Commits one regular file through the NDJSON commit API.
    async fn api_commit(&self, plural: &str, id: &str, path: &str, content: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(content);
        let body = format!(
            "{}\n{}\n",
            serde_json::json!({"key": "header", "value": {"summary": "api commit", "description": ""}}),
            serde_json::json!({"key": "file", "value": {"content": b64, "path": path, "encoding": "base64"}})
        );
        let resp = self
            .http
            .post(format!(
                "{}/api/{plural}/{id}/commit/main",
                self.server.url()
            ))
            .bearer_auth(ALICE_WRITE)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "api commit: {}", resp.status());
        let v: serde_json::Value = resp.json().await.unwrap();
        v["commitOid"].as_str().unwrap().to_owned()
    }
}

fn siblings(info: &serde_json::Value) -> Vec<String> {
    info["siblings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rfilename"].as_str().unwrap().to_owned())
        .collect()
}

/// Pseudo-random, incompressible bytes (xorshift), deterministic per seed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn git_lfs_installed() -> bool {
    std::process::Command::new("git")
        .args(["lfs", "version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_commit_push_and_api_roundtrip() {
    let env = Env::new().await;
    env.create_repo("model", "alice/demo", false).await;
    let work = env.work("demo");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/demo"), &work)
        .await;
    // A new repo starts with the server's initial commit (.gitattributes).
    assert!(work.join(".gitattributes").exists());
    let initial = env.repo_info("models", "alice/demo").await["sha"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        env.git_ok(&work, &["rev-parse", "HEAD"]).await.trim(),
        initial
    );

    std::fs::write(work.join("hello.txt"), "hello from git\n").unwrap();
    std::fs::create_dir_all(work.join("dir/sub")).unwrap();
    std::fs::write(work.join("dir/sub/deep file.txt"), "deep\n").unwrap();
    let pushed = env.commit_all(&work, "add files via git").await;
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;

    let info = env.repo_info("models", "alice/demo").await;
    assert_eq!(info["sha"], pushed.as_str(), "API sees the pushed commit");
    let files = siblings(&info);
    assert!(
        files.contains(&"hello.txt".to_owned())
            && files.contains(&"dir/sub/deep file.txt".to_owned())
    );
    assert_eq!(
        env.resolve("", "alice/demo", "hello.txt").await,
        b"hello from git\n"
    );
    assert_eq!(
        env.resolve("", "alice/demo", "dir/sub/deep%20file.txt")
            .await,
        b"deep\n"
    );
    let commits: serde_json::Value = env
        .get("/api/models/alice/demo/commits/main", Some(ALICE_WRITE))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(commits[0]["id"], pushed.as_str());
    assert_eq!(commits[0]["title"], "add files via git");

    // An API commit on top is visible to git.
    let api = env
        .api_commit("models", "alice/demo", "api.txt", b"from the api")
        .await;
    env.git_ok(&work, &["pull", "-q", "--ff-only", "origin", "main"])
        .await;
    assert_eq!(env.git_ok(&work, &["rev-parse", "HEAD"]).await.trim(), api);
    assert_eq!(
        env.git_ok(&work, &["rev-parse", "HEAD^"]).await.trim(),
        pushed
    );
    assert_eq!(
        std::fs::read(work.join("api.txt")).unwrap(),
        b"from the api"
    );

    // Branches pushed with git are listed by the refs API; a stale push is rejected by git.
    env.git_ok(&work, &["push", "-q", "origin", "main:refs/heads/dev"])
        .await;
    let refs: serde_json::Value = env
        .get("/api/models/alice/demo/refs", Some(ALICE_WRITE))
        .await
        .json()
        .await
        .unwrap();
    let branches: Vec<&str> = refs["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(
        branches.contains(&"dev") && branches.contains(&"main"),
        "{refs}"
    );
    env.api_commit("models", "alice/demo", "api2.txt", b"2")
        .await;
    std::fs::write(work.join("late.txt"), "late\n").unwrap();
    env.commit_all(&work, "behind").await;
    env.git_err(&work, &["push", "origin", "main"]).await;
    assert!(
        !siblings(&env.repo_info("models", "alice/demo").await).contains(&"late.txt".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_token_cannot_push() {
    let env = Env::new().await;
    env.create_repo("model", "alice/ro", false).await;
    let before = env.repo_info("models", "alice/ro").await["sha"].clone();
    let work = env.work("ro");
    env.clone_repo(&env.git_url(Some(ALICE_READ), "", "alice/ro"), &work)
        .await;
    std::fs::write(work.join("x.txt"), "x").unwrap();
    env.commit_all(&work, "try").await;
    let err = env.git_err(&work, &["push", "origin", "main"]).await;
    assert!(err.contains("403"), "{err}");
    // Anonymous: git is challenged for credentials, has none (prompting disabled), fails.
    env.git_ok(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            &env.git_url(None, "", "alice/ro"),
        ],
    )
    .await;
    env.git_err(&work, &["push", "origin", "main"]).await;
    // Another user's write token has no rights on alice's repo.
    env.git_ok(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            &env.git_url(Some(BOB_WRITE), "", "alice/ro"),
        ],
    )
    .await;
    env.git_err(&work, &["push", "origin", "main"]).await;
    assert_eq!(env.repo_info("models", "alice/ro").await["sha"], before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_repo_is_hidden_from_others() {
    let env = Env::new().await;
    env.create_repo("model", "alice/secret", true).await;
    let t = env.tmp.path().to_path_buf();
    let err = env
        .git_err(
            &t,
            &[
                "clone",
                &env.git_url(Some(BOB_WRITE), "", "alice/secret"),
                "bob",
            ],
        )
        .await;
    assert!(
        err.contains("not found") || err.contains("404") || err.contains("401"),
        "{err}"
    );
    env.git_err(
        &t,
        &["clone", &env.git_url(None, "", "alice/secret"), "anon"],
    )
    .await;
    assert!(!t.join("bob/.gitattributes").exists() && !t.join("anon/.gitattributes").exists());
    // The owner can clone and push (credentials are sent after the 401 challenge).
    let work = env.work("mine");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/secret"), &work)
        .await;
    std::fs::write(work.join("s.txt"), "s").unwrap();
    let pushed = env.commit_all(&work, "secret").await;
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;
    assert_eq!(
        env.repo_info("models", "alice/secret").await["sha"],
        pushed.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_prefix_and_dot_git_urls() {
    let env = Env::new().await;
    env.create_repo("dataset", "alice/ds", false).await;
    let work = env.work("ds");
    env.clone_repo(
        &env.git_url(Some(ALICE_WRITE), "datasets/", "alice/ds.git"),
        &work,
    )
    .await;
    std::fs::write(work.join("data.csv"), "a,b\n1,2\n").unwrap();
    let pushed = env.commit_all(&work, "data").await;
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;
    assert_eq!(
        env.repo_info("datasets", "alice/ds").await["sha"],
        pushed.as_str()
    );
    assert_eq!(
        env.resolve("datasets/", "alice/ds", "data.csv").await,
        b"a,b\n1,2\n"
    );
    // The same id as a model does not exist.
    let t = env.tmp.path().to_path_buf();
    env.git_err(
        &t,
        &[
            "clone",
            &env.git_url(Some(ALICE_WRITE), "", "alice/ds"),
            "wrong",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_lfs_push_and_clone() {
    if !git_lfs_installed() {
        println!(
            "NOTE: git-lfs is not installed; skipping the git lfs test (CI must install git-lfs)"
        );
        return;
    }
    let env = Env::new().await;
    env.create_repo("model", "alice/weights", false).await;
    let home = env.home();
    env.git_ok(&home, &["lfs", "install", "--skip-repo"]).await;
    env.git_ok(&home, &["config", "--global", "lfs.locksverify", "false"])
        .await;
    let work = env.work("weights");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/weights"), &work)
        .await;
    // `*.bin` is LFS-tracked by the server's default .gitattributes.
    let big = noise(3 << 20, 42);
    let small = noise(1000, 7);
    std::fs::write(work.join("model.bin"), &big).unwrap();
    std::fs::write(work.join("small.bin"), &small).unwrap();
    let pushed = env.commit_all(&work, "weights via git lfs").await;
    let pointer = env.git_ok(&work, &["show", "HEAD:model.bin"]).await;
    assert!(
        pointer.starts_with("version https://git-lfs.github.com/spec/v1"),
        "{pointer}"
    );
    let push = env.git(&work, &["push", "-q", "origin", "main"]).await;
    assert!(
        push.status.success(),
        "git lfs push failed:\n{}\n(git-lfs sends no credentials of its own to the verify href: \
         the LFS batch answer's `actions.verify.header` must carry the request's Authorization)",
        String::from_utf8_lossy(&push.stderr)
    );

    let info = env.repo_info("models", "alice/weights").await;
    assert_eq!(info["sha"], pushed.as_str());
    assert_eq!(env.resolve("", "alice/weights", "model.bin").await, big);
    assert_eq!(env.resolve("", "alice/weights", "small.bin").await, small);
    let head = env
        .get("/alice/weights/resolve/main/model.bin", Some(ALICE_WRITE))
        .await;
    let etag = head
        .headers()
        .get("x-linked-etag")
        .or_else(|| head.headers().get("etag"))
        .unwrap()
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_owned();
    assert_eq!(etag, sha256_hex(&big));

    // A fresh clone smudges the LFS files back to their content.
    let again = env.work("weights2");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/weights"), &again)
        .await;
    assert_eq!(std::fs::read(again.join("model.bin")).unwrap(), big);
    assert_eq!(std::fs::read(again.join("small.bin")).unwrap(), small);
}

/// A push of a few hundred objects (git's default `receive.unpackLimit` is 100; the server's
/// repos may raise it) is fully visible through the API, and history survives a fresh clone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_of_many_objects() {
    let env = Env::new().await;
    env.create_repo("model", "alice/many", false).await;
    let work = env.work("many");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/many"), &work)
        .await;
    for d in 0..10 {
        std::fs::create_dir_all(work.join(format!("d{d}"))).unwrap();
        for f in 0..20 {
            std::fs::write(work.join(format!("d{d}/f{f}.txt")), format!("{d}/{f}\n")).unwrap();
        }
    }
    let pushed = env.commit_all(&work, "200 files").await;
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;
    let info = env.repo_info("models", "alice/many").await;
    assert_eq!(info["sha"], pushed.as_str());
    assert_eq!(siblings(&info).len(), 201, "200 files + .gitattributes");
    assert_eq!(env.resolve("", "alice/many", "d7/f13.txt").await, b"7/13\n");
    let tree: serde_json::Value = env
        .get("/api/models/alice/many/tree/main/d3", Some(ALICE_WRITE))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tree.as_array().unwrap().len(), 20, "{tree}");
    // An API commit on top of packed history, then a fresh clone sees both.
    let api = env
        .api_commit("models", "alice/many", "d0/api.txt", b"api")
        .await;
    let again = env.work("many2");
    env.clone_repo(&env.git_url(None, "", "alice/many"), &again)
        .await;
    assert_eq!(env.git_ok(&again, &["rev-parse", "HEAD"]).await.trim(), api);
    assert_eq!(std::fs::read(again.join("d9/f19.txt")).unwrap(), b"9/19\n");
}

/// git pushes and API commits racing on one branch: each either lands or is refused, and
/// whatever was acknowledged ends up on `main` (the push holds the repo's write lock until
/// receive-pack has finished).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_and_api_commits() {
    let env = std::sync::Arc::new(Env::new().await);
    env.create_repo("model", "alice/race", false).await;
    let work = env.work("race");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/race"), &work)
        .await;
    let api_env = std::sync::Arc::clone(&env);
    let api = tokio::spawn(async move {
        let mut acked = Vec::new();
        for i in 0..15 {
            let path = format!("api/{i}.txt");
            acked.push((
                path.clone(),
                api_env
                    .api_commit("models", "alice/race", &path, path.as_bytes())
                    .await,
            ));
        }
        acked
    });
    let mut pushed = Vec::new();
    for i in 0..8 {
        let path = format!("git/{i}.txt");
        std::fs::create_dir_all(work.join("git")).unwrap();
        std::fs::write(work.join(&path), &path).unwrap();
        let commit = env.commit_all(&work, &format!("push {i}")).await;
        // Rejected as non-fast-forward when an API commit got in between: rebase and retry.
        let mut landed = None;
        for _ in 0..20 {
            if env
                .git(&work, &["push", "-q", "origin", "HEAD:main"])
                .await
                .status
                .success()
            {
                landed = Some(
                    env.git_ok(&work, &["rev-parse", "HEAD"])
                        .await
                        .trim()
                        .to_owned(),
                );
                break;
            }
            env.git_ok(&work, &["pull", "-q", "--rebase", "origin", "main"])
                .await;
        }
        let landed = landed.unwrap_or_else(|| panic!("push {i} ({commit}) never landed"));
        pushed.push((path, landed));
    }
    let acked = api.await.unwrap();
    let repo = env.tmp.path().join("data/repos/models/alice/race.git");
    let fsck = env.git(&repo, &["fsck", "--strict", "--no-dangling"]).await;
    assert!(
        fsck.status.success() && fsck.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    let history = env.git_ok(&repo, &["rev-list", "main"]).await;
    for (path, commit) in acked.iter().chain(pushed.iter()) {
        assert!(
            history.lines().any(|l| l == commit),
            "{path}: {commit} not on main"
        );
        assert_eq!(env.resolve("", "alice/race", path).await, path.as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_checks_refuse_large_files_and_dangling_lfs_pointers() {
    let env = Env::new().await;
    env.create_repo("model", "alice/checks", false).await;
    let work = env.work("checks");
    env.clone_repo(&env.git_url(Some(ALICE_WRITE), "", "alice/checks"), &work)
        .await;
    let before = env.repo_info("models", "alice/checks").await["sha"].clone();

    // A file over 10 MiB outside LFS: refused with the Hub's message, nothing changes.
    std::fs::write(work.join("big file.txt"), noise(10 * 1024 * 1024 + 1, 5)).unwrap();
    std::fs::write(work.join("small.txt"), "small\n").unwrap();
    env.commit_all(&work, "too big").await;
    let err = env.git_err(&work, &["push", "origin", "main"]).await;
    assert!(
        err.contains("Your push was rejected because it contains files larger than 10 MiB."),
        "{err}"
    );
    assert!(
        err.contains("  - big file.txt (ref: refs/heads/main)"),
        "{err}"
    );
    assert!(!err.contains("small.txt"), "{err}");
    assert_eq!(env.repo_info("models", "alice/checks").await["sha"], before);

    // Exactly 10 MiB is still fine.
    env.git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"])
        .await;
    std::fs::write(work.join("limit.txt"), noise(10 * 1024 * 1024, 6)).unwrap();
    let at_limit = env.commit_all(&work, "at the limit").await;
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;
    assert_eq!(
        env.repo_info("models", "alice/checks").await["sha"],
        at_limit.as_str()
    );

    // An LFS pointer (written as is: no git-lfs filter here) to an object never uploaded.
    let content = b"weights that never reached the LFS store";
    let sha = sha256_hex(content);
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {}\n",
        content.len()
    );
    std::fs::write(work.join("w.bin"), &pointer).unwrap();
    env.commit_all(&work, "dangling pointer").await;
    let err = env.git_err(&work, &["push", "origin", "main"]).await;
    assert!(
        err.contains(
            "Your push was rejected because an LFS pointer pointed to a file that does not exist."
        ),
        "{err}"
    );
    assert!(err.contains("  - w.bin (ref: refs/heads/main)"), "{err}");
    assert_eq!(
        env.repo_info("models", "alice/checks").await["sha"],
        at_limit.as_str()
    );

    // Once the object is in the store, the same push goes through.
    let obj = env
        .tmp
        .path()
        .join("data/lfs/objects")
        .join(&sha[..2])
        .join(&sha);
    std::fs::create_dir_all(obj.parent().unwrap()).unwrap();
    std::fs::write(&obj, content).unwrap();
    env.git_ok(&work, &["push", "-q", "origin", "main"]).await;
    assert_eq!(
        env.resolve("", "alice/checks", "w.bin").await,
        content.to_vec()
    );
}
