//! What every layer has (its box, visibility, motion, caption) and the parts several kinds
//! share (strokes, grow-ins, chart labels); the contexts a kind validates and binds in.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::assets::Assets;
use crate::limits::Limits;
use crate::scene::text::{FontBook, FontChain};
use crate::scene::{Animation, Key, NodeKind, Paint, Rect, Track};
use crate::storyboard::MissingGlyphs;
use crate::storyboard::{closest, spans, Bindable, Expr, PaintSpec, Reporter};
use crate::style::{parse_color, Anchor, Axis, Duration, Easing, Frame, Length, Rgba};
use crate::template::{BindError, Compiler, Context, ProblemKind};

/// Keys every layer kind accepts.
pub const COMMON_KEYS: &[&str] = &[
    "type", "name", "x", "y", "width", "height", "anchor", "opacity", "when", "enter", "exit", "animate",
    "caption", "mirror",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerCommon {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "zero_len")]
    pub x: Length,
    #[serde(default = "zero_len")]
    pub y: Length,
    #[serde(default)]
    pub width: Option<Length>,
    #[serde(default)]
    pub height: Option<Length>,
    /// Which point of the layer's box sits at (x, y); scaling happens around it too.
    #[serde(default)]
    pub anchor: Anchor,
    #[serde(default = "one_f32")]
    pub opacity: f32,
    /// Expression; the layer is drawn only when it is true for the record.
    #[serde(default)]
    pub when: Option<Expr>,
    #[serde(default)]
    pub enter: Option<Motion>,
    #[serde(default)]
    pub exit: Option<Motion>,
    #[serde(default)]
    pub animate: Vec<Keyframe>,
    /// A caption line shown while the layer is (from its enter delay to the scene's end).
    #[serde(default)]
    pub caption: Option<Bindable<String>>,
    /// `rtl`: mirrored for right-to-left records (see [`crate::style::Mirror`]); None: as its
    /// scene says.
    #[serde(default)]
    pub mirror: Option<crate::style::Mirror>,
}

fn zero_len() -> Length {
    Length::Px(0.0)
}
pub(super) fn one_f32() -> f32 {
    1.0
}
pub(super) fn yes() -> bool {
    true
}
pub(super) fn one_second() -> Duration {
    Duration(1.0)
}
pub(super) fn ease_out() -> Easing {
    Easing::EaseOut
}
pub(super) fn white() -> Bindable<Rgba> {
    Bindable::new("#ffffff")
}
pub(super) fn label_size() -> f32 {
    18.0
}
pub(super) fn label_color() -> Bindable<Rgba> {
    Bindable::new("#ffffffcc")
}
pub(super) fn value_format() -> Bindable<String> {
    Bindable::new("{{ value | number(0) }}")
}

/// An enter or exit preset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Motion {
    pub preset: Preset,
    #[serde(default = "half_second")]
    pub duration: Duration,
    /// Enter: wait this long after the scene starts. Exit: end this long before the scene ends.
    #[serde(default)]
    pub delay: Duration,
    #[serde(default = "ease_out")]
    pub easing: Easing,
    /// How far a slide travels.
    #[serde(default = "slide_distance")]
    pub distance: Length,
}

fn half_second() -> Duration {
    Duration(0.5)
}
fn slide_distance() -> Length {
    Length::Px(80.0)
}

/// Slides name the direction of travel: `slide-up` enters from below, and exits upwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    Fade,
    SlideUp,
    SlideDown,
    SlideLeft,
    SlideRight,
    Zoom,
}

/// A keyframe: at `at` (from the scene's start) the listed properties have these values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    pub at: Duration,
    #[serde(default)]
    pub opacity: Option<f32>,
    #[serde(default)]
    pub x: Option<Length>,
    #[serde(default)]
    pub y: Option<Length>,
    #[serde(default)]
    pub scale: Option<f32>,
    /// The curve used to arrive at this keyframe from the previous one.
    #[serde(default)]
    pub easing: Easing,
}

/// A line around a shape or each letter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stroke {
    pub color: Bindable<Rgba>,
    #[serde(default = "one_f32")]
    pub width: f32,
}

/// Marks that appear one after another: bars, slices, a gauge, table rows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grow {
    #[serde(default = "grow_duration")]
    pub duration: Duration,
    /// Delay between one mark and the next.
    #[serde(default = "grow_stagger")]
    pub stagger: Duration,
    #[serde(default)]
    pub delay: Duration,
    #[serde(default = "ease_out")]
    pub easing: Easing,
}

fn grow_duration() -> Duration {
    Duration(0.8)
}
fn grow_stagger() -> Duration {
    Duration(0.06)
}

impl Grow {
    /// (delay, stagger, duration, easing) in seconds, as chart layout takes them.
    pub fn timing(&self) -> (f32, f32, f32, Easing) {
        (self.delay.secs() as f32, self.stagger.secs() as f32, self.duration.secs() as f32, self.easing)
    }
}

/// A chart's category labels: an expression giving a list (`usage.months`), or a literal list
/// of templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LabelsSpec {
    List(Vec<Bindable<String>>),
    Expr(Expr),
}

impl LabelsSpec {
    pub fn compile(&mut self, c: &mut Compiler, lp: &str) {
        let path = spans::join_key(lp, "labels");
        match self {
            LabelsSpec::Expr(e) => c.expr(e, path),
            LabelsSpec::List(l) => {
                for (i, s) in l.iter_mut().enumerate() {
                    c.template(s, spans::join_index(&path, i));
                }
            }
        }
    }

    pub fn bind(&self, cx: &Cx) -> Result<Vec<String>, BindError> {
        match self {
            LabelsSpec::Expr(e) => {
                let items = cx.t.list(e.path(), cx.t.eval(e)?, "labels")?;
                Ok(items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                    .collect())
            }
            LabelsSpec::List(l) => l.iter().map(|s| cx.t.text(s)).collect(),
        }
    }
}

impl LayerCommon {
    /// The checks every layer gets: its box, opacity and keyframes.
    pub(super) fn validate(&self, check: &mut Check) {
        for (key, len) in [("width", self.width), ("height", self.height)] {
            if let Some(v) = len.map(Length::number) {
                if v < 0.0 {
                    check.error(key, format!("`{key}` must not be negative, but is {v}"));
                }
            }
        }
        if !(0.0..=1.0).contains(&self.opacity) {
            check.error("opacity", format!("opacity must be between 0 and 1, but is {}", self.opacity));
        }
        let mut last_at = -1.0;
        for (ki, k) in self.animate.iter().enumerate() {
            let kp = spans::join_index(&check.key("animate"), ki);
            if k.at.secs() < last_at {
                check.rep.error(&spans::join_key(&kp, "at"), "keyframes must be in time order", None);
            }
            last_at = k.at.secs();
            if let Some(o) = k.opacity {
                if !(0.0..=1.0).contains(&o) {
                    check.rep.error(
                        &spans::join_key(&kp, "opacity"),
                        format!("opacity must be between 0 and 1, but is {o}"),
                        None,
                    );
                }
            }
        }
    }

    pub(super) fn compile(&mut self, c: &mut Compiler, lp: &str) {
        c.expr_opt(&mut self.when, spans::join_key(lp, "when"));
        c.template_opt(&mut self.caption, spans::join_key(lp, "caption"));
    }

    /// The layer's keyframe tracks and its enter and exit presets, in a scene of `scene_secs`,
    /// for a box placed at (`base_x`, `base_y`) on `frame`.
    pub fn animation(&self, base_x: f32, base_y: f32, scene_secs: f32, frame: &Frame) -> Animation {
        let mut a = Animation::default();
        let track = |sel: &dyn Fn(&Keyframe) -> Option<f32>| -> Option<Track> {
            let keys: Vec<Key> = self
                .animate
                .iter()
                .filter_map(|k| sel(k).map(|v| Key { t: k.at.secs() as f32, v, easing: k.easing }))
                .collect();
            (!keys.is_empty()).then_some(Track { keys })
        };
        a.opacity.extend(track(&|k| k.opacity));
        a.dx.extend(track(&|k| k.x.map(|x| x.position(Axis::X, frame) as f32 - base_x)));
        a.dy.extend(track(&|k| k.y.map(|y| y.position(Axis::Y, frame) as f32 - base_y)));
        a.scale.extend(track(&|k| k.scale));
        if let Some(m) = &self.enter {
            let t0 = m.delay.secs() as f32;
            apply_motion(&mut a, m, t0, true, frame);
        }
        if let Some(m) = &self.exit {
            let t0 = scene_secs - m.delay.secs() as f32 - m.duration.secs() as f32;
            apply_motion(&mut a, m, t0.max(0.0), false, frame);
        }
        a
    }
}

/// Adds an enter (`entering`) or exit preset's tracks starting at `t0`.
fn apply_motion(a: &mut Animation, m: &Motion, t0: f32, entering: bool, frame: &Frame) {
    let d = m.duration.secs() as f32;
    let (from, to) = if entering { (0.0, 1.0) } else { (1.0, 0.0) };
    a.opacity.push(Track::ramp(t0, d, from, to, m.easing));
    let dist_x = m.distance.size(Axis::X, frame) as f32;
    let dist_y = m.distance.size(Axis::Y, frame) as f32;
    // Slides name the direction of travel: entering ends at 0, exiting starts at 0.
    let travel = |a: &mut Vec<Track>, delta: f32| {
        let (f, t) = if entering { (-delta, 0.0) } else { (0.0, delta) };
        a.push(Track::ramp(t0, d, f, t, m.easing));
    };
    match m.preset {
        Preset::Fade => {}
        Preset::SlideUp => travel(&mut a.dy, -dist_y),
        Preset::SlideDown => travel(&mut a.dy, dist_y),
        Preset::SlideLeft => travel(&mut a.dx, -dist_x),
        Preset::SlideRight => travel(&mut a.dx, dist_x),
        Preset::Zoom => {
            let (f, t) = if entering { (0.85, 1.0) } else { (1.0, 0.85) };
            a.scale.push(Track::ramp(t0, d, f, t, m.easing));
        }
    }
}

/// Where a layer kind reports what is wrong with its keys.
pub struct Check<'a, 'r> {
    pub rep: &'a mut Reporter<'r>,
    /// The storyboard's fonts, by name.
    pub fonts: &'a IndexMap<String, String>,
    pub assets: &'a Assets,
    /// The layer's path (`scenes[1].layers[0]`).
    pub layer: String,
}

impl Check<'_, '_> {
    /// The path of one of the layer's keys.
    pub fn key(&self, key: &str) -> String {
        spans::join_key(&self.layer, key)
    }

    /// A problem with one of the layer's keys.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        let path = self.key(key);
        self.rep.error(&path, message, None);
    }

    /// A problem with the layer as a whole.
    pub fn layer_error(&mut self, message: impl Into<String>, hint: Option<String>) {
        let path = self.layer.clone();
        self.rep.error(&path, message, hint);
    }

    /// A number that must be more than 0 and at most `max`.
    pub fn positive(&mut self, key: &str, v: f32, max: f32) {
        if !(v > 0.0 && v <= max) {
            self.error(key, format!("`{key}` must be more than 0 and at most {max}, but is {v}"));
        }
    }

    /// A colour written without bindings must parse.
    pub fn color(&mut self, path: &str, c: &Bindable<Rgba>) {
        crate::storyboard::check_color(self.rep, path, c.source());
    }

    /// One of the layer's colour keys.
    pub fn color_key(&mut self, key: &str, c: &Bindable<Rgba>) {
        let path = self.key(key);
        self.color(&path, c);
    }

    /// One of the layer's font keys (see [`Check::font`]).
    pub fn font_key(&mut self, key: &str, font: Option<&str>) {
        let path = self.key(key);
        self.font(&path, font);
    }

    /// A font name (none: the default font) that the storyboard defines.
    pub fn font(&mut self, path: &str, font: Option<&str>) {
        if let Some(f) = font {
            if !self.fonts.contains_key(f) {
                let names: Vec<&str> = self.fonts.keys().map(String::as_str).collect();
                let hint = match closest(f, names.iter().copied()) {
                    Some(g) => format!("did you mean `{g}`? fonts defined: {}", names.join(", ")),
                    None => format!("fonts defined under `fonts:`: {}", names.join(", ")),
                };
                self.rep.error(path, format!("unknown font `{f}`"), Some(hint));
            }
        } else if self.fonts.is_empty() {
            self.rep.error(
                path,
                "this layer draws text but the storyboard defines no fonts",
                Some("add `fonts: { body: fonts/Inter-Regular.otf }`".into()),
            );
        }
    }

    /// The layer needs `width` and `height`.
    pub fn needs_box(&mut self, common: &LayerCommon, message: &str) {
        if common.width.is_none() || common.height.is_none() {
            self.layer_error(message, None);
        }
    }
}

/// What a layer kind binds in: the record's context and the storyboard's resources.
pub struct Cx<'a> {
    pub t: &'a Context<'a>,
    pub fonts: &'a FontBook,
    pub assets: &'a Assets,
    /// The theme's palette (colours checked when the storyboard loaded).
    pub palette: &'a [String],
    /// Frames per second of the video.
    pub fps: u32,
    /// The layer's path.
    pub path: &'a str,
    /// The layer's box, in canvas pixels, when given.
    pub width: Option<f32>,
    pub height: Option<f32>,
    /// The bounds every record is held to (`--limit`).
    pub limits: &'a Limits,
    /// What text no font can draw does (`missing_glyphs:`).
    pub missing_glyphs: MissingGlyphs,
    /// The layer is mirrored for this record (`mirror: rtl` and a right-to-left locale): its
    /// kind swaps left and right alignment; the box itself is flipped by the timeline.
    pub mirrored: bool,
}

impl<'a> Cx<'a> {
    /// The named font (none: the default one) and the fallback chain.
    pub fn font(&self, name: Option<&str>) -> Result<FontChain<'a>, BindError> {
        self.fonts.chain(name).ok_or_else(|| {
            self.t.err(
                ProblemKind::Other,
                &spans::join_key(self.path, "font"),
                format!("font `{}` is not loaded", name.unwrap_or("(default)")),
            )
        })
    }

    /// The theme's `i`-th colour.
    pub fn palette(&self, i: usize) -> Rgba {
        let p = self.palette;
        p.get(i % p.len().max(1)).and_then(|c| parse_color(c).ok()).unwrap_or(Rgba {
            r: 255,
            g: 255,
            b: 255,
            a: 255,
        })
    }

    /// The box, 0 where not given.
    pub fn size(&self) -> (f32, f32) {
        (self.width.unwrap_or(0.0), self.height.unwrap_or(0.0))
    }
}

/// What a layer draws for one record: its box size and its parts.
pub struct Drawn {
    pub width: f32,
    pub height: f32,
    pub parts: Vec<Part>,
}

/// One scene node of a layer: what it draws, where in the layer's box, and motion of its own on
/// top of the layer's (a table row's grow-in).
pub struct Part {
    pub kind: NodeKind,
    /// Relative to the layer's box; its size is the node's.
    pub at: Rect,
    pub animation: Animation,
}

impl Drawn {
    /// A layer that is one node filling its box.
    pub fn one(kind: NodeKind, width: f32, height: f32) -> Drawn {
        Drawn {
            width,
            height,
            parts: vec![Part {
                kind,
                at: Rect { x: 0.0, y: 0.0, w: width, h: height },
                animation: Animation::default(),
            }],
        }
    }
}

/// Compiles a fill's colours (a layer's, a scene's or the video's background).
pub fn compile_paint(p: &mut PaintSpec, c: &mut Compiler, path: String) {
    match p {
        PaintSpec::Color(col) => c.template(col, path),
        PaintSpec::Linear(l) => {
            let stops = spans::join_key(&spans::join_key(&path, "linear"), "stops");
            for (i, s) in l.stops.iter_mut().enumerate() {
                c.template(s, spans::join_index(&stops, i));
            }
        }
    }
}

/// A fill for one record.
pub fn bind_paint(p: &PaintSpec, t: &Context) -> Result<Paint, BindError> {
    Ok(match p {
        PaintSpec::Color(c) => Paint::Solid(t.value(c)?),
        PaintSpec::Linear(l) => Paint::Linear {
            angle: l.angle,
            stops: l.stops.iter().map(|s| t.value(s)).collect::<Result<_, _>>()?,
        },
    })
}
