//! Download one file or a snapshot with the Rust `hf-hub` crate (Hugging Face's own Rust client),
//! as the reference that `cargo xtask bench download` compares hub-rs against.
//!
//! ```text
//! hf-hub-bench file     REPO FILE [--cache-dir DIR] [--revision REV]
//! hf-hub-bench snapshot REPO      [--cache-dir DIR] [--revision REV]
//! ```
//!
//! `REPO` is a model repository id (`owner/name`). The endpoint and token come from `HF_ENDPOINT`
//! and `HF_TOKEN` (passed to `HFClientBuilder::endpoint` / `::token` when set); without
//! `--cache-dir` the crate's own default applies (`HF_HUB_CACHE`, then `$HF_HOME/hub`).
//! Prints the resulting path (the cached file, or the snapshot folder).
//!
//! Offline mode: hf-hub has no environment switch of its own, so `HF_HUB_OFFLINE=1` (as the
//! Python client and hub-rs read it) turns `file` into a `local_files_only(true)` lookup. That is
//! what `cargo xtask bench transfer` times as hf-hub's "cached small file" call.
//!
//! Concurrency: `file` is one `HFRepository::download_file` call, which hf-hub performs as a
//! single streamed GET (it has no parallel ranged download for non-Xet files). `snapshot` is the
//! crate's own `HFRepository::snapshot_download`: it resolves the revision through the repo info
//! API, lists every file with a recursive tree listing, HEADs them and downloads them with
//! `max_workers` concurrent tasks. We pin `max_workers` to [`SNAPSHOT_WORKERS`] = 8, the crate's
//! default and the same as Python's `snapshot_download(max_workers=8)` in the other tables.

use std::path::PathBuf;
use std::process::ExitCode;

use hf_hub::{HFClient, HFError};

/// Concurrent file downloads of `snapshot` (hf-hub's default and Python's `max_workers`).
const SNAPSHOT_WORKERS: usize = 8;

const USAGE: &str =
    "usage: hf-hub-bench (file REPO FILE | snapshot REPO) [--cache-dir DIR] [--revision REV]";

/// What to download.
enum Job {
    File { repo: String, file: String },
    Snapshot { repo: String },
}

/// Parsed command line.
struct Args {
    job: Job,
    cache_dir: Option<PathBuf>,
    revision: Option<String>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut cache_dir, mut revision) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cache-dir" => {
                let v = it.next().ok_or("--cache-dir needs a directory")?;
                cache_dir = Some(PathBuf::from(v));
            }
            "--revision" => revision = Some(it.next().ok_or("--revision needs a value")?),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(a),
        }
    }
    let job = match positional.as_slice() {
        [cmd, repo, file] if cmd == "file" => Job::File {
            repo: repo.clone(),
            file: file.clone(),
        },
        [cmd, repo] if cmd == "snapshot" => Job::Snapshot { repo: repo.clone() },
        [] => return Err("missing command (file or snapshot)".into()),
        other => return Err(format!("unexpected arguments {other:?}")),
    };
    Ok(Args {
        job,
        cache_dir,
        revision,
    })
}

/// `owner/name` → (`owner`, `name`), both non-empty.
fn split_repo(repo: &str) -> Result<(&str, &str), String> {
    match hf_hub::split_id(repo) {
        (owner, name) if !owner.is_empty() && !name.is_empty() => Ok((owner, name)),
        _ => Err(format!(
            "repository id {repo:?} is not of the form owner/name"
        )),
    }
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `HF_HUB_OFFLINE` set to a true value (`1`, `true`, `yes`, `on`, any case), as Python reads it.
fn offline() -> bool {
    env_var("HF_HUB_OFFLINE").is_some_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// An error with its chain of causes on one line.
fn describe(err: &HFError) -> String {
    let mut s = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    s
}

async fn download(args: Args) -> Result<PathBuf, String> {
    let mut builder = HFClient::builder();
    if let Some(endpoint) = env_var("HF_ENDPOINT") {
        builder = builder.endpoint(endpoint);
    }
    if let Some(token) = env_var("HF_TOKEN") {
        builder = builder.token(token);
    }
    if let Some(dir) = args.cache_dir {
        builder = builder.cache_dir(dir);
    }
    let client = builder
        .build()
        .map_err(|e| format!("creating the hf-hub client: {}", describe(&e)))?;
    match args.job {
        Job::File { repo, file } => {
            let (owner, name) = split_repo(&repo)?;
            client
                .model(owner, name)
                .download_file()
                .filename(file.as_str())
                .maybe_revision(args.revision)
                .local_files_only(offline())
                .send()
                .await
                .map_err(|e| format!("downloading {file} from {repo}: {}", describe(&e)))
        }
        Job::Snapshot { repo } => {
            let (owner, name) = split_repo(&repo)?;
            client
                .model(owner, name)
                .snapshot_download()
                .maybe_revision(args.revision)
                .max_workers(SNAPSHOT_WORKERS)
                .send()
                .await
                .map_err(|e| format!("snapshot of {repo}: {}", describe(&e)))
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("hf-hub-bench: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match download(args).await {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("hf-hub-bench: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
