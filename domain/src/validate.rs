//! Field rules of events-and-metrics.md §1 that serde's types cannot say:
//! lengths, ranges, non-negative amounts. Every failure names its field.

use std::fmt;

use rust_decimal::Decimal;

use crate::catalog::*;

/// Why one activity was refused: the field (a path such as `data.rating`)
/// and the reason, shown to the sender as `field: reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection { field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for Rejection {}

/// Limits of the catalog (§1) and the ones perfledger adds where it is silent
/// (docs/scoring.md "Input limits").
pub const MAX_EVENT_ID_CHARS: usize = 200;
pub const MAX_ENTITY_ID_CHARS: usize = 100;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_TEXT_CHARS: usize = 200;
pub const MAX_LIST_ITEMS: usize = 100;

pub trait Validate {
    fn validate(&self) -> Result<(), Rejection>;
}

fn chars(field: &str, value: &str, min: usize, max: usize) -> Result<(), Rejection> {
    let n = value.chars().count();
    if n < min || n > max {
        let reason = if n < min {
            format!("must not be empty (1–{max} characters)")
        } else {
            format!("is {n} characters long; at most {max} are allowed")
        };
        return Err(Rejection::new(format!("data.{field}"), reason));
    }
    Ok(())
}

fn entity_id(field: &str, value: &str) -> Result<(), Rejection> {
    chars(field, value, 1, MAX_ENTITY_ID_CHARS)
}

fn opt_text(field: &str, value: &Option<String>, max: usize) -> Result<(), Rejection> {
    match value {
        Some(v) => chars(field, v, 1, max),
        None => Ok(()),
    }
}

fn non_negative(field: &str, value: Option<Decimal>, what: &str) -> Result<(), Rejection> {
    match value {
        Some(v) if v.is_sign_negative() && !v.is_zero() => {
            Err(Rejection::new(format!("data.{field}"), format!("{what} must not be negative (got {v})")))
        }
        _ => Ok(()),
    }
}

fn string_list(field: &str, values: &[String]) -> Result<(), Rejection> {
    if values.len() > MAX_LIST_ITEMS {
        return Err(Rejection::new(
            format!("data.{field}"),
            format!("has {} items; at most {MAX_LIST_ITEMS} are allowed", values.len()),
        ));
    }
    for (i, v) in values.iter().enumerate() {
        chars(&format!("{field}[{i}]"), v, 1, MAX_ENTITY_ID_CHARS)?;
    }
    Ok(())
}

impl Validate for PersonUpserted {
    fn validate(&self) -> Result<(), Rejection> {
        chars("display_name", &self.display_name, 1, MAX_TEXT_CHARS)?;
        opt_text("title", &self.title, MAX_TEXT_CHARS)
    }
}

impl Validate for PersonPermissionsSet {
    fn validate(&self) -> Result<(), Rejection> {
        string_list("roles", &self.roles)?;
        string_list("permissions", &self.permissions)
    }
}

impl Validate for TeamUpserted {
    fn validate(&self) -> Result<(), Rejection> {
        chars("name", &self.name, 1, MAX_TEXT_CHARS)
    }
}

impl Validate for TeamMemberSet {
    fn validate(&self) -> Result<(), Rejection> {
        Ok(())
    }
}

impl Validate for TicketOpened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_text("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        opt_text("priority", &self.priority, MAX_ENTITY_ID_CHARS)?;
        opt_text("channel", &self.channel, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for TicketAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)
    }
}

impl Validate for TicketEscalated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_text("reason", &self.reason, MAX_SUMMARY_CHARS)
    }
}

impl Validate for TicketTagged {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        string_list("tags", &self.tags)
    }
}

impl Validate for TicketCommented {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)
    }
}

impl Validate for TicketResolved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        opt_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for TicketReopened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)
    }
}

impl Validate for TicketRated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("ticket_id", &self.ticket_id)?;
        if !(1..=5).contains(&self.rating) {
            return Err(Rejection::new("data.rating", format!("must be between 1 and 5 (got {})", self.rating)));
        }
        Ok(())
    }
}

impl Validate for TaskCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)?;
        entity_id("project_id", &self.project_id)?;
        opt_text("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        non_negative("estimate_hours", self.estimate_hours, "a duration")
    }
}

impl Validate for TaskAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)
    }
}

impl Validate for TaskRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)
    }
}

impl Validate for TaskCompleted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("task_id", &self.task_id)?;
        non_negative("actual_hours", self.actual_hours, "a duration")
    }
}

impl Validate for WorkOrderCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)?;
        opt_text("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        non_negative("estimated_duration_minutes", self.estimated_duration_minutes, "a duration")
    }
}

impl Validate for WorkOrderAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)
    }
}

impl Validate for WorkOrderRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)
    }
}

impl Validate for WorkOrderNoteAdded {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)
    }
}

impl Validate for WorkOrderCompleted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("work_order_id", &self.work_order_id)?;
        opt_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for ConversationOpened {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        opt_text("reference", &self.reference, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for ConversationAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationMessageSent {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)
    }
}

impl Validate for ConversationTagged {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        string_list("tags", &self.tags)
    }
}

impl Validate for ConversationResolved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("conversation_id", &self.conversation_id)?;
        opt_text("summary", &self.summary, MAX_SUMMARY_CHARS)
    }
}

impl Validate for LeadCreated {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        opt_text("reference", &self.reference, MAX_ENTITY_ID_CHARS)?;
        non_negative("estimated_value", Some(self.estimated_value), "an amount")
    }
}

impl Validate for LeadAssigned {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)
    }
}

impl Validate for LeadContacted {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        chars("channel", &self.channel, 1, MAX_ENTITY_ID_CHARS)
    }
}

impl Validate for LeadWon {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)
    }
}

impl Validate for LeadLost {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("lead_id", &self.lead_id)?;
        opt_text("reason", &self.reason, MAX_SUMMARY_CHARS)
    }
}

impl Validate for QuoteSent {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("quote_id", &self.quote_id)?;
        if let Some(lead_id) = &self.lead_id {
            entity_id("lead_id", lead_id)?;
        }
        non_negative("total", Some(self.total), "an amount")
    }
}

impl Validate for QuoteRef {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("quote_id", &self.quote_id)
    }
}

impl Validate for ContactSaved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("contact_id", &self.contact_id)?;
        string_list("filled", &self.filled)
    }
}

impl Validate for OrganizationSaved {
    fn validate(&self) -> Result<(), Rejection> {
        entity_id("organization_id", &self.organization_id)?;
        string_list("filled", &self.filled)
    }
}
