//! Teams (§2 Organisation): upserts repeat; a team is created by its first
//! `team.upserted`, and memberships need it.

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Team;
use perfledger_domain::catalog::{self as c, ActivityData, TeamRole, TeamType};
use uuid::Uuid;

use super::support::*;

const TEAM: Uuid = Uuid::from_u128(0x7ea3);

fn team() -> TestFramework<Team> {
    TestFramework::with(())
}

fn upserted(name: &str) -> ActivityData {
    ActivityData::TeamUpserted(c::TeamUpserted {
        team_id: TEAM,
        name: name.into(),
        team_type: TeamType::Support,
        manager_person_id: Some(CAROL),
        is_active: true,
    })
}

fn member_set(person: Uuid, role: TeamRole) -> ActivityData {
    ActivityData::TeamMemberSet(c::TeamMemberSet { team_id: TEAM, person_id: person, role, is_active: true })
}

#[test]
fn the_first_upsert_is_accepted() {
    team()
        .given_no_previous_events()
        .when(activity("up", "09:00", upserted("Support Lagos")))
        .then_expect_events(vec![stored("up", "09:00", upserted("Support Lagos"))]);
}

#[test]
fn upserts_repeat() {
    team()
        .given(vec![stored("up", "09:00", upserted("Support Lagos"))])
        .when(activity("up-2", "10:00", upserted("Support West")))
        .then_expect_events(vec![stored("up-2", "10:00", upserted("Support West"))]);
}

#[test]
fn member_set_on_a_never_upserted_team_is_rejected_naming_it() {
    team()
        .given_no_previous_events()
        .when(activity("member", "09:00", member_set(ALICE, TeamRole::Member)))
        .then_expect_error_message(&format!("data.team_id: team '{TEAM}' was never upserted"));
}

#[test]
fn member_set_after_an_upsert_is_accepted() {
    team()
        .given(vec![stored("up", "09:00", upserted("Support Lagos"))])
        .when(activity("member", "09:30", member_set(ALICE, TeamRole::Lead)))
        .then_expect_events(vec![stored("member", "09:30", member_set(ALICE, TeamRole::Lead))]);
}

#[test]
fn member_set_repeats_for_the_same_person() {
    team()
        .given(vec![
            stored("up", "09:00", upserted("Support Lagos")),
            stored("m", "09:30", member_set(ALICE, TeamRole::Member)),
        ])
        .when(activity("m-2", "10:00", member_set(ALICE, TeamRole::Manager)))
        .then_expect_events(vec![stored("m-2", "10:00", member_set(ALICE, TeamRole::Manager))]);
}

#[test]
fn member_set_before_the_team_was_upserted_is_rejected() {
    team()
        .given(vec![stored("up", "09:00", upserted("Support Lagos"))])
        .when(activity("member", "08:00", member_set(ALICE, TeamRole::Member)))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before team '{TEAM}' was upserted ({})",
            rfc3339("08:00"),
            rfc3339("09:00")
        ));
}

#[test]
fn an_upsert_before_the_first_upsert_is_rejected() {
    team()
        .given(vec![stored("up", "09:00", upserted("Support Lagos"))])
        .when(activity("up-0", "08:00", upserted("Support")))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before team '{TEAM}' was first upserted ({})",
            rfc3339("08:00"),
            rfc3339("09:00")
        ));
}
