//! What the log stores: one [`LogEvent`] per accepted activity, carrying the
//! CRM's data plus every fact a projection needs (D4), so that projections are
//! pure folds and replay needs no other state.
//!
//! The payload column holds `{"event_id", "occurred_at", "body": {"type", "data"}}`;
//! `event_type` is the catalog name and `event_version` is [`EVENT_VERSION`].

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{self, ActivityData, ConversationChannel};
use crate::goals::{GoalCanceled, GoalCreated, GoalSettled, GoalUpdated};
use crate::period::PeriodClosed;
use crate::reviews::{ReviewAcknowledged, ReviewFailed, ReviewGenerated, ReviewRequested};
use crate::settings::SettingsChanged;

/// Version of the events written today whose shape never changed (D5: a
/// new shape is a new version with an upcaster, never a rewrite of the log).
pub const EVENT_VERSION: &str = "1";

/// `ticket.resolved` version 2 renamed `was_escalated` to `ever_escalated`
/// (it counts escalations before a reopen too). Version 1 rows are upcast
/// on read by [`decode`].
pub const TICKET_RESOLVED_VERSION: &str = "2";

/// The version written today for an event type.
pub fn version_of(type_name: &str) -> &'static str {
    match type_name {
        "ticket.resolved" => TICKET_RESOLVED_VERSION,
        _ => EVENT_VERSION,
    }
}

/// One CRM activity as the sender described it, routed to its aggregate:
/// the command of every catalog aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub data: ActivityData,
}

/// One accepted activity, enriched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEvent {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub body: EventBody,
}

impl cqrs_es::DomainEvent for LogEvent {
    fn event_type(&self) -> String {
        self.body.type_name().to_string()
    }

    fn event_version(&self) -> String {
        version_of(self.body.type_name()).to_string()
    }
}

// ------------------------------------------------- enriched shapes (D4, §2)

/// `ticket.escalated` plus the assignee at that moment ("escalated while p is assignee").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEscalated {
    pub ticket_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub assignee_person_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketResolved {
    pub ticket_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub resolver_person_id: Uuid,
    /// From the original `ticket.opened`, also after a reopen.
    pub resolution_minutes: Decimal,
    /// Resolved at or before `sla_due_at`; null when none was set.
    pub sla_met: Option<bool>,
    /// Escalated at any time before this resolution, also before a reopen
    /// (version 1 called it `was_escalated`).
    pub ever_escalated: bool,
    pub tag_count: u32,
    /// Kept so the dashboards can show a sample with its reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// `ticket.rated`, credited to the ticket's last resolver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRated {
    pub ticket_id: String,
    pub rating: u8,
    pub resolver_person_id: Uuid,
}

/// `task.blocked`, `task.unblocked`, `task.canceled` plus the assignee at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatusChanged {
    pub task_id: String,
    pub assignee_person_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskCompleted {
    pub task_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_hours: Option<Decimal>,
    /// The assignee at completion; null when the task had none (nobody is credited).
    pub completer_person_id: Option<Uuid>,
    pub on_time: Option<bool>,
    pub effort_accuracy: Option<Decimal>,
}

/// `work_order.started`, `work_order.canceled` plus the assignee at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrderStatusChanged {
    pub work_order_id: String,
    pub assignee_person_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrderCompleted {
    pub work_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub completer_person_id: Option<Uuid>,
    pub delay_minutes: Option<Decimal>,
    pub duration_accuracy: Option<Decimal>,
    pub has_notes: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// `conversation.assigned` plus the conversation's channel (channel coverage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationAssigned {
    pub conversation_id: String,
    pub person_id: Uuid,
    pub channel: ConversationChannel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationMessageSent {
    pub conversation_id: String,
    pub person_id: Uuid,
    pub channel: ConversationChannel,
    /// Present when this message answered one or more waiting customer
    /// messages: minutes from the earliest of them.
    pub first_response_minutes: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationResolved {
    pub conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub resolver_person_id: Option<Uuid>,
    /// From the first customer message, or from opened when there was none.
    pub resolution_minutes: Decimal,
    pub tag_count: u32,
    pub channel: ConversationChannel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// `lead.assigned` plus the lead's estimated value at that moment (pipeline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadAssigned {
    pub lead_id: String,
    pub person_id: Uuid,
    pub estimated_value: Decimal,
}

/// `lead.won`, `lead.lost` plus the lead's owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadClosed {
    pub lead_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub owner_person_id: Uuid,
}

/// `quote.accepted`, `quote.rejected`, `quote.expired` plus the quote's owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteClosed {
    pub quote_id: String,
    pub owner_person_id: Uuid,
}

/// The stored body, tagged by catalog type name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventBody {
    #[serde(rename = "person.upserted")]
    PersonUpserted(catalog::PersonUpserted),
    #[serde(rename = "person.permissions_set")]
    PersonPermissionsSet(catalog::PersonPermissionsSet),
    #[serde(rename = "team.upserted")]
    TeamUpserted(catalog::TeamUpserted),
    #[serde(rename = "team.member_set")]
    TeamMemberSet(catalog::TeamMemberSet),
    #[serde(rename = "ticket.opened")]
    TicketOpened(catalog::TicketOpened),
    #[serde(rename = "ticket.assigned")]
    TicketAssigned(catalog::TicketAssigned),
    #[serde(rename = "ticket.escalated")]
    TicketEscalated(TicketEscalated),
    #[serde(rename = "ticket.tagged")]
    TicketTagged(catalog::TicketTagged),
    #[serde(rename = "ticket.commented")]
    TicketCommented(catalog::TicketCommented),
    #[serde(rename = "ticket.resolved")]
    TicketResolved(TicketResolved),
    #[serde(rename = "ticket.reopened")]
    TicketReopened(catalog::TicketReopened),
    #[serde(rename = "ticket.rated")]
    TicketRated(TicketRated),
    #[serde(rename = "task.created")]
    TaskCreated(catalog::TaskCreated),
    #[serde(rename = "task.assigned")]
    TaskAssigned(catalog::TaskAssigned),
    #[serde(rename = "task.blocked")]
    TaskBlocked(TaskStatusChanged),
    #[serde(rename = "task.unblocked")]
    TaskUnblocked(TaskStatusChanged),
    #[serde(rename = "task.completed")]
    TaskCompleted(TaskCompleted),
    #[serde(rename = "task.canceled")]
    TaskCanceled(TaskStatusChanged),
    #[serde(rename = "work_order.created")]
    WorkOrderCreated(catalog::WorkOrderCreated),
    #[serde(rename = "work_order.assigned")]
    WorkOrderAssigned(catalog::WorkOrderAssigned),
    #[serde(rename = "work_order.started")]
    WorkOrderStarted(WorkOrderStatusChanged),
    #[serde(rename = "work_order.note_added")]
    WorkOrderNoteAdded(catalog::WorkOrderNoteAdded),
    #[serde(rename = "work_order.completed")]
    WorkOrderCompleted(WorkOrderCompleted),
    #[serde(rename = "work_order.canceled")]
    WorkOrderCanceled(WorkOrderStatusChanged),
    #[serde(rename = "conversation.opened")]
    ConversationOpened(catalog::ConversationOpened),
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned(ConversationAssigned),
    #[serde(rename = "conversation.message_received")]
    ConversationMessageReceived(catalog::ConversationRef),
    #[serde(rename = "conversation.message_sent")]
    ConversationMessageSent(ConversationMessageSent),
    #[serde(rename = "conversation.tagged")]
    ConversationTagged(catalog::ConversationTagged),
    #[serde(rename = "conversation.resolved")]
    ConversationResolved(ConversationResolved),
    #[serde(rename = "lead.created")]
    LeadCreated(catalog::LeadCreated),
    #[serde(rename = "lead.assigned")]
    LeadAssigned(LeadAssigned),
    #[serde(rename = "lead.contacted")]
    LeadContacted(catalog::LeadContacted),
    #[serde(rename = "lead.won")]
    LeadWon(LeadClosed),
    #[serde(rename = "lead.lost")]
    LeadLost(LeadClosed),
    #[serde(rename = "quote.sent")]
    QuoteSent(catalog::QuoteSent),
    #[serde(rename = "quote.accepted")]
    QuoteAccepted(QuoteClosed),
    #[serde(rename = "quote.rejected")]
    QuoteRejected(QuoteClosed),
    #[serde(rename = "quote.expired")]
    QuoteExpired(QuoteClosed),
    #[serde(rename = "contact.saved")]
    ContactSaved(catalog::ContactSaved),
    #[serde(rename = "organization.saved")]
    OrganizationSaved(catalog::OrganizationSaved),
    // perfledger's own commands (§2): never accepted from the CRM.
    #[serde(rename = "settings.changed")]
    SettingsChanged(SettingsChanged),
    #[serde(rename = "period.closed")]
    PeriodClosed(PeriodClosed),
    #[serde(rename = "goal.created")]
    GoalCreated(GoalCreated),
    #[serde(rename = "goal.updated")]
    GoalUpdated(GoalUpdated),
    #[serde(rename = "goal.canceled")]
    GoalCanceled(GoalCanceled),
    #[serde(rename = "goal.achieved")]
    GoalAchieved(GoalSettled),
    #[serde(rename = "goal.missed")]
    GoalMissed(GoalSettled),
    #[serde(rename = "review.requested")]
    ReviewRequested(ReviewRequested),
    #[serde(rename = "review.generated")]
    ReviewGenerated(ReviewGenerated),
    #[serde(rename = "review.failed")]
    ReviewFailed(ReviewFailed),
    #[serde(rename = "review.acknowledged")]
    ReviewAcknowledged(ReviewAcknowledged),
    #[serde(rename = "log.event_voided")]
    EventVoided(crate::voids::EventVoided),
}

impl EventBody {
    /// The catalog name, identical to the activity type it was accepted from.
    pub fn type_name(&self) -> &'static str {
        use EventBody::*;
        match self {
            PersonUpserted(_) => "person.upserted",
            PersonPermissionsSet(_) => "person.permissions_set",
            TeamUpserted(_) => "team.upserted",
            TeamMemberSet(_) => "team.member_set",
            TicketOpened(_) => "ticket.opened",
            TicketAssigned(_) => "ticket.assigned",
            TicketEscalated(_) => "ticket.escalated",
            TicketTagged(_) => "ticket.tagged",
            TicketCommented(_) => "ticket.commented",
            TicketResolved(_) => "ticket.resolved",
            TicketReopened(_) => "ticket.reopened",
            TicketRated(_) => "ticket.rated",
            TaskCreated(_) => "task.created",
            TaskAssigned(_) => "task.assigned",
            TaskBlocked(_) => "task.blocked",
            TaskUnblocked(_) => "task.unblocked",
            TaskCompleted(_) => "task.completed",
            TaskCanceled(_) => "task.canceled",
            WorkOrderCreated(_) => "work_order.created",
            WorkOrderAssigned(_) => "work_order.assigned",
            WorkOrderStarted(_) => "work_order.started",
            WorkOrderNoteAdded(_) => "work_order.note_added",
            WorkOrderCompleted(_) => "work_order.completed",
            WorkOrderCanceled(_) => "work_order.canceled",
            ConversationOpened(_) => "conversation.opened",
            ConversationAssigned(_) => "conversation.assigned",
            ConversationMessageReceived(_) => "conversation.message_received",
            ConversationMessageSent(_) => "conversation.message_sent",
            ConversationTagged(_) => "conversation.tagged",
            ConversationResolved(_) => "conversation.resolved",
            LeadCreated(_) => "lead.created",
            LeadAssigned(_) => "lead.assigned",
            LeadContacted(_) => "lead.contacted",
            LeadWon(_) => "lead.won",
            LeadLost(_) => "lead.lost",
            QuoteSent(_) => "quote.sent",
            QuoteAccepted(_) => "quote.accepted",
            QuoteRejected(_) => "quote.rejected",
            QuoteExpired(_) => "quote.expired",
            ContactSaved(_) => "contact.saved",
            OrganizationSaved(_) => "organization.saved",
            SettingsChanged(_) => "settings.changed",
            PeriodClosed(_) => "period.closed",
            GoalCreated(_) => "goal.created",
            GoalUpdated(_) => "goal.updated",
            GoalCanceled(_) => "goal.canceled",
            GoalAchieved(_) => "goal.achieved",
            GoalMissed(_) => "goal.missed",
            ReviewRequested(_) => "review.requested",
            ReviewGenerated(_) => "review.generated",
            ReviewFailed(_) => "review.failed",
            ReviewAcknowledged(_) => "review.acknowledged",
            EventVoided(_) => "log.event_voided",
        }
    }
}

/// Why a stored row could not be read back as a [`LogEvent`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("event version {0} is not known to this build of perfledger")]
    UnknownVersion(String),
    #[error("payload does not match the catalog: {0}")]
    Payload(#[from] serde_json::Error),
}

/// Reads a stored payload back, upcasting older versions on the way (D5).
/// Version 1 is current for every type but `ticket.resolved`, whose version
/// 1 rows go through [`upcast_ticket_resolved_v1`]. `event_type` is the
/// log's column of that name: with it, a payload of the type's current
/// version is read in one pass ([`crate::stored_payload::parse_typed`]);
/// anything that reader gives up on is parsed the plain way, so results and
/// errors are the same.
pub fn decode(event_type: &str, event_version: &str, payload: &str) -> Result<LogEvent, DecodeError> {
    let payload = &*scrub_nul_escapes(payload);
    if event_version != EVENT_VERSION && event_version != TICKET_RESOLVED_VERSION {
        return Err(DecodeError::UnknownVersion(event_version.to_string()));
    }
    if event_version == version_of(event_type) {
        if let Some(event) = crate::stored_payload::parse_typed(event_type, payload) {
            return Ok(event);
        }
    }
    match serde_json::from_str(payload) {
        Ok(event) => Ok(event),
        // Only an old ticket.resolved fails the current shape: upcast it.
        Err(e) if event_version == EVENT_VERSION && event_type == "ticket.resolved" => {
            let mut value: serde_json::Value = serde_json::from_str(payload)?;
            if value["body"]["type"] != "ticket.resolved" {
                return Err(e.into());
            }
            upcast_ticket_resolved_v1(&mut value);
            Ok(serde_json::from_value(value)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// A log written before the input rules (issue 14) may hold `\u0000` in a
/// string. PostgreSQL's `jsonb` and `text` refuse NUL, so every projector
/// writing that string would fail on it forever. Every reader sees it as
/// U+FFFD instead: the same answer on every replay, and nothing to stop on.
/// Borrows when there is nothing to replace (every event written today).
pub fn scrub_nul_escapes(payload: &str) -> std::borrow::Cow<'_, str> {
    const NUL: &str = "\\u0000";
    if !payload.contains(NUL) {
        return std::borrow::Cow::Borrowed(payload);
    }
    let bytes = payload.as_bytes();
    let mut out = String::with_capacity(payload.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = payload[from..].find(NUL) {
        let at = from + found;
        // An escape only when the backslash is not itself escaped: an odd
        // run of backslashes ends at `at`.
        let run = bytes[..=at].iter().rev().take_while(|b| **b == b'\\').count();
        if run % 2 == 1 {
            out.push_str(&payload[copied..at]);
            out.push_str("\\uFFFD");
            copied = at + NUL.len();
        }
        from = at + NUL.len();
    }
    out.push_str(&payload[copied..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod scrub_tests {
    use super::scrub_nul_escapes;

    #[test]
    fn nul_escapes_become_replacement_characters_and_nothing_else_changes() {
        assert_eq!(scrub_nul_escapes(r#"{"a":"Eve\u0000Null"}"#), r#"{"a":"Eve\uFFFDNull"}"#);
        assert!(matches!(scrub_nul_escapes(r#"{"a":"plain"}"#), std::borrow::Cow::Borrowed(_)));
        // A literal backslash followed by "u0000" is text, not an escape.
        assert_eq!(scrub_nul_escapes(r#"{"a":"C:\\u0000"}"#), r#"{"a":"C:\\u0000"}"#);
        assert_eq!(scrub_nul_escapes(r#"["\\\u0000"]"#), r#"["\\\uFFFD"]"#);
        let value: serde_json::Value = serde_json::from_str(&scrub_nul_escapes(r#"{"a":"x\u0000"}"#)).unwrap();
        assert_eq!(value["a"], "x\u{FFFD}");
    }
}

/// `ticket.resolved` v1 → v2: `was_escalated` is now `ever_escalated`.
pub fn upcast_ticket_resolved_v1(event: &mut serde_json::Value) {
    if let Some(data) = event.get_mut("body").and_then(|b| b.get_mut("data")).and_then(|d| d.as_object_mut()) {
        if let Some(escalated) = data.remove("was_escalated") {
            data.insert("ever_escalated".to_string(), escalated);
        }
    }
}

#[cfg(test)]
mod upcasting_tests {
    use super::*;

    const V2: &str = r#"{"event_id":"e1","occurred_at":"2026-11-02T10:00:00Z","body":{"type":"ticket.resolved","data":{"ticket_id":"T-1","resolver_person_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","resolution_minutes":"90","sla_met":true,"ever_escalated":true,"tag_count":2}}}"#;

    #[test]
    fn ticket_resolved_v1_is_upcast_to_the_v2_event() {
        let v1 = V2.replace("ever_escalated", "was_escalated");
        let old = decode("ticket.resolved", "1", &v1).expect("a v1 ticket.resolved decodes");
        let new = decode("ticket.resolved", "2", V2).expect("a v2 ticket.resolved decodes");
        assert_eq!(old, new);
        match &old.body {
            EventBody::TicketResolved(r) => assert!(r.ever_escalated),
            other => panic!("expected ticket.resolved, got {other:?}"),
        }
    }

    #[test]
    fn versions_written_today() {
        assert_eq!(version_of("ticket.resolved"), "2");
        assert_eq!(version_of("ticket.opened"), "1");
        assert!(matches!(decode("ticket.resolved", "3", V2), Err(DecodeError::UnknownVersion(v)) if v == "3"));
        // A v1 payload of another type that does not parse is an error, not an upcast.
        assert!(decode("ticket.opened", "1", r#"{"body":{"type":"ticket.opened","data":{}}}"#).is_err());
    }

    /// The payload as `jsonb` prints it: keys sorted by length, then bytes
    /// (`serde_json::Value` sorts bytewise; the keys that matter here, a
    /// body's `data` and `type`, have equal length, so both put `data` first).
    fn as_jsonb_prints(event: &LogEvent) -> String {
        let text = serde_json::to_value(event).expect("serialises").to_string();
        assert!(text.find("\"data\"") < text.find("\"type\""), "content first, as jsonb prints it: {text}");
        text
    }

    #[test]
    fn content_first_payloads_decode_to_the_same_event() {
        let payloads = [
            V2,
            r#"{"event_id":"e2","occurred_at":"2026-11-02T11:00:00Z","body":{"type":"ticket.opened","data":{"ticket_id":"T-\"2","priority":"high","channel":"a \u00e9 b"}}}"#,
            r#"{"event_id":"e3","occurred_at":"2026-11-03T08:00:00.123456Z","body":{"type":"task.completed","data":{"task_id":"K-1","completer_person_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","on_time":null,"effort_accuracy":"0.75"}}}"#,
        ];
        for payload in payloads {
            let expected: LogEvent = serde_json::from_str(payload).expect("the fixture is a valid stored event");
            let kind = expected.body.type_name();
            let decoded =
                decode(kind, version_of(kind), &as_jsonb_prints(&expected)).expect("a stored payload decodes");
            assert_eq!(decoded, expected);
        }
    }

    #[test]
    fn a_bad_payload_reads_the_plain_parser_error() {
        let bad = r#"{"event_id":"e1","occurred_at":"2026-11-02T10:00:00Z","body":{"data":{"ticket_id":"T-1"},"type":"ticket.resolved"}}"#;
        let plain = serde_json::from_str::<LogEvent>(bad).expect_err("a resolution without its facts is refused");
        let decoded = decode("ticket.resolved", "2", bad).expect_err("refused as well");
        assert_eq!(decoded.to_string(), DecodeError::Payload(plain).to_string());
    }
}
