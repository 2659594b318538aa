//! CRM records whose completeness is scored (§2 Data quality). A record is
//! created by its first save; later saves may not predate it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{foreign, not_before, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{Activity, EventBody, LogEvent};
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    first_saved_at: Option<DateTime<Utc>>,
}

impl Entity for Contact {
    const KIND: EntityKind = EntityKind::Contact;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        let ActivityData::ContactSaved(data) = &activity.data else {
            return Err(foreign(activity, Self::KIND));
        };
        if let Some(first) = self.first_saved_at {
            not_before(first, activity, "first saved")?;
        }
        Ok(EventBody::ContactSaved(data.clone()))
    }

    fn evolve(&mut self, event: &LogEvent) {
        self.first_saved_at.get_or_insert(event.occurred_at);
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    first_saved_at: Option<DateTime<Utc>>,
}

impl Entity for Organization {
    const KIND: EntityKind = EntityKind::Organization;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        let ActivityData::OrganizationSaved(data) = &activity.data else {
            return Err(foreign(activity, Self::KIND));
        };
        if let Some(first) = self.first_saved_at {
            not_before(first, activity, "first saved")?;
        }
        Ok(EventBody::OrganizationSaved(data.clone()))
    }

    fn evolve(&mut self, event: &LogEvent) {
        self.first_saved_at.get_or_insert(event.occurred_at);
    }
}
