//! hub-cards against Python `huggingface_hub` 0.26.5, the referee, at run time:
//!
//! * the card corpus (`crates/hub-cards/tests/corpus`, 50 hand-written cards of every shape):
//!   Rust and Python read each card to the same raw YAML data and card data, write the same
//!   bytes (also when the written card is read and written again), agree on which cards are
//!   errors, and `metadata_load` / `metadata_save` agree too;
//! * YAML edge cases (escapes, YAML 1.1 types, block scalars, flow collections, tabs, keys):
//!   Rust reads each snippet to what `yaml.safe_load` gives, or fails where it fails;
//! * the YAML emitter: a few hundred generated values (tricky strings, numbers, nesting) are
//!   dumped by PyYAML and by Rust to the same text, and Rust reads PyYAML's text back to the
//!   same value;
//! * templates: the same template and inputs render the same card with minijinja and Jinja2, and
//!   our default templates have the section structure of Python's;
//! * end to end on hub-server: `push_to_hub` (with and without a PR) and `metadata_update`
//!   (new README from the template, merges, conflicts, Spaces) — Python reads what Rust wrote
//!   identically, and Python's `metadata_update` writes the same README bytes as ours.
//!
//! Without the venv (`cargo xtask venv`) the Python comparisons are skipped with a message,
//! except under CI (`CI` set), where a missing venv fails the test.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use hub_cards::{
    Card, CardDataKind, DatasetCard, Mapping, ModelCard, ModelCardData, RepoCard, SpaceCard, Value,
};
use hub_core::{HubClient, RepoId, RepoType};
use hub_tests::python::{self, Version};
use hub_tests::{TestServer, unique_name};
use serde_json::json;

fn python_ready() -> bool {
    let py = hub_tests::repo_root().join(".venv/hf026/bin/python");
    if py.is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: the Python venv {} is missing; run `cargo xtask venv`",
        py.display()
    );
    eprintln!(
        "SKIPPED: {} not found, so the comparison with huggingface_hub 0.26.5 did not run (run `cargo xtask venv`)",
        py.display()
    );
    false
}

/// PYTHONPATH for scripts that need Jinja2 (templates): tests/python, plus
/// `HUB_CARDS_EXTRA_PYTHONPATH` when set (a directory where jinja2 was installed).
fn jinja_env() -> Option<(String, String)> {
    let mut path = hub_tests::repo_root()
        .join("tests/python")
        .display()
        .to_string();
    if let Some(extra) = std::env::var_os("HUB_CARDS_EXTRA_PYTHONPATH") {
        path = format!("{path}:{}", Path::new(&extra).display());
    }
    let out = python::command(Version::V026)
        .env("PYTHONPATH", &path)
        .args(["-c", "import jinja2"])
        .output()
        .unwrap();
    if out.status.success() {
        return Some(("PYTHONPATH".into(), path));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: jinja2 is missing from .venv/hf026; `cargo xtask venv` installs it"
    );
    eprintln!(
        "SKIPPED: jinja2 is not importable in .venv/hf026 (run `cargo xtask venv`, or set HUB_CARDS_EXTRA_PYTHONPATH)"
    );
    None
}

fn corpus_dir() -> PathBuf {
    hub_tests::repo_root().join("crates/hub-cards/tests/corpus")
}

/// The tagged JSON form of `tests/python/cards.py`.
fn tag(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!({ "bool": b }),
        Value::Int(i) => json!({ "int": i.to_string() }),
        Value::Float(f) => json!({ "float": hub_cards::yaml::python_float_repr(*f) }),
        Value::String(s) => json!({ "str": s }),
        Value::Timestamp(t) => json!({ "ts": t }),
        Value::List(l) => json!({ "list": l.iter().map(tag).collect::<Vec<_>>() }),
        Value::Map(m) => {
            json!({ "map": m.iter().map(|(k, v)| json!([tag(k), tag(v)])).collect::<Vec<_>>() })
        }
    }
}

fn tag_map(m: &Mapping) -> serde_json::Value {
    tag(&Value::Map(m.clone()))
}

/// What Rust makes of one card, in the shape of `cards.read_card`.
fn read_rust(path: &Path) -> serde_json::Value {
    let content = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut out = serde_json::Map::new();
    match hub_cards::front_matter(&content).map(hub_cards::yaml::parse_yaml) {
        None => {
            out.insert("raw".into(), serde_json::Value::Null);
        }
        Some(Ok(p)) => {
            out.insert("raw".into(), p.value.as_ref().map(tag).unwrap_or_default());
        }
        Some(Err(e)) => {
            out.insert("raw_error".into(), e.to_string().into());
        }
    }
    fn card<D: CardDataKind>(content: &str, out: &mut serde_json::Map<String, serde_json::Value>) {
        match Card::<D>::parse(content) {
            Ok(c) => {
                out.insert("content".into(), c.content().into());
                out.insert("data".into(), tag_map(&c.metadata()));
                // The written card read and written again (stable, except where Python's own
                // front-matter pattern is not: `\r`-only line endings).
                let again = Card::<D>::parse(&c.content()).map(|a| a.content());
                out.insert("rewritten".into(), again.unwrap_or_default().into());
            }
            Err(e) => {
                out.insert("error".into(), e.to_string().into());
            }
        }
    }
    match name.split('_').next().unwrap() {
        "model" => card::<ModelCardData>(&content, &mut out),
        "dataset" => card::<hub_cards::DatasetCardData>(&content, &mut out),
        "space" => card::<hub_cards::SpaceCardData>(&content, &mut out),
        _ => card::<hub_cards::CardData>(&content, &mut out),
    }
    match hub_cards::metadata_load(path) {
        Ok(m) => {
            out.insert(
                "metadata_load".into(),
                m.as_ref().map(tag_map).unwrap_or_default(),
            );
            let dir = tempfile::tempdir().unwrap();
            let copy = dir.path().join(&name);
            std::fs::write(&copy, &content).unwrap();
            hub_cards::metadata_save(&copy, &m.unwrap_or_default()).unwrap();
            out.insert(
                "saved".into(),
                std::fs::read_to_string(&copy).unwrap().into(),
            );
        }
        Err(e) => {
            out.insert("metadata_load_error".into(), e.to_string().into());
        }
    }
    serde_json::Value::Object(out)
}

/// Compares one field: both sides have it and agree, or (for errors) both have an error.
fn compare(
    name: &str,
    rust: &serde_json::Value,
    py: &serde_json::Value,
    problems: &mut Vec<String>,
) {
    for (value, error) in [
        ("raw", "raw_error"),
        ("content", "error"),
        ("data", "error"),
        ("rewritten", "error"),
        ("metadata_load", "metadata_load_error"),
        ("saved", "metadata_load_error"),
    ] {
        let (r_err, p_err) = (rust.get(error), py.get(error));
        match (r_err, p_err) {
            (Some(_), Some(_)) => continue,
            (None, None) => {}
            _ => {
                problems.push(format!(
                    "{name}: {value}: error on one side only\n  rust:   {r_err:?}\n  python: {p_err:?}"
                ));
                continue;
            }
        }
        if rust.get(value) != py.get(value) {
            problems.push(format!(
                "{name}: {value} differs\n  rust:   {}\n  python: {}",
                rust.get(value).unwrap_or(&serde_json::Value::Null),
                py.get(value).unwrap_or(&serde_json::Value::Null)
            ));
        }
    }
}

#[test]
fn corpus_reads_and_writes_like_python() {
    let dir = corpus_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the corpus has {} cards", names.len());
    let rust: Vec<(String, serde_json::Value)> = names
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                read_rust(p),
            )
        })
        .collect();
    if !python_ready() {
        return;
    }
    let dir_s = dir.display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_s = tmp.path().display().to_string();
    let py = python::run_json(
        Version::V026,
        "import os, cards; cards.corpus(os.environ['CARDS_CORPUS'])",
        &[("CARDS_CORPUS", &dir_s), ("CARDS_TMP", &tmp_s)],
    );
    let mut problems = Vec::new();
    let mut errors = 0;
    for (name, r) in &rust {
        let p = &py[name];
        assert!(p.is_object(), "python did not read {name}");
        if p.get("error").is_some() {
            errors += 1;
        }
        compare(name, r, p, &mut problems);
    }
    // Known and documented (docs/cards.md): metadata_save of data read by metadata_load,
    // where the YAML aliases a list. Python's loader shares the list object and its dumper
    // writes `&id001`/`*id001`; our values are trees. Card content agrees (Python rebuilds
    // every collection in `to_dict`). Listed so that the test notices if this changes.
    const KNOWN: &[&str] = &["repo_alias_list.md: saved differs"];
    for known in KNOWN {
        let before = problems.len();
        problems.retain(|p| !p.starts_with(known));
        assert_eq!(
            before - 1,
            problems.len(),
            "expected disagreement not seen: {known}"
        );
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The corpus holds some invalid cards on purpose, and mostly valid ones.
    assert!((2..10).contains(&errors), "{errors} cards failed to parse");
}

/// A small deterministic generator of card-like values.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic across platforms.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn string(&mut self) -> String {
        const WORDS: &[&str] = &[
            "yes",
            "No",
            "null",
            "~",
            "1.0",
            "1e5",
            "0x1F",
            "0777",
            "2023-01-01",
            "",
            " ",
            "---",
            "...",
            "<<",
            "=",
            "true",
            "- a",
            "a: b",
            "#x",
            "it's",
            "\"q\"",
            "C:\\dir",
            "1:30",
            "+1",
            ".5",
            "-.inf",
            "@me",
            "`c`",
            "%p",
            "a #b",
            "a,b",
            "[x]",
            "{y}",
            "ok",
            "é",
            "日本",
            "🚀",
            "tab\there",
            "line\nbreak",
            "trail\n",
            " lead",
            "trail ",
            "\u{a0}",
            "\u{85}",
            "\u{2028}",
            "bell\u{7}",
            "\u{feff}",
            "x\r\ny",
            "a\n\nb",
            "a \nb",
            "a\n b",
        ];
        const CHARS: &[char] = &[
            'a', 'b', 'z', 'Y', '0', '7', ' ', ' ', ' ', ':', '#', '-', '\'', '"', '\n', '\t', 'é',
            '日', '🚀', '\\', '?', ',', '[', '{', '&', '*', '!', '|', '>', '%', '@', '`', '.',
        ];
        match self.below(4) {
            0 => WORDS[self.below(WORDS.len() as u64) as usize].to_string(),
            1 => {
                // Long text with spaces: exercises folding at column 80.
                let n = 60 + self.below(140);
                (0..n)
                    .map(|i| {
                        if i % (3 + self.below(9)) == 0 {
                            ' '
                        } else {
                            'w'
                        }
                    })
                    .collect()
            }
            _ => {
                let n = self.below(12);
                (0..n)
                    .map(|_| CHARS[self.below(CHARS.len() as u64) as usize])
                    .collect()
            }
        }
    }

    fn scalar(&mut self) -> Value {
        match self.below(8) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => Value::Int(self.next() as i64 >> self.below(60)),
            3 => {
                let mantissa = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
                let exp = self.below(80) as i32 - 40;
                let sign = if self.below(2) == 0 { 1.0 } else { -1.0 };
                Value::Float(sign * mantissa * 10f64.powi(exp))
            }
            4 => Value::Float(
                [0.1, 0.5, 1.0, 100.0, 1e16, 1e-5, f64::INFINITY][self.below(7) as usize],
            ),
            _ => Value::String(self.string()),
        }
    }

    fn value(&mut self, depth: u32) -> Value {
        if depth == 0 {
            return self.scalar();
        }
        match self.below(4) {
            0 => Value::List((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            1 => Value::Map(self.map(depth - 1)),
            _ => self.scalar(),
        }
    }

    fn map(&mut self, depth: u32) -> Mapping {
        let mut m = Mapping::new();
        for _ in 0..self.below(5) {
            let key = if self.below(6) == 0 {
                Value::Int(self.below(100) as i64)
            } else {
                Value::String(self.string())
            };
            m.insert(key, self.value(depth));
        }
        m
    }
}

#[test]
fn yaml_emitter_matches_pyyaml_on_generated_values() {
    let mut g = Gen(0x5eed_cafe_f00d_1234);
    let values: Vec<Value> = (0..400).map(|_| Value::Map(g.map(3))).collect();
    let rust: Vec<String> = values
        .iter()
        .map(|v| hub_cards::yaml::to_yaml_string(v, "\n"))
        .collect();
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.json");
    let tagged: Vec<serde_json::Value> = values.iter().map(tag).collect();
    std::fs::write(&file, serde_json::to_vec(&tagged).unwrap()).unwrap();
    let file_s = file.display().to_string();
    let py = python::run_json(
        Version::V026,
        "import os, cards; cards.dump_many(os.environ['CARDS_VALUES'])",
        &[("CARDS_VALUES", &file_s)],
    );
    let py = py.as_array().unwrap();
    let mut problems = Vec::new();
    let mut read_back = 0;
    for (i, (v, (r, p))) in values.iter().zip(rust.iter().zip(py)).enumerate() {
        let text = p["text"].as_str().unwrap();
        if r != text {
            problems.push(format!(
                "value {i}: {:?}\n  rust:   {r:?}\n  python: {text:?}",
                tag(v).to_string()
            ));
            continue;
        }
        // YAML 1.1 makes NEL, LS and PS line breaks, which PyYAML folds inside quoted
        // scalars; the YAML 1.2 parser under us keeps them as characters (a known difference,
        // see the crate docs), so text holding them is not read back here.
        if text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
            continue;
        }
        read_back += 1;
        // Rust reads PyYAML's text as PyYAML does.
        let back = hub_cards::yaml::parse_yaml(text).unwrap().value.unwrap();
        if tag(&back) != p["back"] {
            problems.push(format!(
                "value {i} reads differently: {text:?}\n  rust:   {}\n  python: {}",
                tag(&back),
                p["back"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(read_back > 300, "only {read_back} values were read back");
}

/// Hand-picked YAML where YAML 1.1 (PyYAML) and 1.2 parsers, or PyYAML and a naive reader,
/// tend to differ: scanning, escapes, implicit types, block scalars, flow collections, keys.
const YAML_SNIPPETS: &[&str] = &[
    "a: b # comment\n",
    "a: 'it''s'\n",
    "a: \"esc \\x41 \\u00e9 \\U0001F600 \\N \\_ \\L \\P \\e \\0 \\/ \\t\"\n",
    "a: !!str 123\nb: !!int \"12\"\nc: !!float 1\nd: !!bool yes\ne: !!null x\n",
    "a: - b\n",
    "- - a\n  - b\n- c\n",
    "a:\n- b\n- c\nd: e\n",
    "a: |\n  x\n  y\nb: >-\n  f\n  g\n\n  h\nc: |+\n  keep\n\nd: |2\n    two\n",
    "a: x\n  continued\n  more\n",
    "{a: 1, b: [2, 3]}\n",
    "[a, b]\n",
    "a: 0o17\nb: 1_000.5\nc: 190:20:30\nd: -1:30\ne: 0b\nf: 0x\n",
    "a: 2001-12-14T21:59:43.10-05:00\nb: 2002-12-14\nc: 2002-1-1\nd: 2002-01-01 1:02:03\ne: 2002-13-01\n",
    "a: .\nb: -\nc: +\nd:\ne: ~\n",
    "? a\n: b\n",
    "a: &x 1\nb: *x\nc: &y [1, 2]\nd: *y\n",
    "a: b\n...\n",
    "%YAML 1.1\n---\na: b\n",
    "a: \"multi\n  line\"\nb: 'multi\n\n  line'\nc: \"x\\\n  y\"\n",
    "a: yes please\nb: NULL\nc: Null\nd: nULL\ne: TRUE\nf: tRUE\ng: y\nh: n\n",
    "a: 12e3\nb: 1.2e3\nc: 1.2e+3\nd: 0.\ne: -.5\nf: 1e+5\ng: +.5\nh: .5e-3\n",
    "a   : b\n\"c\": d\n'e': f\n",
    "a: [1,\n  2]\nb: [a, b,]\nc: {b}\nd: [b: c]\n",
    "a: 'x' # c\n\n\n",
    "a:\n  - b\n  -  c\n",
    "a: |\n   three\n    four\n",
    "- a\n-\n",
    "a: b\r\nc: d\r\n",
    "on: push\noff: 1\n",
    "a: !custom x\n",
    "a: b\na: c\n",
    "a: [1, {b: 2}, [3]]\n",
    "a: 'trailing   '\nb: \"  leading\"\n",
    "a: \"😀\"\nb: 😀\nc: é\n",
    "a: 0\nb: 00\nc: 08\nd: 0.0\ne: -0\nf: +0\n",
    "a: 9223372036854775807\nb: -9223372036854775808\n",
    "a: 1.7976931348623157e+308\nb: 5.0e-324\nc: 0.1\n",
    "a:\n  b:\n    c:\n      - d\n      - e: f\n        g: h\n",
    "a: # empty with comment\nb: 1\n",
    "'a: b': c\n\"d #e\": f\n",
    "a: >\n  one\n   indented\n  two\n",
    "a: \"\\\"\"\nb: '\"'\nc: \"'\"\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "",
    "# nothing\n",
    "a: @x\n",
    "a: `x`\n",
    "a: b: c\n",
    "- a: 1\n  b: 2\n- c: 3\n",
    "a: 'x\n  \n  y'\n",
    "a: !!timestamp 2001-01-01\nb: !!str\n",
    "a: \"\\ x\"\n",
    "? [a, b]\n: c\n",
    "a: {? b : c}\n",
    "a: 'x'y\n",
    "a: b\rc: d\r",
    "-\ta\n",
    "a:\n\t- b\n",
    "a: [\"q\", 'r', s t]\n",
    "a: &anchor\n  b: 1\nc: *anchor\n",
    "a: \"\\u00\"\n",
    "k: v\n# trailing comment without newline",
    "base: &b {x: 1, y: 2}\nother: &o {y: 9, z: 3}\nm:\n  <<: [*b, *o]\n  x: 0\n",
    "base: &b\n  a: 1\nm:\n  k: v\n  <<: *b\n  a: 2\n",
    "m:\n  <<:\n    p: 1\n  q: 2\n",
    "m:\n  <<: 1\n",
    "=: eq\n",
    ": false\n",
    "a: 1\n: 2\n",
    "?\n: v\n",
    "{: v}\n",
    "a: &a {key: 1, k: 1}\nb: &b {key: 2, k: 2}\nm:\n  <<: [*a, *b]\n",
    "a: =\n",
];

#[test]
fn yaml_snippets_read_like_pyyaml() {
    let rust: Vec<serde_json::Value> = YAML_SNIPPETS
        .iter()
        .map(|t| match hub_cards::yaml::parse_yaml(t) {
            Ok(p) => json!({ "value": p.value.as_ref().map(tag) }),
            Err(e) => json!({ "error": e.to_string() }),
        })
        .collect();
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("texts.json");
    std::fs::write(&file, serde_json::to_vec(YAML_SNIPPETS).unwrap()).unwrap();
    let file_s = file.display().to_string();
    let py = python::run_json(
        Version::V026,
        "import os, cards; cards.load_many(os.environ['CARDS_TEXTS'])",
        &[("CARDS_TEXTS", &file_s)],
    );
    let mut problems = Vec::new();
    for (i, (r, p)) in rust.iter().zip(py.as_array().unwrap()).enumerate() {
        let same = match (r.get("error"), p.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => r["value"] == p["value"],
            _ => false,
        };
        if !same {
            problems.push(format!(
                "{:?}\n  rust:   {r}\n  python: {p}",
                YAML_SNIPPETS[i]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

const TEMPLATE_DATA: &str = "---\nlanguage:\n- en\n- fr\nlicense: mit\nlibrary_name: timm\ntags:\n- image-classification\n- resnet\nbase_model: microsoft/resnet-50\ncustom_key: 12\nmodel-index:\n- name: resnet-beans\n  results:\n  - task:\n      type: image-classification\n    dataset:\n      name: Beans\n      type: beans\n    metrics:\n    - type: accuracy\n      value: 0.95\n---\n";

const CUSTOM_TEMPLATE: &str = "---\n{{ card_data }}\n---\n# {{ title | default(\"Untitled\", true) }}\n{% for t in tags %}- {{ t }}\n{% endfor %}\nLicense: {{ license }}; languages: {{ language }}; missing: [{{ nothing }}]; flag: {{ flag }}; ratio: {{ ratio }}; extra: {{ extra }}\n{{ custom_key * 2 }}\n";

#[test]
fn templates_render_like_jinja2() {
    let model_tmpl = hub_tests::repo_root().join("crates/hub-cards/templates/modelcard.md");
    let dataset_tmpl = hub_tests::repo_root().join("crates/hub-cards/templates/datasetcard.md");
    let data = ModelCard::parse(TEMPLATE_DATA).unwrap().data;
    let rust_default = ModelCard::from_template(data.clone())
        .var("model_id", "resnet-beans")
        .var("model_summary", "A ResNet fine-tuned on beans.")
        .var("developers", vec!["Ada", "Grace"])
        .render()
        .unwrap()
        .content();
    let mut extra = Mapping::new();
    extra.insert("k", "v");
    extra.insert("n", 1);
    let rust_custom = ModelCard::from_template(data.clone())
        .template_str(CUSTOM_TEMPLATE)
        .var("title", "Custom")
        .var("flag", true)
        .var("ratio", 0.5)
        .var("extra", extra)
        .render()
        .unwrap()
        .content();
    let mut ddata = hub_cards::DatasetCardData::new();
    ddata.pretty_name = Some("Beans".into());
    ddata.license = Some("mit".into());
    ddata.train_eval_index = Some(Value::from(vec!["x"]));
    let rust_dataset = DatasetCard::from_template(ddata)
        .var("pretty_name", "Beans")
        .render()
        .unwrap()
        .content();
    assert!(rust_default.contains("# Model Card for resnet-beans"));
    if !python_ready() {
        return;
    }
    let Some((k, v)) = jinja_env() else { return };
    let script = r##"
import json, os
from huggingface_hub import ModelCard, DatasetCard, DatasetCardData
e = os.environ
data = ModelCard(e["T_DATA"]).data
default = ModelCard.from_template(data, template_path=e["T_MODEL"], model_id="resnet-beans",
    model_summary="A ResNet fine-tuned on beans.", developers=["Ada", "Grace"])
custom = ModelCard.from_template(data, template_str=e["T_CUSTOM"], title="Custom", flag=True,
    ratio=0.5, extra={"k": "v", "n": 1})
dataset = DatasetCard.from_template(DatasetCardData(pretty_name="Beans", license="mit",
    train_eval_index=["x"]), template_path=e["T_DATASET"], pretty_name="Beans")
py_default_model = ModelCard.from_template(data, model_id="resnet-beans")
py_default_dataset = DatasetCard.from_template(DatasetCardData(pretty_name="Beans"))
def headings(card):
    return [l for l in card.text.splitlines() if l.startswith("#")]
print(json.dumps({"default": str(default), "custom": str(custom), "dataset": str(dataset),
    "model_headings": headings(py_default_model), "dataset_headings": headings(py_default_dataset)}))
"##;
    let (m, d) = (
        model_tmpl.display().to_string(),
        dataset_tmpl.display().to_string(),
    );
    let py = python::run_json(
        Version::V026,
        script,
        &[
            (k.as_str(), v.as_str()),
            ("T_DATA", TEMPLATE_DATA),
            ("T_MODEL", &m),
            ("T_DATASET", &d),
            ("T_CUSTOM", CUSTOM_TEMPLATE),
        ],
    );
    assert_eq!(py["default"], rust_default);
    assert_eq!(py["custom"], rust_custom);
    assert_eq!(py["dataset"], rust_dataset);
    // Our default templates have the same sections as Python's own.
    let headings = |c: &str| -> Vec<String> {
        c.lines()
            .skip_while(|l| *l != "---")
            .skip(1)
            .skip_while(|l| *l != "---")
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let rust_model = ModelCard::from_template(data)
        .var("model_id", "resnet-beans")
        .render()
        .unwrap()
        .content();
    let mut dd = hub_cards::DatasetCardData::new();
    dd.pretty_name = Some("Beans".into());
    let rust_ds = DatasetCard::from_template(dd).render().unwrap().content();
    assert_eq!(py["model_headings"], json!(headings(&rust_model)));
    assert_eq!(py["dataset_headings"], json!(headings(&rust_ds)));
}

// ---------------------------------------------------------------------------------------------
// End to end on hub-server.

fn client(server: &TestServer) -> HubClient {
    HubClient::builder()
        .config(hub_core::Config::builder().endpoint(server.url()).build())
        .token(&server.tokens().write)
        .build()
        .unwrap()
}

async fn new_repo(c: &HubClient, name: &str, ty: RepoType) -> RepoId {
    let id = RepoId::new(format!("alice/{}", unique_name(name))).unwrap();
    let mut b = c.api().create_repo(&id).repo_type(ty);
    if ty == RepoType::Space {
        b = b.space_sdk(hub_core::types::SpaceSdk::Gradio);
    }
    b.send().await.unwrap();
    id
}

/// Python reads the card of `repo` (at `revision`) and prints its text and data.
fn python_card(
    server: &TestServer,
    repo: &RepoId,
    ty: RepoType,
    revision: &str,
) -> serde_json::Value {
    let script = r#"
import json, os, cards
from huggingface_hub import hf_hub_download
e = os.environ
path = hf_hub_download(e["C_REPO"], "README.md", repo_type=e["C_TYPE"], revision=e["C_REV"])
card = cards.CLASSES[e["C_KIND"]].load(path)
print(json.dumps({"content": str(card), "data": cards.tag(card.data.to_dict())}))
"#;
    let kind = match ty {
        RepoType::Model => "model",
        RepoType::Dataset => "dataset",
        RepoType::Space => "space",
    };
    let repo_s = repo.to_string();
    server.python_json_with(
        Version::V026,
        script,
        &[
            ("C_REPO", &repo_s),
            ("C_TYPE", ty.as_str()),
            ("C_REV", revision),
            ("C_KIND", kind),
        ],
    )
}

fn assert_python_reads<D: CardDataKind>(
    server: &TestServer,
    repo: &RepoId,
    ty: RepoType,
    revision: &str,
    card: &Card<D>,
) {
    if !python_ready() {
        return;
    }
    let py = python_card(server, repo, ty, revision);
    assert_eq!(py["content"], card.content());
    assert_eq!(py["data"], tag_map(&card.metadata()));
}

#[tokio::test(flavor = "multi_thread")]
async fn push_to_hub_with_and_without_pr_slow() {
    let server = TestServer::start();
    let c = client(&server);
    let repo = new_repo(&c, "card-push", RepoType::Model).await;
    let text = std::fs::read_to_string(corpus_dir().join("model_eval_results.md")).unwrap();
    let card = ModelCard::parse(&text).unwrap();

    let info = card
        .push_to_hub(&c, &repo)
        .commit_message("Add the card")
        .commit_description("From hub-cards")
        .send()
        .await
        .unwrap();
    assert!(info.pr_url.is_none());
    let back = ModelCard::load(&c, &repo).await.unwrap();
    assert_eq!(back.content(), card.content());
    // Python writes `source.url` before `source.name`, so the stored card is the normalised one.
    let written = card.content();
    assert_ne!(written, text);
    assert_python_reads(&server, &repo, RepoType::Model, "main", &back);

    // The same card with a change, as a pull request: main keeps the old card.
    let mut changed = back.clone();
    changed.data.license = Some("apache-2.0".into());
    changed.text.push_str("\nMore text.\n");
    let info = changed
        .push_to_hub(&c, &repo)
        .create_pr(true)
        .parent_commit(info.oid.clone())
        .await
        .unwrap();
    let pr_rev = info.pr_revision.clone().expect("a PR revision");
    assert!(info.pr_url.is_some());
    let main = ModelCard::load(&c, &repo).await.unwrap();
    assert_eq!(main.content(), written);
    let pr = ModelCard::load(&c, &repo).revision(&pr_rev).await.unwrap();
    assert_eq!(pr.content(), changed.content());
    assert_python_reads(&server, &repo, RepoType::Model, &pr_rev, &pr);

    // A parent commit that is not the head is refused.
    let stale = changed
        .push_to_hub(&c, &repo)
        .parent_commit("0".repeat(40))
        .await;
    assert!(stale.is_err());

    // A key of 128+ characters is written in PyYAML's explicit form (`? key`), which the Hub
    // (and hub-server) accept.
    let long_key = "k".repeat(130);
    let mut accepted = RepoCard::parse("---\nlicense: mit\n---\nbody\n").unwrap();
    accepted.data.extra.insert(long_key.as_str(), 1);
    assert!(accepted.content().contains("\n? kkk"));
    accepted.validate(&c).await.unwrap();

    // Validation happens before committing: a `model-index` that is not a list is rejected.
    let mut rejected = RepoCard::parse("---\nlicense: mit\n---\nbody\n").unwrap();
    rejected.data.extra.insert("model-index", 1);
    let e = rejected.validate(&c).await.unwrap_err();
    assert!(matches!(e, hub_cards::Error::Rejected(_)), "{e}");
    let e = rejected.push_to_hub(&c, &repo).await.unwrap_err();
    assert!(matches!(e, hub_cards::Error::Rejected(_)), "{e}");
    let main = ModelCard::load(&c, &repo).await.unwrap();
    assert_eq!(main.content(), written);
    RepoCard::parse("---\nkey: value\n---\n")
        .unwrap()
        .validate(&c)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_update_end_to_end_slow() {
    let server = TestServer::start();
    let c = client(&server);

    // No README yet: the card starts from the default template.
    let repo = new_repo(&c, "card-meta", RepoType::Model).await;
    let mut md = Mapping::new();
    md.insert("license", "mit");
    md.insert("tags", vec!["vision"]);
    hub_cards::metadata_update(&c, &repo, md.clone())
        .commit_message("Set metadata")
        .await
        .unwrap();
    let card = ModelCard::load(&c, &repo).await.unwrap();
    assert_eq!(card.data.license, Some("mit".into()));
    assert!(card.text.contains("# Model Card for Model ID"));
    assert_python_reads(&server, &repo, RepoType::Model, "main", &card);

    // Same value again: fine; a different value: conflict unless overwrite.
    hub_cards::metadata_update(&c, &repo, md.clone())
        .await
        .unwrap();
    let mut other = Mapping::new();
    other.insert("license", "apache-2.0");
    let e = hub_cards::metadata_update(&c, &repo, other.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, hub_cards::Error::Conflict(_)), "{e}");
    hub_cards::metadata_update(&c, &repo, other)
        .overwrite(true)
        .await
        .unwrap();

    // Eval results: added, then merged; a new value of the same metric needs overwrite.
    let eval = hub_cards::metadata_eval_result(&hub_cards::EvalResultMetadata {
        model_pretty_name: "my-model".into(),
        task_pretty_name: "Image Classification".into(),
        task_id: "image-classification".into(),
        metrics_pretty_name: "Accuracy".into(),
        metrics_id: "accuracy".into(),
        metrics_value: 0.9.into(),
        dataset_pretty_name: "Beans".into(),
        dataset_id: "beans".into(),
        dataset_split: Some("test".into()),
        ..Default::default()
    });
    hub_cards::metadata_update(&c, &repo, eval.clone())
        .await
        .unwrap();
    let text = hub_cards::yaml::to_yaml_string(&Value::Map(eval), "\n").replace("0.9", "0.95");
    let eval2 = hub_cards::yaml::parse_yaml(&text).unwrap().value.unwrap();
    let eval2 = eval2.as_map().unwrap().clone();
    let e = hub_cards::metadata_update(&c, &repo, eval2.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, hub_cards::Error::Conflict(_)), "{e}");
    let info = hub_cards::metadata_update(&c, &repo, eval2)
        .overwrite(true)
        .create_pr(true)
        .await
        .unwrap();
    let pr_rev = info.pr_revision.unwrap();
    let main = ModelCard::load(&c, &repo).await.unwrap();
    assert_eq!(
        main.data.eval_results.as_ref().unwrap()[0].metric_value,
        Value::Float(0.9)
    );
    let pr = ModelCard::load(&c, &repo).revision(&pr_rev).await.unwrap();
    assert_eq!(
        pr.data.eval_results.as_ref().unwrap()[0].metric_value,
        Value::Float(0.95)
    );
    assert_python_reads(&server, &repo, RepoType::Model, &pr_rev, &pr);

    // Datasets start from the dataset template; Spaces need a README.
    let ds = new_repo(&c, "card-ds", RepoType::Dataset).await;
    let mut dmd = Mapping::new();
    dmd.insert("pretty_name", "Beans");
    hub_cards::metadata_update(&c, &ds, dmd)
        .repo_type(RepoType::Dataset)
        .await
        .unwrap();
    let dcard = DatasetCard::load(&c, &ds).await.unwrap();
    assert!(dcard.text.contains("# Dataset Card for Dataset Name"));
    assert_python_reads(&server, &ds, RepoType::Dataset, "main", &dcard);

    let space = new_repo(&c, "card-space", RepoType::Space).await;
    let has_readme = SpaceCard::load(&c, &space).await;
    let mut smd = Mapping::new();
    smd.insert("title", "Demo");
    let r = hub_cards::metadata_update(&c, &space, smd)
        .repo_type(RepoType::Space)
        .await;
    match has_readme {
        Ok(_) => {
            r.unwrap();
            let scard = SpaceCard::load(&c, &space).await.unwrap();
            assert_eq!(scard.data.title, Some("Demo".into()));
            assert_python_reads(&server, &space, RepoType::Space, "main", &scard);
        }
        Err(_) => assert!(matches!(r, Err(hub_cards::Error::InvalidArgument(_)))),
    }
}

/// Python's own `metadata_update` (with its hard-coded huggingface.co validation call
/// disabled: the tests are offline) and ours turn the same README and metadata into the same
/// bytes.
#[tokio::test(flavor = "multi_thread")]
async fn metadata_update_writes_what_python_writes_slow() {
    if !python_ready() {
        return;
    }
    let server = TestServer::start();
    let c = client(&server);
    let start = std::fs::read_to_string(corpus_dir().join("model_trainer_card.md")).unwrap();
    let ours = new_repo(&c, "md-rust", RepoType::Model).await;
    let theirs = new_repo(&c, "md-python", RepoType::Model).await;
    for repo in [&ours, &theirs] {
        ModelCard::parse(&start)
            .unwrap()
            .push_to_hub(&c, repo)
            .await
            .unwrap();
    }
    let updates = r#"[
        {"pipeline_tag": "image-classification", "license": "apache-2.0"},
        {"model-index": [{"results": [{"task": {"type": "image-classification"},
            "dataset": {"name": "Beans", "type": "beans", "split": "validation"},
            "metrics": [{"type": "f1", "value": 0.97, "name": "F1"}]}]}]},
        {"model-index": [{"name": "vit-beans", "results": [{"task": {"type": "image-classification", "name": "Image Classification"},
            "dataset": {"name": "imagefolder", "type": "imagefolder", "config": "default", "split": "train", "args": "default"},
            "metrics": [{"type": "accuracy", "value": 0.99, "name": "Accuracy"}]}]}]}
    ]"#;
    let list: Vec<serde_json::Value> = serde_json::from_str(updates).unwrap();
    for u in &list {
        let md = Value::from_json(u).as_map().unwrap().clone();
        hub_cards::metadata_update(&c, &ours, md)
            .overwrite(true)
            .await
            .unwrap();
    }
    let script = r#"
import json, os
from huggingface_hub import metadata_update, hf_hub_download
from huggingface_hub.repocard import RepoCard
RepoCard.validate = lambda self, repo_type=None: None
for u in json.loads(os.environ["C_UPDATES"]):
    metadata_update(os.environ["C_REPO"], u, overwrite=True)
path = hf_hub_download(os.environ["C_REPO"], "README.md")
print(json.dumps({"readme": open(path, newline="", encoding="utf-8").read()}))
"#;
    let theirs_s = theirs.to_string();
    let py = server.python_json_with(
        Version::V026,
        script,
        &[
            ("C_REPO", &theirs_s),
            ("C_UPDATES", updates),
            ("PYTHONHASHSEED", "0"),
        ],
    );
    let ours_readme = ModelCard::load(&c, &ours).await.unwrap();
    let raw = reqwest::get(format!("{}/{}/resolve/main/README.md", server.url(), ours))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(py["readme"], raw);
    assert_eq!(ours_readme.content(), raw);
}
