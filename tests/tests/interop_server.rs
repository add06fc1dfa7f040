//! Interop: the pinned Python clients (huggingface_hub 0.26.5 and 2.4.0) against hub-server.
//!
//! The Python client is the referee of the wire protocol: every scenario group below runs one
//! Python process per client version (scripts in `tests/python/`), which asserts as it goes and
//! prints one JSON line of facts; the Rust side then checks those facts again against what it
//! knows independently — the bytes it wrote as inputs, their sha256 and git blob ids, and the
//! server's raw HTTP answers.
//!
//! Needs the venvs from `cargo xtask venv` (`cargo xtask test` creates them).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hub_tests::python::Version;
use hub_tests::{
    ALICE, ORG, TestServer, git_blob_sha1, random_bytes, sha256_hex, unique_name, write_file,
};
use serde_json::Value;

fn script(name: &str) -> String {
    let path = hub_tests::repo_root()
        .join("tests")
        .join("python")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Asserts that `out[key]` records a raised Python exception of class `class` (or a subclass
/// name ending like it, e.g. 2.x's `RemoteEntryNotFoundError` for `EntryNotFoundError`).
#[track_caller]
fn assert_raised(out: &Value, key: &str, class: &str) {
    let ty = out[key]["type"]
        .as_str()
        .unwrap_or_else(|| panic!("{key}: no error recorded in {}", out[key]));
    assert!(
        ty.ends_with(class),
        "{key}: expected {class}, got {ty} ({})",
        out[key]
    );
}

/// Asserts that `out[key]` records an HTTP error with the given status.
#[track_caller]
fn assert_status(out: &Value, key: &str, status: u64) {
    assert_eq!(
        out[key]["status"].as_u64(),
        Some(status),
        "{key}: {}",
        out[key]
    );
}

/// Asserts that `out[key]` records an HTTP client error (4xx).
#[track_caller]
fn assert_4xx(out: &Value, key: &str) {
    let s = out[key]["status"]
        .as_u64()
        .unwrap_or_else(|| panic!("{key}: no status in {}", out[key]));
    assert!((400..500).contains(&s), "{key}: expected 4xx, got {s}");
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("expected strings in {v}"))
                .to_string()
        })
        .collect()
}

fn read(path: &Value) -> Vec<u8> {
    let p = path
        .as_str()
        .unwrap_or_else(|| panic!("expected a path, got {path}"));
    std::fs::read(p).unwrap_or_else(|e| panic!("reading downloaded file {p}: {e}"))
}

struct Work {
    dir: tempfile::TempDir,
    prefix: String,
}

impl Work {
    fn new(group: &str) -> Work {
        Work {
            dir: tempfile::tempdir().unwrap(),
            prefix: unique_name(group),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn input(&self, name: &str) -> PathBuf {
        self.dir.path().join("input").join(name)
    }

    fn run(
        &self,
        server: &TestServer,
        v: Version,
        script_name: &str,
        extra: &[(&str, &str)],
    ) -> Value {
        let work = self.path().to_str().unwrap().to_string();
        let mut envs: Vec<(&str, &str)> = vec![
            ("HUBTEST_NS", ALICE),
            ("HUBTEST_ORG", ORG),
            ("HUBTEST_PREFIX", &self.prefix),
            ("HUBTEST_WORK", &work),
            ("HUBTEST_BOB_TOKEN", &server.tokens().bob),
            ("HUBTEST_READ_TOKEN", &server.tokens().read),
        ];
        envs.extend_from_slice(extra);
        let out = server.python_json_with(v, &script(script_name), &envs);
        assert_eq!(
            out["huggingface_hub"],
            v.hub_version(),
            "ran the wrong venv"
        );
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Repository CRUD, visibility, listing + pagination, typed errors, move, delete.
// ---------------------------------------------------------------------------------------------

fn repos(v: Version) {
    // A tiny page size makes list_models follow several `Link: rel="next"` pages.
    let server = TestServer::builder().page_size(2).start();
    let work = Work::new("repos");
    let out = work.run(&server, v, "repos.py", &[]);
    let p = &work.prefix;
    let url = server.url();

    assert_eq!(
        out["whoami"],
        serde_json::json!({"name": ALICE, "orgs": [ORG]})
    );
    assert_eq!(out["whoami_read_role"], "read");
    assert!(
        out["whoami_invalid_token"].is_string(),
        "whoami with an unknown token fails"
    );
    assert_eq!(out["repo_exists"], serde_json::json!([true, false]));
    assert_eq!(out["revision_exists"], serde_json::json!([true, false]));
    assert_eq!(out["file_exists"], serde_json::json!([true, false]));
    assert_eq!(out["model_url"], format!("{url}/{ALICE}/{p}-model"));
    assert_eq!(out["model_repo_id"], format!("{ALICE}/{p}-model"));
    assert_status(&out, "duplicate_create", 409);
    assert!(strings(&out["fresh_files"]).contains(&".gitattributes".to_string()));
    assert_eq!(
        out["fresh_commits"], 1,
        "a new repo starts with one initial commit"
    );
    assert_eq!(out["model_private"], false);
    assert_eq!(out["dataset_id"], format!("{ALICE}/{p}-dataset"));
    assert_eq!(out["space_id"], format!("{ALICE}/{p}-space"));
    assert_eq!(out["space_sdk"], "static");
    assert_4xx(&out, "bob_create_in_org");
    assert_raised(&out, "bob_private_info", "RepositoryNotFoundError");
    assert_raised(&out, "anon_private_info", "RepositoryNotFoundError");
    assert_raised(&out, "bob_private_download", "RepositoryNotFoundError");
    assert_4xx(&out, "read_token_create");

    assert_eq!(
        out["gated_seen_by_bob"], "manual",
        "repo info of a gated repo stays readable"
    );
    assert_raised(&out, "bob_gated_download", "GatedRepoError");
    assert_eq!(out["gated_after_reset"], false);

    let alice = strings(&out["alice_lists"]);
    let bob = strings(&out["bob_lists"]);
    let private = format!("{ALICE}/{p}-private");
    for i in 0..5 {
        let id = format!("{ALICE}/{p}-page{i}");
        assert!(
            alice.contains(&id) && bob.contains(&id),
            "{id} missing from listings"
        );
    }
    assert!(
        alice.contains(&private),
        "the owner lists her private repo: {alice:?}"
    );
    assert!(
        !bob.contains(&private),
        "bob must not list alice's private repo: {bob:?}"
    );
    assert!(
        !alice.iter().any(|id| id.ends_with("-dataset")),
        "datasets are not models: {alice:?}"
    );
    assert_eq!(out["limited"], 3, "limit truncates the paginated stream");
    let paged: Vec<String> = (0..5).map(|i| format!("{ALICE}/{p}-page{i}")).collect();
    assert_eq!(strings(&out["searched"]), paged, "search matches the name");
    let newest_first: Vec<String> = paged.iter().rev().cloned().collect();
    assert_eq!(
        strings(&out["sorted_desc"]),
        newest_first,
        "sort=lastModified, direction=-1"
    );
    assert_eq!(
        out["datasets_listed"],
        serde_json::json!([format!("{ALICE}/{p}-dataset")])
    );
    assert_eq!(
        out["spaces_listed"],
        serde_json::json!([format!("{ALICE}/{p}-space")])
    );

    assert_raised(&out, "missing_repo", "RepositoryNotFoundError");
    assert_raised(&out, "missing_revision", "RevisionNotFoundError");
    assert_raised(&out, "missing_dataset_as_model", "RepositoryNotFoundError");
    for key in [
        "missing_repo",
        "missing_revision",
        "duplicate_create",
        "bob_private_info",
    ] {
        assert!(
            out[key]["request_id"].is_string(),
            "{key}: errors carry the server's request id: {}",
            out[key]
        );
    }

    assert!(strings(&out["moved_files"]).contains(&"moved.txt".to_string()));
    assert_eq!(
        out["download_via_old_name"], "before the move\n",
        "old repo id redirects"
    );
    assert_4xx(&out, "move_onto_existing");
    assert_raised(&out, "deleted_info", "RepositoryNotFoundError");
    assert_raised(&out, "delete_missing", "RepositoryNotFoundError");
    assert_raised(&out, "deleted_dataset", "RepositoryNotFoundError");
    assert_eq!(
        out["recreated_commits"], 1,
        "a re-created repo starts fresh"
    );

    // The listing really was paginated: the first page is short and links to the next one.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, link, page) = rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{url}/api/models?author={ALICE}"))
            .bearer_auth(&server.tokens().write)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_string());
        let page: Value = r.json().await.unwrap();
        (status, link, page)
    });
    assert_eq!(status, 200);
    assert_eq!(
        page.as_array().map(Vec::len),
        Some(2),
        "page size 2: {page}"
    );
    let link = link.expect("a Link header on a partial page");
    assert!(
        link.contains("rel=\"next\"") && link.contains(&format!("<{url}/")),
        "absolute next link: {link}"
    );
}

#[test]
fn interop_repos_v026() {
    repos(Version::V026);
}

#[test]
fn interop_repos_v24() {
    repos(Version::V24);
}

// ---------------------------------------------------------------------------------------------
// Uploads, commit operations, PRs, branches, tags, listings.
// ---------------------------------------------------------------------------------------------

struct UploadInputs {
    readme: Vec<u8>,
    config: Vec<u8>,
    weights: Vec<u8>,
    big: Vec<u8>,
}

fn upload_inputs(work: &Work) -> UploadInputs {
    let readme = b"---\nlicense: mit\ntags:\n- test\n---\n# Interop test\n".to_vec();
    let config = br#"{"hidden_size": 8}"#.to_vec();
    let weights = random_bytes(4096, 1);
    // > 10 MB: LFS by size even though `*.dat` is not an LFS pattern.
    let big = random_bytes(11 * 1024 * 1024, 2);
    write_file(&work.input("README.md"), &readme);
    write_file(&work.input("config.json"), &config);
    write_file(&work.input("weights.bin"), &weights);
    write_file(&work.input("big.dat"), &big);
    let folder = work.path().join("folder");
    write_file(&folder.join("a.txt"), b"a\n");
    write_file(&folder.join("sub/b.txt"), b"b\n");
    write_file(&folder.join("sub/c.bin"), &random_bytes(1000, 3));
    write_file(
        &folder.join("logs/x.log"),
        b"not allowed by allow_patterns\n",
    );
    write_file(&folder.join("skip/y.txt"), b"ignored by ignore_patterns\n");
    write_file(&work.path().join("folder2/new.txt"), b"new\n");
    let folder3 = work.path().join("folder3");
    write_file(&folder3.join(".gitignore"), b"*.log\n");
    write_file(&folder3.join("keep.txt"), b"kept\n");
    write_file(&folder3.join("drop.log"), b"ignored by .gitignore\n");
    write_file(&folder3.join("empty.txt"), b"");
    UploadInputs {
        readme,
        config,
        weights,
        big,
    }
}

fn upload(v: Version) {
    // Page size 3: tree and commit listings below span several pages.
    let server = TestServer::builder().page_size(3).start();
    let work = Work::new("upload");
    let inputs = upload_inputs(&work);
    let out = work.run(&server, v, "upload.py", &[]);

    let commits = &out["upload_commits"];
    let sib = &out["siblings"];
    assert_eq!(sib["README.md"]["blob_id"], git_blob_sha1(&inputs.readme));
    assert_eq!(sib["README.md"]["lfs_sha256"], Value::Null);
    assert_eq!(sib["config.json"]["blob_id"], git_blob_sha1(&inputs.config));
    assert_eq!(sib["config.json"]["size"], inputs.config.len());
    assert_eq!(
        sib["weights.bin"]["lfs_sha256"],
        sha256_hex(&inputs.weights),
        "*.bin is LFS"
    );
    assert_eq!(sib["weights.bin"]["size"], inputs.weights.len());
    assert_eq!(sib["weights.bin"]["lfs_size"], inputs.weights.len());
    assert_eq!(
        sib["big.dat"]["lfs_sha256"],
        sha256_hex(&inputs.big),
        "> 10 MB is LFS"
    );
    assert_eq!(sib["big.dat"]["size"], inputs.big.len());
    assert!(sib[".gitattributes"].is_object());
    assert_eq!(
        out["noop_reupload_oid"], commits["big.dat"],
        "identical re-upload makes no commit"
    );
    assert_eq!(out["head_after_uploads"], commits["big.dat"]);

    assert_eq!(
        strings(&out["after_gitignore"]),
        [".gitignore", "empty.txt", "keep.txt"],
        "files matching the uploaded .gitignore are not committed"
    );
    assert_eq!(
        out["later_log_committed"], false,
        "the repo's .gitignore applies to later uploads"
    );
    assert_eq!(out["parent_commit_ok"], true);
    assert_eq!(
        strings(&out["after_folder"]),
        ["data/a.txt", "data/sub/b.txt", "data/sub/c.bin"]
    );
    assert_eq!(
        strings(&out["after_delete_patterns"]),
        ["data/new.txt", "data/sub/c.bin"]
    );
    let mixed = strings(&out["after_mixed"]);
    for f in [
        "ops/added.txt",
        "ops/weights-copy.bin",
        "ops/config-copy.json",
        "data/new.txt",
        "weights.bin",
    ] {
        assert!(
            mixed.contains(&f.to_string()),
            "{f} missing after mixed commit: {mixed:?}"
        );
    }
    assert!(!mixed.contains(&"data/sub/c.bin".to_string()));
    let final_files = strings(&out["after_delete_folder"]);
    assert!(
        !final_files.iter().any(|f| f.starts_with("data/")),
        "folder deleted: {final_files:?}"
    );
    let fin = &out["siblings_final"];
    assert_eq!(
        fin["ops/weights-copy.bin"]["lfs_sha256"],
        sha256_hex(&inputs.weights),
        "LFS copy"
    );
    assert_eq!(
        fin["ops/config-copy.json"]["blob_id"],
        git_blob_sha1(&inputs.config),
        "regular copy"
    );
    assert_eq!(
        fin["ops/added.txt"]["blob_id"],
        git_blob_sha1(b"added by create_commit\n")
    );

    assert_raised(&out, "delete_missing", "EntryNotFoundError");
    assert_status(&out, "stale_parent", 412);

    assert!(
        out["pr_url"].as_str().unwrap().ends_with("/discussions/1"),
        "{}",
        out["pr_url"]
    );
    assert_eq!(out["pr_revision"], "refs/pr/1");
    assert_eq!(out["pr_num"], 1);
    let pr_files = strings(&out["pr_files"]);
    assert!(
        pr_files.contains(&"pr.txt".into()) && pr_files.contains(&"pr2.txt".into()),
        "{pr_files:?}"
    );
    assert!(!strings(&out["main_files_after_pr"]).contains(&"pr.txt".into()));
    assert_eq!(
        out["pr_commit_titles"][0],
        "Upload pr2.txt with huggingface_hub"
    );

    assert_status(&out, "branch_exists", 409);
    assert_raised(&out, "branch_bad_start", "RevisionNotFoundError");
    assert_status(&out, "tag_exists", 409);
    assert_eq!(
        out["dev_sha"], commits["config.json"],
        "branch starts at the given revision"
    );
    assert_eq!(
        out["tag_sha"], commits["weights.bin"],
        "tag points at the given revision"
    );
    assert_eq!(out["slash_branch_files"], out["after_delete_folder"]);
    let refs = &out["refs"];
    let branch_names: Vec<&str> = refs["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[0].as_str().unwrap())
        .collect();
    assert_eq!(branch_names, ["dev", "feature/slash", "main"]);
    assert_eq!(
        refs["branches"][0],
        serde_json::json!(["dev", "refs/heads/dev", commits["config.json"]])
    );
    assert_eq!(
        refs["tags"],
        serde_json::json!([["v1.0", "refs/tags/v1.0", commits["weights.bin"]]])
    );
    assert_eq!(refs["converts"], serde_json::json!([]));
    assert_eq!(refs["pull_requests"].as_array().map(Vec::len), Some(1));
    assert_eq!(refs["pull_requests"][0][1], "refs/pr/1");
    assert_raised(&out, "delete_missing_branch", "RevisionNotFoundError");
    assert_raised(&out, "delete_missing_tag", "RevisionNotFoundError");
    assert_eq!(
        out["refs_after_delete"],
        serde_json::json!({"branches": ["feature/slash", "main"], "tags": []})
    );

    let tree: Vec<(String, String)> = out["tree_recursive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_string(),
                e[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        tree.contains(&("RepoFolder".into(), "ops".into())),
        "recursive tree lists folders: {tree:?}"
    );
    assert!(tree.contains(&("RepoFile".into(), "ops/added.txt".into())));
    assert!(tree.contains(&("RepoFile".into(), ".gitattributes".into())));
    assert_eq!(
        strings(&out["tree_ops"]),
        [
            "ops/added.txt",
            "ops/config-copy.json",
            "ops/weights-copy.bin"
        ]
    );
    assert_raised(&out, "tree_missing", "EntryNotFoundError");
    assert_eq!(
        out["tree_big"]["size"],
        inputs.big.len(),
        "tree size of an LFS file is the real size"
    );
    assert_eq!(out["tree_big"]["lfs_sha256"], sha256_hex(&inputs.big));
    assert_eq!(out["tree_expand_last_commit"], "Upload README.md");
    let pi = out["paths_info"].as_array().unwrap();
    assert_eq!(pi.len(), 3, "missing paths are omitted: {pi:?}");
    assert_eq!(
        pi[0],
        serde_json::json!(["RepoFile", "README.md", inputs.readme.len(), null])
    );
    assert_eq!(
        pi[1],
        serde_json::json!([
            "RepoFile",
            "weights.bin",
            inputs.weights.len(),
            sha256_hex(&inputs.weights)
        ])
    );
    assert_eq!(
        (&pi[2][0], &pi[2][1]),
        (&serde_json::json!("RepoFolder"), &serde_json::json!("ops"))
    );
    let titles = strings(&out["commit_titles"]);
    assert_eq!(
        titles.first().map(String::as_str),
        Some("Delete data folder"),
        "newest first: {titles:?}"
    );
    assert_eq!(
        titles.len(),
        13,
        // The ignored later.log still makes a (then empty) commit, as on the Hub.
        "initial + 5 uploads + 3 folders + parent_commit + 3 commits: {titles:?}"
    );
    assert_eq!(out["commit_ids_unique"], true);
    assert_eq!(
        out["commit_authors"],
        serde_json::json!([ALICE]),
        "commits are authored by the token's user"
    );
    assert!(out["last_modified_after_uploads"].is_string() && out["created_at"].is_string());
    // lastModified is the last commit's date, whose git timestamp has whole seconds.
    let seconds = |k: &str| out[k].as_str().unwrap()[..19].to_string();
    assert!(
        seconds("last_modified_after_uploads") >= seconds("created_at"),
        "lastModified moves with commits: {} vs {}",
        out["last_modified_after_uploads"],
        out["created_at"]
    );
}

#[test]
fn interop_upload_v026() {
    upload(Version::V026);
}

#[test]
fn interop_upload_v24() {
    upload(Version::V24);
}

// ---------------------------------------------------------------------------------------------
// Downloads for every revision form; LFS served from another host name (CDN-like redirect).
// ---------------------------------------------------------------------------------------------

fn download(v: Version) {
    // Page size 2: snapshot_download's tree listing (2.4.0) spans several pages.
    let server = TestServer::builder()
        .blob_host_alias("localhost")
        .page_size(2)
        .start();
    let work = Work::new("download");
    let mut content: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    content.insert("text_v1.txt", b"version one\n".to_vec());
    content.insert("text_v2.txt", b"version two\n".to_vec());
    content.insert("weights_v1.bin", random_bytes(300_000, 11));
    content.insert("weights_v2.bin", random_bytes(200_000, 12));
    content.insert("nested.bin", random_bytes(5000, 13));
    content.insert("dev.txt", b"dev branch only\n".to_vec());
    content.insert("pr.bin", random_bytes(1234, 14));
    for (name, data) in &content {
        write_file(&work.input(name), data);
    }
    let out = work.run(&server, v, "download.py", &[]);

    let expected = |label: &str| -> BTreeMap<&'static str, &'static str> {
        let (text, weights) = match label {
            "main" | "pr" => ("text_v2.txt", "weights_v2.bin"),
            _ => ("text_v1.txt", "weights_v1.bin"),
        };
        let mut m = BTreeMap::from([
            ("text.txt", text),
            ("weights.bin", weights),
            ("sub/nested.bin", "nested.bin"),
        ]);
        match label {
            "dev" => {
                m.insert("dev.txt", "dev.txt");
            }
            "pr" => {
                m.insert("pr.bin", "pr.bin");
            }
            _ => {}
        }
        m
    };
    let c1 = &out["commits"]["c1"];
    let c2 = &out["commits"]["c2"];
    for label in ["main", "dev", "tag", "sha", "pr"] {
        let r = &out["revisions"][label];
        let want = expected(label);
        let single = r["single"].as_object().unwrap();
        assert_eq!(single.len(), want.len(), "{label}: {single:?}");
        for (path, input) in &want {
            assert!(
                read(&single[*path]) == content[input],
                "{label}: hf_hub_download({path}) has wrong bytes"
            );
        }
        let snap = r["snapshot"].as_object().unwrap();
        let mut snap_files: Vec<&str> = snap.keys().map(String::as_str).collect();
        snap_files.retain(|f| *f != ".gitattributes");
        assert_eq!(
            snap_files,
            want.keys().copied().collect::<Vec<_>>(),
            "{label}: snapshot file set"
        );
        for (path, input) in &want {
            assert!(
                read(&snap[*path]) == content[input],
                "{label}: snapshot {path} has wrong bytes"
            );
        }
        assert_eq!(
            r["snapshot_commit"], r["info_sha"],
            "{label}: snapshot folder is the resolved commit"
        );
    }
    assert_eq!(out["revisions"]["main"]["info_sha"], *c2);
    assert_eq!(out["revisions"]["tag"]["info_sha"], *c1);
    assert_eq!(out["revisions"]["sha"]["info_sha"], *c1);
    assert_ne!(
        out["revisions"]["dev"]["info_sha"], *c1,
        "dev has its own commit"
    );
    assert_ne!(
        out["revisions"]["pr"]["info_sha"], *c2,
        "the PR has its own commit"
    );

    assert_eq!(
        strings(&out["local_dir_files"]),
        [
            ".gitattributes",
            "sub/nested.bin",
            "text.txt",
            "weights.bin"
        ]
    );
    let local = PathBuf::from(out["local_dir_path"].as_str().unwrap());
    assert_eq!(
        std::fs::read(local.join("weights.bin")).unwrap(),
        content["weights_v2.bin"]
    );
    assert!(
        !local
            .join("weights.bin")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&out["anon_download"]), content["text_v2.txt"]);

    assert_raised(&out, "missing_entry", "EntryNotFoundError");
    assert_raised(&out, "missing_revision", "RevisionNotFoundError");
    assert_raised(&out, "missing_repo", "RepositoryNotFoundError");
    assert_raised(&out, "missing_snapshot_revision", "RevisionNotFoundError");
    assert!(
        read(&out["private_download"]) == content["weights_v1.bin"],
        "private LFS download"
    );
    assert_raised(&out, "private_anonymous", "RepositoryNotFoundError");

    assert_eq!(strings(&out["pattern_files"]), ["weights.bin"]);
    assert_eq!(read(&out["odd_download"]), content["text_v1.txt"]);
    assert_eq!(strings(&out["odd_tree"]), ["odd dir/my file+x#?&=%.txt"]);
    assert_eq!(
        strings(&out["odd_paths_info"]),
        ["odd dir/my file+x#?&=%.txt"]
    );
    for kind in ["dataset", "space"] {
        assert!(
            read(&out[format!("{kind}_download")]) == content["weights_v1.bin"],
            "{kind} download"
        );
        assert_eq!(
            strings(&out[format!("{kind}_snapshot_files")]),
            [".gitattributes", "data.bin"],
            "{kind} snapshot"
        );
    }
    if v == Version::V026 {
        assert!(
            read(&out["resumed_download"]) == content["weights_v2.bin"],
            "resumed download is complete and correct"
        );
    }

    // The LFS resolve redirects to the blob host alias (another host name for the same server),
    // which is what makes clients drop Authorization as they do for the real CDN.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, location) = rt.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .head(format!(
                "{}/{}/resolve/main/weights.bin",
                server.url(),
                out["repo"].as_str().unwrap()
            ))
            .bearer_auth(&server.tokens().write)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string()),
        )
    });
    assert_eq!(status, 302);
    let location = location.expect("Location header");
    assert!(
        location.starts_with(&format!("http://localhost:{}/", server.addr().port())),
        "LFS redirect goes to the blob host alias: {location}"
    );
}

#[test]
fn interop_download_v026() {
    download(Version::V026);
}

#[test]
fn interop_download_v24() {
    download(Version::V24);
}

// ---------------------------------------------------------------------------------------------
// Discussions and pull requests, super-squash, HfFileSystem.
// ---------------------------------------------------------------------------------------------

fn community(v: Version) {
    let server = TestServer::builder().blob_host_alias("localhost").start();
    let work = Work::new("community");
    let big = random_bytes(400_000, 51);
    write_file(&work.input("big.bin"), &big);
    let out = work.run(&server, v, "community.py", &[]);

    assert_eq!(out["pr_num"], 1);
    assert_eq!(
        out["discussion_num"], 2,
        "discussions and PRs share one numbering"
    );
    assert_eq!(out["discussion_is_pr"], false);
    assert_eq!(out["discussion_comments"][0], "Is this right?");
    assert!(strings(&out["discussion_comments"]).contains(&"Yes it is.".to_string()));
    assert_eq!(out["discussion_status"], "closed");
    assert_eq!(out["pr_status_before"], "open");
    assert_eq!(out["pr_git_ref"], "refs/pr/1");
    let listed = out["listed"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        listed[1],
        serde_json::json!([2, false, "closed", "A question"])
    );
    assert_eq!(out["pr_status_after"], "merged");
    assert_eq!(
        strings(&out["main_after_merge"]),
        [".gitattributes", "base.txt", "big.bin", "pr.txt"]
    );
    assert_eq!(
        out["empty_pr"],
        serde_json::json!({"num": 3, "is_pr": true})
    );

    assert!(out["commits_before_squash"].as_u64().unwrap() >= 4);
    assert_eq!(out["commits_after_squash"], serde_json::json!(["Squashed"]));

    assert_eq!(
        strings(&out["fs_ls"]),
        [".gitattributes", "base.txt", "big.bin", "pr.txt"]
    );
    assert_eq!(out["fs_info_size"], big.len());
    assert_eq!(strings(&out["fs_glob"]), ["base.txt", "pr.txt"]);
    assert_eq!(out["fs_range_len"], 50_000);
    assert_eq!(
        out["fs_range_sha256"],
        sha256_hex(&big[100_000..150_000]),
        "ranged read"
    );
    assert_eq!(out["fs_cat"], "written through fsspec\n");
    assert_eq!(
        strings(&out["fs_after_rm"]),
        [".gitattributes", "base.txt", "big.bin", "pr.txt"]
    );
}

#[test]
fn interop_community_v026() {
    community(Version::V026);
}

#[test]
fn interop_community_v24() {
    community(Version::V24);
}

// ---------------------------------------------------------------------------------------------
// Multipart LFS uploads (the server offers parts of 5 MiB for files >= 8 MiB).
// ---------------------------------------------------------------------------------------------

fn multipart(v: Version) {
    let server = TestServer::builder().multipart(8 << 20, 5 << 20).start();
    let work = Work::new("multipart");
    // 3 parts, the last one short.
    let large = random_bytes((12 << 20) + 123, 31);
    write_file(&work.input("large.bin"), &large);
    let out = work.run(&server, v, "roundtrip.py", &[]);
    assert_eq!(out["size"], large.len());
    assert!(
        read(&out["downloaded"]) == large,
        "multipart upload round trip differs"
    );
}

#[test]
fn interop_multipart_v026() {
    multipart(Version::V026);
}

#[test]
fn interop_multipart_v24() {
    multipart(Version::V24);
}

// ---------------------------------------------------------------------------------------------
// hf_transfer (0.26.5 only): > 50 MB so the parallel download path is taken, multipart so the
// parallel part upload is taken; then 2.4.0 downloads the same file (a cross-version round trip
// through the server).
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_hf_transfer_v026() {
    let server = TestServer::builder().multipart(16 << 20, 16 << 20).start();
    let work = Work::new("hft");
    let large = random_bytes(52 * 1024 * 1024 + 4321, 21);
    write_file(&work.input("large.bin"), &large);
    let out = work.run(
        &server,
        Version::V026,
        "roundtrip.py",
        &[
            ("HF_HUB_ENABLE_HF_TRANSFER", "1"),
            ("HUBTEST_EXPECT_HF_TRANSFER", "1"),
        ],
    );
    assert_eq!(out["size"], large.len());
    assert!(
        read(&out["downloaded"]) == large,
        "hf_transfer download differs from the upload"
    );

    let cache = work.path().join("cache24");
    let script = format!(
        "import json; from huggingface_hub import hf_hub_download\n\
         p = hf_hub_download({repo:?}, 'large.bin', cache_dir={cache:?})\n\
         print(json.dumps({{'path': p}}))",
        repo = out["repo"].as_str().unwrap(),
        cache = cache.to_str().unwrap(),
    );
    let out24 = server.python_json(Version::V24, &script);
    assert!(
        read(&out24["path"]) == large,
        "2.4.0 download of a 0.26.5 upload differs"
    );
}

// ---------------------------------------------------------------------------------------------
// Durability as the clients see it: kill -9 the server binary between an upload and a download.
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_survives_kill_9() {
    let mut server = TestServer::spawn_process();
    let work = Work::new("kill9");
    let data = random_bytes(3 << 20, 41);
    write_file(&work.input("large.bin"), &data);
    let up = work.run(&server, Version::V026, "roundtrip.py", &[]);
    let repo = up["repo"].as_str().unwrap().to_string();

    server.kill();
    assert!(!server.is_listening(), "the server is gone after kill -9");
    server.restart();

    let cache = work.path().join("after-restart");
    let script = format!(
        "import json; from huggingface_hub import HfApi, hf_hub_download\n\
         p = hf_hub_download({repo:?}, 'large.bin', cache_dir={cache:?})\n\
         print(json.dumps({{'path': p, 'sha': HfApi().model_info({repo:?}).sha}}))",
        cache = cache.to_str().unwrap(),
    );
    let out = server.python_json(Version::V24, &script);
    assert_eq!(
        out["sha"], up["commit"],
        "the branch head survived the crash"
    );
    assert!(read(&out["path"]) == data, "LFS content survived the crash");
}

// ---------------------------------------------------------------------------------------------
// Fault injection: downloads resume correctly when the server cuts response bodies.
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_download_under_dropped_connections() {
    let mut server = TestServer::start();
    let work = Work::new("chaos");
    let large = random_bytes(6 << 20, 61);
    write_file(&work.input("large.bin"), &large);
    let up = work.run(&server, Version::V026, "roundtrip.py", &[]);
    let repo = up["repo"].as_str().unwrap().to_string();

    // Every response body has a 50 % chance of being cut part-way; the clients resume with
    // `Range: bytes=N-` and the server must answer each with the right 206 slice.
    server.restart_with_chaos(Some("drop=0.5,seed=7"));
    for v in Version::ALL {
        let label = v.venv_name();
        let out = work.run(
            &server,
            v,
            "download_only.py",
            &[
                ("HUBTEST_REPO", &repo),
                ("HUBTEST_FILES", "large.bin"),
                ("HUBTEST_LABEL", label),
            ],
        );
        assert!(
            read(&out["paths"]["large.bin"]) == large,
            "{v}: download under dropped connections is corrupt"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hub parity: ids without a namespace, metrics, commit pages, abbreviated ids, tree order, and
// the Hub's auth statuses and error texts.
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_hub_parity_v026() {
    use hub_server::repo::RepoType;
    let server = TestServer::start();
    let work = Work::new("parity");
    let canonical = format!("{}-gpt", work.prefix);
    let canonical_ds = format!("{}-squad", work.prefix);
    let metrics_org = "evaluate-metric";
    server.add_canonical_repo(RepoType::Model, &canonical, ALICE);
    server.add_canonical_repo(RepoType::Dataset, &canonical_ds, ALICE);
    server.add_org(metrics_org, &[ALICE]);
    let out = work.run(
        &server,
        Version::V026,
        "parity.py",
        &[
            ("HUBTEST_CANONICAL", &canonical),
            ("HUBTEST_CANONICAL_DATASET", &canonical_ds),
            ("HUBTEST_METRICS_ORG", metrics_org),
        ],
    );
    let url = server.url();
    let p = &work.prefix;

    // Ids without a namespace work on info, revision, tree, commits, resolve and git.
    let sha = out["canonical_sha"].as_str().unwrap();
    assert_eq!(out["canonical_revision_info"], sha);
    assert_eq!(
        strings(&out["canonical_files"]),
        [".gitattributes", "config.json", "pytorch_model.bin"]
    );
    assert_eq!(
        out["canonical_commits"][0],
        "Upload pytorch_model.bin with huggingface_hub"
    );
    assert_eq!(out["canonical_download"], "{\"n_layer\": 12}\n");
    assert_eq!(out["canonical_lfs_download"], "weights");
    assert_eq!(out["canonical_anon_info"], canonical.as_str());
    assert_eq!(strings(&out["canonical_refs"]), ["main"]);
    assert_raised(&out, "canonical_missing", "RepositoryNotFoundError");
    assert_eq!(
        strings(&out["canonical_git_clone"]),
        [".gitattributes", "config.json", "pytorch_model.bin"]
    );
    assert_eq!(out["canonical_git_head"], sha);
    assert_eq!(out["canonical_dataset_download"], "a,b\n1,2\n");
    assert!(
        out["canonical_dataset_commit_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/datasets/{canonical_ds}/commit/"))
    );

    // Commit pages.
    let page = &out["commit_page"];
    assert_eq!(page["status"], 200);
    assert!(page["type"].as_str().unwrap().starts_with("text/html"));
    let text = page["text"].as_str().unwrap();
    assert!(
        text.contains(out["commit_page_sha"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        text.contains("Add a.txt") && text.contains("<li>A a.txt</li>"),
        "{text}"
    );
    for key in [
        "commit_page_canonical",
        "commit_page_dataset",
        "commit_page_space",
    ] {
        assert_eq!(out[key]["status"], 200, "{key}");
    }
    assert_eq!(out["commit_page_missing"], 404);

    // Abbreviated commit ids as revisions and starting points.
    let full = out["commit_page_sha"].as_str().unwrap();
    assert_eq!(out["abbrev_info"], full);
    assert_eq!(out["abbrev_download"], "hello\n");
    assert_eq!(strings(&out["abbrev_branch"]), [full]);
    assert_eq!(strings(&out["abbrev_tag"]), [full]);
    assert_eq!(strings(&out["abbrev_commits"]), [full]);

    // Folders before files.
    assert_eq!(
        strings(&out["tree_root"]),
        ["b", "z", ".gitattributes", "a.txt", "c.txt"]
    );
    assert_eq!(strings(&out["tree_b"]), ["b/inner", "b/w.txt", "b/x.txt"]);

    // Metrics are the Spaces of the metrics organization.
    assert_eq!(
        out["metrics"],
        serde_json::json!([{
            "id": format!("{p}-accuracy"),
            "space_id": format!("{metrics_org}/{p}-accuracy"),
            "description": "The proportion of correct predictions."
        }])
    );

    // Auth and visibility.
    assert_raised(&out, "private_anon", "RepositoryNotFoundError");
    assert_status(&out, "private_anon", 401);
    assert_raised(&out, "private_bob", "RepositoryNotFoundError");
    assert_status(&out, "private_bob", 404);
    assert_status(&out, "missing_anon", 401);
    assert_status(&out, "invalid_token", 401);
    assert_eq!(
        out["invalid_token"]["server_message"],
        "Invalid username or password."
    );
    assert_status(&out, "invalid_token_whoami", 401);
    assert_raised(&out, "gated_bob", "GatedRepoError");
    assert_status(&out, "gated_bob", 403);
    assert_eq!(
        out["gated_bob"]["server_message"],
        format!(
            "Access to model {ALICE}/{p}-gated is restricted and you are not in the authorized list. Visit {url}/{ALICE}/{p}-gated to ask for access."
        )
    );
    assert_raised(&out, "gated_anon", "GatedRepoError");
    assert_status(&out, "gated_anon", 401);
    assert_eq!(out["bob_pr_revision"], "refs/pr/1");
    assert_eq!(out["bob_pr2_revision"], "refs/pr/2");
    assert_eq!(
        strings(&out["bob_pr_main_files"]),
        [
            ".gitattributes",
            "a.txt",
            "b/inner/deep.txt",
            "b/w.txt",
            "b/x.txt",
            "c.txt",
            "z/y.txt"
        ]
    );
    assert!(strings(&out["bob_pr_files"]).contains(&"bob.bin".to_string()));
    assert_eq!(out["bob_pr_lfs"], "bob's weights");
    assert_eq!(
        strings(&out["bob_pr_files_after_push"]),
        [
            ".gitattributes",
            "a.txt",
            "b/inner/deep.txt",
            "b/w.txt",
            "b/x.txt",
            "bob.bin",
            "bob2.txt",
            "c.txt",
            "z/y.txt"
        ]
    );
    assert_status(&out, "read_token_pr_push", 403);
    assert_status(&out, "bob_direct_commit", 403);
    assert_status(&out, "delete_main", 403);
    assert_eq!(
        out["delete_main"]["server_message"],
        "Cannot delete refs/heads/main"
    );
    assert_raised(
        &out,
        "branch_missing_start_bad_name",
        "RevisionNotFoundError",
    );
    assert_status(&out, "branch_bad_name", 400);

    // The Hub's texts for the not-found cases.
    assert_eq!(
        out["revision_missing"]["server_message"],
        "Invalid rev id: no-such-rev"
    );
    assert_eq!(out["entry_missing"]["server_message"], "Entry not found");
    assert_eq!(
        out["repo_missing"]["server_message"],
        "Repository not found"
    );
    assert_status(&out, "repo_missing", 404);
}

// ---------------------------------------------------------------------------------------------
// Commit rules: implicit folder delete, path names, README metadata validation.
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_commit_rules_v026() {
    let server = TestServer::start();
    let work = Work::new("rules");
    let out = work.run(&server, Version::V026, "commit_rules.py", &[]);

    assert_eq!(
        strings(&out["after_folder_delete"]),
        [".gitattributes", "dirt.txt"]
    );
    assert_raised(&out, "delete_missing", "EntryNotFoundError");

    let odd = "folder/..\\..\\..\\file.txt";
    assert_eq!(out["backslash_listed"], true);
    assert_eq!(strings(&out["backslash_info"]), [odd]);
    for key in ["leading_dotdot_backslash", "empty_segment", "dot_segment"] {
        assert_status(&out, key, 422);
    }

    for key in ["client_invalid_yaml", "client_bad_index"] {
        let text = out[key]["text"].as_str().unwrap();
        assert!(
            text.starts_with("Invalid metadata in README.md.\n- "),
            "{key}: {text}"
        );
    }
    assert!(
        out["client_bad_index"]["text"]
            .as_str()
            .unwrap()
            .contains("\"model-index[0].results[0].metrics[0].value\" is required")
    );
    let warned = strings(&out["empty_metadata_warnings"]);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].contains(hub_server::card::EMPTY_METADATA_WARNING),
        "{warned:?}"
    );
    assert_eq!(out["empty_metadata_committed"], true);

    for key in ["preupload_invalid", "commit_invalid"] {
        assert_status(&out, key, 400);
        // The client joins X-Error-Message (one line) and the body's `error` (the full text).
        let msg = out[key]["server_message"].as_str().unwrap();
        assert!(
            msg.contains("Invalid metadata in README.md.\n- "),
            "{key}: {msg}"
        );
    }
    assert_eq!(out["good_readme"], "mit");

    assert_eq!(out["repocard_valid"], true);
    assert!(
        out["repocard_invalid"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Invalid metadata in README.md.\n- ")
    );
}

// ---------------------------------------------------------------------------------------------
// Durability of multipart uploads: kill -9 in the middle, restart, the client carries on.
// ---------------------------------------------------------------------------------------------

#[test]
fn interop_multipart_upload_survives_kill_9() {
    const PART: u64 = 1 << 20;
    const PARTS: u64 = 12;
    let mut server = TestServer::builder().multipart(PART, PART).spawn_process();
    let work = Work::new("mpkill");
    let data = random_bytes((PART * PARTS) as usize, 43);
    write_file(&work.input("large.bin"), &data);
    let mut envs: Vec<(String, String)> = server
        .envs()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in [
        ("HUBTEST_NS", ALICE.to_string()),
        ("HUBTEST_PREFIX", work.prefix.clone()),
        ("HUBTEST_WORK", work.path().to_str().unwrap().to_string()),
        ("HUBTEST_PART_DELAY", "0.3".to_string()),
    ] {
        envs.push((k.to_string(), v));
    }
    let code = script("multipart_restart.py");
    let client = std::thread::spawn(move || {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        hub_tests::python::run_json(Version::V026, &code, &envs)
    });

    // Kill once a few parts are journaled as stored.
    let journaled = |dir: &Path| -> usize {
        std::fs::read_dir(dir.join("multipart"))
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".parts"))
                    .map(|e| {
                        std::fs::read_to_string(e.path())
                            .unwrap_or_default()
                            .lines()
                            .count()
                    })
                    .sum()
            })
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while journaled(server.data_dir()) < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "no parts stored within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.kill();
    let stored_before = journaled(server.data_dir());
    // Down long enough for the client to meet a refused connection and retry.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    server.restart();
    let out = client.join().unwrap();

    assert_eq!(out["sha256"], sha256_hex(&data));
    assert_eq!(out["size"], data.len());
    // Every part arrived exactly once with success: the parts stored before the crash were not
    // sent again, and the upload was not started over.
    let sends = out["sends"].as_array().unwrap();
    for n in 1..=PARTS {
        let ok = sends.iter().filter(|s| s[0] == n && s[1] == 200).count();
        assert_eq!(ok, 1, "part {n}: {sends:?}");
    }
    let failed = sends.iter().filter(|s| s[1] != 200).count();
    assert!(
        (1..=3).contains(&failed),
        "the client met the dead server and retried: {sends:?}"
    );
    assert_eq!(sends.len() as u64, PARTS + failed as u64, "{sends:?}");
    assert!(
        stored_before >= 4 && (stored_before as u64) < PARTS,
        "{stored_before}"
    );
    // Completed: nothing is left in progress.
    assert_eq!(
        std::fs::read_dir(server.data_dir().join("multipart"))
            .unwrap()
            .count(),
        0
    );
}

// ---------------------------------------------------------------------------------------------
// LFS contents in an S3-compatible store (moto's server mode, from `cargo xtask venv`).
// ---------------------------------------------------------------------------------------------

/// Uploads `work/input/large.bin` through the 0.26.5 client into a server whose blob store is
/// the bucket, downloads it back, and checks the bytes and what the bucket holds.
fn s3_roundtrip(len: usize, presign: bool, multipart: Option<(u64, u64)>) {
    use hub_tests::S3Store;
    use hub_tests::moto::Moto;
    let bucket = "hub-lfs";
    let moto = Moto::start(bucket);
    let mut builder = TestServer::builder().s3(S3Store {
        url: format!("s3://{bucket}/site-a"),
        endpoint: moto.endpoint(),
        presign,
    });
    if let Some((threshold, chunk)) = multipart {
        builder = builder.multipart(threshold, chunk);
    }
    let server = builder.spawn_process();
    let work = Work::new("s3");
    let data = random_bytes(len, 47);
    let sha = sha256_hex(&data);
    write_file(&work.input("large.bin"), &data);
    drop(data);
    let started = std::time::Instant::now();
    let out = work.run(&server, Version::V026, "roundtrip.py", &[]);
    eprintln!(
        "s3 round trip of {len} bytes (presign={presign}): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(out["size"], len);
    let downloaded = out["downloaded"].as_str().unwrap();
    assert_eq!(
        hub_tests::python::run_json(
            Version::V026,
            &format!(
                "import json; from hubtest import sha256_file; print(json.dumps(sha256_file({downloaded:?})))"
            ),
            &[
                (
                    "PYTHONPATH",
                    hub_tests::repo_root()
                        .join("tests/python")
                        .to_str()
                        .unwrap()
                ),
                ("HF_ENDPOINT", server.url()),
                ("HF_TOKEN", "unused")
            ],
        ),
        sha.as_str(),
        "downloaded content hashes to the uploaded sha256"
    );
    // Where the download came from: a presigned store URL, or the server itself.
    let repo = out["repo"].as_str().unwrap();
    let hops = server.python_json(
        Version::V026,
        &format!(
            "import json, os, requests\n\
             url = os.environ['HF_ENDPOINT'] + '/{repo}/resolve/main/large.bin'\n\
             auth = {{'authorization': 'Bearer ' + os.environ['HF_TOKEN']}}\n\
             r1 = requests.get(url, headers=auth, allow_redirects=False)\n\
             r2 = requests.get(r1.headers['location'], allow_redirects=False, stream=True)\n\
             print(json.dumps([r1.status_code, r2.status_code, r2.headers.get('location', '')]))"
        ),
    );
    assert_eq!(hops[0], 302);
    if presign {
        assert_eq!(hops[1], 302);
        let loc = hops[2].as_str().unwrap();
        assert!(
            loc.starts_with(&format!("{}/{bucket}/site-a/objects/", moto.endpoint()))
                && loc.contains("X-Amz-Signature="),
            "{loc}"
        );
    } else {
        assert_eq!(hops[1], 200, "streamed by the server");
    }
    // The object sits under its content address in the bucket; no staging object is left and
    // nothing went to the local LFS directory.
    let keys = moto.list(bucket, "site-a/");
    assert_eq!(keys, [format!("site-a/objects/{}/{sha}", &sha[..2])]);
    let local = server.data_dir().join("lfs").join("objects");
    let local_files = std::fs::read_dir(&local).map(|rd| rd.count()).unwrap_or(0);
    assert_eq!(local_files, 0, "nothing stored locally");
}

#[test]
fn interop_s3_store_v026() {
    // Multipart intake (5 parts), downloads streamed through the server.
    s3_roundtrip(5 << 20, false, Some((1 << 20, 1 << 20)));
}

#[test]
fn interop_s3_store_presigned_v026() {
    // Single-part intake, downloads redirected to presigned store URLs.
    s3_roundtrip(3 << 20, true, None);
}

#[test]
fn interop_s3_1gib_roundtrip_slow() {
    // The default multipart settings (64 MiB threshold, 16 MiB parts): 64 parts.
    s3_roundtrip(1 << 30, true, None);
}

#[test]
fn interop_s3_two_processes_share_one_bucket_v026() {
    use hub_tests::S3Store;
    use hub_tests::moto::Moto;
    let bucket = "hub-shared";
    let moto = Moto::start(bucket);
    let store = S3Store {
        url: format!("s3://{bucket}/lfs"),
        endpoint: moto.endpoint(),
        presign: false,
    };
    // Two servers, each with its own data directory (git repositories), one bucket.
    let a = TestServer::builder().s3(store.clone()).spawn_process();
    let b = TestServer::builder().s3(store).spawn_process();
    let work = Work::new("shared");
    let data = random_bytes(2 << 20, 53);
    write_file(&work.input("large.bin"), &data);
    let first = work.run(&a, Version::V026, "shared_upload.py", &[]);
    assert_eq!(first["puts"], 1, "the first server receives the content");
    assert_eq!(first["sha256"], sha256_hex(&data));
    // The second server finds the object in the bucket: the client sends no content at all.
    let second = work.run(&b, Version::V026, "shared_upload.py", &[]);
    assert_eq!(second["puts"], 0, "{second}");
    assert_eq!(second["sha256"], sha256_hex(&data));
    assert_eq!(moto.list(bucket, "lfs/").len(), 1);
}

#[test]
fn interop_s3_direct_multipart_v026() {
    // Presigned store URLs for each part (3 parts of 6 MiB): the client writes the parts into
    // the store's own multipart upload; the server checks the assembled object before use.
    s3_roundtrip(13 << 20, true, Some((6 << 20, 6 << 20)));

    use hub_tests::S3Store;
    use hub_tests::moto::Moto;
    let bucket = "hub-direct";
    let moto = Moto::start(bucket);
    let server = TestServer::builder()
        .s3(S3Store {
            url: format!("s3://{bucket}"),
            endpoint: moto.endpoint(),
            presign: true,
        })
        .multipart(6 << 20, 6 << 20)
        .spawn_process();
    let work = Work::new("direct");
    let data = random_bytes(13 << 20, 59);
    write_file(&work.input("large.bin"), &data);
    let out = work.run(&server, Version::V026, "shared_upload.py", &[]);
    assert_eq!(out["puts"], 0, "no part went through the server: {out}");
    assert_eq!(out["store_parts"], 3, "{out}");
    assert_eq!(out["sha256"], sha256_hex(&data));
    let sha = sha256_hex(&data);
    assert_eq!(
        moto.list(bucket, ""),
        [format!("objects/{}/{sha}", &sha[..2])],
        "verified, then copied to its address; the staging object is gone"
    );

    // Other bytes than the declared oid, sent straight to the store: refused at completion,
    // never visible, and the staging object is removed.
    let size = (7u64 << 20).to_string();
    let out = work.run(
        &server,
        Version::V026,
        "lfs_tamper.py",
        &[("HUBTEST_SIZE", &size)],
    );
    let moto_host = moto.endpoint().trim_start_matches("http://").to_string();
    assert_eq!(strings(&out["part_hosts"]), [moto_host]);
    assert_eq!(out["complete_status"], 400, "{out}");
    assert!(
        out["complete_body"]
            .as_str()
            .unwrap()
            .contains("sha256 mismatch"),
        "{out}"
    );
    assert_eq!(out["stored_after"], false);
    assert_eq!(moto.list(bucket, "").len(), 1, "only the verified object");
}
