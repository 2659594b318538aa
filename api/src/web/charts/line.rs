//! The weekly composite trend: y 0..100 with gridlines, ISO-week x labels, gaps for weeks without
//! activity, optional dashed threshold line, a marker with a tooltip per week.

use std::fmt::Write;

use super::svg::{chart_id, count_of, escape, finite, join, value_text, Num, Svg};
use super::Point;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 34.0;
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

fn describe(points: &[Point], threshold: Option<f64>) -> String {
    if points.is_empty() {
        return "No data: no weeks to show.".to_owned();
    }
    let mut desc = format!("Score by week on a 0 to 100 scale, {}. ", count_of(points.len() as u64, "week"));
    desc.push_str(&join(points.iter().map(|p| format!("{}: {}", p.label, value_text(p.value)))));
    desc.push('.');
    if let Some(t) = threshold {
        let _ = write!(desc, " Threshold {}.", Num(t));
    }
    desc
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
        svg.text(RIGHT, y_of(t) - 4.0, "class=\"thr-label\" text-anchor=\"end\"", &format!("threshold {}", Num(t)));
    }

    if points.is_empty() {
        svg.text((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0, "class=\"empty\" text-anchor=\"middle\"", "No data");
        return svg.finish();
    }

    // The trend: one subpath per run of consecutive weeks with a score; weeks without one break it.
    let mut trend = String::new();
    let mut pen_down = false;
    for (i, point) in points.iter().enumerate() {
        match finite(point.value) {
            Some(v) => {
                let _ = write!(
                    trend,
                    "{}{} {}",
                    if pen_down { "L" } else { "M" },
                    Num(x_of(i, points.len())),
                    Num(y_of(v))
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !trend.is_empty() {
        svg.push(format_args!("<path class=\"trend\" d=\"{trend}\"/>\n"));
    }

    // Markers with tooltips: a filled dot per scored week, a hollow one on the axis for a gap.
    for (i, point) in points.iter().enumerate() {
        let x = Num(x_of(i, points.len()));
        let tip = escape(&format!("{}: {}", point.label, value_text(point.value)));
        match finite(point.value) {
            Some(v) => svg.push(format_args!(
                "<circle class=\"pt\" cx=\"{x}\" cy=\"{}\" r=\"3.5\"><title>{tip}</title></circle>\n",
                Num(y_of(v))
            )),
            None => svg.push(format_args!(
                "<circle class=\"gap\" cx=\"{x}\" cy=\"{BOTTOM}\" r=\"3\"><title>{tip}</title></circle>\n"
            )),
        }
    }

    // X labels: the week under each point, the year under the first week and wherever it changes.
    // With many points only every k-th week is labelled so labels never overlap.
    let every = points.len().div_ceil(13).max(1);
    let mut last_year = None;
    for (i, point) in points.iter().enumerate() {
        let (week, year) = week_parts(&point.label);
        let x = x_of(i, points.len());
        if i % every == 0 {
            svg.text(x, BOTTOM + 16.0, "class=\"tick\" text-anchor=\"middle\"", week);
        }
        if let Some(y) = year.filter(|y| last_year != Some(*y)) {
            svg.text(x, BOTTOM + 30.0, "class=\"tick\" text-anchor=\"middle\"", y);
            last_year = Some(y);
        }
    }
    svg.finish()
}
