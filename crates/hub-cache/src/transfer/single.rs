//! One resumable stream from an offset to the end of the file.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use futures::StreamExt;
use hub_core::ProgressEvent;
use reqwest::StatusCode;

use super::Ctx;
use super::http::{
    body_error, content_range, etag_changed, is_transient, request, send, short_body_error,
    stall_error, with_retries,
};
use super::writer::{BATCH, WMsg, Writer};
use crate::error::{Error, Result};

/// Streams a response body into the writer, starting at `offset`; returns the new offset.
/// A body longer than the file is an error; a short one is returned as is.
pub(super) async fn pump(
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
            Err(_) => break Some(stall_error(ctx)),
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
pub(super) async fn single(
    ctx: &Ctx,
    writer: &Writer,
    offset: u64,
    received: &mut u64,
) -> Result<u64> {
    let state = Resume {
        offset: AtomicU64::new(offset),
        received: AtomicU64::new(0),
        restarted_for_etag: AtomicBool::new(false),
    };
    let result = with_retries(&ctx.retry, |_| single_pass(ctx, writer, &state)).await;
    *received += state.received.load(Ordering::Relaxed);
    result
}

/// Where a resumable stream stands between attempts.
struct Resume {
    offset: AtomicU64,
    received: AtomicU64,
    restarted_for_etag: AtomicBool,
}

/// One request from the current offset, pumped until it ends; the error says whether the
/// attempt moved the file forward.
async fn single_pass(
    ctx: &Ctx,
    writer: &Writer,
    state: &Resume,
) -> std::result::Result<u64, (Error, bool)> {
    let no_progress = |e: Error| (e, false);
    loop {
        let mut offset = state.offset.load(Ordering::Relaxed);
        if offset >= ctx.size {
            return Ok(offset);
        }
        let before = offset;
        let resp = send(ctx, request(ctx, (offset > 0).then_some((offset, None))))
            .await
            .map_err(no_progress)?;
        let status = resp.status();
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            // The prefix cannot be resumed: start over from zero.
            writer.send(WMsg::Reset).await.map_err(no_progress)?;
            state.offset.store(0, Ordering::Relaxed);
            continue;
        }
        if status == StatusCode::PARTIAL_CONTENT {
            if content_range(&resp).map(|r| r.0) != Some(offset) {
                writer.send(WMsg::Reset).await.map_err(no_progress)?;
                state.offset.store(0, Ordering::Relaxed);
                continue;
            }
            if offset > 0
                && !state.restarted_for_etag.load(Ordering::Relaxed)
                && etag_changed(ctx, &resp)
            {
                state.restarted_for_etag.store(true, Ordering::Relaxed);
                writer.send(WMsg::Reset).await.map_err(no_progress)?;
                state.offset.store(0, Ordering::Relaxed);
                continue;
            }
        } else if offset > 0 {
            // 200: the server ignored Range and sends everything again.
            writer.send(WMsg::Reset).await.map_err(no_progress)?;
            offset = 0;
        }
        let mut received = 0u64;
        let (new_offset, err) = pump(ctx, writer, resp, offset, &mut received).await;
        state.received.fetch_add(received, Ordering::Relaxed);
        state.offset.store(new_offset, Ordering::Relaxed);
        let progressed = new_offset > before;
        return match err {
            // A short body is worth resuming too.
            None if new_offset < ctx.size => Err((short_body_error(ctx), progressed)),
            None => Ok(new_offset),
            Some(e) => Err((e, progressed)),
        };
    }
}

pub(super) async fn single_from_response(
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
