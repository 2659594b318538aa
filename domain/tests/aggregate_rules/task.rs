//! Project tasks (§2 Operations).

use perfledger_domain::aggregates::Task;
use perfledger_domain::catalog::{self as c, ActivityData as A};
use perfledger_domain::event::{self as e, EventBody as B};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::support::*;

const T0: &str = "2026-11-02T09:00:00Z";
const DUE: &str = "2026-11-04T17:00:00Z";

fn created(assignee: Option<uuid::Uuid>, due: Option<&str>, estimate: Option<Decimal>) -> A {
    A::TaskCreated(c::TaskCreated {
        task_id: "K-1".into(),
        project_id: "P-1".into(),
        reference: None,
        assignee_person_id: assignee,
        due_at: due.map(at),
        estimate_hours: estimate,
    })
}
fn complete(actual: Option<Decimal>) -> A {
    A::TaskCompleted(c::TaskCompleted { task_id: "K-1".into(), actual_hours: actual })
}
fn k() -> c::TaskRef {
    c::TaskRef { task_id: "K-1".into() }
}
fn standard() -> Vec<perfledger_domain::Activity> {
    vec![act("c", T0, created(Some(ALICE), Some(DUE), Some(dec!(8))))]
}
fn completed_body(history: Vec<perfledger_domain::Activity>, when: &str, actual: Option<Decimal>) -> e::TaskCompleted {
    match body_of(given::<Task>(history), act("done", when, complete(actual))) {
        B::TaskCompleted(done) => done,
        other => panic!("{other:?}"),
    }
}

#[test]
fn creation_is_recorded() {
    body_of(given_nothing::<Task>(), act("c", T0, created(None, None, None)));
}

#[test]
fn a_second_creation_is_rejected() {
    rejected(given::<Task>(standard()), act("c2", T0, created(None, None, None)), "data.task_id", "already created");
}

#[test]
fn an_event_for_a_task_never_created_is_rejected() {
    rejected(given_nothing::<Task>(), act("b", T0, A::TaskBlocked(k())), "data.task_id", "'K-1' was never created");
}

#[test]
fn an_event_before_creation_is_rejected() {
    rejected(
        given::<Task>(standard()),
        act("b", "2026-11-01T09:00:00Z", A::TaskBlocked(k())),
        "occurred_at",
        "before task",
    );
}

#[test]
fn completion_carries_completer_on_time_and_effort_accuracy() {
    given::<Task>(standard()).when(act("done", "2026-11-03T12:00:00Z", complete(Some(dec!(10))))).then_expect_events(
        vec![event(
            "done",
            "2026-11-03T12:00:00Z",
            B::TaskCompleted(e::TaskCompleted {
                task_id: "K-1".into(),
                actual_hours: Some(dec!(10)),
                completer_person_id: Some(ALICE),
                on_time: Some(true),
                effort_accuracy: Some(dec!(0.75)),
            }),
        )],
    );
}

#[test]
fn completing_after_the_due_time_is_late() {
    assert_eq!(completed_body(standard(), "2026-11-04T17:00:01Z", None).on_time, Some(false));
}

#[test]
fn completing_exactly_at_the_due_time_is_on_time() {
    assert_eq!(completed_body(standard(), DUE, None).on_time, Some(true));
}

#[test]
fn without_a_due_time_on_time_is_null() {
    let history = vec![act("c", T0, created(Some(ALICE), None, Some(dec!(8))))];
    assert_eq!(completed_body(history, "2026-11-03T12:00:00Z", Some(dec!(8))).on_time, None);
}

#[test]
fn effort_accuracy_is_null_without_an_estimate() {
    let history = vec![act("c", T0, created(Some(ALICE), Some(DUE), None))];
    assert_eq!(completed_body(history, "2026-11-03T12:00:00Z", Some(dec!(8))).effort_accuracy, None);
}

#[test]
fn effort_accuracy_is_null_with_a_zero_estimate() {
    let history = vec![act("c", T0, created(Some(ALICE), Some(DUE), Some(dec!(0))))];
    assert_eq!(completed_body(history, "2026-11-03T12:00:00Z", Some(dec!(8))).effort_accuracy, None);
}

#[test]
fn effort_accuracy_is_null_without_actual_hours() {
    assert_eq!(completed_body(standard(), "2026-11-03T12:00:00Z", None).effort_accuracy, None);
}

#[test]
fn effort_accuracy_is_clamped_at_zero() {
    assert_eq!(completed_body(standard(), "2026-11-03T12:00:00Z", Some(dec!(20))).effort_accuracy, Some(dec!(0)));
}

#[test]
fn the_completer_is_the_assignee_at_completion() {
    let mut history = standard();
    history.push(act(
        "a",
        "2026-11-02T10:00:00Z",
        A::TaskAssigned(c::TaskAssigned { task_id: "K-1".into(), person_id: BOB }),
    ));
    assert_eq!(completed_body(history, "2026-11-03T12:00:00Z", None).completer_person_id, Some(BOB));
}

#[test]
fn a_completion_without_assignee_credits_nobody() {
    let history = vec![act("c", T0, created(None, None, None))];
    assert_eq!(completed_body(history, "2026-11-03T12:00:00Z", None).completer_person_id, None);
}

#[test]
fn a_completed_task_rejects_every_further_event() {
    let mut history = standard();
    history.push(act("done", "2026-11-03T12:00:00Z", complete(None)));
    rejected(
        given::<Task>(history),
        act("b", "2026-11-03T13:00:00Z", A::TaskBlocked(k())),
        "data.task_id",
        "is completed",
    );
}

#[test]
fn a_canceled_task_rejects_every_further_event() {
    let mut history = standard();
    history.push(act("x", "2026-11-03T12:00:00Z", A::TaskCanceled(k())));
    rejected(
        given::<Task>(history),
        act("done", "2026-11-03T13:00:00Z", complete(None)),
        "data.task_id",
        "is canceled",
    );
}

#[test]
fn blocking_unblocking_and_canceling_carry_the_assignee() {
    for data in [A::TaskBlocked(k()), A::TaskUnblocked(k()), A::TaskCanceled(k())] {
        let (B::TaskBlocked(s) | B::TaskUnblocked(s) | B::TaskCanceled(s)) =
            body_of(given::<Task>(standard()), act("s", "2026-11-02T10:00:00Z", data))
        else {
            panic!("not a status change")
        };
        assert_eq!(s.assignee_person_id, Some(ALICE));
    }
}

#[test]
fn blocking_a_blocked_task_is_accepted() {
    let mut history = standard();
    history.push(act("b1", "2026-11-02T10:00:00Z", A::TaskBlocked(k())));
    body_of(given::<Task>(history), act("b2", "2026-11-02T11:00:00Z", A::TaskBlocked(k())));
}
