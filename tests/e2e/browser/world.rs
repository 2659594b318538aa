//! The small organisation the browser test walks through, written as CRM
//! events and projected and scored like real data.
//!
//! - team Alpha (support, active, `manager_person_id` = MANAGER): LEAD (an
//!   active lead who also works), ADA, BOLA, CHIDI, DAYO (members);
//! - team Beta (support, active, `manager_person_id` = BETA_BOSS): OUTSIDER;
//! - grants (`person.permissions_set`): MANAGER and BETA_BOSS `reports:operations`,
//!   LEAD `reports`, everyone else the `agent` role.
//!
//! Everyone in a team works in all six domains in each of the six complete
//! weeks before the current one, at a quality per person and domain chosen so
//! that every leaderboard column orders people differently.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use perfledger_domain::parse_envelope;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::Ingestor;
use serde_json::{json, Value};

use crate::support::{envelope, TestApp};

pub const MANAGER: &str = "c1000000-0000-4000-8000-000000000001";
pub const LEAD: &str = "c1000000-0000-4000-8000-000000000002";
pub const ADA: &str = "c1000000-0000-4000-8000-000000000003";
pub const BOLA: &str = "c1000000-0000-4000-8000-000000000004";
pub const CHIDI: &str = "c1000000-0000-4000-8000-000000000005";
pub const DAYO: &str = "c1000000-0000-4000-8000-000000000006";
pub const BETA_BOSS: &str = "c1000000-0000-4000-8000-000000000007";
pub const OUTSIDER: &str = "c1000000-0000-4000-8000-000000000008";

pub const ALPHA: &str = "c2000000-0000-4000-8000-000000000001";
pub const BETA: &str = "c2000000-0000-4000-8000-000000000002";

/// Weeks of activity, ending with last week.
pub const WEEKS: i64 = 6;

/// Who works in team Alpha, in the order their quality pattern is drawn.
pub const ALPHA_WORKERS: [(&str, &str); 5] =
    [(LEAD, "Lanre Lead"), (ADA, "Ada Adeyemi"), (BOLA, "Bola Bello"), (CHIDI, "Chidi Chukwu"), (DAYO, "Dayo Danjuma")];

/// The Monday that starts the current ISO week.
pub fn this_monday(now: DateTime<Utc>) -> NaiveDate {
    let today = now.date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
}

/// 0 (poor) to 3 (excellent) per worker (rows, in `ALPHA_WORKERS` order) and
/// domain (support, operations, field service, communication, sales, data
/// quality): every column has several values and its own order.
const QUALITY: [[usize; 6]; 5] =
    [[1, 2, 3, 0, 2, 1], [3, 3, 2, 3, 3, 3], [0, 3, 2, 1, 1, 3], [2, 1, 0, 3, 0, 0], [3, 2, 3, 2, 3, 2]];

/// Person `i`'s quality in domain `d` in week `week`: a good or bad week now
/// and then, so the trends move.
fn quality(i: usize, d: usize, week: i64) -> usize {
    const WOBBLE: [i64; 6] = [0, 1, -1, 0, 1, -1];
    let wobble = WOBBLE[(week as usize + i + d) % WOBBLE.len()];
    (QUALITY[i][d] as i64 + wobble).clamp(0, 3) as usize
}

fn at(day: NaiveDate, hour: u32, minute: i64) -> String {
    let t = day.and_hms_opt(hour, 0, 0).unwrap().and_utc() + Duration::minutes(minute);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn directory(at_time: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let people = ALPHA_WORKERS.iter().copied().chain([
        (MANAGER, "Mariam Manager"),
        (BETA_BOSS, "Bayo Boss"),
        (OUTSIDER, "Olu Outsider"),
    ]);
    for (id, name) in people {
        items.push(envelope(
            &format!("person-{id}"),
            "person.upserted",
            at_time,
            json!({"person_id": id, "display_name": name, "is_active": true}),
        ));
    }
    for (team, name, manager) in [(ALPHA, "Alpha Support", MANAGER), (BETA, "Beta Support", BETA_BOSS)] {
        items.push(envelope(
            &format!("team-{team}"),
            "team.upserted",
            at_time,
            json!({"team_id": team, "name": name, "team_type": "support", "is_active": true, "manager_person_id": manager}),
        ));
    }
    let memberships = ALPHA_WORKERS
        .iter()
        .map(|(id, _)| (ALPHA, *id, if *id == LEAD { "lead" } else { "member" }))
        .chain([(BETA, OUTSIDER, "member")]);
    for (team, person, role) in memberships {
        items.push(envelope(
            &format!("member-{team}-{person}"),
            "team.member_set",
            at_time,
            json!({"team_id": team, "person_id": person, "role": role, "is_active": true}),
        ));
    }
    // The CRM's grants, as the demo sign-in uses them (tokens minted by the test carry the same).
    let grants: [(&str, &[&str], &[&str]); 4] = [
        (MANAGER, &[], &["reports:operations"]),
        (LEAD, &["agent"], &["reports"]),
        (BETA_BOSS, &["agent"], &["reports:operations"]),
        (OUTSIDER, &["agent"], &[]),
    ];
    let agents = ALPHA_WORKERS.iter().filter(|(id, _)| *id != LEAD).map(|(id, _)| (*id, &["agent"][..], &[][..]));
    for (person, roles, permissions) in grants.into_iter().chain(agents) {
        items.push(envelope(
            &format!("grants-{person}"),
            "person.permissions_set",
            at_time,
            json!({"person_id": person, "roles": roles, "permissions": permissions}),
        ));
    }
    items
}

/// One week of work for `person` (index `i`) starting `monday`: tickets,
/// tasks, work orders, conversations, leads and quotes, contact saves.
fn week_of_work(person: &str, i: usize, week: i64, monday: NaiveDate) -> Vec<Value> {
    let mut items = Vec::new();
    let id = |kind: &str, n: usize| format!("{kind}-{}-w{week}-{n}", &person[person.len() - 2..]);
    let mut ev = |event_id: String, kind: &str, when: String, data: Value| {
        items.push(envelope(&event_id, kind, &when, data));
    };
    let day = |n: i64| monday + Duration::days(n);

    // Support: three tickets; better agents meet the SLA more often and resolve sooner.
    let q = quality(i, 0, week);
    for n in 0..3 {
        let t = id("t", n);
        let d = day(n as i64);
        let resolve_after = 30 + 40 * (3 - q as i64) + 5 * n as i64;
        let due = if n < q { 240 } else { 20 };
        ev(
            format!("{t}-o"),
            "ticket.opened",
            at(d, 9, 0),
            json!({"ticket_id": t, "reference": format!("#{t}"), "sla_due_at": at(d, 9, due)}),
        );
        ev(format!("{t}-a"), "ticket.assigned", at(d, 9, 2), json!({"ticket_id": t, "person_id": person}));
        if q == 0 && n == 0 {
            ev(
                format!("{t}-e"),
                "ticket.escalated",
                at(d, 9, 10),
                json!({"ticket_id": t, "reason": "needs second line"}),
            );
        }
        ev(
            format!("{t}-r"),
            "ticket.resolved",
            at(d, 9, resolve_after),
            json!({"ticket_id": t, "summary": "Reset the customer's router."}),
        );
        ev(format!("{t}-s"), "ticket.rated", at(d, 12, 0), json!({"ticket_id": t, "rating": 2 + q.min(3)}));
    }

    // Operations: two tasks; on time and close to the estimate when good.
    let q = quality(i, 1, week);
    for n in 0..2 {
        let t = id("k", n);
        let d = day(1 + n as i64);
        let on_time = n < q;
        ev(
            format!("{t}-c"),
            "task.created",
            at(d, 8, 0),
            json!({"task_id": t, "project_id": "p-rollout", "due_at": at(d, 14, 0), "estimate_hours": 4}),
        );
        ev(format!("{t}-a"), "task.assigned", at(d, 8, 1), json!({"task_id": t, "person_id": person}));
        if q == 0 {
            ev(format!("{t}-b"), "task.blocked", at(d, 9, 0), json!({"task_id": t}));
            ev(format!("{t}-u"), "task.unblocked", at(d, 10, 0), json!({"task_id": t}));
        }
        let done = if on_time { at(d, 13, 0) } else { at(d, 17, 0) };
        ev(format!("{t}-d"), "task.completed", done, json!({"task_id": t, "actual_hours": 4 + 2 * (3 - q)}));
    }

    // Field service: two work orders; late and undocumented when poor.
    let q = quality(i, 2, week);
    for n in 0..2 {
        let w = id("w", n);
        let d = day(2 + n as i64);
        ev(
            format!("{w}-c"),
            "work_order.created",
            at(d, 7, 0),
            json!({"work_order_id": w, "scheduled_end": at(d, 11, 0), "estimated_duration_minutes": 120}),
        );
        ev(format!("{w}-a"), "work_order.assigned", at(d, 7, 5), json!({"work_order_id": w, "person_id": person}));
        ev(format!("{w}-s"), "work_order.started", at(d, 8, 0), json!({"work_order_id": w}));
        if q >= 2 || n < q {
            ev(
                format!("{w}-n"),
                "work_order.note_added",
                at(d, 9, 0),
                json!({"work_order_id": w, "person_id": person, "body_chars": 80 + 40 * q}),
            );
        }
        ev(
            format!("{w}-d"),
            "work_order.completed",
            at(d, 10, 30 * (3 - q as i64) + 5 * n as i64),
            json!({"work_order_id": w, "summary": "Replaced the patch cord."}),
        );
    }

    // Communication: two conversations on different channels; quick replies when good.
    let q = quality(i, 3, week);
    let channels = ["email", "whatsapp", "chat_widget", "phone"];
    for n in 0..2 {
        let c = id("c", n);
        let d = day(n as i64);
        ev(
            format!("{c}-o"),
            "conversation.opened",
            at(d, 13, 0),
            json!({"conversation_id": c, "channel": channels[(q + n) % 4]}),
        );
        ev(format!("{c}-a"), "conversation.assigned", at(d, 13, 1), json!({"conversation_id": c, "person_id": person}));
        ev(format!("{c}-m"), "conversation.message_received", at(d, 13, 2), json!({"conversation_id": c}));
        ev(
            format!("{c}-s"),
            "conversation.message_sent",
            at(d, 13, 7 + 25 * (3 - q as i64)),
            json!({"conversation_id": c, "person_id": person}),
        );
        if n < q.max(1) {
            ev(format!("{c}-r"), "conversation.resolved", at(d, 15, 0), json!({"conversation_id": c}));
        }
    }

    // Sales: one lead and one quote; won and accepted when good.
    let q = quality(i, 4, week);
    let l = id("l", 0);
    let d = day(3);
    ev(
        format!("{l}-c"),
        "lead.created",
        at(d, 9, 0),
        json!({"lead_id": l, "owner_person_id": person, "estimated_value": 500 * (q + 1)}),
    );
    for n in 0..=q {
        ev(
            format!("{l}-t{n}"),
            "lead.contacted",
            at(d, 10, n as i64),
            json!({"lead_id": l, "person_id": person, "channel": "phone"}),
        );
    }
    if q >= 2 {
        ev(format!("{l}-w"), "lead.won", at(d, 16, 0), json!({"lead_id": l}));
    } else {
        ev(format!("{l}-x"), "lead.lost", at(d, 16, 0), json!({"lead_id": l, "reason": "price"}));
    }
    let qt = id("q", 0);
    ev(
        format!("{qt}-s"),
        "quote.sent",
        at(d, 11, 0),
        json!({"quote_id": qt, "lead_id": l, "owner_person_id": person, "total": 300 * (q + 1)}),
    );
    let outcome = if q >= 1 { "quote.accepted" } else { "quote.rejected" };
    ev(format!("{qt}-o"), outcome, at(d, 15, 0), json!({"quote_id": qt}));

    // Data quality: two contact saves; more key fields filled when good.
    let q = quality(i, 5, week);
    let fields = ["email", "phone", "first_name", "last_name", "city", "country_code"];
    for n in 0..2 {
        ev(
            id("s", n),
            "contact.saved",
            at(day(4), 10 + n as u32, 0),
            json!({"contact_id": format!("ct-{}-{n}", &person[person.len() - 2..]), "editor_person_id": person, "filled": fields[..(q + 2 + n).min(6)]}),
        );
    }
    items
}

/// Writes the organisation and its six weeks of work, then projects and scores it.
pub async fn seed(app: &TestApp, now: DateTime<Utc>) {
    let first_monday = this_monday(now) - Duration::weeks(WEEKS);
    let mut items = directory(&at(first_monday - Duration::days(7), 6, 0));
    for week in 0..WEEKS {
        let monday = first_monday + Duration::weeks(week);
        for (i, (person, _)) in ALPHA_WORKERS.iter().enumerate() {
            items.extend(week_of_work(person, i, week, monday));
        }
        items.extend(week_of_work(OUTSIDER, 2, week, monday));
    }
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(app.db.pool.clone(), "browser-test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "the seed has rejected events: {:?}", report.rejected);
    run_once(&app.db.pool, DEFAULT_BATCH, now, &mut |_, _| {}).await.expect("projection round");
}
