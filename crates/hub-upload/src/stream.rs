//! Streaming request bodies read from disk, with bounded memory.
//!
//! A blocking-pool thread reads (and, for commit bodies, base64-encodes) fixed-size chunks and
//! hands them to the HTTP body through a small channel, so disk reads overlap the network and at
//! most a few chunks are in memory per transfer. Dropping the body (request finished or aborted)
//! closes the channel, which stops the reader.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use hub_core::{ProgressEvent, ProgressSink};

use crate::ops::Source;

/// Chunk size of raw uploads.
pub(crate) const RAW_CHUNK: usize = 1 << 20;
/// Chunk size of base64 encoding: a multiple of 3, so encoded chunks concatenate exactly.
pub(crate) const B64_CHUNK: usize = 3 * 256 * 1024;

/// Streams `len` bytes of `source` from `offset`, base64-encoded when `base64` is set.
pub(crate) fn source_stream(
    source: &Source,
    offset: u64,
    len: u64,
    base64: bool,
) -> futures::stream::BoxStream<'static, io::Result<Bytes>> {
    match source {
        Source::Bytes(b) => {
            let start = (offset as usize).min(b.len());
            let end = (start + len as usize).min(b.len());
            let slice = b.slice(start..end);
            let out = if base64 {
                Bytes::from(base64::engine::general_purpose::STANDARD.encode(&slice))
            } else {
                slice
            };
            futures::stream::once(async move { Ok(out) }).boxed()
        }
        Source::File(path) => file_stream(path.clone(), offset, len, base64).boxed(),
    }
}

/// A file range as a stream of chunks, read ahead by a blocking thread.
fn file_stream(
    path: PathBuf,
    offset: u64,
    len: u64,
    base64: bool,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(2);
    let chunk = if base64 { B64_CHUNK } else { RAW_CHUNK };
    // The reader is started lazily on the first poll, so a body that is built but never sent
    // costs nothing.
    let mut started = Some((tx, path));
    let mut rx = rx;
    futures::stream::poll_fn(move |cx| {
        if let Some((tx, path)) = started.take() {
            tokio::task::spawn_blocking(move || {
                read_chunks(&path, offset, len, chunk, base64, &tx)
            });
        }
        rx.poll_recv(cx)
    })
}

fn read_chunks(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    chunk: usize,
    base64: bool,
    tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) {
    let result = (|| -> io::Result<()> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut remaining = len;
        while remaining > 0 {
            let want = remaining.min(chunk as u64) as usize;
            // `read_to_end` fills the spare capacity without zeroing it first.
            let mut buf = Vec::with_capacity(want);
            (&mut file).take(want as u64).read_to_end(&mut buf)?;
            // Exactly `want` bytes: a file that shrank since it was hashed is an error, one
            // that grew is read up to the hashed size (the commit stays consistent).
            if buf.len() < want {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} changed since it was hashed: it ends {} bytes early",
                        path.display(),
                        want - buf.len()
                    ),
                ));
            }
            remaining -= want as u64;
            let out = if base64 {
                Bytes::from(base64::engine::general_purpose::STANDARD.encode(&buf))
            } else {
                Bytes::from(buf)
            };
            if tx.blocking_send(Ok(out)).is_err() {
                return Ok(()); // body dropped: stop reading
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = tx.blocking_send(Err(e));
    }
}

/// Length of the base64 encoding of `n` bytes (with padding).
pub(crate) fn b64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

/// Progress of one file, shared by its concurrent parts.
#[derive(Debug, Clone)]
pub(crate) struct FileProgress {
    sink: Arc<dyn ProgressSink>,
    name: Arc<str>,
}

impl FileProgress {
    pub(crate) fn new(sink: Arc<dyn ProgressSink>, name: &str) -> Self {
        FileProgress {
            sink,
            name: Arc::from(name),
        }
    }
    pub(crate) fn started(&self, total: u64) {
        self.sink.event(ProgressEvent::Started {
            file: &self.name,
            total: Some(total),
        });
    }
    pub(crate) fn finished(&self) {
        self.sink
            .event(ProgressEvent::Finished { file: &self.name });
    }
    pub(crate) fn failed(&self, error: &str) {
        self.sink.event(ProgressEvent::Failed {
            file: &self.name,
            error,
        });
    }
    /// A tracker for one part (or the whole file); retries of the part do not count twice.
    pub(crate) fn part(&self) -> PartProgress {
        PartProgress {
            file: self.clone(),
            high_water: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Reports bytes of one part above the most already reported for it.
#[derive(Debug, Clone)]
pub(crate) struct PartProgress {
    file: FileProgress,
    high_water: Arc<AtomicU64>,
}

impl PartProgress {
    /// Wraps a body stream so that every chunk handed to the network is reported.
    pub(crate) fn wrap(
        &self,
        stream: futures::stream::BoxStream<'static, io::Result<Bytes>>,
    ) -> futures::stream::BoxStream<'static, io::Result<Bytes>> {
        let this = self.clone();
        let mut sent = 0u64;
        stream
            .map(move |item| {
                if let Ok(b) = &item {
                    sent += b.len() as u64;
                    let prev = this.high_water.fetch_max(sent, Ordering::Relaxed);
                    if sent > prev {
                        this.file.sink.event(ProgressEvent::Advanced {
                            file: &this.file.name,
                            bytes: sent - prev,
                        });
                    }
                }
                item
            })
            .boxed()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use futures::TryStreamExt as _;

    #[tokio::test]
    async fn file_ranges_and_base64() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..(B64_CHUNK * 2 + 5)).map(|i| (i % 253) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let src = Source::File(p.clone());
        let got: Vec<Bytes> = source_stream(&src, 10, 100, false)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.concat(), data[10..110]);
        let got: Vec<Bytes> = source_stream(&src, 0, data.len() as u64, true)
            .try_collect()
            .await
            .unwrap();
        let joined = got.concat();
        assert_eq!(joined.len() as u64, b64_len(data.len() as u64));
        assert_eq!(
            joined,
            base64::engine::general_purpose::STANDARD
                .encode(&data)
                .into_bytes()
        );
        // Asking past the end fails instead of sending short content.
        let r: io::Result<Vec<Bytes>> = source_stream(&src, 0, data.len() as u64 + 1, false)
            .try_collect()
            .await;
        let e = r.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("changed since it was hashed"), "{e}");
    }

    #[test]
    fn b64_lengths() {
        for n in 0..20u64 {
            let v = vec![1u8; n as usize];
            assert_eq!(
                b64_len(n),
                base64::engine::general_purpose::STANDARD.encode(&v).len() as u64
            );
        }
    }
}
