//! `perfledger bench reviews` (issue 7, "Speed"): the review pipeline's own
//! cost per review, against an in-process fake OpenAI-compatible server that
//! answers every chat completion after a fixed 300 ms.
//!
//! In a scratch database (created and dropped): `reviews` people in one
//! support team, each with a few resolved tickets in last week; every
//! snapshot is flagged (`flagged_threshold` 100, checked), generation is on
//! with the `openai` provider pointed at the fake server, `review_concurrency`
//! = `concurrency` (≤ 8) and `max_reviews_per_run` = `reviews`.
//! `review_concurrency` bounds the provider calls in flight (the worker keeps
//! up to twice as many jobs in flight so their database work overlaps the
//! calls); the fake server counts the calls it serves at once and the bench
//! fails if it ever saw more than `concurrency`. The week is
//! closed and the flagged run requests every review (not measured); then the
//! worker drains the queue, which is timed: context from PostgreSQL, prompts,
//! the HTTP call, validation, the `review.generated` event.
//!
//! Prints `{"reviews", "concurrency", "max_provider_calls_in_flight",
//! "provider_latency_ms", "wall_s", "overhead_ms_per_review",
//! "first_call_after_ms", "after_last_answer_ms"}` (the last two: the
//! pipeline's fill before the first call and its drain after the last answer,
//! parts of the overhead that do not grow with `reviews`). With `c` calls in
//! flight, a perfect pipeline finishes `n` reviews in `n × 0.3 s / c`; so
//! each review's share of one
//! concurrency slot is `wall_s × c / n`, and what is left after the
//! provider's own 300 ms is perfledger's overhead:
//! `overhead = wall_s × c / n − 0.3 s`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::Json;
use chrono::{Days, NaiveDate, Utc};
use perfledger_domain::aggregates::{ChangeSettings, SettingsAggregate, SETTINGS_AGGREGATE_ID};
use perfledger_domain::parse_envelope;
use perfledger_reviews::config::EnvOverrides;
use perfledger_reviews::worker::{drain, ProviderSource};
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::{Database, Ingestor};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::bench::Scratch;

/// The fake provider's latency per call.
pub const PROVIDER_LATENCY: Duration = Duration::from_millis(300);
const TICKETS_PER_PERSON: usize = 3;

#[derive(Debug, Serialize)]
pub struct ReviewsBench {
    reviews: usize,
    concurrency: usize,
    /// The most chat completions the fake server was answering at once.
    max_provider_calls_in_flight: usize,
    provider_latency_ms: u64,
    wall_s: f64,
    overhead_ms_per_review: f64,
    /// From the start of the drain to the first call (claims, contexts).
    first_call_after_ms: f64,
    /// From the last answer to the end of the drain (recording the last ones).
    after_last_answer_ms: f64,
}

/// The calls the fake server is answering now, the most at once, and when
/// the first call came and the last one was answered.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    first_call: Mutex<Option<Instant>>,
    last_answer: Mutex<Option<Instant>>,
}

/// The fake server's answer: a valid review citing the first sample sent.
async fn fake_completion(State(in_flight): State<Arc<InFlight>>, Json(request): Json<Value>) -> Json<Value> {
    let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
    in_flight.max.fetch_max(now, Ordering::SeqCst);
    in_flight.first_call.lock().expect("not poisoned").get_or_insert_with(Instant::now);
    tokio::time::sleep(PROVIDER_LATENCY).await;
    in_flight.now.fetch_sub(1, Ordering::SeqCst);
    *in_flight.last_answer.lock().expect("not poisoned") = Some(Instant::now());
    let user = request["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let reference = user.find("Ticket #").map(|at| {
        let id: String = user[at + 8..].chars().take_while(|c| c.is_alphanumeric() || *c == '-').collect();
        format!("Ticket #{id}")
    });
    let callouts = match reference {
        Some(r) => {
            json!([{"type": "concern", "reference": r, "observation": "Took longer than the team usually does."}])
        }
        None => json!([]),
    };
    let review = json!({
        "summary": "Below the flag threshold this week, mainly on resolution time.",
        "strengths": ["Tickets were closed with a clear resolution note."],
        "improvements": ["Average resolution time: bring it under the team baseline."],
        "recommendations": [{"priority": "high", "category": "resolution_time",
                             "action": "Escalate blocked tickets within the first hour.",
                             "impact": "Shorter resolution times."}],
        "callouts": callouts,
    });
    Json(json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": review.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1500, "completion_tokens": 400, "total_tokens": 1900},
    }))
}

fn envelope(event_id: String, type_name: &str, occurred_at: String, data: Value) -> Value {
    json!({"event_id": event_id, "type": type_name, "occurred_at": occurred_at, "data": data})
}

/// One team, `people` members, each with resolved tickets in `week`.
fn world(people: usize, week: NaiveDate) -> Vec<Value> {
    let team = Uuid::from_u128(0xbe4c_0000_0000_4000_8000_0000_0000_0001);
    let day = |d: u64, hh: u32, mm: u32| format!("{}T{hh:02}:{mm:02}:00Z", week + Days::new(d));
    let mut items = vec![envelope(
        "bench-team".into(),
        "team.upserted",
        format!("{}T06:00:00Z", week),
        json!({"team_id": team, "name": "Support", "team_type": "support", "is_active": true}),
    )];
    for p in 0..people {
        let person = Uuid::from_u128(0xbe4c_0000_0000_4000_8000_0001_0000_0000 + p as u128);
        items.push(envelope(
            format!("bench-person-{p}"),
            "person.upserted",
            format!("{}T06:00:00Z", week),
            json!({"person_id": person, "display_name": format!("Agent {p}"), "is_active": true}),
        ));
        items.push(envelope(
            format!("bench-member-{p}"),
            "team.member_set",
            format!("{}T06:30:00Z", week),
            json!({"team_id": team, "person_id": person, "role": "member", "is_active": true}),
        ));
        for t in 0..TICKETS_PER_PERSON {
            let id = format!("T-{p}-{t}");
            let d = (t % 5) as u64;
            // Resolution times spread over people, so scores differ.
            let minutes = 20 + (p * 7 + t * 13) % 200;
            items.push(envelope(
                format!("{id}-o"),
                "ticket.opened",
                day(d, 8, 0),
                json!({"ticket_id": id, "reference": format!("#{id}"), "sla_due_at": day(d, 10, 0)}),
            ));
            items.push(envelope(
                format!("{id}-a"),
                "ticket.assigned",
                day(d, 8, 5),
                json!({"ticket_id": id, "person_id": person}),
            ));
            items.push(envelope(
                format!("{id}-r"),
                "ticket.resolved",
                day(d, 8 + (minutes / 60) as u32, (minutes % 60) as u32),
                json!({"ticket_id": id, "summary": format!(
                    "Customer could not reach the portal; cleared the cached session and confirmed access (case {t})."
                )}),
            ));
        }
    }
    items
}

async fn change_settings(
    pool: &sqlx::PgPool,
    changes: Value,
    effective_from: NaiveDate,
    id: &str,
) -> anyhow::Result<()> {
    let command = ChangeSettings {
        actor: "bench".into(),
        changes: changes.as_object().expect("an object").clone().into_iter().collect(),
        effective_from,
        reason: None,
        event_id: format!("bench-settings-{id}"),
        occurred_at: Utc::now(),
    };
    perfledger_store::commands::execute::<SettingsAggregate>(pool, SETTINGS_AGGREGATE_ID, command)
        .await
        .map_err(|e| anyhow::anyhow!("the bench settings were refused: {e}"))
}

pub async fn bench_reviews(server: &Database, reviews: usize, concurrency: usize) -> anyhow::Result<ReviewsBench> {
    let db = Scratch::create(server, "reviews").await?;
    let result = run(&db.pool, reviews, concurrency).await;
    db.drop().await?;
    result
}

async fn run(pool: &sqlx::PgPool, reviews: usize, concurrency: usize) -> anyhow::Result<ReviewsBench> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let in_flight = Arc::new(InFlight::default());
    let fake = axum::Router::new().route("/v1/chat/completions", post(fake_completion)).with_state(in_flight.clone());
    tokio::spawn(async move { axum::serve(listener, fake).await });

    let week = crate::demo::this_monday() - Days::new(7);
    eprintln!("bench: {reviews} people with resolved tickets in the week of {week}…");
    let parsed: Vec<_> = world(reviews, week).iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(pool.clone(), "bench").ingest(&parsed).await?;
    anyhow::ensure!(report.rejected.is_empty(), "generated events were refused: {:?}", report.rejected);
    change_settings(pool, json!({"flagged_threshold": 100, "max_reviews_per_run": reviews}), week, "flag").await?;
    change_settings(
        pool,
        json!({
            "review_generation_enabled": true,
            "llm_provider": "openai",
            "vllm_base_url": format!("http://{address}/v1"),
            "vllm_model": "bench-model",
            "vllm_timeout_seconds": 10,
            "review_concurrency": concurrency,
        }),
        crate::demo::this_monday(),
        "provider",
    )
    .await?;
    run_once(pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await?;
    let flagged = perfledger_reviews::flagged::run_flagged(pool, Utc::now(), &EnvOverrides::default()).await?;
    anyhow::ensure!(
        flagged.requested == reviews,
        "expected {reviews} flagged reviews to be requested, got {flagged:?}"
    );
    run_once(pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await?;
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;

    eprintln!("bench: generating {reviews} reviews, {concurrency} in flight, provider latency {PROVIDER_LATENCY:?}…");
    let started = Instant::now();
    let drained = drain(pool, &ProviderSource::default(), true).await?;
    let wall = started.elapsed().as_secs_f64();
    anyhow::ensure!(drained.generated == reviews, "expected {reviews} generated reviews, got {drained:?}");
    let max_calls = in_flight.max.load(Ordering::SeqCst);
    anyhow::ensure!(
        max_calls <= concurrency,
        "the fake server answered {max_calls} calls at once, over review_concurrency = {concurrency}"
    );
    let ended = Instant::now();
    let overhead = wall * concurrency as f64 / reviews as f64 - PROVIDER_LATENCY.as_secs_f64();
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let first_call = in_flight.first_call.lock().expect("not poisoned").unwrap_or(started);
    let last_answer = in_flight.last_answer.lock().expect("not poisoned").unwrap_or(ended);
    Ok(ReviewsBench {
        reviews,
        concurrency,
        max_provider_calls_in_flight: max_calls,
        provider_latency_ms: PROVIDER_LATENCY.as_millis() as u64,
        wall_s: (wall * 1000.0).round() / 1000.0,
        overhead_ms_per_review: (overhead * 1000.0 * 100.0).round() / 100.0,
        first_call_after_ms: ms(first_call - started),
        after_last_answer_ms: ms(ended.saturating_duration_since(last_answer)),
    })
}
