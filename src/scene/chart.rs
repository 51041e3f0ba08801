//! Bar chart layout.
//!
//! In: category labels, one or more series of numbers (already checked), formatted value labels,
//! a box and a style. Out: a [`Chart`] of bars with their grow timing and placed text blocks:
//! the raster stage only scales each bar by its progress and draws.

use std::sync::Arc;

use super::text::{self, FontChain, TextBlock, TextStyle};
use super::{Easing, Rect, Rgba};
use crate::storyboard::Align;

#[derive(Debug, Clone)]
pub struct Chart {
    pub bars: Vec<Bar>,
    /// Static text (category labels, legend) with the top-left of each block, relative to the box.
    pub labels: Vec<(f32, f32, Arc<TextBlock>)>,
    /// Legend colour squares.
    pub swatches: Vec<(Rect, Rgba)>,
    /// The axis line under the bars: (y, x0, x1, colour).
    pub baseline: (f32, f32, f32, Rgba),
}

#[derive(Debug, Clone)]
pub struct Bar {
    /// Left edge, relative to the chart box.
    pub x: f32,
    /// The baseline the bar grows up from.
    pub base: f32,
    pub w: f32,
    /// Full height, reached when the bar has grown.
    pub h: f32,
    pub color: Rgba,
    pub radius: f32,
    pub grow: Option<GrowTiming>,
    /// Drawn centred above the bar's top, fading in as the bar grows.
    pub value_label: Option<Arc<TextBlock>>,
}

#[derive(Debug, Clone, Copy)]
pub struct GrowTiming {
    pub start: f32,
    pub duration: f32,
    pub easing: Easing,
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
    pub labels: Vec<String>,
    pub name: Option<String>,
    pub color: Rgba,
}

pub struct ChartStyle {
    pub label_size: f32,
    pub label_color: Rgba,
    pub gap: f32,
    pub radius: f32,
    pub legend: bool,
    /// (delay, stagger per category, duration, easing), seconds.
    pub grow: Option<(f32, f32, f32, Easing)>,
}

pub fn layout(
    font: FontChain,
    bounds: Rect,
    categories: &[String],
    series: &[SeriesData],
    style: &ChartStyle,
) -> Chart {
    let small = |s: &str, align: Align, max_width: Option<f32>| {
        Arc::new(text::layout(
            font,
            s,
            TextStyle {
                line_height: 1.2,
                ..TextStyle::simple(style.label_size, style.label_color, align, max_width)
            },
        ))
    };
    let row = style.label_size * 1.7;
    let mut labels = Vec::new();
    let mut swatches = Vec::new();

    // Legend along the top, right-aligned, when it can tell series apart.
    let mut top = 0.0;
    if style.legend && series.len() > 1 {
        let mut x = bounds.w;
        for s in series.iter().rev() {
            let Some(name) = &s.name else { continue };
            let block = small(name, Align::Left, None);
            x -= block.width;
            labels.push((x, (row - block.height) / 2.0, block.clone()));
            let sw = style.label_size * 0.8;
            x -= sw + style.label_size * 0.4;
            swatches.push((Rect { x, y: (row - sw) / 2.0, w: sw, h: sw }, s.color));
            x -= style.label_size * 1.2;
        }
        top = row;
    }

    let n = categories.len().max(series.iter().map(|s| s.values.len()).max().unwrap_or(0));
    let value_room = if series.iter().any(|s| !s.labels.is_empty()) { style.label_size * 1.5 } else { 0.0 };
    let base = bounds.h - row;
    let plot_h = (base - top - value_room).max(1.0);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0f64, f64::max);
    let slot = bounds.w / n.max(1) as f32;
    let group = slot * (1.0 - style.gap);
    let bar_w = group / series.len().max(1) as f32;
    let inner = if series.len() > 1 { bar_w * 0.08 } else { 0.0 };

    let mut bars = Vec::new();
    for i in 0..n {
        let slot_x = i as f32 * slot;
        if let Some(cat) = categories.get(i) {
            let block = small(cat, Align::Center, Some(slot));
            labels.push((slot_x, base + (row - block.height) / 2.0 + style.label_size * 0.15, block));
        }
        for (si, s) in series.iter().enumerate() {
            let Some(&v) = s.values.get(i) else { continue };
            // Bars grow up from zero; negative values (credits) draw no bar in this chart kind.
            let h = if max > 0.0 && v > 0.0 { (v / max) as f32 * plot_h } else { 0.0 };
            let grow = style.grow.map(|(delay, stagger, duration, easing)| GrowTiming {
                start: delay + i as f32 * stagger,
                duration,
                easing,
            });
            bars.push(Bar {
                x: slot_x + (slot - group) / 2.0 + si as f32 * bar_w + inner / 2.0,
                base,
                w: bar_w - inner,
                h,
                color: s.color,
                radius: style.radius.min((bar_w - inner) / 2.0),
                grow,
                value_label: s.labels.get(i).filter(|l| !l.is_empty()).map(|l| small(l, Align::Center, None)),
            });
        }
    }
    let axis = Rgba { a: style.label_color.a / 2, ..style.label_color };
    Chart { bars, labels, swatches, baseline: (base, 0.0, bounds.w, axis) }
}
