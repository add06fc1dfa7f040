//! Small command-line front end to hub-upload (used by `cargo xtask bench upload`).
//!
//! ```text
//! upload file   REPO_ID LOCAL_FILE [PATH_IN_REPO] [--create] [--repo-type T]
//! upload folder REPO_ID LOCAL_DIR  [PATH_IN_REPO] [--create] [--repo-type T]
//! upload large  REPO_ID LOCAL_DIR  [--repo-type T]
//! upload hash   FILE...            (sha256 throughput of the file hasher, no network)
//! upload hash-mem MIB              (sha256 throughput in memory, one thread)
//! ```
//!
//! The endpoint and token come from the environment (`HF_ENDPOINT`, `HF_TOKEN`), as in Python.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use hub_core::{HubClient, RepoId, RepoType};
use hub_upload::UploadExt;

fn usage() -> ExitCode {
    eprintln!(
        "usage: upload file|folder REPO_ID LOCAL [PATH_IN_REPO] [--create] [--repo-type T]\n       upload large REPO_ID DIR [--repo-type T]\n       upload hash FILE..."
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let create = take_flag(&mut args, "--create");
    let repo_type = match take_value(&mut args, "--repo-type").map(|t| t.parse::<RepoType>()) {
        None => RepoType::Model,
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Some(cmd) = args.first().cloned() else {
        return usage();
    };
    let result = match cmd.as_str() {
        "hash" => hash(&args[1..]).await,
        "hash-mem" => {
            hash_mem(args.get(1).and_then(|m| m.parse().ok()).unwrap_or(256));
            Ok(())
        }
        "file" | "folder" | "large" if args.len() >= 3 => {
            upload(&cmd, &args[1], &args[2], args.get(3), create, repo_type).await
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

fn take_value(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    args.remove(i);
    (i < args.len()).then(|| args.remove(i))
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux), so that
/// throughput can be compared with `openssl speed`, which also counts CPU time.
fn cpu_time() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`: state is field 3; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

fn report(what: &str, sha: &str, bytes: u64, wall: f64, cpu: Option<f64>) {
    let cpu_rate = cpu
        .filter(|c| *c > 0.0)
        .map(|c| format!("{:.1}", bytes as f64 / c / 1e6))
        .unwrap_or_else(|| "?".into());
    println!(
        "{sha}  {what}  wall {:.1} MB/s  cpu {cpu_rate} MB/s",
        bytes as f64 / wall / 1e6
    );
}

async fn hash(files: &[String]) -> hub_core::Result<()> {
    for f in files {
        let (c0, start) = (cpu_time(), Instant::now());
        let info = hub_upload::hash::hash_file(f.as_ref(), false).await?;
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_time().zip(c0).map(|(b, a)| b - a);
        report(f, &info.sha256, info.size, wall, cpu);
    }
    Ok(())
}

fn hash_mem(mib: usize) {
    let data: Vec<u8> = (0..mib * 1024 * 1024)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let (c0, start) = (cpu_time(), Instant::now());
    let info = hub_upload::hash::hash_bytes(&data, false);
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_time().zip(c0).map(|(b, a)| b - a);
    report("(memory)", &info.sha256, info.size, wall, cpu);
}

async fn upload(
    cmd: &str,
    repo_id: &str,
    local: &str,
    path_in_repo: Option<&String>,
    create: bool,
    repo_type: RepoType,
) -> hub_core::Result<()> {
    let client = HubClient::from_env()?;
    let repo = RepoId::new(repo_id)?;
    if create && cmd != "large" {
        client
            .api()
            .create_repo(&repo)
            .repo_type(repo_type)
            .exist_ok(true)
            .send()
            .await?;
    }
    let local = PathBuf::from(local);
    match cmd {
        "file" => {
            let name = local
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("file")
                .to_owned();
            let target = path_in_repo.cloned().unwrap_or(name);
            let info = client
                .upload_file(&repo, local, &target)
                .repo_type(repo_type)
                .send()
                .await?;
            println!("{}", info.commit_url);
        }
        "folder" => {
            let mut b = client.upload_folder(&repo, local).repo_type(repo_type);
            if let Some(p) = path_in_repo {
                b = b.path_in_repo(p.clone());
            }
            let info = b.send().await?;
            println!("{}", info.commit_url);
        }
        _ => {
            let status = client
                .upload_large_folder(&repo, repo_type, local)
                .send()
                .await?;
            println!("{status}");
        }
    }
    Ok(())
}
