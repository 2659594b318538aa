//! `perfledger bench what-if`: how fast a what-if answers (issue 4, "What-if
//! over 12 weeks for 500 people answers in under 1 s"). The shared demo log
//! is imported and projected into a scratch database (created and dropped;
//! not measured), then the same what-if as `perfledger what-if --last-weeks
//! N` (the function the API's `POST /api/v1/performance/what-if` calls) runs
//! `runs` times. Prints one JSON object:
//!
//! - `what_if_ms`: the median run; `first_run_ms`: the first (cold) one;
//! - `people`, `weeks`: the people scored and the weeks asked for;
//! - `changed`: person-weeks whose composite or rank the proposal changes;
//! - `peak_rss_mb`: this process's peak resident memory.

use std::path::Path;
use std::time::Instant;

use chrono::{Days, Utc};
use perfledger_domain::period::week_start;
use perfledger_replay::what_if::{proposed_changes, what_if};
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::{Database, Ingestor};
use serde::Serialize;

use super::bench::{peak_rss_mb, round, Scratch};
use super::bench_project::generate;
use crate::commands::import::import_file;
use crate::config::BenchWhatIfArgs;

/// The proposal scored: new default weights and a higher flag threshold, so
/// every person's composite and flag are recomputed.
const PROPOSAL: &str = r#"{"domain_weights": {"support": 25, "operations": 15, "field_service": 10,
    "communication": 25, "sales": 15, "data_quality": 10}, "flagged_threshold": 65}"#;

#[derive(Debug, Serialize)]
pub struct WhatIfBench {
    people: usize,
    weeks: usize,
    events: i64,
    what_if_ms: f64,
    first_run_ms: f64,
    runs: usize,
    changed: usize,
    peak_rss_mb: f64,
}

pub async fn bench_what_if(server: &Database, data_dir: &Path, args: &BenchWhatIfArgs) -> anyhow::Result<WhatIfBench> {
    let (_work, data) = generate(data_dir, &args.log).await?;
    let db = Scratch::create(server, "what_if").await?;
    let result = measure(&db, &data, args).await;
    db.drop().await?;
    result
}

async fn measure(db: &Scratch, data: &Path, args: &BenchWhatIfArgs) -> anyhow::Result<WhatIfBench> {
    eprintln!("bench: importing and projecting (not measured)…");
    let summary = import_file(&Ingestor::new(db.pool.clone(), "bench"), data, 10_000, true).await?;
    anyhow::ensure!(summary.rejected == 0, "the generated data had {} rejected lines", summary.rejected);
    run_once(&db.pool, DEFAULT_BATCH, Utc::now(), &mut |_, _| {}).await?;
    sqlx::query("VACUUM ANALYZE").execute(&db.pool).await?;
    let head = perfledger_store::log::head(&db.pool).await?;

    // The weeks `what-if --last-weeks N` scores: the N complete weeks before this one.
    let this_week = week_start(Utc::now());
    let weeks: Vec<_> = (1..=u64::from(args.last_weeks)).rev().map(|i| this_week - Days::new(7 * i)).collect();
    let proposal: serde_json::Value = serde_json::from_str(PROPOSAL)?;
    let changes = proposed_changes(&proposal, None).map_err(|r| anyhow::anyhow!("the bench proposal: {r}"))?;

    eprintln!("bench: what-if over {} weeks, {} runs…", weeks.len(), args.runs);
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..args.runs {
        let started = Instant::now();
        let report = what_if(&db.pool, changes.clone(), None, &weeks, 20).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(report);
    }
    let report = last.expect("at least one run");
    let first_run_ms = times[0];
    times.sort_by(f64::total_cmp);
    anyhow::ensure!(report.people_scored > 0, "the what-if scored nobody: the demo log has no complete week in range");
    Ok(WhatIfBench {
        people: report.people_scored,
        weeks: weeks.len(),
        events: head,
        what_if_ms: round(times[times.len() / 2]),
        first_run_ms: round(first_run_ms),
        runs: times.len(),
        changed: report.changed,
        peak_rss_mb: peak_rss_mb(),
    })
}
