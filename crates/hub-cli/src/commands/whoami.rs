//! `huggingface-cli whoami`: the account behind the current token, and its organisations.

use std::process::ExitCode;

use clap::Args;
use hub_core::config::DEFAULT_ENDPOINT;

use crate::context::Context;
use crate::output::{Lines, Style, emit};

/// Arguments of `whoami`.
#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    /// A User Access Token generated from https://huggingface.co/settings/tokens (default: the
    /// saved one or HF_TOKEN).
    #[arg(long)]
    pub(crate) token: Option<String>,
}

/// Prints the user name, then `orgs:  a,b` when the user belongs to organisations, then the
/// endpoint when it is not the public Hub.
pub(crate) fn execute(args: WhoamiArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let client = ctx.client(args.token.as_deref())?;
    // Checked before any HTTP so "not logged in" never costs a round trip.
    client.require_token()?;
    let me = ctx.block_on(client.api().whoami())??;
    let style = Style::new(ctx.ansi);
    let mut lines = vec![me.name.clone()];
    let orgs: Vec<&str> = me.orgs.iter().map(|o| o.name.as_str()).collect();
    if !orgs.is_empty() {
        // Python's print(bold("orgs: "), ",".join(orgs)): the separator adds a second space.
        lines.push(format!("{} {}", style.bold("orgs: "), orgs.join(",")));
    }
    if client.endpoint() != DEFAULT_ENDPOINT {
        lines.push(format!(
            "Authenticated through private endpoint: {}",
            client.endpoint()
        ));
    }
    emit(&Lines(lines), style)?;
    Ok(ExitCode::SUCCESS)
}
