//! `perfledger verify` (issue 4): rebuilds every read model from position 0
//! into a scratch schema and compares it with the serving tables, table by
//! table and, for scores and snapshots, period by period. This is how an
//! auditor proves the scores come from the log.
//!
//! The scratch schema is built by [`crate::build`], as `replay` builds its
//! next version: empty copies of the read-model tables that the unchanged
//! projectors and scoring pass write into while reading the one `events`
//! table.

use chrono::Utc;
use perfledger_projections::projectors;
use perfledger_projections::report::{Report, Step};
use perfledger_projections::runner::{ProjectionError, Runner};
use sqlx::PgPool;

use crate::build::{build, compare, create_schema, VerifyReport};

/// Rebuilds into a scratch schema, compares, drops the schema. `report`
/// gets the rebuild's steps (the serving side's catch-up first).
pub async fn verify(pool: &PgPool, batch_size: i64, report: Report<'_>) -> Result<VerifyReport, ProjectionError> {
    // Bring the serving side to the head first, so both sides fold the same log.
    report(Step::PhaseStarted { phase: "catch up" });
    Runner::new(pool.clone(), projectors(), batch_size).catch_up(&mut |_, _| {}).await?;
    perfledger_scoring::pass::score_dirty(pool, Utc::now()).await?;
    report(Step::PhaseDone { phase: "catch up" });

    let schema = format!("perfledger_verify_{}", std::process::id());
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).execute(pool).await?;
    create_schema(pool, &schema).await?;
    let result = async {
        let head = build(pool, &schema, batch_size, report).await?.head;
        report(Step::PhaseStarted { phase: "compare" });
        let compared = compare(pool, &schema, head).await;
        report(Step::PhaseDone { phase: "compare" });
        compared
    }
    .await;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).execute(pool).await?;
    result
}
