//! Property tests: the validators and every response decoder must return `Ok` or a typed error
//! for any input, never panic.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::client::decode_json;
use crate::error::{map_status, server_message};
use crate::types::*;

/// Keys the decoders look at, so generated objects reach deep into them.
const KEYS: &[&str] = &[
    "id",
    "sha",
    "author",
    "siblings",
    "rfilename",
    "size",
    "blobId",
    "lfs",
    "sha256",
    "oid",
    "pointerSize",
    "type",
    "path",
    "lastCommit",
    "title",
    "date",
    "createdAt",
    "lastModified",
    "gated",
    "private",
    "tags",
    "cardData",
    "runtime",
    "stage",
    "hardware",
    "current",
    "branches",
    "tags",
    "converts",
    "pullRequests",
    "name",
    "ref",
    "targetCommit",
    "authors",
    "user",
    "message",
    "commitUrl",
    "commitOid",
    "pullRequestUrl",
    "url",
    "auth",
    "accessToken",
    "role",
    "displayName",
    "orgs",
    "safetensors",
    "parameters",
    "total",
    "transformersInfo",
    "auto_model",
    "security",
    "error",
    "errors",
    "x",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z0-9:./TZ-]{0,30}".prop_map(Value::String),
        Just(Value::String("2024-05-01T12:34:56.789Z".into())),
        Just(Value::String("file".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..10).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Decodes `bytes` into every wire type; only the absence of panics is checked.
fn decode_all(bytes: &[u8]) {
    let u = "http://h/x";
    let _ = decode_json::<WhoAmI>(u, bytes);
    let _ = decode_json::<ModelInfo>(u, bytes);
    let _ = decode_json::<DatasetInfo>(u, bytes);
    let _ = decode_json::<SpaceInfo>(u, bytes);
    let _ = decode_json::<Vec<ModelInfo>>(u, bytes);
    let _ = decode_json::<RepoSibling>(u, bytes);
    let _ = decode_json::<RepoEntry>(u, bytes);
    let _ = decode_json::<Vec<RepoEntry>>(u, bytes);
    let _ = decode_json::<GitRefs>(u, bytes);
    let _ = decode_json::<Vec<GitCommitInfo>>(u, bytes);
    let _ = decode_json::<CommitResponse>(u, bytes);
    let _ = decode_json::<CreateRepoResponse>(u, bytes);
    let _ = decode_json::<Gated>(u, bytes);
    let _ = decode_json::<HfFileMetadata>(u, bytes);
    let _ = decode_json::<SpaceRuntime>(u, bytes);
}

fn header_map(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    h
}

fn header_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![
                "x-error-code".to_owned(),
                "x-error-message".to_owned(),
                "x-request-id".to_owned(),
                "content-type".to_owned(),
                "retry-after".to_owned(),
                "ratelimit".to_owned(),
            ]),
            "[ -~]{0,40}",
        ),
        0..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn repo_id_never_panics(s in any::<String>()) {
        if let Ok(id) = crate::RepoId::new(s.clone()) {
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert!(id.name().chars().count() <= 96);
            let joined = match id.namespace() {
                Some(ns) => format!("{ns}/{}", id.name()),
                None => id.name().to_owned(),
            };
            prop_assert_eq!(joined, s);
        }
    }

    #[test]
    fn repo_id_shaped_strings(s in "([a-zA-Z0-9_.-]{1,12}/)?[a-zA-Z0-9_.-]{1,100}") {
        let _ = crate::RepoId::new(s.clone());
        let _ = crate::RepoUrl::parse(&s, "https://huggingface.co");
        let _ = crate::RepoUrl::parse(&format!("https://huggingface.co/datasets/{s}"), "https://huggingface.co");
    }

    #[test]
    fn decoders_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_json(v in json_value()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        decode_all(&bytes);
        // Truncations of valid JSON are typed errors too.
        if bytes.len() > 1 {
            let cut = &bytes[..bytes.len() / 2];
            let r = decode_json::<ModelInfo>("http://h", cut);
            let is_decode = matches!(r, Err(crate::Error::Decode { .. }));
            prop_assert!(is_decode, "truncated JSON must be a Decode error");
        }
    }

    #[test]
    fn next_link_never_panics(s in any::<String>(), t in "[<>;,=\" a-z/:.]{0,60}") {
        let _ = crate::pagination::next_link(&s);
        let _ = crate::pagination::next_link(&t);
    }

    #[test]
    fn map_status_never_panics(
        status in 0u16..1000,
        url in any::<String>(),
        headers in header_pairs(),
        body in prop::collection::vec(any::<u8>(), 0..120),
    ) {
        let h = header_map(&headers);
        let mapped = map_status(status, &url, &h, &body);
        prop_assert_eq!(mapped.is_some(), status >= 400);
        if let Some(e) = mapped {
            let _ = e.to_string();
            prop_assert_eq!(e.status(), Some(status));
        }
        let _ = server_message(&h, &body);
    }

    #[test]
    fn server_message_on_json_bodies(v in json_value(), headers in header_pairs()) {
        let body = serde_json::to_vec(&v).unwrap_or_default();
        let _ = server_message(&header_map(&headers), &body);
    }

    #[test]
    fn small_parsers_never_panic(s in any::<String>()) {
        let _ = parse_hub_date(&s);
        let _ = crate::api::metadata::normalize_etag(&s);
        let _ = crate::token::parse_stored_tokens(&s);
        let _ = crate::urls::quote_path(&s);
        let _ = s.parse::<crate::RepoType>();
    }

    #[test]
    fn stored_tokens_round_trip(
        entries in prop::collection::btree_map("[a-zA-Z0-9_ -]{1,12}", "hf_[a-zA-Z0-9]{4,20}", 0..5)
    ) {
        let tokens: std::collections::BTreeMap<String, crate::Token> = entries
            .iter()
            .filter(|(k, _)| !k.trim().is_empty() && k.trim() == k.as_str())
            .map(|(k, v)| (k.clone(), crate::Token::new(v.clone())))
            .collect();
        let text = crate::token::format_stored_tokens(&tokens);
        prop_assert_eq!(crate::token::parse_stored_tokens(&text), tokens);
    }
}
