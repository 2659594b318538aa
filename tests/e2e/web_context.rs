//! What the pages say around a score (issue 15, items 8, 11–13), read from
//! the HTML the server sends: the flag threshold, the change against the
//! previous week (the delta of the API's own numbers), the volume behind a
//! score and its low-volume marker, the week in progress, the events behind
//! a score in words (misses, a metric filter, paging, the raw event behind a
//! toggle, links for ranges too) and the goal form that keeps what was
//! typed and answers beside the field.

use chrono::Datelike;
use perfledger_domain::parse_envelope;
use perfledger_store::Ingestor;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::access::{build_world, project, token, Role, ALPHA, MEMBER};
use crate::support::{envelope, TestApp};

/// Tickets MEMBER resolves in week 2026-W44 (the world gives three in W45):
/// enough events to page, every fifth one resolved after its SLA.
const W44_TICKETS: usize = 30;

async fn world() -> TestApp {
    let app = TestApp::spawn().await;
    build_world(&app).await;
    let mut items = Vec::new();
    for n in 0..W44_TICKETS {
        let id = format!("W44-{n}");
        let hour = 9 + n / 4;
        let minute = (n % 4) * 10;
        let at = |m: usize| format!("2026-11-01T{hour:02}:{:02}:00Z", minute + m);
        let due = if n % 5 == 0 { at(1) } else { format!("2026-11-01T{:02}:00:00Z", hour + 2) };
        items.push(envelope(
            &format!("{id}-o"),
            "ticket.opened",
            &at(0),
            json!({"ticket_id": id, "reference": format!("#{}", 4400 + n), "sla_due_at": due}),
        ));
        items.push(envelope(
            &format!("{id}-a"),
            "ticket.assigned",
            &at(2),
            json!({"ticket_id": id, "person_id": MEMBER}),
        ));
        items.push(envelope(&format!("{id}-r"), "ticket.resolved", &at(5), json!({"ticket_id": id})));
    }
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(app.db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    project(&app).await;
    app
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn page(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let response =
        client().get(app.url(path)).header(COOKIE, format!("perfledger_session={token}")).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The API's composite of MEMBER in `period`.
async fn composite(app: &TestApp, token: &str, period: &str) -> f64 {
    let url = app.url(&format!("/api/v1/performance/leaderboard?team_id={ALPHA}&period={period}&limit=500"));
    let body: Value = app.client.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    let row = body["items"].as_array().unwrap().iter().find(|r| r["person_id"] == MEMBER).expect("MEMBER is scored");
    row["composite"].as_f64().unwrap()
}

/// The text of the first element carrying `data-testid="{testid}"` after `from`, tags stripped.
fn testid_text(html: &str, from: &str, testid: &str) -> String {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from}"));
    let rest = &html[start..];
    let at = rest.find(&format!("data-testid=\"{testid}\"")).unwrap_or_else(|| panic!("no {testid} after {from}"));
    let body = &rest[at..];
    let open_end = body.find('>').unwrap() + 1;
    let mut depth = 1;
    let mut text = String::new();
    let mut i = open_end;
    let bytes = body.as_bytes();
    while i < body.len() && depth > 0 {
        if bytes[i] == b'<' {
            let close = body[i..].find('>').unwrap() + i;
            let tag = &body[i + 1..close];
            if tag.starts_with('/') {
                depth -= 1;
            } else if !tag.ends_with('/') {
                depth += 1;
            }
            i = close + 1;
        } else {
            let next = body[i..].find('<').map(|n| n + i).unwrap_or(body.len());
            text.push_str(&body[i..next]);
            i = next;
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_come_with_threshold_change_volume_and_progress() {
    let app = world().await;
    let manager = token(&app, Role::Manager);
    let (now, before) = (composite(&app, &manager, "2026-W45").await, composite(&app, &manager, "2026-W44").await);
    let tenths = (now * 10.0).round() as i64 - (before * 10.0).round() as i64;
    let arrow = match tenths.signum() {
        1 => "↑",
        -1 => "↓",
        _ => "=",
    };
    let expected = format!("{arrow} {}.{}", tenths.abs() / 10, tenths.abs() % 10);

    let (status, team) =
        page(&app, &manager, &format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45")).await;
    assert_eq!(status, 200);
    assert!(testid_text(&team, "<main", "threshold").contains("below 70"), "the threshold is on the team page");
    let row = format!("data-person-id=\"{MEMBER}\"");
    let change = testid_text(&team, &row, "change");
    assert!(change.starts_with(&expected), "{change} is the change of {before} → {now}");
    assert!(change.contains("against last week"), "{change}");
    // Three tickets in W45: below the rule, marked, and the rule said on the page.
    assert_eq!(testid_text(&team, &row, "volume"), "3 tickets low volume");
    assert!(team.contains("Low volume: fewer than 5 items behind the score"), "the rule is on the page");
    // W44's thirty tickets are not low volume.
    let (_, w44) = page(&app, &manager, &format!("/admin/performance/team?team_id={ALPHA}&period=2026-W44")).await;
    assert_eq!(testid_text(&w44, &row, "volume"), format!("{W44_TICKETS} tickets"));
    assert!(!w44.contains("data-testid=\"in-progress\""), "a finished week is not partial");

    let (_, agent) = page(&app, &manager, &format!("/admin/performance/agents/{MEMBER}?period=2026-W45")).await;
    assert!(testid_text(&agent, "<main", "threshold").contains("below 70"));
    assert!(testid_text(&agent, "<main", "change").starts_with(&expected), "the composite's change");
    let support = testid_text(&agent, "data-domain=\"support\"", "volume");
    assert_eq!(support, "3 tickets resolved low volume");
    assert!(agent.contains("data-domain=\"support\""), "{agent}");

    // The week in progress says so, with the days elapsed, on both pages.
    let day = chrono::Utc::now().date_naive().weekday().number_from_monday();
    let note = format!("Week in progress: day {day} of 7");
    let today = chrono::Utc::now().date_naive();
    let sunday = today.week(chrono::Weekday::Mon).first_day() + chrono::Days::new(6);
    let first = chrono::NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
    let range_note =
        format!("Period in progress: day {} of {}", (today - first).num_days() + 1, (sunday - first).num_days() + 1);
    for (path, expected) in [
        (format!("/admin/performance/team?team_id={ALPHA}&period=this_week"), &note),
        (format!("/admin/performance/agents/{MEMBER}?period=this_week"), &note),
        // The events of a range that holds today (W44 has a score row, so the page answers).
        (format!("/admin/performance/agents/{MEMBER}/events?from={first}&to={sunday}&domain=support"), &range_note),
    ] {
        let (_, html) = page(&app, &manager, &path).await;
        let shown = testid_text(&html, "<main", "in-progress");
        assert!(shown.starts_with(expected.as_str()), "{path}: {shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_behind_a_score_are_told_in_words_filtered_and_paged() {
    let app = world().await;
    let manager = token(&app, Role::Manager);
    let base = format!("/admin/performance/agents/{MEMBER}/events?week=2026-W44&domain=support");
    let (status, first) = page(&app, &manager, &base).await;
    assert_eq!(status, 200, "{first}");
    // Assigned and resolved per ticket (opened had no assignee): 60 events, 50 a page.
    let rows = |html: &str| html.matches("data-position=\"").count();
    assert_eq!(rows(&first), 50);
    assert!(first.contains("Showing 1–50 of 60."), "{first}");
    assert_eq!(first.matches("data-testid=\"event-details\"").count(), 50, "the raw event behind a toggle per row");
    assert!(first.contains("<details class=\"raw\""));
    assert!(first.contains("Resolved the ticket in 5 min, within its SLA"), "{first}");
    assert!(first.contains("Ticket #4401"), "the reference people read, also on the assignment");
    assert!(first.contains("SLA compliance<"), "which metric it fed");
    // Every fifth ticket was resolved after its SLA: a highlighted miss.
    assert!(first.contains("<span class=\"badge bad\">SLA breach</span>"));
    assert!(testid_text(&first, "<main", "miss-count").starts_with("6 counted against the score"));
    let next = first.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let next = next.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(next.ends_with("&offset=50"), "{next}");
    let (_, second) = page(&app, &manager, &next).await;
    assert_eq!(rows(&second), 10);
    assert!(second.contains("rel=\"prev\""));

    // The metric filter: only the events that feed it, the choice kept.
    let (_, sla) = page(&app, &manager, &format!("{base}&metric=sla_compliance_rate")).await;
    assert_eq!(rows(&sla), W44_TICKETS);
    assert!(sla.contains("<option value=\"sla_compliance_rate\" selected>SLA compliance</option>"), "{sla}");
    let (_, csat) = page(&app, &manager, &format!("{base}&metric=csat_avg_rating")).await;
    assert_eq!(rows(&csat), 0);
    let (status, bad) = page(&app, &manager, &format!("{base}&metric=vibes")).await;
    assert_eq!(status, 400);
    assert!(bad.contains("Metric: &#39;vibes&#39; is not a metric"), "in words, by its label: {bad}");

    // A range has links too, and its events are the weeks' events within it.
    let (_, custom) = page(
        &app,
        &manager,
        &format!("/admin/performance/agents/{MEMBER}?period=custom&from=2026-10-26&to=2026-11-08"),
    )
    .await;
    let link = custom.split("data-testid=\"drilldown\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let link = link.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(link.contains("from=2026-10-26&to=2026-11-08"), "{link}");
    let (status, range) = page(&app, &manager, &link).await;
    assert_eq!(status, 200, "{range}");
    assert!(range.contains("of 66."), "60 events in W44 and 6 in W45");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_goal_form_keeps_the_input_and_answers_beside_the_field() {
    let app = world().await;
    let member = token(&app, Role::Member);
    let (_, mine) = page(&app, &member, "/agent/my-performance?period=2026-W45").await;
    // The catalog: one group per domain, the unit and the current value with each metric.
    assert!(mine.contains("<optgroup label=\"Support\">"));
    assert!(mine.contains("SLA compliance — higher is better, now"), "{mine}");
    assert!(mine.contains("Ticket resolution time — lower is better"), "{mine}");

    let post = |fields: Vec<(&'static str, &'static str)>| {
        let token = member.clone();
        let url = app.url("/agent/my-performance/goals");
        async move {
            let mut form: Vec<(&str, String)> = fields.into_iter().map(|(k, v)| (k, v.to_string())).collect();
            form.push(("csrf_token", perfledger_api::web::session::csrf_token(&token)));
            client().post(url).header(COOKIE, format!("perfledger_session={token}")).form(&form).send().await.unwrap()
        }
    };
    let refused = post(vec![
        ("metric", "support:sla_compliance_rate"),
        ("label", "Meet the SLA"),
        ("target", "92.5"),
        ("deadline", "2099-01-01"),
    ])
    .await;
    assert_eq!(refused.status(), 400);
    let html = refused.text().await.unwrap();
    assert!(html.contains("data-testid=\"goal-form-error\""), "{html}");
    assert_eq!(
        testid_text(&html, "id=\"goal-target\"", "field-error"),
        "Give a whole percentage from 0 to 100, like 90."
    );
    assert!(html.contains("id=\"goal-target\" name=\"target\" inputmode=\"decimal\" required value=\"92.5\""), "kept");
    assert!(html.contains("value=\"Meet the SLA\""), "the name is kept");
    assert!(html.contains("value=\"2099-01-01\""), "the deadline is kept");
    assert!(html.contains("value=\"support:sla_compliance_rate\" data-unit=\"% (0–100)\""), "{html}");
    assert!(html.contains("% (0–100)</span>"), "the unit beside the target");
    let selected = html.split("value=\"support:sla_compliance_rate\"").nth(1).unwrap().split('>').next().unwrap();
    assert!(selected.contains(" selected"), "the metric stays chosen: {selected}");
    let form = html.split("data-testid=\"goal-form\"").nth(1).unwrap().split("</form>").next().unwrap();
    assert!(!form.contains("metric_key") && !form.contains("target_value"), "no internal names: {form}");

    // A deadline in the past: the aggregate's refusal, in words, beside the deadline.
    let past = post(vec![("metric", "composite"), ("label", "Up"), ("target", "75"), ("deadline", "2020-01-01")]).await;
    assert_eq!(past.status(), 400);
    let html = past.text().await.unwrap();
    assert!(testid_text(&html, "id=\"goal-deadline\"", "field-error")
        .starts_with("The deadline: 2020-01-01 is in the past"));

    // 90 % is stored as 0.9, the direction comes with the metric.
    let created = post(vec![
        ("metric", "support:sla_compliance_rate"),
        ("label", "Meet the SLA"),
        ("target", "90"),
        ("deadline", "2099-01-01"),
    ])
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(created.headers()[LOCATION], "/agent/my-performance#goals");
    project(&app).await;
    let goals: Value = app
        .client
        .get(app.url("/api/v1/performance/goals"))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let goal = goals["items"]
        .as_array()
        .or_else(|| goals.as_array())
        .unwrap()
        .iter()
        .find(|g| g["label"] == "Meet the SLA")
        .unwrap_or_else(|| panic!("{goals}"))
        .clone();
    assert_eq!((goal["target_value"].as_f64(), goal["comparison"].as_str()), (Some(0.9), Some("gte")), "{goal}");
    let (_, mine) = page(&app, &member, "/agent/my-performance").await;
    assert!(mine.contains("target at least 90 %"), "the list shows the unit");
}
