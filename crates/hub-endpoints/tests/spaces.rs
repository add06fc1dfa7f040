//! Replays the `TestSpaceAPIProduction.*` recordings (Space runtime, pause/restart, secrets,
//! variables) against [`Spaces`].
//!
//! Those cassettes also contain the repo create/upload/delete calls of the Python test set-up;
//! they belong to hub-core/hub-upload and are filtered out here: only `/api/spaces/{id}/{runtime,
//! pause, restart, secrets, variables}` interactions are served and checked.
#![allow(clippy::unwrap_used, missing_docs)]

use hub_core::{Config, HubClient, RepoId};
use hub_endpoints::{SpaceHardware, SpaceStage, SpaceStorage, Spaces};
use test_support::replay::{self, Interaction, RecBody, ReplayServer};
use test_support::{MockServer, RecordedRequest};

fn space_calls(name: &str) -> Vec<Interaction> {
    replay::load(name)
        .into_iter()
        .filter(|i| {
            let path = i.path();
            path.starts_with("/api/spaces/")
                && ["/runtime", "/pause", "/restart", "/secrets", "/variables"]
                    .iter()
                    .any(|t| path.ends_with(t))
        })
        .collect()
}

fn spaces(server: &ReplayServer) -> Spaces {
    let config = Config::builder().endpoint(&server.url).build();
    Spaces::new(
        HubClient::builder()
            .config(config)
            .token("hf_test_token")
            .build()
            .unwrap(),
    )
}

fn check(name: &str, recorded: &[Interaction], sent: &[RecordedRequest]) {
    assert_eq!(sent.len(), recorded.len(), "{name}: number of requests");
    for (i, (rec, got)) in recorded.iter().zip(sent).enumerate() {
        assert_eq!(
            (got.method.as_str(), got.path.as_str()),
            (rec.method.as_str(), rec.path().as_str()),
            "{name} #{i}"
        );
        assert_eq!(
            got.header("authorization"),
            Some("Bearer hf_test_token"),
            "{name} #{i}: token"
        );
        match &rec.req_body {
            RecBody::None => assert!(got.body.is_empty(), "{name} #{i}: no body expected"),
            RecBody::Text(_) => assert_eq!(
                got.json(),
                rec.req_body.json().unwrap(),
                "{name} #{i}: body"
            ),
            RecBody::Bytes(_) => panic!("{name} #{i}: unexpected binary body"),
        }
    }
}

fn space() -> RepoId {
    RepoId::new("user/tmp_test_space").unwrap()
}

#[tokio::test]
async fn space_runtime() {
    let name = "TestSpaceAPIProduction.test_space_runtime.yaml";
    let rec = space_calls(name);
    let server = ReplayServer::start(rec.clone()).await;
    let runtime = spaces(&server).get_space_runtime(&space()).await.unwrap();
    assert_eq!(runtime.stage, SpaceStage::NoAppFile);
    assert_eq!(runtime.hardware, None);
    assert_eq!(runtime.requested_hardware, Some(SpaceHardware::CpuBasic));
    assert_eq!(runtime.sleep_time, Some(172800));
    assert_eq!(runtime.storage, None);
    check(name, &rec, &server.captured());
}

#[tokio::test]
async fn static_space_runtime() {
    let name = "TestSpaceAPIProduction.test_static_space_runtime.yaml";
    let rec = space_calls(name);
    let server = ReplayServer::start(rec.clone()).await;
    let runtime = spaces(&server)
        .get_space_runtime(&RepoId::new("victor/static-space").unwrap())
        .await
        .unwrap();
    assert_eq!(runtime.stage, SpaceStage::Running);
    assert_eq!(
        (
            runtime.hardware,
            runtime.requested_hardware,
            runtime.sleep_time
        ),
        (None, None, None)
    );
    check(name, &rec, &server.captured());
}

#[tokio::test]
async fn pause_and_restart_space() {
    let name = "TestSpaceAPIProduction.test_pause_and_restart_space.yaml";
    let rec = space_calls(name);
    let server = ReplayServer::start(rec.clone()).await;
    let api = spaces(&server);
    assert_eq!(
        api.get_space_runtime(&space()).await.unwrap().stage,
        SpaceStage::Building
    );
    assert_eq!(
        api.pause_space(&space()).await.unwrap().stage,
        SpaceStage::Paused
    );
    assert_eq!(
        api.restart_space(&space(), false).await.unwrap().stage,
        SpaceStage::Building
    );
    assert_eq!(
        api.get_space_runtime(&space()).await.unwrap().stage,
        SpaceStage::Building
    );
    check(name, &rec, &server.captured());
}

#[tokio::test]
async fn manage_secrets() {
    let name = "TestSpaceAPIProduction.test_manage_secrets.yaml";
    let rec = space_calls(name);
    let server = ReplayServer::start(rec.clone()).await;
    let api = spaces(&server);
    let s = space();
    api.add_space_secret(&s, "foo", "123", None).await.unwrap();
    api.add_space_secret(&s, "token", "hf_api_123456", None)
        .await
        .unwrap();
    api.add_space_secret(&s, "gh_api_key", "******", None)
        .await
        .unwrap();
    api.add_space_secret(&s, "bar", "123", Some("This is a secret"))
        .await
        .unwrap();
    api.add_space_secret(&s, "foo", "456", None).await.unwrap();
    api.add_space_secret(&s, "foo", "789", Some("This is a secret"))
        .await
        .unwrap();
    api.add_space_secret(&s, "bar", "456", Some("This is another secret"))
        .await
        .unwrap();
    api.delete_space_secret(&s, "gh_api_key").await.unwrap();
    api.delete_space_secret(&s, "missing_key").await.unwrap();
    check(name, &rec, &server.captured());
}

#[tokio::test]
async fn manage_variables() {
    let name = "TestSpaceAPIProduction.test_manage_variables.yaml";
    let rec = space_calls(name);
    let server = ReplayServer::start(rec.clone()).await;
    let api = spaces(&server);
    let s = space();
    assert!(api.get_space_variables(&s).await.unwrap().is_empty());
    let vars = api
        .add_space_variable(&s, "foo", "123", None)
        .await
        .unwrap();
    assert_eq!(vars["foo"].value, "123");
    api.add_space_variable(&s, "MODEL_REPO_ID", "user/repo", None)
        .await
        .unwrap();
    let vars = api
        .add_space_variable(&s, "MODEL_PAPER", "arXiv", Some("found it there"))
        .await
        .unwrap();
    assert_eq!(
        vars["MODEL_PAPER"].description.as_deref(),
        Some("found it there")
    );
    api.add_space_variable(&s, "foo", "456", None)
        .await
        .unwrap();
    let vars = api
        .add_space_variable(&s, "foo", "456", Some("updated description"))
        .await
        .unwrap();
    assert_eq!(
        vars["foo"].description.as_deref(),
        Some("updated description")
    );
    api.delete_space_variable(&s, "gh_api_key").await.unwrap();
    api.delete_space_variable(&s, "missing_key").await.unwrap();
    let vars = api.get_space_variables(&s).await.unwrap();
    assert_eq!(vars.len(), 3);
    assert_eq!(
        vars["foo"].updated_at.as_deref(),
        Some("2023-12-21T15:48:14.457Z")
    );
    assert_eq!(vars["MODEL_REPO_ID"].value, "user/repo");
    check(name, &rec, &server.captured());
}

/// Hardware, sleep time, storage and factory restart: no recording, so a capturing server.
#[tokio::test]
async fn hardware_sleep_time_storage_and_factory_restart() {
    let runtime = serde_json::json!({"stage": "RUNNING_BUILDING", "hardware": {"current": "cpu-basic", "requested": "t4-medium"},
        "storage": {"current": null, "requested": "large"}, "gcTimeout": 3600});
    let app = axum::Router::new().fallback(move || {
        let runtime = runtime.clone();
        async move { axum::Json(runtime) }
    });
    let server = MockServer::start(app).await.unwrap();
    let url = server.url();

    let config = Config::builder().endpoint(&url).build();
    let api = Spaces::new(
        HubClient::builder()
            .config(config)
            .token("hf_test_token")
            .build()
            .unwrap(),
    );
    let s = space();
    let rt = api
        .request_space_hardware(&s, SpaceHardware::T4Medium, Some(3600))
        .await
        .unwrap();
    assert_eq!(rt.stage, SpaceStage::RunningBuilding);
    assert_eq!(
        (rt.hardware, rt.requested_hardware),
        (Some(SpaceHardware::CpuBasic), Some(SpaceHardware::T4Medium))
    );
    assert_eq!(
        (rt.sleep_time, rt.storage.as_deref()),
        (Some(3600), Some("large"))
    );
    api.set_space_sleep_time(&s, 3600).await.unwrap();
    api.request_space_storage(&s, SpaceStorage::Large)
        .await
        .unwrap();
    // A flavor newer than this crate still goes through verbatim.
    api.request_space_hardware(&s, "h100x8", None)
        .await
        .unwrap();
    api.delete_space_storage(&s).await.unwrap();
    api.restart_space(&s, true).await.unwrap();
    let seen = server.requests();
    let calls: Vec<(&str, &str, serde_json::Value)> = seen
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let base = "/api/spaces/user/tmp_test_space";
    assert_eq!(
        calls,
        vec![
            (
                "POST",
                &*format!("{base}/hardware"),
                serde_json::json!({"flavor": "t4-medium", "sleepTimeSeconds": 3600})
            ),
            (
                "POST",
                &*format!("{base}/sleeptime"),
                serde_json::json!({"seconds": 3600})
            ),
            (
                "POST",
                &*format!("{base}/storage"),
                serde_json::json!({"tier": "large"})
            ),
            (
                "POST",
                &*format!("{base}/hardware"),
                serde_json::json!({"flavor": "h100x8"})
            ),
            (
                "DELETE",
                &*format!("{base}/storage"),
                serde_json::Value::Null
            ),
            (
                "POST",
                &*format!("{base}/restart?factory=true"),
                serde_json::Value::Null
            ),
        ]
    );
}
