//! The cache layout shared with the Python library (protocol §12.1), as pure path functions.
//!
//! ```text
//! <cache>/.locks/<repo_folder>/<etag>.lock
//! <cache>/<repo_folder>/refs/<revision>               40-hex commit, no newline
//! <cache>/<repo_folder>/blobs/<etag>[.incomplete]
//! <cache>/<repo_folder>/snapshots/<commit>/<path>     -> ../../blobs/<etag> (+ ../ per subdir)
//! <cache>/<repo_folder>/.no_exist/<commit>/<path>     empty marker file
//! ```
//!
//! Every repository path and revision that becomes a file name goes through [`validate_repo_path`]
//! or [`validate_revision_path`] first, so nothing from the server can escape the cache.

use std::path::{Path, PathBuf};

use hub_core::{RepoId, RepoType};

use crate::error::{Error, Result};

/// Paths of one repository inside a cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoCache {
    cache_dir: PathBuf,
    folder: String,
}

impl RepoCache {
    /// The cache of `repo_id` (of `repo_type`) under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>, repo_id: &RepoId, repo_type: RepoType) -> Self {
        RepoCache {
            cache_dir: cache_dir.into(),
            folder: repo_id.cache_folder_name(repo_type),
        }
    }

    /// The cache root.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// `models--ns--name`.
    pub fn folder_name(&self) -> &str {
        &self.folder
    }

    /// `<cache>/<repo_folder>`.
    pub fn repo_dir(&self) -> PathBuf {
        self.cache_dir.join(&self.folder)
    }

    /// `<repo>/blobs/<etag>`.
    pub fn blob_path(&self, etag: &str) -> PathBuf {
        self.repo_dir().join("blobs").join(etag)
    }

    /// `<repo>/blobs/<etag>.incomplete`: the resumable partial download, shared with Python.
    pub fn incomplete_path(&self, etag: &str) -> PathBuf {
        self.repo_dir()
            .join("blobs")
            .join(format!("{etag}.incomplete"))
    }

    /// `<repo>/snapshots/<commit>`.
    pub fn snapshot_dir(&self, commit: &str) -> PathBuf {
        self.repo_dir().join("snapshots").join(commit)
    }

    /// `<repo>/snapshots/<commit>/<path>` (path already validated).
    pub fn pointer_path(&self, commit: &str, path: &str) -> PathBuf {
        join_repo_path(&self.snapshot_dir(commit), path)
    }

    /// `<repo>/refs/<revision>` (nested directories for `refs/pr/1`).
    pub fn ref_path(&self, revision: &str) -> PathBuf {
        join_repo_path(&self.repo_dir().join("refs"), revision)
    }

    /// `<repo>/.no_exist/<commit>/<path>`.
    pub fn no_exist_path(&self, commit: &str, path: &str) -> PathBuf {
        join_repo_path(&self.repo_dir().join(".no_exist").join(commit), path)
    }

    /// `<cache>/.locks/<repo_folder>/<etag>.lock`.
    pub fn lock_path(&self, etag: &str) -> PathBuf {
        self.cache_dir
            .join(".locks")
            .join(&self.folder)
            .join(format!("{etag}.lock"))
    }
}

/// Joins a `/`-separated repository path below `base`, one component at a time.
pub fn join_repo_path(base: &Path, path: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for part in path.split('/') {
        out.push(part);
    }
    out
}

/// The relative symlink target from `snapshots/<commit>/<path>` to `blobs/<etag>`:
/// `../../blobs/<etag>` plus one `../` per directory level of `path`.
///
/// ```
/// assert_eq!(hub_cache::layout::blob_link_target("a/b/c.bin", "e1").to_str(), Some("../../../../blobs/e1"));
/// ```
pub fn blob_link_target(path: &str, etag: &str) -> PathBuf {
    let depth = path.split('/').count() - 1;
    let mut target = PathBuf::new();
    for _ in 0..depth + 2 {
        target.push("..");
    }
    target.push("blobs");
    target.push(etag);
    target
}

/// Checks a repository path (from the caller or the server) before it becomes a file name:
/// no absolute paths, no `..` or `.` components, no empty components, no backslashes or NUL.
pub fn validate_repo_path(path: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::UnsafePath {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return bad("empty path");
    }
    if path.starts_with('/') {
        return bad("absolute path");
    }
    if path.contains('\\') {
        return bad("backslash in path");
    }
    if path.contains('\0') {
        return bad("NUL byte in path");
    }
    for part in path.split('/') {
        match part {
            "" => return bad("empty path component"),
            "." | ".." => return bad("relative path component"),
            _ => {}
        }
        if cfg!(windows) && part.contains(':') {
            return bad("drive or stream separator in path");
        }
    }
    Ok(())
}

/// Checks a revision before it names a file under `refs/` (`refs/pr/1` is fine, `../x` is not).
pub fn validate_revision_path(revision: &str) -> Result<()> {
    validate_repo_path(revision)
}

/// A cache folder name parsed back: `(repo_type, repo_id)`, as `scan_cache_dir` does.
pub fn parse_folder_name(name: &str) -> Option<(String, String)> {
    let (ty, id) = name.split_once("--")?;
    // Python drops the last character whatever it is ("models" -> "model").
    let mut ty = ty.to_owned();
    ty.pop();
    Some((ty, id.replace("--", "/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let id = RepoId::new("ns/name").unwrap();
        let c = RepoCache::new("/c", &id, RepoType::Dataset);
        assert_eq!(c.repo_dir(), PathBuf::from("/c/datasets--ns--name"));
        assert_eq!(
            c.blob_path("e"),
            PathBuf::from("/c/datasets--ns--name/blobs/e")
        );
        assert_eq!(
            c.incomplete_path("e"),
            PathBuf::from("/c/datasets--ns--name/blobs/e.incomplete")
        );
        assert_eq!(
            c.ref_path("refs/pr/1"),
            PathBuf::from("/c/datasets--ns--name/refs/refs/pr/1")
        );
        assert_eq!(
            c.pointer_path("abc", "d/f.txt"),
            PathBuf::from("/c/datasets--ns--name/snapshots/abc/d/f.txt")
        );
        assert_eq!(
            c.no_exist_path("abc", "f"),
            PathBuf::from("/c/datasets--ns--name/.no_exist/abc/f")
        );
        assert_eq!(
            c.lock_path("e"),
            PathBuf::from("/c/.locks/datasets--ns--name/e.lock")
        );
        let m = RepoCache::new("/c", &RepoId::new("gpt2").unwrap(), RepoType::Model);
        assert_eq!(m.folder_name(), "models--gpt2");
    }

    #[test]
    fn link_targets() {
        assert_eq!(blob_link_target("f", "e"), PathBuf::from("../../blobs/e"));
        assert_eq!(
            blob_link_target("a/f", "e"),
            PathBuf::from("../../../blobs/e")
        );
        // The target resolves to the blob from the pointer's directory.
        let pointer_dir = Path::new("/c/r/snapshots/x/a/b");
        let resolved = pointer_dir.join(blob_link_target("a/b/f", "e"));
        let norm: PathBuf = resolved.components().fold(PathBuf::new(), |mut acc, c| {
            if c == std::path::Component::ParentDir {
                acc.pop();
            } else {
                acc.push(c);
            }
            acc
        });
        assert_eq!(norm, PathBuf::from("/c/r/blobs/e"));
    }

    #[test]
    fn unsafe_paths_refused() {
        for p in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a\\b",
            "..\\x",
            "a\0b",
            "a//b",
            "./a",
            "a/.",
            "a/",
        ] {
            assert!(
                matches!(validate_repo_path(p), Err(Error::UnsafePath { .. })),
                "{p:?}"
            );
        }
        for p in [
            "a",
            "a/b/c.txt",
            "..a",
            "a..b/c",
            ".gitattributes",
            "dir/.hidden",
            "é/ü b.bin",
        ] {
            assert!(validate_repo_path(p).is_ok(), "{p:?}");
        }
        assert!(validate_revision_path("refs/pr/1").is_ok());
        assert!(validate_revision_path("../../etc").is_err());
    }

    #[test]
    fn folder_names() {
        assert_eq!(
            parse_folder_name("models--ns--n"),
            Some(("model".into(), "ns/n".into()))
        );
        assert_eq!(
            parse_folder_name("datasets--glue"),
            Some(("dataset".into(), "glue".into()))
        );
        assert_eq!(parse_folder_name("nodash"), None);
    }
}
