//! `cargo xtask bench scan`: `huggingface-cli scan-cache` of hub-rs against Python
//! huggingface_hub 0.26.5 on a large synthetic cache (the hub-cache requirement that
//! `scan_cache_dir` be fast on caches with 100k files).
//!
//! The cache is built once, before any timing, with plain `std::fs` in a temp dir and the exact
//! Python layout: `--repos N` (default 100) repos `models--bench--r{i}`, each with `blobs/`
//! holding `--files N` (default 1000) small blob files named like real etags (40-hex git blob
//! ids, every tenth a 64-hex LFS sha256), `snapshots/<40-hex commit>/` with one relative symlink
//! per blob (`../../blobs/<etag>`, or `../../../blobs/<etag>` for the files spread over ten
//! subfolders `d1`..`d10`), and `refs/main` holding the commit hash.
//!
//! Both sides are measured through their CLI, `huggingface-cli scan-cache --dir <cache>`: the
//! release build of `crates/hub-cli` and the `huggingface-cli` entry point of the `hf026` venv.
//! The CLI is used on both sides so the work is the same (scan, table, footer); Python's figure
//! therefore includes interpreter start-up and imports (about 0.3 s). There is no library-only
//! row: `crates/hub-cache/examples` has no scan example, and the CLI's scan is a direct call of
//! `scan_cache_dir_blocking` anyway.
//!
//! Before timing, each side runs once unmeasured and its output is checked against the cache
//! that was built (number of repos, total size in the footer, each repo's size and file count in
//! the table, no warnings) and against the other side; any difference fails the benchmark, so a
//! scan cannot be fast by being wrong. Options: `--runs N`, `--repos N`, `--files N`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::bench::{Bins, Row, Table, measure_best, parse_counts, python, release_bins};
use crate::util::output;

/// Shape of the synthetic cache.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    repos: usize,
    files: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            repos: 100,
            files: 1000,
        }
    }
}

/// Snapshot files are spread over the snapshot root and this many subfolders.
const SUBDIRS: usize = 10;

/// Entry point with raw arguments (`--runs N --repos N --files N`).
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut runs = 3usize;
    let mut sizes = Sizes::default();
    parse_counts(
        args,
        &mut [
            ("--runs", &mut runs),
            ("--repos", &mut sizes.repos),
            ("--files", &mut sizes.files),
        ],
    )?;
    bench_with(&release_bins()?, runs, sizes)
}

/// Entry point for `cargo xtask bench all` (default sizes).
pub(crate) fn bench(bins: &Bins, runs: usize) -> Result<()> {
    bench_with(bins, runs, Sizes::default())
}

fn bench_with(bins: &Bins, runs: usize, sizes: Sizes) -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-scan-")
        .tempdir()?;
    let cache = work.path().join("hub");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home)?;
    let t0 = std::time::Instant::now();
    let expected = build_cache(&cache, sizes)?;
    eprintln!(
        "built {} repos x {} files ({} bytes of blobs) in {:.1}s at {}",
        sizes.repos,
        sizes.files,
        expected.total_size,
        t0.elapsed().as_secs_f64(),
        cache.display()
    );

    let py_cli = python("hf026")?.with_file_name("huggingface-cli");
    ensure!(
        py_cli.is_file(),
        "{} not found (run `cargo xtask venv`)",
        py_cli.display()
    );
    let command = |program: &Path| {
        let mut c = Command::new(program);
        c.arg("scan-cache")
            .arg("--dir")
            .arg(&cache)
            .env("HF_HOME", &home)
            .env("NO_COLOR", "1")
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_OFFLINE", "1");
        c
    };

    // Correctness first (this also warms the page cache for both sides alike).
    let ours_out = output(&mut command(&bins.cli))?;
    let theirs_out = output(&mut command(&py_cli))?;
    let ours = parse_scan_output(&ours_out).context("parsing hub-rs scan-cache output")?;
    let theirs = parse_scan_output(&theirs_out).context("parsing Python scan-cache output")?;
    check_against(&ours, &expected).context("hub-rs scan-cache reports wrong totals")?;
    check_against(&theirs, &expected).context("Python scan-cache reports wrong totals")?;
    ensure!(
        ours == theirs,
        "hub-rs and Python scan-cache disagree:\nhub-rs: {ours:?}\nPython: {theirs:?}"
    );
    eprintln!(
        "totals match: {} repo(s), {} files, total {} (hub-rs and Python)",
        ours.repos,
        ours.rows.iter().map(|r| r.nb_files).sum::<u64>(),
        ours.total
    );

    let ours_m = measure_best(runs, || Ok(()), || Ok(command(&bins.cli)))?;
    let theirs_m = measure_best(runs, || Ok(()), || Ok(command(&py_cli)))?;
    let mut table = Table::new("scan-cache: hub-rs vs huggingface_hub 0.26.5", "hf 0.26.5");
    table.push(Row {
        label: format!(
            "scan-cache {} repos x {} files ({} files)",
            sizes.repos,
            sizes.files,
            sizes.repos * sizes.files
        ),
        ours: ours_m,
        theirs: theirs_m,
    });
    table.print();
    println!(
        "best of {runs}: hub-rs {:.3}s, hf 0.26.5 {:.3}s; median: hub-rs {:.3}s, hf 0.26.5 {:.3}s",
        ours_m.wall.as_secs_f64(),
        theirs_m.wall.as_secs_f64(),
        ours_m.median.as_secs_f64(),
        theirs_m.median.as_secs_f64()
    );
    Ok(())
}

/// What the synthetic cache holds, for checking the scans.
#[derive(Debug)]
struct Expected {
    repos: usize,
    files_per_repo: usize,
    /// Blob bytes per repo, in repo order (`r0`, `r1`, ...).
    repo_sizes: Vec<u64>,
    total_size: u64,
}

/// A 64-bit mix (splitmix64), for deterministic hex names and sizes.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `len` hex digits derived from `seed` (distinct seeds give distinct names in practice; the
/// repo and file index are part of the seed).
fn hex(seed: u64, len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!("{:016x}", mix(seed ^ mix(i))));
        i += 1;
    }
    s.truncate(len);
    s
}

/// Builds the cache (repos split over a few threads; plain `std::fs`).
fn build_cache(cache: &Path, sizes: Sizes) -> Result<Expected> {
    std::fs::create_dir_all(cache)?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let indices: Vec<usize> = (0..sizes.repos).collect();
    let chunk = sizes.repos.div_ceil(threads).max(1);
    let mut repo_sizes = vec![0u64; sizes.repos];
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<Vec<(usize, u64)>> {
                    part.iter()
                        .map(|&i| Ok((i, build_repo(cache, i, sizes.files)?)))
                        .collect()
                })
            })
            .collect();
        for h in handles {
            let built = h
                .join()
                .map_err(|_| anyhow::anyhow!("cache builder thread panicked"))??;
            for (i, size) in built {
                repo_sizes[i] = size;
            }
        }
        Ok(())
    })?;
    Ok(Expected {
        repos: sizes.repos,
        files_per_repo: sizes.files,
        total_size: repo_sizes.iter().sum(),
        repo_sizes,
    })
}

/// Builds `models--bench--r{i}` with `files` blobs and links; returns its blob bytes.
fn build_repo(cache: &Path, i: usize, files: usize) -> Result<u64> {
    let repo = cache.join(format!("models--bench--r{i}"));
    let blobs = repo.join("blobs");
    let commit = hex(mix(i as u64) ^ 0xC0_33_17, 40);
    let snapshot = repo.join("snapshots").join(&commit);
    std::fs::create_dir_all(&blobs)?;
    std::fs::create_dir_all(repo.join("refs"))?;
    for d in 1..=SUBDIRS {
        std::fs::create_dir_all(snapshot.join(format!("d{d}")))?;
    }
    // Python writes the ref without a trailing newline.
    std::fs::write(repo.join("refs").join("main"), &commit)?;
    let mut size = 0u64;
    for f in 0..files {
        let seed = ((i as u64) << 32) | f as u64;
        let etag = if f % 10 == 9 {
            hex(seed, 64)
        } else {
            hex(seed, 40)
        };
        // 1..=64 bytes per blob, so sizes differ between repos.
        let len = 1 + (mix(seed) % 64) as usize;
        let content: Vec<u8> = etag.bytes().cycle().take(len).collect();
        let blob = blobs.join(&etag);
        std::fs::write(&blob, &content).with_context(|| format!("writing {}", blob.display()))?;
        size += len as u64;
        let sub = f % (SUBDIRS + 1);
        let (link, target) = if sub == 0 {
            (
                snapshot.join(format!("file{f}.txt")),
                format!("../../blobs/{etag}"),
            )
        } else {
            (
                snapshot
                    .join(format!("d{sub}"))
                    .join(format!("file{f}.txt")),
                format!("../../../blobs/{etag}"),
            )
        };
        std::os::unix::fs::symlink(&target, &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    Ok(size)
}

/// One row of the (non-verbose) scan-cache table.
#[derive(Debug, PartialEq, Eq)]
struct RepoRow {
    repo_id: String,
    repo_type: String,
    size: String,
    nb_files: u64,
}

/// What a `scan-cache` run reported.
#[derive(Debug, PartialEq, Eq)]
struct ScanOutput {
    /// Table rows, in printed order.
    rows: Vec<RepoRow>,
    /// `Scanned N repo(s)`.
    repos: usize,
    /// `for a total of X.`
    total: String,
    /// `Got N warning(s) while scanning.` (0 when absent).
    warnings: usize,
}

/// Parses the table (`REPO ID  REPO TYPE  SIZE ON DISK  NB FILES ...`, a dashed line, one line
/// per repo) and the footer (`Done in 0.4s. Scanned 100 repo(s) for a total of 2.6M.`).
fn parse_scan_output(text: &str) -> Result<ScanOutput> {
    let mut lines = text.lines();
    let header = lines.next().context("empty output")?;
    ensure!(
        header.starts_with("REPO ID"),
        "no table header in output:\n{text}"
    );
    let dashes = lines.next().context("no line under the header")?;
    ensure!(
        dashes.starts_with('-'),
        "no dashed line under the header:\n{text}"
    );
    let mut rows = vec![];
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        let mut cols = line.split_whitespace();
        let mut col = |what: &str| {
            cols.next()
                .map(str::to_owned)
                .with_context(|| format!("no {what} in table line {line:?}"))
        };
        rows.push(RepoRow {
            repo_id: col("repo id")?,
            repo_type: col("repo type")?,
            size: col("size")?,
            nb_files: col("file count")?
                .parse()
                .with_context(|| format!("bad file count in table line {line:?}"))?,
        });
    }
    let mut summary = None;
    let mut warnings = 0;
    for line in lines {
        if let Some(rest) = line.strip_prefix("Done in ") {
            let (_, rest) = rest
                .split_once("s. Scanned ")
                .with_context(|| format!("unexpected footer {line:?}"))?;
            let (n, total) = rest
                .split_once(" repo(s) for a total of ")
                .with_context(|| format!("unexpected footer {line:?}"))?;
            let total = total
                .strip_suffix('.')
                .with_context(|| format!("unexpected footer {line:?}"))?;
            summary = Some((
                n.parse::<usize>()
                    .with_context(|| format!("bad repo count in {line:?}"))?,
                total.to_owned(),
            ));
        } else if let Some(rest) = line.strip_prefix("Got ") {
            let n = rest.split(' ').next().unwrap_or_default();
            warnings = n
                .parse()
                .with_context(|| format!("bad warning count in {line:?}"))?;
        }
    }
    let (repos, total) = summary.with_context(|| format!("no `Done in` footer:\n{text}"))?;
    Ok(ScanOutput {
        rows,
        repos,
        total,
        warnings,
    })
}

/// Python's `_format_size`, written out here on purpose: the check must not take its expected
/// text from the code under test (`hub_core::units::format_size`).
fn format_size(num: u64) -> String {
    let mut n = num as f64;
    for unit in ["", "K", "M", "G", "T", "P", "E", "Z"] {
        if n.abs() < 1000.0 {
            return format!("{n:.1}{unit}");
        }
        n /= 1000.0;
    }
    format!("{n:.1}Y")
}

/// Checks a scan's report against the cache that was built.
fn check_against(scan: &ScanOutput, expected: &Expected) -> Result<()> {
    ensure!(
        scan.warnings == 0,
        "{} warning(s) while scanning",
        scan.warnings
    );
    ensure!(
        scan.repos == expected.repos,
        "scanned {} repo(s), built {}",
        scan.repos,
        expected.repos
    );
    ensure!(
        scan.total == format_size(expected.total_size),
        "total {} but the blobs hold {} bytes ({})",
        scan.total,
        expected.total_size,
        format_size(expected.total_size)
    );
    ensure!(
        scan.rows.len() == expected.repos,
        "{} table rows for {} repos",
        scan.rows.len(),
        expected.repos
    );
    for row in &scan.rows {
        let index: usize = row
            .repo_id
            .strip_prefix("bench/r")
            .and_then(|i| i.parse().ok())
            .with_context(|| format!("unexpected repo {}", row.repo_id))?;
        let size = expected
            .repo_sizes
            .get(index)
            .with_context(|| format!("unexpected repo {}", row.repo_id))?;
        ensure!(
            row.repo_type == "model"
                && row.nb_files == expected.files_per_repo as u64
                && row.size == format_size(*size),
            "{}: {} {} files {}, expected model {} files {}",
            row.repo_id,
            row.repo_type,
            row.nb_files,
            row.size,
            expected.files_per_repo,
            format_size(*size)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_table_and_footer() {
        let text = "REPO ID   REPO TYPE SIZE ON DISK NB FILES LAST_ACCESSED LAST_MODIFIED REFS LOCAL PATH\n\
                    --------- --------- ------------ -------- ------------- ------------- ---- ----------\n\
                    bench/r0  model            32.5K     1000 2 minutes ago 2 minutes ago main /tmp/x\n\
                    \n\
                    Done in 0.4s. Scanned 1 repo(s) for a total of 32.5K.\n";
        let s = parse_scan_output(text).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(s.repos, 1);
        assert_eq!(s.total, "32.5K");
        assert_eq!(s.warnings, 0);
        assert_eq!(
            s.rows,
            vec![RepoRow {
                repo_id: "bench/r0".into(),
                repo_type: "model".into(),
                size: "32.5K".into(),
                nb_files: 1000,
            }]
        );
    }

    #[test]
    fn hex_names_have_the_asked_length() {
        assert_eq!(hex(1, 40).len(), 40);
        assert_eq!(hex(1, 64).len(), 64);
        assert_ne!(hex(1, 40), hex(2, 40));
        assert!(hex(7, 64).bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
