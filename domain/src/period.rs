//! Scoring periods (D6): ISO weeks, Monday 00:00 UTC to the next Monday,
//! half-open. `period.closed` marks a week as scored and closed (D15).

use chrono::{DateTime, Datelike, Days, IsoWeek, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// `period.closed`: the week starting `period_start` was scored and closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodClosed {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// How many people got a snapshot for the week when it closed.
    pub scored_people: u32,
}

/// The Monday starting the ISO week that contains `day`.
pub fn week_start_of_day(day: NaiveDate) -> NaiveDate {
    day - Days::new(day.weekday().num_days_from_monday() as u64)
}

/// The Monday 00:00 UTC starting the week that contains `at` (D6).
pub fn week_start(at: DateTime<Utc>) -> NaiveDate {
    week_start_of_day(at.date_naive())
}

/// The first Monday on or after `day`: the first week a change effective
/// from `day` is in force for its whole period (D10).
pub fn first_week_from(day: NaiveDate) -> NaiveDate {
    let monday = week_start_of_day(day);
    if monday == day {
        day
    } else {
        monday + Days::new(7)
    }
}

/// Midnight UTC at the start of `day`.
pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

/// `2026-W10` for the week starting `monday`.
pub fn iso_week_label(monday: NaiveDate) -> String {
    let week: IsoWeek = monday.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Parses `2026-W10` into its Monday; the error says what was expected.
pub fn parse_iso_week(text: &str) -> Result<NaiveDate, String> {
    let bad = || format!("'{text}' is not an ISO week; expected YYYY-Www, e.g. 2026-W10");
    let (year, week) = text.split_once("-W").ok_or_else(bad)?;
    if year.len() != 4 || week.len() != 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
        .ok_or_else(|| format!("'{text}' is not an ISO week: {year} has no week {week}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(); // a Sunday
        assert_eq!(week_start_of_day(d), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(first_week_from(d), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(first_week_from(monday), monday);
        assert_eq!(iso_week_label(monday), "2026-W48");
        assert_eq!(parse_iso_week("2026-W48"), Ok(monday));
        assert!(parse_iso_week("2026-W54").unwrap_err().contains("has no week 54"));
        assert!(parse_iso_week("2026-48").unwrap_err().contains("YYYY-Www"));
    }
}
