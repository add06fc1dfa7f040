//! `huggingface-cli completion SHELL`: prints a completion script generated from the grammar.

use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;

/// Arguments of `completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// The shell to generate the script for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// Writes the script to stdout.
pub(crate) fn execute(args: CompletionArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    // Generate into memory first: clap_complete panics on a write error, and a closed pipe
    // (`huggingface-cli completion bash | head`) must not panic.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "huggingface-cli", &mut script);
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &script)?;
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
