//! End-to-end tests of hub-fs against hub-server, with Python 0.26.5's `HfFileSystem` as the
//! referee:
//!
//! * resolution: a few hundred generated paths (prefixes, `@revision` spellings including
//!   `refs/pr/1`, quoted revisions and a branch with `/`, missing repositories and revisions,
//!   invalid ids, ids without a namespace such as `gpt2`) resolve to the same repository,
//!   revision, path and unresolved name, or fail with the same error class and reason;
//! * reading: `ls`, `info`, `glob`, `find`, `du`, `walk`, `cat_file` ranges and `exists` give
//!   the same answers as Python on a model (nested folders, LFS files, a PR and a branch with
//!   `/`), a dataset, a Space and canonical repositories; detailed `ls` and `info` entries
//!   match field by field, `last_commit` (oid, title, date) included;
//! * Parquet: hub-fs's arrow-rs example reads back, value by value, a file written with
//!   `ArrowWriter` and stored through `HfObjectStore`;
//! * writing: `pipe`, `put_file`, `cp_file` (server-side), `mv`, `rm -r` are one commit each,
//!   invalidate our cache, and Python reads back what we wrote;
//! * `HfFile`: random seeks and reads return the right bytes with read-ahead.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use hub_core::types::SpaceSdk;
use hub_core::{HubClient, RepoId, RepoType};
use hub_fs::{FsEntry, FsError, HfFileSystem, NotFoundReason};
use hub_tests::TestServer;
use hub_tests::python::Version;
use hub_tests::{random_bytes, sha256_hex};
use hub_upload::{CommitOperation, UploadExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

fn client(server: &TestServer) -> HubClient {
    HubClient::builder()
        .config(hub_core::Config::builder().endpoint(server.url()).build())
        .token(&server.tokens().write)
        .build()
        .unwrap()
}

const MODEL: &str = "alice/fs-model";
const DATA: &str = "alice/fs-data";
const SPACE: &str = "alice/fs-space";

/// The fixture repositories, made with hub-core/hub-upload directly (not through hub-fs).
async fn fixtures(c: &HubClient) -> BTreeMap<&'static str, Vec<u8>> {
    let api = c.api();
    let mut files = BTreeMap::new();
    files.insert("README.md", b"# fs model\n".to_vec());
    files.insert("a/e.txt", b"e text\n".to_vec());
    files.insert("a/b/c.txt", b"c text in a nested folder\n".to_vec());
    files.insert("a/b/d.bin", random_bytes(300_000, 1));
    files.insert("weights.safetensors", random_bytes(150_000, 2));
    let model = RepoId::new(MODEL).unwrap();
    api.create_repo(&model).send().await.unwrap();
    let ops = files
        .iter()
        .map(|(p, d)| CommitOperation::add_bytes(p, d.clone()).unwrap())
        .collect();
    c.create_commit(&model, ops)
        .commit_message("fixture")
        .send()
        .await
        .unwrap();
    api.create_branch(&model, "feat/x").send().await.unwrap();
    c.create_commit(
        &model,
        vec![CommitOperation::add_bytes("x-only.txt", b"on feat/x".to_vec()).unwrap()],
    )
    .revision("feat/x")
    .commit_message("branch file")
    .send()
    .await
    .unwrap();
    let pr = c
        .create_commit(
            &model,
            vec![CommitOperation::add_bytes("pr/file.txt", b"in the PR".to_vec()).unwrap()],
        )
        .create_pr(true)
        .commit_message("a PR")
        .send()
        .await
        .unwrap();
    assert!(pr.pr_url.unwrap().ends_with("/1"));

    let data = RepoId::new(DATA).unwrap();
    api.create_repo(&data)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    let ops = vec![
        CommitOperation::add_bytes("data/train/0.parquet", random_bytes(20_000, 3)).unwrap(),
        CommitOperation::add_bytes("data/test/0.parquet", random_bytes(10_000, 4)).unwrap(),
        CommitOperation::add_bytes("README.md", b"dataset".to_vec()).unwrap(),
    ];
    c.create_commit(&data, ops)
        .repo_type(RepoType::Dataset)
        .commit_message("data")
        .send()
        .await
        .unwrap();

    let space = RepoId::new(SPACE).unwrap();
    api.create_repo(&space)
        .repo_type(RepoType::Space)
        .space_sdk(SpaceSdk::Gradio)
        .send()
        .await
        .unwrap();
    c.create_commit(
        &space,
        vec![CommitOperation::add_bytes("app.py", b"print('hi')\n".to_vec()).unwrap()],
    )
    .repo_type(RepoType::Space)
    .commit_message("app")
    .send()
    .await
    .unwrap();
    files
}

/// Canonical repositories (ids without a namespace, like `gpt2`): model `fsgpt` and dataset
/// `fssquad`, created on the server's data dir (the API has no way to make them), each with a
/// file at the top and one in a folder.
async fn canonical_fixtures(server: &TestServer, c: &HubClient) {
    use hub_server::repo::RepoType as ServerType;
    // `add_canonical_repo` runs its own runtime, so it must not run on this one's thread.
    std::thread::scope(|s| {
        s.spawn(|| {
            server.add_canonical_repo(ServerType::Model, "fsgpt", "alice");
            server.add_canonical_repo(ServerType::Dataset, "fssquad", "alice");
        });
    });
    for (id, ty) in [("fsgpt", RepoType::Model), ("fssquad", RepoType::Dataset)] {
        let ops = vec![
            CommitOperation::add_bytes("config.json", b"{\"n_layer\": 12}\n".to_vec()).unwrap(),
            CommitOperation::add_bytes("a/b/c.txt", b"canonical c".to_vec()).unwrap(),
        ];
        c.create_commit(&RepoId::new(id).unwrap(), ops)
            .repo_type(ty)
            .commit_message("canonical")
            .send()
            .await
            .unwrap();
    }
}

fn entry_json(e: &FsEntry) -> Value {
    let mut v = json!({"name": e.name, "size": e.size, "type": e.kind.as_str()});
    if let Some(b) = &e.blob_id {
        v["blob_id"] = json!(b);
    }
    if let Some(l) = &e.lfs {
        v["lfs"] = json!({"size": l.size, "sha256": l.sha256, "pointer_size": l.pointer_size});
    }
    if let Some(c) = &e.last_commit {
        v["last_commit"] = json!({
            "oid": c.oid,
            "title": c.title,
            "date": c.date.map(|d| d.timestamp_micros()),
        });
    }
    v
}

/// Our error as the Python script reports one: exception class and reason.
fn error_json(e: &FsError) -> Value {
    match e {
        FsError::NotFound { reason, .. } => {
            let r = match reason {
                NotFoundReason::Repository => json!("repository not found"),
                NotFoundReason::Revision => json!("revision not found"),
                NotFoundReason::InvalidRepoId => json!("invalid repository id"),
                NotFoundReason::Path => Value::Null,
            };
            json!({"error": "FileNotFoundError", "reason": r})
        }
        FsError::RepoListing(_) => json!({"error": "NotImplementedError", "reason": null}),
        FsError::InvalidArgument(_) => json!({"error": "ValueError", "reason": null}),
        // Any other failure (an HTTP error): Python's script reports these as one class.
        _ => json!({"error": "Other", "reason": null}),
    }
}

fn answer<T>(r: Result<T, FsError>, f: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => f(v),
        Err(e) => error_json(&e),
    }
}

fn python(server: &TestServer, spec: &Value) -> Value {
    server.python_json_with(
        Version::V026,
        &format!(
            "import runpy; runpy.run_path({:?}, run_name='__main__')",
            hub_tests::repo_root()
                .join("tests/python/fs_ops.py")
                .display()
                .to_string()
        ),
        &[("HUBTEST_FS_SPEC", &spec.to_string())],
    )
}

fn compare(kind: &str, inputs: &[Value], ours: &[Value], theirs: &Value) {
    let theirs = theirs[kind].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "{kind}: answer count");
    let mut diffs = Vec::new();
    for ((input, o), t) in inputs.iter().zip(ours).zip(theirs) {
        if o != t {
            diffs.push(format!("{kind}({input}):\n  ours   {o}\n  python {t}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Paths built from every combination of prefix, repository, revision spelling and suffix.
fn generated_paths() -> Vec<String> {
    let prefixes = ["", "hf://"];
    let repos = [
        "alice/fs-model",
        "datasets/alice/fs-data",
        "spaces/alice/fs-space",
        "datasets/alice/fs-model",
        "alice/missing",
        "alice/bad..id",
        "alice",
        "datasets",
        // Ids without a namespace: existing canonical repos and a missing one.
        "fsgpt",
        "datasets/fssquad",
        "spaces/fsgpt",
        "nosuchrepo",
    ];
    let revisions = [
        "",
        "@main",
        "@refs/pr/1",
        "@refs%2Fpr%2F1",
        "@feat%2Fx",
        "@feat/x",
        "@nope",
        "@refs/pr/9",
        "@refs/convert/parquet",
    ];
    let suffixes = [
        "",
        "/",
        "/a",
        "/a/b/c.txt",
        "/pr/file.txt",
        "/x-only.txt",
        "/config.json",
    ];
    let mut out = Vec::new();
    for p in prefixes {
        for r in repos {
            for rev in revisions {
                for s in suffixes {
                    out.push(format!("{p}{r}{rev}{s}"));
                }
            }
        }
    }
    out
}

fn resolved_json(r: &hub_fs::ResolvedPath) -> Value {
    json!({
        "repo_type": r.repo_type.as_str(),
        "repo_id": r.repo_id.as_str(),
        "revision": r.revision,
        "path_in_repo": r.path_in_repo,
        "unresolve": r.unresolve(),
    })
}

#[tokio::test]
async fn resolve_and_read_like_python_slow() {
    let server = TestServer::start();
    let c = client(&server);
    let files = fixtures(&c).await;
    canonical_fixtures(&server, &c).await;
    let fs = HfFileSystem::new(c.clone());

    let resolve: Vec<Value> = generated_paths().into_iter().map(Value::from).collect();
    let ls: Vec<Value> = [
        "alice/fs-model",
        "alice/fs-model/a",
        "alice/fs-model/a/b",
        "alice/fs-model/a/b/d.bin",
        "alice/fs-model/a/missing",
        "alice/fs-model@refs/pr/1",
        "alice/fs-model@refs/pr/1/pr",
        "alice/fs-model@feat%2Fx",
        "datasets/alice/fs-data/data",
        "spaces/alice/fs-space",
        "hf://datasets/alice/fs-data/data/train/",
        "fsgpt",
        "hf://fsgpt/a/b",
        "datasets/fssquad/a",
    ]
    .map(Value::from)
    .to_vec();
    let info: Vec<Value> = [
        "alice/fs-model/a",
        "alice/fs-model/a/b/d.bin",
        "alice/fs-model/weights.safetensors",
        "alice/fs-model/README.md",
        "alice/fs-model/nope.txt",
        "alice/fs-model@feat%2Fx/x-only.txt",
        "alice/fs-model@refs/pr/1/pr/file.txt",
        "datasets/alice/fs-data/data/test/0.parquet",
        "alice/fs-model",
        "alice/fs-model@refs%2Fpr%2F1",
        "spaces/alice/fs-space/app.py",
        "fsgpt/config.json",
        "hf://fsgpt@main/a/b/c.txt",
        "datasets/fssquad/config.json",
        "fsgpt",
    ]
    .map(Value::from)
    .to_vec();
    let glob: Vec<Value> = [
        "alice/fs-model/*",
        "alice/fs-model/*.md",
        "alice/fs-model/**",
        "alice/fs-model/**/*.txt",
        "alice/fs-model/a/**/c.txt",
        "alice/fs-model/a/?/[cd].*",
        "alice/fs-model/a/b/c.txt",
        "alice/fs-model/nothing*",
        "datasets/alice/fs-data/**/*.parquet",
        "datasets/alice/fs-data/data/*/",
        "alice/fs-model@refs/pr/1/**",
        "alice/fs-model@feat%2Fx/*.txt",
    ]
    .map(Value::from)
    .to_vec();
    let find: Vec<Value> = vec![
        json!(["alice/fs-model", null, false]),
        json!(["alice/fs-model", null, true]),
        json!(["alice/fs-model", 1, false]),
        json!(["alice/fs-model", 2, true]),
        json!(["alice/fs-model/a", null, true]),
        json!(["alice/fs-model/a/b/c.txt", null, false]),
        json!(["alice/fs-model/missing", null, false]),
        json!(["datasets/alice/fs-data", null, false]),
        json!(["alice/fs-model@refs/pr/1", null, false]),
        json!(["fsgpt", null, true]),
        json!(["datasets/fssquad", null, false]),
    ];
    let du: Vec<Value> = [
        "alice/fs-model",
        "alice/fs-model/a",
        "datasets/alice/fs-data",
        "alice/fs-model/a/b/d.bin",
    ]
    .map(Value::from)
    .to_vec();
    let cat: Vec<Value> = vec![
        json!(["alice/fs-model/a/b/d.bin", null, null]),
        json!(["alice/fs-model/a/b/d.bin", 1000, 5000]),
        json!(["alice/fs-model/a/b/d.bin", -100, null]),
        json!(["alice/fs-model/a/b/d.bin", 10, -10]),
        json!(["alice/fs-model/a/b/d.bin", 5000, 1000]),
        json!(["alice/fs-model/a/b/d.bin", 299_990, 400_000]),
        json!(["alice/fs-model/README.md", 2, 4]),
        json!(["alice/fs-model@refs/pr/1/pr/file.txt", null, null]),
        json!(["fsgpt/config.json", null, null]),
        json!(["hf://datasets/fssquad/a/b/c.txt", 2, 7]),
    ];
    let walk: Vec<Value> = ["alice/fs-model", "datasets/alice/fs-data/data"]
        .map(Value::from)
        .to_vec();
    let exists: Vec<Value> = [
        "alice/fs-model/a",
        "alice/fs-model/a/b/c.txt",
        "alice/fs-model/zzz",
        "alice/missing/x",
        "alice/fs-model@nope/a",
    ]
    .map(Value::from)
    .to_vec();
    let modified: Vec<Value> = [
        "alice/fs-model/a/b/c.txt",
        "alice/fs-model@feat%2Fx/x-only.txt",
        "alice/fs-model@refs/pr/1/pr/file.txt",
    ]
    .map(Value::from)
    .to_vec();
    let spec = json!({
        "resolve": resolve, "ls": ls, "info": info, "glob": glob, "find": find, "du": du,
        "cat": cat, "walk": walk, "exists": exists, "modified": modified,
    });
    let py = python(&server, &spec);

    let mut ours = Vec::new();
    for p in &resolve {
        ours.push(answer(
            fs.resolve_path(p.as_str().unwrap(), None).await,
            |r| resolved_json(&r),
        ));
    }
    compare("resolve", &resolve, &ours, &py);
    assert!(resolve.len() > 800);
    // The canonical cases really resolve (agreeing with Python on failures alone would pass
    // too): `fsgpt/a` is tried as a repository first, then `fsgpt` is found.
    let r = fs.resolve_path("hf://fsgpt/a/b/c.txt", None).await.unwrap();
    assert_eq!(
        (
            r.repo_id.as_str(),
            r.path_in_repo.as_str(),
            r.revision.as_str()
        ),
        ("fsgpt", "a/b/c.txt", "main")
    );
    let r = fs
        .resolve_path("datasets/fssquad@main/config.json", None)
        .await
        .unwrap();
    assert_eq!(
        (r.repo_type, r.repo_id.as_str()),
        (RepoType::Dataset, "fssquad")
    );
    assert!(matches!(
        fs.resolve_path("nosuchrepo/config.json", None).await,
        Err(FsError::NotFound {
            reason: NotFoundReason::Repository,
            ..
        })
    ));
    // What resolution asks the server for a canonical id: the repository itself.
    let found = reqwest::Client::new()
        .get(format!("{}/api/models/fsgpt/revision/main", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), 200);
    assert_eq!(found.json::<Value>().await.unwrap()["id"], "fsgpt");

    let mut ours = Vec::new();
    for p in &ls {
        ours.push(answer(fs.ls(p.as_str().unwrap()).send().await, |mut v| {
            v.sort_by(|a, b| a.name.cmp(&b.name));
            Value::from(v.iter().map(entry_json).collect::<Vec<_>>())
        }));
    }
    compare("ls", &ls, &ours, &py);
    // LFS files are covered: the listing of a/b has one.
    assert!(
        ours[2]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.get("lfs").is_some()),
        "{}",
        ours[2]
    );
    // ... and so is last_commit: every entry of a detailed listing has one, with a date.
    let root_listing = ours[0].as_array().unwrap();
    assert!(!root_listing.is_empty());
    assert!(
        root_listing
            .iter()
            .all(|e| e["last_commit"]["date"].is_i64() && e["last_commit"]["oid"].is_string()),
        "{}",
        ours[0]
    );
    let titles: Vec<&Value> = root_listing
        .iter()
        .map(|e| &e["last_commit"]["title"])
        .collect();
    assert!(titles.contains(&&json!("initial commit")) && titles.contains(&&json!("fixture")));

    let mut ours = Vec::new();
    for p in &info {
        ours.push(answer(fs.info(p.as_str().unwrap(), true).await, |e| {
            entry_json(&e)
        }));
    }
    compare("info", &info, &ours, &py);

    let mut ours = Vec::new();
    for p in &glob {
        ours.push(answer(
            fs.glob(p.as_str().unwrap()).names().await,
            Value::from,
        ));
    }
    compare("glob", &glob, &ours, &py);

    let mut ours = Vec::new();
    for a in &find {
        let mut b = fs
            .find(a[0].as_str().unwrap())
            .withdirs(a[2].as_bool().unwrap());
        if let Some(d) = a[1].as_u64() {
            b = b.maxdepth(d as usize);
        }
        ours.push(answer(b.names().await, Value::from));
    }
    compare("find", &find, &ours, &py);

    let mut ours = Vec::new();
    for p in &du {
        ours.push(answer(fs.du(p.as_str().unwrap()).send().await, Value::from));
    }
    compare("du", &du, &ours, &py);

    let mut ours = Vec::new();
    for a in &cat {
        let r = fs
            .cat_file(a[0].as_str().unwrap(), a[1].as_i64(), a[2].as_i64())
            .await;
        ours.push(answer(r, |b| Value::from(sha256_hex(&b))));
    }
    compare("cat", &cat, &ours, &py);
    assert_eq!(ours[0], json!(sha256_hex(&files["a/b/d.bin"])));
    assert_eq!(ours[1], json!(sha256_hex(&files["a/b/d.bin"][1000..5000])));

    let mut ours = Vec::new();
    for p in &walk {
        ours.push(answer(
            fs.walk(p.as_str().unwrap()).collect().await,
            |levels| {
                let base = |n: &str| n.rsplit('/').next().unwrap_or("").to_owned();
                Value::from(
                    levels
                        .iter()
                        .map(|l| {
                            let mut d: Vec<String> = l.dirs.iter().map(|e| base(&e.name)).collect();
                            let mut f: Vec<String> =
                                l.files.iter().map(|e| base(&e.name)).collect();
                            d.sort();
                            f.sort();
                            json!([l.path, d, f])
                        })
                        .collect::<Vec<_>>(),
                )
            },
        ));
    }
    compare("walk", &walk, &ours, &py);

    let mut ours = Vec::new();
    for p in &exists {
        ours.push(Value::from(fs.exists(p.as_str().unwrap()).await.unwrap()));
    }
    compare("exists", &exists, &ours, &py);

    let mut ours = Vec::new();
    for p in &modified {
        let d = fs.modified(p.as_str().unwrap()).await.unwrap().unwrap();
        ours.push(Value::from(d.timestamp()));
    }
    compare("modified", &modified, &ours, &py);
}

#[tokio::test]
async fn writes_are_single_commits_and_python_reads_them_back() {
    let server = TestServer::start();
    let c = client(&server);
    fixtures(&c).await;
    let fs = HfFileSystem::new(c.clone());
    let model = RepoId::new(MODEL).unwrap();
    let commits = |c: HubClient| async move {
        use futures::TryStreamExt;
        let v: Vec<_> = c
            .api()
            .list_repo_commits(&RepoId::new(MODEL).unwrap())
            .send()
            .try_collect()
            .await
            .unwrap();
        v.len()
    };

    // Fill the cache, then write: the listing must show the new file without a refresh.
    assert!(!fs.exists("alice/fs-model/new/piped.txt").await.unwrap());
    let before = commits(c.clone()).await;
    fs.pipe("alice/fs-model/new/piped.txt", b"piped bytes".to_vec())
        .commit_message("pipe it")
        .send()
        .await
        .unwrap();
    assert_eq!(commits(c.clone()).await, before + 1);
    assert!(fs.exists("alice/fs-model/new/piped.txt").await.unwrap());
    assert_eq!(
        fs.ls("alice/fs-model/new").names().await.unwrap(),
        vec!["alice/fs-model/new/piped.txt"]
    );

    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local.bin");
    let big = random_bytes(200_000, 9);
    std::fs::write(&local, &big).unwrap();
    fs.put_file(&local, "alice/fs-model/new/put.bin")
        .send()
        .await
        .unwrap();

    // Server-side copy of an LFS file, then a move: one commit each.
    let before = commits(c.clone()).await;
    fs.cp_file("alice/fs-model/a/b/d.bin", "alice/fs-model/copy/d.bin")
        .send()
        .await
        .unwrap();
    fs.mv("alice/fs-model/new/piped.txt", "alice/fs-model/moved.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(commits(c.clone()).await, before + 2);
    assert!(!fs.exists("alice/fs-model/new/piped.txt").await.unwrap());
    let copy = fs.info("alice/fs-model/copy/d.bin", false).await.unwrap();
    let orig = fs.info("alice/fs-model/a/b/d.bin", false).await.unwrap();
    assert_eq!(copy.lfs, orig.lfs);
    assert!(copy.lfs.is_some());

    // rm of a folder needs recursive; with it, one commit removes everything below.
    let e = fs.rm("alice/fs-model/a").send().await.unwrap_err();
    assert!(matches!(e, FsError::WrongKind { .. }), "{e}");
    let before = commits(c.clone()).await;
    fs.rm("alice/fs-model/a")
        .recursive(true)
        .send()
        .await
        .unwrap();
    assert_eq!(commits(c.clone()).await, before + 1);
    assert!(!fs.exists("alice/fs-model/a/b/c.txt").await.unwrap());
    assert!(!fs.isdir("alice/fs-model/a").await.unwrap());
    fs.mkdir("alice/fs-model/empty").await.unwrap();
    let e = fs
        .rm("alice/fs-model/nothing.txt")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");

    // Python sees exactly what we wrote.
    let py = server.python_json(
        Version::V026,
        &format!(
            r#"
import hashlib, json
from huggingface_hub import HfFileSystem
fs = HfFileSystem()
out = {{
  "files": fs.find("{MODEL}"),
  "moved": fs.cat_file("{MODEL}/moved.txt").decode(),
  "put": hashlib.sha256(fs.cat_file("{MODEL}/new/put.bin")).hexdigest(),
  "copy": hashlib.sha256(fs.cat_file("{MODEL}/copy/d.bin")).hexdigest(),
}}
print(json.dumps(out))
"#
        ),
    );
    assert_eq!(py["moved"], "piped bytes");
    assert_eq!(py["put"], sha256_hex(&big));
    assert_eq!(py["copy"], sha256_hex(&random_bytes(300_000, 1)));
    let ours = fs.find(MODEL).names().await.unwrap();
    assert_eq!(py["files"], json!(ours));
    assert!(!ours.iter().any(|n| n.starts_with("alice/fs-model/a/")));
    let _ = model;
}

#[tokio::test]
async fn open_reads_ranges_with_read_ahead() {
    let server = TestServer::start();
    let c = client(&server);
    let files = fixtures(&c).await;
    let fs = HfFileSystem::new(c);
    let data = &files["a/b/d.bin"];
    let mut f = fs
        .open_with_block_size("alice/fs-model/a/b/d.bin", 64 * 1024)
        .await
        .unwrap();
    assert_eq!(f.size(), data.len() as u64);
    let mut rng_state = 7u64;
    for _ in 0..50 {
        rng_state = rng_state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let off = (rng_state >> 33) % (data.len() as u64);
        let len = ((rng_state >> 20) % 5000) as usize;
        f.seek(std::io::SeekFrom::Start(off)).await.unwrap();
        let mut buf = vec![0u8; len];
        let n = f.read(&mut buf).await.unwrap();
        let end = (off as usize + len).min(data.len());
        assert!(n > 0 || off as usize == data.len());
        assert_eq!(&buf[..n], &data[off as usize..off as usize + n]);
        assert!(off as usize + n <= end);
    }
    f.seek(std::io::SeekFrom::End(-10)).await.unwrap();
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).await.unwrap();
    assert_eq!(tail, data[data.len() - 10..]);
    f.seek(std::io::SeekFrom::Start(0)).await.unwrap();
    let mut all = Vec::new();
    f.read_to_end(&mut all).await.unwrap();
    assert_eq!(&all, data);
    assert!(fs.open("alice/fs-model/a").await.is_err());
}

#[tokio::test]
async fn listings_are_cached_per_revision() {
    let mut server = TestServer::start();
    let c = HubClient::builder()
        .config(hub_core::Config::builder().endpoint(server.url()).build())
        .token(&server.tokens().write)
        .retry_policy(hub_core::RetryPolicy::none())
        .build()
        .unwrap();
    let files = fixtures(&c).await;
    let fs = HfFileSystem::new(c);
    let all = fs.find(MODEL).withdirs(true).names().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs.get_file("alice/fs-model/a/b/d.bin", dir.path().join("x/d.bin"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("x/d.bin")).unwrap(),
        files["a/b/d.bin"]
    );

    // From now on every request fails: only cached answers can be given.
    server.restart_with_chaos(Some("error=1"));
    assert_eq!(
        fs.find(MODEL).withdirs(true).names().await.unwrap(),
        all,
        "find again"
    );
    // ls with details needs last_commit, which the cheap listing of find did not fetch.
    assert!(fs.ls("alice/fs-model/a/b").send().await.is_err());
    let names = fs
        .ls("alice/fs-model/a/b")
        .detail(false)
        .names()
        .await
        .unwrap();
    assert_eq!(
        names,
        ["alice/fs-model/a/b/c.txt", "alice/fs-model/a/b/d.bin"]
    );
    assert!(fs.isdir("alice/fs-model/a/b").await.unwrap());
    assert!(fs.isfile("alice/fs-model/a/e.txt").await.unwrap());
    assert!(!fs.exists("alice/fs-model/a/zzz").await.unwrap());
    assert_eq!(
        fs.glob("alice/fs-model/**/*.txt").names().await.unwrap(),
        ["alice/fs-model/a/b/c.txt", "alice/fs-model/a/e.txt"]
    );
    assert_eq!(
        fs.du("alice/fs-model/a").send().await.unwrap(),
        300_000 + 7 + 26
    );
    // Another revision was never listed: it needs the (failing) server.
    assert!(
        fs.ls("alice/fs-model@feat%2Fx")
            .detail(false)
            .names()
            .await
            .is_err()
    );

    // After invalidate_cache, the failing server is asked again.
    fs.invalidate_cache();
    assert!(fs.isdir("alice/fs-model/a/b").await.is_err());
}

/// 1,000 random 64 KiB ranges of a 32 MiB LFS file, through `cat_file` and through `HfFile`,
/// against Python's `HfFileSystem.cat_file` on the same server; prints the times and checks
/// every range's bytes.
#[tokio::test]
async fn random_range_reads_against_python_slow() {
    let server = TestServer::start();
    let c = client(&server);
    let repo = RepoId::new("alice/fs-bench").unwrap();
    c.api().create_repo(&repo).send().await.unwrap();
    let size = 32 * 1024 * 1024;
    let data = random_bytes(size, 11);
    c.create_commit(
        &repo,
        vec![CommitOperation::add_bytes("big.bin", data.clone()).unwrap()],
    )
    .commit_message("big")
    .send()
    .await
    .unwrap();
    let mut offsets = Vec::new();
    let mut state = 12345u64;
    for _ in 0..1000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        offsets.push((state >> 16) % (size as u64 - 65536));
    }
    let fs = HfFileSystem::new(c);
    let path = "alice/fs-bench/big.bin";
    fs.info(path, false).await.unwrap();
    let t = std::time::Instant::now();
    for &o in &offsets {
        let b = fs
            .cat_file(path, Some(o as i64), Some(o as i64 + 65536))
            .await
            .unwrap();
        assert_eq!(&b[..], &data[o as usize..o as usize + 65536]);
    }
    let ours = t.elapsed().as_secs_f64();
    let mut f = fs.open_with_block_size(path, 65536).await.unwrap();
    let t = std::time::Instant::now();
    let mut buf = vec![0u8; 65536];
    for &o in &offsets {
        f.seek(std::io::SeekFrom::Start(o)).await.unwrap();
        f.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf[..], &data[o as usize..o as usize + 65536]);
    }
    let ours_file = t.elapsed().as_secs_f64();
    let py = server.python_json(
        Version::V026,
        &format!(
            r#"
import json, time
from huggingface_hub import HfFileSystem
fs = HfFileSystem()
offsets = {offsets:?}
fs.info("{path}")
t = time.perf_counter()
n = 0
for o in offsets:
    n += len(fs.cat_file("{path}", start=o, end=o + 65536))
print(json.dumps({{"seconds": time.perf_counter() - t, "bytes": n}}))
"#
        ),
    );
    assert_eq!(py["bytes"], json!(1000 * 65536));
    let py_s = py["seconds"].as_f64().unwrap();
    println!(
        "1000 random 64 KiB reads of a 32 MiB file: hub-fs cat_file {ours:.3}s, hub-fs HfFile {ours_file:.3}s, Python HfFileSystem.cat_file {py_s:.3}s (Python/Rust {:.2}x)",
        py_s / ours
    );
}

fn safetensors_file(tensors: &[(&str, &str, &[u64])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), json!({"format": "pt"}));
    let mut off = 0u64;
    for (name, dtype, shape) in tensors {
        let n: u64 = shape.iter().product::<u64>() * 2;
        header.insert(
            (*name).into(),
            json!({"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}),
        );
        off += n;
    }
    let h = Value::Object(header).to_string();
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend(random_bytes(off as usize, 5));
    out
}

#[tokio::test]
async fn safetensors_metadata_like_python() {
    let server = TestServer::start();
    let c = client(&server);
    let sharded = RepoId::new("alice/fs-sharded").unwrap();
    let single = RepoId::new("alice/fs-single").unwrap();
    for r in [&sharded, &single] {
        c.api().create_repo(r).send().await.unwrap();
    }
    let s1 = safetensors_file(&[("a.weight", "F16", &[64, 32]), ("a.bias", "F16", &[64])]);
    let s2 = safetensors_file(&[("b.weight", "BF16", &[16, 16, 4]), ("c", "F16", &[])]);
    let index = json!({
        "metadata": {"total_size": 12345},
        "weight_map": {
            "a.weight": "model-00001-of-00002.safetensors",
            "a.bias": "model-00001-of-00002.safetensors",
            "b.weight": "model-00002-of-00002.safetensors",
            "c": "model-00002-of-00002.safetensors",
        }
    });
    let ops = vec![
        CommitOperation::add_bytes("model-00001-of-00002.safetensors", s1.clone()).unwrap(),
        CommitOperation::add_bytes("model-00002-of-00002.safetensors", s2).unwrap(),
        CommitOperation::add_bytes(
            "model.safetensors.index.json",
            index.to_string().into_bytes(),
        )
        .unwrap(),
    ];
    c.create_commit(&sharded, ops)
        .commit_message("shards")
        .send()
        .await
        .unwrap();
    c.create_commit(
        &single,
        vec![CommitOperation::add_bytes("model.safetensors", s1).unwrap()],
    )
    .commit_message("single")
    .send()
    .await
    .unwrap();

    let fs = HfFileSystem::new(c);
    let py = server.python_json(
        Version::V026,
        r#"
import json
from huggingface_hub import HfApi
api = HfApi()
out = {}
for repo in ["alice/fs-sharded", "alice/fs-single"]:
    m = api.get_safetensors_metadata(repo)
    out[repo] = {
        "sharded": m.sharded,
        "metadata": m.metadata,
        "weight_map": m.weight_map,
        "parameter_count": m.parameter_count,
        "files": {f: {k: [t.dtype, t.shape, list(t.data_offsets)] for k, t in fm.tensors.items()} for f, fm in m.files_metadata.items()},
    }
print(json.dumps(out))
"#,
    );
    for repo in ["alice/fs-sharded", "alice/fs-single"] {
        let m = fs.safetensors_metadata(repo).await.unwrap();
        let files: BTreeMap<_, _> = m
            .files_metadata
            .iter()
            .map(|(f, fm)| {
                let t: BTreeMap<_, _> = fm
                    .tensors
                    .iter()
                    .map(|(k, t)| {
                        (
                            k.clone(),
                            json!([t.dtype, t.shape, [t.data_offsets.0, t.data_offsets.1]]),
                        )
                    })
                    .collect();
                (f.clone(), t)
            })
            .collect();
        let ours = json!({
            "sharded": m.sharded,
            "metadata": m.metadata,
            "weight_map": m.weight_map,
            "parameter_count": m.parameter_count(),
            "files": files,
        });
        assert_eq!(ours, py[repo], "{repo}");
    }
    assert_eq!(
        fs.safetensors_metadata("alice/fs-sharded")
            .await
            .unwrap()
            .parameter_count(),
        BTreeMap::from([
            ("BF16".to_owned(), 1024),
            ("F16".to_owned(), 64 * 32 + 64 + 1)
        ])
    );
    assert!(fs.safetensors_metadata("alice/fs-nothing").await.is_err());
}

#[test]
fn shard_plans_and_index_json_like_python() {
    use hub_fs::shards::{TensorSize, split_state_dict_into_shards};
    // Deterministic pseudo-random state dicts: sizes around the limit, shared storages,
    // names needing JSON escapes.
    let mut state = 99u64;
    let mut next = |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let mut cases = Vec::new();
    for case in 0..60 {
        let n = next(12) as usize;
        let limit = 50 + next(200);
        let tensors: Vec<TensorSize> = (0..n)
            .map(|i| TensorSize {
                name: if i % 5 == 4 {
                    format!("layer.{i}.é\"w")
                } else {
                    format!("layer.{i}.weight")
                },
                size: next(limit * 2),
                storage_id: (next(4) == 0).then(|| format!("s{}", next(3))),
            })
            .collect();
        cases.push((case, tensors, limit));
    }
    let spec: Vec<Value> = cases
        .iter()
        .map(|(_, t, limit)| {
            json!({
                "limit": limit,
                "tensors": t.iter().map(|x| json!([x.name, x.size, x.storage_id])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let py = hub_tests::python::run_json(
        Version::V026,
        r#"
import json, os
from huggingface_hub import split_state_dict_into_shards_factory
out = []
for case in json.loads(os.environ["HUBTEST_CASES"]):
    sd = {name: {"size": size, "sid": sid} for name, size, sid in case["tensors"]}
    split = split_state_dict_into_shards_factory(
        sd,
        get_storage_size=lambda t: t["size"],
        get_storage_id=lambda t: t["sid"],
        filename_pattern="model{suffix}.safetensors",
        max_shard_size=case["limit"],
    )
    index = {"metadata": {**split.metadata, "format": "pt"}, "weight_map": split.tensor_to_filename}
    out.append({
        "files": [[f, t] for f, t in split.filename_to_tensors.items()],
        "weight_map": [[t, f] for t, f in split.tensor_to_filename.items()],
        "total": split.metadata["total_size"],
        "sharded": split.is_sharded,
        "index": json.dumps(index, indent=2),
    })
print(json.dumps({"cases": out}))
"#,
        &[("HUBTEST_CASES", &Value::from(spec).to_string())],
    );
    let theirs = py["cases"].as_array().unwrap();
    assert_eq!(theirs.len(), cases.len());
    let mut sharded = 0;
    for ((case, tensors, limit), t) in cases.iter().zip(theirs) {
        let p = split_state_dict_into_shards(tensors, "model{suffix}.safetensors", *limit).unwrap();
        sharded += usize::from(p.is_sharded());
        let ours = json!({
            "files": p.filename_to_tensors.iter().map(|(f, v)| json!([f, v])).collect::<Vec<_>>(),
            "weight_map": p.tensor_to_filename.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
            "total": p.total_size,
            "sharded": p.is_sharded(),
            "index": p.index_json(&[("format".to_owned(), json!("pt"))]),
        });
        assert_eq!(&ours, t, "case {case}: {tensors:?} limit {limit}");
    }
    assert!(sharded > 20, "the cases must exercise sharding ({sharded})");
}

#[tokio::test]
async fn object_store_conformance() {
    use futures::TryStreamExt;
    use object_store::path::Path;
    use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};

    let server = TestServer::start();
    let c = client(&server);
    fixtures(&c).await;
    let fs = HfFileSystem::new(c);
    let store = hub_fs::HfObjectStore::new(fs.clone(), "datasets/alice/fs-data")
        .await
        .unwrap();
    assert_eq!(
        store.to_string(),
        "HfObjectStore(hf://datasets/alice/fs-data)"
    );
    assert!(
        hub_fs::HfObjectStore::new(fs.clone(), "datasets/alice/fs-data/data")
            .await
            .is_err()
    );

    // list and list_with_delimiter agree with the file system.
    let mut listed: Vec<String> = store
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    listed.sort();
    let expected: Vec<String> = fs
        .find("datasets/alice/fs-data")
        .names()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.trim_start_matches("datasets/alice/fs-data/").to_owned())
        .collect();
    assert_eq!(listed, expected);
    assert!(listed.contains(&"data/train/0.parquet".to_owned()));
    let under: Vec<String> = store
        .list(Some(&Path::from("data/train")))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(under, ["data/train/0.parquet"]);
    let d = store
        .list_with_delimiter(Some(&Path::from("data")))
        .await
        .unwrap();
    let mut prefixes: Vec<String> = d.common_prefixes.iter().map(|p| p.to_string()).collect();
    prefixes.sort();
    assert_eq!(prefixes, ["data/test", "data/train"]);
    assert!(d.objects.is_empty());
    let root = store.list_with_delimiter(None).await.unwrap();
    assert!(
        root.objects
            .iter()
            .any(|o| o.location.as_ref() == "README.md")
    );
    assert!(
        store
            .list(Some(&Path::from("nowhere")))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );

    // put / get / ranges / head
    let body = random_bytes(70_000, 21);
    let p = Path::from("new/object.bin");
    store.put(&p, PutPayload::from(body.clone())).await.unwrap();
    let got = store.get(&p).await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], &body[..]);
    assert_eq!(
        &store.get_range(&p, 100..2100).await.unwrap()[..],
        &body[100..2100]
    );
    let ranges = store
        .get_ranges(&p, &[0..10, 50_000..60_000, 69_990..70_000])
        .await
        .unwrap();
    assert_eq!(&ranges[1][..], &body[50_000..60_000]);
    assert_eq!(&ranges[2][..], &body[69_990..]);
    let head = store.head(&p).await.unwrap();
    assert_eq!(head.size, 70_000);
    assert!(head.e_tag.is_some());
    assert!(head.last_modified.timestamp() > 0);
    let e = store
        .put_opts(&p, PutPayload::from_static(b"x"), PutMode::Create.into())
        .await
        .unwrap_err();
    assert!(
        matches!(e, object_store::Error::AlreadyExists { .. }),
        "{e}"
    );
    let e = store.get(&Path::from("missing.bin")).await.unwrap_err();
    assert!(matches!(e, object_store::Error::NotFound { .. }), "{e}");

    // copy (server side), copy_if_not_exists, rename, delete
    let q = Path::from("copy/object.bin");
    store.copy(&p, &q).await.unwrap();
    assert_eq!(
        &store.get(&q).await.unwrap().bytes().await.unwrap()[..],
        &body[..]
    );
    let e = store.copy_if_not_exists(&p, &q).await.unwrap_err();
    assert!(
        matches!(e, object_store::Error::AlreadyExists { .. }),
        "{e}"
    );
    let r = Path::from("renamed.bin");
    store.rename(&q, &r).await.unwrap();
    assert!(matches!(
        store.head(&q).await.unwrap_err(),
        object_store::Error::NotFound { .. }
    ));
    store.delete(&r).await.unwrap();
    assert!(store.head(&r).await.is_err());

    // multipart
    let m = Path::from("multi/parts.bin");
    let mut up = store.put_multipart(&m).await.unwrap();
    for i in 0..3u64 {
        up.put_part(PutPayload::from(random_bytes(10_000, 30 + i)))
            .await
            .unwrap();
    }
    up.complete().await.unwrap();
    let mut expected = Vec::new();
    for i in 0..3u64 {
        expected.extend(random_bytes(10_000, 30 + i));
    }
    assert_eq!(
        &store.get(&m).await.unwrap().bytes().await.unwrap()[..],
        &expected[..]
    );

    // Python reads what the store wrote.
    let py = server.python_json(
        Version::V026,
        r#"
import hashlib, json
from huggingface_hub import HfFileSystem
fs = HfFileSystem()
print(json.dumps({"sha": hashlib.sha256(fs.cat_file("datasets/alice/fs-data/multi/parts.bin")).hexdigest(),
                  "renamed": fs.exists("datasets/alice/fs-data/renamed.bin")}))
"#,
    );
    assert_eq!(py["sha"], sha256_hex(&expected));
    assert_eq!(py["renamed"], false);
}

#[test]
fn blocking_read_seek_adapter() {
    use std::io::{Read, Seek, SeekFrom};
    let server = TestServer::start();
    let files = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(fixtures(&client(&server)))
    };
    let data = &files["weights.safetensors"];
    // A fresh file system: its connections are opened on the blocking file's runtime thread.
    let fs = HfFileSystem::new(client(&server));
    let mut f =
        hub_fs::BlockingHfFile::open(&fs, "alice/fs-model/weights.safetensors", 16 * 1024).unwrap();
    assert_eq!(f.size(), data.len() as u64);
    f.seek(SeekFrom::Start(100_000)).unwrap();
    let mut buf = vec![0u8; 30_000];
    f.read_exact(&mut buf).unwrap();
    assert_eq!(buf, data[100_000..130_000]);
    f.seek(SeekFrom::End(-5)).unwrap();
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, data[data.len() - 5..]);
    assert!(hub_fs::BlockingHfFile::open(&fs, "alice/fs-model/none.bin", 1024).is_err());
}

#[tokio::test]
async fn open_for_writing_commits_once() {
    use futures::TryStreamExt;
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start();
    let c = client(&server);
    fixtures(&c).await;
    let fs = HfFileSystem::new(c.clone());
    let e = fs.open_write("alice/nope/file.txt").await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let mut w = fs.open_write("alice/fs-model/written/w.bin").await.unwrap();
    let mut expected = Vec::new();
    for i in 0..4u64 {
        let chunk = random_bytes(50_000, 40 + i);
        w.write_all(&chunk).await.unwrap();
        expected.extend(chunk);
    }
    // Nothing is committed before `commit`.
    assert!(!fs.exists("alice/fs-model/written/w.bin").await.unwrap());
    w.commit_message("written through HfWriter")
        .commit()
        .await
        .unwrap();
    let titles: Vec<String> = c
        .api()
        .list_repo_commits(&RepoId::new(MODEL).unwrap())
        .send()
        .map_ok(|x| x.title)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(titles[0], "written through HfWriter");
    let py = server.python_json(
        Version::V026,
        r#"
import hashlib, json
from huggingface_hub import HfFileSystem
print(json.dumps({"sha": hashlib.sha256(HfFileSystem().cat_file("alice/fs-model/written/w.bin")).hexdigest()}))
"#,
    );
    assert_eq!(py["sha"], sha256_hex(&expected));
}

// hub-fs's Parquet example, compiled here as a module so its reader is tested end to end.
#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/hub-fs/examples/parquet.rs"]
mod parquet_example;

#[tokio::test]
async fn parquet_example_reads_a_dataset_file_through_the_object_store() {
    use std::sync::Arc;

    use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
    use object_store::path::Path;
    use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    let server = TestServer::start();
    let c = client(&server);
    c.api()
        .create_repo(&RepoId::new("alice/pq").unwrap())
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    let fs = HfFileSystem::new(c);
    let store = hub_fs::HfObjectStore::new(fs.clone(), "datasets/alice/pq")
        .await
        .unwrap();

    // 25,000 rows in row groups of 4,000, so the reader fetches several column chunks.
    let rows = 25_000i64;
    let ids = Int64Array::from_iter_values(0..rows);
    let names = StringArray::from_iter_values((0..rows).map(|i| format!("row {i}")));
    let scores = Float64Array::from_iter_values((0..rows).map(|i| i as f64 / 8.0));
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(ids) as Arc<dyn Array>),
        ("name", Arc::new(names) as Arc<dyn Array>),
        ("score", Arc::new(scores) as Arc<dyn Array>),
    ])
    .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(4_000))
        .build();
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    store
        .put(
            &Path::from("data/train.parquet"),
            PutPayload::from(file.clone()),
        )
        .await
        .unwrap();

    let store: Arc<dyn ObjectStore> = Arc::new(store);
    let batches = parquet_example::read_parquet(store.clone(), "data/train.parquet")
        .await
        .unwrap();
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        25_000
    );
    assert_eq!(batches[0].schema(), batch.schema());
    // Every value, in order, across the record batches.
    let mut next = 0i64;
    for b in &batches {
        let id = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        let name = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        let score = b.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
        for i in 0..b.num_rows() {
            assert_eq!(id.value(i), next);
            assert_eq!(name.value(i), format!("row {next}"));
            assert_eq!(score.value(i), next as f64 / 8.0);
            next += 1;
        }
    }
    // The bytes the reader saw are the bytes we wrote (read back through hub-fs itself).
    assert_eq!(
        fs.cat("datasets/alice/pq/data/train.parquet")
            .await
            .unwrap(),
        file
    );
    // A missing file is the store's NotFound, surfaced through the Parquet error.
    let err = parquet_example::read_parquet(store, "data/missing.parquet")
        .await
        .unwrap_err();
    assert!(
        err.downcast_ref::<object_store::Error>()
            .is_some_and(|e| matches!(e, object_store::Error::NotFound { .. })),
        "{err}"
    );
}
