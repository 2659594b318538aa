//! The router and the state its handlers share.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use perfledger_store::Ingestor;
use sqlx::PgPool;

use crate::auth::{Signer, Verifier};
use crate::problem::Problem;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub ingestor: Ingestor,
    pub verifier: Verifier,
    /// Demo mode (`--demo`, D16): `/auth/demo` lists the seeded people and
    /// signs in as any of them. Off in production.
    pub demo: bool,
    /// Mints the demo sign-in tokens (HS256 only); `None` without a secret.
    pub signer: Option<Signer>,
    /// Timeouts, cookie flags and the ingest memory budget (`crate::server`).
    pub limits: crate::server::ServerLimits,
}

impl AppState {
    /// The one way to build the state (serve, the benches, the tests): the
    /// database and the token verifier; everything else has a default and a
    /// `with_*` to change it.
    pub fn new(pool: PgPool, verifier: Verifier) -> Self {
        AppState {
            ingestor: Ingestor::new(pool.clone(), "http"),
            pool,
            verifier,
            demo: false,
            signer: None,
            limits: crate::server::ServerLimits::default(),
        }
    }

    /// The `occurred_at` window ingest checks (`--earliest-occurred-at`, `--max-future-hours`).
    pub fn with_window(mut self, window: perfledger_domain::validate::OccurredWindow) -> Self {
        self.ingestor = self.ingestor.with_window(window);
        self
    }

    /// The signer of demo sign-ins (HS256); `demo` turns `/auth/demo` on.
    pub fn with_signer(mut self, signer: Option<Signer>, demo: bool) -> Self {
        self.signer = signer;
        self.demo = demo;
        self
    }

    /// Timeouts, cookie flags and the ingest memory budget.
    pub fn with_limits(mut self, options: crate::server::ServerOptions) -> Self {
        self.limits = crate::server::ServerLimits::new(options);
        self
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let request_timeout = state.limits.options.request_timeout;
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/events", post(crate::ingest::post_events))
        .route(crate::openapi::SPEC_PATH, get(crate::openapi::serve_spec))
        .merge(crate::performance::router())
        .merge(crate::ops::routes())
        .merge(crate::admin::routes())
        .merge(crate::web::router())
        .fallback(not_found)
        // Last, so it wraps every route above, merged ones included.
        .layer(axum::middleware::from_fn(crate::ops::track_requests))
        .layer(axum::middleware::from_fn(move |request, next| {
            crate::server::request_timeout(request_timeout, request, next)
        }))
        // Outside the latency tracking: every answer (404s, timeouts, 503s
        // included) carries the security headers and the request id.
        .layer(axum::middleware::from_fn(crate::security::headers))
        .layer(axum::middleware::from_fn(crate::request_id::assign))
        .with_state(state)
}

/// No such route: problem+json, or the dashboards' 404 page for a browser
/// (an `Accept` with `text/html`) outside `/api/`.
async fn not_found(headers: axum::http::HeaderMap, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && !uri.path().starts_with("/api/") {
        return crate::web::pages::not_found_page();
    }
    Problem::new(StatusCode::NOT_FOUND, "Not Found", "no such route").into_response()
}

/// Liveness and readiness: answers only when the database does. Also the
/// projectors' lag (D3): positions behind the head and the age of the oldest
/// event not yet projected.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "healthz", responses(
    (status = 200, description = "The database answers; the projectors' lag", body = crate::openapi::Health),
    (status = 503, description = "The database is unavailable", body = crate::openapi::Problem, content_type = "application/problem+json"),
))]
async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    let unavailable = |e: &dyn std::fmt::Display| Problem::database_unavailable(e);
    let head = perfledger_store::log::head(&state.pool).await.map_err(|e| unavailable(&e))?;
    let (lag, scoring) = perfledger_projections::lag::lag_and_scoring(&state.pool, &perfledger_projections::PROJECTORS)
        .await
        .map_err(|e| unavailable(&e))?;
    let tasks = perfledger_scheduler::supervise::tasks();
    // Alive either way (this answers); `stalled` or `degraded` says a
    // projector stopped at an event or a background task is restarting.
    let status = if lag.iter().any(|l| l.stall.is_some()) || scoring.is_some() {
        "stalled"
    } else if tasks.iter().any(|t| t.state == perfledger_scheduler::supervise::TaskState::Restarting) {
        "degraded"
    } else {
        "ok"
    };
    Ok(Json(serde_json::json!({
        "status": status,
        "log_head": head,
        "projectors": lag,
        "scoring": {"state": if scoring.is_some() { "stalled" } else { "running" }, "stall": scoring},
        "tasks": tasks,
    })))
}
