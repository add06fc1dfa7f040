//! `cargo xtask bench <transfer|download|upload|server|scan|fs|all>`: hub-rs against the Python
//! client (and, for downloads, the Rust `hf-hub` crate).
//!
//! Shared infrastructure for the benchmark modules (`bench_transfer.rs`, `bench_download.rs`,
//! `bench_upload.rs`, `bench_scan.rs` and the server benchmark here):
//!
//! * [`release_bins`] builds `hub-server` and `huggingface-cli` with `--release` once;
//! * [`BenchServer`] is a release hub-server on 127.0.0.1 with a temp data dir and a user/token;
//! * [`measure`] runs a command and reports wall time and peak RSS. The command is started through
//!   a fresh `xtask __measure` process, whose `getrusage(RUSAGE_CHILDREN)` then covers exactly that
//!   one command (the peak of a process tree is not otherwise observable after it exits);
//! * [`Table`] prints rows of "ours vs theirs" with time and memory ratios.
//!
//! Benchmarks never assert on timings; they print numbers for humans and reports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::hubserver::ServerProcess;
use crate::util::{cargo, repo_root, run};

/// Which benchmark to run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// Downloads: hub-cache vs Python hf_hub_download / snapshot_download and the hf-hub crate.
    Download,
    /// Uploads: hub-upload vs Python upload_file / upload_folder.
    Upload,
    /// The server itself: Python clients against hub-server, server peak memory.
    Server,
    /// `scan-cache` of a synthetic 100k-file cache: hub-rs CLI vs Python 0.26.5 CLI.
    Scan,
    /// Transfers at the machine's limit (issue 17): big/sharded/small downloads, throttled
    /// streams, big upload and cold-start calls, each against its peers and a measured floor.
    Transfer,
    /// Random 64 KiB reads of a large file: hub-fs vs Python 0.26.5's HfFileSystem.
    Fs,
    /// Everything above (`transfer` in place of `download` and `upload`, which it supersedes).
    All,
}

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// Which benchmark to run.
    #[arg(value_enum, default_value = "all")]
    pub(crate) which: Which,
    /// Options of the benchmark: `--runs N` (all; best wall time of N runs), and for download and
    /// upload also `--size-mib N` (the large file) and `--files N` (the many-files case), for
    /// scan `--repos N` and `--files N` (files per repo).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) options: Vec<String>,
}

/// `--runs N` from the raw options (default 3).
fn runs_option(options: &[String]) -> Result<usize> {
    let mut runs = 3;
    let mut it = options.iter();
    while let Some(a) = it.next() {
        if a == "--runs" {
            runs = it
                .next()
                .context("--runs needs a value")?
                .parse()
                .context("--runs needs a number")?;
        } else {
            bail!("unknown option {a} (`bench server` and `bench all` take only --runs N)");
        }
    }
    Ok(runs)
}

/// Release binaries used by benchmarks.
pub(crate) struct Bins {
    /// `target/release/hub-server`.
    pub(crate) server: PathBuf,
    /// `target/release/huggingface-cli`.
    pub(crate) cli: PathBuf,
}

/// Builds the release binaries (once per invocation; cargo makes it a no-op when fresh).
pub(crate) fn release_bins() -> Result<Bins> {
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "hub-server",
        "-p",
        "hub-cli",
        "--bins",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("release");
    Ok(Bins {
        server: dir.join("hub-server"),
        cli: dir.join("huggingface-cli"),
    })
}

/// A release hub-server for benchmarks (see [`ServerProcess`]).
pub(crate) type BenchServer = ServerProcess;

/// Starts a release hub-server with user `bench`.
pub(crate) fn start_server(bins: &Bins) -> Result<BenchServer> {
    ServerProcess::start(&bins.server, "bench")
}

/// The interpreter of a venv from `cargo xtask venv` (`hf026` or `hf24`), created if missing.
pub(crate) fn python(venv: &str) -> Result<PathBuf> {
    let py = crate::venv::python(venv);
    if !py.is_file() {
        crate::venv::ensure_all()?;
    }
    Ok(py)
}

/// A Python command for a benchmark: quiet, no telemetry, no Xet, talking to `server`.
pub(crate) fn python_command(venv: &str, server: &BenchServer, home: &Path) -> Result<Command> {
    let mut cmd = Command::new(python(venv)?);
    server.client_env(&mut cmd);
    cmd.env("HF_HOME", home)
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_XET", "1");
    Ok(cmd)
}

/// Parses `--name N` options: each name in `options` sets its slot. An unknown option, or a
/// missing or non-numeric value, is an error that names it.
pub(crate) fn parse_counts(args: &[String], options: &mut [(&str, &mut usize)]) -> Result<()> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some((_, slot)) = options.iter_mut().find(|(name, _)| *name == a.as_str()) else {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            bail!("unknown option {a} (expected {})", names.join(", "));
        };
        **slot = it
            .next()
            .with_context(|| format!("{a} needs a value"))?
            .parse::<usize>()
            .with_context(|| format!("{a} needs a number"))?;
    }
    Ok(())
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measurement {
    /// Wall-clock time of the command (over several runs: the fastest).
    pub(crate) wall: Duration,
    /// Over several runs: the median wall-clock time (the machine's page cache and filesystem
    /// make single runs vary by 2x here, so the table shows both).
    pub(crate) median: Duration,
    /// Peak resident set size of the largest process of the command's tree, KiB.
    pub(crate) max_rss_kib: u64,
}

/// Runs `cmd` (stdout/stderr captured, shown on failure) and measures it.
pub(crate) fn measure(cmd: &Command) -> Result<Measurement> {
    measure_with_stderr(cmd).map(|(m, _)| m)
}

/// [`measure`], also returning what the command wrote to stderr (e.g. statistics it reports).
pub(crate) fn measure_with_stderr(cmd: &Command) -> Result<(Measurement, String)> {
    measure_run(cmd).map(|r| (r.measurement, r.stderr))
}

/// One measured run of a command: [`Measurement`], its stderr, and the CPU time (user +
/// system) of its whole process tree.
pub(crate) struct Run {
    pub(crate) measurement: Measurement,
    pub(crate) stderr: String,
    pub(crate) cpu: Duration,
}

/// [`measure`] with everything [`Run`] holds.
pub(crate) fn measure_run(cmd: &Command) -> Result<Run> {
    let exe = std::env::current_exe().context("locating the xtask binary")?;
    let report = tempfile::NamedTempFile::new()?;
    let mut m = Command::new(exe);
    m.arg("__measure")
        .arg(report.path())
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        m.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => m.env(k, v),
            None => m.env_remove(k),
        };
    }
    let out = m.output().context("running xtask __measure")?;
    if !out.status.success() {
        bail!(
            "benchmark command `{}` failed:\n{}{}",
            crate::util::display(cmd),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(report.path())?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    let wall = Duration::from_micros(v["wall_us"].as_u64().unwrap_or(0));
    let m = Measurement {
        wall,
        median: wall,
        max_rss_kib: v["max_rss_kib"].as_u64().unwrap_or(0),
    };
    Ok(Run {
        measurement: m,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        cpu: Duration::from_micros(v["cpu_us"].as_u64().unwrap_or(0)),
    })
}

/// Runs `make()`'s command `runs` times (calling `prepare` before each, e.g. to empty a cache)
/// and keeps the fastest wall time and the largest peak RSS.
pub(crate) fn measure_best(
    runs: usize,
    mut prepare: impl FnMut() -> Result<()>,
    mut make: impl FnMut() -> Result<Command>,
) -> Result<Measurement> {
    let mut walls = Vec::with_capacity(runs.max(1));
    let mut max_rss_kib = 0;
    for _ in 0..runs.max(1) {
        prepare()?;
        let m = measure(&make()?)?;
        walls.push(m.wall);
        max_rss_kib = max_rss_kib.max(m.max_rss_kib);
    }
    walls.sort();
    let best = *walls.first().context("no measurement")?;
    Ok(Measurement {
        wall: best,
        median: median(&walls),
        max_rss_kib,
    })
}

/// The median of sorted durations (the mean of the middle two for an even count).
pub(crate) fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// A rusage time as a [`Duration`].
fn timeval(t: nix::sys::time::TimeVal) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
}

/// `xtask __measure REPORT -- CMD...`: the intermediate process of [`measure`].
pub(crate) fn measure_child(report: &Path, argv: &[String]) -> Result<()> {
    let (program, args) = argv.split_first().context("__measure needs a command")?;
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("running {program}"))?;
    let wall = start.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    // ru_maxrss is in KiB on Linux.
    let max_rss_kib = u64::try_from(usage.max_rss()).unwrap_or(0);
    let cpu = timeval(usage.user_time()) + timeval(usage.system_time());
    let json = serde_json::json!({
        "cpu_us": u64::try_from(cpu.as_micros()).unwrap_or(u64::MAX),
        "wall_us": u64::try_from(wall.as_micros()).unwrap_or(u64::MAX),
        "max_rss_kib": max_rss_kib,
        "code": status.code(),
    });
    std::fs::write(report, json.to_string())?;
    if !status.success() {
        bail!("`{program}` exited with {status}");
    }
    Ok(())
}

/// One comparison row: the same job done by hub-rs and by the reference.
pub(crate) struct Row {
    /// What was measured, e.g. "snapshot 1 GiB, 8 files".
    pub(crate) label: String,
    /// hub-rs.
    pub(crate) ours: Measurement,
    /// The reference (usually Python huggingface_hub 0.26.5).
    pub(crate) theirs: Measurement,
}

/// A row of a [`Table`]: a comparison, or a case the reference could not do.
enum Line {
    Row(Row),
    Failed {
        label: String,
        ours: Measurement,
        reason: String,
    },
}

impl Line {
    fn label(&self) -> &str {
        match self {
            Line::Row(r) => &r.label,
            Line::Failed { label, .. } => label,
        }
    }
}

/// A printed comparison table.
pub(crate) struct Table {
    title: String,
    ours_name: String,
    theirs_name: String,
    rows: Vec<Line>,
}

impl Table {
    /// A table comparing hub-rs with `theirs_name`.
    pub(crate) fn new(title: &str, theirs_name: &str) -> Table {
        Table::with_names(title, "hub-rs", theirs_name)
    }

    /// A table comparing `ours_name` (the "ours" column) with `theirs_name`.
    pub(crate) fn with_names(title: &str, ours_name: &str, theirs_name: &str) -> Table {
        Table {
            title: title.into(),
            ours_name: ours_name.into(),
            theirs_name: theirs_name.into(),
            rows: vec![],
        }
    }

    /// Adds a row.
    pub(crate) fn push(&mut self, row: Row) {
        self.rows.push(Line::Row(row));
    }

    /// Adds a row where the reference failed: hub-rs's numbers, then `failed: <reason>` in
    /// place of the reference's (so one failing client does not abort a whole benchmark).
    pub(crate) fn push_failed(&mut self, label: String, ours: Measurement, reason: &str) {
        self.rows.push(Line::Failed {
            label,
            ours,
            reason: reason.to_string(),
        });
    }

    /// Renders the table (also used by tests of the formatting).
    pub(crate) fn render(&self) -> String {
        let mut s = format!("\n{}\n", self.title);
        let label_w = self
            .rows
            .iter()
            .map(|r| r.label().len())
            .max()
            .unwrap_or(5)
            .max(5);
        s.push_str(&format!(
            "{:<label_w$}  {:>10}  {:>10}  {:>7}  {:>8}  {:>14}  {:>14}  {:>7}\n",
            "case",
            self.ours_name,
            self.theirs_name,
            "speedup",
            "median x",
            format!("rss {}", self.ours_name),
            format!("rss {}", self.theirs_name),
            "mem x"
        ));
        for line in &self.rows {
            let r = match line {
                Line::Row(r) => r,
                Line::Failed {
                    label,
                    ours,
                    reason,
                } => {
                    s.push_str(&format!(
                        "{label:<label_w$}  {:>9.3}s  {:>10}  {:>7}  {:>8}  {:>12.1}MB  {:>14}  {:>7}  failed: {reason}\n",
                        ours.wall.as_secs_f64(),
                        "-",
                        "-",
                        "-",
                        ours.max_rss_kib as f64 / 1024.0,
                        "-",
                        "-",
                    ));
                    continue;
                }
            };
            let speedup = r.theirs.wall.as_secs_f64() / r.ours.wall.as_secs_f64().max(1e-9);
            let median_x = r.theirs.median.as_secs_f64() / r.ours.median.as_secs_f64().max(1e-9);
            let mem = r.theirs.max_rss_kib as f64 / (r.ours.max_rss_kib.max(1)) as f64;
            s.push_str(&format!(
                "{:<label_w$}  {:>9.3}s  {:>9.3}s  {:>6.2}x  {:>7.2}x  {:>12.1}MB  {:>12.1}MB  {:>6.2}x\n",
                r.label,
                r.ours.wall.as_secs_f64(),
                r.theirs.wall.as_secs_f64(),
                speedup,
                median_x,
                r.ours.max_rss_kib as f64 / 1024.0,
                r.theirs.max_rss_kib as f64 / 1024.0,
                mem
            ));
        }
        s
    }

    /// Prints the table to stdout.
    pub(crate) fn print(&self) {
        print!("{}", self.render());
    }
}

/// Deterministic incompressible bytes (xorshift64*), so benchmark inputs are reproducible
/// without a random-number crate.
pub(crate) fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes a file of `len` pseudo-random bytes, creating parent directories.
pub(crate) fn write_random_file(path: &Path, len: usize, seed: u64) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, pseudo_random_bytes(len, seed))
        .with_context(|| format!("writing {}", path.display()))
}

/// Runs the selected benchmarks.
pub(crate) fn run_bench(args: &BenchArgs) -> Result<()> {
    match args.which {
        // These parse their own options (--runs, --size-mib, --files, --repos).
        Which::Download => crate::bench_download::run(&args.options),
        Which::Upload => crate::bench_upload::run(&args.options),
        Which::Scan => crate::bench_scan::run(&args.options),
        Which::Transfer => crate::bench_transfer::run(&args.options),
        Which::Fs => crate::bench_fs::run(&args.options),
        Which::Server => {
            let runs = runs_option(&args.options)?;
            bench_server(&release_bins()?, runs)
        }
        Which::All => {
            let runs = runs_option(&args.options)?;
            let bins = release_bins()?;
            crate::bench_transfer::bench(&bins, runs)?;
            bench_server(&bins, runs)?;
            crate::bench_fs::bench(&bins, runs)?;
            crate::bench_scan::bench(&bins, runs)
        }
    }
}

/// Server benchmark: both pinned Python clients upload a folder of many small files and a few
/// large ones to a release hub-server, then snapshot-download it into a cold cache. Reports the
/// clients' times side by side and the server's peak memory (it must stay flat while streaming).
fn bench_server(bins: &Bins, runs: usize) -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-server-")
        .tempdir()?;
    let folder = work.path().join("folder");
    for i in 0..200 {
        write_random_file(&folder.join(format!("small/{i:03}.txt")), 2048, i)?;
    }
    for i in 0..4 {
        write_random_file(
            &folder.join(format!("large/{i}.bin")),
            32 * 1024 * 1024,
            1000 + i,
        )?;
    }
    let server = start_server(bins)?;
    let upload = "import os,sys; from huggingface_hub import HfApi; a=HfApi(); r=os.environ['R']; \
                  a.create_repo(r, exist_ok=True); a.upload_folder(repo_id=r, folder_path=sys.argv[1])";
    let download = "import os,sys; from huggingface_hub import snapshot_download; \
                    snapshot_download(os.environ['R'], cache_dir=sys.argv[1])";
    let mut table = Table::with_names(
        "hub-server: 200 x 2 KiB + 4 x 32 MiB, one process per run",
        "hf 2.4.0",
        "hf 0.26.5",
    );
    let mut rows: Vec<(Measurement, Measurement)> = vec![];
    let mut repos = vec![];
    for venv in ["hf24", "hf026"] {
        // A new repo per upload run, so no run finds its content already stored.
        let mut n = 0;
        let up = measure_best(
            runs,
            || Ok(()),
            || {
                n += 1;
                let mut c = python_command(venv, &server, &work.path().join("home"))?;
                c.env("R", format!("{}/up-{venv}-{n}", server.user()));
                c.arg("-c").arg(upload).arg(&folder);
                Ok(c)
            },
        )?;
        let repo = format!("{}/up-{venv}-1", server.user());
        let cache = work.path().join(format!("cache-{venv}"));
        let down = measure_best(
            runs,
            || {
                let _ = std::fs::remove_dir_all(&cache);
                Ok(())
            },
            || {
                let mut c = python_command(venv, &server, &work.path().join("home"))?;
                c.env("R", &repo).arg("-c").arg(download).arg(&cache);
                Ok(c)
            },
        )?;
        rows.push((up, down));
        repos.push(repo);
    }
    table.push(Row {
        label: "upload_folder".into(),
        ours: rows[0].0,
        theirs: rows[1].0,
    });
    table.push(Row {
        label: "snapshot_download".into(),
        ours: rows[0].1,
        theirs: rows[1].1,
    });
    table.print();
    if let Some(kib) = server.peak_rss_kib() {
        println!(
            "hub-server peak RSS over the whole run: {:.1} MB",
            kib as f64 / 1024.0
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_random_is_deterministic_and_sized() {
        assert_eq!(pseudo_random_bytes(1001, 3), pseudo_random_bytes(1001, 3));
        assert_ne!(pseudo_random_bytes(64, 3), pseudo_random_bytes(64, 4));
        assert_eq!(pseudo_random_bytes(1001, 3).len(), 1001);
    }

    #[test]
    fn table_renders_ratios() {
        let mut t = Table::new("t", "ref");
        t.push(Row {
            label: "case one".into(),
            ours: Measurement {
                wall: Duration::from_millis(500),
                median: Duration::from_millis(600),
                max_rss_kib: 10 * 1024,
            },
            theirs: Measurement {
                wall: Duration::from_secs(2),
                median: Duration::from_secs(3),
                max_rss_kib: 40 * 1024,
            },
        });
        let s = t.render();
        assert!(s.contains("case one"), "{s}");
        assert!(s.contains("4.00x"), "speedup 2 s / 0.5 s: {s}");
        assert!(s.contains("5.00x"), "median 3 s / 0.6 s: {s}");
        assert!(s.contains("10.0MB") && s.contains("40.0MB"), "{s}");
    }

    #[test]
    fn counts_are_parsed_by_name() -> Result<()> {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (mut runs, mut files) = (3, 1000);
        parse_counts(
            &args(&["--files", "5", "--runs", "1"]),
            &mut [("--runs", &mut runs), ("--files", &mut files)],
        )?;
        assert_eq!((runs, files), (1, 5));
        let err = parse_counts(&args(&["--x", "1"]), &mut [("--runs", &mut runs)]);
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("unknown option --x (expected --runs)".to_string())
        );
        assert!(parse_counts(&args(&["--runs", "a"]), &mut [("--runs", &mut runs)]).is_err());
        Ok(())
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        assert_eq!(median(&ms(&[1, 5, 9])), Duration::from_millis(5));
        assert_eq!(median(&ms(&[1, 3, 5, 100])), Duration::from_millis(4));
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn table_renders_failed_rows() {
        let mut t = Table::new("t", "ref");
        let ours = Measurement {
            wall: Duration::from_millis(1500),
            median: Duration::from_millis(1500),
            max_rss_kib: 8 * 1024,
        };
        t.push_failed("a much longer case".into(), ours, "no ETag");
        t.push(Row {
            label: "short".into(),
            ours,
            theirs: ours,
        });
        let s = t.render();
        let failed = s
            .lines()
            .find(|l| l.starts_with("a much longer case"))
            .unwrap_or_default();
        assert!(failed.contains("1.500s") && failed.contains("8.0MB"), "{s}");
        assert!(failed.ends_with("failed: no ETag"), "{s}");
        assert!(
            s.contains("short               "),
            "label column fits every row: {s}"
        );
        assert!(s.contains("1.00x"), "{s}");
    }
}
