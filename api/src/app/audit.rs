//! History and audit (issue 16 item 5), admins only: every settings change
//! with the values before and after it per key, and the audit log filtered
//! by actor, action and date. The JSON routes (`crate::performance::audit`),
//! their CSV exports and the pages (`crate::web::audit`) all call these.
//!
//! Decisions:
//! - **Before and after.** A change's "before" for a key is the value in
//!   force for that key on the change's `effective_from`, just before the
//!   change was recorded: the defaults with every earlier-recorded change
//!   effective on or before that day applied in log order, exactly what
//!   `SettingsHistory::in_force_at` folds (D10). "After" is the change's own
//!   value, which wins from that day on since it is the latest recorded. So
//!   with effective dates out of order, a backdated change shows what it
//!   replaced on its own day, not what the previous change in the log set
//!   for a later day.
//! - **Secrets** (`SECRET_SETTING_KEYS`: `vllm_api_key`) are never shown:
//!   before and after are `"set"` or `"unset"`, and `secret_change` says
//!   `set`, `unset`, `changed` or `unchanged`.
//! - **Order.** Both lists are newest first (highest log position).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::settings::{Settings, SECRET_SETTING_KEYS};
use perfledger_projections::audit::ACTIONS;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use super::fields::shorten;
use crate::auth::Principal;
use crate::error::AppError;
use crate::queries::audit::{self as reads, AuditFilter, AuditRecord, SettingsChangeRecord};
use crate::queries::{check_limit, Page};

/// The longest `actor` filter accepted.
pub const MAX_ACTOR_CHARS: usize = 200;

/// Only admins read the history and the audit log.
pub fn require_admin(principal: &Principal) -> Result<(), AppError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden(None, "the settings history and the audit log are for admins only"))
    }
}

// ------------------------------------------------------------ settings history

/// One key of a settings change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeyChange {
    pub key: String,
    /// A secret: `before` and `after` are only `"set"` or `"unset"`.
    pub secret: bool,
    /// The value in force for the key on `effective_from` just before the change.
    pub before: Value,
    /// The value the change set.
    pub after: Value,
    /// Secrets only: `set`, `unset`, `changed` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_change: Option<&'static str>,
}

/// One `settings.changed`, as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SettingsChange {
    /// The change's position in the log.
    pub global_position: i64,
    pub recorded_at: DateTime<Utc>,
    /// Who changed it: a person id, or the name the CLI was given.
    pub actor: String,
    /// The actor's display name when the actor is a person.
    pub actor_name: Option<String>,
    /// Why, when the change says.
    pub reason: Option<String>,
    /// In force from the start of this day (D10).
    pub effective_from: NaiveDate,
    /// Every key the change set, in key order.
    pub changes: Vec<KeyChange>,
}

/// A setting's value as `Settings` reads it back (numbers and strings the
/// way the settings API shows them); the stored value if it does not apply.
fn normalized(key: &str, value: &Value) -> Value {
    let mut settings = Settings::default();
    let one = BTreeMap::from([(key.to_string(), value.clone())]);
    match settings.apply(&one) {
        Ok(()) => settings.get(key).unwrap_or_else(|| value.clone()),
        Err(_) => value.clone(),
    }
}

fn default_value(key: &str) -> Value {
    Settings::default().get(key).unwrap_or(Value::Null)
}

/// Every change with its before and after values, in log order (module docs).
pub fn with_before_after(records: Vec<SettingsChangeRecord>) -> Vec<SettingsChange> {
    // Per key, the (effective_from, value) of each change so far, in log order.
    let mut by_key: HashMap<String, Vec<(NaiveDate, Value)>> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let changes = record
            .changes
            .iter()
            .map(|(key, value)| {
                let before = by_key
                    .get(key)
                    .and_then(|earlier| earlier.iter().rev().find(|(day, _)| *day <= record.effective_from))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| default_value(key));
                let after = normalized(key, value);
                key_change(key, before, after)
            })
            .collect();
        for (key, value) in &record.changes {
            by_key.entry(key.clone()).or_default().push((record.effective_from, normalized(key, value)));
        }
        out.push(SettingsChange {
            global_position: record.global_position,
            recorded_at: record.recorded_at,
            actor: record.actor,
            actor_name: record.actor_name,
            reason: record.reason,
            effective_from: record.effective_from,
            changes,
        });
    }
    out
}

fn key_change(key: &str, before: Value, after: Value) -> KeyChange {
    if !SECRET_SETTING_KEYS.contains(&key) {
        return KeyChange { key: key.to_string(), secret: false, before, after, secret_change: None };
    }
    let state = |v: &Value| Value::from(if v.is_null() { "unset" } else { "set" });
    let change = match (before.is_null(), after.is_null()) {
        (true, false) => "set",
        (false, true) => "unset",
        (false, false) if before != after => "changed",
        _ => "unchanged",
    };
    KeyChange {
        key: key.to_string(),
        secret: true,
        before: state(&before),
        after: state(&after),
        secret_change: Some(change),
    }
}

/// Every settings change, newest first, with before and after values.
pub async fn settings_history_all(pool: &PgPool, principal: &Principal) -> Result<Vec<SettingsChange>, AppError> {
    require_admin(principal)?;
    let mut all = with_before_after(reads::settings_changes(pool).await?);
    all.reverse();
    Ok(all)
}

/// A page of [`settings_history_all`].
pub async fn settings_history(
    pool: &PgPool,
    principal: &Principal,
    limit: u32,
    offset: u64,
) -> Result<Page<SettingsChange>, AppError> {
    check_limit(limit)?;
    Ok(crate::queries::paginate(settings_history_all(pool, principal).await?, limit, offset))
}

// ------------------------------------------------------------ audit log

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// The event's position in the log.
    pub global_position: i64,
    /// When it happened (the command's time).
    pub occurred_at: DateTime<Utc>,
    /// A person id, `scheduler`, `review-worker`, `token:<subject>` or the
    /// CLI's actor; null when the event names none.
    pub actor: Option<String>,
    pub actor_name: Option<String>,
    /// One of the audit actions (an event type, e.g. `review.requested`).
    pub action: String,
    /// `settings`, `person:<id>`, `goal:<id>`, `event:<position>` or `period:<week>`.
    pub target: String,
    /// The target person's name, or a goal's label and its person.
    pub target_name: Option<String>,
    /// The model of a review (never a prompt or a reply, D14).
    pub model: Option<String>,
    /// Why, when the event says (a void, a settings change, a failed review).
    pub reason: Option<String>,
    /// What happened, in words.
    pub summary: String,
    /// The audit projection's details of the event (no values of settings).
    pub details: Value,
}

/// Reads and checks the filter's parts (the adapters decide what an empty
/// value means). `from` must not be after `to`.
pub fn audit_filter(
    actor: Option<&str>,
    action: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<AuditFilter, AppError> {
    let actor = match actor {
        None => None,
        Some(text) => {
            if text.is_empty() {
                return Err(AppError::invalid_parameter("actor", "is empty; give an actor, or leave it out"));
            }
            if text.chars().count() > MAX_ACTOR_CHARS {
                return Err(AppError::invalid_parameter(
                    "actor",
                    format!("is longer than {MAX_ACTOR_CHARS} characters"),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(AppError::invalid_parameter("actor", "contains control characters"));
            }
            Some(text.to_string())
        }
    };
    let action = match action {
        None => None,
        Some(text) => match ACTIONS.iter().find(|a| **a == text) {
            Some(a) => Some(a.to_string()),
            None => {
                return Err(AppError::invalid_parameter(
                    "action",
                    format!("'{}' is not an audit action; expected one of: {}", shorten(text), ACTIONS.join(", ")),
                ))
            }
        },
    };
    let from = from.map(|t| crate::period_query::date("from", t)).transpose()?;
    let to = to.map(|t| crate::period_query::date("to", t)).transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(AppError::invalid_parameter("from", format!("{from} is after to ({to})")));
        }
    }
    Ok(AuditFilter { actor, action, from, to })
}

/// The audit actions, in the filter's order.
pub fn actions() -> &'static [&'static str] {
    ACTIONS
}

/// An action in words, for the filter and the table.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "settings.changed" => "Settings changed",
        "review.requested" => "Review requested",
        "review.generated" => "Review generated",
        "review.failed" => "Review failed",
        "review.acknowledged" => "Review acknowledged",
        "goal.created" => "Goal created",
        "goal.updated" => "Goal updated",
        "goal.canceled" => "Goal canceled",
        "goal.achieved" => "Goal achieved",
        "goal.missed" => "Goal missed",
        "log.event_voided" => "Event voided",
        "period.closed" => "Week closed",
        _ => "Other",
    }
}

/// What happened, in words, from an audit row's details.
pub fn summary(action: &str, details: &Value) -> String {
    let text = |key: &str| match &details[key] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    let or_dash = |key: &str| text(key).unwrap_or_else(|| "—".to_string());
    match action {
        "settings.changed" => {
            let keys: Vec<String> = details["keys"]
                .as_array()
                .map(|k| k.iter().filter_map(|k| k.as_str().map(String::from)).collect())
                .unwrap_or_default();
            format!("Changed {} (in force from {})", keys.join(", "), or_dash("effective_from"))
        }
        "review.requested" => format!(
            "Review of {} requested ({}{})",
            period_words(&details["period_start"], &details["period_end"]),
            or_dash("trigger"),
            if details["force"] == Value::Bool(true) { ", forced" } else { "" }
        ),
        "review.generated" => format!(
            "Review generated by {}: {} tokens in, {} out, {} attempt(s)",
            or_dash("provider"),
            or_dash("tokens_in"),
            or_dash("tokens_out"),
            or_dash("attempts")
        ),
        "review.failed" => {
            format!("Review failed with {} after {} attempt(s)", or_dash("provider"), or_dash("attempts"))
        }
        "review.acknowledged" => "Review acknowledged by the reviewed person".to_string(),
        "goal.created" => format!("Goal on {} with target {}", or_dash("metric_key"), or_dash("target_value")),
        "goal.updated" => {
            let fields: Vec<String> = details
                .as_object()
                .map(|o| {
                    o.iter().map(|(k, v)| format!("{k} → {}", v.as_str().map_or(v.to_string(), String::from))).collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                "Goal updated".to_string()
            } else {
                format!("Goal updated: {}", fields.join(", "))
            }
        }
        "goal.canceled" => "Goal canceled".to_string(),
        "goal.achieved" | "goal.missed" => format!("Judged on the value {}", or_dash("current_value")),
        "log.event_voided" => format!("Voided a {} event (id {})", or_dash("event_type"), or_dash("event_id")),
        "period.closed" => format!("Week closed with {} people scored", or_dash("scored_people")),
        other => other.to_string(),
    }
}

/// A review's period (`period_end` exclusive) as days: the ISO week when it
/// is one (`2026-W40, 28 Sep – 4 Oct 2026`), else the range.
fn period_words(start: &Value, end: &Value) -> String {
    let day = |v: &Value| v.as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.date_naive());
    match (day(start), day(end).and_then(|d| d.pred_opt())) {
        (Some(first), Some(last)) if first <= last => {
            let range = format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y"));
            let week = perfledger_domain::period::week_start_of_day(first) == first && (last - first).num_days() == 6;
            if week {
                format!("{}, {range}", perfledger_domain::period::iso_week_label(first))
            } else {
                range
            }
        }
        _ => "an unknown period".to_string(),
    }
}

fn entry(record: AuditRecord) -> AuditEntry {
    AuditEntry {
        summary: summary(&record.action, &record.details),
        global_position: record.global_position,
        occurred_at: record.occurred_at,
        actor: record.actor,
        actor_name: record.actor_name,
        action: record.action,
        target: record.target,
        target_name: record.target_name,
        model: record.model,
        reason: record.reason,
        details: record.details,
    }
}

/// A page of the audit log matching `filter`, newest first.
pub async fn audit_log(
    pool: &PgPool,
    principal: &Principal,
    filter: &AuditFilter,
    limit: u32,
    offset: u64,
) -> Result<Page<AuditEntry>, AppError> {
    require_admin(principal)?;
    check_limit(limit)?;
    let total = reads::audit_count(pool, filter).await?;
    let items = if offset >= total { Vec::new() } else { reads::audit_rows(pool, filter, limit, offset).await? };
    Ok(Page { items: items.into_iter().map(entry).collect(), total, limit, offset })
}

/// For an export: up to `limit` rows matching `filter` below log position
/// `before` (from the newest when `None`), newest first. Paging by position
/// rather than offset, so rows recorded during a long export shift nothing.
pub async fn audit_export_page(
    pool: &PgPool,
    principal: &Principal,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, AppError> {
    require_admin(principal)?;
    check_limit(limit)?;
    Ok(reads::audit_rows_before(pool, filter, before, limit).await?.into_iter().map(entry).collect())
}

/// The actors the audit log holds, with their names (the page's filter).
pub async fn audit_actors(pool: &PgPool, principal: &Principal) -> Result<Vec<(String, Option<String>)>, AppError> {
    require_admin(principal)?;
    Ok(reads::audit_actors(pool).await?)
}

#[cfg(test)]
mod tests {
    use perfledger_domain::settings::{SettingsChanged, SettingsHistory};
    use serde_json::json;

    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn record(position: i64, effective: &str, changes: Value) -> SettingsChangeRecord {
        SettingsChangeRecord {
            global_position: position,
            recorded_at: Utc::now(),
            actor: "ops".into(),
            actor_name: None,
            reason: None,
            effective_from: d(effective),
            changes: serde_json::from_value(changes).unwrap(),
        }
    }

    #[test]
    fn before_is_what_was_in_force_on_the_changes_day() {
        let records = vec![
            record(10, "2026-03-02", json!({"flagged_threshold": 60})),
            // Backdated: on 2026-01-05 the default (70) was in force.
            record(11, "2026-01-05", json!({"flagged_threshold": 65, "sales_profile_min_ratio": "0.25"})),
            record(12, "2026-03-09", json!({"flagged_threshold": 55})),
            record(13, "2026-02-02", json!({"flagged_threshold": 50})),
        ];
        let history = with_before_after(records.clone());
        let pairs: Vec<(Value, Value)> = history
            .iter()
            .map(|c| c.changes.iter().find(|k| k.key == "flagged_threshold").unwrap())
            .map(|k| (k.before.clone(), k.after.clone()))
            .collect();
        assert_eq!(
            pairs,
            [(json!(70), json!(60)), (json!(70), json!(65)), (json!(65), json!(55)), (json!(65), json!(50))]
        );
        // A decimal string reads back as the settings API shows it.
        let ratio = history[1].changes.iter().find(|k| k.key == "sales_profile_min_ratio").unwrap();
        assert_eq!((ratio.before.clone(), ratio.after.clone()), (json!(0.5), json!(0.25)));
        // The same as folding the history up to each change (D10's in_force_at).
        let mut fold = SettingsHistory::new();
        for (record, change) in records.iter().zip(&history) {
            let before = fold.in_force_at(record.effective_from);
            for k in &change.changes {
                assert_eq!(before.get(&k.key).unwrap(), k.before, "{} at {}", k.key, record.global_position);
            }
            fold.push(
                record.global_position,
                SettingsChanged {
                    actor: record.actor.clone(),
                    changes: record.changes.clone(),
                    effective_from: record.effective_from,
                    reason: None,
                },
            );
        }
    }

    #[test]
    fn secrets_are_only_set_or_unset() {
        let history = with_before_after(vec![
            record(1, "2026-01-05", json!({"vllm_api_key": "sk-one"})),
            record(2, "2026-01-05", json!({"vllm_api_key": "sk-two"})),
            record(3, "2026-01-05", json!({"vllm_api_key": "sk-two"})),
            record(4, "2026-01-05", json!({"vllm_api_key": null})),
        ]);
        let seen: Vec<_> = history
            .iter()
            .map(|c| (c.changes[0].before.clone(), c.changes[0].after.clone(), c.changes[0].secret_change))
            .collect();
        assert_eq!(
            seen,
            [
                (json!("unset"), json!("set"), Some("set")),
                (json!("set"), json!("set"), Some("changed")),
                (json!("set"), json!("set"), Some("unchanged")),
                (json!("set"), json!("unset"), Some("unset")),
            ]
        );
        let text = serde_json::to_string(&history).unwrap();
        assert!(!text.contains("sk-one") && !text.contains("sk-two"), "{text}");
    }

    #[test]
    fn filters_name_the_field_at_fault() {
        let ok = audit_filter(Some("ops"), Some("goal.created"), Some("2026-01-01"), Some("2026-01-01")).unwrap();
        assert_eq!(ok.action.as_deref(), Some("goal.created"));
        for (args, field) in [
            ((Some(""), None, None, None), "actor"),
            ((Some("a\u{7}"), None, None, None), "actor"),
            ((None, Some("goal.deleted"), None, None), "action"),
            ((None, None, Some("2026-1-1"), None), "from"),
            ((None, None, None, Some("tomorrow")), "to"),
            ((None, None, Some("2026-02-01"), Some("2026-01-31")), "from"),
        ] {
            let e = audit_filter(args.0, args.1, args.2, args.3).unwrap_err();
            assert_eq!((e.status().as_u16(), e.field.as_deref()), (400, Some(field)), "{args:?}");
        }
        let week = json!({"period_start": "2026-09-28T00:00:00Z", "period_end": "2026-10-05T00:00:00Z",
                          "trigger": "flagged", "force": false});
        assert_eq!(summary("review.requested", &week), "Review of 2026-W40, 28 Sep – 4 Oct 2026 requested (flagged)");
        let long = "x".repeat(MAX_ACTOR_CHARS + 1);
        assert_eq!(audit_filter(Some(&long), None, None, None).unwrap_err().field.as_deref(), Some("actor"));
        assert!(ACTIONS.iter().all(|a| action_label(a) != "Other"));
    }
}
