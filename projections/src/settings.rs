//! The settings read model (D10): every `settings.changed`, in log order.
//! The settings in force for a period are folded from it on read; a change
//! marks every week from its `effective_from` for rescoring.

use async_trait::async_trait;
use chrono::NaiveDate;
use perfledger_domain::event::EventBody;
use perfledger_domain::period::first_week_from;
use perfledger_domain::settings::{Settings, SettingsChanged, SettingsHistory};
use sqlx::{PgConnection, PgExecutor};

use crate::dirty::mark_weeks_from;
use crate::runner::{Decoded, Projector, Result};

pub const NAME: &str = "settings";

pub struct SettingsProjector;

#[async_trait]
impl Projector for SettingsProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn reset(&mut self, tx: &mut PgConnection) -> Result<bool> {
        sqlx::query("DELETE FROM settings_history").execute(&mut *tx).await?;
        Ok(true)
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        for d in events {
            if let EventBody::SettingsChanged(change) = &d.event.body {
                sqlx::query(
                    "INSERT INTO settings_history (global_position, actor, changes, effective_from, occurred_at, reason)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(d.position)
                .bind(&change.actor)
                .bind(sqlx::types::Json(&change.changes))
                .bind(change.effective_from)
                .bind(d.event.occurred_at)
                .bind(&change.reason)
                .execute(&mut *tx)
                .await?;
                mark_weeks_from(tx, first_week_from(change.effective_from)).await?;
            }
        }
        Ok(())
    }
}

/// Every settings change so far, in log order.
pub async fn load_history(executor: impl PgExecutor<'_>) -> Result<SettingsHistory> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        sqlx::types::Json<std::collections::BTreeMap<String, serde_json::Value>>,
        NaiveDate,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT global_position, actor, changes, effective_from, reason FROM settings_history ORDER BY global_position",
    )
    .fetch_all(executor)
    .await?;
    let mut history = SettingsHistory::default();
    for (position, actor, changes, effective_from, reason) in rows {
        history.push(position, SettingsChanged { actor, changes: changes.0, effective_from, reason });
    }
    Ok(history)
}

/// The settings in force on `day`.
pub async fn in_force_at(executor: impl PgExecutor<'_>, day: NaiveDate) -> Result<Settings> {
    Ok(load_history(executor).await?.in_force_at(day))
}

/// The read model plus any change the projector has not folded yet, read
/// straight from the settings aggregate's stream: a `settings get` right
/// after a `settings set` sees the change.
pub async fn load_history_fresh(pool: &sqlx::PgPool) -> Result<SettingsHistory> {
    let mut history = load_history(pool).await?;
    let checkpoint = crate::runner::checkpoint(pool, NAME).await?;
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT global_position, event_type, event_version, payload::text FROM events
         WHERE aggregate_type = 'settings' AND global_position > $1 ORDER BY global_position",
    )
    .bind(checkpoint)
    .fetch_all(pool)
    .await?;
    for (position, kind, version, payload) in rows {
        let event = perfledger_domain::event::decode(&kind, &version, &payload)
            .map_err(|e| crate::runner::ProjectionError::Decode { position, reason: e.to_string() })?;
        if let EventBody::SettingsChanged(change) = event.body {
            history.push(position, change);
        }
    }
    Ok(history)
}
