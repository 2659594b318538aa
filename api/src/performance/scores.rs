//! `GET /api/v1/performance/scores`: the score history of the effective
//! person, newest week first: each weekly snapshot (composite, domain
//! scores, weights, team, flagged) with its per-domain score rows.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::{DateTime, Utc};
use perfledger_domain::period::{iso_week_label, midnight};
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::types::Json as JsonColumn;
use uuid::Uuid;

use super::{limit_param, query_params, uuid_param};
use crate::app::scope::effective_person_id;
use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::PersonId;
use crate::period_query::parse_period;
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

type SnapshotRow = (
    DateTime<Utc>,
    DateTime<Utc>,
    f64,
    JsonColumn<Box<RawValue>>,
    JsonColumn<Box<RawValue>>,
    Option<Uuid>,
    Option<String>,
    Option<f64>,
    String,
    bool,
    i32,
);

/// The answer (`openapi::ScoreHistory` describes it). The stored JSON
/// columns pass through as they are ([`RawValue`]): a year of weeks holds
/// hundreds of metrics objects, and parsing them only to write them out
/// again was most of this route's cost.
#[derive(Serialize)]
pub struct ScoreHistory {
    person_id: Uuid,
    range: Option<RangeJson>,
    items: Vec<WeeklyScore>,
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

    let snapshots: Vec<SnapshotRow> = sqlx::query_as(
        "SELECT score_period_start, score_period_end, composite_score::float8, domain_scores_json, weights_json,
                team_id, team_type::text, sales_activity_ratio::float8, weight_source, is_flagged, formula_version
           FROM agent_performance_snapshots
          WHERE person_id = $1
            AND ($2::timestamptz IS NULL OR (score_period_start < $3 AND score_period_end > $2))
          ORDER BY score_period_start DESC
          LIMIT $4",
    )
    .bind(person)
    .bind(range.map(|r| r.start))
    .bind(range.map(|r| r.end))
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;

    let starts: Vec<DateTime<Utc>> = snapshots.iter().map(|s| s.0).collect();
    type ScoreRow = (DateTime<Utc>, String, f64, f64, JsonColumn<Box<RawValue>>, i32);
    let rows: Vec<ScoreRow> = sqlx::query_as(
        "SELECT score_period_start, domain, raw_score::float8, weighted_score::float8, metrics_json, formula_version
           FROM agent_performance_scores
          WHERE person_id = $1 AND score_period_start = ANY($2)
          ORDER BY score_period_start DESC, domain",
    )
    .bind(person)
    .bind(&starts)
    .fetch_all(&state.pool)
    .await?;
    let mut by_week: HashMap<DateTime<Utc>, Vec<DomainScore>> = HashMap::new();
    for (start, domain, raw_score, weighted_score, JsonColumn(metrics), formula_version) in rows {
        by_week.entry(start).or_default().push(DomainScore {
            domain,
            raw_score,
            weighted_score,
            metrics,
            formula_version,
        });
    }

    let items: Vec<WeeklyScore> = snapshots
        .into_iter()
        .map(|s| WeeklyScore {
            week: iso_week_label(s.0.date_naive()),
            period_start: s.0,
            period_end: s.1,
            composite_score: s.2,
            domain_scores: s.3 .0,
            weights: s.4 .0,
            team_id: s.5,
            team_type: s.6,
            sales_activity_ratio: s.7,
            weight_source: s.8,
            is_flagged: s.9,
            formula_version: s.10,
            scores: by_week.remove(&s.0).unwrap_or_default(),
        })
        .collect();
    Ok(Json(ScoreHistory { person_id: person, range: range.map(|r| RangeJson { start: r.start, end: r.end }), items }))
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
