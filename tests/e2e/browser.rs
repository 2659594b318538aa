//! The HTML dashboards in a real browser (issue 6): Debian's headless Chromium
//! driven by Playwright (`tests/browser/run.mjs`) against the real router,
//! on a seeded organisation (`browser/world.rs`).
//!
//! The script only observes; every judgement is made here: sign-in sets the
//! session cookie; the leaderboard sorts by every column (checked against
//! the scores the API reports) as a partial swap when JavaScript is on and
//! as a full page load when it is off; the agent page links to a drilldown
//! that lists the events behind the score; an agent creates a goal through
//! the form and sees it; outsiders get 403 pages. Every page is captured
//! full-page at 1280 and 375 px in light and dark mode (the folder is
//! printed) and checked with axe-core in both themes: any `serious` or
//! `critical` violation fails the test. No page may log a JavaScript error,
//! fail a sub-request or load anything from another host. At every width
//! chart text renders at 11 px or more and axis labels do not overlap; the
//! leaderboard fits 1280 px without scrolling sideways and its rows are
//! cards at 375 px (issue 15). A technician without inbox access lands on
//! their own scorecard, whose composite is the API's and whose rules carry
//! units; an admin lands on the team they manage, whose top-performer card
//! is the leaderboard's best (issue 15, D19).

mod driver;
mod world;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;
use world::{ADA, ALPHA, BETA, BETA_BOSS, CHIDI, LEAD, MANAGER, OUTSIDER};

/// The leaderboard's sortable columns (the `data-sort` values of its header links).
const COLUMNS: [&str; 8] =
    ["name", "composite", "support", "operations", "field_service", "communication", "sales", "data_quality"];

const PERIOD: &str = "period=last_week";

/// On a 375 px phone the header and the wrapped navigation take about 140 px;
/// content that starts far below them sits under an empty band.
const PHONE_MAIN_TOP_MAX_PX: i64 = 300;

/// Serious defects this test found in pages it does not own, reported to
/// their authors and tolerated only while they last: an entry that no longer
/// reproduces fails the test until it is removed. Keys: `axe:<rule>:<target>`,
/// `layout-375:<page>`, `overflow-<width>:<page>`.
const KNOWN_ISSUES: &[&str] = &[];

/// A secret set in the settings: the history page shows it only as "set".
const BROWSER_SECRET: &str = "sk-browser-secret-4242";

const GOAL_LABEL: &str = "Meet the SLA on nine tickets in ten";

/// Every page the run captures, by the name its screenshots carry.
const PAGES: [&str; 15] = [
    "sign-in",
    "demo",
    "team-overview",
    "agent-detail",
    "drilldown",
    "my-scorecard",
    "review-detail",
    "forbidden-team",
    "forbidden-agent",
    "technician-scorecard",
    "admin-team",
    "settings-history",
    "audit-log",
    "settings",
    "settings-preview",
];

fn step(id: &str, action: &str, session: &str, extra: Value) -> Value {
    let mut step = json!({"id": id, "action": action, "session": session});
    step.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    step
}

/// One person's leaderboard values per column, from the API.
struct Scores {
    by_person: BTreeMap<String, BTreeMap<String, Option<ColumnValue>>>,
    names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum ColumnValue {
    Name(String),
    Score(f64),
}

impl Scores {
    async fn fetch(app: &TestApp, token: &str) -> Scores {
        let url = app.url(&format!("/api/v1/performance/leaderboard?team_id={ALPHA}&{PERIOD}&limit=500"));
        let response = app.client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        let mut by_person = BTreeMap::new();
        let mut names = BTreeMap::new();
        for row in page["items"].as_array().unwrap() {
            names.insert(
                row["person_id"].as_str().unwrap().to_string(),
                row["display_name"].as_str().unwrap().to_string(),
            );
            let mut values = BTreeMap::new();
            values
                .insert("name".to_string(), row["display_name"].as_str().map(|n| ColumnValue::Name(n.to_lowercase())));
            values.insert("composite".to_string(), row["composite"].as_f64().map(ColumnValue::Score));
            for column in &COLUMNS[2..] {
                values.insert(column.to_string(), row["domain_scores"][column].as_f64().map(ColumnValue::Score));
            }
            by_person.insert(row["person_id"].as_str().unwrap().to_string(), values);
        }
        Scores { by_person, names }
    }

    fn value(&self, person: &str, column: &str) -> Option<ColumnValue> {
        self.by_person.get(person).unwrap_or_else(|| panic!("{person} is not on the API's leaderboard"))[column].clone()
    }
}

/// The direction the rows are in by `column` ("asc" or "desc"), failing unless
/// they are ordered by that column's values (people without a value last).
fn sorted_direction(rows: &[String], scores: &Scores, column: &str) -> &'static str {
    let values: Vec<Option<ColumnValue>> = rows.iter().map(|p| scores.value(p, column)).collect();
    let present = values.iter().take_while(|v| v.is_some()).count();
    assert!(
        values[present..].iter().all(Option::is_none),
        "{column}: people without a value must come last: {values:?}"
    );
    let present: Vec<&ColumnValue> = values[..present].iter().map(|v| v.as_ref().unwrap()).collect();
    let ascending = present.windows(2).all(|w| w[0] <= w[1]);
    let descending = present.windows(2).all(|w| w[0] >= w[1]);
    let distinct = present.windows(2).any(|w| w[0] != w[1]);
    assert!(distinct, "{column}: the seed must give at least two different values, got {values:?}");
    match (ascending, descending) {
        (true, false) => "asc",
        (false, true) => "desc",
        _ => panic!("the rows are not ordered by {column}: {values:?}"),
    }
}

/// The column's cells show each row's own value: the name, or the score as
/// `domain::format::score` shows it (one decimal, never rounded across a
/// whole-number threshold; "—" for none).
fn check_cells(step: &Value, scores: &Scores, column: &str) {
    let cells = step["leaderboard"]["columns"][column]["cells"]
        .as_array()
        .unwrap_or_else(|| panic!("no {column} column: {step}"));
    for (person, cell) in rows(step).iter().zip(cells) {
        let cell = cell.as_str().unwrap_or_else(|| panic!("{column}: no cell for {person}"));
        match scores.value(person, column) {
            Some(ColumnValue::Score(v)) => {
                let shown = perfledger_domain::format::score(perfledger_domain::format::decimal_of(v));
                assert_eq!(cell, shown, "{column} of {person}")
            }
            None => assert_eq!(cell, "—", "{column} of {person}"),
            Some(ColumnValue::Name(_)) => {
                assert!(cell.starts_with(&scores.names[person]), "{column} of {person}: {cell}")
            }
        }
    }
}

fn rows(step: &Value) -> Vec<String> {
    step["leaderboard"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("step '{}' saw no leaderboard: {step}", step["id"]))
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

fn path_of(url: &Value) -> String {
    let url = url.as_str().expect("a URL");
    let after_host = url.splitn(4, '/').nth(3).unwrap_or("");
    format!("/{after_host}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_work_in_a_real_browser() {
    driver::prepare();
    let app = TestApp::spawn_demo().await;
    world::seed(&app, chrono::Utc::now()).await;
    // Reviews on, with the default offline rules coach (D12), so the
    // "Generate review" button produces a review the agent can acknowledge.
    crate::reviews_support::set(
        &app,
        json!({"review_generation_enabled": true}),
        crate::reviews_support::this_monday(),
    )
    .await;
    // Issue 16: the team page's review lists have rows to show: a flagged
    // run over last week that requested a review of Bola, generated and not
    // acknowledged yet (written into the read models: the run itself is
    // tested in `web_manage`).
    let now = chrono::Utc::now();
    let week_end = perfledger_domain::period::midnight(world::this_monday(now));
    sqlx::query(
        "INSERT INTO review_runs (started_at, through_period_end, status, requested, carried_over)
         VALUES ($1, $2, 'carried_over', 1, 2)",
    )
    .bind(now)
    .bind(week_end)
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO agent_performance_reviews
           (id, person_id, review_period_start, review_period_end, status, trigger, composite_score, summary_text,
            llm_provider, llm_model, llm_tokens_in, llm_tokens_out, created_at, updated_at)
         VALUES (gen_random_uuid(), $1::uuid, $2 - interval '7 days', $2, 'generated', 'flagged', 48.5,
                 'A slower week.', 'rules', 'rules-v1', 0, 0, $3, $3)",
    )
    .bind(world::BOLA)
    .bind(week_end)
    .bind(now)
    .execute(&app.db.pool)
    .await
    .unwrap();
    // A secret in the settings history (the rules coach ignores it).
    crate::reviews_support::set(&app, json!({"vllm_api_key": BROWSER_SECRET}), crate::reviews_support::this_monday())
        .await;
    let (stop_reviews, reviews_stopped) = tokio::sync::oneshot::channel::<()>();
    let review_worker = tokio::spawn(perfledger_reviews::worker::run_forever(
        app.db.pool.clone(),
        perfledger_reviews::worker::ProviderSource::from_env(),
        Duration::from_millis(200),
        async {
            let _ = reviews_stopped.await;
        },
    ));
    // The projection worker, as `perfledger serve` runs it: goals created in the browser get projected.
    let (stop_worker, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(perfledger_scheduler::worker::run_forever(
        app.db.pool.clone(),
        perfledger_scheduler::worker::DEFAULT_BATCH,
        Duration::from_millis(200),
        async {
            let _ = stopped.await;
        },
    ));

    let token = |person: &str, roles: &[&str], permissions: &[&str]| app.signer.token(person, roles, permissions, 3600);
    let manager = token(MANAGER, &[], &["reports:operations"]);
    let lead = token(LEAD, &["agent"], &["reports"]);
    let ada = token(ADA, &["agent"], &[]);
    let outsider = token(OUTSIDER, &["agent"], &[]);
    let beta_boss = token(BETA_BOSS, &["agent"], &["reports:operations"]);
    // D19: a technician has no inbox access and still sees their own scorecard.
    let technician = token(CHIDI, &["technician"], &[]);
    let admin = token(MANAGER, &["admin"], &[]);
    let scores = Scores::fetch(&app, &manager).await;
    assert_eq!(scores.by_person.len(), world::ALPHA_WORKERS.len(), "everyone in Alpha is scored last week");

    let team_page = format!("/admin/performance/team?team_id={ALPHA}&{PERIOD}");
    // A settings change in force from last week's Monday: last week is rescored.
    let settings_from = perfledger_domain::period::week_start(chrono::Utc::now()) - chrono::Days::new(7);
    let agent_page = format!("/admin/performance/agents/{ADA}?{PERIOD}");
    let mut steps = vec![
        step("anonymous", "sign_in", "anonymous", json!({"path": "/"})),
        step("sign-in", "snapshot", "anonymous", json!({"name": "sign-in"})),
        // Demo mode: the seeded people, each with a sign-in button.
        step("demo-list", "goto", "anonymous", json!({"path": "/auth/demo"})),
        step(
            "demo-people",
            "query",
            "anonymous",
            json!({"queries": {"people": {"selector": "table[data-testid=demo-people] tr[data-person-id]", "attr": "data-person-id"}}}),
        ),
        step("demo", "snapshot", "anonymous", json!({"name": "demo"})),
        step(
            "demo-sign-in",
            "click",
            "anonymous",
            json!({"selector": format!("tr[data-person-id=\"{MANAGER}\"] button[data-testid=demo-sign-in]")}),
        ),
        step(
            "demo-sign-out",
            "submit_form",
            "anonymous",
            json!({"selector": "form[action=\"/auth/logout\"]", "fields": {}}),
        ),
        // A manager: sign-in, the team overview, sorting by each column.
        step("manager-sign-in", "sign_in", "manager", json!({"token": manager})),
        step("team", "goto", "manager", json!({"path": team_page})),
        step("team-overview", "snapshot", "manager", json!({"name": "team-overview"})),
        step(
            "team-review-lists",
            "query",
            "manager",
            json!({"queries": {
                "pending": {"selector": "[data-testid=pending-review]"},
                "runs": {"selector": "[data-testid=flagged-run]"},
                "export": {"selector": "a[data-testid=export-csv]", "attr": "href"},
            }}),
        ),
        step("theme-toggle", "toggle_theme", "manager", json!({})),
    ];
    for column in COLUMNS {
        steps.push(step(&format!("sort-{column}"), "sort", "manager", json!({"column": column})));
    }
    // Clicking the sorted column again reverses it.
    steps.push(step("sort-again", "sort", "manager", json!({"column": COLUMNS[COLUMNS.len() - 1]})));
    steps.extend([
        // The same page without JavaScript: sorting is a plain link.
        step("nojs-sign-in", "sign_in", "nojs", json!({"token": manager, "js": false})),
        step("nojs-team", "goto", "nojs", json!({"path": team_page})),
        step("nojs-sort-name", "sort", "nojs", json!({"column": "name"})),
        // From the leaderboard to an agent, and on to the events behind a score.
        step("manager-team-again", "goto", "manager", json!({"path": team_page})),
        step(
            "open-agent",
            "click",
            "manager",
            json!({"selector": format!("table[data-testid=leaderboard] tr[data-person-id=\"{ADA}\"] a[data-testid=agent-link]")}),
        ),
        step("agent-detail", "snapshot", "manager", json!({"name": "agent-detail"})),
        step("drilldown-links", "query", "manager", json!({"queries": {"href": {"selector": "a[data-testid=drilldown]", "attr": "href"}}})),
        step("open-drilldown", "click", "manager", json!({"selector": "a[data-testid=drilldown]"})),
        step(
            "drilldown-events",
            "query",
            "manager",
            json!({"queries": {
                "rows": {"selector": "table[data-testid=events] tbody tr"},
                "table": {"selector": "table[data-testid=events]"},
                "paging": {"selector": "[data-testid=event-paging]"},
                "details": {"selector": "table[data-testid=events] details[data-testid=event-details]"},
            }}),
        ),
        step("drilldown", "snapshot", "manager", json!({"name": "drilldown"})),
        // The manager asks for a review of the agent (rules coach); the page says what happened.
        step("agent-again", "goto", "manager", json!({"path": agent_page})),
        step(
            "generate-review",
            "submit_form",
            "manager",
            json!({"selector": "form:has(button[data-testid=generate-review])", "fields": {}}),
        ),
        step("generate-flash", "query", "manager", json!({"queries": {"flash": {"selector": "[data-testid=flash]"}}})),
        // An agent: own scorecard, a goal through the form.
        step("agent-sign-in", "sign_in", "ada", json!({"token": ada})),
        step("my-performance", "goto", "ada", json!({"path": format!("/agent/my-performance?{PERIOD}")})),
        step("my-scorecard", "snapshot", "ada", json!({"name": "my-scorecard"})),
        step(
            "goal-form",
            "submit_form",
            "ada",
            json!({"selector": "form[data-testid=goal-form]", "fields": {
                "metric": "support:sla_compliance_rate",
                "label": GOAL_LABEL,
                "target": "90",
                "deadline": (chrono::Utc::now().date_naive() + chrono::Days::new(60)).to_string(),
            }}),
        ),
        step("flash", "query", "ada", json!({"queries": {"flash": {"selector": "[data-testid=flash]"}}})),
        step("goals", "reload_until", "ada", json!({"selector": "[data-testid=goal]", "text": GOAL_LABEL})),
        // The agent reads the generated review and acknowledges it.
        step(
            "review-banner",
            "reload_until",
            "ada",
            json!({"selector": "a[data-testid=review-link]", "text": "Read the review", "timeout_ms": 20000}),
        ),
        step("open-review", "click", "ada", json!({"selector": "a[data-testid=review-link]"})),
        step("review-detail", "snapshot", "ada", json!({"name": "review-detail"})),
        step(
            "acknowledge",
            "submit_form",
            "ada",
            json!({"selector": "form:has(button[data-testid=acknowledge])", "fields": {}}),
        ),
        step(
            "acknowledged",
            "reload_until",
            "ada",
            json!({"selector": "[data-testid=acknowledged]", "text": "Acknowledged", "timeout_ms": 20000}),
        ),
        step("agent-team-page", "goto", "ada", json!({"path": team_page})),
        // Outside the team: 403 pages.
        step("outsider-sign-in", "sign_in", "outsider", json!({"token": outsider})),
        step("outsider-team", "goto", "outsider", json!({"path": team_page})),
        step("forbidden-team", "snapshot", "outsider", json!({"name": "forbidden-team"})),
        step("outsider-agent", "goto", "outsider", json!({"path": agent_page})),
        step("forbidden-agent", "snapshot", "outsider", json!({"name": "forbidden-agent"})),
        step("beta-boss-sign-in", "sign_in", "beta", json!({"token": beta_boss})),
        step("beta-boss-alpha", "goto", "beta", json!({"path": team_page})),
        step("beta-boss-ada", "goto", "beta", json!({"path": agent_page})),
        step("beta-boss-beta", "goto", "beta", json!({"path": format!("/admin/performance/team?team_id={BETA}&{PERIOD}")})),
        // A technician without inbox access: signed in to their own scorecard (D19).
        step("technician-sign-in", "sign_in", "technician", json!({"token": technician})),
        step(
            "technician-page",
            "query",
            "technician",
            json!({"queries": {
                "composite": {"selector": "[data-testid=composite]"},
                "threshold": {"selector": "[data-testid=threshold]"},
                "rules": {"selector": "[data-testid=metric-rule]"},
            }}),
        ),
        step("technician-scorecard", "snapshot", "technician", json!({"name": "technician-scorecard"})),
        // An admin lands on a team they manage; its cards agree with its leaderboard.
        step("admin-sign-in", "sign_in", "admin", json!({"token": admin})),
        step("admin-last-week", "goto", "admin", json!({"path": team_page})),
        step(
            "admin-cards",
            "query",
            "admin",
            json!({"queries": {
                "labels": {"selector": ".stats .stat-label"},
                "values": {"selector": ".stats .stat-value"},
                "threshold": {"selector": "[data-testid=threshold]"},
            }}),
        ),
        step("admin-team", "snapshot", "admin", json!({"name": "admin-team"})),
        // An admin's agent page: "Generate review" with the force option.
        step("admin-agent-page", "goto", "admin", json!({"path": agent_page})),
        step("admin-agent", "snapshot", "admin", json!({"name": "admin-agent"})),
        // History and audit (issue 16): the admin's pages, a secret among the changes.
        step("settings-history-page", "goto", "admin", json!({"path": "/admin/performance/settings/history"})),
        step("settings-history", "snapshot", "admin", json!({"name": "settings-history"})),
        step("audit-page", "goto", "admin", json!({"path": "/admin/performance/audit"})),
        step("audit-log", "snapshot", "admin", json!({"name": "audit-log"})),
        // Issue 16: the admin weighs support teams on support, previews,
        // publishes, watches the rescore finish and sees the new numbers.
        step("settings-page", "goto", "admin", json!({"path": "/admin/performance/settings"})),
        step("settings", "snapshot", "admin", json!({"name": "settings"})),
        step(
            "settings-draft",
            "submit_form",
            "admin",
            json!({"selector": "form[data-testid=settings-form]", "submit": "[data-testid=preview]", "fields": {
                "domain_weights_support.support": "90",
                "effective_from": settings_from.to_string(),
                "reason": "Support teams are judged on support first",
                "weeks": "4",
            }}),
        ),
        step("settings-preview", "snapshot", "admin", json!({"name": "settings-preview"})),
        step("settings-publish", "click", "admin", json!({"selector": "[data-testid=publish]"})),
        step(
            "settings-rescore",
            "reload_until",
            "admin",
            json!({"selector": "[data-testid=progress-words]", "text": "The new numbers are in place", "timeout_ms": 30000}),
        ),
        step(
            "settings-done",
            "query",
            "admin",
            json!({"queries": {"team_link": {"selector": "a[data-testid=team-link]", "attr": "href"}}}),
        ),
        step("settings-team", "goto", "admin", json!({"path": team_page})),
        step("settings-team-board", "query", "admin", json!({"queries": {}})),
        step("manager-settings", "goto", "manager", json!({"path": "/admin/performance/settings"})),
        // A team lead sees the team.
        step("lead-sign-in", "sign_in", "lead", json!({"token": lead})),
        step("lead-team", "goto", "lead", json!({"path": team_page})),
        // The sign-in form: a bad token is refused on the form, a good one signs in; signing out ends the session.
        step("form-bad-token", "submit_form", "anonymous", json!({"selector": "form[action=\"/auth/session\"]", "fields": {"token": "not-a-token"}})),
        step("form-sign-in", "submit_form", "anonymous", json!({"selector": "form[action=\"/auth/session\"]", "fields": {"token": ada}})),
        step("sign-out", "submit_form", "anonymous", json!({"selector": "form[action=\"/auth/logout\"]", "fields": {}})),
        step("signed-out", "goto", "anonymous", json!({"path": "/agent/my-performance"})),
    ]);

    let run = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let screenshot_dir = driver::workspace().join("target/screenshots").join(&run);
    let plan = json!({"base_url": app.url("/"), "screenshot_dir": screenshot_dir, "steps": steps});
    let seen = driver::run(&plan, Duration::from_secs(240)).await;
    println!("browser screenshots: {}", screenshot_dir.display());
    std::fs::write(screenshot_dir.join("results.json"), serde_json::to_vec_pretty(&seen.steps).unwrap()).unwrap();

    // Nothing went wrong behind the scenes on any page.
    for id in &seen.order {
        let problems = &seen.steps[id]["problems"];
        assert_eq!(problems, &json!([]), "step '{id}': {problems}");
    }

    // Sign-in: an HttpOnly, SameSite=Lax session cookie, then the manager's home.
    let signed_in = seen.ok("manager-sign-in");
    assert_eq!(signed_in["status"], 200, "{signed_in}");
    let cookie = signed_in["cookies"].as_array().unwrap().iter().find(|c| c["name"] == "perfledger_session");
    let cookie = cookie.unwrap_or_else(|| panic!("no perfledger_session cookie: {signed_in}"));
    assert_eq!(cookie["http_only"], true);
    assert_eq!(cookie["same_site"], "Lax");
    assert!(path_of(&signed_in["url"]).starts_with("/admin/performance/team"), "{signed_in}");
    let agent_home = seen.ok("agent-sign-in");
    assert!(path_of(&agent_home["url"]).starts_with("/agent/my-performance"), "{agent_home}");

    // D19: a technician without inbox access lands on their own scorecard; the
    // composite on the page is the API's, rounded as pages round; every metric
    // states its rule with its unit; the threshold is said.
    let technician_home = seen.ok("technician-sign-in");
    assert_eq!(technician_home["status"], 200, "{technician_home}");
    assert!(path_of(&technician_home["url"]).starts_with("/agent/my-performance"), "{technician_home}");
    let technician_page = &seen.ok("technician-page")["found"];
    let shown: f64 = technician_page["composite"][0].as_str().unwrap().parse().unwrap();
    let Some(ColumnValue::Score(api_composite)) = scores.value(CHIDI, "composite") else { panic!("Chidi is scored") };
    assert!((shown - api_composite).abs() <= 0.05 + 1e-9, "page {shown}, API {api_composite}");
    assert!(technician_page["threshold"][0].as_str().unwrap().contains("below 70"), "{technician_page}");
    let rules = technician_page["rules"].as_array().unwrap();
    assert!(!rules.is_empty(), "{technician_page}");
    assert!(
        rules.iter().any(|r| r.as_str().unwrap().contains(" %") || r.as_str().unwrap().contains(" min")),
        "units in the rules: {technician_page}"
    );

    // An admin signs in to a team they manage; "Top performer" is the
    // leaderboard's best composite, "N of M scored" counts its rows.
    let admin_home = seen.ok("admin-sign-in");
    assert!(path_of(&admin_home["url"]).starts_with("/admin/performance/team"), "{admin_home}");
    let admin_title = admin_home["page"]["title"].as_str().unwrap();
    assert!(admin_title.contains("Alpha Support"), "the team the admin manages: {admin_home}");
    // Issue 16: the team's review lists and the CSV export of the view.
    let lists = &seen.ok("team-review-lists")["found"];
    assert_eq!(lists["pending"].as_array().unwrap().len(), 1, "Bola's review waits to be read: {lists}");
    assert!(lists["pending"][0].as_str().unwrap().contains("Bola"), "{lists}");
    assert_eq!(lists["runs"].as_array().unwrap().len(), 1, "{lists}");
    let export = lists["export"][0].as_str().unwrap();
    assert!(export.starts_with("/api/v1/performance/leaderboard.csv?") && export.contains(ALPHA), "{export}");
    let cards = &seen.ok("admin-cards")["found"];
    let labels: Vec<&str> = cards["labels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let values: Vec<&str> = cards["values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let card = |label: &str| {
        values[labels.iter().position(|l| l.eq_ignore_ascii_case(label)).unwrap_or_else(|| panic!("{label}: {cards}"))]
    };
    let best = scores
        .by_person
        .iter()
        .filter_map(|(id, v)| match &v["composite"] {
            Some(ColumnValue::Score(c)) => Some((*c, id)),
            _ => None,
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert!(card("Top performer").starts_with(scores.names[best.1].as_str()), "{cards}");
    assert!(cards["threshold"][0].as_str().unwrap().contains("below 70"), "{cards}");

    // The team overview lists exactly the team's scored people.
    let team = seen.ok("team");
    assert_eq!(team["status"], 200, "{team}");
    let on_page: std::collections::BTreeSet<String> = rows(seen.ok("sort-name")).into_iter().collect();
    assert_eq!(on_page, scores.by_person.keys().cloned().collect());

    // Sorting: every column, rows in that column's order, swapped in place.
    let mut directions = BTreeMap::new();
    for column in COLUMNS {
        let sorted = seen.ok(&format!("sort-{column}"));
        let direction = sorted_direction(&rows(sorted), &scores, column);
        directions.insert(column, direction);
        check_cells(sorted, &scores, column);
        assert_eq!(sorted["marker_survived"], true, "sorting by {column} reloaded the page: {sorted}");
        assert_eq!(sorted["full_loads"], 0, "sorting by {column} reloaded the page");
        assert!(
            sorted["url"].as_str().unwrap().contains(&format!("sort={column}")),
            "the URL keeps the sort: {sorted}"
        );
    }
    let last = COLUMNS[COLUMNS.len() - 1];
    let again = seen.ok("sort-again");
    let reversed = sorted_direction(&rows(again), &scores, last);
    assert_ne!(reversed, directions[last], "a second click on the sorted column reverses it: {again}");
    let nojs = seen.ok("nojs-sort-name");
    sorted_direction(&rows(nojs), &scores, "name");
    assert_eq!(nojs["full_loads"], 1, "without JavaScript, sorting loads the sorted page: {nojs}");

    // Agent detail, then the drilldown lists the events behind the score.
    let agent = seen.ok("open-agent");
    assert_eq!(agent["status"], 200, "{agent}");
    // The admin's history shows the secret as a badge (never its value: `audit.rs`), the audit log its rows.
    for (id, testids) in
        [("settings-history-page", ["settings-history", "secret"]), ("audit-page", ["audit-log", "audit-csv"])]
    {
        let page = seen.ok(id);
        assert_eq!(page["status"], 200, "{page}");
        for testid in testids {
            assert!(page["page"]["testids"].as_array().unwrap().contains(&json!(testid)), "{id}: {testid}: {page}");
        }
    }
    assert!(path_of(&agent["url"]).starts_with(&format!("/admin/performance/agents/{ADA}")), "{agent}");
    let drill = seen.ok("open-drilldown");
    assert_eq!(drill["status"], 200, "{drill}");
    let drill_path = path_of(&drill["url"]);
    assert!(drill_path.starts_with(&format!("/admin/performance/agents/{ADA}/events?")), "{drill}");
    let query: BTreeMap<String, String> = reqwest::Url::parse(drill["url"].as_str().unwrap())
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let api =
        app.client
            .get(app.url(&format!(
                "/api/v1/performance/scores/{ADA}/{}/{}/events?limit=500",
                query["week"], query["domain"]
            )))
            .bearer_auth(&manager)
            .send()
            .await
            .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    let api: Value = api.json().await.unwrap();
    let events = seen.ok("drilldown-events");
    let shown = events["found"]["rows"].as_array().unwrap().len();
    assert!(shown > 0, "the drilldown lists events: {events}");
    let total = api["total"].as_u64().unwrap();
    assert_eq!(shown as u64, total.min(50), "the drilldown's first page (50 a page) of the API's events");
    let paging = events["found"]["paging"][0].as_str().unwrap_or_default();
    assert!(paging.contains(&format!("of {total}.")), "the page counts every event the API counts: {paging}");
    assert_eq!(events["found"]["details"].as_array().unwrap().len(), shown, "each event's raw form behind a toggle");

    // The agent's goal, created through the form, is listed after the redirect.
    let created = seen.ok("goal-form");
    assert_eq!(created["status"], 200, "{created}");
    assert!(path_of(&created["url"]).starts_with("/agent/my-performance"), "{created}");
    let flash = &seen.ok("flash")["found"]["flash"];
    assert!(flash[0].as_str().unwrap_or("").contains(GOAL_LABEL), "a flash names the new goal: {flash}");
    let goals = seen.ok("goals");
    let listed = goals["texts"].as_array().unwrap();
    assert_eq!(
        listed.iter().filter(|g| g.as_str().unwrap().contains(GOAL_LABEL)).count(),
        1,
        "the new goal is listed once: {goals}"
    );
    // The review: requested by the manager, generated by the rules coach,
    // acknowledged once by the agent.
    let flash = seen.ok("generate-flash");
    assert!(flash["found"]["flash"].to_string().contains("Review requested"), "{flash}");
    let banner = seen.ok("review-banner");
    assert!(banner["texts"].to_string().contains("Read the review"), "the agent sees the new review: {banner}");
    let acknowledged = seen.ok("acknowledged");
    assert!(acknowledged["texts"].to_string().contains("Acknowledged"), "{acknowledged}");
    stop_reviews.send(()).unwrap();
    review_worker.await.unwrap().expect("the review worker ran without errors");

    stop_worker.send(()).unwrap();
    worker.await.unwrap().expect("the projection worker ran without errors");
    perfledger_scheduler::worker::run_once(&app.db.pool, 1000, chrono::Utc::now(), &mut |_, _| {}).await.unwrap();
    let (status, provider, acknowledged): (String, Option<String>, bool) = sqlx::query_as(
        "SELECT status, llm_provider, is_acknowledged FROM agent_performance_reviews WHERE person_id = $1::uuid",
    )
    .bind(ADA)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), provider.as_deref(), acknowledged), ("generated", Some("rules"), true));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM agent_performance_goals WHERE person_id = $1::uuid AND label = $2")
            .bind(ADA)
            .bind(GOAL_LABEL)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 1, "the goal is in the read model once");

    // Issue 16: the settings chain in the browser. The preview writes
    // nothing; publishing records one change and lands on its rescore,
    // which finishes; the team page then shows the API's new numbers.
    let draft = seen.ok("settings-draft");
    assert_eq!(draft["status"], 200, "{draft}");
    assert_eq!(draft["page"]["h1"], "Preview settings", "{draft}");
    let published = seen.ok("settings-publish");
    assert_eq!(published["status"], 200, "{published}");
    assert!(path_of(&published["url"]).starts_with("/admin/performance/settings/rescore/"), "{published}");
    let rescore = seen.ok("settings-rescore");
    assert!(rescore["texts"].to_string().contains("The new numbers are in place"), "the rescore finished: {rescore}");
    assert_eq!(seen.ok("settings-done")["found"]["team_link"].as_array().map(Vec::len), Some(1));
    let reasons: Vec<String> = sqlx::query_scalar("SELECT reason FROM settings_history WHERE reason IS NOT NULL")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(reasons, ["Support teams are judged on support first"], "exactly one change, with its reason");
    let after = Scores::fetch(&app, &manager).await;
    check_cells(seen.ok("settings-team-board"), &after, "composite");
    assert!(
        after.by_person.iter().any(|(id, v)| v["composite"] != scores.by_person[id]["composite"]),
        "the change moved some composite of Alpha (a support team)"
    );
    let refused = seen.ok("manager-settings");
    assert_eq!(refused["status"], 403, "a manager is refused the settings page: {refused}");
    assert!(refused["page"]["testids"].as_array().unwrap().contains(&json!("forbidden")), "{refused}");

    // 403 pages for people outside the team; the team's own lead gets in.
    for id in ["agent-team-page", "outsider-team", "outsider-agent", "beta-boss-alpha", "beta-boss-ada"] {
        let page = seen.ok(id);
        assert_eq!(page["status"], 403, "{id}: {page}");
        assert!(page["page"]["testids"].as_array().unwrap().contains(&json!("forbidden")), "{id}: {page}");
    }
    assert_eq!(seen.ok("beta-boss-beta")["status"], 200);

    // Demo mode lists the seeded people; a button signs in as one of them (with the CRM's grants).
    let demo = seen.ok("demo-list");
    assert_eq!(demo["status"], 200, "{demo}");
    let listed: std::collections::BTreeSet<&str> =
        seen.ok("demo-people")["found"]["people"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    let everyone: std::collections::BTreeSet<&str> =
        world::ALPHA_WORKERS.iter().map(|(id, _)| *id).chain([MANAGER, BETA_BOSS, OUTSIDER]).collect();
    assert_eq!(listed, everyone, "the demo page lists everyone seeded");
    let as_manager = seen.ok("demo-sign-in");
    assert_eq!(as_manager["status"], 200, "{as_manager}");
    assert!(path_of(&as_manager["url"]).starts_with("/admin/performance/team"), "{as_manager}");
    assert_eq!(as_manager["page"]["h1"], "Team Performance", "{as_manager}");
    assert!(path_of(&seen.ok("demo-sign-out")["url"]).starts_with("/auth/sign-in"));

    // The sign-in form and signing out.
    let refused = seen.ok("form-bad-token");
    assert!((400..500).contains(&refused["status"].as_u64().unwrap()), "{refused}");
    assert!(refused["page"]["testids"].as_array().unwrap().contains(&json!("sign-in-error")), "{refused}");
    let by_form = seen.ok("form-sign-in");
    assert_eq!(by_form["status"], 200, "{by_form}");
    assert!(path_of(&by_form["url"]).starts_with("/agent/my-performance"), "{by_form}");
    let out = seen.ok("sign-out");
    assert!(path_of(&out["url"]).starts_with("/auth/sign-in"), "signing out lands on the sign-in page: {out}");
    let after = seen.ok("signed-out");
    assert!(path_of(&after["url"]).starts_with("/auth/sign-in"), "the session ended: {after}");
    assert_eq!(seen.ok("lead-team")["status"], 200);

    // The theme toggle flips the theme, remembers it, and it survives a reload.
    let toggle = seen.ok("theme-toggle");
    assert_eq!(toggle["before"], "light", "{toggle}");
    assert_eq!(toggle["after"], "dark", "{toggle}");
    assert_eq!(toggle["stored"], "dark", "{toggle}");
    assert_eq!(toggle["after_reload"], "dark", "{toggle}");

    // Screenshots, layout and axe: both themes follow the system preference and differ;
    // no page scrolls sideways; on a phone the content starts right under the
    // header and navigation; no serious or critical axe violation.
    let mut defects: Vec<(String, String)> = Vec::new();
    let mut findings = Vec::new();
    for page in PAGES {
        let shot = seen.ok(page);
        for theme in ["light", "dark"] {
            assert_eq!(shot["themes"][theme]["data_theme"], theme, "{page}: {shot}");
        }
        assert_ne!(shot["themes"]["light"]["background"], shot["themes"]["dark"]["background"], "{page}: dark mode");
        let files = shot["files"].as_array().unwrap();
        assert_eq!(files.len(), 4);
        for file in files {
            let (width, theme) = (&file["width"], file["theme"].as_str().unwrap());
            let overflow = file["horizontal_overflow_px"].as_i64().unwrap();
            if overflow > 0 {
                defects.push((
                    format!("overflow-{width}:{page}"),
                    format!("{page} at {width} px ({theme}) scrolls sideways by {overflow} px"),
                ));
            }
            // Charts: text at 11 px or more once scaled, axis labels that do not overlap.
            if let Some(px) = file["min_chart_text_px"].as_f64() {
                if px < 11.0 {
                    defects.push((
                        format!("chart-text-{width}:{page}"),
                        format!("{page} at {width} px ({theme}): chart text renders at {px:.1} px"),
                    ));
                }
            }
            if file["label_overlaps"].as_array().is_some_and(|o| !o.is_empty()) {
                defects.push((
                    format!("chart-labels-{width}:{page}"),
                    format!("{page} at {width} px ({theme}): chart labels overlap: {}", file["label_overlaps"]),
                ));
            }
            // The leaderboard: whole at 1280 px (no sideways scroll of its own), cards at 375 px
            // with name, composite, change and actions (the domain columns left to the agent page).
            if let Some(board) = file["leaderboard"].as_object() {
                let width = width.as_u64().unwrap();
                if width == 1280 && board["overflow_px"].as_i64().unwrap() > 0 {
                    defects.push((
                        format!("leaderboard-scroll-1280:{page}"),
                        format!("{page} at 1280 px ({theme}): the leaderboard scrolls sideways: {board:?}"),
                    ));
                }
                let card = board["row_display"] == "flex"
                    && [&board["name"], &board["composite"], &board["change"], &board["actions"]]
                        .iter()
                        .all(|shown| **shown == json!(true))
                    && board["domain_columns"] == 0;
                if width == 375 && !card {
                    defects.push((
                        format!("leaderboard-cards-375:{page}"),
                        format!("{page} at 375 px ({theme}): leaderboard rows are not cards: {board:?}"),
                    ));
                }
            }
            let main_top = file["main_top_px"].as_i64().unwrap();
            if width == 375 && main_top > PHONE_MAIN_TOP_MAX_PX {
                defects.push((
                    format!("layout-375:{page}"),
                    format!("{page} at 375 px ({theme}): the content starts {main_top} px down, under an empty band"),
                ));
            }
        }
        for violation in shot["axe"].as_array().unwrap() {
            let target = violation["nodes"][0]["target"].as_str().unwrap_or("?");
            let line = format!(
                "{page} [{}] {} ({}): {} — {} node(s), e.g. {target}",
                violation["theme"].as_str().unwrap(),
                violation["id"].as_str().unwrap(),
                violation["impact"].as_str().unwrap_or("?"),
                violation["help"].as_str().unwrap(),
                violation["node_count"],
            );
            if matches!(violation["impact"].as_str(), Some("serious" | "critical")) {
                let summary = violation["nodes"][0]["summary"].as_str().unwrap_or("");
                defects.push((
                    format!("axe:{}:{target}", violation["id"].as_str().unwrap()),
                    format!("{line}\n    {summary}"),
                ));
            }
            findings.push(line);
        }
    }
    // The layout checks above had something to measure.
    for file in seen.ok("team-overview")["files"].as_array().unwrap() {
        assert!(file["leaderboard"].is_object(), "the team overview's leaderboard was measured: {file}");
        assert!(file["min_chart_text_px"].is_f64(), "the team overview's histogram was measured: {file}");
    }
    println!("axe findings ({}):\n{}", findings.len(), findings.join("\n"));
    let unexpected: Vec<&str> =
        defects.iter().filter(|(key, _)| !KNOWN_ISSUES.contains(&key.as_str())).map(|(_, m)| m.as_str()).collect();
    assert!(unexpected.is_empty(), "serious accessibility or layout defects:\n{}", unexpected.join("\n"));
    for known in KNOWN_ISSUES {
        let hits: Vec<&str> = defects.iter().filter(|(key, _)| key == known).map(|(_, m)| m.as_str()).collect();
        assert!(!hits.is_empty(), "known issue '{known}' no longer occurs: remove it from KNOWN_ISSUES");
        println!("KNOWN ISSUE (reported, not yet fixed) {known}:\n  {}", hits.join("\n  "));
    }
    println!("browser run: {} steps in {} ms", seen.order.len(), seen.millis);
}
