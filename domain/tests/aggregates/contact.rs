//! Contacts (§2 Data quality): created by their first save.

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Contact;
use perfledger_domain::catalog::{self as c, ActivityData};

use super::support::*;

fn contact() -> TestFramework<Contact> {
    TestFramework::with(())
}

fn saved(filled: &[&str]) -> ActivityData {
    ActivityData::ContactSaved(c::ContactSaved {
        contact_id: "C-12".into(),
        editor_person_id: ALICE,
        filled: strings(filled),
    })
}

#[test]
fn the_first_save_creates_the_contact() {
    contact()
        .given_no_previous_events()
        .when(activity("save", "09:00", saved(&["email", "phone"])))
        .then_expect_events(vec![stored("save", "09:00", saved(&["email", "phone"]))]);
}

#[test]
fn a_later_save_is_accepted() {
    contact()
        .given(vec![stored("save", "09:00", saved(&["email"]))])
        .when(activity("save-2", "10:00", saved(&["email", "city", "nickname"])))
        .then_expect_events(vec![stored("save-2", "10:00", saved(&["email", "city", "nickname"]))]);
}

#[test]
fn a_save_at_the_time_of_the_first_is_accepted() {
    contact()
        .given(vec![stored("save", "09:00", saved(&["email"]))])
        .when(activity("save-2", "09:00", saved(&[])))
        .then_expect_events(vec![stored("save-2", "09:00", saved(&[]))]);
}

#[test]
fn a_save_earlier_than_the_first_is_rejected() {
    contact()
        .given(vec![stored("save", "09:00", saved(&["email"])), stored("save-2", "11:00", saved(&["phone"]))])
        .when(activity("save-0", "08:00", saved(&["city"])))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before contact 'C-12' was first saved ({})",
            rfc3339("08:00"),
            rfc3339("09:00")
        ));
}

#[test]
fn a_save_between_earlier_saves_is_accepted() {
    contact()
        .given(vec![stored("save", "09:00", saved(&["email"])), stored("save-2", "11:00", saved(&["phone"]))])
        .when(activity("save-3", "10:00", saved(&["city"])))
        .then_expect_events(vec![stored("save-3", "10:00", saved(&["city"]))]);
}
