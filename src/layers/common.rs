//! What every layer has (its box, visibility, motion, caption) and the parts several kinds
//! share (strokes, grow-ins, chart labels); the contexts a kind validates and binds in.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::assets::Assets;
use crate::limits::Limits;
use crate::scene::text::{FontBook, FontChain};
use crate::scene::{Animation, Key, NodeKind, Paint, Rect, Track};
use crate::storyboard::MissingGlyphs;
use crate::storyboard::{closest, spans, Bindable, Expr, PaintSpec, Reporter};
use crate::style::{parse_color, Anchor, Axis, Duration, Easing, Frame, Length, Rgba};

use super::number::{Allow, Num, Scope};
use crate::template::{BindError, Compiler, Context, ProblemKind};

/// Keys every layer kind accepts.
pub const COMMON_KEYS: &[&str] = &[
    "type", "name", "x", "y", "width", "height", "anchor", "opacity", "when", "enter", "exit", "animate",
    "caption", "mirror", "scale",
];

/// The keys every layer has: its box, visibility, motion and caption.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerCommon {
    #[serde(rename = "type")]
    pub kind: String,
    /// The layer's name, used in messages and by a CTA's `follow`.
    #[serde(default)]
    pub name: Option<String>,
    /// Where the layer's anchor point sits: pixels, a percentage of the canvas width, or an
    /// expression in pixels (`"layers.title.right + 16"`; of time `t` for periodic motion); see
    /// [`super::number`].
    #[serde(default = "zero_len")]
    pub x: Num<Length>,
    /// Where the layer's anchor point sits: pixels, a percentage of the canvas height, or an
    /// expression in pixels.
    #[serde(default = "zero_len")]
    pub y: Num<Length>,
    /// The box's width (required for rect, image and the charts; makes text wrap): a length or
    /// an expression (not of `self` or `t`).
    #[serde(default)]
    pub width: Option<Num<Length>>,
    /// The box's height (required for rect, image and the charts): a length or an expression
    /// (not of `self` or `t`).
    #[serde(default)]
    pub height: Option<Num<Length>>,
    /// Which point of the layer's box sits at (x, y); scaling happens around it too.
    #[serde(default)]
    pub anchor: Anchor,
    /// 0–1, or an expression (of `t`: it follows time, clamped to 0–1).
    #[serde(default = "one_num")]
    pub opacity: Num<f32>,
    /// The layer's scale around its anchor: a number, or an expression (of `t`, seconds from
    /// the scene's start: `"1 + 0.04 * sin(2 * pi * t)"`). Multiplies with presets and keyframes.
    #[serde(default)]
    pub scale: Option<Num<f32>>,
    /// Expression; the layer is drawn only when it is true for the record.
    #[serde(default)]
    pub when: Option<Expr>,
    /// A preset played from the scene's start (after its `delay`).
    #[serde(default)]
    pub enter: Option<Motion>,
    /// A preset played to end `delay` before the scene's end.
    #[serde(default)]
    pub exit: Option<Motion>,
    /// Keyframes: a list of `{ at, opacity?, x?, y?, scale?, easing? }`.
    #[serde(default)]
    pub animate: Vec<Keyframe>,
    /// A caption line shown while the layer is (from its enter delay to the scene's end).
    #[serde(default)]
    pub caption: Option<Bindable<String>>,
    /// `rtl`: mirrored for right-to-left records; `none`: never mirrored, whatever its scene
    /// says; absent: as its scene says.
    #[serde(default)]
    pub mirror: Option<crate::style::Mirror>,
}

fn zero_len() -> Num<Length> {
    Num::Lit(Length::Px(0.0))
}
fn one_num() -> Num<f32> {
    Num::Lit(1.0)
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Motion {
    /// `fade`, `slide-up`, `slide-down`, `slide-left`, `slide-right` or `zoom`.
    pub preset: Preset,
    /// How long the preset plays.
    #[serde(default = "half_second")]
    pub duration: Duration,
    /// Enter: wait this long after the scene starts. Exit: end this long before the scene ends.
    #[serde(default)]
    pub delay: Duration,
    /// The preset's easing curve.
    #[serde(default = "ease_out")]
    pub easing: Easing,
    /// How far a slide travels: a length, or an expression (`"self.width + 40"`).
    #[serde(default = "slide_distance")]
    pub distance: Num<Length>,
}

fn half_second() -> Duration {
    Duration(0.5)
}
fn slide_distance() -> Num<Length> {
    Num::Lit(Length::Px(80.0))
}

/// Slides name the direction of travel: `slide-up` enters from below, and exits upwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    /// When, from the scene's start.
    pub at: Duration,
    /// Opacity at this keyframe, 0–1: a number or an expression worked out once per record.
    #[serde(default)]
    pub opacity: Option<Num<f32>>,
    /// Position at this keyframe, like the layer's `x` (an expression too: `x: "-self.width"`).
    #[serde(default)]
    pub x: Option<Num<Length>>,
    /// Position at this keyframe, like the layer's `y`.
    #[serde(default)]
    pub y: Option<Num<Length>>,
    /// Scale at this keyframe (1: as drawn), around the anchor.
    #[serde(default)]
    pub scale: Option<Num<f32>>,
    /// The curve used to arrive at this keyframe from the previous one.
    #[serde(default)]
    pub easing: Easing,
}

/// A line around a shape or each letter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stroke {
    /// The line's colour; may hold bindings.
    pub color: Bindable<Rgba>,
    /// The line's width in pixels.
    #[serde(default = "one_f32")]
    pub width: f32,
}

/// Marks that appear one after another: bars, slices, a gauge, table rows.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grow {
    /// How long each mark takes to appear.
    #[serde(default = "grow_duration")]
    pub duration: Duration,
    /// Delay between one mark and the next.
    #[serde(default = "grow_stagger")]
    pub stagger: Duration,
    /// Wait this long after the scene starts.
    #[serde(default)]
    pub delay: Duration,
    /// The easing curve of each mark.
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
        for (key, len) in [("width", &self.width), ("height", &self.height)] {
            if let Some(v) = len.as_ref().and_then(|n| match n {
                Num::Lit(l) => Some(l.number()),
                Num::Expr { .. } => None,
            }) {
                if v < 0.0 {
                    check.error(key, format!("`{key}` must not be negative, but is {v}"));
                }
            }
        }
        if let Num::Lit(o) = self.opacity {
            if !(0.0..=1.0).contains(&o) {
                check.error("opacity", format!("opacity must be between 0 and 1, but is {o}"));
            }
        }
        let mut last_at = -1.0;
        for (ki, k) in self.animate.iter().enumerate() {
            let kp = spans::join_index(&check.key("animate"), ki);
            if k.at.secs() < last_at {
                check.rep.error(&spans::join_key(&kp, "at"), "keyframes must be in time order", None);
            }
            last_at = k.at.secs();
            if let Some(Num::Lit(o)) = k.opacity {
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
        let key = |k: &str| spans::join_key(lp, k);
        self.x.compile(c, key("x"), Allow::MOVING);
        self.y.compile(c, key("y"), Allow::MOVING);
        self.opacity.compile(c, key("opacity"), Allow::MOVING);
        if let Some(s) = &mut self.scale {
            s.compile(c, key("scale"), Allow::MOVING);
        }
        for (k, n) in [("width", &mut self.width), ("height", &mut self.height)] {
            if let Some(n) = n {
                n.compile(c, key(k), Allow::SIZE);
            }
        }
        for (k, m) in [("enter", &mut self.enter), ("exit", &mut self.exit)] {
            if let Some(m) = m {
                m.distance.compile(c, spans::join_key(&key(k), "distance"), Allow::PLACED);
            }
        }
        for (i, k) in self.animate.iter_mut().enumerate() {
            let kp = spans::join_index(&key("animate"), i);
            for (name, n) in [("x", &mut k.x), ("y", &mut k.y)] {
                if let Some(n) = n {
                    n.compile(c, spans::join_key(&kp, name), Allow::PLACED);
                }
            }
            for (name, n) in [("opacity", &mut k.opacity), ("scale", &mut k.scale)] {
                if let Some(n) = n {
                    n.compile(c, spans::join_key(&kp, name), Allow::PLACED);
                }
            }
        }
    }

    /// Every expression of the layer's box and motion, with its path: what `layers.NAME` is
    /// checked in when the storyboard loads.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        out.extend(self.x.as_expr());
        out.extend(self.y.as_expr());
        out.extend(self.opacity.as_expr());
        out.extend(self.scale.as_ref().and_then(Num::as_expr));
        out.extend(self.width.as_ref().and_then(Num::as_expr));
        out.extend(self.height.as_ref().and_then(Num::as_expr));
        for m in self.enter.iter().chain(self.exit.iter()) {
            out.extend(m.distance.as_expr());
        }
        for k in &self.animate {
            out.extend(k.x.as_ref().and_then(Num::as_expr));
            out.extend(k.y.as_ref().and_then(Num::as_expr));
            out.extend(k.opacity.as_ref().and_then(Num::as_expr));
            out.extend(k.scale.as_ref().and_then(Num::as_expr));
        }
        out
    }

    /// The layer's keyframe tracks, its enter and exit presets and its motion over time (`t`),
    /// in a scene of `scene_secs` (`frames` frames at `fps`), for a box placed at (`base_x`,
    /// `base_y`) on a `cw`x`ch` canvas. Expressions are evaluated in `scope` (the layer's size
    /// known).
    pub fn animation(
        &self,
        scope: &Scope,
        (base_x, base_y): (f32, f32),
        (scene_secs, frames, fps): (f32, u32, u32),
        frame: &Frame,
    ) -> Result<Animation, BindError> {
        let mut a = Animation::default();
        let track =
            |sel: &dyn Fn(&Keyframe) -> Option<Result<f32, BindError>>| -> Result<Option<Track>, BindError> {
                let mut keys = Vec::new();
                for k in &self.animate {
                    if let Some(v) = sel(k) {
                        keys.push(Key { t: k.at.secs() as f32, v: v?, easing: k.easing });
                    }
                }
                Ok((!keys.is_empty()).then_some(Track { keys }))
            };
        a.opacity.extend(track(&|k| k.opacity.as_ref().map(|n| scope.amount(n)))?);
        a.dx.extend(track(&|k| k.x.as_ref().map(|x| Ok(scope.position(x, Axis::X, frame)? - base_x)))?);
        a.dy.extend(track(&|k| k.y.as_ref().map(|y| Ok(scope.position(y, Axis::Y, frame)? - base_y)))?);
        a.scale.extend(track(&|k| k.scale.as_ref().map(|n| scope.amount(n)))?);
        // Motion over time: sampled per frame (see `number`); x and y move by their distance
        // from where the layer rests (their value at 0 s).
        let sampled = |n: Option<&Expr>, map: &dyn Fn(f64) -> f32| match n {
            Some(expr) => scope.track(expr, frames, fps, map).map(Some),
            None => Ok(None),
        };
        fn timed<T>(n: &Num<T>) -> Option<&Expr> {
            n.as_expr().filter(|_| n.over_time())
        }
        a.dx.extend(sampled(timed(&self.x), &|v| v as f32 - base_x)?);
        a.dy.extend(sampled(timed(&self.y), &|v| v as f32 - base_y)?);
        a.opacity.extend(sampled(timed(&self.opacity), &|v| v.clamp(0.0, 1.0) as f32)?);
        match &self.scale {
            Some(n) if n.over_time() => a.scale.extend(sampled(timed(n), &|v| v as f32)?),
            Some(n) => a
                .scale
                .push(Track { keys: vec![Key { t: 0.0, v: scope.amount(n)?, easing: Easing::Linear }] }),
            None => {}
        }
        if let Some(m) = &self.enter {
            let t0 = m.delay.secs() as f32;
            apply_motion(&mut a, m, scope, t0, true, frame)?;
        }
        if let Some(m) = &self.exit {
            let t0 = scene_secs - m.delay.secs() as f32 - m.duration.secs() as f32;
            apply_motion(&mut a, m, scope, t0.max(0.0), false, frame)?;
        }
        Ok(a)
    }

    /// Where the layer rests: (x, y) in canvas pixels; a position that follows time rests at
    /// its value at 0 s.
    pub fn position(&self, scope: &Scope, frame: &Frame) -> Result<(f32, f32), BindError> {
        let at = |n: &Num<Length>, axis: Axis| match n {
            Num::Expr { expr, over_time: true } => scope.at(expr, 0.0).map(|v| v as f32),
            n => scope.position(n, axis, frame),
        };
        Ok((at(&self.x, Axis::X)?, at(&self.y, Axis::Y)?))
    }

    /// The layer's opacity that does not change over time (one that does is a track).
    pub fn resting_opacity(&self, scope: &Scope) -> Result<f32, BindError> {
        match &self.opacity {
            Num::Expr { over_time: true, .. } => Ok(1.0),
            n => scope.amount(n),
        }
    }
}

/// Adds an enter (`entering`) or exit preset's tracks starting at `t0`.
fn apply_motion(
    a: &mut Animation,
    m: &Motion,
    scope: &Scope,
    t0: f32,
    entering: bool,
    frame: &Frame,
) -> Result<(), BindError> {
    let d = m.duration.secs() as f32;
    let (from, to) = if entering { (0.0, 1.0) } else { (1.0, 0.0) };
    a.opacity.push(Track::ramp(t0, d, from, to, m.easing));
    let dist_x = scope.size(&m.distance, Axis::X, frame)?;
    let dist_y = scope.size(&m.distance, Axis::Y, frame)?;
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
    Ok(())
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
        PaintSpec::Image(i) => c.template(&mut i.image, spans::join_key(&path, "image")),
    }
}

/// A fill for one record (a picture only as a background: see [`bind_background`]).
pub fn bind_paint(p: &PaintSpec, t: &Context) -> Result<Paint, BindError> {
    Ok(match p {
        PaintSpec::Color(c) => Paint::Solid(t.value(c)?),
        PaintSpec::Linear(l) => Paint::Linear {
            angle: l.angle,
            stops: l.stops.iter().map(|s| t.value(s)).collect::<Result<_, _>>()?,
        },
        PaintSpec::Image(i) => {
            let why = "internal error: an image fill outside a background was not refused at load";
            return Err(t.err(ProblemKind::Other, i.image.path(), why));
        }
    })
}

/// The video's or a scene's background for one record: a fill, or a picture from the assets
/// folder fitted to the `width`x`height` canvas (through the assets' limits, decoded once per
/// file and size) and centred on a canvas-sized picture: transparent around it for a scene
/// (the video's background shows), black for the video's own (`opaque`: every pixel of a
/// frame is opaque).
pub fn bind_background(
    p: &PaintSpec,
    t: &Context,
    assets: &Assets,
    (width, height): (u32, u32),
    opaque: bool,
) -> Result<Paint, BindError> {
    let PaintSpec::Image(i) = p else { return bind_paint(p, t) };
    let src = t.text(&i.image)?;
    let (w, h) = (width as f32, height as f32);
    let fitted = assets
        .fitted(&src, w, h, i.fit, 0.0)
        .map_err(|e| t.err(ProblemKind::MissingAsset, i.image.path(), e.to_string()))?;
    if (fitted.width(), fitted.height()) == (width, height) {
        return Ok(Paint::Image(fitted));
    }
    let mut canvas = tiny_skia::Pixmap::new(width, height).expect("the canvas size was checked at load");
    if opaque {
        canvas.fill(tiny_skia::Color::BLACK);
    }
    let (x, y) = ((width as i32 - fitted.width() as i32) / 2, (height as i32 - fitted.height() as i32) / 2);
    canvas.draw_pixmap(
        x,
        y,
        fitted.as_ref().as_ref(),
        &tiny_skia::PixmapPaint::default(),
        tiny_skia::Transform::identity(),
        None,
    );
    Ok(Paint::Image(std::sync::Arc::new(canvas)))
}
