//! The scoring pass (§3–4, D6–D11): a period's accumulators, the organisation
//! as of its end and the settings in force at its start go through the pure
//! formulas; a week's results are upserted into `agent_performance_scores`
//! and `agent_performance_snapshots` in their stored form ([`crate::rows`]).
//! Rescoring keeps ids (UUIDv5 of the unique key) and `created_at`, and a
//! rescore that changes no value leaves the score rows as they were; the
//! week's `scoring_periods` row (`last_scored_at`, `generation`) moves on
//! every scoring.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use futures::FutureExt;
use perfledger_domain::directory::{OrgHistory, OrgState};
use perfledger_domain::period::midnight;
use perfledger_domain::scoring::accumulate::PersonDay;
use perfledger_domain::scoring::formulas::{score_period, PeriodInput, PersonPeriod, PersonScore, TeamInfo};
use perfledger_domain::settings::{Settings, SettingsHistory};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use perfledger_projections::report::{Report, Step};
use perfledger_projections::runner::{ProjectionError, Result};
use perfledger_projections::stall;

use crate::rows::{write_week, WeekRows};

/// With the week's day number, the advisory lock that serialises two
/// passes scoring the same week (two processes on one database); different
/// weeks score in parallel.
const SCORING_LOCK: i32 = 0x7073_636f; // "psco"

/// How many weeks one process scores at once.
pub const PARALLEL_WEEKS: usize = 2;

/// What the scoring pass reads besides the accumulators: loaded once per run.
pub struct ScoringContext {
    pub org: OrgHistory,
    pub settings: SettingsHistory,
}

impl ScoringContext {
    pub async fn load(pool: &PgPool) -> Result<Self> {
        let mut org = perfledger_projections::directory::load_history(pool).await?;
        org.sort();
        Ok(ScoringContext { org, settings: perfledger_projections::settings::load_history(pool).await? })
    }
}

/// Every person's accumulators over the days `[from, to)`, merged.
pub async fn load_accumulators(
    executor: impl PgExecutor<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<Uuid, PersonDay>> {
    let rows: Vec<(Uuid, NaiveDate, String)> =
        sqlx::query_as("SELECT person_id, day, data FROM metric_accumulators WHERE day >= $1 AND day < $2")
            .bind(from)
            .bind(to)
            .fetch_all(executor)
            .await?;
    let mut merged: BTreeMap<Uuid, PersonDay> = BTreeMap::new();
    for (person, day, data) in rows {
        let stored = PersonDay::from_stored(&data).map_err(|e| {
            ProjectionError::Other(format!("stored accumulator {:?} is unreadable: {e}", (person, day)))
        })?;
        merged.entry(person).or_default().merge(&stored);
    }
    Ok(merged)
}

/// Scores the days `[from, to)` with the organisation at `to` and the given
/// settings (D6: weeks are stored, other ranges computed on read).
pub fn score_range(
    context: &ScoringContext,
    accumulators: BTreeMap<Uuid, PersonDay>,
    to: NaiveDate,
    settings: &Settings,
) -> Vec<PersonScore> {
    score_with_org(&context.org.state_at(midnight(to)), accumulators, settings)
}

/// Scores accumulators with a given organisation (as of the period's end):
/// for callers that score one period under several settings.
pub fn score_with_org(
    org: &OrgState,
    accumulators: BTreeMap<Uuid, PersonDay>,
    settings: &Settings,
) -> Vec<PersonScore> {
    let scoring_teams = org.scoring_teams();
    let people = accumulators
        .into_iter()
        .filter(|(person, _)| org.is_active(*person))
        .map(|(person, activity)| {
            (person, PersonPeriod { activity, scoring_team: scoring_teams.get(&person).copied() })
        })
        .collect();
    let teams = org
        .teams
        .iter()
        .filter(|(_, t)| t.is_active)
        .map(|(id, t)| (*id, TeamInfo { team_type: t.team_type, members: org.members(*id) }))
        .collect();
    score_period(&PeriodInput { people, teams, settings })
}

/// Scores the days `[from, to)` as of now, without writing anything.
pub async fn compute_range(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonScore>> {
    let context = ScoringContext::load(pool).await?;
    let settings = context.settings.in_force_at(from);
    let accumulators = load_accumulators(pool, from, to).await?;
    Ok(score_range(&context, accumulators, to, &settings))
}

/// What scoring one week wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeekScored {
    pub people: usize,
    pub score_rows: usize,
}

/// Scores the week starting `week` and stores it, under the scoring lock.
/// `dirty_version`, when given, is the mark this pass clears.
pub async fn score_week(
    pool: &PgPool,
    context: &ScoringContext,
    week: NaiveDate,
    dirty_version: Option<i64>,
) -> Result<WeekScored> {
    let end = week + Days::new(7);
    let settings = context.settings.in_force_at(week);
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(SCORING_LOCK)
        .bind(week.num_days_from_ce())
        .execute(&mut *tx)
        .await?;
    let mut scored = WeekScored::default();
    if settings.scoring_enabled {
        let started = std::time::Instant::now();
        let accumulators = load_accumulators(&mut *tx, week, end).await?;
        let loaded = started.elapsed();
        let scores = score_range(context, accumulators, end, &settings);
        let computed = started.elapsed();
        scored = store_week(&mut tx, week, end, &scores, settings.flagged_threshold).await?;
        tracing::debug!(
            %week,
            load_ms = loaded.as_millis() as u64,
            score_ms = (computed - loaded).as_millis() as u64,
            store_ms = (started.elapsed() - computed).as_millis() as u64,
            "scored week"
        );
    }
    if let Some(version) = dirty_version {
        sqlx::query("DELETE FROM scoring_dirty WHERE period_start = $1 AND version = $2")
            .bind(midnight(week))
            .bind(version)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(scored)
}

/// Rescores every dirty week that has started by `now`. Returns the weeks.
pub async fn score_dirty(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<NaiveDate>> {
    score_dirty_reported(pool, now, &mut perfledger_projections::report::ignore).await
}

/// [`score_dirty`], reporting the weeks scored as it goes.
pub async fn score_dirty_reported(pool: &PgPool, now: DateTime<Utc>, report: Report<'_>) -> Result<Vec<NaiveDate>> {
    let dirty: Vec<(DateTime<Utc>, i64)> =
        sqlx::query_as("SELECT period_start, version FROM scoring_dirty WHERE period_start <= $1 ORDER BY 1")
            .bind(now)
            .fetch_all(pool)
            .await?;
    if dirty.is_empty() {
        return Ok(Vec::new());
    }
    let context = ScoringContext::load(pool).await?;
    let weeks: Vec<(NaiveDate, Option<i64>)> = dirty.into_iter().map(|(s, v)| (s.date_naive(), Some(v))).collect();
    let all = std::panic::AssertUnwindSafe(score_weeks(pool, &context, &weeks, report))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(ProjectionError::from_panic(panic)));
    match all {
        Ok(_) => {
            stall::clear(pool, stall::SCORING).await?;
            Ok(weeks.into_iter().map(|(w, _)| w).collect())
        }
        Err(e) if !stall::is_deterministic(&e) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "a scoring pass failed; scoring its weeks one at a time");
            score_each(pool, &context, &weeks).await
        }
    }
}

/// Scores the weeks one by one, so one week that cannot be scored stops
/// only itself: it stays dirty (retried every round) and the earliest such
/// week is recorded as the scoring pass's stall (issue 14).
async fn score_each(
    pool: &PgPool,
    context: &ScoringContext,
    weeks: &[(NaiveDate, Option<i64>)],
) -> Result<Vec<NaiveDate>> {
    let mut scored = Vec::with_capacity(weeks.len());
    let mut failed: Option<(NaiveDate, String)> = None;
    for &(week, version) in weeks {
        let result = std::panic::AssertUnwindSafe(score_week(pool, context, week, version))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(ProjectionError::from_panic(panic)));
        match result {
            Ok(_) => scored.push(week),
            Err(e) if !stall::is_deterministic(&e) => return Err(e),
            Err(e) => {
                tracing::error!(%week, error = %e, "scoring stalled on this week; it stays dirty");
                if failed.is_none() {
                    failed = Some((week, e.to_string()));
                }
            }
        }
    }
    match failed {
        Some((week, error)) => stall::record_week(pool, week, &error).await?,
        None => stall::clear(pool, stall::SCORING).await?,
    }
    Ok(scored)
}

/// Scores several weeks, [`PARALLEL_WEEKS`] at a time, reporting
/// [`Step::WeeksScored`] after each group.
pub async fn score_weeks(
    pool: &PgPool,
    context: &ScoringContext,
    weeks: &[(NaiveDate, Option<i64>)],
    report: Report<'_>,
) -> Result<Vec<WeekScored>> {
    score_weeks_in_parallel(pool, context, weeks, PARALLEL_WEEKS, report).await
}

/// [`score_weeks`], `parallel` weeks at a time.
pub async fn score_weeks_in_parallel(
    pool: &PgPool,
    context: &ScoringContext,
    weeks: &[(NaiveDate, Option<i64>)],
    parallel: usize,
    report: Report<'_>,
) -> Result<Vec<WeekScored>> {
    let mut scored = Vec::with_capacity(weeks.len());
    report(Step::WeeksScored { done: 0, total: weeks.len() });
    for chunk in weeks.chunks(parallel.max(1)) {
        let mut pending = Vec::with_capacity(chunk.len());
        for &(week, version) in chunk {
            pending.push(score_week(pool, context, week, version));
        }
        scored.extend(futures::future::try_join_all(pending).await?);
        report(Step::WeeksScored { done: scored.len(), total: weeks.len() });
    }
    Ok(scored)
}

/// Stores a week's scores ([`crate::rows`]) and moves its `scoring_periods`
/// row: `last_scored_at` and a new `generation` on every scoring, also when
/// no row changed.
async fn store_week(
    tx: &mut PgConnection,
    week: NaiveDate,
    end: NaiveDate,
    scores: &[PersonScore],
    flagged_threshold: i64,
) -> Result<WeekScored> {
    let rows = WeekRows::new(week, scores, flagged_threshold);
    write_week(tx, week, end, &rows).await?;
    let people = rows.people();
    sqlx::query(
        "INSERT INTO scoring_periods (period_start, period_end, scored_people, last_scored_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (period_start) DO UPDATE SET scored_people = EXCLUDED.scored_people,
             last_scored_at = EXCLUDED.last_scored_at, generation = nextval('scoring_generation')",
    )
    .bind(midnight(week))
    .bind(midnight(end))
    .bind(people as i32)
    .execute(&mut *tx)
    .await?;
    Ok(WeekScored { people, score_rows: rows.scores.len() })
}
