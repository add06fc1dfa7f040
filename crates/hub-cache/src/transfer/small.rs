//! Small files: received whole into memory, then verified, written and committed at once.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use hub_core::ProgressEvent;

use super::http::{
    body_error, is_full_body, request, send, short_body_error, stall_error, with_retries,
};
use super::{Ctx, Job, TransferStats, blocking};
use crate::error::{Error, Result};

/// Files up to this size are received into memory and then verified, written and committed in
/// one blocking call: for many small files, hand-offs between threads cost more than the bytes.
/// They are not resumed (a cut transfer, or a partial file left by an earlier run, restarts from
/// byte 0 — cheaper than a ranged request for so few bytes); larger files always resume.
pub(super) const SMALL_MAX: u64 = 512 * 1024;

/// The small-file path: one GET into memory (retried from the start on transient failures),
/// then hash, write `.incomplete`, and commit in a single blocking call.
pub(super) async fn download_small(
    ctx: &Arc<Ctx>,
    job: &Job,
    finish: crate::commit::Finish,
) -> Result<TransferStats> {
    // A small body is not resumed: each attempt starts from byte 0, so none makes progress.
    let body = with_retries(&ctx.retry, |_| async {
        receive_whole(ctx).await.map_err(|e| (e, false))
    })
    .await?;
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
    verified.map_err(|(expected_hex, actual)| {
        Error::hash_mismatch(file, expected.algorithm(), expected_hex, actual)
    })?;
    Ok(TransferStats {
        resumed_from: 0,
        received: ctx.size,
    })
}

/// One GET of the whole file into memory.
async fn receive_whole(ctx: &Ctx) -> Result<Vec<Bytes>> {
    let resp = send(ctx, request(ctx, None)).await?;
    if !is_full_body(&resp) {
        return Err(Error::decode(
            &ctx.url,
            format!("unexpected status {} for a full download", resp.status()),
        ));
    }
    let mut stream = resp.bytes_stream();
    let mut parts: Vec<Bytes> = Vec::new();
    let mut len = 0u64;
    loop {
        let next = tokio::time::timeout(ctx.read_timeout, stream.next())
            .await
            .map_err(|_| stall_error(ctx))?;
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
        return Err(short_body_error(ctx));
    }
    Ok(parts)
}
