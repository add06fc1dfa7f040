//! Python's `fnmatch` semantics, exactly, for `allow_patterns` / `ignore_patterns`.
//!
//! Self-contained on purpose (depends only on `regex`), so it can move to a shared crate.
//!
//! The rules are those of CPython's `fnmatch.translate` (POSIX `fnmatch.fnmatch` does not fold
//! case): `*` matches any run of characters **including `/`**, `?` any one character, `[seq]` /
//! `[!seq]` a character set with ranges, and everything else matches itself. An unclosed `[` is a
//! literal. Inside a set, `]` right after `[` or `[!` is a literal; reversed ranges such as `z-a`
//! are dropped (an empty set never matches, an empty negated set matches any character), exactly
//! as CPython's translation does.
//!
//! The pattern is parsed into tokens first and then rendered as a Rust regex in which every set
//! member is written as an escaped code point, so no Python regex syntax leaks into the Rust regex
//! engine (whose sets understand `[`, `&&`, `--` and `~~` differently).
//!
//! ```
//! use hub_cache::fnmatch::{Pattern, filter_paths};
//! assert!(Pattern::new("*.json").matches("sub/dir/config.json"));
//! assert!(Pattern::new("[!a]?.txt").matches("b1.txt"));
//! let kept = filter_paths(["a/x.bin", "a/y.txt", "b.txt"], Some(&["a/"]), Some(&["*.bin"]));
//! assert_eq!(kept, vec!["a/y.txt"]);
//! ```

use regex::Regex;

/// A compiled fnmatch pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

#[derive(Debug, PartialEq)]
enum Token {
    Literal(char),
    Any,
    Star,
    /// A character set; `None` items means "any character" (negated empty set).
    Set {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

impl Pattern {
    /// Compiles `pattern`. Every string is a valid fnmatch pattern, so this cannot fail.
    pub fn new(pattern: &str) -> Self {
        let regex_src = translate(pattern);
        // The rendered regex only uses escaped code points, `.`, `.*` and sets of ranges, all of
        // which regex accepts; the fallback (match nothing) is unreachable in practice.
        let regex = Regex::new(&regex_src).unwrap_or_else(|_| never_regex());
        Pattern {
            source: pattern.to_owned(),
            regex,
        }
    }

    /// Whether `name` matches the whole pattern (case-sensitive, as on POSIX).
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

fn never_regex() -> Regex {
    // `[^\x00-\x{10FFFF}]` is an empty class: it never matches.
    Regex::new(r"\A[a&&b]\z").unwrap_or_else(|_| unreachable!("constant regex"))
}

/// Whether `name` matches `pattern` (Python's `fnmatch.fnmatch` on POSIX).
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    Pattern::new(pattern).matches(name)
}

/// Translates `pattern` to an anchored Rust regex with Python's `fnmatch.translate` meaning.
pub fn translate(pattern: &str) -> String {
    let mut out = String::from(r"(?s)\A");
    for token in tokenize(pattern) {
        match token {
            Token::Literal(c) => push_escaped(&mut out, c),
            Token::Any => out.push('.'),
            Token::Star => out.push_str(".*"),
            Token::Set { negated, items } => {
                if items.is_empty() {
                    if negated {
                        out.push('.');
                    } else {
                        out.push_str("[a&&b]");
                    }
                    continue;
                }
                out.push('[');
                if negated {
                    out.push('^');
                }
                for (lo, hi) in items {
                    push_escaped(&mut out, lo);
                    if hi != lo {
                        out.push('-');
                        push_escaped(&mut out, hi);
                    }
                }
                out.push(']');
            }
        }
    }
    out.push_str(r"\z");
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

fn tokenize(pattern: &str) -> Vec<Token> {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                // Consecutive stars collapse, as in CPython.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' => tokens.push(Token::Any),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    tokens.push(Token::Literal('['));
                } else {
                    tokens.push(parse_set(&pat[i..j]));
                    i = j + 1;
                }
            }
            other => tokens.push(Token::Literal(other)),
        }
    }
    tokens
}

/// Parses the body of `[...]` (without brackets) exactly as CPython 3.11's `translate` splits it
/// into hyphen-separated chunks and drops reversed ranges.
fn parse_set(body: &[char]) -> Token {
    let negated_marker = body.first() == Some(&'!');
    // Chunks are separated by range hyphens. The first hyphen search starts one character after
    // the start (two with a leading '!'), and each next search three characters after the
    // previous hyphen, so a hyphen right after '[' / '[!' or right after a range is literal.
    let mut chunks: Vec<Vec<char>> = Vec::new();
    let mut start = 0usize;
    let mut k = if negated_marker { 2 } else { 1 };
    loop {
        let found = (k..body.len()).find(|&idx| body[idx] == '-');
        match found {
            None => break,
            Some(h) => {
                chunks.push(body[start..h].to_vec());
                start = h + 1;
                k = h + 3;
            }
        }
    }
    let last = body[start.min(body.len())..].to_vec();
    if !last.is_empty() {
        chunks.push(last);
    } else if let Some(prev) = chunks.last_mut() {
        prev.push('-');
    } else {
        chunks.push(last);
    }
    // Remove empty (reversed) ranges.
    let mut idx = chunks.len().saturating_sub(1);
    while idx >= 1 {
        let prev_last = chunks[idx - 1].last().copied();
        let cur_first = chunks[idx].first().copied();
        if let (Some(a), Some(b)) = (prev_last, cur_first)
            && a > b
        {
            let mut merged = chunks[idx - 1].clone();
            merged.pop();
            merged.extend_from_slice(&chunks[idx][1..]);
            chunks[idx - 1] = merged;
            chunks.remove(idx);
        }
        idx -= 1;
    }
    // Flatten to the character sequence of the final set, where the joins between chunks are
    // range operators and every character inside a chunk is literal.
    let mut flat: Vec<(char, bool)> = Vec::new(); // (char, is_range_operator_before_it)
    for (ci, chunk) in chunks.iter().enumerate() {
        for (pos, &ch) in chunk.iter().enumerate() {
            flat.push((ch, ci > 0 && pos == 0));
        }
    }
    let mut negated = false;
    if flat.first().map(|(c, _)| *c) == Some('!') {
        negated = true;
        flat.remove(0);
        // A range cannot start at the removed '!' (its chunk always had ≥ 2 chars when a range
        // followed), so no operator flag needs fixing here.
    }
    let mut items: Vec<(char, char)> = Vec::new();
    for (ch, range_before) in flat {
        if range_before && let Some(last) = items.last_mut() {
            // `a-b`: extend the previous single char to a range.
            last.1 = ch;
            continue;
        }
        items.push((ch, ch));
    }
    Token::Set { negated, items }
}

/// Python's snapshot_download rule: a pattern ending with `/` matches everything below it.
pub fn add_wildcard_to_directories(pattern: &str) -> String {
    if pattern.ends_with('/') {
        format!("{pattern}*")
    } else {
        pattern.to_owned()
    }
}

/// Python's `filter_repo_objects`: keep paths matching any allow pattern (all when `None`) and
/// no ignore pattern. Patterns ending with `/` get a trailing `*`.
pub fn filter_paths<'a, I, S>(
    paths: I,
    allow_patterns: Option<&[S]>,
    ignore_patterns: Option<&[S]>,
) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
    S: AsRef<str>,
{
    let compile = |pats: Option<&[S]>| {
        pats.map(|ps| {
            ps.iter()
                .map(|p| Pattern::new(&add_wildcard_to_directories(p.as_ref())))
                .collect::<Vec<_>>()
        })
    };
    let allow = compile(allow_patterns);
    let ignore = compile(ignore_patterns);
    paths
        .into_iter()
        .filter(|p| {
            allow
                .as_ref()
                .is_none_or(|a| a.iter().any(|r| r.matches(p)))
        })
        .filter(|p| {
            ignore
                .as_ref()
                .is_none_or(|ig| !ig.iter().any(|r| r.matches(p)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, name, CPython 3.11 `fnmatch.fnmatch` result on POSIX).
    const CASES: &[(&str, &str, bool)] = include!("fnmatch_cases.in");

    #[test]
    fn agrees_with_cpython() {
        let mut failures = Vec::new();
        for (pat, name, expected) in CASES {
            if fnmatch(name, pat) != *expected {
                failures.push(format!("{pat:?} vs {name:?}: expected {expected}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(CASES.len() > 100);
    }

    #[test]
    fn star_crosses_slashes_and_dirs_get_wildcard() {
        assert!(fnmatch("a/b/c.txt", "*.txt"));
        assert!(fnmatch("a/b/c.txt", "a*c.txt"));
        let kept = filter_paths(
            ["sub/a", "sub/b/c", "other"],
            Some(&["sub/"]),
            None::<&[&str]>,
        );
        assert_eq!(kept, vec!["sub/a", "sub/b/c"]);
        let kept = filter_paths(["x.bin", "y.safetensors"], None, Some(&["*.bin"]));
        assert_eq!(kept, vec!["y.safetensors"]);
    }
}
