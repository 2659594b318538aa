//! Review pages and actions: the review detail for managers and admins
//! (`/admin/performance/reviews/{id}`) and for the reviewed person
//! (`/agent/my-performance/reviews/{id}`), acknowledging (the reviewed person
//! only) and generating (team managers and admins, for someone else unless
//! admin). POSTs check the CSRF token first and answer 303 with a flash.
//!
//! Scope: a review is visible to whoever may see its person
//! ([`effective_person_id`]) on the admin page (which also needs
//! `reports:operations`), and only to its person on the self-service page.
//! An unknown review id is a 404 for admins and a 403 for everyone else, as
//! for unknown people and goals, so ids cannot be probed.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use chrono::{DateTime, Utc};
use perfledger_domain::period::iso_week_label;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::charts;
use super::flash::{redirect_with, Flash};
use super::pages::{ok, plain_words, respond};
use super::params::path_uuid;
use super::session::WebUser;
use super::view::{metric_name_of_key, score_text, Layout, Nav};
use crate::app::reviews::{acknowledge_review, request_review_outcome, Limit, RequestOutcome};
use crate::app::scope::{acting_person_id, effective_person_id, may_serve_self, self_service_refused};
use crate::error::{AppError, ErrorKind};
use crate::ids::{PersonId, ReviewId};
use crate::queries::number::to_f64;
use crate::queries::{self, ReviewRow};
use crate::state::AppState;

pub struct Recommendation {
    pub priority: String,
    pub category: String,
    pub action: String,
    pub impact: String,
    pub class: &'static str,
}

pub struct Callout {
    pub kind: String,
    pub reference: String,
    pub observation: String,
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub person_name: String,
    pub person_href: String,
    pub period: String,
    pub status: String,
    pub composite: String,
    pub class: &'static str,
    pub summary: String,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    pub callouts: Vec<Callout>,
    pub model: String,
    pub failure_reason: Option<String>,
    pub acknowledged: Option<String>,
    pub can_acknowledge: bool,
    pub ack_action: String,
}

fn strings(value: &Option<Value>) -> Vec<String> {
    value
        .as_ref()
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("text").and_then(Value::as_str).map(String::from),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn text(object: &serde_json::Map<String, Value>, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| object.get(*k))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// `high` < `medium` < `low`, numbers ascending (1 first), unknown last.
fn priority_rank(priority: &str) -> (u8, i64) {
    match priority.trim().to_ascii_lowercase().as_str() {
        "critical" => (0, 0),
        "high" => (1, 0),
        "medium" => (2, 0),
        "low" => (3, 0),
        other => other.parse::<i64>().map(|n| (1, n)).unwrap_or((4, 0)),
    }
}

fn recommendations(value: &Option<Value>) -> Vec<Recommendation> {
    let mut items: Vec<Recommendation> = value
        .as_ref()
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|o| {
                    let priority = text(o, &["priority"]);
                    Recommendation {
                        class: match priority_rank(&priority).0 {
                            0 | 1 => "bad",
                            2 => "warn",
                            _ => "none",
                        },
                        // "tagging_rate" reads "Tagging", as in the metric table.
                        category: metric_name_of_key(&text(o, &["category"])),
                        action: text(o, &["action", "recommendation"]),
                        impact: text(o, &["impact", "expected_impact"]),
                        priority,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort_by_key(|r| priority_rank(&r.priority));
    items
}

fn callouts(value: &Option<Value>) -> Vec<Callout> {
    value
        .as_ref()
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|o| {
                    let kind = text(o, &["type"]);
                    Callout {
                        class: if kind == "positive" { "good" } else { "warn" },
                        reference: text(o, &["reference"]),
                        observation: text(o, &["observation"]),
                        kind,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The review, or 404 (admins) / 403 (everyone else) when it does not exist.
async fn load(state: &AppState, user: &WebUser, id: &str) -> Result<ReviewRow, AppError> {
    let id = path_uuid(id, "review_id")?;
    match queries::review_by_id(&state.pool, id).await? {
        Some(review) => Ok(review),
        None if user.principal.is_admin() => Err(AppError::not_found("review_id", format!("no review has id '{id}'"))),
        None => Err(AppError::forbidden(Some("review_id"), "you may not see this review")),
    }
}

/// The reviewed person only (self-service), for the page and the acknowledgement.
async fn own_review(state: &AppState, user: &WebUser, review: &ReviewRow) -> Result<(), AppError> {
    if review.person_id != user.person_id {
        return Err(AppError::forbidden(Some("review_id"), "this is not your review"));
    }
    if !may_serve_self(&state.pool, &user.principal).await? {
        return Err(self_service_refused());
    }
    Ok(())
}

async fn review_page(
    state: &AppState,
    user: &WebUser,
    review: ReviewRow,
    self_view: bool,
) -> Result<Response, AppError> {
    let header = super::data::person_header(&state.pool, review.person_id).await?;
    let composite = review.composite_score.as_ref().map(to_f64);
    let own = review.person_id == user.person_id;
    ok(&ReviewPage {
        layout: user.layout(
            format!("Review · {}", header.name),
            if self_view { Nav::MyPerformance } else { Nav::TeamPerformance },
        ),
        person_href: if self_view {
            "/agent/my-performance".to_string()
        } else {
            format!("/admin/performance/agents/{}", review.person_id)
        },
        person_name: header.name,
        period: format!(
            "{} – {}",
            review.review_period_start.format("%-d %b %Y"),
            (review.review_period_end - chrono::Duration::days(1)).format("%-d %b %Y")
        ),
        status: review.status.clone(),
        composite: score_text(composite),
        class: charts::score_class(composite),
        summary: review.summary_text.clone().unwrap_or_default(),
        strengths: strings(&review.strengths_json),
        improvements: strings(&review.improvements_json),
        recommendations: recommendations(&review.recommendations_json),
        callouts: callouts(&review.callouts_json),
        model: [review.llm_provider.clone(), review.llm_model.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        failure_reason: review.failure_reason.clone(),
        acknowledged: review.acknowledged_at.map(|at| at.format("%-d %b %Y %H:%M UTC").to_string()),
        can_acknowledge: own && self_view && review.status == "generated" && !review.is_acknowledged,
        ack_action: format!("/agent/my-performance/reviews/{}/ack", review.id),
    })
}

/// `GET /admin/performance/reviews/{review_id}`
pub async fn admin_review(State(state): State<AppState>, user: WebUser, Path(id): Path<String>) -> Response {
    let result = async {
        if !user.can_see_team() {
            return Err(AppError::forbidden(
                None,
                "This page is for admins and team managers; your own reviews are under My Performance.",
            ));
        }
        let review = load(&state, &user, &id).await?;
        effective_person_id(&state.pool, &user.principal, Some(PersonId(review.person_id)), "review_id").await?;
        review_page(&state, &user, review, false).await
    }
    .await;
    respond(&user, result)
}

/// `GET /agent/my-performance/reviews/{id}`
pub async fn my_review(State(state): State<AppState>, user: WebUser, Path(id): Path<String>) -> Response {
    let result = async {
        let review = load(&state, &user, &id).await?;
        own_review(&state, &user, &review).await?;
        review_page(&state, &user, review, true).await
    }
    .await;
    respond(&user, result)
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    csrf_token: Option<String>,
    period: Option<String>,
    /// "Force a new review" (admins only): `1` (or `on`, `true`) forces.
    force: Option<String>,
}

/// The form's `force`: absent, empty, `0` or `false` is no; `1`, `on` or
/// `true` is yes; anything else is refused by name.
fn force_field(value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim).unwrap_or_default() {
        "" | "0" | "false" => Ok(false),
        "1" | "on" | "true" => Ok(true),
        _ => Err(AppError::invalid_body("force", "must be 1 (force a new review) or left out")),
    }
}

/// A moment as a page shows it: `7 Dec 2026, 14:05 UTC`.
fn moment(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

fn hours(n: i64) -> String {
    if n == 1 {
        "1 hour".to_string()
    } else {
        format!("{n} hours")
    }
}

/// The flash of a generation request (issue 16): what happened, or which
/// rule held it back, the rule's value and when a new request will be
/// possible, in words. `admin`: whether the viewer has the force option.
fn outcome_flash(outcome: &RequestOutcome, admin: bool) -> Flash {
    let force_hint = if admin {
        " To replace it now, tick \u{201c}Force a new review\u{201d} and request again."
    } else {
        " An admin can force a new review."
    };
    match outcome {
        RequestOutcome::Requested(review) => Flash::ok(format!(
            "Review requested ({}): it appears under Recent reviews once written. Reference {}.",
            review.status, review.review_id
        )),
        RequestOutcome::Existing { review, week } => Flash::error(format!(
            "No new review was requested: a review for week {} already exists ({}), and there is one review per \
             person and week.{force_hint}",
            iso_week_label(*week),
            review.status
        )),
        RequestOutcome::Limited(Limit::Cooldown { week, requested_at, hours: h, next_at }) => Flash::error(format!(
            "No review was requested: the review for week {} failed, and it was requested at {}. The cooldown \
             between reviews of one person and week is {} (review cooldown setting), so a new request is possible \
             from {}.{force_hint}",
            iso_week_label(*week),
            moment(*requested_at),
            hours(*h),
            moment(*next_at)
        )),
        RequestOutcome::Limited(Limit::DailyLimit { made, limit, resets_at }) => Flash::error(format!(
            "No review was requested: you have made {made} review request{} today, and the daily limit per \
             manager is {limit} (daily review limit setting). New requests are possible from {}.",
            if *made == 1 { "" } else { "s" },
            moment(*resets_at)
        )),
    }
}

/// `POST /agent/my-performance/reviews/{id}/ack` (CSRF): 303 back to the review.
pub async fn acknowledge(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(form.csrf_token.as_deref()) {
        return refused;
    }
    let result = async {
        let review = load(&state, &user, &id).await?;
        own_review(&state, &user, &review).await?;
        let back = format!("/agent/my-performance/reviews/{}", review.id);
        let flash = match acknowledge_review(&state, &user.principal, ReviewId(review.id)).await {
            Ok(_) => Flash::ok("Review acknowledged. Thank you."),
            Err(problem) => Flash::error(format!("The review was not acknowledged: {}", plain_words(&problem))),
        };
        Ok(redirect_with(&back, flash))
    }
    .await;
    respond(&user, result)
}

/// `POST /admin/performance/agents/{person_id}/generate-review` (CSRF):
/// managers for their members and admins; `force=1` admins only (the API's
/// rule: a manager's forged `force` is the API's 403); 303 back to the
/// agent page with a flash saying what happened or which limit held the
/// request back ([`outcome_flash`]).
pub async fn generate(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(form.csrf_token.as_deref()) {
        return refused;
    }
    let result = async {
        let requested: Uuid = path_uuid(&id, "person_id")?;
        let force = force_field(form.force.as_deref())?;
        let person =
            acting_person_id(&state.pool, &user.principal, Some(PersonId(requested)), "person_id", false).await?;
        let period = form.period.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(String::from);
        let flash = match request_review_outcome(&state, &user.principal, person, period, force).await {
            Ok(outcome) => outcome_flash(&outcome, user.principal.is_admin()),
            // Only admins may force: the same 403 as the API, not a flash.
            Err(problem) if problem.kind == ErrorKind::Forbidden => return Err(problem),
            Err(problem) => Flash::error(format!("No review was generated: {}", plain_words(&problem))),
        };
        Ok(redirect_with(&format!("/admin/performance/agents/{person}"), flash))
    }
    .await;
    respond(&user, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recommendations_sort_by_priority_and_read_both_spellings() {
        let value = Some(json!([
            {"priority": "low", "category": "data", "action": "Tag notes", "impact": "small"},
            {"priority": "high", "category": "support", "recommendation": "Answer faster", "expected_impact": "SLA"},
            {"priority": "medium", "category": "sales", "action": "Follow up", "impact": "wins"},
        ]));
        let sorted = recommendations(&value);
        assert_eq!(sorted.iter().map(|r| r.priority.as_str()).collect::<Vec<_>>(), ["high", "medium", "low"]);
        assert_eq!((sorted[0].action.as_str(), sorted[0].impact.as_str()), ("Answer faster", "SLA"));
        assert_eq!(sorted[0].class, "bad");
        assert!(recommendations(&None).is_empty());
    }

    #[test]
    fn refusals_say_the_rule_its_value_and_when_in_words() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let week = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let cooldown = Limit::Cooldown {
            week,
            requested_at: at("2026-12-06T14:05:00Z"),
            hours: 24,
            next_at: at("2026-12-07T14:05:00Z"),
        };
        let flash = outcome_flash(&RequestOutcome::Limited(cooldown), false);
        let mut messages = vec![flash.message.clone()];
        assert_eq!(flash.kind, "error");
        for words in ["week 2026-W45", "6 Dec 2026, 14:05 UTC", "is 24 hours", "possible from 7 Dec 2026, 14:05 UTC"] {
            assert!(flash.message.contains(words), "{words}: {}", flash.message);
        }
        assert!(flash.message.ends_with("An admin can force a new review."), "{}", flash.message);
        let limit = Limit::DailyLimit { made: 1, limit: 1, resets_at: at("2026-12-07T00:00:00Z") };
        let flash = outcome_flash(&RequestOutcome::Limited(limit), true);
        messages.push(flash.message.clone());
        assert!(flash.message.contains("1 review request today"), "{}", flash.message);
        assert!(flash.message.contains("daily limit per manager is 1"), "{}", flash.message);
        assert!(flash.message.contains("from 7 Dec 2026, 00:00 UTC"), "{}", flash.message);
        let existing = RequestOutcome::Existing {
            review: crate::app::reviews::RequestedReview { review_id: Uuid::nil(), status: "generated".into() },
            week,
        };
        let flash = outcome_flash(&existing, true);
        assert!(flash.message.contains("already exists (generated)"), "{}", flash.message);
        assert!(flash.message.contains("Force a new review"), "admins are told about their option: {}", flash.message);
        messages.push(flash.message);
        for message in messages {
            assert!(!message.contains('_'), "no setting keys in the words: {message}");
        }
        assert_eq!(hours(1), "1 hour");
    }

    #[test]
    fn force_is_yes_no_or_refused_by_name() {
        for yes in ["1", "on", "true", " 1 "] {
            assert!(force_field(Some(yes)).unwrap(), "{yes}");
        }
        for no in [None, Some(""), Some("0"), Some("false")] {
            assert!(!force_field(no).unwrap(), "{no:?}");
        }
        assert_eq!(force_field(Some("yes")).unwrap_err().field.as_deref(), Some("force"));
    }

    #[test]
    fn callouts_and_lists_tolerate_missing_fields() {
        let value =
            Some(json!([{"type": "positive", "reference": "#T-1", "observation": "Fast"}, {"type": "concern"}]));
        let items = callouts(&value);
        assert_eq!((items[0].class, items[1].class), ("good", "warn"));
        assert_eq!(items[1].observation, "");
        assert_eq!(strings(&Some(json!(["a", {"text": "b"}, 3]))), ["a", "b"]);
    }
}
