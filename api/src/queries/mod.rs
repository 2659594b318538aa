//! Read queries behind the performance API (issue 5): the leaderboard, a
//! team's summary, the anonymised peer comparison and the drilldown to the
//! events behind a score (D11). Plain functions over a `PgPool`, returning
//! serde-serialisable structs, failing with the one [`AppError`]; the use
//! cases ([`crate::app`]) add scope (D17).
//!
//! Where the numbers come from (D6): a [`Period`] of kind `Week` is read from
//! the stored `agent_performance_snapshots`; any other range is scored on
//! read with `compute_range`, with the settings in force at its start.
//! Every number is rounded half-up to 2 decimals like the stored ones, and is
//! serialised as a JSON number.

use std::collections::BTreeMap;

use perfledger_domain::scoring::{round2, Domain};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;
use crate::period_query::{Period, PeriodKind};

pub mod audit;
pub mod drilldown;
pub mod leaderboard;
pub mod peer;
pub mod people;
pub mod review_runs;
pub mod reviews;
pub mod score_cache;
pub mod team;

pub use drilldown::{drilldown, EventRow};
pub use leaderboard::{
    leaderboard, LeaderboardQuery, LeaderboardRow, LeaderboardSort, SortOrder, Visibility, TREND_WEEKS,
};
pub use peer::{peer_comparison, PeerComparison, PeerStats, Suppressed, SuppressionReason};
pub use reviews::{review_by_id, review_usage, reviews_of, ReviewRow, ReviewUsage};
pub use team::{team_summary, TeamSummary, TopPerformer};

/// The decimal type of every score (rust_decimal, as sqlx re-exports it).
pub use sqlx::types::Decimal;

/// The largest page a query returns, and the largest `limit` any list accepts.
pub const MAX_LIMIT: u32 = 500;

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// `limit` must be 1–500.
pub fn check_limit(limit: u32) -> Result<(), AppError> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(AppError::invalid_parameter("limit", format!("{limit} is out of range; expected 1 to {MAX_LIMIT}")))
    }
}

/// The `limit` items from `offset` of an already sorted list.
pub(crate) fn paginate<T>(items: Vec<T>, limit: u32, offset: u64) -> Page<T> {
    let total = items.len() as u64;
    let items = items.into_iter().skip(usize::try_from(offset).unwrap_or(usize::MAX)).take(limit as usize).collect();
    Page { items, total, limit, offset }
}

/// One bucket of a score histogram: composites in `[from, to)`; the last
/// bucket, `[90, 100]`, also holds 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub from: u32,
    pub to: u32,
    pub count: u32,
}

/// Ten 10-point buckets of `composites`.
pub fn histogram<'a>(composites: impl IntoIterator<Item = &'a Decimal>) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = (0..10).map(|i| Bucket { from: i * 10, to: i * 10 + 10, count: 0 }).collect();
    for composite in composites {
        let index = (1..10u32).rev().find(|i| *composite >= Decimal::from(i * 10)).unwrap_or(0);
        buckets[index as usize].count += 1;
    }
    buckets
}

/// The mean of `values`, rounded to 2 decimals; `None` when empty.
pub(crate) fn average<'a>(values: impl IntoIterator<Item = &'a Decimal>) -> Option<Decimal> {
    let (sum, n) = values.into_iter().fold((Decimal::ZERO, 0u32), |(s, n), v| (s + *v, n + 1));
    (n > 0).then(|| round2(sum / Decimal::from(n)))
}

/// One person's score for a period, rounded like the stored snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPerson {
    pub person_id: Uuid,
    /// The scoring team the period was scored with (D8).
    pub team_id: Option<Uuid>,
    pub composite: Decimal,
    pub domain_scores: BTreeMap<Domain, Decimal>,
    pub is_flagged: bool,
}

/// Everyone scored in `period`, sorted by person_id: the stored snapshots
/// for a week, `compute_range` for any other range (D6).
pub async fn period_scores(pool: &PgPool, period: &Period) -> Result<Vec<ScoredPerson>, AppError> {
    Ok(period_scores_shared(pool, period).await?.as_ref().clone())
}

/// [`period_scores`] without copying: a week's come from [`score_cache`].
pub async fn period_scores_shared(pool: &PgPool, period: &Period) -> Result<score_cache::WeekScores, AppError> {
    match period.kind {
        PeriodKind::Week => {
            let versions = score_cache::versions(pool, period.start, period.start).await?;
            score_cache::week(pool, &versions, period.start).await
        }
        PeriodKind::Range => Ok(std::sync::Arc::new(range_scores(pool, period).await?)),
    }
}

pub(crate) async fn range_scores(pool: &PgPool, period: &Period) -> Result<Vec<ScoredPerson>, AppError> {
    let scores = perfledger_scoring::pass::compute_range(pool, period.start, period.end).await?;
    // Flagged like a stored week: the unrounded composite against the
    // threshold in force at the period's start (§4, D10).
    let threshold =
        Decimal::from(perfledger_projections::settings::in_force_at(pool, period.start).await?.flagged_threshold);
    let mut people: Vec<ScoredPerson> = scores
        .into_iter()
        .map(|s| ScoredPerson {
            person_id: s.person_id,
            team_id: s.team_id,
            composite: round2(s.composite),
            domain_scores: s.domains.iter().map(|d| (d.domain, round2(d.raw_score))).collect(),
            is_flagged: s.composite < threshold,
        })
        .collect();
    people.sort_by_key(|p| p.person_id);
    Ok(people)
}

/// Serialisers that write decimals as JSON numbers (2 decimals are exact
/// enough in an f64 for display; the stored value stays the decimal).
pub(crate) mod number {
    use std::collections::BTreeMap;

    use perfledger_domain::scoring::Domain;
    use serde::Serializer;

    use super::Decimal;

    pub fn to_f64(value: &Decimal) -> f64 {
        value.to_string().parse().unwrap_or(0.0)
    }

    pub fn decimal<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to_f64(value))
    }

    pub fn optional<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(&to_f64(v)),
            None => s.serialize_none(),
        }
    }

    pub fn optional_list<S: Serializer>(values: &[Option<Decimal>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(|v| v.as_ref().map(to_f64)))
    }

    pub fn domain_map<S: Serializer>(values: &BTreeMap<Domain, Decimal>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(values.iter().map(|(d, v)| (d.as_str(), to_f64(v))))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn histogram_has_ten_buckets_and_100_is_in_the_last() {
        let values = [dec("0"), dec("9.99"), dec("10"), dec("45"), dec("89.99"), dec("90"), dec("100")];
        let h = histogram(values.iter());
        assert_eq!(h.len(), 10);
        assert_eq!(h.iter().map(|b| b.count).collect::<Vec<_>>(), [2, 1, 0, 0, 1, 0, 0, 0, 1, 2]);
        assert_eq!((h[0].from, h[0].to, h[9].from, h[9].to), (0, 10, 90, 100));
    }

    #[test]
    fn limits_and_pages() {
        assert!(check_limit(1).is_ok() && check_limit(500).is_ok());
        assert_eq!(check_limit(0).unwrap_err().field.as_deref(), Some("limit"));
        assert!(check_limit(501).unwrap_err().reason.contains("1 to 500"));
        let page = paginate((0..7).collect(), 3, 6);
        assert_eq!((page.items, page.total), (vec![6], 7));
        assert_eq!(average([dec("1"), dec("2")].iter()), Some(dec("1.5")));
        assert_eq!(average([].iter()), None);
        assert_eq!(average([dec("1"), dec("1"), dec("2")].iter()), Some(dec("1.33")));
    }
}
