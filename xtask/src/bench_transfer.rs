//! `cargo xtask bench transfer`: hub-rs transfers against their peers and against the machine's
//! physical floor (issue 17).
//!
//! One invocation measures every table side by side, so ratios compare numbers taken minutes
//! apart on the same machine state:
//!
//! 1. **Floor**: single-core SHA-256 rate and `dd` write rate on the cache's filesystem (see
//!    [`crate::bench_floor`]), and the arithmetic turning them into per-table floors;
//! 2. **Big file download, verified**: hub-cache vs the `hf-hub` crate vs Python 0.26.5 (default
//!    and `hf_transfer`) vs the floor;
//! 3. **Streams**: hub-cache with its default connections vs forced to one connection, on loopback
//!    and against a hub-server started with `--chaos throttle=B` (a per-response rate cap, as a
//!    CDN caps each connection), with the peers on the same throttled server, and hub-cache
//!    alone on a larger throttled file that amortizes the adaptive ramp-up;
//! 4. **Sharded model**: a snapshot of N × M MiB shards plus five small config files;
//! 5. **Many small files**: a snapshot of 1,000 × 16 KiB;
//! 6. **Big file upload** vs Python 0.26.5 and the upload floor (client SHA-256 + server intake);
//! 7. **Cold start and small calls**: `huggingface-cli download REPO FILE` of one small file,
//!    cached with `HF_HUB_OFFLINE=1` and remote with a cold cache, hub-rs's release CLI vs
//!    Python's vs hf-hub (`xtask/hf-hub-bench file`).
//!
//! Every timed run is a whole process (start-up included) measured by [`measure`] (wall time and
//! peak RSS of the process tree), followed, untimed, by a check of its result: sizes and SHA-256
//! of every downloaded file and the number of files in the snapshot, or for uploads the LFS oid
//! and size the server reports, so a short or wrong answer fails the benchmark instead of
//! passing as fast. A client that fails shows `failed: <reason>` in its row; the others still
//! run. Each table shows best and median of `--runs N`, every row's ratio to hub-rs, and the
//! issue's targets as ratios (best / median) with whether they are met.
//!
//! Everything is printed as Markdown and also written to `target/bench/transfer-<UTC time>.md`.
//! `--perf DIR` additionally records `perf record -g` profiles of one big download and one big
//! upload by hub-rs and writes `perf report --stdio` (first 150 lines) next to them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::bench::{
    BenchServer, Bins, Measurement, measure, measure_run, median, pseudo_random_bytes, python,
    python_command, release_bins, start_server,
};
use crate::bench_download::{
    count_files, hf_hub_bin, hf_hub_version, seed, snapshot_dir, target_dir,
};
use crate::bench_floor::{
    DdWrite, ShaRate, create_repo, dd_write, lfs_intake, remote_lfs_file, sha256_file, sha256_hex,
    sha256_rate,
};
use crate::hubserver::ServerProcess;
use crate::util::output;

const MIB: usize = 1024 * 1024;

/// Sizes and counts of one benchmark invocation.
#[derive(Debug, Clone, PartialEq)]
struct Opts {
    /// Timed runs per client and table (best and median are reported).
    runs: usize,
    /// Timed runs of each cold-start call (they are short and noisy).
    small_runs: usize,
    /// The big file, downloaded and uploaded.
    size_mib: usize,
    /// Shards of the sharded model.
    shards: usize,
    /// Size of one shard.
    shard_mib: usize,
    /// Files of the many-small-files snapshot.
    files: usize,
    /// Size of one of them.
    file_kib: usize,
    /// Per-response rate cap of the throttled server, MiB/s.
    throttle_mib_s: usize,
    /// The file downloaded from the throttled server.
    throttle_file_mib: usize,
    /// A larger throttled file on which the adaptive ramp-up (about 2.25 s to reach 8
    /// connections) is amortized, hub-rs only; 0 leaves the table out.
    ramp_file_mib: usize,
    /// Where to write perf profiles (`--perf DIR`), if at all.
    perf_dir: Option<PathBuf>,
    /// Only these tables (`--only big,streams,sharded,small,cold,upload`); the floor always.
    only: Option<Vec<String>>,
}

/// Names accepted by `--only`.
const SECTIONS: [&str; 6] = ["big", "streams", "sharded", "small", "cold", "upload"];

impl Opts {
    /// The sizes of issue 17.
    fn full(runs: usize) -> Opts {
        Opts {
            runs,
            small_runs: 10,
            size_mib: 256,
            shards: 8,
            shard_mib: 128,
            files: 1000,
            file_kib: 16,
            throttle_mib_s: 8,
            // 8 s on one stream; 16 chunks of 4 MiB, two per connection at 8 connections.
            throttle_file_mib: 64,
            // 48 s on one stream: the size from which the ramp-up costs less than 1/6.
            ramp_file_mib: 384,
            perf_dir: None,
            only: None,
        }
    }

    /// Small sizes for a check of the harness (`--quick`): a couple of minutes with `--runs 1`.
    fn quick(runs: usize) -> Opts {
        Opts {
            small_runs: 3,
            size_mib: 32,
            shards: 8,
            shard_mib: 8,
            files: 200,
            // 2 s on one stream; 8 chunks of 4 MiB, one per connection at 8 connections.
            throttle_mib_s: 16,
            throttle_file_mib: 32,
            ramp_file_mib: 0,
            ..Opts::full(runs)
        }
    }

    /// Parses `--quick`, `--perf DIR` and `--NAME N` options; explicit sizes override `--quick`.
    fn parse(args: &[String]) -> Result<Opts> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut opts = if quick { Opts::quick(3) } else { Opts::full(3) };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--quick" {
                continue;
            }
            if a == "--only" {
                let list = it.next().context("--only needs a list of tables")?;
                let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
                if let Some(bad) = names.iter().find(|n| !SECTIONS.contains(&n.as_str())) {
                    bail!(
                        "--only: unknown table {bad:?} (known: {})",
                        SECTIONS.join(",")
                    );
                }
                opts.only = Some(names);
                continue;
            }
            if a == "--perf" {
                let dir = it.next().context("--perf needs a directory")?;
                opts.perf_dir = Some(PathBuf::from(dir));
                continue;
            }
            let slot = match a.as_str() {
                "--runs" => &mut opts.runs,
                "--small-runs" => &mut opts.small_runs,
                "--size-mib" => &mut opts.size_mib,
                "--shards" => &mut opts.shards,
                "--shard-mib" => &mut opts.shard_mib,
                "--files" => &mut opts.files,
                "--file-kib" => &mut opts.file_kib,
                "--throttle-mib-s" => &mut opts.throttle_mib_s,
                "--throttle-file-mib" => &mut opts.throttle_file_mib,
                "--ramp-file-mib" => {
                    let v = it.next().context("--ramp-file-mib needs a value")?;
                    opts.ramp_file_mib = v.parse().context("--ramp-file-mib needs a number")?;
                    continue;
                }
                _ => bail!(
                    "unknown option {a} (expected --quick, --only LIST, --perf DIR, --runs, --small-runs, \
                     --size-mib, --shards, --shard-mib, --files, --file-kib, --throttle-mib-s, \
                     --throttle-file-mib, --ramp-file-mib)"
                ),
            };
            *slot = it
                .next()
                .with_context(|| format!("{a} needs a value"))?
                .parse()
                .with_context(|| format!("{a} needs a number"))?;
            if *slot == 0 {
                bail!("{a} must be at least 1");
            }
        }
        Ok(opts)
    }
}

/// Entry point of `cargo xtask bench transfer [options]`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let opts = Opts::parse(args)?;
    let bins = release_bins()?;
    bench_with(&bins, &opts)
}

/// Entry point of `cargo xtask bench all` (issue 17's sizes).
pub(crate) fn bench(bins: &Bins, runs: usize) -> Result<()> {
    bench_with(bins, &Opts::full(runs))
}

// ---------------------------------------------------------------------------------------------
// Tables

/// Whether a ratio should stay below or above a bound.
#[derive(Debug, Clone, Copy)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met(self, x: f64) -> bool {
        match self {
            Goal::AtMost(b) => x <= b,
            Goal::AtLeast(b) => x >= b,
        }
    }

    fn text(self) -> String {
        match self {
            Goal::AtMost(b) => format!("≤ {b}"),
            Goal::AtLeast(b) => format!("≥ {b}"),
        }
    }
}

/// A target of the issue: `time(num) / time(den)` compared with a bound.
struct Target {
    num: String,
    den: String,
    goal: Goal,
}

/// One client's line of a table.
struct Entry {
    name: String,
    result: std::result::Result<Measurement, String>,
    /// Most connections hub-cache opened in each run (`connections: FILE N (max M)` on the
    /// example's stderr).
    streams: Vec<usize>,
    /// Median CPU time per run of the client's process tree and of the server, when measured.
    cpu: Option<CpuUse>,
}

/// CPU time a download took on both sides of loopback (medians over the runs). Client and
/// server share the machine's cores, so `(client + server) / cores` bounds the wall time from
/// below whatever the overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CpuUse {
    client: Duration,
    server: Duration,
}

impl CpuUse {
    /// The wall time the CPU work alone needs with every core busy.
    fn floor(self, cores: usize) -> Duration {
        (self.client + self.server) / cores.max(1) as u32
    }
}

/// Cores of this machine (for [`CpuUse::floor`]).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One table of the report: the first entry is hub-rs, every ratio is relative to it.
struct Section {
    title: String,
    notes: Vec<String>,
    entries: Vec<Entry>,
    targets: Vec<Target>,
}

impl Section {
    fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            notes: vec![],
            entries: vec![],
            targets: vec![],
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    fn add(&mut self, name: &str, result: Result<Measurement>) {
        let result = result.map_err(|e| {
            eprintln!("{name} failed in \"{}\": {e:#}", self.title);
            one_line(&e)
        });
        self.entries.push(Entry {
            name: name.to_string(),
            result,
            streams: vec![],
            cpu: None,
        });
    }

    /// [`Section::add`] for a download: stream counts (hub-rs only) and CPU use per run.
    fn add_download(&mut self, name: &str, result: Result<Timed>, with_streams: bool) {
        match result {
            Ok(t) => {
                self.add(name, Ok(t.measurement));
                if let Some(e) = self.entries.last_mut() {
                    if with_streams {
                        e.streams = t.streams;
                    }
                    e.cpu = t.cpu;
                }
            }
            Err(e) => self.add(name, Err(e)),
        }
    }

    fn target(&mut self, num: &str, den: &str, goal: Goal) {
        self.targets.push(Target {
            num: num.into(),
            den: den.into(),
            goal,
        });
    }

    fn get(&self, name: &str) -> Option<Measurement> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.result.as_ref().ok().copied())
    }

    /// `(best, median)` of `time(num) / time(den)`, if both were measured.
    fn ratio(&self, num: &str, den: &str) -> Option<(f64, f64)> {
        let (n, d) = (self.get(num)?, self.get(den)?);
        Some((secs(n.wall) / secs(d.wall), secs(n.median) / secs(d.median)))
    }

    /// The target lines (also collected into the report's summary).
    fn target_lines(&self) -> Vec<String> {
        self.targets
            .iter()
            .map(|t| {
                let what = format!("{}: {} / {} {}", self.title, t.num, t.den, t.goal.text());
                match self.ratio(&t.num, &t.den) {
                    Some((best, med)) => {
                        let verdict = match (t.goal.met(best), t.goal.met(med)) {
                            (true, true) => "met",
                            (true, false) => "met by best only",
                            (false, true) => "met by median only",
                            (false, false) => "MISSED",
                        };
                        format!("{what}: best {best:.2}, median {med:.2}: {verdict}")
                    }
                    None => format!("{what}: not measured (a run failed)"),
                }
            })
            .collect()
    }

    fn render(&self) -> String {
        let mut s = format!("\n### {}\n\n", self.title);
        for n in &self.notes {
            let _ = writeln!(s, "{n}  ");
        }
        if !self.notes.is_empty() {
            s.push('\n');
        }
        let ours = self
            .entries
            .first()
            .and_then(|e| e.result.as_ref().ok().copied());
        let mut header = vec![
            "client",
            "best s",
            "median s",
            "peak RSS MB",
            "÷ hub-rs best",
            "÷ hub-rs median",
        ];
        let with_streams = self.entries.iter().any(|e| !e.streams.is_empty());
        if with_streams {
            header.push("streams per run");
        }
        let with_cpu = self.entries.iter().any(|e| e.cpu.is_some());
        let cpu_floor_header = format!("CPU ÷ {} cores s", cores());
        if with_cpu {
            header.push("CPU client + server s");
            header.push(&cpu_floor_header);
        }
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
        for e in &self.entries {
            rows.push(match &e.result {
                Ok(m) => {
                    let (rb, rm) = match ours {
                        Some(o) => (
                            format!("{:.2}", secs(m.wall) / secs(o.wall)),
                            format!("{:.2}", secs(m.median) / secs(o.median)),
                        ),
                        None => ("-".into(), "-".into()),
                    };
                    let mut row = vec![
                        e.name.clone(),
                        format!("{:.3}", m.wall.as_secs_f64()),
                        format!("{:.3}", m.median.as_secs_f64()),
                        if m.max_rss_kib == 0 {
                            "-".into()
                        } else {
                            format!("{:.1}", m.max_rss_kib as f64 / 1024.0)
                        },
                        rb,
                        rm,
                    ];
                    if with_streams {
                        let list: Vec<String> = e.streams.iter().map(usize::to_string).collect();
                        row.push(if list.is_empty() {
                            "-".into()
                        } else {
                            list.join("/")
                        });
                    }
                    if with_cpu {
                        match e.cpu {
                            Some(c) => {
                                row.push(format!("{:.3} + {:.3}", secs(c.client), secs(c.server)));
                                row.push(format!("{:.3}", secs(c.floor(cores()))));
                            }
                            None => row.extend(["-".to_string(), "-".to_string()]),
                        }
                    }
                    row
                }
                Err(reason) => {
                    let mut r = vec![e.name.clone(), format!("failed: {reason}")];
                    r.resize(header.len(), String::new());
                    r
                }
            });
        }
        s.push_str(&markdown_table(&rows));
        let targets = self.target_lines();
        if !targets.is_empty() {
            s.push('\n');
            for t in targets {
                let _ = writeln!(s, "- {t}");
            }
        }
        s
    }
}

/// A Markdown table with padded columns (readable as plain text too). The first row is the
/// header; cells of the first column are left-aligned, the others right-aligned.
fn markdown_table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| {
        rows.iter()
            .filter_map(|r| r.get(c))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(3)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        s.push('|');
        for (c, w) in widths.iter().enumerate() {
            let cell = row.get(c).map(String::as_str).unwrap_or("");
            if c == 0 {
                let _ = write!(s, " {cell:<w$} |");
            } else {
                let _ = write!(s, " {cell:>w$} |");
            }
        }
        s.push('\n');
        if i == 0 {
            s.push('|');
            for (c, w) in widths.iter().enumerate() {
                let dashes = "-".repeat(*w);
                if c == 0 {
                    let _ = write!(s, " {dashes} |");
                } else {
                    let _ = write!(s, " {}: |", &dashes[1..]);
                }
            }
            s.push('\n');
        }
    }
    s
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}

/// The most telling single line of an error chain (for a table cell).
fn one_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let line = text
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("hf-hub-bench: error: ")
                .or_else(|| l.strip_prefix("error: "))
                .or_else(|| l.strip_prefix("Error: "))
        })
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("unknown error")
        .replace('|', "/");
    const MAX: usize = 140;
    if line.chars().count() > MAX {
        format!("{}...", line.chars().take(MAX).collect::<String>())
    } else {
        line
    }
}

/// The report: sections printed as they complete and the whole text (re)written to its file
/// after each, so an interrupted run still leaves its tables behind.
struct Report {
    path: PathBuf,
    text: String,
    targets: Vec<String>,
}

impl Report {
    fn new(header: String) -> Result<Report> {
        let dir = target_dir().join("bench");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("transfer-{}.md", utc_stamp()));
        print!("{header}");
        let report = Report {
            path,
            text: header,
            targets: vec![],
        };
        report.save()?;
        Ok(report)
    }

    fn push_text(&mut self, text: &str) -> Result<()> {
        print!("{text}");
        self.text.push_str(text);
        self.save()
    }

    fn push(&mut self, section: &Section) -> Result<()> {
        self.targets.extend(section.target_lines());
        self.push_text(&section.render())
    }

    fn save(&self) -> Result<()> {
        std::fs::write(&self.path, &self.text)
            .with_context(|| format!("writing {}", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        let mut s = String::from("\n### Targets of issue 17\n\n");
        for t in &self.targets {
            let _ = writeln!(s, "- {t}");
        }
        self.push_text(&s)?;
        println!("\nreport written to {}", self.path.display());
        Ok(())
    }
}

/// `YYYYMMDDTHHMMSSZ` of the current UTC time.
fn utc_stamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc_stamp_of(now)
}

fn utc_stamp_of(epoch_secs: u64) -> String {
    let days = (epoch_secs / 86_400) as i64;
    let rem = epoch_secs % 86_400;
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar, in 400-year eras).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

// ---------------------------------------------------------------------------------------------
// Inputs and checks

/// A file the benchmark created, with what a correct download must reproduce.
#[derive(Debug, Clone)]
struct Expect {
    /// Path inside the repository.
    path: String,
    size: u64,
    sha256: String,
}

/// Writes `bytes` at `root/path` and returns what a download must reproduce.
fn put_file(root: &Path, path: &str, bytes: &[u8]) -> Result<Expect> {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&full, bytes).with_context(|| format!("writing {}", full.display()))?;
    Ok(Expect {
        path: path.to_string(),
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    })
}

/// The small files of a real checkpoint (config, generation config, tokenizer files and the
/// safetensors index naming every shard), with plausible JSON content.
fn config_files(shards: usize, shard_bytes: usize) -> Vec<(String, Vec<u8>)> {
    let shard_name = |i: usize| format!("model-{:05}-of-{shards:05}.safetensors", i + 1);
    let mut weight_map = serde_json::Map::new();
    for layer in 0..shards * 4 {
        weight_map.insert(
            format!("model.layers.{layer}.mlp.weight"),
            serde_json::Value::String(shard_name(layer / 4)),
        );
    }
    let index = serde_json::json!({
        "metadata": {"total_size": shards * shard_bytes},
        "weight_map": weight_map,
    });
    let mut vocab = serde_json::Map::new();
    for i in 0..30_000u32 {
        vocab.insert(format!("tok{i:05}"), serde_json::Value::from(i));
    }
    let tokenizer = serde_json::json!({"version": "1.0", "model": {"type": "BPE", "vocab": vocab}});
    let pretty = |v: &serde_json::Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    vec![
        (
            "config.json".into(),
            pretty(&serde_json::json!({
                "architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
                "num_hidden_layers": shards * 4, "vocab_size": 30000, "torch_dtype": "bfloat16",
            })),
        ),
        (
            "generation_config.json".into(),
            pretty(&serde_json::json!({"bos_token_id": 1, "eos_token_id": 2, "do_sample": true})),
        ),
        (
            "tokenizer_config.json".into(),
            pretty(
                &serde_json::json!({"model_max_length": 4096, "tokenizer_class": "LlamaTokenizer"}),
            ),
        ),
        ("tokenizer.json".into(), pretty(&tokenizer)),
        ("model.safetensors.index.json".into(), pretty(&index)),
    ]
    .into_iter()
    .chain((0..shards).map(|i| {
        (
            shard_name(i),
            pseudo_random_bytes(shard_bytes, 500 + i as u64),
        )
    }))
    .collect()
}

/// Checks that the snapshot of `repo` in `cache` holds every expected file with its size and
/// SHA-256; with `exact`, also that it holds nothing else (`.gitattributes` aside). Hashing runs
/// on two threads (it is outside the timed part, but adds up over many runs).
fn check_snapshot(cache: &Path, repo: &str, files: &[Expect], exact: bool) -> Result<()> {
    let dir = snapshot_dir(cache, repo)?;
    if exact {
        let found = count_files(&dir)?;
        if found != files.len() {
            bail!(
                "{} holds {found} files, expected {}",
                dir.display(),
                files.len()
            );
        }
    }
    let check = |e: &Expect| -> Result<()> {
        let path = dir.join(&e.path);
        let len = std::fs::metadata(&path)
            .with_context(|| format!("{} is missing after the download", path.display()))?
            .len();
        if len != e.size {
            bail!("{} has {len} bytes, expected {}", path.display(), e.size);
        }
        let sha = sha256_file(&path)?;
        if sha != e.sha256 {
            bail!("{} has sha256 {sha}, expected {}", path.display(), e.sha256);
        }
        Ok(())
    };
    let (a, b) = files.split_at(files.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| a.iter().try_for_each(check));
        let mine = b.iter().try_for_each(check);
        other
            .join()
            .map_err(|_| anyhow!("the checking thread panicked"))??;
        mine
    })
}

/// `timed runs` of `make()`'s command: `prepare` before and `check` after each run (neither
/// timed). Best and median wall time, largest peak RSS.
fn timed(
    runs: usize,
    mut prepare: impl FnMut() -> Result<()>,
    mut make: impl FnMut() -> Result<Command>,
    mut check: impl FnMut() -> Result<()>,
) -> Result<Measurement> {
    let mut walls = Vec::with_capacity(runs);
    let mut max_rss_kib = 0;
    for _ in 0..runs.max(1) {
        prepare()?;
        let m = measure(&make()?)?;
        check().context("the result of the run is wrong")?;
        walls.push(m.wall);
        max_rss_kib = max_rss_kib.max(m.max_rss_kib);
    }
    walls.sort();
    Ok(Measurement {
        wall: walls.first().copied().unwrap_or_default(),
        median: median(&walls),
        max_rss_kib,
    })
}

/// What [`timed_download`] measured.
struct Timed {
    measurement: Measurement,
    /// The most connections each run reported on stderr (none when the client does not
    /// report them, or nothing was transferred).
    streams: Vec<usize>,
    /// Median CPU use per run (none when the server's could not be read).
    cpu: Option<CpuUse>,
}

/// [`timed`] for a download from `server`: also the connections each run reported and the
/// CPU time of the client and of the server per run.
fn timed_download(
    runs: usize,
    server: &BenchServer,
    mut prepare: impl FnMut() -> Result<()>,
    mut make: impl FnMut() -> Result<Command>,
    mut check: impl FnMut() -> Result<()>,
) -> Result<Timed> {
    let mut streams = Vec::new();
    let mut walls = Vec::with_capacity(runs);
    let (mut client_cpu, mut server_cpu) = (Vec::new(), Vec::new());
    let mut max_rss_kib = 0;
    for _ in 0..runs.max(1) {
        prepare()?;
        let cmd = make()?;
        let before = server.cpu_time();
        let run = measure_run(&cmd)?;
        if let (Some(a), Some(b)) = (before, server.cpu_time()) {
            server_cpu.push(b.saturating_sub(a));
        }
        check().context("the result of the run is wrong")?;
        walls.push(run.measurement.wall);
        client_cpu.push(run.cpu);
        max_rss_kib = max_rss_kib.max(run.measurement.max_rss_kib);
        streams.extend(parse_streams(&run.stderr));
    }
    walls.sort();
    client_cpu.sort();
    server_cpu.sort();
    let cpu = (server_cpu.len() == client_cpu.len()).then(|| CpuUse {
        client: median(&client_cpu),
        server: median(&server_cpu),
    });
    Ok(Timed {
        measurement: Measurement {
            wall: walls.first().copied().unwrap_or_default(),
            median: median(&walls),
            max_rss_kib,
        },
        streams,
        cpu,
    })
}

/// The most connections any file of a run used, from the download example's stderr lines
/// `connections: FILE N (max M)`.
fn parse_streams(stderr: &str) -> Option<usize> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("connections: ")?;
            let most = rest.rsplit_once("(max ")?.1.strip_suffix(')')?;
            most.trim().parse::<usize>().ok()
        })
        .max()
}

/// Best and median of computed durations (for floors).
fn computed(mut values: Vec<Duration>) -> Measurement {
    values.sort();
    Measurement {
        wall: values.first().copied().unwrap_or_default(),
        median: median(&values),
        max_rss_kib: 0,
    }
}

/// Removes a cache directory (before a cold-cache run).
fn clear(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", dir.display())),
    }
}

// ---------------------------------------------------------------------------------------------
// Clients

/// Binaries and interpreters of every side.
struct Tools {
    /// `hub-cache` example `download` (release).
    ours_download: PathBuf,
    /// `hub-upload` example `upload` (release).
    ours_upload: PathBuf,
    /// hub-rs's release `huggingface-cli`.
    ours_cli: PathBuf,
    /// `xtask/hf-hub-bench`, or why it could not be built.
    hf_hub: std::result::Result<PathBuf, String>,
    /// `huggingface-cli` of the 0.26.5 venv.
    py_cli: PathBuf,
    /// Whether `hf_transfer` imports in the 0.26.5 venv.
    hf_transfer: bool,
}

impl Tools {
    /// Builds everything before any server starts, so compiling never overlaps a measurement.
    fn build(bins: &Bins) -> Result<Tools> {
        let ours_download = crate::bench_download::example_bin()?;
        let ours_upload = crate::bench_upload::example_bin()?;
        let hf_hub = hf_hub_bin().map_err(|e| {
            eprintln!("warning: the hf-hub rows will say failed: {e:#}");
            one_line(&e)
        });
        let py = python("hf026")?;
        let py_cli = py.with_file_name("huggingface-cli");
        let hf_transfer = Command::new(&py)
            .args(["-c", "import hf_transfer"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        Ok(Tools {
            ours_download,
            ours_upload,
            ours_cli: bins.cli.clone(),
            hf_hub,
            py_cli,
            hf_transfer,
        })
    }
}

/// What a download client is asked to fetch.
#[derive(Clone, Copy)]
enum Job<'a> {
    File { repo: &'a str, file: &'a str },
    Snapshot { repo: &'a str },
}

/// A download client of the comparison.
#[derive(Clone, Copy, PartialEq)]
enum Client {
    /// hub-cache with its default tuning.
    Ours,
    /// hub-cache forced to one connection (`HUB_RS_CONNECTIONS=1`).
    OursOneStream,
    /// hub-cache starting on all eight connections (`HUB_RS_INITIAL_CONNECTIONS=8`), as a user
    /// who knows every connection is capped configures it.
    OursEightStreams,
    /// The `hf-hub` crate.
    HfHub,
    /// Python 0.26.5, default transfer.
    Py,
    /// Python 0.26.5 with `HF_HUB_ENABLE_HF_TRANSFER=1`.
    PyTransfer,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Ours => "hub-rs",
            Client::OursOneStream => "hub-rs, 1 connection",
            Client::OursEightStreams => "hub-rs, 8 connections from the start",
            Client::HfHub => "hf-hub",
            Client::Py => "python 0.26.5",
            Client::PyTransfer => "python 0.26.5 + hf_transfer",
        }
    }
}

/// The command downloading `job` into `cache` with `client`.
fn download_command(
    tools: &Tools,
    server: &BenchServer,
    home: &Path,
    client: Client,
    job: Job<'_>,
    cache: &Path,
) -> Result<Command> {
    let args: Vec<&str> = match job {
        Job::File { repo, file } => vec!["file", repo, file],
        Job::Snapshot { repo } => vec!["snapshot", repo],
    };
    let rust = |bin: &Path| {
        let mut c = Command::new(bin);
        server.client_env(&mut c);
        c.env("HF_HOME", home)
            .args(&args)
            .arg("--cache-dir")
            .arg(cache);
        c
    };
    Ok(match client {
        Client::Ours => rust(&tools.ours_download),
        Client::OursOneStream => {
            let mut c = rust(&tools.ours_download);
            c.env("HUB_RS_CONNECTIONS", "1");
            c
        }
        Client::OursEightStreams => {
            let mut c = rust(&tools.ours_download);
            c.env("HUB_RS_CONNECTIONS", "8")
                .env("HUB_RS_INITIAL_CONNECTIONS", "8");
            c
        }
        Client::HfHub => rust(tools.hf_hub.as_ref().map_err(|e| anyhow!("{e}"))?),
        Client::Py | Client::PyTransfer => {
            if client == Client::PyTransfer && !tools.hf_transfer {
                bail!("hf_transfer is not installed in .venv/hf026");
            }
            let mut c = python_command("hf026", server, home)?;
            if client == Client::PyTransfer {
                c.env("HF_HUB_ENABLE_HF_TRANSFER", "1");
            }
            let script = match job {
                Job::File { .. } => {
                    "import sys; from huggingface_hub import hf_hub_download; \
                     hf_hub_download(sys.argv[2], sys.argv[3], cache_dir=sys.argv[1])"
                }
                Job::Snapshot { .. } => {
                    "import sys; from huggingface_hub import snapshot_download; \
                     snapshot_download(sys.argv[2], cache_dir=sys.argv[1])"
                }
            };
            c.arg("-c").arg(script).arg(cache).args(&args[1..]);
            c
        }
    })
}

/// Times `clients` downloading `job` into a cold cache, checking `expect` after every run.
#[allow(clippy::too_many_arguments)]
fn download_rows(
    section: &mut Section,
    tools: &Tools,
    server: &BenchServer,
    work: &Path,
    runs: usize,
    clients: &[Client],
    job: Job<'_>,
    expect: &[Expect],
) {
    let cache = work.join("cache");
    let (repo, exact) = match job {
        Job::File { repo, .. } => (repo, false),
        Job::Snapshot { repo } => (repo, true),
    };
    let home = work.join("home");
    for &client in clients {
        println!("  {} ...", client.name());
        let result = timed_download(
            runs,
            server,
            || clear(&cache),
            || download_command(tools, server, &home, client, job, &cache),
            || check_snapshot(&cache, repo, expect, exact),
        );
        let ours = matches!(
            client,
            Client::Ours | Client::OursOneStream | Client::OursEightStreams
        );
        section.add_download(client.name(), result, ours);
    }
    let _ = clear(&cache);
}

/// Runs `cmd` once under `perf record -g` and writes `perf report --stdio` (first 150 lines)
/// to `dir/name.txt`, a flat profile by self time (first 80 lines) to `dir/name.flat.txt` and
/// the raw profile to `dir/name.perf.data`.
fn perf_profile(dir: &Path, name: &str, cmd: &Command) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let data = dir.join(format!("{name}.perf.data"));
    let mut rec = Command::new("perf");
    rec.arg("record")
        .arg("-g")
        .arg("-o")
        .arg(&data)
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => rec.env(k, v),
            None => rec.env_remove(k),
        };
    }
    output(&mut rec).context("perf record (is perf installed and perf_event_paranoid <= 2?)")?;
    let report = output(
        Command::new("perf")
            .args(["report", "--stdio", "-i"])
            .arg(&data),
    )?;
    let head: Vec<&str> = report.lines().take(150).collect();
    let txt = dir.join(format!("{name}.txt"));
    std::fs::write(&txt, head.join("\n") + "\n")?;
    // The same samples without call graphs, by self time: the hot functions at a glance.
    let flat = output(
        Command::new("perf")
            .args(["report", "--stdio", "--no-children", "-g", "none", "-i"])
            .arg(&data),
    )?;
    let head: Vec<&str> = flat.lines().take(80).collect();
    std::fs::write(dir.join(format!("{name}.flat.txt")), head.join("\n") + "\n")?;
    println!(
        "  perf profile written to {} (and {name}.flat.txt)",
        txt.display()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The benchmark

fn mib(bytes: f64) -> f64 {
    bytes / MIB as f64
}

/// What every section needs.
struct Ctx<'a> {
    bins: &'a Bins,
    tools: Tools,
    opts: &'a Opts,
    /// The temp directory holding inputs, caches and the `dd` file.
    work: &'a Path,
    /// `HF_HOME` of every client.
    home: PathBuf,
    /// Files written before seeding (the big one stays for the upload).
    inputs: PathBuf,
    sha: ShaRate,
    /// Best and median `dd` write time of the big file (without fdatasync).
    big_write: Measurement,
}

impl Ctx<'_> {
    /// Single-core SHA-256 time of `bytes`.
    fn sha_time(&self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 / self.sha.bytes_per_sec)
    }

    /// Times `clients` downloading `job` from `server` (see [`download_rows`]).
    fn download(
        &self,
        sec: &mut Section,
        server: &BenchServer,
        clients: &[Client],
        job: Job<'_>,
        expect: &[Expect],
    ) {
        download_rows(
            sec,
            &self.tools,
            server,
            self.work,
            self.opts.runs,
            clients,
            job,
            expect,
        );
    }

    /// Writes `files` under `inputs/name`, seeds them into `repo` of `server` with Python, and
    /// removes them again unless `keep`.
    fn seed_repo(
        &self,
        server: &BenchServer,
        name: &str,
        files: Vec<(String, Vec<u8>)>,
        keep: bool,
    ) -> Result<(String, Vec<Expect>)> {
        let dir = self.inputs.join(name);
        let mut expect = Vec::with_capacity(files.len());
        for (path, bytes) in files {
            expect.push(put_file(&dir, &path, &bytes)?);
        }
        let repo = format!("{}/{name}", server.user());
        seed(server, &self.home, &dir, &repo)?;
        if !keep {
            clear(&dir)?;
        }
        Ok((repo, expect))
    }
}

fn bench_with(bins: &Bins, opts: &Opts) -> Result<()> {
    let tools = Tools::build(bins)?;
    let work = tempfile::Builder::new()
        .prefix("hub-rs-bench-transfer-")
        .tempdir()?;
    let work = work.path();
    let header = format!(
        "\n## cargo xtask bench transfer ({} UTC)\n\n\
         Loopback against a release hub-server, cold cache before every download run. \
         `best`/`median` of {} runs ({} for cold-start calls), each a whole process \
         (start-up included) and checked afterwards (sizes, SHA-256, file count). \
         `÷ hub-rs` is a row's time divided by hub-rs's: above 1 means hub-rs is faster. \
         hf-hub is the `hf-hub` crate {} (`xtask/hf-hub-bench`). Work directory: {} \
         (caches and `dd` share its filesystem).\n",
        utc_stamp(),
        opts.runs,
        opts.small_runs,
        hf_hub_version().unwrap_or_else(|| "?".into()),
        work.display(),
    );
    let mut report = Report::new(header)?;

    // 1. The floor's inputs, measured first (nothing else runs yet).
    println!("measuring the floor (openssl speed, dd) ...");
    let sha = sha256_rate()?;
    // One untimed write first: the first large write after a while has to reclaim page cache
    // and runs several times slower (measured: 250 MB/s, then 2.5 GB/s). The clients' runs all
    // follow the removal of the previous run's cache, i.e. the warm state.
    dd_write(work, opts.size_mib, false)?;
    let (mut plain, mut sync) = (Vec::new(), Vec::new());
    for _ in 0..opts.runs {
        plain.push(dd_write(work, opts.size_mib, false)?);
        sync.push(dd_write(work, opts.size_mib, true)?);
    }
    report.push_text(&floor_section(&sha, &plain, &sync, opts.size_mib))?;
    let big_write = computed(
        plain
            .iter()
            .map(|w| Duration::from_secs_f64((opts.size_mib * MIB) as f64 / w.rate()))
            .collect(),
    );
    let ctx = Ctx {
        bins,
        tools,
        opts,
        work,
        home: work.join("home"),
        inputs: work.join("inputs"),
        sha,
        big_write,
    };

    let server = start_server(bins)?;
    let wants = |name: &str| {
        opts.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    };
    if wants("big") || wants("streams") || wants("upload") {
        println!("seeding the big file ...");
        let big = vec![(
            "big.bin".to_string(),
            pseudo_random_bytes(opts.size_mib * MIB, 1),
        )];
        let (repo, big) = ctx.seed_repo(&server, "big", big, true)?;
        if wants("big") {
            big_download(&ctx, &mut report, &server, &repo, &big)?;
        }
        if wants("streams") {
            streams(&ctx, &mut report, &server, &repo, &big)?;
        }
        if wants("upload") {
            upload(&ctx, &mut report, &big[0])?;
        }
        clear(&ctx.inputs.join("big"))?;
    }
    if wants("sharded") || wants("cold") {
        println!("seeding the sharded model ...");
        let files = config_files(opts.shards, opts.shard_mib * MIB);
        let (repo, sharded) = ctx.seed_repo(&server, "sharded", files, false)?;
        if wants("sharded") {
            sharded_model(&ctx, &mut report, &server, &repo, &sharded)?;
        }
        if wants("cold") {
            cold_start(&ctx, &mut report, &server, &repo, &sharded)?;
        }
    }
    if wants("small") {
        println!("seeding the small files ...");
        let files = (0..opts.files)
            .map(|i| {
                (
                    format!("d{}/f{i:05}.bin", i % 10),
                    pseudo_random_bytes(opts.file_kib * 1024, 100 + i as u64),
                )
            })
            .collect();
        let (repo, small) = ctx.seed_repo(&server, "small", files, false)?;
        let mut sec = Section::new(format!(
            "Many small files, snapshot of {} × {} KiB",
            opts.files, opts.file_kib
        ));
        println!("many small files ...");
        ctx.download(
            &mut sec,
            &server,
            &[Client::Ours, Client::HfHub, Client::Py, Client::PyTransfer],
            Job::Snapshot { repo: &repo },
            &small,
        );
        sec.target("hf-hub", "hub-rs", Goal::AtLeast(2.0));
        sec.target("python 0.26.5", "hub-rs", Goal::AtLeast(3.0));
        report.push(&sec)?;
    }
    drop(server);
    report.finish()
}

/// Table 2: the big file, verified, against the peers and the floor.
fn big_download(
    ctx: &Ctx<'_>,
    report: &mut Report,
    server: &BenchServer,
    repo: &str,
    big: &[Expect],
) -> Result<()> {
    let opts = ctx.opts;
    let bytes = opts.size_mib * MIB;
    let sha = ctx.sha_time(bytes);
    let floor = Measurement {
        wall: sha.max(ctx.big_write.wall),
        median: sha.max(ctx.big_write.median),
        max_rss_kib: 0,
    };
    let mut sec = Section::new(format!(
        "Big file download, {} MiB, verified",
        opts.size_mib
    ));
    sec.note(format!(
        "floor = max(SHA-256 {:.3} s, write {:.3} s) = {:.3} s with the best dd run, {:.3} s \
         with the median one (see the floor section)",
        sha.as_secs_f64(),
        ctx.big_write.wall.as_secs_f64(),
        floor.wall.as_secs_f64(),
        floor.median.as_secs_f64(),
    ));
    println!("big file download ...");
    let job = Job::File {
        repo,
        file: "big.bin",
    };
    ctx.download(
        &mut sec,
        server,
        &[Client::Ours, Client::HfHub, Client::Py, Client::PyTransfer],
        job,
        big,
    );
    sec.add("floor", Ok(floor));
    sec.target("hub-rs", "floor", Goal::AtMost(1.15));
    sec.target("hf-hub", "hub-rs", Goal::AtLeast(1.0));
    report.push(&sec)?;
    if let Some(dir) = &opts.perf_dir {
        let cache = ctx.work.join("cache");
        clear(&cache)?;
        let cmd = download_command(&ctx.tools, server, &ctx.home, Client::Ours, job, &cache)?;
        if let Err(e) = perf_profile(dir, "download", &cmd) {
            eprintln!("perf profile of the download failed: {e:#}");
        }
        clear(&cache)?;
    }
    Ok(())
}

/// Table 3: default vs one connection on loopback, then every client against a throttled server.
fn streams(
    ctx: &Ctx<'_>,
    report: &mut Report,
    server: &BenchServer,
    repo: &str,
    big: &[Expect],
) -> Result<()> {
    let opts = ctx.opts;
    println!("streams on loopback ...");
    let mut sec = Section::new(format!("Streams on loopback, {} MiB file", opts.size_mib));
    sec.note(
        "hub-rs default vs forced to one connection (`HUB_RS_CONNECTIONS=1`): on loopback one \
         stream is enough, so extra streams should not cost time",
    );
    let job = Job::File {
        repo,
        file: "big.bin",
    };
    ctx.download(
        &mut sec,
        server,
        &[Client::Ours, Client::OursOneStream],
        job,
        big,
    );
    report.push(&sec)?;

    let throttle = opts.throttle_mib_s * MIB;
    let throttled = ServerProcess::start_with(
        &ctx.bins.server,
        "bench",
        &["--chaos", &format!("throttle={throttle}")],
    )?;
    println!("seeding the throttled server ...");
    let file = vec![(
        "big.bin".to_string(),
        pseudo_random_bytes(opts.throttle_file_mib * MIB, 7),
    )];
    let (repo, file) = ctx.seed_repo(&throttled, "throttled", file, false)?;
    println!("streams on a throttled server ...");
    let mut sec = Section::new(format!(
        "Streams at {} MiB/s per response (`--chaos throttle={throttle}`), {} MiB file",
        opts.throttle_mib_s, opts.throttle_file_mib
    ));
    sec.note(format!(
        "one stream needs {:.1} s; the throttle paces every response body, as a CDN caps each \
         connection",
        opts.throttle_file_mib as f64 / opts.throttle_mib_s as f64
    ));
    ctx.download(
        &mut sec,
        &throttled,
        &[
            Client::Ours,
            Client::OursEightStreams,
            Client::OursOneStream,
            Client::HfHub,
            Client::Py,
            Client::PyTransfer,
        ],
        Job::File {
            repo: &repo,
            file: "big.bin",
        },
        &file,
    );
    sec.target(
        Client::OursOneStream.name(),
        Client::OursEightStreams.name(),
        Goal::AtLeast(6.0),
    );
    sec.target(Client::OursOneStream.name(), "hub-rs", Goal::AtLeast(6.0));
    report.push(&sec)?;
    if opts.ramp_file_mib == 0 {
        return Ok(());
    }

    println!("seeding the throttled server with the larger file ...");
    let file = vec![(
        "ramp.bin".to_string(),
        pseudo_random_bytes(opts.ramp_file_mib * MIB, 8),
    )];
    let (repo, file) = ctx.seed_repo(&throttled, "ramp", file, false)?;
    println!("adaptive streams on a larger throttled file ...");
    let mut sec = Section::new(format!(
        "Adaptive streams at {} MiB/s per response, {} MiB file",
        opts.throttle_mib_s, opts.ramp_file_mib
    ));
    sec.note(format!(
        "one stream needs {:.1} s; the adaptive engine spends about 2.25 s doubling 1 → 2 → 4 → 8 \
         connections (0.75 s of measurement per step), which this file amortizes",
        opts.ramp_file_mib as f64 / opts.throttle_mib_s as f64
    ));
    ctx.download(
        &mut sec,
        &throttled,
        &[Client::Ours, Client::OursOneStream],
        Job::File {
            repo: &repo,
            file: "ramp.bin",
        },
        &file,
    );
    sec.target(Client::OursOneStream.name(), "hub-rs", Goal::AtLeast(6.0));
    report.push(&sec)
}

/// Table 4: the snapshot of a checkpoint-shaped repository, with the memory target.
fn sharded_model(
    ctx: &Ctx<'_>,
    report: &mut Report,
    server: &BenchServer,
    repo: &str,
    files: &[Expect],
) -> Result<()> {
    println!("sharded model snapshot ...");
    let mut sec = Section::new(format!(
        "Sharded model snapshot, {} × {} MiB + 5 config files",
        ctx.opts.shards, ctx.opts.shard_mib
    ));
    ctx.download(
        &mut sec,
        server,
        &[Client::Ours, Client::HfHub, Client::Py, Client::PyTransfer],
        Job::Snapshot { repo },
        files,
    );
    // The shards are independent, so their hashing spreads over both cores; the write rate is
    // the one dd measured for the big file.
    let total: usize = files.iter().map(|e| e.size as usize).sum();
    let sha = ctx.sha_time(total) / 2;
    let per_byte = |d: Duration| d.as_secs_f64() / (ctx.opts.size_mib * MIB) as f64;
    let write = |d: Duration| Duration::from_secs_f64(per_byte(d) * total as f64);
    let floor = Measurement {
        wall: sha.max(write(ctx.big_write.wall)),
        median: sha.max(write(ctx.big_write.median)),
        max_rss_kib: 0,
    };
    sec.note(format!(
        "floor (reference, no target) = max(SHA-256 of {:.0} MiB on two cores {:.3} s, write \
         {:.3} s) = {:.3} s",
        mib(total as f64),
        sha.as_secs_f64(),
        write(ctx.big_write.wall).as_secs_f64(),
        floor.wall.as_secs_f64()
    ));
    sec.add("floor (2 cores)", Ok(floor));
    sec.target("hf-hub", "hub-rs", Goal::AtLeast(1.5));
    sec.target("python 0.26.5", "hub-rs", Goal::AtLeast(2.0));
    if let Some(m) = sec.get("hub-rs") {
        let mb = m.max_rss_kib as f64 / 1024.0;
        let verdict = if mb < 100.0 { "met" } else { "MISSED" };
        sec.note(format!(
            "hub-rs peak RSS {mb:.1} MB (target < 100 MB): {verdict}"
        ));
        report.targets.push(format!(
            "{}: hub-rs peak RSS < 100 MB: {mb:.1} MB: {verdict}",
            sec.title
        ));
    }
    report.push(&sec)
}

/// The floor section's text: measured rates and the arithmetic.
fn floor_section(sha: &ShaRate, plain: &[DdWrite], sync: &[DdWrite], size_mib: usize) -> String {
    let rates = |w: &[DdWrite]| {
        let mut r: Vec<f64> = w.iter().map(DdWrite::rate).collect();
        r.sort_by(|a, b| b.total_cmp(a));
        let best = r.first().copied().unwrap_or(0.0);
        let med = if r.is_empty() {
            0.0
        } else if r.len() % 2 == 1 {
            r[r.len() / 2]
        } else {
            (r[r.len() / 2 - 1] + r[r.len() / 2]) / 2.0
        };
        (best, med)
    };
    let (pb, pm) = rates(plain);
    let (sb, sm) = rates(sync);
    let bytes = (size_mib * MIB) as f64;
    let sha_s = bytes / sha.bytes_per_sec;
    let mut s = String::from("\n### Floor\n\n");
    let _ = writeln!(
        s,
        "- SHA-256, one core: {:.0} MB/s ({:.0} MiB/s), from `{}`",
        sha.bytes_per_sec / 1e6,
        mib(sha.bytes_per_sec),
        sha.source
    );
    let _ = writeln!(
        s,
        "- disk write, `dd if=/dev/zero bs=4M count={}` ({size_mib} MiB) into the work directory, \
         after one untimed warm-up write: without fdatasync best {:.0} MB/s, median {:.0} MB/s; with `conv=fdatasync` best {:.0} \
         MB/s, median {:.0} MB/s",
        size_mib.div_ceil(4),
        pb / 1e6,
        pm / 1e6,
        sb / 1e6,
        sm / 1e6
    );
    let _ = writeln!(
        s,
        "- the floor uses the write **without** fdatasync: no client fsyncs, so a download is \
         finished once its bytes are in the page cache, and that is the cost every client pays. \
         The fdatasync rate is what the disk sustains once the page cache must be flushed \
         (direct I/O writes pay it)."
    );
    let _ = writeln!(
        s,
        "- floor(big download, {size_mib} MiB) = max(SHA-256 {size_mib} MiB / {:.0} MB/s = \
         {sha_s:.3} s, write {size_mib} MiB / {:.0} MB/s = {:.3} s) = {:.3} s (best dd; \
         with the median dd: {:.3} s)",
        sha.bytes_per_sec / 1e6,
        pb / 1e6,
        bytes / pb.max(1.0),
        sha_s.max(bytes / pb.max(1.0)),
        sha_s.max(bytes / pm.max(1.0)),
    );
    let _ = writeln!(
        s,
        "- floor(upload, {size_mib} MiB) = client SHA-256 {sha_s:.3} s + server intake (measured \
         in the upload section: LFS batch, raw PUTs of the bytes, completion, verify)"
    );
    s
}

/// Table 7: `huggingface-cli download REPO FILE` of one small file, cached and offline, then
/// remote with a cold cache.
fn cold_start(
    ctx: &Ctx<'_>,
    report: &mut Report,
    server: &BenchServer,
    repo: &str,
    files: &[Expect],
) -> Result<()> {
    let (tools, work, opts) = (&ctx.tools, ctx.work, ctx.opts);
    let expect = files
        .iter()
        .find(|e| e.path == "config.json")
        .context("the sharded model has no config.json")?;
    let file = expect.path.as_str();
    let home = work.join("home");
    #[derive(Clone, Copy, PartialEq)]
    enum Cli {
        Ours,
        Py,
        HfHub,
    }
    let name = |c: Cli| match c {
        Cli::Ours => "hub-rs huggingface-cli",
        Cli::Py => "python 0.26.5 huggingface-cli",
        Cli::HfHub => "hf-hub",
    };
    let command = |c: Cli, cache: &Path, offline: bool| -> Result<Command> {
        let mut cmd = match c {
            Cli::Ours => {
                let mut cmd = Command::new(&tools.ours_cli);
                cmd.args(["download", repo, file]);
                cmd
            }
            Cli::Py => {
                let mut cmd = Command::new(&tools.py_cli);
                cmd.args(["download", repo, file]);
                cmd
            }
            Cli::HfHub => {
                let bin = tools.hf_hub.as_ref().map_err(|e| anyhow!("{e}"))?;
                let mut cmd = Command::new(bin);
                cmd.args(["file", repo, file, "--cache-dir"]).arg(cache);
                cmd
            }
        };
        server.client_env(&mut cmd);
        cmd.env("HF_HOME", &home)
            .env("HF_HUB_CACHE", cache)
            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            .env("HF_HUB_DISABLE_TELEMETRY", "1")
            .env("HF_HUB_DISABLE_XET", "1");
        if offline {
            cmd.env("HF_HUB_OFFLINE", "1");
        }
        Ok(cmd)
    };
    let clients = [Cli::Ours, Cli::Py, Cli::HfHub];
    let check = |cache: &Path| check_snapshot(cache, repo, std::slice::from_ref(expect), false);

    println!("cold start: cached file, offline ...");
    let mut sec = Section::new(format!(
        "Cold start: `huggingface-cli download REPO {file}`, cached, HF_HUB_OFFLINE=1"
    ));
    sec.note(
        "each client's cache is filled by one untimed online call of that client first; \
         hf-hub has no offline switch, so xtask/hf-hub-bench maps HF_HUB_OFFLINE=1 to \
         `local_files_only(true)`",
    );
    for c in clients {
        let cache = work.join(format!("cli-cache-{}", name(c).replace(' ', "-")));
        let m = (|| {
            clear(&cache)?;
            measure(&command(c, &cache, false)?).context("the untimed call filling the cache")?;
            timed(
                opts.small_runs,
                || Ok(()),
                || command(c, &cache, true),
                || check(&cache),
            )
        })();
        sec.add(name(c), m);
        let _ = clear(&cache);
    }
    report.push(&sec)?;

    println!("cold start: remote file, cold cache ...");
    let mut sec = Section::new(format!(
        "Small call: `huggingface-cli download REPO {file}`, remote, cold cache"
    ));
    let cache = work.join("cli-cache");
    for c in clients {
        let m = timed(
            opts.small_runs,
            || clear(&cache),
            || command(c, &cache, false),
            || check(&cache),
        );
        sec.add(name(c), m);
    }
    let _ = clear(&cache);
    report.push(&sec)
}

/// Table 6: the big upload vs Python and the upload floor; a fresh server for every run so no
/// upload finds its bytes already stored.
fn upload(ctx: &Ctx<'_>, report: &mut Report, big: &Expect) -> Result<()> {
    let (bins, tools, opts) = (ctx.bins, &ctx.tools, ctx.opts);
    println!("big file upload ...");
    let file = ctx.inputs.join("big").join(&big.path);
    let home = &ctx.home;
    let server: std::cell::RefCell<Option<BenchServer>> = std::cell::RefCell::new(None);
    let fresh = || -> Result<()> {
        drop(server.borrow_mut().take());
        *server.borrow_mut() = Some(start_server(bins)?);
        Ok(())
    };
    let repo = "bench/up";
    let with_server = |f: &dyn Fn(&BenchServer) -> Result<Command>| -> Result<Command> {
        let s = server.borrow();
        f(s.as_ref().context("no server")?)
    };
    let check = || -> Result<()> {
        let s = server.borrow();
        let s = s.as_ref().context("no server")?;
        let (oid, size) = remote_lfs_file(s.url(), s.token(), repo, "big.bin")?;
        if oid != big.sha256 || size != big.size {
            bail!(
                "the server holds big.bin as {oid} ({size} bytes), expected {} ({} bytes)",
                big.sha256,
                big.size
            );
        }
        Ok(())
    };
    let ours = |s: &BenchServer| -> Result<Command> {
        let mut c = Command::new(&tools.ours_upload);
        s.client_env(&mut c);
        c.env("HF_HOME", home)
            .args(["file", repo])
            .arg(&file)
            .args(["big.bin", "--create"]);
        Ok(c)
    };
    let py = |s: &BenchServer, transfer: bool| -> Result<Command> {
        if transfer && !tools.hf_transfer {
            bail!("hf_transfer is not installed in .venv/hf026");
        }
        let mut c = python_command("hf026", s, home)?;
        if transfer {
            c.env("HF_HUB_ENABLE_HF_TRANSFER", "1");
        }
        c.arg("-c")
            .arg(
                "import sys; from huggingface_hub import HfApi; a=HfApi(); \
                 a.create_repo(sys.argv[1], exist_ok=True); \
                 a.upload_file(repo_id=sys.argv[1], path_or_fileobj=sys.argv[2], path_in_repo='big.bin')",
            )
            .arg(repo)
            .arg(&file);
        Ok(c)
    };
    let mut sec = Section::new(format!("Big file upload, {} MiB", opts.size_mib));
    let runs = opts.runs;
    println!("  hub-rs ...");
    sec.add("hub-rs", timed(runs, fresh, || with_server(&ours), check));
    println!("  python ...");
    sec.add(
        "python 0.26.5",
        timed(runs, fresh, || with_server(&|s| py(s, false)), check),
    );
    sec.add(
        "python 0.26.5 + hf_transfer",
        timed(runs, fresh, || with_server(&|s| py(s, true)), check),
    );
    drop(server.borrow_mut().take());

    // The floor: client SHA-256 + the server's intake of the same bytes, measured two ways on
    // fresh servers: by xtask's own raw PUTs (parts one after the other), and by the hub-upload
    // example's `upload floor` where it exists (parts as concurrent as the engine sends them).
    // The floor takes the faster: a floor is a lower bound.
    println!("  server intake ...");
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let sha_time = ctx.sha_time(bytes.len());
    let raw = (|| -> Result<Measurement> {
        let mut v = Vec::new();
        for _ in 0..runs {
            let s = start_server(bins)?;
            create_repo(s.url(), s.token(), s.user(), "intake")?;
            let repo = format!("{}/intake", s.user());
            v.push(lfs_intake(s.url(), s.token(), &repo, &bytes)?);
        }
        Ok(computed(v))
    })();
    let example = (|| -> Result<(Measurement, Measurement)> {
        let (mut hash, mut intake) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let s = start_server(bins)?;
            let mut c = Command::new(&tools.ours_upload);
            s.client_env(&mut c);
            c.env("HF_HOME", home)
                .args(["floor", "bench/intake"])
                .arg(&file)
                .arg("--create");
            let (h, i) = parse_upload_floor(&output(&mut c)?)?;
            hash.push(h);
            intake.push(i);
        }
        Ok((computed(hash), computed(intake)))
    })();
    let show = |m: &Measurement| {
        format!(
            "best {:.3} s / median {:.3} s",
            m.wall.as_secs_f64(),
            m.median.as_secs_f64()
        )
    };
    let mut intakes = Vec::new();
    match &raw {
        Ok(m) => {
            sec.note(format!(
                "server intake by xtask (LFS batch, raw PUTs from memory one after the other, \
                 completion, verify): {}",
                show(m)
            ));
            intakes.push(*m);
        }
        Err(e) => sec.note(format!("server intake by xtask failed: {}", one_line(e))),
    }
    match &example {
        Ok((hash, m)) => {
            sec.note(format!(
                "server intake by `upload floor` of the hub-upload example (parts concurrent as \
                 in an upload): {}; its client hash of the file: {}",
                show(m),
                show(hash)
            ));
            intakes.push(*m);
        }
        Err(e) if format!("{e:#}").contains("usage: upload") => {
            sec.note("this hub-upload example has no `upload floor` command")
        }
        Err(e) => sec.note(format!(
            "`upload floor` of the hub-upload example failed: {}",
            one_line(e)
        )),
    }
    match intakes.iter().min_by_key(|m| m.wall) {
        Some(intake) => {
            sec.note(format!(
                "floor = client SHA-256 {:.3} s (openssl rate) + the faster server intake",
                sha_time.as_secs_f64()
            ));
            sec.add(
                "floor",
                Ok(Measurement {
                    wall: intake.wall + sha_time,
                    median: intake.median + sha_time,
                    max_rss_kib: 0,
                }),
            );
        }
        None => sec.add(
            "floor",
            Err(anyhow!("the server intake could not be measured")),
        ),
    }
    sec.target("hub-rs", "floor", Goal::AtMost(1.2));
    sec.target("python 0.26.5", "hub-rs", Goal::AtLeast(1.5));
    report.push(&sec)?;

    if let Some(dir) = &opts.perf_dir {
        let s = start_server(bins)?;
        let cmd = ours(&s)?;
        if let Err(e) = perf_profile(dir, "upload", &cmd) {
            eprintln!("perf profile of the upload failed: {e:#}");
        }
    }
    Ok(())
}

/// `(client_hash_s, server_intake_s)` from the line `upload floor` prints:
/// `floor bytes N client_hash_s X server_intake_s Y floor_s Z`.
fn parse_upload_floor(out: &str) -> Result<(Duration, Duration)> {
    let line = out
        .lines()
        .find(|l| l.starts_with("floor "))
        .with_context(|| format!("no `floor ...` line in {out:?}"))?;
    let value = |key: &str| -> Result<Duration> {
        let mut words = line.split_whitespace();
        words
            .position(|w| w == key)
            .and_then(|_| words.next())
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Duration::from_secs_f64)
            .with_context(|| format!("no number after {key} in {line:?}"))
    };
    Ok((value("client_hash_s")?, value("server_intake_s")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_column_from_the_example_stderr() {
        assert_eq!(
            parse_streams("warn: x\nconnections: big.bin 3 (max 4)\n"),
            Some(4)
        );
        assert_eq!(
            parse_streams("connections: a 1 (max 1)\nconnections: b c 8 (max 8)\n"),
            Some(8)
        );
        assert_eq!(parse_streams("connections: a 1 (max lots)\n"), None);
        assert_eq!(parse_streams(""), None);
        let mut s = Section::new("t");
        let cpu = |client_ms, server_ms| {
            Some(CpuUse {
                client: Duration::from_millis(client_ms),
                server: Duration::from_millis(server_ms),
            })
        };
        let timed = |streams, cpu| Timed {
            measurement: m(100, 100),
            streams,
            cpu,
        };
        s.add_download("hub-rs", Ok(timed(vec![1, 8, 8], cpu(300, 100))), true);
        s.add_download("peer", Ok(timed(vec![3], cpu(100, 100))), false);
        let text = s.render();
        assert!(text.contains("streams per run"), "{text}");
        assert!(text.contains("1/8/8 |"), "{text}");
        assert!(
            !text.contains("| 3 |"),
            "a peer's counts are not shown: {text}"
        );
        assert!(text.contains("0.300 + 0.100"), "{text}");
        let floor = format!("{:.3}", 0.4 / cores() as f64);
        assert!(text.contains(&floor), "{text}");
        let mut s = Section::new("t");
        s.add("hub-rs", Ok(m(100, 100)));
        assert!(!s.render().contains("streams"), "no column without counts");
    }

    #[test]
    fn upload_floor_line_is_parsed() -> Result<()> {
        let out =
            "floor bytes 268435456 client_hash_s 0.1600 server_intake_s 0.5120 floor_s 0.6720\n";
        let (hash, intake) = parse_upload_floor(out)?;
        assert_eq!(hash, Duration::from_millis(160));
        assert_eq!(intake, Duration::from_millis(512));
        assert!(parse_upload_floor("usage: upload ...").is_err());
        assert!(parse_upload_floor("floor bytes 1 client_hash_s x").is_err());
        Ok(())
    }

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_quick_and_overrides() -> Result<()> {
        assert_eq!(Opts::parse(&[])?, Opts::full(3));
        let o = Opts::parse(&args(&["--runs", "1", "--quick", "--size-mib", "64"]))?;
        assert_eq!((o.runs, o.size_mib, o.shard_mib), (1, 64, 8));
        let o = Opts::parse(&args(&["--perf", "/tmp/p", "--only", "big,cold"]))?;
        assert_eq!(o.perf_dir, Some(PathBuf::from("/tmp/p")));
        assert_eq!(o.only, Some(vec!["big".to_string(), "cold".to_string()]));
        assert!(Opts::parse(&args(&["--only", "big,nope"])).is_err());
        assert!(Opts::parse(&args(&["--bogus", "1"])).is_err());
        assert!(Opts::parse(&args(&["--runs", "0"])).is_err());
        assert!(Opts::parse(&args(&["--runs"])).is_err());
        assert_eq!(
            Opts::parse(&args(&["--ramp-file-mib", "0"]))?.ramp_file_mib,
            0
        );
        assert_eq!(Opts::parse(&args(&["--quick"]))?.ramp_file_mib, 0);
        assert_eq!(Opts::full(3).ramp_file_mib, 384);
        Ok(())
    }

    fn m(best_ms: u64, median_ms: u64) -> Measurement {
        Measurement {
            wall: Duration::from_millis(best_ms),
            median: Duration::from_millis(median_ms),
            max_rss_kib: 2048,
        }
    }

    #[test]
    fn section_ratios_targets_and_failures() {
        let mut s = Section::new("t");
        s.add("hub-rs", Ok(m(100, 200)));
        s.add("peer", Ok(m(300, 300)));
        s.add("broken", Err(anyhow!("boom | bang")));
        s.target("peer", "hub-rs", Goal::AtLeast(2.0));
        s.target("hub-rs", "peer", Goal::AtMost(0.5));
        s.target("broken", "hub-rs", Goal::AtLeast(1.0));
        let text = s.render();
        assert!(text.contains("| peer "), "{text}");
        assert!(text.contains("3.00 |") && text.contains("1.50 |"), "{text}");
        assert!(text.contains("failed: boom / bang"), "{text}");
        let t = s.target_lines();
        assert_eq!(
            t[0],
            "t: peer / hub-rs ≥ 2: best 3.00, median 1.50: met by best only"
        );
        assert_eq!(
            t[1],
            "t: hub-rs / peer ≤ 0.5: best 0.33, median 0.67: met by best only"
        );
        assert!(t[2].ends_with("not measured (a run failed)"), "{t:?}");
    }

    #[test]
    fn markdown_table_is_aligned() {
        let rows = vec![
            vec!["a".to_string(), "long header".to_string()],
            vec!["longer name".to_string(), "1".to_string()],
        ];
        let t = markdown_table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count()),
            "{t}"
        );
        assert_eq!(lines[1], "| ----------- | ----------: |");
    }

    #[test]
    fn utc_stamps() {
        assert_eq!(utc_stamp_of(0), "19700101T000000Z");
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(utc_stamp_of(1_709_210_096), "20240229T123456Z");
    }

    #[test]
    fn snapshot_check_catches_wrong_short_and_extra_files() -> Result<()> {
        let cache = tempfile::tempdir()?;
        let snap = cache.path().join("models--u--r/snapshots/abc");
        let inputs = tempfile::tempdir()?;
        let a = put_file(inputs.path(), "a.bin", b"hello")?;
        let b = put_file(inputs.path(), "d/b.bin", b"world!")?;
        std::fs::create_dir_all(snap.join("d"))?;
        std::fs::write(snap.join("a.bin"), b"hello")?;
        std::fs::write(snap.join("d/b.bin"), b"world!")?;
        let both = [a.clone(), b.clone()];
        check_snapshot(cache.path(), "u/r", &both, true)?;
        check_snapshot(cache.path(), "u/r", std::slice::from_ref(&a), false)?;
        assert!(check_snapshot(cache.path(), "u/r", std::slice::from_ref(&a), true).is_err());
        std::fs::write(snap.join("d/b.bin"), b"world?")?;
        let err = check_snapshot(cache.path(), "u/r", &both, true)
            .err()
            .context("a wrong file must fail the check")?;
        assert!(format!("{err:#}").contains("sha256"), "{err:#}");
        std::fs::write(snap.join("d/b.bin"), b"world")?;
        let err = check_snapshot(cache.path(), "u/r", &both, true)
            .err()
            .context("a wrong file must fail the check")?;
        assert!(format!("{err:#}").contains("5 bytes"), "{err:#}");
        Ok(())
    }

    #[test]
    fn config_files_name_every_shard() {
        let files = config_files(3, 10);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 8);
        assert!(names.contains(&"model-00003-of-00003.safetensors"));
        let index = files
            .iter()
            .find(|(n, _)| n == "model.safetensors.index.json")
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        assert!(
            index.contains("model-00001-of-00003.safetensors"),
            "{index}"
        );
        assert!(index.contains("\"total_size\": 30"), "{index}");
    }
}
