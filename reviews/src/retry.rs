//! perfledger's retry policy for provider calls (D12, D15): bounded by
//! `vllm_max_retries`, exponential backoff with full jitter, and a server's
//! `Retry-After` honoured (up to [`MAX_WAIT`]). A retry is a job rescheduled
//! in `review_jobs`, not a sleeping task, so it survives a restart and holds
//! no concurrency slot while it waits.

use std::time::Duration;

use rand::Rng;

/// The first backoff step; doubled per retry.
pub const BASE_DELAY: Duration = Duration::from_millis(200);
/// The longest computed backoff step.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait honoured, `Retry-After` included.
pub const MAX_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first call (`vllm_max_retries`).
    pub max_retries: u32,
}

impl RetryPolicy {
    pub fn from_settings(settings: &perfledger_domain::settings::Settings) -> Self {
        RetryPolicy { max_retries: u32::try_from(settings.vllm_max_retries.max(0)).unwrap_or(0) }
    }

    /// May a call that failed after `calls_made` calls be retried?
    pub fn may_retry(&self, calls_made: u32) -> bool {
        calls_made <= self.max_retries
    }

    /// The wait before retry number `retry` (1-based): the server's
    /// `Retry-After` when it sent one, else a uniformly random wait in
    /// `[0, min(BASE × 2^(retry-1), MAX_BACKOFF)]` ("full jitter", so many
    /// failed jobs do not come back at once).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(MAX_WAIT);
        }
        let ceiling = BASE_DELAY.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1))).min(MAX_BACKOFF);
        Duration::from_millis(rng.gen_range(0..=ceiling.as_millis() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn retries_are_bounded_by_the_setting() {
        let policy = RetryPolicy { max_retries: 2 };
        assert!(policy.may_retry(1));
        assert!(policy.may_retry(2));
        assert!(!policy.may_retry(3));
        assert!(!RetryPolicy { max_retries: 0 }.may_retry(1));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = RetryPolicy { max_retries: 10 };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for retry in 1..=12 {
            let ceiling = BASE_DELAY.saturating_mul(2u32.pow(retry - 1)).min(MAX_BACKOFF);
            for _ in 0..50 {
                assert!(policy.delay(retry, None, &mut rng) <= ceiling);
            }
        }
        let waits: Vec<_> = (0..50).map(|_| policy.delay(5, None, &mut rng)).collect();
        assert!(waits.iter().any(|w| *w != waits[0]), "jitter varies the wait");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_maximum() {
        let policy = RetryPolicy { max_retries: 2 };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3)), &mut rng), Duration::from_secs(3));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(86_400)), &mut rng), MAX_WAIT);
    }
}
