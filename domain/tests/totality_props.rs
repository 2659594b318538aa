//! Issue 14: every fold and formula is total. Stored events carrying the
//! extremes a log may hold (written before the input ranges, or by another
//! build: `Decimal::MAX`, 28 decimal places, negative durations, ratings of
//! 255, `u32::MAX` characters) are folded into accumulators, merged, stored
//! and read back, and scored, without a panic and with every score in its
//! bounds. The end-to-end half (decide → store → every projector → the
//! scoring pass, in PostgreSQL) is `tests/e2e/totality.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{TimeZone, Utc};
use perfledger_domain::catalog::{self, ConversationChannel, TeamType};
use perfledger_domain::event::{self as ev, EventBody, LogEvent};
use perfledger_domain::scoring::accumulate::{accumulate, PersonDay};
use perfledger_domain::scoring::formulas::{score_period, PeriodInput, PersonPeriod, TeamInfo};
use perfledger_domain::settings::Settings;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn person(i: u8) -> Uuid {
    Uuid::from_u128(0x9000 + u128::from(i % 3))
}

fn extreme_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
        Just(Decimal::new(1, 28)),
        Just(Decimal::new(-1, 28)),
        Just(Decimal::from(60)),
        any::<i64>().prop_map(Decimal::from),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..=28)
            .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
    ]
}

fn channel() -> impl Strategy<Value = ConversationChannel> {
    prop_oneof![Just(ConversationChannel::Email), Just(ConversationChannel::Whatsapp), Just(ConversationChannel::Sms)]
}

/// One stored body credited to someone, with extreme facts.
fn body() -> impl Strategy<Value = EventBody> {
    let id = "[A-C]";
    prop_oneof![
        (id, any::<u8>(), extreme_decimal(), any::<Option<bool>>(), any::<bool>(), any::<u32>()).prop_map(
            |(t, p, minutes, sla_met, escalated, tags)| EventBody::TicketResolved(ev::TicketResolved {
                ticket_id: t,
                summary: None,
                resolver_person_id: person(p),
                resolution_minutes: minutes,
                sla_met,
                ever_escalated: escalated,
                tag_count: tags,
                reference: None,
            })
        ),
        (id, any::<u8>(), any::<u8>()).prop_map(|(t, rating, p)| EventBody::TicketRated(ev::TicketRated {
            ticket_id: t,
            rating,
            resolver_person_id: person(p),
        })),
        (id, any::<u8>(), any::<u32>()).prop_map(|(t, p, chars)| EventBody::TicketCommented(
            catalog::TicketCommented { ticket_id: t, person_id: person(p), body_chars: chars, internal: false }
        )),
        (id, any::<u8>(), any::<Option<bool>>(), proptest::option::of(extreme_decimal())).prop_map(
            |(t, p, on_time, accuracy)| EventBody::TaskCompleted(ev::TaskCompleted {
                task_id: t,
                actual_hours: None,
                completer_person_id: Some(person(p)),
                on_time,
                effort_accuracy: accuracy,
            })
        ),
        (
            id,
            any::<u8>(),
            proptest::option::of(extreme_decimal()),
            proptest::option::of(extreme_decimal()),
            any::<bool>()
        )
            .prop_map(|(w, p, delay, accuracy, notes)| EventBody::WorkOrderCompleted(ev::WorkOrderCompleted {
                work_order_id: w,
                summary: None,
                completer_person_id: Some(person(p)),
                delay_minutes: delay,
                duration_accuracy: accuracy,
                has_notes: notes,
                reference: None,
            })),
        (id, any::<u8>(), any::<u32>()).prop_map(|(w, p, chars)| EventBody::WorkOrderNoteAdded(
            catalog::WorkOrderNoteAdded { work_order_id: w, person_id: person(p), body_chars: chars }
        )),
        (id, any::<u8>(), channel(), proptest::option::of(extreme_decimal())).prop_map(|(c, p, channel, minutes)| {
            EventBody::ConversationMessageSent(ev::ConversationMessageSent {
                conversation_id: c,
                person_id: person(p),
                channel,
                first_response_minutes: minutes,
            })
        }),
        (id, any::<u8>(), channel(), extreme_decimal(), any::<u32>()).prop_map(|(c, p, channel, minutes, tags)| {
            EventBody::ConversationResolved(ev::ConversationResolved {
                conversation_id: c,
                summary: None,
                resolver_person_id: Some(person(p)),
                resolution_minutes: minutes,
                tag_count: tags,
                channel,
                reference: None,
            })
        }),
        (id, any::<u8>(), extreme_decimal()).prop_map(|(l, p, value)| EventBody::LeadCreated(catalog::LeadCreated {
            lead_id: l,
            reference: None,
            owner_person_id: person(p),
            estimated_value: value,
        })),
        (id, any::<u8>(), extreme_decimal()).prop_map(|(l, p, value)| EventBody::LeadAssigned(ev::LeadAssigned {
            lead_id: l,
            person_id: person(p),
            estimated_value: value,
        })),
        (id, any::<u8>()).prop_map(|(l, p)| EventBody::LeadWon(ev::LeadClosed {
            lead_id: l,
            reason: None,
            owner_person_id: person(p)
        })),
        (id, any::<u8>(), extreme_decimal()).prop_map(|(q, p, total)| EventBody::QuoteSent(catalog::QuoteSent {
            quote_id: q,
            lead_id: None,
            owner_person_id: person(p),
            total,
        })),
        (id, any::<u8>(), proptest::collection::vec("[a-z_]{1,12}", 0..12)).prop_map(|(c, p, filled)| {
            EventBody::ContactSaved(catalog::ContactSaved { contact_id: c, editor_person_id: person(p), filled })
        }),
    ]
}

fn event(n: usize, body: EventBody, day: u32) -> LogEvent {
    LogEvent {
        event_id: format!("e-{n}"),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 2 + day % 7, 10, 0, 0).unwrap(),
        body,
    }
}

/// 2,000 cases in the suite; `PERFLEDGER_TOTALITY_CASES` for a longer run.
fn cases() -> u32 {
    std::env::var("PERFLEDGER_TOTALITY_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn extreme_stored_facts_fold_store_and_score_within_bounds(
        bodies in proptest::collection::vec((body(), 0u32..7), 1..40),
        team_type in prop_oneof![Just(TeamType::Support), Just(TeamType::Sales), Just(TeamType::Other)],
    ) {
        let mut days: HashMap<_, PersonDay> = HashMap::new();
        for (n, (body, day)) in bodies.into_iter().enumerate() {
            accumulate(&mut days, n as i64 + 1, &event(n, body, day));
        }
        // Every day survives the row round trip, and merging is total.
        let mut merged: BTreeMap<Uuid, PersonDay> = BTreeMap::new();
        for ((person, _), day) in &days {
            let stored = day.to_stored();
            let back = PersonDay::from_stored(&stored).expect("a stored day reads back");
            prop_assert_eq!(&back, day);
            merged.entry(*person).or_default().merge(&back);
        }
        let team = Uuid::from_u128(0x7000);
        let members: BTreeSet<Uuid> = merged.keys().copied().collect();
        let people = merged
            .into_iter()
            .map(|(id, activity)| (id, PersonPeriod { activity, scoring_team: Some(team) }))
            .collect();
        let teams = BTreeMap::from([(team, TeamInfo { team_type, members })]);
        let settings = Settings::default();
        let scores = score_period(&PeriodInput { people, teams, settings: &settings });
        for score in scores {
            prop_assert!(score.composite >= Decimal::ZERO && score.composite <= Decimal::ONE_HUNDRED, "{:?}", score.composite);
            for domain in &score.domains {
                prop_assert!(domain.raw_score >= Decimal::ZERO && domain.raw_score <= Decimal::ONE_HUNDRED);
                for metric in &domain.metrics {
                    prop_assert!(metric.points >= Decimal::ZERO && metric.points <= metric.max, "{metric:?}");
                }
            }
        }
    }
}
