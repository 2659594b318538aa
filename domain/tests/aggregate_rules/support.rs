//! Builders shared by the aggregate tests.

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use perfledger_domain::aggregates::{decide_event, Entity};
use perfledger_domain::{Activity, ActivityData, EventBody, LogEvent};
use uuid::Uuid;

pub const ALICE: Uuid = Uuid::from_u128(0xa11ce);
pub const BOB: Uuid = Uuid::from_u128(0xb0b);

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 test timestamp")
}

/// An activity `id` at `when` (e.g. "2026-11-02T09:00:00Z").
pub fn act(id: &str, when: &str, data: ActivityData) -> Activity {
    Activity { event_id: id.to_string(), occurred_at: at(when), data }
}

/// The event an accepted activity becomes, with the given body.
pub fn event(id: &str, when: &str, body: EventBody) -> LogEvent {
    LogEvent { event_id: id.to_string(), occurred_at: at(when), body }
}

/// The events a history of activities produces (each must be accepted).
pub fn history<A: Entity + Aggregate>(activities: Vec<Activity>) -> Vec<LogEvent> {
    let mut state = A::default();
    activities
        .into_iter()
        .map(|activity| {
            let event = decide_event(&state, &activity).unwrap_or_else(|r| panic!("given history rejected: {r}"));
            state.evolve(&event);
            event
        })
        .collect()
}

/// `TestFramework` given the events of `activities`.
pub fn given<A>(activities: Vec<Activity>) -> cqrs_es::test::AggregateTestExecutor<A>
where
    A: Entity + Aggregate<Services = (), Event = LogEvent>,
{
    TestFramework::<A>::with(()).given(history::<A>(activities))
}

pub fn given_nothing<A>() -> cqrs_es::test::AggregateTestExecutor<A>
where
    A: Entity + Aggregate<Services = ()>,
{
    TestFramework::<A>::with(()).given_no_previous_events()
}

/// The accepted event's body, for checking enrichment.
pub fn body_of<A>(executor: cqrs_es::test::AggregateTestExecutor<A>, activity: Activity) -> EventBody
where
    A: Aggregate<Command = Activity, Event = LogEvent, Error = perfledger_domain::Rejection>,
{
    let events = executor.when(activity).inspect_result().unwrap_or_else(|r| panic!("rejected: {r}"));
    assert_eq!(events.len(), 1);
    events.into_iter().next().unwrap().body
}

/// The rejection's field and whether its reason contains `needle`.
pub fn rejected<A>(executor: cqrs_es::test::AggregateTestExecutor<A>, activity: Activity, field: &str, needle: &str)
where
    A: Aggregate<Command = Activity, Event = LogEvent, Error = perfledger_domain::Rejection>,
{
    match executor.when(activity).inspect_result() {
        Ok(events) => panic!("expected a rejection of {field}, got {events:?}"),
        Err(rejection) => {
            assert_eq!(rejection.field, field, "{rejection}");
            assert!(rejection.reason.contains(needle), "'{}' does not mention '{needle}'", rejection.reason);
        }
    }
}
