//! History and audit over JSON and CSV (issue 16 item 5), admins only:
//! the settings history with before and after values per key, and the audit
//! log filtered by actor, action and date (use cases: [`crate::app::audit`]).
//!
//! The CSV exports take the caller from the bearer token or, with no
//! `Authorization` header, from the dashboards' session cookie
//! ([`DownloadPrincipal`]), so the pages' "Download CSV" links work in a
//! browser. The audit export streams every matching row page by page
//! ([`queries::MAX_LIMIT`] each, each below the last one's log position, so
//! rows recorded meanwhile shift nothing; the first page is read before the
//! answer starts, so bad parameters and refusals are still problems); the settings
//! history is read whole (one row per changed key).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use futures::{stream, StreamExt};
use serde_json::Value;

use super::reports::offset_param;
use super::{csv, limit_param, query_params};
use crate::app::audit::{self, AuditEntry, SettingsChange};
use crate::auth::{DownloadPrincipal, Principal};
use crate::error::AppError;
use crate::queries::audit::AuditFilter;
use crate::queries::{self, Page};
use crate::state::AppState;

/// Rows per page when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 50;

const HISTORY_PARAMS: [&str; 2] = ["limit", "offset"];
const AUDIT_PARAMS: [&str; 6] = ["actor", "action", "from", "to", "limit", "offset"];
const AUDIT_CSV_PARAMS: [&str; 4] = ["actor", "action", "from", "to"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/performance/settings/history", get(settings_history))
        .route("/api/v1/performance/settings/history.csv", get(settings_history_csv))
        .route("/api/v1/performance/audit", get(audit_log))
        .route("/api/v1/performance/audit.csv", get(audit_csv))
}

/// The audit filter of a query string: every given parameter must be valid
/// (an empty value is refused, never read as "no filter").
fn filter_of(params: &HashMap<String, String>) -> Result<AuditFilter, AppError> {
    let get = |name: &str| params.get(name).map(String::as_str);
    for name in ["from", "to", "action"] {
        if get(name).is_some_and(|v| v.trim().is_empty()) {
            return Err(AppError::invalid_parameter(name, "is empty; give a value, or leave the parameter out"));
        }
    }
    audit::audit_filter(get("actor"), get("action"), get("from"), get("to"))
}

fn page_of(params: &HashMap<String, String>) -> Result<(u32, u64), AppError> {
    let limit = u32::try_from(limit_param(params, DEFAULT_LIMIT)?)
        .map_err(|_| AppError::invalid_parameter("limit", "is out of range"))?;
    Ok((limit, offset_param(params)?))
}

/// `GET /api/v1/performance/settings/history?limit=&offset=`
#[utoipa::path(get, path = "/api/v1/performance/settings/history", tag = "performance", operation_id = "settings_history",
    security(("bearer" = [])),
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Changes to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "Every settings change, newest first: when it was recorded, who made it, why, from when it is in force, and per key the value in force on that day just before it and the value it set. Secrets (`vllm_api_key`) are only `set` or `unset`", body = crate::queries::Page<crate::app::audit::SettingsChange>),
        (status = 400, description = "A query parameter is unknown, repeated or invalid; the problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read the settings history", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn settings_history(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
) -> Result<Json<Page<SettingsChange>>, AppError> {
    audit::require_admin(&principal)?;
    let params = query_params(&uri, &HISTORY_PARAMS)?;
    let (limit, offset) = page_of(&params)?;
    Ok(Json(audit::settings_history(&state.pool, &principal, limit, offset).await?))
}

/// A value of the settings history in a CSV cell: a string as itself,
/// anything else as JSON (`null` for "no override").
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The settings history CSV's header.
pub const HISTORY_CSV_HEADER: [&str; 10] = [
    "global_position",
    "recorded_at",
    "actor",
    "actor_name",
    "reason",
    "effective_from",
    "key",
    "before",
    "after",
    "secret_change",
];

/// `GET /api/v1/performance/settings/history.csv`: one row per changed key.
#[utoipa::path(get, path = "/api/v1/performance/settings/history.csv", tag = "performance", operation_id = "settings_history_csv",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The whole settings history as CSV, newest change first, one row per changed key (secrets only `set`/`unset`); cells starting with =, +, - or @ are escaped. Also answered for the dashboards' `perfledger_session` cookie when no Authorization header is sent", body = String, content_type = "text/csv"),
        (status = 400, description = "A query parameter was given (this export takes none); the problem names the `field`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token (nor session cookie)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read the settings history", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn settings_history_csv(
    State(state): State<AppState>,
    DownloadPrincipal(principal): DownloadPrincipal,
    uri: Uri,
) -> Result<Response, AppError> {
    audit::require_admin(&principal)?;
    query_params(&uri, &[])?;
    let history = audit::settings_history_all(&state.pool, &principal).await?;
    let mut out = String::new();
    csv::push_row(&mut out, HISTORY_CSV_HEADER);
    for change in &history {
        for key in &change.changes {
            csv::push_row(
                &mut out,
                [
                    change.global_position.to_string(),
                    change.recorded_at.to_rfc3339(),
                    change.actor.clone(),
                    change.actor_name.clone().unwrap_or_default(),
                    change.reason.clone().unwrap_or_default(),
                    change.effective_from.to_string(),
                    key.key.clone(),
                    value_text(&key.before),
                    value_text(&key.after),
                    key.secret_change.unwrap_or_default().to_string(),
                ],
            );
        }
    }
    Ok(csv::attachment(Body::from(out), "settings-history.csv"))
}

/// `GET /api/v1/performance/audit?actor=&action=&from=&to=&limit=&offset=`
#[utoipa::path(get, path = "/api/v1/performance/audit", tag = "performance", operation_id = "audit_log",
    security(("bearer" = [])),
    params(
        ("actor" = Option<String>, Query, min_length = 1, max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$", description = "Only this actor: a person id, `scheduler`, `review-worker`, `token:<subject>` or the CLI's actor (exact match)"),
        ("action" = Option<String>, Query, pattern = "^(settings\\.changed|review\\.requested|review\\.generated|review\\.failed|review\\.acknowledged|goal\\.created|goal\\.updated|goal\\.canceled|goal\\.achieved|goal\\.missed|log\\.event_voided|period\\.closed)$", description = "Only this action"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD, UTC) of `occurred_at`; not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, UTC, inclusive) of `occurred_at`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Rows to skip (default 0)"),
    ),
    responses(
        (status = 200, description = "One page of the audit log, newest first, with the total of matching rows", body = crate::queries::Page<crate::app::audit::AuditEntry>),
        (status = 400, description = "A query parameter is unknown, repeated or invalid, or `from` is after `to`; the problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read the audit log", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn audit_log(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
) -> Result<Json<Page<AuditEntry>>, AppError> {
    audit::require_admin(&principal)?;
    let params = query_params(&uri, &AUDIT_PARAMS)?;
    let filter = filter_of(&params)?;
    let (limit, offset) = page_of(&params)?;
    Ok(Json(audit::audit_log(&state.pool, &principal, &filter, limit, offset).await?))
}

/// The audit CSV's header.
pub const AUDIT_CSV_HEADER: [&str; 11] = [
    "global_position",
    "occurred_at",
    "actor",
    "actor_name",
    "action",
    "target",
    "target_name",
    "model",
    "reason",
    "summary",
    "details",
];

fn audit_csv_rows(out: &mut String, rows: &[AuditEntry]) {
    for e in rows {
        csv::push_row(
            out,
            [
                e.global_position.to_string(),
                e.occurred_at.to_rfc3339(),
                e.actor.clone().unwrap_or_default(),
                e.actor_name.clone().unwrap_or_default(),
                e.action.clone(),
                e.target.clone(),
                e.target_name.clone().unwrap_or_default(),
                e.model.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.summary.clone(),
                e.details.to_string(),
            ],
        );
    }
}

/// Where the export's next page starts: below the last row of a full page.
fn next_before(rows: &[AuditEntry]) -> Option<i64> {
    match rows.last() {
        Some(last) if rows.len() == queries::MAX_LIMIT as usize => Some(last.global_position),
        _ => None,
    }
}

/// `GET /api/v1/performance/audit.csv?actor=&action=&from=&to=`: every
/// matching row, streamed.
#[utoipa::path(get, path = "/api/v1/performance/audit.csv", tag = "performance", operation_id = "audit_csv",
    security(("bearer" = []), ("session" = [])),
    params(
        ("actor" = Option<String>, Query, min_length = 1, max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$", description = "Only this actor (exact match)"),
        ("action" = Option<String>, Query, pattern = "^(settings\\.changed|review\\.requested|review\\.generated|review\\.failed|review\\.acknowledged|goal\\.created|goal\\.updated|goal\\.canceled|goal\\.achieved|goal\\.missed|log\\.event_voided|period\\.closed)$", description = "Only this action"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day (YYYY-MM-DD, UTC) of `occurred_at`; not after `to` (400)"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day (YYYY-MM-DD, UTC, inclusive) of `occurred_at`"),
    ),
    responses(
        (status = 200, description = "Every matching audit row as CSV, newest first, streamed; cells starting with =, +, - or @ are escaped. Also answered for the dashboards' `perfledger_session` cookie when no Authorization header is sent", body = String, content_type = "text/csv"),
        (status = 400, description = "A query parameter is unknown, repeated or invalid, or `from` is after `to`; the problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token (nor session cookie)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read the audit log", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The query failed (details in the server log)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn audit_csv(
    State(state): State<AppState>,
    DownloadPrincipal(principal): DownloadPrincipal,
    uri: Uri,
) -> Result<Response, AppError> {
    audit::require_admin(&principal)?;
    let params = query_params(&uri, &AUDIT_CSV_PARAMS)?;
    let filter = filter_of(&params)?;
    let first = audit::audit_export_page(&state.pool, &principal, &filter, None, queries::MAX_LIMIT).await?;

    let mut head = String::new();
    csv::push_row(&mut head, AUDIT_CSV_HEADER);
    audit_csv_rows(&mut head, &first);
    let head = stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(head)) });
    let pool = state.pool.clone();
    let start = (pool, principal, filter, next_before(&first));
    let rest = stream::try_unfold(start, |(pool, principal, filter, before)| async move {
        let Some(before) = before else { return Ok(None) };
        let rows = audit::audit_export_page(&pool, &principal, &filter, Some(before), queries::MAX_LIMIT)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, before, "the audit CSV export failed mid-stream");
                std::io::Error::other(e.to_string())
            })?;
        let mut chunk = String::new();
        audit_csv_rows(&mut chunk, &rows);
        let next = next_before(&rows);
        Ok(Some((Bytes::from(chunk), (pool, principal, filter, next))))
    });
    Ok(csv::attachment(Body::from_stream(head.chain(rest)), "audit.csv"))
}
