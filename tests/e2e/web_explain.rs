//! Numbers people can trust (issue 15, items 3, 5, 6, 7): on the pages and
//! in the API, a flagged score is never shown at its threshold, values carry
//! their units, each metric states its rule, and advice comes from the
//! formula (never "bring it down to" a team figure the person already beats).
//!
//! The world is `support::access`'s; MEMBER's stored week 2026-W45 is then
//! set to the cases of the issue straight in the read model: a composite of
//! 69.95 flagged at 70, and a resolution time of 42.15 min against a team
//! average of 53.77 min (6.48 of 30 points under formula_version 1). The
//! review cost's currency is set to NGN.

use serde_json::Value;

use crate::support::access::{build_world, project, token, Role, ALPHA, MEMBER};
use crate::support::{run_perfledger, TestApp};

async fn world() -> TestApp {
    let app = TestApp::spawn().await;
    let set = run_perfledger(
        &app.db,
        &["settings", "set", "cost_currency", "\"NGN\"", "--effective-from", "2026-10-05", "--actor", "test"],
    );
    assert!(set.status.success(), "settings set: {}", String::from_utf8_lossy(&set.stderr));
    build_world(&app).await;
    let updated = sqlx::query(
        "UPDATE agent_performance_snapshots SET composite_score = 69.95, is_flagged = true
          WHERE person_id = $1::uuid AND score_period_start = '2026-11-02T00:00:00Z'",
    )
    .bind(MEMBER)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 1, "MEMBER is scored in 2026-W45");
    let updated = sqlx::query(
        "UPDATE agent_performance_scores
            SET metrics_json = jsonb_set(metrics_json, '{avg_resolution_minutes}',
                '{\"raw_value\": 42.15, \"team_baseline\": 53.77, \"points\": 6.48, \"max\": 30.0,
                  \"numerator\": 126.45, \"denominator\": 3.0}')
          WHERE person_id = $1::uuid AND score_period_start = '2026-11-02T00:00:00Z' AND domain = 'support'",
    )
    .bind(MEMBER)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 1, "MEMBER has a support score in 2026-W45");
    app
}

async fn page(app: &TestApp, token: &str, path: &str) -> String {
    let response =
        app.client.get(app.url(path)).header("cookie", format!("perfledger_session={token}")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The text of the element after `marker` up to its closing tag.
fn text_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker} missing from {html}"));
    let rest = &html[at + marker.len()..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    &rest[start..start + end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flagged_score_is_never_displayed_at_its_threshold() {
    let app = world().await;
    let manager = token(&app, Role::Manager);
    let agent = page(&app, &manager, &format!("/admin/performance/agents/{MEMBER}?period=2026-W45")).await;
    assert_eq!(text_after(&agent, "data-testid=\"composite\""), "69.9");
    assert!(agent.contains("data-testid=\"composite-flag\""), "the flag is beside the composite");
    assert!(agent.contains("a composite below <strong>70</strong> is flagged"), "the threshold is stated");
    // A manager's way back: the team the person was scored under, in the same period.
    let back = agent.split("data-testid=\"back-to-team\"").next().and_then(|h| h.rsplit("href=\"").next()).unwrap();
    assert!(back.starts_with(&format!("/admin/performance/team?team_id={ALPHA}&")), "{back}");
    assert!(back.contains("2026-W45"), "the link keeps the period: {back}");

    let team = page(&app, &manager, &format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45")).await;
    let row = team.split(&format!("data-person-id=\"{MEMBER}\"")).nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("needs coaching"), "{row}");
    assert!(row.contains(">69.9<") && !row.contains(">70.0<"), "{row}");
    // The review cost carries its currency (cost_currency).
    assert!(team.contains("estimated cost 0.00 NGN"), "{team}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_metric_shows_its_unit_its_rule_and_advice_from_the_formula() {
    let app = world().await;
    let member = token(&app, Role::Member);
    // A goal on a rate: its target reads in percent.
    let response = app
        .client
        .post(app.url("/api/v1/performance/goals"))
        .bearer_auth(&member)
        .json(&serde_json::json!({"domain": "support", "metric_key": "sla_compliance_rate", "label": "SLA",
                                  "target_value": 0.9, "comparison": "gte", "deadline": "2099-06-30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    project(&app).await;
    let mine = page(&app, &member, "/agent/my-performance?period=2026-W45").await;
    assert!(mine.contains("Support · SLA compliance · target at least 90 %"), "{mine}");
    assert!(!mine.contains("back-to-team"), "My Performance has no team link: {mine}");
    // Values in their units: minutes, percentages; the team figure beside them.
    assert!(mine.contains(">42.2 min<") && mine.contains(">53.8 min<"), "{mine}");
    assert!(mine.contains(" %<"), "a rate is a percentage: {mine}");
    assert!(mine.contains("Ticket resolution time") && mine.contains("SLA compliance"));
    // The rule beside the points, and the step the formula rewards.
    assert!(mine.contains(
        "Lower is better: 30 points at 0 min, none at or above the team average of 53.8 min, in proportion between."
    ));
    assert!(mine.contains("10 min faster (32.2 min on average) would add 5.6 of 30 points."), "{mine}");
    // Never a target the agent already beats.
    assert!(!mine.contains("bring it down") && !mine.contains("53.77 or lower"));
    // The composite says how it weighs the domains.
    assert!(
        text_after(&mine, "data-testid=\"composite-weights\"").contains("Support 75 % · Data quality 25 %"),
        "{mine}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scores_api_carries_each_metrics_rule_and_unit() {
    let app = world().await;
    let member = token(&app, Role::Member);
    let response = app
        .client
        .get(app.url("/api/v1/performance/scores?period=2026-W45"))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let rule = &body["metric_rules"]["support"]["avg_resolution_minutes"];
    assert_eq!(rule["unit"], "minutes");
    assert_eq!(rule["better"], "lower");
    assert_eq!(rule["compared_with"], "team_average");
    assert_eq!(rule["max_points"], 30);
    assert_eq!(body["metric_rules"]["support"]["sla_compliance_rate"]["unit"], "percent");
    // The stored metrics pass through as they were written.
    let support = body["items"][0]["scores"].as_array().unwrap().iter().find(|s| s["domain"] == "support").unwrap();
    assert_eq!(support["metrics"]["avg_resolution_minutes"]["raw_value"], 42.15);
}
