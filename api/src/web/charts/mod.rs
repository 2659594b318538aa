//! perfledger's own inline SVG charts, drawn on the server (no JS, no CDN).
//! Placeholder bodies: valid, accessible SVG; the real drawings follow.

/// One x position of a trend: its label (an ISO week) and its value (`None` = no activity, drawn as a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
}

fn placeholder(title: &str) -> String {
    let t = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="c-t c-d" viewBox="0 0 10 10" width="100%"><title id="c-t">{t}</title><desc id="c-d">{t}</desc></svg>"#
    )
}

/// 12-week composite trend, y 0..100, x labels = ISO weeks, optional dashed threshold line.
pub fn line_chart(title: &str, _points: &[Point], _threshold: Option<f64>) -> String {
    placeholder(title)
}

/// Six domain axes, 0..100, current polygon vs previous polygon.
pub fn radar(title: &str, _axes: &[&str], _current: &[Option<f64>], _previous: &[Option<f64>]) -> String {
    placeholder(title)
}

/// Score distribution: `(from, to, count)` buckets; `highlight` = the viewer's own bucket.
pub fn histogram(title: &str, _buckets: &[(u32, u32, u32)], _highlight: Option<usize>) -> String {
    placeholder(title)
}

/// Small inline trend for a leaderboard row.
pub fn sparkline(title: &str, _values: &[Option<f64>]) -> String {
    placeholder(title)
}

/// Domain mini-bars, 0..100.
pub fn bars(title: &str, _items: &[(String, Option<f64>)]) -> String {
    placeholder(title)
}

/// Colour band of a score: "good" (>= 70), "warn" (>= 40), "bad", or "none" without a score.
pub fn score_class(score: Option<f64>) -> &'static str {
    match score {
        Some(s) if s >= 70.0 => "good",
        Some(s) if s >= 40.0 => "warn",
        Some(_) => "bad",
        None => "none",
    }
}
