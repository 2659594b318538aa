//! `perfledger bench project`: projection throughput on generated demo data
//! in a scratch database (created and dropped). Prints one JSON object:
//!
//! - `events`, `events_per_s`: every projector from a cold checkpoint to all
//!   weeks scored and closed (`run_once`), wall time;
//! - `scoring_pass_ms`: rescoring every week from the accumulators alone;
//! - `sql_baseline_ms`: the seed's approach, one GROUP BY query per metric
//!   over the same events, by person and week, in PostgreSQL;
//! - `peak_rss_mb`: this process's peak resident memory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Days, Utc};
use perfledger_domain::period::midnight;
use perfledger_scheduler::worker::{run_once, run_once_reported, DEFAULT_BATCH, REBUILD_BATCH};
use perfledger_scoring::pass::{score_weeks, ScoringContext};
use perfledger_store::{Database, Ingestor};
use serde::Serialize;

use super::bench::{ensure_dir, peak_rss_mb, round, Scratch};
use crate::commands::import::import_file;
use crate::config::BenchLogArgs;
use crate::demo::generate::DemoSpec;
use crate::progress::StepBars;

#[derive(Debug, Serialize)]
pub struct ProjectBench {
    events: i64,
    events_per_s: f64,
    project_s: f64,
    weeks_scored: usize,
    scoring_pass_ms: f64,
    sql_baseline_ms: f64,
    peak_rss_mb: f64,
}

pub async fn bench_project(server: &Database, data_dir: &Path, log: &BenchLogArgs) -> anyhow::Result<ProjectBench> {
    let (_work, data) = generate(data_dir, log).await?;
    let db = Scratch::create(server, "project").await?;
    let result = measure(&db, &data).await;
    db.drop().await?;
    result
}

/// Generates the demo log as NDJSON in a scratch dir (kept while the guard lives).
pub(crate) async fn generate(data_dir: &Path, log: &BenchLogArgs) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let BenchLogArgs { people, weeks, seed } = *log;
    let work = tempfile::Builder::new().prefix("perfledger-bench-").tempdir_in(ensure_dir(data_dir)?)?;
    let data = work.path().join("events.ndjson");
    let spec = DemoSpec { people: people as usize, weeks, seed, end_week_monday: crate::demo::this_monday() };
    eprintln!("bench: generating {people} people × {weeks} weeks of activity…");
    let path = data.clone();
    tokio::task::spawn_blocking(move || crate::demo::write_ndjson(&spec, &path)).await??;
    Ok((work, data))
}

async fn measure(db: &Scratch, data: &Path) -> anyhow::Result<ProjectBench> {
    eprintln!("bench: importing (not measured)…");
    let summary = import_file(&Ingestor::new(db.pool.clone(), "bench"), data, 10_000, true).await?;
    anyhow::ensure!(summary.rejected == 0, "the generated data had {} rejected lines", summary.rejected);
    let head = perfledger_store::log::head(&db.pool).await?;
    sqlx::query("VACUUM ANALYZE events").execute(&db.pool).await?;

    eprintln!("bench: projecting {head} events from a cold checkpoint…");
    let mut bars = StepBars::for_projectors("project");
    let started = Instant::now();
    let report = run_once_reported(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |step| bars.step(step)).await;
    let project_s = started.elapsed().as_secs_f64();
    bars.finish();
    let report = report?;

    eprintln!("bench: the scoring pass alone, every week…");
    let weeks: Vec<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT period_start FROM scoring_periods ORDER BY 1").fetch_all(&db.pool).await?;
    let started = Instant::now();
    let context = ScoringContext::load(&db.pool).await?;
    let all: Vec<_> = weeks.iter().map(|w| (w.date_naive(), None)).collect();
    score_weeks(&db.pool, &context, &all, &mut perfledger_projections::report::ignore).await?;
    let scoring_pass_ms = started.elapsed().as_secs_f64() * 1000.0;

    eprintln!("bench: the SQL baseline, one GROUP BY per metric…");
    let started = Instant::now();
    let first = weeks.first().map(|w| w.date_naive()).unwrap_or_else(|| Utc::now().date_naive());
    let last = weeks.last().map(|w| w.date_naive() + Days::new(7)).unwrap_or(first);
    for query in SQL_BASELINE {
        sqlx::query(query).bind(midnight(first)).bind(midnight(last)).fetch_all(&db.pool).await?;
    }
    let sql_baseline_ms = started.elapsed().as_secs_f64() * 1000.0;

    Ok(ProjectBench {
        events: report.head,
        events_per_s: round(report.head as f64 / project_s),
        project_s: (project_s * 100.0).round() / 100.0,
        weeks_scored: weeks.len(),
        scoring_pass_ms: round(scoring_pass_ms),
        sql_baseline_ms: round(sql_baseline_ms),
        peak_rss_mb: peak_rss_mb(),
    })
}

#[derive(Debug, Serialize)]
pub struct ReplayBench {
    events: i64,
    replay_s: f64,
    replay_events_per_s: f64,
    copy_read_s: f64,
    stream_fold_s: f64,
    sql_baseline_s: f64,
    peak_rss_mb: f64,
}

/// `perfledger bench replay`: the full blue-green replay against the raw
/// read limit and the SQL baseline, on the same generated log.
pub async fn bench_replay(server: &Database, data_dir: &Path, log: &BenchLogArgs) -> anyhow::Result<ReplayBench> {
    let (_work, data) = generate(data_dir, log).await?;
    let db = Scratch::create(server, "replay").await?;
    let result = measure_replay(&db, &data).await;
    db.drop().await?;
    result
}

async fn measure_replay(db: &Scratch, data: &Path) -> anyhow::Result<ReplayBench> {
    eprintln!("bench: importing and projecting (not measured)…");
    let summary = import_file(&Ingestor::new(db.pool.clone(), "bench"), data, 10_000, true).await?;
    anyhow::ensure!(summary.rejected == 0, "the generated data had {} rejected lines", summary.rejected);
    run_once(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await?;
    sqlx::query("VACUUM ANALYZE").execute(&db.pool).await?;
    let head = perfledger_store::log::head(&db.pool).await?;

    eprintln!("bench: the raw read limit, COPY of the log to nowhere…");
    let started = Instant::now();
    {
        use futures::StreamExt;
        let mut conn = db.pool.acquire().await?;
        let mut stream = conn
            .copy_out_raw(
                "COPY (SELECT global_position, event_type, event_version, payload FROM events
                       ORDER BY global_position) TO STDOUT",
            )
            .await?;
        while let Some(chunk) = stream.next().await {
            std::hint::black_box(chunk?);
        }
    }
    let copy_read_s = started.elapsed().as_secs_f64();

    eprintln!("bench: the fold's floor, the log read, decoded and folded in memory, nothing written…");
    let started = Instant::now();
    let folded = stream_fold(&db.pool, head).await?;
    let stream_fold_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(folded == head, "the floor read {folded} of {head} events");

    eprintln!("bench: replaying {head} events blue-green…");
    let mut bars = StepBars::for_projectors("replay");
    let started = Instant::now();
    let report = perfledger_replay::rebuild::replay(
        &db.pool,
        REBUILD_BATCH,
        perfledger_replay::rebuild::Start::Fresh,
        false,
        &mut |step| bars.step(step),
    )
    .await;
    let replay_s = started.elapsed().as_secs_f64();
    bars.finish();
    let report = report?;
    anyhow::ensure!(report.switched, "the replay did not switch");

    eprintln!("bench: the SQL baseline, one GROUP BY per metric…");
    let (first, last): (Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("SELECT min(period_start), max(period_end) FROM scoring_periods").fetch_one(&db.pool).await?;
    let started = Instant::now();
    for query in SQL_BASELINE {
        sqlx::query(query).bind(first).bind(last).fetch_all(&db.pool).await?;
    }
    let sql_baseline_s = started.elapsed().as_secs_f64();

    let two = |v: f64| (v * 100.0).round() / 100.0;
    Ok(ReplayBench {
        events: head,
        replay_s: two(replay_s),
        replay_events_per_s: round(head as f64 / replay_s),
        copy_read_s: two(copy_read_s),
        stream_fold_s: two(stream_fold_s),
        sql_baseline_s: two(sql_baseline_s),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The replay's floor: the runner's own read (narrow columns, decoded in
/// parallel chunks, the next batch read while this one folds) and the
/// accumulators' in-memory fold, with no write, checkpoint or scoring.
/// Returns the events read.
async fn stream_fold(pool: &sqlx::PgPool, head: i64) -> anyhow::Result<i64> {
    use perfledger_projections::runner::read_decoded;
    let read = |after: i64| {
        let pool = pool.clone();
        tokio::spawn(async move { read_decoded(&pool, after, REBUILD_BATCH).await })
    };
    let (mut events, mut keys, mut next) = (0i64, 0usize, Some(read(0)));
    while let Some(pending) = next.take() {
        let batch = pending.await??;
        let Some(last) = batch.last().map(|e| e.position) else { break };
        if last < head {
            next = Some(read(last));
        }
        let mut days = std::collections::HashMap::new();
        for d in &batch {
            perfledger_domain::scoring::accumulate::accumulate(&mut days, d.position, &d.event);
        }
        keys += days.len();
        events += batch.len() as i64;
    }
    std::hint::black_box(keys);
    Ok(events)
}

/// The seed's "one query per metric across all agents" (seed-design.md
/// "Scoring Queries"), by person and ISO week, over the log's JSON payloads.
/// $1/$2 bound the period range.
const SQL_BASELINE: &[&str] = &[
    // support: SLA, resolution time, escalation
    "SELECT d->>'resolver_person_id', date_trunc('week', o), count(*) FILTER (WHERE (d->>'sla_met')::bool),
            count(*) FILTER (WHERE d->>'sla_met' IS NOT NULL)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'ticket.resolved') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'resolver_person_id', date_trunc('week', o), avg((d->>'resolution_minutes')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'ticket.resolved') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'resolver_person_id', date_trunc('week', o), count(*) FILTER (WHERE coalesce(d->>'ever_escalated', d->>'was_escalated')::bool),
            count(*)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'ticket.resolved') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // support: CSAT
    "SELECT d->>'resolver_person_id', date_trunc('week', o), avg((d->>'rating')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'ticket.rated') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // operations: completion (completions and assignments), on time, effort accuracy, blocked
    "SELECT p, date_trunc('week', o), count(*) FILTER (WHERE t = 'task.completed'),
            count(*) FILTER (WHERE t IN ('task.created', 'task.assigned'))
     FROM (SELECT event_type AS t, coalesce(payload->'body'->'data'->>'completer_person_id',
                  payload->'body'->'data'->>'assignee_person_id', payload->'body'->'data'->>'person_id') AS p,
                  (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type IN ('task.completed', 'task.created', 'task.assigned')) e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'completer_person_id', date_trunc('week', o), count(*) FILTER (WHERE (d->>'on_time')::bool),
            count(*) FILTER (WHERE d->>'on_time' IS NOT NULL)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'task.completed') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'completer_person_id', date_trunc('week', o), avg((d->>'effort_accuracy')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'task.completed') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT p, date_trunc('week', o), count(DISTINCT task) FILTER (WHERE t = 'task.blocked'), count(DISTINCT task)
     FROM (SELECT event_type AS t, payload->'body'->'data'->>'task_id' AS task,
                  coalesce(payload->'body'->'data'->>'completer_person_id',
                           payload->'body'->'data'->>'assignee_person_id',
                           payload->'body'->'data'->>'person_id') AS p,
                  (payload->>'occurred_at')::timestamptz AS o FROM events WHERE aggregate_type = 'task') e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // field service: completion, delay, duration accuracy, documentation
    "SELECT p, date_trunc('week', o), count(*) FILTER (WHERE t = 'work_order.completed'),
            count(*) FILTER (WHERE t IN ('work_order.created', 'work_order.assigned'))
     FROM (SELECT event_type AS t, coalesce(payload->'body'->'data'->>'completer_person_id',
                  payload->'body'->'data'->>'assignee_person_id', payload->'body'->'data'->>'person_id') AS p,
                  (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type IN ('work_order.completed', 'work_order.created', 'work_order.assigned')) e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'completer_person_id', date_trunc('week', o), avg((d->>'delay_minutes')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'work_order.completed') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'completer_person_id', date_trunc('week', o), avg((d->>'duration_accuracy')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'work_order.completed') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'completer_person_id', date_trunc('week', o), count(*) FILTER (WHERE (d->>'has_notes')::bool),
            count(*)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'work_order.completed') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // communication: first response, resolution, volume, channel coverage
    "SELECT d->>'person_id', date_trunc('week', o), avg((d->>'first_response_minutes')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'conversation.message_sent') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'resolver_person_id', date_trunc('week', o), avg((d->>'resolution_minutes')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'conversation.resolved') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'resolver_person_id', date_trunc('week', o), count(*)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'conversation.resolved') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'person_id', date_trunc('week', o), count(DISTINCT d->>'channel')
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'conversation.message_sent') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // sales: win rate, pipeline, quote acceptance, activity
    "SELECT d->>'owner_person_id', date_trunc('week', o), count(*) FILTER (WHERE t = 'lead.won'), count(*)
     FROM (SELECT event_type AS t, payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o
           FROM events WHERE event_type IN ('lead.won', 'lead.lost')) e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT p, date_trunc('week', o), sum(v) FROM (SELECT DISTINCT ON (p, date_trunc('week', o), lead) p, o, v
        FROM (SELECT coalesce(payload->'body'->'data'->>'owner_person_id', payload->'body'->'data'->>'person_id') AS p,
                     payload->'body'->'data'->>'lead_id' AS lead,
                     (payload->'body'->'data'->>'estimated_value')::numeric AS v,
                     (payload->>'occurred_at')::timestamptz AS o
              FROM events WHERE event_type IN ('lead.created', 'lead.assigned')) x
        WHERE o >= $1 AND o < $2) e GROUP BY 1, 2",
    "SELECT p, date_trunc('week', o), count(*) FILTER (WHERE t = 'quote.accepted'),
            count(*) FILTER (WHERE t = 'quote.sent')
     FROM (SELECT event_type AS t, payload->'body'->'data'->>'owner_person_id' AS p,
                  (payload->>'occurred_at')::timestamptz AS o FROM events WHERE aggregate_type = 'quote') e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'person_id', date_trunc('week', o), count(*)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type = 'lead.contacted') e WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    // data quality: contact and organization completeness, tagging, notes
    "SELECT p, date_trunc('week', o), avg(n) FROM (SELECT DISTINCT ON (p, date_trunc('week', o), c) p, o, n
        FROM (SELECT payload->'body'->'data'->>'editor_person_id' AS p, payload->'body'->'data'->>'contact_id' AS c,
                     (SELECT count(*) FROM json_array_elements_text(payload->'body'->'data'->'filled') f
                      WHERE f IN ('email', 'phone', 'first_name', 'last_name', 'city', 'country_code')) / 6.0 AS n,
                     (payload->>'occurred_at')::timestamptz AS o FROM events WHERE event_type = 'contact.saved') x
        WHERE o >= $1 AND o < $2 ORDER BY p, date_trunc('week', o), c, o DESC) e GROUP BY 1, 2",
    "SELECT p, date_trunc('week', o), avg(n) FROM (SELECT DISTINCT ON (p, date_trunc('week', o), c) p, o, n
        FROM (SELECT payload->'body'->'data'->>'editor_person_id' AS p,
                     payload->'body'->'data'->>'organization_id' AS c,
                     (SELECT count(*) FROM json_array_elements_text(payload->'body'->'data'->'filled') f
                      WHERE f IN ('name', 'phone', 'email', 'domain', 'industry', 'city', 'country_code')) / 7.0 AS n,
                     (payload->>'occurred_at')::timestamptz AS o FROM events WHERE event_type = 'organization.saved') x
        WHERE o >= $1 AND o < $2 ORDER BY p, date_trunc('week', o), c, o DESC) e GROUP BY 1, 2",
    "SELECT d->>'resolver_person_id', date_trunc('week', o), count(*) FILTER (WHERE (d->>'tag_count')::int > 0),
            count(*)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type IN ('ticket.resolved', 'conversation.resolved')) e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
    "SELECT d->>'person_id', date_trunc('week', o), avg((d->>'body_chars')::numeric)
     FROM (SELECT payload->'body'->'data' AS d, (payload->>'occurred_at')::timestamptz AS o FROM events
           WHERE event_type IN ('ticket.commented', 'work_order.note_added')) e
     WHERE o >= $1 AND o < $2 GROUP BY 1, 2",
];
