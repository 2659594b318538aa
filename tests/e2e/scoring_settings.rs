//! Scoring against the contract (events-and-metrics.md §3–4), settings as
//! events (D10), goal progress (D14) and projector lag on /healthz (D3): the
//! real binary and the real projection worker against a real database.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::aggregates::{Goal, GoalCommand, GoalCommandEnvelope};
use perfledger_domain::goals::Comparison;
use perfledger_domain::parse_envelope;
use perfledger_domain::scoring::formulas::METRIC_KEYS;
use perfledger_domain::scoring::{round2, Domain};
use perfledger_projections::PROJECTORS;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::commands::execute;
use perfledger_store::Ingestor;
use perfledger_tests::{fresh_database, TestDb};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{envelope, run_perfledger, serve_binary, SECRET};

// ------------------------------------------------------------------ helpers

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn succeeds(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed: {}{}", stdout(output), stderr(output));
}

/// Ingests envelopes through the bulk writer; every one must be accepted.
async fn ingest(pool: &PgPool, items: &[Value]) {
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    assert_eq!(report.accepted, items.len(), "{report:?}");
}

async fn event_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(pool).await.unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// One round of the projection worker, as of `now`.
async fn project_at(pool: &PgPool, now: &str) {
    run_once(pool, DEFAULT_BATCH, at(now), &mut |_, _| {}).await.expect("the projection round succeeds");
}

/// `2026-11-DDTHH:MM:00Z`.
fn t(d: u32, hm: &str) -> String {
    format!("2026-11-{d:02}T{hm}:00Z")
}

fn e(id: &str, type_name: &str, occurred_at: &str, data: Value) -> Value {
    envelope(id, type_name, occurred_at, data)
}

fn person(id: &str, name: &str, active: bool, occurred_at: &str) -> Value {
    e(
        &format!("person-{name}-{occurred_at}"),
        "person.upserted",
        occurred_at,
        json!({"person_id": id, "display_name": name, "is_active": active}),
    )
}

fn team(id: &str, name: &str, team_type: &str) -> Value {
    e(
        &format!("team-{name}"),
        "team.upserted",
        "2026-11-01T07:00:00Z",
        json!({"team_id": id, "name": name, "team_type": team_type, "is_active": true}),
    )
}

fn member(team_id: &str, person_id: &str, role: &str, occurred_at: &str) -> Value {
    e(
        &format!("member-{team_id}-{person_id}"),
        "team.member_set",
        occurred_at,
        json!({"team_id": team_id, "person_id": person_id, "role": role, "is_active": true}),
    )
}

/// A stored snapshot row.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    id: Uuid,
    composite: Decimal,
    domain_scores: Value,
    weights: Value,
    team_id: Option<Uuid>,
    team_type: Option<String>,
    sales_activity_ratio: Option<Decimal>,
    weight_source: String,
    is_flagged: bool,
    updated_at: DateTime<Utc>,
}

type SnapshotRow =
    (Uuid, Decimal, Value, Value, Option<Uuid>, Option<String>, Option<Decimal>, String, bool, DateTime<Utc>);

async fn snapshot(pool: &PgPool, person: &str, week: &str) -> Option<Snapshot> {
    let row: Option<SnapshotRow> = sqlx::query_as(
        "SELECT id, composite_score, domain_scores_json, weights_json, team_id, team_type, sales_activity_ratio,
                weight_source, is_flagged, updated_at
         FROM agent_performance_snapshots WHERE person_id = $1 AND score_period_start = $2",
    )
    .bind(Uuid::parse_str(person).unwrap())
    .bind(at(&format!("{week}T00:00:00Z")))
    .fetch_optional(pool)
    .await
    .unwrap();
    row.map(|r| Snapshot {
        id: r.0,
        composite: r.1,
        domain_scores: r.2,
        weights: r.3,
        team_id: r.4,
        team_type: r.5,
        sales_activity_ratio: r.6,
        weight_source: r.7,
        is_flagged: r.8,
        updated_at: r.9,
    })
}

/// A stored score row: raw and weighted score, metrics_json.
#[derive(Debug, Clone, PartialEq)]
struct ScoreRow {
    id: Uuid,
    raw_score: Decimal,
    weighted_score: Decimal,
    metrics: Value,
    updated_at: DateTime<Utc>,
}

async fn scores(pool: &PgPool, person: &str, week: &str) -> BTreeMap<String, ScoreRow> {
    let rows: Vec<(String, Uuid, Decimal, Decimal, Value, DateTime<Utc>)> = sqlx::query_as(
        "SELECT domain, id, raw_score, weighted_score, metrics_json, updated_at FROM agent_performance_scores
         WHERE person_id = $1 AND score_period_start = $2",
    )
    .bind(Uuid::parse_str(person).unwrap())
    .bind(at(&format!("{week}T00:00:00Z")))
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(domain, id, raw_score, weighted_score, metrics, updated_at)| {
            (domain, ScoreRow { id, raw_score, weighted_score, metrics, updated_at })
        })
        .collect()
}

/// A stored JSON number equals `expected` (both 2-decimal values).
fn assert_number(value: &Value, expected: f64, what: &str) {
    let got = value.as_f64().unwrap_or_else(|| panic!("{what}: expected a number, got {value}"));
    assert!((got - expected).abs() < 1e-9, "{what}: expected {expected}, got {got}");
}

fn assert_optional_number(value: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(value.is_null(), "{what}: expected null, got {value}"),
        Some(expected) => assert_number(value, expected, what),
    }
}

/// `weights_json` equals `expected` (percent per domain).
fn assert_weights(weights: &Value, expected: &[(&str, f64)], what: &str) {
    let object = weights.as_object().unwrap_or_else(|| panic!("{what}: weights_json is not an object: {weights}"));
    assert_eq!(object.len(), expected.len(), "{what}: {weights}");
    for (domain, w) in expected {
        assert_number(&object[*domain], *w, &format!("{what} weight of {domain}"));
    }
}

/// Σ score·w / Σ w over the scored domains, from stored (2-decimal) scores,
/// rounded half-up to 2 decimals; domains missing from `weights` weigh 0.
fn composite_from(scores: &BTreeMap<String, ScoreRow>, weights: &[(&str, i64)]) -> Decimal {
    let weight = |domain: &str| weights.iter().find(|(d, _)| *d == domain).map_or(0, |(_, w)| *w);
    let total: i64 = scores.keys().map(|d| weight(d)).sum();
    let sum: Decimal = scores.iter().map(|(d, s)| s.raw_score * Decimal::from(weight(d))).sum();
    round2(sum / Decimal::from(total))
}

// ------------------------------------------------------------------ 1. settings

const SUPER_SECRET: &str = "sk-live-4f9c2e7d1b6a8e3f0c5d9a2b7e4f1c8d";

/// Issue 16: `settings set --reason` records why; a blank or multi-line
/// reason and a date past the bounds are refused and write nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_cli_records_a_reason_and_bounds_the_effective_date() {
    let db = fresh_database().await;
    let why = run_perfledger(
        &db,
        &[
            "settings",
            "set",
            "peer_comparison_min_team_size",
            "4",
            "--effective-from",
            "2026-11-02",
            "--reason",
            "Privacy",
        ],
    );
    succeeds(&why, "settings set --reason");
    let history = run_perfledger(&db, &["settings", "history"]);
    let last: Value = serde_json::from_str(stdout(&history).lines().last().unwrap()).unwrap();
    assert_eq!(last["change"]["reason"], "Privacy");
    for args in [
        &["settings", "set", "flagged_threshold", "60", "--reason", "  "][..],
        &["settings", "set", "flagged_threshold", "60", "--reason", "two\nlines"][..],
        &["settings", "set", "flagged_threshold", "60", "--effective-from", "2099-01-05"][..],
        &["settings", "set", "flagged_threshold", "60", "--effective-from", "1999-12-27"][..],
    ] {
        let refused = run_perfledger(&db, args);
        assert!(!refused.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("reason") || stderr.contains("effective_from"), "{args:?}: {stderr}");
    }
    assert_eq!(event_count(&db.pool).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_cli_validates_and_records_changes() {
    let db = fresh_database().await;

    let set = run_perfledger(
        &db,
        &["settings", "set", "flagged_threshold", "65", "--effective-from", "2026-11-02", "--actor", "alice"],
    );
    succeeds(&set, "settings set");
    assert!(stdout(&set).contains("flagged_threshold changed, in force from 2026-11-02"), "{}", stdout(&set));
    assert_eq!(event_count(&db.pool).await, 1);

    let get = run_perfledger(&db, &["settings", "get", "flagged_threshold"]);
    succeeds(&get, "settings get");
    assert_eq!(stdout(&get).trim(), "65");
    let before = run_perfledger(&db, &["settings", "get", "flagged_threshold", "--at", "2026-11-01"]);
    succeeds(&before, "settings get --at");
    assert_eq!(stdout(&before).trim(), "70", "the day before effective_from has the default");
    let on = run_perfledger(&db, &["settings", "get", "flagged_threshold", "--at", "2026-11-02"]);
    assert_eq!(stdout(&on).trim(), "65", "in force from the start of effective_from's day");

    let history = run_perfledger(&db, &["settings", "history"]);
    succeeds(&history, "settings history");
    let lines: Vec<Value> = stdout(&history).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{}", stdout(&history));
    assert_eq!(lines[0]["change"]["actor"], "alice");
    assert_eq!(lines[0]["change"]["changes"], json!({"flagged_threshold": 65}));
    assert_eq!(lines[0]["change"]["effective_from"], "2026-11-02");
    assert!(lines[0]["change"].get("reason").is_none(), "no --reason, no reason");
    assert_eq!(lines[0]["global_position"], 1);

    // Bad input: non-zero exit, one line naming the setting and the reason, nothing written.
    let bad: &[(&str, &str, &[&str])] = &[
        ("no_such_setting", "1", &["settings.no_such_setting", "is not a setting"]),
        ("flagged_threshold", "sixty-five", &["flagged_threshold", "is not JSON"]),
        ("flagged_threshold", "101", &["settings.flagged_threshold", "integer from 0 to 100", "101"]),
        ("flagged_threshold", "-1", &["settings.flagged_threshold", "integer from 0 to 100"]),
        ("flagged_threshold", "65.5", &["settings.flagged_threshold", "integer"]),
        (
            "domain_weights",
            r#"{"support": 50, "marketing": 50}"#,
            &["settings.domain_weights", "'marketing' is not a domain"],
        ),
        ("domain_weights", r#"{"support": -5, "sales": 10}"#, &["settings.domain_weights", "weight of support", "-5"]),
        (
            "domain_weights_support",
            r#"{"support": 0, "communication": 0}"#,
            &["settings.domain_weights_support", "sum is greater than 0"],
        ),
        ("domain_weights", "{}", &["settings.domain_weights", "sum is greater than 0"]),
        ("domain_weights", "[20, 15]", &["settings.domain_weights", "object of weights"]),
        ("vllm_api_key", r#""""#, &["settings.vllm_api_key", "non-empty string"]),
        ("vllm_api_key", SUPER_SECRET, &["vllm_api_key", "is not JSON"]),
        ("vllm_api_key", "98765432109876543", &["settings.vllm_api_key", "value not shown"]),
    ];
    for (key, value, fragments) in bad {
        let output = run_perfledger(&db, &["settings", "set", key, value]);
        let err = stderr(&output);
        assert!(!output.status.success(), "settings set {key} {value} must fail: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line for {key} {value}: {err}");
        for fragment in *fragments {
            assert!(err.contains(fragment), "settings set {key} {value}: {err:?} should contain {fragment:?}");
        }
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        assert!(!err.contains(SUPER_SECRET) && !err.contains("98765432109876543"), "a secret was echoed: {err}");
        assert_eq!(event_count(&db.pool).await, 1, "settings set {key} {value} wrote an event");
    }
    // The aggregate's own rule (after the database is open) also writes nothing.
    let blank_actor = run_perfledger(&db, &["settings", "set", "flagged_threshold", "60", "--actor", "  "]);
    assert!(!blank_actor.status.success());
    assert_eq!(stderr(&blank_actor).trim().lines().count(), 1, "{}", stderr(&blank_actor));
    assert!(stderr(&blank_actor).contains("actor:"), "{}", stderr(&blank_actor));
    assert_eq!(event_count(&db.pool).await, 1);

    // A secret is recorded, masked everywhere, shown only on request.
    let quoted = format!("\"{SUPER_SECRET}\"");
    let set_key = run_perfledger(&db, &["settings", "set", "vllm_api_key", &quoted, "--actor", "bob"]);
    succeeds(&set_key, "settings set vllm_api_key");
    assert_eq!(event_count(&db.pool).await, 2);
    let mut outputs = vec![set_key];
    let get_key = run_perfledger(&db, &["settings", "get", "vllm_api_key"]);
    assert_eq!(stdout(&get_key).trim(), "\"********\"");
    outputs.push(get_key);
    let get_all = run_perfledger(&db, &["settings", "get"]);
    let all: Value = serde_json::from_str(&stdout(&get_all)).unwrap();
    assert_eq!(all["vllm_api_key"], "********");
    assert_eq!(all["flagged_threshold"], 65);
    outputs.push(get_all);
    let history = run_perfledger(&db, &["settings", "history"]);
    let lines: Vec<Value> = stdout(&history).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["change"]["actor"], "bob");
    assert_eq!(lines[1]["change"]["changes"]["vllm_api_key"], "********");
    outputs.push(history);
    for output in &outputs {
        assert!(output.status.success(), "{}", stderr(output));
        let text = format!("{}{}", stdout(output), stderr(output));
        assert!(!text.contains(SUPER_SECRET), "the API key leaked: {text}");
    }
    let revealed = run_perfledger(&db, &["settings", "get", "vllm_api_key", "--reveal-secrets"]);
    assert_eq!(stdout(&revealed).trim(), quoted);

    // The audit trail names the actors, never the secret.
    run_once(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await.expect("the projection round succeeds");
    let audit: Vec<(Option<String>, String, Value)> = sqlx::query_as(
        "SELECT actor, action, details FROM audit_log WHERE target = 'settings' ORDER BY global_position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0].0.as_deref(), Some("alice"));
    assert_eq!(audit[0].1, "settings.changed");
    assert_eq!(audit[1].0.as_deref(), Some("bob"));
    assert!(!audit[1].2.to_string().contains(SUPER_SECRET));
}

// ------------------------------------------------------------------ a small support world

const T_SUPPORT: &str = "5a000000-0000-4000-8000-000000000001";
const S: &str = "5a000000-0000-4000-8000-0000000000a1";
const N: &str = "5a000000-0000-4000-8000-0000000000b1";

/// A support team with one member, S, and N who is in no team.
fn support_org() -> Vec<Value> {
    vec![
        team(T_SUPPORT, "Support", "support"),
        person(S, "Sam", true, "2026-11-01T07:30:00Z"),
        person(N, "Noa", true, "2026-11-01T07:30:00Z"),
        member(T_SUPPORT, S, "member", "2026-11-01T08:00:00Z"),
    ]
}

/// S's week starting Monday `monday` (activity on the Tuesday). S is alone
/// in the support team's pool, so every team average is S's own value:
/// resolution time and first response score 0 of 30/25 (x / team(x) = 1),
/// volume 25 (min(1, 1)), channel coverage 20 (1 of 1 channel).
/// - support = (sla_met ? 40 : 0) + 0 + 20 (not escalated) + 10·rating/5
/// - communication = 0 + 0 + 25 + 20 = 45
/// - data_quality = tagging 20 · (tagged ? 1 : 0) / 2 resolutions (ticket + conversation)
fn s_week(monday: u32, sla_met: bool, tagged: bool, rating: u8) -> Vec<Value> {
    let d = monday + 1;
    let ticket = format!("S-T-{monday}");
    let conversation = format!("S-C-{monday}");
    let due = if sla_met { t(d, "12:00") } else { t(d, "09:30") };
    let mut items = vec![e(
        &format!("{ticket}-o"),
        "ticket.opened",
        &t(d, "09:00"),
        json!({"ticket_id": ticket, "sla_due_at": due, "assignee_person_id": S}),
    )];
    if tagged {
        items.push(e(
            &format!("{ticket}-t"),
            "ticket.tagged",
            &t(d, "09:10"),
            json!({"ticket_id": ticket, "tags": ["vip"]}),
        ));
    }
    items.extend([
        e(&format!("{ticket}-r"), "ticket.resolved", &t(d, "10:00"), json!({"ticket_id": ticket})),
        e(&format!("{ticket}-s"), "ticket.rated", &t(d, "10:30"), json!({"ticket_id": ticket, "rating": rating})),
        e(
            &format!("{conversation}-o"),
            "conversation.opened",
            &t(d, "11:00"),
            json!({"conversation_id": conversation, "channel": "email"}),
        ),
        e(
            &format!("{conversation}-a"),
            "conversation.assigned",
            &t(d, "11:00"),
            json!({"conversation_id": conversation, "person_id": S}),
        ),
        e(
            &format!("{conversation}-m"),
            "conversation.message_received",
            &t(d, "11:00"),
            json!({"conversation_id": conversation}),
        ),
        e(
            &format!("{conversation}-s"),
            "conversation.message_sent",
            &t(d, "11:15"),
            json!({"conversation_id": conversation, "person_id": S}),
        ),
        e(
            &format!("{conversation}-r"),
            "conversation.resolved",
            &t(d, "11:45"),
            json!({"conversation_id": conversation}),
        ),
    ]);
    items
}

/// N's week (activity on the Wednesday), alone in the no-team pool:
/// support = (sla_met ? 40 : 0) + 0 + 20 + 0 (no rating), communication 45,
/// data_quality 0 (no tags, no saves, no notes).
fn n_week(monday: u32, sla_met: bool) -> Vec<Value> {
    let d = monday + 2;
    let ticket = format!("N-T-{monday}");
    let conversation = format!("N-C-{monday}");
    let mut opened = json!({"ticket_id": ticket, "assignee_person_id": N});
    if sla_met {
        opened["sla_due_at"] = json!(t(d, "17:00"));
    }
    vec![
        e(&format!("{ticket}-o"), "ticket.opened", &t(d, "09:00"), opened),
        e(&format!("{ticket}-r"), "ticket.resolved", &t(d, "11:00"), json!({"ticket_id": ticket})),
        e(
            &format!("{conversation}-o"),
            "conversation.opened",
            &t(d, "12:00"),
            json!({"conversation_id": conversation, "channel": "phone"}),
        ),
        e(
            &format!("{conversation}-a"),
            "conversation.assigned",
            &t(d, "12:00"),
            json!({"conversation_id": conversation, "person_id": N}),
        ),
        e(
            &format!("{conversation}-m"),
            "conversation.message_received",
            &t(d, "12:00"),
            json!({"conversation_id": conversation}),
        ),
        e(
            &format!("{conversation}-s"),
            "conversation.message_sent",
            &t(d, "12:30"),
            json!({"conversation_id": conversation, "person_id": N}),
        ),
        e(
            &format!("{conversation}-r"),
            "conversation.resolved",
            &t(d, "13:00"),
            json!({"conversation_id": conversation}),
        ),
    ]
}

/// Weeks of 2026-11-02 and 2026-11-09 for S and N.
fn two_weeks() -> Vec<Value> {
    let mut items = support_org();
    items.extend(s_week(2, true, false, 5));
    items.extend(n_week(2, false));
    items.extend(s_week(9, false, true, 4));
    items.extend(n_week(9, true));
    items
}

// ------------------------------------------------------------------ 2. backdated weights

#[tokio::test]
async fn a_backdated_weight_change_rescores_exactly_the_weeks_from_its_date() {
    let db = fresh_database().await;
    let mut items = two_weeks();
    items.extend(s_week(16, true, true, 3));
    ingest(&db.pool, &items).await;
    succeeds(&run_perfledger(&db, &["project", "--once"]), "project --once");

    const W1: &str = "2026-11-02";
    const W2: &str = "2026-11-09";
    const W3: &str = "2026-11-16";
    // Built-in support weights (30/10/5/30/15/10) over support, communication
    // and data_quality (Σ 70):
    // W1: S support 40+0+20+10 = 70, communication 45, data_quality 0 → (70·30 + 45·30 + 0·10)/70 = 49.2857 → 49.29
    // W2: S support 0+0+20+8 = 28, communication 45, data_quality 10 → (840 + 1350 + 100)/70 = 32.714 → 32.71
    // W3: S support 40+0+20+6 = 66, communication 45, data_quality 10 → (1980 + 1350 + 100)/70 = 49.00
    // N (no team, default weights 20/15/15/20/20/10 over support, communication, data_quality, Σ 50):
    // W1: support 20, communication 45 → (400 + 900)/50 = 26; W2: support 60 → (1200 + 900)/50 = 42.
    let expected_before = [(S, W1, "49.29"), (S, W2, "32.71"), (S, W3, "49.00"), (N, W1, "26.00"), (N, W2, "42.00")];
    let mut before = BTreeMap::new();
    for (who, week, composite) in expected_before {
        let snap = snapshot(&db.pool, who, week).await.unwrap_or_else(|| panic!("no snapshot for {who} {week}"));
        assert_eq!(snap.composite, dec(composite), "{who} {week}");
        before.insert((who, week), (snap, scores(&db.pool, who, week).await));
    }
    let s_w2 = &before[&(S, W2)].0;
    assert_eq!(s_w2.weight_source, "team_type");
    assert_eq!(s_w2.team_type.as_deref(), Some("support"));
    assert_weights(
        &s_w2.weights,
        &[("support", 42.86), ("communication", 42.86), ("data_quality", 14.29)],
        "S W2 before",
    );
    assert_eq!(before[&(N, W2)].0.weight_source, "default");

    // Timestamps of a rescore must be distinguishable from the first pass.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let set = run_perfledger(
        &db,
        &[
            "settings",
            "set",
            "domain_weights_support",
            r#"{"support":50,"communication":50}"#,
            "--effective-from",
            W2,
            "--actor",
            "carol",
        ],
    );
    succeeds(&set, "settings set domain_weights_support");
    succeeds(&run_perfledger(&db, &["project", "--once"]), "project --once after the change");

    // Week 1 is untouched: same ids, values and updated_at.
    for who in [S, N] {
        let (snap, rows) = &before[&(who, W1)];
        assert_eq!(snapshot(&db.pool, who, W1).await.as_ref(), Some(snap), "{who} week 1 snapshot changed");
        assert_eq!(&scores(&db.pool, who, W1).await, rows, "{who} week 1 scores changed");
    }
    // The no-team person is untouched in every week.
    let (n_snap, n_rows) = &before[&(N, W2)];
    assert_eq!(snapshot(&db.pool, N, W2).await.as_ref(), Some(n_snap));
    assert_eq!(&scores(&db.pool, N, W2).await, n_rows);

    // Weeks 2 and 3: the new map replaces the built-in column; data_quality
    // is scored but weighs 0. composite = (support·50 + communication·50 + dq·0)/100.
    for (week, composite) in [(W2, "36.50"), (W3, "55.50")] {
        let (old, old_rows) = &before[&(S, week)];
        let new = snapshot(&db.pool, S, week).await.unwrap();
        let rows = scores(&db.pool, S, week).await;
        assert_eq!(new.id, old.id, "a rescore keeps the row id");
        assert!(new.updated_at > old.updated_at, "{week}: updated_at did not move");
        assert_eq!(new.composite, dec(composite), "{week}");
        assert_eq!(
            new.composite,
            composite_from(&rows, &[("support", 50), ("communication", 50)]),
            "{week}: the composite is not Σ score·w / Σ w over the stored scores"
        );
        assert_ne!(new.composite, old.composite);
        assert_eq!(new.weight_source, "team_type");
        assert_eq!(new.team_id, Some(Uuid::parse_str(T_SUPPORT).unwrap()));
        assert_weights(&new.weights, &[("support", 50.0), ("communication", 50.0), ("data_quality", 0.0)], week);
        assert_eq!(new.domain_scores, old.domain_scores, "{week}: domain scores do not depend on weights");
        // Raw scores and metrics are unchanged; weighted scores follow the new weights.
        assert_eq!(rows.keys().collect::<Vec<_>>(), old_rows.keys().collect::<Vec<_>>());
        for (domain, row) in &rows {
            let old_row = &old_rows[domain];
            assert_eq!(row.id, old_row.id);
            assert_eq!(row.raw_score, old_row.raw_score);
            assert_eq!(row.metrics, old_row.metrics);
            let w = match domain.as_str() {
                "support" | "communication" => Decimal::from(50),
                _ => Decimal::ZERO,
            };
            assert_eq!(row.weighted_score, round2(row.raw_score * w / Decimal::from(100)), "{week} {domain}");
        }
    }
    assert!(snapshot(&db.pool, S, W2).await.unwrap().is_flagged, "36.50 is below the default threshold 70");
}

// ------------------------------------------------------------------ 3. the hand-computed world

const T_SUP: &str = "3c000000-0000-4000-8000-0000000000f1";
const T_OTH: &str = "3c000000-0000-4000-8000-0000000000f2";
const A: &str = "3c000000-0000-4000-8000-00000000000a";
const B: &str = "3c000000-0000-4000-8000-00000000000b";
const C: &str = "3c000000-0000-4000-8000-00000000000c";
const D: &str = "3c000000-0000-4000-8000-00000000000d";
const E: &str = "3c000000-0000-4000-8000-00000000000e";

fn ticket(id: &str, opened: &str, sla_due_at: Option<&str>, assignee: Option<&str>) -> Value {
    let mut data = json!({"ticket_id": id});
    if let Some(due) = sla_due_at {
        data["sla_due_at"] = json!(due);
    }
    if let Some(p) = assignee {
        data["assignee_person_id"] = json!(p);
    }
    e(&format!("{id}-o"), "ticket.opened", opened, data)
}

fn ticket_event(id: &str, suffix: &str, type_name: &str, occurred_at: &str, extra: Value) -> Value {
    let mut data = json!({"ticket_id": id});
    for (k, v) in extra.as_object().unwrap() {
        data[k] = v.clone();
    }
    e(&format!("{id}-{suffix}"), type_name, occurred_at, data)
}

fn conversation_event(id: &str, suffix: &str, type_name: &str, occurred_at: &str, extra: Value) -> Value {
    let mut data = json!({"conversation_id": id});
    for (k, v) in extra.as_object().unwrap() {
        data[k] = v.clone();
    }
    e(&format!("{id}-{suffix}"), type_name, occurred_at, data)
}

/// The week of 2026-11-02 (Mon 2 … Sun 8). See the test for the arithmetic.
fn hand_world() -> Vec<Value> {
    let mut v = vec![
        team(T_SUP, "Support", "support"),
        team(T_OTH, "Back office", "other"),
        person(A, "Ada", true, "2026-11-01T07:30:00Z"),
        person(B, "Ben", true, "2026-11-01T07:30:00Z"),
        person(C, "Cy", true, "2026-11-01T07:30:00Z"),
        person(D, "Dee", true, "2026-11-01T07:30:00Z"),
        person(E, "Eve", true, "2026-11-01T07:30:00Z"),
        member(T_SUP, A, "member", "2026-11-01T08:00:00Z"),
        member(T_SUP, B, "member", "2026-11-01T08:00:00Z"),
        member(T_SUP, C, "member", "2026-11-01T08:00:00Z"),
        member(T_SUP, E, "member", "2026-11-01T08:00:00Z"),
        member(T_OTH, C, "lead", "2026-11-01T08:00:00Z"),
    ];
    // ---- tickets
    v.extend([
        ticket("TA1", &t(2, "09:00"), Some(&t(2, "12:00")), Some(A)),
        ticket_event("TA1", "t", "ticket.tagged", &t(2, "09:30"), json!({"tags": ["billing"]})),
        ticket_event(
            "TA1",
            "c",
            "ticket.commented",
            &t(2, "09:40"),
            json!({"person_id": A, "body_chars": 60, "internal": false}),
        ),
        ticket_event("TA1", "r", "ticket.resolved", &t(2, "10:00"), json!({})),
        ticket_event("TA1", "s", "ticket.rated", &t(2, "11:00"), json!({"rating": 5})),
        ticket("TA2", &t(3, "09:00"), Some(&t(3, "10:00")), None),
        ticket_event("TA2", "a", "ticket.assigned", &t(3, "09:10"), json!({"person_id": A})),
        ticket_event(
            "TA2",
            "c",
            "ticket.commented",
            &t(3, "09:20"),
            json!({"person_id": A, "body_chars": 80, "internal": true}),
        ),
        ticket_event("TA2", "r", "ticket.resolved", &t(3, "11:00"), json!({})),
        ticket_event("TA2", "s", "ticket.rated", &t(3, "12:00"), json!({"rating": 3})),
        ticket("TB1", &t(2, "13:00"), None, Some(B)),
        ticket_event("TB1", "e", "ticket.escalated", &t(2, "14:00"), json!({"reason": "needs tier 2"})),
        ticket_event("TB1", "r", "ticket.resolved", &t(2, "16:00"), json!({})),
        ticket("TC1", &t(4, "09:00"), Some(&t(4, "17:00")), Some(C)),
        ticket_event("TC1", "t", "ticket.tagged", &t(4, "09:10"), json!({"tags": ["x", "y"]})),
        ticket_event(
            "TC1",
            "c",
            "ticket.commented",
            &t(4, "09:20"),
            json!({"person_id": C, "body_chars": 250, "internal": false}),
        ),
        ticket_event("TC1", "r", "ticket.resolved", &t(4, "09:30"), json!({})),
        ticket_event("TC1", "s", "ticket.rated", &t(4, "12:00"), json!({"rating": 4})),
        ticket("TD1", &t(5, "09:00"), Some(&t(5, "10:00")), Some(D)),
        ticket_event("TD1", "r", "ticket.resolved", &t(5, "10:30"), json!({})),
        ticket("TE1", &t(3, "08:00"), None, Some(E)),
        ticket_event("TE1", "r", "ticket.resolved", &t(3, "18:00"), json!({})),
    ]);
    // ---- conversations
    let conv =
        |id: &str, channel: &str, opened: &str, agent: &str, steps: &[(&str, String)], resolved: Option<&str>| {
            let mut items = vec![
                conversation_event(id, "o", "conversation.opened", opened, json!({"channel": channel})),
                conversation_event(id, "a", "conversation.assigned", opened, json!({"person_id": agent})),
            ];
            for (i, (kind, when)) in steps.iter().enumerate() {
                items.push(match *kind {
                    "in" => conversation_event(id, &format!("in{i}"), "conversation.message_received", when, json!({})),
                    "out" => conversation_event(
                        id,
                        &format!("out{i}"),
                        "conversation.message_sent",
                        when,
                        json!({"person_id": agent}),
                    ),
                    tag => {
                        conversation_event(id, &format!("tag{i}"), "conversation.tagged", when, json!({"tags": [tag]}))
                    }
                });
            }
            if let Some(when) = resolved {
                items.push(conversation_event(id, "r", "conversation.resolved", when, json!({})));
            }
            items
        };
    v.extend(conv(
        "CA1",
        "email",
        &t(2, "09:00"),
        A,
        &[
            ("in", t(2, "09:00")),
            ("out", t(2, "09:20")),
            ("in", t(2, "09:30")),
            ("out", t(2, "09:40")),
            ("t", t(2, "09:50")),
        ],
        Some(&t(2, "10:00")),
    ));
    v.extend(conv(
        "CA2",
        "whatsapp",
        &t(3, "10:00"),
        A,
        &[("in", t(3, "10:00")), ("out", t(3, "10:30"))],
        Some(&t(3, "11:00")),
    ));
    v.extend(conv(
        "CB1",
        "chat_widget",
        &t(2, "12:00"),
        B,
        &[("in", t(2, "12:00")), ("out", t(2, "12:40"))],
        Some(&t(2, "13:30")),
    ));
    v.extend(conv(
        "CC1",
        "email",
        &t(4, "10:00"),
        C,
        &[("in", t(4, "10:00")), ("out", t(4, "10:10"))],
        Some(&t(4, "10:40")),
    ));
    v.extend(conv("CC2", "sms", &t(4, "11:00"), C, &[], None));
    v.extend(conv(
        "CD1",
        "phone",
        &t(5, "09:00"),
        D,
        &[
            ("in", t(5, "09:00")),
            ("out", t(5, "09:30")),
            ("in", t(5, "09:45")),
            ("out", t(5, "10:15")),
            ("z", t(5, "10:30")),
        ],
        Some(&t(5, "11:00")),
    ));
    v.extend(conv(
        "CE1",
        "instagram_dm",
        &t(3, "09:00"),
        E,
        &[("in", t(3, "09:00")), ("out", t(3, "09:05"))],
        Some(&t(3, "09:10")),
    ));
    // ---- records
    let save = |kind: &str, id: &str, editor: &str, when: &str, filled: &[&str]| {
        let (type_name, id_field) =
            if kind == "contact" { ("contact.saved", "contact_id") } else { ("organization.saved", "organization_id") };
        let mut data = json!({"editor_person_id": editor, "filled": filled});
        data[id_field] = json!(id);
        e(&format!("{id}-{editor}-{when}"), type_name, when, data)
    };
    let all_contact = ["email", "phone", "first_name", "last_name", "city", "country_code"];
    v.extend([
        save("contact", "K1", A, &t(2, "10:00"), &["email", "phone"]),
        save("contact", "K2", B, &t(2, "11:00"), &all_contact),
        save("organization", "O1", A, &t(2, "12:00"), &["name", "phone", "email", "domain", "industry"]),
        save("contact", "K1", A, &t(3, "10:00"), &["email", "phone", "first_name", "last_name", "nickname"]),
        save("contact", "K1", B, &t(4, "10:00"), &["email"]),
        save("contact", "K3", C, &t(4, "13:00"), &all_contact),
        save(
            "organization",
            "O2",
            C,
            &t(4, "14:00"),
            &["name", "phone", "email", "domain", "industry", "city", "country_code"],
        ),
    ]);
    // ---- sales
    v.push(e(
        "L1-c",
        "lead.created",
        &t(3, "15:00"),
        json!({"lead_id": "L1", "owner_person_id": B, "estimated_value": "1000"}),
    ));
    // ---- E leaves on Thursday: inactive at the end of the week.
    v.push(person(E, "Eve", false, &t(5, "12:00")));
    v
}

/// (person, domain, metric key, raw_value, team_baseline, points): every
/// metric of every scored domain, from the arithmetic in the test below.
#[allow(clippy::type_complexity)]
const EXPECTED_METRICS: &[(&str, &str, &str, Option<f64>, Option<f64>, f64)] = &[
    (A, "support", "sla_compliance_rate", Some(0.5), None, 20.0),
    (A, "support", "avg_resolution_minutes", Some(90.0), Some(100.0), 3.0),
    (A, "support", "escalation_rate", Some(0.0), None, 20.0),
    (A, "support", "csat_avg_rating", Some(4.0), None, 8.0),
    (A, "communication", "avg_first_response_minutes", Some(20.0), Some(23.33), 4.29),
    (A, "communication", "avg_resolution_minutes", Some(60.0), Some(63.33), 1.32),
    (A, "communication", "conversations_resolved", Some(2.0), Some(1.33), 25.0),
    (A, "communication", "channel_coverage", Some(0.5), None, 10.0),
    (A, "data_quality", "contact_completeness", Some(0.67), None, 26.67),
    (A, "data_quality", "organization_completeness", Some(0.71), None, 17.86),
    (A, "data_quality", "tagging_rate", Some(0.5), None, 10.0),
    (A, "data_quality", "note_thoroughness", Some(70.0), None, 10.5),
    (B, "support", "sla_compliance_rate", Some(0.0), None, 0.0),
    (B, "support", "avg_resolution_minutes", Some(180.0), Some(100.0), 0.0),
    (B, "support", "escalation_rate", Some(1.0), None, 0.0),
    (B, "support", "csat_avg_rating", Some(0.0), None, 0.0),
    (B, "communication", "avg_first_response_minutes", Some(40.0), Some(23.33), 0.0),
    (B, "communication", "avg_resolution_minutes", Some(90.0), Some(63.33), 0.0),
    (B, "communication", "conversations_resolved", Some(1.0), Some(1.33), 18.75),
    (B, "communication", "channel_coverage", Some(0.25), None, 5.0),
    (B, "sales", "win_rate", Some(0.0), None, 0.0),
    (B, "sales", "pipeline_value", Some(1000.0), Some(1000.0), 25.0),
    (B, "sales", "quote_acceptance_rate", Some(0.0), None, 0.0),
    (B, "sales", "lead_contacts", Some(0.0), Some(0.0), 7.5),
    (B, "data_quality", "contact_completeness", Some(0.58), None, 23.33),
    (B, "data_quality", "organization_completeness", None, None, 0.0),
    (B, "data_quality", "tagging_rate", Some(0.0), None, 0.0),
    (B, "data_quality", "note_thoroughness", None, None, 0.0),
    (C, "support", "sla_compliance_rate", Some(1.0), None, 40.0),
    (C, "support", "avg_resolution_minutes", Some(30.0), Some(60.0), 15.0),
    (C, "support", "escalation_rate", Some(0.0), None, 20.0),
    (C, "support", "csat_avg_rating", Some(4.0), None, 8.0),
    (C, "communication", "avg_first_response_minutes", Some(10.0), Some(20.0), 15.0),
    (C, "communication", "avg_resolution_minutes", Some(40.0), Some(80.0), 12.5),
    (C, "communication", "conversations_resolved", Some(1.0), Some(1.0), 25.0),
    (C, "communication", "channel_coverage", Some(0.33), None, 6.67),
    (C, "data_quality", "contact_completeness", Some(1.0), None, 40.0),
    (C, "data_quality", "organization_completeness", Some(1.0), None, 25.0),
    (C, "data_quality", "tagging_rate", Some(0.5), None, 10.0),
    (C, "data_quality", "note_thoroughness", Some(250.0), None, 15.0),
    (D, "support", "sla_compliance_rate", Some(0.0), None, 0.0),
    (D, "support", "avg_resolution_minutes", Some(90.0), Some(60.0), 0.0),
    (D, "support", "escalation_rate", Some(0.0), None, 20.0),
    (D, "support", "csat_avg_rating", Some(0.0), None, 0.0),
    (D, "communication", "avg_first_response_minutes", Some(30.0), Some(20.0), 0.0),
    (D, "communication", "avg_resolution_minutes", Some(120.0), Some(80.0), 0.0),
    (D, "communication", "conversations_resolved", Some(1.0), Some(1.0), 25.0),
    (D, "communication", "channel_coverage", Some(0.33), None, 6.67),
    (D, "data_quality", "contact_completeness", None, None, 0.0),
    (D, "data_quality", "organization_completeness", None, None, 0.0),
    (D, "data_quality", "tagging_rate", Some(0.5), None, 10.0),
    (D, "data_quality", "note_thoroughness", None, None, 0.0),
];

/// Hand computation (events-and-metrics.md §3–4, week of 2026-11-02):
///
/// Organisation at the end of the week: Support (type support) has active
/// members A, B, C and E; Back office (type other) has C (lead) and, from
/// the late event, D. E becomes inactive on Thursday, so E is not scored and
/// is in no average or channel set. Scoring teams (D8): A, B → Support;
/// C → Back office (lead beats member); D → Back office.
/// Pools: Support = its members with activity, {A, B, C} (C counts in
/// Support's averages although it is not C's scoring team); Back office = {C, D}.
///
/// Support. Resolutions (resolution_minutes from ticket.opened):
///   A: TA1 60 min, SLA met, rated 5; TA2 120 min, SLA missed, rated 3.
///   B: TB1 180 min, no SLA, escalated, not rated.
///   C: TC1 30 min, SLA met, rated 4.   D: TD1 90 min, SLA missed.
///   (E: TE1 600 min — excluded; with E, Support's mean would be 225.)
///   team(resolution): Support (90 + 180 + 30)/3 = 100; Back office (30 + 90)/2 = 60.
///   A: SLA 40·1/2 = 20; time 30·(1 − 90/100) = 3; escalation 20·(1 − 0/2) = 20; CSAT 10·(8/2)/5 = 8 → 51
///   B: SLA 40·safe_div(0, 0) = 0; time 30·(1 − 180/100) → 0; escalation 20·(1 − 1/1) = 0; CSAT 0 → 0
///   C: 40·1/1 = 40; 30·(1 − 30/60) = 15; 20; 10·4/5 = 8 → 83
///   D: 40·0/1 = 0; 30·(1 − 90/60) → 0; 20; 0 → 20
///
/// Communication. first_response_minutes per agent message after customer
/// messages; resolution_minutes from the first customer message:
///   A: CA1 (email) FRT 20, 10, resolved in 60; CA2 (whatsapp) FRT 30, resolved in 60
///      → FRT mean 20, resolution mean 60, 2 resolved, sent {email, whatsapp}
///   B: CB1 (chat_widget) FRT 40, resolution 90, 1 resolved, sent {chat_widget}
///   C: CC1 (email) FRT 10, resolution 40, 1 resolved; CC2 (sms) assigned only
///      → sent {email}, credited {email, sms}
///   D: CD1 (phone) FRT 30, 30 → mean 30, resolution 120, 1 resolved
///   Support: team(FRT) = (20 + 40 + 10)/3 = 23.33; team(res) = (60 + 90 + 40)/3 = 63.33;
///            team(volume) = (2 + 1 + 1)/3 = 1.33; channels {email, whatsapp, chat_widget, sms} = 4
///   Back office: team(FRT) = (10 + 30)/2 = 20; team(res) = (40 + 120)/2 = 80; team(volume) = 1;
///            channels {email, sms, phone} = 3
///   A: 30·(1 − 20/23.33) = 30/7 = 4.2857; 25·(1 − 60/63.33) = 25/19 = 1.3158;
///      25·min(1, 2/1.33) = 25; 20·2/4 = 10 → 5400/133 = 40.6015
///   B: 0 (40 > 23.33); 0 (90 > 63.33); 25·(1/1.33) = 18.75; 20·1/4 = 5 → 23.75
///   C: 30·(1 − 10/20) = 15; 25·(1 − 40/80) = 12.5; 25; 20·1/3 = 6.6667 → 59.1667
///   D: 0; 0; 25; 20·1/3 = 6.6667 → 31.6667
///
/// Data quality (contacts 6 key fields, organizations 7):
///   A: K1 last own save {email, phone, first_name, last_name} = 4/6 (B's later save ignored)
///      → 40·4/6 = 26.6667; O1 5/7 → 25·5/7 = 17.8571; tagging: TA1 (1 tag), TA2, CA1 (1 tag), CA2
///      → 20·2/4 = 10; notes 60 and 80 chars → 15·min(1, 70/100) = 10.5 → 65.0238
///   B: K2 6/6, K1 1/6 → 40·(7/12) = 23.3333; no organization 0; tagging 0/2 → 0; no notes 0 → 23.3333
///   C: K3 6/6 → 40; O2 7/7 → 25; tagging TC1 (2 tags), CC1 → 10; note 250 chars → 15 → 90
///   D: tagging TD1, CD1 (1 tag) → 10 → 10
///
/// Sales (B only): lead L1 created with owner B, value 1000: win rate 35·safe_div(0, 0) = 0;
///   pipeline 25·min(1, 1000/1000) = 25; quotes 0; contacts: team(x) = 0 ≤ 0 → half of 15 = 7.5 → 32.5
///
/// Composites (§4):
///   A (support column 30/10/5/30/15/10; support, communication, data_quality, Σw 70):
///     (51·30 + 40.6015·30 + 65.0238·10)/70 = 48.5469 → 48.55, flagged (< 70)
///   B (support column; support, communication, sales, data_quality, Σw 85):
///     (0·30 + 23.75·30 + 32.5·15 + 23.3333·10)/85 = 16.8627 → 16.86, flagged
///   C (team type other → domain_weights 20/15/15/20/20/10; Σw 50):
///     (83·20 + 59.1667·20 + 90·10)/50 = 74.8667 → 74.87, not flagged
///   D (other; Σw 50): (20·20 + 31.6667·20 + 10·10)/50 = 22.6667 → 22.67, flagged
/// sales_activity_ratio: B has 9 distinct credited events (TB1 opened, escalated, resolved;
///   CB1 assigned, sent, resolved; K2, K1 saves; L1 created), 1 of them sales → 0.11; others 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_scores_match_the_contract_on_a_hand_computed_world() {
    let db = fresh_database().await;
    const W: &str = "2026-11-02";
    ingest(&db.pool, &hand_world()).await;
    project_at(&db.pool, "2026-11-16T00:00:00Z").await;

    // Before the late membership, D has no team (alone in the no-team pool)
    // and Back office's pool is C alone.
    let d_before = snapshot(&db.pool, D, W).await.expect("D is scored");
    assert_eq!(d_before.team_id, None);
    assert_eq!(d_before.weight_source, "default");
    let c_before = snapshot(&db.pool, C, W).await.expect("C is scored");

    // D joined Back office on Monday 08:00, but the CRM sends it last.
    ingest(&db.pool, &[member(T_OTH, D, "member", "2026-11-02T08:00:00Z")]).await;
    project_at(&db.pool, "2026-11-16T00:00:00Z").await;

    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_snapshots WHERE score_period_start = $1")
            .bind(at(&format!("{W}T00:00:00Z")))
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(count, 4, "A, B, C and D are scored; E (inactive at the end of the week) is not");
    assert!(snapshot(&db.pool, E, W).await.is_none());
    assert!(scores(&db.pool, E, W).await.is_empty());

    let sup = Some(Uuid::parse_str(T_SUP).unwrap());
    let oth = Some(Uuid::parse_str(T_OTH).unwrap());
    // (person, team, team_type, weight_source, composite, flagged, ratio, domains: (domain, raw, weighted, weight%))
    #[allow(clippy::type_complexity)]
    let expected: [(&str, Option<Uuid>, &str, &str, &str, bool, &str, &[(&str, &str, &str, f64)]); 4] = [
        (
            A,
            sup,
            "support",
            "team_type",
            "48.55",
            true,
            "0",
            &[
                ("support", "51.00", "21.86", 42.86),
                ("communication", "40.60", "17.40", 42.86),
                ("data_quality", "65.02", "9.29", 14.29),
            ],
        ),
        (
            B,
            sup,
            "support",
            "team_type",
            "16.86",
            true,
            "0.11",
            &[
                ("support", "0", "0", 35.29),
                ("communication", "23.75", "8.38", 35.29),
                ("sales", "32.50", "5.74", 17.65),
                ("data_quality", "23.33", "2.75", 11.76),
            ],
        ),
        (
            C,
            oth,
            "other",
            "default",
            "74.87",
            false,
            "0",
            &[
                ("support", "83.00", "33.20", 40.0),
                ("communication", "59.17", "23.67", 40.0),
                ("data_quality", "90.00", "18.00", 20.0),
            ],
        ),
        (
            D,
            oth,
            "other",
            "default",
            "22.67",
            true,
            "0",
            &[
                ("support", "20.00", "8.00", 40.0),
                ("communication", "31.67", "12.67", 40.0),
                ("data_quality", "10.00", "2.00", 20.0),
            ],
        ),
    ];
    for (who, team_id, team_type, source, composite, flagged, ratio, domains) in expected {
        let snap = snapshot(&db.pool, who, W).await.unwrap_or_else(|| panic!("no snapshot for {who}"));
        assert_eq!(snap.composite, dec(composite), "{who} composite");
        assert_eq!(snap.team_id, team_id, "{who} team");
        assert_eq!(snap.team_type.as_deref(), Some(team_type), "{who} team_type");
        assert_eq!(snap.weight_source, source, "{who} weight_source");
        assert_eq!(snap.is_flagged, flagged, "{who} is_flagged");
        assert_eq!(snap.sales_activity_ratio, Some(dec(ratio)), "{who} sales_activity_ratio");
        let weights: Vec<(&str, f64)> = domains.iter().map(|(d, _, _, w)| (*d, *w)).collect();
        assert_weights(&snap.weights, &weights, who);
        let rows = scores(&db.pool, who, W).await;
        assert_eq!(rows.len(), domains.len(), "{who}: scored domains {:?}", rows.keys().collect::<Vec<_>>());
        for (domain, raw, weighted, _) in domains.iter() {
            let row = rows.get(*domain).unwrap_or_else(|| panic!("{who} has no {domain} score"));
            assert_eq!(row.raw_score, dec(raw), "{who} {domain} raw_score");
            assert_eq!(row.weighted_score, dec(weighted), "{who} {domain} weighted_score");
            assert_number(
                &snap.domain_scores[*domain],
                dec(raw).to_f64().unwrap(),
                &format!("{who} {domain} in domain_scores_json"),
            );
            // Every metric of the domain is explained, with its max.
            let metrics = row.metrics.as_object().unwrap();
            let keys: Vec<(&str, u32)> =
                METRIC_KEYS.iter().filter(|(d, _, _)| d.as_str() == *domain).map(|(_, k, max)| (*k, *max)).collect();
            assert_eq!(metrics.len(), keys.len(), "{who} {domain}: {}", row.metrics);
            for (key, max) in keys {
                assert_number(&metrics[key]["max"], f64::from(max), &format!("{who} {domain}.{key}.max"));
            }
        }
    }
    for (who, domain, key, raw, baseline, points) in EXPECTED_METRICS {
        let rows = scores(&db.pool, who, W).await;
        let m = &rows[*domain].metrics[*key];
        let what = format!("{who} {domain}.{key}");
        assert_optional_number(&m["raw_value"], *raw, &format!("{what}.raw_value"));
        assert_optional_number(&m["team_baseline"], *baseline, &format!("{what}.team_baseline"));
        assert_number(&m["points"], *points, &format!("{what}.points"));
    }
    // Sum of points = the domain's raw score (up to the rounding of each).
    let a = scores(&db.pool, A, W).await;
    assert_eq!(a["support"].metrics["sla_compliance_rate"]["numerator"], json!(1.0));
    assert_eq!(a["support"].metrics["sla_compliance_rate"]["denominator"], json!(2.0));
    assert_eq!(a["communication"].metrics["channel_coverage"]["denominator"], json!(4.0));

    // The late org change rescored the week: C's Back office pool now has D.
    let c_after = snapshot(&db.pool, C, W).await.unwrap();
    assert_ne!(c_after.composite, c_before.composite, "the late membership did not rescore C");
    assert_eq!(c_after.id, c_before.id);
    let scored: i32 = sqlx::query_scalar("SELECT scored_people FROM scoring_periods WHERE period_start = $1")
        .bind(at(&format!("{W}T00:00:00Z")))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(scored, 4);
}

// ------------------------------------------------------------------ 4. goals

fn goal_id(n: u128) -> Uuid {
    Uuid::from_u128(0x9e000000_0000_4000_8000_000000000000 + n)
}

async fn goal_command(pool: &PgPool, id: Uuid, n: &str, occurred_at: &str, command: GoalCommand) {
    let envelope = GoalCommandEnvelope {
        goal_id: id,
        event_id: format!("test-goal-{id}-{n}"),
        occurred_at: at(occurred_at),
        command,
    };
    execute::<Goal>(pool, &id.to_string(), envelope).await.unwrap_or_else(|e| panic!("goal {id} {n}: {e}"));
}

fn create(
    person_id: &str,
    domain: Domain,
    metric_key: &str,
    label: &str,
    target: &str,
    comparison: Comparison,
    deadline: &str,
) -> GoalCommand {
    GoalCommand::Create {
        person_id: Uuid::parse_str(person_id).unwrap(),
        domain,
        metric_key: metric_key.to_string(),
        label: label.to_string(),
        target_value: dec(target),
        comparison,
        deadline: day(deadline),
        created_by_person_id: Some(Uuid::parse_str(N).unwrap()),
        today: day("2026-11-17"),
    }
}

/// (goal id, event type, payload) of every goal.achieved and goal.missed.
async fn settled_goals(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT aggregate_id, event_type, payload::text FROM events
         WHERE event_type IN ('goal.achieved', 'goal.missed') ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

type GoalRow = (String, Option<Decimal>, Decimal, String, NaiveDate);

async fn goal_row(pool: &PgPool, id: Uuid) -> GoalRow {
    sqlx::query_as(
        "SELECT status, current_value, target_value, label, deadline FROM agent_performance_goals WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goal_progress_tracks_scores_and_settles_at_the_deadline() {
    let db = fresh_database().await;
    let pool = &db.pool;
    ingest(pool, &two_weeks()).await;
    assert!(METRIC_KEYS.contains(&(Domain::Support, "avg_resolution_minutes", 30)));

    let deadline = "2026-11-20";
    let created = "2026-11-17T09:00:00Z";
    let (composite, support, minutes, updated, canceled, later, no_value) =
        (goal_id(1), goal_id(2), goal_id(3), goal_id(4), goal_id(5), goal_id(6), goal_id(7));
    let goals = [
        (composite, create(S, Domain::Support, "composite", "Composite at least 30", "30", Comparison::Gte, deadline)),
        (support, create(S, Domain::Support, "support", "Support score 50+", "50", Comparison::Gte, deadline)),
        (
            minutes,
            create(
                S,
                Domain::Support,
                "avg_resolution_minutes",
                "Resolve within 90 min",
                "90",
                Comparison::Lte,
                deadline,
            ),
        ),
        (updated, create(S, Domain::Support, "composite", "Composite 90+", "90", Comparison::Gte, deadline)),
        (
            canceled,
            create(S, Domain::Communication, "conversations_resolved", "Resolve 1+", "1", Comparison::Gte, deadline),
        ),
        (
            later,
            create(S, Domain::Support, "composite", "Composite 99 by year end", "99", Comparison::Gte, "2026-12-31"),
        ),
        // S has no operations activity: the goal never gets a value.
        (no_value, create(S, Domain::Operations, "completion_rate", "Complete half", "0.5", Comparison::Gte, deadline)),
    ];
    for (id, command) in goals {
        goal_command(pool, id, "create", created, command).await;
    }

    // Before the deadline: progress follows S's latest week (2026-11-09).
    project_at(pool, "2026-11-18T12:00:00Z").await;
    let w2 = snapshot(pool, S, "2026-11-09").await.expect("S is scored in week 2");
    let w2_scores = scores(pool, S, "2026-11-09").await;
    assert_eq!(w2.composite, dec("32.71"));
    let w1 = snapshot(pool, S, "2026-11-02").await.unwrap();
    assert_ne!(w1.composite, w2.composite, "weeks differ, so 'latest' is meaningful");
    let support_score = w2_scores["support"].raw_score;
    assert_eq!(support_score, dec("28"));
    let resolution = dec(&w2_scores["support"].metrics["avg_resolution_minutes"]["raw_value"].to_string());
    assert_eq!(resolution, dec("60"));
    for (id, value) in [
        (composite, w2.composite),
        (support, support_score),
        (minutes, resolution),
        (updated, w2.composite),
        (canceled, dec("1")),
        (later, w2.composite),
    ] {
        let (status, current, ..) = goal_row(pool, id).await;
        assert_eq!(status, "active", "goal {id}");
        assert_eq!(current, Some(value), "goal {id} current_value");
    }
    assert_eq!(goal_row(pool, no_value).await.1, None);

    // An update (target lowered so it is met) and a cancellation.
    goal_command(
        pool,
        updated,
        "update",
        "2026-11-19T09:00:00Z",
        GoalCommand::Update {
            actor_person_id: Some(Uuid::parse_str(N).unwrap()),
            label: Some("Composite 25+".into()),
            target_value: Some(dec("25")),
            comparison: None,
            deadline: None,
            today: day("2026-11-19"),
        },
    )
    .await;
    goal_command(
        pool,
        canceled,
        "cancel",
        "2026-11-19T09:05:00Z",
        GoalCommand::Cancel { actor_person_id: Some(Uuid::parse_str(N).unwrap()) },
    )
    .await;

    // After the deadline: met goals are achieved, the unmet one is missed.
    project_at(pool, "2026-11-21T12:00:00Z").await;
    let expect = [
        (composite, "achieved", Some(dec("32.71"))),
        (support, "missed", Some(dec("28"))),
        (minutes, "achieved", Some(dec("60"))),
        (updated, "achieved", Some(dec("32.71"))),
        (canceled, "canceled", Some(dec("1"))),
        (later, "active", Some(dec("32.71"))),
        (no_value, "missed", None),
    ];
    for (id, status, value) in expect {
        let (got_status, current, ..) = goal_row(pool, id).await;
        assert_eq!((got_status.as_str(), current), (status, value), "goal {id}");
    }
    let (_, _, target, label, _) = goal_row(pool, updated).await;
    assert_eq!((target, label.as_str()), (dec("25"), "Composite 25+"));

    // Outcomes are events in the log, settled once.
    let outcomes = settled_goals(pool).await;
    let mut by_goal: BTreeMap<String, (String, Value)> = BTreeMap::new();
    for (id, kind, payload) in &outcomes {
        by_goal.insert(id.clone(), (kind.clone(), serde_json::from_str(payload).unwrap()));
    }
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    for (id, kind, value) in [
        (composite, "goal.achieved", "32.71"),
        (support, "goal.missed", "28"),
        (minutes, "goal.achieved", "60"),
        (updated, "goal.achieved", "32.71"),
    ] {
        let (got, payload) = &by_goal[&id.to_string()];
        assert_eq!(got, kind, "goal {id}");
        let stored = &payload["body"]["data"]["current_value"];
        let stored = dec(stored.as_str().map(str::to_string).unwrap_or_else(|| stored.to_string()).as_str());
        assert_eq!(stored, dec(value), "goal {id}: {payload}");
    }
    let (kind, payload) = &by_goal[&no_value.to_string()];
    assert_eq!(kind, "goal.missed");
    assert!(payload["body"]["data"]["current_value"].is_null(), "{payload}");
    project_at(pool, "2026-11-22T12:00:00Z").await;
    assert_eq!(settled_goals(pool).await.len(), 5, "a settled goal is never settled again");

    // The audit projection has a row for every goal event.
    let audit: Vec<(Option<String>, String, String)> = sqlx::query_as(
        "SELECT actor, action, target FROM audit_log WHERE target LIKE 'goal:%' ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let has = |action: &str, id: Uuid, actor: Option<&str>| {
        audit.iter().any(|(a, act, target)| act == action && *target == format!("goal:{id}") && a.as_deref() == actor)
    };
    for id in [composite, support, minutes, updated, canceled, later, no_value] {
        assert!(has("goal.created", id, Some(N)), "no goal.created audit row for {id}: {audit:?}");
    }
    assert!(has("goal.updated", updated, Some(N)), "{audit:?}");
    assert!(has("goal.canceled", canceled, Some(N)), "{audit:?}");
    for id in [composite, minutes, updated] {
        assert!(has("goal.achieved", id, Some("scheduler")), "{audit:?}");
    }
    assert!(has("goal.missed", support, Some("scheduler")), "{audit:?}");
    assert!(has("goal.missed", no_value, Some("scheduler")), "{audit:?}");
    assert_eq!(audit.len(), 7 + 2 + 5, "{audit:?}");
}

// ------------------------------------------------------------------ 5. /healthz

struct Server {
    child: tokio::process::Child,
    address: String,
}

async fn serve(db: &TestDb, extra: &[&str]) -> Server {
    let (child, address) = serve_binary(db, extra, &[]).await;
    Server { child, address }
}

impl Server {
    async fn health(&self) -> Value {
        let response = reqwest::get(format!("http://{}/healthz", self.address)).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Polls /healthz until every projector is at the head, `ready` holds,
    /// and the head stayed put since the previous poll (the worker is idle).
    async fn wait_caught_up(&self, pool: &PgPool, ready: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut previous_head = None;
        loop {
            let health = self.health().await;
            let projectors = health["projectors"].as_array().unwrap();
            let caught_up = projectors.iter().all(|p| p["behind"] == 0);
            let ok: bool = sqlx::query_scalar(ready).fetch_one(pool).await.unwrap();
            let head = health["log_head"].as_i64();
            if caught_up && ok && previous_head == Some(head) {
                return health;
            }
            previous_head = Some(head);
            assert!(Instant::now() < deadline, "the worker did not catch up in 30 s: {health}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status =
            tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.expect("serve stops").unwrap();
        assert!(status.success(), "serve exited with {status}");
    }
}

fn assert_projectors(health: &Value, head: i64) {
    let projectors = health["projectors"].as_array().unwrap_or_else(|| panic!("no projectors array: {health}"));
    let names: Vec<&str> = projectors.iter().map(|p| p["projector"].as_str().unwrap()).collect();
    assert_eq!(names, PROJECTORS.to_vec(), "{health}");
    for p in projectors {
        assert_eq!(p["head"], head, "{p}");
        let behind = p["behind"].as_i64().unwrap_or_else(|| panic!("behind: {p}"));
        let position = p["position"].as_i64().unwrap();
        assert_eq!(behind, (head - position).max(0), "{p}");
        let age = p["oldest_unprojected_age_s"].as_f64().unwrap_or_else(|| panic!("age: {p}"));
        assert!(age >= 0.0, "{p}");
        if behind == 0 {
            assert_eq!(age, 0.0, "{p}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_projector_lag() {
    let db = fresh_database().await;
    ingest(&db.pool, &two_weeks()).await;
    let head = event_count(&db.pool).await;

    // Without the worker, every projector is the whole log behind.
    let server = serve(&db, &["--no-projectors"]).await;
    let health = server.health().await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["log_head"], head);
    assert_projectors(&health, head);
    for p in health["projectors"].as_array().unwrap() {
        assert_eq!(p["behind"], head, "{p}");
        assert!(p["oldest_unprojected_age_s"].as_f64().unwrap() > 0.0, "{p}");
    }
    server.stop().await;

    // serve's own worker catches up, scores the weeks and closes them, the
    // week of 2026-11-16 included (the events posted below are then late
    // arrivals; waiting for the scores alone raced the close on a loaded machine).
    let server = serve(&db, &[]).await;
    let scored_and_closed = format!(
        "SELECT (SELECT count(*) = 4 FROM agent_performance_snapshots)
            AND coalesce((SELECT value >= '2026-11-23T00:00:00Z' FROM scheduler_checkpoints WHERE name = '{}'), false)",
        perfledger_scheduler::close::CHECKPOINT
    );
    let health = server.wait_caught_up(&db.pool, &scored_and_closed).await;
    let initial_head = head;
    let head = health["log_head"].as_i64().unwrap();
    assert!(head >= initial_head, "{health}");
    assert_projectors(&health, head);
    assert!(snapshot(&db.pool, S, "2026-11-09").await.is_some());

    // New events through the API wake the worker (LISTEN/NOTIFY).
    let signer = perfledger_api::auth::Signer::hs256(SECRET.as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/v1/events", server.address))
        .bearer_auth(signer.token("crm", &[], &["ingest"], 600))
        .json(&s_week(16, true, false, 5))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let health = server
        .wait_caught_up(
            &db.pool,
            "SELECT count(*) = 1 FROM agent_performance_snapshots WHERE score_period_start = '2026-11-16T00:00:00Z'",
        )
        .await;
    let later_head = health["log_head"].as_i64().unwrap();
    assert!(later_head > head, "{health}");
    assert_projectors(&health, later_head);
    // That week had already closed: its 6 credited events are late arrivals
    // (ticket opened with assignee, resolved, rated; conversation assigned,
    // answered, resolved).
    let corrections: i64 =
        sqlx::query_scalar("SELECT count(*) FROM period_corrections WHERE period_start = '2026-11-16T00:00:00Z'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(corrections, 6);
    server.stop().await;
}

// ------------------------------------------------------------------ 6. what-if (D10)

/// What-if scores a week under proposed settings next to the ones in force
/// and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_if_scores_a_proposal_and_writes_nothing() {
    let db = fresh_database().await;
    ingest(&db.pool, &two_weeks()).await;
    succeeds(&run_perfledger(&db, &["project", "--once"]), "project --once");
    let events_before = event_count(&db.pool).await;
    let s_before = snapshot(&db.pool, S, "2026-11-09").await.expect("S is scored in week 2");
    let n_before = snapshot(&db.pool, N, "2026-11-09").await.expect("N is scored in week 2");

    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("weights.json");
    std::fs::write(&weights, r#"{"support": 50, "communication": 50}"#).unwrap();
    let weights = weights.to_str().unwrap();
    let out = run_perfledger(
        &db,
        &["what-if", "--weights", weights, "--team-type", "support", "--period", "2026-W46", "--json"],
    );
    succeeds(&out, "what-if for support teams");
    let report: Value = serde_json::from_str(&stdout(&out)).expect("what-if --json prints JSON");
    // Only the support team's person is reported. S in week 2: support 28,
    // communication 45, data_quality 10; proposed (28·50 + 45·50 + 10·0)/100 = 36.50.
    assert_eq!(report["people_scored"], json!(1), "{report}");
    let change = &report["biggest_changes"][0];
    assert_eq!(change["person_id"], json!(S));
    assert_eq!(dec(change["current"].as_str().unwrap()), dec("32.71"));
    assert_eq!(dec(change["proposed"].as_str().unwrap()), dec("36.50"));
    assert_eq!(dec(change["delta"].as_str().unwrap()), dec("3.79"));
    assert_eq!(report["newly_flagged"], json!([]));

    // Settings changes work too: a lower threshold un-flags both people.
    std::fs::write(dir.path().join("threshold.json"), r#"{"flagged_threshold": 30}"#).unwrap();
    let out = run_perfledger(
        &db,
        &[
            "what-if",
            "--weights",
            dir.path().join("threshold.json").to_str().unwrap(),
            "--period",
            "2026-W46",
            "--json",
        ],
    );
    succeeds(&out, "what-if with a threshold");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let unflagged: BTreeSet<String> = report["no_longer_flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unflagged, BTreeSet::from([S.to_string(), N.to_string()]));

    // Bad input is one clear line naming the flag, before anything runs.
    let bad = run_perfledger(&db, &["what-if", "--weights", weights, "--team-type", "bogus", "--last-weeks", "2"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--team-type: 'bogus' is not a team type"), "{}", stderr(&bad));
    std::fs::write(dir.path().join("negative.json"), r#"{"support": -1}"#).unwrap();
    let bad = run_perfledger(
        &db,
        &["what-if", "--weights", dir.path().join("negative.json").to_str().unwrap(), "--period", "2026-W46"],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--weights: settings.domain_weights"), "{}", stderr(&bad));

    // Nothing was written.
    assert_eq!(event_count(&db.pool).await, events_before);
    assert_eq!(snapshot(&db.pool, S, "2026-11-09").await, Some(s_before));
    assert_eq!(snapshot(&db.pool, N, "2026-11-09").await, Some(n_before));
}

// ------------------------------------------------------------------ 7. backfill and range rescoring

/// `backfill` scores exactly the weeks never scored; `replay --from-week
/// --to-week` rescores a range; both are idempotent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_and_range_rescoring_are_idempotent() {
    let db = fresh_database().await;
    ingest(&db.pool, &two_weeks()).await;
    // Projectors only: accumulators exist, nothing is scored yet.
    perfledger_projections::runner::Runner::new(db.pool.clone(), perfledger_projections::projectors(), 1000)
        .catch_up(&mut |_, _| {})
        .await
        .unwrap();
    assert!(snapshot(&db.pool, S, "2026-11-02").await.is_none());

    let out = run_perfledger(&db, &["backfill"]);
    succeeds(&out, "backfill");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report, json!({"weeks_scored": 2, "weeks": ["2026-W45", "2026-W46"]}));
    let w1 = snapshot(&db.pool, S, "2026-11-02").await.expect("backfill scored week 1");
    assert_eq!(w1.composite, dec("49.29"));
    let w2 = snapshot(&db.pool, S, "2026-11-09").await.expect("backfill scored week 2");

    let again: Value = serde_json::from_str(&stdout(&run_perfledger(&db, &["backfill"]))).unwrap();
    assert_eq!(again, json!({"weeks_scored": 0, "weeks": []}), "a second backfill finds nothing");

    let out = run_perfledger(&db, &["replay", "--from-week", "2026-W44", "--to-week", "2026-W46"]);
    succeeds(&out, "replay a range");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["weeks"], json!(["2026-W44", "2026-W45", "2026-W46"]));
    // Nothing changed, so nothing was written: same ids, values, updated_at.
    assert_eq!(snapshot(&db.pool, S, "2026-11-02").await, Some(w1));
    assert_eq!(snapshot(&db.pool, S, "2026-11-09").await, Some(w2));

    let bad = run_perfledger(&db, &["replay", "--from-week", "2026-W46", "--to-week", "2026-W45"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--from-week: 2026-W46 is after --to-week 2026-W45"), "{}", stderr(&bad));
    let bad = run_perfledger(&db, &["replay", "--from-week", "2026-46", "--to-week", "2026-W45"]);
    assert!(stderr(&bad).contains("--from-week: '2026-46' is not an ISO week"), "{}", stderr(&bad));
}

/// `rescore --from-week --to-week` is the command; `replay --from-week
/// --to-week` its alias: the same report, the same rows, the same refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescore_is_the_command_replay_from_week_its_alias() {
    let db = fresh_database().await;
    ingest(&db.pool, &two_weeks()).await;
    succeeds(&run_perfledger(&db, &["backfill"]), "backfill");
    let w1 = snapshot(&db.pool, S, "2026-11-02").await.expect("backfill scored week 1");
    let w2 = snapshot(&db.pool, S, "2026-11-09").await.expect("backfill scored week 2");

    let out = run_perfledger(&db, &["rescore", "--from-week", "2026-W44", "--to-week", "2026-W46"]);
    succeeds(&out, "rescore a range");
    let rescored: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rescored, json!({"weeks_rescored": 3, "weeks": ["2026-W44", "2026-W45", "2026-W46"]}));
    let out = run_perfledger(&db, &["replay", "--from-week", "2026-W44", "--to-week", "2026-W46"]);
    succeeds(&out, "the alias");
    let aliased: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(aliased, rescored, "the alias reports what rescore reports");
    assert_eq!(snapshot(&db.pool, S, "2026-11-02").await, Some(w1));
    assert_eq!(snapshot(&db.pool, S, "2026-11-09").await, Some(w2));

    let bad = run_perfledger(&db, &["rescore", "--from-week", "2026-W46", "--to-week", "2026-W45"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--from-week: 2026-W46 is after --to-week 2026-W45"), "{}", stderr(&bad));
    let bad = run_perfledger(&db, &["rescore", "--from-week", "2026-W45"]);
    assert!(!bad.status.success(), "--to-week is required");
    assert!(stderr(&bad).contains("--to-week"), "{}", stderr(&bad));
}

// ------------------------------------------------------------------ 8. verify

/// `verify` rebuilds every read model from the log into a scratch schema and
/// finds the serving tables identical; a tampered score row is reported with
/// its table and period, and the exit code is non-zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_proves_the_scores_come_from_the_log() {
    let db = fresh_database().await;
    ingest(&db.pool, &two_weeks()).await;
    succeeds(
        &run_perfledger(&db, &["settings", "set", "flagged_threshold", "60", "--effective-from", "2026-11-09"]),
        "set",
    );
    succeeds(&run_perfledger(&db, &["project", "--once"]), "project --once");

    let out = run_perfledger(&db, &["verify"]);
    succeeds(&out, "verify of an untouched database");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["identical"], json!(true), "{report}");
    let scores =
        report["tables"].as_array().unwrap().iter().find(|t| t["table"] == "agent_performance_scores").unwrap();
    assert!(scores["serving_rows"].as_i64().unwrap() > 0, "{scores}");

    // Patching a row instead of replaying is caught.
    sqlx::query(
        "UPDATE agent_performance_scores SET raw_score = raw_score + 1
         WHERE person_id = $1 AND score_period_start = '2026-11-09T00:00:00Z'",
    )
    .bind(Uuid::parse_str(S).unwrap())
    .execute(&db.pool)
    .await
    .unwrap();
    let out = run_perfledger(&db, &["verify"]);
    assert!(!out.status.success(), "verify must fail on a patched row");
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["identical"], json!(false));
    let errors = stderr(&out);
    assert!(errors.contains("agent_performance_scores differs"), "{errors}");
    assert!(errors.contains("periods 2026-11-09"), "{errors}");
    assert!(!errors.contains("agent_performance_snapshots differs"), "only the patched table differs: {errors}");

    // The scratch schema is gone.
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'perfledger_verify_%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

// ------------------------------------------------------------------ 9. upcasting (D5)

/// A log whose `ticket.resolved` rows are version 1 (`was_escalated`) folds,
/// through the upcaster, into exactly the scores of the version 2 log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_ticket_resolutions_replay_to_the_same_scores() {
    let current = fresh_database().await;
    let mut items = two_weeks();
    items.extend(s_week(16, true, true, 3));
    ingest(&current.pool, &items).await;
    project_at(&current.pool, "2026-11-25T12:00:00Z").await;

    // The same log, as an older perfledger would have written it.
    let old = fresh_database().await;
    type Row = (String, String, i64, String, String, String, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload::text, metadata::text,
                event_id FROM events ORDER BY global_position",
    )
    .fetch_all(&current.pool)
    .await
    .unwrap();
    let mut downgraded = 0;
    for (aggregate_type, aggregate_id, sequence, event_type, mut version, mut payload, metadata, event_id) in rows {
        if event_type == "ticket.resolved" {
            assert_eq!(version, "2", "ticket.resolved is written as version 2");
            let mut value: Value = serde_json::from_str(&payload).unwrap();
            let data = value["body"]["data"].as_object_mut().unwrap();
            let escalated = data.remove("ever_escalated").unwrap();
            data.insert("was_escalated".into(), escalated);
            payload = value.to_string();
            version = "1".into();
            downgraded += 1;
        }
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,
                                 event_id) VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8)",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(sequence)
        .bind(event_type)
        .bind(version)
        .bind(payload)
        .bind(metadata)
        .bind(event_id)
        .execute(&old.pool)
        .await
        .unwrap();
    }
    assert!(downgraded >= 3, "the world has ticket resolutions");
    project_at(&old.pool, "2026-11-25T12:00:00Z").await;

    let scores = "SELECT id, person_id, score_period_start, domain, raw_score, weighted_score, metrics_json::text
                  FROM agent_performance_scores ORDER BY id";
    type ScoreRow = (Uuid, Uuid, DateTime<Utc>, String, Decimal, Decimal, String);
    let a: Vec<ScoreRow> = sqlx::query_as(scores).fetch_all(&current.pool).await.unwrap();
    let b: Vec<ScoreRow> = sqlx::query_as(scores).fetch_all(&old.pool).await.unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, b, "v1 rows must replay to the same scores");
    let snapshots = "SELECT id, composite_score, domain_scores_json::text FROM agent_performance_snapshots ORDER BY id";
    let a: Vec<(Uuid, Decimal, String)> = sqlx::query_as(snapshots).fetch_all(&current.pool).await.unwrap();
    let b: Vec<(Uuid, Decimal, String)> = sqlx::query_as(snapshots).fetch_all(&old.pool).await.unwrap();
    assert_eq!(a, b);
}
