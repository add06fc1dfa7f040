//! Small helpers shared by the storage and HTTP layers: durable file writes, Hub date format,
//! HMAC signing, gitattributes-style glob matching, boolean/list query parsing.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync dir.
///
/// A crash at any point leaves either the old file or the new one, never a torn file.
pub fn atomic_write(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("path without parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Fsyncs a directory so that a rename inside it survives a power loss (best effort).
pub fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Async wrapper around [`atomic_write`] that runs on the blocking pool.
pub async fn atomic_write_async(path: std::path::PathBuf, data: Vec<u8>) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || atomic_write(&path, &data))
        .await
        .map_err(std::io::Error::other)?
}

/// Formats a timestamp the way the Hub does: `YYYY-MM-DDTHH:MM:SS.mmmZ` (0.26 needs the fraction).
pub fn format_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Formats unix seconds as a Hub date.
pub fn format_unix(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(format_date)
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// Current time as a Hub date.
pub fn now_date() -> String {
    format_date(chrono::Utc::now())
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`, hex encoded.
pub fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    const B: usize = 64;
    let mut k = if key.len() > B {
        Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(B, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    hex::encode(
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize(),
    )
}

/// Constant-time string comparison (for signatures and token hashes).
pub fn ct_eq(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// sha256 hex of a byte string.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Parses a boolean query value case-insensitively (`true/True/1/yes`).
pub fn parse_bool(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
}

/// Parsed query string: keeps repeated keys, and treats `key[]` as `key`.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Parses a raw (still encoded) query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or("");
        let pairs = url::form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| {
                let k = k
                    .strip_suffix("[]")
                    .map(str::to_string)
                    .unwrap_or_else(|| k.into_owned());
                (k, v.into_owned())
            })
            .collect();
        Query(pairs)
    }
    /// First value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// All values of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// Boolean value of `key` (absent → false).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).map(parse_bool).unwrap_or(false)
    }
}

/// Matches `path` against one gitattributes/gitignore-style pattern.
///
/// Patterns without a `/` (other than a trailing one) match the basename at any depth; patterns with
/// a `/` are anchored at the repo root. `*` and `?` do not cross `/`, `**` does.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return false;
    }
    let pattern = pattern.strip_suffix('/').unwrap_or(pattern);
    if let Some(anchored) = pattern.strip_prefix('/') {
        return glob(anchored.as_bytes(), path.as_bytes());
    }
    if pattern.contains('/') {
        return glob(pattern.as_bytes(), path.as_bytes());
    }
    // Basename match at any depth (directories are handled by the gitignore caller).
    glob(
        pattern.as_bytes(),
        path.rsplit('/').next().unwrap_or(path).as_bytes(),
    )
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    if p.starts_with(b"**") {
        let rest = &p[2..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        // `**` matches zero or more whole path components (or anything at the end).
        if rest.is_empty() {
            return true;
        }
        if glob(rest, s) {
            return true;
        }
        for i in 0..s.len() {
            if s[i] == b'/' && glob(rest, &s[i + 1..]) {
                return true;
            }
        }
        return false;
    }
    match p[0] {
        b'*' => {
            let rest = &p[1..];
            for i in 0..=s.len() {
                if glob(rest, &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' {
                    break;
                }
            }
            false
        }
        b'?' => !s.is_empty() && s[0] != b'/' && glob(&p[1..], &s[1..]),
        b'[' => {
            if s.is_empty() {
                return false;
            }
            match class_match(&p[1..], s[0]) {
                Some((matched, used)) => matched && glob(&p[1 + used..], &s[1..]),
                None => s[0] == b'[' && glob(&p[1..], &s[1..]),
            }
        }
        b'\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob(&p[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob(&p[1..], &s[1..]),
    }
}

/// Matches a `[...]` class (p starts after `[`); returns (matched, bytes consumed incl. `]`).
fn class_match(p: &[u8], c: u8) -> Option<(bool, usize)> {
    // POSIX classes used by the Hub when escaping spaces: [[:space:]].
    if p.starts_with(b"[:space:]]") {
        return Some((c == b' ' || c == b'\t', 10));
    }
    let mut i = 0;
    let negate = matches!(p.first(), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Returns whether `path` is LFS-tracked by a `.gitattributes` content (last matching rule wins).
pub fn gitattributes_lfs(attrs: &str, path: &str) -> bool {
    let mut result = false;
    for line in attrs.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(pat) = parts.next() else { continue };
        let attrs: Vec<&str> = parts.collect();
        if !pattern_matches(pat, path) {
            continue;
        }
        for a in attrs {
            if a == "filter=lfs" {
                result = true;
            } else if a == "-filter"
                || a == "!filter"
                || (a.starts_with("filter=") && a != "filter=lfs")
            {
                result = false;
            }
        }
    }
    result
}

/// Returns whether `path` is ignored by a `.gitignore` content (supports `!` negation).
pub fn gitignore_matches(ignore: &str, path: &str) -> bool {
    let mut ignored = false;
    for line in ignore.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (neg, pat) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        // A pattern also matches every path below a matching directory.
        let hit = pattern_matches(pat, path)
            || path
                .match_indices('/')
                .any(|(i, _)| pattern_matches(pat, &path[..i]));
        if hit {
            ignored = !neg;
        }
    }
    ignored
}

/// Escapes a path for use as a gitattributes pattern (spaces become `[[:space:]]`).
pub fn gitattributes_escape(path: &str) -> String {
    let mut out = String::new();
    for ch in path.chars() {
        match ch {
            ' ' => out.push_str("[[:space:]]"),
            '*' | '?' | '[' | ']' | '\\' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(pattern_matches("*.bin", "a/b/c.bin"));
        assert!(pattern_matches("*.bin", "c.bin"));
        assert!(!pattern_matches("*.bin", "c.bins"));
        assert!(pattern_matches("*tfevents*", "runs/x.tfevents.123"));
        assert!(pattern_matches("saved_model/**/*", "saved_model/a/b"));
        assert!(!pattern_matches("saved_model/**/*", "other/saved_model.x"));
        assert!(pattern_matches("dir/*.txt", "dir/a.txt"));
        assert!(!pattern_matches("dir/*.txt", "x/dir/a.txt"));
        assert!(pattern_matches("*.[Pp][Nn][Gg]", "img.PNG"));
        assert!(pattern_matches("my[[:space:]]file.bin", "my file.bin"));
        assert!(pattern_matches(
            &gitattributes_escape("a b*.bin"),
            "a b*.bin"
        ));
    }

    #[test]
    fn attributes_and_ignore() {
        let a = "*.bin filter=lfs diff=lfs merge=lfs -text\nkeep.bin -filter\n";
        assert!(gitattributes_lfs(a, "x/model.bin"));
        assert!(!gitattributes_lfs(a, "keep.bin"));
        assert!(!gitattributes_lfs(a, "x.txt"));
        let g = "*.log\nbuild/\n!keep.log\n";
        assert!(gitignore_matches(g, "a.log"));
        assert!(!gitignore_matches(g, "keep.log"));
        assert!(gitignore_matches(g, "build/out.o"));
        assert!(!gitignore_matches(g, "src/main.rs"));
    }

    #[test]
    fn hmac_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn query_parsing() {
        let q = Query::parse(Some("expand=a&expand%5B%5D=b&full=True&x=1"));
        assert_eq!(q.all("expand"), vec!["a", "b"]);
        assert!(q.flag("full"));
        assert!(!q.flag("nope"));
        assert_eq!(format_unix(0), "1970-01-01T00:00:00.000Z");
    }
}
