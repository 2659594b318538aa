//! Server-side scope (D17, seed "Access Control" → "Implementation details"):
//! whose data a request may read or change, resolved from the caller's token
//! and the team projection on every request. A query parameter never widens
//! it.
//!
//! The rules, in order, for a request about `requested` (`None` = myself):
//!
//! 1. The caller must be a person (`sub` is a UUID); service tokens get 403.
//! 2. Self (`requested` absent or equal to me): allowed when I may use
//!    self-service, i.e. `can_view_inbox` (see `crate::auth`) or
//!    `reports:operations` (managers read their own scorecards too); `admin`
//!    passes both.
//! 3. `admin` → the requested person, or **404** when no such person is known
//!    (neither in `directory_people` nor in any team membership).
//! 4. A manager — `reports:operations` (or `reports`) *and* the target in
//!    [`managed_person_ids`] — → the requested person. A managed target is in
//!    a membership, so it always exists: managers never see a 404.
//! 5. Everyone else → **403**, whether the person exists or not, so ids
//!    cannot be probed. Only admins, who may see everyone, learn that an id
//!    is unknown.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Principal;
use crate::problem::Problem;

/// Problem `type` URIs: stable, one per kind of failure.
pub mod problem_types {
    pub const FORBIDDEN: &str = "https://perfledger.dev/problems/forbidden";
    pub const NOT_FOUND: &str = "https://perfledger.dev/problems/not-found";
    pub const INVALID_PARAMETER: &str = "https://perfledger.dev/problems/invalid-parameter";
    pub const INVALID_BODY: &str = "https://perfledger.dev/problems/invalid-body";
    pub const REJECTED: &str = "https://perfledger.dev/problems/rejected";
    pub const NOT_CONFIGURED: &str = "https://perfledger.dev/problems/not-configured";
    pub const RATE_LIMITED: &str = "https://perfledger.dev/problems/rate-limited";
    pub const UNAVAILABLE: &str = "https://perfledger.dev/problems/unavailable";
    pub const INTERNAL: &str = "https://perfledger.dev/problems/internal";
}

/// An `application/problem+json` answer (RFC 9457) that also names the field
/// at fault and the reason, as the performance API promises.
#[derive(Debug, Clone, Serialize)]
pub struct ApiProblem {
    #[serde(rename = "type")]
    pub type_uri: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
    /// For 429 and 503: seconds until a retry may succeed, also sent as the
    /// `Retry-After` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl ApiProblem {
    pub fn new(
        status: StatusCode,
        type_uri: &'static str,
        title: &'static str,
        field: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        let reason = reason.into();
        let detail = match field {
            Some(field) => format!("{field}: {reason}"),
            None => reason.clone(),
        };
        ApiProblem {
            type_uri,
            title,
            status: status.as_u16(),
            detail,
            field: field.map(String::from),
            reason,
            retry_after: None,
        }
    }

    /// 403: the caller may not see or change this.
    pub fn forbidden(field: Option<&str>, reason: impl Into<String>) -> Self {
        ApiProblem::new(StatusCode::FORBIDDEN, problem_types::FORBIDDEN, "Forbidden", field, reason)
    }

    pub fn not_found(field: &str, reason: impl Into<String>) -> Self {
        ApiProblem::new(StatusCode::NOT_FOUND, problem_types::NOT_FOUND, "Not Found", Some(field), reason)
    }

    /// 400: a query parameter (or path segment) is not acceptable.
    pub fn invalid_parameter(field: &str, reason: impl Into<String>) -> Self {
        ApiProblem::new(StatusCode::BAD_REQUEST, problem_types::INVALID_PARAMETER, "Bad Request", Some(field), reason)
    }

    /// 422: the body is not an acceptable command.
    pub fn invalid_body(field: &str, reason: impl Into<String>) -> Self {
        ApiProblem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem_types::INVALID_BODY,
            "Unprocessable Content",
            Some(field),
            reason,
        )
    }

    /// 422: the aggregate refused the command (a goal rule).
    pub fn rejected(field: &str, reason: impl Into<String>) -> Self {
        ApiProblem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problem_types::REJECTED,
            "Unprocessable Content",
            Some(field),
            reason,
        )
    }

    /// 429: a limit was hit; `retry_after` seconds until it lifts.
    pub fn rate_limited(field: Option<&str>, reason: impl Into<String>, retry_after: u32) -> Self {
        let mut problem = ApiProblem::new(
            StatusCode::TOO_MANY_REQUESTS,
            problem_types::RATE_LIMITED,
            "Too Many Requests",
            field,
            reason,
        );
        problem.retry_after = Some(retry_after.max(1));
        problem
    }

    pub fn internal(reason: impl Into<String>) -> Self {
        ApiProblem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            problem_types::INTERNAL,
            "Internal Server Error",
            None,
            reason,
        )
    }

    /// A database failure: 503, the request may be retried.
    pub fn database(e: &sqlx::Error) -> Self {
        ApiProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            problem_types::UNAVAILABLE,
            "Service Unavailable",
            None,
            crate::request_id::internal_failure("the database is unavailable", e),
        )
    }

    /// 500 for an internal failure: `reason` in plain words and the request
    /// id; the error itself only in the log.
    pub fn internal_error(reason: &str, error: &dyn std::fmt::Display) -> Self {
        ApiProblem::internal(crate::request_id::internal_failure(reason, error))
    }
}

impl From<Problem> for ApiProblem {
    fn from(p: Problem) -> Self {
        ApiProblem {
            type_uri: p.type_uri,
            title: p.title,
            status: p.status,
            reason: p.detail.clone(),
            detail: p.detail,
            field: None,
            retry_after: p.retry_after,
        }
    }
}

impl From<sqlx::Error> for ApiProblem {
    fn from(e: sqlx::Error) -> Self {
        ApiProblem::database(&e)
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("problems always serialize");
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

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
pub async fn managed_person_ids(pool: &PgPool, manager: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(&managed_person_ids_sql("$1")).bind(manager).fetch_all(pool).await
}

/// The statement of [`managed_person_ids`] with the manager's id as the
/// parameter `placeholder` (`"$1"`, `"$2"`, …), for statements that read it
/// with other columns ([`crate::scope_cache`]).
pub(crate) fn managed_person_ids_sql(placeholder: &str) -> String {
    let teams = MANAGED_TEAMS.replace("$1", placeholder);
    format!(
        "SELECT DISTINCT m.person_id FROM directory_memberships m
          WHERE m.is_active AND m.team_id IN ({teams})
          ORDER BY m.person_id"
    )
}

/// Is `target` in [`managed_person_ids`] of `manager`? (One indexed query.)
pub async fn manages(pool: &PgPool, manager: Uuid, target: Uuid) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM directory_memberships m
                         WHERE m.person_id = $2 AND m.is_active AND m.team_id IN ({MANAGED_TEAMS}))"
    );
    sqlx::query_scalar(&sql).bind(manager).bind(target).fetch_one(pool).await
}

/// Does `manager` manage the active team `team` (by `manager_person_id` or
/// an active lead/manager membership)?
pub async fn manages_team(pool: &PgPool, manager: Uuid, team: Uuid) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT $2 IN ({MANAGED_TEAMS})");
    sqlx::query_scalar(&sql).bind(manager).bind(team).fetch_one(pool).await
}

/// The active teams `manager` manages (by `manager_person_id` or an active
/// lead/manager membership), sorted.
pub async fn managed_team_ids(pool: &PgPool, manager: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let sql = format!("SELECT team_id FROM ({MANAGED_TEAMS}) managed ORDER BY team_id");
    sqlx::query_scalar(&sql).bind(manager).fetch_all(pool).await
}

/// Is `person` known at all: in the people directory or in any membership?
pub async fn person_exists(pool: &PgPool, person: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM directory_people WHERE person_id = $1)
             OR EXISTS (SELECT 1 FROM directory_memberships WHERE person_id = $1)",
    )
    .bind(person)
    .fetch_one(pool)
    .await
}

/// The caller's own person id, or 403 for service tokens.
pub fn caller_person_id(principal: &Principal) -> Result<Uuid, ApiProblem> {
    principal
        .person_id
        .ok_or_else(|| ApiProblem::forbidden(None, "this token does not name a person (its sub is not a person_id)"))
}

/// May the caller use self-service (read and manage its own performance)?
pub fn may_serve_self(principal: &Principal) -> bool {
    principal.can_view_inbox() || principal.has_permission(MANAGE_PERMISSION)
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
    requested: Option<Uuid>,
    field: &str,
) -> Result<Uuid, ApiProblem> {
    let me = caller_person_id(principal)?;
    let target = match requested {
        None => me,
        Some(target) => target,
    };
    if target == me {
        if may_serve_self(principal) {
            return Ok(me);
        }
        return Err(ApiProblem::forbidden(
            None,
            "self-service needs inbox access (role agent/support or permission crm:inbox) or reports:operations",
        ));
    }
    let denied = || ApiProblem::forbidden(Some(field), "you may not see or act for this person");
    match reach(principal) {
        Reach::Everyone => {
            if person_exists(pool, target).await? {
                Ok(target)
            } else {
                Err(ApiProblem::not_found(field, format!("no person has id '{target}'")))
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
    requested: Option<Uuid>,
    field: &str,
    self_allowed: bool,
) -> Result<Uuid, ApiProblem> {
    let me = caller_person_id(principal)?;
    if !self_allowed && requested.unwrap_or(me) == me && !principal.is_admin() {
        return Err(ApiProblem::forbidden(Some(field), "only team managers and admins may do this"));
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
