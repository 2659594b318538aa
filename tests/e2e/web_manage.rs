//! What managers do on the pages (issue 16, item 6): the leaderboard's CSV
//! export with the session cookie, a member's goals set from the agent page,
//! an admin's forced review and the limits explained in the flash, and the
//! team's unacknowledged reviews and flagged-review runs on the team page.

use chrono::NaiveDate;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

use crate::reviews_support::{self as rs, fake_server, run_jobs, set, this_monday, use_fake_server, Reply, Script};
use crate::support::access::{build_world, project, token, Role, ALPHA, BETA, MEMBER, OUTSIDER};
use crate::support::TestApp;

/// A client that does not follow redirects, so 303s are seen as such.
fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn session(token: &str) -> String {
    format!("perfledger_session={token}")
}

async fn get_page(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let response = client().get(app.url(path)).header(COOKIE, session(token)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// POSTs a form with the session (and its CSRF token unless `csrf` is false).
async fn post_form(app: &TestApp, token: &str, path: &str, fields: &[(&str, &str)], csrf: bool) -> reqwest::Response {
    let mut form: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if csrf {
        form.push(("csrf_token".into(), perfledger_api::web::session::csrf_token(token)));
    }
    client().post(app.url(path)).header(COOKIE, session(token)).form(&form).send().await.unwrap()
}

/// The flash a 303 carries, as the next page shows it.
async fn flash_after(app: &TestApp, token: &str, response: &reqwest::Response) -> String {
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("perfledger_flash="))
        .expect("a flash cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let location = response.headers()[LOCATION].to_str().unwrap().split('#').next().unwrap().to_string();
    let page = client()
        .get(app.url(&location))
        .header(COOKIE, format!("{}; {cookie}", session(token)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("data-testid=\"flash\"").expect("the page shows the flash");
    let text = &page[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    text[..text.find("</div>").unwrap()].replace("&#x201c;", "“").replace("&#x201d;", "”")
}

async fn count(app: &TestApp, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn goal_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'goal'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_takes_the_session_cookie_with_the_bearers_scope() {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    let manager = token(&app, Role::Manager);
    let path = "/api/v1/performance/leaderboard.csv?period=2026-W45&sort=name";
    let by_bearer = app.client.get(app.url(path)).bearer_auth(&manager).send().await.unwrap();
    assert_eq!(by_bearer.status(), 200);
    let by_bearer = by_bearer.text().await.unwrap();
    let by_cookie = client().get(app.url(path)).header(COOKIE, session(&manager)).send().await.unwrap();
    assert_eq!(by_cookie.status(), 200);
    assert!(by_cookie.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(by_cookie.headers()["cache-control"], "no-store");
    let by_cookie = by_cookie.text().await.unwrap();
    assert_eq!(by_cookie, by_bearer, "the same rows as the bearer sees");
    assert!(
        by_cookie.contains("member") && !by_cookie.contains("technician"),
        "the manager's people only: {by_cookie}"
    );

    // An outsider's cookie: the bearer's 403; no cookie, or an empty one: 401.
    let outsider = token(&app, Role::Outsider);
    let refused = client().get(app.url(path)).header(COOKIE, session(&outsider)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    for cookie in [None, Some("perfledger_session="), Some("other=1")] {
        let mut request = client().get(app.url(path));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{cookie:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("perfledger_session"), "{body}");
    }
    // A bearer is never overridden by a cookie: a bad bearer is a 401 even with a good cookie.
    let response =
        client().get(app.url(path)).bearer_auth("not-a-token").header(COOKIE, session(&manager)).send().await.unwrap();
    assert_eq!(response.status(), 401);

    // The team page's button carries the view's team, period and sort.
    let view = format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45&sort=name&order=asc");
    let (status, page) = get_page(&app, &manager, &view).await;
    assert_eq!(status, 200);
    let button = page.split("data-testid=\"export-csv\"").next().unwrap();
    let href =
        button.rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert_eq!(
        href,
        format!("/api/v1/performance/leaderboard.csv?team_id={ALPHA}&period=2026-W45&sort=name&order=asc")
    );
    let download = client().get(app.url(&href)).header(COOKIE, session(&manager)).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let csv = download.text().await.unwrap();
    let names: Vec<&str> = csv.lines().skip(1).filter_map(|l| l.split(',').nth(2)).collect();
    assert!(!names.is_empty(), "{csv}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name as the page is: {csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sets_edits_and_cancels_a_members_goal_from_the_agent_page() {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    let manager = token(&app, Role::Manager);
    let create = format!("/admin/performance/agents/{MEMBER}/goals");
    let fields = [
        ("metric", "support:sla_compliance_rate"),
        ("label", "Meet the SLA"),
        ("target", "90"),
        ("deadline", "2099-03-31"),
    ];

    // No CSRF token: refused, nothing written.
    let before = goal_events(&app).await;
    let response = post_form(&app, &manager, &create, &fields, false).await;
    assert_eq!(response.status(), 403);
    assert_eq!(goal_events(&app).await, before);

    // A bad target: the agent page again, the reason beside the field, the input kept, nothing written.
    let bad = [
        ("metric", "support:sla_compliance_rate"),
        ("label", "Meet the SLA"),
        ("target", "92.5"),
        ("deadline", "2099-03-31"),
    ];
    let response = post_form(&app, &manager, &create, &bad, true).await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains("data-field=\"target\""), "{page}");
    assert!(page.contains("Give a whole percentage from 0 to 100"), "{page}");
    assert!(page.contains("value=\"Meet the SLA\"") && page.contains("value=\"92.5\""), "the input is kept");
    assert!(page.contains(&format!("action=\"/admin/performance/agents/{MEMBER}/goals#new-goal\"")), "{page}");
    assert_eq!(goal_events(&app).await, before, "nothing written");

    // Created for the member, by the manager: back to the agent page.
    let response = post_form(&app, &manager, &create, &fields, true).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], format!("/admin/performance/agents/{MEMBER}#goals"));
    assert!(flash_after(&app, &manager, &response).await.contains("Goal “Meet the SLA” created"));
    let (person, created_by, target): (String, String, String) = sqlx::query_as(
        "SELECT payload->'body'->'data'->>'person_id', payload->'body'->'data'->>'created_by_person_id',
                payload->'body'->'data'->>'target_value'
           FROM events WHERE event_type = 'goal.created' ORDER BY global_position DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((person.as_str(), created_by.as_str()), (MEMBER, crate::support::access::MANAGER));
    assert_eq!(target.parse::<f64>().unwrap(), 0.9, "90 % is stored as a rate");
    project(&app).await;
    let (_, page) = get_page(&app, &manager, &format!("/admin/performance/agents/{MEMBER}?period=2026-W45")).await;
    let goal_id = page
        .split("data-testid=\"goal\" data-goal-id=\"")
        .skip(1)
        .find(|g| g.contains("Meet the SLA"))
        .expect("the goal is listed on the agent page")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let update = format!("/admin/performance/agents/{MEMBER}/goals/{goal_id}");
    assert!(page.contains(&format!("action=\"{update}\"")), "the edit form posts to the agent page's route");

    // Edited, then canceled, through the forms.
    let response =
        post_form(&app, &manager, &update, &[("label", "Meet the SLA every week"), ("target_value", "95")], true).await;
    assert_eq!(response.status(), 303);
    assert!(flash_after(&app, &manager, &response).await.contains("updated"));
    assert_eq!(count(&app, "goal.updated").await, 1);
    let response = post_form(&app, &manager, &update, &[("status", "canceled")], true).await;
    assert_eq!(response.status(), 303);
    assert!(flash_after(&app, &manager, &response).await.contains("canceled"));
    assert_eq!(count(&app, "goal.canceled").await, 1);

    // Not for an outsider's member, not another person's goal through this page, not by an agent.
    let before = goal_events(&app).await;
    let response =
        post_form(&app, &manager, &format!("/admin/performance/agents/{OUTSIDER}/goals"), &fields, true).await;
    assert_eq!(response.status(), 403);
    let response = post_form(
        &app,
        &manager,
        &format!("/admin/performance/agents/{}/goals/{goal_id}", crate::support::access::LEAD),
        &[("label", "x")],
        true,
    )
    .await;
    assert_eq!(response.status(), 403, "the goal is not the lead's");
    let member = token(&app, Role::Member);
    let response = post_form(&app, &member, &create, &fields, true).await;
    assert_eq!(response.status(), 403, "agents have no manager routes");
    let response = post_form(&app, &member, &update, &[("label", "mine now")], true).await;
    assert_eq!(response.status(), 403);
    assert_eq!(goal_events(&app).await, before, "no refusal wrote anything");
}

/// Posts the agent page's "Generate review" form for W45.
async fn generate(app: &TestApp, as_person: &str, person: &str, force: bool) -> reqwest::Response {
    let mut fields = vec![("period", "2026-W45")];
    if force {
        fields.push(("force", "1"));
    }
    post_form(
        app,
        &rs::token(app, as_person),
        &format!("/admin/performance/agents/{person}/generate-review"),
        &fields,
        true,
    )
    .await
}

fn manager_token(app: &TestApp) -> String {
    app.signer.token(rs::MANAGER, &[], &[], 600)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_force_reviews_and_refusals_say_which_rule_and_when() {
    let app = rs::world(&["Reset the router."]).await;
    let script = Script::new(vec![Reply::Status(500, None), Reply::Status(500, None), Reply::Valid, Reply::Valid]);
    let server = fake_server(&script).await;
    use_fake_server(&app, &server, json!({"vllm_max_retries": 1, "review_cooldown_hours": 24})).await;
    let manager = manager_token(&app);
    let admin = rs::token(&app, rs::ADMIN);
    // The force option is the admin's only.
    let agent_page = format!("/admin/performance/agents/{}?period=2026-W45", rs::AGENT_A);
    let (_, page) = get_page(&app, &manager, &agent_page).await;
    assert!(page.contains("data-testid=\"generate-review\"") && !page.contains("data-testid=\"force-review\""));
    let (_, page) = get_page(&app, &admin, &agent_page).await;
    assert!(page.contains("data-testid=\"force-review\""), "{page}");

    // A manager's request, then the same again: the review exists, one per person and week.
    let post = |force: bool| {
        let app = &app;
        async move {
            let response = post_form(
                app,
                &manager_token(app),
                &format!("/admin/performance/agents/{}/generate-review", rs::AGENT_A),
                &if force { vec![("period", "2026-W45"), ("force", "1")] } else { vec![("period", "2026-W45")] },
                true,
            )
            .await;
            assert_eq!(response.status(), 303);
            flash_after(app, &manager_token(app), &response).await
        }
    };
    assert!(post(false).await.contains("Review requested"));
    let again = post(false).await;
    assert!(again.contains("already exists (pending)") && again.contains("week 2026-W45"), "{again}");
    assert!(again.contains("An admin can force a new review"), "{again}");
    assert_eq!(count(&app, "review.requested").await, 1);

    // It fails; a new request waits for the cooldown, and the flash says the rule, its value and when.
    run_jobs(&app).await;
    let cooldown = post(false).await;
    assert!(cooldown.contains("No review was requested"), "{cooldown}");
    assert!(cooldown.contains("cooldown") && cooldown.contains("24 hours"), "{cooldown}");
    assert!(cooldown.contains("a new request is possible from"), "{cooldown}");
    assert_eq!(count(&app, "review.requested").await, 1);

    // A manager's forged force: the API's refusal (403), nothing written.
    let forged = generate(&app, rs::MANAGER, rs::AGENT_A, true).await;
    assert_eq!(forged.status(), 403, "only admins may force");
    assert_eq!(count(&app, "review.requested").await, 1);

    // The admin forces: a review.requested with force.
    let forced = post_form(
        &app,
        &admin,
        &format!("/admin/performance/agents/{}/generate-review", rs::AGENT_A),
        &[("period", "2026-W45"), ("force", "1")],
        true,
    )
    .await;
    assert_eq!(forced.status(), 303);
    assert!(flash_after(&app, &admin, &forced).await.contains("Review requested"));
    let force: Vec<Option<bool>> = sqlx::query_scalar(
        "SELECT (payload->'body'->'data'->>'force')::boolean FROM events
          WHERE event_type = 'review.requested' ORDER BY global_position",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(force, [Some(false), Some(true)]);

    // The daily limit per manager: the rule, its value and when it resets.
    set(&app, json!({"review_manual_daily_limit_per_manager": 1}), this_monday()).await;
    let response = generate(&app, rs::MANAGER, rs::AGENT_B, false).await;
    assert_eq!(response.status(), 303);
    let limited = flash_after(&app, &manager, &response).await;
    assert!(limited.contains("daily limit per manager is 1"), "{limited}");
    assert!(limited.contains("New requests are possible from"), "{limited}");
    assert_eq!(count(&app, "review.requested").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_page_lists_its_unacknowledged_reviews_and_the_flagged_runs() {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    // MEMBER (Alpha) and TECHNICIAN (Beta) are flagged in W45; reviews by a
    // fake provider that reports its tokens, priced in EUR.
    let w45 = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    // The page prices a period at the settings in force at its start, as the team summary does.
    set(
        &app,
        json!({"flagged_threshold": 100, "max_reviews_per_run": 5, "cost_per_1k_tokens_in": 2,
               "cost_per_1k_tokens_out": 4, "cost_currency": "EUR"}),
        w45,
    )
    .await;
    let script = Script::new(vec![Reply::Valid, Reply::Valid]);
    let server = fake_server(&script).await;
    use_fake_server(&app, &server, json!({})).await;
    project(&app).await;
    let pool = &app.db.pool;
    sqlx::query("INSERT INTO scheduler_checkpoints (name, value) VALUES ($1, '2026-11-02T00:00:00Z')")
        .bind(perfledger_reviews::flagged::CHECKPOINT)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE scheduler_checkpoints SET value = '2026-11-09T00:00:00Z' WHERE name = $1")
        .bind(perfledger_scheduler::close::CHECKPOINT)
        .execute(pool)
        .await
        .unwrap();
    let run = perfledger_reviews::flagged::run_flagged(pool, chrono::Utc::now(), &Default::default()).await.unwrap();
    assert_eq!((run.requested, run.carried_over), (2, 0), "{run:?}");
    let report = run_jobs(&app).await;
    assert_eq!(report.generated, 2, "{report:?}");

    // Alpha's page: MEMBER's review waits to be read; the run with Alpha's counts and cost.
    let manager = token(&app, Role::Manager);
    let alpha = format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45");
    let (status, page) = get_page(&app, &manager, &alpha).await;
    assert_eq!(status, 200);
    let section = |page: &str, testid: &str| {
        page.split(&format!("data-testid=\"{testid}\"")).nth(1).unwrap().split("</section>").next().unwrap().to_string()
    };
    let pending = section(&page, "unacknowledged-reviews");
    assert_eq!(pending.matches("data-testid=\"pending-review\"").count(), 1, "{pending}");
    assert!(pending.contains(">member<"), "{pending}");
    assert!(!pending.contains("technician"), "not another team's review: {pending}");
    let runs = section(&page, "flagged-runs");
    assert_eq!(runs.matches("data-testid=\"flagged-run\"").count(), 1, "{runs}");
    let cell = |name: &str| {
        runs.split(&format!("data-testid=\"{name}\">")).nth(1).unwrap().split('<').next().unwrap().to_string()
    };
    assert_eq!(cell("run-requested"), "1", "Alpha's one flagged person");
    assert_eq!(cell("run-failed"), "0");
    assert_eq!(cell("run-carried-over"), "0");
    // 321 tokens in at 2 per 1,000 and 123 out at 4 per 1,000: 0.642 + 0.492 = 1.13.
    assert_eq!(cell("run-cost"), "1.13 EUR");

    // Beta (an admin): TECHNICIAN's review only. Once MEMBER acknowledges, Alpha's list is empty.
    let admin = token(&app, Role::Admin);
    let (_, beta) = get_page(&app, &admin, &format!("/admin/performance/team?team_id={BETA}&period=2026-W45")).await;
    let pending = section(&beta, "unacknowledged-reviews");
    assert!(pending.contains(">technician<") && !pending.contains(">member<"), "{pending}");
    let review_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM agent_performance_reviews WHERE person_id = $1")
        .bind(uuid::Uuid::parse_str(MEMBER).unwrap())
        .fetch_one(pool)
        .await
        .unwrap();
    let ack = app
        .client
        .post(app.url(&format!("/api/v1/performance/reviews/{review_id}/acknowledge")))
        .bearer_auth(token(&app, Role::Member))
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), 200);
    project(&app).await;
    let (_, page) = get_page(&app, &manager, &alpha).await;
    let pending = section(&page, "unacknowledged-reviews");
    assert_eq!(pending.matches("data-testid=\"pending-review\"").count(), 0, "{pending}");
    // Outside the runs' weeks: no run listed.
    let (_, w44) = get_page(&app, &manager, &format!("/admin/performance/team?team_id={ALPHA}&period=2026-W44")).await;
    assert!(!w44.contains("data-testid=\"flagged-run\""));
}
