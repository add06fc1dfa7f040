//! Python's `fnmatch` glob semantics, exactly: `*` matches any run of characters *including*
//! `/`, `?` one character, `[seq]` / `[!seq]` a set (with Python's rules for `]` first, `-`
//! ranges, empty ranges and unclosed brackets), matching is case-sensitive (POSIX `normcase`)
//! and anchored at both ends.
//!
//! This is what `allow_patterns` / `ignore_patterns` of `snapshot_download`, `upload_folder`
//! and the CLI's `--include` / `--exclude` mean, so it must not follow shell or gitignore
//! semantics, where `*` stops at `/`.
//!
//! ```
//! use hub_core::fnmatch::Pattern;
//! let p = Pattern::new("*.json");
//! assert!(p.matches("config.json"));
//! assert!(p.matches("sub/dir/tokenizer.json")); // `*` crosses `/`
//! assert!(!p.matches("model.safetensors"));
//! ```

use regex::Regex;

/// A compiled `fnmatch` pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `pattern`. Every string is a valid fnmatch pattern, so this cannot fail.
    pub fn new(pattern: &str) -> Self {
        let translated = translate(pattern);
        // The translation escapes every literal, so the regex is always valid; fall back to
        // a never-matching regex rather than panic if that invariant were ever broken.
        let regex = Regex::new(&translated)
            .or_else(|_| Regex::new(r"[^\s\S]"))
            .unwrap_or_else(|_| unreachable!("static regex compiles"));
        Pattern {
            source: pattern.to_owned(),
            regex,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `name` matches the whole pattern (Python's `fnmatch.fnmatchcase`).
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }
}

/// `fnmatch.fnmatch(name, pattern)` on POSIX.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    Pattern::new(pattern).matches(name)
}

/// Filters paths as `huggingface_hub.utils.filter_repo_objects` does: keep a path if it matches
/// at least one allow pattern (when any are given) and no ignore pattern. Patterns ending in `/`
/// get a `*` appended, so `"dir/"` selects everything below `dir`.
#[derive(Debug, Clone, Default)]
pub struct PatternFilter {
    allow: Option<Vec<Pattern>>,
    ignore: Vec<Pattern>,
}

impl PatternFilter {
    /// Builds a filter. `allow = None` allows everything.
    pub fn new<A, I, S, T>(allow: Option<A>, ignore: I) -> Self
    where
        A: IntoIterator<Item = S>,
        I: IntoIterator<Item = T>,
        S: AsRef<str>,
        T: AsRef<str>,
    {
        let compile = |p: &str| Pattern::new(&add_wildcard_to_directories(p));
        PatternFilter {
            allow: allow.map(|a| a.into_iter().map(|p| compile(p.as_ref())).collect()),
            ignore: ignore.into_iter().map(|p| compile(p.as_ref())).collect(),
        }
    }

    /// Whether `path` passes the filter.
    pub fn is_match(&self, path: &str) -> bool {
        if let Some(allow) = &self.allow
            && !allow.iter().any(|p| p.matches(path))
        {
            return false;
        }
        !self.ignore.iter().any(|p| p.matches(path))
    }
}

/// Python's `_add_wildcard_to_directories`: a pattern ending with `/` matches everything below.
pub fn add_wildcard_to_directories(pattern: &str) -> String {
    if pattern.ends_with('/') {
        format!("{pattern}*")
    } else {
        pattern.to_owned()
    }
}

/// Python's `filter_repo_objects` over a list of paths: keeps those matching any allow pattern
/// (all when `None`) and no ignore pattern, in input order.
pub fn filter_paths<'a, I, S>(
    paths: I,
    allow_patterns: Option<&[S]>,
    ignore_patterns: Option<&[S]>,
) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
    S: AsRef<str>,
{
    let filter = PatternFilter::new(
        allow_patterns.map(|a| a.iter().map(|p| p.as_ref().to_owned()).collect::<Vec<_>>()),
        ignore_patterns
            .unwrap_or_default()
            .iter()
            .map(|p| p.as_ref().to_owned()),
    );
    paths.into_iter().filter(|p| filter.is_match(p)).collect()
}

/// One element of a bracket set.
enum SetItem {
    Char(char),
    Range(char, char),
}

/// Translates an fnmatch pattern into an anchored `regex` crate pattern, following CPython
/// 3.11's `fnmatch.translate` rule by rule.
pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let n = chars.len();
    let mut out = String::from("(?s)^(?:");
    let mut i = 0;
    while i < n {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                // Consecutive stars are one star.
                while i < n && chars[i] == '*' {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if j < n && chars[j] == '!' {
                    j += 1;
                }
                if j < n && chars[j] == ']' {
                    j += 1;
                }
                while j < n && chars[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    out.push_str(r"\[");
                    continue;
                }
                let mut body = &chars[i..j];
                i = j + 1;
                let negated = body.first() == Some(&'!');
                if negated {
                    body = &body[1..];
                }
                let items = parse_set(body);
                if items.is_empty() {
                    // Python: an empty set never matches; a negated empty set matches any char.
                    out.push_str(if negated { "." } else { "[^\\s\\S]" });
                    continue;
                }
                out.push('[');
                if negated {
                    out.push('^');
                }
                for item in items {
                    match item {
                        SetItem::Char(ch) => push_class_char(&mut out, ch),
                        SetItem::Range(lo, hi) => {
                            push_class_char(&mut out, lo);
                            out.push('-');
                            push_class_char(&mut out, hi);
                        }
                    }
                }
                out.push(']');
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push_str(")$");
    out
}

/// Parses the inside of a bracket set: the first character is always literal (so `]` and `-`
/// can lead), `a-b` is a range, a range whose ends are reversed is dropped (Python removes
/// empty ranges), and a trailing `-` is literal.
fn parse_set(body: &[char]) -> Vec<SetItem> {
    let mut items = Vec::new();
    let mut p = 0;
    while p < body.len() {
        let c = body[p];
        if p + 2 < body.len() && body[p + 1] == '-' {
            let hi = body[p + 2];
            if c <= hi {
                items.push(SetItem::Range(c, hi));
            }
            p += 3;
        } else {
            items.push(SetItem::Char(c));
            p += 1;
        }
    }
    items
}

fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~' | '|') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, name, Python 3.11 `fnmatch.fnmatchcase(name, pattern)`), generated with CPython.
    const CASES: &[(&str, &str, bool)] = include!("fnmatch_cases.in");
    /// A second, independently generated CPython table (other names and patterns).
    const MORE_CASES: &[(&str, &str, bool)] = include!("fnmatch_cases_more.in");

    #[test]
    fn agrees_with_cpython() {
        for (pat, name, expected) in CASES.iter().chain(MORE_CASES) {
            assert_eq!(
                fnmatch(name, pat),
                *expected,
                "pattern {pat:?} name {name:?} -> {}",
                translate(pat)
            );
        }
    }

    #[test]
    fn filter_rules() {
        let f = PatternFilter::new(Some(["*.json", "sub/"]), ["*secret*"]);
        assert!(f.is_match("config.json"));
        assert!(f.is_match("sub/a/b.bin"));
        assert!(!f.is_match("model.bin"));
        assert!(!f.is_match("sub/secret.json"));
        let all = PatternFilter::new(None::<Vec<&str>>, Vec::<&str>::new());
        assert!(all.is_match("anything/at/all"));
        let kept = filter_paths(
            ["a/x.bin", "a/y.txt", "b.txt"],
            Some(&["a/"]),
            Some(&["*.bin"]),
        );
        assert_eq!(kept, vec!["a/y.txt"]);
        assert_eq!(filter_paths(["x"], None::<&[&str]>, None).len(), 1);
    }
}
