//! `huggingface-cli env`: machine and configuration details to paste in a bug report.
//!
//! Builds no HTTP client unless a token is saved: only the `Who am I ?` line needs the network.

use std::process::ExitCode;

use clap::Args;

use crate::commands::common::seconds;
use crate::context::{Context, VERSION};
use crate::output::{Lines, Style, emit};

/// Arguments of `env` (none).
#[derive(Debug, Args)]
pub(crate) struct EnvArgs {}

/// Python-only entries of the Python CLI's report; a Rust build has none of these libraries.
const PYTHON_LIBRARIES: [&str; 14] = [
    "FastAI",
    "Tensorflow",
    "Torch",
    "Jinja2",
    "Graphviz",
    "keras",
    "Pydot",
    "Pillow",
    "hf_transfer",
    "gradio",
    "tensorboard",
    "numpy",
    "pydantic",
    "aiohttp",
];

/// Prints the report in the Python CLI's key order.
pub(crate) fn execute(_args: EnvArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let report = collect(ctx);
    let mut lines = vec![
        String::new(),
        "Copy-and-paste the text below in your GitHub issue.".to_owned(),
        String::new(),
    ];
    lines.extend(report.iter().map(|(k, v)| format!("- {k}: {v}")));
    lines.push(String::new());
    emit(&Lines(lines), Style::new(ctx.ansi))?;
    Ok(ExitCode::SUCCESS)
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

fn collect(ctx: &Context) -> Vec<(&'static str, String)> {
    let c = &ctx.config;
    let mut info: Vec<(&'static str, String)> = vec![
        ("huggingface_hub version", format!("{VERSION} (hub-rs)")),
        (
            "Platform",
            format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        ),
        ("Python version", "N/A".to_owned()),
        ("Running in iPython ?", "No".to_owned()),
        ("Running in notebook ?", "No".to_owned()),
        ("Running in Google Colab ?", "No".to_owned()),
        ("Running in Google Colab Enterprise ?", "No".to_owned()),
        ("Token path ?", c.token_path.display().to_string()),
    ];
    let has_token = c.env_token.is_some()
        || hub_core::token::read_token_file(&c.token_path)
            .ok()
            .flatten()
            .is_some();
    info.push(("Has saved token ?", py_bool(has_token)));
    if has_token {
        // As in Python, a failing whoami just leaves the line out.
        let who = ctx
            .client(None)
            .ok()
            .and_then(|client| {
                ctx.block_on(async move { client.api().whoami().await })
                    .ok()
            })
            .and_then(Result::ok);
        if let Some(me) = who {
            info.push(("Who am I ?", me.name));
        }
    }
    if let Ok(helpers) = hub_core::auth::list_credential_helpers(None) {
        info.push(("Configured git credential helpers", helpers.join(", ")));
    }
    for lib in PYTHON_LIBRARIES {
        info.push((lib, "N/A".to_owned()));
    }
    let progress_bars = std::env::var_os("HF_HUB_DISABLE_PROGRESS_BARS")
        .map(|_| py_bool(c.disable_progress_bars))
        .unwrap_or_else(|| "None".to_owned());
    info.extend([
        ("ENDPOINT", c.endpoint.clone()),
        ("HF_HUB_CACHE", c.hub_cache.display().to_string()),
        ("HF_ASSETS_CACHE", c.assets_cache.display().to_string()),
        ("HF_TOKEN_PATH", c.token_path.display().to_string()),
        (
            "HF_STORED_TOKENS_PATH",
            c.stored_tokens_path.display().to_string(),
        ),
        ("HF_HUB_OFFLINE", py_bool(c.offline)),
        ("HF_HUB_DISABLE_TELEMETRY", py_bool(c.disable_telemetry)),
        ("HF_HUB_DISABLE_PROGRESS_BARS", progress_bars),
        (
            "HF_HUB_DISABLE_SYMLINKS_WARNING",
            py_bool(c.disable_symlinks_warning),
        ),
        (
            "HF_HUB_DISABLE_EXPERIMENTAL_WARNING",
            py_bool(c.disable_experimental_warning),
        ),
        (
            "HF_HUB_DISABLE_IMPLICIT_TOKEN",
            py_bool(c.disable_implicit_token),
        ),
        ("HF_HUB_ENABLE_HF_TRANSFER", py_bool(c.enable_hf_transfer)),
        ("HF_HUB_ETAG_TIMEOUT", seconds(c.etag_timeout)),
        ("HF_HUB_DOWNLOAD_TIMEOUT", seconds(c.download_timeout)),
    ]);
    info
}
