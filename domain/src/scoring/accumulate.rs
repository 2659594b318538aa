//! What each stored event credits to whom (§3 "Credited events"), folded into
//! mergeable per-(person, day) accumulators (D6): sums, counts and distinct
//! sets, so that any range of days can be merged and scored.
//!
//! INTERFACE (used by the projections crate; keep these signatures):
//! - `PersonDay` — one person's accumulators for one UTC day, `Default`,
//!   `Clone`, `PartialEq`, serde; `merge(&mut self, &PersonDay)` is
//!   associative and commutative; `first_position`/`last_position` are the
//!   global_position range of the events folded in (0/0 when empty).
//! - `PersonDay::to_stored(&self) -> String` / `from_stored(&str)`: the
//!   stored row of a (person, day), one JSON object keyed by kind: each
//!   present domain accumulator (kind = `Domain::as_str()`) and the
//!   `"activity"` member (distinct credited events, sales events, positions).
//! - `accumulate(days, position, event)`: folds one event into the map.
//! - `credits(event) -> Vec<(Uuid, Domain)>`: the (person, domain) pairs an
//!   event is credited to (used by drilldown and by `accumulate`).
//!
//! Every accumulator is a sum, a count, a distinct set (`BTreeSet`), a
//! distinct map with a commutative choice per key (`BTreeMap`), or a min/max,
//! so merging days in any grouping and order gives the same result, and
//! serialisation is deterministic. Minutes, accuracies and money are exact
//! decimals, never floats.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{ConversationChannel, CONTACT_KEY_FIELDS, ORGANIZATION_KEY_FIELDS};
use crate::event::{EventBody, LogEvent};
use crate::scoring::Domain;

/// Decimal places every folded duration or accuracy is rounded to before it
/// is added. Facts like `resolution_minutes` carry up to 28 significant
/// digits (microseconds / 60,000,000); sums of such values round differently
/// depending on how events are grouped into batches. At a fixed scale,
/// addition is exact, so accumulators are identical whatever the batching
/// (replay == live). 12 places is far below anything a stored 2-dp score sees.
pub const FOLD_DP: u32 = 12;

/// A fact as it is folded: rounded half-up to [`FOLD_DP`] places.
pub fn fold_fact(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(FOLD_DP, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The key of one accumulator: a person and a UTC day.
pub type DayKey = (Uuid, NaiveDate);

/// Support (tickets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportAcc {
    /// Events credited to the person in this domain.
    pub credited: u64,
    /// `ticket.resolved` by the person.
    pub resolutions: u64,
    /// Resolutions with `sla_met` not null.
    pub sla_known: u64,
    /// Resolutions with `sla_met = true`.
    pub sla_met: u64,
    /// Σ resolution_minutes over the resolutions.
    pub resolution_minutes_sum: Decimal,
    /// Resolutions with `ever_escalated` (v1: `was_escalated`).
    pub escalated_resolutions: u64,
    /// `ticket.rated` on the person's resolutions.
    pub ratings: u64,
    pub rating_sum: u64,
}

/// Operations (project tasks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationsAcc {
    pub credited: u64,
    /// `task.created` with the person as assignee plus `task.assigned` to them.
    pub assignments: u64,
    /// `task.completed` by the person.
    pub completions: u64,
    /// Completions with `on_time` not null / true.
    pub on_time_known: u64,
    pub on_time: u64,
    /// Completions with `effort_accuracy` not null, and its sum.
    pub effort_accuracy_count: u64,
    pub effort_accuracy_sum: Decimal,
    /// Distinct tasks with any event credited to the person.
    pub tasks: BTreeSet<String>,
    /// Distinct tasks blocked while the person was assignee.
    pub blocked_tasks: BTreeSet<String>,
}

/// Field service (work orders).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldServiceAcc {
    pub credited: u64,
    /// `work_order.created` with the person as assignee plus `work_order.assigned` to them.
    pub assignments: u64,
    /// `work_order.completed` by the person.
    pub completions: u64,
    /// Completions with `delay_minutes` not null, and its sum.
    pub delay_count: u64,
    pub delay_minutes_sum: Decimal,
    /// Completions with `duration_accuracy` not null, and its sum.
    pub duration_accuracy_count: u64,
    pub duration_accuracy_sum: Decimal,
    /// Completions with `has_notes`.
    pub completions_with_notes: u64,
}

/// Communication (inbox).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicationAcc {
    pub credited: u64,
    /// `first_response_minutes` credited to the person (messages that answered).
    pub first_responses: u64,
    pub first_response_minutes_sum: Decimal,
    /// `conversation.resolved` by the person, and Σ resolution_minutes.
    pub resolutions: u64,
    pub resolution_minutes_sum: Decimal,
    /// Channels of the conversations in which the person sent a message.
    pub sent_channels: BTreeSet<ConversationChannel>,
    /// Channels of the conversations with any event credited to the person
    /// (the team's channel-coverage denominator is their union).
    pub credited_channels: BTreeSet<ConversationChannel>,
}

/// Sales (leads, quotes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesAcc {
    pub credited: u64,
    pub won: u64,
    pub lost: u64,
    /// Distinct leads created with the person as owner or assigned to them,
    /// with the lead's estimated_value at that moment (fixed per lead; when
    /// two values ever met, the larger is kept, so merging stays commutative).
    pub pipeline: BTreeMap<String, Decimal>,
    pub quotes_sent: u64,
    pub quotes_accepted: u64,
    /// `lead.contacted` by the person.
    pub lead_contacts: u64,
}

/// The person's last save of one record (§3 Data quality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LastSave {
    pub occurred_at: DateTime<Utc>,
    pub position: i64,
    /// |filled ∩ key fields| (distinct key fields).
    pub key_fields: u32,
}

/// Data quality (records, tagging, notes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQualityAcc {
    pub credited: u64,
    /// The person's own last save of each contact (max by occurred_at, then position).
    pub contacts: BTreeMap<String, LastSave>,
    /// The same for organizations.
    pub organizations: BTreeMap<String, LastSave>,
    /// Ticket and conversation resolutions by the person, and those with tag_count > 0.
    pub resolutions: u64,
    pub tagged_resolutions: u64,
    /// Ticket comments and work-order notes by the person, and Σ body_chars.
    pub notes: u64,
    pub note_chars_sum: u64,
}

/// The `"activity"` member: what the sales activity ratio and the position range need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ActivityRow {
    events: u64,
    sales_events: u64,
    first_position: i64,
    last_position: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonDay {
    pub first_position: i64,
    pub last_position: i64,
    /// Distinct events credited to the person (an event credited in two
    /// domains counts once).
    pub events: u64,
    /// Events credited to the person in the sales domain.
    pub sales_events: u64,
    /// Present iff at least one event of the domain was credited (D7).
    pub support: Option<SupportAcc>,
    pub operations: Option<OperationsAcc>,
    pub field_service: Option<FieldServiceAcc>,
    pub communication: Option<CommunicationAcc>,
    pub sales: Option<SalesAcc>,
    pub data_quality: Option<DataQualityAcc>,
}

fn merge_opt<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>, merge: impl FnOnce(&mut T, &T)) {
    match (mine.as_mut(), theirs) {
        (_, None) => {}
        (None, Some(t)) => *mine = Some(t.clone()),
        (Some(m), Some(t)) => merge(m, t),
    }
}

fn merge_last_saves(mine: &mut BTreeMap<String, LastSave>, theirs: &BTreeMap<String, LastSave>) {
    for (id, save) in theirs {
        mine.entry(id.clone()).and_modify(|m| *m = (*m).max(*save)).or_insert(*save);
    }
}

impl SupportAcc {
    fn merge(&mut self, o: &SupportAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        self.resolutions = self.resolutions.saturating_add(o.resolutions);
        self.sla_known = self.sla_known.saturating_add(o.sla_known);
        self.sla_met = self.sla_met.saturating_add(o.sla_met);
        self.resolution_minutes_sum = self.resolution_minutes_sum.saturating_add(o.resolution_minutes_sum);
        self.escalated_resolutions = self.escalated_resolutions.saturating_add(o.escalated_resolutions);
        self.ratings = self.ratings.saturating_add(o.ratings);
        self.rating_sum = self.rating_sum.saturating_add(o.rating_sum);
    }
}

impl OperationsAcc {
    fn merge(&mut self, o: &OperationsAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        self.assignments = self.assignments.saturating_add(o.assignments);
        self.completions = self.completions.saturating_add(o.completions);
        self.on_time_known = self.on_time_known.saturating_add(o.on_time_known);
        self.on_time = self.on_time.saturating_add(o.on_time);
        self.effort_accuracy_count = self.effort_accuracy_count.saturating_add(o.effort_accuracy_count);
        self.effort_accuracy_sum = self.effort_accuracy_sum.saturating_add(o.effort_accuracy_sum);
        self.tasks.extend(o.tasks.iter().cloned());
        self.blocked_tasks.extend(o.blocked_tasks.iter().cloned());
    }
}

impl FieldServiceAcc {
    fn merge(&mut self, o: &FieldServiceAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        self.assignments = self.assignments.saturating_add(o.assignments);
        self.completions = self.completions.saturating_add(o.completions);
        self.delay_count = self.delay_count.saturating_add(o.delay_count);
        self.delay_minutes_sum = self.delay_minutes_sum.saturating_add(o.delay_minutes_sum);
        self.duration_accuracy_count = self.duration_accuracy_count.saturating_add(o.duration_accuracy_count);
        self.duration_accuracy_sum = self.duration_accuracy_sum.saturating_add(o.duration_accuracy_sum);
        self.completions_with_notes = self.completions_with_notes.saturating_add(o.completions_with_notes);
    }
}

impl CommunicationAcc {
    fn merge(&mut self, o: &CommunicationAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        self.first_responses = self.first_responses.saturating_add(o.first_responses);
        self.first_response_minutes_sum = self.first_response_minutes_sum.saturating_add(o.first_response_minutes_sum);
        self.resolutions = self.resolutions.saturating_add(o.resolutions);
        self.resolution_minutes_sum = self.resolution_minutes_sum.saturating_add(o.resolution_minutes_sum);
        self.sent_channels.extend(o.sent_channels.iter().copied());
        self.credited_channels.extend(o.credited_channels.iter().copied());
    }
}

impl SalesAcc {
    fn merge(&mut self, o: &SalesAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        self.won = self.won.saturating_add(o.won);
        self.lost = self.lost.saturating_add(o.lost);
        for (lead, value) in &o.pipeline {
            self.add_lead(lead, *value);
        }
        self.quotes_sent = self.quotes_sent.saturating_add(o.quotes_sent);
        self.quotes_accepted = self.quotes_accepted.saturating_add(o.quotes_accepted);
        self.lead_contacts = self.lead_contacts.saturating_add(o.lead_contacts);
    }

    fn add_lead(&mut self, lead: &str, value: Decimal) {
        match self.pipeline.get_mut(lead) {
            Some(existing) => *existing = (*existing).max(value),
            None => {
                self.pipeline.insert(lead.to_string(), value);
            }
        }
    }

    /// Σ estimated_value over the distinct leads.
    pub fn pipeline_value(&self) -> Decimal {
        self.pipeline.values().fold(Decimal::ZERO, |sum, v| sum.saturating_add(*v))
    }
}

impl DataQualityAcc {
    fn merge(&mut self, o: &DataQualityAcc) {
        self.credited = self.credited.saturating_add(o.credited);
        merge_last_saves(&mut self.contacts, &o.contacts);
        merge_last_saves(&mut self.organizations, &o.organizations);
        self.resolutions = self.resolutions.saturating_add(o.resolutions);
        self.tagged_resolutions = self.tagged_resolutions.saturating_add(o.tagged_resolutions);
        self.notes = self.notes.saturating_add(o.notes);
        self.note_chars_sum = self.note_chars_sum.saturating_add(o.note_chars_sum);
    }
}

impl PersonDay {
    /// Nothing was folded in.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// The domains with an accumulator, in [`Domain::ALL`] order.
    pub fn scored_domains(&self) -> Vec<Domain> {
        Domain::ALL.into_iter().filter(|d| self.has_domain(*d)).collect()
    }

    /// Whether at least one event of `domain` was credited (D7).
    pub fn has_domain(&self, domain: Domain) -> bool {
        match domain {
            Domain::Support => self.support.is_some(),
            Domain::Operations => self.operations.is_some(),
            Domain::FieldService => self.field_service.is_some(),
            Domain::Communication => self.communication.is_some(),
            Domain::Sales => self.sales.is_some(),
            Domain::DataQuality => self.data_quality.is_some(),
        }
    }

    pub fn merge(&mut self, other: &PersonDay) {
        if other.is_empty() {
            // An empty day is the identity: no position range to widen.
        } else if self.is_empty() {
            self.first_position = other.first_position;
            self.last_position = other.last_position;
        } else {
            self.first_position = self.first_position.min(other.first_position);
            self.last_position = self.last_position.max(other.last_position);
        }
        self.events = self.events.saturating_add(other.events);
        self.sales_events = self.sales_events.saturating_add(other.sales_events);
        merge_opt(&mut self.support, &other.support, SupportAcc::merge);
        merge_opt(&mut self.operations, &other.operations, OperationsAcc::merge);
        merge_opt(&mut self.field_service, &other.field_service, FieldServiceAcc::merge);
        merge_opt(&mut self.communication, &other.communication, CommunicationAcc::merge);
        merge_opt(&mut self.sales, &other.sales, SalesAcc::merge);
        merge_opt(&mut self.data_quality, &other.data_quality, DataQualityAcc::merge);
    }

    /// The stored row of this (person, day): [`StoredDay`] as JSON text.
    pub fn to_stored(&self) -> String {
        let stored = StoredDay {
            support: self.support.as_ref().map(Cow::Borrowed),
            operations: self.operations.as_ref().map(Cow::Borrowed),
            field_service: self.field_service.as_ref().map(Cow::Borrowed),
            communication: self.communication.as_ref().map(Cow::Borrowed),
            sales: self.sales.as_ref().map(Cow::Borrowed),
            data_quality: self.data_quality.as_ref().map(Cow::Borrowed),
            activity: ActivityRow {
                events: self.events,
                sales_events: self.sales_events,
                first_position: self.first_position,
                last_position: self.last_position,
            },
        };
        serde_json::to_string(&stored).expect("an accumulator day always serialises to JSON")
    }

    /// The inverse of [`PersonDay::to_stored`]. Errors name the member: an
    /// unknown kind, a kind given twice, a missing `"activity"`, or an
    /// accumulator that does not parse.
    pub fn from_stored(text: &str) -> Result<PersonDay, String> {
        let stored: StoredDay<'static> = serde_json::from_str(text).map_err(|plain| {
            // Read again only to say where it fails: path tracking costs the
            // scoring and merge reads on every row.
            let mut de = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, StoredDay<'static>>(&mut de) {
                Err(located) => format!("accumulator day: {located}"),
                Ok(_) => format!("accumulator day: {plain}"),
            }
        })?;
        Ok(PersonDay {
            first_position: stored.activity.first_position,
            last_position: stored.activity.last_position,
            events: stored.activity.events,
            sales_events: stored.activity.sales_events,
            support: stored.support.map(Cow::into_owned),
            operations: stored.operations.map(Cow::into_owned),
            field_service: stored.field_service.map(Cow::into_owned),
            communication: stored.communication.map(Cow::into_owned),
            sales: stored.sales.map(Cow::into_owned),
            data_quality: stored.data_quality.map(Cow::into_owned),
        })
    }
}

/// A (person, day) as `metric_accumulators.data` holds it: the present domain
/// accumulators keyed by kind, in [`Domain::ALL`] order, then `"activity"`.
/// Written from borrows, read back owned; serde refuses an unknown or
/// repeated kind and a missing `"activity"`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredDay<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    support: Option<Cow<'a, SupportAcc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operations: Option<Cow<'a, OperationsAcc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field_service: Option<Cow<'a, FieldServiceAcc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    communication: Option<Cow<'a, CommunicationAcc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sales: Option<Cow<'a, SalesAcc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_quality: Option<Cow<'a, DataQualityAcc>>,
    activity: ActivityRow,
}

/// The (person, domain) pairs `event` is credited to (§3 "Credited events"),
/// without duplicates, in domain order per person. Completions and
/// resolutions without a person, status changes without an assignee, and
/// organisation, settings, period and goal events credit nobody.
pub fn credits(event: &LogEvent) -> Vec<(Uuid, Domain)> {
    use Domain::*;
    use EventBody as B;
    let pairs: Vec<(Uuid, Domain)> = match &event.body {
        // Support: opened with p as assignee, assigned to p, escalated while p
        // is assignee, resolved by p, rated on p's resolution.
        B::TicketOpened(d) => d.assignee_person_id.map(|p| vec![(p, Support)]).unwrap_or_default(),
        B::TicketAssigned(d) => vec![(d.person_id, Support)],
        B::TicketEscalated(d) => d.assignee_person_id.map(|p| vec![(p, Support)]).unwrap_or_default(),
        // Data quality: tickets resolved by p.
        B::TicketResolved(d) => vec![(d.resolver_person_id, Support), (d.resolver_person_id, DataQuality)],
        B::TicketRated(d) => vec![(d.resolver_person_id, Support)],
        // Data quality: comments by p.
        B::TicketCommented(d) => vec![(d.person_id, DataQuality)],
        B::TicketTagged(_) | B::TicketReopened(_) => vec![],

        // Operations: created with p as assignee, assigned to p, the rest while p is assignee.
        B::TaskCreated(d) => d.assignee_person_id.map(|p| vec![(p, Operations)]).unwrap_or_default(),
        B::TaskAssigned(d) => vec![(d.person_id, Operations)],
        B::TaskBlocked(d) | B::TaskUnblocked(d) | B::TaskCanceled(d) => {
            d.assignee_person_id.map(|p| vec![(p, Operations)]).unwrap_or_default()
        }
        B::TaskCompleted(d) => d.completer_person_id.map(|p| vec![(p, Operations)]).unwrap_or_default(),

        // Field service: the same pattern, plus notes by p (also data quality).
        B::WorkOrderCreated(d) => d.assignee_person_id.map(|p| vec![(p, FieldService)]).unwrap_or_default(),
        B::WorkOrderAssigned(d) => vec![(d.person_id, FieldService)],
        B::WorkOrderStarted(d) | B::WorkOrderCanceled(d) => {
            d.assignee_person_id.map(|p| vec![(p, FieldService)]).unwrap_or_default()
        }
        B::WorkOrderNoteAdded(d) => vec![(d.person_id, FieldService), (d.person_id, DataQuality)],
        B::WorkOrderCompleted(d) => d.completer_person_id.map(|p| vec![(p, FieldService)]).unwrap_or_default(),

        // Communication: assigned to p, messages sent by p, resolved by p
        // (data quality: conversations resolved by p).
        B::ConversationAssigned(d) => vec![(d.person_id, Communication)],
        B::ConversationMessageSent(d) => vec![(d.person_id, Communication)],
        B::ConversationResolved(d) => {
            d.resolver_person_id.map(|p| vec![(p, Communication), (p, DataQuality)]).unwrap_or_default()
        }
        B::ConversationOpened(_) | B::ConversationMessageReceived(_) | B::ConversationTagged(_) => vec![],

        // Sales: leads created for p or assigned to p, contacts by p, won or
        // lost on p's leads, quotes sent by p and their outcomes.
        B::LeadCreated(d) => vec![(d.owner_person_id, Sales)],
        B::LeadAssigned(d) => vec![(d.person_id, Sales)],
        B::LeadContacted(d) => vec![(d.person_id, Sales)],
        B::LeadWon(d) | B::LeadLost(d) => vec![(d.owner_person_id, Sales)],
        B::QuoteSent(d) => vec![(d.owner_person_id, Sales)],
        B::QuoteAccepted(d) | B::QuoteRejected(d) | B::QuoteExpired(d) => vec![(d.owner_person_id, Sales)],

        // Data quality: saves by p.
        B::ContactSaved(d) => vec![(d.editor_person_id, DataQuality)],
        B::OrganizationSaved(d) => vec![(d.editor_person_id, DataQuality)],

        B::PersonUpserted(_)
        | B::PersonPermissionsSet(_)
        | B::TeamUpserted(_)
        | B::TeamMemberSet(_)
        | B::SettingsChanged(_)
        | B::PeriodClosed(_)
        | B::GoalCreated(_)
        | B::GoalUpdated(_)
        | B::GoalCanceled(_)
        | B::GoalAchieved(_)
        | B::GoalMissed(_)
        | B::ReviewRequested(_)
        | B::ReviewGenerated(_)
        | B::ReviewFailed(_)
        | B::ReviewAcknowledged(_)
        | B::EventVoided(_) => vec![],
    };
    let mut unique = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if !unique.contains(&pair) {
            unique.push(pair);
        }
    }
    unique
}

/// |filled ∩ key fields|, each key field counted once.
fn key_field_count(filled: &[String], key_fields: &[&str]) -> u32 {
    key_fields.iter().filter(|k| filled.iter().any(|f| f == *k)).count() as u32
}

/// Folds one event's facts into one of the person's domain accumulators.
fn fold(day: &mut PersonDay, domain: Domain, position: i64, event: &LogEvent) {
    use EventBody as B;
    match domain {
        Domain::Support => {
            let acc = day.support.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            match &event.body {
                B::TicketResolved(d) => {
                    acc.resolutions = acc.resolutions.saturating_add(1);
                    acc.resolution_minutes_sum =
                        acc.resolution_minutes_sum.saturating_add(fold_fact(d.resolution_minutes));
                    if let Some(met) = d.sla_met {
                        acc.sla_known = acc.sla_known.saturating_add(1);
                        acc.sla_met = acc.sla_met.saturating_add(u64::from(met));
                    }
                    acc.escalated_resolutions = acc.escalated_resolutions.saturating_add(u64::from(d.ever_escalated));
                }
                B::TicketRated(d) => {
                    acc.ratings = acc.ratings.saturating_add(1);
                    acc.rating_sum = acc.rating_sum.saturating_add(u64::from(d.rating));
                }
                _ => {}
            }
        }
        Domain::Operations => {
            let acc = day.operations.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            let task_id = match &event.body {
                B::TaskCreated(d) => {
                    acc.assignments = acc.assignments.saturating_add(1);
                    &d.task_id
                }
                B::TaskAssigned(d) => {
                    acc.assignments = acc.assignments.saturating_add(1);
                    &d.task_id
                }
                B::TaskBlocked(d) => {
                    acc.blocked_tasks.insert(d.task_id.clone());
                    &d.task_id
                }
                B::TaskUnblocked(d) | B::TaskCanceled(d) => &d.task_id,
                B::TaskCompleted(d) => {
                    acc.completions = acc.completions.saturating_add(1);
                    if let Some(on_time) = d.on_time {
                        acc.on_time_known = acc.on_time_known.saturating_add(1);
                        acc.on_time = acc.on_time.saturating_add(u64::from(on_time));
                    }
                    if let Some(accuracy) = d.effort_accuracy {
                        acc.effort_accuracy_count = acc.effort_accuracy_count.saturating_add(1);
                        acc.effort_accuracy_sum = acc.effort_accuracy_sum.saturating_add(fold_fact(accuracy));
                    }
                    &d.task_id
                }
                _ => return,
            };
            if !acc.tasks.contains(task_id) {
                acc.tasks.insert(task_id.clone());
            }
        }
        Domain::FieldService => {
            let acc = day.field_service.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            match &event.body {
                B::WorkOrderCreated(_) | B::WorkOrderAssigned(_) => acc.assignments = acc.assignments.saturating_add(1),
                B::WorkOrderCompleted(d) => {
                    acc.completions = acc.completions.saturating_add(1);
                    if let Some(delay) = d.delay_minutes {
                        acc.delay_count = acc.delay_count.saturating_add(1);
                        acc.delay_minutes_sum = acc.delay_minutes_sum.saturating_add(fold_fact(delay));
                    }
                    if let Some(accuracy) = d.duration_accuracy {
                        acc.duration_accuracy_count = acc.duration_accuracy_count.saturating_add(1);
                        acc.duration_accuracy_sum = acc.duration_accuracy_sum.saturating_add(fold_fact(accuracy));
                    }
                    acc.completions_with_notes = acc.completions_with_notes.saturating_add(u64::from(d.has_notes));
                }
                _ => {}
            }
        }
        Domain::Communication => {
            let acc = day.communication.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            match &event.body {
                B::ConversationAssigned(d) => {
                    acc.credited_channels.insert(d.channel);
                }
                B::ConversationMessageSent(d) => {
                    acc.sent_channels.insert(d.channel);
                    acc.credited_channels.insert(d.channel);
                    if let Some(minutes) = d.first_response_minutes {
                        acc.first_responses = acc.first_responses.saturating_add(1);
                        acc.first_response_minutes_sum =
                            acc.first_response_minutes_sum.saturating_add(fold_fact(minutes));
                    }
                }
                B::ConversationResolved(d) => {
                    acc.credited_channels.insert(d.channel);
                    acc.resolutions = acc.resolutions.saturating_add(1);
                    acc.resolution_minutes_sum =
                        acc.resolution_minutes_sum.saturating_add(fold_fact(d.resolution_minutes));
                }
                _ => {}
            }
        }
        Domain::Sales => {
            let acc = day.sales.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            match &event.body {
                B::LeadCreated(d) => acc.add_lead(&d.lead_id, d.estimated_value),
                B::LeadAssigned(d) => acc.add_lead(&d.lead_id, d.estimated_value),
                B::LeadContacted(_) => acc.lead_contacts = acc.lead_contacts.saturating_add(1),
                B::LeadWon(_) => acc.won = acc.won.saturating_add(1),
                B::LeadLost(_) => acc.lost = acc.lost.saturating_add(1),
                B::QuoteSent(_) => acc.quotes_sent = acc.quotes_sent.saturating_add(1),
                B::QuoteAccepted(_) => acc.quotes_accepted = acc.quotes_accepted.saturating_add(1),
                _ => {}
            }
        }
        Domain::DataQuality => {
            let acc = day.data_quality.get_or_insert_with(Default::default);
            acc.credited = acc.credited.saturating_add(1);
            let save = |filled: &[String], keys: &[&str]| LastSave {
                occurred_at: event.occurred_at,
                position,
                key_fields: key_field_count(filled, keys),
            };
            match &event.body {
                B::ContactSaved(d) => {
                    let s = save(&d.filled, &CONTACT_KEY_FIELDS);
                    merge_last_saves(&mut acc.contacts, &BTreeMap::from([(d.contact_id.clone(), s)]));
                }
                B::OrganizationSaved(d) => {
                    let s = save(&d.filled, &ORGANIZATION_KEY_FIELDS);
                    merge_last_saves(&mut acc.organizations, &BTreeMap::from([(d.organization_id.clone(), s)]));
                }
                B::TicketResolved(d) => {
                    acc.resolutions = acc.resolutions.saturating_add(1);
                    acc.tagged_resolutions = acc.tagged_resolutions.saturating_add(u64::from(d.tag_count > 0));
                }
                B::ConversationResolved(d) => {
                    acc.resolutions = acc.resolutions.saturating_add(1);
                    acc.tagged_resolutions = acc.tagged_resolutions.saturating_add(u64::from(d.tag_count > 0));
                }
                B::TicketCommented(d) => {
                    acc.notes = acc.notes.saturating_add(1);
                    acc.note_chars_sum = acc.note_chars_sum.saturating_add(u64::from(d.body_chars));
                }
                B::WorkOrderNoteAdded(d) => {
                    acc.notes = acc.notes.saturating_add(1);
                    acc.note_chars_sum = acc.note_chars_sum.saturating_add(u64::from(d.body_chars));
                }
                _ => {}
            }
        }
    }
}

/// Folds one stored event, at `position` in the log, into the accumulators
/// of every person it is credited to, on the UTC day of its `occurred_at`
/// (D6). An event crediting nobody leaves the map untouched.
pub fn accumulate(days: &mut HashMap<DayKey, PersonDay>, position: i64, event: &LogEvent) {
    let credited = credits(event);
    if credited.is_empty() {
        return;
    }
    let date = event.occurred_at.date_naive();
    let mut people: Vec<Uuid> = Vec::with_capacity(1);
    for (person, _) in &credited {
        if !people.contains(person) {
            people.push(*person);
        }
    }
    for person in people {
        let day = days.entry((person, date)).or_default();
        let mut sales = false;
        for (_, domain) in credited.iter().filter(|(p, _)| *p == person) {
            fold(day, *domain, position, event);
            sales |= *domain == Domain::Sales;
        }
        if day.is_empty() {
            day.first_position = position;
            day.last_position = position;
        } else {
            day.first_position = day.first_position.min(position);
            day.last_position = day.last_position.max(position);
        }
        day.events = day.events.saturating_add(1);
        day.sales_events = day.sales_events.saturating_add(u64::from(sales));
    }
}
