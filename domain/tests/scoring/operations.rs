//! Operations (§3): completion 35, on time 30, effort accuracy 20, not blocked 15.

use perfledger_domain::scoring::Domain::Operations;

use super::common::*;

/// Alice: A created for her, blocked, unblocked, completed on time with
/// accuracy 0.8; B assigned, completed late with accuracy 0.5; C created for
/// her and canceled; D assigned, completed with no due date and no estimate.
///
/// - Completion: 3 completed / 4 assignment events → 35 · 3/4 = 26.25.
/// - On time: 1 of 2 with a due date → 30 · 1/2 = 15.
/// - Effort accuracy: (0.8 + 0.5) / 2 = 0.65 → 20 · 0.65 = 13.
/// - Not blocked: 1 blocked of 4 distinct tasks → 15 · (1 − 1/4) = 11.25.
/// - Domain: 65.5.
fn world() -> World {
    let mut w = World::new();
    w.at("08:00", task_created("A", Some(ALICE)))
        .at("08:10", task_blocked("A", Some(ALICE)))
        .at("08:20", task_unblocked("A", Some(ALICE)))
        .at("09:00", task_completed("A", Some(ALICE), Some(true), Some("0.8")))
        .at("08:00", task_created("B", None))
        .at("08:01", task_assigned("B", ALICE))
        .at("10:00", task_completed("B", Some(ALICE), Some(false), Some("0.5")))
        .at("08:00", task_created("C", Some(ALICE)))
        .at("11:00", task_canceled("C", Some(ALICE)))
        .at("08:00", task_created("D", None))
        .at("08:02", task_assigned("D", ALICE))
        .at("12:00", task_completed("D", Some(ALICE), None, None));
    w
}

#[test]
fn completion_rate_over_assignment_events() {
    let alice = world().person(ALICE);
    let m = metric(&alice, Operations, "completion_rate");
    assert_eq!((m.numerator, m.denominator, m.raw_value), (Some(n(3)), Some(n(4)), Some(d("0.75"))));
    assert_eq!((m.points, m.max), (d("26.25"), n(35)));
}

#[test]
fn on_time_rate_counts_only_completions_with_a_due_date() {
    let alice = world().person(ALICE);
    let m = metric(&alice, Operations, "on_time_rate");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(2)), n(15)));
}

#[test]
fn effort_accuracy_is_the_mean_over_known_accuracies() {
    let alice = world().person(ALICE);
    let m = metric(&alice, Operations, "effort_accuracy");
    assert_eq!((m.raw_value, m.numerator, m.denominator), (Some(d("0.65")), Some(d("1.3")), Some(n(2))));
    assert_eq!(m.points, n(13));
}

#[test]
fn blocked_rate_over_distinct_tasks() {
    let alice = world().person(ALICE);
    let m = metric(&alice, Operations, "blocked_rate");
    assert_eq!((m.numerator, m.denominator, m.raw_value), (Some(n(1)), Some(n(4)), Some(d("0.25"))));
    assert_eq!(m.points, d("11.25"));
    assert_eq!(domain(&alice, Operations).raw_score, d("65.5"));
}

/// Bob completes E (assigned to him in an earlier period) and F (assigned
/// now): 2 completions over 1 assignment event → rate 2, 70 points clamped
/// to 35. No due dates and no estimates: on time 0, effort accuracy 0 (no
/// value). Nothing blocked: 15. Domain 50.
#[test]
fn completion_above_one_is_clamped_to_the_maximum() {
    let mut w = World::new();
    w.at("09:00", task_completed("E", Some(BOB), None, None))
        .at("09:00", task_assigned("F", BOB))
        .at("10:00", task_completed("F", Some(BOB), None, None));
    let bob = w.person(BOB);
    let m = metric(&bob, Operations, "completion_rate");
    assert_eq!((m.raw_value, m.points), (Some(n(2)), n(35)));
    let effort = metric(&bob, Operations, "effort_accuracy");
    assert_eq!((effort.raw_value, effort.points), (None, n(0)));
    assert_eq!(points(&bob, Operations, "on_time_rate"), n(0));
    assert_eq!(points(&bob, Operations, "blocked_rate"), n(15));
    assert_eq!(domain(&bob, Operations).raw_score, n(50));
}

/// A completion with no assignment event in the period: safe_div(1, 0) = 0.
#[test]
fn completion_without_assignment_events_scores_zero() {
    let mut w = World::new();
    w.at("09:00", task_completed("E", Some(BOB), Some(true), Some("1")));
    let bob = w.person(BOB);
    let m = metric(&bob, Operations, "completion_rate");
    assert_eq!((m.raw_value, m.denominator, m.points), (Some(n(0)), Some(n(0)), n(0)));
    // 0 + 30 + 20 + 15
    assert_eq!(domain(&bob, Operations).raw_score, n(65));
}

/// Events on a task with no assignee credit nobody.
#[test]
fn unassigned_task_events_credit_nobody() {
    let mut w = World::new();
    w.at("08:00", task_created("X", None))
        .at("08:10", task_blocked("X", None))
        .at("09:00", task_completed("X", None, Some(true), Some("1")));
    assert!(w.score().is_empty());
    assert!(w.days().is_empty());
}
