//! Large files: ranged chunks fetched in parallel and handed to the writer in order.
//!
//! The number of streams adapts: the transfer starts on one connection (or
//! [`super::Tuning::initial_connections`]), and a controller doubles the count only while the
//! last doubling raised throughput (by [`min_gain`]; measured over [`WINDOW`]s of bytes read
//! from the sockets), up to [`super::Tuning::connections`]. On loopback or a fast link one
//! stream already saturates the hasher and the disk, so extra streams would only add copies and
//! context switches; behind a per-connection cap (a CDN) each stream adds its cap, and the
//! count climbs to the maximum in three steps (1, 2, 4, 8) rather than seven. Streams that did
//! not pay for themselves are retired again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use hub_core::ProgressEvent;
use reqwest::StatusCode;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::Ctx;
use super::http::{
    body_error, content_range, etag_changed, is_fallback, is_transient, request, send,
    short_body_error, stall_error, with_retries,
};
use super::single::{single, single_from_response};
use super::writer::{WMsg, Writer};
use crate::error::{Error, Result};

/// Batches a chunk worker may queue ahead of the coordinator: 4 MiB, a whole default chunk. A
/// chunk that is not yet the head stops reading its response once this many batches (plus the
/// one being filled) wait: TCP flow control then holds the rest in the kernel's socket buffers
/// until the head catches up. The reorder buffer is thus bounded by
/// `connections × (CHUNK_QUEUE + 1) × CHUNK_BATCH` bytes (36 MiB with 8 connections), whatever
/// the chunk size and the order in which chunks arrive, while the head chunk streams straight
/// through to the writer. The queue holds a whole chunk because behind a per-connection cap the kernel does not buffer
/// much for a slow connection (its receive window stays small): a shorter queue stalls every
/// chunk but the head, and extra streams stop adding throughput.
pub(super) const CHUNK_QUEUE: usize = 8;

/// Size of the batches chunk workers copy their bytes into. Smaller than [`BATCH`]: a chunk
/// worker's queue is resident memory, and it exists once per connection.
pub(super) const CHUNK_BATCH: usize = 512 * 1024;

/// Length of one throughput measurement of the stream controller. Long enough to average out
/// bursty senders (a paced server releases its bytes every ~100 ms), short enough that eight
/// streams are reached in a few seconds.
const WINDOW: Duration = Duration::from_millis(500);

/// Time an added stream gets to send its request and reach its pace before it is measured.
const WARM_UP: Duration = Duration::from_millis(250);

/// The gain in throughput (as a fraction) for which streams added to `before` streams (to make
/// `after`) are kept and more tried: below it the link, not the connection, is the limit.
/// Perfectly scaling streams add `(after - before) / before`; the bar is a quarter of that, at
/// most [`MIN_GAIN`] (a window's measurement is not exact, and a link that is nearly full
/// still gains a little).
fn min_gain(before: usize, after: usize) -> f64 {
    MIN_GAIN.min(0.25 * after.saturating_sub(before) as f64 / before.max(1) as f64)
}

/// The largest gain added streams must bring (see [`min_gain`]).
const MIN_GAIN: f64 = 0.12;

/// What the chunk workers share with the coordinator and the stream controller.
struct Shared {
    /// One permit per stream allowed to run a chunk request.
    streams: Arc<Semaphore>,
    /// Bytes read from all sockets so far: the controller's measure of throughput.
    got: AtomicU64,
    /// First byte of the chunk the coordinator is draining: that chunk's bytes go to the writer
    /// at once, so its worker hands over the network's buffers without copying them.
    head: AtomicU64,
}

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

pub(super) async fn parallel(
    ctx: &Arc<Ctx>,
    writer: &Writer,
    start: u64,
    received: &mut u64,
) -> Result<u64> {
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
        Err(e) if is_transient(&e) || is_fallback(&e) => {
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
    let cap = ctx.tuning.connections.max(1);
    let initial = ctx.tuning.initial_connections.clamp(1, cap);
    let shared = Arc::new(Shared {
        streams: Arc::new(Semaphore::new(initial)),
        got: AtomicU64::new(0),
        head: AtomicU64::new(start),
    });
    let (order_tx, mut order_rx) = mpsc::channel::<(
        u64,
        mpsc::Receiver<ChunkMsg>,
        tokio::sync::OwnedSemaphorePermit,
    )>(cap);
    let dispatch_ctx = ctx.clone();
    let dispatch_shared = shared.clone();
    let dispatcher = tokio::spawn(async move {
        let mut workers = tokio::task::JoinSet::new();
        let mut probe = Some(probe);
        for (s, e) in ranges {
            let Ok(permit) = dispatch_shared.streams.clone().acquire_owned().await else {
                return;
            };
            let (tx, rx) = mpsc::channel(CHUNK_QUEUE);
            if order_tx.send((s, rx, permit)).await.is_err() {
                return;
            }
            workers.spawn(chunk_worker(
                dispatch_ctx.clone(),
                dispatch_shared.clone(),
                s,
                e,
                tx,
                probe.take(),
            ));
        }
        // No more chunks: let the coordinator see the end as soon as it drained the last one.
        drop(order_tx);
        // Keep the workers alive until they finish (dropping the set would abort them).
        while workers.join_next().await.is_some() {}
    });
    let _guard = AbortOnDrop(dispatcher);
    let _controller = AbortOnDrop(tokio::spawn(control_streams(
        ctx.clone(),
        shared.clone(),
        initial,
        cap,
    )));
    let mut offset = start;
    let mut pending_progress = 0u64;
    while let Some((chunk_start, mut rx, permit)) = order_rx.recv().await {
        shared.head.store(chunk_start, Ordering::Relaxed);
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

/// The stream controller: starts at `initial` streams and doubles them (up to `cap`) while the
/// previous addition raised the bytes read per second by at least [`min_gain`]; streams that
/// did not are retired again (their permits are taken back as their chunks end). Reports each
/// count as [`ProgressEvent::Connections`]. Runs until aborted with the transfer.
async fn control_streams(ctx: Arc<Ctx>, shared: Arc<Shared>, initial: usize, cap: usize) {
    let report = |connections: usize| {
        ctx.progress.event(ProgressEvent::Connections {
            file: &ctx.file,
            connections,
        });
    };
    report(initial);
    let mut streams = initial;
    // The count and rate before the last addition.
    let mut before: Option<(usize, f64)> = None;
    loop {
        // A window for the newest streams to send their requests and reach their pace.
        tokio::time::sleep(WARM_UP).await;
        let (from, t0) = (shared.got.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(WINDOW).await;
        let bytes = shared.got.load(Ordering::Relaxed).saturating_sub(from);
        let rate = bytes as f64 / t0.elapsed().as_secs_f64().max(1e-3);
        if let Some((prev_streams, prev_rate)) = before
            && rate < prev_rate * (1.0 + min_gain(prev_streams, streams))
        {
            let extra = streams - prev_streams;
            if let Ok(permits) = shared
                .streams
                .clone()
                .acquire_many_owned(extra as u32)
                .await
            {
                report(prev_streams);
                // Held until the transfer ends and this task is aborted.
                let _retired = permits;
                std::future::pending::<()>().await;
            }
            return;
        }
        if streams >= cap {
            return;
        }
        let next = (streams * 2).min(cap);
        shared.streams.add_permits(next - streams);
        report(next);
        before = Some((streams, rate));
        streams = next;
    }
}

/// Fetches `[start, end)` into `tx`, retrying from where it stopped.
async fn chunk_worker(
    ctx: Arc<Ctx>,
    shared: Arc<Shared>,
    start: u64,
    end: u64,
    tx: mpsc::Sender<ChunkMsg>,
    first: Option<reqwest::Response>,
) {
    let pos = AtomicU64::new(start);
    let first = std::sync::Mutex::new(first);
    let outcome = with_retries(&ctx.retry, |_| {
        // Taken before the attempt starts: the lock is never held across an await.
        let first = first.lock().ok().and_then(|mut f| f.take());
        chunk_pass(&ctx, &shared, start, end, &tx, &pos, first)
    })
    .await;
    let msg = match outcome {
        Ok(ChunkEnd::Done) => ChunkMsg::Done,
        Ok(ChunkEnd::Fallback) => ChunkMsg::Fallback,
        Ok(ChunkEnd::ConsumerGone) => return,
        Err(err) if is_fallback(&err) => ChunkMsg::Fallback,
        Err(err) => ChunkMsg::Failed(err),
    };
    let _ = tx.send(msg).await;
}

/// How a chunk attempt ended, when it did not fail.
enum ChunkEnd {
    /// Every byte of the chunk was handed over.
    Done,
    /// The server does not serve this range properly.
    Fallback,
    /// The coordinator stopped listening (it failed or finished elsewhere).
    ConsumerGone,
}

/// One request for the rest of the chunk (from `pos`), streamed into `tx` in exact-size
/// batches; the error says whether the attempt moved the chunk forward.
async fn chunk_pass(
    ctx: &Ctx,
    shared: &Shared,
    chunk_start: u64,
    end: u64,
    tx: &mpsc::Sender<ChunkMsg>,
    pos: &AtomicU64,
    first: Option<reqwest::Response>,
) -> std::result::Result<ChunkEnd, (Error, bool)> {
    let before = pos.load(Ordering::Relaxed);
    let mut at = before;
    let resp = match first {
        Some(r) => r,
        None => send(ctx, request(ctx, Some((at, Some(end - 1)))))
            .await
            .map_err(|e| (e, false))?,
    };
    if resp.status() != StatusCode::PARTIAL_CONTENT
        || content_range(&resp) != Some((at, end - 1))
        || etag_changed(ctx, &resp)
    {
        return Ok(ChunkEnd::Fallback);
    }
    let mut stream = resp.bytes_stream();
    // Chunks wait in memory until their turn, so they are copied into exact-size batches:
    // holding the network's buffers instead would pin their (larger) allocations and break the
    // memory bound.
    let mut pending = bytes::BytesMut::new();
    // Once this chunk is the head, network buffers are handed over as they are, in batches.
    let mut direct: Vec<Bytes> = Vec::new();
    let mut direct_len = 0usize;
    let err = loop {
        let next = match tokio::time::timeout(ctx.read_timeout, stream.next()).await {
            Ok(n) => n,
            Err(_) => break Some(stall_error(ctx)),
        };
        match next {
            None => break None,
            Some(Err(e)) => break Some(body_error(&ctx.url, e)),
            Some(Ok(mut b)) => {
                let room = end - at;
                if b.len() as u64 > room {
                    b.truncate(room as usize);
                }
                shared.got.fetch_add(b.len() as u64, Ordering::Relaxed);
                if shared.head.load(Ordering::Relaxed) == chunk_start {
                    // The head stays the head until it is done, so what was copied before
                    // goes first and everything after it passes through.
                    if !pending.is_empty() {
                        let batch = pending.split().freeze();
                        if tx.send(ChunkMsg::Data(vec![batch])).await.is_err() {
                            return Ok(ChunkEnd::ConsumerGone);
                        }
                        pos.store(at, Ordering::Relaxed);
                    }
                    at += b.len() as u64;
                    direct_len += b.len();
                    direct.push(b);
                    if direct_len >= CHUNK_BATCH || at == end {
                        direct_len = 0;
                        if tx
                            .send(ChunkMsg::Data(std::mem::take(&mut direct)))
                            .await
                            .is_err()
                        {
                            return Ok(ChunkEnd::ConsumerGone);
                        }
                        pos.store(at, Ordering::Relaxed);
                    }
                    if at == end {
                        break None;
                    }
                    continue;
                }
                // Fill batches of exactly `CHUNK_BATCH` bytes (less for the tail): a buffer that
                // outgrows its reservation is reallocated at double size, and every batch
                // waiting in the reorder buffer would then pin twice the bytes it holds. Equal
                // sizes also let the allocator reuse freed batches instead of fragmenting.
                let mut rest = &b[..];
                while !rest.is_empty() {
                    if pending.capacity() == 0 {
                        pending.reserve(CHUNK_BATCH.min((end - at) as usize));
                    }
                    let take = rest.len().min(pending.capacity() - pending.len());
                    pending.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    at += take as u64;
                    if pending.len() == pending.capacity() || at == end {
                        let batch = pending.split().freeze();
                        if tx.send(ChunkMsg::Data(vec![batch])).await.is_err() {
                            return Ok(ChunkEnd::ConsumerGone);
                        }
                        pos.store(at, Ordering::Relaxed);
                    }
                }
                if at == end {
                    break None;
                }
            }
        }
    };
    // Bytes received before a failure are still a valid part of the chunk.
    if !direct.is_empty() {
        if tx.send(ChunkMsg::Data(direct)).await.is_err() {
            return Ok(ChunkEnd::ConsumerGone);
        }
        pos.store(at, Ordering::Relaxed);
    } else if !pending.is_empty() {
        if tx
            .send(ChunkMsg::Data(vec![pending.freeze()]))
            .await
            .is_err()
        {
            return Ok(ChunkEnd::ConsumerGone);
        }
        pos.store(at, Ordering::Relaxed);
    }
    if at == end {
        return Ok(ChunkEnd::Done);
    }
    let err = err.unwrap_or_else(|| short_body_error(ctx));
    Err((err, at > before))
}
