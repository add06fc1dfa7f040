//! [`Context`]: what every command shares — the configuration read from the environment, the
//! colour setting, and a tokio runtime and Hub client built only when a command needs them.
//!
//! Nothing here touches the network or spawns threads until a command asks: `huggingface-cli
//! version` must start in a few milliseconds, and building a multi-threaded runtime plus a TLS
//! client costs more than the whole command.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use hub_core::{Config, HubClient, NoProgress, ProgressSink, Token};

use crate::cli::GlobalArgs;
use crate::progress::Bars;

/// The version printed by `huggingface-cli version` and sent in the user-agent.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Shared state of one invocation.
pub(crate) struct Context {
    /// Configuration from the environment (`HF_HOME`, `HF_ENDPOINT`, `HF_TOKEN`, ...).
    pub(crate) config: Config,
    /// Whether ANSI styling may be written to stdout.
    pub(crate) ansi: bool,
    runtime: OnceLock<tokio::runtime::Runtime>,
}

impl Context {
    /// Reads the environment and sets up logging; cheap.
    pub(crate) fn new(global: &GlobalArgs) -> Self {
        let config = Config::from_env();
        init_tracing(global.verbose, &config);
        let ansi = !config.no_color && std::io::stdout().is_terminal();
        Context {
            config,
            ansi,
            runtime: OnceLock::new(),
        }
    }

    /// A Hub client for this invocation: `--token` when given, else `HF_TOKEN`, else the token
    /// file, as the Python CLI.
    pub(crate) fn client(&self, token: Option<&str>) -> anyhow::Result<HubClient> {
        let token = token.map(Token::new).filter(|t| !t.expose().is_empty());
        HubClient::builder()
            .config(self.config.clone())
            .maybe_token(token)
            .library("huggingface-cli", VERSION)
            .build()
            .context("cannot set up the HTTP client")
    }

    /// Runs `fut` to completion on the runtime, building the runtime on first use.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> anyhow::Result<F::Output> {
        let rt = match self.runtime.get() {
            Some(rt) => rt,
            None => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                self.runtime.get_or_init(|| rt)
            }
        };
        Ok(rt.block_on(fut))
    }

    /// The progress sink for transfers: indicatif bars on stderr, or nothing when `quiet`,
    /// `HF_HUB_DISABLE_PROGRESS_BARS` is set, or stderr is not a terminal.
    pub(crate) fn progress(&self, quiet: bool) -> Arc<dyn ProgressSink> {
        if quiet || self.config.disable_progress_bars || !std::io::stderr().is_terminal() {
            Arc::new(NoProgress)
        } else {
            Arc::new(Bars::new())
        }
    }
}

/// Installs a tracing subscriber on stderr. Level: `-v` (info), `-vv` (debug), `-vvv` (trace),
/// else `HF_HUB_VERBOSITY`, else warnings only — the Python library's default.
fn init_tracing(verbose: u8, config: &Config) {
    use hub_core::config::Verbosity;
    use tracing::level_filters::LevelFilter;
    let level = match verbose {
        0 => match config.verbosity {
            Verbosity::Debug => LevelFilter::DEBUG,
            Verbosity::Info => LevelFilter::INFO,
            Verbosity::Warning => LevelFilter::WARN,
            Verbosity::Error | Verbosity::Critical => LevelFilter::ERROR,
        },
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let detailed = level > LevelFilter::WARN;
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_ansi(!config.no_color && std::io::stderr().is_terminal())
        .with_target(detailed);
    // Warnings read like the Python CLI's (just the message); with -v, show level and timing.
    let result = if detailed {
        builder.try_init()
    } else {
        builder.without_time().with_level(false).try_init()
    };
    // Only fails if a subscriber is already set (never in this binary); nothing to report.
    drop(result);
}
