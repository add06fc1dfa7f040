//! End-to-end tests of hub-upload against hub-server, with the pinned Python client as referee.
//!
//! * round trips: what hub-upload commits (regular, LFS basic, LFS multipart), Python 0.26.5
//!   downloads byte-identical; what Python uploads, hub-upload recognises byte for byte (a
//!   re-upload of the same folder is a no-op);
//! * copies, deletes (file, folder, patterns), pull requests, preupload-then-commit;
//! * chaos: with dropped connections, 5xx and 429s every file lands exactly once, in one commit;
//! * upload_large_folder resumes after being aborted without hashing or uploading again;
//! * CommitScheduler commits new data, never an empty commit, and flushes on stop.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hub_core::{Error, HubClient, RepoId, RepoType};
use hub_tests::python::{self, Version};
use hub_tests::{TestServer, random_bytes, sha256_hex, unique_name, write_file};
use hub_upload::large_folder::{UploadMetadata, metadata_path};
use hub_upload::{BackgroundQueue, CommitOperation, CommitOperationAdd, UploadExt};

/// A server we start ourselves when a setting is not in the shared harness (multipart
/// threshold), with one user `alice`.
struct OwnServer {
    url: String,
    token: String,
    _server: hub_server::RunningServer,
    _data: tempfile::TempDir,
}

async fn multipart_server(threshold: u64, chunk: u64) -> OwnServer {
    let data = tempfile::tempdir().unwrap();
    let token = format!("hf_alice_{}", hex::encode(rand::random::<[u8; 8]>()));
    hub_server::admin::add_user(data.path(), "alice", &token, false, None, None).unwrap();
    let mut config = hub_server::ServerConfig::new(data.path());
    config.multipart_threshold = Some(threshold);
    config.multipart_chunk_size = Some(chunk);
    let server = hub_server::start(config).await.unwrap();
    OwnServer {
        url: server.url().to_owned(),
        token,
        _server: server,
        _data: data,
    }
}

fn client(url: &str, token: &str) -> HubClient {
    HubClient::builder()
        .config(hub_core::Config::builder().endpoint(url).build())
        .token(token)
        .build()
        .unwrap()
}

fn repo(name: &str) -> RepoId {
    RepoId::new(format!("alice/{}", unique_name(name))).unwrap()
}

/// Creates a repository through the shared code path used by the scheduler (exist-ok).
async fn create_repo(c: &HubClient, id: &RepoId, ty: RepoType) {
    let url = format!("{}/api/repos/create", c.endpoint());
    let mut body = serde_json::json!({"name": id.name(), "organization": id.namespace()});
    if ty != RepoType::Model {
        body["type"] = ty.as_str().into();
    }
    let rb = c
        .authed_request(reqwest::Method::POST, &url)
        .unwrap()
        .json(&body);
    c.send(rb, hub_core::SendOptions::new()).await.unwrap();
}

/// `{path: sha256}` of a local folder (excluding `.cache`).
fn local_hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walk(root) {
        let rel = e
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .replace('\\', "/");
        if rel.starts_with(".cache/") {
            continue;
        }
        out.insert(rel, sha256_hex(&std::fs::read(&e).unwrap()));
    }
    out
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Python 0.26.5 downloads the repo at `revision` and reports `{path: sha256}`.
async fn python_snapshot(
    url: &str,
    token: &str,
    id: &RepoId,
    ty: RepoType,
    revision: &str,
) -> BTreeMap<String, String> {
    let script = format!(
        r#"
import hashlib, json, os, tempfile
from huggingface_hub import snapshot_download
d = tempfile.mkdtemp()
snapshot_download({id:?}, repo_type={ty:?}, revision={revision:?}, local_dir=d)
out = {{}}
for root, dirs, files in os.walk(d):
    dirs[:] = [x for x in dirs if x != ".cache"]
    for f in files:
        p = os.path.join(root, f)
        out[os.path.relpath(p, d)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
print(json.dumps(out))
"#,
        id = id.as_str(),
        ty = ty.as_str(),
    );
    let envs = [
        ("HF_ENDPOINT", url.to_owned()),
        ("HF_TOKEN", token.to_owned()),
    ];
    let v = tokio::task::spawn_blocking(move || {
        let e: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        python::run_json(Version::V026, &script, &e)
    })
    .await
    .unwrap();
    serde_json::from_value(v).unwrap()
}

async fn python_script(url: &str, token: &str, script: String) -> serde_json::Value {
    let envs = [
        ("HF_ENDPOINT", url.to_owned()),
        ("HF_TOKEN", token.to_owned()),
    ];
    tokio::task::spawn_blocking(move || {
        let e: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        python::run_json(Version::V026, &script, &e)
    })
    .await
    .unwrap()
}

/// GET with retries (for chaos servers), returning the body.
async fn get_bytes(c: &HubClient, url: &str) -> Vec<u8> {
    for _ in 0..30 {
        if let Ok(resp) = c
            .send(
                c.request(reqwest::Method::GET, url),
                hub_core::SendOptions::new(),
            )
            .await
            && let Ok(b) = resp.bytes().await
        {
            return b.to_vec();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("GET {url} kept failing");
}

async fn get_json(c: &HubClient, url: &str) -> serde_json::Value {
    for _ in 0..30 {
        let b = get_bytes(c, url).await;
        if let Ok(v) = serde_json::from_slice(&b) {
            return v;
        }
    }
    panic!("GET {url} never returned JSON");
}

async fn commit_count(c: &HubClient, id: &RepoId, ty: RepoType, rev: &str) -> usize {
    let url = format!(
        "{}/api/{}/{}/commits/{}",
        c.endpoint(),
        ty.plural(),
        id,
        hub_core::urls::quote_segment(rev)
    );
    get_json(c, &url).await.as_array().unwrap().len()
}

async fn remote_files(
    c: &HubClient,
    id: &RepoId,
    ty: RepoType,
    rev: &str,
) -> BTreeMap<String, serde_json::Value> {
    let url = format!(
        "{}/api/{}/{}/tree/{}?recursive=True&expand=False",
        c.endpoint(),
        ty.plural(),
        id,
        hub_core::urls::quote_segment(rev)
    );
    get_json(c, &url)
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "file")
        .map(|e| (e["path"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

async fn download(c: &HubClient, id: &RepoId, ty: RepoType, rev: &str, path: &str) -> Vec<u8> {
    let url = hub_core::urls::hf_hub_url(c.endpoint(), id, path, ty, rev);
    get_bytes(c, &url).await
}

fn make_folder(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("README.md".to_owned(), b"# hello\n".to_vec());
    files.insert("config.json".to_owned(), br#"{"a": 1}"#.to_vec());
    files.insert("empty.txt".to_owned(), Vec::new());
    files.insert("sub/dir/notes.txt".to_owned(), b"notes".repeat(1000));
    files.insert("weights.bin".to_owned(), random_bytes(300_000, 1)); // LFS by .gitattributes
    files.insert("data/blob.dat".to_owned(), random_bytes(70_000, 2)); // LFS: binary sample
    files.insert("big.txt".to_owned(), b"0123456789abcdef".repeat(700_000)); // 11.2 MB text: LFS by size
    for (p, d) in &files {
        write_file(&root.join(p), d);
    }
    // Never uploaded:
    write_file(&root.join(".git/config"), b"[core]");
    write_file(&root.join(".cache/huggingface/x"), b"state");
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_round_trip_with_python_and_noop_reupload() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("folder");
    create_repo(&c, &id, RepoType::Dataset).await;
    let dir = tempfile::tempdir().unwrap();
    let files = make_folder(dir.path());

    let info = c
        .upload_folder(&id, dir.path())
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    assert_eq!(info.oid.len(), 40);
    assert!(info.commit_url.ends_with(&info.oid), "{}", info.commit_url);
    assert_eq!(info.commit_message, "Upload folder using huggingface_hub");

    let remote = remote_files(&c, &id, RepoType::Dataset, "main").await;
    for (path, data) in &files {
        let e = remote.get(path).unwrap_or_else(|| panic!("{path} missing"));
        assert_eq!(e["size"].as_u64().unwrap(), data.len() as u64, "{path}");
    }
    assert!(remote["weights.bin"]["lfs"].is_object());
    assert!(remote["big.txt"]["lfs"].is_object());
    assert!(remote["config.json"].get("lfs").is_none_or(|v| v.is_null()));
    assert!(
        !remote
            .keys()
            .any(|k| k.starts_with(".git/") || k.starts_with(".cache"))
    );

    // Python downloads exactly what we have locally.
    let py = python_snapshot(
        server.url(),
        &server.tokens().write,
        &id,
        RepoType::Dataset,
        "main",
    )
    .await;
    let mut expected = local_hashes(dir.path());
    expected.retain(|k, _| !k.starts_with(".git/"));
    let mut py = py;
    py.remove(".gitattributes");
    assert_eq!(py, expected);

    // Same folder again: nothing changed, so no commit and the head is returned.
    let commits = commit_count(&c, &id, RepoType::Dataset, "main").await;
    let again = c
        .upload_folder(&id, dir.path())
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    assert_eq!(again.oid, info.oid);
    assert_eq!(
        commit_count(&c, &id, RepoType::Dataset, "main").await,
        commits
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_round_trip_and_python_upload_recognised() {
    // LFS files of 1 MB and more use multipart, in 256 KiB parts.
    let s = multipart_server(1 << 20, 256 << 10).await;
    let c = client(&s.url, &s.token);
    let id = repo("multipart");
    create_repo(&c, &id, RepoType::Model).await;
    let data = random_bytes(3 * 1024 * 1024 + 12345, 7);
    let info = c
        .upload_file(&id, data.clone(), "model.safetensors")
        .send()
        .await
        .unwrap();
    assert_eq!(
        info.commit_message,
        "Upload model.safetensors with huggingface_hub"
    );
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    assert_eq!(remote["model.safetensors"]["lfs"]["oid"], sha256_hex(&data));
    let py = python_snapshot(&s.url, &s.token, &id, RepoType::Model, "main").await;
    assert_eq!(py["model.safetensors"], sha256_hex(&data));

    // The reverse: Python 0.26.5 uploads a folder (regular, LFS basic, LFS multipart); our
    // hashes agree with what the server stored, so re-uploading the same folder is a no-op, and
    // the stored bytes are the local ones.
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join("a.txt"), b"hello from python\n");
    write_file(&dir.path().join("small.bin"), &random_bytes(5000, 8));
    write_file(
        &dir.path().join("large.bin"),
        &random_bytes(2 * 1024 * 1024 + 1, 9),
    );
    let script = format!(
        "import json\nfrom huggingface_hub import HfApi\ninfo = HfApi().upload_folder(repo_id={:?}, folder_path={:?})\nprint(json.dumps({{'oid': info.oid}}))",
        id.as_str(),
        dir.path().to_str().unwrap()
    );
    let out = python_script(&s.url, &s.token, script).await;
    let py_oid = out["oid"].as_str().unwrap().to_owned();
    let again = c.upload_folder(&id, dir.path()).send().await.unwrap();
    assert_eq!(
        again.oid, py_oid,
        "re-upload of Python's files must be a no-op"
    );
    for f in ["a.txt", "small.bin", "large.bin"] {
        let got = download(&c, &id, RepoType::Model, "main", f).await;
        assert_eq!(got, std::fs::read(dir.path().join(f)).unwrap(), "{f}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_deletes_and_pull_requests() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("ops");
    create_repo(&c, &id, RepoType::Model).await;
    let lfs = random_bytes(200_000, 3);
    let first = c
        .create_commit(
            &id,
            vec![
                CommitOperation::add_bytes("w.bin", lfs.clone()).unwrap(),
                CommitOperation::add_bytes("a.txt", &b"regular"[..]).unwrap(),
                CommitOperation::add_bytes("logs/1.txt", &b"1"[..]).unwrap(),
                CommitOperation::add_bytes("logs/2.txt", &b"2"[..]).unwrap(),
                CommitOperation::add_bytes("keep/x.log", &b"x"[..]).unwrap(),
            ],
        )
        .commit_message("init")
        .commit_description("with a description")
        .send()
        .await
        .unwrap();
    assert_eq!(first.commit_description, "with a description");

    // Copies within the revision and from the first commit, plus deletes, in one commit.
    let second = c
        .create_commit(
            &id,
            vec![
                CommitOperation::copy("w.bin", "copies/w.bin").unwrap(),
                CommitOperation::copy("a.txt", "copies/a.txt").unwrap(),
                CommitOperation::Copy(
                    hub_upload::CommitOperationCopy::new("a.txt", "copies/a-old.txt")
                        .unwrap()
                        .src_revision(first.oid.clone()),
                ),
                CommitOperation::delete("logs/").unwrap(),
                CommitOperation::delete("a.txt").unwrap(),
            ],
        )
        .commit_message("copy and delete")
        .parent_commit(first.oid.clone())
        .send()
        .await
        .unwrap();
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    let paths: Vec<&str> = remote.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            ".gitattributes",
            "copies/a-old.txt",
            "copies/a.txt",
            "copies/w.bin",
            "keep/x.log",
            "w.bin"
        ]
    );
    assert_eq!(remote["copies/w.bin"]["lfs"]["oid"], sha256_hex(&lfs));
    assert_eq!(
        download(&c, &id, RepoType::Model, "main", "copies/a.txt").await,
        b"regular"
    );

    // A stale parent commit is refused (412) and nothing is committed.
    let stale = c
        .create_commit(
            &id,
            vec![CommitOperation::add_bytes("z.txt", &b"z"[..]).unwrap()],
        )
        .commit_message("stale")
        .parent_commit(first.oid.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412), "{stale}");

    // Deleting a missing file is EntryNotFound.
    let err = c.delete_file(&id, "nope.txt").send().await.unwrap_err();
    assert!(matches!(err, Error::EntryNotFound(_)), "{err}");

    // delete_files by pattern and delete_folder.
    c.delete_files(&id, ["*.log"]).send().await.unwrap();
    assert!(
        !remote_files(&c, &id, RepoType::Model, "main")
            .await
            .contains_key("keep/x.log")
    );
    c.delete_folder(&id, "copies").send().await.unwrap();
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    assert!(!remote.keys().any(|k| k.starts_with("copies/")));

    // A pull request, then a second commit into it; main is unaffected.
    let pr = c
        .upload_file(&id, &b"proposal"[..], "pr.txt")
        .create_pr(true)
        .send()
        .await
        .unwrap();
    let n = pr.pr_num.unwrap();
    assert_eq!(
        pr.pr_revision.as_deref(),
        Some(format!("refs/pr/{n}").as_str())
    );
    c.upload_file(&id, &b"more"[..], "pr2.txt")
        .revision(format!("refs/pr/{n}"))
        .send()
        .await
        .unwrap();
    let on_pr = remote_files(&c, &id, RepoType::Model, &format!("refs/pr/{n}")).await;
    assert!(on_pr.contains_key("pr.txt") && on_pr.contains_key("pr2.txt"));
    let on_main = remote_files(&c, &id, RepoType::Model, "main").await;
    assert!(!on_main.contains_key("pr.txt"));
    let py = python_snapshot(
        server.url(),
        &server.tokens().write,
        &id,
        RepoType::Model,
        &format!("refs/pr/{n}"),
    )
    .await;
    assert_eq!(py["pr2.txt"], sha256_hex(b"more"));

    // A missing branch: an error by default, created from main when asked.
    let err = c
        .upload_file(&id, &b"b"[..], "b.txt")
        .revision("feature")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RevisionNotFound(_)), "{err}");
    c.upload_file(&id, &b"b"[..], "b.txt")
        .revision("feature")
        .create_missing_branch(true)
        .send()
        .await
        .unwrap();
    assert!(
        remote_files(&c, &id, RepoType::Model, "feature")
            .await
            .contains_key("w.bin")
    );
    let _ = second;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preupload_then_commit_and_background_queue() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("preupload");
    create_repo(&c, &id, RepoType::Model).await;
    let shards: Vec<Vec<u8>> = (0..3)
        .map(|i| random_bytes(100_000 + i, 20 + i as u64))
        .collect();
    let mut adds: Vec<CommitOperationAdd> = Vec::new();
    for (i, s) in shards.iter().enumerate() {
        let mut one = vec![
            CommitOperationAdd::from_reader(
                &format!("shard_{i}.bin"),
                std::io::Cursor::new(s.clone()),
                s.len() as u64,
            )
            .unwrap(),
        ];
        c.preupload_lfs_files(&id, &mut one).send().await.unwrap();
        assert!(one[0].is_uploaded());
        adds.extend(one);
    }
    // Nothing visible before the commit.
    assert!(
        !remote_files(&c, &id, RepoType::Model, "main")
            .await
            .contains_key("shard_0.bin")
    );
    let mut ops: Vec<CommitOperation> = adds.into_iter().map(CommitOperation::Add).collect();
    ops.push(
        CommitOperation::add_bytes("README.md", &b"---\nlicense: mit\n---\n# shards\n"[..])
            .unwrap(),
    );
    c.create_commit(&id, ops)
        .commit_message("all shards")
        .send()
        .await
        .unwrap();
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(
            &download(&c, &id, RepoType::Model, "main", &format!("shard_{i}.bin")).await,
            s
        );
    }

    // Background jobs run in order.
    let q = BackgroundQueue::new();
    let h1 = c.upload_file(&id, &b"1"[..], "q/1.txt").run_as_future(&q);
    let h2 = c.upload_file(&id, &b"2"[..], "q/2.txt").run_as_future(&q);
    let second = h2.await.unwrap();
    assert!(h1.is_done());
    let first = h1.await.unwrap();
    let commits = get_json(
        &c,
        &format!("{}/api/models/{}/commits/main", c.endpoint(), id),
    )
    .await;
    let ids: Vec<&str> = commits
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[..2], [second.oid.as_str(), first.oid.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_uploads_land_exactly_once() {
    let server = TestServer::builder()
        .chaos("drop=0.2,error=0.2,ratelimit=0.1,seed=3")
        .start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("chaos");
    // Repo creation through chaos: the client retries the create (a repeat is detectable).
    c.api().create_repo(&id).send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = BTreeMap::new();
    for i in 0..12 {
        files.insert(
            format!("t/{i}.txt"),
            format!("text {i}\n").repeat(i + 1).into_bytes(),
        );
    }
    for i in 0..4 {
        files.insert(
            format!("b/{i}.bin"),
            random_bytes(150_000 + i, 40 + i as u64),
        );
    }
    for (p, d) in &files {
        write_file(&dir.path().join(p), d);
    }
    let before = commit_count(&c, &id, RepoType::Model, "main").await;
    let info = c.upload_folder(&id, dir.path()).send().await.unwrap();
    assert_eq!(info.oid.len(), 40);
    // Exactly one new commit, holding exactly our files with our bytes.
    assert_eq!(
        commit_count(&c, &id, RepoType::Model, "main").await,
        before + 1
    );
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    let mut names: Vec<&String> = remote.keys().filter(|k| *k != ".gitattributes").collect();
    names.sort();
    assert_eq!(names, files.keys().collect::<Vec<_>>());
    for (p, d) in &files {
        assert_eq!(
            &download(&c, &id, RepoType::Model, "main", p).await,
            d,
            "{p}"
        );
    }
}

fn read_all_metadata(root: &Path, rels: &[String]) -> Vec<Option<UploadMetadata>> {
    rels.iter()
        .map(|r| {
            std::fs::read_to_string(metadata_path(root, r))
                .ok()
                .and_then(|t| UploadMetadata::parse(&t).ok())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folder_resumes_without_rehashing_or_reuploading() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("large");
    let dir = tempfile::tempdir().unwrap();
    let mut rels = Vec::new();
    for i in 0..40 {
        let rel = format!("part-{i:02}/data.txt");
        write_file(
            &dir.path().join(&rel),
            format!("row {i}\n").repeat(50).as_bytes(),
        );
        rels.push(rel);
    }
    for i in 0..12 {
        let rel = format!("shards/{i:02}.bin");
        write_file(&dir.path().join(&rel), &random_bytes(400_000, 100 + i));
        rels.push(rel);
    }

    // First run, aborted once some files are uploaded (as a kill would stop it).
    let task = tokio::spawn(
        c.upload_large_folder(&id, RepoType::Dataset, dir.path())
            .num_workers(2)
            .send(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let metas = read_all_metadata(dir.path(), &rels);
        let uploaded = metas.iter().flatten().filter(|m| m.is_uploaded).count();
        if uploaded >= 3 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    let _ = task.await;
    // Let blocking writes that were in flight settle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metas = read_all_metadata(dir.path(), &rels);
    let hashed_before = metas
        .iter()
        .flatten()
        .filter(|m| m.sha256.is_some())
        .count();
    let lfs_uploaded_before = metas
        .iter()
        .flatten()
        .filter(|m| m.is_uploaded && m.upload_mode == Some(hub_upload::UploadMode::Lfs))
        .count();
    let lfs_total = 12;
    assert!(
        lfs_uploaded_before >= 1,
        "the first run should have uploaded something"
    );

    // Second run: completes, and only does the remaining work.
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let r2 = reports.clone();
    let status = c
        .upload_large_folder(&id, RepoType::Dataset, dir.path())
        .num_workers(2)
        .report_every(Duration::from_millis(50))
        .on_report(Arc::new(move |s: &hub_upload::LargeFolderStatus| {
            r2.lock().unwrap().push(s.to_string())
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(status.total_files, rels.len());
    assert_eq!(status.committed_files, rels.len());
    assert_eq!(status.hashed_this_run, rels.len() - hashed_before);
    assert!(
        status.uploaded_this_run <= lfs_total - lfs_uploaded_before,
        "re-uploaded finished files: {} > {}",
        status.uploaded_this_run,
        lfs_total - lfs_uploaded_before
    );
    assert!(
        reports
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.contains("Files:   hashed"))
    );
    let metas = read_all_metadata(dir.path(), &rels);
    assert!(
        metas
            .iter()
            .all(|m| m.as_ref().is_some_and(|m| m.is_committed))
    );
    let remote = remote_files(&c, &id, RepoType::Dataset, "main").await;
    for rel in &rels {
        assert!(remote.contains_key(rel), "{rel} missing");
    }
    assert!(!remote.keys().any(|k| k.starts_with(".cache")));

    // A third run has nothing to do and makes no commit.
    let commits = commit_count(&c, &id, RepoType::Dataset, "main").await;
    let status = c
        .upload_large_folder(&id, RepoType::Dataset, dir.path())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            status.hashed_this_run,
            status.uploaded_this_run,
            status.commits_this_run
        ),
        (0, 0, 0)
    );
    assert_eq!(
        commit_count(&c, &id, RepoType::Dataset, "main").await,
        commits
    );

    // Python 0.26.5 reads our metadata files as its own (an unreadable file would be deleted
    // and reported empty).
    let script = format!(
        "import json\nfrom pathlib import Path\nfrom huggingface_hub._local_folder import read_upload_metadata\nm = read_upload_metadata(Path({:?}), 'shards/03.bin')\nprint(json.dumps({{'sha256': m.sha256, 'mode': m.upload_mode, 'uploaded': m.is_uploaded, 'committed': m.is_committed, 'size': m.size}}))",
        dir.path().to_str().unwrap()
    );
    let py_meta = python_script(server.url(), &server.tokens().write, script).await;
    let data = std::fs::read(dir.path().join("shards/03.bin")).unwrap();
    assert_eq!(
        py_meta,
        serde_json::json!({"sha256": sha256_hex(&data), "mode": "lfs", "uploaded": true, "committed": true, "size": data.len()})
    );

    // Python 0.26.5 downloads the same bytes.
    let py = python_snapshot(
        server.url(),
        &server.tokens().write,
        &id,
        RepoType::Dataset,
        "main",
    )
    .await;
    let mut local = local_hashes(dir.path());
    local.retain(|k, _| !k.starts_with(".cache"));
    let mut py = py;
    py.remove(".gitattributes");
    assert_eq!(py, local);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folder_stops_on_permanent_errors() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().read);
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join("a.txt"), b"a");
    let err = c
        .upload_large_folder(&repo("denied"), RepoType::Model, dir.path())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.status(), Some(401 | 403)), "{err}");
    let err = client(server.url(), &server.tokens().write)
        .upload_large_folder(&repo("nofolder"), RepoType::Model, dir.path().join("a.txt"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_scheduler_commits_new_data_only() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("sched");
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("feedback");
    let scheduler = c
        .commit_scheduler(&id, &folder)
        .repo_type(RepoType::Dataset)
        .path_in_repo("data")
        .every(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    assert!(folder.is_dir(), "the scheduler creates the folder");
    {
        let _guard = scheduler.lock().await;
        std::fs::write(folder.join("log.jsonl"), b"{\"a\":1}\n").unwrap();
    }
    let first = scheduler.trigger().await.unwrap().expect("a commit");
    assert_eq!(first.commit_message, "Scheduled Commit");
    // Nothing new: no commit at all.
    assert!(scheduler.trigger().await.unwrap().is_none());
    let commits = commit_count(&c, &id, RepoType::Dataset, "main").await;
    // Appending makes the file grow: it is committed again on stop (final flush).
    {
        let _guard = scheduler.lock().await;
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(folder.join("log.jsonl"))
            .unwrap();
        f.write_all(b"{\"a\":2}\n").unwrap();
    }
    let last = scheduler
        .stop()
        .await
        .unwrap()
        .expect("final flush commits");
    assert_ne!(last.oid, first.oid);
    assert_eq!(
        commit_count(&c, &id, RepoType::Dataset, "main").await,
        commits + 1
    );
    let got = download(&c, &id, RepoType::Dataset, "main", "data/log.jsonl").await;
    assert_eq!(got, b"{\"a\":1}\n{\"a\":2}\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_gitignore_is_applied_by_the_server() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("gitignore");
    create_repo(&c, &id, RepoType::Model).await;
    let dir = tempfile::tempdir().unwrap();
    write_file(&dir.path().join(".gitignore"), b"*.log\nbuild/\n");
    write_file(&dir.path().join("keep.txt"), b"keep");
    write_file(&dir.path().join("debug.log"), b"noise");
    write_file(&dir.path().join("build/out.txt"), b"artifact");
    // A .gitignore below the root is only a file: it does not apply.
    write_file(&dir.path().join("sub/.gitignore"), b"*.txt\n");
    write_file(&dir.path().join("sub/kept.txt"), b"kept");
    c.upload_folder(&id, dir.path()).send().await.unwrap();
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    let mut names: Vec<&str> = remote.keys().map(String::as_str).collect();
    names.retain(|n| *n != ".gitattributes");
    assert_eq!(
        names,
        [".gitignore", "keep.txt", "sub/.gitignore", "sub/kept.txt"]
    );

    // Later uploads without a .gitignore use the one now in the repository.
    let dir2 = tempfile::tempdir().unwrap();
    write_file(&dir2.path().join("later.log"), b"x");
    write_file(&dir2.path().join("later.txt"), b"y");
    c.upload_folder(&id, dir2.path()).send().await.unwrap();
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    assert!(remote.contains_key("later.txt"));
    assert!(!remote.contains_key("later.log"));
}

// ------------------------------------------------------------------------------------------
// upload_large_folder: the 20-hour rule, `.lock` files, and Python 0.26.5 on the same state.

/// Where hub-server keeps the LFS object `oid` (`DATA/lfs/objects/{aa}/{oid}`).
fn server_blob(server: &TestServer, oid: &str) -> PathBuf {
    server
        .data_dir()
        .join("lfs")
        .join("objects")
        .join(&oid[..2])
        .join(oid)
}

/// Sets the mtime of `path` to `t`.
fn set_mtime(path: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn unix_secs(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folder_reuploads_lfs_files_preuploaded_more_than_20_hours_ago() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("expiry");
    create_repo(&c, &id, RepoType::Model).await;
    let dir = tempfile::tempdir().unwrap();
    let stale = random_bytes(200_000, 301);
    let fresh = random_bytes(200_000, 302);
    let (stale_oid, fresh_oid) = (sha256_hex(&stale), sha256_hex(&fresh));

    // fresh.bin really was pre-uploaded (without a commit); stale.bin's upload is gone, as a
    // pre-signed upload collected by the storage after 20 h would be.
    let mut one = vec![
        CommitOperationAdd::from_reader(
            "fresh.bin",
            std::io::Cursor::new(fresh.clone()),
            fresh.len() as u64,
        )
        .unwrap(),
    ];
    c.preupload_lfs_files(&id, &mut one).send().await.unwrap();
    assert!(server_blob(&server, &fresh_oid).is_file());
    assert!(!server_blob(&server, &stale_oid).exists());

    // The local fresh.bin now holds other bytes of the same size (and an old mtime, below): if
    // the run read it again (to hash or to upload), these bytes would reach the server.
    let decoy = random_bytes(200_000, 303);
    write_file(&dir.path().join("stale.bin"), &stale);
    write_file(&dir.path().join("fresh.bin"), &decoy);

    // Python's 7-line metadata: hashed, mode lfs, uploaded, not committed; saved 21 h / 1 h ago,
    // after the file's last modification (so only the age can make it stale).
    let now = std::time::SystemTime::now();
    let hour = Duration::from_secs(3600);
    for (name, oid, age) in [("stale.bin", &stale_oid, 21), ("fresh.bin", &fresh_oid, 1)] {
        let saved = now - hour * age;
        set_mtime(&dir.path().join(name), saved - hour);
        let meta = metadata_path(dir.path(), name);
        std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
        std::fs::write(
            &meta,
            format!("{}\n200000\n0\n{oid}\nlfs\n1\n0\n", unix_secs(saved)),
        )
        .unwrap();
    }

    let status = c
        .upload_large_folder(&id, RepoType::Model, dir.path())
        .num_workers(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            status.hashed_this_run,
            status.uploaded_this_run,
            status.commits_this_run,
            status.committed_files
        ),
        (0, 1, 1, 2),
        "only the stale upload is redone, nothing is hashed again"
    );

    // Server side: the stale content was uploaded again and committed; the fresh file was
    // committed from its earlier upload, its local (decoy) bytes never left the machine.
    assert_eq!(
        std::fs::read(server_blob(&server, &stale_oid)).unwrap(),
        stale
    );
    assert!(!server_blob(&server, &sha256_hex(&decoy)).exists());
    let remote = remote_files(&c, &id, RepoType::Model, "main").await;
    assert_eq!(remote["stale.bin"]["lfs"]["oid"], stale_oid.as_str());
    assert_eq!(remote["fresh.bin"]["lfs"]["oid"], fresh_oid.as_str());
    assert_eq!(
        download(&c, &id, RepoType::Model, "main", "stale.bin").await,
        stale
    );
    assert_eq!(
        download(&c, &id, RepoType::Model, "main", "fresh.bin").await,
        fresh
    );
    let rels = ["stale.bin".to_owned(), "fresh.bin".to_owned()];
    for m in read_all_metadata(dir.path(), &rels) {
        let m = m.unwrap();
        assert!(m.is_committed && m.is_uploaded);
    }
}

/// Every file under `<root>/.cache/huggingface`, by relative path.
fn hf_state_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let base = root.join(".cache").join("huggingface");
    walk(&base)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&base).unwrap().to_str().unwrap().to_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn file_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

async fn python_upload_large_folder(server: &TestServer, id: &RepoId, folder: &Path) {
    let script = format!(
        "import json\nfrom huggingface_hub import HfApi\nHfApi().upload_large_folder({:?}, {:?}, repo_type='model', num_workers=2, print_report=False)\nprint(json.dumps({{'ok': True}}))",
        id.as_str(),
        folder.to_str().unwrap()
    );
    let out = python_script(server.url(), &server.tokens().write, script).await;
    assert_eq!(out["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folder_state_files_match_python_and_each_resumes_the_other() {
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let mut layout = BTreeMap::new();
    layout.insert("README.md", b"# large\n".to_vec());
    layout.insert("noext", b"no extension".to_vec());
    layout.insert("sub/dir/config.json", br#"{"a": 1}"#.to_vec());
    layout.insert("weights.bin", random_bytes(150_000, 401));
    layout.insert("sub/shard.safetensors", random_bytes(120_000, 402));
    let py_dir = tempfile::tempdir().unwrap();
    let rs_dir = tempfile::tempdir().unwrap();
    for root in [py_dir.path(), rs_dir.path()] {
        for (p, d) in &layout {
            write_file(&root.join(p), d);
        }
        write_file(&root.join(".git/config"), b"[core]"); // never uploaded, no state
    }
    let (py_id, rs_id) = (repo("lf-py"), repo("lf-rs"));

    python_upload_large_folder(&server, &py_id, py_dir.path()).await;
    let status = c
        .upload_large_folder(&rs_id, RepoType::Model, rs_dir.path())
        .num_workers(2)
        .send()
        .await
        .unwrap();
    assert_eq!(status.committed_files, layout.len());

    // The same state files, by name: `.gitignore`, and `upload/<path>.metadata` plus
    // `upload/<path>.lock` for every uploaded file (no `.gitignore.lock`, no temp files).
    let py_state = hf_state_files(py_dir.path());
    let rs_state = hf_state_files(rs_dir.path());
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&rs_state), names(&py_state));
    let mut expected = vec![".gitignore".to_owned()];
    for p in layout.keys() {
        expected.push(format!("upload/{p}.lock"));
        expected.push(format!("upload/{p}.metadata"));
    }
    expected.sort();
    assert_eq!(names(&py_state), expected);
    // Same contents: lock files empty (same permissions), metadata equal but for the timestamp.
    for (name, py) in &py_state {
        let rs = &rs_state[name];
        if name.ends_with(".lock") {
            assert!(py.is_empty() && rs.is_empty(), "{name}");
            let rel = Path::new(".cache/huggingface").join(name);
            assert_eq!(
                file_mode(&rs_dir.path().join(&rel)),
                file_mode(&py_dir.path().join(&rel)),
                "{name}"
            );
        } else if name.ends_with(".metadata") {
            let (py, rs) = (
                String::from_utf8(py.clone()).unwrap(),
                String::from_utf8(rs.clone()).unwrap(),
            );
            let (pl, rl): (Vec<&str>, Vec<&str>) = (py.lines().collect(), rs.lines().collect());
            assert_eq!(pl.len(), 7, "{name}: {py:?}");
            assert!(py.ends_with('\n') && rs.ends_with('\n'));
            assert!(pl[0].parse::<f64>().is_ok() && rl[0].parse::<f64>().is_ok());
            assert_eq!(rl[1..], pl[1..], "{name}");
        } else {
            assert_eq!(rs, py, "{name}");
        }
    }

    // Python 0.26.5 resumes our folder: it trusts our state (committed files are not hashed or
    // saved again) and uploads only what was added since.
    let before = rs_state.clone();
    let commits = commit_count(&c, &rs_id, RepoType::Model, "main").await;
    let added = random_bytes(90_000, 403);
    write_file(&rs_dir.path().join("later/added.bin"), &added);
    python_upload_large_folder(&server, &rs_id, rs_dir.path()).await;
    let after = hf_state_files(rs_dir.path());
    for (name, content) in &before {
        assert_eq!(&after[name], content, "Python rewrote {name}");
    }
    let m = UploadMetadata::parse(
        std::str::from_utf8(&after["upload/later/added.bin.metadata"]).unwrap(),
    )
    .unwrap();
    assert!(m.is_committed);
    assert!(after.contains_key("upload/later/added.bin.lock"));
    assert_eq!(
        commit_count(&c, &rs_id, RepoType::Model, "main").await,
        commits + 1
    );
    assert_eq!(
        download(&c, &rs_id, RepoType::Model, "main", "later/added.bin").await,
        added
    );

    // And we resume Python's: nothing to hash, upload or commit; its files are left as they are.
    let status = c
        .upload_large_folder(&py_id, RepoType::Model, py_dir.path())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            status.hashed_this_run,
            status.uploaded_this_run,
            status.commits_this_run,
            status.committed_files
        ),
        (0, 0, 0, layout.len())
    );
    assert_eq!(hf_state_files(py_dir.path()), py_state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folder_waits_for_a_metadata_lock_held_by_python() {
    use std::io::BufRead as _;
    let server = TestServer::start();
    let c = client(server.url(), &server.tokens().write);
    let id = repo("lf-lock");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write_file(&root.join("sub/a.txt"), b"a");

    // Python takes the lock exactly as read_upload_metadata / save do, holds it 2 s, and prints
    // the time just before releasing it.
    let script = "import sys, time\nfrom pathlib import Path\nfrom huggingface_hub.utils import WeakFileLock\nfrom huggingface_hub._local_folder import get_local_upload_paths\np = get_local_upload_paths(Path(sys.argv[1]), 'sub/a.txt')\nprint(p.lock_path, flush=True)\nwith WeakFileLock(p.lock_path):\n    print('locked', flush=True)\n    time.sleep(2)\n    print(repr(time.time()), flush=True)\n";
    let home = tempfile::tempdir().unwrap();
    let mut child = python::command(Version::V026)
        .env("HF_HOME", home.path())
        .arg("-c")
        .arg(script)
        .arg(&root)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (py_lock, mut lines) = tokio::task::spawn_blocking(move || {
        let p = lines.next().unwrap().unwrap();
        assert_eq!(lines.next().unwrap().unwrap(), "locked");
        (p, lines)
    })
    .await
    .unwrap();
    assert_eq!(
        PathBuf::from(py_lock),
        hub_upload::large_folder::lock_path(&root, "sub/a.txt")
    );
    let locked_at = std::time::Instant::now();
    let status = c
        .upload_large_folder(&id, RepoType::Model, &root)
        .send()
        .await
        .unwrap();
    assert_eq!(status.committed_files, 1);
    assert!(locked_at.elapsed() >= Duration::from_millis(1500));
    let released: f64 = tokio::task::spawn_blocking(move || {
        let t = lines.next().unwrap().unwrap().parse().unwrap();
        assert!(child.wait().unwrap().success());
        t
    })
    .await
    .unwrap();
    // Every save happened after Python let go of the lock.
    let m =
        UploadMetadata::parse(&std::fs::read_to_string(metadata_path(&root, "sub/a.txt")).unwrap())
            .unwrap();
    assert!(m.is_committed);
    assert!(
        m.timestamp.unwrap() >= released,
        "{m:?} saved before {released}"
    );
}
