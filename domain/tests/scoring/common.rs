//! Builders shared by the scoring tests: people, teams, stored (enriched)
//! events, and a small `World` that folds them and scores the period.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use perfledger_domain::catalog::{self, ConversationChannel, TeamType};
use perfledger_domain::event::{self, EventBody, LogEvent};
use perfledger_domain::scoring::accumulate::{accumulate, DayKey, PersonDay};
use perfledger_domain::scoring::formulas::{
    score_period, DomainScore, MetricScore, PeriodInput, PersonPeriod, PersonScore, TeamInfo,
};
use perfledger_domain::scoring::{round2, Domain};
use perfledger_domain::settings::Settings;
use rust_decimal::Decimal;
use uuid::Uuid;

pub const ALICE: Uuid = Uuid::from_u128(0xa11ce);
pub const BOB: Uuid = Uuid::from_u128(0xb0b);
pub const CAROL: Uuid = Uuid::from_u128(0xca201);
pub const DAVE: Uuid = Uuid::from_u128(0xda7e);
pub const ERIN: Uuid = Uuid::from_u128(0xe214);
pub const FRANK: Uuid = Uuid::from_u128(0xf2a4c);

pub const TEAM_A: Uuid = Uuid::from_u128(0x7ea0a);
pub const TEAM_B: Uuid = Uuid::from_u128(0x7ea0b);

/// Monday of the test week.
pub const DAY: &str = "2026-11-02";

/// "09:30" is that time on [`DAY`] in UTC; "tue 09:30" the next day;
/// anything longer is an RFC 3339 timestamp.
pub fn at(s: &str) -> DateTime<Utc> {
    let full = if s.len() == 5 {
        format!("{DAY}T{s}:00Z")
    } else if let Some(time) = s.strip_prefix("tue ") {
        format!("2026-11-03T{time}:00Z")
    } else {
        s.to_string()
    };
    DateTime::parse_from_rfc3339(&full).unwrap_or_else(|e| panic!("bad test time {s:?}: {e}")).with_timezone(&Utc)
}

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("bad decimal {s:?}: {e}"))
}

pub fn n(v: i64) -> Decimal {
    Decimal::from(v)
}

/// Asserts a value as the writer stores it: rounded half-up to 2 decimals.
#[track_caller]
pub fn assert_2dp(actual: Decimal, expected: &str) {
    assert_eq!(round2(actual), d(expected), "unrounded value {actual}");
}

// ------------------------------------------------------------------ world

/// Stored events with their global positions (1, 2, … in the order added),
/// the organisation at the end of the period and the settings.
pub struct World {
    pub events: Vec<(i64, LogEvent)>,
    pub teams: BTreeMap<Uuid, TeamInfo>,
    pub scoring_teams: BTreeMap<Uuid, Uuid>,
    /// People left out of `input.people` (inactive at the end of the period).
    pub inactive: BTreeSet<Uuid>,
    /// People in `input.people` with no activity at all.
    pub idle: BTreeSet<Uuid>,
    pub settings: Settings,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    pub fn new() -> Self {
        World {
            events: Vec::new(),
            teams: BTreeMap::new(),
            scoring_teams: BTreeMap::new(),
            inactive: BTreeSet::new(),
            idle: BTreeSet::new(),
            settings: Settings::default(),
        }
    }

    /// Appends a stored event at the next global position.
    pub fn at(&mut self, when: &str, body: EventBody) -> &mut Self {
        let position = self.events.len() as i64 + 1;
        let event = LogEvent { event_id: format!("e{position}"), occurred_at: at(when), body };
        self.events.push((position, event));
        self
    }

    /// An active team and its active members; each member's scoring team is
    /// the first team they were put in, unless set with [`World::scoring`].
    pub fn team(&mut self, id: Uuid, team_type: TeamType, members: &[Uuid]) -> &mut Self {
        self.teams.insert(id, TeamInfo { team_type, members: members.iter().copied().collect() });
        for m in members {
            self.scoring_teams.entry(*m).or_insert(id);
        }
        self
    }

    pub fn scoring(&mut self, person: Uuid, team: Uuid) -> &mut Self {
        self.scoring_teams.insert(person, team);
        self
    }

    pub fn days(&self) -> HashMap<DayKey, PersonDay> {
        let mut days = HashMap::new();
        for (position, event) in &self.events {
            accumulate(&mut days, *position, event);
        }
        days
    }

    /// Every person's days merged over the period.
    pub fn merged(&self) -> BTreeMap<Uuid, PersonDay> {
        merge_days(&self.days())
    }

    pub fn input_people(&self) -> BTreeMap<Uuid, PersonPeriod> {
        let mut merged = self.merged();
        for p in &self.idle {
            merged.entry(*p).or_default();
        }
        merged
            .into_iter()
            .filter(|(p, _)| !self.inactive.contains(p))
            .map(|(p, activity)| (p, PersonPeriod { activity, scoring_team: self.scoring_teams.get(&p).copied() }))
            .collect()
    }

    pub fn score(&self) -> Vec<PersonScore> {
        score_period(&PeriodInput { people: self.input_people(), teams: self.teams.clone(), settings: &self.settings })
    }

    pub fn person(&self, person: Uuid) -> PersonScore {
        self.score().into_iter().find(|s| s.person_id == person).expect("the person is scored")
    }
}

/// Merges per-day accumulators into one per person.
pub fn merge_days(days: &HashMap<DayKey, PersonDay>) -> BTreeMap<Uuid, PersonDay> {
    let mut merged: BTreeMap<Uuid, PersonDay> = BTreeMap::new();
    for ((person, _), day) in days {
        merged.entry(*person).or_default().merge(day);
    }
    merged
}

pub fn domain(score: &PersonScore, domain: Domain) -> &DomainScore {
    score.domains.iter().find(|d| d.domain == domain).unwrap_or_else(|| panic!("{domain} is not scored"))
}

pub fn metric<'a>(score: &'a PersonScore, d: Domain, key: &str) -> &'a MetricScore {
    domain(score, d).metrics.iter().find(|m| m.key == key).unwrap_or_else(|| panic!("{d} has no metric {key}"))
}

pub fn points(score: &PersonScore, d: Domain, key: &str) -> Decimal {
    metric(score, d, key).points
}

pub fn scored_domains(score: &PersonScore) -> Vec<Domain> {
    score.domains.iter().map(|d| d.domain).collect()
}

// ------------------------------------------------------------------ support

pub fn ticket_opened(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TicketOpened(catalog::TicketOpened {
        ticket_id: id.into(),
        reference: None,
        priority: None,
        channel: None,
        sla_due_at: None,
        assignee_person_id: assignee,
    })
}

pub fn ticket_assigned(id: &str, person: Uuid) -> EventBody {
    EventBody::TicketAssigned(catalog::TicketAssigned { ticket_id: id.into(), person_id: person })
}

pub fn ticket_escalated(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TicketEscalated(event::TicketEscalated {
        ticket_id: id.into(),
        reason: None,
        assignee_person_id: assignee,
    })
}

pub fn ticket_tagged(id: &str) -> EventBody {
    EventBody::TicketTagged(catalog::TicketTagged { ticket_id: id.into(), tags: vec!["billing".into()] })
}

pub fn ticket_resolved(
    id: &str,
    resolver: Uuid,
    minutes: i64,
    sla_met: Option<bool>,
    escalated: bool,
    tags: u32,
) -> EventBody {
    EventBody::TicketResolved(event::TicketResolved {
        ticket_id: id.into(),
        summary: None,
        resolver_person_id: resolver,
        resolution_minutes: n(minutes),
        sla_met,
        ever_escalated: escalated,
        tag_count: tags,
        reference: None,
    })
}

pub fn ticket_reopened(id: &str) -> EventBody {
    EventBody::TicketReopened(catalog::TicketReopened { ticket_id: id.into() })
}

pub fn ticket_rated(id: &str, resolver: Uuid, rating: u8) -> EventBody {
    EventBody::TicketRated(event::TicketRated { ticket_id: id.into(), rating, resolver_person_id: resolver })
}

pub fn ticket_commented(id: &str, person: Uuid, body_chars: u32) -> EventBody {
    EventBody::TicketCommented(catalog::TicketCommented {
        ticket_id: id.into(),
        person_id: person,
        body_chars,
        internal: false,
    })
}

// ------------------------------------------------------------------ operations

pub fn task_created(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TaskCreated(catalog::TaskCreated {
        task_id: id.into(),
        project_id: "P-1".into(),
        reference: None,
        assignee_person_id: assignee,
        due_at: None,
        estimate_hours: None,
    })
}

pub fn task_assigned(id: &str, person: Uuid) -> EventBody {
    EventBody::TaskAssigned(catalog::TaskAssigned { task_id: id.into(), person_id: person })
}

fn task_status(id: &str, assignee: Option<Uuid>) -> event::TaskStatusChanged {
    event::TaskStatusChanged { task_id: id.into(), assignee_person_id: assignee }
}

pub fn task_blocked(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TaskBlocked(task_status(id, assignee))
}

pub fn task_unblocked(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TaskUnblocked(task_status(id, assignee))
}

pub fn task_canceled(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::TaskCanceled(task_status(id, assignee))
}

pub fn task_completed(id: &str, completer: Option<Uuid>, on_time: Option<bool>, accuracy: Option<&str>) -> EventBody {
    EventBody::TaskCompleted(event::TaskCompleted {
        task_id: id.into(),
        actual_hours: None,
        completer_person_id: completer,
        on_time,
        effort_accuracy: accuracy.map(d),
    })
}

// ------------------------------------------------------------------ field service

pub fn wo_created(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::WorkOrderCreated(catalog::WorkOrderCreated {
        work_order_id: id.into(),
        reference: None,
        assignee_person_id: assignee,
        scheduled_end: None,
        estimated_duration_minutes: None,
    })
}

pub fn wo_assigned(id: &str, person: Uuid) -> EventBody {
    EventBody::WorkOrderAssigned(catalog::WorkOrderAssigned { work_order_id: id.into(), person_id: person })
}

pub fn wo_started(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::WorkOrderStarted(event::WorkOrderStatusChanged {
        work_order_id: id.into(),
        assignee_person_id: assignee,
    })
}

pub fn wo_canceled(id: &str, assignee: Option<Uuid>) -> EventBody {
    EventBody::WorkOrderCanceled(event::WorkOrderStatusChanged {
        work_order_id: id.into(),
        assignee_person_id: assignee,
    })
}

pub fn wo_note(id: &str, person: Uuid, body_chars: u32) -> EventBody {
    EventBody::WorkOrderNoteAdded(catalog::WorkOrderNoteAdded {
        work_order_id: id.into(),
        person_id: person,
        body_chars,
    })
}

pub fn wo_completed(
    id: &str,
    completer: Option<Uuid>,
    delay: Option<&str>,
    accuracy: Option<&str>,
    has_notes: bool,
) -> EventBody {
    EventBody::WorkOrderCompleted(event::WorkOrderCompleted {
        work_order_id: id.into(),
        summary: None,
        completer_person_id: completer,
        delay_minutes: delay.map(d),
        duration_accuracy: accuracy.map(d),
        has_notes,
        reference: None,
    })
}

// ------------------------------------------------------------------ communication

pub fn conv_opened(id: &str, channel: ConversationChannel) -> EventBody {
    EventBody::ConversationOpened(catalog::ConversationOpened { conversation_id: id.into(), reference: None, channel })
}

pub fn conv_received(id: &str) -> EventBody {
    EventBody::ConversationMessageReceived(catalog::ConversationRef { conversation_id: id.into() })
}

pub fn conv_tagged(id: &str) -> EventBody {
    EventBody::ConversationTagged(catalog::ConversationTagged { conversation_id: id.into(), tags: vec!["x".into()] })
}

pub fn conv_assigned(id: &str, person: Uuid, channel: ConversationChannel) -> EventBody {
    EventBody::ConversationAssigned(event::ConversationAssigned {
        conversation_id: id.into(),
        person_id: person,
        channel,
    })
}

pub fn conv_sent(id: &str, person: Uuid, channel: ConversationChannel, first_response: Option<&str>) -> EventBody {
    EventBody::ConversationMessageSent(event::ConversationMessageSent {
        conversation_id: id.into(),
        person_id: person,
        channel,
        first_response_minutes: first_response.map(d),
    })
}

pub fn conv_resolved(
    id: &str,
    resolver: Option<Uuid>,
    minutes: i64,
    tags: u32,
    channel: ConversationChannel,
) -> EventBody {
    EventBody::ConversationResolved(event::ConversationResolved {
        conversation_id: id.into(),
        summary: None,
        resolver_person_id: resolver,
        resolution_minutes: n(minutes),
        tag_count: tags,
        channel,
        reference: None,
    })
}

// ------------------------------------------------------------------ sales

pub fn lead_created(id: &str, owner: Uuid, value: &str) -> EventBody {
    EventBody::LeadCreated(catalog::LeadCreated {
        lead_id: id.into(),
        reference: None,
        owner_person_id: owner,
        estimated_value: d(value),
    })
}

pub fn lead_assigned(id: &str, person: Uuid, value: &str) -> EventBody {
    EventBody::LeadAssigned(event::LeadAssigned { lead_id: id.into(), person_id: person, estimated_value: d(value) })
}

pub fn lead_contacted(id: &str, person: Uuid) -> EventBody {
    EventBody::LeadContacted(catalog::LeadContacted { lead_id: id.into(), person_id: person, channel: "phone".into() })
}

pub fn lead_won(id: &str, owner: Uuid) -> EventBody {
    EventBody::LeadWon(event::LeadClosed { lead_id: id.into(), reason: None, owner_person_id: owner })
}

pub fn lead_lost(id: &str, owner: Uuid) -> EventBody {
    EventBody::LeadLost(event::LeadClosed { lead_id: id.into(), reason: None, owner_person_id: owner })
}

pub fn quote_sent(id: &str, owner: Uuid) -> EventBody {
    EventBody::QuoteSent(catalog::QuoteSent {
        quote_id: id.into(),
        lead_id: None,
        owner_person_id: owner,
        total: d("100"),
    })
}

pub fn quote_accepted(id: &str, owner: Uuid) -> EventBody {
    EventBody::QuoteAccepted(event::QuoteClosed { quote_id: id.into(), owner_person_id: owner })
}

pub fn quote_rejected(id: &str, owner: Uuid) -> EventBody {
    EventBody::QuoteRejected(event::QuoteClosed { quote_id: id.into(), owner_person_id: owner })
}

pub fn quote_expired(id: &str, owner: Uuid) -> EventBody {
    EventBody::QuoteExpired(event::QuoteClosed { quote_id: id.into(), owner_person_id: owner })
}

// ------------------------------------------------------------------ data quality

pub fn contact_saved(id: &str, editor: Uuid, filled: &[&str]) -> EventBody {
    EventBody::ContactSaved(catalog::ContactSaved {
        contact_id: id.into(),
        editor_person_id: editor,
        filled: filled.iter().map(|f| f.to_string()).collect(),
    })
}

pub fn org_saved(id: &str, editor: Uuid, filled: &[&str]) -> EventBody {
    EventBody::OrganizationSaved(catalog::OrganizationSaved {
        organization_id: id.into(),
        editor_person_id: editor,
        filled: filled.iter().map(|f| f.to_string()).collect(),
    })
}
