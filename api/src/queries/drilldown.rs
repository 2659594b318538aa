//! The events behind one stored score (D11): the events of the week, within
//! the score row's `first_position..=last_position`, credited to the person
//! in the domain (`credits`, the same rule the accumulators fold with).

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::event::decode;
use perfledger_domain::period::{midnight, week_start_of_day};
use perfledger_domain::scoring::accumulate::credits;
use perfledger_domain::scoring::Domain;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::{check_limit, paginate, Page};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub global_position: i64,
    /// The CRM's event_id.
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    /// The stored (enriched) event data.
    pub data: Value,
}

/// The events behind the `domain` score of `person_id` for the week starting
/// `week_start` (a Monday), in log order, paginated. `None` when there is no
/// such score row (the handler's 404).
pub async fn drilldown(
    pool: &PgPool,
    person_id: Uuid,
    week_start: NaiveDate,
    domain: Domain,
    limit: u32,
    offset: u64,
) -> Result<Option<Page<EventRow>>, AppError> {
    check_limit(limit)?;
    if week_start_of_day(week_start) != week_start {
        return Err(AppError::invalid_parameter(
            "week",
            format!("{week_start} is not a Monday; a week starts on Monday"),
        ));
    }
    let Some(events) = credited_events(pool, person_id, week_start, week_start + Days::new(7), domain).await? else {
        return Ok(None);
    };
    Ok(Some(paginate(events, limit, offset)))
}

/// Every event of `[start, end)` credited to `person_id` in `domain`, in log
/// order, read within the positions of the person's stored `domain` score
/// rows of the weeks the days fall in (a week, or any range: the events
/// behind a range scored on read are the same events). `None` when no such
/// score row exists.
pub async fn credited_events(
    pool: &PgPool,
    person_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    domain: Domain,
) -> Result<Option<Vec<EventRow>>, AppError> {
    let row: (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT min(first_position), max(last_position) FROM agent_performance_scores
         WHERE person_id = $1 AND score_period_start >= $2 AND score_period_start < $3 AND domain = $4",
    )
    .bind(person_id)
    .bind(midnight(week_start_of_day(start)))
    .bind(midnight(end))
    .bind(domain.as_str())
    .fetch_one(pool)
    .await?;
    let (Some(first), Some(last)) = row else { return Ok(None) };
    let (start, end) = (midnight(start), midnight(end));

    // A credited event names the person in its payload: the text match only
    // narrows the scan, `credits` decides.
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT global_position, event_type, event_version, payload::text FROM events
         WHERE global_position BETWEEN $1 AND $2 AND payload::text ILIKE $3
         ORDER BY global_position",
    )
    .bind(first)
    .bind(last)
    .bind(format!("%{person_id}%"))
    .fetch_all(pool)
    .await?;
    let mut events = Vec::new();
    for (position, kind, version, payload) in rows {
        let event = decode(&kind, &version, &payload)
            .map_err(|e| AppError::unreadable(format!("event at global_position {position}: {e}")))?;
        if event.occurred_at < start || event.occurred_at >= end {
            continue;
        }
        if !credits(&event).contains(&(person_id, domain)) {
            continue;
        }
        let body = serde_json::to_value(&event.body)
            .map_err(|e| AppError::unreadable(format!("event at global_position {position}: {e}")))?;
        events.push(EventRow {
            global_position: position,
            event_id: event.event_id.clone(),
            event_type: event.body.type_name().to_string(),
            occurred_at: event.occurred_at,
            data: body.get("data").cloned().unwrap_or(Value::Null),
        });
    }
    Ok(Some(events))
}
