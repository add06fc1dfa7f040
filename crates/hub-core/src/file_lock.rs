//! Inter-process file locks compatible with Python's `filelock` (an exclusive `flock` on POSIX).
//!
//! The lock is taken with `std::fs::File::try_lock` inside `spawn_blocking`, polled with an async
//! sleep in between, so no executor thread ever blocks and there is no fixed timeout: a process
//! waiting behind a 50 GB download simply keeps waiting, as Python's does. The lock file is left
//! behind on release, as Python leaves it.
//!
//! The cache (blob locks, `local_dir` locks) and the uploader (`upload_large_folder` metadata
//! locks) both use it; errors are plain I/O errors whose message names the lock file.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn context(what: &str, path: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("{what} {}: {e}", path.display()))
}

/// A held lock; released when dropped (closing the file releases the `flock`).
#[derive(Debug)]
pub struct FileLock {
    _file: Arc<File>,
    path: PathBuf,
}

impl FileLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocks the calling thread until the lock at `path` is held. Parent directories are created.
    ///
    /// For code that already runs off the executor (inside `spawn_blocking`, or without a
    /// runtime), e.g. the per-file metadata of `upload_large_folder`, where Python holds the
    /// same `flock` only around a small read or write. Async code uses [`Self::acquire`], which
    /// never blocks an executor thread. Errors are plain I/O errors; the caller adds context.
    pub fn acquire_blocking(path: impl Into<PathBuf>) -> std::io::Result<FileLock> {
        let path = path.into();
        let file = open_lock_file(&path)?;
        file.lock()?;
        Ok(FileLock {
            _file: Arc::new(file),
            path,
        })
    }

    /// Waits (asynchronously) until the lock at `path` is held. Parent directories are created.
    pub async fn acquire(path: impl Into<PathBuf>) -> std::io::Result<FileLock> {
        Self::acquire_and_check(path, Path::new(""))
            .await
            .map(|(l, _)| l)
    }

    /// Takes the lock at `path` if it is free right now, from a thread that may block (inside
    /// `spawn_blocking`), and then tells whether `check` exists: `Ok(None)` when another holder
    /// has it. Lets a caller that is already off the executor fold the lock into its own
    /// blocking call, and wait with [`Self::acquire_and_check`] only when the lock is taken.
    pub fn try_acquire_and_check_blocking(
        path: impl Into<PathBuf>,
        check: &Path,
    ) -> std::io::Result<Option<(FileLock, bool)>> {
        let path = path.into();
        let file = open_lock_file(&path)
            .map_err(|e| std::io::Error::new(e.kind(), context("opening lock file", &path, &e)))?;
        match file.try_lock() {
            Ok(()) => {
                let exists = !check.as_os_str().is_empty() && check.exists();
                Ok(Some((
                    FileLock {
                        _file: Arc::new(file),
                        path,
                    },
                    exists,
                )))
            }
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(std::io::Error::new(e.kind(), context("locking", &path, &e)))
            }
        }
    }

    /// [`Self::acquire`], then tells whether `check` exists, in the same blocking call when the
    /// lock is free at once (the common case: one hand-off instead of three).
    pub async fn acquire_and_check(
        path: impl Into<PathBuf>,
        check: &Path,
    ) -> std::io::Result<(FileLock, bool)> {
        let path = path.into();
        let open_path = path.clone();
        let check = check.to_path_buf();
        let first_check = check.clone();
        let (file, locked) =
            tokio::task::spawn_blocking(move || -> std::io::Result<(File, Option<bool>)> {
                let file = open_lock_file(&open_path)?;
                match file.try_lock() {
                    Ok(()) => {
                        let exists = !first_check.as_os_str().is_empty() && first_check.exists();
                        Ok((file, Some(exists)))
                    }
                    Err(TryLockError::WouldBlock) => Ok((file, None)),
                    Err(TryLockError::Error(e)) => Err(e),
                }
            })
            .await
            .map_err(|e| context("lock task for", &path, e))?
            .map_err(|e| std::io::Error::new(e.kind(), context("opening lock file", &path, &e)))?;
        let file = Arc::new(file);
        if let Some(exists) = locked {
            return Ok((FileLock { _file: file, path }, exists));
        }
        let mut delay = Duration::from_millis(5);
        loop {
            let f = file.clone();
            let attempt = tokio::task::spawn_blocking(move || f.try_lock())
                .await
                .map_err(|e| context("lock task for", &path, e))?;
            match attempt {
                Ok(()) => {
                    let exists = !check.as_os_str().is_empty()
                        && tokio::fs::try_exists(&check).await.unwrap_or(false);
                    return Ok((FileLock { _file: file, path }, exists));
                }
                Err(TryLockError::WouldBlock) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(std::io::Error::new(e.kind(), context("locking", &path, &e)));
                }
            }
        }
    }
}

/// Opens (creating it and its parent directories if needed) the lock file at `path`, never
/// truncating it.
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    };
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            open()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn try_acquire_blocking_reports_a_held_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.lock");
        let check = dir.path().join("blob");
        let (held, exists) = FileLock::try_acquire_and_check_blocking(&p, &check)
            .unwrap()
            .unwrap();
        assert!(!exists);
        assert!(
            FileLock::try_acquire_and_check_blocking(&p, &check)
                .unwrap()
                .is_none()
        );
        drop(held);
        std::fs::write(&check, b"x").unwrap();
        let (_again, exists) = FileLock::try_acquire_and_check_blocking(&p, &check)
            .unwrap()
            .unwrap();
        assert!(exists);
    }

    #[tokio::test]
    async fn exclusive_within_process() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x/y.lock");
        let held = FileLock::acquire(&p).await.unwrap();
        let p2 = p.clone();
        let waiter = tokio::spawn(async move { FileLock::acquire(p2).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !waiter.is_finished(),
            "second lock must wait while the first is held"
        );
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(
            p.exists(),
            "lock file stays behind, as with Python's filelock"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blocking_and_async_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/c.lock");
        let held = FileLock::acquire_blocking(&p).unwrap();
        assert_eq!(held.path(), p);
        let p2 = p.clone();
        let waiter = tokio::spawn(async move { FileLock::acquire(p2).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !waiter.is_finished(),
            "async lock must wait for the blocking one"
        );
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let held = FileLock::acquire(&p).await.unwrap();
        let p3 = p.clone();
        let waiter = std::thread::spawn(move || FileLock::acquire_blocking(p3).map(|_| ()));
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !waiter.is_finished(),
            "blocking lock must wait for the async one"
        );
        drop(held);
        waiter.join().unwrap().unwrap();
        assert!(p.exists());
    }
}
