//! Sales quotes (§2 Sales).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{entity_rejection, foreign, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    sent_at: Option<DateTime<Utc>>,
    owner: Option<Uuid>,
    /// `accepted`, `rejected` or `expired` once the quote is closed.
    outcome: Option<String>,
}

impl Entity for Quote {
    const KIND: EntityKind = EntityKind::Quote;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::QuoteSent(data) = &activity.data {
            refuse_recreate(self.sent_at, activity, "sent")?;
            return Ok(EventBody::QuoteSent(data.clone()));
        }
        require_created(self.sent_at, activity, "sent")?;
        if let Some(outcome) = &self.outcome {
            return Err(entity_rejection(activity, &format!("is {outcome}; no further events are accepted")));
        }
        let closed = |quote_id: &String| event::QuoteClosed {
            quote_id: quote_id.clone(),
            owner_person_id: self.owner.unwrap_or_default(),
        };
        match &activity.data {
            ActivityData::QuoteAccepted(d) => Ok(EventBody::QuoteAccepted(closed(&d.quote_id))),
            ActivityData::QuoteRejected(d) => Ok(EventBody::QuoteRejected(closed(&d.quote_id))),
            ActivityData::QuoteExpired(d) => Ok(EventBody::QuoteExpired(closed(&d.quote_id))),
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::QuoteSent(d) => {
                self.sent_at = Some(event.occurred_at);
                self.owner = Some(d.owner_person_id);
            }
            EventBody::QuoteAccepted(_) => self.outcome = Some("accepted".into()),
            EventBody::QuoteRejected(_) => self.outcome = Some("rejected".into()),
            EventBody::QuoteExpired(_) => self.outcome = Some("expired".into()),
            _ => {}
        }
    }
}
