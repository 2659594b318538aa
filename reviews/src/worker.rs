//! The review worker (D15): claims due jobs and runs each on its own task, so
//! one slow or failing review never holds up the others. What is bounded by
//! `review_concurrency` (at most [`MAX_CONCURRENCY`]) is the provider calls
//! in flight, through a semaphore whose permit a job holds only around its
//! calls ([`crate::pipeline`]). Up to twice that many jobs are in flight, so
//! the next jobs' claims and context queries and the finished ones'
//! recording overlap the calls, and a permit released is taken at once by a
//! job whose prompt is ready.
//! `perfledger serve` runs [`run_forever`]: the flagged run when a week has
//! closed ([`crate::flagged`]), then the queue, woken by the log's
//! notifications with a polling fallback.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use perfledger_domain::settings::Settings;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{self, EnvOverrides};
use crate::jobs;
use crate::pipeline::{run_job, Outcome, PipelineError, RunContext};
use crate::provider::ReviewProvider;

/// The most provider calls in flight per worker process.
pub const MAX_CONCURRENCY: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("settings: {0}")]
    Settings(String),
}

/// What a drain did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub generated: usize,
    pub failed: usize,
    /// Transient failures put back with a backoff (counted per retry).
    pub retried: usize,
    pub stale: usize,
}

/// The settings in force today, the change not yet projected included.
pub async fn current_settings(pool: &PgPool) -> Result<Settings, WorkerError> {
    let history = perfledger_projections::settings::load_history_fresh(pool)
        .await
        .map_err(|e| WorkerError::Settings(e.to_string()))?;
    Ok(history.in_force_at(Utc::now().date_naive()))
}

/// Where the provider comes from: the settings and environment (production),
/// or a fixed one (benchmarks).
#[derive(Clone, Default)]
pub struct ProviderSource {
    pub env: EnvOverrides,
    pub fixed: Option<Arc<dyn ReviewProvider>>,
}

impl ProviderSource {
    pub fn from_env() -> Self {
        ProviderSource { env: EnvOverrides::from_env(), fixed: None }
    }

    fn provider(&self, settings: &Settings) -> Result<Arc<dyn ReviewProvider>, String> {
        match &self.fixed {
            Some(provider) => Ok(provider.clone()),
            None => config::build(&config::choose(settings, &self.env)?),
        }
    }
}

fn concurrency(settings: &Settings) -> usize {
    usize::try_from(settings.review_concurrency).unwrap_or(1).clamp(1, MAX_CONCURRENCY)
}

/// Jobs in flight per provider permit: one calling, one getting ready (or
/// recording its outcome).
const JOBS_PER_PERMIT: usize = 2;

/// The lease a claimed job holds, after which another worker may take it
/// over: its wait for a permit, its call and validation retry, and 30 s for
/// the database. The wait is at most one round of calls (two timeouts): at
/// most `limit` jobs wait behind the `limit` calling ones (FIFO permits,
/// [`JOBS_PER_PERMIT`]), so the `limit` releases the calling ones make
/// within two timeouts serve every waiter.
fn lease(settings: &Settings) -> Duration {
    let timeout = u64::try_from(settings.vllm_timeout_seconds.max(1)).unwrap_or(30);
    Duration::from_secs(timeout * 2 * 2 + 30)
}

/// Runs every due job until none is due, `review_concurrency` at a time.
/// When `wait_for_retries`, also waits for jobs put back with a backoff
/// until the queue is empty (tests, benchmarks, the demo).
pub async fn drain(pool: &PgPool, source: &ProviderSource, wait_for_retries: bool) -> Result<DrainReport, WorkerError> {
    let mut report = DrainReport::default();
    loop {
        let settings = current_settings(pool).await?;
        let provider = match source.provider(&settings) {
            Ok(provider) => provider,
            Err(reason) => {
                // Jobs stay queued until a provider is configured.
                tracing::warn!(%reason, "review jobs wait: no provider is configured");
                return Ok(report);
            }
        };
        let limit = concurrency(&settings);
        let ctx = RunContext {
            pool: pool.clone(),
            settings: Arc::new(settings.clone()),
            provider,
            provider_permits: Arc::new(Semaphore::new(limit)),
        };
        run_due(&ctx, limit * JOBS_PER_PERMIT, lease(&settings), &mut report).await?;
        if !wait_for_retries {
            return Ok(report);
        }
        let (open, next_due) = jobs::outstanding(pool).await?;
        if open == 0 {
            return Ok(report);
        }
        let wait = next_due.map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)).unwrap_or_default();
        tokio::time::sleep(wait.min(Duration::from_secs(5)) + Duration::from_millis(5)).await;
    }
}

/// Claims and runs due jobs, keeping up to `in_flight` of them running (the
/// provider calls among them are bounded by `ctx.provider_permits`). The
/// free places are claimed in one statement.
async fn run_due(
    ctx: &RunContext,
    in_flight: usize,
    lease: Duration,
    report: &mut DrainReport,
) -> Result<(), WorkerError> {
    let mut running: JoinSet<Result<Outcome, PipelineError>> = JoinSet::new();
    loop {
        // Claimed after every finished job too: a job may have become due meanwhile.
        if running.len() < in_flight {
            for job in jobs::claim(&ctx.pool, lease, in_flight - running.len()).await? {
                let ctx = ctx.clone();
                running.spawn(async move { run_job(&ctx, &job).await });
            }
        }
        let Some(joined) = running.join_next().await else { return Ok(()) };
        match joined {
            Ok(Ok(Outcome::Generated)) => report.generated += 1,
            Ok(Ok(Outcome::Failed(_))) => report.failed += 1,
            Ok(Ok(Outcome::Retrying(_))) => report.retried += 1,
            Ok(Ok(Outcome::Stale)) => report.stale += 1,
            // One job's database trouble must not stop the others: its lease
            // runs out and it is claimed again.
            Ok(Err(e)) => tracing::error!(error = %e, "a review job failed; it will be retried after its lease"),
            Err(e) => tracing::error!(error = %e, "a review job panicked; it will be retried after its lease"),
        }
    }
}

/// `perfledger serve`'s loop: the flagged run when due, then the queue;
/// woken by the log's notifications (a new `review.requested` is projected
/// into a job) with a polling fallback.
pub async fn run_forever(
    pool: PgPool,
    source: ProviderSource,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), WorkerError> {
    let mut follower = perfledger_projections::LogFollower::connect(&pool).await?;
    tokio::pin!(shutdown);
    loop {
        let round = async {
            if crate::flagged::run_is_due(&pool, Utc::now()).await? {
                let report = crate::flagged::run_flagged(&pool, Utc::now(), &source.env).await?;
                tracing::info!(?report, "flagged review run");
            }
            drain(&pool, &source, false).await
        };
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            result = round => {
                if let Err(e) = result {
                    tracing::error!(error = %e, "review worker round failed; retrying");
                }
            }
        }
        let next_due = jobs::outstanding(&pool).await.ok().and_then(|(_, at)| at);
        let wait = next_due.map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)).unwrap_or(poll).min(poll);
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = follower.wait(wait) => {}
        }
    }
}
