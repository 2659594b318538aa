//! Snapshot tests of every chart for fixed inputs (including empty, all-missing, one point, 0 and
//! 100), plus structural checks: the markup parses as XML, carries its accessible name and
//! description, keeps ids unique and takes no colour from attributes.

use std::collections::HashSet;

use super::*;

const DOMAINS: [&str; 6] = ["Support", "Operations", "Field service", "Communication", "Sales", "Data quality"];

fn weeks(values: &[Option<f64>]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| Point { label: format!("2026-W{:02}", 9 + i), value: *value, partial: false })
        .collect()
}

fn domain_items(values: [Option<f64>; 6]) -> Vec<(String, Option<f64>)> {
    DOMAINS.iter().zip(values).map(|(name, value)| (name.to_string(), value)).collect()
}

fn ten_buckets(counts: [u32; 10]) -> Vec<(u32, u32, u32)> {
    counts.iter().enumerate().map(|(i, &c)| (i as u32 * 10, if i == 9 { 100 } else { i as u32 * 10 + 9 }, c)).collect()
}

/// Parses the chart and checks what every chart must have; returns the text alternative.
fn check(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}):\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("width"), Some("100%"));
    assert!(root.attribute("viewBox").is_some_and(|v| v.starts_with("0 0 ")), "viewBox missing");
    assert!(root.attribute("class").is_some_and(|c| c.starts_with("chart ")), "chart class missing");

    let labelled_by: Vec<&str> = root.attribute("aria-labelledby").expect("aria-labelledby").split(' ').collect();
    assert_eq!(labelled_by.len(), 2, "{labelled_by:?}");
    let by_id = |id: &str| {
        root.children().find(|n| n.attribute("id") == Some(id)).unwrap_or_else(|| panic!("no child with id {id}"))
    };
    let title = by_id(labelled_by[0]);
    let desc = by_id(labelled_by[1]);
    assert_eq!(title.tag_name().name(), "title");
    assert_eq!(desc.tag_name().name(), "desc");
    assert!(!title.text().unwrap_or_default().trim().is_empty(), "empty title");
    let desc_text = desc.text().unwrap_or_default().to_owned();
    assert!(!desc_text.trim().is_empty(), "empty desc");

    let mut ids = HashSet::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        if let Some(id) = node.attribute("id") {
            assert!(ids.insert(id), "duplicate id {id}");
        }
        for attr in node.attributes() {
            assert!(
                !matches!(attr.name(), "fill" | "stroke" | "style" | "color"),
                "colour set by attribute {}={} instead of a class",
                attr.name(),
                attr.value()
            );
        }
    }
    assert!(!svg.contains('#'), "hard-coded colour or fragment in:\n{svg}");
    desc_text
}

/// Tooltip texts of the drawn marks (the `<title>` children below the root).
fn tooltips(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("XML");
    doc.root_element()
        .descendants()
        .filter(|n| n.has_tag_name("title") && n.parent() != Some(doc.root_element()))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

#[test]
fn score_class_bands() {
    assert_eq!(score_class(Some(100.0)), "good");
    assert_eq!(score_class(Some(70.0)), "good");
    assert_eq!(score_class(Some(69.99)), "warn");
    assert_eq!(score_class(Some(40.0)), "warn");
    assert_eq!(score_class(Some(39.9)), "bad");
    assert_eq!(score_class(Some(0.0)), "bad");
    assert_eq!(score_class(None), "none");
    assert_eq!(score_class(Some(f64::NAN)), "none");
}

// ---- line chart ----

#[test]
fn line_twelve_weeks_with_gaps_and_threshold() {
    let values = [
        Some(61.2),
        Some(64.0),
        None,
        Some(58.5),
        Some(70.0),
        Some(72.5),
        None,
        None,
        Some(80.25),
        Some(77.0),
        Some(74.4),
        Some(79.0),
    ];
    let svg = line_chart("Composite score, last 12 weeks", &weeks(&values), Some(40.0));
    let desc = check(&svg);
    assert!(desc.contains("2026-W14: 72.5") && desc.contains("2026-W11: no activity"), "{desc}");
    assert!(desc.contains("Threshold 40"), "{desc}");
    let tips = tooltips(&svg);
    assert_eq!(tips.len(), 12);
    assert_eq!(tips[5], "2026-W14: 72.5");
    assert_eq!(tips[2], "2026-W11: no activity");
    // Three runs of scored weeks, so the trend has three subpaths.
    let trend = svg.split("class=\"trend\" d=\"").nth(1).and_then(|d| d.split('"').next()).expect("trend path");
    assert_eq!(trend.matches('M').count(), 3, "{trend}");
    assert_eq!(count(&svg, "class=\"thr\""), 1);
    insta::assert_snapshot!(svg);
}

#[test]
fn line_empty() {
    let svg = line_chart("Composite score", &[], None);
    assert!(check(&svg).starts_with("No data"));
    assert!(!svg.contains("class=\"trend\""));
    insta::assert_snapshot!(svg);
}

#[test]
fn line_all_weeks_without_activity() {
    let svg = line_chart("Composite score", &weeks(&[None; 4]), Some(40.0));
    let desc = check(&svg);
    assert_eq!(desc.matches("no activity").count(), 4, "{desc}");
    assert!(!svg.contains("class=\"trend\""));
    assert_eq!(count(&svg, "class=\"gap\""), 4);
    insta::assert_snapshot!(svg);
}

#[test]
fn line_one_point() {
    let svg = line_chart("Composite score", &weeks(&[Some(55.0)]), None);
    check(&svg);
    assert_eq!(tooltips(&svg), ["2026-W09: 55"]);
    insta::assert_snapshot!(svg);
}

#[test]
fn line_extremes_and_year_change() {
    let points = vec![
        Point { label: "2025-W52".into(), value: Some(0.0), partial: false },
        Point { label: "2026-W01".into(), value: Some(100.0), partial: false },
        Point { label: "2026-W02".into(), value: Some(150.0), partial: false },
    ];
    let svg = line_chart("Composite score", &points, Some(100.0));
    let desc = check(&svg);
    // Out-of-range values are reported as they are but drawn at the rim.
    assert!(desc.contains("2026-W02: 150"), "{desc}");
    assert_eq!(count(&svg, ">2025</text>") + count(&svg, ">2026</text>"), 2);
    insta::assert_snapshot!(svg);
}

// ---- radar ----

#[test]
fn radar_current_vs_previous() {
    let current = [Some(72.5), Some(61.0), None, Some(88.0), Some(45.5), Some(30.0)];
    let previous = [Some(65.0), Some(70.0), Some(50.0), None, Some(40.0), Some(35.0)];
    let svg = radar("Domain scores", &DOMAINS, &current, &previous);
    let desc = check(&svg);
    assert!(desc.contains("Support: 72.5 (previous 65)"), "{desc}");
    assert!(desc.contains("Field service: no activity (previous 50)"), "{desc}");
    assert!(desc.contains("Communication: 88 (previous no activity)"), "{desc}");
    assert_eq!(count(&svg, "<polygon"), 2);
    assert_eq!(tooltips(&svg).len(), 5 + 5);
    assert!(tooltips(&svg).contains(&"Sales (previous period): 40".to_owned()));
    assert!(svg.contains("class=\"axis na\""), "the unscored domain is marked");
    assert!(svg.contains(">Previous period</text>"));
    insta::assert_snapshot!(svg);
}

#[test]
fn radar_without_any_scores() {
    let svg = radar("Domain scores", &DOMAINS, &[None; 6], &[]);
    let desc = check(&svg);
    assert_eq!(desc.matches("no activity").count(), 6, "{desc}");
    assert!(desc.contains("No scores in the previous period"), "{desc}");
    assert_eq!(count(&svg, "<polygon"), 0);
    assert!(!svg.contains("Previous period<"));
    insta::assert_snapshot!(svg);
}

#[test]
fn radar_empty_axes() {
    let svg = radar("Domain scores", &[], &[], &[]);
    assert!(check(&svg).starts_with("No data"));
    insta::assert_snapshot!(svg);
}

#[test]
fn radar_extremes_and_short_series() {
    // Fewer values than axes: the missing ones count as no activity.
    let svg = radar("Domain scores", &DOMAINS, &[Some(100.0), Some(0.0), Some(100.0)], &[Some(0.0)]);
    let desc = check(&svg);
    assert!(desc.contains("Support: 100 (previous 0)") && desc.contains("Data quality: no activity"), "{desc}");
    insta::assert_snapshot!(svg);
}

// ---- histogram ----

#[test]
fn histogram_with_highlight() {
    let svg = histogram("Team score distribution", &ten_buckets([0, 1, 0, 2, 5, 8, 12, 9, 4, 1]), Some(7));
    let desc = check(&svg);
    assert!(desc.starts_with("Distribution of 42 scores in 10 buckets"), "{desc}");
    assert!(desc.contains("70–79: 9") && desc.contains("Your score is in the 70–79 bucket"), "{desc}");
    let tips = tooltips(&svg);
    assert_eq!(tips.len(), 10);
    assert_eq!(tips[7], "70–79: 9 (your bucket)");
    assert_eq!(tips[9], "90–100: 1");
    assert_eq!(count(&svg, "class=\"bar hl\""), 1);
    // The x axis names the boundaries, not the ranges ("0 … 90 100").
    assert!(svg.contains(">0</text>") && svg.contains(">90</text>") && svg.contains(">100</text>"));
    assert!(!svg.contains(">90–100</text>"), "range labels collide at a phone's text size");
    insta::assert_snapshot!(svg);
}

#[test]
fn histogram_all_zero_and_bad_highlight() {
    let svg = histogram("Team score distribution", &ten_buckets([0; 10]), Some(10));
    let desc = check(&svg);
    assert!(!desc.contains("Your score"), "an out-of-range highlight is ignored: {desc}");
    assert!(!svg.contains(" hl\""));
    assert!(svg.contains(">No scores yet</text>"));
    insta::assert_snapshot!(svg);
}

#[test]
fn histogram_empty() {
    let svg = histogram("Team score distribution", &[], Some(0));
    assert!(check(&svg).starts_with("No data"));
    insta::assert_snapshot!(svg);
}

#[test]
fn histogram_one_crowded_bucket() {
    let svg = histogram("Team score distribution", &[(90, 100, 100)], Some(0));
    let desc = check(&svg);
    assert!(desc.contains("90–100: 100") && desc.contains("Your score is in the 90–100 bucket"), "{desc}");
    insta::assert_snapshot!(svg);
}

// ---- sparkline ----

#[test]
fn sparkline_twelve_weeks() {
    let values = [
        Some(61.0),
        Some(64.5),
        None,
        Some(58.0),
        Some(70.0),
        Some(72.5),
        Some(68.0),
        Some(75.0),
        Some(80.0),
        Some(77.0),
        Some(74.0),
        Some(79.5),
    ];
    let svg = sparkline("Ana Silva, composite trend", &values, false);
    let desc = check(&svg);
    assert_eq!(desc, "Latest 79.5, low 58, high 80, 1 of 12 weeks without activity.");
    assert!(svg.contains(">Ana Silva, composite trend: 61, 64.5, –, 58, 70, 72.5, 68, 75, 80, 77, 74, 79.5</title>"));
    assert_eq!(count(&svg, "class=\"last\""), 1);
    assert!(svg.len() < 600, "sparkline is {} bytes", svg.len());
    insta::assert_snapshot!(svg);
}

#[test]
fn sparkline_empty_and_all_missing() {
    let empty = sparkline("Trend", &[], false);
    assert_eq!(check(&empty), "No activity in 0 weeks.");
    let none = sparkline("Trend", &[None; 12], false);
    assert_eq!(check(&none), "No activity in 12 weeks.");
    assert!(!none.contains("<path") && !none.contains("<circle"));
    insta::assert_snapshot!("sparkline_empty", empty);
    insta::assert_snapshot!("sparkline_all_missing", none);
}

#[test]
fn sparkline_one_point_and_isolated_weeks() {
    let one = sparkline("Trend", &[Some(50.0)], false);
    check(&one);
    assert!(one.contains("h0\""), "a lone week is drawn as a dot");
    let isolated = sparkline("Trend", &[Some(0.0), None, Some(100.0), Some(100.0)], false);
    assert_eq!(check(&isolated), "Latest 100, low 0, high 100, 1 of 4 weeks without activity.");
    insta::assert_snapshot!("sparkline_one_point", one);
    insta::assert_snapshot!("sparkline_extremes", isolated);
}

// ---- bars ----

#[test]
fn bars_six_domains() {
    let svg = bars(
        "Ana Silva, domain scores",
        &domain_items([Some(82.0), Some(55.5), None, Some(39.9), Some(70.0), Some(12.0)]),
    );
    let desc = check(&svg);
    assert_eq!(
        desc,
        "Support: 82; Operations: 55.5; Field service: no activity; Communication: 39.9; Sales: 70; Data quality: 12."
    );
    let tips = tooltips(&svg);
    assert_eq!(tips[2], "Field service: no activity");
    for class in ["good", "warn", "none", "bad"] {
        assert!(svg.contains(&format!("<path class=\"{class}\"")), "{class}");
    }
    assert!(svg.len() < 1024, "bars are {} bytes", svg.len());
    insta::assert_snapshot!(svg);
}

#[test]
fn bars_empty_all_missing_and_extremes() {
    let empty = bars("Domain scores", &[]);
    assert!(check(&empty).starts_with("No data"));
    let none = bars("Domain scores", &domain_items([None; 6]));
    assert_eq!(check(&none).matches("no activity").count(), 6);
    let extremes =
        bars("Domain scores", &domain_items([Some(100.0), Some(0.0), Some(100.0), Some(0.0), None, Some(100.0)]));
    check(&extremes);
    insta::assert_snapshot!("bars_empty", empty);
    insta::assert_snapshot!("bars_all_missing", none);
    insta::assert_snapshot!("bars_extremes", extremes);
}

// ---- properties shared by all charts ----

#[test]
fn text_is_escaped() {
    let hostile = "<script>alert('x')</script> & \"quotes\"\u{0}";
    let points = vec![Point { label: hostile.into(), value: Some(50.0), partial: false }];
    let charts = [
        line_chart(hostile, &points, None),
        radar(hostile, &[hostile, "B", "C"], &[Some(50.0)], &[]),
        histogram(hostile, &[(0, 9, 1)], Some(0)),
        sparkline(hostile, &[Some(50.0)], false),
        bars(hostile, &[(hostile.to_owned(), Some(50.0))]),
    ];
    for svg in &charts {
        assert!(!svg.contains("<script"), "{svg}");
        check(svg);
        let doc = roxmltree::Document::parse(svg).expect("XML");
        let title = doc.root_element().first_element_child().and_then(|t| t.text()).unwrap_or_default();
        assert!(title.starts_with("<script>alert('x')</script> & \"quotes\""), "{title}");
    }
}

#[test]
fn output_is_deterministic_and_ids_differ_between_charts() {
    let a = sparkline("Trend", &[Some(1.0), Some(2.0)], false);
    assert_eq!(a, sparkline("Trend", &[Some(1.0), Some(2.0)], false));
    let b = sparkline("Trend", &[Some(1.0), Some(3.0)], false);
    let id = |svg: &str| svg.split("aria-labelledby=\"").nth(1).and_then(|s| s.split('"').next()).map(str::to_owned);
    assert_ne!(id(&a), id(&b));
}

/// The team overview embeds a sparkline and mini-bars for up to ~100 rows. Each chart keeps to its
/// budget (sparkline < 600 bytes, bars < 1 KB); together they measured about 136 KB for 100 rows
/// with realistic names and one-decimal scores, and this guards against growth beyond that.
#[test]
fn a_hundred_leaderboard_rows_of_charts_stay_small() {
    let mut total = 0;
    for row in 0..100u32 {
        let values: Vec<Option<f64>> =
            (0..12u32).map(|w| (w % 5 != 2).then(|| f64::from((row * 7 + w * 13) % 1000) / 10.0)).collect();
        let scores = [0u32, 1, 2, 3, 4, 5].map(|d| (d != 2).then(|| f64::from((row * 31 + d * 17) % 1000) / 10.0));
        let name = format!("Agent number {row}");
        let spark = sparkline(&format!("{name}, composite trend"), &values, false);
        let mini = bars(&format!("{name}, domain scores"), &domain_items(scores));
        assert!(spark.len() < 600, "sparkline {} bytes", spark.len());
        assert!(mini.len() < 1024, "bars {} bytes", mini.len());
        total += spark.len() + mini.len();
    }
    assert!(total < 140_000, "charts for 100 rows take {total} bytes");
}

#[test]
fn tooltips_never_round_a_score_across_a_whole_number() {
    // Issue 15: 69.95 is under the threshold of 70, and so is its text.
    let svg = line_chart("Composite", &weeks(&[Some(69.95), Some(72.46), Some(70.0)]), Some(70.0));
    let tips = tooltips(&svg);
    for expected in ["2026-W09: 69.9", "2026-W10: 72.5", "2026-W11: 70"] {
        assert!(tips.iter().any(|t| t == expected), "{expected} not in {tips:?}");
    }
}
// ---- issue 15: gaps, partial weeks, text size and label spacing ----

#[test]
fn line_week_in_progress_is_hollow_and_reached_by_a_dashed_segment() {
    let mut points = weeks(&[Some(60.0), None, Some(62.0), Some(64.0), Some(40.0)]);
    points[4].partial = true;
    let svg = line_chart("Composite score", &points, Some(70.0));
    let desc = check(&svg);
    assert!(desc.contains("2026-W13: 40 (partial, week in progress)"), "{desc}");
    assert!(desc.contains("2026-W10: no activity"), "{desc}");
    // The finished weeks: two runs (the gap breaks the line); the partial week is not on it.
    let trend = svg.split("class=\"trend\" d=\"").nth(1).and_then(|d| d.split('"').next()).expect("trend");
    assert_eq!(trend.matches('M').count(), 2, "{trend}");
    assert_eq!(trend.matches('L').count(), 1, "{trend}");
    let dashed = svg.split("class=\"trend partial\" d=\"").nth(1).and_then(|d| d.split('"').next()).expect("dash");
    assert_eq!((dashed.matches('M').count(), dashed.matches('L').count()), (1, 1), "{dashed}");
    assert_eq!(count(&svg, "class=\"pt partial\""), 1);
    assert_eq!(count(&svg, "class=\"gap\""), 1, "the week without activity is a gap, not a 0");
    assert!(svg.contains("<path class=\"gap\" d=\"M"), "a dashed line across the plot, no dot on the axis");
    insta::assert_snapshot!(svg);
}

#[test]
fn radar_leaves_unscored_domains_out_of_the_polygon() {
    let current = [Some(80.0), None, None, Some(60.0), None, Some(40.0)];
    let svg = radar("Domain scores", &DOMAINS, &current, &[]);
    check(&svg);
    let points = svg.split("<polygon class=\"cur\" points=\"").nth(1).and_then(|p| p.split('"').next()).unwrap();
    assert_eq!(points.split(' ').count(), 3, "only the three scored axes: {points}");
    // No vertex at the centre (200,148): an unscored domain is not a 0.
    assert!(!points.split(' ').any(|p| p == "200,148"), "{points}");
    assert_eq!(count(&svg, ">no activity</text>"), 3);
    assert_eq!(count(&svg, "class=\"grid gap\""), 1);
    insta::assert_snapshot!(svg);
}

#[test]
fn sparkline_marks_a_week_in_progress() {
    let svg = sparkline("Trend", &[Some(50.0), Some(60.0)], true);
    assert!(check(&svg).ends_with("The latest week is still in progress."));
    assert!(svg.contains("class=\"last partial\""));
    let finished = sparkline("Trend", &[Some(50.0), None], true);
    assert!(!finished.contains("partial"), "a week without activity has no partial dot");
}

/// At 375 px a chart is drawn about [`PHONE_CHART_PX`] wide: its text, scaled with the viewBox,
/// stays at [`MIN_TEXT_PX`] or more, and `charts.css` declares exactly the sizes used here.
#[test]
fn phone_text_stays_readable_once_scaled() {
    let css = crate::web::assets::CHARTS_CSS.body;
    let phone = css.split("@media (max-width: 480px)").nth(1).expect("a phone rule in charts.css");
    for (kind, size, width) in PHONE_TEXT {
        let rendered = size * PHONE_CHART_PX / width;
        assert!(rendered >= MIN_TEXT_PX, "{kind}: {size} in a {width} viewBox renders at {rendered:.1} px");
        let rule = format!(".chart.{kind} text {{ font-size: {size}px; }}");
        assert!(phone.contains(&rule), "charts.css lacks `{rule}`");
    }
}

/// Histogram labels at the phone's text size: each is at most 3 digits, and neighbouring labels
/// are further apart than the widest of them (0.6 em a digit, generous for system fonts).
#[test]
fn histogram_labels_do_not_collide() {
    let buckets = ten_buckets([1; 10]);
    let labels = histogram::edge_labels(&buckets);
    assert_eq!(labels.len(), 11);
    let widest = labels.iter().map(|(_, t)| t.chars().count()).max().unwrap() as f64 * 0.6 * histogram::PHONE_TEXT;
    for pair in labels.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(gap > widest, "{:?} and {:?} are {gap} apart, labels are {widest} wide", pair[0], pair[1]);
    }
}

/// Week labels: the latest week is always labelled; on a phone (every other label hidden) the
/// shown ones are further apart than "W52" is wide at the phone's text size (0.95 em for the W,
/// 0.6 em a digit).
#[test]
fn line_week_labels_do_not_collide_on_a_phone() {
    for n in [1usize, 4, 12, 26, 52] {
        let points = weeks(&vec![Some(50.0); n]);
        let labels = line::week_labels(&points);
        assert_eq!(labels.last().map(|l| l.1), week_parts_of(&points[n - 1].label), "{n} weeks");
        let shown: Vec<f64> = labels.iter().filter(|l| !l.2).map(|l| l.0).collect();
        let width = (0.95 + 2.0 * 0.6) * line::PHONE_TEXT;
        for pair in shown.windows(2) {
            assert!(pair[1] - pair[0] > width, "{n} weeks: labels {} apart, {width} wide", pair[1] - pair[0]);
        }
    }
}

fn week_parts_of(label: &str) -> Option<&str> {
    label.split_once("-W").map(|(year, _)| &label[year.len() + 1..])
}
