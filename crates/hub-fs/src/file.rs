//! Ranged reads and [`HfFile`], an `AsyncRead + AsyncSeek` over range requests.

use std::io::SeekFrom;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use hub_core::{HubClient, SendOptions};
use reqwest::Method;
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

use crate::error::{FsError, Result};
use crate::fs::HfFileSystem;
use crate::path::ResolvedPath;

/// Default read-ahead: each range request asks for at least this many bytes (fsspec's default
/// block size is 5 MiB; a smaller block keeps random reads of small records cheap).
pub const DEFAULT_BLOCK_SIZE: usize = 4 * 1024 * 1024;

/// `GET {resolve url}` with `Range: bytes=start-(end-1)`: the bytes `[start, end)`.
///
/// The one HTTP call of the read path. A server that ignores `Range` (200) is tolerated: the
/// slice is cut from the full body.
pub(crate) async fn get_range(
    client: &HubClient,
    rp: &ResolvedPath,
    start: u64,
    end: u64,
) -> Result<Bytes> {
    let url = hub_core::urls::hf_hub_url(
        client.endpoint(),
        &rp.repo_id,
        &rp.path_in_repo,
        rp.repo_type,
        &rp.revision,
    );
    let rb = client
        .request(Method::GET, &url)
        .header(reqwest::header::RANGE, format!("bytes={start}-{}", end - 1));
    let resp = client.send(rb, SendOptions::new()).await?;
    let partial = resp.status().as_u16() == 206;
    let body = resp
        .bytes()
        .await
        .map_err(|e| FsError::Hub(hub_core::Error::transport(&url, e)))?;
    if partial {
        return Ok(body);
    }
    let len = body.len() as u64;
    let (s, e) = (start.min(len), end.min(len));
    Ok(body.slice(s as usize..e as usize))
}

/// An open remote file: `AsyncRead + AsyncSeek`, reading ahead one block per range request.
///
/// Each miss fetches `[pos, pos + block_size)` (clamped to the file size); reads inside the
/// block are served from memory, so sequential reads cost one request per block and a seek
/// costs nothing until the next read.
pub struct HfFile {
    client: HubClient,
    resolved: ResolvedPath,
    size: u64,
    pos: u64,
    block_size: usize,
    buf_start: u64,
    buf: Bytes,
    pending: Option<(u64, BoxFuture<'static, Result<Bytes>>)>,
    seek_to: Option<u64>,
}

impl std::fmt::Debug for HfFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HfFile")
            .field("path", &self.resolved.unresolve())
            .field("size", &self.size)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl HfFile {
    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Current position.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The resolved path of the file.
    pub fn resolved(&self) -> &ResolvedPath {
        &self.resolved
    }
}

impl AsyncRead for HfFile {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.pos >= this.size || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let buf_end = this.buf_start + this.buf.len() as u64;
            if this.pos >= this.buf_start && this.pos < buf_end {
                let off = (this.pos - this.buf_start) as usize;
                let n = out.remaining().min(this.buf.len() - off);
                out.put_slice(&this.buf[off..off + n]);
                this.pos += n as u64;
                return Poll::Ready(Ok(()));
            }
            if this.pending.is_none() {
                let start = this.pos;
                let want = (out.remaining().max(this.block_size)) as u64;
                let end = (start + want).min(this.size);
                let client = this.client.clone();
                let rp = this.resolved.clone();
                this.pending = Some((
                    start,
                    Box::pin(async move { get_range(&client, &rp, start, end).await }),
                ));
            }
            let Some((start, fut)) = this.pending.as_mut() else {
                continue;
            };
            let start = *start;
            match fut.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(res) => {
                    this.pending = None;
                    match res {
                        Ok(bytes) if bytes.is_empty() => {
                            return Poll::Ready(Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "the server sent no bytes for a range inside the file",
                            )));
                        }
                        Ok(bytes) => {
                            this.buf_start = start;
                            this.buf = bytes;
                        }
                        Err(e) => return Poll::Ready(Err(std::io::Error::other(e))),
                    }
                }
            }
        }
    }
}

impl AsyncSeek for HfFile {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> std::io::Result<()> {
        let target = match position {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(t) => {
                self.seek_to = Some(t);
                Ok(())
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek to a negative position",
            )),
        }
    }

    fn poll_complete(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<u64>> {
        if let Some(t) = self.seek_to.take() {
            self.pos = t;
            // A fetch started for the old position is useless now.
            self.pending = None;
        }
        Poll::Ready(Ok(self.pos))
    }
}

/// `GET {resolve url}` streamed into `dest` (the other HTTP call of the read path).
async fn download_to(client: &HubClient, rp: &ResolvedPath, dest: &std::path::Path) -> Result<u64> {
    use tokio::io::AsyncWriteExt;
    let url = hub_core::urls::hf_hub_url(
        client.endpoint(),
        &rp.repo_id,
        &rp.path_in_repo,
        rp.repo_type,
        &rp.revision,
    );
    let mut resp = client
        .send(client.request(Method::GET, &url), SendOptions::new())
        .await?;
    let io = |context: String| move |source| FsError::Io { context, source };
    let mut file = tokio::fs::File::create(dest)
        .await
        .map_err(io(format!("cannot create {}", dest.display())))?;
    let mut written = 0u64;
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| FsError::Hub(hub_core::Error::transport(&url, e)))?
    {
        file.write_all(&chunk)
            .await
            .map_err(io(format!("cannot write {}", dest.display())))?;
        written += chunk.len() as u64;
    }
    file.flush()
        .await
        .map_err(io(format!("cannot write {}", dest.display())))?;
    Ok(written)
}

impl HfFileSystem {
    /// Downloads a file to the local path `lpath` (Python's `get_file`): parent folders are
    /// created, a directory becomes an empty local directory. The file is written to a
    /// temporary name next to `lpath` and renamed when complete, so `lpath` never holds half a
    /// file.
    pub async fn get_file(&self, rpath: &str, lpath: impl AsRef<std::path::Path>) -> Result<()> {
        let lpath = lpath.as_ref();
        let io = |context: String| move |source| FsError::Io { context, source };
        let info = self.info(rpath, false).await?;
        if info.is_dir() {
            return tokio::fs::create_dir_all(lpath)
                .await
                .map_err(io(format!("cannot create {}", lpath.display())));
        }
        if let Some(parent) = lpath.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io(format!("cannot create {}", parent.display())))?;
        }
        let rp = self.resolve_path(rpath, None).await?;
        let mut tmp = lpath.as_os_str().to_owned();
        tmp.push(".hffs-incomplete");
        let tmp = std::path::PathBuf::from(tmp);
        let written = match download_to(&self.inner.client, &rp, &tmp).await {
            Ok(n) => n,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        if written != info.size {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(FsError::Hub(hub_core::Error::decode(
                &rp.unresolve(),
                format!(
                    "downloaded {written} bytes but the file has {} bytes; retry the download",
                    info.size
                ),
            )));
        }
        tokio::fs::rename(&tmp, lpath).await.map_err(io(format!(
            "cannot move the download to {}",
            lpath.display()
        )))
    }

    /// Opens a file for reading with the default read-ahead ([`DEFAULT_BLOCK_SIZE`]).
    pub async fn open(&self, path: &str) -> Result<HfFile> {
        self.open_with_block_size(path, DEFAULT_BLOCK_SIZE).await
    }

    /// Opens a file for reading; each range request fetches at least `block_size` bytes.
    pub async fn open_with_block_size(&self, path: &str, block_size: usize) -> Result<HfFile> {
        let resolved = self.resolve_path(path, None).await?;
        let info = self.info(path, false).await?;
        if !info.is_file() {
            return Err(FsError::WrongKind {
                path: path.to_owned(),
                message: "is a directory; open a file inside it".to_owned(),
            });
        }
        Ok(HfFile {
            client: self.inner.client.clone(),
            resolved,
            size: info.size,
            pos: 0,
            block_size: block_size.max(1),
            buf_start: 0,
            buf: Bytes::new(),
            pending: None,
            seek_to: None,
        })
    }
}

/// A blocking `std::io::Read + Seek` over [`HfFile`], for synchronous code (e.g. a parser
/// that wants `Read + Seek`). Every call runs on a private runtime thread, so it can be used
/// (and dropped) anywhere, also inside async code, without panicking.
#[derive(Debug)]
pub struct BlockingHfFile {
    rt: hub_core::runtime_thread::RuntimeThread,
    file: Option<HfFile>,
    size: u64,
}

fn stopped() -> std::io::Error {
    std::io::Error::other("the runtime thread of the blocking file stopped")
}

impl BlockingHfFile {
    /// Opens `path` of `fs` for blocking reads with read-ahead of `block_size` bytes.
    ///
    /// The file system's requests run on the blocking file's own runtime thread; give it a
    /// file system whose connections were not opened on another, since stopped, runtime
    /// (typically: a fresh `HfFileSystem`).
    pub fn open(fs: &HfFileSystem, path: &str, block_size: usize) -> Result<BlockingHfFile> {
        let rt = hub_core::runtime_thread::RuntimeThread::start("hub-fs-blocking").map_err(
            |source| FsError::Io {
                context: "cannot start the runtime thread of a blocking file".to_owned(),
                source,
            },
        )?;
        let (fs, path) = (fs.clone(), path.to_owned());
        let file = rt
            .run(async move { fs.open_with_block_size(&path, block_size).await })
            .map_err(|_| FsError::Io {
                context: "opening a blocking file".to_owned(),
                source: stopped(),
            })??;
        Ok(BlockingHfFile {
            rt,
            size: file.size(),
            file: Some(file),
        })
    }

    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl std::io::Read for BlockingHfFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use tokio::io::AsyncReadExt;
        let mut file = self.file.take().ok_or_else(stopped)?;
        let want = buf.len();
        let (file, res) = self
            .rt
            .run(async move {
                let mut tmp = vec![0u8; want];
                let res = file.read(&mut tmp).await.map(|n| {
                    tmp.truncate(n);
                    tmp
                });
                (file, res)
            })
            .map_err(|_| stopped())?;
        self.file = Some(file);
        let data = res?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }
}

impl std::io::Seek for BlockingHfFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        use tokio::io::AsyncSeekExt;
        let mut file = self.file.take().ok_or_else(stopped)?;
        let (file, res) = self
            .rt
            .run(async move {
                let res = file.seek(pos).await;
                (file, res)
            })
            .map_err(|_| stopped())?;
        self.file = Some(file);
        res
    }
}
