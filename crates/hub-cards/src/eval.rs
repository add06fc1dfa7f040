//! Evaluation results: [`EvalResult`] and the `model-index` metadata they are written as.
//!
//! A `model-index` nests results as model → results (one per task + dataset) → metrics;
//! [`EvalResult`] is one metric, flattened. [`model_index_to_eval_results`] and
//! [`eval_results_to_model_index`] convert both ways with `huggingface_hub`'s exact rules:
//! results are grouped by (task type, dataset type, config, split, revision) in first-seen
//! order, `None` fields are dropped, `source` is written only with a URL, and `verifyToken` is
//! the key of [`EvalResult::verify_token`].
//!
//! The fields are [`Value`]s, not `String`s: card metadata in the wild carries numbers where
//! names are expected (a config `2020`, a numeric revision), and Python keeps them as they are.

use crate::error::{Error, Result};
use crate::value::{Mapping, Value};

/// One evaluation metric of a model, as found in the `model-index` of a model card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalResult {
    /// Task identifier, e.g. `image-classification` (required).
    pub task_type: Value,
    /// Dataset identifier, e.g. `common_voice` (required).
    pub dataset_type: Value,
    /// Pretty name of the dataset, e.g. `Common Voice (French)` (required).
    pub dataset_name: Value,
    /// Metric identifier, e.g. `wer` (required).
    pub metric_type: Value,
    /// The metric value, e.g. `0.9` or `"20.0 ± 1.2"` (required).
    pub metric_value: Value,
    /// Pretty name of the task.
    pub task_name: Option<Value>,
    /// Dataset configuration used with `load_dataset()`.
    pub dataset_config: Option<Value>,
    /// Dataset split, e.g. `test`.
    pub dataset_split: Option<Value>,
    /// Dataset revision (git sha).
    pub dataset_revision: Option<Value>,
    /// Arguments passed to `Metric.compute()` for the dataset.
    pub dataset_args: Option<Value>,
    /// Pretty name of the metric, e.g. `Test WER`.
    pub metric_name: Option<Value>,
    /// Metric configuration used with `load_metric()`.
    pub metric_config: Option<Value>,
    /// Arguments passed to `Metric.compute()`.
    pub metric_args: Option<Value>,
    /// Whether the Hub's evaluation service computed the metric (set by the Hub).
    pub verified: Option<Value>,
    /// The token proving `verified` (written as `verifyToken`).
    pub verify_token: Option<Value>,
    /// Name of the source of the result, e.g. `Open LLM Leaderboard` (needs `source_url`).
    pub source_name: Option<Value>,
    /// URL of the source of the result.
    pub source_url: Option<Value>,
}

impl EvalResult {
    /// A result with the five required fields.
    pub fn new(
        task_type: impl Into<Value>,
        dataset_type: impl Into<Value>,
        dataset_name: impl Into<Value>,
        metric_type: impl Into<Value>,
        metric_value: impl Into<Value>,
    ) -> Self {
        EvalResult {
            task_type: task_type.into(),
            dataset_type: dataset_type.into(),
            dataset_name: dataset_name.into(),
            metric_type: metric_type.into(),
            metric_value: metric_value.into(),
            ..EvalResult::default()
        }
    }

    /// Checks the rule Python enforces on construction: a `source_name` needs a `source_url`.
    pub fn check(&self) -> Result<()> {
        if self.source_name.is_some() && self.source_url.is_none() {
            return Err(Error::InvalidArgument(
                "If `source_name` is provided, `source_url` must also be provided.".into(),
            ));
        }
        Ok(())
    }

    /// The key results are grouped by: task type and dataset type, config, split, revision.
    pub fn unique_identifier(&self) -> [Option<&Value>; 5] {
        [
            Some(&self.task_type),
            Some(&self.dataset_type),
            self.dataset_config.as_ref(),
            self.dataset_split.as_ref(),
            self.dataset_revision.as_ref(),
        ]
    }

    /// The fields in Python's declaration order.
    fn fields(&self) -> [Option<&Value>; 17] {
        [
            Some(&self.task_type),
            Some(&self.dataset_type),
            Some(&self.dataset_name),
            Some(&self.metric_type),
            Some(&self.metric_value),
            self.task_name.as_ref(),
            self.dataset_config.as_ref(),
            self.dataset_split.as_ref(),
            self.dataset_revision.as_ref(),
            self.dataset_args.as_ref(),
            self.metric_name.as_ref(),
            self.metric_config.as_ref(),
            self.metric_args.as_ref(),
            self.verified.as_ref(),
            self.verify_token.as_ref(),
            self.source_name.as_ref(),
            self.source_url.as_ref(),
        ]
    }

    /// Python's `==` between two results (the dataclass compares every field with `==`, so
    /// `1 == 1.0`; see [`Value::python_eq`]).
    pub fn python_eq(&self, other: &EvalResult) -> bool {
        self.python_eq_skipping(other, &[])
    }

    fn python_eq_skipping(&self, other: &EvalResult, skip: &[usize]) -> bool {
        self.fields()
            .iter()
            .zip(other.fields())
            .enumerate()
            .filter(|(i, _)| !skip.contains(i))
            .all(|(_, (a, b))| match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.python_eq(b),
                _ => false,
            })
    }

    /// Whether `other` describes the same metric (every field equal except `metric_value` and
    /// `verify_token`, which the evaluation service derives from the value).
    pub fn is_equal_except_value(&self, other: &EvalResult) -> bool {
        // Indexes of metric_value and verify_token in `fields`.
        self.python_eq_skipping(other, &[4, 14])
    }
}

fn opt(v: Option<&Value>) -> Option<Value> {
    // `dict.get` gives None for a missing key and for an explicit null alike.
    v.filter(|v| !v.is_null()).cloned()
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "str",
        Value::Timestamp(_) => "date",
        Value::List(_) => "list",
        Value::Map(_) => "dict",
    }
}

fn shape(message: String) -> Error {
    Error::ModelIndex {
        line: None,
        message,
    }
}

fn as_map<'a>(v: &'a Value, what: &str) -> Result<&'a Mapping> {
    v.as_map().ok_or_else(|| {
        shape(format!(
            "`{what}` should be a mapping, found a {}",
            describe(v)
        ))
    })
}

fn as_list<'a>(v: &'a Value, what: &str) -> Result<&'a [Value]> {
    v.as_list().ok_or_else(|| {
        shape(format!(
            "`{what}` should be a list, found a {}",
            describe(v)
        ))
    })
}

fn required<'a>(m: &'a Mapping, key: &str, what: &str) -> Result<&'a Value> {
    m.get(key)
        .ok_or_else(|| shape(format!("`{what}` has no `{key}`")))
}

/// Reads a `model-index` (a list of `{name, results}`) into the model name and its eval
/// results, as Python's `model_index_to_eval_results`: every entry's results are read, and the
/// name returned is that of the *last* entry.
///
/// Errors with [`Error::ModelIndex`] when a required key (`name`, `results`, `task.type`,
/// `dataset.type`, `dataset.name`, `metrics[].type`, `metrics[].value`) is missing or a part has
/// the wrong shape. The error's line is `None`: cards fill it in from the text.
pub fn model_index_to_eval_results(model_index: &Value) -> Result<(Value, Vec<EvalResult>)> {
    let mut results = Vec::new();
    let mut name = Value::Null;
    for elem in as_list(model_index, "model-index")? {
        let elem = as_map(elem, "model-index[]")?;
        name = required(elem, "name", "model-index[]")?.clone();
        for result in as_list(required(elem, "results", "model-index[]")?, "results")? {
            let result = as_map(result, "results[]")?;
            let task = as_map(required(result, "task", "results[]")?, "task")?;
            let dataset = as_map(required(result, "dataset", "results[]")?, "dataset")?;
            let source = match result.get("source") {
                None => None,
                Some(s) => Some(as_map(s, "source")?),
            };
            let base = EvalResult {
                task_type: required(task, "type", "task")?.clone(),
                task_name: opt(task.get("name")),
                dataset_type: required(dataset, "type", "dataset")?.clone(),
                dataset_name: required(dataset, "name", "dataset")?.clone(),
                dataset_config: opt(dataset.get("config")),
                dataset_split: opt(dataset.get("split")),
                dataset_revision: opt(dataset.get("revision")),
                dataset_args: opt(dataset.get("args")),
                source_name: opt(source.and_then(|s| s.get("name"))),
                source_url: opt(source.and_then(|s| s.get("url"))),
                ..EvalResult::default()
            };
            for metric in as_list(required(result, "metrics", "results[]")?, "metrics")? {
                let metric = as_map(metric, "metrics[]")?;
                let r = EvalResult {
                    metric_type: required(metric, "type", "metrics[]")?.clone(),
                    metric_value: required(metric, "value", "metrics[]")?.clone(),
                    metric_name: opt(metric.get("name")),
                    metric_args: opt(metric.get("args")),
                    metric_config: opt(metric.get("config")),
                    verified: opt(metric.get("verified")),
                    verify_token: opt(metric.get("verifyToken")),
                    ..base.clone()
                };
                r.check()
                    .map_err(|e| shape(e.to_string().replace("invalid argument: ", "")))?;
                results.push(r);
            }
        }
    }
    Ok((name, results))
}

fn entries(pairs: &[(&str, Option<&Value>)]) -> Value {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(*k, v.cloned().unwrap_or(Value::Null));
    }
    Value::Map(m)
}

/// Writes eval results as a `model-index`, as Python's `eval_results_to_model_index`: one
/// entry named `model_name`, results grouped by [`EvalResult::unique_identifier`] in first-seen
/// order (each group takes its task, dataset and source from its first result), `None` values
/// removed everywhere.
pub fn eval_results_to_model_index(model_name: &Value, eval_results: &[EvalResult]) -> Value {
    let mut groups: Vec<Vec<&EvalResult>> = Vec::new();
    for r in eval_results {
        match groups
            .iter_mut()
            .find(|g| g[0].unique_identifier() == r.unique_identifier())
        {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    let mut results = Vec::new();
    for group in groups {
        let s = group[0];
        let mut data = Mapping::new();
        data.insert(
            "task",
            entries(&[("type", Some(&s.task_type)), ("name", s.task_name.as_ref())]),
        );
        data.insert(
            "dataset",
            entries(&[
                ("name", Some(&s.dataset_name)),
                ("type", Some(&s.dataset_type)),
                ("config", s.dataset_config.as_ref()),
                ("split", s.dataset_split.as_ref()),
                ("revision", s.dataset_revision.as_ref()),
                ("args", s.dataset_args.as_ref()),
            ]),
        );
        let metrics: Vec<Value> = group
            .iter()
            .map(|r| {
                entries(&[
                    ("type", Some(&r.metric_type)),
                    ("value", Some(&r.metric_value)),
                    ("name", r.metric_name.as_ref()),
                    ("config", r.metric_config.as_ref()),
                    ("args", r.metric_args.as_ref()),
                    ("verified", r.verified.as_ref()),
                    ("verifyToken", r.verify_token.as_ref()),
                ])
            })
            .collect();
        data.insert("metrics", Value::List(metrics));
        if let Some(url) = &s.source_url {
            let mut source = Mapping::new();
            source.insert("url", url.clone());
            if let Some(name) = &s.source_name {
                source.insert("name", name.clone());
            }
            data.insert("source", source);
        }
        results.push(Value::Map(data));
    }
    let mut entry = Mapping::new();
    entry.insert("name", model_name.clone());
    entry.insert("results", Value::List(results));
    Value::List(vec![Value::Map(entry)]).without_nulls()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_yaml;

    #[test]
    fn round_trip_groups_by_task_and_dataset() {
        let mut a = EvalResult::new("text-classification", "imdb", "IMDb", "accuracy", 0.9);
        a.dataset_split = Some("test".into());
        let mut b = a.clone();
        b.metric_type = "f1".into();
        b.metric_value = 0.8.into();
        let mut c = EvalResult::new("text-classification", "sst2", "SST-2", "accuracy", 0.7);
        c.source_url = Some("https://example.com".into());
        c.source_name = Some("Leaderboard".into());
        let mi = eval_results_to_model_index(&"m".into(), &[a.clone(), b.clone(), c.clone()]);
        let results = mi.as_list().unwrap()[0]
            .as_map()
            .unwrap()
            .get("results")
            .unwrap();
        assert_eq!(results.as_list().unwrap().len(), 2);
        let (name, back) = model_index_to_eval_results(&mi).unwrap();
        assert_eq!(name, Value::from("m"));
        assert_eq!(back, vec![a, b, c]);
    }

    #[test]
    fn shape_errors() {
        let bad = parse_yaml("- name: m\n  results:\n  - task: {type: t}\n    metrics: []\n")
            .unwrap()
            .value
            .unwrap();
        let e = model_index_to_eval_results(&bad).unwrap_err();
        assert!(e.to_string().contains("dataset"), "{e}");
        let not_list = Value::from("x");
        assert!(model_index_to_eval_results(&not_list).is_err());
    }
}
