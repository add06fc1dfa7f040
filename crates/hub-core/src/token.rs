//! Tokens: a redacting [`Token`] type, the [`TokenSource`] seam, and the token files shared with
//! the Python library (`$HF_HOME/token` and the INI file `$HF_HOME/stored_tokens`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// An access token. Its `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    /// Wraps a token string (surrounding whitespace removed).
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into().trim().to_owned())
    }

    /// The secret itself. Only call this to put it on the wire or in a token file.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A redacted form safe to show: `hf_****abcd` (last four characters kept for long tokens).
    pub fn redacted(&self) -> String {
        let n = self.0.chars().count();
        if n >= 12 {
            let tail: String = self.0.chars().skip(n - 4).collect();
            let head: String = self.0.chars().take(3).collect();
            format!("{head}****{tail}")
        } else {
            "****".to_owned()
        }
    }

    /// Whether this is an organisation token (`api_org…`), which cannot log in.
    pub fn is_org_token(&self) -> bool {
        self.0.starts_with("api_org")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.redacted())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where a token comes from. Services can implement it to inject secrets from their own store;
/// it is asked on every request, so rotating secrets take effect without rebuilding the client.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// The token to use now, if any.
    fn token(&self) -> Option<Token>;
}

impl TokenSource for Token {
    fn token(&self) -> Option<Token> {
        Some(self.clone())
    }
}

/// The Python library's precedence: `HF_TOKEN` (already read into the config) then the token
/// file at `HF_TOKEN_PATH`.
///
/// The file is read once, on first use, and remembered: requests run on async executor threads,
/// where a file read per request would block. A client built after `login` sees the new token;
/// services that rotate secrets implement [`TokenSource`] themselves.
#[derive(Debug, Clone)]
pub struct EnvOrFileTokenSource {
    env_token: Option<Token>,
    token_path: std::path::PathBuf,
    file_token: std::sync::Arc<std::sync::OnceLock<Option<Token>>>,
}

impl EnvOrFileTokenSource {
    /// A source for the given config.
    pub fn new(config: &crate::Config) -> Self {
        EnvOrFileTokenSource {
            env_token: config.env_token.clone(),
            token_path: config.token_path.clone(),
            file_token: Default::default(),
        }
    }
}

impl TokenSource for EnvOrFileTokenSource {
    fn token(&self) -> Option<Token> {
        self.env_token.clone().or_else(|| {
            self.file_token
                .get_or_init(|| read_token_file(&self.token_path).ok().flatten())
                .clone()
        })
    }
}

/// Reads the active token file; `Ok(None)` if it is missing or empty.
pub fn read_token_file(path: &Path) -> Result<Option<Token>> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| Token::new(t)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(
            format!("reading token file {}", path.display()),
            e,
        )),
    }
}

/// Writes the active token file (creating parent directories), as Python's `_save_token`.
pub fn write_token_file(path: &Path, token: &Token) -> Result<()> {
    write_private(path, token.expose().as_bytes())
}

/// Reads `stored_tokens` (INI: `[name]` / `hf_token = ...`). Missing file → empty map.
pub fn read_stored_tokens(path: &Path) -> Result<BTreeMap<String, Token>> {
    let text = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(Error::io(
                format!("reading stored tokens {}", path.display()),
                e,
            ));
        }
    };
    Ok(parse_stored_tokens(&text))
}

/// Parses the INI text written by Python's `configparser` for `stored_tokens`.
pub fn parse_stored_tokens(text: &str) -> BTreeMap<String, Token> {
    let mut out = BTreeMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = Some(name.to_owned());
            continue;
        }
        let Some(sec) = &section else { continue };
        // configparser accepts both `=` and `:` as delimiters and lower-cases keys.
        if let Some(idx) = trimmed.find(['=', ':']) {
            let key = trimmed[..idx].trim().to_ascii_lowercase();
            let value = trimmed[idx + 1..].trim();
            if key == "hf_token" && !value.is_empty() {
                out.insert(sec.clone(), Token::new(value));
            }
        }
    }
    out
}

/// Formats `stored_tokens` exactly as Python's `configparser` writes it (sections sorted).
pub fn format_stored_tokens(tokens: &BTreeMap<String, Token>) -> String {
    let mut s = String::new();
    for (name, token) in tokens {
        s.push_str(&format!("[{name}]\nhf_token = {}\n\n", token.expose()));
    }
    s
}

/// Writes `stored_tokens` (creating parent directories).
pub fn write_stored_tokens(path: &Path, tokens: &BTreeMap<String, Token>) -> Result<()> {
    write_private(path, format_stored_tokens(tokens).as_bytes())
}

/// Writes a secret file atomically (temp file + rename) with mode 0600 on Unix.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let ctx = || format!("writing {}", path.display());
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(ctx(), e))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("token"),
        std::process::id()
    ));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| Error::io(ctx(), e))?;
        f.write_all(bytes).map_err(|e| Error::io(ctx(), e))?;
        f.sync_all().map_err(|e| Error::io(ctx(), e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(ctx(), e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let t = Token::new("hf_abcdefghijklmnop");
        assert_eq!(format!("{t:?}"), "Token(hf_****mnop)");
        assert_eq!(t.to_string(), "hf_****mnop");
        assert!(!format!("{t:?}").contains("abcdefgh"));
        assert_eq!(Token::new("short").redacted(), "****");
    }

    #[test]
    fn stored_tokens_round_trip_python_format() {
        // Exactly what configparser.write produces for two tokens.
        let python = "[first]\nhf_token = hf_one\n\n[second]\nhf_token = hf_two\n\n";
        let parsed = parse_stored_tokens(python);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["first"].expose(), "hf_one");
        assert_eq!(format_stored_tokens(&parsed), python);
        let odd = "[a b]\nHF_TOKEN: hf_x\n; comment\n[empty]\n";
        let parsed = parse_stored_tokens(odd);
        assert_eq!(parsed["a b"].expose(), "hf_x");
        assert!(!parsed.contains_key("empty"));
    }

    #[test]
    fn token_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/token");
        assert!(read_token_file(&p).unwrap().is_none());
        write_token_file(&p, &Token::new("hf_zzz\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "hf_zzz");
        assert_eq!(read_token_file(&p).unwrap().unwrap().expose(), "hf_zzz");
        std::fs::write(&p, "  \n").unwrap();
        assert!(read_token_file(&p).unwrap().is_none());
    }
}
