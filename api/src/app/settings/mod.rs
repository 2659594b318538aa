//! Settings (issue 16, D10): the use cases behind the settings API and the
//! settings pages, admins only. Reading the settings in force (now or on a
//! date) with each key's default and the change that set it; reading a
//! draft from a JSON body or a form into validated `changes`; previewing a
//! draft with the what-if (`perfledger_replay::what_if`, writes nothing);
//! suggesting a flag threshold from the stored composites; publishing
//! through the settings aggregate (the same `settings.changed` as the CLI);
//! and following the rescore a change starts.
//!
//! Every rule of a change (values, the effective date's bounds, the reason)
//! is the aggregate's: a draft is checked by running
//! `SettingsAggregate::decide` on it, so a draft that validates here is the
//! event publishing records.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::aggregates::{ChangeSettings, SettingsAggregate, SETTINGS_AGGREGATE_ID};
use perfledger_domain::event::EventBody;
use perfledger_domain::period::{first_week_from, week_start, week_start_of_day};
use perfledger_domain::settings::{Settings, SettingsChanged, SECRET_SETTING_KEYS, SETTING_KEYS};
use perfledger_domain::validate::Rejection;
use perfledger_replay::what_if::{what_if, WhatIfError, WhatIfReport};
use perfledger_store::commands::{execute, CommandError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

mod info;

pub use info::*;

use super::fields::{only_fields, shorten};
use crate::auth::Principal;
use crate::error::AppError;

/// The weeks a preview scores by default: the last 12 full weeks.
pub const DEFAULT_PREVIEW_WEEKS: u32 = 12;
/// The most weeks a preview or the threshold helper reads.
pub const MAX_PREVIEW_WEEKS: u32 = 104;
/// The biggest movers a preview lists.
pub const PREVIEW_TOP: usize = 10;

/// Admins only (seed "Access Control"): everyone else gets 403.
pub fn require_admin(principal: &Principal) -> Result<(), AppError> {
    match principal.is_admin() {
        true => Ok(()),
        false => Err(AppError::forbidden(None, "only admins may see or change the settings")),
    }
}

// ------------------------------------------------------------ in force

/// One setting as the API and the page show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SettingInForce {
    pub key: String,
    /// The value in force; `null` for a secret, whatever it is (see `is_set`).
    pub value: Value,
    /// The seed's default.
    pub default: Value,
    /// Secrets only: whether a value is set. The value itself is never returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_set: Option<bool>,
    /// The change that set the value in force, or `null` when it is the default.
    pub set_by: Option<SetBy>,
}

/// The `settings.changed` that set a value.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SetBy {
    pub global_position: i64,
    pub effective_from: NaiveDate,
    /// Who made the change (a person id, or the CLI's `--actor`).
    pub actor: String,
    pub reason: Option<String>,
}

/// The settings in force on `at`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsInForce {
    pub at: NaiveDate,
    pub settings: Vec<SettingInForce>,
    #[serde(skip)]
    pub typed: Settings,
}

impl SettingsInForce {
    pub fn get(&self, key: &str) -> Option<&SettingInForce> {
        self.settings.iter().find(|s| s.key == key)
    }
}

fn is_secret(key: &str) -> bool {
    SECRET_SETTING_KEYS.contains(&key)
}

/// The settings in force on `at` (default: today), each with its default and
/// the change that set it: the last change in log order whose
/// `effective_from` is on or before `at` and that names the key (the same
/// order `SettingsHistory::in_force_at` applies changes in). Changes not yet
/// projected are included.
pub async fn in_force(
    pool: &PgPool,
    principal: &Principal,
    at: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<SettingsInForce, AppError> {
    require_admin(principal)?;
    let at = at.unwrap_or_else(|| now.date_naive());
    let history = perfledger_projections::settings::load_history_fresh(pool).await?;
    let typed = history.in_force_at(at);
    let values = typed.to_json_map(true);
    let defaults = Settings::default().to_json_map(false);
    let mut set_by: BTreeMap<&str, SetBy> = BTreeMap::new();
    for (position, change) in history.changes().iter().filter(|(_, c)| c.effective_from <= at) {
        for key in change.changes.keys() {
            if let Some(known) = SETTING_KEYS.iter().find(|k| **k == key.as_str()) {
                set_by.insert(
                    known,
                    SetBy {
                        global_position: *position,
                        effective_from: change.effective_from,
                        actor: change.actor.clone(),
                        reason: change.reason.clone(),
                    },
                );
            }
        }
    }
    let settings = SETTING_KEYS
        .iter()
        .map(|key| {
            let value = values.get(*key).cloned().unwrap_or(Value::Null);
            let secret = is_secret(key);
            SettingInForce {
                key: key.to_string(),
                is_set: secret.then(|| !value.is_null()),
                value: if secret { Value::Null } else { value },
                default: if secret { Value::Null } else { defaults.get(*key).cloned().unwrap_or(Value::Null) },
                set_by: set_by.remove(key),
            }
        })
        .collect();
    Ok(SettingsInForce { at, settings, typed })
}

// ------------------------------------------------------------ drafts

/// A change ready to preview or publish: validated by the aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub changes: BTreeMap<String, Value>,
    pub effective_from: NaiveDate,
    pub reason: String,
}

impl Draft {
    /// The changes with secrets masked, for pages and answers.
    pub fn shown_changes(&self) -> BTreeMap<String, Value> {
        self.changes
            .iter()
            .map(|(k, v)| match is_secret(k) && !v.is_null() {
                true => (k.clone(), Value::String(perfledger_domain::settings::SECRET_MASK.into())),
                false => (k.clone(), v.clone()),
            })
            .collect()
    }
}

/// A rejection of the aggregate as an [`AppError`] naming the request's
/// field: `settings.flagged_threshold` is `changes.flagged_threshold`.
pub fn rejection_error(r: Rejection) -> AppError {
    let field = match r.field.strip_prefix("settings.") {
        Some(key) => format!("changes.{key}"),
        None if r.field == "settings" => "changes".to_string(),
        None => r.field.clone(),
    };
    AppError::invalid_body(&field, r.reason)
}

/// Checks a draft with the aggregate's own rules, as the command
/// publishing would run (`decide` writes nothing).
pub fn check_draft(
    changes: BTreeMap<String, Value>,
    effective_from: NaiveDate,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Draft, AppError> {
    let command = ChangeSettings {
        actor: "draft".into(),
        changes,
        effective_from,
        reason: Some(reason.to_string()),
        event_id: "draft".into(),
        occurred_at: now,
    };
    SettingsAggregate::default().decide(&command).map_err(rejection_error)?;
    Ok(Draft { changes: command.changes, effective_from, reason: reason.trim().to_string() })
}

/// `{"changes": {key: value, …}, "effective_from": "YYYY-MM-DD", "reason": "…"}`.
pub fn draft_from_json(map: &Map<String, Value>, now: DateTime<Utc>) -> Result<Draft, AppError> {
    only_fields(map, &["changes", "effective_from", "reason"])?;
    let changes = match map.get("changes") {
        None | Some(Value::Null) => return Err(AppError::invalid_body("changes", "is required")),
        Some(Value::Object(object)) => object.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => return Err(AppError::invalid_body("changes", "must be an object of settings by key")),
    };
    let effective_from = match map.get("effective_from") {
        None | Some(Value::Null) => return Err(AppError::invalid_body("effective_from", "is required (YYYY-MM-DD)")),
        Some(Value::String(text)) => parse_date(text, "effective_from")?,
        Some(_) => return Err(AppError::invalid_body("effective_from", "must be a date string (YYYY-MM-DD)")),
    };
    let reason = match map.get("reason") {
        None | Some(Value::Null) => {
            return Err(AppError::invalid_body("reason", "is required: say in a few words why the settings change"))
        }
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err(AppError::invalid_body("reason", "must be a string")),
    };
    check_draft(changes, effective_from, &reason, now)
}

pub fn parse_date(text: &str, field: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid_body(field, format!("'{}' is not a date (YYYY-MM-DD)", shorten(text))))
}

// ------------------------------------------------------------ drafts from a form

/// A settings form's fields by input name (the CSRF token left out). A
/// setting is `key`; a weight cell is `key.domain` (`domain_weights.support`);
/// the API key has `vllm_api_key` (empty: unchanged) and
/// `vllm_api_key_clear`; then `effective_from`, `reason` and `weeks`.
pub type FormFields = BTreeMap<String, String>;

/// Refusals by input name (`flagged_threshold`, `domain_weights_support`,
/// `effective_from`, `reason`, `changes` for the form as a whole).
pub type FormErrors = BTreeMap<String, String>;

/// The fields a settings form may carry.
pub fn is_form_field(name: &str) -> bool {
    let setting = |key: &str| SETTING_KEYS.contains(&key);
    match name.split_once('.') {
        Some((key, domain)) => {
            matches!(info_of(key).map(|i| i.kind), Some(Kind::Weights { .. }))
                && domain.parse::<perfledger_domain::scoring::Domain>().is_ok()
        }
        None => setting(name) || matches!(name, "vllm_api_key_clear" | "effective_from" | "reason" | "weeks"),
    }
}

/// The JSON a form gives for one setting, `None` when the form does not
/// carry it (or leaves the API key unchanged).
fn form_value(info: &SettingInfo, form: &FormFields) -> Option<Result<Value, String>> {
    use perfledger_domain::scoring::Domain;
    let raw = form.get(info.key).map(|v| v.trim());
    match info.kind {
        Kind::Weights { optional } => {
            let cells: Vec<(Domain, &str)> = Domain::ALL
                .into_iter()
                .filter_map(|d| form.get(&format!("{}.{}", info.key, d.as_str())).map(|v| (d, v.trim())))
                .collect();
            if cells.is_empty() {
                return None;
            }
            let filled: Map<String, Value> = cells
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(d, v)| (d.as_str().to_string(), Value::String(v.to_string())))
                .collect();
            Some(match (filled.is_empty(), optional) {
                (true, true) => Ok(Value::Null),
                (true, false) => Err("give at least one weight above 0".to_string()),
                (false, _) => Ok(Value::Object(filled)),
            })
        }
        Kind::Secret => {
            if form.get("vllm_api_key_clear").is_some_and(|v| !v.is_empty()) {
                return Some(Ok(Value::Null));
            }
            match form.get(info.key) {
                Some(v) if !v.is_empty() => Some(Ok(Value::String(v.clone()))),
                _ => None,
            }
        }
        _ => {
            let raw = raw?;
            Some(match info.kind {
                Kind::Bool => match raw {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    _ => Err("choose on or off".to_string()),
                },
                Kind::Integer if raw.is_empty() => Err(format!("is required ({})", info.range)),
                Kind::Integer => Ok(raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.into()))),
                Kind::Decimal if raw.is_empty() => Err(format!("is required ({})", info.range)),
                Kind::Decimal => Ok(Value::String(raw.to_string())),
                Kind::Choice(_) => Ok(Value::String(raw.to_string())),
                Kind::OptionalText if raw.is_empty() => Ok(Value::Null),
                Kind::OptionalText => Ok(Value::String(raw.to_string())),
                Kind::Weights { .. } | Kind::Secret => unreachable!("handled above"),
            })
        }
    }
}

/// The built-in column of a team type's weights key, as the settings show a map.
pub fn builtin_json(key: &str) -> Option<Value> {
    use perfledger_domain::catalog::TeamType;
    let team_type = match key {
        "domain_weights_operations" => TeamType::Operations,
        "domain_weights_support" => TeamType::Support,
        "domain_weights_field_service" => TeamType::FieldService,
        _ => return None,
    };
    let map = perfledger_domain::settings::builtin_team_weights(team_type)?;
    let object: Map<String, Value> =
        map.iter().map(|(d, w)| (d.as_str().to_string(), Value::String(w.to_string()))).collect();
    let mut probe = Settings::default();
    probe.apply(&BTreeMap::from([(key.to_string(), Value::Object(object))])).ok()?;
    probe.get(key)
}

/// The settings a form changes against `current`, each checked on its own
/// so every field at fault is named at once; a value equal to the one in
/// force is no change.
pub fn changes_from_form(form: &FormFields, current: &Settings) -> (BTreeMap<String, Value>, FormErrors) {
    let mut changes = BTreeMap::new();
    let mut errors = FormErrors::new();
    let before = current.to_json_map(true);
    for info in SETTING_INFO {
        let Some(value) = form_value(info, form) else { continue };
        let value = match value {
            Ok(v) => v,
            Err(reason) => {
                errors.insert(info.key.to_string(), reason);
                continue;
            }
        };
        let one = BTreeMap::from([(info.key.to_string(), value.clone())]);
        let mut next = current.clone();
        match next.apply(&one) {
            Err(r) => {
                errors.insert(info.key.to_string(), r.reason);
            }
            Ok(()) => {
                let after = next.to_json_map(true).get(info.key).cloned();
                // A team type without an override shows its built-in column:
                // sent back unchanged, it stays without an override.
                let builtin_kept =
                    before.get(info.key) == Some(&Value::Null) && after.is_some() && after == builtin_json(info.key);
                if after.as_ref() != before.get(info.key) && !builtin_kept {
                    changes.insert(info.key.to_string(), value);
                }
            }
        }
    }
    (changes, errors)
}

/// A draft from a settings form: the changes against the settings in force
/// today (what the form showed), the effective date and the reason, all checked by
/// the aggregate. Every refusal is returned by input name.
pub fn draft_from_form(
    form: &FormFields,
    history: &perfledger_domain::settings::SettingsHistory,
    now: DateTime<Utc>,
) -> Result<Draft, FormErrors> {
    let mut errors = FormErrors::new();
    let effective_from = match form.get("effective_from").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => {
            errors.insert("effective_from".into(), "is required: the first day the change is in force".into());
            None
        }
        Some(text) => match parse_date(text, "effective_from") {
            Ok(day) => Some(day),
            Err(e) => {
                errors.insert("effective_from".into(), e.reason);
                None
            }
        },
    };
    let reason = form.get("reason").map(|v| v.trim().to_string()).unwrap_or_default();
    if reason.is_empty() {
        errors.insert("reason".into(), "is required: say in a few words why the settings change".into());
    }
    // The form showed the settings in force today: what differs from them
    // is what the admin changed, whatever the effective date.
    let current = history.in_force_at(now.date_naive());
    let (changes, value_errors) = changes_from_form(form, &current);
    errors.extend(value_errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    if changes.is_empty() {
        errors.insert("changes".into(), "nothing changed: every value is the one in force".into());
        return Err(errors);
    }
    let effective_from = effective_from.unwrap_or_else(|| now.date_naive());
    check_draft(changes, effective_from, &reason, now).map_err(|e| {
        let field = e.field.as_deref().unwrap_or("changes");
        let key = field.strip_prefix("changes.").unwrap_or(field).to_string();
        FormErrors::from([(key, e.reason)])
    })
}

// ------------------------------------------------------------ publish

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Published {
    pub global_position: i64,
    pub actor: String,
    /// The changes as recorded (a secret shown as `********`).
    #[schema(value_type = Object)]
    pub changes: BTreeMap<String, Value>,
    pub effective_from: NaiveDate,
    pub reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// Weeks the change rescores (started weeks from the first it is in
    /// force for the whole of, to this week).
    pub weeks_to_rescore: u32,
}

/// Who a change is recorded as: the signed-in person's id, else the
/// token's subject.
fn actor_of(principal: &Principal) -> String {
    principal.person_id.map(|p| p.to_string()).unwrap_or_else(|| principal.subject.clone())
}

/// Appends the draft as one `settings.changed` (actor = the caller). The
/// settings projector marks the weeks from `effective_from` dirty and the
/// scheduler rescores them.
pub async fn publish(
    pool: &PgPool,
    principal: &Principal,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<Published, AppError> {
    require_admin(principal)?;
    let event_id = format!("settings.changed:{}", Uuid::new_v4());
    let command = ChangeSettings {
        actor: actor_of(principal),
        changes: draft.changes.clone(),
        effective_from: draft.effective_from,
        reason: Some(draft.reason.clone()),
        event_id: event_id.clone(),
        occurred_at: now,
    };
    match execute::<SettingsAggregate>(pool, SETTINGS_AGGREGATE_ID, command).await {
        Ok(()) => {}
        Err(CommandError::Rejected(r)) => return Err(rejection_error(r)),
        Err(CommandError::Store(e)) => return Err(AppError::internal_error("the change was not recorded", &e)),
    }
    let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT global_position, recorded_at FROM events
          WHERE aggregate_type = 'settings' AND aggregate_id = $1 AND payload->>'event_id' = $2",
    )
    .bind(SETTINGS_AGGREGATE_ID)
    .bind(&event_id)
    .fetch_optional(pool)
    .await?;
    let (position, recorded_at) = row.ok_or_else(|| AppError::internal("the change was not found after recording"))?;
    let change = load_change(pool, position).await?.ok_or_else(|| AppError::unreadable("settings.changed"))?;
    Ok(Published {
        global_position: position,
        actor: change.actor,
        changes: Draft { changes: change.changes, effective_from: change.effective_from, reason: String::new() }
            .shown_changes(),
        effective_from: change.effective_from,
        reason: change.reason,
        recorded_at,
        weeks_to_rescore: weeks_to_rescore(change.effective_from, now.date_naive()),
    })
}

/// The `settings.changed` at `position`, if that is one.
async fn load_change(pool: &PgPool, position: i64) -> Result<Option<SettingsChanged>, AppError> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT event_type, event_version, payload::text FROM events
          WHERE global_position = $1 AND aggregate_type = 'settings'",
    )
    .bind(position)
    .fetch_optional(pool)
    .await?;
    let Some((kind, version, payload)) = row else { return Ok(None) };
    let event = perfledger_domain::event::decode(&kind, &version, &payload).map_err(AppError::unreadable)?;
    match event.body {
        EventBody::SettingsChanged(change) => Ok(Some(change)),
        _ => Ok(None),
    }
}

// ------------------------------------------------------------ rescore

/// The first week a change from `effective_from` rescores and the last
/// started week (this week), or `None` when it takes effect after this week.
fn rescore_range(effective_from: NaiveDate, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let floor = perfledger_domain::validate::DEFAULT_EARLIEST_DAY;
    let first = week_start_of_day(first_week_from(effective_from).max(floor));
    let this_week = week_start_of_day(today);
    (first <= this_week).then_some((first, this_week))
}

/// How many started weeks a change effective from `effective_from` rescores
/// (the settings projector marks them; D10): 0 for a change that takes
/// effect after this week (its weeks are scored when they start).
pub fn weeks_to_rescore(effective_from: NaiveDate, today: NaiveDate) -> u32 {
    match rescore_range(effective_from, today) {
        Some((first, last)) => u32::try_from((last - first).num_days() / 7 + 1).unwrap_or(u32::MAX),
        None => 0,
    }
}

/// Where the rescore of a published change is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RescoreProgress {
    pub global_position: i64,
    pub effective_from: NaiveDate,
    pub actor: String,
    pub reason: Option<String>,
    pub changes: BTreeMap<String, Value>,
    /// The settings projector has folded the change (its weeks are marked).
    pub projected: bool,
    pub weeks_due: u32,
    pub weeks_done: u32,
}

impl RescoreProgress {
    pub fn done(&self) -> bool {
        self.projected && self.weeks_done >= self.weeks_due
    }
}

/// The rescore of the change at `position`: weeks due (started weeks from
/// its first week to this week) and weeks done (of those, the ones no longer
/// marked dirty once the projector has folded the change).
pub async fn rescore_progress(
    pool: &PgPool,
    principal: &Principal,
    position: i64,
    now: DateTime<Utc>,
) -> Result<RescoreProgress, AppError> {
    require_admin(principal)?;
    let change = load_change(pool, position)
        .await?
        .ok_or_else(|| AppError::not_found("position", format!("no settings change is at position {position}")))?;
    let checkpoint = perfledger_projections::runner::checkpoint(pool, perfledger_projections::settings::NAME).await?;
    let projected = checkpoint >= position;
    let range = rescore_range(change.effective_from, now.date_naive());
    let weeks_due = weeks_to_rescore(change.effective_from, now.date_naive());
    let weeks_done = match (projected, range) {
        (true, Some((first, last))) => {
            let dirty: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM scoring_dirty WHERE period_start >= $1 AND period_start <= $2",
            )
            .bind(perfledger_domain::period::midnight(first))
            .bind(perfledger_domain::period::midnight(last))
            .fetch_one(pool)
            .await?;
            weeks_due.saturating_sub(u32::try_from(dirty).unwrap_or(u32::MAX))
        }
        _ => 0,
    };
    let shown = Draft { changes: change.changes, effective_from: change.effective_from, reason: String::new() };
    Ok(RescoreProgress {
        global_position: position,
        effective_from: change.effective_from,
        actor: change.actor,
        reason: change.reason,
        changes: shown.shown_changes(),
        projected,
        weeks_due,
        weeks_done,
    })
}

// ------------------------------------------------------------ preview

/// A draft scored next to the settings in force over the last `weeks` full
/// weeks. Nothing is written.
#[derive(Debug, Clone)]
pub struct Preview {
    pub report: WhatIfReport,
    pub from: NaiveDate,
    /// The last day of the range.
    pub to: NaiveDate,
    pub weeks_to_rescore: u32,
}

/// The last `n` full weeks before this one, oldest first.
pub fn last_full_weeks(n: u32, now: DateTime<Utc>) -> Vec<NaiveDate> {
    let this_week = week_start(now);
    (1..=u64::from(n)).rev().filter_map(|i| this_week.checked_sub_days(Days::new(7 * i))).collect()
}

/// `weeks`: an integer from 1 to [`MAX_PREVIEW_WEEKS`].
pub fn weeks_param(text: Option<&str>, field: &str) -> Result<u32, AppError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(DEFAULT_PREVIEW_WEEKS) };
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PREVIEW_WEEKS).contains(n))
        .ok_or_else(|| AppError::invalid_body(field, format!("expected an integer from 1 to {MAX_PREVIEW_WEEKS}")))
}

pub async fn preview(
    pool: &PgPool,
    principal: &Principal,
    draft: &Draft,
    weeks: u32,
    now: DateTime<Utc>,
) -> Result<Preview, AppError> {
    require_admin(principal)?;
    let range = last_full_weeks(weeks, now);
    let (Some(&from), Some(&last)) = (range.first(), range.last()) else {
        return Err(AppError::invalid_body("weeks", "expected at least one week"));
    };
    let report = match what_if(pool, draft.changes.clone(), None, &range, PREVIEW_TOP).await {
        Ok(report) => report,
        Err(WhatIfError::Invalid(r)) => return Err(rejection_error(r)),
        Err(WhatIfError::Database(e)) => return Err(AppError::database(&e)),
        Err(WhatIfError::Projection(e)) => return Err(AppError::internal_error("the preview failed", &e)),
    };
    Ok(Preview {
        report,
        from,
        to: last + Days::new(6),
        weeks_to_rescore: weeks_to_rescore(draft.effective_from, now.date_naive()),
    })
}

// ------------------------------------------------------------ threshold helper

/// Which flag threshold flags the bottom `percent` % of the stored
/// composites of the last `weeks` full weeks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdSuggestion {
    pub percent: u32,
    pub weeks: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Person-weeks with a stored composite in the range.
    pub scores: usize,
    /// The smallest whole threshold (0–100) under which at least `percent` %
    /// of the composites fall; `None` without scores.
    pub threshold: Option<i64>,
    /// How many composites fall under it (flagged: composite < threshold).
    pub flagged: usize,
}

/// The lowest whole `t` in 0..=100 with `count(c < t) × 100 ≥ percent ×
/// total`: the threshold that flags at least the bottom `percent` % (100
/// when even that flags fewer). `None` for no composites.
pub fn threshold_for_share(composites: &[Decimal], percent: u32) -> Option<(i64, usize)> {
    if composites.is_empty() {
        return None;
    }
    let total = composites.len() as u128;
    let want = u128::from(percent);
    let mut last = (100, composites.len());
    for t in 0..=100i64 {
        let under = composites.iter().filter(|c| **c < Decimal::from(t)).count();
        if under as u128 * 100 >= want * total {
            return Some((t, under));
        }
        last = (t, under);
    }
    Some(last)
}

pub async fn suggest_threshold(
    pool: &PgPool,
    principal: &Principal,
    percent: u32,
    weeks: u32,
    now: DateTime<Utc>,
) -> Result<ThresholdSuggestion, AppError> {
    require_admin(principal)?;
    if !(1..=99).contains(&percent) {
        return Err(AppError::invalid_parameter("bottom", "expected a whole percentage from 1 to 99"));
    }
    if !(1..=MAX_PREVIEW_WEEKS).contains(&weeks) {
        return Err(AppError::invalid_parameter("weeks", format!("expected an integer from 1 to {MAX_PREVIEW_WEEKS}")));
    }
    let range = last_full_weeks(weeks, now);
    let (Some(&from), Some(&last)) = (range.first(), range.last()) else {
        return Err(AppError::invalid_parameter("weeks", "expected at least one week"));
    };
    let to = last + Days::new(6);
    let composites: Vec<Decimal> = sqlx::query_scalar(
        "SELECT composite_score FROM agent_performance_snapshots
          WHERE score_period_start >= $1 AND score_period_start < $2
            AND score_period_end = score_period_start + interval '7 days'",
    )
    .bind(perfledger_domain::period::midnight(from))
    .bind(perfledger_domain::period::midnight(last + Days::new(7)))
    .fetch_all(pool)
    .await?;
    let found = threshold_for_share(&composites, percent);
    Ok(ThresholdSuggestion {
        percent,
        weeks,
        from,
        to,
        scores: composites.len(),
        threshold: found.map(|(t, _)| t),
        flagged: found.map_or(0, |(_, n)| n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_to_rescore_counts_started_weeks_from_the_first_whole_week() {
        // Today is Wednesday 2026-11-25 (week of 23 Nov).
        let today = d("2026-11-25");
        assert_eq!(weeks_to_rescore(d("2026-11-23"), today), 1);
        assert_eq!(weeks_to_rescore(d("2026-11-16"), today), 2);
        // A Tuesday counts from the next Monday.
        assert_eq!(weeks_to_rescore(d("2026-11-17"), today), 1);
        assert_eq!(weeks_to_rescore(d("2026-11-24"), today), 0);
        assert_eq!(weeks_to_rescore(d("2026-12-07"), today), 0);
    }

    #[test]
    fn the_threshold_flags_at_least_the_share_asked() {
        let scores: Vec<Decimal> = (0..10).map(|i| Decimal::from(50 + i * 5)).collect(); // 50, 55, … 95
                                                                                         // 10 %: one score (50) must be under the threshold: 51.
        assert_eq!(threshold_for_share(&scores, 10), Some((51, 1)));
        assert_eq!(threshold_for_share(&scores, 25), Some((61, 3)));
        assert_eq!(threshold_for_share(&scores, 99), Some((96, 10)));
        assert_eq!(threshold_for_share(&[], 10), None);
        // Even 100 flags fewer than asked: 100 and how many it flags.
        assert_eq!(threshold_for_share(&[Decimal::from(100)], 50), Some((100, 0)));
    }

    #[test]
    fn every_setting_is_described_in_order() {
        let keys: Vec<&str> = SETTING_INFO.iter().map(|i| i.key).collect();
        assert_eq!(keys, SETTING_KEYS);
    }

    #[test]
    fn a_team_row_sent_back_with_its_built_in_column_is_no_change() {
        let current = Settings::default();
        let row = |support: &str| -> FormFields {
            [
                ("support", support),
                ("operations", "10"),
                ("field_service", "5"),
                ("communication", "30"),
                ("sales", "15"),
                ("data_quality", "10"),
            ]
            .into_iter()
            .map(|(d, v)| (format!("domain_weights_support.{d}"), v.to_string()))
            .collect()
        };
        let (changes, errors) = changes_from_form(&row("30"), &current);
        assert!(changes.is_empty() && errors.is_empty(), "{changes:?} {errors:?}");
        let (changes, _) = changes_from_form(&row("60"), &current);
        assert_eq!(changes.len(), 1, "one cell changed: an override of the whole row");
        // An empty row is no override: no change either.
        let empty: FormFields = row("").into_keys().map(|k| (k, String::new())).collect();
        assert!(changes_from_form(&empty, &current).0.is_empty());
    }

    #[test]
    fn rejections_name_the_requests_fields() {
        let e = rejection_error(Rejection::new("settings.flagged_threshold", "expected an integer"));
        assert_eq!(e.field.as_deref(), Some("changes.flagged_threshold"));
        assert_eq!(rejection_error(Rejection::new("reason", "blank")).field.as_deref(), Some("reason"));
    }
}
