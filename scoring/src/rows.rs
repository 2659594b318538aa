//! The stored form of scores: one owner for `agent_performance_scores`
//! (`metrics_json`) and `agent_performance_snapshots` (`domain_scores_json`,
//! `weights_json`). Typed rows with `Decimal` values end to end; one writer
//! ([`write_week`], used by the scoring pass) and one set of readers
//! ([`week_snapshots`], [`person_week`], [`composites`], [`person_history`],
//! [`latest_value`]) for the API's score cache, its scores endpoint, the
//! pages and goal progress. Formatting to text or `f64` is the caller's, at
//! the edge.
//!
//! The JSON columns keep the bytes they always had (auditors read these
//! tables directly, and `perfledger verify` compares checksums): every value
//! is rounded half-up to 2 decimals and written as the JSON number of the
//! nearest `f64` (`80.5`, `100.0`); object keys are in byte order (the
//! order `serde_json`'s map wrote them). A value is read back from the
//! number's text, so `80.5` reads as the decimal 80.5.

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use perfledger_domain::period::midnight;
use perfledger_domain::scoring::formulas::{MetricScore, PersonScore};
use perfledger_domain::scoring::{round2, Domain, FORMULA_VERSION};
use perfledger_projections::directory::enum_str;
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Namespace of the UUIDv5 ids of score and snapshot rows.
const ROW_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1f_2c8e_4b7a_4f0e_9a31_5c2d_7e84_b190);

/// The id of a score (`kind` `score`, `extra` the domain) or snapshot row:
/// UUIDv5 of its unique key, so a rescore keeps it.
fn row_id(kind: &str, person: Uuid, week: NaiveDate, extra: &str) -> Uuid {
    Uuid::new_v5(&ROW_ID_NAMESPACE, format!("{kind}:{person}:{week}:{extra}").as_bytes())
}

/// A stored value in a JSON column: written as the JSON number of the `f64`
/// nearest the value rounded to 2 decimals, read from the number's text.
mod number {
    use super::*;
    use rust_decimal::prelude::ToPrimitive;

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(round2(*value).to_f64().unwrap_or(0.0))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        parse(&serde_json::Number::deserialize(d)?).map_err(D::Error::custom)
    }

    pub fn parse(number: &serde_json::Number) -> Result<Decimal, String> {
        let text = number.to_string();
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|e| format!("{text} is not a decimal: {e}"))
    }

    /// `Option<Decimal>`, `null` for none.
    pub mod optional {
        use super::*;

        pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            Option::<serde_json::Number>::deserialize(d)?
                .map(|n| super::parse(&n).map_err(D::Error::custom))
                .transpose()
        }
    }
}

/// One metric of a score row's `metrics_json` (D11). The fields are in byte
/// order, the order they have always been written in; an optional field
/// that is absent reads as none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMetric {
    #[serde(with = "number::optional", default)]
    pub denominator: Option<Decimal>,
    #[serde(with = "number")]
    pub max: Decimal,
    #[serde(with = "number::optional", default)]
    pub numerator: Option<Decimal>,
    #[serde(with = "number")]
    pub points: Decimal,
    #[serde(with = "number::optional", default)]
    pub raw_value: Option<Decimal>,
    #[serde(with = "number::optional", default)]
    pub team_baseline: Option<Decimal>,
}

impl From<&MetricScore> for StoredMetric {
    fn from(m: &MetricScore) -> Self {
        let round = |v: Option<Decimal>| v.map(round2);
        StoredMetric {
            denominator: round(m.denominator),
            max: round2(m.max),
            numerator: round(m.numerator),
            points: round2(m.points),
            raw_value: round(m.raw_value),
            team_baseline: round(m.team_baseline),
        }
    }
}

/// `metrics_json`: each metric of a domain by its key.
pub type Metrics = BTreeMap<String, StoredMetric>;

/// A value per domain: the domain scores (`domain_scores_json`) or the
/// weights in percent (`weights_json`), keyed by the domain's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainValues(pub BTreeMap<Domain, Decimal>);

impl Serialize for DomainValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Value(#[serde(with = "number")] Decimal);
        // By name, as written since the first version (not the enum's order).
        let by_name: BTreeMap<&str, Value> = self.0.iter().map(|(d, v)| (d.as_str(), Value(*v))).collect();
        by_name.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DomainValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, serde_json::Number>::deserialize(d)?;
        raw.iter()
            .map(|(key, value)| {
                let domain = Domain::from_str(key).map_err(D::Error::custom)?;
                let value = number::parse(value).map_err(|e| D::Error::custom(format!("the score of {key}: {e}")))?;
                Ok((domain, value))
            })
            .collect::<Result<_, _>>()
            .map(DomainValues)
    }
}

/// One row of `agent_performance_scores`: a person's domain in a week.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub domain: Domain,
    pub raw_score: Decimal,
    pub weighted_score: Decimal,
    pub metrics: Metrics,
    pub first_position: i64,
    pub last_position: i64,
}

/// One row of `agent_performance_snapshots`: a person's week.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub composite: Decimal,
    pub domain_scores: DomainValues,
    /// The renormalised weights in percent.
    pub weights: DomainValues,
    pub team_id: Option<Uuid>,
    pub team_type: Option<String>,
    pub sales_activity_ratio: Decimal,
    pub weight_source: String,
    pub is_flagged: bool,
    pub first_position: i64,
    pub last_position: i64,
}

/// The rows of one scored week, every value rounded to 2 decimals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeekRows {
    pub scores: Vec<ScoreRow>,
    pub snapshots: Vec<SnapshotRow>,
}

impl WeekRows {
    /// The rows of the week starting `week` for `scores`; a person is
    /// flagged on the unrounded composite (§4).
    pub fn new(week: NaiveDate, scores: &[PersonScore], flagged_threshold: i64) -> Self {
        let mut rows = WeekRows::default();
        for person in scores {
            let mut domain_scores = DomainValues::default();
            let mut weights = DomainValues::default();
            for d in &person.domains {
                let metrics: Metrics = d.metrics.iter().map(|m| (m.key.clone(), StoredMetric::from(m))).collect();
                rows.scores.push(ScoreRow {
                    id: row_id("score", person.person_id, week, d.domain.as_str()),
                    person_id: person.person_id,
                    domain: d.domain,
                    raw_score: round2(d.raw_score),
                    weighted_score: round2(d.weighted_score),
                    metrics,
                    first_position: person.first_position,
                    last_position: person.last_position,
                });
                domain_scores.0.insert(d.domain, round2(d.raw_score));
                weights.0.insert(d.domain, round2(d.weight * Decimal::ONE_HUNDRED));
            }
            rows.snapshots.push(SnapshotRow {
                id: row_id("snapshot", person.person_id, week, ""),
                person_id: person.person_id,
                composite: round2(person.composite),
                domain_scores,
                weights,
                team_id: person.team_id,
                team_type: person.team_type.as_ref().map(enum_str),
                sales_activity_ratio: round2(person.sales_activity_ratio),
                weight_source: enum_str(&person.weight_source),
                is_flagged: person.composite < Decimal::from(flagged_threshold),
                first_position: person.first_position,
                last_position: person.last_position,
            });
        }
        rows
    }

    /// How many people the week scored.
    pub fn people(&self) -> usize {
        self.snapshots.iter().map(|s| s.person_id).collect::<BTreeSet<_>>().len()
    }
}

/// Writes a week's rows: rows of people or domains no longer scored go, the
/// others are upserted by their unique key, and a row is written only when
/// a value differs (same ids, values and `updated_at` otherwise).
pub async fn write_week(
    tx: &mut PgConnection,
    week: NaiveDate,
    end: NaiveDate,
    rows: &WeekRows,
) -> Result<(), sqlx::Error> {
    let (start_at, end_at) = (midnight(week), midnight(end));
    let scores = &rows.scores;
    let snapshots = &rows.snapshots;
    let s_person: Vec<Uuid> = scores.iter().map(|r| r.person_id).collect();
    let s_domain: Vec<&str> = scores.iter().map(|r| r.domain.as_str()).collect();
    let n_person: Vec<Uuid> = snapshots.iter().map(|r| r.person_id).collect();

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
    .bind(scores.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(&s_person)
    .bind(&s_domain)
    .bind(scores.iter().map(|r| r.raw_score).collect::<Vec<_>>())
    .bind(scores.iter().map(|r| r.weighted_score).collect::<Vec<_>>())
    .bind(scores.iter().map(|r| Json(&r.metrics)).collect::<Vec<_>>())
    .bind(scores.iter().map(|r| r.first_position).collect::<Vec<_>>())
    .bind(scores.iter().map(|r| r.last_position).collect::<Vec<_>>())
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
    .bind(snapshots.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(&n_person)
    .bind(snapshots.iter().map(|r| r.composite).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| Json(&r.domain_scores)).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| Json(&r.weights)).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.team_id).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.team_type.as_deref()).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.sales_activity_ratio).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.weight_source.as_str()).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.is_flagged).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.first_position).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|r| r.last_position).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ readers

/// Why stored rows could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row does not have the stored form.
    #[error("{0}")]
    Corrupt(String),
}

/// A stored JSON column as PostgreSQL prints it, typed by what it holds:
/// passed through as it is ([`StoredJson::raw`]) or read ([`StoredJson::decode`]).
pub struct StoredJson<T> {
    raw: Box<RawValue>,
    holds: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for StoredJson<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoredJson").field(&self.raw.get()).finish()
    }
}

impl<T: DeserializeOwned> StoredJson<T> {
    fn new(Json(raw): Json<Box<RawValue>>) -> Self {
        StoredJson { raw, holds: PhantomData }
    }

    /// The column's text.
    pub fn raw(self) -> Box<RawValue> {
        self.raw
    }

    pub fn decode(&self) -> Result<T, String> {
        serde_json::from_str(self.raw.get()).map_err(|e| e.to_string())
    }
}

/// What the report queries need of one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekSnapshot {
    pub person_id: Uuid,
    pub team_id: Option<Uuid>,
    pub composite: Decimal,
    pub domain_scores: BTreeMap<Domain, Decimal>,
    pub is_flagged: bool,
}

/// The week's `scoring_periods.generation` and its snapshots, by person_id,
/// from one statement (one snapshot of both); `None` when the week was
/// never scored.
pub async fn week_snapshots(pool: &PgPool, week: NaiveDate) -> Result<Option<(i64, Vec<WeekSnapshot>)>, ReadError> {
    type Row = (i64, Option<Uuid>, Option<Uuid>, Option<Decimal>, Option<Json<Box<RawValue>>>, Option<bool>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.generation, s.person_id, s.team_id, s.composite_score, s.domain_scores_json, s.is_flagged
         FROM scoring_periods p
         LEFT JOIN agent_performance_snapshots s ON s.score_period_start = p.period_start
         WHERE p.period_start = $1
         ORDER BY s.person_id",
    )
    .bind(midnight(week))
    .fetch_all(pool)
    .await?;
    let Some(generation) = rows.first().map(|r| r.0) else { return Ok(None) };
    let mut people = Vec::with_capacity(rows.len());
    for (_, person_id, team_id, composite, domains, is_flagged) in rows {
        let (Some(person_id), Some(composite), Some(domains), Some(is_flagged)) =
            (person_id, composite, domains, is_flagged)
        else {
            continue; // the LEFT JOIN's row for a week without snapshots
        };
        let domains: DomainValues = StoredJson::new(domains)
            .decode()
            .map_err(|e| ReadError::Corrupt(format!("snapshot of {person_id} for {week}: {e}")))?;
        people.push(WeekSnapshot { person_id, team_id, composite, domain_scores: domains.0, is_flagged });
    }
    Ok(Some((generation, people)))
}

/// One person's week: the composite (none without a snapshot) and each
/// domain's score and metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonWeek {
    pub composite: Option<Decimal>,
    /// The renormalised weights in percent (`weights_json`); empty without a snapshot.
    pub weights: DomainValues,
    /// Flagged on the unrounded composite; `None` without a snapshot.
    pub is_flagged: Option<bool>,
    pub domains: BTreeMap<Domain, (Decimal, Metrics)>,
}

/// The stored week starting `week` of `person`.
pub async fn person_week(pool: &PgPool, person: Uuid, week: NaiveDate) -> Result<PersonWeek, ReadError> {
    let snapshot: Option<(Decimal, Json<Box<RawValue>>, bool)> = sqlx::query_as(
        "SELECT composite_score, weights_json, is_flagged FROM agent_performance_snapshots
          WHERE person_id = $1 AND score_period_start = $2",
    )
    .bind(person)
    .bind(midnight(week))
    .fetch_optional(pool)
    .await?;
    let (composite, weights, is_flagged) = match snapshot {
        Some((composite, weights, flagged)) => {
            let weights: DomainValues = StoredJson::new(weights)
                .decode()
                .map_err(|e| ReadError::Corrupt(format!("weights of {person} for {week}: {e}")))?;
            (Some(composite), weights, Some(flagged))
        }
        None => (None, DomainValues::default(), None),
    };
    let rows: Vec<(String, Decimal, Json<Box<RawValue>>)> = sqlx::query_as(
        "SELECT domain, raw_score, metrics_json FROM agent_performance_scores
          WHERE person_id = $1 AND score_period_start = $2",
    )
    .bind(person)
    .bind(midnight(week))
    .fetch_all(pool)
    .await?;
    let mut domains = BTreeMap::new();
    for (domain, score, metrics) in rows {
        let domain = Domain::from_str(&domain).map_err(ReadError::Corrupt)?;
        let metrics: Metrics = StoredJson::new(metrics)
            .decode()
            .map_err(|e| ReadError::Corrupt(format!("metrics of {person} {domain:?} for {week}: {e}")))?;
        domains.insert(domain, (score, metrics));
    }
    Ok(PersonWeek { composite, weights, is_flagged, domains })
}

/// The metrics of the score rows of the week starting `week` of `people`,
/// by person and domain (the volume behind each leaderboard row).
pub async fn week_metrics(
    pool: &PgPool,
    week: NaiveDate,
    people: &[Uuid],
) -> Result<BTreeMap<Uuid, BTreeMap<Domain, Metrics>>, ReadError> {
    let rows: Vec<(Uuid, String, Json<Box<RawValue>>)> = sqlx::query_as(
        "SELECT person_id, domain, metrics_json FROM agent_performance_scores
          WHERE score_period_start = $1 AND person_id = ANY($2)",
    )
    .bind(midnight(week))
    .bind(people)
    .fetch_all(pool)
    .await?;
    let mut by_person: BTreeMap<Uuid, BTreeMap<Domain, Metrics>> = BTreeMap::new();
    for (person, domain, metrics) in rows {
        let domain = Domain::from_str(&domain).map_err(ReadError::Corrupt)?;
        let metrics: Metrics = StoredJson::new(metrics)
            .decode()
            .map_err(|e| ReadError::Corrupt(format!("metrics of {person} {domain:?} for {week}: {e}")))?;
        by_person.entry(person).or_default().insert(domain, metrics);
    }
    Ok(by_person)
}

/// The stored composites of `person` for the weeks starting `first` to
/// `last`, by week.
pub async fn composites(
    pool: &PgPool,
    person: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<BTreeMap<NaiveDate, Decimal>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, Decimal)> = sqlx::query_as(
        "SELECT score_period_start, composite_score FROM agent_performance_snapshots
          WHERE person_id = $1 AND score_period_start BETWEEN $2 AND $3",
    )
    .bind(person)
    .bind(midnight(first))
    .bind(midnight(last))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(start, v)| (start.date_naive(), v)).collect())
}

/// One week of a person's score history: the snapshot with its score rows.
#[derive(Debug)]
pub struct HistoryWeek {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub composite: Decimal,
    pub domain_scores: StoredJson<DomainValues>,
    pub weights: StoredJson<DomainValues>,
    pub team_id: Option<Uuid>,
    pub team_type: Option<String>,
    pub sales_activity_ratio: Option<Decimal>,
    pub weight_source: String,
    pub is_flagged: bool,
    pub formula_version: i32,
    /// By domain name.
    pub scores: Vec<HistoryScore>,
}

/// One score row of a [`HistoryWeek`].
#[derive(Debug)]
pub struct HistoryScore {
    pub domain: String,
    pub raw_score: Decimal,
    pub weighted_score: Decimal,
    pub metrics: StoredJson<Metrics>,
    pub formula_version: i32,
}

/// The newest `limit` weeks of `person`'s snapshots overlapping `[start, end)`
/// (all weeks when none), newest first, each with its score rows.
pub async fn person_history(
    pool: &PgPool,
    person: Uuid,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    limit: i64,
) -> Result<Vec<HistoryWeek>, sqlx::Error> {
    type SnapshotRow = (
        DateTime<Utc>,
        DateTime<Utc>,
        Decimal,
        Json<Box<RawValue>>,
        Json<Box<RawValue>>,
        Option<Uuid>,
        Option<String>,
        Option<Decimal>,
        String,
        bool,
        i32,
    );
    let snapshots: Vec<SnapshotRow> = sqlx::query_as(
        "SELECT score_period_start, score_period_end, composite_score, domain_scores_json, weights_json,
                team_id, team_type::text, sales_activity_ratio, weight_source, is_flagged, formula_version
           FROM agent_performance_snapshots
          WHERE person_id = $1
            AND ($2::timestamptz IS NULL OR (score_period_start < $3 AND score_period_end > $2))
          ORDER BY score_period_start DESC
          LIMIT $4",
    )
    .bind(person)
    .bind(range.map(|r| r.0))
    .bind(range.map(|r| r.1))
    .bind(limit)
    .fetch_all(pool)
    .await?;

    let starts: Vec<DateTime<Utc>> = snapshots.iter().map(|s| s.0).collect();
    type ScoreRow = (DateTime<Utc>, String, Decimal, Decimal, Json<Box<RawValue>>, i32);
    let rows: Vec<ScoreRow> = sqlx::query_as(
        "SELECT score_period_start, domain, raw_score, weighted_score, metrics_json, formula_version
           FROM agent_performance_scores
          WHERE person_id = $1 AND score_period_start = ANY($2)
          ORDER BY score_period_start DESC, domain",
    )
    .bind(person)
    .bind(&starts)
    .fetch_all(pool)
    .await?;
    let mut by_week: BTreeMap<DateTime<Utc>, Vec<HistoryScore>> = BTreeMap::new();
    for (start, domain, raw_score, weighted_score, metrics, formula_version) in rows {
        by_week.entry(start).or_default().push(HistoryScore {
            domain,
            raw_score,
            weighted_score,
            metrics: StoredJson::new(metrics),
            formula_version,
        });
    }
    Ok(snapshots
        .into_iter()
        .map(|s| HistoryWeek {
            period_start: s.0,
            period_end: s.1,
            composite: s.2,
            domain_scores: StoredJson::new(s.3),
            weights: StoredJson::new(s.4),
            team_id: s.5,
            team_type: s.6,
            sales_activity_ratio: s.7,
            weight_source: s.8,
            is_flagged: s.9,
            formula_version: s.10,
            scores: by_week.remove(&s.0).unwrap_or_default(),
        })
        .collect())
}

/// The latest stored value of `metric_key` for a person from weeks starting
/// on or before `deadline`: the composite (`composite`), a domain score (a
/// domain's name) or a metric's `raw_value` in `domain`'s `metrics_json`.
pub async fn latest_value(
    pool: &PgPool,
    person: Uuid,
    domain: &str,
    metric_key: &str,
    deadline: NaiveDate,
) -> Result<Option<Decimal>, sqlx::Error> {
    let until = midnight(deadline + Days::new(1));
    let value: Option<Option<Decimal>> = if metric_key == "composite" {
        sqlx::query_scalar(
            "SELECT composite_score FROM agent_performance_snapshots
             WHERE person_id = $1 AND score_period_start < $2 ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(until)
        .fetch_optional(pool)
        .await?
    } else if metric_key.parse::<Domain>().is_ok() {
        sqlx::query_scalar(
            "SELECT raw_score FROM agent_performance_scores
             WHERE person_id = $1 AND domain = $2 AND score_period_start < $3
             ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(metric_key)
        .bind(until)
        .fetch_optional(pool)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT (metrics_json -> $3 ->> 'raw_value')::numeric FROM agent_performance_scores
             WHERE person_id = $1 AND domain = $2 AND score_period_start < $4
               AND metrics_json -> $3 ->> 'raw_value' IS NOT NULL
             ORDER BY score_period_start DESC LIMIT 1",
        )
        .bind(person)
        .bind(domain)
        .bind(metric_key)
        .bind(until)
        .fetch_optional(pool)
        .await?
    };
    Ok(value.flatten())
}

#[cfg(test)]
mod tests {
    use perfledger_domain::scoring::formulas::DomainScore;
    use perfledger_domain::settings::WeightSource;
    use rust_decimal::prelude::ToPrimitive;
    use serde_json::{json, Map, Value};

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn metric(key: &str, raw: Option<&str>, baseline: Option<&str>, points: &str, max: &str) -> MetricScore {
        MetricScore {
            key: key.to_string(),
            raw_value: raw.map(dec),
            numerator: raw.map(|_| dec("9")),
            denominator: raw.map(|_| dec("10.004")),
            team_baseline: baseline.map(dec),
            points: dec(points),
            max: dec(max),
        }
    }

    fn person() -> PersonScore {
        PersonScore {
            person_id: Uuid::from_u128(7),
            team_id: Some(Uuid::from_u128(8)),
            team_type: None,
            domains: vec![
                DomainScore {
                    domain: Domain::Support,
                    raw_score: dec("80.505"),
                    weighted_score: dec("40.2525"),
                    weight: dec("0.5"),
                    metrics: vec![
                        metric("sla_compliance_rate", Some("0.9"), Some("0.8333333"), "36", "40"),
                        metric("escalation_rate", None, None, "0", "20"),
                    ],
                },
                DomainScore {
                    domain: Domain::DataQuality,
                    raw_score: dec("100"),
                    weighted_score: dec("33.3333333"),
                    weight: dec("0.3333333333"),
                    metrics: vec![metric("completeness", Some("1234567.894"), None, "100", "100")],
                },
            ],
            composite: dec("73.586"),
            weight_map: BTreeMap::new(),
            weight_source: WeightSource::Default,
            sales_activity_ratio: dec("0.125"),
            first_position: 3,
            last_position: 9,
        }
    }

    /// The writer before the typed rows (`store_week`'s `json!`), kept to
    /// prove the bytes did not move.
    fn legacy(person: &PersonScore) -> (Vec<Value>, Value, Value) {
        fn number(value: Decimal) -> Value {
            json!(round2(value).to_f64().unwrap_or(0.0))
        }
        fn optional(value: Option<Decimal>) -> Value {
            value.map_or(Value::Null, number)
        }
        let mut all_metrics = Vec::new();
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
            all_metrics.push(Value::Object(metrics));
            domain_scores.insert(d.domain.as_str().to_string(), number(d.raw_score));
            weights.insert(d.domain.as_str().to_string(), number(d.weight * Decimal::ONE_HUNDRED));
        }
        (all_metrics, Value::Object(domain_scores), Value::Object(weights))
    }

    #[test]
    fn the_stored_json_is_byte_for_byte_what_json_wrote() {
        let person = person();
        let rows = WeekRows::new(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), std::slice::from_ref(&person), 75);
        let (metrics, domain_scores, weights) = legacy(&person);
        for (row, old) in rows.scores.iter().zip(&metrics) {
            assert_eq!(serde_json::to_string(&row.metrics).unwrap(), serde_json::to_string(old).unwrap());
        }
        let snapshot = &rows.snapshots[0];
        assert_eq!(serde_json::to_string(&snapshot.domain_scores).unwrap(), domain_scores.to_string());
        assert_eq!(serde_json::to_string(&snapshot.weights).unwrap(), weights.to_string());

        // The exact text, as `json!` wrote it.
        assert_eq!(
            serde_json::to_string(&rows.scores[0].metrics).unwrap(),
            r#"{"escalation_rate":{"denominator":null,"max":20.0,"numerator":null,"points":0.0,"raw_value":null,"team_baseline":null},"sla_compliance_rate":{"denominator":10.0,"max":40.0,"numerator":9.0,"points":36.0,"raw_value":0.9,"team_baseline":0.83}}"#
        );
        assert_eq!(
            serde_json::to_string(&rows.scores[1].metrics).unwrap(),
            r#"{"completeness":{"denominator":10.0,"max":100.0,"numerator":9.0,"points":100.0,"raw_value":1234567.89,"team_baseline":null}}"#
        );
        assert_eq!(
            serde_json::to_string(&snapshot.domain_scores).unwrap(),
            r#"{"data_quality":100.0,"support":80.51}"#
        );
        assert_eq!(serde_json::to_string(&snapshot.weights).unwrap(), r#"{"data_quality":33.33,"support":50.0}"#);
        assert_eq!(
            (snapshot.composite, snapshot.sales_activity_ratio, snapshot.is_flagged),
            (dec("73.59"), dec("0.13"), true)
        );
        assert_eq!(
            rows.scores[0].id,
            row_id("score", person.person_id, NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), "support")
        );
    }

    #[test]
    fn a_stored_row_reads_back_to_the_same_decimals() {
        let rows = WeekRows::new(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), &[person()], 75);
        for row in &rows.scores {
            let text = serde_json::to_string(&row.metrics).unwrap();
            let back: Metrics = serde_json::from_str(&text).unwrap();
            assert_eq!(back, row.metrics);
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        let snapshot = &rows.snapshots[0];
        let text = serde_json::to_string(&snapshot.domain_scores).unwrap();
        let back: DomainValues = serde_json::from_str(&text).unwrap();
        assert_eq!(back, snapshot.domain_scores);
        // PostgreSQL prints jsonb with spaces; the text of a number is kept.
        let printed: DomainValues = serde_json::from_str(r#"{"support": 80.5, "data_quality": 0.0}"#).unwrap();
        assert_eq!(printed.0[&Domain::Support].to_string(), "80.5");
        assert_eq!(printed.0[&Domain::DataQuality], Decimal::ZERO);
        assert!(serde_json::from_str::<DomainValues>(r#"{"marketing": 1}"#).is_err());
        assert!(serde_json::from_str::<DomainValues>(r#"{"support": "x"}"#).is_err());
    }
}
