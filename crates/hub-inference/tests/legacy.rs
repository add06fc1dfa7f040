//! The legacy `InferenceApi` against sessions recorded from Python 0.26.5's `InferenceApi`
//! (`tests/fixtures/legacy-inference-api/record.py`, run against a local stand-in for the Hub's
//! model info and the serverless `/pipeline/{task}/{model}` routes).
//!
//! Each test replays one cassette: the replay server answers what the stand-in answered, and the
//! test checks that the Rust client sent what Python sent — method, path, body (JSON compared as
//! values, raw bytes byte for byte), content type and `Authorization` — then checks the decoded
//! answer.
#![allow(clippy::unwrap_used, missing_docs, deprecated)]

use hub_core::{Config, HubClient};
use hub_inference::{Error, InferenceApi, InferenceApiBuilder, InferenceApiOutput};
use serde_json::json;
use test_support::RecordedRequest as Captured;
use test_support::replay::{self, Interaction, RecBody, ReplayServer};

const TOKEN: &str = "hf_legacy_test_token";

fn cassette(name: &str) -> Vec<Interaction> {
    replay::load_path(std::path::Path::new(&format!(
        "{}/tests/fixtures/legacy-inference-api/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    )))
}

/// A builder pointed at the replay server for both the Hub and the Inference API, without the
/// environment's token (the recordings decide whether one is sent).
fn builder(server: &ReplayServer, repo_id: &str) -> InferenceApiBuilder {
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    InferenceApi::builder(repo_id).hub_client(hub)
}

/// Python's requests and ours must agree on everything the server sees that matters.
fn check(name: &str, recorded: &[Interaction], sent: &[Captured]) {
    assert_eq!(sent.len(), recorded.len(), "{name}: number of requests");
    for (i, (rec, got)) in recorded.iter().zip(sent).enumerate() {
        assert_eq!(got.method.as_str(), rec.method, "{name} #{i}: method");
        assert_eq!(got.path, rec.path(), "{name} #{i}: path");
        assert_eq!(
            got.header("authorization"),
            rec.req_header("authorization"),
            "{name} #{i}: authorization"
        );
        match &rec.req_body {
            RecBody::None => assert!(got.body.is_empty(), "{name} #{i}: unexpected body"),
            RecBody::Bytes(b) => {
                assert_eq!(got.body.as_ref(), b.as_slice(), "{name} #{i}: raw body");
                assert_eq!(
                    got.header("content-type"),
                    None,
                    "{name} #{i}: content type"
                );
            }
            RecBody::Text(_) => {
                assert_eq!(
                    got.json(),
                    rec.req_body.json().unwrap(),
                    "{name} #{i}: JSON"
                );
                assert_eq!(
                    got.header("content-type"),
                    Some("application/json"),
                    "{name} #{i}: content type"
                );
            }
        }
    }
}

macro_rules! legacy_replay {
    ($name:ident, |$server:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            let rec = cassette(stringify!($name));
            let $server = ReplayServer::start(rec.clone()).await;
            $body
            check(stringify!($name), &rec, &$server.captured());
        }
    };
}

fn json_of(out: InferenceApiOutput) -> serde_json::Value {
    match out {
        InferenceApiOutput::Json(v) => v,
        other => panic!("expected JSON, got {other:?}"),
    }
}

legacy_replay!(fill_mask_discovered_task, |server| {
    let api = builder(&server, "bert-base-uncased")
        .token(TOKEN)
        .await
        .unwrap();
    assert_eq!(api.task(), "fill-mask");
    assert_eq!(
        api.api_url(),
        format!("{}/pipeline/fill-mask/bert-base-uncased", server.url)
    );
    let out = api
        .call()
        .inputs(json!("The goal of life is [MASK]."))
        .await
        .unwrap();
    assert_eq!(json_of(out)[0]["token_str"], "life");
});

legacy_replay!(question_answering_dict_inputs, |server| {
    let api = builder(&server, "deepset/roberta-base-squad2")
        .token(TOKEN)
        .await
        .unwrap();
    let out = api
        .call()
        .inputs(json!({"question": "What's my name?", "context": "My name is Clara and I live in Berkeley."}))
        .await
        .unwrap();
    assert_eq!(json_of(out)["answer"], "Clara");
});

legacy_replay!(zero_shot_with_params, |server| {
    let api = builder(&server, "typeform/distilbert-base-uncased-mnli")
        .token(TOKEN)
        .await
        .unwrap();
    let out = api
        .call()
        .inputs(json!("Hi, I recently bought a device from your company but it is not working as advertised and I would like to get reimbursed!"))
        .params(json!({"candidate_labels": ["refund", "legal", "faq"]}))
        .await
        .unwrap();
    assert_eq!(json_of(out)["labels"][0], "refund");
});

legacy_replay!(forced_task_feature_extraction, |server| {
    // The model's pipeline_tag is sentence-similarity; the forced task wins.
    let api = builder(
        &server,
        "sentence-transformers/paraphrase-xlm-r-multilingual-v1",
    )
    .task("feature-extraction")
    .token(TOKEN)
    .await
    .unwrap();
    assert_eq!(api.task(), "feature-extraction");
    let out = api.call().inputs(json!("Hello world")).await.unwrap();
    assert_eq!(json_of(out), json!([0.25, -0.5, 0.125]));
});

legacy_replay!(text_to_image_raw_response, |server| {
    let api = builder(&server, "stabilityai/stable-diffusion-2-1")
        .token(TOKEN)
        .await
        .unwrap();
    let raw = api
        .call()
        .inputs(json!("cat"))
        .raw_response()
        .await
        .unwrap();
    assert_eq!(raw.content_type(), Some("image/png"));
    assert!(raw.body.starts_with(b"\x89PNG"));
});

/// Same session, decoded: the PNG becomes an image (2×1, red then green).
#[tokio::test]
async fn text_to_image_decoded() {
    let rec = cassette("text_to_image_raw_response");
    let server = ReplayServer::start(rec.clone()).await;
    let api = builder(&server, "stabilityai/stable-diffusion-2-1")
        .token(TOKEN)
        .await
        .unwrap();
    let InferenceApiOutput::Image(image) = api.call().inputs(json!("cat")).await.unwrap() else {
        panic!("expected an image")
    };
    let rgb = image.to_rgb8();
    assert_eq!(rgb.dimensions(), (2, 1));
    assert_eq!(rgb.get_pixel(0, 0).0, [255, 0, 0]);
    assert_eq!(rgb.get_pixel(1, 0).0, [0, 255, 0]);
    check("text_to_image_decoded", &rec, &server.captured());
}

legacy_replay!(text_to_speech_raw_response_gpu, |server| {
    let api = builder(&server, "mio/amadeus")
        .token(TOKEN)
        .gpu(true)
        .await
        .unwrap();
    assert_eq!(api.task(), "text-to-speech");
    let raw = api
        .call()
        .inputs(json!("hello world"))
        .raw_response()
        .await
        .unwrap();
    assert_eq!(raw.content_type(), Some("audio/flac"));
    assert!(raw.body.starts_with(b"fLaC"));
});

/// Audio is not decoded: the error says to use `raw_response`.
#[tokio::test]
async fn audio_answer_needs_raw_response() {
    let rec = cassette("text_to_speech_raw_response_gpu");
    let server = ReplayServer::start(rec.clone()).await;
    let api = builder(&server, "mio/amadeus")
        .token(TOKEN)
        .gpu(true)
        .await
        .unwrap();
    let err = api.call().inputs(json!("hello world")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.contains("audio/flac") && m.contains("raw_response")),
        "{err}"
    );
    check("audio_answer_needs_raw_response", &rec, &server.captured());
}

legacy_replay!(image_classification_binary_data, |server| {
    let api = builder(&server, "google/vit-base-patch16-224")
        .token(TOKEN)
        .await
        .unwrap();
    let RecBody::Bytes(png) = &cassette("image_classification_binary_data")[1].req_body else {
        panic!("the recorded call sent raw bytes")
    };
    // Inputs and parameters are ignored when raw data is sent, as in Python.
    let out = api
        .call()
        .inputs(json!("ignored"))
        .data(png.clone())
        .await
        .unwrap();
    assert_eq!(json_of(out)[0]["label"], "tabby, tabby cat");
});

legacy_replay!(no_token_empty_inputs_and_params, |server| {
    let api = builder(&server, "bert-base-uncased").await.unwrap();
    // Empty inputs and parameters are left out, as Python leaves out falsy values.
    let out = api
        .call()
        .inputs(json!(""))
        .params(json!({}))
        .await
        .unwrap();
    assert_eq!(json_of(out)[1]["token_str"], "survival");
});

legacy_replay!(untagged_model_without_task, |server| {
    let err = builder(&server, "someone/untagged")
        .token(TOKEN)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoTask { repo_id } if repo_id == "someone/untagged"),
        "{err}"
    );
    assert!(err.to_string().contains("pipeline_tag"));
});

/// Python asks the Hub for the model before refusing an unknown task (its recording holds that
/// one GET); the Rust client refuses it before sending anything.
#[tokio::test]
async fn unknown_task_is_refused_before_any_request() {
    let rec = cassette("unknown_task");
    assert_eq!(rec.len(), 1, "Python's session: the model-info GET only");
    assert_eq!(rec[0].path(), "/api/models/bert-base-uncased");
    let server = ReplayServer::start(rec).await;
    let err = builder(&server, "bert-base-uncased")
        .task("not-a-task")
        .token(TOKEN)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownTask { task } if task == "not-a-task"),
        "{err}"
    );
    assert!(server.captured().is_empty(), "nothing may be sent");
}

/// The token never shows in `Debug`.
#[tokio::test]
async fn debug_hides_the_token() {
    let rec = cassette("fill_mask_discovered_task");
    let server = ReplayServer::start(rec).await;
    let b = builder(&server, "bert-base-uncased").token(TOKEN);
    assert!(!format!("{b:?}").contains(TOKEN));
    let api = b.await.unwrap();
    assert!(!format!("{api:?}").contains(TOKEN));
}
