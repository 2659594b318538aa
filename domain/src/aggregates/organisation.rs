//! People and teams (§2 Organisation). Upserts may repeat; a team must be
//! upserted before memberships are set on it. Who belongs where is the team
//! directory projection's business, not the aggregate's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{foreign, not_before, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{Activity, EventBody, LogEvent};
use crate::validate::Rejection;

/// A person exists from their first event of any kind; one never upserted
/// counts as active (§1), so permissions may arrive first.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    first_seen_at: Option<DateTime<Utc>>,
}

impl Entity for Person {
    const KIND: EntityKind = EntityKind::Person;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let Some(first) = self.first_seen_at {
            not_before(first, activity, "first seen")?;
        }
        match &activity.data {
            ActivityData::PersonUpserted(d) => Ok(EventBody::PersonUpserted(d.clone())),
            ActivityData::PersonPermissionsSet(d) => Ok(EventBody::PersonPermissionsSet(d.clone())),
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        self.first_seen_at.get_or_insert(event.occurred_at);
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    created_at: Option<DateTime<Utc>>,
}

impl Entity for Team {
    const KIND: EntityKind = EntityKind::Team;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        match &activity.data {
            ActivityData::TeamUpserted(d) => {
                if let Some(created) = self.created_at {
                    not_before(created, activity, "first upserted")?;
                }
                Ok(EventBody::TeamUpserted(d.clone()))
            }
            ActivityData::TeamMemberSet(d) => {
                require_created(self.created_at, activity, "upserted")?;
                Ok(EventBody::TeamMemberSet(d.clone()))
            }
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        if let EventBody::TeamUpserted(_) = &event.body {
            self.created_at.get_or_insert(event.occurred_at);
        }
    }
}
