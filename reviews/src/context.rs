//! Loads what the coach sees of one person's week (seed "Flow" 3a–3b):
//! the snapshot and per-domain score rows (metric details with team
//! baselines, D11), and samples of the most recent resolved tickets and
//! conversations and completed work orders credited to the person in the
//! period, from the log. Stored summaries were redacted on the way in; they
//! are redacted again and truncated by `prepare_sample` (D13).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use perfledger_domain::coach::{prepare_sample, DomainBreakdown, MetricLine, ReviewContext, Sample, SampleKind};
use perfledger_domain::event::{decode, EventBody};
use perfledger_domain::scoring::Domain;
use perfledger_domain::settings::Settings;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// How the prompt names the person: never a name (D13).
pub const PERSON_LABEL: &str = "the agent";

/// The context plus the scores recorded with the review.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedContext {
    pub context: ReviewContext,
    pub composite: Option<Decimal>,
    pub domain_scores: BTreeMap<String, Option<Decimal>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("the person has no scores for the period starting {0} (no tracked activity): nothing to review")]
    NoSnapshot(chrono::NaiveDate),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The snapshot and its per-domain score rows, in one query: composite,
/// position range, then the domains, raw scores and `metrics_json` of the
/// score rows as parallel arrays (empty when there are none).
type SnapshotRow = (Decimal, i64, i64, Vec<String>, Vec<Decimal>, Vec<sqlx::types::Json<BTreeMap<String, Value>>>);

fn decimal(value: &Value) -> Option<Decimal> {
    value.as_f64().and_then(|f| Decimal::try_from(f).ok()).map(|d| d.round_dp(2))
}

/// Loads the context of `person_id` for `[period_start, period_end)`.
pub async fn load_context(
    pool: &PgPool,
    settings: &Settings,
    person_id: Uuid,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
) -> Result<LoadedContext, ContextError> {
    let snapshot: Option<SnapshotRow> = sqlx::query_as(
        "SELECT s.composite_score, s.first_position, s.last_position,
                coalesce(array_agg(c.domain ORDER BY c.domain) FILTER (WHERE c.id IS NOT NULL), '{}'),
                coalesce(array_agg(c.raw_score ORDER BY c.domain) FILTER (WHERE c.id IS NOT NULL), '{}'),
                coalesce(array_agg(c.metrics_json ORDER BY c.domain) FILTER (WHERE c.id IS NOT NULL), '{}')
         FROM agent_performance_snapshots s
         LEFT JOIN agent_performance_scores c
           ON c.person_id = s.person_id AND c.score_period_start = s.score_period_start
         WHERE s.person_id = $1 AND s.score_period_start = $2 AND s.score_period_end = $3
         GROUP BY s.id",
    )
    .bind(person_id)
    .bind(period_start)
    .bind(period_end)
    .fetch_optional(pool)
    .await?;
    let Some((composite, first_position, last_position, names, scores, metrics)) = snapshot else {
        return Err(ContextError::NoSnapshot(period_start.date_naive()));
    };
    let mut by_domain: BTreeMap<String, (Decimal, BTreeMap<String, Value>)> =
        names.into_iter().zip(scores).zip(metrics).map(|((domain, score), m)| (domain, (score, m.0))).collect();
    let mut domains = Vec::new();
    let mut domain_scores = BTreeMap::new();
    for domain in Domain::ALL {
        let (score, metrics) = match by_domain.remove(domain.as_str()) {
            Some((score, metrics)) => (Some(score), metrics),
            None => (None, BTreeMap::new()),
        };
        domain_scores.insert(domain.as_str().to_string(), score);
        let metrics = metrics
            .into_iter()
            .map(|(key, m)| MetricLine {
                key,
                raw_value: decimal(&m["raw_value"]),
                team_baseline: decimal(&m["team_baseline"]),
                points: decimal(&m["points"]),
                max_points: decimal(&m["max"]),
            })
            .collect();
        domains.push(DomainBreakdown { domain, score, metrics });
    }
    let samples =
        load_samples(pool, settings, person_id, period_start, period_end, first_position, last_position).await?;
    let context = ReviewContext {
        person_label: PERSON_LABEL.to_string(),
        period_start: period_start.date_naive(),
        period_end: period_end.date_naive(),
        composite: Some(composite),
        flagged_threshold: settings.flagged_threshold,
        domains,
        samples,
    };
    Ok(LoadedContext { context, composite: Some(composite), domain_scores })
}

/// The sample counts per kind, from the settings.
fn wanted(settings: &Settings, kind: SampleKind) -> usize {
    let n = match kind {
        SampleKind::Ticket => settings.review_sample_tickets,
        SampleKind::Conversation => settings.review_sample_conversations,
        SampleKind::WorkOrder => settings.review_sample_work_orders,
    };
    usize::try_from(n.max(0)).unwrap_or(0)
}

/// The most recent resolved/completed items of the period credited to the
/// person, newest first, one per item, only those with a summary. The
/// snapshot's position range bounds the scan: every event that credited the
/// person in the week lies inside it (D11).
async fn load_samples(
    pool: &PgPool,
    settings: &Settings,
    person_id: Uuid,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    first_position: i64,
    last_position: i64,
) -> Result<Vec<Sample>, sqlx::Error> {
    let kinds = [SampleKind::Ticket, SampleKind::Conversation, SampleKind::WorkOrder];
    if kinds.iter().all(|k| wanted(settings, *k) == 0) {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT global_position, event_type, event_version, payload::text FROM events
         WHERE global_position BETWEEN $1 AND $2
           AND event_type IN ('ticket.resolved', 'conversation.resolved', 'work_order.completed')
         ORDER BY global_position DESC",
    )
    .bind(first_position)
    .bind(last_position)
    .fetch_all(pool)
    .await?;
    let max_chars = usize::try_from(settings.review_sample_max_chars.max(1)).unwrap_or(600);
    let mut seen = HashSet::new();
    let mut picked: BTreeMap<SampleKind, Vec<Sample>> = BTreeMap::new();
    for (position, kind, version, payload) in rows {
        let event = match decode(&kind, &version, &payload) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(position, error = %e, "a sample event cannot be read; skipped");
                continue;
            }
        };
        if event.occurred_at < period_start || event.occurred_at >= period_end {
            continue;
        }
        let (kind, id, reference, summary, credited) = match &event.body {
            EventBody::TicketResolved(t) => {
                (SampleKind::Ticket, &t.ticket_id, &t.reference, &t.summary, Some(t.resolver_person_id))
            }
            EventBody::ConversationResolved(c) => {
                (SampleKind::Conversation, &c.conversation_id, &c.reference, &c.summary, c.resolver_person_id)
            }
            EventBody::WorkOrderCompleted(w) => {
                (SampleKind::WorkOrder, &w.work_order_id, &w.reference, &w.summary, w.completer_person_id)
            }
            _ => continue,
        };
        let Some(summary) = summary.as_deref().filter(|s| !s.trim().is_empty()) else { continue };
        if credited != Some(person_id) || !seen.insert((kind, id.clone())) {
            continue;
        }
        let list = picked.entry(kind).or_default();
        if list.len() >= wanted(settings, kind) {
            continue;
        }
        // The CRM's human reference ("#1042") when it sent one, else the id.
        let shown = reference.as_deref().map(|r| r.trim_start_matches('#')).filter(|r| !r.is_empty()).unwrap_or(id);
        list.push(prepare_sample(kind, shown, summary, max_chars));
    }
    Ok(kinds.iter().flat_map(|k| picked.remove(k).unwrap_or_default()).collect())
}
