//! Field-service work orders (§1 causal order, §2 Field service).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::WorkOrder;
use perfledger_domain::catalog::{self as c, ActivityData};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::redaction::redact;
use perfledger_domain::LogEvent;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "W-55";

fn work_order() -> TestFramework<WorkOrder> {
    TestFramework::with(())
}

// ------------------------------------------------------------ what the CRM sends

fn created(assignee: Option<Uuid>, scheduled_end: Option<&str>, estimated_minutes: Option<Decimal>) -> ActivityData {
    ActivityData::WorkOrderCreated(c::WorkOrderCreated {
        work_order_id: ID.into(),
        reference: Some("WO-55".into()),
        assignee_person_id: assignee,
        scheduled_end: scheduled_end.map(at),
        estimated_duration_minutes: estimated_minutes,
    })
}

fn assigned(person: Uuid) -> ActivityData {
    ActivityData::WorkOrderAssigned(c::WorkOrderAssigned { work_order_id: ID.into(), person_id: person })
}

fn started() -> ActivityData {
    ActivityData::WorkOrderStarted(c::WorkOrderRef { work_order_id: ID.into() })
}

fn canceled() -> ActivityData {
    ActivityData::WorkOrderCanceled(c::WorkOrderRef { work_order_id: ID.into() })
}

fn note_added(person: Uuid) -> ActivityData {
    ActivityData::WorkOrderNoteAdded(c::WorkOrderNoteAdded {
        work_order_id: ID.into(),
        person_id: person,
        body_chars: 80,
    })
}

fn completed(summary: Option<&str>) -> ActivityData {
    ActivityData::WorkOrderCompleted(c::WorkOrderCompleted {
        work_order_id: ID.into(),
        summary: summary.map(Into::into),
    })
}

/// Every activity a created work order may receive.
fn every_later_activity() -> [ActivityData; 5] {
    [assigned(BOB), started(), note_added(ALICE), completed(None), canceled()]
}

// ------------------------------------------------------------ what the log stores

fn status(assignee: Option<Uuid>) -> e::WorkOrderStatusChanged {
    e::WorkOrderStatusChanged { work_order_id: ID.into(), assignee_person_id: assignee }
}

fn started_event(id: &str, when: &str, assignee: Option<Uuid>) -> LogEvent {
    event(id, when, EventBody::WorkOrderStarted(status(assignee)))
}

/// A completion by `completer` without delay, accuracy or notes.
fn completion(completer: Option<Uuid>) -> e::WorkOrderCompleted {
    e::WorkOrderCompleted {
        work_order_id: ID.into(),
        summary: None,
        completer_person_id: completer,
        delay_minutes: None,
        duration_accuracy: None,
        has_notes: false,
        reference: Some("WO-55".into()),
    }
}

/// Created at 08:00 for Alice, scheduled to end at 12:00, estimated at 60 minutes.
fn created_for_alice() -> LogEvent {
    stored("create", "08:00", created(Some(ALICE), Some("12:00"), Some(dec!(60))))
}

/// Created at 08:00 for Alice with neither schedule nor estimate.
fn created_plain() -> LogEvent {
    stored("create", "08:00", created(Some(ALICE), None, None))
}

/// The one event the aggregate emits for `when`, given `history`.
fn completed_body(history: Vec<LogEvent>, when: &str) -> e::WorkOrderCompleted {
    let events = work_order()
        .given(history)
        .when(activity("done", when, completed(None)))
        .inspect_result()
        .unwrap_or_else(|r| panic!("completion rejected: {r}"));
    match &events[..] {
        [LogEvent { body: EventBody::WorkOrderCompleted(done), .. }] => done.clone(),
        other => panic!("expected one work_order.completed, got {other:?}"),
    }
}

// ------------------------------------------------------------ creation and causal order

#[test]
fn creating_a_new_work_order_is_accepted() {
    work_order()
        .given_no_previous_events()
        .when(activity("create", "08:00", created(Some(ALICE), Some("12:00"), Some(dec!(60)))))
        .then_expect_events(vec![created_for_alice()]);
}

#[test]
fn a_second_creation_is_rejected() {
    work_order()
        .given(vec![created_for_alice()])
        .when(activity("create-2", "08:30", created(None, None, None)))
        .then_expect_error_message("data.work_order_id: work order 'W-55' was already created");
}

#[test]
fn every_event_on_a_never_created_work_order_is_rejected_naming_it() {
    for data in every_later_activity() {
        work_order()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.work_order_id: work order 'W-55' was never created");
    }
}

#[test]
fn an_event_before_the_creation_is_rejected() {
    work_order()
        .given(vec![created_for_alice()])
        .when(activity("start", "07:59", started()))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before work order 'W-55' was created ({})",
            rfc3339("07:59"),
            rfc3339("08:00")
        ));
}

#[test]
fn assignment_and_notes_are_accepted() {
    work_order()
        .given(vec![created_for_alice(), stored("assign", "08:10", assigned(BOB))])
        .when(activity("note", "09:00", note_added(BOB)))
        .then_expect_events(vec![stored("note", "09:00", note_added(BOB))]);
}

// ------------------------------------------------------------ terminal states

#[test]
fn completed_work_order_rejects_every_event() {
    for data in every_later_activity() {
        work_order()
            .given(vec![
                created_for_alice(),
                event("done", "11:00", EventBody::WorkOrderCompleted(completion(Some(ALICE)))),
            ])
            .when(activity("x", "11:30", data))
            .then_expect_error_message(
                "data.work_order_id: work order 'W-55' is completed; no further events are accepted",
            );
    }
}

#[test]
fn canceled_work_order_rejects_every_event() {
    for data in every_later_activity() {
        work_order()
            .given(vec![
                created_for_alice(),
                event("cancel", "11:00", EventBody::WorkOrderCanceled(status(Some(ALICE)))),
            ])
            .when(activity("x", "11:30", data))
            .then_expect_error_message(
                "data.work_order_id: work order 'W-55' is canceled; no further events are accepted",
            );
    }
}

// ------------------------------------------------------------ status changes carry the assignee

#[test]
fn start_carries_the_assignee_of_the_moment() {
    work_order()
        .given(vec![created_for_alice(), stored("assign", "08:10", assigned(BOB))])
        .when(activity("start", "09:00", started()))
        .then_expect_events(vec![started_event("start", "09:00", Some(BOB))]);
}

#[test]
fn cancellation_carries_the_assignee_of_the_moment() {
    work_order()
        .given(vec![created_for_alice()])
        .when(activity("cancel", "09:00", canceled()))
        .then_expect_events(vec![event("cancel", "09:00", EventBody::WorkOrderCanceled(status(Some(ALICE))))]);
}

#[test]
fn a_repeated_start_is_accepted() {
    work_order()
        .given(vec![created_for_alice(), started_event("start", "09:00", Some(ALICE))])
        .when(activity("start-2", "09:30", started()))
        .then_expect_events(vec![started_event("start-2", "09:30", Some(ALICE))]);
}

// ------------------------------------------------------------ completion and its enrichment

#[test]
fn completion_credits_the_assignee_with_all_its_facts() {
    let done = e::WorkOrderCompleted {
        delay_minutes: Some(dec!(30)),
        duration_accuracy: Some(dec!(0.5)),
        has_notes: true,
        ..completion(Some(BOB))
    };
    work_order()
        .given(vec![
            created_for_alice(),
            stored("assign", "08:10", assigned(BOB)),
            started_event("start", "11:00", Some(BOB)),
            stored("note", "11:15", note_added(BOB)),
        ])
        .when(activity("done", "12:30", completed(None)))
        .then_expect_events(vec![event("done", "12:30", EventBody::WorkOrderCompleted(done))]);
}

#[test]
fn completion_of_an_unassigned_work_order_credits_nobody() {
    work_order()
        .given(vec![stored("create", "08:00", created(None, None, None))])
        .when(activity("done", "10:00", completed(None)))
        .then_expect_events(vec![event("done", "10:00", EventBody::WorkOrderCompleted(completion(None)))]);
}

#[test]
fn completion_summary_is_redacted() {
    let summary = "Replaced the ONT at 14 Adeola Odeku Street, customer mail jane.doe@example.com";
    let done = e::WorkOrderCompleted { summary: Some(redact(summary)), ..completion(Some(ALICE)) };
    work_order()
        .given(vec![created_plain()])
        .when(activity("done", "10:00", completed(Some(summary))))
        .then_expect_events(vec![event("done", "10:00", EventBody::WorkOrderCompleted(done))]);
}

#[test]
fn delay_is_the_minutes_past_the_scheduled_end() {
    assert_eq!(completed_body(vec![created_for_alice()], "12:45").delay_minutes, Some(dec!(45)));
}

#[test]
fn delay_is_zero_when_completed_on_schedule() {
    assert_eq!(completed_body(vec![created_for_alice()], "12:00").delay_minutes, Some(dec!(0)));
}

#[test]
fn delay_is_clamped_at_zero_when_completed_early() {
    assert_eq!(completed_body(vec![created_for_alice()], "10:00").delay_minutes, Some(dec!(0)));
}

#[test]
fn delay_is_null_without_a_scheduled_end() {
    assert_eq!(completed_body(vec![created_plain()], "23:00").delay_minutes, None);
}

#[test]
fn duration_accuracy_is_one_when_the_estimate_was_exact() {
    let history = vec![created_for_alice(), started_event("start", "09:00", Some(ALICE))];
    assert_eq!(completed_body(history, "10:00").duration_accuracy, Some(dec!(1)));
}

#[test]
fn duration_accuracy_measures_from_start_to_completion() {
    let history = vec![created_for_alice(), started_event("start", "09:00", Some(ALICE))];
    assert_eq!(completed_body(history, "09:45").duration_accuracy, Some(dec!(0.75)));
}

#[test]
fn duration_accuracy_is_clamped_at_zero() {
    let history = vec![created_for_alice(), started_event("start", "09:00", Some(ALICE))];
    assert_eq!(completed_body(history, "12:00").duration_accuracy, Some(dec!(0)));
}

#[test]
fn duration_accuracy_is_null_without_a_start() {
    assert_eq!(completed_body(vec![created_for_alice()], "10:00").duration_accuracy, None);
}

#[test]
fn duration_accuracy_is_null_without_an_estimate() {
    let history = vec![created_plain(), started_event("start", "09:00", Some(ALICE))];
    assert_eq!(completed_body(history, "10:00").duration_accuracy, None);
}

#[test]
fn duration_accuracy_is_null_for_an_estimate_of_zero() {
    let history =
        vec![stored("create", "08:00", created(Some(ALICE), None, Some(dec!(0)))), started_event("s", "09:00", None)];
    assert_eq!(completed_body(history, "10:00").duration_accuracy, None);
}

#[test]
fn a_repeated_start_keeps_the_first_for_duration_accuracy() {
    let history = vec![
        created_for_alice(),
        started_event("start", "09:00", Some(ALICE)),
        started_event("start-2", "09:30", Some(ALICE)),
    ];
    // 60 minutes from the first start: exact. From the second it would be 30 (0.5).
    assert_eq!(completed_body(history, "10:00").duration_accuracy, Some(dec!(1)));
}

#[test]
fn has_notes_is_true_after_a_note() {
    let history = vec![created_plain(), stored("note", "09:00", note_added(ALICE))];
    assert!(completed_body(history, "10:00").has_notes);
}

#[test]
fn has_notes_is_false_without_a_note() {
    assert!(!completed_body(vec![created_plain()], "10:00").has_notes);
}
