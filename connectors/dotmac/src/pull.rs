//! The pull: DotMac's tables → perfledger events (docs/connectors/dotmac.md).
//!
//! A poll reads every source table from its watermark minus the overlap, in
//! chunks, in two stages that run at the same time:
//! - the reader (`Reader`, its own task) streams each table's rows, loads the
//!   shadows of their entities, reads what the chunk needs besides
//!   (`crate::enrich`), derives envelopes with ids built from the fact
//!   (`crate::derive`), parses them (`parse_envelope`) and holds back those
//!   whose entity perfledger has not seen created;
//! - the writer (`Connector::write`) appends each chunk through the
//!   `Ingestor` (the API's validation and writer), planning chunk n + 1
//!   while chunk n commits, like `perfledger import`; then it records the
//!   chunk's held events, skips, shadows and watermark in one transaction
//!   (`crate::state`).
//!
//! A crash between the append and that transaction re-derives the same ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use perfledger_domain::{parse_envelope, Activity, ItemRejection};
use perfledger_store::ingest::IngestReport;
use perfledger_store::{is_conflict, is_duplicate_event_id, Ingestor, Plan, PlanCache};
use serde::Serialize;
use sqlx::{PgPool, Row};
use tokio::sync::mpsc;

use crate::derive::{derive, Context, Derived, Out, Shadow, Skip, Ts};
use crate::enrich::{enrich, Parsed};
use crate::rows::{Pass, SourceRow, PASSES, STAFF};
use crate::state::{self, ChunkState, Start};

/// Session advisory lock key: one poll at a time per perfledger database.
const LOCK_KEY: i64 = 0x646f_746d_6163; // "dotmac"

/// Entities whose state the writer keeps between chunks of a poll (as `perfledger import`).
const MAX_CACHED_ENTITIES: usize = 400_000;

#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// How far behind each watermark a poll re-reads.
    pub overlap: chrono::Duration,
    /// Source rows per chunk (one append and one state transaction each).
    pub chunk_rows: usize,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        ConnectorOptions { overlap: chrono::Duration::minutes(10), chunk_rows: 5000 }
    }
}

/// What a poll did (printed by `perfledger connect dotmac --once`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PollReport {
    pub rows_read: u64,
    pub events_appended: usize,
    pub duplicates: usize,
    /// Events held back this poll because their entity is not created yet.
    pub held: usize,
    /// Held events appended this poll.
    pub released: usize,
    pub skipped: usize,
    pub by_type: BTreeMap<String, usize>,
    pub seconds: f64,
}

impl PollReport {
    fn merge(&mut self, other: PollReport) {
        self.rows_read += other.rows_read;
        self.events_appended += other.events_appended;
        self.duplicates += other.duplicates;
        self.held += other.held;
        self.released += other.released;
        self.skipped += other.skipped;
        for (k, v) in other.by_type {
            *self.by_type.entry(k).or_default() += v;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("reading DotMac: {0}")]
    Source(sqlx::Error),
    #[error("perfledger's database: {0}")]
    Target(#[from] sqlx::Error),
    #[error(transparent)]
    Ingest(#[from] perfledger_store::ingest::IngestError),
}

fn source_error(err: sqlx::Error) -> ConnectorError {
    ConnectorError::Source(err)
}

pub struct Connector {
    source: PgPool,
    target: PgPool,
    ingestor: Ingestor,
    options: ConnectorOptions,
    /// DotMac's `pg_current_snapshot()` at the start of the last complete poll.
    last_snapshot: std::sync::Mutex<Option<String>>,
}

/// DotMac's transaction snapshot: while it is the one a complete poll
/// started from, no transaction has committed (or aborted) since, so
/// DotMac's tables hold exactly what that poll read.
const SNAPSHOT: &str = "SELECT pg_current_snapshot()::text";

/// A progress callback: (source rows done, total to read).
pub type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// One chunk, derived by the reader, for the writer.
struct Chunk {
    pass: &'static Pass,
    rows_read: u64,
    /// Events ready to append, and their parsed envelopes (same order).
    outs: Vec<Out>,
    items: Vec<Result<Activity, ItemRejection>>,
    /// Events dropped before planning: their ids were appended earlier in this poll.
    landed_before: usize,
    state: ChunkState,
}

impl Connector {
    pub fn new(source: PgPool, target: PgPool, ingestor: Ingestor, options: ConnectorOptions) -> Self {
        Connector { source, target, ingestor, options, last_snapshot: std::sync::Mutex::new(None) }
    }

    /// One poll over every table, then the held events. Polls of several
    /// connectors on one perfledger database run one at a time.
    pub async fn poll(&self, progress: Option<ProgressFn<'_>>) -> Result<PollReport, ConnectorError> {
        let started = Instant::now();
        if self.source_unchanged().await? {
            return Ok(PollReport { seconds: started.elapsed().as_secs_f64(), ..PollReport::default() });
        }
        let mut lock = self.target.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK_KEY).execute(&mut *lock).await?;
        let result = self.poll_locked(progress).await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY).execute(&mut *lock).await;
        let mut report = result?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// True when DotMac committed nothing since the start of this
    /// connector's last complete poll (one round trip; see `SNAPSHOT`).
    async fn source_unchanged(&self) -> Result<bool, ConnectorError> {
        let last = self.last_snapshot.lock().expect("the snapshot lock").clone();
        let Some(last) = last else { return Ok(false) };
        let now: String = sqlx::query_scalar(SNAPSHOT).fetch_one(&self.source).await.map_err(source_error)?;
        Ok(now == last)
    }

    async fn poll_locked(&self, progress: Option<ProgressFn<'_>>) -> Result<PollReport, ConnectorError> {
        let start = state::start(&self.target).await?;
        let (staff, digests, snapshot) = self.source_start().await?;
        *self.last_snapshot.lock().expect("the snapshot lock") = None;
        let new_staff: Vec<uuid::Uuid> =
            staff.iter().filter(|id| !start.known_people.contains(*id)).filter_map(|id| id.parse().ok()).collect();
        let floor = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
        let lower: HashMap<&'static str, Ts> = PASSES
            .iter()
            .map(|p| (p.table, start.watermarks.get(p.table).map(|(t, _)| *t - self.options.overlap).unwrap_or(floor)))
            .collect();
        let total = match progress {
            Some(_) => self.count_rows(&lower, &new_staff).await?,
            None => 0,
        };
        // Nothing read before: every event id is new unless this poll derived
        // it already (a duplicate still fails the COPY and is re-planned).
        let fresh = start.watermarks.is_empty();

        let (sender, receiver) = mpsc::channel(2);
        let reader = Reader {
            source: self.source.clone(),
            target: self.target.clone(),
            chunk_rows: self.options.chunk_rows.max(1),
            lower,
            start,
            digests,
            staff,
            new_staff,
        };
        let mut reader = AbortOnDrop(tokio::spawn(reader.run(sender)));
        // On the writer's error the reader is aborted (dropped).
        let (mut report, mut timings) = self.write(receiver, fresh, progress, total).await?;
        let read = match (&mut reader.0).await {
            Ok(read) => read?,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(join) => return Err(ConnectorError::Source(sqlx::Error::Io(std::io::Error::other(join)))),
        };
        timings.source = read.source;
        timings.enrich = read.enrich;
        timings.shadows = read.shadows;
        timings.derive = read.derive;
        timings.send_wait = read.send_wait;
        tracing::debug!(target: "perfledger_dotmac::timing", rows = report.rows_read, events = report.events_appended, ?timings, "dotmac poll stages");
        report.merge(self.release_held().await?);
        *self.last_snapshot.lock().expect("the snapshot lock") = Some(snapshot);
        Ok(report)
    }

    /// In one round trip to DotMac: its transaction snapshot, everyone it
    /// treats as staff, and the digest of each snapshot table's rows
    /// (computed on its side).
    async fn source_start(&self) -> Result<(HashSet<String>, HashMap<&'static str, String>, String), ConnectorError> {
        let snapshots: Vec<&'static Pass> = PASSES.iter().filter(|p| p.snapshot).collect();
        let mut sql = format!("SELECT pg_current_snapshot()::text, ARRAY({STAFF})");
        for pass in &snapshots {
            sql.push_str(&format!(
                ", (SELECT md5(coalesce(string_agg(q::text, ',' ORDER BY q::text), '')) FROM ({}) q)",
                pass.sql
            ));
        }
        let row = sqlx::query(&sql).fetch_one(&self.source).await.map_err(source_error)?;
        let snapshot: String = row.try_get(0).map_err(source_error)?;
        let staff: Vec<uuid::Uuid> = row.try_get(1).map_err(source_error)?;
        let mut digests = HashMap::new();
        for (i, pass) in snapshots.iter().enumerate() {
            digests.insert(pass.table, row.try_get::<String, _>(i + 2).map_err(source_error)?);
        }
        Ok((staff.into_iter().map(|id| id.to_string()).collect(), digests, snapshot))
    }

    /// Source rows this poll will read (for the progress bar).
    async fn count_rows(
        &self,
        lower: &HashMap<&'static str, Ts>,
        new_staff: &[uuid::Uuid],
    ) -> Result<u64, ConnectorError> {
        let mut total = 0u64;
        for pass in PASSES {
            let sql = format!("SELECT count(*) FROM ({}) q", pass.sql);
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            if !pass.snapshot {
                query = query.bind(lower[pass.table]);
            }
            if pass.table == "people" {
                query = query.bind(new_staff);
            }
            total += query.fetch_one(&self.source).await.map_err(source_error)?.max(0) as u64;
        }
        Ok(total)
    }

    /// The writer: appends the reader's chunks in order, each planned while
    /// the one before commits; a recorder records each chunk's state, in
    /// order, once its events are committed (while the next chunk commits).
    async fn write(
        &self,
        chunks: mpsc::Receiver<Chunk>,
        fresh: bool,
        progress: Option<ProgressFn<'_>>,
        total: u64,
    ) -> Result<(PollReport, Timings), ConnectorError> {
        let (states, mut recorded) = mpsc::channel::<ChunkState>(2);
        let mut record_time = Duration::ZERO;
        let recorder = async {
            while let Some(state) = recorded.recv().await {
                timed(&mut record_time, state::record(&self.target, &state)).await?;
            }
            Ok::<_, ConnectorError>(())
        };
        let book = Book {
            report: PollReport::default(),
            landed: HashSet::new(),
            states,
            timings: Timings::default(),
            progress,
            total,
        };
        let ((report, mut timings), ()) = futures::future::try_join(self.append(chunks, fresh, book), recorder).await?;
        timings.record = record_time;
        Ok((report, timings))
    }

    async fn append<'a>(
        &self,
        mut chunks: mpsc::Receiver<Chunk>,
        fresh: bool,
        mut book: Book<'a>,
    ) -> Result<(PollReport, Timings), ConnectorError> {
        let mut cache = if fresh { PlanCache::optimistic_import() } else { PlanCache::optimistic() };
        let mut pending: Option<(Chunk, Plan)> = None;
        loop {
            let next = timed(&mut book.timings.recv_wait, chunks.recv()).await.map(|mut chunk| {
                book.drop_landed(&mut chunk);
                chunk
            });
            let Some((chunk, plan)) = pending.take() else {
                match next {
                    Some(next) => {
                        let plan = timed(&mut book.timings.plan, self.ingestor.plan(&mut cache, &next.items)).await?;
                        pending = Some((next, plan));
                        continue;
                    }
                    None => break,
                }
            };
            // The next chunk's duplicates of this one are found in `in_flight`.
            cache.set_in_flight(&plan);
            cache.evict_beyond(MAX_CACHED_ENTITIES, Some(&plan));
            let (committed, next_plan) = match &next {
                Some(next) => {
                    let mut plan_time = Duration::ZERO;
                    let (committed, planned) = tokio::join!(
                        self.commit(chunk, plan, &mut book),
                        timed(&mut plan_time, self.ingestor.plan(&mut cache, &next.items))
                    );
                    book.timings.plan += plan_time;
                    (committed?, Some(planned))
                }
                None => (self.commit(chunk, plan, &mut book).await?, None),
            };
            if let Some((chunk, err)) = committed {
                // A duplicate event_id, an entity that already existed, or
                // another writer: forget what was assumed and take the slow,
                // always-correct path for this chunk, then re-plan the next.
                if is_duplicate_event_id(&err) {
                    cache.distrust_event_ids();
                } else {
                    tracing::info!("entities of this DotMac pull changed under it; re-planning");
                }
                cache.clear();
                let ingested = self.ingestor.ingest(&chunk.items).await?;
                let by_type = self.types_at(&ingested).await?;
                self.finish(chunk, ingested, by_type, &mut book).await?;
                if let Some(mut next) = next {
                    book.drop_landed(&mut next);
                    let plan = timed(&mut book.timings.plan, self.ingestor.plan(&mut cache, &next.items)).await?;
                    pending = Some((next, plan));
                }
                continue;
            }
            if let (Some(next), Some(planned)) = (next, next_plan) {
                pending = Some((next, planned?));
            }
        }
        // Dropping the book's sender ends the recorder once it has recorded everything.
        Ok((book.report, book.timings))
    }

    /// Commits a planned chunk and hands it to the recorder; on a unique-key
    /// conflict the chunk comes back with the error, nothing written.
    async fn commit(
        &self,
        chunk: Chunk,
        plan: Plan,
        book: &mut Book<'_>,
    ) -> Result<Option<(Chunk, sqlx::Error)>, ConnectorError> {
        match timed(&mut book.timings.commit, self.ingestor.commit(&plan)).await {
            Ok(positions) => {
                let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
                for (_, type_name) in plan.events() {
                    *by_type.entry(type_name.to_string()).or_default() += 1;
                }
                self.finish(chunk, plan.into_report(positions), by_type, book).await?;
                Ok(None)
            }
            Err(err) if is_conflict(&err) => Ok(Some((chunk, err))),
            Err(err) => Err(err.into()),
        }
    }

    /// After a chunk's events are in the log: its refused events become
    /// skips, and its state goes to the recorder.
    async fn finish(
        &self,
        chunk: Chunk,
        ingested: IngestReport,
        by_type: BTreeMap<String, usize>,
        book: &mut Book<'_>,
    ) -> Result<(), ConnectorError> {
        let Chunk { pass, rows_read, outs, landed_before, mut state, .. } = chunk;
        let mut refused = vec![false; outs.len()];
        for rejected in &ingested.rejected {
            let out = &outs[rejected.index];
            refused[rejected.index] = true;
            state.skips.push(Skip {
                table: pass.table,
                row_id: out.row_id.clone(),
                reason: format!("{}: {}", out.event_id, rejected.error),
            });
        }
        // Children appended ahead of their own pass: that pass finds them here.
        for (out, refused) in outs.into_iter().zip(refused) {
            if out.ahead && !refused {
                book.landed.insert(out.event_id);
            }
        }
        let report = &mut book.report;
        report.merge(PollReport {
            rows_read,
            events_appended: ingested.accepted,
            duplicates: ingested.duplicates + landed_before,
            held: state.held.len(),
            skipped: state.skips.len(),
            by_type,
            ..PollReport::default()
        });
        if let Some(progress) = book.progress {
            progress(report.rows_read, book.total.max(report.rows_read));
        }
        if book.states.send(state).await.is_err() {
            // The recorder failed; `write` reports its error.
            return Err(ConnectorError::Target(sqlx::Error::Protocol("the DotMac state recorder stopped".into())));
        }
        Ok(())
    }

    /// The types of the events an `ingest` call wrote, by their positions.
    async fn types_at(&self, ingested: &IngestReport) -> Result<BTreeMap<String, usize>, ConnectorError> {
        let (Some(first), Some(last)) = (ingested.first_position, ingested.last_position) else {
            return Ok(BTreeMap::new());
        };
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT event_type, count(*) FROM events WHERE global_position BETWEEN $1 AND $2 GROUP BY 1",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.target)
        .await?;
        Ok(counts.into_iter().map(|(t, n)| (t, n as usize)).collect())
    }

    /// Appends held events whose entity is now created.
    async fn release_held(&self) -> Result<PollReport, ConnectorError> {
        let rows = state::releasable(&self.target).await?;
        if rows.is_empty() {
            return Ok(PollReport::default());
        }
        let mut by_table: BTreeMap<&'static str, Vec<&(String, String, String, String)>> = BTreeMap::new();
        for row in &rows {
            let table = PASSES.iter().find(|p| p.table == row.2).map(|p| p.table).unwrap_or("held");
            by_table.entry(table).or_default().push(row);
        }
        let mut report = PollReport::default();
        let mut skips = Vec::new();
        for (table, held) in by_table {
            for batch in held.chunks(5000) {
                let items: Vec<_> = batch.iter().map(|(_, envelope, ..)| parse_envelope(envelope)).collect();
                let ingested = self.ingestor.ingest(&items).await?;
                for rejected in &ingested.rejected {
                    let (event_id, _, _, row_id) = batch[rejected.index];
                    skips.push(Skip {
                        table,
                        row_id: row_id.clone(),
                        reason: format!("{event_id}: {}", rejected.error),
                    });
                }
                report.merge(PollReport {
                    events_appended: ingested.accepted,
                    duplicates: ingested.duplicates,
                    by_type: self.types_at(&ingested).await?,
                    ..PollReport::default()
                });
            }
        }
        report.released = report.events_appended;
        report.skipped = skips.len();
        let ids: Vec<&str> = rows.iter().map(|(id, ..)| id.as_str()).collect();
        state::released(&self.target, &ids, &skips).await?;
        Ok(report)
    }

    /// Follows: a poll, then another every `interval` or as soon as the
    /// webhook receiver notifies `perfledger_dotmac`; until `stop` resolves.
    pub async fn follow(
        &self,
        interval: Duration,
        mut on_poll: impl FnMut(&PollReport),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), ConnectorError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.target).await?;
        listener.listen(crate::WAKE_CHANNEL).await?;
        tokio::pin!(stop);
        loop {
            match self.poll(None).await {
                Ok(report) => on_poll(&report),
                Err(err) => tracing::error!(error = %err, "dotmac poll failed; retrying at the next poll"),
            }
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = tokio::time::sleep(interval) => {}
                notification = listener.recv() => {
                    if let Err(err) = notification {
                        tracing::warn!(error = %err, "dotmac wake-up listener failed; polling on the interval");
                    }
                }
            }
        }
    }
}

/// Where a poll's time went (logged at debug, target `perfledger_dotmac::timing`).
#[derive(Debug, Default)]
struct Timings {
    /// Reader: waiting for DotMac's rows, its enrichment reads, perfledger's shadow reads,
    /// deriving and parsing, and waiting for the writer to take a chunk.
    source: Duration,
    enrich: Duration,
    shadows: Duration,
    derive: Duration,
    send_wait: Duration,
    /// Writer: waiting for the reader, planning, committing, and recording chunk states.
    recv_wait: Duration,
    plan: Duration,
    commit: Duration,
    record: Duration,
}

/// Adds the time `future` took to `total`.
async fn timed<T>(total: &mut Duration, future: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = future.await;
    *total += started.elapsed();
    out
}

/// The writer's running account of a poll.
struct Book<'a> {
    report: PollReport,
    /// Ids of children appended ahead of their own pass in this poll.
    landed: HashSet<String>,
    /// To the recorder: each chunk's state, once its events are committed.
    states: mpsc::Sender<ChunkState>,
    timings: Timings,
    progress: Option<ProgressFn<'a>>,
    total: u64,
}

impl Book<'_> {
    /// Drops the chunk's events that were appended ahead of it in this poll
    /// (counted as duplicates, as the writer would have).
    fn drop_landed(&self, chunk: &mut Chunk) {
        if self.landed.is_empty() || !chunk.outs.iter().any(|o| self.landed.contains(&o.event_id)) {
            return;
        }
        let outs = std::mem::take(&mut chunk.outs);
        let items = std::mem::take(&mut chunk.items);
        for (out, item) in outs.into_iter().zip(items) {
            if self.landed.contains(&out.event_id) {
                chunk.landed_before += 1;
            } else {
                chunk.outs.push(out);
                chunk.items.push(item);
            }
        }
    }
}

/// Aborts the reader task when the poll ends early (an error, or the poll's future dropped).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The reader stage of one poll (see the module's documentation).
struct Reader {
    source: PgPool,
    target: PgPool,
    chunk_rows: usize,
    /// Per table: the lower bound of its watermark column.
    lower: HashMap<&'static str, Ts>,
    start: Start,
    /// Per snapshot table: its digest now (computed on DotMac's side).
    digests: HashMap<&'static str, String>,
    staff: HashSet<String>,
    /// Staff never upserted yet, read whatever their `updated_at`.
    new_staff: Vec<uuid::Uuid>,
}

/// What the reader remembers of the chunks it sent, which the writer may
/// not have recorded yet.
#[derive(Default)]
struct Memory {
    /// Shadows derived this poll, of kinds that more than one pass derives
    /// (conversations: their own pass and the tags pass).
    shared: HashMap<&'static str, HashMap<String, Shadow>>,
    /// Entities of a kind that other passes' events need, derived created this poll.
    created: HashMap<&'static str, HashSet<String>>,
}

impl Memory {
    fn is_created(&self, kind: &str, id: &str) -> bool {
        self.created.get(kind).is_some_and(|ids| ids.contains(id))
    }
}

/// Kinds derived by more than one pass.
fn shared_kind(kind: &str) -> bool {
    PASSES.iter().filter(|p| p.kind == Some(kind)).count() > 1
}

/// Kinds whose creation other passes' events wait for.
fn parent_kind(kind: &str) -> bool {
    PASSES.iter().any(|p| p.parent == Some(kind))
}

impl Reader {
    async fn run(self, chunks: mpsc::Sender<Chunk>) -> Result<Timings, ConnectorError> {
        let mut memory = Memory::default();
        let mut timings = Timings::default();
        for pass in PASSES {
            // A snapshot table (no `updated_at`) is read whole and diffed;
            // when its content digest is the one of the last full read,
            // nothing in it changed and the poll skips it.
            let digest = match pass.snapshot {
                true => {
                    let digest = self.digests.get(pass.table).cloned().unwrap_or_default();
                    if self.start.digests.get(pass.table) == Some(&digest) {
                        continue;
                    }
                    Some(digest)
                }
                false => None,
            };
            let mut query = sqlx::query_as::<_, (String, Ts, String)>(pass.sql);
            if !pass.snapshot {
                query = query.bind(self.lower[pass.table]);
            }
            if pass.table == "people" {
                query = query.bind(self.new_staff.clone());
            }
            let mut rows = query.fetch(&self.source);
            let mut batch = Vec::with_capacity(self.chunk_rows);
            loop {
                let next = timed(&mut timings.source, rows.try_next()).await.map_err(source_error)?;
                let done = next.is_none();
                if let Some(row) = next {
                    batch.push(row);
                }
                if batch.len() >= self.chunk_rows || (done && !batch.is_empty()) {
                    let chunk = self.chunk(&mut memory, &mut timings, pass, std::mem::take(&mut batch)).await?;
                    if timed(&mut timings.send_wait, chunks.send(chunk)).await.is_err() {
                        return Ok(timings); // the writer stopped; it reports why
                    }
                }
                if done {
                    break;
                }
            }
            if let Some(digest) = digest {
                // Recorded once every row of the full read is.
                let state = ChunkState { table: pass.table, digest: Some(digest), ..ChunkState::default() };
                let chunk = Chunk { pass, rows_read: 0, outs: Vec::new(), items: Vec::new(), landed_before: 0, state };
                if chunks.send(chunk).await.is_err() {
                    return Ok(timings);
                }
            }
        }
        Ok(timings)
    }

    /// Derives one chunk of a table: shadows, enrichment, events, hold-back.
    async fn chunk(
        &self,
        memory: &mut Memory,
        timings: &mut Timings,
        pass: &'static Pass,
        rows: Vec<(String, Ts, String)>,
    ) -> Result<Chunk, ConnectorError> {
        let started = Instant::now();
        let rows_read = rows.len() as u64;
        let watermark = match pass.snapshot {
            true => None,
            false => rows
                .last()
                .map(|(id, ts, _)| (*ts, id.clone()))
                .filter(|last| self.start.watermarks.get(pass.table) != Some(last)),
        };
        let rows: Vec<Parsed> =
            rows.into_iter().map(|(id, ts, raw)| (id, ts, SourceRow::parse(pass.table, &raw))).collect();
        let mut shadows: HashMap<String, Shadow> = HashMap::new();
        let mut waited = Duration::ZERO;
        if let Some(kind) = pass.kind {
            let ids: Vec<&str> = rows.iter().map(|(id, ..)| id.as_str()).collect();
            shadows = timed(&mut waited, state::shadows(&self.target, kind, &ids)).await?;
            if shared_kind(kind) {
                for id in ids {
                    if let Some(shadow) = memory.shared.get(kind).and_then(|s| s.get(id)) {
                        shadows.insert(id.to_string(), shadow.clone());
                    }
                }
            }
        }
        let mut enriching = Duration::ZERO;
        let enrich =
            timed(&mut enriching, enrich(&self.source, pass.table, &rows, &shadows)).await.map_err(source_error)?;
        let cx = Context { staff: &self.staff, enrich: &enrich };
        let mut derived = Derived::default();
        let none = Shadow::default();
        for (id, _, row) in rows {
            let shadow = shadows.get(&id).unwrap_or(&none);
            if let Err(reason) = derive(pass.table, &id, row, shadow, &cx, &mut derived) {
                derived.skips.push(Skip { table: pass.table, row_id: id, reason });
            }
        }

        // Shadows to record (those that changed), and what later chunks of this poll need of them.
        let mut changed = Vec::new();
        for ((kind, id), shadow) in derived.shadows {
            if shared_kind(kind) {
                memory.shared.entry(kind).or_default().insert(id.clone(), shadow.clone());
            }
            if shadow.created && parent_kind(kind) {
                memory.created.entry(kind).or_default().insert(id.clone());
            }
            if shadows.get(&id) != Some(&shadow) {
                changed.push((kind, id, serde_json::to_value(&shadow).expect("a shadow serializes")));
            }
        }

        // Hold back events whose entity is not created yet.
        let mut unknown: Vec<&str> = derived
            .outs
            .iter()
            .filter_map(|o| o.parent.as_ref())
            .filter(|(kind, id)| !memory.is_created(kind, id))
            .map(|(_, id)| id.as_str())
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        let created_before = match pass.parent {
            Some(kind) if !unknown.is_empty() => {
                timed(&mut waited, state::created(&self.target, kind, &unknown)).await?
            }
            _ => HashSet::new(),
        };
        let (outs, held): (Vec<Out>, Vec<Out>) = derived.outs.into_iter().partition(|o| {
            o.parent.as_ref().is_none_or(|(kind, id)| {
                memory.is_created(kind, id) || (pass.parent == Some(*kind) && created_before.contains(id))
            })
        });
        let items = outs.iter().map(|o| parse_envelope(&o.envelope)).collect();
        let state =
            ChunkState { table: pass.table, held, skips: derived.skips, shadows: changed, watermark, digest: None };
        timings.shadows += waited;
        timings.enrich += enriching;
        timings.derive += started.elapsed().saturating_sub(waited + enriching);
        Ok(Chunk { pass, rows_read, outs, items, landed_before: 0, state })
    }
}
