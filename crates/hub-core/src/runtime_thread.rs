//! [`RuntimeThread`]: a tokio runtime on a dedicated thread, for synchronous facades.
//!
//! Like `reqwest::blocking`, a facade sends each future to this thread and waits on a channel.
//! Holding a `Runtime` in the facade itself would panic twice over: `block_on` inside async code,
//! and dropping a runtime inside async code. Here the runtime is only ever driven and dropped on
//! its own thread, so a facade is safe to call (and drop) anywhere. hub-core's `blocking::HfApi`
//! and hub-inference's blocking client share this one implementation.

use std::future::Future;
use std::pin::Pin;
use std::thread::JoinHandle;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The runtime thread is gone (it failed to start, stopped, or the job panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the blocking runtime thread has stopped")]
pub struct RuntimeStopped;

/// A current-thread tokio runtime driven by its own OS thread. Jobs are spawned, so calls from
/// several threads run concurrently. Dropping it closes the job channel; the thread then drops
/// its runtime and exits.
#[derive(Debug)]
pub struct RuntimeThread {
    tx: Option<tokio::sync::mpsc::UnboundedSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl RuntimeThread {
    /// Starts the thread (named `name`) and waits until its runtime is built.
    pub fn start(name: &str) -> std::io::Result<Self> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<std::io::Result<()>>(1);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => {
                        let _ = ready_tx.send(Ok(()));
                        rt
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    while let Some(job) = rx.recv().await {
                        tokio::spawn(job);
                    }
                });
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(RuntimeThread {
                tx: Some(tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other(RuntimeStopped)),
        }
    }

    /// Runs `fut` on the runtime thread and waits for its output.
    pub fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, RuntimeStopped> {
        let (otx, orx) = std::sync::mpsc::sync_channel(1);
        self.detach(async move {
            let _ = otx.send(fut.await);
        })?;
        // A closed channel means the job was dropped (runtime stopped or the future panicked).
        orx.recv().map_err(|_| RuntimeStopped)
    }

    /// Starts `fut` on the runtime thread without waiting for it (e.g. to drop a stream there).
    pub fn detach(
        &self,
        fut: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RuntimeStopped> {
        match &self.tx {
            Some(tx) => tx.send(Box::pin(fut)).map_err(|_| RuntimeStopped),
            None => Err(RuntimeStopped),
        }
    }
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            // Joining from async code would block an executor thread until in-flight calls end;
            // detaching is enough there, since the thread exits on its own.
            if tokio::runtime::Handle::try_current().is_err() {
                let _ = t.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_stops() {
        let rt = RuntimeThread::start("t").map_err(|_| RuntimeStopped);
        assert_eq!(rt.and_then(|rt| rt.run(async { 40 + 2 })), Ok(42));
    }

    #[tokio::test]
    async fn usable_and_droppable_inside_async_code() {
        let rt = RuntimeThread::start("t").map_err(|_| RuntimeStopped);
        assert_eq!(rt.and_then(|rt| rt.run(async { 7 })), Ok(7));
    }
}
