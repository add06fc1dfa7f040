//! `cargo xtask bench download`: hub-cache against Python huggingface_hub 0.26.5 and against the
//! Rust `hf-hub` crate (Hugging Face's own Rust client, from crates.io).
//!
//! Against a release hub-server on loopback, with a cold cache before every run:
//!
//! * one large LFS file (1 GiB by default): hub-cache (`crates/hub-cache/examples/download.rs`)
//!   vs `hf_hub_download` with the default transfer and with `HF_HUB_ENABLE_HF_TRANSFER=1`,
//!   and vs hf-hub's `download_file`;
//! * a snapshot of many small files (1000 × 16 KiB by default): vs `snapshot_download`
//!   (default 8 threads; with hf_transfer, 0.26 fetches snapshot files one by one) and vs
//!   hf-hub's `snapshot_download` (8 concurrent downloads, its default).
//!
//! The hf-hub side is `xtask/hf-hub-bench`, a standalone cargo project (own `[workspace]` and
//! `Cargo.lock`, built `--release --locked` into `target/hf-hub-bench`), so the crate never enters
//! the hub-rs workspace's dependency graph. If it cannot be built, or fails against the server,
//! its rows say `failed: <reason>` and the rest of the benchmark still runs; after its runs the
//! cache is checked (file size, number of snapshot files) so a silent short download cannot pass
//! for a fast one.
//!
//! Whole processes are timed on every side (Python start-up and import, about 0.3 s, included)
//! and the peak RSS of each is reported. Options: `--runs N`, `--size-mib N`, `--files N`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};

use crate::bench::{
    BenchServer, Bins, Measurement, Row, Table, measure_best, parse_counts, python_command,
    release_bins, start_server, write_random_file,
};
use crate::util::{cargo, repo_root, run as run_cmd};

/// Sizes of the benchmark inputs.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    big_mib: usize,
    files: usize,
    file_kib: usize,
}

/// Entry point with raw arguments (`--runs N --size-mib N --files N`).
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut runs = 3usize;
    let mut sizes = Sizes {
        big_mib: 1024,
        files: 1000,
        file_kib: 16,
    };
    parse_counts(
        args,
        &mut [
            ("--runs", &mut runs),
            ("--size-mib", &mut sizes.big_mib),
            ("--files", &mut sizes.files),
        ],
    )?;
    let bins = release_bins()?;
    bench_with(&bins, runs, sizes)
}

/// Builds the Rust side of the benchmark (`--release` example of hub-cache).
pub(crate) fn example_bin() -> Result<PathBuf> {
    run_cmd(cargo().args([
        "build",
        "--release",
        "-p",
        "hub-cache",
        "--example",
        "download",
    ]))?;
    Ok(target_dir()
        .join("release")
        .join("examples")
        .join("download"))
}

/// The workspace's target directory (`CARGO_TARGET_DIR` or `target/`).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The standalone project driving the `hf-hub` crate.
fn hf_hub_manifest() -> PathBuf {
    repo_root()
        .join("xtask")
        .join("hf-hub-bench")
        .join("Cargo.toml")
}

/// Builds the `hf-hub` side (`xtask/hf-hub-bench`, release, its own lock file) into
/// `<target>/hf-hub-bench`, away from the workspace's own build.
pub(crate) fn hf_hub_bin() -> Result<PathBuf> {
    let target = target_dir().join("hf-hub-bench");
    run_cmd(
        cargo()
            .args(["build", "--release", "--locked", "--manifest-path"])
            .arg(hf_hub_manifest())
            .env("CARGO_TARGET_DIR", &target),
    )
    .context("building xtask/hf-hub-bench (the hf-hub crate needs crates.io the first time)")?;
    Ok(target.join("release").join("hf-hub-bench"))
}

/// The hf-hub version pinned in `xtask/hf-hub-bench/Cargo.lock`, for the table title.
pub(crate) fn hf_hub_version() -> Option<String> {
    let lock = std::fs::read_to_string(hf_hub_manifest().with_file_name("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    lines.find(|l| l.trim() == "name = \"hf-hub\"")?;
    let version = lines.next()?.trim().strip_prefix("version = ")?;
    Some(version.trim_matches('"').to_string())
}

/// One line saying why an hf-hub run failed, for its table row (the full error is printed above
/// the table).
pub(crate) fn failure_reason(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("hf-hub-bench: error: "))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("unknown error");
    const MAX: usize = 160;
    if line.chars().count() > MAX {
        format!("{}...", line.chars().take(MAX).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The single snapshot folder of model `repo` in the hub cache at `cache`.
pub(crate) fn snapshot_dir(cache: &Path, repo: &str) -> Result<PathBuf> {
    let snapshots = cache
        .join(format!("models--{}", repo.replace('/', "--")))
        .join("snapshots");
    let dirs = std::fs::read_dir(&snapshots)
        .with_context(|| format!("no snapshots folder at {}", snapshots.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    match dirs.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one snapshot in {}, found {}",
            snapshots.display(),
            dirs.len()
        ),
    }
}

/// Regular files under `dir` (following the cache's symlinks), `.gitattributes` excluded.
pub(crate) fn count_files(dir: &Path) -> Result<usize> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let meta = std::fs::metadata(&path)
            .with_context(|| format!("{} is dangling or unreadable", path.display()))?;
        if meta.is_dir() {
            n += count_files(&path)?;
        } else if path.file_name().is_some_and(|f| f != ".gitattributes") {
            n += 1;
        }
    }
    Ok(n)
}

/// The large file is in the cache with its full size.
fn check_big(cache: &Path, repo: &str, bytes: u64) -> Result<()> {
    let path = snapshot_dir(cache, repo)?.join("big.bin");
    let len = std::fs::metadata(&path)
        .with_context(|| format!("{} missing after the download", path.display()))?
        .len();
    if len != bytes {
        bail!("{} has {len} bytes, expected {bytes}", path.display());
    }
    Ok(())
}

/// Every file of the many-files repo is in the cache's snapshot.
fn check_snapshot(cache: &Path, repo: &str, files: usize) -> Result<()> {
    let dir = snapshot_dir(cache, repo)?;
    let found = count_files(&dir)?;
    if found != files {
        bail!("{} has {found} files, expected {files}", dir.display());
    }
    Ok(())
}

/// Creates `repo` (exist-ok) and uploads `folder` into it with Python 0.26.5, a client
/// independent of the engines under test.
pub(crate) fn seed(server: &BenchServer, home: &Path, folder: &Path, repo: &str) -> Result<()> {
    let mut c = python_command("hf026", server, home)?;
    c.arg("-c")
        .arg(
            "import sys; from huggingface_hub import HfApi; a=HfApi(); a.create_repo(sys.argv[1], exist_ok=True); a.upload_folder(repo_id=sys.argv[1], folder_path=sys.argv[2])",
        )
        .arg(repo)
        .arg(folder);
    let out = c.output().context("seeding with python")?;
    if !out.status.success() {
        bail!(
            "seeding {repo} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn bench_with(bins: &Bins, runs: usize, sizes: Sizes) -> Result<()> {
    let ours_bin = example_bin()?;
    // Built before the server starts, so compiling never overlaps a measurement. A failure here
    // only turns the hf-hub rows into "failed: ..." rows.
    let hf_hub = hf_hub_bin();
    if let Err(e) = &hf_hub {
        eprintln!("warning: the hf-hub comparison will be skipped: {e:#}");
    }
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-download-")
        .tempdir()?;
    let server = start_server(bins)?;
    let home = work.path().join("home");

    let big_dir = work.path().join("big");
    write_random_file(&big_dir.join("big.bin"), sizes.big_mib * 1024 * 1024, 1)?;
    let small_dir = work.path().join("small");
    for i in 0..sizes.files {
        write_random_file(
            &small_dir.join(format!("d{}/f{i:05}.txt", i % 10)),
            sizes.file_kib * 1024,
            100 + i as u64,
        )?;
    }
    let big_repo = format!("{}/bench-big", server.user());
    let small_repo = format!("{}/bench-small", server.user());
    println!(
        "seeding {big_repo} ({} MiB) and {small_repo} ({} files)...",
        sizes.big_mib, sizes.files
    );
    seed(&server, &home, &big_dir, &big_repo)?;
    seed(&server, &home, &small_dir, &small_repo)?;
    // The inputs are on the server now; free the disk for the caches.
    let _ = std::fs::remove_dir_all(&big_dir);
    let _ = std::fs::remove_dir_all(&small_dir);

    let cache = work.path().join("cache");
    let clear = || {
        let _ = std::fs::remove_dir_all(&cache);
        Ok(())
    };
    let ours = |args: &[&str]| -> Result<Command> {
        let mut c = Command::new(&ours_bin);
        server.client_env(&mut c);
        c.env("HF_HOME", &home)
            .args(args)
            .arg("--cache-dir")
            .arg(&cache);
        Ok(c)
    };
    let py = |script: &str, transfer: bool| -> Result<Command> {
        let mut c = python_command("hf026", &server, &home)?;
        if transfer {
            c.env("HF_HUB_ENABLE_HF_TRANSFER", "1");
        }
        c.arg("-c").arg(script).arg(&cache);
        Ok(c)
    };
    let big_py = format!(
        "import sys; from huggingface_hub import hf_hub_download; hf_hub_download('{big_repo}', 'big.bin', cache_dir=sys.argv[1])"
    );
    let small_py = format!(
        "import sys; from huggingface_hub import snapshot_download; snapshot_download('{small_repo}', cache_dir=sys.argv[1])"
    );

    let big_label = format!("1 file, {} MiB (LFS)", sizes.big_mib);
    let small_label = format!("snapshot {} x {} KiB", sizes.files, sizes.file_kib);
    let ours_big = measure_best(runs, clear, || ours(&["file", &big_repo, "big.bin"]))?;
    let ours_small = measure_best(runs, clear, || ours(&["snapshot", &small_repo]))?;
    let mut default = Table::new(
        "download: hub-cache vs huggingface_hub 0.26.5 (default)",
        "py 0.26.5",
    );
    default.push(Row {
        label: big_label.clone(),
        ours: ours_big,
        theirs: measure_best(runs, clear, || py(&big_py, false))?,
    });
    default.push(Row {
        label: small_label.clone(),
        ours: ours_small,
        theirs: measure_best(runs, clear, || py(&small_py, false))?,
    });
    default.print();
    let mut transfer = Table::new(
        "download: hub-cache vs huggingface_hub 0.26.5 with HF_HUB_ENABLE_HF_TRANSFER=1",
        "hf_transfer",
    );
    transfer.push(Row {
        label: big_label.clone(),
        ours: ours_big,
        theirs: measure_best(runs, clear, || py(&big_py, true))?,
    });
    transfer.push(Row {
        label: small_label.clone(),
        ours: ours_small,
        theirs: measure_best(runs, clear, || py(&small_py, true))?,
    });
    transfer.print();

    // The same two jobs with the Rust hf-hub crate, then a check of what it left in the cache.
    let hf = |args: &[&str], check: &dyn Fn() -> Result<()>| -> Result<Measurement> {
        let bin = hf_hub.as_ref().map_err(|e| anyhow!("{e:#}"))?;
        let m = measure_best(runs, clear, || {
            let mut c = Command::new(bin);
            server.client_env(&mut c);
            c.env("HF_HOME", &home)
                .args(args)
                .arg("--cache-dir")
                .arg(&cache);
            Ok(c)
        })?;
        check()?;
        Ok(m)
    };
    let big_bytes = (sizes.big_mib * 1024 * 1024) as u64;
    let hf_big = hf(&["file", &big_repo, "big.bin"], &|| {
        check_big(&cache, &big_repo, big_bytes)
    });
    let hf_small = hf(&["snapshot", &small_repo], &|| {
        check_snapshot(&cache, &small_repo, sizes.files)
    });
    let version = hf_hub_version().unwrap_or_default();
    let mut krate = Table::new(
        &format!("download: hub-rs vs hf-hub crate {version} (Rust, crates.io)"),
        "hf-hub",
    );
    for (label, ours, theirs) in [
        (big_label, ours_big, hf_big),
        (small_label, ours_small, hf_small),
    ] {
        match theirs {
            Ok(theirs) => krate.push(Row {
                label,
                ours,
                theirs,
            }),
            Err(e) => {
                eprintln!("hf-hub failed on \"{label}\": {e:#}");
                krate.push_failed(label, ours, &failure_reason(&e));
            }
        }
    }
    krate.print();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reason_is_the_runner_error_line() {
        let e = anyhow!(
            "benchmark command `hf-hub-bench file u/r big.bin` failed:\n/some/stdout\nhf-hub-bench: error: downloading big.bin from u/r: missing ETag header\n"
        );
        assert_eq!(
            failure_reason(&e),
            "downloading big.bin from u/r: missing ETag header"
        );
        let e = anyhow!("x".repeat(500)).context("building xtask/hf-hub-bench");
        let reason = failure_reason(&e);
        assert!(
            reason.starts_with("building xtask/hf-hub-bench: xxx"),
            "{reason}"
        );
        assert!(reason.ends_with("...") && reason.len() < 200, "{reason}");
    }
}
