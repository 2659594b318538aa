//! The connector's own state in perfledger's database (migration 0008):
//! watermarks, entity shadows, snapshot digests, held events and skips.
//! Reads are batched per chunk; a chunk's writes are one transaction, and
//! only what changed is written (an idle poll writes nothing).

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::derive::{Out, Shadow, Skip, Ts};

/// What a poll starts from, read in one round trip.
#[derive(Default)]
pub(crate) struct Start {
    /// Per table: (read_until, last_id).
    pub watermarks: HashMap<String, (Ts, String)>,
    /// Per snapshot table: the digest of its last full read.
    pub digests: HashMap<String, String>,
    /// People perfledger has a shadow of (upserted at least once).
    pub known_people: HashSet<String>,
}

pub(crate) async fn start(target: &PgPool) -> Result<Start, sqlx::Error> {
    let rows: Vec<(String, String, Option<Ts>, Option<String>)> = sqlx::query_as(
        "SELECT 'w', source_table, read_until, last_id FROM dotmac_watermarks
         UNION ALL SELECT 'd', id, NULL, state->>'digest' FROM dotmac_shadow WHERE kind = 'snapshot_digest'
         UNION ALL SELECT 'p', id, NULL, NULL FROM dotmac_shadow WHERE kind = 'person'",
    )
    .fetch_all(target)
    .await?;
    let mut start = Start::default();
    for (what, key, at, text) in rows {
        match (what.as_str(), at, text) {
            ("w", Some(at), Some(last_id)) => {
                start.watermarks.insert(key, (at, last_id));
            }
            ("d", _, Some(digest)) => {
                start.digests.insert(key, digest);
            }
            ("p", ..) => {
                start.known_people.insert(key);
            }
            _ => {}
        }
    }
    Ok(start)
}

/// The shadows of `ids` of `kind`, by id.
pub(crate) async fn shadows(target: &PgPool, kind: &str, ids: &[&str]) -> Result<HashMap<String, Shadow>, sqlx::Error> {
    let rows: Vec<(String, Value)> =
        sqlx::query_as("SELECT id, state FROM dotmac_shadow WHERE kind = $1 AND id = ANY($2)")
            .bind(kind)
            .bind(ids)
            .fetch_all(target)
            .await?;
    Ok(rows.into_iter().map(|(id, state)| (id, serde_json::from_value(state).unwrap_or_default())).collect())
}

/// Which of `ids` of `kind` perfledger has seen created.
pub(crate) async fn created(target: &PgPool, kind: &str, ids: &[&str]) -> Result<HashSet<String>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM dotmac_shadow WHERE kind = $1 AND id = ANY($2) AND (state->>'created')::boolean",
    )
    .bind(kind)
    .bind(ids)
    .fetch_all(target)
    .await?;
    Ok(rows.into_iter().collect())
}

/// What one chunk records once its events are appended.
#[derive(Default)]
pub(crate) struct ChunkState {
    pub table: &'static str,
    pub held: Vec<Out>,
    pub skips: Vec<Skip>,
    /// Shadows that differ from the stored ones: (kind, id, state).
    pub shadows: Vec<(&'static str, String, Value)>,
    /// The last row read, when it is not the stored watermark.
    pub watermark: Option<(Ts, String)>,
    /// A snapshot table's digest, once its whole read is recorded.
    pub digest: Option<String>,
}

impl ChunkState {
    fn is_empty(&self) -> bool {
        self.held.is_empty()
            && self.skips.is_empty()
            && self.shadows.is_empty()
            && self.watermark.is_none()
            && self.digest.is_none()
    }
}

/// Records a chunk's held events, skips, shadows, watermark and digest in
/// one transaction (none when there is nothing to record).
pub(crate) async fn record(target: &PgPool, state: &ChunkState) -> Result<(), sqlx::Error> {
    log_skips(&state.skips);
    if state.is_empty() {
        return Ok(());
    }
    let mut tx = target.begin().await?;
    if !state.held.is_empty() {
        let mut columns: [Vec<&str>; 5] = Default::default();
        for out in &state.held {
            let (kind, entity) = out.parent.as_ref().expect("held events have a parent");
            for (column, value) in columns.iter_mut().zip([&out.event_id, *kind, entity, &out.envelope, &out.row_id]) {
                column.push(value);
            }
        }
        let [event_ids, kinds, entities, envelopes, row_ids] = columns;
        sqlx::query(
            "INSERT INTO dotmac_held (event_id, kind, entity_id, envelope, source_table, row_id)
             SELECT e, k, i, v, $5, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[]) AS h(e, k, i, v, r)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&event_ids)
        .bind(&kinds)
        .bind(&entities)
        .bind(&envelopes)
        .bind(state.table)
        .bind(&row_ids)
        .execute(&mut *tx)
        .await?;
    }
    insert_skips(&mut tx, &state.skips).await?;
    if !state.shadows.is_empty() {
        let kinds: Vec<&str> = state.shadows.iter().map(|(k, ..)| *k).collect();
        let ids: Vec<&str> = state.shadows.iter().map(|(_, id, _)| id.as_str()).collect();
        let states: Vec<&Value> = state.shadows.iter().map(|(.., s)| s).collect();
        sqlx::query(
            "INSERT INTO dotmac_shadow (kind, id, state) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
             ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state",
        )
        .bind(&kinds)
        .bind(&ids)
        .bind(&states)
        .execute(&mut *tx)
        .await?;
    }
    if let Some((ts, id)) = &state.watermark {
        sqlx::query(
            "INSERT INTO dotmac_watermarks (source_table, read_until, last_id) VALUES ($1, $2, $3)
             ON CONFLICT (source_table) DO UPDATE SET read_until = greatest(dotmac_watermarks.read_until, excluded.read_until),
               last_id = excluded.last_id, updated_at = now()",
        )
        .bind(state.table)
        .bind(ts)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(digest) = &state.digest {
        sqlx::query(
            "INSERT INTO dotmac_shadow (kind, id, state) VALUES ('snapshot_digest', $1, jsonb_build_object('digest', $2::text))
             ON CONFLICT (kind, id) DO UPDATE SET state = EXCLUDED.state",
        )
        .bind(state.table)
        .bind(digest)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

fn log_skips(skips: &[Skip]) {
    for skip in skips {
        tracing::warn!(table = skip.table, row_id = %skip.row_id, reason = %skip.reason, "dotmac row skipped");
    }
}

/// Keeps skips in `dotmac_skips` (one row per table, row and reason; `last_seen` bumped).
async fn insert_skips(tx: &mut PgConnection, skips: &[Skip]) -> Result<(), sqlx::Error> {
    // One statement may not touch a key twice.
    let unique: HashSet<(&str, &str, &str)> =
        skips.iter().map(|s| (s.table, s.row_id.as_str(), s.reason.as_str())).collect();
    if unique.is_empty() {
        return Ok(());
    }
    let mut columns: [Vec<&str>; 3] = Default::default();
    for (table, row_id, reason) in unique {
        columns[0].push(table);
        columns[1].push(row_id);
        columns[2].push(reason);
    }
    sqlx::query(
        "INSERT INTO dotmac_skips (source_table, row_id, reason) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (source_table, row_id, reason) DO UPDATE SET last_seen = now()",
    )
    .bind(&columns[0])
    .bind(&columns[1])
    .bind(&columns[2])
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Held events whose entity is now created: (event id, envelope, source table, row id).
pub(crate) async fn releasable(target: &PgPool) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT h.event_id, h.envelope, h.source_table, h.row_id FROM dotmac_held h
         JOIN dotmac_shadow s ON s.kind = h.kind AND s.id = h.entity_id
         WHERE (s.state->>'created')::boolean ORDER BY h.held_at, h.event_id",
    )
    .fetch_all(target)
    .await
}

/// Records the release of held events: their skips, and they are no longer held.
pub(crate) async fn released(target: &PgPool, event_ids: &[&str], skips: &[Skip]) -> Result<(), sqlx::Error> {
    log_skips(skips);
    let mut tx = target.begin().await?;
    insert_skips(&mut tx, skips).await?;
    sqlx::query("DELETE FROM dotmac_held WHERE event_id = ANY($1)").bind(event_ids).execute(&mut *tx).await?;
    tx.commit().await
}
