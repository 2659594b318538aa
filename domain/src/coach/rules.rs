//! The rules coach (D12, `llm_provider = rules`): deterministic and offline.
//! It writes the same structure as a model would, from the scorecard alone:
//! strengths are the metrics that earned the largest share of their points,
//! improvements the ones that lost the most points, each with its rule and
//! the points a realistic step would add under the formula
//! (`scoring::explain`, never a target the person already meets),
//! recommendations ranked by the points at stake, and callouts that cite
//! samples by reference without reading their text. It addresses the person
//! as "you" and states only numbers it was given or the formula gives.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::context::{MetricLine, ReviewContext, Sample};
use super::validate::{MAX_CATEGORY_CHARS, MAX_ITEM_CHARS, MAX_LIST_ITEMS, MAX_SUMMARY_CHARS};
use crate::format;
use crate::reviews::{Callout, CalloutKind, Priority, Recommendation, ReviewContent};
use crate::scoring::{explain, Domain};

/// The model name recorded on reviews the rules coach writes.
pub const RULES_MODEL: &str = "rules-v1";

/// How many strengths, improvements and recommendations it writes at most.
const TOP: usize = 3;
/// A metric counts as a strength from this share of its maximum points.
const STRENGTH_SHARE: Decimal = Decimal::from_parts(6, 0, 0, false, 1);

/// The review of `ctx`, from the metrics alone. Always passes `parse_reply`
/// with `ctx`'s references and samples.
pub fn rules_review(ctx: &ReviewContext) -> ReviewContent {
    let scored = scored_metrics(ctx);
    ReviewContent {
        summary: summary(ctx),
        strengths: strengths(&scored),
        improvements: improvements(&scored),
        recommendations: recommendations(&scored),
        callouts: callouts(ctx),
    }
}

/// A metric with points out of a positive maximum.
struct Scored<'a> {
    domain: Domain,
    metric: &'a MetricLine,
    points: Decimal,
    max: Decimal,
}

impl Scored<'_> {
    fn share(&self) -> Decimal {
        self.points / self.max
    }

    fn lost(&self) -> Decimal {
        (self.max - self.points).max(Decimal::ZERO)
    }

    /// "First response time (communication)".
    fn name(&self) -> String {
        format!("{} ({})", explain::metric_label(self.domain, &self.metric.key), domain_label(self.domain))
    }

    fn points_text(&self) -> String {
        format!("you earned {} of {} points", format::points(self.points), format::points(self.max))
    }

    /// "42.2 min against a team average of 53.8 min", in the metric's unit.
    fn value_text(&self) -> String {
        let value = |v| explain::value_text(self.domain, &self.metric.key, Some(v));
        match (self.metric.raw_value, self.metric.team_baseline) {
            (Some(v), Some(b)) => format!("{} against a team average of {}", value(v), value(b)),
            (Some(v), None) => value(v),
            (None, _) => "no value recorded".to_string(),
        }
    }

    /// The rule in words and what a realistic step would add, from the formula.
    fn advice_text(&self) -> String {
        let key = &self.metric.key;
        let rule = explain::metric_rule(self.domain, key, self.metric.team_baseline).map(|r| r.rule);
        let advice = explain::advice(self.domain, key, self.metric.raw_value, self.metric.team_baseline);
        [rule, advice].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }

    /// The points a realistic step would add, when one can.
    fn step_gain(&self) -> Option<Decimal> {
        explain::step(self.domain, &self.metric.key, self.metric.raw_value, self.metric.team_baseline).map(|s| s.gain)
    }
}

fn scored_metrics(ctx: &ReviewContext) -> Vec<Scored<'_>> {
    let mut out = Vec::new();
    for domain in &ctx.domains {
        for metric in &domain.metrics {
            if let (Some(points), Some(max)) = (metric.points, metric.max_points) {
                if max > Decimal::ZERO {
                    out.push(Scored { domain: domain.domain, metric, points: points.clamp(Decimal::ZERO, max), max });
                }
            }
        }
    }
    out
}

fn summary(ctx: &ReviewContext) -> String {
    let last_day = ctx.period_end.pred_opt().unwrap_or(ctx.period_end);
    let mut text = format!("For {} to {}, ", ctx.period_start, last_day);
    match ctx.composite {
        Some(composite) => {
            let side = if composite < Decimal::from(ctx.flagged_threshold) { "below" } else { "at or above" };
            text.push_str(&format!(
                "your composite score was {} of 100, {side} the review threshold of {}.",
                format::score(composite),
                ctx.flagged_threshold
            ));
        }
        None => text.push_str("you had no scored activity, so there is no composite score."),
    }
    let mut domains: Vec<(Domain, Decimal)> = ctx.domains.iter().filter_map(|d| Some((d.domain, d.score?))).collect();
    domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    match (domains.first(), domains.last()) {
        (Some(best), Some(worst)) if domains.len() > 1 => text.push_str(&format!(
            " Your strongest scored domain was {} ({}) and your weakest was {} ({}).",
            domain_label(best.0),
            format::score(best.1),
            domain_label(worst.0),
            format::score(worst.1)
        )),
        (Some(only), _) => text.push_str(&format!(
            " Your only scored domain was {} ({}).",
            domain_label(only.0),
            format::score(only.1)
        )),
        _ => {}
    }
    text.push_str(" This review was written by the rules coach from the scorecard alone.");
    clip(&text, MAX_SUMMARY_CHARS)
}

fn strengths(scored: &[Scored]) -> Vec<String> {
    let mut best: Vec<&Scored> = scored.iter().collect();
    best.sort_by(|a, b| b.share().cmp(&a.share()).then_with(|| order(a, b)));
    let mut out: Vec<String> = best
        .iter()
        .filter(|s| s.share() >= STRENGTH_SHARE)
        .take(TOP)
        .map(|s| clip(&format!("{}: {} ({}).", s.name(), s.points_text(), s.value_text()), MAX_ITEM_CHARS))
        .collect();
    if out.is_empty() {
        out.push(match best.first() {
            Some(s) => clip(
                &format!(
                    "No metric earned {} of its points; your relatively best was {}: {} ({}).",
                    format::value(format::Unit::Share, STRENGTH_SHARE),
                    s.name(),
                    s.points_text(),
                    s.value_text()
                ),
                MAX_ITEM_CHARS,
            ),
            None => "No metric had enough data to be scored this period, so no strength can be shown yet.".to_string(),
        });
    }
    out
}

/// Metrics that lost points, most points lost first.
fn gaps<'s, 'a>(scored: &'s [Scored<'a>]) -> Vec<&'s Scored<'a>> {
    let mut worst: Vec<&Scored> = scored.iter().filter(|s| s.lost() > Decimal::ZERO).collect();
    worst.sort_by(|a, b| b.lost().cmp(&a.lost()).then_with(|| a.share().cmp(&b.share())).then_with(|| order(a, b)));
    worst.truncate(TOP);
    worst
}

fn improvements(scored: &[Scored]) -> Vec<String> {
    let out: Vec<String> = gaps(scored)
        .iter()
        .map(|s| {
            clip(
                &format!("{}: {} ({}). {}", s.name(), s.points_text(), s.value_text(), s.advice_text()),
                MAX_ITEM_CHARS,
            )
        })
        .collect();
    if !out.is_empty() {
        return out;
    }
    vec![if scored.is_empty() {
        "Record your resolved and completed work so that your metrics can be scored next period.".to_string()
    } else {
        "Every scored metric earned you its full points; the aim is to keep them there.".to_string()
    }]
}

fn recommendations(scored: &[Scored]) -> Vec<Recommendation> {
    let out: Vec<Recommendation> = gaps(scored)
        .iter()
        .map(|s| {
            let share_lost = s.lost() / s.max;
            let priority = if share_lost >= Decimal::new(5, 1) {
                Priority::High
            } else if share_lost >= Decimal::new(25, 2) {
                Priority::Medium
            } else {
                Priority::Low
            };
            Recommendation {
                priority,
                category: clip(&s.metric.key, MAX_CATEGORY_CHARS),
                action: clip(&format!("{} {}", tip(&s.metric.key), s.advice_text()), MAX_ITEM_CHARS),
                impact: clip(&impact_text(s), MAX_ITEM_CHARS),
            }
        })
        .collect();
    if !out.is_empty() {
        return out;
    }
    vec![Recommendation {
        priority: Priority::Low,
        category: "consistency".to_string(),
        action: "Keep your current way of working and look at your scorecard again next week.".to_string(),
        impact: "Holds the scores that are already at their maximum.".to_string(),
    }]
}

/// What closing the gap is worth: the step's points when there is one.
fn impact_text(s: &Scored) -> String {
    let lost = format::points(s.lost());
    let domain = domain_label(s.domain);
    match s.step_gain() {
        Some(gain) => format!(
            "{} more points from that step, up to {lost} in all, in {}; that raises your {domain} score and your \
             composite.",
            format::gain(gain),
            s.name()
        ),
        None => {
            format!("Up to {lost} more points in {}, which raises your {domain} score and your composite.", s.name())
        }
    }
}

/// One callout per sample sent (up to the list limit), by reference only:
/// positive when the sample's domain scored at or above the threshold.
fn callouts(ctx: &ReviewContext) -> Vec<Callout> {
    ctx.samples.iter().take(MAX_LIST_ITEMS).map(|sample| callout(ctx, sample)).collect()
}

fn callout(ctx: &ReviewContext, sample: &Sample) -> Callout {
    let domain = sample.kind.domain();
    let domain_score = ctx.domains.iter().find(|d| d.domain == domain).and_then(|d| d.score);
    let threshold = Decimal::from(ctx.flagged_threshold);
    let what = sample.kind.label().to_lowercase();
    let (kind, observation) = match domain_score {
        Some(s) if s >= threshold => (
            CalloutKind::Positive,
            format!(
                "A {what} of this period, from your {} domain that scored {} (at or above {}): worth going through \
                 together as an example to repeat.",
                domain_label(domain),
                format::score(s),
                ctx.flagged_threshold
            ),
        ),
        Some(s) => (
            CalloutKind::Concern,
            format!(
                "A {what} of this period, from your {} domain that scored {} (below {}): worth going through together \
                 to find what would have helped.",
                domain_label(domain),
                format::score(s),
                ctx.flagged_threshold
            ),
        ),
        None => (
            CalloutKind::Concern,
            format!(
                "A {what} of this period, although your {} domain has no score: worth checking together that such \
                 work is recorded in full.",
                domain_label(domain)
            ),
        ),
    };
    Callout { kind, reference: sample.reference.clone(), observation: clip(&observation, MAX_ITEM_CHARS) }
}

/// A short, general tip per metric (advice, not a claim about the period).
fn tip(key: &str) -> &'static str {
    match key {
        "sla_compliance_rate" => "Work the queue by SLA due time and flag tickets at risk early.",
        "avg_resolution_minutes" => "Resolve routine cases in one pass using the knowledge base and saved replies.",
        "escalation_rate" => "Check the troubleshooting steps before escalating, and ask a lead when unsure.",
        "csat_avg_rating" => "Confirm the customer's problem is solved and set expectations before closing.",
        "completion_rate" => "Plan the week's assigned work and close finished items the same day.",
        "on_time_rate" => "Check due dates daily and raise a risk to the due date as soon as it appears.",
        "effort_accuracy" | "duration_accuracy" => "Compare estimates with actual time after each job to calibrate.",
        "blocked_rate" => "Raise blockers early with the owner who can remove them.",
        "avg_delay_minutes" => "Leave buffer between visits and call ahead when running late.",
        "documentation_rate" => "Add completion notes to every work order before leaving the site.",
        "avg_first_response_minutes" => "Acknowledge new conversations first, then work through them.",
        "conversations_resolved" => "Take conversations through to resolution rather than leaving them open.",
        "channel_coverage" => "Cover every channel the team serves, not only the usual one.",
        "win_rate" => "Qualify leads early and follow up on open opportunities on a schedule.",
        "pipeline_value" => "Keep the pipeline filled with qualified opportunities.",
        "quote_acceptance_rate" => "Follow up each sent quote and address objections promptly.",
        "lead_contacts" => "Contact new leads promptly and log each contact.",
        "contact_completeness" | "organization_completeness" => "Fill in the key fields whenever a record is touched.",
        "tagging_rate" => "Tag every resolved item with its category.",
        "note_thoroughness" => "Write notes that say what was done and what comes next.",
        _ => "Review this metric's drill-down with a lead to find the cause.",
    }
}

/// Ties broken by the context's own order (domain, then key), so output is stable.
fn order(a: &Scored, b: &Scored) -> Ordering {
    a.domain.cmp(&b.domain).then_with(|| a.metric.key.cmp(&b.metric.key))
}

fn domain_label(domain: Domain) -> String {
    domain.as_str().replace('_', " ")
}

/// At most `max` characters, ending with "…" when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", head.trim_end())
}
