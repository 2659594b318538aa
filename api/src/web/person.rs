//! The pages about one person: agent detail (`/admin/performance/agents/{id}`,
//! managers and admins), my scorecard (`/agent/my-performance`, oneself),
//! their score-card partials (`…/_scores`) and the drilldown to the events
//! behind a domain score (`…/events`, D11).
//!
//! Scope is the API's ([`crate::app::scope::effective_person_id`]): the admin
//! pages also need `reports:operations` (or `reports`, or admin) as the seed's
//! access table says; my scorecard is self-service; the drilldown follows the
//! drilldown API exactly (self, managed, admin), so agents can open the
//! events behind their own scores.

use std::collections::BTreeMap;
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use perfledger_domain::format;
use perfledger_domain::period::iso_week_label;
use perfledger_domain::scoring::{explain, Domain};
use serde::Deserialize;
use uuid::Uuid;

use super::charts;
use super::context::{self, Change, PersonVolume};
use super::data::{self, GoalRow, PeriodScores, PersonHeader};
use super::event_words::{self, EventWords};
use super::goal_form::{GoalForm, Typed, Unit};
use super::pages::{ok, render, respond};
use super::params::{path_uuid, PeriodQuery};
use super::session::WebUser;
use super::view::{
    composite_text, domain_label, metric_name, number_text, score_text, Choice, Layout, Nav, PeriodPicker,
};
use crate::app::scope::{effective_person_id, reach, Reach};
use crate::error::AppError;
use crate::ids::PersonId;
use crate::period_query::Period;
use crate::queries::number::to_f64;
use crate::queries::{self, Decimal, PeerComparison, ReviewRow};
use crate::state::AppState;

/// Reviews listed on a person's page.
pub const RECENT_REVIEWS: u32 = 4;
/// Generated reviews not yet acknowledged, listed on My Performance.
const UNACKNOWLEDGED_SHOWN: i64 = 5;
/// Events per drilldown page.
pub const EVENTS_PER_PAGE: u32 = 50;

/// One metric row: its value and team average in the metric's unit, its
/// points, its rule in words and, when it lost points, what a realistic
/// step would add (`domain::scoring::explain`).
pub struct MetricView {
    pub label: String,
    pub points: String,
    pub max: String,
    pub raw: String,
    pub baseline: String,
    pub rule: String,
    pub advice: Option<String>,
}

impl MetricView {
    fn new(domain: Domain, m: &data::MetricLine) -> MetricView {
        let raw = m.raw_value.map(format::decimal_of);
        let team = m.team_baseline.map(format::decimal_of);
        MetricView {
            label: explain::metric_label(domain, &m.key),
            points: format::points(format::decimal_of(m.points)),
            max: format::points(format::decimal_of(m.max)),
            raw: explain::cell_text(domain, &m.key, raw),
            baseline: explain::cell_text(domain, &m.key, team),
            rule: explain::metric_rule(domain, &m.key, team).map(|r| r.rule).unwrap_or_default(),
            advice: (m.points < m.max).then(|| explain::advice(domain, &m.key, raw, team)).flatten(),
        }
    }
}

pub struct DomainCard {
    pub key: &'static str,
    pub label: &'static str,
    pub score: String,
    /// Its share of the composite ("30 %"), empty when not scored.
    pub weight: String,
    pub class: &'static str,
    pub metrics: Vec<MetricView>,
    pub drilldown: Option<String>,
    /// Against the previous period.
    pub change: Option<Change>,
    /// `12 tickets resolved, 3 ratings`; `None` when the domain is not scored.
    pub volume: Option<String>,
    pub low_volume: bool,
}

#[derive(Template)]
#[template(path = "_score_cards.html")]
pub struct ScoreCards {
    pub period_label: String,
    pub composite: String,
    pub class: &'static str,
    pub scored: bool,
    pub composite_change: Option<Change>,
    /// The flag threshold in force at the period's start, and whether the composite is under it.
    pub threshold: String,
    pub flagged: bool,
    /// "Support 30 % · Communication 70 %": how the composite weighs the scored domains.
    pub weights: String,
    pub in_progress: Option<String>,
    pub low_volume: bool,
    pub low_volume_rule: String,
    pub trend: String,
    pub radar: String,
    pub cards: Vec<DomainCard>,
    pub best: Option<String>,
    pub worst: Option<String>,
}

pub struct GoalView {
    pub id: Uuid,
    pub label: String,
    pub what: String,
    pub target: String,
    pub current: String,
    pub progress: Option<String>,
    pub class: &'static str,
    pub deadline: String,
    pub status: String,
    pub editable: bool,
    /// The target as typed in the edit form, in the metric's unit.
    pub target_raw: String,
    pub unit: &'static str,
}

pub struct ReviewItem {
    pub href: String,
    pub period: String,
    pub status: String,
    pub composite: String,
    pub class: &'static str,
    pub summary: String,
    pub acknowledged: bool,
}

pub struct PeerView {
    pub shown: bool,
    pub percentile: String,
    pub team_average: String,
    pub team_size: u32,
    pub histogram: String,
    pub message: String,
}

/// The way back from an agent page to the team overview it came from.
pub struct TeamLink {
    pub href: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub layout: Layout,
    /// For a manager or admin viewer: the person's team in the period.
    pub team_link: Option<TeamLink>,
    pub header: PersonHeader,
    pub self_view: bool,
    pub page_path: String,
    pub partial_path: String,
    pub picker: PeriodPicker,
    pub scores: String,
    pub goals: Vec<GoalView>,
    pub reviews: Vec<ReviewItem>,
    pub can_generate: bool,
    /// Admins only (the API's `force`): replace the current review of the
    /// week, past the cooldown.
    pub can_force: bool,
    pub generate_action: String,
    pub peer: Option<PeerView>,
    pub unacknowledged: Vec<ReviewItem>,
    pub goal_form: GoalForm,
    /// Where the goal forms post: `/agent/my-performance/goals` on My
    /// Performance, `/admin/performance/agents/{id}/goals` on an agent page
    /// (whose viewers may set the person's goals: the page's own gate is
    /// the goals API's scope for someone else).
    pub goal_base: String,
    pub today: String,
}

/// The admin pages' gate (seed "Access Control"), then the API's scope.
pub(super) async fn managed_person(state: &AppState, user: &WebUser, id: &str) -> Result<Uuid, AppError> {
    let requested = path_uuid(id, "person_id")?;
    if !user.can_see_team() {
        return Err(AppError::forbidden(
            None,
            "Agent pages are for admins and the managers of a team; your own scores are under My Performance.",
        ));
    }
    Ok(effective_person_id(&state.pool, &user.principal, Some(PersonId(requested)), "person_id").await?.uuid())
}

async fn self_person(state: &AppState, user: &WebUser) -> Result<Uuid, AppError> {
    Ok(effective_person_id(&state.pool, &user.principal, None, "person_id").await?.uuid())
}

/// The score cards of `person` in `period`, whose `scores` the caller read.
async fn score_cards(
    state: &AppState,
    person: Uuid,
    period: &Period,
    scores: &PeriodScores,
) -> Result<ScoreCards, AppError> {
    let previous = data::person_period_scores(&state.pool, person, &data::previous(period)).await?;
    let trend = data::trend(&state.pool, person, period).await?;
    let axes: Vec<&str> = Domain::ALL.iter().map(|d| domain_label(*d)).collect();
    let current: Vec<Option<f64>> = Domain::ALL.iter().map(|d| scores.domain_score(*d)).collect();
    let before: Vec<Option<f64>> = Domain::ALL.iter().map(|d| previous.domain_score(*d)).collect();
    let previous_name = context::previous_name(period);
    let volume = PersonVolume::new(&scores.counts());
    let cards = Domain::ALL
        .iter()
        .map(|domain| {
            let breakdown = scores.domains.get(domain);
            let score = breakdown.map(|b| b.score);
            let domain_volume = volume.domains.iter().find(|(d, _)| d == domain).map(|(_, v)| v);
            DomainCard {
                change: context::change(score, previous.domain_score(*domain), previous_name),
                volume: domain_volume.map(|v| v.text.clone()),
                low_volume: domain_volume.is_some_and(|v| v.is_low()),
                key: domain.as_str(),
                label: domain_label(*domain),
                score: score_text(score),
                weight: scores.weights.get(domain).map(|w| weight_text(*w)).unwrap_or_default(),
                class: charts::score_class(score),
                metrics: breakdown
                    .map(|b| b.metrics.iter().map(|m| MetricView::new(*domain, m)).collect())
                    .unwrap_or_default(),
                drilldown: breakdown.map(|_| {
                    format!(
                        "/admin/performance/agents/{person}/events?{}&domain={}",
                        events_period(period),
                        domain.as_str()
                    )
                }),
            }
        })
        .collect();
    let (best, worst) = callouts(scores);
    let threshold = data::flag_threshold(&state.pool, period).await?;
    let flagged =
        scores.is_flagged.or_else(|| scores.composite.map(|c| format::decimal_of(c) < Decimal::from(threshold)));
    let weights = Domain::ALL
        .iter()
        .filter_map(|d| Some(format!("{} {}", domain_label(*d), weight_text(*scores.weights.get(d)?))))
        .collect::<Vec<_>>()
        .join(" · ");
    Ok(ScoreCards {
        period_label: super::view::describe(period),
        composite: composite_text(scores.composite, flagged, threshold),
        class: charts::score_class(scores.composite),
        scored: scores.composite.is_some(),
        composite_change: context::change(scores.composite, previous.composite, previous_name),
        threshold: threshold.to_string(),
        flagged: flagged.unwrap_or(false),
        weights,
        in_progress: context::in_progress(period, Utc::now().date_naive()),
        low_volume: scores.composite.is_some() && volume.is_low(),
        low_volume_rule: context::low_volume_rule(),
        trend: charts::line_chart("Composite score, last 12 weeks", &trend, Some(threshold as f64)),
        radar: charts::radar("Domain scores: this period against the previous one", &axes, &current, &before),
        cards,
        best,
        worst,
    })
}

/// A weight in percent ("30 %").
fn weight_text(percent: f64) -> String {
    format::weight(format::decimal_of(percent) / Decimal::ONE_HUNDRED)
}

/// The events page's period parameters: `week=2026-W20` for a week, `from=…&to=…` otherwise.
fn events_period(period: &Period) -> String {
    match period.week_start() {
        Some(week) => format!("week={}", iso_week_label(week)),
        None => format!("from={}&to={}", period.start, period.last_day()),
    }
}

/// The metrics with the best and the worst share of their points: the
/// value in its unit against the team average, and for the weakest what a
/// realistic step would add under the formula (never a target already met).
fn callouts(scores: &PeriodScores) -> (Option<String>, Option<String>) {
    let mut metrics: Vec<(f64, Domain, &data::MetricLine)> = scores
        .domains
        .iter()
        .flat_map(|(domain, b)| b.metrics.iter().map(move |m| (*domain, m)))
        .filter(|(_, m)| m.max > 0.0)
        .map(|(domain, m)| (m.points / m.max, domain, m))
        .collect();
    if metrics.len() < 2 {
        return (None, None);
    }
    metrics.sort_by(|a, b| b.0.total_cmp(&a.0));
    let text = |(_, domain, m): &(f64, Domain, &data::MetricLine), advise: bool| {
        let view = MetricView::new(*domain, m);
        let value = |v: Option<f64>| explain::value_text(*domain, &m.key, v.map(format::decimal_of));
        let mut text = format!(
            "{} ({}): {} of {} points at {}",
            view.label,
            domain_label(*domain),
            view.points,
            view.max,
            value(m.raw_value)
        );
        if m.team_baseline.is_some() {
            text.push_str(&format!(" against a team average of {}", value(m.team_baseline)));
        }
        text.push('.');
        if let Some(advice) = view.advice.filter(|_| advise) {
            text.push(' ');
            text.push_str(&advice);
        }
        text
    };
    (metrics.first().map(|m| text(m, false)), metrics.last().map(|m| text(m, true)))
}

fn goal_views(goals: Vec<GoalRow>, scores: &PeriodScores) -> Vec<GoalView> {
    goals
        .into_iter()
        .map(|g| {
            let current = g.current_value.or_else(|| scores.value_of(g.domain, &g.metric_key));
            let progress = data::goal_progress(&g.comparison, g.target_value, current);
            let unit = Unit::of(&g.metric_key);
            GoalView {
                id: g.id,
                what: format!("{} · {}", domain_label(g.domain), metric_name(g.domain, &g.metric_key)),
                target: format!(
                    "{} {}",
                    if g.comparison == "lte" { "at most" } else { "at least" },
                    goal_value_text(g.domain, &g.metric_key, Some(g.target_value))
                ),
                current: goal_value_text(g.domain, &g.metric_key, current),
                progress: progress.map(|p| format!("{p:.0}")),
                class: match progress {
                    Some(p) if p >= 100.0 => "good",
                    Some(p) if p >= 50.0 => "warn",
                    Some(_) => "bad",
                    None => "none",
                },
                deadline: g.deadline.to_string(),
                editable: g.status == "active",
                target_raw: unit.typed(g.target_value),
                unit: unit.suffix(),
                status: g.status,
                label: g.label,
            }
        })
        .collect()
}

/// A goal's target or current value in its unit: a metric's (`80 %`,
/// `42.2 min`), or a score for the composite and domain goals.
fn goal_value_text(domain: Domain, key: &str, value: Option<f64>) -> String {
    if explain::metric_info(domain, key).is_some() {
        explain::value_text(domain, key, value.map(format::decimal_of))
    } else {
        number_text(value)
    }
}

fn review_item(review: &ReviewRow, href: String) -> ReviewItem {
    let composite = review.composite_score.as_ref().map(to_f64);
    let summary: String = review.summary_text.clone().unwrap_or_default();
    let short: String = summary.chars().take(220).collect();
    ReviewItem {
        href,
        period: format!(
            "{} – {}",
            review.review_period_start.format("%-d %b %Y"),
            (review.review_period_end - chrono::Duration::days(1)).format("%-d %b %Y")
        ),
        status: review.status.clone(),
        composite: score_text(composite),
        class: charts::score_class(composite),
        summary: if short.len() < summary.len() { format!("{short}…") } else { short },
        acknowledged: review.is_acknowledged,
    }
}

/// `mine`: the viewer's composite, whose bucket the histogram highlights.
fn peer_view(comparison: PeerComparison, mine: Option<f64>) -> PeerView {
    match comparison {
        PeerComparison::Shown(stats) => {
            let buckets: Vec<(u32, u32, u32)> = stats.histogram.iter().map(|b| (b.from, b.to, b.count)).collect();
            PeerView {
                shown: true,
                percentile: format::percentile(stats.percentile),
                team_average: score_text(Some(to_f64(&stats.team_average))),
                team_size: stats.team_size,
                histogram: charts::histogram(
                    "Your team's composite scores (anonymised)",
                    &buckets,
                    mine.and_then(|m| buckets.iter().rposition(|(from, _, _)| m >= f64::from(*from))),
                ),
                message: String::new(),
            }
        }
        PeerComparison::Suppressed(s) => PeerView {
            shown: false,
            percentile: String::new(),
            team_average: String::new(),
            team_size: 0,
            histogram: String::new(),
            message: s.detail,
        },
    }
}

/// The page a goal form came from again (My Performance when `self_view`,
/// else the agent page of `person`) after a refused goal: the form keeps
/// what was typed and shows each refusal beside its field (400).
pub async fn goal_form_refused(
    state: &AppState,
    user: &WebUser,
    person: Uuid,
    self_view: bool,
    typed: &Typed,
    errors: BTreeMap<&'static str, String>,
) -> Result<Response, AppError> {
    person_page(state, user, person, &PeriodQuery::default(), self_view, Some((typed, errors))).await
}

async fn person_page(
    state: &AppState,
    user: &WebUser,
    person: Uuid,
    q: &PeriodQuery,
    self_view: bool,
    refused: Option<(&Typed, BTreeMap<&'static str, String>)>,
) -> Result<Response, AppError> {
    let (period, picker) = q.resolve()?;
    let header = data::person_header(&state.pool, person).await?;
    let scores = data::person_period_scores(&state.pool, person, &period).await?;
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let goal_form = match refused {
        Some((typed, errors)) => GoalForm::refused(&scores, typed, errors),
        None => GoalForm::new(&scores),
    };
    let cards = score_cards(state, person, &period, &scores).await?;
    let goals = goal_views(data::goals(&state.pool, person).await?, &scores);
    let review_base = if self_view { "/agent/my-performance/reviews" } else { "/admin/performance/reviews" };
    let reviews_rows = queries::reviews_of(&state.pool, person, RECENT_REVIEWS).await?;
    let reviews = reviews_rows.iter().map(|r| review_item(r, format!("{review_base}/{}", r.id))).collect();
    let (page_path, partial_path) = if self_view {
        ("/agent/my-performance".to_string(), "/agent/my-performance/_scores".to_string())
    } else {
        (format!("/admin/performance/agents/{person}"), format!("/admin/performance/agents/{person}/_scores"))
    };
    let (peer, unacknowledged) = if self_view {
        let comparison = queries::peer_comparison(&state.pool, person, &period).await?;
        let pending = queries::reviews::unacknowledged(&state.pool, person, UNACKNOWLEDGED_SHOWN).await?;
        let mut items = Vec::new();
        for id in pending {
            if let Some(review) = queries::review_by_id(&state.pool, id).await? {
                items.push(review_item(&review, format!("{review_base}/{id}")));
            }
        }
        (Some(peer_view(comparison, scores.composite)), items)
    } else {
        (None, Vec::new())
    };
    let can_generate = !self_view
        && reach(&user.principal) != Reach::SelfOnly
        && (person != user.person_id || user.principal.is_admin());
    let scores_html = cards.render().map_err(|e| AppError::internal_error("the score cards failed to render", &e))?;
    let team_link = if self_view { None } else { team_link(state, user, person, &period, &picker).await? };
    let title = if self_view { "My Performance".to_string() } else { header.name.clone() };
    let nav = if self_view { Nav::MyPerformance } else { Nav::TeamPerformance };
    Ok(render(
        status,
        &PersonPage {
            layout: user.layout(title, nav),
            team_link,
            self_view,
            page_path,
            partial_path,
            picker,
            scores: scores_html,
            goals,
            reviews,
            can_force: can_generate && user.principal.is_admin(),
            can_generate,
            generate_action: format!("/admin/performance/agents/{person}/generate-review"),
            peer,
            unacknowledged,
            goal_form,
            goal_base: if self_view {
                "/agent/my-performance/goals".to_string()
            } else {
                format!("/admin/performance/agents/{person}/goals")
            },
            today: Utc::now().date_naive().to_string(),
            header,
        },
    ))
}

/// The team overview of `person`'s team in `period` (the team they were
/// scored under, else their scoring team today), when the viewer may open it.
async fn team_link(
    state: &AppState,
    user: &WebUser,
    person: Uuid,
    period: &Period,
    picker: &PeriodPicker,
) -> Result<Option<TeamLink>, AppError> {
    let scored = queries::period_scores_shared(&state.pool, period).await?;
    let scored_team = scored.iter().find(|p| p.person_id == person).and_then(|p| p.team_id);
    let Some((team, name)) = queries::people::team_of(&state.pool, scored_team, person).await? else {
        return Ok(None);
    };
    let visible = match reach(&user.principal) {
        Reach::Everyone => true,
        Reach::Managed => {
            crate::app::scope::manages_team(&state.pool, PersonId(user.person_id), crate::ids::TeamId(team)).await?
        }
        Reach::SelfOnly => false,
    };
    Ok(visible.then(|| TeamLink { href: format!("/admin/performance/team?team_id={team}&{}", picker.query()), name }))
}

/// `GET /admin/performance/agents/{person_id}?period=`
pub async fn agent_detail(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let result = async {
        let person = managed_person(&state, &user, &id).await?;
        person_page(&state, &user, person, &q, false, None).await
    }
    .await;
    respond(&user, result)
}

/// `GET /admin/performance/agents/{person_id}/_scores?period=`
pub async fn agent_scores(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let result = async {
        let person = managed_person(&state, &user, &id).await?;
        let (period, _) = q.resolve()?;
        let scores = data::person_period_scores(&state.pool, person, &period).await?;
        ok(&score_cards(&state, person, &period, &scores).await?)
    }
    .await;
    respond(&user, result)
}

/// `GET /agent/my-performance?period=`
pub async fn my_performance(State(state): State<AppState>, user: WebUser, Query(q): Query<PeriodQuery>) -> Response {
    let result = async {
        let me = self_person(&state, &user).await?;
        person_page(&state, &user, me, &q, true, None).await
    }
    .await;
    respond(&user, result)
}

/// `GET /agent/my-performance/_scores?period=`
pub async fn my_scores(State(state): State<AppState>, user: WebUser, Query(q): Query<PeriodQuery>) -> Response {
    let result = async {
        let me = self_person(&state, &user).await?;
        let (period, _) = q.resolve()?;
        let scores = data::person_period_scores(&state.pool, me, &period).await?;
        ok(&score_cards(&state, me, &period, &scores).await?)
    }
    .await;
    respond(&user, result)
}

#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
    domain: Option<String>,
    metric: Option<String>,
    offset: Option<String>,
}

pub struct EventView {
    pub position: i64,
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: String,
    pub what: String,
    pub reference: String,
    /// The labels of the metrics it feeds.
    pub feeds: Vec<String>,
    pub misses: Vec<String>,
    /// The stored event data, pretty-printed (behind a "details" toggle).
    pub data: String,
}

#[derive(Template)]
#[template(path = "events.html")]
pub struct EventsPage {
    pub layout: Layout,
    pub header: PersonHeader,
    pub period_label: String,
    /// "Week in progress: day 3 of 7 …": more events may still come.
    pub in_progress: Option<String>,
    pub domain: &'static str,
    pub domain_key: &'static str,
    /// The hidden fields of the metric filter that keep the period.
    pub period_fields: Vec<(&'static str, String)>,
    pub metrics: Vec<Choice>,
    pub events: Vec<EventView>,
    pub misses: u64,
    pub total: u64,
    pub shown_from: u64,
    pub shown_to: u64,
    pub back: String,
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The events page's period: `week=` (an ISO week or its Monday), or `from=`/`to=`.
fn events_period_param(q: &EventsQuery) -> Result<Period, AppError> {
    if let Some(week) = present(&q.week) {
        return Ok(Period::week(crate::app::reports::week_param(week)?));
    }
    if present(&q.from).is_none() && present(&q.to).is_none() {
        return Err(AppError::invalid_parameter(
            "week",
            "is required (an ISO week like 2026-W20), or give from and to (YYYY-MM-DD)",
        ));
    }
    let query = PeriodQuery { period: Some("custom".into()), from: q.from.clone(), to: q.to.clone() };
    Ok(query.resolve()?.0)
}

/// `GET /admin/performance/agents/{person_id}/events?week=YYYY-Www|from=&to=&domain=D&metric=&offset=`
pub async fn events(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Response {
    let result = async {
        let requested = path_uuid(&id, "person_id")?;
        let period = events_period_param(&q)?;
        let domain_text = q.domain.as_deref().map(str::trim).unwrap_or_default();
        let domain = Domain::from_str(domain_text).map_err(|reason| AppError::invalid_parameter("domain", reason))?;
        let domain_metrics: Vec<&'static str> = perfledger_domain::scoring::formulas::METRIC_KEYS
            .iter()
            .filter(|(d, _, _)| *d == domain)
            .map(|(_, key, _)| *key)
            .collect();
        let metric = match present(&q.metric) {
            None => None,
            Some(key) => Some(domain_metrics.iter().copied().find(|k| *k == key).ok_or_else(|| {
                AppError::invalid_parameter(
                    "metric",
                    format!(
                        "'{}' is not a metric of {}; pick one from the list",
                        crate::app::fields::shorten(key),
                        domain_label(domain)
                    ),
                )
            })?),
        };
        let offset = super::params::offset(&q.offset)?;
        let person =
            effective_person_id(&state.pool, &user.principal, Some(PersonId(requested)), "person_id").await?.uuid();
        let Some(all) =
            queries::drilldown::credited_events(&state.pool, person, period.start, period.end, domain).await?
        else {
            return Err(AppError::not_found(
                "week",
                format!("there is no {} score in {}", domain_label(domain), super::view::describe(&period)),
            ));
        };
        // The team's mean first response in the period: a slower reply is a late one.
        // Only communication events carry a first response (a range is scored on read: skip it otherwise).
        let team_first_response = if domain == Domain::Communication {
            let scores = data::person_period_scores(&state.pool, person, &period).await?;
            scores
                .domains
                .get(&Domain::Communication)
                .and_then(|b| b.metrics.iter().find(|m| m.key == "avg_first_response_minutes"))
                .and_then(|m| m.team_baseline)
        } else {
            None
        };
        let references: BTreeMap<(&str, &str), &str> = all
            .iter()
            .filter_map(|e| match event_words::entity_reference(&e.event_type, &e.data) {
                (Some(id), Some(reference)) => {
                    Some(((e.event_type.split('.').next().unwrap_or_default(), id), reference))
                }
                _ => None,
            })
            .collect();
        let read: Vec<(&queries::EventRow, EventWords)> = all
            .iter()
            .map(|e| {
                let kind = e.event_type.split('.').next().unwrap_or_default();
                let known = match event_words::entity_reference(&e.event_type, &e.data) {
                    (Some(id), _) => references.get(&(kind, id)).copied(),
                    _ => None,
                };
                (e, event_words::describe(domain, &e.event_type, &e.data, team_first_response, known))
            })
            .filter(|(_, w)| metric.is_none_or(|m| w.metrics.contains(&m)))
            .collect();
        let total = read.len() as u64;
        let misses = read.iter().filter(|(_, w)| !w.misses.is_empty()).count() as u64;
        let page: Vec<EventView> = read
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(EVENTS_PER_PAGE as usize)
            .map(|(e, w)| EventView {
                position: e.global_position,
                event_id: e.event_id.clone(),
                event_type: e.event_type.clone(),
                occurred_at: e.occurred_at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
                what: w.what,
                reference: w.reference,
                feeds: w.metrics.iter().map(|k| metric_name(domain, k)).collect(),
                misses: w.misses,
                data: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
            })
            .collect();
        let header = data::person_header(&state.pool, person).await?;
        let period_query = events_period(&period);
        let metric_query = metric.map(|m| format!("&metric={m}")).unwrap_or_default();
        let base = format!(
            "/admin/performance/agents/{person}/events?{period_query}&domain={}{metric_query}",
            domain.as_str()
        );
        let shown_to = offset + page.len() as u64;
        let period_param = match period.week_start() {
            Some(week) => format!("period={}", iso_week_label(week)),
            None => format!("period=custom&from={}&to={}", period.start, period.last_day()),
        };
        let back = if person == user.person_id {
            format!("/agent/my-performance?{period_param}")
        } else {
            format!("/admin/performance/agents/{person}?{period_param}")
        };
        let period_fields = match period.week_start() {
            Some(week) => vec![("week", iso_week_label(week))],
            None => vec![("from", period.start.to_string()), ("to", period.last_day().to_string())],
        };
        let period_label = super::view::describe(&period);
        ok(&EventsPage {
            layout: user.layout(format!("{} · {} · {period_label}", header.name, domain_label(domain)), Nav::None),
            period_label,
            in_progress: context::in_progress(&period, Utc::now().date_naive()),
            domain: domain_label(domain),
            domain_key: domain.as_str(),
            period_fields,
            metrics: domain_metrics
                .iter()
                .map(|k| Choice { value: k.to_string(), label: metric_name(domain, k), selected: metric == Some(*k) })
                .collect(),
            events: page,
            misses,
            total,
            shown_from: if shown_to > offset { offset + 1 } else { 0 },
            shown_to,
            previous_page: (offset > 0)
                .then(|| format!("{base}&offset={}", offset.saturating_sub(u64::from(EVENTS_PER_PAGE)))),
            next_page: (shown_to < total).then(|| format!("{base}&offset={shown_to}")),
            back,
            header,
        })
    }
    .await;
    respond(&user, result)
}
