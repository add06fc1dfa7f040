//! git-lfs support: `lfs-enable-largefiles PATH` configures a clone to use this binary as its
//! custom transfer agent for the `multipart` transfer, and `lfs-multipart-upload` is that agent.
//!
//! The agent speaks git-lfs's custom transfer protocol: line-delimited JSON on stdin/stdout.
//! git-lfs sends `init`, then one `upload` request per object, then `terminate`. For each object
//! the Hub's batch answer (passed through as `action`) holds `header.chunk_size` and one pre-signed
//! URL per part under the numeric keys `"1"`, `"2"`, ...; the agent PUTs each slice of the file,
//! reports `progress` events, POSTs the parts' ETags to `action.href` to complete the upload, and
//! answers `complete` (with an `error` object if anything failed, so git-lfs can report it and the
//! other objects still go through).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::Context;
use crate::output::say;

/// The subcommand git-lfs runs (configured by `lfs-enable-largefiles`).
const AGENT_COMMAND: &str = "lfs-multipart-upload";

/// Arguments of `lfs-enable-largefiles`.
#[derive(Debug, Args)]
pub(crate) struct LfsEnableArgs {
    /// Local path to repository you want to configure.
    pub(crate) path: String,
}

/// Arguments of `lfs-multipart-upload` (none: git-lfs talks on stdin/stdout).
#[derive(Debug, Args)]
pub(crate) struct LfsUploadArgs {}

/// Sets `lfs.customtransfer.multipart.{path,args}` in the repository at `path`.
pub(crate) fn enable(args: LfsEnableArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    let local = std::path::absolute(&args.path).unwrap_or_else(|_| args.path.clone().into());
    if !local.is_dir() {
        say("This does not look like a valid git repo.")?;
        return Ok(ExitCode::FAILURE);
    }
    // The absolute path of this binary, so git-lfs finds the agent even when it is not on PATH.
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "huggingface-cli".to_owned());
    git_config(&local, "lfs.customtransfer.multipart.path", &exe)?;
    git_config(&local, "lfs.customtransfer.multipart.args", AGENT_COMMAND)?;
    say("Local repo set up for largefiles")?;
    Ok(ExitCode::SUCCESS)
}

fn git_config(repo: &Path, key: &str, value: &str) -> anyhow::Result<()> {
    let status = Command::new("git")
        .args(["config", key, value])
        .current_dir(repo)
        .status()
        .context("cannot run git (is it installed?)")?;
    anyhow::ensure!(
        status.success(),
        "`git config {key}` failed in {}: is it a git repository?",
        repo.display()
    );
    Ok(())
}

/// One `upload` request of git-lfs.
#[derive(Debug, Deserialize)]
struct UploadRequest {
    oid: String,
    #[serde(default)]
    size: Option<u64>,
    path: String,
    action: Action,
}

/// The upload action the Hub's batch endpoint returned for the object.
#[derive(Debug, Deserialize)]
struct Action {
    href: String,
    #[serde(default)]
    header: BTreeMap<String, Value>,
}

/// Runs the transfer agent until git-lfs sends `terminate` or closes stdin.
pub(crate) fn upload_agent(_args: LfsUploadArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        anyhow::bail!("git-lfs sent no init message; this command is run by git-lfs, not by hand");
    }
    let init: Value = serde_json::from_str(line.trim()).unwrap_or(Value::Null);
    if init["event"] != "init" || init["operation"] != "upload" {
        write_msg(
            &mut out,
            &json!({"error": {"code": 32, "message": "Wrong lfs init operation"}}),
        )?;
        return Ok(ExitCode::FAILURE);
    }
    write_msg(&mut out, &json!({}))?;
    // Built once the first object arrives, so an agent started for nothing stays cheap.
    let mut client = None;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(ExitCode::SUCCESS);
        }
        let msg: Value = match serde_json::from_str(line.trim()) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("unreadable message from git-lfs: {e}");
                return Ok(ExitCode::FAILURE);
            }
        };
        if msg["event"] == "terminate" || msg["type"] == "terminate" {
            return Ok(ExitCode::SUCCESS);
        }
        let oid = msg["oid"].as_str().unwrap_or_default().to_owned();
        if msg["event"] != "upload" {
            let error = json!({"code": 32, "message": "this agent only uploads"});
            write_msg(
                &mut out,
                &json!({"event": "complete", "oid": oid, "error": error}),
            )?;
            continue;
        }
        let result = match serde_json::from_value::<UploadRequest>(msg) {
            Ok(req) => {
                let client = match &client {
                    Some(c) => c,
                    None => client.insert(ctx.client(None)?),
                };
                let http = client.http().clone();
                ctx.block_on(upload_object(&http, &req, &mut out))??
            }
            Err(e) => Err(anyhow::anyhow!("malformed upload request: {e}")),
        };
        match result {
            Ok(()) => write_msg(&mut out, &json!({"event": "complete", "oid": oid}))?,
            Err(e) => {
                let error = json!({"code": 2, "message": crate::errors::one_line(&e)});
                write_msg(
                    &mut out,
                    &json!({"event": "complete", "oid": oid, "error": error}),
                )?;
            }
        }
    }
}

/// Part URLs in part-number order (keys `"1"`, `"2"`, ... or zero-padded).
fn part_urls(header: &BTreeMap<String, Value>) -> Vec<String> {
    let mut parts: Vec<(u64, String)> = header
        .iter()
        .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v.as_str()?.to_owned())))
        .collect();
    parts.sort_by_key(|(n, _)| *n);
    parts.into_iter().map(|(_, u)| u).collect()
}

fn chunk_size(header: &BTreeMap<String, Value>) -> Option<u64> {
    match header.get("chunk_size")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// Uploads one object part by part, then completes it.
async fn upload_object(
    http: &reqwest::Client,
    req: &UploadRequest,
    out: &mut dyn Write,
) -> anyhow::Result<anyhow::Result<()>> {
    let progress = |out: &mut dyn Write, so_far: u64, since: u64| {
        let msg = json!({"event": "progress", "oid": req.oid, "bytesSoFar": so_far, "bytesSinceLast": since});
        write_msg(out, &msg)
    };
    // Report a first event right away so git-lfs starts its other workers (Python does the same).
    progress(out, 1, 0)?;
    Ok(transfer(http, req, out, &progress).await)
}

async fn transfer(
    http: &reqwest::Client,
    req: &UploadRequest,
    out: &mut dyn Write,
    progress: &dyn Fn(&mut dyn Write, u64, u64) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let chunk = chunk_size(&req.action.header)
        .context("the upload action has no chunk_size header: not a multipart upload")?;
    let urls = part_urls(&req.action.header);
    let path = Path::new(&req.path);
    let size = match req.size {
        Some(s) => s,
        None => tokio::fs::metadata(path)
            .await
            .with_context(|| format!("reading {}", path.display()))?
            .len(),
    };
    let expected = size.div_ceil(chunk);
    anyhow::ensure!(
        urls.len() as u64 == expected,
        "the server gave {} part URLs for {size} bytes in parts of {chunk} (expected {expected})",
        urls.len()
    );
    let mut parts = Vec::with_capacity(urls.len());
    let mut done = 0u64;
    for (i, url) in urls.iter().enumerate() {
        let offset = i as u64 * chunk;
        let len = chunk.min(size - offset);
        let mut file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        file.seek(std::io::SeekFrom::Start(offset)).await?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file.take(len)));
        let resp = http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
            .send()
            .await
            .map_err(|e| hub_core::Error::transport(url, e))?;
        let resp = hub_core::client::check_response(resp).await?;
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .with_context(|| format!("part {} was accepted without an ETag", i + 1))?
            .to_owned();
        parts.push(json!({"partNumber": i + 1, "etag": etag}));
        done += len;
        progress(out, done, len)?;
    }
    let resp = http
        .post(&req.action.href)
        .header(reqwest::header::ACCEPT, "application/vnd.git-lfs+json")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/vnd.git-lfs+json",
        )
        .body(json!({"oid": req.oid, "parts": parts}).to_string())
        .send()
        .await
        .map_err(|e| hub_core::Error::transport(&req.action.href, e))?;
    hub_core::client::check_response(resp).await?;
    Ok(())
}

/// Writes one JSON message and a newline, flushed: git-lfs reads line by line.
fn write_msg(out: &mut dyn Write, msg: &Value) -> std::io::Result<()> {
    writeln!(out, "{msg}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_ordered_numerically_and_chunk_size_parsed() {
        let header: BTreeMap<String, Value> = serde_json::from_value(json!({
            "chunk_size": "5", "10": "u10", "2": "u2", "1": "u1", "x-amz": "ignored"
        }))
        .unwrap();
        assert_eq!(part_urls(&header), vec!["u1", "u2", "u10"]);
        assert_eq!(chunk_size(&header), Some(5));
        let header: BTreeMap<String, Value> =
            serde_json::from_value(json!({"chunk_size": 7})).unwrap();
        assert_eq!(chunk_size(&header), Some(7));
    }
}
