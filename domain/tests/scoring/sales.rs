//! Sales (§3): win rate 35, pipeline 25 (vs team), quote acceptance 25,
//! activity 15 (vs team).

use perfledger_domain::catalog::TeamType;
use perfledger_domain::scoring::Domain::Sales;

use super::common::*;

/// Team A (sales): Alice and Bob.
///
/// Alice: L1 created (1000) and later assigned to her again (still 1000,
/// one distinct lead), L2 created (3000); contacted L1 twice and L2 once;
/// L1 won, L2 lost, L3 (created earlier) won. Quotes Q1 and Q2 sent, Q1
/// accepted, Q2 rejected. Bob: L4 assigned to him (2000), contacted once;
/// Q3 sent and accepted, Q4 (sent earlier) accepted, Q5 (sent earlier) expired.
///
/// - Win rate: Alice 2 / (2 + 1) → 23.33; Bob safe_div(0, 0) → 0.
/// - Pipeline: Alice 4000, Bob 2000, team 3000 → Alice min(1, 4/3) → 25,
///   Bob 25 · 2/3 = 16.67.
/// - Quotes: Alice 1 / 2 → 12.5; Bob 2 / 1 → 50 clamped to 25.
/// - Activity: Alice 3, Bob 1, team 2 → Alice 15, Bob 15 · 1/2 = 7.5.
/// - Domain: Alice 75.83, Bob 49.17.
fn world() -> World {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Sales, &[ALICE, BOB])
        .at("08:00", lead_created("L1", ALICE, "1000"))
        .at("08:30", lead_assigned("L1", ALICE, "1000"))
        .at("08:00", lead_created("L2", ALICE, "3000"))
        .at("09:00", lead_contacted("L1", ALICE))
        .at("09:30", lead_contacted("L1", ALICE))
        .at("10:00", lead_contacted("L2", ALICE))
        .at("11:00", lead_won("L1", ALICE))
        .at("11:00", lead_lost("L2", ALICE))
        .at("11:00", lead_won("L3", ALICE))
        .at("12:00", quote_sent("Q1", ALICE))
        .at("12:00", quote_sent("Q2", ALICE))
        .at("13:00", quote_accepted("Q1", ALICE))
        .at("13:00", quote_rejected("Q2", ALICE))
        .at("08:00", lead_assigned("L4", BOB, "2000"))
        .at("09:00", lead_contacted("L4", BOB))
        .at("12:00", quote_sent("Q3", BOB))
        .at("13:00", quote_accepted("Q3", BOB))
        .at("13:00", quote_accepted("Q4", BOB))
        .at("13:00", quote_expired("Q5", BOB));
    w
}

#[test]
fn win_rate_over_closed_leads() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Sales, "win_rate");
    assert_eq!((m.numerator, m.denominator), (Some(n(2)), Some(n(3))));
    assert_2dp(m.points, "23.33");
    let bob = w.person(BOB);
    let m = metric(&bob, Sales, "win_rate");
    assert_eq!((m.raw_value, m.denominator, m.points), (Some(n(0)), Some(n(0)), n(0)));
}

#[test]
fn pipeline_sums_distinct_leads_against_the_team() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Sales, "pipeline_value");
    assert_eq!((m.raw_value, m.team_baseline, m.points), (Some(n(4000)), Some(n(3000)), n(25)));
    let bob = w.person(BOB);
    let m = metric(&bob, Sales, "pipeline_value");
    assert_eq!((m.raw_value, m.team_baseline), (Some(n(2000)), Some(n(3000))));
    assert_2dp(m.points, "16.67");
}

#[test]
fn quote_acceptance_above_one_is_clamped() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Sales, "quote_acceptance_rate");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(2)), d("12.5")));
    let bob = w.person(BOB);
    let m = metric(&bob, Sales, "quote_acceptance_rate");
    assert_eq!((m.numerator, m.denominator, m.raw_value), (Some(n(2)), Some(n(1)), Some(n(2))));
    assert_eq!((m.points, m.max), (n(25), n(25)));
}

#[test]
fn activity_counts_contacts_against_the_team() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Sales, "lead_contacts");
    assert_eq!((m.raw_value, m.team_baseline, m.points), (Some(n(3)), Some(n(2)), n(15)));
    let bob = w.person(BOB);
    let m = metric(&bob, Sales, "lead_contacts");
    assert_eq!((m.raw_value, m.points), (Some(n(1)), d("7.5")));
}

#[test]
fn sales_domain_scores() {
    let w = world();
    assert_2dp(domain(&w.person(ALICE), Sales).raw_score, "75.83");
    assert_2dp(domain(&w.person(BOB), Sales).raw_score, "49.17");
}

/// Leads worth 0 and no contacts anywhere in the team: both team averages
/// are 0 → half points (12.5 and 7.5), with the baseline reported as 0.
#[test]
fn zero_team_averages_give_half_points() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Sales, &[ALICE, BOB])
        .at("08:00", lead_created("L1", ALICE, "0"))
        .at("08:00", quote_sent("Q1", BOB));
    for p in [ALICE, BOB] {
        let s = w.person(p);
        let pipeline = metric(&s, Sales, "pipeline_value");
        assert_eq!((pipeline.raw_value, pipeline.team_baseline, pipeline.points), (Some(n(0)), Some(n(0)), d("12.5")));
        let contacts = metric(&s, Sales, "lead_contacts");
        assert_eq!((contacts.team_baseline, contacts.points), (Some(n(0)), d("7.5")));
    }
}
