//! `huggingface-cli upload-large-folder REPO LOCAL_PATH`: resumable multi-worker upload.

use std::process::ExitCode;

use clap::Args;

use crate::commands::common::RepoTypeArg;
use crate::context::Context;

/// Arguments of `upload-large-folder`.
#[derive(Debug, Args)]
pub(crate) struct UploadLargeFolderArgs {
    /// The ID of the repo to upload to (e.g. `username/repo-name`).
    pub(crate) repo_id: String,
    /// Local path to the file or folder to upload.
    pub(crate) local_path: String,
    /// Type of the repo to upload to (e.g. `dataset`). Required.
    #[arg(long, value_enum)]
    pub(crate) repo_type: Option<RepoTypeArg>,
    /// An optional Git revision to push to. It can be a branch name or a PR reference.
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// Whether to create a private repo if repo doesn't exist on the Hub. Ignored if the repo
    /// already exists.
    #[arg(long)]
    pub(crate) private: bool,
    /// Glob patterns to match files to upload.
    #[arg(long, num_args = 0..)]
    pub(crate) include: Option<Vec<String>>,
    /// Glob patterns to exclude from files to upload.
    #[arg(long, num_args = 0..)]
    pub(crate) exclude: Option<Vec<String>>,
    /// A User Access Token generated from https://huggingface.co/settings/tokens
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Number of workers to use to hash, upload and commit files.
    #[arg(long)]
    pub(crate) num_workers: Option<usize>,
    /// Whether to disable regular status report.
    #[arg(long)]
    pub(crate) no_report: bool,
    /// Whether to disable progress bars.
    #[arg(long)]
    pub(crate) no_bars: bool,
}

/// Runs `upload-large-folder`.
pub(crate) fn execute(_args: UploadLargeFolderArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("upload-large-folder: not available yet")
}
