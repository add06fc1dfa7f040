//! Background jobs in submission order (Python's `run_as_future`).
//!
//! A [`BackgroundQueue`] owns one worker task. [`BackgroundQueue::submit`] returns at once with
//! a [`JobHandle`]; the worker runs jobs one at a time, in the order they were submitted, so a
//! `create_repo` queued before an upload is done before it. Each job runs in its own task, so a
//! panicking job fails only its own handle.
//!
//! ```no_run
//! # async fn run() -> hub_core::Result<()> {
//! use hub_core::{HubClient, RepoId};
//! use hub_upload::{BackgroundQueue, UploadExt};
//! let client = HubClient::from_env()?;
//! let repo = RepoId::new("me/logs")?;
//! let queue = BackgroundQueue::new();
//! let first = client.upload_file(&repo, &b"1"[..], "a.txt").run_as_future(&queue);
//! let second = client.upload_file(&repo, &b"2"[..], "b.txt").run_as_future(&queue);
//! assert!(!second.is_done() || first.is_done());
//! let info = second.await?; // `first` finished before `second` started
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use hub_core::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// An ordered queue of background jobs with a single worker.
#[derive(Debug, Clone)]
pub struct BackgroundQueue {
    tx: mpsc::UnboundedSender<BoxFuture<'static, ()>>,
}

impl Default for BackgroundQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl BackgroundQueue {
    /// Starts the worker on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn new() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                // Its own task: a panic ends this job only, and the order is kept by awaiting.
                let _ = tokio::spawn(job).await;
            }
        });
        BackgroundQueue { tx }
    }

    /// Queues `job`; it starts after every job submitted before it has finished.
    pub fn submit<T, F>(&self, job: F) -> JobHandle<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let wrapped: BoxFuture<'static, ()> = Box::pin(async move {
            let r = job.await;
            flag.store(true, Ordering::Release);
            let _ = tx.send(r);
        });
        // If the worker is gone the job is dropped, and the handle reports cancellation.
        let _ = self.tx.send(wrapped);
        JobHandle { rx, done }
    }
}

/// The awaitable result of a queued job.
#[derive(Debug)]
#[must_use = "a JobHandle does nothing unless awaited or polled with is_done()"]
pub struct JobHandle<T> {
    rx: oneshot::Receiver<Result<T>>,
    done: Arc<AtomicBool>,
}

impl<T> JobHandle<T> {
    /// Whether the job has finished (Python's `Future.done()`).
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl<T> Future for JobHandle<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(|r| {
            r.unwrap_or_else(|_| {
                Err(Error::io(
                    "background job",
                    std::io::Error::new(
                        std::io::ErrorKind::Interrupted,
                        "the job was cancelled or panicked before finishing",
                    ),
                ))
            })
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    #[tokio::test]
    async fn jobs_run_in_submission_order() {
        let q = BackgroundQueue::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..5u64 {
            let log = log.clone();
            handles.push(q.submit(async move {
                // Later jobs are faster: only a real queue keeps the order.
                tokio::time::sleep(Duration::from_millis(50 - i * 10)).await;
                log.lock().unwrap().push(i);
                Ok(i)
            }));
        }
        let last = handles.pop().unwrap();
        assert_eq!(last.await.unwrap(), 4);
        assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3, 4]);
        assert!(handles.iter().all(|h| h.is_done()));
    }

    #[tokio::test]
    async fn panicking_job_does_not_stop_the_queue() {
        let q = BackgroundQueue::new();
        let bad: JobHandle<()> = q.submit(async { panic!("boom") });
        let good = q.submit(async { Ok(7) });
        assert!(bad.await.is_err());
        assert_eq!(good.await.unwrap(), 7);
    }
}
