//! The new-goal form of My Performance (issue 15, item 13): the metric is
//! picked from the catalog (a `<select>` with one `<optgroup>` per domain,
//! so it works without JavaScript), its direction and unit come with it, the
//! target is typed in the metric's unit (90 % is stored as 0.9), the current
//! value is shown, and a refusal is shown beside the field at fault, in
//! words, with what was typed kept.

use std::collections::BTreeMap;
use std::str::FromStr;

use perfledger_domain::format;
use perfledger_domain::goals::COMPOSITE_METRIC_KEY;
use perfledger_domain::scoring::formulas::{points_rule, METRIC_KEYS};
use perfledger_domain::scoring::{explain, Domain};
use serde_json::{Map, Value};

use super::data::PeriodScores;
use super::view::{domain_label, metric_name, number_text};
use crate::error::AppError;
use crate::queries::Decimal;

/// The unit a goal's target is typed in: the metric's unit
/// ([`explain::METRIC_INFO`]), or score points for the composite and the
/// domain scores. Values are shown through [`format`], as everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// 0–100 score points.
    Points,
    /// A rate stored as 0–1, typed and shown in percent.
    Percent,
    Minutes,
    /// A CSAT rating, 1–5.
    Rating,
    Count,
    Money,
    Characters,
}

impl Unit {
    pub fn of(metric_key: &str) -> Unit {
        match explain::METRIC_INFO.iter().find(|m| m.key == metric_key).map(|m| m.unit) {
            Some(format::Unit::Share) => Unit::Percent,
            Some(format::Unit::Minutes) => Unit::Minutes,
            Some(format::Unit::Rating) => Unit::Rating,
            Some(format::Unit::Count { .. }) => Unit::Count,
            Some(format::Unit::Money) => Unit::Money,
            Some(format::Unit::Characters) => Unit::Characters,
            // The composite and the domain scores (the form offers nothing else).
            None => Unit::Points,
        }
    }

    /// What the target field says after the number.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Points => "points (0–100)",
            Unit::Percent => "% (0–100)",
            Unit::Minutes => "minutes",
            Unit::Rating => "of 5",
            Unit::Count => "items",
            Unit::Money => "in your currency",
            Unit::Characters => "characters on average",
        }
    }

    /// A stored value in this unit: "85.5 %", "42.5 min", "4.2 of 5".
    pub fn show(self, stored: f64) -> String {
        let value = format::decimal_of(stored);
        match self {
            Unit::Percent => format::value(format::Unit::Share, value),
            Unit::Minutes => format::minutes(value),
            Unit::Rating => format::value(format::Unit::Rating, value),
            Unit::Points => format!("{} points", format::score(value)),
            Unit::Characters => format::value(format::Unit::Characters, value),
            Unit::Count | Unit::Money => {
                format::cell_value(format::Unit::Money, value).trim_end_matches(".00").to_string()
            }
        }
    }

    /// The number a person types for a stored value (90 for 0.9 %).
    pub fn typed(self, stored: f64) -> String {
        match self {
            Unit::Percent => number_text(Some(stored * 100.0)),
            _ => number_text(Some(stored)),
        }
    }
}

/// Whether a smaller value earns more points, from the formula's own rule
/// (`formulas::points_rule`); scores are higher-is-better.
pub fn lower_is_better(metric_key: &str) -> bool {
    METRIC_KEYS
        .iter()
        .find(|(_, key, _)| *key == metric_key)
        .and_then(|(domain, key, _)| points_rule(*domain, key))
        .is_some_and(|rule| rule.lower_is_better())
}

/// One metric a goal may track, as the form offers it.
#[derive(Debug, Clone)]
pub struct GoalMetric {
    /// `support:sla_compliance_rate`, or `composite`.
    pub value: String,
    pub label: String,
    pub unit: &'static str,
    pub direction: &'static str,
    pub current: String,
    pub selected: bool,
}

/// A domain's group of the metric `<select>`.
#[derive(Debug, Clone)]
pub struct MetricGroup {
    pub label: &'static str,
    pub metrics: Vec<GoalMetric>,
}

/// The form as shown: the catalog, what was typed and the refusals beside their fields.
#[derive(Debug, Clone, Default)]
pub struct GoalForm {
    pub groups: Vec<MetricGroup>,
    pub label: String,
    pub target: String,
    pub deadline: String,
    /// By form field: `metric`, `label`, `target`, `deadline`.
    pub errors: BTreeMap<&'static str, String>,
}

impl GoalForm {
    /// An empty form, the composite selected, current values from `scores`.
    pub fn new(scores: &PeriodScores) -> GoalForm {
        GoalForm { groups: catalog(scores, COMPOSITE_METRIC_KEY), ..GoalForm::default() }
    }

    /// The form refilled with what was typed, and the errors.
    pub fn refused(scores: &PeriodScores, typed: &Typed, errors: BTreeMap<&'static str, String>) -> GoalForm {
        GoalForm {
            groups: catalog(scores, &typed.metric),
            label: typed.label.clone(),
            target: typed.target.clone(),
            deadline: typed.deadline.clone(),
            errors,
        }
    }

    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// The metric the `<select>` shows selected.
    pub fn selected(&self) -> Option<&GoalMetric> {
        self.groups.iter().flat_map(|g| &g.metrics).find(|m| m.selected)
    }
}

/// Splits a `<select>` value into (domain, metric key).
fn parse_choice(value: &str) -> Option<(Domain, &str)> {
    if value == COMPOSITE_METRIC_KEY {
        // A composite goal is not about one domain; the command still needs
        // one, and any is accepted for `composite`.
        return Some((Domain::Support, COMPOSITE_METRIC_KEY));
    }
    let (domain, key) = value.split_once(':')?;
    let domain = Domain::from_str(domain).ok()?;
    let known = key == domain.as_str() || METRIC_KEYS.iter().any(|(d, k, _)| *d == domain && *k == key);
    known.then_some((domain, key))
}

fn metric(value: String, label: String, key: &str, current: Option<f64>, selected: &str) -> GoalMetric {
    let unit = Unit::of(key);
    GoalMetric {
        selected: value == selected,
        value,
        label,
        unit: unit.suffix(),
        direction: if lower_is_better(key) { "lower is better" } else { "higher is better" },
        current: current.map(|v| unit.show(v)).unwrap_or_else(|| "no value yet".into()),
    }
}

/// The composite, then per domain its score and its metrics.
fn catalog(scores: &PeriodScores, selected: &str) -> Vec<MetricGroup> {
    let mut groups = vec![MetricGroup {
        label: "Overall",
        metrics: vec![metric(
            COMPOSITE_METRIC_KEY.into(),
            "Composite score".into(),
            COMPOSITE_METRIC_KEY,
            scores.composite,
            selected,
        )],
    }];
    for domain in Domain::ALL {
        let mut metrics = vec![metric(
            format!("{}:{}", domain.as_str(), domain.as_str()),
            format!("{} score", domain_label(domain)),
            domain.as_str(),
            scores.domain_score(domain),
            selected,
        )];
        for (_, key, _) in METRIC_KEYS.iter().filter(|(d, _, _)| *d == domain) {
            metrics.push(metric(
                format!("{}:{key}", domain.as_str()),
                metric_name(domain, key),
                key,
                scores.value_of(domain, key),
                selected,
            ));
        }
        groups.push(MetricGroup { label: domain_label(domain), metrics });
    }
    groups
}

/// What the person typed, kept for a refusal.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub metric: String,
    pub label: String,
    pub target: String,
    pub deadline: String,
}

/// The form's fields (`csrf_token` aside); an unknown field is refused by name.
pub fn typed(form: &[(String, String)]) -> Result<Typed, AppError> {
    let mut t = Typed::default();
    for (key, value) in form {
        let slot = match key.as_str() {
            super::session::CSRF_FIELD => continue,
            "metric" => &mut t.metric,
            "label" => &mut t.label,
            "target" => &mut t.target,
            "deadline" => &mut t.deadline,
            other => {
                return Err(AppError::invalid_body(
                    other,
                    "is not a field of this form; expected metric, label, target, deadline",
                ))
            }
        };
        *slot = value.trim().to_string();
    }
    Ok(t)
}

/// The goal command's fields from what was typed, or the refusals by form field.
pub fn command(t: &Typed) -> Result<Map<String, Value>, BTreeMap<&'static str, String>> {
    let mut errors = BTreeMap::new();
    let choice = parse_choice(&t.metric);
    if choice.is_none() {
        errors.insert("metric", "Pick a metric from the list.".to_string());
    }
    let target = match (choice, t.target.as_str()) {
        (_, "") => {
            errors.insert("target", "Give a target.".to_string());
            None
        }
        (Some((_, key)), text) => match target_value(Unit::of(key), text) {
            Ok(v) => Some(v),
            Err(reason) => {
                errors.insert("target", reason);
                None
            }
        },
        (None, _) => None,
    };
    if t.label.is_empty() {
        errors.insert("label", "Give the goal a name, like “Answer faster”.".to_string());
    }
    if t.deadline.is_empty() {
        errors.insert("deadline", "Pick a deadline.".to_string());
    }
    let (Some((domain, key)), Some(target), true) = (choice, target, errors.is_empty()) else {
        return Err(errors);
    };
    let mut map = Map::new();
    map.insert("domain".into(), Value::String(domain.as_str().into()));
    map.insert("metric_key".into(), Value::String(key.into()));
    map.insert("label".into(), Value::String(t.label.clone()));
    map.insert("target_value".into(), Value::String(target.to_string()));
    map.insert("comparison".into(), Value::String(if lower_is_better(key) { "lte" } else { "gte" }.into()));
    map.insert("deadline".into(), Value::String(t.deadline.clone()));
    Ok(map)
}

/// The stored target of a typed one: a percentage becomes a rate (90 → 0.9).
pub fn target_value(unit: Unit, text: &str) -> Result<Decimal, String> {
    let typed = Decimal::from_str(text.trim_end_matches('%').trim())
        .map_err(|_| format!("“{}” is not a number; type one like 90.", crate::app::fields::shorten(text)))?;
    if typed.is_sign_negative() {
        return Err("The target cannot be negative.".into());
    }
    let whole = typed.fract().is_zero();
    match unit {
        Unit::Percent if !whole || typed > Decimal::ONE_HUNDRED => {
            Err("Give a whole percentage from 0 to 100, like 90.".into())
        }
        Unit::Percent => Ok((typed / Decimal::ONE_HUNDRED).normalize()),
        Unit::Points if typed > Decimal::ONE_HUNDRED => Err("A score goes from 0 to 100.".into()),
        Unit::Rating if typed < Decimal::ONE || typed > Decimal::from(5) => Err("A rating goes from 1 to 5.".into()),
        Unit::Count | Unit::Characters if !whole => Err("Give a whole number.".into()),
        _ if typed.round_dp(2) != typed => Err("Give at most 2 decimals.".into()),
        _ if typed >= Decimal::from(10_000_000_000_i64) => Err("That target is too large.".into()),
        _ => Ok(typed.normalize()),
    }
}

/// The form field a command's refusal is about, and the reason in words.
pub fn refusal(error: &AppError) -> (&'static str, String) {
    let field = match error.field.as_deref() {
        Some("label") => "label",
        Some("deadline") => "deadline",
        Some("target_value") => "target",
        _ => "metric",
    };
    let reason = match field {
        // The command's own words for these name internal keys.
        "metric" => "This metric cannot take a goal; pick another from the list.".to_string(),
        "target" => "This target cannot be stored; give a smaller number with at most 2 decimals.".to_string(),
        _ => {
            let mut text = error.reason.clone();
            if let Some(first) = text.get(..1) {
                text.replace_range(..1, &first.to_uppercase());
            }
            let noun = if field == "label" { "The name" } else { "The deadline" };
            format!("{noun}: {text}.")
        }
    };
    (field, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(metric: &str, target: &str) -> Typed {
        Typed { metric: metric.into(), label: "Faster".into(), target: target.into(), deadline: "2099-01-01".into() }
    }

    #[test]
    fn a_percentage_is_stored_as_a_rate_and_the_direction_comes_with_the_metric() {
        let map = command(&t("support:sla_compliance_rate", "90")).unwrap();
        assert_eq!(map["target_value"], "0.9");
        assert_eq!(
            (map["domain"].as_str(), map["metric_key"].as_str()),
            (Some("support"), Some("sla_compliance_rate"))
        );
        assert_eq!(map["comparison"], "gte");
        let faster = command(&t("communication:avg_first_response_minutes", "30.5")).unwrap();
        assert_eq!((faster["target_value"].as_str(), faster["comparison"].as_str()), (Some("30.5"), Some("lte")));
        let composite = command(&t("composite", "75")).unwrap();
        assert_eq!(composite["metric_key"], "composite");
    }

    #[test]
    fn refusals_are_in_words_by_form_field() {
        let errors = command(&t("support:sla_compliance_rate", "92.5")).unwrap_err();
        assert_eq!(errors["target"], "Give a whole percentage from 0 to 100, like 90.");
        let errors = command(&t("support:vibes", "abc")).unwrap_err();
        assert_eq!(errors["metric"], "Pick a metric from the list.");
        assert!(!errors.contains_key("target"), "no target error without a metric: {errors:?}");
        let errors = command(&t("support:csat_avg_rating", "7")).unwrap_err();
        assert_eq!(errors["target"], "A rating goes from 1 to 5.");
        let errors = command(&Typed::default()).unwrap_err();
        assert_eq!(errors.keys().copied().collect::<Vec<_>>(), ["deadline", "label", "metric", "target"]);
        for message in errors.values() {
            assert!(!message.contains('_'), "an internal name in {message}");
        }
        let (field, reason) =
            refusal(&AppError::rejected("deadline", "2020-01-01 is in the past; expected 2026-12-06 or later"));
        assert_eq!(
            (field, reason.as_str()),
            ("deadline", "The deadline: 2020-01-01 is in the past; expected 2026-12-06 or later.")
        );
        let (field, reason) = refusal(&AppError::rejected("metric_key", "'x' is not a metric of support"));
        assert_eq!(field, "metric");
        assert!(!reason.contains("metric_key"), "{reason}");
    }

    #[test]
    fn the_catalog_offers_every_metric_with_unit_direction_and_current_value() {
        let scores = PeriodScores { composite: Some(64.5), ..PeriodScores::default() };
        let groups = catalog(&scores, "support:escalation_rate");
        assert_eq!(groups.len(), 1 + Domain::ALL.len());
        assert_eq!(groups[0].metrics[0].current, "64.5 points");
        assert_eq!(Unit::Points.show(61.52), "61.5 points", "scores show one decimal, as on the cards");
        let options: usize = groups.iter().map(|g| g.metrics.len()).sum();
        assert_eq!(options, 1 + Domain::ALL.len() + METRIC_KEYS.len());
        let escalation = groups[1].metrics.iter().find(|m| m.value == "support:escalation_rate").unwrap();
        assert!(escalation.selected);
        assert_eq!((escalation.unit, escalation.direction), ("% (0–100)", "lower is better"));
        assert_eq!(Unit::Percent.show(0.855), "85.5 %");
        assert_eq!(Unit::Percent.typed(0.9), "90");
    }
}
