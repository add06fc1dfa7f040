//! `huggingface-cli upload REPO [LOCAL_PATH] [PATH_IN_REPO]`: upload a file or a folder.

use std::process::ExitCode;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use hub_core::urls::quote_segment;
use hub_core::{RepoId, RepoType};
use hub_upload::{CommitInfo, UploadExt};

use crate::commands::common::RepoTypeArg;
use crate::context::Context;
use crate::output::{Lines, Style, emit, say};

/// Arguments of `upload`.
#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    /// The ID of the repo to upload to (e.g. `username/repo-name`).
    pub(crate) repo_id: String,
    /// Local path to the file or folder to upload. Defaults to current directory.
    pub(crate) local_path: Option<String>,
    /// Path of the file or folder in the repo. Defaults to the relative path of the file or folder.
    pub(crate) path_in_repo: Option<String>,
    /// Type of the repo to upload to (e.g. `dataset`).
    #[arg(long, value_enum, default_value_t = RepoTypeArg::Model)]
    pub(crate) repo_type: RepoTypeArg,
    /// An optional Git revision to push to. It can be a branch name or a PR reference. If revision
    /// does not exist and `--create-pr` is not set, a branch will be automatically created.
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
    /// Glob patterns for file to be deleted from the repo while committing.
    #[arg(long, num_args = 0..)]
    pub(crate) delete: Option<Vec<String>>,
    /// The summary / title / first line of the generated commit.
    #[arg(long)]
    pub(crate) commit_message: Option<String>,
    /// The description of the generated commit.
    #[arg(long)]
    pub(crate) commit_description: Option<String>,
    /// Whether to upload content as a new Pull Request.
    #[arg(long)]
    pub(crate) create_pr: bool,
    /// If set, a background job is scheduled to create commits every `every` minutes.
    #[arg(long)]
    pub(crate) every: Option<f64>,
    /// A User Access Token generated from https://huggingface.co/settings/tokens
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// If True, progress bars are disabled and only the path to the uploaded files is printed.
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// Where the upload comes from and goes to, after applying the CLI's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paths {
    /// Local file or folder.
    pub(crate) local_path: PathBuf,
    /// Destination in the repository (`.` for the root of a folder upload).
    pub(crate) path_in_repo: String,
}

/// The Python CLI's rules: without `local_path`, a file or folder named like the repo is used;
/// a file goes to its base name, a folder to the root.
pub(crate) fn resolve_paths(
    repo_id: &str,
    local_path: Option<&str>,
    path_in_repo: Option<&str>,
    cwd: &Path,
) -> anyhow::Result<Paths> {
    let repo_name = repo_id.rsplit('/').next().unwrap_or(repo_id);
    let at = |p: &str| cwd.join(p);
    Ok(match (local_path, path_in_repo) {
        (None, _) if at(repo_name).is_file() => Paths {
            local_path: repo_name.into(),
            path_in_repo: repo_name.to_owned(),
        },
        (None, _) if at(repo_name).is_dir() => Paths {
            local_path: repo_name.into(),
            path_in_repo: ".".to_owned(),
        },
        (None, _) => anyhow::bail!(
            "'{repo_name}' is not a local file or folder. Please set `local_path` explicitly."
        ),
        (Some(local), None) if at(local).is_file() => {
            let base = Path::new(local)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| local.to_owned());
            Paths {
                local_path: local.into(),
                path_in_repo: base,
            }
        }
        (Some(local), None) => Paths {
            local_path: local.into(),
            path_in_repo: ".".to_owned(),
        },
        (Some(local), Some(dest)) => Paths {
            local_path: local.into(),
            path_in_repo: dest.to_owned(),
        },
    })
}

/// The URL printed last: `{endpoint}/{prefix}{repo}/{blob|tree}/{revision}/{path}`. A PR's
/// revision is percent-encoded (`refs%2Fpr%2F1`); a leading `/` and a root `.` are dropped, as in
/// the seed's examples.
pub(crate) fn result_url(
    endpoint: &str,
    repo_type: RepoType,
    repo_id: &RepoId,
    revision: Option<&str>,
    commit: &CommitInfo,
    is_file: bool,
    path_in_repo: &str,
) -> String {
    let revision = match &commit.pr_revision {
        Some(pr) => quote_segment(pr),
        None => revision.unwrap_or("main").to_owned(),
    };
    let mut path = path_in_repo.trim_start_matches('/');
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    if path == "." {
        path = "";
    }
    let kind = if is_file { "blob" } else { "tree" };
    format!(
        "{endpoint}/{}{repo_id}/{kind}/{revision}/{path}",
        repo_type.url_prefix()
    )
}

/// Python's `str(float)` for the `--every` message: `10` → `10.0`, `0.5` → `0.5`.
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Runs `upload`: creates the repo if needed, uploads the file or folder (creating a missing
/// branch from main unless `--create-pr`), prints the URL last.
pub(crate) fn execute(args: UploadArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if let Some(every) = args.every {
        anyhow::ensure!(
            every > 0.0 && every.is_finite(),
            "`every` must be a positive value (got '{every}')"
        );
    }
    let cwd = std::env::current_dir()?;
    let paths = resolve_paths(
        &args.repo_id,
        args.local_path.as_deref(),
        args.path_in_repo.as_deref(),
        &cwd,
    )?;
    let repo_type: RepoType = args.repo_type.into();
    let requested = RepoId::new(&args.repo_id)?;
    let is_file = paths.local_path.is_file();
    if is_file && !args.quiet {
        for (flag, v) in [
            ("include", &args.include),
            ("exclude", &args.exclude),
            ("delete", &args.delete),
        ] {
            if v.as_ref().is_some_and(|v| !v.is_empty()) {
                tracing::warn!("Ignoring `--{flag}` since a single file is uploaded.");
            }
        }
    }
    let client = ctx.client(args.token.as_deref())?;
    client.require_token()?;
    let style = Style::new(ctx.ansi);

    if let Some(every) = args.every {
        return schedule(
            &args, ctx, &client, &requested, repo_type, &paths, is_file, every,
        );
    }

    if !paths.local_path.exists() {
        anyhow::bail!(
            "No such file or directory: '{}'.",
            paths.local_path.display()
        );
    }
    let api = client.api();
    let mut create = api
        .create_repo(&requested)
        .repo_type(repo_type)
        .exist_ok(true)
        .private(args.private);
    if repo_type == RepoType::Space {
        // Uploading to a new Space should not fail for want of an SDK: Gradio, as in Python.
        create = create.space_sdk(hub_core::types::SpaceSdk::Gradio);
    }
    let repo_url = ctx.block_on(create.send())??;
    let repo_id = repo_url.repo_id().clone();

    let progress = ctx.progress(args.quiet);
    let commit = if is_file {
        let mut b = client
            .upload_file(
                &repo_id,
                paths.local_path.clone(),
                paths.path_in_repo.trim_start_matches('/'),
            )
            .repo_type(repo_type)
            .create_pr(args.create_pr)
            .create_missing_branch(!args.create_pr)
            .progress(progress);
        if let Some(r) = &args.revision {
            b = b.revision(r);
        }
        if let Some(m) = &args.commit_message {
            b = b.commit_message(m);
        }
        if let Some(d) = &args.commit_description {
            b = b.commit_description(d);
        }
        ctx.block_on(b.send())??
    } else {
        let mut b = client
            .upload_folder(&repo_id, paths.local_path.clone())
            .path_in_repo(paths.path_in_repo.clone())
            .repo_type(repo_type)
            .create_pr(args.create_pr)
            .create_missing_branch(!args.create_pr)
            .progress(progress);
        if let Some(r) = &args.revision {
            b = b.revision(r);
        }
        if let Some(m) = &args.commit_message {
            b = b.commit_message(m);
        }
        if let Some(d) = &args.commit_description {
            b = b.commit_description(d);
        }
        if let Some(p) = &args.include {
            b = b.allow_patterns(p.clone());
        }
        if let Some(p) = &args.exclude {
            b = b.ignore_patterns(p.clone());
        }
        if let Some(p) = &args.delete {
            b = b.delete_patterns(p.clone());
        }
        ctx.block_on(b.send())??
    };
    let url = result_url(
        client.endpoint(),
        repo_type,
        &repo_id,
        args.revision.as_deref(),
        &commit,
        is_file,
        &paths.path_in_repo,
    );
    emit(&Lines::one(url), style)?;
    Ok(ExitCode::SUCCESS)
}

/// `--every`: commits the folder (or the file's folder) every N minutes until Ctrl-C.
#[allow(clippy::too_many_arguments)]
fn schedule(
    args: &UploadArgs,
    ctx: &Context,
    client: &hub_core::HubClient,
    repo_id: &RepoId,
    repo_type: RepoType,
    paths: &Paths,
    is_file: bool,
    every: f64,
) -> anyhow::Result<ExitCode> {
    let (folder, path_in_repo, allow, ignore) = if is_file {
        let folder = paths
            .local_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let local = paths.local_path.to_string_lossy().into_owned();
        let prefix = paths
            .path_in_repo
            .strip_suffix(&local)
            .unwrap_or(&paths.path_in_repo)
            .to_owned();
        let name = paths
            .local_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(local);
        (folder, prefix, vec![name], Vec::new())
    } else {
        if args.delete.as_ref().is_some_and(|d| !d.is_empty()) && !args.quiet {
            tracing::warn!("Ignoring `--delete` when uploading with scheduled commits.");
        }
        (
            paths.local_path.clone(),
            paths.path_in_repo.clone(),
            args.include.clone().unwrap_or_default(),
            args.exclude.clone().unwrap_or_default(),
        )
    };
    let folder = if folder.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        folder
    };
    let mut builder = client
        .commit_scheduler(repo_id, folder)
        .every(Duration::from_secs_f64(every * 60.0))
        .path_in_repo(path_in_repo)
        .repo_type(repo_type)
        .private(args.private)
        .ignore_patterns(ignore);
    if !allow.is_empty() {
        builder = builder.allow_patterns(allow);
    }
    if let Some(r) = &args.revision {
        builder = builder.revision(r);
    }
    ctx.block_on(async move {
        let scheduler = builder.start().await?;
        say(&format!(
            "Scheduling commits every {} minutes to {}.",
            py_float(every),
            scheduler.repo_id()
        ))?;
        // Block until Ctrl-C, then make a last commit of what changed, as Python's stop().
        tokio::signal::ctrl_c().await?;
        if let Some(err) = scheduler.last_error() {
            tracing::warn!("last scheduled commit failed: {err}");
        }
        scheduler.stop().await?;
        say("Stopped scheduled commits.")?;
        anyhow::Ok(())
    })??;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(pr: Option<&str>) -> CommitInfo {
        CommitInfo::new(
            "http://h/u/r/commit/abc",
            "abc",
            "m",
            "",
            pr.map(str::to_owned),
        )
    }

    #[test]
    fn result_urls_follow_the_seed() {
        let id = RepoId::new("Wauplin/my-cool-model").unwrap();
        let ep = "https://huggingface.co";
        assert_eq!(
            result_url(ep, RepoType::Model, &id, None, &commit(None), false, "."),
            "https://huggingface.co/Wauplin/my-cool-model/tree/main/"
        );
        assert_eq!(
            result_url(
                ep,
                RepoType::Model,
                &id,
                None,
                &commit(None),
                true,
                "/vae/model.safetensors"
            ),
            "https://huggingface.co/Wauplin/my-cool-model/blob/main/vae/model.safetensors"
        );
        assert_eq!(
            result_url(
                ep,
                RepoType::Dataset,
                &id,
                Some("refs/pr/104"),
                &commit(Some(
                    "https://huggingface.co/datasets/Wauplin/my-cool-model/discussions/104"
                )),
                false,
                "."
            ),
            "https://huggingface.co/datasets/Wauplin/my-cool-model/tree/refs%2Fpr%2F104/"
        );
        assert_eq!(
            result_url(
                ep,
                RepoType::Model,
                &id,
                None,
                &commit(None),
                false,
                "/data/train"
            ),
            "https://huggingface.co/Wauplin/my-cool-model/tree/main/data/train"
        );
    }

    #[test]
    fn local_paths_default_like_python() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("models")).unwrap();
        std::fs::write(dir.path().join("models/model.safetensors"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("my-model")).unwrap();
        let p = resolve_paths("u/my-model", None, None, dir.path()).unwrap();
        assert_eq!(
            p,
            Paths {
                local_path: "my-model".into(),
                path_in_repo: ".".into()
            }
        );
        let p = resolve_paths("u/r", Some("models/model.safetensors"), None, dir.path()).unwrap();
        assert_eq!(p.path_in_repo, "model.safetensors");
        let p = resolve_paths("u/r", Some("models"), None, dir.path()).unwrap();
        assert_eq!(p.path_in_repo, ".");
        assert!(resolve_paths("u/absent", None, None, dir.path()).is_err());
        assert_eq!(py_float(10.0), "10.0");
        assert_eq!(py_float(0.5), "0.5");
    }
}
