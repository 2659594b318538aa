//! AI coaching reviews (seed-design.md `AgentPerformanceReview`, D12-D15):
//! the events of the `review` aggregate and the structured review content.
//!
//! One aggregate per (person, period); every generation of it has its own
//! `review_id`. A forced admin regeneration is a new `review.requested` that
//! names the review it supersedes, so history stays in the log and in
//! `agent_performance_review_history`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Why a review was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewTrigger {
    /// A manager or admin asked for it (API or dashboard button).
    Manual,
    /// The flagged run after a weekly close (composite under `flagged_threshold`).
    Flagged,
}

/// `review.requested`: creates a durable generation job (D15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRequested {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub trigger: ReviewTrigger,
    /// The manager or admin who asked; none for the flagged run.
    pub requested_by: Option<Uuid>,
    /// An admin forced it past the cooldown / over an existing review.
    #[serde(default)]
    pub force: bool,
    /// The review this one replaces (forced regeneration keeps history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Uuid>,
}

/// The priority of a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// One recommendation of the seed's output schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub priority: Priority,
    pub category: String,
    pub action: String,
    pub impact: String,
}

/// `positive` or `concern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalloutKind {
    Positive,
    Concern,
}

/// One callout; `reference` is always one of the samples sent (D12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callout {
    #[serde(rename = "type")]
    pub kind: CalloutKind,
    pub reference: String,
    pub observation: String,
}

/// The structured review (seed "Output schema"), validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewContent {
    pub summary: String,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    pub callouts: Vec<Callout>,
}

/// `review.generated`: the validated content plus what it cost. Never the
/// prompt or the raw reply (D12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewGenerated {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub content: ReviewContent,
    pub composite_score: Option<Decimal>,
    /// `{domain: score}` at generation time (null for "no activity").
    pub domain_scores: BTreeMap<String, Option<Decimal>>,
    /// `openai` or `rules`.
    pub provider: String,
    pub model: String,
    pub prompt_version: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub latency_ms: i64,
    pub attempts: i32,
}

/// `review.failed`: retries are exhausted or the reply never validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFailed {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub reason: String,
    pub attempts: i32,
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub tokens_in: i64,
    #[serde(default)]
    pub tokens_out: i64,
}

/// `review.acknowledged`: by the reviewed person only, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewAcknowledged {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub acknowledged_at: DateTime<Utc>,
}
