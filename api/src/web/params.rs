//! Query parameters of the pages. Pages are driven by links and GET forms,
//! so they are lenient where the JSON API is strict: unknown parameters are
//! ignored and empty fields count as absent. Invalid values are still a 400
//! page naming the field and the reason, and a parameter never widens scope.

use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::view::PeriodPicker;
use crate::error::AppError;
use crate::period_query::{Period, PeriodParams};

/// `period=this_week|last_week|last_month|custom|2026-W20`, `from`, `to`.
/// With a named period, `from`/`to` are ignored (the filter form always
/// sends them); `custom` uses them.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn present(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

impl PeriodQuery {
    pub fn resolve(&self) -> Result<(Period, PeriodPicker), AppError> {
        let named = present(&self.period).filter(|p| p != "custom");
        let custom = present(&self.period).as_deref() == Some("custom");
        let params = match &named {
            Some(name) => PeriodParams { period: Some(name.clone()), from: None, to: None },
            None => {
                let (from, to) = (present(&self.from), present(&self.to));
                if custom && (from.is_none() || to.is_none()) {
                    let field = if from.is_none() { "from" } else { "to" };
                    return Err(AppError::invalid_parameter(field, "is required for a custom range (YYYY-MM-DD)"));
                }
                PeriodParams { period: None, from, to }
            }
        };
        let today = Utc::now().date_naive();
        let period = Period::from_params(&params, today)?;
        Ok((period, PeriodPicker::new(&period, named.as_deref(), today)))
    }
}

/// An optional UUID parameter; empty counts as absent.
pub fn optional_uuid(value: &Option<String>, field: &str) -> Result<Option<Uuid>, AppError> {
    match present(value) {
        None => Ok(None),
        Some(text) => Uuid::parse_str(&text).map(Some).map_err(|_| {
            AppError::invalid_parameter(field, format!("'{}' is not a UUID", crate::app::fields::shorten(&text)))
        }),
    }
}

/// A path segment that must be a UUID.
/// `offset=`: absent or blank is 0; anything but a non-negative integer is a 400.
pub fn offset(value: &Option<String>) -> Result<u64, AppError> {
    match value.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(0),
        Some(text) => text
            .parse()
            .map_err(|_| AppError::invalid_parameter("offset", format!("'{text}' is not a non-negative integer"))),
    }
}

pub fn path_uuid(text: &str, field: &str) -> Result<Uuid, AppError> {
    optional_uuid(&Some(text.to_string()), field)?.ok_or_else(|| AppError::invalid_parameter(field, "is required"))
}

/// Text for a query string value (`%`-encoding the few characters that matter in our values).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> PeriodQuery {
        PeriodQuery { period: period.map(String::from), from: from.map(String::from), to: to.map(String::from) }
    }

    #[test]
    fn forms_resolve_to_periods() {
        let (week, picker) = q(Some("last_week"), Some(""), Some("")).resolve().unwrap();
        assert_eq!(week.days(), 7);
        assert_eq!(picker.query(), "period=last_week");
        // A named period wins over stale custom dates.
        let (named, _) = q(Some("this_week"), Some("2026-01-01"), Some("2026-01-31")).resolve().unwrap();
        assert_eq!(named.days(), 7);
        let (range, picker) = q(Some("custom"), Some("2026-01-01"), Some("2026-01-31")).resolve().unwrap();
        assert_eq!(range.days(), 31);
        assert!(picker.custom);
        let missing = q(Some("custom"), Some("2026-01-01"), Some(" ")).resolve().unwrap_err();
        assert_eq!(missing.status().as_u16(), 400);
        assert!(missing.detail().starts_with("to: "), "{}", missing.detail());
        let bad = q(Some("yesterday"), None, None).resolve().unwrap_err();
        assert!(bad.detail().starts_with("period: "), "{}", bad.detail());
        assert_eq!(q(None, None, None).resolve().unwrap().1.query(), "period=last_week");
    }

    #[test]
    fn uuids_and_encoding() {
        assert_eq!(optional_uuid(&Some(" ".into()), "team_id").unwrap(), None);
        assert!(optional_uuid(&Some("x".into()), "team_id").unwrap_err().detail().starts_with("team_id: 'x'"));
        assert_eq!(encode("2026-W05 a&b"), "2026-W05%20a%26b");
    }
}
