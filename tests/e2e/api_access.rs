//! The access matrix of `/api/v1/performance/*` (seed "Access Control", D16,
//! D17): one table of roles × endpoints → the exact status, plus the rules
//! that a `person_id` never widens what a role sees and that unknown ids are
//! 404 only for admins. The world and the roles are shared with the pages'
//! matrix (`web_access`): see `crate::support::access`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::access::{
    build_world, project, token, Role, ADMIN, ALPHA, BETA, GAMMA, GAMMA_MEMBER, LEAD, MANAGER, MEMBER, NOBODY,
    OUTSIDER, ROLES, TECHNICIAN,
};
use crate::support::{problem_content_type, TestApp};

/// The app with the world ingested and projected, and a goal of MEMBER.
async fn world() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    // Reviews on (with the default offline rules coach), so generation answers 202.
    crate::reviews_support::set(
        &app,
        json!({"review_generation_enabled": true}),
        crate::reviews_support::this_monday(),
    )
    .await;

    // A goal of MEMBER, created by its manager, for the PATCH column.
    let response = send(&app, Some(token(&app, Role::Manager)), &Call::PostGoal(Some(MEMBER))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let goal: Value = response.json().await.unwrap();
    let goal_id = goal["id"].as_str().unwrap().to_string();
    (app, goal_id)
}

#[derive(Debug, Clone)]
enum Call {
    /// GET scores, optionally for someone.
    Scores(Option<&'static str>),
    Goals(Option<&'static str>),
    /// POST a goal, optionally for someone.
    PostGoal(Option<&'static str>),
    /// PATCH MEMBER's goal (a label unique to the call).
    PatchMemberGoal,
    Reviews(Option<&'static str>),
    ReviewDetail,
    Generate(&'static str),
    /// GET the week-45 leaderboard, optionally `?team_id=`.
    Leaderboard(Option<&'static str>),
    LeaderboardCsv(Option<&'static str>),
    /// GET the week-45 leaderboard.csv with the role's token as the
    /// dashboards' session cookie instead of a bearer (issue 16).
    LeaderboardCsvCookie,
    TeamSummary(&'static str),
    PeerComparison,
    /// GET the drilldown of a person's support score for a week.
    Drilldown(&'static str, &'static str),
    /// POST a what-if proposal for week 45.
    WhatIf,
    /// GET the settings in force.
    Settings,
    /// POST a settings change.
    PostSettings,
}

fn goal_body(person: Option<&str>) -> Value {
    let mut body = json!({
        "domain": "support",
        "metric_key": "composite",
        "label": "Keep the composite above 70",
        "target_value": 70,
        "comparison": "gte",
        "deadline": "2099-06-30",
    });
    if let Some(person) = person {
        body["person_id"] = json!(person);
    }
    body
}

async fn send_with(app: &TestApp, token: Option<String>, call: &Call, goal_id: &str, tag: &str) -> reqwest::Response {
    let with_person = |path: &str, person: &Option<&str>| match person {
        Some(p) => format!("{path}?person_id={p}"),
        None => path.to_string(),
    };
    let (method, path, body) = match call {
        Call::Scores(p) => (Method::GET, with_person("/api/v1/performance/scores", p), None),
        Call::Goals(p) => (Method::GET, with_person("/api/v1/performance/goals", p), None),
        Call::PostGoal(p) => (Method::POST, "/api/v1/performance/goals".to_string(), Some(goal_body(*p))),
        Call::PatchMemberGoal => (
            Method::PATCH,
            format!("/api/v1/performance/goals/{goal_id}"),
            Some(json!({"label": format!("Renamed by {tag}")})),
        ),
        Call::Reviews(p) => (Method::GET, with_person("/api/v1/performance/reviews", p), None),
        Call::ReviewDetail => (Method::GET, format!("/api/v1/performance/reviews/{NOBODY}"), None),
        Call::Generate(p) => {
            let body = json!({"person_id": p, "period": "2026-W45"});
            (Method::POST, "/api/v1/performance/reviews/generate".to_string(), Some(body))
        }
        Call::Leaderboard(team) | Call::LeaderboardCsv(team) => {
            let file = if matches!(call, Call::Leaderboard(_)) { "leaderboard" } else { "leaderboard.csv" };
            let team = team.map(|t| format!("&team_id={t}")).unwrap_or_default();
            (Method::GET, format!("/api/v1/performance/{file}?period=2026-W45{team}"), None)
        }
        Call::LeaderboardCsvCookie => {
            let mut request = app.client.get(app.url("/api/v1/performance/leaderboard.csv?period=2026-W45&sort=name"));
            if let Some(token) = token {
                request = request.header(reqwest::header::COOKIE, format!("perfledger_session={token}"));
            }
            return request.send().await.unwrap();
        }
        Call::TeamSummary(team) => {
            (Method::GET, format!("/api/v1/performance/team-summary?team_id={team}&period=2026-W45"), None)
        }
        Call::PeerComparison => (Method::GET, "/api/v1/performance/peer-comparison?period=2026-W45".to_string(), None),
        Call::Drilldown(person, week) => {
            (Method::GET, format!("/api/v1/performance/scores/{person}/{week}/support/events?limit=10"), None)
        }
        Call::WhatIf => (
            Method::POST,
            "/api/v1/performance/what-if".to_string(),
            Some(json!({"weights": {"support": 50, "communication": 50}, "period": "2026-W45"})),
        ),
        Call::Settings => (Method::GET, "/api/v1/performance/settings".to_string(), None),
        Call::PostSettings => (
            Method::POST,
            "/api/v1/performance/settings".to_string(),
            Some(json!({"changes": {"flagged_threshold": 65}, "effective_from": "2026-11-02", "reason": tag})),
        ),
    };
    let mut request = app.client.request(method, app.url(&path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn send(app: &TestApp, token: Option<String>, call: &Call) -> reqwest::Response {
    send_with(app, token, call, "", "setup").await
}

/// Columns of the matrix.
const CALLS: [(&str, Call); 36] = [
    ("GET scores (self)", Call::Scores(None)),
    ("GET scores ?person_id=member", Call::Scores(Some(MEMBER))),
    ("GET scores ?person_id=outsider", Call::Scores(Some(OUTSIDER))),
    ("GET scores ?person_id=member of an inactive team", Call::Scores(Some(GAMMA_MEMBER))),
    ("GET goals (self)", Call::Goals(None)),
    ("GET goals ?person_id=member", Call::Goals(Some(MEMBER))),
    ("GET goals ?person_id=outsider", Call::Goals(Some(OUTSIDER))),
    ("POST goal (self)", Call::PostGoal(None)),
    ("POST goal for member", Call::PostGoal(Some(MEMBER))),
    ("POST goal for outsider", Call::PostGoal(Some(OUTSIDER))),
    ("PATCH member's goal", Call::PatchMemberGoal),
    ("GET reviews (self)", Call::Reviews(None)),
    ("GET reviews ?person_id=member", Call::Reviews(Some(MEMBER))),
    ("GET reviews ?person_id=outsider", Call::Reviews(Some(OUTSIDER))),
    ("GET review detail", Call::ReviewDetail),
    ("POST reviews/generate for member", Call::Generate(MEMBER)),
    ("GET leaderboard", Call::Leaderboard(None)),
    ("GET leaderboard ?team_id=alpha", Call::Leaderboard(Some(ALPHA))),
    ("GET leaderboard ?team_id=beta", Call::Leaderboard(Some(BETA))),
    ("GET leaderboard ?team_id=gamma (inactive)", Call::Leaderboard(Some(GAMMA))),
    ("GET leaderboard ?team_id=unknown", Call::Leaderboard(Some(NOBODY))),
    ("GET leaderboard.csv", Call::LeaderboardCsv(None)),
    ("GET leaderboard.csv ?team_id=beta", Call::LeaderboardCsv(Some(BETA))),
    ("GET leaderboard.csv with the session cookie", Call::LeaderboardCsvCookie),
    ("GET team-summary alpha", Call::TeamSummary(ALPHA)),
    ("GET team-summary beta", Call::TeamSummary(BETA)),
    ("GET team-summary gamma (inactive)", Call::TeamSummary(GAMMA)),
    ("GET team-summary unknown", Call::TeamSummary(NOBODY)),
    ("GET peer-comparison (self)", Call::PeerComparison),
    ("GET drilldown member W45", Call::Drilldown(MEMBER, "2026-W45")),
    ("GET drilldown outsider W45 (unscored)", Call::Drilldown(OUTSIDER, "2026-W45")),
    ("GET drilldown unknown person", Call::Drilldown(NOBODY, "2026-W45")),
    ("GET drilldown member W40 (unscored)", Call::Drilldown(MEMBER, "2026-W40")),
    ("POST what-if (admins only)", Call::WhatIf),
    ("GET settings (admins only)", Call::Settings),
    ("POST settings (admins only)", Call::PostSettings),
];

/// The expected status of each role (rows, in `ROLES` order) for each call
/// (columns, in `CALLS` order).
const MATRIX: [[u16; 36]; 10] = [
    //  scores: self mem  out  gam | goals: self mem out | post: self mem out | patch | reviews: self mem out det | gen
    //  | leaderboard: all alpha beta gamma unknown | csv: all beta cookie | team-summary: alpha beta gamma unknown | peer
    //  | drilldown: member outsider unknown member-W40 | what-if | settings: get post
    /* admin         */
    [
        200, 200, 200, 200, 200, 200, 200, 201, 201, 201, 200, 200, 200, 200, 404, 202, //
        200, 200, 200, 200, 404, 200, 200, 200, 200, 200, 200, 404, 200, 200, 404, 404, 404, 200, 200, 201,
    ],
    /* manager       */
    [
        200, 200, 403, 403, 200, 200, 403, 201, 201, 403, 200, 200, 200, 403, 403, 202, //
        200, 200, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 200, 200, 403, 403, 404, 403, 403, 403,
    ],
    /* active lead   */
    [
        200, 200, 403, 403, 200, 200, 403, 201, 201, 403, 200, 200, 200, 403, 403, 202, //
        200, 200, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 200, 200, 403, 403, 404, 403, 403, 403,
    ],
    /* inactive lead */
    [
        200, 403, 403, 403, 200, 403, 403, 201, 403, 403, 403, 200, 403, 403, 403, 403, //
        403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403,
    ],
    /* member        */
    [
        200, 200, 403, 403, 200, 200, 403, 201, 201, 403, 200, 200, 200, 403, 403, 403, //
        403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 403, 403, 404, 403, 403, 403,
    ],
    /* outsider      */
    [
        200, 403, 200, 403, 200, 403, 200, 201, 403, 201, 403, 200, 403, 200, 403, 403, //
        403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 404, 403, 403, 403, 403, 403,
    ],
    /* technician without inbox access: its own data only (D19) */
    [
        200, 403, 403, 403, 200, 403, 403, 201, 403, 403, 403, 200, 403, 403, 403, 403, //
        403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403,
    ],
    /* no token      */
    [401; 36],
    /* expired       */
    [401; 36],
    /* bad signature */
    [401; 36],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_exactly_the_seeds_answer_on_every_endpoint() {
    let (app, goal_id) = world().await;
    let mut failures = Vec::new();
    for (r, role) in ROLES.iter().enumerate() {
        for (c, (name, call)) in CALLS.iter().enumerate() {
            let token = (*role != Role::NoToken).then(|| token(&app, *role));
            let response = send_with(&app, token, call, &goal_id, &format!("{role:?}")).await;
            let status = response.status().as_u16();
            let expected = MATRIX[r][c];
            if status >= 400 {
                assert_eq!(problem_content_type(&response), "application/problem+json", "{role:?} × {name}");
                let body: Value = response.json().await.unwrap();
                assert!(body.get("items").is_none(), "{role:?} × {name}: an error carries no data: {body}");
                assert!(body["type"].as_str().unwrap().starts_with("https://perfledger.dev/problems/"), "{body}");
            }
            if status != expected {
                failures.push(format!("{role:?} × {name}: expected {expected}, got {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} cells differ:\n{}", failures.len(), failures.join("\n"));
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_id_never_widens_what_a_role_sees() {
    let (app, _) = world().await;
    let member = token(&app, Role::Member);
    let (status, own) = get_json(&app, &member, "/api/v1/performance/scores").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["person_id"], MEMBER);
    let items = own["items"].as_array().unwrap();
    assert!(!items.is_empty(), "MEMBER resolved tickets, so MEMBER has scores: {own}");
    assert!(!items[0]["scores"].as_array().unwrap().is_empty(), "domain score rows come with it: {own}");
    assert!(items[0]["composite_score"].is_number(), "{own}");

    // Naming oneself changes nothing; naming anyone else is a 403 with no data.
    let (_, named) = get_json(&app, &member, &format!("/api/v1/performance/scores?person_id={MEMBER}")).await;
    assert_eq!(named, own);
    for other in [OUTSIDER, MANAGER, LEAD, GAMMA_MEMBER, ADMIN] {
        for path in ["scores", "goals"] {
            let (status, body) =
                get_json(&app, &member, &format!("/api/v1/performance/{path}?person_id={other}")).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "member → {path} of {other}: {body}");
            assert_eq!(body["field"], "person_id");
            assert_eq!(body["type"], "https://perfledger.dev/problems/forbidden");
            assert!(body.get("items").is_none() && body.get("person_id").is_none(), "{body}");
        }
    }

    // A manager sees its member's data, and only that person's.
    let manager = token(&app, Role::Manager);
    let (status, theirs) = get_json(&app, &manager, &format!("/api/v1/performance/scores?person_id={MEMBER}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs["items"], own["items"]);
    let (_, goals) = get_json(&app, &manager, &format!("/api/v1/performance/goals?person_id={MEMBER}")).await;
    for goal in goals["items"].as_array().unwrap() {
        assert_eq!(goal["person_id"], MEMBER);
    }
    // …but not its member's peers elsewhere, nor its own scope widened by a parameter.
    let (status, _) = get_json(&app, &manager, &format!("/api/v1/performance/scores?person_id={OUTSIDER}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_person_is_404_for_admins_and_403_for_everyone_else() {
    let (app, _) = world().await;
    let path = format!("/api/v1/performance/scores?person_id={NOBODY}");
    let (status, body) = get_json(&app, &token(&app, Role::Admin), &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "https://perfledger.dev/problems/not-found");
    assert_eq!(body["field"], "person_id");
    for role in [Role::Manager, Role::Lead, Role::Member, Role::Outsider] {
        let (status, missing) = get_json(&app, &token(&app, role), &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        // Exactly the answer for a person who exists but is out of reach.
        let (_, existing) =
            get_json(&app, &token(&app, role), &format!("/api/v1/performance/scores?person_id={GAMMA_MEMBER}")).await;
        assert_eq!(missing, existing, "{role:?}: a missing id must look like a forbidden one");
    }
    // A goal id that does not exist: 404 for admins, 403 for others.
    let patch = |role: Role| {
        app.client
            .patch(app.url(&format!("/api/v1/performance/goals/{NOBODY}")))
            .bearer_auth(token(&app, role))
            .json(&json!({"label": "x"}))
            .send()
    };
    assert_eq!(patch(Role::Admin).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(patch(Role::Member).await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_and_bodies_are_validated_with_problems_naming_the_field() {
    let (app, goal_id) = world().await;
    let member = token(&app, Role::Member);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("period=next_week", "period"),
        // An inverted range names `from` (crate::period_query, on every endpoint).
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("person_id=not-a-uuid", "person_id"),
        ("colour=blue", "colour"),
    ] {
        let (status, body) = get_json(&app, &member, &format!("/api/v1/performance/scores?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert_eq!(body["type"], "https://perfledger.dev/problems/invalid-parameter");
        assert!(body["reason"].is_string(), "{body}");
    }
    let (status, _) = get_json(&app, &member, "/api/v1/performance/scores?period=2026-W45&limit=500").await;
    assert_eq!(status, StatusCode::OK);

    let post = |body: Value| {
        app.client.post(app.url("/api/v1/performance/goals")).bearer_auth(member.clone()).json(&body).send()
    };
    let mut blank = goal_body(None);
    blank["label"] = json!("  ");
    let mut past = goal_body(None);
    past["deadline"] = json!("2020-01-01");
    let mut bad_metric = goal_body(None);
    bad_metric["metric_key"] = json!("vibes");
    let mut bad_domain = goal_body(None);
    bad_domain["domain"] = json!("marketing");
    let mut missing = goal_body(None);
    missing.as_object_mut().unwrap().remove("target_value");
    for (body, field) in [
        (blank, "label"),
        (past, "deadline"),
        (bad_metric, "metric_key"),
        (bad_domain, "domain"),
        (missing, "target_value"),
    ] {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem_content_type(&response), "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
    }

    // Cancel, then the goal is no longer active: a 422 naming status.
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/performance/goals/{goal_id}")))
            .bearer_auth(member.clone())
            .json(&body)
            .send()
    };
    let canceled = patch(json!({"status": "canceled"})).await.unwrap();
    assert_eq!(canceled.status(), StatusCode::OK);
    let canceled: Value = canceled.json().await.unwrap();
    assert_eq!(canceled["status"], "canceled");
    let again = patch(json!({"label": "Too late"})).await.unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["field"], "status", "{again}");

    // The list is eventually consistent: after a projection round it shows the cancel.
    project(&app).await;
    let (_, goals) = get_json(&app, &member, "/api/v1/performance/goals?status=canceled").await;
    let items = goals["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{goals}");
    assert_eq!(items[0]["id"], goal_id.as_str());
    assert_eq!(items[0]["created_by_person_id"], MANAGER);
}

#[test]
fn perfledger_token_mints_for_a_person_with_a_human_ttl() {
    let secret = "a-secret-that-is-long-enough-0123456789";
    let mint = |args: &[&str]| {
        std::process::Command::new(crate::support::perfledger_bin())
            .arg("token")
            .args(args)
            .env("PERFLEDGER_JWT_SECRET", secret)
            .env_remove("PERFLEDGER_TOKEN_SUBJECT")
            .env_remove("PERFLEDGER_TOKEN_TTL")
            .output()
            .unwrap()
    };
    let verifier = perfledger_api::auth::Verifier::hs256(secret.as_bytes()).unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    for (ttl, seconds) in [("1h", 3_600), ("30m", 1_800), ("90", 90)] {
        let output = mint(&["--person", MEMBER, "--roles", "agent", "--ttl", ttl]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let principal = verifier.verify(&token).unwrap();
        assert_eq!(principal.person_id.map(|p| p.to_string()).as_deref(), Some(MEMBER));
        assert!(principal.can_view_inbox());
        let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()).unwrap();
        let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        let claims = jsonwebtoken::decode::<perfledger_api::auth::Claims>(&token, &key, &validation).unwrap().claims;
        assert!(claims.exp.abs_diff(now + seconds) <= 5, "--ttl {ttl}: exp {} vs {}", claims.exp, now + seconds);
    }
    let bad = mint(&["--person", MEMBER, "--ttl", "1w"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--ttl"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// D19: every active person in the directory reads their own scores,
/// snapshots, goals and reviews and acknowledges their own reviews,
/// whatever their roles; a service token, or a token naming nobody in the
/// directory without inbox access, gets 403 on self-service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_active_person_sees_their_own_and_service_tokens_get_403() {
    let (app, _) = world().await;
    let technician = token(&app, Role::Technician);
    let (status, own) = get_json(&app, &technician, "/api/v1/performance/scores?period=2026-W45").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["person_id"], TECHNICIAN);
    assert!(own["items"][0]["composite_score"].is_number(), "the technician's own snapshot: {own}");
    for path in ["goals", "reviews", "peer-comparison?period=2026-W45"] {
        let (status, body) = get_json(&app, &technician, &format!("/api/v1/performance/{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    // A review of the technician, generated by the offline coach: they read
    // it and acknowledge it.
    let response = send(&app, Some(token(&app, Role::Admin)), &Call::Generate(TECHNICIAN)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let requested: Value = response.json().await.unwrap();
    let review_id = requested["review_id"].as_str().unwrap().to_string();
    crate::reviews_support::run_jobs(&app).await;
    let (status, review) = get_json(&app, &technician, &format!("/api/v1/performance/reviews/{review_id}")).await;
    assert_eq!((status, review["status"].as_str()), (StatusCode::OK, Some("generated")), "{review}");
    let ack = |token: String| {
        app.client
            .post(app.url(&format!("/api/v1/performance/reviews/{review_id}/acknowledge")))
            .bearer_auth(token)
            .send()
    };
    let acknowledged = ack(technician.clone()).await.unwrap();
    assert_eq!(acknowledged.status(), StatusCode::OK);
    let acknowledged: Value = acknowledged.json().await.unwrap();
    assert!(acknowledged["acknowledged_at"].is_string(), "{acknowledged}");
    // Nothing else widens: another person cannot acknowledge it nor read it.
    assert_eq!(ack(token(&app, Role::Outsider)).await.unwrap().status(), StatusCode::FORBIDDEN);
    let (status, _) =
        get_json(&app, &token(&app, Role::Outsider), &format!("/api/v1/performance/reviews/{review_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let service = app.signer.token("crm", &[], &["ingest"], 600);
    let nobody = app.signer.token(NOBODY, &[], &[], 600);
    for token in [service, nobody] {
        for path in [
            "/api/v1/performance/scores",
            "/api/v1/performance/goals",
            "/api/v1/performance/reviews",
            "/api/v1/performance/peer-comparison",
        ] {
            let (status, body) = get_json(&app, &token, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert_eq!(body["type"], "https://perfledger.dev/problems/forbidden");
        }
        assert_eq!(ack(token).await.unwrap().status(), StatusCode::FORBIDDEN);
    }
}

/// History and audit (issue 16 item 5): admins only, the CSVs too. A table
/// of its own beside [`MATRIX`] (same roles, same rows), so the parallel
/// branches of issue 16 add their columns without touching each other's.
const AUDIT_CALLS: [(&str, &str); 5] = [
    ("GET settings/history", "/api/v1/performance/settings/history"),
    ("GET settings/history.csv", "/api/v1/performance/settings/history.csv"),
    ("GET audit", "/api/v1/performance/audit"),
    ("GET audit ?action=&from=&to=", "/api/v1/performance/audit?action=settings.changed&from=2026-01-01&to=2099-12-31"),
    ("GET audit.csv", "/api/v1/performance/audit.csv"),
];

/// Admin 200; every other person 403 (a manager too: the audit log is not
/// a team report); no valid token 401. Rows in `ROLES` order.
const AUDIT_MATRIX: [[u16; 5]; 10] = [
    /* admin         */ [200; 5], /* manager       */ [403; 5], /* active lead   */ [403; 5],
    /* inactive lead */ [403; 5], /* member        */ [403; 5], /* outsider      */ [403; 5],
    /* technician    */ [403; 5], /* no token      */ [401; 5], /* expired       */ [401; 5],
    /* bad signature */ [401; 5],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_audit_are_for_admins_only() {
    let (app, _) = world().await;
    let mut failures = Vec::new();
    for (r, role) in ROLES.iter().enumerate() {
        for (c, (name, path)) in AUDIT_CALLS.iter().enumerate() {
            let mut request = app.client.get(app.url(path));
            if *role != Role::NoToken {
                request = request.bearer_auth(token(&app, *role));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            if status >= 400 {
                assert_eq!(problem_content_type(&response), "application/problem+json", "{role:?} × {name}");
                let body: Value = response.json().await.unwrap();
                assert!(body.get("items").is_none(), "{role:?} × {name}: an error carries no data: {body}");
            } else {
                let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
                let expected = if path.contains(".csv") { "text/csv" } else { "application/json" };
                assert!(content_type.starts_with(expected), "{role:?} × {name}: {content_type}");
            }
            if status != AUDIT_MATRIX[r][c] {
                failures.push(format!("{role:?} × {name}: expected {}, got {status}", AUDIT_MATRIX[r][c]));
            }
        }
    }
    assert!(failures.is_empty(), "{} cells differ:\n{}", failures.len(), failures.join("\n"));
}
