//! A deterministic, realistic demo organisation and its activity.
//!
//! Teams of every type with managers and leads; people whose activity mix
//! fits their team (support agents work tickets and the inbox, technicians
//! work orders, project managers tasks, sales reps leads and quotes); some
//! people in two teams, some leaving mid-way, some weeks off. Every entity's
//! events are causally valid under events-and-metrics.md §1, and the stream
//! is emitted in time order with only about two weeks of events buffered.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct DemoSpec {
    pub people: usize,
    pub weeks: u32,
    pub seed: u64,
    /// Monday of the last generated week.
    pub end_week_monday: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateStats {
    pub events: u64,
    pub people: usize,
    pub teams: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TeamType {
    Support,
    FieldService,
    Operations,
    Sales,
    Other,
}

impl TeamType {
    fn as_str(self) -> &'static str {
        match self {
            TeamType::Support => "support",
            TeamType::FieldService => "field_service",
            TeamType::Operations => "operations",
            TeamType::Sales => "sales",
            TeamType::Other => "other",
        }
    }

    fn team_name(self) -> &'static str {
        match self {
            TeamType::Support => "Customer Support",
            TeamType::FieldService => "Field Engineering",
            TeamType::Operations => "Network Projects",
            TeamType::Sales => "Business Sales",
            TeamType::Other => "Back Office",
        }
    }
}

/// The share of teams of each type, in the order teams are created.
const TEAM_MIX: [TeamType; 10] = [
    TeamType::Support,
    TeamType::FieldService,
    TeamType::Operations,
    TeamType::Sales,
    TeamType::Other,
    TeamType::Support,
    TeamType::FieldService,
    TeamType::Support,
    TeamType::Sales,
    TeamType::FieldService,
];

struct Team {
    id: Uuid,
    team_type: TeamType,
    name: String,
}

struct Person {
    id: Uuid,
    name: String,
    team: usize,
    /// How good they are: scales speed, quality and volume (0.6–1.4).
    skill: f64,
    /// The week they leave the company, if they do.
    leaves_in_week: Option<u32>,
}

const FIRST_NAMES: [&str; 24] = [
    "Ada", "Bola", "Chidi", "Dayo", "Emeka", "Funmi", "Gbenga", "Halima", "Ife", "Jide", "Kemi", "Lanre", "Musa",
    "Ngozi", "Ola", "Peju", "Quadri", "Rasheed", "Sade", "Tunde", "Uche", "Vera", "Wale", "Yemi",
];
const LAST_NAMES: [&str; 16] = [
    "Adeyemi", "Bello", "Chukwu", "Danjuma", "Eze", "Fashola", "Garba", "Hassan", "Ibrahim", "Johnson", "Kalu",
    "Lawal", "Mohammed", "Nwosu", "Okafor", "Usman",
];
const TICKET_TAGS: [&str; 8] =
    ["billing", "outage", "slow-speed", "router", "installation", "fiber-cut", "dns", "upgrade"];
const CHANNELS: [&str; 7] = ["email", "whatsapp", "facebook_messenger", "instagram_dm", "chat_widget", "phone", "sms"];
const CONTACT_FIELDS: [&str; 9] =
    ["email", "phone", "first_name", "last_name", "city", "country_code", "address", "notes", "birthday"];
const ORG_FIELDS: [&str; 9] =
    ["name", "phone", "email", "domain", "industry", "city", "country_code", "tax_id", "website"];
const TICKET_SUMMARIES: [&str; 6] = [
    "Customer could not browse after a power cut; rebooted the ONT and confirmed the link is up.",
    "Slow speeds in the evening traced to a saturated access point; moved the customer to 5 GHz.",
    "Billing dispute: the customer was charged twice; refund raised with finance.",
    "Customer {email} asked for a plan upgrade; applied the new profile and confirmed speeds.",
    "Router replaced after repeated drops; customer reachable on {phone} for follow-up.",
    "DNS resolution failures fixed by resetting the CPE to the standard profile.",
];
const WORK_ORDER_SUMMARIES: [&str; 4] = [
    "Installed the fiber drop and terminated at the ONT; customer signed off.",
    "Replaced a damaged patch cord in the cabinet and tested the line.",
    "Realigned the point-to-point radio; signal improved from -72 to -58 dBm.",
    "Site survey done, mounted the dish; customer contact {phone}.",
];

/// Streams the demo's envelopes to `sink`, in non-decreasing occurred_at order.
pub fn generate(spec: &DemoSpec, sink: &mut dyn FnMut(Value) -> anyhow::Result<()>) -> anyhow::Result<GenerateStats> {
    anyhow::ensure!(spec.people >= 1, "--people must be at least 1");
    anyhow::ensure!(spec.weeks >= 1, "--weeks must be at least 1");
    let mut g = Generator::new(spec);
    g.organisation();
    let first_monday = spec.end_week_monday - Duration::weeks(i64::from(spec.weeks) - 1);
    let end = utc(spec.end_week_monday + Duration::weeks(1));
    for week in 0..spec.weeks {
        let monday = utc(first_monday + Duration::weeks(i64::from(week)));
        g.week(week, monday);
        g.flush_until(monday + Duration::weeks(1), sink)?;
    }
    // Whatever lies beyond the last week is dropped: a suffix of an entity's
    // events, so what was emitted stays causally valid.
    g.flush_until(end, sink)?;
    Ok(GenerateStats { events: g.emitted, people: g.people.len(), teams: g.teams.len() })
}

fn utc(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

struct Generator {
    spec: DemoSpec,
    rng: ChaCha8Rng,
    teams: Vec<Team>,
    people: Vec<Person>,
    /// Pending events: (time, push order) keeps each entity's order.
    queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    pushed: u64,
    emitted: u64,
    next_id: u64,
    contacts: u64,
    organizations: u64,
    /// Records created before the current week: the only ones an edit may touch.
    settled_contacts: u64,
    settled_organizations: u64,
    start: DateTime<Utc>,
}

impl Generator {
    fn new(spec: &DemoSpec) -> Self {
        let first_monday = spec.end_week_monday - Duration::weeks(i64::from(spec.weeks) - 1);
        Generator {
            spec: *spec,
            rng: ChaCha8Rng::seed_from_u64(spec.seed),
            teams: Vec::new(),
            people: Vec::new(),
            queue: BinaryHeap::new(),
            pushed: 0,
            emitted: 0,
            next_id: 100_000,
            contacts: 0,
            organizations: 0,
            settled_contacts: 0,
            settled_organizations: 0,
            start: utc(first_monday),
        }
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn push(&mut self, at: DateTime<Utc>, type_name: &str, data: Value) {
        self.pushed += 1;
        let envelope = json!({
            "event_id": format!("demo-{}-{}", self.spec.seed, self.pushed),
            "type": type_name,
            "occurred_at": ts(at),
            "data": data,
        });
        self.queue.push(Reverse((at, self.pushed, envelope.to_string())));
    }

    fn flush_until(
        &mut self,
        before: DateTime<Utc>,
        sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at >= before {
                break;
            }
            let Reverse((_, _, envelope)) = self.queue.pop().expect("peeked");
            sink(serde_json::from_str(&envelope)?)?;
            self.emitted += 1;
        }
        Ok(())
    }

    /// Teams, people, memberships and grants, at the start of the first week.
    fn organisation(&mut self) {
        let team_count = (self.spec.people / 8).clamp(5, 200);
        for i in 0..team_count {
            let team_type = TEAM_MIX[i % TEAM_MIX.len()];
            let id = self.uuid();
            let name = format!("{} {}", team_type.team_name(), i / TEAM_MIX.len() + 1);
            self.teams.push(Team { id, team_type, name });
        }
        for i in 0..self.spec.people {
            let id = self.uuid();
            let first = FIRST_NAMES[self.rng.gen_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[self.rng.gen_range(0..LAST_NAMES.len())];
            let skill = self.rng.gen_range(0.6..1.4);
            // About one person in 25 leaves during the period (never in the first week).
            let leaves_in_week =
                (self.spec.weeks > 2 && self.rng.gen_bool(0.04)).then(|| self.rng.gen_range(1..self.spec.weeks));
            self.people.push(Person {
                id,
                name: format!("{first} {last}"),
                team: i % team_count,
                skill,
                leaves_in_week,
            });
        }
        let mut at = self.start;
        let tick = |at: &mut DateTime<Utc>| {
            *at += Duration::milliseconds(10);
            *at
        };
        // Managers first: the first person of each team manages it, the second leads it.
        let mut roles = vec!["member"; self.people.len()];
        for team in 0..self.teams.len() {
            let members: Vec<usize> = (0..self.people.len()).filter(|&p| self.people[p].team == team).collect();
            if let Some(&manager) = members.first() {
                roles[manager] = "manager";
            }
            if let Some(&lead) = members.get(1) {
                roles[lead] = "lead";
            }
        }
        for (p, role) in roles.iter().enumerate() {
            let title = match (*role, self.teams[self.people[p].team].team_type) {
                ("manager", _) => "Team Manager",
                ("lead", _) => "Team Lead",
                (_, TeamType::Support) => "Support Agent",
                (_, TeamType::FieldService) => "Field Technician",
                (_, TeamType::Operations) => "Project Manager",
                (_, TeamType::Sales) => "Sales Representative",
                (_, TeamType::Other) => "Operations Analyst",
            };
            let t = tick(&mut at);
            let (id, name) = (self.people[p].id, self.people[p].name.clone());
            self.push(
                t,
                "person.upserted",
                json!({"person_id": id, "display_name": name, "title": title, "is_active": true}),
            );
        }
        for team in 0..self.teams.len() {
            let manager = (0..self.people.len()).find(|&p| self.people[p].team == team && roles[p] == "manager");
            let t = tick(&mut at);
            let (id, name, team_type) =
                (self.teams[team].id, self.teams[team].name.clone(), self.teams[team].team_type.as_str());
            let mut data = json!({"team_id": id, "name": name, "team_type": team_type, "is_active": true});
            if let Some(manager) = manager {
                data["manager_person_id"] = json!(self.people[manager].id);
            }
            self.push(t, "team.upserted", data);
        }
        for (p, role) in roles.iter().enumerate() {
            let t = tick(&mut at);
            let (person, team) = (self.people[p].id, self.teams[self.people[p].team].id);
            self.push(
                t,
                "team.member_set",
                json!({"team_id": team, "person_id": person, "role": role, "is_active": true}),
            );
            // One person in twelve also belongs to a second team.
            if self.teams.len() > 1 && p % 12 == 5 {
                let other = self.teams[(self.people[p].team + 1) % self.teams.len()].id;
                let t = tick(&mut at);
                self.push(
                    t,
                    "team.member_set",
                    json!({"team_id": other, "person_id": person, "role": "member", "is_active": true}),
                );
            }
            let (roles_claim, permissions): (Vec<&str>, Vec<&str>) = match *role {
                _ if p == 0 => (vec!["admin"], vec![]),
                "manager" | "lead" => (vec!["manager"], vec!["reports:operations", "crm:inbox:read"]),
                _ => (vec!["agent"], vec!["crm:inbox:read"]),
            };
            let t = tick(&mut at);
            self.push(
                t,
                "person.permissions_set",
                json!({"person_id": person, "roles": roles_claim, "permissions": permissions}),
            );
        }
    }

    /// One week of work for everyone still here.
    fn week(&mut self, week: u32, monday: DateTime<Utc>) {
        self.settled_contacts = self.contacts;
        self.settled_organizations = self.organizations;
        for p in 0..self.people.len() {
            if self.people[p].leaves_in_week == Some(week) {
                let (person, team, name) =
                    (self.people[p].id, self.teams[self.people[p].team].id, self.people[p].name.clone());
                let t = monday + Duration::hours(8);
                self.push(t, "person.upserted", json!({"person_id": person, "display_name": name, "is_active": false}));
                self.push(
                    t + Duration::seconds(1),
                    "team.member_set",
                    json!({"team_id": team, "person_id": person, "role": "member", "is_active": false}),
                );
            }
            if self.people[p].leaves_in_week.is_some_and(|w| w <= week) {
                continue;
            }
            // Leave: about one week in twenty off, with no activity at all.
            if self.rng.gen_bool(0.05) {
                continue;
            }
            let person = self.people[p].id;
            let skill = self.people[p].skill;
            // The mixes below give about 200 events per person and week.
            let volume = |base: f64, rng: &mut ChaCha8Rng| -> usize {
                (base * 1.2 * rng.gen_range(0.8..1.2) * (0.8 + skill * 0.2)).round() as usize
            };
            let mix = match self.teams[self.people[p].team].team_type {
                TeamType::Support => [18.0, 14.0, 0.0, 0.0, 0.0, 0.0, 12.0, 3.0],
                TeamType::FieldService => [6.0, 5.0, 0.0, 26.0, 0.0, 0.0, 10.0, 5.0],
                TeamType::Operations => [8.0, 5.0, 45.0, 0.0, 0.0, 0.0, 8.0, 10.0],
                TeamType::Sales => [3.0, 9.0, 0.0, 0.0, 14.0, 12.0, 25.0, 15.0],
                TeamType::Other => [10.0, 10.0, 15.0, 0.0, 0.0, 0.0, 15.0, 10.0],
            };
            let counts: Vec<usize> = mix.iter().map(|base| volume(*base, &mut self.rng)).collect();
            for _ in 0..counts[0] {
                let at = self.work_time(monday);
                self.ticket(person, skill, at);
            }
            for _ in 0..counts[1] {
                let at = self.work_time(monday);
                self.conversation(person, skill, at);
            }
            for _ in 0..counts[2] {
                let at = self.work_time(monday);
                self.task(person, skill, at);
            }
            for _ in 0..counts[3] {
                let at = self.work_time(monday);
                self.work_order(person, skill, at);
            }
            for _ in 0..counts[4] {
                let at = self.work_time(monday);
                self.lead(person, skill, at);
            }
            for _ in 0..counts[5] {
                let at = self.work_time(monday);
                self.quote(person, skill, at);
            }
            for _ in 0..counts[6] {
                let at = self.work_time(monday);
                self.record_save(person, skill, at, true);
            }
            for _ in 0..counts[7] {
                let at = self.work_time(monday);
                self.record_save(person, skill, at, false);
            }
        }
    }

    /// A moment in working hours (Mon–Fri 08:00–18:00 UTC) of the week.
    fn work_time(&mut self, monday: DateTime<Utc>) -> DateTime<Utc> {
        let day = self.rng.gen_range(0..5);
        let minute = self.rng.gen_range(8 * 60..18 * 60);
        monday + Duration::days(day) + Duration::minutes(minute) + Duration::seconds(self.rng.gen_range(0..60))
    }

    fn minutes(&mut self, low: f64, high: f64) -> Duration {
        Duration::seconds((self.rng.gen_range(low..high) * 60.0) as i64 + 1)
    }

    fn summary(&mut self, templates: &[&str]) -> String {
        let template = templates[self.rng.gen_range(0..templates.len())];
        let phone = format!(
            "+234 80{} {:03} {:04}",
            self.rng.gen_range(1..10),
            self.rng.gen_range(0..1000),
            self.rng.gen_range(0..10000)
        );
        template
            .replace("{email}", &format!("customer{}@example.ng", self.rng.gen_range(100..999)))
            .replace("{phone}", &phone)
    }

    fn ticket(&mut self, agent: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("T-{n}");
        let urgent = self.rng.gen_bool(0.25);
        let sla = if urgent { Duration::hours(4) } else { Duration::hours(24) };
        let assigned_at_open = self.rng.gen_bool(0.8);
        let mut data = json!({
            "ticket_id": id, "reference": format!("#{n}"), "priority": if urgent { "urgent" } else { "normal" },
            "channel": CHANNELS[self.rng.gen_range(0..CHANNELS.len())], "sla_due_at": ts(at + sla),
        });
        if assigned_at_open {
            data["assignee_person_id"] = json!(agent);
        }
        self.push(at, "ticket.opened", data);
        let mut t = at;
        if !assigned_at_open {
            t += self.minutes(2.0, 30.0);
            self.push(t, "ticket.assigned", json!({"ticket_id": id, "person_id": agent}));
        }
        if self.rng.gen_bool(0.7) {
            t += self.minutes(1.0, 20.0);
            let how_many = self.rng.gen_range(1..4);
            let tags: Vec<&str> = TICKET_TAGS.choose_multiple(&mut self.rng, how_many).copied().collect();
            self.push(t, "ticket.tagged", json!({"ticket_id": id, "tags": tags}));
        }
        if self.rng.gen_bool(0.6) {
            t += self.minutes(5.0, 60.0);
            let body = (self.rng.gen_range(30.0..300.0) * skill) as u32;
            let internal = self.rng.gen_bool(0.3);
            self.push(
                t,
                "ticket.commented",
                json!({"ticket_id": id, "person_id": agent, "body_chars": body, "internal": internal}),
            );
        }
        if self.rng.gen_bool(0.12 / skill) {
            t += self.minutes(10.0, 90.0);
            self.push(t, "ticket.escalated", json!({"ticket_id": id, "reason": "needs network engineering"}));
        }
        // Better agents resolve faster; a tail of slow tickets runs past the SLA.
        let slowest = if self.rng.gen_bool(0.8) { 6.0 } else { 48.0 };
        let hours = self.rng.gen_range(0.3..slowest) / skill;
        t = t.max(at) + Duration::seconds((hours * 3600.0) as i64 + 60);
        let summary = self.summary(&TICKET_SUMMARIES);
        self.push(t, "ticket.resolved", json!({"ticket_id": id, "summary": summary}));
        if self.rng.gen_bool(0.04) {
            t += self.minutes(60.0, 600.0);
            self.push(t, "ticket.reopened", json!({"ticket_id": id}));
            t += self.minutes(30.0, 300.0);
            self.push(t, "ticket.resolved", json!({"ticket_id": id}));
        }
        if self.rng.gen_bool(0.4) {
            t += self.minutes(30.0, 1440.0);
            let rating = (self.rng.gen_range(2.5..5.5) * (0.75 + skill * 0.25)).clamp(1.0, 5.0) as u8;
            self.push(t, "ticket.rated", json!({"ticket_id": id, "rating": rating}));
        }
    }

    fn conversation(&mut self, agent: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("CONV-{n}");
        let channel = CHANNELS[self.rng.gen_range(0..CHANNELS.len())];
        self.push(
            at,
            "conversation.opened",
            json!({"conversation_id": id, "reference": format!("#C{n}"), "channel": channel}),
        );
        let mut t = at + Duration::seconds(1);
        self.push(t, "conversation.message_received", json!({"conversation_id": id}));
        t += self.minutes(0.5, 8.0);
        self.push(t, "conversation.assigned", json!({"conversation_id": id, "person_id": agent}));
        let rounds = if self.rng.gen_bool(0.5) { 2 } else { 1 };
        for round in 0..rounds {
            if round > 0 {
                t += self.minutes(5.0, 240.0);
                self.push(t, "conversation.message_received", json!({"conversation_id": id}));
            }
            t += self.minutes(2.0, 2.0 + 100.0 / skill);
            self.push(t, "conversation.message_sent", json!({"conversation_id": id, "person_id": agent}));
        }
        if self.rng.gen_bool(0.6) {
            t += self.minutes(1.0, 10.0);
            let tags: Vec<&str> = TICKET_TAGS.choose_multiple(&mut self.rng, 2).copied().collect();
            self.push(t, "conversation.tagged", json!({"conversation_id": id, "tags": tags}));
        }
        if self.rng.gen_bool(0.9) {
            t += self.minutes(5.0, 600.0 / skill);
            self.push(
                t,
                "conversation.resolved",
                json!({"conversation_id": id, "summary": "Answered the customer's question."}),
            );
        }
    }

    fn task(&mut self, owner: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("TASK-{n}");
        let estimate = self.rng.gen_range(1..17);
        let due = at + Duration::hours(self.rng.gen_range(24..240));
        let with_assignee = self.rng.gen_bool(0.8);
        let mut data = json!({
            "task_id": id, "project_id": format!("PRJ-{}", n % 37), "reference": format!("#{n}"),
            "due_at": ts(due), "estimate_hours": estimate.to_string(),
        });
        if with_assignee {
            data["assignee_person_id"] = json!(owner);
        }
        self.push(at, "task.created", data);
        let mut t = at;
        if !with_assignee {
            t += self.minutes(10.0, 240.0);
            self.push(t, "task.assigned", json!({"task_id": id, "person_id": owner}));
        }
        if self.rng.gen_bool(0.15) {
            t += self.minutes(60.0, 1440.0);
            self.push(t, "task.blocked", json!({"task_id": id}));
            t += self.minutes(60.0, 2880.0);
            self.push(t, "task.unblocked", json!({"task_id": id}));
        }
        let fate: f64 = self.rng.gen();
        if fate < 0.05 {
            t += self.minutes(60.0, 1440.0);
            self.push(t, "task.canceled", json!({"task_id": id}));
        } else if fate < 0.9 {
            let on_time = self.rng.gen_bool((0.55 + 0.3 * skill).min(0.97));
            let span = (due - t).num_minutes().max(2) as f64;
            t += if on_time {
                self.minutes(1.0, span)
            } else {
                Duration::minutes(span as i64) + self.minutes(60.0, 2880.0)
            };
            let actual = f64::from(estimate) * self.rng.gen_range(0.6..1.6) / skill.sqrt();
            self.push(t, "task.completed", json!({"task_id": id, "actual_hours": format!("{actual:.1}")}));
        }
    }

    fn work_order(&mut self, tech: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("WO-{n}");
        let estimate = self.rng.gen_range(30..240);
        let scheduled_end = at + Duration::minutes(estimate + self.rng.gen_range(30..180));
        let with_assignee = self.rng.gen_bool(0.85);
        let mut data = json!({
            "work_order_id": id, "reference": format!("#{n}"), "scheduled_end": ts(scheduled_end),
            "estimated_duration_minutes": estimate,
        });
        if with_assignee {
            data["assignee_person_id"] = json!(tech);
        }
        self.push(at, "work_order.created", data);
        let mut t = at;
        if !with_assignee {
            t += self.minutes(5.0, 60.0);
            self.push(t, "work_order.assigned", json!({"work_order_id": id, "person_id": tech}));
        }
        if self.rng.gen_bool(0.04) {
            t += self.minutes(10.0, 120.0);
            self.push(t, "work_order.canceled", json!({"work_order_id": id}));
            return;
        }
        t += self.minutes(5.0, 90.0);
        self.push(t, "work_order.started", json!({"work_order_id": id}));
        if self.rng.gen_bool((0.5 + 0.3 * skill).min(0.98)) {
            t += self.minutes(5.0, 30.0);
            let body = (self.rng.gen_range(40.0..250.0) * skill) as u32;
            self.push(t, "work_order.note_added", json!({"work_order_id": id, "person_id": tech, "body_chars": body}));
        }
        let actual = estimate as f64 * self.rng.gen_range(0.7..1.5) / skill.sqrt();
        t += Duration::seconds((actual * 60.0) as i64 + 60);
        let summary = self.summary(&WORK_ORDER_SUMMARIES);
        self.push(t, "work_order.completed", json!({"work_order_id": id, "summary": summary}));
    }

    fn lead(&mut self, rep: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("L-{n}");
        let value = self.rng.gen_range(50_000..5_000_000) as f64 / 100.0;
        self.push(at, "lead.created",
            json!({"lead_id": id, "reference": format!("#L{n}"), "owner_person_id": rep, "estimated_value": format!("{value:.2}")}));
        let mut t = at;
        for _ in 0..self.rng.gen_range(1..4) {
            t += self.minutes(30.0, 2880.0);
            let channel = ["phone", "email", "whatsapp", "visit"][self.rng.gen_range(0..4)];
            self.push(t, "lead.contacted", json!({"lead_id": id, "person_id": rep, "channel": channel}));
        }
        let fate: f64 = self.rng.gen();
        t += self.minutes(60.0, 4320.0);
        if fate < 0.2 + 0.12 * skill {
            self.push(t, "lead.won", json!({"lead_id": id}));
        } else if fate < 0.75 {
            self.push(t, "lead.lost", json!({"lead_id": id, "reason": "chose a competitor"}));
        }
    }

    fn quote(&mut self, rep: Uuid, skill: f64, at: DateTime<Utc>) {
        let n = self.id();
        let id = format!("Q-{n}");
        let total = self.rng.gen_range(20_000..2_000_000) as f64 / 100.0;
        self.push(at, "quote.sent", json!({"quote_id": id, "owner_person_id": rep, "total": format!("{total:.2}")}));
        let t = at + self.minutes(60.0, 7200.0);
        let fate: f64 = self.rng.gen();
        if fate < 0.3 + 0.15 * skill {
            self.push(t, "quote.accepted", json!({"quote_id": id}));
        } else if fate < 0.75 {
            self.push(t, "quote.rejected", json!({"quote_id": id}));
        } else if fate < 0.9 {
            self.push(t, "quote.expired", json!({"quote_id": id}));
        }
    }

    /// A contact or organization save: half new records, half edits of earlier ones.
    fn record_save(&mut self, editor: Uuid, skill: f64, at: DateTime<Utc>, contact: bool) {
        let (count, settled, fields, prefix, kind, id_field) = if contact {
            (&mut self.contacts, self.settled_contacts, &CONTACT_FIELDS, "C", "contact.saved", "contact_id")
        } else {
            (
                &mut self.organizations,
                self.settled_organizations,
                &ORG_FIELDS,
                "O",
                "organization.saved",
                "organization_id",
            )
        };
        // Edits touch records created in earlier weeks only, so no save predates a creation.
        let number = if settled > 0 && self.rng.gen_bool(0.3) {
            self.rng.gen_range(1..=settled)
        } else {
            *count += 1;
            *count
        };
        let take = ((fields.len() as f64) * self.rng.gen_range(0.3..1.0) * (0.7 + 0.3 * skill)).round() as usize;
        let filled: Vec<&str> = fields.choose_multiple(&mut self.rng, take.clamp(1, fields.len())).copied().collect();
        self.push(
            at,
            kind,
            json!({id_field: format!("{prefix}-{number}"), "editor_person_id": editor, "filled": filled}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(people: usize, weeks: u32, seed: u64) -> DemoSpec {
        DemoSpec { people, weeks, seed, end_week_monday: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() }
    }

    fn collect(spec: &DemoSpec) -> Vec<Value> {
        let mut out = Vec::new();
        generate(spec, &mut |v| {
            out.push(v);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_events() {
        assert_eq!(collect(&spec(12, 2, 9)), collect(&spec(12, 2, 9)));
        assert_ne!(collect(&spec(12, 2, 9)), collect(&spec(12, 2, 10)));
    }

    #[test]
    fn about_two_hundred_events_per_person_and_week_in_time_order() {
        let events = collect(&spec(40, 4, 3));
        let per = events.len() as f64 / (40.0 * 4.0);
        assert!((140.0..=260.0).contains(&per), "{per} events per person-week");
        let times: Vec<&str> = events.iter().map(|e| e["occurred_at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "events are not in time order");
        let last_week_end = "2026-11-30T00:00:00Z";
        assert!(times.iter().all(|t| *t < last_week_end));
    }

    #[test]
    fn every_team_type_has_a_manager() {
        let events = collect(&spec(40, 1, 5));
        let types: std::collections::BTreeSet<&str> = events
            .iter()
            .filter(|e| e["type"] == "team.upserted")
            .map(|e| e["data"]["team_type"].as_str().unwrap())
            .collect();
        assert_eq!(types.len(), 5, "{types:?}");
        assert!(events
            .iter()
            .filter(|e| e["type"] == "team.upserted")
            .all(|e| e["data"]["manager_person_id"].is_string()));
    }
}
