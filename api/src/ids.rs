//! Ids that cannot be swapped: a person, a team, a goal and a review are all
//! UUIDs in the database, but the use cases take them as distinct types, so
//! `manages_team(person, team)` cannot be called with its arguments swapped.
//! Each is transparent to serde and sqlx (the same JSON and the same column).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The bare UUID, for a query or an event payload.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A person (`directory_people.person_id`, a token's `sub`).
    PersonId
);
id_type!(
    /// A team (`directory_teams.team_id`).
    TeamId
);
id_type!(
    /// A goal (`agent_performance_goals.id`, the Goal aggregate's id).
    GoalId
);
id_type!(
    /// A review (`agent_performance_reviews.id`).
    ReviewId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_uuid_in_json_and_text() {
        let uuid = Uuid::from_u128(7);
        let person = PersonId(uuid);
        assert_eq!(serde_json::to_value(person).unwrap(), serde_json::to_value(uuid).unwrap());
        assert_eq!(person.to_string(), uuid.to_string());
        assert_eq!(Uuid::from(TeamId::from(uuid)), uuid);
    }
}
