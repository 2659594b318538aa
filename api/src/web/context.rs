//! What a manager reads first beside a score (issue 15, item 8): the change
//! against the previous period, the volume of work behind it (and whether it
//! is too little to lean on) and whether the period is still in progress.
//! Pure functions over numbers the pages already read.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use perfledger_domain::scoring::Domain;

use crate::period_query::{Period, PeriodKind};

/// A score resting on fewer items than this (tickets, tasks, work orders,
/// conversations, leads and quotes, saved records) is marked "low volume":
/// one item more or less moves it by many points.
pub const LOW_VOLUME_ITEMS: u64 = 5;

/// The sentence the pages show once beside the marker.
pub fn low_volume_rule() -> String {
    format!("Low volume: fewer than {LOW_VOLUME_ITEMS} items behind the score, so one item moves it a lot.")
}

/// The change of a score against the previous period, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `↑ 3.2`, `↓ 1.0` or `= 0.0`.
    pub text: String,
    /// `up`, `down` or `same` (a CSS class).
    pub class: &'static str,
    /// The same in words, for screen readers and tooltips.
    pub words: String,
    /// "against last week (61.0)": what the arrow is measured from, shown
    /// beside it where there is room (cards), so the words are not said twice.
    pub since: String,
}

impl Change {
    /// For a count where more is worse (people needing coaching): an
    /// increase is coloured as a loss, a decrease as a gain.
    pub fn lower_is_better(mut self) -> Change {
        self.class = match self.class {
            "up" => "up worse",
            "down" => "down better",
            other => other,
        };
        self
    }
}

/// `current` against `previous` (both shown with one decimal); `None` when
/// either has no score.
pub fn change(current: Option<f64>, previous: Option<f64>, against: &str) -> Option<Change> {
    let (now, before) = (current.filter(|v| v.is_finite())?, previous.filter(|v| v.is_finite())?);
    // The delta of the values as shown, so the arrow never contradicts them.
    let tenths = ((now * 10.0).round() - (before * 10.0).round()) as i64;
    let size = format!("{}.{}", tenths.abs() / 10, tenths.abs() % 10);
    let (arrow, class, verb) = match tenths.signum() {
        1 => ("↑", "up", "up"),
        -1 => ("↓", "down", "down"),
        _ => ("=", "same", "unchanged,"),
    };
    Some(Change {
        text: format!("{arrow} {size}"),
        class,
        since: format!("against {against} ({before:.1})"),
        words: if tenths == 0 {
            format!("unchanged against {against} ({before:.1})")
        } else {
            format!("{verb} {size} points against {against} ({before:.1})")
        },
    })
}

/// "last week" for a week, "the previous period" for any other range.
pub fn previous_name(period: &Period) -> &'static str {
    match period.kind {
        PeriodKind::Week => "last week",
        PeriodKind::Range => "the previous period",
    }
}

/// `Some("Week in progress: day 3 of 7 …")` while `today` is inside the period.
pub fn in_progress(period: &Period, today: NaiveDate) -> Option<String> {
    if today < period.start || today >= period.end {
        return None;
    }
    let elapsed = (today - period.start).num_days() + 1;
    let what = if period.kind == PeriodKind::Week { "Week" } else { "Period" };
    Some(format!(
        "{what} in progress: day {elapsed} of {}. Its scores are partial and will change until it ends.",
        period.days()
    ))
}

/// The counts a metric carries: its numerator, denominator and raw value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricCounts {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub raw: Option<f64>,
}

/// The volume of work behind one domain score.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// The largest of the counts the domain's metrics rest on.
    pub items: u64,
    /// `12 tickets resolved, 3 ratings`.
    pub text: String,
    /// `12 tickets`: for a leaderboard row.
    pub short: String,
}

impl Volume {
    pub fn is_low(&self) -> bool {
        self.items < LOW_VOLUME_ITEMS
    }
}

fn count(value: Option<f64>) -> u64 {
    value.filter(|v| v.is_finite() && *v > 0.0).map(|v| v.round() as u64).unwrap_or(0)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The volume behind the `domain` score whose metrics are `metrics` (by key),
/// read from the counts the metric contract stores with each metric.
pub fn domain_volume(domain: Domain, metrics: &BTreeMap<String, MetricCounts>) -> Volume {
    let get = |key: &str| metrics.get(key).copied().unwrap_or_default();
    let (parts, short_noun): (Vec<(u64, String)>, (&str, &str)) = match domain {
        Domain::Support => {
            let resolved = count(get("escalation_rate").denominator);
            let ratings = count(get("csat_avg_rating").denominator);
            let mut parts = vec![(resolved, plural(resolved, "ticket resolved", "tickets resolved"))];
            if ratings > 0 {
                parts.push((ratings, plural(ratings, "rating", "ratings")));
            }
            (parts, ("ticket", "tickets"))
        }
        Domain::Operations => {
            let tasks = count(get("blocked_rate").denominator);
            (vec![(tasks, plural(tasks, "task", "tasks"))], ("task", "tasks"))
        }
        Domain::FieldService => {
            let assigned = count(get("completion_rate").denominator);
            let completed = count(get("documentation_rate").denominator);
            (
                vec![
                    (assigned, plural(assigned, "work order assigned", "work orders assigned")),
                    (completed, format!("{completed} completed")),
                ],
                ("work order", "work orders"),
            )
        }
        Domain::Communication => {
            let resolved = count(get("conversations_resolved").raw);
            let responses = count(get("avg_first_response_minutes").denominator);
            (
                vec![
                    (resolved, plural(resolved, "conversation resolved", "conversations resolved")),
                    (responses, plural(responses, "first response", "first responses")),
                ],
                ("conversation", "conversations"),
            )
        }
        Domain::Sales => {
            let closed = count(get("win_rate").denominator);
            let quotes = count(get("quote_acceptance_rate").denominator);
            let contacts = count(get("lead_contacts").raw);
            (
                vec![
                    (closed, plural(closed, "lead won or lost", "leads won or lost")),
                    (quotes, plural(quotes, "quote sent", "quotes sent")),
                    (contacts, plural(contacts, "lead contact", "lead contacts")),
                ],
                ("sales item", "sales items"),
            )
        }
        Domain::DataQuality => {
            // Completeness denominators are key fields × records (6 per contact, 7 per organisation).
            let contacts = count(get("contact_completeness").denominator) / 6;
            let organisations = count(get("organization_completeness").denominator) / 7;
            let notes = count(get("note_thoroughness").denominator);
            let records = contacts + organisations;
            (
                vec![
                    (records, plural(records, "record saved", "records saved")),
                    (notes, plural(notes, "note", "notes")),
                ],
                ("record", "records"),
            )
        }
    };
    let items = parts.iter().map(|(n, _)| *n).max().unwrap_or(0);
    Volume {
        items,
        text: parts.into_iter().map(|(_, text)| text).collect::<Vec<_>>().join(", "),
        short: plural(items, short_noun.0, short_noun.1),
    }
}

/// The volume behind a composite: every scored domain's, largest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PersonVolume {
    pub domains: Vec<(Domain, Volume)>,
}

impl PersonVolume {
    pub fn new(metrics: &BTreeMap<Domain, BTreeMap<String, MetricCounts>>) -> PersonVolume {
        let mut domains: Vec<(Domain, Volume)> =
            metrics.iter().map(|(domain, m)| (*domain, domain_volume(*domain, m))).collect();
        domains.sort_by(|a, b| b.1.items.cmp(&a.1.items).then(a.0.cmp(&b.0)));
        PersonVolume { domains }
    }

    /// The items behind the composite: the sum over its domains.
    pub fn items(&self) -> u64 {
        self.domains.iter().map(|(_, v)| v.items).sum()
    }

    pub fn is_low(&self) -> bool {
        self.items() < LOW_VOLUME_ITEMS
    }

    /// `42 tickets · 18 conversations`: the two largest, for a leaderboard row.
    pub fn short(&self) -> String {
        let mut text =
            self.domains.iter().filter(|(_, v)| v.items > 0).take(2).map(|(_, v)| v.short.clone()).collect::<Vec<_>>();
        if text.is_empty() {
            text.push("no items".into());
        }
        text.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn counts(pairs: &[(&str, Option<f64>, Option<f64>)]) -> BTreeMap<String, MetricCounts> {
        pairs
            .iter()
            .map(|(k, den, raw)| (k.to_string(), MetricCounts { numerator: None, denominator: *den, raw: *raw }))
            .collect()
    }

    #[test]
    fn the_change_is_the_delta_of_the_values_shown() {
        let up = change(Some(64.25), Some(61.04), "last week").unwrap();
        assert_eq!((up.text.as_str(), up.class), ("↑ 3.3", "up"));
        assert_eq!(up.words, "up 3.3 points against last week (61.0)");
        assert_eq!(up.since, "against last week (61.0)");
        let down = change(Some(55.0), Some(60.5), "last week").unwrap();
        assert_eq!((down.text.as_str(), down.class), ("↓ 5.5", "down"));
        let same = change(Some(70.01), Some(69.99), "last week").unwrap();
        assert_eq!((same.text.as_str(), same.class), ("= 0.0", "same"));
        assert_eq!(change(Some(7.0), Some(6.0), "last week").unwrap().lower_is_better().class, "up worse");
        assert_eq!(change(None, Some(1.0), "last week"), None);
        assert_eq!(change(Some(1.0), None, "last week"), None);
    }

    #[test]
    fn a_period_is_in_progress_until_its_last_day_ends() {
        let week = Period::week(d("2026-11-30"));
        assert_eq!(
            in_progress(&week, d("2026-12-02")).unwrap(),
            "Week in progress: day 3 of 7. Its scores are partial and will change until it ends."
        );
        assert!(in_progress(&week, d("2026-12-06")).unwrap().contains("day 7 of 7"));
        assert_eq!(in_progress(&week, d("2026-12-07")), None);
        assert_eq!(in_progress(&week, d("2026-11-29")), None);
        let month = Period::new(d("2026-12-01"), d("2027-01-01"));
        assert!(in_progress(&month, d("2026-12-06")).unwrap().starts_with("Period in progress: day 6 of 31"));
    }

    #[test]
    fn volume_comes_from_the_counts_the_metrics_rest_on() {
        let support = domain_volume(
            Domain::Support,
            &counts(&[("escalation_rate", Some(12.0), Some(0.1)), ("csat_avg_rating", Some(3.0), Some(4.0))]),
        );
        assert_eq!(support.text, "12 tickets resolved, 3 ratings");
        assert_eq!((support.items, support.short.as_str(), support.is_low()), (12, "12 tickets", false));
        let comm = domain_volume(
            Domain::Communication,
            &counts(&[("conversations_resolved", None, Some(1.0)), ("avg_first_response_minutes", Some(4.0), None)]),
        );
        assert_eq!(comm.text, "1 conversation resolved, 4 first responses");
        assert!(comm.is_low(), "4 items is below the rule");
        let dq = domain_volume(
            Domain::DataQuality,
            &counts(&[("contact_completeness", Some(12.0), None), ("organization_completeness", Some(7.0), None)]),
        );
        assert_eq!(dq.text, "3 records saved, 0 notes");
        let none = domain_volume(Domain::Operations, &BTreeMap::new());
        assert_eq!((none.items, none.text.as_str()), (0, "0 tasks"));
    }

    #[test]
    fn a_composite_sums_its_domains() {
        let mut metrics = BTreeMap::new();
        metrics.insert(Domain::Support, counts(&[("escalation_rate", Some(2.0), None)]));
        metrics.insert(Domain::Operations, counts(&[("blocked_rate", Some(2.0), None)]));
        let person = PersonVolume::new(&metrics);
        assert_eq!(person.items(), 4);
        assert!(person.is_low());
        assert_eq!(person.short(), "2 tickets · 2 tasks");
        assert_eq!(PersonVolume::default().short(), "no items");
    }
}
