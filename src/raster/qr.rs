//! QR codes: a light square and the dark modules, kept sharp on whole pixels.

use tiny_skia::{FillRule, PathBuilder, Pixmap, Rect as SkRect, Transform};

use super::paint::{on_whole_pixels, solid};
use crate::scene::{Qr, Rect};

/// The light square, then every dark module, as one path. Edges are not anti-aliased when the
/// code sits on whole pixels, so modules stay sharp for scanners (and for the video encoder).
pub(super) fn draw(canvas: &mut Pixmap, qr: &Qr, b: Rect, opacity: f32, tf: Transform) {
    let crisp = on_whole_pixels(tf);
    if let Some(r) = SkRect::from_xywh(0.0, 0.0, b.w, b.h) {
        let mut p = solid(qr.background, opacity);
        p.anti_alias = !crisp;
        canvas.fill_rect(r, &p, tf, None);
    }
    let mut pb = PathBuilder::new();
    for (i, _) in qr.dark.iter().enumerate().filter(|(_, d)| **d) {
        let (row, col) = (i / qr.size, i % qr.size);
        let (x, y) = (qr.origin.0 + col as f32 * qr.module, qr.origin.1 + row as f32 * qr.module);
        if let Some(r) = SkRect::from_xywh(x, y, qr.module, qr.module) {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        let mut p = solid(qr.color, opacity);
        p.anti_alias = !crisp;
        canvas.fill_path(&path, &p, FillRule::Winding, tf, None);
    }
}
