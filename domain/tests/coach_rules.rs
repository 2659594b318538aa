//! The rules coach (`rules-v1`, D12): deterministic, from the metrics alone,
//! and its output always passes the strict reply validator.

mod coach_fixture;

use chrono::NaiveDate;
use perfledger_domain::coach::{
    parse_reply, prepare_sample, rules_review, DomainBreakdown, MetricLine, ReviewContext, SampleKind, RULES_MODEL,
};
use perfledger_domain::reviews::{CalloutKind, Priority, ReviewContent};
use perfledger_domain::scoring::formulas::METRIC_KEYS;
use perfledger_domain::scoring::Domain;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The review serialised as a model would send it, through the validator.
fn validated(ctx: &ReviewContext, content: &ReviewContent) -> ReviewContent {
    let raw = serde_json::to_string(content).expect("serialisable");
    parse_reply(&raw, &ctx.references(), &ctx.samples).unwrap_or_else(|e| panic!("{e}\n{raw}"))
}

#[test]
fn the_model_label_is_rules_v1() {
    assert_eq!(RULES_MODEL, "rules-v1");
}

#[test]
fn the_review_of_the_fixed_context_snapshot() {
    insta::assert_json_snapshot!("rules_review", rules_review(&coach_fixture::context()));
}

#[test]
fn the_review_is_deterministic_and_valid() {
    let ctx = coach_fixture::context();
    let content = rules_review(&ctx);
    assert_eq!(content, rules_review(&ctx));
    assert_eq!(validated(&ctx, &content), content);
}

#[test]
fn the_summary_states_the_composite_against_the_threshold() {
    let content = rules_review(&coach_fixture::context());
    assert!(content.summary.starts_with(
        "For 2026-11-16 to 2026-11-22, your composite score was 57.3 of 100, below the review threshold of 70."
    ));
    assert!(content
        .summary
        .contains("Your strongest scored domain was support (81.5) and your weakest was communication (33.2)."));
}

#[test]
fn a_flagged_composite_is_never_shown_at_the_threshold() {
    // Issue 15: 69.95 must not read as 70.0 next to "below the review threshold".
    let ctx = ReviewContext { composite: Some(dec!(69.95)), ..coach_fixture::context() };
    let summary = rules_review(&ctx).summary;
    assert!(summary.contains("your composite score was 69.9 of 100, below the review threshold of 70."), "{summary}");
}

#[test]
fn strengths_are_the_metrics_with_the_largest_share_of_their_points() {
    let content = rules_review(&coach_fixture::context());
    assert_eq!(
        content.strengths,
        vec![
            "SLA compliance (support): you earned 40 of 40 points (100 %).",
            "Escalations (support): you earned 19 of 20 points (5 %).",
            "Ticket resolution time (support): you earned 22.5 of 30 points (30 min against a team average of 2 h).",
        ]
    );
}

#[test]
fn improvements_say_what_earns_the_points_and_what_a_step_adds() {
    let content = rules_review(&coach_fixture::context());
    assert_eq!(content.improvements.len(), 3);
    assert_eq!(
        content.improvements[0],
        "First response time (communication): you earned 6.48 of 30 points (42.2 min against a team average of 53.8 \
         min). Lower is better: 30 points at 0 min, none at or above the team average of 53.8 min, in proportion \
         between. 10 min faster (32.2 min on average) would add 5.6 of 30 points."
    );
    assert!(content.improvements[2].starts_with("Channel coverage (communication): you earned 5 of 20 points (25 %)."));
    assert!(content.improvements[2].ends_with("10 percentage points higher (35 %) would add 2 of 20 points."));
}

#[test]
fn faster_than_the_team_is_never_told_to_come_down_to_the_team_figure() {
    // Issue 15: an agent at 42.15 min against a team average of 53.77 min.
    let content = rules_review(&coach_fixture::context());
    let text = serde_json::to_string(&content).unwrap();
    assert!(!text.contains("bring it down"), "{text}");
    assert!(!text.contains("53.77 or lower"), "{text}");
    let first_response: Vec<&String> =
        content.improvements.iter().filter(|i| i.starts_with("First response time")).collect();
    assert_eq!(first_response.len(), 1);
    assert!(first_response[0].contains("10 min faster (32.2 min on average) would add 5.6 of 30 points."));
}

#[test]
fn recommendation_priorities_follow_the_share_of_points_lost() {
    let ctx = |points: Decimal| ReviewContext {
        domains: vec![DomainBreakdown {
            domain: Domain::Support,
            score: Some(dec!(50)),
            metrics: vec![coach_fixture::line("escalation_rate", Some(dec!(0.3)), None, points, dec!(20))],
        }],
        ..coach_fixture::context()
    };
    let priority = |points| rules_review(&ctx(points)).recommendations[0].priority;
    assert_eq!(priority(dec!(10)), Priority::High); // half lost
    assert_eq!(priority(dec!(11)), Priority::Medium);
    assert_eq!(priority(dec!(15)), Priority::Medium); // a quarter lost
    assert_eq!(priority(dec!(16)), Priority::Low);
    let rec = &rules_review(&ctx(dec!(10))).recommendations[0];
    assert_eq!(rec.category, "escalation_rate");
    assert_eq!(
        rec.impact,
        "2 more points from that step, up to 10 in all, in Escalations (support); that raises your support score \
         and your composite."
    );
}

#[test]
fn callouts_cite_every_sample_by_reference_without_quoting_it() {
    let ctx = coach_fixture::context();
    let content = rules_review(&ctx);
    let references: Vec<&str> = content.callouts.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(references, vec!["Ticket #T-1042", "Ticket #T-1043", "Conversation #C-77"]);
    // Tickets are support evidence (81 >= 70); the conversation is communication (40 < 70).
    let kinds: Vec<CalloutKind> = content.callouts.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![CalloutKind::Positive, CalloutKind::Positive, CalloutKind::Concern]);
    let stored = serde_json::to_string(&content).unwrap().to_lowercase();
    for sample_words in ["ignore previous", "100 score", "router", "login", "billing", "whatsapp"] {
        assert!(!stored.contains(sample_words), "{sample_words} reached the review");
    }
}

#[test]
fn without_samples_there_are_no_callouts() {
    let mut ctx = coach_fixture::context();
    ctx.samples.clear();
    let content = rules_review(&ctx);
    assert!(content.callouts.is_empty());
    validated(&ctx, &content);
}

#[test]
fn without_scored_metrics_it_says_so_rather_than_inventing() {
    let ctx = ReviewContext { composite: None, domains: vec![], samples: vec![], ..coach_fixture::context() };
    let content = rules_review(&ctx);
    assert_eq!(
        content.summary,
        "For 2026-11-16 to 2026-11-22, you had no scored activity, so there is no composite score. This review was \
         written by the rules coach from the scorecard alone."
    );
    assert_eq!(
        content.strengths,
        vec!["No metric had enough data to be scored this period, so no strength can be shown yet."]
    );
    assert_eq!(
        content.improvements,
        vec!["Record your resolved and completed work so that your metrics can be scored next period."]
    );
    assert_eq!(content.recommendations[0].priority, Priority::Low);
    validated(&ctx, &content);
}

#[test]
fn with_every_point_earned_it_recommends_keeping_them() {
    let ctx = ReviewContext {
        composite: Some(dec!(100)),
        domains: vec![DomainBreakdown {
            domain: Domain::Sales,
            score: Some(dec!(100)),
            metrics: vec![coach_fixture::line("win_rate", Some(dec!(1)), None, dec!(35), dec!(35))],
        }],
        ..coach_fixture::context()
    };
    let content = rules_review(&ctx);
    assert!(content
        .summary
        .contains("at or above the review threshold of 70. Your only scored domain was sales (100.0)."));
    assert_eq!(
        content.improvements,
        vec!["Every scored metric earned you its full points; the aim is to keep them there."]
    );
    assert_eq!(content.recommendations.len(), 1);
    assert_eq!(content.recommendations[0].category, "consistency");
    validated(&ctx, &content);
}

#[test]
fn without_a_strong_metric_it_names_the_relatively_best() {
    let ctx = ReviewContext {
        domains: vec![DomainBreakdown {
            domain: Domain::Operations,
            score: Some(dec!(20)),
            metrics: vec![
                coach_fixture::line("completion_rate", Some(dec!(0.3)), None, dec!(10), dec!(35)),
                coach_fixture::line("on_time_rate", Some(dec!(0.1)), None, dec!(3), dec!(30)),
            ],
        }],
        ..coach_fixture::context()
    };
    assert_eq!(
        rules_review(&ctx).strengths,
        vec![
            "No metric earned 60 % of its points; your relatively best was Task completion (operations): you earned 10 \
             of 35 points (30 %)."
        ]
    );
}

// ------------------------------------------------------------ property

fn decimal(max_hundredths: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_hundredths).prop_map(|n| Decimal::new(n, 2))
}

fn metric_line(key: &'static str, max: u32) -> impl Strategy<Value = MetricLine> {
    (
        proptest::option::of(decimal(1_000_000)),
        proptest::option::of(decimal(1_000_000)),
        proptest::option::weighted(0.9, decimal(i64::from(max) * 100 + 500)),
        proptest::bool::weighted(0.95),
    )
        .prop_map(move |(raw_value, team_baseline, points, has_max)| MetricLine {
            key: key.to_string(),
            raw_value,
            team_baseline,
            points,
            max_points: has_max.then(|| Decimal::from(max)),
        })
}

fn breakdown(domain: Domain) -> impl Strategy<Value = DomainBreakdown> {
    let metrics: Vec<_> =
        METRIC_KEYS.iter().filter(|(d, _, _)| *d == domain).map(|(_, key, max)| metric_line(key, *max)).collect();
    (proptest::option::of(decimal(10_000)), metrics, proptest::bool::ANY).prop_map(move |(score, metrics, active)| {
        DomainBreakdown { domain, score: score.filter(|_| active), metrics: if active { metrics } else { vec![] } }
    })
}

fn sample() -> impl Strategy<Value = perfledger_domain::coach::Sample> {
    let kind = prop_oneof![Just(SampleKind::Ticket), Just(SampleKind::Conversation), Just(SampleKind::WorkOrder)];
    (kind, "[A-Z]{1,3}-[0-9]{1,5}", "\\PC{0,800}", 20usize..700)
        .prop_map(|(kind, id, text, max)| prepare_sample(kind, &id, &text, max))
}

fn context() -> impl Strategy<Value = ReviewContext> {
    let domains: Vec<_> = Domain::ALL.iter().map(|d| breakdown(*d)).collect();
    (
        prop_oneof![Just("the agent"), Just("the technician"), Just("")],
        0u32..2000,
        proptest::option::of(decimal(10_000)),
        0i64..=100,
        domains,
        proptest::collection::vec(sample(), 0..12),
    )
        .prop_map(|(label, week, composite, flagged_threshold, domains, samples)| {
            let period_start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(7 * u64::from(week));
            ReviewContext {
                person_label: label.to_string(),
                period_start,
                period_end: period_start + chrono::Days::new(7),
                composite,
                flagged_threshold,
                domains,
                samples,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_rules_review_always_passes_the_validator(ctx in context()) {
        let content = rules_review(&ctx);
        prop_assert_eq!(validated(&ctx, &content), content.clone());
        prop_assert_eq!(content.callouts.len(), ctx.samples.len().min(8));
        prop_assert_eq!(rules_review(&ctx), content);
    }
}
