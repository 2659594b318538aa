//! The review read models (D14, D15), folded from the `review` aggregate's
//! events: `agent_performance_reviews` (the current review of a person and
//! period, the seed's unique key), `agent_performance_review_history` (the
//! reviews a forced regeneration or a retry replaced) and the `review_jobs`
//! queue. `review.requested` inserts its job in the same transaction as this
//! projector's checkpoint, so a request is never lost between the log and the
//! queue; `review.generated`/`review.failed` close it. Replaying the log
//! therefore leaves exactly the unanswered requests queued.
//!
//! Times are the events' `occurred_at`, never the wall clock, so a rebuild
//! writes the same rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use perfledger_domain::event::EventBody;
use perfledger_domain::reviews::{ReviewFailed, ReviewGenerated, ReviewRequested, ReviewTrigger};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::runner::{Decoded, Projector, Result};

pub const NAME: &str = "reviews";

pub struct ReviewsProjector;

/// Every column of `agent_performance_reviews`, for moving a row to history.
const REVIEW_COLUMNS: &str = "id, person_id, review_period_start, review_period_end, status, trigger, requested_by,
    composite_score, domain_scores_json, summary_text, strengths_json, improvements_json, recommendations_json,
    callouts_json, llm_provider, llm_model, prompt_version, llm_tokens_in, llm_tokens_out, latency_ms, attempts,
    failure_reason, is_acknowledged, acknowledged_at, created_at, updated_at";

fn trigger_str(trigger: ReviewTrigger) -> &'static str {
    match trigger {
        ReviewTrigger::Manual => "manual",
        ReviewTrigger::Flagged => "flagged",
    }
}

fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

async fn requested(tx: &mut PgConnection, r: &ReviewRequested, at: DateTime<Utc>) -> Result<()> {
    // The row this request replaces (named by the event, or anything else
    // holding the unique key) moves to history.
    sqlx::query(&format!(
        "WITH moved AS (
             DELETE FROM agent_performance_reviews
             WHERE id <> $1 AND (id = $2 OR (person_id = $3 AND review_period_start = $4 AND review_period_end = $5))
             RETURNING {REVIEW_COLUMNS})
         INSERT INTO agent_performance_review_history ({REVIEW_COLUMNS}, superseded_by, superseded_at)
         SELECT {REVIEW_COLUMNS}, $1, $6 FROM moved
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind(r.review_id)
    .bind(r.supersedes)
    .bind(r.person_id)
    .bind(r.period_start)
    .bind(r.period_end)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO agent_performance_reviews (id, person_id, review_period_start, review_period_end, status,
             trigger, requested_by, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, 0, $7, $7)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(r.review_id)
    .bind(r.person_id)
    .bind(r.period_start)
    .bind(r.period_end)
    .bind(trigger_str(r.trigger))
    .bind(r.requested_by)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO review_jobs (review_id, person_id, period_start, period_end, status, attempts, run_after,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5, $5)
         ON CONFLICT (review_id) DO NOTHING",
    )
    .bind(r.review_id)
    .bind(r.person_id)
    .bind(r.period_start)
    .bind(r.period_end)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `{domain: score}` as JSON numbers (null for "no activity"), like the
/// snapshot's `domain_scores_json`.
fn domain_scores_json(scores: &std::collections::BTreeMap<String, Option<rust_decimal::Decimal>>) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    scores
        .iter()
        .map(|(domain, score)| {
            let value = score
                .map(|s| serde_json::json!(perfledger_domain::scoring::round2(s).to_f64().unwrap_or(0.0)))
                .unwrap_or(serde_json::Value::Null);
            (domain.clone(), value)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

async fn generated(tx: &mut PgConnection, g: &ReviewGenerated, at: DateTime<Utc>) -> Result<()> {
    let c = &g.content;
    sqlx::query(
        "UPDATE agent_performance_reviews SET status = 'generated', composite_score = $2, domain_scores_json = $3,
             summary_text = $4, strengths_json = $5, improvements_json = $6, recommendations_json = $7,
             callouts_json = $8, llm_provider = $9, llm_model = $10, prompt_version = $11, llm_tokens_in = $12,
             llm_tokens_out = $13, latency_ms = $14, attempts = $15, failure_reason = NULL, updated_at = $16
         WHERE id = $1",
    )
    .bind(g.review_id)
    .bind(g.composite_score.map(perfledger_domain::scoring::round2))
    .bind(Json(domain_scores_json(&g.domain_scores)))
    .bind(&c.summary)
    .bind(Json(&c.strengths))
    .bind(Json(&c.improvements))
    .bind(Json(&c.recommendations))
    .bind(Json(&c.callouts))
    .bind(&g.provider)
    .bind(&g.model)
    .bind(&g.prompt_version)
    .bind(clamp_i32(g.tokens_in))
    .bind(clamp_i32(g.tokens_out))
    .bind(clamp_i32(g.latency_ms))
    .bind(g.attempts)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    close_job(tx, g.review_id, "done", None, at).await
}

async fn failed(tx: &mut PgConnection, f: &ReviewFailed, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE agent_performance_reviews SET status = 'failed', failure_reason = $2, attempts = $3,
             llm_provider = $4, llm_model = $5, llm_tokens_in = $6, llm_tokens_out = $7, updated_at = $8
         WHERE id = $1",
    )
    .bind(f.review_id)
    .bind(&f.reason)
    .bind(f.attempts)
    .bind(&f.provider)
    .bind(&f.model)
    .bind(clamp_i32(f.tokens_in))
    .bind(clamp_i32(f.tokens_out))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    close_job(tx, f.review_id, "failed", Some(&f.reason), at).await
}

async fn close_job(
    tx: &mut PgConnection,
    review_id: Uuid,
    status: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE review_jobs SET status = $2, last_error = coalesce($3, last_error), locked_until = NULL,
             updated_at = $4
         WHERE review_id = $1",
    )
    .bind(review_id)
    .bind(status)
    .bind(error)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait]
impl Projector for ReviewsProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        for d in events {
            let at = d.event.occurred_at;
            match &d.event.body {
                EventBody::ReviewRequested(r) => requested(tx, r, at).await?,
                EventBody::ReviewGenerated(g) => generated(tx, g, at).await?,
                EventBody::ReviewFailed(f) => failed(tx, f, at).await?,
                EventBody::ReviewAcknowledged(a) => {
                    sqlx::query(
                        "UPDATE agent_performance_reviews SET is_acknowledged = true, acknowledged_at = $2,
                             updated_at = $3
                         WHERE id = $1 AND NOT is_acknowledged",
                    )
                    .bind(a.review_id)
                    .bind(a.acknowledged_at)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
