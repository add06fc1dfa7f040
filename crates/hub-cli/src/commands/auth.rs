//! `huggingface-cli auth switch|list`: choose among the tokens saved by `login`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use hub_core::{auth, token};

use crate::commands::login::report_git_credential;
use crate::context::Context;
use crate::output::{Lines, Style, emit, info, say};
use crate::prompt;

/// Arguments of `auth`.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// Authentication subcommands
    #[command(subcommand)]
    pub(crate) command: AuthCommand,
}

/// `auth` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Switch between access tokens
    Switch(SwitchArgs),
    /// List all stored access tokens
    List,
}

/// Arguments of `auth switch`.
#[derive(Debug, Args)]
pub(crate) struct SwitchArgs {
    /// Optional: Name of the access token to switch to.
    #[arg(long)]
    pub(crate) token_name: Option<String>,
    /// Optional: Save token to git credential helper.
    #[arg(long)]
    pub(crate) add_to_git_credential: bool,
}

/// Runs `auth switch` or `auth list`.
pub(crate) fn execute(args: AuthArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        AuthCommand::Switch(a) => switch(a, ctx),
        AuthCommand::List => list(ctx),
    }
}

fn switch(args: SwitchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let name = match args.token_name {
        Some(n) => Some(n),
        None => select_token_name(ctx)?,
    };
    let Some(name) = name else {
        say("No token name provided. Aborting.")?;
        return Ok(ExitCode::SUCCESS);
    };
    let switched = auth::auth_switch(&ctx.config, &name, args.add_to_git_credential)?;
    report_git_credential(ctx, switched.git_credential)?;
    info(&format!(
        "Your token has been saved to {}",
        ctx.config.token_path.display()
    ));
    info(&format!(
        "The current active token is: {}",
        switched.token_name
    ));
    if switched.env_token_overrides {
        info(
            "The environment variable `HF_TOKEN` is set and will override the access token you've \
             just switched to.",
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The numbered menu of Python's fallback selector (used for terminals and pipes alike).
fn select_token_name(ctx: &Context) -> anyhow::Result<Option<String>> {
    let names = auth::auth_list(&ctx.config)?.names;
    if names.is_empty() {
        info("No stored tokens found. Please login first.");
        return Ok(None);
    }
    say("Available stored tokens:")?;
    for (i, n) in names.iter().enumerate() {
        say(&format!("{}. {n}", i + 1))?;
    }
    loop {
        let Some(choice) =
            prompt::input("Enter the number of the token to switch to (or 'q' to quit): ")?
        else {
            return Ok(None);
        };
        if choice.eq_ignore_ascii_case("q") {
            return Ok(None);
        }
        match choice.trim().parse::<usize>() {
            Ok(i) if (1..=names.len()).contains(&i) => return Ok(Some(names[i - 1].clone())),
            Ok(_) => say("Invalid selection. Please try again.")?,
            Err(_) => say("Invalid input. Please enter a number or 'q' to quit.")?,
        }
    }
}

fn list(ctx: &Context) -> anyhow::Result<ExitCode> {
    let list = auth::auth_list(&ctx.config)?;
    if list.names.is_empty() {
        info("No access tokens found.");
        return Ok(ExitCode::SUCCESS);
    }
    // The masked secrets shown in the second column come from the stored tokens file.
    let tokens = token::read_stored_tokens(&ctx.config.stored_tokens_path)?;
    let width = list
        .names
        .iter()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .max("token".len())
        + 2;
    let mut lines = vec![
        format!("  {:<width$}| {:<15}", "name", "token"),
        format!("{}|{}", "-".repeat(width + 2), "-".repeat(15)),
    ];
    for name in &list.names {
        let is_current = list.active.as_ref() == Some(name);
        let secret = tokens.get(name).map(|t| t.expose()).unwrap_or("<not set>");
        let n = secret.chars().count();
        let head: String = secret.chars().take(3).collect();
        let tail: String = secret.chars().skip(n.saturating_sub(4)).collect();
        let masked = if tokens.contains_key(name) {
            format!("{head}****{tail}")
        } else {
            secret.to_owned()
        };
        let mark = if is_current { "*" } else { " " };
        lines.push(format!("{mark} {name:<width$}| {masked:<15}"));
    }
    emit(&Lines(lines), Style::new(ctx.ansi))?;
    if list.env_token_set {
        info(
            "\nNote: Environment variable `HF_TOKEN` is set and is the current active token \
             independently from the stored tokens listed above.",
        );
    } else if list.active.is_none() {
        info(
            "\nNote: No active token is set and no environment variable `HF_TOKEN` is found. Use \
             `huggingface-cli login` to log in.",
        );
    }
    Ok(ExitCode::SUCCESS)
}
