//! When to poll a source next: adaptive intervals for healthy feeds, exponential back-off for
//! failing ones.

use chrono::{DateTime, Duration, Utc};

/// Never poll more often than this, whatever the feed's pace.
pub const MIN_INTERVAL_SECONDS: i64 = 60;
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

/// Parses an interval such as `15m`, `1h`, `90s` or `2d` (a bare number is seconds).
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not an interval like 15m, 1h or 90s"))?;
    let mult = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("{s:?}: unit must be s, m, h or d")),
    };
    let secs = n.saturating_mul(mult);
    if secs < MIN_INTERVAL_SECONDS {
        return Err(format!(
            "interval {s:?} is shorter than {MIN_INTERVAL_SECONDS}s"
        ));
    }
    Ok(secs)
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

    #[test]
    fn intervals_parse_with_units() {
        assert_eq!(parse_interval("15m"), Ok(900));
        assert_eq!(parse_interval("2h"), Ok(7200));
        assert_eq!(parse_interval("120"), Ok(120));
        assert!(parse_interval("5s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
