//! Running transfers on the runtime's worker threads.
//!
//! A caller's future may be polled by `block_on` on a thread that is not a runtime worker (as in
//! `#[tokio::main]`): every network wake-up then crosses threads, which made a single stream
//! several times slower on a busy machine. Transfers are therefore spawned as tasks, and the
//! task is aborted if the caller drops the future, so nothing keeps running behind its back.

use std::future::Future;

use crate::error::{Error, Result};

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `fut` as a task on the current runtime and waits for it. A panic in the task is
/// resumed here; a cancelled task (runtime shutting down) is an error. Code that already runs
/// in a task (a snapshot's file, a caller's `tokio::spawn`) is on a worker: `fut` then runs in
/// place, saving a spawn and a cross-task wake-up per file.
pub(crate) async fn on_worker<T: Send + 'static>(
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T> {
    if tokio::task::try_id().is_some() {
        return Ok(fut.await);
    }
    let mut guard = AbortOnDrop(tokio::spawn(fut));
    match (&mut guard.0).await {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::io("download task", std::io::Error::other(e))),
    }
}
