//! A team's summary for a period: the four stats cards of the team overview
//! (average, top performer, needs coaching, reviews generated) and the score
//! distribution, over **the team's people in the period** (issue 15): the
//! organisation as of the period's end (D8), as the scoring pass reads it.
//!
//! - Scored: everyone scored under the team for the period (their score's
//!   team), the same people the leaderboard with `team_id`, its CSV and the
//!   peer comparison count. So the top performer is the leaderboard's #1,
//!   the scored count is its length and the average is the team average of
//!   every member's comparison panel.
//! - Members: the active people whose scoring team (D8) at the period's end
//!   is the team, scored or not. Someone who joined later, left since, or
//!   is scored with another team of theirs does not count here, whatever
//!   the directory says today.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use perfledger_domain::period::midnight;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{average, histogram, number, period_scores_shared, score_cache, Bucket, Decimal};
use crate::error::AppError;
use crate::period_query::Period;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TopPerformer {
    pub person_id: Uuid,
    pub display_name: String,
    #[serde(serialize_with = "number::decimal")]
    pub composite: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TeamSummary {
    pub team_id: Uuid,
    pub name: String,
    pub team_type: String,
    /// The mean composite of the members scored in the period; `null` when
    /// none was.
    #[serde(serialize_with = "number::optional")]
    pub average_composite: Option<Decimal>,
    /// The highest composite (ties: the smallest person_id).
    pub top_performer: Option<TopPerformer>,
    /// Scored members flagged for coaching (composite under `flagged_threshold`).
    pub needs_coaching: u32,
    /// Reviews generated for the members for periods starting in the period.
    pub reviews_generated: u32,
    /// Their estimated cost: tokens × `cost_per_1k_tokens_in/out` in force
    /// at the period's start (0 for the offline rules coach).
    #[serde(serialize_with = "number::decimal")]
    pub estimated_review_cost: Decimal,
    /// The team's people in the period: active people whose scoring team
    /// at the period's end is this team (D8), scored or not.
    pub member_count: u32,
    /// Of those, the people scored under this team in the period (the
    /// leaderboard's `total` for this team).
    pub scored_count: u32,
    /// Ten 10-point buckets of the scored members' composites.
    pub distribution: Vec<Bucket>,
}

/// The summary of `team_id` for `period`, `None` when there is no such team
/// (module docs: the team's people in the period).
pub async fn team_summary(pool: &PgPool, team_id: Uuid, period: &Period) -> Result<Option<TeamSummary>, AppError> {
    let team: Option<(String, String)> =
        sqlx::query_as("SELECT name, team_type FROM directory_teams WHERE team_id = $1")
            .bind(team_id)
            .fetch_optional(pool)
            .await?;
    let Some((name, team_type)) = team else { return Ok(None) };
    let all = period_scores_shared(pool, period).await?;
    let scored: Vec<&super::ScoredPerson> = all.iter().filter(|p| p.team_id == Some(team_id)).collect();
    let mut members = team_people_at(pool, team_id, period.end).await?;
    // Scored under the team means a member then; kept even if a correction
    // to the directory has not been scored yet.
    members.extend(scored.iter().map(|p| p.person_id));
    let versions = score_cache::versions(pool, period.start, period.start).await?;
    let names = score_cache::names(pool, &versions).await?;
    let composites: Vec<Decimal> = scored.iter().map(|p| p.composite).collect();
    // `scored` is sorted by person_id, so the first of the best wins a tie.
    let top = scored.iter().copied().fold(None, |best: Option<&super::ScoredPerson>, p| match best {
        Some(b) if b.composite >= p.composite => Some(b),
        _ => Some(p),
    });
    let people: Vec<Uuid> = members.iter().copied().collect();
    let usage = super::review_usage(
        pool,
        &people,
        perfledger_domain::period::midnight(period.start),
        perfledger_domain::period::midnight(period.end),
    )
    .await?;
    let settings = perfledger_projections::settings::in_force_at(pool, period.start).await?;
    Ok(Some(TeamSummary {
        team_id,
        name,
        team_type,
        average_composite: average(composites.iter()),
        top_performer: top.map(|p| TopPerformer {
            person_id: p.person_id,
            display_name: names.get(&p.person_id).cloned().unwrap_or_else(|| p.person_id.to_string()),
            composite: p.composite,
        }),
        needs_coaching: scored.iter().filter(|p| p.is_flagged).count() as u32,
        reviews_generated: usage.generated,
        estimated_review_cost: super::reviews::estimated_cost(usage, &settings),
        member_count: members.len() as u32,
        scored_count: scored.len() as u32,
        distribution: histogram(composites.iter()),
    }))
}

/// The team's people in `period`, as the summary counts them: the active
/// people whose scoring team at the period's end is `team_id` (D8), and
/// everyone scored under it in the period. The team page's review lists
/// read the same people.
pub async fn team_people(pool: &PgPool, team_id: Uuid, period: &Period) -> Result<BTreeSet<Uuid>, AppError> {
    let all = period_scores_shared(pool, period).await?;
    let mut members = team_people_at(pool, team_id, period.end).await?;
    members.extend(all.iter().filter(|p| p.team_id == Some(team_id)).map(|p| p.person_id));
    Ok(members)
}

/// The active people whose scoring team (D8) is `team_id` in the
/// organisation as of `end` (exclusive), the state the scoring pass scores
/// the period with (`scoring::pass::score_range`).
async fn team_people_at(pool: &PgPool, team_id: Uuid, end: NaiveDate) -> Result<BTreeSet<Uuid>, AppError> {
    let mut history = perfledger_projections::directory::load_history(pool).await?;
    history.sort();
    let org = history.state_at(midnight(end));
    Ok(org
        .scoring_teams()
        .into_iter()
        .filter(|(person, team)| *team == team_id && org.is_active(*person))
        .map(|(person, _)| person)
        .collect())
}
