//! The settings API (issue 16): `GET /api/v1/performance/settings` (now and
//! `?at=`, each key's value, default and the change that set it, the API key
//! only as set/unset) and `POST` (one `settings.changed` with the caller as
//! actor, the reason and the effective date; every refusal a 422 naming the
//! field, with nothing written). Who may call them is in `api_access`.

use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::access::{build_world, project, token, Role, ADMIN, MEMBER};
use crate::support::TestApp;

const KEY: &str = "sk-live-very-secret-0042";

async fn settings_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'settings'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn all_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&app.db.pool).await.unwrap()
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).bearer_auth(token(app, Role::Admin)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/performance/settings"))
        .bearer_auth(token(app, Role::Admin))
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn setting<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["settings"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap_or_else(|| panic!("{key}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_shows_each_setting_with_its_default_and_who_set_it_and_never_the_key() {
    let app = TestApp::spawn().await;
    build_world(&app).await;

    let (status, text) = get(&app, "/api/v1/performance/settings").await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["settings"].as_array().unwrap().len(), perfledger_domain::settings::SETTING_KEYS.len());
    let threshold = setting(&body, "flagged_threshold");
    assert_eq!(
        (&threshold["value"], &threshold["default"], &threshold["set_by"]),
        (&json!(70), &json!(70), &Value::Null)
    );
    let secret = setting(&body, "vllm_api_key");
    assert_eq!((&secret["value"], &secret["is_set"]), (&Value::Null, &json!(false)));

    let (status, recorded) = post(
        &app,
        &json!({"changes": {"flagged_threshold": 65, "vllm_api_key": KEY},
                "effective_from": "2026-11-02", "reason": "Q4 calibration"}),
    )
    .await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["actor"], ADMIN);
    assert_eq!(recorded["reason"], "Q4 calibration");
    assert_eq!(recorded["effective_from"], "2026-11-02");
    assert_eq!(recorded["changes"]["flagged_threshold"], 65);
    assert_eq!(recorded["changes"]["vllm_api_key"], "********", "the key is never echoed");
    assert!(recorded["global_position"].as_i64().unwrap() > 0);
    // The event itself carries the actor, the reason and the date.
    let payload: Value = sqlx::query_scalar(
        "SELECT payload::jsonb FROM events WHERE aggregate_type = 'settings' AND global_position = $1",
    )
    .bind(recorded["global_position"].as_i64().unwrap())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let text = payload.to_string();
    assert!(text.contains("\"reason\":\"Q4 calibration\"") && text.contains(ADMIN), "{payload}");
    assert!(text.contains("\"effective_from\":\"2026-11-02\""), "{payload}");

    // In force now (read straight after the write, projected or not) …
    let (_, text) = get(&app, "/api/v1/performance/settings").await;
    assert!(!text.contains(KEY), "the key is never returned");
    let body: Value = serde_json::from_str(&text).unwrap();
    let threshold = setting(&body, "flagged_threshold");
    assert_eq!((&threshold["value"], &threshold["default"]), (&json!(65), &json!(70)));
    assert_eq!(threshold["set_by"]["actor"], ADMIN);
    assert_eq!(threshold["set_by"]["effective_from"], "2026-11-02");
    assert_eq!(threshold["set_by"]["reason"], "Q4 calibration");
    let secret = setting(&body, "vllm_api_key");
    assert_eq!((&secret["value"], &secret["is_set"]), (&Value::Null, &json!(true)));
    // … and projected, the same.
    project(&app).await;
    let (_, text) = get(&app, "/api/v1/performance/settings").await;
    assert!(!text.contains(KEY));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(setting(&body, "flagged_threshold")["set_by"]["reason"], "Q4 calibration");

    // The day before the change: the default, set by nobody.
    let (status, text) = get(&app, "/api/v1/performance/settings?at=2026-11-01").await;
    assert_eq!(status, 200);
    let before: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(before["at"], "2026-11-01");
    let threshold = setting(&before, "flagged_threshold");
    assert_eq!((&threshold["value"], &threshold["set_by"]), (&json!(70), &Value::Null));
    assert_eq!(setting(&before, "vllm_api_key")["is_set"], false);

    let (status, text) = get(&app, "/api/v1/performance/settings?at=yesterday").await;
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["field"], "at");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_changes_name_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    let before = all_events(&app).await;
    let too_late = (Utc::now().date_naive() + Days::new(400)).to_string();
    let good = json!({"flagged_threshold": 65});
    let cases = [
        (json!({"changes": good, "effective_from": "2026-11-02"}), "reason"),
        (json!({"changes": good, "effective_from": "2026-11-02", "reason": "   "}), "reason"),
        (json!({"changes": good, "effective_from": "2026-11-02", "reason": "a\u{7}b"}), "reason"),
        (json!({"changes": good, "reason": "x"}), "effective_from"),
        (json!({"changes": good, "effective_from": too_late, "reason": "x"}), "effective_from"),
        (json!({"changes": good, "effective_from": "1999-12-31", "reason": "x"}), "effective_from"),
        (json!({"changes": {}, "effective_from": "2026-11-02", "reason": "x"}), "changes"),
        (
            json!({"changes": {"domain_weights": {"support": -1, "sales": 5}}, "effective_from": "2026-11-02", "reason": "x"}),
            "changes.domain_weights",
        ),
        (
            json!({"changes": {"domain_weights_support": {"support": 0, "sales": 0}}, "effective_from": "2026-11-02", "reason": "x"}),
            "changes.domain_weights_support",
        ),
        (
            json!({"changes": {"domain_weights": {"vibes": 10}}, "effective_from": "2026-11-02", "reason": "x"}),
            "changes.domain_weights",
        ),
        (
            json!({"changes": {"flagged_threshold": 101}, "effective_from": "2026-11-02", "reason": "x"}),
            "changes.flagged_threshold",
        ),
        (
            json!({"changes": {"flagged_threshold": -1}, "effective_from": "2026-11-02", "reason": "x"}),
            "changes.flagged_threshold",
        ),
        (json!({"changes": {"colour": 1}, "effective_from": "2026-11-02", "reason": "x"}), "changes.colour"),
        (json!({"changes": good, "effective_from": "2026-11-02", "reason": "x", "actor": "me"}), "actor"),
    ];
    for (body, field) in cases {
        let (status, problem) = post(&app, &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{body}: {problem}");
        assert!(!problem["reason"].as_str().unwrap_or("").is_empty());
    }
    // A key refused is never echoed.
    let (status, problem) = post(
        &app,
        &json!({"changes": {"vllm_api_key": format!("{KEY}\u{1}")}, "effective_from": "2026-11-02", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(!problem.to_string().contains(KEY), "{problem}");
    assert_eq!(all_events(&app).await, before, "a refused change writes nothing");
    assert_eq!(settings_events(&app).await, 0);
    // A manager is refused before the body is read.
    let response = app
        .client
        .post(app.url("/api/v1/performance/settings"))
        .bearer_auth(token(&app, Role::Manager))
        .json(&json!({"changes": good, "effective_from": "2026-11-02", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(all_events(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_change_is_rescored_by_the_worker_and_the_scores_follow() {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    let scores = |app: &TestApp| {
        let request = app
            .client
            .get(app.url(&format!("/api/v1/performance/scores?person_id={MEMBER}&period=2026-W45")))
            .bearer_auth(token(app, Role::Admin));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let before = scores(&app).await;
    let week = &before["items"][0];
    let composite = week["composite_score"].as_f64().unwrap();
    assert!(composite < 100.0, "{week}");
    assert_eq!(week["is_flagged"], composite < 70.0);
    assert_eq!(week["weight_source"], "team_type");

    // Flag everyone under 100, and weigh support teams on support alone.
    let (status, recorded) = post(
        &app,
        &json!({"changes": {"flagged_threshold": 100, "domain_weights_support": {"support": 1}},
                "effective_from": "2026-11-02", "reason": "Stricter"}),
    )
    .await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(scores(&app).await, before, "nothing moves before the worker runs");
    project(&app).await;
    let after = scores(&app).await;
    let week = &after["items"][0];
    assert_eq!(week["is_flagged"], true, "{week}");
    // Support teams now weigh support alone (shares in percent), so the
    // composite is the support score.
    assert_eq!(week["weights"]["support"], 100.0, "{week}");
    assert_ne!(before["items"][0]["weights"]["support"], 100.0);
    assert_eq!(week["composite_score"], week["domain_scores"]["support"], "{week}");
}
