//! The DotMac connector against DotMac's real schema (connectors/dotmac/fixtures,
//! a copy of DotMac's own `schema.sql`): a small organisation over two weeks,
//! pulled with `perfledger connect dotmac --once`, scored, and compared with
//! values computed by hand; re-runs, two connectors at once, a late row
//! inside the overlap, and bad source rows (docs/connectors/dotmac.md).

use perfledger_tests::{fresh_database, TestDb};
use serde_json::Value;

use crate::support::run_perfledger;

const ALICE: &str = "00000000-0000-4000-8000-00000000a11c";
const BOB: &str = "00000000-0000-4000-8000-000000000b0b";
const CARL: &str = "00000000-0000-4000-8000-00000000ca71"; // a customer
const TEAM: &str = "00000000-0000-4000-8000-0000000000d1";

/// Two support staff and a customer; week 2025-W02 and 2025-W03.
fn seed_sql() -> String {
    format!(
        r#"
INSERT INTO public.service_teams (id, name, team_type, is_active, created_at, updated_at)
VALUES ('{TEAM}', 'Desk', 'support', true, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
INSERT INTO public.people (id, first_name, last_name, email, email_verified, gender, party_status, status, is_active, marketing_opt_in, created_at, updated_at) VALUES
 ('{ALICE}', 'Alice', 'A', 'alice@example.com', true, 'female', 'contact', 'active', true, false, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
 ('{BOB}', 'Bob', 'B', 'bob@example.com', true, 'male', 'contact', 'active', true, false, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
 ('{CARL}', 'Carl', 'C', 'carl@example.com', true, 'male', 'customer', 'active', true, false, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
INSERT INTO public.service_team_members (id, team_id, person_id, role, is_active, created_at) VALUES
 (gen_random_uuid(), '{TEAM}', '{ALICE}', 'lead', true, '2025-01-01T00:00:00Z'),
 (gen_random_uuid(), '{TEAM}', '{BOB}', 'member', true, '2025-01-01T00:00:00Z');
-- T1 Alice: 60 min, SLA clock due 13:00 (met), rated 5 through its invitation.
-- T2 Alice: 180 min, SLA clock due 10:00 breached at 10:00 (escalated, not met); pending confirmation counts as resolved.
-- T3 Bob: 60 min, due 12:00 (met), rated 3 on the response itself.
-- T4 Bob (week 3): 30 min, no due time.
INSERT INTO public.tickets (id, title, status, priority, channel, number, assigned_to_person_id, customer_person_id, due_at, resolved_at, closed_at, is_active, created_at, updated_at) VALUES
 ('10000000-0000-4000-8000-000000000001', 'T1', 'closed', 'normal', 'email', '1', '{ALICE}', '{CARL}', NULL, '2025-01-06T10:00:00Z', '2025-01-06T11:00:00Z', true, '2025-01-06T09:00:00Z', '2025-01-06T11:00:00Z'),
 ('10000000-0000-4000-8000-000000000002', 'T2', 'pending_confirmation', 'normal', 'email', '2', '{ALICE}', '{CARL}', NULL, '2025-01-06T12:00:00Z', NULL, true, '2025-01-06T09:00:00Z', '2025-01-06T12:00:00Z'),
 ('10000000-0000-4000-8000-000000000003', 'T3', 'closed', 'normal', 'web', '3', '{BOB}', '{CARL}', '2025-01-07T12:00:00Z', '2025-01-07T10:00:00Z', '2025-01-07T10:00:00Z', true, '2025-01-07T09:00:00Z', '2025-01-07T10:00:00Z'),
 ('10000000-0000-4000-8000-000000000004', 'T4', 'closed', 'normal', 'web', '4', '{BOB}', '{CARL}', NULL, '2025-01-13T09:30:00Z', '2025-01-13T09:30:00Z', true, '2025-01-13T09:00:00Z', '2025-01-13T09:30:00Z'),
 -- bad: closed before it was opened
 ('10000000-0000-4000-8000-000000000005', 'T5', 'closed', 'normal', 'web', '5', '{BOB}', '{CARL}', NULL, '2025-01-07T08:00:00Z', '2025-01-07T08:00:00Z', true, '2025-01-07T09:00:00Z', '2025-01-07T09:05:00Z'),
 -- bad: a control character in its number (the reference)
 ('10000000-0000-4000-8000-000000000006', 'T6', 'open', 'normal', 'web', E'6\x01', NULL, '{CARL}', NULL, NULL, NULL, true, '2025-01-07T09:00:00Z', '2025-01-07T09:06:00Z');
INSERT INTO public.sla_clocks (id, policy_id, entity_type, entity_id, status, started_at, total_paused_seconds, due_at, breached_at, created_at, updated_at) VALUES
 ('20000000-0000-4000-8000-000000000001', gen_random_uuid(), 'ticket', '10000000-0000-4000-8000-000000000001', 'completed', '2025-01-06T09:00:00Z', 0, '2025-01-06T13:00:00Z', NULL, '2025-01-06T09:00:00Z', '2025-01-06T10:00:00Z'),
 ('20000000-0000-4000-8000-000000000002', gen_random_uuid(), 'ticket', '10000000-0000-4000-8000-000000000002', 'breached', '2025-01-06T09:00:00Z', 0, '2025-01-06T10:00:00Z', '2025-01-06T10:00:00Z', '2025-01-06T09:00:00Z', '2025-01-06T10:00:00Z');
INSERT INTO public.survey_invitations (id, survey_id, person_id, token, email, status, ticket_id, created_at) VALUES
 ('30000000-0000-4000-8000-000000000001', gen_random_uuid(), '{CARL}', 'tok1', 'carl@example.com', 'completed', '10000000-0000-4000-8000-000000000001', '2025-01-06T11:00:00Z');
INSERT INTO public.survey_responses (id, survey_id, invitation_id, ticket_id, person_id, rating, completed_at, created_at) VALUES
 ('40000000-0000-4000-8000-000000000001', gen_random_uuid(), '30000000-0000-4000-8000-000000000001', NULL, '{CARL}', 5, '2025-01-06T12:00:00Z', '2025-01-06T12:00:00Z'),
 ('40000000-0000-4000-8000-000000000002', gen_random_uuid(), NULL, '10000000-0000-4000-8000-000000000003', '{CARL}', 3, '2025-01-07T12:00:00Z', '2025-01-07T12:00:00Z'),
 -- bad: a rating out of range
 ('40000000-0000-4000-8000-000000000003', gen_random_uuid(), NULL, '10000000-0000-4000-8000-000000000003', '{CARL}', 9, '2025-01-07T12:30:00Z', '2025-01-07T12:30:00Z');
INSERT INTO public.ticket_comments (id, ticket_id, author_person_id, body, is_internal, created_at) VALUES
 ('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '{ALICE}', 'Restarted the router for the customer.', false, '2025-01-06T09:30:00Z'),
 ('50000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', '{CARL}', 'Thanks!', false, '2025-01-06T09:40:00Z');
"#
    )
}

async fn dotmac_database() -> TestDb {
    let db = fresh_database().await;
    sqlx::raw_sql(perfledger_dotmac::fixture::SCHEMA_SQL).execute(&db.pool).await.expect("DotMac's schema loads");
    sqlx::raw_sql(&seed_sql()).execute(&db.pool).await.expect("the seed loads");
    db
}

fn connect_once(db: &TestDb, source: &TestDb) -> Value {
    let out = run_perfledger(db, &["connect", "dotmac", "--once", "--source-url", &source.database_url()]);
    assert!(out.status.success(), "connect: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("connect --once prints JSON")
}

async fn support_scores(db: &TestDb) -> Vec<(String, String, String)> {
    let out = run_perfledger(db, &["project", "--once"]);
    assert!(out.status.success(), "project: {}", String::from_utf8_lossy(&out.stderr));
    let mut rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT person_id::text, to_char(score_period_start, 'YYYY-MM-DD'), raw_score::text FROM agent_performance_scores
         WHERE domain = 'support'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    rows
}

async fn log_ids(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM events WHERE event_id IS NOT NULL ORDER BY event_id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn dotmac_backfill_scores_by_hand_and_reruns_add_nothing() {
    let source = dotmac_database().await;
    let db = fresh_database().await;
    let first = connect_once(&db, &source);
    assert!(first["events_appended"].as_u64().unwrap() > 10, "{first}");

    // By hand (events-and-metrics.md §3, support):
    // week of 2025-01-06: Alice T1 60 min met, T2 180 min not met + escalated, rating 5;
    //   Bob T3 60 min met, rating 3. team(resolution) = (120 + 60) / 2 = 90.
    //   Alice: SLA 40·1/2 = 20; time 30·max(0, 1 − 120/90) = 0; escalation 20·(1 − 1/2) = 10; CSAT 10·5/5 = 10 → 40.
    //   Bob: 40; 30·(1 − 60/90) = 10; 20; 10·3/5 = 6 → 76.
    // week of 2025-01-13: Bob T4 30 min, no SLA: 0; team = 30 → 0; 20; no rating 0 → 20.
    let expected = vec![
        (BOB.to_string(), "2025-01-06".to_string(), "76.00".to_string()),
        (ALICE.to_string(), "2025-01-06".to_string(), "40.00".to_string()),
        (BOB.to_string(), "2025-01-13".to_string(), "20.00".to_string()),
    ];
    let scores = support_scores(&db).await;
    assert_eq!(scores, expected);

    // The customer is not a person of perfledger; their comment is not credited.
    let people: Vec<String> =
        sqlx::query_scalar("SELECT aggregate_id FROM events WHERE event_type = 'person.upserted' ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(people, vec![BOB.to_string(), ALICE.to_string()], "staff only, in id order");
    let comments: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ticket.commented'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(comments, 1);

    // Bad rows are skipped with their ids, never a stopped connector.
    let skips: Vec<(String, String)> = sqlx::query_as("SELECT source_table, row_id FROM dotmac_skips ORDER BY 1, 2")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    for (table, row) in [
        ("survey_responses", "40000000-0000-4000-8000-000000000003"),
        ("tickets", "10000000-0000-4000-8000-000000000005"),
        ("tickets", "10000000-0000-4000-8000-000000000006"),
    ] {
        assert!(skips.contains(&(table.to_string(), row.to_string())), "{table} {row} skipped: {skips:?}");
    }

    // A second run appends nothing.
    let before = log_ids(&db).await;
    let again = connect_once(&db, &source);
    assert_eq!(again["events_appended"], 0, "{again}");
    assert_eq!(log_ids(&db).await, before);

    // A late row: committed now with a timestamp older than the comments' watermark, inside the overlap.
    sqlx::query(&format!(
        "INSERT INTO public.ticket_comments (id, ticket_id, author_person_id, body, is_internal, created_at)
         VALUES ('50000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', '{BOB}', 'late', true, '2025-01-06T09:35:00Z')"
    ))
    .execute(&source.pool)
    .await
    .unwrap();
    // Two connectors at once: one appends it, the other finds nothing new.
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking({
            let (db_url, src) = (db.database_url(), source.database_url());
            move || connect_by_url(&db_url, &src)
        }),
        tokio::task::spawn_blocking({
            let (db_url, src) = (db.database_url(), source.database_url());
            move || connect_by_url(&db_url, &src)
        }),
    );
    let appended = a.unwrap()["events_appended"].as_u64().unwrap() + b.unwrap()["events_appended"].as_u64().unwrap();
    assert_eq!(appended, 1, "the late comment, once");
    let after = log_ids(&db).await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.contains(&"dotmac:ticket_comment:50000000-0000-4000-8000-000000000003".to_string()));
    assert_eq!(support_scores(&db).await, expected, "the same scores");
}

/// `connect dotmac --once` against the perfledger database at `db_url` (for another thread).
fn connect_by_url(db_url: &str, source_url: &str) -> Value {
    let out = std::process::Command::new(crate::support::perfledger_bin())
        .args(["connect", "dotmac", "--once", "--source-url", source_url])
        .env("DATABASE_URL", db_url)
        .env_remove("PERFLEDGER_LOG")
        .output()
        .expect("the perfledger binary runs");
    assert!(out.status.success(), "connect: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("connect --once prints JSON")
}
