//! `huggingface-cli version`: prints the version. Builds no runtime and no client.

use std::process::ExitCode;

use clap::Args;

use crate::context::{Context, VERSION};
use crate::output::{Lines, Style, emit};

/// Arguments of `version` (none).
#[derive(Debug, Args)]
pub(crate) struct VersionArgs {}

/// Prints `huggingface_hub version: X` as the Python CLI does, naming this implementation.
pub(crate) fn execute(_args: VersionArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    emit(
        &Lines::one(format!("huggingface_hub version: {VERSION} (hub-rs)")),
        Style::new(ctx.ansi),
    )?;
    Ok(ExitCode::SUCCESS)
}
