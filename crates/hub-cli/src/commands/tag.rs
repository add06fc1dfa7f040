//! `huggingface-cli tag REPO [TAG]`: create, list (`-l`) or delete (`-d`) tags.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use hub_core::{Error as HubError, RepoId, RepoType};

use crate::commands::common::{RepoTypeArg, capitalized};
use crate::context::Context;
use crate::output::{Lines, Style, emit, say};
use crate::prompt;

/// Arguments of `tag`.
#[derive(Debug, Args)]
pub(crate) struct TagArgs {
    /// The ID of the repo to tag (e.g. `username/repo-name`).
    pub(crate) repo_id: String,
    /// The name of the tag for creation or deletion.
    pub(crate) tag: Option<String>,
    /// The description of the tag to create.
    #[arg(short = 'm', long)]
    pub(crate) message: Option<String>,
    /// The git revision to tag.
    #[arg(long)]
    pub(crate) revision: Option<String>,
    /// A User Access Token generated from https://huggingface.co/settings/tokens.
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Set the type of repository (model, dataset, or space).
    #[arg(long, value_enum, default_value_t = RepoTypeArg::Model)]
    pub(crate) repo_type: RepoTypeArg,
    /// Answer Yes to prompts automatically.
    #[arg(short = 'y', long)]
    pub(crate) yes: bool,
    /// List tags for a repository.
    #[arg(short = 'l', long)]
    pub(crate) list: bool,
    /// Delete a tag for a repository.
    #[arg(short = 'd', long)]
    pub(crate) delete: bool,
}

/// Runs `tag`: `-l` lists, `-d` deletes, otherwise creates.
pub(crate) fn execute(args: TagArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let repo_id = RepoId::new(&args.repo_id)?;
    let repo_type: RepoType = args.repo_type.into();
    let style = Style::new(ctx.ansi);
    let api = ctx.client(args.token.as_deref())?.api();
    // Failures are errors on stderr (non-zero exit), worded as the Python CLI's messages.
    let not_found = |kind: &str| -> anyhow::Result<ExitCode> {
        anyhow::bail!(
            "{kind} {repo_id} not found. Check the repo id and --repo-type, and log in for private repos."
        )
    };

    if args.list {
        let refs = ctx.block_on(api.list_repo_refs(&repo_id).repo_type(repo_type).send())?;
        let refs = match refs {
            Err(HubError::RepositoryNotFound(_)) => return not_found(capitalized(repo_type)),
            other => other?,
        };
        if refs.tags.is_empty() {
            say("No tags found")?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut lines = vec![format!(
            "Tags for {repo_type} {}:",
            style.bold(repo_id.as_str())
        )];
        lines.extend(refs.tags.iter().map(|t| t.name.clone()));
        emit(&Lines(lines), style)?;
        return Ok(ExitCode::SUCCESS);
    }

    let tag = args
        .tag
        .clone()
        .context("a tag name is required to create or delete a tag (or use -l to list)")?;
    if args.delete {
        say(&format!(
            "You are about to delete tag {} on {repo_type} {}",
            style.bold(&tag),
            style.bold(repo_id.as_str())
        ))?;
        if !args.yes && !prompt::proceed()? {
            say("Abort")?;
            return Ok(ExitCode::SUCCESS);
        }
        match ctx.block_on(api.delete_tag(&repo_id, &tag, repo_type))? {
            Ok(()) => {}
            Err(HubError::RepositoryNotFound(_)) => return not_found(capitalized(repo_type)),
            Err(HubError::RevisionNotFound(_)) => {
                anyhow::bail!(
                    "Tag {tag} not found on {repo_id}. List tags with `huggingface-cli tag {repo_id} -l`."
                );
            }
            Err(e) => return Err(e.into()),
        }
        say(&format!(
            "Tag {} deleted on {}",
            style.bold(&tag),
            style.bold(repo_id.as_str())
        ))?;
        return Ok(ExitCode::SUCCESS);
    }

    say(&format!(
        "You are about to create tag {} on {repo_type} {}",
        style.bold(&tag),
        style.bold(repo_id.as_str())
    ))?;
    let mut builder = api.create_tag(&repo_id, &tag).repo_type(repo_type);
    if let Some(rev) = &args.revision {
        builder = builder.revision(rev);
    }
    if let Some(msg) = &args.message {
        builder = builder.tag_message(msg);
    }
    match ctx.block_on(builder.send())? {
        Ok(()) => {}
        Err(HubError::RepositoryNotFound(_)) => return not_found(capitalized(repo_type)),
        Err(HubError::RevisionNotFound(_)) => {
            let rev = args.revision.as_deref().unwrap_or("main");
            anyhow::bail!(
                "Revision {rev} not found. Pass an existing branch, tag or commit to --revision."
            );
        }
        Err(e) if e.status() == Some(409) => {
            anyhow::bail!(
                "Tag {tag} already exists on {repo_id}. Delete it first with `-d` or pick another name."
            );
        }
        Err(e) => return Err(e.into()),
    }
    say(&format!(
        "Tag {} created on {}",
        style.bold(&tag),
        style.bold(repo_id.as_str())
    ))?;
    Ok(ExitCode::SUCCESS)
}
