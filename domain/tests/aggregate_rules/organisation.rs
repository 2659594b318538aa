//! People and teams (§2 Organisation).

use perfledger_domain::aggregates::{Person, Team};
use perfledger_domain::catalog::{self as c, ActivityData as A, TeamRole, TeamType};
use perfledger_domain::event::EventBody as B;
use uuid::Uuid;

use super::support::*;

const TEAM: Uuid = Uuid::from_u128(0x7ea);

fn upsert(active: bool) -> A {
    A::PersonUpserted(c::PersonUpserted {
        person_id: ALICE,
        display_name: "Alice".into(),
        title: None,
        is_active: active,
    })
}
fn grants() -> A {
    A::PersonPermissionsSet(c::PersonPermissionsSet {
        person_id: ALICE,
        roles: vec!["manager".into()],
        permissions: vec!["reports:operations".into()],
    })
}
fn team() -> A {
    A::TeamUpserted(c::TeamUpserted {
        team_id: TEAM,
        name: "Support".into(),
        team_type: TeamType::Support,
        manager_person_id: Some(ALICE),
        is_active: true,
    })
}
fn member() -> A {
    A::TeamMemberSet(c::TeamMemberSet { team_id: TEAM, person_id: BOB, role: TeamRole::Lead, is_active: true })
}

#[test]
fn a_person_may_be_upserted_again() {
    let data = upsert(false);
    let A::PersonUpserted(inner) = data.clone() else { unreachable!() };
    given::<Person>(vec![act("u1", "2026-11-02T09:00:00Z", upsert(true))])
        .when(act("u2", "2026-11-03T09:00:00Z", data))
        .then_expect_events(vec![event("u2", "2026-11-03T09:00:00Z", B::PersonUpserted(inner))]);
}

#[test]
fn permissions_may_arrive_before_the_person_is_upserted() {
    body_of(given_nothing::<Person>(), act("p", "2026-11-02T09:00:00Z", grants()));
}

#[test]
fn a_person_event_before_the_first_one_is_rejected() {
    rejected(
        given::<Person>(vec![act("u1", "2026-11-02T09:00:00Z", upsert(true))]),
        act("u0", "2026-11-01T09:00:00Z", upsert(true)),
        "occurred_at",
        "before person",
    );
}

#[test]
fn a_membership_on_a_team_never_upserted_is_rejected() {
    rejected(given_nothing::<Team>(), act("m", "2026-11-02T09:00:00Z", member()), "data.team_id", "was never upserted");
}

#[test]
fn a_membership_after_the_team_is_upserted_is_accepted() {
    let data = member();
    let A::TeamMemberSet(inner) = data.clone() else { unreachable!() };
    given::<Team>(vec![act("t", "2026-11-02T09:00:00Z", team())])
        .when(act("m", "2026-11-02T09:00:00Z", data))
        .then_expect_events(vec![event("m", "2026-11-02T09:00:00Z", B::TeamMemberSet(inner))]);
}

#[test]
fn a_team_event_before_the_team_was_upserted_is_rejected() {
    rejected(
        given::<Team>(vec![act("t", "2026-11-02T09:00:00Z", team())]),
        act("m", "2026-11-01T09:00:00Z", member()),
        "occurred_at",
        "before team",
    );
}
