//! The build both `perfledger verify` and `perfledger replay` stand on: a
//! schema with empty copies of every read model and work table
//! ([`create_schema`]), the unchanged projectors and scoring pass folding
//! the log into it through a pool that puts it first on `search_path`
//! ([`build`]), and a table-by-table comparison with the serving version
//! ([`compare`]). Nothing is appended to the log (no weekly close, no goal
//! outcomes): those events are already in the log and are folded like any
//! other.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_projections::projectors;
use perfledger_projections::report::Report;
use perfledger_projections::runner::{ProjectionError, Runner};
use perfledger_scoring::pass::{score_weeks_in_parallel, ScoringContext};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// Every read model, in the order they are compared.
pub const READ_MODELS: &[&str] = &[
    "directory_people",
    "directory_teams",
    "directory_memberships",
    "directory_scoring_teams",
    "directory_grants",
    "directory_history",
    "settings_history",
    "metric_accumulators",
    "scoring_periods",
    "period_corrections",
    "agent_performance_scores",
    "agent_performance_snapshots",
    "agent_performance_goals",
    "agent_performance_reviews",
    "agent_performance_review_history",
    "audit_log",
];

/// Weeks a rebuild scores at once (the live pass scores
/// [`perfledger_scoring::pass::PARALLEL_WEEKS`]).
const REBUILD_PARALLEL_WEEKS: usize = 4;

/// Tables the rebuild needs but that hold process state, not facts.
const WORK_TABLES: &[&str] =
    &["projector_checkpoints", "scoring_dirty", "scheduler_checkpoints", "review_jobs", "projector_stalls"];

/// Columns left out of the comparison: wall-clock times of when a row was
/// written, a week's scoring `generation` (drawn from a sequence each time it
/// is scored), and goal `current_value` (derived from scores by the progress
/// pass, which a rebuild does not run because it appends goal outcomes).
const IGNORED_COLUMNS: &[&str] =
    &["created_at", "updated_at", "last_scored_at", "closed_at", "recorded_at", "generation", "current_value"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableCheck {
    pub table: String,
    pub serving_rows: i64,
    pub rebuilt_rows: i64,
    pub serving_checksum: String,
    pub rebuilt_checksum: String,
    /// Periods whose rows differ (scores and snapshots only).
    pub differing_periods: Vec<String>,
}

impl TableCheck {
    pub fn identical(&self) -> bool {
        self.serving_rows == self.rebuilt_rows && self.serving_checksum == self.rebuilt_checksum
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    pub log_head: i64,
    pub identical: bool,
    pub tables: Vec<TableCheck>,
}

/// Columns that hold JSON as text, compared as JSON values: their spelling
/// depends on who wrote them (rows written before migration 0006 were printed
/// by jsonb, later ones by serde), their meaning does not.
const JSON_TEXT_COLUMNS: &[(&str, &str)] = &[("metric_accumulators", "data")];

fn row_text(table: &str, alias: &str) -> String {
    let ignored: String = IGNORED_COLUMNS.iter().map(|c| format!(" - '{c}'")).collect();
    let as_json: String = JSON_TEXT_COLUMNS
        .iter()
        .filter(|(t, _)| *t == table)
        .map(|(_, c)| format!(" || jsonb_build_object('{c}', {alias}.{c}::jsonb)"))
        .collect();
    format!("(to_jsonb({alias}){ignored}{as_json})::text")
}

async fn checksum(pool: &PgPool, schema: &str, table: &str) -> Result<(i64, String), sqlx::Error> {
    let text = row_text(table, "t");
    sqlx::query_as(&format!(
        "SELECT count(*), coalesce(md5(string_agg({text}, E'\\n' ORDER BY {text})), '') FROM \"{schema}\".{table} t"
    ))
    .fetch_one(pool)
    .await
}

async fn period_checksums(pool: &PgPool, schema: &str, table: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    let text = row_text(table, "t");
    sqlx::query_as(&format!(
        "SELECT score_period_start::text, md5(string_agg({text}, E'\\n' ORDER BY {text}))
         FROM \"{schema}\".{table} t GROUP BY score_period_start ORDER BY 1"
    ))
    .fetch_all(pool)
    .await
}

/// Creates `schema` with empty copies of every read model and work table.
pub(crate) async fn create_schema(pool: &PgPool, schema: &str) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\"")).execute(&mut *tx).await?;
    for table in READ_MODELS.iter().chain(WORK_TABLES) {
        sqlx::query(&format!("CREATE TABLE \"{schema}\".{table} (LIKE public.{table} INCLUDING ALL)"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A pool whose unqualified table names resolve to `schema` first (the log
/// and its head stay in `public`).
pub(crate) async fn schema_pool(pool: &PgPool, schema: &str) -> Result<PgPool, ProjectionError> {
    let options = (*pool.connect_options()).clone().options([("search_path", format!("{schema},public"))]);
    // Every projector of a batch at once (six), the reader, the scoring pass.
    Ok(PgPoolOptions::new().max_connections(8).connect_with(options).await?)
}

/// What a build reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Built {
    pub head: i64,
    /// Weeks scored while the fold was still running.
    pub weeks_scored_early: usize,
}

/// Folds the log into `schema` from its own checkpoints (0 for a new
/// schema, where a crashed build left off otherwise) and scores every week
/// the serving side scored or that has activity.
///
/// Weeks the fold has left well behind are scored while it goes on
/// ([`score_passed_weeks`]); the rest once it is done.
pub(crate) async fn build(
    pool: &PgPool,
    schema: &str,
    batch_size: i64,
    report: Report<'_>,
) -> Result<Built, ProjectionError> {
    let scratch = schema_pool(pool, schema).await?;
    let result = async {
        let (folded, fold_done) = tokio::sync::watch::channel(false);
        let fold = async {
            let caught = Runner::new(scratch.clone(), projectors(), batch_size).catch_up_reported(report).await;
            folded.send_replace(true);
            caught
        };
        // Either side's error ends both at once (a dropped transaction rolls back).
        let (caught, early) = futures::try_join!(fold, score_passed_weeks(&scratch, fold_done))?;
        let serving: Vec<DateTime<Utc>> =
            sqlx::query_scalar("SELECT period_start FROM public.scoring_periods WHERE last_scored_at IS NOT NULL")
                .fetch_all(pool)
                .await?;
        let active: Vec<NaiveDate> =
            sqlx::query_scalar("SELECT DISTINCT date_trunc('week', day)::date FROM metric_accumulators")
                .fetch_all(&scratch)
                .await?;
        // A week scored early whose inputs changed afterwards was marked
        // dirty again by the projector that changed them.
        let dirty: Vec<DateTime<Utc>> =
            sqlx::query_scalar("SELECT period_start FROM scoring_dirty").fetch_all(&scratch).await?;
        let dirty: BTreeSet<NaiveDate> = dirty.iter().map(|s| s.date_naive()).collect();
        let weeks: BTreeSet<NaiveDate> = serving.iter().map(|s| s.date_naive()).chain(active).collect();
        let context = ScoringContext::load(&scratch).await?;
        let work: Vec<_> =
            weeks.into_iter().filter(|w| !early.contains(w) || dirty.contains(w)).map(|w| (w, None)).collect();
        // The fold is done and nothing else uses the build: more weeks at
        // once keep both cores and PostgreSQL busy through the round trips.
        score_weeks_in_parallel(&scratch, &context, &work, REBUILD_PARALLEL_WEEKS, report).await?;
        // Nothing is left to rescore in the new version.
        sqlx::query("DELETE FROM scoring_dirty").execute(&scratch).await?;
        Ok::<_, ProjectionError>(Built { head: caught.head, weeks_scored_early: early.len() })
    }
    .await;
    scratch.close().await;
    result
}

/// How far behind the newest folded day a week must end to be scored
/// while the fold goes on: the log is in recording order, which is close
/// to the order things happened.
const EARLY_SCORING_MARGIN_DAYS: i32 = 7;

/// While the fold runs, scores the dirty weeks that ended at least
/// [`EARLY_SCORING_MARGIN_DAYS`] before the newest folded day, with the
/// organisation and settings folded so far. Each week is scored under the
/// dirty-mark version read before its inputs, so an event that changes it
/// later (a late activity, an organisation or settings change) leaves it
/// dirty and the final pass scores it again. Returns the weeks scored.
async fn score_passed_weeks(
    scratch: &PgPool,
    mut fold_done: tokio::sync::watch::Receiver<bool>,
) -> Result<BTreeSet<NaiveDate>, ProjectionError> {
    let mut scored = BTreeSet::new();
    while !*fold_done.borrow() {
        let due: Vec<(DateTime<Utc>, i64)> = sqlx::query_as(
            "SELECT d.period_start, d.version FROM scoring_dirty d
             WHERE d.period_start::date + 7 + $1 <= (SELECT max(day) FROM metric_accumulators)
             ORDER BY 1",
        )
        .bind(EARLY_SCORING_MARGIN_DAYS)
        .fetch_all(scratch)
        .await?;
        if due.is_empty() {
            // Woken at once when the fold ends, so waiting never delays the build.
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                _ = fold_done.changed() => {}
            }
            continue;
        }
        let context = ScoringContext::load(scratch).await?;
        let work: Vec<_> = due.into_iter().map(|(start, version)| (start.date_naive(), Some(version))).collect();
        score_weeks_in_parallel(scratch, &context, &work, 1, &mut perfledger_projections::report::ignore).await?;
        scored.extend(work.into_iter().map(|(week, _)| week));
    }
    Ok(scored)
}

/// Compares every read model of `schema` with the serving one.
pub(crate) async fn compare(pool: &PgPool, schema: &str, head: i64) -> Result<VerifyReport, ProjectionError> {
    let mut tables = Vec::new();
    for table in READ_MODELS {
        let (serving_rows, serving_checksum) = checksum(pool, "public", table).await?;
        let (rebuilt_rows, rebuilt_checksum) = checksum(pool, schema, table).await?;
        let mut differing_periods = Vec::new();
        if table.starts_with("agent_performance_s") && serving_checksum != rebuilt_checksum {
            let a: BTreeSet<_> = period_checksums(pool, "public", table).await?.into_iter().collect();
            let b: BTreeSet<_> = period_checksums(pool, schema, table).await?.into_iter().collect();
            let differing: BTreeSet<String> = a.symmetric_difference(&b).map(|(p, _)| p.clone()).collect();
            differing_periods = differing.into_iter().collect();
        }
        tables.push(TableCheck {
            table: table.to_string(),
            serving_rows,
            rebuilt_rows,
            serving_checksum,
            rebuilt_checksum,
            differing_periods,
        });
    }
    let identical = tables.iter().all(TableCheck::identical);
    Ok(VerifyReport { log_head: head, identical, tables })
}

/// Every table a version consists of.
pub(crate) fn version_tables() -> impl Iterator<Item = &'static &'static str> {
    READ_MODELS.iter().chain(WORK_TABLES)
}
