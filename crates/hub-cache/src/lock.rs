//! Inter-process file locks compatible with Python's `filelock` (an exclusive `flock` on POSIX).
//!
//! The lock is taken with `std::fs::File::try_lock` inside `spawn_blocking`, polled with an async
//! sleep in between, so no executor thread ever blocks and there is no fixed timeout: a process
//! waiting behind a 50 GB download simply keeps waiting, as Python's does. The lock file is left
//! behind on release, as Python leaves it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

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

    /// Waits (asynchronously) until the lock at `path` is held. Parent directories are created.
    pub async fn acquire(path: impl Into<PathBuf>) -> Result<FileLock> {
        let path = path.into();
        let open_path = path.clone();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
            if let Some(parent) = open_path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&open_path)
        })
        .await
        .map_err(|e| Error::io("lock task", std::io::Error::other(e)))?
        .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
        let file = Arc::new(file);
        let mut delay = Duration::from_millis(5);
        loop {
            let f = file.clone();
            let attempt = tokio::task::spawn_blocking(move || f.try_lock())
                .await
                .map_err(|e| Error::io("lock task", std::io::Error::other(e)))?;
            match attempt {
                Ok(()) => return Ok(FileLock { _file: file, path }),
                Err(TryLockError::WouldBlock) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::io(format!("locking {}", path.display()), e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
