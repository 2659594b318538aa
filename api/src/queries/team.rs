//! A team's summary for a period: the four stats cards of the team overview
//! (average, top performer, needs coaching, reviews generated) and the score
//! distribution, over the team's active members.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{average, histogram, number, period_scores_shared, Bucket, Decimal};
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
    /// Active members (active membership, active person) now.
    pub member_count: u32,
    /// Of those, the members with a score in the period.
    pub scored_count: u32,
    /// Ten 10-point buckets of the scored members' composites.
    pub distribution: Vec<Bucket>,
}

/// The summary of `team_id` for `period`, `None` when there is no such team.
///
/// The members are the team's active members in the directory (now), active
/// themselves, whatever their scoring team; each counts with their score in
/// the period (stored week or computed range, D6).
pub async fn team_summary(pool: &PgPool, team_id: Uuid, period: &Period) -> Result<Option<TeamSummary>, AppError> {
    let team: Option<(String, String)> =
        sqlx::query_as("SELECT name, team_type FROM directory_teams WHERE team_id = $1")
            .bind(team_id)
            .fetch_optional(pool)
            .await?;
    let Some((name, team_type)) = team else { return Ok(None) };
    let members: BTreeMap<Uuid, String> = sqlx::query_as(
        "SELECT m.person_id, p.display_name FROM directory_memberships m
         JOIN directory_people p ON p.person_id = m.person_id
         WHERE m.team_id = $1 AND m.is_active AND p.is_active",
    )
    .bind(team_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();

    let all = period_scores_shared(pool, period).await?;
    let scored: Vec<&super::ScoredPerson> = all.iter().filter(|p| members.contains_key(&p.person_id)).collect();
    let composites: Vec<Decimal> = scored.iter().map(|p| p.composite).collect();
    // `scored` is sorted by person_id, so the first of the best wins a tie.
    let top = scored.iter().copied().fold(None, |best: Option<&super::ScoredPerson>, p| match best {
        Some(b) if b.composite >= p.composite => Some(b),
        _ => Some(p),
    });
    let people: Vec<Uuid> = members.keys().copied().collect();
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
            display_name: members[&p.person_id].clone(),
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
