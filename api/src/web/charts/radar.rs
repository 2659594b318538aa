//! The domain radar: one axis per domain (0 at the centre, 100 at the rim), rings every 20 points,
//! the current period's polygon over the previous one, axis labels and a legend. A domain without
//! activity is a gap, not a 0: the polygon joins only the scored axes, and an unscored axis is
//! drawn dashed with a muted "no activity" label.

use std::fmt::Write;

use super::svg::{chart_id, escape, finite, join, value_text, Num, Svg};

pub(super) const WIDTH: f64 = 400.0;
/// Text size below 480 px (viewBox units): 14 × 317 / 400 = 11.1 px rendered.
pub(super) const PHONE_TEXT: f64 = 14.0;
const HEIGHT: f64 = 330.0;
const CX: f64 = 200.0;
const CY: f64 = 148.0;
const RADIUS: f64 = 105.0;

/// The point at `value` (0..100) on axis `index` of `count`; axis 0 points up, the rest clockwise.
fn at(index: usize, count: usize, value: f64) -> (f64, f64) {
    let angle = (index as f64 / count.max(1) as f64) * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
    let r = value.clamp(0.0, 100.0) / 100.0 * RADIUS;
    (CX + r * angle.cos(), CY + r * angle.sin())
}

fn score(values: &[Option<f64>], index: usize) -> Option<f64> {
    finite(values.get(index).copied().flatten())
}

/// Polygon `points` for one series through its scored axes only: an axis without a score is
/// left out (a gap), never drawn at the centre as if it scored 0.
fn polygon(values: &[Option<f64>], count: usize) -> String {
    let mut points = String::new();
    for i in 0..count {
        if let Some(v) = score(values, i) {
            let (x, y) = at(i, count, v);
            let _ = write!(points, "{}{},{}", if points.is_empty() { "" } else { " " }, Num(x), Num(y));
        }
    }
    points
}

fn describe(axes: &[&str], current: &[Option<f64>], previous: &[Option<f64>]) -> String {
    if axes.is_empty() {
        return "No data: no domains to show.".to_owned();
    }
    let has_previous = (0..axes.len()).any(|i| score(previous, i).is_some());
    let parts = axes.iter().enumerate().map(|(i, axis)| {
        let now = value_text(score(current, i));
        if has_previous {
            format!("{axis}: {now} (previous {})", value_text(score(previous, i)))
        } else {
            format!("{axis}: {now}")
        }
    });
    let mut desc = format!("Domain scores on a 0 to 100 scale, current period. {}.", join(parts));
    if !has_previous {
        desc.push_str(" No scores in the previous period.");
    }
    desc
}

pub fn radar(title: &str, axes: &[&str], current: &[Option<f64>], previous: &[Option<f64>]) -> String {
    let id = chart_id("radar", title, &format!("{axes:?}{current:?}{previous:?}"));
    let mut svg = Svg::open("radar", &id, WIDTH as u32, HEIGHT as u32, title, &describe(axes, current, previous));
    let count = axes.len();
    if count == 0 {
        svg.text(CX, CY, "class=\"empty\" text-anchor=\"middle\"", "No data");
        return svg.finish();
    }

    // Rings every 20 points and the spokes, as one grid path; ring values along the upward spoke.
    let mut grid = String::new();
    for ring in 1..=5 {
        for i in 0..=count {
            let (x, y) = at(i % count, count, f64::from(ring * 20));
            let _ = write!(grid, "{}{} {}", if i == 0 { "M" } else { "L" }, Num(x), Num(y));
        }
    }
    // Spokes: solid for a scored domain, dashed (a gap) for one without activity.
    let mut gaps = String::new();
    for i in 0..count {
        let (x, y) = at(i, count, 100.0);
        let spokes = if score(current, i).is_some() { &mut grid } else { &mut gaps };
        let _ = write!(spokes, "M{CX} {CY}L{} {}", Num(x), Num(y));
    }
    svg.push(format_args!("<path class=\"grid\" d=\"{grid}\"/>\n"));
    if !gaps.is_empty() {
        svg.push(format_args!("<path class=\"grid gap\" d=\"{gaps}\"/>\n"));
    }
    for ring in 1..=5 {
        let (_, y) = at(0, count, f64::from(ring * 20));
        svg.text(CX + 3.0, y + 10.0, "class=\"tick\"", &(ring * 20).to_string());
    }

    let has_previous = (0..count).any(|i| score(previous, i).is_some());
    let has_current = (0..count).any(|i| score(current, i).is_some());
    let series = [("prev", previous, has_previous, " (previous period)"), ("cur", current, has_current, "")];
    for (class, values, present, _) in series {
        if present {
            svg.push(format_args!("<polygon class=\"{class}\" points=\"{}\"/>\n", polygon(values, count)));
        }
    }
    // A marker with a tooltip per scored vertex; unscored ones are named in the text alternative.
    for (class, values, present, suffix) in series {
        if !present {
            continue;
        }
        for (i, axis) in axes.iter().enumerate() {
            if let Some(v) = score(values, i) {
                let (x, y) = at(i, count, v);
                let tip = escape(&format!("{axis}{suffix}: {}", Num(v)));
                svg.push(format_args!(
                    "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"3\"><title>{tip}</title></circle>\n",
                    Num(x),
                    Num(y)
                ));
            }
        }
    }

    // Axis labels just outside the rim, anchored away from the centre; unscored domains are muted.
    for (i, axis) in axes.iter().enumerate() {
        let (x, y) = at(i, count, 100.0);
        let (dx, dy) = (x - CX, y - CY);
        let anchor = if dx.abs() < 1.0 {
            "middle"
        } else if dx > 0.0 {
            "start"
        } else {
            "end"
        };
        let x = x + dx.signum() * if dx.abs() < 1.0 { 0.0 } else { 8.0 };
        let y = y + if dy < -1.0 {
            -8.0
        } else if dy > 1.0 {
            16.0
        } else {
            4.0
        };
        if score(current, i).is_some() {
            svg.text(x, y, &format!("class=\"axis\" text-anchor=\"{anchor}\""), axis);
        } else {
            // The label, and under it why there is no point on this axis (above the rim, the
            // label moves up a line so the two still read top to bottom, away from the chart).
            let label_y = if dy < -1.0 { y - 16.0 } else { y };
            svg.text(x, label_y, &format!("class=\"axis na\" text-anchor=\"{anchor}\""), axis);
            svg.text(x, label_y + 16.0, &format!("class=\"na\" text-anchor=\"{anchor}\""), "no activity");
        }
    }

    // Legend: what the filled and the dashed polygons are.
    let legend_y = HEIGHT - 18.0;
    svg.push(format_args!("<rect class=\"cur\" x=\"120\" y=\"{}\" width=\"12\" height=\"12\"/>\n", legend_y - 10.0));
    svg.text(138.0, legend_y, "class=\"lg\"", "Current period");
    if has_previous {
        svg.push(format_args!(
            "<rect class=\"prev\" x=\"256\" y=\"{}\" width=\"12\" height=\"12\"/>\n",
            legend_y - 10.0
        ));
        svg.text(274.0, legend_y, "class=\"lg\"", "Previous period");
    }
    svg.finish()
}
