//! When to poll a source next: adaptive intervals for healthy feeds, exponential back-off for
//! failing ones.

use chrono::{DateTime, Duration, Utc};

// Shared with the sources API in `newsdesk-web`, which validates intervals the same way.
pub use newsdesk_core::ingest::{MIN_INTERVAL_SECONDS, parse_interval};
/// Longest back-off after repeated failures.
pub const MAX_BACKOFF_SECONDS: i64 = 24 * 3600;

/// The next interval after a successful poll that found `new_items`: busy feeds are polled up to
/// four times as often as configured, quiet ones down to four times less often.
pub fn next_interval(configured: i64, current: i64, new_items: u64) -> i64 {
    let configured = configured.max(MIN_INTERVAL_SECONDS);
    let next = match new_items {
        0 => current + current / 2,
        1..=2 => current,
        _ => current / 2,
    };
    next.clamp((configured / 4).max(MIN_INTERVAL_SECONDS), configured * 4)
}

/// When to try again after the `consecutive_errors`-th failure in a row (1 for the first).
pub fn backoff(interval: i64, consecutive_errors: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let exp = u32::try_from(consecutive_errors.clamp(1, 16) - 1).unwrap_or(0);
    let wait = interval
        .max(MIN_INTERVAL_SECONDS)
        .saturating_mul(1i64 << exp)
        .min(MAX_BACKOFF_SECONDS);
    now + Duration::seconds(wait)
}

/// When to retry an article fetch after `attempt` failed attempts: 1 min, 2, 4, ... up to 6 h.
pub fn item_retry(attempt: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let exp = u32::try_from(attempt.clamp(1, 10) - 1).unwrap_or(0);
    now + Duration::seconds((60i64 << exp).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_feeds_speed_up_and_quiet_ones_slow_down_within_bounds() {
        assert_eq!(next_interval(900, 900, 10), 450);
        assert_eq!(next_interval(900, 240, 10), 225);
        assert_eq!(next_interval(900, 900, 0), 1350);
        assert_eq!(next_interval(900, 3600, 0), 3600);
        assert_eq!(next_interval(900, 900, 1), 900);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let now = Utc::now();
        assert_eq!(backoff(600, 1, now) - now, Duration::seconds(600));
        assert_eq!(backoff(600, 3, now) - now, Duration::seconds(2400));
        assert_eq!(
            backoff(600, 30, now) - now,
            Duration::seconds(MAX_BACKOFF_SECONDS)
        );
    }
}
