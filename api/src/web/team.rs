//! Team Performance (`/admin/performance/team`) and its leaderboard partial
//! (`…/team/_table`): the same scope as the leaderboard and team-summary API
//! ([`crate::performance::reports`]): admins any team, managers and leads
//! (`reports:operations`/`reports`) only the active teams they manage.
//! With a team shown, the page also lists the team's reviews not
//! acknowledged yet and the flagged-review runs of the period
//! ([`crate::app::reports::team_reviews`], the team summary's gate), and the
//! leaderboard links its CSV export (the leaderboard.csv API, which takes the
//! session cookie for downloads: [`crate::auth::DownloadPrincipal`]).

use std::str::FromStr;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Utc;
use perfledger_domain::format;
use perfledger_domain::period::iso_week_label;
use perfledger_domain::scoring::Domain;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::charts;
use super::context::{self, Change};
use super::data;
use super::pages::{ok, respond};
use super::params::{encode, optional_uuid, PeriodQuery};
use super::session::WebUser;
use super::view::{composite_text, domain_label, score_text, Choice, Layout, Nav, PeriodPicker};
use crate::app::reports::{team_reviews, TeamReviews};
use crate::app::scope::{caller_person_id, reach, Reach};
use crate::error::AppError;
use crate::period_query::Period;
use crate::queries::number::to_f64;
use crate::queries::{self, LeaderboardQuery, LeaderboardSort, SortOrder, TeamSummary};
use crate::state::AppState;

/// Rows per leaderboard page.
pub const PAGE_SIZE: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct TeamQuery {
    team_id: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
    sort: Option<String>,
    order: Option<String>,
    offset: Option<String>,
}

pub struct SortLink {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    pub partial_href: String,
    /// `ascending`, `descending` or `none` (aria-sort).
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

pub struct DomainCell {
    pub text: String,
    pub class: &'static str,
}

pub struct LeaderRow {
    pub rank: u64,
    pub person_id: Uuid,
    pub name: String,
    pub composite: String,
    pub class: &'static str,
    pub flagged: bool,
    /// Against the previous period; `None` when either has no score.
    pub change: Option<Change>,
    /// `42 tickets · 18 conversations`.
    pub volume: String,
    pub low_volume: bool,
    pub sparkline: String,
    pub domains: Vec<DomainCell>,
    pub bars: String,
    pub agent_href: String,
    pub can_generate: bool,
}

#[derive(Template)]
#[template(path = "_leaderboard_table.html")]
pub struct LeaderboardTable {
    pub headers: Vec<SortLink>,
    pub rows: Vec<LeaderRow>,
    /// "last week" or "the previous period": what the change column compares with.
    pub previous_name: &'static str,
    pub low_volume_rule: String,
    pub csrf: String,
    /// The CSV export of exactly this view (team, period, sort, order): the
    /// leaderboard.csv API, which takes the session cookie for downloads.
    pub csv_href: String,
    pub total: u64,
    pub shown_from: u64,
    pub shown_to: u64,
    pub previous_page: Option<(String, String)>,
    pub next_page: Option<(String, String)>,
}

pub struct StatCard {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
    pub class: &'static str,
    pub href: Option<String>,
    /// Against the previous period.
    pub change: Option<Change>,
}

/// A generated review its person has not acknowledged yet.
pub struct PendingView {
    pub person: String,
    pub person_href: String,
    pub review_href: String,
    pub period: String,
    pub composite: String,
    pub class: &'static str,
    /// "since 3 Dec 2026 (4 days)".
    pub waiting: String,
}

/// One flagged-review run, with the team's counts.
pub struct RunView {
    pub started: String,
    /// "up to week 2026-W45".
    pub weeks: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub requested: i64,
    pub failed: i64,
    pub cost: String,
    pub requested_all: i32,
    pub carried_over_all: i32,
    pub reason: Option<String>,
}

/// The team page's review lists; `None` without a team.
pub struct ReviewLists {
    pub pending: Vec<PendingView>,
    pub pending_total: i64,
    pub runs: Vec<RunView>,
    /// "estimated at the token prices in force; in EUR".
    pub cost_note: String,
}

#[derive(Template)]
#[template(path = "team_overview.html")]
pub struct TeamPage {
    pub layout: Layout,
    pub teams: Vec<Choice>,
    pub team_name: String,
    pub picker: PeriodPicker,
    pub sort: String,
    pub order: String,
    pub stats: Vec<StatCard>,
    pub histogram: String,
    pub table: String,
    /// The flag threshold in force at the period's start.
    pub threshold: String,
    /// "Week in progress: day 3 of 7 …" while the period is not over.
    pub in_progress: Option<String>,
    /// Reviews not acknowledged yet and the flagged runs (a team is shown).
    pub review_lists: Option<ReviewLists>,
}

/// Everything a team view needs, resolved and checked.
struct Resolved {
    period: Period,
    picker: PeriodPicker,
    team: Option<Uuid>,
    teams: Vec<(Uuid, String)>,
    query: LeaderboardQuery,
    sort_key: String,
    order_key: &'static str,
    /// The settings in force at the period's start (threshold, currency): read once per page.
    settings: perfledger_domain::settings::Settings,
}

async fn resolve(pool: &PgPool, user: &WebUser, q: &TeamQuery) -> Result<Resolved, AppError> {
    if !user.can_see_team() {
        return Err(AppError::forbidden(
            None,
            "Team Performance is for admins and the managers of a team; your own scores are under My Performance.",
        ));
    }
    // Parameters first (400), then scope (403/404), as the API does.
    let (period, picker) = q.period.resolve()?;
    let requested = optional_uuid(&q.team_id, "team_id")?;
    let sort_key = q.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("composite").to_string();
    let sort = LeaderboardSort::from_str(&sort_key)?;
    let order = match q.order.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => SortOrder::from_str(text)?,
        None => sort.default_order(),
    };
    let offset = super::params::offset(&q.offset)?;
    let teams: Vec<(Uuid, String)> = crate::app::reports::team_choices(pool, &user.principal)
        .await?
        .into_iter()
        .map(|(id, name)| (id.uuid(), name))
        .collect();
    let team = match requested {
        Some(team) => Some(team),
        None => default_team(pool, user, &teams, &period).await?,
    };
    let visible =
        crate::app::reports::leaderboard_visibility(pool, &user.principal, team.map(crate::ids::TeamId)).await?;
    let order_key = if order == SortOrder::Asc { "asc" } else { "desc" };
    let query = LeaderboardQuery { period, team_id: team, visible, sort, order, limit: PAGE_SIZE, offset };
    let settings = perfledger_projections::settings::in_force_at(pool, period.start).await?;
    Ok(Resolved { period, picker, team, teams, query, sort_key, order_key, settings })
}

/// The team shown when none is asked for (issue 15): for an admin, the
/// first team it manages itself; otherwise (and for managers, whose choices
/// are their teams) the first team with anyone scored in the period, so
/// nobody lands on an empty page; else the first team.
async fn default_team(
    pool: &PgPool,
    user: &WebUser,
    teams: &[(Uuid, String)],
    period: &Period,
) -> Result<Option<Uuid>, AppError> {
    if user.principal.is_admin() {
        let managed = crate::app::scope::managed_team_ids(pool, crate::ids::PersonId(user.person_id)).await?;
        if let Some((id, _)) = teams.iter().find(|(id, _)| managed.iter().any(|m| m.uuid() == *id)) {
            return Ok(Some(*id));
        }
    }
    let scored = queries::period_scores_shared(pool, period).await?;
    let with_people = teams.iter().find(|(id, _)| scored.iter().any(|p| p.team_id == Some(*id)));
    Ok(with_people.or(teams.first()).map(|(id, _)| *id))
}

/// The query string of the view with `sort`/`order`/`offset` replaced.
fn view_query(r: &Resolved, sort: &str, order: &str, offset: u64) -> String {
    let team = r.team.map(|t| format!("team_id={t}&")).unwrap_or_default();
    let offset = if offset > 0 { format!("&offset={offset}") } else { String::new() };
    format!("{team}{}&sort={}&order={order}{offset}", r.picker.query(), encode(sort))
}

const SORT_COLUMNS: [(&str, &str); 8] = [
    ("name", "Agent"),
    ("composite", "Composite"),
    ("support", "Support"),
    ("operations", "Operations"),
    ("field_service", "Field service"),
    ("communication", "Communication"),
    ("sales", "Sales"),
    ("data_quality", "Data quality"),
];

async fn leaderboard_table(pool: &PgPool, user: &WebUser, r: &Resolved) -> Result<LeaderboardTable, AppError> {
    let page = queries::leaderboard(pool, &r.query).await?;
    let threshold = r.settings.flagged_threshold;
    let people: Vec<Uuid> = page.items.iter().map(|row| row.person_id).collect();
    let previous = data::previous(&r.period);
    let (volumes, before) =
        tokio::try_join!(data::volumes(pool, &r.period, &people), queries::period_scores_shared(pool, &previous))?;
    let previous_name = context::previous_name(&r.period);
    let trend_in_progress = data::last_week_in_progress(&r.period, Utc::now().date_naive());
    let me = caller_person_id(&user.principal)?;
    let may_generate = reach(&user.principal) != Reach::SelfOnly;
    let headers = SORT_COLUMNS
        .iter()
        .map(|(key, label)| {
            let current = r.sort_key == *key;
            let default = LeaderboardSort::from_str(key).map(|s| s.default_order()).unwrap_or(SortOrder::Desc);
            let next = match (current, r.query.order, default) {
                (true, SortOrder::Asc, _) => "desc",
                (true, SortOrder::Desc, _) => "asc",
                (false, SortOrder::Asc, _) | (false, _, SortOrder::Asc) => "asc",
                _ => "desc",
            };
            let query = view_query(r, key, next, 0);
            SortLink {
                key,
                label,
                href: format!("/admin/performance/team?{query}"),
                partial_href: format!("/admin/performance/team/_table?{query}"),
                aria_sort: match (current, r.query.order) {
                    (false, _) => "none",
                    (true, SortOrder::Asc) => "ascending",
                    (true, SortOrder::Desc) => "descending",
                },
                arrow: match (current, r.query.order) {
                    (false, _) => "",
                    (true, SortOrder::Asc) => "▲",
                    (true, SortOrder::Desc) => "▼",
                },
            }
        })
        .collect();
    let rows: Vec<LeaderRow> = page
        .items
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let name = row.display_name.clone().unwrap_or_else(|| row.person_id.to_string());
            let composite = to_f64(&row.composite);
            let previous =
                before.binary_search_by_key(&row.person_id, |p| p.person_id).ok().map(|i| to_f64(&before[i].composite));
            let volume = volumes.get(&row.person_id).cloned().unwrap_or_default();
            let trend: Vec<Option<f64>> = row.trend.iter().map(|v| v.as_ref().map(to_f64)).collect();
            let domain_items: Vec<(String, Option<f64>)> = Domain::ALL
                .iter()
                .map(|d| (domain_label(*d).to_string(), row.domain_scores.get(d).map(to_f64)))
                .collect();
            LeaderRow {
                rank: r.query.offset + i as u64 + 1,
                person_id: row.person_id,
                composite: composite_text(Some(composite), Some(row.is_flagged), threshold),
                class: charts::score_class(Some(composite)),
                flagged: row.is_flagged,
                change: context::change(Some(composite), previous, previous_name),
                volume: volume.short(),
                low_volume: volume.is_low(),
                sparkline: charts::sparkline(
                    &format!("{name}: composite over the last weeks"),
                    &trend,
                    trend_in_progress,
                ),
                domains: domain_items
                    .iter()
                    .map(|(_, v)| DomainCell { text: score_text(*v), class: charts::score_class(*v) })
                    .collect(),
                bars: charts::bars(&format!("{name}: domain scores"), &domain_items),
                agent_href: format!("/admin/performance/agents/{}?{}", row.person_id, r.picker.query()),
                can_generate: may_generate && (row.person_id != me.uuid() || user.principal.is_admin()),
                name,
            }
        })
        .collect();
    let shown_from = if rows.is_empty() { 0 } else { r.query.offset + 1 };
    let shown_to = r.query.offset + rows.len() as u64;
    let link = |offset: u64| {
        let query = view_query(r, &r.sort_key, r.order_key, offset);
        (format!("/admin/performance/team?{query}"), format!("/admin/performance/team/_table?{query}"))
    };
    Ok(LeaderboardTable {
        headers,
        previous_page: (r.query.offset > 0).then(|| link(r.query.offset.saturating_sub(u64::from(PAGE_SIZE)))),
        next_page: (shown_to < page.total).then(|| link(shown_to)),
        rows,
        previous_name,
        low_volume_rule: context::low_volume_rule(),
        csrf: user.csrf.clone(),
        csv_href: format!("/api/v1/performance/leaderboard.csv?{}", view_query(r, &r.sort_key, r.order_key, 0)),
        total: page.total,
        shown_from,
        shown_to,
    })
}

/// The cards of `summary` against `before` (the previous period); links keep
/// the page's period (`period_query`); `currency`: `cost_currency` in force
/// for the period, when set.
fn stat_cards(
    summary: Option<&TeamSummary>,
    before: Option<&TeamSummary>,
    threshold: i64,
    previous_name: &str,
    period_query: &str,
    currency: Option<&str>,
) -> Vec<StatCard> {
    let Some(s) = summary else {
        return vec![StatCard {
            label: "Team",
            value: "—".into(),
            detail: "No team to summarise".into(),
            class: "none",
            href: None,
            change: None,
        }];
    };
    let average = s.average_composite.as_ref().map(to_f64);
    let average_before = before.and_then(|b| b.average_composite.as_ref()).map(to_f64);
    let coaching_before = before.map(|b| f64::from(b.needs_coaching));
    vec![
        StatCard {
            label: "Team average",
            value: score_text(average),
            detail: format!("{} of {} members scored", s.scored_count, s.member_count),
            class: charts::score_class(average),
            href: None,
            change: context::change(average, average_before, previous_name),
        },
        match &s.top_performer {
            Some(top) => StatCard {
                label: "Top performer",
                value: top.display_name.clone(),
                detail: format!("composite {}", score_text(Some(to_f64(&top.composite)))),
                class: charts::score_class(Some(to_f64(&top.composite))),
                href: Some(format!("/admin/performance/agents/{}?{period_query}", top.person_id)),
                change: None,
            },
            None => StatCard {
                label: "Top performer",
                value: "—".into(),
                detail: "nobody scored in this period".into(),
                class: "none",
                href: None,
                change: None,
            },
        },
        StatCard {
            label: "Needs coaching",
            value: s.needs_coaching.to_string(),
            detail: format!("composite below the flag threshold of {threshold}"),
            class: if s.needs_coaching > 0 { "warn" } else { "good" },
            href: None,
            change: context::change(Some(f64::from(s.needs_coaching)), coaching_before, previous_name)
                .map(Change::lower_is_better),
        },
        StatCard {
            label: "Reviews generated",
            value: s.reviews_generated.to_string(),
            detail: match currency {
                Some(c) => format!("estimated cost {}", format::money(s.estimated_review_cost, Some(c))),
                None => format!(
                    "estimated cost {}, in the currency the token prices are set in",
                    format::money(s.estimated_review_cost, None)
                ),
            },
            class: "none",
            href: None,
            change: None,
        },
    ]
}

/// The page's words for the team's review lists (issue 16).
fn review_lists(lists: TeamReviews, r: &Resolved) -> ReviewLists {
    let today = Utc::now();
    let currency = r.settings.cost_currency.as_deref();
    let pending = lists
        .unacknowledged
        .iter()
        .map(|p| {
            let composite = p.composite_score.as_ref().map(to_f64);
            let days = (today - p.generated_at).num_days().max(0);
            PendingView {
                person: p.display_name.clone().unwrap_or_else(|| p.person_id.to_string()),
                person_href: format!("/admin/performance/agents/{}?{}", p.person_id, r.picker.query()),
                review_href: format!("/admin/performance/reviews/{}", p.id),
                period: format!(
                    "{} – {}",
                    p.review_period_start.format("%-d %b %Y"),
                    (p.review_period_end - chrono::Duration::days(1)).format("%-d %b %Y")
                ),
                composite: score_text(composite),
                class: charts::score_class(composite),
                waiting: format!(
                    "since {} ({})",
                    p.generated_at.format("%-d %b %Y"),
                    match days {
                        0 => "today".to_string(),
                        1 => "1 day".to_string(),
                        n => format!("{n} days"),
                    }
                ),
            }
        })
        .collect();
    let runs = lists
        .runs
        .iter()
        .map(|run| {
            let week = (run.through_period_end - chrono::Duration::days(7)).date_naive();
            let (status, status_class) = match run.status.as_str() {
                "completed" => ("completed", "good"),
                "carried_over" => ("carried over", "warn"),
                _ => ("skipped", "none"),
            };
            RunView {
                started: run.started_at.format("%-d %b %Y, %H:%M UTC").to_string(),
                weeks: format!("up to week {}", iso_week_label(week)),
                status,
                status_class,
                requested: run.requested,
                failed: run.failed,
                cost: format::money(queries::reviews::estimated_cost(run.usage(), &r.settings), currency),
                requested_all: run.requested_all,
                carried_over_all: run.carried_over_all,
                reason: run.reason.clone(),
            }
        })
        .collect();
    ReviewLists {
        pending,
        pending_total: lists.unacknowledged_total,
        runs,
        cost_note: match currency {
            Some(c) => format!("Cost: tokens of the generated reviews at the token prices in force, in {c}."),
            None => "Cost: tokens of the generated reviews at the token prices in force, in the currency the \
                     prices are set in."
                .to_string(),
        },
    }
}

/// `GET /admin/performance/team?team_id=&period=&from=&to=&sort=&order=&offset=`
pub async fn overview(State(state): State<AppState>, user: WebUser, Query(q): Query<TeamQuery>) -> Response {
    let result = async {
        let r = resolve(&state.pool, &user, &q).await?;
        // The table and the two summaries are independent reads (a range is scored on read): together.
        let previous = data::previous(&r.period);
        let summaries = async {
            match r.team {
                Some(team) => tokio::try_join!(
                    queries::team_summary(&state.pool, team, &r.period),
                    queries::team_summary(&state.pool, team, &previous),
                ),
                None => Ok((None, None)),
            }
        };
        let lists = async {
            match r.team {
                Some(team) => {
                    team_reviews(&state.pool, &user.principal, crate::ids::TeamId(team), &r.period).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let (table, (summary, before), lists) =
            tokio::try_join!(leaderboard_table(&state.pool, &user, &r), summaries, lists)?;
        let review_lists = lists.map(|lists| review_lists(lists, &r));
        let (threshold, currency) = (r.settings.flagged_threshold, r.settings.cost_currency.clone());
        let team_name = summary.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "All people".into());
        let histogram = match &summary {
            Some(s) => {
                let buckets: Vec<(u32, u32, u32)> = s.distribution.iter().map(|b| (b.from, b.to, b.count)).collect();
                charts::histogram(&format!("{team_name}: distribution of composite scores"), &buckets, None)
            }
            None => String::new(),
        };
        let mut teams: Vec<Choice> = r
            .teams
            .iter()
            .map(|(id, name)| Choice { value: id.to_string(), label: name.clone(), selected: Some(*id) == r.team })
            .collect();
        // An admin may open an inactive team by id: show it as the selection.
        if let (Some(team), Some(s)) = (r.team, &summary) {
            if !teams.iter().any(|c| c.selected) {
                teams.insert(
                    0,
                    Choice { value: team.to_string(), label: format!("{} (inactive)", s.name), selected: true },
                );
            }
        }
        let table_html = table.render().map_err(|e| AppError::internal_error("the table failed to render", &e))?;
        ok(&TeamPage {
            layout: user.layout(format!("Team Performance · {team_name}"), Nav::TeamPerformance),
            teams,
            stats: stat_cards(
                summary.as_ref(),
                before.as_ref(),
                threshold,
                context::previous_name(&r.period),
                &r.picker.query(),
                currency.as_deref(),
            ),
            threshold: threshold.to_string(),
            in_progress: context::in_progress(&r.period, Utc::now().date_naive()),
            histogram,
            review_lists,
            table: table_html,
            sort: r.sort_key.clone(),
            order: r.order_key.to_string(),
            picker: r.picker,
            team_name,
        })
    }
    .await;
    respond(&user, result)
}

/// `GET /admin/performance/team/_table?…`: the leaderboard fragment alone.
pub async fn table_partial(State(state): State<AppState>, user: WebUser, Query(q): Query<TeamQuery>) -> Response {
    let result = async {
        let r = resolve(&state.pool, &user, &q).await?;
        ok(&leaderboard_table(&state.pool, &user, &r).await?)
    }
    .await;
    respond(&user, result)
}
