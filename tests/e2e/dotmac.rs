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
const AGENT_ALICE: &str = "00000000-0000-4000-8000-0000000a9e01";
const AGENT_BOB: &str = "00000000-0000-4000-8000-0000000a9e02";

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
{more}
"#,
        more = more_of_the_organisation_sql()
    )
}

/// Tasks, a work order with a note, conversations with inbound and outbound
/// messages, leads and quotes, all in the week of 2025-01-06 (hand-computed
/// scores in `dotmac_backfill_scores_by_hand_and_reruns_add_nothing`).
fn more_of_the_organisation_sql() -> String {
    format!(
        r#"
INSERT INTO public.crm_agents (id, person_id, is_active, created_at, updated_at) VALUES
 ('{AGENT_ALICE}', '{ALICE}', true, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
 ('{AGENT_BOB}', '{BOB}', true, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
INSERT INTO public.projects (id, name, status, priority, is_active, created_at, updated_at)
VALUES ('60000000-0000-4000-8000-000000000000', 'Rollout', 'active', 'normal', true, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
-- TA1 Alice: done before its due time. TA2 Alice: still in progress. TB1 Bob: done after its due time.
INSERT INTO public.project_tasks (id, project_id, title, status, priority, number, assigned_to_person_id, due_at, completed_at, effort_hours, is_active, created_at, updated_at) VALUES
 ('60000000-0000-4000-8000-000000000001', '60000000-0000-4000-8000-000000000000', 'TA1', 'done', 'normal', '1', '{ALICE}', '2025-01-08T00:00:00Z', '2025-01-07T12:00:00Z', 4, true, '2025-01-06T09:00:00Z', '2025-01-07T12:00:00Z'),
 ('60000000-0000-4000-8000-000000000002', '60000000-0000-4000-8000-000000000000', 'TA2', 'in_progress', 'normal', '2', '{ALICE}', '2025-01-10T00:00:00Z', NULL, 2, true, '2025-01-06T10:00:00Z', '2025-01-07T09:00:00Z'),
 ('60000000-0000-4000-8000-000000000003', '60000000-0000-4000-8000-000000000000', 'TB1', 'done', 'normal', '3', '{BOB}', '2025-01-07T00:00:00Z', '2025-01-08T10:00:00Z', 8, true, '2025-01-06T09:00:00Z', '2025-01-08T10:00:00Z');
-- WA Alice: due 12:00, 120 min estimated; started 10:00, completed 12:30; a note by Alice at 11:00 (50 characters).
INSERT INTO public.work_orders (id, title, status, priority, work_type, assigned_to_person_id, scheduled_start, scheduled_end, estimated_duration_minutes, started_at, completed_at, is_active, created_at, updated_at)
VALUES ('70000000-0000-4000-8000-000000000001', 'WA', 'completed', 'normal', 'repair', '{ALICE}', '2025-01-06T10:00:00Z', '2025-01-06T12:00:00Z', 120,
        '2025-01-06T10:00:00Z', '2025-01-06T12:30:00Z', true, '2025-01-06T08:00:00Z', '2025-01-06T12:30:00Z');
INSERT INTO public.work_order_notes (id, work_order_id, author_person_id, body, is_internal, created_at)
VALUES ('70000000-0000-4000-8000-000000000002', '70000000-0000-4000-8000-000000000001', '{ALICE}', repeat('n', 50), false, '2025-01-06T11:00:00Z');
-- CA Alice (email): customer 09:00, Alice 09:20, resolved 10:00. CB Bob (whatsapp): customer 09:00, Bob 09:40, resolved 11:00.
INSERT INTO public.crm_conversations (id, person_id, status, is_active, is_muted, resolved_at, created_at, updated_at) VALUES
 ('80000000-0000-4000-8000-000000000001', '{CARL}', 'resolved', true, false, '2025-01-06T10:00:00Z', '2025-01-06T09:00:00Z', '2025-01-06T10:00:00Z'),
 ('80000000-0000-4000-8000-000000000002', '{CARL}', 'resolved', true, false, '2025-01-07T11:00:00Z', '2025-01-07T09:00:00Z', '2025-01-07T11:00:00Z');
INSERT INTO public.crm_conversation_assignments (id, conversation_id, agent_id, assigned_at, is_active, created_at, updated_at) VALUES
 ('81000000-0000-4000-8000-000000000001', '80000000-0000-4000-8000-000000000001', '{AGENT_ALICE}', '2025-01-06T09:01:00Z', false, '2025-01-06T09:01:00Z', '2025-01-06T10:00:00Z'),
 ('81000000-0000-4000-8000-000000000002', '80000000-0000-4000-8000-000000000002', '{AGENT_BOB}', '2025-01-07T09:01:00Z', false, '2025-01-07T09:01:00Z', '2025-01-07T11:00:00Z');
INSERT INTO public.crm_messages (id, conversation_id, channel_type, direction, status, author_id, received_at, sent_at, created_at, updated_at) VALUES
 ('82000000-0000-4000-8000-000000000001', '80000000-0000-4000-8000-000000000001', 'email', 'inbound', 'received', NULL, '2025-01-06T09:00:00Z', NULL, '2025-01-06T09:00:00Z', '2025-01-06T09:00:00Z'),
 ('82000000-0000-4000-8000-000000000002', '80000000-0000-4000-8000-000000000001', 'email', 'outbound', 'sent', '{ALICE}', NULL, '2025-01-06T09:20:00Z', '2025-01-06T09:20:00Z', '2025-01-06T09:20:00Z'),
 ('82000000-0000-4000-8000-000000000003', '80000000-0000-4000-8000-000000000002', 'whatsapp', 'inbound', 'received', NULL, '2025-01-07T09:00:00Z', NULL, '2025-01-07T09:00:00Z', '2025-01-07T09:00:00Z'),
 ('82000000-0000-4000-8000-000000000004', '80000000-0000-4000-8000-000000000002', 'whatsapp', 'outbound', 'sent', '{BOB}', NULL, '2025-01-07T09:40:00Z', '2025-01-07T09:40:00Z', '2025-01-07T09:40:00Z');
-- Leads: Alice won 1000 and lost 500; Bob won 3000. Quotes: Alice's accepted, Bob's rejected.
INSERT INTO public.crm_leads (id, person_id, owner_agent_id, title, status, estimated_value, lost_reason, closed_at, is_active, created_at, updated_at) VALUES
 ('90000000-0000-4000-8000-000000000001', '{CARL}', '{AGENT_ALICE}', 'LA1', 'won', 1000, NULL, '2025-01-08T09:00:00Z', true, '2025-01-06T09:00:00Z', '2025-01-08T09:00:00Z'),
 ('90000000-0000-4000-8000-000000000002', '{CARL}', '{AGENT_ALICE}', 'LA2', 'lost', 500, 'price', '2025-01-09T09:00:00Z', true, '2025-01-06T10:00:00Z', '2025-01-09T09:00:00Z'),
 ('90000000-0000-4000-8000-000000000003', '{CARL}', '{AGENT_BOB}', 'LB1', 'won', 3000, NULL, '2025-01-09T09:00:00Z', true, '2025-01-07T09:00:00Z', '2025-01-09T09:00:00Z');
INSERT INTO public.crm_quotes (id, person_id, lead_id, owner_person_id, status, currency, subtotal, tax_total, total, sent_at, is_active, created_at, updated_at) VALUES
 ('91000000-0000-4000-8000-000000000001', '{CARL}', '90000000-0000-4000-8000-000000000001', '{ALICE}', 'accepted', 'NGN', 900, 0, 900, '2025-01-07T09:00:00Z', true, '2025-01-07T08:00:00Z', '2025-01-07T12:00:00Z'),
 ('91000000-0000-4000-8000-000000000002', '{CARL}', '90000000-0000-4000-8000-000000000003', '{BOB}', 'rejected', 'NGN', 2500, 0, 2500, '2025-01-08T09:00:00Z', true, '2025-01-08T08:00:00Z', '2025-01-08T12:00:00Z');
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
    domain_scores(db, "support").await
}

async fn domain_scores(db: &TestDb, domain: &str) -> Vec<(String, String, String)> {
    let out = run_perfledger(db, &["project", "--once"]);
    assert!(out.status.success(), "project: {}", String::from_utf8_lossy(&out.stderr));
    let mut rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT person_id::text, to_char(score_period_start, 'YYYY-MM-DD'), raw_score::text FROM agent_performance_scores
         WHERE domain = $1",
    )
    .bind(domain)
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

    // The other domains, week of 2025-01-06 (events-and-metrics.md §3). Alice
    // and Bob are the Desk team, so every team(x) is over the two of them.
    let week = |person: &str, score: &str| vec![(person.to_string(), "2025-01-06".to_string(), score.to_string())];
    let both = |bob: &str, alice: &str| [week(BOB, bob), week(ALICE, alice)].concat();
    // Operations. Alice: 2 tasks created for her, 1 completed (TA1, on time),
    //   none blocked: completion 35·1/2 = 17.5; on time 30·1/1 = 30; effort
    //   accuracy 0 (DotMac has no actual hours); not blocked 15·(1 − 0/2) = 15 → 62.5.
    // Bob: TB1 created and completed late: 35·1/1 = 35; 30·0/1 = 0; 0; 15 → 50.
    assert_eq!(domain_scores(&db, "operations").await, both("50.00", "62.50"));
    // Field service, Alice alone: WA completed (1 of 1 assigned) → 30;
    //   delay 12:30 − 12:00 = 30 min → 25·(1 − 30/60) = 12.5; actual 150 min
    //   (started 10:00) against 120 → accuracy 1 − 30/120 = 0.75 → 25·0.75 = 18.75;
    //   the note came before the completion → 20·1/1 = 20 → 81.25.
    assert_eq!(domain_scores(&db, "field_service").await, week(ALICE, "81.25"));
    // Communication. First responses: Alice 20 min, Bob 40 → team 30;
    //   resolutions (from the first customer message): Alice 60, Bob 120 → team 90;
    //   volume 1 each → team 1; team channels {email, whatsapp}, each sent in one.
    // Alice: 30·(1 − 20/30) = 10; 25·(1 − 60/90) = 8.333…; 25·min(1, 1/1) = 25; 20·1/2 = 10 → 53.333… → 53.33.
    // Bob: 30·max(0, 1 − 40/30) = 0; 25·max(0, 1 − 120/90) = 0; 25; 10 → 35.
    assert_eq!(domain_scores(&db, "communication").await, both("35.00", "53.33"));
    // Sales. Alice: won 1 of 2 → 35·1/2 = 17.5; pipeline 1000 + 500 = 1500
    //   against team (1500 + 3000)/2 = 2250 → 25·1500/2250 = 16.666…; 1 quote
    //   sent, 1 accepted → 25; activity: nobody has a lead.contacted (DotMac
    //   records none), team(x) unavailable → half points 7.5 → 66.666… → 66.67.
    // Bob: 35·1/1 = 35; 25·min(1, 3000/2250) = 25; 25·0/1 = 0; 7.5 → 67.5.
    assert_eq!(domain_scores(&db, "sales").await, both("67.50", "66.67"));
    // Data quality: no contact or organization saves (not available: 0 + 0);
    //   no resolution carries a tag → tagging 0. Alice's note thoroughness:
    //   her T1 comment (38 characters) and WA note (50) → mean 44 → 15·44/100 = 6.6.
    //   Bob wrote nothing (his resolutions make the domain scored) → 0, both weeks.
    assert_eq!(
        domain_scores(&db, "data_quality").await,
        [week(BOB, "0.00"), week(ALICE, "6.60"), vec![(BOB.to_string(), "2025-01-13".to_string(), "0.00".to_string())]]
            .concat()
    );

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

    // A change in a snapshot table (no `updated_at`: read whole, skipped while
    // its digest is unchanged) is still picked up: Bob becomes a lead.
    sqlx::query(&format!("UPDATE public.service_team_members SET role = 'lead' WHERE person_id = '{BOB}'"))
        .execute(&source.pool)
        .await
        .unwrap();
    let changed = connect_once(&db, &source);
    assert_eq!(changed["events_appended"], 1, "{changed}");
    let member_sets: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'team.member_set' AND payload::text LIKE '%\"lead\"%' AND payload::text LIKE $1",
    )
    .bind(format!("%{BOB}%"))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(member_sets, 1, "Bob's new role is in the log");
    let before = log_ids(&db).await;
    let unchanged = connect_once(&db, &source);
    assert_eq!(unchanged["events_appended"], 0, "{unchanged}");

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

// ------------------------------------------------------------ webhooks

const T7: &str = "10000000-0000-4000-8000-000000000007";

/// DotMac's envelope for a ticket, serialised as DotMac does (", " and ": ").
/// A new ticket in DotMac after the backfill: Alice's T7, opened 2025-01-14
/// 09:00 and closed at 10:00 (60 min, no due time).
async fn insert_ticket_t7(source: &TestDb) {
    sqlx::query(&format!(
        "INSERT INTO public.tickets (id, title, status, priority, channel, number, assigned_to_person_id, customer_person_id, resolved_at, closed_at, is_active, created_at, updated_at)
         VALUES ('{T7}', 'T7', 'closed', 'normal', 'email', '7', '{ALICE}', '{CARL}', '2025-01-14T10:00:00Z', '2025-01-14T10:00:00Z', true, '2025-01-14T09:00:00Z', '2025-01-14T10:00:00Z')"
    ))
    .execute(&source.pool)
    .await
    .unwrap();
}

fn webhook_body(event_id: &str, ticket: &str) -> String {
    format!(
        r#"{{"event_id": "{event_id}", "event_type": "ticket.created", "occurred_at": "2025-01-14T09:00:00+00:00", "payload": {{"ticket_id": "{ticket}"}}, "context": {{"actor": null, "ticket_id": "{ticket}"}}}}"#
    )
}

async fn post_webhook(
    client: &reqwest::Client,
    base: &str,
    body: &str,
    signature: Option<&str>,
) -> (reqwest::StatusCode, Value) {
    let mut request = client
        .post(format!("http://{base}/api/v1/connectors/dotmac/webhook"))
        .header("content-type", "application/json")
        .header("x-webhook-delivery-id", "d-1")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("x-webhook-signature-256", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn inbox(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM dotmac_webhook_inbox ORDER BY 1").fetch_all(&db.pool).await.unwrap()
}

/// Polls `probe` every 100 ms until it is true or `limit` passes; the time it took.
async fn within<F, Fut>(limit: std::time::Duration, mut probe: F) -> Option<std::time::Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if probe().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

/// `perfledger serve` with the webhook secret, and a following `perfledger
/// connect dotmac` polling only once an hour: a signed webhook is stored once
/// and wakes the follower, whose pull brings the new ticket's events (and the
/// served projector its scores) within seconds; unsigned, tampered and wrongly
/// keyed bodies are refused with 401 and store nothing; a redelivery is a no-op.
#[tokio::test]
async fn dotmac_webhook_is_verified_stored_once_and_wakes_the_pull() {
    use tokio::io::AsyncBufReadExt;
    const KEY: &str = "the-secret-registered-in-dotmac-0123456789";
    let source = dotmac_database().await;
    let db = fresh_database().await;
    let (_server, address) =
        crate::support::serve_binary(&db, &["--no-review-worker"], &[("PERFLEDGER_DOTMAC_WEBHOOK_SECRET", KEY)]).await;
    let client = reqwest::Client::new();

    // The follower: backfill, then wait (an hour) for the next poll or a webhook.
    let mut follower = crate::support::perfledger_command(&db)
        .args(["connect", "dotmac", "--poll-seconds", "3600", "--source-url", &source.database_url()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("connect dotmac starts");
    let mut lines = tokio::io::BufReader::new(follower.stderr.take().unwrap()).lines();
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("following") {
                return;
            }
        }
        panic!("connect dotmac exited before following");
    })
    .await
    .expect("the backfill finishes");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    // The follower listens once its first poll is done; give it a moment to be waiting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = log_ids(&db).await;

    // A new ticket in DotMac (Alice, 2025-01-14, 60 min, no due time), and its webhook.
    insert_ticket_t7(&source).await;
    let body = webhook_body("evt-7", T7);
    let signature = perfledger_dotmac::webhook::sign(KEY.as_bytes(), body.as_bytes());

    // Refused: no signature, a tampered body, another secret. Nothing stored, nothing pulled.
    let tampered = body.replace("ticket.created", "ticket.updated");
    let wrong = perfledger_dotmac::webhook::sign(b"another-secret", body.as_bytes());
    for (what, text, header) in [
        ("unsigned", &body, None),
        ("tampered", &tampered, Some(signature.as_str())),
        ("wrong secret", &body, Some(&wrong)),
    ] {
        let (status, problem) = post_webhook(&client, &address, text, header).await;
        assert_eq!(status, 401, "{what}: {problem}");
        assert_eq!(problem["field"], "X-Webhook-Signature-256", "{what}: {problem}");
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(inbox(&db).await.is_empty(), "a refused body stores nothing");
    assert_eq!(log_ids(&db).await, before, "and wakes nothing");

    // Accepted: stored, answered 202, and the pull for it runs now (not in an hour).
    let (status, answer) = post_webhook(&client, &address, &body, Some(&signature)).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer, serde_json::json!({"event_id": "evt-7", "duplicate": false}));
    let opened = format!("dotmac:ticket:{T7}:opened");
    let took = within(std::time::Duration::from_secs(20), || {
        let db = &db;
        let opened = opened.clone();
        async move { log_ids(db).await.contains(&opened) }
    })
    .await
    .expect("the webhook woke the pull: T7's events are in the log");
    eprintln!("webhook → events in {took:?}");
    let resolved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'ticket.resolved'")
            .bind(T7)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(resolved, 1);

    // And the served projector scores it. Week of 2025-01-13 by hand: Alice T7
    // 60 min, Bob T4 30 min, no due times; team(resolution) = (60 + 30) / 2 = 45.
    //   Alice: SLA 0; time 30·max(0, 1 − 60/45) = 0; escalation 20·(1 − 0) = 20; no rating 0 → 20.
    //   Bob: SLA 0; time 30·(1 − 30/45) = 10; 20; 0 → 30.
    let week_scores = || async {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT person_id::text, raw_score::text FROM agent_performance_scores
             WHERE domain = 'support' AND score_period_start = '2025-01-13T00:00:00Z' ORDER BY 1",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        rows
    };
    let expected = vec![(BOB.to_string(), "30.00".to_string()), (ALICE.to_string(), "20.00".to_string())];
    if within(std::time::Duration::from_secs(30), || async { week_scores().await == expected }).await.is_none() {
        panic!("the week is rescored by hand: {:?}", week_scores().await);
    }

    // A redelivery of the same event_id: 200, nothing new.
    let after = log_ids(&db).await;
    let (status, answer) = post_webhook(&client, &address, &body, Some(&signature)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["duplicate"], true);
    assert_eq!(inbox(&db).await, vec!["evt-7".to_string()]);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(log_ids(&db).await, after, "a redelivery adds nothing");
    follower.kill().await.ok();
}

/// A signed body with a NUL escape in a field perfledger does not read is
/// stored (as U+FFFD) and answered 202, not refused by `jsonb` with a 503
/// that DotMac would retry for hours; its event id still dedupes.
#[tokio::test]
async fn dotmac_webhook_stores_a_body_with_a_nul() {
    const KEY: &str = "the-secret-registered-in-dotmac-0123456789";
    let db = fresh_database().await;
    let (_server, address) = crate::support::serve_binary(
        &db,
        &["--no-review-worker", "--no-projectors"],
        &[("PERFLEDGER_DOTMAC_WEBHOOK_SECRET", KEY)],
    )
    .await;
    let body = r#"{"event_id": "evt-nul", "event_type": "ticket.updated", "payload": {"title": "a\u0000b"}}"#;
    let signature = perfledger_dotmac::webhook::sign(KEY.as_bytes(), body.as_bytes());
    let client = reqwest::Client::new();
    let (status, answer) = post_webhook(&client, &address, body, Some(&signature)).await;
    assert_eq!(status, 202, "{answer}");
    let title: String =
        sqlx::query_scalar("SELECT body->'payload'->>'title' FROM dotmac_webhook_inbox WHERE event_id = 'evt-nul'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(title, "a\u{fffd}b");
    let (status, answer) = post_webhook(&client, &address, body, Some(&signature)).await;
    assert_eq!(status, 200, "{answer}");
}

/// Without a secret the receiver is off: 404 naming the variable, nothing stored.
#[tokio::test]
async fn dotmac_webhook_is_off_without_a_secret() {
    let db = fresh_database().await;
    let (_server, address) = crate::support::serve_binary(&db, &["--no-review-worker", "--no-projectors"], &[]).await;
    let body = webhook_body("evt-1", T7);
    let signature = perfledger_dotmac::webhook::sign(b"anything", body.as_bytes());
    let (status, problem) = post_webhook(&reqwest::Client::new(), &address, &body, Some(&signature)).await;
    assert_eq!(status, 404, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("PERFLEDGER_DOTMAC_WEBHOOK_SECRET"), "{problem}");
    assert!(inbox(&db).await.is_empty());
}

/// `serve --dotmac-source-url`: the connector runs inside the server as a
/// supervised task (shown on /healthz): it backfills on start, and a signed
/// webhook wakes it, with no `connect dotmac` process beside it.
#[tokio::test]
async fn serve_runs_the_connector_and_the_webhook_wakes_it() {
    const KEY: &str = "the-secret-registered-in-dotmac-0123456789";
    let source = dotmac_database().await;
    let db = fresh_database().await;
    let source_url = source.database_url();
    let (_server, address) = crate::support::serve_binary(
        &db,
        &["--no-review-worker"],
        &[
            ("PERFLEDGER_DOTMAC_WEBHOOK_SECRET", KEY),
            ("PERFLEDGER_SERVE_DOTMAC_SOURCE_URL", source_url.as_str()),
            ("PERFLEDGER_DOTMAC_POLL_SECONDS", "3600"),
        ],
    )
    .await;
    let client = reqwest::Client::new();

    // The backfill: the first poll appends the seeded organisation.
    let opened = "dotmac:ticket:10000000-0000-4000-8000-000000000001:opened".to_string();
    within(std::time::Duration::from_secs(60), || {
        let (db, opened) = (&db, opened.clone());
        async move { log_ids(db).await.contains(&opened) }
    })
    .await
    .expect("the in-server connector backfills");
    let health: Value = client.get(format!("http://{address}/healthz")).send().await.unwrap().json().await.unwrap();
    let dotmac = health["tasks"].as_array().unwrap().iter().find(|t| t["task"] == "dotmac");
    assert!(dotmac.is_some_and(|t| t["state"] == "running"), "{health}");
    // The follower listens once its first poll is done; give it a moment to be waiting.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    // A new ticket and its webhook: pulled now, not at the next poll in an hour.
    insert_ticket_t7(&source).await;
    let body = webhook_body("evt-7", T7);
    let signature = perfledger_dotmac::webhook::sign(KEY.as_bytes(), body.as_bytes());
    let (status, answer) = post_webhook(&client, &address, &body, Some(&signature)).await;
    assert_eq!(status, 202, "{answer}");
    let opened = format!("dotmac:ticket:{T7}:opened");
    within(std::time::Duration::from_secs(20), || {
        let (db, opened) = (&db, opened.clone());
        async move { log_ids(db).await.contains(&opened) }
    })
    .await
    .expect("the webhook woke the in-server connector");
}

// ------------------------------------------------------------ kill and resume

/// Every event's (id, type, entity, payload) and every score, for comparing two logs.
async fn log_and_scores(db: &TestDb) -> (Vec<(String, String, String, String)>, Vec<(String, String, String, String)>) {
    let out = run_perfledger(db, &["project", "--once"]);
    assert!(out.status.success(), "project: {}", String::from_utf8_lossy(&out.stderr));
    let log = sqlx::query_as(
        "SELECT event_id, event_type, aggregate_id, payload::text FROM events WHERE event_id IS NOT NULL ORDER BY event_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let scores = sqlx::query_as(
        "SELECT person_id::text, to_char(score_period_start, 'YYYY-MM-DD'), domain, raw_score::text
         FROM agent_performance_scores ORDER BY 1, 2, 3",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    (log, scores)
}

async fn event_count(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db.pool).await.unwrap()
}

/// A backfill killed (SIGKILL) mid-pull and then resumed gives the same log
/// and the same scores as a clean run: the chunks it appended but had not
/// recorded (shadow, watermark) are re-derived with the same ids (duplicates),
/// its held events are released, nothing is lost or doubled.
#[tokio::test]
async fn dotmac_killed_mid_pull_and_resumed_equals_a_clean_run() {
    let source = fresh_database().await;
    sqlx::raw_sql(perfledger_dotmac::fixture::SCHEMA_SQL).execute(&source.pool).await.unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-06T00:00:00Z").unwrap().to_utc();
    sqlx::raw_sql(&perfledger_dotmac::fixture::bulk_seed_sql(60, 3, start)).execute(&source.pool).await.unwrap();

    let clean = fresh_database().await;
    let report = connect_once(&clean, &source);
    let total = report["events_appended"].as_i64().unwrap();
    assert!(total > 3000, "{report}");
    assert_eq!(report["skipped"], 0, "{report}");

    // The same backfill in chunks of 40 rows, killed once some of it is in the log.
    let resumed = fresh_database().await;
    let mut child = crate::support::perfledger_command(&resumed)
        .args(["connect", "dotmac", "--once", "--chunk-rows", "40", "--source-url", &source.database_url()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let reached = within(std::time::Duration::from_secs(60), || {
        let db = &resumed;
        async move { event_count(db).await >= total / 3 }
    })
    .await;
    assert!(reached.is_some(), "the killed run got a third of the way");
    assert!(child.try_wait().unwrap().is_none(), "the run was still pulling when it was killed");
    child.kill().await.unwrap();
    let at_kill = event_count(&resumed).await;
    assert!(at_kill < total, "killed mid-pull: {at_kill} of {total}");

    let rest = connect_once(&resumed, &source);
    assert_eq!(at_kill + rest["events_appended"].as_i64().unwrap(), total, "{rest}");
    assert_eq!(rest["skipped"], 0, "{rest}");
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM dotmac_held").fetch_one(&resumed.pool).await.unwrap();
    assert_eq!(held, 0, "nothing left held back");

    let (clean_log, clean_scores) = log_and_scores(&clean).await;
    let (resumed_log, resumed_scores) = log_and_scores(&resumed).await;
    assert_eq!(clean_log.len() as i64, total);
    assert!(clean_log == resumed_log, "the same log ({} and {} events)", clean_log.len(), resumed_log.len());
    assert!(!clean_scores.is_empty());
    assert_eq!(clean_scores, resumed_scores, "the same scores");
    // And a run after that adds nothing.
    assert_eq!(connect_once(&resumed, &source)["events_appended"], 0);
}

// ------------------------------------------------------------ a quiet source

/// One connector polling again while nothing committed in DotMac's database
/// reads nothing (DotMac's transaction snapshot is the one its last poll
/// started from); after a commit anywhere in DotMac every table is read again,
/// and a late row inside the overlap is found, as by a fresh process.
#[tokio::test]
async fn dotmac_quiet_source_is_not_read_again_and_a_commit_is() {
    use perfledger_store::cluster::{find_bin_dir, ClusterOptions, EmbeddedCluster};
    // DotMac in a cluster of its own: commits of the other tests (and of
    // perfledger's database) would make every poll read.
    let Ok(bin) = find_bin_dir() else {
        eprintln!("no PostgreSQL server binaries for a private DotMac cluster: skipped");
        return;
    };
    let dir = tempfile::Builder::new().prefix("pldm-").tempdir_in("/tmp").unwrap();
    let cluster = EmbeddedCluster::start_blocking(dir.path(), ClusterOptions { durable: false }, bin).unwrap();
    let source = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(cluster.connect_options("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(perfledger_dotmac::fixture::SCHEMA_SQL).execute(&source).await.unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-06T00:00:00Z").unwrap().to_utc();
    sqlx::raw_sql(&perfledger_dotmac::fixture::bulk_seed_sql(20, 2, start)).execute(&source).await.unwrap();
    let db = fresh_database().await;
    let connector = perfledger_dotmac::Connector::new(
        source.clone(),
        db.pool.clone(),
        perfledger_store::Ingestor::new(db.pool.clone(), "dotmac"),
        perfledger_dotmac::ConnectorOptions::default(),
    );
    let first = connector.poll(None).await.unwrap();
    assert!(first.events_appended > 1000, "{first:?}");
    let quiet = connector.poll(None).await.unwrap();
    assert_eq!((quiet.rows_read, quiet.events_appended), (0, 0), "{quiet:?}");

    // A commit in a table the connector does not read: every table is read again, nothing is new.
    sqlx::query("UPDATE public.projects SET updated_at = updated_at").execute(&source).await.unwrap();
    let busy = connector.poll(None).await.unwrap();
    assert!(busy.rows_read > 0, "{busy:?}");
    assert_eq!(busy.events_appended, 0, "{busy:?}");
    assert_eq!(connector.poll(None).await.unwrap().rows_read, 0, "quiet again");

    // A late comment: older than the comments' watermark, inside the overlap.
    sqlx::query(
        "INSERT INTO public.ticket_comments (id, ticket_id, author_person_id, body, is_internal, created_at)
         SELECT '50000000-0000-4000-8000-000000000009', md5('t1-0-0')::uuid, md5('p1')::uuid, 'late', false,
                max(created_at) - interval '5 minutes' FROM public.ticket_comments",
    )
    .execute(&source)
    .await
    .unwrap();
    let late = connector.poll(None).await.unwrap();
    assert_eq!(late.events_appended, 1, "{late:?}");
    assert!(log_ids(&db).await.contains(&"dotmac:ticket_comment:50000000-0000-4000-8000-000000000009".to_string()));
    source.close().await;
    drop(cluster);
}
