//! The team page's review lists (issue 16): the flagged-review runs
//! (`review_runs`, written by `perfledger_reviews::flagged`) with what each
//! requested, failed and cost for a set of people, and the generated reviews
//! of a set of people not acknowledged yet. Scope is the caller's job, as
//! for every query here.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::reviews::ReviewUsage;
use super::Decimal;

/// One flagged run, with its counts for the people asked about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    /// The end of the newest closed week the run looked at.
    pub through_period_end: DateTime<Utc>,
    /// `completed`, `carried_over` or `skipped`.
    pub status: String,
    /// What the whole run requested and carried over (every team: the run
    /// records counts, not people).
    pub requested_all: i32,
    pub carried_over_all: i32,
    /// Why a skipped run did nothing.
    pub reason: Option<String>,
    /// Of the people asked about: reviews the run requested, how many of
    /// them failed, and the tokens the generated ones used.
    pub requested: i64,
    pub failed: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

impl RunRow {
    /// The generated reviews' usage, for [`super::reviews::estimated_cost`].
    pub fn usage(&self) -> ReviewUsage {
        ReviewUsage { generated: 0, tokens_in: self.tokens_in, tokens_out: self.tokens_out }
    }
}

/// The runs that looked at weeks ending in `(from, to]`, newest first (at
/// most `limit`), each with its counts for `people`. A run's requests are
/// the flagged reviews recorded at the moment it started (the run writes its
/// requests and its row with one clock reading); a review a forced request
/// replaced since still counts, from the history table.
pub async fn runs(
    pool: &PgPool,
    people: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH flagged AS (
             SELECT created_at, status, llm_tokens_in, llm_tokens_out FROM agent_performance_reviews
              WHERE trigger = 'flagged' AND person_id = ANY($1)
             UNION ALL
             SELECT created_at, status, llm_tokens_in, llm_tokens_out FROM agent_performance_review_history
              WHERE trigger = 'flagged' AND person_id = ANY($1))
         SELECT r.id, r.started_at, r.through_period_end, r.status, r.requested AS requested_all,
                r.carried_over AS carried_over_all, r.reason,
                count(f.created_at) AS requested,
                count(f.created_at) FILTER (WHERE f.status = 'failed') AS failed,
                coalesce(sum(f.llm_tokens_in) FILTER (WHERE f.status = 'generated'), 0)::bigint AS tokens_in,
                coalesce(sum(f.llm_tokens_out) FILTER (WHERE f.status = 'generated'), 0)::bigint AS tokens_out
           FROM review_runs r
           LEFT JOIN flagged f ON date_trunc('milliseconds', f.created_at) = date_trunc('milliseconds', r.started_at)
          WHERE r.through_period_end > $2 AND r.through_period_end <= $3
          GROUP BY r.id
          ORDER BY r.started_at DESC, r.id DESC
          LIMIT $4",
    )
    .bind(people)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A generated review its person has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingAck {
    pub id: Uuid,
    pub person_id: Uuid,
    pub display_name: Option<String>,
    pub review_period_start: DateTime<Utc>,
    pub review_period_end: DateTime<Utc>,
    pub composite_score: Option<Decimal>,
    /// When it was written (the `review.generated`).
    pub generated_at: DateTime<Utc>,
}

/// The generated, unacknowledged reviews of `people`, oldest first (the
/// longest waiting on top), at most `limit`, and how many there are in all.
pub async fn unacknowledged_of(
    pool: &PgPool,
    people: &[Uuid],
    limit: i64,
) -> Result<(Vec<PendingAck>, i64), sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT r.id, r.person_id, p.display_name, r.review_period_start, r.review_period_end, r.composite_score,
                r.updated_at AS generated_at
           FROM agent_performance_reviews r
           LEFT JOIN directory_people p ON p.person_id = r.person_id
          WHERE r.person_id = ANY($1) AND r.status = 'generated' AND NOT r.is_acknowledged
          ORDER BY r.updated_at, r.id
          LIMIT $2",
    )
    .bind(people)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM agent_performance_reviews
          WHERE person_id = ANY($1) AND status = 'generated' AND NOT is_acknowledged",
    )
    .bind(people)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}
