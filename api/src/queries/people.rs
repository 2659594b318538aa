//! People and teams as the dashboards name them: display names, the team
//! picker's choices, and the demo sign-in's list of seeded people.

use sqlx::PgPool;
use uuid::Uuid;

/// The display name of `person`, if the directory has one.
pub async fn display_name(pool: &PgPool, person: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT display_name FROM directory_people WHERE person_id = $1")
        .bind(person)
        .fetch_optional(pool)
        .await
}

/// The team `scored_team` (the team `person` was scored under in a period),
/// else `person`'s scoring team today, with its name.
pub async fn team_of(
    pool: &PgPool,
    scored_team: Option<Uuid>,
    person: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.team_id, t.name FROM directory_teams t
          WHERE t.team_id = coalesce($1, (SELECT team_id FROM directory_scoring_teams WHERE person_id = $2))",
    )
    .bind(scored_team)
    .bind(person)
    .fetch_optional(pool)
    .await
}

/// The active teams among `only` (every active team when `None`), by name.
pub async fn active_teams(pool: &PgPool, only: Option<&[Uuid]>) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    match only {
        None => {
            sqlx::query_as("SELECT team_id, name FROM directory_teams WHERE is_active ORDER BY name, team_id")
                .fetch_all(pool)
                .await
        }
        Some(ids) => {
            sqlx::query_as("SELECT team_id, name FROM directory_teams WHERE team_id = ANY($1) ORDER BY name, team_id")
                .bind(ids)
                .fetch_all(pool)
                .await
        }
    }
}

/// One person of the demo sign-in list: id, name, title, roles,
/// permissions, and the active teams with the person's role in each.
pub type DemoPersonRow = (Uuid, String, Option<String>, Option<Vec<String>>, Option<Vec<String>>, Option<String>);

/// The active people for the demo sign-in, admins and managers first (at most 500).
pub async fn demo_people(pool: &PgPool) -> Result<Vec<DemoPersonRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.person_id, p.display_name, p.title, g.roles, g.permissions,
                (SELECT string_agg(t.name || ' (' || m.role || ')', ', ' ORDER BY t.name)
                   FROM directory_memberships m JOIN directory_teams t USING (team_id)
                  WHERE m.person_id = p.person_id AND m.is_active AND t.is_active)
           FROM directory_people p LEFT JOIN directory_grants g USING (person_id)
          WHERE p.is_active
          ORDER BY (g.roles IS NOT NULL AND 'admin' = ANY (g.roles)) DESC,
                   (g.permissions IS NOT NULL AND 'reports:operations' = ANY (g.permissions)) DESC,
                   p.display_name, p.person_id
          LIMIT 500",
    )
    .fetch_all(pool)
    .await
}
