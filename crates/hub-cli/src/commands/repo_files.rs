//! `huggingface-cli repo-files REPO delete PATTERNS...`: delete files from a repo in one commit.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use hub_core::RepoId;
use hub_upload::UploadExt;

use crate::commands::common::RepoTypeArg;
use crate::context::Context;
use crate::output::{Lines, Style, emit};

/// Arguments of `repo-files`.
#[derive(Debug, Args)]
pub(crate) struct RepoFilesArgs {
    /// The ID of the repo to manage (e.g. `username/repo-name`).
    pub(crate) repo_id: String,
    /// A User Access Token generated from https://huggingface.co/settings/tokens
    #[arg(long, global = true)]
    pub(crate) token: Option<String>,
    /// Action to execute against the files.
    #[command(subcommand)]
    pub(crate) action: RepoFilesAction,
}

/// `repo-files` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum RepoFilesAction {
    /// Delete files from a repo on the Hub
    Delete(DeleteArgs),
}

/// Arguments of `repo-files REPO delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Glob patterns to match files to delete.
    #[arg(required = true)]
    pub(crate) patterns: Vec<String>,
    /// Type of the repo to upload to (e.g. `dataset`).
    #[arg(long, value_enum, default_value_t = RepoTypeArg::Model)]
    pub(crate) repo_type: RepoTypeArg,
    /// An optional Git revision to push to. It can be a branch name or a PR reference.
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// The summary / title / first line of the generated commit.
    #[arg(long)]
    pub(crate) commit_message: Option<String>,
    /// The description of the generated commit.
    #[arg(long)]
    pub(crate) commit_description: Option<String>,
    /// Whether to create a new Pull Request for these changes.
    #[arg(long)]
    pub(crate) create_pr: bool,
}

/// Runs `repo-files REPO delete`: one commit deleting every file matching the patterns (paths,
/// folders with a trailing `/`, Unix wildcards).
pub(crate) fn execute(args: RepoFilesArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let RepoFilesAction::Delete(del) = args.action;
    let repo_id = RepoId::new(&args.repo_id)?;
    let client = ctx.client(args.token.as_deref())?;
    client.require_token()?;
    let mut b = client
        .delete_files(&repo_id, del.patterns.clone())
        .repo_type(del.repo_type.into())
        .create_pr(del.create_pr);
    if let Some(r) = &del.revision {
        b = b.revision(r);
    }
    if let Some(m) = &del.commit_message {
        b = b.commit_message(m);
    }
    if let Some(d) = &del.commit_description {
        b = b.commit_description(d);
    }
    let commit = ctx.block_on(b.send())??;
    emit(
        &Lines::one(format!(
            "Files correctly deleted from repo. Commit: {}.",
            commit.commit_url
        )),
        Style::new(ctx.ansi),
    )?;
    Ok(ExitCode::SUCCESS)
}
