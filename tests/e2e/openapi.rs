//! The OpenAPI spec (issue 5 item 5): served at `/api/v1/openapi.json`
//! without a token, snapshotted with insta, and in step with the router:
//! every route the router answers is in the spec, and every operation of the
//! spec is answered by a route (never the router's fallback 404 or a 405).
//!
//! The snapshot is `snapshots/e2e__openapi__openapi.snap`. After a deliberate
//! change to the API, review the new spec and accept it with
//! `INSTA_UPDATE=always cargo test -p perfledger --test e2e openapi`.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

/// Every route the router registers (`api/src/routes.rs`, `api/src/ops.rs`,
/// `api/src/performance/mod.rs`), kept by hand: a route added there and not
/// here, or not in the spec, fails [`every_route_is_in_the_spec`].
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/events"),
    ("GET", "/api/v1/performance/scores"),
    ("GET", "/api/v1/performance/goals"),
    ("POST", "/api/v1/performance/goals"),
    ("PATCH", "/api/v1/performance/goals/{id}"),
    ("GET", "/api/v1/performance/reviews"),
    ("POST", "/api/v1/performance/reviews/generate"),
    ("GET", "/api/v1/performance/reviews/{id}"),
    ("POST", "/api/v1/performance/reviews/{id}/acknowledge"),
    ("GET", "/api/v1/performance/leaderboard"),
    ("GET", "/api/v1/performance/leaderboard.csv"),
    ("GET", "/api/v1/performance/team-summary"),
    ("GET", "/api/v1/performance/peer-comparison"),
    ("GET", "/api/v1/performance/scores/{person_id}/{week}/{domain}/events"),
    ("POST", "/api/v1/performance/what-if"),
    ("GET", "/api/v1/performance/settings/history"),
    ("GET", "/api/v1/performance/settings/history.csv"),
    ("GET", "/api/v1/performance/audit"),
    ("GET", "/api/v1/performance/audit.csv"),
    ("GET", "/api/v1/performance/settings"),
    ("POST", "/api/v1/performance/settings"),
    ("POST", "/api/v1/admin/events/void"),
    ("POST", "/api/v1/connectors/dotmac/webhook"),
];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The (METHOD, path) of every operation in the spec.
fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let paths = spec["paths"].as_object().expect("the spec has paths");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A concrete path for a templated one.
fn concrete(path: &str) -> String {
    path.replace("{id}", "00000000-0000-0000-0000-000000000000")
        .replace("{person_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{week}", "2026-W01")
        .replace("{domain}", "support")
}

async fn served_spec(app: &TestApp) -> Value {
    let response = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200, "the spec is public");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_spec_is_served_and_matches_its_snapshot() {
    let app = TestApp::spawn().await;
    let spec = served_spec(&app).await;
    assert_eq!(spec["openapi"], "3.1.0");
    let generated: Value = serde_json::from_str(perfledger_api::openapi::spec_json()).unwrap();
    assert_eq!(spec, generated, "the served spec is the generated one");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    insta::assert_json_snapshot!("openapi", spec);
}

#[tokio::test]
async fn every_route_is_in_the_spec() {
    let app = TestApp::spawn().await;
    let spec = served_spec(&app).await;
    let in_spec = operations(&spec);
    let registered: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = registered.difference(&in_spec).collect();
    assert!(missing.is_empty(), "routes the spec lacks: {missing:?}");
    let unlisted: Vec<_> = in_spec.difference(&registered).collect();
    assert!(unlisted.is_empty(), "operations of the spec not listed in ROUTES: {unlisted:?}");

    // Every operation and every performance/ingest route with a token
    // requirement declares the bearer scheme and problem+json errors.
    for (method, path) in &in_spec {
        let operation = &spec["paths"][path][method.to_lowercase()];
        if path.starts_with("/api/v1/performance/") || path == "/api/v1/events" {
            assert_eq!(operation["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
            let unauthorized = &operation["responses"]["401"]["content"]["application/problem+json"];
            assert!(unauthorized.is_object(), "{method} {path} documents its 401 as problem+json");
        }
    }

    // Conversely the router answers every operation of the spec with a route
    // of its own: not its fallback (404 "no such route") nor a 405.
    let fallback = app.client.get(app.url("/api/v1/no-such-route")).send().await.unwrap();
    assert_eq!(fallback.status(), 404);
    assert_eq!(fallback.json::<Value>().await.unwrap()["detail"], "no such route");
    for (method, path) in &in_spec {
        let url = app.url(&concrete(path));
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method.clone(), &url).send().await.unwrap();
        let status = response.status();
        assert_ne!(status, 405, "{method} {path}: the router has no such method on this path");
        let body = response.text().await.unwrap();
        assert!(
            !(status == 404 && body.contains("no such route")),
            "{method} {path}: the router answers with its fallback"
        );
    }
}
