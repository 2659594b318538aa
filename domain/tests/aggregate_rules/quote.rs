//! Sales quotes (§2 Sales).

use perfledger_domain::aggregates::Quote;
use perfledger_domain::catalog::{self as c, ActivityData as A};
use perfledger_domain::event::{self as e, EventBody as B};
use rust_decimal_macros::dec;

use super::support::*;

const T0: &str = "2026-11-02T09:00:00Z";

fn sent() -> A {
    A::QuoteSent(c::QuoteSent {
        quote_id: "Q-1".into(),
        lead_id: Some("L-9".into()),
        owner_person_id: ALICE,
        total: dec!(99.95),
    })
}
fn q() -> c::QuoteRef {
    c::QuoteRef { quote_id: "Q-1".into() }
}

#[test]
fn sending_is_recorded_and_a_second_is_rejected() {
    body_of(given_nothing::<Quote>(), act("s", T0, sent()));
    rejected(given::<Quote>(vec![act("s", T0, sent())]), act("s2", T0, sent()), "data.quote_id", "already sent");
}

#[test]
fn an_outcome_for_a_quote_never_sent_is_rejected() {
    rejected(given_nothing::<Quote>(), act("a", T0, A::QuoteAccepted(q())), "data.quote_id", "'Q-1' was never sent");
}

#[test]
fn an_outcome_before_sending_is_rejected() {
    rejected(
        given::<Quote>(vec![act("s", T0, sent())]),
        act("a", "2026-11-01T09:00:00Z", A::QuoteAccepted(q())),
        "occurred_at",
        "before quote",
    );
}

#[test]
fn every_outcome_carries_the_owner() {
    let closed = e::QuoteClosed { quote_id: "Q-1".into(), owner_person_id: ALICE };
    let cases = [
        (A::QuoteAccepted(q()), B::QuoteAccepted(closed.clone())),
        (A::QuoteRejected(q()), B::QuoteRejected(closed.clone())),
        (A::QuoteExpired(q()), B::QuoteExpired(closed)),
    ];
    for (data, body) in cases {
        given::<Quote>(vec![act("s", T0, sent())])
            .when(act("x", "2026-11-03T09:00:00Z", data))
            .then_expect_events(vec![event("x", "2026-11-03T09:00:00Z", body)]);
    }
}

#[test]
fn a_closed_quote_rejects_further_outcomes() {
    for (first, word) in
        [(A::QuoteAccepted(q()), "accepted"), (A::QuoteRejected(q()), "rejected"), (A::QuoteExpired(q()), "expired")]
    {
        let history = vec![act("s", T0, sent()), act("x", "2026-11-03T09:00:00Z", first)];
        rejected(
            given::<Quote>(history),
            act("y", "2026-11-03T10:00:00Z", A::QuoteAccepted(q())),
            "data.quote_id",
            &format!("is {word}"),
        );
    }
}
