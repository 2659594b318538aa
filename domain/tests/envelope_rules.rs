//! §1: every field rule of the envelope and the catalog data, each naming its field.

use perfledger_domain::{parse_envelope, ActivityData};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

fn envelope(type_name: &str, data: Value) -> String {
    json!({"event_id": "e-1", "type": type_name, "occurred_at": "2026-11-02T10:15:00+01:00", "data": data}).to_string()
}

/// The rejected field, or a panic if the item was accepted.
fn field_of(json: &str) -> (String, String) {
    let err = parse_envelope(json).expect_err("the item must be rejected");
    (err.rejection.field, err.rejection.reason)
}

#[test]
fn a_valid_envelope_is_parsed_and_its_time_stored_in_utc() {
    let activity = parse_envelope(&envelope("ticket.opened", json!({"ticket_id": "T-1"}))).unwrap();
    assert_eq!(activity.event_id, "e-1");
    assert_eq!(activity.occurred_at.to_rfc3339(), "2026-11-02T09:15:00+00:00");
    assert!(matches!(activity.data, ActivityData::TicketOpened(_)));
}

#[test]
fn an_unknown_type_names_the_type() {
    let (field, reason) = field_of(&envelope("ticket.vanished", json!({"ticket_id": "T-1"})));
    assert_eq!(field, "type");
    assert!(reason.contains("ticket.vanished"));
}

#[test]
fn an_unknown_data_field_is_named() {
    let (field, reason) = field_of(&envelope("ticket.opened", json!({"ticket_id": "T-1", "colour": "red"})));
    assert_eq!(field, "data.colour");
    assert!(reason.contains("unknown field"));
}

#[test]
fn an_unknown_envelope_field_is_named() {
    let json = json!({"event_id": "e", "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00Z", "data": {"ticket_id": "T"}, "extra": 1});
    let (field, reason) = field_of(&json.to_string());
    assert_eq!(field, "extra");
    assert!(reason.contains("unknown field"));
}

#[test]
fn a_missing_field_is_named() {
    let (field, reason) = field_of(&envelope("ticket.assigned", json!({"ticket_id": "T-1"})));
    assert_eq!(field, "data");
    assert!(reason.contains("person_id"));
    let missing_time = json!({"event_id": "e", "type": "ticket.opened", "data": {"ticket_id": "T"}}).to_string();
    assert!(field_of(&missing_time).1.contains("occurred_at"));
}

#[test]
fn a_wrong_type_is_named() {
    let (field, _) = field_of(&envelope(
        "ticket.commented",
        json!({"ticket_id": "T-1", "person_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "body_chars": "many", "internal": false}),
    ));
    assert_eq!(field, "data.body_chars");
    let (field, _) = field_of(&envelope("ticket.assigned", json!({"ticket_id": "T-1", "person_id": "not-a-uuid"})));
    assert_eq!(field, "data.person_id");
}

#[test]
fn negative_durations_are_rejected() {
    let (field, reason) =
        field_of(&envelope("task.created", json!({"task_id": "K", "project_id": "P", "estimate_hours": -1})));
    assert_eq!(field, "data.estimate_hours");
    assert!(reason.contains("negative"));
    let (field, _) = field_of(&envelope("task.completed", json!({"task_id": "K", "actual_hours": "-0.5"})));
    assert_eq!(field, "data.actual_hours");
    let (field, _) =
        field_of(&envelope("work_order.created", json!({"work_order_id": "W", "estimated_duration_minutes": -30})));
    assert_eq!(field, "data.estimated_duration_minutes");
    let (field, _) = field_of(&envelope(
        "ticket.commented",
        json!({"ticket_id": "T", "person_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "body_chars": -5, "internal": true}),
    ));
    assert_eq!(field, "data.body_chars");
}

#[test]
fn ratings_outside_one_to_five_are_rejected() {
    for rating in [0, 6] {
        let (field, reason) = field_of(&envelope("ticket.rated", json!({"ticket_id": "T", "rating": rating})));
        assert_eq!(field, "data.rating");
        assert!(reason.contains("between 1 and 5"));
    }
}

#[test]
fn event_ids_must_be_one_to_two_hundred_characters() {
    for id in [String::new(), "x".repeat(201)] {
        let json = json!({"event_id": id, "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00Z", "data": {"ticket_id": "T"}});
        assert_eq!(field_of(&json.to_string()).0, "event_id");
    }
}

#[test]
fn occurred_at_needs_an_offset() {
    let json = json!({"event_id": "e", "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00", "data": {"ticket_id": "T"}});
    let (field, reason) = field_of(&json.to_string());
    assert_eq!(field, "occurred_at");
    assert!(reason.contains("RFC 3339"));
}

#[test]
fn money_may_be_a_number_or_a_decimal_string_but_not_negative() {
    let owner = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    for value in [json!(1250.5), json!("1250.50")] {
        let activity = parse_envelope(&envelope(
            "lead.created",
            json!({"lead_id": "L", "owner_person_id": owner, "estimated_value": value}),
        ))
        .unwrap();
        let ActivityData::LeadCreated(lead) = activity.data else { panic!() };
        assert_eq!(lead.estimated_value, dec!(1250.50));
    }
    let (field, _) =
        field_of(&envelope("quote.sent", json!({"quote_id": "Q", "owner_person_id": owner, "total": "-1"})));
    assert_eq!(field, "data.total");
}

#[test]
fn a_summary_over_two_thousand_characters_is_rejected() {
    let (field, reason) =
        field_of(&envelope("ticket.resolved", json!({"ticket_id": "T", "summary": "x".repeat(2001)})));
    assert_eq!(field, "data.summary");
    assert!(reason.contains("2000"));
}

#[test]
fn entity_ids_are_one_to_a_hundred_characters() {
    assert_eq!(field_of(&envelope("ticket.opened", json!({"ticket_id": "x".repeat(101)}))).0, "data.ticket_id");
    assert_eq!(field_of(&envelope("ticket.opened", json!({"ticket_id": ""}))).0, "data.ticket_id");
}

#[test]
fn an_unknown_conversation_channel_is_rejected() {
    let (field, reason) =
        field_of(&envelope("conversation.opened", json!({"conversation_id": "V", "channel": "pigeon"})));
    assert_eq!(field, "data.channel");
    assert!(reason.contains("pigeon"));
}

#[test]
fn data_that_is_not_an_object_is_rejected() {
    let (field, _) = field_of(&envelope("ticket.opened", json!([1, 2])));
    assert_eq!(field, "data");
}
