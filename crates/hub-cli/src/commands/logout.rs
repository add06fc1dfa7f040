//! `huggingface-cli logout [--token-name NAME]`: forget all saved tokens, or one.

use std::process::ExitCode;

use clap::Args;
use hub_core::auth::{self, LogoutOutcome};

use crate::context::Context;
use crate::output::info;

/// Arguments of `logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// Optional: Name of the access token to log out from.
    #[arg(long)]
    pub(crate) token_name: Option<String>,
}

/// Deletes the token files (or one stored token) with hub-core's `auth::logout`, erases the git
/// credential, and fails when `HF_TOKEN` keeps the user logged in anyway.
pub(crate) fn execute(args: LogoutArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let c = &ctx.config;
    let name = args.token_name.as_deref().filter(|n| !n.is_empty());
    let result = auth::logout(c, name);
    match &result {
        Ok(LogoutOutcome::NotLoggedIn) => {
            info("Not logged in!");
            return Ok(ExitCode::SUCCESS);
        }
        Ok(LogoutOutcome::LoggedOutAll) => info("Successfully logged out from all access tokens."),
        Ok(LogoutOutcome::LoggedOut(n)) => {
            info(&format!("Successfully logged out from access token: {n}."));
        }
        Err(_) => {}
    }
    // Best effort, as in Python: a machine without git simply has no credential to erase.
    if let Err(e) = auth::unset_git_credential(&c.endpoint, auth::GIT_CREDENTIAL_USERNAME, None) {
        tracing::debug!("git credential reject: {e}");
    }
    result?;
    Ok(ExitCode::SUCCESS)
}
