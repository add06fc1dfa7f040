//! `huggingface-cli upload-large-folder REPO LOCAL_PATH`: resumable multi-worker upload.

use std::process::ExitCode;

use std::sync::Arc;

use clap::Args;
use hub_core::{RepoId, RepoType};
use hub_upload::UploadExt;

use crate::commands::common::RepoTypeArg;
use crate::context::Context;
use crate::output::{Style, say};

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

/// Runs `upload-large-folder`: prints the Python CLI's notice, then uploads with periodic status
/// reports on stdout (unless `--no-report`) and progress bars on stderr (unless `--no-bars`).
pub(crate) fn execute(args: UploadLargeFolderArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let folder = std::path::PathBuf::from(&args.local_path);
    anyhow::ensure!(
        folder.is_dir(),
        "Large upload is only supported for folders."
    );
    let Some(repo_type) = args.repo_type.map(RepoType::from) else {
        anyhow::bail!(
            "For large uploads, `repo_type` is explicitly required. Please set it to `model`, \
             `dataset` or `space`. If you are using the CLI, pass it as `--repo-type=model`."
        );
    };
    let repo_id = RepoId::new(&args.repo_id)?;
    let client = ctx.client(args.token.as_deref())?;
    client.require_token()?;
    let style = Style::new(ctx.ansi);
    say(&style.yellow(&notice(&args.local_path)))?;

    let mut b = client
        .upload_large_folder(&repo_id, repo_type, folder)
        .private(args.private)
        .progress(ctx.progress(args.no_bars));
    if let Some(r) = &args.revision {
        b = b.revision(r);
    }
    if let Some(p) = &args.include {
        b = b.allow_patterns(p.clone());
    }
    if let Some(p) = &args.exclude {
        b = b.ignore_patterns(p.clone());
    }
    if let Some(n) = args.num_workers {
        b = b.num_workers(n.max(1));
    }
    if !args.no_report {
        b = b.on_report(Arc::new(|status: &hub_upload::LargeFolderStatus| {
            // A closed stdout only loses the report; the upload goes on.
            let _ = say(&format!("\n{status}"));
        }));
    }
    let status = ctx.block_on(b.send())??;
    if !args.no_report {
        say(&format!("\n{status}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The notice the Python CLI prints before a large upload.
fn notice(local_path: &str) -> String {
    format!(
        "You are about to upload a large folder to the Hub using `huggingface-cli upload-large-folder`. \
         This is a new feature so feedback is very welcome!\n\
         \n\
         A few things to keep in mind:\n\
         \x20 - Repository limits still apply: https://huggingface.co/docs/hub/repositories-recommendations\n\
         \x20 - Do not start several processes in parallel.\n\
         \x20 - You can interrupt and resume the process at any time. The script will pick up where it left \
         off except for partially uploaded files that would have to be entirely reuploaded.\n\
         \x20 - Do not upload the same folder to several repositories. If you need to do so, you must delete \
         the `./.cache/huggingface/` folder first.\n\
         \n\
         Some temporary metadata will be stored under `{local_path}/.cache/huggingface`.\n\
         \x20 - You must not modify those files manually.\n\
         \x20 - You must not delete the `./.cache/huggingface/` folder while a process is running.\n\
         \x20 - You can delete the `./.cache/huggingface/` folder to reinitialize the upload state when process \
         is not running. Files will have to be hashed and preuploaded again, except for already committed files.\n\
         \n\
         If the process output is to verbose, you can disable the progress bars with `--no-bars`. You can also \
         entirely disable the status report with `--no-report`.\n\
         \n\
         For more details, run `huggingface-cli upload-large-folder --help` or check the documentation at \
         https://huggingface.co/docs/huggingface_hub/guides/upload#upload-a-large-folder."
    )
}
