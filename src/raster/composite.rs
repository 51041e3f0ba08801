//! Compositing: an incoming scene's layer put over the canvas as its transition says (fade,
//! slide, wipe), with integer blends and plain copies where they give tiny-skia's pixels for
//! a fraction of its cost.

use tiny_skia::{FillRule, PathBuilder, Pixmap, PixmapPaint, Rect as SkRect, Transform};

use crate::scene::{Easing, TransitionKind};
use crate::style::Side;

/// Puts the incoming scene's layer over the canvas, `p` (0..1) of the way through.
/// `opaque`: every pixel of the layer is opaque (it has a background), which allows plain
/// copies and a per-byte blend.
pub(super) fn transition(canvas: &mut Pixmap, layer: &Pixmap, opaque: bool, kind: TransitionKind, p: f32) {
    let (w, h) = (canvas.width() as f32, canvas.height() as f32);
    match kind {
        TransitionKind::Fade => fade_over(canvas, layer, opaque, p),
        TransitionKind::Slide(from) => {
            // Eased so the scene decelerates into place; whole pixels keep it sharp.
            let rest = 1.0 - Easing::EaseOut.apply(p);
            let (dx, dy) = match from {
                Side::Left => (-w * rest, 0.0),
                Side::Right => (w * rest, 0.0),
                Side::Top => (0.0, -h * rest),
                Side::Bottom => (0.0, h * rest),
            };
            let (dx, dy) = (dx.round() as i32, dy.round() as i32);
            if opaque && dx >= 0 && dy >= 0 {
                // An opaque layer over the canvas is a copy of the rows that overlap. (With a
                // negative offset tiny-skia also paints the column or row just past the layer's
                // edge, so that case stays with it, to keep frames as they were.)
                copy_shifted(canvas, layer, dx, dy);
            } else {
                let paint = PixmapPaint::default();
                canvas.draw_pixmap(dx, dy, layer.as_ref(), &paint, Transform::identity(), None);
            }
        }
        TransitionKind::Wipe(from) => {
            let e = Easing::EaseInOut.apply(p);
            let r = match from {
                Side::Left => SkRect::from_xywh(0.0, 0.0, w * e, h),
                Side::Right => SkRect::from_xywh(w * (1.0 - e), 0.0, w * e, h),
                Side::Top => SkRect::from_xywh(0.0, 0.0, w, h * e),
                Side::Bottom => SkRect::from_xywh(0.0, h * (1.0 - e), w, h * e),
            };
            let Some(r) = r else { return };
            if opaque {
                return wipe_opaque(canvas, layer, r, matches!(from, Side::Left | Side::Right));
            }
            let Some(mut mask) = tiny_skia::Mask::new(canvas.width(), canvas.height()) else { return };
            mask.fill_path(&PathBuilder::from_rect(r), FillRule::Winding, true, Transform::identity());
            canvas.draw_pixmap(
                0,
                0,
                layer.as_ref(),
                &PixmapPaint::default(),
                Transform::identity(),
                Some(&mask),
            );
        }
    }
}

/// `layer` over `canvas` at opacity `p` (premultiplied source-over), in integers: a full-frame
/// crossfade costs a fraction of tiny-skia's general pixmap pipeline.
fn fade_over(canvas: &mut Pixmap, layer: &Pixmap, opaque: bool, p: f32) {
    let a = fade_weight(p);
    if opaque {
        // Every byte blends with the same weights (the general formula with alpha 255), in
        // 16-bit lanes the compiler vectorises.
        for (d, s) in canvas.data_mut().iter_mut().zip(layer.data()) {
            *d = blend_byte(*s, *d, a);
        }
        return;
    }
    for (d, s) in canvas.data_mut().chunks_exact_mut(4).zip(layer.data().chunks_exact(4)) {
        let keep = 255 - div255(s[3] as u16 * a + 127) as u16;
        for c in 0..4 {
            d[c] = div255(s[c] as u16 * a + d[c] as u16 * keep + 127);
        }
    }
}

/// [`fade_over`] of an opaque `layer` over `under`, into `canvas`: the same bytes as copying
/// `under` into `canvas` and fading there, in one pass.
pub(super) fn fade_opaque_from(canvas: &mut Pixmap, under: &Pixmap, layer: &Pixmap, p: f32) {
    let a = fade_weight(p);
    for ((d, u), s) in canvas.data_mut().iter_mut().zip(under.data()).zip(layer.data()) {
        *d = blend_byte(*s, *u, a);
    }
}

/// A fade's progress `p` as the incoming layer's weight, 0..=255.
fn fade_weight(p: f32) -> u16 {
    (p.clamp(0.0, 1.0) * 255.0 + 0.5) as u16
}

/// Byte `s` over byte `d` with weight `a` of 255 (and `255 - a` for `d`), rounded.
#[inline(always)]
fn blend_byte(s: u8, d: u8, a: u16) -> u8 {
    div255(s as u16 * a + d as u16 * (255 - a) + 127)
}

/// `x / 255` rounded down, for `x` up to 255 * 256 - 1 (a blend of two bytes with weights
/// summing to 255, plus rounding, is at most 65152), without a division.
fn div255(x: u16) -> u8 {
    ((x as u32 + 1 + (x as u32 >> 8)) >> 8) as u8
}

/// Copies `layer` onto `canvas` shifted right and down by (dx, dy), where they overlap.
fn copy_shifted(canvas: &mut Pixmap, layer: &Pixmap, dx: i32, dy: i32) {
    let (w, h) = (canvas.width() as i32, canvas.height() as i32);
    if dx >= w {
        return;
    }
    let row = (w * 4) as usize;
    let span = ((w - dx) * 4) as usize;
    for y in dy..h {
        let src = &layer.data()[(y - dy) as usize * row..][..span];
        canvas.data_mut()[y as usize * row + dx as usize * 4..][..span].copy_from_slice(src);
    }
}

/// An opaque layer wiped in over the canvas within `r`, which spans the whole height
/// (`across`: the wipe moves across) or the whole width. Drawing the layer through a
/// full-canvas mask runs tiny-skia's pipeline on every pixel; here the covered columns (or
/// rows) are plain copies and only the anti-aliased edge goes through tiny-skia, on a strip
/// one pixel wide with the same mask values, so the pixels are the same.
fn wipe_opaque(canvas: &mut Pixmap, layer: &Pixmap, r: SkRect, across: bool) {
    let (w, h) = (canvas.width(), canvas.height());
    // The mask's coverage along the wipe: one row (or column) of the full mask.
    // (Three pixels deep, read in the middle: the same values as inside the full mask.)
    let (len, strip, mask) = if across {
        (w, SkRect::from_xywh(r.x(), -1.0, r.width(), 5.0), tiny_skia::Mask::new(w, 3))
    } else {
        (h, SkRect::from_xywh(-1.0, r.y(), 5.0, r.height()), tiny_skia::Mask::new(3, h))
    };
    let (Some(strip), Some(mut mask)) = (strip, mask) else { return };
    mask.fill_path(&PathBuilder::from_rect(strip), FillRule::Winding, true, Transform::identity());
    let coverage: Vec<u8> = match across {
        true => mask.data()[w as usize..2 * w as usize].to_vec(),
        false => mask.data().chunks_exact(3).map(|c| c[1]).collect(),
    };
    let row = w as usize * 4;
    // Whole coverage (one run): copy.
    let first = coverage.iter().position(|&c| c == 255);
    let last = coverage.iter().rposition(|&c| c == 255);
    if let (Some(a), Some(b)) = (first, last) {
        if across {
            for y in 0..h as usize {
                let span = y * row + a * 4..y * row + (b + 1) * 4;
                canvas.data_mut()[span.clone()].copy_from_slice(&layer.data()[span]);
            }
        } else {
            let span = a * row..(b + 1) * row;
            canvas.data_mut()[span.clone()].copy_from_slice(&layer.data()[span]);
        }
    }
    // Partial coverage (the edge): through tiny-skia, a strip at a time.
    for i in (0..len as usize).filter(|&i| coverage[i] != 0 && coverage[i] != 255) {
        let (sw, sh) = if across { (1, h) } else { (w, 1) };
        let pixels = |pix: &Pixmap| -> Vec<u8> {
            if across {
                (0..h as usize).flat_map(|y| pix.data()[y * row + i * 4..][..4].to_vec()).collect()
            } else {
                pix.data()[i * row..(i + 1) * row].to_vec()
            }
        };
        let (Some(mut dst), Some(src), Some(mut mask)) = (
            Pixmap::from_vec(pixels(canvas), tiny_skia::IntSize::from_wh(sw, sh).expect("positive")),
            Pixmap::from_vec(pixels(layer), tiny_skia::IntSize::from_wh(sw, sh).expect("positive")),
            tiny_skia::Mask::new(sw, sh),
        ) else {
            continue;
        };
        mask.data_mut().fill(coverage[i]);
        dst.draw_pixmap(0, 0, src.as_ref(), &PixmapPaint::default(), Transform::identity(), Some(&mask));
        if across {
            for (y, px) in dst.data().chunks_exact(4).enumerate() {
                canvas.data_mut()[y * row + i * 4..][..4].copy_from_slice(px);
            }
        } else {
            canvas.data_mut()[i * row..(i + 1) * row].copy_from_slice(dst.data());
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn division_by_255_without_dividing_is_exact() {
        // Up to the largest value whose quotient fits a byte (blends stay below 65153).
        for x in 0..=(255 * 256 - 1) as u16 {
            assert_eq!(div255(x) as u16, x / 255, "{x}");
        }
    }

    fn test_pixmaps() -> (Pixmap, Pixmap) {
        patterned(64, 48)
    }

    /// Two opaque pixmaps of different patterns.
    pub(in crate::raster) fn patterned(w: u32, h: u32) -> (Pixmap, Pixmap) {
        let (mut a, mut b) = (Pixmap::new(w, h).unwrap(), Pixmap::new(w, h).unwrap());
        for (i, (p, q)) in a.data_mut().chunks_exact_mut(4).zip(b.data_mut().chunks_exact_mut(4)).enumerate()
        {
            p.copy_from_slice(&[(i * 7) as u8, (i * 13) as u8, (i * 3) as u8, 255]);
            q.copy_from_slice(&[(i * 5) as u8, (i * 11) as u8, (i * 17) as u8, 255]);
        }
        (a, b)
    }

    #[test]
    fn the_opaque_crossfade_equals_the_general_one_and_tiny_skia_within_one() {
        let (canvas, layer) = test_pixmaps();
        for p in [0.0, 0.1, 0.5, 0.77, 1.0] {
            let (mut fast, mut general, mut skia) = (canvas.clone(), canvas.clone(), canvas.clone());
            fade_over(&mut fast, &layer, true, p);
            fade_over(&mut general, &layer, false, p);
            assert!(fast.data() == general.data(), "p {p}");
            // Straight from the picture under it, into a canvas holding something else.
            let mut from = layer.clone();
            fade_opaque_from(&mut from, &canvas, &layer, p);
            assert!(from.data() == fast.data(), "p {p}: fading from the picture under it");
            let paint = PixmapPaint { opacity: p, ..Default::default() };
            skia.draw_pixmap(0, 0, layer.as_ref(), &paint, Transform::identity(), None);
            let worst = fast.data().iter().zip(skia.data()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(worst <= 1, "p {p}: off by {worst} from tiny-skia");
        }
    }

    #[test]
    fn an_opaque_wipe_equals_drawing_through_a_full_mask() {
        let (small, small_layer) = test_pixmaps();
        let (big, big_layer) = patterned(1280, 720);
        for (canvas, layer, steps) in [(small, small_layer, 40), (big, big_layer, 7)] {
            let (w, h) = (canvas.width() as f32, canvas.height() as f32);
            for k in 0..=steps {
                let e = k as f32 / steps as f32 + 0.0137;
                let rects = [
                    (SkRect::from_xywh(0.0, 0.0, w * e, h), true),
                    (SkRect::from_xywh(w * (1.0 - e), 0.0, w * e, h), true),
                    (SkRect::from_xywh(0.0, 0.0, w, h * e), false),
                    (SkRect::from_xywh(0.0, h * (1.0 - e), w, h * e), false),
                ];
                for (r, across) in rects {
                    let Some(r) = r else { continue };
                    let (mut fast, mut skia) = (canvas.clone(), canvas.clone());
                    wipe_opaque(&mut fast, &layer, r, across);
                    let mut mask = tiny_skia::Mask::new(canvas.width(), canvas.height()).unwrap();
                    mask.fill_path(
                        &PathBuilder::from_rect(r),
                        FillRule::Winding,
                        true,
                        Transform::identity(),
                    );
                    skia.draw_pixmap(
                        0,
                        0,
                        layer.as_ref(),
                        &PixmapPaint::default(),
                        Transform::identity(),
                        Some(&mask),
                    );
                    let first = fast.data().iter().zip(skia.data()).position(|(a, b)| a != b);
                    assert!(first.is_none(), "wipe {r:?}: first difference at byte {first:?}");
                }
            }
        }
    }

    #[test]
    fn a_slide_of_an_opaque_layer_equals_tiny_skias_blit() {
        let (canvas, layer) = test_pixmaps();
        for (dx, dy) in [(0, 0), (10, 0), (0, 7), (5, 5), (63, 0), (64, 0), (70, 0), (0, 48)] {
            let (mut fast, mut skia) = (canvas.clone(), canvas.clone());
            copy_shifted(&mut fast, &layer, dx, dy);
            skia.draw_pixmap(dx, dy, layer.as_ref(), &PixmapPaint::default(), Transform::identity(), None);
            let first = fast.data().iter().zip(skia.data()).position(|(a, b)| a != b);
            assert!(first.is_none(), "shift ({dx}, {dy}): first difference at byte {first:?}");
        }
    }
}
