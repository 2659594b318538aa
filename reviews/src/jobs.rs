//! The durable job queue (`review_jobs`, D15). The review projector inserts
//! a job for every `review.requested`; workers claim due jobs with
//! `FOR UPDATE SKIP LOCKED` (so two workers never take the same one and never
//! wait on each other), hold a lease (`locked_until`) while they call the
//! provider, and either finish the job or put it back with a later
//! `run_after`. A job whose worker died is claimed again once its lease ran out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// One claimed job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Provider calls made for this review so far (earlier runs included).
    pub attempts: i32,
}

/// Claims up to `limit` of the oldest due jobs in one statement: queued and
/// due, or running with an expired lease. Their lease is `lease` from now.
pub async fn claim(pool: &PgPool, lease: Duration, limit: usize) -> Result<Vec<Job>, sqlx::Error> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "UPDATE review_jobs j SET status = 'running', locked_until = now() + $1::interval, updated_at = now()
         FROM (SELECT review_id FROM review_jobs
               WHERE (status = 'queued' AND run_after <= now()) OR (status = 'running' AND locked_until < now())
               ORDER BY run_after, created_at
               LIMIT $2
               FOR UPDATE SKIP LOCKED) due
         WHERE j.review_id = due.review_id
         RETURNING j.review_id, j.person_id, j.period_start, j.period_end, j.attempts",
    )
    .bind(interval(lease))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
}

fn interval(d: Duration) -> String {
    format!("{} milliseconds", d.as_millis())
}

/// Puts a job back for a retry after `delay`, counting the calls made.
pub async fn reschedule(
    pool: &PgPool,
    review_id: Uuid,
    attempts: i32,
    delay: Duration,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE review_jobs SET status = 'queued', attempts = $2, run_after = now() + $3::interval,
             locked_until = NULL, last_error = $4, updated_at = now()
         WHERE review_id = $1 AND status = 'running'",
    )
    .bind(review_id)
    .bind(attempts)
    .bind(interval(delay))
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends a job (`done` or `failed`); the projector writes the same when it
/// folds the outcome event, so either order leaves the same row.
pub async fn finish(
    pool: &PgPool,
    review_id: Uuid,
    status: &str,
    attempts: i32,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE review_jobs SET status = $2, attempts = greatest(attempts, $3), locked_until = NULL,
             last_error = coalesce($4, last_error), updated_at = now()
         WHERE review_id = $1",
    )
    .bind(review_id)
    .bind(status)
    .bind(attempts)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Jobs not finished yet, and when the next queued one is due.
pub async fn outstanding(pool: &PgPool) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*), min(CASE WHEN status = 'queued' THEN run_after ELSE locked_until END)
         FROM review_jobs WHERE status IN ('queued', 'running')",
    )
    .fetch_one(pool)
    .await
}
