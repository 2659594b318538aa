//! `perfledger replay --from-week W --to-week W` and `perfledger backfill`:
//! targeted, idempotent rescoring (issue 4); `perfledger verify`: rebuild
//! and compare. Each prints JSON.

use std::process::ExitCode;

use chrono::Utc;
use perfledger_domain::period::{iso_week_label, parse_iso_week};
use serde_json::json;

use crate::config::{BackfillArgs, GlobalArgs, ReplayArgs};

pub async fn replay(global: &GlobalArgs, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let first = parse_iso_week(&args.from_week).map_err(|e| anyhow::anyhow!("--from-week: {e}"))?;
    let last = parse_iso_week(&args.to_week).map_err(|e| anyhow::anyhow!("--to-week: {e}"))?;
    if first > last {
        anyhow::bail!("--from-week: {} is after --to-week {}", args.from_week, args.to_week);
    }
    let db = super::open_database(global).await?;
    let result = perfledger_replay::rescore::rescore_weeks(&db.pool, args.batch_size, first, last, Utc::now()).await;
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
    let result = perfledger_replay::verify::verify(&db.pool, args.batch_size).await;
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
