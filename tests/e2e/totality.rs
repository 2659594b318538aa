//! Issue 14, "projections are total": arbitrary catalog envelopes, every
//! field drawn from its whole range and its extremes (and a little beyond,
//! which the edge must refuse by name), go through the real path —
//! validation, the aggregates' decide, the log, every projector and the
//! scoring pass — and every case ends with no panic, nothing stalled and
//! every projector at the head.
//!
//! `PERFLEDGER_TOTALITY_CASES` sets the number of cases (default 2,500;
//! `docs/reliability.md` records a longer run).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use perfledger_domain::parse_envelope_bytes;
use perfledger_projections::PROJECTORS;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::Ingestor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const PEOPLE: [&str; 3] = [
    "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "11111111-2222-4333-8444-555555555555",
    "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
];
const TEAM: &str = "99999999-8888-4777-8666-555555555555";

fn person() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PEOPLE.to_vec())
}

/// Durations in hours: the ends of the range, its finest step, ordinary
/// values, and beyond (refused).
fn hours() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0".to_string()),
        1 => Just("0.000001".to_string()),
        1 => Just("100000".to_string()),
        1 => Just("99999.999999".to_string()),
        8 => (0u32..200).prop_map(|h| format!("{h}.5")),
        1 => Just("100000.000001".to_string()),
        1 => Just("0.0000000000000000000000000001".to_string()),
        1 => Just("79228162514264337593543950335".to_string()),
    ]
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0".to_string()),
        1 => Just("0.0001".to_string()),
        1 => Just("1000000000000000".to_string()),
        8 => (0u64..10_000_000).prop_map(|v| format!("{v}.25")),
        1 => Just("1000000000000000.0001".to_string()),
        1 => Just("70000000000000000000000000000".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[a-zA-Z ]{1,30}",
        1 => Just("é".repeat(200)),
        1 => Just("tab\tand\nnewline".to_string()),
        1 => Just("nul\u{0}inside".to_string()),
        1 => Just("x".repeat(2001)),
    ]
}

/// A time: mostly the last three weeks, sometimes the window's ends.
fn when() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => (0i64..21 * 24 * 60).prop_map(|m| (Utc::now() - Duration::minutes(m)).to_rfc3339()),
        1 => Just("2000-01-01T00:00:00Z".to_string()),
        1 => Just((Utc::now() + Duration::hours(23)).to_rfc3339()),
        1 => Just("1999-12-31T23:59:59Z".to_string()),
        1 => Just("0000-01-01T00:00:00Z".to_string()),
        1 => Just("9999-12-31T23:00:00-05:00".to_string()),
    ]
}

type Body = (&'static str, Value);

/// One entity's life: an event that creates it, then events about it in
/// any order (some out of causal order, which the aggregates refuse by
/// name). The entity id is set per case when the envelopes are built.
fn entity() -> BoxedStrategy<Vec<Body>> {
    fn life(create: BoxedStrategy<Body>, follow: BoxedStrategy<Body>) -> BoxedStrategy<Vec<Body>> {
        (create, proptest::collection::vec(follow, 0..6))
            .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect())
            .boxed()
    }
    let org = proptest::collection::vec(
        prop_oneof![
            (person(), text(), proptest::option::of(text()), any::<bool>()).prop_map(|(p, name, title, active)| (
                "person.upserted",
                json!({"person_id": p, "display_name": name, "title": title, "is_active": active})
            )),
            (person(), proptest::collection::vec("[a-z:]{1,12}", 0..3)).prop_map(|(p, roles)| (
                "person.permissions_set",
                json!({"person_id": p, "roles": roles, "permissions": ["reports"]})
            )),
            (text(), any::<bool>()).prop_map(|(name, active)| (
                "team.upserted",
                json!({"team_id": TEAM, "name": name, "team_type": "support", "is_active": active})
            )),
            (person(), prop::sample::select(vec!["member", "lead", "manager"]), any::<bool>()).prop_map(
                |(p, role, a)| (
                    "team.member_set",
                    json!({"team_id": TEAM, "person_id": p, "role": role, "is_active": a})
                )
            ),
        ],
        1..3,
    )
    .boxed();
    let ticket = life(
        (proptest::option::of(person()), when())
            .prop_map(|(p, due)| {
                ("ticket.opened", json!({"assignee_person_id": p, "sla_due_at": due, "reference": "#1"}))
            })
            .boxed(),
        prop_oneof![
            person().prop_map(|p| ("ticket.assigned", json!({"person_id": p}))),
            text().prop_map(|r| ("ticket.escalated", json!({"reason": r}))),
            proptest::collection::vec("[a-z]{1,8}", 0..4).prop_map(|tags| ("ticket.tagged", json!({"tags": tags}))),
            (person(), prop_oneof![Just(0u64), Just(10_000_000), Just(10_000_001), Just(4_294_967_295)])
                .prop_map(|(p, n)| ("ticket.commented", json!({"person_id": p, "body_chars": n, "internal": false}))),
            text().prop_map(|s| ("ticket.resolved", json!({"summary": s}))),
            Just(("ticket.reopened", json!({}))),
            (0u32..7).prop_map(|r| ("ticket.rated", json!({"rating": r}))),
        ]
        .boxed(),
    );
    let task = life(
        (proptest::option::of(person()), when(), proptest::option::of(hours()))
            .prop_map(|(p, due, h)| {
                (
                    "task.created",
                    json!({"project_id": "P-1", "assignee_person_id": p, "due_at": due, "estimate_hours": h}),
                )
            })
            .boxed(),
        prop_oneof![
            person().prop_map(|p| ("task.assigned", json!({"person_id": p}))),
            Just(("task.blocked", json!({}))),
            Just(("task.unblocked", json!({}))),
            proptest::option::of(hours()).prop_map(|h| ("task.completed", json!({"actual_hours": h}))),
        ]
        .boxed(),
    );
    let work_order = life(
        (proptest::option::of(person()), when(), proptest::option::of(hours()))
            .prop_map(|(p, end, m)| {
                (
                    "work_order.created",
                    json!({"assignee_person_id": p, "scheduled_end": end, "estimated_duration_minutes": m}),
                )
            })
            .boxed(),
        prop_oneof![
            person().prop_map(|p| ("work_order.assigned", json!({"person_id": p}))),
            Just(("work_order.started", json!({}))),
            (person(), 0u32..200)
                .prop_map(|(p, n)| ("work_order.note_added", json!({"person_id": p, "body_chars": n}))),
            text().prop_map(|s| ("work_order.completed", json!({"summary": s}))),
        ]
        .boxed(),
    );
    let conversation = life(
        prop::sample::select(vec!["email", "whatsapp", "sms"])
            .prop_map(|ch| ("conversation.opened", json!({"channel": ch})))
            .boxed(),
        prop_oneof![
            person().prop_map(|p| ("conversation.assigned", json!({"person_id": p}))),
            Just(("conversation.message_received", json!({}))),
            person().prop_map(|p| ("conversation.message_sent", json!({"person_id": p}))),
            text().prop_map(|s| ("conversation.resolved", json!({"summary": s}))),
        ]
        .boxed(),
    );
    let lead = life(
        (person(), amount())
            .prop_map(|(p, v)| ("lead.created", json!({"owner_person_id": p, "estimated_value": v})))
            .boxed(),
        prop_oneof![
            person().prop_map(|p| ("lead.assigned", json!({"person_id": p}))),
            person().prop_map(|p| ("lead.contacted", json!({"person_id": p, "channel": "phone"}))),
            Just(("lead.won", json!({}))),
            text().prop_map(|r| ("lead.lost", json!({"reason": r}))),
        ]
        .boxed(),
    );
    let quote = life(
        (person(), amount()).prop_map(|(p, t)| ("quote.sent", json!({"owner_person_id": p, "total": t}))).boxed(),
        prop_oneof![Just(("quote.accepted", json!({}))), Just(("quote.rejected", json!({})))].boxed(),
    );
    let contact = (person(), proptest::collection::vec("[a-z_]{1,12}", 0..8))
        .prop_map(|(p, f)| vec![("contact.saved", json!({"editor_person_id": p, "filled": f}))])
        .boxed();
    prop_oneof![org, ticket, task, work_order, conversation, lead, quote, contact].boxed()
}

/// The id field of each entity kind's events.
fn id_field(type_name: &str) -> Option<&'static str> {
    Some(match type_name.split('.').next()? {
        "ticket" => "ticket_id",
        "task" => "task_id",
        "work_order" => "work_order_id",
        "conversation" => "conversation_id",
        "lead" => "lead_id",
        "quote" => "quote_id",
        "contact" => "contact_id",
        _ => return None,
    })
}

/// The people and the team every case refers to.
async fn seed_organisation(ingestor: &Ingestor) {
    let at = (Utc::now() - Duration::days(30)).to_rfc3339();
    let mut items = vec![json!({"event_id": "seed-team", "type": "team.upserted", "occurred_at": at,
        "data": {"team_id": TEAM, "name": "Support", "team_type": "support", "is_active": true}})];
    for (i, p) in PEOPLE.iter().enumerate() {
        items.push(json!({"event_id": format!("seed-p{i}"), "type": "person.upserted", "occurred_at": at,
            "data": {"person_id": p, "display_name": format!("Person {i}"), "is_active": true}}));
        items.push(json!({"event_id": format!("seed-m{i}"), "type": "team.member_set", "occurred_at": at,
            "data": {"team_id": TEAM, "person_id": p, "role": "member", "is_active": true}}));
    }
    let parsed: Vec<_> = items.iter().map(|i| parse_envelope_bytes(i.to_string().as_bytes())).collect();
    let report = ingestor.ingest(&parsed).await.unwrap();
    assert_eq!(report.accepted, items.len(), "{report:?}");
}

#[test]
fn arbitrary_catalog_events_never_stop_a_projector() {
    // proptest's nested strategies are deep in a debug build: a roomy stack.
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(run_cases)
        .unwrap()
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

fn run_cases() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let db = runtime.block_on(perfledger_tests::fresh_database());
    let ingestor = Ingestor::new(db.pool.clone(), "proptest");
    runtime.block_on(seed_organisation(&ingestor));
    let cases = std::env::var("PERFLEDGER_TOTALITY_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_500);
    let case = AtomicU64::new(0);
    let (accepted, rejected) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let started = std::time::Instant::now();
    let result =
        runner.run(&proptest::collection::vec((entity(), proptest::collection::vec(when(), 8)), 1..5), |groups| {
            // Each case its own entities: the case and group number are the id.
            let n = case.fetch_add(1, Ordering::Relaxed);
            let mut lines = Vec::new();
            for (g, (events, times)) in groups.iter().enumerate() {
                for (i, (type_name, data)) in events.iter().enumerate() {
                    let mut data = data.clone();
                    if let Some(field) = id_field(type_name) {
                        data[field] = json!(format!("c{n}-g{g}"));
                    }
                    let at = &times[i % times.len()];
                    lines.push(
                    json!({"event_id": format!("c{n}-{g}-{i}"), "type": type_name, "occurred_at": at, "data": data})
                        .to_string(),
                );
                }
            }
            let parsed: Vec<_> = lines.iter().map(|l| parse_envelope_bytes(l.as_bytes())).collect();
            let (report, round, lag) = runtime.block_on(async {
                let report = ingestor.ingest(&parsed).await.expect("a batch of bad items is never a failed batch");
                let round = run_once(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {})
                    .await
                    .expect("a round never fails on data");
                let lag = perfledger_projections::lag::lag(&db.pool, &PROJECTORS).await.unwrap();
                (report, round, lag)
            });
            for item in &report.rejected {
                prop_assert!(!item.field.is_empty(), "a rejection names its field: {item:?}");
            }
            accepted.fetch_add(report.accepted as u64, Ordering::Relaxed);
            rejected.fetch_add(report.rejected.len() as u64, Ordering::Relaxed);
            prop_assert_eq!(round.stalled, 0, "nothing stalls: {:?}", lines);
            for l in lag {
                prop_assert_eq!(l.position, l.head, "{} is at the head", l.projector);
            }
            Ok(())
        });
    let (accepted, rejected) = (accepted.into_inner(), rejected.into_inner());
    eprintln!(
        "{cases} cases: {accepted} events accepted, {rejected} refused by name, in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(accepted > u64::from(cases), "the cases reach the projectors: {accepted} accepted");
}
