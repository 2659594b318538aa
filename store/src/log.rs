//! Reading the log in its global order (D2).

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

/// One row of the log, payload left as JSON text for the reader to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub global_position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub recorded_at: DateTime<Utc>,
}

/// The columns of a log row a projection reads: the payload and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPayload {
    pub global_position: i64,
    /// The body's type, kept in its own column: the decoder reads the
    /// payload in one pass when it knows the type up front.
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub recorded_at: DateTime<Utc>,
}

/// The payloads after `position`, in log order: [`read_after`] without the
/// aggregate columns, which the projections never read (a replay reads
/// every row, so every column left out counts).
pub async fn read_payloads_after(
    executor: impl PgExecutor<'_>,
    position: i64,
    limit: i64,
) -> Result<Vec<LogPayload>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT global_position, event_type, event_version, payload::text, recorded_at
         FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2",
    )
    .bind(position)
    .bind(limit)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(global_position, event_type, event_version, payload, recorded_at)| LogPayload {
            global_position,
            event_type,
            event_version,
            payload,
            recorded_at,
        })
        .collect())
}

/// The position of the last committed event (0 for an empty log).
pub async fn head(executor: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT position FROM log_head").fetch_one(executor).await
}

/// Up to `limit` committed events after `position`, in global order. Because
/// positions are handed out in commit order (see migrations/0001), a reader
/// that resumes from the last position it saw never skips an event.
pub async fn read_after(
    executor: impl PgExecutor<'_>,
    position: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT global_position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                payload::text AS payload, recorded_at
         FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2",
    )
    .bind(position)
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(StoredEvent {
                global_position: row.try_get("global_position")?,
                aggregate_type: row.try_get("aggregate_type")?,
                aggregate_id: row.try_get("aggregate_id")?,
                sequence: row.try_get("sequence")?,
                event_type: row.try_get("event_type")?,
                event_version: row.try_get("event_version")?,
                payload: row.try_get("payload")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        })
        .collect()
}

/// Why an entity's history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored event of the entity does not decode (`sequence` names it).
    #[error("event {sequence} of {aggregate_type} {aggregate_id} is unreadable: {error}")]
    Unreadable { aggregate_type: String, aggregate_id: String, sequence: i64, error: String },
}

/// Every event of one entity, in its own order, read through
/// `domain::event::decode` (upcasting old versions, D5): for loaders that
/// rebuild an aggregate outside cqrs-es (a goal, a review).
pub async fn entity_history(
    executor: impl PgExecutor<'_>,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<perfledger_domain::LogEvent>, HistoryError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT sequence, event_type, event_version, payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(sequence, event_type, version, payload)| {
            perfledger_domain::event::decode(&event_type, &version, &payload).map_err(|e| HistoryError::Unreadable {
                aggregate_type: aggregate_type.to_string(),
                aggregate_id: aggregate_id.to_string(),
                sequence,
                error: e.to_string(),
            })
        })
        .collect()
}
