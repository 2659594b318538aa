//! Tickets (§1 causal order, §2 Support).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Ticket;
use perfledger_domain::catalog::{self as c, ActivityData};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::redaction::redact;
use perfledger_domain::LogEvent;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "T-1042";

fn ticket() -> TestFramework<Ticket> {
    TestFramework::with(())
}

// ------------------------------------------------------------ what the CRM sends

fn opened(assignee: Option<Uuid>, sla_due_at: Option<&str>) -> ActivityData {
    ActivityData::TicketOpened(c::TicketOpened {
        ticket_id: ID.into(),
        reference: Some("#1042".into()),
        priority: Some("high".into()),
        channel: Some("email".into()),
        sla_due_at: sla_due_at.map(at),
        assignee_person_id: assignee,
    })
}

fn assigned(person: Uuid) -> ActivityData {
    ActivityData::TicketAssigned(c::TicketAssigned { ticket_id: ID.into(), person_id: person })
}

fn escalated(reason: Option<&str>) -> ActivityData {
    ActivityData::TicketEscalated(c::TicketEscalated { ticket_id: ID.into(), reason: reason.map(Into::into) })
}

fn tagged(tags: &[&str]) -> ActivityData {
    ActivityData::TicketTagged(c::TicketTagged { ticket_id: ID.into(), tags: strings(tags) })
}

fn commented(person: Uuid) -> ActivityData {
    ActivityData::TicketCommented(c::TicketCommented {
        ticket_id: ID.into(),
        person_id: person,
        body_chars: 140,
        internal: false,
    })
}

fn resolved(summary: Option<&str>) -> ActivityData {
    ActivityData::TicketResolved(c::TicketResolved { ticket_id: ID.into(), summary: summary.map(Into::into) })
}

fn reopened() -> ActivityData {
    ActivityData::TicketReopened(c::TicketReopened { ticket_id: ID.into() })
}

fn rated(rating: u8) -> ActivityData {
    ActivityData::TicketRated(c::TicketRated { ticket_id: ID.into(), rating })
}

// ------------------------------------------------------------ what the log stores

/// A resolution by `resolver` after `minutes`, SLA met, never escalated, untagged.
fn resolution(resolver: Uuid, minutes: Decimal) -> e::TicketResolved {
    e::TicketResolved {
        ticket_id: ID.into(),
        summary: None,
        resolver_person_id: resolver,
        resolution_minutes: minutes,
        sla_met: Some(true),
        ever_escalated: false,
        tag_count: 0,
        reference: Some("#1042".into()),
    }
}

fn escalation(assignee: Option<Uuid>) -> EventBody {
    EventBody::TicketEscalated(e::TicketEscalated { ticket_id: ID.into(), reason: None, assignee_person_id: assignee })
}

/// Opened at 09:00, assigned to Alice, SLA due at 12:00.
fn opened_for_alice() -> LogEvent {
    stored("open", "09:00", opened(Some(ALICE), Some("12:00")))
}

fn resolved_event(id: &str, when: &str, resolver: Uuid, minutes: Decimal) -> LogEvent {
    event(id, when, EventBody::TicketResolved(resolution(resolver, minutes)))
}

/// Opened 09:00 for Alice and resolved by her at 10:00.
fn resolved_by_alice() -> Vec<LogEvent> {
    vec![opened_for_alice(), resolved_event("res", "10:00", ALICE, dec!(60))]
}

// ------------------------------------------------------------ opening and causal order

#[test]
fn opening_a_new_ticket_is_accepted() {
    ticket()
        .given_no_previous_events()
        .when(activity("open", "09:00", opened(Some(ALICE), Some("12:00"))))
        .then_expect_events(vec![opened_for_alice()]);
}

#[test]
fn a_second_opening_is_rejected() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("open-2", "09:30", opened(None, None)))
        .then_expect_error_message("data.ticket_id: ticket 'T-1042' was already opened");
}

#[test]
fn a_second_opening_is_rejected_after_resolution_too() {
    ticket()
        .given(resolved_by_alice())
        .when(activity("open-2", "11:00", opened(None, None)))
        .then_expect_error_message("data.ticket_id: ticket 'T-1042' was already opened");
}

#[test]
fn every_event_on_a_never_opened_ticket_is_rejected_naming_it() {
    for data in
        [assigned(ALICE), escalated(None), tagged(&["x"]), commented(ALICE), resolved(None), reopened(), rated(5)]
    {
        ticket()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.ticket_id: ticket 'T-1042' was never opened");
    }
}

#[test]
fn an_event_before_the_opening_is_rejected() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("assign", "08:59", assigned(BOB)))
        .then_expect_error_message(&format!(
            "occurred_at: {} is before ticket 'T-1042' was opened ({})",
            rfc3339("08:59"),
            rfc3339("09:00")
        ));
}

#[test]
fn an_event_at_the_moment_of_opening_is_accepted() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("assign", "09:00", assigned(BOB)))
        .then_expect_events(vec![stored("assign", "09:00", assigned(BOB))]);
}

// ------------------------------------------------------------ a resolved ticket

#[test]
fn resolved_ticket_rejects_assignment() {
    ticket().given(resolved_by_alice()).when(activity("assign", "11:00", assigned(BOB))).then_expect_error_message(
        "data.ticket_id: ticket 'T-1042' is resolved; ticket.assigned is refused until it is reopened",
    );
}

#[test]
fn resolved_ticket_rejects_escalation() {
    ticket()
        .given(resolved_by_alice())
        .when(activity("esc", "11:00", escalated(Some("customer angry"))))
        .then_expect_error_message(
            "data.ticket_id: ticket 'T-1042' is resolved; ticket.escalated is refused until it is reopened",
        );
}

#[test]
fn resolved_ticket_rejects_a_second_resolution() {
    ticket().given(resolved_by_alice()).when(activity("res-2", "11:00", resolved(None))).then_expect_error_message(
        "data.ticket_id: ticket 'T-1042' is resolved; ticket.resolved is refused until it is reopened",
    );
}

#[test]
fn resolved_ticket_accepts_tagging() {
    ticket()
        .given(resolved_by_alice())
        .when(activity("tag", "11:00", tagged(&["billing"])))
        .then_expect_events(vec![stored("tag", "11:00", tagged(&["billing"]))]);
}

#[test]
fn resolved_ticket_accepts_comments() {
    ticket()
        .given(resolved_by_alice())
        .when(activity("note", "11:00", commented(BOB)))
        .then_expect_events(vec![stored("note", "11:00", commented(BOB))]);
}

// ------------------------------------------------------------ resolution and its enrichment

#[test]
fn resolving_without_an_assignee_is_rejected() {
    ticket()
        .given(vec![stored("open", "09:00", opened(None, None))])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_error_message(
            "data.ticket_id: ticket 'T-1042' has no assignee to credit the resolution to; send ticket.assigned first",
        );
}

#[test]
fn resolution_credits_the_assignee_and_counts_minutes_from_opening() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("res", "10:30", resolved(None)))
        .then_expect_events(vec![event("res", "10:30", EventBody::TicketResolved(resolution(ALICE, dec!(90))))]);
}

#[test]
fn resolution_credits_the_assignee_of_the_moment() {
    ticket()
        .given(vec![opened_for_alice(), stored("assign", "09:10", assigned(BOB))])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(resolution(BOB, dec!(60))))]);
}

#[test]
fn resolution_minutes_are_exact_to_the_second() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("res", "2026-11-02T09:01:30Z", resolved(None)))
        .then_expect_events(vec![event(
            "res",
            "2026-11-02T09:01:30Z",
            EventBody::TicketResolved(resolution(ALICE, dec!(1.5))),
        )]);
}

#[test]
fn resolution_after_a_reopen_counts_again_from_the_original_opening() {
    ticket()
        .given(vec![
            opened_for_alice(),
            resolved_event("res", "10:00", ALICE, dec!(60)),
            stored("reopen", "11:00", reopened()),
            stored("assign", "11:05", assigned(BOB)),
        ])
        .when(activity("res-2", "11:30", resolved(None)))
        .then_expect_events(vec![event("res-2", "11:30", EventBody::TicketResolved(resolution(BOB, dec!(150))))]);
}

#[test]
fn resolution_at_the_sla_deadline_meets_it() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("res", "12:00", resolved(None)))
        .then_expect_events(vec![event("res", "12:00", EventBody::TicketResolved(resolution(ALICE, dec!(180))))]);
}

#[test]
fn resolution_after_the_sla_deadline_misses_it() {
    let late = e::TicketResolved { sla_met: Some(false), ..resolution(ALICE, dec!(181)) };
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("res", "12:01", resolved(None)))
        .then_expect_events(vec![event("res", "12:01", EventBody::TicketResolved(late))]);
}

#[test]
fn resolution_without_an_sla_has_no_sla_verdict() {
    let no_sla = e::TicketResolved { sla_met: None, ..resolution(ALICE, dec!(60)) };
    ticket()
        .given(vec![stored("open", "09:00", opened(Some(ALICE), None))])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(no_sla))]);
}

#[test]
fn resolution_of_an_escalated_ticket_says_so() {
    let escalated_resolution = e::TicketResolved { ever_escalated: true, ..resolution(ALICE, dec!(60)) };
    ticket()
        .given(vec![opened_for_alice(), event("esc", "09:30", escalation(Some(ALICE)))])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(escalated_resolution))]);
}

#[test]
fn resolution_counts_the_tags_of_the_last_tagging_only() {
    let tagged_resolution = e::TicketResolved { tag_count: 1, ..resolution(ALICE, dec!(60)) };
    ticket()
        .given(vec![
            opened_for_alice(),
            stored("tag-1", "09:10", tagged(&["billing", "outage", "vip"])),
            stored("tag-2", "09:20", tagged(&["outage"])),
        ])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(tagged_resolution))]);
}

#[test]
fn resolution_counts_duplicate_tags_once() {
    let tagged_resolution = e::TicketResolved { tag_count: 2, ..resolution(ALICE, dec!(60)) };
    ticket()
        .given(vec![opened_for_alice(), stored("tag", "09:10", tagged(&["vip", "billing", "vip"]))])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(tagged_resolution))]);
}

#[test]
fn resolution_summary_is_redacted() {
    let summary = "Called jane.doe@example.com back and reset the router";
    let redacted = e::TicketResolved { summary: Some(redact(summary)), ..resolution(ALICE, dec!(60)) };
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("res", "10:00", resolved(Some(summary))))
        .then_expect_events(vec![event("res", "10:00", EventBody::TicketResolved(redacted))]);
}

// ------------------------------------------------------------ escalation

#[test]
fn escalation_carries_the_assignee_of_the_moment() {
    ticket()
        .given(vec![opened_for_alice(), stored("assign", "09:10", assigned(BOB))])
        .when(activity("esc", "09:30", escalated(None)))
        .then_expect_events(vec![event("esc", "09:30", escalation(Some(BOB)))]);
}

#[test]
fn escalation_of_an_unassigned_ticket_carries_no_assignee() {
    ticket()
        .given(vec![stored("open", "09:00", opened(None, None))])
        .when(activity("esc", "09:30", escalated(None)))
        .then_expect_events(vec![event("esc", "09:30", escalation(None))]);
}

#[test]
fn escalation_reason_is_redacted() {
    let reason = "Customer on +44 20 7946 0958 threatens to cancel, account no 88123";
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("esc", "09:30", escalated(Some(reason))))
        .then_expect_events(vec![event(
            "esc",
            "09:30",
            EventBody::TicketEscalated(e::TicketEscalated {
                ticket_id: ID.into(),
                reason: Some(redact(reason)),
                assignee_person_id: Some(ALICE),
            }),
        )]);
}

// ------------------------------------------------------------ reopening

#[test]
fn reopening_an_unresolved_ticket_is_rejected() {
    ticket()
        .given(vec![opened_for_alice()])
        .when(activity("reopen", "10:00", reopened()))
        .then_expect_error_message("data.ticket_id: ticket 'T-1042' is not resolved, so it cannot be reopened");
}

#[test]
fn reopening_a_reopened_ticket_is_rejected() {
    let mut history = resolved_by_alice();
    history.push(stored("reopen", "11:00", reopened()));
    ticket()
        .given(history)
        .when(activity("reopen-2", "11:30", reopened()))
        .then_expect_error_message("data.ticket_id: ticket 'T-1042' is not resolved, so it cannot be reopened");
}

#[test]
fn reopening_a_resolved_ticket_is_accepted() {
    ticket().given(resolved_by_alice()).when(activity("reopen", "11:00", reopened())).then_expect_events(vec![stored(
        "reopen",
        "11:00",
        reopened(),
    )]);
}

#[test]
fn reopened_ticket_accepts_assignment_again() {
    let mut history = resolved_by_alice();
    history.push(stored("reopen", "11:00", reopened()));
    ticket().given(history).when(activity("assign", "11:05", assigned(BOB))).then_expect_events(vec![stored(
        "assign",
        "11:05",
        assigned(BOB),
    )]);
}

// ------------------------------------------------------------ rating

#[test]
fn rating_a_never_resolved_ticket_is_rejected() {
    ticket().given(vec![opened_for_alice()]).when(activity("rate", "10:00", rated(5))).then_expect_error_message(
        "data.ticket_id: ticket 'T-1042' was never resolved, so there is no resolution to rate",
    );
}

#[test]
fn rating_is_credited_to_the_resolver() {
    ticket().given(resolved_by_alice()).when(activity("rate", "12:00", rated(4))).then_expect_events(vec![event(
        "rate",
        "12:00",
        EventBody::TicketRated(e::TicketRated { ticket_id: ID.into(), rating: 4, resolver_person_id: ALICE }),
    )]);
}

#[test]
fn rating_is_credited_to_the_last_resolver() {
    ticket()
        .given(vec![
            opened_for_alice(),
            resolved_event("res", "10:00", ALICE, dec!(60)),
            stored("reopen", "11:00", reopened()),
            stored("assign", "11:05", assigned(BOB)),
            resolved_event("res-2", "11:30", BOB, dec!(150)),
            stored("assign-2", "11:40", assigned(CAROL)),
        ])
        .when(activity("rate", "12:00", rated(2)))
        .then_expect_events(vec![event(
            "rate",
            "12:00",
            EventBody::TicketRated(e::TicketRated { ticket_id: ID.into(), rating: 2, resolver_person_id: BOB }),
        )]);
}

#[test]
fn rating_a_reopened_ticket_credits_its_earlier_resolver() {
    let mut history = resolved_by_alice();
    history.push(stored("reopen", "11:00", reopened()));
    history.push(stored("assign", "11:05", assigned(BOB)));
    ticket().given(history).when(activity("rate", "12:00", rated(3))).then_expect_events(vec![event(
        "rate",
        "12:00",
        EventBody::TicketRated(e::TicketRated { ticket_id: ID.into(), rating: 3, resolver_person_id: ALICE }),
    )]);
}
