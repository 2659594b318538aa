//! Stalls and voids (issue 14, D20). A projector that fails on an event the
//! same way every time stops at that event and says so in
//! `projector_stalls`, instead of retrying silently forever; the other
//! projectors go on. An operator frees it by voiding the event
//! (`log.event_voided`), which every projector then skips, live and on
//! replay alike.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_domain::voids::EVENT_VOIDED;
use serde::Serialize;
use sqlx::PgPool;

use crate::runner::{ProjectionError, Result};

/// The component name under which the scoring pass reports a week it cannot score.
pub const SCORING: &str = "scoring";

/// One stalled component, as `/healthz` and `project --lag` show it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Stall {
    pub component: String,
    /// The log position it stopped at (a projector).
    pub position: Option<i64>,
    /// The week it could not score (the scoring pass).
    pub week: Option<NaiveDate>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub error: String,
    pub since: DateTime<Utc>,
    pub attempts: i32,
}

/// Whether `error` would very likely recur on the same input: a data or
/// constraint error from PostgreSQL, an event that cannot be read, a panic.
/// A lost connection, a pool timeout, a serialisation failure or a
/// shutdown are transient: the round is simply retried.
pub fn is_deterministic(error: &ProjectionError) -> bool {
    match error {
        ProjectionError::Database(sqlx::Error::Database(db)) => {
            let code = db.code().unwrap_or_default();
            // 08 connection, 40 transaction rollback (serialisation,
            // deadlock), 53 insufficient resources, 57 operator
            // intervention (shutdown, cancel), 58 system error.
            !["08", "40", "53", "57", "58"].iter().any(|class| code.starts_with(class))
        }
        ProjectionError::Database(
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::TypeNotFound { .. },
        ) => true,
        ProjectionError::Database(_) => false,
        ProjectionError::Decode { .. } | ProjectionError::Panic(_) | ProjectionError::Other(_) => true,
    }
}

/// Records (or refreshes) the stall of a projector at `position`, naming
/// the event there.
pub async fn record_at_position(pool: &PgPool, component: &str, position: i64, error: &str) -> Result<()> {
    // A payload that is not an object still stalls with its position.
    let named: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT coalesce(event_id, CASE WHEN json_typeof(payload) = 'object' THEN payload->>'event_id' END), event_type
         FROM events WHERE global_position = $1",
    )
    .bind(position)
    .fetch_optional(pool)
    .await?;
    let (event_id, event_type) = named.map_or((None, None), |(id, ty)| (id, Some(ty)));
    upsert(pool, component, Some(position), None, event_id, event_type, error).await
}

/// Records the stall of the scoring pass on `week`.
pub async fn record_week(pool: &PgPool, week: NaiveDate, error: &str) -> Result<()> {
    upsert(pool, SCORING, None, Some(week), None, None, error).await
}

async fn upsert(
    pool: &PgPool,
    component: &str,
    position: Option<i64>,
    week: Option<NaiveDate>,
    event_id: Option<String>,
    event_type: Option<String>,
    error: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO projector_stalls (component, position, week, event_id, event_type, error)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (component) DO UPDATE SET
             attempts = CASE WHEN projector_stalls.position IS NOT DISTINCT FROM EXCLUDED.position
                              AND projector_stalls.week IS NOT DISTINCT FROM EXCLUDED.week
                             THEN projector_stalls.attempts + 1 ELSE 1 END,
             since = CASE WHEN projector_stalls.position IS NOT DISTINCT FROM EXCLUDED.position
                           AND projector_stalls.week IS NOT DISTINCT FROM EXCLUDED.week
                          THEN projector_stalls.since ELSE now() END,
             position = EXCLUDED.position, week = EXCLUDED.week, event_id = EXCLUDED.event_id,
             event_type = EXCLUDED.event_type, error = EXCLUDED.error",
    )
    .bind(component)
    .bind(position)
    .bind(week)
    .bind(event_id)
    .bind(event_type)
    .bind(truncate(error))
    .execute(pool)
    .await?;
    Ok(())
}

/// Errors are shown on /healthz: keep them readable.
fn truncate(error: &str) -> String {
    let clean: String = error.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match clean.char_indices().nth(1_000) {
        Some((at, _)) => format!("{}…", &clean[..at]),
        None => clean,
    }
}

/// Forgets the stall of `component` (it moved on, or its week scored).
pub async fn clear(pool: &PgPool, component: &str) -> Result<()> {
    sqlx::query("DELETE FROM projector_stalls WHERE component = $1").bind(component).execute(pool).await?;
    Ok(())
}

/// Every stall, by component.
pub async fn list(pool: &PgPool) -> Result<Vec<Stall>> {
    Ok(sqlx::query_as(
        "SELECT component, position, week, event_id, event_type, error, since, attempts
         FROM projector_stalls ORDER BY component",
    )
    .fetch_all(pool)
    .await?)
}

/// The positions voided so far, each with the position of its void, read
/// from the log itself (so a replay knows every void, also the ones after
/// the event they void). A void whose payload cannot be read voids nothing
/// and is logged.
pub async fn voided_positions(pool: &PgPool) -> Result<BTreeMap<i64, i64>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT global_position, event_version, payload::text FROM events WHERE event_type = $1 ORDER BY 1",
    )
    .bind(EVENT_VOIDED)
    .fetch_all(pool)
    .await?;
    let mut voided = BTreeMap::new();
    for (position, version, payload) in rows {
        match perfledger_domain::event::decode(EVENT_VOIDED, &version, &payload) {
            Ok(event) => {
                if let perfledger_domain::EventBody::EventVoided(v) = event.body {
                    voided.entry(v.position).or_insert(position);
                }
            }
            Err(e) => tracing::error!(position, error = %e, "a void cannot be read; it voids nothing"),
        }
    }
    Ok(voided)
}

/// Whether a projector at `checkpoint` folded a voided event before its
/// void existed: it is past the event and not yet past the void. (In a
/// replay from 0 it never is: every void is known before the event is
/// met.) Such a projector refolds from position 0 without the event.
pub fn folded_before_void(voids: &BTreeMap<i64, i64>, checkpoint: i64) -> Option<i64> {
    voids.iter().find(|(event, void)| **event <= checkpoint && checkpoint < **void).map(|(event, _)| *event)
}
