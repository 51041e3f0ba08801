//! Storyboard: the YAML template a communications team writes.
//!
//! In: a `.yaml` file. Out: a [`Storyboard`] (typed, units parsed, still holding the
//! `{{ }}` templates and expressions that `bind` evaluates per record), or every problem found,
//! each with file:line:column, what was expected and a hint.
//!
//! serde_yaml does the parsing; it is kept behind [`parse`] so that a maintained fork can replace
//! it without touching the rest. Because serde stops at the first error, the document is
//! deserialised piece by piece (header, each scene, each layer) so one pass reports a problem in
//! every piece, and [`spans::SpanMap`] turns each problem's path into a line and column.

pub mod markup;
pub mod spans;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml::Value;

use crate::style as units;
pub use crate::style::{Align, Anchor, Duration, Easing, Length, Rgba, Side, VAlign};
pub use spans::{Pos, SpanMap};

/// Longest scene: a bill video is seconds long; hours would be a typo that ties up a worker.
pub const MAX_SCENE_SECS: f64 = 600.0;
/// Largest text size in pixels.
pub const MAX_TEXT_SIZE: f32 = 2000.0;

/// Storyboards are small; anything bigger than this is a mistake or an attack.
pub const MAX_STORYBOARD_BYTES: u64 = 1 << 20;

/// The whole storyboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storyboard {
    /// Format version; only 1 exists.
    #[serde(default = "one")]
    pub version: u32,
    pub video: Video,
    /// Folder holding fonts, images and audio, relative to the storyboard file.
    #[serde(default)]
    pub assets: Option<String>,
    /// Named fonts: `body: fonts/Inter-Regular.otf`. The first one is the default.
    #[serde(default)]
    pub fonts: IndexMap<String, String>,
    /// Fonts (names from `fonts:`) tried in order for characters a layer's font does not have,
    /// e.g. a CJK font behind a Latin one.
    #[serde(default)]
    pub fallback_fonts: Vec<String>,
    /// BCP 47 locale for number, currency and date formatting, unless the record has `locale`.
    #[serde(default)]
    pub locale: Option<String>,
    /// ISO 4217 code used by `| currency` when none is given.
    #[serde(default)]
    pub currency: Option<String>,
    /// Derived values, evaluated once per record in order: `delta: bill.total - bill.previous_total`.
    #[serde(default)]
    pub vars: IndexMap<String, String>,
    /// The still image for emails: `poster: { at: 6s }`; default: the last frame of the first scene.
    #[serde(default)]
    pub poster: Option<PosterSpec>,
    /// Chart colours.
    #[serde(default)]
    pub theme: Theme,
    /// The music bed under the whole video.
    #[serde(default)]
    pub audio: Option<AudioSpec>,
    /// Calls to action over the video on the landing page: buttons shown at their time range.
    #[serde(default)]
    pub cta: Vec<CtaSpec>,
    /// The landing page written next to each video.
    #[serde(default)]
    pub page: Option<PageSpec>,
    /// The animated preview for emails (a GIF next to the poster).
    #[serde(default)]
    pub preview: Option<PreviewSpec>,
    #[serde(skip_deserializing)]
    pub scenes: Vec<Scene>,
    #[serde(skip)]
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosterSpec {
    /// Time of the poster frame from the start of the video (clamped to its end).
    pub at: Duration,
    /// Draw a play button over the poster, so it reads as a video in an email.
    #[serde(default)]
    pub play_button: bool,
}

/// A music bed: looped (or trimmed) to the video's length, faded in and out, and ducked under
/// the scenes' clips.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioSpec {
    /// Audio file under the assets folder (WAV, MP3, OGG, M4A…); may hold bindings.
    pub music: String,
    /// Gain, 0–1 (1: as recorded).
    #[serde(default = "music_volume")]
    pub volume: f32,
    #[serde(default = "one_second")]
    pub fade_in: Duration,
    #[serde(default = "two_seconds")]
    pub fade_out: Duration,
    /// Start again when the file ends (otherwise silence after it).
    #[serde(rename = "loop", default = "yes")]
    pub looped: bool,
    /// The music's gain while a clip plays, as a fraction of `volume`.
    #[serde(default = "duck")]
    pub duck: f32,
}

fn music_volume() -> f32 {
    0.5
}
fn two_seconds() -> Duration {
    Duration(2.0)
}
fn duck() -> f32 {
    0.3
}

/// A sound clip in a scene, e.g. the voice-over: `{ src: "voice/{{ lang }}/intro.wav" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipSpec {
    /// Audio file under the assets folder; may hold bindings.
    pub src: String,
    #[serde(default)]
    pub delay: Duration,
    #[serde(default = "one_f32")]
    pub volume: f32,
    /// Expression; the clip plays only when it is true.
    #[serde(default)]
    pub when: Option<String>,
}

/// A button over the video on the landing page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtaSpec {
    /// The button's text; may hold bindings.
    pub label: String,
    /// Where it leads: `"{{ links.pay }}"` (http, https, mailto or tel).
    pub href: String,
    /// Times are counted from the start of this scene (by id) instead of the video's; when
    /// the scene does not play for a record, neither does the button.
    #[serde(default)]
    pub scene: Option<String>,
    /// Shown from this time…
    #[serde(default)]
    pub from: Duration,
    /// …until this one (default: the end of the scene, or of the video).
    #[serde(default)]
    pub to: Option<Duration>,
    /// Position and size on the canvas, like a layer's box (top-left corner).
    pub x: Length,
    pub y: Length,
    pub width: Length,
    pub height: Length,
    #[serde(default = "cta_background")]
    pub background: String,
    #[serde(default = "white")]
    pub color: String,
    /// Corner radius in canvas pixels.
    #[serde(default)]
    pub radius: f32,
    /// Text size in canvas pixels.
    #[serde(default = "cta_size")]
    pub size: f32,
}

fn cta_background() -> String {
    "#00c853".into()
}
fn cta_size() -> f32 {
    32.0
}

/// The landing page: its title and the bill summary shown as text under the video.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// May hold bindings.
    pub title: String,
    /// Lines of the summary (with bindings).
    #[serde(default)]
    pub summary: Vec<String>,
    /// Heading of the transcript (the captions as text) under the summary; none: no transcript.
    #[serde(default)]
    pub transcript: Option<String>,
    /// Page colours.
    #[serde(default = "page_background")]
    pub background: String,
    #[serde(default = "white")]
    pub color: String,
}

fn page_background() -> String {
    "#0b1f3a".into()
}

/// The animated preview for emails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewSpec {
    /// Start of the excerpt in the video.
    #[serde(default)]
    pub from: Duration,
    #[serde(default = "three_seconds")]
    pub duration: Duration,
    /// Width in pixels (the height follows the video's shape).
    #[serde(default = "preview_width")]
    pub width: u32,
    #[serde(default = "preview_fps")]
    pub fps: u32,
}

fn three_seconds() -> Duration {
    Duration(3.0)
}
fn preview_width() -> u32 {
    480
}
fn preview_fps() -> u32 {
    10
}

fn one() -> u32 {
    1
}

/// Where a storyboard came from, so later stages can point at its lines.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub file: PathBuf,
    pub spans: SpanMap,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    #[serde(default)]
    pub background: Option<PaintSpec>,
    #[serde(default)]
    pub encoder: EncoderSpec,
}

/// x264 settings a storyboard may choose; the command line overrides them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderSpec {
    pub preset: Option<String>,
    pub crf: Option<u8>,
    /// x264's `--tune`, e.g. `animation`.
    #[serde(default)]
    pub tune: Option<String>,
    /// Extra x264 options: `me=dia:subme=1`.
    #[serde(default)]
    pub x264_params: Option<String>,
}

/// A fill: a colour string (`"#0b1f3a"`, may hold `{{ }}`) or a linear gradient.
#[derive(Debug, Clone)]
pub enum PaintSpec {
    Color(String),
    Linear(LinearSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSpec {
    /// Direction in degrees, CSS style: 0 = upwards, 90 = to the right, 180 = downwards.
    #[serde(default = "deg180")]
    pub angle: f32,
    /// Colours spread evenly from start to end.
    pub stops: Vec<String>,
}

fn deg180() -> f32 {
    180.0
}

impl<'de> Deserialize<'de> for PaintSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wrapper {
            linear: LinearSpec,
        }
        match Value::deserialize(d)? {
            Value::String(s) => Ok(PaintSpec::Color(s)),
            v @ Value::Mapping(_) => serde_yaml::from_value::<Wrapper>(v)
                .map(|w| PaintSpec::Linear(w.linear))
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a colour string like \"#0b1f3a\" or {{ linear: {{ angle: 90, stops: [...] }} }}, but got {}",
                describe(&other)
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub id: String,
    pub duration: Duration,
    /// Expression; the scene plays only when it is true for the record.
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub transition: Transition,
    /// Fill drawn under this scene's layers (the video background shows otherwise).
    #[serde(default)]
    pub background: Option<PaintSpec>,
    /// What the scene says, for captions (WebVTT/SRT, or burnt in) and the landing page's
    /// transcript; may hold bindings.
    #[serde(default)]
    pub caption: Option<String>,
    /// Sound clips (a voice-over) played from the scene's start (after their `delay`).
    #[serde(default)]
    pub audio: Vec<ClipSpec>,
    #[serde(skip_deserializing)]
    pub layers: Vec<Layer>,
    /// Alternative layer sets: the first whose `when` is true (or that has none) is drawn
    /// after `layers`; e.g. a tip per customer segment, a message per dunning level.
    #[serde(skip_deserializing)]
    pub variants: Vec<Variant>,
    /// Where the scene is in the document (`scenes[2]`), for messages.
    #[serde(skip)]
    pub path: String,
}

/// One alternative of a scene's `variants`.
#[derive(Debug, Clone)]
pub struct Variant {
    pub when: Option<String>,
    pub layers: Vec<Layer>,
    pub path: String,
}

impl Scene {
    /// Every layer of the scene, its variants' included (for checks that cover them all).
    pub fn all_layers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.iter().chain(self.variants.iter().flat_map(|v| v.layers.iter()))
    }
}

/// How a scene replaces the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Transition {
    #[default]
    Cut,
    /// Crossfade over this long; the scenes overlap by that much.
    Fade(Duration),
    /// The new scene slides in over the old one, coming from `Side`.
    Slide(Duration, Side),
    /// The new scene is revealed by an edge moving away from `Side`.
    Wipe(Duration, Side),
}

impl Transition {
    /// How long the scene overlaps the one before it.
    pub fn duration(self) -> Duration {
        match self {
            Transition::Cut => Duration(0.0),
            Transition::Fade(d) | Transition::Slide(d, _) | Transition::Wipe(d, _) => d,
        }
    }
}

impl<'de> Deserialize<'de> for Transition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            duration: Option<Duration>,
            #[serde(default)]
            from: Option<Side>,
        }
        let full = match Value::deserialize(d)? {
            Value::String(kind) => Full { kind, duration: None, from: None },
            v => serde_yaml::from_value::<Full>(v).map_err(serde::de::Error::custom)?,
        };
        let d = full.duration.unwrap_or(Duration(0.5));
        match full.kind.as_str() {
            "cut" => Ok(Transition::Cut),
            "fade" => Ok(Transition::Fade(d)),
            "slide" => Ok(Transition::Slide(d, full.from.unwrap_or(Side::Right))),
            "wipe" => Ok(Transition::Wipe(d, full.from.unwrap_or(Side::Left))),
            other => Err(serde::de::Error::custom(format!(
                "unknown transition `{other}`; use cut, fade, slide or wipe (e.g. {{ type: slide, from: right, duration: 500ms }})"
            ))),
        }
    }
}

/// One layer: what every layer has, plus its kind.
#[derive(Debug, Clone)]
pub struct Layer {
    pub common: LayerCommon,
    pub kind: LayerKind,
    /// Where the layer is in the document (`scenes[2].layers[0]`), for messages.
    pub path: String,
}

/// Keys every layer kind accepts.
pub const COMMON_KEYS: &[&str] = &[
    "type", "name", "x", "y", "width", "height", "anchor", "opacity", "when", "enter", "exit", "animate",
    "caption",
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
    pub when: Option<String>,
    #[serde(default)]
    pub enter: Option<Motion>,
    #[serde(default)]
    pub exit: Option<Motion>,
    #[serde(default)]
    pub animate: Vec<Keyframe>,
    /// A caption line shown while the layer is (from its enter delay to the scene's end).
    #[serde(default)]
    pub caption: Option<String>,
}

fn zero_len() -> Length {
    Length::Px(0.0)
}
fn one_f32() -> f32 {
    1.0
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
fn ease_out() -> Easing {
    Easing::EaseOut
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

#[derive(Debug, Clone)]
pub enum LayerKind {
    Rect(RectLayer),
    Text(TextLayer),
    Image(ImageLayer),
    BarChart(ChartLayer),
    LineChart(ChartLayer),
    Donut(DonutLayer),
    Comparison(ComparisonLayer),
    Qr(QrLayer),
    Progress(ProgressLayer),
}

pub const LAYER_KINDS: &[&str] =
    &["rect", "text", "image", "bar_chart", "line_chart", "donut_chart", "comparison", "qr", "progress"];

/// The storyboard's look for charts: series and slices without a `color` take the palette's
/// colours in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    #[serde(default = "default_palette")]
    pub palette: Vec<String>,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme { palette: default_palette() }
    }
}

/// Colour-blind-safe on a dark background (Okabe-Ito, lightened).
pub fn default_palette() -> Vec<String> {
    ["#4fc3f7", "#ffb74d", "#81c784", "#f06292", "#ba68c8", "#fff176", "#90a4ae"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A donut (or, with `hole: 0`, a pie): shares of a total, e.g. the bill split into energy,
/// network and taxes, with a legend of labels and percentages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonutLayer {
    /// Slice names: an expression giving a list, or a literal list (may hold `{{ }}`).
    pub labels: LabelsSpec,
    /// Expression giving a list of numbers, one per label.
    pub values: String,
    /// Slice colours; default: the theme's palette.
    #[serde(default)]
    pub colors: Option<Vec<String>>,
    /// The hole's diameter as a fraction of the ring's; 0 draws a pie.
    #[serde(default = "donut_hole")]
    pub hole: f32,
    /// Each legend line; sees `label`, `value` and `percent` (its share of the total, in percent).
    #[serde(default = "slice_format")]
    pub label_format: String,
    /// Text in the hole, e.g. `"{{ bill.total | currency }}"`.
    #[serde(default)]
    pub center: Option<String>,
    #[serde(default = "center_size")]
    pub center_size: f32,
    #[serde(default)]
    pub font: Option<String>,
    #[serde(default = "label_size")]
    pub label_size: f32,
    #[serde(default = "label_color")]
    pub label_color: String,
    /// Sweep-in: the slices appear clockwise from 12 o'clock; `stagger` is per slice.
    #[serde(default)]
    pub grow: Option<Grow>,
}

fn donut_hole() -> f32 {
    0.6
}
fn slice_format() -> String {
    "{{ label }}  {{ percent | percent }}".into()
}
fn center_size() -> f32 {
    32.0
}

/// A comparison card: a big number, and under it an arrow and the change against a previous
/// value (up or down, coloured by whether that is good news).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonLayer {
    /// Expression for the number shown, e.g. `bill.total`.
    pub value: String,
    /// Expression for what it is compared with, e.g. `bill.previous_total`.
    pub previous: String,
    /// The big number; sees `value`.
    #[serde(default = "value_format")]
    pub format: String,
    /// The change; sees `delta` (value - previous), `change` (the change in percent of the
    /// previous value; 0 when that is 0) and `previous`.
    #[serde(default = "delta_format")]
    pub delta_format: String,
    /// A caption above the number, e.g. `"{{ copy.due }}"`.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub font: Option<String>,
    /// Font of the big number; default: `font`.
    #[serde(default)]
    pub number_font: Option<String>,
    #[serde(default = "card_size")]
    pub size: f32,
    #[serde(default = "white")]
    pub color: String,
    #[serde(default = "label_size")]
    pub label_size: f32,
    #[serde(default = "label_color")]
    pub label_color: String,
    /// Whether a rise is good news (green) or bad news (red, the default: a bill going up).
    #[serde(default)]
    pub good: GoodDirection,
    #[serde(default = "good_color")]
    pub good_color: String,
    #[serde(default = "bad_color")]
    pub bad_color: String,
    /// Counts the number up from `from` (default 0) to the value.
    #[serde(default)]
    pub count_up: Option<CardCount>,
    #[serde(default)]
    pub align: Align,
}

fn delta_format() -> String {
    "{{ change | percent }}".into()
}
fn card_size() -> f32 {
    72.0
}
fn good_color() -> String {
    "#66bb6a".into()
}
fn bad_color() -> String {
    "#ef5350".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GoodDirection {
    Up,
    #[default]
    Down,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardCount {
    #[serde(default)]
    pub from: f64,
    #[serde(default = "one_second")]
    pub duration: Duration,
    #[serde(default)]
    pub delay: Duration,
    #[serde(default = "ease_out")]
    pub easing: Easing,
}

/// A bar gauge: how far `value` is towards `max` (consumption against a budget, say), with an
/// optional marker (the average of similar homes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressLayer {
    /// Expression for the value, e.g. `usage.kwh | sum`.
    pub value: String,
    /// Expression for the full scale, e.g. `budget.kwh` or `4000`.
    pub max: String,
    #[serde(default = "bar_color")]
    pub color: String,
    /// The unfilled part of the bar.
    #[serde(default = "track_color")]
    pub track: String,
    /// Corner radius; default: half the height (a pill).
    #[serde(default)]
    pub radius: Option<f32>,
    /// A tick across the bar at this value (expression), in `marker_color`.
    #[serde(default)]
    pub marker: Option<String>,
    #[serde(default = "white")]
    pub marker_color: String,
    #[serde(default)]
    pub grow: Option<Grow>,
}

fn bar_color() -> String {
    "#4fc3f7".into()
}
fn track_color() -> String {
    "#ffffff26".into()
}

/// A QR code, e.g. for the pay link: square, `width` wide (the quiet zone included).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrLayer {
    /// What the code holds, with bindings: `"{{ links.pay }}"`.
    pub data: String,
    /// Dark modules.
    #[serde(default = "black")]
    pub color: String,
    /// Light modules and the quiet zone around the code.
    #[serde(default = "white")]
    pub background: String,
    /// Width of the light margin, in modules; scanners want 4.
    #[serde(default = "four")]
    pub quiet_zone: u32,
    /// `L`, `M`, `Q` or `H`: how much of the code may be damaged and still read.
    #[serde(default)]
    pub error_correction: EcLevel,
}

fn black() -> String {
    "#000000".into()
}
fn four() -> u32 {
    4
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum EcLevel {
    L,
    #[default]
    M,
    Q,
    H,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectLayer {
    #[serde(default)]
    pub fill: Option<PaintSpec>,
    #[serde(default)]
    pub radius: f32,
    #[serde(default)]
    pub stroke: Option<Stroke>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stroke {
    pub color: String,
    #[serde(default = "one_f32")]
    pub width: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextLayer {
    /// The text, with `{{ }}` bindings.
    pub text: String,
    /// A name from `fonts:`; default: the first font.
    #[serde(default)]
    pub font: Option<String>,
    #[serde(default = "default_size")]
    pub size: f32,
    #[serde(default = "white")]
    pub color: String,
    #[serde(default)]
    pub align: Align,
    /// Line height as a multiple of the font size.
    #[serde(default = "line_height")]
    pub line_height: f32,
    /// Animates a number from `from` to the value of `to`; the text sees it as `count`.
    #[serde(default)]
    pub count_up: Option<CountUp>,
    /// `shrink`: make the text smaller (down to `min_size`) until it fits its box
    /// (`width`, `height`, `max_lines`); then cut it with an ellipsis. `none`: cut only.
    #[serde(default)]
    pub fit: TextFit,
    /// Smallest size `fit: shrink` may use; default 60% of `size`.
    #[serde(default)]
    pub min_size: Option<f32>,
    #[serde(default)]
    pub max_lines: Option<usize>,
    /// Vertical placement in the box when `height` is given: top, middle, bottom.
    #[serde(default)]
    pub valign: VAlign,
    /// Extra space between letters, in pixels.
    #[serde(default)]
    pub letter_spacing: f32,
    /// A line around each letter, for legibility over pictures: `{ color: "#000", width: 2 }`.
    #[serde(default)]
    pub outline: Option<Stroke>,
    /// A hard shadow under the text: `{ color: "#00000080", dx: 2, dy: 2 }`.
    #[serde(default)]
    pub shadow: Option<Shadow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shadow {
    #[serde(default = "shadow_color")]
    pub color: String,
    #[serde(default = "two")]
    pub dx: f32,
    #[serde(default = "two")]
    pub dy: f32,
}

fn shadow_color() -> String {
    "#00000080".into()
}
fn two() -> f32 {
    2.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFit {
    #[default]
    None,
    Shrink,
}

fn default_size() -> f32 {
    32.0
}
fn white() -> String {
    "#ffffff".into()
}
fn line_height() -> f32 {
    1.25
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountUp {
    /// Expression for the final number, e.g. `bill.total`.
    pub to: String,
    #[serde(default)]
    pub from: f64,
    #[serde(default = "one_second")]
    pub duration: Duration,
    #[serde(default)]
    pub delay: Duration,
    #[serde(default = "ease_out")]
    pub easing: Easing,
}

fn one_second() -> Duration {
    Duration(1.0)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLayer {
    /// Path under the assets folder (PNG, JPEG or SVG); may hold `{{ }}`.
    pub src: String,
    #[serde(default)]
    pub fit: Fit,
    /// Corner radius in pixels, applied to the image as drawn in its box.
    #[serde(default)]
    pub radius: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// The whole image, letterboxed inside the box.
    #[default]
    Contain,
    /// The box filled, the image cropped around its centre.
    Cover,
    /// Stretched to the box.
    Fill,
}

/// A bar chart (`bar_chart`) or a line chart (`line_chart`): categories along the bottom, one
/// or more series of numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartLayer {
    /// Category labels: an expression giving a list (`usage.months`) or a literal list.
    pub labels: LabelsSpec,
    pub series: Vec<SeriesSpec>,
    /// Template for the label above each bar (or the highlighted point); sees `value`.
    /// Empty string: no value labels.
    #[serde(default = "value_format")]
    pub value_format: String,
    /// Draw a value axis: grid lines at rounded ticks (1, 2 or 5 times a power of ten), labelled
    /// with `tick_format` on the left.
    #[serde(default)]
    pub axis: bool,
    /// About how many ticks the axis has.
    #[serde(default = "five")]
    pub ticks: usize,
    /// Template for tick labels; sees `value`.
    #[serde(default = "tick_format")]
    pub tick_format: String,
    #[serde(default = "grid_color")]
    pub grid_color: String,
    /// Line charts: the point to emphasise (a dot and its value label), an expression giving an
    /// index; negative counts from the end (`-1`: the latest).
    #[serde(default)]
    pub highlight: Option<String>,
    /// Line charts: fill the area under each line with a faint wash of its colour.
    #[serde(default)]
    pub area: bool,
    /// Line charts: stroke width in pixels.
    #[serde(default = "line_width")]
    pub line_width: f32,
    #[serde(default)]
    pub font: Option<String>,
    #[serde(default = "label_size")]
    pub label_size: f32,
    #[serde(default = "label_color")]
    pub label_color: String,
    /// Fraction of each category's slot left empty between groups.
    #[serde(default = "bar_gap")]
    pub gap: f32,
    #[serde(default = "corner")]
    pub radius: f32,
    #[serde(default)]
    pub grow: Option<Grow>,
    /// Show a legend when there is more than one series.
    #[serde(default = "yes")]
    pub legend: bool,
}

fn value_format() -> String {
    "{{ value | number(0) }}".into()
}
fn tick_format() -> String {
    "{{ value | number }}".into()
}
fn grid_color() -> String {
    "#ffffff26".into()
}
fn five() -> usize {
    5
}
fn line_width() -> f32 {
    3.0
}
fn label_size() -> f32 {
    18.0
}
fn label_color() -> String {
    "#ffffffcc".into()
}
fn bar_gap() -> f32 {
    0.3
}
fn corner() -> f32 {
    4.0
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LabelsSpec {
    List(Vec<String>),
    Expr(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Expression giving a list of numbers, e.g. `usage.kwh`.
    pub values: String,
    #[serde(default)]
    pub label: Option<String>,
    /// Default: the theme's palette, in series order.
    #[serde(default)]
    pub color: Option<String>,
    /// Draw the value above each bar (formatted by the chart's `value_format`).
    #[serde(default = "yes")]
    pub show_values: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grow {
    #[serde(default = "grow_duration")]
    pub duration: Duration,
    /// Delay between one category's bars and the next.
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

// ---------------------------------------------------------------------------------------------
// Diagnostics

/// One problem in a storyboard, located in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Option<Pos>,
    /// Where in the document: `scenes[2].layers[0].duration`.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file.display(), p.line, p.column, self.message)?,
            None => write!(f, "{}: {}", self.file.display(), self.message)?,
        }
        if !self.path.is_empty() {
            write!(f, "\n    at {}", self.path)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in one pass over a storyboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(f, "\n{n} problem{} found", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// Collects diagnostics for one file, locating each by its path.
pub struct Reporter<'a> {
    pub file: &'a Path,
    pub spans: &'a SpanMap,
    pub found: Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, spans: &'a SpanMap) -> Self {
        Reporter { file, spans, found: Vec::new() }
    }

    /// A problem with the value at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos: self.spans.value(path),
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// A problem with the key at `path` (an unknown key, say).
    pub fn key_error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos: self.spans.key(path),
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// Deserialises `value` (found at `base`) into `T`, reporting a failure at the precise
    /// field. Unknown keys get the list of allowed keys and a "did you mean".
    pub fn deserialize<T: DeserializeOwned>(
        &mut self,
        base: &str,
        value: Value,
        what: &str,
        extra_keys: &[&str],
    ) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(err) => {
                let mut path = base.to_string();
                for seg in err.path().iter() {
                    use serde_path_to_error::Segment;
                    match seg {
                        Segment::Seq { index } => path = spans::join_index(&path, *index),
                        Segment::Map { key } => path = spans::join_key(&path, key),
                        Segment::Enum { variant } => path = spans::join_key(&path, variant),
                        Segment::Unknown => {}
                    }
                }
                let inner = err.into_inner().to_string();
                self.report_serde(&path, &inner, what, extra_keys);
                None
            }
        }
    }

    fn report_serde(&mut self, path: &str, message: &str, what: &str, extra_keys: &[&str]) {
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let field = rest.split('`').next().unwrap_or("");
            let mut expected: Vec<String> = message
                .split("expected ")
                .nth(1)
                .map(|s| {
                    s.split('`').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, k)| k.to_string()).collect()
                })
                .unwrap_or_default();
            expected.extend(extra_keys.iter().map(|s| s.to_string()));
            let expected: BTreeSet<String> = expected.into_iter().collect();
            let guess = closest(field, expected.iter().map(String::as_str));
            let list = expected.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            let hint = match guess {
                Some(g) => format!("did you mean `{g}`? {what} accepts: {list}"),
                None => format!("{what} accepts: {list}"),
            };
            let key_path = if path.ends_with(&format!(".{field}")) || path == field {
                path.to_string()
            } else {
                spans::join_key(path, field)
            };
            // Name the mapping the key is in when it is nested inside the part being read.
            let parent = key_path.strip_suffix(field).unwrap_or("").trim_end_matches('.');
            let place = if parent.is_empty() || parent.ends_with(']') {
                what.to_string()
            } else {
                format!("`{parent}`")
            };
            self.key_error(&key_path, format!("unknown key `{field}` in {place}"), Some(hint));
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or("");
            self.error(path, format!("{what} is missing the required key `{field}`"), None);
        } else if let Some(rest) = message.strip_prefix("unknown variant `") {
            let got = rest.split('`').next().unwrap_or("");
            let expected = message.split("expected ").nth(1).unwrap_or("").to_string();
            self.error(path, format!("`{got}` is not allowed here"), Some(format!("expected {expected}")));
        } else {
            self.error(path, message.to_string(), None);
        }
    }
}

/// The candidate nearest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Reads and parses a storyboard file. Structural checks only; [`validate`] and the binder's
/// template compilation add the rest (see `billreel check`).
pub fn load(file: &Path) -> Result<Storyboard, Diagnostics> {
    let (sb, found) = load_partial(file)?;
    match sb {
        Some(sb) if found.is_empty() => Ok(sb),
        _ => Err(Diagnostics(found)),
    }
}

/// Like [`load`], but returns what could be parsed along with the problems (see
/// [`parse_partial`]). Fails outright only when the file cannot be read.
pub fn load_partial(file: &Path) -> Result<(Option<Storyboard>, Vec<Diagnostic>), Diagnostics> {
    let fail = |message: String, hint: Option<String>| {
        Diagnostics(vec![Diagnostic {
            file: file.to_path_buf(),
            pos: None,
            path: String::new(),
            message,
            hint,
        }])
    };
    let meta = std::fs::metadata(file).map_err(|e| fail(format!("cannot read the storyboard: {e}"), None))?;
    if meta.len() > MAX_STORYBOARD_BYTES {
        return Err(fail(
            format!("the storyboard is {} bytes; the limit is {MAX_STORYBOARD_BYTES}", meta.len()),
            Some("split it, or move long texts into the billing records".into()),
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        fail(format!("cannot read the storyboard: {e}"), Some("it must be UTF-8 text".into()))
    })?;
    Ok(parse_partial(&text, file))
}

/// Parses storyboard text; `file` is used in messages only.
pub fn parse(text: &str, file: &Path) -> Result<Storyboard, Diagnostics> {
    match parse_partial(text, file) {
        (Some(sb), found) if found.is_empty() => Ok(sb),
        (_, found) => Err(Diagnostics(found)),
    }
}

/// Parses as much as can be parsed: the storyboard holds every scene and layer that was valid,
/// and the diagnostics say what was not. Lets `check` go on to validate the rest in one pass.
pub fn parse_partial(text: &str, file: &Path) -> (Option<Storyboard>, Vec<Diagnostic>) {
    let root: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let pos = e.location().map(|l| Pos { line: l.line(), column: l.column() });
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; we print the location up front instead.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            let hint = "check the indentation and that every `key: value` has a space after the colon";
            return (
                None,
                vec![Diagnostic {
                    file: file.to_path_buf(),
                    pos,
                    path: String::new(),
                    message: format!("YAML syntax error: {message}"),
                    hint: Some(hint.into()),
                }],
            );
        }
    };
    let spans = SpanMap::build(text);
    let mut rep = Reporter::new(file, &spans);

    let Value::Mapping(mut top) = root else {
        rep.error("", "a storyboard must be a mapping with `video:` and `scenes:`", None);
        return (None, rep.found);
    };
    let scenes_value = top.remove("scenes");
    let header: Option<Storyboard> = rep.deserialize("", Value::Mapping(top), "the storyboard", &["scenes"]);

    let mut scenes = Vec::new();
    match scenes_value {
        None => rep.error(
            "",
            "the storyboard has no `scenes:`",
            Some("add a list of scenes, each with `id`, `duration` and `layers`".into()),
        ),
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                if let Some(scene) = parse_scene(&mut rep, &spans::join_index("scenes", i), item) {
                    scenes.push(scene);
                }
            }
        }
        Some(other) => {
            rep.error("scenes", format!("`scenes` must be a list, but got {}", describe(&other)), None)
        }
    }

    let sb = header.map(|mut sb| {
        sb.scenes = scenes;
        sb.source = Source { file: file.to_path_buf(), spans: spans.clone() };
        sb
    });
    (sb, rep.found)
}

fn parse_scene(rep: &mut Reporter, path: &str, value: Value) -> Option<Scene> {
    let Value::Mapping(mut map) = value else {
        rep.error(path, format!("a scene must be a mapping, but got {}", describe(&value)), None);
        return None;
    };
    let layers_value = map.remove("layers");
    let variants_value = map.remove("variants");
    let scene: Option<Scene> = rep.deserialize(path, Value::Mapping(map), "a scene", &["layers", "variants"]);
    let layers = parse_layers(rep, &spans::join_key(path, "layers"), layers_value);
    let mut variants = Vec::new();
    match variants_value {
        None | Some(Value::Null) => {}
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let vpath = spans::join_index(&spans::join_key(path, "variants"), i);
                let Value::Mapping(mut vmap) = item else {
                    rep.error(&vpath, "a variant is a mapping with `when` and `layers`", None);
                    continue;
                };
                let vlayers = parse_layers(rep, &spans::join_key(&vpath, "layers"), vmap.remove("layers"));
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Head {
                    #[serde(default)]
                    when: Option<String>,
                }
                if let Some(h) =
                    rep.deserialize::<Head>(&vpath, Value::Mapping(vmap), "a variant", &["layers"])
                {
                    variants.push(Variant { when: h.when, layers: vlayers, path: vpath });
                }
            }
        }
        Some(other) => rep.error(
            &spans::join_key(path, "variants"),
            format!("`variants` must be a list, but got {}", describe(&other)),
            None,
        ),
    }
    // When the scene's own keys are wrong its layers are still worth checking: keep them under
    // a stand-in scene. The storyboard is in error anyway, so the stand-in is never rendered.
    let mut s = scene.unwrap_or_else(|| Scene {
        id: format!("(invalid scene at {path})"),
        duration: Duration(1.0),
        when: None,
        transition: Transition::Cut,
        background: None,
        caption: None,
        audio: Vec::new(),
        layers: Vec::new(),
        variants: Vec::new(),
        path: String::new(),
    });
    s.layers = layers;
    s.variants = variants;
    s.path = path.to_string();
    Some(s)
}

fn parse_layers(rep: &mut Reporter, path: &str, value: Option<Value>) -> Vec<Layer> {
    let mut layers = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                if let Some(layer) = parse_layer(rep, &spans::join_index(path, i), item) {
                    layers.push(layer);
                }
            }
        }
        Some(other) => {
            rep.error(path, format!("`layers` must be a list, but got {}", describe(&other)), None)
        }
    }
    layers
}

fn parse_layer(rep: &mut Reporter, path: &str, value: Value) -> Option<Layer> {
    let Value::Mapping(map) = value else {
        rep.error(path, format!("a layer must be a mapping, but got {}", describe(&value)), None);
        return None;
    };
    let kind = match map.get("type") {
        Some(Value::String(k)) => k.clone(),
        Some(other) => {
            rep.error(
                &spans::join_key(path, "type"),
                format!("a layer's `type` must be a string, but got {}", describe(other)),
                None,
            );
            return None;
        }
        None => {
            rep.error(
                path,
                "this layer has no `type`",
                Some(format!("add `type:` with one of {}", LAYER_KINDS.join(", "))),
            );
            return None;
        }
    };
    if !LAYER_KINDS.contains(&kind.as_str()) {
        let hint = match closest(&kind, LAYER_KINDS.iter().copied()) {
            Some(g) => format!("did you mean `{g}`? layer types are {}", LAYER_KINDS.join(", ")),
            None => format!("layer types are {}", LAYER_KINDS.join(", ")),
        };
        rep.error(&spans::join_key(path, "type"), format!("unknown layer type `{kind}`"), Some(hint));
        return None;
    }
    // Split the keys every layer has from the kind's own, so both get deny_unknown_fields.
    let (mut common_map, mut own_map) = (serde_yaml::Mapping::new(), serde_yaml::Mapping::new());
    for (k, v) in map {
        let is_common = k.as_str().is_some_and(|k| COMMON_KEYS.contains(&k));
        if is_common {
            common_map.insert(k, v)
        } else {
            own_map.insert(k, v)
        };
    }
    let what = format!("a {kind} layer");
    let common: Option<LayerCommon> = rep.deserialize(path, Value::Mapping(common_map), &what, &[]);
    let own = Value::Mapping(own_map);
    let kind = match kind.as_str() {
        "rect" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Rect),
        "text" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Text),
        "image" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Image),
        "qr" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Qr),
        "progress" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Progress),
        "line_chart" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::LineChart),
        "donut_chart" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Donut),
        "comparison" => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::Comparison),
        _ => rep.deserialize(path, own, &what, COMMON_KEYS).map(LayerKind::BarChart),
    };
    Some(Layer { common: common?, kind: kind?, path: path.to_string() })
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks what the types cannot: sizes, references between parts, colours, assets.
/// Template and expression syntax are checked when the binder compiles them.
pub fn validate(sb: &Storyboard, assets: &crate::assets::Assets) -> Vec<Diagnostic> {
    let mut rep = Reporter::new(&sb.source.file, &sb.source.spans);
    let v = &sb.video;
    if v.width == 0 || v.height == 0 || v.width > 4096 || v.height > 4096 {
        rep.error(
            "video.width",
            format!("the video must be between 2x2 and 4096x4096 pixels, but is {}x{}", v.width, v.height),
            None,
        );
    } else if v.width % 2 == 1 || v.height % 2 == 1 {
        rep.error(
            "video.width",
            format!("width and height must be even for 4:2:0 video, but are {}x{}", v.width, v.height),
            Some(format!("use {}x{}", v.width & !1, v.height & !1)),
        );
    }
    if v.fps == 0 || v.fps > 120 {
        rep.error("video.fps", format!("fps must be between 1 and 120, but is {}", v.fps), None);
    }
    if let Some(p) = &v.encoder.preset {
        const PRESETS: &[&str] = &[
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
            "placebo",
        ];
        if !PRESETS.contains(&p.as_str()) {
            rep.error(
                "video.encoder.preset",
                format!("unknown x264 preset `{p}`"),
                Some(format!("use one of {}", PRESETS.join(", "))),
            );
        }
    }
    if let Some(crf) = v.encoder.crf {
        if crf > 51 {
            rep.error(
                "video.encoder.crf",
                format!("crf must be 0..=51, but is {crf}"),
                Some("23 is the default; lower is better quality and bigger files".into()),
            );
        }
    }
    if let Some(bg) = &v.background {
        check_paint(&mut rep, "video.background", bg);
    }
    for (name, file) in &sb.fonts {
        let path = spans::join_key("fonts", name);
        if let Err(e) = assets.resolve(file) {
            rep.error(
                &path,
                format!("font `{name}`: {e}"),
                Some(format!("fonts live under {}", assets.root().display())),
            );
        }
    }
    for (i, name) in sb.fallback_fonts.iter().enumerate() {
        if !sb.fonts.contains_key(name) {
            let names: Vec<&str> = sb.fonts.keys().map(String::as_str).collect();
            rep.error(
                &spans::join_index("fallback_fonts", i),
                format!("unknown font `{name}` in fallback_fonts"),
                Some(format!("fallback fonts are names from `fonts:`: {}", names.join(", "))),
            );
        }
    }
    let asset_ok = |rep: &mut Reporter, path: &str, src: &str| {
        if !src.contains("{{") {
            if let Err(e) = assets.resolve(src) {
                rep.error(
                    path,
                    e.to_string(),
                    Some(format!("sound files live under {}", assets.root().display())),
                );
            }
        }
    };
    let unit = |rep: &mut Reporter, path: &str, v: f32| {
        if !(0.0..=1.0).contains(&v) {
            rep.error(path, format!("must be between 0 and 1, but is {v}"), None);
        }
    };
    if let Some(a) = &sb.audio {
        asset_ok(&mut rep, "audio.music", &a.music);
        unit(&mut rep, "audio.volume", a.volume);
        unit(&mut rep, "audio.duck", a.duck);
    }
    for scene in &sb.scenes {
        for (i, clip) in scene.audio.iter().enumerate() {
            let cp = spans::join_index(&spans::join_key(&scene.path, "audio"), i);
            asset_ok(&mut rep, &spans::join_key(&cp, "src"), &clip.src);
            if !(0.0..=4.0).contains(&clip.volume) {
                rep.error(
                    &spans::join_key(&cp, "volume"),
                    format!("volume must be between 0 and 4, but is {}", clip.volume),
                    None,
                );
            }
        }
    }
    for (i, c) in sb.cta.iter().enumerate() {
        let cp = spans::join_index("cta", i);
        check_color(&mut rep, &spans::join_key(&cp, "background"), &c.background);
        check_color(&mut rep, &spans::join_key(&cp, "color"), &c.color);
        if let Some(id) = &c.scene {
            if !sb.scenes.iter().any(|s| &s.id == id) {
                let ids: Vec<&str> = sb.scenes.iter().map(|s| s.id.as_str()).collect();
                rep.error(
                    &spans::join_key(&cp, "scene"),
                    format!("no scene has the id `{id}`"),
                    Some(format!("scene ids: {}", ids.join(", "))),
                );
            }
        }
        if c.to.is_some_and(|t| t.secs() <= c.from.secs()) {
            rep.error(&spans::join_key(&cp, "to"), "`to` must be after `from`", None);
        }
    }
    if let Some(p) = &sb.page {
        check_color(&mut rep, "page.background", &p.background);
        check_color(&mut rep, "page.color", &p.color);
    }
    if let Some(p) = &sb.preview {
        if !(64..=1920).contains(&p.width) {
            rep.error(
                "preview.width",
                format!("width must be between 64 and 1920 pixels, but is {}", p.width),
                None,
            );
        }
        if !(1..=30).contains(&p.fps) {
            rep.error("preview.fps", format!("fps must be between 1 and 30, but is {}", p.fps), None);
        }
        if !(p.duration.secs() > 0.0 && p.duration.secs() <= 10.0) {
            rep.error("preview.duration", "an email preview lasts more than 0 and at most 10 seconds", None);
        }
    }
    if sb.theme.palette.is_empty() {
        rep.error("theme.palette", "the palette needs at least one colour", None);
    }
    for (i, c) in sb.theme.palette.iter().enumerate() {
        check_color(&mut rep, &spans::join_index("theme.palette", i), c);
    }
    if let Some(code) = &sb.currency {
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            rep.error(
                "currency",
                format!("`{code}` is not an ISO 4217 currency code"),
                Some("use three capital letters, like EUR, GBP or PLN".into()),
            );
        }
    }
    if sb.scenes.is_empty() {
        rep.error("scenes", "the storyboard has no scenes", None);
    }
    let mut ids = BTreeSet::new();
    for scene in &sb.scenes {
        let sp = scene.path.clone();
        if !ids.insert(scene.id.as_str()) {
            rep.error(
                &spans::join_key(&sp, "id"),
                format!("scene id `{}` is used twice", scene.id),
                Some("scene ids must be unique".into()),
            );
        }
        if scene.duration.secs() <= 0.0 || scene.duration.secs() > MAX_SCENE_SECS {
            rep.error(
                &spans::join_key(&sp, "duration"),
                format!(
                    "a scene must last more than 0s and at most {MAX_SCENE_SECS}s, but lasts {}s",
                    scene.duration.secs()
                ),
                None,
            );
        }
        let d = scene.transition.duration();
        if d.secs() > 0.0 {
            // On the first scene, the transition comes in from the video background.
            if d.secs() >= scene.duration.secs() {
                rep.error(
                    &spans::join_key(&sp, "transition"),
                    format!(
                        "the transition ({}s) must be shorter than the scene ({}s)",
                        d.secs(),
                        scene.duration.secs()
                    ),
                    None,
                );
            }
        }
        if let Some(bg) = &scene.background {
            check_paint(&mut rep, &spans::join_key(&sp, "background"), bg);
        }
        for layer in scene.all_layers() {
            validate_layer(&mut rep, sb, assets, &layer.path, layer);
        }
    }
    rep.found
}

fn validate_layer(
    rep: &mut Reporter,
    sb: &Storyboard,
    assets: &crate::assets::Assets,
    lp: &str,
    layer: &Layer,
) {
    let c = &layer.common;
    let positive = |rep: &mut Reporter, key: &str, v: f32, max: f32| {
        if !(v > 0.0 && v <= max) {
            rep.error(
                &spans::join_key(lp, key),
                format!("`{key}` must be more than 0 and at most {max}, but is {v}"),
                None,
            );
        }
    };
    for (key, len) in [("width", c.width), ("height", c.height)] {
        if let Some(units::Length::Px(v) | units::Length::Percent(v)) = len {
            if v < 0.0 {
                rep.error(
                    &spans::join_key(lp, key),
                    format!("`{key}` must not be negative, but is {v}"),
                    None,
                );
            }
        }
    }
    if !(0.0..=1.0).contains(&c.opacity) {
        rep.error(
            &spans::join_key(lp, "opacity"),
            format!("opacity must be between 0 and 1, but is {}", c.opacity),
            None,
        );
    }
    let mut last_at = -1.0;
    for (ki, k) in c.animate.iter().enumerate() {
        let kp = spans::join_index(&spans::join_key(lp, "animate"), ki);
        if k.at.secs() < last_at {
            rep.error(&spans::join_key(&kp, "at"), "keyframes must be in time order", None);
        }
        last_at = k.at.secs();
        if let Some(o) = k.opacity {
            if !(0.0..=1.0).contains(&o) {
                rep.error(
                    &spans::join_key(&kp, "opacity"),
                    format!("opacity must be between 0 and 1, but is {o}"),
                    None,
                );
            }
        }
    }
    let font_ok = |rep: &mut Reporter, path: &str, font: &Option<String>| {
        if let Some(f) = font {
            if !sb.fonts.contains_key(f) {
                let names: Vec<&str> = sb.fonts.keys().map(String::as_str).collect();
                let hint = match closest(f, names.iter().copied()) {
                    Some(g) => format!("did you mean `{g}`? fonts defined: {}", names.join(", ")),
                    None => format!("fonts defined under `fonts:`: {}", names.join(", ")),
                };
                rep.error(path, format!("unknown font `{f}`"), Some(hint));
            }
        } else if sb.fonts.is_empty() {
            rep.error(
                path,
                "this layer draws text but the storyboard defines no fonts",
                Some("add `fonts: { body: fonts/Inter-Regular.otf }`".into()),
            );
        }
    };
    match &layer.kind {
        LayerKind::Rect(r) => {
            if !(r.radius >= 0.0 && r.radius.is_finite()) {
                rep.error(
                    &spans::join_key(lp, "radius"),
                    format!("radius must be 0 or more, but is {}", r.radius),
                    None,
                );
            }
            if let Some(st) = &r.stroke {
                if !(st.width > 0.0 && st.width <= 1000.0) {
                    let path = spans::join_key(&spans::join_key(lp, "stroke"), "width");
                    rep.error(
                        &path,
                        format!("a stroke width must be more than 0 and at most 1000, but is {}", st.width),
                        None,
                    );
                }
            }
            if c.width.is_none() || c.height.is_none() {
                rep.error(
                    lp,
                    "a rect layer needs `width` and `height`",
                    Some("use pixels or percentages, e.g. `width: 100%`".into()),
                );
            }
            if let Some(f) = &r.fill {
                check_paint(rep, &spans::join_key(lp, "fill"), f);
            }
            if let Some(s) = &r.stroke {
                check_color(rep, &spans::join_key(&spans::join_key(lp, "stroke"), "color"), &s.color);
            }
        }
        LayerKind::Text(t) => {
            font_ok(rep, &spans::join_key(lp, "font"), &t.font);
            check_color(rep, &spans::join_key(lp, "color"), &t.color);
            let tp = spans::join_key(lp, "text");
            match markup::check_template(&t.text) {
                Err(e) => rep.error(
                    &tp,
                    e.to_string(),
                    Some("`{{ }}` values never form tags; only a tag's argument may be one, e.g. `[color={{ c }}]`".into()),
                ),
                Ok(m) => {
                    for (_, style) in &m.runs {
                        if style.bold && !sb.fonts.contains_key("bold") {
                            rep.error(
                                &tp,
                                "`[b]` draws with the font named `bold`, and `fonts:` has none",
                                Some("add e.g. `bold: fonts/Inter-Bold.otf` under `fonts:`".into()),
                            );
                            break;
                        }
                    }
                    for (_, style) in &m.runs {
                        font_ok(rep, &tp, &style.font.clone().filter(|f| !f.contains(markup::BOUND)));
                        if let Some(c) = style.color.as_ref().filter(|c| !c.contains(markup::BOUND)) {
                            check_color(rep, &tp, c);
                        }
                    }
                }
            }
            positive(rep, "size", t.size, MAX_TEXT_SIZE);
            positive(rep, "line_height", t.line_height, 10.0);
            if let Some(o) = &t.outline {
                check_color(rep, &spans::join_key(&spans::join_key(lp, "outline"), "color"), &o.color);
                if !(o.width > 0.0 && o.width <= 50.0) {
                    rep.error(
                        &spans::join_key(&spans::join_key(lp, "outline"), "width"),
                        format!("an outline must be more than 0 and at most 50 px wide, but is {}", o.width),
                        None,
                    );
                }
            }
            if let Some(sh) = &t.shadow {
                check_color(rep, &spans::join_key(&spans::join_key(lp, "shadow"), "color"), &sh.color);
                if !(sh.dx.abs() <= 200.0 && sh.dy.abs() <= 200.0) {
                    rep.error(
                        &spans::join_key(lp, "shadow"),
                        "a shadow's dx and dy must be within 200 px",
                        None,
                    );
                }
            }
            if let Some(m) = t.min_size {
                positive(rep, "min_size", m, t.size.max(1.0));
            }
            if t.max_lines == Some(0) {
                rep.error(&spans::join_key(lp, "max_lines"), "max_lines must be at least 1", None);
            }
            if !t.letter_spacing.is_finite() || t.letter_spacing.abs() > 1000.0 {
                rep.error(
                    &spans::join_key(lp, "letter_spacing"),
                    format!("letter_spacing must be a number of pixels, but is {}", t.letter_spacing),
                    None,
                );
            }
            if t.fit == TextFit::Shrink && c.width.is_none() && t.max_lines.is_none() {
                rep.error(
                    lp,
                    "`fit: shrink` needs a box to fit: give `width` (and `height` or `max_lines`)",
                    None,
                );
            }
            if let Some(cu) = &t.count_up {
                if !cu.from.is_finite() || cu.duration.secs() > MAX_SCENE_SECS {
                    rep.error(
                        &spans::join_key(lp, "count_up"),
                        "count_up needs a finite `from` and a duration within the scene",
                        None,
                    );
                }
            }
        }
        LayerKind::Image(img) => {
            if !(img.radius >= 0.0 && img.radius.is_finite()) {
                rep.error(
                    &spans::join_key(lp, "radius"),
                    format!("radius must be 0 or more, but is {}", img.radius),
                    None,
                );
            }
            if c.width.is_none() || c.height.is_none() {
                rep.error(lp, "an image layer needs `width` and `height`", None);
            }
            if !img.src.contains("{{") {
                if let Err(e) = assets.resolve(&img.src) {
                    rep.error(
                        &spans::join_key(lp, "src"),
                        e.to_string(),
                        Some(format!("images live under {}", assets.root().display())),
                    );
                }
            }
        }
        LayerKind::Progress(p) => {
            if c.width.is_none() || c.height.is_none() {
                rep.error(lp, "a progress layer needs `width` and `height`", None);
            }
            check_color(rep, &spans::join_key(lp, "color"), &p.color);
            check_color(rep, &spans::join_key(lp, "track"), &p.track);
            check_color(rep, &spans::join_key(lp, "marker_color"), &p.marker_color);
        }
        LayerKind::Qr(q) => {
            if c.width.is_none() {
                rep.error(lp, "a qr layer needs `width` (its side, quiet zone included)", None);
            }
            if c.height.is_some() {
                rep.error(&spans::join_key(lp, "height"), "a QR code is square: give only `width`", None);
            }
            check_color(rep, &spans::join_key(lp, "color"), &q.color);
            check_color(rep, &spans::join_key(lp, "background"), &q.background);
            if q.quiet_zone > 16 {
                rep.error(
                    &spans::join_key(lp, "quiet_zone"),
                    format!(
                        "quiet_zone is in modules; {} is far more than the 4 scanners need",
                        q.quiet_zone
                    ),
                    None,
                );
            }
            if q.data.trim().is_empty() {
                rep.error(
                    &spans::join_key(lp, "data"),
                    "a QR code needs `data`, e.g. \"{{ links.pay }}\"",
                    None,
                );
            }
        }
        LayerKind::BarChart(ch) | LayerKind::LineChart(ch) => {
            let kind = if matches!(layer.kind, LayerKind::BarChart(_)) { "bar_chart" } else { "line_chart" };
            if c.width.is_none() || c.height.is_none() {
                rep.error(lp, format!("a {kind} layer needs `width` and `height`"), None);
            }
            if ch.series.is_empty() {
                rep.error(&spans::join_key(lp, "series"), "a chart needs at least one series", None);
            }
            font_ok(rep, &spans::join_key(lp, "font"), &ch.font);
            positive(rep, "label_size", ch.label_size, MAX_TEXT_SIZE);
            positive(rep, "line_width", ch.line_width, 100.0);
            check_color(rep, &spans::join_key(lp, "label_color"), &ch.label_color);
            check_color(rep, &spans::join_key(lp, "grid_color"), &ch.grid_color);
            for (i, s) in ch.series.iter().enumerate() {
                if let Some(color) = &s.color {
                    check_color(
                        rep,
                        &spans::join_key(&spans::join_index(&spans::join_key(lp, "series"), i), "color"),
                        color,
                    );
                }
            }
            if !(0.0..0.95).contains(&ch.gap) {
                rep.error(
                    &spans::join_key(lp, "gap"),
                    format!("gap must be between 0 and 0.95, but is {}", ch.gap),
                    None,
                );
            }
            if !(2..=12).contains(&ch.ticks) {
                rep.error(
                    &spans::join_key(lp, "ticks"),
                    format!("ticks must be between 2 and 12, but is {}", ch.ticks),
                    None,
                );
            }
            if kind == "bar_chart" {
                for key in ["highlight", "area"] {
                    let set = if key == "area" { ch.area } else { ch.highlight.is_some() };
                    if set {
                        rep.error(
                            &spans::join_key(lp, key),
                            format!("`{key}` is for line charts"),
                            Some("use `type: line_chart`, or remove the key".into()),
                        );
                    }
                }
            }
        }
        LayerKind::Donut(d) => {
            if c.width.is_none() || c.height.is_none() {
                rep.error(lp, "a donut_chart layer needs `width` and `height`", None);
            }
            font_ok(rep, &spans::join_key(lp, "font"), &d.font);
            positive(rep, "label_size", d.label_size, MAX_TEXT_SIZE);
            positive(rep, "center_size", d.center_size, MAX_TEXT_SIZE);
            check_color(rep, &spans::join_key(lp, "label_color"), &d.label_color);
            if d.colors.as_ref().is_some_and(Vec::is_empty) {
                rep.error(
                    &spans::join_key(lp, "colors"),
                    "`colors` is empty; list at least one colour or leave it out to use the theme's palette",
                    None,
                );
            }
            for (i, color) in d.colors.iter().flatten().enumerate() {
                check_color(rep, &spans::join_index(&spans::join_key(lp, "colors"), i), color);
            }
            if !(0.0..0.95).contains(&d.hole) {
                rep.error(
                    &spans::join_key(lp, "hole"),
                    format!("hole must be between 0 (a pie) and 0.95, but is {}", d.hole),
                    None,
                );
            }
        }
        LayerKind::Comparison(k) => {
            font_ok(rep, &spans::join_key(lp, "font"), &k.font);
            font_ok(rep, &spans::join_key(lp, "number_font"), &k.number_font);
            positive(rep, "size", k.size, MAX_TEXT_SIZE);
            positive(rep, "label_size", k.label_size, MAX_TEXT_SIZE);
            for (key, v) in [
                ("color", &k.color),
                ("label_color", &k.label_color),
                ("good_color", &k.good_color),
                ("bad_color", &k.bad_color),
            ] {
                check_color(rep, &spans::join_key(lp, key), v);
            }
        }
    }
}

fn check_color(rep: &mut Reporter, path: &str, text: &str) {
    if !text.contains("{{") {
        if let Err(e) = units::parse_color(text) {
            rep.error(path, e.to_string(), None);
        }
    }
}

fn check_paint(rep: &mut Reporter, path: &str, paint: &PaintSpec) {
    match paint {
        PaintSpec::Color(c) => check_color(rep, path, c),
        PaintSpec::Linear(l) => {
            if l.stops.len() < 2 {
                rep.error(
                    &spans::join_key(&spans::join_key(path, "linear"), "stops"),
                    "a gradient needs at least two colours",
                    None,
                );
            }
            for (i, s) in l.stops.iter().enumerate() {
                check_color(
                    rep,
                    &spans::join_index(&spans::join_key(&spans::join_key(path, "linear"), "stops"), i),
                    s,
                );
            }
        }
    }
}
