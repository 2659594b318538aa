//! The router: every adapter's routes, the middleware around them, `/healthz`.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use crate::problem::Problem;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let request_timeout = state.limits.options.request_timeout;
    Router::new()
        .route("/api/v1/events", post(crate::ingest::post_events))
        .route(crate::openapi::SPEC_PATH, get(crate::openapi::serve_spec))
        .merge(crate::performance::router())
        .merge(crate::ops::routes())
        .merge(crate::admin::routes())
        .merge(crate::connectors::routes())
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
        .layer(compression())
        .with_state(state)
}

/// gzip or brotli, as the client's `Accept-Encoding` asks (a ~32 KB team
/// page goes out as ~5 KB). Level 4 of both: most of the gain at a small
/// fraction of the time of their defaults (brotli's is its slowest, 11),
/// since every page is compressed as it is served. Tiny bodies, images and
/// event streams are left alone (tower-http's default predicate).
fn compression() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(tower_http::CompressionLevel::Precise(4))
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
