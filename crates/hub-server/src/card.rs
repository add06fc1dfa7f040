//! README front matter ("card data") parsing and the tags derived from it, used by repo info and
//! by the `filter` parameter of listings. Only the YAML subset cards use is understood: top-level
//! scalars, block lists (`- item`) and flow lists (`[a, b]`); nested mappings are skipped.

use serde_json::{Map, Value};

use crate::repo::RepoType;

fn scalar(s: &str) -> Value {
    let s = s.trim();
    let unq = s.trim_matches(|c| c == '"' || c == '\'');
    match unq {
        "true" | "True" => Value::Bool(true),
        "false" | "False" => Value::Bool(false),
        "null" | "~" | "" => Value::Null,
        _ => {
            if let (Ok(n), true) = (unq.parse::<i64>(), unq == s) {
                return Value::from(n);
            }
            Value::String(unq.to_string())
        }
    }
}

/// Parses the front matter of a README (`---\n...\n---`) into a JSON object (empty if none).
pub fn parse(readme: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let text = readme.strip_prefix('\u{feff}').unwrap_or(readme);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return out;
    };
    let Some(end) = rest.find("\n---") else {
        return out;
    };
    let mut current: Option<String> = None;
    for line in rest[..end].lines() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') || line.starts_with('-') {
            let t = line.trim_start();
            if let (Some(key), Some(item)) = (
                &current,
                t.strip_prefix("- ").or_else(|| (t == "-").then_some("")),
            ) {
                if item.contains(": ") {
                    continue; // list of mappings (e.g. model-index): not represented
                }
                if let Some(Value::Array(a)) = out.get_mut(key) {
                    a.push(scalar(item));
                } else {
                    out.insert(key.clone(), Value::Array(vec![scalar(item)]));
                }
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim().to_string();
        let v = v.trim();
        current = Some(k.clone());
        if v.is_empty() {
            continue;
        }
        if let Some(inner) = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            let items = inner
                .split(',')
                .filter(|x| !x.trim().is_empty())
                .map(scalar)
                .collect();
            out.insert(k, Value::Array(items));
        } else {
            out.insert(k, scalar(v));
        }
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Tags the Hub derives from card data (plus `region:us`).
pub fn tags(ty: RepoType, card: &Map<String, Value>) -> Vec<String> {
    let mut tags: Vec<String> = strings(card.get("tags"));
    match ty {
        RepoType::Dataset => {
            for key in [
                "task_categories",
                "task_ids",
                "language",
                "language_creators",
                "annotations_creators",
                "multilinguality",
                "size_categories",
                "source_datasets",
                "license",
                "benchmark",
            ] {
                for v in strings(card.get(key)) {
                    tags.push(format!("{key}:{v}"));
                }
            }
        }
        _ => {
            tags.extend(strings(card.get("library_name")));
            tags.extend(strings(card.get("pipeline_tag")));
            tags.extend(strings(card.get("language")));
            for d in strings(card.get("datasets")) {
                tags.push(format!("dataset:{d}"));
            }
            for l in strings(card.get("license")) {
                tags.push(format!("license:{l}"));
            }
            if ty == RepoType::Space {
                tags.extend(strings(card.get("sdk")));
            }
        }
    }
    tags.push("region:us".into());
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_and_tags() {
        let readme = "---\nlicense: mit\nlanguage:\n- en\n- fr\ntags: [a, \"b\"]\nlibrary_name: transformers\nmodel-index:\n- name: x\n  results: []\nlikes: 3\n---\n# Title\n";
        let c = parse(readme);
        assert_eq!(c["license"], "mit");
        assert_eq!(c["language"], serde_json::json!(["en", "fr"]));
        assert_eq!(c["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(c["likes"], 3);
        let t = tags(RepoType::Model, &c);
        for want in ["a", "b", "transformers", "en", "license:mit", "region:us"] {
            assert!(t.contains(&want.to_string()), "{want} in {t:?}");
        }
        let d = tags(
            RepoType::Dataset,
            &parse("---\ntask_categories:\n- text-classification\n---\n"),
        );
        assert!(d.contains(&"task_categories:text-classification".to_string()));
        assert!(parse("no front matter").is_empty());
    }
}
