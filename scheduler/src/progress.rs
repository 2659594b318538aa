//! Goal progress (seed `update_goal_progress`, D14): every active goal's
//! `current_value` comes from the latest score up to its deadline (a domain
//! score, the composite, or a metric of `metrics_json`). At the deadline a
//! goal that is met becomes `goal.achieved`; after it, one that is not
//! becomes `goal.missed`. Outcomes are events; `current_value` is derived.

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope};
use perfledger_domain::goals::{settle, Comparison};
use perfledger_domain::period::midnight;
use perfledger_domain::scoring::{round2, Domain};
use perfledger_store::commands::{execute, CommandError};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use perfledger_projections::runner::{ProjectionError, Result};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub updated: usize,
    pub achieved: usize,
    pub missed: usize,
}

/// The latest value of `metric_key` for a person from periods starting on
/// or before `deadline`.
pub async fn latest_value(
    pool: &PgPool,
    person: Uuid,
    domain: &str,
    metric_key: &str,
    deadline: NaiveDate,
) -> Result<Option<Decimal>> {
    let until = midnight(deadline + Days::new(1));
    let value: Option<Option<Decimal>> = if metric_key == "composite" {
        sqlx::query_scalar(
            "SELECT composite_score FROM agent_performance_snapshots
             WHERE person_id = $1 AND score_period_start < $2 ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(until)
        .fetch_optional(pool)
        .await?
    } else if metric_key.parse::<Domain>().is_ok() {
        sqlx::query_scalar(
            "SELECT raw_score FROM agent_performance_scores
             WHERE person_id = $1 AND domain = $2 AND score_period_start < $3
             ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(metric_key)
        .bind(until)
        .fetch_optional(pool)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT (metrics_json -> $3 ->> 'raw_value')::numeric FROM agent_performance_scores
             WHERE person_id = $1 AND domain = $2 AND score_period_start < $4
               AND metrics_json -> $3 ->> 'raw_value' IS NOT NULL
             ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(domain)
        .bind(metric_key)
        .bind(until)
        .fetch_optional(pool)
        .await?
    };
    Ok(value.flatten())
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
