//! Inbox conversations (§2 Communication).

use perfledger_domain::aggregates::Conversation;
use perfledger_domain::catalog::{self as c, ActivityData as A, ConversationChannel};
use perfledger_domain::event::{self as e, EventBody as B};
use perfledger_domain::Activity;
use rust_decimal_macros::dec;

use super::support::*;

const T0: &str = "2026-11-02T09:00:00Z";

fn opened() -> A {
    A::ConversationOpened(c::ConversationOpened {
        conversation_id: "V-1".into(),
        reference: None,
        channel: ConversationChannel::Whatsapp,
    })
}
fn received() -> A {
    A::ConversationMessageReceived(c::ConversationRef { conversation_id: "V-1".into() })
}
fn sent(p: uuid::Uuid) -> A {
    A::ConversationMessageSent(c::ConversationMessageSent { conversation_id: "V-1".into(), person_id: p })
}
fn assign(p: uuid::Uuid) -> A {
    A::ConversationAssigned(c::ConversationAssigned { conversation_id: "V-1".into(), person_id: p })
}
fn tag(tags: &[&str]) -> A {
    A::ConversationTagged(c::ConversationTagged {
        conversation_id: "V-1".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    })
}
fn resolve() -> A {
    A::ConversationResolved(c::ConversationResolved { conversation_id: "V-1".into(), summary: None })
}
fn sent_body(history: Vec<Activity>, when: &str, p: uuid::Uuid) -> e::ConversationMessageSent {
    match body_of(given::<Conversation>(history), act("m", when, sent(p))) {
        B::ConversationMessageSent(m) => m,
        other => panic!("{other:?}"),
    }
}
fn resolved_body(history: Vec<Activity>, when: &str) -> e::ConversationResolved {
    match body_of(given::<Conversation>(history), act("r", when, resolve())) {
        B::ConversationResolved(r) => r,
        other => panic!("{other:?}"),
    }
}
fn open_assigned() -> Vec<Activity> {
    vec![act("o", T0, opened()), act("a", "2026-11-02T09:00:30Z", assign(ALICE))]
}

#[test]
fn opening_is_recorded_and_a_second_is_rejected() {
    body_of(given_nothing::<Conversation>(), act("o", T0, opened()));
    rejected(given::<Conversation>(open_assigned()), act("o2", T0, opened()), "data.conversation_id", "already opened");
}

#[test]
fn an_event_for_a_conversation_never_opened_is_rejected() {
    rejected(
        given_nothing::<Conversation>(),
        act("m", T0, received()),
        "data.conversation_id",
        "'V-1' was never opened",
    );
}

#[test]
fn an_event_before_opening_is_rejected() {
    rejected(
        given::<Conversation>(open_assigned()),
        act("m", "2026-11-02T08:00:00Z", received()),
        "occurred_at",
        "before conversation",
    );
}

#[test]
fn first_response_counts_from_the_earliest_waiting_customer_message() {
    let mut history = open_assigned();
    history.push(act("c1", "2026-11-02T09:01:00Z", received()));
    history.push(act("c2", "2026-11-02T09:05:00Z", received()));
    given::<Conversation>(history).when(act("m", "2026-11-02T09:11:00Z", sent(BOB))).then_expect_events(vec![event(
        "m",
        "2026-11-02T09:11:00Z",
        B::ConversationMessageSent(e::ConversationMessageSent {
            conversation_id: "V-1".into(),
            person_id: BOB,
            channel: ConversationChannel::Whatsapp,
            first_response_minutes: Some(dec!(10)),
        }),
    )]);
}

#[test]
fn an_agent_message_with_nothing_waiting_has_no_first_response() {
    let mut history = open_assigned();
    history.push(act("c1", "2026-11-02T09:01:00Z", received()));
    history.push(act("m1", "2026-11-02T09:03:00Z", sent(ALICE)));
    assert_eq!(sent_body(history, "2026-11-02T09:04:00Z", ALICE).first_response_minutes, None);
}

#[test]
fn each_new_customer_message_opens_a_new_first_response() {
    let mut history = open_assigned();
    history.push(act("c1", "2026-11-02T09:01:00Z", received()));
    history.push(act("m1", "2026-11-02T09:03:00Z", sent(ALICE)));
    history.push(act("c2", "2026-11-02T10:00:00Z", received()));
    assert_eq!(sent_body(history, "2026-11-02T10:07:30Z", ALICE).first_response_minutes, Some(dec!(7.5)));
}

#[test]
fn resolution_minutes_count_from_the_first_customer_message() {
    let mut history = open_assigned();
    history.push(act("c1", "2026-11-02T09:10:00Z", received()));
    history.push(act("m1", "2026-11-02T09:15:00Z", sent(ALICE)));
    history.push(act("t", "2026-11-02T09:16:00Z", tag(&["billing", "router"])));
    given::<Conversation>(history).when(act("r", "2026-11-02T10:10:00Z", resolve())).then_expect_events(vec![event(
        "r",
        "2026-11-02T10:10:00Z",
        B::ConversationResolved(e::ConversationResolved {
            conversation_id: "V-1".into(),
            summary: None,
            resolver_person_id: Some(ALICE),
            resolution_minutes: dec!(60),
            tag_count: 2,
            channel: ConversationChannel::Whatsapp,
            reference: None,
        }),
    )]);
}

#[test]
fn without_customer_messages_resolution_counts_from_opening() {
    assert_eq!(resolved_body(open_assigned(), "2026-11-02T09:45:00Z").resolution_minutes, dec!(45));
}

#[test]
fn resolving_without_an_assignee_credits_nobody() {
    let history = vec![act("o", T0, opened())];
    assert_eq!(resolved_body(history, "2026-11-02T09:45:00Z").resolver_person_id, None);
}

#[test]
fn assignment_carries_the_channel() {
    let history = vec![act("o", T0, opened())];
    let B::ConversationAssigned(a) =
        body_of(given::<Conversation>(history), act("a", "2026-11-02T09:01:00Z", assign(BOB)))
    else {
        panic!()
    };
    assert_eq!(a.channel, ConversationChannel::Whatsapp);
}

#[test]
fn a_resolved_conversation_accepts_only_tagging() {
    let mut history = open_assigned();
    history.push(act("r", "2026-11-02T10:00:00Z", resolve()));
    for data in [received(), sent(ALICE), assign(BOB), resolve()] {
        rejected(
            given::<Conversation>(history.clone()),
            act("x", "2026-11-02T11:00:00Z", data),
            "data.conversation_id",
            "only conversation.tagged",
        );
    }
    body_of(given::<Conversation>(history), act("t", "2026-11-02T11:00:00Z", tag(&["late-tag"])));
}
