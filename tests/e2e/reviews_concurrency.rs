//! The review worker's concurrency bound (issue 7, "Speed"): only the
//! provider calls are bounded by `review_concurrency`, while claiming,
//! context loading and recording of other jobs overlap them. Against an
//! in-process provider that counts its calls in flight, draining 30 flagged
//! reviews with `review_concurrency` = 3 must reach exactly 3 concurrent
//! calls and never more, and claim at most twice that many jobs at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use perfledger_reviews::config::EnvOverrides;
use perfledger_reviews::flagged::run_flagged;
use perfledger_reviews::worker::{drain, ProviderSource};
use perfledger_reviews::{async_trait, ProviderError, ProviderReply, ProviderRequest, ReviewProvider};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::reviews_support::*;
use crate::support::{envelope, TestApp};

const PEOPLE: usize = 30;
const CONCURRENCY: usize = 3;
const CALL_LATENCY: Duration = Duration::from_millis(60);

/// A provider that answers a valid review after [`CALL_LATENCY`] and records
/// how many calls were in flight at most, and how many jobs were claimed
/// (`running`) at most while a call was in flight.
struct CountingProvider {
    pool: PgPool,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    max_claimed: AtomicUsize,
    calls: AtomicUsize,
}

#[async_trait]
impl ReviewProvider for CountingProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> String {
        MODEL.to_string()
    }

    async fn generate(&self, request: ProviderRequest<'_>) -> Result<ProviderReply, ProviderError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.calls.fetch_add(1, Ordering::SeqCst);
        let claimed: i64 = sqlx::query_scalar("SELECT count(*) FROM review_jobs WHERE status = 'running'")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| ProviderError::Transport(e.to_string()))?;
        self.max_claimed.fetch_max(usize::try_from(claimed).unwrap(), Ordering::SeqCst);
        tokio::time::sleep(CALL_LATENCY).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let references = request.context.references();
        Ok(ProviderReply {
            content: valid_review(references.first().map(String::as_str)),
            tokens_in: 100,
            tokens_out: 50,
            model: MODEL.to_string(),
        })
    }
}

/// `PEOPLE` agents in TEAM, each with one resolved ticket in W45.
async fn crowded_world() -> TestApp {
    let app = TestApp::spawn().await;
    let mut items = vec![envelope(
        "team-support",
        "team.upserted",
        "2026-11-01T07:00:00Z",
        json!({"team_id": TEAM, "name": "Support", "team_type": "support", "is_active": true}),
    )];
    for p in 0..PEOPLE {
        let person = Uuid::from_u128(0xc100_0000_0000_4000_8000_0000_0000_0000 + p as u128).to_string();
        items.push(envelope(
            &format!("person-{p}"),
            "person.upserted",
            "2026-11-01T06:00:00Z",
            json!({"person_id": person, "display_name": format!("Agent {p}"), "is_active": true}),
        ));
        items.push(envelope(
            &format!("member-{p}"),
            "team.member_set",
            "2026-11-01T08:00:00Z",
            json!({"team_id": TEAM, "person_id": person, "role": "member", "is_active": true}),
        ));
        items.extend(ticket(&format!("T{p}"), &person, 2 + (p % 5) as u32, "Cleared the cached session."));
    }
    let parsed: Vec<_> = items.iter().map(|item| perfledger_domain::parse_envelope(&item.to_string())).collect();
    let report = perfledger_store::Ingestor::new(app.db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    project(&app).await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_calls_in_flight_reach_review_concurrency_and_never_exceed_it() {
    let app = crowded_world().await;
    let w45 = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    set(&app, json!({"flagged_threshold": 100, "max_reviews_per_run": PEOPLE}), w45).await;
    project(&app).await;
    // The flagged run looks at the weeks from W45 on.
    sqlx::query("INSERT INTO scheduler_checkpoints (name, value) VALUES ($1, '2026-11-02T00:00:00Z')")
        .bind(perfledger_reviews::flagged::CHECKPOINT)
        .execute(&app.db.pool)
        .await
        .unwrap();
    set(
        &app,
        json!({"review_generation_enabled": true, "review_concurrency": CONCURRENCY, "vllm_timeout_seconds": 5}),
        this_monday(),
    )
    .await;
    let run = run_flagged(&app.db.pool, chrono::Utc::now(), &EnvOverrides::default()).await.unwrap();
    assert_eq!(run.requested, PEOPLE, "{run:?}");
    project(&app).await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM review_jobs WHERE status = 'queued'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queued, PEOPLE as i64);

    let provider = Arc::new(CountingProvider {
        pool: app.db.pool.clone(),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
        max_claimed: AtomicUsize::new(0),
        calls: AtomicUsize::new(0),
    });
    let source = ProviderSource { env: EnvOverrides::default(), fixed: Some(provider.clone()) };
    let report = drain(&app.db.pool, &source, true).await.expect("the worker drains");
    project(&app).await;

    assert_eq!(report.generated, PEOPLE, "{report:?}");
    assert_eq!((report.failed, report.retried, report.stale), (0, 0, 0), "{report:?}");
    assert_eq!(provider.calls.load(Ordering::SeqCst), PEOPLE, "one valid call per review");
    assert_eq!(
        provider.max_in_flight.load(Ordering::SeqCst),
        CONCURRENCY,
        "the provider must see exactly review_concurrency calls at once at the peak"
    );
    let max_claimed = provider.max_claimed.load(Ordering::SeqCst);
    assert!(
        (CONCURRENCY..=2 * CONCURRENCY).contains(&max_claimed),
        "jobs claimed ahead of a permit are bounded by twice the concurrency: {max_claimed}"
    );
    let generated: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_reviews WHERE status = 'generated'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(generated, PEOPLE as i64);
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM review_jobs WHERE status IN ('queued', 'running')")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(open, 0, "every job finished");
}
