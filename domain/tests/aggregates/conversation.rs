//! Inbox conversations (§1 causal order, §2 Communication).

use cqrs_es::test::TestFramework;
use perfledger_domain::aggregates::Conversation;
use perfledger_domain::catalog::{self as c, ActivityData, ConversationChannel};
use perfledger_domain::event::{self as e, EventBody};
use perfledger_domain::redaction::redact;
use perfledger_domain::LogEvent;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::support::*;

const ID: &str = "V-9";
const CHANNEL: ConversationChannel = ConversationChannel::Whatsapp;

fn conversation() -> TestFramework<Conversation> {
    TestFramework::with(())
}

// ------------------------------------------------------------ what the CRM sends

fn opened() -> ActivityData {
    ActivityData::ConversationOpened(c::ConversationOpened {
        conversation_id: ID.into(),
        reference: Some("#C9".into()),
        channel: CHANNEL,
    })
}

fn assigned(person: Uuid) -> ActivityData {
    ActivityData::ConversationAssigned(c::ConversationAssigned { conversation_id: ID.into(), person_id: person })
}

fn received() -> ActivityData {
    ActivityData::ConversationMessageReceived(c::ConversationRef { conversation_id: ID.into() })
}

fn sent(person: Uuid) -> ActivityData {
    ActivityData::ConversationMessageSent(c::ConversationMessageSent { conversation_id: ID.into(), person_id: person })
}

fn tagged(tags: &[&str]) -> ActivityData {
    ActivityData::ConversationTagged(c::ConversationTagged { conversation_id: ID.into(), tags: strings(tags) })
}

fn resolved(summary: Option<&str>) -> ActivityData {
    ActivityData::ConversationResolved(c::ConversationResolved {
        conversation_id: ID.into(),
        summary: summary.map(Into::into),
    })
}

// ------------------------------------------------------------ what the log stores

fn assignment(person: Uuid) -> EventBody {
    EventBody::ConversationAssigned(e::ConversationAssigned {
        conversation_id: ID.into(),
        person_id: person,
        channel: CHANNEL,
    })
}

/// An agent message by `person`; `first_response_minutes` when it answered someone.
fn reply(person: Uuid, first_response_minutes: Option<Decimal>) -> EventBody {
    EventBody::ConversationMessageSent(e::ConversationMessageSent {
        conversation_id: ID.into(),
        person_id: person,
        channel: CHANNEL,
        first_response_minutes,
    })
}

/// A resolution by `resolver` after `minutes`, untagged.
fn resolution(resolver: Option<Uuid>, minutes: Decimal) -> e::ConversationResolved {
    e::ConversationResolved {
        conversation_id: ID.into(),
        summary: None,
        resolver_person_id: resolver,
        resolution_minutes: minutes,
        tag_count: 0,
        channel: CHANNEL,
        reference: Some("#C9".into()),
    }
}

/// Opened at 09:00 and assigned to Alice at 09:01.
fn opened_for_alice() -> Vec<LogEvent> {
    vec![stored("open", "09:00", opened()), event("assign", "09:01", assignment(ALICE))]
}

fn with(mut history: Vec<LogEvent>, more: impl IntoIterator<Item = LogEvent>) -> Vec<LogEvent> {
    history.extend(more);
    history
}

/// Opened for Alice, a customer message at 09:10, answered by her at 09:20,
/// resolved at 10:00.
fn resolved_conversation() -> Vec<LogEvent> {
    with(
        opened_for_alice(),
        [
            stored("in-1", "09:10", received()),
            event("out-1", "09:20", reply(ALICE, Some(dec!(10)))),
            event("res", "10:00", EventBody::ConversationResolved(resolution(Some(ALICE), dec!(50)))),
        ],
    )
}

fn rejected_when_resolved(data: ActivityData) {
    conversation().given(resolved_conversation()).when(activity("x", "11:00", data)).then_expect_error_message(
        "data.conversation_id: conversation 'V-9' is resolved; only conversation.tagged is accepted",
    );
}

// ------------------------------------------------------------ opening and causal order

#[test]
fn opening_a_new_conversation_is_accepted() {
    conversation()
        .given_no_previous_events()
        .when(activity("open", "09:00", opened()))
        .then_expect_events(vec![stored("open", "09:00", opened())]);
}

#[test]
fn a_second_opening_is_rejected() {
    conversation()
        .given(opened_for_alice())
        .when(activity("open-2", "09:30", opened()))
        .then_expect_error_message("data.conversation_id: conversation 'V-9' was already opened");
}

#[test]
fn every_event_on_a_never_opened_conversation_is_rejected_naming_it() {
    for data in [assigned(ALICE), received(), sent(ALICE), tagged(&["x"]), resolved(None)] {
        conversation()
            .given_no_previous_events()
            .when(activity("x", "09:00", data))
            .then_expect_error_message("data.conversation_id: conversation 'V-9' was never opened");
    }
}

#[test]
fn an_event_before_the_opening_is_rejected() {
    conversation().given(opened_for_alice()).when(activity("in", "08:30", received())).then_expect_error_message(
        &format!("occurred_at: {} is before conversation 'V-9' was opened ({})", rfc3339("08:30"), rfc3339("09:00")),
    );
}

#[test]
fn a_customer_message_is_accepted() {
    conversation()
        .given(opened_for_alice())
        .when(activity("in", "09:10", received()))
        .then_expect_events(vec![stored("in", "09:10", received())]);
}

// ------------------------------------------------------------ channel enrichment

#[test]
fn assignment_carries_the_channel() {
    conversation()
        .given(vec![stored("open", "09:00", opened())])
        .when(activity("assign", "09:01", assigned(BOB)))
        .then_expect_events(vec![event("assign", "09:01", assignment(BOB))]);
}

#[test]
fn an_agent_message_carries_the_channel() {
    conversation()
        .given(opened_for_alice())
        .when(activity("out", "09:05", sent(ALICE)))
        .then_expect_events(vec![event("out", "09:05", reply(ALICE, None))]);
}

// ------------------------------------------------------------ first responses

#[test]
fn an_agent_message_after_a_customer_message_is_a_first_response() {
    conversation()
        .given(with(opened_for_alice(), [stored("in", "09:10", received())]))
        .when(activity("out", "09:25", sent(ALICE)))
        .then_expect_events(vec![event("out", "09:25", reply(ALICE, Some(dec!(15))))]);
}

#[test]
fn first_response_is_measured_from_the_earliest_unanswered_customer_message() {
    conversation()
        .given(with(
            opened_for_alice(),
            [
                stored("in-1", "09:10", received()),
                stored("in-2", "09:15", received()),
                stored("in-3", "09:18", received()),
            ],
        ))
        .when(activity("out", "09:30", sent(ALICE)))
        .then_expect_events(vec![event("out", "09:30", reply(ALICE, Some(dec!(20))))]);
}

#[test]
fn first_response_is_credited_to_the_sender_not_the_assignee() {
    conversation()
        .given(with(opened_for_alice(), [stored("in", "09:10", received())]))
        .when(activity("out", "09:12", sent(BOB)))
        .then_expect_events(vec![event("out", "09:12", reply(BOB, Some(dec!(2))))]);
}

#[test]
fn a_second_agent_message_without_a_new_customer_message_has_no_first_response() {
    conversation()
        .given(with(
            opened_for_alice(),
            [stored("in", "09:10", received()), event("out-1", "09:20", reply(ALICE, Some(dec!(10))))],
        ))
        .when(activity("out-2", "09:40", sent(ALICE)))
        .then_expect_events(vec![event("out-2", "09:40", reply(ALICE, None))]);
}

#[test]
fn an_agent_message_before_any_customer_message_has_no_first_response() {
    conversation()
        .given(opened_for_alice())
        .when(activity("out", "09:05", sent(ALICE)))
        .then_expect_events(vec![event("out", "09:05", reply(ALICE, None))]);
}

#[test]
fn a_conversation_adds_a_first_response_for_each_answered_wait() {
    conversation()
        .given(with(
            opened_for_alice(),
            [
                stored("in-1", "09:10", received()),
                event("out-1", "09:20", reply(ALICE, Some(dec!(10)))),
                stored("in-2", "11:00", received()),
            ],
        ))
        .when(activity("out-2", "11:45", sent(BOB)))
        .then_expect_events(vec![event("out-2", "11:45", reply(BOB, Some(dec!(45))))]);
}

// ------------------------------------------------------------ resolution and its enrichment

#[test]
fn resolution_is_measured_from_the_first_customer_message() {
    conversation()
        .given(with(
            opened_for_alice(),
            [
                stored("in-1", "09:30", received()),
                event("out-1", "09:40", reply(ALICE, Some(dec!(10)))),
                stored("in-2", "10:00", received()),
            ],
        ))
        .when(activity("res", "10:30", resolved(None)))
        .then_expect_events(vec![event(
            "res",
            "10:30",
            EventBody::ConversationResolved(resolution(Some(ALICE), dec!(60))),
        )]);
}

#[test]
fn resolution_without_customer_messages_is_measured_from_opening() {
    conversation()
        .given(with(opened_for_alice(), [event("out", "09:05", reply(ALICE, None))]))
        .when(activity("res", "09:45", resolved(None)))
        .then_expect_events(vec![event(
            "res",
            "09:45",
            EventBody::ConversationResolved(resolution(Some(ALICE), dec!(45))),
        )]);
}

#[test]
fn resolution_credits_the_assignee_of_the_moment() {
    conversation()
        .given(with(opened_for_alice(), [event("assign-2", "09:30", assignment(BOB))]))
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event(
            "res",
            "10:00",
            EventBody::ConversationResolved(resolution(Some(BOB), dec!(60))),
        )]);
}

#[test]
fn resolution_of_an_unassigned_conversation_credits_nobody() {
    conversation()
        .given(vec![stored("open", "09:00", opened())])
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::ConversationResolved(resolution(None, dec!(60))))]);
}

#[test]
fn resolution_counts_the_tags_of_the_last_tagging_only() {
    let done = e::ConversationResolved { tag_count: 2, ..resolution(Some(ALICE), dec!(60)) };
    conversation()
        .given(with(
            opened_for_alice(),
            [
                stored("tag-1", "09:10", tagged(&["billing"])),
                stored("tag-2", "09:20", tagged(&["outage", "vip", "vip"])),
            ],
        ))
        .when(activity("res", "10:00", resolved(None)))
        .then_expect_events(vec![event("res", "10:00", EventBody::ConversationResolved(done))]);
}

#[test]
fn resolution_summary_is_redacted() {
    let summary = "Sent the new password: hunter22 to +234 803 123 4567";
    let done = e::ConversationResolved { summary: Some(redact(summary)), ..resolution(Some(ALICE), dec!(60)) };
    conversation()
        .given(opened_for_alice())
        .when(activity("res", "10:00", resolved(Some(summary))))
        .then_expect_events(vec![event("res", "10:00", EventBody::ConversationResolved(done))]);
}

// ------------------------------------------------------------ a resolved conversation

#[test]
fn resolved_conversation_rejects_assignment() {
    rejected_when_resolved(assigned(BOB));
}

#[test]
fn resolved_conversation_rejects_a_customer_message() {
    rejected_when_resolved(received());
}

#[test]
fn resolved_conversation_rejects_an_agent_message() {
    rejected_when_resolved(sent(ALICE));
}

#[test]
fn resolved_conversation_rejects_a_second_resolution() {
    rejected_when_resolved(resolved(None));
}

#[test]
fn resolved_conversation_rejects_a_second_opening() {
    conversation()
        .given(resolved_conversation())
        .when(activity("open-2", "11:00", opened()))
        .then_expect_error_message("data.conversation_id: conversation 'V-9' was already opened");
}

#[test]
fn resolved_conversation_accepts_tagging() {
    conversation()
        .given(resolved_conversation())
        .when(activity("tag", "11:00", tagged(&["closed-won"])))
        .then_expect_events(vec![stored("tag", "11:00", tagged(&["closed-won"]))]);
}
