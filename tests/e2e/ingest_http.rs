//! `POST /api/v1/events` against a real server and a real database.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_batch_can_open_assign_and_resolve_the_same_ticket() {
    let app = TestApp::spawn().await;
    let response = app.post_array(&ticket_lifecycle("T-1")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["duplicates"], 0);
    assert_eq!(report["rejected"], json!([]));
    assert_eq!(report["first_position"], 1);
    assert_eq!(report["last_position"], 3);

    let (payload, position): (String, i64) =
        sqlx::query_as("SELECT payload::text, global_position FROM events WHERE event_type = 'ticket.resolved'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(position, 3);
    let payload: Value = serde_json::from_str(&payload).unwrap();
    let data = &payload["body"]["data"];
    assert_eq!(data["resolver_person_id"], AGENT);
    assert_eq!(data["resolution_minutes"], "90");
    assert_eq!(data["sla_met"], true);
    assert_eq!(data["ever_escalated"], false);
    assert_eq!(data["tag_count"], 0);
    let summary = data["summary"].as_str().unwrap();
    assert!(!summary.contains("jane.doe@example.com"), "summary was stored unredacted: {summary}");
    assert!(summary.contains("[email]"), "summary lost its placeholder: {summary}");
}

#[tokio::test]
async fn ndjson_batches_apply_in_order() {
    let app = TestApp::spawn().await;
    let body: String = ticket_lifecycle("T-2").iter().map(|e| format!("{e}\n")).collect();
    let response = app.post_ndjson(body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 3);
    assert_eq!(app.event_count().await, 3);
}

#[tokio::test]
async fn sending_an_event_again_is_a_duplicate_not_an_error() {
    let app = TestApp::spawn().await;
    app.post_array(&ticket_lifecycle("T-3")).await;
    let again: Value = app.post_array(&ticket_lifecycle("T-3")).await.json().await.unwrap();
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 3);
    assert_eq!(again["rejected"], json!([]));
    assert_eq!(app.event_count().await, 3);

    // A repeat inside one batch is a duplicate too.
    let opened = envelope("dup-1", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-30"}));
    let report: Value = app.post_array(&[opened.clone(), opened]).await.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["duplicates"], 1);
}

#[tokio::test]
async fn invalid_items_are_reported_by_index_and_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let items = vec![
        envelope("ok-1", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-4"})),
        envelope("bad-type", "ticket.exploded", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-4"})),
        envelope("bad-missing", "ticket.assigned", "2026-11-02T09:01:00Z", json!({"ticket_id": "T-4"})),
        envelope("bad-causal", "ticket.resolved", "2026-11-02T09:02:00Z", json!({"ticket_id": "T-404"})),
        envelope("bad-rating", "ticket.rated", "2026-11-02T09:03:00Z", json!({"ticket_id": "T-4", "rating": 9})),
        envelope(
            "bad-field",
            "ticket.tagged",
            "2026-11-02T09:03:00Z",
            json!({"ticket_id": "T-4", "tags": [], "colour": "red"}),
        ),
        envelope(
            "bad-type-of",
            "ticket.commented",
            "2026-11-02T09:03:00Z",
            json!({"ticket_id": "T-4", "person_id": AGENT, "body_chars": "long", "internal": false}),
        ),
        envelope(
            "bad-negative",
            "task.created",
            "2026-11-02T09:03:00Z",
            json!({"task_id": "K-1", "project_id": "P-1", "estimate_hours": "-2"}),
        ),
        envelope(
            "bad-early",
            "ticket.assigned",
            "2026-11-01T09:00:00Z",
            json!({"ticket_id": "T-4", "person_id": AGENT}),
        ),
        json!({"type": "ticket.opened"}),
        envelope("ok-2", "ticket.assigned", "2026-11-02T09:04:00Z", json!({"ticket_id": "T-4", "person_id": AGENT})),
    ];
    let report: Value = app.post_array(&items).await.json().await.unwrap();
    assert_eq!(report["accepted"], 2);
    let rejected = report["rejected"].as_array().unwrap();
    let by_index =
        |i: u64| rejected.iter().find(|r| r["index"] == i).unwrap_or_else(|| panic!("item {i} not rejected"));
    let expect = |i: u64, event_id: Value, field: &str| {
        let r = by_index(i);
        assert_eq!(r["event_id"], event_id, "{r}");
        assert_eq!(r["field"], field, "{r}");
        assert!(r["error"].as_str().unwrap().starts_with(&format!("{field}: ")), "{r}");
    };
    expect(1, json!("bad-type"), "type");
    expect(2, json!("bad-missing"), "data.person_id");
    expect(3, json!("bad-causal"), "data.ticket_id");
    assert!(by_index(3)["error"].as_str().unwrap().contains("T-404"));
    expect(4, json!("bad-rating"), "data.rating");
    expect(5, json!("bad-field"), "data.colour");
    expect(6, json!("bad-type-of"), "data.body_chars");
    expect(7, json!("bad-negative"), "data.estimate_hours");
    expect(8, json!("bad-early"), "occurred_at");
    expect(9, Value::Null, "event_id");
    assert_eq!(rejected.len(), 9);
    assert_eq!(app.event_count().await, 2);
    let deduped: i64 = sqlx::query_scalar("SELECT count(*) FROM ingest_dedupe").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(deduped, 2, "rejected items must leave no dedupe row, so a corrected resend is accepted");
}

#[tokio::test]
async fn a_non_utf8_ndjson_line_is_rejected_alone() {
    let app = TestApp::spawn().await;
    let mut body =
        format!("{}\n", envelope("u-1", "ticket.opened", "2026-11-02T09:00:00Z", json!({"ticket_id": "T-5"})))
            .into_bytes();
    body.extend_from_slice(b"{\"event_id\": \"u-2\", \"type\": \"ticket.opened\", \"occurred_at\": \"2026-11-02T09:00:00Z\", \"data\": {\"ticket_id\": \"T-\xff\"}}\n");
    let report: Value = app.post_ndjson(body).await.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"][0]["index"], 1);
    assert!(report["rejected"][0]["error"].as_str().unwrap().contains("UTF-8"));
}

#[tokio::test]
async fn malformed_json_is_a_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(app.ingest_token())
        .header("content-type", "application/json")
        .body("[{\"event_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem_content_type(&response), "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 400);
    assert!(problem["detail"].as_str().unwrap().contains("JSON array"));
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn a_wrong_content_type_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(app.ingest_token())
        .header("content-type", "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem_content_type(&response), "application/problem+json");
}

#[tokio::test]
async fn more_than_ten_thousand_envelopes_are_refused_whole() {
    let app = TestApp::spawn().await;
    let items: Vec<Value> = (0..10_001)
        .map(|i| {
            envelope(
                &format!("big-{i}"),
                "ticket.opened",
                "2026-11-02T09:00:00Z",
                json!({"ticket_id": format!("B-{i}")}),
            )
        })
        .collect();
    let response = app.post_array(&items).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("10001"));
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn a_body_over_the_byte_limit_is_refused() {
    let app = TestApp::spawn().await;
    let body = vec![b' '; perfledger_api::ingest::MAX_BODY_BYTES + 1];
    let response = app.post_ndjson(body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem_content_type(&response), "application/problem+json");
}

#[tokio::test]
async fn ingest_needs_a_valid_token_with_the_ingest_permission() {
    let app = TestApp::spawn().await;
    let post = |token: Option<String>| {
        let mut request = app.client.post(app.url("/api/v1/events")).json(&ticket_lifecycle("T-6"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let reader = app.signer.token("someone", &[], &["reports"], 600);
    assert_eq!(post(Some(reader)).await.unwrap().status(), StatusCode::FORBIDDEN);
    let other_key = perfledger_api::auth::Signer::hs256(b"another-secret-another-secret-0123456789").unwrap();
    assert_eq!(
        post(Some(other_key.token("crm", &[], &["ingest"], 600))).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let expired = app.signer.sign(&perfledger_api::auth::Claims {
        sub: "crm".into(),
        roles: vec![],
        permissions: vec!["ingest".into()],
        exp: jsonwebtoken::get_current_timestamp() - 3_600,
        nbf: None,
    });
    assert_eq!(post(Some(expired)).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
    let none = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        base64_url(&format!(
            r#"{{"sub":"crm","permissions":["ingest"],"exp":{}}}"#,
            jsonwebtoken::get_current_timestamp() + 600
        ))
    );
    assert_eq!(post(Some(none)).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let admin = app.signer.token("root", &["admin"], &[], 600);
    assert_eq!(post(Some(admin)).await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.event_count().await, 3);
}

fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn health_reports_the_log_head() {
    let app = TestApp::spawn().await;
    app.post_array(&ticket_lifecycle("T-7")).await;
    let health: Value = app.client.get(app.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["log_head"], 3);
}

#[tokio::test]
async fn reopening_an_existing_ticket_in_a_later_batch_is_still_rejected() {
    // The writer assumes a ticket.opened creates a new ticket and lets the
    // log's primary key catch the rare case where it does not.
    let app = TestApp::spawn().await;
    app.post_array(&ticket_lifecycle("T-8")).await;
    let again = envelope("T-8-o-again", "ticket.opened", "2026-11-03T09:00:00Z", json!({"ticket_id": "T-8"}));
    let fresh = envelope("T-9-o", "ticket.opened", "2026-11-03T09:00:00Z", json!({"ticket_id": "T-9"}));
    let report: Value = app.post_array(&[again, fresh]).await.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejected"][0]["index"], 0);
    assert_eq!(report["rejected"][0]["field"], "data.ticket_id");
    assert!(report["rejected"][0]["error"].as_str().unwrap().contains("already opened"));
    assert_eq!(app.event_count().await, 4);
}
