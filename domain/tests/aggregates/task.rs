//! Project tasks (§1 causal order, §2 Operations).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Task;
use perfledger_domain::catalog::{self as c, ActivityData};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::LogEvent;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "K-7";

fn task() -> TestFramework<Task> {
    TestFramework::with(())
}

// ------------------------------------------------------------ what the CRM sends

fn created(assignee: Option<Uuid>, due_at: Option<&str>, estimate_hours: Option<Decimal>) -> ActivityData {
    ActivityData::TaskCreated(c::TaskCreated {
        task_id: ID.into(),
        project_id: "P-1".into(),
        reference: Some("OPS-7".into()),
        assignee_person_id: assignee,
        due_at: due_at.map(at),
        estimate_hours,
    })
}

fn assigned(person: Uuid) -> ActivityData {
    ActivityData::TaskAssigned(c::TaskAssigned { task_id: ID.into(), person_id: person })
}

fn blocked() -> ActivityData {
    ActivityData::TaskBlocked(c::TaskRef { task_id: ID.into() })
}

fn unblocked() -> ActivityData {
    ActivityData::TaskUnblocked(c::TaskRef { task_id: ID.into() })
}

fn canceled() -> ActivityData {
    ActivityData::TaskCanceled(c::TaskRef { task_id: ID.into() })
}

fn completed(actual_hours: Option<Decimal>) -> ActivityData {
    ActivityData::TaskCompleted(c::TaskCompleted { task_id: ID.into(), actual_hours })
}

/// Every activity a created task may receive.
fn every_later_activity() -> [ActivityData; 5] {
    [assigned(BOB), blocked(), unblocked(), completed(Some(dec!(1))), canceled()]
}

// ------------------------------------------------------------ what the log stores

fn status(assignee: Option<Uuid>) -> e::TaskStatusChanged {
    e::TaskStatusChanged { task_id: ID.into(), assignee_person_id: assignee }
}

/// A completion by `completer` with `actual_hours`, on time, accuracy unknown.
fn completion(completer: Option<Uuid>, actual_hours: Option<Decimal>) -> e::TaskCompleted {
    e::TaskCompleted {
        task_id: ID.into(),
        actual_hours,
        completer_person_id: completer,
        on_time: Some(true),
        effort_accuracy: None,
    }
}

/// Created at 09:00 for Alice, due at 17:00, estimated at 4 hours.
fn created_for_alice() -> LogEvent {
    stored("create", "09:00", created(Some(ALICE), Some("17:00"), Some(dec!(4))))
}

/// The completion of a task created with `estimate_hours`, completed with
/// `actual_hours`: its effort accuracy.
fn effort_accuracy(estimate_hours: Option<Decimal>, actual_hours: Option<Decimal>) -> Option<Decimal> {
    let events = task()
        .given(vec![stored("create", "09:00", created(Some(ALICE), None, estimate_hours))])
        .when(activity("done", "12:00", completed(actual_hours)))
        .inspect_result()
        .unwrap_or_else(|r| panic!("completion rejected: {r}"));
    match &events[..] {
        [LogEvent { body: EventBody::TaskCompleted(done), .. }] => done.effort_accuracy,
        other => panic!("expected one task.completed, got {other:?}"),
    }
}

// ------------------------------------------------------------ creation and causal order

#[test]
fn creating_a_new_task_is_accepted() {
    task()
        .given_no_previous_events()
        .when(activity("create", "09:00", created(Some(ALICE), Some("17:00"), Some(dec!(4)))))
        .then_expect_events(vec![created_for_alice()]);
}

#[test]
fn a_second_creation_is_rejected() {
    task()
        .given(vec![created_for_alice()])
        .when(activity("create-2", "09:30", created(None, None, None)))
        .then_expect_error_message("data.task_id: task 'K-7' was already created");
}

#[test]
fn every_event_on_a_never_created_task_is_rejected_naming_it() {
    for data in every_later_activity() {
        task()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.task_id: task 'K-7' was never created");
    }
}

#[test]
fn an_event_before_the_creation_is_rejected() {
    task().given(vec![created_for_alice()]).when(activity("block", "08:00", blocked())).then_expect_error_message(
        &format!("occurred_at: {} is before task 'K-7' was created ({})", rfc3339("08:00"), rfc3339("09:00")),
    );
}

#[test]
fn assignment_is_accepted() {
    task()
        .given(vec![created_for_alice()])
        .when(activity("assign", "09:30", assigned(BOB)))
        .then_expect_events(vec![stored("assign", "09:30", assigned(BOB))]);
}

// ------------------------------------------------------------ terminal states

#[test]
fn completed_task_rejects_every_event() {
    for data in every_later_activity() {
        task()
            .given(vec![
                created_for_alice(),
                event("done", "12:00", EventBody::TaskCompleted(completion(Some(ALICE), None))),
            ])
            .when(activity("x", "13:00", data))
            .then_expect_error_message("data.task_id: task 'K-7' is completed; no further events are accepted");
    }
}

#[test]
fn canceled_task_rejects_every_event() {
    for data in every_later_activity() {
        task()
            .given(vec![created_for_alice(), event("cancel", "12:00", EventBody::TaskCanceled(status(Some(ALICE))))])
            .when(activity("x", "13:00", data))
            .then_expect_error_message("data.task_id: task 'K-7' is canceled; no further events are accepted");
    }
}

// ------------------------------------------------------------ status changes carry the assignee

#[test]
fn blocking_carries_the_assignee_of_the_moment() {
    task()
        .given(vec![created_for_alice(), stored("assign", "09:30", assigned(BOB))])
        .when(activity("block", "10:00", blocked()))
        .then_expect_events(vec![event("block", "10:00", EventBody::TaskBlocked(status(Some(BOB))))]);
}

#[test]
fn unblocking_carries_the_assignee_of_the_moment() {
    task()
        .given(vec![created_for_alice(), event("block", "10:00", EventBody::TaskBlocked(status(Some(ALICE))))])
        .when(activity("unblock", "11:00", unblocked()))
        .then_expect_events(vec![event("unblock", "11:00", EventBody::TaskUnblocked(status(Some(ALICE))))]);
}

#[test]
fn cancellation_carries_the_assignee_of_the_moment() {
    task()
        .given(vec![created_for_alice()])
        .when(activity("cancel", "11:00", canceled()))
        .then_expect_events(vec![event("cancel", "11:00", EventBody::TaskCanceled(status(Some(ALICE))))]);
}

#[test]
fn status_changes_of_an_unassigned_task_carry_no_assignee() {
    task()
        .given(vec![stored("create", "09:00", created(None, None, None))])
        .when(activity("block", "10:00", blocked()))
        .then_expect_events(vec![event("block", "10:00", EventBody::TaskBlocked(status(None)))]);
}

#[test]
fn blocking_a_blocked_task_is_accepted() {
    task()
        .given(vec![created_for_alice(), event("block", "10:00", EventBody::TaskBlocked(status(Some(ALICE))))])
        .when(activity("block-2", "10:30", blocked()))
        .then_expect_events(vec![event("block-2", "10:30", EventBody::TaskBlocked(status(Some(ALICE))))]);
}

// ------------------------------------------------------------ completion and its enrichment

#[test]
fn completion_credits_the_assignee() {
    let done = e::TaskCompleted { effort_accuracy: Some(dec!(0.75)), ..completion(Some(ALICE), Some(dec!(5))) };
    task()
        .given(vec![created_for_alice()])
        .when(activity("done", "15:00", completed(Some(dec!(5)))))
        .then_expect_events(vec![event("done", "15:00", EventBody::TaskCompleted(done))]);
}

#[test]
fn completion_credits_the_assignee_of_the_moment() {
    let done = e::TaskCompleted { effort_accuracy: Some(dec!(1)), ..completion(Some(BOB), Some(dec!(4))) };
    task()
        .given(vec![created_for_alice(), stored("assign", "10:00", assigned(BOB))])
        .when(activity("done", "15:00", completed(Some(dec!(4)))))
        .then_expect_events(vec![event("done", "15:00", EventBody::TaskCompleted(done))]);
}

#[test]
fn completion_of_an_unassigned_task_credits_nobody() {
    let done = e::TaskCompleted { on_time: None, ..completion(None, None) };
    task()
        .given(vec![stored("create", "09:00", created(None, None, None))])
        .when(activity("done", "15:00", completed(None)))
        .then_expect_events(vec![event("done", "15:00", EventBody::TaskCompleted(done))]);
}

#[test]
fn completion_at_the_due_time_is_on_time() {
    task()
        .given(vec![stored("create", "09:00", created(Some(ALICE), Some("17:00"), None))])
        .when(activity("done", "17:00", completed(None)))
        .then_expect_events(vec![event("done", "17:00", EventBody::TaskCompleted(completion(Some(ALICE), None)))]);
}

#[test]
fn completion_after_the_due_time_is_late() {
    let late = e::TaskCompleted { on_time: Some(false), ..completion(Some(ALICE), None) };
    task()
        .given(vec![stored("create", "09:00", created(Some(ALICE), Some("17:00"), None))])
        .when(activity("done", "2026-11-02T17:00:01Z", completed(None)))
        .then_expect_events(vec![event("done", "2026-11-02T17:00:01Z", EventBody::TaskCompleted(late))]);
}

#[test]
fn completion_without_a_due_time_has_no_on_time_verdict() {
    let done = e::TaskCompleted { on_time: None, ..completion(Some(ALICE), None) };
    task()
        .given(vec![stored("create", "09:00", created(Some(ALICE), None, None))])
        .when(activity("done", "17:00", completed(None)))
        .then_expect_events(vec![event("done", "17:00", EventBody::TaskCompleted(done))]);
}

#[test]
fn effort_accuracy_is_one_when_the_estimate_was_exact() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(4))), Some(dec!(1)));
}

#[test]
fn effort_accuracy_falls_with_an_overrun() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(5))), Some(dec!(0.75)));
}

#[test]
fn effort_accuracy_falls_with_an_underrun() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(2.5))), Some(dec!(0.625)));
}

#[test]
fn effort_accuracy_is_zero_at_twice_the_estimate() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(8))), Some(dec!(0)));
}

#[test]
fn effort_accuracy_is_clamped_at_zero() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(13))), Some(dec!(0)));
}

#[test]
fn effort_accuracy_is_zero_for_no_work_on_an_estimated_task() {
    assert_eq!(effort_accuracy(Some(dec!(4)), Some(dec!(0))), Some(dec!(0)));
}

#[test]
fn effort_accuracy_is_null_without_an_estimate() {
    assert_eq!(effort_accuracy(None, Some(dec!(3))), None);
}

#[test]
fn effort_accuracy_is_null_for_an_estimate_of_zero() {
    assert_eq!(effort_accuracy(Some(dec!(0)), Some(dec!(3))), None);
}

#[test]
fn effort_accuracy_is_null_without_actual_hours() {
    assert_eq!(effort_accuracy(Some(dec!(4)), None), None);
}
