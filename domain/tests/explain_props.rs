//! Properties of the advice derived from the formulas (issue 15), over every
//! metric of the table, any value in its range and any team average:
//!
//! - an advised step never lowers the points, and adds some;
//! - it moves the value strictly the better way, so the advice never names
//!   a target the person already meets;
//! - where it names the point where points start, the value is not there yet;
//! - the words of the advice name the value after the step, in its unit.

use perfledger_domain::format::{self, Unit};
use perfledger_domain::scoring::explain::{advice, metric_info, step};
use perfledger_domain::scoring::formulas::{points_at, points_rule, PointsRule, METRIC_KEYS};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A value in the metric's range, at 2 decimals as stored.
fn value_for(unit: Unit, raw: u32) -> Decimal {
    let hundredths = match unit {
        Unit::Share => raw % 101,
        Unit::Rating => 100 + raw % 401,
        Unit::Minutes => raw % 200_000,
        Unit::Count { .. } => (raw % 300) * 100,
        Unit::Money => raw,
        Unit::Characters => raw % 40_000,
    };
    Decimal::new(i64::from(hundredths), 2)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn advice_follows_the_formula(metric in 0..METRIC_KEYS.len(), raw in any::<u32>(), team_raw in any::<u32>(), has_team in any::<bool>()) {
        let (domain, key, _) = METRIC_KEYS[metric];
        let info = metric_info(domain, key).expect("every metric has its words");
        let rule = points_rule(domain, key).expect("every metric has its rule");
        let x = value_for(info.unit, raw);
        let team = has_team.then(|| value_for(info.unit, team_raw));
        let now = points_at(domain, key, Some(x), team).unwrap();
        let text = advice(domain, key, Some(x), team).unwrap();
        prop_assert!(!text.contains("bring it"), "{}", text);
        if let Some(s) = step(domain, key, Some(x), team) {
            let after = points_at(domain, key, Some(s.to), team).unwrap();
            prop_assert!(after >= now, "{} {}: {} → {} lowers {} to {}", domain, key, x, s.to, now, after);
            prop_assert!(s.gain > Decimal::ZERO && after - now == s.gain);
            if rule.lower_is_better() {
                prop_assert!(s.to < x, "{} {}: target {} is not below {}", domain, key, s.to, x);
            } else {
                prop_assert!(s.to > x, "{} {}: target {} is not above {}", domain, key, s.to, x);
            }
            if let Some(start) = s.points_start_at {
                prop_assert!(rule.lower_is_better() && x >= start && s.to < start);
            }
            prop_assert!(text.contains(&format::value(info.unit, s.to)) || matches!(info.unit, Unit::Count { .. }), "{}", text);
            prop_assert!(text.contains("would add"), "{}", text);
        } else {
            // No step: full points, or a team rule without a team average.
            let max = Decimal::from(METRIC_KEYS[metric].2);
            let no_team = rule.against_team() && !matches!(team, Some(t) if t > Decimal::ZERO);
            prop_assert!(now >= max || no_team, "{} {} at {} ({} points) got no step", domain, key, x, now);
            prop_assert!(!text.contains("would add"), "{}", text);
        }
    }

    #[test]
    fn time_against_the_team_never_asks_for_the_team_average_when_better(team in 2u32..100_000, share in 1u32..1_000) {
        // x below the team average: x = team · share / 1000, at least 0.01.
        let x = (u64::from(team) * u64::from(share) / 1_000).max(1);
        let (x, team) = (Decimal::new(x as i64, 2), Decimal::new(i64::from(team), 2));
        prop_assume!(x < team);
        for (domain, key, _) in METRIC_KEYS.iter().filter(|(d, k, _)| points_rule(*d, k) == Some(PointsRule::BelowTeam)) {
            let text = advice(*domain, key, Some(x), Some(team)).unwrap();
            prop_assert!(!text.contains("team average"), "{}", text);
            let s = step(*domain, key, Some(x), Some(team)).expect("better than the team still has points to gain");
            prop_assert!(s.to < x && s.points_start_at.is_none());
        }
    }
}
