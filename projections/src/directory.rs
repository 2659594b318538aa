//! The team directory projection: people, teams, memberships with roles and
//! active flags, each person's scoring team (D8) and their CRM grants (D16).
//! Every organisation event is also kept in `directory_history`, from which
//! the scoring pass rebuilds the organisation as of any period's end.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use perfledger_domain::directory::{OrgHistory, OrgState};
use perfledger_domain::event::{EventBody, LogEvent};
use sqlx::{PgConnection, PgExecutor};

use crate::dirty::mark_weeks_from;
use crate::runner::{Decoded, ProjectionError, Projector, Result};

pub struct DirectoryProjector;

pub const NAME: &str = "directory";

#[async_trait]
impl Projector for DirectoryProjector {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn reset(&mut self, tx: &mut PgConnection) -> Result<bool> {
        sqlx::query("DELETE FROM directory_people").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM directory_teams").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM directory_memberships").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM directory_scoring_teams").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM directory_grants").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM directory_history").execute(&mut *tx).await?;
        Ok(true)
    }

    async fn apply(&mut self, tx: &mut PgConnection, events: &[Decoded]) -> Result<()> {
        let mut earliest: Option<DateTime<Utc>> = None;
        for d in events {
            match &d.event.body {
                EventBody::PersonPermissionsSet(g) => {
                    sqlx::query(
                        "INSERT INTO directory_grants (person_id, roles, permissions, occurred_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (person_id) DO UPDATE SET roles = EXCLUDED.roles,
                             permissions = EXCLUDED.permissions, occurred_at = EXCLUDED.occurred_at
                         WHERE directory_grants.occurred_at <= EXCLUDED.occurred_at",
                    )
                    .bind(g.person_id)
                    .bind(&g.roles)
                    .bind(&g.permissions)
                    .bind(d.event.occurred_at)
                    .execute(&mut *tx)
                    .await?;
                }
                _ if OrgHistory::is_org_event(&d.event) => {
                    let payload = serde_json::to_value(&d.event).map_err(|e| ProjectionError::Other(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO directory_history (global_position, occurred_at, payload) VALUES ($1, $2, $3)",
                    )
                    .bind(d.position)
                    .bind(d.event.occurred_at)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
                    earliest = Some(earliest.map_or(d.event.occurred_at, |e| e.min(d.event.occurred_at)));
                }
                _ => {}
            }
        }
        if let Some(earliest) = earliest {
            let mut history = load_history(&mut *tx).await?;
            let now = history.as_of(DateTime::<Utc>::MAX_UTC);
            write_current(tx, &now).await?;
            mark_weeks_from(tx, earliest.date_naive()).await?;
        }
        Ok(())
    }
}

/// Every organisation event so far.
pub async fn load_history(executor: impl PgExecutor<'_>) -> Result<OrgHistory> {
    let rows: Vec<(i64, sqlx::types::Json<LogEvent>)> =
        sqlx::query_as("SELECT global_position, payload FROM directory_history ORDER BY global_position")
            .fetch_all(executor)
            .await?;
    let mut history = OrgHistory::default();
    for (position, sqlx::types::Json(event)) in rows {
        history.push(position, event);
    }
    Ok(history)
}

/// Rewrites the current-state tables from the state (they are small: one
/// row per person, team and membership).
async fn write_current(tx: &mut PgConnection, state: &OrgState) -> Result<()> {
    sqlx::query("DELETE FROM directory_people").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM directory_teams").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM directory_memberships").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM directory_scoring_teams").execute(&mut *tx).await?;

    let (ids, names, titles, active): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) =
        unzip4(state.people.iter().map(|(id, p)| (*id, p.display_name.clone(), p.title.clone(), p.is_active)));
    sqlx::query(
        "INSERT INTO directory_people (person_id, display_name, title, is_active)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[])",
    )
    .bind(ids)
    .bind(names)
    .bind(titles)
    .bind(active)
    .execute(&mut *tx)
    .await?;

    let mut team_ids = Vec::new();
    let mut team_names = Vec::new();
    let mut team_types = Vec::new();
    let mut managers = Vec::new();
    let mut team_active = Vec::new();
    for (id, t) in &state.teams {
        team_ids.push(*id);
        team_names.push(t.name.clone());
        team_types.push(enum_str(&t.team_type));
        managers.push(t.manager_person_id);
        team_active.push(t.is_active);
    }
    sqlx::query(
        "INSERT INTO directory_teams (team_id, name, team_type, manager_person_id, is_active)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::bool[])",
    )
    .bind(team_ids)
    .bind(team_names)
    .bind(team_types)
    .bind(managers)
    .bind(team_active)
    .execute(&mut *tx)
    .await?;

    let mut m_team = Vec::new();
    let mut m_person = Vec::new();
    let mut m_role = Vec::new();
    let mut m_active = Vec::new();
    let mut m_joined = Vec::new();
    for ((team, person), m) in &state.memberships {
        m_team.push(*team);
        m_person.push(*person);
        m_role.push(enum_str(&m.role));
        m_active.push(m.is_active);
        m_joined.push(m.joined_at);
    }
    sqlx::query(
        "INSERT INTO directory_memberships (team_id, person_id, role, is_active, joined_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bool[], $5::timestamptz[])",
    )
    .bind(m_team)
    .bind(m_person)
    .bind(m_role)
    .bind(m_active)
    .bind(m_joined)
    .execute(&mut *tx)
    .await?;

    let (people, teams): (Vec<_>, Vec<_>) = state.scoring_teams().into_iter().unzip();
    sqlx::query(
        "INSERT INTO directory_scoring_teams (person_id, team_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])",
    )
    .bind(people)
    .bind(teams)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The serde name of a unit enum variant (`field_service`, `manager` …).
pub fn enum_str<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

#[allow(clippy::type_complexity)]
fn unzip4<A, B, C, D>(items: impl Iterator<Item = (A, B, C, D)>) -> (Vec<A>, Vec<B>, Vec<C>, Vec<D>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (a, b, c, d) in items {
        out.0.push(a);
        out.1.push(b);
        out.2.push(c);
        out.3.push(d);
    }
    out
}
