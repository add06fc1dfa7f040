//! `huggingface-cli login`: check a token with the Hub and save it, as the Python CLI does.
//!
//! Messages Python sends through `logging` go to stderr here too; the logo and prompts go to
//! stdout. Without `--token` the token is read without echo from the terminal, or as one line of
//! stdin when stdin is not a terminal (Python's getpass fallback), so scripts can pipe it in.

use std::process::ExitCode;

use clap::Args;
use hub_core::auth::{self, GitCredentialOutcome};
use hub_core::{Token, token};

use crate::context::Context;
use crate::output::{Style, info, say};
use crate::prompt;

/// The logo printed before the interactive prompt.
const HF_LOGO_ASCII: &str = "
    _|    _|  _|    _|    _|_|_|    _|_|_|  _|_|_|  _|      _|    _|_|_|      _|_|_|_|    _|_|      _|_|_|  _|_|_|_|
    _|    _|  _|    _|  _|        _|          _|    _|_|    _|  _|            _|        _|    _|  _|        _|
    _|_|_|_|  _|    _|  _|  _|_|  _|  _|_|    _|    _|  _|  _|  _|  _|_|      _|_|_|    _|_|_|_|  _|        _|_|_|
    _|    _|  _|    _|  _|    _|  _|    _|    _|    _|    _|_|  _|    _|      _|        _|    _|  _|        _|
    _|    _|    _|_|      _|_|_|    _|_|_|  _|_|_|  _|      _|    _|_|_|      _|        _|    _|    _|_|_|  _|_|_|_|
";

/// Arguments of `login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// Token generated from https://huggingface.co/settings/tokens
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Optional: Save token to git credential helper.
    #[arg(long)]
    pub(crate) add_to_git_credential: bool,
}

/// Logs in with `--token`, or asks for the token and for the git-credential choice.
pub(crate) fn execute(args: LoginArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (token, add_to_git) = match args.token {
        Some(t) => {
            if !args.add_to_git_credential {
                info(
                    "The token has not been saved to the git credentials helper. Pass \
                     `add_to_git_credential=True` in this function directly or \
                     `--add-to-git-credential` if using via `huggingface-cli` if you want to set \
                     the git credential as well.",
                );
            }
            (t, args.add_to_git_credential)
        }
        None => {
            say(HF_LOGO_ASCII)?;
            let existing = ctx.config.env_token.is_some()
                || token::read_token_file(&ctx.config.token_path)?.is_some();
            if existing {
                info(
                    "    A token is already saved on your machine. Run `huggingface-cli whoami` to \
                     get more information or `huggingface-cli logout` if you want to log out.",
                );
                info("    Setting a new token will erase the existing one.");
            }
            info(
                "    To log in, `huggingface_hub` requires a token generated from \
                 https://huggingface.co/settings/tokens .",
            );
            let t = prompt::secret("Enter your token (input will not be visible): ")?;
            let add = prompt::confirm("Add token as git credential?", true)?;
            (t, add)
        }
    };
    login_with(ctx, Token::new(token), add_to_git)?;
    Ok(ExitCode::SUCCESS)
}

/// Validates `token` with the Hub and saves it (hub-core's `auth::login`), then reports what
/// happened with the Python CLI's messages.
fn login_with(ctx: &Context, token: Token, add_to_git: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        !token.expose().is_empty(),
        "no token given; paste a token from https://huggingface.co/settings/tokens"
    );
    let client = ctx.client(None)?;
    let login = ctx.block_on(auth::login_with_client(&client, &token, add_to_git))??;
    let role = login.role.as_deref().unwrap_or("unknown");
    info(&format!("Token is valid (permission: {role})."));
    info(&format!(
        "The token `{}` has been saved to {}",
        login.token_name,
        ctx.config.stored_tokens_path.display()
    ));
    report_git_credential(ctx, login.git_credential)?;
    info(&format!(
        "Your token has been saved to {}",
        ctx.config.token_path.display()
    ));
    info("Login successful.");
    if login.env_token_overrides {
        info(
            "Note: Environment variable`HF_TOKEN` is set and is the current active token \
             independently from the token you've just configured.",
        );
    } else {
        info(&format!(
            "The current active token is: `{}`",
            login.token_name
        ));
    }
    Ok(())
}

/// The messages about the git credential store, shared with `auth switch`.
pub(crate) fn report_git_credential(
    ctx: &Context,
    outcome: GitCredentialOutcome,
) -> anyhow::Result<()> {
    match outcome {
        GitCredentialOutcome::NotRequested => {}
        GitCredentialOutcome::Saved => {
            let helpers = auth::list_credential_helpers(None).unwrap_or_default();
            info(&format!(
                "Your token has been saved in your configured git credential helpers ({}).",
                helpers.join(",")
            ));
        }
        GitCredentialOutcome::NoHelperConfigured => {
            say(&Style::new(ctx.ansi).red(
                "Cannot authenticate through git-credential as no helper is defined on your machine.\n\
                 You might have to re-authenticate when pushing to the Hugging Face Hub.\n\
                 Run the following command in your terminal in case you want to set the 'store' \
                 credential helper as default.\n\ngit config --global credential.helper store\n\n\
                 Read https://git-scm.com/book/en/v2/Git-Tools-Credential-Storage for more details.",
            ))?;
            info("Token has not been saved to git credential helper.");
        }
        // GitCredentialOutcome is non-exhaustive in spirit; nothing to say for unknown outcomes.
        #[allow(unreachable_patterns)]
        _ => {}
    }
    Ok(())
}
