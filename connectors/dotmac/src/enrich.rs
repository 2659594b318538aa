//! The extra source reads of a chunk: facts of entities seen for the first
//! time (a ticket's SLA due time, a conversation's channel), and the children
//! of parents that reach a terminal state in this read, so they land before
//! the terminal event (the contract refuses most events after it).

use std::collections::HashMap;

use sqlx::PgPool;

use crate::derive::{Enrich, Shadow, Ts};
use crate::rows::*;

/// One read source row: (id, watermark column, the row parsed or why not).
pub(crate) type Parsed = (String, Ts, Result<SourceRow, String>);

/// What `rows` of `table` need read besides themselves, given their
/// entities' shadows (by id).
pub(crate) async fn enrich(
    source: &PgPool,
    table: &str,
    rows: &[Parsed],
    shadows: &HashMap<String, Shadow>,
) -> Result<Enrich, sqlx::Error> {
    let mut enrich = Enrich::default();
    let terminal: &[&str] = match table {
        "tickets" => &["pending_confirmation", "closed"],
        "work_orders" => &["completed", "canceled"],
        "crm_conversations" => &["resolved", "resolved_to_ticket"],
        _ => return Ok(enrich),
    };
    let mut new: Vec<uuid::Uuid> = Vec::new();
    let mut closing: Vec<uuid::Uuid> = Vec::new();
    for (id, _, row) in rows {
        let shadow = shadows.get(id);
        let Ok(uuid) = id.parse::<uuid::Uuid>() else { continue };
        if !shadow.is_some_and(|s| s.created) {
            new.push(uuid);
        }
        let status = row.as_ref().ok().and_then(SourceRow::status);
        if status.is_some_and(|s| terminal.contains(&s)) && !shadow.is_some_and(|s| s.resolved) {
            closing.push(uuid);
        }
    }
    match table {
        "tickets" => {
            if !new.is_empty() {
                let due: Vec<(String, Option<Ts>)> =
                    sqlx::query_as(TICKET_SLA_DUE).bind(&new).fetch_all(source).await?;
                enrich.sla_due = due.into_iter().filter_map(|(id, d)| d.map(|d| (id, d))).collect();
            }
            if !closing.is_empty() {
                let rows: Vec<(String, String, Ts)> =
                    sqlx::query_as(TICKET_BREACHES).bind(&closing).fetch_all(source).await?;
                for (ticket, clock, at) in rows {
                    enrich.breaches.entry(ticket).or_default().push((clock, at));
                }
            }
        }
        "work_orders" => {
            if !closing.is_empty() {
                let rows: Vec<(String, String, Option<String>, i64, Ts)> =
                    sqlx::query_as(WORK_ORDER_NOTES).bind(&closing).fetch_all(source).await?;
                for (wo, note, author, chars, at) in rows {
                    enrich.notes.entry(wo).or_default().push((note, author, chars, at));
                }
            }
        }
        _ => {
            if !new.is_empty() {
                let channels: Vec<(String, String)> =
                    sqlx::query_as(CONVERSATION_CHANNEL).bind(&new).fetch_all(source).await?;
                enrich.channel = channels.into_iter().collect();
            }
            if !closing.is_empty() {
                let rows: Vec<(String, String, String, Option<String>, Ts)> =
                    sqlx::query_as(CONVERSATION_MESSAGES).bind(&closing).fetch_all(source).await?;
                for (conv, msg, direction, author, at) in rows {
                    enrich.messages.entry(conv).or_default().push((msg, direction, author, at));
                }
                let rows: Vec<(String, String, Option<String>, Ts)> =
                    sqlx::query_as(CONVERSATION_ASSIGNMENTS).bind(&closing).fetch_all(source).await?;
                for (conv, assignment, person, at) in rows {
                    enrich.assignments.entry(conv).or_default().push((assignment, person, at));
                }
                let rows: Vec<(String, Vec<String>, Ts)> =
                    sqlx::query_as(CONVERSATION_TAGS).bind(&closing).fetch_all(source).await?;
                for (conv, tags, at) in rows {
                    enrich.tags.insert(conv, (tags, at));
                }
            }
        }
    }
    Ok(enrich)
}
