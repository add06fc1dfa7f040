//! `refs/<revision>` files: the commit a branch, tag or PR ref last resolved to.
//!
//! The content is the 40-hex commit with no trailing newline (Python writes and reads it so).
//! Writes go to a temporary sibling and are renamed into place, so a concurrent reader never
//! sees a half-written ref.

use std::path::Path;

use crate::error::{Error, Result};
use crate::layout::{RepoCache, validate_revision_path};

/// Reads `refs/<revision>`; `None` when absent or unreadable.
pub(crate) async fn read_ref(repo: &RepoCache, revision: &str) -> Option<String> {
    validate_revision_path(revision).ok()?;
    let content = tokio::fs::read_to_string(repo.ref_path(revision))
        .await
        .ok()?;
    Some(content)
}

/// Writes `refs/<revision>` = `commit` unless it already says so. Does nothing when `revision`
/// is the commit itself.
pub(crate) async fn write_ref(repo: &RepoCache, revision: &str, commit: &str) -> Result<()> {
    if revision == commit {
        return Ok(());
    }
    validate_revision_path(revision)?;
    let path = repo.ref_path(revision);
    if tokio::fs::read_to_string(&path).await.ok().as_deref() == Some(commit) {
        return Ok(());
    }
    write_atomic(&path, commit.as_bytes()).await
}

/// Writes `bytes` to `path` through a unique temporary sibling and a rename.
pub(crate) async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("ref");
    let tmp = parent.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::io(format!("renaming into {}", path.display()), e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hub_core::{RepoId, RepoType};

    #[tokio::test]
    async fn refs_roundtrip_nested_without_newline() {
        let dir = tempfile::tempdir().unwrap();
        let repo = RepoCache::new(dir.path(), &RepoId::new("a/b").unwrap(), RepoType::Model);
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(read_ref(&repo, "main").await, None);
        write_ref(&repo, "refs/pr/1", commit).await.unwrap();
        let raw = std::fs::read(dir.path().join("models--a--b/refs/refs/pr/1")).unwrap();
        assert_eq!(raw, commit.as_bytes());
        assert_eq!(read_ref(&repo, "refs/pr/1").await.as_deref(), Some(commit));
        write_ref(&repo, commit, commit).await.unwrap();
        assert!(!dir.path().join("models--a--b/refs").join(commit).exists());
        assert!(write_ref(&repo, "../evil", commit).await.is_err());
        // No temporary files remain.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("models--a--b/refs/refs/pr"))
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1);
    }
}
