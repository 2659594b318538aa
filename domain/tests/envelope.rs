//! §1: the envelope and the field rules of the catalog's `data`. Every
//! rejection names its field exactly and says why.

use perfledger_domain::catalog::{ActivityData, ConversationChannel};
use perfledger_domain::{parse_envelope, Activity, Rejection};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

const PERSON: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// One envelope of `type_name` with `data`, sent as e-1 at 10:15 in UTC+1.
fn envelope(type_name: &str, data: Value) -> String {
    json!({"event_id": "e-1", "type": type_name, "occurred_at": "2026-11-02T10:15:00+01:00", "data": data}).to_string()
}

/// A ticket.opened envelope with the given envelope fields replaced.
fn ticket_envelope(event_id: Value, occurred_at: Value) -> String {
    json!({"event_id": event_id, "type": "ticket.opened", "occurred_at": occurred_at, "data": {"ticket_id": "T-1"}})
        .to_string()
}

fn accepted(json: &str) -> Activity {
    parse_envelope(json).unwrap_or_else(|err| panic!("rejected: {}", err.rejection))
}

fn rejected(json: &str) -> Rejection {
    match parse_envelope(json) {
        Ok(activity) => panic!("accepted: {activity:?}"),
        Err(err) => err.rejection,
    }
}

/// Asserts the rejection's exact field and that its reason mentions each of `words`.
fn assert_rejected(json: &str, field: &str, words: &[&str]) {
    let rejection = rejected(json);
    assert_eq!(rejection.field, field, "{rejection}");
    for word in words {
        assert!(rejection.reason.contains(word), "reason {:?} does not mention {word:?}", rejection.reason);
    }
}

fn lead_value(value: Value) -> Result<Decimal, Rejection> {
    let json = envelope("lead.created", json!({"lead_id": "L-1", "owner_person_id": PERSON, "estimated_value": value}));
    match parse_envelope(&json).map_err(|e| e.rejection)?.data {
        ActivityData::LeadCreated(lead) => Ok(lead.estimated_value),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------ a valid envelope

#[test]
fn a_valid_envelope_is_parsed_and_its_time_stored_in_utc() {
    let activity = accepted(&envelope("ticket.opened", json!({"ticket_id": "T-1", "reference": "#1"})));
    assert_eq!(activity.event_id, "e-1");
    assert_eq!(activity.occurred_at.to_rfc3339(), "2026-11-02T09:15:00+00:00");
    let ActivityData::TicketOpened(opened) = activity.data else { panic!("{:?}", activity.data) };
    assert_eq!(opened.ticket_id, "T-1");
    assert_eq!(opened.reference.as_deref(), Some("#1"));
}

#[test]
fn a_rejected_item_keeps_its_event_id_for_the_report() {
    let err = parse_envelope(&envelope("ticket.rated", json!({"ticket_id": "T-1", "rating": 9}))).unwrap_err();
    assert_eq!(err.event_id.as_deref(), Some("e-1"));
}

// ------------------------------------------------------------ unknown type or field

#[test]
fn an_unknown_type_is_rejected_naming_it() {
    assert_rejected(
        &envelope("ticket.vanished", json!({"ticket_id": "T-1"})),
        "type",
        &["unknown event type", "'ticket.vanished'"],
    );
}

#[test]
fn an_unknown_data_field_is_rejected_naming_it() {
    assert_rejected(
        &envelope("ticket.opened", json!({"ticket_id": "T-1", "foo": 1})),
        "data.foo",
        &["unknown field `foo`", "ticket_id"],
    );
}

#[test]
fn an_unknown_envelope_field_is_rejected_naming_it() {
    let json = json!({"event_id": "e-1", "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00Z",
        "data": {"ticket_id": "T-1"}, "foo": true});
    assert_rejected(&json.to_string(), "foo", &["unknown field `foo`"]);
}

// ------------------------------------------------------------ wrong type

#[test]
fn a_wrong_type_is_rejected_naming_the_field() {
    let commented = |body_chars: Value, internal: Value| {
        envelope(
            "ticket.commented",
            json!({"ticket_id": "T-1", "person_id": PERSON, "body_chars": body_chars, "internal": internal}),
        )
    };
    assert_rejected(&commented(json!("many"), json!(false)), "data.body_chars", &["invalid type", "\"many\""]);
    assert_rejected(&commented(json!(12), json!("yes")), "data.internal", &["invalid type", "boolean"]);
}

#[test]
fn a_person_id_that_is_not_a_uuid_is_rejected() {
    assert_rejected(
        &envelope("ticket.assigned", json!({"ticket_id": "T-1", "person_id": "alice"})),
        "data.person_id",
        &["UUID"],
    );
}

#[test]
fn an_entity_id_that_is_not_a_string_is_rejected() {
    assert_rejected(
        &envelope("ticket.opened", json!({"ticket_id": 1042})),
        "data.ticket_id",
        &["invalid type", "string"],
    );
}

#[test]
fn a_timestamp_field_that_is_not_a_timestamp_is_rejected() {
    assert_rejected(
        &envelope("ticket.opened", json!({"ticket_id": "T-1", "sla_due_at": "tomorrow"})),
        "data.sla_due_at",
        &["RFC 3339", "tomorrow"],
    );
}

#[test]
fn a_timestamp_field_without_an_offset_is_rejected() {
    assert_rejected(
        &envelope("task.created", json!({"task_id": "K-1", "project_id": "P-1", "due_at": "2026-11-02T17:00:00"})),
        "data.due_at",
        &["RFC 3339"],
    );
}

#[test]
fn a_list_that_is_not_a_list_is_rejected() {
    assert_rejected(
        &envelope("ticket.tagged", json!({"ticket_id": "T-1", "tags": "vip"})),
        "data.tags",
        &["invalid type", "sequence"],
    );
}

#[test]
fn an_unknown_enum_value_is_rejected_naming_the_field() {
    assert_rejected(
        &envelope("conversation.opened", json!({"conversation_id": "V-1", "channel": "pigeon"})),
        "data.channel",
        &["unknown variant `pigeon`", "whatsapp"],
    );
}

#[test]
fn an_event_id_that_is_not_a_string_is_rejected() {
    assert_rejected(&ticket_envelope(json!(42), json!("2026-11-02T10:15:00Z")), "event_id", &["invalid type"]);
}

#[test]
fn data_that_is_not_an_object_is_rejected() {
    assert_rejected(&envelope("ticket.opened", json!(["T-1"])), "data", &["object"]);
}

// ------------------------------------------------------------ missing field

#[test]
fn a_missing_data_field_is_rejected_naming_it() {
    assert_rejected(&envelope("ticket.assigned", json!({"ticket_id": "T-1"})), "data.person_id", &["is required"]);
}

#[test]
fn a_missing_envelope_field_is_rejected_naming_it() {
    let json = json!({"event_id": "e-1", "type": "ticket.opened", "data": {"ticket_id": "T-1"}});
    assert_rejected(&json.to_string(), "occurred_at", &["is required"]);
}

#[test]
fn a_missing_optional_field_is_fine() {
    let activity = accepted(&envelope("ticket.resolved", json!({"ticket_id": "T-1"})));
    let ActivityData::TicketResolved(resolved) = activity.data else { panic!("{:?}", activity.data) };
    assert_eq!(resolved.summary, None);
}

// ------------------------------------------------------------ negative durations

#[test]
fn a_negative_estimate_hours_is_rejected() {
    assert_rejected(
        &envelope("task.created", json!({"task_id": "K-1", "project_id": "P-1", "estimate_hours": -1})),
        "data.estimate_hours",
        &["duration", "must not be negative", "-1"],
    );
}

#[test]
fn a_negative_estimated_duration_minutes_is_rejected() {
    assert_rejected(
        &envelope("work_order.created", json!({"work_order_id": "W-1", "estimated_duration_minutes": -30})),
        "data.estimated_duration_minutes",
        &["duration", "must not be negative", "-30"],
    );
}

#[test]
fn a_negative_actual_hours_is_rejected() {
    assert_rejected(
        &envelope("task.completed", json!({"task_id": "K-1", "actual_hours": "-0.5"})),
        "data.actual_hours",
        &["duration", "must not be negative", "-0.5"],
    );
}

#[test]
fn a_zero_duration_is_accepted() {
    let activity = accepted(&envelope("task.completed", json!({"task_id": "K-1", "actual_hours": 0})));
    let ActivityData::TaskCompleted(done) = activity.data else { panic!("{:?}", activity.data) };
    assert_eq!(done.actual_hours, Some(dec!(0)));
}

#[test]
fn a_negative_count_is_rejected_as_a_wrong_type() {
    assert_rejected(
        &envelope("work_order.note_added", json!({"work_order_id": "W-1", "person_id": PERSON, "body_chars": -5})),
        "data.body_chars",
        &["-5"],
    );
}

// ------------------------------------------------------------ rating

#[test]
fn a_rating_of_zero_is_rejected() {
    assert_rejected(
        &envelope("ticket.rated", json!({"ticket_id": "T-1", "rating": 0})),
        "data.rating",
        &["between 1 and 5", "got 0"],
    );
}

#[test]
fn a_rating_of_six_is_rejected() {
    assert_rejected(
        &envelope("ticket.rated", json!({"ticket_id": "T-1", "rating": 6})),
        "data.rating",
        &["between 1 and 5", "got 6"],
    );
}

#[test]
fn a_negative_rating_is_rejected() {
    assert_rejected(&envelope("ticket.rated", json!({"ticket_id": "T-1", "rating": -1})), "data.rating", &["-1"]);
}

#[test]
fn ratings_of_one_to_five_are_accepted() {
    for rating in 1..=5u8 {
        let activity = accepted(&envelope("ticket.rated", json!({"ticket_id": "T-1", "rating": rating})));
        let ActivityData::TicketRated(rated) = activity.data else { panic!("{:?}", activity.data) };
        assert_eq!(rated.rating, rating);
    }
}

// ------------------------------------------------------------ event_id

#[test]
fn an_empty_event_id_is_rejected() {
    assert_rejected(&ticket_envelope(json!(""), json!("2026-11-02T10:15:00Z")), "event_id", &["1–200", "got 0"]);
}

#[test]
fn an_event_id_of_201_characters_is_rejected() {
    let json = ticket_envelope(json!("e".repeat(201)), json!("2026-11-02T10:15:00Z"));
    assert_rejected(&json, "event_id", &["1–200", "got 201"]);
}

#[test]
fn an_event_id_of_200_characters_is_accepted() {
    // Characters, not bytes: 200 × "é" is 400 bytes.
    for id in ["e".repeat(200), "é".repeat(200)] {
        assert_eq!(accepted(&ticket_envelope(json!(id), json!("2026-11-02T10:15:00Z"))).event_id, id);
    }
}

// ------------------------------------------------------------ occurred_at

#[test]
fn occurred_at_without_an_offset_is_rejected() {
    assert_rejected(
        &ticket_envelope(json!("e-1"), json!("2026-11-02T10:15:00")),
        "occurred_at",
        &["RFC 3339", "offset"],
    );
}

#[test]
fn occurred_at_as_a_bare_date_is_rejected() {
    assert_rejected(&ticket_envelope(json!("e-1"), json!("2026-11-02")), "occurred_at", &["RFC 3339"]);
}

#[test]
fn occurred_at_with_a_negative_offset_is_stored_in_utc() {
    let activity = accepted(&ticket_envelope(json!("e-1"), json!("2026-11-02T22:30:00-05:00")));
    assert_eq!(activity.occurred_at.to_rfc3339(), "2026-11-03T03:30:00+00:00");
}

// ------------------------------------------------------------ money

#[test]
fn money_as_a_json_number_is_a_decimal() {
    assert_eq!(lead_value(json!(1250.50)), Ok(dec!(1250.50)));
}

#[test]
fn money_as_a_decimal_string_is_exact() {
    let value = lead_value(json!("1250.50")).unwrap();
    assert_eq!(value, dec!(1250.50));
    assert_eq!(value.to_string(), "1250.50");
}

#[test]
fn money_that_a_float_cannot_hold_exactly_stays_exact() {
    assert_eq!(lead_value(json!(0.1)), Ok(dec!(0.1)));
    assert_eq!(lead_value(json!("1234567890123.4567")), Ok(dec!(1234567890123.4567)));
}

#[test]
fn zero_money_is_accepted() {
    assert_eq!(lead_value(json!(0)), Ok(dec!(0)));
}

#[test]
fn negative_money_is_rejected() {
    let rejection = lead_value(json!(-1)).unwrap_err();
    assert_eq!(rejection.field, "data.estimated_value");
    assert!(rejection.reason.contains("amount must not be negative (got -1)"), "{rejection}");
    assert_rejected(
        &envelope("quote.sent", json!({"quote_id": "Q-1", "owner_person_id": PERSON, "total": "-0.01"})),
        "data.total",
        &["amount must not be negative", "-0.01"],
    );
}

#[test]
fn money_that_is_not_a_number_is_rejected() {
    let rejection = lead_value(json!("lots")).unwrap_err();
    assert_eq!(rejection.field, "data.estimated_value", "{rejection}");
}

// ------------------------------------------------------------ free-text length

#[test]
fn a_summary_over_2000_characters_is_rejected() {
    assert_rejected(
        &envelope("ticket.resolved", json!({"ticket_id": "T-1", "summary": "x".repeat(2001)})),
        "data.summary",
        &["2001 characters", "at most 2000"],
    );
}

#[test]
fn a_summary_of_2000_characters_is_accepted() {
    // Characters, not bytes.
    for summary in ["x".repeat(2000), "é".repeat(2000)] {
        accepted(&envelope("conversation.resolved", json!({"conversation_id": "V-1", "summary": summary})));
    }
}

#[test]
fn every_free_text_field_is_limited_to_2000_characters() {
    let long = "x".repeat(2001);
    let cases = [
        envelope("work_order.completed", json!({"work_order_id": "W-1", "summary": long})),
        envelope("conversation.resolved", json!({"conversation_id": "V-1", "summary": long})),
    ];
    for json in &cases {
        assert_rejected(json, "data.summary", &["at most 2000"]);
    }
    assert_rejected(
        &envelope("ticket.escalated", json!({"ticket_id": "T-1", "reason": long})),
        "data.reason",
        &["at most 2000"],
    );
    assert_rejected(
        &envelope("lead.lost", json!({"lead_id": "L-1", "reason": long})),
        "data.reason",
        &["at most 2000"],
    );
}

// ------------------------------------------------------------ entity ids

#[test]
fn an_entity_id_over_100_characters_is_rejected() {
    assert_rejected(
        &envelope("ticket.opened", json!({"ticket_id": "T".repeat(101)})),
        "data.ticket_id",
        &["101 characters", "at most 100"],
    );
}

#[test]
fn an_entity_id_of_100_characters_is_accepted() {
    let activity = accepted(&envelope("ticket.opened", json!({"ticket_id": "T".repeat(100)})));
    assert_eq!(activity.data.entity().id.chars().count(), 100);
}

#[test]
fn an_empty_entity_id_is_rejected() {
    assert_rejected(&envelope("ticket.opened", json!({"ticket_id": ""})), "data.ticket_id", &["must not be empty"]);
}

#[test]
fn every_entity_id_field_is_limited_to_100_characters() {
    let long = "x".repeat(101);
    let cases = [
        ("task.created", json!({"task_id": long, "project_id": "P-1"}), "data.task_id"),
        ("task.created", json!({"task_id": "K-1", "project_id": long}), "data.project_id"),
        ("work_order.started", json!({"work_order_id": long}), "data.work_order_id"),
        ("conversation.message_received", json!({"conversation_id": long}), "data.conversation_id"),
        ("lead.won", json!({"lead_id": long}), "data.lead_id"),
        ("quote.expired", json!({"quote_id": long}), "data.quote_id"),
        ("contact.saved", json!({"contact_id": long, "editor_person_id": PERSON, "filled": []}), "data.contact_id"),
        (
            "organization.saved",
            json!({"organization_id": long, "editor_person_id": PERSON, "filled": []}),
            "data.organization_id",
        ),
    ];
    for (type_name, data, field) in cases {
        assert_rejected(&envelope(type_name, data), field, &["at most 100"]);
    }
}

#[test]
fn a_person_and_team_id_must_be_uuids() {
    assert_rejected(
        &envelope("person.upserted", json!({"person_id": "P-1", "display_name": "Alice", "is_active": true})),
        "data.person_id",
        &["UUID"],
    );
    assert_rejected(
        &envelope(
            "team.member_set",
            json!({"team_id": "support", "person_id": PERSON, "role": "member", "is_active": true}),
        ),
        "data.team_id",
        &["UUID"],
    );
}

#[test]
fn a_conversation_channel_is_parsed() {
    let activity =
        accepted(&envelope("conversation.opened", json!({"conversation_id": "V-1", "channel": "instagram_dm"})));
    let ActivityData::ConversationOpened(opened) = activity.data else { panic!("{:?}", activity.data) };
    assert_eq!(opened.channel, ConversationChannel::InstagramDm);
}
