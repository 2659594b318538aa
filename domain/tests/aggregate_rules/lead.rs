//! Sales leads (§2 Sales).

use perfledger_domain::aggregates::Lead;
use perfledger_domain::catalog::{self as c, ActivityData as A};
use perfledger_domain::event::{self as e, EventBody as B};
use perfledger_domain::redaction::redact;
use rust_decimal_macros::dec;

use super::support::*;

const T0: &str = "2026-11-02T09:00:00Z";

fn created() -> A {
    A::LeadCreated(c::LeadCreated {
        lead_id: "L-1".into(),
        reference: None,
        owner_person_id: ALICE,
        estimated_value: dec!(1250.50),
    })
}
fn won() -> A {
    A::LeadWon(c::LeadWon { lead_id: "L-1".into() })
}
fn lost(reason: Option<&str>) -> A {
    A::LeadLost(c::LeadLost { lead_id: "L-1".into(), reason: reason.map(String::from) })
}
fn contacted() -> A {
    A::LeadContacted(c::LeadContacted { lead_id: "L-1".into(), person_id: ALICE, channel: "phone".into() })
}
fn assign(p: uuid::Uuid) -> A {
    A::LeadAssigned(c::LeadAssigned { lead_id: "L-1".into(), person_id: p })
}

#[test]
fn creation_is_recorded_and_a_second_is_rejected() {
    body_of(given_nothing::<Lead>(), act("c", T0, created()));
    rejected(given::<Lead>(vec![act("c", T0, created())]), act("c2", T0, created()), "data.lead_id", "already created");
}

#[test]
fn an_event_for_a_lead_never_created_is_rejected() {
    rejected(given_nothing::<Lead>(), act("k", T0, contacted()), "data.lead_id", "'L-1' was never created");
}

#[test]
fn an_event_before_creation_is_rejected() {
    rejected(
        given::<Lead>(vec![act("c", T0, created())]),
        act("k", "2026-11-01T09:00:00Z", contacted()),
        "occurred_at",
        "before lead",
    );
}

#[test]
fn assignment_carries_the_estimated_value_at_that_moment() {
    given::<Lead>(vec![act("c", T0, created())])
        .when(act("a", "2026-11-02T10:00:00Z", assign(BOB)))
        .then_expect_events(vec![event(
            "a",
            "2026-11-02T10:00:00Z",
            B::LeadAssigned(e::LeadAssigned { lead_id: "L-1".into(), person_id: BOB, estimated_value: dec!(1250.50) }),
        )]);
}

#[test]
fn winning_carries_the_owner() {
    let B::LeadWon(w) = body_of(given::<Lead>(vec![act("c", T0, created())]), act("w", "2026-11-03T09:00:00Z", won()))
    else {
        panic!()
    };
    assert_eq!(w.owner_person_id, ALICE);
}

#[test]
fn losing_carries_the_owner_after_reassignment_and_a_redacted_reason() {
    let history = vec![act("c", T0, created()), act("a", "2026-11-02T10:00:00Z", assign(BOB))];
    let reason = "went with a competitor, call 08031234567";
    let B::LeadLost(l) = body_of(given::<Lead>(history), act("l", "2026-11-03T09:00:00Z", lost(Some(reason)))) else {
        panic!()
    };
    assert_eq!(l.owner_person_id, BOB);
    assert_eq!(l.reason, Some(redact(reason)));
}

#[test]
fn a_won_lead_rejects_further_events() {
    let history = vec![act("c", T0, created()), act("w", "2026-11-03T09:00:00Z", won())];
    rejected(given::<Lead>(history), act("k", "2026-11-03T10:00:00Z", contacted()), "data.lead_id", "is won");
}

#[test]
fn a_lost_lead_rejects_further_events() {
    let history = vec![act("c", T0, created()), act("l", "2026-11-03T09:00:00Z", lost(None))];
    rejected(given::<Lead>(history), act("w", "2026-11-03T10:00:00Z", won()), "data.lead_id", "is lost");
}
