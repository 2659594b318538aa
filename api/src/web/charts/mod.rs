//! perfledger's own inline SVG charts, drawn on the server: pure functions from data to markup, no
//! JS, no CDN. Every chart is `role="img"` with a `<title>` and a `<desc>` that states the data in
//! words, has ids derived from its title and data (deterministic, unique per distinct chart),
//! escapes every text it embeds, scales with its container (`viewBox`, `width="100%"`) and takes
//! its colours only from CSS classes styled in `api/assets/charts.css` through the theme variables.
//!
//! Scores are drawn clamped to 0..100; a `None` or non-finite score means "no activity".

mod bars;
mod histogram;
mod line;
mod radar;
mod sparkline;
mod svg;

pub use bars::bars;
pub use histogram::histogram;
pub use line::line_chart;
pub use radar::radar;
pub use sparkline::sparkline;

/// One x position of a trend: its label (an ISO week such as "2026-W20") and its value
/// (`None` = no activity, drawn as a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
}

/// Colour band of a score, used as a CSS class: "good" (>= 70), "warn" (>= 40), "bad", or "none"
/// without a (finite) score.
pub fn score_class(score: Option<f64>) -> &'static str {
    match score.filter(|s| s.is_finite()) {
        Some(s) if s >= 70.0 => "good",
        Some(s) if s >= 40.0 => "warn",
        Some(_) => "bad",
        None => "none",
    }
}

#[cfg(test)]
mod tests;
