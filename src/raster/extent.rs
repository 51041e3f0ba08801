//! Where a node paints: its box as placed and scaled, grown by what reaches out of it. The
//! settled layers (see `settle`) use it to tell which layers can overlap.

use std::ops::Range;

use super::placed;
use super::text::text_ink;
use crate::scene::{Node, NodeKind};

/// A rectangle of canvas pixels, `x0..x1` by `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Extent {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Extent {
    pub(super) fn meets(&self, o: &Extent) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// The pixels `node` may paint at `t`, as placed and scaled by its animation: a text's glyphs
/// (with their outline and shadow), an image's picture, a shape's box with its stroke, a QR
/// code's box, each with 2 pixels for anti-aliasing; a chart's or a progress bar's box with a
/// margin of a quarter of its size plus 16 pixels (labels and markers reach out of it). None
/// when it is not drawn at all.
pub(super) fn node_extent(node: &Node, t: f32, width: u32, height: u32) -> Option<Extent> {
    let (_, tf) = placed(node, t)?;
    let b = node.bounds;
    // In the box's own coordinates (the transform only moves and scales), and the margin
    // around them in canvas pixels.
    let ((x0, y0, x1, y1), (mx, my)) = match &node.kind {
        NodeKind::Text(text) => (text_ink(text.at(t))?, (2.0, 2.0)),
        NodeKind::Image { pixels, offset } => (
            (offset.0, offset.1, offset.0 + pixels.width() as f32, offset.1 + pixels.height() as f32),
            (2.0, 2.0),
        ),
        NodeKind::Rect { stroke, .. } => {
            let sw = stroke.map_or(0.0, |(_, w)| w);
            ((-sw, -sw, b.w + sw, b.h + sw), (2.0, 2.0))
        }
        NodeKind::Qr(_) => ((0.0, 0.0, b.w, b.h), (2.0, 2.0)),
        NodeKind::Chart(_) | NodeKind::Progress(_) => {
            ((0.0, 0.0, b.w, b.h), (0.25 * tf.sx * b.w + 16.0, 0.25 * tf.sy * b.h + 16.0))
        }
    };
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    Some(Extent {
        x0: clamp((tf.tx + tf.sx * x0 - mx).floor(), width),
        y0: clamp((tf.ty + tf.sy * y0 - my).floor(), height),
        x1: clamp((tf.tx + tf.sx * x1 + mx).ceil(), width),
        y1: clamp((tf.ty + tf.sy * y1 + my).ceil(), height),
    })
}

/// The smallest range holding both (an empty one adds nothing).
pub(super) fn union(a: Range<u32>, b: Range<u32>) -> Range<u32> {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b,
        (_, true) => a,
        _ => a.start.min(b.start)..a.end.max(b.end),
    }
}
