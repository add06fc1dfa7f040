//! hub-core's `HfApi` (and auth module) against a real local hub-server.
//!
//! Every method of `HfApi` is exercised at least once here; assertions check what the server
//! really holds afterwards (through a second API call or a raw HTTP request), not just that the
//! call returned `Ok`. Files are committed with a hand-written NDJSON commit (regular files) or
//! with the Python 0.26.5 client (LFS files), so these tests do not depend on hub-upload.

#![allow(clippy::unwrap_used)]

use futures::TryStreamExt;
use hub_core::api::FileProbe;
use hub_core::types::{Gated, RepoEntry, SpaceKeyValue, SpaceSdk};
use hub_core::{Config, Error, HubClient, RepoId, RepoType, RetryPolicy, Token};
use hub_tests::python::Version;
use hub_tests::{ALICE, ORG, TestServer, git_blob_sha1, random_bytes, sha256_hex, unique_name};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// helpers

fn config(server: &TestServer) -> Config {
    Config::builder().endpoint(server.url()).build()
}

fn client_with(server: &TestServer, token: Option<&str>) -> HubClient {
    let b = HubClient::builder()
        .config(config(server))
        .retry_policy(RetryPolicy::none());
    match token {
        Some(t) => b.token(t),
        None => b.no_token(),
    }
    .build()
    .unwrap()
}

fn alice(server: &TestServer) -> HubClient {
    client_with(server, Some(&server.tokens().write))
}

fn rid(s: &str) -> RepoId {
    RepoId::new(s).unwrap()
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Commits regular files with the NDJSON commit endpoint; returns the answer.
async fn commit(
    server: &TestServer,
    repo_type: RepoType,
    repo: &str,
    revision: &str,
    files: &[(&str, &[u8])],
    create_pr: bool,
) -> Value {
    let mut body = json!({"key": "header", "value": {"summary": format!("add {} files", files.len()), "description": ""}}).to_string();
    body.push('\n');
    for (path, content) in files {
        body.push_str(
            &json!({"key": "file", "value": {"content": b64(content), "path": path, "encoding": "base64"}})
                .to_string(),
        );
        body.push('\n');
    }
    let url = format!(
        "{}/api/{}/{repo}/commit/{}{}",
        server.url(),
        repo_type.plural(),
        hub_core::urls::quote_segment(revision),
        if create_pr { "?create_pr=1" } else { "" }
    );
    let resp = reqwest::Client::new()
        .post(url)
        .bearer_auth(&server.tokens().write)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "commit failed: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// A fresh model repo of alice with a few files; returns its id.
async fn repo_with_files(server: &TestServer) -> RepoId {
    let api = alice(server).api();
    let id = rid(&format!("{ALICE}/{}", unique_name("files")));
    api.create_repo(&id).send().await.unwrap();
    commit(
        server,
        RepoType::Model,
        id.as_str(),
        "main",
        &[
            ("README.md", b"# hello\n"),
            ("config.json", b"{\"a\": 1}"),
            ("dir/sub/deep.txt", b"deep"),
            ("dir/my file.txt", b"spaced"),
        ],
        false,
    )
    .await;
    id
}

// ---------------------------------------------------------------------------------------------
// whoami and auth

#[tokio::test]
async fn whoami_reports_user_orgs_and_token_role() {
    let server = TestServer::start();
    let me = alice(&server).api().whoami().await.unwrap();
    assert_eq!(me.name, ALICE);
    assert!(me.orgs.iter().any(|o| o.name == ORG), "{:?}", me.orgs);
    assert_eq!(me.token_role(), Some("write"));
    let as_bob = alice(&server)
        .api()
        .with_token(Token::new(&server.tokens().bob));
    assert_eq!(as_bob.whoami().await.unwrap().name, "bob");
    let me = client_with(&server, Some(&server.tokens().read))
        .api()
        .whoami()
        .await
        .unwrap();
    assert_eq!(me.token_role(), Some("read"));
    let e = client_with(&server, None).api().whoami().await.unwrap_err();
    assert!(matches!(e, Error::TokenRequired(_)), "{e}");
    assert!(e.is_auth());
    let e = client_with(&server, Some("hf_not_a_real_token"))
        .api()
        .whoami()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
}

#[tokio::test]
async fn login_switch_list_logout_against_server() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let cfg = config(&server).to_builder().home(home.path()).build();
    let info = hub_core::auth::login(&cfg, &Token::new(&server.tokens().write), false)
        .await
        .unwrap();
    assert_eq!(info.user, ALICE);
    assert_eq!(info.role.as_deref(), Some("write"));
    assert_eq!(
        info.git_credential,
        hub_core::auth::GitCredentialOutcome::NotRequested
    );
    let write_name = info.token_name.clone();
    assert_eq!(
        std::fs::read_to_string(&cfg.token_path).unwrap(),
        server.tokens().write
    );
    let info = hub_core::auth::login(&cfg, &Token::new(&server.tokens().read), false)
        .await
        .unwrap();
    assert_eq!(info.role.as_deref(), Some("read"));
    assert_ne!(info.token_name, write_name, "two tokens, two names");
    let list = hub_core::auth::auth_list(&cfg).unwrap();
    assert_eq!(list.names.len(), 2);
    assert_eq!(list.active.as_deref(), Some(info.token_name.as_str()));
    hub_core::auth::auth_switch(&cfg, &write_name, false).unwrap();
    assert_eq!(
        hub_core::auth::auth_list(&cfg).unwrap().active,
        Some(write_name.clone())
    );
    // The implicit token of a client built on this config is now the write token.
    let c = HubClient::builder().config(cfg.clone()).build().unwrap();
    assert_eq!(c.api().whoami().await.unwrap().token_role(), Some("write"));
    // Bad tokens are refused and nothing is written.
    let e = hub_core::auth::login(&cfg, &Token::new("hf_bogus_bogus_bogus"), false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthenticated(_)), "{e}");
    let e = hub_core::auth::login(&cfg, &Token::new("api_org_xxxxxxxxxxxx"), false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
    assert_eq!(hub_core::auth::auth_list(&cfg).unwrap().names.len(), 2);
    hub_core::auth::logout(&cfg, None).unwrap();
    assert!(!cfg.token_path.exists());
    assert!(hub_core::auth::auth_list(&cfg).unwrap().names.is_empty());
}

#[test]
fn token_files_are_shared_with_python_026() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap().to_owned();
    // Python logs in twice (write then read token): it writes token + stored_tokens.
    let script = format!(
        "import json\nfrom huggingface_hub import login\nlogin(token={w:?})\nlogin(token={r:?})\nprint(json.dumps({{}}))",
        w = server.tokens().write,
        r = server.tokens().read
    );
    server.python_json_with(
        Version::V026,
        &script,
        &[("HF_HOME", &home_s), ("HF_TOKEN", "")],
    );
    let cfg = config(&server).to_builder().home(home.path()).build();
    let list = hub_core::auth::auth_list(&cfg).unwrap();
    assert_eq!(
        list.names,
        ["token-1", "token-2"],
        "python stored both under their displayName"
    );
    assert_eq!(list.active.as_deref(), Some("token-2"));
    let stored = hub_core::token::read_stored_tokens(&cfg.stored_tokens_path).unwrap();
    assert_eq!(stored["token-1"].expose(), server.tokens().write);
    // We switch and remove one; Python must see the result.
    hub_core::auth::auth_switch(&cfg, "token-1", false).unwrap();
    hub_core::auth::logout(&cfg, Some("token-2")).unwrap();
    let py = server.python_json_with(
        Version::V026,
        "import json\nfrom huggingface_hub import get_token\nfrom huggingface_hub.utils._auth import get_stored_tokens\nprint(json.dumps({'token': get_token(), 'stored': get_stored_tokens()}))",
        &[("HF_HOME", &home_s), ("HF_TOKEN", "")],
    );
    assert_eq!(py["token"], server.tokens().write.as_str());
    assert_eq!(py["stored"], json!({"token-1": server.tokens().write}));
    // And Python reads a file we wrote from scratch.
    let home2 = tempfile::tempdir().unwrap();
    let cfg2 = config(&server).to_builder().home(home2.path()).build();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(hub_core::auth::login(
        &cfg2,
        &Token::new(&server.tokens().bob),
        false,
    ))
    .unwrap();
    let py = server.python_json_with(
        Version::V026,
        "import json\nfrom huggingface_hub import get_token, whoami\nfrom huggingface_hub.utils._auth import get_stored_tokens\nprint(json.dumps({'me': whoami()['name'], 'stored': list(get_stored_tokens())}))",
        &[("HF_HOME", home2.path().to_str().unwrap()), ("HF_TOKEN", "")],
    );
    assert_eq!(py["me"], "bob");
    assert_eq!(py["stored"], json!(["token-1"]));
}

// ---------------------------------------------------------------------------------------------
// repository CRUD

#[tokio::test]
async fn create_repo_namespaces_types_and_exist_ok() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let name = unique_name("m");
    // No namespace: the token owner's.
    let url = api.create_repo(&rid(&name)).send().await.unwrap();
    assert_eq!(url.url(), format!("{}/{ALICE}/{name}", server.url()));
    assert_eq!(url.repo_id().as_str(), format!("{ALICE}/{name}"));
    let full = rid(&format!("{ALICE}/{name}"));
    assert!(api.repo_exists(&full, RepoType::Model).await.unwrap());
    // Again: 409, unless exist_ok (then the URL comes from the 409 body).
    let e = api.create_repo(&full).send().await.unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    let again = api.create_repo(&full).exist_ok(true).send().await.unwrap();
    assert_eq!(again, url);
    // A fresh repo has the initial commit and .gitattributes.
    let files = api.list_repo_files(&full).files().await.unwrap();
    assert!(files.contains(&".gitattributes".to_owned()), "{files:?}");
    // Dataset, private, in the org.
    let ds = rid(&format!("{ORG}/{}", unique_name("d")));
    let url = api
        .create_repo(&ds)
        .repo_type(RepoType::Dataset)
        .private(true)
        .send()
        .await
        .unwrap();
    assert_eq!(url.url(), format!("{}/datasets/{ds}", server.url()));
    assert_eq!(url.repo_type(), RepoType::Dataset);
    let info = api.dataset_info(&ds).send().await.unwrap();
    assert_eq!(info.private, Some(true));
    let e = client_with(&server, None)
        .api()
        .dataset_info(&ds)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    // Bob is not in the org.
    let e = client_with(&server, Some(&server.tokens().bob))
        .api()
        .create_repo(&rid(&format!("{ORG}/{}", unique_name("x"))))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e.status(), Some(401 | 403)), "{e}");
    // Read tokens cannot create.
    let e = client_with(&server, Some(&server.tokens().read))
        .api()
        .create_repo(&rid(&unique_name("ro")))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e.status(), Some(401 | 403)), "{e}");
}

#[tokio::test]
async fn create_space_with_all_options() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = rid(&format!("{ALICE}/{}", unique_name("s")));
    let url = api
        .create_repo(&id)
        .repo_type(RepoType::Space)
        .space_sdk(SpaceSdk::Gradio)
        .space_hardware("cpu-basic")
        .space_storage(hub_core::types::SpaceStorage::Small)
        .space_sleep_time(3600)
        .space_secrets(vec![SpaceKeyValue::new("SECRET", "v")])
        .space_variables(vec![SpaceKeyValue::new("VAR", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(url.url(), format!("{}/spaces/{id}", server.url()));
    let info = api.space_info(&id).send().await.unwrap();
    assert_eq!(info.id, id.as_str());
    assert_eq!(info.sdk.as_deref(), Some("gradio"));
    // Without an SDK nothing is sent.
    let e = api
        .create_repo(&rid(&unique_name("s")))
        .repo_type(RepoType::Space)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
}

#[tokio::test]
async fn delete_repo_and_missing_ok() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = rid(&format!("{ALICE}/{}", unique_name("del")));
    api.create_repo(&id)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    assert!(api.repo_exists(&id, RepoType::Dataset).await.unwrap());
    api.delete_repo(&id)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    assert!(!api.repo_exists(&id, RepoType::Dataset).await.unwrap());
    let e = api
        .delete_repo(&id)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    assert!(
        e.request_id().is_some(),
        "the message names the request id: {e}"
    );
    api.delete_repo(&id)
        .repo_type(RepoType::Dataset)
        .missing_ok(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn move_repo_redirects_old_id() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let from = repo_with_files(&server).await;
    let to = rid(&format!("{ALICE}/{}", unique_name("moved")));
    api.move_repo(&from, &to).send().await.unwrap();
    let info = api.model_info(&to).send().await.unwrap();
    assert_eq!(info.id, to.as_str());
    // Old API URLs redirect (reqwest follows them).
    let old = api.model_info(&from).send().await.unwrap();
    assert_eq!(old.id, to.as_str());
    // The metadata HEAD follows the relative redirect itself, keeping auth.
    let m = api
        .get_hf_file_metadata(&from, "config.json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        m.location,
        format!("{}/{to}/resolve/main/config.json", server.url())
    );
    assert_eq!(m.etag, git_blob_sha1(b"{\"a\": 1}"));
    // Both ids need a namespace.
    let e = api
        .move_repo(&to, &rid("nonamespace"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
    // Moving onto an existing repo fails.
    let other = repo_with_files(&server).await;
    assert!(api.move_repo(&to, &other).send().await.is_err());
}

#[tokio::test]
async fn settings_private_and_gated() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = rid(&format!("{ALICE}/{}", unique_name("set")));
    api.create_repo(&id).send().await.unwrap();
    api.update_repo_settings(&id)
        .private(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.model_info(&id).send().await.unwrap().private,
        Some(true)
    );
    let anon = client_with(&server, None).api();
    assert!(!anon.repo_exists(&id, RepoType::Model).await.unwrap());
    let res = api
        .update_repo_visibility(&id, false, RepoType::Model)
        .await
        .unwrap();
    assert_eq!(res["private"], false, "{res}");
    assert!(anon.repo_exists(&id, RepoType::Model).await.unwrap());
    for g in [Gated::Auto, Gated::Manual, Gated::Disabled] {
        api.update_repo_settings(&id)
            .gated(g.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(api.model_info(&id).send().await.unwrap().gated, Some(g));
    }
    let e = api.update_repo_settings(&id).send().await.unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
    let e = client_with(&server, Some(&server.tokens().bob))
        .api()
        .update_repo_settings(&id)
        .private(true)
        .send()
        .await
        .unwrap_err();
    assert!(e.status().is_some_and(|s| s >= 400), "{e}");
}

#[tokio::test]
async fn duplicate_space() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let from = rid(&format!("{ALICE}/{}", unique_name("src")));
    api.create_repo(&from)
        .repo_type(RepoType::Space)
        .space_sdk(SpaceSdk::Static)
        .send()
        .await
        .unwrap();
    let copy_name = unique_name("copy");
    let url = api
        .duplicate_space(&from)
        .to_id(copy_name.clone())
        .private(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        url.url(),
        format!("{}/spaces/{ALICE}/{copy_name}", server.url())
    );
    let info = api.space_info(url.repo_id()).send().await.unwrap();
    assert_eq!(info.private, Some(true));
    let again = api
        .duplicate_space(&from)
        .to_id(format!("{ALICE}/{copy_name}"))
        .exist_ok(true)
        .send()
        .await
        .unwrap();
    assert_eq!(again, url);
}

// ---------------------------------------------------------------------------------------------
// info and existence

#[tokio::test]
async fn model_info_revisions_files_metadata_and_expand() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    let info = api.model_info(&id).send().await.unwrap();
    let sha = info.sha.clone().unwrap();
    assert_eq!(sha.len(), 40);
    assert!(info.last_modified.is_some());
    let names: Vec<_> = info
        .siblings
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.rfilename.clone())
        .collect();
    assert!(names.contains(&"dir/sub/deep.txt".to_owned()), "{names:?}");
    // files_metadata: sizes and blob ids.
    let info = api
        .model_info(&id)
        .files_metadata(true)
        .send()
        .await
        .unwrap();
    let deep = info
        .siblings
        .unwrap()
        .into_iter()
        .find(|s| s.rfilename == "dir/sub/deep.txt")
        .unwrap();
    assert_eq!(deep.size, Some(4));
    assert_eq!(
        deep.blob_id.as_deref(),
        Some(git_blob_sha1(b"deep").as_str())
    );
    // A revision by commit id and by branch give the same sha.
    let by_sha = api
        .model_info(&id)
        .revision(sha.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(by_sha.sha.as_deref(), Some(sha.as_str()));
    let e = api
        .model_info(&id)
        .revision("nope")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    // expand: only the requested properties (plus id).
    let info = api.model_info(&id).expand(["sha"]).send().await.unwrap();
    assert_eq!(info.sha.as_deref(), Some(sha.as_str()));
    let e = api
        .model_info(&id)
        .expand(["sha"])
        .files_metadata(true)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
    // repo_info dispatches on the type.
    let any = api.repo_info(&id).send().await.unwrap();
    assert_eq!(any.sha(), Some(sha.as_str()));
    let e = api
        .repo_info(&id)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    // The doc example's shape.
    let info = alice(&server).api().model_info(&id).send().await.unwrap();
    assert_eq!(info.id, id.as_str());
}

#[tokio::test]
async fn existence_checks() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    assert!(api.repo_exists(&id, RepoType::Model).await.unwrap());
    assert!(!api.repo_exists(&id, RepoType::Space).await.unwrap());
    assert!(
        !api.repo_exists(&rid("alice/does-not-exist"), RepoType::Model)
            .await
            .unwrap()
    );
    assert!(
        api.revision_exists(&id, "main", RepoType::Model)
            .await
            .unwrap()
    );
    assert!(
        !api.revision_exists(&id, "nope", RepoType::Model)
            .await
            .unwrap()
    );
    assert!(
        !api.revision_exists(&rid("alice/nothing"), "main", RepoType::Model)
            .await
            .unwrap()
    );
    assert!(
        api.file_exists(&id, "dir/my file.txt", RepoType::Model, None)
            .await
            .unwrap()
    );
    assert!(
        !api.file_exists(&id, "missing.txt", RepoType::Model, None)
            .await
            .unwrap()
    );
    assert!(
        !api.file_exists(&id, "config.json", RepoType::Model, Some("nope"))
            .await
            .unwrap()
    );
    assert!(
        !api.file_exists(&rid("alice/nothing"), "x", RepoType::Model, None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn dataset_and_space_info() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let ds = rid(&format!("{ALICE}/{}", unique_name("d")));
    api.create_repo(&ds)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    commit(
        &server,
        RepoType::Dataset,
        ds.as_str(),
        "main",
        &[("data/train.csv", b"a,b\n1,2\n")],
        false,
    )
    .await;
    let info = api
        .dataset_info(&ds)
        .files_metadata(true)
        .send()
        .await
        .unwrap();
    assert_eq!(info.id, ds.as_str());
    let sib = info.siblings.unwrap();
    assert!(
        sib.iter()
            .any(|s| s.rfilename == "data/train.csv" && s.size == Some(8))
    );
    let sp = rid(&format!("{ALICE}/{}", unique_name("s")));
    api.create_repo(&sp)
        .repo_type(RepoType::Space)
        .space_sdk(SpaceSdk::Docker)
        .send()
        .await
        .unwrap();
    let info = api.space_info(&sp).send().await.unwrap();
    assert_eq!(info.sdk.as_deref(), Some("docker"));
    let any = api
        .repo_info(&sp)
        .repo_type(RepoType::Space)
        .send()
        .await
        .unwrap();
    assert!(matches!(any, hub_core::types::RepoInfo::Space(_)));
}

// ---------------------------------------------------------------------------------------------
// listings

#[tokio::test]
async fn list_models_filters_and_pages() {
    // Page size 2 so that every listing below crosses `Link: rel="next"` pages.
    let server = TestServer::builder().page_size(2).start();
    let api = alice(&server).api();
    let prefix = unique_name("lst");
    for i in 0..5 {
        api.create_repo(&rid(&format!("{ALICE}/{prefix}-{i}")))
            .send()
            .await
            .unwrap();
    }
    api.create_repo(&rid(&format!("{ORG}/{prefix}-org")))
        .send()
        .await
        .unwrap();
    let all: Vec<_> = api
        .list_models()
        .author(ALICE)
        .send()
        .try_collect()
        .await
        .unwrap();
    let mine: Vec<_> = all.iter().filter(|m| m.id.contains(&prefix)).collect();
    assert_eq!(mine.len(), 5, "{all:?}");
    assert!(all.iter().all(|m| m.id.starts_with("alice/")));
    let found: Vec<_> = api
        .list_models()
        .search(format!("{prefix}-3"))
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, format!("{ALICE}/{prefix}-3"));
    let limited: Vec<_> = api
        .list_models()
        .search(prefix.clone())
        .limit(3)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(limited.len(), 3);
    let org: Vec<_> = api
        .list_models()
        .author(ORG)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(org.iter().any(|m| m.id == format!("{ORG}/{prefix}-org")));
    // full=true lists siblings.
    let full: Vec<_> = api
        .list_models()
        .search(format!("{prefix}-0"))
        .full(true)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(full[0].siblings.is_some(), "{full:?}");
    // Sorting by creation, newest first.
    let sorted: Vec<_> = api
        .list_models()
        .search(prefix.clone())
        .sort(hub_core::api::listing::Sort::CreatedAt)
        .descending()
        .send()
        .try_collect()
        .await
        .unwrap();
    let dates: Vec<_> = sorted.iter().map(|m| m.created_at).collect();
    let mut expected = dates.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, expected);
    // Every other filter is accepted by the server (results depend on tags we do not set).
    let tagged: Vec<_> = api
        .list_models()
        .task("text-classification")
        .library("pytorch")
        .language("en")
        .trained_dataset("imdb")
        .tags("x")
        .model_name(prefix.clone())
        .card_data(true)
        .expand(["sha"])
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(tagged.is_empty(), "none of our repos carry those tags");
}

#[tokio::test]
async fn list_datasets_and_spaces() {
    let server = TestServer::builder().page_size(2).start();
    let api = alice(&server).api();
    let prefix = unique_name("ls");
    for i in 0..3 {
        api.create_repo(&rid(&format!("{ALICE}/{prefix}-d{i}")))
            .repo_type(RepoType::Dataset)
            .send()
            .await
            .unwrap();
    }
    api.create_repo(&rid(&format!("{ALICE}/{prefix}-s")))
        .repo_type(RepoType::Space)
        .space_sdk(SpaceSdk::Gradio)
        .send()
        .await
        .unwrap();
    let ds: Vec<_> = api
        .list_datasets()
        .search(prefix.clone())
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ds.len(), 3);
    let sp: Vec<_> = api
        .list_spaces()
        .author(ALICE)
        .search(prefix.clone())
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sp.len(), 1);
    assert_eq!(sp[0].id, format!("{ALICE}/{prefix}-s"));
    // Private repos are listed for their owner only.
    let private = rid(&format!("{ALICE}/{prefix}-private"));
    api.create_repo(&private)
        .repo_type(RepoType::Dataset)
        .private(true)
        .send()
        .await
        .unwrap();
    let n_alice = api
        .list_datasets()
        .search(prefix.clone())
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    let n_anon = client_with(&server, None)
        .api()
        .list_datasets()
        .search(prefix.clone())
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!((n_alice, n_anon), (4, 3));
}

// ---------------------------------------------------------------------------------------------
// tree and paths-info

#[tokio::test]
async fn tree_listing_recursive_paths_and_expand() {
    let server = TestServer::builder().page_size(2).start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    let root: Vec<RepoEntry> = api.list_repo_tree(&id).send().try_collect().await.unwrap();
    let mut paths: Vec<_> = root.iter().map(|e| e.path().to_owned()).collect();
    paths.sort();
    assert_eq!(paths, [".gitattributes", "README.md", "config.json", "dir"]);
    assert!(root.iter().any(|e| e.path() == "dir" && !e.is_file()));
    let all: Vec<RepoEntry> = api
        .list_repo_tree(&id)
        .recursive(true)
        .send()
        .try_collect()
        .await
        .unwrap();
    let mut paths: Vec<_> = all.iter().map(|e| e.path().to_owned()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ".gitattributes",
            "README.md",
            "config.json",
            "dir",
            "dir/my file.txt",
            "dir/sub",
            "dir/sub/deep.txt"
        ]
    );
    let deep = all
        .iter()
        .find(|e| e.path() == "dir/sub/deep.txt")
        .unwrap()
        .as_file()
        .unwrap();
    assert_eq!(deep.size, 4);
    assert_eq!(deep.blob_id, git_blob_sha1(b"deep"));
    assert!(deep.lfs.is_none());
    // A sub-folder (its path is sent %2F-encoded).
    let sub: Vec<RepoEntry> = api
        .list_repo_tree(&id)
        .path_in_repo("dir/sub")
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0].path(), "dir/sub/deep.txt");
    let e = api
        .list_repo_tree(&id)
        .path_in_repo("nope")
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::EntryNotFound(_)), "{e}");
    // expand: last commits.
    let expanded: Vec<RepoEntry> = api
        .list_repo_tree(&id)
        .expand(true)
        .send()
        .try_collect()
        .await
        .unwrap();
    let cfg = expanded.iter().find(|e| e.path() == "config.json").unwrap();
    let last = cfg.last_commit().unwrap();
    assert_eq!(
        Some(last.oid.as_str()),
        api.model_info(&id).send().await.unwrap().sha.as_deref()
    );
    assert!(last.date.is_some());
    // list_repo_files: files only, recursive.
    let mut files = api.list_repo_files(&id).files().await.unwrap();
    files.sort();
    assert_eq!(
        files,
        [
            ".gitattributes",
            "README.md",
            "config.json",
            "dir/my file.txt",
            "dir/sub/deep.txt"
        ]
    );
    // paths-info: missing paths are left out; folders are folders.
    let info = api
        .get_paths_info(&id, ["config.json", "dir", "missing.txt"])
        .expand(true)
        .send()
        .await
        .unwrap();
    assert_eq!(info.len(), 2);
    assert!(
        info.iter()
            .any(|e| e.path() == "config.json" && e.is_file() && e.last_commit().is_some())
    );
    assert!(info.iter().any(|e| e.path() == "dir" && !e.is_file()));
    let e = api
        .get_paths_info(&id, ["x"])
        .revision("nope")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
}

// ---------------------------------------------------------------------------------------------
// refs, commits, branches, tags

#[tokio::test]
async fn branches_tags_refs_and_pull_requests() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    let main_sha = api.model_info(&id).send().await.unwrap().sha.unwrap();
    api.create_branch(&id, "feature/x").send().await.unwrap();
    let e = api
        .create_branch(&id, "feature/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    api.create_branch(&id, "feature/x")
        .exist_ok(true)
        .send()
        .await
        .unwrap();
    let e = api
        .create_branch(&id, "other")
        .revision("nope")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    // A branch from an older commit.
    let first = api
        .list_repo_commits(&id)
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let oldest = first.last().unwrap().commit_id.clone();
    api.create_branch(&id, "old")
        .revision(oldest.clone())
        .send()
        .await
        .unwrap();
    api.create_tag(&id, "v1")
        .tag_message("first release")
        .send()
        .await
        .unwrap();
    api.create_tag(&id, "v0")
        .revision(oldest.clone())
        .send()
        .await
        .unwrap();
    let e = api.create_tag(&id, "v1").send().await.unwrap_err();
    assert_eq!(e.status(), Some(409));
    api.create_tag(&id, "v1")
        .exist_ok(true)
        .send()
        .await
        .unwrap();
    let refs = api.list_repo_refs(&id).send().await.unwrap();
    let branch = |n: &str| {
        refs.branches
            .iter()
            .find(|b| b.name == n)
            .map(|b| b.target_commit.clone())
    };
    assert_eq!(branch("main").as_deref(), Some(main_sha.as_str()));
    assert_eq!(branch("feature/x").as_deref(), Some(main_sha.as_str()));
    assert_eq!(branch("old").as_deref(), Some(oldest.as_str()));
    let v1 = refs.tags.iter().find(|t| t.name == "v1").unwrap();
    assert_eq!(v1.git_ref, "refs/tags/v1");
    assert_eq!(v1.target_commit, main_sha);
    assert!(refs.pull_requests.is_none());
    // The tag resolves as a revision.
    let at_tag = api.model_info(&id).revision("v0").send().await.unwrap();
    assert_eq!(at_tag.sha.as_deref(), Some(oldest.as_str()));
    // Deletions.
    api.delete_branch(&id, "feature/x", RepoType::Model)
        .await
        .unwrap();
    let e = api
        .delete_branch(&id, "feature/x", RepoType::Model)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    api.delete_tag(&id, "v0", RepoType::Model).await.unwrap();
    let e = api
        .delete_tag(&id, "v0", RepoType::Model)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    let refs = api.list_repo_refs(&id).send().await.unwrap();
    assert!(refs.branches.iter().all(|b| b.name != "feature/x"));
    assert!(refs.tags.iter().all(|t| t.name != "v0"));
    // A pull request shows up with include_pull_requests.
    let pr = commit(
        &server,
        RepoType::Model,
        id.as_str(),
        "main",
        &[("pr.txt", b"pr")],
        true,
    )
    .await;
    let ci =
        hub_core::types::CommitInfo::from_response(serde_json::from_value(pr).unwrap(), "m", "");
    assert_eq!(ci.pr_revision.as_deref(), Some("refs/pr/1"));
    let refs = api
        .list_repo_refs(&id)
        .include_pull_requests(true)
        .send()
        .await
        .unwrap();
    let prs = refs.pull_requests.unwrap();
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0].git_ref, "refs/pr/1");
    assert_eq!(prs[0].target_commit, ci.oid);
    // And it is a revision like any other.
    assert!(
        api.file_exists(&id, "pr.txt", RepoType::Model, Some("refs/pr/1"))
            .await
            .unwrap()
    );
    assert!(
        !api.file_exists(&id, "pr.txt", RepoType::Model, None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn commits_listing_and_super_squash() {
    let server = TestServer::builder().page_size(2).start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    for i in 0..3 {
        commit(
            &server,
            RepoType::Model,
            id.as_str(),
            "main",
            &[("n.txt", format!("{i}").as_bytes())],
            false,
        )
        .await;
    }
    let commits: Vec<_> = api
        .list_repo_commits(&id)
        .send()
        .try_collect()
        .await
        .unwrap();
    // initial commit + files + 3 = 5, newest first, across pages of 2.
    assert_eq!(commits.len(), 5, "{commits:?}");
    let head = api.model_info(&id).send().await.unwrap().sha.unwrap();
    assert_eq!(commits[0].commit_id, head);
    assert_eq!(commits[0].title, "add 1 files");
    assert_eq!(commits[0].author_names(), [ALICE]);
    let dates: Vec<_> = commits.iter().map(|c| c.created_at.unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    let formatted: Vec<_> = api
        .list_repo_commits(&id)
        .formatted(true)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert!(formatted[0].formatted.is_some(), "{:?}", formatted[0]);
    let e = api
        .list_repo_commits(&id)
        .revision("nope")
        .send()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    // Squash: one commit left, same files.
    let before = api.list_repo_files(&id).files().await.unwrap();
    api.super_squash_history(&id)
        .commit_message("squashed")
        .send()
        .await
        .unwrap();
    let commits: Vec<_> = api
        .list_repo_commits(&id)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].title, "squashed");
    assert_eq!(api.list_repo_files(&id).files().await.unwrap(), before);
    // On a branch with a slash in its name (sent encoded).
    api.create_branch(&id, "dev/a").send().await.unwrap();
    commit(
        &server,
        RepoType::Model,
        id.as_str(),
        "dev/a",
        &[("d.txt", b"d")],
        false,
    )
    .await;
    api.super_squash_history(&id)
        .branch("dev/a")
        .send()
        .await
        .unwrap();
    let on_branch: Vec<_> = api
        .list_repo_commits(&id)
        .revision("dev/a")
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(on_branch.len(), 1);
    assert!(
        on_branch[0].title.contains("dev/a"),
        "default message names the branch: {}",
        on_branch[0].title
    );
}

// ---------------------------------------------------------------------------------------------
// file metadata

#[tokio::test]
async fn file_metadata_regular_missing_and_revisions() {
    let server = TestServer::start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    let sha = api.model_info(&id).send().await.unwrap().sha.unwrap();
    let m = api
        .get_hf_file_metadata(&id, "dir/my file.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(m.commit_hash, sha);
    assert_eq!(m.etag, git_blob_sha1(b"spaced"));
    assert_eq!(m.size, 6);
    assert_eq!(
        m.location,
        format!("{}/{id}/resolve/main/dir/my%20file.txt", server.url())
    );
    // The plain function with a full URL (what hub-cache calls).
    let url = api.hf_hub_url(&id, "config.json", RepoType::Model, Some(&sha));
    let m = hub_core::api::file_metadata(api.client(), &url, None)
        .await
        .unwrap();
    assert_eq!(m.commit_hash, sha);
    assert_eq!(m.size, 8);
    // Missing file: EntryNotFound, with the resolved commit available through probe_file.
    let e = api
        .get_hf_file_metadata(&id, "missing.txt")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::EntryNotFound(_)), "{e}");
    let url = api.hf_hub_url(&id, "missing.txt", RepoType::Model, None);
    match hub_core::api::probe_file(api.client(), &url, None)
        .await
        .unwrap()
    {
        FileProbe::EntryNotFound { commit_hash, .. } => assert_eq!(commit_hash, Some(sha.clone())),
        other => panic!("{other:?}"),
    }
    let e = api
        .get_hf_file_metadata(&id, "config.json")
        .revision("nope")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RevisionNotFound(_)), "{e}");
    let e = api
        .get_hf_file_metadata(&rid("alice/nothing-here"), "x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    // A private repo is "not found" without a token, visible with one.
    api.update_repo_settings(&id)
        .private(true)
        .send()
        .await
        .unwrap();
    let e = client_with(&server, None)
        .api()
        .get_hf_file_metadata(&id, "config.json")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RepositoryNotFound(_)), "{e}");
    assert!(
        api.get_hf_file_metadata(&id, "config.json")
            .send()
            .await
            .is_ok()
    );
    // Datasets and PR revisions.
    let ds = rid(&format!("{ALICE}/{}", unique_name("d")));
    api.create_repo(&ds)
        .repo_type(RepoType::Dataset)
        .send()
        .await
        .unwrap();
    let pr = commit(
        &server,
        RepoType::Dataset,
        ds.as_str(),
        "main",
        &[("train 1.csv", b"x,y\n")],
        true,
    )
    .await;
    let m = api
        .get_hf_file_metadata(&ds, "train 1.csv")
        .repo_type(RepoType::Dataset)
        .revision("refs/pr/1")
        .send()
        .await
        .unwrap();
    assert_eq!(m.commit_hash, pr["commitOid"].as_str().unwrap());
    assert_eq!(m.size, 4);
}

#[tokio::test]
async fn file_metadata_of_lfs_file_uploaded_by_python() {
    // Blob URLs on another host name: the metadata must report that URL, not follow it.
    let server = TestServer::builder().blob_host_alias("localhost").start();
    let api = alice(&server).api();
    let id = rid(&format!("{ALICE}/{}", unique_name("lfs")));
    api.create_repo(&id).send().await.unwrap();
    let data = random_bytes(300_000, 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weights.bin");
    std::fs::write(&path, &data).unwrap();
    let script = format!(
        "import json\nfrom huggingface_hub import HfApi\nci = HfApi().upload_file(path_or_fileobj={p:?}, path_in_repo='weights.bin', repo_id={r:?})\nprint(json.dumps({{'oid': ci.oid}}))",
        p = path.to_str().unwrap(),
        r = id.as_str()
    );
    let out = server.python_json(Version::V026, &script);
    let m = api
        .get_hf_file_metadata(&id, "weights.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        m.etag,
        sha256_hex(&data),
        "LFS etag is the sha256 (X-Linked-Etag)"
    );
    assert_eq!(m.size, data.len() as u64, "X-Linked-Size");
    assert_eq!(m.commit_hash, out["oid"].as_str().unwrap());
    assert!(
        m.location
            .starts_with(&format!("http://localhost:{}/", server.addr().port())),
        "{}",
        m.location
    );
    // The tree agrees.
    let tree: Vec<RepoEntry> = api.list_repo_tree(&id).send().try_collect().await.unwrap();
    let f = tree
        .iter()
        .find(|e| e.path() == "weights.bin")
        .unwrap()
        .as_file()
        .unwrap();
    let lfs = f.lfs.as_ref().unwrap();
    assert_eq!(lfs.sha256, sha256_hex(&data));
    assert_eq!(lfs.size, data.len() as u64);
    assert_eq!(f.size, data.len() as u64);
    // And files_metadata siblings.
    let info = api
        .model_info(&id)
        .files_metadata(true)
        .send()
        .await
        .unwrap();
    let s = info
        .siblings
        .unwrap()
        .into_iter()
        .find(|s| s.rfilename == "weights.bin")
        .unwrap();
    assert_eq!(s.lfs.unwrap().sha256, sha256_hex(&data));
}

// ---------------------------------------------------------------------------------------------
// offline

#[tokio::test]
async fn offline_mode_never_reaches_the_server() {
    let server = TestServer::start();
    let cfg = config(&server).to_builder().offline(true).build();
    let c = HubClient::builder()
        .config(cfg)
        .token(&server.tokens().write)
        .build()
        .unwrap();
    let api = c.api();
    let id = rid("alice/whatever");
    let errs = vec![
        api.whoami().await.map(drop).unwrap_err(),
        api.model_info(&id).send().await.map(drop).unwrap_err(),
        api.create_repo(&id).send().await.map(drop).unwrap_err(),
        api.list_models()
            .send()
            .try_collect::<Vec<_>>()
            .await
            .map(drop)
            .unwrap_err(),
        api.get_hf_file_metadata(&id, "x")
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    ];
    for e in errs {
        assert!(matches!(e, Error::OfflineModeIsEnabled(_)), "{e}");
    }
    // Nothing was created behind our back.
    assert!(
        !alice(&server)
            .api()
            .repo_exists(&id, RepoType::Model)
            .await
            .unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// unreliable server

#[tokio::test]
async fn reads_survive_an_unreliable_server() {
    // 5xx and 429 before the handler runs, and bodies cut after it ran.
    let server = TestServer::builder()
        .chaos("error=0.15,ratelimit=0.05,drop=0.15,seed=11")
        .page_size(2)
        .start();
    let policy = RetryPolicy {
        max_retries: 12,
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(50),
        max_elapsed: std::time::Duration::from_secs(60),
    };
    let c = HubClient::builder()
        .config(config(&server))
        .token(&server.tokens().write)
        .retry_policy(policy)
        .build()
        .unwrap();
    let api = c.api();
    // Setup through the same faults: writes are not retried after a cut body, so loop until
    // the state is visible.
    let id = rid(&format!("{ALICE}/{}", unique_name("chaos")));
    let mut created = false;
    for _ in 0..20 {
        if api.create_repo(&id).exist_ok(true).send().await.is_ok() {
            created = true;
            break;
        }
    }
    assert!(created);
    let files: [(&str, &[u8]); 3] = [("a.txt", b"a"), ("d/b.txt", b"bb"), ("d/e/c.txt", b"ccc")];
    for _ in 0..20 {
        if api
            .file_exists(&id, "d/e/c.txt", RepoType::Model, None)
            .await
            .unwrap_or(false)
        {
            break;
        }
        let mut body =
            json!({"key": "header", "value": {"summary": "files", "description": ""}}).to_string();
        for (p, d) in files {
            body.push('\n');
            body.push_str(&json!({"key": "file", "value": {"content": b64(d), "path": p, "encoding": "base64"}}).to_string());
        }
        body.push('\n');
        let _ = reqwest::Client::new()
            .post(format!("{}/api/models/{id}/commit/main", server.url()))
            .bearer_auth(&server.tokens().write)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await;
    }
    let mut expected: Vec<String> = [
        ".gitattributes",
        "a.txt",
        "d",
        "d/b.txt",
        "d/e",
        "d/e/c.txt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expected.sort();
    for round in 0..8 {
        let info = api
            .model_info(&id)
            .files_metadata(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(info.id, id.as_str());
        let tree: Vec<RepoEntry> = api
            .list_repo_tree(&id)
            .recursive(true)
            .send()
            .try_collect()
            .await
            .unwrap();
        let mut paths: Vec<String> = tree.iter().map(|e| e.path().to_owned()).collect();
        paths.sort();
        assert_eq!(paths, expected);
        let m = api
            .get_hf_file_metadata(&id, "d/e/c.txt")
            .send()
            .await
            .unwrap();
        assert_eq!(m.etag, git_blob_sha1(b"ccc"));
        assert_eq!(m.commit_hash, info.sha.clone().unwrap());
        let refs = api.list_repo_refs(&id).send().await.unwrap();
        assert!(refs.branches.iter().any(|b| b.name == "main"));
        let commits: Vec<_> = api
            .list_repo_commits(&id)
            .send()
            .try_collect()
            .await
            .unwrap();
        assert!(commits.len() >= 2);
        let listed: Vec<_> = api
            .list_models()
            .author(ALICE)
            .send()
            .try_collect()
            .await
            .unwrap();
        assert!(listed.iter().any(|m| m.id == id.as_str()));
    }
    // The faults are real: without retries some of the same reads fail.
    let fragile = client_with(&server, Some(&server.tokens().write)).api();
    let mut failures = 0;
    for _ in 0..30 {
        if fragile.model_info(&id).send().await.is_err() {
            failures += 1;
        }
    }
    assert!(failures > 0, "chaos injected nothing");
}

// ---------------------------------------------------------------------------------------------
// Python 0.26.5 as referee

#[tokio::test]
async fn reads_agree_with_python_026() {
    let server = TestServer::builder().page_size(3).start();
    let api = alice(&server).api();
    let id = repo_with_files(&server).await;
    api.create_branch(&id, "dev").send().await.unwrap();
    api.create_tag(&id, "v1")
        .tag_message("m")
        .send()
        .await
        .unwrap();
    let script = format!(
        r#"import json
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url
api = HfApi()
r = {id:?}
info = api.model_info(r, files_metadata=True)
refs = api.list_repo_refs(r)
tree = api.list_repo_tree(r, recursive=True)
out = {{
  "sha": info.sha,
  "siblings": sorted([[s.rfilename, s.size, s.blob_id] for s in info.siblings]),
  "files": sorted(api.list_repo_files(r)),
  "tree": sorted([t.path for t in tree]),
  "branches": sorted([[b.name, b.target_commit] for b in refs.branches]),
  "tags": sorted([[t.name, t.target_commit] for t in refs.tags]),
  "commits": [c.commit_id for c in api.list_repo_commits(r)],
  "paths": sorted([p.path for p in api.get_paths_info(r, ["config.json", "dir", "nope"])]),
  "meta": [get_hf_file_metadata(hf_hub_url(r, "config.json")).etag],
}}
print(json.dumps(out))
"#,
        id = id.as_str(),
    );
    let py = server.python_json(Version::V026, &script);
    let info = api
        .model_info(&id)
        .files_metadata(true)
        .send()
        .await
        .unwrap();
    assert_eq!(py["sha"], info.sha.clone().unwrap().as_str());
    let mut ours: Vec<Value> = info
        .siblings
        .unwrap()
        .into_iter()
        .map(|s| json!([s.rfilename, s.size, s.blob_id]))
        .collect();
    ours.sort_by_key(|v| v.to_string());
    let mut theirs = py["siblings"].as_array().unwrap().clone();
    theirs.sort_by_key(|v| v.to_string());
    assert_eq!(ours, theirs);
    let mut files = api.list_repo_files(&id).files().await.unwrap();
    files.sort();
    assert_eq!(json!(files), py["files"]);
    let mut tree: Vec<String> = api
        .list_repo_tree(&id)
        .recursive(true)
        .send()
        .map_ok(|e| e.path().to_owned())
        .try_collect()
        .await
        .unwrap();
    tree.sort();
    assert_eq!(json!(tree), py["tree"]);
    let refs = api.list_repo_refs(&id).send().await.unwrap();
    let mut branches: Vec<Value> = refs
        .branches
        .iter()
        .map(|b| json!([b.name, b.target_commit]))
        .collect();
    branches.sort_by_key(|v| v.to_string());
    assert_eq!(json!(branches), py["branches"]);
    let tags: Vec<Value> = refs
        .tags
        .iter()
        .map(|t| json!([t.name, t.target_commit]))
        .collect();
    assert_eq!(json!(tags), py["tags"]);
    let commits: Vec<String> = api
        .list_repo_commits(&id)
        .send()
        .map_ok(|c| c.commit_id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(json!(commits), py["commits"]);
    let mut paths: Vec<String> = api
        .get_paths_info(&id, ["config.json", "dir", "nope"])
        .send()
        .await
        .unwrap()
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    paths.sort();
    assert_eq!(json!(paths), py["paths"]);
    let m = api
        .get_hf_file_metadata(&id, "config.json")
        .send()
        .await
        .unwrap();
    assert_eq!(py["meta"][0], m.etag.as_str());
}
