//! The API's period parameters (D6): `period=this_week|last_week|last_month|2026-W20`
//! or `from=YYYY-MM-DD&to=YYYY-MM-DD`, parsed into a half-open day range.
//!
//! Decisions:
//! - `to` is inclusive, as a date: `from=2026-11-01&to=2026-11-30` is all of
//!   November, stored as `end = to + 1 day` (exclusive), like every period.
//! - A range of at most 366 days (`to - from + 1 <= 366`) is accepted.
//! - `last_month` is the previous calendar month (UTC) of `today`.
//! - No parameter at all means `last_week`, the last full week
//!   ([`Period::from_params`]; issue 15): the week in progress is partial,
//!   and a manager opening a report without choosing wants the last complete
//!   week, the one the weekly close and the flagged reviews are about. The
//!   pages default to the same week, so a page and the API without a period
//!   answer the same question. [`Period::parse_optional`] lets a handler
//!   tell "none given" apart.
//! - A period is [`PeriodKind::Week`] exactly when it is one ISO week (a
//!   Monday and the 7 days after it), whichever way it was spelled: those are
//!   read from the stored snapshots. Every other range is
//!   [`PeriodKind::Range`], computed on read with `compute_range` (D6).
//! - Every error names the field (`period`, `from`, `to`) and the reason.

use chrono::{Datelike, Days, Months, NaiveDate};
use perfledger_domain::period::{iso_week_label, parse_iso_week, week_start_of_day};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The longest `from`/`to` range, in days (both ends included).
pub const MAX_RANGE_DAYS: i64 = 366;

/// Whether a period is one stored ISO week or a range computed on read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Range,
}

/// Days `[start, end)`, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    pub kind: PeriodKind,
}

/// The raw query parameters, as a handler extracts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PeriodParams {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Period {
    /// `[start, end)`, a week when it is exactly one ISO week.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Period {
        let is_week = start == week_start_of_day(start) && end == start + Days::new(7);
        Period { start, end, kind: if is_week { PeriodKind::Week } else { PeriodKind::Range } }
    }

    /// The ISO week starting on `monday` (any day is moved to its Monday).
    pub fn week(monday: NaiveDate) -> Period {
        let start = week_start_of_day(monday);
        Period::new(start, start + Days::new(7))
    }

    /// The Monday of a week period, `None` for a range.
    pub fn week_start(&self) -> Option<NaiveDate> {
        (self.kind == PeriodKind::Week).then_some(self.start)
    }

    /// How many days the period holds.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The last day in the period (inclusive).
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }

    /// `2026-W20` for a week, `2026-11-01..2026-11-30` (inclusive) otherwise.
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Week => iso_week_label(self.start),
            PeriodKind::Range => format!("{}..{}", self.start, self.last_day()),
        }
    }

    /// The period of `params`, the last full week when none is given.
    pub fn from_params(params: &PeriodParams, today: NaiveDate) -> Result<Period, AppError> {
        Ok(Self::parse_optional(params, today)?.unwrap_or_else(|| Period::last_full_week(today)))
    }

    /// The last ISO week that has ended by `today` (the week before today's).
    pub fn last_full_week(today: NaiveDate) -> Period {
        Period::week(week_start_of_day(today) - Days::new(7))
    }

    /// Is `today` inside the period (it has not ended yet)? Then the days
    /// elapsed, today included, out of the period's days.
    pub fn in_progress(&self, today: NaiveDate) -> Option<(i64, i64)> {
        (self.start <= today && today < self.end).then(|| ((today - self.start).num_days() + 1, self.days()))
    }

    /// The period of `params`, `None` when no parameter is given.
    pub fn parse_optional(params: &PeriodParams, today: NaiveDate) -> Result<Option<Period>, AppError> {
        parse_period(params.period.as_deref(), params.from.as_deref(), params.to.as_deref(), today)
    }
}

/// Parses the three parameters; `None` when none of them is given.
pub fn parse_period(
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Option<Period>, AppError> {
    match (period, from, to) {
        (None, None, None) => Ok(None),
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(AppError::invalid_parameter("period", "give either period or from/to, not both"))
        }
        (Some(name), None, None) => named_period(name.trim(), today).map(Some),
        (None, Some(_), None) => Err(AppError::invalid_parameter("to", "is required with from")),
        (None, None, Some(_)) => Err(AppError::invalid_parameter("from", "is required with to")),
        (None, Some(from), Some(to)) => {
            let from_day = date("from", from)?;
            let to_day = date("to", to)?;
            if from_day > to_day {
                return Err(AppError::invalid_parameter("from", format!("{from_day} is after to ({to_day})")));
            }
            let days = (to_day - from_day).num_days() + 1;
            if days > MAX_RANGE_DAYS {
                return Err(AppError::invalid_parameter(
                    "to",
                    format!("the range {from_day}..{to_day} spans {days} days; at most {MAX_RANGE_DAYS} are allowed"),
                ));
            }
            Ok(Some(Period::new(from_day, to_day + Days::new(1))))
        }
    }
}

fn named_period(name: &str, today: NaiveDate) -> Result<Period, AppError> {
    let this_monday = week_start_of_day(today);
    match name {
        "this_week" => Ok(Period::week(this_monday)),
        "last_week" => Ok(Period::week(this_monday - Days::new(7))),
        "last_month" => {
            let first_of_this = today.with_day(1).expect("every month has a first day");
            let first_of_last = first_of_this - Months::new(1);
            Ok(Period::new(first_of_last, first_of_this))
        }
        other if other.contains("-W") => {
            parse_iso_week(other).map(Period::week).map_err(|reason| AppError::invalid_parameter("period", reason))
        }
        other => Err(AppError::invalid_parameter(
            "period",
            format!(
                "'{other}' is not a period; expected this_week, last_week, last_month or an ISO week like 2026-W20"
            ),
        )),
    }
}

/// A strict `YYYY-MM-DD` date.
pub(crate) fn date(field: &'static str, text: &str) -> Result<NaiveDate, AppError> {
    let text = text.trim();
    let bad =
        || AppError::invalid_parameter(field, format!("'{text}' is not a date; expected YYYY-MM-DD, e.g. 2026-11-30"));
    if text.len() != 10 || text.as_bytes()[4] != b'-' || text.as_bytes()[7] != b'-' {
        return Err(bad());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// A Thursday.
    const TODAY: &str = "2026-11-26";

    fn parse(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<Option<Period>, AppError> {
        parse_period(period, from, to, d(TODAY))
    }

    fn ok(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> Period {
        parse(period, from, to).unwrap().unwrap()
    }

    fn err(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> AppError {
        parse(period, from, to).unwrap_err()
    }

    #[test]
    fn nothing_given_is_none_or_the_last_full_week() {
        assert_eq!(parse(None, None, None), Ok(None));
        let params = PeriodParams::default();
        let default = Period::from_params(&params, d(TODAY)).unwrap();
        assert_eq!(default, ok(Some("last_week"), None, None));
        assert_eq!(default.in_progress(d(TODAY)), None, "the default week has ended");
        // On a Monday the last full week is the one that ended last night.
        assert_eq!(Period::last_full_week(d("2026-11-23")).start, d("2026-11-16"));
    }

    #[test]
    fn the_week_in_progress_counts_its_days() {
        let this = ok(Some("this_week"), None, None);
        assert_eq!(this.in_progress(d(TODAY)), Some((4, 7)), "Thursday is day 4 of 7");
        assert_eq!(this.in_progress(d("2026-11-23")), Some((1, 7)));
        assert_eq!(this.in_progress(d("2026-11-30")), None);
    }

    #[test]
    fn named_weeks() {
        let this = ok(Some("this_week"), None, None);
        assert_eq!(this, Period { start: d("2026-11-23"), end: d("2026-11-30"), kind: PeriodKind::Week });
        assert_eq!(this.label(), "2026-W48");
        assert_eq!(this.week_start(), Some(d("2026-11-23")));
        let last = ok(Some("last_week"), None, None);
        assert_eq!(last, Period { start: d("2026-11-16"), end: d("2026-11-23"), kind: PeriodKind::Week });
        // On a Monday, this week starts today.
        let monday = parse_period(Some("this_week"), None, None, d("2026-11-23")).unwrap().unwrap();
        assert_eq!(monday.start, d("2026-11-23"));
    }

    #[test]
    fn last_month_is_the_previous_calendar_month() {
        let p = ok(Some("last_month"), None, None);
        assert_eq!(p, Period { start: d("2026-10-01"), end: d("2026-11-01"), kind: PeriodKind::Range });
        assert_eq!(p.days(), 31);
        assert_eq!(p.label(), "2026-10-01..2026-10-31");
        assert_eq!(p.week_start(), None);
        // Across a year boundary, and from the last day of a month.
        let jan = parse_period(Some("last_month"), None, None, d("2027-01-01")).unwrap().unwrap();
        assert_eq!((jan.start, jan.end), (d("2026-12-01"), d("2027-01-01")));
        let mar = parse_period(Some("last_month"), None, None, d("2028-03-31")).unwrap().unwrap();
        assert_eq!((mar.start, mar.end), (d("2028-02-01"), d("2028-03-01")));
    }

    #[test]
    fn iso_weeks() {
        let p = ok(Some("2026-W20"), None, None);
        assert_eq!(p, Period { start: d("2026-05-11"), end: d("2026-05-18"), kind: PeriodKind::Week });
        assert_eq!(p.label(), "2026-W20");
        // Week 1 of 2026 starts in 2025.
        assert_eq!(ok(Some("2026-W01"), None, None).start, d("2025-12-29"));
        assert_eq!(ok(Some("2026-W53"), None, None).start, d("2026-12-28"));
    }

    #[test]
    fn from_to_ranges_include_to() {
        let p = ok(None, Some("2026-11-01"), Some("2026-11-30"));
        assert_eq!(p, Period { start: d("2026-11-01"), end: d("2026-12-01"), kind: PeriodKind::Range });
        assert_eq!(p.days(), 30);
        assert_eq!(p.last_day(), d("2026-11-30"));
        // One day.
        let one = ok(None, Some("2026-11-05"), Some("2026-11-05"));
        assert_eq!((one.start, one.end, one.kind), (d("2026-11-05"), d("2026-11-06"), PeriodKind::Range));
        // Monday..Sunday is a week, read from the snapshots.
        let week = ok(None, Some("2026-11-16"), Some("2026-11-22"));
        assert_eq!(week, ok(Some("last_week"), None, None));
        // Tuesday..Monday is 7 days but not a week.
        assert_eq!(ok(None, Some("2026-11-17"), Some("2026-11-23")).kind, PeriodKind::Range);
        // Exactly 366 days (a leap year) is accepted.
        let leap = ok(None, Some("2028-01-01"), Some("2028-12-31"));
        assert_eq!(leap.days(), 366);
        assert_eq!(ok(None, Some("2026-01-01"), Some("2027-01-01")).days(), 366);
        // Whitespace around values is tolerated.
        assert_eq!(ok(None, Some(" 2026-11-01"), Some("2026-11-30 ")).days(), 30);
        assert_eq!(ok(Some(" last_week "), None, None).kind, PeriodKind::Week);
    }

    #[test]
    fn rejections_name_the_field_and_reason() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
        let cases: &[Case] = &[
            (Some("yesterday"), None, None, "period", "'yesterday' is not a period"),
            (Some(""), None, None, "period", "is not a period"),
            (Some("THIS_WEEK"), None, None, "period", "is not a period"),
            (Some("2026-W54"), None, None, "period", "has no week 54"),
            (Some("2026-W5"), None, None, "period", "expected YYYY-Www"),
            (Some("26-W05"), None, None, "period", "expected YYYY-Www"),
            (Some("2026-Wxx"), None, None, "period", "expected YYYY-Www"),
            (Some("2026-W00"), None, None, "period", "has no week 0"),
            (Some("this_week"), Some("2026-11-01"), None, "period", "not both"),
            (Some("this_week"), None, Some("2026-11-01"), "period", "not both"),
            (Some("this_week"), Some("2026-11-01"), Some("2026-11-02"), "period", "not both"),
            (None, Some("2026-11-01"), None, "to", "is required with from"),
            (None, None, Some("2026-11-01"), "from", "is required with to"),
            (None, Some("2026-11-30"), Some("2026-11-01"), "from", "2026-11-30 is after to (2026-11-01)"),
            (None, Some("2026-01-01"), Some("2027-01-02"), "to", "spans 367 days"),
            (None, Some("2025-01-01"), Some("2026-01-02"), "to", "spans 367 days"),
            (None, Some("2026-13-01"), Some("2026-12-01"), "from", "is not a date"),
            (None, Some("2026-11-01"), Some("2026-11-31"), "to", "is not a date"),
            (None, Some("2026-1-5"), Some("2026-11-30"), "from", "expected YYYY-MM-DD"),
            (None, Some("01/11/2026"), Some("2026-11-30"), "from", "expected YYYY-MM-DD"),
            (None, Some("2026-11-01"), Some("tomorrow"), "to", "is not a date"),
        ];
        for (period, from, to, field, reason) in cases {
            let e = err(*period, *from, *to);
            assert_eq!(e.field.as_deref(), Some(*field), "{period:?} {from:?} {to:?}: {e}");
            assert!(e.reason.contains(reason), "{period:?} {from:?} {to:?}: {e:?} should contain {reason:?}");
            assert!(e.to_string().starts_with(&format!("{field}: ")), "{e}");
            assert_eq!(e.status().as_u16(), 400);
            assert!(e.detail().contains(reason));
        }
    }
}
