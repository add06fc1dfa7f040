//! `cargo xtask bench fs`: random ranged reads of one large LFS file through hub-fs against
//! Python huggingface_hub 0.26.5's `HfFileSystem`.
//!
//! Against a release hub-server on loopback: one file of `--size-mib` MiB (default 1024) is
//! uploaded, then `--reads` (default 1000) ranges of 64 KiB at seeded pseudo-random offsets
//! (the same offsets on both sides, from a file) are read:
//!
//! * `open`: one opened file, seek + read per range (hub-fs's `HfFile` with its default
//!   read-ahead (4 MiB) vs Python's `HfFileSystem().open(path, "rb")` with fsspec's default
//!   (5 MiB blocks);
//! * `open, 64 KiB block`: the same with the read-ahead block set to the read size on both
//!   sides (`open_with_block_size` vs `open(..., block_size=65536)`);
//! * `cat_file`: one ranged `cat_file` per range on both sides.
//!
//! Every range read on either side is compared with the local copy of the file by the reading
//! process itself (`crates/hub-fs/examples/ranges.rs`, `bench_fs.py`); a mismatch fails the
//! benchmark, so a fast but wrong reader cannot produce a number. Whole processes are timed
//! (Python start-up included); best and median of `--runs` (default 3) and peak RSS are shown.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{
    Bins, Row, Table, measure_best, parse_counts, pseudo_random_bytes, python_command,
    release_bins, start_server, write_random_file,
};
use crate::util::{cargo, repo_root, run as run_cmd};

/// Length of each read.
const RANGE_LEN: u64 = 64 * 1024;

/// The Python side, run with `python -c`.
const PY_SCRIPT: &str = include_str!("bench_fs.py");

/// Entry point with raw arguments (`--runs N --size-mib N --reads N`).
pub(crate) fn run(args: &[String]) -> Result<()> {
    let (mut runs, mut size_mib, mut reads) = (3usize, 1024usize, 1000usize);
    parse_counts(
        args,
        &mut [
            ("--runs", &mut runs),
            ("--size-mib", &mut size_mib),
            ("--reads", &mut reads),
        ],
    )?;
    bench_with(&release_bins()?, runs, size_mib, reads)
}

/// Entry point for `cargo xtask bench all` (default sizes).
pub(crate) fn bench(bins: &Bins, runs: usize) -> Result<()> {
    bench_with(bins, runs, 1024, 1000)
}

/// `count` offsets in `[0, size - len]`, the same for the same seed.
fn offsets(size: u64, len: u64, count: usize, seed: u64) -> Vec<u64> {
    let span = size.saturating_sub(len) + 1;
    pseudo_random_bytes(count * 8, seed)
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_le_bytes(b) % span
        })
        .collect()
}

/// Builds the Rust side (`--release` example of hub-fs).
fn example_bin() -> Result<PathBuf> {
    run_cmd(cargo().args(["build", "--release", "-p", "hub-fs", "--example", "ranges"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("release").join("examples").join("ranges"))
}

fn bench_with(bins: &Bins, runs: usize, size_mib: usize, reads: usize) -> Result<()> {
    if size_mib == 0 || reads == 0 {
        bail!("--size-mib and --reads must be at least 1");
    }
    // Built before the server starts, so compiling never overlaps a measurement.
    let ours_bin = example_bin()?;
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-fs-")
        .tempdir()?;
    let server = start_server(bins)?;
    let home = work.path().join("home");
    let local = work.path().join("data").join("big.bin");
    let size = size_mib as u64 * 1024 * 1024;
    write_random_file(&local, size_mib * 1024 * 1024, 7)?;
    let offsets_file = work.path().join("offsets.txt");
    let lines: Vec<String> = offsets(size, RANGE_LEN, reads, 42)
        .iter()
        .map(u64::to_string)
        .collect();
    std::fs::write(&offsets_file, lines.join("\n"))?;

    let repo = format!("{}/bench-fs", server.user());
    println!("seeding {repo} ({size_mib} MiB)...");
    let mut seed = python_command("hf026", &server, &home)?;
    seed.arg("-c")
        .arg(
            "import sys; from huggingface_hub import HfApi; a=HfApi(); \
             a.create_repo(sys.argv[1], exist_ok=True); \
             a.upload_file(path_or_fileobj=sys.argv[2], path_in_repo='big.bin', repo_id=sys.argv[1])",
        )
        .arg(&repo)
        .arg(&local);
    let out = seed.output().context("seeding with python")?;
    if !out.status.success() {
        bail!(
            "seeding {repo} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let hf_path = format!("{repo}/big.bin");
    let len = RANGE_LEN.to_string();
    let reader_args = |mode: &str| -> Vec<std::ffi::OsString> {
        vec![
            mode.into(),
            hf_path.clone().into(),
            local.clone().into(),
            offsets_file.clone().into(),
            len.clone().into(),
        ]
    };
    let ours = |mode: &str| -> Result<Command> {
        let mut c = Command::new(&ours_bin);
        server.client_env(&mut c);
        c.env("HF_HOME", &home).args(reader_args(mode));
        Ok(c)
    };
    let theirs = |mode: &str| -> Result<Command> {
        let mut c = python_command("hf026", &server, &home)?;
        c.arg("-c").arg(PY_SCRIPT).args(reader_args(mode));
        Ok(c)
    };
    let none = || Ok(());
    let mut table = Table::new(
        &format!(
            "fs: {reads} random 64 KiB reads of a {size_mib} MiB LFS file, every byte checked \
             (hub-fs vs huggingface_hub 0.26.5 HfFileSystem)"
        ),
        "py 0.26.5",
    );
    for (mode, label) in [
        ("open", "open + seek/read"),
        ("open-block", "open, 64 KiB block"),
        ("cat", "cat_file ranges"),
    ] {
        table.push(Row {
            label: label.into(),
            ours: measure_best(runs, none, || ours(mode))?,
            theirs: measure_best(runs, none, || theirs(mode))?,
        });
    }
    table.print();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_seeded_and_in_bounds() {
        let a = offsets(10 * RANGE_LEN, RANGE_LEN, 500, 42);
        assert_eq!(a, offsets(10 * RANGE_LEN, RANGE_LEN, 500, 42));
        assert_ne!(a, offsets(10 * RANGE_LEN, RANGE_LEN, 500, 43));
        assert_eq!(a.len(), 500);
        assert!(a.iter().all(|&o| o + RANGE_LEN <= 10 * RANGE_LEN));
        // Not all the same: the reads really are spread over the file.
        assert!(a.iter().any(|&o| o != a[0]));
    }

    #[test]
    fn offsets_of_a_file_smaller_than_a_range_start_at_zero() {
        assert_eq!(offsets(100, RANGE_LEN, 3, 1), vec![0, 0, 0]);
    }
}
