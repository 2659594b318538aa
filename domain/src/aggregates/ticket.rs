//! Support tickets (§2 Support).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{entity_rejection, foreign, redacted, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::time::minutes_between;
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    opened_at: Option<DateTime<Utc>>,
    reference: Option<String>,
    assignee: Option<Uuid>,
    sla_due_at: Option<DateTime<Utc>>,
    resolved: bool,
    ever_escalated: bool,
    tags: BTreeSet<String>,
    last_resolver: Option<Uuid>,
}

impl Ticket {
    fn require_unresolved(&self, activity: &Activity) -> Result<(), Rejection> {
        if self.resolved {
            let what = format!("is resolved; {} is refused until it is reopened", activity.data.type_name());
            return Err(entity_rejection(activity, &what));
        }
        Ok(())
    }
}

impl Entity for Ticket {
    const KIND: EntityKind = EntityKind::Ticket;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::TicketOpened(data) = &activity.data {
            refuse_recreate(self.opened_at, activity, "opened")?;
            return Ok(EventBody::TicketOpened(data.clone()));
        }
        let opened_at = require_created(self.opened_at, activity, "opened")?;
        match &activity.data {
            ActivityData::TicketAssigned(data) => {
                self.require_unresolved(activity)?;
                Ok(EventBody::TicketAssigned(data.clone()))
            }
            ActivityData::TicketEscalated(data) => {
                self.require_unresolved(activity)?;
                Ok(EventBody::TicketEscalated(event::TicketEscalated {
                    ticket_id: data.ticket_id.clone(),
                    reason: redacted(&data.reason),
                    assignee_person_id: self.assignee,
                }))
            }
            ActivityData::TicketTagged(data) => Ok(EventBody::TicketTagged(data.clone())),
            ActivityData::TicketCommented(data) => Ok(EventBody::TicketCommented(data.clone())),
            ActivityData::TicketResolved(data) => {
                self.require_unresolved(activity)?;
                let resolver = self.assignee.ok_or_else(|| {
                    entity_rejection(
                        activity,
                        "has no assignee to credit the resolution to; send ticket.assigned first",
                    )
                })?;
                Ok(EventBody::TicketResolved(event::TicketResolved {
                    ticket_id: data.ticket_id.clone(),
                    summary: redacted(&data.summary),
                    resolver_person_id: resolver,
                    resolution_minutes: minutes_between(opened_at, activity.occurred_at),
                    sla_met: self.sla_due_at.map(|due| activity.occurred_at <= due),
                    ever_escalated: self.ever_escalated,
                    tag_count: self.tags.len() as u32,
                    reference: self.reference.clone(),
                }))
            }
            ActivityData::TicketReopened(data) => {
                if !self.resolved {
                    return Err(entity_rejection(activity, "is not resolved, so it cannot be reopened"));
                }
                Ok(EventBody::TicketReopened(data.clone()))
            }
            ActivityData::TicketRated(data) => {
                let resolver = self.last_resolver.ok_or_else(|| {
                    entity_rejection(activity, "was never resolved, so there is no resolution to rate")
                })?;
                Ok(EventBody::TicketRated(event::TicketRated {
                    ticket_id: data.ticket_id.clone(),
                    rating: data.rating,
                    resolver_person_id: resolver,
                }))
            }
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::TicketOpened(d) => {
                self.opened_at = Some(event.occurred_at);
                self.reference = d.reference.clone();
                self.assignee = d.assignee_person_id;
                self.sla_due_at = d.sla_due_at;
            }
            EventBody::TicketAssigned(d) => self.assignee = Some(d.person_id),
            EventBody::TicketEscalated(_) => self.ever_escalated = true,
            EventBody::TicketTagged(d) => self.tags = d.tags.iter().cloned().collect(),
            EventBody::TicketResolved(d) => {
                self.resolved = true;
                self.last_resolver = Some(d.resolver_person_id);
            }
            EventBody::TicketReopened(_) => self.resolved = false,
            _ => {}
        }
    }
}
