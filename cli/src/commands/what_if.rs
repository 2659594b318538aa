//! `perfledger what-if --weights FILE.json [--team-type T] --period W | --last-weeks N`:
//! scores under proposed weights next to the settings in force, writes
//! nothing, and prints the biggest composite changes, rank changes and flag
//! crossings (D10).

use std::process::ExitCode;

use anyhow::Context;
use chrono::{Days, Utc};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::period::{iso_week_label, parse_iso_week, week_start};
use perfledger_replay::what_if::{proposed_changes, what_if, WhatIfReport};

use crate::config::{GlobalArgs, WhatIfArgs};

pub async fn run(global: &GlobalArgs, args: WhatIfArgs) -> anyhow::Result<ExitCode> {
    // Every input is checked before a database is opened or started.
    let text = std::fs::read_to_string(&args.weights)
        .with_context(|| format!("--weights: cannot read {}", args.weights.display()))?;
    let proposal: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("--weights: {} is not JSON ({e})", args.weights.display()))?;
    let team_type = match &args.team_type {
        None => None,
        Some(t) => Some(serde_json::from_value::<TeamType>(serde_json::json!(t)).map_err(|_| {
            anyhow::anyhow!(
                "--team-type: '{t}' is not a team type; expected operations, support, field_service, sales or other"
            )
        })?),
    };
    let changes = proposed_changes(&proposal, team_type).map_err(|r| anyhow::anyhow!("--weights: {r}"))?;
    let weeks = match (&args.period, args.last_weeks) {
        (Some(p), _) => vec![parse_iso_week(p).map_err(|e| anyhow::anyhow!("--period: {e}"))?],
        (None, Some(n)) => {
            let this_week = week_start(Utc::now());
            (1..=u64::from(n)).rev().map(|i| this_week - Days::new(7 * i)).collect()
        }
        (None, None) => anyhow::bail!("give --period or --last-weeks"),
    };

    let db = super::open_database(global).await?;
    let report = what_if(&db.pool, changes, team_type, &weeks, args.top as usize).await;
    db.close().await;
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(report: &WhatIfReport) {
    let first = report.weeks.first().map(|w| iso_week_label(*w)).unwrap_or_default();
    let last = report.weeks.last().map(|w| iso_week_label(*w)).unwrap_or_default();
    println!(
        "what-if over {first}..{last}: {} people scored, {} person-weeks change; nothing was written",
        report.people_scored, report.changed
    );
    println!();
    println!("{:<28} {:<9} {:>8} {:>8} {:>7} {:>11}", "person", "week", "now", "proposed", "delta", "rank");
    for c in &report.biggest_changes {
        let name = c.display_name.clone().unwrap_or_else(|| c.person_id.to_string());
        println!(
            "{:<28} {:<9} {:>8} {:>8} {:>+7} {:>5} → {:<4}",
            truncate(&name, 28),
            iso_week_label(c.week),
            c.current,
            c.proposed,
            c.delta,
            c.current_rank,
            c.proposed_rank
        );
    }
    for (title, list) in [("newly flagged", &report.newly_flagged), ("no longer flagged", &report.no_longer_flagged)] {
        println!();
        println!("{title}: {}", list.len());
        for c in list.iter().take(50) {
            let name = c.display_name.clone().unwrap_or_else(|| c.person_id.to_string());
            println!("  {} {} {} → {}", truncate(&name, 28), iso_week_label(c.week), c.current, c.proposed);
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max - 1).chain(['…']).collect()
    }
}
