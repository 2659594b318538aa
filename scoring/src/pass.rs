//! The scoring pass (§3–4, D6–D11): a period's accumulators, the organisation
//! as of its end and the settings in force at its start go through the pure
//! formulas; a week's results are upserted into `agent_performance_scores`
//! and `agent_performance_snapshots`. Rescoring keeps ids (UUIDv5 of the
//! unique key) and `created_at`, and a rescore that changes nothing writes
//! nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use futures::FutureExt;
use perfledger_domain::directory::{OrgHistory, OrgState};
use perfledger_domain::period::midnight;
use perfledger_domain::scoring::accumulate::PersonDay;
use perfledger_domain::scoring::formulas::{score_period, PeriodInput, PersonPeriod, PersonScore, TeamInfo};
use perfledger_domain::scoring::{round2, FORMULA_VERSION};
use perfledger_domain::settings::{Settings, SettingsHistory};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use perfledger_projections::directory::enum_str;
use perfledger_projections::report::{Report, Step};
use perfledger_projections::runner::{ProjectionError, Result};
use perfledger_projections::stall;

/// Namespace of the UUIDv5 ids of score and snapshot rows.
const ROW_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_2c8e_4b7a_4f0e_9a31_5c2d_7e84_b190);

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

fn row_id(kind: &str, person: Uuid, week: NaiveDate, extra: &str) -> Uuid {
    Uuid::new_v5(&ROW_ID_NAMESPACE, format!("{kind}:{person}:{week}:{extra}").as_bytes())
}

/// A stored decimal as a JSON number (2 decimals, exact for display).
fn number(value: Decimal) -> Value {
    json!(round2(value).to_f64().unwrap_or(0.0))
}

fn optional(value: Option<Decimal>) -> Value {
    value.map_or(Value::Null, number)
}

async fn store_week(
    tx: &mut PgConnection,
    week: NaiveDate,
    end: NaiveDate,
    scores: &[PersonScore],
    flagged_threshold: i64,
) -> Result<WeekScored> {
    let (start_at, end_at) = (midnight(week), midnight(end));

    let mut s_id = Vec::new();
    let mut s_person = Vec::new();
    let mut s_domain = Vec::new();
    let mut s_raw = Vec::new();
    let mut s_weighted = Vec::new();
    let mut s_metrics = Vec::new();
    let mut s_first = Vec::new();
    let mut s_last = Vec::new();

    let mut n_id = Vec::new();
    let mut n_person = Vec::new();
    let mut n_composite = Vec::new();
    let mut n_domains = Vec::new();
    let mut n_weights = Vec::new();
    let mut n_team = Vec::new();
    let mut n_team_type = Vec::new();
    let mut n_ratio = Vec::new();
    let mut n_source = Vec::new();
    let mut n_flagged = Vec::new();
    let mut n_first = Vec::new();
    let mut n_last = Vec::new();

    for person in scores {
        let mut domain_scores = Map::new();
        let mut weights = Map::new();
        for d in &person.domains {
            let mut metrics = Map::new();
            for m in &d.metrics {
                metrics.insert(
                    m.key.clone(),
                    json!({
                        "raw_value": optional(m.raw_value),
                        "numerator": optional(m.numerator),
                        "denominator": optional(m.denominator),
                        "team_baseline": optional(m.team_baseline),
                        "points": number(m.points),
                        "max": number(m.max),
                    }),
                );
            }
            s_id.push(row_id("score", person.person_id, week, d.domain.as_str()));
            s_person.push(person.person_id);
            s_domain.push(d.domain.as_str());
            s_raw.push(round2(d.raw_score));
            s_weighted.push(round2(d.weighted_score));
            s_metrics.push(Value::Object(metrics));
            s_first.push(person.first_position);
            s_last.push(person.last_position);
            domain_scores.insert(d.domain.as_str().to_string(), number(d.raw_score));
            weights.insert(d.domain.as_str().to_string(), number(d.weight * Decimal::ONE_HUNDRED));
        }
        n_id.push(row_id("snapshot", person.person_id, week, ""));
        n_person.push(person.person_id);
        n_composite.push(round2(person.composite));
        n_domains.push(Value::Object(domain_scores));
        n_weights.push(Value::Object(weights));
        n_team.push(person.team_id);
        n_team_type.push(person.team_type.as_ref().map(enum_str));
        n_ratio.push(round2(person.sales_activity_ratio));
        n_source.push(enum_str(&person.weight_source));
        // Flagged on the unrounded composite (§4).
        n_flagged.push(person.composite < Decimal::from(flagged_threshold));
        n_first.push(person.first_position);
        n_last.push(person.last_position);
    }

    // Rows of people or domains no longer scored (an org change) go away.
    sqlx::query(
        "DELETE FROM agent_performance_scores s WHERE s.score_period_start = $1
           AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::text[]) AS k(person_id, domain)
                           WHERE k.person_id = s.person_id AND k.domain = s.domain)",
    )
    .bind(start_at)
    .bind(&s_person)
    .bind(&s_domain)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM agent_performance_snapshots WHERE score_period_start = $1 AND person_id <> ALL($2::uuid[])",
    )
    .bind(start_at)
    .bind(&n_person)
    .execute(&mut *tx)
    .await?;

    sqlx::query(
        "INSERT INTO agent_performance_scores AS s (id, person_id, score_period_start, score_period_end, domain,
             raw_score, weighted_score, metrics_json, formula_version, first_position, last_position)
         SELECT u.id, u.person_id, $1, $2, u.domain, u.raw_score, u.weighted_score, u.metrics_json, $3,
                u.first_position, u.last_position
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::numeric[], $8::numeric[], $9::jsonb[], $10::int8[],
                     $11::int8[])
              AS u(id, person_id, domain, raw_score, weighted_score, metrics_json, first_position, last_position)
         ON CONFLICT (person_id, score_period_start, domain) DO UPDATE SET
             raw_score = EXCLUDED.raw_score, weighted_score = EXCLUDED.weighted_score,
             metrics_json = EXCLUDED.metrics_json, formula_version = EXCLUDED.formula_version,
             first_position = EXCLUDED.first_position, last_position = EXCLUDED.last_position, updated_at = now()
         WHERE (s.raw_score, s.weighted_score, s.metrics_json, s.formula_version, s.first_position, s.last_position)
               IS DISTINCT FROM (EXCLUDED.raw_score, EXCLUDED.weighted_score, EXCLUDED.metrics_json,
                                 EXCLUDED.formula_version, EXCLUDED.first_position, EXCLUDED.last_position)",
    )
    .bind(start_at)
    .bind(end_at)
    .bind(FORMULA_VERSION)
    .bind(&s_id)
    .bind(&s_person)
    .bind(&s_domain)
    .bind(&s_raw)
    .bind(&s_weighted)
    .bind(&s_metrics)
    .bind(&s_first)
    .bind(&s_last)
    .execute(&mut *tx)
    .await?;

    sqlx::query(
        "INSERT INTO agent_performance_snapshots AS s (id, person_id, score_period_start, score_period_end,
             composite_score, domain_scores_json, weights_json, team_id, team_type, sales_activity_ratio,
             weight_source, is_flagged, formula_version, first_position, last_position)
         SELECT u.id, u.person_id, $1, $2, u.composite, u.domains, u.weights, u.team_id, u.team_type, u.ratio,
                u.source, u.flagged, $3, u.first_position, u.last_position
         FROM unnest($4::uuid[], $5::uuid[], $6::numeric[], $7::jsonb[], $8::jsonb[], $9::uuid[], $10::text[],
                     $11::numeric[], $12::text[], $13::bool[], $14::int8[], $15::int8[])
              AS u(id, person_id, composite, domains, weights, team_id, team_type, ratio, source, flagged,
                   first_position, last_position)
         ON CONFLICT (person_id, score_period_start, score_period_end) DO UPDATE SET
             composite_score = EXCLUDED.composite_score, domain_scores_json = EXCLUDED.domain_scores_json,
             weights_json = EXCLUDED.weights_json, team_id = EXCLUDED.team_id, team_type = EXCLUDED.team_type,
             sales_activity_ratio = EXCLUDED.sales_activity_ratio, weight_source = EXCLUDED.weight_source,
             is_flagged = EXCLUDED.is_flagged, formula_version = EXCLUDED.formula_version,
             first_position = EXCLUDED.first_position, last_position = EXCLUDED.last_position, updated_at = now()
         WHERE (s.composite_score, s.domain_scores_json, s.weights_json, s.team_id, s.team_type,
                s.sales_activity_ratio, s.weight_source, s.is_flagged, s.formula_version, s.first_position,
                s.last_position)
               IS DISTINCT FROM (EXCLUDED.composite_score, EXCLUDED.domain_scores_json, EXCLUDED.weights_json,
                EXCLUDED.team_id, EXCLUDED.team_type, EXCLUDED.sales_activity_ratio, EXCLUDED.weight_source,
                EXCLUDED.is_flagged, EXCLUDED.formula_version, EXCLUDED.first_position, EXCLUDED.last_position)",
    )
    .bind(start_at)
    .bind(end_at)
    .bind(FORMULA_VERSION)
    .bind(&n_id)
    .bind(&n_person)
    .bind(&n_composite)
    .bind(&n_domains)
    .bind(&n_weights)
    .bind(&n_team)
    .bind(&n_team_type)
    .bind(&n_ratio)
    .bind(&n_source)
    .bind(&n_flagged)
    .bind(&n_first)
    .bind(&n_last)
    .execute(&mut *tx)
    .await?;

    let people = n_person.iter().collect::<BTreeSet<_>>().len();
    sqlx::query(
        "INSERT INTO scoring_periods (period_start, period_end, scored_people, last_scored_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (period_start) DO UPDATE SET scored_people = EXCLUDED.scored_people,
             last_scored_at = EXCLUDED.last_scored_at, generation = nextval('scoring_generation')",
    )
    .bind(start_at)
    .bind(end_at)
    .bind(people as i32)
    .execute(&mut *tx)
    .await?;
    Ok(WeekScored { people, score_rows: s_id.len() })
}
