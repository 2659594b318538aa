//! Issue 14, "projections are total": arbitrary catalog envelopes, every
//! field drawn from its whole range and its extremes (and a little beyond,
//! which the edge must refuse by name), go through the real path —
//! validation, the aggregates' decide, the log, every projector and the
//! scoring pass — and every case ends with no panic, nothing stalled and
//! every projector at the head.
//!
//! `PERFLEDGER_TOTALITY_CASES` sets the number of cases (default 1,500;
//! `docs/reliability.md` records a longer run).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use perfledger_domain::parse_envelope_bytes;
use perfledger_projections::worker::{run_once, DEFAULT_BATCH, PROJECTORS};
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
        Just("0".to_string()),
        Just("0.000001".to_string()),
        Just("100000".to_string()),
        Just("99999.999999".to_string()),
        (0u32..200).prop_map(|h| format!("{h}.5")),
        Just("100000.000001".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("79228162514264337593543950335".to_string()),
    ]
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("0.0001".to_string()),
        Just("1000000000000000".to_string()),
        (0u64..10_000_000).prop_map(|v| format!("{v}.25")),
        Just("1000000000000000.0001".to_string()),
        Just("70000000000000000000000000000".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{1,30}",
        Just("é".repeat(200)),
        Just("tab\tand\nnewline".to_string()),
        Just("nul\u{0}inside".to_string()),
        Just("x".repeat(2001)),
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-D]",
        1 => Just("Ü-".repeat(50)),
        1 => Just("has\u{A0}nbsp".to_string()),
    ]
}

/// A time: mostly the last three weeks, sometimes the window's ends.
fn when() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => (0i64..21 * 24 * 60).prop_map(|m| (Utc::now() - Duration::minutes(m)).to_rfc3339()),
        1 => Just("2000-01-01T00:00:00Z".to_string()),
        1 => Just((Utc::now() + Duration::hours(23)).to_rfc3339()),
        1 => Just("1999-12-31T23:59:59Z".to_string()),
        1 => Just("0000-01-01T00:00:00Z".to_string()),
        1 => Just("9999-12-31T23:00:00-05:00".to_string()),
    ]
}

/// One envelope body of any catalog type, `(type, data)`.
fn activity() -> impl Strategy<Value = (&'static str, Value)> {
    let org = prop_oneof![
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
        (person(), prop::sample::select(vec!["member", "lead", "manager"]), any::<bool>()).prop_map(|(p, role, a)| (
            "team.member_set",
            json!({"team_id": TEAM, "person_id": p, "role": role, "is_active": a})
        )),
    ];
    let support = prop_oneof![
        (id(), proptest::option::of(person()), when()).prop_map(|(t, p, due)| (
            "ticket.opened",
            json!({"ticket_id": t, "assignee_person_id": p, "sla_due_at": due, "reference": "#1"})
        )),
        (id(), person()).prop_map(|(t, p)| ("ticket.assigned", json!({"ticket_id": t, "person_id": p}))),
        (id(), text()).prop_map(|(t, r)| ("ticket.escalated", json!({"ticket_id": t, "reason": r}))),
        (id(), proptest::collection::vec("[a-z]{1,8}", 0..4))
            .prop_map(|(t, tags)| ("ticket.tagged", json!({"ticket_id": t, "tags": tags}))),
        (id(), person(), prop_oneof![Just(0u64), Just(10_000_000), Just(10_000_001), Just(4_294_967_295)]).prop_map(
            |(t, p, n)| (
                "ticket.commented",
                json!({"ticket_id": t, "person_id": p, "body_chars": n, "internal": false})
            )
        ),
        (id(), text()).prop_map(|(t, s)| ("ticket.resolved", json!({"ticket_id": t, "summary": s}))),
        id().prop_map(|t| ("ticket.reopened", json!({"ticket_id": t}))),
        (id(), 0u32..7).prop_map(|(t, r)| ("ticket.rated", json!({"ticket_id": t, "rating": r}))),
    ];
    let work = prop_oneof![
        (id(), proptest::option::of(person()), when(), proptest::option::of(hours())).prop_map(|(k, p, due, h)| (
            "task.created",
            json!({"task_id": k, "project_id": "P-1", "assignee_person_id": p, "due_at": due, "estimate_hours": h})
        )),
        (id(), person()).prop_map(|(k, p)| ("task.assigned", json!({"task_id": k, "person_id": p}))),
        id().prop_map(|k| ("task.blocked", json!({"task_id": k}))),
        id().prop_map(|k| ("task.unblocked", json!({"task_id": k}))),
        (id(), proptest::option::of(hours()))
            .prop_map(|(k, h)| ("task.completed", json!({"task_id": k, "actual_hours": h}))),
        (id(), proptest::option::of(person()), when(), proptest::option::of(hours())).prop_map(|(w, p, end, m)| (
            "work_order.created",
            json!({"work_order_id": w, "assignee_person_id": p, "scheduled_end": end, "estimated_duration_minutes": m})
        )),
        (id(), person()).prop_map(|(w, p)| ("work_order.assigned", json!({"work_order_id": w, "person_id": p}))),
        id().prop_map(|w| ("work_order.started", json!({"work_order_id": w}))),
        (id(), person(), 0u32..200).prop_map(|(w, p, n)| (
            "work_order.note_added",
            json!({"work_order_id": w, "person_id": p, "body_chars": n})
        )),
        (id(), text()).prop_map(|(w, s)| ("work_order.completed", json!({"work_order_id": w, "summary": s}))),
    ];
    let inbox = prop_oneof![
        (id(), prop::sample::select(vec!["email", "whatsapp", "sms"]))
            .prop_map(|(c, ch)| ("conversation.opened", json!({"conversation_id": c, "channel": ch}))),
        (id(), person()).prop_map(|(c, p)| ("conversation.assigned", json!({"conversation_id": c, "person_id": p}))),
        id().prop_map(|c| ("conversation.message_received", json!({"conversation_id": c}))),
        (id(), person())
            .prop_map(|(c, p)| ("conversation.message_sent", json!({"conversation_id": c, "person_id": p}))),
        (id(), text()).prop_map(|(c, s)| ("conversation.resolved", json!({"conversation_id": c, "summary": s}))),
    ];
    let sales = prop_oneof![
        (id(), person(), amount())
            .prop_map(|(l, p, v)| ("lead.created", json!({"lead_id": l, "owner_person_id": p, "estimated_value": v}))),
        (id(), person()).prop_map(|(l, p)| ("lead.assigned", json!({"lead_id": l, "person_id": p}))),
        (id(), person())
            .prop_map(|(l, p)| ("lead.contacted", json!({"lead_id": l, "person_id": p, "channel": "phone"}))),
        id().prop_map(|l| ("lead.won", json!({"lead_id": l}))),
        (id(), text()).prop_map(|(l, r)| ("lead.lost", json!({"lead_id": l, "reason": r}))),
        (id(), person(), amount())
            .prop_map(|(q, p, t)| ("quote.sent", json!({"quote_id": q, "owner_person_id": p, "total": t}))),
        id().prop_map(|q| ("quote.accepted", json!({"quote_id": q}))),
        (id(), person(), proptest::collection::vec("[a-z_]{1,12}", 0..8))
            .prop_map(|(c, p, f)| ("contact.saved", json!({"contact_id": c, "editor_person_id": p, "filled": f}))),
    ];
    prop_oneof![org, support, work, inbox, sales]
}

#[test]
fn arbitrary_catalog_events_never_stop_a_projector() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let db = runtime.block_on(perfledger_tests::fresh_database());
    let ingestor = Ingestor::new(db.pool.clone(), "proptest");
    let cases = std::env::var("PERFLEDGER_TOTALITY_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_500);
    let case = AtomicU64::new(0);
    let (mut accepted, mut rejected) = (0u64, 0u64);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let started = std::time::Instant::now();
    let result = runner.run(&proptest::collection::vec((activity(), when()), 1..12), |items| {
        // Each case its own entities: the case number prefixes every id.
        let n = case.fetch_add(1, Ordering::Relaxed);
        let lines: Vec<String> = items
            .iter()
            .enumerate()
            .map(|(i, ((type_name, data), at))| {
                let mut data = data.clone();
                for key in
                    ["ticket_id", "task_id", "work_order_id", "conversation_id", "lead_id", "quote_id", "contact_id"]
                {
                    if let Some(Value::String(id)) = data.get(key) {
                        data[key] = json!(format!("c{n}-{id}"));
                    }
                }
                json!({"event_id": format!("c{n}-{i}"), "type": type_name, "occurred_at": at, "data": data}).to_string()
            })
            .collect();
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
        accepted += report.accepted as u64;
        rejected += report.rejected.len() as u64;
        prop_assert_eq!(round.stalled, 0, "nothing stalls: {:?}", lines);
        for l in lag {
            prop_assert_eq!(l.position, l.head, "{} is at the head", l.projector);
        }
        Ok(())
    });
    eprintln!(
        "{cases} cases: {accepted} events accepted, {rejected} refused by name, in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(accepted > u64::from(cases), "the cases reach the projectors: {accepted} accepted");
}
