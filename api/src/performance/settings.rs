//! `GET /api/v1/performance/settings?at=` and `POST /api/v1/performance/settings`
//! (issue 16, admins only): the settings in force with each key's default
//! and the change that set it; a change recorded as the same validated
//! `settings.changed` as `perfledger settings set`. The use cases are
//! [`crate::app::settings`], shared with the settings pages.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Json;
use chrono::Utc;

use super::{json_object, query_params};
use crate::app::settings::{draft_from_json, in_force, parse_date, publish, Published, SettingsInForce};
use crate::auth::Principal;
use crate::error::AppError;
use crate::state::AppState;

/// The settings in force today, or on `at`.
#[utoipa::path(get, path = "/api/v1/performance/settings", tag = "performance", operation_id = "settings_in_force",
    security(("bearer" = [])),
    params(("at" = Option<String>, Query, format = Date, description = "The day to read the settings in force on (YYYY-MM-DD); default today")),
    responses(
        (status = 200, description = "Every setting in the seed's order: its value in force, its default, and the change that set it (`set_by`: effective date, actor, reason; `null` for a default). The LLM API key (`vllm_api_key`) is never returned: `value` is `null` and `is_set` says whether one is set", body = crate::app::settings::SettingsInForce),
        (status = 400, description = "`at` is not a date, or an unknown parameter was given", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read the settings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
) -> Result<Json<SettingsInForce>, AppError> {
    crate::app::settings::require_admin(&principal)?;
    let params = query_params(&uri, &["at"])?;
    let at = match params.get("at") {
        None => None,
        Some(text) => Some(parse_date(text, "at").map_err(|e| AppError::invalid_parameter("at", e.reason))?),
    };
    Ok(Json(in_force(&state.pool, &principal, at, Utc::now()).await?))
}

/// Records a change of settings.
#[utoipa::path(post, path = "/api/v1/performance/settings", tag = "performance", operation_id = "change_settings",
    security(("bearer" = [])),
    request_body = crate::schemas::ChangeSettingsRequest,
    responses(
        (status = 201, description = "The change as recorded (`settings.changed`, actor = the caller); the weeks from `effective_from` are rescored by the worker", body = crate::app::settings::Published),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may change the settings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing was recorded: the body breaks the schema, or a rule the schema cannot state: a setting the settings rules refuse (`changes.<key>`: unknown key, a value out of range, weights that are negative or sum to 0 or name an unknown domain), `effective_from` before 2000-01-01 or more than 366 days after today, a blank `reason` or one with control characters. The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn post(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<(StatusCode, Json<Published>), AppError> {
    crate::app::settings::require_admin(&principal)?;
    let now = Utc::now();
    let map = json_object(&body)?;
    let draft = draft_from_json(&map, now)?;
    let published = publish(&state.pool, &principal, &draft, now).await?;
    Ok((StatusCode::CREATED, Json(published)))
}
