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
//! Large files use parallel ranged GETs: chunk `i` is fetched by its own request, its bytes
//! queue in its own channel, and the coordinator drains the channels in order into the writer,
//! so the head chunk streams straight through while later chunks wait, a few MiB in memory
//! and the rest unread in their sockets. A 200 answer
//! ignoring `Range`, a 403/416, or a 206 without a matching `Content-Range` switches to one
//! stream from the current offset.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use hub_core::{HubClient, ProgressEvent, ProgressSink};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONTENT_RANGE, HeaderMap, HeaderValue, RANGE,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use crate::append::Appender;
use crate::error::{Error, Result};
use crate::verify::{Expected, StreamHasher};

/// Knobs of the transfer engine. The defaults suit both a CDN and loopback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// Files with at least this many bytes left use parallel ranged requests (default 32 MiB).
    pub parallel_threshold: u64,
    /// Parallel connections per file (default 8).
    pub connections: usize,
    /// Bytes per ranged request (default 4 MiB). Memory does not grow with it: a chunk that is
    /// not yet being written holds at most a few MiB in memory and leaves the rest unread.
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
            chunk_size: 4 * 1024 * 1024,
            max_stalls: 5,
            direct_io_threshold: 64 * 1024 * 1024,
        }
    }
}

/// One file to transfer into its `.incomplete` file.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub url: String,
    /// Send the client's token (same host as the resolve URL only).
    pub send_auth: bool,
    pub headers: HeaderMap,
    pub size: u64,
    pub etag: String,
    pub incomplete: PathBuf,
    pub file: String,
    pub progress: Arc<dyn ProgressSink>,
    pub tuning: Tuning,
    /// Discard any existing partial file first (`force_download`).
    pub restart: bool,
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
    http: reqwest::Client,
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

/// Bytes are handed between threads in batches of about [`BATCH`] bytes: one hand-off per
/// batch instead of one per network buffer keeps context switches rare on busy machines.
const BATCH: usize = 1 << 20;

enum WMsg {
    Data(Vec<Bytes>),
    Reset,
}

struct Writer {
    tx: mpsc::Sender<WMsg>,
    handle: JoinHandle<std::io::Result<(StreamHasher, u64)>>,
}

/// The writer coalesces queued buffers into one `writev` of up to this many bytes. Every byte
/// queued between the network and the disk is resident memory (and network buffers pin
/// allocations larger than their bytes), so the queues stay short: 2 MiB writes already cost
/// little more per byte than larger ones.
const WRITE_BATCH: usize = 2 << 20;

/// Files with at least this many bytes to transfer hash on a thread of their own.
const HASH_THREAD_MIN: u64 = 8 * 1024 * 1024;

/// Batches queued for the hashing thread. Deep enough (8–16 MiB) that the hasher keeps working
/// while the writer waits for a direct write to reach the disk.
const HASH_QUEUE: usize = 8;

/// Where the writer sends bytes to be hashed: inline, or to a hashing thread.
enum HashSink {
    Inline(StreamHasher),
    Thread {
        tx: std::sync::mpsc::SyncSender<WMsg>,
        handle: std::thread::JoinHandle<StreamHasher>,
    },
}

impl HashSink {
    fn new(mut hasher: StreamHasher, threaded: bool) -> std::io::Result<HashSink> {
        if !threaded {
            return Ok(HashSink::Inline(hasher));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<WMsg>(HASH_QUEUE);
        let handle = std::thread::Builder::new()
            .name("hub-cache-hash".into())
            .spawn(move || {
                for msg in rx {
                    match msg {
                        WMsg::Data(v) => v.iter().for_each(|b| hasher.update(b)),
                        WMsg::Reset => hasher.reset(),
                    }
                }
                hasher
            })?;
        Ok(HashSink::Thread { tx, handle })
    }

    fn send(&mut self, msg: WMsg) -> std::io::Result<()> {
        match self {
            HashSink::Inline(h) => {
                match msg {
                    WMsg::Data(v) => v.iter().for_each(|b| h.update(b)),
                    WMsg::Reset => h.reset(),
                }
                Ok(())
            }
            HashSink::Thread { tx, .. } => tx
                .send(msg)
                .map_err(|_| std::io::Error::other("hashing thread stopped")),
        }
    }

    fn finish(self) -> std::io::Result<StreamHasher> {
        match self {
            HashSink::Inline(h) => Ok(h),
            HashSink::Thread { tx, handle } => {
                drop(tx);
                handle
                    .join()
                    .map_err(|_| std::io::Error::other("hashing thread panicked"))
            }
        }
    }
}

/// Spawns the blocking writer: hashes the existing prefix of `path` (its first `start` bytes),
/// then appends every message in order. For large files hashing runs on a second thread fed the
/// same reference-counted buffers, so hashing and writing overlap; writes are batched into
/// `writev` calls of up to [`WRITE_BATCH`] bytes without copying.
fn spawn_writer(
    path: PathBuf,
    start: u64,
    mut hasher: StreamHasher,
    size: u64,
    direct_io_threshold: u64,
) -> Writer {
    // Small queues: a network buffer can be hundreds of KiB, and memory must stay bounded.
    let (tx, mut rx) = mpsc::channel::<WMsg>(2);
    let handle = tokio::task::spawn_blocking(move || -> std::io::Result<(StreamHasher, u64)> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let left = size.saturating_sub(start);
        let mut out = Appender::open(&path, start, left >= direct_io_threshold)?;
        let mut written = start;
        if start > 0 {
            // Hash the resumed prefix once; the network is already filling the channel.
            let file = out.file();
            let mut buf = vec![0u8; 1 << 20];
            file.seek(SeekFrom::Start(0))?;
            let mut left = start;
            while left > 0 {
                let want = left.min(buf.len() as u64) as usize;
                let n = file.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "partial file shrank while resuming",
                    ));
                }
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
        }
        let mut sink = HashSink::new(hasher, left >= HASH_THREAD_MIN)?;
        let mut batch: Vec<Bytes> = Vec::with_capacity(256);
        let mut batched = 0usize;
        while let Some(first) = rx.blocking_recv() {
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    WMsg::Data(v) => {
                        let len: usize = v.iter().map(Bytes::len).sum();
                        written += len as u64;
                        batched += len;
                        sink.send(WMsg::Data(v.clone()))?;
                        batch.extend(v);
                        if batched < WRITE_BATCH && batch.len() < 1024 {
                            next = rx.try_recv().ok();
                        }
                    }
                    WMsg::Reset => {
                        out.append(&batch)?;
                        batch.clear();
                        batched = 0;
                        out.truncate()?;
                        sink.send(WMsg::Reset)?;
                        written = 0;
                    }
                }
            }
            out.append(&batch)?;
            batch.clear();
            batched = 0;
        }
        out.finish()?;
        Ok((sink.finish()?, written))
    });
    Writer { tx, handle }
}

impl Writer {
    async fn send(&self, msg: WMsg) -> Result<()> {
        self.tx.send(msg).await.map_err(|_| {
            Error::io(
                "writing the partial file",
                std::io::Error::other("writer stopped"),
            )
        })
    }
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
    if job.send_auth
        && let Some(token) = client.token()
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
    {
        let mut v = v;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
    }
    let ctx = Arc::new(Ctx {
        http: client.http().clone(),
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

/// Files up to this size are received into memory and then verified, written and committed in
/// one blocking call: for many small files, hand-offs between threads cost more than the bytes.
/// They are not resumed (a cut transfer, or a partial file left by an earlier run, restarts from
/// byte 0 — cheaper than a ranged request for so few bytes); larger files always resume.
const SMALL_MAX: u64 = 512 * 1024;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::io("file task", std::io::Error::other(e)))?
        .map_err(|e| Error::io("writing the downloaded file", e))
}

/// The small-file path: one GET into memory (retried from the start on transient failures),
/// then hash, write `.incomplete`, and commit in a single blocking call.
async fn download_small(
    ctx: &Arc<Ctx>,
    job: &Job,
    finish: crate::commit::Finish,
) -> Result<TransferStats> {
    let mut stalls = 0u32;
    let body = loop {
        let attempt = async {
            let resp = send(ctx, request(ctx, None)).await?;
            if resp.status() != StatusCode::OK {
                return Err(Error::Hub(hub_core::Error::decode(
                    &ctx.url,
                    format!("unexpected status {} for a full download", resp.status()),
                )));
            }
            let mut stream = resp.bytes_stream();
            let mut parts: Vec<Bytes> = Vec::new();
            let mut len = 0u64;
            loop {
                let next = tokio::time::timeout(ctx.read_timeout, stream.next())
                    .await
                    .map_err(|_| timeout_error(ctx))?;
                match next {
                    None => break,
                    Some(Err(e)) => return Err(body_error(&ctx.url, e)),
                    Some(Ok(b)) => {
                        len += b.len() as u64;
                        if len > ctx.size {
                            return Err(Error::SizeMismatch {
                                file: ctx.file.clone(),
                                expected: ctx.size,
                                actual: len,
                            });
                        }
                        parts.push(b);
                    }
                }
            }
            if len < ctx.size {
                return Err(body_error_short(ctx));
            }
            Ok(parts)
        }
        .await;
        match attempt {
            Ok(parts) => break parts,
            Err(e) if is_transient(&e) && stalls < ctx.tuning.max_stalls => {
                stalls += 1;
                backoff(&e, stalls).await;
            }
            Err(e) => return Err(e),
        }
    };
    ctx.progress.event(ProgressEvent::Advanced {
        file: &ctx.file,
        bytes: ctx.size,
    });
    let (expected, size, file) = (ctx.expected, ctx.size, ctx.file.clone());
    let path = job.incomplete.clone();
    let verified = blocking(
        move || -> std::io::Result<std::result::Result<(), (String, String)>> {
            let mut hasher = expected.hasher(size);
            body.iter().for_each(|b| hasher.update(b));
            if let Err(mismatch) = hasher.finish() {
                let _ = std::fs::remove_file(&path);
                return Ok(Err(mismatch));
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // Any partial file left by an earlier run is replaced: we hold the lock.
            let mut f = std::fs::File::create(&path)?;
            crate::append::write_all_vectored(&mut f, &body)?;
            drop(f);
            crate::commit::finish_blocking(&path, &finish)?;
            Ok(Ok(()))
        },
    )
    .await?;
    verified.map_err(|(expected_hex, actual)| Error::HashMismatch {
        file,
        algorithm: expected.algorithm(),
        expected: expected_hex,
        actual,
    })?;
    Ok(TransferStats {
        resumed_from: 0,
        received: ctx.size,
    })
}

fn body_error_short(ctx: &Ctx) -> Error {
    Error::Hub(hub_core::Error::Io {
        context: format!(
            "reading the body of {}",
            hub_core::error::redact_url(&ctx.url)
        ),
        source: std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "body ended early"),
    })
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
        hasher
            .finish()
            .map_err(|(expected, actual)| Error::HashMismatch {
                file: ctx.file.clone(),
                algorithm: ctx.expected.algorithm(),
                expected,
                actual,
            })
    });
    outcome.map(|()| TransferStats {
        resumed_from: start,
        received,
    })
}

fn request(ctx: &Ctx, range: Option<(u64, Option<u64>)>) -> reqwest::RequestBuilder {
    let mut rb = ctx.http.get(&ctx.url).headers(ctx.headers.clone());
    if let Some((from, to)) = range {
        let v = match to {
            Some(end) => format!("bytes={from}-{end}"),
            None => format!("bytes={from}-"),
        };
        rb = rb.header(RANGE, v);
    }
    rb
}

/// Sends `rb`; maps error statuses; transport errors become [`hub_core::Error::Transport`].
async fn send(ctx: &Ctx, rb: reqwest::RequestBuilder) -> Result<reqwest::Response> {
    let resp = tokio::time::timeout(ctx.read_timeout * 3, rb.send())
        .await
        .map_err(|_| timeout_error(ctx))?
        .map_err(|e| Error::Hub(hub_core::Error::transport(&ctx.url, e)))?;
    if resp.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        return Ok(resp);
    }
    Ok(hub_core::client::check_response(resp).await?)
}

fn timeout_error(ctx: &Ctx) -> Error {
    Error::Hub(hub_core::Error::Io {
        context: format!(
            "reading {} timed out",
            hub_core::error::redact_url(&ctx.url)
        ),
        source: std::io::Error::new(std::io::ErrorKind::TimedOut, "read timeout"),
    })
}

/// A body that broke off mid-way (connection cut, truncated): always worth resuming.
fn body_error(url: &str, e: reqwest::Error) -> Error {
    Error::Hub(hub_core::Error::Io {
        context: format!("reading the body of {}", hub_core::error::redact_url(url)),
        source: std::io::Error::new(std::io::ErrorKind::ConnectionAborted, e.without_url()),
    })
}

fn is_transient(e: &Error) -> bool {
    match e {
        Error::Hub(hub_core::Error::Io { source, .. }) => matches!(
            source.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::ConnectionAborted
        ),
        other => other.is_retryable() && !other.is_corrupted_transfer(),
    }
}

async fn backoff(e: &Error, stalls: u32) {
    let hinted = e
        .as_hub()
        .and_then(|h| h.http_context())
        .and_then(|c| c.retry_after);
    let base = Duration::from_millis(200u64 << stalls.min(5));
    let delay = hinted.unwrap_or(base).min(Duration::from_secs(10));
    tokio::time::sleep(delay).await;
}

/// `Content-Range: bytes a-b/total` → `(a, b)`.
fn content_range(resp: &reqwest::Response) -> Option<(u64, u64)> {
    let v = resp.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, _total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Whether the response names a different content than the one being resumed.
fn etag_changed(ctx: &Ctx, resp: &reqwest::Response) -> bool {
    let h = resp
        .headers()
        .get("x-linked-etag")
        .or_else(|| resp.headers().get(reqwest::header::ETAG))
        .and_then(|v| v.to_str().ok())
        .map(hub_core::api::metadata::normalize_etag);
    match h {
        Some(tag) => {
            Expected::from_etag(&tag) != Expected::SizeOnly
                && std::mem::discriminant(&Expected::from_etag(&tag))
                    == std::mem::discriminant(&ctx.expected)
                && tag != ctx.etag
        }
        None => false,
    }
}

/// Streams a response body into the writer, starting at `offset`; returns the new offset.
/// A body longer than the file is an error; a short one is returned as is.
async fn pump(
    ctx: &Ctx,
    writer: &Writer,
    resp: reqwest::Response,
    mut offset: u64,
    received: &mut u64,
) -> (u64, Option<Error>) {
    let mut stream = resp.bytes_stream();
    let mut pending_progress = 0u64;
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_len = 0usize;
    let err = loop {
        let next = match tokio::time::timeout(ctx.read_timeout, stream.next()).await {
            Ok(n) => n,
            Err(_) => break Some(timeout_error(ctx)),
        };
        match next {
            None => break None,
            Some(Err(e)) => break Some(body_error(&ctx.url, e)),
            Some(Ok(bytes)) => {
                let len = bytes.len() as u64;
                if offset + len > ctx.size {
                    break Some(Error::SizeMismatch {
                        file: ctx.file.clone(),
                        expected: ctx.size,
                        actual: offset + len,
                    });
                }
                pending_len += bytes.len();
                pending.push(bytes);
                if pending_len >= BATCH {
                    pending_len = 0;
                    if let Err(e) = writer.send(WMsg::Data(std::mem::take(&mut pending))).await {
                        break Some(e);
                    }
                }
                offset += len;
                *received += len;
                pending_progress += len;
                if pending_progress >= 256 * 1024 {
                    ctx.progress.event(ProgressEvent::Advanced {
                        file: &ctx.file,
                        bytes: pending_progress,
                    });
                    pending_progress = 0;
                }
            }
        }
    };
    // What was received is a valid prefix even if the stream then failed: hand it over.
    let err = if pending.is_empty() {
        err
    } else {
        match writer.send(WMsg::Data(pending)).await {
            Ok(()) => err,
            Err(e) => Some(e),
        }
    };
    if pending_progress > 0 {
        ctx.progress.event(ProgressEvent::Advanced {
            file: &ctx.file,
            bytes: pending_progress,
        });
    }
    (offset, err)
}

/// One stream from `offset` to the end, resuming with `Range` after transient failures.
async fn single(ctx: &Ctx, writer: &Writer, mut offset: u64, received: &mut u64) -> Result<u64> {
    let mut stalls = 0u32;
    let mut restarted_for_etag = false;
    while offset < ctx.size {
        let before = offset;
        let attempt = send(ctx, request(ctx, (offset > 0).then_some((offset, None)))).await;
        let err = match attempt {
            Ok(resp) => {
                let status = resp.status();
                if status == StatusCode::RANGE_NOT_SATISFIABLE {
                    // The prefix cannot be resumed: start over from zero.
                    writer.send(WMsg::Reset).await?;
                    offset = 0;
                    continue;
                }
                if status == StatusCode::PARTIAL_CONTENT {
                    if content_range(&resp).map(|r| r.0) != Some(offset) {
                        writer.send(WMsg::Reset).await?;
                        offset = 0;
                        continue;
                    }
                    if offset > 0 && !restarted_for_etag && etag_changed(ctx, &resp) {
                        restarted_for_etag = true;
                        writer.send(WMsg::Reset).await?;
                        offset = 0;
                        continue;
                    }
                } else if offset > 0 {
                    // 200: the server ignored Range and sends everything again.
                    writer.send(WMsg::Reset).await?;
                    offset = 0;
                }
                let (new_offset, err) = pump(ctx, writer, resp, offset, received).await;
                offset = new_offset;
                match err {
                    None if offset < ctx.size => Error::SizeMismatch {
                        file: ctx.file.clone(),
                        expected: ctx.size,
                        actual: offset,
                    },
                    None => break,
                    Some(e) => e,
                }
            }
            Err(e) => e,
        };
        // A short body is worth resuming too.
        let retry = is_transient(&err)
            || matches!(err, Error::SizeMismatch { actual, .. } if actual < ctx.size);
        if !retry {
            return Err(err);
        }
        if offset > before {
            stalls = 0;
        } else {
            stalls += 1;
            if stalls > ctx.tuning.max_stalls {
                return Err(err);
            }
        }
        backoff(&err, stalls).await;
    }
    Ok(offset)
}

/// Batches a chunk worker may queue ahead of the coordinator. A chunk that is not yet the head
/// stops reading its response once this many batches (plus the one being filled) wait: TCP flow
/// control then holds the rest in the kernel's socket buffers, outside our memory, until the
/// head catches up. The reorder buffer is thus bounded by `connections × (CHUNK_QUEUE + 1) ×
/// CHUNK_BATCH` bytes (12 MiB by default), whatever the chunk size and the order in which chunks
/// arrive, while the head chunk streams straight through to the writer.
const CHUNK_QUEUE: usize = 2;

/// Size of the batches chunk workers copy their bytes into. Smaller than [`BATCH`]: a chunk
/// worker's queue is resident memory, and it exists once per connection.
const CHUNK_BATCH: usize = 512 * 1024;

enum ChunkMsg {
    Data(Vec<Bytes>),
    Done,
    Failed(Error),
    /// The server does not serve this range properly: continue with one stream.
    Fallback,
}

/// Aborts the dispatcher (and with it every worker) when the coordinator returns or is dropped.
struct AbortOnDrop(JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn parallel(ctx: &Arc<Ctx>, writer: &Writer, start: u64, received: &mut u64) -> Result<u64> {
    let chunk = ctx.tuning.chunk_size.max(1024 * 1024);
    let first_end = (start + chunk).min(ctx.size);
    // Probe with the first chunk: does the server honour ranges?
    let probe = send(ctx, request(ctx, Some((start, Some(first_end - 1))))).await;
    let probe = match probe {
        Ok(resp)
            if resp.status() == StatusCode::PARTIAL_CONTENT
                && content_range(&resp) == Some((start, first_end - 1))
                && !(start > 0 && etag_changed(ctx, &resp)) =>
        {
            resp
        }
        Ok(resp) if resp.status() == StatusCode::OK => {
            // Range ignored: take this full body as the single stream.
            if start > 0 {
                writer.send(WMsg::Reset).await?;
            }
            return single_from_response(ctx, writer, resp, received).await;
        }
        Ok(_) => return single(ctx, writer, start, received).await,
        Err(e) if is_transient(&e) || e.status() == Some(403) || e.status() == Some(416) => {
            return single(ctx, writer, start, received).await;
        }
        Err(e) => return Err(e),
    };

    let mut ranges = Vec::new();
    let mut s = start;
    while s < ctx.size {
        let e = (s + chunk).min(ctx.size);
        ranges.push((s, e));
        s = e;
    }
    let sem = Arc::new(Semaphore::new(ctx.tuning.connections));
    let (order_tx, mut order_rx) = mpsc::channel::<(
        mpsc::Receiver<ChunkMsg>,
        tokio::sync::OwnedSemaphorePermit,
    )>(ctx.tuning.connections);
    let dispatch_ctx = ctx.clone();
    let dispatcher = tokio::spawn(async move {
        let mut workers = tokio::task::JoinSet::new();
        let mut probe = Some(probe);
        for (s, e) in ranges {
            let Ok(permit) = sem.clone().acquire_owned().await else {
                return;
            };
            let (tx, rx) = mpsc::channel(CHUNK_QUEUE);
            if order_tx.send((rx, permit)).await.is_err() {
                return;
            }
            workers.spawn(chunk_worker(dispatch_ctx.clone(), s, e, tx, probe.take()));
        }
        // No more chunks: let the coordinator see the end as soon as it drained the last one.
        drop(order_tx);
        // Keep the workers alive until they finish (dropping the set would abort them).
        while workers.join_next().await.is_some() {}
    });
    let _guard = AbortOnDrop(dispatcher);
    let mut offset = start;
    let mut pending_progress = 0u64;
    while let Some((mut rx, permit)) = order_rx.recv().await {
        loop {
            match rx.recv().await {
                Some(ChunkMsg::Data(v)) => {
                    let len = v.iter().map(|b| b.len() as u64).sum::<u64>();
                    writer.send(WMsg::Data(v)).await?;
                    offset += len;
                    *received += len;
                    pending_progress += len;
                    if pending_progress >= 1024 * 1024 {
                        ctx.progress.event(ProgressEvent::Advanced {
                            file: &ctx.file,
                            bytes: pending_progress,
                        });
                        pending_progress = 0;
                    }
                }
                Some(ChunkMsg::Done) => break,
                Some(ChunkMsg::Failed(e)) => return Err(e),
                Some(ChunkMsg::Fallback) | None => {
                    if pending_progress > 0 {
                        ctx.progress.event(ProgressEvent::Advanced {
                            file: &ctx.file,
                            bytes: pending_progress,
                        });
                    }
                    return single(ctx, writer, offset, received).await;
                }
            }
        }
        drop(permit);
    }
    if pending_progress > 0 {
        ctx.progress.event(ProgressEvent::Advanced {
            file: &ctx.file,
            bytes: pending_progress,
        });
    }
    Ok(offset)
}

async fn single_from_response(
    ctx: &Ctx,
    writer: &Writer,
    resp: reqwest::Response,
    received: &mut u64,
) -> Result<u64> {
    let (offset, err) = pump(ctx, writer, resp, 0, received).await;
    match err {
        None if offset == ctx.size => Ok(offset),
        Some(e) if !is_transient(&e) && !matches!(e, Error::SizeMismatch { .. }) => Err(e),
        _ => single(ctx, writer, offset, received).await,
    }
}

/// Fetches `[start, end)` into `tx`, retrying from where it stopped.
async fn chunk_worker(
    ctx: Arc<Ctx>,
    start: u64,
    end: u64,
    tx: mpsc::Sender<ChunkMsg>,
    mut first: Option<reqwest::Response>,
) {
    let mut pos = start;
    let mut stalls = 0u32;
    loop {
        let before = pos;
        let resp = match first.take() {
            Some(r) => Ok(r),
            None => send(&ctx, request(&ctx, Some((pos, Some(end - 1))))).await,
        };
        let err = match resp {
            Ok(resp) => {
                if resp.status() != StatusCode::PARTIAL_CONTENT
                    || content_range(&resp) != Some((pos, end - 1))
                    || etag_changed(&ctx, &resp)
                {
                    let _ = tx.send(ChunkMsg::Fallback).await;
                    return;
                }
                let mut stream = resp.bytes_stream();
                // Chunks wait in memory until their turn, so they are copied into exact-size
                // batches: holding the network's buffers instead would pin their (larger)
                // allocations and break the memory bound.
                let mut pending = bytes::BytesMut::new();
                let err = loop {
                    let next = match tokio::time::timeout(ctx.read_timeout, stream.next()).await {
                        Ok(n) => n,
                        Err(_) => break Some(timeout_error(&ctx)),
                    };
                    match next {
                        None => break None,
                        Some(Err(e)) => break Some(body_error(&ctx.url, e)),
                        Some(Ok(mut b)) => {
                            let room = end - pos;
                            if b.len() as u64 > room {
                                b.truncate(room as usize);
                            }
                            // Fill batches of exactly `CHUNK_BATCH` bytes (less for the tail): a
                            // buffer that outgrows its reservation is reallocated at double
                            // size, and every batch waiting in the reorder buffer would then
                            // pin twice the bytes it holds. Equal sizes also let the allocator
                            // reuse freed batches instead of fragmenting.
                            let mut rest = &b[..];
                            while !rest.is_empty() {
                                if pending.capacity() == 0 {
                                    pending.reserve(CHUNK_BATCH.min((end - pos) as usize));
                                }
                                let take = rest.len().min(pending.capacity() - pending.len());
                                pending.extend_from_slice(&rest[..take]);
                                rest = &rest[take..];
                                pos += take as u64;
                                if pending.len() == pending.capacity() || pos == end {
                                    let batch = pending.split().freeze();
                                    if tx.send(ChunkMsg::Data(vec![batch])).await.is_err() {
                                        return;
                                    }
                                }
                            }
                            if pos == end {
                                break None;
                            }
                        }
                    }
                };
                // Bytes received before a failure are still a valid part of the chunk.
                if !pending.is_empty()
                    && tx
                        .send(ChunkMsg::Data(vec![pending.freeze()]))
                        .await
                        .is_err()
                {
                    return;
                }
                if pos == end {
                    let _ = tx.send(ChunkMsg::Done).await;
                    return;
                }
                err.unwrap_or_else(|| {
                    Error::Hub(hub_core::Error::Io {
                        context: "range response ended early".into(),
                        source: std::io::Error::new(std::io::ErrorKind::TimedOut, "short body"),
                    })
                })
            }
            Err(e) => e,
        };
        if e_is_fallback(&err) {
            let _ = tx.send(ChunkMsg::Fallback).await;
            return;
        }
        if !is_transient(&err) {
            let _ = tx.send(ChunkMsg::Failed(err)).await;
            return;
        }
        if pos > before {
            stalls = 0;
        } else {
            stalls += 1;
            if stalls > ctx.tuning.max_stalls {
                let _ = tx.send(ChunkMsg::Failed(err)).await;
                return;
            }
        }
        backoff(&err, stalls).await;
    }
}

fn e_is_fallback(e: &Error) -> bool {
    matches!(e.as_hub().and_then(|h| h.status()), Some(403) | Some(416))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bound_memory() {
        let t = Tuning::default();
        // The reorder buffer bound does not depend on the chunk size.
        assert!(t.connections * (CHUNK_QUEUE + 1) * CHUNK_BATCH <= 16 * 1024 * 1024);
        assert!(t.parallel_threshold >= t.chunk_size);
    }
}
