//! The review aggregate (D14) with cqrs-es's `TestFramework`: one test per
//! rule and rejection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::{
    review_aggregate_id, Review, ReviewCommand, ReviewCommandEnvelope, MAX_FAILURE_REASON_CHARS,
};
use perfledger_domain::reviews::{
    Callout, CalloutKind, Priority, Recommendation, ReviewAcknowledged, ReviewContent, ReviewFailed, ReviewGenerated,
    ReviewRequested, ReviewTrigger,
};
use perfledger_domain::{EventBody, LogEvent, Rejection};
use rust_decimal_macros::dec;
use uuid::Uuid;

const ALICE: Uuid = Uuid::from_u128(0xa11ce);
const BOB: Uuid = Uuid::from_u128(0xb0b);
const MANAGER: Uuid = Uuid::from_u128(0xb055);
const FIRST: Uuid = Uuid::from_u128(0x1);
const SECOND: Uuid = Uuid::from_u128(0x2);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("a timestamp").with_timezone(&Utc)
}

fn start() -> DateTime<Utc> {
    at("2026-11-16T00:00:00Z")
}

fn end() -> DateTime<Utc> {
    at("2026-11-23T00:00:00Z")
}

const NOW: &str = "2026-11-24T09:00:00Z";

fn review() -> TestFramework<Review> {
    TestFramework::with(())
}

fn envelope(command: ReviewCommand) -> ReviewCommandEnvelope {
    ReviewCommandEnvelope { occurred_at: at(NOW), command }
}

fn request_command(review_id: Uuid, force: bool) -> ReviewCommandEnvelope {
    envelope(ReviewCommand::Request {
        review_id,
        person_id: ALICE,
        period_start: start(),
        period_end: end(),
        trigger: ReviewTrigger::Manual,
        requested_by: Some(MANAGER),
        force,
    })
}

fn requested(review_id: Uuid, force: bool, supersedes: Option<Uuid>) -> LogEvent {
    LogEvent {
        event_id: format!("review.requested:{review_id}"),
        occurred_at: at(NOW),
        body: EventBody::ReviewRequested(ReviewRequested {
            review_id,
            person_id: ALICE,
            period_start: start(),
            period_end: end(),
            trigger: ReviewTrigger::Manual,
            requested_by: Some(MANAGER),
            force,
            supersedes,
        }),
    }
}

fn content() -> ReviewContent {
    ReviewContent {
        summary: "Composite 62.40, below the threshold of 70.".into(),
        strengths: vec!["Support SLA compliance: 36 of 40 points.".into()],
        improvements: vec!["Communication first response: 5 of 30 points.".into()],
        recommendations: vec![Recommendation {
            priority: Priority::High,
            category: "avg_first_response_minutes".into(),
            action: "Acknowledge new conversations first.".into(),
            impact: "Up to 25 more points.".into(),
        }],
        callouts: vec![Callout {
            kind: CalloutKind::Concern,
            reference: "Ticket #T-1".into(),
            observation: "Worth going through together.".into(),
        }],
    }
}

fn generation(review_id: Uuid) -> ReviewGenerated {
    ReviewGenerated {
        review_id,
        person_id: ALICE,
        content: content(),
        composite_score: Some(dec!(62.40)),
        domain_scores: BTreeMap::from([("support".to_string(), Some(dec!(81))), ("sales".to_string(), None)]),
        provider: "openai".into(),
        model: "qwen2.5-7b".into(),
        prompt_version: "coach-v1".into(),
        tokens_in: 1_500,
        tokens_out: 800,
        latency_ms: 2_300,
        attempts: 1,
    }
}

fn generated(review_id: Uuid) -> LogEvent {
    LogEvent {
        event_id: format!("review.generated:{review_id}"),
        occurred_at: at(NOW),
        body: EventBody::ReviewGenerated(generation(review_id)),
    }
}

fn failure(review_id: Uuid, reason: &str) -> ReviewFailed {
    ReviewFailed {
        review_id,
        person_id: ALICE,
        reason: reason.into(),
        attempts: 3,
        provider: "openai".into(),
        model: "qwen2.5-7b".into(),
        tokens_in: 0,
        tokens_out: 0,
    }
}

fn failed(review_id: Uuid) -> LogEvent {
    LogEvent {
        event_id: format!("review.failed:{review_id}"),
        occurred_at: at(NOW),
        body: EventBody::ReviewFailed(failure(review_id, "the provider timed out 3 times")),
    }
}

fn acknowledge(review_id: Uuid, by: Uuid) -> ReviewCommandEnvelope {
    envelope(ReviewCommand::Acknowledge { review_id, by_person_id: by })
}

fn acknowledged(review_id: Uuid) -> LogEvent {
    LogEvent {
        event_id: format!("review.acknowledged:{review_id}"),
        occurred_at: at(NOW),
        body: EventBody::ReviewAcknowledged(ReviewAcknowledged {
            review_id,
            person_id: ALICE,
            acknowledged_at: at(NOW),
        }),
    }
}

fn rejected(field: &str, reason: &str) -> Rejection {
    Rejection::new(field, reason)
}

// ------------------------------------------------------------------ id

#[test]
fn the_aggregate_id_is_the_person_and_the_period() {
    assert_eq!(
        review_aggregate_id(ALICE, start(), end()),
        format!("{ALICE}:2026-11-16T00:00:00Z:2026-11-23T00:00:00Z")
    );
    assert_ne!(review_aggregate_id(ALICE, start(), end()), review_aggregate_id(BOB, start(), end()));
}

// ------------------------------------------------------------- request

#[test]
fn a_first_request_is_recorded_with_an_event_id_from_the_review_id() {
    review()
        .given_no_previous_events()
        .when(request_command(FIRST, false))
        .then_expect_events(vec![requested(FIRST, false, None)]);
}

#[test]
fn a_request_with_the_period_end_not_after_its_start_is_refused() {
    let command = envelope(ReviewCommand::Request {
        review_id: FIRST,
        person_id: ALICE,
        period_start: end(),
        period_end: end(),
        trigger: ReviewTrigger::Flagged,
        requested_by: None,
        force: false,
    });
    review().given_no_previous_events().when(command).then_expect_error(rejected(
        "period_end",
        "2026-11-23T00:00:00+00:00 must be after period_start 2026-11-23T00:00:00+00:00",
    ));
}

#[test]
fn a_request_while_a_review_is_pending_is_refused_without_force() {
    review().given(vec![requested(FIRST, false, None)]).when(request_command(SECOND, false)).then_expect_error(
        rejected(
            "period",
            &format!(
                "a review of this person for this period is already pending (review '{FIRST}'); only an admin can \
                 force a new one"
            ),
        ),
    );
}

#[test]
fn a_request_after_a_generated_review_is_refused_without_force() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(request_command(SECOND, false))
        .then_expect_error(rejected(
            "period",
            &format!(
                "a review of this person for this period is already generated (review '{FIRST}'); only an admin can \
                 force a new one"
            ),
        ));
}

#[test]
fn a_forced_request_supersedes_the_current_review() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(request_command(SECOND, true))
        .then_expect_events(vec![requested(SECOND, true, Some(FIRST))]);
}

#[test]
fn a_request_after_a_failure_is_a_retry_that_supersedes_the_failed_review() {
    review()
        .given(vec![requested(FIRST, false, None), failed(FIRST)])
        .when(request_command(SECOND, false))
        .then_expect_events(vec![requested(SECOND, false, Some(FIRST))]);
}

#[test]
fn a_review_id_is_never_reused() {
    review()
        .given(vec![requested(FIRST, false, None), failed(FIRST)])
        .when(request_command(FIRST, true))
        .then_expect_error(rejected("review_id", &format!("review '{FIRST}' was already requested")));
}

#[test]
fn a_request_for_another_person_is_refused() {
    let command = envelope(ReviewCommand::Request {
        review_id: SECOND,
        person_id: BOB,
        period_start: start(),
        period_end: end(),
        trigger: ReviewTrigger::Manual,
        requested_by: Some(MANAGER),
        force: true,
    });
    review().given(vec![requested(FIRST, false, None)]).when(command).then_expect_error(rejected(
        "person_id",
        &format!("this review aggregate belongs to person '{ALICE}', not '{BOB}'"),
    ));
}

#[test]
fn a_request_for_another_period_is_refused() {
    let command = envelope(ReviewCommand::Request {
        review_id: SECOND,
        person_id: ALICE,
        period_start: start(),
        period_end: at("2026-11-30T00:00:00Z"),
        trigger: ReviewTrigger::Manual,
        requested_by: Some(MANAGER),
        force: true,
    });
    review().given(vec![requested(FIRST, false, None)]).when(command).then_expect_error(rejected(
        "period_start",
        "this review aggregate is for the period 2026-11-16T00:00:00+00:00 to 2026-11-23T00:00:00+00:00",
    ));
}

// ----------------------------------------------------------- generated

#[test]
fn the_pending_review_is_recorded_as_generated() {
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation(FIRST))))
        .then_expect_events(vec![generated(FIRST)]);
}

#[test]
fn generated_is_refused_for_a_review_never_requested() {
    review()
        .given_no_previous_events()
        .when(envelope(ReviewCommand::RecordGenerated(generation(FIRST))))
        .then_expect_error(rejected("review_id", &format!("review '{FIRST}' does not exist")));
}

#[test]
fn generated_is_refused_for_a_superseded_review() {
    review()
        .given(vec![requested(FIRST, false, None), requested(SECOND, true, Some(FIRST))])
        .when(envelope(ReviewCommand::RecordGenerated(generation(FIRST))))
        .then_expect_error(rejected("review_id", &format!("review '{FIRST}' was superseded by review '{SECOND}'")));
}

#[test]
fn generated_is_refused_twice() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(envelope(ReviewCommand::RecordGenerated(generation(FIRST))))
        .then_expect_error(rejected(
            "review_id",
            &format!("review '{FIRST}' is already generated; only a pending review can be recorded as generated"),
        ));
}

#[test]
fn generated_is_refused_for_another_person() {
    let generation = ReviewGenerated { person_id: BOB, ..generation(FIRST) };
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation)))
        .then_expect_error(rejected("person_id", &format!("review '{FIRST}' is of person '{ALICE}', not '{BOB}'")));
}

#[test]
fn generated_with_negative_token_counts_is_refused() {
    let generation = ReviewGenerated { tokens_out: -1, ..generation(FIRST) };
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation)))
        .then_expect_error(rejected("tokens_out", "must be between 0 and 2147483647 (got -1)"));
}

#[test]
fn generated_without_attempts_is_refused() {
    let generation = ReviewGenerated { attempts: 0, ..generation(FIRST) };
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation)))
        .then_expect_error(rejected("attempts", "must be at least 1 (got 0)"));
}

#[test]
fn generated_without_a_model_is_refused() {
    let generation = ReviewGenerated { model: " ".into(), ..generation(FIRST) };
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation)))
        .then_expect_error(rejected("model", "must name the model in 1 to 100 characters"));
}

#[test]
fn generated_without_a_prompt_version_is_refused() {
    let generation = ReviewGenerated { prompt_version: String::new(), ..generation(FIRST) };
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordGenerated(generation)))
        .then_expect_error(rejected("prompt_version", "must name the prompt template version"));
}

// -------------------------------------------------------------- failed

#[test]
fn the_pending_review_is_recorded_as_failed() {
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordFailed(failure(FIRST, "the provider timed out 3 times"))))
        .then_expect_events(vec![failed(FIRST)]);
}

#[test]
fn a_failure_reason_is_redacted_and_truncated_before_it_is_logged() {
    let reason = format!("provider echoed jane.doe@example.com {}", "x".repeat(2 * MAX_FAILURE_REASON_CHARS));
    let mut aggregate = Review::default();
    aggregate.evolve(&requested(FIRST, false, None));
    let event = aggregate
        .decide(&envelope(ReviewCommand::RecordFailed(failure(FIRST, &reason))))
        .expect("accepted")
        .expect("an event");
    let EventBody::ReviewFailed(logged) = event.body else { panic!("a review.failed event") };
    assert!(logged.reason.starts_with("provider echoed [email] xxx"), "{}", logged.reason);
    assert_eq!(logged.reason.chars().count(), MAX_FAILURE_REASON_CHARS);
}

#[test]
fn a_failure_without_a_reason_is_refused() {
    review()
        .given(vec![requested(FIRST, false, None)])
        .when(envelope(ReviewCommand::RecordFailed(failure(FIRST, "  "))))
        .then_expect_error(rejected("reason", "must say why the review failed"));
}

#[test]
fn failed_is_refused_after_generated() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(envelope(ReviewCommand::RecordFailed(failure(FIRST, "late"))))
        .then_expect_error(rejected(
            "review_id",
            &format!("review '{FIRST}' is already generated; only a pending review can be recorded as failed"),
        ));
}

// -------------------------------------------------------- acknowledged

#[test]
fn the_reviewed_person_acknowledges_a_generated_review_at_the_command_time() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(acknowledge(FIRST, ALICE))
        .then_expect_events(vec![acknowledged(FIRST)]);
}

#[test]
fn a_repeated_acknowledgement_is_accepted_without_an_event() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST), acknowledged(FIRST)])
        .when(acknowledge(FIRST, ALICE))
        .then_expect_events(vec![]);
}

#[test]
fn only_the_reviewed_person_acknowledges() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST)])
        .when(acknowledge(FIRST, MANAGER))
        .then_expect_error(rejected(
            "by_person_id",
            &format!("only the reviewed person can acknowledge review '{FIRST}'"),
        ));
}

#[test]
fn another_person_is_refused_even_after_the_acknowledgement() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST), acknowledged(FIRST)])
        .when(acknowledge(FIRST, BOB))
        .then_expect_error(rejected(
            "by_person_id",
            &format!("only the reviewed person can acknowledge review '{FIRST}'"),
        ));
}

#[test]
fn a_pending_review_cannot_be_acknowledged() {
    review().given(vec![requested(FIRST, false, None)]).when(acknowledge(FIRST, ALICE)).then_expect_error(rejected(
        "review_id",
        &format!("review '{FIRST}' is pending; only a generated review can be acknowledged"),
    ));
}

#[test]
fn a_failed_review_cannot_be_acknowledged() {
    review()
        .given(vec![requested(FIRST, false, None), failed(FIRST)])
        .when(acknowledge(FIRST, ALICE))
        .then_expect_error(rejected(
            "review_id",
            &format!("review '{FIRST}' is failed; only a generated review can be acknowledged"),
        ));
}

#[test]
fn a_superseded_review_cannot_be_acknowledged() {
    review()
        .given(vec![requested(FIRST, false, None), generated(FIRST), requested(SECOND, true, Some(FIRST))])
        .when(acknowledge(FIRST, ALICE))
        .then_expect_error(rejected("review_id", &format!("review '{FIRST}' was superseded by review '{SECOND}'")));
}

#[test]
fn an_unknown_review_cannot_be_acknowledged() {
    review()
        .given_no_previous_events()
        .when(acknowledge(FIRST, ALICE))
        .then_expect_error(rejected("review_id", &format!("review '{FIRST}' does not exist")));
}

#[test]
fn a_forced_regeneration_needs_its_own_acknowledgement() {
    review()
        .given(vec![
            requested(FIRST, false, None),
            generated(FIRST),
            acknowledged(FIRST),
            requested(SECOND, true, Some(FIRST)),
            generated(SECOND),
        ])
        .when(acknowledge(SECOND, ALICE))
        .then_expect_events(vec![acknowledged(SECOND)]);
}
