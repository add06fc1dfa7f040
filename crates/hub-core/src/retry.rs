//! The retry policy: exponential backoff with jitter, bounded in attempts and total time,
//! honouring the server's `Retry-After` / `RateLimit` hints.
//!
//! [`RetryPolicy::run`] is the one retry loop of hub-rs: [`HubClient::send`](crate::HubClient::send)
//! runs every request through it, and the transfer engines of hub-cache and hub-upload run their
//! own multi-request steps (a ranged download, an LFS part) through it too, so every surface
//! waits, gives up and honours server hints the same way.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;

/// What [`RetryPolicy::run_if`] should do with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Fail now with this error.
    Fail,
    /// Try again after the policy's backoff.
    Retry,
    /// Try again after at least this long (a server hint such as `Retry-After`).
    RetryAfter(Duration),
    /// The attempt made progress before failing (a resumable transfer received bytes): try
    /// again at once, and count attempts and time afresh from here.
    RetryReset,
}

/// When and how long to wait before retrying a failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// Give up once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 5 retries, 1 s doubling to 8 s (Python's `http_backoff`), at most 2 minutes in all.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `attempt` (0-based), or `None` to give up. A server hint
    /// wins over the computed backoff (still bounded by `max_elapsed`).
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        server_hint: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        let delay = match server_hint {
            Some(hint) => hint,
            None => {
                let exp = self
                    .base_delay
                    .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
                    .min(self.max_delay);
                // Jitter in [exp/2, exp]: spreads clients that failed together.
                let half = exp / 2;
                half + exp.saturating_sub(half).mul_f64(rand::random::<f64>())
            }
        };
        if elapsed + delay > self.max_elapsed {
            None
        } else {
            Some(delay)
        }
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds or fails with an error that is not worth retrying
    /// ([`Error::is_retryable`]), honouring the server's `Retry-After` hint, within the policy's
    /// bounds. The closure receives the attempt number (0 for the first try).
    ///
    /// ```
    /// # async fn run() -> hub_core::Result<()> {
    /// use hub_core::RetryPolicy;
    /// let policy = RetryPolicy::default();
    /// let answer = policy.run(|attempt| async move { Ok::<_, hub_core::Error>(attempt + 41) }).await?;
    /// assert_eq!(answer, 41);
    /// # Ok(()) }
    /// ```
    pub async fn run<T, F, Fut>(&self, attempt: F) -> Result<T, Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_if(attempt, Error::retry_decision).await
    }

    /// Like [`RetryPolicy::run`] with the caller's own classification of errors (any error type):
    /// `decide` says whether a failed attempt is worth repeating and how soon. The closure
    /// receives the number of attempts made so far.
    pub async fn run_if<T, E, F, Fut, D>(&self, mut attempt: F, decide: D) -> Result<T, E>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        D: Fn(&E) -> RetryDecision,
    {
        let mut started = Instant::now();
        let mut n: u32 = 0;
        let mut total: u32 = 0;
        loop {
            let err = match attempt(total).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            total = total.saturating_add(1);
            let hint = match decide(&err) {
                RetryDecision::Fail => return Err(err),
                RetryDecision::Retry => None,
                RetryDecision::RetryAfter(d) => Some(d),
                RetryDecision::RetryReset => {
                    started = Instant::now();
                    n = 0;
                    continue;
                }
            };
            match self.next_delay(n, started.elapsed(), hint) {
                Some(delay) => {
                    tracing::debug!(attempt = n, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                None => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn run_retries_only_retryable_errors() {
        let policy = RetryPolicy::default();
        let tries = std::sync::atomic::AtomicU32::new(0);
        let r = policy
            .run(|n| {
                tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(Error::Timeout {
                            url: "http://h/x".into(),
                            phase: crate::error::TimeoutPhase::Read,
                            after: None,
                        })
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(r.ok(), Some(2));
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 3);
        let tries = std::sync::atomic::AtomicU32::new(0);
        let r: Result<(), Error> = policy
            .run(|_| {
                tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { Err(Error::invalid_argument("no")) }
            })
            .await;
        assert!(r.is_err());
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 1);
        let r: Result<(), Error> = RetryPolicy::none()
            .run(|_| async {
                Err(Error::Timeout {
                    url: "http://h/x".into(),
                    phase: crate::error::TimeoutPhase::Read,
                    after: None,
                })
            })
            .await;
        assert!(r.is_err_and(|e| e.is_timeout()));
    }

    #[test]
    fn bounded_and_growing() {
        let p = RetryPolicy::default();
        let d0 = p.next_delay(0, Duration::ZERO, None).unwrap_or_default();
        assert!(d0 >= Duration::from_millis(500) && d0 <= Duration::from_secs(1));
        let d4 = p.next_delay(4, Duration::ZERO, None).unwrap_or_default();
        assert!(d4 >= Duration::from_secs(4) && d4 <= Duration::from_secs(8));
        assert!(p.next_delay(5, Duration::ZERO, None).is_none());
        assert!(
            p.next_delay(0, Duration::from_secs(119), None).is_none()
                || d0 < Duration::from_secs(1)
        );
        assert_eq!(
            p.next_delay(1, Duration::ZERO, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert!(
            RetryPolicy::none()
                .next_delay(0, Duration::ZERO, None)
                .is_none()
        );
    }
}
