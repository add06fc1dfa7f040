//! `huggingface-cli login`: check a token with the Hub and save it, as the Python CLI does.
//!
//! Messages Python sends through `logging` go to stderr here too; the logo and prompts go to
//! stdout. Without `--token` the token is read without echo from the terminal, or as one line of
//! stdin when stdin is not a terminal (Python's getpass fallback), so scripts can pipe it in.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use hub_core::{Token, token};

use crate::commands::git_credential;
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

/// Validates `token` with whoami, stores it under its name and makes it the active token.
fn login_with(ctx: &Context, token: Token, add_to_git: bool) -> anyhow::Result<()> {
    anyhow::ensure!(!token.expose().is_empty(), "no token given; paste a token from https://huggingface.co/settings/tokens");
    anyhow::ensure!(
        !token.is_org_token(),
        "You must use your personal account token, not an organization token."
    );
    let client = ctx.client(Some(token.expose()))?;
    let me = ctx
        .block_on(client.api().whoami())?
        .context("the Hub did not accept this token (is it valid, and is HF_ENDPOINT right?)")?;
    let access = me.auth.as_ref().and_then(|a| a.access_token.as_ref());
    let permission = access.and_then(|a| a.role.clone()).unwrap_or_else(|| "unknown".to_owned());
    info(&format!("Token is valid (permission: {permission})."));
    let name = access
        .and_then(|a| a.display_name.clone())
        .context("the Hub's whoami answer does not name this token (auth.accessToken.displayName)")?;
    let stored_path = &ctx.config.stored_tokens_path;
    let mut stored = token::read_stored_tokens(stored_path)?;
    stored.insert(name.clone(), token.clone());
    token::write_stored_tokens(stored_path, &stored)?;
    info(&format!("The token `{name}` has been saved to {}", stored_path.display()));
    set_active_token(ctx, &name, add_to_git)?;
    info("Login successful.");
    if ctx.config.env_token.is_some() {
        info(
            "Note: Environment variable`HF_TOKEN` is set and is the current active token \
             independently from the token you've just configured.",
        );
    } else {
        info(&format!("The current active token is: `{name}`"));
    }
    Ok(())
}

/// Makes stored token `name` the active one (token file), optionally saving it in git's
/// credential helpers. Shared with `auth switch`.
pub(crate) fn set_active_token(ctx: &Context, name: &str, add_to_git: bool) -> anyhow::Result<()> {
    let stored = token::read_stored_tokens(&ctx.config.stored_tokens_path)?;
    let tok = stored.get(name).with_context(|| {
        format!("Token {name} not found in {}", ctx.config.stored_tokens_path.display())
    })?;
    if add_to_git {
        let helpers = git_credential::list_helpers();
        if helpers.is_empty() {
            say(&Style::new(ctx.ansi).red(
                "Cannot authenticate through git-credential as no helper is defined on your machine.\n\
                 You might have to re-authenticate when pushing to the Hugging Face Hub.\n\
                 Run the following command in your terminal in case you want to set the 'store' \
                 credential helper as default.\n\ngit config --global credential.helper store\n\n\
                 Read https://git-scm.com/book/en/v2/Git-Tools-Credential-Storage for more details.",
            ))?;
            info("Token has not been saved to git credential helper.");
        } else {
            git_credential::approve(&ctx.config.endpoint, tok.expose())?;
            info(&format!(
                "Your token has been saved in your configured git credential helpers ({}).",
                helpers.join(",")
            ));
        }
    }
    token::write_token_file(&ctx.config.token_path, tok)?;
    info(&format!("Your token has been saved to {}", ctx.config.token_path.display()));
    Ok(())
}
