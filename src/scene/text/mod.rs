//! Fonts and text layout.
//!
//! In: a string, a font, a size, an alignment and an optional box width. Out: a [`TextBlock`],
//! glyph outlines placed on baselines, wrapped by words to fit the width.
//!
//! Shaping (which glyphs, where: kerning, ligatures, combining marks) is rustybuzz's, because
//! ab_glyph reads kerning only from the legacy `kern` table and modern fonts such as Inter kern
//! through OpenType GPOS. Outlines come from ab_glyph and are turned into tiny-skia paths once
//! per glyph (the glyph cache), so drawing a glyph again at any size or transform costs a path
//! fill and nothing else. Fonts, shaping and the glyph cache are in `font`; this module breaks
//! lines and places glyphs.

mod bidi;
mod font;

use std::sync::{Arc, LazyLock};

use ab_glyph::{Font as _, ScaleFont as _};
use icu::properties::props::{ExtendedPictographic, LineBreak};
use icu::properties::{CodePointMapData, CodePointMapDataBorrowed, CodePointSetData};
use icu::segmenter::options::LineBreakOptions;
use icu::segmenter::{LineSegmenter, LineSegmenterBorrowed};

use super::Rgba;
use crate::style::{Align, VAlign};
pub use bidi::{locale_is_rtl, paragraph_is_rtl};
pub use font::{inject_shaping_panic, Font, FontBook, FontChain, FontError};

/// One glyph on the canvas: its outline (font units, y up) placed at a baseline point.
#[derive(Debug, Clone)]
pub struct PlacedGlyph {
    pub(crate) path: Arc<tiny_skia::Path>,
    /// Baseline origin relative to the text box's top-left, in pixels.
    pub(crate) x: f32,
    pub(crate) y: f32,
    /// Pixels per font unit (glyphs from fallback fonts may have another units-per-em).
    pub(crate) scale: f32,
    /// A colour of its own (a rich-text span); None: the block's colour.
    pub(crate) color: Option<Rgba>,
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
    /// The text did not fit its box: lines were cut (ending with an ellipsis) or a line is
    /// wider than the box.
    pub overflow: bool,
    /// The size the text was laid out at (smaller than asked when `fit: shrink` shrank it).
    pub size: f32,
    /// Drawn around each glyph before it is filled: (colour, width in pixels).
    pub outline: Option<(Rgba, f32)>,
    /// Drawn under the text, offset by (dx, dy) pixels.
    pub shadow: Option<(Rgba, f32, f32)>,
    /// Its first paragraph reads right to left (UAX #9 P2/P3), so `start` is its right.
    pub rtl: bool,
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
    /// Extra space after every glyph, in pixels (may be negative).
    pub letter_spacing: f32,
    /// At most this many lines; the last one kept ends with an ellipsis.
    pub max_lines: Option<usize>,
    /// The box's height: lines that do not fit are cut (with an ellipsis), and `valign` places
    /// the text in it.
    pub max_height: Option<f32>,
    pub valign: VAlign,
}

impl TextStyle {
    /// A plain style: one size, wrapping only if `max_width` is given, no limits.
    pub fn simple(size: f32, color: Rgba, align: Align, max_width: Option<f32>) -> TextStyle {
        TextStyle {
            size,
            color,
            align,
            line_height: 1.25,
            max_width,
            letter_spacing: 0.0,
            max_lines: None,
            max_height: None,
            valign: VAlign::Top,
        }
    }
}

/// A piece of text that wrapping keeps together.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Token<'t> {
    text: &'t str,
    /// A (breakable) space precedes it in the source.
    space_before: bool,
    /// A line may break before it. False when UAX #14 forbids it, e.g. before the colon of
    /// French "Total :" or after the opening bracket of "（ 注".
    break_before: bool,
}

/// Line break opportunities (UAX #14), built once: the rule-based segmenter with word lists
/// for the scripts written without spaces between words (Thai, Lao, Khmer, Burmese). The
/// dictionaries, not the LSTM model: the model cuts common words ("สวัส|ดี") that the
/// dictionaries keep whole.
/// Strict, the default strictness, keeps small kana and the prolonged sound mark off the
/// start of a line (kinsoku).
static SEGMENTER: LazyLock<LineSegmenterBorrowed<'static>> =
    LazyLock::new(|| LineSegmenter::new_dictionary(LineBreakOptions::default()));

/// The line breaking class of every character.
const LINE_BREAK: CodePointMapDataBorrowed<'static, LineBreak> = CodePointMapData::<LineBreak>::new();

/// Characters of the scripts written without spaces (ideographs, kana, Thai and its
/// neighbours), and zero-width spaces, next to which an opportunity inside a space-free run
/// is taken. Elsewhere, inside a run, UAX #14 would break after `/`, `-`, `—` or `)` in URLs
/// and words ("pay.brightwave.example/0001/…", "Jean-Pierre"); lines there break only at
/// spaces, as they always have, so that wrapped Latin text (and every demo video) stays
/// as it was. Emoji are ideographic to UAX #14 but sit in Latin text: not counted. Hangul
/// is not counted either: Korean is written with spaces, and its words stay whole (as CSS
/// `word-break: keep-all` keeps them), as they did before.
fn breaks_inside_runs(before: char, after: char) -> bool {
    let spaceless = |c: char| {
        matches!(LINE_BREAK.get(c), LineBreak::ID | LineBreak::CJ | LineBreak::SA)
            && !CodePointSetData::new::<ExtendedPictographic>().contains(c)
    };
    spaceless(before) || spaceless(after) || LINE_BREAK.get(before) == LineBreak::ZW
}

/// Splits a paragraph into wrap tokens: words at spaces, and inside them at the line break
/// opportunities of UAX #14 next to ideographs, kana and South-East Asian scripts (between
/// CJK characters, between Thai words). Each token says whether a line may break before it.
/// No-break spaces (U+00A0, U+202F, U+2007) are no spaces here, and UAX #14 holds their
/// neighbours together.
fn tokens(para: &str) -> Vec<Token<'_>> {
    let opportunities: Vec<usize> = SEGMENTER.segment_str(para).collect();
    let may_break = |i: usize| opportunities.binary_search(&i).is_ok();
    let mut out = Vec::new();
    let mut space_before = false;
    let mut break_before = true;
    let mut start: Option<usize> = None;
    let mut prev = ' ';
    for (i, c) in para.char_indices() {
        if is_break_space(c) {
            if let Some(s) = start.take() {
                out.push(Token { text: &para[s..i], space_before, break_before });
            }
            space_before = true;
            continue;
        }
        match start {
            None => {
                start = Some(i);
                break_before = i == 0 || may_break(i);
            }
            Some(s) if may_break(i) && breaks_inside_runs(prev, c) => {
                out.push(Token { text: &para[s..i], space_before, break_before });
                space_before = false;
                break_before = true;
                start = Some(i);
            }
            _ => {}
        }
        prev = c;
    }
    if let Some(s) = start {
        out.push(Token { text: &para[s..], space_before, break_before });
    }
    out
}

/// A style in effect over part of a text: the fonts that draw it and its colour.
#[derive(Debug, Clone, Copy)]
pub struct RunStyle<'a> {
    pub fonts: FontChain<'a>,
    pub color: Rgba,
}

/// Text to lay out, with a style per byte (an index into `styles`; the first style is the
/// layer's own and sets the line metrics).
#[derive(Debug, Clone)]
pub struct Rich<'a> {
    text: String,
    at: Vec<u8>,
    styles: Vec<RunStyle<'a>>,
}

impl<'a> Rich<'a> {
    /// Text in one style.
    pub fn plain(fonts: FontChain<'a>, text: &str, color: Rgba) -> Rich<'a> {
        Rich { text: text.to_string(), at: vec![0; text.len()], styles: vec![RunStyle { fonts, color }] }
    }

    /// Text in runs of style: (end byte, style), in order, the last ending at the text's end.
    /// `base` is the layer's style.
    pub fn new(text: String, base: RunStyle<'a>, runs: Vec<(usize, RunStyle<'a>)>) -> Rich<'a> {
        let mut styles = vec![base];
        let mut at = Vec::with_capacity(text.len());
        for (end, style) in runs {
            // At most 256 distinct styles per text; more would be a markup bomb.
            let idx = if styles.len() < 256 {
                styles.push(style);
                styles.len() - 1
            } else {
                0
            };
            at.resize(end.min(text.len()).max(at.len()), idx as u8);
        }
        at.resize(text.len(), 0);
        Rich { text, at, styles }
    }

    fn base(&self) -> RunStyle<'a> {
        self.styles[0]
    }

    /// Width of a styled piece: each run measured with its own fonts.
    fn measure(&self, text: &str, at: &[u8], size: f32, spacing: f32) -> f32 {
        style_runs(text, at)
            .map(|(i, r)| self.styles[i as usize].fonts.advance_spaced(&text[r], size, spacing))
            .sum()
    }

    fn measure_line(&self, line: &Line, size: f32, spacing: f32) -> f32 {
        self.measure(&line.text, &line.at, size, spacing)
    }
}

/// Consecutive bytes of the same style: (style, byte range).
fn style_runs<'t>(text: &'t str, at: &'t [u8]) -> impl Iterator<Item = (u8, std::ops::Range<usize>)> + 't {
    let mut start = 0;
    let mut bounds = text.char_indices().map(|(i, _)| i).skip(1).chain(std::iter::once(text.len()));
    std::iter::from_fn(move || loop {
        let i = bounds.next()?;
        if start >= text.len() {
            return None;
        }
        if i == text.len() || at[i] != at[start] {
            let run = (at[start], start..i);
            start = i;
            return Some(run);
        }
    })
}

/// A line (or any piece) of styled text.
#[derive(Debug, Clone, Default)]
struct Line {
    text: String,
    at: Vec<u8>,
    width: f32,
    /// Its paragraph reads right to left (UAX #9 P2/P3): its runs are ordered from the right,
    /// and `start`/`end` alignment follows.
    rtl: bool,
}

impl Line {
    fn push(&mut self, text: &str, at: &[u8]) {
        self.text.push_str(text);
        self.at.extend_from_slice(at);
    }

    /// A space in the style of what precedes it.
    fn push_space(&mut self) {
        let s = self.at.last().copied().unwrap_or(0);
        self.push(" ", &[s]);
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Breaks text into lines no wider than `max_width` (when given): greedy by tokens, and by
/// characters for a token wider than the whole line. Returns the lines with their widths, and
/// whether a token had to be broken inside.
fn break_lines(rich: &Rich, size: f32, spacing: f32, max_width: Option<f32>) -> (Vec<Line>, bool) {
    let text = rich.text.as_str();
    // Tokens are slices of `text`: their offset finds their styles.
    let offset = |t: &str| t.as_ptr() as usize - text.as_ptr() as usize;
    let measure = |t: &str| {
        let o = offset(t);
        rich.measure(t, &rich.at[o..o + t.len()], size, spacing)
    };
    let space = rich.base().fonts.advance_spaced(" ", size, spacing);
    let mut lines: Vec<Line> = Vec::new();
    let mut broke_word = false;
    let fits = |width: f32| max_width.is_none_or(|mw| width <= mw + 0.01);
    for para in text.split('\n') {
        let rtl = bidi::paragraph_is_rtl(para);
        let mut line = Line { rtl, ..Line::default() };
        let toks = tokens(para);
        let mut rest = &toks[..];
        while !rest.is_empty() {
            // A chunk: tokens with no break opportunity between them, placed as one when it
            // fits a line; one wider than a line breaks at its spaces, then its characters.
            let n = 1 + rest[1..].iter().take_while(|t| !t.break_before).count();
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let widths: Vec<f32> = chunk.iter().map(|t| measure(t.text)).collect();
            let chunk_width = widths[0]
                + chunk[1..]
                    .iter()
                    .zip(&widths[1..])
                    .map(|(t, w)| if t.space_before { space + w } else { *w })
                    .sum::<f32>();
            let mut glued = false;
            for (k, (tok, &w)) in chunk.iter().zip(&widths).enumerate() {
                let gap = if tok.space_before && !line.is_empty() { space } else { 0.0 };
                let needed = if k == 0 { chunk_width } else { w };
                if !glued && !line.is_empty() && !fits(line.width + gap + needed) {
                    lines.push(std::mem::replace(&mut line, Line { rtl, ..Line::default() }));
                }
                let gap = if tok.space_before && !line.is_empty() { space } else { 0.0 };
                if k == 0 {
                    glued = fits(line.width + gap + chunk_width);
                }
                let o = offset(tok.text);
                if line.is_empty() && !fits(w) {
                    // Wider than the box on its own: break it between characters.
                    broke_word = true;
                    let mut start = o;
                    let mut end = o;
                    for (i, c) in tok.text.char_indices() {
                        let next = o + i + c.len_utf8();
                        if end > start && !fits(measure(&text[start..next])) {
                            let mut piece = Line { rtl, ..Line::default() };
                            piece.push(&text[start..end], &rich.at[start..end]);
                            piece.width = measure(&text[start..end]);
                            lines.push(piece);
                            start = end;
                        }
                        end = next;
                    }
                    line.push(&text[start..end], &rich.at[start..end]);
                    line.width = measure(&text[start..end]);
                    continue;
                }
                if gap > 0.0 {
                    line.push_space();
                }
                line.push(tok.text, &rich.at[o..o + tok.text.len()]);
                line.width += gap + w;
            }
        }
        lines.push(line);
    }
    (lines, broke_word)
}

/// Lays out `text` at the style's size: paragraphs split at newlines, wrapped to `max_width`,
/// cut to `max_lines` and `max_height` with an ellipsis, aligned in the box. Line metrics come
/// from the primary font.
pub fn layout(fonts: FontChain, text: &str, style: TextStyle) -> TextBlock {
    layout_at(&Rich::plain(fonts, text, style.color), style).0
}

/// Like [`layout`] for text with runs of other fonts and colours.
pub fn layout_rich(rich: &Rich, style: TextStyle) -> TextBlock {
    layout_at(rich, style).0
}

/// Like [`layout`], but first shrinks the size (down to `min_size`) until the text fits its
/// box without cutting or breaking words; only at `min_size` does it cut with an ellipsis.
pub fn layout_fit(fonts: FontChain, text: &str, style: TextStyle, min_size: f32) -> TextBlock {
    layout_fit_rich(&Rich::plain(fonts, text, style.color), style, min_size)
}

/// [`layout_fit`] for styled text.
pub fn layout_fit_rich(rich: &Rich, style: TextStyle, min_size: f32) -> TextBlock {
    let min_size = min_size.min(style.size);
    if fits_at(rich, style) {
        return layout_at(rich, style).0;
    }
    // Binary search for the largest size that fits (to a tenth of a pixel). Trials only break
    // lines (shaped runs are in font units, so every size reuses them); the text is placed once.
    let (mut lo, mut hi) = (min_size, style.size);
    let mut best = None;
    while hi - lo > 0.1 {
        let mid = (lo + hi) / 2.0;
        if fits_at(rich, TextStyle { size: mid, ..style }) {
            lo = mid;
            best = Some(mid);
        } else {
            hi = mid;
        }
    }
    layout_at(rich, TextStyle { size: best.unwrap_or(min_size), ..style }).0
}

/// How many lines the style's limits keep at its size (ascent and descent from the primary
/// font), and the line advance.
fn lines_allowed(rich: &Rich, style: TextStyle, lines: usize) -> (usize, f32, f32, f32) {
    let primary = rich.base().fonts.primary;
    let sf = primary.face.as_scaled(ab_glyph::PxScale::from(
        style.size * primary.face.height_unscaled() / primary.units_per_em(),
    ));
    let (ascent, descent) = (sf.ascent(), sf.descent());
    let advance_y = style.size * style.line_height;
    let mut keep = lines;
    if let Some(m) = style.max_lines {
        keep = keep.min(m.max(1));
    }
    if let Some(h) = style.max_height {
        let fit = ((h - (ascent - descent)) / advance_y).floor() as i64 + 1;
        keep = keep.min(fit.max(1) as usize);
    }
    (keep, ascent, descent, advance_y)
}

/// Whether the text fits its box at the style's size without cutting or breaking a word.
fn fits_at(rich: &Rich, style: TextStyle) -> bool {
    let (lines, broke_word) = break_lines(rich, style.size, style.letter_spacing, style.max_width);
    let (keep, ..) = lines_allowed(rich, style, lines.len());
    !broke_word
        && keep == lines.len()
        && style.max_width.is_none_or(|mw| lines.iter().all(|l| l.width <= mw + 0.5))
}

/// Lays out at exactly `style.size`; also says whether everything fitted (no cut, no word broken).
fn layout_at(rich: &Rich, style: TextStyle) -> (TextBlock, bool) {
    let (mut lines, broke_word) = break_lines(rich, style.size, style.letter_spacing, style.max_width);
    let (keep, ascent, descent, advance_y) = lines_allowed(rich, style, lines.len());
    let cut = keep < lines.len();
    if cut {
        // The last kept line runs on into the text that was cut, then ends in an ellipsis, so
        // it shows as much as fits.
        let mut rest = Line { rtl: lines[keep - 1].rtl, ..Line::default() };
        for (i, l) in lines.drain(keep - 1..).enumerate() {
            if i > 0 {
                rest.push_space();
            }
            rest.push(&l.text, &l.at);
        }
        lines.push(ellipsize(rich, rest, style));
    }
    let overflow = cut || style.max_width.is_some_and(|mw| lines.iter().any(|l| l.width > mw + 0.5));

    let box_width = style.max_width.unwrap_or_else(|| lines.iter().map(|l| l.width).fold(0.0, f32::max));
    let height = ascent - descent + advance_y * (lines.len().saturating_sub(1)) as f32;
    let y0 = match (style.max_height, style.valign) {
        (Some(h), VAlign::Middle) => ((h - height) / 2.0).max(0.0),
        (Some(h), VAlign::Bottom) => (h - height).max(0.0),
        _ => 0.0,
    };
    let mut glyphs = Vec::new();
    let mut missing = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let x = match style.align.resolve(line.rtl) {
            Align::Left | Align::Start | Align::End => 0.0,
            Align::Center => (box_width - line.width) / 2.0,
            Align::Right => box_width - line.width,
        };
        let baseline = y0 + ascent + i as f32 * advance_y;
        place_line(rich, line, style, (x, baseline), &mut glyphs, &mut missing);
    }
    let rtl = lines.first().is_some_and(|l| l.rtl);
    let block = TextBlock {
        glyphs,
        color: style.color,
        width: box_width,
        height: style.max_height.map_or(height, |h| h.max(height.min(h))),
        lines: lines.into_iter().map(|l| l.text).collect(),
        missing,
        overflow,
        size: style.size,
        outline: None,
        shadow: None,
        rtl,
    };
    (block, !cut && !broke_word && !overflow)
}

/// Places a line's glyphs from `x` along `baseline`: its bidi runs from left to right, each
/// split into its styles (in reverse within a right-to-left run), each style's text shaped word
/// by word in the run's direction.
fn place_line(
    rich: &Rich,
    line: &Line,
    style: TextStyle,
    (mut x, baseline): (f32, f32),
    glyphs: &mut Vec<PlacedGlyph>,
    missing: &mut Vec<char>,
) {
    for run in bidi::visual_runs(&line.text, line.rtl) {
        let text = &line.text[run.range.clone()];
        let mut pieces: Vec<_> = style_runs(text, &line.at[run.range.clone()]).collect();
        if run.rtl {
            pieces.reverse();
        }
        for (si, range) in pieces {
            let run_style = rich.styles[si as usize];
            // The layer's colour is the block's; other colours ride on their glyphs.
            let color = (si != 0 && run_style.color != style.color).then_some(run_style.color);
            // Shaped word by word: words recur across records (the line as a whole rarely
            // does), so the shaped-run cache serves them; nothing kerns or joins across a
            // space. A right-to-left run's words go down from its last to its first.
            let mut words: Vec<&str> = text[range].split_inclusive(' ').collect();
            if run.rtl {
                words.reverse();
            }
            for word in words {
                for g in run_style.fonts.shape(word, style.size, Some(run.rtl), missing) {
                    if let Some(path) = g.font.glyph_path(g.id) {
                        // Shaping offsets are y-up; the canvas is y-down.
                        let scale = style.size / g.font.units_per_em();
                        glyphs.push(PlacedGlyph { path, x: x + g.dx, y: baseline - g.dy, scale, color });
                    }
                    x += g.advance + style.letter_spacing;
                }
            }
        }
    }
}

/// The longest prefix of `text` that, followed by "…", fits the width (binary search).
fn ellipsize(rich: &Rich, text: Line, style: TextStyle) -> Line {
    let chars: Vec<usize> =
        text.text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.text.len())).collect();
    let with_ellipsis = |n: usize| {
        let end = chars[n];
        let kept = text.text[..end].trim_end().len();
        let mut l = Line { rtl: text.rtl, ..Line::default() };
        l.push(&text.text[..kept], &text.at[..kept]);
        let s = l.at.last().copied().unwrap_or(0);
        l.push("…", &[s; 3]);
        l.width = rich.measure_line(&l, style.size, style.letter_spacing);
        l
    };
    let fits = |n: usize| style.max_width.is_none_or(|mw| with_ellipsis(n).width <= mw + 0.01);
    let (mut lo, mut hi) = (0usize, chars.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    with_ellipsis(lo)
}

/// Spaces where a line may break. No-break spaces (which CLDR puts between an amount and its
/// currency, and between digit groups) hold their neighbours together.
fn is_break_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}')
}

#[cfg(test)]
mod tests;
