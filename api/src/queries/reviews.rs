//! Reviews as stored by the review projection (`agent_performance_reviews`,
//! seed `AgentPerformanceReview`): the rows behind the reviews API and the
//! review pages. Scope is the caller's job, as for every query here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::{number, Decimal};

/// One review, as the API and the pages show it. Content fields are `null`
/// while the review is `pending` or when it `failed`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReviewRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub review_period_start: DateTime<Utc>,
    pub review_period_end: DateTime<Utc>,
    /// `pending`, `generated` or `failed`.
    pub status: String,
    /// `manual` or `flagged`.
    pub trigger: String,
    pub requested_by: Option<Uuid>,
    #[serde(serialize_with = "number::optional")]
    #[schema(value_type = Option<f64>)]
    pub composite_score: Option<Decimal>,
    #[schema(value_type = Option<Object>)]
    pub domain_scores_json: Option<Value>,
    pub summary_text: Option<String>,
    #[schema(value_type = Option<Vec<String>>)]
    pub strengths_json: Option<Value>,
    #[schema(value_type = Option<Vec<String>>)]
    pub improvements_json: Option<Value>,
    /// `[{priority, category, action, impact}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub recommendations_json: Option<Value>,
    /// `[{type, reference, observation}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub callouts_json: Option<Value>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
    pub prompt_version: Option<String>,
    pub llm_tokens_in: Option<i32>,
    pub llm_tokens_out: Option<i32>,
    pub latency_ms: Option<i32>,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub is_acknowledged: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, person_id, review_period_start, review_period_end, status, trigger, requested_by,
    composite_score, domain_scores_json, summary_text, strengths_json, improvements_json, recommendations_json,
    callouts_json, llm_provider, llm_model, prompt_version, llm_tokens_in, llm_tokens_out, latency_ms, attempts,
    failure_reason, is_acknowledged, acknowledged_at, created_at, updated_at";

/// A person's current reviews, newest period first.
pub async fn reviews_of(pool: &PgPool, person_id: Uuid, limit: u32) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agent_performance_reviews WHERE person_id = $1
         ORDER BY review_period_start DESC, created_at DESC LIMIT $2"
    ))
    .bind(person_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
}

/// One current review by id.
pub async fn review_by_id(pool: &PgPool, id: Uuid) -> Result<Option<ReviewRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM agent_performance_reviews WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Generated reviews of `people` whose period starts in `[start, end)`, and
/// the tokens they used (for the team overview's count and estimated cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewUsage {
    pub generated: u32,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

pub async fn review_usage(
    pool: &PgPool,
    people: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<ReviewUsage, sqlx::Error> {
    let (generated, tokens_in, tokens_out): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(llm_tokens_in), 0)::bigint, coalesce(sum(llm_tokens_out), 0)::bigint
         FROM agent_performance_reviews
         WHERE status = 'generated' AND person_id = ANY($1) AND review_period_start >= $2 AND review_period_start < $3",
    )
    .bind(people)
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await?;
    Ok(ReviewUsage { generated: u32::try_from(generated).unwrap_or(u32::MAX), tokens_in, tokens_out })
}

/// What `usage` cost at the settings' `cost_per_1k_tokens_in/out`, to the cent.
pub fn estimated_cost(usage: ReviewUsage, settings: &perfledger_domain::settings::Settings) -> Decimal {
    let thousand = Decimal::from(1_000);
    perfledger_domain::scoring::round2(
        Decimal::from(usage.tokens_in) * settings.cost_per_1k_tokens_in / thousand
            + Decimal::from(usage.tokens_out) * settings.cost_per_1k_tokens_out / thousand,
    )
}

/// The newest generated reviews of `person` it has not acknowledged yet (at most `limit`).
pub async fn unacknowledged(pool: &PgPool, person: Uuid, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM agent_performance_reviews
          WHERE person_id = $1 AND status = 'generated' AND NOT is_acknowledged
          ORDER BY review_period_start DESC LIMIT $2",
    )
    .bind(person)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_tokens_times_price_per_thousand() {
        let mut settings = perfledger_domain::settings::Settings::default();
        let usage = ReviewUsage { generated: 2, tokens_in: 3_000, tokens_out: 1_600 };
        assert_eq!(estimated_cost(usage, &settings), Decimal::ZERO);
        settings.cost_per_1k_tokens_in = Decimal::new(15, 4); // 0.0015
        settings.cost_per_1k_tokens_out = Decimal::new(2, 3); // 0.002
                                                              // 3 × 0.0015 + 1.6 × 0.002 = 0.0045 + 0.0032 = 0.0077 → 0.01
        assert_eq!(estimated_cost(usage, &settings), Decimal::new(1, 2));
    }
}
