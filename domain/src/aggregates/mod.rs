//! One cqrs-es aggregate per catalog entity. Each validates causal order
//! (§1) and enriches the event with the facts projections need (D4).
//!
//! Every aggregate takes an [`Activity`] as its command and emits exactly one
//! [`LogEvent`]. The pure [`Entity::decide`]/[`Entity::evolve`] pair is the
//! whole logic: cqrs-es's `handle`/`apply` delegate to it, and the bulk ingest
//! path calls it directly through [`EntityState`] for speed.

use chrono::{DateTime, Utc};

use crate::catalog::{EntityKind, EntityRef};
use crate::event::{Activity, EventBody, LogEvent};
use crate::validate::Rejection;

mod conversation;
mod goal;
mod lead;
mod organisation;
mod period;
mod quote;
mod record;
mod review;
mod settings;
mod task;
mod ticket;
mod work_order;

pub use conversation::Conversation;
pub use goal::{Goal, GoalCommand, GoalCommandEnvelope, GoalState};
pub use lead::Lead;
pub use organisation::{Person, Team};
pub use period::{ClosePeriod, Period};
pub use quote::Quote;
pub use record::{Contact, Organization};
pub use review::{
    review_aggregate_id, CurrentReview, Review, ReviewCommand, ReviewCommandEnvelope, ReviewStatus, ReviewSubject,
    MAX_FAILURE_REASON_CHARS,
};
pub use settings::{
    check_reason, latest_effective_from, ChangeSettings, SettingsAggregate, EARLIEST_EFFECTIVE_FROM,
    MAX_EFFECTIVE_DAYS_AHEAD, MAX_SETTINGS_REASON_CHARS, SETTINGS_AGGREGATE_ID,
};
pub use task::Task;
pub use ticket::Ticket;
pub use work_order::WorkOrder;

/// The pure core of an aggregate.
pub trait Entity: Default {
    const KIND: EntityKind;
    /// Accepts or refuses `activity` given the entity's history; on success,
    /// the enriched body of the one event it becomes.
    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection>;
    /// Folds an accepted event into the state.
    fn evolve(&mut self, event: &LogEvent);
}

/// `decide` wrapped into a full event.
pub fn decide_event<E: Entity>(entity: &E, activity: &Activity) -> Result<LogEvent, Rejection> {
    let body = entity.decide(activity)?;
    Ok(LogEvent { event_id: activity.event_id.clone(), occurred_at: activity.occurred_at, body })
}

macro_rules! catalog_aggregate {
    ($($ty:ident),*) => {
        $(
            impl cqrs_es::Aggregate for $ty {
                const TYPE: &'static str = <$ty as Entity>::KIND.as_str();
                type Command = Activity;
                type Event = LogEvent;
                type Error = Rejection;
                type Services = ();

                async fn handle(
                    &mut self,
                    command: Activity,
                    _services: &(),
                    sink: &cqrs_es::event_sink::EventSink<Self>,
                ) -> Result<(), Rejection> {
                    let event = decide_event(self, &command)?;
                    sink.write(event, self).await;
                    Ok(())
                }

                fn apply(&mut self, event: LogEvent) {
                    self.evolve(&event);
                }
            }
        )*

        /// Any catalog aggregate's state, for the ingest path that handles a
        /// batch touching many kinds at once.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EntityState {
            $($ty($ty),)*
        }

        impl EntityState {
            pub fn new(kind: EntityKind) -> Self {
                match kind {
                    $(EntityKind::$ty => EntityState::$ty($ty::default()),)*
                }
            }

            pub fn decide(&self, activity: &Activity) -> Result<LogEvent, Rejection> {
                match self {
                    $(EntityState::$ty(state) => decide_event(state, activity),)*
                }
            }

            pub fn evolve(&mut self, event: &LogEvent) {
                match self {
                    $(EntityState::$ty(state) => state.evolve(event),)*
                }
            }
        }
    };
}

catalog_aggregate!(Person, Team, Ticket, Task, WorkOrder, Conversation, Lead, Quote, Contact, Organization);

/// perfledger's own aggregates (settings, goals, periods): each has
/// `decide(&self, &Command) -> Result<LogEvent, Rejection>` and
/// `evolve(&mut self, &LogEvent)`; cqrs-es's `handle`/`apply` delegate.
macro_rules! own_aggregate {
    ($ty:ty, $type_name:literal, $command:ty) => {
        impl cqrs_es::Aggregate for $ty {
            const TYPE: &'static str = $type_name;
            type Command = $command;
            type Event = LogEvent;
            type Error = Rejection;
            type Services = ();

            async fn handle(
                &mut self,
                command: $command,
                _services: &(),
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Rejection> {
                let event = self.decide(&command)?;
                sink.write(event, self).await;
                Ok(())
            }

            fn apply(&mut self, event: LogEvent) {
                self.evolve(&event);
            }
        }
    };
}

own_aggregate!(SettingsAggregate, "settings", ChangeSettings);
own_aggregate!(Goal, "goal", GoalCommandEnvelope);
own_aggregate!(Period, "period", ClosePeriod);
own_aggregate!(crate::voids::VoidAggregate, "log", crate::voids::VoidEvent);

// ------------------------------------------------ shared causal-order rules

/// The entity named by an activity, for messages.
pub(crate) fn entity_of(activity: &Activity) -> EntityRef {
    activity.data.entity()
}

fn id_field(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "data.person_id",
        EntityKind::Team => "data.team_id",
        EntityKind::Ticket => "data.ticket_id",
        EntityKind::Task => "data.task_id",
        EntityKind::WorkOrder => "data.work_order_id",
        EntityKind::Conversation => "data.conversation_id",
        EntityKind::Lead => "data.lead_id",
        EntityKind::Quote => "data.quote_id",
        EntityKind::Contact => "data.contact_id",
        EntityKind::Organization => "data.organization_id",
    }
}

fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::WorkOrder => "work order",
        other => other.as_str(),
    }
}

/// A rejection about the entity itself, naming its id field and id.
pub(crate) fn entity_rejection(activity: &Activity, what: &str) -> Rejection {
    let entity = entity_of(activity);
    Rejection::new(id_field(entity.kind), format!("{} '{}' {what}", label(entity.kind), entity.id))
}

/// Every event but the creating one needs an existing entity, and may not
/// predate its creation (§1).
pub(crate) fn require_created(
    created_at: Option<DateTime<Utc>>,
    activity: &Activity,
    verb: &str,
) -> Result<DateTime<Utc>, Rejection> {
    let created_at = created_at.ok_or_else(|| entity_rejection(activity, &format!("was never {verb}")))?;
    not_before(created_at, activity, verb)?;
    Ok(created_at)
}

/// `occurred_at` may not be earlier than the entity's creation (§1).
pub(crate) fn not_before(created_at: DateTime<Utc>, activity: &Activity, verb: &str) -> Result<(), Rejection> {
    if activity.occurred_at < created_at {
        let entity = entity_of(activity);
        return Err(Rejection::new(
            "occurred_at",
            format!(
                "{} is before {} '{}' was {verb} ({})",
                activity.occurred_at.to_rfc3339(),
                label(entity.kind),
                entity.id,
                created_at.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// A second `opened`/`created`/`sent` for an existing id (§1).
pub(crate) fn refuse_recreate(
    created_at: Option<DateTime<Utc>>,
    activity: &Activity,
    verb: &str,
) -> Result<(), Rejection> {
    match created_at {
        Some(_) => Err(entity_rejection(activity, &format!("was already {verb}"))),
        None => Ok(()),
    }
}

/// Routing guarantees an aggregate only sees its own activity types; this
/// answers the impossible case without panicking.
pub(crate) fn foreign(activity: &Activity, kind: EntityKind) -> Rejection {
    Rejection::new("type", format!("{} is not an event of a {}", activity.data.type_name(), label(kind)))
}

/// Free text is redacted before it is written to the log (D13).
pub(crate) fn redacted(text: &Option<String>) -> Option<String> {
    text.as_deref().map(crate::redaction::redact)
}
