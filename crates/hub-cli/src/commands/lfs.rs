//! git-lfs support: `lfs-enable-largefiles PATH` configures a clone to use this binary as its
//! custom transfer agent for the `multipart` transfer, and `lfs-multipart-upload` is that agent.
//!
//! The agent speaks git-lfs's custom transfer protocol: line-delimited JSON on stdin/stdout.
//! git-lfs sends `init`, then one `upload` request per object, then `terminate`. For each object
//! the Hub's batch answer (passed through as `action`) holds `header.chunk_size` and one pre-signed
//! URL per part under the numeric keys `"1"`, `"2"`, ...; the agent hands it to hub-upload's
//! multipart uploader ([`hub_upload::lfs::upload_multipart_file`]: parts PUT concurrently, then
//! the ETags POSTed to `action.href`), turns its progress into `progress` events, and answers
//! `complete` (with an `error` object if anything failed, so git-lfs can report it and the other
//! objects still go through).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use clap::Args;
use hub_core::{HubClient, ProgressEvent, ProgressSink};
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
    header: HashMap<String, Value>,
}

/// Runs the transfer agent until git-lfs sends `terminate` or closes stdin.
pub(crate) fn upload_agent(_args: LfsUploadArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    // Not locked for the whole run: progress messages are written from the transfer's threads.
    let mut out = std::io::stdout();
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
                ctx.block_on(upload_object(client, req, &mut out))??
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

/// Uploads one object with hub-upload's multipart uploader. The outer error (stdout is gone) ends
/// the agent; the inner one is the object's failure, reported to git-lfs.
async fn upload_object(
    client: &HubClient,
    req: UploadRequest,
    out: &mut dyn Write,
) -> anyhow::Result<anyhow::Result<()>> {
    // Report a first event right away so git-lfs starts its other workers (Python does the same).
    write_msg(out, &progress_msg(&req.oid, 1, 0))?;
    let sink = Arc::new(LfsProgress {
        oid: req.oid.clone(),
        so_far: Mutex::new(0),
        broken: AtomicBool::new(false),
    });
    let path = Path::new(&req.path);
    let result = async {
        let size = match req.size {
            Some(s) => s,
            None => tokio::fs::metadata(path)
                .await
                .with_context(|| format!("reading {}", path.display()))?
                .len(),
        };
        hub_upload::lfs::upload_multipart_file(
            client,
            &req.oid,
            path,
            size,
            &req.action.href,
            req.action.header,
            sink.clone(),
        )
        .await?;
        Ok(())
    }
    .await;
    anyhow::ensure!(
        !sink.broken.load(Ordering::Relaxed),
        "cannot write progress to git-lfs"
    );
    Ok(result)
}

fn progress_msg(oid: &str, so_far: u64, since: u64) -> Value {
    json!({"event": "progress", "oid": oid, "bytesSoFar": so_far, "bytesSinceLast": since})
}

/// Turns hub-upload's byte deltas for one object into git-lfs `progress` messages.
#[derive(Debug)]
struct LfsProgress {
    oid: String,
    /// Bytes sent so far; the message is written under this lock so `bytesSoFar` only grows,
    /// whichever part's bytes arrive first.
    so_far: Mutex<u64>,
    /// A write to stdout failed (git-lfs went away).
    broken: AtomicBool,
}

impl ProgressSink for LfsProgress {
    fn event(&self, event: ProgressEvent<'_>) {
        let ProgressEvent::Advanced { bytes, .. } = event else {
            return;
        };
        let mut so_far = self.so_far.lock().unwrap_or_else(PoisonError::into_inner);
        *so_far += bytes;
        let msg = progress_msg(&self.oid, *so_far, bytes);
        if write_msg(&mut std::io::stdout().lock(), &msg).is_err() {
            self.broken.store(true, Ordering::Relaxed);
        }
    }
}

/// Writes one JSON message and a newline, flushed: git-lfs reads line by line.
fn write_msg(out: &mut dyn Write, msg: &Value) -> std::io::Result<()> {
    writeln!(out, "{msg}")?;
    out.flush()
}
