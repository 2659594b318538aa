//! What each metric means to the person scored (issue 15): its name, what it
//! measures, its unit, its rule in words (what earns full points, what earns
//! none, the team figure it is compared with, which way is better), and
//! advice derived from the formula: how many points a realistic step would
//! add. The one description table the pages, the API (`metric_rules`) and
//! the review prompts share. The rule words and the advice are computed from
//! [`PointsRule`] and [`points_at`], so they cannot drift from the scoring.

use rust_decimal::Decimal;
use serde::Serialize;

use super::formulas::{metric_max, points_at, points_rule, PointsRule, METRIC_KEYS};
use super::Domain;
use crate::format::{self, Unit};

/// The words of one metric of the metric table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    pub domain: Domain,
    pub key: &'static str,
    /// A short name: "First response time".
    pub label: &'static str,
    /// What the value is: "the mean time from a customer's message to your first reply".
    pub measures: &'static str,
    pub unit: Unit,
}

const CONVERSATIONS: Unit = Unit::Count { one: "conversation", many: "conversations" };
const CONTACTS: Unit = Unit::Count { one: "contact", many: "contacts" };

const fn info(
    domain: Domain,
    key: &'static str,
    label: &'static str,
    measures: &'static str,
    unit: Unit,
) -> MetricInfo {
    MetricInfo { domain, key, label, measures, unit }
}

/// One entry per metric of [`METRIC_KEYS`], in its order (a test checks).
pub const METRIC_INFO: &[MetricInfo] = &[
    info(
        Domain::Support,
        "sla_compliance_rate",
        "SLA compliance",
        "the share of your resolved tickets with an SLA that met it",
        Unit::Share,
    ),
    info(
        Domain::Support,
        "avg_resolution_minutes",
        "Ticket resolution time",
        "the mean time from a ticket's opening to its resolution",
        Unit::Minutes,
    ),
    info(
        Domain::Support,
        "escalation_rate",
        "Escalations",
        "the share of your resolved tickets that were escalated",
        Unit::Share,
    ),
    info(
        Domain::Support,
        "csat_avg_rating",
        "Customer rating",
        "the mean customer rating (1-5) of your resolved tickets",
        Unit::Rating,
    ),
    info(
        Domain::Operations,
        "completion_rate",
        "Task completion",
        "tasks you completed per task assigned to you",
        Unit::Share,
    ),
    info(
        Domain::Operations,
        "on_time_rate",
        "Tasks on time",
        "the share of your completed tasks with a due date that were done by it",
        Unit::Share,
    ),
    info(
        Domain::Operations,
        "effort_accuracy",
        "Effort estimates",
        "how close the actual hours came to the estimate, on average",
        Unit::Share,
    ),
    info(Domain::Operations, "blocked_rate", "Blocked tasks", "the share of your tasks that were blocked", Unit::Share),
    info(
        Domain::FieldService,
        "completion_rate",
        "Work-order completion",
        "work orders you completed per work order assigned to you",
        Unit::Share,
    ),
    info(
        Domain::FieldService,
        "avg_delay_minutes",
        "Lateness",
        "the mean time past the scheduled end when you completed a work order",
        Unit::Minutes,
    ),
    info(
        Domain::FieldService,
        "duration_accuracy",
        "Duration estimates",
        "how close the time on site came to the estimate, on average",
        Unit::Share,
    ),
    info(
        Domain::FieldService,
        "documentation_rate",
        "Documented work orders",
        "the share of your completed work orders with a note",
        Unit::Share,
    ),
    info(
        Domain::Communication,
        "avg_first_response_minutes",
        "First response time",
        "the mean time from a customer's message to your first reply",
        Unit::Minutes,
    ),
    info(
        Domain::Communication,
        "avg_resolution_minutes",
        "Conversation resolution time",
        "the mean time from the customer's first message to resolution",
        Unit::Minutes,
    ),
    info(
        Domain::Communication,
        "conversations_resolved",
        "Conversations resolved",
        "the conversations you resolved",
        CONVERSATIONS,
    ),
    info(
        Domain::Communication,
        "channel_coverage",
        "Channel coverage",
        "the share of your team's channels you answered on",
        Unit::Share,
    ),
    info(Domain::Sales, "win_rate", "Win rate", "leads won out of leads won or lost", Unit::Share),
    info(
        Domain::Sales,
        "pipeline_value",
        "Pipeline",
        "the estimated value of the leads created for or assigned to you",
        Unit::Money,
    ),
    info(
        Domain::Sales,
        "quote_acceptance_rate",
        "Quote acceptance",
        "quotes accepted out of the quotes you sent",
        Unit::Share,
    ),
    info(Domain::Sales, "lead_contacts", "Lead contacts", "the times you contacted a lead", CONTACTS),
    info(
        Domain::DataQuality,
        "contact_completeness",
        "Contact completeness",
        "the key fields (6) filled on the contacts you saved",
        Unit::Share,
    ),
    info(
        Domain::DataQuality,
        "organization_completeness",
        "Organisation completeness",
        "the key fields (7) filled on the organisations you saved",
        Unit::Share,
    ),
    info(
        Domain::DataQuality,
        "tagging_rate",
        "Tagging",
        "the share of your resolved tickets and conversations with a tag",
        Unit::Share,
    ),
    info(
        Domain::DataQuality,
        "note_thoroughness",
        "Note thoroughness",
        "the mean length of your ticket comments and work-order notes",
        Unit::Characters,
    ),
];

/// The words of `key` in `domain`.
pub fn metric_info(domain: Domain, key: &str) -> Option<&'static MetricInfo> {
    METRIC_INFO.iter().find(|m| m.domain == domain && m.key == key)
}

/// A metric's label, or its key with spaces when it is not in the table.
pub fn metric_label(domain: Domain, key: &str) -> String {
    metric_info(domain, key).map_or_else(|| key.replace('_', " "), |m| m.label.to_string())
}

/// A metric's value in its unit ("42.2 min", "80 %"), "—" for none.
pub fn value_text(domain: Domain, key: &str, value: Option<Decimal>) -> String {
    match metric_info(domain, key) {
        Some(m) => format::optional_value(m.unit, value),
        None => value.map_or_else(|| "—".to_string(), format::points),
    }
}

/// A metric's value in a table cell ([`format::cell_value`]), "—" for none.
pub fn cell_text(domain: Domain, key: &str, value: Option<Decimal>) -> String {
    match (metric_info(domain, key), value) {
        (Some(m), Some(v)) => format::cell_value(m.unit, v),
        _ => value_text(domain, key, value),
    }
}

/// A metric's rule, for the API (`metric_rules`) and the pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricRule {
    pub label: &'static str,
    pub measures: &'static str,
    /// `percent` (raw values are shares 0–1), `minutes`, `rating_of_5`, `count`, `money` or `characters`.
    pub unit: &'static str,
    /// `higher` or `lower`.
    pub better: &'static str,
    pub max_points: u32,
    /// Where the full points are earned, e.g. "at 0 min".
    pub full_points: String,
    /// Where no points are earned, e.g. "at or above the team average".
    pub no_points: String,
    /// `team_average` when the value is compared with the team's (D9), else `none`.
    pub compared_with: &'static str,
    /// The rule in one sentence.
    pub rule: String,
}

/// The rule of `key` in `domain`; `team` is the team average the page or
/// prompt shows, `None` for the rule in general (the API's).
pub fn metric_rule(domain: Domain, key: &str, team: Option<Decimal>) -> Option<MetricRule> {
    let info = metric_info(domain, key)?;
    let rule = points_rule(domain, key)?;
    let max = metric_max(domain, key)?;
    let unit = info.unit;
    let team_words = match team {
        Some(t) if t > Decimal::ZERO => format!("the team average of {}", format::value(unit, t)),
        _ => "the team average".to_string(),
    };
    let zero = format::value(unit, Decimal::ZERO);
    let (full, none) = match rule {
        PointsRule::Share => ("at 100 %".to_string(), "at 0 %".to_string()),
        PointsRule::InverseShare => ("at 0 %".to_string(), "at 100 %".to_string()),
        PointsRule::BelowTeam => (format!("at {zero}"), format!("at or above {team_words}")),
        PointsRule::UpToTeam => (format!("at or above {team_words}"), "at 0".to_string()),
        PointsRule::BelowLimit(limit) => {
            (format!("at {zero}"), format!("at {} or more", format::value(unit, Decimal::from(limit))))
        }
        PointsRule::UpTo(full) => {
            (format!("at {} or more", format::value(unit, Decimal::from(full))), "at 0".to_string())
        }
        PointsRule::OfFive => ("at 5 of 5".to_string(), "without ratings".to_string()),
    };
    let better = if rule.lower_is_better() { "lower" } else { "higher" };
    let mut sentence =
        format!("{} is better: {max} points {full}, none {none}, in proportion between.", capitalised(better));
    if rule.against_team() && !matches!(team, Some(t) if t > Decimal::ZERO) && team.is_some() {
        sentence.push_str(" With no team average above 0 it scores half its points.");
    }
    Some(MetricRule {
        label: info.label,
        measures: info.measures,
        unit: unit.key(),
        better,
        max_points: max,
        full_points: full,
        no_points: none,
        compared_with: if rule.against_team() { "team_average" } else { "none" },
        rule: sentence,
    })
}

/// A realistic improvement of one metric and the points it adds under the
/// formula: the value moves from its current one to `to`, strictly the
/// better way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The value after the step.
    pub to: Decimal,
    /// How far it moved from the current value, or from where points start
    /// when the current value earns none (positive).
    pub size: Decimal,
    /// `points_at(to) − points_at(current)`, above 0.
    pub gain: Decimal,
    /// Where points start when the current value earns none (the team
    /// average or the limit), which the current value does not meet.
    pub points_start_at: Option<Decimal>,
}

/// The largest of `ladder` (ascending) not above `v`, or its first.
fn on_ladder(v: Decimal, ladder: &[Decimal]) -> Decimal {
    ladder.iter().rev().find(|s| **s <= v).copied().unwrap_or(ladder[0])
}

/// 1, 2, 5, 10, 20, 50 … up to 5·10^12.
fn one_two_five() -> Vec<Decimal> {
    let mut out = Vec::new();
    let mut base = Decimal::ONE;
    for _ in 0..13 {
        for m in [1, 2, 5] {
            out.push(base * Decimal::from(m));
        }
        base *= Decimal::TEN;
    }
    out
}

/// A quarter of `basis`, on a ladder of steps people plan in.
fn nice_step(unit: Unit, basis: Decimal) -> Decimal {
    let quarter = basis / Decimal::from(4);
    match unit {
        Unit::Share => Decimal::new(1, 1),
        Unit::Rating => Decimal::new(5, 1),
        Unit::Minutes => {
            let ladder: Vec<Decimal> =
                [1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 960, 1440, 2880, 5760, 10080].map(Decimal::from).into();
            on_ladder(quarter, &ladder)
        }
        Unit::Characters => Decimal::from(25),
        Unit::Count { .. } | Unit::Money => on_ladder(quarter, &one_two_five()),
    }
}

/// The step of `key` in `domain` from value `x` with team average `team`,
/// or `None` when no step can add points: full points already, no value,
/// or a team rule with no team average (half points whatever the value).
pub fn step(domain: Domain, key: &str, x: Option<Decimal>, team: Option<Decimal>) -> Option<Step> {
    let info = metric_info(domain, key)?;
    let rule = points_rule(domain, key)?;
    let max = Decimal::from(metric_max(domain, key)?);
    let x = x?;
    let team = team.filter(|t| *t > Decimal::ZERO);
    if rule.against_team() && team.is_none() {
        return None;
    }
    let now = points_at(domain, key, Some(x), team)?;
    if now >= max {
        return None;
    }
    // Where points stop (lower is better) or reach their maximum (higher).
    let bound = match rule {
        PointsRule::BelowTeam | PointsRule::UpToTeam => team,
        PointsRule::BelowLimit(limit) => Some(Decimal::from(limit)),
        PointsRule::UpTo(full) => Some(Decimal::from(full)),
        PointsRule::Share | PointsRule::InverseShare => Some(Decimal::ONE),
        PointsRule::OfFive => Some(Decimal::from(5)),
    };
    let (to, points_start_at) = if rule.lower_is_better() {
        let zero_from = match rule {
            PointsRule::InverseShare => None,
            _ => bound,
        };
        match zero_from {
            Some(b) if x >= b => {
                let size = nice_step(info.unit, b).min(b);
                ((b - size).max(Decimal::ZERO), Some(b))
            }
            _ => {
                let size = nice_step(info.unit, x).min(x);
                ((x - size).max(Decimal::ZERO), None)
            }
        }
    } else {
        let basis = if rule == PointsRule::UpToTeam { bound.unwrap_or(x) } else { x };
        let size = nice_step(info.unit, basis);
        let to = x.saturating_add(size);
        // Things are counted whole: up to the team average rounded up.
        let cap = match info.unit {
            Unit::Count { .. } => bound.map(|b| b.ceil()),
            _ => bound,
        };
        (cap.map_or(to, |b| to.min(b.max(x))), None)
    };
    let gain = points_at(domain, key, Some(to), team)?.saturating_sub(now);
    let size = (to - points_start_at.unwrap_or(x)).abs();
    (gain > Decimal::ZERO && size > Decimal::ZERO).then_some(Step { to, size, gain, points_start_at })
}

/// Advice on `key` in `domain` in words, from the formula: what the step
/// would add, or why no value of the person's changes the points.
pub fn advice(domain: Domain, key: &str, x: Option<Decimal>, team: Option<Decimal>) -> Option<String> {
    let info = metric_info(domain, key)?;
    let rule = points_rule(domain, key)?;
    let max = Decimal::from(metric_max(domain, key)?);
    let now = points_at(domain, key, x, team)?;
    let unit = info.unit;
    if now >= max {
        return Some(format!("Full {} points: keep it there.", format::points(max)));
    }
    if rule.against_team() && !matches!(team, Some(t) if t > Decimal::ZERO) {
        return Some(format!(
            "Half points ({} of {}) whatever your value: there was no team average to compare with this period.",
            format::points(now),
            format::points(max)
        ));
    }
    // A rating is 1–5: an average of 0 means nobody rated, and no step of
    // "0.5 more" can be taken from there.
    if rule == PointsRule::OfFive && x.is_none_or(|v| v < Decimal::ONE) {
        return Some(format!(
            "No customer rated this period, so it earned no points; an average of 5 of 5 earns all {}.",
            format::points(max)
        ));
    }
    let Some(step) = step(domain, key, x, team) else {
        return Some(format!(
            "No value was recorded this period, so it earned no points; it counts {}.",
            info.measures
        ));
    };
    let size = format::value(unit, step.size);
    let to = format::value(unit, step.to);
    let change = match (unit, rule.lower_is_better()) {
        (Unit::Minutes, true) if key == "avg_delay_minutes" => format!("{size} less delay ({to} on average)"),
        (Unit::Minutes, _) => format!("{size} faster ({to} on average)"),
        (Unit::Share, true) => {
            format!("{} percentage points lower ({to})", format::points(step.size * Decimal::ONE_HUNDRED))
        }
        (Unit::Share, false) => {
            format!("{} percentage points higher ({to})", format::points(step.size * Decimal::ONE_HUNDRED))
        }
        (Unit::Rating, _) => format!("{} more on the average rating ({to})", format::points(step.size)),
        (Unit::Count { one, many }, _) => format!(
            "{} more {} ({})",
            format::points(step.size),
            if step.size == Decimal::ONE { one } else { many },
            format::points(step.to)
        ),
        (Unit::Money, _) => format!("{size} more pipeline ({to})"),
        (Unit::Characters, _) => format!("{} more characters per note on average ({to})", format::points(step.size)),
    };
    let bound_words = |b: Decimal| {
        if rule.against_team() {
            format!("the team average of {}", format::value(unit, b))
        } else {
            format::value(unit, b)
        }
    };
    let text = match step.points_start_at {
        Some(b) => format!(
            "Points start below {}: {to} on average ({size} under it) would add {} of {} points.",
            bound_words(b),
            format::gain(step.gain),
            format::points(max)
        ),
        None => {
            format!("{} would add {} of {} points.", capitalised(&change), format::gain(step.gain), format::points(max))
        }
    };
    Some(text)
}

/// The metric rules of one domain, by key, in the metric table's order.
pub fn domain_rules(domain: Domain) -> Vec<(&'static str, MetricRule)> {
    METRIC_KEYS
        .iter()
        .filter(|(d, _, _)| *d == domain)
        .filter_map(|(_, key, _)| Some((*key, metric_rule(domain, key, None)?)))
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_metric_has_its_words_in_the_table_order() {
        assert_eq!(METRIC_INFO.len(), METRIC_KEYS.len());
        for (info, (domain, key, _)) in METRIC_INFO.iter().zip(METRIC_KEYS) {
            assert_eq!((info.domain, info.key), (*domain, *key));
            assert!(metric_rule(*domain, key, None).is_some(), "{key}");
        }
    }

    #[test]
    fn a_faster_agent_than_the_team_is_told_what_a_step_adds() {
        // Issue 15: 42.15 min against a team average of 53.77 min.
        let text =
            advice(Domain::Communication, "avg_first_response_minutes", Some(dec!(42.15)), Some(dec!(53.77))).unwrap();
        assert_eq!(text, "10 min faster (32.2 min on average) would add 5.6 of 30 points.");
        assert!(!text.contains("53.77") && !text.contains("53.8"));
    }

    #[test]
    fn a_slower_agent_learns_where_points_start() {
        let text = advice(Domain::Support, "avg_resolution_minutes", Some(dec!(70)), Some(dec!(53.77))).unwrap();
        assert_eq!(
            text,
            "Points start below the team average of 53.8 min: 43.8 min on average (10 min under it) would add 5.6 of \
             30 points."
        );
    }

    #[test]
    fn nobody_rated_is_not_a_rating_to_raise_by_half_a_star() {
        for x in [None, Some(dec!(0))] {
            let text = advice(Domain::Support, "csat_avg_rating", x, None).unwrap();
            assert_eq!(
                text,
                "No customer rated this period, so it earned no points; an average of 5 of 5 earns all 10."
            );
        }
        let rated = advice(Domain::Support, "csat_avg_rating", Some(dec!(3)), None).unwrap();
        assert!(rated.contains("0.5 more on the average rating"), "{rated}");
    }

    #[test]
    fn rules_say_where_points_are_earned() {
        let rule = metric_rule(Domain::Communication, "avg_first_response_minutes", Some(dec!(53.77))).unwrap();
        assert_eq!(
            rule.rule,
            "Lower is better: 30 points at 0 min, none at or above the team average of 53.8 min, in proportion between."
        );
        assert_eq!((rule.unit, rule.better, rule.compared_with), ("minutes", "lower", "team_average"));
        let sla = metric_rule(Domain::Support, "sla_compliance_rate", None).unwrap();
        assert_eq!(sla.rule, "Higher is better: 40 points at 100 %, none at 0 %, in proportion between.");
        let notes = metric_rule(Domain::DataQuality, "note_thoroughness", None).unwrap();
        assert_eq!(notes.full_points, "at 100 characters or more");
    }

    #[test]
    fn advice_without_a_team_figure_or_a_value() {
        let half = advice(Domain::Sales, "lead_contacts", Some(dec!(3)), None).unwrap();
        assert!(half.starts_with("Half points (7.5 of 15)"), "{half}");
        let none = advice(Domain::FieldService, "avg_delay_minutes", None, None).unwrap();
        assert!(none.starts_with("No value was recorded"), "{none}");
        let full = advice(Domain::Support, "sla_compliance_rate", Some(Decimal::ONE), None).unwrap();
        assert_eq!(full, "Full 40 points: keep it there.");
    }

    #[test]
    fn steps_in_each_unit() {
        let share = advice(Domain::Support, "sla_compliance_rate", Some(dec!(0.9)), None).unwrap();
        assert_eq!(share, "10 percentage points higher (100 %) would add 4 of 40 points.");
        let esc = advice(Domain::Support, "escalation_rate", Some(dec!(0.25)), None).unwrap();
        assert_eq!(esc, "10 percentage points lower (15 %) would add 2 of 20 points.");
        let count = advice(Domain::Communication, "conversations_resolved", Some(dec!(12)), Some(dec!(18))).unwrap();
        assert_eq!(count, "2 more conversations (14) would add 2.8 of 25 points.");
        // Short of a fractional team average, the step is whole conversations.
        let whole = advice(Domain::Communication, "conversations_resolved", Some(dec!(9)), Some(dec!(10.86))).unwrap();
        assert_eq!(whole, "2 more conversations (11) would add 4.3 of 25 points.");
        let notes = advice(Domain::DataQuality, "note_thoroughness", Some(dec!(60)), None).unwrap();
        assert_eq!(notes, "25 more characters per note on average (85 characters) would add 3.8 of 15 points.");
        let late = advice(Domain::FieldService, "avg_delay_minutes", Some(dec!(90)), None).unwrap();
        assert_eq!(late, "Points start below 1 h: 45 min on average (15 min under it) would add 6.3 of 25 points.");
    }
}
