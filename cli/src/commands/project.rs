//! `perfledger project`: the projection worker alone. `--once` catches up,
//! scores every period with events, closes ended weeks and exits; `--lag`
//! prints each projector's lag.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use perfledger_projections::PROJECTORS;
use perfledger_scheduler::worker::{run_forever, run_once_reported};

use crate::config::{GlobalArgs, ProjectArgs};
use crate::progress::StepBars;

pub async fn run(global: &GlobalArgs, args: ProjectArgs) -> anyhow::Result<ExitCode> {
    let db = super::open_database(global).await?;
    let result = project(&db.pool, &args).await;
    db.close().await;
    result
}

async fn project(pool: &sqlx::PgPool, args: &ProjectArgs) -> anyhow::Result<ExitCode> {
    if args.lag {
        let lag = perfledger_projections::lag::lag(pool, &PROJECTORS).await?;
        println!("{}", serde_json::to_string_pretty(&lag)?);
        return report_stalls(pool).await;
    }
    if args.once {
        let mut bars = StepBars::for_projectors("project");
        let started = std::time::Instant::now();
        let report = run_once_reported(pool, args.batch_size, Utc::now(), &mut |step| bars.step(step)).await;
        bars.finish();
        let report = report.context("projection failed")?;
        println!(
            "{}",
            serde_json::json!({
                "events": report.events,
                "head": report.head,
                "weeks_scored": report.weeks_scored,
                "weeks_closed": report.weeks_closed,
                "stalled": report.stalled,
                "seconds": started.elapsed().as_secs_f64(),
            })
        );
        return report_stalls(pool).await;
    }
    let shutdown = crate::shutdown::install().context("cannot install the Ctrl-C and SIGTERM handlers")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    eprintln!("projecting; Ctrl-C to stop");
    // Supervised as in `serve`: a panic or an error is logged and the worker
    // starts again after a backoff, never a silent death (issue 14).
    let (pool, batch, poll) = (pool.clone(), args.batch_size, Duration::from_secs(args.poll_seconds));
    perfledger_scheduler::supervise::supervise("projections", stopped, move |mut rx| {
        run_forever(pool.clone(), batch, poll, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
    })
    .await;
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr what is stalled and how to free it; exit code 3 when
/// anything is, so a script notices (issue 14).
async fn report_stalls(pool: &sqlx::PgPool) -> anyhow::Result<ExitCode> {
    let stalls = perfledger_projections::stall::list(pool).await?;
    for stall in &stalls {
        match (stall.position, stall.week) {
            (Some(position), _) => eprintln!(
                "{} is stalled at position {position} (event {}, {}) since {}: {}\n  free it with: perfledger events void --position {position} --reason \"...\"",
                stall.component,
                stall.event_id.as_deref().unwrap_or("without an id"),
                stall.event_type.as_deref().unwrap_or("unknown type"),
                stall.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                stall.error,
            ),
            (None, week) => eprintln!(
                "{} is stalled on week {} since {}: {}",
                stall.component,
                week.map_or_else(|| "?".to_string(), |w| w.to_string()),
                stall.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                stall.error,
            ),
        }
    }
    Ok(if stalls.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
}
