//! `huggingface-cli scan-cache`: a table of the cached repos (or revisions, with `-v`), then a
//! footer with the time taken, the total size and the number of warnings (`-vvv` lists them).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use hub_cache::HFCacheInfo;
use hub_cache::scan::format_size;

use crate::context::Context;
use crate::output::{Cell, Render, Style, emit, format_timesince, tabulate};

/// Arguments of `scan-cache`.
#[derive(Debug, Args)]
pub(crate) struct ScanCacheArgs {
    /// cache directory to scan (optional). Default to the default HuggingFace cache.
    #[arg(long)]
    pub(crate) dir: Option<String>,
    /// show a more verbose output
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The scan and how it is to be shown.
pub(crate) struct ScanReport {
    info: HFCacheInfo,
    seconds: f64,
    verbosity: u8,
}

/// Scans the cache (no runtime needed: the scan is plain file-system work) and prints the table.
pub(crate) fn execute(args: ScanCacheArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.config.hub_cache.clone());
    let t0 = Instant::now();
    let info = match hub_cache::scan::scan_cache_dir_blocking(&dir) {
        Ok(info) => info,
        Err(hub_cache::Error::CacheNotFound(dir)) => anyhow::bail!(
            "Cache directory not found: {}. Pass --dir or set HF_HUB_CACHE to your cache.",
            dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let report = ScanReport {
        info,
        seconds: t0.elapsed().as_secs_f64(),
        verbosity: args.verbose,
    };
    emit(&report, Style::new(ctx.ansi))?;
    Ok(ExitCode::SUCCESS)
}

/// The table of Python's `get_table` (rows sorted by repo path, then by commit hash).
pub(crate) fn table(info: &HFCacheInfo, verbosity: u8) -> Vec<String> {
    let mut repos: Vec<_> = info.repos.iter().collect();
    repos.sort_by(|a, b| a.repo_path.cmp(&b.repo_path));
    if verbosity == 0 {
        let rows: Vec<Vec<Cell>> = repos
            .iter()
            .map(|repo| {
                vec![
                    Cell::Text(repo.repo_id.clone()),
                    Cell::Text(repo.repo_type.as_str().to_owned()),
                    Cell::Text(format!("{:>12}", repo.size_on_disk_str())),
                    Cell::Num(repo.nb_files as u64),
                    Cell::Text(format_timesince(repo.last_accessed)),
                    Cell::Text(format_timesince(repo.last_modified)),
                    Cell::Text(repo.refs().keys().copied().collect::<Vec<_>>().join(", ")),
                    Cell::Text(repo.repo_path.display().to_string()),
                ]
            })
            .collect();
        tabulate(
            &[
                "REPO ID",
                "REPO TYPE",
                "SIZE ON DISK",
                "NB FILES",
                "LAST_ACCESSED",
                "LAST_MODIFIED",
                "REFS",
                "LOCAL PATH",
            ],
            &rows,
        )
    } else {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for repo in repos {
            let mut revisions: Vec<_> = repo.revisions.iter().collect();
            revisions.sort_by(|a, b| a.commit_hash.cmp(&b.commit_hash));
            for rev in revisions {
                rows.push(vec![
                    Cell::Text(repo.repo_id.clone()),
                    Cell::Text(repo.repo_type.as_str().to_owned()),
                    Cell::Text(rev.commit_hash.clone()),
                    Cell::Text(format!("{:>12}", rev.size_on_disk_str())),
                    Cell::Num(rev.nb_files() as u64),
                    Cell::Text(format_timesince(rev.last_modified)),
                    Cell::Text(rev.refs.iter().cloned().collect::<Vec<_>>().join(", ")),
                    Cell::Text(rev.snapshot_path.display().to_string()),
                ]);
            }
        }
        tabulate(
            &[
                "REPO ID",
                "REPO TYPE",
                "REVISION",
                "SIZE ON DISK",
                "NB FILES",
                "LAST_MODIFIED",
                "REFS",
                "LOCAL PATH",
            ],
            &rows,
        )
    }
}

impl Render for ScanReport {
    fn render(&self, out: &mut dyn Write, style: Style) -> std::io::Result<()> {
        for line in table(&self.info, self.verbosity) {
            writeln!(out, "{line}")?;
        }
        writeln!(
            out,
            "\nDone in {:.1}s. Scanned {} repo(s) for a total of {}.",
            self.seconds,
            self.info.repos.len(),
            style.red(&format_size(self.info.size_on_disk))
        )?;
        let warnings = &self.info.warnings;
        if !warnings.is_empty() {
            let message = format!("Got {} warning(s) while scanning.", warnings.len());
            if self.verbosity >= 3 {
                writeln!(out, "{}", style.gray(&message))?;
                for w in warnings {
                    writeln!(out, "{}", style.gray(&w.to_string()))?;
                }
            } else {
                writeln!(
                    out,
                    "{}",
                    style.gray(&format!("{message} Use -vvv to print details."))
                )?;
            }
        }
        Ok(())
    }
}
