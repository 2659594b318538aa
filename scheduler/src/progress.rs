//! Goal progress (seed `update_goal_progress`, D14): every active goal's
//! `current_value` comes from the latest score up to its deadline (a domain
//! score, the composite, or a metric of `metrics_json`; read by
//! `scoring::rows::latest_value`). At the deadline a
//! goal that is met becomes `goal.achieved`; after it, one that is not
//! becomes `goal.missed`. Outcomes are events; `current_value` is derived.

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope};
use perfledger_domain::goals::{settle, Comparison};
use perfledger_domain::scoring::round2;
use perfledger_store::commands::{execute, CommandError};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use perfledger_projections::runner::{ProjectionError, Result};
use perfledger_scoring::rows::latest_value;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub updated: usize,
    pub achieved: usize,
    pub missed: usize,
}

/// Updates every active goal as of `now`.
pub async fn update_goal_progress(pool: &PgPool, now: DateTime<Utc>) -> Result<Progress> {
    #[allow(clippy::type_complexity)]
    let goals: Vec<(Uuid, Uuid, String, String, Decimal, String, NaiveDate, Option<Decimal>)> = sqlx::query_as(
        "SELECT id, person_id, domain, metric_key, target_value, comparison, deadline, current_value
         FROM agent_performance_goals WHERE status = 'active' ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let today = now.date_naive();
    let mut progress = Progress::default();
    for (id, person, domain, metric_key, target, comparison, deadline, current) in goals {
        let value = latest_value(pool, person, &domain, &metric_key, deadline).await?.map(round2);
        if value != current {
            sqlx::query("UPDATE agent_performance_goals SET current_value = $2 WHERE id = $1")
                .bind(id)
                .bind(value)
                .execute(pool)
                .await?;
            progress.updated += 1;
        }
        let comparison = if comparison == "lte" { Comparison::Lte } else { Comparison::Gte };
        let met = settle(comparison, target, value);
        let command = if today >= deadline && met {
            progress.achieved += 1;
            GoalCommand::Achieve { current_value: value }
        } else if today > deadline {
            progress.missed += 1;
            GoalCommand::Miss { current_value: value }
        } else {
            continue;
        };
        let envelope =
            GoalCommandEnvelope { goal_id: id, event_id: format!("goal.settled:{id}"), occurred_at: now, command };
        match execute::<Goal>(pool, &id.to_string(), envelope).await {
            Ok(()) | Err(CommandError::Rejected(_)) => {}
            Err(CommandError::Store(e)) => return Err(ProjectionError::Other(e)),
        }
    }
    Ok(progress)
}
