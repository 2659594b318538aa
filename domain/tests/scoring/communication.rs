//! Communication (§3): first response 30 and resolution 25 (vs team),
//! volume 25 (vs team), channel coverage 20.

use perfledger_domain::catalog::ConversationChannel::{Email, Phone, Sms, Whatsapp};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::scoring::Domain::{Communication, Support};

use super::common::*;

/// Team A (support): Alice, Bob and Carol.
///
/// Alice: C1 (email) assigned, answered after 10 min, resolved in 100 min;
/// C2 (whatsapp) assigned, answered after 20 min, then a follow-up message
/// with no waiting customer message; C3 (sms) assigned only.
/// Bob: C4 (phone) answered after 45 min, resolved in 200 min; C5 (phone)
/// resolved in 300 min. Carol: support activity only (not scored in
/// communication, so no value for the volume average).
///
/// - First response: Alice x = (10 + 20) / 2 = 15, Bob 45, team 30 →
///   Alice 30 · (1 − 15/30) = 15, Bob 30 · (1 − 45/30) < 0 → 0.
/// - Resolution: Alice 100, Bob (200 + 300) / 2 = 250, team 175 →
///   Alice 25 · (1 − 100/175) = 10.714…, Bob 0.
/// - Volume: Alice 1, Bob 2, team 1.5 → Alice 25 · 1/1.5 = 16.67, Bob min(1, 2/1.5) → 25.
/// - Channels: team credited channels {email, whatsapp, sms, phone} = 4;
///   Alice sent on {email, whatsapp} → 20 · 2/4 = 10; Bob {phone} → 5.
/// - Domain: Alice 52.38, Bob 30.
fn world() -> World {
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Support, &[ALICE, BOB, CAROL])
        .at("08:00", conv_opened("C1", Email))
        .at("08:01", conv_assigned("C1", ALICE, Email))
        .at("08:05", conv_received("C1"))
        .at("08:15", conv_sent("C1", ALICE, Email, Some("10")))
        .at("09:45", conv_resolved("C1", Some(ALICE), 100, 0, Email))
        .at("08:00", conv_opened("C2", Whatsapp))
        .at("08:01", conv_assigned("C2", ALICE, Whatsapp))
        .at("08:10", conv_received("C2"))
        .at("08:30", conv_sent("C2", ALICE, Whatsapp, Some("20")))
        .at("08:35", conv_sent("C2", ALICE, Whatsapp, None))
        .at("08:00", conv_opened("C3", Sms))
        .at("08:01", conv_assigned("C3", ALICE, Sms))
        .at("08:00", conv_sent("C4", BOB, Phone, Some("45")))
        .at("11:20", conv_resolved("C4", Some(BOB), 200, 0, Phone))
        .at("13:00", conv_resolved("C5", Some(BOB), 300, 1, Phone))
        .at("09:00", ticket_assigned("T1", CAROL));
    w
}

#[test]
fn first_response_against_the_team_average() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Communication, "avg_first_response_minutes");
    assert_eq!((m.raw_value, m.numerator, m.denominator), (Some(n(15)), Some(n(30)), Some(n(2))));
    assert_eq!((m.team_baseline, m.points, m.max), (Some(n(30)), n(15), n(30)));
    assert_eq!(points(&w.person(BOB), Communication, "avg_first_response_minutes"), n(0));
}

#[test]
fn resolution_time_against_the_team_average() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Communication, "avg_resolution_minutes");
    assert_eq!((m.raw_value, m.team_baseline), (Some(n(100)), Some(n(175))));
    assert_2dp(m.points, "10.71");
    assert_eq!(m.points, n(25) * n(75) / n(175));
    let bob = w.person(BOB);
    let m = metric(&bob, Communication, "avg_resolution_minutes");
    assert_eq!((m.raw_value, m.points), (Some(n(250)), n(0)));
}

#[test]
fn volume_against_members_scored_in_communication() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Communication, "conversations_resolved");
    assert_eq!((m.raw_value, m.team_baseline), (Some(n(1)), Some(d("1.5"))));
    assert_2dp(m.points, "16.67");
    let bob = w.person(BOB);
    let m = metric(&bob, Communication, "conversations_resolved");
    assert_eq!((m.raw_value, m.points), (Some(n(2)), n(25)));
    // Carol is in the team but not scored in communication.
    assert_eq!(scored_domains(&w.person(CAROL)), [Support]);
}

#[test]
fn channel_coverage_over_the_team_channels() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, Communication, "channel_coverage");
    assert_eq!((m.numerator, m.denominator, m.raw_value, m.points), (Some(n(2)), Some(n(4)), Some(d("0.5")), n(10)));
    let bob = w.person(BOB);
    let m = metric(&bob, Communication, "channel_coverage");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(4)), n(5)));
}

#[test]
fn communication_domain_scores() {
    let w = world();
    // 15 + 10.714… + 16.666… + 10
    assert_2dp(domain(&w.person(ALICE), Communication).raw_score, "52.38");
    assert_eq!(domain(&w.person(BOB), Communication).raw_score, n(30));
}

/// A resolution with no assignee credits nobody; opened, received and
/// tagged credit nobody either.
#[test]
fn unassigned_resolution_credits_nobody() {
    let mut w = World::new();
    w.at("08:00", conv_opened("C9", Sms))
        .at("08:01", conv_received("C9"))
        .at("08:02", conv_tagged("C9"))
        .at("09:00", conv_resolved("C9", None, 59, 1, Sms));
    assert!(w.days().is_empty());
}
