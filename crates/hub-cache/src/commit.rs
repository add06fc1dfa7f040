//! The last step: move a verified `.incomplete` into `blobs/` and point the snapshot at it.
//!
//! The blob appears by an atomic rename only after verification, and the snapshot pointer is
//! created as a temporary symlink renamed over the final name, so concurrent downloaders (this
//! crate or Python) never see a partial blob or a half-made link.

use std::path::Path;

use crate::error::{Error, Result};
use crate::layout::blob_link_target;

/// Where a verified `.incomplete` file goes.
#[derive(Debug, Clone)]
pub(crate) enum Finish {
    /// Cache mode: rename to `blob`, then link `pointer` (for repository path `repo_path`).
    Cache {
        blob: std::path::PathBuf,
        pointer: std::path::PathBuf,
        repo_path: String,
        etag: String,
    },
    /// `local_dir` mode: rename to `dest`.
    Move { dest: std::path::PathBuf },
}

/// [`promote`] and [`link_pointer`] in one blocking call (used off the executor, after a
/// transfer, so that committing a file costs one hand-off).
pub(crate) fn finish_blocking(incomplete: &Path, finish: &Finish) -> std::io::Result<()> {
    let (dest, link) = match finish {
        Finish::Cache {
            blob,
            pointer,
            repo_path,
            etag,
        } => (blob, Some((pointer, repo_path, etag))),
        Finish::Move { dest } => (dest, None),
    };
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(incomplete, dest)?;
    if let Some((pointer, repo_path, etag)) = link {
        let parent = pointer.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let name = pointer
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file");
        let target = blob_link_target(repo_path, etag);
        // Usually nothing is there yet: create the link in place. Creating a symlink is atomic,
        // and it saves a rename per file, which in a snapshot of many small files contends for
        // the directory's lock with every other worker. Only an existing entry (or a filesystem
        // without symlinks) takes the temporary-name-and-rename path below.
        if symlink_blocking(&target, pointer).is_ok() {
            return Ok(());
        }
        let tmp = parent.join(format!(".{name}.{:016x}.tmplink", rand::random::<u64>()));
        match symlink_blocking(&target, &tmp) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::Unsupported
                ) =>
            {
                std::fs::copy(dest, &tmp)?;
            }
            Err(e) => return Err(e),
        }
        if let Err(e) = std::fs::rename(&tmp, pointer) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink_blocking(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_blocking(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

#[cfg(not(any(unix, windows)))]
fn symlink_blocking(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Creates `pointer` (`snapshots/<commit>/<path>`) as a relative symlink to `blobs/<etag>`,
/// replacing whatever was there. Where symlinks are refused, the blob is copied instead (the
/// layout Python uses on such systems).
pub(crate) async fn link_pointer(
    pointer: &Path,
    repo_path: &str,
    blob: &Path,
    etag: &str,
) -> Result<()> {
    let parent = pointer.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let name = pointer
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let tmp = parent.join(format!(".{name}.{:016x}.tmplink", rand::random::<u64>()));
    let target = blob_link_target(repo_path, etag);
    match make_symlink(&target, &tmp).await {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::Unsupported
            ) =>
        {
            tokio::fs::copy(blob, &tmp).await.map_err(|e| {
                Error::io(
                    format!("copying {} (symlinks unsupported)", blob.display()),
                    e,
                )
            })?;
        }
        Err(e) => return Err(Error::io(format!("creating symlink {}", tmp.display()), e)),
    }
    if let Err(e) = tokio::fs::rename(&tmp, pointer).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(Error::io(format!("creating {}", pointer.display()), e));
    }
    Ok(())
}

#[cfg(unix)]
async fn make_symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    tokio::fs::symlink(target, link).await
}

#[cfg(windows)]
async fn make_symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    tokio::fs::symlink_file(target, link).await
}

#[cfg(not(any(unix, windows)))]
async fn make_symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pointer_links_relatively_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("models--a--b");
        let blob = repo.join("blobs/e1");
        std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
        std::fs::write(&blob, b"data").unwrap();
        let pointer = repo.join("snapshots/c1/sub/f.bin");
        link_pointer(&pointer, "sub/f.bin", &blob, "e1")
            .await
            .unwrap();
        assert_eq!(std::fs::read(&pointer).unwrap(), b"data");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(&pointer).unwrap(),
            Path::new("../../../blobs/e1")
        );
        // Linking again (a concurrent downloader) replaces atomically.
        link_pointer(&pointer, "sub/f.bin", &blob, "e1")
            .await
            .unwrap();
        let left: Vec<_> = std::fs::read_dir(pointer.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1, "no temporary links remain");
    }
}
