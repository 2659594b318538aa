//! Goals (seed-design.md `AgentPerformanceGoal`, D14): an aggregate whose
//! events are created, updated, canceled, achieved and missed.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::scoring::formulas::METRIC_KEYS;
use crate::scoring::{round2, Domain};
use crate::validate::Rejection;

/// Is lower or higher better?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Lte,
    Gte,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalCreated {
    pub goal_id: Uuid,
    pub person_id: Uuid,
    pub domain: Domain,
    pub metric_key: String,
    pub label: String,
    pub target_value: Decimal,
    pub comparison: Comparison,
    pub deadline: NaiveDate,
    pub created_by_person_id: Option<Uuid>,
}

/// Only the fields given change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalUpdated {
    pub goal_id: Uuid,
    pub actor_person_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_value: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalCanceled {
    pub goal_id: Uuid,
    pub actor_person_id: Option<Uuid>,
}

/// `goal.achieved` / `goal.missed`: the outcome at or after the deadline, with
/// the value it was judged on (null when the metric never got a value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalSettled {
    pub goal_id: Uuid,
    pub current_value: Option<Decimal>,
}

/// Where a goal stands (seed `GoalStatus`). Only an active goal may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Active,
    Achieved,
    Missed,
    Canceled,
}

impl GoalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Active => "active",
            GoalStatus::Achieved => "achieved",
            GoalStatus::Missed => "missed",
            GoalStatus::Canceled => "canceled",
        }
    }
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Lte => "lte",
            Comparison::Gte => "gte",
        }
    }
}

/// Is a goal met? Only with a value: `lte` when `current <= target`, `gte`
/// when `current >= target`.
pub fn settle(comparison: Comparison, target: Decimal, current: Option<Decimal>) -> bool {
    match (comparison, current) {
        (Comparison::Lte, Some(current)) => current <= target,
        (Comparison::Gte, Some(current)) => current >= target,
        (_, None) => false,
    }
}

// ------------------------------------------------------------ field rules

pub const MAX_LABEL_CHARS: usize = 200;
pub const MAX_METRIC_KEY_CHARS: usize = 80;
/// The metric key of a goal on the weighted composite score.
pub const COMPOSITE_METRIC_KEY: &str = "composite";

/// `label`: 1–200 characters, not only whitespace.
pub fn validate_label(label: &str) -> Result<(), Rejection> {
    let n = label.chars().count();
    if label.trim().is_empty() {
        return Err(Rejection::new("label", format!("must not be blank (1–{MAX_LABEL_CHARS} characters)")));
    }
    if n > MAX_LABEL_CHARS {
        return Err(Rejection::new("label", format!("is {n} characters long; at most {MAX_LABEL_CHARS} are allowed")));
    }
    // One line of text: NUL would fail the goal's row write (issue 14).
    if let Some(reason) = crate::validate::control_character(label, &[]) {
        return Err(Rejection::new("label", reason));
    }
    Ok(())
}

/// `metric_key`: `composite`, the domain's own name (its domain score) or
/// one of the domain's metric keys.
pub fn validate_metric_key(domain: Domain, metric_key: &str) -> Result<(), Rejection> {
    let n = metric_key.chars().count();
    if n == 0 {
        return Err(Rejection::new("metric_key", format!("must not be empty (1–{MAX_METRIC_KEY_CHARS} characters)")));
    }
    if n > MAX_METRIC_KEY_CHARS {
        return Err(Rejection::new(
            "metric_key",
            format!("is {n} characters long; at most {MAX_METRIC_KEY_CHARS} are allowed"),
        ));
    }
    if metric_key == COMPOSITE_METRIC_KEY || metric_key == domain.as_str() || is_domain_metric(domain, metric_key) {
        return Ok(());
    }
    let metrics: Vec<&str> = domain_metrics(domain).collect();
    Err(Rejection::new(
        "metric_key",
        format!(
            "'{}' is not a metric of {domain}; expected {COMPOSITE_METRIC_KEY}, {domain} (the domain score) or one of {}",
            shorten(metric_key, 40),
            metrics.join(", ")
        ),
    ))
}

fn domain_metrics(domain: Domain) -> impl Iterator<Item = &'static str> {
    METRIC_KEYS.iter().filter(move |(d, _, _)| *d == domain).map(|(_, key, _)| *key)
}

fn is_domain_metric(domain: Domain, key: &str) -> bool {
    domain_metrics(domain).any(|k| k == key)
}

/// 10^10: one cent more than the largest value `Numeric(12,2)` holds.
fn numeric_12_2_limit() -> Decimal {
    Decimal::from(10_000_000_000_i64)
}

/// `target_value`: not negative, at most 2 decimals, below 10^10 (`Numeric(12,2)`).
pub fn validate_target_value(value: Decimal) -> Result<(), Rejection> {
    if value < Decimal::ZERO {
        return Err(Rejection::new("target_value", format!("must not be negative (got {value})")));
    }
    if value.normalize().scale() > 2 {
        return Err(Rejection::new("target_value", format!("may have at most 2 decimals (got {value})")));
    }
    if value >= numeric_12_2_limit() {
        return Err(Rejection::new("target_value", format!("must be less than 10000000000 (got {value})")));
    }
    Ok(())
}

/// `deadline`: not before `today`.
pub fn validate_deadline(deadline: NaiveDate, today: NaiveDate) -> Result<(), Rejection> {
    if deadline < today {
        return Err(Rejection::new("deadline", format!("{deadline} is in the past; expected {today} or later")));
    }
    Ok(())
}

/// A value judged at settlement: rounded half-up to 2 decimals, and within
/// `Numeric(12,2)`.
pub fn settled_value(value: Option<Decimal>) -> Result<Option<Decimal>, Rejection> {
    match value {
        None => Ok(None),
        Some(v) if v.abs() >= numeric_12_2_limit() => {
            Err(Rejection::new("current_value", format!("must be less than 10000000000 in magnitude (got {v})")))
        }
        Some(v) => Ok(Some(round2(v))),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}
