//! The goals read model (`agent_performance_goals`, D14), folded from the
//! goal events. `current_value` is not an event: the progress pass
//! (`perfledger_scheduler::progress`) derives it from the latest scores.

use async_trait::async_trait;
use perfledger_domain::event::EventBody;
use sqlx::PgConnection;

use crate::directory::enum_str;
use crate::runner::{Decoded, Projector, Result};

pub const NAME: &str = "goals";

pub struct GoalsProjector;

#[async_trait]
impl Projector for GoalsProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn reset(&mut self, tx: &mut PgConnection) -> Result<bool> {
        sqlx::query("DELETE FROM agent_performance_goals").execute(&mut *tx).await?;
        Ok(true)
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        for d in events {
            let at = d.event.occurred_at;
            match &d.event.body {
                EventBody::GoalCreated(g) => {
                    sqlx::query(
                        "INSERT INTO agent_performance_goals (id, person_id, domain, metric_key, label, target_value,
                             comparison, deadline, status, created_by_person_id, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $10)",
                    )
                    .bind(g.goal_id)
                    .bind(g.person_id)
                    .bind(g.domain.as_str())
                    .bind(&g.metric_key)
                    .bind(&g.label)
                    .bind(g.target_value)
                    .bind(enum_str(&g.comparison))
                    .bind(g.deadline)
                    .bind(g.created_by_person_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                EventBody::GoalUpdated(g) => {
                    sqlx::query(
                        "UPDATE agent_performance_goals SET label = coalesce($2, label),
                             target_value = coalesce($3, target_value), comparison = coalesce($4, comparison),
                             deadline = coalesce($5, deadline), updated_at = $6
                         WHERE id = $1",
                    )
                    .bind(g.goal_id)
                    .bind(&g.label)
                    .bind(g.target_value)
                    .bind(g.comparison.as_ref().map(enum_str))
                    .bind(g.deadline)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                EventBody::GoalCanceled(g) => set_status(tx, g.goal_id, "canceled", None, at).await?,
                EventBody::GoalAchieved(g) => set_status(tx, g.goal_id, "achieved", g.current_value, at).await?,
                EventBody::GoalMissed(g) => set_status(tx, g.goal_id, "missed", g.current_value, at).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

async fn set_status(
    tx: &mut PgConnection,
    goal_id: uuid::Uuid,
    status: &str,
    value: Option<rust_decimal::Decimal>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE agent_performance_goals SET status = $2, current_value = coalesce($3, current_value), updated_at = $4
         WHERE id = $1",
    )
    .bind(goal_id)
    .bind(status)
    .bind(value.map(perfledger_domain::scoring::round2))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
