//! `perfledger settings get|set|history` (D10). A change is a command on the
//! settings aggregate: it is validated against the seed's settings table,
//! recorded as a `settings.changed` event with its actor and
//! `effective_from`, and folded by the settings projection.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use perfledger_domain::aggregates::{ChangeSettings, SettingsAggregate, SETTINGS_AGGREGATE_ID};
use perfledger_domain::period::week_start;
use perfledger_projections::settings::load_history_fresh;
use perfledger_store::commands::{execute, CommandError};

use crate::config::{GlobalArgs, SettingsArgs, SettingsCommand};

pub async fn run(global: &GlobalArgs, args: SettingsArgs) -> anyhow::Result<ExitCode> {
    // Bad input is refused before any database is opened or started.
    if let SettingsCommand::Set { key, value, reason, .. } = &args.command {
        parse_change(key, value)?;
        if let Some(reason) = reason {
            perfledger_domain::aggregates::check_reason(reason).map_err(|r| anyhow::anyhow!("{r}"))?;
        }
    }
    let db = super::open_database(global).await?;
    let result = settings(&db.pool, args.command).await;
    db.close().await;
    result
}

fn parse_change(key: &str, value: &str) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    let parsed: serde_json::Value = serde_json::from_str(value).map_err(|e| {
        anyhow::anyhow!("VALUE for {key}: is not JSON ({e}); quote strings, e.g. '\"rules\"', and write maps as '{{\"support\": 30}}'")
    })?;
    let changes = BTreeMap::from([(key.to_string(), parsed)]);
    perfledger_domain::settings::validate_changes(&changes).map_err(|r| anyhow::anyhow!("{r}"))?;
    Ok(changes)
}

async fn settings(pool: &sqlx::PgPool, command: SettingsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SettingsCommand::Get { key, at, reveal_secrets } => {
            let day = at.unwrap_or_else(|| Utc::now().date_naive());
            let settings = load_history_fresh(pool).await?.in_force_at(day);
            let map = settings.to_json_map(reveal_secrets);
            match key {
                None => println!("{}", serde_json::to_string_pretty(&map)?),
                Some(key) => {
                    let value = map.get(&key).with_context(|| {
                        format!(
                            "settings.{key}: is not a setting; known settings are {}",
                            perfledger_domain::settings::SETTING_KEYS.join(", ")
                        )
                    })?;
                    println!("{}", serde_json::to_string_pretty(value)?);
                }
            }
        }
        SettingsCommand::Set { key, value, effective_from, actor, reason } => {
            let now = Utc::now();
            let effective_from = effective_from.unwrap_or_else(|| week_start(now));
            let command = ChangeSettings {
                actor,
                changes: parse_change(&key, &value)?,
                effective_from,
                reason,
                event_id: format!("settings.changed:{}", uuid::Uuid::new_v4()),
                occurred_at: now,
            };
            match execute::<SettingsAggregate>(pool, SETTINGS_AGGREGATE_ID, command).await {
                Ok(()) => println!("{key} changed, in force from {effective_from}; weeks from then will be rescored"),
                Err(CommandError::Rejected(r)) => anyhow::bail!("{r}"),
                Err(CommandError::Store(e)) => anyhow::bail!("the change was not recorded: {e}"),
            }
        }
        SettingsCommand::History => {
            for (position, change) in load_history_fresh(pool).await?.changes() {
                let mut change = serde_json::to_value(change)?;
                if let Some(changes) = change.get_mut("changes").and_then(|c| c.as_object_mut()) {
                    for secret in perfledger_domain::settings::SECRET_SETTING_KEYS {
                        if let Some(v) = changes.get_mut(*secret) {
                            if !v.is_null() {
                                *v = serde_json::json!("********");
                            }
                        }
                    }
                }
                println!("{}", serde_json::json!({"global_position": position, "change": change}));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
