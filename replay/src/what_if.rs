//! What-if (D10): score periods under proposed settings without writing
//! anything, next to the settings in force, and report the biggest composite
//! changes, rank changes, and who newly crosses or leaves the flag threshold.
//!
//! Both sides are computed from the same accumulators with the same pure
//! formulas, so the only difference is the settings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use futures::{StreamExt, TryStreamExt};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::period::midnight;
use perfledger_domain::scoring::formulas::PersonScore;
use perfledger_domain::scoring::{round2, Domain};
use perfledger_domain::settings::Settings;
use perfledger_domain::validate::Rejection;
use perfledger_projections::runner::ProjectionError;
use perfledger_scoring::pass::{load_accumulators, score_with_org, ScoringContext};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    #[error("{0}")]
    Invalid(Rejection),
    #[error("{0}")]
    Projection(#[from] perfledger_projections::runner::ProjectionError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The proposal: either a weight map (`{"support": 30, …}`) for the team
/// type given, or for the default map without one; or settings changes
/// (`{"domain_weights_support": {…}, "flagged_threshold": 65}`).
pub fn proposed_changes(proposal: &Value, team_type: Option<TeamType>) -> Result<BTreeMap<String, Value>, Rejection> {
    let Value::Object(map) = proposal else {
        return Err(Rejection::new("weights", "expected a JSON object: a weight map or settings changes"));
    };
    if map.is_empty() {
        return Err(Rejection::new("weights", "expected at least one weight or setting; got an empty object"));
    }
    let is_weight_map = map.keys().all(|k| k.parse::<Domain>().is_ok());
    let changes: BTreeMap<String, Value> = if is_weight_map {
        let key = match team_type {
            Some(TeamType::Operations) => "domain_weights_operations",
            Some(TeamType::Support) => "domain_weights_support",
            Some(TeamType::FieldService) => "domain_weights_field_service",
            // Sales and other teams are scored with the default map (§4).
            Some(TeamType::Sales | TeamType::Other) | None => "domain_weights",
        };
        BTreeMap::from([(key.to_string(), proposal.clone())])
    } else {
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    perfledger_domain::settings::validate_changes(&changes)?;
    Ok(changes)
}

/// One person in one week, today and under the proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonChange {
    pub person_id: Uuid,
    pub display_name: Option<String>,
    pub week: NaiveDate,
    pub team_type: Option<TeamType>,
    pub current: Decimal,
    pub proposed: Decimal,
    pub delta: Decimal,
    /// Rank by composite within the week (1 = highest), today and proposed.
    pub current_rank: usize,
    pub proposed_rank: usize,
    pub current_flagged: bool,
    pub proposed_flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfReport {
    pub weeks: Vec<NaiveDate>,
    pub changes: BTreeMap<String, Value>,
    pub people_scored: usize,
    pub changed: usize,
    /// Sorted by |delta|, largest first; ties by week, person.
    pub biggest_changes: Vec<PersonChange>,
    pub newly_flagged: Vec<PersonChange>,
    pub no_longer_flagged: Vec<PersonChange>,
    /// Person-weeks scored (the denominator of the flagged shares).
    pub scores: usize,
    /// Person-weeks under the flag threshold, today and under the proposal.
    pub flagged_current: usize,
    pub flagged_proposed: usize,
    /// The composites in ten buckets of ten points (the last holds 100).
    pub distribution: Vec<DistributionBucket>,
    /// Per team, how many person-weeks moved rank within their team.
    pub team_rank_changes: Vec<TeamRankChange>,
}

/// One bucket of the composite distribution, today and under the proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionBucket {
    pub from: u32,
    pub to: u32,
    pub current: u32,
    pub proposed: u32,
}

/// Rank changes inside one team (rank by composite among the team's people
/// in the same week).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamRankChange {
    pub team_id: Option<Uuid>,
    pub team_name: Option<String>,
    /// Person-weeks of the team in the range.
    pub scores: usize,
    /// Person-weeks whose rank within the team changed.
    pub rank_changes: usize,
    /// The largest move up and down in places (0 when none).
    pub largest_rise: usize,
    pub largest_fall: usize,
}

/// Ten buckets of ten points; a composite of 100 falls in the last.
fn bucket_of(composite: Decimal) -> usize {
    use rust_decimal::prelude::ToPrimitive;
    (composite / Decimal::TEN).floor().to_usize().unwrap_or(0).min(9)
}

fn ranks(scores: &[PersonScore]) -> BTreeMap<Uuid, usize> {
    let mut order: Vec<(Decimal, Uuid)> = scores.iter().map(|s| (round2(s.composite), s.person_id)).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    order.into_iter().enumerate().map(|(i, (_, id))| (id, i + 1)).collect()
}

/// How many weeks a what-if loads and scores at once.
const PARALLEL_WEEKS: usize = 4;

/// One week scored under the settings in force and under the proposal.
struct WeekScores {
    week: NaiveDate,
    current: Settings,
    proposed: Settings,
    today: Vec<PersonScore>,
    tomorrow: Vec<PersonScore>,
}

/// Loads one week's accumulators and scores them both ways. The scoring is
/// CPU work: it runs on a blocking thread, so weeks score in parallel and an
/// API request does not hold up the async workers.
async fn score_week_both_ways(
    pool: PgPool,
    context: Arc<ScoringContext>,
    week: NaiveDate,
    current: Settings,
    proposed: Settings,
) -> Result<WeekScores, WhatIfError> {
    let end = week + Days::new(7);
    let accumulators = load_accumulators(&pool, week, end).await?;
    let scored = tokio::task::spawn_blocking(move || {
        let org = context.org.state_at(midnight(end));
        let today = score_with_org(&org, accumulators.clone(), &current);
        let tomorrow = score_with_org(&org, accumulators, &proposed);
        WeekScores { week, current, proposed, today, tomorrow }
    });
    scored.await.map_err(|e| WhatIfError::Projection(ProjectionError::Other(format!("what-if scoring: {e}"))))
}

/// Scores `weeks` under the settings in force and under them plus
/// `changes`, restricted to people of `team_type` when given. Writes nothing.
pub async fn what_if(
    pool: &PgPool,
    changes: BTreeMap<String, Value>,
    team_type: Option<TeamType>,
    weeks: &[NaiveDate],
    top: usize,
) -> Result<WhatIfReport, WhatIfError> {
    let context = Arc::new(ScoringContext::load(pool).await?);
    // Every week's proposal is checked before anything is scored.
    let mut work = Vec::with_capacity(weeks.len());
    for &week in weeks {
        let current: Settings = context.settings.in_force_at(week);
        let mut proposed = current.clone();
        proposed.apply(&changes).map_err(WhatIfError::Invalid)?;
        work.push(score_week_both_ways(pool.clone(), context.clone(), week, current, proposed));
    }
    let scored: Vec<WeekScores> = futures::stream::iter(work).buffered(PARALLEL_WEEKS).try_collect().await?;
    let names: BTreeMap<Uuid, String> =
        sqlx::query_as::<_, (Uuid, String)>("SELECT person_id, display_name FROM directory_people")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let team_names: BTreeMap<Uuid, String> =
        sqlx::query_as::<_, (Uuid, String)>("SELECT team_id, name FROM directory_teams")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let mut all = Vec::new();
    let mut people = BTreeSet::new();
    let mut distribution: Vec<DistributionBucket> =
        (0..10u32).map(|i| DistributionBucket { from: i * 10, to: i * 10 + 10, current: 0, proposed: 0 }).collect();
    let mut teams: BTreeMap<Option<Uuid>, TeamRankChange> = BTreeMap::new();
    for WeekScores { week, current, proposed, today, tomorrow } in scored {
        let (rank_now, rank_then) = (ranks(&today), ranks(&tomorrow));
        let (team_rank_now, team_rank_then) = (team_ranks(&today), team_ranks(&tomorrow));
        let proposed_by_person: BTreeMap<Uuid, &PersonScore> = tomorrow.iter().map(|s| (s.person_id, s)).collect();
        for now in &today {
            if team_type.is_some() && now.team_type != team_type {
                continue;
            }
            let Some(then) = proposed_by_person.get(&now.person_id) else { continue };
            people.insert(now.person_id);
            let (c, p) = (round2(now.composite), round2(then.composite));
            distribution[bucket_of(c)].current += 1;
            distribution[bucket_of(p)].proposed += 1;
            let team = teams.entry(now.team_id).or_insert_with(|| TeamRankChange {
                team_id: now.team_id,
                team_name: now.team_id.and_then(|t| team_names.get(&t).cloned()),
                scores: 0,
                rank_changes: 0,
                largest_rise: 0,
                largest_fall: 0,
            });
            team.scores += 1;
            if let (Some(&before), Some(&after)) =
                (team_rank_now.get(&now.person_id), team_rank_then.get(&now.person_id))
            {
                if before != after {
                    team.rank_changes += 1;
                }
                team.largest_rise = team.largest_rise.max(before.saturating_sub(after));
                team.largest_fall = team.largest_fall.max(after.saturating_sub(before));
            }
            all.push(PersonChange {
                person_id: now.person_id,
                display_name: names.get(&now.person_id).cloned(),
                week,
                team_type: now.team_type,
                current: c,
                proposed: p,
                delta: p - c,
                current_rank: rank_now[&now.person_id],
                proposed_rank: rank_then[&now.person_id],
                current_flagged: now.composite < Decimal::from(current.flagged_threshold),
                proposed_flagged: then.composite < Decimal::from(proposed.flagged_threshold),
            });
        }
    }
    let scores = all.len();
    let flagged_current = all.iter().filter(|c| c.current_flagged).count();
    let flagged_proposed = all.iter().filter(|c| c.proposed_flagged).count();
    let newly_flagged = all.iter().filter(|c| c.proposed_flagged && !c.current_flagged).cloned().collect();
    let no_longer_flagged = all.iter().filter(|c| c.current_flagged && !c.proposed_flagged).cloned().collect();
    let changed = all.iter().filter(|c| !c.delta.is_zero() || c.current_rank != c.proposed_rank).count();
    all.sort_by(|a, b| b.delta.abs().cmp(&a.delta.abs()).then(a.week.cmp(&b.week)).then(a.person_id.cmp(&b.person_id)));
    all.truncate(top);
    Ok(WhatIfReport {
        weeks: weeks.to_vec(),
        changes,
        people_scored: people.len(),
        changed,
        biggest_changes: all,
        newly_flagged,
        no_longer_flagged,
        scores,
        flagged_current,
        flagged_proposed,
        distribution,
        team_rank_changes: teams.into_values().collect(),
    })
}

/// Rank by composite within each team (1 = highest), ties by person id.
fn team_ranks(scores: &[PersonScore]) -> BTreeMap<Uuid, usize> {
    let mut by_team: BTreeMap<Option<Uuid>, Vec<&PersonScore>> = BTreeMap::new();
    for s in scores {
        by_team.entry(s.team_id).or_default().push(s);
    }
    let mut out = BTreeMap::new();
    for members in by_team.values() {
        let members: Vec<PersonScore> = members.iter().map(|s| (*s).clone()).collect();
        out.extend(ranks(&members));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composites_fall_in_ten_point_buckets() {
        for (value, bucket) in [("0", 0), ("9.99", 0), ("10", 1), ("69.99", 6), ("70", 7), ("99.99", 9), ("100", 9)] {
            assert_eq!(bucket_of(value.parse().unwrap()), bucket, "{value}");
        }
    }
}
