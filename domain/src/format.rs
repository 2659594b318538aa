//! How numbers read to people (issue 15): scores, metric values in their
//! units, points, percentiles and money. The one formatter behind the pages,
//! the CSV headers and the review prompts, so a value reads the same
//! everywhere. Pure; values are `Decimal` (a caller holding an `f64` of a
//! stored 2-decimal value converts it with [`decimal_of`]).
//!
//! Scores never cross a whole number when rounded (docs/decisions.md,
//! "Displayed scores"): the flag threshold and the colour bands are whole
//! numbers, so 69.95 shows as 69.9 next to "needs coaching", never 70.0.

use rust_decimal::{Decimal, RoundingStrategy};

/// The unit of a metric's raw value (`metrics_json`'s `raw_value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share 0–1, shown as a percentage (0.8 → "80 %").
    Share,
    /// Minutes, shown as "42.2 min" or "6 h 38 min".
    Minutes,
    /// A mean rating 1–5, shown as "4.2 of 5".
    Rating,
    /// A count of things, shown with its noun: "12 conversations".
    Count { one: &'static str, many: &'static str },
    /// An amount of money in the CRM's currency, shown with two decimals.
    Money,
    /// Characters of text, shown as "211 characters".
    Characters,
}

impl Unit {
    /// The unit's name in the API (`metric_rules`' `unit`).
    pub fn key(self) -> &'static str {
        match self {
            Unit::Share => "percent",
            Unit::Minutes => "minutes",
            Unit::Rating => "rating_of_5",
            Unit::Count { .. } => "count",
            Unit::Money => "money",
            Unit::Characters => "characters",
        }
    }

    /// A short unit label for column headers: "%", "min", "of 5", "conversations".
    pub fn label(self) -> &'static str {
        match self {
            Unit::Share => "%",
            Unit::Minutes => "min",
            Unit::Rating => "of 5",
            Unit::Count { many, .. } => many,
            Unit::Money => "amount",
            Unit::Characters => "characters",
        }
    }
}

/// `value` rounded half-up to `dp` decimals, trailing zeros dropped ("80", "42.2").
fn plain(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero).normalize();
    // "-0" reads as "0".
    if rounded.is_zero() {
        "0".to_string()
    } else {
        rounded.to_string()
    }
}

/// Digits grouped by thousands: 1250.5 → "1,250.50".
fn grouped(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", dp as usize, rounded.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    if rounded.is_sign_negative() && !rounded.is_zero() {
        format!("-{out}")
    } else {
        out
    }
}

/// A duration in minutes: under an hour with one decimal ("42.2 min"),
/// otherwise whole hours and minutes ("6 h 38 min", "2 h").
pub fn minutes(value: Decimal) -> String {
    if value.abs() < Decimal::from(60) {
        return format!("{} min", plain(value, 1));
    }
    let total = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let hours = (total / Decimal::from(60)).trunc();
    let rest = total - hours * Decimal::from(60);
    if rest.is_zero() {
        format!("{hours} h")
    } else {
        format!("{hours} h {} min", rest.abs())
    }
}

/// A metric value in its unit.
pub fn value(unit: Unit, value: Decimal) -> String {
    match unit {
        Unit::Share => format!("{} %", plain(value.saturating_mul(Decimal::ONE_HUNDRED), 1)),
        Unit::Minutes => minutes(value),
        Unit::Rating => format!("{} of 5", plain(value, 1)),
        Unit::Count { one, many } => {
            let text = plain(value, 1);
            format!("{text} {}", if text == "1" { one } else { many })
        }
        Unit::Money => grouped(value, 2),
        Unit::Characters => format!("{} characters", plain(value, 0)),
    }
}

/// A metric value in a table cell whose row names the thing counted
/// ("Conversations resolved | 9"): as [`value`], but a count without its noun.
pub fn cell_value(unit: Unit, v: Decimal) -> String {
    match unit {
        Unit::Count { .. } => plain(v, 1),
        _ => value(unit, v),
    }
}

/// A metric value, or an em dash when there is none.
pub fn optional_value(unit: Unit, v: Option<Decimal>) -> String {
    v.map_or_else(|| "—".to_string(), |v| value(unit, v))
}

/// Points: up to two decimals, trailing zeros dropped ("36", "6.48").
pub fn points(value: Decimal) -> String {
    plain(value, 2)
}

/// A gain of points: one decimal ("5.6"), two when one would show 0.
pub fn gain(value: Decimal) -> String {
    let one = plain(value, 1);
    if one == "0" {
        plain(value, 2)
    } else {
        one
    }
}

/// A score 0–100 with one decimal, rounded half-up, except that a value
/// within 0.05 under a whole number is cut to one decimal instead
/// (69.95 → "69.9", 69.94 → "69.9", 72.46 → "72.5"): a displayed score is
/// never on the other side of a whole-number threshold than the score.
pub fn score(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    let whole_above = value.floor() + Decimal::ONE;
    let shown = if value < whole_above && rounded >= whole_above {
        value.round_dp_with_strategy(1, RoundingStrategy::ToNegativeInfinity)
    } else {
        rounded
    };
    format!("{shown:.1}")
}

/// The score of someone flagged below `threshold`. A stored score is rounded
/// to 2 decimals, so an unrounded 69.996 is stored as 70.00 yet flagged:
/// it is shown as "69.9", under the threshold like the score it stands for.
pub fn flagged_score(value: Decimal, threshold: i64) -> String {
    let threshold = Decimal::from(threshold);
    if value >= threshold {
        score(threshold - Decimal::new(1, 1))
    } else {
        score(value)
    }
}

/// A score, or an em dash for "no activity".
pub fn optional_score(value: Option<Decimal>) -> String {
    value.map_or_else(|| "—".to_string(), score)
}

/// A percentile 0–100 as an ordinal: "64th percentile", "1st", "22nd", "13th".
pub fn percentile(value: Decimal) -> String {
    let whole = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).normalize();
    let n = whole.abs().trunc();
    let last_two = (n % Decimal::ONE_HUNDRED).to_string();
    let last = (n % Decimal::TEN).to_string();
    let suffix = match (last_two.as_str(), last.as_str()) {
        ("11" | "12" | "13", _) => "th",
        (_, "1") => "st",
        (_, "2") => "nd",
        (_, "3") => "rd",
        _ => "th",
    };
    format!("{whole}{suffix} percentile")
}

/// Money with two decimals and thousands separators, then the currency when
/// one is known ("12.40 USD").
pub fn money(value: Decimal, currency: Option<&str>) -> String {
    match currency.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("{} {c}", grouped(value, 2)),
        None => grouped(value, 2),
    }
}

/// A CSV column of scores with its unit: "composite (score 0-100)".
pub fn score_column(name: &str) -> String {
    format!("{name} (score 0-100)")
}

/// A weight share 0–1 as a percentage of the composite ("30 %").
pub fn weight(share: Decimal) -> String {
    value(Unit::Share, share)
}

/// The exact decimal of an `f64` read from a stored 2-decimal value (its
/// shortest text, so 69.95 stays 69.95); 0 for a non-finite number.
pub fn decimal_of(value: f64) -> Decimal {
    if !value.is_finite() {
        return Decimal::ZERO;
    }
    let text = value.to_string();
    text.parse::<Decimal>().or_else(|_| Decimal::from_scientific(&text)).unwrap_or(Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn scores_never_cross_a_whole_number() {
        assert_eq!(score(dec!(69.95)), "69.9");
        assert_eq!(score(dec!(69.99)), "69.9");
        assert_eq!(score(dec!(69.94)), "69.9");
        assert_eq!(score(dec!(70)), "70.0");
        assert_eq!(score(dec!(70.04)), "70.0");
        assert_eq!(score(dec!(72.45)), "72.5");
        assert_eq!(score(dec!(72.46)), "72.5");
        assert_eq!(score(dec!(39.96)), "39.9");
        assert_eq!(score(dec!(0)), "0.0");
        assert_eq!(score(dec!(100)), "100.0");
        assert_eq!(optional_score(None), "—");
    }

    #[test]
    fn a_flagged_score_stays_under_its_threshold() {
        // 69.996 unrounded is stored as 70.00 and flagged.
        assert_eq!(flagged_score(dec!(70.00), 70), "69.9");
        assert_eq!(flagged_score(dec!(69.95), 70), "69.9");
        assert_eq!(flagged_score(dec!(52.31), 70), "52.3");
    }

    #[test]
    fn values_carry_their_unit() {
        assert_eq!(value(Unit::Share, dec!(0.8)), "80 %");
        assert_eq!(value(Unit::Share, dec!(0.855)), "85.5 %");
        assert_eq!(value(Unit::Minutes, dec!(42.15)), "42.2 min");
        assert_eq!(value(Unit::Minutes, dec!(398)), "6 h 38 min");
        assert_eq!(value(Unit::Minutes, dec!(120)), "2 h");
        assert_eq!(value(Unit::Minutes, dec!(59.96)), "60 min");
        assert_eq!(value(Unit::Rating, dec!(4.25)), "4.3 of 5");
        assert_eq!(value(Unit::Count { one: "conversation", many: "conversations" }, dec!(12)), "12 conversations");
        assert_eq!(value(Unit::Count { one: "conversation", many: "conversations" }, dec!(1)), "1 conversation");
        assert_eq!(value(Unit::Money, dec!(1250.5)), "1,250.50");
        assert_eq!(value(Unit::Money, dec!(999)), "999.00");
        assert_eq!(value(Unit::Money, dec!(1234567)), "1,234,567.00");
        assert_eq!(value(Unit::Characters, dec!(211)), "211 characters");
        assert_eq!(optional_value(Unit::Share, None), "—");
        assert_eq!(cell_value(Unit::Count { one: "contact", many: "contacts" }, dec!(10.86)), "10.9");
        assert_eq!(cell_value(Unit::Minutes, dec!(398)), "6 h 38 min");
    }

    #[test]
    fn points_gains_percentiles_and_money() {
        assert_eq!(points(dec!(36.00)), "36");
        assert_eq!(points(dec!(6.484)), "6.48");
        assert_eq!(gain(dec!(5.579)), "5.6");
        assert_eq!(gain(dec!(0.04)), "0.04");
        assert_eq!(percentile(dec!(64)), "64th percentile");
        assert_eq!(percentile(dec!(63.5)), "64th percentile");
        assert_eq!(percentile(dec!(1)), "1st percentile");
        assert_eq!(percentile(dec!(22)), "22nd percentile");
        assert_eq!(percentile(dec!(13)), "13th percentile");
        assert_eq!(percentile(dec!(100)), "100th percentile");
        assert_eq!(money(dec!(12.4), Some("USD")), "12.40 USD");
        assert_eq!(money(dec!(12.4), None), "12.40");
        assert_eq!(weight(dec!(0.3)), "30 %");
        assert_eq!(score_column("support"), "support (score 0-100)");
    }

    #[test]
    fn decimals_of_stored_floats_are_exact() {
        assert_eq!(decimal_of(69.95), dec!(69.95));
        assert_eq!(decimal_of(0.1), dec!(0.1));
        assert_eq!(decimal_of(f64::NAN), Decimal::ZERO);
    }
}
