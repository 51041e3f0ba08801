//! Text: laid-out glyph outlines (with their shadow and outline) filled at a place, and
//! fading text put down from a sprite drawn once.

use tiny_skia::{FillRule, Pixmap, PixmapPaint, Stroke, Transform};

use super::cache::{Sprite, SpriteKey, Sprites};
use super::paint::solid;
use crate::scene::TextBlock;

/// A text node's `block` (the variant shown), its box resting at `rest`. A fade without scaling
/// puts down the text's sprite (see [`fade_text`]); anything else draws the glyphs.
pub(super) fn draw(
    canvas: &mut Pixmap,
    block: &TextBlock,
    key: SpriteKey,
    rest: (f32, f32),
    opacity: f32,
    tf: Transform,
    sprites: &mut Sprites,
) {
    if opacity < 1.0 && !tf.has_scale() && !tf.has_skew() {
        fade_text(canvas, block, key, rest, tf, opacity, sprites)
    } else {
        draw_text(canvas, block, 0.0, 0.0, opacity, tf)
    }
}

/// Where a text's glyphs (with their outline and shadow) paint, relative to its origin:
/// (left, top, right, bottom); None without glyphs.
pub(super) fn text_ink(block: &TextBlock) -> Option<(f32, f32, f32, f32)> {
    let pad = block.outline.map_or(0.0, |(_, w)| w);
    let (sx, sy) = block.shadow.map_or((0.0, 0.0), |(_, dx, dy)| (dx, dy));
    let mut ink: Option<(f32, f32, f32, f32)> = None;
    for g in &block.glyphs {
        let r = g.path.bounds();
        let (a, c) = (g.x + r.left() * g.scale - pad, g.x + r.right() * g.scale + pad);
        let (top, bottom) = (g.y - r.bottom() * g.scale - pad, g.y - r.top() * g.scale + pad);
        let (l, t, r, b) = ink.unwrap_or((a, top, c, bottom));
        ink = Some((
            l.min(a).min(a + sx),
            t.min(top).min(top + sy),
            r.max(c).max(c + sx),
            b.max(bottom).max(bottom + sy),
        ));
    }
    ink
}

/// A text fading in or out, resting at `rest` (its box's top-left corner): drawn once at full
/// opacity at the sub-pixel phase of its resting place (a sprite, kept in `sprites` under
/// `key`), then put
/// down each frame with the opacity, at whole-pixel steps from its resting place. Drawing every
/// glyph's outline at every step of a fade costs several times as much, and a text moving
/// while it fades reads as well at whole pixels (scene slides move that way too).
fn fade_text(
    canvas: &mut Pixmap,
    block: &TextBlock,
    key: SpriteKey,
    rest: (f32, f32),
    tf: Transform,
    opacity: f32,
    sprites: &mut Sprites,
) {
    let phase = (rest.0 - rest.0.floor(), rest.1 - rest.1.floor());
    let make = || {
        let Some((l, t, r, b)) = text_ink(block) else {
            return Sprite { phase, origin: (0, 0), pixmap: None };
        };
        let origin = ((phase.0 + l).floor() as i32 - 1, (phase.1 + t).floor() as i32 - 1);
        let size = ((phase.0 + r).ceil() as i32 + 1 - origin.0, (phase.1 + b).ceil() as i32 + 1 - origin.1);
        let pixmap = Pixmap::new(size.0.max(1) as u32, size.1.max(1) as u32).map(|mut p| {
            let at = Transform::from_translate(phase.0 - origin.0 as f32, phase.1 - origin.1 as f32);
            draw_text(&mut p, block, 0.0, 0.0, 1.0, at);
            p
        });
        Sprite { phase, origin, pixmap }
    };
    // Kept for the phase it was first made at (a text has one resting place).
    let made;
    let sprite = match sprites.get_or_make(key, make) {
        s if s.phase == phase => s,
        _ => {
            made = make();
            &made
        }
    };
    let Some(pixmap) = &sprite.pixmap else { return };
    let x = rest.0.floor() as i32 + (tf.tx - rest.0).round() as i32 + sprite.origin.0;
    let y = rest.1.floor() as i32 + (tf.ty - rest.1).round() as i32 + sprite.origin.1;
    let paint = PixmapPaint { opacity, quality: tiny_skia::FilterQuality::Nearest, ..Default::default() };
    canvas.draw_pixmap(x, y, pixmap.as_ref(), &paint, Transform::identity(), None);
}

pub(super) fn draw_text(canvas: &mut Pixmap, block: &TextBlock, x: f32, y: f32, opacity: f32, tf: Transform) {
    if let Some((color, dx, dy)) = block.shadow {
        let paint = solid(color, opacity);
        for g in &block.glyphs {
            let gt = tf.pre_translate(x + g.x + dx, y + g.y + dy).pre_scale(g.scale, -g.scale);
            canvas.fill_path(&g.path, &paint, FillRule::Winding, gt, None);
        }
    }
    if let Some((color, width)) = block.outline {
        let paint = solid(color, opacity);
        for g in &block.glyphs {
            let gt = tf.pre_translate(x + g.x, y + g.y).pre_scale(g.scale, -g.scale);
            // The stroke is centred on the outline and half of it is covered by the fill, so
            // stroke twice the width; paths are in font units, hence the division by the scale.
            let stroke = Stroke {
                width: 2.0 * width / g.scale,
                line_join: tiny_skia::LineJoin::Round,
                ..Default::default()
            };
            canvas.stroke_path(&g.path, &paint, &stroke, gt, None);
        }
    }
    let paint = solid(block.color, opacity);
    for g in &block.glyphs {
        // Outlines are in font units with y up: flip and scale onto the baseline point.
        let gt = tf.pre_translate(x + g.x, y + g.y).pre_scale(g.scale, -g.scale);
        match g.color {
            Some(c) => canvas.fill_path(&g.path, &solid(c, opacity), FillRule::Winding, gt, None),
            None => canvas.fill_path(&g.path, &paint, FillRule::Winding, gt, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::cache::Sprites;
    use crate::raster::composite::tests::patterned;
    use crate::raster::NodeAt;
    use crate::scene::Rgba;

    /// A text laid out with the shipped body font.
    fn sample_text() -> TextBlock {
        use crate::scene::text::{layout, Font, FontChain, TextStyle};
        use crate::style::Align;
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/Inter-Regular.otf")).unwrap();
        let font = Font::from_bytes("body", bytes).unwrap();
        let style = TextStyle::simple(30.0, Rgba::rgb(250, 240, 120), Align::Left, Some(300.0));
        layout(FontChain { primary: &font, fallbacks: &[] }, "Fading in, Ågé 42", style)
    }

    /// How many pixels of `a` and `b` differ by more than 2 in a colour, and how many pixels
    /// `b` inked (changed from `under`).
    fn compare(a: &Pixmap, b: &Pixmap, under: &Pixmap) -> (usize, usize) {
        let px = |p: &Pixmap| p.data().chunks_exact(4).map(|c| [c[0], c[1], c[2]]).collect::<Vec<_>>();
        let (a, b, under) = (px(a), px(b), px(under));
        let off =
            a.iter().zip(&b).filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 2)).count();
        (off, b.iter().zip(&under).filter(|(p, q)| p != q).count())
    }

    #[test]
    fn a_fading_text_from_its_sprite_matches_its_glyphs_drawn_at_that_opacity() {
        let block = sample_text();
        let (canvas, _) = patterned(360, 90);
        // Resting at a fractional place; sampled at rest and at whole and fractional offsets.
        let rest = (12.3f32, 20.6f32);
        let mut sprites = Sprites::default();
        let key = |node| (NodeAt { scene: 0, node }, 0);
        for (dx, dy, opacity) in
            [(0.0, 0.0, 0.5), (0.0, 0.0, 0.9), (-7.0, 0.0, 0.3), (0.0, 11.0, 0.75), (3.4, -2.6, 0.6)]
        {
            let tf = Transform::from_translate(rest.0 + dx, rest.1 + dy);
            let mut sprite = canvas.clone();
            fade_text(&mut sprite, &block, key(0), rest, tf, opacity, &mut sprites);
            // The same text drawn glyph by glyph, where the sprite puts it (whole-pixel steps).
            let at = Transform::from_translate(rest.0 + dx.round(), rest.1 + dy.round());
            let mut glyphs = canvas.clone();
            draw_text(&mut glyphs, &block, 0.0, 0.0, opacity, at);
            let (off, inked) = compare(&sprite, &glyphs, &canvas);
            assert!(inked > 1000, "({dx}, {dy}): only {inked} pixels inked");
            assert!(
                off * 50 < inked,
                "({dx}, {dy}) at {opacity}: {off} of {inked} inked pixels differ by more than 2"
            );
        }
        // With a shadow and an outline the sprite fades the text as one (the shadow and outline
        // do not show through the letters); almost opaque, it is the text drawn opaque.
        let mut block = sample_text();
        block.shadow = Some((Rgba { r: 0, g: 0, b: 0, a: 160 }, 2.0, 3.0));
        block.outline = Some((Rgba::rgb(20, 40, 200), 1.5));
        let tf = Transform::from_translate(rest.0, rest.1);
        let (mut sprite, mut glyphs) = (canvas.clone(), canvas.clone());
        fade_text(&mut sprite, &block, key(1), rest, tf, 0.999, &mut sprites);
        draw_text(&mut glyphs, &block, 0.0, 0.0, 1.0, tf);
        let (off, inked) = compare(&sprite, &glyphs, &canvas);
        assert!(off * 50 < inked, "outlined: {off} of {inked} inked pixels differ by more than 2");
    }
}
