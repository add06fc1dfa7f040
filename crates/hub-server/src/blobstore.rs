//! Content-addressed storage of LFS objects, keyed by sha256.
//!
//! The [`BlobStore`] trait is the seam for other backends (an S3-compatible store would map
//! `put` to a streaming multipart upload with a final existence check, `get` to a ranged GET).

use std::path::PathBuf;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

/// A stream of content chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Errors of [`BlobStore::put`].
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    /// The content's sha256 differs from the declared oid.
    #[error("sha256 mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Declared oid.
        expected: String,
        /// Computed oid.
        actual: String,
    },
    /// The content's size differs from the declared size.
    #[error("size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// Declared size.
        expected: u64,
        /// Received size (may be partial when the body was too long).
        actual: u64,
    },
    /// Storage or body failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Content-addressed storage of LFS objects.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Whether the object is stored.
    async fn exists(&self, oid: &str) -> std::io::Result<bool> {
        Ok(self.len(oid).await?.is_some())
    }
    /// Size of the stored object.
    async fn len(&self, oid: &str) -> std::io::Result<Option<u64>>;
    /// Stores `body`, verifying that it hashes to `oid` and is `size` bytes long. Nothing becomes
    /// visible unless both match. Storing an existing object is a successful no-op.
    async fn put(&self, oid: &str, size: u64, body: ByteStream) -> Result<(), PutError>;
    /// Streams the object, or the byte range `[start, end)` of it. `None` when absent.
    async fn get(
        &self,
        oid: &str,
        range: Option<(u64, u64)>,
    ) -> std::io::Result<Option<ByteStream>>;
}

/// Whether `oid` is a 64-hex sha256.
pub fn is_sha256(oid: &str) -> bool {
    oid.len() == 64 && oid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// [`BlobStore`] over a local directory: `root/objects/aa/bb/<sha256>`.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
    tmp: PathBuf,
}

/// Read chunk size: large chunks keep per-chunk overhead negligible at loopback speed while the
/// memory per download stays bounded.
const CHUNK: usize = 1024 * 1024;

impl LocalBlobStore {
    /// Creates the store; `tmp` must be on the same filesystem as `root` (atomic renames).
    pub fn new(root: PathBuf, tmp: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("objects"))?;
        std::fs::create_dir_all(&tmp)?;
        Ok(LocalBlobStore { root, tmp })
    }

    fn path(&self, oid: &str) -> Option<PathBuf> {
        if !is_sha256(oid) {
            return None;
        }
        let oid = oid.to_ascii_lowercase();
        Some(
            self.root
                .join("objects")
                .join(&oid[..2])
                .join(&oid[2..4])
                .join(&oid),
        )
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    async fn len(&self, oid: &str) -> std::io::Result<Option<u64>> {
        let Some(path) = self.path(oid) else {
            return Ok(None);
        };
        match tokio::fs::metadata(&path).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put(&self, oid: &str, size: u64, mut body: ByteStream) -> Result<(), PutError> {
        let path = self
            .path(oid)
            .ok_or_else(|| std::io::Error::other("invalid oid"))?;
        let tmp = tempfile::Builder::new()
            .prefix("lfs-")
            .tempfile_in(&self.tmp)?;
        let (std_file, tmp_path) = tmp.into_parts();
        // Body chunks are small (16-64 KiB); batch them so each blocking write moves 1 MiB.
        let mut file =
            tokio::io::BufWriter::with_capacity(CHUNK, tokio::fs::File::from_std(std_file));
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            written += chunk.len() as u64;
            if written > size {
                return Err(PutError::SizeMismatch {
                    expected: size,
                    actual: written,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        if written != size {
            return Err(PutError::SizeMismatch {
                expected: size,
                actual: written,
            });
        }
        let actual = hex::encode(hasher.finalize());
        if !actual.eq_ignore_ascii_case(oid) {
            return Err(PutError::HashMismatch {
                expected: oid.to_string(),
                actual,
            });
        }
        file.flush().await?;
        let file = file.into_inner();
        file.sync_all().await?;
        drop(file);
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("bad path"))?
            .to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        let target = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if target.exists() {
                return Ok(()); // same content already stored; the temp file is dropped
            }
            tmp_path.persist(&target).map_err(|e| e.error)?;
            crate::util::sync_dir(&dir);
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }

    async fn get(
        &self,
        oid: &str,
        range: Option<(u64, u64)>,
    ) -> std::io::Result<Option<ByteStream>> {
        let Some(path) = self.path(oid) else {
            return Ok(None);
        };
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let stream: ByteStream = match range {
            Some((start, end)) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                let reader = tokio::io::AsyncReadExt::take(file, end.saturating_sub(start));
                Box::pin(tokio_util::io::ReaderStream::with_capacity(reader, CHUNK))
            }
            None => Box::pin(tokio_util::io::ReaderStream::with_capacity(file, CHUNK)),
        };
        Ok(Some(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(data: &'static [u8]) -> ByteStream {
        Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(&data[..3])),
            Ok(Bytes::from_static(&data[3..])),
        ]))
    }

    async fn collect(s: ByteStream) -> Vec<u8> {
        s.map(|c| c.unwrap().to_vec())
            .collect::<Vec<_>>()
            .await
            .concat()
    }

    #[tokio::test]
    async fn put_verifies_and_get_ranges() {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(tmp.path().join("lfs"), tmp.path().join("tmp")).unwrap();
        let data: &'static [u8] = b"hello world";
        let oid = crate::util::sha256_hex(data);
        assert!(!store.exists(&oid).await.unwrap());
        let bad = crate::util::sha256_hex(b"other");
        assert!(matches!(
            store.put(&bad, 11, body(data)).await,
            Err(PutError::HashMismatch { .. })
        ));
        assert!(matches!(
            store.put(&oid, 10, body(data)).await,
            Err(PutError::SizeMismatch { .. })
        ));
        assert!(matches!(
            store.put(&oid, 12, body(data)).await,
            Err(PutError::SizeMismatch { .. })
        ));
        assert!(!store.exists(&oid).await.unwrap());
        store.put(&oid, 11, body(data)).await.unwrap();
        store.put(&oid, 11, body(data)).await.unwrap();
        assert_eq!(store.len(&oid).await.unwrap(), Some(11));
        assert_eq!(
            collect(store.get(&oid, None).await.unwrap().unwrap()).await,
            data
        );
        assert_eq!(
            collect(store.get(&oid, Some((6, 9))).await.unwrap().unwrap()).await,
            b"wor"
        );
        assert!(store.get(&bad, None).await.unwrap().is_none());
        // No temp files left behind.
        assert_eq!(
            std::fs::read_dir(tmp.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
