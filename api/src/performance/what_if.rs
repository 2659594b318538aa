//! `POST /api/v1/performance/what-if` (D10, admins only): scores weeks under
//! proposed weights or settings next to the ones in force and writes
//! nothing. The same code as `perfledger what-if`.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use chrono::{Days, Utc};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::period::{parse_iso_week, week_start};
use perfledger_replay::what_if::{proposed_changes, what_if as score_what_if, WhatIfError, WhatIfReport};
use serde_json::Value;

use super::json_object;
use crate::app::fields::only_fields;
use crate::auth::Principal;
use crate::error::AppError;
use crate::state::AppState;

/// `{weights, team_type?, period? | last_weeks?, top?}`.
#[utoipa::path(post, path = "/api/v1/performance/what-if", tag = "performance", operation_id = "what_if",
    security(("bearer" = [])),
    request_body = crate::schemas::WhatIfRequest,
    responses(
        (status = 200, description = "The proposal scored next to the settings in force; nothing was written", body = Object),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may run what-if", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body breaks the schema, or a rule the schema cannot state: both or neither of `period` and `last_weeks`, week 53 of a year without one, `weights` the settings rules refuse (unknown keys, values out of range). The problem names the `field` and the `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn what_if(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<Json<WhatIfReport>, AppError> {
    if !principal.is_admin() {
        return Err(AppError::forbidden(None, "only admins may run what-if"));
    }
    let map = json_object(&body)?;
    only_fields(&map, &["weights", "team_type", "period", "last_weeks", "top"])?;
    let weights = map.get("weights").ok_or_else(|| AppError::invalid_body("weights", "is required"))?;
    // An explicit null is the same as leaving a field out (the spec's
    // optional fields are nullable).
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let team_type = match field("team_type") {
        None => None,
        Some(value) => Some(serde_json::from_value::<TeamType>(value.clone()).map_err(|_| {
            AppError::invalid_body("team_type", "expected operations, support, field_service, sales or other")
        })?),
    };
    let changes = proposed_changes(weights, team_type).map_err(|r| AppError::invalid_body("weights", r.reason))?;
    let weeks = match (field("period"), field("last_weeks")) {
        (Some(_), Some(_)) => return Err(AppError::invalid_body("period", "give period or last_weeks, not both")),
        (Some(Value::String(p)), None) => {
            vec![parse_iso_week(p).map_err(|e| AppError::invalid_body("period", e))?]
        }
        (Some(_), None) => return Err(AppError::invalid_body("period", "expected an ISO week such as 2026-W20")),
        (None, Some(n)) => {
            let n = n
                .as_u64()
                .filter(|n| (1..=104).contains(n))
                .ok_or_else(|| AppError::invalid_body("last_weeks", "expected an integer from 1 to 104"))?;
            let this_week = week_start(Utc::now());
            (1..=n).rev().map(|i| this_week - Days::new(7 * i)).collect()
        }
        (None, None) => return Err(AppError::invalid_body("period", "give period (an ISO week) or last_weeks")),
    };
    let top = match field("top") {
        None => 20,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| AppError::invalid_body("top", "expected an integer from 1 to 10000"))?
            as usize,
    };
    match score_what_if(&state.pool, changes, team_type, &weeks, top).await {
        Ok(report) => Ok(Json(report)),
        Err(WhatIfError::Invalid(r)) => Err(AppError::invalid_body("weights", r.to_string())),
        Err(WhatIfError::Database(e)) => Err(AppError::database(&e)),
        Err(WhatIfError::Projection(e)) => Err(AppError::internal_error("the what-if failed", &e)),
    }
}
