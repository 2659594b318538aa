//! The history and audit pages (issue 16 item 5), admins only (anyone else
//! gets the 403 page): `/admin/performance/settings/history`, every settings
//! change with before → after per key (secrets only set/unset), and
//! `/admin/performance/audit`, the audit log filtered by actor, action and
//! date, paged, with a "Download CSV" link carrying the same filters. Both
//! call the same use cases as the JSON routes ([`crate::app::audit`]).
//! Filters are GET forms: lenient like every page (an empty field counts as
//! absent), strict on values (a 400 page naming the field).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::pages::{ok, respond};
use super::params::{encode, offset};
use super::session::WebUser;
use super::view::{Choice, Layout, Nav};
use crate::app::audit::{self, action_label};
use crate::state::AppState;

/// Audit rows per page.
pub const AUDIT_PER_PAGE: u32 = 50;
/// Settings changes per page.
pub const HISTORY_PER_PAGE: u32 = 20;

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A setting's value in words: strings as themselves, a weight map as
/// `support 30 · sales 20`, null as "none".
fn value_words(value: &Value) -> String {
    match value {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", v.as_str().map_or_else(|| v.to_string(), String::from)))
            .collect::<Vec<_>>()
            .join(" · "),
        other => other.to_string(),
    }
}

fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

/// "Previous"/"Next" links and "page N of M".
pub struct Paging {
    pub shown_from: u64,
    pub shown_to: u64,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Paging {
    /// `href(offset)` builds a link to the page starting at `offset`.
    fn new(total: u64, offset: u64, shown: usize, per_page: u32, href: impl Fn(u64) -> String) -> Paging {
        let per_page = u64::from(per_page);
        let pages = total.div_ceil(per_page).max(1);
        Paging {
            shown_from: if shown == 0 { 0 } else { offset + 1 },
            shown_to: offset + shown as u64,
            total,
            page: offset / per_page + 1,
            pages,
            previous: (offset > 0).then(|| href(offset.saturating_sub(per_page))),
            next: (offset + (shown as u64) < total).then(|| href(offset + per_page)),
        }
    }
}

// ------------------------------------------------------------ settings history

pub struct KeyView {
    pub key: String,
    pub before: String,
    pub after: String,
    pub secret: bool,
    /// For a secret: "set", "unset", "changed", "unchanged".
    pub secret_change: String,
    /// The value in force did not change (set again to what it was).
    pub unchanged: bool,
}

pub struct ChangeView {
    pub position: i64,
    pub recorded_at: String,
    pub recorded_iso: String,
    pub actor: String,
    pub reason: Option<String>,
    pub effective_from: String,
    pub keys: Vec<KeyView>,
}

#[derive(Template)]
#[template(path = "settings_history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub changes: Vec<ChangeView>,
    pub paging: Paging,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryQuery {
    offset: Option<String>,
}

/// `GET /admin/performance/settings/history?offset=`
pub async fn settings_history(State(state): State<AppState>, user: WebUser, Query(q): Query<HistoryQuery>) -> Response {
    let result = async {
        audit::require_admin(&user.principal)?;
        let offset = offset(&q.offset)?;
        let page = audit::settings_history(&state.pool, &user.principal, HISTORY_PER_PAGE, offset).await?;
        let changes: Vec<ChangeView> = page
            .items
            .iter()
            .map(|c| ChangeView {
                position: c.global_position,
                recorded_at: when(&c.recorded_at),
                recorded_iso: c.recorded_at.to_rfc3339(),
                actor: match &c.actor_name {
                    Some(name) => name.clone(),
                    None => c.actor.clone(),
                },
                reason: c.reason.clone().filter(|r| !r.trim().is_empty()),
                effective_from: c.effective_from.format("%a %-d %b %Y").to_string(),
                keys: c
                    .changes
                    .iter()
                    .map(|k| KeyView {
                        key: k.key.clone(),
                        before: value_words(&k.before),
                        after: value_words(&k.after),
                        secret: k.secret,
                        secret_change: k.secret_change.unwrap_or_default().to_string(),
                        unchanged: !k.secret && k.before == k.after,
                    })
                    .collect(),
            })
            .collect();
        let paging = Paging::new(page.total, offset, changes.len(), HISTORY_PER_PAGE, |o| {
            format!("/admin/performance/settings/history?offset={o}")
        });
        ok(&HistoryPage { layout: user.layout("Settings history", Nav::Audit), changes, paging })
    }
    .await;
    respond(&user, result)
}

// ------------------------------------------------------------ audit log

pub struct AuditRowView {
    pub position: i64,
    pub occurred_at: String,
    pub occurred_iso: String,
    pub actor: String,
    /// The raw actor under a person's name (an id), when it differs.
    pub actor_id: Option<String>,
    pub action: String,
    pub action_label: &'static str,
    pub target: String,
    pub summary: String,
    pub reason: Option<String>,
    pub model: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub actors: Vec<Choice>,
    pub actions: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub filtered: bool,
    pub rows: Vec<AuditRowView>,
    pub paging: Paging,
    pub csv_href: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<String>,
}

/// `GET /admin/performance/audit?actor=&action=&from=&to=&offset=`
pub async fn audit_log(State(state): State<AppState>, user: WebUser, Query(q): Query<AuditQuery>) -> Response {
    let result = async {
        audit::require_admin(&user.principal)?;
        let (actor, action, from, to) = (present(&q.actor), present(&q.action), present(&q.from), present(&q.to));
        let filter = audit::audit_filter(actor, action, from, to)?;
        let offset = offset(&q.offset)?;
        let page = audit::audit_log(&state.pool, &user.principal, &filter, AUDIT_PER_PAGE, offset).await?;
        let mut actor_choices: Vec<Choice> = audit::audit_actors(&state.pool, &user.principal)
            .await?
            .into_iter()
            .map(|(id, name)| Choice {
                label: match name {
                    Some(name) => format!("{name} ({})", short_id(&id)),
                    None => id.clone(),
                },
                selected: actor == Some(id.as_str()),
                value: id,
            })
            .collect();
        // An actor typed into the address bar but absent from the list stays visible.
        if let Some(actor) = actor.filter(|a| !actor_choices.iter().any(|c| c.value == *a)) {
            actor_choices.insert(0, Choice { value: actor.to_string(), label: actor.to_string(), selected: true });
        }
        let actions = audit::actions()
            .iter()
            .map(|a| Choice { value: a.to_string(), label: action_label(a).to_string(), selected: action == Some(*a) })
            .collect();

        // The filters as a query string, for the paging links and the CSV.
        let mut query: Vec<String> = Vec::new();
        for (name, value) in [("actor", actor), ("action", action), ("from", from), ("to", to)] {
            if let Some(value) = value {
                query.push(format!("{name}={}", encode(value)));
            }
        }
        let filters = query.join("&");
        let csv_href = if filters.is_empty() {
            "/api/v1/performance/audit.csv".to_string()
        } else {
            format!("/api/v1/performance/audit.csv?{filters}")
        };
        let rows: Vec<AuditRowView> = page
            .items
            .iter()
            .map(|e| AuditRowView {
                position: e.global_position,
                occurred_at: when(&e.occurred_at),
                occurred_iso: e.occurred_at.to_rfc3339(),
                actor: e.actor_name.clone().or_else(|| e.actor.clone()).unwrap_or_else(|| "—".to_string()),
                actor_id: e.actor_name.as_ref().and(e.actor.clone()),
                action: e.action.clone(),
                action_label: action_label(&e.action),
                target: match &e.target_name {
                    Some(name) => name.clone(),
                    None => e.target.clone(),
                },
                summary: e.summary.clone(),
                reason: e.reason.clone().filter(|r| !r.trim().is_empty()),
                model: e.model.clone(),
            })
            .collect();
        let paging = Paging::new(page.total, offset, rows.len(), AUDIT_PER_PAGE, |o| {
            if filters.is_empty() {
                format!("/admin/performance/audit?offset={o}")
            } else {
                format!("/admin/performance/audit?{filters}&offset={o}")
            }
        });
        ok(&AuditPage {
            layout: user.layout("Audit log", Nav::Audit),
            actors: actor_choices,
            actions,
            from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
            to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
            filtered: !query.is_empty(),
            rows,
            paging,
            csv_href,
        })
    }
    .await;
    respond(&user, result)
}

/// The first block of a UUID, to tell two people of one name apart.
fn short_id(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_read_as_words_and_pages_count() {
        assert_eq!(value_words(&json!(null)), "none");
        assert_eq!(value_words(&json!({"support": 30, "sales": "12.5"})), "sales 12.5 · support 30");
        assert_eq!(value_words(&json!(0.25)), "0.25");
        let paging = Paging::new(120, 50, 50, 50, |o| format!("?offset={o}"));
        assert_eq!((paging.page, paging.pages, paging.shown_from, paging.shown_to), (2, 3, 51, 100));
        assert_eq!((paging.previous.as_deref(), paging.next.as_deref()), (Some("?offset=0"), Some("?offset=100")));
        let empty = Paging::new(0, 0, 0, 50, |o| format!("?offset={o}"));
        assert_eq!((empty.page, empty.pages, empty.shown_from, empty.previous, empty.next), (1, 1, 0, None, None));
    }
}
