//! Source rows → perfledger envelopes (the mapping of docs/connectors/dotmac.md).
//!
//! Pure: a row, the shadow of its entity and what the chunk's enrichment read
//! go in; envelopes, skips and the entity's new shadow come out. Nothing here
//! reads or writes a database. One module per area of DotMac: the
//! organisation (`org`), tickets, work (tasks and work orders),
//! conversations and sales (leads and quotes).

mod conversations;
mod org;
mod sales;
mod tickets;
mod work;

use std::collections::{HashMap, HashSet};
use std::fmt::Display;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::rows::SourceRow;

pub(crate) type Ts = DateTime<Utc>;

/// The last state of a DotMac entity the connector saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Shadow {
    /// The creation event was derived (and appended or refused).
    #[serde(default)]
    pub created: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// In a resolved (or terminal) state.
    #[serde(default)]
    pub resolved: bool,
    /// Resolutions derived so far (part of the ids of later ones).
    #[serde(default)]
    pub resolutions: u32,
    #[serde(default)]
    pub started: bool,
    /// Hash of a diff-only fact's last value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// One derived event.
pub(crate) struct Out {
    pub event_id: String,
    pub envelope: String,
    /// The entity it needs created first (kind, id); None for creations and org facts.
    pub parent: Option<(&'static str, String)>,
    pub row_id: String,
    /// Derived ahead of its own table's pass (a child landing before its
    /// parent's terminal event); that pass derives the same id again.
    pub ahead: bool,
}

pub(crate) struct Skip {
    pub table: &'static str,
    pub row_id: String,
    pub reason: String,
}

/// What one chunk derives.
#[derive(Default)]
pub(crate) struct Derived {
    pub outs: Vec<Out>,
    pub skips: Vec<Skip>,
    pub shadows: HashMap<(&'static str, String), Shadow>,
}

/// (note id, author, body characters, created_at).
pub(crate) type NoteChild = (String, Option<String>, i64, Ts);
/// (message id, direction, author, moment).
pub(crate) type MessageChild = (String, String, Option<String>, Ts);

/// Extra source reads for a chunk (`crate::enrich`): facts of entities seen
/// for the first time, and the children of parents that reach a terminal
/// state in this read.
#[derive(Default)]
pub(crate) struct Enrich {
    pub sla_due: HashMap<String, Ts>,
    pub channel: HashMap<String, String>,
    pub breaches: HashMap<String, Vec<(String, Ts)>>,
    pub notes: HashMap<String, Vec<NoteChild>>,
    pub messages: HashMap<String, Vec<MessageChild>>,
    pub assignments: HashMap<String, Vec<(String, Option<String>, Ts)>>,
    pub tags: HashMap<String, (Vec<String>, Ts)>,
}

/// What every derivation may consult.
pub(crate) struct Context<'a> {
    /// Everyone DotMac treats as staff (docs: "Staff only").
    pub staff: &'a HashSet<String>,
    pub enrich: &'a Enrich,
}

/// The entity a row's own events are about: their ids are
/// `dotmac:{label}:{row id}:{fact}` and their data names it as `{field}`.
pub(crate) struct Subject {
    pub label: &'static str,
    pub field: &'static str,
}

pub(crate) const TICKET: Subject = Subject { label: "ticket", field: "ticket_id" };
pub(crate) const TASK: Subject = Subject { label: "task", field: "task_id" };
pub(crate) const WORK_ORDER: Subject = Subject { label: "work_order", field: "work_order_id" };
pub(crate) const CONVERSATION: Subject = Subject { label: "conversation", field: "conversation_id" };
pub(crate) const LEAD: Subject = Subject { label: "lead", field: "lead_id" };
pub(crate) const QUOTE: Subject = Subject { label: "quote", field: "quote_id" };

/// Emits the events of one source row into a chunk's `Derived`.
pub(crate) struct Emit<'a> {
    pub table: &'static str,
    /// The source row's id (named by skips and by the events' `row_id`).
    pub id: &'a str,
    d: &'a mut Derived,
}

impl<'a> Emit<'a> {
    /// One event with a ready-made id and data.
    pub fn event(&mut self, event_id: String, type_name: &str, at: Ts, data: Value) {
        self.push(event_id, type_name, at, data, None, false);
    }

    /// A fact about the row's own entity: id `dotmac:{label}:{row id}:{fact}`,
    /// data `extra` plus the entity's id field.
    pub fn fact(&mut self, subject: &Subject, fact: impl Display, type_name: &str, at: Ts, extra: Value) {
        let id = self.id;
        let mut data = extra;
        if let Value::Object(map) = &mut data {
            map.insert(subject.field.to_string(), Value::String(id.to_string()));
        }
        self.push(format!("dotmac:{}:{id}:{fact}", subject.label), type_name, at, data, None, false);
    }

    /// The entity reached an end (`task.completed`, `lead.won`, …): id
    /// `dotmac:{label}:{row id}:{verb}` with the verb of the type.
    pub fn end(&mut self, subject: &Subject, type_name: &str, at: Ts, extra: Value) {
        let verb = type_name.rsplit('.').next().unwrap_or(type_name);
        self.fact(subject, verb, type_name, at, extra);
    }

    /// `{label}.assigned` to `assignee` when it is set and not the shadow's;
    /// true when emitted.
    pub fn assigned(&mut self, subject: &Subject, assignee: &Option<String>, shadow: &Shadow, at: Ts) -> bool {
        match assignee {
            Some(person) if shadow.assignee.as_ref() != Some(person) => {
                let type_name = format!("{}.assigned", subject.label);
                self.fact(
                    subject,
                    format!("assigned:{person}:{}", micros(at)),
                    &type_name,
                    at,
                    json!({"person_id": person}),
                );
                true
            }
            _ => false,
        }
    }

    /// An event of a child row about an entity (`parent`) that must exist first.
    pub fn of(&mut self, parent: (&'static str, &str), event_id: String, type_name: &str, at: Ts, data: Value) {
        self.push(event_id, type_name, at, data, Some((parent.0, parent.1.to_string())), false);
    }

    /// A child's event derived with its parent, ahead of the child's own pass.
    pub fn ahead(&mut self, event_id: String, type_name: &str, at: Ts, data: Value) {
        self.push(event_id, type_name, at, data, None, true);
    }

    /// A logged skip of this row that does not stop its derivation.
    pub fn skip(&mut self, reason: &str) {
        self.d.skips.push(Skip { table: self.table, row_id: self.id.to_string(), reason: reason.to_string() });
    }

    /// The entity's shadow after this row.
    pub fn shadow(&mut self, kind: &'static str, shadow: Shadow) {
        self.d.shadows.insert((kind, self.id.to_string()), shadow);
    }

    fn push(
        &mut self,
        event_id: String,
        type_name: &str,
        at: Ts,
        data: Value,
        parent: Option<(&'static str, String)>,
        ahead: bool,
    ) {
        let envelope = Envelope { event_id: &event_id, type_name, occurred_at: rfc3339(at), data: strip_nulls(data) };
        let envelope = serde_json::to_string(&envelope).expect("an envelope serializes");
        self.d.outs.push(Out { event_id, envelope, parent, row_id: self.id.to_string(), ahead });
    }
}

/// What the ingest API reads (`perfledger_domain::parse_envelope`).
#[derive(Serialize)]
struct Envelope<'a> {
    event_id: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    occurred_at: String,
    data: Value,
}

/// Turns one source row (and its entity's shadow) into events and a new
/// shadow; an error is the reason the row is skipped.
pub(crate) fn derive(
    table: &'static str,
    id: &str,
    row: Result<SourceRow, String>,
    shadow: &Shadow,
    cx: &Context<'_>,
    d: &mut Derived,
) -> Result<(), String> {
    // Grants of people who are not staff are not facts of perfledger.
    if table == "person_roles" && !cx.staff.contains(id) {
        return Ok(());
    }
    let e = &mut Emit { table, id, d };
    match row? {
        SourceRow::Team(r) => org::team(r, shadow, e),
        SourceRow::Person(r) => org::person(r, shadow, e),
        SourceRow::Member(r) => org::member(r, shadow, e),
        SourceRow::Grants(r) => org::grants(r, shadow, e),
        SourceRow::Ticket(r) => tickets::ticket(r, shadow, cx, e),
        SourceRow::Sla(r) => tickets::breach(r, e),
        SourceRow::Comment(r) => tickets::comment(r, cx, e),
        SourceRow::Rating(r) => tickets::rating(r, e),
        SourceRow::Task(r) => work::task(r, shadow, e),
        SourceRow::WorkOrder(r) => work::work_order(r, shadow, cx, e),
        SourceRow::Note(r) => work::note(r, cx, e),
        SourceRow::Conversation(r) => conversations::conversation(r, shadow, cx, e),
        SourceRow::Assignment(r) => conversations::assignment(r, e),
        SourceRow::Message(r) => conversations::message(r, cx, e),
        SourceRow::Tags(r) => conversations::tags(r, shadow, e),
        SourceRow::Lead(r) => sales::lead(r, shadow, e),
        SourceRow::Quote(r) => sales::quote(r, shadow, e),
    }
}

pub(crate) fn rfc3339(t: Ts) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn micros(t: Ts) -> i64 {
    t.timestamp_micros()
}

/// The first 16 hex digits of the SHA-256 of `parts` (each followed by a NUL).
pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The hash part of a tag set's event id.
pub(crate) fn tags_hash(tags: &[String]) -> String {
    short_hash(&[&tags.join("\u{1f}")])
}

/// Drops null members of `data`, so optional fields are absent, not null.
fn strip_nulls(mut data: Value) -> Value {
    if let Value::Object(map) = &mut data {
        map.retain(|_, v| !v.is_null());
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(table: &'static str, id: &str, raw: &str, shadow: &Shadow) -> Derived {
        let (staff, enrich) = (HashSet::from(["p1".to_string()]), Enrich::default());
        let mut d = Derived::default();
        derive(table, id, SourceRow::parse(table, raw), shadow, &Context { staff: &staff, enrich: &enrich }, &mut d)
            .unwrap();
        d
    }

    fn ids(d: &Derived) -> Vec<&str> {
        d.outs.iter().map(|o| o.event_id.as_str()).collect()
    }

    /// Ids are built from the fact (docs: "Identity of events"), never from the pull.
    #[test]
    fn a_ticket_first_seen_closed_then_reassigned_and_reopened() {
        let closed = r#"{"number": "7", "status": "closed", "priority": "normal", "channel": "email", "assignee": "p1",
            "tags": ["b", "a"], "due_at": null, "resolved_at": "2025-01-06T10:00:00Z", "closed_at": null,
            "created_at": "2025-01-06T09:00:00Z", "updated_at": "2025-01-06T11:00:00Z"}"#;
        let d = run("tickets", "t1", closed, &Shadow::default());
        let tags = tags_hash(&["a".to_string(), "b".to_string()]);
        assert_eq!(
            ids(&d),
            ["dotmac:ticket:t1:opened", &format!("dotmac:ticket:t1:tagged:{tags}"), "dotmac:ticket:t1:resolved:1"]
        );
        assert!(d.outs[0].envelope.contains(r##""reference":"#7""##), "{}", d.outs[0].envelope);
        let shadow = d.shadows[&("ticket", "t1".to_string())].clone();
        assert!(shadow.created && shadow.resolved && shadow.resolutions == 1);

        let reopened = closed
            .replace(r#""status": "closed""#, r#""status": "open""#)
            .replace(r#""assignee": "p1""#, r#""assignee": "p2""#);
        let d = run("tickets", "t1", &reopened, &shadow);
        assert_eq!(ids(&d), ["dotmac:ticket:t1:assigned:p2:1736161200000000", "dotmac:ticket:t1:reopened:1"]);
        assert!(
            d.outs[0].envelope.contains(r#""ticket_id":"t1""#) && d.outs[0].envelope.contains(r#""person_id":"p2""#)
        );
    }

    #[test]
    fn a_child_row_names_its_parent_and_a_customer_comment_is_not_credited() {
        let by = |author: &str| {
            format!(
                r#"{{"ticket_id": "t1", "author": "{author}", "body_chars": 12, "internal": false, "created_at": "2025-01-06T09:30:00Z"}}"#
            )
        };
        let d = run("ticket_comments", "c1", &by("p1"), &Shadow::default());
        assert_eq!(ids(&d), ["dotmac:ticket_comment:c1"]);
        assert_eq!(d.outs[0].parent, Some(("ticket", "t1".to_string())));
        assert!(run("ticket_comments", "c2", &by("customer"), &Shadow::default()).outs.is_empty());
    }
}
