//! Builders shared by the aggregate tests: times, activities, stored events
//! and the people they name.

use chrono::{DateTime, Utc};
use perfledger_domain::{Activity, ActivityData, EventBody, LogEvent};
use uuid::Uuid;

pub const ALICE: Uuid = Uuid::from_u128(0xa11ce);
pub const BOB: Uuid = Uuid::from_u128(0xb0b);
pub const CAROL: Uuid = Uuid::from_u128(0xca201);

/// The test day, so that most times read as "09:30".
pub const DAY: &str = "2026-11-02";

/// "09:30" is that time on [`DAY`] in UTC; anything longer is an RFC 3339 timestamp.
pub fn at(s: &str) -> DateTime<Utc> {
    let full = if s.len() == 5 { format!("{DAY}T{s}:00Z") } else { s.to_string() };
    full.parse().unwrap_or_else(|e| panic!("bad test time {s:?}: {e}"))
}

/// `at(s)` as the log writes it in messages.
pub fn rfc3339(s: &str) -> String {
    at(s).to_rfc3339()
}

/// The command: one CRM activity.
pub fn activity(id: &str, when: &str, data: ActivityData) -> Activity {
    Activity { event_id: id.to_string(), occurred_at: at(when), data }
}

/// A stored event with the given (enriched) body.
pub fn event(id: &str, when: &str, body: EventBody) -> LogEvent {
    LogEvent { event_id: id.to_string(), occurred_at: at(when), body }
}

/// The stored event of an activity the log keeps exactly as the CRM sent it.
pub fn stored(id: &str, when: &str, data: ActivityData) -> LogEvent {
    event(id, when, unchanged(data))
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The body of an activity type that is stored without enrichment.
fn unchanged(data: ActivityData) -> EventBody {
    use ActivityData as A;
    use EventBody as B;
    match data {
        A::PersonUpserted(d) => B::PersonUpserted(d),
        A::PersonPermissionsSet(d) => B::PersonPermissionsSet(d),
        A::TeamUpserted(d) => B::TeamUpserted(d),
        A::TeamMemberSet(d) => B::TeamMemberSet(d),
        A::TicketOpened(d) => B::TicketOpened(d),
        A::TicketAssigned(d) => B::TicketAssigned(d),
        A::TicketTagged(d) => B::TicketTagged(d),
        A::TicketCommented(d) => B::TicketCommented(d),
        A::TicketReopened(d) => B::TicketReopened(d),
        A::TaskCreated(d) => B::TaskCreated(d),
        A::TaskAssigned(d) => B::TaskAssigned(d),
        A::WorkOrderCreated(d) => B::WorkOrderCreated(d),
        A::WorkOrderAssigned(d) => B::WorkOrderAssigned(d),
        A::WorkOrderNoteAdded(d) => B::WorkOrderNoteAdded(d),
        A::ConversationOpened(d) => B::ConversationOpened(d),
        A::ConversationMessageReceived(d) => B::ConversationMessageReceived(d),
        A::ConversationTagged(d) => B::ConversationTagged(d),
        A::LeadCreated(d) => B::LeadCreated(d),
        A::LeadContacted(d) => B::LeadContacted(d),
        A::QuoteSent(d) => B::QuoteSent(d),
        A::ContactSaved(d) => B::ContactSaved(d),
        A::OrganizationSaved(d) => B::OrganizationSaved(d),
        enriched => panic!("{} is enriched: build its stored body explicitly", enriched.type_name()),
    }
}
