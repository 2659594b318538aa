//! The organisation: teams, staff, team memberships and permission grants.
//! Each is a diff-only fact: an event whenever the fact's hash differs from
//! the shadow's.

use chrono::Utc;
use serde_json::{json, Value};

use super::{short_hash, Emit, Shadow, Ts};
use crate::rows::{GrantsRow, MemberRow, PersonRow, TeamRow};

pub(super) fn team(r: TeamRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let fact = json!({"team_id": e.id, "name": r.name, "team_type": r.team_type, "manager_person_id": r.manager, "is_active": r.is_active});
    set_fact(e, shadow, ("team", "upserted", "team.upserted"), r.updated_at, fact);
    Ok(())
}

pub(super) fn person(r: PersonRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let joined = [r.first_name.as_deref(), r.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = r
        .display_name
        .filter(|s| !s.trim().is_empty())
        .or(Some(joined).filter(|s| !s.is_empty()))
        .or(r.email)
        .ok_or("the person has no name or email")?;
    let fact = json!({"person_id": e.id, "display_name": name, "title": r.title.filter(|t| !t.trim().is_empty()), "is_active": r.is_active});
    set_fact(e, shadow, ("person", "upserted", "person.upserted"), r.updated_at, fact);
    Ok(())
}

pub(super) fn member(r: MemberRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let fact = json!({"team_id": r.team_id, "person_id": r.person_id, "role": r.role, "is_active": r.is_active});
    set_fact(e, shadow, ("member", "set", "team.member_set"), snapshot_moment(shadow, r.created_at), fact);
    Ok(())
}

pub(super) fn grants(r: GrantsRow, shadow: &Shadow, e: &mut Emit<'_>) -> Result<(), String> {
    let fact = json!({"person_id": e.id, "roles": r.roles, "permissions": r.permissions});
    set_fact(e, shadow, ("grants", "set", "person.permissions_set"), snapshot_moment(shadow, r.at), fact);
    Ok(())
}

/// A snapshot row's moment: a new row is dated by its own timestamp; a
/// change to a known row (DotMac stamps none) by the poll that saw it.
fn snapshot_moment(shadow: &Shadow, row_at: Ts) -> Ts {
    if shadow.created {
        Utc::now()
    } else {
        row_at
    }
}

/// Emits `dotmac:{kind}:{id}:{verb}:{hash}` when the fact's hash is not the
/// shadow's, and records the shadow (kind `kind`) either way.
fn set_fact(
    e: &mut Emit<'_>,
    shadow: &Shadow,
    (kind, verb, type_name): (&'static str, &str, &str),
    at: Ts,
    fact: Value,
) {
    let mut new = shadow.clone();
    let hash = short_hash(&[&fact.to_string()]);
    if shadow.hash.as_deref() != Some(&hash) {
        let id = e.id;
        e.event(format!("dotmac:{kind}:{id}:{verb}:{hash}"), type_name, at, fact);
        new.hash = Some(hash);
        new.created = true;
    }
    e.shadow(kind, new);
}
