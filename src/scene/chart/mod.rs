//! Chart layout: bar and line charts, donuts, comparison cards.
//!
//! In: data as bind resolved it (category labels, series of checked numbers, formatted value and
//! tick labels), a box and a style. Out: a [`Chart`] of marks (bars, lines, slices, shapes) with
//! their animation timing and placed text blocks, relative to the box: the raster stage only
//! evaluates each mark's progress and draws. Donuts are laid out in `donut`, comparison cards
//! in `card`.

mod card;
mod donut;

use std::sync::Arc;

use super::text::{self, FontChain, TextBlock, TextStyle};
use super::{Easing, Rect, Rgba, TextNode};
use crate::math;
use crate::style::Align;
pub use card::{align_in, layout_card, CardData};
pub use donut::{layout_donut, DonutData, DonutStyle};

#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub(crate) bars: Vec<Bar>,
    pub(crate) lines: Vec<Line>,
    pub(crate) slices: Vec<Slice>,
    /// Filled polygons (a comparison card's arrow).
    pub(crate) shapes: Vec<Polygon>,
    /// Thin filled rectangles drawn first: grid lines and the zero line.
    pub(crate) rules: Vec<Filled>,
    /// Static text (category, tick and legend labels).
    pub(crate) labels: Vec<Label>,
    /// Text that changes over time (a card's counting number).
    pub(crate) counters: Vec<Counter>,
    /// Legend colour squares.
    pub(crate) swatches: Vec<Filled>,
}

/// A filled polygon, its points relative to the chart box.
#[derive(Debug, Clone)]
pub struct Polygon {
    pub(crate) points: Vec<(f32, f32)>,
    pub(crate) color: Rgba,
}

/// A rectangle filled with one colour (a grid line, a legend swatch).
#[derive(Debug, Clone, Copy)]
pub struct Filled {
    pub(crate) rect: Rect,
    pub(crate) color: Rgba,
}

/// A static text block with its top-left corner.
#[derive(Debug, Clone)]
pub struct Label {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) block: Arc<TextBlock>,
}

/// Text that changes over time, in a box given by its top-left corner and width, in which each
/// variant is aligned.
#[derive(Debug, Clone)]
pub struct Counter {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) width: f32,
    pub(crate) align: Align,
    pub(crate) text: TextNode,
}

#[derive(Debug, Clone)]
pub struct Bar {
    /// Left edge, relative to the chart box.
    pub(crate) x: f32,
    /// The zero line the bar grows from.
    pub(crate) base: f32,
    pub(crate) w: f32,
    /// Full length, reached when the bar has grown.
    pub(crate) h: f32,
    /// A negative value: the bar grows down from the zero line and its label sits below it.
    pub(crate) down: bool,
    pub(crate) color: Rgba,
    pub(crate) radius: f32,
    pub(crate) grow: Option<GrowTiming>,
    /// Drawn centred beyond the bar's end, fading in as the bar grows.
    pub(crate) value_label: Option<Arc<TextBlock>>,
    /// The value label shows from the start, beyond the grown bar's end.
    pub(crate) label_always: bool,
}

/// A polyline through the series' points, drawn on from left to right.
#[derive(Debug, Clone)]
pub struct Line {
    pub(crate) points: Vec<(f32, f32)>,
    pub(crate) color: Rgba,
    pub(crate) width: f32,
    /// Fill down to this y (the bottom of the plot) with this colour.
    pub(crate) area: Option<(f32, Rgba)>,
    pub(crate) draw: Option<GrowTiming>,
    /// The emphasised point: (index, its value label), shown once the line reaches it.
    pub(crate) highlight: Option<(usize, Option<Arc<TextBlock>>)>,
}

impl Line {
    /// How much of the line shows at `t` seconds into the scene (0..=1 of its length).
    pub fn progress(&self, t: f32) -> f32 {
        self.draw.map_or(1.0, |g| g.at(t))
    }

    /// Length of each segment.
    fn segments(&self) -> impl Iterator<Item = f32> + '_ {
        self.points
            .windows(2)
            .map(|w| (math::powi(w[1].0 - w[0].0, 2) + math::powi(w[1].1 - w[0].1, 2)).sqrt())
    }

    /// The points of the line drawn so far: the whole segments, then part of the next.
    pub fn visible(&self, p: f32) -> Vec<(f32, f32)> {
        let total: f32 = self.segments().sum();
        let mut left = total * p.clamp(0.0, 1.0);
        let mut out = Vec::with_capacity(self.points.len());
        out.extend(self.points.first().copied());
        for (i, len) in self.segments().enumerate() {
            let (a, b) = (self.points[i], self.points[i + 1]);
            if left >= len {
                out.push(b);
                left -= len;
            } else {
                if left > 0.0 {
                    let f = left / len;
                    out.push((a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f));
                }
                break;
            }
        }
        out
    }

    /// Whether the drawn part has reached point `i`.
    pub fn reached(&self, i: usize, p: f32) -> bool {
        let upto: f32 = self.segments().take(i).sum();
        p >= 1.0 || upto <= self.segments().sum::<f32>() * p + 1e-3
    }
}

/// One slice of a donut: an annulus sector, clockwise from `start` (radians, 0 = 12 o'clock).
#[derive(Debug, Clone)]
pub struct Slice {
    pub(crate) center: (f32, f32),
    pub(crate) outer: f32,
    pub(crate) inner: f32,
    pub(crate) start: f32,
    pub(crate) sweep: f32,
    pub(crate) color: Rgba,
    pub(crate) grow: Option<GrowTiming>,
}

impl Slice {
    /// The angle swept at `t` seconds into the scene.
    pub fn shown(&self, t: f32) -> f32 {
        self.sweep * self.grow.map_or(1.0, |g| g.at(t))
    }

    /// The outline of the slice as swept so far: outer arc clockwise, inner arc back.
    pub fn polygon(&self, sweep: f32) -> Vec<(f32, f32)> {
        // About a point per 1.5 degrees keeps the curve smooth at any size we draw.
        let steps = ((sweep.to_degrees() / 1.5).ceil() as usize).max(1);
        let at = |r: f32, a: f32| (self.center.0 + r * math::sin(a), self.center.1 - r * math::cos(a));
        let mut pts: Vec<(f32, f32)> =
            (0..=steps).map(|i| at(self.outer, self.start + sweep * i as f32 / steps as f32)).collect();
        if self.inner > 0.0 {
            pts.extend(
                (0..=steps).rev().map(|i| at(self.inner, self.start + sweep * i as f32 / steps as f32)),
            );
        } else {
            pts.push(self.center);
        }
        pts
    }
}

#[derive(Debug, Clone, Copy)]
pub struct GrowTiming {
    pub(crate) start: f32,
    pub(crate) duration: f32,
    pub(crate) easing: Easing,
}

impl GrowTiming {
    /// How far the grow-in is at `t` seconds into the scene (0..=1, eased).
    pub fn at(&self, t: f32) -> f32 {
        self.easing.apply(((t - self.start) / self.duration.max(1e-6)).clamp(0.0, 1.0))
    }
}

impl Bar {
    /// How much of the bar shows at `t` seconds into the scene (0..=1).
    pub fn progress(&self, t: f32) -> f32 {
        self.grow.map_or(1.0, |g| g.at(t))
    }
}

/// One series as bind resolved it.
pub struct SeriesData {
    pub values: Vec<f64>,
    /// Formatted value labels, one per value (empty: none).
    pub labels: Vec<String>,
    pub name: Option<String>,
    pub color: Rgba,
}

/// Rounded axis ticks covering a range of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub values: Vec<f64>,
    /// Decimals needed to tell the ticks apart (0 for steps of 1 or more).
    pub decimals: u8,
}

impl Ticks {
    pub fn lo(&self) -> f64 {
        self.values[0]
    }
    pub fn hi(&self) -> f64 {
        self.values[self.values.len() - 1]
    }
}

/// About `count` ticks at 1, 2 or 5 times a power of ten that cover `lo..=hi` (the classic
/// "nice numbers" rule). An empty range is widened, so the axis always has two ticks or more.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Ticks {
    let (mut lo, mut hi) =
        if lo.is_finite() && hi.is_finite() { (lo.min(hi), lo.max(hi)) } else { (0.0, 1.0) };
    if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        // One value (or all zero): an axis from zero to it, or to 1.
        if hi > 0.0 {
            lo = lo.min(0.0);
        } else if lo < 0.0 {
            hi = 0.0;
        } else {
            hi = 1.0;
        }
    }
    let raw = (hi - lo) / count.max(2) as f64;
    let mag = math::powf(10f64, math::log10(raw).floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    // Multiplying whole multiples keeps 0.1 * 3 from printing as 0.30000000000000004.
    let values = (first..=last).map(|k| k as f64 * step).collect();
    let decimals = (0..=9u8).find(|d| {
        let scaled = step * math::powi(10f64, *d as i32);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
    });
    let decimals = decimals.unwrap_or(9);
    Ticks { values, decimals }
}

pub struct ChartStyle {
    /// The legend's and the tick labels' size.
    pub label_size: f32,
    /// The value labels' size (bars, a line's highlighted point).
    pub value_label_size: f32,
    /// The category labels' size.
    pub category_label_size: f32,
    /// Bars' value labels show from the start, not as their bars grow.
    pub value_labels_always: bool,
    /// Draw the zero line.
    pub zero_line: bool,
    pub label_color: Rgba,
    pub gap: f32,
    pub radius: f32,
    pub legend: bool,
    /// (delay, stagger per category (bars) or series (lines), duration, easing), seconds.
    pub grow: Option<(f32, f32, f32, Easing)>,
    /// The value axis: tick values with their labels, and the grid colour. Without an axis the
    /// scale runs from zero (or the lowest value) to the highest value.
    pub axis: Option<(Ticks, Vec<String>, Rgba)>,
    /// Lines instead of bars: (stroke width, fill the area under them).
    pub lines: Option<(f32, bool)>,
    /// Line charts: the emphasised point's index and its label.
    pub highlight: Option<(usize, Option<String>)>,
}

fn small(
    font: FontChain,
    size: f32,
    color: Rgba,
    s: &str,
    align: Align,
    max_width: Option<f32>,
) -> Arc<TextBlock> {
    Arc::new(text::layout(
        font,
        s,
        TextStyle { line_height: 1.2, ..TextStyle::simple(size, color, align, max_width) },
    ))
}

/// Lays out a text block in the chart's label style.
type LabelFn<'f> = dyn Fn(&str, Align, Option<f32>) -> Arc<TextBlock> + 'f;

/// Lays out a bar or line chart: legend on top, value axis on the left, category labels at the
/// bottom, one slot per category.
pub fn layout(
    font: FontChain,
    bounds: Rect,
    categories: &[String],
    series: &[SeriesData],
    style: &ChartStyle,
) -> Chart {
    let label = |s: &str, align: Align, max_width: Option<f32>| {
        small(font, style.label_size, style.label_color, s, align, max_width)
    };
    let value_label = |s: &str, align: Align, max_width: Option<f32>| {
        small(font, style.value_label_size, style.label_color, s, align, max_width)
    };
    let category_label = |s: &str, align: Align, max_width: Option<f32>| {
        small(font, style.category_label_size, style.label_color, s, align, max_width)
    };
    let row = style.label_size * 1.7;
    let mut chart = Chart::default();
    let top = legend(&mut chart, &label, bounds, series, style, row);
    // The category labels' row.
    let row = style.category_label_size * 1.7;
    // Tick labels set the left margin.
    let tick_blocks: Vec<(f64, Arc<TextBlock>)> = match &style.axis {
        Some((ticks, labels, _)) => {
            ticks.values.iter().zip(labels).map(|(v, l)| (*v, label(l, Align::Right, None))).collect()
        }
        None => Vec::new(),
    };
    let plot = Plot::new(bounds, categories, series, style, &tick_blocks, top, row);

    // Grid lines and tick labels.
    if let Some((_, _, grid)) = &style.axis {
        for (v, block) in &tick_blocks {
            let y = plot.y_of(*v);
            chart
                .rules
                .push(Filled { rect: Rect { x: plot.left, y: y - 0.5, w: plot.w, h: 1.0 }, color: *grid });
            chart.labels.push(Label {
                x: plot.left - style.label_size * 0.6 - block.width,
                y: y - block.height / 2.0,
                block: block.clone(),
            });
        }
    }
    category_labels(&mut chart, font, &category_label, &plot, categories, style);
    if style.zero_line {
        let axis_color = Rgba { a: style.label_color.a / 2, ..style.label_color };
        let zero_line = Rect { x: plot.left, y: plot.zero_y(), w: plot.w, h: 2.0 };
        chart.rules.push(Filled { rect: zero_line, color: axis_color });
    }
    match style.lines {
        Some((width, area)) => line_marks(&mut chart, &value_label, &plot, series, style, (width, area)),
        None => bar_marks(&mut chart, font, &value_label, &plot, series, style),
    }
    chart
}

/// The legend along the top, right-aligned, when it can tell series apart; returns the
/// height it takes.
fn legend(
    chart: &mut Chart,
    label: &LabelFn,
    bounds: Rect,
    series: &[SeriesData],
    style: &ChartStyle,
    row: f32,
) -> f32 {
    if !(style.legend && series.len() > 1) {
        return 0.0;
    }
    let mut x = bounds.w;
    for s in series.iter().rev() {
        let Some(name) = &s.name else { continue };
        let block = label(name, Align::Left, None);
        x -= block.width;
        chart.labels.push(Label { x, y: (row - block.height) / 2.0, block: block.clone() });
        let sw = style.label_size * 0.8;
        x -= sw + style.label_size * 0.4;
        chart.swatches.push(Filled { rect: Rect { x, y: (row - sw) / 2.0, w: sw, h: sw }, color: s.color });
        x -= style.label_size * 1.2;
    }
    row
}

/// Where a bar or line chart plots: the plot area (relative to the chart box), its value
/// scale and its category slots.
struct Plot {
    left: f32,
    top: f32,
    w: f32,
    h: f32,
    /// The top of the category labels' row, and the row's height.
    bottom: f32,
    row: f32,
    /// The values at the plot's bottom and top.
    lo: f64,
    hi: f64,
    /// Categories, and the width of each one's slot.
    n: usize,
    slot: f32,
}

impl Plot {
    fn new(
        bounds: Rect,
        categories: &[String],
        series: &[SeriesData],
        style: &ChartStyle,
        tick_blocks: &[(f64, Arc<TextBlock>)],
        top: f32,
        row: f32,
    ) -> Plot {
        // The value scale: the axis's ticks, or the data's range (bars always include zero).
        let values = || series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
        let (data_lo, data_hi) =
            values().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (data_lo, data_hi) = if data_lo > data_hi { (0.0, 0.0) } else { (data_lo, data_hi) };
        let (lo, hi) = match &style.axis {
            Some((ticks, _, _)) => (ticks.lo(), ticks.hi()),
            None if style.lines.is_some() => (data_lo, data_hi),
            None => (data_lo.min(0.0), data_hi.max(0.0)),
        };
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
        let left = tick_blocks.iter().map(|(_, b)| b.width).fold(0.0f32, f32::max)
            + if tick_blocks.is_empty() { 0.0 } else { style.label_size * 0.6 };
        let has_labels = series.iter().any(|s| !s.labels.is_empty()) || style.highlight.is_some();
        let value_room = if has_labels { style.value_label_size * 1.5 } else { 0.0 };
        let below_room = if has_labels && data_lo < 0.0 && style.lines.is_none() { value_room } else { 0.0 };
        let bottom = bounds.h - row;
        let plot_top = top + value_room;
        let plot_h = (bottom - below_room - plot_top).max(1.0);
        let plot_w = (bounds.w - left).max(1.0);
        let n = categories.len().max(series.iter().map(|s| s.values.len()).max().unwrap_or(0));
        let slot = plot_w / n.max(1) as f32;
        Plot { left, top: plot_top, w: plot_w, h: plot_h, bottom, row, lo, hi, n, slot }
    }

    /// The y of value `v`.
    fn y_of(&self, v: f64) -> f32 {
        self.top + ((self.hi - v) / (self.hi - self.lo)) as f32 * self.h
    }

    /// The y of the zero line (or of the scale's end nearest to zero).
    fn zero_y(&self) -> f32 {
        self.y_of(0.0f64.clamp(self.lo, self.hi))
    }
}

/// Category labels under their slots; when they would overlap, only every k-th one is shown.
fn category_labels(
    chart: &mut Chart,
    font: FontChain,
    label: &LabelFn,
    plot: &Plot,
    categories: &[String],
    style: &ChartStyle,
) {
    let size = style.category_label_size;
    let widest = categories.iter().map(|c| font.advance(c, size)).fold(0.0f32, f32::max);
    let every = ((widest + size * 0.5) / plot.slot).ceil().max(1.0) as usize;
    for (i, cat) in categories.iter().enumerate() {
        // Keep the last label (the latest month) and step back from it.
        if !(plot.n - 1 - i).is_multiple_of(every) {
            continue;
        }
        let block = label(cat, Align::Center, Some(plot.slot));
        let x = plot.left + i as f32 * plot.slot;
        chart.labels.push(Label { x, y: plot.bottom + (plot.row - block.height) / 2.0 + size * 0.15, block });
    }
}

/// When mark `k` (a category's bars, a series' line) starts growing, and how.
fn timing(style: &ChartStyle, k: usize) -> Option<GrowTiming> {
    style.grow.map(|(delay, stagger, duration, easing)| GrowTiming {
        start: delay + k as f32 * stagger,
        duration,
        easing,
    })
}

/// One line per series (`width` wide, with the area under it washed when `area`).
fn line_marks(
    chart: &mut Chart,
    label: &LabelFn,
    plot: &Plot,
    series: &[SeriesData],
    style: &ChartStyle,
    (width, area): (f32, bool),
) {
    for (si, s) in series.iter().enumerate() {
        let points: Vec<(f32, f32)> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| (plot.left + (i as f32 + 0.5) * plot.slot, plot.y_of(*v)))
            .collect();
        let highlight = style.highlight.as_ref().filter(|(i, _)| *i < points.len()).map(|(i, l)| {
            let block = l.as_deref().filter(|l| !l.is_empty()).map(|l| label(l, Align::Center, None));
            (*i, block)
        });
        let wash = Rgba { a: 46, ..s.color };
        chart.lines.push(Line {
            points,
            color: s.color,
            width,
            area: area.then_some((plot.top + plot.h, wash)),
            draw: timing(style, si),
            highlight: if si == 0 { highlight } else { None },
        });
    }
}

/// One bar per value, grouped by category, with its value label when they all fit.
fn bar_marks(
    chart: &mut Chart,
    font: FontChain,
    label: &LabelFn,
    plot: &Plot,
    series: &[SeriesData],
    style: &ChartStyle,
) {
    let slot = plot.slot;
    let zero_y = plot.zero_y();
    // Value labels wider than a category's slot would overlap their neighbours: then none is
    // shown (an axis tells the values instead).
    let value_labels_fit =
        series.iter().flat_map(|s| s.labels.iter()).all(|l| font.advance(l, style.value_label_size) <= slot);
    let group = slot * (1.0 - style.gap);
    let bar_w = group / series.len().max(1) as f32;
    let inner = if series.len() > 1 { bar_w * 0.08 } else { 0.0 };
    for i in 0..plot.n {
        let slot_x = plot.left + i as f32 * slot;
        for (si, s) in series.iter().enumerate() {
            // A gap (NaN: a month with no value yet, on a chart read from the right) draws
            // no bar.
            let Some(&v) = s.values.get(i).filter(|v| v.is_finite()) else { continue };
            let end = plot.y_of(v.clamp(plot.lo, plot.hi));
            chart.bars.push(Bar {
                x: slot_x + (slot - group) / 2.0 + si as f32 * bar_w + inner / 2.0,
                base: zero_y,
                w: bar_w - inner,
                h: (end - zero_y).abs(),
                down: v < 0.0,
                color: s.color,
                radius: style.radius.min((bar_w - inner) / 2.0),
                grow: timing(style, i),
                value_label: s
                    .labels
                    .get(i)
                    .filter(|l| value_labels_fit && !l.is_empty())
                    .map(|l| label(l, Align::Center, None)),
                label_always: style.value_labels_always,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 372.0, 5).values, vec![0.0, 100.0, 200.0, 300.0, 400.0]);
        assert_eq!(nice_ticks(-40.0, 95.0, 5).values, vec![-50.0, 0.0, 50.0, 100.0]);
        let big = nice_ticks(0.0, 12_345_678.0, 5);
        assert_eq!(big.values.last(), Some(&12_500_000.0));
        assert_eq!(big.decimals, 0);
        let small = nice_ticks(0.0, 0.37, 4);
        assert_eq!(small.values.len(), 5);
        assert!((small.values[3] - 0.3).abs() < 1e-12);
        assert_eq!(small.decimals, 1);
        assert_eq!(nice_ticks(0.0, 1.0, 4).decimals, 2, "steps of 0.25 need two decimals");
        // All zero, one value, or nothing at all: still an axis.
        assert!(nice_ticks(0.0, 0.0, 5).values.len() >= 2);
        assert_eq!(nice_ticks(250.0, 250.0, 5).lo(), 0.0);
        assert_eq!(nice_ticks(-3.0, -3.0, 5).hi(), 0.0);
        assert!(nice_ticks(f64::INFINITY, f64::NEG_INFINITY, 5).values.len() >= 2);
    }

    #[test]
    fn a_line_is_drawn_on_by_length() {
        let line = Line {
            points: vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)],
            color: Rgba { r: 0, g: 0, b: 0, a: 255 },
            width: 1.0,
            area: None,
            draw: None,
            highlight: None,
        };
        assert_eq!(line.visible(0.0), vec![(0.0, 0.0)]);
        assert_eq!(line.visible(0.25), vec![(0.0, 0.0), (5.0, 0.0)]);
        assert_eq!(line.visible(0.75), vec![(0.0, 0.0), (10.0, 0.0), (10.0, 5.0)]);
        assert_eq!(line.visible(1.0), line.points);
        assert!(line.reached(1, 0.5) && !line.reached(2, 0.75) && line.reached(2, 1.0));
    }
}
