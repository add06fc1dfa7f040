//! [`Value`]: the YAML data of a card, as PyYAML's `safe_load` gives it to Python.
//!
//! The value model mirrors the Python objects a card's front matter becomes (`dict`, `list`,
//! `str`, `int`, `float`, `bool`, `None`, `datetime.date`/`datetime.datetime`), so the same text
//! reads to the same data on both sides and is written back the same way. Mappings keep their
//! key order ([`Mapping`] is a list of pairs: cards are small and order is what matters).

use std::fmt;

/// One YAML node of card metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`, `~` or an empty value (Python `None`).
    #[default]
    Null,
    /// `true`/`false`, and YAML 1.1's `yes`/`no`/`on`/`off` (Python `bool`).
    Bool(bool),
    /// An integer (Python `int`), including YAML 1.1's `0x..`, `0o..`/`0..`, `0b..` and `1:30`.
    Int(i64),
    /// A float (Python `float`), including `.inf`, `-.inf` and `.nan`.
    Float(f64),
    /// A string (Python `str`).
    String(String),
    /// A YAML timestamp (Python `datetime.date` or `datetime.datetime`), kept as the text Python's
    /// `isoformat` gives (`2023-01-31`, `2023-01-31 10:00:00+00:00`), which is also how it is
    /// written back.
    Timestamp(String),
    /// A sequence (Python `list`).
    List(Vec<Value>),
    /// A mapping (Python `dict`), in key order.
    Map(Mapping),
}

impl Value {
    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is a [`Value::List`].
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The mapping, if this is a [`Value::Map`].
    pub fn as_map(&self) -> Option<&Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mutable mapping, if this is a [`Value::Map`].
    pub fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Python's truthiness (`bool(x)`): empty strings, lists and maps, zero and `None` are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Timestamp(_) => true,
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// Python's `==` between the objects two values stand for: numbers compare by value across
    /// `bool`, `int` and `float` (`1 == 1.0 == True`), lists and dicts item by item (dicts
    /// ignoring order). `metadata_update` decides conflicts with it, as Python does.
    pub fn python_eq(&self, other: &Value) -> bool {
        fn number(v: &Value) -> Option<f64> {
            match v {
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                // Exact for the integers cards hold; huge ones compare as floats, as Python
                // does when one side is a float.
                #[allow(clippy::cast_precision_loss)]
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            }
        }
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.python_eq(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k.python_eq(k2) && v.python_eq(v2)))
            }
            (a, b) => match (number(a), number(b)) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            },
        }
    }

    /// A copy without `None` anywhere: null list items and null-valued (or null-keyed) map
    /// entries are dropped at every depth, as `huggingface_hub`'s `_remove_none` does before a
    /// card is written.
    pub fn without_nulls(&self) -> Value {
        match self {
            Value::List(l) => Value::List(
                l.iter()
                    .filter(|v| !v.is_null())
                    .map(Value::without_nulls)
                    .collect(),
            ),
            Value::Map(m) => Value::Map(m.without_nulls()),
            other => other.clone(),
        }
    }

    /// The value as JSON. Non-string keys become their text (as Python's `json.dumps` does),
    /// timestamps their ISO text, and non-finite floats `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) | Value::Timestamp(s) => serde_json::Value::String(s.clone()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter().map(|(k, v)| (k.key_text(), v.to_json())).collect(),
            ),
        }
    }

    /// Converts JSON to a value (object key order is kept when `serde_json` keeps it).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (Value::String(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The text a key takes in JSON and in error messages.
    pub(crate) fn key_text(&self) -> String {
        match self {
            Value::String(s) | Value::Timestamp(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => crate::yaml::python_float_repr(*f),
            other => crate::yaml::to_yaml_string(other, "\n").trim().to_string(),
        }
    }
}

impl fmt::Display for Value {
    /// Shows the value as the YAML PyYAML would write for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::yaml::to_yaml_string(self, "\n").trim_end())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<Mapping> for Value {
    fn from(m: Mapping) -> Self {
        Value::Map(m)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// An insertion-ordered mapping with Python `dict` semantics: setting an existing key replaces
/// its value in place, a new key goes last.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    entries: Vec<(Value, Value)>,
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under the string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The mutable value under the string key `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value under any key.
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether the string key `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`: in place when the key exists, last otherwise.
    pub fn insert(&mut self, key: impl Into<Value>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Removes the string key `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_str() == Some(key))?;
        Some(self.entries.remove(i).1)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The string keys in order (non-string keys are skipped).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|(k, _)| k.as_str())
    }

    /// A copy with `None` removed at every depth (see [`Value::without_nulls`]).
    pub fn without_nulls(&self) -> Mapping {
        self.entries
            .iter()
            .filter(|(k, v)| !k.is_null() && !v.is_null())
            .map(|(k, v)| (k.without_nulls(), v.without_nulls()))
            .collect()
    }

    /// The mapping as a JSON object (see [`Value::to_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        Value::Map(self.clone()).to_json()
    }
}

impl FromIterator<(Value, Value)> for Mapping {
    fn from_iter<I: IntoIterator<Item = (Value, Value)>>(iter: I) -> Self {
        let mut m = Mapping::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl IntoIterator for Mapping {
    type Item = (Value, Value);
    type IntoIter = std::vec::IntoIter<(Value, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_the_position_of_an_existing_key() {
        let mut m = Mapping::new();
        m.insert("a", 1);
        m.insert("b", 2);
        m.insert("a", 3);
        let keys: Vec<_> = m.keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.get("a"), Some(&Value::Int(3)));
    }

    #[test]
    fn python_equality() {
        assert!(Value::Int(1).python_eq(&Value::Float(1.0)));
        assert!(Value::Bool(true).python_eq(&Value::Int(1)));
        assert!(!Value::from("1").python_eq(&Value::Int(1)));
        let mut a = Mapping::new();
        a.insert("x", 1);
        a.insert("y", 2.0);
        let mut b = Mapping::new();
        b.insert("y", 2);
        b.insert("x", 1.0);
        assert!(Value::Map(a).python_eq(&Value::Map(b)));
    }

    #[test]
    fn without_nulls_is_recursive() {
        let mut inner = Mapping::new();
        inner.insert("x", Value::Null);
        inner.insert("y", vec![Value::Null, Value::from("k")]);
        let mut m = Mapping::new();
        m.insert("inner", inner);
        m.insert("gone", Value::Null);
        let clean = m.without_nulls();
        assert_eq!(clean.len(), 1);
        let inner = clean.get("inner").and_then(Value::as_map).unwrap();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner.get("y"), Some(&Value::from(vec!["k"])));
    }
}
