//! History and audit (issue 16 item 5): the settings history's before and
//! after values (several changes to one key, effective dates out of order),
//! secrets never shown in JSON, HTML or CSV, the audit log's filters, paging
//! and CSV export (bearer or session cookie), bad parameters naming the
//! field, and a voided event in the audit log. Expected values are computed
//! here from what the test wrote, by the rule `docs/decisions.md` states.

use chrono::NaiveDate;
use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::access::{build_world, project, token, Role, ADMIN, MANAGER, MEMBER};
use crate::support::{run_perfledger, TestApp};

const SECRET_ONE: &str = "sk-audit-first-secret-0001";
const SECRET_TWO: &str = "sk-audit-second-secret-0002";

/// What the test records through `perfledger settings set`, in log order:
/// (actor, key, value as JSON, effective_from).
const CHANGES: [(&str, &str, &str, &str); 6] = [
    (ADMIN, "flagged_threshold", "60", "2026-03-02"),
    ("ops-cli", "flagged_threshold", "65", "2026-01-05"),
    (ADMIN, "vllm_api_key", "\"sk-audit-first-secret-0001\"", "2026-01-05"),
    (ADMIN, "flagged_threshold", "55", "2026-03-09"),
    ("ops-cli", "vllm_api_key", "\"sk-audit-second-secret-0002\"", "2026-02-02"),
    (ADMIN, "flagged_threshold", "50", "2026-02-02"),
];

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The before value of change `i` by the documented rule: the value of the
/// last earlier-recorded change of the key effective on or before change
/// `i`'s day, else the default (70 for the threshold, no key).
fn expected_before(i: usize) -> Value {
    let (_, key, _, effective) = CHANGES[i];
    let earlier = CHANGES[..i].iter().rev().find(|(_, k, _, e)| *k == key && day(e) <= day(effective));
    match (key, earlier) {
        ("vllm_api_key", Some(_)) => json!("set"),
        ("vllm_api_key", None) => json!("unset"),
        (_, Some((_, _, value, _))) => serde_json::from_str(value).unwrap(),
        (_, None) => json!(70),
    }
}

fn expected_after(i: usize) -> Value {
    match CHANGES[i].1 {
        "vllm_api_key" => json!("set"),
        _ => serde_json::from_str(CHANGES[i].2).unwrap(),
    }
}

struct World {
    app: TestApp,
    /// The log position of the voided event.
    voided: i64,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    for (actor, key, value, effective) in CHANGES {
        let out =
            run_perfledger(&app.db, &["settings", "set", key, value, "--effective-from", effective, "--actor", actor]);
        assert!(out.status.success(), "settings set: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A goal created and updated by MEMBER's manager.
    let manager = token(&app, Role::Manager);
    let response = app
        .client
        .post(app.url("/api/v1/performance/goals"))
        .bearer_auth(&manager)
        .json(&json!({"person_id": MEMBER, "domain": "support", "metric_key": "composite", "label": "Above 70",
                      "target_value": 70, "comparison": "gte", "deadline": "2099-06-30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let goal: Value = response.json().await.unwrap();
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/performance/goals/{}", goal["id"].as_str().unwrap())))
        .bearer_auth(&manager)
        .json(&json!({"label": "Above 72", "target_value": 72}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Void one ticket event of the world.
    let voided: i64 = sqlx::query_scalar("SELECT global_position FROM events WHERE event_id = 'T-2-o'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/admin/events/void"))
        .bearer_auth(token(&app, Role::Admin))
        .json(&json!({"position": voided, "reason": "opened twice by the CRM"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    project(&app).await;
    World { app, voided }
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.client.get(app.url(path)).bearer_auth(token(app, Role::Admin)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn get_text(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let mut request = app.client.get(app.url(path));
    request = match cookie {
        Some(token) => request.header(COOKIE, format!("perfledger_session={token}")),
        None => request.bearer_auth(token(app, Role::Admin)),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The cells of a CSV body without quoted separators (enough for these rows).
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    body.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split(',').map(String::from).collect()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_history_shows_before_and_after_and_never_a_secret() {
    let w = world().await;
    let (status, history) = get_json(&w.app, "/api/v1/performance/settings/history?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["total"], CHANGES.len());
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), CHANGES.len());
    // Newest first: item k is change CHANGES.len() - 1 - k.
    for (k, item) in items.iter().enumerate() {
        let i = CHANGES.len() - 1 - k;
        let (actor, key, _, effective) = CHANGES[i];
        assert_eq!(item["actor"], actor, "{item}");
        assert_eq!(item["effective_from"], effective, "{item}");
        assert_eq!(item["actor_name"], if actor == ADMIN { json!("admin") } else { Value::Null }, "{item}");
        let changes = item["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{item}");
        assert_eq!(changes[0]["key"], key);
        assert_eq!(changes[0]["before"], expected_before(i), "change {i}: {item}");
        assert_eq!(changes[0]["after"], expected_after(i), "change {i}: {item}");
        assert_eq!(changes[0]["secret"], key == "vllm_api_key");
    }
    // The out-of-order dates matter: change 3 (from 03-09) replaced 65, the
    // backdated change recorded after the one for 03-02, not that one's 60.
    assert_eq!(expected_before(3), json!(65));
    let secrets: Vec<&Value> =
        items.iter().filter(|i| i["changes"][0]["key"] == "vllm_api_key").map(|i| &i["changes"][0]).collect();
    assert_eq!(secrets[0]["secret_change"], "changed");
    assert_eq!(secrets[1]["secret_change"], "set");

    // Paging: a window of the same list, with the same total.
    let (_, page) = get_json(&w.app, "/api/v1/performance/settings/history?limit=2&offset=1").await;
    assert_eq!(page["total"], CHANGES.len());
    assert_eq!(page["items"].as_array().unwrap()[..], items[1..3]);

    // The CSV: a header, then one row per key, the same values.
    let (status, content_type, csv) = get_text(&w.app, "/api/v1/performance/settings/history.csv", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = csv_rows(&csv);
    assert_eq!(rows[0][..], perfledger_api::performance::audit::HISTORY_CSV_HEADER.map(String::from)[..]);
    assert_eq!(rows.len(), 1 + CHANGES.len());
    for (row, item) in rows[1..].iter().zip(items) {
        assert_eq!(row[0], item["global_position"].to_string());
        assert_eq!(row[6], item["changes"][0]["key"].as_str().unwrap());
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
        assert_eq!(row[7], text(&item["changes"][0]["before"]));
        assert_eq!(row[8], text(&item["changes"][0]["after"]));
    }

    // The page: every change, the secret as a badge.
    let admin = token(&w.app, Role::Admin);
    let (status, _, page) = get_text(&w.app, "/admin/performance/settings/history", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("data-key=\"flagged_threshold\"").count(), 4, "{page}");
    assert_eq!(page.matches("data-testid=\"secret\"").count(), 2, "{page}");
    assert!(page.contains("href=\"/api/v1/performance/settings/history.csv\""), "{page}");

    // The secret's value is nowhere: JSON, CSV, both pages, the audit log.
    let (_, _, audit_page) = get_text(&w.app, "/admin/performance/audit", Some(&admin)).await;
    let (_, _, audit_csv) = get_text(&w.app, "/api/v1/performance/audit.csv", None).await;
    let (_, audit_json) = get_json(&w.app, "/api/v1/performance/audit?limit=500").await;
    for body in [history.to_string(), csv, page, audit_page, audit_csv, audit_json.to_string()] {
        for secret in [SECRET_ONE, SECRET_TWO, "sk-audit"] {
            assert!(!body.contains(secret), "{secret} leaked: {body}");
        }
    }
}

/// Which rows of the full list a filter keeps.
type Keep = Box<dyn Fn(&Value) -> bool>;

fn positions(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["global_position"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_filters_pages_and_exports_exactly_the_matching_rows() {
    let w = world().await;
    let (status, all) = get_json(&w.app, "/api/v1/performance/audit?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all = all["items"].as_array().unwrap().clone();
    let mut sorted = positions(&all);
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(positions(&all), sorted, "newest first");

    // What the world wrote is there: the settings changes, the goal's
    // creation and update (with what changed), the void (with its reason).
    let of = |action: &str| all.iter().filter(|i| i["action"] == action).cloned().collect::<Vec<_>>();
    assert_eq!(of("settings.changed").len(), CHANGES.len());
    let created = of("goal.created");
    assert_eq!((created.len(), created[0]["actor"].as_str()), (1, Some(MANAGER)));
    assert_eq!(created[0]["actor_name"], "manager");
    let updated = of("goal.updated");
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["details"]["label"], "Above 72", "{}", updated[0]);
    assert_eq!(updated[0]["target_name"], "Above 72 (member)", "{}", updated[0]);
    let voids = of("log.event_voided");
    assert_eq!(voids.len(), 1, "{all:?}");
    assert_eq!(voids[0]["target"], format!("event:{}", w.voided));
    assert_eq!(voids[0]["reason"], "opened twice by the CRM");
    assert_eq!(voids[0]["actor"], ADMIN);

    // Each filter answers exactly the rows the full list says it should.
    let date_of = |i: &Value| i["occurred_at"].as_str().unwrap()[..10].to_string();
    let some_day = date_of(&all[all.len() - 1]);
    let cases: Vec<(String, Keep)> = vec![
        (format!("actor={ADMIN}"), Box::new(|i: &Value| i["actor"] == ADMIN)),
        ("actor=ops-cli".into(), Box::new(|i: &Value| i["actor"] == "ops-cli")),
        ("action=settings.changed".into(), Box::new(|i: &Value| i["action"] == "settings.changed")),
        (
            format!("action=settings.changed&actor={ADMIN}"),
            Box::new(|i: &Value| i["action"] == "settings.changed" && i["actor"] == ADMIN),
        ),
        (format!("from={some_day}&to={some_day}"), Box::new(move |i: &Value| date_of(i) == some_day)),
        ("from=2099-01-01".into(), Box::new(|_: &Value| false)),
        ("to=2000-01-01".into(), Box::new(|_: &Value| false)),
    ];
    for (query, keep) in &cases {
        let expected: Vec<i64> = positions(&all.iter().filter(|i| keep(i)).cloned().collect::<Vec<_>>());
        let (status, page) = get_json(&w.app, &format!("/api/v1/performance/audit?{query}&limit=500")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(positions(page["items"].as_array().unwrap()), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
        // The CSV of the same filter: a header and the same rows in the same order.
        let (status, content_type, csv) =
            get_text(&w.app, &format!("/api/v1/performance/audit.csv?{query}"), None).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let rows = csv_rows(&csv);
        assert_eq!(rows[0][..2], ["global_position", "occurred_at"]);
        let csv_positions: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
        assert_eq!(csv_positions, expected, "{query}");
    }
    assert!(!of("settings.changed").is_empty() && all.iter().any(|i| i["actor"] == "ops-cli"));

    // Paging: limit and offset window the list; the total stays.
    let (_, page) = get_json(&w.app, "/api/v1/performance/audit?limit=3&offset=2").await;
    assert_eq!(page["total"], all.len());
    assert_eq!((page["limit"].as_u64(), page["offset"].as_u64()), (Some(3), Some(2)));
    assert_eq!(page["items"].as_array().unwrap()[..], all[2..5]);
    let (_, past) = get_json(&w.app, &format!("/api/v1/performance/audit?offset={}", all.len())).await;
    assert_eq!((past["items"].as_array().unwrap().len(), past["total"].as_u64()), (0, Some(all.len() as u64)));

    // The page shows the filtered rows, "N of M", and a CSV link with the same filters.
    let admin = token(&w.app, Role::Admin);
    let (status, _, page) =
        get_text(&w.app, "/admin/performance/audit?action=log.event_voided&actor=&from=&to=", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("data-action=\"").count(), 1, "{page}");
    assert!(page.contains("opened twice by the CRM"), "{page}");
    assert!(page.contains("href=\"/api/v1/performance/audit.csv?action=log.event_voided\""), "{page}");
    assert!(page.contains("Rows 1–1 of 1 · page 1 of 1."), "{page}");
    let (_, _, first) = get_text(&w.app, "/admin/performance/audit", Some(&admin)).await;
    let shown = all.len().min(50);
    assert!(first.contains(&format!("Rows 1–{shown} of {}", all.len())), "{first}");
    let (status, _, past_end) = get_text(&w.app, "/admin/performance/audit?offset=100000", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(past_end.contains("past the last row") && past_end.contains("rel=\"prev\""), "{past_end}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_name_the_field_and_the_csv_takes_the_session_cookie() {
    let w = world().await;
    for (path, field) in [
        ("/api/v1/performance/audit?limit=0", "limit"),
        ("/api/v1/performance/audit?limit=501", "limit"),
        ("/api/v1/performance/audit?offset=-1", "offset"),
        ("/api/v1/performance/audit?action=goal.deleted", "action"),
        ("/api/v1/performance/audit?action=", "action"),
        ("/api/v1/performance/audit?actor=", "actor"),
        ("/api/v1/performance/audit?from=2026-13-01", "from"),
        ("/api/v1/performance/audit?to=yesterday", "to"),
        ("/api/v1/performance/audit?from=2026-02-01&to=2026-01-31", "from"),
        ("/api/v1/performance/audit?sort=actor", "sort"),
        ("/api/v1/performance/audit?action=goal.created&action=goal.updated", "action"),
        ("/api/v1/performance/audit.csv?limit=10", "limit"),
        ("/api/v1/performance/audit.csv?from=2026-02-01&to=2026-01-31", "from"),
        ("/api/v1/performance/settings/history?limit=0", "limit"),
        ("/api/v1/performance/settings/history?actor=x", "actor"),
        ("/api/v1/performance/settings/history.csv?limit=1", "limit"),
    ] {
        let (status, problem) = get_json(&w.app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(problem["field"], field, "{path}: {problem}");
        assert!(problem["reason"].as_str().is_some_and(|r| !r.is_empty()), "{path}: {problem}");
    }
    // The page names the field in words, with the same status.
    let admin = token(&w.app, Role::Admin);
    let (status, _, page) = get_text(&w.app, "/admin/performance/audit?action=nope", Some(&admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("is not an audit action"), "{page}");

    // A browser download: the session cookie alone is enough for the CSVs,
    // and it is checked like a bearer token.
    for path in ["/api/v1/performance/audit.csv", "/api/v1/performance/settings/history.csv"] {
        let (status, content_type, _) = get_text(&w.app, path, Some(&admin)).await;
        assert_eq!((status, content_type.starts_with("text/csv")), (StatusCode::OK, true), "{path}");
        let (status, _, _) = get_text(&w.app, path, Some(&token(&w.app, Role::Manager))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        let (status, _, _) = get_text(&w.app, path, Some(&token(&w.app, Role::Expired))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        // A bad Authorization header is never passed over for the cookie.
        let response = w
            .app
            .client
            .get(w.app.url(path))
            .header(COOKIE, format!("perfledger_session={admin}"))
            .header("authorization", "Bearer nonsense")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // The JSON lists do not take the cookie: they are for programs.
    let (status, _, _) = get_text(&w.app, "/api/v1/performance/audit", Some(&admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Migration 0010 changes what the audit projector writes for `goal.updated`
/// (now the fields it changed): its reset makes a database projected before
/// it fold the whole log again, so no row keeps the old, empty details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_0010_refolds_the_audit_log_from_the_start() {
    let w = world().await;
    let pool = &w.app.db.pool;
    let before: Vec<(i64, Value)> =
        sqlx::query_as("SELECT global_position, details FROM audit_log ORDER BY global_position")
            .fetch_all(pool)
            .await
            .unwrap();
    // A database as the old projector left it: goal.updated without details.
    sqlx::query("UPDATE audit_log SET details = '{}' WHERE action = 'goal.updated'").execute(pool).await.unwrap();
    // The migration's reset (everything after its indexes), then a projection round.
    let migration = include_str!("../../migrations/0010_audit_filters.sql");
    let reset = &migration[migration.find("DELETE FROM audit_log").expect("the migration resets the audit log")..];
    sqlx::raw_sql(reset).execute(pool).await.unwrap();
    let checkpoint: i64 = sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE projector = 'audit'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(checkpoint, 0, "the audit projector starts again from the beginning");
    project(&w.app).await;
    let after: Vec<(i64, Value)> =
        sqlx::query_as("SELECT global_position, details FROM audit_log ORDER BY global_position")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(after, before, "the same rows, goal.updated with what it changed");
    assert!(after.iter().any(|(_, d)| d["label"] == "Above 72" && !d["target_value"].is_null()), "{after:?}");
}

/// An export longer than one page (500 rows) streams every row once, newest
/// first, with the same total as the JSON list, filtered the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_csv_streams_every_row_of_a_long_log_once() {
    let app = TestApp::spawn().await;
    // 1,203 rows straight into the read model: every third a goal.created.
    sqlx::query(
        "INSERT INTO audit_log (global_position, occurred_at, actor, action, target, model, details)
         SELECT n, '2026-11-02T09:00:00Z'::timestamptz + n * interval '1 minute', 'scheduler',
                CASE WHEN n % 3 = 0 THEN 'goal.created' ELSE 'period.closed' END, 'period:2026-W45', NULL,
                '{\"scored_people\": 3}'::jsonb
           FROM generate_series(1, 1203) AS n",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    for (query, expected) in [("", 1203_i64), ("?action=goal.created", 401), ("?from=2026-11-02&to=2026-11-02", 899)] {
        let (status, _, csv) = get_text(&app, &format!("/api/v1/performance/audit.csv{query}"), None).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let positions: Vec<i64> = csv_rows(&csv)[1..].iter().map(|r| r[0].parse().unwrap()).collect();
        assert_eq!(positions.len() as i64, expected, "{query}");
        assert!(positions.windows(2).all(|w| w[0] > w[1]), "{query}: newest first, each row once");
        let (_, page) = get_json(&app, &format!("/api/v1/performance/audit{query}")).await;
        assert_eq!(page["total"], expected, "{query}");
    }
}
