//! Marking weeks whose inputs changed, so the scoring pass rescores them.
//! Written in the projector's own transaction, so a mark is never lost.

use chrono::{NaiveDate, Utc};
use perfledger_domain::period::{midnight, week_start_of_day};
use sqlx::PgConnection;

use crate::runner::Result;

/// Marks the given week starts dirty.
pub async fn mark_weeks(tx: &mut PgConnection, weeks: &[NaiveDate]) -> Result<()> {
    if weeks.is_empty() {
        return Ok(());
    }
    // Deduplicated: one INSERT may not touch a row twice.
    let starts: Vec<_> =
        weeks.iter().collect::<std::collections::BTreeSet<_>>().into_iter().map(|w| midnight(*w)).collect();
    sqlx::query("INSERT INTO scoring_dirty (period_start) SELECT unnest($1::timestamptz[]) ON CONFLICT (period_start) DO UPDATE SET version = scoring_dirty.version + 1, marked_at = now()")
        .bind(&starts)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The earliest day an organisation or settings change marks from: the
/// default start of the `occurred_at` window, 2000-01-01.
pub const MARK_FLOOR: NaiveDate = perfledger_domain::validate::DEFAULT_EARLIEST_DAY;

/// Marks every week from the one starting on or containing `from` up to the
/// current week: an organisation or settings change affects every later
/// period's state (§3, D10).
///
/// Never before [`MARK_FLOOR`]: a log written before the `occurred_at`
/// window (issue 14) may date a person 0000-01-01, and marking the 105,000
/// weeks since would stall scoring for a minute on every such event. The
/// floor is a constant, not the configured window, so every replay marks
/// the same weeks. Activity before it still marks its own weeks.
pub async fn mark_weeks_from(tx: &mut PgConnection, from: NaiveDate) -> Result<()> {
    let first = week_start_of_day(from.max(MARK_FLOOR));
    let this_week = week_start_of_day(Utc::now().date_naive());
    let last = this_week.max(first);
    sqlx::query(
        "INSERT INTO scoring_dirty (period_start)
         SELECT generate_series($1::timestamptz, $2::timestamptz, interval '7 days')
         ON CONFLICT (period_start) DO UPDATE SET version = scoring_dirty.version + 1, marked_at = now()",
    )
    .bind(midnight(first))
    .bind(midnight(last))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
