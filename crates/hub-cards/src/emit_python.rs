//! Python's `str()` and `repr()` of card values, for template output.

use crate::value::Value;
use crate::yaml::python_float_repr;

/// `repr(str)`: single quotes unless the text has a single quote and no double quote.
fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if ((c as u32) >= 0x80 && (c as u32) < 0xa0) || c as u32 == 0xad => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of the object a value stands for.
pub(crate) fn python_repr(v: &Value) -> String {
    match v {
        Value::String(s) => repr_str(s),
        Value::Timestamp(s) => repr_str(s),
        other => python_str(other),
    }
}

/// Python's `str()` of the object a value stands for.
pub(crate) fn python_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => python_float_repr(*f),
        Value::String(s) | Value::Timestamp(s) => s.clone(),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", python_repr(k), python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
