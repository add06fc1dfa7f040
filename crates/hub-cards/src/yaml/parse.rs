//! YAML text → [`Value`], typed as PyYAML's `yaml.safe_load` types it.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Tag};

use super::resolve;
use crate::error::Error;
use crate::value::{Mapping, Value};

/// The result of [`parse_yaml`]: the document (None when the text holds no document, as
/// `safe_load` returns `None`), and the line of each top-level key (for errors about a key).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedYaml {
    /// The document's value.
    pub value: Option<Value>,
    /// 1-based line (in the parsed text) of each top-level mapping key, in order.
    pub key_lines: Vec<(String, usize)>,
    /// 1-based line where the document's root node starts.
    pub root_line: usize,
}

impl ParsedYaml {
    /// The line of the top-level key `key`, if it was seen.
    pub fn key_line(&self, key: &str) -> Option<usize> {
        self.key_lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| *l)
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Mapping,
        key: Option<Value>,
        anchor: usize,
        /// The key just read is the merge key `<<`: its value is merged, not stored.
        merge_next: bool,
        /// Entries brought in by merge keys, in PyYAML's order.
        merged: Vec<(Value, Value)>,
    },
}

/// A placeholder key standing for `<<` until its value arrives.
fn merge_key() -> Value {
    Value::String("<<".into())
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    key_lines: Vec<(String, usize)>,
}

impl Builder {
    fn push(
        &mut self,
        value: Value,
        anchor: usize,
        line: usize,
        column: usize,
    ) -> Result<(), Error> {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        let depth = self.stack.len();
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map,
                key,
                merge_next,
                merged,
                ..
            }) => match key.take() {
                Some(_) if *merge_next => {
                    *merge_next = false;
                    // PyYAML 6.0.4's flatten_mapping: the mappings are merged in order; a pair
                    // is skipped when a pair with the *same key object* was merged before. For
                    // keys read from the text that only happens with CPython's shared
                    // one-character strings, so a one-character key keeps its first value and
                    // any other key its last one (at its first position).
                    let bad = || Error::Yaml {
                        line,
                        column,
                        message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
                    };
                    let maps = match value {
                        Value::Map(m) => vec![m],
                        Value::List(items) => {
                            let mut maps = Vec::new();
                            for item in items {
                                match item {
                                    Value::Map(m) => maps.push(m),
                                    _ => return Err(bad()),
                                }
                            }
                            maps
                        }
                        _ => return Err(bad()),
                    };
                    for (k, v) in maps.into_iter().flatten() {
                        let shared = k.key_text().chars().count() <= 1;
                        if !(shared && merged.iter().any(|(mk, _)| *mk == k)) {
                            merged.push((k, v));
                        }
                    }
                }
                None => {
                    if matches!(value, Value::List(_) | Value::Map(_)) {
                        return Err(Error::Yaml {
                            line,
                            column,
                            message: "a list or mapping cannot be a mapping key".into(),
                        });
                    }
                    if depth == 1 {
                        self.key_lines.push((value.key_text(), line));
                    }
                    *key = Some(value);
                }
                Some(k) => map.insert(k, value),
            },
        }
        Ok(())
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let Some(tag) = tag else {
        return if style == ScalarStyle::Plain {
            resolve::construct_plain(&text)
        } else {
            Ok(Value::String(text.into_owned()))
        };
    };
    let bad = |what: &str| format!("{text:?} is not a valid {what}");
    match (tag.handle(), tag.suffix()) {
        ("tag:yaml.org,2002:", "str") | ("!", "") => Ok(Value::String(text.into_owned())),
        ("tag:yaml.org,2002:", "null") => Ok(Value::Null),
        ("tag:yaml.org,2002:", "bool") => resolve::construct_bool(&text)
            .map(Value::Bool)
            .ok_or_else(|| bad("bool")),
        ("tag:yaml.org,2002:", "int") => resolve::construct_int(&text)
            .map(Value::Int)
            .ok_or_else(|| bad("64-bit int")),
        ("tag:yaml.org,2002:", "float") => resolve::construct_float(&text)
            .map(Value::Float)
            .ok_or_else(|| bad("float")),
        ("tag:yaml.org,2002:", "timestamp") => resolve::construct_timestamp(&text)
            .map(Value::Timestamp)
            .ok_or_else(|| bad("timestamp")),
        (handle, suffix) => Err(format!(
            "the tag {handle}{suffix} is not supported in card metadata (only plain YAML types are)"
        )),
    }
}

fn collection_tag_ok(tag: Option<&Tag>, expected: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle() == "tag:yaml.org,2002:" && t.suffix() == expected => Ok(()),
        Some(t) if t.handle() == "!" && t.suffix().is_empty() => Ok(()),
        Some(t) => Err(format!(
            "the tag {}{} is not supported in card metadata (only plain YAML types are)",
            t.handle(),
            t.suffix()
        )),
    }
}

/// PyYAML's scanner only skips spaces between tokens, so a tab outside a quoted or block
/// scalar or a comment (`key:\tvalue`, `[a,\tb]`, a plain `a\tb`, a trailing tab) is an error
/// there, while YAML 1.2 parsers accept it. The same text must fail on both sides.
fn check_tabs(text: &str, tab_ok: &[std::ops::Range<usize>]) -> Result<(), Error> {
    let inside = |i: usize| tab_ok.iter().any(|r| r.contains(&i));
    let mut line_start = 0;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let mut comment = false;
        let mut prev_ws = true;
        for (off, ch) in line.char_indices() {
            let i = line_start + off;
            if ch == '#' && prev_ws && !inside(i) {
                comment = true;
            }
            if comment {
                break;
            }
            if ch == '\t' && !inside(i) {
                return Err(Error::Yaml {
                    line: line_no + 1,
                    column: line[..off].chars().count() + 1,
                    message: "found character '\\t' that cannot start any token (PyYAML accepts tabs only inside quoted or block scalars and comments)".into(),
                });
            }
            prev_ws = ch == ' ' || ch == '\t';
        }
        line_start += line.len();
    }
    Ok(())
}

/// Parses one YAML document into a [`Value`] with PyYAML's YAML 1.1 typing (`safe_load`).
///
/// Errors name the 1-based line and column in `text`.
pub fn parse_yaml(text: &str) -> Result<ParsedYaml, Error> {
    let source = text;
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        key_lines: Vec::new(),
    };
    let mut documents = 0usize;
    let mut root_line = 1;
    // Byte ranges of quoted and block scalars, where PyYAML accepts tabs.
    let mut tab_ok: Vec<std::ops::Range<usize>> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| Error::Yaml {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info(),
        })?;
        let (line, column) = (span.start.line(), span.start.col() + 1);
        let at = |message: String| Error::Yaml {
            line,
            column,
            message,
        };
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(at(
                        "expected a single YAML document, found a second one".into()
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if b.stack.is_empty() {
                    root_line = line;
                }
                let plain_key = style == ScalarStyle::Plain
                    && tag.is_none()
                    && matches!(b.stack.last(), Some(Frame::Map { key: None, .. }));
                // YAML 1.2 allows an empty implicit key (`: value`); PyYAML only an explicit
                // one (`? ` then `: value`).
                // (granit gives an empty node as a zero-width plain `~`.)
                if plain_key
                    && span.start.byte_offset() == span.end.byte_offset()
                    && let Some(start) = span.start.byte_offset()
                    && !source
                        .get(..start)
                        .unwrap_or_default()
                        .trim_end()
                        .ends_with('?')
                {
                    return Err(at("a mapping key is missing before `:`".into()));
                }
                if plain_key && (text == "<<" || text == "=") {
                    if text == "<<"
                        && let Some(Frame::Map {
                            key, merge_next, ..
                        }) = b.stack.last_mut()
                    {
                        *merge_next = true;
                        *key = Some(merge_key());
                    } else {
                        // PyYAML turns the `=` value key into a string key.
                        b.push(Value::String("=".into()), anchor, line, column)?;
                    }
                    continue;
                }
                if style != ScalarStyle::Plain
                    && let (Some(start), Some(end)) =
                        (span.start.byte_offset(), span.end.byte_offset())
                {
                    tab_ok.push(start..end);
                }
                let v = scalar(text, style, tag.as_deref()).map_err(at)?;
                b.push(v, anchor, line, column)?;
            }
            Event::Alias(id) => {
                let v = b
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at("alias to an unknown anchor".into()))?;
                b.push(v, 0, line, column)?;
            }
            Event::SequenceStart(_, anchor, tag) => {
                collection_tag_ok(tag.as_deref(), "seq").map_err(at)?;
                if b.stack.is_empty() {
                    root_line = line;
                }
                b.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(_, anchor, tag) => {
                collection_tag_ok(tag.as_deref(), "map").map_err(at)?;
                if b.stack.is_empty() {
                    root_line = line;
                }
                b.stack.push(Frame::Map {
                    map: Mapping::new(),
                    key: None,
                    anchor,
                    merge_next: false,
                    merged: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, anchor) = match b.stack.pop() {
                    Some(Frame::Seq { items, anchor }) => (Value::List(items), anchor),
                    Some(Frame::Map {
                        map,
                        anchor,
                        merged,
                        ..
                    }) => {
                        // Merged entries come first; explicit keys override their values.
                        let mut all: Mapping = merged.into_iter().collect();
                        for (k, v) in map {
                            all.insert(k, v);
                        }
                        (Value::Map(all), anchor)
                    }
                    None => return Err(at("unbalanced collection end".into())),
                };
                b.push(v, anchor, line, column)?;
            }
            _ => {}
        }
    }
    check_tabs(text, &tab_ok)?;
    Ok(ParsedYaml {
        value: b.root,
        key_lines: b.key_lines,
        root_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_types_and_key_lines() {
        let p = parse_yaml("b: 1\na: yes\nc:\n  - '1'\n  - x\nd: {e: null}\n").unwrap();
        let m = p.value.as_ref().and_then(Value::as_map).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a", "c", "d"]);
        assert_eq!(m.get("a"), Some(&Value::Bool(true)));
        assert_eq!(m.get("c"), Some(&Value::from(vec!["1", "x"])));
        assert_eq!(p.key_line("d"), Some(6));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_yaml("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        match e {
            Error::Yaml { line, .. } => assert!(line >= 2, "{e}"),
            other => panic!("{other}"),
        }
        assert!(parse_yaml("a: !!binary aGk=\n").is_err());
        assert!(parse_yaml("a: 1\n---\nb: 2\n").is_err());
        let e = parse_yaml("a: 1\nb:\tx\n").unwrap_err();
        assert!(
            matches!(
                e,
                Error::Yaml {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            parse_yaml("a: \"t\\there\\t\"\nb: '\t'\nc: |\n  x\ty\n# c\tc\nd: 1 # x\ty\n").is_ok()
        );
    }

    #[test]
    fn empty_text_is_no_document() {
        assert_eq!(parse_yaml("# only a comment\n").unwrap().value, None);
        assert_eq!(parse_yaml("").unwrap().value, None);
    }

    #[test]
    fn merge_keys_merge() {
        let p = parse_yaml(
            "base: &b {x: 1, y: 2}\nother: &o {y: 9, z: 3}\nm:\n  <<: [*b, *o]\n  x: 0\n=: eq\n",
        )
        .unwrap();
        let v = p.value.unwrap();
        let m = v.as_map().unwrap().get("m").unwrap().as_map().unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["x", "y", "z"]);
        assert_eq!(m.get("y"), Some(&Value::Int(2)));
        assert_eq!(m.get("x"), Some(&Value::Int(0)));
        assert!(v.as_map().unwrap().contains_key("="));
        assert!(parse_yaml("a:\n  <<: 1\n").is_err());
        assert!(parse_yaml(": x\n").is_err());
        assert_eq!(
            parse_yaml("?\n: v\n~: w\n")
                .unwrap()
                .value
                .unwrap()
                .as_map()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn aliases_resolve() {
        let p = parse_yaml("a: &x [1, 2]\nb: *x\n").unwrap();
        let m = p.value.unwrap();
        let m = m.as_map().unwrap();
        assert_eq!(m.get("a"), m.get("b"));
    }
}
