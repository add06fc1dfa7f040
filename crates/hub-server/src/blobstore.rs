//! Content-addressed storage of LFS objects, keyed by sha256.
//!
//! The [`BlobStore`] trait is the seam between the server and where LFS contents live:
//! [`LocalBlobStore`] on a directory, [`crate::s3::S3BlobStore`] on an S3-compatible service.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

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
    /// Stores the file at `path`, whose content the caller has already checked to hash to `oid`
    /// and to be `size` bytes long, consuming the file. The default streams it through
    /// [`put`](Self::put), which checks it again; a local store moves it into place instead.
    async fn put_verified_file(&self, oid: &str, size: u64, path: PathBuf) -> Result<(), PutError> {
        let file = tokio::fs::File::open(&path).await?;
        let body: ByteStream = Box::pin(tokio_util::io::ReaderStream::with_capacity(file, CHUNK));
        let result = self.put(oid, size, body).await;
        let _ = tokio::fs::remove_file(&path).await;
        result
    }
    /// Starts a multipart upload that clients send straight to the store (part `i` to
    /// `part_urls[i - 1]`, parts of `chunk` bytes); `None` when the store does not take uploads
    /// from clients, and the server receives the parts itself.
    async fn begin_direct_multipart(
        &self,
        _oid: &str,
        _size: u64,
        _chunk: u64,
    ) -> std::io::Result<Option<DirectUpload>> {
        Ok(None)
    }
    /// Completes a [`begin_direct_multipart`](Self::begin_direct_multipart) upload with the
    /// part ETags the client got, verifies the content's sha256 and size, and only then makes
    /// the object visible.
    async fn finish_direct_multipart(
        &self,
        _oid: &str,
        _size: u64,
        _upload: &DirectUpload,
        _etags: Vec<String>,
    ) -> Result<(), PutError> {
        Err(PutError::Io(std::io::Error::other(
            "this blob store takes no direct multipart uploads",
        )))
    }
    /// A URL (valid for a while) where clients can download the object straight from the
    /// store, for stores they can reach; `None` means downloads go through the server.
    async fn presigned_get(&self, _oid: &str) -> std::io::Result<Option<String>> {
        Ok(None)
    }
    /// Streams the object, or the byte range `[start, end)` of it. `None` when absent.
    async fn get(
        &self,
        oid: &str,
        range: Option<(u64, u64)>,
    ) -> std::io::Result<Option<ByteStream>>;
}

/// A multipart upload that goes straight from the client to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectUpload {
    /// Key the parts are assembled under before verification (store specific).
    pub staging: String,
    /// The store's id of the multipart upload.
    pub upload_id: String,
    /// Presigned URL of each part, in part order (empty when only completing).
    pub part_urls: Vec<String>,
}

/// Whether `oid` is a 64-hex sha256.
pub fn is_sha256(oid: &str) -> bool {
    oid.len() == 64 && oid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// [`BlobStore`] over a local directory: `root/objects/aa/bb/<sha256>`.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

/// Read chunk size: large chunks keep per-chunk overhead negligible at loopback speed while the
/// memory per download stays bounded.
const CHUNK: usize = 1024 * 1024;

impl LocalBlobStore {
    /// Creates the store under `root`. Objects are staged in temp files beside their final
    /// name, so the store needs no staging directory of its own.
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        let objects = root.join("objects");
        std::fs::create_dir_all(&objects)?;
        // Temp files of a killed writer: never visible under an object name, so garbage.
        for dir in std::fs::read_dir(&objects)?.flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for f in files.flatten() {
                if f.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
        Ok(LocalBlobStore { root })
    }

    /// Where `oid` is stored: `objects/{aa}/{oid}`. One level of 256 directories: a second
    /// level (git-lfs's `{aa}/{bb}/`) makes almost every new object create a directory too, and
    /// allocating inodes is the dominant cost of storing many small objects.
    fn path(&self, oid: &str) -> Option<PathBuf> {
        if !is_sha256(oid) {
            return None;
        }
        let oid = oid.to_ascii_lowercase();
        Some(self.root.join("objects").join(&oid[..2]).join(&oid))
    }

    /// [`Self::path`] for a store operation: an invalid oid is an error.
    fn target(&self, oid: &str) -> std::io::Result<PathBuf> {
        self.path(oid)
            .ok_or_else(|| std::io::Error::other("invalid oid"))
    }

    /// The stored file of `oid`, also under the two-level layout of earlier versions.
    async fn existing(&self, oid: &str) -> std::io::Result<Option<(PathBuf, std::fs::Metadata)>> {
        let Some(path) = self.path(oid) else {
            return Ok(None);
        };
        let lower = oid.to_ascii_lowercase();
        let legacy = self
            .root
            .join("objects")
            .join(&lower[..2])
            .join(&lower[2..4])
            .join(&lower);
        for p in [path, legacy] {
            match tokio::fs::metadata(&p).await {
                Ok(m) => return Ok(Some((p, m))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

/// Objects up to this size are received into memory and stored in one blocking call: for
/// small objects the hand-offs between threads cost more than the bytes.
const SMALL_PUT: u64 = 1024 * 1024;

/// A temp file in the directory of `target` (created if needed). Concurrent puts then create
/// their files in 256 directories rather than contending for one, and the final rename stays
/// within one directory.
fn staging_file(target: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = target
        .parent()
        .ok_or_else(|| std::io::Error::other("bad object path"))?;
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)
}

/// Moves the fsynced `staged` file to `target` and makes the name durable. When the object is
/// already stored (same content by construction), the staged file is just dropped (deleted).
fn install(staged: tempfile::TempPath, target: &Path) -> std::io::Result<()> {
    let dir = target
        .parent()
        .ok_or_else(|| std::io::Error::other("bad object path"))?;
    std::fs::create_dir_all(dir)?;
    if target.exists() {
        return Ok(());
    }
    staged.persist(target).map_err(|e| e.error)?;
    crate::util::sync_dir(dir);
    Ok(())
}

/// Refuses a body that has grown past its declared size (checked while it streams).
fn check_not_longer(size: u64, received: u64) -> Result<(), PutError> {
    if received > size {
        return Err(PutError::SizeMismatch {
            expected: size,
            actual: received,
        });
    }
    Ok(())
}

/// Checks the complete body: exactly `size` bytes hashing to `oid`.
fn check_complete(oid: &str, size: u64, received: u64, hasher: Sha256) -> Result<(), PutError> {
    if received != size {
        return Err(PutError::SizeMismatch {
            expected: size,
            actual: received,
        });
    }
    let actual = hex::encode(hasher.finalize());
    if !actual.eq_ignore_ascii_case(oid) {
        return Err(PutError::HashMismatch {
            expected: oid.to_string(),
            actual,
        });
    }
    Ok(())
}

impl LocalBlobStore {
    async fn put_small(
        &self,
        oid: &str,
        size: u64,
        mut body: ByteStream,
        path: PathBuf,
    ) -> Result<(), PutError> {
        let mut data = Vec::with_capacity(size as usize);
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            check_not_longer(size, (data.len() + chunk.len()) as u64)?;
            data.extend_from_slice(&chunk);
        }
        check_complete(oid, size, data.len() as u64, Sha256::new_with_prefix(&data))?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if path.exists() {
                return Ok(());
            }
            let mut tmp = staging_file(&path)?;
            tmp.write_all(&data)?;
            tmp.as_file().sync_all()?;
            install(tmp.into_temp_path(), &path)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    async fn len(&self, oid: &str) -> std::io::Result<Option<u64>> {
        Ok(self.existing(oid).await?.map(|(_, m)| m.len()))
    }

    async fn put(&self, oid: &str, size: u64, mut body: ByteStream) -> Result<(), PutError> {
        let path = self.target(oid)?;
        if size <= SMALL_PUT {
            return self.put_small(oid, size, body, path).await;
        }
        let (std_file, tmp_path) = staging_file(&path)?.into_parts();
        // Body chunks are small (16-64 KiB); batch them so each blocking write moves 1 MiB.
        let mut file =
            tokio::io::BufWriter::with_capacity(CHUNK, tokio::fs::File::from_std(std_file));
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            written += chunk.len() as u64;
            check_not_longer(size, written)?;
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        check_complete(oid, size, written, hasher)?;
        file.flush().await?;
        file.into_inner().sync_all().await?;
        tokio::task::spawn_blocking(move || install(tmp_path, &path))
            .await
            .map_err(std::io::Error::other)??;
        Ok(())
    }

    async fn put_verified_file(&self, oid: &str, size: u64, file: PathBuf) -> Result<(), PutError> {
        let path = self.target(oid)?;
        tokio::task::spawn_blocking(move || -> Result<(), PutError> {
            // Deleted on any early return.
            let staged = tempfile::TempPath::try_from_path(file)?;
            let f = std::fs::File::open(&staged)?;
            let actual = f.metadata()?.len();
            if actual != size {
                return Err(PutError::SizeMismatch {
                    expected: size,
                    actual,
                });
            }
            f.sync_data()?;
            install(staged, &path)?;
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn get(
        &self,
        oid: &str,
        range: Option<(u64, u64)>,
    ) -> std::io::Result<Option<ByteStream>> {
        let Some((path, _)) = self.existing(oid).await? else {
            return Ok(None);
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let (start, end) = match range {
            Some((start, end)) => (start, end),
            None => (0, file.metadata()?.len()),
        };
        let stream: ByteStream = Box::pin(read_range(file, start, end));
        Ok(Some(stream))
    }
}

/// Streams `[start, end)` of `file`, reading each chunk straight into the buffer that is sent
/// (`tokio::fs::File` would copy every byte once more through its own buffer).
fn read_range(
    file: std::fs::File,
    start: u64,
    end: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::try_unfold((Some(file), start), move |(file, at)| async move {
        let Some(file) = file.filter(|_| at < end) else {
            return Ok(None);
        };
        let want = (end - at).min(CHUNK as u64);
        let (file, buf) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            use std::io::{Read, Seek};
            let mut file = file;
            file.seek(std::io::SeekFrom::Start(at))?;
            // `read_to_end` fills spare capacity without zeroing it first.
            let mut buf = Vec::with_capacity(want as usize);
            (&mut file).take(want).read_to_end(&mut buf)?;
            if (buf.len() as u64) < want {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            Ok((file, buf))
        })
        .await
        .map_err(std::io::Error::other)??;
        let next = at + buf.len() as u64;
        Ok(Some((Bytes::from(buf), (Some(file), next))))
    })
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
        let store = LocalBlobStore::new(tmp.path().join("lfs")).unwrap();
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
        // No temp files left behind (they are staged beside the objects).
        let leftovers = std::fs::read_dir(tmp.path().join("lfs/objects"))
            .unwrap()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
            .filter(|f| f.file_name().to_string_lossy().starts_with(".tmp-"))
            .count();
        assert_eq!(leftovers, 0);
    }
}
