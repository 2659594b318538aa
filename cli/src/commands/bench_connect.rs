//! `perfledger bench connect`: the DotMac connector's backfill and idle-poll
//! cost. DotMac's schema and a generated organisation (--people staff ×
//! --weeks) go into one scratch database, perfledger's log into another;
//! both are dropped afterwards.

use std::time::Instant;

use chrono::{Datelike, Duration, Utc};
use perfledger_dotmac::fixture::{bulk_seed_sql, SCHEMA_SQL};
use perfledger_dotmac::{Connector, ConnectorOptions};
use perfledger_store::{Database, Ingestor};
use serde::Serialize;

use super::bench::Scratch;
use crate::config::BenchLogArgs;

#[derive(Debug, Serialize)]
pub struct ConnectBench {
    people: u64,
    weeks: u32,
    rows_read: u64,
    events_appended: usize,
    backfill_s: f64,
    events_per_s: f64,
    /// Median of 5 polls with nothing new, DotMac's database quiet (no
    /// commit since the last poll: the poll reads nothing).
    incremental_poll_ms: f64,
    /// Median of 5 polls with nothing new for the connector while DotMac
    /// commits elsewhere (a `projects` row, which the connector does not
    /// read, is updated before each): every table is read from its watermark.
    incremental_poll_busy_ms: f64,
}

pub async fn bench_connect(server: &Database, log: &BenchLogArgs) -> anyhow::Result<ConnectBench> {
    let source = Scratch::create(server, "dotmac_source").await?;
    let target = Scratch::create(server, "dotmac_target").await?;
    let result = measure(&source, &target, log).await;
    source.drop().await?;
    target.drop().await?;
    result
}

async fn measure(source: &Scratch, target: &Scratch, log: &BenchLogArgs) -> anyhow::Result<ConnectBench> {
    let today = Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let start = (monday - Duration::weeks(i64::from(log.weeks))).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    sqlx::raw_sql(SCHEMA_SQL).execute(&source.pool).await?;
    sqlx::raw_sql(&bulk_seed_sql(log.people, log.weeks, start)).execute(&source.pool).await?;
    sqlx::query("ANALYZE").execute(&source.pool).await?;

    let connector = Connector::new(
        source.pool.clone(),
        target.pool.clone(),
        Ingestor::new(target.pool.clone(), "dotmac"),
        ConnectorOptions::default(),
    );
    let started = Instant::now();
    let backfill = connector.poll(None).await?;
    let backfill_s = started.elapsed().as_secs_f64();
    let mut quiet = Vec::new();
    let mut busy = Vec::new();
    for round in 0..10 {
        if round >= 5 {
            sqlx::query("UPDATE public.projects SET updated_at = updated_at").execute(&source.pool).await?;
        }
        let started = Instant::now();
        let idle = connector.poll(None).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(idle.events_appended == 0, "an idle poll appended {} events", idle.events_appended);
        if round >= 5 {
            anyhow::ensure!(idle.rows_read > 0, "a poll after a DotMac commit read nothing");
            busy.push(ms);
        } else {
            quiet.push(ms);
        }
    }
    let median = |mut polls: Vec<f64>| {
        polls.sort_by(f64::total_cmp);
        polls[polls.len() / 2]
    };
    Ok(ConnectBench {
        people: log.people,
        weeks: log.weeks,
        rows_read: backfill.rows_read,
        events_appended: backfill.events_appended,
        backfill_s,
        events_per_s: backfill.events_appended as f64 / backfill_s.max(1e-9),
        incremental_poll_ms: median(quiet),
        incremental_poll_busy_ms: median(busy),
    })
}
