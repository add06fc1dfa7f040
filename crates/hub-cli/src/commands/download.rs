//! `huggingface-cli download REPO [FILES...]`: download files or a whole snapshot.

use std::process::ExitCode;

use clap::Args;
use hub_cache::CacheExt;
use hub_core::{RepoId, RepoType};

use crate::commands::common::RepoTypeArg;
use crate::context::Context;
use crate::output::{Lines, Style, emit};

/// Arguments of `download`.
#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// ID of the repo to download from (e.g. `username/repo-name`).
    pub(crate) repo_id: String,
    /// Files to download (e.g. `config.json`, `data/metadata.jsonl`).
    pub(crate) filenames: Vec<String>,
    /// Type of repo to download from (defaults to 'model').
    #[arg(long, value_enum, default_value_t = RepoTypeArg::Model)]
    pub(crate) repo_type: RepoTypeArg,
    /// An optional Git revision id which can be a branch name, a tag, or a commit hash.
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// Glob patterns to match files to download.
    #[arg(long, num_args = 0..)]
    pub(crate) include: Option<Vec<String>>,
    /// Glob patterns to exclude from files to download.
    #[arg(long, num_args = 0..)]
    pub(crate) exclude: Option<Vec<String>>,
    /// Path to the directory where to save the downloaded files.
    #[arg(long)]
    pub(crate) cache_dir: Option<String>,
    /// If set, the downloaded file will be placed under this directory.
    #[arg(long)]
    pub(crate) local_dir: Option<String>,
    /// Deprecated and ignored: downloads to a local directory never use symlinks.
    #[arg(long, hide = true)]
    pub(crate) local_dir_use_symlinks: Option<String>,
    /// If True, the files will be downloaded even if they are already cached.
    #[arg(long)]
    pub(crate) force_download: bool,
    /// Deprecated and ignored. Downloads always resume.
    #[arg(long, hide = true)]
    pub(crate) resume_download: bool,
    /// A User Access Token generated from https://huggingface.co/settings/tokens
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// If True, progress bars are disabled and only the path to the download files is printed.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Maximum number of workers to use for downloading files. Default is 8.
    #[arg(long, default_value_t = 8)]
    pub(crate) max_workers: usize,
}

/// Runs `download`: one file → `hf_hub_download`, none or several → `snapshot_download` (several
/// names become the allow-list, so all files come from the same commit). Prints the path last.
pub(crate) fn execute(args: DownloadArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let repo_id = RepoId::new(&args.repo_id)?;
    let repo_type: RepoType = args.repo_type.into();
    if !args.quiet {
        if args.local_dir_use_symlinks.is_some() {
            tracing::warn!(
                "Ignoring --local-dir-use-symlinks. Downloading to a local directory does not use symlinks anymore."
            );
        }
        if !args.filenames.is_empty() {
            if args.include.as_ref().is_some_and(|v| !v.is_empty()) {
                tracing::warn!("Ignoring `--include` since filenames have being explicitly set.");
            }
            if args.exclude.as_ref().is_some_and(|v| !v.is_empty()) {
                tracing::warn!("Ignoring `--exclude` since filenames have being explicitly set.");
            }
        }
    }
    let client = ctx.client(args.token.as_deref())?;
    let progress = ctx.progress(args.quiet);
    let path = if let [filename] = args.filenames.as_slice() {
        let mut b = client
            .download(&repo_id, filename)
            .repo_type(repo_type)
            .force_download(args.force_download);
        if let Some(rev) = &args.revision {
            b = b.revision(rev);
        }
        if let Some(dir) = &args.cache_dir {
            b = b.cache_dir(dir);
        }
        if let Some(dir) = &args.local_dir {
            b = b.local_dir(dir);
        }
        ctx.block_on(b.progress(progress).send())??
    } else {
        let (allow, ignore) = if args.filenames.is_empty() {
            (args.include.clone(), args.exclude.clone())
        } else {
            (Some(args.filenames.clone()), None)
        };
        let mut b = client
            .snapshot_download(&repo_id)
            .repo_type(repo_type)
            .force_download(args.force_download)
            .max_workers(args.max_workers.max(1));
        if let Some(rev) = &args.revision {
            b = b.revision(rev);
        }
        if let Some(dir) = &args.cache_dir {
            b = b.cache_dir(dir);
        }
        if let Some(dir) = &args.local_dir {
            b = b.local_dir(dir);
        }
        if let Some(p) = allow {
            b = b.allow_patterns(p);
        }
        if let Some(p) = ignore {
            b = b.ignore_patterns(p);
        }
        ctx.block_on(b.progress(progress).send())??
    };
    emit(
        &Lines::one(path.display().to_string()),
        Style::new(ctx.ansi),
    )?;
    Ok(ExitCode::SUCCESS)
}
