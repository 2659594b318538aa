//! The per-(person, day) accumulators (D6): merging days, distinct sets,
//! the contact last-save rule, activity counts and the row round trip.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use perfledger_domain::catalog::ConversationChannel::{Email, Phone};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::event::LogEvent;
use perfledger_domain::scoring::accumulate::{accumulate, DayKey, PersonDay};
use perfledger_domain::scoring::formulas::{score_period, PeriodInput, PersonPeriod};
use perfledger_domain::scoring::Domain::{DataQuality, Operations};
use perfledger_domain::settings::Settings;

use super::common::*;

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

fn tuesday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()
}

/// Events of every domain for Alice (and a little for Bob) on Monday
/// morning and Tuesday afternoon, with a task and a contact on both days.
fn two_day_world(tuesday_prefix: &str) -> World {
    let tue = |t: &str| format!("{tuesday_prefix}{t}");
    let mut w = World::new();
    w.team(TEAM_A, TeamType::Operations, &[ALICE, BOB])
        .at("08:00", task_created("A", Some(ALICE)))
        .at("08:10", task_blocked("A", Some(ALICE)))
        .at("08:20", ticket_resolved("T1", ALICE, 30, Some(true), true, 1))
        .at("08:30", contact_saved("K1", ALICE, &["email", "phone", "city"]))
        .at("08:40", conv_sent("C1", ALICE, Email, Some("4")))
        .at("08:50", lead_created("L1", ALICE, "500"))
        .at("09:00", wo_note("W1", ALICE, 120))
        .at("09:10", ticket_resolved("T9", BOB, 90, None, false, 0))
        .at(&tue("13:00"), task_blocked("A", Some(ALICE)))
        .at(&tue("13:10"), task_completed("A", Some(ALICE), Some(true), Some("0.5")))
        .at(&tue("13:20"), task_created("B", Some(ALICE)))
        .at(&tue("13:30"), contact_saved("K1", ALICE, &["email"]))
        .at(&tue("13:40"), conv_sent("C2", ALICE, Phone, Some("8")))
        .at(&tue("13:50"), lead_assigned("L1", ALICE, "500"))
        .at(&tue("14:00"), lead_created("L2", ALICE, "250"))
        .at(&tue("14:10"), wo_completed("W1", Some(ALICE), Some("10"), None, true))
        .at(&tue("14:20"), ticket_rated("T1", ALICE, 2));
    w
}

/// Monday's and Tuesday's accumulators merged equal one pass over both
/// days' events in a single accumulator (the same events with Tuesday's
/// moved to Monday afternoon, so the single pass has one key per person).
#[test]
fn two_days_merged_equal_one_pass_over_both_days() {
    let split = two_day_world("tue ");
    let days = split.days();
    let alice_days: Vec<NaiveDate> = {
        let mut v: Vec<NaiveDate> = days.keys().filter(|(p, _)| *p == ALICE).map(|(_, d)| *d).collect();
        v.sort();
        v
    };
    assert_eq!(alice_days, [monday(), tuesday()]);
    let mut merged = days[&(ALICE, monday())].clone();
    merged.merge(&days[&(ALICE, tuesday())]);

    let one_pass_world = two_day_world("");
    let one_pass_days = one_pass_world.days();
    assert_eq!(one_pass_days.len(), 2, "one key per person");
    let mut one_pass = one_pass_days[&(ALICE, monday())].clone();

    // Equal but for the contact's stored occurred_at (Tuesday vs Monday).
    let save = |p: &mut PersonDay| {
        let dq = p.data_quality.as_mut().unwrap();
        let k1 = dq.contacts.get_mut("K1").unwrap();
        assert_eq!(k1.key_fields, 1, "the last save is Tuesday's");
        k1.occurred_at = at("00:00");
    };
    save(&mut merged);
    save(&mut one_pass);
    assert_eq!(merged, one_pass);

    // And both score the same.
    let score = |activity: PersonDay| {
        let people = BTreeMap::from([(ALICE, PersonPeriod { activity, scoring_team: Some(TEAM_A) })]);
        score_period(&PeriodInput { people, teams: split.teams.clone(), settings: &Settings::default() })
    };
    assert_eq!(score(merged.clone()), score(one_pass));

    // The merged contents, by hand.
    assert_eq!((merged.first_position, merged.last_position, merged.events, merged.sales_events), (1, 17, 16, 3));
    let ops = merged.operations.as_ref().unwrap();
    assert_eq!(ops.tasks.iter().map(String::as_str).collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(ops.blocked_tasks.iter().map(String::as_str).collect::<Vec<_>>(), ["A"]);
    assert_eq!((ops.credited, ops.assignments, ops.completions), (5, 2, 1));
    let sales = merged.sales.as_ref().unwrap();
    assert_eq!(sales.pipeline.len(), 2, "L1 is one distinct lead across both days");
    assert_eq!(sales.pipeline_value(), n(750));
    let comm = merged.communication.as_ref().unwrap();
    assert_eq!((comm.first_responses, comm.first_response_minutes_sum), (2, n(12)));
    assert_eq!(comm.sent_channels.len(), 2);
}

/// Task A blocked on Monday and again on Tuesday is one blocked task; with
/// B, 2 distinct tasks: blocked rate 1/2 → 15 · 1/2 = 7.5.
#[test]
fn distinct_task_sets_across_days() {
    let w = two_day_world("tue ");
    let alice = w.person(ALICE);
    let m = metric(&alice, Operations, "blocked_rate");
    assert_eq!((m.numerator, m.denominator, m.points), (Some(n(1)), Some(n(2)), d("7.5")));
}

/// The last save of a contact by p decides, by occurred_at then position,
/// across days and whatever order the days are merged in; saves by others
/// are ignored.
#[test]
fn contact_last_save_rule() {
    let mut w = World::new();
    w.at("tue 10:00", contact_saved("K1", ALICE, &["email"])) // position 1
        .at("09:00", contact_saved("K1", ALICE, &["email", "phone", "city", "country_code"])) // 2: earlier time
        .at("tue 11:00", contact_saved("K1", BOB, &["email", "phone", "first_name", "last_name", "city"]))
        .at("12:00", contact_saved("K2", ALICE, &["email"])) // 4
        .at("12:00", contact_saved("K2", ALICE, &["email", "phone", "city"])); // 5: same time, later position
    let days = w.days();
    let (mon, tue) = (&days[&(ALICE, monday())], &days[&(ALICE, tuesday())]);
    let mut a = mon.clone();
    a.merge(tue);
    let mut b = tue.clone();
    b.merge(mon);
    assert_eq!(a, b);
    let contacts = &a.data_quality.as_ref().unwrap().contacts;
    assert_eq!((contacts["K1"].key_fields, contacts["K1"].position), (1, 1));
    assert_eq!((contacts["K2"].key_fields, contacts["K2"].position), (3, 5));
    // (1/6 + 3/6) / 2 = 1/3 → 40/3.
    let alice = w.person(ALICE);
    let m = metric(&alice, DataQuality, "contact_completeness");
    assert_eq!((m.numerator, m.denominator), (Some(n(4)), Some(n(12))));
    assert_2dp(m.points, "13.33");
    assert_eq!(metric(&w.person(BOB), DataQuality, "contact_completeness").raw_value, Some(d("5") / d("6")));
}

#[test]
fn merge_is_commutative_associative_and_has_an_identity() {
    let w = two_day_world("tue ");
    let days = w.days();
    let (a, b) = (&days[&(ALICE, monday())], &days[&(ALICE, tuesday())]);
    let c = &days[&(BOB, monday())];
    let merge = |x: &PersonDay, y: &PersonDay| {
        let mut m = x.clone();
        m.merge(y);
        m
    };
    assert_eq!(merge(a, b), merge(b, a));
    assert_eq!(merge(&merge(a, b), c), merge(a, &merge(b, c)));
    assert_eq!(merge(a, &PersonDay::default()), *a);
    assert_eq!(merge(&PersonDay::default(), a), *a);
    assert_eq!(merge(&PersonDay::default(), &PersonDay::default()), PersonDay::default());
    let (first, last) = (PersonDay::default().first_position, PersonDay::default().last_position);
    assert_eq!((first, last), (0, 0));
}

/// A ticket resolution is credited to Alice in support and data quality but
/// counts once; sales events count for the ratio.
#[test]
fn distinct_credited_events_and_sales_events() {
    let mut w = World::new();
    w.at("09:00", ticket_resolved("T1", ALICE, 5, None, false, 0))
        .at("09:10", wo_note("W1", ALICE, 5))
        .at("09:20", quote_sent("Q1", ALICE))
        .at("09:30", lead_contacted("L1", ALICE))
        .at("09:40", conv_resolved("C1", None, 5, 0, Email));
    let days = w.days();
    assert_eq!(days.len(), 1);
    let day = &days[&(ALICE, monday())];
    assert_eq!((day.events, day.sales_events), (4, 2));
    assert_eq!((day.first_position, day.last_position), (1, 4));
    assert_eq!(day.support.as_ref().unwrap().credited, 1);
    assert_eq!(day.data_quality.as_ref().unwrap().credited, 2);
    assert_eq!(w.person(ALICE).sales_activity_ratio, d("0.5"));
}

/// The day is the UTC date of occurred_at: 23:30 at −02:00 is 01:30 UTC
/// the next day.
#[test]
fn the_day_is_the_utc_date() {
    let mut days: HashMap<DayKey, PersonDay> = HashMap::new();
    let event = LogEvent {
        event_id: "e".into(),
        occurred_at: at("2026-11-02T23:30:00-02:00"),
        body: ticket_assigned("T1", ALICE),
    };
    accumulate(&mut days, 7, &event);
    assert_eq!(days.keys().copied().collect::<Vec<_>>(), [(ALICE, tuesday())]);
    assert_eq!((days[&(ALICE, tuesday())].first_position, days[&(ALICE, tuesday())].last_position), (7, 7));
}

/// Positions folded out of order still give the min/max range.
#[test]
fn position_range_is_min_and_max() {
    let mut days: HashMap<DayKey, PersonDay> = HashMap::new();
    for position in [40, 12, 95, 33] {
        let event =
            LogEvent { event_id: format!("e{position}"), occurred_at: at("09:00"), body: task_assigned("X", BOB) };
        accumulate(&mut days, position, &event);
    }
    let day = &days[&(BOB, monday())];
    assert_eq!((day.first_position, day.last_position, day.events), (12, 95, 4));
}

/// The members of a stored day, in the order they were written.
fn stored_kinds(stored: &str) -> Vec<&'static str> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(stored).unwrap();
    let mut kinds: Vec<(usize, &'static str)> =
        ["support", "operations", "field_service", "communication", "sales", "data_quality", "activity"]
            .into_iter()
            .filter(|k| object.contains_key(*k))
            .map(|k| (stored.find(&format!("\"{k}\":{{")).unwrap(), k))
            .collect();
    assert_eq!(kinds.len(), object.len(), "only known kinds: {stored}");
    kinds.sort();
    kinds.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn stored_days_round_trip_exactly() {
    let w = two_day_world("tue ");
    let merged = w.merged();
    for day in merged.values().chain(w.days().values()).chain([&PersonDay::default()]) {
        let stored = day.to_stored();
        assert_eq!(PersonDay::from_stored(&stored).unwrap(), *day);
        // Reprinted, as jsonb prints it (migration 0006): other spacing, the
        // members in another order.
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&stored).unwrap();
        let reprinted = serde_json::to_string_pretty(&object).unwrap();
        assert_ne!(reprinted, stored);
        assert_eq!(PersonDay::from_stored(&reprinted).unwrap(), *day);
    }
    let kinds = stored_kinds(&merged[&ALICE].to_stored());
    assert_eq!(kinds, ["support", "operations", "field_service", "communication", "sales", "data_quality", "activity"]);
    assert_eq!(stored_kinds(&merged[&BOB].to_stored()), ["support", "data_quality", "activity"]);
    assert_eq!(stored_kinds(&PersonDay::default().to_stored()), ["activity"]);
}

#[test]
fn stored_days_are_deterministic_json() {
    let w = two_day_world("tue ");
    let a = w.merged()[&ALICE].to_stored();
    let b = two_day_world("tue ").merged()[&ALICE].to_stored();
    assert_eq!(a, b);
    // Money and minutes are decimal strings, never floats.
    let stored: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(stored["sales"]["pipeline"]["L1"], serde_json::json!("500"));
}

#[test]
fn from_stored_rejects_bad_input() {
    let day = two_day_world("tue ").merged()[&ALICE].clone();
    let stored = day.to_stored();
    let object = || -> serde_json::Map<String, serde_json::Value> { serde_json::from_str(&stored).unwrap() };

    let mut unknown = object();
    unknown.insert("marketing".into(), serde_json::json!({}));
    let unknown = serde_json::to_string(&unknown).unwrap();
    assert!(PersonDay::from_stored(&unknown).unwrap_err().contains("marketing"));

    let support = serde_json::to_string(&object()["support"]).unwrap();
    let twice = stored.replacen('{', &format!("{{\"support\":{support},"), 1);
    assert!(PersonDay::from_stored(&twice).unwrap_err().contains("duplicate field `support`"));

    let mut missing = object();
    missing.remove("activity");
    let missing = serde_json::to_string(&missing).unwrap();
    assert!(PersonDay::from_stored(&missing).unwrap_err().contains("activity"));

    let mut broken = object();
    broken.insert("support".into(), serde_json::json!({"credited": "many"}));
    let broken = serde_json::to_string(&broken).unwrap();
    assert!(PersonDay::from_stored(&broken).unwrap_err().contains("support"));

    assert!(PersonDay::from_stored("[]").unwrap_err().contains("accumulator day"));
    assert!(PersonDay::from_stored(&stored[1..]).unwrap_err().contains("accumulator day"));
    assert!(PersonDay::from_stored(&format!("{stored} trailing")).unwrap_err().contains("accumulator day"));
}
