//! `cargo xtask bench download`: hub-cache against Python huggingface_hub 0.26.5.
//!
//! Against a release hub-server on loopback, with a cold cache before every run:
//!
//! * one large LFS file (1 GiB by default): hub-cache (`crates/hub-cache/examples/download.rs`)
//!   vs `hf_hub_download` with the default transfer and with `HF_HUB_ENABLE_HF_TRANSFER=1`;
//! * a snapshot of many small files (1000 × 16 KiB by default): vs `snapshot_download`
//!   (default 8 threads; with hf_transfer, 0.26 fetches snapshot files one by one).
//!
//! Whole processes are timed on both sides (Python start-up and import, about 0.3 s, included)
//! and the peak RSS of each is reported. Options: `--runs N`, `--size-mib N`, `--files N`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{
    BenchServer, Bins, Row, Table, measure_best, python_command, release_bins, start_server,
    write_random_file,
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
#[allow(dead_code)] // one of `run` / `bench` is called, depending on how main.rs dispatches
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut runs = 3usize;
    let mut sizes = Sizes {
        big_mib: 1024,
        files: 1000,
        file_kib: 16,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || -> Result<usize> {
            it.next()
                .with_context(|| format!("{a} needs a value"))?
                .parse::<usize>()
                .with_context(|| format!("{a} needs a number"))
        };
        match a.as_str() {
            "--runs" => runs = value()?,
            "--size-mib" => sizes.big_mib = value()?,
            "--files" => sizes.files = value()?,
            other => bail!("unknown option {other} (expected --runs, --size-mib, --files)"),
        }
    }
    let bins = release_bins()?;
    bench_with(&bins, runs, sizes)
}

/// Entry point for `cargo xtask bench download|all` (default sizes).
#[allow(dead_code)] // called from bench_modules.rs once wired in
pub(crate) fn bench(bins: &Bins, runs: usize) -> Result<()> {
    bench_with(
        bins,
        runs,
        Sizes {
            big_mib: 1024,
            files: 1000,
            file_kib: 16,
        },
    )
}

/// Builds the Rust side of the benchmark (`--release` example of hub-cache).
fn example_bin() -> Result<PathBuf> {
    run_cmd(cargo().args([
        "build",
        "--release",
        "-p",
        "hub-cache",
        "--example",
        "download",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("release").join("examples").join("download"))
}

fn seed(server: &BenchServer, home: &Path, folder: &Path, repo: &str) -> Result<()> {
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
        label: big_label,
        ours: ours_big,
        theirs: measure_best(runs, clear, || py(&big_py, true))?,
    });
    transfer.push(Row {
        label: small_label,
        ours: ours_small,
        theirs: measure_best(runs, clear, || py(&small_py, true))?,
    });
    transfer.print();
    Ok(())
}
