//! The projection worker: every projector, the scoring pass, the weekly
//! close and goal progress, in the order one round needs them. `serve` and
//! `project` run [`run_forever`]; `project --once` runs [`run_once`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::accumulators::AccumulatorProjector;
use crate::audit::AuditProjector;
use crate::directory::DirectoryProjector;
use crate::goals::GoalsProjector;
use crate::runner::{Projector, Result, Runner};
use crate::settings::SettingsProjector;

/// Every projector's checkpoint name, in the order they are applied.
pub const PROJECTORS: [&str; 5] =
    [crate::directory::NAME, crate::settings::NAME, crate::accumulators::NAME, crate::goals::NAME, crate::audit::NAME];

pub fn projectors() -> Vec<Box<dyn Projector>> {
    vec![
        Box::new(DirectoryProjector),
        Box::new(SettingsProjector),
        Box::new(AccumulatorProjector),
        Box::new(GoalsProjector),
        Box::new(AuditProjector),
    ]
}

/// Default events per batch (and per transaction).
pub const DEFAULT_BATCH: i64 = 20_000;

#[derive(Debug, Default, Clone)]
pub struct RoundReport {
    pub events: u64,
    pub head: i64,
    pub weeks_scored: usize,
    pub weeks_closed: usize,
}

/// Catches every projector up to the head, rescores dirty weeks, closes the
/// weeks that ended (their `period.closed` events are folded before
/// returning) and updates goal progress.
pub async fn run_once(
    pool: &PgPool,
    batch_size: i64,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(i64, usize) + Send),
) -> Result<RoundReport> {
    let mut runner = Runner::new(pool.clone(), projectors(), batch_size);
    let caught = runner.catch_up(progress).await?;
    let mut report = RoundReport { events: caught.events_read, head: caught.head, ..Default::default() };
    report.weeks_scored = crate::scoring::score_dirty(pool, now).await?.len();
    let closed = crate::close::close_due_weeks(pool, now).await?;
    report.weeks_closed = closed.len();
    crate::progress::update_goal_progress(pool, now).await?;
    // Fold what this round appended (period.closed, goal outcomes).
    let caught = runner.catch_up(progress).await?;
    report.events += caught.events_read;
    report.head = caught.head;
    report.weeks_scored += crate::scoring::score_dirty(pool, now).await?.len();
    Ok(report)
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
    let mut listener = runner.listener().await?;
    tokio::pin!(shutdown);
    let mut last_goal_progress: Option<std::time::Instant> = None;
    loop {
        let round = async {
            runner.catch_up(&mut |_, _| {}).await?;
            let now = Utc::now();
            crate::scoring::score_dirty(&pool, now).await?;
            let closed = crate::close::close_due_weeks(&pool, now).await?;
            if !closed.is_empty() {
                tracing::info!(weeks = closed.len(), "closed weeks");
            }
            if !closed.is_empty() || last_goal_progress.is_none_or(|at| at.elapsed() >= GOAL_PROGRESS_EVERY) {
                crate::progress::update_goal_progress(&pool, now).await?;
                last_goal_progress = Some(std::time::Instant::now());
            }
            Ok::<_, crate::runner::ProjectionError>(())
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
            woke = Runner::wait_for_events(&mut listener, poll) => { woke?; }
        }
    }
}
