//! The settings aggregate (D10): one instance, `performance`, whose events
//! are the validated `settings.changed` of the log.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{EventBody, LogEvent};
use crate::settings::{validate_changes, SettingsChanged};
use crate::validate::{Rejection, MAX_ENTITY_ID_CHARS};

/// The longest `reason` a settings change may carry, in characters.
pub const MAX_SETTINGS_REASON_CHARS: usize = 500;

/// How far after the command's own date a change may take effect: a year
/// and a day, so "from next January" works and a typo (2062) does not.
pub const MAX_EFFECTIVE_DAYS_AHEAD: u64 = 366;

/// The earliest `effective_from`: the start of the `occurred_at` window
/// (nothing is scored before it; weeks are marked from it at the earliest).
pub const EARLIEST_EFFECTIVE_FROM: NaiveDate = crate::validate::DEFAULT_EARLIEST_DAY;

/// The latest `effective_from` a change recorded at `occurred_at` may have.
pub fn latest_effective_from(occurred_at: DateTime<Utc>) -> NaiveDate {
    occurred_at.date_naive().checked_add_days(chrono::Days::new(MAX_EFFECTIVE_DAYS_AHEAD)).unwrap_or(NaiveDate::MAX)
}

/// Checks a change's `reason`: one line of at most
/// [`MAX_SETTINGS_REASON_CHARS`] characters, no control characters, not
/// blank. Returns it trimmed and redacted (the log never holds raw free
/// text: `domain::redaction`).
pub fn check_reason(reason: &str) -> Result<String, Rejection> {
    let trimmed = reason.trim();
    if trimmed.is_empty() {
        return Err(Rejection::new("reason", "expected a few words saying why the settings change; got a blank text"));
    }
    // Counted as given, so the bound is the one the API documents.
    let n = reason.chars().count();
    if n > MAX_SETTINGS_REASON_CHARS {
        return Err(Rejection::new(
            "reason",
            format!("expected at most {MAX_SETTINGS_REASON_CHARS} characters; got {n}"),
        ));
    }
    if let Some(why) = crate::validate::control_character(reason, &[]) {
        return Err(Rejection::new("reason", why));
    }
    Ok(crate::redaction::redact(trimmed))
}

/// The id of the one settings aggregate.
pub const SETTINGS_AGGREGATE_ID: &str = "performance";

/// An admin changes some settings, in force from the start of `effective_from`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSettings {
    pub actor: String,
    pub changes: BTreeMap<String, serde_json::Value>,
    pub effective_from: NaiveDate,
    /// Why (issue 16); `None` only from the CLI without `--reason`.
    pub reason: Option<String>,
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
        if command.effective_from < EARLIEST_EFFECTIVE_FROM {
            return Err(Rejection::new(
                "effective_from",
                format!(
                    "expected a date from {EARLIEST_EFFECTIVE_FROM} on (nothing is scored before it); got {}",
                    command.effective_from
                ),
            ));
        }
        let latest = latest_effective_from(command.occurred_at);
        if command.effective_from > latest {
            return Err(Rejection::new(
                "effective_from",
                format!(
                    "expected a date at most {MAX_EFFECTIVE_DAYS_AHEAD} days ahead, by {latest}; got {}",
                    command.effective_from
                ),
            ));
        }
        let reason = command.reason.as_deref().map(check_reason).transpose()?;
        validate_changes(&command.changes)?;
        Ok(LogEvent {
            event_id: command.event_id.clone(),
            occurred_at: command.occurred_at,
            body: EventBody::SettingsChanged(SettingsChanged {
                actor: command.actor.clone(),
                changes: command.changes.clone(),
                effective_from: command.effective_from,
                reason,
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
