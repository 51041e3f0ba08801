//! The storyboard's schema: the typed form of the YAML a communications team writes.
//!
//! Everything but the layers' own keys, which each layer kind reads in its module (`layers`).
//! Strings that are evaluated per record are [`Bindable`] or [`Expr`] values.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_yaml::Value;

use super::bindable::{Bindable, Expr};
use super::diagnostics::describe;
use std::path::PathBuf;

use super::spans::SpanMap;
use crate::style::{Duration, Rgba, Side};

mod page;
mod sound;
pub use page::*;
pub use sound::*;

/// Longest scene: a bill video is seconds long; hours would be a typo that ties up a worker.
pub const MAX_SCENE_SECS: f64 = 600.0;
/// Largest text size in pixels.
pub const MAX_TEXT_SIZE: f32 = 2000.0;

/// What happens to text that no font can draw (see [`Storyboard::missing_glyphs`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MissingGlyphs {
    #[default]
    Fail,
    Replace,
}

/// `fallback_fonts`: one list tried behind every font (`[arabic, cjk]`), or a list per font
/// (`{ bold: [arabic-bold, cjk-bold], "*": [arabic, cjk] }`), so that bold text falls back to
/// bold faces; `"*"` is the list of the fonts not named.
#[derive(Debug, Clone)]
pub enum FallbackFonts {
    Every(Vec<String>),
    PerFont(IndexMap<String, Vec<String>>),
}

/// A list or a map, said so when it is neither (serde's untagged enums say only "did not
/// match any variant").
impl<'de> Deserialize<'de> for FallbackFonts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FallbackFonts, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = FallbackFonts;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of font names (`[arabic, cjk]`), or a map from a font name to such a list (`{ bold: [arabic-bold] }`)")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<FallbackFonts, A::Error> {
                Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(FallbackFonts::Every)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<FallbackFonts, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(FallbackFonts::PerFont)
            }
        }
        d.deserialize_any(Shape)
    }
}

impl Default for FallbackFonts {
    fn default() -> FallbackFonts {
        FallbackFonts::Every(Vec::new())
    }
}

impl FallbackFonts {
    /// The key under which `fallback_fonts` names the fonts not named in it.
    pub const OTHERS: &'static str = "*";

    /// The fallback list of the font `name`.
    pub fn of(&self, name: &str) -> &[String] {
        match self {
            FallbackFonts::Every(list) => list,
            FallbackFonts::PerFont(map) => {
                map.get(name).or_else(|| map.get(Self::OTHERS)).map_or(&[], Vec::as_slice)
            }
        }
    }

    /// Every list with its path in the storyboard (`fallback_fonts`, `fallback_fonts.bold`)
    /// and the key that names its font (None: every font, or `"*"`).
    pub fn lists(&self) -> Vec<(String, Option<&str>, &[String])> {
        match self {
            FallbackFonts::Every(list) => vec![("fallback_fonts".to_string(), None, list.as_slice())],
            FallbackFonts::PerFont(map) => map
                .iter()
                .map(|(k, v)| {
                    let font = (k != Self::OTHERS).then_some(k.as_str());
                    (crate::storyboard::spans::join_key("fallback_fonts", k), font, v.as_slice())
                })
                .collect(),
        }
    }
}

/// `include:` as written: one path or a list of paths (for the schema only).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum IncludeList {
    One(String),
    Many(Vec<String>),
}

/// The whole storyboard.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storyboard {
    /// Shared parts merged under this storyboard (fonts, palette, a pay scene): one path or a
    /// list, each relative to this file; this file's keys win. Read by `storyboard::include`
    /// before the rest, so the typed storyboard never holds it.
    #[serde(skip_deserializing)]
    #[schemars(!skip_deserializing, with = "Option<IncludeList>")]
    pub include: (),
    /// Format version; only 1 exists.
    #[serde(default = "one")]
    pub version: u32,
    /// The canvas (size, frame rate, background) and the encoder's settings.
    pub video: Video,
    /// Folder holding fonts, images and audio, relative to the storyboard file.
    #[serde(default)]
    pub assets: Option<String>,
    /// Named fonts: `body: fonts/Inter-Regular.otf`. The first one is the default.
    #[serde(default)]
    pub fonts: IndexMap<String, String>,
    /// Fonts (names from `fonts:`) tried in order for characters a layer's font does not have,
    /// e.g. a CJK font behind a Latin one: one list for every font, or a list per font.
    #[serde(default)]
    pub fallback_fonts: FallbackFonts,
    /// What a record whose text no font can draw (or that holds control characters) does:
    /// `fail` (the default: the record fails with `missing_glyph`, in `batch` as in `check`), or
    /// `replace` (each such character draws as the font's missing-glyph box, and the record
    /// renders).
    #[serde(default)]
    pub missing_glyphs: MissingGlyphs,
    /// BCP 47 locale for number, currency and date formatting, unless the record has `locale`.
    #[serde(default)]
    pub locale: Option<String>,
    /// The locale a record whose `locale` ICU4X has no data for (`jp-JP`) is formatted in,
    /// with a warning; without it such a record fails.
    #[serde(default)]
    pub fallback_locale: Option<String>,
    /// ISO 4217 code used by `| currency` when none is given.
    #[serde(default)]
    pub currency: Option<String>,
    /// Folder of translations read by `t("id", name=value)`, relative to the storyboard file
    /// and inside its folder: one folder per locale named by its BCP 47 tag, holding that
    /// locale's Project Fluent files (`translations/en/bill.ftl`, `translations/pt-BR/bill.ftl`).
    #[serde(default)]
    pub translations: Option<String>,
    /// Derived values, evaluated once per record in order: `delta: bill.total - bill.previous_total`.
    #[serde(default)]
    pub vars: IndexMap<String, Expr>,
    /// The still image for emails: `poster: { at: 6s }`; default: the last frame of the first scene.
    /// `poster: false` (or `{ enabled: false }`): no poster is written.
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
    /// The loudness the whole sound track (music and clips) is brought to.
    #[serde(default)]
    pub sound: SoundSpec,
    /// The scenes, played in order (those whose `when` is false for a record are left out).
    #[serde(skip_deserializing)]
    #[schemars(!skip_deserializing)]
    pub scenes: Vec<Scene>,
    #[serde(skip)]
    pub source: Source,
    /// The format this storyboard was read in (see `storyboard::formats`): its name, its size
    /// (the same as `video`'s) and its safe area. A storyboard that declares no `formats:` has
    /// one, `default`, of the video's size.
    #[serde(skip)]
    pub format: super::formats::Format,
    /// Every format the storyboard declares, the default first (just [`Self::format`] when it
    /// declares none).
    #[serde(skip)]
    pub formats: Vec<super::formats::Format>,
}

/// `poster:` as written: `false` / `true`, or its keys.
#[derive(Debug, Clone)]
pub struct PosterSpec {
    /// Whether a poster is written at all (`poster: false`, `poster: { enabled: false }`: no
    /// `.jpg`, no poster in the manifest, no `poster` attribute on the page).
    pub enabled: bool,
    /// Time of the poster frame from the start of the video (clamped to its end); None: the
    /// last frame of the first scene.
    pub at: Option<Duration>,
    /// Draw a play button over the poster, so it reads as a video in an email: `true` (placed
    /// where it covers no text), or `{ at: auto | center | top-left | … }`.
    pub play_button: PlayButtonSpec,
}

/// The keys of `poster:` written as a mapping.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PosterKeys {
    /// `false`: no poster (the other keys are then ignored).
    #[serde(default = "yes")]
    enabled: bool,
    /// Time of the poster frame from the start of the video (clamped to its end); default: the
    /// last frame of the first scene.
    #[serde(default)]
    at: Option<Duration>,
    /// The play button (see [`PlayButtonSpec`]).
    #[serde(default)]
    play_button: PlayButtonSpec,
}

impl<'de> Deserialize<'de> for PosterSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as a YAML value first, so a mistake inside the mapping (`att: 6s`) keeps serde's
        // own message (unknown field, did-you-mean) instead of an untagged enum's "no variant".
        let value = serde_yaml::Value::deserialize(d)?;
        if let serde_yaml::Value::Bool(enabled) = value {
            return Ok(PosterSpec { enabled, at: None, play_button: PlayButtonSpec::None });
        }
        if !value.is_mapping() {
            return Err(serde::de::Error::custom(
                "expected `false`, `true` or `{ at: 6s, play_button: true }` (`{ enabled: false }`: no poster)",
            ));
        }
        let k = PosterKeys::deserialize(value).map_err(serde::de::Error::custom)?;
        Ok(PosterSpec { enabled: k.enabled, at: k.at, play_button: k.play_button })
    }
}

/// `false`, `true` or the keys, as [`PosterSpec`]'s reader takes them.
impl JsonSchema for PosterSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Poster".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let keys = generator.subschema_for::<PosterKeys>();
        schemars::json_schema!({
            "description": "The still frame saved as each video's poster JPEG, for emails: `false` (none), `true`, or `{ at: 6s, play_button: true }`.",
            "anyOf": [{ "type": "boolean" }, keys],
        })
    }
}

impl Storyboard {
    /// Whether each video gets a poster (`poster: false` turns it off).
    pub fn poster_enabled(&self) -> bool {
        self.poster.as_ref().is_none_or(|p| p.enabled)
    }
}

/// The poster's play button: none, or where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum PlayButtonSpec {
    #[default]
    None,
    /// `auto`: the spot nearest the centre that covers no text at the poster's frame.
    Auto,
    /// A fixed spot: the centre, a corner or the middle of a side, inset from the edges.
    At(crate::style::Anchor),
}

impl<'de> Deserialize<'de> for PlayButtonSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            On(bool),
            Placed(Placed),
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Placed {
            at: String,
        }
        const EXPECTED: &str = "`true`, `false` or `{ at: auto }` (or center, top-left, top, top-right, \
                                left, right, bottom-left, bottom, bottom-right)";
        let raw =
            Raw::deserialize(d).map_err(|_| serde::de::Error::custom(format!("expected {EXPECTED}")))?;
        Ok(match raw {
            Raw::On(false) => PlayButtonSpec::None,
            Raw::On(true) => PlayButtonSpec::Auto,
            Raw::Placed(Placed { at }) if at == "auto" => PlayButtonSpec::Auto,
            Raw::Placed(Placed { at }) => {
                let anchor = crate::style::Anchor::deserialize(
                    serde::de::value::StrDeserializer::<D::Error>::new(&at),
                )
                .map_err(|_| {
                    serde::de::Error::custom(format!("unknown play button place `{at}`: expected {EXPECTED}"))
                })?;
                PlayButtonSpec::At(anchor)
            }
        })
    }
}

pub(crate) fn one_second() -> Duration {
    Duration(1.0)
}

pub(crate) fn one_f32() -> f32 {
    1.0
}

pub(crate) fn yes() -> bool {
    true
}

/// The animated preview for emails.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewSpec {
    /// Start of the excerpt in the video.
    #[serde(default)]
    pub from: Duration,
    /// Length of the excerpt.
    #[serde(default = "three_seconds")]
    pub duration: Duration,
    /// Width in pixels (the height follows the video's shape).
    #[serde(default = "preview_width")]
    pub width: u32,
    /// Frames per second of the GIF.
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

/// `video:`: the canvas and how it is encoded.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// Canvas width in pixels: an even number (4:2:0 video), at most 4096.
    pub width: u32,
    /// Canvas height in pixels: an even number (4:2:0 video), at most 4096.
    pub height: u32,
    /// Frames per second, 1–120.
    pub fps: u32,
    /// Fill under every scene: a colour or `{ linear: { angle, stops } }`.
    #[serde(default)]
    pub background: Option<PaintSpec>,
    /// x264 settings (the command line's `--preset`, `--crf`, `--tune`, `--x264-params` win).
    #[serde(default)]
    pub encoder: EncoderSpec,
}

/// x264 settings a storyboard may choose; the command line overrides them.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EncoderSpec {
    /// x264 preset, e.g. `veryfast` (the default).
    pub preset: Option<String>,
    /// Constant rate factor, 0–51: lower is better and bigger (default 23).
    pub crf: Option<u8>,
    /// x264's `--tune`, e.g. `animation`.
    #[serde(default)]
    pub tune: Option<String>,
    /// Extra x264 options: `me=dia:subme=1`.
    #[serde(default)]
    pub x264_params: Option<String>,
}

/// A fill: a colour string (`"#0b1f3a"`, may hold `{{ }}`) or a linear gradient; for the
/// video's and a scene's `background`, also an image.
#[derive(Debug, Clone)]
pub enum PaintSpec {
    Color(Bindable<Rgba>),
    Linear(LinearSpec),
    Image(ImagePaint),
}

/// `background: { image: photos/hall.jpg, fit: cover }`: a picture from the assets folder
/// filling the canvas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePaint {
    /// Path under the assets folder (may hold bindings).
    pub image: Bindable<String>,
    /// `cover` (default: fills the canvas, cut to its shape), `contain` (all of it, centred:
    /// around it a scene shows the video's background, the video black) or `fill` (stretched).
    #[serde(default = "cover")]
    pub fit: crate::assets::Fit,
}

fn cover() -> crate::assets::Fit {
    crate::assets::Fit::Cover
}

/// A linear gradient: `{ angle: 90, stops: ["#0b1f3a", "#1a73e8"] }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinearSpec {
    /// Direction in degrees, CSS style: 0 = upwards, 90 = to the right, 180 = downwards.
    #[serde(default = "deg180")]
    pub angle: f32,
    /// Colours spread evenly from start to end.
    pub stops: Vec<Bindable<Rgba>>,
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
            Value::String(s) => Ok(PaintSpec::Color(Bindable::new(s))),
            v @ Value::Mapping(_) if v.get("image").is_some() => serde_yaml::from_value::<ImagePaint>(v)
                .map(PaintSpec::Image)
                .map_err(serde::de::Error::custom),
            v @ Value::Mapping(_) => serde_yaml::from_value::<Wrapper>(v)
                .map(|w| PaintSpec::Linear(w.linear))
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a colour string like \"#0b1f3a\", {{ linear: {{ angle: 90, stops: [...] }} }} or (a background) {{ image: photos/hall.jpg, fit: cover }}, but got {}",
                describe(&other)
            ))),
        }
    }
}

/// One scene: a stretch of the video with its own layers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Unique name of the scene (used by `cta.scene`, messages and captions).
    pub id: String,
    /// How long the scene plays, e.g. `4s`.
    pub duration: Duration,
    /// Expression; the scene plays only when it is true for the record.
    #[serde(default)]
    pub when: Option<Expr>,
    /// How the scene comes in over the previous one, which it overlaps by the transition's duration.
    #[serde(default)]
    pub transition: Transition,
    /// Fill drawn under this scene's layers (the video background shows otherwise).
    #[serde(default)]
    pub background: Option<PaintSpec>,
    /// What the scene says, for captions (WebVTT/SRT, or burnt in) and the landing page's
    /// transcript; may hold bindings.
    #[serde(default)]
    pub caption: Option<Bindable<String>>,
    /// Sound clips (a voice-over) played from the scene's start (after their `delay`).
    #[serde(default)]
    pub audio: Vec<ClipSpec>,
    /// `rtl`: mirror the scene's layout for records whose locale is written right to left
    /// (each layer's `mirror` wins over it).
    #[serde(default)]
    pub mirror: Option<crate::style::Mirror>,
    /// The layers, drawn in order (later ones on top).
    #[serde(skip_deserializing)]
    #[schemars(!skip_deserializing, with = "Option<Vec<LayerSource>>")]
    pub layers: Vec<LayerSource>,
    /// Alternative layer sets: the first whose `when` is true (or that has none) is drawn
    /// after `layers`; e.g. a tip per customer segment, a message per dunning level.
    #[serde(skip_deserializing)]
    #[schemars(!skip_deserializing, with = "Option<Vec<Variant>>")]
    pub variants: Vec<Variant>,
    /// Where the scene is in the document (`scenes[2]`), for messages.
    #[serde(skip)]
    pub path: String,
}

/// One alternative of a scene's `variants`.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Variant {
    /// Expression; the variant is drawn when it is true (none: always, as the last resort).
    pub when: Option<Expr>,
    /// The variant's layers, drawn after the scene's own.
    #[schemars(with = "Option<Vec<LayerSource>>")]
    pub layers: Vec<LayerSource>,
    #[schemars(skip)]
    pub path: String,
}

/// One layer as written: its keys, read by the layer kind's own module
/// (`layers`), which knows what they mean.
#[derive(Debug, Clone)]
pub struct LayerSource {
    /// Every key, `type` included.
    pub keys: serde_yaml::Mapping,
    /// Where the layer is in the document (`scenes[2].layers[0]`), for messages.
    pub path: String,
}

impl Scene {
    /// Every layer of the scene, its variants' included (for checks that cover them all).
    pub fn all_layers(&self) -> impl Iterator<Item = &LayerSource> {
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

/// `theme:`: the colours charts take when a layer names none.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Colours given to chart series and slices in order, where a layer names none.
    #[serde(default = "default_palette")]
    #[schemars(with = "Vec<Bindable<Rgba>>", length(min = 1))]
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
