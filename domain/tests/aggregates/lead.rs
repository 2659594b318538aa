//! Sales leads (§1 causal order, §2 Sales).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Lead;
use perfledger_domain::catalog::{self as c, ActivityData};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::redaction::redact;
use perfledger_domain::LogEvent;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "L-31";

fn lead() -> TestFramework<Lead> {
    TestFramework::with(())
}

// ------------------------------------------------------------ what the CRM sends

fn created(owner: Uuid) -> ActivityData {
    ActivityData::LeadCreated(c::LeadCreated {
        lead_id: ID.into(),
        reference: Some("LEAD-31".into()),
        owner_person_id: owner,
        estimated_value: dec!(1250.50),
    })
}

fn assigned(person: Uuid) -> ActivityData {
    ActivityData::LeadAssigned(c::LeadAssigned { lead_id: ID.into(), person_id: person })
}

fn contacted(person: Uuid) -> ActivityData {
    ActivityData::LeadContacted(c::LeadContacted { lead_id: ID.into(), person_id: person, channel: "phone".into() })
}

fn won() -> ActivityData {
    ActivityData::LeadWon(c::LeadWon { lead_id: ID.into() })
}

fn lost(reason: Option<&str>) -> ActivityData {
    ActivityData::LeadLost(c::LeadLost { lead_id: ID.into(), reason: reason.map(Into::into) })
}

/// Every activity a created lead may receive.
fn every_later_activity() -> [ActivityData; 4] {
    [assigned(BOB), contacted(ALICE), won(), lost(None)]
}

// ------------------------------------------------------------ what the log stores

fn assignment(person: Uuid) -> EventBody {
    EventBody::LeadAssigned(e::LeadAssigned { lead_id: ID.into(), person_id: person, estimated_value: dec!(1250.50) })
}

fn closed(owner: Uuid) -> e::LeadClosed {
    e::LeadClosed { lead_id: ID.into(), reason: None, owner_person_id: owner }
}

/// Created at 09:00, owned by Alice, worth 1250.50.
fn created_for_alice() -> LogEvent {
    stored("create", "09:00", created(ALICE))
}

// ------------------------------------------------------------ creation and causal order

#[test]
fn creating_a_new_lead_is_accepted() {
    lead()
        .given_no_previous_events()
        .when(activity("create", "09:00", created(ALICE)))
        .then_expect_events(vec![created_for_alice()]);
}

#[test]
fn a_second_creation_is_rejected() {
    lead()
        .given(vec![created_for_alice()])
        .when(activity("create-2", "09:30", created(BOB)))
        .then_expect_error_message("data.lead_id: lead 'L-31' was already created");
}

#[test]
fn every_event_on_a_never_created_lead_is_rejected_naming_it() {
    for data in every_later_activity() {
        lead()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.lead_id: lead 'L-31' was never created");
    }
}

#[test]
fn an_event_before_the_creation_is_rejected() {
    lead().given(vec![created_for_alice()]).when(activity("won", "08:00", won())).then_expect_error_message(&format!(
        "occurred_at: {} is before lead 'L-31' was created ({})",
        rfc3339("08:00"),
        rfc3339("09:00")
    ));
}

#[test]
fn contact_is_accepted() {
    lead()
        .given(vec![created_for_alice()])
        .when(activity("call", "10:00", contacted(ALICE)))
        .then_expect_events(vec![stored("call", "10:00", contacted(ALICE))]);
}

// ------------------------------------------------------------ enrichment

#[test]
fn assignment_carries_the_estimated_value() {
    lead()
        .given(vec![created_for_alice()])
        .when(activity("assign", "10:00", assigned(BOB)))
        .then_expect_events(vec![event("assign", "10:00", assignment(BOB))]);
}

#[test]
fn winning_carries_the_owner() {
    lead().given(vec![created_for_alice()]).when(activity("won", "11:00", won())).then_expect_events(vec![event(
        "won",
        "11:00",
        EventBody::LeadWon(closed(ALICE)),
    )]);
}

#[test]
fn losing_carries_the_owner() {
    lead()
        .given(vec![created_for_alice()])
        .when(activity("lost", "11:00", lost(None)))
        .then_expect_events(vec![event("lost", "11:00", EventBody::LeadLost(closed(ALICE)))]);
}

#[test]
fn winning_after_reassignment_carries_the_new_owner() {
    lead()
        .given(vec![created_for_alice(), event("assign", "10:00", assignment(BOB))])
        .when(activity("won", "11:00", won()))
        .then_expect_events(vec![event("won", "11:00", EventBody::LeadWon(closed(BOB)))]);
}

#[test]
fn losing_after_reassignment_carries_the_new_owner() {
    lead()
        .given(vec![
            created_for_alice(),
            event("assign", "10:00", assignment(BOB)),
            event("assign-2", "10:30", assignment(CAROL)),
        ])
        .when(activity("lost", "11:00", lost(None)))
        .then_expect_events(vec![event("lost", "11:00", EventBody::LeadLost(closed(CAROL)))]);
}

#[test]
fn loss_reason_is_redacted() {
    let reason = "Went with a competitor, see mail from ceo@rival.example";
    let lost_event = e::LeadClosed { reason: Some(redact(reason)), ..closed(ALICE) };
    lead()
        .given(vec![created_for_alice()])
        .when(activity("lost", "11:00", lost(Some(reason))))
        .then_expect_events(vec![event("lost", "11:00", EventBody::LeadLost(lost_event))]);
}

// ------------------------------------------------------------ terminal states

#[test]
fn won_lead_rejects_every_event() {
    for data in every_later_activity() {
        lead()
            .given(vec![created_for_alice(), event("won", "11:00", EventBody::LeadWon(closed(ALICE)))])
            .when(activity("x", "12:00", data))
            .then_expect_error_message("data.lead_id: lead 'L-31' is won; no further events are accepted");
    }
}

#[test]
fn lost_lead_rejects_every_event() {
    for data in every_later_activity() {
        lead()
            .given(vec![created_for_alice(), event("lost", "11:00", EventBody::LeadLost(closed(ALICE)))])
            .when(activity("x", "12:00", data))
            .then_expect_error_message("data.lead_id: lead 'L-31' is lost; no further events are accepted");
    }
}
