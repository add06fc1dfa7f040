//! The blocking writer: appends bytes in order to the `.incomplete` file and hashes them once.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::append::Appender;
use crate::error::{Error, Result};
use crate::verify::StreamHasher;

/// Bytes are handed between threads in batches of about [`BATCH`] bytes: one hand-off per
/// batch instead of one per network buffer keeps context switches rare on busy machines.
pub(super) const BATCH: usize = 1 << 20;

pub(super) enum WMsg {
    Data(Vec<Bytes>),
    Reset,
}

pub(super) struct Writer {
    pub(super) tx: mpsc::Sender<WMsg>,
    pub(super) handle: JoinHandle<std::io::Result<(StreamHasher, u64)>>,
}

/// The writer coalesces queued buffers into one `writev` of up to this many bytes. Every byte
/// queued between the network and the disk is resident memory (and network buffers pin
/// allocations larger than their bytes), so the queues stay short: 2 MiB writes already cost
/// little more per byte than larger ones.
const WRITE_BATCH: usize = 2 << 20;

/// Files with at least this many bytes to transfer hash on a thread of their own.
const HASH_THREAD_MIN: u64 = 8 * 1024 * 1024;

/// Batches queued for the hashing thread (2–8 MiB): enough that the hasher keeps working while
/// the writer waits for a direct write to reach the disk. Deeper queues bought no time on the
/// benchmarks but cost resident memory once per large file (8 queued: +15–25 MB peak on a
/// sharded snapshot).
const HASH_QUEUE: usize = 4;

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
pub(super) fn spawn_writer(
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
    pub(super) async fn send(&self, msg: WMsg) -> Result<()> {
        self.tx.send(msg).await.map_err(|_| {
            Error::io(
                "writing the partial file",
                std::io::Error::other("writer stopped"),
            )
        })
    }
}
