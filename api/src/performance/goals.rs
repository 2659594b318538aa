//! Goals (seed `AgentPerformanceGoal`, D14) over HTTP: list, create, update
//! and cancel. Anyone may act on their own goals (self-service), managers on
//! their members' and admins on anyone's (seed "Access Control").
//!
//! Writes go through the `Goal` aggregate (`perfledger_store::commands::execute`),
//! and answer with the goal as the command recorded it, read back from the
//! aggregate's own events. The list reads the `agent_performance_goals` read
//! model, which the projector updates asynchronously: a goal just written
//! appears there after the next projection round (eventual consistency).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope, GoalState};
use perfledger_domain::goals::Comparison;
use perfledger_domain::scoring::Domain;
use perfledger_domain::LogEvent;
use perfledger_store::commands::{execute, CommandError};
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::{json_object, only_fields, query_params, shorten, uuid_param, uuid_path};
use crate::auth::Principal;
use crate::routes::AppState;
use crate::scope::{caller_person_id, effective_person_id, ApiProblem};

const STATUSES: [&str; 4] = ["active", "achieved", "missed", "canceled"];

type GoalRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    f64,
    Option<f64>,
    String,
    NaiveDate,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// `GET /api/v1/performance/goals?person_id=&status=`: newest first.
#[utoipa::path(get, path = "/api/v1/performance/goals", tag = "performance", operation_id = "goals_list",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose data; the caller when absent. Never widens what the caller may see"),
        ("status" = Option<crate::openapi::GoalStatus>, Query, description = "Only goals in this status"),
    ),
    responses(
        (status = 200, description = "The person's goals, newest first (read model, eventually consistent)", body = crate::openapi::GoalList),
        (status = 400, description = "A query parameter is unknown, repeated or invalid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, principal: Principal, uri: Uri) -> Result<Json<Value>, ApiProblem> {
    let params = query_params(&uri, &["person_id", "status"])?;
    let requested = uuid_param(&params, "person_id")?;
    let status = params.get("status").map(|s| s.trim().to_string());
    if let Some(status) = &status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiProblem::invalid_parameter(
                "status",
                format!("'{}' is not a goal status; expected one of: {}", shorten(status), STATUSES.join(", ")),
            ));
        }
    }
    let person = effective_person_id(&state.pool, &principal, requested, "person_id").await?;
    let rows: Vec<GoalRow> = sqlx::query_as(
        "SELECT id, person_id, domain, metric_key, label, target_value::float8, current_value::float8, comparison,
                deadline, status, created_by_person_id, created_at, updated_at
           FROM agent_performance_goals
          WHERE person_id = $1 AND ($2::text IS NULL OR status = $2)
          ORDER BY created_at DESC, id",
    )
    .bind(person)
    .bind(status)
    .fetch_all(&state.pool)
    .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.0, "person_id": r.1, "domain": r.2, "metric_key": r.3, "label": r.4,
                "target_value": r.5, "current_value": r.6, "comparison": r.7, "deadline": r.8,
                "status": r.9, "created_by_person_id": r.10, "created_at": r.11, "updated_at": r.12,
            })
        })
        .collect();
    Ok(Json(json!({"person_id": person, "items": items})))
}

/// `POST /api/v1/performance/goals`: `{person_id?, domain, metric_key, label,
/// target_value, comparison, deadline}`; 201 with the recorded goal.
#[utoipa::path(post, path = "/api/v1/performance/goals", tag = "performance", operation_id = "goals_create",
    security(("bearer" = [])),
    request_body = crate::openapi::CreateGoal,
    responses(
        (status = 201, description = "The goal as the command recorded it", body = crate::openapi::Goal),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body breaks the schema, or a goal rule the schema cannot state: a `metric_key` of another `domain`, a `deadline` in the past, a `target_value` with more than 2 decimals. The problem names the `field` and the `reason`", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiProblem> {
    let me = caller_person_id(&principal)?;
    let map = json_object(&body)?;
    let goal = create_goal(&state.pool, &principal, &map).await?;
    Ok((StatusCode::CREATED, Json(goal_json(&goal, Some(me)))))
}

/// Creates a goal from the fields of `map` (the JSON body, or the dashboard's
/// form as strings) through the `Goal` aggregate, for `person_id` or the
/// caller, and returns it as the command recorded it.
pub async fn create_goal(
    pool: &PgPool,
    principal: &Principal,
    map: &Map<String, Value>,
) -> Result<GoalState, ApiProblem> {
    let me = caller_person_id(principal)?;
    only_fields(map, &["person_id", "domain", "metric_key", "label", "target_value", "comparison", "deadline"])?;
    let requested = optional_uuid(map, "person_id")?;
    let domain: Domain =
        enum_field(map, "domain", "support, operations, field_service, communication, sales, data_quality")?;
    let metric_key = string_field(map, "metric_key")?.ok_or_else(|| required("metric_key"))?;
    let label = string_field(map, "label")?.ok_or_else(|| required("label"))?;
    let target_value = decimal_field(map, "target_value")?.ok_or_else(|| required("target_value"))?;
    let comparison: Comparison = enum_field(map, "comparison", "lte, gte")?;
    let deadline = date_field(map, "deadline")?.ok_or_else(|| required("deadline"))?;

    let person = effective_person_id(pool, principal, requested, "person_id").await?;
    let goal_id = Uuid::new_v4();
    let now = Utc::now();
    let command = GoalCommand::Create {
        person_id: person,
        domain,
        metric_key,
        label,
        target_value,
        comparison,
        deadline,
        created_by_person_id: Some(me),
        today: now.date_naive(),
    };
    run(pool, goal_id, "created", now, command).await?;
    load_goal(pool, goal_id).await?.ok_or_else(|| ApiProblem::internal("the goal was not recorded"))
}

/// `PATCH /api/v1/performance/goals/{id}`: `{label?, target_value?,
/// comparison?, deadline?}` to update, or `{status: "canceled"}` to cancel.
#[utoipa::path(patch, path = "/api/v1/performance/goals/{id}", tag = "performance", operation_id = "goals_update",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The goal")),
    request_body = crate::openapi::UpdateGoal,
    responses(
        (status = 200, description = "The goal as the command recorded it", body = crate::openapi::Goal),
        (status = 400, description = "The id is not a UUID", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not act on this goal (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such goal (admins only)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body breaks the schema, or a rule the schema cannot state: `status` together with another field, a `deadline` in the past, a `target_value` with more than 2 decimals, a change that changes nothing, a goal that is no longer active. The problem names the `field` and the `reason`", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiProblem> {
    let goal_id = uuid_path(&id, "id")?;
    let map = json_object(&body)?;
    let goal = update_goal(&state.pool, &principal, goal_id, &map).await?;
    Ok(Json(goal_json(&goal, None)))
}

/// Updates (`label`, `target_value`, `comparison`, `deadline`) or cancels
/// (`status: "canceled"`) a goal the caller may act on, through the `Goal`
/// aggregate; returns it as the command recorded it.
pub async fn update_goal(
    pool: &PgPool,
    principal: &Principal,
    goal_id: Uuid,
    map: &Map<String, Value>,
) -> Result<GoalState, ApiProblem> {
    let me = caller_person_id(principal)?;
    only_fields(map, &["label", "target_value", "comparison", "deadline", "status"])?;
    let status = string_field(map, "status")?;
    let command = match status.as_deref() {
        Some("canceled") => {
            // Exactly `{"status": "canceled"}`: another field, even null,
            // is refused rather than ignored (the spec says so).
            if map.len() > 1 {
                return Err(ApiProblem::invalid_body("status", "cancel alone: give no other field with status"));
            }
            GoalCommand::Cancel { actor_person_id: Some(me) }
        }
        Some(other) => {
            return Err(ApiProblem::invalid_body(
                "status",
                format!("'{}' cannot be set; only \"canceled\" can (achieved and missed are settled)", shorten(other)),
            ))
        }
        None => GoalCommand::Update {
            actor_person_id: Some(me),
            label: string_field(map, "label")?,
            target_value: decimal_field(map, "target_value")?,
            comparison: if present(map, "comparison").is_some() {
                Some(enum_field(map, "comparison", "lte, gte")?)
            } else {
                None
            },
            deadline: date_field(map, "deadline")?,
            today: Utc::now().date_naive(),
        },
    };

    // Whose goal is it? Read from the aggregate's events, not the read model.
    let Some(goal) = load_goal(pool, goal_id).await? else {
        return Err(if principal.is_admin() {
            ApiProblem::not_found("id", format!("no goal has id '{goal_id}'"))
        } else {
            ApiProblem::forbidden(Some("id"), "you may not see or act on this goal")
        });
    };
    if !principal.is_admin() {
        effective_person_id(pool, principal, Some(goal.person_id), "id")
            .await
            .map_err(|_| ApiProblem::forbidden(Some("id"), "you may not see or act on this goal"))?;
    }
    let verb = if matches!(command, GoalCommand::Cancel { .. }) { "canceled" } else { "updated" };
    run(pool, goal_id, verb, Utc::now(), command).await?;
    load_goal(pool, goal_id).await?.ok_or_else(|| ApiProblem::internal("the goal vanished"))
}

async fn run(
    pool: &PgPool,
    goal_id: Uuid,
    verb: &str,
    occurred_at: DateTime<Utc>,
    command: GoalCommand,
) -> Result<(), ApiProblem> {
    let envelope = GoalCommandEnvelope {
        goal_id,
        event_id: format!("goal.{verb}:{goal_id}:{}", Uuid::new_v4()),
        occurred_at,
        command,
    };
    execute::<Goal>(pool, &goal_id.to_string(), envelope).await.map_err(|e| match e {
        CommandError::Rejected(r) => ApiProblem::rejected(&r.field, r.reason),
        CommandError::Store(e) => ApiProblem::internal_error("the event store failed", &e),
    })
}

/// The goal as its events leave it, or `None` when it was never created.
pub async fn load_goal(pool: &PgPool, goal_id: Uuid) -> Result<Option<GoalState>, ApiProblem> {
    let payloads: Vec<Value> = sqlx::query_scalar(
        "SELECT payload::jsonb FROM events WHERE aggregate_type = 'goal' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(goal_id.to_string())
    .fetch_all(pool)
    .await?;
    let mut goal = Goal::default();
    for payload in payloads {
        let event: LogEvent = serde_json::from_value(payload)
            .map_err(|e| ApiProblem::internal_error("a stored goal event does not parse", &e))?;
        goal.evolve(&event);
    }
    Ok(goal.state().cloned())
}

fn goal_json(goal: &GoalState, created_by: Option<Uuid>) -> Value {
    let number = |d: String| d.parse::<f64>().map(Value::from).unwrap_or(Value::String(d));
    let mut value = json!({
        "id": goal.goal_id,
        "person_id": goal.person_id,
        "domain": goal.domain,
        "metric_key": goal.metric_key,
        "label": goal.label,
        "target_value": number(goal.target_value.to_string()),
        "current_value": goal.current_value.map(|v| number(v.to_string())),
        "comparison": goal.comparison.as_str(),
        "deadline": goal.deadline,
        "status": goal.status.as_str(),
    });
    if let Some(created_by) = created_by {
        value["created_by_person_id"] = json!(created_by);
    }
    value
}

// ------------------------------------------------------------ body fields

fn required(field: &str) -> ApiProblem {
    ApiProblem::invalid_body(field, "is required")
}

fn present<'a>(map: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    map.get(field).filter(|v| !v.is_null())
}

fn string_field(map: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiProblem> {
    match present(map, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiProblem::invalid_body(field, "must be a string")),
    }
}

fn optional_uuid(map: &Map<String, Value>, field: &str) -> Result<Option<Uuid>, ApiProblem> {
    match string_field(map, field)? {
        None => Ok(None),
        Some(text) => Uuid::parse_str(&text)
            .map(Some)
            .map_err(|_| ApiProblem::invalid_body(field, format!("'{}' is not a UUID", shorten(&text)))),
    }
}

fn date_field(map: &Map<String, Value>, field: &str) -> Result<Option<NaiveDate>, ApiProblem> {
    match string_field(map, field)? {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiProblem::invalid_body(field, format!("'{}' is not a date (YYYY-MM-DD)", shorten(&text)))),
    }
}

/// A required snake_case enum (`Domain`, `Comparison`) from a string.
fn enum_field<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    field: &str,
    expected: &str,
) -> Result<T, ApiProblem> {
    let text = string_field(map, field)?.ok_or_else(|| required(field))?;
    serde_json::from_value(Value::String(text.clone()))
        .map_err(|_| ApiProblem::invalid_body(field, format!("'{}' is not one of: {expected}", shorten(&text))))
}

/// The decimal strings `target_value` accepts (the spec's pattern): digits,
/// optionally a fraction, with surrounding whitespace.
pub const DECIMAL_PATTERN: &str = r"^\s*[0-9]+(\.[0-9]+)?\s*$";

/// Does `text` (trimmed) match [`DECIMAL_PATTERN`]?
fn is_decimal_text(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// A decimal given as a JSON number or a string of [`DECIMAL_PATTERN`]; the
/// type comes from the command (the goal rules check sign, scale and size).
fn decimal_field<T: FromStr>(map: &Map<String, Value>, field: &str) -> Result<Option<T>, ApiProblem> {
    let text = match present(map, field) {
        None => return Ok(None),
        // serde_json writes a tiny float in exponent form (`5e-324`), which
        // no decimal parser reads; in the spec's range (0 to 10^10) only a
        // number with far more than 2 decimals is written so.
        Some(Value::Number(n)) if n.to_string().contains(['e', 'E']) => {
            return Err(ApiProblem::rejected(field, format!("may have at most 2 decimals (got {n})")));
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => {
            let text = s.trim();
            if !is_decimal_text(text) {
                return Err(ApiProblem::invalid_body(
                    field,
                    format!("'{}' is not a decimal number (digits, optionally a fraction: 12.5)", shorten(text)),
                ));
            }
            text.to_string()
        }
        Some(_) => return Err(ApiProblem::invalid_body(field, "must be a number")),
    };
    text.parse()
        .map(Some)
        .map_err(|_| ApiProblem::invalid_body(field, format!("'{}' is not a decimal number", shorten(&text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_are_digits_with_an_optional_fraction() {
        for good in ["0", "12", "12.5", "007.25"] {
            assert!(is_decimal_text(good), "{good}");
        }
        for bad in ["", ".5", "5.", "-1", "+1", "1e3", "1_000", "1.2.3", "NaN"] {
            assert!(!is_decimal_text(bad), "{bad}");
        }
    }

    #[test]
    fn a_tiny_json_number_is_refused_for_its_decimals() {
        let map: Map<String, Value> = serde_json::from_str(r#"{"target_value": 5e-324}"#).unwrap();
        let problem = decimal_field::<f64>(&map, "target_value").unwrap_err();
        assert_eq!((problem.status, problem.field.as_deref()), (422, Some("target_value")));
        assert!(problem.reason.starts_with("may have at most 2 decimals"), "{}", problem.reason);
    }
}
