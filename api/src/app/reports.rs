//! The reports (issue 5) as use cases: who may see which leaderboard, team
//! summary, peer comparison and drilldown (D17: resolved server-side on
//! every request, a parameter only narrows), and the reads behind them
//! ([`crate::queries`]). The JSON handlers (`crate::performance::reports`)
//! and the dashboards (`crate::web`) both call these.
//!
//! Scope decisions:
//! - **Leaderboard** (JSON and CSV): admins see everyone; a manager
//!   (`reports:operations`, or `reports`, *and* at least one managed active
//!   team, see [`managed_person_ids`]) sees only the people it manages.
//!   `team_id` filters on the scoring team of the period (D8) and only
//!   narrows: a manager naming a team it does not manage (inactive, someone
//!   else's, or unknown) gets 403; an admin naming an unknown team gets 404.
//!   A manager naming a team it manages sees the team's people in the
//!   period (everyone scored under it, `queries::team`), also someone who
//!   has left it since: the same people as the team summary, the CSV and
//!   the members' peer comparison, so the numbers agree (issue 15). Their
//!   agent pages still follow today's managed set (D17).
//!   Everyone else, including a permission holder who manages no active
//!   team, gets 403.
//! - **Team summary**: admins any team (404 when unknown); a manager or lead
//!   of the *active* team with `reports:operations`/`reports`; else 403, the
//!   same for unknown teams so team ids cannot be probed.
//! - **Team reviews** ([`team_reviews`], the team page's lists): the team
//!   summary's gate and the team's people in the period (D23).
//! - **Peer comparison**: the caller only (self-service, as
//!   [`super::scope::may_serve_self`] defines it).
//! - **Drilldown**: who may see the person's scores (self, managed, admin,
//!   via [`effective_person_id`]); no such score row → 404 for them.

use std::sync::Arc;

use chrono::NaiveDate;
use perfledger_domain::period::{iso_week_label, parse_iso_week, week_start_of_day};
use perfledger_domain::scoring::Domain;
use sqlx::PgPool;
use uuid::Uuid;

use super::fields::shorten;
use super::scope::{
    caller_person_id, effective_person_id, managed_person_ids, managed_team_ids, manages_team, reach, Reach,
};
use super::scope_cache;
use crate::auth::Principal;
use crate::error::AppError;
use crate::ids::{PersonId, TeamId};
use crate::period_query::Period;
use crate::queries::score_cache::DirectoryKey;
use crate::queries::{self, EventRow, Page, PeerComparison, TeamSummary, Visibility};

/// Does `team` exist at all (active or not)?
pub(crate) async fn team_exists(pool: &PgPool, team: TeamId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM directory_teams WHERE team_id = $1)")
        .bind(team)
        .fetch_one(pool)
        .await
}

/// Whom the leaderboard of `principal` may show, `team_id` checked against
/// it (module docs).
pub(crate) async fn leaderboard_visibility(
    pool: &PgPool,
    principal: &Principal,
    team_id: Option<TeamId>,
) -> Result<Visibility, AppError> {
    visibility(pool, principal, team_id, None).await
}

/// [`leaderboard_visibility`]; with `directory`, a manager's people come from
/// [`scope_cache`] under that directory state instead of a query.
pub(crate) async fn visibility(
    pool: &PgPool,
    principal: &Principal,
    team_id: Option<TeamId>,
    directory: Option<&DirectoryKey>,
) -> Result<Visibility, AppError> {
    let me = caller_person_id(principal)?;
    let not_a_manager =
        || AppError::forbidden(None, "the leaderboard is for admins and the managers of an active team");
    match reach(principal) {
        Reach::Everyone => {
            if let Some(team) = team_id {
                if !team_exists(pool, team).await? {
                    return Err(AppError::not_found("team_id", format!("no team has id '{team}'")));
                }
            }
            Ok(Visibility::All)
        }
        Reach::Managed => {
            let managed = match directory {
                Some(key) => scope_cache::managed_person_ids(pool, key, me).await?,
                None => Arc::new(managed_person_ids(pool, me).await?.into_iter().map(PersonId::uuid).collect()),
            };
            if managed.is_empty() {
                return Err(not_a_manager());
            }
            if let Some(team) = team_id {
                if !manages_team(pool, me, team).await? {
                    return Err(AppError::forbidden(Some("team_id"), "you do not manage this team"));
                }
                // The team filter alone: the team's people in the period.
                return Ok(Visibility::All);
            }
            Ok(Visibility::Only(managed.iter().copied().collect()))
        }
        Reach::SelfOnly => Err(not_a_manager()),
    }
}

/// The active teams the caller may pick in a report: every one for admins,
/// the ones it manages otherwise (none for everyone else).
pub async fn team_choices(pool: &PgPool, principal: &Principal) -> Result<Vec<(TeamId, String)>, AppError> {
    let rows = if principal.is_admin() {
        queries::people::active_teams(pool, None).await?
    } else {
        let me = caller_person_id(principal)?;
        let ids: Vec<Uuid> = managed_team_ids(pool, me).await?.into_iter().map(TeamId::uuid).collect();
        queries::people::active_teams(pool, Some(&ids)).await?
    };
    Ok(rows.into_iter().map(|(id, name)| (TeamId(id), name)).collect())
}

/// The summary of `team` for `period`, if the caller may see it (module docs).
pub async fn team_summary(
    pool: &PgPool,
    principal: &Principal,
    team: TeamId,
    period: &Period,
) -> Result<TeamSummary, AppError> {
    may_see_team(pool, principal, team).await?;
    match queries::team_summary(pool, team.uuid(), period).await? {
        Some(summary) => Ok(summary),
        None => Err(AppError::not_found("team_id", format!("no team has id '{team}'"))),
    }
}

/// The team gate of the summary and the team's review lists (module docs):
/// admins any team, a manager or lead of the active team; else 403.
async fn may_see_team(pool: &PgPool, principal: &Principal, team: TeamId) -> Result<(), AppError> {
    let me = caller_person_id(principal)?;
    let denied = || AppError::forbidden(Some("team_id"), "you may not see this team");
    match reach(principal) {
        Reach::Everyone => Ok(()),
        Reach::Managed if manages_team(pool, me, team).await? => Ok(()),
        Reach::Managed | Reach::SelfOnly => Err(denied()),
    }
}

/// Unacknowledged reviews listed on the team page.
pub const UNACKNOWLEDGED_SHOWN: i64 = 20;
/// Flagged-review runs listed on the team page.
pub const RUNS_SHOWN: i64 = 10;

/// The team page's review lists (issue 16): the generated reviews of the
/// team's people in the period (the summary's people,
/// [`queries::team::team_people`]) not acknowledged yet, and the flagged
/// runs that looked at weeks ending in the period, with what each
/// requested, failed and cost for those people. The team summary's gate.
pub struct TeamReviews {
    pub unacknowledged: Vec<queries::review_runs::PendingAck>,
    /// All of them, when more than [`UNACKNOWLEDGED_SHOWN`].
    pub unacknowledged_total: i64,
    pub runs: Vec<queries::review_runs::RunRow>,
}

pub async fn team_reviews(
    pool: &PgPool,
    principal: &Principal,
    team: TeamId,
    period: &Period,
) -> Result<TeamReviews, AppError> {
    may_see_team(pool, principal, team).await?;
    if !team_exists(pool, team).await? {
        return Err(AppError::not_found("team_id", format!("no team has id '{team}'")));
    }
    let people: Vec<Uuid> = queries::team::team_people(pool, team.uuid(), period).await?.into_iter().collect();
    let (unacknowledged, unacknowledged_total) =
        queries::review_runs::unacknowledged_of(pool, &people, UNACKNOWLEDGED_SHOWN).await?;
    let (from, to) =
        (perfledger_domain::period::midnight(period.start), perfledger_domain::period::midnight(period.end));
    let runs = queries::review_runs::runs(pool, &people, from, to, RUNS_SHOWN).await?;
    Ok(TeamReviews { unacknowledged, unacknowledged_total, runs })
}

/// The caller's own anonymised comparison with its peers.
pub async fn peer_comparison(
    pool: &PgPool,
    principal: &Principal,
    period: &Period,
) -> Result<PeerComparison, AppError> {
    let me = effective_person_id(pool, principal, None, "person_id").await?;
    queries::peer_comparison(pool, me.uuid(), period).await
}

/// A page of the events behind `requested`'s `domain` score of the week
/// starting `week_start` (D11), if the caller may see that person.
pub async fn drilldown(
    pool: &PgPool,
    principal: &Principal,
    requested: PersonId,
    week_start: NaiveDate,
    domain: Domain,
    limit: u32,
    offset: u64,
) -> Result<Page<EventRow>, AppError> {
    let person = effective_person_id(pool, principal, Some(requested), "person_id").await?;
    match queries::drilldown(pool, person.uuid(), week_start, domain, limit, offset).await? {
        Some(page) => Ok(page),
        None => Err(AppError::not_found(
            "week",
            format!("{person} has no {} score for {}", domain.as_str(), iso_week_label(week_start)),
        )),
    }
}

/// A `week` path segment: an ISO week (`2026-W20`) or the date of its
/// Monday (`2026-05-11`).
pub fn week_param(text: &str) -> Result<NaiveDate, AppError> {
    let text = text.trim();
    if text.contains("-W") {
        return parse_iso_week(text).map_err(|reason| AppError::invalid_parameter("week", reason));
    }
    let bad = || {
        AppError::invalid_parameter(
            "week",
            format!(
                "'{}' is not a week; expected an ISO week like 2026-W20 or its Monday like 2026-05-11",
                shorten(text)
            ),
        )
    };
    if text.len() != 10 {
        return Err(bad());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    if week_start_of_day(day) != day {
        return Err(AppError::invalid_parameter("week", format!("{day} is not a Monday; a week starts on Monday")));
    }
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks_are_iso_weeks_or_mondays() {
        assert_eq!(week_param("2026-W20").unwrap(), d("2026-05-11"));
        assert_eq!(week_param("2026-05-11").unwrap(), d("2026-05-11"));
        for bad in ["2026-05-12", "2026-W54", "last_week", "2026-5-11", ""] {
            let problem = week_param(bad).unwrap_err();
            assert_eq!(problem.field.as_deref(), Some("week"), "{bad}");
            assert_eq!(problem.status().as_u16(), 400);
        }
        assert!(week_param("2026-05-12").unwrap_err().reason.contains("not a Monday"));
    }
}
