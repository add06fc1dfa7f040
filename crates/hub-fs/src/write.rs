//! Writes: each call is one commit through hub-upload, then the cached listings of the
//! written revision are dropped.

use std::path::PathBuf;

use bytes::Bytes;
use futures::future::BoxFuture;
use hub_core::types::CommitInfo;
use hub_upload::{CommitOperation, CommitOperationCopy, UploadExt};

use crate::error::{FsError, Result};
use crate::fs::{HfFileSystem, into_future};
use crate::glob::has_magic;
use crate::path::ResolvedPath;

/// Commit settings shared by the write builders.
#[derive(Debug, Clone, Default)]
struct CommitSettings {
    message: Option<String>,
    description: Option<String>,
    create_pr: bool,
}

macro_rules! commit_setters {
    () => {
        /// Commit title (each call has Python's default otherwise).
        pub fn commit_message(mut self, message: impl Into<String>) -> Self {
            self.commit.message = Some(message.into());
            self
        }
        /// Commit description.
        pub fn commit_description(mut self, description: impl Into<String>) -> Self {
            self.commit.description = Some(description.into());
            self
        }
        /// Open a pull request instead of committing to the revision.
        pub fn create_pr(mut self, yes: bool) -> Self {
            self.commit.create_pr = yes;
            self
        }
    };
}

impl HfFileSystem {
    async fn commit(
        &self,
        rp: &ResolvedPath,
        ops: Vec<CommitOperation>,
        settings: &CommitSettings,
        default_message: String,
    ) -> Result<CommitInfo> {
        let mut b = self
            .inner
            .client
            .create_commit(&rp.repo_id, ops)
            .repo_type(rp.repo_type)
            .revision(rp.revision.clone())
            .commit_message(settings.message.clone().unwrap_or(default_message))
            .create_pr(settings.create_pr);
        if let Some(d) = &settings.description {
            b = b.commit_description(d.clone());
        }
        let result = b.send().await;
        // Even a failed commit may have landed (a lost answer): never trust the cache after.
        self.invalidate_revision(rp.repo_type, &rp.repo_id, &rp.revision);
        Ok(result?)
    }

    /// Writes `data` to `path` (Python's `pipe_file`); the repository must exist.
    pub fn pipe(&self, path: impl Into<String>, data: impl Into<Bytes>) -> PutBuilder {
        PutBuilder {
            fs: self.clone(),
            path: path.into(),
            source: Source::Bytes(data.into()),
            commit: CommitSettings::default(),
        }
    }

    /// Uploads the local file `lpath` to `rpath` (Python's `put_file`).
    pub fn put_file(&self, lpath: impl Into<PathBuf>, rpath: impl Into<String>) -> PutBuilder {
        PutBuilder {
            fs: self.clone(),
            path: rpath.into(),
            source: Source::File(lpath.into()),
            commit: CommitSettings::default(),
        }
    }

    /// Deletes files (Python's `rm`): a file, a glob, or with `.recursive(true)` a folder.
    pub fn rm(&self, path: impl Into<String>) -> RmBuilder {
        RmBuilder {
            fs: self.clone(),
            path: path.into(),
            recursive: false,
            maxdepth: None,
            commit: CommitSettings::default(),
        }
    }

    /// Copies a file (Python's `cp_file`): within a repository a server-side copy (no bytes
    /// are transferred, LFS content is not uploaded again); across repositories a read then
    /// an upload.
    pub fn cp_file(&self, from: impl Into<String>, to: impl Into<String>) -> CopyBuilder {
        CopyBuilder {
            fs: self.clone(),
            from: from.into(),
            to: to.into(),
            delete_source: false,
            commit: CommitSettings::default(),
        }
    }

    /// Moves a file. Within one repository revision this is one commit (copy and delete);
    /// fsspec's `mv` makes two.
    pub fn mv(&self, from: impl Into<String>, to: impl Into<String>) -> CopyBuilder {
        CopyBuilder {
            delete_source: true,
            ..self.cp_file(from, to)
        }
    }

    /// Creating a directory does nothing: git has no empty folders, and fsspec's default
    /// (which Python's `HfFileSystem` keeps) is a no-op too. Folders appear with their files.
    pub async fn mkdir(&self, _path: &str) -> Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Source {
    Bytes(Bytes),
    File(PathBuf),
}

/// Builder of [`HfFileSystem::pipe`] and [`HfFileSystem::put_file`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct PutBuilder {
    fs: HfFileSystem,
    path: String,
    source: Source,
    commit: CommitSettings,
}

impl PutBuilder {
    commit_setters!();

    /// Commits the file.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let rp = self.fs.resolve_path(&self.path, None).await?;
            if rp.path_in_repo.is_empty() {
                return Err(FsError::WrongKind {
                    path: self.path.clone(),
                    message: "is a repository root; give a file path inside it".to_owned(),
                });
            }
            let op = match self.source {
                Source::Bytes(b) => CommitOperation::add_bytes(&rp.path_in_repo, b)?,
                Source::File(p) => {
                    if !p.is_file() {
                        return Err(FsError::Io {
                            context: format!("cannot upload {}", p.display()),
                            source: std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                "not a readable file",
                            ),
                        });
                    }
                    CommitOperation::add_path(&rp.path_in_repo, p)?
                }
            };
            let msg = format!("Upload {} with huggingface_hub", rp.path_in_repo);
            self.fs.commit(&rp, vec![op], &self.commit, msg).await
        })
    }
}
into_future!(PutBuilder => CommitInfo);

/// Builder of [`HfFileSystem::rm`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct RmBuilder {
    fs: HfFileSystem,
    path: String,
    recursive: bool,
    maxdepth: Option<usize>,
    commit: CommitSettings,
}

impl RmBuilder {
    commit_setters!();

    /// Delete folders and everything below them (default false).
    pub fn recursive(mut self, yes: bool) -> Self {
        self.recursive = yes;
        self
    }
    /// With `recursive`, how deep to go.
    pub fn maxdepth(mut self, depth: usize) -> Self {
        self.maxdepth = Some(depth);
        self
    }

    /// Deletes the files in one commit.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let fs = &self.fs;
            let rp = fs.resolve_path(&self.path, None).await?;
            let mut names = Vec::new();
            if has_magic(&self.path) {
                let mut g = fs.glob(self.path.clone());
                if let Some(d) = self.maxdepth {
                    g = g.maxdepth(d);
                }
                for (name, e) in g.send().await? {
                    if e.is_file() {
                        names.push(name);
                    } else if self.recursive {
                        names.extend(fs.find(name).send().await?.into_keys());
                    }
                }
            } else {
                let info = fs.info(&self.path, false).await?;
                if info.is_file() {
                    names.push(info.name);
                } else if self.recursive {
                    let mut f = fs.find(self.path.clone());
                    if let Some(d) = self.maxdepth {
                        f = f.maxdepth(d);
                    }
                    names.extend(f.send().await?.into_keys());
                } else {
                    // Python would make an empty commit here; refusing says what to do.
                    return Err(FsError::WrongKind {
                        path: self.path.clone(),
                        message: "is a directory; pass `.recursive(true)` to delete it".to_owned(),
                    });
                }
            }
            if names.is_empty() {
                return Err(FsError::path_not_found(&self.path));
            }
            let root = rp.root();
            let mut ops = Vec::new();
            for n in &names {
                let in_repo = n
                    .strip_prefix(&root)
                    .map(|s| s.trim_start_matches('/'))
                    .unwrap_or(n);
                ops.push(CommitOperation::delete(in_repo)?);
            }
            let mut msg = format!("Delete {} ", self.path);
            if self.recursive {
                msg.push_str("recursively ");
            }
            if let Some(d) = self.maxdepth {
                msg.push_str(&format!("up to depth {d} "));
            }
            fs.commit(&rp, ops, &self.commit, msg).await
        })
    }
}
into_future!(RmBuilder => CommitInfo);

/// Builder of [`HfFileSystem::cp_file`] and [`HfFileSystem::mv`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct CopyBuilder {
    fs: HfFileSystem,
    from: String,
    to: String,
    delete_source: bool,
    commit: CommitSettings,
}

impl CopyBuilder {
    commit_setters!();

    /// Copies (and for `mv`, deletes the source).
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let fs = &self.fs;
            let src = fs.resolve_path(&self.from, None).await?;
            let dst = fs.resolve_path(&self.to, None).await?;
            let info = fs.info(&self.from, false).await?;
            if !info.is_file() {
                return Err(FsError::WrongKind {
                    path: self.from.clone(),
                    message: "is a directory; copy its files one by one (see `find`)".to_owned(),
                });
            }
            let verb = if self.delete_source { "Move" } else { "Copy" };
            let msg = format!("{verb} {} to {}", self.from, self.to);
            let same_repo = src.repo_type == dst.repo_type && src.repo_id == dst.repo_id;
            if same_repo {
                let copy = CommitOperationCopy::new(&src.path_in_repo, &dst.path_in_repo)?
                    .src_revision(src.revision.clone());
                let mut ops = vec![CommitOperation::Copy(copy)];
                let one_commit = self.delete_source && src.revision == dst.revision;
                if one_commit {
                    ops.push(CommitOperation::delete(&src.path_in_repo)?);
                }
                let out = fs.commit(&dst, ops, &self.commit, msg.clone()).await?;
                if self.delete_source && !one_commit {
                    fs.commit(
                        &src,
                        vec![CommitOperation::delete(&src.path_in_repo)?],
                        &self.commit,
                        msg,
                    )
                    .await?;
                }
                Ok(out)
            } else {
                let data = fs.cat(&self.from).await?;
                let op = CommitOperation::add_bytes(&dst.path_in_repo, data)?;
                let out = fs.commit(&dst, vec![op], &self.commit, msg.clone()).await?;
                if self.delete_source {
                    fs.commit(
                        &src,
                        vec![CommitOperation::delete(&src.path_in_repo)?],
                        &self.commit,
                        msg,
                    )
                    .await?;
                }
                Ok(out)
            }
        })
    }
}
into_future!(CopyBuilder => CommitInfo);

/// A file opened for writing ([`HfFileSystem::open_write`]): an `AsyncWrite` spooled to a
/// local temporary file and committed as one file by [`HfWriter::commit`]. Dropping it without
/// committing uploads nothing (Rust cannot run the upload in `Drop`, where Python's `close`
/// does).
#[derive(Debug)]
pub struct HfWriter {
    fs: HfFileSystem,
    path: String,
    tmp: tempfile::TempPath,
    file: tokio::fs::File,
    commit: CommitSettings,
}

impl HfFileSystem {
    /// Opens `path` for writing; the repository and revision must exist (checked now, as
    /// Python checks on open).
    pub async fn open_write(&self, path: &str) -> Result<HfWriter> {
        let rp = self.resolve_path(path, None).await?;
        if rp.path_in_repo.is_empty() {
            return Err(FsError::WrongKind {
                path: path.to_owned(),
                message: "is a repository root; give a file path inside it".to_owned(),
            });
        }
        let io = |source| FsError::Io {
            context: "cannot create a temporary file to spool the upload".to_owned(),
            source,
        };
        let tmp = tempfile::Builder::new()
            .prefix("hffs-")
            .tempfile()
            .map_err(io)?
            .into_temp_path();
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&tmp)
            .await
            .map_err(io)?;
        Ok(HfWriter {
            fs: self.clone(),
            path: path.to_owned(),
            tmp,
            file,
            commit: CommitSettings::default(),
        })
    }
}

impl HfWriter {
    commit_setters!();

    /// Uploads what was written as one commit.
    pub async fn commit(mut self) -> Result<CommitInfo> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await.map_err(|source| FsError::Io {
            context: "cannot flush the spooled upload".to_owned(),
            source,
        })?;
        drop(self.file);
        let mut b = self.fs.put_file(self.tmp.to_path_buf(), self.path);
        b.commit = self.commit;
        let out = b.send().await;
        // The temporary file is removed when `self.tmp` drops, after the upload.
        drop(self.tmp);
        out
    }
}

impl tokio::io::AsyncWrite for HfWriter {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.file).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.file).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.file).poll_shutdown(cx)
    }
}
