//! `huggingface-cli repo create NAME`: create a repository under your account or an organisation.

use std::process::ExitCode;

use std::process::Command;

use clap::{Args, Subcommand};
use hub_core::{RepoId, RepoType};

use crate::context::Context;
use crate::output::{Lines, Style, emit, say};
use crate::prompt;

/// Arguments of `repo`.
#[derive(Debug, Args)]
pub(crate) struct RepoArgs {
    /// huggingface.co repos related commands
    #[command(subcommand)]
    pub(crate) command: RepoCommand,
}

/// `repo` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RepoCommand {
    /// Create a new repo on huggingface.co
    Create(CreateArgs),
}

/// Space SDKs accepted by `--space_sdk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SpaceSdk {
    /// Gradio app.
    Gradio,
    /// Streamlit app.
    Streamlit,
    /// Docker container.
    Docker,
    /// Static HTML.
    Static,
}

/// Arguments of `repo create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name for your repo. Will be namespaced under your username to build the repo id.
    pub(crate) name: String,
    /// Optional: repo_type: set to "dataset" or "space" if creating a dataset or space, default is model.
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) repo_type: Option<String>,
    /// Optional: organization namespace.
    #[arg(long)]
    pub(crate) organization: Option<String>,
    /// Optional: Hugging Face Spaces SDK type. Required when --type is set to "space".
    #[arg(long = "space_sdk", alias = "space-sdk", value_enum)]
    pub(crate) space_sdk: Option<SpaceSdk>,
    /// Optional: create a private repository.
    #[arg(long)]
    pub(crate) private: bool,
    /// Optional: answer Yes to the prompt
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    /// A User Access Token generated from https://huggingface.co/settings/tokens
    #[arg(long)]
    pub(crate) token: Option<String>,
}

impl From<SpaceSdk> for hub_core::types::SpaceSdk {
    fn from(value: SpaceSdk) -> Self {
        match value {
            SpaceSdk::Gradio => hub_core::types::SpaceSdk::Gradio,
            SpaceSdk::Streamlit => hub_core::types::SpaceSdk::Streamlit,
            SpaceSdk::Docker => hub_core::types::SpaceSdk::Docker,
            SpaceSdk::Static => hub_core::types::SpaceSdk::Static,
        }
    }
}

/// Runs `repo create`.
pub(crate) fn execute(args: RepoArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        RepoCommand::Create(a) => create(a, ctx),
    }
}

/// The first line of `program --version`, if the program runs.
fn tool_version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next().unwrap_or_default().trim().to_owned())
}

fn create(args: CreateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let style = Style::new(ctx.ansi);
    let client = ctx.client(args.token.as_deref())?;
    client.require_token()?;
    let repo_type: RepoType = match args.repo_type.as_deref() {
        None => RepoType::Model,
        Some(t @ ("model" | "dataset" | "space")) => t.parse()?,
        Some(other) => anyhow::bail!("Invalid repo --type '{other}': use model, dataset or space."),
    };
    if repo_type == RepoType::Space && args.space_sdk.is_none() {
        anyhow::bail!(
            "--space_sdk is required when --type is space (gradio, streamlit, docker or static)."
        );
    }
    // The Python CLI shows which git and git-lfs it found, since the next step is `git clone`.
    match tool_version("git") {
        Some(v) => say(&style.gray(&v))?,
        None => say("Looks like you do not have git installed, please install.")?,
    }
    match tool_version("git-lfs") {
        Some(v) => say(&style.gray(&v))?,
        None => say(&style.red(
            "Looks like you do not have git-lfs installed, please install. You can install from \
             https://git-lfs.github.com/. Then run `git lfs install` (you only have to do this once).",
        ))?,
    }
    say("")?;
    let api = client.api();
    let namespace = match args.organization {
        Some(org) => org,
        None => ctx.block_on(api.whoami())??.name,
    };
    let repo_id = RepoId::new(format!("{namespace}/{}", args.name))?;
    say(&format!(
        "You are about to create {}",
        style.bold(&format!("{}{repo_id}", repo_type.url_prefix()))
    ))?;
    if !args.yes && !prompt::proceed()? {
        say("Abort")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut builder = api
        .create_repo(&repo_id)
        .repo_type(repo_type)
        .private(args.private);
    if let Some(sdk) = args.space_sdk {
        builder = builder.space_sdk(sdk.into());
    }
    let url = ctx.block_on(builder.send())??;
    let url = url.url();
    emit(
        &Lines(vec![
            "\nYour repo now lives at:".to_owned(),
            format!("  {}", style.bold(url)),
            "\nYou can clone it locally with the command below, and commit/push as usual."
                .to_owned(),
            format!("\n  git clone {url}"),
            String::new(),
        ]),
        style,
    )?;
    Ok(ExitCode::SUCCESS)
}
