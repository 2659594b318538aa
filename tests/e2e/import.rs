//! `perfledger import`: the binary against a real database.

use std::io::Write;
use std::process::Command;

use serde_json::{json, Value};

use crate::support::*;

fn ndjson(items: &[Value]) -> String {
    items.iter().map(|e| format!("{e}\n")).collect()
}

fn perfledger(db: &perfledger_tests::TestDb, args: &[&str]) -> std::process::Output {
    Command::new(crate::support::perfledger_bin())
        .args(args)
        .env("DATABASE_URL", db.database_url())
        .env("PERFLEDGER_LOG", "warn")
        .output()
        .expect("the perfledger binary runs")
}

async fn count(db: &perfledger_tests::TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db.pool).await.unwrap()
}

#[tokio::test]
async fn import_loads_a_file_and_reimport_is_a_no_op() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("activity.ndjson");
    let mut items = ticket_lifecycle("I-1");
    items.extend(ticket_lifecycle("I-2"));
    std::fs::write(&file, ndjson(&items)).unwrap();

    let first = perfledger(&db, &["import", file.to_str().unwrap(), "--batch", "2"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stderr).contains("6 accepted"));
    assert_eq!(count(&db).await, 6);
    assert!(!dir.path().join("activity.rejects.ndjson").exists());

    let again = perfledger(&db, &["import", file.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 accepted, 6 duplicates"));
    assert_eq!(count(&db).await, 6);
}

#[tokio::test]
async fn bad_lines_go_to_a_rejects_file_and_the_exit_code_says_so() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.ndjson");
    let mut body = ndjson(&ticket_lifecycle("I-3")).into_bytes();
    // Line 4: a non-UTF-8 byte. Line 5: a resolution for a ticket never opened.
    body.extend_from_slice(b"{\"event_id\":\"x-1\",\"type\":\"ticket.opened\",\"occurred_at\":\"2026-11-02T09:00:00Z\",\"data\":{\"ticket_id\":\"\xfe\"}}\n");
    body.extend_from_slice(
        format!("{}\n", envelope("x-2", "ticket.resolved", "2026-11-02T10:00:00Z", json!({"ticket_id": "NOPE"})))
            .as_bytes(),
    );
    // Line 6: truncated (the file ends mid-object).
    body.extend_from_slice(b"{\"event_id\":\"x-3\",\"type\":\"ticket.op");
    std::fs::File::create(&file).unwrap().write_all(&body).unwrap();

    let output = perfledger(&db, &["import", file.to_str().unwrap()]);
    assert!(!output.status.success(), "an import with rejected lines must exit non-zero");
    assert_eq!(count(&db).await, 3, "the good lines are imported");
    let rejects = std::fs::read_to_string(dir.path().join("mixed.rejects.ndjson")).unwrap();
    let rejects: Vec<Value> = rejects.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rejects.len(), 3);
    assert_eq!(rejects[0]["line"], 4);
    assert!(rejects[0]["error"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(rejects[1]["line"], 5);
    assert_eq!(rejects[1]["event_id"], "x-2");
    assert_eq!(rejects[1]["field"], "data.ticket_id");
    assert_eq!(rejects[2]["line"], 6);
    assert_eq!(rejects[2]["field"], "envelope");
    assert!(rejects[2]["error"].as_str().unwrap().contains("EOF"), "{}", rejects[2]);
}

#[tokio::test]
async fn an_empty_file_is_a_clear_error() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.ndjson");
    std::fs::write(&file, "").unwrap();
    let output = perfledger(&db, &["import", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("empty.ndjson is empty"), "{stderr}");
    let missing = perfledger(&db, &["import", dir.path().join("nope.ndjson").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

#[tokio::test]
async fn bad_flags_name_the_flag() {
    let db = perfledger_tests::fresh_database().await;
    let output = perfledger(&db, &["import", "x.ndjson", "--batch", "0"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--batch"));
}

#[tokio::test]
async fn demo_seed_data_imports_without_a_single_rejection() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.ndjson");
    let seed = perfledger(
        &db,
        &[
            "demo",
            "seed",
            "--people",
            "24",
            "--weeks",
            "3",
            "--seed",
            "7",
            "--last-week",
            "2026-11-23",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    let lines = std::fs::read_to_string(&file).unwrap().lines().count() as i64;
    assert!(lines > 24 * 3 * 100, "about 200 events per person and week, got {lines}");

    let import = perfledger(&db, &["import", file.to_str().unwrap()]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert_eq!(count(&db).await, lines);
}

#[tokio::test]
async fn an_import_that_reopens_entities_of_an_earlier_import_rejects_just_those() {
    let db = perfledger_tests::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.ndjson");
    std::fs::write(&first, ndjson(&ticket_lifecycle("R-1"))).unwrap();
    assert!(perfledger(&db, &["import", first.to_str().unwrap()]).status.success());

    let second = dir.path().join("second.ndjson");
    let mut items = vec![envelope("R-1-o-again", "ticket.opened", "2026-11-03T09:00:00Z", json!({"ticket_id": "R-1"}))];
    for i in 0..5 {
        items.extend(ticket_lifecycle(&format!("R-2{i}")));
    }
    std::fs::write(&second, ndjson(&items)).unwrap();
    let output = perfledger(&db, &["import", second.to_str().unwrap(), "--batch", "4"]);
    assert!(!output.status.success());
    assert_eq!(count(&db).await, 3 + 15);
    let rejects = std::fs::read_to_string(dir.path().join("second.rejects.ndjson")).unwrap();
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    assert!(rejects.contains("already opened"), "{rejects}");
}
