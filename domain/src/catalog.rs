//! What the CRM sends: the typed `data` of every activity type in
//! events-and-metrics.md §2, before perfledger enriches it.
//!
//! Every struct denies unknown fields, so a typo in the CRM is an error that
//! names the field rather than a silently dropped fact.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validate::Rejection;

/// Timestamps inside `data` follow the envelope's rule: RFC 3339 with an offset.
mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer};

    pub fn option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text).map(|t| Some(t.with_timezone(&Utc))).map_err(|e| {
            serde::de::Error::custom(format!(
                "'{text}' must be an RFC 3339 timestamp with an offset, e.g. 2026-11-02T10:15:00Z ({e})"
            ))
        })
    }
}

/// Organisation roles inside a team (D8 orders them manager > lead > member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    Member,
    Lead,
    Manager,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamType {
    Operations,
    Support,
    FieldService,
    Sales,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationChannel {
    Email,
    Whatsapp,
    FacebookMessenger,
    InstagramDm,
    ChatWidget,
    Phone,
    Sms,
}

// ---------------------------------------------------------------- organisation

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonUpserted {
    pub person_id: Uuid,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamUpserted {
    pub team_id: Uuid,
    pub name: String,
    pub team_type: TeamType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_person_id: Option<Uuid>,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberSet {
    pub team_id: Uuid,
    pub person_id: Uuid,
    pub role: TeamRole,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonPermissionsSet {
    pub person_id: Uuid,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

// ---------------------------------------------------------------- support

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketOpened {
    pub ticket_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "rfc3339::option")]
    pub sla_due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_person_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketAssigned {
    pub ticket_id: String,
    pub person_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketEscalated {
    pub ticket_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTagged {
    pub ticket_id: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketCommented {
    pub ticket_id: String,
    pub person_id: Uuid,
    pub body_chars: u32,
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketResolved {
    pub ticket_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketReopened {
    pub ticket_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketRated {
    pub ticket_id: String,
    pub rating: u8,
}

// ---------------------------------------------------------------- operations

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCreated {
    pub task_id: String,
    pub project_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "rfc3339::option")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_hours: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskAssigned {
    pub task_id: String,
    pub person_id: Uuid,
}

/// `task.blocked`, `task.unblocked` and `task.canceled` carry only the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRef {
    pub task_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCompleted {
    pub task_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_hours: Option<Decimal>,
}

// ---------------------------------------------------------------- field service

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderCreated {
    pub work_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "rfc3339::option")]
    pub scheduled_end: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_duration_minutes: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderAssigned {
    pub work_order_id: String,
    pub person_id: Uuid,
}

/// `work_order.started` and `work_order.canceled` carry only the work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderRef {
    pub work_order_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderNoteAdded {
    pub work_order_id: String,
    pub person_id: Uuid,
    pub body_chars: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrderCompleted {
    pub work_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

// ---------------------------------------------------------------- communication

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationOpened {
    pub conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub channel: ConversationChannel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationAssigned {
    pub conversation_id: String,
    pub person_id: Uuid,
}

/// `conversation.message_received` carries only the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRef {
    pub conversation_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationMessageSent {
    pub conversation_id: String,
    pub person_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationTagged {
    pub conversation_id: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationResolved {
    pub conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

// ---------------------------------------------------------------- sales

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadCreated {
    pub lead_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub owner_person_id: Uuid,
    pub estimated_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadAssigned {
    pub lead_id: String,
    pub person_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadContacted {
    pub lead_id: String,
    pub person_id: Uuid,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadWon {
    pub lead_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadLost {
    pub lead_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteSent {
    pub quote_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    pub owner_person_id: Uuid,
    pub total: Decimal,
}

/// `quote.accepted`, `quote.rejected` and `quote.expired` carry only the quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRef {
    pub quote_id: String,
}

// ---------------------------------------------------------------- data quality

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSaved {
    pub contact_id: String,
    pub editor_person_id: Uuid,
    pub filled: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSaved {
    pub organization_id: String,
    pub editor_person_id: Uuid,
    pub filled: Vec<String>,
}

/// The key fields of a contact that count for completeness (§3 Data quality).
pub const CONTACT_KEY_FIELDS: [&str; 6] = ["email", "phone", "first_name", "last_name", "city", "country_code"];
/// The key fields of an organization that count for completeness (§3 Data quality).
pub const ORGANIZATION_KEY_FIELDS: [&str; 7] = ["name", "phone", "email", "domain", "industry", "city", "country_code"];

/// The `data` of one CRM activity, by type. Parsed from the envelope with
/// [`crate::envelope::parse_activity`].
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityData {
    PersonUpserted(PersonUpserted),
    PersonPermissionsSet(PersonPermissionsSet),
    TeamUpserted(TeamUpserted),
    TeamMemberSet(TeamMemberSet),
    TicketOpened(TicketOpened),
    TicketAssigned(TicketAssigned),
    TicketEscalated(TicketEscalated),
    TicketTagged(TicketTagged),
    TicketCommented(TicketCommented),
    TicketResolved(TicketResolved),
    TicketReopened(TicketReopened),
    TicketRated(TicketRated),
    TaskCreated(TaskCreated),
    TaskAssigned(TaskAssigned),
    TaskBlocked(TaskRef),
    TaskUnblocked(TaskRef),
    TaskCompleted(TaskCompleted),
    TaskCanceled(TaskRef),
    WorkOrderCreated(WorkOrderCreated),
    WorkOrderAssigned(WorkOrderAssigned),
    WorkOrderStarted(WorkOrderRef),
    WorkOrderNoteAdded(WorkOrderNoteAdded),
    WorkOrderCompleted(WorkOrderCompleted),
    WorkOrderCanceled(WorkOrderRef),
    ConversationOpened(ConversationOpened),
    ConversationAssigned(ConversationAssigned),
    ConversationMessageReceived(ConversationRef),
    ConversationMessageSent(ConversationMessageSent),
    ConversationTagged(ConversationTagged),
    ConversationResolved(ConversationResolved),
    LeadCreated(LeadCreated),
    LeadAssigned(LeadAssigned),
    LeadContacted(LeadContacted),
    LeadWon(LeadWon),
    LeadLost(LeadLost),
    QuoteSent(QuoteSent),
    QuoteAccepted(QuoteRef),
    QuoteRejected(QuoteRef),
    QuoteExpired(QuoteRef),
    ContactSaved(ContactSaved),
    OrganizationSaved(OrganizationSaved),
}

/// The entity (aggregate) kinds of the catalog. `as_str` is the
/// `aggregate_type` column of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Person,
    Team,
    Ticket,
    Task,
    WorkOrder,
    Conversation,
    Lead,
    Quote,
    Contact,
    Organization,
}

impl EntityKind {
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Person,
        EntityKind::Team,
        EntityKind::Ticket,
        EntityKind::Task,
        EntityKind::WorkOrder,
        EntityKind::Conversation,
        EntityKind::Lead,
        EntityKind::Quote,
        EntityKind::Contact,
        EntityKind::Organization,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Team => "team",
            EntityKind::Ticket => "ticket",
            EntityKind::Task => "task",
            EntityKind::WorkOrder => "work_order",
            EntityKind::Conversation => "conversation",
            EntityKind::Lead => "lead",
            EntityKind::Quote => "quote",
            EntityKind::Contact => "contact",
            EntityKind::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where an activity is routed: the aggregate it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub id: String,
}

macro_rules! catalog_types {
    ($($variant:ident => $name:literal, $ty:ty;)*) => {
        /// Every activity type name the CRM may send, in catalog order.
        pub const ACTIVITY_TYPES: &[&str] = &[$($name),*];

        impl ActivityData {
            /// The catalog name of this activity, e.g. `ticket.resolved`.
            pub fn type_name(&self) -> &'static str {
                match self { $(ActivityData::$variant(_) => $name,)* }
            }

            /// Parses `data` for the catalog type `type_name`. Errors name the
            /// field path (`data.rating`) and the reason.
            pub fn parse(type_name: &str, data: &serde_json::value::RawValue) -> Result<Self, Rejection> {
                match type_name {
                    $($name => parse_data::<$ty>(data).map(ActivityData::$variant),)*
                    other => Err(Rejection::new("type", format!("unknown event type '{other}'"))),
                }
            }
        }
    };
}

catalog_types! {
    PersonUpserted => "person.upserted", PersonUpserted;
    PersonPermissionsSet => "person.permissions_set", PersonPermissionsSet;
    TeamUpserted => "team.upserted", TeamUpserted;
    TeamMemberSet => "team.member_set", TeamMemberSet;
    TicketOpened => "ticket.opened", TicketOpened;
    TicketAssigned => "ticket.assigned", TicketAssigned;
    TicketEscalated => "ticket.escalated", TicketEscalated;
    TicketTagged => "ticket.tagged", TicketTagged;
    TicketCommented => "ticket.commented", TicketCommented;
    TicketResolved => "ticket.resolved", TicketResolved;
    TicketReopened => "ticket.reopened", TicketReopened;
    TicketRated => "ticket.rated", TicketRated;
    TaskCreated => "task.created", TaskCreated;
    TaskAssigned => "task.assigned", TaskAssigned;
    TaskBlocked => "task.blocked", TaskRef;
    TaskUnblocked => "task.unblocked", TaskRef;
    TaskCompleted => "task.completed", TaskCompleted;
    TaskCanceled => "task.canceled", TaskRef;
    WorkOrderCreated => "work_order.created", WorkOrderCreated;
    WorkOrderAssigned => "work_order.assigned", WorkOrderAssigned;
    WorkOrderStarted => "work_order.started", WorkOrderRef;
    WorkOrderNoteAdded => "work_order.note_added", WorkOrderNoteAdded;
    WorkOrderCompleted => "work_order.completed", WorkOrderCompleted;
    WorkOrderCanceled => "work_order.canceled", WorkOrderRef;
    ConversationOpened => "conversation.opened", ConversationOpened;
    ConversationAssigned => "conversation.assigned", ConversationAssigned;
    ConversationMessageReceived => "conversation.message_received", ConversationRef;
    ConversationMessageSent => "conversation.message_sent", ConversationMessageSent;
    ConversationTagged => "conversation.tagged", ConversationTagged;
    ConversationResolved => "conversation.resolved", ConversationResolved;
    LeadCreated => "lead.created", LeadCreated;
    LeadAssigned => "lead.assigned", LeadAssigned;
    LeadContacted => "lead.contacted", LeadContacted;
    LeadWon => "lead.won", LeadWon;
    LeadLost => "lead.lost", LeadLost;
    QuoteSent => "quote.sent", QuoteSent;
    QuoteAccepted => "quote.accepted", QuoteRef;
    QuoteRejected => "quote.rejected", QuoteRef;
    QuoteExpired => "quote.expired", QuoteRef;
    ContactSaved => "contact.saved", ContactSaved;
    OrganizationSaved => "organization.saved", OrganizationSaved;
}

fn parse_data<T: serde::de::DeserializeOwned + crate::validate::Validate>(
    data: &serde_json::value::RawValue,
) -> Result<T, Rejection> {
    // serde would read a struct from an array too; the catalog says object.
    if !data.get().trim_start().starts_with('{') {
        return Err(Rejection::new("data", "must be a JSON object"));
    }
    // The fast path; the path-tracking parser only runs to explain a failure.
    if let Ok(value) = serde_json::from_str::<T>(data.get()) {
        value.validate()?;
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(data.get());
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let parent = if path == "." { "data".to_string() } else { format!("data.{path}") };
        let message = strip_position(&err.into_inner().to_string());
        match missing_field(&message) {
            Some(name) => Rejection::new(format!("{parent}.{name}"), "is required"),
            None => Rejection::new(parent, message),
        }
    })?;
    value.validate()?;
    Ok(value)
}

/// serde names a missing field on its parent object; perfledger names the field.
pub(crate) fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// serde_json appends " at line 1 column 42", which means nothing to a CRM
/// engineer once the field path is named.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl ActivityData {
    /// The timestamp inside `data` (every type has at most one), by field
    /// name: checked against the receipt window by
    /// [`crate::validate::OccurredWindow`].
    pub fn timestamp(&self) -> Option<(&'static str, DateTime<Utc>)> {
        let (field, value) = match self {
            ActivityData::TicketOpened(d) => ("sla_due_at", d.sla_due_at),
            ActivityData::TaskCreated(d) => ("due_at", d.due_at),
            ActivityData::WorkOrderCreated(d) => ("scheduled_end", d.scheduled_end),
            _ => return None,
        };
        value.map(|v| (field, v))
    }
}

impl ActivityData {
    /// Whether this activity brings its entity into existence, so that a
    /// second one for the same id is refused (§1).
    pub fn creates_entity(&self) -> bool {
        matches!(
            self,
            ActivityData::TicketOpened(_)
                | ActivityData::TaskCreated(_)
                | ActivityData::WorkOrderCreated(_)
                | ActivityData::ConversationOpened(_)
                | ActivityData::LeadCreated(_)
                | ActivityData::QuoteSent(_)
        )
    }

    /// The aggregate this activity is routed to.
    pub fn entity(&self) -> EntityRef {
        use ActivityData::*;
        let (kind, id) = match self {
            PersonUpserted(d) => (EntityKind::Person, d.person_id.to_string()),
            PersonPermissionsSet(d) => (EntityKind::Person, d.person_id.to_string()),
            TeamUpserted(d) => (EntityKind::Team, d.team_id.to_string()),
            TeamMemberSet(d) => (EntityKind::Team, d.team_id.to_string()),
            TicketOpened(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketAssigned(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketEscalated(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketTagged(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketCommented(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketResolved(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketReopened(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TicketRated(d) => (EntityKind::Ticket, d.ticket_id.clone()),
            TaskCreated(d) => (EntityKind::Task, d.task_id.clone()),
            TaskAssigned(d) => (EntityKind::Task, d.task_id.clone()),
            TaskBlocked(d) | TaskUnblocked(d) | TaskCanceled(d) => (EntityKind::Task, d.task_id.clone()),
            TaskCompleted(d) => (EntityKind::Task, d.task_id.clone()),
            WorkOrderCreated(d) => (EntityKind::WorkOrder, d.work_order_id.clone()),
            WorkOrderAssigned(d) => (EntityKind::WorkOrder, d.work_order_id.clone()),
            WorkOrderStarted(d) | WorkOrderCanceled(d) => (EntityKind::WorkOrder, d.work_order_id.clone()),
            WorkOrderNoteAdded(d) => (EntityKind::WorkOrder, d.work_order_id.clone()),
            WorkOrderCompleted(d) => (EntityKind::WorkOrder, d.work_order_id.clone()),
            ConversationOpened(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            ConversationAssigned(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            ConversationMessageReceived(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            ConversationMessageSent(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            ConversationTagged(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            ConversationResolved(d) => (EntityKind::Conversation, d.conversation_id.clone()),
            LeadCreated(d) => (EntityKind::Lead, d.lead_id.clone()),
            LeadAssigned(d) => (EntityKind::Lead, d.lead_id.clone()),
            LeadContacted(d) => (EntityKind::Lead, d.lead_id.clone()),
            LeadWon(d) => (EntityKind::Lead, d.lead_id.clone()),
            LeadLost(d) => (EntityKind::Lead, d.lead_id.clone()),
            QuoteSent(d) => (EntityKind::Quote, d.quote_id.clone()),
            QuoteAccepted(d) | QuoteRejected(d) | QuoteExpired(d) => (EntityKind::Quote, d.quote_id.clone()),
            ContactSaved(d) => (EntityKind::Contact, d.contact_id.clone()),
            OrganizationSaved(d) => (EntityKind::Organization, d.organization_id.clone()),
        };
        EntityRef { kind, id }
    }
}
