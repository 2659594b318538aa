//! Reviews (seed `AgentPerformanceReview`, D12–D15) as use cases: request
//! one, read them, acknowledge one. The rules (who may, which week, the
//! limits, idempotency) are in `crate::performance::reviews`'s module docs,
//! next to the routes that expose them; the dashboards call the same
//! functions. State checks read the Review aggregate's own events, not the
//! read model, so a request made a moment ago counts at once.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use perfledger_domain::aggregates::{review_aggregate_id, Review, ReviewCommand, ReviewCommandEnvelope, ReviewStatus};
use perfledger_domain::period::{iso_week_label, midnight};
use perfledger_domain::reviews::ReviewTrigger;
use perfledger_domain::settings::Settings;
use perfledger_store::commands::{execute, CommandError};
use perfledger_store::log::entity_history;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::scope::{acting_person_id, caller_person_id, effective_person_id};
use crate::auth::Principal;
use crate::error::{history_error, AppError};
use crate::ids::{PersonId, ReviewId};
use crate::period_query::{parse_period, PeriodKind};
use crate::queries::reviews::{review_by_id, reviews_of, ReviewRow};
use crate::state::AppState;

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
fn not_configured(reason: &str) -> AppError {
    AppError::not_configured(format!("reviews are not configured: {reason}"))
}

fn store_failed(e: String) -> AppError {
    AppError::internal_error("the event store failed", &e)
}

async fn settings_now(pool: &PgPool) -> Result<Settings, AppError> {
    let history = perfledger_projections::settings::load_history_fresh(pool)
        .await
        .map_err(|e| AppError::internal_error("the settings cannot be read", &e))?;
    Ok(history.in_force_at(Utc::now().date_naive()))
}

/// A review aggregate folded from its events, with when its current review
/// was requested (for the cooldown).
struct ReviewState {
    review: Review,
    current_requested_at: Option<DateTime<Utc>>,
}

async fn load_review(pool: &PgPool, aggregate_id: &str) -> Result<ReviewState, AppError> {
    let history = entity_history(pool, "review", aggregate_id).await.map_err(history_error)?;
    let mut state = ReviewState { review: Review::default(), current_requested_at: None };
    for event in history {
        if matches!(event.body, perfledger_domain::EventBody::ReviewRequested(_)) {
            state.current_requested_at = Some(event.occurred_at);
        }
        state.review.evolve(&event);
    }
    Ok(state)
}

/// The week a request is about: `period` (an ISO week or `last_week`, which
/// must have ended), else the last closed week.
async fn review_week(pool: &PgPool, period: Option<&str>, now: DateTime<Utc>) -> Result<NaiveDate, AppError> {
    let today = now.date_naive();
    let Some(text) = period else {
        let closed: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT value FROM scheduler_checkpoints WHERE name = $1")
                .bind(perfledger_scheduler::close::CHECKPOINT)
                .fetch_optional(pool)
                .await?;
        return match closed {
            Some(end) => Ok(end.date_naive() - Days::new(7)),
            None => Err(AppError::invalid_body(
                "period",
                "no week has been closed yet; name a week that has ended (e.g. 2026-W45)",
            )),
        };
    };
    let parsed = parse_period(Some(text), None, None, today)
        .map_err(|e| AppError::invalid_body("period", e.reason.clone()))?
        .ok_or_else(|| AppError::invalid_body("period", "must not be empty"))?;
    if parsed.kind != PeriodKind::Week {
        return Err(AppError::invalid_body(
            "period",
            format!("'{}' is not one ISO week; a review covers one week (e.g. 2026-W45 or last_week)", parsed.label()),
        ));
    }
    if parsed.end > today {
        return Err(AppError::invalid_body(
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

/// A limit that held a request back (`crate::performance::reviews` module
/// docs): the setting, its value and when a new request will be possible.
/// The API answers it as a 429 ([`Limit::error`]); the pages explain it in
/// words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// `review_cooldown_hours`: the review of this person and week failed,
    /// and the last request was less than `hours` ago.
    Cooldown { week: NaiveDate, requested_at: DateTime<Utc>, hours: i64, next_at: DateTime<Utc> },
    /// `review_manual_daily_limit_per_manager`: the requester made `made`
    /// manual requests today (UTC).
    DailyLimit { made: i64, limit: i64, resets_at: DateTime<Utc> },
}

impl Limit {
    /// When a new request will be possible.
    pub fn next_at(&self) -> DateTime<Utc> {
        match self {
            Limit::Cooldown { next_at, .. } => *next_at,
            Limit::DailyLimit { resets_at, .. } => *resets_at,
        }
    }

    /// The 429 the API answers (the words it always had).
    pub fn error(&self, now: DateTime<Utc>) -> AppError {
        match self {
            Limit::Cooldown { week, requested_at, hours, next_at } => AppError::rate_limited(
                Some("person_id"),
                format!(
                    "a review of this person for week {} was requested at {}; review_cooldown_hours = {hours} \
                     allows the next at {} (admins may force)",
                    iso_week_label(*week),
                    requested_at.to_rfc3339(),
                    next_at.to_rfc3339()
                ),
                seconds_until(*next_at, now),
            ),
            Limit::DailyLimit { made, limit, resets_at } => AppError::rate_limited(
                None,
                format!(
                    "you have requested {made} reviews today; review_manual_daily_limit_per_manager = {limit} \
                     (resets at {})",
                    resets_at.to_rfc3339()
                ),
                seconds_until(*resets_at, now),
            ),
        }
    }
}

/// What a generation request came to: a new review, the current one of
/// that week answered as is, or a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A `review.requested` was recorded.
    Requested(RequestedReview),
    /// A pending or generated review of that person and week exists (the
    /// seed's unique key): nothing new was requested.
    Existing { review: RequestedReview, week: NaiveDate },
    /// Held back by a limit; nothing was written.
    Limited(Limit),
}

/// Asks for a review of `person_id` (module docs: access, period, limits,
/// idempotency), as the API answers it: [`request_review_outcome`] with a
/// limit as its 429.
pub async fn request_review(
    state: &AppState,
    principal: &Principal,
    person_id: PersonId,
    period: Option<String>,
    force: bool,
) -> Result<RequestedReview, AppError> {
    match request_review_outcome(state, principal, person_id, period, force).await? {
        RequestOutcome::Requested(review) | RequestOutcome::Existing { review, .. } => Ok(review),
        RequestOutcome::Limited(limit) => Err(limit.error(Utc::now())),
    }
}

/// Asks for a review of `person_id`, saying what came of it
/// ([`RequestOutcome`]): the API ([`request_review`]) and the dashboards'
/// "Generate review" button both go through here.
pub async fn request_review_outcome(
    state: &AppState,
    principal: &Principal,
    person_id: PersonId,
    period: Option<String>,
    force: bool,
) -> Result<RequestOutcome, AppError> {
    let pool = &state.pool;
    let me = caller_person_id(principal)?.uuid();
    let person_id = acting_person_id(pool, principal, Some(person_id), "person_id", false).await?.uuid();
    if force && !principal.is_admin() {
        return Err(AppError::forbidden(Some("force"), "only admins may force a review"));
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
        return Err(AppError::invalid_body(
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
            let review = RequestedReview { review_id: review.review_id, status: review.status.as_str().to_string() };
            return Ok(RequestOutcome::Existing { review, week });
        }
        if !force {
            let cooldown = Duration::hours(settings.review_cooldown_hours);
            if let Some(at) = current.current_requested_at.filter(|at| *at + cooldown > now) {
                return Ok(RequestOutcome::Limited(Limit::Cooldown {
                    week,
                    requested_at: at,
                    hours: settings.review_cooldown_hours,
                    next_at: at + cooldown,
                }));
            }
        }
    }

    let day_start = midnight(now.date_naive());
    let made = manual_requests_since(pool, me, day_start).await?;
    if made >= settings.review_manual_daily_limit_per_manager {
        return Ok(RequestOutcome::Limited(Limit::DailyLimit {
            made,
            limit: settings.review_manual_daily_limit_per_manager,
            resets_at: day_start + Duration::days(1),
        }));
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
        Ok(()) => Ok(RequestOutcome::Requested(RequestedReview {
            review_id,
            status: ReviewStatus::Pending.as_str().to_string(),
        })),
        Err(CommandError::Rejected(r)) => Err(AppError::rejected(&r.field, r.reason)),
        Err(CommandError::Store(e)) => Err(store_failed(e)),
    }
}

/// A review row the caller may see: 404 for admins when unknown, else 403
/// (ids cannot be probed), as for every id in this API.
pub async fn visible_review(
    state: &AppState,
    principal: &Principal,
    review_id: ReviewId,
) -> Result<ReviewRow, AppError> {
    caller_person_id(principal)?;
    let review_id = review_id.uuid();
    let Some(row) = review_by_id(&state.pool, review_id).await? else {
        return Err(if principal.is_admin() {
            AppError::not_found("id", format!("no review has id '{review_id}'"))
        } else {
            AppError::forbidden(Some("id"), "you may not see this review")
        });
    };
    effective_person_id(&state.pool, principal, Some(PersonId(row.person_id)), "id")
        .await
        .map_err(|_| AppError::forbidden(Some("id"), "you may not see this review"))?;
    Ok(row)
}

/// Acknowledges a generated review: only the reviewed person, once; a repeat
/// changes nothing and succeeds. The dashboards' button calls this too.
/// Answers from the aggregate, which the read model may not have folded yet.
pub async fn acknowledge_review(
    state: &AppState,
    principal: &Principal,
    review: ReviewId,
) -> Result<AcknowledgedReview, AppError> {
    let me = caller_person_id(principal)?.uuid();
    let row = visible_review(state, principal, review).await?;
    let review_id = review.uuid();
    if row.person_id != me {
        return Err(AppError::forbidden(Some("id"), "only the reviewed person may acknowledge a review"));
    }
    let aggregate_id = review_aggregate_id(row.person_id, row.review_period_start, row.review_period_end);
    let command = ReviewCommand::Acknowledge { review_id, by_person_id: me };
    match execute::<Review>(&state.pool, &aggregate_id, ReviewCommandEnvelope { occurred_at: Utc::now(), command })
        .await
    {
        Ok(()) => {}
        Err(CommandError::Rejected(r)) => return Err(AppError::rejected(&r.field, r.reason)),
        Err(CommandError::Store(e)) => return Err(store_failed(e)),
    }
    let review = load_review(&state.pool, &aggregate_id).await?.review;
    let acknowledged_at = review.current().filter(|c| c.review_id == review_id).and_then(|c| c.acknowledged_at);
    Ok(AcknowledgedReview { review_id, acknowledged_at })
}

/// The current reviews of `requested` (the caller when `None`), newest
/// period first, if the caller may see that person.
pub async fn list_reviews(
    state: &AppState,
    principal: &Principal,
    requested: Option<PersonId>,
    limit: u32,
) -> Result<(PersonId, Vec<ReviewRow>), AppError> {
    let person = effective_person_id(&state.pool, principal, requested, "person_id").await?;
    let items = reviews_of(&state.pool, person.uuid(), limit).await?;
    Ok((person, items))
}
