//! Sales leads (§2 Sales).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{entity_rejection, foreign, redacted, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Outcome {
    #[default]
    Open,
    Won,
    Lost,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    created_at: Option<DateTime<Utc>>,
    owner: Option<Uuid>,
    estimated_value: Decimal,
    outcome: Outcome,
}

impl Entity for Lead {
    const KIND: EntityKind = EntityKind::Lead;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::LeadCreated(data) = &activity.data {
            refuse_recreate(self.created_at, activity, "created")?;
            return Ok(EventBody::LeadCreated(data.clone()));
        }
        require_created(self.created_at, activity, "created")?;
        match self.outcome {
            Outcome::Won => return Err(entity_rejection(activity, "is won; no further events are accepted")),
            Outcome::Lost => return Err(entity_rejection(activity, "is lost; no further events are accepted")),
            Outcome::Open => {}
        }
        // Set by lead.created, which every later event follows.
        let owner = self.owner.unwrap_or_default();
        match &activity.data {
            ActivityData::LeadAssigned(data) => Ok(EventBody::LeadAssigned(event::LeadAssigned {
                lead_id: data.lead_id.clone(),
                person_id: data.person_id,
                estimated_value: self.estimated_value,
            })),
            ActivityData::LeadContacted(data) => Ok(EventBody::LeadContacted(data.clone())),
            ActivityData::LeadWon(data) => Ok(EventBody::LeadWon(event::LeadClosed {
                lead_id: data.lead_id.clone(),
                reason: None,
                owner_person_id: owner,
            })),
            ActivityData::LeadLost(data) => Ok(EventBody::LeadLost(event::LeadClosed {
                lead_id: data.lead_id.clone(),
                reason: redacted(&data.reason),
                owner_person_id: owner,
            })),
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::LeadCreated(d) => {
                self.created_at = Some(event.occurred_at);
                self.owner = Some(d.owner_person_id);
                self.estimated_value = d.estimated_value;
            }
            EventBody::LeadAssigned(d) => self.owner = Some(d.person_id),
            EventBody::LeadWon(_) => self.outcome = Outcome::Won,
            EventBody::LeadLost(_) => self.outcome = Outcome::Lost,
            _ => {}
        }
    }
}
