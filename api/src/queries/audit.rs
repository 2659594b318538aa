//! The audit reads (issue 16): the `audit_log` projection filtered by actor,
//! action and date, newest first, a page at a time; the actors it holds (the
//! page's filter); and every settings change with when it was recorded, by
//! whom and why (`settings_history` beside the event it came from). Actors
//! and targets that name a person or a goal are named from the directory
//! and the goals read model.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgPool;

/// A person id in text (an actor, a target's tail), matched before any cast.
const UUID_RE: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Which audit rows to read. `from` and `to` are whole UTC days, `to`
/// included; `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl AuditFilter {
    /// `[from 00:00, to + 1 day 00:00)` in UTC, each end optional.
    fn bounds(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        use perfledger_domain::period::midnight;
        (self.from.map(midnight), self.to.and_then(|d| d.succ_opt()).map(midnight))
    }
}

/// One audit row as read.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub global_position: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<String>,
    /// The actor's display name when the actor is a person of the directory.
    pub actor_name: Option<String>,
    pub action: String,
    pub target: String,
    /// A person target's name, or a goal's label and its person's name.
    pub target_name: Option<String>,
    pub model: Option<String>,
    /// `details.reason`, or the reason on the event itself (a settings change).
    pub reason: Option<String>,
    pub details: Value,
}

type AuditTuple = (
    i64,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    sqlx::types::Json<Value>,
);

/// The WHERE clause every audit read shares ($1 actor, $2 action, $3 from, $4 to).
const AUDIT_WHERE: &str = "($1::text IS NULL OR a.actor = $1)
    AND ($2::text IS NULL OR a.action = $2)
    AND ($3::timestamptz IS NULL OR a.occurred_at >= $3)
    AND ($4::timestamptz IS NULL OR a.occurred_at < $4)";

/// How many rows match `filter`.
pub async fn audit_count(pool: &PgPool, filter: &AuditFilter) -> Result<u64, sqlx::Error> {
    let (from, to) = filter.bounds();
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM audit_log a WHERE {AUDIT_WHERE}"))
        .bind(&filter.actor)
        .bind(&filter.action)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// `limit` rows matching `filter` from `offset`, newest (highest log
/// position) first.
pub async fn audit_rows(
    pool: &PgPool,
    filter: &AuditFilter,
    limit: u32,
    offset: u64,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    audit_rows_where(pool, filter, None, limit, offset).await
}

/// `limit` rows matching `filter` below log position `before` (all when
/// `None`), newest first: an export's next page, which rows recorded
/// meanwhile cannot shift.
pub async fn audit_rows_before(
    pool: &PgPool,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    audit_rows_where(pool, filter, Some(before.unwrap_or(i64::MAX)), limit, 0).await
}

async fn audit_rows_where(
    pool: &PgPool,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    let (from, to) = filter.bounds();
    let sql = format!(
        "SELECT a.global_position, a.occurred_at, a.actor,
                (SELECT p.display_name FROM directory_people p
                  WHERE p.person_id = CASE WHEN a.actor ~ '{UUID_RE}' THEN a.actor::uuid END),
                a.action, a.target,
                CASE
                  WHEN a.target LIKE 'person:%' THEN
                    (SELECT p.display_name FROM directory_people p
                      WHERE p.person_id = CASE WHEN substr(a.target, 8) ~ '{UUID_RE}' THEN substr(a.target, 8)::uuid END)
                  WHEN a.target LIKE 'goal:%' THEN
                    (SELECT g.label || ' (' || coalesce(p.display_name, g.person_id::text) || ')'
                       FROM agent_performance_goals g LEFT JOIN directory_people p USING (person_id)
                      WHERE g.id = CASE WHEN substr(a.target, 6) ~ '{UUID_RE}' THEN substr(a.target, 6)::uuid END)
                END,
                a.model,
                coalesce(a.details->>'reason',
                         CASE WHEN a.action = 'settings.changed' THEN
                           (SELECT e.payload->'body'->'data'->>'reason' FROM events e
                             WHERE e.global_position = a.global_position)
                         END),
                a.details
           FROM audit_log a
          WHERE {AUDIT_WHERE} AND ($7::bigint IS NULL OR a.global_position < $7)
          ORDER BY a.global_position DESC
          LIMIT $5 OFFSET $6"
    );
    let rows: Vec<AuditTuple> = sqlx::query_as(&sql)
        .bind(&filter.actor)
        .bind(&filter.action)
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .bind(before)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(global_position, occurred_at, actor, actor_name, action, target, target_name, model, reason, details)| {
                AuditRecord {
                    global_position,
                    occurred_at,
                    actor,
                    actor_name,
                    action,
                    target,
                    target_name,
                    model,
                    reason,
                    details: details.0,
                }
            },
        )
        .collect())
}

/// The most actors the filter lists.
pub const MAX_ACTORS: i64 = 500;

/// Every actor of the audit log (at most [`MAX_ACTORS`]) with its display
/// name when it is a person, by name then id.
pub async fn audit_actors(pool: &PgPool) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT a.actor,
                (SELECT p.display_name FROM directory_people p
                  WHERE p.person_id = CASE WHEN a.actor ~ '{UUID_RE}' THEN a.actor::uuid END) AS name
           FROM (SELECT DISTINCT actor FROM audit_log WHERE actor IS NOT NULL) a
          ORDER BY name NULLS LAST, a.actor
          LIMIT {MAX_ACTORS}"
    ))
    .fetch_all(pool)
    .await
}

/// One settings change as read (D10): the values as the event holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsChangeRecord {
    pub global_position: i64,
    /// When the log recorded it (the event's `occurred_at` if the row has none).
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub actor_name: Option<String>,
    /// The reason given with the change, when the event carries one.
    pub reason: Option<String>,
    pub effective_from: NaiveDate,
    pub changes: BTreeMap<String, Value>,
}

type SettingsTuple =
    (i64, DateTime<Utc>, String, Option<String>, Option<String>, NaiveDate, sqlx::types::Json<BTreeMap<String, Value>>);

/// Every settings change of the read model (voided ones are not in it), in
/// log order: the order they take effect in (D10).
pub async fn settings_changes(pool: &PgPool) -> Result<Vec<SettingsChangeRecord>, sqlx::Error> {
    let rows: Vec<SettingsTuple> = sqlx::query_as(&format!(
        "SELECT h.global_position, coalesce(e.recorded_at, h.occurred_at), h.actor,
                (SELECT p.display_name FROM directory_people p
                  WHERE p.person_id = CASE WHEN h.actor ~ '{UUID_RE}' THEN h.actor::uuid END),
                e.payload->'body'->'data'->>'reason',
                h.effective_from, h.changes
           FROM settings_history h LEFT JOIN events e ON e.global_position = h.global_position
          ORDER BY h.global_position"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(global_position, recorded_at, actor, actor_name, reason, effective_from, changes)| {
            SettingsChangeRecord {
                global_position,
                recorded_at,
                actor,
                actor_name,
                reason,
                effective_from,
                changes: changes.0,
            }
        })
        .collect())
}
