//! Replays every recorded interaction of `shared/fixtures/inference-recordings` against the
//! client: a local server answers the recorded response, the test checks the request the client
//! sent (method, path, JSON or binary body) and the typed output it parsed.
#![allow(clippy::unwrap_used, clippy::float_cmp, missing_docs)]

use futures::StreamExt;
use hub_core::{Config, HubClient};
use hub_inference::types::*;
use hub_inference::{BinaryInput, Error, InferenceClient};
use serde_json::{Value, json};
use test_support::RecordedRequest;
use test_support::replay::{self, Interaction, RecBody, ReplayServer};

// ---------------------------------------------------------------------------------------------
// Per-recording differences between the recorded request and the request the current client
// sends. The recordings were made by several older Python versions; the client follows the
// seed/protocol's *current* shapes, so the expected body is adjusted here instead of bending the
// client. Null-valued keys are always removed first (old clients sent `"key": null`; the
// protocol says null keys are dropped).
//
// | recording                                   | difference (old recorded → current sent)              |
// |---------------------------------------------|-------------------------------------------------------|
// | chat_completion_no_stream / _with_stream    | `"model": "tgi"` → the model id (id given, not URL)   |
// | chat_completion_with_tool                   | same; `tool_choice: "get_current_weather"` (old TGI   |
// |                                             |   bare name) → `{"type":"function","function":{name}}`|
// | chat_completion_unprocessable_entity        | same model fix; `messages` was a bare string (invalid |
// |                                             |   on purpose) → typed API can only send a list        |
// | question_answering                          | `{"question","context"}` → `{"inputs":{...}}`         |
// | document_question_answering                 | `{"question","image"}` → `{"inputs":{...}}`           |
// | table_question_answering                    | `{"query","table"}` → `{"inputs":{...}}`              |
// | text_classification                         | `"inputs": ["I like you"]` → `"inputs": "I like you"` |
// | zero_shot_classification_*                  | `candidate_labels: "a,b"` → `["a","b"]`               |
// | zero_shot_image_classification              | `{"image", "parameters":{"candidate_labels"}}` →      |
// |                                             |   `{"inputs":{"image","candidateLabels":"a,b"}}`      |
// | text generation (best_of, no_details,       | old clients always sent `watermark: false` and        |
// |   validation_error, non_tgi*, stream_no_det)|   `decoder_input_details: false`; dropped when false  |
// | generate_with_grammar                       | old client omitted `details: false`; now always sent  |
// | generate_stream_no_details                  | old client forced `details: true` when streaming;     |
// |                                             |   now `details: false`, as the caller asked           |
// | text_to_image                               | old client sent `Accept: */*`; now `image/png`        |
// ---------------------------------------------------------------------------------------------
fn adjust_expected(recording: &str, index: usize, body: &mut Value) {
    let model_id = |body: &mut Value, id: &str| {
        if body["model"] == "tgi" {
            body["model"] = json!(id);
        }
    };
    let drop_false = |body: &mut Value, keys: &[&str]| {
        if let Some(p) = body.get_mut("parameters").and_then(|p| p.as_object_mut()) {
            for k in keys {
                if p.get(*k) == Some(&json!(false)) {
                    p.remove(*k);
                }
            }
        }
    };
    let wrap_inputs = |body: &mut Value| {
        let obj = body.as_object_mut().unwrap();
        let params = obj.remove("parameters");
        let inputs = Value::Object(std::mem::take(obj));
        *body = json!({ "inputs": inputs });
        if let Some(p) = params {
            body["parameters"] = p;
        }
    };
    match recording {
        "InferenceClientVCRTest.test_chat_completion_no_stream.yaml"
        | "InferenceClientVCRTest.test_chat_completion_with_stream.yaml" => {
            model_id(body, "HuggingFaceH4/zephyr-7b-beta")
        }
        "InferenceClientVCRTest.test_chat_completion_with_tool.yaml" => {
            model_id(body, "meta-llama/Meta-Llama-3-70B-Instruct");
            if index == 1 {
                body["tool_choice"] =
                    json!({"type": "function", "function": {"name": "get_current_weather"}});
            }
        }
        "InferenceClientVCRTest.test_chat_completion_unprocessable_entity.yaml" => {
            model_id(body, "meta-llama/Meta-Llama-3-70B-Instruct");
            body["messages"] = json!([{"role": "user", "content": "please output 'Observation'"}]);
        }
        "InferenceClientVCRTest.test_question_answering.yaml"
        | "InferenceClientVCRTest.test_document_question_answering.yaml"
        | "InferenceClientVCRTest.test_table_question_answering.yaml" => wrap_inputs(body),
        "InferenceClientVCRTest.test_text_classification.yaml" => {
            body["inputs"] = body["inputs"][0].clone()
        }
        "InferenceClientVCRTest.test_zero_shot_classification_multi_label.yaml"
        | "InferenceClientVCRTest.test_zero_shot_classification_single_label.yaml" => {
            let joined = body["parameters"]["candidate_labels"]
                .as_str()
                .unwrap()
                .to_owned();
            body["parameters"]["candidate_labels"] = json!(joined.split(',').collect::<Vec<_>>());
        }
        "InferenceClientVCRTest.test_zero_shot_image_classification.yaml" => {
            let labels = body["parameters"]["candidate_labels"].clone();
            *body = json!({"inputs": {"image": body["image"].clone(), "candidateLabels": labels}});
        }
        "TestTextGenerationClientVCR.test_generate_best_of.yaml"
        | "TestTextGenerationClientVCR.test_generate_no_details.yaml"
        | "TestTextGenerationClientVCR.test_generate_validation_error.yaml"
        | "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint.yaml"
        | "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint_regression_test.yaml" => {
            drop_false(body, &["watermark", "decoder_input_details"])
        }
        "TestTextGenerationClientVCR.test_generate_stream_no_details.yaml" => {
            drop_false(body, &["watermark", "decoder_input_details"]);
            body["parameters"]["details"] = json!(false)
        }
        "TestTextGenerationClientVCR.test_generate_with_grammar.yaml" => {
            body["parameters"]["details"] = json!(false)
        }
        _ => {}
    }
}

/// Compares what the client sent with what was recorded (after [`adjust_expected`]).
fn check_requests(recording: &str, recorded: &[Interaction], sent: &[RecordedRequest]) {
    assert_eq!(
        sent.len(),
        recorded.len(),
        "{recording}: number of requests"
    );
    for (i, (rec, got)) in recorded.iter().zip(sent).enumerate() {
        assert_eq!(got.method.as_str(), rec.method, "{recording} #{i}: method");
        assert_eq!(got.path, rec.path(), "{recording} #{i}: path");
        match &rec.req_body {
            RecBody::None => assert!(got.body.is_empty(), "{recording} #{i}: unexpected body"),
            RecBody::Bytes(b) => assert!(
                got.body.as_ref() == b.as_slice(),
                "{recording} #{i}: binary body differs"
            ),
            RecBody::Text(t) => match rec.req_body.json() {
                Some(expected) => {
                    let mut expected = replay::strip_nulls(expected);
                    adjust_expected(recording, i, &mut expected);
                    assert_eq!(
                        got.header("content-type"),
                        Some("application/json"),
                        "{recording} #{i}: content type"
                    );
                    assert_eq!(
                        replay::strip_nulls(got.json()),
                        expected,
                        "{recording} #{i}: JSON body"
                    );
                }
                None => assert_eq!(
                    String::from_utf8_lossy(&got.body),
                    t.as_str(),
                    "{recording} #{i}: text body"
                ),
            },
        }
    }
}

/// Client pointed at the replay server for both the Hub and the serverless API.
fn client_for(server: &ReplayServer) -> hub_inference::InferenceClientBuilder {
    let config = Config::builder()
        .endpoint(&server.url)
        .inference_endpoint(&server.url)
        .build();
    let hub = HubClient::builder()
        .config(config)
        .no_token()
        .build()
        .unwrap();
    InferenceClient::builder().hub_client(hub)
}

/// Loads a recording, serves it, runs `body` with a client, then checks the requests.
macro_rules! replay {
    ($name:ident, $file:literal, |$server:ident, $rec:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            let $rec = replay::load($file);
            let $server = ReplayServer::start($rec.clone()).await;
            $body
            check_requests($file, &$rec, &$server.captured());
        }
    };
}

/// Recordings handled by this file (hub-endpoints' `tests/spaces.rs` covers the Space ones).
const INFERENCE_RECORDINGS: &[&str] = &[
    "InferenceClientVCRTest.test_audio_classification.yaml",
    "InferenceClientVCRTest.test_audio_to_audio.yaml",
    "InferenceClientVCRTest.test_automatic_speech_recognition.yaml",
    "InferenceClientVCRTest.test_chat_completion_no_stream.yaml",
    "InferenceClientVCRTest.test_chat_completion_unprocessable_entity.yaml",
    "InferenceClientVCRTest.test_chat_completion_with_non_tgi.yaml",
    "InferenceClientVCRTest.test_chat_completion_with_response_format.yaml",
    "InferenceClientVCRTest.test_chat_completion_with_stream.yaml",
    "InferenceClientVCRTest.test_chat_completion_with_tool.yaml",
    "InferenceClientVCRTest.test_conversational.yaml",
    "InferenceClientVCRTest.test_document_question_answering.yaml",
    "InferenceClientVCRTest.test_feature_extraction_with_sentence_transformers.yaml",
    "InferenceClientVCRTest.test_feature_extraction_with_transformers.yaml",
    "InferenceClientVCRTest.test_fill_mask.yaml",
    "InferenceClientVCRTest.test_image_classification.yaml",
    "InferenceClientVCRTest.test_image_segmentation.yaml",
    "InferenceClientVCRTest.test_image_to_text.yaml",
    "InferenceClientVCRTest.test_object_detection.yaml",
    "InferenceClientVCRTest.test_question_answering.yaml",
    "InferenceClientVCRTest.test_sentence_similarity.yaml",
    "InferenceClientVCRTest.test_summarization.yaml",
    "InferenceClientVCRTest.test_table_question_answering.yaml",
    "InferenceClientVCRTest.test_text_classification.yaml",
    "InferenceClientVCRTest.test_text_to_image.yaml",
    "InferenceClientVCRTest.test_text_to_image_default.yaml",
    "InferenceClientVCRTest.test_text_to_image_with_parameters.yaml",
    "InferenceClientVCRTest.test_text_to_speech.yaml",
    "InferenceClientVCRTest.test_token_classification.yaml",
    "InferenceClientVCRTest.test_translation.yaml",
    "InferenceClientVCRTest.test_translation_with_source_and_target_language.yaml",
    "InferenceClientVCRTest.test_visual_question_answering.yaml",
    "InferenceClientVCRTest.test_zero_shot_classification_multi_label.yaml",
    "InferenceClientVCRTest.test_zero_shot_classification_single_label.yaml",
    "InferenceClientVCRTest.test_zero_shot_image_classification.yaml",
    "TestOpenAICompatibility.test_base_url_and_api_key.yaml",
    "TestOpenAICompatibility.test_with_stream_true.yaml",
    "TestOpenAICompatibility.test_without_base_url.yaml",
    "TestTextGenerationClientVCR.test_generate_best_of.yaml",
    "TestTextGenerationClientVCR.test_generate_no_details.yaml",
    "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint.yaml",
    "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint_regression_test.yaml",
    "TestTextGenerationClientVCR.test_generate_stream_no_details.yaml",
    "TestTextGenerationClientVCR.test_generate_stream_with_details.yaml",
    "TestTextGenerationClientVCR.test_generate_validation_error.yaml",
    "TestTextGenerationClientVCR.test_generate_with_details.yaml",
    "TestTextGenerationClientVCR.test_generate_with_grammar.yaml",
];

#[test]
fn every_recording_is_replayed() {
    for name in replay::all_recordings() {
        let covered = INFERENCE_RECORDINGS.contains(&name.as_str())
            || name.starts_with("TestSpaceAPIProduction.");
        assert!(covered, "recording {name} has no replay test");
    }
    assert_eq!(
        replay::all_recordings().len(),
        INFERENCE_RECORDINGS.len() + 5
    );
}

fn recorded_bytes(rec: &[Interaction]) -> Vec<u8> {
    match &rec[0].req_body {
        RecBody::Bytes(b) => b.clone(),
        other => panic!("expected a binary body, got {other:?}"),
    }
}

/// The base64 image inside a recorded JSON body, decoded.
fn recorded_image(rec: &[Interaction], pointer: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body = rec[0].req_body.json().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(body.pointer(pointer).unwrap().as_str().unwrap())
        .unwrap()
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

// ----------------------------------------------------------------------------- audio

replay!(
    audio_classification,
    "InferenceClientVCRTest.test_audio_classification.yaml",
    |server, rec| {
        // Input from a file path (read with tokio::fs).
        let path =
            std::env::temp_dir().join(format!("hub-inference-audio-{}.flac", std::process::id()));
        std::fs::write(&path, recorded_bytes(&rec)).unwrap();
        let client = client_for(&server)
            .model("speechbrain/google_speech_command_xvector")
            .build()
            .unwrap();
        let out = client
            .audio_classification(path.as_path(), None)
            .await
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].label, "neu");
        assert!(approx(out[0].score, 0.6658844351768494));
    }
);

replay!(
    audio_to_audio,
    "InferenceClientVCRTest.test_audio_to_audio.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("speechbrain/sepformer-wham")
            .build()
            .unwrap();
        let out = client.audio_to_audio(recorded_bytes(&rec)).await.unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].label, "label_0");
        assert_eq!(out[1].content_type, "audio/flac");
        assert!(out[0].blob.starts_with(b"fLaC"));
    }
);

replay!(
    automatic_speech_recognition,
    "InferenceClientVCRTest.test_automatic_speech_recognition.yaml",
    |server, rec| {
        // Input from an async reader.
        let client = client_for(&server)
            .model("facebook/wav2vec2-base-960h")
            .build()
            .unwrap();
        let reader = std::io::Cursor::new(recorded_bytes(&rec));
        let out = client
            .automatic_speech_recognition(BinaryInput::reader(reader), None)
            .await
            .unwrap();
        assert_eq!(out.text, "A MAN SAID TO THE UNIVERSE SIR I EXIST");
    }
);

replay!(
    text_to_speech,
    "InferenceClientVCRTest.test_text_to_speech.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("espnet/kan-bayashi_ljspeech_vits")
            .build()
            .unwrap();
        let out = client.text_to_speech("Hello world", None).await.unwrap();
        assert_eq!(out.content_type.as_deref(), Some("audio/flac"));
        assert!(out.bytes.starts_with(b"fLaC"));
        assert_eq!(out.bytes.as_ref(), rec[0].resp_body.as_slice());
    }
);

// ----------------------------------------------------------------------------- chat

fn zephyr_messages() -> Vec<ChatCompletionInputMessage> {
    vec![
        ChatCompletionInputMessage::system("You are a helpful assistant."),
        ChatCompletionInputMessage::user("What is deep learning?"),
    ]
}

replay!(
    chat_completion_no_stream,
    "InferenceClientVCRTest.test_chat_completion_no_stream.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("HuggingFaceH4/zephyr-7b-beta")
            .build()
            .unwrap();
        let input = ChatCompletionInput::new(zephyr_messages())
            .with_max_tokens(20)
            .with_temperature(1.0);
        let out = client.chat_completion(&input).await.unwrap();
        assert_eq!(out.choices.len(), 1);
        assert_eq!(out.choices[0].finish_reason.as_deref(), Some("length"));
        assert_eq!(out.choices[0].message.role, "assistant");
        assert_eq!(
            out.choices[0].message.content.as_deref(),
            Some(
                "Deep learning is a subfield of machine learning that focuses on training artificial neural networks with multiple layers of"
            )
        );
        assert_eq!(
            out.usage,
            Some(ChatCompletionOutputUsage {
                completion_tokens: 20,
                prompt_tokens: 47,
                total_tokens: 67
            })
        );
        assert_eq!(out.created, 1710439510);
    }
);

replay!(
    chat_completion_unprocessable_entity,
    "InferenceClientVCRTest.test_chat_completion_unprocessable_entity.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("meta-llama/Meta-Llama-3-70B-Instruct")
            .build()
            .unwrap();
        let mut input = ChatCompletionInput::new([ChatCompletionInputMessage::user(
            "please output 'Observation'",
        )])
        .with_max_tokens(200);
        input.stop = Some(vec!["Observation".into(), "Final Answer".into()]);
        let err = client.chat_completion(&input).await.unwrap_err();
        match &err {
            Error::Validation {
                status: Some(422),
                message,
            } => {
                assert!(
                    message.starts_with("Failed to deserialize the JSON body into the target type"),
                    "{message}"
                )
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert_eq!(err.status(), Some(422));
    }
);

replay!(
    chat_completion_with_non_tgi,
    "InferenceClientVCRTest.test_chat_completion_with_non_tgi.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("microsoft/DialoGPT-small")
            .build()
            .unwrap();
        let out = client
            .chat_completion(&ChatCompletionInput::new(zephyr_messages()).with_max_tokens(20))
            .await
            .unwrap();
        assert_eq!(out.object.as_deref(), Some("chat.completion"));
        assert_eq!(out.choices[0].finish_reason.as_deref(), Some("eos_token"));
        assert_eq!(
            out.choices[0].message.content.as_deref(),
            Some("What does deep learning have to do with anything?")
        );
    }
);

fn animals_schema() -> Value {
    json!({
        "properties": {
            "location": {"type": "string"},
            "activity": {"type": "string"},
            "animals_seen": {"type": "integer", "minimum": 1, "maximum": 5},
            "animals": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["location", "activity", "animals_seen", "animals"]
    })
}

replay!(
    chat_completion_with_response_format,
    "InferenceClientVCRTest.test_chat_completion_with_response_format.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("meta-llama/Meta-Llama-3-70B-Instruct")
            .build()
            .unwrap();
        let mut input = ChatCompletionInput::new([ChatCompletionInputMessage::user(
            "I saw a puppy a cat and a raccoon during my bike ride in the park. What did I saw and when?",
        )])
        .with_max_tokens(500);
        input.response_format = Some(ResponseFormat::Grammar(GrammarType::Json(animals_schema())));
        let out = client.chat_completion(&input).await.unwrap();
        let parsed: Value =
            serde_json::from_str(out.choices[0].message.content.as_deref().unwrap()).unwrap();
        assert_eq!(parsed["animals_seen"], 3);
        assert_eq!(parsed["location"], "park");
    }
);

replay!(
    chat_completion_with_stream,
    "InferenceClientVCRTest.test_chat_completion_with_stream.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("HuggingFaceH4/zephyr-7b-beta")
            .build()
            .unwrap();
        let input = ChatCompletionInput::new(zephyr_messages())
            .with_max_tokens(20)
            .with_temperature(1.0);
        let chunks: Vec<ChatCompletionStreamOutput> = client
            .chat_completion_stream(&input)
            .await
            .unwrap()
            .map(|c| c.unwrap())
            .collect()
            .await;
        assert_eq!(chunks.len(), 21);
        let text: String = chunks.iter().filter_map(|c| c.content()).collect();
        assert_eq!(
            text,
            "Deep learning is a subfield of machine learning that is based on artificial neural networks with multiple layers to"
        );
        assert_eq!(
            chunks.last().unwrap().choices[0].finish_reason.as_deref(),
            Some("length")
        );
        assert!(
            chunks[..20]
                .iter()
                .all(|c| c.choices[0].finish_reason.is_none())
        );
    }
);

fn weather_tools() -> Vec<ToolElement> {
    let unit = json!({"type": "string", "enum": ["celsius", "fahrenheit"], "description": "The temperature unit to use. Infer this from the users location."});
    let location =
        json!({"type": "string", "description": "The city and state, e.g. San Francisco, CA"});
    vec![
        ToolElement::function(
            "get_current_weather",
            "Get the current weather",
            json!({"type": "object", "properties": {"location": location, "format": unit}, "required": ["location", "format"]}),
        ),
        ToolElement::function(
            "get_n_day_weather_forecast",
            "Get an N-day weather forecast",
            json!({"type": "object", "properties": {"location": location, "format": unit,
                "num_days": {"type": "integer", "description": "The number of days to forecast"}},
                "required": ["location", "format", "num_days"]}),
        ),
    ]
}

replay!(
    chat_completion_with_tool,
    "InferenceClientVCRTest.test_chat_completion_with_tool.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("meta-llama/Meta-Llama-3-70B-Instruct")
            .build()
            .unwrap();
        let mut input = ChatCompletionInput::new([
        ChatCompletionInputMessage::system(
            "Don't make assumptions about what values to plug into functions. Ask for clarification if a user request is ambiguous.",
        ),
        ChatCompletionInputMessage::user("What's the weather like the next 3 days in San Francisco, CA?"),
    ])
    .with_max_tokens(500);
        input.tools = Some(weather_tools());
        input.tool_choice = Some(ToolChoice::auto());
        let out = client.chat_completion(&input).await.unwrap();
        let call = &out.choices[0].message.tool_calls.as_ref().unwrap()[0];
        assert_eq!(call.id, "0");
        assert_eq!(call.kind, "function");
        assert_eq!(call.function.name, "get_n_day_weather_forecast");
        assert_eq!(
            call.function.arguments,
            json!({"format": "fahrenheit", "location": "San Francisco, CA", "num_days": 3})
        );
        assert!(out.choices[0].message.content.is_none());

        input.tool_choice = Some(ToolChoice::function("get_current_weather"));
        let out = client.chat_completion(&input).await.unwrap();
        let call = &out.choices[0].message.tool_calls.as_ref().unwrap()[0];
        assert_eq!(call.function.name, "get_current_weather");
        assert_eq!(out.usage.unwrap().total_tokens, 160);
    }
);

replay!(
    conversational,
    "InferenceClientVCRTest.test_conversational.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("facebook/blenderbot-400M-distill")
            .build()
            .unwrap();
        let first = client
            .conversational("Hi, who are you?", None, None)
            .await
            .unwrap();
        assert_eq!(first.generated_text, "I am the one who knocks.");
        let second = client
            .conversational(
                "Wow, that's scary!",
                Some(&first.conversation.generated_responses),
                Some(&first.conversation.past_user_inputs),
            )
            .await
            .unwrap();
        assert_eq!(
            second.conversation.past_user_inputs,
            vec!["Hi, who are you?", "Wow, that's scary!"]
        );
        assert_eq!(second.warnings.as_ref().map(Vec::len), Some(1));
    }
);

// ----------------------------------------------------------------------------- OpenAI aliases

fn count_messages() -> Vec<ChatCompletionInputMessage> {
    vec![
        ChatCompletionInputMessage::system("You are a helpful assistant."),
        ChatCompletionInputMessage::user("Count to 10"),
    ]
}

replay!(
    openai_base_url_and_api_key,
    "TestOpenAICompatibility.test_base_url_and_api_key.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .base_url(format!(
                "{}/models/meta-llama/Meta-Llama-3-8B-Instruct/v1/",
                server.url
            ))
            .api_key("my-api-key")
            .build()
            .unwrap();
        let input = ChatCompletionInput::new(count_messages())
            .with_max_tokens(1024)
            .with_model("tgi");
        let out = client.chat().completions().create(&input).await.unwrap();
        assert_eq!(
            out.choices[0].message.content.as_deref(),
            Some("1, 2, 3, 4, 5, 6, 7, 8, 9, 10!")
        );
        assert_eq!(
            server.captured()[0].header("authorization"),
            Some("Bearer my-api-key")
        );
    }
);

replay!(
    openai_with_stream_true,
    "TestOpenAICompatibility.test_with_stream_true.yaml",
    |server, _rec| {
        let client = client_for(&server).build().unwrap();
        let input = ChatCompletionInput::new(count_messages())
            .with_max_tokens(1024)
            .with_model("meta-llama/Meta-Llama-3-8B-Instruct");
        let stream = client
            .chat()
            .completions()
            .create_stream(&input)
            .await
            .unwrap();
        let chunks: Vec<_> = stream.map(|c| c.unwrap()).collect().await;
        let text: String = chunks.iter().filter_map(|c| c.content()).collect();
        assert!(text.starts_with("Here it goes:\n\n1, 2, 3"), "{text}");
        assert!(text.contains("10"));
        assert!(chunks.last().unwrap().choices[0].finish_reason.is_some());
    }
);

replay!(
    openai_without_base_url,
    "TestOpenAICompatibility.test_without_base_url.yaml",
    |server, _rec| {
        let client = client_for(&server).build().unwrap();
        let input = ChatCompletionInput::new(count_messages())
            .with_max_tokens(1024)
            .with_model("meta-llama/Meta-Llama-3-8B-Instruct");
        let out = client.chat().completions().create(&input).await.unwrap();
        assert_eq!(out.usage.unwrap().completion_tokens, 34);
        assert!(
            server.captured()[0].header("authorization").is_none(),
            "no token configured"
        );
    }
);

// ----------------------------------------------------------------------------- vision

replay!(
    image_classification,
    "InferenceClientVCRTest.test_image_classification.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("google/vit-base-patch16-224")
            .build()
            .unwrap();
        let out = client
            .image_classification(recorded_bytes(&rec), None)
            .await
            .unwrap();
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].label, "brassiere, bra, bandeau");
        assert!(out.windows(2).all(|w| w[0].score >= w[1].score));
    }
);

replay!(
    image_segmentation,
    "InferenceClientVCRTest.test_image_segmentation.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("facebook/detr-resnet-50-panoptic")
            .build()
            .unwrap();
        let out = client
            .image_segmentation(recorded_bytes(&rec), None)
            .await
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].label, "person");
        assert_eq!(out[1].score, Some(0.993846));
        assert!(out[0].mask_bytes().unwrap().starts_with(b"\x89PNG"));
    }
);

replay!(
    image_to_text,
    "InferenceClientVCRTest.test_image_to_text.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("Salesforce/blip-image-captioning-base")
            .build()
            .unwrap();
        let out = client
            .image_to_text(recorded_bytes(&rec), None)
            .await
            .unwrap();
        assert_eq!(
            out.generated_text,
            "a woman in a hat and dress posing for a photo"
        );
    }
);

replay!(
    object_detection,
    "InferenceClientVCRTest.test_object_detection.yaml",
    |server, rec| {
        // Python's test sends the same image six times in different input forms.
        let client = client_for(&server)
            .model("facebook/detr-resnet-50")
            .build()
            .unwrap();
        let data = recorded_bytes(&rec);
        let path =
            std::env::temp_dir().join(format!("hub-inference-od-{}.png", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        let inputs: Vec<BinaryInput> = vec![
            data.clone().into(),
            data.as_slice().into(),
            bytes::Bytes::from(data.clone()).into(),
            path.clone().into(),
            path.to_str().unwrap().into(),
            BinaryInput::reader(std::io::Cursor::new(data.clone())),
        ];
        for input in inputs {
            let out = client.object_detection(input, None).await.unwrap();
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].label, "person");
            assert_eq!(
                out[0].bounding_box,
                ObjectDetectionBoundingBox {
                    xmin: 59.0,
                    ymin: 39.0,
                    xmax: 420.0,
                    ymax: 510.0
                }
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
);

replay!(
    text_to_image,
    "InferenceClientVCRTest.test_text_to_image.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("CompVis/stable-diffusion-v1-4")
            .build()
            .unwrap();
        let out = client
            .text_to_image("An astronaut riding a horse on the moon.", None)
            .await
            .unwrap();
        assert_eq!(out.content_type.as_deref(), Some("image/jpeg"));
        assert!(out.bytes.starts_with(&[0xFF, 0xD8]));
        assert_eq!(out.bytes.as_ref(), rec[0].resp_body.as_slice());
    }
);

replay!(
    text_to_image_default,
    "InferenceClientVCRTest.test_text_to_image_default.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("CompVis/stable-diffusion-v1-4")
            .build()
            .unwrap();
        let out = client
            .text_to_image("An astronaut riding a horse on the moon.", None)
            .await
            .unwrap();
        assert!(out.bytes.starts_with(&[0xFF, 0xD8]));
        assert_eq!(out.bytes.as_ref(), rec[0].resp_body.as_slice());
        assert_eq!(
            server.captured()[0].header("accept"),
            rec[0].req_header("accept")
        );
    }
);

replay!(
    text_to_image_with_parameters,
    "InferenceClientVCRTest.test_text_to_image_with_parameters.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("CompVis/stable-diffusion-v1-4")
            .build()
            .unwrap();
        let params = TextToImageParameters {
            height: Some(256),
            width: Some(256),
            ..Default::default()
        };
        let out = client
            .text_to_image("An astronaut riding a horse on the moon.", Some(params))
            .await
            .unwrap();
        assert_eq!(out.bytes.as_ref(), rec[0].resp_body.as_slice());
        assert_eq!(server.captured()[0].header("accept"), Some("image/png"));
    }
);

replay!(
    zero_shot_image_classification,
    "InferenceClientVCRTest.test_zero_shot_image_classification.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("openai/clip-vit-base-patch32")
            .build()
            .unwrap();
        let image = recorded_image(&rec, "/image");
        let out = client
            .zero_shot_image_classification(image, &["tree", "woman", "cat"], None)
            .await
            .unwrap();
        assert_eq!(out[0].label, "woman");
        assert!(approx(out[0].score, 0.998569130897522));
    }
);

replay!(
    document_question_answering,
    "InferenceClientVCRTest.test_document_question_answering.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("naver-clova-ix/donut-base-finetuned-docvqa")
            .build()
            .unwrap();
        let image = recorded_image(&rec, "/image");
        let out = client
            .document_question_answering(image, "What is the purchase amount?", None)
            .await
            .unwrap();
        assert_eq!(
            out,
            vec![DocumentQuestionAnsweringOutputElement {
                answer: "$1,000,000,000".into(),
                ..Default::default()
            }]
        );
    }
);

replay!(
    visual_question_answering,
    "InferenceClientVCRTest.test_visual_question_answering.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("dandelin/vilt-b32-finetuned-vqa")
            .build()
            .unwrap();
        let image = recorded_image(&rec, "/image");
        let out = client
            .visual_question_answering(image, "Who's in the picture?", None)
            .await
            .unwrap();
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].answer.as_deref(), Some("woman"));
        assert_eq!(out[4].answer.as_deref(), Some("man"));
    }
);

// ----------------------------------------------------------------------------- NLP

replay!(
    feature_extraction_with_sentence_transformers,
    "InferenceClientVCRTest.test_feature_extraction_with_sentence_transformers.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("sentence-transformers/all-MiniLM-L6-v2")
            .build()
            .unwrap();
        let out = client
            .feature_extraction("Hi, who are you?", None)
            .await
            .unwrap();
        assert_eq!(out.shape, vec![384]);
        assert_eq!(out.values.len(), 384);
        assert!((out.values[0] - -0.015_488).abs() < 1e-6);
    }
);

replay!(
    feature_extraction_with_transformers,
    "InferenceClientVCRTest.test_feature_extraction_with_transformers.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("facebook/bart-base")
            .build()
            .unwrap();
        let out = client
            .feature_extraction("Hi, who are you?", None)
            .await
            .unwrap();
        assert_eq!(out.shape.len(), 3);
        assert_eq!(out.shape[0], 1);
        assert_eq!(out.shape[2], 768);
        assert_eq!(out.values.len(), out.shape.iter().product::<usize>());
        assert!((out.values[0] - 2.424_802).abs() < 1e-5);
    }
);

replay!(
    fill_mask,
    "InferenceClientVCRTest.test_fill_mask.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("distilroberta-base")
            .build()
            .unwrap();
        let out = client
            .fill_mask("The goal of life is <mask>.", None)
            .await
            .unwrap();
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].token_str, " happiness");
        assert_eq!(out[0].token, 11098);
        assert_eq!(out[0].sequence, "The goal of life is happiness.");
    }
);

replay!(
    question_answering,
    "InferenceClientVCRTest.test_question_answering.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("deepset/roberta-base-squad2")
            .build()
            .unwrap();
        let out = client
            .question_answering("What is the meaning of life?", "42", None)
            .await
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].answer.as_str(), out[0].start, out[0].end),
            ("42", 0, 2)
        );
        assert!(approx(out[0].score, 1.4291124728060822e-08));
    }
);

replay!(
    sentence_similarity,
    "InferenceClientVCRTest.test_sentence_similarity.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("sentence-transformers/all-MiniLM-L6-v2")
            .build()
            .unwrap();
        let out = client
            .sentence_similarity(
                "Machine learning is so easy.",
                &[
                    "Deep learning is so straightforward.",
                    "This is so difficult, like rocket science.",
                    "I can't believe how much I struggled with this.",
                ],
                None,
            )
            .await
            .unwrap();
        // serde_json's default float parsing may differ from the shortest repr in the last bit.
        let expected = [0.7785726189613342, 0.45876261591911316, 0.2906220555305481];
        assert_eq!(out.len(), 3);
        assert!(
            out.iter().zip(expected).all(|(a, b)| approx(*a, b)),
            "{out:?}"
        );
    }
);

replay!(
    summarization,
    "InferenceClientVCRTest.test_summarization.yaml",
    |server, rec| {
        let client = client_for(&server)
            .model("sshleifer/distilbart-cnn-12-6")
            .build()
            .unwrap();
        let text = rec[0].req_body.json().unwrap()["inputs"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = client.summarization(&text, None).await.unwrap();
        assert!(
            out.summary_text
                .starts_with("The tower is 324 metres (1,063 ft) tall")
        );
    }
);

replay!(
    table_question_answering,
    "InferenceClientVCRTest.test_table_question_answering.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/tapas-base-finetuned-wtq")
            .build()
            .unwrap();
        let mut table = Table::new();
        table.insert(
            "Repository".into(),
            vec![
                "Transformers".into(),
                "Datasets".into(),
                "Tokenizers".into(),
            ],
        );
        table.insert(
            "Stars".into(),
            vec!["36542".into(), "4512".into(), "3934".into()],
        );
        let out = client
            .table_question_answering(
                &table,
                "How many stars does the transformers repository have?",
                None,
            )
            .await
            .unwrap();
        assert_eq!(out.answer, "AVERAGE > 36542");
        assert_eq!(out.aggregator.as_deref(), Some("AVERAGE"));
        assert_eq!(out.cells, vec!["36542"]);
        assert_eq!(out.coordinates, vec![vec![0, 1]]);
    }
);

replay!(
    text_classification,
    "InferenceClientVCRTest.test_text_classification.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("distilbert-base-uncased-finetuned-sst-2-english")
            .build()
            .unwrap();
        let out = client
            .text_classification("I like you", None)
            .await
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].label, "POSITIVE");
        assert!(approx(out[0].score, 0.9998695850372314));
    }
);

replay!(
    token_classification,
    "InferenceClientVCRTest.test_token_classification.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("dbmdz/bert-large-cased-finetuned-conll03-english")
            .build()
            .unwrap();
        let out = client
            .token_classification(
                "My name is Sarah Jessica Parker but you can call me Jessica",
                None,
            )
            .await
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].entity_group.as_deref(), Some("PER"));
        assert_eq!(out[0].word.as_deref(), Some("Sarah Jessica Parker"));
        assert_eq!((out[1].start, out[1].end), (Some(52), Some(59)));
    }
);

replay!(
    translation,
    "InferenceClientVCRTest.test_translation.yaml",
    |server, _rec| {
        let client = client_for(&server).model("t5-small").build().unwrap();
        assert_eq!(
            client
                .translation("Hello world", None)
                .await
                .unwrap()
                .translation_text,
            "Hallo Welt"
        );
    }
);

replay!(
    translation_with_source_and_target_language,
    "InferenceClientVCRTest.test_translation_with_source_and_target_language.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("facebook/mbart-large-50-many-to-many-mmt")
            .build()
            .unwrap();
        let params = TranslationParameters {
            src_lang: Some("en_XX".into()),
            tgt_lang: Some("fr_XX".into()),
            ..Default::default()
        };
        assert_eq!(
            client
                .translation("Hello world", Some(params))
                .await
                .unwrap()
                .translation_text,
            "Hello world"
        );
    }
);

const GALILEAN: &str = "A new model offers an explanation for how the Galilean satellites formed around the solar system'slargest world. Konstantin Batygin did not set out to solve one of the solar system's most puzzling mysteries when he went for a run up a hill in Nice, France.";
const GALILEAN_LABELS: &[&str] = &[
    "space & cosmos",
    "scientific discovery",
    "microbiology",
    "robots",
    "archeology",
];

replay!(
    zero_shot_classification_multi_label,
    "InferenceClientVCRTest.test_zero_shot_classification_multi_label.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("facebook/bart-large-mnli")
            .build()
            .unwrap();
        let params = ZeroShotClassificationParameters {
            multi_label: Some(true),
            ..Default::default()
        };
        let out = client
            .zero_shot_classification(GALILEAN, GALILEAN_LABELS, Some(params))
            .await
            .unwrap();
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].label, "scientific discovery");
        assert!(approx(out[1].score, 0.755190908908844));
    }
);

replay!(
    zero_shot_classification_single_label,
    "InferenceClientVCRTest.test_zero_shot_classification_single_label.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("facebook/bart-large-mnli")
            .build()
            .unwrap();
        let params = ZeroShotClassificationParameters {
            multi_label: Some(false),
            ..Default::default()
        };
        let out = client
            .zero_shot_classification(GALILEAN, GALILEAN_LABELS, Some(params))
            .await
            .unwrap();
        let total: f64 = out.iter().map(|o| o.score).sum();
        assert!((total - 1.0).abs() < 1e-3, "single-label scores sum to 1");
        assert_eq!(out[4].label, "robots");
    }
);

// ----------------------------------------------------------------------------- text generation

fn gen_params(max_new_tokens: u32) -> TextGenerationInputGenerateParameters {
    TextGenerationInputGenerateParameters {
        max_new_tokens: Some(max_new_tokens),
        ..Default::default()
    }
}

replay!(
    generate_best_of,
    "TestTextGenerationClientVCR.test_generate_best_of.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let params = TextGenerationInputGenerateParameters {
            best_of: Some(2),
            do_sample: Some(true),
            details: Some(true),
            decoder_input_details: Some(true),
            ..gen_params(1)
        };
        let out = client.text_generation("test", Some(params)).await.unwrap();
        assert_eq!(out.generated_text, "5");
        let details = out.details.unwrap();
        assert_eq!(details.seed, Some(2835381823020158940));
        assert_eq!(details.prefill[0].logprob, None);
        let best_of = details.best_of_sequences.unwrap();
        assert_eq!(best_of[0].generated_text, "10-");
        assert_eq!(best_of[0].tokens[0].id, 9445);
    }
);

replay!(
    generate_no_details,
    "TestTextGenerationClientVCR.test_generate_no_details.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let out = client
            .text_generation("test", Some(gen_params(1)))
            .await
            .unwrap();
        assert_eq!(
            out,
            TextGenerationOutput {
                generated_text: String::new(),
                details: None
            }
        );
    }
);

replay!(
    generate_non_tgi_endpoint,
    "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint.yaml",
    |server, _rec| {
        let client = client_for(&server).model("gpt2").build().unwrap();
        // 1st call: 400 listing unsupported kwargs, retried without them; later calls skip them.
        let out = client
            .text_generation("0 1 2", Some(gen_params(10)))
            .await
            .unwrap();
        assert_eq!(out.generated_text, " 3 4 5 6 7 8 9 10 11 12");
        let out = client
            .text_generation("4 5 6", Some(gen_params(10)))
            .await
            .unwrap();
        assert_eq!(out.generated_text, " 7 8 9 10 11 12 13 14 15 16");
        // `details` requested from a non-TGI model: the text alone comes back.
        let params = TextGenerationInputGenerateParameters {
            details: Some(true),
            ..gen_params(10)
        };
        let out = client.text_generation("0 1 2", Some(params)).await.unwrap();
        assert_eq!(out.generated_text, " 3 4 5 6 7 8 9 10 11 12");
        assert!(out.details.is_none());
        // Streaming needs TGI.
        let err = client
            .text_generation_stream("0 1 2", None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)));
    }
);

replay!(
    generate_non_tgi_endpoint_regression_test,
    "TestTextGenerationClientVCR.test_generate_non_tgi_endpoint_regression_test.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-large")
            .build()
            .unwrap();
        let out = client
            .text_generation("How are you today?", Some(gen_params(20)))
            .await
            .unwrap();
        assert_eq!(out.generated_text, "I am at work");
    }
);

replay!(
    generate_stream_no_details,
    "TestTextGenerationClientVCR.test_generate_stream_no_details.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let params = TextGenerationInputGenerateParameters {
            details: Some(false),
            ..gen_params(1)
        };
        let items: Vec<_> = client
            .text_generation_stream("test", Some(params))
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        let item = items[0].as_ref().unwrap();
        assert_eq!(item.token.text, " ");
        assert_eq!(item.generated_text.as_deref(), Some(""));
        // This TGI sent no `index`: it stays unset rather than becoming 0.
        assert_eq!(item.index, None);
    }
);

replay!(
    generate_stream_with_details,
    "TestTextGenerationClientVCR.test_generate_stream_with_details.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let params = TextGenerationInputGenerateParameters {
            details: Some(true),
            ..gen_params(1)
        };
        let items: Vec<_> = client
            .text_generation_stream("test", Some(params))
            .await
            .unwrap()
            .collect()
            .await;
        let last = items.last().unwrap().as_ref().unwrap();
        assert_eq!(last.index, Some(1));
        assert_eq!(
            last.token,
            TextGenerationStreamOutputToken {
                id: 3,
                logprob: Some(-2.0078125),
                special: false,
                text: " ".into()
            }
        );
        let details = last.details.as_ref().unwrap();
        assert_eq!(
            (
                details.finish_reason.as_str(),
                details.generated_tokens,
                details.seed
            ),
            ("length", 1, None)
        );
    }
);

replay!(
    generate_validation_error,
    "TestTextGenerationClientVCR.test_generate_validation_error.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let err = client
            .text_generation("test", Some(gen_params(10000)))
            .await
            .unwrap_err();
        match err {
            Error::Validation {
                status: Some(422),
                message,
            } => {
                assert!(message.starts_with(
                    "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 1512"
                ))
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
);

replay!(
    generate_with_details,
    "TestTextGenerationClientVCR.test_generate_with_details.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("google/flan-t5-xxl")
            .build()
            .unwrap();
        let params = TextGenerationInputGenerateParameters {
            details: Some(true),
            decoder_input_details: Some(true),
            ..gen_params(1)
        };
        let out = client.text_generation("test", Some(params)).await.unwrap();
        let details = out.details.unwrap();
        assert_eq!(details.finish_reason, "length");
        assert_eq!(
            details.prefill,
            vec![TextGenerationOutputPrefillToken {
                id: 0,
                logprob: None,
                text: "<pad>".into()
            }]
        );
        assert_eq!(details.tokens[0].logprob, Some(-2.0078125));
    }
);

replay!(
    generate_with_grammar,
    "TestTextGenerationClientVCR.test_generate_with_grammar.yaml",
    |server, _rec| {
        let client = client_for(&server)
            .model("HuggingFaceH4/zephyr-orpo-141b-A35b-v0.1")
            .build()
            .unwrap();
        let params = TextGenerationInputGenerateParameters {
            grammar: Some(GrammarType::Json(animals_schema())),
            repetition_penalty: Some(1.3),
            ..gen_params(100)
        };
        let out = client
            .text_generation(
                "I saw a puppy a cat and a raccoon during my bike ride in the park",
                Some(params),
            )
            .await
            .unwrap();
        let parsed: Value = serde_json::from_str(&out.generated_text).unwrap();
        assert_eq!(parsed["activity"], "biking");
    }
);
