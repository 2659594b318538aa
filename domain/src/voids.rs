//! Voiding an event (issue 14, D20): the operator's way past an event that a
//! projector cannot fold. The log stays append-only: `log.event_voided`
//! names the position of the voided event, and every projector skips that
//! position wherever it meets it, before the void or after it, live or in a
//! replay. Aggregates are not affected: what was decided stays decided.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{EventBody, LogEvent};
use crate::validate::{Rejection, MAX_SUMMARY_CHARS};

/// The event type of a void.
pub const EVENT_VOIDED: &str = "log.event_voided";

/// `log.event_voided`: the event at `position` is skipped by every projector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventVoided {
    /// The voided event's global position.
    pub position: i64,
    /// Its CRM `event_id` (or perfledger's own), when one could be read.
    pub event_id: Option<String>,
    /// Its `event_type` column.
    pub event_type: String,
    /// Why, in the operator's words (redacted like any free text, D13).
    pub reason: String,
    /// Who voided it: a person id, a token subject or `cli:<user>`.
    pub actor: String,
}

/// The one aggregate of voids of one position: a position is voided once.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoidAggregate {
    voided: bool,
}

/// Void the event at `position` (its id and type as read from the log).
#[derive(Debug, Clone, PartialEq)]
pub struct VoidEvent {
    pub position: i64,
    pub event_id: Option<String>,
    pub event_type: String,
    pub reason: String,
    pub actor: String,
    pub occurred_at: DateTime<Utc>,
}

impl VoidAggregate {
    /// The aggregate id of the voids of `position`.
    pub fn id(position: i64) -> String {
        format!("position:{position}")
    }

    pub fn evolve(&mut self, event: &LogEvent) {
        if let EventBody::EventVoided(_) = event.body {
            self.voided = true;
        }
    }

    pub fn decide(&self, command: &VoidEvent) -> Result<LogEvent, Rejection> {
        if command.position < 1 {
            return Err(Rejection::new(
                "position",
                format!("must be a log position (1 or more); got {}", command.position),
            ));
        }
        if command.event_type == EVENT_VOIDED {
            return Err(Rejection::new("event_id", "is itself a void; a void cannot be voided"));
        }
        let reason = command.reason.trim();
        if reason.is_empty() {
            return Err(Rejection::new("reason", "is required: say why the event is voided"));
        }
        if reason.chars().count() > MAX_SUMMARY_CHARS {
            return Err(Rejection::new("reason", format!("is longer than {MAX_SUMMARY_CHARS} characters")));
        }
        if let Some(problem) = crate::validate::control_character(reason, crate::validate::FREE_TEXT_CONTROLS) {
            return Err(Rejection::new("reason", problem));
        }
        if self.voided {
            return Err(Rejection::new(
                "event_id",
                format!("the event at position {} is already voided", command.position),
            ));
        }
        Ok(LogEvent {
            event_id: format!("{EVENT_VOIDED}:{}", command.position),
            occurred_at: command.occurred_at,
            body: EventBody::EventVoided(EventVoided {
                position: command.position,
                event_id: command.event_id.clone(),
                event_type: command.event_type.clone(),
                reason: crate::redaction::redact(reason),
                actor: command.actor.clone(),
            }),
        })
    }
}
