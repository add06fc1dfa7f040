//! Small command-line front end to hub-upload (used by `cargo xtask bench upload`).
//!
//! ```text
//! upload file   REPO_ID LOCAL_FILE [PATH_IN_REPO] [--create] [--repo-type T]
//! upload folder REPO_ID LOCAL_DIR  [PATH_IN_REPO] [--create] [--repo-type T]
//! upload large  REPO_ID LOCAL_DIR  [--repo-type T]
//! upload hash   FILE...            (sha256 throughput of the file hasher, no network)
//! upload hash-mem MIB              (sha256 throughput in memory, one thread)
//! upload floor  REPO_ID LOCAL_FILE [--create] [--repo-type T]
//! ```
//!
//! The endpoint and token come from the environment (`HF_ENDPOINT`, `HF_TOKEN`), as in Python.
//!
//! # The upload floor
//!
//! `floor` measures the two costs no upload of a file can avoid, so a benchmark can compare a
//! whole `upload file` against them:
//!
//! * `client_hash_s`: hub-upload's sha256 of the file (page cache warm, the same function an
//!   upload uses), which must finish before the LFS batch can name the object;
//! * `server_intake_s`: the server taking the same bytes in: the LFS batch request, then the
//!   raw PUT(s) of the bytes, sent from memory, to the upload URL(s) the server answers (one PUT,
//!   or the multipart parts [`hub_upload::lfs::PART_CONCURRENCY`] at a time and the completion
//!   POST), then the verify call. The server receives, hashes, verifies and durably stores them
//!   exactly as in an upload; the client side costs nothing but the socket writes.
//!
//! It prints one line, `floor bytes N client_hash_s X server_intake_s Y floor_s X+Y` (seconds),
//! each number after its key. The object must not be on the server yet (use a fresh server, or
//! another file): an object already stored is refused, as its intake would measure nothing. The
//! repository is created beforehand with `--create` (not timed); nothing is committed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use hub_core::{Error, HubClient, RepoId, RepoType, SendOptions};
use hub_upload::UploadExt;
use reqwest::Method;
use serde_json::{Value, json};

fn usage() -> ExitCode {
    eprintln!(
        "usage: upload file|folder REPO_ID LOCAL [PATH_IN_REPO] [--create] [--repo-type T]\n       upload large REPO_ID DIR [--repo-type T]\n       upload hash FILE...\n       upload hash-mem MIB\n       upload floor REPO_ID FILE [--create] [--repo-type T]"
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
        "floor" if args.len() >= 3 => floor(&args[1], &args[2], create, repo_type).await,
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

/// `upload floor`: times hub-upload's hash of the file, then the server's intake of its bytes.
async fn floor(
    repo_id: &str,
    local: &str,
    create: bool,
    repo_type: RepoType,
) -> hub_core::Result<()> {
    let client = HubClient::from_env()?;
    let repo = RepoId::new(repo_id)?;
    // Reading the file into memory also warms the page cache for the hash below.
    let data =
        Bytes::from(std::fs::read(local).map_err(|e| Error::io(format!("reading {local}"), e))?);
    let start = Instant::now();
    let info = hub_upload::hash::hash_file(local.as_ref(), false).await?;
    let hash_s = start.elapsed().as_secs_f64();
    if info.size != data.len() as u64 {
        return Err(Error::Corrupted(format!(
            "{local} changed while it was measured"
        )));
    }
    if create {
        client
            .api()
            .create_repo(&repo)
            .repo_type(repo_type)
            .exist_ok(true)
            .send()
            .await?;
    }
    let start = Instant::now();
    raw_lfs_upload(&client, &repo, repo_type, &info.sha256, data.clone()).await?;
    let intake_s = start.elapsed().as_secs_f64();
    println!(
        "floor bytes {} client_hash_s {hash_s:.4} server_intake_s {intake_s:.4} floor_s {:.4}",
        data.len(),
        hash_s + intake_s
    );
    Ok(())
}

/// The git-lfs upload of `data` (sha256 `oid`) with nothing but the protocol: batch, raw PUTs
/// from memory (no hashing, no file reads, no retries), completion, verify.
async fn raw_lfs_upload(
    client: &HubClient,
    repo: &RepoId,
    repo_type: RepoType,
    oid: &str,
    data: Bytes,
) -> hub_core::Result<()> {
    let size = data.len() as u64;
    let url = format!(
        "{}/{}{repo}.git/info/lfs/objects/batch",
        client.endpoint(),
        repo_type.url_prefix()
    );
    let body = json!({"operation": "upload", "transfers": ["basic", "multipart"],
        "objects": [{"oid": oid, "size": size}], "hash_algo": "sha256"});
    let rb = client
        .authed_request(Method::POST, &url)?
        .header("accept", "application/vnd.git-lfs+json")
        .header("content-type", "application/vnd.git-lfs+json")
        .body(body.to_string());
    let answer: Value = client
        .send_json(rb, SendOptions::new().repeatable(true))
        .await?;
    let object = &answer["objects"][0];
    let Some(upload) = object["actions"].get("upload") else {
        return Err(Error::invalid_argument(format!(
            "the server already stores {oid} (or refused it: {object}); measure the intake on a fresh server"
        )));
    };
    let href = upload["href"]
        .as_str()
        .ok_or_else(|| Error::decode(&url, "upload action without href"))?;
    let header = &upload["header"];
    let chunk = match &header["chunk_size"] {
        Value::String(s) => s.parse::<u64>().ok(),
        v => v.as_u64(),
    };
    match chunk.filter(|c| *c > 0) {
        None => {
            let rb = client.request_without_token(Method::PUT, href).body(data);
            client.send_read(rb, SendOptions::new().once()).await?;
        }
        Some(chunk) => {
            let parts = size.div_ceil(chunk);
            let etags: Vec<Value> = futures::stream::iter((1..=parts).map(|n| {
                let part_url = header[n.to_string()].as_str().map(str::to_owned);
                let start = ((n - 1) * chunk) as usize;
                let end = (n * chunk).min(size) as usize;
                let body = data.slice(start..end);
                async move {
                    let part_url = part_url.ok_or_else(|| {
                        Error::invalid_argument(format!("no URL for part {n} in the batch answer"))
                    })?;
                    let rb = client
                        .request_without_token(Method::PUT, &part_url)
                        .body(body);
                    let resp = client.send(rb, SendOptions::new().once()).await?;
                    let etag = resp
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = resp.bytes().await;
                    Ok::<_, Error>(json!({"partNumber": n, "etag": etag}))
                }
            }))
            .buffered(hub_upload::lfs::PART_CONCURRENCY)
            .try_collect()
            .await?;
            let rb = client
                .request_without_token(Method::POST, href)
                .header("content-type", "application/vnd.git-lfs+json")
                .body(json!({"oid": oid, "parts": etags}).to_string());
            client.send_read(rb, SendOptions::new().once()).await?;
        }
    }
    if let Some(verify) = object["actions"]["verify"]["href"].as_str() {
        let rb = client
            .authed_request(Method::POST, verify)?
            .header("content-type", "application/vnd.git-lfs+json")
            .body(json!({"oid": oid, "size": size}).to_string());
        client.send_read(rb, SendOptions::new().once()).await?;
    }
    Ok(())
}
