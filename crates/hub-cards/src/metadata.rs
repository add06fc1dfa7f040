//! README metadata on disk: [`metadata_load`], [`metadata_save`], and [`metadata_eval_result`].

use std::path::Path;

use crate::card::{find_front_matter, parse_metadata};
use crate::error::{Error, Result};
use crate::eval::{EvalResult, eval_results_to_model_index};
use crate::value::{Mapping, Value};
use crate::yaml::to_yaml_string;

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the metadata of a README (Python's `metadata_load`): `None` when the file has no
/// front matter or an empty one. Line endings are read as Python's text mode reads them
/// (`\r\n` and `\r` become `\n`).
pub fn metadata_load(path: impl AsRef<Path>) -> Result<Option<Mapping>> {
    let content = read(path.as_ref())?
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    match find_front_matter(&content) {
        None => Ok(None),
        Some(fm) => Ok(parse_metadata(&fm)?.0),
    }
}

/// The line break Python's `open(newline="")` reports first in `file.newlines`: `\r` if the
/// file has one alone, else `\n` if it has one alone, else `\r\n`; `\n` for a file without
/// line breaks.
fn first_newline_kind(content: &str) -> &'static str {
    let bytes = content.as_bytes();
    let (mut cr, mut lf, mut crlf) = (false, false, false);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                crlf = true;
                i += 1;
            }
            b'\r' => cr = true,
            b'\n' => lf = true,
            _ => {}
        }
        i += 1;
    }
    if cr {
        "\r"
    } else if lf || !crlf {
        "\n"
    } else {
        "\r\n"
    }
}

/// Writes `data` as the front matter of the README at `path` (Python's `metadata_save`):
/// replaces an existing front matter, or puts one before the text; creates the file when
/// missing. The YAML is written as given (`None` values included) with the file's line break.
pub fn metadata_save(path: impl AsRef<Path>, data: &Mapping) -> Result<()> {
    let path = path.as_ref();
    let (content, lb) = if path.exists() {
        let c = read(path)?;
        let lb = first_newline_kind(&c);
        (c, lb)
    } else {
        (String::new(), "\n")
    };
    let yaml = to_yaml_string(&Value::Map(data.clone()), lb);
    let output = match find_front_matter(&content) {
        Some(fm) => format!(
            "{}---{lb}{yaml}---{lb}{}",
            &content[..fm.whole.start],
            &content[fm.whole.end..]
        ),
        None => format!("---{lb}{yaml}---{lb}{content}"),
    };
    std::fs::write(path, output).map_err(|source| Error::Io {
        action: "writing",
        path: path.to_path_buf(),
        source,
    })
}

/// The arguments of [`metadata_eval_result`] (Python's keyword arguments of the same names).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalResultMetadata {
    /// Name of the model in the `model-index`.
    pub model_pretty_name: String,
    /// Pretty name of the task.
    pub task_pretty_name: String,
    /// Task id, e.g. `text-classification`.
    pub task_id: String,
    /// Pretty name of the metric.
    pub metrics_pretty_name: String,
    /// Metric id, e.g. `accuracy`.
    pub metrics_id: String,
    /// The metric value.
    pub metrics_value: Value,
    /// Pretty name of the dataset.
    pub dataset_pretty_name: String,
    /// Dataset id.
    pub dataset_id: String,
    /// Metric configuration.
    pub metrics_config: Option<String>,
    /// Whether the evaluation service computed the metric (written even when false).
    pub metrics_verified: bool,
    /// Dataset configuration.
    pub dataset_config: Option<String>,
    /// Dataset split.
    pub dataset_split: Option<String>,
    /// Dataset revision.
    pub dataset_revision: Option<String>,
    /// Verification token of the evaluation service.
    pub metrics_verification_token: Option<String>,
}

/// A `{"model-index": ...}` metadata mapping holding one result (Python's
/// `metadata_eval_result`), ready for [`metadata_save`] or `metadata_update`.
pub fn metadata_eval_result(args: &EvalResultMetadata) -> Mapping {
    let s = |o: &Option<String>| o.clone().map(Value::String);
    let result = EvalResult {
        task_name: Some(args.task_pretty_name.clone().into()),
        task_type: args.task_id.clone().into(),
        metric_name: Some(args.metrics_pretty_name.clone().into()),
        metric_type: args.metrics_id.clone().into(),
        metric_value: args.metrics_value.clone(),
        dataset_name: args.dataset_pretty_name.clone().into(),
        dataset_type: args.dataset_id.clone().into(),
        metric_config: s(&args.metrics_config),
        verified: Some(Value::Bool(args.metrics_verified)),
        verify_token: s(&args.metrics_verification_token),
        dataset_config: s(&args.dataset_config),
        dataset_split: s(&args.dataset_split),
        dataset_revision: s(&args.dataset_revision),
        ..EvalResult::default()
    };
    let mut m = Mapping::new();
    m.insert(
        "model-index",
        eval_results_to_model_index(&args.model_pretty_name.clone().into(), &[result]),
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_replaces_front_matter_and_keeps_crlf() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("README.md");
        std::fs::write(&p, "---\r\nold: 1\r\n---\r\n# Title\r\n").unwrap();
        let mut m = Mapping::new();
        m.insert("license", "mit");
        m.insert("gone", Value::Null);
        metadata_save(&p, &m).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "---\r\nlicense: mit\r\ngone: null\r\n---\r\n# Title\r\n"
        );
        assert_eq!(
            metadata_load(&p).unwrap().unwrap().get("license"),
            Some(&Value::from("mit"))
        );
    }

    #[test]
    fn eval_result_metadata_shape() {
        let m = metadata_eval_result(&EvalResultMetadata {
            model_pretty_name: "RoBERTa".into(),
            task_pretty_name: "Text Classification".into(),
            task_id: "text-classification".into(),
            metrics_pretty_name: "Accuracy".into(),
            metrics_id: "accuracy".into(),
            metrics_value: 0.25.into(),
            dataset_pretty_name: "ReactionJPEG".into(),
            dataset_id: "julien-c/reactionjpeg".into(),
            dataset_config: Some("default".into()),
            dataset_split: Some("test".into()),
            ..EvalResultMetadata::default()
        });
        let yaml = to_yaml_string(&Value::Map(m), "\n");
        assert_eq!(
            yaml,
            "model-index:\n- name: RoBERTa\n  results:\n  - task:\n      type: text-classification\n      name: Text Classification\n    dataset:\n      name: ReactionJPEG\n      type: julien-c/reactionjpeg\n      config: default\n      split: test\n    metrics:\n    - type: accuracy\n      value: 0.25\n      name: Accuracy\n      verified: false\n"
        );
    }
}
