//! Shapes: rectangles (filled, rounded, stroked), progress gauges, and the paths charts build
//! from (rounded boxes, bars rounded at one end, polygons).

use tiny_skia::{FillRule, PathBuilder, Pixmap, Rect as SkRect, Stroke, Transform};

use super::paint::{sk_paint, solid};
use crate::scene::{Paint, Progress, Rect, Rgba};

/// A rectangle node: its box (`b`, drawn at the origin of `tf`) rounded by `radius`, filled
/// and stroked.
pub(super) fn draw_rect(
    canvas: &mut Pixmap,
    b: Rect,
    fill: &Option<Paint>,
    radius: f32,
    stroke: Option<(Rgba, f32)>,
    opacity: f32,
    tf: Transform,
) {
    let Some(path) = rounded_rect(0.0, 0.0, b.w, b.h, radius) else {
        return;
    };
    if let Some(p) = fill {
        let mut paint = sk_paint(p, Rect { x: 0.0, y: 0.0, w: b.w, h: b.h }, opacity);
        paint.anti_alias = true;
        fill_path(canvas, &path, &paint, tf);
    }
    if let Some((color, width)) = stroke {
        let paint = solid(color, opacity);
        canvas.stroke_path(&path, &paint, &Stroke { width, ..Default::default() }, tf, None);
    }
}

/// A progress gauge in its box `b`: the track, the fill as grown at `t`, and the marker.
pub(super) fn draw_progress(canvas: &mut Pixmap, p: &Progress, b: Rect, t: f32, opacity: f32, tf: Transform) {
    if let Some(track) = rounded_rect(0.0, 0.0, b.w, b.h, p.radius) {
        fill_path(canvas, &track, &solid(p.track, opacity), tf);
    }
    let filled = b.w * p.shown(t);
    // Keep the fill's rounded end inside the track even when it is shorter than a radius.
    if let Some(bar) = rounded_rect(0.0, 0.0, filled.max(0.0), b.h, p.radius.min(filled / 2.0)) {
        fill_path(canvas, &bar, &solid(p.color, opacity), tf);
    }
    if let Some((at, color)) = p.marker {
        let w = (b.h * 0.12).max(2.0);
        if let Some(r) = SkRect::from_xywh(b.w * at - w / 2.0, -b.h * 0.25, w, b.h * 1.5) {
            canvas.fill_rect(r, &solid(color, opacity), tf, None);
        }
    }
}

/// Below this width or height (in pixels, after the transform) a path covers no area; tiny-skia
/// skips such a path (its `SCALAR_NEARLY_ZERO`).
const NO_AREA: f32 = 1.0 / 4096.0;

/// Fills `path`, unless it covers no area once transformed by `tf`: a slice that has not yet
/// started growing, a wash under a line of one point, a gauge at zero. tiny-skia would not
/// draw it either, but would log a warning each time, which for an animation starting is once
/// a frame for every record.
pub(super) fn fill_path(
    canvas: &mut Pixmap,
    path: &tiny_skia::Path,
    paint: &tiny_skia::Paint,
    tf: Transform,
) {
    let bounds =
        if tf.is_identity() { Some(path.bounds()) } else { path.clone().transform(tf).map(|p| p.bounds()) };
    if bounds.is_some_and(|b| b.width() > NO_AREA && b.height() > NO_AREA) {
        canvas.fill_path(path, paint, FillRule::Winding, tf, None);
    }
}

pub(super) fn polygon(points: &[(f32, f32)]) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

pub(super) fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let r = r.clamp(0.0, w.min(h) / 2.0);
    if r == 0.0 {
        return Some(PathBuilder::from_rect(SkRect::from_xywh(x, y, w, h)?));
    }
    // Cubic arcs with the usual circle constant.
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish()
}

/// A bar: rounded at the top, square on the baseline.
pub(super) fn top_rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let r = r.clamp(0.0, w.min(h) / 2.0);
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x, y + h);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h);
    pb.close();
    pb.finish()
}
