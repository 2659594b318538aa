//! The OpenAPI schemas of the JSON the handlers read and write by hand (so
//! that every unknown or repeated field is refused by name): shapes for the
//! spec only, listed in [`crate::openapi::ApiDoc`]. Types the code really
//! serialises carry their own `ToSchema` beside them (`crate::problem::Problem`,
//! the query rows, the review answers).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// What one ingest request did: valid items commit, invalid ones are listed.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct IngestReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<RejectedItem>,
    /// The first global position written, when anything was.
    pub first_position: Option<i64>,
    pub last_position: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RejectedItem {
    /// Zero-based position of the item in the batch.
    pub index: u64,
    pub event_id: Option<String>,
    /// The field path, e.g. `data.rating`.
    pub field: String,
    /// `field: reason`.
    pub error: String,
}

/// `/healthz`: the database answers; the projectors' lag and state, the
/// scoring pass's state and this process's background tasks.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Health {
    /// `ok`; `stalled` when a projector or the scoring pass stopped on
    /// something it cannot fold; `degraded` when a background task is restarting.
    #[schema(example = "ok", pattern = "^(ok|stalled|degraded)$")]
    pub status: String,
    pub log_head: i64,
    pub projectors: Vec<ProjectorLag>,
    pub scoring: ScoringHealth,
    pub tasks: Vec<TaskHealth>,
}

/// The scoring pass: `running`, or `stalled` on a week it cannot score.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ScoringHealth {
    #[schema(example = "running", pattern = "^(running|stalled)$")]
    pub state: String,
    pub stall: Option<Stall>,
}

/// Where and why a projector (or the scoring pass) stopped (issue 14).
/// `perfledger events void --position P` (or `POST /api/v1/admin/events/void`) frees it.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Stall {
    pub component: String,
    /// The log position of the event it cannot fold (a projector).
    pub position: Option<i64>,
    /// The week it cannot score (the scoring pass).
    pub week: Option<chrono::NaiveDate>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub error: String,
    pub since: chrono::DateTime<chrono::Utc>,
    /// How often it failed there.
    pub attempts: i32,
}

/// A supervised background task of this process.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TaskHealth {
    #[schema(example = "projections")]
    pub task: String,
    #[schema(example = "running", pattern = "^(running|restarting|stopped)$")]
    pub state: String,
    pub restarts: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `/readyz` when ready.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: String,
    pub log_head: i64,
    /// The threshold, `PERFLEDGER_READY_MAX_LAG`.
    pub max_lag: i64,
    pub projectors: Vec<ProjectorLag>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ProjectorLag {
    pub projector: String,
    pub position: i64,
    pub head: i64,
    pub behind: i64,
    /// Seconds since the oldest unapplied event was recorded; 0 when caught up.
    pub oldest_unprojected_age_s: f64,
    #[schema(example = "running", pattern = "^(running|stalled)$")]
    pub state: String,
    /// Present when it is stalled.
    #[schema(nullable = false)]
    pub stall: Option<Stall>,
}

/// A person's weekly score history, newest week first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ScoreHistory {
    /// The effective person (the caller unless `person_id` was given and allowed).
    pub person_id: Uuid,
    /// The requested range, `null` for all time.
    pub range: Option<ScoreRange>,
    pub items: Vec<WeeklyScore>,
    /// Each metric's rule by domain, then metric key (the keys of `metrics`):
    /// what it measures, its unit, which way is better and where its points are earned.
    pub metric_rules: BTreeMap<String, BTreeMap<String, MetricRule>>,
}

/// How a metric is scored (formula_version 1), in words.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct MetricRule {
    #[schema(example = "First response time")]
    pub label: String,
    #[schema(example = "the mean time from a customer's message to your first reply")]
    pub measures: String,
    /// The unit of `raw_value` and `team_baseline`; `percent` values are shares 0-1.
    #[schema(pattern = "^(percent|minutes|rating_of_5|count|money|characters)$")]
    pub unit: String,
    #[schema(pattern = "^(higher|lower)$")]
    pub better: String,
    pub max_points: u32,
    #[schema(example = "at 0 min")]
    pub full_points: String,
    #[schema(example = "at or above the team average")]
    pub no_points: String,
    /// `team_average`: scored against the team's average of the metric (`team_baseline`).
    #[schema(pattern = "^(team_average|none)$")]
    pub compared_with: String,
    #[schema(
        example = "Lower is better: 30 points at 0 min, none at or above the team average, in proportion between."
    )]
    pub rule: String,
}

/// A half-open UTC range `[start, end)`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ScoreRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One weekly snapshot and its per-domain score rows.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct WeeklyScore {
    #[schema(example = "2026-W45")]
    pub week: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub composite_score: f64,
    /// Raw score by domain.
    pub domain_scores: BTreeMap<String, f64>,
    /// Weight by domain.
    pub weights: BTreeMap<String, f64>,
    pub team_id: Option<Uuid>,
    pub team_type: Option<String>,
    pub sales_activity_ratio: Option<f64>,
    pub weight_source: String,
    pub is_flagged: bool,
    pub formula_version: i32,
    pub scores: Vec<DomainScore>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DomainScore {
    #[schema(example = "support")]
    pub domain: String,
    pub raw_score: f64,
    pub weighted_score: f64,
    /// The metrics the score was computed from.
    #[schema(value_type = Object)]
    pub metrics: Value,
    pub formula_version: i32,
}

/// A person's goals, newest first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct GoalList {
    pub person_id: Uuid,
    pub items: Vec<Goal>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Goal {
    pub id: Uuid,
    pub person_id: Uuid,
    pub domain: GoalDomain,
    pub metric_key: String,
    pub label: String,
    pub target_value: f64,
    pub current_value: Option<f64>,
    pub comparison: GoalComparison,
    pub deadline: NaiveDate,
    pub status: GoalStatus,
    pub created_by_person_id: Option<Uuid>,
    /// In the list only (the read model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// In the list only (the read model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A scoring domain.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GoalDomain {
    Support,
    Operations,
    FieldService,
    Communication,
    Sales,
    DataQuality,
}

/// `lte`: at most the target; `gte`: at least.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GoalComparison {
    Lte,
    Gte,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GoalStatus {
    Active,
    Achieved,
    Missed,
    Canceled,
}

/// A new goal, for the caller or (managers, admins) for `person_id`. Other
/// fields are refused (422).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CreateGoal {
    /// Whose goal; the caller when absent.
    pub person_id: Option<Uuid>,
    pub domain: GoalDomain,
    /// Filled in by [`BodyRules`].
    pub metric_key: String,
    /// 1–200 characters, not only whitespace.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub label: String,
    /// Filled in by [`BodyRules`].
    pub target_value: f64,
    pub comparison: GoalComparison,
    /// Today (UTC) or later (422 for a day in the past).
    pub deadline: NaiveDate,
}

/// Changes to a goal, or `{"status": "canceled"}` alone to cancel it: a
/// body with `status` and any other field, even `null`, is refused (422), as
/// are fields not listed here. `null` is the same as leaving a field out.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UpdateGoal {
    /// 1–200 characters, not only whitespace.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub label: Option<String>,
    /// Filled in by [`BodyRules`].
    pub target_value: Option<f64>,
    pub comparison: Option<GoalComparison>,
    /// Today (UTC) or later (422 for a day in the past).
    pub deadline: Option<NaiveDate>,
    /// Only `canceled` may be set, and only alone.
    pub status: Option<CancelStatus>,
}

/// The one status a client may set.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CancelStatus {
    Canceled,
}

/// Generate a review for a managed person. Other fields are refused (422).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct GenerateReview {
    /// Whose review (required).
    pub person_id: Uuid,
    /// One ISO week that has ended (`2026-W45`, `last_week`); the last closed week when absent.
    /// `this_week`, `last_month` and weeks that have not ended are refused (422).
    #[schema(pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$")]
    pub period: Option<String>,
    /// Admins only: a new review past the cooldown, superseding the current one (kept in history).
    pub force: Option<bool>,
}

/// A person's reviews, newest period first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReviewList {
    pub person_id: Uuid,
    pub items: Vec<crate::queries::reviews::ReviewRow>,
}

/// A what-if proposal (admins): `period` or `last_weeks`, exactly one of
/// them (422 otherwise). Other fields are refused (422).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct WhatIfRequest {
    /// A weight map (`{"support": 30, …}`) for `team_type` (or the default
    /// map), or settings changes (`{"domain_weights_support": {…}}`); at
    /// least one entry. Unknown keys and weights the settings rules refuse
    /// are 422s naming `weights`.
    #[schema(value_type = Object)]
    pub weights: Value,
    /// operations, support, field_service, sales or other.
    #[schema(pattern = "^(operations|support|field_service|sales|other)$")]
    pub team_type: Option<String>,
    /// One ISO week, e.g. `2026-W20` (W53 only in a year that has one); or `last_weeks`.
    #[schema(pattern = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$")]
    pub period: Option<String>,
    /// The last N complete weeks (1–104).
    #[schema(minimum = 1, maximum = 104)]
    pub last_weeks: Option<u32>,
    /// How many of the biggest changes to list (default 20).
    #[schema(minimum = 1, maximum = 10000)]
    pub top: Option<u32>,
}

/// `POST /api/v1/performance/settings`: the changes, the first day they are
/// in force and why.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ChangeSettingsRequest {
    /// Settings by key (`{"flagged_threshold": 65, "domain_weights_support": {"support": 30, …}}`),
    /// at least one; each value as `perfledger settings set` takes it.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// The first day the change is in force: from 2000-01-01 to 366 days after today.
    #[schema(format = Date)]
    pub effective_from: String,
    /// Why (one line, no control characters; redacted before it is stored).
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// `POST /api/v1/admin/events/void`: which event (by `event_id` or by
/// `position`, not both) and why.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// The event's id, as `/healthz` names a stalled projector's event.
    #[schema(min_length = 1)]
    pub event_id: Option<String>,
    /// The event's log position, as `/healthz` shows it.
    #[schema(minimum = 1)]
    pub position: Option<i64>,
    /// Why it is voided; kept in the event and the audit log. Not blank; no
    /// control characters but tab and line breaks.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reason: String,
}

/// A recorded void.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Voided {
    pub position: i64,
    pub event_id: Option<String>,
    pub event_type: String,
    /// Projectors that had folded the event before the void: on their next
    /// round they fold the log again without it (the reviews projector keeps
    /// it until `perfledger replay`: its rows drive provider calls).
    pub applied_before_void_by: Vec<String>,
}

/// One item of `POST /api/v1/events` as it is accepted (events-and-metrics.md
/// §1–2; docs/scoring.md "Input limits"). Every field is bounded, so every
/// accepted event can be projected; a field outside its limit is an item
/// rejection naming it, never a failed batch.
///
/// Limits of `data` by field: entity ids (`ticket_id`, `task_id`,
/// `project_id`, …) 1–100 visible characters or plain spaces;
/// `display_name`, `title`, team `name` 1–200 characters and `reference`,
/// `priority`, `channel`, tags, `filled`, roles and permissions 1–100, none
/// with control characters; `summary` and `reason` at most 2,000
/// characters, control characters but tab, line feed and carriage return
/// refused; lists at most 100 items; `estimate_hours` and `actual_hours`
/// 0–100,000 with at most 6 decimal places; `estimated_duration_minutes`
/// 0–6,000,000 with at most 6; `estimated_value` and `total` 0–10^15 with
/// at most 4; `body_chars` 0–10,000,000; `rating` 1–5; `sla_due_at`,
/// `due_at`, `scheduled_end` from the earliest accepted time to 3,660 days
/// after receipt.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Envelope {
    /// The sender's id, unique per event: a repeat is a duplicate. 1–200
    /// visible characters or plain spaces (no control characters, other
    /// spaces or invisible formatting characters).
    #[schema(min_length = 1, max_length = 200)]
    pub event_id: String,
    /// A catalog type, e.g. `ticket.resolved`.
    #[schema(rename = "type", example = "ticket.opened")]
    pub type_name: String,
    /// RFC 3339 with an offset; from `PERFLEDGER_EARLIEST_OCCURRED_AT`
    /// (default 2000-01-01T00:00:00Z) to the time of receipt plus
    /// `PERFLEDGER_MAX_FUTURE_HOURS` (default 24 h).
    pub occurred_at: DateTime<Utc>,
    /// The type's fields (limits above).
    pub data: Object,
}

type Object = serde_json::Map<String, Value>;

/// What perfledger reads of a DotMac webhook body (DotMac's `Event.to_dict`:
/// also `occurred_at`, `payload` and `context`, kept but not read).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DotmacWebhookBody {
    /// DotMac's event id: a body whose `event_id` was stored before is a no-op.
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]+$")]
    pub event_id: String,
    /// The dotted type, e.g. `ticket.created`.
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]+$", example = "ticket.created")]
    pub event_type: String,
}

/// The answer to a stored (202) or repeated (200) DotMac webhook.
#[derive(Serialize, ToSchema)]
pub struct DotmacWebhookAnswer {
    pub event_id: String,
    /// True when this `event_id` was stored before (nothing changed).
    pub duplicate: bool,
}
