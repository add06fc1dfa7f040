//! Cards from Jinja templates ([`Card::from_template`]), rendered with minijinja the way
//! `huggingface_hub` renders them with Jinja2.
//!
//! The template sees `card_data` (the metadata as YAML) and every metadata key and template
//! variable (variables win). Values print as Python's `str()` prints them (`True`, `None`,
//! `['en', 'fr']`), so the same template and inputs give the same text as Python's
//! `ModelCard.from_template`. The rendered text is then parsed as a card, like in Python, so
//! comments inside the template's front matter do not survive.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as JValue, ValueKind};

use crate::card::Card;
use crate::data::CardDataKind;
use crate::emit_python::python_str;
use crate::error::{Error, Result};
use crate::value::{Mapping, Value};

/// The default model card template (sections and variables of `huggingface_hub`'s default
/// template; see `templates/modelcard.md` in this crate for the variable names).
pub const MODEL_CARD_TEMPLATE: &str = include_str!("../templates/modelcard.md");

/// The default dataset card template (see `templates/datasetcard.md`).
pub const DATASET_CARD_TEMPLATE: &str = include_str!("../templates/datasetcard.md");

fn to_jinja(v: &Value) -> JValue {
    match v {
        Value::Null => JValue::from(()),
        Value::Bool(b) => JValue::from(*b),
        Value::Int(i) => JValue::from(*i),
        Value::Float(f) => JValue::from(*f),
        Value::String(s) | Value::Timestamp(s) => JValue::from(s.as_str()),
        Value::List(l) => JValue::from(l.iter().map(to_jinja).collect::<Vec<_>>()),
        Value::Map(m) => JValue::from_object(OrderedMap(
            m.iter().map(|(k, v)| (to_jinja(k), to_jinja(v))).collect(),
        )),
    }
}

/// A mapping for templates that iterates (and prints) in the card's key order, as Python's
/// `dict` does; minijinja's own maps are sorted.
#[derive(Debug)]
struct OrderedMap(Vec<(JValue, JValue)>);

impl Object for OrderedMap {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.iter().map(|(k, _)| k.clone()).collect())
    }
}

/// Converts a minijinja value back for printing (the inverse of [`to_jinja`] where it matters).
fn from_jinja(v: &JValue) -> Value {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => Value::Null,
        ValueKind::Bool => Value::Bool(v.is_true()),
        ValueKind::Number => match i64::try_from(v.clone()) {
            Ok(i) if !v.to_string().contains(['.', 'e', 'E', 'n', 'i']) => Value::Int(i),
            _ => Value::Float(f64::try_from(v.clone()).unwrap_or(f64::NAN)),
        },
        ValueKind::String => Value::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Seq | ValueKind::Iterable => Value::List(
            v.try_iter()
                .map(|it| it.map(|x| from_jinja(&x)).collect())
                .unwrap_or_default(),
        ),
        ValueKind::Map => {
            let mut m = Mapping::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    let val = v.get_item(&k).unwrap_or_default();
                    m.insert(from_jinja(&k), from_jinja(&val));
                }
            }
            Value::Map(m)
        }
        _ => Value::String(v.to_string()),
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_formatter(|out, _state, value| {
        let text = match value.kind() {
            ValueKind::Undefined => String::new(),
            ValueKind::String => value.as_str().unwrap_or_default().to_string(),
            _ => python_str(&from_jinja(value)),
        };
        out.write_str(&text).map_err(minijinja::Error::from)
    });
    env
}

/// Renders `template` with the variables of `data` and `vars`, as Python's `from_template`
/// does before parsing the result: `card_data` is the metadata as YAML, then every key of the
/// metadata, then `vars` (which win).
pub fn render_template(
    template: &str,
    data_yaml: &str,
    data: &Mapping,
    vars: &Mapping,
) -> Result<String> {
    let mut ctx: BTreeMap<String, JValue> = BTreeMap::new();
    ctx.insert("card_data".into(), JValue::from(data_yaml));
    for (k, v) in data.iter().chain(vars.iter()) {
        ctx.insert(k.key_text(), to_jinja(v));
    }
    let env = environment();
    let tmpl = env.template_from_str(template)?;
    Ok(tmpl.render(JValue::from(ctx))?)
}

/// Builder of [`Card::from_template`]; finish with [`FromTemplate::render`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.render()` is called"]
pub struct FromTemplate<D: CardDataKind> {
    data: D,
    template: Option<String>,
    template_path: Option<PathBuf>,
    vars: Mapping,
}

impl<D: CardDataKind> FromTemplate<D> {
    /// Uses this template text instead of the default one.
    pub fn template_str(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Reads the template from this file (used when no template text is given).
    pub fn template_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.template_path = Some(path.into());
        self
    }

    /// Sets a template variable (Python's `**template_kwargs`); it wins over a metadata key of
    /// the same name.
    pub fn var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.vars.insert(name, value);
        self
    }

    /// Renders the template and parses the result as a card.
    pub fn render(self) -> Result<Card<D>> {
        let template = match (self.template, self.template_path) {
            (Some(t), _) => t,
            (None, Some(p)) => std::fs::read_to_string(&p).map_err(|source| Error::Io {
                action: "reading",
                path: p,
                source,
            })?,
            (None, None) => D::default_template().to_string(),
        };
        let content = render_template(
            &template,
            &self.data.to_yaml(),
            &self.data.to_dict(),
            &self.vars,
        )?;
        Card::parse(&content)
    }
}

impl<D: CardDataKind> Card<D> {
    /// Starts a card from a template (by default the model card template, or the dataset card
    /// template for [`crate::DatasetCard`]), filled with `data` and the variables set on the
    /// builder.
    pub fn from_template(data: D) -> FromTemplate<D> {
        FromTemplate {
            data,
            template: None,
            template_path: None,
            vars: Mapping::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ModelCard, ModelCardData};

    #[test]
    fn values_print_like_python() {
        let mut vars = Mapping::new();
        vars.insert(
            "l",
            vec![
                Value::from("en"),
                Value::from(1),
                Value::Bool(true),
                Value::Null,
            ],
        );
        vars.insert("f", 2.0);
        vars.insert("n", Value::Null);
        let mut d = Mapping::new();
        d.insert("b", "it's");
        d.insert("a", 1);
        vars.insert("d", d);
        let out = render_template(
            "{{ l }}|{{ f }}|{{ n }}|{{ u }}|{{ n | default('d', true) }}|{{ d }}\n",
            "",
            &Mapping::new(),
            &vars,
        )
        .unwrap();
        assert_eq!(
            out,
            "['en', 1, True, None]|2.0|None||d|{'b': \"it's\", 'a': 1}"
        );
    }

    #[test]
    fn default_template_renders_a_card() {
        let mut data = ModelCardData::new();
        data.language = Some("en".into());
        let card = ModelCard::from_template(data)
            .var("model_id", "my-model")
            .render()
            .unwrap();
        assert!(card.content().starts_with("---\nlanguage: en\n---\n"));
        assert!(card.text.contains("# Model Card for my-model"));
        assert!(card.text.contains("**Language(s) (NLP):** en"));
    }
}
