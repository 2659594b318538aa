//! Admin operations on the log (issue 14): `POST /api/v1/admin/events/void`
//! appends `log.event_voided`, the same command as `perfledger events void`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use perfledger_store::voids::{void_event, VoidError, VoidTarget, Voided};
use serde_json::Value;

use crate::app::fields::only_fields;
use crate::auth::Principal;
use crate::error::{AppError, ErrorKind};
use crate::performance::json_object;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/admin/events/void", post(void))
}

/// `{event_id | position, reason}`: voids one event. Admins only.
#[utoipa::path(post, path = "/api/v1/admin/events/void", tag = "admin", operation_id = "void_event",
    security(("bearer" = [])),
    request_body = crate::schemas::VoidRequest,
    responses(
        (status = 201, description = "The void is in the log; every projector skips the event from now on and on replay", body = crate::schemas::Voided),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may void events", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event in the log", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is invalid, or the event is already voided or is itself a void (the field and the reason are named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn void(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<(StatusCode, Json<Voided>), AppError> {
    if !principal.is_admin() {
        return Err(AppError::forbidden(None, "only admins may void events"));
    }
    let map = json_object(&body)?;
    only_fields(&map, &["event_id", "position", "reason"])?;
    let target = match (map.get("event_id"), map.get("position")) {
        (Some(_), Some(_)) => return Err(AppError::invalid_body("position", "give event_id or position, not both")),
        (Some(Value::String(id)), None) if !id.is_empty() => VoidTarget::EventId(id.clone()),
        (Some(_), None) => return Err(AppError::invalid_body("event_id", "expected a non-empty string")),
        (None, Some(p)) => VoidTarget::Position(
            p.as_i64()
                .filter(|p| *p >= 1)
                .ok_or_else(|| AppError::invalid_body("position", "expected a log position (an integer from 1)"))?,
        ),
        (None, None) => return Err(AppError::invalid_body("event_id", "give event_id or position")),
    };
    let reason = match map.get("reason") {
        Some(Value::String(r)) => r,
        Some(_) => return Err(AppError::invalid_body("reason", "expected a string")),
        None => return Err(AppError::invalid_body("reason", "is required: say why the event is voided")),
    };
    let actor = principal.person_id.map_or_else(|| format!("token:{}", principal.subject), |p| p.to_string());
    match void_event(&state.pool, &target, reason, &actor).await {
        Ok(voided) => Ok((StatusCode::CREATED, Json(voided))),
        Err(VoidError::NotFound(r)) => Err(AppError::not_found(&r.field, r.reason)),
        Err(VoidError::Rejected(r)) => Err(AppError::rejected(&r.field, r.reason)),
        Err(VoidError::Store(e)) => {
            tracing::error!(error = %e, "voiding an event failed");
            Err(AppError::new(ErrorKind::Unavailable, None, "the event store is unavailable; nothing was written"))
        }
    }
}
