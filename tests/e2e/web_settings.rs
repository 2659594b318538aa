//! The settings pages (issue 16): refusals beside their fields with the
//! input kept and nothing written, the preview (movers, flagged before and
//! after; nothing written), publishing (exactly one `settings.changed` with
//! the signed-in admin, the reason and the date), the rescore's progress
//! until the worker has run, the new numbers on the team page, the
//! threshold helper against the stored composites, the API key never shown,
//! and CSRF. Who may open them is in `web_access`.

use chrono::{Days, NaiveDate, Utc};
use perfledger_domain::period::week_start;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::StatusCode;
use rust_decimal::Decimal;

use crate::support::access::{build_world, project, token, Role, ADMIN, ALPHA, MEMBER};
use crate::support::TestApp;

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

struct Admin {
    app: TestApp,
    token: String,
}

impl Admin {
    async fn world() -> Admin {
        let app = TestApp::spawn().await;
        build_world(&app).await;
        let token = token(&app, Role::Admin);
        Admin { app, token }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = client()
            .get(self.app.url(path))
            .header(COOKIE, format!("perfledger_session={}", self.token))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// POSTs `fields` with this session's CSRF token (or none).
    async fn post(&self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> reqwest::Response {
        let mut form: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if with_csrf {
            form.push(("csrf_token".into(), perfledger_api::web::session::csrf_token(&self.token)));
        }
        client()
            .post(self.app.url(path))
            .header(COOKIE, format!("perfledger_session={}", self.token))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn events(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&self.app.db.pool).await.unwrap()
    }
}

/// Enough full weeks back to reach 2026-W45 (the world's scored week).
fn weeks_back_to_w45() -> String {
    let w45 = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let weeks = (week_start(Utc::now()) - w45).num_days() / 7;
    weeks.clamp(1, 104).to_string()
}

/// MEMBER's row of a team page's leaderboard.
fn member_row(team: &str) -> &str {
    let start = team.find(&format!("data-person-id=\"{MEMBER}\"")).expect("MEMBER's row");
    &team[start..start + team[start..].find("</tr>").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_shows_each_refusal_beside_its_field_keeps_the_input_and_writes_nothing() {
    let a = Admin::world().await;
    let before = a.events().await;
    let response = a
        .post(
            "/admin/performance/settings/preview",
            &[
                ("form", "scores"),
                ("domain_weights_support.support", "-5"),
                ("domain_weights_support.sales", "10"),
                ("domain_weights.support", "0"),
                ("domain_weights.operations", "0"),
                ("flagged_threshold", "150"),
                ("effective_from", "2026-11-02"),
                ("reason", ""),
                ("weeks", "2"),
            ],
            true,
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    for field in ["domain_weights_support", "domain_weights", "flagged_threshold", "reason"] {
        assert!(page.contains(&format!("data-testid=\"error-{field}\"")), "no refusal beside {field}");
    }
    assert!(page.contains("expected an integer from 0 to 100"), "the threshold's rule is said");
    // The input is kept.
    assert!(page.contains("name=\"domain_weights_support.support\" id=\"domain_weights_support.support\" value=\"-5\""));
    assert!(page.contains("id=\"flagged_threshold\" name=\"flagged_threshold\" value=\"150\""));
    assert!(page.contains("data-testid=\"form-errors\""));

    // A date beyond what the settings allow, with good values: refused by the aggregate's rule.
    let too_late = (Utc::now().date_naive() + Days::new(400)).to_string();
    let response = a
        .post(
            "/admin/performance/settings/publish",
            &[("form", "scores"), ("flagged_threshold", "65"), ("effective_from", &too_late), ("reason", "Later")],
            true,
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("data-testid=\"error-effective_from\""));
    assert!(page.contains("366 days"), "the bound is said");
    assert!(page.contains(&format!("value=\"{too_late}\"")), "the date is kept");
    assert!(page.contains("value=\"Later\""), "the reason is kept");

    // Nothing changed at all.
    let response = a
        .post(
            "/admin/performance/settings/publish",
            &[("form", "scores"), ("flagged_threshold", "70"), ("effective_from", "2026-11-02"), ("reason", "Same")],
            true,
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("nothing changed"));
    assert_eq!(a.events().await, before, "a refused form writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_publish_and_watch_the_rescore() {
    let a = Admin::world().await;
    let (status, page) = a.get("/admin/performance/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-testid=\"nav-settings\""));
    for group in ["Scoring and weights", "Thresholds", "Reviews and limits", "LLM integration"] {
        assert!(page.contains(group), "{group}");
    }
    // Every setting has its row (the weights in the table).
    for key in perfledger_domain::settings::SETTING_KEYS {
        assert!(page.contains(&format!("data-key=\"{key}\"")), "{key}");
    }
    assert!(page.contains("sales activity is at least 50 %"), "the sales-profile rule in words");

    let (_, team) = a.get(&format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45")).await;
    assert!(member_row(&team).contains("data-testid=\"flag\""), "MEMBER is flagged under 70");

    let weeks = weeks_back_to_w45();
    let before = a.events().await;
    let draft = [
        ("form", "scores"),
        ("flagged_threshold", "50"),
        ("domain_weights_support.support", "1"),
        ("effective_from", "2026-11-02"),
        ("reason", "Stricter for Q4"),
        ("weeks", weeks.as_str()),
    ];
    let response = a.post("/admin/performance/settings/preview", &draft, true).await;
    assert_eq!(response.status(), 200);
    let preview = response.text().await.unwrap();
    assert_eq!(a.events().await, before, "a preview writes nothing");
    assert!(preview.contains("data-testid=\"flagged-before\""));
    // MEMBER's W45 composite (60) is under 70 but not under 50: no longer flagged.
    let unflagged = preview.find("data-testid=\"no-longer-flagged\"").expect("someone stops being flagged");
    assert!(preview[unflagged..].contains(&format!("/admin/performance/agents/{MEMBER}")), "MEMBER is named");
    assert!(preview.contains("data-testid=\"no-newly-flagged\""), "nobody becomes flagged");
    assert!(preview.contains("data-testid=\"movers\""), "the biggest movers");
    assert!(preview.contains("data-testid=\"team-ranks\""));
    assert!(preview.contains("<svg"), "the distributions are drawn");
    let due = ((week_start(Utc::now()) - NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()).num_days() / 7 + 1) as u32;
    assert!(preview.contains(&format!("publishing rescores {due} weeks")), "says up front how many weeks");
    // The publish form carries the draft.
    assert!(preview.contains("name=\"flagged_threshold\" value=\"50\""));

    let response = a.post("/admin/performance/settings/publish", &draft, true).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/performance/settings/rescore/"), "{location}");
    assert_eq!(a.events().await, before + 1, "exactly one event");
    let (kind, version, payload): (String, String, String) =
        sqlx::query_as("SELECT event_type, event_version, payload::text FROM events WHERE aggregate_type = 'settings'")
            .fetch_one(&a.app.db.pool)
            .await
            .unwrap();
    let perfledger_domain::EventBody::SettingsChanged(change) =
        perfledger_domain::event::decode(&kind, &version, &payload).unwrap().body
    else {
        panic!("{kind} is not settings.changed");
    };
    let (actor, reason, effective_from) =
        (change.actor, change.reason.unwrap_or_default(), change.effective_from.to_string());
    assert_eq!((actor.as_str(), reason.as_str(), effective_from.as_str()), (ADMIN, "Stricter for Q4", "2026-11-02"));

    // Before the worker: recorded, not yet folded; the page refreshes itself.
    let (status, progress) = a.get(&location).await;
    assert_eq!(status, 200);
    assert!(progress.contains("data-done=\"false\""));
    assert!(progress.contains("http-equiv=\"refresh\""));
    assert!(!progress.contains("data-testid=\"team-link\""));

    project(&a.app).await;
    let (_, progress) = a.get(&location).await;
    assert!(progress.contains(&format!("{due} of {due} weeks rescored")), "weeks done of due");
    assert!(progress.contains("data-done=\"true\""));
    assert!(!progress.contains("http-equiv=\"refresh\""), "no refresh once done");
    assert!(progress.contains("data-testid=\"team-link\""));
    assert!(progress.contains("Stricter for Q4"));

    // The team page shows the new numbers.
    let (_, team) = a.get(&format!("/admin/performance/team?team_id={ALPHA}&period=2026-W45")).await;
    assert!(team.contains("a composite below <strong>50</strong>"), "the new threshold");
    assert!(!member_row(&team).contains("data-testid=\"flag\""), "MEMBER is no longer flagged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_csrf_token_are_refused_and_write_nothing() {
    let a = Admin::world().await;
    let before = a.events().await;
    let draft = [("form", "scores"), ("flagged_threshold", "65"), ("effective_from", "2026-11-02"), ("reason", "x")];
    for path in ["/admin/performance/settings/preview", "/admin/performance/settings/publish"] {
        let response = a.post(path, &draft, false).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(a.events().await, before);
    // And a manager never sees the page nor the sidebar link.
    let manager = token(&a.app, Role::Manager);
    let response = client()
        .get(a.app.url("/admin/performance/settings"))
        .header(COOKIE, format!("perfledger_session={manager}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (_, team) = {
        let response = client()
            .get(a.app.url("/admin/performance/team?period=2026-W45"))
            .header(COOKIE, format!("perfledger_session={manager}"))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    assert!(!team.contains("nav-settings"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_saved_without_preview_and_never_shown() {
    let a = Admin::world().await;
    let key = "sk-page-secret-0099";
    let response = a
        .post(
            "/admin/performance/settings/publish",
            &[
                ("form", "llm"),
                ("llm_provider", "rules"),
                ("vllm_api_key", key),
                ("vllm_timeout_seconds", "30"),
                ("effective_from", &week_start(Utc::now()).to_string()),
                ("reason", "Gateway key"),
            ],
            true,
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, progress) = a.get(&location).await;
    assert!(!progress.contains(key));
    assert!(progress.contains("API key: <strong>set</strong>"), "shown as set");
    let (_, page) = a.get("/admin/performance/settings").await;
    assert!(!page.contains(key), "never shown");
    assert!(page.contains("A key is set."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_threshold_helper_flags_the_share_asked_of_the_stored_composites() {
    let a = Admin::world().await;
    // Composites for the last three full weeks, written straight into the
    // snapshots (the helper reads the stored scores).
    let this_week = week_start(Utc::now());
    let mut composites = Vec::new();
    for (w, week) in (1..=3u64).map(|i| this_week - Days::new(7 * i)).enumerate() {
        for i in 0..7u32 {
            let composite = Decimal::new(i64::from(3_000 + 937 * i + 411 * w as u32), 2); // 30.00 … 90.04
            composites.push(composite);
            sqlx::query(
                "INSERT INTO agent_performance_snapshots
                   (id, person_id, score_period_start, score_period_end, composite_score, domain_scores_json,
                    weights_json, weight_source, is_flagged, formula_version, first_position, last_position)
                 VALUES (gen_random_uuid(), gen_random_uuid(), $1::date::timestamptz, ($1::date + 7)::timestamptz,
                         $2, '{}', '{}', 'default', false, 1, 1, 1)",
            )
            .bind(week)
            .bind(composite)
            .execute(&a.app.db.pool)
            .await
            .unwrap();
        }
    }
    // The world's own W45 scores count too when W45 is among the last 3 weeks.
    let stored: Vec<Decimal> = sqlx::query_scalar(
        "SELECT composite_score FROM agent_performance_snapshots WHERE score_period_start >= $1::date::timestamptz",
    )
    .bind(this_week - Days::new(21))
    .fetch_all(&a.app.db.pool)
    .await
    .unwrap();
    assert!(stored.len() >= composites.len());
    for percent in [10u32, 25, 50] {
        let (status, page) = a.get(&format!("/admin/performance/settings?bottom={percent}&last_weeks=3")).await;
        assert_eq!(status, 200);
        let start = page.find("data-testid=\"helper-answer\"").expect("an answer");
        let answer = &page[start..];
        let threshold: i64 = answer
            .split("A threshold of ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a threshold");
        // Independently: at the threshold at least `percent` % of the stored
        // composites are under it, one point lower fewer.
        let share_under =
            |t: i64| stored.iter().filter(|c| **c < Decimal::from(t)).count() as f64 / stored.len() as f64 * 100.0;
        assert!(share_under(threshold) >= f64::from(percent), "{percent}: {threshold}");
        assert!(share_under(threshold - 1) < f64::from(percent), "{percent}: {threshold} is the lowest");
        let flagged = stored.iter().filter(|c| **c < Decimal::from(threshold)).count();
        assert!(answer.contains(&format!(": {flagged} of {} weekly", stored.len())), "{percent}");
    }
    let (status, page) = a.get("/admin/performance/settings?bottom=0&last_weeks=3").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-testid=\"helper-error\""));
}
