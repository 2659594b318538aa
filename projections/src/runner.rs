//! The projector runner (D3). It reads the log once per batch, from the
//! lowest checkpoint, and hands the batch to every projector. Each projector
//! applies the events after its own checkpoint and moves that checkpoint in
//! the same transaction, holding the checkpoint row lock: a crash anywhere
//! loses nothing and applies nothing twice, and two runner processes on one
//! database serialise per projector instead of double-counting.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use perfledger_domain::event::{decode, LogEvent};
use perfledger_store::log::{head, read_payloads_after, LogPayload};
use sqlx::{PgConnection, PgPool};

use crate::report::{Report, Step};

/// One log row, decoded once and shared by every projector.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub event: LogEvent,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event at global_position {position} cannot be read: {reason}")]
    Decode { position: i64, reason: String },
    /// A projector panicked; the message, caught so the worker lives on.
    #[error("panicked: {0}")]
    Panic(String),
    #[error("{0}")]
    Other(String),
}

impl ProjectionError {
    /// A caught panic's payload as an error.
    pub fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        ProjectionError::Panic(panic_message(&*payload))
    }
}

/// The message a panic carried (`panic!` with a literal or a format).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

pub type Result<T, E = ProjectionError> = std::result::Result<T, E>;

/// A read-model fold. `apply` gets only events after the projector's
/// checkpoint, inside the transaction that will also move it.
#[async_trait]
pub trait Projector: Send + Sync {
    /// The checkpoint name; stable, it is stored.
    fn name(&self) -> &'static str;
    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()>;
    /// Deletes every row this projector wrote, so it can fold the log again
    /// from position 0 (after a void of an event it had folded). `false`
    /// when it cannot be reset in place (its rows drive side effects).
    async fn reset(&mut self, _tx: &mut PgConnection) -> Result<bool> {
        Ok(false)
    }
}

/// Decodes stored rows, upcasting old versions (D5).
pub fn decode_rows(rows: &[LogPayload]) -> Result<Vec<Decoded>> {
    rows.iter()
        .map(|row| {
            let event = decode(&row.event_type, &row.event_version, &row.payload)
                .map_err(|e| ProjectionError::Decode { position: row.global_position, reason: e.to_string() })?;
            Ok(Decoded { position: row.global_position, recorded_at: row.recorded_at, event })
        })
        .collect()
}

/// Rows decoded per blocking task: a replay's batch is split across the
/// cores, a live catch-up's few events stay on one.
const DECODE_CHUNK: usize = 25_000;

/// [`decode_rows`] off the async runtime, big batches in parallel chunks,
/// the order kept.
async fn decode_in_parallel(rows: Vec<LogPayload>) -> Result<Vec<Decoded>> {
    let rows = std::sync::Arc::new(rows);
    let chunks: Vec<_> = (0..rows.len())
        .step_by(DECODE_CHUNK)
        .map(|start| {
            let rows = rows.clone();
            tokio::task::spawn_blocking(move || decode_rows(&rows[start..(start + DECODE_CHUNK).min(rows.len())]))
        })
        .collect();
    let mut decoded = Vec::with_capacity(rows.len());
    for chunk in chunks {
        decoded.extend(chunk.await.map_err(|e| ProjectionError::Other(format!("decoder: {e}")))??);
    }
    Ok(decoded)
}

/// One batch as the runner hands it to the projectors: the events read
/// after a position, minus the voided ones, up to the first event that
/// cannot be read.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<Decoded>,
    /// The last position this batch accounts for (voided events included):
    /// every projector that applies it moves its checkpoint here.
    pub through: i64,
    /// The first event after `through` that cannot be read and is not voided.
    pub undecodable: Option<(i64, String)>,
}

/// Reads the `limit` events after `position`, skips the `voided` ones and
/// decodes the rest, stopping before the first that cannot be read: that
/// one stalls every projector (it is in the log, so skipping it silently
/// would make read models depend on which build read them).
pub async fn read_batch(
    pool: &PgPool,
    position: i64,
    limit: i64,
    voided: std::sync::Arc<std::collections::BTreeSet<i64>>,
) -> Result<Batch> {
    let rows = read_payloads_after(pool, position, limit).await?;
    let read_through = rows.last().map_or(position, |r| r.global_position);
    let rows: Vec<LogPayload> = if voided.is_empty() {
        rows
    } else {
        rows.into_iter().filter(|r| !voided.contains(&r.global_position)).collect()
    };
    let decoded = decode_all_in_parallel(rows).await?;
    let mut batch = Batch { events: Vec::with_capacity(decoded.len()), through: read_through, undecodable: None };
    for item in decoded {
        match item {
            Ok(event) => batch.events.push(event),
            Err((at, reason)) => {
                batch.through = at - 1;
                batch.undecodable = Some((at, reason));
                break;
            }
        }
    }
    Ok(batch)
}

/// Every row decoded, a failure kept in its slot (position, reason).
async fn decode_all_in_parallel(rows: Vec<LogPayload>) -> Result<Vec<Result<Decoded, (i64, String)>>> {
    let rows = std::sync::Arc::new(rows);
    let chunks: Vec<_> = (0..rows.len())
        .step_by(DECODE_CHUNK)
        .map(|start| {
            let rows = rows.clone();
            tokio::task::spawn_blocking(move || {
                rows[start..(start + DECODE_CHUNK).min(rows.len())]
                    .iter()
                    .map(|row| {
                        decode(&row.event_type, &row.event_version, &row.payload)
                            .map(|event| Decoded { position: row.global_position, recorded_at: row.recorded_at, event })
                            .map_err(|e| (row.global_position, e.to_string()))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut decoded = Vec::with_capacity(rows.len());
    for chunk in chunks {
        decoded.extend(chunk.await.map_err(|e| ProjectionError::Other(format!("decoder: {e}")))?);
    }
    Ok(decoded)
}

/// Reads the `limit` events after `position` and decodes them (in parallel
/// chunks when there are many), failing on the first that cannot be read.
pub async fn read_decoded(pool: &PgPool, position: i64, limit: i64) -> Result<Vec<Decoded>> {
    let started = std::time::Instant::now();
    let rows = read_payloads_after(pool, position, limit).await?;
    let read = started.elapsed();
    let decoded = decode_in_parallel(rows).await?;
    tracing::trace!(
        events = decoded.len(),
        read_ms = read.as_millis() as u64,
        decode_ms = (started.elapsed() - read).as_millis() as u64,
        "fetched"
    );
    Ok(decoded)
}

/// A projector's checkpoint (0 when it never ran).
pub async fn checkpoint(executor: impl sqlx::PgExecutor<'_>, projector: &str) -> Result<i64> {
    let position: Option<i64> = sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE projector = $1")
        .bind(projector)
        .fetch_optional(executor)
        .await?;
    Ok(position.unwrap_or(0))
}

/// What [`apply_batch`] did for one projector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Events applied (0 when the projector already had the whole batch).
    pub events: usize,
    /// The projector's checkpoint after the batch.
    pub checkpoint: i64,
}

/// Applies `events` to one projector exactly once: lock its checkpoint row,
/// skip what it already has, apply the rest and move the checkpoint, commit.
pub async fn apply_batch(pool: &PgPool, projector: &mut dyn Projector, events: &[Decoded]) -> Result<Applied> {
    match events.last() {
        Some(last) => apply_through(pool, projector, events, last.position).await,
        None => Ok(Applied { events: 0, checkpoint: checkpoint(pool, projector.name()).await? }),
    }
}

/// [`apply_batch`] for a batch that accounts for the log up to `through`
/// (voided events left out of `events`): the checkpoint moves there.
pub async fn apply_through(
    pool: &PgPool,
    projector: &mut dyn Projector,
    events: &[Decoded],
    through: i64,
) -> Result<Applied> {
    let mut tx = pool.begin().await?;
    // Rows and checkpoint commit together, so a commit lost in a crash loses
    // both and the batch is simply applied again: no need to wait for fsync.
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO projector_checkpoints (projector, position) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(projector.name())
        .execute(&mut *tx)
        .await?;
    let position: i64 =
        sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE projector = $1 FOR UPDATE")
            .bind(projector.name())
            .fetch_one(&mut *tx)
            .await?;
    if position >= through {
        return Ok(Applied { events: 0, checkpoint: position });
    }
    let start = events.partition_point(|e| e.position <= position);
    let fresh = &events[start..];
    if !fresh.is_empty() {
        projector.apply(&mut tx, fresh).await?;
    }
    sqlx::query("UPDATE projector_checkpoints SET position = $2, updated_at = now() WHERE projector = $1")
        .bind(projector.name())
        .bind(through)
        .execute(&mut *tx)
        .await?;
    crate::crash_hook::maybe_crash(projector.name());
    tx.commit().await?;
    Ok(Applied { events: fresh.len(), checkpoint: through })
}

/// [`apply_through`] with a panic inside the projector caught as an error
/// (its transaction is dropped, so nothing of the batch is written).
async fn apply_caught(
    pool: &PgPool,
    projector: &mut dyn Projector,
    events: &[Decoded],
    through: i64,
) -> Result<Applied> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(apply_through(pool, projector, events, through))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(ProjectionError::from_panic(panic)))
}

/// What became of one projector in one batch.
enum Outcome {
    Applied(Applied),
    /// It stopped at the event at `position`, having applied everything before it.
    Stalled {
        position: i64,
        checkpoint: i64,
        error: String,
    },
}

/// Applies a batch to one projector; when that fails deterministically,
/// finds the event it fails on by halving the batch (each good half is
/// committed on the way, so the projector ends right before the event).
async fn apply_or_isolate(pool: &PgPool, projector: &mut dyn Projector, batch: &Batch) -> Result<Outcome> {
    let error = match apply_caught(pool, projector, &batch.events, batch.through).await {
        Ok(applied) => return Ok(Outcome::Applied(applied)),
        Err(e) if !crate::stall::is_deterministic(&e) => return Err(e),
        Err(e) => e,
    };
    tracing::warn!(projector = projector.name(), error = %error, "a batch failed; looking for the event it fails on");
    let mut events: &[Decoded] = &batch.events;
    while let Some(last) = events.last() {
        // The first half, or the one event left.
        let (head, rest) = events.split_at(events.len().div_ceil(2).min(events.len() - 1).max(1));
        let through = head.last().map_or(last.position, |e| e.position);
        match apply_caught(pool, projector, head, through).await {
            Ok(_) => events = rest,
            Err(e) if !crate::stall::is_deterministic(&e) => return Err(e),
            Err(e) if head.len() == 1 => {
                let checkpoint = checkpoint(pool, projector.name()).await?;
                return Ok(Outcome::Stalled { position: head[0].position, checkpoint, error: e.to_string() });
            }
            Err(_) => events = head,
        }
    }
    // Every event applied on its own: the batch failed on something that
    // did not recur (or only in the batch's own tail). Try it whole again.
    apply_caught(pool, projector, &batch.events, batch.through).await.map(Outcome::Applied)
}

/// Runs a set of projectors over the log.
pub struct Runner {
    pool: PgPool,
    projectors: Vec<Box<dyn Projector>>,
    batch_size: i64,
    /// Projectors stopped at an event they cannot fold, by name.
    stalled: std::collections::HashMap<&'static str, Stalled>,
}

/// A projector held at `position` until it is due for another try or the
/// event there is voided.
#[derive(Debug, Clone, Copy)]
struct Stalled {
    position: i64,
    retry_at: std::time::Instant,
    backoff: Duration,
}

/// The first wait before a stalled projector tries its event again, and
/// the longest (the wait doubles in between). Retrying at all covers the
/// failure that a fix or an upgrade removed; voiding frees it at once.
const STALL_RETRY_FIRST: Duration = Duration::from_secs(30);
const STALL_RETRY_MAX: Duration = Duration::from_secs(600);

/// What one catch-up did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CatchUp {
    pub events_read: u64,
    pub head: i64,
    /// Projectors that stopped at an event they cannot fold (see `projector_stalls`).
    pub stalled: usize,
}

impl Runner {
    pub fn new(pool: PgPool, projectors: Vec<Box<dyn Projector>>, batch_size: i64) -> Self {
        Runner { pool, projectors, batch_size: batch_size.max(1), stalled: Default::default() }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The names of the projectors, in the order they are applied.
    pub fn projector_names(&self) -> Vec<&'static str> {
        self.projectors.iter().map(|p| p.name()).collect()
    }

    /// Which projectors take part in this catch-up: every one not stalled,
    /// and a stalled one whose event was voided or whose retry is due.
    fn active(&self, voided: &std::collections::BTreeSet<i64>) -> Vec<bool> {
        let now = std::time::Instant::now();
        self.projectors
            .iter()
            .map(|p| match self.stalled.get(p.name()) {
                None => true,
                Some(s) => voided.contains(&s.position) || now >= s.retry_at,
            })
            .collect()
    }

    /// Applies one batch to every active projector (each skips what it
    /// has). The projectors run concurrently, each in its own transaction
    /// on its own connection: they share no rows but the week marks, which
    /// all of them take in ascending week order, so they cannot deadlock;
    /// the batch takes as long as its slowest projector instead of their
    /// sum. A projector that fails deterministically stops at its event
    /// (recorded, reported) while the others go on; a transient failure
    /// fails the round, which the worker retries.
    async fn apply_all(&mut self, batch: &Batch, active: &mut [bool], report: Report<'_>) -> Result<usize> {
        let pool = &self.pool.clone();
        let outcomes = futures::future::try_join_all(self.projectors.iter_mut().zip(active.iter()).map(
            |(projector, active)| async move {
                if !*active {
                    return Ok::<_, ProjectionError>(None);
                }
                let started = std::time::Instant::now();
                let outcome = apply_or_isolate(pool, projector.as_mut(), batch).await?;
                tracing::trace!(projector = projector.name(), ms = started.elapsed().as_millis() as u64, "applied");
                Ok(Some((projector.name(), outcome)))
            },
        ))
        .await?;
        let mut stalled_now = 0;
        for (index, outcome) in outcomes.into_iter().enumerate() {
            let Some((projector, outcome)) = outcome else { continue };
            match outcome {
                Outcome::Applied(applied) => {
                    let unread = batch.undecodable.as_ref().filter(|(position, _)| applied.checkpoint < *position);
                    if let Some((position, reason)) = unread {
                        // Everything before the unreadable event is applied;
                        // the event itself stops every projector.
                        self.stall(projector, *position, &format!("the event cannot be read: {reason}")).await?;
                        active[index] = false;
                        stalled_now += 1;
                    } else if self.stalled.remove(projector).is_some() {
                        tracing::info!(projector, position = applied.checkpoint, "projector moved past its stall");
                        crate::stall::clear(&self.pool, projector).await?;
                    }
                    report(Step::Advanced { projector, position: applied.checkpoint, applied: applied.events });
                }
                Outcome::Stalled { position, checkpoint, error } => {
                    self.stall(projector, position, &error).await?;
                    active[index] = false;
                    stalled_now += 1;
                    report(Step::Advanced { projector, position: checkpoint, applied: 0 });
                }
            }
        }
        Ok(stalled_now)
    }

    /// Holds `projector` at `position`, says so loudly and records it.
    async fn stall(&mut self, projector: &'static str, position: i64, error: &str) -> Result<()> {
        let backoff = match self.stalled.get(projector) {
            Some(s) if s.position == position => (s.backoff * 2).min(STALL_RETRY_MAX),
            _ => STALL_RETRY_FIRST,
        };
        tracing::error!(
            projector,
            position,
            error,
            retry_in_s = backoff.as_secs(),
            "projector stalled: it cannot fold the event at this position; `perfledger events void` frees it"
        );
        crate::stall::record_at_position(&self.pool, projector, position, error).await?;
        self.stalled.insert(projector, Stalled { position, retry_at: std::time::Instant::now() + backoff, backoff });
        Ok(())
    }

    /// Applies batches until every active projector has reached the head as
    /// it was when the call started; `progress` gets (last position,
    /// events) after each batch. See [`Runner::catch_up_reported`] for every step.
    pub async fn catch_up(&mut self, progress: &mut (dyn FnMut(i64, usize) + Send)) -> Result<CatchUp> {
        self.catch_up_reported(&mut |step| {
            if let Step::BatchDone { position, events } = step {
                progress(position, events)
            }
        })
        .await
    }

    /// [`Runner::catch_up`], reporting where each projector starts, each
    /// projector's checkpoint after every batch, and each batch done.
    /// Reading and decoding the next batch overlaps with applying the
    /// current one: positions are gap-free, so the next batch starts right
    /// after the last position read. Voided events are left out of every
    /// batch; a projector that stalls leaves the catch-up, the others go on.
    pub async fn catch_up_reported(&mut self, report: Report<'_>) -> Result<CatchUp> {
        let target = head(&self.pool).await?;
        let voids = crate::stall::voided_positions(&self.pool).await?;
        let voided: std::sync::Arc<std::collections::BTreeSet<i64>> =
            std::sync::Arc::new(voids.keys().copied().collect());
        if !voids.is_empty() {
            self.refold_where_voided(&voids).await?;
        }
        let mut active = self.active(&voided);
        let mut from = i64::MAX;
        for (projector, active) in self.projectors.iter().zip(&active) {
            if !*active {
                continue;
            }
            let checkpoint = checkpoint(&self.pool, projector.name()).await?;
            report(Step::CatchUpStarted { projector: projector.name(), checkpoint, head: target });
            from = from.min(checkpoint);
        }
        let mut caught = CatchUp { events_read: 0, head: target, stalled: 0 };
        if from >= target {
            caught.stalled = self.stalled.len();
            return Ok(caught);
        }
        let mut next = Some(self.fetch(from, voided.clone()));
        while let Some(pending) = next.take() {
            let batch = pending.await.map_err(|e| ProjectionError::Other(format!("log reader: {e}")))??;
            let read_through = batch.through.max(batch.undecodable.as_ref().map_or(0, |(at, _)| *at));
            if read_through <= from && batch.undecodable.is_none() {
                break;
            }
            if read_through < target && batch.undecodable.is_none() {
                next = Some(self.fetch(read_through, voided.clone()));
            }
            self.apply_all(&batch, &mut active, report).await?;
            caught.events_read += batch.events.len() as u64;
            report(Step::BatchDone { position: batch.through, events: batch.events.len() });
            if batch.undecodable.is_some() || !active.iter().any(|a| *a) {
                break;
            }
            from = read_through;
        }
        // A stall recorded by an earlier process (or run) whose projector
        // has since moved past its event is over. Only a projector that read
        // something can have moved.
        if caught.events_read > 0 {
            sqlx::query(
                "DELETE FROM projector_stalls s USING projector_checkpoints c
             WHERE s.component = c.projector AND s.position IS NOT NULL AND c.position >= s.position",
            )
            .execute(&self.pool)
            .await?;
        }
        caught.stalled = self.stalled.len();
        Ok(caught)
    }

    /// Resets every projector that folded a voided event before the void
    /// existed, so it folds the log again without it: the void is honoured
    /// whether a projector meets the event before it or after (D20). The
    /// check is repeated under the checkpoint's row lock, so two workers
    /// reset a projector once.
    async fn refold_where_voided(&mut self, voids: &std::collections::BTreeMap<i64, i64>) -> Result<()> {
        for projector in &mut self.projectors {
            if crate::stall::folded_before_void(voids, checkpoint(&self.pool, projector.name()).await?).is_none() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            let position: i64 =
                sqlx::query_scalar("SELECT position FROM projector_checkpoints WHERE projector = $1 FOR UPDATE")
                    .bind(projector.name())
                    .fetch_one(&mut *tx)
                    .await?;
            let Some(event) = crate::stall::folded_before_void(voids, position) else { continue };
            if !projector.reset(&mut tx).await? {
                tracing::warn!(
                    projector = projector.name(),
                    event,
                    "this projector folded a voided event before the void and cannot refold in place; \
                     `perfledger replay` rebuilds it without the event"
                );
                continue;
            }
            sqlx::query("UPDATE projector_checkpoints SET position = 0, updated_at = now() WHERE projector = $1")
                .bind(projector.name())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::warn!(
                projector = projector.name(),
                event,
                "folding the log again without a voided event it had folded"
            );
        }
        Ok(())
    }

    /// Reads and decodes the batch after `position` on a task of its own.
    fn fetch(
        &self,
        position: i64,
        voided: std::sync::Arc<std::collections::BTreeSet<i64>>,
    ) -> tokio::task::JoinHandle<Result<Batch>> {
        let pool = self.pool.clone();
        let limit = self.batch_size;
        tokio::spawn(async move { read_batch(&pool, position, limit, voided).await })
    }
}
