//! A leaderboard row's tiny trend: no axes, the last scored point emphasised (hollow while its week
//! is still in progress), values in the tooltip.
//! Kept compact (about 500 bytes for 12 weeks) because a team page embeds one per row.

use std::fmt::Write;

use super::svg::{chart_id, count_of, finite, Num, Svg};

const WIDTH: f64 = 100.0;
const HEIGHT: f64 = 24.0;
const PAD: f64 = 3.0;
/// The smallest vertical span drawn, so a nearly flat trend does not look like a swing.
const MIN_SPAN: f64 = 20.0;

/// The vertical range drawn: the row's own min..max, widened to at least [`MIN_SPAN`], within 0..100.
fn range(scored: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = scored.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() {
        return (0.0, 100.0);
    }
    low = low.clamp(0.0, 100.0);
    high = high.clamp(0.0, 100.0);
    let widen = (MIN_SPAN - (high - low)).max(0.0) / 2.0;
    let low = (low - widen).max(0.0);
    let high = (high + widen).min(100.0);
    // Near a bound the widening spills to the other side.
    (low.min(high - MIN_SPAN).max(0.0), high.max(low + MIN_SPAN).min(100.0))
}

fn describe(values: &[Option<f64>]) -> String {
    let scored: Vec<f64> = values.iter().filter_map(|v| finite(*v)).collect();
    let Some(latest) = scored.last() else {
        return format!("No activity in {}.", count_of(values.len() as u64, "week"));
    };
    let low = scored.iter().copied().fold(f64::INFINITY, f64::min);
    let high = scored.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut desc = format!("Latest {}, low {}, high {}", Num(*latest), Num(low), Num(high));
    let gaps = values.len() - scored.len();
    if gaps > 0 {
        let _ = write!(desc, ", {gaps} of {} without activity", count_of(values.len() as u64, "week"));
    }
    desc.push('.');
    desc
}

/// `partial_last`: the last value is a week still in progress (its dot is drawn hollow).
pub fn sparkline(title: &str, values: &[Option<f64>], partial_last: bool) -> String {
    // The tooltip of the whole sparkline is its title followed by the values ("–" = no activity).
    let listed: Vec<String> =
        values.iter().map(|v| finite(*v).map_or("–".to_owned(), |v| Num(v).to_string())).collect();
    let full_title = if listed.is_empty() { title.to_owned() } else { format!("{title}: {}", listed.join(", ")) };
    let id = chart_id("spark", title, &format!("{values:?}{partial_last}"));
    let mut desc = describe(values);
    if partial_last && values.last().copied().flatten().is_some() {
        desc.push_str(" The latest week is still in progress.");
    }
    let mut svg = Svg::open("spark", &id, WIDTH as u32, HEIGHT as u32, &full_title, &desc);

    let (low, high) = range(values.iter().filter_map(|v| finite(*v)));
    let x_of = |i: usize| {
        if values.len() <= 1 {
            WIDTH / 2.0
        } else {
            PAD + i as f64 * (WIDTH - 2.0 * PAD) / (values.len() - 1) as f64
        }
    };
    let y_of = |v: f64| HEIGHT - PAD - (v.clamp(low, high) - low) / (high - low) * (HEIGHT - 2.0 * PAD);

    // One subpath per run of scored weeks; a lone week is a zero-length segment, drawn as a dot by
    // the round line caps.
    let mut path = String::new();
    let mut pen_down = false;
    let mut last = None;
    for (i, value) in values.iter().enumerate() {
        match finite(*value) {
            Some(v) => {
                let (x, y) = (Num(x_of(i)), Num(y_of(v)));
                if pen_down {
                    let _ = write!(path, "L{x} {y}");
                } else {
                    let next_scored = values.get(i + 1).copied().flatten().is_some_and(f64::is_finite);
                    let _ = write!(path, "M{x} {y}{}", if next_scored { "" } else { "h0" });
                }
                pen_down = true;
                last = Some((x, y));
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        svg.push(format_args!("<path class=\"trend\" d=\"{path}\"/>"));
    }
    if let Some((x, y)) = last {
        let partial = partial_last && values.last().copied().flatten().is_some_and(f64::is_finite);
        let class = if partial { "last partial" } else { "last" };
        svg.push(format_args!("<circle class=\"{class}\" cx=\"{x}\" cy=\"{y}\" r=\"2.5\"/>"));
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn range_is_at_least_the_minimum_span_and_stays_within_bounds() {
        assert_eq!(range([50.0, 52.0].into_iter()), (41.0, 61.0));
        assert_eq!(range([98.0, 99.0].into_iter()), (80.0, 100.0));
        assert_eq!(range([0.0].into_iter()), (0.0, 20.0));
        assert_eq!(range([10.0, 90.0].into_iter()), (10.0, 90.0));
        assert_eq!(range(std::iter::empty()), (0.0, 100.0));
    }
}
