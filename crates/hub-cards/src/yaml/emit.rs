//! [`Value`] → YAML text, byte for byte as PyYAML's `yaml.dump(data, sort_keys=False,
//! allow_unicode=True)` writes it (block style, indent 2, width 80).
//!
//! This follows the state machine of PyYAML's `Emitter` for the events a `dict`/`list`/scalar
//! tree produces: the same column, whitespace and indentation bookkeeping, the same scalar
//! analysis (which decides plain, single- or double-quoted), and the same line folding of long
//! scalars at column 80. Mappings are written in insertion order.

use super::resolve::plain_is_str;
use crate::value::Value;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: char) -> bool {
    matches!(
        c,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Python's `repr(float)`: the shortest text that reads back to the same float, in fixed
/// notation for decimal exponents from -4 to 16 and scientific notation (`1e-05`, `1.5e+16`)
/// outside; `nan`, `inf`, `-inf` for the special values.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    // Rust's `{:e}` gives the shortest round-trip digits, like Python's repr.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1;
    let n = digits.len() as i64;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let e = decpt - 1;
        let esign = if e < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", e.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{body}")
}

/// PyYAML's `represent_float`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let v = python_float_repr(f).to_lowercase();
    if !v.contains('.') && v.contains('e') {
        v.replacen('e', ".0e", 1)
    } else {
        v
    }
}

/// The text of a scalar and whether PyYAML would resolve that text, written plain, to the
/// scalar's own type (`implicit[0]` of the emitter's event).
fn scalar_text(v: &Value) -> Option<(String, bool)> {
    Some(match v {
        Value::Null => ("null".into(), true),
        Value::Bool(b) => ((if *b { "true" } else { "false" }).into(), true),
        Value::Int(i) => (i.to_string(), true),
        Value::Float(f) => (yaml_float(*f), true),
        Value::Timestamp(t) => (t.clone(), true),
        Value::String(s) => (s.clone(), plain_is_str(s)),
        Value::List(_) | Value::Map(_) => return None,
    })
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(s: &[char]) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let starts = |p: &str| s.iter().take(3).collect::<String>() == p;
    if starts("---") || starts("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_ws = true;
    let mut followed_by_ws = s.len() == 1 || is_space_or_break(s[1]);
    let (mut prev_space, mut prev_break) = (false, false);
    let last = s.len() - 1;
    for (i, &ch) in s.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                flow_indicators = true;
                if followed_by_ws {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_ws {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_ws {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_ws {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7e').contains(&ch)) {
            let printable_unicode = (ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch))
                && ch != '\u{feff}';
            // allow_unicode=True: printable non-ASCII characters are fine as they are.
            if !printable_unicode {
                special = true;
            }
        }
        if ch == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == last {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(ch) {
            if i == 0 {
                leading_break = true;
            }
            if i == last {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_space_or_break(ch);
        followed_by_ws = i + 2 >= s.len() || is_space_or_break(s[i + 2]);
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if break_space {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if space_break || special {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if line_breaks {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if flow_indicators {
        a.allow_flow_plain = false;
    }
    if block_indicators {
        a.allow_block_plain = false;
    }
    a
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Emitter<'a> {
    out: String,
    line_break: &'a str,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
}

impl<'a> Emitter<'a> {
    fn new(line_break: &'a str) -> Self {
        Emitter {
            out: String::new(),
            line_break,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        match self.indent {
            None => self.indent = Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => self.indent = Some(i + BEST_INDENT),
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn write(&mut self, chars: &[char]) {
        self.column += chars.len();
        self.out.extend(chars);
    }

    fn write_str(&mut self, s: &str) {
        self.column += s.chars().count();
        self.out.push_str(s);
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, whitespace: bool, indention: bool) {
        if !self.whitespace && need_ws {
            self.write_str(" ");
        }
        self.write_str(ind);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.out.push_str(&pad);
            self.column = indent;
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        match data {
            Some(c) => self.out.push(c),
            None => self.out.push_str(self.line_break),
        }
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::List(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::List(items) => {
                let indentless = ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::default());
                }
                self.pop_indent();
            }
            Value::Map(m) => {
                self.increase_indent(false, false);
                let in_map = Ctx {
                    mapping: true,
                    ..Ctx::default()
                };
                for (k, val) in m.iter() {
                    self.write_indent();
                    if is_simple_key(k) {
                        self.node(
                            k,
                            Ctx {
                                mapping: true,
                                simple_key: true,
                                root: false,
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(k, in_map);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(val, in_map);
                }
                self.pop_indent();
            }
            scalar => self.scalar(scalar, ctx),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, v: &Value, ctx: Ctx) {
        let Some((text, implicit_plain)) = scalar_text(v) else {
            return;
        };
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        self.increase_indent(true, false);
        let plain_ok = if self.flow_level > 0 {
            a.allow_flow_plain
        } else {
            a.allow_block_plain
        };
        let style = if implicit_plain && !(ctx.simple_key && (a.empty || a.multiline)) && plain_ok {
            Style::Plain
        } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&chars, split, ctx.root),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
        self.pop_indent();
    }

    fn write_breaks(&mut self, text: &[char]) {
        if text.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in text {
            if br == '\n' {
                self.write_line_break(None);
            } else {
                self.write_line_break(Some(br));
            }
        }
    }

    fn write_plain(&mut self, text: &[char], split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_str(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0usize, 0usize);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0usize, 0usize);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_str("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let (mut start, mut end) = (0usize, 0usize);
        let len = text.len();
        while end <= len {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !(('\x20'..='\x7e').contains(&c)
                    || ('\u{a0}'..='\u{d7ff}').contains(&c)
                    || ('\u{e000}'..='\u{fffd}').contains(&c))
            });
            if needs_escape {
                if start < end {
                    self.write(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let esc = match c {
                        '\0' => "\\0".to_string(),
                        '\x07' => "\\a".into(),
                        '\x08' => "\\b".into(),
                        '\t' => "\\t".into(),
                        '\n' => "\\n".into(),
                        '\x0b' => "\\v".into(),
                        '\x0c' => "\\f".into(),
                        '\r' => "\\r".into(),
                        '\x1b' => "\\e".into(),
                        '"' => "\\\"".into(),
                        '\\' => "\\\\".into(),
                        '\u{85}' => "\\N".into(),
                        '\u{a0}' => "\\_".into(),
                        '\u{2028}' => "\\L".into(),
                        '\u{2029}' => "\\P".into(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write_str(&esc);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < len
                && (ch == Some(' ') || start >= end)
                && self.column as isize + end as isize - start as isize > BEST_WIDTH as isize
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write_str(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write_str("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn is_simple_key(k: &Value) -> bool {
    match k {
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        scalar => {
            // PyYAML counts the scalar's tag as written in full (`!!str`, `!!float`, ...)
            // towards its 128-character limit, even though it is not written.
            let tag_len = match scalar {
                Value::String(_) | Value::Int(_) => 5,
                Value::Bool(_) | Value::Null => 6,
                Value::Float(_) => 7,
                _ => 11,
            };
            match scalar_text(scalar) {
                Some((text, _)) => {
                    !text.is_empty()
                        && text.chars().count() + tag_len < 128
                        && !text.chars().any(is_break)
                }
                None => false,
            }
        }
    }
}

/// Writes `value` as one YAML document exactly as PyYAML's
/// `yaml.dump(value, sort_keys=False, allow_unicode=True, line_break=line_break)`.
///
/// `line_break` is `"\n"`, `"\r\n"` or `"\r"`; it ends every line the emitter writes (line
/// breaks inside strings other than `\n` are written as they are, like PyYAML).
pub fn to_yaml_string(value: &Value, line_break: &str) -> String {
    let mut e = Emitter::new(line_break);
    e.node(
        value,
        Ctx {
            root: true,
            ..Ctx::default()
        },
    );
    // Document end, then stream end (which closes an open-ended plain root scalar with `...`).
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    e.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Mapping;

    #[test]
    fn float_repr_matches_python() {
        for (f, want) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.789, "123456.789"),
            (1.5e-7, "1.5e-07"),
            (2.5e100, "2.5e+100"),
        ] {
            assert_eq!(python_float_repr(f), want, "{f}");
        }
        assert_eq!(yaml_float(1e16), "1.0e+16");
        assert_eq!(yaml_float(f64::NEG_INFINITY), "-.inf");
    }

    #[test]
    fn block_layout() {
        let mut task = Mapping::new();
        task.insert("type", "text-classification");
        let mut result = Mapping::new();
        result.insert("task", task);
        result.insert("metrics", vec![1.5]);
        let mut entry = Mapping::new();
        entry.insert("name", "m");
        entry.insert("results", vec![Value::Map(result)]);
        let mut top = Mapping::new();
        top.insert("tags", vec!["a", "yes", "1.0"]);
        top.insert("empty", Value::List(vec![]));
        top.insert("model-index", vec![Value::Map(entry)]);
        let got = to_yaml_string(&Value::Map(top), "\n");
        assert_eq!(
            got,
            "tags:\n- a\n- 'yes'\n- '1.0'\nempty: []\nmodel-index:\n- name: m\n  results:\n  - task:\n      type: text-classification\n    metrics:\n    - 1.5\n"
        );
    }

    #[test]
    fn root_scalar_is_open_ended() {
        assert_eq!(to_yaml_string(&Value::from("abc"), "\n"), "abc\n...\n");
        assert_eq!(to_yaml_string(&Value::Map(Mapping::new()), "\n"), "{}\n");
    }
}
