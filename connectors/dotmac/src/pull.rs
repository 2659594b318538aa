//! The pull: DotMac's tables → perfledger events (docs/connectors/dotmac.md).
//!
//! A poll reads every source table from its watermark minus the overlap, in
//! chunks; each chunk's rows are compared with the shadow of their entities
//! and turned into envelopes with ids built from the fact. Envelopes go
//! through `parse_envelope` and the `Ingestor` (the API's validation and
//! writer); events whose entity perfledger has not seen created are held
//! back. Then, in one transaction: held events, skips, shadow and watermark.
//! A crash between the append and that transaction re-derives the same ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use futures::TryStreamExt;
use perfledger_domain::{parse_envelope, Activity, ItemRejection};
use perfledger_store::Ingestor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::rows::*;

type Ts = DateTime<Utc>;

/// Session advisory lock key: one poll at a time per perfledger database.
const LOCK_KEY: i64 = 0x646f_746d_6163; // "dotmac"

#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// How far behind each watermark a poll re-reads.
    pub overlap: chrono::Duration,
    /// Source rows per chunk (one append and one state transaction each).
    pub chunk_rows: usize,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        ConnectorOptions { overlap: chrono::Duration::minutes(10), chunk_rows: 5000 }
    }
}

/// What a poll did (printed by `perfledger connect dotmac --once`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PollReport {
    pub rows_read: u64,
    pub events_appended: usize,
    pub duplicates: usize,
    /// Events held back this poll because their entity is not created yet.
    pub held: usize,
    /// Held events appended this poll.
    pub released: usize,
    pub skipped: usize,
    pub by_type: BTreeMap<String, usize>,
    pub seconds: f64,
}

impl PollReport {
    fn merge(&mut self, other: PollReport) {
        self.rows_read += other.rows_read;
        self.events_appended += other.events_appended;
        self.duplicates += other.duplicates;
        self.held += other.held;
        self.released += other.released;
        self.skipped += other.skipped;
        for (k, v) in other.by_type {
            *self.by_type.entry(k).or_default() += v;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("reading DotMac: {0}")]
    Source(sqlx::Error),
    #[error("perfledger's database: {0}")]
    Target(#[from] sqlx::Error),
    #[error(transparent)]
    Ingest(#[from] perfledger_store::ingest::IngestError),
}

/// The last state of a DotMac entity the connector saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Shadow {
    /// The creation event was derived (and appended or refused).
    #[serde(default)]
    created: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<String>>,
    /// In a resolved (or terminal) state.
    #[serde(default)]
    resolved: bool,
    /// Resolutions derived so far (part of the ids of later ones).
    #[serde(default)]
    resolutions: u32,
    #[serde(default)]
    started: bool,
    /// Hash of a diff-only fact's last value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
}

/// One derived event.
struct Out {
    event_id: String,
    envelope: String,
    /// The entity it needs created first (kind, id); None for creations and org facts.
    parent: Option<(&'static str, String)>,
    row_id: String,
}

struct Skip {
    table: &'static str,
    row_id: String,
    reason: String,
}

/// What one chunk derives.
#[derive(Default)]
struct Derived {
    outs: Vec<Out>,
    skips: Vec<Skip>,
    shadows: HashMap<(&'static str, String), Shadow>,
}

pub struct Connector {
    source: PgPool,
    target: PgPool,
    ingestor: Ingestor,
    options: ConnectorOptions,
}

/// A progress callback: (source rows done, total to read).
pub type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

impl Connector {
    pub fn new(source: PgPool, target: PgPool, ingestor: Ingestor, options: ConnectorOptions) -> Self {
        Connector { source, target, ingestor, options }
    }

    /// One poll over every table, then the held events. Polls of several
    /// connectors on one perfledger database run one at a time.
    pub async fn poll(&self, progress: Option<ProgressFn<'_>>) -> Result<PollReport, ConnectorError> {
        let started = Instant::now();
        let mut lock = self.target.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK_KEY).execute(&mut *lock).await?;
        let result = self.poll_locked(progress).await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY).execute(&mut *lock).await;
        let mut report = result?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    async fn poll_locked(&self, progress: Option<ProgressFn<'_>>) -> Result<PollReport, ConnectorError> {
        let mut report = PollReport::default();
        let staff: HashSet<String> = sqlx::query_scalar::<_, uuid::Uuid>(STAFF)
            .fetch_all(&self.source)
            .await
            .map_err(ConnectorError::Source)?
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        let known_people: HashSet<String> = sqlx::query_scalar("SELECT id FROM dotmac_shadow WHERE kind = 'person'")
            .fetch_all(&self.target)
            .await?
            .into_iter()
            .collect();
        let new_staff: Vec<uuid::Uuid> =
            staff.iter().filter(|id| !known_people.contains(*id)).filter_map(|id| id.parse().ok()).collect();
        let watermarks: HashMap<String, Ts> =
            sqlx::query_as::<_, (String, Ts)>("SELECT source_table, read_until FROM dotmac_watermarks")
                .fetch_all(&self.target)
                .await?
                .into_iter()
                .collect();
        let floor = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
        let lower = |table: &str| watermarks.get(table).map(|t| *t - self.options.overlap).unwrap_or(floor);

        let total = match progress {
            Some(_) => {
                let mut total = 0u64;
                for pass in PASSES {
                    let sql = format!("SELECT count(*) FROM ({}) q", pass.sql);
                    let mut query = sqlx::query_scalar::<_, i64>(&sql);
                    if !pass.snapshot {
                        query = query.bind(lower(pass.table));
                    }
                    if pass.table == "people" {
                        query = query.bind(&new_staff);
                    }
                    total += query.fetch_one(&self.source).await.map_err(ConnectorError::Source)?.max(0) as u64;
                }
                total
            }
            None => 0,
        };

        for pass in PASSES {
            // A snapshot table (no `updated_at`) is read whole and diffed;
            // when its content digest is the one of the last full read,
            // nothing in it changed and an idle poll skips it.
            let digest = match pass.snapshot {
                true => Some(self.snapshot_digest(pass).await?),
                false => None,
            };
            if let Some(digest) = &digest {
                if self.stored_digest(pass.table).await?.as_ref() == Some(digest) {
                    continue;
                }
            }
            let mut query = sqlx::query_as::<_, (String, Ts, String)>(pass.sql);
            if !pass.snapshot {
                query = query.bind(lower(pass.table));
            }
            if pass.table == "people" {
                query = query.bind(&new_staff);
            }
            let mut rows = query.fetch(&self.source);
            let mut chunk = Vec::with_capacity(self.options.chunk_rows);
            loop {
                let next = rows.try_next().await.map_err(ConnectorError::Source)?;
                let done = next.is_none();
                if let Some(row) = next {
                    chunk.push(row);
                }
                if chunk.len() >= self.options.chunk_rows || (done && !chunk.is_empty()) {
                    let n = chunk.len() as u64;
                    report.merge(self.chunk(pass, std::mem::take(&mut chunk), &staff).await?);
                    report.rows_read += n;
                    if let Some(progress) = progress {
                        progress(report.rows_read, total.max(report.rows_read));
                    }
                }
                if done {
                    break;
                }
            }
            if let Some(digest) = digest {
                self.store_digest(pass.table, &digest).await?;
            }
        }
        report.merge(self.release_held().await?);
        Ok(report)
    }

    /// The digest of a snapshot pass's rows, computed on DotMac's side.
    async fn snapshot_digest(&self, pass: &Pass) -> Result<String, ConnectorError> {
        let sql = format!("SELECT md5(coalesce(string_agg(q::text, ',' ORDER BY q::text), '')) FROM ({}) q", pass.sql);
        sqlx::query_scalar(&sql).fetch_one(&self.source).await.map_err(ConnectorError::Source)
    }

    /// The digest stored after the last full read of `table`, if any.
    async fn stored_digest(&self, table: &str) -> Result<Option<String>, ConnectorError> {
        Ok(sqlx::query_scalar("SELECT state->>'digest' FROM dotmac_shadow WHERE kind = 'snapshot_digest' AND id = $1")
            .bind(table)
            .fetch_optional(&self.target)
            .await?
            .flatten())
    }

    /// Records `digest` once every row of `table`'s full read is processed.
    async fn store_digest(&self, table: &str, digest: &str) -> Result<(), ConnectorError> {
        sqlx::query(
            "INSERT INTO dotmac_shadow (kind, id, state) VALUES ('snapshot_digest', $1, jsonb_build_object('digest', $2::text))
             ON CONFLICT (kind, id) DO UPDATE SET state = EXCLUDED.state",
        )
        .bind(table)
        .bind(digest)
        .execute(&self.target)
        .await?;
        Ok(())
    }

    /// Derives, appends and records one chunk of a table.
    async fn chunk(
        &self,
        pass: &Pass,
        rows: Vec<(String, Ts, String)>,
        staff: &HashSet<String>,
    ) -> Result<PollReport, ConnectorError> {
        let mut report = PollReport::default();
        let (own_kind, parent_kind) = kinds(pass.table);
        let ids: Vec<String> = rows.iter().map(|(id, _, _)| id.clone()).collect();
        let mut shadows = match own_kind {
            Some(kind) => self.load_shadows(kind, &ids).await?,
            None => HashMap::new(),
        };
        let enrich = self.enrich(pass.table, &rows, &shadows).await?;
        let mut derived = Derived::default();
        for (id, _, raw) in &rows {
            let key = (own_kind.unwrap_or(""), id.clone());
            let shadow = shadows.remove(&key).unwrap_or_default();
            if let Err(reason) = derive(pass.table, id, raw, shadow, staff, &enrich, &mut derived) {
                derived.skips.push(Skip { table: pass.table, row_id: id.clone(), reason });
            }
        }

        // Hold back events whose entity is not created yet.
        let parent_ids: Vec<String> = derived
            .outs
            .iter()
            .filter_map(|o| o.parent.as_ref().map(|(_, id)| id.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let created: HashSet<String> = match parent_kind {
            Some(kind) if !parent_ids.is_empty() => {
                let mut set: HashSet<String> = self
                    .load_shadows(kind, &parent_ids)
                    .await?
                    .into_iter()
                    .filter(|(_, s)| s.created)
                    .map(|((_, id), _)| id)
                    .collect();
                // Created in this same chunk (the tags pass shadows its conversations).
                set.extend(
                    derived.shadows.iter().filter(|((k, _), s)| *k == kind && s.created).map(|((_, id), _)| id.clone()),
                );
                set
            }
            _ => HashSet::new(),
        };
        let (ready, held): (Vec<Out>, Vec<Out>) =
            derived.outs.into_iter().partition(|o| o.parent.as_ref().is_none_or(|(_, id)| created.contains(id)));

        let appended = self.append(pass.table, &ready, &mut derived.skips).await?;
        report.merge(appended);
        report.held = held.len();
        report.skipped = derived.skips.len();

        let mut tx = self.target.begin().await?;
        for out in &held {
            let (kind, entity) = out.parent.as_ref().expect("held events have a parent");
            sqlx::query(
                "INSERT INTO dotmac_held (event_id, kind, entity_id, envelope, source_table, row_id)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(&out.event_id)
            .bind(kind)
            .bind(entity)
            .bind(&out.envelope)
            .bind(pass.table)
            .bind(&out.row_id)
            .execute(&mut *tx)
            .await?;
        }
        record_skips(&mut tx, &derived.skips).await?;
        if !derived.shadows.is_empty() {
            let (kinds, ids, states): (Vec<&str>, Vec<String>, Vec<Value>) = derived
                .shadows
                .into_iter()
                .map(|((k, id), s)| (k, id, serde_json::to_value(s).expect("a shadow serializes")))
                .fold((vec![], vec![], vec![]), |(mut a, mut b, mut c), (k, id, s)| {
                    a.push(k);
                    b.push(id);
                    c.push(s);
                    (a, b, c)
                });
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
        if !pass.snapshot {
            if let Some((id, ts, _)) = rows.last() {
                sqlx::query(
                    "INSERT INTO dotmac_watermarks (source_table, read_until, last_id) VALUES ($1, $2, $3)
                     ON CONFLICT (source_table) DO UPDATE SET read_until = greatest(dotmac_watermarks.read_until, excluded.read_until),
                       last_id = excluded.last_id, updated_at = now()",
                )
                .bind(pass.table)
                .bind(ts)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Parses and appends envelopes through the ingest writer; refused ones become skips.
    async fn append(
        &self,
        table: &'static str,
        outs: &[Out],
        skips: &mut Vec<Skip>,
    ) -> Result<PollReport, ConnectorError> {
        let mut report = PollReport::default();
        for batch in outs.chunks(5000) {
            let items: Vec<Result<Activity, ItemRejection>> =
                batch.iter().map(|o| parse_envelope(&o.envelope)).collect();
            let ingested = self.ingestor.ingest(&items).await?;
            for rejected in &ingested.rejected {
                let out = &batch[rejected.index];
                skips.push(Skip {
                    table,
                    row_id: out.row_id.clone(),
                    reason: format!("{}: {}", out.event_id, rejected.error),
                });
            }
            report.events_appended += ingested.accepted;
            report.duplicates += ingested.duplicates;
            if let (Some(first), Some(last)) = (ingested.first_position, ingested.last_position) {
                let counts: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT event_type, count(*) FROM events WHERE global_position BETWEEN $1 AND $2 GROUP BY 1",
                )
                .bind(first)
                .bind(last)
                .fetch_all(&self.target)
                .await?;
                for (event_type, n) in counts {
                    *report.by_type.entry(event_type).or_default() += n as usize;
                }
            }
        }
        Ok(report)
    }

    /// Appends held events whose entity is now created.
    async fn release_held(&self) -> Result<PollReport, ConnectorError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT h.event_id, h.envelope, h.source_table, h.row_id FROM dotmac_held h
             JOIN dotmac_shadow s ON s.kind = h.kind AND s.id = h.entity_id
             WHERE (s.state->>'created')::boolean ORDER BY h.held_at, h.event_id",
        )
        .fetch_all(&self.target)
        .await?;
        if rows.is_empty() {
            return Ok(PollReport::default());
        }
        let mut by_table: BTreeMap<&'static str, Vec<Out>> = BTreeMap::new();
        for (event_id, envelope, table, row_id) in &rows {
            let table = PASSES.iter().find(|p| p.table == table).map(|p| p.table).unwrap_or("held");
            by_table.entry(table).or_default().push(Out {
                event_id: event_id.clone(),
                envelope: envelope.clone(),
                parent: None,
                row_id: row_id.clone(),
            });
        }
        let mut report = PollReport::default();
        let mut skips = Vec::new();
        for (table, outs) in &by_table {
            report.merge(self.append(table, outs, &mut skips).await?);
        }
        report.released = report.events_appended;
        report.skipped = skips.len();
        let ids: Vec<&String> = rows.iter().map(|(id, ..)| id).collect();
        let mut tx = self.target.begin().await?;
        record_skips(&mut tx, &skips).await?;
        sqlx::query("DELETE FROM dotmac_held WHERE event_id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn load_shadows(
        &self,
        kind: &'static str,
        ids: &[String],
    ) -> Result<HashMap<(&'static str, String), Shadow>, sqlx::Error> {
        let rows: Vec<(String, Value)> =
            sqlx::query_as("SELECT id, state FROM dotmac_shadow WHERE kind = $1 AND id = ANY($2)")
                .bind(kind)
                .bind(ids)
                .fetch_all(&self.target)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, state)| ((kind, id), serde_json::from_value(state).unwrap_or_default()))
            .collect())
    }

    /// Extra source reads for entities seen for the first time: a ticket's
    /// SLA due time, a conversation's channel.
    async fn enrich(
        &self,
        table: &str,
        rows: &[(String, Ts, String)],
        shadows: &HashMap<(&'static str, String), Shadow>,
    ) -> Result<Enrich, ConnectorError> {
        let mut enrich = Enrich::default();
        let (kind, terminal): (&'static str, &[&str]) = match table {
            "tickets" => ("ticket", &["pending_confirmation", "closed"]),
            "work_orders" => ("work_order", &["completed", "canceled"]),
            "crm_conversations" => ("conversation", &["resolved", "resolved_to_ticket"]),
            _ => return Ok(enrich),
        };
        let shadow_of = |id: &String| shadows.get(&(kind, id.clone()));
        let new: Vec<uuid::Uuid> = rows
            .iter()
            .filter(|(id, _, _)| !shadow_of(id).is_some_and(|s| s.created))
            .filter_map(|(id, _, _)| id.parse().ok())
            .collect();
        let closing: Vec<uuid::Uuid> = rows
            .iter()
            .filter(|(id, _, raw)| {
                let status =
                    serde_json::from_str::<Value>(raw).ok().and_then(|v| v["status"].as_str().map(str::to_string));
                status.is_some_and(|s| terminal.contains(&s.as_str())) && !shadow_of(id).is_some_and(|s| s.resolved)
            })
            .filter_map(|(id, _, _)| id.parse().ok())
            .collect();
        let src = |e| ConnectorError::Source(e);
        match table {
            "tickets" => {
                if !new.is_empty() {
                    let due: Vec<(String, Option<Ts>)> =
                        sqlx::query_as(TICKET_SLA_DUE).bind(&new).fetch_all(&self.source).await.map_err(src)?;
                    enrich.sla_due = due.into_iter().filter_map(|(id, d)| d.map(|d| (id, d))).collect();
                }
                if !closing.is_empty() {
                    let rows: Vec<(String, String, Ts)> =
                        sqlx::query_as(TICKET_BREACHES).bind(&closing).fetch_all(&self.source).await.map_err(src)?;
                    for (ticket, clock, at) in rows {
                        enrich.breaches.entry(ticket).or_default().push((clock, at));
                    }
                }
            }
            "work_orders" => {
                if !closing.is_empty() {
                    let rows: Vec<(String, String, Option<String>, i64, Ts)> =
                        sqlx::query_as(WORK_ORDER_NOTES).bind(&closing).fetch_all(&self.source).await.map_err(src)?;
                    for (wo, note, author, chars, at) in rows {
                        enrich.notes.entry(wo).or_default().push((note, author, chars, at));
                    }
                }
            }
            _ => {
                if !new.is_empty() {
                    let channels: Vec<(String, String)> =
                        sqlx::query_as(CONVERSATION_CHANNEL).bind(&new).fetch_all(&self.source).await.map_err(src)?;
                    enrich.channel = channels.into_iter().collect();
                }
                if !closing.is_empty() {
                    let rows: Vec<(String, String, String, Option<String>, Ts)> = sqlx::query_as(CONVERSATION_MESSAGES)
                        .bind(&closing)
                        .fetch_all(&self.source)
                        .await
                        .map_err(src)?;
                    for (conv, msg, direction, author, at) in rows {
                        enrich.messages.entry(conv).or_default().push((msg, direction, author, at));
                    }
                    let rows: Vec<(String, String, Option<String>, Ts)> = sqlx::query_as(CONVERSATION_ASSIGNMENTS)
                        .bind(&closing)
                        .fetch_all(&self.source)
                        .await
                        .map_err(src)?;
                    for (conv, assignment, person, at) in rows {
                        enrich.assignments.entry(conv).or_default().push((assignment, person, at));
                    }
                    let rows: Vec<(String, Vec<String>, Ts)> =
                        sqlx::query_as(CONVERSATION_TAGS).bind(&closing).fetch_all(&self.source).await.map_err(src)?;
                    for (conv, tags, at) in rows {
                        enrich.tags.insert(conv, (tags, at));
                    }
                }
            }
        }
        Ok(enrich)
    }

    /// Follows: a poll, then another every `interval` or as soon as the
    /// webhook receiver notifies `perfledger_dotmac`; until `stop` resolves.
    pub async fn follow(
        &self,
        interval: Duration,
        mut on_poll: impl FnMut(&PollReport),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), ConnectorError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.target).await?;
        listener.listen(crate::WAKE_CHANNEL).await?;
        tokio::pin!(stop);
        loop {
            match self.poll(None).await {
                Ok(report) => on_poll(&report),
                Err(err) => tracing::error!(error = %err, "dotmac poll failed; retrying at the next poll"),
            }
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = tokio::time::sleep(interval) => {}
                notification = listener.recv() => {
                    if let Err(err) = notification {
                        tracing::warn!(error = %err, "dotmac wake-up listener failed; polling on the interval");
                    }
                }
            }
        }
    }
}

/// (note id, author, body characters, created_at).
type NoteChild = (String, Option<String>, i64, Ts);
/// (message id, direction, author, moment).
type MessageChild = (String, String, Option<String>, Ts);

#[derive(Default)]
struct Enrich {
    sla_due: HashMap<String, Ts>,
    channel: HashMap<String, String>,
    /// Children of parents that reach a terminal state in this read.
    breaches: HashMap<String, Vec<(String, Ts)>>,
    notes: HashMap<String, Vec<NoteChild>>,
    messages: HashMap<String, Vec<MessageChild>>,
    assignments: HashMap<String, Vec<(String, Option<String>, Ts)>>,
    tags: HashMap<String, (Vec<String>, Ts)>,
}

async fn record_skips(tx: &mut sqlx::PgConnection, skips: &[Skip]) -> Result<(), sqlx::Error> {
    for skip in skips {
        tracing::warn!(table = skip.table, row_id = %skip.row_id, reason = %skip.reason, "dotmac row skipped");
        sqlx::query(
            "INSERT INTO dotmac_skips (source_table, row_id, reason) VALUES ($1, $2, $3)
             ON CONFLICT (source_table, row_id, reason) DO UPDATE SET last_seen = now()",
        )
        .bind(skip.table)
        .bind(&skip.row_id)
        .bind(&skip.reason)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// (the shadow kind of a table's own rows, the kind of the entity its events need created).
fn kinds(table: &str) -> (Option<&'static str>, Option<&'static str>) {
    match table {
        "service_teams" => (Some("team"), None),
        "people" => (Some("person"), None),
        "service_team_members" => (Some("member"), None),
        "person_roles" => (Some("grants"), None),
        "tickets" => (Some("ticket"), None),
        "sla_clocks" | "ticket_comments" | "survey_responses" => (None, Some("ticket")),
        "project_tasks" => (Some("task"), None),
        "work_orders" => (Some("work_order"), None),
        "work_order_notes" => (None, Some("work_order")),
        "crm_conversations" => (Some("conversation"), None),
        "crm_conversation_assignments" | "crm_messages" => (None, Some("conversation")),
        "crm_conversation_tags" => (Some("conversation"), Some("conversation")),
        "crm_leads" => (Some("lead"), None),
        "crm_quotes" => (Some("quote"), None),
        _ => (None, None),
    }
}

fn rfc3339(t: Ts) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn short_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex_prefix(&hasher.finalize())
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Drops null members of `data`, so optional fields are absent, not null.
fn strip_nulls(mut data: Value) -> Value {
    if let Value::Object(map) = &mut data {
        map.retain(|_, v| !v.is_null());
    }
    data
}

/// Builds one derived event.
fn out(
    derived: &mut Derived,
    event_id: String,
    type_name: &str,
    at: Ts,
    data: Value,
    parent: Option<(&'static str, String)>,
    row_id: &str,
) {
    let envelope =
        json!({"event_id": event_id, "type": type_name, "occurred_at": rfc3339(at), "data": strip_nulls(data)})
            .to_string();
    derived.outs.push(Out { event_id, envelope, parent, row_id: row_id.to_string() });
}

const OPEN_TICKET: &[&str] =
    &["new", "open", "pending", "waiting_on_customer", "lastmile_rerun", "site_under_construction", "on_hold"];

/// Turns one source row (and its entity's shadow) into events and a new shadow.
fn derive(
    table: &'static str,
    id: &str,
    raw: &str,
    shadow: Shadow,
    staff: &HashSet<String>,
    enrich: &Enrich,
    d: &mut Derived,
) -> Result<(), String> {
    fn parse<'a, T: Deserialize<'a>>(raw: &'a str) -> Result<T, String> {
        serde_json::from_str(raw).map_err(|e| format!("unreadable row: {e}"))
    }
    let mut new = shadow.clone();
    let micros = |t: Ts| t.timestamp_micros();
    match table {
        "service_teams" => {
            let r: TeamRow = parse(raw)?;
            let fact = json!({"team_id": id, "name": r.name, "team_type": r.team_type, "manager_person_id": r.manager, "is_active": r.is_active});
            let hash = short_hash(&[&fact.to_string()]);
            if shadow.hash.as_deref() != Some(&hash) {
                out(d, format!("dotmac:team:{id}:upserted:{hash}"), "team.upserted", r.updated_at, fact, None, id);
                new.hash = Some(hash);
                new.created = true;
            }
            d.shadows.insert(("team", id.to_string()), new);
        }
        "people" => {
            let r: PersonRow = parse(raw)?;
            let joined = [r.first_name.as_deref(), r.last_name.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let name = r
                .display_name
                .filter(|s| !s.trim().is_empty())
                .or(Some(joined).filter(|s| !s.is_empty()))
                .or(r.email)
                .ok_or("the person has no name or email")?;
            let fact = json!({"person_id": id, "display_name": name, "title": r.title.filter(|t| !t.trim().is_empty()), "is_active": r.is_active});
            let hash = short_hash(&[&fact.to_string()]);
            if shadow.hash.as_deref() != Some(&hash) {
                out(d, format!("dotmac:person:{id}:upserted:{hash}"), "person.upserted", r.updated_at, fact, None, id);
                new.hash = Some(hash);
                new.created = true;
            }
            d.shadows.insert(("person", id.to_string()), new);
        }
        "service_team_members" => {
            let r: MemberRow = parse(raw)?;
            let fact =
                json!({"team_id": r.team_id, "person_id": r.person_id, "role": r.role, "is_active": r.is_active});
            let hash = short_hash(&[&fact.to_string()]);
            if shadow.hash.as_deref() != Some(&hash) {
                // A new row is dated by its created_at; a change to a known row
                // (DotMac stamps none) by the poll that saw it.
                let at = if shadow.created { Utc::now() } else { r.created_at };
                out(d, format!("dotmac:member:{id}:set:{hash}"), "team.member_set", at, fact, None, id);
                new.hash = Some(hash);
                new.created = true;
            }
            d.shadows.insert(("member", id.to_string()), new);
        }
        "person_roles" => {
            if !staff.contains(id) {
                return Ok(());
            }
            let r: GrantsRow = parse(raw)?;
            let fact = json!({"person_id": id, "roles": r.roles, "permissions": r.permissions});
            let hash = short_hash(&[&fact.to_string()]);
            if shadow.hash.as_deref() != Some(&hash) {
                let at = if shadow.created { Utc::now() } else { r.at };
                out(d, format!("dotmac:grants:{id}:set:{hash}"), "person.permissions_set", at, fact, None, id);
                new.hash = Some(hash);
                new.created = true;
            }
            d.shadows.insert(("grants", id.to_string()), new);
        }
        "tickets" => {
            let r: TicketRow = parse(raw)?;
            let tags = tag_list(r.tags.as_ref());
            if !shadow.created {
                let sla_due = enrich.sla_due.get(id).copied().or(r.due_at);
                out(
                    d,
                    format!("dotmac:ticket:{id}:opened"),
                    "ticket.opened",
                    r.created_at,
                    json!({
                        "ticket_id": id, "reference": r.number.as_ref().map(|n| format!("#{n}")),
                        "priority": r.priority, "channel": r.channel,
                        "sla_due_at": sla_due.map(rfc3339), "assignee_person_id": r.assignee,
                    }),
                    None,
                    id,
                );
                new.created = true;
                new.assignee = r.assignee.clone();
                new.priority = r.priority.clone();
                if !tags.is_empty() {
                    out(
                        d,
                        format!("dotmac:ticket:{id}:tagged:{}", short_hash(&[&tags.join("\u{1f}")])),
                        "ticket.tagged",
                        r.created_at,
                        json!({"ticket_id": id, "tags": tags}),
                        None,
                        id,
                    );
                }
                new.tags = Some(tags);
            } else {
                if r.assignee.is_some() && r.assignee != shadow.assignee {
                    let person = r.assignee.clone().unwrap_or_default();
                    out(
                        d,
                        format!("dotmac:ticket:{id}:assigned:{person}:{}", micros(r.updated_at)),
                        "ticket.assigned",
                        r.updated_at,
                        json!({"ticket_id": id, "person_id": person}),
                        None,
                        id,
                    );
                    new.assignee = r.assignee.clone();
                }
                if r.priority.as_deref() == Some("urgent") && shadow.priority.as_deref() != Some("urgent") {
                    out(
                        d,
                        format!("dotmac:ticket:{id}:escalated:urgent:{}", micros(r.updated_at)),
                        "ticket.escalated",
                        r.updated_at,
                        json!({"ticket_id": id, "reason": "priority_urgent"}),
                        None,
                        id,
                    );
                }
                new.priority = r.priority.clone();
                if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
                    out(
                        d,
                        format!(
                            "dotmac:ticket:{id}:tagged:{}:{}",
                            short_hash(&[&tags.join("\u{1f}")]),
                            micros(r.updated_at)
                        ),
                        "ticket.tagged",
                        r.updated_at,
                        json!({"ticket_id": id, "tags": tags}),
                        None,
                        id,
                    );
                    new.tags = Some(tags);
                }
            }
            let resolved_now = matches!(r.status.as_str(), "pending_confirmation" | "closed");
            if resolved_now && !shadow.resolved {
                let at = r.resolved_at.or(r.closed_at).unwrap_or(r.updated_at);
                // SLA breaches before the resolution land before it (same ids as the sla_clocks pass).
                let mut breaches: Vec<&(String, Ts)> =
                    enrich.breaches.get(id).map(|b| b.iter().filter(|(_, t)| *t <= at).collect()).unwrap_or_default();
                breaches.sort_by_key(|(clock, t)| (*t, clock.clone()));
                for (clock, breached_at) in breaches {
                    out(
                        d,
                        format!("dotmac:sla_clock:{clock}:breached"),
                        "ticket.escalated",
                        *breached_at,
                        json!({"ticket_id": id, "reason": "sla_breach"}),
                        None,
                        id,
                    );
                }
                new.resolutions = shadow.resolutions + 1;
                out(
                    d,
                    format!("dotmac:ticket:{id}:resolved:{}", new.resolutions),
                    "ticket.resolved",
                    at,
                    json!({"ticket_id": id}),
                    None,
                    id,
                );
                new.resolved = true;
            } else if shadow.resolved && OPEN_TICKET.contains(&r.status.as_str()) {
                out(
                    d,
                    format!("dotmac:ticket:{id}:reopened:{}", shadow.resolutions),
                    "ticket.reopened",
                    r.updated_at,
                    json!({"ticket_id": id}),
                    None,
                    id,
                );
                new.resolved = false;
            }
            new.status = Some(r.status);
            d.shadows.insert(("ticket", id.to_string()), new);
        }
        "sla_clocks" => {
            let r: SlaRow = parse(raw)?;
            out(
                d,
                format!("dotmac:sla_clock:{id}:breached"),
                "ticket.escalated",
                r.breached_at,
                json!({"ticket_id": r.ticket_id, "reason": "sla_breach"}),
                Some(("ticket", r.ticket_id.clone())),
                id,
            );
        }
        "ticket_comments" => {
            let r: CommentRow = parse(raw)?;
            let Some(author) = r.author.filter(|a| staff.contains(a)) else { return Ok(()) };
            out(
                d,
                format!("dotmac:ticket_comment:{id}"),
                "ticket.commented",
                r.created_at,
                json!({
                    "ticket_id": r.ticket_id, "person_id": author, "body_chars": r.body_chars.clamp(0, u32::MAX.into()),
                    "internal": r.internal,
                }),
                Some(("ticket", r.ticket_id.clone())),
                id,
            );
        }
        "survey_responses" => {
            let r: RatingRow = parse(raw)?;
            let Some(rating) = r.rating else { return Ok(()) };
            let ticket = r.ticket_id.ok_or("the rating names no ticket (neither through its invitation nor itself)")?;
            out(
                d,
                format!("dotmac:survey_response:{id}"),
                "ticket.rated",
                r.at,
                json!({"ticket_id": ticket, "rating": rating}),
                Some(("ticket", ticket.clone())),
                id,
            );
        }
        "project_tasks" => {
            let r: TaskRow = parse(raw)?;
            if !shadow.created {
                out(
                    d,
                    format!("dotmac:task:{id}:created"),
                    "task.created",
                    r.created_at,
                    json!({
                        "task_id": id, "project_id": r.project_id, "reference": r.number.as_ref().map(|n| format!("#{n}")),
                        "assignee_person_id": r.assignee, "due_at": r.due_at.map(rfc3339), "estimate_hours": r.effort_hours,
                    }),
                    None,
                    id,
                );
                new.created = true;
                new.assignee = r.assignee.clone();
            } else if r.assignee.is_some() && r.assignee != shadow.assignee {
                let person = r.assignee.clone().unwrap_or_default();
                out(
                    d,
                    format!("dotmac:task:{id}:assigned:{person}:{}", micros(r.updated_at)),
                    "task.assigned",
                    r.updated_at,
                    json!({"task_id": id, "person_id": person}),
                    None,
                    id,
                );
                new.assignee = r.assignee.clone();
            }
            let was = shadow.status.as_deref().unwrap_or("");
            if !shadow.resolved {
                if r.status == "blocked" && was != "blocked" {
                    out(
                        d,
                        format!("dotmac:task:{id}:blocked:{}", micros(r.updated_at)),
                        "task.blocked",
                        r.updated_at,
                        json!({"task_id": id}),
                        None,
                        id,
                    );
                } else if r.status != "blocked" && was == "blocked" {
                    out(
                        d,
                        format!("dotmac:task:{id}:unblocked:{}", micros(r.updated_at)),
                        "task.unblocked",
                        r.updated_at,
                        json!({"task_id": id}),
                        None,
                        id,
                    );
                }
                if r.status == "done" {
                    out(
                        d,
                        format!("dotmac:task:{id}:completed"),
                        "task.completed",
                        r.completed_at.unwrap_or(r.updated_at),
                        json!({"task_id": id}),
                        None,
                        id,
                    );
                    new.resolved = true;
                } else if r.status == "canceled" {
                    out(
                        d,
                        format!("dotmac:task:{id}:canceled"),
                        "task.canceled",
                        r.updated_at,
                        json!({"task_id": id}),
                        None,
                        id,
                    );
                    new.resolved = true;
                }
            }
            new.status = Some(r.status);
            d.shadows.insert(("task", id.to_string()), new);
        }
        "work_orders" => {
            let r: WorkOrderRow = parse(raw)?;
            if !shadow.created {
                out(
                    d,
                    format!("dotmac:work_order:{id}:created"),
                    "work_order.created",
                    r.created_at,
                    json!({
                        "work_order_id": id, "assignee_person_id": r.assignee, "scheduled_end": r.scheduled_end.map(rfc3339),
                        "estimated_duration_minutes": r.estimated_duration_minutes,
                    }),
                    None,
                    id,
                );
                new.created = true;
                new.assignee = r.assignee.clone();
            } else if r.assignee.is_some() && r.assignee != shadow.assignee {
                let person = r.assignee.clone().unwrap_or_default();
                out(
                    d,
                    format!("dotmac:work_order:{id}:assigned:{person}:{}", micros(r.updated_at)),
                    "work_order.assigned",
                    r.updated_at,
                    json!({"work_order_id": id, "person_id": person}),
                    None,
                    id,
                );
                new.assignee = r.assignee.clone();
            }
            if !shadow.resolved {
                if let Some(started) = r.started_at.filter(|_| !shadow.started) {
                    out(
                        d,
                        format!("dotmac:work_order:{id}:started"),
                        "work_order.started",
                        started,
                        json!({"work_order_id": id}),
                        None,
                        id,
                    );
                    new.started = true;
                }
                if matches!(r.status.as_str(), "completed" | "canceled") {
                    // Notes land before the terminal event (same ids as the notes pass).
                    let end = r.completed_at.unwrap_or(r.updated_at);
                    let mut notes: Vec<_> =
                        enrich.notes.get(id).map(|n| n.iter().filter(|n| n.3 <= end).collect()).unwrap_or_default();
                    notes.sort_by_key(|n| (n.3, n.0.clone()));
                    for (note, author, chars, at) in notes {
                        let Some(author) = author.as_ref().filter(|a| staff.contains(*a)) else { continue };
                        out(
                            d,
                            format!("dotmac:work_order_note:{note}"),
                            "work_order.note_added",
                            *at,
                            json!({
                                "work_order_id": id, "person_id": author, "body_chars": (*chars).clamp(0, u32::MAX.into()),
                            }),
                            None,
                            id,
                        );
                    }
                }
                if r.status == "completed" {
                    out(
                        d,
                        format!("dotmac:work_order:{id}:completed"),
                        "work_order.completed",
                        r.completed_at.unwrap_or(r.updated_at),
                        json!({"work_order_id": id}),
                        None,
                        id,
                    );
                    new.resolved = true;
                } else if r.status == "canceled" {
                    out(
                        d,
                        format!("dotmac:work_order:{id}:canceled"),
                        "work_order.canceled",
                        r.updated_at,
                        json!({"work_order_id": id}),
                        None,
                        id,
                    );
                    new.resolved = true;
                }
            }
            new.status = Some(r.status);
            d.shadows.insert(("work_order", id.to_string()), new);
        }
        "work_order_notes" => {
            let r: NoteRow = parse(raw)?;
            let Some(author) = r.author.filter(|a| staff.contains(a)) else { return Ok(()) };
            out(
                d,
                format!("dotmac:work_order_note:{id}"),
                "work_order.note_added",
                r.created_at,
                json!({
                    "work_order_id": r.work_order_id, "person_id": author, "body_chars": r.body_chars.clamp(0, u32::MAX.into()),
                }),
                Some(("work_order", r.work_order_id.clone())),
                id,
            );
        }
        "crm_conversations" => {
            let r: ConversationRow = parse(raw)?;
            if !shadow.created {
                // Not created until it has a message with a channel; a later
                // message bumps the row and it is read again.
                let Some(channel) = enrich.channel.get(id) else { return Ok(()) };
                out(
                    d,
                    format!("dotmac:conversation:{id}:opened"),
                    "conversation.opened",
                    r.created_at,
                    json!({"conversation_id": id, "channel": channel}),
                    None,
                    id,
                );
                new.created = true;
            }
            let resolved_now = matches!(r.status.as_str(), "resolved" | "resolved_to_ticket");
            if resolved_now && !shadow.resolved && new.created {
                // Assignments, messages and tags up to the resolution land before it
                // (same ids as their own passes), in time order.
                let end = r.resolved_at.unwrap_or(r.updated_at);
                let mut children: Vec<(Ts, String, String, Value)> = Vec::new();
                for (assignment, person, at) in enrich.assignments.get(id).into_iter().flatten() {
                    if let (Some(person), true) = (person, *at <= end) {
                        children.push((
                            *at,
                            format!("dotmac:conv_assignment:{assignment}"),
                            "conversation.assigned".into(),
                            json!({"conversation_id": id, "person_id": person}),
                        ));
                    }
                }
                for (msg, direction, author, at) in enrich.messages.get(id).into_iter().flatten() {
                    if *at > end {
                        continue;
                    }
                    match (direction.as_str(), author) {
                        ("inbound", _) => children.push((
                            *at,
                            format!("dotmac:msg:{msg}"),
                            "conversation.message_received".into(),
                            json!({"conversation_id": id}),
                        )),
                        ("outbound", Some(author)) if staff.contains(author) => children.push((
                            *at,
                            format!("dotmac:msg:{msg}"),
                            "conversation.message_sent".into(),
                            json!({"conversation_id": id, "person_id": author}),
                        )),
                        _ => {}
                    }
                }
                if let Some((tags, at)) = enrich.tags.get(id) {
                    if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
                        children.push((
                            (*at).min(end),
                            format!("dotmac:conversation:{id}:tagged:{}", short_hash(&[&tags.join("\u{1f}")])),
                            "conversation.tagged".into(),
                            json!({"conversation_id": id, "tags": tags}),
                        ));
                        new.tags = Some(tags.clone());
                    }
                }
                children.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                for (at, event_id, type_name, data) in children {
                    out(d, event_id, &type_name, at, data, None, id);
                }
                out(
                    d,
                    format!("dotmac:conversation:{id}:resolved"),
                    "conversation.resolved",
                    r.resolved_at.unwrap_or(r.updated_at),
                    json!({"conversation_id": id}),
                    None,
                    id,
                );
                new.resolved = true;
            } else if !resolved_now && shadow.resolved && shadow.status.as_deref() != Some(r.status.as_str()) {
                d.skips.push(Skip {
                    table,
                    row_id: id.to_string(),
                    reason: "reopened in DotMac; perfledger keeps its first resolution (docs: reopened conversations)"
                        .into(),
                });
            }
            new.status = Some(r.status);
            d.shadows.insert(("conversation", id.to_string()), new);
        }
        "crm_conversation_assignments" => {
            let r: AssignmentRow = parse(raw)?;
            let person = r.person.ok_or("the assignment's agent has no person")?;
            out(
                d,
                format!("dotmac:conv_assignment:{id}"),
                "conversation.assigned",
                r.at,
                json!({"conversation_id": r.conversation_id, "person_id": person}),
                Some(("conversation", r.conversation_id.clone())),
                id,
            );
        }
        "crm_messages" => {
            let r: MessageRow = parse(raw)?;
            let parent = Some(("conversation", r.conversation_id.clone()));
            match r.direction.as_str() {
                "inbound" => out(
                    d,
                    format!("dotmac:msg:{id}"),
                    "conversation.message_received",
                    r.at,
                    json!({"conversation_id": r.conversation_id}),
                    parent,
                    id,
                ),
                "outbound" => {
                    let author = r.author.ok_or("an outbound message without an author: nobody to credit")?;
                    if !staff.contains(&author) {
                        return Err(format!("an outbound message whose author {author} is not staff"));
                    }
                    out(
                        d,
                        format!("dotmac:msg:{id}"),
                        "conversation.message_sent",
                        r.at,
                        json!({"conversation_id": r.conversation_id, "person_id": author}),
                        parent,
                        id,
                    );
                }
                _ => {} // internal notes are not replies
            }
        }
        "crm_conversation_tags" => {
            let r: TagsRow = parse(raw)?;
            let tags = r.tags.unwrap_or_default();
            if shadow.tags.as_deref().unwrap_or_default() != tags.as_slice() {
                out(
                    d,
                    format!("dotmac:conversation:{id}:tagged:{}", short_hash(&[&tags.join("\u{1f}")])),
                    "conversation.tagged",
                    r.at,
                    json!({"conversation_id": id, "tags": tags}),
                    Some(("conversation", id.to_string())),
                    id,
                );
                new.tags = Some(tags);
                d.shadows.insert(("conversation", id.to_string()), new);
            }
        }
        "crm_leads" => {
            let r: LeadRow = parse(raw)?;
            if !shadow.created {
                // Not created until it has an owner: a later owner bumps the row.
                let Some(owner) = r.owner.clone() else { return Ok(()) };
                out(
                    d,
                    format!("dotmac:lead:{id}:created"),
                    "lead.created",
                    r.created_at,
                    json!({
                        "lead_id": id, "owner_person_id": owner, "estimated_value": r.estimated_value.clone().unwrap_or_else(|| "0".into()),
                    }),
                    None,
                    id,
                );
                new.created = true;
                new.assignee = Some(owner);
            } else if r.owner.is_some() && r.owner != shadow.assignee && !shadow.resolved {
                let person = r.owner.clone().unwrap_or_default();
                out(
                    d,
                    format!("dotmac:lead:{id}:assigned:{person}:{}", micros(r.updated_at)),
                    "lead.assigned",
                    r.updated_at,
                    json!({"lead_id": id, "person_id": person}),
                    None,
                    id,
                );
                new.assignee = r.owner.clone();
            }
            let at = r.closed_at.unwrap_or(r.updated_at);
            match (r.status.as_str(), shadow.resolved) {
                ("won", false) => {
                    out(d, format!("dotmac:lead:{id}:won"), "lead.won", at, json!({"lead_id": id}), None, id);
                    new.resolved = true;
                }
                ("lost", false) => {
                    out(
                        d,
                        format!("dotmac:lead:{id}:lost"),
                        "lead.lost",
                        at,
                        json!({"lead_id": id, "reason": r.lost_reason}),
                        None,
                        id,
                    );
                    new.resolved = true;
                }
                ("won" | "lost", true) => {}
                (_, true) => d.skips.push(Skip {
                    table,
                    row_id: id.to_string(),
                    reason: "left won/lost in DotMac; perfledger keeps the first outcome (docs: reopened leads)".into(),
                }),
                _ => {}
            }
            if !shadow.resolved || matches!(r.status.as_str(), "won" | "lost") {
                new.status = Some(r.status);
            }
            if shadow.resolved {
                new.resolved = true;
            }
            d.shadows.insert(("lead", id.to_string()), new);
        }
        "crm_quotes" => {
            let r: QuoteRow = parse(raw)?;
            let sent_states = ["sent", "accepted", "rejected", "expired"];
            if !sent_states.contains(&r.status.as_str()) {
                return Ok(());
            }
            if !shadow.created {
                let Some(owner) = r.owner.clone() else { return Err("a sent quote without an owner".into()) };
                out(
                    d,
                    format!("dotmac:quote:{id}:sent"),
                    "quote.sent",
                    r.sent_at.unwrap_or(r.updated_at),
                    json!({
                        "quote_id": id, "lead_id": r.lead_id, "owner_person_id": owner, "total": r.total.clone().unwrap_or_else(|| "0".into()),
                    }),
                    None,
                    id,
                );
                new.created = true;
            }
            if r.status != "sent" && !shadow.resolved {
                out(
                    d,
                    format!("dotmac:quote:{id}:{}", r.status),
                    &format!("quote.{}", r.status),
                    r.updated_at,
                    json!({"quote_id": id}),
                    None,
                    id,
                );
                new.resolved = true;
            }
            new.status = Some(r.status);
            d.shadows.insert(("quote", id.to_string()), new);
        }
        other => return Err(format!("no mapping for table {other}")),
    }
    Ok(())
}

/// A DotMac `tags` JSON value as a tag list (strings; anything else is ignored).
fn tag_list(value: Option<&Value>) -> Vec<String> {
    let mut tags: Vec<String> = match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    tags.sort();
    tags.dedup();
    tags
}
