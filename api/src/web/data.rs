//! The person-level reads behind the agent pages: header, a period's domain
//! scores with their metric breakdowns (D11), the weekly trend and goals.
//! Scope is decided by the caller; these only read.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use perfledger_domain::period::{iso_week_label, week_start_of_day};
use perfledger_domain::scoring::Domain;
use perfledger_scoring::rows::{self, Metrics, ReadError};
use sqlx::PgPool;
use uuid::Uuid;

use super::charts::Point;
use super::context::{MetricCounts, PersonVolume};
use crate::error::AppError;
use crate::period_query::{Period, PeriodKind};
use crate::queries::number::to_f64;

/// How many weeks the person page's trend chart shows (a leaderboard row's
/// `trend` holds [`crate::queries::TREND_WEEKS`]).
pub const TREND_CHART_WEEKS: u64 = 12;

pub struct PersonHeader {
    pub name: String,
    pub title: Option<String>,
    pub team: Option<String>,
    pub initials: String,
}

pub async fn person_header(pool: &PgPool, person_id: Uuid) -> Result<PersonHeader, sqlx::Error> {
    let (name, title, team): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT p.display_name, p.title, t.name
           FROM (SELECT $1::uuid AS person_id) x
           LEFT JOIN directory_people p USING (person_id)
           LEFT JOIN directory_scoring_teams s USING (person_id)
           LEFT JOIN directory_teams t ON t.team_id = s.team_id",
    )
    .bind(person_id)
    .fetch_one(pool)
    .await?;
    let name = name.unwrap_or_else(|| person_id.to_string());
    Ok(PersonHeader { initials: super::view::initials(&name), name, title, team })
}

pub struct MetricLine {
    pub key: String,
    pub raw_value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub team_baseline: Option<f64>,
    pub points: f64,
    pub max: f64,
}

pub struct DomainBreakdown {
    pub score: f64,
    pub metrics: Vec<MetricLine>,
}

/// A person's scores in a period: nothing when they had no tracked activity.
#[derive(Default)]
pub struct PeriodScores {
    pub composite: Option<f64>,
    /// Each scored domain's share of the composite in percent (renormalised).
    pub weights: BTreeMap<Domain, f64>,
    /// Flagged on the unrounded composite, for a stored week; `None` for a
    /// range or without scores (the page compares with the threshold).
    pub is_flagged: Option<bool>,
    pub domains: BTreeMap<Domain, DomainBreakdown>,
}

impl PeriodScores {
    pub fn domain_score(&self, domain: Domain) -> Option<f64> {
        self.domains.get(&domain).map(|d| d.score)
    }

    /// The current value of a goal's metric in this period.
    pub fn value_of(&self, domain: Domain, metric_key: &str) -> Option<f64> {
        if metric_key == perfledger_domain::goals::COMPOSITE_METRIC_KEY {
            return self.composite;
        }
        if metric_key == domain.as_str() {
            return self.domain_score(domain);
        }
        self.domains.get(&domain)?.metrics.iter().find(|m| m.key == metric_key)?.raw_value
    }

    /// The counts of each domain's metrics, for the volume behind the scores.
    pub fn counts(&self) -> BTreeMap<Domain, BTreeMap<String, MetricCounts>> {
        self.domains
            .iter()
            .map(|(domain, b)| {
                let metrics = b
                    .metrics
                    .iter()
                    .map(|m| {
                        let counts =
                            MetricCounts { numerator: m.numerator, denominator: m.denominator, raw: m.raw_value };
                        (m.key.clone(), counts)
                    })
                    .collect();
                (*domain, metrics)
            })
            .collect()
    }
}

fn stored_counts(metrics: &Metrics) -> BTreeMap<String, MetricCounts> {
    metrics
        .iter()
        .map(|(key, m)| {
            let counts = MetricCounts {
                numerator: m.numerator.as_ref().map(to_f64),
                denominator: m.denominator.as_ref().map(to_f64),
                raw: m.raw_value.as_ref().map(to_f64),
            };
            (key.clone(), counts)
        })
        .collect()
}

/// The volume behind the scores of `people` in `period`: the stored score
/// rows for a week, `compute_range` for any other range (D6).
pub async fn volumes(
    pool: &PgPool,
    period: &Period,
    people: &[Uuid],
) -> Result<BTreeMap<Uuid, PersonVolume>, AppError> {
    match period.kind {
        PeriodKind::Week => {
            let stored = rows::week_metrics(pool, period.start, people).await.map_err(read_error)?;
            Ok(stored
                .iter()
                .map(|(person, domains)| {
                    let counts = domains.iter().map(|(d, m)| (*d, stored_counts(m))).collect();
                    (*person, PersonVolume::new(&counts))
                })
                .collect())
        }
        PeriodKind::Range => {
            let scores = perfledger_scoring::pass::compute_range(pool, period.start, period.end).await?;
            Ok(scores
                .iter()
                .filter(|p| people.contains(&p.person_id))
                .map(|p| {
                    let counts = p
                        .domains
                        .iter()
                        .map(|d| {
                            let metrics = d
                                .metrics
                                .iter()
                                .map(|m| {
                                    let counts = MetricCounts {
                                        numerator: m.numerator.as_ref().map(to_f64),
                                        denominator: m.denominator.as_ref().map(to_f64),
                                        raw: m.raw_value.as_ref().map(to_f64),
                                    };
                                    (m.key.clone(), counts)
                                })
                                .collect();
                            (d.domain, metrics)
                        })
                        .collect();
                    (p.person_id, PersonVolume::new(&counts))
                })
                .collect())
        }
    }
}

fn read_error(e: ReadError) -> AppError {
    match e {
        ReadError::Database(e) => AppError::from(e),
        ReadError::Corrupt(e) => AppError::internal_error("a stored score cannot be read", &e),
    }
}

/// One person's scores and metric breakdown in `period` (the API's
/// [`crate::queries::period_scores`] is everyone's composites): stored rows
/// for a week; `compute_range` for any other range (D6).
pub async fn person_period_scores(pool: &PgPool, person_id: Uuid, period: &Period) -> Result<PeriodScores, AppError> {
    match period.kind {
        PeriodKind::Week => person_week_scores(pool, person_id, period.start).await,
        PeriodKind::Range => person_range_scores(pool, person_id, period).await,
    }
}

async fn person_week_scores(pool: &PgPool, person_id: Uuid, week: NaiveDate) -> Result<PeriodScores, AppError> {
    let stored = rows::person_week(pool, person_id, week).await.map_err(read_error)?;
    let domains = stored
        .domains
        .iter()
        .map(|(domain, (score, metrics))| {
            (*domain, DomainBreakdown { score: to_f64(score), metrics: stored_metrics(*domain, metrics) })
        })
        .collect();
    Ok(PeriodScores {
        composite: stored.composite.as_ref().map(to_f64),
        weights: stored.weights.0.iter().map(|(d, w)| (*d, to_f64(w))).collect(),
        is_flagged: stored.is_flagged,
        domains,
    })
}

/// A score row's metrics in the order of the metric table.
fn stored_metrics(domain: Domain, metrics: &Metrics) -> Vec<MetricLine> {
    perfledger_domain::scoring::formulas::METRIC_KEYS
        .iter()
        .filter(|(d, _, _)| *d == domain)
        .filter_map(|(_, key, _)| {
            let metric = metrics.get(*key)?;
            Some(MetricLine {
                key: key.to_string(),
                raw_value: metric.raw_value.as_ref().map(to_f64),
                numerator: metric.numerator.as_ref().map(to_f64),
                denominator: metric.denominator.as_ref().map(to_f64),
                team_baseline: metric.team_baseline.as_ref().map(to_f64),
                points: to_f64(&metric.points),
                max: to_f64(&metric.max),
            })
        })
        .collect()
}

async fn person_range_scores(pool: &PgPool, person_id: Uuid, period: &Period) -> Result<PeriodScores, AppError> {
    let scores = perfledger_scoring::pass::compute_range(pool, period.start, period.end).await?;
    let Some(person) = scores.into_iter().find(|p| p.person_id == person_id) else {
        return Ok(PeriodScores::default());
    };
    let round = |d: &crate::queries::Decimal| to_f64(&perfledger_domain::scoring::round2(*d));
    let domains = person
        .domains
        .iter()
        .map(|d| {
            let metrics = d
                .metrics
                .iter()
                .map(|m| MetricLine {
                    key: m.key.clone(),
                    raw_value: m.raw_value.as_ref().map(round),
                    numerator: m.numerator.as_ref().map(round),
                    denominator: m.denominator.as_ref().map(round),
                    team_baseline: m.team_baseline.as_ref().map(round),
                    points: round(&m.points),
                    max: round(&m.max),
                })
                .collect();
            (d.domain, DomainBreakdown { score: round(&d.raw_score), metrics })
        })
        .collect();
    let weights =
        person.domains.iter().map(|d| (d.domain, round(&(d.weight * crate::queries::Decimal::ONE_HUNDRED)))).collect();
    Ok(PeriodScores { composite: Some(round(&person.composite)), weights, is_flagged: None, domains })
}

/// The period of the same length just before `period`.
pub fn previous(period: &Period) -> Period {
    let days = Days::new(period.days() as u64);
    Period::new(period.start - days, period.start)
}

/// Is the week of the period's last day (the last point of a trend) still in progress on `today`?
pub fn last_week_in_progress(period: &Period, today: NaiveDate) -> bool {
    week_start_of_day(period.last_day()) == week_start_of_day(today)
}

/// The stored weekly composites of the [`TREND_CHART_WEEKS`] weeks ending with the
/// week of the period's last day, oldest first (`None`: no activity); the
/// week in progress is marked partial.
pub async fn trend(pool: &PgPool, person_id: Uuid, period: &Period) -> Result<Vec<Point>, sqlx::Error> {
    let last = week_start_of_day(period.last_day());
    let first = last - Days::new(7 * (TREND_CHART_WEEKS - 1));
    let by_week = rows::composites(pool, person_id, first, last).await?;
    let this_week = week_start_of_day(chrono::Utc::now().date_naive());
    Ok((0..TREND_CHART_WEEKS)
        .map(|i| {
            let week = first + Days::new(7 * i);
            Point { label: iso_week_label(week), value: by_week.get(&week).map(to_f64), partial: week == this_week }
        })
        .collect())
}

pub struct GoalRow {
    pub id: Uuid,
    pub domain: Domain,
    pub metric_key: String,
    pub label: String,
    pub target_value: f64,
    pub current_value: Option<f64>,
    pub comparison: String,
    pub deadline: NaiveDate,
    pub status: String,
}

/// A person's goals from the read model: active ones first, by deadline.
pub async fn goals(pool: &PgPool, person_id: Uuid) -> Result<Vec<GoalRow>, AppError> {
    type Row = (Uuid, String, String, String, f64, Option<f64>, String, NaiveDate, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, domain, metric_key, label, target_value::float8, current_value::float8, comparison, deadline,
                status
           FROM agent_performance_goals WHERE person_id = $1
          ORDER BY (status = 'active') DESC, deadline, created_at DESC, id
          LIMIT 50",
    )
    .bind(person_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, domain, metric_key, label, target_value, current_value, comparison, deadline, status)| {
            let domain =
                Domain::from_str(&domain).map_err(|e| AppError::internal_error("a stored goal cannot be read", &e))?;
            Ok(GoalRow { id, domain, metric_key, label, target_value, current_value, comparison, deadline, status })
        })
        .collect()
}

/// How far a goal is, 0–100: `gte` is current/target, `lte` is
/// target/current (reaching the target or better is 100).
pub fn goal_progress(comparison: &str, target: f64, current: Option<f64>) -> Option<f64> {
    let current = current?;
    let ratio = if comparison == "lte" {
        if current <= target {
            1.0
        } else if current <= 0.0 {
            0.0
        } else {
            target.max(0.0) / current
        }
    } else if target <= 0.0 {
        if current >= target {
            1.0
        } else {
            0.0
        }
    } else {
        current / target
    };
    Some((ratio * 100.0).clamp(0.0, 100.0))
}

/// The flag threshold in force at the start of `period` (D10).
pub async fn flag_threshold(pool: &PgPool, period: &Period) -> Result<i64, AppError> {
    Ok(perfledger_projections::settings::in_force_at(pool, period.start).await?.flagged_threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_progress_reads_the_comparison() {
        assert_eq!(goal_progress("gte", 80.0, Some(40.0)), Some(50.0));
        assert_eq!(goal_progress("gte", 80.0, Some(120.0)), Some(100.0));
        assert_eq!(goal_progress("lte", 10.0, Some(20.0)), Some(50.0));
        assert_eq!(goal_progress("lte", 10.0, Some(5.0)), Some(100.0));
        assert_eq!(goal_progress("lte", 0.0, Some(3.0)), Some(0.0));
        assert_eq!(goal_progress("gte", 0.0, Some(0.0)), Some(100.0));
        assert_eq!(goal_progress("gte", 10.0, None), None);
    }

    #[test]
    fn the_previous_period_has_the_same_length() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let week = Period::week(d("2026-11-23"));
        assert_eq!(previous(&week), Period::week(d("2026-11-16")));
        let month = Period::new(d("2026-11-01"), d("2026-12-01"));
        assert_eq!(previous(&month), Period::new(d("2026-10-02"), d("2026-11-01")));
    }

    #[test]
    fn stored_metrics_follow_the_metric_table() {
        let json: Metrics = serde_json::from_value(serde_json::json!({
            "escalation_rate": {"raw_value": 0.1, "team_baseline": null, "points": 15, "max": 20},
            "sla_compliance_rate": {"raw_value": 0.9, "team_baseline": 0.8, "points": 36, "max": 40},
        }))
        .unwrap();
        let lines = stored_metrics(Domain::Support, &json);
        assert_eq!(
            lines.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
            ["sla_compliance_rate", "escalation_rate"]
        );
        assert_eq!((lines[0].raw_value, lines[0].team_baseline, lines[0].points), (Some(0.9), Some(0.8), 36.0));
        assert_eq!(lines[1].team_baseline, None);
    }
}
