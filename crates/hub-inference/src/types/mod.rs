//! Typed inputs and outputs of every task, after the seed's inference types reference.
//!
//! Requests serialise only the fields that are set. Responses ignore unknown fields (the
//! serverless API, TGI and other OpenAI-compatible servers all add their own); a field the seed
//! marks required must be present, and an optional one is an `Option` that is `None` when the
//! server did not send it — never a made-up `0` or `""`, so "not sent" and "zero" stay apart.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub mod chat;
pub mod tasks;
pub mod text_generation;

pub use chat::*;
pub use tasks::*;
pub use text_generation::*;

/// A TGI grammar constraint (`grammar` of text generation, `response_format` of chat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum GrammarType {
    /// Output must validate against this JSON schema.
    Json(Value),
    /// Output must match this regular expression.
    Regex(String),
    /// OpenAI-style JSON schema wrapper, supported by recent TGI.
    JsonSchema(Value),
}

/// Accepts a string or a number (old TGI sent numeric tool-call ids) and returns text.
pub(crate) fn de_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => {
            return Err(serde::de::Error::custom(
                "expected a string or a number, got null",
            ));
        }
        other => other.to_string(),
    })
}

/// Accepts `null`, one object, or a list of objects.
pub(crate) fn de_opt_one_or_many<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        None => None,
        Some(OneOrMany::Many(v)) => Some(v),
        Some(OneOrMany::One(x)) => Some(vec![x]),
    })
}
