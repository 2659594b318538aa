//! Operations endpoints against the real binary: `/readyz` (database and
//! projector lag under `PERFLEDGER_READY_MAX_LAG`) and `/metrics` (Prometheus
//! text: request latency, projector lag, log head, ingest counters). Each test
//! runs its own `perfledger serve`, so the process-wide metrics are its own.

use std::time::{Duration, Instant};

use perfledger_api::auth::Signer;
use perfledger_domain::parse_envelope;
use perfledger_projections::PROJECTORS;
use perfledger_store::Ingestor;
use perfledger_tests::{fresh_database, TestDb};
use serde_json::{json, Value};

use crate::support::{problem_content_type, serve_binary, ticket_lifecycle, SECRET};

struct Server {
    child: tokio::process::Child,
    address: String,
    client: reqwest::Client,
}

/// Starts `perfledger serve` on a free port with extra args and env.
async fn serve(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Server {
    let (child, address) = serve_binary(db, args, env).await;
    Server { child, address, client: reqwest::Client::new() }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn post_events(&self, items: &[Value]) -> Value {
        let token = Signer::hs256(SECRET.as_bytes()).unwrap().token("crm", &[], &["ingest"], 600);
        let response =
            self.client.post(self.url("/api/v1/events")).bearer_auth(token).json(&items).send().await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn metrics(&self) -> String {
        let response = self.get("/metrics").await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let content_type = problem_content_type(&response);
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        response.text().await.unwrap()
    }

    async fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status =
            tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.expect("serve stops").unwrap();
        assert!(status.success(), "serve exited with {status}");
    }
}

/// Ingests envelopes through the bulk writer; every one must be accepted.
async fn ingest(db: &TestDb, items: &[Value]) -> i64 {
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db.pool).await.unwrap()
}

/// The value of the one sample named `name` whose labels include every one
/// of `labels` (`key="value"`), in any order.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let matching: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            let label_text = rest.strip_suffix('}')?;
            let present: Vec<&str> = label_text.split(',').filter(|l| !l.is_empty()).collect();
            (metric == name && labels.iter().all(|l| present.contains(l))).then(|| value.parse().unwrap())
        })
        .collect();
    assert!(matching.len() <= 1, "{name} {labels:?} matches several samples:\n{text}");
    matching.first().copied()
}

fn must(text: &str, name: &str, labels: &[&str]) -> f64 {
    sample(text, name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_ready_after_projection_and_503_over_the_lag_threshold() {
    let db = fresh_database().await;
    let mut items = ticket_lifecycle("r1");
    items.extend(ticket_lifecycle("r2"));
    let head = ingest(&db, &items).await;
    assert_eq!(head, 6);

    // No worker and no lag allowed: every projector is the whole log behind.
    let server = serve(&db, &["--no-projectors"], &[("PERFLEDGER_READY_MAX_LAG", "0")]).await;
    let response = server.get("/readyz").await;
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem_content_type(&response), "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 503, "{problem}");
    assert_eq!(problem["max_lag"], 0, "{problem}");
    assert_eq!(problem["log_head"], head, "{problem}");
    let lagging = problem["lagging"].as_array().unwrap_or_else(|| panic!("no lagging: {problem}"));
    let names: Vec<&str> = lagging.iter().map(|p| p["projector"].as_str().unwrap()).collect();
    assert_eq!(names, PROJECTORS.to_vec(), "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    for p in lagging {
        assert_eq!(p["behind"], head, "{p}");
        let name = p["projector"].as_str().unwrap();
        assert!(detail.contains(&format!("projector '{name}' is {head} positions behind")), "{detail}");
    }
    assert!(detail.contains("PERFLEDGER_READY_MAX_LAG"), "{detail}");
    // Liveness is unaffected by lag.
    assert_eq!(server.get("/healthz").await.status(), reqwest::StatusCode::OK);
    server.stop().await;

    // The same backlog is well under the default threshold.
    let server = serve(&db, &["--no-projectors"], &[]).await;
    let response = server.get("/readyz").await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let ready: Value = response.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["max_lag"], 10_000, "{ready}");
    server.stop().await;

    // With the worker, the server becomes ready at threshold 0 once it has projected everything.
    let server = serve(&db, &[], &[("PERFLEDGER_READY_MAX_LAG", "0")]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        let response = server.get("/readyz").await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == reqwest::StatusCode::OK {
            break body;
        }
        assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(Instant::now() < deadline, "never ready in 30 s: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["max_lag"], 0, "{ready}");
    let head = ready["log_head"].as_i64().unwrap();
    let projectors = ready["projectors"].as_array().unwrap();
    assert_eq!(projectors.len(), PROJECTORS.len(), "{ready}");
    for p in projectors {
        assert_eq!(p["behind"], 0, "{p}");
        assert_eq!(p["position"], head, "{p}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_latency_projector_lag_and_ingest_counters() {
    let db = fresh_database().await;
    let server = serve(&db, &["--no-projectors"], &[]).await;

    // Before any ingest, every outcome is exported at 0 and the log is empty.
    let text = server.metrics().await;
    for outcome in ["accepted", "duplicate", "rejected"] {
        let label = format!("outcome=\"{outcome}\"");
        assert_eq!(must(&text, "perfledger_ingest_events_total", &[&label]), 0.0, "{text}");
    }
    assert_eq!(must(&text, "perfledger_log_head", &[]), 0.0);
    // No request has finished yet: this scrape records itself after rendering.
    assert!(!text.contains("perfledger_http_request_duration_seconds_bucket"), "{text}");

    // Three good envelopes and a bad one, then the same batch again.
    let mut batch = ticket_lifecycle("m1");
    batch.push(json!({"event_id": "bad-1", "type": "ticket.opened", "occurred_at": "not a time", "data": {}}));
    let first = server.post_events(&batch).await;
    assert_eq!(first["accepted"], 3, "{first}");
    let second = server.post_events(&batch).await;
    assert_eq!(second["duplicates"], 3, "{second}");
    assert_eq!(server.get("/healthz").await.status(), reqwest::StatusCode::OK);
    assert_eq!(server.get("/no/such/route").await.status(), reqwest::StatusCode::NOT_FOUND);

    let text = server.metrics().await;
    assert_eq!(must(&text, "perfledger_ingest_events_total", &["outcome=\"accepted\""]), 3.0);
    assert_eq!(must(&text, "perfledger_ingest_events_total", &["outcome=\"duplicate\""]), 3.0);
    assert_eq!(must(&text, "perfledger_ingest_events_total", &["outcome=\"rejected\""]), 2.0);

    // Lag gauges, refreshed by the scrape: no worker, so the whole log is behind.
    let head: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db.pool).await.unwrap();
    assert_eq!(head, 3);
    assert_eq!(must(&text, "perfledger_log_head", &[]), head as f64);
    assert_eq!(must(&text, "perfledger_database_up", &[]), 1.0);
    for name in PROJECTORS {
        let label = format!("projector=\"{name}\"");
        assert_eq!(must(&text, "perfledger_projector_behind", &[&label]), head as f64, "{name}");
        let age = must(&text, "perfledger_projector_oldest_unprojected_age_seconds", &[&label]);
        assert!(age >= 0.0, "{name}: {age}");
    }
    assert!(text.contains("# TYPE perfledger_projector_behind gauge"), "{text}");

    // Latency histograms by matched route, method and status.
    let hist = "perfledger_http_request_duration_seconds";
    assert!(text.contains(&format!("# TYPE {hist} histogram")), "{text}");
    let ingest = ["route=\"/api/v1/events\"", "method=\"POST\"", "status=\"200\""];
    assert_eq!(must(&text, &format!("{hist}_count"), &ingest), 2.0);
    assert!(must(&text, &format!("{hist}_sum"), &ingest) > 0.0);
    let inf: Vec<&str> = ingest.iter().copied().chain(["le=\"+Inf\""]).collect();
    assert_eq!(must(&text, &format!("{hist}_bucket"), &inf), 2.0);
    let health = ["route=\"/healthz\"", "method=\"GET\"", "status=\"200\"", "le=\"+Inf\""];
    assert_eq!(must(&text, &format!("{hist}_bucket"), &health), 1.0);
    // The first scrape is recorded too, after it rendered.
    let scrape = ["route=\"/metrics\"", "method=\"GET\"", "status=\"200\""];
    assert_eq!(must(&text, &format!("{hist}_count"), &scrape), 1.0);
    // Unknown paths share one label, whatever was asked.
    let unmatched = ["route=\"unmatched\"", "method=\"GET\"", "status=\"404\""];
    assert_eq!(must(&text, &format!("{hist}_count"), &unmatched), 1.0);
    assert!(!text.contains("/no/such/route"), "{text}");

    // Once projected, the lag gauges drop to zero at the next scrape.
    server.stop().await;
    let server = serve(&db, &[], &[]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = server.metrics().await;
        let caught_up = PROJECTORS.iter().all(|name| {
            let label = format!("projector=\"{name}\"");
            must(&text, "perfledger_projector_behind", &[&label]) == 0.0
                && must(&text, "perfledger_projector_oldest_unprojected_age_seconds", &[&label]) == 0.0
        });
        if caught_up {
            break;
        }
        assert!(Instant::now() < deadline, "lag gauges never reached 0:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.stop().await;
}
