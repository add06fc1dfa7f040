//! Small command-line front end to hub-upload (used by `cargo xtask bench upload`).
//!
//! ```text
//! upload file   REPO_ID LOCAL_FILE [PATH_IN_REPO] [--create] [--repo-type T]
//! upload folder REPO_ID LOCAL_DIR  [PATH_IN_REPO] [--create] [--repo-type T]
//! upload large  REPO_ID LOCAL_DIR  [--repo-type T]
//! upload hash   FILE...            (sha256 throughput, no network)
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

async fn hash(files: &[String]) -> hub_core::Result<()> {
    for f in files {
        let start = Instant::now();
        let info = hub_upload::hash::hash_file(f.as_ref(), false).await?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{}  {}  {:.1} MB/s",
            info.sha256,
            f,
            info.size as f64 / secs / 1e6
        );
    }
    Ok(())
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
