//! Voiding an event (issue 14): finds the event, appends `log.event_voided`
//! through its aggregate (one void per position) and says which projectors
//! had already applied it. The CLI (`perfledger events void`) and the admin
//! API call this one function.

use chrono::Utc;
use perfledger_domain::voids::{VoidAggregate, VoidEvent};
use perfledger_domain::Rejection;
use serde::Serialize;
use sqlx::PgPool;

use crate::commands::{execute, CommandError};

/// Which event to void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoidTarget {
    /// The CRM's `event_id` (or perfledger's own, as `/healthz` shows it).
    EventId(String),
    /// The log position, as `/healthz` and `project --lag` show it.
    Position(i64),
}

/// A recorded void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Voided {
    pub position: i64,
    pub event_id: Option<String>,
    pub event_type: String,
    /// Projectors whose checkpoint had passed the event without stopping on
    /// it: they folded it before the void. On their next round they delete
    /// their rows and fold the log again without it (the reviews projector,
    /// whose rows drive provider calls, keeps it until `perfledger replay`).
    pub applied_before_void_by: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VoidError {
    /// No such event in the log (the field and the reason).
    #[error("{0}")]
    NotFound(Rejection),
    /// Bad input or a state rule (already voided, a void, no reason).
    #[error("{0}")]
    Rejected(Rejection),
    #[error("the event store failed: {0}")]
    Store(String),
}

impl From<sqlx::Error> for VoidError {
    fn from(e: sqlx::Error) -> Self {
        VoidError::Store(e.to_string())
    }
}

/// Appends the void of `target` by `actor` for `reason`.
pub async fn void_event(pool: &PgPool, target: &VoidTarget, reason: &str, actor: &str) -> Result<Voided, VoidError> {
    let found: Option<(i64, Option<String>, String)> = match target {
        VoidTarget::Position(position) => {
            sqlx::query_as(
                "SELECT global_position, coalesce(event_id, CASE WHEN json_typeof(payload) = 'object' THEN payload->>'event_id' END), event_type
                 FROM events WHERE global_position = $1",
            )
            .bind(position)
            .fetch_optional(pool)
            .await?
        }
        VoidTarget::EventId(id) => {
            // The CRM's ids are indexed; perfledger's own are found through a
            // stall that names them (the only place an operator sees one).
            let by_column =
                sqlx::query_as("SELECT global_position, event_id, event_type FROM events WHERE event_id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            match by_column {
                Some(row) => Some(row),
                None => {
                    sqlx::query_as(
                        "SELECT e.global_position, s.event_id, e.event_type FROM projector_stalls s
                         JOIN events e ON e.global_position = s.position WHERE s.event_id = $1 LIMIT 1",
                    )
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
                }
            }
        }
    };
    let Some((position, event_id, event_type)) = found else {
        let (field, what) = match target {
            VoidTarget::EventId(id) => ("event_id", format!("no event with event_id '{id}' is in the log")),
            VoidTarget::Position(p) => ("position", format!("no event is at position {p} of the log")),
        };
        return Err(VoidError::NotFound(Rejection::new(field, what)));
    };
    let command = VoidEvent {
        position,
        event_id: event_id.clone(),
        event_type: event_type.clone(),
        reason: reason.to_string(),
        actor: actor.to_string(),
        occurred_at: Utc::now(),
    };
    match execute::<VoidAggregate>(pool, &VoidAggregate::id(position), command).await {
        Ok(()) => {}
        Err(CommandError::Rejected(r)) => return Err(VoidError::Rejected(r)),
        Err(CommandError::Store(e)) => return Err(VoidError::Store(e)),
    }
    let applied_before_void_by: Vec<String> = sqlx::query_scalar(
        "SELECT c.projector FROM projector_checkpoints c
         WHERE c.position >= $1
           AND NOT EXISTS (SELECT 1 FROM projector_stalls s WHERE s.component = c.projector AND s.position = $1)
         ORDER BY 1",
    )
    .bind(position)
    .fetch_all(pool)
    .await?;
    tracing::warn!(position, event_id, event_type, actor, "event voided");
    Ok(Voided { position, event_id, event_type, applied_before_void_by })
}
