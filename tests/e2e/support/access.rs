//! The access-test world shared by `api_access` and `web_access` (seed
//! "Access Control", D16, D17), built from hand-written events:
//! - team Alpha (active, `manager_person_id` = MANAGER): LEAD (active lead),
//!   INACTIVE_LEAD (lead, membership inactive), MEMBER (active member);
//! - team Beta (active): OUTSIDER;
//! - team Gamma (inactive): LEAD as an active lead, GAMMA_MEMBER;
//! - MANAGER's and LEAD's permissions come only from `person.permissions_set`
//!   (their tokens carry just `sub`, as DotMac's do);
//! - MEMBER resolved tickets in week 2026-W45, so MEMBER has scores;
//! - TECHNICIAN, a member of Beta whose only grant is the role `technician`
//!   (no inbox access, no permission), resolved a ticket in W45 too: D19
//!   lets them see their own scorecard and nothing else.

use perfledger_domain::parse_envelope;
use perfledger_scheduler::worker::{run_once, DEFAULT_BATCH};
use perfledger_store::Ingestor;
use serde_json::{json, Value};

use super::{envelope, TestApp};

pub const ADMIN: &str = "a0000000-0000-4000-8000-000000000001";
pub const MANAGER: &str = "a0000000-0000-4000-8000-000000000002";
pub const LEAD: &str = "a0000000-0000-4000-8000-000000000003";
pub const INACTIVE_LEAD: &str = "a0000000-0000-4000-8000-000000000004";
pub const MEMBER: &str = "a0000000-0000-4000-8000-000000000005";
pub const OUTSIDER: &str = "a0000000-0000-4000-8000-000000000006";
pub const GAMMA_MEMBER: &str = "a0000000-0000-4000-8000-000000000007";
pub const TECHNICIAN: &str = "a0000000-0000-4000-8000-000000000008";
/// Nobody has this id.
pub const NOBODY: &str = "a0000000-0000-4000-8000-0000000000ff";

pub const ALPHA: &str = "b0000000-0000-4000-8000-000000000001";
pub const BETA: &str = "b0000000-0000-4000-8000-000000000002";
pub const GAMMA: &str = "b0000000-0000-4000-8000-000000000003";

fn person(id: &str, name: &str) -> Value {
    envelope(
        &format!("person-{name}"),
        "person.upserted",
        "2026-11-01T06:00:00Z",
        json!({"person_id": id, "display_name": name, "is_active": true}),
    )
}

fn team(id: &str, name: &str, manager: Option<&str>, active: bool) -> Value {
    let mut data = json!({"team_id": id, "name": name, "team_type": "support", "is_active": active});
    if let Some(manager) = manager {
        data["manager_person_id"] = json!(manager);
    }
    envelope(&format!("team-{name}"), "team.upserted", "2026-11-01T07:00:00Z", data)
}

fn member(team_id: &str, person_id: &str, role: &str, active: bool) -> Value {
    envelope(
        &format!("member-{team_id}-{person_id}"),
        "team.member_set",
        "2026-11-01T08:00:00Z",
        json!({"team_id": team_id, "person_id": person_id, "role": role, "is_active": active}),
    )
}

fn grants(person_id: &str, roles: &[&str], permissions: &[&str]) -> Value {
    envelope(
        &format!("grants-{person_id}"),
        "person.permissions_set",
        "2026-11-01T08:30:00Z",
        json!({"person_id": person_id, "roles": roles, "permissions": permissions}),
    )
}

fn ticket(id: &str, person_id: &str) -> Vec<Value> {
    vec![
        envelope(
            &format!("{id}-o"),
            "ticket.opened",
            "2026-11-03T09:00:00Z",
            json!({"ticket_id": id, "reference": format!("#{id}"), "sla_due_at": "2026-11-03T12:00:00Z"}),
        ),
        envelope(
            &format!("{id}-a"),
            "ticket.assigned",
            "2026-11-03T09:05:00Z",
            json!({"ticket_id": id, "person_id": person_id}),
        ),
        envelope(
            &format!("{id}-r"),
            "ticket.resolved",
            "2026-11-03T10:30:00Z",
            json!({"ticket_id": id, "summary": "Reset the customer's router."}),
        ),
    ]
}

pub async fn project(app: &TestApp) {
    run_once(&app.db.pool, DEFAULT_BATCH, chrono::Utc::now(), &mut |_, _| {}).await.expect("projection round");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    Lead,
    InactiveLead,
    Member,
    Outsider,
    /// A technician without inbox access (D19).
    Technician,
    NoToken,
    Expired,
    BadSignature,
}

pub const ROLES: [Role; 10] = [
    Role::Admin,
    Role::Manager,
    Role::Lead,
    Role::InactiveLead,
    Role::Member,
    Role::Outsider,
    Role::Technician,
    Role::NoToken,
    Role::Expired,
    Role::BadSignature,
];

/// The bearer token of a role (`None`: no Authorization header).
pub fn token(app: &TestApp, role: Role) -> String {
    match role {
        Role::Admin => app.signer.token(ADMIN, &["admin"], &[], 600),
        // Grants come from person.permissions_set only.
        Role::Manager => app.signer.token(MANAGER, &[], &[], 600),
        Role::Lead => app.signer.token(LEAD, &[], &[], 600),
        Role::InactiveLead => app.signer.token(INACTIVE_LEAD, &["agent"], &["reports:operations"], 600),
        Role::Member => app.signer.token(MEMBER, &["agent"], &[], 600),
        Role::Outsider => app.signer.token(OUTSIDER, &[], &["crm:inbox:read"], 600),
        // Its role comes from person.permissions_set only.
        Role::Technician => app.signer.token(TECHNICIAN, &[], &[], 600),
        Role::NoToken => unreachable!("no token"),
        Role::Expired => app.signer.sign(&perfledger_api::auth::Claims {
            sub: MEMBER.into(),
            roles: vec!["admin".into()],
            permissions: vec![],
            exp: jsonwebtoken::get_current_timestamp() - 3_600,
            nbf: None,
        }),
        Role::BadSignature => perfledger_api::auth::Signer::hs256(b"another-secret-another-secret-0123456789")
            .unwrap()
            .token(MEMBER, &["admin"], &[], 600),
    }
}

/// Ingests the world above into `app` and projects it.
pub async fn build_world(app: &TestApp) {
    let mut items = vec![
        person(ADMIN, "admin"),
        person(MANAGER, "manager"),
        person(LEAD, "lead"),
        person(INACTIVE_LEAD, "inactive-lead"),
        person(MEMBER, "member"),
        person(OUTSIDER, "outsider"),
        person(GAMMA_MEMBER, "gamma-member"),
        person(TECHNICIAN, "technician"),
        team(ALPHA, "alpha", Some(MANAGER), true),
        team(BETA, "beta", None, true),
        team(GAMMA, "gamma", None, false),
        member(ALPHA, LEAD, "lead", true),
        member(ALPHA, INACTIVE_LEAD, "lead", false),
        member(ALPHA, MEMBER, "member", true),
        member(BETA, OUTSIDER, "member", true),
        member(GAMMA, LEAD, "lead", true),
        member(GAMMA, GAMMA_MEMBER, "member", true),
        member(BETA, TECHNICIAN, "member", true),
        grants(MANAGER, &[], &["reports:operations"]),
        grants(LEAD, &["agent"], &["reports"]),
        grants(TECHNICIAN, &["technician"], &[]),
    ];
    items.extend(ticket("T-tech", TECHNICIAN));
    for n in 0..3 {
        items.extend(ticket(&format!("T-{n}"), MEMBER));
    }
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(app.db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    project(app).await;
}
