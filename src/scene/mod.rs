//! Scene graph: one customer's video, fully resolved.
//!
//! In: built by `bind` from a storyboard and a record. Out: read by `raster`.
//! Every value here is final: no template, expression, unit or default survives. Text and charts
//! are already laid out (glyphs are placed outline paths), images are already decoded and sized,
//! and animations are keyframe tracks in seconds from their scene's start. The raster stage only
//! evaluates tracks at a time and draws a small closed set of node kinds.

pub mod chart;
pub mod hash;
pub mod text;

use std::sync::Arc;

pub use crate::style::{Easing, Rgba};
pub use chart::Chart;
pub use text::{FontBook, TextBlock};

/// A whole video for one record.
#[derive(Debug, Clone)]
pub struct SceneGraph {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub total_frames: u32,
    pub background: Paint,
    pub scenes: Vec<Scene>,
    /// What goes with the picture: sound, captions, the landing page, email stills.
    pub companions: Companions,
}

/// Everything about one record's video besides its frames, resolved.
#[derive(Debug, Clone, Default)]
pub struct Companions {
    /// Timed caption text, in order, not overlapping.
    pub captions: Vec<Cue>,
    /// Buttons over the video on the landing page.
    pub ctas: Vec<Cta>,
    pub page: Option<Page>,
    /// The sound track; None: a silent video (no audio stream).
    pub audio: Option<crate::audio::Plan>,
    /// The still for emails.
    pub poster: Poster,
    /// The animated preview (a GIF), if the storyboard asks for one.
    pub preview: Option<Preview>,
    /// The record's locale (BCP 47): the captions' language, and their direction when it is
    /// written right to left.
    pub captions_lang: String,
}

/// The poster: the frame shown `at` seconds into the video, with a play button or not.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Poster {
    /// The storyboard turned the poster off (`poster: false`): no still is written.
    pub off: bool,
    pub at: f64,
    pub play_button: bool,
    /// Where the play button goes: None, the spot nearest the centre that covers no text.
    pub play_button_at: Option<crate::style::Anchor>,
}

/// The animated preview: `secs` seconds of the video from `from` seconds, `width` pixels wide,
/// at `fps` frames per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preview {
    pub from: f64,
    pub secs: f64,
    pub width: u32,
    pub fps: u32,
}

/// One caption: text shown from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// A call to action: a link shown over the video from `from` to `to` seconds, in a box given in
/// canvas pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Cta {
    pub label: String,
    pub href: String,
    pub from: f64,
    pub to: f64,
    pub rect: Rect,
    pub background: Rgba,
    pub color: Rgba,
    pub radius: f32,
    pub size: f32,
    /// The rest of the drawn button's look that the page can take.
    pub look: CtaLook,
}

/// How the page draws a call to action beyond its colours, box and radius.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CtaLook {
    /// A fill drawn over the background colour (a gradient, like the video's button).
    pub fill: Option<Paint>,
    /// The label's font file (absolute path), published beside the page.
    pub font: Option<std::path::PathBuf>,
    pub shadow: bool,
    /// The scale of the layer it follows over the video's time: (seconds, scale), one pair
    /// where the scale changes; empty: it does not scale.
    pub pulse: Vec<(f64, f32)>,
    /// The point scaling happens around, in canvas pixels.
    pub origin: (f32, f32),
}
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub title: String,
    pub summary: Vec<String>,
    pub transcript: Option<String>,
    pub background: Rgba,
    pub color: Rgba,
    /// The record's locale, for the page's `lang`.
    pub lang: String,
}

impl SceneGraph {
    /// A SHA-256 of everything the video's frames depend on (see [`hash`]): the canvas, the
    /// frame rate and length, the background and every scene where it starts. Two graphs with
    /// equal picture hashes draw the same frames; sound, captions and the page are not in it.
    pub fn picture_hash(&self) -> hash::ContentHash {
        let SceneGraph { width, height, fps, total_frames, background, scenes, companions: _ } = self;
        let starts: Vec<u32> = scenes.iter().map(|s| s.start).collect();
        hash::content_hash(&((*width, *height, *fps), (*total_frames, background), (starts, scenes)))
    }

    pub fn duration_secs(&self) -> f64 {
        self.total_frames as f64 / self.fps as f64
    }

    /// Text that has characters no font could draw: (scene id, layer name, characters).
    pub fn missing_glyphs(&self) -> Vec<(String, String, Vec<char>)> {
        let mut out = Vec::new();
        for scene in &self.scenes {
            for node in &scene.nodes {
                let mut chars: Vec<char> = Vec::new();
                let mut add = |b: &TextBlock| {
                    for c in &b.missing {
                        if !chars.contains(c) {
                            chars.push(*c);
                        }
                    }
                };
                match &node.kind {
                    NodeKind::Text(t) => t.variants.iter().for_each(|(_, b)| add(b)),
                    NodeKind::Chart(c) => {
                        c.labels.iter().for_each(|l| add(&l.block));
                        c.bars.iter().filter_map(|b| b.value_label.as_ref()).for_each(|b| add(b));
                        c.lines.iter().filter_map(|l| l.highlight.as_ref()?.1.as_ref()).for_each(|b| add(b));
                        c.counters.iter().flat_map(|k| k.text.variants.iter()).for_each(|(_, b)| add(b));
                    }
                    _ => {}
                }
                if !chars.is_empty() {
                    out.push((scene.id.clone(), node.name.clone(), chars));
                }
            }
        }
        out
    }

    /// Text that does not fit its box even at its smallest allowed size:
    /// (scene id, layer name, the text as cut).
    pub fn overflowing_text(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for scene in &self.scenes {
            for node in &scene.nodes {
                if let NodeKind::Text(t) = &node.kind {
                    if let Some((_, b)) = t.variants.iter().find(|(_, b)| b.overflow) {
                        out.push((scene.id.clone(), node.name.clone(), b.lines.join(" / ")));
                    }
                }
            }
        }
        out
    }

    /// The frame shown at `secs` (clamped to the last frame).
    pub fn frame_at(&self, secs: f64) -> u32 {
        ((secs * self.fps as f64).round() as u32).min(self.total_frames.saturating_sub(1))
    }
}

/// One scene that plays for this record, placed on the video's timeline.
#[derive(Debug, Clone)]
pub struct Scene {
    pub id: String,
    /// First frame of the scene on the video's timeline.
    pub start: u32,
    /// Length in frames.
    pub frames: u32,
    /// How this scene comes in over the previous one, during its first `transition_frames`.
    pub transition: TransitionKind,
    pub transition_frames: u32,
    pub background: Option<Paint>,
    pub nodes: Vec<Node>,
}

impl Scene {
    pub fn contains(&self, frame: u32) -> bool {
        frame >= self.start && frame < self.start + self.frames
    }

    /// A SHA-256 of everything the scene's frames depend on (see [`hash`]): equal for two
    /// scenes that draw the same frames, wherever they start.
    pub fn content_hash(&self) -> hash::ContentHash {
        hash::content_hash(self)
    }
}

/// How an incoming scene is composited over the outgoing one while they overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    Fade,
    /// Slides in from this side.
    Slide(crate::style::Side),
    /// Revealed by an edge moving away from this side.
    Wipe(crate::style::Side),
}

/// A drawable thing: a box on the canvas, how it animates, and what it draws.
#[derive(Debug, Clone)]
pub struct Node {
    /// The layer's name (or kind and index), for messages and timings.
    pub name: String,
    /// Top-left corner and size of the layer's box, in canvas pixels.
    pub bounds: Rect,
    /// The anchor point in canvas pixels; scaling happens around it.
    pub origin: (f32, f32),
    pub opacity: f32,
    pub animation: Animation,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Rect { fill: Option<Paint>, radius: f32, stroke: Option<(Rgba, f32)> },
    Text(TextNode),
    Image { pixels: Arc<tiny_skia::Pixmap>, offset: (f32, f32) },
    Chart(Chart),
    Qr(Qr),
    Progress(Progress),
}

/// A bar gauge, filled to `fraction` of the node's width (after its grow-in).
#[derive(Debug, Clone)]
pub struct Progress {
    /// 0..=1: value / max, clamped.
    pub fraction: f32,
    pub color: Rgba,
    pub track: Rgba,
    pub radius: f32,
    /// Where the marker sits (0..=1) and its colour.
    pub marker: Option<(f32, Rgba)>,
    pub grow: Option<chart::GrowTiming>,
}

impl Progress {
    /// The filled fraction shown at `t` seconds into the scene.
    pub fn shown(&self, t: f32) -> f32 {
        self.fraction * self.grow.map_or(1.0, |g| g.at(t))
    }
}

/// A QR code's modules, laid out: dark modules are drawn as squares of `module` pixels from
/// `origin` (relative to the node's box), over a light square covering the whole box.
#[derive(Debug, Clone)]
pub struct Qr {
    /// Modules per side (without the quiet zone).
    pub size: usize,
    /// Row-major, true = dark.
    pub dark: Vec<bool>,
    /// Side of one module in pixels: a whole number, so edges stay sharp.
    pub module: f32,
    pub origin: (f32, f32),
    pub color: Rgba,
    pub background: Rgba,
}

/// Text whose content may change over the scene (a count-up); usually one variant.
#[derive(Debug, Clone)]
pub struct TextNode {
    /// (seconds from scene start, block shown from then on), sorted by time.
    pub variants: Vec<(f32, Arc<TextBlock>)>,
}

impl TextNode {
    pub fn at(&self, t: f32) -> &TextBlock {
        &self.variants[self.variant_at(t)].1
    }

    /// The index of the variant shown at `t` seconds into the scene.
    pub fn variant_at(&self, t: f32) -> usize {
        self.variants.partition_point(|(from, _)| *from <= t).saturating_sub(1)
    }
}

/// A fill.
#[derive(Debug, Clone, PartialEq)]
pub enum Paint {
    Solid(Rgba),
    /// CSS-like linear gradient: angle in degrees (0 up, 90 right, 180 down), even stops.
    Linear {
        angle: f32,
        stops: Vec<Rgba>,
    },
    /// A picture of the canvas's size (a background image, already fitted; transparent where
    /// `contain` leaves room), drawn from the canvas's top-left corner.
    Image(Arc<tiny_skia::Pixmap>),
}

/// Keyframed properties. Several tracks of one property combine: opacities and scales
/// multiply, offsets add (so an enter preset, an exit preset and `animate` can all apply).
#[derive(Debug, Clone, Default)]
pub struct Animation {
    pub opacity: Vec<Track>,
    pub dx: Vec<Track>,
    pub dy: Vec<Track>,
    pub scale: Vec<Track>,
}

/// The animated state of a node at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    pub opacity: f32,
    pub dx: f32,
    pub dy: f32,
    pub scale: f32,
}

impl Animation {
    pub fn at(&self, t: f32) -> State {
        State {
            opacity: self.opacity.iter().map(|k| k.at(t)).product(),
            dx: self.dx.iter().map(|k| k.at(t)).sum(),
            dy: self.dy.iter().map(|k| k.at(t)).sum(),
            scale: self.scale.iter().map(|k| k.at(t)).product(),
        }
    }
}

/// Keyframes of one value; before the first key it holds the first value, after the last the last.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub keys: Vec<Key>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key {
    /// Seconds from the scene's start.
    pub t: f32,
    pub v: f32,
    /// Curve used to arrive here from the previous key.
    pub easing: Easing,
}

impl Track {
    /// Goes from `from` to `to` between `t0` and `t0 + dur`.
    pub fn ramp(t0: f32, dur: f32, from: f32, to: f32, easing: Easing) -> Track {
        Track {
            keys: vec![
                Key { t: t0, v: from, easing: Easing::Linear },
                Key { t: t0 + dur.max(1e-6), v: to, easing },
            ],
        }
    }

    pub fn at(&self, t: f32) -> f32 {
        let Some(first) = self.keys.first() else {
            return 0.0;
        };
        if t <= first.t {
            return first.v;
        }
        let i = self.keys.partition_point(|k| k.t <= t);
        if i >= self.keys.len() {
            return self.keys[self.keys.len() - 1].v;
        }
        let (a, b) = (self.keys[i - 1], self.keys[i]);
        let span = (b.t - a.t).max(1e-6);
        a.v + (b.v - a.v) * b.easing.apply((t - a.t) / span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_hold_before_and_after_and_ease_between() {
        let tr = Track::ramp(1.0, 2.0, 0.0, 10.0, Easing::Linear);
        assert_eq!(tr.at(0.0), 0.0);
        assert_eq!(tr.at(2.0), 5.0);
        assert_eq!(tr.at(9.0), 10.0);
        let eased = Track::ramp(0.0, 1.0, 0.0, 1.0, Easing::EaseOut);
        assert!(eased.at(0.5) > 0.5);
    }

    #[test]
    fn animations_combine_tracks() {
        let a = Animation {
            opacity: vec![
                Track::ramp(0.0, 1.0, 0.0, 1.0, Easing::Linear),
                Track::ramp(2.0, 1.0, 1.0, 0.0, Easing::Linear),
            ],
            dx: vec![Track::ramp(0.0, 1.0, -10.0, 0.0, Easing::Linear)],
            ..Default::default()
        };
        let s = a.at(0.5);
        assert_eq!((s.opacity, s.dx, s.dy, s.scale), (0.5, -5.0, 0.0, 1.0));
        assert_eq!(a.at(2.5).opacity, 0.5);
    }
}
