//! Fonts: loading, shaping (rustybuzz) with its caches, glyph outlines as tiny-skia paths (the
//! glyph cache), and the fallback chain tried for characters a font lacks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ab_glyph::{Font as _, FontArc, GlyphId, OutlineCurve};
use indexmap::IndexMap;
use thiserror::Error;
use unicode_script::{Script, UnicodeScript as _};

use super::bidi;

self_cell::self_cell!(
    /// The font bytes and the shaping face that borrows them.
    struct Shaper {
        owner: Vec<u8>,
        #[covariant]
        dependent: RbFace,
    }
);

type RbFace<'a> = rustybuzz::Face<'a>;

/// A shaped run: (glyph, x offset, y offset, x advance) in font units, so valid at any size.
type Run = Arc<[(GlyphId, f32, f32, f32)]>;

/// What a shaped run depends on besides the font: its text, whether it runs right to left, and
/// its script.
type RunKey = (String, bool, rustybuzz::Script);

/// Runs kept per font before the cache starts over (bounds memory on huge batches).
const MAX_CACHED_RUNS: usize = 4_096;

/// Why font bytes could not be loaded.
#[derive(Debug, Error)]
pub enum FontError {
    #[error("font `{name}` cannot be read: {source}")]
    Unreadable {
        name: String,
        #[source]
        source: ab_glyph::InvalidFont,
    },
    #[error("font `{name}` cannot be used for shaping")]
    NoShaping { name: String },
}

/// Locks one of a font's caches. A cache holds only finished entries (everything that can
/// panic is computed before the lock is taken), so one left poisoned by a panic elsewhere is
/// still consistent and is used as it is.
fn lock<T>(cache: &Mutex<T>) -> MutexGuard<'_, T> {
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A loaded font and its caches.
pub struct Font {
    pub name: String,
    pub(super) face: FontArc,
    shaper: Shaper,
    /// Shaping plans by direction and script: building one costs more than shaping a word.
    plans: Mutex<HashMap<(rustybuzz::Direction, rustybuzz::Script), Arc<rustybuzz::ShapePlan>>>,
    /// Shaped runs by text, direction and script: month names, labels and wording repeat
    /// across every record.
    runs: Mutex<HashMap<RunKey, Run>>,
    /// Glyph outlines in font units (y up), built on first use.
    paths: Mutex<HashMap<GlyphId, Option<Arc<tiny_skia::Path>>>>,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Font").field("name", &self.name).finish()
    }
}

impl Font {
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Font, FontError> {
        let face = FontArc::try_from_vec(bytes.clone())
            .map_err(|source| FontError::Unreadable { name: name.into(), source })?;
        let shaper = Shaper::try_new(bytes, |b| rustybuzz::Face::from_slice(b, 0).ok_or(()))
            .map_err(|_| FontError::NoShaping { name: name.into() })?;
        Ok(Font {
            name: name.into(),
            face,
            shaper,
            plans: Mutex::new(HashMap::new()),
            runs: Mutex::new(HashMap::new()),
            paths: Mutex::new(HashMap::new()),
        })
    }

    pub(super) fn units_per_em(&self) -> f32 {
        self.face.units_per_em().unwrap_or(1000.0)
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.face.glyph_id(c).0 != 0
    }

    /// Shapes one run of text in one direction and script (given, not guessed: a run of
    /// Arabic-Indic digits is Arabic by script but reads left to right): (glyph, x offset,
    /// y offset, x advance), in font units, in visual order (left to right).
    fn shape(&self, text: &str, rtl: bool, script: rustybuzz::Script) -> Run {
        let key: RunKey = (text.to_string(), rtl, script);
        {
            let runs = lock(&self.runs);
            if let Some(hit) = runs.get(&key) {
                return hit.clone();
            }
            // The test hook panics here, lock held, as a bug inside the cache would.
            if SHAPING_FAULT_ARMED.load(Ordering::Relaxed) {
                shaping_fault(text);
            }
        }
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        buf.set_script(script);
        let plan_key = (buf.direction(), script);
        let face = self.shaper.borrow_dependent();
        let cached = lock(&self.plans).get(&plan_key).cloned();
        let plan = match cached {
            Some(plan) => plan,
            None => {
                // Built with no lock held (rustybuzz may panic on a font it cannot handle); a
                // thread that built the same plan meanwhile wins, and the two are equal.
                let plan = Arc::new(rustybuzz::ShapePlan::new(face, plan_key.0, Some(script), None, &[]));
                lock(&self.plans).entry(plan_key).or_insert(plan).clone()
            }
        };
        let out = rustybuzz::shape_with_plan(face, &plan, buf);
        let run: Run = out
            .glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| {
                (GlyphId(i.glyph_id as u16), p.x_offset as f32, p.y_offset as f32, p.x_advance as f32)
            })
            .collect();
        let mut runs = lock(&self.runs);
        if runs.len() >= MAX_CACHED_RUNS {
            runs.clear();
        }
        runs.insert(key, run.clone());
        run
    }

    pub(super) fn glyph_path(&self, id: GlyphId) -> Option<Arc<tiny_skia::Path>> {
        if let Some(hit) = lock(&self.paths).get(&id) {
            return hit.clone();
        }
        // Outlined with no lock held; another thread may have outlined the same glyph meanwhile.
        let path = outline_path(&self.face, id).map(Arc::new);
        lock(&self.paths).entry(id).or_insert(path).clone()
    }
}

/// Whether [`inject_shaping_panic`] armed the hook: one relaxed load per shaped run when not.
static SHAPING_FAULT_ARMED: AtomicBool = AtomicBool::new(false);
static SHAPING_FAULT: Mutex<Option<String>> = Mutex::new(None);

/// Fault injection, for tests only: from now on, shaping a run of text that contains `needle`
/// panics inside the font's run cache, with the cache's lock held (so the lock is poisoned, as
/// a bug there would leave it). `None` disarms it. Tests use it to show that one record's
/// panic fails that record alone and the records after it still render.
#[doc(hidden)]
pub fn inject_shaping_panic(needle: Option<&str>) {
    *lock(&SHAPING_FAULT) = needle.map(str::to_string);
    SHAPING_FAULT_ARMED.store(needle.is_some(), Ordering::Relaxed);
}

fn shaping_fault(text: &str) {
    let hit = lock(&SHAPING_FAULT).as_deref().is_some_and(|needle| text.contains(needle));
    if hit {
        panic!("injected fault: shaping {text:?} panicked inside the run cache");
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

/// The fonts a storyboard names, in order (the first is the default), and each one's fallback
/// chain, tried for characters it lacks (a bold font's chain can hold bold faces).
#[derive(Debug, Default)]
pub struct FontBook {
    fonts: IndexMap<String, Arc<Font>>,
    fallbacks: HashMap<String, Vec<Arc<Font>>>,
}

impl FontBook {
    pub fn insert(&mut self, font: Font) {
        self.fonts.insert(font.name.clone(), Arc::new(font));
    }

    /// Makes the named (already inserted) fonts the fallback chain of the font `of`, in order.
    pub fn set_fallbacks(&mut self, of: &str, names: &[String]) {
        let chain = names.iter().filter_map(|n| self.fonts.get(n).cloned()).collect();
        self.fallbacks.insert(of.to_string(), chain);
    }

    /// The named font, or the default one when `name` is None.
    pub fn get(&self, name: Option<&str>) -> Option<&Arc<Font>> {
        match name {
            Some(n) => self.fonts.get(n),
            None => self.fonts.values().next(),
        }
    }

    /// The named font followed by its fallback chain.
    pub fn chain(&self, name: Option<&str>) -> Option<FontChain<'_>> {
        let primary = self.get(name)?;
        let fallbacks = self.fallbacks.get(&primary.name).map_or(&[][..], Vec::as_slice);
        Some(FontChain { primary, fallbacks })
    }
}

/// A font and the fonts tried, in order, for characters it does not have.
#[derive(Debug, Clone, Copy)]
pub struct FontChain<'a> {
    pub primary: &'a Font,
    pub fallbacks: &'a [Arc<Font>],
}

/// One shaped glyph, in pixels.
pub(super) struct Shaped<'a> {
    pub font: &'a Font,
    pub id: GlyphId,
    pub dx: f32,
    pub dy: f32,
    pub advance: f32,
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

    /// Splits text into runs that one font can draw in one script. Spaces, punctuation,
    /// combining marks, joiners and bidi controls stay with the run they are in (a run of them
    /// alone is of the common script); a character no font has goes to the primary font (it
    /// draws as the font's missing-glyph box) and is listed in `missing`, as is a control
    /// character other than a line break or tab.
    pub(super) fn runs<'t>(&self, text: &'t str, missing: &mut Vec<char>) -> Vec<FontRun<'t>> {
        let mut runs: Vec<FontRun<'t>> = Vec::new();
        let mut start = 0;
        let mut current: Option<(usize, Script)> = None;
        for (i, c) in text.char_indices() {
            let keeps_run = c.is_whitespace() || joins_neighbours(c) || bidi::is_bidi_control(c);
            let chosen = if c.is_control() && c != '\n' && c != '\t' {
                // NUL, escape, a lone carriage return...: no font draws them, and text that
                // holds them is not what the storyboard meant to show.
                if !missing.contains(&c) {
                    missing.push(c);
                }
                current.map_or(0, |(f, _)| f)
            } else if keeps_run || c.is_control() {
                current.map_or(0, |(f, _)| f)
            } else {
                self.pick(c).unwrap_or_else(|| {
                    if !missing.contains(&c) {
                        missing.push(c);
                    }
                    0
                })
            };
            // ASCII answered without the script table (its letters are Latin, the rest common).
            let script = match c {
                'a'..='z' | 'A'..='Z' => Some(Script::Latin),
                _ if c.is_ascii() => None,
                _ => match c.script() {
                    Script::Common | Script::Inherited | Script::Unknown => None,
                    s => Some(s),
                },
            };
            match current {
                Some((f, s)) if f != chosen || script.is_some_and(|sc| s != sc && s != Script::Common) => {
                    runs.push(FontRun { font: f, script: s, text: &text[start..i] });
                    start = i;
                    current = Some((chosen, script.unwrap_or(Script::Common)));
                }
                // A run of common characters takes the script of the first letter after them.
                Some((f, Script::Common)) => current = Some((f, script.unwrap_or(Script::Common))),
                None => current = Some((chosen, script.unwrap_or(Script::Common))),
                _ => {}
            }
        }
        if let Some((font, script)) = current {
            runs.push(FontRun { font, script, text: &text[start..] });
        }
        runs
    }

    /// Shapes text into glyphs in visual order (left to right). `rtl`: the direction the
    /// bidi algorithm resolved for the whole text (its runs are then laid right to left);
    /// None, to measure, takes each run's script's own direction.
    pub(super) fn shape(
        &self,
        text: &str,
        size: f32,
        rtl: Option<bool>,
        missing: &mut Vec<char>,
    ) -> Vec<Shaped<'a>> {
        let mut runs = self.runs(text, missing);
        if rtl == Some(true) {
            runs.reverse();
        }
        let mut out = Vec::new();
        for run in runs {
            let font = self.font(run.font);
            let scale = size / font.units_per_em();
            let script = shaping_script(run.script);
            let run_rtl = rtl.unwrap_or_else(|| is_rtl_script(run.script));
            out.extend(font.shape(run.text, run_rtl, script).iter().map(|&(id, dx, dy, adv)| Shaped {
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
        self.advance_spaced(text, size, 0.0)
    }

    /// Width with `spacing` pixels added after every glyph.
    pub fn advance_spaced(&self, text: &str, size: f32, spacing: f32) -> f32 {
        self.shape(text, size, None, &mut Vec::new()).iter().map(|g| g.advance + spacing).sum()
    }
}

/// A piece of text that one font draws in one script.
pub(super) struct FontRun<'t> {
    /// Index in the chain: 0 the primary font, then the fallbacks.
    pub font: usize,
    pub script: Script,
    pub text: &'t str,
}

/// The script rustybuzz shapes a run as (its ISO 15924 code), common when it has none.
fn shaping_script(script: Script) -> rustybuzz::Script {
    rustybuzz::Script::from_iso15924_tag(rustybuzz::ttf_parser::Tag::from_bytes_lossy(
        script.short_name().as_bytes(),
    ))
    .unwrap_or(rustybuzz::script::COMMON)
}

/// Scripts written right to left, to measure a run without the bidi algorithm (only its width
/// matters then, and a run is as wide either way).
fn is_rtl_script(script: Script) -> bool {
    matches!(
        script,
        Script::Arabic
            | Script::Hebrew
            | Script::Syriac
            | Script::Thaana
            | Script::Nko
            | Script::Adlam
            | Script::Mandaic
            | Script::Samaritan
    )
}

/// Combining marks, joiners and variation selectors: drawn by the font of the character they
/// attach to.
fn joins_neighbours(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C | 0x200D | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F)
}
