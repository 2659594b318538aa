//! Goal forms: on My Performance, one's own goals; on an agent page, a
//! manager's (or admin's) for the person (issue 16: the same forms, the
//! same use cases, so the API's scope rules apply). Plain forms (CSRF; 303 back with a flash naming the outcome, or the
//! field at fault and why). The form fields go through the same code as the
//! goals API ([`crate::performance::goals`]), so the `Goal` aggregate's rules
//! and messages are the same; nothing partial is written on a refusal.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::flash::{redirect_with, Flash};
use super::goal_form::{self, Unit};
use super::pages::{plain_words, respond};
use super::params::path_uuid;
use super::session::{WebUser, CSRF_FIELD};
use crate::app::goals::{create_goal, load_goal, update_goal};
use crate::app::scope::effective_person_id;
use crate::error::{AppError, ErrorKind};
use crate::ids::GoalId;
use crate::state::AppState;

const BACK: &str = "/agent/my-performance#goals";
const UPDATE_FIELDS: [&str; 5] = ["label", "target_value", "comparison", "deadline", "status"];

/// The non-empty form fields among `allowed`, as JSON strings; anything
/// else (but the CSRF token) is refused with its name.
fn fields(form: &[(String, String)], allowed: &[&str]) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
    for (key, value) in form {
        if key == CSRF_FIELD {
            continue;
        }
        if !allowed.contains(&key.as_str()) {
            return Err(format!("{key}: is not a field of this form; expected one of: {}", allowed.join(", ")));
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if map.insert(key.clone(), Value::String(value.to_string())).is_some() {
            return Err(format!("{key}: is given more than once"));
        }
    }
    Ok(map)
}

fn csrf(form: &[(String, String)]) -> Option<&str> {
    form.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str())
}

/// `POST /agent/my-performance/goals` (CSRF): creates one of my goals from
/// the catalog form ([`super::goal_form`]): 303 back with a flash, or the
/// page again (400) with the input kept and each refusal beside its field.
pub async fn create(State(state): State<AppState>, user: WebUser, Form(form): Form<Vec<(String, String)>>) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        // Self-service first: the same 403 as the API for those without it.
        let me = effective_person_id(&state.pool, &user.principal, None, "person_id").await?.uuid();
        create_from_form(&state, &user, Whose::Mine(me), &form).await
    }
    .await;
    respond(&user, result)
}

/// `POST /admin/performance/agents/{person_id}/goals` (CSRF): a manager
/// creates a goal for a member of a team it manages, an admin for anyone
/// (seed "Access Control"): the agent page's gate, then the goals use case
/// with `person_id`, so the API's scope rules apply as they are.
pub async fn create_for(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        let person = super::person::managed_person(&state, &user, &id).await?;
        create_from_form(&state, &user, Whose::Agent(person), &form).await
    }
    .await;
    respond(&user, result)
}

/// Whose goals a form is about, and so which page it comes from and returns to.
#[derive(Debug, Clone, Copy)]
enum Whose {
    /// My own, on My Performance.
    Mine(Uuid),
    /// Someone I manage (or anyone, for admins), on their agent page.
    Agent(Uuid),
}

impl Whose {
    fn person(self) -> Uuid {
        match self {
            Whose::Mine(p) | Whose::Agent(p) => p,
        }
    }

    fn back(self) -> String {
        match self {
            Whose::Mine(_) => BACK.to_string(),
            Whose::Agent(person) => format!("/admin/performance/agents/{person}#goals"),
        }
    }
}

async fn create_from_form(
    state: &AppState,
    user: &WebUser,
    whose: Whose,
    form: &[(String, String)],
) -> Result<Response, AppError> {
    let typed = goal_form::typed(form)?;
    let errors = match goal_form::command(&typed) {
        Ok(mut map) => {
            if let Whose::Agent(person) = whose {
                map.insert("person_id".into(), Value::String(person.to_string()));
            }
            match create_goal(state, &user.principal, &map).await {
                Ok(goal) => {
                    let flash = Flash::ok(format!(
                        "Goal \u{201c}{}\u{201d} created; it shows in the list within a few seconds.",
                        goal.label
                    ));
                    return Ok(redirect_with(&whose.back(), flash));
                }
                Err(problem) if matches!(problem.kind, ErrorKind::InvalidBody | ErrorKind::Rejected) => {
                    let (field, reason) = goal_form::refusal(&problem);
                    BTreeMap::from([(field, reason)])
                }
                Err(problem) => return Err(problem),
            }
        }
        Err(errors) => errors,
    };
    super::person::goal_form_refused(state, user, whose.person(), matches!(whose, Whose::Mine(_)), &typed, errors).await
}

/// `POST /agent/my-performance/goals/{id}` (CSRF): updates one of my goals,
/// or cancels it with `status=canceled`.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        let goal_id = GoalId(path_uuid(&id, "goal_id")?);
        effective_person_id(&state.pool, &user.principal, None, "person_id").await?;
        update_from_form(&state, &user, Whose::Mine(user.person_id), goal_id, &form).await
    }
    .await;
    respond(&user, result)
}

/// `POST /admin/performance/agents/{person_id}/goals/{goal_id}` (CSRF): a
/// manager or admin updates or cancels (`status=canceled`) a goal of the
/// person whose agent page this is.
pub async fn update_for(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, goal)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        let person = super::person::managed_person(&state, &user, &id).await?;
        let goal_id = GoalId(path_uuid(&goal, "goal_id")?);
        update_from_form(&state, &user, Whose::Agent(person), goal_id, &form).await
    }
    .await;
    respond(&user, result)
}

/// The update or cancel of `goal_id`, which must be a goal of `whose`'s
/// person (unknown ids: 404 for admins, 403 otherwise); the use case checks
/// the caller's scope again, as for the API.
async fn update_from_form(
    state: &AppState,
    user: &WebUser,
    whose: Whose,
    goal_id: GoalId,
    form: &[(String, String)],
) -> Result<Response, AppError> {
    let not_theirs = || match whose {
        Whose::Mine(_) => AppError::forbidden(Some("goal_id"), "this is not your goal"),
        Whose::Agent(_) => AppError::forbidden(Some("goal_id"), "this goal is not one of this person's goals"),
    };
    let metric_key = match load_goal(&state.pool, goal_id).await? {
        Some(goal) if goal.person_id == whose.person() => goal.metric_key,
        Some(_) => return Err(not_theirs()),
        None if user.principal.is_admin() => {
            return Err(AppError::not_found("goal_id", format!("no goal has id '{goal_id}'")))
        }
        None => return Err(not_theirs()),
    };
    // The target is typed in the metric's unit (a percentage for a rate).
    let fields = fields(form, &UPDATE_FIELDS).and_then(|mut map| {
        if let Some(Value::String(typed)) = map.get("target_value") {
            let stored = goal_form::target_value(Unit::of(&metric_key), typed)?;
            map.insert("target_value".into(), Value::String(stored.to_string()));
        }
        Ok(map)
    });
    let flash = match fields {
        Err(reason) => Flash::error(format!("The goal was not changed. {reason}")),
        Ok(map) if map.is_empty() => Flash::error("The goal was not changed: the form had no values."),
        Ok(map) => match update_goal(state, &user.principal, goal_id, &map).await {
            Ok(goal) if map.contains_key("status") => {
                Flash::ok(format!("Goal \u{201c}{}\u{201d} canceled.", goal.label))
            }
            Ok(goal) => Flash::ok(format!("Goal \u{201c}{}\u{201d} updated.", goal.label)),
            Err(problem) if matches!(problem.kind, ErrorKind::InvalidBody | ErrorKind::Rejected) => {
                Flash::error(format!("The goal was not changed. {}", plain_words(&problem)))
            }
            Err(problem) => return Err(problem),
        },
    };
    Ok(redirect_with(&whose.back(), flash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn form_fields_become_a_command_body() {
        let map = fields(
            &form(&[("csrf_token", "x"), ("label", " Faster "), ("target_value", ""), ("deadline", "2099-01-01")]),
            &UPDATE_FIELDS,
        )
        .unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["label"], "Faster");
        assert!(fields(&form(&[("person_id", "x")]), &UPDATE_FIELDS).unwrap_err().starts_with("person_id: "));
        assert!(fields(&form(&[("label", "a"), ("label", "b")]), &UPDATE_FIELDS)
            .unwrap_err()
            .contains("more than once"));
    }
}
