//! The weekly composite trend: y 0..100 with gridlines, ISO-week x labels, gaps for weeks without
//! activity (the line breaks, a faint dashed line marks the week), optional dashed threshold line, a
//! marker with a tooltip per week; a week in progress is a hollow marker reached by a dashed line.

use std::fmt::Write;

use super::svg::{chart_id, count_of, escape, finite, join, value_text, Num, Svg};
use super::Point;

pub(super) const WIDTH: f64 = 480.0;
/// Text size below 480 px (viewBox units): 17 × 317 / 480 = 11.2 px rendered.
pub(super) const PHONE_TEXT: f64 = 17.0;
const HEIGHT: f64 = 220.0;
/// Room for "100" at [`PHONE_TEXT`] left of the plot.
const LEFT: f64 = 40.0;
const RIGHT: f64 = 470.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 180.0;
/// Inset of the first and last point from the plot edges, so markers are not clipped.
const INSET: f64 = 14.0;

fn y_of(value: f64) -> f64 {
    BOTTOM - value.clamp(0.0, 100.0) / 100.0 * (BOTTOM - TOP)
}

fn x_of(index: usize, count: usize) -> f64 {
    if count <= 1 {
        (LEFT + RIGHT) / 2.0
    } else {
        LEFT + INSET + index as f64 * (RIGHT - LEFT - 2.0 * INSET) / (count - 1) as f64
    }
}

/// Splits "2026-W20" into ("W20", "2026"); any other label is shown whole.
fn week_parts(label: &str) -> (&str, Option<&str>) {
    match label.split_once("-W") {
        Some((year, week))
            if year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && week.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (&label[year.len() + 1..], Some(year))
        }
        _ => (label, None),
    }
}

/// "2026-W20: 72.5", with "(partial, week in progress)" for a week not over yet.
fn point_text(point: &Point) -> String {
    let partial = if point.partial { " (partial, week in progress)" } else { "" };
    format!("{}: {}{partial}", point.label, value_text(point.value))
}

fn describe(points: &[Point], threshold: Option<f64>) -> String {
    if points.is_empty() {
        return "No data: no weeks to show.".to_owned();
    }
    let mut desc = format!("Score by week on a 0 to 100 scale, {}. ", count_of(points.len() as u64, "week"));
    desc.push_str(&join(points.iter().map(point_text)));
    desc.push('.');
    if let Some(t) = threshold {
        let _ = write!(desc, " Threshold {}.", Num(t));
    }
    desc
}

/// The week labels (x, text, alt): with many points only every k-th week is labelled, counted
/// back from the latest, so labels never overlap; every other one of those is `alt`, hidden on a
/// phone where the text is larger (`charts.css`).
pub(super) fn week_labels(points: &[Point]) -> Vec<(f64, &str, bool)> {
    let every = points.len().div_ceil(13).max(1);
    let last = points.len().saturating_sub(1);
    points
        .iter()
        .enumerate()
        .filter(|(i, _)| (last - i).is_multiple_of(every))
        .map(|(i, p)| (x_of(i, points.len()), week_parts(&p.label).0, ((last - i) / every) % 2 == 1))
        .collect()
}

pub fn line_chart(title: &str, points: &[Point], threshold: Option<f64>) -> String {
    let threshold = finite(threshold);
    let id = chart_id("line", title, &format!("{points:?}{threshold:?}"));
    let mut svg = Svg::open("line", &id, WIDTH as u32, HEIGHT as u32, title, &describe(points, threshold));

    // Horizontal gridlines and y labels every 20 points.
    let mut grid = String::from("<path class=\"grid\" d=\"");
    for step in 0..=5 {
        let y = y_of(f64::from(step * 20));
        let _ = write!(grid, "M{LEFT} {}H{RIGHT}", Num(y));
    }
    grid.push_str("\"/>\n");
    svg.push(grid);
    for step in 0..=5 {
        let value = step * 20;
        svg.text(LEFT - 6.0, y_of(f64::from(value)) + 4.0, "class=\"tick\" text-anchor=\"end\"", &value.to_string());
    }

    if let Some(t) = threshold {
        let y = Num(y_of(t));
        svg.push(format_args!("<path class=\"thr\" d=\"M{LEFT} {y}H{RIGHT}\"/>\n"));
    }

    if points.is_empty() {
        if let Some(t) = threshold {
            svg.text(RIGHT, y_of(t) - 4.0, "class=\"thr-label\" text-anchor=\"end\"", &format!("threshold {}", Num(t)));
        }
        svg.text((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0, "class=\"empty\" text-anchor=\"middle\"", "No data");
        return svg.finish();
    }

    // The trend: one subpath per run of consecutive finished weeks with a score; weeks without one
    // break it. A week in progress is reached by a dashed segment of its own.
    let mut trend = String::new();
    let mut partial = String::new();
    let mut pen_down = false;
    let mut previous: Option<(Num, Num)> = None;
    for (i, point) in points.iter().enumerate() {
        let at = finite(point.value).map(|v| (Num(x_of(i, points.len())), Num(y_of(v))));
        match at {
            Some((x, y)) if point.partial => {
                if let Some((px, py)) = previous {
                    let _ = write!(partial, "M{px} {py}L{x} {y}");
                }
                pen_down = false;
            }
            Some((x, y)) => {
                let _ = write!(trend, "{}{x} {y}", if pen_down { "L" } else { "M" });
                pen_down = true;
            }
            None => pen_down = false,
        }
        previous = at;
    }
    if !trend.is_empty() {
        svg.push(format_args!("<path class=\"trend\" d=\"{trend}\"/>\n"));
    }
    if !partial.is_empty() {
        svg.push(format_args!("<path class=\"trend partial\" d=\"{partial}\"/>\n"));
    }

    // Markers with tooltips: a filled dot per scored week (hollow while in progress); a week without
    // activity is a faint dashed line across the plot, never a dot at 0 that would read as a score.
    for (i, point) in points.iter().enumerate() {
        let x = Num(x_of(i, points.len()));
        let tip = escape(&point_text(point));
        let class = if point.partial { "pt partial" } else { "pt" };
        match finite(point.value) {
            Some(v) => svg.push(format_args!(
                "<circle class=\"{class}\" cx=\"{x}\" cy=\"{}\" r=\"3.5\"><title>{tip}</title></circle>\n",
                Num(y_of(v))
            )),
            None => {
                svg.push(format_args!("<path class=\"gap\" d=\"M{x} {TOP}V{BOTTOM}\"><title>{tip}</title></path>\n"))
            }
        }
    }

    // The threshold's label last, over the markers (its halo keeps it readable where the trend
    // crosses it).
    if let Some(t) = threshold {
        svg.text(RIGHT, y_of(t) - 4.0, "class=\"thr-label\" text-anchor=\"end\"", &format!("threshold {}", Num(t)));
    }

    // X labels: the week under each point (see [`week_labels`]), the year under the first week and
    // wherever it changes.
    for (x, week, alt) in week_labels(points) {
        let class = if alt { "tick alt" } else { "tick" };
        svg.text(x, BOTTOM + 16.0, &format!("class=\"{class}\" text-anchor=\"middle\""), week);
    }
    let mut last_year = None;
    for (i, point) in points.iter().enumerate() {
        if let Some(y) = week_parts(&point.label).1.filter(|y| last_year != Some(*y)) {
            svg.text(x_of(i, points.len()), BOTTOM + 30.0, "class=\"tick\" text-anchor=\"middle\"", y);
            last_year = Some(y);
        }
    }
    svg.finish()
}
