//! Scoring must be fast: 500 people × 6 domains in well under 50 ms in a
//! release build (team baselines are computed once per team).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use perfledger_domain::catalog::ConversationChannel::{Email, Sms};
use perfledger_domain::catalog::TeamType;
use perfledger_domain::event::LogEvent;
use perfledger_domain::scoring::accumulate::{accumulate, DayKey, PersonDay};
use perfledger_domain::scoring::formulas::{score_period, PeriodInput, PersonPeriod, TeamInfo};
use perfledger_domain::settings::Settings;
use uuid::Uuid;

use super::common::*;

#[test]
fn five_hundred_people_in_six_domains_score_fast() {
    let people: Vec<Uuid> = (0..500u128).map(|i| Uuid::from_u128(0x1000 + i)).collect();
    let mut days: HashMap<DayKey, PersonDay> = HashMap::new();
    let mut position = 0;
    for (i, p) in people.iter().enumerate() {
        let p = *p;
        let id = |k: &str| format!("{k}-{i}");
        let minutes = 10 + (i as i64 % 37);
        let bodies = vec![
            ticket_resolved(&id("T"), p, minutes, Some(i % 3 == 0), i % 5 == 0, (i % 2) as u32),
            ticket_rated(&id("T"), p, 1 + (i % 5) as u8),
            task_created(&id("X"), Some(p)),
            task_completed(&id("X"), Some(p), Some(i % 2 == 0), Some("0.75")),
            wo_assigned(&id("W"), p),
            wo_completed(&id("W"), Some(p), Some("12"), Some("0.5"), i % 4 == 0),
            conv_sent(&id("C"), p, if i % 2 == 0 { Email } else { Sms }, Some("7.5")),
            conv_resolved(&id("C"), Some(p), minutes * 2, 1, Email),
            lead_created(&id("L"), p, "1200.50"),
            lead_contacted(&id("L"), p),
            quote_sent(&id("Q"), p),
            contact_saved(&id("K"), p, &["email", "phone"]),
            org_saved(&id("O"), p, &["name"]),
            ticket_commented(&id("T"), p, 60 + i as u32),
        ];
        for body in bodies {
            position += 1;
            let event = LogEvent { event_id: format!("e{position}"), occurred_at: at("09:00"), body };
            accumulate(&mut days, position, &event);
        }
    }
    let merged = merge_days(&days);
    let team_of = |i: usize| Uuid::from_u128(0x7000 + (i / 10) as u128);
    let mut teams: BTreeMap<Uuid, TeamInfo> = BTreeMap::new();
    let types = [TeamType::Support, TeamType::Operations, TeamType::FieldService, TeamType::Sales, TeamType::Other];
    for (i, p) in people.iter().enumerate().take(450) {
        teams
            .entry(team_of(i))
            .or_insert_with(|| TeamInfo { team_type: types[i / 10 % 5], members: Default::default() })
            .members
            .insert(*p);
    }
    let input_people: BTreeMap<Uuid, PersonPeriod> = merged
        .into_iter()
        .map(|(p, activity)| {
            let i = people.iter().position(|x| *x == p).unwrap();
            (p, PersonPeriod { activity, scoring_team: (i < 450).then(|| team_of(i)) })
        })
        .collect();
    let settings = Settings::default();
    let input = PeriodInput { people: input_people, teams, settings: &settings };

    let start = Instant::now();
    let scores = score_period(&input);
    let elapsed = start.elapsed();
    assert_eq!(scores.len(), 500);
    assert!(scores.iter().all(|s| s.domains.len() == 6));
    eprintln!("scored 500 people × 6 domains in {elapsed:?}");
    let budget = if cfg!(debug_assertions) { Duration::from_millis(2_000) } else { Duration::from_millis(50) };
    assert!(elapsed < budget, "scoring took {elapsed:?}, budget {budget:?}");
}
