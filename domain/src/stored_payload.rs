//! Reading a stored payload in one pass when its type is already known (the
//! log's `event_type` column), the replay's hot path.
//!
//! `jsonb` prints a body's `"data"` before its `"type"`, and serde reads an
//! adjacently tagged enum whose content comes first by buffering the content
//! into a tree. With the type given up front, the data is handed to the
//! derived `EventBody` deserializer as if the tag had come first, straight
//! from the payload's own deserializer: no tree, no copy, one scan. The
//! `"type"` found in the payload must equal the type given; anything this
//! reader does not expect makes it give up (`None`), and the caller parses
//! the plain way, so errors read the same.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::event::{EventBody, LogEvent};

/// The payload parsed as an event of type `event_type`, or `None` when it is
/// not exactly that (the caller then takes the plain parser).
pub fn parse_typed(event_type: &str, payload: &str) -> Option<LogEvent> {
    let mut de = serde_json::Deserializer::from_str(payload);
    let event = Payload { event_type }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(event)
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PayloadField {
    EventId,
    OccurredAt,
    Body,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum BodyField {
    Data,
    Type,
    #[serde(other)]
    Other,
}

/// The whole payload: `{"body": …, "event_id": …, "occurred_at": …}`.
struct Payload<'t> {
    event_type: &'t str,
}

impl<'de> DeserializeSeed<'de> for Payload<'_> {
    type Value = LogEvent;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<LogEvent, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Payload<'_> {
    type Value = LogEvent;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stored event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LogEvent, A::Error> {
        let (mut event_id, mut occurred_at, mut body) = (None, None, None);
        while let Some(field) = map.next_key::<PayloadField>()? {
            match field {
                PayloadField::EventId => event_id = Some(map.next_value::<String>()?),
                PayloadField::OccurredAt => occurred_at = Some(map.next_value::<DateTime<Utc>>()?),
                PayloadField::Body => body = Some(map.next_value_seed(Body { event_type: self.event_type })?),
                PayloadField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(LogEvent {
            event_id: event_id.ok_or_else(|| A::Error::missing_field("event_id"))?,
            occurred_at: occurred_at.ok_or_else(|| A::Error::missing_field("occurred_at"))?,
            body: body.ok_or_else(|| A::Error::missing_field("body"))?,
        })
    }
}

/// The body: `{"data": …, "type": …}` in either order.
struct Body<'t> {
    event_type: &'t str,
}

impl<'de> DeserializeSeed<'de> for Body<'_> {
    type Value = EventBody;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EventBody, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Body<'_> {
    type Value = EventBody;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventBody, A::Error> {
        let (mut body, mut tag_checked) = (None, false);
        while let Some(field) = map.next_key::<BodyField>()? {
            match field {
                BodyField::Data if body.is_none() => {
                    body = Some(map.next_value_seed(Data { event_type: self.event_type })?);
                }
                BodyField::Type if !tag_checked => {
                    let tag: &str = map.next_value()?;
                    if tag != self.event_type {
                        return Err(A::Error::custom("the body's type is not the row's event_type"));
                    }
                    tag_checked = true;
                }
                _ => return Err(A::Error::custom("unexpected or repeated body key")),
            }
        }
        match (body, tag_checked) {
            (Some(body), true) => Ok(body),
            _ => Err(A::Error::custom("the body lacks its data or its type")),
        }
    }
}

/// The data, read as the content of the variant named by the type.
struct Data<'t> {
    event_type: &'t str,
}

impl<'de> DeserializeSeed<'de> for Data<'_> {
    type Value = EventBody;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EventBody, D::Error> {
        EventBody::deserialize(TagFirst { tag: self.event_type, data: deserializer })
    }
}

/// A deserializer that presents `{"type": tag, "data": <data>}`, tag first,
/// with `<data>` read from the payload's own deserializer.
struct TagFirst<'t, D> {
    tag: &'t str,
    data: D,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TagFirst<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_map(TagFirstMap { tag: self.tag, data: Some(self.data), next: 0 })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct TagFirstMap<'t, D> {
    tag: &'t str,
    data: Option<D>,
    /// 0: the tag's key is next, 1: its value, 2: the data's key, 3: its value.
    next: u8,
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for TagFirstMap<'_, D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, D::Error> {
        let key = match self.next {
            0 => "type",
            2 => "data",
            _ => return Ok(None),
        };
        self.next += 1;
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        let step = self.next;
        self.next += 1;
        match step {
            1 => seed.deserialize(self.tag.into_deserializer()),
            3 => match self.data.take() {
                Some(data) => seed.deserialize(data),
                None => Err(D::Error::custom("the data was read twice")),
            },
            _ => Err(D::Error::custom("a value was asked for before its key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // As PostgreSQL prints jsonb: shorter keys first, "data" before "type".
    const STORED: &str = r#"{"body": {"data": {"ticket_id": "T-1", "resolver_person_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "resolution_minutes": "90", "sla_met": true, "ever_escalated": true, "tag_count": 2}, "type": "ticket.resolved"}, "event_id": "e1", "occurred_at": "2026-11-02T10:00:00Z"}"#;

    #[test]
    fn reads_a_jsonb_ordered_payload_like_the_plain_parser() {
        let plain: LogEvent = serde_json::from_str(STORED).unwrap();
        assert_eq!(parse_typed("ticket.resolved", STORED), Some(plain));
    }

    #[test]
    fn reads_a_tag_first_payload_too() {
        let tag_first =
            STORED.replace(r#"{"data": {"ticket_id""#, r#"{"type": "ticket.resolved", "data": {"ticket_id""#);
        let tag_first = tag_first.replace(r#"}, "type": "ticket.resolved"}"#, "}}");
        let plain: LogEvent = serde_json::from_str(&tag_first).unwrap();
        assert_eq!(parse_typed("ticket.resolved", &tag_first), Some(plain));
    }

    #[test]
    fn gives_up_when_the_row_type_and_the_body_disagree() {
        assert_eq!(parse_typed("ticket.opened", STORED), None);
        assert_eq!(parse_typed("no.such.type", STORED), None);
    }

    #[test]
    fn gives_up_on_anything_else_the_plain_parser_would_refuse() {
        assert_eq!(parse_typed("ticket.resolved", &STORED.replace("\"90\"", "\"ninety\"")), None);
        assert_eq!(parse_typed("ticket.resolved", &format!("{STORED} trailing")), None);
        assert_eq!(parse_typed("ticket.resolved", &STORED.replace(r#", "type": "ticket.resolved""#, "")), None);
        assert_eq!(parse_typed("ticket.resolved", "[]"), None);
    }
}
