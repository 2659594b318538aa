//! `GET /api/v1/performance/scores`: the score history of the effective
//! person, newest week first: each weekly snapshot (composite, domain
//! scores, weights, team, flagged) with its per-domain score rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::{DateTime, Utc};
use perfledger_domain::period::{iso_week_label, midnight};
use perfledger_domain::scoring::{explain, Domain};
use perfledger_scoring::rows;
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::{limit_param, query_params, uuid_param};
use crate::app::scope::effective_person_id;
use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::PersonId;
use crate::period_query::parse_period;
use crate::queries::number::to_f64;
use crate::state::AppState;

/// Weeks returned when `limit` is absent (one year).
pub const DEFAULT_LIMIT: i64 = 52;
/// The longest `from`/`to` range, in days (inclusive).
pub const MAX_RANGE_DAYS: i64 = crate::period_query::MAX_RANGE_DAYS;

const PARAMS: [&str; 5] = ["person_id", "period", "from", "to", "limit"];

/// A half-open UTC range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// `period` (`this_week`, `last_week`, `last_month` or an ISO week such as
/// `2026-W45`) or `from`/`to` dates (inclusive, at most 366 days), parsed by
/// [`crate::period_query`]; neither means all time. Weeks overlapping the
/// range are returned.
pub fn parse_range(params: &HashMap<String, String>, now: DateTime<Utc>) -> Result<Option<Range>, AppError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    let period = parse_period(param("period"), param("from"), param("to"), now.date_naive())?;
    Ok(period.map(|p| Range { start: midnight(p.start), end: midnight(p.end) }))
}

/// The answer (`openapi::ScoreHistory` describes it), read by
/// `scoring::rows::person_history`. The stored JSON columns pass through as
/// PostgreSQL prints them ([`RawValue`]): a year of weeks holds hundreds of
/// metrics objects, and parsing them only to write them out again was most
/// of this route's cost. The decimals become JSON numbers here.
#[derive(Serialize)]
pub struct ScoreHistory {
    person_id: Uuid,
    range: Option<RangeJson>,
    items: Vec<WeeklyScore>,
    /// Every metric's rule, once per answer (`domain::scoring::explain`).
    metric_rules: &'static RawValue,
}

/// `metric_rules`: domain → metric key → rule, written once.
fn metric_rules() -> &'static RawValue {
    static RULES: OnceLock<Box<RawValue>> = OnceLock::new();
    RULES.get_or_init(|| {
        let by_domain: BTreeMap<&str, BTreeMap<&str, explain::MetricRule>> =
            Domain::ALL.iter().map(|d| (d.as_str(), explain::domain_rules(*d).into_iter().collect())).collect();
        serde_json::value::to_raw_value(&by_domain).expect("static rules serialise")
    })
}

#[derive(Serialize)]
pub struct RangeJson {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct WeeklyScore {
    week: String,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    composite_score: f64,
    domain_scores: Box<RawValue>,
    weights: Box<RawValue>,
    team_id: Option<Uuid>,
    team_type: Option<String>,
    sales_activity_ratio: Option<f64>,
    weight_source: String,
    is_flagged: bool,
    formula_version: i32,
    scores: Vec<DomainScore>,
}

#[derive(Serialize)]
pub struct DomainScore {
    domain: String,
    raw_score: f64,
    weighted_score: f64,
    metrics: Box<RawValue>,
    formula_version: i32,
}

#[utoipa::path(get, path = "/api/v1/performance/scores", tag = "performance", operation_id = "scores",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose data; the caller when absent. Never widens what the caller may see"),
        ("period" = Option<String>, Query, pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$", description = "`this_week`, `last_week`, `last_month` or an ISO week such as `2026-W45` (W53 only in a year that has one); not together with `from`/`to` (400)"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD); only together with `to`, not with `period`, and not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, inclusive); only together with `from`; the range spans at most 366 days (400)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Weeks to return, newest first (default 52)"),
    ),
    responses(
        (status = 200, description = "The score history, newest week first", body = crate::schemas::ScoreHistory),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; or the period parameters break a rule the schema cannot state: `period` together with `from`/`to`, `from` or `to` alone, `from` after `to`, a range over 366 days, or week 53 of a year without one. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
) -> Result<Json<ScoreHistory>, AppError> {
    let params = query_params(&uri, &PARAMS)?;
    let requested = uuid_param(&params, "person_id")?;
    let limit = limit_param(&params, DEFAULT_LIMIT)?;
    let range = parse_range(&params, Utc::now())?;
    let person = effective_person_id(&state.pool, &principal, requested.map(PersonId), "person_id").await?.uuid();

    let weeks = rows::person_history(&state.pool, person, range.map(|r| (r.start, r.end)), limit).await?;
    let items: Vec<WeeklyScore> = weeks
        .into_iter()
        .map(|w| WeeklyScore {
            week: iso_week_label(w.period_start.date_naive()),
            period_start: w.period_start,
            period_end: w.period_end,
            composite_score: to_f64(&w.composite),
            domain_scores: w.domain_scores.raw(),
            weights: w.weights.raw(),
            team_id: w.team_id,
            team_type: w.team_type,
            sales_activity_ratio: w.sales_activity_ratio.as_ref().map(to_f64),
            weight_source: w.weight_source,
            is_flagged: w.is_flagged,
            formula_version: w.formula_version,
            scores: w
                .scores
                .into_iter()
                .map(|d| DomainScore {
                    domain: d.domain,
                    raw_score: to_f64(&d.raw_score),
                    weighted_score: to_f64(&d.weighted_score),
                    metrics: d.metrics.raw(),
                    formula_version: d.formula_version,
                })
                .collect(),
        })
        .collect();
    Ok(Json(ScoreHistory {
        person_id: person,
        range: range.map(|r| RangeJson { start: r.start, end: r.end }),
        items,
        metric_rules: metric_rules(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-18T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn day(text: &str) -> DateTime<Utc> {
        midnight(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn metric_rules_cover_every_metric_by_domain() {
        let rules: serde_json::Value = serde_json::from_str(metric_rules().get()).unwrap();
        let first_response = &rules["communication"]["avg_first_response_minutes"];
        assert_eq!(first_response["unit"], "minutes");
        assert_eq!(first_response["better"], "lower");
        assert_eq!(first_response["compared_with"], "team_average");
        assert_eq!(first_response["full_points"], "at 0 min");
        let count: usize = rules.as_object().unwrap().values().map(|d| d.as_object().unwrap().len()).sum();
        assert_eq!(count, perfledger_domain::scoring::formulas::METRIC_KEYS.len());
    }

    #[test]
    fn periods_resolve_to_ranges() {
        let range = |p: &[(&str, &str)]| parse_range(&params(p), now()).unwrap();
        assert_eq!(range(&[]), None);
        assert_eq!(range(&[("period", "this_week")]), Some(Range { start: day("2026-11-16"), end: day("2026-11-23") }));
        assert_eq!(range(&[("period", "last_week")]), Some(Range { start: day("2026-11-09"), end: day("2026-11-16") }));
        assert_eq!(
            range(&[("period", "last_month")]),
            Some(Range { start: day("2026-10-01"), end: day("2026-11-01") })
        );
        assert_eq!(range(&[("period", "2026-W45")]), Some(Range { start: day("2026-11-02"), end: day("2026-11-09") }));
        assert_eq!(
            range(&[("from", "2026-01-01"), ("to", "2026-01-31")]),
            Some(Range { start: day("2026-01-01"), end: day("2026-02-01") })
        );
    }

    #[test]
    fn bad_periods_name_their_field() {
        let field = |p: &[(&str, &str)]| parse_range(&params(p), now()).unwrap_err().field.unwrap();
        assert_eq!(field(&[("period", "next_week")]), "period");
        assert_eq!(field(&[("period", "this_week"), ("from", "2026-01-01")]), "period");
        // An inverted range names `from`, as on every endpoint (period_query).
        assert_eq!(field(&[("from", "2026-02-01"), ("to", "2026-01-01")]), "from");
        assert_eq!(field(&[("from", "2026-1-5"), ("to", "2026-01-31")]), "from");
        assert_eq!(field(&[("from", "2025-01-01"), ("to", "2026-01-02")]), "to");
        assert_eq!(field(&[("from", "2026-01-01")]), "to");
        assert_eq!(field(&[("from", "yesterday"), ("to", "2026-01-01")]), "from");
    }
}
