//! HTML dashboards (issue 6): server-rendered askama pages over the same
//! queries and scope as the JSON API, the sign-in that puts the API's token
//! in a cookie (D16), and the server-drawn SVG charts they embed.
//!
//! | Route | Page |
//! |---|---|
//! | `GET /` , `GET /admin/performance` | 303 to Team Performance (admin, `reports:operations`/`reports`) or My Performance |
//! | `GET /admin/performance/team?team_id=&period=&from=&to=&sort=&order=&offset=` | team overview |
//! | `GET /admin/performance/team/_table?…` | its leaderboard fragment |
//! | `GET /admin/performance/agents/{person_id}?period=` | agent detail |
//! | `GET /admin/performance/agents/{person_id}/_scores?period=` | its score-cards fragment |
//! | `GET /admin/performance/agents/{person_id}/events?week= (or from=&to=)&domain=&metric=&offset=` | the events behind a domain score, in words, filtered by metric |
//! | `GET /admin/performance/reviews/{review_id}` | review detail (managers, admins) |
//! | `POST /admin/performance/agents/{person_id}/generate-review` | request a review, `force=1` admins only (303 + flash) |
//! | `POST /admin/performance/agents/{person_id}/goals`, `POST …/goals/{goal_id}` | a manager or admin creates, updates or cancels the person's goal |
//! | `GET /admin/performance/settings/history?offset=` | admins: every settings change, before → after per key |
//! | `GET /admin/performance/audit?actor=&action=&from=&to=&offset=` | admins: the audit log, filtered and paged, with its CSV link |
//! | `GET /agent/my-performance?period=`, `…/_scores` | my scorecard, its fragment |
//! | `GET /agent/my-performance/reviews/{id}`, `POST …/{id}/ack` | my review, acknowledge it |
//! | `POST /agent/my-performance/goals`, `POST …/goals/{id}` | create, update or cancel my goal |
//! | `GET /auth/sign-in`, `GET /auth/session?token=`, `POST /auth/session`, `POST /auth/logout` | sign-in |
//! | `GET /auth/demo`, `POST /auth/demo/{person_id}` | demo sign-in (demo mode only, else 404) |
//! | `GET /admin/performance/settings?bottom=&last_weeks=` | admins: the settings, grouped, with the threshold helper (issue 16) |
//! | `POST /admin/performance/settings/preview` | admins (CSRF): a draft scored next to the settings in force; nothing written |
//! | `POST /admin/performance/settings/publish` | admins (CSRF): one `settings.changed`, 303 to its rescore |
//! | `GET /admin/performance/settings/rescore/{position}` | admins: the rescore's weeks done of due, refreshing until done |
//! | `GET /assets/{file}` | the stylesheets and script, content-hashed |

pub mod assets;
mod audit;
pub mod charts;
mod context;
mod data;
mod event_words;
pub mod flash;
mod goal_form;
mod goals;
pub mod pages;
mod params;
mod person;
mod reviews;
pub mod session;
mod settings;
mod team;
pub mod view;

use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
use session::WebUser;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/admin/performance", get(home))
        .route("/admin/performance/team", get(team::overview))
        .route("/admin/performance/team/_table", get(team::table_partial))
        .route("/admin/performance/agents/{person_id}", get(person::agent_detail))
        .route("/admin/performance/agents/{person_id}/_scores", get(person::agent_scores))
        .route("/admin/performance/agents/{person_id}/events", get(person::events))
        .route("/admin/performance/agents/{person_id}/generate-review", post(reviews::generate))
        .route("/admin/performance/agents/{person_id}/goals", post(goals::create_for))
        .route("/admin/performance/agents/{person_id}/goals/{goal_id}", post(goals::update_for))
        .route("/admin/performance/reviews/{review_id}", get(reviews::admin_review))
        .route("/admin/performance/settings/history", get(audit::settings_history))
        .route("/admin/performance/audit", get(audit::audit_log))
        .route("/admin/performance/settings", get(settings::page))
        .route("/admin/performance/settings/preview", post(settings::preview_page))
        .route("/admin/performance/settings/publish", post(settings::publish_page))
        .route("/admin/performance/settings/rescore/{position}", get(settings::rescore_page))
        .route("/agent/my-performance", get(person::my_performance))
        .route("/agent/my-performance/_scores", get(person::my_scores))
        .route("/agent/my-performance/reviews/{id}", get(reviews::my_review))
        .route("/agent/my-performance/reviews/{id}/ack", post(reviews::acknowledge))
        .route("/agent/my-performance/goals", post(goals::create))
        .route("/agent/my-performance/goals/{id}", post(goals::update))
        .route("/auth/sign-in", get(session::sign_in_page))
        .route("/auth/session", get(session::session_from_query).post(session::session_from_form))
        .route("/auth/logout", post(session::logout))
        .route("/auth/demo", get(session::demo_page))
        .route("/auth/demo/{person_id}", post(session::demo_sign_in))
        .route("/assets/{file}", get(assets::serve))
}

/// `GET /` and `GET /admin/performance`: where a person starts (seed
/// "Sidebar Navigation"): Team Performance for admins and for report holders
/// who manage an active team; My Performance for everyone else (D19: every
/// person has their own scorecard), never a page that would answer 403.
#[utoipa::path(get, path = "/", tag = "ops", operation_id = "home", responses(
    (status = 303, description = "To the dashboards: Team Performance for admins and for report holders who manage an active team, My Performance for everyone else; to the sign-in page without a valid `perfledger_session` cookie"),
))]
pub async fn home(user: WebUser) -> Response {
    match user.manages_a_team {
        true => Redirect::to("/admin/performance/team").into_response(),
        false => Redirect::to("/agent/my-performance").into_response(),
    }
}
