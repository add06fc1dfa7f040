//! `huggingface-cli delete-cache`: pick cached revisions to delete, in a terminal menu or (with
//! `--disable-tui`) by editing a temporary file, then confirm. The file format, prompts and
//! messages are the Python CLI's.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use hub_cache::{CachedRepoInfo, HFCacheInfo};

use crate::commands::common::capitalized;
use crate::context::Context;
use crate::output::{Style, format_timesince, say};
use crate::prompt;
use crate::select::{Item, multiselect};

/// The value of the "None of the following" entry; selecting it cancels everything.
const CANCEL_DELETION: &str = "CANCEL_DELETION";

/// Header of the `--disable-tui` file.
const MANUAL_REVIEW_INSTRUCTIONS: &str = "# INSTRUCTIONS
# ------------
# This is a temporary file created by running `huggingface-cli delete-cache` with the
# `--disable-tui` option. It contains a set of revisions that can be deleted from your
# local cache directory.
#
# Please manually review the revisions you want to delete:
#   - Revision hashes can be commented out with '#'.
#   - Only non-commented revisions in this file will be deleted.
#   - Revision hashes that are removed from this file are ignored as well.
#   - If `CANCEL_DELETION` line is uncommented, the all cache deletion is cancelled and
#     no changes will be applied.
#
# Once you've manually reviewed this file, please confirm deletion in the terminal. This
# file will be automatically removed once done.
# ------------

# KILL SWITCH
# ------------
# Un-comment following line to completely cancel the deletion process
# CANCEL_DELETION
# ------------

# REVISIONS
# ------------";

/// Arguments of `delete-cache`.
#[derive(Debug, Args)]
pub(crate) struct DeleteCacheArgs {
    /// cache directory (optional). Default to the default HuggingFace cache.
    #[arg(long)]
    pub(crate) dir: Option<String>,
    /// Disable Terminal User Interface (TUI) mode. Useful if your platform/terminal doesn't
    /// support the multiselect menu.
    #[arg(long)]
    pub(crate) disable_tui: bool,
}

/// Scans, lets the user choose, confirms, deletes.
pub(crate) fn execute(args: DeleteCacheArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| ctx.config.hub_cache.clone());
    let info = match hub_cache::scan::scan_cache_dir_blocking(&dir) {
        Ok(info) => info,
        Err(hub_cache::Error::CacheNotFound(dir)) => anyhow::bail!(
            "Cache directory not found: {}. Pass --dir or set HF_HUB_CACHE to your cache.",
            dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let style = Style::new(ctx.ansi);
    let selected = if args.disable_tui {
        manual_review_no_tui(&info, style)?
    } else {
        manual_review_tui(&info)?
    };
    if !selected.is_empty() && !selected.iter().any(|h| h == CANCEL_DELETION) {
        let message = format!("{} Confirm deletion ?", expectations(&info, &selected));
        let message = if args.disable_tui {
            message
        } else {
            format!("? {message}")
        };
        if prompt::confirm(&message, true)? {
            let strategy = info.delete_revisions(&selected);
            say("Start deletion.")?;
            let report = strategy.execute_blocking();
            for (path, err) in &report.failures {
                tracing::warn!("could not delete {}: {err}", path.display());
            }
            say(&format!(
                "Done. Deleted {} repo(s) and {} revision(s) for a total of {}.",
                strategy.repos.len(),
                strategy.snapshots.len(),
                strategy.expected_freed_size_str()
            ))?;
            return Ok(if report.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
    }
    say("Deletion is cancelled. Do nothing.")?;
    Ok(ExitCode::SUCCESS)
}

/// `7 revisions selected counting for 4.3G.` (or `Nothing will be deleted.`).
fn expectations(info: &HFCacheInfo, selected: &[String]) -> String {
    if selected.iter().any(|h| h == CANCEL_DELETION) {
        return "Nothing will be deleted.".to_owned();
    }
    let strategy = info.delete_revisions(selected);
    format!(
        "{} revisions selected counting for {}.",
        selected.len(),
        strategy.expected_freed_size_str()
    )
}

/// Repos by type then least recently used; revisions by oldest modification (Python's order).
fn sorted_repos(info: &HFCacheInfo) -> Vec<&CachedRepoInfo> {
    let mut repos: Vec<&CachedRepoInfo> = info.repos.iter().collect();
    repos.sort_by(|a, b| {
        (a.repo_type.as_str(), a.last_accessed).cmp(&(b.repo_type.as_str(), b.last_accessed))
    });
    repos
}

fn repo_heading(repo: &CachedRepoInfo) -> String {
    format!(
        "{} {} ({}, used {})",
        capitalized(repo.repo_type),
        repo.repo_id,
        repo.size_on_disk_str(),
        format_timesince(repo.last_accessed)
    )
}

fn refs_text(refs: &std::collections::BTreeSet<String>) -> String {
    if refs.is_empty() {
        "(detached)".to_owned()
    } else {
        refs.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

fn manual_review_tui(info: &HFCacheInfo) -> anyhow::Result<Vec<String>> {
    let mut items = vec![Item::Choice {
        value: CANCEL_DELETION.to_owned(),
        label: "None of the following (if selected, nothing will be deleted).".to_owned(),
        enabled: false,
    }];
    for repo in sorted_repos(info) {
        items.push(Item::Separator(format!("\n{}", repo_heading(repo))));
        let mut revisions: Vec<_> = repo.revisions.iter().collect();
        revisions.sort_by_key(|r| r.last_modified);
        for rev in revisions {
            items.push(Item::Choice {
                value: rev.commit_hash.clone(),
                label: format!(
                    "{}: {} # modified {}",
                    &rev.commit_hash[..rev.commit_hash.len().min(8)],
                    refs_text(&rev.refs),
                    format_timesince(rev.last_modified)
                ),
                enabled: false,
            });
        }
    }
    multiselect("Select revisions to delete:", &items, &|selected| {
        expectations(info, selected)
    })
}

/// The text of the `--disable-tui` file: instructions, then one commented line per revision.
pub(crate) fn review_file_text(info: &HFCacheInfo) -> String {
    let mut lines = Vec::new();
    for repo in sorted_repos(info) {
        lines.push(format!("\n# {}", repo_heading(repo)));
        let mut revisions: Vec<_> = repo.revisions.iter().collect();
        revisions.sort_by_key(|r| r.last_modified);
        for rev in revisions {
            lines.push(format!(
                "#    {} # Refs: {} # modified {}",
                rev.commit_hash,
                refs_text(&rev.refs),
                format_timesince(rev.last_modified)
            ));
        }
    }
    format!("{MANUAL_REVIEW_INSTRUCTIONS}{}", lines.join("\n"))
}

/// Python's `_read_manual_review_tmp_file`: uncommented lines, text before any `#`.
pub(crate) fn parse_review_file(content: &str) -> Vec<String> {
    content
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('#').next().unwrap_or("").trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect()
}

fn manual_review_no_tui(info: &HFCacheInfo, style: Style) -> anyhow::Result<Vec<String>> {
    let file = tempfile::Builder::new()
        .prefix("tmp")
        .suffix(".txt")
        .tempfile()
        .context("cannot create the temporary review file")?;
    // A TempPath removes the file when dropped: after confirmation, and on any error too.
    let path = file.into_temp_path();
    std::fs::write(&path, review_file_text(info))
        .with_context(|| format!("writing {}", path.display()))?;
    say(&format!(
        "TUI is disabled. In order to select which revisions you want to delete, please edit\n\
         the following file using the text editor of your choice. Instructions for manual\n\
         editing are located at the beginning of the file. Edit the file, save it and confirm\n\
         to continue.\nFile to edit: {}",
        style.bold(&path.display().to_string())
    ))?;
    loop {
        let content = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let selected = parse_review_file(&content);
        let message = format!("{} Continue ?", expectations(info, &selected));
        if prompt::confirm(&message, false)? {
            return Ok(selected);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_file_parsing_follows_python() {
        let text = "# header\n###\n\n# Commented out line\n123456789 # revision hash\n\n# Something else\n#      a_newer_hash # 2 days ago\n    an_older_hash # 3 days ago\n";
        assert_eq!(parse_review_file(text), vec!["123456789", "an_older_hash"]);
        assert!(parse_review_file(MANUAL_REVIEW_INSTRUCTIONS).is_empty());
        let cancel = MANUAL_REVIEW_INSTRUCTIONS.replace("# CANCEL_DELETION", "CANCEL_DELETION");
        assert_eq!(parse_review_file(&cancel), vec![CANCEL_DELETION]);
    }
}
