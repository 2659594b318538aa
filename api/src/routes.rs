//! The router and the state its handlers share.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use perfledger_store::Ingestor;
use sqlx::PgPool;

use crate::auth::Verifier;
use crate::problem::Problem;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub ingestor: Ingestor,
    pub verifier: Verifier,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/healthz", get(health))
        .route("/api/v1/events", post(crate::ingest::post_events))
        .route(crate::openapi::SPEC_PATH, get(crate::openapi::serve_spec))
        .merge(crate::performance::router())
        .merge(crate::ops::routes())
        .fallback(not_found)
        // Last, so it wraps every route above, merged ones included.
        .layer(axum::middleware::from_fn(crate::ops::track_requests))
        .with_state(state)
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "Not Found", "no such route")
}

/// Liveness and readiness: answers only when the database does. Also the
/// projectors' lag (D3): positions behind the head and the age of the oldest
/// event not yet projected.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "healthz", responses(
    (status = 200, description = "The database answers; the projectors' lag", body = crate::openapi::Health),
    (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
))]
async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    let unavailable = |e: &dyn std::fmt::Display| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", format!("database unavailable: {e}"))
    };
    let head = perfledger_store::log::head(&state.pool).await.map_err(|e| unavailable(&e))?;
    let lag = perfledger_projections::lag::lag(&state.pool, &perfledger_projections::worker::PROJECTORS)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(Json(serde_json::json!({"status": "ok", "log_head": head, "projectors": lag})))
}

/// A plain page for people who open the server in a browser.
#[utoipa::path(get, path = "/", tag = "ops", operation_id = "status_page", responses(
    (status = 200, description = "A plain HTML status page for browsers", body = String, content_type = "text/html"),
))]
async fn status_page(State(state): State<AppState>) -> impl IntoResponse {
    let head = perfledger_store::log::head(&state.pool).await.unwrap_or(-1);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>perfledger</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem\">\
         <h1>perfledger</h1><p>The event log holds <strong>{head}</strong> events.</p>\
         <ul><li><code>POST /api/v1/events</code>: ingest CRM activity (JSON array or NDJSON, bearer token with \
         the <code>ingest</code> permission)</li><li><code>GET /healthz</code>: health</li></ul></body></html>"
    ))
}
