//! The retry policy: exponential backoff with full jitter, bounded in attempts and total time,
//! honouring the server's `Retry-After` / `RateLimit` hints.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
