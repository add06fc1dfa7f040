//! Download one file or a snapshot with hub-cache (used by `cargo xtask bench download`).
//!
//! ```text
//! cargo run --release -p hub-cache --example download -- file  REPO FILE [--cache-dir DIR] [--revision REV]
//! cargo run --release -p hub-cache --example download -- snapshot REPO [--cache-dir DIR] [--revision REV]
//! ```
//!
//! `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_CACHE`, ... are read from the environment as in Python.
//! Prints the resulting path. For tuning experiments, `HUB_RS_CHUNK_MIB`, `HUB_RS_CONNECTIONS`,
//! `HUB_RS_INITIAL_CONNECTIONS` and `HUB_RS_DIRECT_IO_MIB` override the download knobs (defaults: [`hub_cache::Tuning`]), and
//! `HUB_RS_WORKERS` the snapshot's concurrent files.
//!
//! For every file that used ranged connections, one line on stderr says how many the engine
//! settled on: `connections: FILE N (max M)` (the last count it reported, and the largest).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hub_cache::CacheExt;
use hub_core::{HubClient, ProgressEvent, ProgressSink, RepoId};

/// Per file: (last connection count reported, largest).
#[derive(Debug, Default)]
struct Connections(Mutex<BTreeMap<String, (usize, usize)>>);

impl ProgressSink for Connections {
    fn event(&self, event: ProgressEvent<'_>) {
        if let ProgressEvent::Connections { file, connections } = event {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let entry = map.entry(file.to_string()).or_default();
            *entry = (connections, entry.1.max(connections));
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: download (file REPO FILE | snapshot REPO) [--cache-dir DIR] [--revision REV] [--local-dir DIR]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let (mut cache_dir, mut revision, mut local_dir) = (None, None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cache-dir" => cache_dir = Some(it.next().unwrap_or_else(|| usage())),
            "--revision" => revision = Some(it.next().unwrap_or_else(|| usage())),
            "--local-dir" => local_dir = Some(it.next().unwrap_or_else(|| usage())),
            _ => positional.push(a),
        }
    }
    let client = HubClient::from_env()?;
    let mut tuning = hub_cache::Tuning::default();
    if let Some(mib) = env_number("HUB_RS_CHUNK_MIB") {
        tuning.chunk_size = mib * 1024 * 1024;
    }
    if let Some(n) = env_number("HUB_RS_CONNECTIONS") {
        tuning.connections = n as usize;
    }
    if let Some(n) = env_number("HUB_RS_INITIAL_CONNECTIONS") {
        tuning.initial_connections = n as usize;
    }
    if let Some(mib) = env_number("HUB_RS_DIRECT_IO_MIB") {
        tuning.direct_io_threshold = mib.saturating_mul(1024 * 1024);
    }
    let connections = Arc::new(Connections::default());
    let path = match positional.as_slice() {
        [cmd, repo, file] if cmd == "file" => {
            let mut b = client
                .download(&RepoId::new(repo.as_str())?, file)
                .tuning(tuning.clone())
                .progress(connections.clone());
            if let Some(d) = cache_dir {
                b = b.cache_dir(d);
            }
            if let Some(r) = revision {
                b = b.revision(r);
            }
            if let Some(d) = local_dir {
                b = b.local_dir(d);
            }
            b.send().await?
        }
        [cmd, repo] if cmd == "snapshot" => {
            let mut b = client
                .snapshot_download(&RepoId::new(repo.as_str())?)
                .tuning(tuning.clone())
                .progress(connections.clone());
            if let Some(n) = env_number("HUB_RS_WORKERS") {
                b = b.max_workers(n as usize);
            }
            if let Some(d) = cache_dir {
                b = b.cache_dir(d);
            }
            if let Some(r) = revision {
                b = b.revision(r);
            }
            if let Some(d) = local_dir {
                b = b.local_dir(d);
            }
            b.send().await?
        }
        _ => usage(),
    };
    for (file, (last, most)) in connections
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        eprintln!("connections: {file} {last} (max {most})");
    }
    println!("{}", path.display());
    Ok(())
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}
