//! Every task × every documented parameter: the JSON the client sends.
//!
//! For each task, [`SEED_PARAMETERS`] lists the parameters the seed documents (the fields of its
//! `…Parameters` type, or the keyword arguments of Python's method for the few tasks where the
//! two differ; see docs/inference.md). Then, against a local server:
//!
//! - with no parameters, nothing but the seed's always-sent defaults goes out (binary tasks send
//!   the raw bytes);
//! - with one parameter set, exactly that parameter goes out, under the seed's name, with the
//!   value given (binary tasks switch to `{"inputs": base64, "parameters": …}`).
//!
//! Parameters are built from JSON (`{name: value}`) into the typed structs, so a misspelt or
//! missing field shows up as a parameter that was not sent.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hub_core::{Config, HubClient};
use hub_inference::InferenceClient;
use hub_inference::types::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake";

/// The seed's parameters of each task, in the seed's order. `generate.*` are the fields of the
/// nested `generate` object.
const SEED_PARAMETERS: &[(&str, &[&str])] = &[
    ("audio-classification", &["function_to_apply", "top_k"]),
    ("audio-to-audio", &[]),
    (
        "automatic-speech-recognition",
        &["generate.*", "return_timestamps"],
    ),
    (
        "chat-completion",
        &[
            "frequency_penalty",
            "logit_bias",
            "logprobs",
            "max_tokens",
            "n",
            "presence_penalty",
            "response_format",
            "seed",
            "stop",
            "temperature",
            "tool_choice",
            "tool_prompt",
            "tools",
            "top_logprobs",
            "top_p",
        ],
    ),
    (
        "document-question-answering",
        &[
            "doc_stride",
            "handle_impossible_answer",
            "lang",
            "max_answer_len",
            "max_question_len",
            "max_seq_len",
            "top_k",
            "word_boxes",
        ],
    ),
    (
        "feature-extraction",
        &[
            "normalize",
            "prompt_name",
            "truncate",
            "truncation_direction",
        ],
    ),
    ("fill-mask", &["targets", "top_k"]),
    ("image-classification", &["function_to_apply", "top_k"]),
    (
        "image-segmentation",
        &[
            "mask_threshold",
            "overlap_mask_area_threshold",
            "subtask",
            "threshold",
        ],
    ),
    (
        "image-to-image",
        &[
            "guidance_scale",
            "negative_prompt",
            "num_inference_steps",
            "target_size",
            "prompt",
            "height",
            "width",
        ],
    ),
    ("image-to-text", &["generate.*", "max_new_tokens"]),
    ("object-detection", &["threshold"]),
    (
        "question-answering",
        &[
            "align_to_words",
            "doc_stride",
            "handle_impossible_answer",
            "max_answer_len",
            "max_question_len",
            "max_seq_len",
            "top_k",
        ],
    ),
    ("sentence-similarity", &["(free-form)"]),
    (
        "summarization",
        &[
            "clean_up_tokenization_spaces",
            "generate_parameters",
            "truncation",
        ],
    ),
    (
        "table-question-answering",
        &["padding", "sequential", "truncation", "(free-form)"],
    ),
    ("tabular-classification", &[]),
    ("tabular-regression", &[]),
    ("text-classification", &["function_to_apply", "top_k"]),
    (
        "text-generation",
        &[
            "adapter_id",
            "best_of",
            "decoder_input_details",
            "details",
            "do_sample",
            "frequency_penalty",
            "grammar",
            "max_new_tokens",
            "repetition_penalty",
            "return_full_text",
            "seed",
            "stop",
            "temperature",
            "top_k",
            "top_n_tokens",
            "top_p",
            "truncate",
            "typical_p",
            "watermark",
        ],
    ),
    (
        "text-to-image",
        &[
            "guidance_scale",
            "negative_prompt",
            "num_inference_steps",
            "scheduler",
            "seed",
            "target_size",
            "height",
            "width",
        ],
    ),
    ("text-to-speech", &["generate.* (flat)"]),
    (
        "token-classification",
        &["aggregation_strategy", "ignore_labels", "stride"],
    ),
    (
        "translation",
        &[
            "clean_up_tokenization_spaces",
            "generate_parameters",
            "src_lang",
            "tgt_lang",
            "truncation",
        ],
    ),
    ("visual-question-answering", &["top_k"]),
    (
        "zero-shot-classification",
        &["hypothesis_template", "multi_label"],
    ),
    ("zero-shot-image-classification", &["hypothesis_template"]),
];

/// A value for each parameter name (types follow the seed).
fn value_for(name: &str) -> Value {
    match name {
        "function_to_apply" => json!("softmax"),
        "top_k" | "num_beams" => json!(4),
        "return_timestamps"
        | "normalize"
        | "handle_impossible_answer"
        | "align_to_words"
        | "sequential"
        | "logprobs"
        | "details"
        | "decoder_input_details"
        | "watermark"
        | "multi_label"
        | "clean_up_tokenization_spaces" => json!(true),
        "do_sample" | "return_full_text" | "use_cache" => json!(true),
        "early_stopping" => json!("never"),
        "epsilon_cutoff" | "eta_cutoff" | "penalty_alpha" | "typical_p" | "top_p" => json!(0.5),
        "temperature" | "guidance_scale" | "frequency_penalty" | "presence_penalty"
        | "repetition_penalty" => json!(1.5),
        "max_length"
        | "max_new_tokens"
        | "max_tokens"
        | "max_answer_len"
        | "max_question_len"
        | "max_seq_len"
        | "num_inference_steps"
        | "height"
        | "width"
        | "truncate" => json!(64),
        "min_length" | "min_new_tokens" | "num_beam_groups" | "doc_stride" | "stride" | "n"
        | "best_of" | "top_n_tokens" | "top_logprobs" => json!(2),
        "seed" => json!(42),
        "lang" | "src_lang" => json!("en_XX"),
        "tgt_lang" => json!("fr_XX"),
        "word_boxes" => json!(["hello", [1.0, 2.0, 3.0, 4.0]]),
        "prompt_name" | "adapter_id" | "scheduler" | "tool_prompt" | "prompt" => {
            json!("some-name")
        }
        "truncation_direction" => json!("Left"),
        "targets" | "negative_prompt" | "ignore_labels" | "stop" => json!(["a", "b"]),
        "mask_threshold" | "overlap_mask_area_threshold" | "threshold" => json!(0.25),
        "subtask" => json!("panoptic"),
        "target_size" => json!({"height": 512, "width": 768}),
        "generate_parameters" => json!({"num_beams": 3}),
        "truncation" => json!("only_first"),
        "padding" => json!("max_length"),
        "aggregation_strategy" => json!("simple"),
        "hypothesis_template" => json!("This example is {}."),
        "grammar" => json!({"type": "regex", "value": "[a-z]+"}),
        "logit_bias" => json!({"50256": -100}),
        "response_format" => json!({"type": "json", "value": {"type": "object"}}),
        "tool_choice" => json!("auto"),
        "tools" => {
            json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])
        }
        other => panic!("no test value for parameter {other}"),
    }
}

const GENERATION_FIELDS: &[&str] = &[
    "do_sample",
    "early_stopping",
    "epsilon_cutoff",
    "eta_cutoff",
    "max_length",
    "max_new_tokens",
    "min_length",
    "min_new_tokens",
    "num_beam_groups",
    "num_beams",
    "penalty_alpha",
    "temperature",
    "top_k",
    "top_p",
    "typical_p",
    "use_cache",
];

/// One row of the table: parameters given (JSON object) → the `parameters` object expected.
struct Row {
    given: Value,
    expected: Value,
}

/// The rows of a task: one per parameter, each set alone.
fn rows(task: &str, names: &[&str]) -> Vec<Row> {
    let mut rows = Vec::new();
    for name in names {
        match *name {
            "generate.*" => {
                for g in GENERATION_FIELDS {
                    let p = json!({"generate": {*g: value_for(g)}});
                    rows.push(Row {
                        given: p.clone(),
                        expected: p,
                    });
                }
            }
            "generate.* (flat)" => {
                for g in GENERATION_FIELDS {
                    let p = json!({*g: value_for(g)});
                    rows.push(Row {
                        given: p.clone(),
                        expected: p,
                    });
                }
            }
            "(free-form)" => {
                let p = json!({"custom_knob": [1, "two"]});
                rows.push(Row {
                    given: p.clone(),
                    expected: p,
                });
            }
            n => {
                // `truncate` is a flag for embeddings, a token count for generation.
                // and table-QA's `truncation` is a flag, the text-to-text tasks' a strategy.
                let v = match (task, n) {
                    ("feature-extraction", "truncate") => json!(true),
                    ("table-question-answering", "truncation") => json!(true),
                    _ => value_for(n),
                };
                let p = json!({n: v});
                if (task, n) == ("text-generation", "decoder_input_details") {
                    // Prompt details need `details`: alone, the flag is sent as false (as
                    // Python does, with a warning); with `details: true` it goes as set.
                    rows.push(Row {
                        given: p,
                        expected: json!({n: false}),
                    });
                    let both = json!({n: true, "details": true});
                    rows.push(Row {
                        given: both.clone(),
                        expected: both,
                    });
                    continue;
                }
                rows.push(Row {
                    given: p.clone(),
                    expected: p,
                });
            }
        }
    }
    rows
}

/// Keys sent even when the caller set nothing: the seed's defaults of Python's methods.
fn always_sent(task: &str) -> Value {
    match task {
        "text-generation" => {
            json!({"details": false, "do_sample": false, "return_full_text": false, "stop": []})
        }
        "zero-shot-classification" => json!({"candidate_labels": ["a", "b"], "multi_label": false}),
        _ => json!({}),
    }
}

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>);

async fn handler(State(seen): State<Seen>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    seen.0.lock().unwrap().push((path.clone(), headers, body));
    let task = path.rsplit('/').next().unwrap_or_default();
    let label = json!([{"label": "a", "score": 0.5}]);
    let answer = match task {
        "audio-classification" | "image-classification" | "zero-shot-image-classification" => label,
        "text-classification" => json!([label]),
        "audio-to-audio" => json!([{"label": "a", "blob": "AAAA", "content-type": "audio/flac"}]),
        "automatic-speech-recognition" => json!({"text": "hi"}),
        "text-to-speech" | "image-to-image" | "text-to-image" => {
            return ([("content-type", "application/octet-stream")], PNG).into_response();
        }
        "image-segmentation" => json!([{"label": "a", "mask": "AAAA", "score": 0.5}]),
        "image-to-text" => json!([{"generated_text": "x"}]),
        "object-detection" => {
            json!([{"box": {"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4}, "label": "a", "score": 0.5}])
        }
        "document-question-answering" => json!([{"answer": "x"}]),
        "visual-question-answering" => json!([{"answer": "x", "score": 0.5}]),
        "feature-extraction" => json!([0.5, 0.25]),
        "fill-mask" => json!([{"score": 0.5, "sequence": "a x", "token": 1, "token_str": "x"}]),
        "question-answering" => json!({"answer": "x", "end": 1, "score": 0.5, "start": 0}),
        "sentence-similarity" | "tabular-regression" => json!([0.5]),
        "tabular-classification" => json!(["yes"]),
        "summarization" => json!([{"summary_text": "x"}]),
        "table-question-answering" => json!({"answer": "x", "cells": [], "coordinates": []}),
        "token-classification" => json!([{"score": 0.5}]),
        "translation" => json!([{"translation_text": "x"}]),
        "zero-shot-classification" => json!({"labels": ["a", "b"], "scores": [0.5, 0.5]}),
        "text-generation" => json!([{"generated_text": "x"}]),
        "completions" => json!({
            "id": "1", "created": 1, "model": "m", "system_fingerprint": "f",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}],
            "usage": {"completion_tokens": 1, "prompt_tokens": 1, "total_tokens": 2}
        }),
        _ => return (axum::http::StatusCode::NOT_FOUND, "unknown task").into_response(),
    };
    Json(answer).into_response()
}

struct Server {
    url: String,
    seen: Seen,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Server {
    let seen = Seen::default();
    let app = axum::Router::new()
        .fallback(handler)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Server {
        url,
        seen,
        _shutdown: tx,
    }
}

fn params<T: DeserializeOwned>(given: &Option<Value>) -> Option<T> {
    given.as_ref().map(|v| {
        serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("{v} does not fit the parameter type: {e}"))
    })
}

fn table() -> Table {
    Table::from([("col".to_owned(), vec!["1".to_owned()])])
}

/// Calls `task` with `given` parameters (None: no parameters); the model id is the task name so
/// the server knows what to answer.
async fn call(client: &InferenceClient, task: &str, given: Option<Value>) {
    let c = client.with_model(task);
    let image = || PNG.to_vec();
    match task {
        "audio-classification" => drop(
            c.audio_classification(image(), params(&given))
                .await
                .unwrap(),
        ),
        "audio-to-audio" => drop(c.audio_to_audio(image()).await.unwrap()),
        "automatic-speech-recognition" => drop(
            c.automatic_speech_recognition(image(), params(&given))
                .await
                .unwrap(),
        ),
        "chat-completion" => {
            let mut input = json!({"messages": [{"role": "user", "content": "hi"}]});
            if let Some(Value::Object(p)) = &given {
                for (k, v) in p {
                    input[k] = v.clone();
                }
            }
            let input: ChatCompletionInput = serde_json::from_value(input).unwrap();
            drop(c.chat_completion(&input).await.unwrap())
        }
        "document-question-answering" => drop(
            c.document_question_answering(image(), "q?", params(&given))
                .await
                .unwrap(),
        ),
        "feature-extraction" => drop(c.feature_extraction("x", params(&given)).await.unwrap()),
        "fill-mask" => drop(c.fill_mask("x", params(&given)).await.unwrap()),
        "image-classification" => drop(
            c.image_classification(image(), params(&given))
                .await
                .unwrap(),
        ),
        "image-segmentation" => drop(c.image_segmentation(image(), params(&given)).await.unwrap()),
        "image-to-image" => drop(c.image_to_image(image(), params(&given)).await.unwrap()),
        "image-to-text" => drop(c.image_to_text(image(), params(&given)).await.unwrap()),
        "object-detection" => drop(c.object_detection(image(), params(&given)).await.unwrap()),
        "question-answering" => drop(
            c.question_answering("q?", "ctx", params(&given))
                .await
                .unwrap(),
        ),
        "sentence-similarity" => drop(
            c.sentence_similarity("a", &["b"], params(&given))
                .await
                .unwrap(),
        ),
        "summarization" => drop(c.summarization("x", params(&given)).await.unwrap()),
        "table-question-answering" => drop(
            c.table_question_answering(&table(), "q?", params(&given))
                .await
                .unwrap(),
        ),
        "tabular-classification" => drop(c.tabular_classification(&table()).await.unwrap()),
        "tabular-regression" => drop(c.tabular_regression(&table()).await.unwrap()),
        "text-classification" => drop(c.text_classification("x", params(&given)).await.unwrap()),
        "text-generation" => drop(c.text_generation("x", params(&given)).await.unwrap()),
        "text-to-image" => drop(c.text_to_image("x", params(&given)).await.unwrap()),
        "text-to-speech" => drop(c.text_to_speech("x", params(&given)).await.unwrap()),
        "token-classification" => drop(c.token_classification("x", params(&given)).await.unwrap()),
        "translation" => drop(c.translation("x", params(&given)).await.unwrap()),
        "visual-question-answering" => drop(
            c.visual_question_answering(image(), "q?", params(&given))
                .await
                .unwrap(),
        ),
        "zero-shot-classification" => drop(
            c.zero_shot_classification("x", &["a", "b"], params(&given))
                .await
                .unwrap(),
        ),
        "zero-shot-image-classification" => drop(
            c.zero_shot_image_classification(image(), &["a", "b"], params(&given))
                .await
                .unwrap(),
        ),
        other => panic!("no call for task {other}"),
    }
}

/// Tasks whose input is binary: raw bytes without parameters, base64 JSON with them.
const BINARY: &[&str] = &[
    "audio-classification",
    "automatic-speech-recognition",
    "image-classification",
    "image-segmentation",
    "image-to-image",
    "image-to-text",
    "object-detection",
];

/// Where the parameters of a task's body live.
fn sent_parameters(task: &str, body: &Value) -> Value {
    if task == "chat-completion" {
        // Chat parameters are top-level fields; `messages`, `model` and `stream` are not.
        let mut b = body.clone();
        let o = b.as_object_mut().unwrap();
        for k in ["messages", "model", "stream"] {
            o.remove(k);
        }
        return b;
    }
    body.get("parameters").cloned().unwrap_or_else(|| json!({}))
}

fn merged(base: &Value, extra: &Value) -> Value {
    let mut out = base.clone();
    for (k, v) in extra.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

#[tokio::test]
async fn every_task_sends_every_parameter_as_set_and_nothing_unset() {
    let server = start().await;
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    let client = InferenceClient::builder().hub_client(hub).build().unwrap();
    let mut checked = 0;
    for (task, names) in SEED_PARAMETERS {
        // Nothing set: only the always-sent defaults (raw bytes for binary tasks).
        call(&client, task, None).await;
        let (path, headers, body) = server.seen.0.lock().unwrap().last().unwrap().clone();
        if BINARY.contains(task) || *task == "audio-to-audio" {
            assert_eq!(body.as_ref(), PNG, "{task}: raw bytes without parameters");
            assert!(headers.get("content-type").is_none(), "{task}");
        } else {
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                sent_parameters(task, &body),
                always_sent(task),
                "{task} ({path}): nothing set"
            );
            if !matches!(
                *task,
                "text-generation" | "zero-shot-classification" | "chat-completion"
            ) {
                assert!(
                    body.get("parameters").is_none(),
                    "{task}: no parameters key"
                );
            }
        }
        // Each parameter alone.
        for row in rows(task, names) {
            call(&client, task, Some(row.given.clone())).await;
            let (_, headers, body) = server.seen.0.lock().unwrap().last().unwrap().clone();
            assert_eq!(
                headers.get("content-type").map(|v| v.to_str().unwrap()),
                Some("application/json"),
                "{task} {}",
                row.given
            );
            let body: Value = serde_json::from_slice(&body).unwrap();
            if BINARY.contains(task) {
                let inputs = body["inputs"].as_str().unwrap();
                assert_eq!(
                    base64::engine::general_purpose::STANDARD
                        .decode(inputs)
                        .unwrap(),
                    PNG,
                    "{task}: base64 input"
                );
            }
            assert_eq!(
                sent_parameters(task, &body),
                merged(&always_sent(task), &row.expected),
                "{task}: {} must be sent as set, and nothing else",
                row.given
            );
            checked += 1;
        }
    }
    // 25 tasks with parameters + the generation fields expanded.
    assert!(checked >= 150, "only {checked} task × parameter rows ran");
}

/// The always-sent defaults are overridden, never duplicated: `details: true` streams as set,
/// and `details: false` is sent as false when streaming (it used to be forced to true).
#[tokio::test]
async fn text_generation_stream_sends_details_as_given() {
    let server = start().await;
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    let client = InferenceClient::builder()
        .hub_client(hub)
        .model("text-generation")
        .build()
        .unwrap();
    for details in [None, Some(false), Some(true)] {
        let p = TextGenerationInputGenerateParameters {
            details,
            ..Default::default()
        };
        // The server answers JSON, not events: the stream call fails, after sending.
        let _ = client.text_generation_stream("x", Some(p)).await;
        let (_, _, body) = server.seen.0.lock().unwrap().last().unwrap().clone();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["stream"], json!(true));
        assert_eq!(
            body["parameters"]["details"],
            json!(details.unwrap_or(false)),
            "details {details:?}"
        );
    }
}
