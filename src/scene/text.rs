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

/// The fonts a storyboard names, in order (the first is the default), and the fallback chain
/// tried for characters a layer's font lacks.
#[derive(Debug, Default)]
pub struct FontBook {
    fonts: IndexMap<String, Arc<Font>>,
    fallbacks: Vec<Arc<Font>>,
}

impl FontBook {
    pub fn insert(&mut self, font: Font) {
        self.fonts.insert(font.name.clone(), Arc::new(font));
    }

    /// Makes the named (already inserted) fonts the fallback chain, in order.
    pub fn set_fallbacks(&mut self, names: &[String]) {
        self.fallbacks = names.iter().filter_map(|n| self.fonts.get(n).cloned()).collect();
    }

    /// The named font, or the default one when `name` is None.
    pub fn get(&self, name: Option<&str>) -> Option<&Arc<Font>> {
        match name {
            Some(n) => self.fonts.get(n),
            None => self.fonts.values().next(),
        }
    }

    /// The named font followed by the fallback chain.
    pub fn chain(&self, name: Option<&str>) -> Option<FontChain<'_>> {
        Some(FontChain { primary: self.get(name)?, fallbacks: &self.fallbacks })
    }
}

/// A font and the fonts tried, in order, for characters it does not have.
#[derive(Debug, Clone, Copy)]
pub struct FontChain<'a> {
    pub primary: &'a Font,
    pub fallbacks: &'a [Arc<Font>],
}

/// One shaped glyph, in pixels.
struct Shaped<'a> {
    font: &'a Font,
    id: GlyphId,
    dx: f32,
    dy: f32,
    advance: f32,
}

impl<'a> FontChain<'a> {
    fn font(&self, i: usize) -> &'a Font {
        if i == 0 {
            self.primary
        } else {
            &self.fallbacks[i - 1]
        }
    }

    /// The first font of the chain that has `c`.
    fn pick(&self, c: char) -> Option<usize> {
        (0..=self.fallbacks.len()).find(|&i| self.font(i).covers(c))
    }

    /// Splits text into runs that one font can draw. Spaces, combining marks and joiners stay
    /// with the run they are in; a character no font has goes to the primary font (it draws
    /// as the font's missing-glyph box) and is listed in `missing`.
    fn runs<'t>(&self, text: &'t str, missing: &mut Vec<char>) -> Vec<(usize, &'t str)> {
        let mut runs: Vec<(usize, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<usize> = None;
        for (i, c) in text.char_indices() {
            let chosen = if c.is_whitespace() || c.is_control() || joins_neighbours(c) {
                current.unwrap_or(0)
            } else {
                self.pick(c).unwrap_or_else(|| {
                    if !missing.contains(&c) {
                        missing.push(c);
                    }
                    0
                })
            };
            match current {
                Some(f) if f != chosen => {
                    runs.push((f, &text[start..i]));
                    start = i;
                    current = Some(chosen);
                }
                None => current = Some(chosen),
                _ => {}
            }
        }
        if let Some(f) = current {
            runs.push((f, &text[start..]));
        }
        runs
    }

    fn shape(&self, text: &str, size: f32, missing: &mut Vec<char>) -> Vec<Shaped<'a>> {
        let mut out = Vec::new();
        for (fi, run) in self.runs(text, missing) {
            let font = self.font(fi);
            let scale = size / font.units_per_em();
            out.extend(font.shape(run).into_iter().map(|(id, dx, dy, adv)| Shaped {
                font,
                id,
                dx: dx * scale,
                dy: dy * scale,
                advance: adv * scale,
            }));
        }
        out
    }

    /// Width of a run of text in pixels, as shaped (kerning included).
    pub fn advance(&self, text: &str, size: f32) -> f32 {
        self.shape(text, size, &mut Vec::new()).iter().map(|g| g.advance).sum()
    }
}

/// Combining marks, joiners and variation selectors: drawn by the font of the character they
/// attach to.
fn joins_neighbours(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C | 0x200D | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F)
}

/// One glyph on the canvas: its outline (font units, y up) placed at a baseline point.
#[derive(Debug, Clone)]
pub struct PlacedGlyph {
    pub path: Arc<tiny_skia::Path>,
    /// Baseline origin relative to the text box's top-left, in pixels.
    pub x: f32,
    pub y: f32,
    /// Pixels per font unit (glyphs from fallback fonts may have another units-per-em).
    pub scale: f32,
}

/// Laid-out text: glyphs relative to the box's top-left corner.
#[derive(Debug, Clone)]
pub struct TextBlock {
    pub glyphs: Vec<PlacedGlyph>,
    pub color: Rgba,
    /// The box the text occupies: the given width (or the widest line) by the lines' height.
    pub width: f32,
    pub height: f32,
    pub lines: Vec<String>,
    /// Characters that no font of the chain has (drawn as missing-glyph boxes).
    pub missing: Vec<char>,
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
/// Line metrics come from the primary font.
pub fn layout(fonts: FontChain, text: &str, style: TextStyle) -> TextBlock {
    let primary = fonts.primary;
    let sf = primary.face.as_scaled(ab_glyph::PxScale::from(
        style.size * primary.face.height_unscaled() / primary.units_per_em(),
    ));
    let space = fonts.advance(" ", style.size);
    let mut lines: Vec<(String, f32)> = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut width = 0.0f32;
        for word in para.split(is_break_space).filter(|w| !w.is_empty()) {
            let w = fonts.advance(word, style.size);
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
    let mut missing = Vec::new();
    for (i, (line, width)) in lines.iter().enumerate() {
        let mut x = match style.align {
            Align::Left => 0.0,
            Align::Center => (box_width - width) / 2.0,
            Align::Right => box_width - width,
        };
        let baseline = ascent + i as f32 * advance_y;
        for g in fonts.shape(line, style.size, &mut missing) {
            if let Some(path) = g.font.glyph_path(g.id) {
                // Shaping offsets are y-up; the canvas is y-down.
                let scale = style.size / g.font.units_per_em();
                glyphs.push(PlacedGlyph { path, x: x + g.dx, y: baseline - g.dy, scale });
            }
            x += g.advance;
        }
    }
    let height = ascent - descent + advance_y * (lines.len().saturating_sub(1)) as f32;
    TextBlock {
        glyphs,
        color: style.color,
        width: box_width,
        height,
        lines: lines.into_iter().map(|l| l.0).collect(),
        missing,
    }
}

/// Spaces where a line may break. No-break spaces (which CLDR puts between an amount and its
/// currency, and between digit groups) hold their neighbours together.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}')
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn inter() -> Font {
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/Inter-Regular.otf")).unwrap();
        Font::from_bytes("body", bytes).unwrap()
    }

    fn alone(font: &Font) -> FontChain<'_> {
        FontChain { primary: font, fallbacks: &[] }
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
        let one = layout(alone(&font), "Your bill for December is ready", style(None));
        assert_eq!(one.lines.len(), 1);
        let wrapped = layout(alone(&font), "Your bill for December is ready", style(Some(300.0)));
        assert!(wrapped.lines.len() >= 2, "{:?}", wrapped.lines);
        for l in &wrapped.lines {
            assert!(alone(&font).advance(l, 40.0) <= 300.0, "line `{l}` overflows");
        }
        assert!(wrapped.height > one.height * 1.9);
    }

    #[test]
    fn no_break_spaces_hold_amounts_together() {
        let font = inter();
        let t = layout(alone(&font), "Total 1\u{202f}234,50\u{a0}€", style(Some(60.0)));
        assert_eq!(t.lines, vec!["Total".to_string(), "1\u{202f}234,50\u{a0}€".to_string()]);
    }

    #[test]
    fn kerning_tightens_pairs() {
        let font = inter();
        let pair = alone(&font).advance("AV", 100.0);
        let apart = alone(&font).advance("A", 100.0) + alone(&font).advance("V", 100.0);
        assert!(pair < apart - 1.0, "no kerning between A and V: {pair} vs {apart}");
    }

    #[test]
    fn fallback_fonts_draw_what_the_primary_lacks_and_the_rest_is_reported() {
        let font = inter();
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DroidSansFallback.ttf"))
            .unwrap();
        let cjk = vec![Arc::new(Font::from_bytes("cjk", bytes).unwrap())];
        let chain = FontChain { primary: &font, fallbacks: &cjk };
        let mut missing = Vec::new();
        let runs = chain.runs("12月 total", &mut missing);
        assert_eq!(runs, vec![(0, "12"), (1, "月 "), (0, "total")]);
        assert!(missing.is_empty());
        let alone = layout(alone(&font), "12月", style(None));
        assert_eq!(alone.missing, vec!['月']);
        let chained = layout(chain, "12月 \u{1F5FF}", style(None));
        assert_eq!(chained.missing, vec!['\u{1F5FF}'], "no font here has the moai emoji");
    }

    #[test]
    fn polish_italian_german_letters_are_in_the_font() {
        let font = inter();
        for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻàèéìòùäöüßÄÖÜ€£zł".chars() {
            assert!(font.covers(c), "{c} missing");
        }
    }
}
