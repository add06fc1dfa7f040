//! hub-rs development tasks, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! * `venv`  — create the pinned Python clients used by the interop suite;
//! * `test`  — everything CI checks: fmt, clippy, the whole test-suite incl. interop;
//! * `demo`  — a local hub-server, an upload and a download with `huggingface-cli`, offline;
//! * `bench` — wall time and peak memory of hub-rs against the Python client.

mod bench;
mod bench_download;
mod bench_floor;
mod bench_fs;
mod bench_scan;
mod bench_transfer;
// Owned by the hub-upload engineer; its entry point is `pub` rather than `pub(crate)`.
#[allow(unreachable_pub)]
mod bench_upload;
mod demo;
mod hubserver;
mod test;
mod util;
mod venv;

use std::path::PathBuf;

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
    /// fmt + clippy + venvs + all tests (nextest, incl. slow and interop) + doctests.
    Test(test::TestArgs),
    /// Start a local hub-server, upload and download a sample folder with huggingface-cli.
    Demo,
    /// Benchmarks against the Python client (release builds).
    Bench(bench::BenchArgs),
    /// Internal: run a command and write its wall time and peak RSS to REPORT.
    #[command(name = "__measure", hide = true)]
    Measure {
        /// Where to write the JSON report.
        report: PathBuf,
        /// The command to run.
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Venv => venv::ensure_all(),
        Cmd::Test(args) => test::run_all(&args),
        Cmd::Demo => demo::run_demo(),
        Cmd::Bench(args) => bench::run_bench(&args),
        Cmd::Measure { report, argv } => bench::measure_child(&report, &argv),
    }
}
