//! Card metadata: [`CardData`], [`ModelCardData`], [`DatasetCardData`], [`SpaceCardData`].
//!
//! Each type has the fields `huggingface_hub` names (public, `Option<Value>`: Python checks no
//! types, and a card must read and write back unchanged) plus `extra`, every other key in its
//! original order. [`CardDataKind::to_dict`] gives the mapping that is written to the card, built
//! as Python builds it: known fields in Python's constructor order, then the extra keys; eval
//! results become a `model-index` (placed last unless the card data already has that key);
//! `train_eval_index` becomes `train-eval-index` (placed last); `None` values are removed.

use crate::error::{Error, Result};
use crate::eval::{EvalResult, eval_results_to_model_index, model_index_to_eval_results};
use crate::value::{Mapping, Value};

/// Options for reading card data from a card's metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Drop an invalid `model-index` (losing its eval results) instead of failing.
    pub ignore_metadata_errors: bool,
    /// Line of the `model-index` key in the card, for errors.
    pub(crate) model_index_line: Option<usize>,
}

impl LoadOptions {
    /// Options that drop an invalid `model-index` (when `yes`) instead of failing.
    pub fn ignoring_metadata_errors(yes: bool) -> Self {
        LoadOptions {
            ignore_metadata_errors: yes,
            model_index_line: None,
        }
    }
}

/// The behaviour shared by the card data types (Python's `CardData` methods).
pub trait CardDataKind:
    Clone + std::fmt::Debug + Default + PartialEq + Send + Sync + 'static
{
    /// The repository type cards of this data live in by default (`model` for [`CardData`]).
    const REPO_TYPE: hub_core::RepoType;

    /// Builds the data from a card's metadata mapping, as `cls(**metadata)` does in Python.
    fn from_mapping(metadata: Mapping, options: LoadOptions) -> Result<Self>;

    /// The attributes in Python's `__dict__` order, with `None` for unset known fields (before
    /// the eval-results and `train-eval-index` conversions).
    fn attributes(&self) -> Mapping;

    /// Turns the ordered attributes into the written mapping (Python's `_to_dict` step).
    fn finish_dict(&self, attributes: Mapping) -> Mapping {
        attributes
    }

    /// The value of a metadata key, as `card_data.get(key)` (the Python attribute names;
    /// `eval_results` is not reachable by key, use the field).
    fn get(&self, key: &str) -> Option<Value> {
        self.attributes().get(key).filter(|v| !v.is_null()).cloned()
    }

    /// Sets a metadata key, as `card_data[key] = value`: a known field by its Python name, any
    /// other key in `extra`.
    fn set(&mut self, key: &str, value: Value);

    /// Removes a metadata key, as `card_data.pop(key)`.
    fn remove(&mut self, key: &str) -> Option<Value> {
        let old = self.get(key);
        self.set(key, Value::Null);
        self.extra_mut().remove(key);
        old
    }

    /// The keys that are not known fields, in order.
    fn extra(&self) -> &Mapping;

    /// Mutable access to the keys that are not known fields.
    fn extra_mut(&mut self) -> &mut Mapping;

    /// The metadata as written to a card (Python's `to_dict()`).
    fn to_dict(&self) -> Mapping {
        self.finish_dict(self.attributes()).without_nulls()
    }

    /// Like [`CardDataKind::to_dict`], with the keys first put in `original_order` (the order
    /// they had in the card that was read), keys not in it after, as `to_yaml(original_order=)`.
    fn to_dict_ordered(&self, original_order: &[String]) -> Mapping {
        let attrs = self.attributes();
        if original_order.is_empty() {
            return self.finish_dict(attrs).without_nulls();
        }
        let mut ordered = Mapping::new();
        for key in original_order {
            if let Some(v) = attrs.get(key) {
                ordered.insert(key.as_str(), v.clone());
            }
        }
        for (k, v) in attrs {
            if ordered.get_value(&k).is_none() {
                ordered.insert(k, v);
            }
        }
        self.finish_dict(ordered).without_nulls()
    }

    /// The metadata as a YAML block (no `---` lines, no trailing line break), as `to_yaml()`.
    fn to_yaml(&self) -> String {
        crate::yaml::to_yaml_string(&Value::Map(self.to_dict()), "\n")
            .trim()
            .to_string()
    }

    /// The default template of cards of this data, if any.
    fn default_template() -> &'static str {
        crate::template::MODEL_CARD_TEMPLATE
    }
}

fn take_string_keys(metadata: Mapping) -> Result<Vec<(String, Value)>> {
    metadata
        .into_iter()
        .map(|(k, v)| match k {
            Value::String(s) => Ok((s, v)),
            other => Err(Error::InvalidArgument(format!(
                "top-level metadata keys must be strings, found the key {}",
                other.key_text()
            ))),
        })
        .collect()
}

/// Python's `_to_unique_list`: iterating a string gives its characters, a mapping its keys.
fn unique_list(tags: Option<Value>) -> Result<Option<Value>> {
    let items: Vec<Value> = match tags {
        None => return Ok(None),
        Some(Value::List(l)) => l,
        Some(Value::String(s)) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        Some(Value::Map(m)) => m.into_iter().map(|(k, _)| k).collect(),
        Some(other) => {
            return Err(Error::InvalidArgument(format!(
                "`tags` should be a list of strings, found {other}"
            )));
        }
    };
    let mut unique: Vec<Value> = Vec::new();
    for t in items {
        if !unique.contains(&t) {
            unique.push(t);
        }
    }
    Ok(Some(Value::List(unique)))
}

macro_rules! card_data {
    (
        $(#[$meta:meta])*
        $name:ident, fields = { $( $(#[$fmeta:meta])* $field:ident ),* $(,)? }
        $(, typed = { $( $(#[$tmeta:meta])* $tfield:ident : $tty:ty ),* $(,)? })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<Value>, )*
            $($( $(#[$tmeta])* pub $tfield: $tty, )*)?
            /// Every other metadata key, in order.
            pub extra: Mapping,
        }

        impl $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn set_known(&mut self, key: &str, value: Option<Value>) -> std::result::Result<(), Option<Value>> {
                match key {
                    $( stringify!($field) => { self.$field = value; Ok(()) } )*
                    _ => Err(value),
                }
            }

            #[allow(dead_code)] // CardData has no known fields.
            fn known_attributes(&self) -> Vec<(&'static str, Value)> {
                vec![$( (stringify!($field), self.$field.clone().unwrap_or(Value::Null)) ),*]
            }

            fn split_known(metadata: Mapping) -> Result<(Self, Mapping)> {
                let mut data = Self::default();
                let mut extra = Mapping::new();
                for (k, v) in take_string_keys(metadata)? {
                    if Self::FIELDS.contains(&k.as_str()) {
                        let _ = data.set_known(&k, Some(v));
                    } else {
                        extra.insert(k, v);
                    }
                }
                Ok((data, extra))
            }
        }
    };
}

card_data!(
    /// Metadata of any card (Python's base `CardData`): only free-form keys. [`crate::RepoCard`]
    /// and Space cards read through `metadata_update` use it.
    CardData, fields = {}
);

impl CardDataKind for CardData {
    const REPO_TYPE: hub_core::RepoType = hub_core::RepoType::Model;

    fn from_mapping(metadata: Mapping, _options: LoadOptions) -> Result<Self> {
        let (mut data, extra) = Self::split_known(metadata)?;
        data.extra = extra;
        Ok(data)
    }

    fn attributes(&self) -> Mapping {
        self.extra.clone()
    }

    fn set(&mut self, key: &str, value: Value) {
        self.extra.insert(key, value);
    }

    fn extra(&self) -> &Mapping {
        &self.extra
    }

    fn extra_mut(&mut self) -> &mut Mapping {
        &mut self.extra
    }
}

impl CardData {
    /// Empty card data.
    pub fn new() -> Self {
        Self::default()
    }
}

card_data!(
    /// Metadata of a model card (Python's `ModelCardData`). Eval results are read from and
    /// written to the `model-index` key.
    ModelCardData, fields = {
        /// Id(s) of the model(s) this one derives from (a string or a list).
        base_model,
        /// Datasets the model was trained on.
        datasets,
        /// Language(s) of the training data (ISO 639 codes).
        language,
        /// Library of the model, e.g. `transformers`, `timm`.
        library_name,
        /// License id, e.g. `apache-2.0`.
        license,
        /// Name of a custom license (with `license_link`).
        license_name,
        /// Link to a custom license (with `license_name`).
        license_link,
        /// Metrics used to evaluate the model.
        metrics,
        /// Name of the model in the `model-index` (required with `eval_results`).
        model_name,
        /// Pipeline tag, e.g. `text-classification`.
        pipeline_tag,
        /// Tags (duplicates are dropped when read).
        tags,
    }, typed = {
        /// Evaluation results, written as the `model-index` (needs `model_name`).
        eval_results: Option<Vec<EvalResult>>,
    }
);

impl ModelCardData {
    /// Empty model card data.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CardDataKind for ModelCardData {
    const REPO_TYPE: hub_core::RepoType = hub_core::RepoType::Model;

    fn from_mapping(metadata: Mapping, options: LoadOptions) -> Result<Self> {
        let (mut data, mut extra) = Self::split_known(metadata)?;
        data.tags = unique_list(data.tags.take())?;
        // Python pops `model-index` whatever happens next: an empty or invalid one is dropped.
        if let Some(model_index) = extra.remove("model-index").filter(Value::is_truthy) {
            match model_index_to_eval_results(&model_index) {
                Ok((name, results)) => {
                    data.model_name = Some(name).filter(|n| !n.is_null());
                    data.eval_results = Some(results);
                }
                Err(_) if options.ignore_metadata_errors => {}
                Err(Error::ModelIndex { message, .. }) => {
                    return Err(Error::ModelIndex {
                        line: options.model_index_line,
                        message,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        data.extra = extra;
        if data.eval_results.as_ref().is_some_and(|r| !r.is_empty()) && data.model_name.is_none() {
            return Err(Error::ModelIndex {
                line: options.model_index_line,
                message: "Passing `eval_results` requires `model_name` to be set".into(),
            });
        }
        Ok(data)
    }

    fn attributes(&self) -> Mapping {
        let mut m = Mapping::new();
        for (k, v) in self.known_attributes() {
            m.insert(k, v);
            if k == "datasets" {
                // Python's attribute order has eval_results here; a placeholder keeps it.
                m.insert(
                    "eval_results",
                    if self.eval_results.is_some() {
                        Value::Bool(true)
                    } else {
                        Value::Null
                    },
                );
            }
        }
        for (k, v) in self.extra.iter() {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    fn finish_dict(&self, mut attributes: Mapping) -> Mapping {
        attributes.remove("eval_results");
        if let Some(results) = &self.eval_results {
            attributes.remove("model_name");
            let name = self.model_name.clone().unwrap_or(Value::Null);
            attributes.insert("model-index", eval_results_to_model_index(&name, results));
        }
        attributes
    }

    fn get(&self, key: &str) -> Option<Value> {
        if key == "eval_results" {
            return None;
        }
        self.attributes().get(key).filter(|v| !v.is_null()).cloned()
    }

    fn set(&mut self, key: &str, value: Value) {
        let value = Some(value).filter(|v| !v.is_null());
        if let Err(value) = self.set_known(key, value) {
            self.extra.insert(key, value.unwrap_or(Value::Null));
        }
    }

    fn extra(&self) -> &Mapping {
        &self.extra
    }

    fn extra_mut(&mut self) -> &mut Mapping {
        &mut self.extra
    }
}

card_data!(
    /// Metadata of a dataset card (Python's `DatasetCardData`).
    DatasetCardData, fields = {
        /// How the annotations were created (`crowdsourced`, `expert-generated`, ...).
        annotations_creators,
        /// How the text was created.
        language_creators,
        /// Language(s) of the data.
        language,
        /// License id(s).
        license,
        /// `monolingual`, `multilingual`, `translation` or `other`.
        multilinguality,
        /// Size bucket, e.g. `10K<n<100K`.
        size_categories,
        /// `original` and/or `extended`.
        source_datasets,
        /// Task categories.
        task_categories,
        /// Task ids.
        task_ids,
        /// Papers with Code id.
        paperswithcode_id,
        /// Human-readable name.
        pretty_name,
        /// Dataset configurations.
        config_names,
        /// Evaluation spec (written as `train-eval-index`).
        train_eval_index,
    }
);

impl DatasetCardData {
    /// Empty dataset card data.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CardDataKind for DatasetCardData {
    const REPO_TYPE: hub_core::RepoType = hub_core::RepoType::Dataset;

    fn from_mapping(metadata: Mapping, _options: LoadOptions) -> Result<Self> {
        let (mut data, mut extra) = Self::split_known(metadata)?;
        if !data.train_eval_index.as_ref().is_some_and(Value::is_truthy) {
            data.train_eval_index = extra.remove("train-eval-index");
        }
        data.extra = extra;
        Ok(data)
    }

    fn attributes(&self) -> Mapping {
        let mut m: Mapping = self
            .known_attributes()
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect();
        for (k, v) in self.extra.iter() {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    fn finish_dict(&self, mut attributes: Mapping) -> Mapping {
        let tei = attributes.remove("train_eval_index").unwrap_or(Value::Null);
        attributes.insert("train-eval-index", tei);
        attributes
    }

    fn set(&mut self, key: &str, value: Value) {
        let value = Some(value).filter(|v| !v.is_null());
        if let Err(value) = self.set_known(key, value) {
            self.extra.insert(key, value.unwrap_or(Value::Null));
        }
    }

    fn extra(&self) -> &Mapping {
        &self.extra
    }

    fn extra_mut(&mut self) -> &mut Mapping {
        &mut self.extra
    }

    fn default_template() -> &'static str {
        crate::template::DATASET_CARD_TEMPLATE
    }
}

card_data!(
    /// Metadata of a Space card (Python's `SpaceCardData`); see the Hub's Spaces configuration
    /// reference for the keys.
    SpaceCardData, fields = {
        /// Title of the Space.
        title,
        /// `gradio`, `streamlit`, `docker` or `static`.
        sdk,
        /// Version of the SDK.
        sdk_version,
        /// Python version.
        python_version,
        /// Main application file.
        app_file,
        /// Port of a docker Space.
        app_port,
        /// License id.
        license,
        /// Space this one was duplicated from.
        duplicated_from,
        /// Related models.
        models,
        /// Related datasets.
        datasets,
        /// Tags (duplicates are dropped when read).
        tags,
    }
);

impl SpaceCardData {
    /// Empty Space card data.
    pub fn new() -> Self {
        Self::default()
    }
}

impl CardDataKind for SpaceCardData {
    const REPO_TYPE: hub_core::RepoType = hub_core::RepoType::Space;

    fn from_mapping(metadata: Mapping, _options: LoadOptions) -> Result<Self> {
        let (mut data, extra) = Self::split_known(metadata)?;
        data.tags = unique_list(data.tags.take())?;
        data.extra = extra;
        Ok(data)
    }

    fn attributes(&self) -> Mapping {
        let mut m: Mapping = self
            .known_attributes()
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect();
        for (k, v) in self.extra.iter() {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    fn set(&mut self, key: &str, value: Value) {
        let value = Some(value).filter(|v| !v.is_null());
        if let Err(value) = self.set_known(key, value) {
            self.extra.insert(key, value.unwrap_or(Value::Null));
        }
    }

    fn extra(&self) -> &Mapping {
        &self.extra
    }

    fn extra_mut(&mut self) -> &mut Mapping {
        &mut self.extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_data_writes_model_index_last_and_drops_nones() {
        let mut d = ModelCardData::new();
        d.language = Some("en".into());
        d.model_name = Some("m".into());
        d.eval_results = Some(vec![EvalResult::new("t", "d", "D", "acc", 1)]);
        d.extra.insert("zzz", 1);
        let m = d.to_dict();
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["language", "zzz", "model-index"]
        );
    }

    #[test]
    fn model_name_without_eval_results_is_written() {
        let mut d = ModelCardData::new();
        d.model_name = Some("m".into());
        assert_eq!(d.to_dict().keys().collect::<Vec<_>>(), ["model_name"]);
    }

    #[test]
    fn tags_are_deduplicated_on_read() {
        let mut m = Mapping::new();
        m.insert("tags", vec!["a", "b", "a"]);
        let d = ModelCardData::from_mapping(m, LoadOptions::default()).unwrap();
        assert_eq!(d.tags, Some(Value::from(vec!["a", "b"])));
    }

    #[test]
    fn dataset_train_eval_index_moves_last() {
        let mut m = Mapping::new();
        m.insert("train-eval-index", vec![1]);
        m.insert("license", "mit");
        let d = DatasetCardData::from_mapping(m, LoadOptions::default()).unwrap();
        assert_eq!(
            d.to_dict_ordered(&["train-eval-index".into(), "license".into()])
                .keys()
                .collect::<Vec<_>>(),
            ["license", "train-eval-index"]
        );
    }
}
