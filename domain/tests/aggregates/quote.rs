//! Sales quotes (§1 causal order, §2 Sales).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Quote;
use perfledger_domain::catalog::{self as c, ActivityData};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::LogEvent;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "Q-8";

fn quote() -> TestFramework<Quote> {
    TestFramework::with(())
}

fn sent(owner: Uuid) -> ActivityData {
    ActivityData::QuoteSent(c::QuoteSent {
        quote_id: ID.into(),
        lead_id: Some("L-31".into()),
        owner_person_id: owner,
        total: dec!(4800.00),
    })
}

fn accepted() -> ActivityData {
    ActivityData::QuoteAccepted(c::QuoteRef { quote_id: ID.into() })
}

fn rejected() -> ActivityData {
    ActivityData::QuoteRejected(c::QuoteRef { quote_id: ID.into() })
}

fn expired() -> ActivityData {
    ActivityData::QuoteExpired(c::QuoteRef { quote_id: ID.into() })
}

fn closed(owner: Uuid) -> e::QuoteClosed {
    e::QuoteClosed { quote_id: ID.into(), owner_person_id: owner }
}

/// Sent at 09:00 by Alice.
fn sent_by_alice() -> LogEvent {
    stored("send", "09:00", sent(ALICE))
}

/// After `closing`, every closing event is refused as `is {outcome}`.
fn closed_quote_rejects_everything(closing: EventBody, outcome: &str) {
    for data in [accepted(), rejected(), expired()] {
        quote()
            .given(vec![sent_by_alice(), event("close", "10:00", closing.clone())])
            .when(activity("x", "11:00", data))
            .then_expect_error_message(&format!(
                "data.quote_id: quote 'Q-8' is {outcome}; no further events are accepted"
            ));
    }
}

#[test]
fn sending_a_new_quote_is_accepted() {
    quote()
        .given_no_previous_events()
        .when(activity("send", "09:00", sent(ALICE)))
        .then_expect_events(vec![sent_by_alice()]);
}

#[test]
fn a_second_sending_is_rejected() {
    quote()
        .given(vec![sent_by_alice()])
        .when(activity("send-2", "09:30", sent(BOB)))
        .then_expect_error_message("data.quote_id: quote 'Q-8' was already sent");
}

#[test]
fn every_event_on_a_never_sent_quote_is_rejected_naming_it() {
    for data in [accepted(), rejected(), expired()] {
        quote()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.quote_id: quote 'Q-8' was never sent");
    }
}

#[test]
fn an_event_before_the_sending_is_rejected() {
    quote().given(vec![sent_by_alice()]).when(activity("yes", "08:00", accepted())).then_expect_error_message(
        &format!("occurred_at: {} is before quote 'Q-8' was sent ({})", rfc3339("08:00"), rfc3339("09:00")),
    );
}

#[test]
fn acceptance_carries_the_owner() {
    quote().given(vec![sent_by_alice()]).when(activity("yes", "10:00", accepted())).then_expect_events(vec![event(
        "yes",
        "10:00",
        EventBody::QuoteAccepted(closed(ALICE)),
    )]);
}

#[test]
fn rejection_carries_the_owner() {
    quote().given(vec![sent_by_alice()]).when(activity("no", "10:00", rejected())).then_expect_events(vec![event(
        "no",
        "10:00",
        EventBody::QuoteRejected(closed(ALICE)),
    )]);
}

#[test]
fn expiry_carries_the_owner() {
    quote().given(vec![sent_by_alice()]).when(activity("gone", "10:00", expired())).then_expect_events(vec![event(
        "gone",
        "10:00",
        EventBody::QuoteExpired(closed(ALICE)),
    )]);
}

#[test]
fn accepted_quote_rejects_every_event() {
    closed_quote_rejects_everything(EventBody::QuoteAccepted(closed(ALICE)), "accepted");
}

#[test]
fn rejected_quote_rejects_every_event() {
    closed_quote_rejects_everything(EventBody::QuoteRejected(closed(ALICE)), "rejected");
}

#[test]
fn expired_quote_rejects_every_event() {
    closed_quote_rejects_everything(EventBody::QuoteExpired(closed(ALICE)), "expired");
}

#[test]
fn closed_quote_rejects_a_second_sending() {
    quote()
        .given(vec![sent_by_alice(), event("yes", "10:00", EventBody::QuoteAccepted(closed(ALICE)))])
        .when(activity("send-2", "11:00", sent(ALICE)))
        .then_expect_error_message("data.quote_id: quote 'Q-8' was already sent");
}
