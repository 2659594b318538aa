//! The settings pages (issue 16, admins only): every setting grouped as the
//! seed groups them, each with its meaning, unit, range and default in
//! words; the weights per team type as an editable table with each row's
//! sum and the weights normalised; a threshold helper; a preview of a draft
//! (the what-if over the last full weeks, nothing written); publishing (one
//! `settings.changed`, actor = the signed-in person); and the rescore's
//! progress. The use cases are [`crate::app::settings`], shared with
//! `GET`/`POST /api/v1/performance/settings`.
//!
//! A refused form is the settings page again (422) with every refusal next
//! to its field and the input kept; nothing is written.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Days, NaiveDate, Utc};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::format;
use perfledger_domain::period::week_start;
use perfledger_domain::scoring::Domain;
use perfledger_domain::settings::{builtin_team_weights, Settings, WeightMap};
use perfledger_replay::what_if::PersonChange;
use rust_decimal::Decimal;
use serde_json::Value;

use super::charts;
use super::pages::{ok, render, respond};
use super::session::{WebUser, CSRF_FIELD};
use super::view::{domain_label, Choice, Layout, Nav};
use crate::app::settings::{
    self as app, draft_from_form, in_force, info_of, is_form_field, preview, publish, require_admin, rescore_progress,
    suggest_threshold, value_words, weeks_param, FormErrors, FormFields, Group, Kind, SettingsInForce,
    ThresholdSuggestion, DEFAULT_PREVIEW_WEEKS, SETTING_INFO,
};
use crate::error::AppError;
use crate::state::AppState;

pub const SETTINGS_PATH: &str = "/admin/performance/settings";

// ------------------------------------------------------------ views

/// One setting's row on the page.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub unit: &'static str,
    pub range: &'static str,
    pub default: String,
    pub set_by: String,
    /// bool, number, text, select or secret.
    pub input: &'static str,
    pub value: String,
    pub options: Vec<Choice>,
    pub secret_set: bool,
    pub error: Option<String>,
}

pub struct GroupView {
    pub id: &'static str,
    pub title: &'static str,
    pub fields: Vec<FieldView>,
}

pub struct WeightCell {
    pub name: String,
    pub label: String,
    pub value: String,
    pub placeholder: String,
    pub percent: String,
}

pub struct WeightRow {
    pub key: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub cells: Vec<WeightCell>,
    pub sum: String,
    pub note: String,
    pub error: Option<String>,
}

pub struct HelperView {
    pub bottom: String,
    pub weeks: String,
    pub answer: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub at: String,
    pub groups: Vec<GroupView>,
    pub llm: GroupView,
    pub domains: Vec<&'static str>,
    pub weights: Vec<WeightRow>,
    pub sales_rule: String,
    pub helper: HelperView,
    /// The scores form (scoring, thresholds, reviews) and the LLM form.
    pub scores_form: FormFooter,
    pub llm_form: FormFooter,
}

/// What every settings form ends with: when, why, and the form's own
/// refusals.
pub struct FormFooter {
    pub effective_from: String,
    pub reason: String,
    pub weeks: String,
    pub effective_error: Option<String>,
    pub reason_error: Option<String>,
    pub weeks_error: Option<String>,
    pub summary: Option<String>,
}

fn domains() -> Vec<&'static str> {
    Domain::ALL.into_iter().map(domain_label).collect()
}

fn decimal_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn set_by_words(setting: &app::SettingInForce, names: &BTreeMap<String, String>) -> String {
    match &setting.set_by {
        None => "default".to_string(),
        Some(by) => {
            let who = names.get(&by.actor).cloned().unwrap_or_else(|| by.actor.clone());
            format!("set from {} by {who}", by.effective_from.format("%-d %b %Y"))
        }
    }
}

/// The display names of the actors (person ids) among `settings`.
async fn actor_names(state: &AppState, settings: &SettingsInForce) -> Result<BTreeMap<String, String>, AppError> {
    let mut names = BTreeMap::new();
    for by in settings.settings.iter().filter_map(|s| s.set_by.as_ref()) {
        if names.contains_key(&by.actor) {
            continue;
        }
        if let Ok(id) = uuid::Uuid::parse_str(&by.actor) {
            if let Some(name) = crate::queries::people::display_name(&state.pool, id).await? {
                names.insert(by.actor.clone(), name);
            }
        }
    }
    Ok(names)
}

/// The weight map a form row or the settings give, for its sum and shares.
fn row_map(key: &str, form: Option<&FormFields>, current: &Settings) -> Option<WeightMap> {
    match form {
        Some(form) => {
            let mut map = WeightMap::new();
            for d in Domain::ALL {
                let text = form.get(&format!("{key}.{}", d.as_str())).map(|v| v.trim()).unwrap_or("");
                if text.is_empty() {
                    continue;
                }
                map.insert(d, text.parse::<Decimal>().ok()?);
            }
            (!map.is_empty()).then_some(map)
        }
        None => weights_of(current, key),
    }
}

fn weights_of(current: &Settings, key: &str) -> Option<WeightMap> {
    match key {
        "domain_weights" => Some(current.domain_weights.clone()),
        "domain_weights_operations" => current.domain_weights_operations.clone(),
        "domain_weights_support" => current.domain_weights_support.clone(),
        "domain_weights_field_service" => current.domain_weights_field_service.clone(),
        "domain_weights_sales_profile" => current.domain_weights_sales_profile.clone(),
        _ => None,
    }
}

fn builtin_of(key: &str) -> Option<WeightMap> {
    match key {
        "domain_weights_operations" => builtin_team_weights(TeamType::Operations),
        "domain_weights_support" => builtin_team_weights(TeamType::Support),
        "domain_weights_field_service" => builtin_team_weights(TeamType::FieldService),
        _ => None,
    }
}

fn weight_rows(
    view: &SettingsInForce,
    form: Option<&FormFields>,
    errors: &FormErrors,
    names: &BTreeMap<String, String>,
) -> Vec<WeightRow> {
    let current = &view.typed;
    SETTING_INFO
        .iter()
        .filter(|i| matches!(i.kind, Kind::Weights { .. }))
        .map(|info| {
            let shown = row_map(info.key, form, current);
            let builtin = builtin_of(info.key);
            // The map in force for the row: its own, else the built-in column.
            let effective = shown.clone().or_else(|| builtin.clone());
            let sum: Option<Decimal> =
                effective.as_ref().map(|m| m.values().fold(Decimal::ZERO, |a, w| a.saturating_add(*w)));
            let cells = Domain::ALL
                .into_iter()
                .map(|d| {
                    let name = format!("{}.{}", info.key, d.as_str());
                    // A team type without an override shows its built-in
                    // column as values: edit one cell, keep the rest.
                    let value = match form {
                        Some(form) => form.get(&name).cloned().unwrap_or_default(),
                        None => weights_of(current, info.key)
                            .or_else(|| builtin.clone())
                            .map(|m| m.get(&d).map(|w| w.normalize().to_string()).unwrap_or_else(|| "0".into()))
                            .unwrap_or_default(),
                    };
                    let placeholder = builtin
                        .as_ref()
                        .map(|m| m.get(&d).map(|w| w.normalize().to_string()).unwrap_or_else(|| "0".into()))
                        .unwrap_or_default();
                    let percent = match (&effective, sum) {
                        (Some(m), Some(total)) if total > Decimal::ZERO => {
                            let w = m.get(&d).copied().unwrap_or(Decimal::ZERO);
                            format::weight(w.checked_div(total).unwrap_or(Decimal::ZERO))
                        }
                        _ => "—".to_string(),
                    };
                    WeightCell {
                        name,
                        label: format!("{} weight, {}", domain_label(d), info.label),
                        value,
                        placeholder,
                        percent,
                    }
                })
                .collect();
            let setting = view.get(info.key);
            let note = match (&shown, &builtin, info.key) {
                (Some(_), _, _) => setting.map(|s| set_by_words(s, names)).unwrap_or_default(),
                (None, Some(_), _) => {
                    "no override: the built-in column (shown) applies; change a weight to override the row, \
                     empty the row to keep none"
                        .to_string()
                }
                (None, None, "domain_weights_sales_profile") => "not set: no sales profile".to_string(),
                (None, None, _) => String::new(),
            };
            WeightRow {
                key: info.key,
                label: info.label,
                meaning: info.meaning,
                cells,
                sum: sum.map(|s| s.normalize().to_string()).unwrap_or_else(|| "—".into()),
                note,
                error: errors.get(info.key).cloned(),
            }
        })
        .collect()
}

fn field_view(
    info: &'static app::SettingInfo,
    view: &SettingsInForce,
    form: Option<&FormFields>,
    errors: &FormErrors,
    names: &BTreeMap<String, String>,
) -> FieldView {
    let setting = view.get(info.key);
    let current = setting.map(|s| s.value.clone()).unwrap_or(Value::Null);
    let value = match form.and_then(|f| f.get(info.key)) {
        Some(v) if info.kind != Kind::Secret => v.clone(),
        _ => match (&info.kind, &current) {
            (Kind::Secret, _) => String::new(),
            (Kind::Bool, Value::Bool(b)) => b.to_string(),
            (_, Value::Null) => String::new(),
            (_, other) => decimal_text(other),
        },
    };
    let (input, options) = match info.kind {
        Kind::Bool => (
            "select",
            [("true", "On"), ("false", "Off")]
                .into_iter()
                .map(|(v, l)| Choice { value: v.into(), label: l.into(), selected: value == v })
                .collect(),
        ),
        Kind::Choice(list) => (
            "select",
            list.iter().map(|v| Choice { value: v.to_string(), label: v.to_string(), selected: value == *v }).collect(),
        ),
        Kind::Integer | Kind::Decimal => ("number", Vec::new()),
        Kind::Secret => ("secret", Vec::new()),
        Kind::OptionalText | Kind::Weights { .. } => ("text", Vec::new()),
    };
    FieldView {
        name: info.key,
        label: info.label,
        meaning: info.meaning,
        unit: info.unit,
        range: info.range,
        default: setting.map(|s| value_words(info.key, &s.default)).unwrap_or_default(),
        set_by: setting.map(|s| set_by_words(s, names)).unwrap_or_default(),
        input,
        value,
        options,
        secret_set: setting.and_then(|s| s.is_set).unwrap_or(false),
        error: errors.get(info.key).cloned(),
    }
}

fn group(
    g: Group,
    view: &SettingsInForce,
    form: Option<&FormFields>,
    errors: &FormErrors,
    names: &BTreeMap<String, String>,
) -> GroupView {
    GroupView {
        id: g.id(),
        title: g.title(),
        fields: SETTING_INFO
            .iter()
            .filter(|i| i.group == g && !matches!(i.kind, Kind::Weights { .. }))
            .map(|i| field_view(i, view, form, errors, names))
            .collect(),
    }
}

fn sales_rule(settings: &Settings) -> String {
    let ratio = format::value(format::Unit::Share, settings.sales_profile_min_ratio);
    let profile = match &settings.domain_weights_sales_profile {
        Some(_) => "The sales profile is set".to_string(),
        None => "The sales profile is not set, so it never applies".to_string(),
    };
    format!(
        "{profile}. When it is set, a person whose sales activity is at least {ratio} of their activity, and whose \
         team is not a sales team, is scored with the sales profile weights. Everyone else is scored with their \
         team type's weights: the override when one is set, else the built-in column; people of sales and other \
         teams, and people without a team, with the default weights. Weights are relative: each row is \
         normalised to 100 %."
    )
}

fn footer(form: Option<&FormFields>, errors: &FormErrors, today: NaiveDate, weeks: bool) -> FormFooter {
    let get = |name: &str| form.and_then(|f| f.get(name)).cloned();
    let summary = match (errors.get("changes"), errors.is_empty()) {
        (Some(reason), _) => Some(format!("Nothing was saved: {reason}.")),
        (None, false) => Some("Nothing was saved: correct the fields marked below.".to_string()),
        (None, true) => None,
    };
    FormFooter {
        effective_from: get("effective_from").unwrap_or_else(|| week_start_of(today).to_string()),
        reason: get("reason").unwrap_or_default(),
        weeks: get("weeks").unwrap_or_else(|| if weeks { DEFAULT_PREVIEW_WEEKS.to_string() } else { String::new() }),
        effective_error: errors.get("effective_from").cloned(),
        reason_error: errors.get("reason").cloned(),
        weeks_error: errors.get("weeks").cloned(),
        summary,
    }
}

fn week_start_of(day: NaiveDate) -> NaiveDate {
    perfledger_domain::period::week_start_of_day(day)
}

fn helper_words(s: &ThresholdSuggestion) -> String {
    let range = format!("{} – {}", s.from.format("%-d %b"), s.to.format("%-d %b %Y"));
    match s.threshold {
        None => format!("No stored scores in the last {} full weeks ({range}).", s.weeks),
        Some(t) => format!(
            "A threshold of {t} flags the bottom {}\u{a0}% over the last {} full weeks ({range}): {} of {} weekly \
             composites ({}) are below it.",
            s.percent,
            s.weeks,
            s.flagged,
            s.scores,
            format::value(format::Unit::Share, share(s.flagged, s.scores)),
        ),
    }
}

fn share(part: usize, total: usize) -> Decimal {
    match total {
        0 => Decimal::ZERO,
        _ => Decimal::from(part as u64).checked_div(Decimal::from(total as u64)).unwrap_or(Decimal::ZERO),
    }
}

/// Which form was submitted: `scores` (scoring, thresholds, reviews) or `llm`.
fn which(form: Option<&FormFields>) -> &str {
    form.and_then(|f| f.get("form")).map(String::as_str).unwrap_or("scores")
}

async fn settings_page(
    state: &AppState,
    user: &WebUser,
    form: Option<&FormFields>,
    errors: &FormErrors,
    helper_query: (Option<String>, Option<String>),
) -> Result<SettingsPage, AppError> {
    let now = Utc::now();
    let view = in_force(&state.pool, &user.principal, None, now).await?;
    let names = actor_names(state, &view).await?;
    let (bottom, hweeks) = helper_query;
    let mut helper = HelperView {
        bottom: bottom.clone().unwrap_or_else(|| "10".into()),
        weeks: hweeks.clone().unwrap_or_else(|| DEFAULT_PREVIEW_WEEKS.to_string()),
        answer: None,
        error: None,
    };
    if bottom.is_some() || hweeks.is_some() {
        let parsed = (helper.bottom.trim().parse::<u32>(), helper.weeks.trim().parse::<u32>());
        match parsed {
            (Ok(b), Ok(w)) => match suggest_threshold(&state.pool, &user.principal, b, w, now).await {
                Ok(s) => helper.answer = Some(helper_words(&s)),
                Err(e) if e.status() == StatusCode::BAD_REQUEST => helper.error = Some(e.reason),
                Err(e) => return Err(e),
            },
            _ => helper.error = Some("give a whole percentage from 1 to 99 and a number of weeks from 1 to 104".into()),
        }
    }
    let submitted = which(form);
    let (scores_form, llm_form) =
        (if submitted == "scores" { form } else { None }, if submitted == "llm" { form } else { None });
    let no_errors = FormErrors::new();
    let (scores_errors, llm_errors) = if submitted == "llm" { (&no_errors, errors) } else { (errors, &no_errors) };
    let today = now.date_naive();
    Ok(SettingsPage {
        layout: user.layout("Settings", Nav::Settings),
        at: today.format("%-d %b %Y").to_string(),
        groups: [Group::Scoring, Group::Thresholds, Group::Reviews]
            .into_iter()
            .map(|g| group(g, &view, scores_form, scores_errors, &names))
            .collect(),
        llm: group(Group::Llm, &view, llm_form, llm_errors, &names),
        domains: domains(),
        weights: weight_rows(&view, scores_form, scores_errors, &names),
        sales_rule: sales_rule(&view.typed),
        helper,
        scores_form: footer(scores_form, scores_errors, today, true),
        llm_form: footer(llm_form, llm_errors, today, false),
    })
}

// ------------------------------------------------------------ routes

/// `GET /admin/performance/settings?bottom=&last_weeks=`: the settings in force;
/// with `bottom`/`weeks`, the threshold helper's answer.
pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        require_admin(&user.principal)?;
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let page = settings_page(&state, &user, None, &FormErrors::new(), (get("bottom"), get("last_weeks"))).await?;
        ok(&page)
    }
    .await;
    respond(&user, result)
}

/// The form's fields by name, or the name of one no settings form has.
fn read_form(form: Vec<(String, String)>) -> Result<FormFields, AppError> {
    let mut fields = FormFields::new();
    for (key, value) in form {
        if key == CSRF_FIELD {
            continue;
        }
        if key != "form" && !is_form_field(&key) {
            return Err(AppError::invalid_body(&key, "is not a field of the settings form"));
        }
        if fields.insert(key.clone(), value).is_some() {
            return Err(AppError::invalid_body(&key, "is given more than once"));
        }
    }
    Ok(fields)
}

fn csrf(form: &[(String, String)]) -> Option<&str> {
    form.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str())
}

/// The settings page again, 422, with the refusals beside their fields.
async fn refused(
    state: &AppState,
    user: &WebUser,
    fields: &FormFields,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let page = settings_page(state, user, Some(fields), &errors, (None, None)).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub struct ChangeView {
    pub label: String,
    pub before: String,
    pub after: String,
}

pub struct MoverView {
    pub name: String,
    pub href: String,
    pub week: String,
    pub current: String,
    pub proposed: String,
    pub delta: String,
    pub delta_class: &'static str,
    pub rank: String,
}

pub struct TeamView {
    pub name: String,
    pub scores: usize,
    pub rank_changes: usize,
    pub largest_rise: usize,
    pub largest_fall: usize,
}

#[derive(Template)]
#[template(path = "settings_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub changes: Vec<ChangeView>,
    pub effective_from: String,
    pub reason: String,
    pub rescore: String,
    pub range: String,
    pub people_scored: usize,
    pub changed: usize,
    pub flagged_before: String,
    pub flagged_after: String,
    pub histogram_before: String,
    pub histogram_after: String,
    pub movers: Vec<MoverView>,
    pub newly_flagged: Vec<MoverView>,
    pub no_longer_flagged: Vec<MoverView>,
    pub teams: Vec<TeamView>,
    pub hidden: Vec<(String, String)>,
}

fn mover(c: &PersonChange) -> MoverView {
    // The change is the difference of the two scores as shown (one decimal),
    // so "52.0 → 39.0" reads "−13.0", never a figure the columns contradict.
    let shown = |value: Decimal| format::score(value).parse::<Decimal>().unwrap_or(value);
    let delta = shown(c.proposed) - shown(c.current);
    let (sign, delta_class) = match delta.cmp(&Decimal::ZERO) {
        std::cmp::Ordering::Greater => ("+", "up"),
        std::cmp::Ordering::Less => ("−", "down"),
        std::cmp::Ordering::Equal => ("±", "same"),
    };
    MoverView {
        name: c.display_name.clone().unwrap_or_else(|| c.person_id.to_string()),
        href: format!("/admin/performance/agents/{}?period={}", c.person_id, iso_week(c.week)),
        week: format!("{} (from {})", iso_week(c.week), c.week.format("%-d %b")),
        current: format::score(c.current),
        proposed: format::score(c.proposed),
        delta: format!("{sign}{:.1}", delta.abs()),
        delta_class,
        rank: if c.current_rank == c.proposed_rank {
            format!("{} (unchanged)", c.current_rank)
        } else {
            format!("{} → {}", c.current_rank, c.proposed_rank)
        },
    }
}

fn iso_week(week: NaiveDate) -> String {
    let iso = chrono::Datelike::iso_week(&week);
    format!("{}-W{:02}", iso.year(), iso.week())
}

fn rescore_words(weeks: u32, effective_from: NaiveDate, today: NaiveDate) -> String {
    match weeks {
        0 if effective_from > today => format!(
            "This change takes effect on {}: no week is rescored now; weeks from then are scored with it as they start.",
            effective_from.format("%-d %b %Y")
        ),
        0 => "This change takes effect next Monday: no week is rescored now.".to_string(),
        1 => "Publishing rescores 1 week (this week).".to_string(),
        n => format!(
            "This change is dated in the past: publishing rescores {n} weeks, from {} to this week.",
            perfledger_domain::period::first_week_from(effective_from).format("%-d %b %Y")
        ),
    }
}

/// `POST /admin/performance/settings/preview` (CSRF): the draft scored next
/// to the settings in force over the last full weeks; nothing is written.
pub async fn preview_page(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        require_admin(&user.principal)?;
        let fields = read_form(form)?;
        let now = Utc::now();
        let history = perfledger_projections::settings::load_history_fresh(&state.pool).await?;
        let weeks = match weeks_param(fields.get("weeks").map(String::as_str), "weeks") {
            Ok(w) => w,
            Err(e) => return refused(&state, &user, &fields, FormErrors::from([("weeks".into(), e.reason)])).await,
        };
        let draft = match draft_from_form(&fields, &history, now) {
            Ok(draft) => draft,
            Err(errors) => return refused(&state, &user, &fields, errors).await,
        };
        let p = preview(&state.pool, &user.principal, &draft, weeks, now).await?;
        let before = history.in_force_at(now.date_naive()).to_json_map(false);
        let changes = draft
            .shown_changes()
            .iter()
            .map(|(key, after)| ChangeView {
                label: info_of(key).map(|i| i.label.to_string()).unwrap_or_else(|| key.clone()),
                before: value_words(key, before.get(key).unwrap_or(&Value::Null)),
                after: value_words(key, after),
            })
            .collect();
        let r = &p.report;
        let buckets = |current: bool| -> Vec<(u32, u32, u32)> {
            r.distribution.iter().map(|b| (b.from, b.to, if current { b.current } else { b.proposed })).collect()
        };
        let flagged =
            |n: usize| format!("{} of {} ({})", n, r.scores, format::value(format::Unit::Share, share(n, r.scores)));
        let teams = r
            .team_rank_changes
            .iter()
            .map(|t| TeamView {
                name: t.team_name.clone().unwrap_or_else(|| "No team".to_string()),
                scores: t.scores,
                rank_changes: t.rank_changes,
                largest_rise: t.largest_rise,
                largest_fall: t.largest_fall,
            })
            .collect();
        let hidden =
            fields.iter().filter(|(k, _)| k.as_str() != "vllm_api_key").map(|(k, v)| (k.clone(), v.clone())).collect();
        let page = PreviewPage {
            layout: user.layout("Preview settings", Nav::Settings),
            changes,
            effective_from: draft.effective_from.format("%-d %b %Y").to_string(),
            reason: draft.reason.clone(),
            rescore: rescore_words(p.weeks_to_rescore, draft.effective_from, now.date_naive()),
            range: format!("{} full weeks, {} – {}", r.weeks.len(), p.from.format("%-d %b"), p.to.format("%-d %b %Y")),
            people_scored: r.people_scored,
            changed: r.changed,
            flagged_before: flagged(r.flagged_current),
            flagged_after: flagged(r.flagged_proposed),
            histogram_before: charts::histogram("Composites today", &buckets(true), None),
            histogram_after: charts::histogram("Composites with the draft", &buckets(false), None),
            movers: r.biggest_changes.iter().filter(|c| !c.delta.is_zero()).map(mover).collect(),
            newly_flagged: r.newly_flagged.iter().map(mover).collect(),
            no_longer_flagged: r.no_longer_flagged.iter().map(mover).collect(),
            teams,
            hidden,
        };
        ok(&page)
    }
    .await;
    respond(&user, result)
}

/// `POST /admin/performance/settings/publish` (CSRF): records the draft as
/// one `settings.changed` and goes to the rescore's progress (303).
pub async fn publish_page(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = user.csrf_refusal(csrf(&form)) {
        return refused;
    }
    let result = async {
        require_admin(&user.principal)?;
        let fields = read_form(form)?;
        let now = Utc::now();
        let history = perfledger_projections::settings::load_history_fresh(&state.pool).await?;
        let draft = match draft_from_form(&fields, &history, now) {
            Ok(draft) => draft,
            Err(errors) => return refused(&state, &user, &fields, errors).await,
        };
        let published = match publish(&state.pool, &user.principal, &draft, now).await {
            Ok(p) => p,
            Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
                let key = e.field.as_deref().unwrap_or("changes");
                let key = key.strip_prefix("changes.").unwrap_or(key).to_string();
                return refused(&state, &user, &fields, FormErrors::from([(key, e.reason)])).await;
            }
            Err(e) => return Err(e),
        };
        Ok(Redirect::to(&format!("{SETTINGS_PATH}/rescore/{}", published.global_position)).into_response())
    }
    .await;
    respond(&user, result)
}

#[derive(Template)]
#[template(path = "settings_rescore.html")]
pub struct RescorePage {
    pub layout: Layout,
    pub done: bool,
    pub projected: bool,
    pub weeks_done: u32,
    pub weeks_due: u32,
    pub changes: Vec<ChangeView>,
    pub effective_from: String,
    pub reason: String,
    pub actor: String,
    pub team_href: String,
    pub refresh_seconds: u32,
}

/// `GET /admin/performance/settings/rescore/{position}`: the rescore of a
/// published change, weeks done of weeks due; refreshes itself (a meta
/// refresh, no script needed) until done, then links to the team page.
pub async fn rescore_page(State(state): State<AppState>, user: WebUser, Path(position): Path<String>) -> Response {
    let result = async {
        require_admin(&user.principal)?;
        let position: i64 = position.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
            AppError::invalid_parameter("position", "expected a log position (a whole number above 0)")
        })?;
        let now = Utc::now();
        let progress = rescore_progress(&state.pool, &user.principal, position, now).await?;
        let actor = match uuid::Uuid::parse_str(&progress.actor) {
            Ok(id) => crate::queries::people::display_name(&state.pool, id).await?.unwrap_or(progress.actor.clone()),
            Err(_) => progress.actor.clone(),
        };
        let last_week = week_start(now).checked_sub_days(Days::new(7)).unwrap_or(week_start(now));
        let page = RescorePage {
            layout: user.layout("Rescoring", Nav::Settings),
            done: progress.done(),
            projected: progress.projected,
            weeks_done: progress.weeks_done,
            weeks_due: progress.weeks_due,
            changes: progress
                .changes
                .iter()
                .map(|(key, after)| ChangeView {
                    label: info_of(key).map(|i| i.label.to_string()).unwrap_or_else(|| key.clone()),
                    before: String::new(),
                    after: value_words(key, after),
                })
                .collect(),
            effective_from: progress.effective_from.format("%-d %b %Y").to_string(),
            reason: progress.reason.clone().unwrap_or_else(|| "none given".into()),
            actor,
            team_href: format!("/admin/performance/team?period={}", iso_week(last_week)),
            refresh_seconds: 2,
        };
        ok(&page)
    }
    .await;
    respond(&user, result)
}
