//! The anonymised peer comparison (seed "My Scorecard", D17): where a
//! person's composite stands in their scoring team, with no ids or names, and
//! nothing at all when the team is too small to stay anonymous.

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{average, histogram, number, period_scores_shared, Bucket, Decimal};
use crate::error::AppError;
use crate::period_query::Period;

/// Why no comparison is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The person has no score in the period.
    NotScored,
    /// The person was scored without a scoring team.
    NoScoringTeam,
    /// Fewer scored team members than `peer_comparison_min_team_size`.
    TeamTooSmall,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PeerStats {
    /// Always `false`.
    pub suppressed: bool,
    /// Percentile rank in the scoring team, 0–100, 2 decimals:
    /// `100 · (below + equal / 2) / team_size`, where `below` counts the
    /// scored members with a lower composite and `equal` those with the same
    /// one, the person included (the mid-rank definition: ties share a rank).
    #[serde(serialize_with = "number::decimal")]
    pub percentile: Decimal,
    /// The mean composite of the scored team members, the person included.
    #[serde(serialize_with = "number::decimal")]
    pub team_average: Decimal,
    /// Ten 10-point buckets of the team's composites.
    pub histogram: Vec<Bucket>,
    /// How many team members were scored in the period, the person included.
    pub team_size: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suppressed {
    /// Always `true`.
    pub suppressed: bool,
    pub reason: SuppressionReason,
    pub detail: String,
}

/// `{"suppressed": false, "percentile", …}` or `{"suppressed": true, "reason", "detail"}`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum PeerComparison {
    Shown(PeerStats),
    Suppressed(Suppressed),
}

fn suppressed(reason: SuppressionReason, detail: impl Into<String>) -> PeerComparison {
    PeerComparison::Suppressed(Suppressed { suppressed: true, reason, detail: detail.into() })
}

/// The comparison of `person_id` with the other scored members of the
/// scoring team they were scored with in `period` (the snapshot's team for
/// a week; the team at the range's end for a computed range). Suppressed
/// when that team has fewer scored members than
/// `peer_comparison_min_team_size` in force at the period's start (D10).
pub async fn peer_comparison(pool: &PgPool, person_id: Uuid, period: &Period) -> Result<PeerComparison, AppError> {
    let scores = period_scores_shared(pool, period).await?;
    let Some(me) = scores.iter().find(|p| p.person_id == person_id) else {
        return Ok(suppressed(SuppressionReason::NotScored, "no score in this period"));
    };
    let Some(team) = me.team_id else {
        return Ok(suppressed(SuppressionReason::NoScoringTeam, "scored without a scoring team"));
    };
    let minimum =
        perfledger_projections::settings::in_force_at(pool, period.start).await?.peer_comparison_min_team_size;
    let composites: Vec<Decimal> = scores.iter().filter(|p| p.team_id == Some(team)).map(|p| p.composite).collect();
    let team_size = composites.len();
    if (team_size as i64) < minimum {
        return Ok(suppressed(
            SuppressionReason::TeamTooSmall,
            format!("the scoring team has fewer than {minimum} scored members; the comparison would not be anonymous"),
        ));
    }
    let below = composites.iter().filter(|c| **c < me.composite).count();
    let equal = composites.iter().filter(|c| **c == me.composite).count();
    let percentile = Decimal::from(100 * (2 * below + equal) as u64) / Decimal::from(2 * team_size as u64);
    Ok(PeerComparison::Shown(PeerStats {
        suppressed: false,
        percentile: perfledger_domain::scoring::round2(percentile),
        team_average: average(composites.iter()).unwrap_or(Decimal::ZERO),
        histogram: histogram(composites.iter()),
        team_size: team_size as u32,
    }))
}
