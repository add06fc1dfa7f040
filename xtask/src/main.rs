//! hub-rs development tasks, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! * `venv`  — create the pinned Python clients used by the interop suite;
//! * `test`  — everything CI checks: fmt, clippy, the whole test-suite incl. interop;
//! * `demo`  — a local hub-server, an upload and a download with `huggingface-cli`, offline;
//! * `bench` — wall time and peak memory of hub-rs against the Python client.

mod util;
mod venv;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "hub-rs development tasks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create (or check) the Python venvs under .venv/ used by the interop tests.
    Venv,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Venv => venv::ensure_all(),
    }
}
