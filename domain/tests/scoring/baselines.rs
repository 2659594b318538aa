//! The team average and the baseline rule (§3, D9): who is averaged with
//! whom, and what happens when the average is unavailable or ≤ 0.

use perfledger_domain::catalog::ConversationChannel::{Email, Phone, Sms};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::scoring::Domain::{Communication, Support};

use super::common::*;

/// Nobody in the team resolved anything: the resolution average is
/// unavailable → half of 30 for everyone, with no baseline reported.
#[test]
fn unavailable_team_average_gives_half_points() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .at("09:00", ticket_assigned("T1", ALICE))
        .at("09:00", ticket_assigned("T2", BOB));
    for p in [ALICE, BOB] {
        let s = w.person(p);
        let m = metric(&s, Support, "avg_resolution_minutes");
        assert_eq!((m.raw_value, m.team_baseline, m.points), (None, None, n(15)));
    }
}

/// Everyone resolved instantly: the average is 0 → half points, baseline 0.
#[test]
fn team_average_of_zero_gives_half_points() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .at("09:00", ticket_resolved("T1", ALICE, 0, None, false, 0))
        .at("09:00", ticket_resolved("T2", BOB, 0, None, false, 0));
    let s = w.person(ALICE);
    let m = metric(&s, Support, "avg_resolution_minutes");
    assert_eq!((m.raw_value, m.team_baseline, m.points), (Some(n(0)), Some(n(0)), n(15)));
}

/// Alice resolved nothing, Bob's 60 min make the average 60: Alice has no
/// value while the team has one → 0. Bob equals the average → 30 · (1 − 1) = 0.
#[test]
fn no_value_while_the_team_has_one_scores_zero() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .at("09:00", ticket_assigned("T1", ALICE))
        .at("09:00", ticket_resolved("T2", BOB, 60, None, false, 0));
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "avg_resolution_minutes");
    assert_eq!((m.raw_value, m.team_baseline, m.points), (None, Some(n(60)), n(0)));
    assert_eq!(points(&w.person(BOB), Support, "avg_resolution_minutes"), n(0));
}

/// The same rule for communication: nobody answered a waiting message
/// (first response unavailable → 15), nobody resolved (resolution
/// unavailable → 12.5; volume: everyone has 0, average 0 → 12.5).
#[test]
fn communication_baselines_unavailable_or_zero() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .at("09:00", conv_assigned("C1", ALICE, Email))
        .at("09:00", conv_sent("C2", BOB, Email, None));
    let alice = w.person(ALICE);
    assert_eq!(points(&alice, Communication, "avg_first_response_minutes"), n(15));
    assert_eq!(points(&alice, Communication, "avg_resolution_minutes"), d("12.5"));
    let volume = metric(&alice, Communication, "conversations_resolved");
    assert_eq!((volume.raw_value, volume.team_baseline, volume.points), (Some(n(0)), Some(n(0)), d("12.5")));
    // Alice sent nothing: 0 of the team's one channel; Bob 1 of 1.
    assert_eq!(points(&alice, Communication, "channel_coverage"), n(0));
    assert_eq!(points(&w.person(BOB), Communication, "channel_coverage"), n(20));
}

/// Bob is a member of teams A and B; his scoring team is A. He counts in
/// both averages: team A = (60 + 120) / 2 = 90 → Alice 30 · (1 − 60/90) = 10;
/// team B = (120 + 30) / 2 = 75 → Carol 30 · (1 − 30/75) = 18 (alone she
/// would be her own average and get 0).
#[test]
fn a_person_in_two_teams_counts_in_both_averages() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB])
        .team(TEAM_B, TeamType::Operations, &[BOB, CAROL])
        .scoring(BOB, TEAM_A)
        .scoring(CAROL, TEAM_B)
        .at("09:00", ticket_resolved("T1", ALICE, 60, None, false, 0))
        .at("09:00", ticket_resolved("T2", BOB, 120, None, false, 0))
        .at("09:00", ticket_resolved("T3", CAROL, 30, None, false, 0));
    let alice = w.person(ALICE);
    let m = metric(&alice, Support, "avg_resolution_minutes");
    assert_eq!((m.team_baseline, m.points), (Some(n(90)), n(10)));
    let carol = w.person(CAROL);
    let m = metric(&carol, Support, "avg_resolution_minutes");
    assert_eq!((m.team_baseline, m.points), (Some(n(75)), n(18)));
    let bob = w.person(BOB);
    assert_eq!((bob.team_id, bob.team_type), (Some(TEAM_A), Some(TeamType::Support)));
    assert_eq!(metric(&bob, Support, "avg_resolution_minutes").team_baseline, Some(n(90)));
}

/// Dave and Erin have no team: they are averaged together, and with nobody
/// in a team (Alice's 10 min do not count). (40 + 80) / 2 = 60 → Dave
/// 30 · (1 − 40/60) = 10, Erin 0. Their channel pool is theirs too: Dave sent
/// on email, Erin was assigned an sms conversation, Alice's phone is not
/// theirs → Dave 20 · 1/2 = 10.
#[test]
fn people_without_a_team_are_pooled_together() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE])
        .at("09:00", ticket_resolved("T1", ALICE, 10, None, false, 0))
        .at("09:00", ticket_resolved("T2", DAVE, 40, None, false, 0))
        .at("09:00", ticket_resolved("T3", ERIN, 80, None, false, 0))
        .at("09:00", conv_sent("C1", DAVE, Email, None))
        .at("09:00", conv_assigned("C2", ERIN, Sms))
        .at("09:00", conv_sent("C3", ALICE, Phone, None));
    let dave = w.person(DAVE);
    assert_eq!((dave.team_id, dave.team_type), (None, None));
    let m = metric(&dave, Support, "avg_resolution_minutes");
    assert_eq!((m.team_baseline, m.points), (Some(n(60)), n(10)));
    assert_eq!(points(&w.person(ERIN), Support, "avg_resolution_minutes"), n(0));
    let m = metric(&dave, Communication, "channel_coverage");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(2)), n(10)));
    // Alice alone: her own average → 30 · (1 − 10/10) = 0; coverage 1 of 1.
    let alice = w.person(ALICE);
    assert_eq!(metric(&alice, Support, "avg_resolution_minutes").team_baseline, Some(n(10)));
    assert_eq!(points(&alice, Communication, "channel_coverage"), n(20));
}

/// Frank is a member of team A but inactive at the end of the period, so he
/// is not in the input: his 1000 min and his channels are left out.
#[test]
fn inactive_members_are_left_out_of_averages_and_channels() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, FRANK])
        .at("09:00", ticket_resolved("T1", ALICE, 50, None, false, 0))
        .at("09:00", ticket_resolved("T2", FRANK, 1000, None, false, 0))
        .at("09:00", conv_sent("C1", ALICE, Email, None))
        .at("09:00", conv_assigned("C2", FRANK, Sms));
    w.inactive.insert(FRANK);
    let scores = w.score();
    assert_eq!(scores.iter().map(|s| s.person_id).collect::<Vec<_>>(), [ALICE]);
    let alice = &scores[0];
    assert_eq!(metric(alice, Support, "avg_resolution_minutes").team_baseline, Some(n(50)));
    assert_eq!(metric(alice, Communication, "channel_coverage").denominator, Some(n(1)));
}

/// A member in the input with no activity in a domain has no value there:
/// Carol (idle) does not drag the volume average to 0.5.
#[test]
fn members_not_scored_in_a_domain_have_no_value() {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, CAROL]).at("09:00", conv_resolved("C1", Some(ALICE), 5, 0, Email));
    w.idle.insert(CAROL);
    let scores = w.score();
    assert_eq!(scores.len(), 1, "Carol has no scored domain and no snapshot");
    let m = metric(&scores[0], Communication, "conversations_resolved");
    assert_eq!((m.team_baseline, m.points), (Some(n(1)), n(25)));
}
