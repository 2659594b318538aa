//! Tickets (§2 Support).

use perfledger_domain::aggregates::Ticket;
use perfledger_domain::catalog::{self as c, ActivityData as A};
use perfledger_domain::event::{self as e, EventBody as B};
use perfledger_domain::redaction::redact;
use rust_decimal_macros::dec;

use super::support::*;

fn opened(sla: Option<&str>, assignee: Option<uuid::Uuid>) -> A {
    A::TicketOpened(c::TicketOpened {
        ticket_id: "T-1".into(),
        reference: Some("#1".into()),
        priority: None,
        channel: None,
        sla_due_at: sla.map(at),
        assignee_person_id: assignee,
    })
}
fn assign(p: uuid::Uuid) -> A {
    A::TicketAssigned(c::TicketAssigned { ticket_id: "T-1".into(), person_id: p })
}
fn resolve() -> A {
    A::TicketResolved(c::TicketResolved { ticket_id: "T-1".into(), summary: None })
}
fn escalate() -> A {
    A::TicketEscalated(c::TicketEscalated { ticket_id: "T-1".into(), reason: None })
}
fn reopen() -> A {
    A::TicketReopened(c::TicketReopened { ticket_id: "T-1".into() })
}
fn rate(rating: u8) -> A {
    A::TicketRated(c::TicketRated { ticket_id: "T-1".into(), rating })
}
fn tag(tags: &[&str]) -> A {
    A::TicketTagged(c::TicketTagged { ticket_id: "T-1".into(), tags: tags.iter().map(|t| t.to_string()).collect() })
}
const T0: &str = "2026-11-02T09:00:00Z";

/// Opened at 09:00 with SLA due 12:00, assigned to Alice.
fn open_assigned() -> Vec<perfledger_domain::Activity> {
    vec![act("o", T0, opened(Some("2026-11-02T12:00:00Z"), Some(ALICE)))]
}
fn resolved_history() -> Vec<perfledger_domain::Activity> {
    let mut h = open_assigned();
    h.push(act("r", "2026-11-02T10:00:00Z", resolve()));
    h
}

#[test]
fn opening_records_the_ticket_as_sent() {
    let data = opened(None, None);
    let A::TicketOpened(inner) = data.clone() else { unreachable!() };
    given_nothing::<Ticket>().when(act("o", T0, data)).then_expect_events(vec![event("o", T0, B::TicketOpened(inner))]);
}

#[test]
fn a_second_opening_is_rejected() {
    rejected(given::<Ticket>(open_assigned()), act("o2", T0, opened(None, None)), "data.ticket_id", "already opened");
}

#[test]
fn an_event_for_a_ticket_never_opened_is_rejected_naming_it() {
    rejected(given_nothing::<Ticket>(), act("a", T0, assign(ALICE)), "data.ticket_id", "'T-1' was never opened");
}

#[test]
fn an_event_before_the_opening_is_rejected() {
    rejected(
        given::<Ticket>(open_assigned()),
        act("a", "2026-11-02T08:59:59Z", assign(BOB)),
        "occurred_at",
        "before ticket 'T-1'",
    );
}

#[test]
fn a_resolved_ticket_rejects_assignment() {
    rejected(
        given::<Ticket>(resolved_history()),
        act("a", "2026-11-02T11:00:00Z", assign(BOB)),
        "data.ticket_id",
        "is resolved",
    );
}

#[test]
fn a_resolved_ticket_rejects_escalation() {
    rejected(
        given::<Ticket>(resolved_history()),
        act("x", "2026-11-02T11:00:00Z", escalate()),
        "data.ticket_id",
        "is resolved",
    );
}

#[test]
fn a_resolved_ticket_rejects_a_second_resolution() {
    rejected(
        given::<Ticket>(resolved_history()),
        act("r2", "2026-11-02T11:00:00Z", resolve()),
        "data.ticket_id",
        "is resolved",
    );
}

#[test]
fn resolving_without_an_assignee_is_rejected() {
    let history = vec![act("o", T0, opened(None, None))];
    rejected(given::<Ticket>(history), act("r", "2026-11-02T10:00:00Z", resolve()), "data.ticket_id", "no assignee");
}

#[test]
fn resolution_carries_resolver_minutes_sla_escalation_and_tags() {
    given::<Ticket>(open_assigned()).when(act("r", "2026-11-02T10:30:00Z", resolve())).then_expect_events(vec![event(
        "r",
        "2026-11-02T10:30:00Z",
        B::TicketResolved(e::TicketResolved {
            ticket_id: "T-1".into(),
            summary: None,
            resolver_person_id: ALICE,
            resolution_minutes: dec!(90),
            sla_met: Some(true),
            was_escalated: false,
            tag_count: 0,
            reference: Some("#1".into()),
        }),
    )]);
}

#[test]
fn resolving_after_the_sla_is_not_met() {
    let B::TicketResolved(r) = body_of(given::<Ticket>(open_assigned()), act("r", "2026-11-02T12:00:01Z", resolve()))
    else {
        panic!()
    };
    assert_eq!(r.sla_met, Some(false));
}

#[test]
fn resolving_exactly_at_the_sla_meets_it() {
    let B::TicketResolved(r) = body_of(given::<Ticket>(open_assigned()), act("r", "2026-11-02T12:00:00Z", resolve()))
    else {
        panic!()
    };
    assert_eq!(r.sla_met, Some(true));
}

#[test]
fn without_an_sla_due_time_sla_met_is_null() {
    let history = vec![act("o", T0, opened(None, Some(ALICE)))];
    let B::TicketResolved(r) = body_of(given::<Ticket>(history), act("r", "2026-11-02T10:00:00Z", resolve())) else {
        panic!()
    };
    assert_eq!(r.sla_met, None);
}

#[test]
fn an_escalation_marks_the_resolution_as_escalated() {
    let mut history = open_assigned();
    history.push(act("x", "2026-11-02T09:10:00Z", escalate()));
    let B::TicketResolved(r) = body_of(given::<Ticket>(history), act("r", "2026-11-02T10:00:00Z", resolve())) else {
        panic!()
    };
    assert!(r.was_escalated);
}

#[test]
fn an_escalation_carries_the_assignee_at_that_moment() {
    let mut history = open_assigned();
    history.push(act("a", "2026-11-02T09:05:00Z", assign(BOB)));
    let B::TicketEscalated(x) = body_of(given::<Ticket>(history), act("x", "2026-11-02T09:10:00Z", escalate())) else {
        panic!()
    };
    assert_eq!(x.assignee_person_id, Some(BOB));
}

#[test]
fn resolution_minutes_count_from_the_original_opening_after_a_reopen() {
    let mut history = resolved_history();
    history.push(act("re", "2026-11-02T11:00:00Z", reopen()));
    let B::TicketResolved(r) = body_of(given::<Ticket>(history), act("r2", "2026-11-02T12:15:00Z", resolve())) else {
        panic!()
    };
    assert_eq!(r.resolution_minutes, dec!(195));
}

#[test]
fn reopening_an_unresolved_ticket_is_rejected() {
    rejected(
        given::<Ticket>(open_assigned()),
        act("re", "2026-11-02T11:00:00Z", reopen()),
        "data.ticket_id",
        "is not resolved",
    );
}

#[test]
fn rating_a_ticket_never_resolved_is_rejected() {
    rejected(
        given::<Ticket>(open_assigned()),
        act("s", "2026-11-02T11:00:00Z", rate(5)),
        "data.ticket_id",
        "never resolved",
    );
}

#[test]
fn a_rating_is_credited_to_the_last_resolver() {
    let mut history = resolved_history();
    history.push(act("re", "2026-11-02T11:00:00Z", reopen()));
    history.push(act("a", "2026-11-02T11:05:00Z", assign(BOB)));
    history.push(act("r2", "2026-11-02T11:30:00Z", resolve()));
    given::<Ticket>(history).when(act("s", "2026-11-02T12:00:00Z", rate(4))).then_expect_events(vec![event(
        "s",
        "2026-11-02T12:00:00Z",
        B::TicketRated(e::TicketRated { ticket_id: "T-1".into(), rating: 4, resolver_person_id: BOB }),
    )]);
}

#[test]
fn a_reopened_ticket_may_still_be_rated_for_its_earlier_resolution() {
    let mut history = resolved_history();
    history.push(act("re", "2026-11-02T11:00:00Z", reopen()));
    let B::TicketRated(r) = body_of(given::<Ticket>(history), act("s", "2026-11-02T12:00:00Z", rate(2))) else {
        panic!()
    };
    assert_eq!(r.resolver_person_id, ALICE);
}

#[test]
fn tagging_and_commenting_are_accepted_on_a_resolved_ticket() {
    body_of(given::<Ticket>(resolved_history()), act("t", "2026-11-02T11:00:00Z", tag(&["billing"])));
    let comment = A::TicketCommented(c::TicketCommented {
        ticket_id: "T-1".into(),
        person_id: ALICE,
        body_chars: 120,
        internal: true,
    });
    body_of(given::<Ticket>(resolved_history()), act("c", "2026-11-02T11:00:00Z", comment));
}

#[test]
fn tagging_replaces_the_tag_set_and_counts_distinct_tags() {
    let mut history = open_assigned();
    history.push(act("t1", "2026-11-02T09:01:00Z", tag(&["a", "b", "c"])));
    history.push(act("t2", "2026-11-02T09:02:00Z", tag(&["d", "d", "e"])));
    let B::TicketResolved(r) = body_of(given::<Ticket>(history), act("r", "2026-11-02T10:00:00Z", resolve())) else {
        panic!()
    };
    assert_eq!(r.tag_count, 2);
}

#[test]
fn the_summary_is_redacted_before_it_is_stored() {
    let text = "Reset the router for jane@example.com, call 08031234567";
    let data = A::TicketResolved(c::TicketResolved { ticket_id: "T-1".into(), summary: Some(text.into()) });
    let B::TicketResolved(r) = body_of(given::<Ticket>(open_assigned()), act("r", "2026-11-02T10:00:00Z", data)) else {
        panic!()
    };
    assert_eq!(r.summary.as_deref(), Some(redact(text).as_str()));
    assert!(!r.summary.unwrap().contains("jane@example.com"));
}

#[test]
fn another_entitys_event_is_refused() {
    let other = A::TaskBlocked(c::TaskRef { task_id: "T-1".into() });
    rejected(
        given::<Ticket>(open_assigned()),
        act("x", "2026-11-02T10:00:00Z", other),
        "type",
        "not an event of a ticket",
    );
}
