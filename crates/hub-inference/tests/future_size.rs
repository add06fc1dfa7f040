//! Keeps the futures of the public async methods small (hf-hub's lesson: 20–30 KB futures hit
//! rustc's query-depth limit downstream and bloat every caller's state machine).
#![allow(clippy::unwrap_used, missing_docs)]

use hub_core::{Config, HubClient};
use hub_inference::InferenceClient;
use hub_inference::types::ChatCompletionInput;

const LIMIT: usize = 4 * 1024;

#[test]
fn futures_stay_small() {
    let hub = HubClient::builder()
        .config(Config::builder().build())
        .no_token()
        .build()
        .unwrap();
    let client = InferenceClient::builder()
        .hub_client(hub)
        .model("m")
        .build()
        .unwrap();
    let input = ChatCompletionInput::default();
    let sizes = [
        (
            "chat_completion",
            std::mem::size_of_val(&client.chat_completion(&input)),
        ),
        (
            "chat_completion_stream",
            std::mem::size_of_val(&client.chat_completion_stream(&input)),
        ),
        (
            "text_generation",
            std::mem::size_of_val(&client.text_generation("x", None)),
        ),
        (
            "fill_mask",
            std::mem::size_of_val(&client.fill_mask("x", None)),
        ),
        (
            "image_classification",
            std::mem::size_of_val(&client.image_classification(vec![1u8], None)),
        ),
    ];
    for (name, size) in sizes {
        println!("{name}: {size} bytes");
        assert!(size <= LIMIT, "{name} future is {size} bytes");
    }
}
