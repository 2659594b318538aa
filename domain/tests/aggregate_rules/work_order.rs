//! Work orders (§2 Field service).

use perfledger_domain::aggregates::WorkOrder;
use perfledger_domain::catalog::{self as c, ActivityData as A};
use perfledger_domain::event::{self as e, EventBody as B};
use perfledger_domain::redaction::redact;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::support::*;

const T0: &str = "2026-11-02T09:00:00Z";

fn created(scheduled_end: Option<&str>, estimate: Option<Decimal>) -> A {
    A::WorkOrderCreated(c::WorkOrderCreated {
        work_order_id: "W-1".into(),
        reference: Some("#W1".into()),
        assignee_person_id: Some(ALICE),
        scheduled_end: scheduled_end.map(at),
        estimated_duration_minutes: estimate,
    })
}
fn w() -> c::WorkOrderRef {
    c::WorkOrderRef { work_order_id: "W-1".into() }
}
fn note() -> A {
    A::WorkOrderNoteAdded(c::WorkOrderNoteAdded { work_order_id: "W-1".into(), person_id: ALICE, body_chars: 80 })
}
fn complete() -> A {
    A::WorkOrderCompleted(c::WorkOrderCompleted { work_order_id: "W-1".into(), summary: None })
}
/// Created 09:00 (ends 11:00, 60 minutes estimated), started 10:00.
fn started() -> Vec<perfledger_domain::Activity> {
    vec![
        act("c", T0, created(Some("2026-11-02T11:00:00Z"), Some(dec!(60)))),
        act("s", "2026-11-02T10:00:00Z", A::WorkOrderStarted(w())),
    ]
}
fn completed_at(history: Vec<perfledger_domain::Activity>, when: &str) -> e::WorkOrderCompleted {
    match body_of(given::<WorkOrder>(history), act("done", when, complete())) {
        B::WorkOrderCompleted(done) => done,
        other => panic!("{other:?}"),
    }
}

#[test]
fn creation_is_recorded_and_a_second_is_rejected() {
    body_of(given_nothing::<WorkOrder>(), act("c", T0, created(None, None)));
    rejected(
        given::<WorkOrder>(started()),
        act("c2", T0, created(None, None)),
        "data.work_order_id",
        "already created",
    );
}

#[test]
fn an_event_for_a_work_order_never_created_is_rejected() {
    rejected(
        given_nothing::<WorkOrder>(),
        act("s", T0, A::WorkOrderStarted(w())),
        "data.work_order_id",
        "work order 'W-1' was never created",
    );
}

#[test]
fn an_event_before_creation_is_rejected() {
    rejected(
        given::<WorkOrder>(started()),
        act("n", "2026-11-02T08:00:00Z", note()),
        "occurred_at",
        "before work order",
    );
}

#[test]
fn completion_carries_completer_delay_accuracy_and_notes() {
    let mut history = started();
    history.push(act("n", "2026-11-02T10:10:00Z", note()));
    given::<WorkOrder>(history).when(act("done", "2026-11-02T11:30:00Z", complete())).then_expect_events(vec![event(
        "done",
        "2026-11-02T11:30:00Z",
        B::WorkOrderCompleted(e::WorkOrderCompleted {
            work_order_id: "W-1".into(),
            summary: None,
            completer_person_id: Some(ALICE),
            delay_minutes: Some(dec!(30)),
            duration_accuracy: Some(dec!(0.5)),
            has_notes: true,
            reference: Some("#W1".into()),
        }),
    )]);
}

#[test]
fn finishing_early_is_zero_delay() {
    assert_eq!(completed_at(started(), "2026-11-02T10:45:00Z").delay_minutes, Some(dec!(0)));
}

#[test]
fn without_a_scheduled_end_the_delay_is_null() {
    let history =
        vec![act("c", T0, created(None, Some(dec!(60)))), act("s", "2026-11-02T10:00:00Z", A::WorkOrderStarted(w()))];
    assert_eq!(completed_at(history, "2026-11-02T11:00:00Z").delay_minutes, None);
}

#[test]
fn duration_accuracy_measures_from_start_to_completion() {
    assert_eq!(completed_at(started(), "2026-11-02T11:00:00Z").duration_accuracy, Some(dec!(1)));
    assert_eq!(completed_at(started(), "2026-11-02T12:30:00Z").duration_accuracy, Some(dec!(0)));
}

#[test]
fn duration_accuracy_is_null_without_a_start() {
    let history = vec![act("c", T0, created(Some("2026-11-02T11:00:00Z"), Some(dec!(60))))];
    assert_eq!(completed_at(history, "2026-11-02T11:00:00Z").duration_accuracy, None);
}

#[test]
fn duration_accuracy_is_null_without_an_estimate() {
    let history = vec![act("c", T0, created(None, None)), act("s", "2026-11-02T10:00:00Z", A::WorkOrderStarted(w()))];
    assert_eq!(completed_at(history, "2026-11-02T11:00:00Z").duration_accuracy, None);
}

#[test]
fn a_repeated_start_keeps_the_first() {
    let mut history = started();
    history.push(act("s2", "2026-11-02T10:30:00Z", A::WorkOrderStarted(w())));
    // Actual 60 minutes from the first start: exactly the estimate.
    assert_eq!(completed_at(history, "2026-11-02T11:00:00Z").duration_accuracy, Some(dec!(1)));
}

#[test]
fn without_a_note_before_completion_has_notes_is_false() {
    assert!(!completed_at(started(), "2026-11-02T11:00:00Z").has_notes);
}

#[test]
fn a_completed_work_order_rejects_further_events() {
    let mut history = started();
    history.push(act("done", "2026-11-02T11:00:00Z", complete()));
    rejected(
        given::<WorkOrder>(history),
        act("n", "2026-11-02T12:00:00Z", note()),
        "data.work_order_id",
        "is completed",
    );
}

#[test]
fn a_canceled_work_order_rejects_further_events() {
    let mut history = started();
    history.push(act("x", "2026-11-02T10:30:00Z", A::WorkOrderCanceled(w())));
    rejected(
        given::<WorkOrder>(history),
        act("done", "2026-11-02T11:00:00Z", complete()),
        "data.work_order_id",
        "is canceled",
    );
}

#[test]
fn start_and_cancel_carry_the_assignee() {
    let history = vec![act("c", T0, created(None, None))];
    let B::WorkOrderStarted(s) =
        body_of(given::<WorkOrder>(history.clone()), act("s", "2026-11-02T10:00:00Z", A::WorkOrderStarted(w())))
    else {
        panic!()
    };
    assert_eq!(s.assignee_person_id, Some(ALICE));
    let B::WorkOrderCanceled(x) =
        body_of(given::<WorkOrder>(history), act("x", "2026-11-02T10:00:00Z", A::WorkOrderCanceled(w())))
    else {
        panic!()
    };
    assert_eq!(x.assignee_person_id, Some(ALICE));
}

#[test]
fn the_completion_summary_is_redacted() {
    let text = "Installed at 12 Adeola Odeku Street, customer on +234 803 123 4567";
    let data = A::WorkOrderCompleted(c::WorkOrderCompleted { work_order_id: "W-1".into(), summary: Some(text.into()) });
    let B::WorkOrderCompleted(done) = body_of(given::<WorkOrder>(started()), act("done", "2026-11-02T11:00:00Z", data))
    else {
        panic!()
    };
    assert_eq!(done.summary, Some(redact(text)));
}
