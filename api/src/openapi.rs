//! The OpenAPI 3.1 description of every route the router serves, generated
//! with utoipa from the `#[utoipa::path]` attributes on the handlers and
//! served as JSON at `GET /api/v1/openapi.json` (public, no token).
//!
//! The handlers read their query strings and bodies by hand (so that every
//! unknown or repeated parameter is refused with a problem naming the
//! field), and answer `serde_json::Value`s; the schemas below describe those
//! shapes for the spec only. Adding a route: annotate its handler, list it in
//! [`ApiDoc`]'s `paths(...)`, and add it to the route list of
//! `tests/e2e/openapi.rs` (the test fails when the spec and the router part).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

/// The path the spec is served at.
pub const SPEC_PATH: &str = "/api/v1/openapi.json";
/// The media type of every error.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "perfledger",
        description = "Agent performance scoring over an event log: ingest CRM activity, read scorecards, \
                       goals, reviews and reports. Errors are `application/problem+json` (RFC 9457); the \
                       performance API's problems also name the `field` at fault and the `reason`."
    ),
    paths(
        crate::web::home,
        crate::routes::health,
        crate::ops::ready,
        crate::ops::metrics,
        serve_spec,
        crate::ingest::post_events,
        crate::performance::scores::list,
        crate::performance::goals::list,
        crate::performance::goals::create,
        crate::performance::goals::update,
        crate::performance::reviews::list,
        crate::performance::reviews::generate,
        crate::performance::reviews::detail,
        crate::performance::reviews::acknowledge,
        crate::performance::reports::leaderboard,
        crate::performance::reports::leaderboard_csv,
        crate::performance::reports::team_summary,
        crate::performance::reports::peer_comparison,
        crate::performance::reports::drilldown,
        crate::performance::what_if::what_if,
        crate::admin::void,
    ),
    components(schemas(
        Problem,
        IngestReport,
        RejectedItem,
        Health,
        Ready,
        ProjectorLag,
        ScoreHistory,
        ScoreRange,
        WeeklyScore,
        DomainScore,
        GoalList,
        Goal,
        CreateGoal,
        UpdateGoal,
        CancelStatus,
        GenerateReview,
        ReviewList,
        crate::queries::reviews::ReviewRow,
        crate::performance::reviews::RequestedReview,
        crate::performance::reviews::AcknowledgedReview,
        WhatIfRequest,
        VoidRequest,
        Voided,
        Envelope,
    )),
    modifiers(&BearerAuth, &BodyRules),
    tags(
        (name = "ops", description = "Health, readiness, metrics and this spec: no token needed"),
        (name = "ingest", description = "CRM activity into the event log"),
        (name = "performance", description = "Scorecards, goals and reviews, scoped server-side to what the caller may see"),
        (name = "admin", description = "Operating the log: voiding an event a projector cannot fold (admins only)"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer (JWT) security scheme the performance and ingest routes use.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_string());
        http.description = Some(
            "A JWT signed with HS256 or RS256 (as configured); `sub` is the person_id, plus `roles` and \
             `permissions`. Mint one with `perfledger token`."
                .to_string(),
        );
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

/// What the derived body schemas cannot say by themselves, filled in from
/// the code's own rules so the two cannot part:
/// - `CreateGoal.metric_key`: one of the keys `domain::goals` accepts for
///   some domain (`composite`, a domain name or a domain's metric); whether
///   it belongs to the goal's `domain` is a rule across two fields (422).
/// - `target_value` (both goal bodies): a JSON number or a decimal string
///   (the dashboards post strings), at least 0 and below 10^10.
/// - `WhatIfRequest.weights`: an object with at least one entry.
struct BodyRules;

/// `target_value` as the goal handlers read it (`goals::decimal_field`).
fn target_value_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let mut one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0.0)).exclusive_maximum(Some(1e10)))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(crate::performance::goals::DECIMAL_PATTERN)));
    if nullable {
        one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    one_of
        .description(Some(
            "A JSON number or a decimal string (`\"12.5\"`), at least 0 and below 10000000000, with at most 2 \
             decimals (422 otherwise; the schema cannot state the decimals)",
        ))
        .into()
}

impl Modify for BodyRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else { return };
        fn object<'a>(
            components: &'a mut utoipa::openapi::Components,
            name: &str,
        ) -> &'a mut utoipa::openapi::schema::Object {
            match components.schemas.get_mut(name) {
                Some(RefOr::T(Schema::Object(object))) => object,
                _ => panic!("the spec has a {name} object schema"),
            }
        }
        let create = object(components, "CreateGoal");
        use perfledger_domain::scoring::{formulas::METRIC_KEYS, Domain};
        let mut keys = vec![perfledger_domain::goals::COMPOSITE_METRIC_KEY];
        keys.extend(Domain::ALL.iter().map(|d| d.as_str()));
        for (_, key, _) in METRIC_KEYS {
            if !keys.contains(key) {
                keys.push(key);
            }
        }
        create.properties.insert(
            "metric_key".to_string(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(keys))
                .description(Some(
                    "`composite`, the domain's own name (its domain score) or one of the domain's metrics; a key \
                     of another domain is refused (422)",
                ))
                .into(),
        );
        create.properties.insert("target_value".to_string(), target_value_schema(false));
        object(components, "UpdateGoal").properties.insert("target_value".to_string(), target_value_schema(true));
        match object(components, "WhatIfRequest").properties.get_mut("weights") {
            Some(RefOr::T(Schema::Object(weights))) => weights.min_properties = Some(1),
            _ => panic!("WhatIfRequest has a weights object"),
        }
    }
}

/// The spec as a value.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The spec as pretty JSON, built once per process.
pub fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| spec().to_pretty_json().expect("the OpenAPI spec serializes"))
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "ops",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object))
)]
pub async fn serve_spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], spec_json())
}

// ------------------------------------------------------------ schemas
//
// These describe the JSON the handlers build; they are never constructed.

/// An RFC 9457 problem. The performance routes add `field` (the query
/// parameter, path segment or body field at fault) and `reason`; `type` is a
/// stable URI per kind of failure (`about:blank` elsewhere).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// A stable URI naming the kind of problem, e.g.
    /// `https://perfledger.dev/problems/invalid-parameter`.
    #[serde(rename = "type")]
    #[schema(example = "https://perfledger.dev/problems/invalid-parameter")]
    pub type_uri: String,
    #[schema(example = "Bad Request")]
    pub title: String,
    #[schema(example = 400)]
    pub status: u16,
    #[schema(example = "period: 'next_week' is not a period")]
    pub detail: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_is_openapi_3_1_with_bearer_auth_and_problems() {
        let spec: Value = serde_json::from_str(spec_json()).unwrap();
        assert_eq!(spec["openapi"], "3.1.0");
        assert_eq!(spec["components"]["securitySchemes"][BEARER]["type"], "http");
        assert!(spec["components"]["schemas"]["Problem"]["properties"]["type"].is_object());
        assert!(spec["paths"][SPEC_PATH]["get"].is_object());
        let scores = &spec["paths"]["/api/v1/performance/scores"]["get"];
        assert_eq!(scores["security"][0][BEARER], serde_json::json!([]));
        assert!(scores["responses"]["400"]["content"][PROBLEM_JSON].is_object());
    }
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
