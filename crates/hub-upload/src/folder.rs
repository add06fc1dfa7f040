//! High-level wrappers around one commit: `upload_file`, `upload_folder`, `delete_file`,
//! `delete_folder`, `delete_files`.
//!
//! Folder uploads walk the folder, filter relative paths with Python's `fnmatch` semantics
//! (`*` crosses `/`; allow and ignore patterns both apply), always skip `.git/` and
//! `.cache/huggingface/` at any depth, and prefix `path_in_repo` after filtering. The root
//! `.gitignore` is applied by the server: when the commit adds a root `.gitignore` its content is
//! sent with the preupload request, otherwise the server uses the one already in the repository,
//! and files it ignores are left out of the commit.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::future::BoxFuture;
use hub_core::fnmatch::PatternFilter;
use hub_core::{Error, HubClient, RepoId, Result};
use tokio::io::AsyncRead;

use crate::commit::{CommitInfo, CommitSettings, commit_setters, create_commit_impl};
use crate::ops::{CommitOperation, CommitOperationAdd, CommitOperationDelete};
use crate::queue::{BackgroundQueue, JobHandle};
use crate::remote::{self, RepoCtx};

/// Patterns always ignored by folder uploads (Python's `DEFAULT_IGNORE_PATTERNS`).
pub const DEFAULT_IGNORE_PATTERNS: [&str; 8] = [
    ".git",
    ".git/*",
    "*/.git",
    "**/.git/**",
    ".cache/huggingface",
    ".cache/huggingface/*",
    "*/.cache/huggingface",
    "**/.cache/huggingface/**",
];

/// Generates `run_as_future` for builders whose `send()` yields a `'static` commit future.
macro_rules! run_as_future {
    () => {
        /// Queues the call on `queue` (Python's `run_as_future=True`): jobs of one queue run
        /// one at a time in submission order; the handle resolves to the result.
        pub fn run_as_future(self, queue: &BackgroundQueue) -> JobHandle<CommitInfo> {
            queue.submit(self.send())
        }
    };
}

/// The content of [`crate::UploadExt::upload_file`]: a path, bytes, or an async reader with
/// its size. Paths and bytes convert with `.into()`.
pub enum FileSource {
    /// A file on disk.
    Path(PathBuf),
    /// In-memory content.
    Bytes(Bytes),
    /// A one-shot reader of exactly `size` bytes.
    Reader(Box<dyn AsyncRead + Send + Unpin>, u64),
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileSource::Path(p) => f.debug_tuple("Path").field(p).finish(),
            FileSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            FileSource::Reader(_, n) => write!(f, "Reader({n} bytes)"),
        }
    }
}

impl FileSource {
    /// A reader of exactly `size` bytes.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, size: u64) -> Self {
        FileSource::Reader(Box::new(reader), size)
    }
}

impl From<&str> for FileSource {
    fn from(p: &str) -> Self {
        FileSource::Path(p.into())
    }
}
impl From<String> for FileSource {
    fn from(p: String) -> Self {
        FileSource::Path(p.into())
    }
}
impl From<PathBuf> for FileSource {
    fn from(p: PathBuf) -> Self {
        FileSource::Path(p)
    }
}
impl From<&Path> for FileSource {
    fn from(p: &Path) -> Self {
        FileSource::Path(p.to_path_buf())
    }
}
impl From<Bytes> for FileSource {
    fn from(b: Bytes) -> Self {
        FileSource::Bytes(b)
    }
}
impl From<Vec<u8>> for FileSource {
    fn from(b: Vec<u8>) -> Self {
        FileSource::Bytes(b.into())
    }
}
impl From<&'static [u8]> for FileSource {
    fn from(b: &'static [u8]) -> Self {
        FileSource::Bytes(Bytes::from_static(b))
    }
}

fn ctx_of(client: HubClient, repo_id: RepoId, settings: &CommitSettings) -> RepoCtx {
    RepoCtx {
        client,
        repo_id,
        repo_type: settings.repo_type,
    }
}

/// Builder of [`crate::UploadExt::upload_file`].
#[must_use = "call .send() to upload"]
#[derive(Debug)]
pub struct UploadFile {
    client: HubClient,
    repo_id: RepoId,
    source: FileSource,
    path_in_repo: String,
    settings: CommitSettings,
}

impl UploadFile {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, source: FileSource, path: &str) -> Self {
        UploadFile {
            client,
            repo_id,
            source,
            path_in_repo: path.to_owned(),
            settings: CommitSettings::default(),
        }
    }

    commit_setters!();
    run_as_future!();

    /// Uploads the file in one commit.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let op = match self.source {
                FileSource::Path(p) => CommitOperationAdd::from_path(&self.path_in_repo, p)?,
                FileSource::Bytes(b) => CommitOperationAdd::from_bytes(&self.path_in_repo, b)?,
                FileSource::Reader(r, n) => {
                    CommitOperationAdd::from_reader(&self.path_in_repo, r, n)?
                }
            };
            if let Some(p) = op.local_path()
                && !tokio::fs::metadata(p)
                    .await
                    .map(|m| m.is_file())
                    .unwrap_or(false)
            {
                return Err(Error::invalid_argument(format!(
                    "Provided path: '{}' is not a file",
                    p.display()
                )));
            }
            let message =
                self.settings.commit_message.clone().unwrap_or_else(|| {
                    format!("Upload {} with huggingface_hub", op.path_in_repo())
                });
            let ctx = ctx_of(self.client, self.repo_id, &self.settings);
            create_commit_impl(&ctx, vec![op.into()], &message, &self.settings).await
        })
    }
}

/// Builder of [`crate::UploadExt::upload_folder`].
#[must_use = "call .send() to upload"]
#[derive(Debug)]
pub struct UploadFolder {
    client: HubClient,
    repo_id: RepoId,
    folder: PathBuf,
    path_in_repo: Option<String>,
    allow: Option<Vec<String>>,
    ignore: Vec<String>,
    delete: Option<Vec<String>>,
    settings: CommitSettings,
}

impl UploadFolder {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, folder: PathBuf) -> Self {
        UploadFolder {
            client,
            repo_id,
            folder,
            path_in_repo: None,
            allow: None,
            ignore: Vec::new(),
            delete: None,
            settings: CommitSettings::default(),
        }
    }

    commit_setters!();
    run_as_future!();

    /// Folder in the repository to upload into (default: the root).
    pub fn path_in_repo(mut self, path: impl Into<String>) -> Self {
        self.path_in_repo = Some(path.into());
        self
    }

    /// Upload only local files matching at least one pattern (relative paths, fnmatch).
    pub fn allow_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// Skip local files matching any pattern.
    pub fn ignore_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ignore = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Delete remote files under `path_in_repo` matching any pattern (relative to
    /// `path_in_repo`) in the same commit; `.gitattributes` is never deleted, and files that
    /// are uploaded again are simply overwritten.
    pub fn delete_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.delete = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// Uploads the folder in one commit.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let prefix = folder_prefix(self.path_in_repo.as_deref());
            let mut ignore = self.ignore.clone();
            ignore.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|s| s.to_string()));
            let filter = PatternFilter::new(self.allow.clone(), ignore);
            let files = list_folder(&self.folder, filter).await?;
            let ctx = ctx_of(self.client, self.repo_id, &self.settings);
            let mut deletes: Vec<CommitOperation> = Vec::new();
            if let Some(patterns) = &self.delete {
                // A PR starts from `main`, so that is what the deletions are computed against.
                let rev = if self.settings.create_pr {
                    "main"
                } else {
                    self.settings.revision()
                };
                let remote_files = remote::list_files(&ctx, rev).await?;
                let added: std::collections::HashSet<String> = files
                    .iter()
                    .map(|(rel, _)| format!("{prefix}{rel}"))
                    .collect();
                for path in deletions_for(&remote_files, self.path_in_repo.as_deref(), patterns) {
                    if !added.contains(&path) {
                        deletes.push(CommitOperationDelete::new(&path)?.into());
                    }
                }
            }
            let mut ops = deletes;
            for (rel, abs) in files {
                ops.push(CommitOperation::add_path(&format!("{prefix}{rel}"), abs)?);
            }
            let message = self
                .settings
                .commit_message
                .clone()
                .unwrap_or_else(|| "Upload folder using huggingface_hub".to_owned());
            create_commit_impl(&ctx, ops, &message, &self.settings).await
        })
    }
}

/// `path_in_repo` as a prefix: `"a/b/"`, or empty for the root.
pub(crate) fn folder_prefix(path_in_repo: Option<&str>) -> String {
    match path_in_repo.map(|p| p.trim_matches('/')) {
        Some(p) if !p.is_empty() && p != "." => format!("{p}/"),
        _ => String::new(),
    }
}

/// Remote files to delete: those under `path_in_repo` whose path relative to it matches one of
/// `patterns`, except `.gitattributes`.
pub(crate) fn deletions_for(
    remote_files: &[String],
    path_in_repo: Option<&str>,
    patterns: &[String],
) -> Vec<String> {
    let prefix = folder_prefix(path_in_repo);
    let filter = PatternFilter::new(Some(patterns.iter().map(String::as_str)), [""; 0]);
    remote_files
        .iter()
        .filter_map(|f| f.strip_prefix(prefix.as_str()).map(|rel| (f, rel)))
        .filter(|(f, rel)| filter.is_match(rel) && f.as_str() != ".gitattributes")
        .map(|(f, _)| f.clone())
        .collect()
}

/// The files of `folder` (sorted relative `/` paths and absolute paths) that pass `filter`.
/// `.git` and `.cache/huggingface` directories are not even walked.
pub(crate) async fn list_folder(
    folder: &Path,
    filter: PatternFilter,
) -> Result<Vec<(String, PathBuf)>> {
    let folder = folder.to_path_buf();
    tokio::task::spawn_blocking(move || list_folder_blocking(&folder, &filter))
        .await
        .map_err(|e| Error::io("listing folder", std::io::Error::other(e)))?
}

pub(crate) fn list_folder_blocking(
    folder: &Path,
    filter: &PatternFilter,
) -> Result<Vec<(String, PathBuf)>> {
    if !folder.is_dir() {
        return Err(Error::invalid_argument(format!(
            "Provided path: '{}' is not a directory",
            folder.display()
        )));
    }
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(folder)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name();
            let is_dir = e.file_type().is_dir();
            let under_cache = name == "huggingface"
                && e.path().parent().and_then(|p| p.file_name()) == Some(".cache".as_ref());
            !(is_dir && (name == ".git" || under_cache))
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            Error::io(
                format!("listing {path}"),
                e.into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop")),
            )
        })?;
        // Symlinks to files count as files, as with Python's `Path.is_file()`.
        if !entry.path().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(folder)
            .map_err(|_| Error::invalid_argument("walked outside the folder"))?;
        let rel = rel
            .to_str()
            .ok_or_else(|| {
                Error::invalid_argument(format!("file name is not UTF-8: {}", rel.display()))
            })?
            .replace(std::path::MAIN_SEPARATOR, "/");
        if filter.is_match(&rel) {
            out.push((rel, entry.path().to_path_buf()));
        }
    }
    out.sort();
    Ok(out)
}

/// Builder of [`crate::UploadExt::delete_file`].
#[must_use = "call .send() to delete"]
#[derive(Debug)]
pub struct DeleteFile {
    client: HubClient,
    repo_id: RepoId,
    path_in_repo: String,
    settings: CommitSettings,
}

impl DeleteFile {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, path: &str) -> Self {
        DeleteFile {
            client,
            repo_id,
            path_in_repo: path.to_owned(),
            settings: CommitSettings::default(),
        }
    }

    commit_setters!();
    run_as_future!();

    /// Deletes the file in one commit (a missing file is `Error::EntryNotFound`).
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let op = CommitOperationDelete {
                path_in_repo: crate::ops::validate_path_in_repo(&self.path_in_repo)?,
                is_folder: false,
            };
            let message =
                self.settings.commit_message.clone().unwrap_or_else(|| {
                    format!("Delete {} with huggingface_hub", self.path_in_repo)
                });
            let ctx = ctx_of(self.client, self.repo_id, &self.settings);
            create_commit_impl(&ctx, vec![op.into()], &message, &self.settings).await
        })
    }
}

/// Builder of [`crate::UploadExt::delete_folder`].
#[must_use = "call .send() to delete"]
#[derive(Debug)]
pub struct DeleteFolder {
    client: HubClient,
    repo_id: RepoId,
    path_in_repo: String,
    settings: CommitSettings,
}

impl DeleteFolder {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, path: &str) -> Self {
        DeleteFolder {
            client,
            repo_id,
            path_in_repo: path.to_owned(),
            settings: CommitSettings::default(),
        }
    }

    commit_setters!();
    run_as_future!();

    /// Deletes the folder in one commit.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let op = CommitOperationDelete::folder(&self.path_in_repo)?;
            let message = self.settings.commit_message.clone().unwrap_or_else(|| {
                format!("Delete folder {} with huggingface_hub", self.path_in_repo)
            });
            let ctx = ctx_of(self.client, self.repo_id, &self.settings);
            create_commit_impl(&ctx, vec![op.into()], &message, &self.settings).await
        })
    }
}

/// Builder of [`crate::UploadExt::delete_files`].
#[must_use = "call .send() to delete"]
#[derive(Debug)]
pub struct DeleteFiles {
    client: HubClient,
    repo_id: RepoId,
    patterns: Vec<String>,
    settings: CommitSettings,
}

impl DeleteFiles {
    pub(crate) fn new(client: HubClient, repo_id: RepoId, patterns: Vec<String>) -> Self {
        DeleteFiles {
            client,
            repo_id,
            patterns,
            settings: CommitSettings::default(),
        }
    }

    commit_setters!();
    run_as_future!();

    /// Lists the repository and deletes every matching file in one commit (no commit when
    /// nothing matches).
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            let ctx = ctx_of(self.client, self.repo_id, &self.settings);
            let files = remote::list_files(&ctx, self.settings.revision()).await?;
            let ops = deletions_for(&files, None, &self.patterns)
                .iter()
                .map(|p| CommitOperation::delete(p))
                .collect::<Result<Vec<_>>>()?;
            let message = self.settings.commit_message.clone().unwrap_or_else(|| {
                format!(
                    "Delete files {} with huggingface_hub",
                    self.patterns.join(" ")
                )
            });
            create_commit_impl(&ctx, ops, &message, &self.settings).await
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, rel.as_bytes()).unwrap();
    }

    fn default_filter(allow: Option<Vec<&str>>, ignore: Vec<&str>) -> PatternFilter {
        let mut ig: Vec<String> = ignore.into_iter().map(String::from).collect();
        ig.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|s| s.to_string()));
        PatternFilter::new(allow, ig)
    }

    #[test]
    fn walk_filters_like_python() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "a.txt",
            "b.bin",
            "logs/x.txt",
            "sub/logs/y.txt",
            ".git/config",
            "sub/.git/HEAD",
            ".cache/huggingface/upload/a.txt.metadata",
            "sub/.cache/huggingface/x",
            ".cache/other/kept.txt",
            ".gitignore",
        ] {
            touch(root, f);
        }
        let all: Vec<String> = list_folder_blocking(root, &default_filter(None, vec![]))
            .unwrap()
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(
            all,
            [
                ".cache/other/kept.txt",
                ".gitignore",
                "a.txt",
                "b.bin",
                "logs/x.txt",
                "sub/logs/y.txt"
            ]
        );
        // `*` crosses `/` (fnmatch), so `*.txt` also matches nested files.
        let txt: Vec<String> = list_folder_blocking(
            root,
            &default_filter(Some(vec!["*.txt"]), vec!["**/logs/*.txt"]),
        )
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
        assert_eq!(txt, [".cache/other/kept.txt", "a.txt", "logs/x.txt"]);
        assert!(list_folder_blocking(&root.join("a.txt"), &default_filter(None, vec![])).is_err());
    }

    #[test]
    fn deletions_relative_to_path_in_repo() {
        let remote: Vec<String> = [
            ".gitattributes",
            "a.txt",
            "exp/logs/1.txt",
            "exp/logs/2.bin",
            "exp/x.txt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let pats = vec!["*.txt".to_string()];
        assert_eq!(
            deletions_for(&remote, Some("exp/logs/"), &pats),
            ["exp/logs/1.txt"]
        );
        assert_eq!(
            deletions_for(&remote, Some("exp"), &pats),
            ["exp/logs/1.txt", "exp/x.txt"]
        );
        let all = vec!["*".to_string()];
        assert_eq!(
            deletions_for(&remote, None, &all),
            ["a.txt", "exp/logs/1.txt", "exp/logs/2.bin", "exp/x.txt"],
            ".gitattributes is never deleted"
        );
        // Folder patterns ending in `/` select everything below.
        assert_eq!(
            deletions_for(&remote, None, &["exp/logs/".to_string()]),
            ["exp/logs/1.txt", "exp/logs/2.bin"]
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(folder_prefix(None), "");
        assert_eq!(folder_prefix(Some(".")), "");
        assert_eq!(folder_prefix(Some("/")), "");
        assert_eq!(folder_prefix(Some("/a/b/")), "a/b/");
    }
}
