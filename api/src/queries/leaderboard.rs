//! The leaderboard: everyone scored in a period, filtered by team and by what
//! the requester may see, sorted, paginated, with an 8-week sparkline.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use perfledger_domain::period::{midnight, week_start_of_day};
use perfledger_domain::scoring::Domain;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{check_limit, number, paginate, period_scores, Decimal, Page, QueryError, ScoredPerson};
use crate::period_query::{FieldError, Period};

/// How many weeks the sparkline shows.
pub const TREND_WEEKS: usize = 8;

/// Whom the requester may see (resolved server-side, D17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    All,
    Only(BTreeSet<Uuid>),
}

impl Visibility {
    pub fn allows(&self, person: Uuid) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Only(people) => people.contains(&person),
        }
    }
}

/// The sort column: `composite`, `name` or a domain (`support`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderboardSort {
    Composite,
    Name,
    Domain(Domain),
}

impl FromStr for LeaderboardSort {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "composite" => Ok(LeaderboardSort::Composite),
            "name" => Ok(LeaderboardSort::Name),
            other => Domain::from_str(other).map(LeaderboardSort::Domain).map_err(|_| {
                FieldError::new(
                    "sort",
                    format!(
                        "'{other}' is not a sort column; expected composite, name, support, operations, \
                         field_service, communication, sales or data_quality"
                    ),
                )
            }),
        }
    }
}

impl LeaderboardSort {
    /// Scores read best first, names alphabetically.
    pub fn default_order(self) -> SortOrder {
        match self {
            LeaderboardSort::Name => SortOrder::Asc,
            _ => SortOrder::Desc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl FromStr for SortOrder {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            other => Err(FieldError::new("order", format!("'{other}' is not an order; expected asc or desc"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardQuery {
    pub period: Period,
    /// Only people scored with this scoring team in the period (D8).
    pub team_id: Option<Uuid>,
    pub visible: Visibility,
    pub sort: LeaderboardSort,
    pub order: SortOrder,
    /// 1–500.
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeaderboardRow {
    pub person_id: Uuid,
    /// From the directory; `None` when the person was never upserted.
    pub display_name: Option<String>,
    /// The scoring team the period was scored with.
    pub team_id: Option<Uuid>,
    #[serde(serialize_with = "number::decimal")]
    pub composite: Decimal,
    /// The raw score of each scored domain.
    #[serde(serialize_with = "number::domain_map")]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub domain_scores: BTreeMap<Domain, Decimal>,
    pub is_flagged: bool,
    /// The stored weekly composites of the [`TREND_WEEKS`] weeks ending with
    /// the week of the period's last day, oldest first; `null` for a week
    /// without a snapshot.
    #[serde(serialize_with = "number::optional_list")]
    pub trend: Vec<Option<Decimal>>,
}

/// The leaderboard of `query.period`. Sorting is total: equal keys are
/// ordered by person_id ascending whatever the order, and people without a
/// score in the sort domain (or without a name) come last in both orders.
pub async fn leaderboard(pool: &PgPool, query: &LeaderboardQuery) -> Result<Page<LeaderboardRow>, QueryError> {
    check_limit(query.limit)?;
    let people: Vec<ScoredPerson> = period_scores(pool, &query.period)
        .await?
        .into_iter()
        .filter(|p| query.team_id.is_none() || p.team_id == query.team_id)
        .filter(|p| query.visible.allows(p.person_id))
        .collect();
    let ids: Vec<Uuid> = people.iter().map(|p| p.person_id).collect();
    let names: BTreeMap<Uuid, String> =
        sqlx::query_as("SELECT person_id, display_name FROM directory_people WHERE person_id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let mut rows: Vec<(ScoredPerson, Option<String>)> = people
        .into_iter()
        .map(|p| {
            let name = names.get(&p.person_id).cloned();
            (p, name)
        })
        .collect();
    rows.sort_by(|a, b| compare(query.sort, query.order, a, b));

    let page = paginate(rows, query.limit, query.offset);
    let trends = trends(pool, &page.items.iter().map(|(p, _)| p.person_id).collect::<Vec<_>>(), &query.period).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|(p, display_name)| LeaderboardRow {
                trend: trends.get(&p.person_id).cloned().unwrap_or_else(|| vec![None; TREND_WEEKS]),
                person_id: p.person_id,
                display_name,
                team_id: p.team_id,
                composite: p.composite,
                domain_scores: p.domain_scores,
                is_flagged: p.is_flagged,
            })
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// `Some` values in `order`, `None` after them in both orders.
fn present_first<T: Ord>(a: Option<T>, b: Option<T>, order: SortOrder) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match order {
            SortOrder::Asc => a.cmp(&b),
            SortOrder::Desc => b.cmp(&a),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn compare(
    sort: LeaderboardSort,
    order: SortOrder,
    (a, a_name): &(ScoredPerson, Option<String>),
    (b, b_name): &(ScoredPerson, Option<String>),
) -> Ordering {
    let by_key = match sort {
        LeaderboardSort::Composite => present_first(Some(a.composite), Some(b.composite), order),
        LeaderboardSort::Domain(d) => present_first(a.domain_scores.get(&d), b.domain_scores.get(&d), order),
        LeaderboardSort::Name => present_first(
            a_name.as_ref().map(|n| (n.to_lowercase(), n)),
            b_name.as_ref().map(|n| (n.to_lowercase(), n)),
            order,
        ),
    };
    by_key.then(a.person_id.cmp(&b.person_id))
}

/// The sparkline of each of `people`: stored weekly composites of the
/// [`TREND_WEEKS`] weeks ending with the week of the period's last day.
async fn trends(
    pool: &PgPool,
    people: &[Uuid],
    period: &Period,
) -> Result<BTreeMap<Uuid, Vec<Option<Decimal>>>, QueryError> {
    let last = week_start_of_day(period.last_day());
    let first = last - Days::new(7 * (TREND_WEEKS as u64 - 1));
    let rows: Vec<(Uuid, chrono::DateTime<chrono::Utc>, Decimal)> = sqlx::query_as(
        "SELECT person_id, score_period_start, composite_score FROM agent_performance_snapshots
         WHERE person_id = ANY($1) AND score_period_start >= $2 AND score_period_start <= $3",
    )
    .bind(people)
    .bind(midnight(first))
    .bind(midnight(last))
    .fetch_all(pool)
    .await?;
    let mut trends: BTreeMap<Uuid, Vec<Option<Decimal>>> =
        people.iter().map(|p| (*p, vec![None; TREND_WEEKS])).collect();
    for (person, start, composite) in rows {
        let week: NaiveDate = start.date_naive();
        let index = ((week - first).num_days() / 7) as usize;
        if let Some(slot) = trends.get_mut(&person).and_then(|t| t.get_mut(index)) {
            *slot = Some(composite);
        }
    }
    Ok(trends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_order_parse_or_name_the_field() {
        assert_eq!("composite".parse::<LeaderboardSort>(), Ok(LeaderboardSort::Composite));
        assert_eq!("name".parse::<LeaderboardSort>(), Ok(LeaderboardSort::Name));
        assert_eq!("field_service".parse::<LeaderboardSort>(), Ok(LeaderboardSort::Domain(Domain::FieldService)));
        let e = "salary".parse::<LeaderboardSort>().unwrap_err();
        assert_eq!(e.field, "sort");
        assert!(e.reason.contains("'salary' is not a sort column"), "{e}");
        assert_eq!("asc".parse::<SortOrder>(), Ok(SortOrder::Asc));
        assert_eq!("desc".parse::<SortOrder>(), Ok(SortOrder::Desc));
        assert_eq!("up".parse::<SortOrder>().unwrap_err().field, "order");
        assert_eq!(LeaderboardSort::Name.default_order(), SortOrder::Asc);
        assert_eq!(LeaderboardSort::Composite.default_order(), SortOrder::Desc);
    }

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            assert_eq!(present_first(Some(1), None, order), Ordering::Less);
            assert_eq!(present_first(None, Some(1), order), Ordering::Greater);
        }
        assert_eq!(present_first(Some(1), Some(2), SortOrder::Asc), Ordering::Less);
        assert_eq!(present_first(Some(1), Some(2), SortOrder::Desc), Ordering::Greater);
    }
}
