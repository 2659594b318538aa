//! The flagged run (seed `generate_flagged_reviews`, D15), chained after the
//! weekly close: people whose snapshot is flagged (composite under
//! `flagged_threshold`) and who have no review for that week get one
//! requested, at most `max_reviews_per_run` per run; the rest wait for the
//! next run. It runs only when `review_generation_enabled` and a provider is
//! configured; otherwise the run is recorded as skipped with the reason.
//!
//! Cadence (D15, seed "remainder queued for next run"):
//! - A run is due once per closed week: when a week closed after the newest
//!   week a run has looked at and the close has caught up with the last
//!   full week ([`run_is_due`]). So `max_reviews_per_run` bounds the flagged
//!   reviews requested per weekly close, and a backfill is one run.
//! - A run looks at the weeks after the `flagged_reviews_through` checkpoint
//!   (every flagged person of the weeks up to it has been requested) through
//!   the last closed week; without a checkpoint, only the last closed week
//!   (enabling reviews does not review the whole history).
//! - It requests the oldest weeks first (then the lowest composite). People
//!   over the cap are carried over: the checkpoint moves only to the start
//!   of the oldest week that still has someone left, so the next run (after
//!   the next close) looks at that week again and requests them before the
//!   newer weeks. Nobody flagged is dropped, however many weeks it takes.
//! - Nobody is requested twice: a person and week with a review is not a
//!   candidate, and the Review aggregate refuses a second request for a
//!   person and week (the unique key) not yet projected.
//!
//! Every run is a row of `review_runs`.

use chrono::{DateTime, Duration as Days, Utc};
use perfledger_domain::aggregates::{review_aggregate_id, Review, ReviewCommand, ReviewCommandEnvelope};
use perfledger_domain::period::{midnight, week_start};
use perfledger_domain::reviews::ReviewTrigger;
use perfledger_store::commands::{execute, CommandError};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::{generation_gate, EnvOverrides};
use crate::worker::{current_settings, WorkerError};

/// The checkpoint: every flagged snapshot of weeks ending at or before it
/// has been requested.
pub const CHECKPOINT: &str = "flagged_reviews_through";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlaggedReport {
    /// End of the newest closed week looked at (none: no week closed yet).
    pub through: Option<DateTime<Utc>>,
    pub requested: usize,
    /// Flagged people left for the next run.
    pub carried_over: usize,
    /// Why the run did nothing.
    pub skipped: Option<String>,
}

async fn last_closed_end(pool: &PgPool) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = $1")
        .bind(perfledger_scheduler::close::CHECKPOINT)
        .fetch_optional(pool)
        .await
}

/// Is a run due at `now`: has a week closed after the newest one a run
/// looked at, and has the close caught up with the last full week? People a
/// run carried over wait for the next close (module docs), so a
/// carried-over run does not make another one due.
///
/// While a backfill closes week after week (a first start on a log with
/// history, a server that was down), no run is due: a run in the middle
/// would look at one old week and set the checkpoint there, and the next
/// would then request every flagged week closed since, which is the history
/// that enabling reviews must not review.
pub async fn run_is_due(pool: &PgPool, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let Some(closed) = last_closed_end(pool).await? else { return Ok(false) };
    if closed < midnight(week_start(now)) {
        return Ok(false);
    }
    let looked: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT max(through_period_end) FROM review_runs").fetch_one(pool).await?;
    Ok(looked.is_none_or(|looked| looked < closed))
}

/// `at` is the `now` the run's `review.requested` events carry: the team
/// page matches a run to its reviews by it (`api::queries::review_runs`, D23).
async fn record_run(pool: &PgPool, report: &FlaggedReport, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let Some(through) = report.through else { return Ok(()) };
    let status = match (&report.skipped, report.carried_over) {
        (Some(_), _) => "skipped",
        (None, 0) => "completed",
        (None, _) => "carried_over",
    };
    sqlx::query(
        "INSERT INTO review_runs (started_at, through_period_end, status, requested, carried_over, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(through)
    .bind(status)
    .bind(i32::try_from(report.requested).unwrap_or(i32::MAX))
    .bind(i32::try_from(report.carried_over).unwrap_or(i32::MAX))
    .bind(&report.skipped)
    .execute(pool)
    .await?;
    Ok(())
}

/// One flagged run (module docs). `now` is the time of the requests.
pub async fn run_flagged(pool: &PgPool, now: DateTime<Utc>, env: &EnvOverrides) -> Result<FlaggedReport, WorkerError> {
    let through = last_closed_end(pool).await?;
    let mut report = FlaggedReport { through, requested: 0, carried_over: 0, skipped: None };
    let Some(through) = through else {
        report.skipped = Some("no week has been closed yet".to_string());
        return Ok(report);
    };
    let settings = current_settings(pool).await?;
    if let Err(reason) = generation_gate(&settings, env) {
        tracing::info!(%reason, "flagged review run skipped");
        report.skipped = Some(reason);
        record_run(pool, &report, now).await?;
        return Ok(report);
    }
    let checkpoint: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = $1")
            .bind(CHECKPOINT)
            .fetch_optional(pool)
            .await?;
    let from = checkpoint.unwrap_or(through - Days::days(7));
    let candidates: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT s.person_id, s.score_period_start, s.score_period_end FROM agent_performance_snapshots s
         WHERE s.is_flagged AND s.score_period_end > $1 AND s.score_period_end <= $2
           AND NOT EXISTS (SELECT 1 FROM agent_performance_reviews r
                           WHERE r.person_id = s.person_id AND r.review_period_start = s.score_period_start
                             AND r.review_period_end = s.score_period_end)
         ORDER BY s.score_period_start, s.composite_score, s.person_id",
    )
    .bind(from)
    .bind(through)
    .fetch_all(pool)
    .await?;
    let cap = usize::try_from(settings.max_reviews_per_run.max(0)).unwrap_or(0);
    // The start of the oldest week with someone carried over: everything
    // before it has been requested.
    let mut oldest_left: Option<DateTime<Utc>> = None;
    for (person_id, period_start, period_end) in &candidates {
        if report.requested >= cap {
            report.carried_over += 1;
            oldest_left = Some(oldest_left.map_or(*period_start, |t| t.min(*period_start)));
            continue;
        }
        let command = ReviewCommand::Request {
            review_id: Uuid::new_v4(),
            person_id: *person_id,
            period_start: *period_start,
            period_end: *period_end,
            trigger: ReviewTrigger::Flagged,
            requested_by: None,
            force: false,
        };
        let id = review_aggregate_id(*person_id, *period_start, *period_end);
        match execute::<Review>(pool, &id, ReviewCommandEnvelope { occurred_at: now, command }).await {
            Ok(()) => report.requested += 1,
            // Requested meanwhile (not projected yet): the unique key holds.
            Err(CommandError::Rejected(_)) => {}
            Err(CommandError::Store(e)) => return Err(WorkerError::Settings(format!("the event store failed: {e}"))),
        }
    }
    // Weeks end and start on Mondays, so the start of the oldest week left
    // is the end of the newest week fully requested; never before `from`.
    let fully_requested = oldest_left.map_or(through, |start| start.max(from));
    sqlx::query(
        "INSERT INTO scheduler_checkpoints (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         WHERE scheduler_checkpoints.value < EXCLUDED.value",
    )
    .bind(CHECKPOINT)
    .bind(fully_requested)
    .execute(pool)
    .await?;
    record_run(pool, &report, now).await?;
    Ok(report)
}
