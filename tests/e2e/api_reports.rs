//! The report endpoints over HTTP (issue 5): leaderboard (JSON and streamed
//! CSV), team summary, peer comparison and drilldown, with the scope each
//! role gets (D17). The exact status of every role × endpoint is in the
//! matrix of `api_access`; this file checks what the 200s contain.
//!
//! The world (every ticket in week 2026-W45, 90 minutes long):
//! - team Alpha (active, `manager_person_id` = MANAGER): EVIL (2 met), MINUS
//!   (1 met, 1 missed), QUOTED (1 missed), DANA (3 met; an agent);
//! - team Beta (active, `manager_person_id` = BETA_BOSS): YARA, ZED, XAVIER
//!   (1 met each);
//! - team Solo: SOL (1 met), alone, so SOL's peer comparison is suppressed.
//!
//! EVIL, MINUS and QUOTED have display names that a spreadsheet would run as
//! formulas or that need CSV quoting.

use std::collections::BTreeSet;

use perfledger_domain::parse_envelope;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::Ingestor;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{envelope, problem_content_type, TestApp};

const ADMIN: &str = "d0000000-0000-4000-8000-000000000001";
const MANAGER: &str = "d0000000-0000-4000-8000-000000000002";
const BETA_BOSS: &str = "d0000000-0000-4000-8000-000000000003";
const EVIL: &str = "e0000000-0000-4000-8000-000000000001";
const MINUS: &str = "e0000000-0000-4000-8000-000000000002";
const QUOTED: &str = "e0000000-0000-4000-8000-000000000003";
const DANA: &str = "e0000000-0000-4000-8000-000000000004";
const YARA: &str = "e0000000-0000-4000-8000-000000000005";
const ZED: &str = "e0000000-0000-4000-8000-000000000006";
const XAVIER: &str = "e0000000-0000-4000-8000-000000000007";
const SOL: &str = "e0000000-0000-4000-8000-000000000008";
const NOBODY: &str = "e0000000-0000-4000-8000-0000000000ff";

const ALPHA: &str = "f0000000-0000-4000-8000-000000000001";
const BETA: &str = "f0000000-0000-4000-8000-000000000002";
const SOLO: &str = "f0000000-0000-4000-8000-000000000003";

const EVIL_NAME: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
const MINUS_NAME: &str = "-1+1";
const QUOTED_NAME: &str = "Smith, \"Jo\"";

const W45: &str = "period=2026-W45";

fn person(id: &str, name: &str) -> Value {
    envelope(
        &format!("person-{id}"),
        "person.upserted",
        "2026-10-01T06:00:00Z",
        json!({"person_id": id, "display_name": name, "is_active": true}),
    )
}

fn team(id: &str, name: &str, manager: &str) -> Value {
    envelope(
        &format!("team-{name}"),
        "team.upserted",
        "2026-10-01T07:00:00Z",
        json!({"team_id": id, "name": name, "team_type": "support", "is_active": true, "manager_person_id": manager}),
    )
}

fn member(team_id: &str, person_id: &str) -> Value {
    envelope(
        &format!("member-{team_id}-{person_id}"),
        "team.member_set",
        "2026-10-01T08:00:00Z",
        json!({"team_id": team_id, "person_id": person_id, "role": "member", "is_active": true}),
    )
}

/// A ticket on 2026-11-`day` (week 45), assigned to `person`, resolved after
/// 90 minutes, within its SLA or not.
fn ticket(id: &str, person: &str, day: u32, sla_met: bool) -> Vec<Value> {
    let date = format!("2026-11-{day:02}");
    let due = if sla_met { "12:00" } else { "10:00" };
    vec![
        envelope(
            &format!("{id}-o"),
            "ticket.opened",
            &format!("{date}T09:00:00Z"),
            json!({"ticket_id": id, "reference": format!("#{id}"), "sla_due_at": format!("{date}T{due}:00Z")}),
        ),
        envelope(
            &format!("{id}-a"),
            "ticket.assigned",
            &format!("{date}T09:05:00Z"),
            json!({"ticket_id": id, "person_id": person}),
        ),
        envelope(&format!("{id}-r"), "ticket.resolved", &format!("{date}T10:30:00Z"), json!({"ticket_id": id})),
    ]
}

async fn ingest_and_project(app: &TestApp, items: &[Value]) {
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(app.db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    run_once(&app.db.pool, DEFAULT_BATCH, chrono::Utc::now(), &mut |_, _| {}).await.expect("projection round");
}

async fn world() -> TestApp {
    let app = TestApp::spawn().await;
    let mut items = vec![
        person(ADMIN, "admin"),
        person(MANAGER, "manager"),
        person(BETA_BOSS, "beta-boss"),
        person(EVIL, EVIL_NAME),
        person(MINUS, MINUS_NAME),
        person(QUOTED, QUOTED_NAME),
        person(DANA, "Dana"),
        person(YARA, "Yara"),
        person(ZED, "zed"),
        person(XAVIER, "Xavier"),
        person(SOL, "Sol"),
        team(ALPHA, "alpha", MANAGER),
        team(BETA, "beta", BETA_BOSS),
        team(SOLO, "solo", ADMIN),
    ];
    for p in [EVIL, MINUS, QUOTED, DANA] {
        items.push(member(ALPHA, p));
    }
    for p in [YARA, ZED, XAVIER] {
        items.push(member(BETA, p));
    }
    items.push(member(SOLO, SOL));
    let tickets: [(&str, &str, u32, bool); 11] = [
        ("t-evil-1", EVIL, 3, true),
        ("t-evil-2", EVIL, 4, true),
        ("t-minus-1", MINUS, 3, true),
        ("t-minus-2", MINUS, 4, false),
        ("t-quoted-1", QUOTED, 3, false),
        ("t-dana-1", DANA, 3, true),
        ("t-dana-2", DANA, 4, true),
        ("t-dana-3", DANA, 5, true),
        ("t-yara-1", YARA, 3, true),
        ("t-zed-1", ZED, 3, true),
        ("t-xavier-1", XAVIER, 3, true),
    ];
    for (id, who, day, met) in tickets {
        items.extend(ticket(id, who, day, met));
    }
    items.extend(ticket("t-sol-1", SOL, 3, true));
    ingest_and_project(&app, &items).await;
    app
}

fn admin(app: &TestApp) -> String {
    app.signer.token(ADMIN, &["admin"], &[], 600)
}

fn manager(app: &TestApp) -> String {
    app.signer.token(MANAGER, &[], &["reports:operations"], 600)
}

fn beta_boss(app: &TestApp) -> String {
    app.signer.token(BETA_BOSS, &[], &["reports"], 600)
}

fn dana(app: &TestApp) -> String {
    app.signer.token(DANA, &["agent"], &[], 600)
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = get(app, token, path).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(problem_content_type(&response), "application/problem+json", "{path}");
    }
    (status, response.json().await.unwrap())
}

fn people(page: &Value) -> BTreeSet<String> {
    page["items"].as_array().unwrap().iter().map(|row| row["person_id"].as_str().unwrap().to_string()).collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_shows_each_role_its_scope_and_team_id_only_narrows() {
    let app = world().await;
    let alpha = set(&[EVIL, MINUS, QUOTED, DANA]);
    let beta = set(&[YARA, ZED, XAVIER]);
    let path = |extra: &str| format!("/api/v1/performance/leaderboard?{W45}{extra}");

    // Admins see everyone scored, or one team.
    let (status, all) = get_json(&app, &admin(&app), &path("")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let everyone: BTreeSet<String> = alpha.iter().chain(&beta).cloned().chain([SOL.to_string()]).collect();
    assert_eq!(people(&all), everyone);
    assert_eq!(all["total"], 8);
    let (_, only_beta) = get_json(&app, &admin(&app), &path(&format!("&team_id={BETA}"))).await;
    assert_eq!(people(&only_beta), beta);

    // A manager sees its managed people; its own team_id narrows to the same.
    let (status, mine) = get_json(&app, &manager(&app), &path("")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(people(&mine), alpha);
    assert_eq!(mine["total"], 4);
    let (_, narrowed) = get_json(&app, &manager(&app), &path(&format!("&team_id={ALPHA}"))).await;
    assert_eq!(people(&narrowed), alpha);
    let (_, theirs) = get_json(&app, &beta_boss(&app), &path("")).await;
    assert_eq!(people(&theirs), beta, "`reports` implies reports:operations");

    // team_id never widens: someone else's team, or an unknown one, is a 403 with no data.
    for team in [BETA, SOLO, NOBODY] {
        let (status, body) = get_json(&app, &manager(&app), &path(&format!("&team_id={team}"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{team}: {body}");
        assert_eq!(body["field"], "team_id");
        assert_eq!(body["type"], "https://perfledger.dev/problems/forbidden");
        assert!(body.get("items").is_none(), "{body}");
    }
    // Only admins learn that a team does not exist.
    let (status, body) = get_json(&app, &admin(&app), &path(&format!("&team_id={NOBODY}"))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::NOT_FOUND, Some("team_id")), "{body}");
    // person_id is not a parameter of the leaderboard at all.
    let (status, body) = get_json(&app, &manager(&app), &path(&format!("&person_id={YARA}"))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("person_id")), "{body}");

    // An agent is no manager.
    let (status, body) = get_json(&app, &dana(&app), &path("")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_sorts_paginates_and_validates() {
    let app = world().await;
    let token = admin(&app);
    let (_, by_composite) = get_json(&app, &token, &format!("/api/v1/performance/leaderboard?{W45}")).await;
    let composites: Vec<f64> =
        by_composite["items"].as_array().unwrap().iter().map(|r| r["composite"].as_f64().unwrap()).collect();
    assert!(composites.windows(2).all(|w| w[0] >= w[1]), "highest first: {composites:?}");
    let first = &by_composite["items"][0];
    for key in ["person_id", "display_name", "team_id", "composite", "domain_scores", "is_flagged", "trend"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!((by_composite["limit"].as_u64(), by_composite["offset"].as_u64()), (Some(50), Some(0)));

    // Names ascending, case-insensitively, two at a time.
    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|r| r["display_name"].as_str().unwrap().to_string()).collect()
    };
    let mut seen = Vec::new();
    for offset in [0, 2, 4, 6] {
        let (status, page) =
            get_json(&app, &token, &format!("/api/v1/performance/leaderboard?{W45}&sort=name&limit=2&offset={offset}"))
                .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 8);
        assert_eq!(page["offset"], offset);
        seen.extend(names(&page));
    }
    let mut expected = vec![EVIL_NAME, MINUS_NAME, "Dana", QUOTED_NAME, "Sol", "Xavier", "Yara", "zed"];
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(seen, expected);
    let (_, beyond) = get_json(&app, &token, &format!("/api/v1/performance/leaderboard?{W45}&offset=8")).await;
    assert_eq!((beyond["items"].as_array().unwrap().len(), beyond["total"].as_u64()), (0, Some(8)));

    for (query, field) in [
        ("sort=salary", "sort"),
        ("order=up", "order"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("period=yesterday", "period"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("team_id=nope", "team_id"),
        ("colour=blue", "colour"),
    ] {
        let (status, body) = get_json(&app, &token, &format!("/api/v1/performance/leaderboard?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert_eq!(body["type"], "https://perfledger.dev/problems/invalid-parameter");
    }
    // A computed range (D6) answers too.
    let (status, range) =
        get_json(&app, &token, "/api/v1/performance/leaderboard?from=2026-11-01&to=2026-11-30&sort=support").await;
    assert_eq!(status, StatusCode::OK, "{range}");
    assert_eq!(range["total"], 8);
}

/// The CSV body as rows of raw lines (no cell contains a newline here).
fn csv_lines(body: &str) -> Vec<&str> {
    assert!(body.ends_with("\r\n"), "rows end with CRLF");
    body.trim_end_matches("\r\n").split("\r\n").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_csv_streams_with_injection_escaped_cells() {
    let app = world().await;
    let response = get(&app, &manager(&app), &format!("/api/v1/performance/leaderboard.csv?{W45}&sort=name")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("leaderboard-2026-W45.csv"), "{disposition}");
    // Streamed: chunked, no length known up front.
    assert!(headers.get("content-length").is_none(), "{headers:?}");
    assert_eq!(headers["transfer-encoding"], "chunked");
    let body = response.text().await.unwrap();
    let lines = csv_lines(&body);
    assert_eq!(
        lines[0],
        "rank,person_id,display_name,team_id,composite (score 0-100),is_flagged,support (score 0-100),\
         operations (score 0-100),field_service (score 0-100),communication (score 0-100),sales (score 0-100),\
         data_quality (score 0-100)"
    );
    // The manager's four people, by name; the formula-like names defused
    // with a leading quote, the comma and quotes quoted (RFC 4180).
    assert_eq!(lines.len(), 5, "{body}");
    let row = |id: &str| *lines.iter().find(|l| l.contains(id)).unwrap_or_else(|| panic!("{id} in {body}"));
    assert!(
        row(EVIL).contains(&format!(",{EVIL},\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",{ALPHA},")),
        "{}",
        row(EVIL)
    );
    assert!(row(MINUS).contains(&format!(",{MINUS},'-1+1,{ALPHA},")), "{}", row(MINUS));
    assert!(row(QUOTED).contains(&format!(",{QUOTED},\"Smith, \"\"Jo\"\"\",{ALPHA},")), "{}", row(QUOTED));
    assert!(row(DANA).contains(&format!(",{DANA},Dana,{ALPHA},")), "{}", row(DANA));
    // No cell starts a formula.
    for line in &lines[1..] {
        assert!(!line.contains(",=") && !line.contains(",-") && !line.contains(",+") && !line.contains(",@"), "{line}");
    }
    // Ranks follow the sort: '-1+1 sorts before =HYPERLINK by the raw name.
    let ranks: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ranks, ["1", "2", "3", "4"]);
    // Out of reach: the same 403 problem as the JSON leaderboard, not a CSV.
    let response =
        get(&app, &manager(&app), &format!("/api/v1/performance/leaderboard.csv?{W45}&team_id={BETA}")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_content_type(&response), "application/problem+json");
    // limit/offset are not parameters of the export: it holds every row.
    let response = get(&app, &admin(&app), &format!("/api/v1/performance/leaderboard.csv?{W45}&limit=1")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let admin_csv = get(&app, &admin(&app), &format!("/api/v1/performance/leaderboard.csv?{W45}")).await;
    assert_eq!(csv_lines(&admin_csv.text().await.unwrap()).len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_csv_streams_every_row_past_one_page() {
    let app = TestApp::spawn().await;
    // More scored people than one page of the leaderboard (500).
    const N: usize = 503;
    let big = "f0000000-0000-4000-8000-0000000000b1";
    let mut items = vec![team(big, "big", ADMIN)];
    for i in 0..N {
        let id = format!("c0000000-0000-4000-8000-{i:012}");
        items.push(person(&id, &format!("Person {i:03}")));
        items.push(member(big, &id));
        items.extend(ticket(&format!("t-{i}"), &id, 3, i % 2 == 0));
    }
    ingest_and_project(&app, &items).await;
    let response = get(&app, &admin(&app), &format!("/api/v1/performance/leaderboard.csv?{W45}&sort=name")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let lines = csv_lines(&body);
    assert_eq!(lines.len(), N + 1, "a header and every row");
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], (i + 1).to_string(), "{line}");
        assert_eq!(cells[2], format!("Person {i:03}"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_summary_and_peer_comparison_have_their_shapes_and_scope() {
    let app = world().await;
    let (status, summary) =
        get_json(&app, &manager(&app), &format!("/api/v1/performance/team-summary?team_id={ALPHA}&{W45}")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["team_id"], ALPHA);
    assert_eq!(summary["name"], "alpha");
    assert_eq!(summary["team_type"], "support");
    assert!(summary["average_composite"].is_number(), "{summary}");
    assert!(summary["top_performer"]["person_id"].is_string(), "{summary}");
    assert!(summary["top_performer"]["composite"].is_number(), "{summary}");
    assert!(summary["needs_coaching"].is_u64() && summary["reviews_generated"].is_u64(), "{summary}");
    assert_eq!((summary["member_count"].as_u64(), summary["scored_count"].as_u64()), (Some(4), Some(4)));
    let distribution = summary["distribution"].as_array().unwrap();
    assert_eq!(distribution.len(), 10);
    assert_eq!(distribution.iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>(), 4);
    // The admin sees any team; the unknown one is a 404 for it and a 403 for the manager.
    let (status, _) =
        get_json(&app, &admin(&app), &format!("/api/v1/performance/team-summary?team_id={BETA}&{W45}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        get_json(&app, &admin(&app), &format!("/api/v1/performance/team-summary?team_id={NOBODY}")).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::NOT_FOUND, Some("team_id")), "{body}");
    for team in [BETA, NOBODY] {
        let (status, body) =
            get_json(&app, &manager(&app), &format!("/api/v1/performance/team-summary?team_id={team}")).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::FORBIDDEN, Some("team_id")), "{body}");
    }
    let (status, body) = get_json(&app, &manager(&app), "/api/v1/performance/team-summary").await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("team_id")), "{body}");

    // Peer comparison: the caller's own, anonymised.
    let (status, peer) = get_json(&app, &dana(&app), &format!("/api/v1/performance/peer-comparison?{W45}")).await;
    assert_eq!(status, StatusCode::OK, "{peer}");
    assert_eq!(peer["suppressed"], false);
    assert!(peer["percentile"].is_number() && peer["team_average"].is_number(), "{peer}");
    assert_eq!(peer["team_size"], 4);
    assert_eq!(peer["histogram"].as_array().unwrap().len(), 10);
    let text = peer.to_string();
    for id in [EVIL, MINUS, QUOTED, DANA] {
        assert!(!text.contains(id), "no ids in a peer comparison: {text}");
    }
    assert!(!text.contains("Smith") && !text.contains("HYPERLINK"), "no names: {text}");
    // SOL's team is too small to stay anonymous.
    let sol = app.signer.token(SOL, &["agent"], &[], 600);
    let (status, alone) = get_json(&app, &sol, &format!("/api/v1/performance/peer-comparison?{W45}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((alone["suppressed"].as_bool(), alone["reason"].as_str()), (Some(true), Some("team_too_small")));
    assert!(alone.get("percentile").is_none(), "{alone}");
    // Nobody can ask for someone else's.
    let (status, body) =
        get_json(&app, &manager(&app), &format!("/api/v1/performance/peer-comparison?person_id={DANA}")).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("person_id")), "{body}");
    // D19: an active person sees their own comparison whatever their roles;
    // a token naming nobody in the directory, without inbox access, does not.
    let bare = app.signer.token(DANA, &[], &[], 600);
    let (status, _) = get_json(&app, &bare, &format!("/api/v1/performance/peer-comparison?{W45}")).await;
    assert_eq!(status, StatusCode::OK);
    let stranger = app.signer.token(NOBODY, &[], &[], 600);
    let (status, _) = get_json(&app, &stranger, "/api/v1/performance/peer-comparison").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drilldown_paginates_the_events_behind_a_score() {
    let app = world().await;
    let path = |week: &str, domain: &str, query: &str| {
        format!("/api/v1/performance/scores/{DANA}/{week}/{domain}/events{query}")
    };
    // DANA's 3 tickets: an assignment and a resolution each, in log order.
    let (status, all) = get_json(&app, &dana(&app), &path("2026-W45", "support", "")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!((all["total"].as_u64(), all["limit"].as_u64(), all["offset"].as_u64()), (Some(6), Some(100), Some(0)));
    let ids = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(ids(&all), ["t-dana-1-a", "t-dana-1-r", "t-dana-2-a", "t-dana-2-r", "t-dana-3-a", "t-dana-3-r"]);
    let first = &all["items"][0];
    for key in ["global_position", "event_id", "event_type", "occurred_at", "data"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["event_type"], "ticket.assigned");

    let (_, page1) = get_json(&app, &manager(&app), &path("2026-W45", "support", "?limit=4")).await;
    let (_, page2) = get_json(&app, &manager(&app), &path("2026-11-02", "support", "?limit=4&offset=4")).await;
    assert_eq!((page1["total"].as_u64(), page2["total"].as_u64()), (Some(6), Some(6)));
    assert_eq!(ids(&page1).len(), 4);
    assert_eq!(ids(&page2).len(), 2);
    assert_eq!([ids(&page1), ids(&page2)].concat(), ids(&all), "pages tile the list; a Monday date is the same week");

    // Someone who may not see DANA: 403; a week without that score: 404.
    let (status, body) = get_json(&app, &beta_boss(&app), &path("2026-W45", "support", "")).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::FORBIDDEN, Some("person_id")), "{body}");
    let (status, body) = get_json(&app, &dana(&app), &path("2026-W40", "support", "")).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::NOT_FOUND, Some("week")), "{body}");
    assert_eq!(body["type"], "https://perfledger.dev/problems/not-found");
    for (week, domain, query, field) in [
        ("2026-11-03", "support", "", "week"),
        ("2026-W54", "support", "", "week"),
        ("soon", "support", "", "week"),
        ("2026-W45", "marketing", "", "domain"),
        ("2026-W45", "support", "?limit=501", "limit"),
        ("2026-W45", "support", "?offset=x", "offset"),
        ("2026-W45", "support", "?page=2", "page"),
    ] {
        let (status, body) = get_json(&app, &dana(&app), &path(week, domain, query)).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{week} {domain}: {body}");
    }
    let (status, body) =
        get_json(&app, &admin(&app), "/api/v1/performance/scores/not-a-uuid/2026-W45/support/events").await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("person_id")), "{body}");
}

/// The reports keep each week's scores and the names in memory
/// (`queries::score_cache`): a rescored week and a renamed person show on
/// the very next request, in the leaderboard, its trend and the peer comparison.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_show_a_rescored_week_and_a_rename_at_once() {
    let app = world().await;
    let token = admin(&app);
    let zed = app.signer.token(ZED, &["agent"], &[], 600);
    let board = format!("/api/v1/performance/leaderboard?{W45}&team_id={BETA}");
    let peer = format!("/api/v1/performance/peer-comparison?{W45}");
    let row_of =
        |page: &Value, id: &str| page["items"].as_array().unwrap().iter().find(|r| r["person_id"] == id).cloned();

    let (_, before) = get_json(&app, &token, &board).await;
    let yara_before = row_of(&before, YARA).expect("Yara is on the board");
    assert_eq!(yara_before["display_name"], "Yara");
    let (_, peer_before) = get_json(&app, &zed, &peer).await;
    // Asked twice: the second answer comes from the cache and is the same.
    assert_eq!(get_json(&app, &token, &board).await.1, before);

    // Yara misses the SLA on a second ticket of the week and is renamed.
    let mut items = ticket("t-yara-2", YARA, 5, false);
    items.push(envelope(
        "person-yara-renamed",
        "person.upserted",
        "2026-11-06T12:00:00Z",
        json!({"person_id": YARA, "display_name": "Yara Renamed", "is_active": true}),
    ));
    ingest_and_project(&app, &items).await;

    let (_, after) = get_json(&app, &token, &board).await;
    let yara_after = row_of(&after, YARA).expect("Yara is still on the board");
    assert_eq!(yara_after["display_name"], "Yara Renamed");
    assert!(
        yara_after["composite"].as_f64() < yara_before["composite"].as_f64(),
        "a missed SLA lowers the composite: {yara_before} → {yara_after}"
    );
    let trend = yara_after["trend"].as_array().unwrap();
    assert_eq!(trend.last(), Some(&yara_after["composite"]), "the trend ends with the rescored week");
    let (_, peer_after) = get_json(&app, &zed, &peer).await;
    assert_ne!(peer_after["team_average"], peer_before["team_average"], "{peer_before} → {peer_after}");
}

/// The leaderboard's cached pages and cached scope (grants, managed people)
/// follow the directory: a member leaving a team drops out of the
/// manager's board at once, and a grant given or taken back widens or
/// narrows the next answer, though the same request was answered (and
/// cached) just before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_leaderboard_follows_directory_changes_at_once() {
    let app = world().await;
    let board = format!("/api/v1/performance/leaderboard?{W45}");
    let alpha = set(&[EVIL, MINUS, QUOTED, DANA]);
    let everyone: BTreeSet<String> = alpha.iter().cloned().chain(set(&[YARA, ZED, XAVIER, SOL])).collect();
    // XAVIER's token carries no permission: only a projected grant can make him a reader.
    let xavier = app.signer.token(XAVIER, &[], &[], 600);
    let grant = |id: &str, roles: Value| {
        envelope(
            id,
            "person.permissions_set",
            "2026-11-20T09:00:00Z",
            json!({"person_id": XAVIER, "roles": roles, "permissions": []}),
        )
    };

    for _ in 0..2 {
        let (status, page) = get_json(&app, &manager(&app), &board).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(people(&page), alpha);
        assert_eq!(get_json(&app, &xavier, &board).await.0, StatusCode::FORBIDDEN);
    }

    // Dana leaves Alpha after the week: her W45 score stays, her manager no longer sees it.
    ingest_and_project(
        &app,
        &[envelope(
            "member-alpha-dana-left",
            "team.member_set",
            "2026-11-20T08:00:00Z",
            json!({"team_id": ALPHA, "person_id": DANA, "role": "member", "is_active": false}),
        )],
    )
    .await;
    let (status, page) = get_json(&app, &manager(&app), &board).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(people(&page), set(&[EVIL, MINUS, QUOTED]), "{page}");
    assert_eq!(page["total"], 3);
    let (_, all) = get_json(&app, &admin(&app), &board).await;
    assert_eq!(people(&all), everyone, "the admin still sees Dana's score: {all}");

    // A projected admin grant makes Xavier's next request an admin's …
    ingest_and_project(&app, &[grant("grant-xavier-admin", json!(["admin"]))]).await;
    let (status, page) = get_json(&app, &xavier, &board).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(people(&page), everyone);
    // … and taking it back makes the same request a 403 again, not a cached page.
    ingest_and_project(&app, &[grant("grant-xavier-none", json!([]))]).await;
    let (status, body) = get_json(&app, &xavier, &board).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.get("items").is_none(), "{body}");
}

/// The people of the consistency world (issue 15 item 1).
const OTHER: &str = "f0000000-0000-4000-8000-0000000000c1";
const P1: &str = "e0000000-0000-4000-8000-0000000000c1";
const P2: &str = "e0000000-0000-4000-8000-0000000000c2";
const P3: &str = "e0000000-0000-4000-8000-0000000000c3";
const P4: &str = "e0000000-0000-4000-8000-0000000000c4";
/// A member of Alpha who leads Other: scored with Other (D8).
const DOUBLE: &str = "e0000000-0000-4000-8000-0000000000c5";
/// Scored with Alpha in W45, left Alpha the week after.
const LEAVER: &str = "e0000000-0000-4000-8000-0000000000c6";
/// Joined Alpha after W45 (works in W46 only).
const NEWBIE: &str = "e0000000-0000-4000-8000-0000000000c7";

fn membership(team_id: &str, person_id: &str, role: &str, active: bool, at: &str) -> Value {
    envelope(
        &format!("member-{team_id}-{person_id}-{at}"),
        "team.member_set",
        at,
        json!({"team_id": team_id, "person_id": person_id, "role": role, "is_active": active}),
    )
}

/// Text between `after` and the next `until` in `html`, tags removed.
fn text_after(html: &str, after: &str, until: &str) -> String {
    let start = html.find(after).unwrap_or_else(|| panic!("no {after:?} in the page")) + after.len();
    let rest = &html[start..];
    let raw = &rest[..rest.find(until).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// A page as the holder of `token` sees it.
async fn page(app: &TestApp, token: &str, path: &str) -> String {
    let response =
        app.client.get(app.url(path)).header("cookie", format!("perfledger_session={token}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// Issue 15 item 1: one definition of "the team's people in a period" (D8:
/// the organisation as of the period's end, the people scored under the
/// team). The team summary's cards and histogram, the leaderboard, its CSV
/// and a member's peer comparison agree, in the API and on the pages, in a
/// team with a member scored with another team of theirs, a member who has
/// left since and one who joined since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_overview_agrees_with_itself() {
    let app = TestApp::spawn().await;
    let mut items = vec![
        person(ADMIN, "admin"),
        person(MANAGER, "manager"),
        team(ALPHA, "alpha", MANAGER),
        team(OTHER, "other", ADMIN),
    ];
    for (id, name) in [(P1, "Ann"), (P2, "Ben"), (P3, "Cat"), (P4, "Dev"), (DOUBLE, "Dora"), (LEAVER, "Lee")] {
        items.push(person(id, name));
        items.push(member(ALPHA, id));
    }
    items.push(person(NEWBIE, "Nia"));
    items.push(membership(OTHER, DOUBLE, "lead", true, "2026-10-01T08:30:00Z"));
    items.push(membership(ALPHA, LEAVER, "member", false, "2026-11-12T08:00:00Z"));
    items.push(membership(ALPHA, NEWBIE, "member", true, "2026-11-12T08:00:00Z"));
    let tickets: [(&str, &str, u32, bool); 12] = [
        ("c-p1-1", P1, 3, true),
        ("c-p1-2", P1, 4, true),
        ("c-p2-1", P2, 3, true),
        ("c-p2-2", P2, 4, false),
        ("c-p3-1", P3, 3, false),
        ("c-p4-1", P4, 3, true),
        ("c-p4-2", P4, 4, true),
        ("c-p4-3", P4, 5, true),
        ("c-double-1", DOUBLE, 3, true),
        ("c-double-2", DOUBLE, 4, true),
        ("c-leaver-1", LEAVER, 3, true),
        ("c-newbie-1", NEWBIE, 10, true),
    ];
    for (id, who, day, met) in tickets {
        items.extend(ticket(id, who, day, met));
    }
    ingest_and_project(&app, &items).await;
    let manager = manager(&app);

    // The API.
    let (_, summary) =
        get_json(&app, &manager, &format!("/api/v1/performance/team-summary?team_id={ALPHA}&{W45}")).await;
    let (_, board) =
        get_json(&app, &manager, &format!("/api/v1/performance/leaderboard?team_id={ALPHA}&{W45}&limit=500")).await;
    let (_, admin_board) =
        get_json(&app, &admin(&app), &format!("/api/v1/performance/leaderboard?team_id={ALPHA}&{W45}")).await;
    let csv = get(&app, &manager, &format!("/api/v1/performance/leaderboard.csv?team_id={ALPHA}&{W45}")).await;
    let csv = csv.text().await.unwrap();
    let dev = app.signer.token(P4, &["agent"], &[], 600);
    let (_, peer) = get_json(&app, &dev, &format!("/api/v1/performance/peer-comparison?{W45}")).await;

    // D8: Lee was scored with Alpha in W45; Dora with Other; Nia not at all.
    assert_eq!(people(&board), set(&[P1, P2, P3, P4, LEAVER]), "{board}");
    assert_eq!(board["items"], admin_board["items"], "the manager sees the team's people, as the admin does");
    let total = board["total"].as_u64().unwrap();
    let first = &board["items"][0];
    assert_eq!(summary["top_performer"]["person_id"], first["person_id"], "{summary}");
    assert_eq!(summary["top_performer"]["composite"], first["composite"], "{summary}");
    assert_eq!(summary["top_performer"]["display_name"], first["display_name"], "{summary}");
    assert_eq!(summary["scored_count"].as_u64(), Some(total), "{summary}");
    assert_eq!(summary["member_count"].as_u64(), Some(5), "Alpha's people at W45's end: {summary}");
    let histogram: u64 = summary["distribution"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(histogram, total);
    let flagged = board["items"].as_array().unwrap().iter().filter(|r| r["is_flagged"] == true).count() as u64;
    assert_eq!(summary["needs_coaching"].as_u64(), Some(flagged));
    assert_eq!(csv_lines(&csv).len() as u64, total + 1, "{csv}");
    assert_eq!(peer["team_size"].as_u64(), Some(total), "{peer}");
    assert_eq!(peer["team_average"], summary["average_composite"], "{peer} {summary}");

    // The pages say the same.
    let team_page = page(&app, &manager, &format!("/admin/performance/team?team_id={ALPHA}&{W45}")).await;
    let top_card = text_after(&team_page, "Top performer</p>", "</div>");
    assert!(top_card.starts_with(first["display_name"].as_str().unwrap()), "{top_card}");
    let average_card = text_after(&team_page, "Team average</p>", "</div>");
    assert!(average_card.contains(&format!("{total} of 5 members scored")), "{average_card}");
    assert!(team_page.contains(&format!("Leaderboard, {total} people")), "the leaderboard's caption");
    let table = &team_page[team_page.find("data-testid=\"leaderboard\"").unwrap()..];
    let first_row = text_after(table, "data-person-id=\"", "\"");
    assert_eq!(first_row, first["person_id"].as_str().unwrap(), "the leaderboard's #1");
    let mine = page(&app, &dev, &format!("/agent/my-performance?{W45}")).await;
    let panel_average = text_after(&mine, "Team average</p>", "</div>");
    let card_average = average_card.split_whitespace().next().unwrap();
    assert_eq!(panel_average, card_average, "the cards and the agent's comparison panel");
    let api_average = summary["average_composite"].as_f64().unwrap();
    let shown: f64 = card_average.parse().unwrap();
    assert!((shown - api_average).abs() <= 0.05, "{shown} shows {api_average}");
}
