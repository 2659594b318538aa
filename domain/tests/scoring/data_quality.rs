//! Data quality (§3): contact completeness 40, organization completeness 25,
//! tagging 20, note thoroughness 15.

use perfledger_domain::catalog::ConversationChannel::Email;
use perfledger_domain::scoring::Domain::{Communication, DataQuality, Support};

use super::common::*;

/// Alice: contact K1 saved with 2 key fields, then with 5 key fields plus
/// "nickname" (her last save counts: 5); Bob later saves K1 with all 6 (not
/// hers). K2 saved with email twice and country_code (2 distinct key
/// fields). Organizations O1 with all 7 key fields, O2 with name only.
/// Resolutions: ticket T1 with 2 tags, ticket T2 with none, conversation C1
/// with 1 tag. Notes: ticket comments of 50 and 100 chars, a work-order
/// note of 300 chars.
///
/// - Contacts: (5/6 + 2/6) / 2 = 7/12 → 40 · 7/12 = 23.33.
/// - Organizations: (7/7 + 1/7) / 2 = 4/7 → 25 · 4/7 = 14.29.
/// - Tagging: 2 of 3 resolutions tagged → 13.33.
/// - Notes: mean (50 + 100 + 300) / 3 = 150 chars → 15 · min(1, 1.5) = 15.
/// - Domain: 1070/21 + 15 = 65.95.
///
/// Bob: K1 with 6 of 6 → 40; no organizations → 0; no resolutions → 0;
/// one 40-char comment → 15 · 0.4 = 6. Domain 46.
fn world() -> World {
    let mut w = World::new();
    w.at("09:00", contact_saved("K1", ALICE, &["email", "phone"]))
        .at("10:00", contact_saved("K1", ALICE, &["email", "phone", "first_name", "last_name", "city", "nickname"]))
        .at("11:00", contact_saved("K1", BOB, &["email", "phone", "first_name", "last_name", "city", "country_code"]))
        .at("09:30", contact_saved("K2", ALICE, &["email", "email", "country_code"]))
        .at("09:00", org_saved("O1", ALICE, &["name", "phone", "email", "domain", "industry", "city", "country_code"]))
        .at("09:00", org_saved("O2", ALICE, &["name", "vat_number"]))
        .at("12:00", ticket_resolved("T1", ALICE, 10, None, false, 2))
        .at("12:00", ticket_resolved("T2", ALICE, 10, None, false, 0))
        .at("12:00", conv_resolved("C1", Some(ALICE), 10, 1, Email))
        .at("13:00", ticket_commented("T1", ALICE, 50))
        .at("13:00", ticket_commented("T2", ALICE, 100))
        .at("13:00", wo_note("WO1", ALICE, 300))
        .at("13:00", ticket_commented("T1", BOB, 40));
    w
}

#[test]
fn contact_completeness_takes_each_contacts_own_last_save() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, DataQuality, "contact_completeness");
    assert_eq!((m.numerator, m.denominator), (Some(n(7)), Some(n(12))));
    assert_eq!(m.raw_value, Some(n(7) / n(12)));
    assert_2dp(m.points, "23.33");
    let bob = w.person(BOB);
    let m = metric(&bob, DataQuality, "contact_completeness");
    assert_eq!((m.raw_value, m.points), (Some(n(1)), n(40)));
}

#[test]
fn organization_completeness_over_seven_key_fields() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, DataQuality, "organization_completeness");
    assert_eq!((m.numerator, m.denominator, m.max), (Some(n(8)), Some(n(14)), n(25)));
    assert_2dp(m.points, "14.29");
    let bob = w.person(BOB);
    let m = metric(&bob, DataQuality, "organization_completeness");
    assert_eq!((m.raw_value, m.points), (None, n(0)));
}

#[test]
fn tagging_rate_over_ticket_and_conversation_resolutions() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, DataQuality, "tagging_rate");
    assert_eq!((m.numerator, m.denominator), (Some(n(2)), Some(n(3))));
    assert_2dp(m.points, "13.33");
    assert_eq!(points(&w.person(BOB), DataQuality, "tagging_rate"), n(0));
    // The resolutions are credited in their own domains too.
    assert_eq!(
        scored_domains(&alice),
        [Support, perfledger_domain::scoring::Domain::FieldService, Communication, DataQuality]
    );
}

#[test]
fn note_thoroughness_is_capped_at_100_chars() {
    let w = world();
    let alice = w.person(ALICE);
    let m = metric(&alice, DataQuality, "note_thoroughness");
    assert_eq!((m.raw_value, m.numerator, m.denominator, m.points), (Some(n(150)), Some(n(450)), Some(n(3)), n(15)));
    let bob = w.person(BOB);
    let m = metric(&bob, DataQuality, "note_thoroughness");
    assert_eq!((m.raw_value, m.points), (Some(n(40)), n(6)));
}

#[test]
fn data_quality_domain_scores() {
    let w = world();
    let alice = w.person(ALICE);
    assert_2dp(domain(&alice, DataQuality).raw_score, "65.95");
    assert_eq!(domain(&w.person(BOB), DataQuality).raw_score, n(46));
}

/// Only a save, no notes and no resolutions: tagging safe_div(0, 0) = 0,
/// notes 0 with no value.
#[test]
fn data_quality_with_nothing_but_a_save() {
    let mut w = World::new();
    w.at("09:00", org_saved("O1", CAROL, &["name", "phone", "email"]));
    let carol = w.person(CAROL);
    assert_eq!(points(&carol, DataQuality, "contact_completeness"), n(0));
    // 25 · 3/7
    assert_2dp(points(&carol, DataQuality, "organization_completeness"), "10.71");
    assert_eq!(metric(&carol, DataQuality, "note_thoroughness").raw_value, None);
    assert_eq!(domain(&carol, DataQuality).raw_score, n(25) * n(3) / n(7));
}
