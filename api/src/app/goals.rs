//! Goals (seed `AgentPerformanceGoal`, D14): the use cases behind the goals
//! API and the goal forms of My Performance. Anyone may act on their own
//! goals (self-service), managers on their members' and admins on anyone's
//! (seed "Access Control").
//!
//! Writes go through the `Goal` aggregate (`perfledger_store::commands::execute`)
//! and return the goal as the command recorded it, read back from the
//! aggregate's own events. [`list_goals`] reads the `agent_performance_goals`
//! read model, which the projector updates asynchronously: a goal just
//! written appears there after the next projection round.
//!
//! Commands arrive as a field map (the JSON body, or a form's fields as
//! strings); [`super::fields`] reads it, naming the field at fault.

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope, GoalState};
use perfledger_domain::goals::Comparison;
use perfledger_domain::scoring::Domain;
use perfledger_store::commands::{execute, CommandError};
use perfledger_store::log::entity_history;
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::fields::{
    date_field, decimal_field, enum_field, only_fields, optional_uuid, present, required, shorten, string_field,
};
use super::scope::{caller_person_id, effective_person_id};
use crate::auth::Principal;
use crate::error::{history_error, AppError};
use crate::ids::{GoalId, PersonId};
use crate::state::AppState;

/// The statuses a goal can be in (`status=` filters on them).
pub const STATUSES: [&str; 4] = ["active", "achieved", "missed", "canceled"];

/// One row of `agent_performance_goals`, as the list answers it.
pub type GoalRow = (
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

/// The goals of `requested` (the caller when `None`) the caller may see,
/// newest first, optionally in one `status`.
pub async fn list_goals(
    state: &AppState,
    principal: &Principal,
    requested: Option<PersonId>,
    status: Option<String>,
) -> Result<(PersonId, Vec<GoalRow>), AppError> {
    if let Some(status) = &status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(AppError::invalid_parameter(
                "status",
                format!("'{}' is not a goal status; expected one of: {}", shorten(status), STATUSES.join(", ")),
            ));
        }
    }
    let person = effective_person_id(&state.pool, principal, requested, "person_id").await?;
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
    Ok((person, rows))
}

/// Creates a goal from the fields of `map` (the JSON body, or the dashboard's
/// form as strings) through the `Goal` aggregate, for `person_id` or the
/// caller, and returns it as the command recorded it.
pub async fn create_goal(
    state: &AppState,
    principal: &Principal,
    map: &Map<String, Value>,
) -> Result<GoalState, AppError> {
    let pool = &state.pool;
    let me = caller_person_id(principal)?.uuid();
    only_fields(map, &["person_id", "domain", "metric_key", "label", "target_value", "comparison", "deadline"])?;
    let requested = optional_uuid(map, "person_id")?.map(PersonId);
    let domain: Domain =
        enum_field(map, "domain", "support, operations, field_service, communication, sales, data_quality")?;
    let metric_key = string_field(map, "metric_key")?.ok_or_else(|| required("metric_key"))?;
    let label = string_field(map, "label")?.ok_or_else(|| required("label"))?;
    let target_value = decimal_field(map, "target_value")?.ok_or_else(|| required("target_value"))?;
    let comparison: Comparison = enum_field(map, "comparison", "lte, gte")?;
    let deadline = date_field(map, "deadline")?.ok_or_else(|| required("deadline"))?;

    let person = effective_person_id(pool, principal, requested, "person_id").await?.uuid();
    let goal_id = GoalId(Uuid::new_v4());
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
    load_goal(pool, goal_id).await?.ok_or_else(|| AppError::internal("the goal was not recorded"))
}

/// Updates (`label`, `target_value`, `comparison`, `deadline`) or cancels
/// (`status: "canceled"`) a goal the caller may act on, through the `Goal`
/// aggregate; returns it as the command recorded it.
pub async fn update_goal(
    state: &AppState,
    principal: &Principal,
    goal_id: GoalId,
    map: &Map<String, Value>,
) -> Result<GoalState, AppError> {
    let pool = &state.pool;
    let me = caller_person_id(principal)?.uuid();
    only_fields(map, &["label", "target_value", "comparison", "deadline", "status"])?;
    let status = string_field(map, "status")?;
    let command = match status.as_deref() {
        Some("canceled") => {
            // Exactly `{"status": "canceled"}`: another field, even null,
            // is refused rather than ignored (the spec says so).
            if map.len() > 1 {
                return Err(AppError::invalid_body("status", "cancel alone: give no other field with status"));
            }
            GoalCommand::Cancel { actor_person_id: Some(me) }
        }
        Some(other) => {
            return Err(AppError::invalid_body(
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
            AppError::not_found("id", format!("no goal has id '{goal_id}'"))
        } else {
            AppError::forbidden(Some("id"), "you may not see or act on this goal")
        });
    };
    if !principal.is_admin() {
        effective_person_id(pool, principal, Some(PersonId(goal.person_id)), "id")
            .await
            .map_err(|_| AppError::forbidden(Some("id"), "you may not see or act on this goal"))?;
    }
    let verb = if matches!(command, GoalCommand::Cancel { .. }) { "canceled" } else { "updated" };
    run(pool, goal_id, verb, Utc::now(), command).await?;
    load_goal(pool, goal_id).await?.ok_or_else(|| AppError::internal("the goal vanished"))
}

async fn run(
    pool: &PgPool,
    goal_id: GoalId,
    verb: &str,
    occurred_at: DateTime<Utc>,
    command: GoalCommand,
) -> Result<(), AppError> {
    let envelope = GoalCommandEnvelope {
        goal_id: goal_id.uuid(),
        event_id: format!("goal.{verb}:{goal_id}:{}", Uuid::new_v4()),
        occurred_at,
        command,
    };
    execute::<Goal>(pool, &goal_id.to_string(), envelope).await.map_err(|e| match e {
        CommandError::Rejected(r) => AppError::rejected(&r.field, r.reason),
        CommandError::Store(e) => AppError::internal_error("the event store failed", &e),
    })
}

/// The goal as its events leave it, or `None` when it was never created.
pub async fn load_goal(pool: &PgPool, goal_id: GoalId) -> Result<Option<GoalState>, AppError> {
    let history = entity_history(pool, "goal", &goal_id.to_string()).await.map_err(history_error)?;
    let mut goal = Goal::default();
    for event in &history {
        goal.evolve(event);
    }
    Ok(goal.state().cloned())
}
