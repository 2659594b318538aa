//! The projection worker: every projector, the scoring pass, the weekly
//! close and goal progress, in the order one round needs them (the close
//! and goal progress only on the leader, D15). `serve` and
//! `project` run [`run_forever`]; `project --once` runs [`run_once`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use perfledger_projections::projectors;
use perfledger_projections::report::{Report, Step};
use perfledger_projections::runner::{ProjectionError, Result, Runner};
use perfledger_scoring::pass::{score_dirty, score_dirty_reported};

/// The session advisory lock held by the scheduler leader (D15).
const LEADER_LOCK: i64 = 0x7065_7266_6c65_6164; // "perflead"

/// One dedicated connection holding the leader lock while it lives.
#[derive(Default)]
struct Leadership {
    connection: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
}

impl Leadership {
    /// Whether this process leads: keeps the lock while its connection
    /// lives, and tries to take it when it has none.
    async fn holds(&mut self, pool: &PgPool) -> Result<bool> {
        if let Some(connection) = &mut self.connection {
            if sqlx::query("SELECT 1").execute(&mut **connection).await.is_ok() {
                return Ok(true);
            }
            self.connection = None;
        }
        let mut connection = pool.acquire().await?;
        let taken: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(LEADER_LOCK).fetch_one(&mut *connection).await?;
        if taken {
            tracing::info!("this worker leads the schedule (weekly close, goal progress)");
            self.connection = Some(connection);
        }
        Ok(taken)
    }
}

/// Default events per batch (and per transaction).
pub const DEFAULT_BATCH: i64 = 20_000;

/// Events per batch when `perfledger replay` rebuilds a version from
/// position 0: a (person, day) accumulator row is rewritten once per batch
/// that touches it, so bigger batches write each row fewer times. Two
/// batches are in memory at once (one applied, the next decoded), well
/// under the 1 GiB budget at this size.
pub const REBUILD_BATCH: i64 = 100_000;

#[derive(Debug, Default, Clone)]
pub struct RoundReport {
    pub events: u64,
    pub head: i64,
    pub weeks_scored: usize,
    pub weeks_closed: usize,
    /// Projectors and scoring weeks stopped at something they cannot fold
    /// (`projector_stalls`); 0 when all is well.
    pub stalled: usize,
}

/// Catches every projector up to the head, rescores dirty weeks, closes the
/// weeks that ended (their `period.closed` events are folded before
/// returning) and updates goal progress. `progress` gets (last position,
/// events) after each batch; see [`run_once_reported`] for every step.
pub async fn run_once(
    pool: &PgPool,
    batch_size: i64,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(i64, usize) + Send),
) -> Result<RoundReport> {
    run_once_reported(pool, batch_size, now, &mut |step| {
        if let Step::BatchDone { position, events } = step {
            progress(position, events)
        }
    })
    .await
}

/// [`run_once`], reporting each projector's advances and the scoring pass.
pub async fn run_once_reported(
    pool: &PgPool,
    batch_size: i64,
    now: DateTime<Utc>,
    report: Report<'_>,
) -> Result<RoundReport> {
    let mut runner = Runner::new(pool.clone(), projectors(), batch_size);
    let caught = runner.catch_up_reported(report).await?;
    let mut round = RoundReport { events: caught.events_read, head: caught.head, ..Default::default() };
    round.weeks_scored = score_dirty_reported(pool, now, report).await?.len();
    let closed = crate::close::close_due_weeks(pool, now).await?;
    round.weeks_closed = closed.len();
    crate::progress::update_goal_progress(pool, now).await?;
    // Fold what this round appended (period.closed, goal outcomes).
    let caught = runner.catch_up_reported(report).await?;
    round.events += caught.events_read;
    round.head = caught.head;
    round.weeks_scored += score_dirty_reported(pool, now, report).await?.len();
    round.stalled = perfledger_projections::stall::list(pool).await?.len();
    Ok(round)
}

/// How often the long-running worker refreshes goal progress (D15 asks for
/// daily; values follow the scores much sooner) besides after a weekly close.
pub const GOAL_PROGRESS_EVERY: Duration = Duration::from_secs(600);

/// Runs rounds until `shutdown` resolves: woken by LISTEN/NOTIFY, with a
/// polling fallback; goal progress every [`GOAL_PROGRESS_EVERY`] and after
/// every weekly close.
pub async fn run_forever(
    pool: PgPool,
    batch_size: i64,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let mut runner = Runner::new(pool.clone(), projectors(), batch_size);
    let mut follower = perfledger_projections::LogFollower::connect(&pool).await?;
    tokio::pin!(shutdown);
    let mut last_goal_progress: Option<std::time::Instant> = None;
    let mut leadership = Leadership::default();
    loop {
        let round = async {
            runner.catch_up(&mut |_, _| {}).await?;
            let now = Utc::now();
            score_dirty(&pool, now).await?;
            // The schedule (weekly close, goal progress) has one leader per
            // database (D15); every worker projects and scores.
            if !leadership.holds(&pool).await? {
                return Ok(());
            }
            let closed = crate::close::close_due_weeks(&pool, now).await?;
            if !closed.is_empty() {
                tracing::info!(weeks = closed.len(), "closed weeks");
            }
            if !closed.is_empty() || last_goal_progress.is_none_or(|at| at.elapsed() >= GOAL_PROGRESS_EVERY) {
                crate::progress::update_goal_progress(&pool, now).await?;
                last_goal_progress = Some(std::time::Instant::now());
            }
            Ok::<_, ProjectionError>(())
        };
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            result = round => {
                if let Err(e) = result {
                    tracing::error!(error = %e, "projection round failed; retrying");
                    tokio::time::sleep(poll).await;
                }
            }
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            woke = follower.wait(poll) => { woke?; }
        }
    }
}
