//! The leaderboard: everyone scored in a period, filtered by team and by what
//! the requester may see, sorted, paginated, with an 8-week sparkline.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use perfledger_domain::period::week_start_of_day;
use perfledger_domain::scoring::Domain;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::{check_limit, number, paginate, range_scores, score_cache, Decimal, Page, ScoredPerson};
use crate::error::AppError;
use crate::period_query::{Period, PeriodKind};

/// How many weeks a leaderboard row's `trend` (its sparkline) holds; the
/// name is in the OpenAPI spec. The person page's chart: `web::data::TREND_CHART_WEEKS`.
pub const TREND_WEEKS: usize = 8;

/// Whom the requester may see (resolved server-side, D17).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaderboardSort {
    Composite,
    Name,
    Domain(Domain),
}

impl FromStr for LeaderboardSort {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Self, AppError> {
        match s {
            "composite" => Ok(LeaderboardSort::Composite),
            "name" => Ok(LeaderboardSort::Name),
            other => Domain::from_str(other).map(LeaderboardSort::Domain).map_err(|_| {
                AppError::invalid_parameter(
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl FromStr for SortOrder {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Self, AppError> {
        match s {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            other => {
                Err(AppError::invalid_parameter("order", format!("'{other}' is not an order; expected asc or desc")))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
///
/// A week's scores, the trend weeks and the names come from
/// [`score_cache`]: one round trip reads their current keys, and only what
/// changed since the last request is read again.
pub async fn leaderboard(pool: &PgPool, query: &LeaderboardQuery) -> Result<Page<LeaderboardRow>, AppError> {
    let (first, last) = trend_weeks(&query.period);
    let versions = score_cache::versions(pool, first, last).await?;
    leaderboard_at(pool, &versions, query).await
}

/// [`leaderboard`] with the keys already read: `versions` must cover
/// [`trend_weeks`] of the period.
pub async fn leaderboard_at(
    pool: &PgPool,
    versions: &score_cache::Versions,
    query: &LeaderboardQuery,
) -> Result<Page<LeaderboardRow>, AppError> {
    check_limit(query.limit)?;
    let (first, last) = trend_weeks(&query.period);
    let scored = match query.period.kind {
        PeriodKind::Week => score_cache::week(pool, versions, query.period.start).await?,
        PeriodKind::Range => Arc::new(range_scores(pool, &query.period).await?),
    };
    let names = score_cache::names(pool, versions).await?;
    let mut rows: Vec<Candidate> = scored
        .iter()
        .filter(|p| query.team_id.is_none() || p.team_id == query.team_id)
        .filter(|p| query.visible.allows(p.person_id))
        .map(|p| {
            let name = names.get(&p.person_id).map(String::as_str);
            let sort_name = (query.sort == LeaderboardSort::Name).then(|| name.map(str::to_lowercase)).flatten();
            Candidate { person: p, name, sort_name }
        })
        .collect();
    rows.sort_by(|a, b| compare(query.sort, query.order, a, b));

    let page = paginate(rows, query.limit, query.offset);
    let trend_scores = score_cache::weeks(pool, versions, first, last).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|c| LeaderboardRow {
                trend: trend_scores.iter().map(|week| score_cache::composite_of(week, c.person.person_id)).collect(),
                person_id: c.person.person_id,
                display_name: c.name.map(str::to_string),
                team_id: c.person.team_id,
                composite: c.person.composite,
                domain_scores: c.person.domain_scores.clone(),
                is_flagged: c.person.is_flagged,
            })
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// A leaderboard row before paging.
struct Candidate<'a> {
    person: &'a ScoredPerson,
    name: Option<&'a str>,
    /// The lowercased name, when sorting by name.
    sort_name: Option<String>,
}

/// The Mondays of the [`TREND_WEEKS`] weeks ending with the week of the
/// period's last day.
pub fn trend_weeks(period: &Period) -> (NaiveDate, NaiveDate) {
    let last = week_start_of_day(period.last_day());
    (last - Days::new(7 * (TREND_WEEKS as u64 - 1)), last)
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

fn compare(sort: LeaderboardSort, order: SortOrder, a: &Candidate, b: &Candidate) -> Ordering {
    let by_key = match sort {
        LeaderboardSort::Composite => present_first(Some(a.person.composite), Some(b.person.composite), order),
        LeaderboardSort::Domain(d) => {
            present_first(a.person.domain_scores.get(&d), b.person.domain_scores.get(&d), order)
        }
        LeaderboardSort::Name => {
            present_first(a.sort_name.as_ref().map(|n| (n, a.name)), b.sort_name.as_ref().map(|n| (n, b.name)), order)
        }
    };
    by_key.then(a.person.person_id.cmp(&b.person.person_id))
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
        assert_eq!(e.field.as_deref(), Some("sort"));
        assert!(e.reason.contains("'salary' is not a sort column"), "{e}");
        assert_eq!("asc".parse::<SortOrder>(), Ok(SortOrder::Asc));
        assert_eq!("desc".parse::<SortOrder>(), Ok(SortOrder::Desc));
        assert_eq!("up".parse::<SortOrder>().unwrap_err().field.as_deref(), Some("order"));
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
