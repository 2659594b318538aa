//! A period's scores from its merged accumulators (§3–4): team baselines
//! (D9), metric points, domain scores, effective weights (D8, D10) and the
//! composite (D7).
//!
//! INTERFACE (used by the projections crate; keep these signatures):
//! `score_period(&PeriodInput) -> Vec<PersonScore>`, one entry per person in
//! `input.people` who has at least one scored domain, sorted by person_id.
//! Values in the output are UNROUNDED; the writer rounds with `round2`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{ConversationChannel, TeamType, CONTACT_KEY_FIELDS, ORGANIZATION_KEY_FIELDS};
use crate::scoring::accumulate::{
    CommunicationAcc, DataQualityAcc, FieldServiceAcc, LastSave, OperationsAcc, PersonDay, SalesAcc, SupportAcc,
};
use crate::scoring::{mul, safe_div, Domain};
use crate::settings::{Settings, WeightMap, WeightSource};

/// A person scored in the period: active at its end, with activity in it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonPeriod {
    /// The person's accumulators merged over the period's days.
    pub activity: PersonDay,
    /// The scoring team at the end of the period (D8), if any.
    pub scoring_team: Option<Uuid>,
}

/// An active team at the end of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamInfo {
    pub team_type: TeamType,
    /// Everyone with an active membership, active themselves, at the end of
    /// the period, whatever their own scoring team (§3 "Members of a team").
    pub members: BTreeSet<Uuid>,
}

pub struct PeriodInput<'a> {
    /// Only people active at the end of the period.
    pub people: BTreeMap<Uuid, PersonPeriod>,
    pub teams: BTreeMap<Uuid, TeamInfo>,
    /// The settings in force at the period's start (D10).
    pub settings: &'a Settings,
}

/// One metric of one domain, explained (D11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricScore {
    /// Stable key, e.g. `sla_compliance_rate`, `avg_resolution_minutes`.
    pub key: String,
    pub raw_value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub team_baseline: Option<Decimal>,
    pub points: Decimal,
    pub max: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainScore {
    pub domain: Domain,
    /// Sum of the metric points, 0–100.
    pub raw_score: Decimal,
    /// raw_score · w_d / Σ(w over the scored domains).
    pub weighted_score: Decimal,
    /// The renormalised weight w_d / Σw (0–1).
    pub weight: Decimal,
    pub metrics: Vec<MetricScore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonScore {
    pub person_id: Uuid,
    pub team_id: Option<Uuid>,
    pub team_type: Option<TeamType>,
    pub domains: Vec<DomainScore>,
    pub composite: Decimal,
    /// The weight map chosen (before renormalisation) and where it came from.
    pub weight_map: WeightMap,
    pub weight_source: WeightSource,
    pub sales_activity_ratio: Decimal,
    pub first_position: i64,
    pub last_position: i64,
}

// ------------------------------------------------------------ metric table

/// Every metric of formula_version 1: its domain, its stable key (the key of
/// [`MetricScore::key`], of `metrics_json` and of goals) and its maximum
/// points, in the order they are reported.
pub const METRIC_KEYS: &[(Domain, &str, u32)] = &[
    (Domain::Support, "sla_compliance_rate", 40),
    (Domain::Support, "avg_resolution_minutes", 30),
    (Domain::Support, "escalation_rate", 20),
    (Domain::Support, "csat_avg_rating", 10),
    (Domain::Operations, "completion_rate", 35),
    (Domain::Operations, "on_time_rate", 30),
    (Domain::Operations, "effort_accuracy", 20),
    (Domain::Operations, "blocked_rate", 15),
    (Domain::FieldService, "completion_rate", 30),
    (Domain::FieldService, "avg_delay_minutes", 25),
    (Domain::FieldService, "duration_accuracy", 25),
    (Domain::FieldService, "documentation_rate", 20),
    (Domain::Communication, "avg_first_response_minutes", 30),
    (Domain::Communication, "avg_resolution_minutes", 25),
    (Domain::Communication, "conversations_resolved", 25),
    (Domain::Communication, "channel_coverage", 20),
    (Domain::Sales, "win_rate", 35),
    (Domain::Sales, "pipeline_value", 25),
    (Domain::Sales, "quote_acceptance_rate", 25),
    (Domain::Sales, "lead_contacts", 15),
    (Domain::DataQuality, "contact_completeness", 40),
    (Domain::DataQuality, "organization_completeness", 25),
    (Domain::DataQuality, "tagging_rate", 20),
    (Domain::DataQuality, "note_thoroughness", 15),
];

/// The maximum points of `key` in `domain`, or `None` when there is no such metric.
pub fn metric_max(domain: Domain, key: &str) -> Option<u32> {
    METRIC_KEYS.iter().find(|(d, k, _)| *d == domain && *k == key).map(|(_, _, max)| *max)
}

// ------------------------------------------------------------ baselines (D9)

/// The per-person values of the six metrics scored against the team
/// average. A mean metric has a value only with at least one observation; a
/// count or sum metric has one (possibly 0) whenever its domain is scored.
#[derive(Debug, Clone, Copy, Default)]
struct BaselineValues {
    support_resolution: Option<Decimal>,
    first_response: Option<Decimal>,
    conversation_resolution: Option<Decimal>,
    conversations_resolved: Option<Decimal>,
    pipeline: Option<Decimal>,
    lead_contacts: Option<Decimal>,
}

fn mean(sum: Decimal, count: u64) -> Option<Decimal> {
    (count > 0).then(|| safe_div(sum, Decimal::from(count)))
}

impl BaselineValues {
    fn of(day: &PersonDay) -> Self {
        let support = day.support.as_ref();
        let comm = day.communication.as_ref();
        let sales = day.sales.as_ref();
        BaselineValues {
            support_resolution: support.and_then(|a| mean(a.resolution_minutes_sum, a.resolutions)),
            first_response: comm.and_then(|a| mean(a.first_response_minutes_sum, a.first_responses)),
            conversation_resolution: comm.and_then(|a| mean(a.resolution_minutes_sum, a.resolutions)),
            conversations_resolved: comm.map(|a| Decimal::from(a.resolutions)),
            pipeline: sales.map(|a| a.pipeline_value()),
            lead_contacts: sales.map(|a| Decimal::from(a.lead_contacts)),
        }
    }
}

/// A running mean over the pool members that have a value.
#[derive(Debug, Clone, Copy, Default)]
struct Avg {
    sum: Decimal,
    n: u64,
}

impl Avg {
    fn add(&mut self, value: Option<Decimal>) {
        if let Some(v) = value {
            self.sum = self.sum.saturating_add(v);
            self.n = self.n.saturating_add(1);
        }
    }

    /// `None` when no member has a value ("unavailable").
    fn get(&self) -> Option<Decimal> {
        mean(self.sum, self.n)
    }
}

/// The team averages of one pool, and its channel-coverage denominator.
#[derive(Debug, Clone, Default)]
struct PoolBaselines {
    values: BaselineValues,
    channels: BTreeSet<ConversationChannel>,
}

fn pool_baselines<'a>(members: impl Iterator<Item = (&'a PersonPeriod, &'a BaselineValues)>) -> PoolBaselines {
    let mut avg: [Avg; 6] = Default::default();
    let mut channels = BTreeSet::new();
    for (person, v) in members {
        avg[0].add(v.support_resolution);
        avg[1].add(v.first_response);
        avg[2].add(v.conversation_resolution);
        avg[3].add(v.conversations_resolved);
        avg[4].add(v.pipeline);
        avg[5].add(v.lead_contacts);
        if let Some(comm) = &person.activity.communication {
            channels.extend(comm.credited_channels.iter().copied());
        }
    }
    PoolBaselines {
        values: BaselineValues {
            support_resolution: avg[0].get(),
            first_response: avg[1].get(),
            conversation_resolution: avg[2].get(),
            conversations_resolved: avg[3].get(),
            pipeline: avg[4].get(),
            lead_contacts: avg[5].get(),
        },
        channels,
    }
}

/// The pool of each scoring team in use (D9): the team's members who are in
/// `input.people` (active, with activity), plus anyone whose scoring team it
/// is; for `None`, everyone in `input.people` without a scoring team.
fn baselines_by_pool(
    input: &PeriodInput,
    values: &BTreeMap<Uuid, BaselineValues>,
) -> BTreeMap<Option<Uuid>, PoolBaselines> {
    let mut pools: BTreeMap<Option<Uuid>, BTreeSet<Uuid>> = BTreeMap::new();
    for (id, person) in &input.people {
        pools.entry(person.scoring_team).or_default().insert(*id);
    }
    pools
        .into_iter()
        .map(|(team, mut members)| {
            if let Some(info) = team.and_then(|t| input.teams.get(&t)) {
                members.extend(info.members.iter().filter(|m| input.people.contains_key(m)).copied());
            }
            let baselines = pool_baselines(members.iter().map(|m| (&input.people[m], &values[m])));
            (team, baselines)
        })
        .collect()
}

// ------------------------------------------------------------ points

fn dec(n: u64) -> Decimal {
    Decimal::from(n)
}

fn clamp(points: Decimal, max: Decimal) -> Decimal {
    points.max(Decimal::ZERO).min(max)
}

fn metric(
    key: &str,
    max: u32,
    raw_value: Option<Decimal>,
    fraction: Option<(Decimal, Decimal)>,
    team_baseline: Option<Decimal>,
    points: Decimal,
) -> MetricScore {
    let max = Decimal::from(max);
    MetricScore {
        key: key.to_string(),
        raw_value,
        numerator: fraction.map(|(n, _)| n),
        denominator: fraction.map(|(_, d)| d),
        team_baseline,
        points: clamp(points, max),
        max,
    }
}

/// `max · safe_div(n, d)`, with a single division.
fn rate_points(max: u32, n: Decimal, d: Decimal) -> Decimal {
    safe_div(mul(Decimal::from(max), n), d)
}

/// `max · (1 − safe_div(n, d))`, with a single division.
fn inverse_rate_points(max: u32, n: Decimal, d: Decimal) -> Decimal {
    if d <= Decimal::ZERO {
        Decimal::from(max)
    } else {
        safe_div(mul(Decimal::from(max), d.saturating_sub(n)), d)
    }
}

/// A rate metric: raw value `safe_div(n, d)`, with its numerator and denominator.
fn rate_metric(key: &str, max: u32, n: u64, d: u64, lower_is_better: bool) -> MetricScore {
    let (n, d) = (dec(n), dec(d));
    let points = if lower_is_better { inverse_rate_points(max, n, d) } else { rate_points(max, n, d) };
    metric(key, max, Some(safe_div(n, d)), Some((n, d)), None, points)
}

/// A mean that scores `max · mean` (0 when there are no observations): raw
/// value the mean, `None` without observations.
fn mean_metric(key: &str, max: u32, sum: Decimal, count: u64) -> MetricScore {
    let points = rate_points(max, sum, dec(count));
    metric(key, max, mean(sum, count), Some((sum, dec(count))), None, points)
}

/// How a metric compares with the team average.
#[derive(Clone, Copy)]
enum VsTeam {
    /// `max · max(0, 1 − x / team(x))` (times).
    LowerIsBetter,
    /// `max · min(1, x / team(x))` (volumes).
    HigherIsBetter,
}

/// The baseline rule (§3, D9): half the points when `team(x)` is unavailable
/// or ≤ 0; otherwise 0 when p has no value; otherwise the formula.
fn baseline_points(max: u32, x: Option<Decimal>, team: Option<Decimal>, how: VsTeam) -> Decimal {
    let max = Decimal::from(max);
    let team = match team {
        Some(t) if t > Decimal::ZERO => t,
        _ => return max / Decimal::TWO,
    };
    let Some(x) = x else { return Decimal::ZERO };
    match how {
        VsTeam::LowerIsBetter => safe_div(mul(max, team.saturating_sub(x)), team).max(Decimal::ZERO),
        VsTeam::HigherIsBetter => safe_div(mul(max, x), team).min(max),
    }
}

fn baseline_metric(
    key: &str,
    max: u32,
    x: Option<Decimal>,
    fraction: Option<(Decimal, Decimal)>,
    team: Option<Decimal>,
    how: VsTeam,
) -> MetricScore {
    metric(key, max, x, fraction, team, baseline_points(max, x, team, how))
}

// ------------------------------------------------------------ points from a value

/// How a metric's points follow from its value (§3), for explaining and
/// advising: [`points_at`] evaluates it. The scoring above computes from the
/// accumulators with single divisions; a property test checks that
/// `points_at` of a scored metric's raw value gives its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointsRule {
    /// `max · x` for a share x in 0–1: rates, mean accuracies, completeness.
    Share,
    /// `max · (1 − x)` for a share x in 0–1: escalations, blocked tasks.
    InverseShare,
    /// `max · max(0, 1 − x / team(x))` under the baseline rule: times.
    BelowTeam,
    /// `max · min(1, x / team(x))` under the baseline rule: volumes.
    UpToTeam,
    /// `max · max(0, 1 − x / limit)`: field-service delay, limit 60 minutes.
    BelowLimit(u32),
    /// `max · min(1, x / full)`: note thoroughness, full at 100 characters.
    UpTo(u32),
    /// `max · x / 5`: the mean rating 1–5.
    OfFive,
}

impl PointsRule {
    /// Whether a smaller value earns more points.
    pub fn lower_is_better(self) -> bool {
        matches!(self, PointsRule::InverseShare | PointsRule::BelowTeam | PointsRule::BelowLimit(_))
    }

    /// Whether the metric is scored against the team average (D9).
    pub fn against_team(self) -> bool {
        matches!(self, PointsRule::BelowTeam | PointsRule::UpToTeam)
    }
}

/// The rule of `key` in `domain`, or `None` when there is no such metric.
pub fn points_rule(domain: Domain, key: &str) -> Option<PointsRule> {
    use PointsRule::*;
    metric_max(domain, key)?;
    Some(match key {
        "escalation_rate" | "blocked_rate" => InverseShare,
        "avg_resolution_minutes" | "avg_first_response_minutes" => BelowTeam,
        "conversations_resolved" | "pipeline_value" | "lead_contacts" => UpToTeam,
        "avg_delay_minutes" => BelowLimit(60),
        "note_thoroughness" => UpTo(100),
        "csat_avg_rating" => OfFive,
        _ => Share,
    })
}

/// The points `key` in `domain` earns at value `x` with team average `team`
/// (only read by the team rules), clamped to [0, max]; `None` for an unknown
/// metric. The building blocks are the scoring's own.
pub fn points_at(domain: Domain, key: &str, x: Option<Decimal>, team: Option<Decimal>) -> Option<Decimal> {
    let max = metric_max(domain, key)?;
    let rule = points_rule(domain, key)?;
    let points = match rule {
        PointsRule::BelowTeam => baseline_points(max, x, team, VsTeam::LowerIsBetter),
        PointsRule::UpToTeam => baseline_points(max, x, team, VsTeam::HigherIsBetter),
        _ => {
            let Some(x) = x else { return Some(Decimal::ZERO) };
            let max_d = Decimal::from(max);
            match rule {
                PointsRule::Share => rate_points(max, x, Decimal::ONE),
                PointsRule::InverseShare => inverse_rate_points(max, x, Decimal::ONE),
                PointsRule::BelowLimit(limit) => {
                    let limit = Decimal::from(limit);
                    safe_div(mul(max_d, limit.saturating_sub(x)), limit).max(Decimal::ZERO)
                }
                PointsRule::UpTo(full) => safe_div(mul(max_d, x), Decimal::from(full)),
                PointsRule::OfFive => safe_div(mul(max_d, x), Decimal::from(5)),
                PointsRule::BelowTeam | PointsRule::UpToTeam => Decimal::ZERO,
            }
        }
    };
    Some(clamp(points, Decimal::from(max)))
}

// ------------------------------------------------------------ domains (§3)

fn support_metrics(a: &SupportAcc, mine: &BaselineValues, team: &BaselineValues) -> Vec<MetricScore> {
    vec![
        rate_metric("sla_compliance_rate", 40, a.sla_met, a.sla_known, false),
        baseline_metric(
            "avg_resolution_minutes",
            30,
            mine.support_resolution,
            Some((a.resolution_minutes_sum, dec(a.resolutions))),
            team.support_resolution,
            VsTeam::LowerIsBetter,
        ),
        rate_metric("escalation_rate", 20, a.escalated_resolutions, a.resolutions, true),
        // 10 · safe_div(sum, #ratings) / 5 = safe_div(2 · sum, #ratings).
        metric(
            "csat_avg_rating",
            10,
            Some(safe_div(dec(a.rating_sum), dec(a.ratings))),
            Some((dec(a.rating_sum), dec(a.ratings))),
            None,
            safe_div(Decimal::TWO * dec(a.rating_sum), dec(a.ratings)),
        ),
    ]
}

fn operations_metrics(a: &OperationsAcc) -> Vec<MetricScore> {
    vec![
        rate_metric("completion_rate", 35, a.completions, a.assignments, false),
        rate_metric("on_time_rate", 30, a.on_time, a.on_time_known, false),
        mean_metric("effort_accuracy", 20, a.effort_accuracy_sum, a.effort_accuracy_count),
        rate_metric("blocked_rate", 15, a.blocked_tasks.len() as u64, a.tasks.len() as u64, true),
    ]
}

fn field_service_metrics(a: &FieldServiceAcc) -> Vec<MetricScore> {
    // 25 · max(0, 1 − x / 60) with x the mean delay = sum / count.
    let adherence = if a.delay_count == 0 {
        Decimal::ZERO
    } else {
        let budget = mul(Decimal::from(60), dec(a.delay_count));
        safe_div(mul(Decimal::from(25), budget.saturating_sub(a.delay_minutes_sum)), budget).max(Decimal::ZERO)
    };
    vec![
        rate_metric("completion_rate", 30, a.completions, a.assignments, false),
        metric(
            "avg_delay_minutes",
            25,
            mean(a.delay_minutes_sum, a.delay_count),
            Some((a.delay_minutes_sum, dec(a.delay_count))),
            None,
            adherence,
        ),
        mean_metric("duration_accuracy", 25, a.duration_accuracy_sum, a.duration_accuracy_count),
        rate_metric("documentation_rate", 20, a.completions_with_notes, a.completions, false),
    ]
}

fn communication_metrics(a: &CommunicationAcc, mine: &BaselineValues, pool: &PoolBaselines) -> Vec<MetricScore> {
    let team = &pool.values;
    vec![
        baseline_metric(
            "avg_first_response_minutes",
            30,
            mine.first_response,
            Some((a.first_response_minutes_sum, dec(a.first_responses))),
            team.first_response,
            VsTeam::LowerIsBetter,
        ),
        baseline_metric(
            "avg_resolution_minutes",
            25,
            mine.conversation_resolution,
            Some((a.resolution_minutes_sum, dec(a.resolutions))),
            team.conversation_resolution,
            VsTeam::LowerIsBetter,
        ),
        baseline_metric(
            "conversations_resolved",
            25,
            mine.conversations_resolved,
            None,
            team.conversations_resolved,
            VsTeam::HigherIsBetter,
        ),
        rate_metric("channel_coverage", 20, a.sent_channels.len() as u64, pool.channels.len() as u64, false),
    ]
}

fn sales_metrics(a: &SalesAcc, mine: &BaselineValues, team: &BaselineValues) -> Vec<MetricScore> {
    vec![
        rate_metric("win_rate", 35, a.won, a.won.saturating_add(a.lost), false),
        baseline_metric("pipeline_value", 25, mine.pipeline, None, team.pipeline, VsTeam::HigherIsBetter),
        rate_metric("quote_acceptance_rate", 25, a.quotes_accepted, a.quotes_sent, false),
        baseline_metric("lead_contacts", 15, mine.lead_contacts, None, team.lead_contacts, VsTeam::HigherIsBetter),
    ]
}

/// Completeness: the mean over records of |filled ∩ key| / keys, as
/// Σ|filled ∩ key| / (keys · #records).
fn completeness_metric(key: &str, max: u32, saves: &BTreeMap<String, LastSave>, keys: usize) -> MetricScore {
    let filled = saves.values().fold(0u64, |sum, s| sum.saturating_add(u64::from(s.key_fields)));
    let possible = dec((keys as u64).saturating_mul(saves.len() as u64));
    let raw = (!saves.is_empty()).then(|| safe_div(dec(filled), possible));
    metric(key, max, raw, Some((dec(filled), possible)), None, rate_points(max, dec(filled), possible))
}

fn data_quality_metrics(a: &DataQualityAcc) -> Vec<MetricScore> {
    // 15 · min(1, mean body_chars / 100) = min(15, 15 · sum / (100 · count)).
    let thoroughness = if a.notes == 0 {
        Decimal::ZERO
    } else {
        safe_div(mul(Decimal::from(15), dec(a.note_chars_sum)), mul(Decimal::ONE_HUNDRED, dec(a.notes)))
    };
    vec![
        completeness_metric("contact_completeness", 40, &a.contacts, CONTACT_KEY_FIELDS.len()),
        completeness_metric("organization_completeness", 25, &a.organizations, ORGANIZATION_KEY_FIELDS.len()),
        rate_metric("tagging_rate", 20, a.tagged_resolutions, a.resolutions, false),
        metric(
            "note_thoroughness",
            15,
            mean(dec(a.note_chars_sum), a.notes),
            Some((dec(a.note_chars_sum), dec(a.notes))),
            None,
            thoroughness,
        ),
    ]
}

fn domain_metrics(
    domain: Domain,
    day: &PersonDay,
    mine: &BaselineValues,
    pool: &PoolBaselines,
) -> Option<Vec<MetricScore>> {
    let team = &pool.values;
    Some(match domain {
        Domain::Support => support_metrics(day.support.as_ref()?, mine, team),
        Domain::Operations => operations_metrics(day.operations.as_ref()?),
        Domain::FieldService => field_service_metrics(day.field_service.as_ref()?),
        Domain::Communication => communication_metrics(day.communication.as_ref()?, mine, pool),
        Domain::Sales => sales_metrics(day.sales.as_ref()?, mine, team),
        Domain::DataQuality => data_quality_metrics(day.data_quality.as_ref()?),
    })
}

// ------------------------------------------------------------ the period (§4)

/// Scores every person of `input` with at least one scored domain (D7),
/// sorted by person_id. Values are unrounded.
pub fn score_period(input: &PeriodInput) -> Vec<PersonScore> {
    let values: BTreeMap<Uuid, BaselineValues> =
        input.people.iter().map(|(id, p)| (*id, BaselineValues::of(&p.activity))).collect();
    let pools = baselines_by_pool(input, &values);
    let mut scores = Vec::with_capacity(input.people.len());
    for (id, person) in &input.people {
        let day = &person.activity;
        let pool = &pools[&person.scoring_team];
        let mine = &values[id];
        let scored: Vec<(Domain, Vec<MetricScore>)> = Domain::ALL
            .into_iter()
            .filter_map(|d| domain_metrics(d, day, mine, pool).map(|metrics| (d, metrics)))
            .collect();
        if scored.is_empty() {
            continue;
        }
        let team_type = person.scoring_team.and_then(|t| input.teams.get(&t)).map(|t| t.team_type);
        let sales_activity_ratio = safe_div(dec(day.sales_events), dec(day.events));
        let (weight_map, weight_source) = input.settings.weights_for(team_type, sales_activity_ratio);
        let weight_of = |d: Domain| weight_map.get(&d).copied().unwrap_or(Decimal::ZERO);
        let total_weight = scored.iter().fold(Decimal::ZERO, |sum, (d, _)| sum.saturating_add(weight_of(*d)));
        let mut weighted_sum = Decimal::ZERO;
        let domains: Vec<DomainScore> = scored
            .into_iter()
            .map(|(domain, metrics)| {
                let raw_score = metrics.iter().fold(Decimal::ZERO, |sum, m| sum.saturating_add(m.points));
                let w = weight_of(domain);
                weighted_sum = weighted_sum.saturating_add(mul(raw_score, w));
                DomainScore {
                    domain,
                    raw_score,
                    weighted_score: safe_div(mul(raw_score, w), total_weight),
                    weight: safe_div(w, total_weight),
                    metrics,
                }
            })
            .collect();
        scores.push(PersonScore {
            person_id: *id,
            team_id: person.scoring_team,
            team_type,
            domains,
            composite: safe_div(weighted_sum, total_weight),
            weight_map,
            weight_source,
            sales_activity_ratio,
            first_position: day.first_position,
            last_position: day.last_position,
        });
    }
    scores
}
