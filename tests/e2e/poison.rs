//! Issue 14: no event can stop the engine. Each defect found by hand is a
//! test here; then a poison event put into the log below the validation
//! (a raw insert) stalls every projector loudly, on /healthz, /readyz,
//! /metrics and `perfledger project --lag`, and a void frees them, with
//! `verify` identical afterwards.

use chrono::Utc;
use perfledger_replay::verify::verify;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const LEAD_OWNER: &str = "11111111-2222-4333-8444-555555555555";

async fn project(app: &TestApp) -> perfledger_scheduler::worker::RoundReport {
    run_once(&app.db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {})
        .await
        .expect("a projection round never fails on data")
}

fn today(time: &str) -> String {
    format!("{}T{time}Z", Utc::now().date_naive())
}

fn person(event_id: &str, id: &str, name: &str) -> Value {
    envelope(
        event_id,
        "person.upserted",
        &today("08:00:00"),
        json!({"person_id": id, "display_name": name, "is_active": true}),
    )
}

fn rejected_fields(report: &Value) -> Vec<(u64, String)> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["field"].as_str().unwrap().to_string()))
        .collect()
}

// ------------------------------------------------------------ defect 1

#[tokio::test]
async fn a_nul_in_a_display_name_is_refused_and_later_hires_are_projected() {
    let app = TestApp::spawn().await;
    let report: Value = app
        .post_array(&[person("p-nul", AGENT, "Eve\u{0}Null"), person("p-ok", LEAD_OWNER, "Olu")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(rejected_fields(&report), vec![(0, "data.display_name".to_string())]);
    assert!(report["rejected"][0]["error"].as_str().unwrap().contains("U+0000"), "{report}");
    let round = project(&app).await;
    assert_eq!(round.stalled, 0);
    let names: Vec<String> =
        sqlx::query_scalar("SELECT display_name FROM directory_people").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(names, vec!["Olu".to_string()]);
}

// ------------------------------------------------------------ defect 2

#[tokio::test]
async fn lead_values_beyond_the_range_are_refused_and_scoring_goes_on() {
    let app = TestApp::spawn().await;
    let huge = "70000000000000000000000000000";
    let lead = |id: &str, value: &str| {
        envelope(
            id,
            "lead.created",
            &today("09:00:00"),
            json!({"lead_id": id, "owner_person_id": LEAD_OWNER, "estimated_value": value}),
        )
    };
    let report: Value = app
        .post_array(&[person("p", LEAD_OWNER, "Sam"), lead("L-1", huge), lead("L-2", huge), lead("L-3", "1250.50")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(rejected_fields(&report), vec![(1, "data.estimated_value".into()), (2, "data.estimated_value".into())]);
    let round = project(&app).await;
    assert_eq!(round.stalled, 0);
    assert!(round.weeks_scored >= 1, "{round:?}");
}

/// An older log (written before the ranges) holds two such leads: the
/// accumulators and the scoring pass saturate instead of panicking.
#[tokio::test]
async fn an_older_log_with_overflowing_leads_still_scores() {
    let app = TestApp::spawn().await;
    app.post_array(&[person("p", LEAD_OWNER, "Sam")]).await;
    for n in 1..=2 {
        raw_insert(
            &app,
            "lead",
            &format!("L-{n}"),
            "lead.created",
            &json!({"event_id": format!("old-{n}"), "occurred_at": today("09:00:00"),
                    "body": {"type": "lead.created", "data": {"lead_id": format!("L-{n}"),
                    "owner_person_id": LEAD_OWNER, "estimated_value": "70000000000000000000000000000"}}})
            .to_string(),
        )
        .await;
    }
    let round = project(&app).await;
    assert_eq!(round.stalled, 0, "the overflow must not stall anything");
    let composite: Option<rust_decimal::Decimal> = sqlx::query_scalar(
        "SELECT composite_score FROM agent_performance_snapshots WHERE person_id = $1::uuid ORDER BY score_period_start DESC LIMIT 1",
    )
    .bind(LEAD_OWNER)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap();
    assert!(composite.is_some(), "the sales rep is scored");
    let report = verify(&app.db.pool, DEFAULT_BATCH, &mut |_| {}).await.unwrap();
    assert!(report.identical, "{report:?}");
}

// ------------------------------------------------------------ defect 3

#[tokio::test]
async fn a_tiny_estimate_and_a_huge_actual_answer_with_item_rejections() {
    let app = TestApp::spawn().await;
    let items = [
        envelope(
            "k-c",
            "task.created",
            &today("09:00:00"),
            json!({"task_id": "K-1", "project_id": "P-1", "assignee_person_id": AGENT,
                   "estimate_hours": "0.0000000000000000000000000001"}),
        ),
        envelope(
            "k-d",
            "task.completed",
            &today("10:00:00"),
            json!({"task_id": "K-1", "actual_hours": "79228162514264337593543950335"}),
        ),
    ];
    let response = app.post_array(&items).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(rejected_fields(&report), vec![(0, "data.estimate_hours".into()), (1, "data.actual_hours".into())]);
}

// ------------------------------------------------------------ defect 4

#[tokio::test]
async fn a_nul_in_an_id_rejects_that_item_and_the_rest_commit() {
    let app = TestApp::spawn().await;
    let mut items = ticket_lifecycle("T-1");
    items.push(envelope("bad\u{0}id", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-9"})));
    items.push(envelope("ok-9", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T\u{0}9"})));
    let response = app.post_array(&items).await;
    assert_eq!(response.status(), StatusCode::OK, "never a 503 for a bad item");
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(rejected_fields(&report), vec![(3, "event_id".into()), (4, "data.ticket_id".into())]);
    assert_eq!(app.event_count().await, 3);
}

#[tokio::test]
async fn import_writes_a_bad_id_to_the_rejects_file_and_goes_on() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let mut lines: Vec<String> = ticket_lifecycle("T-1").iter().map(Value::to_string).collect();
    lines
        .push(envelope("bad\u{0}id", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-2"})).to_string());
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let output = perfledger_command(&db).arg("import").arg(&file).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("3 accepted") && stderr.contains("1 rejected"), "{stderr}");
    let rejects = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("reject"))
        .unwrap_or_else(|| panic!("no rejects file beside the import: {stderr}"));
    let text = std::fs::read_to_string(rejects).unwrap();
    assert!(text.contains("event_id") && text.contains("U+0000"), "{text}");
}

// ------------------------------------------------------------ defect 5

#[tokio::test]
async fn a_zero_date_is_refused_and_an_old_one_in_the_log_marks_from_2000_only() {
    let app = TestApp::spawn().await;
    let zero = envelope(
        "p0",
        "person.upserted",
        "0000-01-01T00:00:00Z",
        json!({"person_id": AGENT, "display_name": "Zed", "is_active": true}),
    );
    let ahead = envelope(
        "p10k",
        "person.upserted",
        "9999-12-31T23:00:00-05:00",
        json!({"person_id": AGENT, "display_name": "Zed", "is_active": true}),
    );
    let report: Value = app.post_array(&[zero, ahead]).await.json().await.unwrap();
    assert_eq!(rejected_fields(&report), vec![(0, "occurred_at".into()), (1, "occurred_at".into())]);

    // The same zero date already in the log (an older build accepted it).
    raw_insert(
        &app,
        "person",
        AGENT,
        "person.upserted",
        &json!({"event_id": "old-p0", "occurred_at": "0000-01-01T00:00:00Z",
                "body": {"type": "person.upserted", "data": {"person_id": AGENT, "display_name": "Zed", "is_active": true}}})
        .to_string(),
    )
    .await;
    let started = std::time::Instant::now();
    let round = project(&app).await;
    assert_eq!(round.stalled, 0);
    let weeks: i64 = sqlx::query_scalar("SELECT count(*) FROM scoring_periods").fetch_one(&app.db.pool).await.unwrap();
    let since_2000 = (Utc::now().date_naive() - chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_weeks() + 2;
    assert!(weeks <= since_2000, "{weeks} weeks scored; at most {since_2000} since 2000 (not 105,000 since year 0)");
    eprintln!("scored {weeks} weeks in {:?}", started.elapsed());
}

// ------------------------------------------------------------ defect 6

#[tokio::test]
async fn a_nul_in_a_goal_label_is_a_422_naming_the_field() {
    let app = TestApp::spawn().await;
    app.post_array(&[person("p", AGENT, "Ada")]).await;
    project(&app).await;
    let admin = app.signer.token(AGENT, &["admin"], &[], 600);
    let response = app
        .client
        .post(app.url("/api/v1/performance/goals"))
        .bearer_auth(admin)
        .json(&json!({"person_id": AGENT, "domain": "support", "metric_key": "composite", "label": "Faster\u{0}",
                      "target_value": 70, "comparison": "gte", "deadline": "2099-06-30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["field"], "label", "{problem}");
    assert!(problem["reason"].as_str().unwrap().contains("control characters"), "{problem}");
}

// ------------------------------------------------------------ poison, stall, void

/// Inserts a row into the log below every check, as another build or a
/// hand-edit could have left it.
async fn raw_insert(app: &TestApp, aggregate_type: &str, aggregate_id: &str, event_type: &str, payload: &str) -> i64 {
    let event_id: Option<String> =
        serde_json::from_str::<Value>(payload).ok().and_then(|v| v["event_id"].as_str().map(str::to_string));
    sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, event_id)
         VALUES ($1, $2, (SELECT coalesce(max(sequence), 0) + 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2),
                 $3, $4, $5::json, '{}'::json, $6)
         RETURNING global_position",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(event_type)
    .bind(perfledger_domain::event::version_of(event_type))
    .bind(payload)
    .bind(event_id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_poison_event_stalls_loudly_and_a_void_frees_every_projector() {
    let app = TestApp::spawn().await;
    let mut before = vec![person("p-1", AGENT, "Ada")];
    before.extend(ticket_lifecycle("T-1"));
    app.post_array(&before).await;
    // A ticket id that is a number: no build of perfledger can read it.
    let poison = raw_insert(
        &app,
        "ticket",
        "T-X",
        "ticket.opened",
        r#"{"event_id":"poison-1","occurred_at":"2026-11-02T09:00:00Z","body":{"type":"ticket.opened","data":{"ticket_id":42}}}"#,
    )
    .await;
    let after = person("p-2", LEAD_OWNER, "Bea");
    app.post_array(&[after]).await;
    let head = perfledger_store::log::head(&app.db.pool).await.unwrap();

    let round = project(&app).await;
    assert_eq!(round.stalled, perfledger_projections::PROJECTORS.len(), "every projector stops at the event");

    // /healthz: stalled, with the position, the event id and the error.
    let (status, health) = get_json(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "alive: it answers");
    assert_eq!(health["status"], "stalled", "{health}");
    for projector in health["projectors"].as_array().unwrap() {
        assert_eq!(projector["state"], "stalled", "{projector}");
        assert_eq!(projector["position"], poison - 1, "everything before the poison is applied: {projector}");
        assert_eq!(projector["stall"]["position"], poison, "{projector}");
        assert_eq!(projector["stall"]["event_id"], "poison-1", "{projector}");
        assert!(projector["stall"]["error"].as_str().unwrap().contains("cannot be read"), "{projector}");
    }
    // /readyz: 503 naming it.
    let (status, ready) = get_json(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready["detail"].as_str().unwrap().contains("stalled at position"), "{ready}");
    // /metrics: the stalled gauge.
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("perfledger_projector_stalled{projector=\"directory\"} 1"), "{metrics}");
    // `perfledger project --lag`: exit 3 and the way out on stderr.
    let lag = perfledger_command(&app.db).args(["project", "--lag"]).output().await.unwrap();
    assert_eq!(lag.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&lag.stderr);
    assert!(stderr.contains("stalled at position") && stderr.contains("events void"), "{stderr}");

    // `verify` rebuilds into its own schema: it stops at the same event, finds
    // the same read models, and leaves the serving side's stalls alone.
    let report = verify(&app.db.pool, DEFAULT_BATCH, &mut |_| {}).await.unwrap();
    assert!(report.identical, "{report:?}");
    let stalls: i64 =
        sqlx::query_scalar("SELECT count(*) FROM projector_stalls").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stalls, perfledger_projections::PROJECTORS.len() as i64);

    // Only an admin may void, and a reason is required.
    let void = |token: String, body: Value| {
        app.client.post(app.url("/api/v1/admin/events/void")).bearer_auth(token).json(&body).send()
    };
    let agent = app.signer.token(AGENT, &["agent"], &[], 600);
    let admin = app.signer.token("ops-admin", &["admin"], &[], 600);
    assert_eq!(
        void(agent, json!({"event_id": "poison-1", "reason": "x"})).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let refused = void(admin.clone(), json!({"event_id": "poison-1"})).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json::<Value>().await.unwrap()["field"], "reason");
    let missing = void(admin.clone(), json!({"event_id": "no-such", "reason": "x"})).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let voided =
        void(admin.clone(), json!({"event_id": "poison-1", "reason": "a CRM bug sent a numeric id"})).await.unwrap();
    assert_eq!(voided.status(), StatusCode::CREATED);
    let voided: Value = voided.json().await.unwrap();
    assert_eq!(voided["position"], poison);
    assert_eq!(voided["applied_before_void_by"], json!([]), "nobody had folded it");
    let again = void(admin, json!({"position": poison, "reason": "twice"})).await.unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "a position is voided once");

    // Every projector reaches the head, the later hire included.
    let round = project(&app).await;
    assert_eq!(round.stalled, 0);
    let lag = perfledger_projections::lag::lag(&app.db.pool, &perfledger_projections::PROJECTORS).await.unwrap();
    let new_head = perfledger_store::log::head(&app.db.pool).await.unwrap();
    assert!(new_head > head);
    for l in &lag {
        assert_eq!(l.position, l.head, "{l:?}");
        assert_eq!(l.state, "running");
    }
    let names: Vec<String> = sqlx::query_scalar("SELECT display_name FROM directory_people ORDER BY 1")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(names, vec!["Ada".to_string(), "Bea".to_string()]);
    let (_, health) = get_json(&app, "/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(get_json(&app, "/readyz").await.0, StatusCode::OK);
    // The void is in the audit log.
    let audit: (String, String) =
        sqlx::query_as("SELECT actor, target FROM audit_log WHERE action = 'log.event_voided'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audit, ("token:ops-admin".to_string(), format!("event:{poison}")));
    // A rebuild from position 0 skips the voided event too: identical.
    let report = verify(&app.db.pool, DEFAULT_BATCH, &mut |_| {}).await.unwrap();
    assert!(report.identical, "{report:?}");
}

#[tokio::test]
async fn the_cli_voids_by_position_and_refuses_a_second_void() {
    let app = TestApp::spawn().await;
    app.post_array(&[person("p-1", AGENT, "Ada")]).await;
    let poison = raw_insert(
        &app,
        "person",
        "x",
        "person.upserted",
        r#"{"event_id":"bad","occurred_at":"2026-11-02T09:00:00Z","body":"oops"}"#,
    )
    .await;
    assert!(project(&app).await.stalled > 0);
    let run = |args: Vec<String>| perfledger_command(&app.db).args(args).output();
    let args = |reason: &str| {
        vec!["events".into(), "void".into(), "--position".into(), poison.to_string(), "--reason".into(), reason.into()]
    };
    let first = run(args("hand-edited row")).await.unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let voided: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(voided["position"], poison);
    let second = run(args("again")).await.unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already voided"));
    assert_eq!(project(&app).await.stalled, 0);

    // A payload that is not even an object stalls with its position and is
    // voided by it.
    let array = raw_insert(&app, "person", "y", "person.upserted", "[1, 2]").await;
    assert!(project(&app).await.stalled > 0);
    let stall: (i64, Option<String>) =
        sqlx::query_as("SELECT position, event_id FROM projector_stalls WHERE component = 'directory'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stall, (array, None));
    let voided = perfledger_store::voids::void_event(
        &app.db.pool,
        &perfledger_store::voids::VoidTarget::Position(array),
        "not an event at all",
        "test",
    )
    .await
    .unwrap();
    assert_eq!((voided.position, voided.event_id), (array, None));
    assert_eq!(project(&app).await.stalled, 0);
}

// ------------------------------------------------------------ one projector, one bad event

/// A projector that fails on one event (an error, or a panic) as a bug in
/// a fold would: it counts what it folded in its own table.
struct Fragile {
    panics: bool,
}

#[async_trait::async_trait]
impl perfledger_projections::runner::Projector for Fragile {
    fn name(&self) -> &'static str {
        if self.panics {
            "fragile-panics"
        } else {
            "fragile-errors"
        }
    }

    async fn apply(
        &mut self,
        tx: &mut sqlx::PgConnection,
        events: &[perfledger_projections::runner::Decoded],
    ) -> perfledger_projections::runner::Result<()> {
        for event in events {
            if event.event.event_id == "boom" {
                if self.panics {
                    panic!("a fold bug on {}", event.event.event_id);
                }
                return Err(perfledger_projections::runner::ProjectionError::Other("a fold bug".into()));
            }
            sqlx::query("INSERT INTO fragile_folded (projector, position) VALUES ($1, $2)")
                .bind(self.name())
                .bind(event.position)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_projector_that_fails_on_one_event_stops_right_before_it_and_the_others_go_on() {
    let app = TestApp::spawn().await;
    sqlx::query("CREATE TABLE fragile_folded (projector text, position bigint)").execute(&app.db.pool).await.unwrap();
    let mut items: Vec<Value> =
        (0..40).map(|n| person(&format!("p-{n}"), &uuid::Uuid::new_v4().to_string(), "N")).collect();
    items.insert(25, person("boom", AGENT, "Boom"));
    app.post_array(&items).await;
    let boom: i64 = sqlx::query_scalar("SELECT global_position FROM events WHERE event_id = 'boom'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut projectors = perfledger_projections::projectors();
    projectors.push(Box::new(Fragile { panics: false }));
    projectors.push(Box::new(Fragile { panics: true }));
    let mut runner = perfledger_projections::runner::Runner::new(app.db.pool.clone(), projectors, 1_000);
    let caught = runner.catch_up(&mut |_, _| {}).await.expect("a bad event is a stall, not a failed round");
    assert_eq!(caught.stalled, 2);
    for name in ["fragile-errors", "fragile-panics"] {
        let folded: Vec<i64> =
            sqlx::query_scalar("SELECT position FROM fragile_folded WHERE projector = $1 ORDER BY 1")
                .bind(name)
                .fetch_all(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(folded, (1..boom).collect::<Vec<_>>(), "{name} folded exactly the events before it, once");
        let stall: (i64, String, String) =
            sqlx::query_as("SELECT position, event_id, error FROM projector_stalls WHERE component = $1")
                .bind(name)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!((stall.0, stall.1.as_str()), (boom, "boom"), "{name}");
        assert!(stall.2.contains("a fold bug"), "{name}: {}", stall.2);
    }
    // The real projectors were not held back.
    let people: i64 =
        sqlx::query_scalar("SELECT count(*) FROM directory_people").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(people, 41);
    let boom_named: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_people WHERE display_name = 'Boom'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(boom_named, 1, "the real directory folded the event before the void");

    // Voided, the event is skipped by the fragile ones and they reach the head.
    perfledger_store::voids::void_event(
        &app.db.pool,
        &perfledger_store::voids::VoidTarget::EventId("boom".into()),
        "fold bug",
        "test",
    )
    .await
    .map(|voided| assert_eq!(voided.applied_before_void_by.len(), perfledger_projections::PROJECTORS.len()))
    .unwrap();
    let caught = runner.catch_up(&mut |_, _| {}).await.unwrap();
    assert_eq!(caught.stalled, 0);
    let folded: i64 = sqlx::query_scalar("SELECT count(*) FROM fragile_folded WHERE projector = 'fragile-errors'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(folded, 41, "every event but the voided one (the void itself is an event too)");
    let stalls: i64 =
        sqlx::query_scalar("SELECT count(*) FROM projector_stalls").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stalls, 0);
    // The projectors that had folded it before the void fold the log again
    // without it: honoured after meeting the event as well as before.
    let named: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_people WHERE display_name = 'Boom'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(named, 0, "the voided hire is gone from the directory");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_people").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(count, 40);
    run_once(&app.db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await.unwrap();
    let report = verify(&app.db.pool, DEFAULT_BATCH, &mut |_| {}).await.unwrap();
    assert!(report.identical, "a live void equals a rebuild that skips the event: {report:?}");
}

#[tokio::test]
async fn a_week_that_cannot_be_scored_stalls_only_itself() {
    let app = TestApp::spawn().await;
    let mut items = vec![person("p-1", AGENT, "Ada")];
    items.extend(ticket_lifecycle("T-1"));
    let mut other_week = ticket_lifecycle("T-2");
    for item in &mut other_week {
        let at = item["occurred_at"].as_str().unwrap().replace("2026-11-02", "2026-11-10");
        item["occurred_at"] = json!(at);
        item["data"].as_object_mut().unwrap().remove("sla_due_at");
    }
    items.extend(other_week);
    app.post_array(&items).await;
    project(&app).await;
    // A row no build wrote: the week of 2026-11-02 can no longer be read.
    sqlx::query("UPDATE metric_accumulators SET data = '{\"support\": 7}' WHERE day = '2026-11-02'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO scoring_dirty (period_start) VALUES ('2026-11-02T00:00:00Z'), ('2026-11-09T00:00:00Z') ON CONFLICT DO NOTHING")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let round = project(&app).await;
    assert_eq!(round.stalled, 1);
    let stall: (Option<chrono::NaiveDate>, String) =
        sqlx::query_as("SELECT week, error FROM projector_stalls WHERE component = 'scoring'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stall.0, chrono::NaiveDate::from_ymd_opt(2026, 11, 2));
    let still_dirty: Vec<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT period_start FROM scoring_dirty").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(still_dirty.len(), 1, "only the bad week stays dirty: {still_dirty:?}");
    let (status, health) = get_json(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["scoring"]["state"], "stalled", "{health}");
    assert_eq!(get_json(&app, "/readyz").await.0, StatusCode::SERVICE_UNAVAILABLE);
}
