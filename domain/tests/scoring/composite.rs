//! The composite (§4, D7, D8): weighted mean over the scored domains, with
//! the weight map chosen by team type, sales profile or the default.

use perfledger_domain::catalog::TeamType;
use perfledger_domain::scoring::Domain::{self, DataQuality, Operations, Sales, Support};
use perfledger_domain::settings::{weights, WeightSource};

use super::common::*;

/// Alice alone in her pool: T1 assigned, T1 resolved in 60 min within SLA
/// with a tag (credited to support and data quality, one event), L1
/// contacted three times.
///
/// - Support: SLA 40 + resolution 30 · (1 − 60/60) = 0 + escalation 20 + CSAT 0 = 60.
/// - Data quality: contacts 0 + organizations 0 + tagging 1/1 → 20 + notes 0 = 20.
/// - Sales: win 0 + pipeline (no leads, team 0) 12.5 + quotes 0 + contacts 3 of team 3 → 15 = 27.5.
/// - sales_activity_ratio: 3 sales events of 5 distinct events = 0.6.
fn world(team: Option<TeamType>) -> World {
    let mut w = World::new();
    if let Some(team_type) = team {
        w.team(TEAM_A, team_type, &[ALICE]);
    }
    w.at("08:00", ticket_assigned("T1", ALICE))
        .at("09:00", ticket_resolved("T1", ALICE, 60, Some(true), false, 1))
        .at("10:00", lead_contacted("L1", ALICE))
        .at("10:10", lead_contacted("L1", ALICE))
        .at("10:20", lead_contacted("L1", ALICE));
    w
}

fn weight_of(score: &perfledger_domain::scoring::formulas::PersonScore, d: Domain) -> rust_decimal::Decimal {
    domain(score, d).weight
}

#[test]
fn domain_scores_and_ratio_of_the_composite_world() {
    let alice = world(None).person(ALICE);
    assert_eq!(scored_domains(&alice), [Support, Sales, DataQuality]);
    assert_eq!(domain(&alice, Support).raw_score, n(60));
    assert_eq!(domain(&alice, Sales).raw_score, d("27.5"));
    assert_eq!(domain(&alice, DataQuality).raw_score, n(20));
    assert_eq!(alice.sales_activity_ratio, d("0.6"));
    assert_eq!((alice.first_position, alice.last_position), (1, 5));
}

/// No team: domain_weights (support 20, sales 20, data quality 10 over the
/// scored domains; operations etc. not scored, so not in the sum):
/// (60·20 + 27.5·20 + 20·10) / 50 = 39.
#[test]
fn default_weights_without_a_team() {
    let alice = world(None).person(ALICE);
    assert_eq!(alice.weight_source, WeightSource::Default);
    assert_eq!(alice.composite, n(39));
    assert_eq!(domain(&alice, Support).weighted_score, n(24));
    assert_eq!(domain(&alice, Sales).weighted_score, n(11));
    assert_eq!(domain(&alice, DataQuality).weighted_score, n(4));
    assert_eq!(
        (weight_of(&alice, Support), weight_of(&alice, Sales), weight_of(&alice, DataQuality)),
        (d("0.4"), d("0.4"), d("0.2"))
    );
    assert_eq!(alice.weight_map, weights([20, 15, 15, 20, 20, 10]));
}

/// Support team, built-in column 30/10/5/30/15/10:
/// (60·30 + 27.5·15 + 20·10) / 55 = 2412.5 / 55 = 43.86.
#[test]
fn support_team_built_in_weights() {
    let alice = world(Some(TeamType::Support)).person(ALICE);
    assert_eq!((alice.weight_source, alice.team_type), (WeightSource::TeamType, Some(TeamType::Support)));
    assert_2dp(alice.composite, "43.86");
    assert_eq!(alice.composite, d("2412.5") / n(55));
}

/// Operations team, 15/25/20/15/15/10: (60·15 + 27.5·15 + 20·10) / 40 = 37.8125.
#[test]
fn operations_team_built_in_weights() {
    let alice = world(Some(TeamType::Operations)).person(ALICE);
    assert_eq!(alice.weight_source, WeightSource::TeamType);
    assert_eq!(alice.composite, d("37.8125"));
    assert_2dp(alice.composite, "37.81");
}

/// Field service team, 10/15/35/10/20/10: (60·10 + 27.5·20 + 20·10) / 40 = 33.75.
#[test]
fn field_service_team_built_in_weights() {
    let alice = world(Some(TeamType::FieldService)).person(ALICE);
    assert_eq!(alice.composite, d("33.75"));
    assert_eq!(weight_of(&alice, Sales), d("0.5"));
}

/// A `domain_weights_support` setting replaces the built-in column:
/// 10/0/0/0/10/30 → (60·10 + 27.5·10 + 20·30) / 50 = 29.5.
#[test]
fn a_team_type_setting_replaces_the_built_in_column() {
    let mut w = world(Some(TeamType::Support));
    w.settings.domain_weights_support = Some(weights([10, 0, 0, 0, 10, 30]));
    let alice = w.person(ALICE);
    assert_eq!(alice.weight_source, WeightSource::TeamType);
    assert_eq!(alice.composite, d("29.5"));
    // A setting for another type changes nothing here.
    let mut w = world(Some(TeamType::Support));
    w.settings.domain_weights_operations = Some(weights([10, 0, 0, 0, 10, 30]));
    assert_2dp(w.person(ALICE).composite, "43.86");
}

/// Sales profile 10/0/0/0/70/20, ratio 0.6 ≥ 0.5, support team (not sales):
/// (60·10 + 27.5·70 + 20·20) / 100 = 29.25.
#[test]
fn sales_profile_applies_above_the_ratio_outside_sales_teams() {
    let mut w = world(Some(TeamType::Support));
    w.settings.domain_weights_sales_profile = Some(weights([10, 0, 0, 0, 70, 20]));
    let alice = w.person(ALICE);
    assert_eq!(alice.weight_source, WeightSource::SalesProfile);
    assert_eq!(alice.composite, d("29.25"));
    // Without a team too.
    let mut w = world(None);
    w.settings.domain_weights_sales_profile = Some(weights([10, 0, 0, 0, 70, 20]));
    assert_eq!(w.person(ALICE).composite, d("29.25"));
    // At exactly the minimum ratio it still applies (>=).
    w.settings.sales_profile_min_ratio = d("0.6");
    assert_eq!(w.person(ALICE).weight_source, WeightSource::SalesProfile);
}

/// The profile is not applied to a sales team (it uses domain_weights: 39),
/// nor below the minimum ratio (the support column: 43.86).
#[test]
fn sales_profile_not_applied_to_sales_teams_or_below_the_ratio() {
    let mut w = world(Some(TeamType::Sales));
    w.settings.domain_weights_sales_profile = Some(weights([10, 0, 0, 0, 70, 20]));
    let alice = w.person(ALICE);
    assert_eq!((alice.weight_source, alice.composite), (WeightSource::Default, n(39)));

    let mut w = world(Some(TeamType::Support));
    w.settings.domain_weights_sales_profile = Some(weights([10, 0, 0, 0, 70, 20]));
    w.settings.sales_profile_min_ratio = d("0.61");
    let alice = w.person(ALICE);
    assert_eq!(alice.weight_source, WeightSource::TeamType);
    assert_2dp(alice.composite, "43.86");
}

/// Teams of type other use domain_weights.
#[test]
fn other_teams_use_the_default_weights() {
    let alice = world(Some(TeamType::Other)).person(ALICE);
    assert_eq!((alice.weight_source, alice.composite), (WeightSource::Default, n(39)));
}

/// Only support is scored: operations and the rest have no score (D7), and
/// the composite is the support score with weight 1.
#[test]
fn a_missing_domain_is_not_scored_and_not_weighted() {
    let mut w = World::new();
    w.at("09:00", ticket_resolved("T1", ALICE, 60, Some(true), false, 0)).at("09:00", task_assigned("X", BOB));
    let alice = w.person(ALICE);
    // The resolution is also a data quality event: tagging 0 → 0.
    assert_eq!(scored_domains(&alice), [Support, DataQuality]);
    // Support 60 (pool: Alice and Bob, only Alice resolved → her own average),
    // data quality 0: (60·20 + 0·10) / 30 = 40.
    assert_eq!(alice.composite, n(40));
    let bob = w.person(BOB);
    assert_eq!(scored_domains(&bob), [Operations]);
    // Completion 0/1, on time 0, effort 0, not blocked 15 → composite 15, weight 1.
    assert_eq!((bob.composite, weight_of(&bob, Operations)), (n(15), n(1)));
    assert_eq!(domain(&bob, Operations).weighted_score, n(15));
}

/// Σw over the scored domains is 0: safe_div gives a composite of 0 and
/// weights of 0.
#[test]
fn zero_total_weight_gives_a_zero_composite() {
    let mut w = world(None);
    w.settings.domain_weights = weights([0, 15, 15, 20, 0, 0]);
    let alice = w.person(ALICE);
    assert_eq!(alice.composite, n(0));
    assert!(alice.domains.iter().all(|d| d.weight == n(0) && d.weighted_score == n(0)));
    assert_eq!(domain(&alice, Support).raw_score, n(60));
}

/// People with no activity are not scored; output is sorted by person_id.
#[test]
fn output_is_sorted_and_skips_people_without_a_scored_domain() {
    let mut w = World::new();
    w.at("09:00", task_assigned("X", ERIN)).at("09:00", task_assigned("Y", BOB)).at("09:00", task_assigned("Z", DAVE));
    w.idle.insert(ALICE);
    let ids: Vec<_> = w.score().iter().map(|s| s.person_id).collect();
    let mut sorted = vec![BOB, DAVE, ERIN];
    sorted.sort();
    assert_eq!(ids, sorted);
}
