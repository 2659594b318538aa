//! The metric accumulators projection (D6): every event folded into its
//! credited people's per-day accumulators. The hot path of a replay, so a
//! whole batch is folded in memory first; then the touched rows are read
//! once, merged and written back with one statement each, not per event.
//!
//! It also owns the weeks' open/closed state, since it sees `period.closed`
//! in log order: an event for a week that closed earlier in the log is a
//! late arrival, recorded as a correction, and the week is rescored (D15).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::NaiveDate;
use perfledger_domain::event::EventBody;
use perfledger_domain::period::{midnight, week_start_of_day};
use perfledger_domain::scoring::accumulate::{accumulate, credits, DayKey, PersonDay};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::dirty::mark_weeks;
use crate::runner::{Decoded, ProjectionError, Projector, Result};

pub const NAME: &str = "accumulators";

pub struct AccumulatorProjector;

#[async_trait]
impl Projector for AccumulatorProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn reset(&mut self, tx: &mut PgConnection) -> Result<bool> {
        sqlx::query("DELETE FROM metric_accumulators").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM period_corrections").execute(&mut *tx).await?;
        // Closing is folded from period.closed again; the scoring pass's own
        // columns (scored_people, last_scored_at) are rewritten when the
        // refolded weeks are scored.
        sqlx::query("UPDATE scoring_periods SET status = 'open', closed_at = NULL, corrections = 0")
            .execute(&mut *tx)
            .await?;
        Ok(true)
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        let t0 = std::time::Instant::now();
        let mut closed = closed_weeks(tx).await?;
        let mut days: HashMap<DayKey, PersonDay> = HashMap::new();
        let mut corrections = Vec::new();
        for d in events {
            if let EventBody::PeriodClosed(p) = &d.event.body {
                close_week(tx, p.period_start, p.period_end, d.event.occurred_at).await?;
                closed.insert(p.period_start);
                continue;
            }
            let week = week_start_of_day(d.event.occurred_at.date_naive());
            if closed.contains(&week) && !credits(&d.event).is_empty() {
                corrections.push((d.position, week, d.event.body.type_name(), d.recorded_at));
            }
            accumulate(&mut days, d.position, &d.event);
        }
        tracing::trace!(fold_ms = t0.elapsed().as_millis() as u64, "accumulators folded");
        if !days.is_empty() {
            let t = std::time::Instant::now();
            let weeks: Vec<NaiveDate> = days.keys().map(|(_, day)| week_start_of_day(*day)).collect();
            merge_existing(tx, &mut days).await?;
            let merged = t.elapsed();
            write_rows(tx, &days).await?;
            let written = t.elapsed();
            mark_weeks(tx, &weeks).await?;
            tracing::trace!(
                keys = days.len(),
                merge_ms = merged.as_millis() as u64,
                write_ms = (written - merged).as_millis() as u64,
                "accumulators"
            );
        }
        record_corrections(tx, &corrections).await?;
        Ok(())
    }
}

async fn closed_weeks(tx: &mut PgConnection) -> Result<BTreeSet<NaiveDate>> {
    let starts: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT period_start FROM scoring_periods WHERE status = 'closed'")
            .fetch_all(&mut *tx)
            .await?;
    Ok(starts.into_iter().map(|s| s.date_naive()).collect())
}

async fn close_week(
    tx: &mut PgConnection,
    start: NaiveDate,
    end: NaiveDate,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO scoring_periods (period_start, period_end, status, closed_at) VALUES ($1, $2, 'closed', $3)
         ON CONFLICT (period_start) DO UPDATE SET status = 'closed', closed_at = EXCLUDED.closed_at",
    )
    .bind(midnight(start))
    .bind(midnight(end))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Folds the stored accumulators of the touched keys into the batch's.
async fn merge_existing(tx: &mut PgConnection, days: &mut HashMap<DayKey, PersonDay>) -> Result<()> {
    let (people, dates): (Vec<Uuid>, Vec<NaiveDate>) = days.keys().copied().unzip();
    let rows: Vec<(Uuid, NaiveDate, String)> = sqlx::query_as(
        "SELECT a.person_id, a.day, a.data
         FROM metric_accumulators a
         JOIN unnest($1::uuid[], $2::date[]) AS k(person_id, day) ON a.day = k.day AND a.person_id = k.person_id",
    )
    .bind(&people)
    .bind(&dates)
    .fetch_all(&mut *tx)
    .await?;
    for (person, day, data) in rows {
        let key = (person, day);
        let mut merged = PersonDay::from_stored(&data)
            .map_err(|e| ProjectionError::Other(format!("stored accumulator {key:?} is unreadable: {e}")))?;
        if let Some(fresh) = days.get_mut(&key) {
            merged.merge(fresh);
            *fresh = merged;
        }
    }
    Ok(())
}

/// One row per (person, day): [`PersonDay::to_stored`].
async fn write_rows(tx: &mut PgConnection, days: &HashMap<DayKey, PersonDay>) -> Result<()> {
    let mut people = Vec::with_capacity(days.len());
    let mut dates = Vec::with_capacity(days.len());
    let mut data = Vec::with_capacity(days.len());
    let mut firsts = Vec::with_capacity(days.len());
    let mut lasts = Vec::with_capacity(days.len());
    for ((person, day), acc) in days {
        people.push(*person);
        dates.push(*day);
        data.push(acc.to_stored());
        firsts.push(acc.first_position);
        lasts.push(acc.last_position);
    }
    sqlx::query(
        "INSERT INTO metric_accumulators (person_id, day, data, first_position, last_position)
         SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::int8[], $5::int8[])
         ON CONFLICT (day, person_id) DO UPDATE SET data = EXCLUDED.data,
             first_position = EXCLUDED.first_position, last_position = EXCLUDED.last_position",
    )
    .bind(people)
    .bind(dates)
    .bind(data)
    .bind(firsts)
    .bind(lasts)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn record_corrections(
    tx: &mut PgConnection,
    corrections: &[(i64, NaiveDate, &'static str, chrono::DateTime<chrono::Utc>)],
) -> Result<()> {
    if corrections.is_empty() {
        return Ok(());
    }
    let positions: Vec<i64> = corrections.iter().map(|c| c.0).collect();
    let weeks: Vec<_> = corrections.iter().map(|c| midnight(c.1)).collect();
    let types: Vec<&str> = corrections.iter().map(|c| c.2).collect();
    let recorded: Vec<_> = corrections.iter().map(|c| c.3).collect();
    sqlx::query(
        "INSERT INTO period_corrections (global_position, period_start, event_type, recorded_at)
         SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::text[], $4::timestamptz[])",
    )
    .bind(&positions)
    .bind(&weeks)
    .bind(&types)
    .bind(&recorded)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE scoring_periods p SET corrections = p.corrections + c.n
         FROM (SELECT period_start, count(*) AS n FROM unnest($1::timestamptz[]) AS period_start GROUP BY 1) c
         WHERE p.period_start = c.period_start",
    )
    .bind(&weeks)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
