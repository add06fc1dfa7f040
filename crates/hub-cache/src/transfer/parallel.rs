//! Large files: ranged chunks fetched in parallel and handed to the writer in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Batches a chunk worker may queue ahead of the coordinator. A chunk that is not yet the head
/// stops reading its response once this many batches (plus the one being filled) wait: TCP flow
/// control then holds the rest in the kernel's socket buffers, outside our memory, until the
/// head catches up. The reorder buffer is thus bounded by `connections × (CHUNK_QUEUE + 1) ×
/// CHUNK_BATCH` bytes (12 MiB by default), whatever the chunk size and the order in which chunks
/// arrive, while the head chunk streams straight through to the writer.
pub(super) const CHUNK_QUEUE: usize = 2;

/// Size of the batches chunk workers copy their bytes into. Smaller than [`BATCH`]: a chunk
/// worker's queue is resident memory, and it exists once per connection.
pub(super) const CHUNK_BATCH: usize = 512 * 1024;

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

/// Fetches `[start, end)` into `tx`, retrying from where it stopped.
async fn chunk_worker(
    ctx: Arc<Ctx>,
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
        chunk_pass(&ctx, end, &tx, &pos, first)
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
    if !pending.is_empty() {
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
