//! `cargo xtask bench upload`: hub-upload against Python huggingface_hub 0.26.5.
//!
//! Against a release hub-server on loopback (a fresh server for every run, so no upload finds
//! its content already stored):
//!
//! * one large LFS file (1 GiB by default; the server makes it a 16 MiB-part multipart upload):
//!   hub-upload (`crates/hub-upload/examples/upload.rs`) vs `upload_file`, with the default
//!   transfer and with `HF_HUB_ENABLE_HF_TRANSFER=1`;
//! * a folder of many small files (1000 × 16 KiB by default) in one commit: vs `upload_folder`;
//! * sha256 throughput of hub-upload's hasher on the large file (page cache warm) vs
//!   `openssl speed -evp sha256 -bytes 8192` on one core (target: at least 80 %).
//!
//! Both sides create the repository (exist-ok) inside the measured command. Whole processes are
//! timed (Python start-up and import, about 0.3 s, included) and peak RSS is reported. Options:
//! `--runs N`, `--size-mib N`, `--files N`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::bench::{
    BenchServer, Bins, Row, Table, measure_best, parse_counts, python_command, release_bins,
    start_server, write_random_file,
};
use crate::util::{cargo, output, repo_root, run as run_cmd};

/// Sizes of the benchmark inputs.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    big_mib: usize,
    files: usize,
    file_kib: usize,
}

const DEFAULT_SIZES: Sizes = Sizes {
    big_mib: 1024,
    files: 1000,
    file_kib: 16,
};

/// Entry point with raw arguments (`--runs N --size-mib N --files N`).
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut runs = 3usize;
    let mut sizes = DEFAULT_SIZES;
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

/// Builds the Rust side of the benchmark (`--release` example of hub-upload).
pub(crate) fn example_bin() -> Result<PathBuf> {
    run_cmd(cargo().args([
        "build",
        "--release",
        "-p",
        "hub-upload",
        "--example",
        "upload",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    Ok(target.join("release").join("examples").join("upload"))
}

/// sha256 bytes/s of `openssl speed -evp sha256 -bytes 8192` (one process, one core). By
/// default openssl divides by CPU time; with `elapsed` by wall time.
fn openssl_sha256(elapsed: bool) -> Result<f64> {
    let mut cmd = Command::new("openssl");
    cmd.arg("speed");
    if elapsed {
        cmd.arg("-elapsed");
    }
    cmd.args(["-evp", "sha256", "-bytes", "8192", "-seconds", "3"]);
    let text = output(&mut cmd)?;
    // Last line: `sha256   1873231.87k` (thousands of bytes per second).
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("openssl speed printed nothing")?;
    let k = last
        .split_whitespace()
        .last()
        .and_then(|v| v.trim_end_matches('k').parse::<f64>().ok())
        .with_context(|| format!("cannot parse openssl output line {last:?}"))?;
    Ok(k * 1000.0)
}

/// Best (wall, cpu) bytes/s of `upload hash FILE` or `upload hash-mem MIB` over `runs`.
fn ours_sha256(bin: &Path, args: &[&str], runs: usize) -> Result<(f64, f64)> {
    let (mut wall, mut cpu) = (0.0f64, 0.0f64);
    for _ in 0..runs.max(1) + 1 {
        let out = output(Command::new(bin).args(args))?;
        // `<sha>  <what>  wall <X> MB/s  cpu <Y> MB/s`
        let num = |key: &str| -> Option<f64> {
            let mut it = out.split_whitespace();
            it.position(|w| w == key)?;
            it.next()?.parse::<f64>().ok()
        };
        wall = wall.max(num("wall").with_context(|| format!("cannot parse {out:?}"))? * 1e6);
        cpu = cpu.max(num("cpu").unwrap_or(0.0) * 1e6);
    }
    Ok((wall, cpu))
}

fn bench_with(bins: &Bins, runs: usize, sizes: Sizes) -> Result<()> {
    let ours_bin = example_bin()?;
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-upload-")
        .tempdir()?;
    let home = work.path().join("home");
    let big = work.path().join("big").join("big.bin");
    write_random_file(&big, sizes.big_mib * 1024 * 1024, 1)?;
    let small_dir = work.path().join("small");
    for i in 0..sizes.files {
        write_random_file(
            &small_dir.join(format!("d{}/f{i:05}.txt", i % 10)),
            sizes.file_kib * 1024,
            100 + i as u64,
        )?;
    }

    // Hashing first: the large file is then in the page cache for everyone. openssl counts CPU
    // time by default; on a shared machine wall time is compared with `-elapsed` as well.
    let big_arg = big.to_string_lossy().into_owned();
    let (file_wall, file_cpu) = ours_sha256(&ours_bin, &["hash", &big_arg], runs)?;
    let (mem_wall, mem_cpu) = ours_sha256(&ours_bin, &["hash-mem", "512"], runs)?;
    let ossl_cpu = openssl_sha256(false)?;
    let ossl_wall = openssl_sha256(true)?;
    let pct = |a: f64, b: f64| 100.0 * a / b.max(1.0);
    println!("\nsha256 throughput (MB/s; target: hub-upload >= 80 % of openssl, one core)");
    println!(
        "  openssl speed -evp sha256 -bytes 8192:  cpu {:.0}   wall (-elapsed) {:.0}",
        ossl_cpu / 1e6,
        ossl_wall / 1e6
    );
    println!(
        "  hub-upload, in memory (1 thread):       cpu {:.0} ({:.0} %)   wall {:.0} ({:.0} %)",
        mem_cpu / 1e6,
        pct(mem_cpu, ossl_cpu),
        mem_wall / 1e6,
        pct(mem_wall, ossl_wall)
    );
    println!(
        "  hub-upload, {} MiB file (read+hash):  cpu {:.0} ({:.0} %)   wall {:.0} ({:.0} %)",
        sizes.big_mib,
        file_cpu / 1e6,
        pct(file_cpu, ossl_cpu),
        file_wall / 1e6,
        pct(file_wall, ossl_wall)
    );

    // A fresh server before every measured run, shared by the command builders.
    let server: RefCell<Option<BenchServer>> = RefCell::new(None);
    let fresh = || -> Result<()> {
        let old = server.borrow_mut().take();
        drop(old);
        *server.borrow_mut() = Some(start_server(bins)?);
        Ok(())
    };
    let big_repo = "bench/big".to_owned();
    let small_repo = "bench/small".to_owned();
    let ours = |args: &[&str]| -> Result<Command> {
        let s = server.borrow();
        let s = s.as_ref().context("server not started")?;
        let mut c = Command::new(&ours_bin);
        s.client_env(&mut c);
        c.env("HF_HOME", &home).args(args).arg("--create");
        Ok(c)
    };
    let py = |script: &str, transfer: bool| -> Result<Command> {
        let s = server.borrow();
        let s = s.as_ref().context("server not started")?;
        let mut c = python_command("hf026", s, &home)?;
        if transfer {
            c.env("HF_HUB_ENABLE_HF_TRANSFER", "1");
        }
        c.arg("-c").arg(script);
        Ok(c)
    };
    let big_s = big.to_string_lossy().into_owned();
    let small_s = small_dir.to_string_lossy().into_owned();
    let big_py = format!(
        "from huggingface_hub import HfApi; a=HfApi(); a.create_repo('{big_repo}', exist_ok=True); a.upload_file(repo_id='{big_repo}', path_or_fileobj='{big_s}', path_in_repo='big.bin')"
    );
    let small_py = format!(
        "from huggingface_hub import HfApi; a=HfApi(); a.create_repo('{small_repo}', exist_ok=True); a.upload_folder(repo_id='{small_repo}', folder_path='{small_s}')"
    );
    let big_label = format!("1 file, {} MiB (LFS multipart)", sizes.big_mib);
    let small_label = format!("folder {} x {} KiB, 1 commit", sizes.files, sizes.file_kib);

    // The bench user is `bench`, so repos are `bench/...`.
    let ours_big = measure_best(runs, fresh, || {
        ours(&["file", &big_repo, &big_s, "big.bin"])
    })?;
    let ours_small = measure_best(runs, fresh, || ours(&["folder", &small_repo, &small_s]))?;
    let py_big = measure_best(runs, fresh, || py(&big_py, false))?;
    let py_small = measure_best(runs, fresh, || py(&small_py, false))?;
    let tr_big = measure_best(runs, fresh, || py(&big_py, true))?;
    let tr_small = measure_best(runs, fresh, || py(&small_py, true))?;

    let mut default = Table::new(
        "upload: hub-upload vs huggingface_hub 0.26.5 (default)",
        "py 0.26.5",
    );
    default.push(Row {
        label: big_label.clone(),
        ours: ours_big,
        theirs: py_big,
    });
    default.push(Row {
        label: small_label.clone(),
        ours: ours_small,
        theirs: py_small,
    });
    default.print();
    let mut transfer = Table::new(
        "upload: hub-upload vs huggingface_hub 0.26.5 with HF_HUB_ENABLE_HF_TRANSFER=1",
        "hf_transfer",
    );
    transfer.push(Row {
        label: big_label,
        ours: ours_big,
        theirs: tr_big,
    });
    transfer.push(Row {
        label: small_label,
        ours: ours_small,
        theirs: tr_small,
    });
    transfer.print();
    Ok(())
}
