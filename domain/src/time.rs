//! Exact durations for the enriched facts: minutes as decimals, never floats.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Minutes from `from` to `to` (negative when `to` is earlier), exact to the microsecond.
pub fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> Decimal {
    // Beyond ±292,000 years of microseconds: the far end of the same sign.
    let delta = to.signed_duration_since(from);
    let micros =
        delta.num_microseconds().unwrap_or(if delta < chrono::TimeDelta::zero() { i64::MIN } else { i64::MAX });
    Decimal::from(micros) / Decimal::from(60_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn whole_and_fractional_minutes() {
        let a = Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 11, 2, 11, 30, 30).unwrap();
        assert_eq!(minutes_between(a, b), Decimal::new(905, 1));
        assert_eq!(minutes_between(b, a), Decimal::new(-905, 1));
    }
}
