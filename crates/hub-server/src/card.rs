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

/// The Hub's warning for a card without metadata (or with an empty block).
pub const EMPTY_METADATA_WARNING: &str = "empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)";

/// The first line of the Hub's answer to invalid card metadata.
pub const INVALID_METADATA: &str = "Invalid metadata in README.md.";

/// Outcome of validating a README's metadata block.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Problems that make the card invalid (the Hub refuses the README).
    pub errors: Vec<String>,
    /// Problems the Hub accepts but reports (empty metadata).
    pub warnings: Vec<String>,
}

impl Validation {
    /// The text of a 400 answer: [`INVALID_METADATA`] then one `- error` line each, the same
    /// lines the Python client prints after validating through `/api/validate-yaml`.
    pub fn error_text(&self) -> String {
        let mut s = INVALID_METADATA.to_string();
        for e in &self.errors {
            s.push_str("\n- ");
            s.push_str(e);
        }
        s
    }
}

/// The YAML between the `---` lines at the top of a README, if it has such a block (an
/// unclosed block is returned whole, so its YAML is still judged).
fn front_matter(readme: &str) -> Option<&str> {
    let text = readme.strip_prefix('\u{feff}').unwrap_or(readme);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    if rest.starts_with("---") {
        // `---\n---`: an empty block.
        return Some("");
    }
    Some(match rest.find("\n---") {
        Some(end) => &rest[..end],
        None => rest,
    })
}

/// Validates a README's metadata as the Hub does before accepting it: the block must be YAML
/// holding a mapping, list-valued keys must be strings or lists of strings, and `model-index`
/// must follow the evaluation-results schema. Missing or empty metadata only warns.
pub fn validate(readme: &str) -> Validation {
    let mut v = Validation::default();
    let Some(yaml) = front_matter(readme) else {
        v.warnings.push(EMPTY_METADATA_WARNING.into());
        return v;
    };
    if yaml.trim().is_empty() {
        v.warnings.push(EMPTY_METADATA_WARNING.into());
        return v;
    }
    let value: Value = match serde_saphyr::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            v.errors
                .push(format!("Invalid YAML in the metadata block: {e}"));
            return v;
        }
    };
    let map = match value {
        Value::Object(m) => m,
        Value::Null => {
            v.warnings.push(EMPTY_METADATA_WARNING.into());
            return v;
        }
        _ => {
            v.errors
                .push("The metadata block must be a YAML mapping (key: value lines)".into());
            return v;
        }
    };
    for key in [
        "tags",
        "datasets",
        "language",
        "license",
        "metrics",
        "pipeline_tag",
    ] {
        if let Some(val) = map.get(key) {
            let ok = match val {
                Value::String(_) | Value::Null => true,
                Value::Array(items) => items.iter().all(Value::is_string),
                _ => false,
            };
            if !ok {
                v.errors
                    .push(format!("\"{key}\" must be a string or a list of strings"));
            }
        }
    }
    if let Some(mi) = map.get("model-index") {
        model_index(mi, &mut v.errors);
    }
    v
}

/// Checks `model-index` against the Hub's evaluation-results schema.
fn model_index(mi: &Value, errors: &mut Vec<String>) {
    let Some(models) = mi.as_array() else {
        errors.push("\"model-index\" must be an array".into());
        return;
    };
    for (i, model) in models.iter().enumerate() {
        let at = format!("model-index[{i}]");
        let Some(model) = model.as_object() else {
            errors.push(format!("\"{at}\" must be an object"));
            continue;
        };
        required_string(model, &at, "name", errors);
        let Some(results) = model.get("results") else {
            errors.push(format!("\"{at}.results\" is required"));
            continue;
        };
        let Some(results) = results.as_array() else {
            errors.push(format!("\"{at}.results\" must be an array"));
            continue;
        };
        for (j, result) in results.iter().enumerate() {
            let at = format!("{at}.results[{j}]");
            let Some(result) = result.as_object() else {
                errors.push(format!("\"{at}\" must be an object"));
                continue;
            };
            match result.get("task").map(Value::as_object) {
                None => errors.push(format!("\"{at}.task\" is required")),
                Some(None) => errors.push(format!("\"{at}.task\" must be an object")),
                Some(Some(task)) => required_string(task, &format!("{at}.task"), "type", errors),
            }
            if let Some(ds) = result.get("dataset") {
                match ds.as_object() {
                    None => errors.push(format!("\"{at}.dataset\" must be an object")),
                    Some(ds) => {
                        let at = format!("{at}.dataset");
                        required_string(ds, &at, "type", errors);
                        required_string(ds, &at, "name", errors);
                    }
                }
            }
            match result.get("metrics").map(Value::as_array) {
                None => errors.push(format!("\"{at}.metrics\" is required")),
                Some(None) => errors.push(format!("\"{at}.metrics\" must be an array")),
                Some(Some(metrics)) => {
                    for (k, metric) in metrics.iter().enumerate() {
                        let at = format!("{at}.metrics[{k}]");
                        let Some(metric) = metric.as_object() else {
                            errors.push(format!("\"{at}\" must be an object"));
                            continue;
                        };
                        required_string(metric, &at, "type", errors);
                        if metric.get("value").is_none_or(Value::is_null) {
                            errors.push(format!("\"{at}.value\" is required"));
                        }
                    }
                }
            }
        }
    }
}

fn required_string(obj: &Map<String, Value>, at: &str, key: &str, errors: &mut Vec<String>) {
    match obj.get(key) {
        None | Some(Value::Null) => errors.push(format!("\"{at}.{key}\" is required")),
        Some(Value::String(_)) => {}
        Some(_) => errors.push(format!("\"{at}.{key}\" must be a string")),
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;

    #[test]
    fn metadata_validation() {
        assert_eq!(
            validate("---\nlicense: mit\ntags: [a, b]\n---\n# x").errors,
            Vec::<String>::new()
        );
        let empty = validate("---\n---\n# x");
        assert!(empty.errors.is_empty());
        assert_eq!(empty.warnings, [EMPTY_METADATA_WARNING]);
        assert_eq!(validate("# no metadata").warnings, [EMPTY_METADATA_WARNING]);
        let bad = validate("---\nlicense: [mit\n---\n");
        assert_eq!(bad.errors.len(), 1, "{bad:?}");
        assert!(
            bad.error_text()
                .starts_with("Invalid metadata in README.md.\n- Invalid YAML")
        );
        assert_eq!(validate("---\n- a\n- b\n---\n").errors.len(), 1);
        let mi = validate(
            "---\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: text-classification\n    metrics:\n    - type: accuracy\n---\n",
        );
        assert_eq!(
            mi.errors,
            ["\"model-index[0].results[0].metrics[0].value\" is required"]
        );
        let ok = validate(
            "---\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: text-classification\n    dataset:\n      type: imdb\n      name: IMDB\n    metrics:\n    - type: accuracy\n      value: 0.9\n---\n",
        );
        assert!(ok.errors.is_empty() && ok.warnings.is_empty(), "{ok:?}");
        assert_eq!(
            validate("---\nmodel-index: 3\n---\n").errors,
            ["\"model-index\" must be an array"]
        );
    }
}
