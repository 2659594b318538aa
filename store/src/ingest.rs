//! The ingest writer: validated CRM activity into the log, in bulk.
//!
//! A batch is applied in order against the current state of every entity it
//! touches (so one batch may open and resolve the same ticket). Accepted
//! events are written with one reservation of positions on the head counter
//! and one `COPY`, in one transaction; the CRM's event_id is a unique column
//! of the log, so dedupe costs no second write. Refused
//! items write nothing. A concurrent writer that touched the same entity or
//! event_id first makes the COPY fail on a unique key; the batch is then
//! re-planned from fresh state, so no check is ever skipped.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use perfledger_domain::aggregates::EntityState;
use perfledger_domain::validate::OccurredWindow;
use perfledger_domain::{Activity, EntityKind, EntityRef, ItemRejection, LogEvent};
use serde::Serialize;
use sqlx::{PgPool, Row};

use perfledger_domain::event::version_of;

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

/// Entity states and event ids a planner remembers between batches, so a
/// long import does not reload what it just wrote. Only valid while this
/// process is the one writing those entities: a conflicting commit shows
/// up as a unique violation, and the caller then clears the cache.
#[derive(Default)]
pub struct PlanCache {
    states: HashMap<EntityRef, (EntityState, i64)>,
    /// Event ids of a planned batch that is not committed yet.
    in_flight: HashSet<String>,
    /// Assume an entity whose first activity in a batch creates it
    /// (`ticket.opened`, `task.created`, …) is new, and skip looking it up.
    /// If it did exist, the COPY fails on the log's primary key (its
    /// sequence 1 is taken) and the batch is re-planned without this.
    trust_creations: bool,
    /// Assume no event_id of a batch is in the log yet, and skip looking
    /// them up; a duplicate fails the COPY on `events_event_id`. For bulk
    /// imports of new data; [`PlanCache::distrust_event_ids`] ends it.
    trust_event_ids: bool,
}

impl PlanCache {
    /// A cache that trusts creations (see `trust_creations`).
    pub fn optimistic() -> Self {
        PlanCache { trust_creations: true, ..PlanCache::default() }
    }

    /// Also trusts event ids to be new (see `trust_event_ids`): for imports.
    pub fn optimistic_import() -> Self {
        PlanCache { trust_creations: true, trust_event_ids: true, ..PlanCache::default() }
    }

    /// Looks event ids up from now on (after a duplicate was found the hard way).
    pub fn distrust_event_ids(&mut self) {
        self.trust_event_ids = false;
    }

    pub fn clear(&mut self) {
        self.states.clear();
        self.in_flight.clear();
    }

    /// Marks `plan` as the one batch written but not yet committed.
    pub fn set_in_flight(&mut self, plan: &Plan) {
        self.in_flight = plan.rows.iter().map(|row| row.event.event_id.clone()).collect();
    }

    /// Bounds memory: past `max_entities`, forgets every entity but those of
    /// `keep` (a batch still in flight, whose events the database does not show yet).
    pub fn evict_beyond(&mut self, max_entities: usize, keep: Option<&Plan>) {
        if self.states.len() <= max_entities {
            return;
        }
        let keep: HashSet<&EntityRef> =
            keep.map(|plan| plan.rows.iter().map(|row| &row.entity).collect()).unwrap_or_default();
        self.states.retain(|entity, _| keep.contains(entity));
    }
}

/// A planned batch: what each item became, and the rows to write.
pub struct Plan {
    report: IngestReport,
    rows: Vec<Planned>,
    /// The rows in COPY text format, each without its position.
    encoded: Vec<u8>,
    row_ends: Vec<usize>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The events the plan writes, in order: (event_id, type), for a
    /// caller's own accounting (the DotMac connector's `by_type`).
    pub fn events(&self) -> impl Iterator<Item = (&str, &'static str)> + '_ {
        self.rows.iter().map(|row| (row.event.event_id.as_str(), row.event.body.type_name()))
    }

    /// The batch's report, once its rows are committed at `positions`.
    pub fn into_report(self, positions: Option<(i64, i64)>) -> IngestReport {
        let mut report = self.report;
        if let Some((first, last)) = positions {
            report.first_position = Some(first);
            report.last_position = Some(last);
        }
        report
    }
}

#[derive(Clone)]
pub struct Ingestor {
    pool: PgPool,
    /// Written into each row's metadata: where the event came from.
    source: &'static str,
    /// When an accepted activity may have happened, relative to receipt.
    window: OccurredWindow,
}

impl Ingestor {
    pub fn new(pool: PgPool, source: &'static str) -> Self {
        Ingestor { pool, source, window: OccurredWindow::default() }
    }

    /// The same writer with another `occurred_at` window (the
    /// `--earliest-occurred-at` / `--max-future-hours` settings).
    pub fn with_window(mut self, window: OccurredWindow) -> Self {
        self.window = window;
        self
    }

    /// Ingests one batch. Database failures fail the whole batch and write
    /// nothing; item problems are reported per item.
    pub async fn ingest(&self, items: &[Result<Activity, ItemRejection>]) -> Result<IngestReport, IngestError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let mut cache = if attempt == 1 { PlanCache::optimistic() } else { PlanCache::default() };
            let plan = self.plan(&mut cache, items).await?;
            match self.commit(&plan).await {
                Ok(positions) => return Ok(plan.into_report(positions)),
                Err(err) if is_conflict(&err) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, "ingest batch lost a race; re-planning");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                Err(err) if is_conflict(&err) => return Err(IngestError::Contention),
                Err(err) => return Err(err.into()),
            }
        }
        Err(IngestError::Contention)
    }

    /// Decides every item of a batch in order against the entities' current
    /// state (from `cache`, else from the log). Writes nothing.
    pub async fn plan(
        &self,
        cache: &mut PlanCache,
        items: &[Result<Activity, ItemRejection>],
    ) -> Result<Plan, IngestError> {
        let activities: Vec<&Activity> = items.iter().filter_map(|i| i.as_ref().ok()).collect();
        let known = if cache.trust_event_ids {
            HashSet::new()
        } else {
            self.known_event_ids(&activities, &cache.in_flight).await?
        };
        self.load_states(cache, &activities, &known).await?;

        let mut report = IngestReport::default();
        let mut rows: Vec<Planned> = Vec::with_capacity(activities.len());
        let mut seen_in_batch: HashSet<&str> = HashSet::new();
        // Receipt: the batch's items are checked against one clock reading.
        let received_at = chrono::Utc::now();
        for (index, item) in items.iter().enumerate() {
            let in_window = match item {
                Err(rejected) => Err(rejected_item(index, rejected)),
                Ok(activity) => {
                    self.window.check(activity, received_at).map(|()| activity).map_err(|rejection| RejectedItem {
                        index,
                        event_id: Some(activity.event_id.clone()),
                        field: rejection.field.clone(),
                        error: rejection.to_string(),
                    })
                }
            };
            let outcome = match in_window {
                Err(rejected) => Outcome::Rejected(rejected),
                Ok(activity) => {
                    let id = activity.event_id.as_str();
                    if known.contains(id) || cache.in_flight.contains(id) || seen_in_batch.contains(id) {
                        Outcome::Duplicate
                    } else {
                        let entity = activity.data.entity();
                        let (state, sequence) =
                            cache.states.entry(entity.clone()).or_insert_with(|| (EntityState::new(entity.kind), 0));
                        match state.decide(activity) {
                            Ok(event) => {
                                state.evolve(&event);
                                *sequence += 1;
                                seen_in_batch.insert(id);
                                rows.push(Planned { entity, sequence: *sequence, event });
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
        let metadata = format!("{{\"source\":\"{}\"}}", self.source);
        let mut encoded = Vec::with_capacity(rows.len() * 512);
        let mut row_ends = Vec::with_capacity(rows.len());
        let mut scratch = Vec::with_capacity(1024);
        for row in &rows {
            encode_row(&mut encoded, &mut scratch, &metadata, row);
            row_ends.push(encoded.len());
        }
        Ok(Plan { report, rows, encoded, row_ends })
    }

    /// Event ids of the batch the log already holds (in-flight ones are known already).
    async fn known_event_ids(
        &self,
        activities: &[&Activity],
        in_flight: &HashSet<String>,
    ) -> Result<HashSet<String>, sqlx::Error> {
        let ids: Vec<&str> =
            activities.iter().map(|a| a.event_id.as_str()).filter(|id| !in_flight.contains(*id)).collect();
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let rows: Vec<String> = sqlx::query_scalar("SELECT event_id FROM events WHERE event_id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Folds the history of every entity the batch touches that the cache lacks.
    async fn load_states(
        &self,
        cache: &mut PlanCache,
        activities: &[&Activity],
        known: &HashSet<String>,
    ) -> Result<(), IngestError> {
        let mut first_creates: HashMap<EntityRef, bool> = HashMap::new();
        for activity in activities.iter().filter(|a| !known.contains(a.event_id.as_str())) {
            first_creates.entry(activity.data.entity()).or_insert_with(|| activity.data.creates_entity());
        }
        let entities: HashSet<EntityRef> = first_creates
            .into_iter()
            .filter(|(entity, creates)| {
                let cached = cache.states.contains_key(entity);
                let assumed_new = cache.trust_creations && *creates;
                !cached && !assumed_new
            })
            .map(|(entity, _)| entity)
            .collect();
        if entities.is_empty() {
            return Ok(());
        }
        let (kinds, ids): (Vec<&str>, Vec<&str>) = entities.iter().map(|e| (e.kind.as_str(), e.id.as_str())).unzip();
        let mut rows = sqlx::query(
            "SELECT e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload::text AS payload
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
            let event_type: String = row.try_get("event_type")?;
            let version: String = row.try_get("event_version")?;
            let payload: String = row.try_get("payload")?;
            let Some(kind) = EntityKind::parse(&kind_name) else {
                continue; // perfledger's own aggregates never share ids with catalog entities
            };
            let event = perfledger_domain::event::decode(&event_type, &version, &payload)
                .map_err(|e| IngestError::CorruptLog { kind: kind.as_str(), id: id.clone(), reason: e.to_string() })?;
            let (state, last) =
                cache.states.entry(EntityRef { kind, id }).or_insert_with(|| (EntityState::new(kind), 0));
            state.evolve(&event);
            *last = sequence;
        }
        Ok(())
    }

    /// Reserves positions and copies the plan's rows, in one transaction.
    /// Returns the positions written, or `None` for a plan with no rows.
    pub async fn commit(&self, plan: &Plan) -> Result<Option<(i64, i64)>, sqlx::Error> {
        if plan.rows.is_empty() {
            return Ok(None);
        }
        let mut tx = self.pool.begin().await?;
        let count = plan.rows.len() as i64;
        let last: i64 = sqlx::query_scalar("UPDATE log_head SET position = position + $1 RETURNING position")
            .bind(count)
            .fetch_one(&mut *tx)
            .await?;
        let first = last - count + 1;
        // Rows were encoded while planning; only their positions are new.
        let mut data = Vec::with_capacity(plan.encoded.len() + plan.rows.len() * 12);
        let mut start = 0;
        for (offset, end) in plan.row_ends.iter().enumerate() {
            data.extend_from_slice(&plan.encoded[start..*end]);
            push_int(&mut data, first + offset as i64);
            data.push(b'\n');
            start = *end;
        }
        let mut copy = tx.copy_in_raw(COPY_EVENTS).await?;
        copy.send(data).await?;
        copy.finish().await?;
        tx.commit().await?;
        Ok(Some((first, last)))
    }
}

/// The log's columns as the bulk path writes them; `global_position` last,
/// because it is only known at commit.
const COPY_EVENTS: &str = "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
                           metadata, event_id, global_position) FROM STDIN";

/// Appends one row of [`COPY_EVENTS`] without its position (the caller adds
/// it and the newline at commit).
fn encode_row(buf: &mut Vec<u8>, scratch: &mut Vec<u8>, metadata: &str, row: &Planned) {
    scratch.clear();
    serde_json::to_writer(&mut *scratch, &row.event).expect("events always serialize");
    let payload = std::str::from_utf8(scratch).expect("serde_json writes UTF-8");
    for (i, column) in [row.entity.kind.as_str(), &row.entity.id].into_iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        push_text(buf, column);
    }
    buf.push(b'\t');
    push_int(buf, row.sequence);
    for column in
        [row.event.body.type_name(), version_of(row.event.body.type_name()), payload, metadata, &row.event.event_id]
    {
        buf.push(b'\t');
        push_text(buf, column);
    }
    buf.push(b'\t');
}

fn rejected_item(index: usize, rejected: &ItemRejection) -> RejectedItem {
    RejectedItem {
        index,
        event_id: rejected.event_id.clone(),
        field: rejected.rejection.field.clone(),
        error: rejected.rejection.to_string(),
    }
}

/// The conflict was an event_id already in the log.
pub fn is_duplicate_event_id(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.constraint() == Some("events_event_id"))
}

/// A unique key said another writer got there first: re-plan from fresh state.
pub fn is_conflict(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}
