//! Targeted rescoring (issue 4): `backfill` scores every week that has
//! activity but was never scored; `rescore_weeks` rescores a range of weeks
//! from the accumulators. Both first bring every projector to the head, and
//! both are idempotent: a rescore that changes nothing writes nothing.

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::period::{midnight, week_start};
use perfledger_projections::projectors;
use perfledger_projections::runner::{ProjectionError, Runner};
use perfledger_scoring::pass::{score_weeks, ScoringContext};
use sqlx::PgPool;

/// Every started week with accumulators and no scoring pass yet, oldest first.
pub async fn unscored_weeks(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<NaiveDate>, ProjectionError> {
    let weeks: Vec<NaiveDate> = sqlx::query_scalar(
        "SELECT DISTINCT date_trunc('week', a.day)::date AS week FROM metric_accumulators a
         WHERE a.day < $1
           AND NOT EXISTS (SELECT 1 FROM scoring_periods p
                           WHERE p.period_start = date_trunc('week', a.day)::date::timestamp AT TIME ZONE 'UTC'
                             AND p.last_scored_at IS NOT NULL)
         ORDER BY week",
    )
    .bind(week_start(now) + Days::new(7))
    .fetch_all(pool)
    .await?;
    Ok(weeks)
}

async fn catch_up(pool: &PgPool, batch_size: i64) -> Result<(), ProjectionError> {
    Runner::new(pool.clone(), projectors(), batch_size).catch_up(&mut |_, _| {}).await?;
    Ok(())
}

/// Scores every week that has never been scored. Returns them.
pub async fn backfill(pool: &PgPool, batch_size: i64, now: DateTime<Utc>) -> Result<Vec<NaiveDate>, ProjectionError> {
    catch_up(pool, batch_size).await?;
    let weeks = unscored_weeks(pool, now).await?;
    let context = ScoringContext::load(pool).await?;
    let work: Vec<_> = weeks.iter().map(|w| (*w, None)).collect();
    score_weeks(pool, &context, &work, &mut perfledger_projections::report::ignore).await?;
    Ok(weeks)
}

/// Rescores every week from `first` to `last` (Mondays, inclusive) that has
/// started by `now`. Returns them.
pub async fn rescore_weeks(
    pool: &PgPool,
    batch_size: i64,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<NaiveDate>, ProjectionError> {
    catch_up(pool, batch_size).await?;
    let mut weeks = Vec::new();
    let mut week = first;
    while week <= last && midnight(week) <= now {
        weeks.push(week);
        week = week + Days::new(7);
    }
    let context = ScoringContext::load(pool).await?;
    let work: Vec<_> = weeks.iter().map(|w| (*w, None)).collect();
    score_weeks(pool, &context, &work, &mut perfledger_projections::report::ignore).await?;
    Ok(weeks)
}
