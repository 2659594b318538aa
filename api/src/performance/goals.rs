//! Goals (seed `AgentPerformanceGoal`, D14) over HTTP: list, create, update
//! and cancel; the use cases are [`crate::app::goals`]. Anyone may act on their own goals (self-service), managers on
//! their members' and admins on anyone's (seed "Access Control").
//!
//! Writes go through the `Goal` aggregate (`perfledger_store::commands::execute`),
//! and answer with the goal as the command recorded it, read back from the
//! aggregate's own events. The list reads the `agent_performance_goals` read
//! model, which the projector updates asynchronously: a goal just written
//! appears there after the next projection round (eventual consistency).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use perfledger_domain::aggregates::GoalState;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{json_object, query_params, uuid_param, uuid_path};
use crate::app::goals;
use crate::app::scope::caller_person_id;
use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::{GoalId, PersonId};
use crate::state::AppState;

/// `GET /api/v1/performance/goals?person_id=&status=`: newest first.
#[utoipa::path(get, path = "/api/v1/performance/goals", tag = "performance", operation_id = "goals_list",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose data; the caller when absent. Never widens what the caller may see"),
        ("status" = Option<crate::schemas::GoalStatus>, Query, description = "Only goals in this status"),
    ),
    responses(
        (status = 200, description = "The person's goals, newest first (read model, eventually consistent)", body = crate::schemas::GoalList),
        (status = 400, description = "A query parameter is unknown, repeated or invalid", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, principal: Principal, uri: Uri) -> Result<Json<Value>, AppError> {
    let params = query_params(&uri, &["person_id", "status"])?;
    let requested = uuid_param(&params, "person_id")?.map(PersonId);
    let status = params.get("status").map(|s| s.trim().to_string());
    let (person, rows) = goals::list_goals(&state, &principal, requested, status).await?;
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
    request_body = crate::schemas::CreateGoal,
    responses(
        (status = 201, description = "The goal as the command recorded it", body = crate::schemas::Goal),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body breaks the schema, or a goal rule the schema cannot state: a `metric_key` of another `domain`, a `deadline` in the past, a `target_value` with more than 2 decimals. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let me = caller_person_id(&principal)?;
    let map = json_object(&body)?;
    let goal = goals::create_goal(&state, &principal, &map).await?;
    Ok((StatusCode::CREATED, Json(goal_json(&goal, Some(me.uuid())))))
}

/// `PATCH /api/v1/performance/goals/{id}`: `{label?, target_value?,
/// comparison?, deadline?}` to update, or `{status: "canceled"}` to cancel.
#[utoipa::path(patch, path = "/api/v1/performance/goals/{id}", tag = "performance", operation_id = "goals_update",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The goal")),
    request_body = crate::schemas::UpdateGoal,
    responses(
        (status = 200, description = "The goal as the command recorded it", body = crate::schemas::Goal),
        (status = 400, description = "The id is not a UUID", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not act on this goal (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such goal (admins only)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body breaks the schema, or a rule the schema cannot state: `status` together with another field, a `deadline` in the past, a `target_value` with more than 2 decimals, a change that changes nothing, a goal that is no longer active. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let goal_id = uuid_path(&id, "id")?;
    let map = json_object(&body)?;
    let goal = goals::update_goal(&state, &principal, GoalId(goal_id), &map).await?;
    Ok(Json(goal_json(&goal, None)))
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
