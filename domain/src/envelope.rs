//! The ingest envelope (events-and-metrics.md §1): parsing one item of a batch
//! into an [`Activity`], or a [`Rejection`] that names the field.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::catalog::ActivityData;
use crate::event::Activity;
use crate::validate::{id_problem, Rejection, MAX_EVENT_ID_CHARS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope<'a> {
    event_id: String,
    #[serde(rename = "type")]
    type_name: String,
    occurred_at: String,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// A refused item: its `event_id` when one could be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRejection {
    pub event_id: Option<String>,
    pub rejection: Rejection,
}

/// Parses and validates one envelope. Causal order is not checked here: that
/// needs the entity's history and is the aggregate's job.
pub fn parse_envelope(json: &str) -> Result<Activity, ItemRejection> {
    // The fast path; the path-tracking parser only runs to explain a failure.
    let raw: RawEnvelope = match serde_json::from_str(json).or_else(|_| parse_with_path(json)) {
        Ok(raw) => raw,
        Err(rejection) => return Err(ItemRejection { event_id: salvage_event_id(json), rejection }),
    };
    let event_id = raw.event_id;
    let fail = |rejection: Rejection, event_id: &str| ItemRejection {
        event_id: Some(event_id.to_string()).filter(|id| !id.is_empty()),
        rejection,
    };
    if let Some(reason) = id_problem(&event_id, MAX_EVENT_ID_CHARS) {
        return Err(fail(Rejection::new("event_id", reason), &event_id));
    }
    let occurred_at = parse_timestamp(&raw.occurred_at).map_err(|r| fail(r, &event_id))?;
    let data = ActivityData::parse(&raw.type_name, raw.data).map_err(|r| fail(r, &event_id))?;
    Ok(Activity { event_id, occurred_at, data })
}

fn parse_with_path<'a>(json: &'a str) -> Result<RawEnvelope<'a>, Rejection> {
    let mut de = serde_json::Deserializer::from_str(json);
    let raw: RawEnvelope = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        if inner.is_eof() {
            // A cut-off line: no field is to blame.
            return Rejection::new("envelope", format!("the JSON ends early, the line looks truncated ({message})"));
        }
        if let Some(name) = crate::catalog::missing_field(&message) {
            return Rejection::new(name, "is required");
        }
        let field = if path == "." { "envelope".to_string() } else { path };
        Rejection::new(field, message)
    })?;
    de.end().map_err(|e| Rejection::new("envelope", format!("trailing characters after the object ({e})")))?;
    Ok(raw)
}

/// RFC 3339 with an explicit offset, stored in UTC (§1).
fn parse_timestamp(value: &str) -> Result<DateTime<Utc>, Rejection> {
    DateTime::parse_from_rfc3339(value).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        Rejection::new(
            "occurred_at",
            format!("must be an RFC 3339 timestamp with an offset, e.g. 2026-11-02T10:15:00Z ({e})"),
        )
    })
}

/// Best effort: the sender's id for an item that failed to parse, so the
/// report can name it.
fn salvage_event_id(json: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        event_id: Option<serde_json::Value>,
    }
    let id: IdOnly = serde_json::from_str(json).ok()?;
    match id.event_id? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// Parses one NDJSON line (or array element) given as bytes: invalid UTF-8 is
/// an item rejection, not a failure of the whole batch.
pub fn parse_envelope_bytes(bytes: &[u8]) -> Result<Activity, ItemRejection> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_envelope(text),
        Err(e) => Err(ItemRejection {
            event_id: None,
            rejection: Rejection::new(
                "envelope",
                format!("is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_line_blames_the_envelope() {
        let err = parse_envelope(r#"{"event_id":"x-3","type":"ticket.op"#).unwrap_err();
        assert_eq!(err.rejection.field, "envelope", "{err:?}");
        assert!(err.rejection.reason.contains("truncated"), "{err:?}");
        assert_eq!(err.event_id.as_deref(), None);
    }
}
