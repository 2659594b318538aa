//! People (§2 Organisation): upserts repeat; a person exists from their first
//! event of either kind.

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Person;
use perfledger_domain::catalog::{self as c, ActivityData};

use super::support::*;

fn person() -> TestFramework<Person> {
    TestFramework::with(())
}

fn upserted(display_name: &str, is_active: bool) -> ActivityData {
    ActivityData::PersonUpserted(c::PersonUpserted {
        person_id: ALICE,
        display_name: display_name.into(),
        title: Some("Support engineer".into()),
        is_active,
    })
}

fn permissions_set(permissions: &[&str]) -> ActivityData {
    ActivityData::PersonPermissionsSet(c::PersonPermissionsSet {
        person_id: ALICE,
        roles: strings(&["agent"]),
        permissions: strings(permissions),
    })
}

#[test]
fn the_first_upsert_is_accepted() {
    person()
        .given_no_previous_events()
        .when(activity("up", "09:00", upserted("Alice", true)))
        .then_expect_events(vec![stored("up", "09:00", upserted("Alice", true))]);
}

#[test]
fn upserts_repeat() {
    person()
        .given(vec![stored("up", "09:00", upserted("Alice", true))])
        .when(activity("up-2", "10:00", upserted("Alice Smith", false)))
        .then_expect_events(vec![stored("up-2", "10:00", upserted("Alice Smith", false))]);
}

#[test]
fn permissions_before_any_upsert_are_accepted() {
    person()
        .given_no_previous_events()
        .when(activity("perm", "09:00", permissions_set(&["scores.read.team"])))
        .then_expect_events(vec![stored("perm", "09:00", permissions_set(&["scores.read.team"]))]);
}

#[test]
fn an_upsert_after_permissions_is_accepted() {
    person()
        .given(vec![stored("perm", "09:00", permissions_set(&["scores.read.team"]))])
        .when(activity("up", "09:30", upserted("Alice", true)))
        .then_expect_events(vec![stored("up", "09:30", upserted("Alice", true))]);
}

#[test]
fn an_upsert_before_the_person_was_first_seen_is_rejected() {
    person()
        .given(vec![stored("up", "09:00", upserted("Alice", true))])
        .when(activity("up-0", "08:00", upserted("Alice", true)))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before person '{ALICE}' was first seen ({})",
            rfc3339("08:00"),
            rfc3339("09:00")
        ));
}

#[test]
fn permissions_before_the_person_was_first_seen_are_rejected() {
    person()
        .given(vec![stored("perm", "09:00", permissions_set(&[])), stored("up", "10:00", upserted("Alice", true))])
        .when(activity("perm-0", "08:59", permissions_set(&["scores.read.all"])))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before person '{ALICE}' was first seen ({})",
            rfc3339("08:59"),
            rfc3339("09:00")
        ));
}
