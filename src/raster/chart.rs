//! Charts: grid, legend and labels (the static parts), then the marks that grow or count
//! (slices, bars with their value labels, lines, counters).

use std::ops::Range;

use tiny_skia::{PathBuilder, Pixmap, Rect as SkRect, Stroke, Transform};

use super::paint::solid;
use super::shape::{fill_path, polygon, rounded_rect, top_rounded_rect};
use super::text::draw_text;
use crate::scene::chart::{align_in, Chart, Counter, Filled, Label, Line, Polygon};

/// Which parts of a node to draw. A chart's static parts (grid, labels, legend: what does not
/// grow or count) and its grown leading bars can be painted with the settled layers, and the
/// rest each frame. Other nodes are drawn whole.
#[derive(Clone, PartialEq, Debug)]
pub(super) struct Parts {
    statics: bool,
    /// Which bars (each with its value label).
    bars: Range<usize>,
    /// Slices, lines and counters.
    rest: bool,
}

impl Parts {
    pub(super) const ALL: Parts = Parts { statics: true, bars: 0..usize::MAX, rest: true };

    /// What goes into the settled picture: the static parts and the first `bars` bars.
    pub(super) fn settled(bars: usize) -> Parts {
        Parts { statics: true, bars: 0..bars, rest: false }
    }

    /// Bars `bars` alone (with their labels): the ones a settled picture gains.
    pub(super) fn bars(bars: Range<usize>) -> Parts {
        Parts { statics: false, bars, rest: false }
    }

    /// What is drawn each frame over that.
    pub(super) fn moving(bars: usize) -> Parts {
        Parts { statics: false, bars: bars..usize::MAX, rest: true }
    }
}

/// A chart: first its static parts (grid, arrow, legend, labels), which never overlap the
/// moving ones, then what grows or counts (slices, bars with their value labels, lines,
/// counters).
pub(super) fn draw(canvas: &mut Pixmap, chart: &Chart, t: f32, opacity: f32, tf: Transform, parts: Parts) {
    if parts.statics {
        for Filled { rect: r, color } in &chart.rules {
            if let Some(r) = SkRect::from_xywh(r.x, r.y, r.w.max(1.0), r.h.max(1.0)) {
                canvas.fill_rect(r, &solid(*color, opacity), tf, None);
            }
        }
        for Polygon { points, color } in &chart.shapes {
            if let Some(path) = polygon(points) {
                fill_path(canvas, &path, &solid(*color, opacity), tf);
            }
        }
        for Filled { rect, color } in &chart.swatches {
            if let Some(path) = rounded_rect(rect.x, rect.y, rect.w, rect.h, rect.w * 0.2) {
                fill_path(canvas, &path, &solid(*color, opacity), tf);
            }
        }
        for Label { x, y, block } in &chart.labels {
            draw_text(canvas, block, *x, *y, opacity, tf);
        }
    }
    for slice in chart.slices.iter().filter(|_| parts.rest) {
        let sweep = slice.shown(t);
        if sweep > 0.0 {
            if let Some(path) = polygon(&slice.polygon(sweep)) {
                fill_path(canvas, &path, &solid(slice.color, opacity), tf);
            }
        }
    }
    let bars = parts.bars.start.min(chart.bars.len())..parts.bars.end.min(chart.bars.len());
    for bar in &chart.bars[bars] {
        let p = bar.progress(t);
        let h = bar.h * p;
        if h >= 0.5 {
            let radius = bar.radius.min(h / 2.0);
            // The rounded end is the one away from the zero line.
            let path = if bar.down {
                top_rounded_rect(bar.x, -(bar.base + h), bar.w, h, radius)
                    .and_then(|p| p.transform(Transform::from_scale(1.0, -1.0)))
            } else {
                top_rounded_rect(bar.x, bar.base - h, bar.w, h, radius)
            };
            if let Some(path) = path {
                fill_path(canvas, &path, &solid(bar.color, opacity), tf);
            }
        }
        if let Some(label) = &bar.value_label {
            // Shown from the start where the grown bar ends, or fading in with the bar's end.
            let (h, p) = if bar.label_always { (bar.h, 1.0) } else { (h, p) };
            if p > 0.0 {
                let lx = bar.x + (bar.w - label.width) / 2.0;
                let ly = if bar.down { bar.base + h + 4.0 } else { bar.base - h - label.height - 4.0 };
                draw_text(canvas, label, lx, ly, opacity * p, tf);
            }
        }
    }
    if !parts.rest {
        return;
    }
    for line in &chart.lines {
        draw_line(canvas, line, t, opacity, tf);
    }
    for Counter { x, y, width, align, text } in &chart.counters {
        let block = text.at(t);
        draw_text(
            canvas,
            block,
            x + align_in(*width, block.width, align.resolve(block.rtl)),
            *y,
            opacity,
            tf,
        );
    }
}

/// A line drawn on so far, the wash under it, and its highlighted point once reached.
fn draw_line(canvas: &mut Pixmap, line: &Line, t: f32, opacity: f32, tf: Transform) {
    let p = line.progress(t);
    let pts = line.visible(p);
    if let (Some((floor, wash)), Some(first), Some(last)) = (line.area, pts.first(), pts.last()) {
        let mut poly = pts.clone();
        poly.push((last.0, floor));
        poly.push((first.0, floor));
        if let Some(path) = polygon(&poly) {
            fill_path(canvas, &path, &solid(wash, opacity), tf);
        }
    }
    if pts.len() >= 2 {
        let mut pb = PathBuilder::new();
        pb.move_to(pts[0].0, pts[0].1);
        for q in &pts[1..] {
            pb.line_to(q.0, q.1);
        }
        if let Some(path) = pb.finish() {
            let stroke = Stroke {
                width: line.width,
                line_join: tiny_skia::LineJoin::Round,
                line_cap: tiny_skia::LineCap::Round,
                ..Default::default()
            };
            canvas.stroke_path(&path, &solid(line.color, opacity), &stroke, tf, None);
        }
    }
    if let Some((i, label)) = &line.highlight {
        if line.reached(*i, p) {
            let (x, y) = line.points[*i];
            let r = line.width * 2.2;
            // A ring in the line's colour around a dot of the label colour stands out on any
            // background.
            if let Some(c) = PathBuilder::from_circle(x, y, r + line.width) {
                fill_path(canvas, &c, &solid(line.color, opacity), tf);
            }
            if let (Some(c), Some(l)) = (PathBuilder::from_circle(x, y, r), label) {
                fill_path(canvas, &c, &solid(l.color, opacity), tf);
            }
            if let Some(l) = label {
                draw_text(canvas, l, x - l.width / 2.0, y - r - line.width - l.height - 4.0, opacity, tf);
            }
        }
    }
}
