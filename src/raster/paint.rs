//! Paints: solid colours at an opacity, CSS-like linear gradients, and the pixel-grid test
//! that decides when drawing can skip anti-aliasing or filtering.

use tiny_skia::{
    Color, GradientStop, LinearGradient, Paint as SkPaint, Pixmap, Point, Rect as SkRect, Shader, SpreadMode,
    Transform,
};

use crate::math;
use crate::scene::{Paint, Rect, Rgba};

/// A plain move by whole pixels: what is drawn lands on the pixel grid exactly.
pub(super) fn on_whole_pixels(tf: Transform) -> bool {
    tf.is_translate() && tf.tx.fract() == 0.0 && tf.ty.fract() == 0.0
}

pub(super) fn solid(c: Rgba, opacity: f32) -> SkPaint<'static> {
    let mut p = SkPaint::default();
    p.set_color(Color::from_rgba8(c.r, c.g, c.b, (c.a as f32 * opacity).round() as u8));
    p.anti_alias = true;
    p
}

pub(super) fn sk_paint(p: &Paint, area: Rect, opacity: f32) -> SkPaint<'_> {
    match p {
        Paint::Solid(c) => solid(*c, opacity),
        Paint::Linear { angle, stops } => {
            let (start, end) = gradient_line(*angle, area);
            let n = stops.len().max(2) - 1;
            let gs: Vec<GradientStop> = stops
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    GradientStop::new(
                        i as f32 / n as f32,
                        Color::from_rgba8(c.r, c.g, c.b, (c.a as f32 * opacity).round() as u8),
                    )
                })
                .collect();
            let shader = LinearGradient::new(start, end, gs, SpreadMode::Pad, Transform::identity())
                .unwrap_or_else(|| {
                    Shader::SolidColor(Color::from_rgba8(stops[0].r, stops[0].g, stops[0].b, stops[0].a))
                });
            SkPaint { shader, anti_alias: true, ..Default::default() }
        }
        Paint::Image(pixels) => {
            let shader = tiny_skia::Pattern::new(
                pixels.as_ref().as_ref(),
                SpreadMode::Pad,
                tiny_skia::FilterQuality::Nearest,
                opacity,
                Transform::from_translate(area.x, area.y),
            );
            SkPaint { shader, anti_alias: false, ..Default::default() }
        }
    }
}

/// The CSS gradient line for `angle` over a box: through its centre, long enough that the
/// corners get the first and last colours.
pub(super) fn gradient_line(angle: f32, r: Rect) -> (Point, Point) {
    let rad = angle.to_radians();
    let (dx, dy) = (math::sin(rad), -math::cos(rad));
    let half = (r.w * dx.abs() + r.h * dy.abs()) / 2.0;
    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
    (Point::from_xy(cx - dx * half, cy - dy * half), Point::from_xy(cx + dx * half, cy + dy * half))
}

pub(super) fn fill_rect_paint(canvas: &mut Pixmap, r: SkRect, p: &Paint, opacity: f32) {
    let area = Rect { x: r.x(), y: r.y(), w: r.width(), h: r.height() };
    canvas.fill_rect(r, &sk_paint(p, area, opacity), Transform::identity(), None);
}
