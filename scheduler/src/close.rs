//! Weekly close and backfill (D15). `last_scored_period_end` is the
//! scheduler's checkpoint: every week that ended after it is scored and
//! closed, oldest first, so a missed Monday is made up on the next run.
//! Closing is an event (`period.closed`) on the week's own aggregate, so two
//! schedulers cannot close one week twice.

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::aggregates::{ClosePeriod, Period};
use perfledger_domain::period::{iso_week_label, midnight, week_start_of_day};
use perfledger_store::commands::{execute, CommandError};
use sqlx::PgPool;

use perfledger_projections::runner::{ProjectionError, Result};
use perfledger_scoring::pass::{score_week, ScoringContext};

pub const CHECKPOINT: &str = "last_scored_period_end";

/// The end of the last closed week, if any.
pub async fn last_scored_period_end(pool: &PgPool) -> Result<Option<NaiveDate>> {
    let value: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = $1")
        .bind(CHECKPOINT)
        .fetch_optional(pool)
        .await?;
    Ok(value.map(|v| v.date_naive()))
}

/// Scores and closes every week that ended by `now` and is not closed yet.
/// Returns the weeks closed.
pub async fn close_due_weeks(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<NaiveDate>> {
    let first = match last_scored_period_end(pool).await? {
        Some(end) => end,
        None => {
            let earliest: Option<NaiveDate> =
                sqlx::query_scalar("SELECT min(day) FROM metric_accumulators").fetch_one(pool).await?;
            match earliest {
                Some(day) => week_start_of_day(day),
                None => return Ok(Vec::new()),
            }
        }
    };
    let mut closed = Vec::new();
    let mut week = first;
    let mut context: Option<ScoringContext> = None;
    while midnight(week + Days::new(7)) <= now {
        let context: &ScoringContext = match &mut context {
            Some(c) => c,
            None => context.insert(ScoringContext::load(pool).await?),
        };
        // A week that is not dirty and was scored is current: close it as is.
        let current: Option<i32> = sqlx::query_scalar(
            "SELECT p.scored_people FROM scoring_periods p
             WHERE p.period_start = $1 AND p.last_scored_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM scoring_dirty d WHERE d.period_start = p.period_start)",
        )
        .bind(midnight(week))
        .fetch_optional(pool)
        .await?;
        let scored_people = match current {
            Some(people) => people as u32,
            None => score_week(pool, context, week, None).await?.people as u32,
        };
        let command = ClosePeriod { period_start: week, scored_people, occurred_at: now };
        match execute::<Period>(pool, &iso_week_label(week), command).await {
            Ok(()) => closed.push(week),
            // Closed already (by another scheduler, or before a crash).
            Err(CommandError::Rejected(_)) => {}
            Err(CommandError::Store(e)) => return Err(ProjectionError::Other(e)),
        }
        let end = week + Days::new(7);
        sqlx::query(
            "INSERT INTO scheduler_checkpoints (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
             WHERE scheduler_checkpoints.value < EXCLUDED.value",
        )
        .bind(CHECKPOINT)
        .bind(midnight(end))
        .execute(pool)
        .await?;
        week = end;
    }
    Ok(closed)
}
