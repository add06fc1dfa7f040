//! Commit operations: what a commit adds, deletes and copies.
//!
//! An [`CommitOperationAdd`] starts as *content* (a file path, bytes, or an async reader of a
//! known size) and accumulates what the protocol learns about it: hashes, the upload mode the
//! server chose, whether the server will ignore it, and whether its LFS content is already
//! uploaded. Once an LFS addition is uploaded (see [`crate::UploadExt::preupload_lfs_files`]) the
//! content is dropped: the commit only needs the sha256 and the size.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use hub_core::{Error, Result};
use tokio::io::AsyncRead;

/// How the server wants a file: inline in the commit (`regular`) or through LFS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadMode {
    /// Content travels base64-encoded inside the NDJSON commit.
    Regular,
    /// Content goes to LFS storage first; the commit references its sha256.
    Lfs,
}

impl UploadMode {
    /// `regular` or `lfs`, as on the wire and in upload metadata files.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadMode::Regular => "regular",
            UploadMode::Lfs => "lfs",
        }
    }
}

impl fmt::Display for UploadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the content of an addition comes from.
pub(crate) enum Content {
    /// A file on disk (read when hashing and again when sending).
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(Bytes),
    /// An async reader that can be read once; spooled to a temp file at hashing time. The
    /// mutex only makes the operation `Sync` (the reader is taken out once, never shared).
    Reader(std::sync::Mutex<Box<dyn AsyncRead + Send + Unpin>>, u64),
    /// A reader already spooled to a temp file (kept alive as long as the operation).
    Spooled(Arc<tempfile::TempPath>),
    /// The LFS content was uploaded; it is not needed any more.
    Dropped,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Path(p) => f.debug_tuple("Path").field(p).finish(),
            Content::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Content::Reader(_, size) => write!(f, "Reader({size} bytes)"),
            Content::Spooled(p) => write!(f, "Spooled({})", p.display()),
            Content::Dropped => f.write_str("Dropped"),
        }
    }
}

/// A readable source of content, cheap to clone, for the transfer stages.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A file (a user path or a spooled temp file).
    File(PathBuf),
    /// In-memory bytes.
    Bytes(Bytes),
}

/// Facts about the content, computed in one streaming pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex sha256 of the content (the LFS oid).
    pub sha256: String,
    /// The first 512 bytes (the preupload `sample`).
    pub sample: Vec<u8>,
    /// Git blob sha1 (`sha1("blob {size}\0" + content)`), when computed.
    pub git_sha1: Option<String>,
}

/// Adds (or overwrites) a file in the repository.
#[derive(Debug)]
pub struct CommitOperationAdd {
    pub(crate) path_in_repo: String,
    pub(crate) content: Content,
    pub(crate) info: Option<UploadInfo>,
    pub(crate) upload_mode: Option<UploadMode>,
    pub(crate) should_ignore: bool,
    pub(crate) remote_oid: Option<String>,
    pub(crate) is_uploaded: bool,
    pub(crate) is_committed: bool,
}

impl CommitOperationAdd {
    fn new(path_in_repo: &str, content: Content) -> Result<Self> {
        Ok(CommitOperationAdd {
            path_in_repo: validate_path_in_repo(path_in_repo)?,
            content,
            info: None,
            upload_mode: None,
            should_ignore: false,
            remote_oid: None,
            is_uploaded: false,
            is_committed: false,
        })
    }

    /// Adds the file at `local_path` as `path_in_repo`. The file is read when the commit runs
    /// (hashed once, then streamed), never loaded whole into memory.
    pub fn from_path(path_in_repo: &str, local_path: impl Into<PathBuf>) -> Result<Self> {
        Self::new(path_in_repo, Content::Path(local_path.into()))
    }

    /// Adds in-memory `bytes` as `path_in_repo`.
    pub fn from_bytes(path_in_repo: &str, bytes: impl Into<Bytes>) -> Result<Self> {
        Self::new(path_in_repo, Content::Bytes(bytes.into()))
    }

    /// Adds the `size` bytes read from `reader` as `path_in_repo`. A reader can be read only
    /// once, so its content is spooled to a temporary file while it is hashed; reading a
    /// different number of bytes than `size` is an error.
    pub fn from_reader(
        path_in_repo: &str,
        reader: impl AsyncRead + Send + Unpin + 'static,
        size: u64,
    ) -> Result<Self> {
        Self::new(
            path_in_repo,
            Content::Reader(std::sync::Mutex::new(Box::new(reader)), size),
        )
    }

    /// The destination path in the repository (validated and normalised).
    pub fn path_in_repo(&self) -> &str {
        &self.path_in_repo
    }

    /// Hashes and size, once computed.
    pub fn upload_info(&self) -> Option<&UploadInfo> {
        self.info.as_ref()
    }

    /// The upload mode the server chose, once asked.
    pub fn upload_mode(&self) -> Option<UploadMode> {
        self.upload_mode
    }

    /// Whether the server said it will ignore this path (its `.gitignore`).
    pub fn should_ignore(&self) -> bool {
        self.should_ignore
    }

    /// Whether the LFS content is already uploaded (the content itself is then dropped).
    pub fn is_uploaded(&self) -> bool {
        self.is_uploaded
    }

    /// Whether a commit including this operation succeeded.
    pub fn is_committed(&self) -> bool {
        self.is_committed
    }

    /// The local oid the server compares against: sha256 for LFS, git sha1 for regular files.
    pub(crate) fn local_oid(&self) -> Option<&str> {
        let info = self.info.as_ref()?;
        match self.upload_mode? {
            UploadMode::Lfs => Some(&info.sha256),
            UploadMode::Regular => info.git_sha1.as_deref(),
        }
    }

    /// Whether the file already exists remotely with the same content (nothing to commit).
    pub(crate) fn is_noop(&self) -> bool {
        matches!((self.remote_oid.as_deref(), self.local_oid()), (Some(r), Some(l)) if r == l)
    }

    /// The content source for reading (after spooling), if the content is still held.
    pub(crate) fn source(&self) -> Option<Source> {
        match &self.content {
            Content::Path(p) => Some(Source::File(p.clone())),
            Content::Spooled(p) => Some(Source::File(p.to_path_buf())),
            Content::Bytes(b) => Some(Source::Bytes(b.clone())),
            Content::Reader(..) | Content::Dropped => None,
        }
    }

    /// The local file behind this operation, if any (for messages).
    pub(crate) fn local_path(&self) -> Option<&Path> {
        match &self.content {
            Content::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// Deletes a file, or a folder when the path ends with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOperationDelete {
    pub(crate) path_in_repo: String,
    pub(crate) is_folder: bool,
}

impl CommitOperationDelete {
    /// Deletes `path_in_repo`: a folder when it ends with `/` (Python's `is_folder="auto"`),
    /// a file otherwise.
    pub fn new(path_in_repo: &str) -> Result<Self> {
        let path = validate_path_in_repo(path_in_repo)?;
        let is_folder = path.ends_with('/');
        Ok(CommitOperationDelete {
            path_in_repo: path,
            is_folder,
        })
    }

    /// Deletes the folder `path_in_repo` (a trailing `/` is optional).
    pub fn folder(path_in_repo: &str) -> Result<Self> {
        Ok(CommitOperationDelete {
            path_in_repo: validate_path_in_repo(path_in_repo)?,
            is_folder: true,
        })
    }

    /// The path to delete.
    pub fn path_in_repo(&self) -> &str {
        &self.path_in_repo
    }

    /// Whether a folder is deleted.
    pub fn is_folder(&self) -> bool {
        self.is_folder
    }
}

/// Copies a file already in the repository (possibly from another revision). Copying an LFS
/// file never re-uploads it: the commit references the same sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOperationCopy {
    pub(crate) src_path_in_repo: String,
    pub(crate) path_in_repo: String,
    pub(crate) src_revision: Option<String>,
}

impl CommitOperationCopy {
    /// Copies `src_path_in_repo` to `path_in_repo` at the commit's revision.
    pub fn new(src_path_in_repo: &str, path_in_repo: &str) -> Result<Self> {
        Ok(CommitOperationCopy {
            src_path_in_repo: validate_path_in_repo(src_path_in_repo)?,
            path_in_repo: validate_path_in_repo(path_in_repo)?,
            src_revision: None,
        })
    }

    /// Takes the source file from `revision` instead of the commit's revision.
    pub fn src_revision(mut self, revision: impl Into<String>) -> Self {
        self.src_revision = Some(revision.into());
        self
    }

    /// The source path.
    pub fn src_path_in_repo(&self) -> &str {
        &self.src_path_in_repo
    }

    /// The destination path.
    pub fn path_in_repo(&self) -> &str {
        &self.path_in_repo
    }
}

/// One operation of a commit.
#[derive(Debug)]
pub enum CommitOperation {
    /// Add or overwrite a file.
    Add(CommitOperationAdd),
    /// Delete a file or a folder.
    Delete(CommitOperationDelete),
    /// Copy a file within the repository.
    Copy(CommitOperationCopy),
}

impl CommitOperation {
    /// [`CommitOperationAdd::from_path`] as an operation.
    pub fn add_path(path_in_repo: &str, local_path: impl Into<PathBuf>) -> Result<Self> {
        CommitOperationAdd::from_path(path_in_repo, local_path).map(CommitOperation::Add)
    }

    /// [`CommitOperationAdd::from_bytes`] as an operation.
    pub fn add_bytes(path_in_repo: &str, bytes: impl Into<Bytes>) -> Result<Self> {
        CommitOperationAdd::from_bytes(path_in_repo, bytes).map(CommitOperation::Add)
    }

    /// [`CommitOperationDelete::new`] as an operation (folder when the path ends with `/`).
    pub fn delete(path_in_repo: &str) -> Result<Self> {
        CommitOperationDelete::new(path_in_repo).map(CommitOperation::Delete)
    }

    /// [`CommitOperationCopy::new`] as an operation.
    pub fn copy(src_path_in_repo: &str, path_in_repo: &str) -> Result<Self> {
        CommitOperationCopy::new(src_path_in_repo, path_in_repo).map(CommitOperation::Copy)
    }

    /// The destination path of the operation.
    pub fn path_in_repo(&self) -> &str {
        match self {
            CommitOperation::Add(a) => &a.path_in_repo,
            CommitOperation::Delete(d) => &d.path_in_repo,
            CommitOperation::Copy(c) => &c.path_in_repo,
        }
    }
}

impl From<CommitOperationAdd> for CommitOperation {
    fn from(op: CommitOperationAdd) -> Self {
        CommitOperation::Add(op)
    }
}

impl From<CommitOperationDelete> for CommitOperation {
    fn from(op: CommitOperationDelete) -> Self {
        CommitOperation::Delete(op)
    }
}

impl From<CommitOperationCopy> for CommitOperation {
    fn from(op: CommitOperationCopy) -> Self {
        CommitOperation::Copy(op)
    }
}

/// Normalises and checks a path in the repository exactly as Python's `_validate_path_in_repo`:
/// a leading `/` and then a leading `./` are removed; `.`, `..` and `../…` are refused, and so is
/// any path with a `.git` or `.cache` component.
///
/// ```
/// use hub_upload::ops::validate_path_in_repo;
/// assert_eq!(validate_path_in_repo("/./dir/file.txt")?, "dir/file.txt");
/// assert!(validate_path_in_repo("../x").is_err());
/// assert!(validate_path_in_repo("a/.git/config").is_err());
/// # Ok::<(), hub_core::Error>(())
/// ```
pub fn validate_path_in_repo(path: &str) -> Result<String> {
    let mut p = path.strip_prefix('/').unwrap_or(path);
    if p == "." || p == ".." || p.starts_with("../") {
        return Err(Error::invalid_argument(format!(
            "Invalid `path_in_repo` in CommitOperation: '{path}'"
        )));
    }
    if let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    for forbidden in [".git", ".cache"] {
        if p.split('/').any(|part| part == forbidden) {
            return Err(Error::invalid_argument(format!(
                "Invalid `path_in_repo` in CommitOperation: cannot update files under a '{forbidden}/' folder (path: '{path}')."
            )));
        }
    }
    Ok(p.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn path_validation_matches_python() {
        assert_eq!(validate_path_in_repo("a/b.txt").unwrap(), "a/b.txt");
        assert_eq!(validate_path_in_repo("/a").unwrap(), "a");
        assert_eq!(validate_path_in_repo("./a").unwrap(), "a");
        assert_eq!(validate_path_in_repo("/./a").unwrap(), "a");
        for bad in [".", "..", "../a", "/..", ".git/x", "a/.cache/b", ".git"] {
            assert!(validate_path_in_repo(bad).is_err(), "{bad}");
        }
        // Only exact components are forbidden.
        assert!(validate_path_in_repo(".gitignore").is_ok());
        assert!(validate_path_in_repo("a/.cached").is_ok());
    }

    #[test]
    fn delete_is_folder_when_slash() {
        assert!(CommitOperationDelete::new("logs/").unwrap().is_folder());
        assert!(!CommitOperationDelete::new("logs").unwrap().is_folder());
        assert!(CommitOperationDelete::folder("logs").unwrap().is_folder());
    }

    #[test]
    fn noop_detection_uses_mode_specific_oid() {
        let mut op = CommitOperationAdd::from_bytes("a.txt", &b"x"[..]).unwrap();
        op.info = Some(UploadInfo {
            size: 1,
            sha256: "s256".into(),
            sample: b"x".to_vec(),
            git_sha1: Some("s1".into()),
        });
        op.remote_oid = Some("s1".into());
        assert!(!op.is_noop(), "no mode yet");
        op.upload_mode = Some(UploadMode::Regular);
        assert!(op.is_noop());
        op.upload_mode = Some(UploadMode::Lfs);
        assert!(!op.is_noop());
        op.remote_oid = Some("s256".into());
        assert!(op.is_noop());
    }
}
