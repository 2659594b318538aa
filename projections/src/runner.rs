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
use crate::tail::LOG_CHANNEL;

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
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = ProjectionError> = std::result::Result<T, E>;

/// A read-model fold. `apply` gets only events after the projector's
/// checkpoint, inside the transaction that will also move it.
#[async_trait]
pub trait Projector: Send + Sync {
    /// The checkpoint name; stable, it is stored.
    fn name(&self) -> &'static str;
    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()>;
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

/// Reads the `limit` events after `position` and decodes them (in parallel
/// chunks when there are many): what every catch-up batch starts with.
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
    let Some(last) = events.last() else {
        return Ok(Applied { events: 0, checkpoint: checkpoint(pool, projector.name()).await? });
    };
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
    if position >= last.position {
        return Ok(Applied { events: 0, checkpoint: position });
    }
    let start = events.partition_point(|e| e.position <= position);
    let fresh = &events[start..];
    projector.apply(&mut tx, fresh).await?;
    sqlx::query("UPDATE projector_checkpoints SET position = $2, updated_at = now() WHERE projector = $1")
        .bind(projector.name())
        .bind(last.position)
        .execute(&mut *tx)
        .await?;
    crate::crash_hook::maybe_crash(projector.name());
    tx.commit().await?;
    Ok(Applied { events: fresh.len(), checkpoint: last.position })
}

/// Runs a set of projectors over the log.
pub struct Runner {
    pool: PgPool,
    projectors: Vec<Box<dyn Projector>>,
    batch_size: i64,
}

/// What one catch-up did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CatchUp {
    pub events_read: u64,
    pub head: i64,
}

impl Runner {
    pub fn new(pool: PgPool, projectors: Vec<Box<dyn Projector>>, batch_size: i64) -> Self {
        Runner { pool, projectors, batch_size: batch_size.max(1) }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The names of the projectors, in the order they are applied.
    pub fn projector_names(&self) -> Vec<&'static str> {
        self.projectors.iter().map(|p| p.name()).collect()
    }

    /// Every projector's checkpoint, in the order they are applied.
    async fn checkpoints(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut checkpoints = Vec::with_capacity(self.projectors.len());
        for projector in &self.projectors {
            checkpoints.push((projector.name(), checkpoint(&self.pool, projector.name()).await?));
        }
        Ok(checkpoints)
    }

    /// Applies one decoded batch to every projector (each skips what it has).
    /// The projectors run concurrently, each in its own transaction on its
    /// own connection: they share no rows but the week marks, which all of
    /// them take in ascending week order, so they cannot deadlock; the batch
    /// takes as long as its slowest projector instead of their sum.
    async fn apply_all(&mut self, events: &[Decoded], report: Report<'_>) -> Result<()> {
        let pool = &self.pool;
        let applied = futures::future::try_join_all(self.projectors.iter_mut().map(|projector| async move {
            let started = std::time::Instant::now();
            let applied = apply_batch(pool, projector.as_mut(), events).await?;
            tracing::trace!(
                projector = projector.name(),
                applied = applied.events,
                ms = started.elapsed().as_millis() as u64,
                "applied"
            );
            Ok::<_, ProjectionError>((projector.name(), applied))
        }))
        .await?;
        for (projector, applied) in applied {
            report(Step::Advanced { projector, position: applied.checkpoint, applied: applied.events });
        }
        Ok(())
    }

    /// Applies batches until every projector has reached the head as it was
    /// when the call started; `progress` gets (last position, events) after
    /// each batch. See [`Runner::catch_up_reported`] for every step.
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
    /// after the last position read.
    pub async fn catch_up_reported(&mut self, report: Report<'_>) -> Result<CatchUp> {
        let target = head(&self.pool).await?;
        let checkpoints = self.checkpoints().await?;
        for &(projector, checkpoint) in &checkpoints {
            report(Step::CatchUpStarted { projector, checkpoint, head: target });
        }
        let from = checkpoints.iter().map(|(_, c)| *c).min().unwrap_or(0);
        let mut read = 0u64;
        if from >= target {
            return Ok(CatchUp { events_read: 0, head: target });
        }
        let mut next = Some(self.fetch(from));
        while let Some(pending) = next.take() {
            let events = pending.await.map_err(|e| ProjectionError::Other(format!("log reader: {e}")))??;
            let Some(last) = events.last().map(|e| e.position) else { break };
            if last < target {
                next = Some(self.fetch(last));
            }
            self.apply_all(&events, report).await?;
            read += events.len() as u64;
            report(Step::BatchDone { position: last, events: events.len() });
        }
        Ok(CatchUp { events_read: read, head: target })
    }

    /// Reads and decodes the batch after `position` on a task of its own.
    fn fetch(&self, position: i64) -> tokio::task::JoinHandle<Result<Vec<Decoded>>> {
        let pool = self.pool.clone();
        let limit = self.batch_size;
        tokio::spawn(async move { read_decoded(&pool, position, limit).await })
    }

    /// Waits for the log to grow: a notification or the polling fallback,
    /// whichever comes first. The notification is only a wake-up (D3).
    pub async fn wait_for_events(listener: &mut sqlx::postgres::PgListener, poll: Duration) -> Result<()> {
        tokio::select! {
            notification = listener.recv() => { notification?; }
            _ = tokio::time::sleep(poll) => {}
        }
        Ok(())
    }

    pub async fn listener(&self) -> Result<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(LOG_CHANNEL).await?;
        Ok(listener)
    }
}
