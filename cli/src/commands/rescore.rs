//! `perfledger rescore --from-week W --to-week W` (alias: `replay
//! --from-week W --to-week W`) and `perfledger backfill`: targeted,
//! idempotent rescoring (issue 4); `perfledger verify`: rebuild and compare;
//! `perfledger replay`: the blue-green rebuild. Each prints JSON.

use std::process::ExitCode;

use chrono::Utc;
use perfledger_domain::period::{iso_week_label, parse_iso_week};
use serde_json::json;

use crate::config::{BackfillArgs, GlobalArgs, ReplayArgs, RescoreArgs};
use crate::progress::StepBars;

/// `perfledger replay`: the rebuild, or with `--from-week`/`--to-week` the
/// alias of `perfledger rescore`.
pub async fn replay(global: &GlobalArgs, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let (Some(from_week), Some(to_week)) = (&args.from_week, &args.to_week) else {
        return rebuild(global, args).await;
    };
    rescore_range(global, from_week, to_week, args.batch_size).await
}

/// `perfledger rescore --from-week W --to-week W`.
pub async fn rescore(global: &GlobalArgs, args: RescoreArgs) -> anyhow::Result<ExitCode> {
    rescore_range(global, &args.from_week, &args.to_week, args.batch_size).await
}

async fn rescore_range(
    global: &GlobalArgs,
    from_week: &str,
    to_week: &str,
    batch_size: i64,
) -> anyhow::Result<ExitCode> {
    let first = parse_iso_week(from_week).map_err(|e| anyhow::anyhow!("--from-week: {e}"))?;
    let last = parse_iso_week(to_week).map_err(|e| anyhow::anyhow!("--to-week: {e}"))?;
    if first > last {
        anyhow::bail!("--from-week: {from_week} is after --to-week {to_week}");
    }
    let db = super::open_database(global).await?;
    let result = perfledger_replay::rescore::rescore_weeks(&db.pool, batch_size, first, last, Utc::now()).await;
    db.close().await;
    let weeks = result?;
    let labels: Vec<String> = weeks.iter().map(|w| iso_week_label(*w)).collect();
    println!("{}", json!({"weeks_rescored": labels.len(), "weeks": labels}));
    Ok(ExitCode::SUCCESS)
}

pub async fn backfill(global: &GlobalArgs, args: BackfillArgs) -> anyhow::Result<ExitCode> {
    let db = super::open_database(global).await?;
    let result = perfledger_replay::rescore::backfill(&db.pool, args.batch_size, Utc::now()).await;
    db.close().await;
    let weeks = result?;
    let labels: Vec<String> = weeks.iter().map(|w| iso_week_label(*w)).collect();
    println!("{}", json!({"weeks_scored": labels.len(), "weeks": labels}));
    Ok(ExitCode::SUCCESS)
}

pub async fn verify(global: &GlobalArgs, args: BackfillArgs) -> anyhow::Result<ExitCode> {
    let db = super::open_database(global).await?;
    let mut bars = StepBars::for_projectors("verify");
    let result = perfledger_replay::verify::verify(&db.pool, args.batch_size, &mut |step| bars.step(step)).await;
    bars.finish();
    db.close().await;
    let report = result?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    for table in report.tables.iter().filter(|t| !t.identical()) {
        eprintln!(
            "verify: {} differs: {} serving rows vs {} rebuilt{}",
            table.table,
            table.serving_rows,
            table.rebuilt_rows,
            if table.differing_periods.is_empty() {
                String::new()
            } else {
                format!("; periods {}", table.differing_periods.join(", "))
            }
        );
    }
    Ok(if report.identical { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The full blue-green rebuild.
async fn rebuild(global: &GlobalArgs, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    use perfledger_replay::rebuild::{replay, Start};
    let start = match (args.resume, args.restart) {
        (true, _) => Start::Resume,
        (_, true) => Start::Restart,
        _ => Start::Fresh,
    };
    let db = super::open_database(global).await?;
    let mut bars = StepBars::for_projectors("replay");
    let started = std::time::Instant::now();
    let result = replay(&db.pool, args.batch_size, start, args.dry_run, &mut |step| bars.step(step)).await;
    bars.finish();
    db.close().await;
    let report = result?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "head": report.head,
            "switched": report.switched,
            "resumed": report.resumed,
            "weeks_scored_early": report.weeks_scored_early,
            "seconds": seconds,
            "identical_to_serving": report.comparison.as_ref().map(|c| c.identical),
            "tables": report.comparison.as_ref().map(|c| &c.tables),
        }))?
    );
    if let Some(comparison) = report.comparison.as_ref().filter(|c| !c.identical) {
        for table in comparison.tables.iter().filter(|t| !t.identical()) {
            eprintln!("replay --dry-run: {} differs from the serving version", table.table);
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
