//! Reading a command's fields from a field map — the JSON body, or a form's
//! fields as strings — each error naming the field and the reason.

use std::str::FromStr;

use chrono::NaiveDate;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::AppError;

/// Refuses fields outside `allowed`.
pub fn only_fields(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), AppError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(AppError::invalid_body(
            key,
            format!("is not a field of this request; expected one of: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Echoed input, cut short so errors stay small.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

pub fn required(field: &str) -> AppError {
    AppError::invalid_body(field, "is required")
}

pub fn present<'a>(map: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    map.get(field).filter(|v| !v.is_null())
}

pub fn string_field(map: &Map<String, Value>, field: &str) -> Result<Option<String>, AppError> {
    match present(map, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::invalid_body(field, "must be a string")),
    }
}

pub fn optional_uuid(map: &Map<String, Value>, field: &str) -> Result<Option<Uuid>, AppError> {
    match string_field(map, field)? {
        None => Ok(None),
        Some(text) => Uuid::parse_str(&text)
            .map(Some)
            .map_err(|_| AppError::invalid_body(field, format!("'{}' is not a UUID", shorten(&text)))),
    }
}

pub fn date_field(map: &Map<String, Value>, field: &str) -> Result<Option<NaiveDate>, AppError> {
    match string_field(map, field)? {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid_body(field, format!("'{}' is not a date (YYYY-MM-DD)", shorten(&text)))),
    }
}

/// A required snake_case enum (`Domain`, `Comparison`) from a string.
pub fn enum_field<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    field: &str,
    expected: &str,
) -> Result<T, AppError> {
    let text = string_field(map, field)?.ok_or_else(|| required(field))?;
    serde_json::from_value(Value::String(text.clone()))
        .map_err(|_| AppError::invalid_body(field, format!("'{}' is not one of: {expected}", shorten(&text))))
}

/// The decimal strings `target_value` accepts (the spec's pattern): digits,
/// optionally a fraction, with surrounding whitespace.
pub const DECIMAL_PATTERN: &str = r"^\s*[0-9]+(\.[0-9]+)?\s*$";

/// Does `text` (trimmed) match [`DECIMAL_PATTERN`]?
pub fn is_decimal_text(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// A decimal given as a JSON number or a string of [`DECIMAL_PATTERN`]; the
/// type comes from the command (the goal rules check sign, scale and size).
pub fn decimal_field<T: FromStr>(map: &Map<String, Value>, field: &str) -> Result<Option<T>, AppError> {
    let text = match present(map, field) {
        None => return Ok(None),
        // serde_json writes a tiny float in exponent form (`5e-324`), which
        // no decimal parser reads; in the spec's range (0 to 10^10) only a
        // number with far more than 2 decimals is written so.
        Some(Value::Number(n)) if n.to_string().contains(['e', 'E']) => {
            return Err(AppError::rejected(field, format!("may have at most 2 decimals (got {n})")));
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => {
            let text = s.trim();
            if !is_decimal_text(text) {
                return Err(AppError::invalid_body(
                    field,
                    format!("'{}' is not a decimal number (digits, optionally a fraction: 12.5)", shorten(text)),
                ));
            }
            text.to_string()
        }
        Some(_) => return Err(AppError::invalid_body(field, "must be a number")),
    };
    text.parse()
        .map(Some)
        .map_err(|_| AppError::invalid_body(field, format!("'{}' is not a decimal number", shorten(&text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_are_digits_with_an_optional_fraction() {
        for good in ["0", "12", "12.5", "007.25"] {
            assert!(is_decimal_text(good), "{good}");
        }
        for bad in ["", ".5", "5.", "-1", "+1", "1e3", "1_000", "1.2.3", "NaN"] {
            assert!(!is_decimal_text(bad), "{bad}");
        }
    }

    #[test]
    fn a_tiny_json_number_is_refused_for_its_decimals() {
        let map: Map<String, Value> = serde_json::from_str(r#"{"target_value": 5e-324}"#).unwrap();
        let problem = decimal_field::<f64>(&map, "target_value").unwrap_err();
        assert_eq!((problem.status().as_u16(), problem.field.as_deref()), (422, Some("target_value")));
        assert!(problem.reason.starts_with("may have at most 2 decimals"), "{}", problem.reason);
    }
}
