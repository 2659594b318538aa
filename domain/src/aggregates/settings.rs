//! The settings aggregate (D10): one instance, `performance`, whose events
//! are the validated `settings.changed` of the log.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{EventBody, LogEvent};
use crate::settings::{validate_changes, SettingsChanged};
use crate::validate::{Rejection, MAX_ENTITY_ID_CHARS};

/// The id of the one settings aggregate.
pub const SETTINGS_AGGREGATE_ID: &str = "performance";

/// An admin changes some settings, in force from the start of `effective_from`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSettings {
    pub actor: String,
    pub changes: BTreeMap<String, serde_json::Value>,
    pub effective_from: NaiveDate,
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
}

/// Validation needs no history; the state only counts accepted changes.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsAggregate {
    changes_recorded: u64,
}

impl SettingsAggregate {
    /// How many `settings.changed` this aggregate holds.
    pub fn changes_recorded(&self) -> u64 {
        self.changes_recorded
    }

    /// Accepts or refuses a change; on success, the event it becomes.
    pub fn decide(&self, command: &ChangeSettings) -> Result<LogEvent, Rejection> {
        let actor_chars = command.actor.chars().count();
        if command.actor.trim().is_empty() || actor_chars > MAX_ENTITY_ID_CHARS {
            return Err(Rejection::new(
                "actor",
                format!(
                    "expected 1 to {MAX_ENTITY_ID_CHARS} characters naming who changes the settings; got {actor_chars}"
                ),
            ));
        }
        if let Some(reason) = crate::validate::control_character(&command.actor, &[]) {
            return Err(Rejection::new("actor", reason));
        }
        if command.changes.is_empty() {
            return Err(Rejection::new("settings", "expected at least one setting to change; got none"));
        }
        validate_changes(&command.changes)?;
        Ok(LogEvent {
            event_id: command.event_id.clone(),
            occurred_at: command.occurred_at,
            body: EventBody::SettingsChanged(SettingsChanged {
                actor: command.actor.clone(),
                changes: command.changes.clone(),
                effective_from: command.effective_from,
            }),
        })
    }

    /// Folds an accepted event into the state.
    pub fn evolve(&mut self, event: &LogEvent) {
        if let EventBody::SettingsChanged(_) = event.body {
            self.changes_recorded += 1;
        }
    }
}
