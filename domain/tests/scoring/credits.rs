//! §3 "Credited events": every event type, and who it credits in which domain.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use perfledger_domain::catalog::ConversationChannel::Email;
use perfledger_domain::catalog::{self, TeamRole, TeamType};
use perfledger_domain::event::{EventBody, LogEvent};
use perfledger_domain::goals::{GoalCanceled, GoalSettled};
use perfledger_domain::period::PeriodClosed;
use perfledger_domain::scoring::accumulate::credits;
use perfledger_domain::scoring::Domain::{self, *};
use perfledger_domain::settings::SettingsChanged;
use uuid::Uuid;

use super::common::*;

fn credited(body: EventBody) -> Vec<(Uuid, Domain)> {
    credits(&LogEvent { event_id: "e".into(), occurred_at: at("09:00"), body })
}

#[test]
fn support_events() {
    assert_eq!(credited(ticket_opened("T", Some(ALICE))), [(ALICE, Support)]);
    assert_eq!(credited(ticket_opened("T", None)), []);
    assert_eq!(credited(ticket_assigned("T", ALICE)), [(ALICE, Support)]);
    assert_eq!(credited(ticket_escalated("T", Some(ALICE))), [(ALICE, Support)]);
    assert_eq!(credited(ticket_escalated("T", None)), []);
    assert_eq!(credited(ticket_resolved("T", ALICE, 1, None, false, 0)), [(ALICE, Support), (ALICE, DataQuality)]);
    assert_eq!(credited(ticket_rated("T", ALICE, 4)), [(ALICE, Support)]);
    assert_eq!(credited(ticket_commented("T", BOB, 10)), [(BOB, DataQuality)]);
    assert_eq!(credited(ticket_tagged("T")), []);
    assert_eq!(credited(ticket_reopened("T")), []);
}

#[test]
fn operations_events() {
    assert_eq!(credited(task_created("X", Some(ALICE))), [(ALICE, Operations)]);
    assert_eq!(credited(task_created("X", None)), []);
    assert_eq!(credited(task_assigned("X", ALICE)), [(ALICE, Operations)]);
    for body in [task_blocked("X", Some(ALICE)), task_unblocked("X", Some(ALICE)), task_canceled("X", Some(ALICE))] {
        assert_eq!(credited(body), [(ALICE, Operations)]);
    }
    for body in [task_blocked("X", None), task_unblocked("X", None), task_canceled("X", None)] {
        assert_eq!(credited(body), []);
    }
    assert_eq!(credited(task_completed("X", Some(ALICE), None, None)), [(ALICE, Operations)]);
    assert_eq!(credited(task_completed("X", None, None, None)), []);
}

#[test]
fn field_service_events() {
    assert_eq!(credited(wo_created("W", Some(ALICE))), [(ALICE, FieldService)]);
    assert_eq!(credited(wo_created("W", None)), []);
    assert_eq!(credited(wo_assigned("W", ALICE)), [(ALICE, FieldService)]);
    assert_eq!(credited(wo_started("W", Some(ALICE))), [(ALICE, FieldService)]);
    assert_eq!(credited(wo_started("W", None)), []);
    assert_eq!(credited(wo_canceled("W", Some(ALICE))), [(ALICE, FieldService)]);
    assert_eq!(credited(wo_note("W", BOB, 5)), [(BOB, FieldService), (BOB, DataQuality)]);
    assert_eq!(credited(wo_completed("W", Some(ALICE), None, None, false)), [(ALICE, FieldService)]);
    assert_eq!(credited(wo_completed("W", None, None, None, false)), []);
}

#[test]
fn communication_events() {
    assert_eq!(credited(conv_opened("C", Email)), []);
    assert_eq!(credited(conv_received("C")), []);
    assert_eq!(credited(conv_tagged("C")), []);
    assert_eq!(credited(conv_assigned("C", ALICE, Email)), [(ALICE, Communication)]);
    assert_eq!(credited(conv_sent("C", ALICE, Email, Some("3"))), [(ALICE, Communication)]);
    assert_eq!(credited(conv_resolved("C", Some(ALICE), 1, 0, Email)), [(ALICE, Communication), (ALICE, DataQuality)]);
    assert_eq!(credited(conv_resolved("C", None, 1, 0, Email)), []);
}

#[test]
fn sales_events() {
    assert_eq!(credited(lead_created("L", ALICE, "1")), [(ALICE, Sales)]);
    assert_eq!(credited(lead_assigned("L", BOB, "1")), [(BOB, Sales)]);
    assert_eq!(credited(lead_contacted("L", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(lead_won("L", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(lead_lost("L", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(quote_sent("Q", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(quote_accepted("Q", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(quote_rejected("Q", ALICE)), [(ALICE, Sales)]);
    assert_eq!(credited(quote_expired("Q", ALICE)), [(ALICE, Sales)]);
}

#[test]
fn data_quality_saves() {
    assert_eq!(credited(contact_saved("K", ALICE, &["email"])), [(ALICE, DataQuality)]);
    assert_eq!(credited(org_saved("O", ALICE, &[])), [(ALICE, DataQuality)]);
}

#[test]
fn organisation_settings_period_and_goal_events_credit_nobody() {
    let bodies = vec![
        EventBody::PersonUpserted(catalog::PersonUpserted {
            person_id: ALICE,
            display_name: "Alice".into(),
            title: None,
            is_active: true,
        }),
        EventBody::PersonPermissionsSet(catalog::PersonPermissionsSet {
            person_id: ALICE,
            roles: vec![],
            permissions: vec![],
        }),
        EventBody::TeamUpserted(catalog::TeamUpserted {
            team_id: TEAM_A,
            name: "A".into(),
            team_type: TeamType::Support,
            manager_person_id: Some(ALICE),
            is_active: true,
        }),
        EventBody::TeamMemberSet(catalog::TeamMemberSet {
            team_id: TEAM_A,
            person_id: ALICE,
            role: TeamRole::Member,
            is_active: true,
        }),
        EventBody::SettingsChanged(SettingsChanged {
            actor: ALICE.to_string(),
            changes: BTreeMap::new(),
            effective_from: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            reason: None,
        }),
        EventBody::PeriodClosed(PeriodClosed {
            period_start: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2026, 11, 9).unwrap(),
            scored_people: 3,
        }),
        EventBody::GoalCanceled(GoalCanceled { goal_id: Uuid::from_u128(1), actor_person_id: Some(ALICE) }),
        EventBody::GoalAchieved(GoalSettled { goal_id: Uuid::from_u128(1), current_value: None }),
        EventBody::GoalMissed(GoalSettled { goal_id: Uuid::from_u128(1), current_value: None }),
    ];
    for body in bodies {
        let name = body.type_name();
        assert_eq!(credited(body), [], "{name}");
    }
}
