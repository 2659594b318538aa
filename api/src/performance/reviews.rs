//! Reviews (seed `AgentPerformanceReview`): list, detail and generation.
//!
//! AI reviews are another issue; until it lands there is no review table and
//! no LLM configured, so every reviews route answers **503** with a
//! problem+json body saying that reviews are not configured. Access is still
//! checked first (401 without a token, 403 for a person the caller may not
//! see), so the answers do not change shape for callers once reviews exist.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};

use super::{json_object, limit_param, only_fields, query_params, uuid_param, uuid_path};
use crate::auth::Principal;
use crate::routes::AppState;
use crate::scope::{acting_person_id, caller_person_id, effective_person_id, problem_types, ApiProblem};

/// The answer of every reviews route until AI reviews are configured.
pub fn not_configured() -> ApiProblem {
    ApiProblem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        problem_types::NOT_CONFIGURED,
        "Service Unavailable",
        None,
        "reviews are not configured: AI review generation is not enabled on this server",
    )
}

/// `GET /api/v1/performance/reviews?person_id=&limit=`.
#[utoipa::path(get, path = "/api/v1/performance/reviews", tag = "performance", operation_id = "reviews_list",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose data; the caller when absent. Never widens what the caller may see"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Reviews to return (default 20)"),
    ),
    responses(
        (status = 400, description = "A query parameter is unknown, repeated or invalid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Reviews are not configured (type `https://perfledger.dev/problems/not-configured`), or the database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, principal: Principal, uri: Uri) -> Result<(), ApiProblem> {
    let params = query_params(&uri, &["person_id", "limit"])?;
    let requested = uuid_param(&params, "person_id")?;
    limit_param(&params, 20)?;
    effective_person_id(&state.pool, &principal, requested, "person_id").await?;
    Err(not_configured())
}

/// `GET /api/v1/performance/reviews/{id}`.
#[utoipa::path(get, path = "/api/v1/performance/reviews/{id}", tag = "performance", operation_id = "reviews_detail",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The review")),
    responses(
        (status = 400, description = "The id is not a UUID", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token is not a person's", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Reviews are not configured (type `https://perfledger.dev/problems/not-configured`), or the database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn detail(principal: Principal, Path(id): Path<String>) -> Result<(), ApiProblem> {
    caller_person_id(&principal)?;
    uuid_path(&id, "id")?;
    Err(not_configured())
}

/// `POST /api/v1/performance/reviews/generate` with `{person_id}`: team
/// managers (for their members) and admins only (seed "Access Control").
#[utoipa::path(post, path = "/api/v1/performance/reviews/generate", tag = "performance", operation_id = "reviews_generate",
    security(("bearer" = [])),
    request_body = crate::openapi::GenerateReview,
    responses(
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the person's managers and admins may generate reviews", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is invalid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Reviews are not configured (type `https://perfledger.dev/problems/not-configured`), or the database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn generate(State(state): State<AppState>, principal: Principal, body: Bytes) -> Result<(), ApiProblem> {
    let map = json_object(&body)?;
    only_fields(&map, &["person_id", "period"])?;
    let requested = match map.get("person_id").filter(|v| !v.is_null()) {
        None => None,
        Some(serde_json::Value::String(text)) => {
            Some(uuid::Uuid::parse_str(text).map_err(|_| ApiProblem::invalid_body("person_id", "is not a UUID"))?)
        }
        Some(_) => return Err(ApiProblem::invalid_body("person_id", "must be a string")),
    };
    acting_person_id(&state.pool, &principal, requested, "person_id", false).await?;
    Err(not_configured())
}
