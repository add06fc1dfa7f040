//! `huggingface-cli logout [--token-name NAME]`: forget all saved tokens, or one.

use std::process::ExitCode;

use clap::Args;
use hub_core::token;

use crate::commands::git_credential;
use crate::context::Context;
use crate::output::info;

/// Arguments of `logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// Optional: Name of the access token to log out from.
    #[arg(long)]
    pub(crate) token_name: Option<String>,
}

/// Deletes the token files (or one stored token), erases the git credential, and fails when
/// `HF_TOKEN` keeps the user logged in anyway.
pub(crate) fn execute(args: LogoutArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let c = &ctx.config;
    let active = token::read_token_file(&c.token_path)?;
    let mut stored = token::read_stored_tokens(&c.stored_tokens_path)?;
    if active.is_none() && c.env_token.is_none() && stored.is_empty() {
        info("Not logged in!");
        return Ok(ExitCode::SUCCESS);
    }
    match args.token_name.as_deref().filter(|n| !n.is_empty()) {
        None => {
            for path in [&c.token_path, &c.stored_tokens_path] {
                remove_if_exists(path)?;
            }
            info("Successfully logged out from all access tokens.");
        }
        Some(name) => {
            if let Some(removed) = stored.remove(name) {
                token::write_stored_tokens(&c.stored_tokens_path, &stored)?;
                if active.as_ref() == Some(&removed) {
                    info(&format!("Active token '{name}' has been deleted."));
                    remove_if_exists(&c.token_path)?;
                }
            }
            info(&format!("Successfully logged out from access token: {name}."));
        }
    }
    // Best effort, as in Python: a machine without git simply has no credential to erase.
    if let Err(e) = git_credential::reject(&c.endpoint) {
        tracing::debug!("git credential reject: {e:#}");
    }
    anyhow::ensure!(
        c.env_token.is_none(),
        "Token has been deleted from your machine but you are still logged in. To log out, you \
         must clear out both `HF_TOKEN` and `HUGGING_FACE_HUB_TOKEN` environment variables."
    );
    Ok(ExitCode::SUCCESS)
}

fn remove_if_exists(path: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("deleting {}", path.display()))),
    }
}
