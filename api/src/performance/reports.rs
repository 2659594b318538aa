//! The report endpoints of `/api/v1/performance/*` (issue 5): leaderboard
//! (JSON and streamed CSV), team summary, peer comparison and the drilldown
//! to the events behind a score (D11). The numbers come from
//! [`crate::queries`]; this module adds scope, resolved server-side on every
//! request (D17: a query parameter never widens it), and turns every failure
//! into problem+json ([`AppError`]) naming the field and the reason. The
//! leaderboards, the team summary and the peer comparison take the caller,
//! their query parameters and the period through one extractor,
//! [`ReportScope`] (issue 17).
//!
//! Scope decisions:
//! - **Leaderboard** (JSON and CSV): admins see everyone; a manager
//!   (`reports:operations`, or `reports`, *and* at least one managed active
//!   team, see [`crate::app::scope::managed_person_ids`]) sees only the people it
//!   manages. `team_id` filters on the scoring team of the period (D8) and
//!   only narrows: a manager naming a team it does not manage (inactive,
//!   someone else's, or unknown) gets 403; an admin naming an unknown team
//!   gets 404. Everyone else, including a permission holder who manages no
//!   active team, gets 403.
//! - **Team summary**: admins any team (404 when unknown); a manager or lead
//!   of the *active* team with `reports:operations`/`reports`; else 403, the
//!   same for unknown teams so team ids cannot be probed.
//! - **Peer comparison**: the caller only (self-service, as
//!   [`crate::app::scope::may_serve_self`] defines it); there is no `person_id`.
//! - **Drilldown**: who may see the person's scores (self, managed, admin,
//!   via [`effective_person_id`]); no such score row → 404 for them.
//!
//! The CSV export takes the same parameters as the leaderboard except
//! `limit`/`offset`: it exports every visible row, fetched and streamed page
//! by page ([`queries::MAX_LIMIT`] rows each). The first page is read before
//! the response starts, so parameter, scope and database errors are still
//! problems; a failure after that aborts the body. It is a download the
//! team page links to ("Export CSV"), so it also accepts the dashboards'
//! session cookie ([`DownloadPrincipal`]: GET only, a bearer token wins),
//! with exactly the bearer's scope.

use std::collections::HashMap;
use std::str::FromStr;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{stream, StreamExt};
use perfledger_domain::format;
use perfledger_domain::scoring::Domain;
use uuid::Uuid;

use super::page_cache::{self, PageKey};
use super::report_scope::{ReportParams, ReportQuery, ReportScope};
use super::{csv, limit_param, query_params, uuid_param, uuid_path};
use crate::app::fields::shorten;
use crate::app::{reports, scope_cache};
use crate::auth::{grants_unavailable, DownloadPrincipal, Principal, TokenOnly};
use crate::error::AppError;
use crate::ids::{PersonId, TeamId};
use crate::period_query::PeriodKind;
use crate::queries::score_cache::{self};
use crate::queries::{
    self, EventRow, LeaderboardQuery, LeaderboardRow, LeaderboardSort, Page, PeerComparison, SortOrder, TeamSummary,
};
use crate::state::AppState;

/// Leaderboard rows per page when `limit` is absent.
pub const LEADERBOARD_DEFAULT_LIMIT: i64 = 50;
/// Drilldown events per page when `limit` is absent.
pub const DRILLDOWN_DEFAULT_LIMIT: i64 = 100;

const LEADERBOARD_PARAMS: [&str; 8] = ["period", "from", "to", "team_id", "sort", "order", "limit", "offset"];
const CSV_PARAMS: [&str; 6] = ["period", "from", "to", "team_id", "sort", "order"];
const TEAM_PARAMS: [&str; 4] = ["team_id", "period", "from", "to"];
const PEER_PARAMS: [&str; 3] = ["period", "from", "to"];
const DRILLDOWN_PARAMS: [&str; 2] = ["limit", "offset"];

/// `offset`: an integer from 0 to `i64::MAX` (the spec's int64), 0 when absent.
pub(crate) fn offset_param(params: &HashMap<String, String>) -> Result<u64, AppError> {
    let Some(text) = params.get("offset") else { return Ok(0) };
    text.trim().parse::<i64>().ok().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| {
        AppError::invalid_parameter("offset", format!("'{}' is not an integer from 0 to {}", shorten(text), i64::MAX))
    })
}

/// `limit` as [`super::limit_param`] checks it (1–500).
fn page_limit(params: &HashMap<String, String>, default: i64) -> Result<u32, AppError> {
    let limit = limit_param(params, default)?;
    u32::try_from(limit).map_err(|_| AppError::invalid_parameter("limit", "is out of range"))
}

/// The leaderboard parameters of a request but the period and the page,
/// validated (400) after the period: the CSV export's parameters.
pub struct LeaderboardParams {
    team_id: Option<Uuid>,
    sort: LeaderboardSort,
    order: SortOrder,
}

impl ReportParams for LeaderboardParams {
    const NAMES: &'static [&'static str] = &CSV_PARAMS;

    fn parse(query: &mut ReportQuery) -> Result<Self, AppError> {
        query.period()?;
        let params = query.params();
        let team_id = uuid_param(params, "team_id")?;
        // Given, a parameter must be valid: an empty `sort=` or `order=` is
        // refused, not read as "the default" (the spec's patterns say so).
        let sort = match params.get("sort").map(|s| s.trim()) {
            Some(text) => LeaderboardSort::from_str(text)?,
            None => LeaderboardSort::Composite,
        };
        let order = match params.get("order").map(|s| s.trim()) {
            Some(text) => SortOrder::from_str(text)?,
            None => sort.default_order(),
        };
        Ok(LeaderboardParams { team_id, sort, order })
    }
}

/// The leaderboard page's parameters: `limit` and `offset` (checked first),
/// then [`LeaderboardParams`].
pub struct LeaderboardPageParams {
    limit: u32,
    offset: u64,
    board: LeaderboardParams,
}

impl ReportParams for LeaderboardPageParams {
    const NAMES: &'static [&'static str] = &LEADERBOARD_PARAMS;

    fn parse(query: &mut ReportQuery) -> Result<Self, AppError> {
        let limit = page_limit(query.params(), LEADERBOARD_DEFAULT_LIMIT)?;
        let offset = offset_param(query.params())?;
        let board = LeaderboardParams::parse(query)?;
        Ok(LeaderboardPageParams { limit, offset, board })
    }
}

/// The team summary's `team_id` (required), checked before the period.
pub struct TeamParams {
    team: Uuid,
}

impl ReportParams for TeamParams {
    const NAMES: &'static [&'static str] = &TEAM_PARAMS;

    fn parse(query: &mut ReportQuery) -> Result<Self, AppError> {
        let team = uuid_param(query.params(), "team_id")?
            .ok_or_else(|| AppError::invalid_parameter("team_id", "is required"))?;
        Ok(TeamParams { team })
    }
}

/// The peer comparison takes the period only.
pub struct PeerParams;

impl ReportParams for PeerParams {
    const NAMES: &'static [&'static str] = &PEER_PARAMS;

    fn parse(_query: &mut ReportQuery) -> Result<Self, AppError> {
        Ok(PeerParams)
    }
}

/// `GET /api/v1/performance/leaderboard?period=&from=&to=&team_id=&sort=&order=&limit=&offset=`
#[utoipa::path(get, path = "/api/v1/performance/leaderboard", tag = "performance", operation_id = "leaderboard",
    security(("bearer" = [])),
    params(
        ("period" = Option<String>, Query, pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$", description = "`last_week` (the default: the last full week), `this_week` (in progress), `last_month` or an ISO week such as `2026-W45` (W53 only in a year that has one); not together with `from`/`to` (400)"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD); only together with `to`, not with `period`, and not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, inclusive); only together with `from`; the range spans at most 366 days (400)"),
        ("team_id" = Option<uuid::Uuid>, Query, description = "Only people scored with this scoring team; only narrows what the caller may see"),
        ("sort" = Option<String>, Query, pattern = "^(composite|name|support|operations|field_service|communication|sales|data_quality)$", description = "`composite` (the default), `name` or a domain: `support`, `operations`, `field_service`, `communication`, `sales`, `data_quality`"),
        ("order" = Option<String>, Query, pattern = "^(asc|desc)$", description = "`asc` or `desc`; the default is desc for scores, asc for names"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Items to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "One page of the leaderboard the caller may see", body = crate::queries::Page<crate::queries::LeaderboardRow>),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; or the period parameters break a rule the schema cannot state: `period` together with `from`/`to`, `from` or `to` alone, `from` after `to`, a range over 366 days, or week 53 of a year without one. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither admin nor the manager of an active team, or a team_id the caller does not manage", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team (admins only)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn leaderboard(
    State(state): State<AppState>,
    report: ReportScope<LeaderboardPageParams, TokenOnly>,
) -> Result<Response, AppError> {
    let ReportScope { principal: TokenOnly(mut principal), period, params } = report;
    let LeaderboardPageParams { limit, offset, board: LeaderboardParams { team_id, sort, order } } = params;
    // The hot route, so one round trip when nothing changed: the report keys
    // (score_cache::versions) with the directory state, under which the
    // caller's grants and managed people come from scope_cache; then the
    // page, as scoped, from page_cache (or built and kept there).
    let (first, last) = queries::leaderboard::trend_weeks(&period);
    let versions = score_cache::versions(&state.pool, first, last).await?;
    let directory = versions.directory();
    if let Some(person) = principal.person_id {
        let grants = scope_cache::grants(&state.pool, &directory, person).await.map_err(|e| grants_unavailable(&e))?;
        if let Some(grants) = grants {
            principal.merge(grants.roles.iter().cloned(), grants.permissions.iter().cloned());
        }
    }
    let visible = reports::visibility(&state.pool, &principal, team_id.map(TeamId), Some(&directory)).await?;
    let query = LeaderboardQuery { period, team_id, visible, sort, order, limit, offset };
    // Ranges read their scores past the cached weeks, so only weeks are kept.
    let key = (query.period.kind == PeriodKind::Week).then(|| PageKey::new(&versions, &query));
    if let Some(body) = key.as_ref().and_then(page_cache::get) {
        return Ok(json_body(body));
    }
    let page = queries::leaderboard::leaderboard_at(&state.pool, &versions, &query).await?;
    let body = Bytes::from(serde_json::to_vec(&page).map_err(AppError::unreadable)?);
    if let Some(key) = key {
        page_cache::put(key, body.clone());
    }
    Ok(json_body(body))
}

/// A 200 with a JSON body written earlier.
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// The CSV columns, in order; score columns carry their unit
/// (`domain::format::score_column`). Values are the stored 2-decimal
/// scores, unrounded further, so none crosses the flag threshold.
pub fn csv_header() -> Vec<String> {
    let mut header: Vec<String> = ["rank", "person_id", "display_name", "team_id"].map(String::from).into();
    header.push(format::score_column("composite"));
    header.push("is_flagged".to_string());
    header.extend(Domain::ALL.iter().map(|d| format::score_column(d.as_str())));
    header
}

fn decimal_cell(value: &queries::Decimal) -> String {
    queries::number::to_f64(value).to_string()
}

/// The CSV rows of one page, ranked from `page.offset + 1`.
fn csv_rows(out: &mut String, page: &Page<LeaderboardRow>) {
    for (i, row) in page.items.iter().enumerate() {
        let mut cells = vec![
            (page.offset + i as u64 + 1).to_string(),
            row.person_id.to_string(),
            row.display_name.clone().unwrap_or_default(),
            row.team_id.map(|t| t.to_string()).unwrap_or_default(),
            decimal_cell(&row.composite),
            row.is_flagged.to_string(),
        ];
        cells.extend(Domain::ALL.iter().map(|d| row.domain_scores.get(d).map(decimal_cell).unwrap_or_default()));
        csv::push_row(out, cells);
    }
}

/// Where the next page starts, `None` when `page` was the last one.
fn next_offset(page: &Page<LeaderboardRow>) -> Option<u64> {
    let next = page.offset + page.items.len() as u64;
    (!page.items.is_empty() && next < page.total).then_some(next)
}

/// `GET /api/v1/performance/leaderboard.csv?period=&from=&to=&team_id=&sort=&order=`:
/// every visible row, streamed page by page (module docs).
#[utoipa::path(get, path = "/api/v1/performance/leaderboard.csv", tag = "performance", operation_id = "leaderboard_csv",
    security(("bearer" = []), ("session" = [])),
    params(
        ("period" = Option<String>, Query, pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$", description = "`last_week` (the default: the last full week), `this_week` (in progress), `last_month` or an ISO week such as `2026-W45` (W53 only in a year that has one); not together with `from`/`to` (400)"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD); only together with `to`, not with `period`, and not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, inclusive); only together with `from`; the range spans at most 366 days (400)"),
        ("team_id" = Option<uuid::Uuid>, Query, description = "Only people scored with this scoring team; only narrows what the caller may see"),
        ("sort" = Option<String>, Query, pattern = "^(composite|name|support|operations|field_service|communication|sales|data_quality)$", description = "`composite` (the default), `name` or a domain: `support`, `operations`, `field_service`, `communication`, `sales`, `data_quality`"),
        ("order" = Option<String>, Query, pattern = "^(asc|desc)$", description = "`asc` or `desc`; the default is desc for scores, asc for names"),
    ),
    responses(
        (status = 200, description = "Every visible leaderboard row as CSV, streamed; cells starting with =, +, - or @ are escaped", body = String, content_type = "text/csv"),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; or the period parameters break a rule the schema cannot state: `period` together with `from`/`to`, `from` or `to` alone, `from` after `to`, a range over 366 days, or week 53 of a year without one. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token, and no valid `perfledger_session` cookie (the cookie counts only without an Authorization header)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither admin nor the manager of an active team, or a team_id the caller does not manage", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team (admins only)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn leaderboard_csv(
    State(state): State<AppState>,
    report: ReportScope<LeaderboardParams, DownloadPrincipal>,
) -> Result<Response, AppError> {
    let ReportScope {
        principal: DownloadPrincipal(principal),
        period,
        params: LeaderboardParams { team_id, sort, order },
    } = report;
    let visible = reports::leaderboard_visibility(&state.pool, &principal, team_id.map(TeamId)).await?;
    let query = LeaderboardQuery { period, team_id, visible, sort, order, limit: queries::MAX_LIMIT, offset: 0 };
    let first = queries::leaderboard(&state.pool, &query).await?;
    let filename = format!("leaderboard-{}.csv", query.period.label());

    let mut head = String::new();
    csv::push_row(&mut head, csv_header());
    csv_rows(&mut head, &first);
    let head = stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(head)) });
    let pool = state.pool.clone();
    let rest = stream::try_unfold((pool, query, next_offset(&first)), |(pool, mut query, offset)| async move {
        let Some(offset) = offset else { return Ok(None) };
        query.offset = offset;
        let page = queries::leaderboard(&pool, &query).await.map_err(|e| {
            tracing::error!(error = %e, offset, "the leaderboard CSV export failed mid-stream");
            std::io::Error::other(e.to_string())
        })?;
        let mut chunk = String::new();
        csv_rows(&mut chunk, &page);
        let next = next_offset(&page);
        Ok(Some((Bytes::from(chunk), (pool, query, next))))
    });

    Ok(csv::attachment(Body::from_stream(head.chain(rest)), &filename))
}

/// `GET /api/v1/performance/team-summary?team_id=&period=&from=&to=`
#[utoipa::path(get, path = "/api/v1/performance/team-summary", tag = "performance", operation_id = "team_summary",
    security(("bearer" = [])),
    params(
        ("team_id" = uuid::Uuid, Query, description = "The team"),
        ("period" = Option<String>, Query, pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$", description = "`last_week` (the default: the last full week), `this_week` (in progress), `last_month` or an ISO week such as `2026-W45` (W53 only in a year that has one); not together with `from`/`to` (400)"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD); only together with `to`, not with `period`, and not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, inclusive); only together with `from`; the range spans at most 366 days (400)"),
    ),
    responses(
        (status = 200, description = "The team's averages, top performer, needs-coaching count, reviews generated and distribution", body = crate::queries::TeamSummary),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; or the period parameters break a rule the schema cannot state: `period` together with `from`/`to`, `from` or `to` alone, `from` after `to`, a range over 366 days, or week 53 of a year without one. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this team (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team (admins only)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn team_summary(
    State(state): State<AppState>,
    report: ReportScope<TeamParams>,
) -> Result<Json<TeamSummary>, AppError> {
    let ReportScope { principal, period, params: TeamParams { team } } = report;
    Ok(Json(reports::team_summary(&state.pool, &principal, TeamId(team), &period).await?))
}

/// `GET /api/v1/performance/peer-comparison?period=&from=&to=`: the caller's own.
#[utoipa::path(get, path = "/api/v1/performance/peer-comparison", tag = "performance", operation_id = "peer_comparison",
    security(("bearer" = [])),
    params(
        ("period" = Option<String>, Query, pattern = "^(this_week|last_week|last_month|[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3]))$", description = "`last_week` (the default: the last full week), `this_week` (in progress), `last_month` or an ISO week such as `2026-W45` (W53 only in a year that has one); not together with `from`/`to` (400)"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD); only together with `to`, not with `period`, and not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, inclusive); only together with `from`; the range spans at most 366 days (400)"),
    ),
    responses(
        (status = 200, description = "The caller's anonymised standing in their scoring team, or why it is suppressed", body = crate::queries::PeerComparison),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; or the period parameters break a rule the schema cannot state: `period` together with `from`/`to`, `from` or `to` alone, `from` after `to`, a range over 366 days, or week 53 of a year without one. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not use self-service", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn peer_comparison(
    State(state): State<AppState>,
    report: ReportScope<PeerParams>,
) -> Result<Json<PeerComparison>, AppError> {
    let ReportScope { principal, period, params: PeerParams } = report;
    Ok(Json(reports::peer_comparison(&state.pool, &principal, &period).await?))
}

/// `GET /api/v1/performance/scores/{person_id}/{week}/{domain}/events?limit=&offset=`
#[utoipa::path(get, path = "/api/v1/performance/scores/{person_id}/{week}/{domain}/events", tag = "performance", operation_id = "drilldown",
    security(("bearer" = [])),
    params(
        ("person_id" = uuid::Uuid, Path, description = "Whose score"),
        ("week" = String, Path, pattern = "^([0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$", description = "An ISO week (`2026-W20`; W53 only in a year that has one) or the date of its Monday (`2026-05-11`; a real date, and a Monday: else 400)"),
        ("domain" = String, Path, pattern = "^(support|operations|field_service|communication|sales|data_quality)$", description = "`support`, `operations`, `field_service`, `communication`, `sales` or `data_quality`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 100)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Items to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "One page of the events behind the score, in log order", body = crate::queries::Page<crate::queries::EventRow>),
        (status = 400, description = "A path segment or query parameter is invalid, including a week or date the pattern allows but the calendar does not (week 53 of a year without one, 2026-02-30, a day that is not a Monday); the problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such score (or, for admins, no such person)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn drilldown(
    State(state): State<AppState>,
    principal: Principal,
    Path((person, week, domain)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<Json<Page<EventRow>>, AppError> {
    let params = query_params(&uri, &DRILLDOWN_PARAMS)?;
    let requested = uuid_path(&person, "person_id")?;
    let week_start = reports::week_param(&week)?;
    let domain = Domain::from_str(domain.trim()).map_err(|reason| AppError::invalid_parameter("domain", reason))?;
    let limit = page_limit(&params, DRILLDOWN_DEFAULT_LIMIT)?;
    let offset = offset_param(&params)?;
    let page =
        reports::drilldown(&state.pool, &principal, PersonId(requested), week_start, domain, limit, offset).await?;
    Ok(Json(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_become_invalid_parameter_problems() {
        let p = crate::problem::Problem::from(AppError::invalid_parameter("to", "spans 367 days"));
        assert_eq!((p.status, p.field.as_deref(), p.reason.as_deref()), (400, Some("to"), Some("spans 367 days")));
        assert_eq!(p.type_uri, crate::problem::problem_types::INVALID_PARAMETER);
        let q = AppError::unreadable("x");
        assert_eq!(q.status().as_u16(), 500);
        assert!(!q.reason.contains('x'), "internals stay in the log: {}", q.reason);
    }

    #[test]
    fn offsets_are_int64_and_sort_and_order_may_not_be_empty() {
        let params = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(offset_param(&params(&[("offset", "9223372036854775807")])).unwrap(), i64::MAX as u64);
        for bad in ["9223372036854775808", "-1", ""] {
            assert_eq!(offset_param(&params(&[("offset", bad)])).unwrap_err().status().as_u16(), 400, "{bad}");
        }
        for field in ["sort", "order"] {
            let mut query = ReportQuery::new(params(&[(field, "")]));
            let problem = LeaderboardParams::parse(&mut query).err().expect("an empty value is refused");
            assert_eq!(problem.field.as_deref(), Some(field));
        }
    }

    #[test]
    fn csv_header_names_every_domain() {
        let header = csv_header();
        assert_eq!(header[..3], ["rank", "person_id", "display_name"]);
        assert_eq!(header.len(), 6 + Domain::ALL.len());
        // Issue 15: every score column says its unit.
        assert_eq!(header[4], "composite (score 0-100)");
        assert!(header.contains(&"data_quality (score 0-100)".to_string()));
    }
}
