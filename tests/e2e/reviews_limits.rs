//! Review limits (issue 7): the manual daily limit per requester, the
//! cooldown between reviews of one person and week, the admin's force (which
//! supersedes and keeps history), idempotent requests, and the flagged run
//! capped by `max_reviews_per_run` with carry-over, skipped (with the reason
//! recorded) while generation is off.

use chrono::NaiveDate;
use perfledger_reviews::config::EnvOverrides;
use perfledger_reviews::flagged::run_flagged;
use serde_json::json;

use crate::reviews_support::*;

fn assert_rate_limited(status: u16, body: &serde_json::Value, retry_after: &Option<String>, mentions: &str) {
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["type"], "https://perfledger.dev/problems/rate-limited", "{body}");
    assert!(body["detail"].as_str().unwrap().contains(mentions), "{body}");
    let seconds: u64 = retry_after.as_deref().expect("a Retry-After header").parse().unwrap();
    assert!(seconds >= 1, "{seconds}");
    assert_eq!(body["retry_after"], seconds, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_limit_per_requester_answers_429_with_retry_after() {
    let app = world(&["Reset the router."]).await;
    set(&app, json!({"review_generation_enabled": true, "review_manual_daily_limit_per_manager": 2}), this_monday())
        .await;
    for person in [AGENT_A, AGENT_B] {
        let (status, body, _) = generate(&app, MANAGER, json!({"person_id": person, "period": WEEK})).await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["status"], "pending");
    }
    // A repeat of an open request is the same review, not a new one: not counted.
    let (status, again, _) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(status, 202, "{again}");
    let (status, body, retry_after) = generate(&app, MANAGER, json!({"person_id": AGENT_C, "period": WEEK})).await;
    assert_rate_limited(status, &body, &retry_after, "review_manual_daily_limit_per_manager");
    // Other requesters have their own count.
    let (status, body, _) = generate(&app, ADMIN, json!({"person_id": AGENT_C, "period": WEEK})).await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_holds_after_a_failure_and_an_admin_may_force_past_it() {
    let app = world(&["Reset the router."]).await;
    let script = Script::new(vec![Reply::Status(500, None), Reply::Status(500, None), Reply::Valid]);
    let server = fake_server(&script).await;
    use_fake_server(&app, &server, json!({"vllm_max_retries": 1, "review_cooldown_hours": 24})).await;

    let (status, first, _) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(status, 202, "{first}");
    // Idempotent while open: the same review.
    let (_, same, _) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(same["review_id"], first["review_id"]);
    run_jobs(&app).await;
    let (_, failed) =
        get(&app, MANAGER, &format!("/api/v1/performance/reviews/{}", first["review_id"].as_str().unwrap())).await;
    assert_eq!(failed["status"], "failed", "{failed}");

    // A new review of the same person and week waits for the cooldown...
    let (status, body, retry_after) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_rate_limited(status, &body, &retry_after, "review_cooldown_hours");
    let seconds: u64 = retry_after.unwrap().parse().unwrap();
    assert!(seconds > 23 * 3600 && seconds <= 24 * 3600, "{seconds}");
    let (status, body, _) = generate(&app, ADMIN, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(status, 429, "admins wait too unless they force: {body}");
    // ...managers may not force...
    let (status, body, _) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK, "force": true})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["field"], "force");
    // ...admins may: a new review supersedes the failed one, which stays in history.
    let (status, forced, _) = generate(&app, ADMIN, json!({"person_id": AGENT_A, "period": WEEK, "force": true})).await;
    assert_eq!(status, 202, "{forced}");
    assert_ne!(forced["review_id"], first["review_id"]);
    run_jobs(&app).await;
    let (_, review) =
        get(&app, MANAGER, &format!("/api/v1/performance/reviews/{}", forced["review_id"].as_str().unwrap())).await;
    assert_eq!(review["status"], "generated", "{review}");
    let history: Vec<(uuid::Uuid, String, uuid::Uuid)> =
        sqlx::query_as("SELECT id, status, superseded_by FROM agent_performance_review_history")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].0.to_string(), first["review_id"].as_str().unwrap());
    assert_eq!(history[0].1, "failed");
    assert_eq!(history[0].2.to_string(), forced["review_id"].as_str().unwrap());
    let current: i64 = sqlx::query_scalar("SELECT count(*) FROM agent_performance_reviews WHERE person_id = $1")
        .bind(uuid::Uuid::parse_str(AGENT_A).unwrap())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(current, 1, "one current review per person and week");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_generation_requests_name_the_field() {
    let app = world(&["Reset the router."]).await;
    let (status, body, _) = generate(&app, MANAGER, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(status, 503, "generation is off by default: {body}");
    assert!(body["detail"].as_str().unwrap().contains("review_generation_enabled"), "{body}");
    set(&app, json!({"review_generation_enabled": true}), this_monday()).await;
    for (request, field) in [
        (json!({"period": WEEK}), "person_id"),
        (json!({"person_id": AGENT_A, "period": "2099-W01"}), "period"),
        (json!({"person_id": AGENT_A, "period": "last_month"}), "period"),
        (json!({"person_id": AGENT_A, "period": "2026-W40"}), "period"),
        (json!({"person_id": AGENT_A, "period": WEEK, "force": "yes"}), "force"),
        (json!({"person_id": AGENT_A, "period": WEEK, "colour": "red"}), "colour"),
    ] {
        let (status, body, _) = generate(&app, MANAGER, request.clone()).await;
        assert_eq!(status, 422, "{request}: {body}");
        assert_eq!(body["field"], field, "{request}: {body}");
    }
    let (status, body, _) = generate(&app, AGENT_B, json!({"person_id": AGENT_A, "period": WEEK})).await;
    assert_eq!(status, 403, "agents cannot generate reviews: {body}");
    let reviews: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'review'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(reviews, 0, "nothing partial was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flagged_run_is_capped_and_carries_the_rest_over() {
    let app = world(&["Reset the router."]).await;
    let env = EnvOverrides::default();
    // Everyone under 100 is flagged, in force from W45.
    let w45 = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    set(&app, json!({"flagged_threshold": 100, "max_reviews_per_run": 2}), w45).await;
    project(&app).await;
    let flagged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM agent_performance_snapshots WHERE is_flagged AND score_period_start = '2026-11-02'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(flagged, 3, "three flagged agents in W45");
    // The weeks from W45 on wait for a flagged run (the checkpoint the runs advance).
    sqlx::query("INSERT INTO scheduler_checkpoints (name, value) VALUES ($1, '2026-11-02T00:00:00Z')")
        .bind(perfledger_reviews::flagged::CHECKPOINT)
        .execute(&app.db.pool)
        .await
        .unwrap();

    // Off: skipped, and the run says why.
    let skipped = run_flagged(&app.db.pool, chrono::Utc::now(), &env).await.unwrap();
    assert_eq!(skipped.requested, 0);
    assert!(skipped.skipped.as_deref().unwrap().contains("review_generation_enabled"), "{skipped:?}");
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM review_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "skipped");
    assert!(reason.unwrap().contains("review_generation_enabled"));

    set(&app, json!({"review_generation_enabled": true}), this_monday()).await;
    let first = run_flagged(&app.db.pool, chrono::Utc::now(), &env).await.unwrap();
    assert_eq!((first.requested, first.carried_over), (2, 1), "{first:?}");
    project(&app).await;
    let second = run_flagged(&app.db.pool, chrono::Utc::now(), &env).await.unwrap();
    assert_eq!((second.requested, second.carried_over), (1, 0), "{second:?}");
    project(&app).await;
    let third = run_flagged(&app.db.pool, chrono::Utc::now(), &env).await.unwrap();
    assert_eq!((third.requested, third.carried_over), (0, 0), "nothing twice: {third:?}");

    let runs: Vec<(String, i32, i32)> =
        sqlx::query_as("SELECT status, requested, carried_over FROM review_runs ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        runs,
        [
            ("skipped".into(), 0, 0),
            ("carried_over".into(), 2, 1),
            ("completed".into(), 1, 0),
            ("completed".into(), 0, 0)
        ]
    );
    // The rules coach (the default provider) writes all three.
    let report = run_jobs(&app).await;
    assert_eq!(report.generated, 3, "{report:?}");
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT status, trigger, llm_model FROM agent_performance_reviews")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row, ("generated".into(), "flagged".into(), perfledger_domain::coach::RULES_MODEL.into()));
    }
}

/// Issue 15 item 2: over several weekly closes with the cap below the
/// flagged count, every flagged person-week gets exactly one review request,
/// the oldest weeks first; none is dropped when a newer week closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carried_over_people_are_requested_on_later_runs_oldest_week_first() {
    let app = world(&["Reset the router."]).await;
    // The same three agents also work in W46 and W47.
    let mut items = Vec::new();
    for (week, day) in [("46", 10), ("47", 17)] {
        for (agent, person) in [("A", AGENT_A), ("B", AGENT_B), ("C", AGENT_C)] {
            items.extend(ticket(&format!("{agent}{week}"), person, day, "Reset the router."));
        }
    }
    let parsed: Vec<_> = items.iter().map(|item| perfledger_domain::parse_envelope(&item.to_string())).collect();
    let ingested = perfledger_store::Ingestor::new(app.db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(ingested.rejected.is_empty(), "{:?}", ingested.rejected);
    let w45 = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    set(&app, json!({"flagged_threshold": 100, "max_reviews_per_run": 2}), w45).await;
    set(&app, json!({"review_generation_enabled": true}), this_monday()).await;
    project(&app).await;
    let flagged: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT person_id, score_period_start FROM agent_performance_snapshots
          WHERE is_flagged AND score_period_start BETWEEN '2026-11-02' AND '2026-11-16' ORDER BY 2, 1",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(flagged.len(), 9, "three flagged agents in each of W45, W46, W47: {flagged:?}");

    // One run per weekly close, as the review worker does (run_is_due), the
    // close checkpoint set by hand from the end of W45 on.
    let pool = &app.db.pool;
    let close = |end: &str| {
        sqlx::query("UPDATE scheduler_checkpoints SET value = $2::timestamptz WHERE name = $1")
            .bind(perfledger_scheduler::close::CHECKPOINT)
            .bind(end.to_string())
            .execute(pool)
    };
    // `now`: an hour into the Monday a week ends on, when the close has run.
    let monday =
        |end: &str| perfledger_domain::period::midnight(end.parse::<NaiveDate>().unwrap()) + chrono::Duration::hours(1);
    let due = |now| perfledger_reviews::flagged::run_is_due(pool, now);
    // A close still catching up (W45 closed, W46 due too): no run yet, so a
    // backfill is not reviewed one old week at a time.
    close("2026-11-09").await.unwrap();
    assert!(!due(monday("2026-11-16")).await.unwrap(), "no run while the close is behind");
    let mut runs = Vec::new();
    for end in ["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30", "2026-12-07"] {
        close(end).await.unwrap();
        assert!(due(monday(end)).await.unwrap(), "a run is due after the close of {end}");
        let run = run_flagged(pool, chrono::Utc::now(), &env_none()).await.unwrap();
        assert!(!due(monday(end)).await.unwrap(), "one run per close ({end})");
        let weeks: Vec<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
            "SELECT (payload->'body'->'data'->>'period_start')::timestamptz FROM events
              WHERE event_type = 'review.requested' ORDER BY global_position",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        runs.push((run.requested, run.carried_over, weeks));
    }
    let counts: Vec<(usize, usize)> = runs.iter().map(|(r, c, _)| (*r, *c)).collect();
    assert_eq!(counts, [(2, 1), (2, 2), (2, 3), (2, 1), (1, 0)], "the cap holds and the rest waits");
    // Oldest week first: the requests, in order, never go back to an older week.
    let requested = &runs.last().unwrap().2;
    assert!(requested.windows(2).all(|w| w[0] <= w[1]), "{requested:?}");
    // Every flagged person-week has exactly one request.
    let per_week: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>, i64)> = sqlx::query_as(
        "SELECT (payload->'body'->'data'->>'person_id')::uuid, (payload->'body'->'data'->>'period_start')::timestamptz, count(*) FROM events
          WHERE event_type = 'review.requested' GROUP BY 1, 2 ORDER BY 2, 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(per_week.iter().map(|(p, w, _)| (*p, *w)).collect::<Vec<_>>(), flagged, "none lost");
    assert!(per_week.iter().all(|(_, _, n)| *n == 1), "none twice: {per_week:?}");
    // A later run finds nothing left.
    close("2026-12-14").await.unwrap();
    let after = run_flagged(pool, chrono::Utc::now(), &env_none()).await.unwrap();
    assert_eq!((after.requested, after.carried_over), (0, 0), "{after:?}");
}

fn env_none() -> EnvOverrides {
    EnvOverrides::default()
}
