//! Projector lag (D3): how far each projector is behind the head, in
//! positions and in the age of the oldest event it has not applied yet.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::runner::Result;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lag {
    pub projector: String,
    pub position: i64,
    pub head: i64,
    pub behind: i64,
    /// Seconds since the oldest unapplied event was recorded; 0 when caught up.
    pub oldest_unprojected_age_s: f64,
    /// `running`, or `stalled` when it stopped at an event it cannot fold.
    pub state: &'static str,
    /// Where and why it stopped (issue 14); `perfledger events void` frees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stall: Option<crate::stall::Stall>,
}

/// The lag of every named projector.
pub async fn lag(pool: &PgPool, projectors: &[&str]) -> Result<Vec<Lag>> {
    Ok(lag_and_scoring(pool, projectors).await?.0)
}

/// [`lag`], and the scoring pass's stall if any, from one read of the
/// stalls: what `/healthz`, `/readyz` and `/metrics` show.
pub async fn lag_and_scoring(pool: &PgPool, projectors: &[&str]) -> Result<(Vec<Lag>, Option<crate::stall::Stall>)> {
    let head = perfledger_store::log::head(pool).await?;
    let mut stalls = crate::stall::list(pool).await?;
    let mut out = Vec::new();
    for name in projectors {
        let position = crate::runner::checkpoint(pool, name).await?;
        let oldest: Option<DateTime<Utc>> =
            // Only up to the head read above: an event appended since is
            // not counted as behind, so it must not age the lag either.
            sqlx::query_scalar("SELECT recorded_at FROM events WHERE global_position = $1 AND global_position <= $2")
                .bind(position + 1)
                .bind(head)
                .fetch_optional(pool)
                .await?;
        let stall = stalls.iter().position(|s| s.component == *name).map(|i| stalls.swap_remove(i));
        let age = oldest.map_or(0.0, |at| ((Utc::now() - at).num_milliseconds().max(0) as f64) / 1000.0);
        out.push(Lag {
            projector: name.to_string(),
            position,
            head,
            behind: (head - position).max(0),
            oldest_unprojected_age_s: age,
            state: if stall.is_some() { "stalled" } else { "running" },
            stall,
        });
    }
    let scoring = stalls.into_iter().find(|s| s.component == crate::stall::SCORING);
    Ok((out, scoring))
}
