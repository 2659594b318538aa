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
//! The dashboards call [`request_review`] and [`acknowledge_review`], the
//! same functions these handlers use.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use perfledger_domain::aggregates::{review_aggregate_id, Review, ReviewCommand, ReviewCommandEnvelope, ReviewStatus};
use perfledger_domain::period::{iso_week_label, midnight};
use perfledger_domain::reviews::ReviewTrigger;
use perfledger_domain::settings::Settings;
use perfledger_domain::LogEvent;
use perfledger_store::commands::{execute, CommandError};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::{json_object, limit_param, only_fields, query_params, uuid_param, uuid_path};
use crate::auth::Principal;
use crate::period_query::{parse_period, PeriodKind};
use crate::queries::reviews::{review_by_id, reviews_of, ReviewRow};
use crate::routes::AppState;
use crate::scope::{acting_person_id, caller_person_id, effective_person_id, problem_types, ApiProblem};

/// What a generation request answers: the review and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RequestedReview {
    pub review_id: Uuid,
    /// `pending`, `generated` or `failed`.
    pub status: String,
}

/// What an acknowledgement answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AcknowledgedReview {
    pub review_id: Uuid,
    /// When the person acknowledged it (the first time).
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// 503: reviews cannot be generated now, and why.
fn not_configured(reason: &str) -> ApiProblem {
    ApiProblem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        problem_types::NOT_CONFIGURED,
        "Service Unavailable",
        None,
        format!("reviews are not configured: {reason}"),
    )
}

fn store_failed(e: String) -> ApiProblem {
    ApiProblem::internal_error("the event store failed", &e)
}

async fn settings_now(pool: &PgPool) -> Result<Settings, ApiProblem> {
    let history = perfledger_projections::settings::load_history_fresh(pool)
        .await
        .map_err(|e| ApiProblem::internal_error("the settings cannot be read", &e))?;
    Ok(history.in_force_at(Utc::now().date_naive()))
}

/// A review aggregate folded from its events, with when its current review
/// was requested (for the cooldown).
struct ReviewState {
    review: Review,
    current_requested_at: Option<DateTime<Utc>>,
}

async fn load_review(pool: &PgPool, aggregate_id: &str) -> Result<ReviewState, ApiProblem> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_type = 'review' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(aggregate_id)
    .fetch_all(pool)
    .await?;
    let mut state = ReviewState { review: Review::default(), current_requested_at: None };
    for payload in payloads {
        let event: LogEvent = serde_json::from_str(&payload)
            .map_err(|e| ApiProblem::internal_error("a review event cannot be read", &e))?;
        if matches!(event.body, perfledger_domain::EventBody::ReviewRequested(_)) {
            state.current_requested_at = Some(event.occurred_at);
        }
        state.review.evolve(&event);
    }
    Ok(state)
}

/// The week a request is about: `period` (an ISO week or `last_week`, which
/// must have ended), else the last closed week.
async fn review_week(pool: &PgPool, period: Option<&str>, now: DateTime<Utc>) -> Result<NaiveDate, ApiProblem> {
    let today = now.date_naive();
    let Some(text) = period else {
        let closed: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = $1")
                .bind(perfledger_scheduler::close::CHECKPOINT)
                .fetch_optional(pool)
                .await?;
        return match closed {
            Some(end) => Ok(end.date_naive() - Days::new(7)),
            None => Err(ApiProblem::invalid_body(
                "period",
                "no week has been closed yet; name a week that has ended (e.g. 2026-W45)",
            )),
        };
    };
    let parsed = parse_period(Some(text), None, None, today)
        .map_err(|e| ApiProblem::invalid_body("period", e.reason.clone()))?
        .ok_or_else(|| ApiProblem::invalid_body("period", "must not be empty"))?;
    if parsed.kind != PeriodKind::Week {
        return Err(ApiProblem::invalid_body(
            "period",
            format!("'{}' is not one ISO week; a review covers one week (e.g. 2026-W45 or last_week)", parsed.label()),
        ));
    }
    if parsed.end > today {
        return Err(ApiProblem::invalid_body(
            "period",
            format!("week {} has not ended yet; reviews cover weeks that have ended", parsed.label()),
        ));
    }
    Ok(parsed.start)
}

/// Seconds until `at`, at least 1.
fn seconds_until(at: DateTime<Utc>, now: DateTime<Utc>) -> u32 {
    u32::try_from((at - now).num_seconds()).unwrap_or(0).max(1)
}

/// Manual requests `requester` made since `since` (from the log, so the
/// count is current).
async fn manual_requests_since(pool: &PgPool, requester: Uuid, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM events
         WHERE aggregate_type = 'review' AND event_type = 'review.requested'
           AND payload->'body'->'data'->>'requested_by' = $1
           AND payload->'body'->'data'->>'trigger' = 'manual'
           AND (payload->>'occurred_at')::timestamptz >= $2",
    )
    .bind(requester.to_string())
    .bind(since)
    .fetch_one(pool)
    .await
}

/// Asks for a review of `person_id` (module docs: access, period, limits,
/// idempotency). The dashboards' "Generate review" button calls this too.
pub async fn request_review(
    state: &AppState,
    principal: &Principal,
    person_id: Uuid,
    period: Option<String>,
    force: bool,
) -> Result<RequestedReview, ApiProblem> {
    let pool = &state.pool;
    let me = caller_person_id(principal)?;
    let person_id = acting_person_id(pool, principal, Some(person_id), "person_id", false).await?;
    if force && !principal.is_admin() {
        return Err(ApiProblem::forbidden(Some("force"), "only admins may force a review"));
    }
    let settings = settings_now(pool).await?;
    perfledger_reviews::config::generation_gate(&settings, &perfledger_reviews::config::EnvOverrides::from_env())
        .map_err(|reason| not_configured(&reason))?;
    let now = Utc::now();
    let week = review_week(pool, period.as_deref(), now).await?;
    let (start, end) = (midnight(week), midnight(week + Days::new(7)));
    let scored: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM agent_performance_snapshots
                        WHERE person_id = $1 AND score_period_start = $2 AND score_period_end = $3)",
    )
    .bind(person_id)
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await?;
    if !scored {
        return Err(ApiProblem::invalid_body(
            "period",
            format!(
                "the person has no scores for week {} (no tracked activity): nothing to review",
                iso_week_label(week)
            ),
        ));
    }

    let aggregate_id = review_aggregate_id(person_id, start, end);
    let current = load_review(pool, &aggregate_id).await?;
    if let Some(review) = current.review.current() {
        let open = matches!(review.status, ReviewStatus::Pending | ReviewStatus::Generated);
        if open && !force {
            // The unique key: the same request answers the same review.
            return Ok(RequestedReview { review_id: review.review_id, status: review.status.as_str().to_string() });
        }
        if !force {
            let cooldown = Duration::hours(settings.review_cooldown_hours);
            if let Some(at) = current.current_requested_at.filter(|at| *at + cooldown > now) {
                return Err(ApiProblem::rate_limited(
                    Some("person_id"),
                    format!(
                        "a review of this person for week {} was requested at {}; review_cooldown_hours = {} \
                         allows the next at {} (admins may force)",
                        iso_week_label(week),
                        at.to_rfc3339(),
                        settings.review_cooldown_hours,
                        (at + cooldown).to_rfc3339()
                    ),
                    seconds_until(at + cooldown, now),
                ));
            }
        }
    }

    let day_start = midnight(now.date_naive());
    let made = manual_requests_since(pool, me, day_start).await?;
    if made >= settings.review_manual_daily_limit_per_manager {
        let tomorrow = day_start + Duration::days(1);
        return Err(ApiProblem::rate_limited(
            None,
            format!(
                "you have requested {made} reviews today; review_manual_daily_limit_per_manager = {} (resets at {})",
                settings.review_manual_daily_limit_per_manager,
                tomorrow.to_rfc3339()
            ),
            seconds_until(tomorrow, now),
        ));
    }

    let review_id = Uuid::new_v4();
    let command = ReviewCommand::Request {
        review_id,
        person_id,
        period_start: start,
        period_end: end,
        trigger: ReviewTrigger::Manual,
        requested_by: Some(me),
        force,
    };
    match execute::<Review>(pool, &aggregate_id, ReviewCommandEnvelope { occurred_at: now, command }).await {
        Ok(()) => Ok(RequestedReview { review_id, status: ReviewStatus::Pending.as_str().to_string() }),
        Err(CommandError::Rejected(r)) => Err(ApiProblem::rejected(&r.field, r.reason)),
        Err(CommandError::Store(e)) => Err(store_failed(e)),
    }
}

/// A review row the caller may see: 404 for admins when unknown, else 403
/// (ids cannot be probed), as for every id in this API.
async fn visible_review(state: &AppState, principal: &Principal, review_id: Uuid) -> Result<ReviewRow, ApiProblem> {
    caller_person_id(principal)?;
    let Some(row) = review_by_id(&state.pool, review_id).await? else {
        return Err(if principal.is_admin() {
            ApiProblem::not_found("id", format!("no review has id '{review_id}'"))
        } else {
            ApiProblem::forbidden(Some("id"), "you may not see this review")
        });
    };
    effective_person_id(&state.pool, principal, Some(row.person_id), "id")
        .await
        .map_err(|_| ApiProblem::forbidden(Some("id"), "you may not see this review"))?;
    Ok(row)
}

/// Acknowledges a generated review: only the reviewed person, once; a repeat
/// changes nothing and succeeds. The dashboards' button calls this too.
pub async fn acknowledge_review(state: &AppState, principal: &Principal, review_id: Uuid) -> Result<(), ApiProblem> {
    let me = caller_person_id(principal)?;
    let row = visible_review(state, principal, review_id).await?;
    if row.person_id != me {
        return Err(ApiProblem::forbidden(Some("id"), "only the reviewed person may acknowledge a review"));
    }
    let aggregate_id = review_aggregate_id(row.person_id, row.review_period_start, row.review_period_end);
    let command = ReviewCommand::Acknowledge { review_id, by_person_id: me };
    match execute::<Review>(&state.pool, &aggregate_id, ReviewCommandEnvelope { occurred_at: Utc::now(), command })
        .await
    {
        Ok(()) => Ok(()),
        Err(CommandError::Rejected(r)) => Err(ApiProblem::rejected(&r.field, r.reason)),
        Err(CommandError::Store(e)) => Err(store_failed(e)),
    }
}

/// `GET /api/v1/performance/reviews?person_id=&limit=`.
#[utoipa::path(get, path = "/api/v1/performance/reviews", tag = "performance", operation_id = "reviews_list",
    security(("bearer" = [])),
    params(
        ("person_id" = Option<uuid::Uuid>, Query, description = "Whose reviews; the caller when absent. Never widens what the caller may see"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Reviews to return (default 20)"),
    ),
    responses(
        (status = 200, description = "The person's current reviews, newest period first, each with its status (pending, generated, failed)", body = crate::openapi::ReviewList),
        (status = 400, description = "A query parameter is unknown, repeated or invalid", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this person (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, principal: Principal, uri: Uri) -> Result<Json<Value>, ApiProblem> {
    let params = query_params(&uri, &["person_id", "limit"])?;
    let requested = uuid_param(&params, "person_id")?;
    let limit = limit_param(&params, 20)?;
    let person_id = effective_person_id(&state.pool, &principal, requested, "person_id").await?;
    let items = reviews_of(&state.pool, person_id, u32::try_from(limit).unwrap_or(20)).await?;
    Ok(Json(json!({"person_id": person_id, "items": items})))
}

/// `GET /api/v1/performance/reviews/{id}`.
#[utoipa::path(get, path = "/api/v1/performance/reviews/{id}", tag = "performance", operation_id = "reviews_detail",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "The review", body = crate::queries::reviews::ReviewRow),
        (status = 400, description = "The id is not a UUID", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see this review (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ReviewRow>, ApiProblem> {
    let review_id = uuid_path(&id, "id")?;
    Ok(Json(visible_review(&state, &principal, review_id).await?))
}

/// `POST /api/v1/performance/reviews/generate` with `{person_id, period?, force?}`.
#[utoipa::path(post, path = "/api/v1/performance/reviews/generate", tag = "performance", operation_id = "reviews_generate",
    security(("bearer" = [])),
    request_body = crate::openapi::GenerateReview,
    responses(
        (status = 202, description = "The review was requested (status pending), or the current review of that week is returned as is", body = RequestedReview),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the person's managers and admins may generate reviews; only admins may force", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is invalid, the week has not ended, or the person has no scores that week", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "review_manual_daily_limit_per_manager or review_cooldown_hours was hit (type `https://perfledger.dev/problems/rate-limited`); `Retry-After` says when to retry", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Reviews are not configured: review_generation_enabled is off or no provider is configured (type `https://perfledger.dev/problems/not-configured`), or the database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn generate(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiProblem> {
    let map = json_object(&body)?;
    only_fields(&map, &["person_id", "period", "force"])?;
    let person_id = match map.get("person_id").filter(|v| !v.is_null()) {
        None => return Err(ApiProblem::invalid_body("person_id", "is required: whose review to generate")),
        Some(Value::String(text)) => {
            Uuid::parse_str(text).map_err(|_| ApiProblem::invalid_body("person_id", "is not a UUID"))?
        }
        Some(_) => return Err(ApiProblem::invalid_body("person_id", "must be a string")),
    };
    let period = match map.get("period").filter(|v| !v.is_null()) {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(ApiProblem::invalid_body("period", "must be a string (e.g. 2026-W45 or last_week)")),
    };
    let force = match map.get("force").filter(|v| !v.is_null()) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiProblem::invalid_body("force", "must be true or false")),
    };
    let requested = request_review(&state, &principal, person_id, period, force).await?;
    Ok((StatusCode::ACCEPTED, Json(requested)).into_response())
}

/// `POST /api/v1/performance/reviews/{id}/acknowledge`.
#[utoipa::path(post, path = "/api/v1/performance/reviews/{id}/acknowledge", tag = "performance", operation_id = "reviews_acknowledge",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The review")),
    responses(
        (status = 200, description = "Acknowledged (a repeat answers the same)", body = AcknowledgedReview),
        (status = 400, description = "The id is not a UUID", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the reviewed person may acknowledge (also for unknown ids, unless admin)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review (admins only; everyone else gets 403)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The review is not generated (pending or failed)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<AcknowledgedReview>, ApiProblem> {
    let review_id = uuid_path(&id, "id")?;
    acknowledge_review(&state, &principal, review_id).await?;
    // The read model may not have folded it yet: answer from the aggregate.
    let row = visible_review(&state, &principal, review_id).await?;
    let aggregate_id = review_aggregate_id(row.person_id, row.review_period_start, row.review_period_end);
    let review = load_review(&state.pool, &aggregate_id).await?.review;
    let acknowledged_at = review.current().filter(|c| c.review_id == review_id).and_then(|c| c.acknowledged_at);
    Ok(Json(AcknowledgedReview { review_id, acknowledged_at }))
}
