//! Contacts and organizations (§2 Data quality).

use perfledger_domain::aggregates::{Contact, Organization};
use perfledger_domain::catalog::{self as c, ActivityData as A};

use super::support::*;

fn contact() -> A {
    A::ContactSaved(c::ContactSaved { contact_id: "C-1".into(), editor_person_id: ALICE, filled: vec!["email".into()] })
}
fn organization() -> A {
    A::OrganizationSaved(c::OrganizationSaved {
        organization_id: "O-1".into(),
        editor_person_id: BOB,
        filled: vec!["name".into(), "phone".into()],
    })
}

#[test]
fn a_first_contact_save_creates_it_and_later_saves_are_accepted() {
    body_of(given_nothing::<Contact>(), act("s1", "2026-11-02T09:00:00Z", contact()));
    body_of(
        given::<Contact>(vec![act("s1", "2026-11-02T09:00:00Z", contact())]),
        act("s2", "2026-11-02T09:00:00Z", contact()),
    );
}

#[test]
fn a_contact_save_before_its_first_save_is_rejected() {
    let history = vec![act("s1", "2026-11-02T09:00:00Z", contact())];
    rejected(
        given::<Contact>(history),
        act("s0", "2026-11-01T09:00:00Z", contact()),
        "occurred_at",
        "before contact 'C-1'",
    );
}

#[test]
fn a_first_organization_save_creates_it_and_later_saves_are_accepted() {
    body_of(given_nothing::<Organization>(), act("s1", "2026-11-02T09:00:00Z", organization()));
    body_of(
        given::<Organization>(vec![act("s1", "2026-11-02T09:00:00Z", organization())]),
        act("s2", "2026-11-05T09:00:00Z", organization()),
    );
}

#[test]
fn an_organization_save_before_its_first_save_is_rejected() {
    let history = vec![act("s1", "2026-11-02T09:00:00Z", organization())];
    rejected(
        given::<Organization>(history),
        act("s0", "2026-11-01T09:00:00Z", organization()),
        "occurred_at",
        "before organization 'O-1'",
    );
}
