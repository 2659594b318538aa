//! The performance API's read queries (issue 5) against a small hand-written
//! world: the leaderboard, team summary, peer comparison and drilldown, for
//! stored weeks and for ranges computed on read (D6).
//!
//! The world, all tickets 90 minutes long (09:00 → 10:30), so every member
//! of a pool sits at the team's resolution baseline (0 of 30 points); no
//! escalations (20 of 20), no ratings (0 of 10), no tags or notes (data
//! quality 0). Support = 40 · met/known + 20. Support teams weigh support 30
//! and data quality 10: composite = 0.75 · support. `flagged_threshold` is
//! set to 40 from 2026-10-01.
//!
//! | who | team | W45 (Nov 2–8)   | W46 (Nov 9–15) | W45 composite |
//! |-----|------|-----------------|----------------|---------------|
//! | A1 Dana   | Alpha | 1 met         |          | 45 |
//! | A2 bob    | Alpha | 1 met, 1 missed | 1 met  | 30 (W46: 45) |
//! | A3 Carol  | Alpha | 1 missed      |          | 15 |
//! | A4 Alice  | Alpha | 2 met         |          | 45 |
//! | A5 Eve    | Alpha | —             |          | — |
//! | A6 Frank  | (inactive in Alpha: no scoring team, default weights 20/10) | 1 met | | 60·20/30 = 40 |
//! | X Xavier  | Solo  | 1 met         | 1 missed | 45 (W46: 15) |

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use perfledger_api::error::ErrorKind;
use perfledger_api::period_query::{parse_period, Period, PeriodKind};
use perfledger_api::queries::{
    drilldown, leaderboard, peer_comparison, team_summary, LeaderboardQuery, LeaderboardRow, LeaderboardSort,
    PeerComparison, SortOrder, SuppressionReason, Visibility,
};
use perfledger_domain::parse_envelope;
use perfledger_domain::scoring::Domain;
use perfledger_scheduler::worker::run_once;
use perfledger_store::Ingestor;
use perfledger_tests::{fresh_database, TestDb};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{envelope, run_perfledger};

const A1: &str = "a1000000-0000-4000-8000-000000000001";
const A2: &str = "a2000000-0000-4000-8000-000000000002";
const A3: &str = "a3000000-0000-4000-8000-000000000003";
const A4: &str = "a4000000-0000-4000-8000-000000000004";
const A5: &str = "a5000000-0000-4000-8000-000000000005";
const A6: &str = "a6000000-0000-4000-8000-000000000006";
const X: &str = "b1000000-0000-4000-8000-000000000007";
const ALPHA: &str = "c1000000-0000-4000-8000-000000000001";
const SOLO: &str = "c2000000-0000-4000-8000-000000000002";

fn id(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn person(person_id: &str, name: &str) -> Value {
    envelope(
        &format!("person-{name}"),
        "person.upserted",
        "2026-10-01T07:00:00Z",
        json!({"person_id": person_id, "display_name": name, "is_active": true}),
    )
}

fn team(team_id: &str, name: &str) -> Value {
    envelope(
        &format!("team-{name}"),
        "team.upserted",
        "2026-10-01T07:00:00Z",
        json!({"team_id": team_id, "name": name, "team_type": "support", "is_active": true}),
    )
}

fn member(team_id: &str, person_id: &str, active: bool) -> Value {
    envelope(
        &format!("member-{team_id}-{person_id}"),
        "team.member_set",
        "2026-10-01T08:00:00Z",
        json!({"team_id": team_id, "person_id": person_id, "role": "member", "is_active": active}),
    )
}

/// Ticket `ticket` on `date` (2026-11-DD), assigned to `person`, resolved
/// after 90 minutes, within its SLA or not. Event ids `{ticket}-o/-a/-r`.
fn ticket(ticket: &str, person: &str, date: &str, sla_met: bool) -> Vec<Value> {
    let due = if sla_met { "12:00" } else { "10:00" };
    vec![
        envelope(
            &format!("{ticket}-o"),
            "ticket.opened",
            &format!("{date}T09:00:00Z"),
            json!({"ticket_id": ticket, "reference": format!("#{ticket}"), "sla_due_at": format!("{date}T{due}:00Z")}),
        ),
        envelope(
            &format!("{ticket}-a"),
            "ticket.assigned",
            &format!("{date}T09:05:00Z"),
            json!({"ticket_id": ticket, "person_id": person}),
        ),
        envelope(&format!("{ticket}-r"), "ticket.resolved", &format!("{date}T10:30:00Z"), json!({"ticket_id": ticket})),
    ]
}

fn world() -> Vec<Value> {
    let mut items = vec![
        person(A1, "Dana"),
        person(A2, "bob"),
        person(A3, "Carol"),
        person(A4, "Alice"),
        person(A5, "Eve"),
        person(A6, "Frank"),
        person(X, "Xavier"),
        team(ALPHA, "Alpha"),
        team(SOLO, "Solo"),
    ];
    for p in [A1, A2, A3, A4, A5] {
        items.push(member(ALPHA, p, true));
    }
    items.push(member(ALPHA, A6, false));
    items.push(member(SOLO, X, true));
    // A2's week-46 ticket is logged between their two week-45 tickets, so it
    // lies inside the week-45 score's position range but not in the week.
    items.extend(ticket("t-a2-1", A2, "2026-11-03", true));
    items.extend(ticket("t-a1-1", A1, "2026-11-03", true));
    items.extend(ticket("t-a2-w46", A2, "2026-11-11", true));
    items.extend(ticket("t-a2-2", A2, "2026-11-04", false));
    items.extend(ticket("t-a3-1", A3, "2026-11-04", false));
    items.extend(ticket("t-a4-1", A4, "2026-11-05", true));
    items.extend(ticket("t-a4-2", A4, "2026-11-05", true));
    items.extend(ticket("t-a6-1", A6, "2026-11-05", true));
    items.extend(ticket("t-x-1", X, "2026-11-06", true));
    items.extend(ticket("t-x-w46", X, "2026-11-10", false));
    items
}

/// A migrated database holding the world, projected and scored as of 2026-12-10.
async fn seeded() -> TestDb {
    let db = fresh_database().await;
    let set = run_perfledger(
        &db,
        &["settings", "set", "flagged_threshold", "40", "--effective-from", "2026-10-01", "--actor", "test"],
    );
    assert!(set.status.success(), "settings set: {}", String::from_utf8_lossy(&set.stderr));
    let items = world();
    let parsed: Vec<_> = items.iter().map(|item| parse_envelope(&item.to_string())).collect();
    let report = Ingestor::new(db.pool.clone(), "test").ingest(&parsed).await.unwrap();
    assert!(report.rejected.is_empty(), "rejected: {:?}", report.rejected);
    assert_eq!(report.accepted, items.len());
    run_once(&db.pool, 20_000, at("2026-12-10T00:00:00Z"), &mut |_, _| {}).await.expect("projection round");
    db
}

const TODAY: &str = "2026-12-10";

fn period(name: &str) -> Period {
    parse_period(Some(name), None, None, day(TODAY)).unwrap().unwrap()
}

fn range(from: &str, to: &str) -> Period {
    parse_period(None, Some(from), Some(to), day(TODAY)).unwrap().unwrap()
}

fn query(period: Period) -> LeaderboardQuery {
    LeaderboardQuery {
        period,
        team_id: None,
        visible: Visibility::All,
        sort: LeaderboardSort::Composite,
        order: SortOrder::Desc,
        limit: 500,
        offset: 0,
    }
}

async fn board(pool: &PgPool, q: &LeaderboardQuery) -> (Vec<Uuid>, u64, Vec<LeaderboardRow>) {
    let page = leaderboard(pool, q).await.unwrap();
    (page.items.iter().map(|r| r.person_id).collect(), page.total, page.items)
}

fn ids(list: &[&str]) -> Vec<Uuid> {
    list.iter().map(|s| id(s)).collect()
}

fn row<'a>(rows: &'a [LeaderboardRow], who: &str) -> &'a LeaderboardRow {
    rows.iter().find(|r| r.person_id == id(who)).unwrap_or_else(|| panic!("{who} is not on the board"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_sorts_paginates_and_filters_a_stored_week() {
    let db = seeded().await;
    let pool = &db.pool;
    let w45 = period("2026-W45");
    assert_eq!(w45.kind, PeriodKind::Week);

    // Composite, best first; ties (A1, A4, X at 45) by person_id.
    let (order, total, rows) = board(pool, &query(w45)).await;
    assert_eq!(order, ids(&[A1, A4, X, A6, A2, A3]));
    assert_eq!(total, 6);
    let composites: Vec<Decimal> = rows.iter().map(|r| r.composite).collect();
    assert_eq!(composites, ["45", "45", "45", "40", "30", "15"].map(dec));
    let a2 = row(&rows, A2);
    assert_eq!(a2.display_name.as_deref(), Some("bob"));
    assert_eq!(a2.team_id, Some(id(ALPHA)));
    assert_eq!(a2.domain_scores.get(&Domain::Support), Some(&dec("40")));
    assert_eq!(a2.domain_scores.get(&Domain::DataQuality), Some(&dec("0")));
    assert_eq!(a2.domain_scores.len(), 2);
    // Flagged below 40: A2 and A3; A6 at exactly 40 is not.
    let flagged: Vec<Uuid> = rows.iter().filter(|r| r.is_flagged).map(|r| r.person_id).collect();
    assert_eq!(flagged, ids(&[A2, A3]));
    assert_eq!(row(&rows, A6).team_id, None);
    // The sparkline: 8 weeks ending with W45.
    let mut trend = vec![None; 8];
    trend[7] = Some(dec("30"));
    assert_eq!(a2.trend, trend);
    // Serialised with numbers.
    let json = serde_json::to_value(a2).unwrap();
    assert_eq!(json["composite"], json!(30.0));
    assert_eq!(json["domain_scores"], json!({"support": 40.0, "data_quality": 0.0}));
    assert_eq!(json["trend"][7], json!(30.0));
    assert_eq!(json["trend"][0], Value::Null);
    assert_eq!(json["display_name"], "bob");

    // Ascending: ties still by person_id ascending.
    let asc = LeaderboardQuery { order: SortOrder::Asc, ..query(w45) };
    assert_eq!(board(pool, &asc).await.0, ids(&[A3, A2, A6, A1, A4, X]));

    // Pages of 2 cover the list exactly once, in order.
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let (page, total, _) = board(pool, &LeaderboardQuery { limit: 2, offset, ..query(w45) }).await;
        assert_eq!(total, 6);
        assert_eq!(page.len(), 2, "offset {offset}");
        paged.extend(page);
    }
    assert_eq!(paged, ids(&[A1, A4, X, A6, A2, A3]));
    let (past_end, total, _) = board(pool, &LeaderboardQuery { limit: 2, offset: 6, ..query(w45) }).await;
    assert!(past_end.is_empty());
    assert_eq!(total, 6);

    // By team (the scoring team): A6 and X are not in Alpha.
    let alpha = LeaderboardQuery { team_id: Some(id(ALPHA)), ..query(w45) };
    assert_eq!(board(pool, &alpha).await.0, ids(&[A1, A4, A2, A3]));

    // Visibility: only whom the requester may see (A5 has no score).
    let visible = Visibility::Only([A2, X, A5].iter().map(|s| id(s)).collect::<BTreeSet<_>>());
    let (seen, total, _) = board(pool, &LeaderboardQuery { visible: visible.clone(), ..query(w45) }).await;
    assert_eq!((seen, total), (ids(&[X, A2]), 2));
    let both = LeaderboardQuery { visible, team_id: Some(id(ALPHA)), ..query(w45) };
    assert_eq!(board(pool, &both).await.0, ids(&[A2]));

    // By name, case-insensitively.
    let by_name = LeaderboardQuery { sort: LeaderboardSort::Name, order: SortOrder::Asc, ..query(w45) };
    assert_eq!(board(pool, &by_name).await.0, ids(&[A4, A2, A3, A1, A6, X]));
    let by_name_desc = LeaderboardQuery { order: SortOrder::Desc, ..by_name };
    assert_eq!(board(pool, &by_name_desc).await.0, ids(&[X, A6, A1, A3, A2, A4]));

    // By a domain: support 60 ×4, then 40, 20; nobody has sales → person_id order.
    let support = LeaderboardQuery { sort: LeaderboardSort::Domain(Domain::Support), ..query(w45) };
    assert_eq!(board(pool, &support).await.0, ids(&[A1, A4, A6, X, A2, A3]));
    let sales = LeaderboardQuery { sort: LeaderboardSort::Domain(Domain::Sales), ..query(w45) };
    assert_eq!(board(pool, &sales).await.0, ids(&[A1, A2, A3, A4, A6, X]));

    // Week 46 and its sparkline.
    let (w46, _, rows) = board(pool, &query(period("2026-W46"))).await;
    assert_eq!(w46, ids(&[A2, X]));
    assert_eq!(row(&rows, X).composite, dec("15"));
    assert_eq!(row(&rows, X).trend[6..], [Some(dec("45")), Some(dec("15"))]);
    assert_eq!(row(&rows, A2).trend[6..], [Some(dec("30")), Some(dec("45"))]);
    assert!(row(&rows, A2).trend[..6].iter().all(Option::is_none));

    // A limit out of 1–500 names the field.
    for limit in [0, 501] {
        match leaderboard(pool, &LeaderboardQuery { limit, ..query(w45) }).await {
            Err(e) if e.kind == ErrorKind::InvalidParameter => assert_eq!(e.field.as_deref(), Some("limit")),
            other => panic!("limit {limit}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_are_computed_on_read_and_match_a_hand_check() {
    let db = seeded().await;
    let pool = &db.pool;

    // last_month on 2026-12-10 is November. X: 1 met of 2 → support
    // 40·1/2 + 20 = 40 → 0.75·40 = 30. A2: 2 met of 3 → 26.67 + 20 = 46.67 → 35.
    let november = period("last_month");
    assert_eq!(
        (november.start, november.end, november.kind),
        (day("2026-11-01"), day("2026-12-01"), PeriodKind::Range)
    );
    let (order, total, rows) = board(pool, &query(november)).await;
    assert_eq!(order, ids(&[A1, A4, A6, A2, X, A3]));
    assert_eq!(total, 6);
    let x = row(&rows, X);
    assert_eq!(x.composite, dec("30"));
    assert_eq!(x.domain_scores.get(&Domain::Support), Some(&dec("40")));
    assert_eq!(x.domain_scores.get(&Domain::DataQuality), Some(&dec("0")));
    assert!(x.is_flagged, "30 < 40");
    assert_eq!(x.team_id, Some(id(SOLO)));
    let a2 = row(&rows, A2);
    assert_eq!(a2.composite, dec("35"));
    assert_eq!(a2.domain_scores.get(&Domain::Support), Some(&dec("46.67")));
    assert!(!row(&rows, A6).is_flagged, "40 is not under 40");
    // Untouched by the range: people with activity in one week only.
    assert_eq!(row(&rows, A1).composite, dec("45"));
    assert_eq!(row(&rows, A3).composite, dec("15"));
    // The sparkline ends with the week of November 30th (W49): W45 is its 4th entry.
    assert_eq!(x.trend, vec![None, None, None, Some(dec("45")), Some(dec("15")), None, None, None]);

    // A custom range Nov 2–10 holds both of X's tickets but only A2's week-45 ones.
    let custom = range("2026-11-02", "2026-11-10");
    assert_eq!(custom.kind, PeriodKind::Range);
    let (_, _, rows) = board(pool, &query(custom)).await;
    assert_eq!(row(&rows, X).composite, dec("30"));
    assert_eq!(row(&rows, A2).composite, dec("30"));

    // A Monday–Sunday range is the stored week.
    let as_range = range("2026-11-09", "2026-11-15");
    assert_eq!(as_range, period("2026-W46"));
    assert_eq!(board(pool, &query(as_range)).await.0, ids(&[A2, X]));

    // Team summary over a computed range.
    let alpha = team_summary(pool, id(ALPHA), &november).await.unwrap().unwrap();
    assert_eq!(alpha.average_composite, Some(dec("35")), "(45 + 35 + 15 + 45) / 4");
    assert_eq!(alpha.needs_coaching, 2);
    assert_eq!(alpha.distribution.iter().map(|b| b.count).collect::<Vec<_>>(), [0, 1, 0, 1, 2, 0, 0, 0, 0, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_summary_and_peer_comparison_of_a_week() {
    let db = seeded().await;
    let pool = &db.pool;
    let w45 = period("2026-W45");

    let alpha = team_summary(pool, id(ALPHA), &w45).await.unwrap().expect("Alpha exists");
    assert_eq!((alpha.team_id, alpha.name.as_str(), alpha.team_type.as_str()), (id(ALPHA), "Alpha", "support"));
    assert_eq!(alpha.member_count, 5, "A1–A5; A6's membership is inactive");
    assert_eq!(alpha.scored_count, 4, "A5 has no activity");
    assert_eq!(alpha.average_composite, Some(dec("33.75")), "(45 + 30 + 15 + 45) / 4");
    let top = alpha.top_performer.as_ref().unwrap();
    assert_eq!((top.person_id, top.display_name.as_str(), top.composite), (id(A1), "Dana", dec("45")));
    assert_eq!(alpha.needs_coaching, 2, "A2 (30) and A3 (15) are under 40");
    assert_eq!(alpha.reviews_generated, 0);
    assert_eq!(alpha.distribution.len(), 10);
    assert_eq!(alpha.distribution.iter().map(|b| b.count).collect::<Vec<_>>(), [0, 1, 0, 1, 2, 0, 0, 0, 0, 0]);
    assert_eq!((alpha.distribution[3].from, alpha.distribution[3].to), (30, 40));
    let json = serde_json::to_value(&alpha).unwrap();
    assert_eq!(json["average_composite"], json!(33.75));
    assert_eq!(json["top_performer"]["composite"], json!(45.0));
    assert_eq!(json["distribution"][4], json!({"from": 40, "to": 50, "count": 2}));

    let solo = team_summary(pool, id(SOLO), &period("2026-W47")).await.unwrap().unwrap();
    assert_eq!((solo.member_count, solo.scored_count, solo.average_composite), (1, 0, None));
    assert!(solo.top_performer.is_none());
    assert!(team_summary(pool, Uuid::new_v4(), &w45).await.unwrap().is_none());

    // A2 (30) in Alpha [45, 30, 15, 45]: one below, one equal → 100·1.5/4.
    let PeerComparison::Shown(a2) = peer_comparison(pool, id(A2), &w45).await.unwrap() else {
        panic!("Alpha has 4 scored members, the minimum is 3")
    };
    assert_eq!(a2.percentile, dec("37.5"));
    assert_eq!(a2.team_average, dec("33.75"));
    assert_eq!(a2.team_size, 4);
    assert_eq!(a2.histogram.iter().map(|b| b.count).collect::<Vec<_>>(), [0, 1, 0, 1, 2, 0, 0, 0, 0, 0]);
    let json = serde_json::to_value(PeerComparison::Shown(a2)).unwrap();
    let keys: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["suppressed", "percentile", "team_average", "histogram", "team_size"]));
    assert_eq!(json["suppressed"], false);
    assert!(!json.to_string().contains("a1000000"), "no ids: {json}");
    // A1 (45): two below, two equal → 100·3/4.
    let PeerComparison::Shown(a1) = peer_comparison(pool, id(A1), &w45).await.unwrap() else { panic!() };
    assert_eq!(a1.percentile, dec("75"));
    // A3 (15), the lowest: 100·0.5/4.
    let PeerComparison::Shown(a3) = peer_comparison(pool, id(A3), &w45).await.unwrap() else { panic!() };
    assert_eq!(a3.percentile, dec("12.5"));

    // Suppressed: Solo has 1 scored member (< 3), A6 has no scoring team, A5 no score.
    for (who, reason) in [
        (X, SuppressionReason::TeamTooSmall),
        (A6, SuppressionReason::NoScoringTeam),
        (A5, SuppressionReason::NotScored),
    ] {
        let result = peer_comparison(pool, id(who), &w45).await.unwrap();
        let PeerComparison::Suppressed(s) = &result else { panic!("{who}: {result:?}") };
        assert_eq!(s.reason, reason, "{who}");
        let json = serde_json::to_value(&result).unwrap();
        let keys: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["suppressed", "reason", "detail"]), "{who}: {json}");
        assert_eq!(json["suppressed"], true);
    }
    // In week 46 Alpha has only A2 scored: too small.
    let w46 = peer_comparison(pool, id(A2), &period("2026-W46")).await.unwrap();
    assert!(matches!(w46, PeerComparison::Suppressed(ref s) if s.reason == SuppressionReason::TeamTooSmall));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drilldown_lists_exactly_the_credited_events() {
    let db = seeded().await;
    let pool = &db.pool;
    let w45 = day("2026-11-02");

    let event_ids = |page: &perfledger_api::queries::Page<perfledger_api::queries::EventRow>| {
        page.items.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>()
    };
    // Support: A2's assignments and resolutions of week 45 (the openings have
    // no assignee; the week-46 ticket lies between them in the log).
    let support = drilldown(pool, id(A2), w45, Domain::Support, 500, 0).await.unwrap().unwrap();
    assert_eq!(event_ids(&support), ["t-a2-1-a", "t-a2-1-r", "t-a2-2-a", "t-a2-2-r"]);
    assert_eq!(support.total, 4);
    assert!(support.items.windows(2).all(|w| w[0].global_position < w[1].global_position));
    let resolved = &support.items[1];
    assert_eq!(resolved.event_type, "ticket.resolved");
    assert_eq!(resolved.occurred_at, at("2026-11-03T10:30:00Z"));
    assert_eq!(resolved.data["ticket_id"], "t-a2-1");
    assert_eq!(resolved.data["resolver_person_id"], A2);
    assert_eq!(resolved.data["sla_met"], true);
    let between: Vec<i64> = sqlx::query_scalar(
        "SELECT global_position FROM events WHERE event_id LIKE 't-a2-w46-%' ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(between.len(), 3);
    assert!(between.iter().all(|p| *p > support.items[0].global_position && *p < support.items[3].global_position));

    // Data quality: only the resolutions.
    let quality = drilldown(pool, id(A2), w45, Domain::DataQuality, 500, 0).await.unwrap().unwrap();
    assert_eq!(event_ids(&quality), ["t-a2-1-r", "t-a2-2-r"]);

    // Pages.
    let first = drilldown(pool, id(A2), w45, Domain::Support, 3, 0).await.unwrap().unwrap();
    assert_eq!((event_ids(&first).len(), first.total, first.limit), (3, 4, 3));
    let rest = drilldown(pool, id(A2), w45, Domain::Support, 3, 3).await.unwrap().unwrap();
    assert_eq!(event_ids(&rest), ["t-a2-2-r"]);

    // Week 46: only the week-46 ticket.
    let w46 = drilldown(pool, id(A2), day("2026-11-09"), Domain::Support, 500, 0).await.unwrap().unwrap();
    assert_eq!(event_ids(&w46), ["t-a2-w46-a", "t-a2-w46-r"]);

    // No such score: no page. Not a Monday, a bad limit: the field is named.
    assert!(drilldown(pool, id(A5), w45, Domain::Support, 10, 0).await.unwrap().is_none());
    assert!(drilldown(pool, id(A2), w45, Domain::Sales, 10, 0).await.unwrap().is_none());
    match drilldown(pool, id(A2), day("2026-11-03"), Domain::Support, 10, 0).await {
        Err(e) if e.kind == ErrorKind::InvalidParameter => assert_eq!(e.field.as_deref(), Some("week")),
        other => panic!("{other:?}"),
    }
    match drilldown(pool, id(A2), w45, Domain::Support, 501, 0).await {
        Err(e) if e.kind == ErrorKind::InvalidParameter => assert_eq!(e.field.as_deref(), Some("limit")),
        other => panic!("{other:?}"),
    }
}
