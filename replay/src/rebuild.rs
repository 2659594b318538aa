//! `perfledger replay` (issue 4): rebuilds every read model from position 0
//! blue-green. The new version is built in the schema `perfledger_build`
//! (the same projectors, that schema first on `search_path`) while the
//! serving tables in `public` keep answering the API and dashboards. Once
//! the build has reached the head, one transaction swaps the tables (DDL is
//! transactional in PostgreSQL) and drops the old version. The build's
//! checkpoints live in its own schema, so a killed replay resumes with
//! `--resume` where it stopped; `--dry-run` builds and compares without
//! switching.

use perfledger_projections::report::{Report, Step};
use perfledger_projections::runner::ProjectionError;
use serde::Serialize;
use sqlx::PgPool;

use crate::build::{build, compare, create_schema, version_tables, VerifyReport};

/// Where the next version is built.
pub const BUILD_SCHEMA: &str = "perfledger_build";

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(
        "a replay was interrupted (schema {BUILD_SCHEMA} exists): run `perfledger replay --resume` to continue it, \
         or `perfledger replay --restart` to start over"
    )]
    Interrupted,
    #[error("--resume: there is no interrupted replay to resume")]
    NothingToResume,
    #[error("{0}")]
    Projection(#[from] ProjectionError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Fresh,
    Resume,
    Restart,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub head: i64,
    pub switched: bool,
    pub resumed: bool,
    /// Weeks scored while the fold was still running (the rest after it).
    pub weeks_scored_early: usize,
    /// The comparison with the serving version: made by a dry run (a real
    /// switch skips it; run `perfledger verify` afterwards to prove it).
    pub comparison: Option<VerifyReport>,
}

async fn build_exists(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(BUILD_SCHEMA)
        .fetch_one(pool)
        .await
}

pub async fn replay(
    pool: &PgPool,
    batch_size: i64,
    start: Start,
    dry_run: bool,
    report: Report<'_>,
) -> Result<ReplayReport, ReplayError> {
    let exists = build_exists(pool).await?;
    let resumed = match (start, exists) {
        (Start::Fresh, true) => return Err(ReplayError::Interrupted),
        (Start::Resume, false) => return Err(ReplayError::NothingToResume),
        (Start::Resume, true) => true,
        (Start::Restart, true) => {
            sqlx::query(&format!("DROP SCHEMA \"{BUILD_SCHEMA}\" CASCADE")).execute(pool).await?;
            false
        }
        (_, false) => false,
    };
    if !resumed {
        create_schema(pool, BUILD_SCHEMA).await?;
    }
    let built = build(pool, BUILD_SCHEMA, batch_size, report).await?;
    let (head, weeks_scored_early) = (built.head, built.weeks_scored_early);
    if dry_run {
        report(Step::PhaseStarted { phase: "compare" });
        let comparison = compare(pool, BUILD_SCHEMA, head).await?;
        report(Step::PhaseDone { phase: "compare" });
        sqlx::query(&format!("DROP SCHEMA \"{BUILD_SCHEMA}\" CASCADE")).execute(pool).await?;
        return Ok(ReplayReport { head, switched: false, resumed, weeks_scored_early, comparison: Some(comparison) });
    }
    report(Step::PhaseStarted { phase: "switch" });
    switch(pool).await?;
    report(Step::PhaseDone { phase: "switch" });
    Ok(ReplayReport { head, switched: true, resumed, weeks_scored_early, comparison: None })
}

/// Swaps the built version in, atomically, and drops the old one.
async fn switch(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for table in version_tables() {
        sqlx::query(&format!("DROP TABLE public.{table}")).execute(&mut *tx).await?;
        sqlx::query(&format!("ALTER TABLE \"{BUILD_SCHEMA}\".{table} SET SCHEMA public")).execute(&mut *tx).await?;
    }
    sqlx::query(&format!("DROP SCHEMA \"{BUILD_SCHEMA}\"")).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
