//! Property: what the emitter writes, the parser reads back to the same data, and a card
//! written and read again is the same card.

#![allow(clippy::unwrap_used)]

use hub_cards::yaml::{parse_yaml, to_yaml_string};
use hub_cards::{Mapping, RepoCard, Value};
use proptest::prelude::*;

/// Characters YAML 1.1 treats as line breaks but the YAML 1.2 parser under hub-cards does not:
/// PyYAML folds them inside quoted scalars, so they cannot round-trip (Python's own loader
/// does not round-trip NEL either). Everything else does.
fn keep(c: char) -> bool {
    !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        // Any text, including quotes, indicators, controls and astral characters.
        any::<String>().prop_map(|s| s.chars().filter(|c| keep(*c)).collect()),
        // Words that other YAML types claim.
        prop::sample::select(vec![
            "yes",
            "No",
            "on",
            "null",
            "~",
            "",
            "1.0",
            "1e5",
            "0x1F",
            "0777",
            "2023-01-31",
            "1:30",
            "---",
            "...",
            "true",
            "- a",
            "a: b",
            "#x",
            " lead",
            "trail ",
            "a\nb",
            "x\r\n",
        ])
        .prop_map(str::to_string),
        // Long prose: exercises folding at column 80.
        prop::collection::vec("[a-z]{1,12}", 5..30).prop_map(|w| w.join(" ")),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
            .prop_map(Value::Float),
        (1900u32..2100, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Value::Timestamp(format!("{y:04}-{m:02}-{d:02}"))),
        string().prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => string().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::Int),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Map(pairs.into_iter().collect())),
        ]
    })
}

fn top() -> impl Strategy<Value = Mapping> {
    prop::collection::vec((string().prop_map(Value::String), value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_write_is_identity(data in top(), crlf in any::<bool>()) {
        let lb = if crlf { "\r\n" } else { "\n" };
        let text = to_yaml_string(&Value::Map(data.clone()), lb);
        let back = parse_yaml(&text).unwrap().value.unwrap();
        prop_assert_eq!(back, Value::Map(data), "text: {:?}", text);
    }

    /// Python strips the YAML block with `str.strip()`, which also removes Unicode whitespace
    /// (U+2000, U+3000, ...) at its very start or end, so a first key or last plain value with
    /// such edges does not survive there either; those are left out.
    #[test]
    fn a_written_card_reads_back_the_same(data in top(), body in "[ -~\n]{0,80}") {
        let yaml = to_yaml_string(&Value::Map(data.without_nulls()), "\n");
        prop_assume!(yaml.trim() == yaml.trim_matches(|c| c == ' ' || c == '\n'));
        let mut card = RepoCard::parse("").unwrap();
        card.data.extra = data;
        card.text = body;
        let text = card.content();
        let again = RepoCard::parse(&text).unwrap();
        prop_assert_eq!(again.content(), text);
        prop_assert_eq!(again.data.extra, card.data.extra.without_nulls());
    }
}
