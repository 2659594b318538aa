//! The score distribution: one bar per bucket (`from`–`to`, count), counts on the y axis, the
//! bucket boundaries on the x axis (one short number per edge, so labels never collide even at a
//! phone's text size), the viewer's own bucket marked by a class and a "you" label, not by colour
//! alone.

use std::fmt::Write;

use super::svg::{chart_id, count_of, escape, join, Num, Svg};

pub(super) const WIDTH: f64 = 480.0;
/// Text size below 480 px (viewBox units): 17 × 317 / 480 = 11.2 px rendered.
pub(super) const PHONE_TEXT: f64 = 17.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 470.0;
/// Room above the plot for the "count" axis title at a phone's text size.
const TOP: f64 = 30.0;
const BOTTOM: f64 = 180.0;

fn bucket_label(&(from, to, _): &(u32, u32, u32)) -> String {
    format!("{from}–{to}")
}

/// The y-axis top and tick step: a 1/2/5×10ⁿ step giving at most five ticks above zero.
fn scale(max: u32) -> (u64, u64) {
    let max = u64::from(max);
    let mut magnitude = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            if max.div_ceil(step) <= 5 {
                return (max.div_ceil(step).max(1) * step, step);
            }
        }
        magnitude *= 10;
    }
}

fn describe(buckets: &[(u32, u32, u32)], highlight: Option<usize>) -> String {
    if buckets.is_empty() {
        return "No data: no buckets to show.".to_owned();
    }
    let total: u64 = buckets.iter().map(|b| u64::from(b.2)).sum();
    let mut desc = format!(
        "Distribution of {} in {}. {}.",
        count_of(total, "score"),
        count_of(buckets.len() as u64, "bucket"),
        join(buckets.iter().map(|b| format!("{}: {}", bucket_label(b), b.2)))
    );
    if let Some(bucket) = highlight.and_then(|i| buckets.get(i)) {
        let _ = write!(desc, " Your score is in the {} bucket.", bucket_label(bucket));
    }
    desc
}

pub fn histogram(title: &str, buckets: &[(u32, u32, u32)], highlight: Option<usize>) -> String {
    let highlight = highlight.filter(|&i| i < buckets.len());
    let id = chart_id("hist", title, &format!("{buckets:?}{highlight:?}"));
    let mut svg = Svg::open("hist", &id, WIDTH as u32, HEIGHT as u32, title, &describe(buckets, highlight));

    let max = buckets.iter().map(|b| b.2).max().unwrap_or(0);
    let (top, step) = scale(max);
    let y_of = |count: u64| BOTTOM - count as f64 / top as f64 * (BOTTOM - TOP);

    let mut grid = String::new();
    let mut tick = 0u64;
    while tick <= top {
        let _ = write!(grid, "M{LEFT} {}H{RIGHT}", Num(y_of(tick)));
        tick += step;
    }
    svg.push(format_args!("<path class=\"grid\" d=\"{grid}\"/>\n"));
    let mut tick = 0u64;
    while tick <= top {
        svg.text(LEFT - 6.0, y_of(tick) + 4.0, "class=\"tick\" text-anchor=\"end\"", &tick.to_string());
        tick += step;
    }
    svg.text(4.0, TOP - 14.0, "class=\"tick\"", "count");

    if max == 0 {
        let message = if buckets.is_empty() { "No data" } else { "No scores yet" };
        svg.text((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0, "class=\"empty\" text-anchor=\"middle\"", message);
    }

    let slot = (RIGHT - LEFT) / buckets.len().max(1) as f64;
    let bar_width = Num(slot * 0.8);
    for (i, bucket) in buckets.iter().enumerate() {
        let label = bucket_label(bucket);
        let count = u64::from(bucket.2);
        let x = LEFT + slot * i as f64 + slot * 0.1;
        let centre = LEFT + slot * (i as f64 + 0.5);
        let class = if highlight == Some(i) { "bar hl" } else { "bar" };
        let you = if highlight == Some(i) { " (your bucket)" } else { "" };
        svg.push(format_args!(
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{bar_width}\" height=\"{}\"><title>{}</title></rect>\n",
            Num(x),
            Num(y_of(count)),
            Num(BOTTOM - y_of(count)),
            escape(&format!("{label}: {count}{you}"))
        ));
        if count > 0 {
            svg.text(centre, y_of(count) - 4.0, "class=\"val\" text-anchor=\"middle\"", &count.to_string());
        }
        if highlight == Some(i) {
            svg.text(centre, BOTTOM + 30.0, "class=\"you\" text-anchor=\"middle\"", "▲ you");
        }
    }
    // The boundaries: each bucket's `from` at its left edge, the last bucket's `to` at the right.
    for (x, text) in edge_labels(buckets) {
        svg.text(x, BOTTOM + 16.0, "class=\"tick edge\" text-anchor=\"middle\"", &text);
    }
    svg.finish()
}

/// The x axis labels: (x, text) of every bucket boundary.
pub(super) fn edge_labels(buckets: &[(u32, u32, u32)]) -> Vec<(f64, String)> {
    let slot = (RIGHT - LEFT) / buckets.len().max(1) as f64;
    let mut labels: Vec<(f64, String)> =
        buckets.iter().enumerate().map(|(i, b)| (LEFT + slot * i as f64, b.0.to_string())).collect();
    if let Some(last) = buckets.last() {
        labels.push((RIGHT, last.1.to_string()));
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn scale_gives_at_most_five_round_ticks() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(3), (3, 1));
        assert_eq!(scale(5), (5, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(23), (25, 5));
        assert_eq!(scale(100), (100, 20));
        assert_eq!(scale(101), (150, 50));
    }
}
