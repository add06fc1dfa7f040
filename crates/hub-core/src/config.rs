//! Configuration: every environment variable of the Python library, read in one place.
//!
//! [`Config::from_env`] reads the process environment once; [`Config::builder`] starts from the
//! built-in defaults (or from an existing config) and lets code override any value. Nothing in
//! this crate reads the environment behind the caller's back: a [`crate::HubClient`] holds the
//! `Config` it was built with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public Hub endpoint, used when `HF_ENDPOINT` is unset.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The serverless Inference API base, used when `HF_INFERENCE_ENDPOINT` is unset.
pub const DEFAULT_INFERENCE_ENDPOINT: &str = "https://api-inference.huggingface.co";
/// The revision used when none is given.
pub const DEFAULT_REVISION: &str = "main";
/// Default timeout of the metadata (HEAD) request made before a download, in seconds.
pub const DEFAULT_ETAG_TIMEOUT_SECS: u64 = 10;
/// Default timeout of a file download request, in seconds.
pub const DEFAULT_DOWNLOAD_TIMEOUT_SECS: u64 = 10;

/// Python's boolean rule for environment variables: true iff the value is one of
/// `1`, `ON`, `YES`, `TRUE` (case-insensitive); anything else, or unset, is false.
pub fn parse_bool(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_uppercase().as_str(),
        "1" | "ON" | "YES" | "TRUE"
    )
}

/// Log verbosity named by `HF_HUB_VERBOSITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warning` (the default)
    #[default]
    Warning,
    /// `error`
    Error,
    /// `critical`
    Critical,
}

impl Verbosity {
    /// Parses the values accepted by `HF_HUB_VERBOSITY` (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warning" | "warn" => Some(Self::Warning),
            "error" => Some(Self::Error),
            "critical" | "fatal" => Some(Self::Critical),
            _ => None,
        }
    }

    /// The lower-case name, as the Python library prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// Resolved configuration of a client.
///
/// Build it with [`Config::from_env`] (what the Python library does at import) or
/// [`Config::builder`] (explicit, for services and tests).
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Hub base URL without trailing slash (`HF_ENDPOINT`).
    pub endpoint: String,
    /// Serverless inference base URL (`HF_INFERENCE_ENDPOINT`).
    pub inference_endpoint: String,
    /// Data root (`HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`).
    pub home: PathBuf,
    /// Repository cache (`HF_HUB_CACHE`, deprecated `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`).
    pub hub_cache: PathBuf,
    /// Assets cache (`HF_ASSETS_CACHE`, deprecated `HUGGINGFACE_ASSETS_CACHE`, else `$HF_HOME/assets`).
    pub assets_cache: PathBuf,
    /// Active token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`).
    pub token_path: PathBuf,
    /// Named tokens file: `stored_tokens` next to the active token file, as Python derives it
    /// (`$HF_HOME/stored_tokens` unless `HF_TOKEN_PATH` moves the token file).
    pub stored_tokens_path: PathBuf,
    /// Token from `HF_TOKEN` (or the deprecated `HUGGING_FACE_HUB_TOKEN`).
    pub env_token: Option<crate::Token>,
    /// `HF_HUB_VERBOSITY` (deprecated `HUGGINGFACE_HUB_VERBOSITY`).
    pub verbosity: Verbosity,
    /// Metadata request timeout (`HF_HUB_ETAG_TIMEOUT`).
    pub etag_timeout: Duration,
    /// Download request timeout (`HF_HUB_DOWNLOAD_TIMEOUT`).
    pub download_timeout: Duration,
    /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`): no HTTP at all.
    pub offline: bool,
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN`: the stored token is only sent when asked for.
    pub disable_implicit_token: bool,
    /// `HF_HUB_DISABLE_PROGRESS_BARS`.
    pub disable_progress_bars: bool,
    /// `HF_HUB_DISABLE_SYMLINKS_WARNING`.
    pub disable_symlinks_warning: bool,
    /// `HF_HUB_DISABLE_EXPERIMENTAL_WARNING`.
    pub disable_experimental_warning: bool,
    /// `HF_HUB_DISABLE_TELEMETRY`, `DISABLE_TELEMETRY` or `DO_NOT_TRACK`.
    pub disable_telemetry: bool,
    /// `HF_HUB_ENABLE_HF_TRANSFER`: in this crate, parallel ranged transfers are always on; the
    /// flag is kept so `huggingface-cli env` can report it.
    pub enable_hf_transfer: bool,
    /// `NO_COLOR`: the CLI prints no ANSI colours.
    pub no_color: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("endpoint", &self.endpoint)
            .field("inference_endpoint", &self.inference_endpoint)
            .field("home", &self.home)
            .field("hub_cache", &self.hub_cache)
            .field("assets_cache", &self.assets_cache)
            .field("token_path", &self.token_path)
            .field("env_token", &self.env_token)
            .field("verbosity", &self.verbosity)
            .field("etag_timeout", &self.etag_timeout)
            .field("download_timeout", &self.download_timeout)
            .field("offline", &self.offline)
            .field("disable_implicit_token", &self.disable_implicit_token)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    /// The built-in defaults, as if no environment variable were set.
    fn default() -> Self {
        Self::from_vars(&HashMap::new())
    }
}

impl Config {
    /// Reads the process environment, as the Python library does at import time.
    pub fn from_env() -> Self {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    /// Builds a config from an explicit variable map (what [`Config::from_env`] does with the
    /// process environment). Useful for tests and for services that keep their own settings.
    pub fn from_vars(vars: &HashMap<String, String>) -> Self {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        let flag = |k: &str| get(k).map(|v| parse_bool(&v)).unwrap_or(false);
        let user_home = get("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        let expand = |p: String| expand_user(&p, &user_home);

        let home = match get("HF_HOME") {
            Some(h) => expand(h),
            None => match get("XDG_CACHE_HOME") {
                Some(x) => expand(x).join("huggingface"),
                None => user_home.join(".cache").join("huggingface"),
            },
        };
        let hub_cache = get("HF_HUB_CACHE")
            .or_else(|| get("HUGGINGFACE_HUB_CACHE"))
            .map(expand)
            .unwrap_or_else(|| home.join("hub"));
        let assets_cache = get("HF_ASSETS_CACHE")
            .or_else(|| get("HUGGINGFACE_ASSETS_CACHE"))
            .map(expand)
            .unwrap_or_else(|| home.join("assets"));
        let token_path = get("HF_TOKEN_PATH")
            .map(expand)
            .unwrap_or_else(|| home.join("token"));
        let env_token = get("HF_TOKEN")
            .or_else(|| get("HUGGING_FACE_HUB_TOKEN"))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(crate::Token::new);
        let endpoint = get("HF_ENDPOINT")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let inference_endpoint = get("HF_INFERENCE_ENDPOINT")
            .map(|e| e.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_INFERENCE_ENDPOINT.to_owned());
        let verbosity = get("HF_HUB_VERBOSITY")
            .or_else(|| get("HUGGINGFACE_HUB_VERBOSITY"))
            .and_then(|v| Verbosity::parse(&v))
            .unwrap_or_default();
        let secs = |k: &str, default: u64| {
            get(k)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
                .unwrap_or(Duration::from_secs(default))
        };
        Config {
            endpoint,
            inference_endpoint,
            stored_tokens_path: stored_tokens_next_to(&token_path),
            home,
            hub_cache,
            assets_cache,
            token_path,
            env_token,
            verbosity,
            etag_timeout: secs("HF_HUB_ETAG_TIMEOUT", DEFAULT_ETAG_TIMEOUT_SECS),
            download_timeout: secs("HF_HUB_DOWNLOAD_TIMEOUT", DEFAULT_DOWNLOAD_TIMEOUT_SECS),
            offline: flag("HF_HUB_OFFLINE") || flag("TRANSFORMERS_OFFLINE"),
            disable_implicit_token: flag("HF_HUB_DISABLE_IMPLICIT_TOKEN"),
            disable_progress_bars: flag("HF_HUB_DISABLE_PROGRESS_BARS"),
            disable_symlinks_warning: flag("HF_HUB_DISABLE_SYMLINKS_WARNING"),
            disable_experimental_warning: flag("HF_HUB_DISABLE_EXPERIMENTAL_WARNING"),
            disable_telemetry: flag("HF_HUB_DISABLE_TELEMETRY")
                || flag("DISABLE_TELEMETRY")
                || flag("DO_NOT_TRACK"),
            enable_hf_transfer: flag("HF_HUB_ENABLE_HF_TRANSFER"),
            // NO_COLOR follows its own convention: any non-empty value disables colour.
            no_color: get("NO_COLOR").is_some(),
        }
    }

    /// Starts a builder from the built-in defaults (no environment is read).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// Starts a builder from this config, to override some values.
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            config: self.clone(),
        }
    }
}

/// Python's `os.path.join(os.path.dirname(HF_TOKEN_PATH), "stored_tokens")`.
fn stored_tokens_next_to(token_path: &Path) -> PathBuf {
    token_path
        .parent()
        .unwrap_or(Path::new(""))
        .join("stored_tokens")
}

fn expand_user(p: &str, home: &Path) -> PathBuf {
    if p == "~" {
        home.to_path_buf()
    } else if let Some(rest) = p.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(p)
    }
}

/// Overrides configuration values in code. Created by [`Config::builder`].
#[must_use]
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    /// Sets the Hub endpoint (trailing `/` removed).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.endpoint = endpoint.into().trim_end_matches('/').to_owned();
        self
    }
    /// Sets the serverless inference base URL.
    pub fn inference_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.inference_endpoint = url.into().trim_end_matches('/').to_owned();
        self
    }
    /// Sets `HF_HOME`; the caches and token paths that were derived from the old home follow it.
    pub fn home(mut self, home: impl Into<PathBuf>) -> Self {
        let home = home.into();
        let old = self.config.home.clone();
        let rebase = |p: &mut PathBuf| {
            if let Ok(rest) = p.strip_prefix(&old) {
                *p = home.join(rest);
            }
        };
        rebase(&mut self.config.hub_cache);
        rebase(&mut self.config.assets_cache);
        rebase(&mut self.config.token_path);
        rebase(&mut self.config.stored_tokens_path);
        self.config.home = home;
        self
    }
    /// Sets the repository cache directory.
    pub fn hub_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.hub_cache = dir.into();
        self
    }
    /// Sets the assets cache directory.
    pub fn assets_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.assets_cache = dir.into();
        self
    }
    /// Sets the active token file path; `stored_tokens` moves next to it, as in Python.
    pub fn token_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.token_path = path.into();
        self.config.stored_tokens_path = stored_tokens_next_to(&self.config.token_path);
        self
    }
    /// Sets (or clears) the token that `HF_TOKEN` would give.
    pub fn env_token(mut self, token: Option<crate::Token>) -> Self {
        self.config.env_token = token;
        self
    }
    /// Sets the metadata request timeout.
    pub fn etag_timeout(mut self, timeout: Duration) -> Self {
        self.config.etag_timeout = timeout;
        self
    }
    /// Sets the download request timeout.
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.config.download_timeout = timeout;
        self
    }
    /// Turns offline mode on or off.
    pub fn offline(mut self, offline: bool) -> Self {
        self.config.offline = offline;
        self
    }
    /// Turns `HF_HUB_DISABLE_IMPLICIT_TOKEN` on or off.
    pub fn disable_implicit_token(mut self, disable: bool) -> Self {
        self.config.disable_implicit_token = disable;
        self
    }
    /// Turns progress bars off (read by front ends; the libraries never draw).
    pub fn disable_progress_bars(mut self, disable: bool) -> Self {
        self.config.disable_progress_bars = disable;
        self
    }
    /// Turns telemetry-derived user-agent tokens off.
    pub fn disable_telemetry(mut self, disable: bool) -> Self {
        self.config.disable_telemetry = disable;
        self
    }
    /// Sets the verbosity.
    pub fn verbosity(mut self, verbosity: Verbosity) -> Self {
        self.config.verbosity = verbosity;
        self
    }
    /// Finishes the config.
    pub fn build(self) -> Config {
        self.config
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn boolean_rule_matches_python() {
        for v in ["1", "ON", "on", "Yes", "TRUE", "true", " 1 "] {
            assert!(parse_bool(v), "{v}");
        }
        for v in ["0", "off", "no", "false", "", "2", "y", "t"] {
            assert!(!parse_bool(v), "{v}");
        }
    }

    #[test]
    fn defaults_follow_home() {
        let c = Config::from_vars(&vars(&[("HOME", "/h")]));
        assert_eq!(c.home, PathBuf::from("/h/.cache/huggingface"));
        assert_eq!(c.hub_cache, PathBuf::from("/h/.cache/huggingface/hub"));
        assert_eq!(
            c.assets_cache,
            PathBuf::from("/h/.cache/huggingface/assets")
        );
        assert_eq!(c.token_path, PathBuf::from("/h/.cache/huggingface/token"));
        assert_eq!(c.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(c.inference_endpoint, DEFAULT_INFERENCE_ENDPOINT);
        assert_eq!(c.etag_timeout, Duration::from_secs(10));
        assert!(!c.offline);
    }

    #[test]
    fn xdg_then_hf_home_precedence() {
        let c = Config::from_vars(&vars(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]));
        assert_eq!(c.home, PathBuf::from("/x/huggingface"));
        let c = Config::from_vars(&vars(&[
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "/x"),
            ("HF_HOME", "~/hf"),
        ]));
        assert_eq!(c.home, PathBuf::from("/h/hf"));
        assert_eq!(c.hub_cache, PathBuf::from("/h/hf/hub"));
    }

    #[test]
    fn new_names_win_over_deprecated_ones() {
        let c = Config::from_vars(&vars(&[
            ("HF_HUB_CACHE", "/new"),
            ("HUGGINGFACE_HUB_CACHE", "/old"),
            ("HF_TOKEN", "hf_new"),
            ("HUGGING_FACE_HUB_TOKEN", "hf_old"),
            ("HUGGINGFACE_HUB_VERBOSITY", "debug"),
        ]));
        assert_eq!(c.hub_cache, PathBuf::from("/new"));
        assert_eq!(c.env_token.unwrap().expose(), "hf_new");
        assert_eq!(c.verbosity, Verbosity::Debug);
        let c = Config::from_vars(&vars(&[
            ("HUGGINGFACE_HUB_CACHE", "/old"),
            ("HUGGING_FACE_HUB_TOKEN", "hf_old"),
            ("HUGGINGFACE_ASSETS_CACHE", "/oldassets"),
        ]));
        assert_eq!(c.hub_cache, PathBuf::from("/old"));
        assert_eq!(c.assets_cache, PathBuf::from("/oldassets"));
        assert_eq!(c.env_token.unwrap().expose(), "hf_old");
    }

    #[test]
    fn flags_and_timeouts() {
        let c = Config::from_vars(&vars(&[
            ("HF_HUB_OFFLINE", "yes"),
            ("DO_NOT_TRACK", "1"),
            ("HF_HUB_ETAG_TIMEOUT", "3"),
            ("HF_HUB_DOWNLOAD_TIMEOUT", "bogus"),
            ("HF_ENDPOINT", "http://localhost:9/"),
        ]));
        assert!(c.offline);
        assert!(c.disable_telemetry);
        assert_eq!(c.etag_timeout, Duration::from_secs(3));
        assert_eq!(c.download_timeout, Duration::from_secs(10));
        assert_eq!(c.endpoint, "http://localhost:9");
    }

    #[test]
    fn stored_tokens_follow_the_token_file() {
        let c = Config::from_vars(&vars(&[("HF_HOME", "/hf")]));
        assert_eq!(c.stored_tokens_path, PathBuf::from("/hf/stored_tokens"));
        let c = Config::from_vars(&vars(&[
            ("HF_HOME", "/hf"),
            ("HF_TOKEN_PATH", "/secrets/tok"),
        ]));
        assert_eq!(c.token_path, PathBuf::from("/secrets/tok"));
        assert_eq!(
            c.stored_tokens_path,
            PathBuf::from("/secrets/stored_tokens")
        );
        let c = Config::builder().home("/a").token_path("/b/t").build();
        assert_eq!(c.stored_tokens_path, PathBuf::from("/b/stored_tokens"));
    }

    #[test]
    fn builder_rebases_derived_paths() {
        let c = Config::builder()
            .home("/data/hf")
            .endpoint("http://x/")
            .build();
        assert_eq!(c.hub_cache, PathBuf::from("/data/hf/hub"));
        assert_eq!(c.token_path, PathBuf::from("/data/hf/token"));
        assert_eq!(c.endpoint, "http://x");
    }

    #[test]
    fn debug_never_shows_token() {
        let c = Config::from_vars(&vars(&[("HF_TOKEN", "hf_secretsecret")]));
        assert!(!format!("{c:?}").contains("secretsecret"));
    }
}
