//! Donuts (and pies): the ring with its slices, a centre text and a legend.

use std::sync::Arc;

use super::{small, Chart, Filled, GrowTiming, Label, Slice};
use crate::scene::text::{FontChain, TextBlock};
use crate::scene::{Rect, Rgba};
use crate::style::{Align, Easing};

/// A donut's data as bind resolved it.
pub struct DonutData<'a> {
    pub values: &'a [f64],
    pub colors: &'a [Rgba],
    /// Formatted legend lines, one per value.
    pub legend: &'a [String],
    pub center: Option<&'a str>,
}

pub struct DonutStyle {
    pub hole: f32,
    pub label_size: f32,
    pub label_color: Rgba,
    pub center_size: f32,
    pub center_color: Rgba,
    /// (delay, stagger per slice, duration, easing), seconds.
    pub grow: Option<(f32, f32, f32, Easing)>,
}

/// Lays out a donut (or pie): the ring on the left with the legend beside it when the box is
/// wide, else the ring on top and the legend below. Slices run clockwise from 12 o'clock;
/// values that are zero, negative or not numbers get no slice (their legend line stays).
pub fn layout_donut(font: FontChain, bounds: Rect, data: &DonutData, style: &DonutStyle) -> Chart {
    let mut chart = Chart::default();
    let ls = style.label_size;
    let (sw, pad) = (ls * 0.8, ls * 0.5);
    let wide = bounds.w >= bounds.h * 1.4;
    let wide_d = bounds.h.min(bounds.w * 0.55);
    // Legend lines wrap only when they do not fit beside (or under) the ring; rows then take
    // the height their text needs.
    let room = if wide { bounds.w - wide_d - ls * 1.5 - sw - pad } else { bounds.w - sw - pad }.max(1.0);
    let blocks: Vec<Arc<TextBlock>> = data
        .legend
        .iter()
        .map(|t| {
            let b = small(font, ls, style.label_color, t, Align::Left, None);
            if b.width > room {
                small(font, ls, style.label_color, t, Align::Left, Some(room))
            } else {
                b
            }
        })
        .collect();
    let rows: Vec<f32> = blocks.iter().map(|b| b.height + ls * 0.4).collect();
    let legend_h: f32 = rows.iter().sum();
    let legend_w = sw + pad + blocks.iter().map(|b| b.width).fold(0.0f32, f32::max);
    let (diameter, center, legend_at) = if wide {
        (wide_d, (wide_d / 2.0, bounds.h / 2.0), (wide_d + ls * 1.5, (bounds.h - legend_h) / 2.0))
    } else {
        let d = (bounds.h - legend_h - ls).min(bounds.w).max(0.0);
        (d, (bounds.w / 2.0, d / 2.0), (((bounds.w - legend_w) / 2.0).max(0.0), d + ls))
    };
    let outer = diameter / 2.0;
    let inner = outer * style.hole;
    let shares: Vec<f64> =
        data.values.iter().map(|v| if v.is_finite() && *v > 0.0 { *v } else { 0.0 }).collect();
    let total: f64 = shares.iter().sum();
    let drawn = shares.iter().filter(|v| **v > 0.0).count();
    // A hairline of background between slices keeps neighbours apart.
    let gap = if drawn > 1 { 0.012 } else { 0.0 };
    let mut angle = 0.0f32;
    let mut k = 0;
    for (i, share) in shares.iter().enumerate() {
        if *share <= 0.0 || total <= 0.0 {
            continue;
        }
        let sweep = (share / total) as f32 * std::f32::consts::TAU;
        chart.slices.push(Slice {
            center,
            outer,
            inner,
            start: angle + gap / 2.0,
            sweep: (sweep - gap).max(0.001),
            color: data.colors.get(i % data.colors.len().max(1)).copied().unwrap_or(style.label_color),
            grow: style.grow.map(|(delay, stagger, duration, easing)| GrowTiming {
                start: delay + k as f32 * stagger,
                duration,
                easing,
            }),
        });
        angle += sweep;
        k += 1;
    }
    if total <= 0.0 {
        // Nothing to share out: an empty ring says so without inventing slices.
        chart.slices.push(Slice {
            center,
            outer,
            inner,
            start: 0.0,
            sweep: std::f32::consts::TAU,
            color: Rgba { a: 40, ..style.label_color },
            grow: None,
        });
    }
    if let Some(text) = data.center.filter(|t| !t.is_empty()) {
        let block =
            small(font, style.center_size, style.center_color, text, Align::Center, Some(inner * 1.8));
        chart.labels.push(Label { x: center.0 - block.width / 2.0, y: center.1 - block.height / 2.0, block });
    }
    let mut y = legend_at.1;
    for (i, (block, row)) in blocks.into_iter().zip(rows).enumerate() {
        let color = data.colors.get(i % data.colors.len().max(1)).copied().unwrap_or(style.label_color);
        // The swatch sits on the first line of its label.
        let top = y + ls * 0.2;
        chart.swatches.push(Filled {
            rect: Rect { x: legend_at.0, y: top + (ls * 1.2 - sw) / 2.0, w: sw, h: sw },
            color,
        });
        chart.labels.push(Label { x: legend_at.0 + sw + pad, y: top, block });
        y += row;
    }
    chart
}
