//! Domain mini-bars for a leaderboard row: one vertical bar per domain on a 0..100 track, coloured
//! by [`score_class`], each with its value in a tooltip. About 800 bytes for six domains, since the
//! team overview embeds one per row.

use std::fmt::Write;

use super::score_class;
use super::svg::{chart_id, escape, finite, join, value_text, Num, Svg};

const HEIGHT: f64 = 24.0;
const BAR: u32 = 8;
const GAP: u32 = 4;
/// Height of the stub that stands in for a domain without a score.
const STUB: f64 = 1.5;

pub fn bars(title: &str, items: &[(String, Option<f64>)]) -> String {
    let desc = if items.is_empty() {
        "No data: no domains to show.".to_owned()
    } else {
        format!("{}.", join(items.iter().map(|(name, v)| format!("{name}: {}", value_text(*v)))))
    };
    let id = chart_id("bars", title, &format!("{items:?}"));
    // An empty chart keeps the usual six-domain shape so the row layout does not jump.
    let slots = if items.is_empty() { 6 } else { items.len() as u32 };
    let width = slots * (BAR + GAP) - GAP;
    let mut svg = Svg::open("bars", &id, width, HEIGHT as u32, title, &desc);
    if items.is_empty() {
        return svg.finish();
    }

    // Every bar is a vertical stroke BAR wide, the shortest markup that still gives each bar its own
    // tooltip. The empty 0..100 tracks behind them are one horizontal stroke HEIGHT wide, dashed
    // into BAR-wide pieces. Widths are geometry, so they are attributes; colours come from CSS.
    svg.push(format_args!(
        "<path class=\"trk\" d=\"M0 {}h{width}\" stroke-width=\"{HEIGHT}\" stroke-dasharray=\"{BAR} {GAP}\"/>",
        HEIGHT / 2.0
    ));
    let mut marks = String::new();
    for (i, (name, value)) in items.iter().enumerate() {
        let value = finite(*value);
        let height = value.map_or(STUB, |v| (v.clamp(0.0, 100.0) / 100.0 * HEIGHT).max(STUB));
        let _ = write!(
            marks,
            "<path class=\"{}\" d=\"M{} {HEIGHT}V{}\"><title>{}</title></path>",
            score_class(value),
            i as u32 * (BAR + GAP) + BAR / 2,
            Num(HEIGHT - height),
            escape(&format!("{name}: {}", value_text(value)))
        );
    }
    svg.push(format_args!("<g stroke-width=\"{BAR}\">{marks}</g>"));
    svg.finish()
}
