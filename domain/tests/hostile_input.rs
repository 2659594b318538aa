//! Issue 14: what a careless CRM or an attacker sends is refused at the
//! edge, naming the field and the reason, and whatever an older log already
//! holds folds and scores without a panic.

use chrono::{DateTime, TimeZone, Utc};
use perfledger_domain::aggregates::EntityState;
use perfledger_domain::catalog::EntityKind;
use perfledger_domain::event::{decode, EventBody};
use perfledger_domain::validate::OccurredWindow;
use perfledger_domain::{parse_envelope, Activity, Rejection};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const PERSON: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn envelope(type_name: &str, data: Value) -> String {
    json!({"event_id": "e-1", "type": type_name, "occurred_at": "2026-11-02T10:15:00Z", "data": data}).to_string()
}

fn rejected(json: &str) -> Rejection {
    match parse_envelope(json) {
        Ok(activity) => panic!("accepted: {activity:?}"),
        Err(err) => err.rejection,
    }
}

fn assert_rejected(json: &str, field: &str, words: &[&str]) {
    let rejection = rejected(json);
    assert_eq!(rejection.field, field, "{rejection}");
    for word in words {
        assert!(rejection.reason.contains(word), "reason {:?} does not mention {word:?}", rejection.reason);
    }
}

// ------------------------------------------------ defect 1: NUL in a string

#[test]
fn nul_in_a_display_name_is_refused_naming_the_field() {
    let json =
        envelope("person.upserted", json!({"person_id": PERSON, "display_name": "Eve\u{0}Null", "is_active": true}));
    assert_rejected(&json, "data.display_name", &["control characters", "U+0000", "character 4"]);
}

#[test]
fn every_text_field_refuses_control_characters() {
    let cases = [
        (
            "person.upserted",
            json!({"person_id": PERSON, "display_name": "Eve", "title": "Lead\u{7}", "is_active": true}),
            "data.title",
        ),
        (
            "team.upserted",
            json!({"team_id": PERSON, "name": "Ops\u{0}", "team_type": "support", "is_active": true}),
            "data.name",
        ),
        (
            "person.permissions_set",
            json!({"person_id": PERSON, "roles": ["agent\u{0}"], "permissions": []}),
            "data.roles[0]",
        ),
        (
            "person.permissions_set",
            json!({"person_id": PERSON, "roles": [], "permissions": ["a\u{1b}[31m"]}),
            "data.permissions[0]",
        ),
        ("ticket.opened", json!({"ticket_id": "T-1", "reference": "#1\u{0}"}), "data.reference"),
        ("ticket.tagged", json!({"ticket_id": "T-1", "tags": ["vip", "bad\u{0}tag"]}), "data.tags[1]"),
        ("ticket.resolved", json!({"ticket_id": "T-1", "summary": "done\u{0}"}), "data.summary"),
        ("lead.contacted", json!({"lead_id": "L-1", "person_id": PERSON, "channel": "ph\u{0}one"}), "data.channel"),
        (
            "contact.saved",
            json!({"contact_id": "C-1", "editor_person_id": PERSON, "filled": ["email\u{0}"]}),
            "data.filled[0]",
        ),
    ];
    for (type_name, data, field) in cases {
        let rejection = rejected(&envelope(type_name, data));
        assert_eq!(rejection.field, field, "{type_name}: {rejection}");
        assert!(rejection.reason.contains("control characters"), "{type_name}: {rejection}");
    }
}

#[test]
fn free_text_keeps_tabs_and_line_breaks() {
    let json = envelope("ticket.escalated", json!({"ticket_id": "T-1", "reason": "line one\r\nline two\tindented"}));
    parse_envelope(&json).unwrap_or_else(|e| panic!("{}", e.rejection));
}

// ------------------------------------------------ defect 4: NUL in an id

#[test]
fn nul_or_an_odd_space_in_an_event_id_is_an_item_rejection() {
    for id in ["e\u{0}1", "e\u{A0}1", "e\u{200B}1"] {
        let json = json!({"event_id": id, "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00Z",
                          "data": {"ticket_id": "T-1"}})
        .to_string();
        let rejection = rejected(&json);
        assert_eq!(rejection.field, "event_id", "{id:?}: {rejection}");
        assert!(rejection.reason.contains("visible characters and the plain space"), "{rejection}");
    }
}

#[test]
fn nul_in_an_entity_id_is_an_item_rejection() {
    assert_rejected(&envelope("ticket.opened", json!({"ticket_id": "T\u{0}1"})), "data.ticket_id", &["U+0000"]);
    assert_rejected(
        &envelope("task.created", json!({"task_id": "K-1", "project_id": "P\u{2028}1"})),
        "data.project_id",
        &["U+2028"],
    );
}

#[test]
fn ids_may_hold_any_visible_character() {
    parse_envelope(&envelope("ticket.opened", json!({"ticket_id": "dotmac:ticket:Überweisung-42"}))).unwrap();
}

// ------------------------------------------------ numbers have ranges

#[test]
fn durations_have_a_range_and_a_precision() {
    let task = |field: &str, value: &str| {
        envelope("task.created", json!({"task_id": "K-1", "project_id": "P-1", field: value}))
    };
    assert_rejected(
        &task("estimate_hours", "0.0000000000000000000000000001"),
        "data.estimate_hours",
        &["at most 6 decimal places"],
    );
    assert_rejected(
        &task("estimate_hours", "79228162514264337593543950335"),
        "data.estimate_hours",
        &["at most 100000"],
    );
    parse_envelope(&task("estimate_hours", "99999.999999")).unwrap();
    let completed = envelope("task.completed", json!({"task_id": "K-1", "actual_hours": "100000.5"}));
    assert_rejected(&completed, "data.actual_hours", &["at most 100000"]);
    let work_order =
        envelope("work_order.created", json!({"work_order_id": "W-1", "estimated_duration_minutes": "6000001"}));
    assert_rejected(&work_order, "data.estimated_duration_minutes", &["at most 6000000"]);
}

#[test]
fn amounts_have_a_range_and_a_precision() {
    let lead = |value: &str| {
        envelope("lead.created", json!({"lead_id": "L-1", "owner_person_id": PERSON, "estimated_value": value}))
    };
    assert_rejected(&lead("70000000000000000000000000000"), "data.estimated_value", &["at most 1000000000000000"]);
    assert_rejected(&lead("1.00001"), "data.estimated_value", &["at most 4 decimal places"]);
    parse_envelope(&lead("1000000000000000")).unwrap();
    let quote =
        envelope("quote.sent", json!({"quote_id": "Q-1", "owner_person_id": PERSON, "total": "1000000000000000.01"}));
    assert_rejected(&quote, "data.total", &["at most"]);
}

#[test]
fn note_lengths_have_a_range() {
    let json = envelope(
        "ticket.commented",
        json!({"ticket_id": "T-1", "person_id": PERSON, "body_chars": 4_000_000_000u32, "internal": false}),
    );
    assert_rejected(&json, "data.body_chars", &["at most 10000000"]);
}

// ------------------------------------------------ defect 5: the occurred_at window

fn at(text: &str) -> Activity {
    let json = json!({"event_id": "e-1", "type": "person.upserted", "occurred_at": text,
                      "data": {"person_id": PERSON, "display_name": "Eve", "is_active": true}})
    .to_string();
    parse_envelope(&json).unwrap_or_else(|e| panic!("{}", e.rejection))
}

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

#[test]
fn a_zero_date_or_one_far_ahead_is_outside_the_window() {
    let window = OccurredWindow::default();
    for text in ["0000-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2026-12-07T12:00:01Z"] {
        let rejection = window.check(&at(text), received()).unwrap_err();
        assert_eq!(rejection.field, "occurred_at", "{text}");
        assert!(rejection.reason.contains("must lie between 2000-01-01T00:00:00Z"), "{rejection}");
    }
    for text in ["2000-01-01T00:00:00Z", "2026-12-07T12:00:00Z", "2026-12-06T13:00:00+01:00"] {
        window.check(&at(text), received()).unwrap_or_else(|r| panic!("{text}: {r}"));
    }
}

#[test]
fn years_beyond_four_digits_through_offsets_are_outside_the_window() {
    // 9999-12-31T23:00:00-05:00 is in year 10000 in UTC; 0000-01-01T00:30+01:00 in year −1.
    let window = OccurredWindow::default();
    for text in ["9999-12-31T23:00:00-05:00", "0000-01-01T00:30:00+01:00"] {
        let rejection = window.check(&at(text), received()).unwrap_err();
        assert_eq!(rejection.field, "occurred_at", "{text}: {rejection}");
    }
}

#[test]
fn the_window_is_configurable_and_covers_due_dates() {
    let window = OccurredWindow {
        earliest: Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap(),
        ahead: chrono::Duration::hours(0),
    };
    window.check(&at("1995-06-01T00:00:00Z"), received()).unwrap();
    assert!(window.check(&at("2026-12-06T12:00:01Z"), received()).is_err());
    let json = json!({"event_id": "e-1", "type": "ticket.opened", "occurred_at": "2026-11-02T10:15:00Z",
                      "data": {"ticket_id": "T-1", "sla_due_at": "3026-01-01T00:00:00Z"}})
    .to_string();
    let rejection = OccurredWindow::default().check(&parse_envelope(&json).unwrap(), received()).unwrap_err();
    assert_eq!(rejection.field, "data.sla_due_at", "{rejection}");
}

// ------------------------------------------------ defect 3: the aggregate's arithmetic is total

/// `task.completed` after a `task.created` whose values no longer pass the
/// edge (an older log): the decision must not panic.
#[test]
fn effort_accuracy_of_extreme_hours_is_zero_not_a_panic() {
    let created: Activity = Activity {
        event_id: "e-1".into(),
        occurred_at: received(),
        data: perfledger_domain::ActivityData::TaskCreated(perfledger_domain::catalog::TaskCreated {
            task_id: "K-1".into(),
            project_id: "P-1".into(),
            reference: None,
            assignee_person_id: Some(PERSON.parse().unwrap()),
            due_at: None,
            estimate_hours: Some(Decimal::new(1, 28)),
        }),
    };
    let completed = Activity {
        event_id: "e-2".into(),
        occurred_at: received(),
        data: perfledger_domain::ActivityData::TaskCompleted(perfledger_domain::catalog::TaskCompleted {
            task_id: "K-1".into(),
            actual_hours: Some(Decimal::MAX),
        }),
    };
    let mut state = EntityState::new(EntityKind::Task);
    let event = state.decide(&created).unwrap();
    state.evolve(&event);
    let event = state.decide(&completed).unwrap();
    let EventBody::TaskCompleted(done) = event.body else { panic!("{event:?}") };
    assert_eq!(done.effort_accuracy, Some(Decimal::ZERO));
}

// ------------------------------------------------ an older log's NUL reads as U+FFFD

#[test]
fn a_stored_nul_reads_as_a_replacement_character() {
    let payload = format!(
        r#"{{"event_id":"e-1","occurred_at":"2026-11-02T10:15:00Z","body":{{"type":"person.upserted","data":{{"person_id":"{PERSON}","display_name":"Eve\u0000Null","is_active":true}}}}}}"#
    );
    let event = decode("person.upserted", "1", &payload).unwrap();
    let EventBody::PersonUpserted(person) = event.body else { panic!() };
    assert_eq!(person.display_name, "Eve\u{FFFD}Null");
}
