//! The transfer step: bytes from the server into `blobs/<etag>.incomplete`, hashed on the way.
//!
//! Invariants, because Python processes share the same `.incomplete` file and resume it by its
//! size:
//!
//! * the `.incomplete` file is at every moment a true prefix of the content: it is only ever
//!   appended to, in order (or truncated to zero when the server restarts the body);
//! * the content is hashed in order as it is appended, by the same blocking writer thread, so it
//!   is never read twice (a resumed prefix is read and hashed once, while the network starts);
//! * memory is bounded: chunks ahead of the head queue at most [`CHUNK_QUEUE`] batches each, then
//!   stop reading (backpressure through TCP), so the reorder buffer never exceeds
//!   `connections × (CHUNK_QUEUE + 1) × CHUNK_BATCH` bytes whatever the arrival order.
//!
//! Small files, and servers that do not honour ranges, use one stream with `Range: bytes=N-`.
//! Large files use ranged GETs over an adaptive number of connections: one at first, more only
//! while each added one raises throughput (a CDN's per-connection cap), up to
//! [`Tuning::connections`]. Chunk `i` is fetched by its own request, its bytes queue in its own
//! channel, and the coordinator drains the channels in order into the writer, so the head chunk
//! streams straight through (its network buffers uncopied) while later chunks wait, up to 4 MiB
//! each in memory and the rest unread in their sockets. A 200 answer
//! ignoring `Range`, a 403/416, or a 206 without a matching `Content-Range` switches to one
//! stream from the current offset.
//!
//! Every request goes through [`HubClient::send`] (offline mode, proxies, user-agent and the
//! redirect rules hold here as everywhere), sent once each: the engine's own loops, which
//! resume from the bytes already received, retry through [`hub_core::RetryPolicy::run_if`],
//! counting only attempts that made no progress (see [`http::retry_decision`]).
//!
//! Modules: `writer` (the blocking appender and hasher), `small` (files received in memory),
//! `single` (one resumable stream), `parallel` (ranged chunks in order), `http` (requests,
//! answers and the errors they give).

mod http;
mod parallel;
mod single;
mod small;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hub_core::{HubClient, ProgressEvent, ProgressSink, RetryPolicy};
use reqwest::header::{ACCEPT_ENCODING, HeaderMap, HeaderValue};

use crate::error::{Error, Result};
use crate::verify::Expected;
use parallel::parallel;
use single::single;
use small::{SMALL_MAX, download_small};
use writer::{Writer, spawn_writer};

/// Knobs of the transfer engine. The defaults suit both a CDN and loopback; change them with
/// the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tuning {
    /// Files with at least this many bytes left use parallel ranged requests (default 32 MiB).
    pub parallel_threshold: u64,
    /// Most parallel connections per file (default 8). A download starts on
    /// [`Tuning::initial_connections`] and doubles them only while that raises throughput;
    /// progress sinks see the count as [`ProgressEvent::Connections`].
    pub connections: usize,
    /// Connections a large download starts with (default 1, at most
    /// [`Tuning::connections`]). Raise it when every connection is known to be capped (a CDN
    /// far away) to skip the ramp-up: each doubling is measured for about 0.75 s first.
    pub initial_connections: usize,
    /// Bytes per ranged request (default 4 MiB). Memory does not grow with it: a chunk that is
    /// not yet being written holds at most 4 MiB in memory and leaves the rest unread.
    pub chunk_size: u64,
    /// Consecutive failed attempts without progress before giving up (default 5, as Python).
    pub max_stalls: u32,
    /// Files with at least this many bytes left are written with direct I/O where the platform
    /// and filesystem allow it (default 64 MiB; `u64::MAX` turns it off). The bytes then go to
    /// the disk without a page-cache copy; see the `append` module.
    pub direct_io_threshold: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            parallel_threshold: 32 * 1024 * 1024,
            connections: 8,
            initial_connections: 1,
            chunk_size: 4 * 1024 * 1024,
            max_stalls: 5,
            direct_io_threshold: 64 * 1024 * 1024,
        }
    }
}

impl Tuning {
    /// Sets [`Tuning::parallel_threshold`].
    pub fn with_parallel_threshold(mut self, bytes: u64) -> Self {
        self.parallel_threshold = bytes;
        self
    }
    /// Sets [`Tuning::connections`].
    pub fn with_connections(mut self, connections: usize) -> Self {
        self.connections = connections;
        self
    }
    /// Sets [`Tuning::initial_connections`].
    pub fn with_initial_connections(mut self, connections: usize) -> Self {
        self.initial_connections = connections;
        self
    }
    /// Sets [`Tuning::chunk_size`].
    pub fn with_chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes;
        self
    }
    /// Sets [`Tuning::max_stalls`].
    pub fn with_max_stalls(mut self, stalls: u32) -> Self {
        self.max_stalls = stalls;
        self
    }
    /// Sets [`Tuning::direct_io_threshold`].
    pub fn with_direct_io_threshold(mut self, bytes: u64) -> Self {
        self.direct_io_threshold = bytes;
        self
    }

    /// The retry policy of the engine's resuming loops: `max_stalls` attempts without progress,
    /// short backoffs (a transfer that resumes loses nothing by trying again soon).
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.max_stalls,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(600),
        }
    }
}

/// One file to transfer into its `.incomplete` file.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) url: String,
    /// Send the client's token (same host as the resolve URL only).
    pub(crate) send_auth: bool,
    pub(crate) headers: HeaderMap,
    pub(crate) size: u64,
    pub(crate) etag: String,
    pub(crate) incomplete: PathBuf,
    pub(crate) file: String,
    pub(crate) progress: Arc<dyn ProgressSink>,
    pub(crate) tuning: Tuning,
    /// Discard any existing partial file first (`force_download`).
    pub(crate) restart: bool,
}

/// What a transfer did, for callers and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransferStats {
    /// Bytes that were already on disk and were resumed from.
    pub resumed_from: u64,
    /// Bytes received from the network.
    pub received: u64,
}

struct Ctx {
    client: HubClient,
    send_auth: bool,
    retry: RetryPolicy,
    url: String,
    headers: HeaderMap,
    size: u64,
    etag: String,
    expected: Expected,
    read_timeout: Duration,
    tuning: Tuning,
    file: String,
    progress: Arc<dyn ProgressSink>,
}

/// Downloads `job` into `job.incomplete`, resuming what is there, and verifies size and hash.
/// On success the `.incomplete` file holds exactly the verified content (the caller renames it).
/// On a verification failure the partial file is deleted.
pub(crate) async fn download(
    client: &HubClient,
    job: Job,
    finish: crate::commit::Finish,
) -> Result<TransferStats> {
    client.ensure_online(&job.url)?;
    let mut headers = job.headers.clone();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        send_auth: job.send_auth,
        retry: job.tuning.retry_policy(),
        url: job.url.clone(),
        headers,
        size: job.size,
        etag: job.etag.clone(),
        expected: Expected::from_etag(&job.etag),
        read_timeout: client.config().download_timeout.max(Duration::from_secs(1)),
        tuning: job.tuning.clone(),
        file: job.file.clone(),
        progress: job.progress.clone(),
    });
    // The sink sees one Started and exactly one Finished or Failed per file, whatever the
    // retries inside.
    ctx.progress.event(ProgressEvent::Started {
        file: &ctx.file,
        total: Some(ctx.size),
    });
    let (task_ctx, task_job) = (ctx.clone(), job.clone());
    let result = crate::task::on_worker(async move {
        if task_job.size <= SMALL_MAX {
            return download_small(&task_ctx, &task_job, finish).await;
        }
        let stats = download_with_restart(&task_ctx, &task_job).await?;
        let incomplete = task_job.incomplete.clone();
        blocking(move || crate::commit::finish_blocking(&incomplete, &finish)).await?;
        Ok(stats)
    })
    .await
    .and_then(|r| r);
    match &result {
        Ok(_) => ctx
            .progress
            .event(ProgressEvent::Finished { file: &ctx.file }),
        Err(e) => ctx.progress.event(ProgressEvent::Failed {
            file: &ctx.file,
            error: &e.to_string(),
        }),
    }
    result
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::io("file task", std::io::Error::other(e)))?
        .map_err(|e| Error::io("writing the downloaded file", e))
}

async fn download_with_restart(ctx: &Arc<Ctx>, job: &Job) -> Result<TransferStats> {
    let mut restart = job.restart;
    // One retry from scratch if a resumed download fails verification: the prefix on disk may
    // be what was wrong (written by another tool, or a different content).
    loop {
        let start = prepare_incomplete(&job.incomplete, job.size, restart).await?;
        match transfer_once(ctx, &job.incomplete, start).await {
            Err(e) if e.is_corrupted_transfer() => {
                let _ = tokio::fs::remove_file(&job.incomplete).await;
                if start > 0 && !restart {
                    restart = true;
                    continue;
                }
                return Err(e);
            }
            other => return other,
        }
    }
}

/// Returns how many bytes of `path` can be resumed (0 when absent, too large, or `restart`).
async fn prepare_incomplete(path: &std::path::Path, size: u64, restart: bool) -> Result<u64> {
    if restart {
        match tokio::fs::remove_file(path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("removing {}", path.display()), e)),
        }
        return Ok(0);
    }
    match tokio::fs::metadata(path).await {
        Ok(m) if m.len() <= size => Ok(m.len()),
        Ok(_) => {
            // Longer than the file can be: not a prefix of this content.
            tokio::fs::remove_file(path)
                .await
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
            Ok(0)
        }
        Err(_) => Ok(0),
    }
}

async fn transfer_once(
    ctx: &Arc<Ctx>,
    path: &std::path::Path,
    start: u64,
) -> Result<TransferStats> {
    let writer = spawn_writer(
        path.to_path_buf(),
        start,
        ctx.expected.hasher(ctx.size),
        ctx.size,
        ctx.tuning.direct_io_threshold,
    );
    if start > 0 {
        ctx.progress.event(ProgressEvent::Advanced {
            file: &ctx.file,
            bytes: start,
        });
    }
    let mut received = 0u64;
    let result = if start >= ctx.size {
        Ok(start)
    } else if ctx.size - start >= ctx.tuning.parallel_threshold && ctx.tuning.connections > 1 {
        parallel(ctx, &writer, start, &mut received).await
    } else {
        single(ctx, &writer, start, &mut received).await
    };
    let Writer { tx, handle } = writer;
    drop(tx);
    let joined = handle
        .await
        .map_err(|e| Error::io("writer task", std::io::Error::other(e)));
    let outcome = result.and_then(|_| {
        let (hasher, written) =
            joined?.map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        if written != ctx.size {
            return Err(Error::SizeMismatch {
                file: ctx.file.clone(),
                expected: ctx.size,
                actual: written,
            });
        }
        hasher.finish().map_err(|(expected, actual)| {
            Error::hash_mismatch(&ctx.file, ctx.expected.algorithm(), expected, actual)
        })
    });
    outcome.map(|()| TransferStats {
        resumed_from: start,
        received,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bound_memory() {
        let t = Tuning::default();
        // The reorder buffer bound does not depend on the chunk size.
        assert!(
            t.connections * (parallel::CHUNK_QUEUE + 1) * parallel::CHUNK_BATCH <= 40 * 1024 * 1024
        );
        assert!(t.parallel_threshold >= t.chunk_size);
    }
}
