//! `/api/v1/performance/*` (seed "API Routes"): scores, goals and reviews of
//! one person, whose id every handler resolves server-side through
//! [`crate::app::scope::effective_person_id`] (D17). Errors are problem+json
//! ([`AppError`]) naming the field and the reason.
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /api/v1/performance/scores?person_id=&period=&from=&to=&limit=` | score history, newest first |
//! | `GET /api/v1/performance/goals?person_id=&status=` | goals (read model, eventually consistent) |
//! | `POST /api/v1/performance/goals` | 201 + the goal as the command recorded it |
//! | `PATCH /api/v1/performance/goals/{id}` | 200 + the goal as the command recorded it |
//! | `GET /api/v1/performance/reviews?person_id=&limit=` | reviews, newest period first, with their status |
//! | `GET /api/v1/performance/reviews/{id}` | one review |
//! | `POST /api/v1/performance/reviews/generate` | 202 `{review_id, status}`; 429 + `Retry-After` on a limit |
//! | `POST /api/v1/performance/reviews/{id}/acknowledge` | the reviewed person acknowledges, once |
//! | `GET /api/v1/performance/leaderboard?period=&from=&to=&team_id=&sort=&order=&limit=&offset=` | a page of the leaderboard, scoped (see [`reports`]) |
//! | `GET /api/v1/performance/leaderboard.csv?period=&from=&to=&team_id=&sort=&order=` | the whole leaderboard as streamed CSV; also with the session cookie (D21) |
//! | `GET /api/v1/performance/team-summary?team_id=&period=&from=&to=` | a team's stats cards and distribution |
//! | `GET /api/v1/performance/peer-comparison?period=&from=&to=` | the caller's anonymised comparison |
//! | `GET /api/v1/performance/scores/{person_id}/{week}/{domain}/events?limit=&offset=` | the events behind a score (D11) |
//! | `POST /api/v1/performance/what-if` | admins: scores under proposed weights, nothing written (D10) |
//! | `GET /api/v1/performance/settings/history?limit=&offset=` | admins: every settings change, before → after per key ([`audit`]) |
//! | `GET /api/v1/performance/settings/history.csv` | admins: the same as CSV, one row per key (bearer or session cookie) |
//! | `GET /api/v1/performance/audit?actor=&action=&from=&to=&limit=&offset=` | admins: a page of the audit log, newest first |
//! | `GET /api/v1/performance/audit.csv?actor=&action=&from=&to=` | admins: every matching audit row as streamed CSV (bearer or session cookie) |
//! | `GET /api/v1/performance/settings?at=` | admins: the settings in force, each with its default and who set it (issue 16) |
//! | `POST /api/v1/performance/settings` | admins: 201 + the `settings.changed` recorded (changes, effective_from, reason) |

pub mod audit;
pub mod csv;
pub mod goals;
pub mod page_cache;
pub mod report_scope;
pub mod reports;
pub mod reviews;
pub mod scores;
pub mod settings;
pub mod what_if;

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::Uri;
use axum::routing::{get, patch, post};
use axum::Router;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::app::fields::shorten;
use crate::error::AppError;
use crate::queries;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/performance/scores", get(scores::list))
        .route("/api/v1/performance/goals", get(goals::list).post(goals::create))
        .route("/api/v1/performance/goals/{id}", patch(goals::update))
        .route("/api/v1/performance/reviews", get(reviews::list))
        .route("/api/v1/performance/reviews/generate", post(reviews::generate))
        .route("/api/v1/performance/reviews/{id}", get(reviews::detail))
        .route("/api/v1/performance/reviews/{id}/acknowledge", post(reviews::acknowledge))
        .route("/api/v1/performance/leaderboard", get(reports::leaderboard))
        .route("/api/v1/performance/leaderboard.csv", get(reports::leaderboard_csv))
        .route("/api/v1/performance/team-summary", get(reports::team_summary))
        .route("/api/v1/performance/peer-comparison", get(reports::peer_comparison))
        .route("/api/v1/performance/scores/{person_id}/{week}/{domain}/events", get(reports::drilldown))
        .route("/api/v1/performance/what-if", post(what_if::what_if))
        .merge(audit::routes())
        .route("/api/v1/performance/settings", get(settings::get).post(settings::post))
}

/// The query string as a map; unknown and repeated parameters are refused.
pub(crate) fn query_params(uri: &Uri, allowed: &[&str]) -> Result<HashMap<String, String>, AppError> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| AppError::invalid_parameter("query", format!("is not a valid query string: {e}")))?;
    let mut params = HashMap::new();
    for (key, value) in pairs {
        if !allowed.contains(&key.as_str()) {
            let expected = allowed.join(", ");
            return Err(AppError::invalid_parameter(
                &key,
                format!("is not a parameter of this endpoint; expected one of: {expected}"),
            ));
        }
        if params.insert(key.clone(), value).is_some() {
            return Err(AppError::invalid_parameter(&key, "is given more than once"));
        }
    }
    Ok(params)
}

/// An optional UUID parameter. Given, it must be a UUID: an empty value is
/// refused like any other non-UUID (the spec says `format: uuid`), so
/// `?team_id=` never silently widens a report to "all teams".
pub(crate) fn uuid_param(params: &HashMap<String, String>, field: &str) -> Result<Option<Uuid>, AppError> {
    match params.get(field).map(|v| v.trim()) {
        None => Ok(None),
        Some("") => {
            Err(AppError::invalid_parameter(field, "is empty; give a UUID, or leave the parameter out for the default"))
        }
        Some(text) => Uuid::parse_str(text)
            .map(Some)
            .map_err(|_| AppError::invalid_parameter(field, format!("'{}' is not a UUID", shorten(text)))),
    }
}

/// `limit`: an integer from 1 to [`queries::MAX_LIMIT`], or `default` when absent.
pub(crate) fn limit_param(params: &HashMap<String, String>, default: i64) -> Result<i64, AppError> {
    let Some(text) = params.get("limit") else { return Ok(default) };
    let reason = || format!("'{}' is not an integer from 1 to {}", shorten(text), queries::MAX_LIMIT);
    let limit: i64 = text.trim().parse().map_err(|_| AppError::invalid_parameter("limit", reason()))?;
    if !(1..=i64::from(queries::MAX_LIMIT)).contains(&limit) {
        return Err(AppError::invalid_parameter("limit", reason()));
    }
    Ok(limit)
}

/// A path segment that must be a UUID.
pub(crate) fn uuid_path(text: &str, field: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::invalid_parameter(field, format!("'{}' is not a UUID", shorten(text))))
}

/// A request body that must be a JSON object (an empty body is `{}`).
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AppError::invalid_body("body", "must be a JSON object")),
        Err(e) => Err(AppError::invalid_body("body", format!("is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_given_uuid_parameter_must_be_a_uuid_even_when_empty() {
        assert_eq!(uuid_param(&params(&[]), "team_id").unwrap(), None);
        let id = Uuid::new_v4();
        assert_eq!(uuid_param(&params(&[("team_id", &id.to_string())]), "team_id").unwrap(), Some(id));
        for bad in ["", "  ", "x"] {
            let problem = uuid_param(&params(&[("team_id", bad)]), "team_id").unwrap_err();
            assert_eq!((problem.status().as_u16(), problem.field.as_deref()), (400, Some("team_id")), "{bad:?}");
        }
    }
}
