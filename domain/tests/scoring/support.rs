//! Support (§3): SLA 40, resolution time 30 (vs team), escalation 20, CSAT 10.

use perfledger_domain::catalog::TeamType;
use perfledger_domain::scoring::Domain::Support;

use super::common::*;

/// Alice and Bob form a support team.
///
/// Alice: T1 opened to her, resolved in 60 min within SLA, rated 5; T2
/// assigned, escalated while hers, resolved in 120 min past SLA, rated 3; T3
/// assigned, resolved in 30 min with no SLA. Bob: T4 resolved in 140 min
/// within SLA, never rated.
///
/// - SLA: Alice 1 met of 2 with an SLA → 40 · 1/2 = 20; Bob 1/1 → 40.
/// - Resolution: Alice x = (60 + 120 + 30) / 3 = 70, Bob x = 140, team =
///   (70 + 140) / 2 = 105 → Alice 30 · (1 − 70/105) = 10, Bob 30 · (1 − 140/105) < 0 → 0.
/// - Escalation: Alice 1 of 3 → 20 · 2/3 = 13.33; Bob 0 of 1 → 20.
/// - CSAT: Alice (5 + 3) / 2 = 4 → 10 · 4/5 = 8; Bob no ratings → safe_div 0 → 0.
fn world() -> World {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .at("08:00", ticket_opened("T1", Some(ALICE)))
        .at("09:00", ticket_resolved("T1", ALICE, 60, Some(true), false, 1))
        .at("09:10", ticket_rated("T1", ALICE, 5))
        .at("08:00", ticket_opened("T2", None))
        .at("08:05", ticket_assigned("T2", ALICE))
        .at("08:30", ticket_escalated("T2", Some(ALICE)))
        .at("10:00", ticket_resolved("T2", ALICE, 120, Some(false), true, 0))
        .at("10:30", ticket_rated("T2", ALICE, 3))
        .at("11:00", ticket_opened("T3", None))
        .at("11:01", ticket_assigned("T3", ALICE))
        .at("11:30", ticket_resolved("T3", ALICE, 30, None, false, 0))
        .at("12:00", ticket_opened("T4", Some(BOB)))
        .at("14:20", ticket_resolved("T4", BOB, 140, Some(true), false, 0));
    w
}

#[test]
fn sla_compliance_counts_only_resolutions_with_an_sla() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "sla_compliance_rate");
    assert_eq!((m.numerator, m.denominator, m.raw_value), (Some(n(1)), Some(n(2)), Some(d("0.5"))));
    assert_eq!((m.points, m.max), (n(20), n(40)));
    assert_eq!(points(&w.person(BOB), Support, "sla_compliance_rate"), n(40));
}

#[test]
fn resolution_time_against_the_team_average() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "avg_resolution_minutes");
    assert_eq!(m.raw_value, Some(n(70)));
    assert_eq!((m.numerator, m.denominator), (Some(n(210)), Some(n(3))));
    assert_eq!(m.team_baseline, Some(n(105)));
    assert_eq!(m.points, n(10));
    let bob = w.person(BOB);
    let m = metric(&bob, Support, "avg_resolution_minutes");
    assert_eq!((m.raw_value, m.team_baseline, m.points), (Some(n(140)), Some(n(105)), n(0)));
}

#[test]
fn escalation_rate_is_lower_is_better() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "escalation_rate");
    assert_eq!((m.numerator, m.denominator), (Some(n(1)), Some(n(3))));
    assert_2dp(m.raw_value.unwrap(), "0.33");
    assert_2dp(m.points, "13.33");
    assert_eq!(m.points, n(40) / n(3));
    assert_eq!(points(&w.person(BOB), Support, "escalation_rate"), n(20));
}

#[test]
fn csat_is_the_mean_rating_over_five() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "csat_avg_rating");
    assert_eq!((m.raw_value, m.numerator, m.denominator, m.points), (Some(n(4)), Some(n(8)), Some(n(2)), n(8)));
    let bob = w.person(BOB);
    let m = metric(&bob, Support, "csat_avg_rating");
    assert_eq!((m.raw_value, m.denominator, m.points), (Some(n(0)), Some(n(0)), n(0)));
}

#[test]
fn support_domain_score_is_the_sum_of_its_points() {
    let w = world();
    let alice = w.person(ALICE);
    // 20 + 10 + 13.333… + 8
    assert_2dp(domain(&alice, Support).raw_score, "51.33");
    assert_eq!(domain(&w.person(BOB), Support).raw_score, n(60));
    let keys: Vec<&str> = domain(&alice, Support).metrics.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["sla_compliance_rate", "avg_resolution_minutes", "escalation_rate", "csat_avg_rating"]);
}

/// Only a ticket assigned, nothing resolved or rated: every safe_div has a
/// zero denominator. SLA 40 · safe_div(0, 0) = 0; escalation 20 · (1 − 0) = 20;
/// CSAT 0; resolution: nobody in the pool has a value → half, 15. Total 35.
#[test]
fn safe_div_at_zero_in_support() {
    let mut w = World::new();
    w.at("09:00", ticket_opened("T1", None)).at("09:05", ticket_assigned("T1", CAROL));
    let carol = w.person(CAROL);
    let sla = metric(&carol, Support, "sla_compliance_rate");
    assert_eq!((sla.raw_value, sla.denominator, sla.points), (Some(n(0)), Some(n(0)), n(0)));
    let esc = metric(&carol, Support, "escalation_rate");
    assert_eq!((esc.raw_value, esc.points), (Some(n(0)), n(20)));
    let res = metric(&carol, Support, "avg_resolution_minutes");
    assert_eq!((res.raw_value, res.team_baseline, res.points), (None, None, n(15)));
    assert_eq!(points(&carol, Support, "csat_avg_rating"), n(0));
    assert_eq!(domain(&carol, Support).raw_score, n(35));
}

/// A reopened ticket resolved again counts as a second resolution, with its
/// minutes from the original opening (as the aggregate enriches them).
#[test]
fn a_resolution_after_reopen_counts_again() {
    let mut w = World::new();
    w.at("08:00", ticket_opened("T1", Some(ALICE)))
        .at("09:00", ticket_resolved("T1", ALICE, 60, Some(true), false, 0))
        .at("09:30", ticket_reopened("T1"))
        .at("10:00", ticket_resolved("T1", ALICE, 120, Some(false), false, 0));
    let alice = w.person(ALICE);
    let sla = metric(&alice, Support, "sla_compliance_rate");
    assert_eq!((sla.numerator, sla.denominator), (Some(n(1)), Some(n(2))));
    assert_eq!(metric(&alice, Support, "avg_resolution_minutes").raw_value, Some(n(90)));
}
