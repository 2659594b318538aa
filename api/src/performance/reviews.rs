//! Reviews (seed `AgentPerformanceReview`, D12–D15): list, detail,
//! generation and acknowledgement.
//!
//! - `POST …/reviews/generate` `{person_id, period?, force?}`: the person's
//!   managers and admins. The period is an ISO week that has ended (default:
//!   the last closed week) in which the person has scores. A current pending
//!   or generated review of that week is returned as is (the seed's unique
//!   key makes the request idempotent); otherwise a `review.requested` event
//!   creates the durable job and the answer is **202** `{review_id, status}`.
//!   Limits, both **429** with `Retry-After`: `review_manual_daily_limit_per_manager`
//!   requests per requester and UTC day, and `review_cooldown_hours` between
//!   reviews of one person and week (after a failure). Admins may `force` a
//!   new review past the cooldown; it supersedes the current one, which stays
//!   in history. Needs `review_generation_enabled` and a configured provider
//!   (else **503** not-configured, saying which).
//! - `GET …/reviews?person_id=&limit=`: newest period first, each with its
//!   `status` (`pending`, `generated`, `failed`); self, managers, admins.
//! - `GET …/reviews/{id}`: the same people.
//! - `POST …/reviews/{id}/acknowledge`: the reviewed person only, a
//!   generated review only, once; a repeat answers the same (idempotent).
//!
//! State checks read the Review aggregate's own events, not the read model,
//! so a request made a moment ago counts at once.
//!
//! The use cases are in [`crate::app::reviews`]; the dashboards call the same.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{json_object, limit_param, query_params, uuid_param, uuid_path};
use crate::app::fields::only_fields;
use crate::app::reviews;
use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::{PersonId, ReviewId};
use crate::queries::reviews::ReviewRow;
use crate::state::AppState;

/// `GET /api/v1/performance/reviews?person_id=&limit=`.
#[utoipa::path(get, path = "/api/v1/performance/reviews", tag = "performance", operation_id = "reviews_list",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose reviews; the caller when absent. Never widens what the caller may see"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Reviews to return (default 20)"),
    ),
    responses(
        (status = 200, description = "The person's current reviews, newest period first, each with its status (pending, generated, failed)", body = crate::schemas::ReviewList),
        (status = 400, description = "A query parameter is unknown, repeated or invalid", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, principal: Principal, uri: Uri) -> Result<Json<Value>, AppError> {
    let params = query_params(&uri, &["person_id", "limit"])?;
    let requested = uuid_param(&params, "person_id")?;
    let limit = limit_param(&params, 20)?;
    let limit = u32::try_from(limit).unwrap_or(20);
    let (person_id, items) = reviews::list_reviews(&state, &principal, requested.map(PersonId), limit).await?;
    Ok(Json(json!({"person_id": person_id, "items": items})))
}

/// `GET /api/v1/performance/reviews/{id}`.
#[utoipa::path(get, path = "/api/v1/performance/reviews/{id}", tag = "performance", operation_id = "reviews_detail",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "The review", body = crate::queries::reviews::ReviewRow),
        (status = 400, description = "The id is not a UUID", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this review (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ReviewRow>, AppError> {
    let review_id = uuid_path(&id, "id")?;
    Ok(Json(reviews::visible_review(&state, &principal, ReviewId(review_id)).await?))
}

/// `POST /api/v1/performance/reviews/generate` with `{person_id, period?, force?}`.
#[utoipa::path(post, path = "/api/v1/performance/reviews/generate", tag = "performance", operation_id = "reviews_generate",
    security(("bearer" = [])),
    request_body = crate::schemas::GenerateReview,
    responses(
        (status = 202, description = "The review was requested (status pending), or the current review of that week is returned as is", body = crate::app::reviews::RequestedReview),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the person's managers and admins may generate reviews; only admins may force", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is invalid, the week has not ended, or the person has no scores that week", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "review_manual_daily_limit_per_manager or review_cooldown_hours was hit (type `https://perfledger.dev/problems/rate-limited`); `Retry-After` says when to retry", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Reviews are not configured: review_generation_enabled is off or no provider is configured (type `https://perfledger.dev/problems/not-configured`), or the database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn generate(State(state): State<AppState>, principal: Principal, body: Bytes) -> Result<Response, AppError> {
    let map = json_object(&body)?;
    only_fields(&map, &["person_id", "period", "force"])?;
    let person_id = match map.get("person_id").filter(|v| !v.is_null()) {
        None => return Err(AppError::invalid_body("person_id", "is required: whose review to generate")),
        Some(Value::String(text)) => {
            Uuid::parse_str(text).map_err(|_| AppError::invalid_body("person_id", "is not a UUID"))?
        }
        Some(_) => return Err(AppError::invalid_body("person_id", "must be a string")),
    };
    let period = match map.get("period").filter(|v| !v.is_null()) {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(AppError::invalid_body("period", "must be a string (e.g. 2026-W45 or last_week)")),
    };
    let force = match map.get("force").filter(|v| !v.is_null()) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(AppError::invalid_body("force", "must be true or false")),
    };
    let requested = reviews::request_review(&state, &principal, PersonId(person_id), period, force).await?;
    Ok((StatusCode::ACCEPTED, Json(requested)).into_response())
}

/// `POST /api/v1/performance/reviews/{id}/acknowledge`.
#[utoipa::path(post, path = "/api/v1/performance/reviews/{id}/acknowledge", tag = "performance", operation_id = "reviews_acknowledge",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "Acknowledged (a repeat answers the same)", body = crate::app::reviews::AcknowledgedReview),
        (status = 400, description = "The id is not a UUID", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the reviewed person may acknowledge (also for unknown ids, unless admin)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review (admins only; everyone else gets 403)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The review is not generated (pending or failed)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<reviews::AcknowledgedReview>, AppError> {
    let review_id = uuid_path(&id, "id")?;
    Ok(Json(reviews::acknowledge_review(&state, &principal, ReviewId(review_id)).await?))
}
