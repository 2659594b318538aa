//! Operations endpoints: `GET /readyz` and `GET /metrics` (Prometheus text
//! format), and the request-latency middleware that feeds the latter.
//!
//! Metrics go through the `metrics` facade into one process-wide
//! `metrics-exporter-prometheus` recorder, installed on first use (see
//! [`prometheus`]). The exporter is built without its HTTP listener: the
//! scrape is an ordinary route of this router, rendered by
//! [`PrometheusHandle::render`].
//!
//! Readiness threshold: `PERFLEDGER_READY_MAX_LAG` (positions, default
//! [`DEFAULT_READY_MAX_LAG`]) is read once per process, on the first
//! `/readyz`, so it needs no field in `AppState`. A projector is ready while
//! it is at most that many positions behind the head.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use perfledger_projections::lag::Lag;
use perfledger_store::IngestReport;

use crate::problem::Problem;
use crate::state::AppState;

/// The environment variable that sets the readiness threshold.
pub const READY_MAX_LAG_ENV: &str = "PERFLEDGER_READY_MAX_LAG";
/// How many positions a projector may be behind the head and still be ready.
pub const DEFAULT_READY_MAX_LAG: i64 = 10_000;

/// Request latency by `route` (the matched path template, or `unmatched`),
/// `method` and `status`.
pub const HTTP_REQUEST_DURATION: &str = "perfledger_http_request_duration_seconds";
/// Envelopes received by `POST /api/v1/events`, by `outcome`.
pub const INGEST_EVENTS: &str = "perfledger_ingest_events_total";
/// The event log's head (highest global position).
pub const LOG_HEAD: &str = "perfledger_log_head";
/// Positions each projector is behind the head, refreshed at scrape time.
pub const PROJECTOR_BEHIND: &str = "perfledger_projector_behind";
/// Age of each projector's oldest unapplied event, refreshed at scrape time.
pub const PROJECTOR_AGE: &str = "perfledger_projector_oldest_unprojected_age_seconds";
/// 1 while the projector (or `scoring`) is stalled on something it cannot
/// fold (issue 14), else 0; refreshed at scrape time.
pub const PROJECTOR_STALLED: &str = "perfledger_projector_stalled";
/// Restarts of a supervised background task of this process, by `task`.
pub const TASK_RESTARTS: &str = "perfledger_task_restarts_total";
/// 1 when the last scrape could read the database, else 0.
pub const DATABASE_UP: &str = "perfledger_database_up";
/// Provider tokens spent on reviews, by `model` and `direction` (`in`/`out`),
/// read from the review tables at scrape time, so every worker process's
/// spending counts and a restart loses nothing.
pub const REVIEW_TOKENS: &str = "perfledger_review_tokens_total";
/// Reviews by `model` and `status` (generated, failed), current and superseded.
pub const REVIEWS: &str = "perfledger_reviews_total";

/// Histogram buckets for request latency, in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// How often the recorder drains histogram samples when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The routes this module serves; merged into [`crate::router`].
pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(health)).route("/readyz", get(ready)).route("/metrics", get(metrics))
}

/// The process-wide Prometheus recorder, installed on first call.
///
/// Several routers may be built in one process (the tests do), so this is a
/// `OnceLock`. When another global recorder is already installed (by an
/// embedding program), that one keeps receiving the metrics and the handle
/// renders only what reaches it; this is logged, never a panic.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.to_string()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "a metrics recorder was already installed; /metrics shows only its own");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the metrics upkeep thread; scrapes still drain samples");
        }
        handle
    })
}

fn describe() {
    use metrics::Unit;
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency until the response head, by matched route, method and status."
    );
    metrics::describe_counter!(INGEST_EVENTS, "Envelopes received by POST /api/v1/events, by outcome.");
    metrics::describe_gauge!(LOG_HEAD, "The event log's head: its highest global position.");
    metrics::describe_gauge!(PROJECTOR_BEHIND, "Positions the projector is behind the log head.");
    metrics::describe_gauge!(
        PROJECTOR_AGE,
        Unit::Seconds,
        "Age of the oldest event the projector has not applied yet; 0 when caught up."
    );
    metrics::describe_gauge!(
        PROJECTOR_STALLED,
        "1 while the projector (or scoring) is stalled on an event or week it cannot fold; free it with `perfledger events void`."
    );
    metrics::describe_counter!(
        TASK_RESTARTS,
        "Restarts of a supervised background task (projections, reviews) after a panic or an error."
    );
    metrics::describe_gauge!(DATABASE_UP, "1 when the last scrape could read the database, else 0.");
    metrics::describe_counter!(REVIEW_TOKENS, "Provider tokens spent on reviews, by model and direction (in, out).");
    metrics::describe_counter!(REVIEWS, "Reviews recorded, by model and status (generated, failed).");
    // Every outcome is exported from the start, at 0.
    for outcome in ["accepted", "duplicate", "rejected"] {
        metrics::counter!(INGEST_EVENTS, "outcome" => outcome).absolute(0);
    }
}

/// Counts one ingest request's envelopes by outcome.
pub fn count_ingest(report: &IngestReport) {
    metrics::counter!(INGEST_EVENTS, "outcome" => "accepted").increment(report.accepted as u64);
    metrics::counter!(INGEST_EVENTS, "outcome" => "duplicate").increment(report.duplicates as u64);
    metrics::counter!(INGEST_EVENTS, "outcome" => "rejected").increment(report.rejected.len() as u64);
}

/// Middleware: records every request's latency in [`HTTP_REQUEST_DURATION`].
/// Applied with `Router::layer`, so the matched path template is known;
/// requests that match no route share the `unmatched` label, which keeps the
/// label set bounded whatever paths clients try.
pub async fn track_requests(request: Request, next: Next) -> Response {
    prometheus();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = method_label(request.method());
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method, "status" => status)
        .record(start.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; anything else is `OTHER` (bounded labels).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN.iter().find(|known| *known == method).map_or("OTHER", |known| known.as_str())
}

/// The readiness threshold: [`READY_MAX_LAG_ENV`], read once per process.
pub fn ready_max_lag() -> i64 {
    static MAX_LAG: OnceLock<i64> = OnceLock::new();
    *MAX_LAG.get_or_init(|| {
        let raw = std::env::var(READY_MAX_LAG_ENV).ok();
        parse_max_lag(raw.as_deref()).unwrap_or_else(|e| {
            tracing::warn!("{e}; using {DEFAULT_READY_MAX_LAG}");
            DEFAULT_READY_MAX_LAG
        })
    })
}

/// Parses the threshold: unset or blank is the default; otherwise a
/// non-negative count of positions.
pub fn parse_max_lag(raw: Option<&str>) -> Result<i64, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(DEFAULT_READY_MAX_LAG),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(format!("{READY_MAX_LAG_ENV}='{text}' is not a non-negative number of positions")),
        },
    }
}

fn unavailable(e: &dyn std::fmt::Display) -> Problem {
    Problem::from(crate::error::AppError::database(e))
}

/// Readiness: 200 when the database answers and every projector is at most
/// [`ready_max_lag`] positions behind the head; else 503 problem+json naming
/// the lagging projectors.
#[utoipa::path(get, path = "/readyz", tag = "ops", operation_id = "readyz", responses(
    (status = 200, description = "Ready: the database answers and every projector is within the lag threshold", body = crate::schemas::Ready),
    (status = 503, description = "Not ready: the database is unavailable, or projectors lag or are stalled (the problem adds `log_head`, `max_lag`, `lagging` and `scoring_stall`)", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
async fn ready(State(state): State<AppState>) -> Result<Response, Problem> {
    let max_lag = ready_max_lag();
    let head = perfledger_store::log::head(&state.pool).await.map_err(|e| unavailable(&e))?;
    let (lag, scoring_stall) =
        perfledger_projections::lag::lag_and_scoring(&state.pool, &perfledger_projections::PROJECTORS)
            .await
            .map_err(|e| unavailable(&e))?;
    let lagging: Vec<&Lag> = lag.iter().filter(|l| l.behind > max_lag || l.stall.is_some()).collect();
    if lagging.is_empty() && scoring_stall.is_none() {
        let body = serde_json::json!({"status": "ready", "log_head": head, "max_lag": max_lag, "projectors": lag});
        return Ok(Json(body).into_response());
    }
    let mut reasons: Vec<String> = lagging
        .iter()
        .map(|l| match &l.stall {
            Some(stall) => format!(
                "projector '{}' is stalled at position {} (event {}): {}",
                l.projector,
                stall.position.unwrap_or_default(),
                stall.event_id.as_deref().unwrap_or("without an id"),
                stall.error
            ),
            None => format!("projector '{}' is {} positions behind the head {}", l.projector, l.behind, l.head),
        })
        .collect();
    if let Some(stall) = &scoring_stall {
        let week = stall.week.map_or_else(|| "?".to_string(), |w| w.to_string());
        reasons.push(format!("scoring is stalled on the week of {week}: {}", stall.error));
    }
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
        format!("not ready: {} (at most {max_lag} allowed, {READY_MAX_LAG_ENV})", reasons.join("; ")),
    );
    let mut body = serde_json::to_value(&problem).expect("problems always serialize");
    body["log_head"] = head.into();
    body["max_lag"] = max_lag.into();
    body["lagging"] = serde_json::to_value(&lagging).expect("lag always serializes");
    body["scoring_stall"] = serde_json::to_value(&scoring_stall).expect("a stall always serializes");
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    Ok(response)
}

/// The Prometheus scrape. Lag and head gauges are refreshed now; when the
/// database does not answer they keep their last values and
/// [`DATABASE_UP`] drops to 0, so the scrape itself still succeeds.
#[utoipa::path(get, path = "/metrics", tag = "ops", operation_id = "metrics", responses(
    (status = 200, description = "Prometheus text format: request latency, projector lag, log head, ingest counters, review tokens by model", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
))]
async fn metrics(State(state): State<AppState>) -> Response {
    let handle = prometheus();
    let lag = perfledger_projections::lag::lag_and_scoring(&state.pool, &perfledger_projections::PROJECTORS).await;
    match lag {
        Ok((lag, scoring)) => {
            metrics::gauge!(DATABASE_UP).set(1.0);
            let head = match lag.first() {
                Some(first) => Ok(first.head),
                None => perfledger_store::log::head(&state.pool).await.map_err(|e| e.to_string()),
            };
            match head {
                Ok(head) => metrics::gauge!(LOG_HEAD).set(head as f64),
                Err(e) => tracing::warn!(error = %e, "reading the log head for /metrics failed"),
            }
            for l in &lag {
                metrics::gauge!(PROJECTOR_BEHIND, "projector" => l.projector.clone()).set(l.behind as f64);
                metrics::gauge!(PROJECTOR_AGE, "projector" => l.projector.clone()).set(l.oldest_unprojected_age_s);
                let stalled = if l.stall.is_some() { 1.0 } else { 0.0 };
                metrics::gauge!(PROJECTOR_STALLED, "projector" => l.projector.clone()).set(stalled);
            }
            let value = if scoring.is_some() { 1.0 } else { 0.0 };
            metrics::gauge!(PROJECTOR_STALLED, "projector" => perfledger_projections::stall::SCORING).set(value);
        }
        Err(e) => {
            tracing::warn!(error = %e, "reading projector lag for /metrics failed");
            metrics::gauge!(DATABASE_UP).set(0.0);
        }
    }
    for task in perfledger_scheduler::supervise::tasks() {
        metrics::counter!(TASK_RESTARTS, "task" => task.task).absolute(task.restarts);
    }
    if let Err(e) = refresh_review_counters(&state.pool).await {
        tracing::warn!(error = %e, "reading review token counts for /metrics failed");
    }
    let mut response = handle.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// Sets the review counters from the review tables (current and history).
async fn refresh_review_counters(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT coalesce(llm_model, 'unknown'), status, count(*),
                coalesce(sum(llm_tokens_in), 0)::bigint, coalesce(sum(llm_tokens_out), 0)::bigint
         FROM (SELECT llm_model, status, llm_tokens_in, llm_tokens_out FROM agent_performance_reviews
               UNION ALL
               SELECT llm_model, status, llm_tokens_in, llm_tokens_out FROM agent_performance_review_history) r
         WHERE status IN ('generated', 'failed')
         GROUP BY 1, 2",
    )
    .fetch_all(pool)
    .await?;
    let mut tokens: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
    for (model, status, count, tokens_in, tokens_out) in rows {
        metrics::counter!(REVIEWS, "model" => model.clone(), "status" => status).absolute(count.max(0) as u64);
        let entry = tokens.entry(model).or_default();
        entry.0 += tokens_in.max(0) as u64;
        entry.1 += tokens_out.max(0) as u64;
    }
    for (model, (tokens_in, tokens_out)) in tokens {
        metrics::counter!(REVIEW_TOKENS, "model" => model.clone(), "direction" => "in").absolute(tokens_in);
        metrics::counter!(REVIEW_TOKENS, "model" => model, "direction" => "out").absolute(tokens_out);
    }
    Ok(())
}

/// Liveness and readiness: answers only when the database does. Also the
/// projectors' lag (D3): positions behind the head and the age of the oldest
/// event not yet projected.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "healthz", responses(
    (status = 200, description = "The database answers; the projectors' lag", body = crate::schemas::Health),
    (status = 503, description = "The database is unavailable", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
pub async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    let unavailable = |e: &dyn std::fmt::Display| Problem::from(crate::error::AppError::database(e));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_lag_defaults_and_parses() {
        assert_eq!(parse_max_lag(None), Ok(DEFAULT_READY_MAX_LAG));
        assert_eq!(parse_max_lag(Some(" ")), Ok(DEFAULT_READY_MAX_LAG));
        assert_eq!(parse_max_lag(Some("0")), Ok(0));
        assert_eq!(parse_max_lag(Some(" 250 ")), Ok(250));
        assert!(parse_max_lag(Some("-1")).unwrap_err().contains(READY_MAX_LAG_ENV));
        assert!(parse_max_lag(Some("lots")).is_err());
    }

    #[test]
    fn methods_outside_the_standard_set_share_a_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }

    #[test]
    fn the_recorder_installs_once_and_renders_ingest_counters() {
        let first = prometheus() as *const PrometheusHandle;
        assert_eq!(first, prometheus() as *const PrometheusHandle);
        let report = IngestReport { accepted: 2, duplicates: 1, ..IngestReport::default() };
        count_ingest(&report);
        let text = prometheus().render();
        assert!(text.contains("perfledger_ingest_events_total{outcome=\"accepted\"}"), "{text}");
        assert!(text.contains("perfledger_ingest_events_total{outcome=\"rejected\"}"), "{text}");
    }
}
