//! Server-side scope (D17, seed "Access Control" → "Implementation details"):
//! whose data a request may read or change, resolved from the caller's token
//! and the team projection on every request. A query parameter never widens
//! it.
//!
//! The rules, in order, for a request about `requested` (`None` = myself):
//!
//! 1. The caller must be a person (`sub` is a UUID); service tokens get 403.
//! 2. Self (`requested` absent or equal to me): allowed when I may use
//!    self-service ([`may_serve_self`], D19): every active person in the
//!    directory, whatever their roles (a technician or project manager
//!    without inbox access too); also, as before D19, anyone with
//!    `can_view_inbox` (see `crate::auth`) or `reports:operations`.
//! 3. `admin` → the requested person, or **404** when no such person is known
//!    (neither in `directory_people` nor in any team membership).
//! 4. A manager — `reports:operations` (or `reports`) *and* the target in
//!    [`managed_person_ids`] — → the requested person. A managed target is in
//!    a membership, so it always exists: managers never see a 404.
//! 5. Everyone else → **403**, whether the person exists or not, so ids
//!    cannot be probed. Only admins, who may see everyone, learn that an id
//!    is unknown.

use sqlx::PgPool;

use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::{PersonId, TeamId};

/// The permission that makes a team manager or lead a manager of its members.
pub const MANAGE_PERMISSION: &str = "reports:operations";

/// The SQL condition "team `t` is managed by `$1`": its `manager_person_id`,
/// or an active `lead`/`manager` membership. Only active teams and active
/// memberships count (seed: `_get_managed_person_ids`).
const MANAGED_TEAMS: &str = "SELECT t.team_id FROM directory_teams t
     WHERE t.is_active
       AND (t.manager_person_id = $1
            OR EXISTS (SELECT 1 FROM directory_memberships me
                        WHERE me.team_id = t.team_id AND me.person_id = $1
                          AND me.is_active AND me.role IN ('lead', 'manager')))";

/// The people `manager` manages: the active members of the active teams it
/// manages (by `manager_person_id` or an active lead/manager membership).
/// Sorted, without duplicates.
pub async fn managed_person_ids(pool: &PgPool, manager: PersonId) -> Result<Vec<PersonId>, sqlx::Error> {
    sqlx::query_scalar(&managed_person_ids_sql("$1")).bind(manager).fetch_all(pool).await
}

/// The statement of [`managed_person_ids`] with the manager's id as the
/// parameter `placeholder` (`"$1"`, `"$2"`, …), for statements that read it
/// with other columns ([`crate::app::scope_cache`]).
pub(crate) fn managed_person_ids_sql(placeholder: &str) -> String {
    let teams = MANAGED_TEAMS.replace("$1", placeholder);
    format!(
        "SELECT DISTINCT m.person_id FROM directory_memberships m
          WHERE m.is_active AND m.team_id IN ({teams})
          ORDER BY m.person_id"
    )
}

/// Is `target` in [`managed_person_ids`] of `manager`? (One indexed query.)
pub async fn manages(pool: &PgPool, manager: PersonId, target: PersonId) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM directory_memberships m
                         WHERE m.person_id = $2 AND m.is_active AND m.team_id IN ({MANAGED_TEAMS}))"
    );
    sqlx::query_scalar(&sql).bind(manager).bind(target).fetch_one(pool).await
}

/// Does `manager` manage the active team `team` (by `manager_person_id` or
/// an active lead/manager membership)?
pub async fn manages_team(pool: &PgPool, manager: PersonId, team: TeamId) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT $2 IN ({MANAGED_TEAMS})");
    sqlx::query_scalar(&sql).bind(manager).bind(team).fetch_one(pool).await
}

/// The active teams `manager` manages (by `manager_person_id` or an active
/// lead/manager membership), sorted.
pub async fn managed_team_ids(pool: &PgPool, manager: PersonId) -> Result<Vec<TeamId>, sqlx::Error> {
    let sql = format!("SELECT team_id FROM ({MANAGED_TEAMS}) managed ORDER BY team_id");
    sqlx::query_scalar(&sql).bind(manager).fetch_all(pool).await
}

/// Is `person` known at all: in the people directory or in any membership?
pub async fn person_exists(pool: &PgPool, person: PersonId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM directory_people WHERE person_id = $1)
             OR EXISTS (SELECT 1 FROM directory_memberships WHERE person_id = $1)",
    )
    .bind(person)
    .fetch_one(pool)
    .await
}

/// The caller's own person id, or 403 for service tokens.
pub fn caller_person_id(principal: &Principal) -> Result<PersonId, AppError> {
    principal
        .person_id
        .map(PersonId)
        .ok_or_else(|| AppError::forbidden(None, "this token does not name a person (its sub is not a person_id)"))
}

/// Is `person` an active person in the directory?
pub async fn is_active_person(pool: &PgPool, person: PersonId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM directory_people WHERE person_id = $1 AND is_active)")
        .bind(person)
        .fetch_one(pool)
        .await
}

/// May the caller use self-service: read its own scores, snapshots, goals
/// and reviews and acknowledge its own reviews (D19)? Every active person
/// in the directory may, whatever their roles; so may anyone with inbox
/// access or `reports:operations` (the gate before D19, so nobody loses
/// access). A service token (no person) never may.
pub async fn may_serve_self(pool: &PgPool, principal: &Principal) -> Result<bool, sqlx::Error> {
    let Some(me) = principal.person_id else { return Ok(false) };
    if principal.can_view_inbox() || principal.has_permission(MANAGE_PERMISSION) {
        return Ok(true);
    }
    is_active_person(pool, PersonId(me)).await
}

/// The refusal when [`may_serve_self`] is false for a person.
pub fn self_service_refused() -> AppError {
    AppError::forbidden(
        None,
        "your own scorecard is for people active in the staff directory, and this account is not one of them",
    )
}

/// What the caller may do about someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Self only (or nothing at all).
    SelfOnly,
    /// Its managed people (`reports:operations` and a managed team).
    Managed,
    /// Everyone (`admin`).
    Everyone,
}

pub fn reach(principal: &Principal) -> Reach {
    if principal.is_admin() {
        Reach::Everyone
    } else if principal.has_permission(MANAGE_PERMISSION) {
        Reach::Managed
    } else {
        Reach::SelfOnly
    }
}

/// Resolves whose data a request is about (module docs, rules 1–5).
/// `field` names the parameter `requested` came from, for the problem.
pub async fn effective_person_id(
    pool: &PgPool,
    principal: &Principal,
    requested: Option<PersonId>,
    field: &str,
) -> Result<PersonId, AppError> {
    let me = caller_person_id(principal)?;
    let target = match requested {
        None => me,
        Some(target) => target,
    };
    if target == me {
        if may_serve_self(pool, principal).await? {
            return Ok(me);
        }
        return Err(self_service_refused());
    }
    let denied = || AppError::forbidden(Some(field), "you may not see or act for this person");
    match reach(principal) {
        Reach::Everyone => {
            if person_exists(pool, target).await? {
                Ok(target)
            } else {
                Err(AppError::not_found(field, format!("no person has id '{target}'")))
            }
        }
        Reach::Managed => {
            if manages(pool, me, target).await? {
                Ok(target)
            } else {
                Err(denied())
            }
        }
        Reach::SelfOnly => Err(denied()),
    }
}

/// [`effective_person_id`] for writes on behalf of someone else that the
/// seed reserves for managers and admins (e.g. generating a review): the
/// same, except that acting for oneself is also refused to non-admins
/// unless `self_allowed`.
pub async fn acting_person_id(
    pool: &PgPool,
    principal: &Principal,
    requested: Option<PersonId>,
    field: &str,
    self_allowed: bool,
) -> Result<PersonId, AppError> {
    let me = caller_person_id(principal)?;
    if !self_allowed && requested.unwrap_or(me) == me && !principal.is_admin() {
        return Err(AppError::forbidden(Some(field), "only team managers and admins may do this"));
    }
    effective_person_id(pool, principal, requested, field).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_managed_people_statement_takes_the_manager_as_any_parameter() {
        let sql = managed_person_ids_sql("$2");
        assert!(!sql.contains("$1"), "{sql}");
        assert_eq!(sql.matches("$2").count(), MANAGED_TEAMS.matches("$1").count());
        assert_eq!(managed_person_ids_sql("$1").matches("$1").count(), 2);
    }
}
