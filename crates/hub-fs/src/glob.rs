//! fsspec glob patterns, matched segment by segment.
//!
//! fsspec translates a pattern into one regular expression (`glob_translate`); matching the
//! `/`-separated segments instead gives the same answers with simpler rules: `*` alone is one
//! non-empty segment, `**` alone is any number of segments (at least one when it ends the
//! pattern, because the regex then requires the `/` before it), and any other segment is an
//! `fnmatch` pattern of its own, in which `*` and `?` cannot cross a `/`.

use hub_core::fnmatch::Pattern;

/// Whether `s` holds a glob character (fsspec's `has_magic`).
pub fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[derive(Debug)]
enum Part {
    Star,
    DoubleStar,
    Literal(String),
    Pattern(Pattern),
}

/// A compiled glob pattern.
#[derive(Debug)]
pub struct Glob {
    parts: Vec<Part>,
}

impl Glob {
    /// Compiles `pattern`; `**` inside a segment (`a**b`) is refused as fsspec refuses it.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let mut parts = Vec::new();
        for seg in pattern.split('/') {
            parts.push(match seg {
                "*" => Part::Star,
                "**" => Part::DoubleStar,
                s if s.contains("**") => {
                    return Err(format!(
                        "Invalid pattern '{pattern}': '**' can only be an entire path component"
                    ));
                }
                s if has_magic(s) => Part::Pattern(Pattern::new(s)),
                s => Part::Literal(s.to_owned()),
            });
        }
        Ok(Glob { parts })
    }

    /// Whether `path` (dirs possibly with a trailing `/`) matches the whole pattern.
    pub fn matches(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.split('/').collect();
        match_from(&self.parts, &segs)
    }
}

fn match_from(parts: &[Part], segs: &[&str]) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return segs.is_empty();
    };
    let last = rest.is_empty();
    match first {
        Part::DoubleStar => {
            if last {
                // `.*` after the `/`: at least one (possibly empty) segment remains.
                !segs.is_empty()
            } else {
                // `(?:.+/)?`: zero or more segments, each non-empty.
                (0..=segs.len()).any(|k| {
                    segs[..k].iter().all(|s| !s.is_empty()) && match_from(rest, &segs[k..])
                })
            }
        }
        _ => {
            let Some((seg, segs_rest)) = segs.split_first() else {
                return false;
            };
            let ok = match first {
                Part::Star => !seg.is_empty(),
                Part::Literal(l) => l == seg,
                Part::Pattern(p) => p.matches(seg),
                Part::DoubleStar => false,
            };
            ok && match_from(rest, segs_rest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).unwrap().matches(s)
    }

    #[test]
    fn stars() {
        assert!(m("r/*.txt", "r/a.txt"));
        assert!(!m("r/*.txt", "r/d/a.txt"));
        assert!(m("r/*", "r/d"));
        assert!(!m("r/*", "r/d/e"));
        assert!(m("r/**/a.txt", "r/a.txt"));
        assert!(m("r/**/a.txt", "r/d/e/a.txt"));
        assert!(m("r/**", "r/d/e"));
        assert!(m("r/**", "r/d/"));
        assert!(!m("r/**", "r"));
        assert!(m("r/d?/[ab].bin", "r/d1/b.bin"));
        assert!(!m("r/d?/[!ab].bin", "r/d1/b.bin"));
        assert!(m("r/**/*.bin", "r/x/y.bin"));
        assert!(Glob::new("r/a**b").is_err());
        assert!(has_magic("a/[b"));
        assert!(!has_magic("a/b"));
    }
}
