//! What every page shares: the layout (title, navigation, CSRF token, flash,
//! asset URLs) and small formatting helpers, so templates stay free of logic.

use chrono::NaiveDate;
use perfledger_domain::format;
use perfledger_domain::scoring::{explain, Domain};

use super::assets;
use super::flash::Flash;
use super::session::WebUser;
use crate::period_query::{Period, PeriodKind};

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    MyPerformance,
    TeamPerformance,
    /// The audit log and the settings history (admins).
    Audit,
    Settings,
    None,
}

/// The frame around every page (`base.html`).
pub struct Layout {
    pub title: String,
    pub signed_in: bool,
    pub user_name: String,
    pub can_team: bool,
    pub my_active: bool,
    pub team_active: bool,
    pub audit_active: bool,
    /// Admins see the Admin section of the sidebar (issue 16).
    pub is_admin: bool,
    pub settings_active: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub css_href: &'static str,
    pub charts_css_href: &'static str,
    pub js_href: &'static str,
    pub favicon_href: &'static str,
}

impl Layout {
    pub fn signed_in(title: String, active: Nav, user: &WebUser) -> Layout {
        Layout {
            title,
            signed_in: true,
            user_name: user.display_name.clone(),
            can_team: user.manages_a_team,
            my_active: active == Nav::MyPerformance,
            team_active: active == Nav::TeamPerformance,
            audit_active: active == Nav::Audit,
            is_admin: user.principal.is_admin(),
            settings_active: active == Nav::Settings,
            csrf: user.csrf.clone(),
            flash: user.flash.clone(),
            css_href: assets::APP_CSS.href(),
            charts_css_href: assets::CHARTS_CSS.href(),
            js_href: assets::APP_JS.href(),
            favicon_href: assets::FAVICON.href(),
        }
    }

    /// For pages shown before sign-in.
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            signed_in: false,
            user_name: String::new(),
            can_team: false,
            my_active: false,
            team_active: false,
            audit_active: false,
            is_admin: false,
            settings_active: false,
            csrf: String::new(),
            flash: None,
            css_href: assets::APP_CSS.href(),
            charts_css_href: assets::CHARTS_CSS.href(),
            js_href: assets::APP_JS.href(),
            favicon_href: assets::FAVICON.href(),
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// A score for display (`domain::format::score`: one decimal, never rounded
/// across a whole-number threshold), or an em dash for "no activity".
pub fn score_text(score: Option<f64>) -> String {
    format::optional_score(score.map(format::decimal_of))
}

/// A composite for display next to its flag: a flagged score is shown under
/// `threshold` even when its stored 2-decimal value reached it (69.996 is
/// stored as 70.00 and flagged: "69.9").
pub fn composite_text(score: Option<f64>, flagged: Option<bool>, threshold: i64) -> String {
    match (score, flagged) {
        (Some(s), Some(true)) => format::flagged_score(format::decimal_of(s), threshold),
        _ => score_text(score),
    }
}

/// A metric value for display: up to two decimals, trailing zeros dropped.
pub fn number_text(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(v) => {
            let text = format!("{v:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            if text == "-0" {
                "0".to_string()
            } else {
                text.to_string()
            }
        }
    }
}

pub fn domain_label(domain: Domain) -> &'static str {
    domain.label()
}

/// A metric's name on the pages: the metric table's label
/// (`explain::metric_label`, "Ticket resolution time") when `domain` has it,
/// else the key in words.
pub fn metric_name(domain: Domain, key: &str) -> String {
    match explain::metric_info(domain, key) {
        Some(info) => info.label.to_string(),
        None => metric_label(key),
    }
}

/// A metric's name when only its key is known (a review's recommendation):
/// the table's label when one domain has that key, else the key in words.
pub fn metric_name_of_key(key: &str) -> String {
    let mut found = explain::METRIC_INFO.iter().filter(|m| m.key == key);
    match (found.next(), found.next()) {
        (Some(info), None) => info.label.to_string(),
        _ => metric_label(key),
    }
}

/// `avg_first_response_minutes` → `Avg first response minutes`;
/// `sla_compliance_rate` → `SLA compliance rate`.
pub fn metric_label(key: &str) -> String {
    let text = key
        .split('_')
        .map(|word| match word {
            "sla" | "csat" => word.to_uppercase(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Up to two initials of a name, for the avatar.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// One `<option>` of a `<select>`.
#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The period selector of a filter bar: which choice is selected and the
/// custom range's dates.
#[derive(Debug)]
pub struct PeriodPicker {
    pub choices: Vec<Choice>,
    pub custom: bool,
    pub from: String,
    pub to: String,
    pub label: String,
}

impl PeriodPicker {
    /// `named` is the `period` the request gave (`None` for from/to or none);
    /// with none, the last full week is selected (the default period,
    /// `crate::period_query`). `today` marks the week in progress.
    pub fn new(period: &Period, named: Option<&str>, today: NaiveDate) -> PeriodPicker {
        let custom = named.is_none() && period.kind == PeriodKind::Range;
        let selected = named.unwrap_or(if custom { "custom" } else { "last_week" });
        let this_week = match Period::week(today).in_progress(today) {
            Some((day, days)) => format!("This week (in progress, day {day} of {days})"),
            None => "This week".to_string(),
        };
        let mut choices: Vec<Choice> = [
            ("last_week", "Last full week".to_string()),
            ("this_week", this_week),
            ("last_month", "Last month".to_string()),
            ("custom", "Custom range".to_string()),
        ]
        .into_iter()
        .map(|(value, label)| Choice { value: value.into(), label, selected: value == selected })
        .collect();
        // An ISO week given by name (from a link) is shown as itself.
        if !choices.iter().any(|c| c.selected) {
            if let Some(name) = named.filter(|n| n.contains("-W")) {
                choices.insert(0, Choice { value: name.to_string(), label: period.label(), selected: true });
            }
        }
        let mut label = describe(period);
        if let Some((day, days)) = period.in_progress(today) {
            label.push_str(&format!(" · in progress, day {day} of {days}"));
        }
        PeriodPicker {
            choices,
            custom,
            from: if custom { period.start.to_string() } else { String::new() },
            to: if custom { period.last_day().to_string() } else { String::new() },
            label,
        }
    }

    /// The query string that selects this period again (`period=…` or `from=…&to=…`).
    pub fn query(&self) -> String {
        if self.custom {
            format!("from={}&to={}", self.from, self.to)
        } else {
            let value = self.choices.iter().find(|c| c.selected).map(|c| c.value.as_str()).unwrap_or("last_week");
            format!("period={value}")
        }
    }
}

/// `Week 2026-W48 (23 Nov – 29 Nov 2026)` or `1 Oct – 31 Oct 2026`.
pub fn describe(period: &Period) -> String {
    let range = format!("{} – {}", period.start.format("%-d %b %Y"), period.last_day().format("%-d %b %Y"));
    match period.kind {
        PeriodKind::Week => format!("Week {} ({range})", period.label()),
        PeriodKind::Range => range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(score_text(Some(72.456)), "72.5");
        // Issue 15: never "70.0" next to "needs coaching".
        assert_eq!(score_text(Some(69.95)), "69.9");
        assert_eq!(composite_text(Some(70.0), Some(true), 70), "69.9");
        assert_eq!(composite_text(Some(70.0), Some(false), 70), "70.0");
        assert_eq!(composite_text(Some(69.95), None, 70), "69.9");
        assert_eq!(score_text(None), "—");
        assert_eq!(number_text(Some(12.5)), "12.5");
        assert_eq!(number_text(Some(3.0)), "3");
        assert_eq!(number_text(Some(0.004)), "0");
        assert_eq!(metric_label("avg_first_response_minutes"), "Avg first response minutes");
        assert_eq!(metric_label("csat_avg_rating"), "CSAT avg rating");
        // The metric table's names where the domain (or the key alone) tells which metric.
        assert_eq!(metric_name(Domain::Support, "avg_resolution_minutes"), "Ticket resolution time");
        assert_eq!(metric_name(Domain::Communication, "avg_resolution_minutes"), "Conversation resolution time");
        assert_eq!(metric_name(Domain::Support, "support"), "Support");
        assert_eq!(metric_name_of_key("sla_compliance_rate"), "SLA compliance");
        assert_eq!(metric_name_of_key("avg_resolution_minutes"), "Avg resolution minutes", "two domains have it");
        assert_eq!(initials("Ada  Lovelace King"), "AL");
        assert_eq!(initials("émile"), "É");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }

    #[test]
    fn period_picker_selects_what_was_asked() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let week = Period::week(d("2026-11-23"));
        let today = d("2026-11-26");
        let picker = PeriodPicker::new(&week, Some("last_week"), today);
        assert_eq!(picker.query(), "period=last_week");
        assert!(!picker.custom);
        let none = PeriodPicker::new(&Period::week(d("2026-11-16")), None, today);
        assert_eq!(none.query(), "period=last_week", "the default is the last full week");
        assert_eq!(none.choices[0].label, "Last full week");
        assert!(!none.label.contains("in progress"), "{}", none.label);
        // This week is one click away, marked in progress with the days elapsed.
        let this_week = none.choices.iter().find(|c| c.value == "this_week").unwrap();
        assert_eq!(this_week.label, "This week (in progress, day 4 of 7)");
        let current = PeriodPicker::new(&week, Some("this_week"), today);
        assert!(current.label.ends_with("· in progress, day 4 of 7"), "{}", current.label);
        let iso = PeriodPicker::new(&week, Some("2026-W48"), today);
        assert_eq!(iso.query(), "period=2026-W48");
        let range = Period::new(d("2026-11-01"), d("2026-12-01"));
        let custom = PeriodPicker::new(&range, None, today);
        assert!(custom.custom);
        assert_eq!(custom.query(), "from=2026-11-01&to=2026-11-30");
        assert_eq!(describe(&range), "1 Nov 2026 – 30 Nov 2026");
    }
}
