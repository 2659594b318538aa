//! Field service (§3): completion 30, schedule adherence 25, duration
//! accuracy 25, documentation 20.

use perfledger_domain::scoring::Domain::{DataQuality, FieldService};

use super::common::*;

/// Alice: WO1 created for her, started, a 150-char note, completed on
/// schedule (delay 0) with accuracy 0.9 and notes; WO2 assigned, completed
/// 30 min late with accuracy 0.6 and no notes; WO3 assigned and canceled.
/// Bob: WO4 assigned, completed 90 min late, no duration accuracy, no notes.
///
/// - Completion: Alice 2 / 3 → 20; Bob 1 / 1 → 30.
/// - Schedule adherence: Alice x = (0 + 30) / 2 = 15 → 25 · (1 − 15/60) = 18.75;
///   Bob x = 90 → 25 · max(0, 1 − 1.5) = 0.
/// - Duration accuracy: Alice (0.9 + 0.6) / 2 = 0.75 → 18.75; Bob none → 0.
/// - Documentation: Alice 1 / 2 → 10; Bob 0 / 1 → 0.
/// - Domain: Alice 67.5, Bob 30.
fn world() -> World {
    let mut w = World::new();
    w.at("08:00", wo_created("WO1", Some(ALICE)))
        .at("08:30", wo_started("WO1", Some(ALICE)))
        .at("09:00", wo_note("WO1", ALICE, 150))
        .at("10:00", wo_completed("WO1", Some(ALICE), Some("0"), Some("0.9"), true))
        .at("08:00", wo_created("WO2", None))
        .at("08:05", wo_assigned("WO2", ALICE))
        .at("11:00", wo_completed("WO2", Some(ALICE), Some("30"), Some("0.6"), false))
        .at("08:00", wo_created("WO3", None))
        .at("08:05", wo_assigned("WO3", ALICE))
        .at("12:00", wo_canceled("WO3", Some(ALICE)))
        .at("08:00", wo_created("WO4", None))
        .at("08:05", wo_assigned("WO4", BOB))
        .at("13:00", wo_completed("WO4", Some(BOB), Some("90"), None, false));
    w
}

#[test]
fn completion_rate_over_assignment_events() {
    let w = world();
    let m = metric(&w.person(ALICE), FieldService, "completion_rate").clone();
    assert_eq!((m.numerator, m.denominator, m.max), (Some(n(2)), Some(n(3)), n(30)));
    assert_eq!(m.points, n(20));
    assert_eq!(points(&w.person(BOB), FieldService, "completion_rate"), n(30));
}

#[test]
fn schedule_adherence_from_the_mean_delay() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, FieldService, "avg_delay_minutes");
    assert_eq!((m.raw_value, m.numerator, m.denominator), (Some(n(15)), Some(n(30)), Some(n(2))));
    assert_eq!(m.points, d("18.75"));
    let bob = w.person(BOB);
    let m = metric(&bob, FieldService, "avg_delay_minutes");
    assert_eq!((m.raw_value, m.points), (Some(n(90)), n(0)));
}

#[test]
fn duration_accuracy_is_the_mean_over_known_accuracies() {
    let w = world();
    let m = metric(&w.person(ALICE), FieldService, "duration_accuracy").clone();
    assert_eq!((m.raw_value, m.points), (Some(d("0.75")), d("18.75")));
    let m = metric(&w.person(BOB), FieldService, "duration_accuracy").clone();
    assert_eq!((m.raw_value, m.points), (None, n(0)));
}

#[test]
fn documentation_rate_over_completions() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, FieldService, "documentation_rate");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(2)), n(10)));
    assert_eq!(domain(&alice, FieldService).raw_score, d("67.5"));
    assert_eq!(domain(&w.person(BOB), FieldService).raw_score, n(30));
}

/// A note is credited to its author in field service and in data quality.
#[test]
fn a_note_counts_in_field_service_and_data_quality() {
    let mut w = World::new();
    w.at("09:00", wo_note("WO9", CAROL, 80));
    let carol = w.person(CAROL);
    assert_eq!(scored_domains(&carol), [FieldService, DataQuality]);
    // Nothing assigned or completed: 0 + 0 + 0 + 0.
    assert_eq!(domain(&carol, FieldService).raw_score, n(0));
    // Notes: 15 · min(1, 80/100) = 12.
    assert_eq!(points(&carol, DataQuality, "note_thoroughness"), n(12));
}

/// No completion with a scheduled end: schedule adherence 0, no value.
#[test]
fn no_delay_known_scores_zero_adherence() {
    let mut w = World::new();
    w.at("09:00", wo_completed("WO5", Some(CAROL), None, None, true));
    let carol = w.person(CAROL);
    let m = metric(&carol, FieldService, "avg_delay_minutes");
    assert_eq!((m.raw_value, m.points), (None, n(0)));
    assert_eq!(points(&carol, FieldService, "documentation_rate"), n(20));
}
