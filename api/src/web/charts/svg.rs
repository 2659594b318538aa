//! Markup primitives every chart shares: text escaping, compact numbers, deterministic ids and the
//! accessible `<svg>` frame (role, title, desc).

use std::fmt::{self, Display, Write};

/// Escapes text for XML content and attribute values, dropping the control characters XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A number written with at most one decimal and no trailing `.0` ("72.5", "70", never "-0").
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (self.0 * 10.0).round();
        if tenths == 0.0 || !tenths.is_finite() {
            f.write_str("0")
        } else if tenths % 10.0 == 0.0 {
            write!(f, "{}", tenths / 10.0)
        } else {
            write!(f, "{:.1}", tenths / 10.0)
        }
    }
}

/// A value worth drawing: finite scores only (NaN/inf count as no activity).
pub fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// "72.5", or "no activity" for a missing score. Rounded by
/// `domain::format::score`, so a tooltip never shows 69.95 as 70 (issue 15);
/// a whole number keeps no trailing `.0`, as elsewhere in the charts.
pub fn value_text(value: Option<f64>) -> String {
    match finite(value) {
        Some(v) => {
            let text = perfledger_domain::format::score(perfledger_domain::format::decimal_of(v));
            match text.strip_suffix(".0") {
                Some("-0") => "0".to_owned(),
                Some(whole) => whole.to_owned(),
                None => text,
            }
        }
        None => "no activity".to_owned(),
    }
}

/// Deterministic id prefix (the kind's initial and 8 hex digits) from the chart kind, title and data (FNV-1a, stable across builds and
/// Rust releases, unlike `DefaultHasher`), so two charts on one page do not share ids unless they
/// are identical, in which case the duplicated title/desc texts are identical too.
pub fn chart_id(kind: &str, title: &str, data: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [kind, "\u{1f}", title, "\u{1f}", data] {
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let initial = kind.chars().next().unwrap_or('c');
    format!("{initial}{:08x}", (hash >> 32) ^ (hash & 0xffff_ffff))
}

/// An `<svg>` being written: the accessible frame is emitted by [`Svg::open`], the caller appends
/// the drawing and [`Svg::finish`] closes it.
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens `<svg class="chart {kind}" viewBox="0 0 w h" width="100%" role="img">` with its
    /// `<title>` and `<desc>` (the text alternative), both referenced by `aria-labelledby`. No
    /// `xmlns`: the charts are inline in HTML, where the parser puts `<svg>` in the SVG namespace.
    pub fn open(kind: &str, id: &str, width: u32, height: u32, title: &str, desc: &str) -> Self {
        let mut out = String::with_capacity(1024);
        let _ = write!(
            out,
            "<svg class=\"chart {kind}\" viewBox=\"0 0 {width} {height}\" \
             width=\"100%\" role=\"img\" aria-labelledby=\"{id}t {id}d\">\n<title id=\"{id}t\">{}</title>\
             <desc id=\"{id}d\">{}</desc>\n",
            escape(title),
            escape(desc),
        );
        Svg { out }
    }

    /// Appends raw markup (already escaped by the caller).
    pub fn push(&mut self, markup: impl Display) {
        let _ = write!(self.out, "{markup}");
    }

    /// Appends a `<text>` element with escaped content; `attrs` are extra attributes (trusted).
    pub fn text(&mut self, x: f64, y: f64, attrs: &str, content: &str) {
        let sep = if attrs.is_empty() { "" } else { " " };
        let _ = writeln!(self.out, "<text x=\"{}\" y=\"{}\"{sep}{attrs}>{}</text>", Num(x), Num(y), escape(content));
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// "1 week", "12 weeks": a count with its noun, for the text alternatives.
pub fn count_of(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Joins the words of a text alternative: "a; b; c".
pub fn join(parts: impl IntoIterator<Item = String>) -> String {
    parts.into_iter().collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_controls() {
        assert_eq!(escape("a<b>&\"c\"'d'\u{0}\u{8}e"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;e");
    }

    #[test]
    fn numbers_are_compact() {
        let cases = [(72.5, "72.5"), (70.0, "70"), (0.04, "0"), (-0.04, "0"), (99.96, "100"), (12.345, "12.3")];
        for (value, text) in cases {
            assert_eq!(Num(value).to_string(), text, "{value}");
        }
        assert_eq!(Num(f64::NAN).to_string(), "0");
    }

    #[test]
    fn ids_are_deterministic_and_depend_on_data() {
        let a = chart_id("line", "Trend", "1,2");
        assert_eq!(a, chart_id("line", "Trend", "1,2"));
        assert_ne!(a, chart_id("line", "Trend", "1,3"));
        assert_ne!(a, chart_id("line", "Trend2", "1,2"));
        assert!(a.starts_with('l') && a.len() == 9, "{a}");
    }
}
