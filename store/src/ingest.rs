//! The ingest writer: validated CRM activity into the log, in bulk.
//!
//! A batch is applied in order against the current state of every entity it
//! touches (so one batch may open and resolve the same ticket). Accepted
//! events are written with one reservation of positions on the head counter
//! and `COPY`, in one transaction, together with their dedupe rows. Refused
//! items write nothing. A concurrent writer that touched the same entity or
//! event_id first makes the COPY fail on a unique key; the batch is then
//! re-planned from fresh state, so no check is ever skipped.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use perfledger_domain::aggregates::EntityState;
use perfledger_domain::{Activity, EntityKind, EntityRef, ItemRejection, LogEvent};
use serde::Serialize;
use sqlx::{PgPool, Row};

use crate::copy_text::{push_int, push_text};

/// How often a batch is re-planned after losing a race with another writer.
const MAX_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedItem {
    /// Zero-based position of the item in the batch (or line number − 1 in a file).
    pub index: usize,
    pub event_id: Option<String>,
    /// The field path, e.g. `data.rating`.
    pub field: String,
    /// `field: reason`.
    pub error: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<RejectedItem>,
    /// The global positions written, when anything was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_position: Option<i64>,
}

impl IngestReport {
    /// Folds another batch's report into this one, shifting its indexes by `offset`.
    pub fn merge(&mut self, other: IngestReport, offset: usize) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected.extend(other.rejected.into_iter().map(|mut r| {
            r.index += offset;
            r
        }));
        self.first_position = self.first_position.or(other.first_position);
        self.last_position = other.last_position.or(self.last_position);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("database error while ingesting: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the log holds an unreadable event for {kind} '{id}': {reason}")]
    CorruptLog { kind: &'static str, id: String, reason: String },
    #[error("gave up after {MAX_ATTEMPTS} attempts: other writers kept changing the same entities")]
    Contention,
}

/// One planned row of the log.
struct Planned {
    entity: EntityRef,
    sequence: i64,
    event: LogEvent,
}

/// The fate of one item of a batch.
enum Outcome {
    Accepted,
    Duplicate,
    Rejected(RejectedItem),
}

#[derive(Clone)]
pub struct Ingestor {
    pool: PgPool,
    /// Written into each row's metadata: where the event came from.
    source: &'static str,
}

impl Ingestor {
    pub fn new(pool: PgPool, source: &'static str) -> Self {
        Ingestor { pool, source }
    }

    /// Ingests one batch. Database failures fail the whole batch and write
    /// nothing; item problems are reported per item.
    pub async fn ingest(&self, items: &[Result<Activity, ItemRejection>]) -> Result<IngestReport, IngestError> {
        for attempt in 1..=MAX_ATTEMPTS {
            match self.try_ingest(items).await {
                Err(IngestError::Database(err)) if is_unique_violation(&err) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, "ingest batch lost a race; re-planning");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                Err(IngestError::Database(err)) if is_unique_violation(&err) => return Err(IngestError::Contention),
                other => return other,
            }
        }
        Err(IngestError::Contention)
    }

    async fn try_ingest(&self, items: &[Result<Activity, ItemRejection>]) -> Result<IngestReport, IngestError> {
        let activities: Vec<&Activity> = items.iter().filter_map(|i| i.as_ref().ok()).collect();
        let known = self.known_event_ids(&activities).await?;
        let mut states = self.load_states(&activities, &known).await?;

        let mut report = IngestReport::default();
        let mut planned: Vec<Planned> = Vec::with_capacity(activities.len());
        let mut seen_in_batch: HashSet<&str> = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let outcome = match item {
                Err(rejected) => Outcome::Rejected(rejected_item(index, rejected)),
                Ok(activity) => {
                    if known.contains(activity.event_id.as_str()) || seen_in_batch.contains(activity.event_id.as_str())
                    {
                        Outcome::Duplicate
                    } else {
                        let entity = activity.data.entity();
                        let (state, sequence) =
                            states.entry(entity.clone()).or_insert_with(|| (EntityState::new(entity.kind), 0));
                        match state.decide(activity) {
                            Ok(event) => {
                                state.evolve(&event);
                                *sequence += 1;
                                seen_in_batch.insert(activity.event_id.as_str());
                                planned.push(Planned { entity, sequence: *sequence, event });
                                Outcome::Accepted
                            }
                            Err(rejection) => Outcome::Rejected(RejectedItem {
                                index,
                                event_id: Some(activity.event_id.clone()),
                                field: rejection.field.clone(),
                                error: rejection.to_string(),
                            }),
                        }
                    }
                }
            };
            match outcome {
                Outcome::Accepted => report.accepted += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Rejected(item) => report.rejected.push(item),
            }
        }
        if !planned.is_empty() {
            let (first, last) = self.write(&planned).await?;
            report.first_position = Some(first);
            report.last_position = Some(last);
        }
        Ok(report)
    }

    async fn known_event_ids(&self, activities: &[&Activity]) -> Result<HashSet<String>, sqlx::Error> {
        if activities.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<&str> = activities.iter().map(|a| a.event_id.as_str()).collect();
        let rows: Vec<String> = sqlx::query_scalar("SELECT event_id FROM ingest_dedupe WHERE event_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Folds the history of every entity the batch touches.
    async fn load_states(
        &self,
        activities: &[&Activity],
        known: &HashSet<String>,
    ) -> Result<HashMap<EntityRef, (EntityState, i64)>, IngestError> {
        let entities: HashSet<EntityRef> =
            activities.iter().filter(|a| !known.contains(a.event_id.as_str())).map(|a| a.data.entity()).collect();
        let mut states = HashMap::with_capacity(entities.len());
        if entities.is_empty() {
            return Ok(states);
        }
        let (kinds, ids): (Vec<&str>, Vec<&str>) = entities.iter().map(|e| (e.kind.as_str(), e.id.as_str())).unzip();
        let mut rows = sqlx::query(
            "SELECT e.aggregate_type, e.aggregate_id, e.sequence, e.event_version, e.payload::text AS payload
             FROM events e
             JOIN unnest($1::text[], $2::text[]) AS k(aggregate_type, aggregate_id)
               ON e.aggregate_type = k.aggregate_type AND e.aggregate_id = k.aggregate_id
             ORDER BY e.aggregate_type, e.aggregate_id, e.sequence",
        )
        .bind(&kinds)
        .bind(&ids)
        .fetch(&self.pool);
        use futures::TryStreamExt;
        while let Some(row) = rows.try_next().await? {
            let kind_name: String = row.try_get("aggregate_type")?;
            let id: String = row.try_get("aggregate_id")?;
            let sequence: i64 = row.try_get("sequence")?;
            let version: String = row.try_get("event_version")?;
            let payload: String = row.try_get("payload")?;
            let Some(kind) = EntityKind::parse(&kind_name) else {
                continue; // perfledger's own aggregates never share ids with catalog entities
            };
            let event = perfledger_domain::event::decode(&version, &payload).map_err(|e| IngestError::CorruptLog {
                kind: kind.as_str(),
                id: id.clone(),
                reason: e.to_string(),
            })?;
            let (state, last) = states.entry(EntityRef { kind, id }).or_insert_with(|| (EntityState::new(kind), 0));
            state.evolve(&event);
            *last = sequence;
        }
        Ok(states)
    }

    /// Reserves positions and copies the rows, in one transaction.
    async fn write(&self, planned: &[Planned]) -> Result<(i64, i64), sqlx::Error> {
        let metadata = format!("{{\"source\":\"{}\"}}", self.source);
        let mut tx = self.pool.begin().await?;
        let count = planned.len() as i64;
        let last: i64 = sqlx::query_scalar("UPDATE log_head SET position = position + $1 RETURNING position")
            .bind(count)
            .fetch_one(&mut *tx)
            .await?;
        let first = last - count + 1;

        let mut events = Vec::with_capacity(planned.len() * 400);
        let mut dedupe = Vec::with_capacity(planned.len() * 48);
        let mut payload = Vec::with_capacity(512);
        for (offset, row) in planned.iter().enumerate() {
            let position = first + offset as i64;
            payload.clear();
            serde_json::to_writer(&mut payload, &row.event).expect("events always serialize");
            let payload = std::str::from_utf8(&payload).expect("serde_json writes UTF-8");
            push_text(&mut events, row.entity.kind.as_str());
            events.push(b'\t');
            push_text(&mut events, &row.entity.id);
            events.push(b'\t');
            push_int(&mut events, row.sequence);
            events.push(b'\t');
            push_text(&mut events, row.event.body.type_name());
            events.push(b'\t');
            push_text(&mut events, perfledger_domain::event::EVENT_VERSION);
            events.push(b'\t');
            push_text(&mut events, payload);
            events.push(b'\t');
            push_text(&mut events, &metadata);
            events.push(b'\t');
            push_int(&mut events, position);
            events.push(b'\n');

            push_text(&mut dedupe, &row.event.event_id);
            dedupe.push(b'\t');
            push_int(&mut dedupe, position);
            dedupe.push(b'\n');
        }
        let mut copy = tx
            .copy_in_raw(
                "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, \
                 global_position) FROM STDIN",
            )
            .await?;
        copy.send(events).await?;
        copy.finish().await?;
        let mut copy = tx.copy_in_raw("COPY ingest_dedupe (event_id, global_position) FROM STDIN").await?;
        copy.send(dedupe).await?;
        copy.finish().await?;
        tx.commit().await?;
        Ok((first, last))
    }
}

fn rejected_item(index: usize, rejected: &ItemRejection) -> RejectedItem {
    RejectedItem {
        index,
        event_id: rejected.event_id.clone(),
        field: rejected.rejection.field.clone(),
        error: rejected.rejection.to_string(),
    }
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}
