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

/// One x position of a trend: its label (an ISO week such as "2026-W20"), its value
/// (`None` = no activity, drawn as a gap) and whether the week is still in progress (its score
/// is partial: drawn hollow, reached by a dashed segment).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub partial: bool,
}

/// The narrowest a chart is drawn, in CSS px: a 375 px phone less the page's and the card's
/// padding and borders (`.content` .75rem, `.card` 1rem + 1px each side).
pub const PHONE_CHART_PX: f64 = 317.0;
/// The smallest rendered text size a chart may show, in CSS px.
pub const MIN_TEXT_PX: f64 = 11.0;
/// The text size of each chart kind below 480 px, in viewBox units: `charts.css` sets these
/// (a test keeps them equal), chosen so that `size × PHONE_CHART_PX / viewBox width ≥ MIN_TEXT_PX`.
pub const PHONE_TEXT: [(&str, f64, f64); 3] = [
    ("line", line::PHONE_TEXT, line::WIDTH),
    ("radar", radar::PHONE_TEXT, radar::WIDTH),
    ("hist", histogram::PHONE_TEXT, histogram::WIDTH),
];

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
