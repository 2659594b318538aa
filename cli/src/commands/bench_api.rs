//! `perfledger bench api`: read throughput and latency of the JSON API
//! (issue 5, "Speed") on generated demo data in a scratch database (created
//! and dropped). The data is imported and projected first (not measured);
//! then the router is served in-process on 127.0.0.1:0 without projectors
//! (`serve --no-projectors`) and driven, one route after the other, by
//! `connections` concurrent keep-alive clients for `seconds` each:
//!
//! - `leaderboard`: `GET /api/v1/performance/leaderboard?period=<last full
//!   ISO week>&limit=50`, admin token;
//! - `scorecard`: `GET /api/v1/performance/scores?person_id=<random scored
//!   person>&limit=12`, admin token;
//! - `peer-comparison`: `GET /api/v1/performance/peer-comparison?period=<week>`
//!   with the tokens of a few dozen scored people (self-service through the
//!   `crm:inbox` permission), round robin;
//! - `team-overview-html`: the dashboard page `GET /admin/performance/team?
//!   team_id=<active team, round robin>&period=<week>` (issue 6), rendered
//!   server-side with its inline SVG, signed in by the `perfledger_session`
//!   cookie of an admin;
//! - `agent-detail-html`: `GET /admin/performance/agents/<random scored
//!   person>?period=<week>`, the same way.
//!
//! Prints one JSON array on stdout, one object per route:
//! `{"route", "requests", "requests_per_s", "p50_ms", "p99_ms", "p999_ms", "errors", "max_body_bytes"}`.
//! Latency is per request, from sending to the last byte of the body; a
//! non-2xx status or a transport failure counts as an error (its latency is
//! still recorded). One second of warm-up per route is not measured.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use perfledger_api::auth::{Signer, Verifier};
use perfledger_api::AppState;
use perfledger_domain::period::{iso_week_label, midnight};
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::{Database, Ingestor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use super::bench::{ensure_dir, Scratch};
use crate::commands::import::import_file;
use crate::demo::generate::DemoSpec;

/// Distinct self-service callers of the peer comparison.
const PEER_CALLERS: usize = 40;
const WARM_UP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ApiBenchArgs {
    pub people: u64,
    pub weeks: u32,
    pub seed: u64,
    pub seconds: u64,
    pub connections: usize,
    /// The server's database pool size.
    pub pool_size: u32,
}

#[derive(Debug, Serialize)]
pub struct RouteResult {
    route: &'static str,
    requests: u64,
    requests_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    errors: u64,
    /// The largest response body seen (the weight of an HTML page).
    max_body_bytes: u64,
}

pub async fn bench_api(server: &Database, data_dir: &Path, args: &ApiBenchArgs) -> anyhow::Result<Vec<RouteResult>> {
    let work = tempfile::Builder::new().prefix("perfledger-bench-").tempdir_in(ensure_dir(data_dir)?)?;
    let data = work.path().join("events.ndjson");
    let spec = DemoSpec {
        people: args.people as usize,
        weeks: args.weeks,
        seed: args.seed,
        end_week_monday: crate::demo::this_monday(),
    };
    eprintln!("bench: generating {} people × {} weeks of activity…", args.people, args.weeks);
    let path = data.clone();
    tokio::task::spawn_blocking(move || crate::demo::write_ndjson(&spec, &path)).await??;

    let db = Scratch::create(server, "api").await?;
    let result = measure(&db, &data, args).await;
    db.drop().await?;
    result
}

async fn measure(db: &Scratch, data: &Path, args: &ApiBenchArgs) -> anyhow::Result<Vec<RouteResult>> {
    eprintln!("bench: importing and projecting (not measured)…");
    let summary = import_file(&Ingestor::new(db.pool.clone(), "bench"), data, 10_000, true).await?;
    anyhow::ensure!(summary.rejected == 0, "the generated data had {} rejected lines", summary.rejected);
    run_once(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await?;
    sqlx::query("VACUUM ANALYZE").execute(&db.pool).await?;

    // The last full ISO week, and the people scored in it.
    let week = crate::demo::this_monday() - Days::new(7);
    let period = iso_week_label(week);
    let scored: Vec<Uuid> = sqlx::query_scalar(
        "SELECT person_id FROM agent_performance_snapshots WHERE score_period_start = $1 ORDER BY person_id",
    )
    .bind(midnight(week))
    .fetch_all(&db.pool)
    .await?;
    anyhow::ensure!(!scored.is_empty(), "nobody was scored in {period}");
    eprintln!("bench: {} people scored in {period}", scored.len());

    // The server: the router alone (no projectors), its own pool.
    let pool =
        PgPoolOptions::new().max_connections(args.pool_size).connect_with((*db.pool.connect_options()).clone()).await?;
    let secret = "bench-secret-bench-secret-bench-secret-0123";
    let state = AppState::new(pool.clone(), Verifier::hs256(secret.as_bytes())?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        let timeout = state.limits.options.header_read_timeout;
        perfledger_api::server::serve(listener, perfledger_api::router(state), timeout, std::future::pending()).await
    });

    let signer = Signer::hs256(secret.as_bytes())?;
    let ttl = args.seconds * 3 + 600;
    let admin = signer.token(&Uuid::new_v4().to_string(), &["admin"], &[], ttl);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let callers: Vec<String> = (0..PEER_CALLERS.min(scored.len()))
        .map(|_| {
            let person = scored[rng.gen_range(0..scored.len())];
            signer.token(&person.to_string(), &[], &["crm:inbox"], ttl)
        })
        .collect();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let scored = Arc::new(scored);
    let mut results = Vec::new();

    let leaderboard = format!("{base}/api/v1/performance/leaderboard?period={period}&limit=50");
    let route =
        Route { name: "leaderboard", cookie: false, make: Box::new(move |_| (leaderboard.clone(), admin.clone())) };
    results.push(drive(&client, route, args).await?);

    let admin = signer.token(&Uuid::new_v4().to_string(), &["admin"], &[], ttl);
    let people = scored.clone();
    let scores = format!("{base}/api/v1/performance/scores");
    let route = Route {
        name: "scorecard",
        cookie: false,
        make: Box::new(move |rng| {
            let person = people[rng.gen_range(0..people.len())];
            (format!("{scores}?person_id={person}&limit=12"), admin.clone())
        }),
    };
    results.push(drive(&client, route, args).await?);

    let peer = format!("{base}/api/v1/performance/peer-comparison?period={period}");
    let route = Route {
        name: "peer-comparison",
        cookie: false,
        make: Box::new(move |rng| (peer.clone(), callers[rng.gen_range(0..callers.len())].clone())),
    };
    results.push(drive(&client, route, args).await?);

    // The HTML dashboards (issue 6), signed in with the session cookie.
    let teams: Vec<Uuid> = sqlx::query_scalar("SELECT team_id FROM directory_teams WHERE is_active ORDER BY team_id")
        .fetch_all(&pool)
        .await?;
    anyhow::ensure!(!teams.is_empty(), "the demo organisation has no active team");
    let admin = signer.token(&Uuid::new_v4().to_string(), &["admin"], &[], ttl);
    let team_page = format!("{base}/admin/performance/team?period={period}");
    let session = admin.clone();
    let route = Route {
        name: "team-overview-html",
        cookie: true,
        make: Box::new(move |rng| {
            let team = teams[rng.gen_range(0..teams.len())];
            (format!("{team_page}&team_id={team}"), session.clone())
        }),
    };
    results.push(drive(&client, route, args).await?);

    let people = scored.clone();
    let agent_page = format!("{base}/admin/performance/agents");
    let route = Route {
        name: "agent-detail-html",
        cookie: true,
        make: Box::new(move |rng| {
            let person = people[rng.gen_range(0..people.len())];
            (format!("{agent_page}/{person}?period={period}"), admin.clone())
        }),
    };
    results.push(drive(&client, route, args).await?);

    server.abort();
    pool.close().await;
    Ok(results)
}

type MakeRequest = Box<dyn Fn(&mut ChaCha8Rng) -> (String, String) + Send + Sync>;

/// One route under load: `make` picks the URL and the token of each
/// request, sent as a bearer token or, for pages, as the session cookie.
struct Route {
    name: &'static str,
    cookie: bool,
    make: MakeRequest,
}

#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    max_body_bytes: u64,
    errors: u64,
    first_error: Option<String>,
}

async fn drive(client: &reqwest::Client, route: Route, args: &ApiBenchArgs) -> anyhow::Result<RouteResult> {
    eprintln!("bench: {} for {} s from {} connections…", route.name, args.seconds, args.connections);
    let route = Arc::new(route);
    let started = Instant::now();
    let measure_from = started + WARM_UP;
    let until = measure_from + Duration::from_secs(args.seconds);
    let mut tasks = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let (client, route) = (client.clone(), route.clone());
        let seed = args.seed ^ ((i as u64 + 1) << 32);
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut samples = Samples { micros: Vec::with_capacity(1 << 16), ..Samples::default() };
            loop {
                let (url, token) = (route.make)(&mut rng);
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let request = if route.cookie {
                    client.get(&url).header(reqwest::header::COOKIE, format!("perfledger_session={token}"))
                } else {
                    client.get(&url).bearer_auth(&token)
                };
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(body) if status.is_success() => {
                                samples.max_body_bytes = samples.max_body_bytes.max(body.len() as u64);
                                Ok(())
                            }
                            Ok(body) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                            Err(e) => Err(format!("reading the body: {e}")),
                        }
                    }
                    Err(e) => Err(format!("sending: {e}")),
                };
                if sent < measure_from {
                    continue;
                }
                samples.micros.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                if let Err(e) = outcome {
                    samples.errors += 1;
                    samples.first_error.get_or_insert(e);
                }
            }
            samples
        }));
    }
    let mut all = Samples::default();
    for task in tasks {
        let samples = task.await?;
        all.micros.extend(samples.micros);
        all.max_body_bytes = all.max_body_bytes.max(samples.max_body_bytes);
        all.errors += samples.errors;
        if all.first_error.is_none() {
            all.first_error = samples.first_error;
        }
    }
    let elapsed = (Instant::now().max(until) - measure_from).as_secs_f64();
    if let Some(e) = &all.first_error {
        eprintln!("bench: {}: {} errors; the first: {e}", route.name, all.errors);
    }
    all.micros.sort_unstable();
    let requests = all.micros.len() as u64;
    Ok(RouteResult {
        route: route.name,
        requests,
        requests_per_s: (requests as f64 / elapsed).round(),
        p50_ms: percentile_ms(&all.micros, 0.50),
        p99_ms: percentile_ms(&all.micros, 0.99),
        p999_ms: percentile_ms(&all.micros, 0.999),
        errors: all.errors,
        max_body_bytes: all.max_body_bytes,
    })
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds (2 decimals).
fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    (f64::from(sorted[rank - 1]) / 10.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 0.50), 500.0);
        assert_eq!(percentile_ms(&v, 0.99), 990.0);
        assert_eq!(percentile_ms(&v, 0.999), 999.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
