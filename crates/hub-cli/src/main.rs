//! `huggingface-cli`: the Hugging Face Hub command line, in Rust.
//!
//! The binary is thin, as ripgrep's: [`cli::Cli`] parses the arguments, [`run`] dispatches to one
//! module per subcommand under [`commands`], whose `execute` returns data that [`output`] renders,
//! and `main` maps the result to an exit code. All Hub logic lives in the libraries (hub-core,
//! hub-cache, hub-upload); this crate only turns flags into library calls and results into text.
//!
//! Startup is lazy on purpose: `version`, `env` and `completion` never build a tokio runtime or an
//! HTTP client, so they start in a few milliseconds (see [`context::Context`]).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod cli;
mod commands;
mod context;
mod errors;
mod output;
mod progress;
mod prompt;
mod select;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed stdout (`huggingface-cli scan-cache | head`) is not a failure: the reader
            // got what it wanted. Exit quietly and successfully, as ripgrep does.
            if errors::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            errors::print_error(&err);
            ExitCode::FAILURE
        }
    }
}

/// Sets up logging and runs the chosen subcommand.
fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let ctx = context::Context::new(&cli.global);
    commands::dispatch(cli.command, &ctx)
}
