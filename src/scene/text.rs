//! Fonts and text layout.
//!
//! In: a string, a font, a size, an alignment and an optional box width. Out: a [`TextBlock`],
//! glyph outlines placed on baselines, wrapped by words to fit the width.
//!
//! Shaping (which glyphs, where: kerning, ligatures, combining marks) is rustybuzz's, because
//! ab_glyph reads kerning only from the legacy `kern` table and modern fonts such as Inter kern
//! through OpenType GPOS. Outlines come from ab_glyph and are turned into tiny-skia paths once
//! per glyph (the glyph cache), so drawing a glyph again at any size or transform costs a path
//! fill and nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ab_glyph::{Font as _, FontArc, GlyphId, OutlineCurve, ScaleFont as _};
use indexmap::IndexMap;

use super::Rgba;
use crate::storyboard::Align;

self_cell::self_cell!(
    /// The font bytes and the shaping face that borrows them.
    struct Shaper {
        owner: Vec<u8>,
        #[covariant]
        dependent: RbFace,
    }
);

type RbFace<'a> = rustybuzz::Face<'a>;

/// A loaded font and its glyph cache.
pub struct Font {
    pub name: String,
    face: FontArc,
    shaper: Shaper,
    /// Glyph outlines in font units (y up), built on first use.
    paths: Mutex<HashMap<GlyphId, Option<Arc<tiny_skia::Path>>>>,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Font").field("name", &self.name).finish()
    }
}

impl Font {
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Font, String> {
        let face =
            FontArc::try_from_vec(bytes.clone()).map_err(|e| format!("font `{name}` cannot be read: {e}"))?;
        let shaper = Shaper::try_new(bytes, |b| rustybuzz::Face::from_slice(b, 0).ok_or(()))
            .map_err(|_| format!("font `{name}` cannot be used for shaping"))?;
        Ok(Font { name: name.into(), face, shaper, paths: Mutex::new(HashMap::new()) })
    }

    fn units_per_em(&self) -> f32 {
        self.face.units_per_em().unwrap_or(1000.0)
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.face.glyph_id(c).0 != 0
    }

    /// Shapes one run of text: (glyph, x offset, y offset, x advance), in font units.
    fn shape(&self, text: &str) -> Vec<(GlyphId, f32, f32, f32)> {
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.guess_segment_properties();
        let out = rustybuzz::shape(self.shaper.borrow_dependent(), &[], buf);
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| {
                (GlyphId(i.glyph_id as u16), p.x_offset as f32, p.y_offset as f32, p.x_advance as f32)
            })
            .collect()
    }

    fn glyph_path(&self, id: GlyphId) -> Option<Arc<tiny_skia::Path>> {
        let mut cache = self.paths.lock().expect("glyph cache poisoned");
        cache.entry(id).or_insert_with(|| outline_path(&self.face, id).map(Arc::new)).clone()
    }
}

/// Converts a glyph outline into a path in font units.
fn outline_path(face: &FontArc, id: GlyphId) -> Option<tiny_skia::Path> {
    let outline = face.outline(id)?;
    let mut pb = tiny_skia::PathBuilder::new();
    let mut last: Option<ab_glyph::Point> = None;
    for curve in &outline.curves {
        let start = match curve {
            OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, _, _, _) => *a,
        };
        if last != Some(start) {
            if last.is_some() {
                pb.close();
            }
            pb.move_to(start.x, start.y);
        }
        match curve {
            OutlineCurve::Line(_, b) => {
                pb.line_to(b.x, b.y);
                last = Some(*b);
            }
            OutlineCurve::Quad(_, c, b) => {
                pb.quad_to(c.x, c.y, b.x, b.y);
                last = Some(*b);
            }
            OutlineCurve::Cubic(_, c1, c2, b) => {
                pb.cubic_to(c1.x, c1.y, c2.x, c2.y, b.x, b.y);
                last = Some(*b);
            }
        }
    }
    if last.is_some() {
        pb.close();
    }
    pb.finish()
}

/// The fonts a storyboard names, in order; the first is the default.
#[derive(Debug, Default)]
pub struct FontBook {
    fonts: IndexMap<String, Arc<Font>>,
}

impl FontBook {
    pub fn insert(&mut self, font: Font) {
        self.fonts.insert(font.name.clone(), Arc::new(font));
    }

    /// The named font, or the default one when `name` is None.
    pub fn get(&self, name: Option<&str>) -> Option<&Arc<Font>> {
        match name {
            Some(n) => self.fonts.get(n),
            None => self.fonts.values().next(),
        }
    }
}

/// One glyph on the canvas: its outline (font units, y up) placed at a baseline point.
#[derive(Debug, Clone)]
pub struct PlacedGlyph {
    pub path: Arc<tiny_skia::Path>,
    /// Baseline origin relative to the text box's top-left, in pixels.
    pub x: f32,
    pub y: f32,
}

/// Laid-out text: glyphs relative to the box's top-left corner.
#[derive(Debug, Clone)]
pub struct TextBlock {
    pub glyphs: Vec<PlacedGlyph>,
    /// Pixels per font unit (the same for every glyph of a block).
    pub scale: f32,
    pub color: Rgba,
    /// The box the text occupies: the given width (or the widest line) by the lines' height.
    pub width: f32,
    pub height: f32,
    pub lines: Vec<String>,
}

/// How to lay text out.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub size: f32,
    pub color: Rgba,
    pub align: Align,
    /// Line advance as a multiple of the size.
    pub line_height: f32,
    /// Wrap to this width; None: one line per paragraph.
    pub max_width: Option<f32>,
}

/// Lays out `text`: paragraphs split at newlines, words wrapped greedily to `max_width`
/// (a word longer than the width stands alone on its line), lines aligned in the box.
pub fn layout(font: &Font, text: &str, style: TextStyle) -> TextBlock {
    let scale = style.size / font.units_per_em();
    let sf = font
        .face
        .as_scaled(ab_glyph::PxScale::from(style.size * font.face.height_unscaled() / font.units_per_em()));
    let space = advance(font, scale, " ");
    let mut lines: Vec<(String, f32)> = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut width = 0.0f32;
        for word in para.split(is_break_space).filter(|w| !w.is_empty()) {
            let w = advance(font, scale, word);
            if !line.is_empty() && style.max_width.is_some_and(|mw| width + space + w > mw + 0.01) {
                lines.push((std::mem::take(&mut line), width));
                width = 0.0;
            }
            if !line.is_empty() {
                line.push(' ');
                width += space;
            }
            line.push_str(word);
            width += w;
        }
        lines.push((line, width));
    }
    let box_width = style.max_width.unwrap_or_else(|| lines.iter().map(|l| l.1).fold(0.0, f32::max));
    let ascent = sf.ascent();
    let descent = sf.descent();
    let advance_y = style.size * style.line_height;
    let mut glyphs = Vec::new();
    for (i, (line, width)) in lines.iter().enumerate() {
        let x0 = match style.align {
            Align::Left => 0.0,
            Align::Center => (box_width - width) / 2.0,
            Align::Right => box_width - width,
        };
        let baseline = ascent + i as f32 * advance_y;
        place(font, scale, line, x0, baseline, &mut glyphs);
    }
    let height = ascent - descent + advance_y * (lines.len().saturating_sub(1)) as f32;
    TextBlock {
        glyphs,
        scale,
        color: style.color,
        width: box_width,
        height,
        lines: lines.into_iter().map(|l| l.0).collect(),
    }
}

/// Spaces where a line may break. No-break spaces (which CLDR puts between an amount and its
/// currency, and between digit groups) hold their neighbours together.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}')
}

/// Width of a run of text in pixels, as shaped (kerning included).
pub fn advance(font: &Font, scale: f32, text: &str) -> f32 {
    font.shape(text).iter().map(|g| g.3).sum::<f32>() * scale
}

fn place(font: &Font, scale: f32, text: &str, x0: f32, baseline: f32, out: &mut Vec<PlacedGlyph>) {
    let mut x = x0;
    for (id, dx, dy, adv) in font.shape(text) {
        if let Some(path) = font.glyph_path(id) {
            // Shaping offsets are y-up font units; the canvas is y-down.
            out.push(PlacedGlyph { path, x: x + dx * scale, y: baseline - dy * scale });
        }
        x += adv * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn inter() -> Font {
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/Inter-Regular.otf")).unwrap();
        Font::from_bytes("body", bytes).unwrap()
    }

    fn style(max_width: Option<f32>) -> TextStyle {
        TextStyle {
            size: 40.0,
            color: Rgba::rgb(255, 255, 255),
            align: Align::Left,
            line_height: 1.2,
            max_width,
        }
    }

    #[test]
    fn wraps_by_words_to_the_box() {
        let font = inter();
        let one = layout(&font, "Your bill for December is ready", style(None));
        assert_eq!(one.lines.len(), 1);
        let wrapped = layout(&font, "Your bill for December is ready", style(Some(300.0)));
        assert!(wrapped.lines.len() >= 2, "{:?}", wrapped.lines);
        for l in &wrapped.lines {
            assert!(advance(&font, wrapped.scale, l) <= 300.0, "line `{l}` overflows");
        }
        assert!(wrapped.height > one.height * 1.9);
    }

    #[test]
    fn no_break_spaces_hold_amounts_together() {
        let font = inter();
        let t = layout(&font, "Total 1\u{202f}234,50\u{a0}€", style(Some(60.0)));
        assert_eq!(t.lines, vec!["Total".to_string(), "1\u{202f}234,50\u{a0}€".to_string()]);
    }

    #[test]
    fn kerning_tightens_pairs() {
        let font = inter();
        let s = 100.0 / font.units_per_em();
        let pair = advance(&font, s, "AV");
        let apart = advance(&font, s, "A") + advance(&font, s, "V");
        assert!(pair < apart - 1.0, "no kerning between A and V: {pair} vs {apart}");
    }

    #[test]
    fn polish_italian_german_letters_are_in_the_font() {
        let font = inter();
        for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻàèéìòùäöüßÄÖÜ€£zł".chars() {
            assert!(font.covers(c), "{c} missing");
        }
    }
}
