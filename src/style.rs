//! Style: the shared vocabulary of storyboard, scene and raster. Durations (`4s`, `500ms`),
//! lengths (`120`, `120px`, `50%`), colours (`#0b1f3a`, `#fff`, `#00000080`, a few names),
//! easing curves, alignment, sides and anchors.
//!
//! The ground floor: it imports nothing of the crate, so every stage can use it.
//!
//! Units are explicit: a bare number where a duration is expected is an error, because
//! "4" could mean frames, seconds or milliseconds and the author must say which.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use thiserror::Error;

mod json_schema;
pub use json_schema::{colour_pattern, duration_pattern, easing_pattern, length_pattern};

/// Why a duration, length, colour or easing written in a storyboard could not be read. The
/// messages say what was expected and quote what was written.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StyleError {
    #[error("expected a duration with a unit, like `4s` or `500ms`, but got `{0}`")]
    DurationUnit(String),
    #[error("a duration must be zero or positive, but got `{0}`")]
    NegativeDuration(String),
    #[error("expected a duration like `4s` or `500ms`, but got `{text}`")]
    Duration {
        text: String,
        #[source]
        source: std::num::ParseFloatError,
    },
    #[error("a duration must be a finite number of seconds, but got `{0}`")]
    DurationRange(String),
    #[error("expected a length like `120`, `120px`, `50%`, `10vmin` (or `vw`, `vh`, `vmax`) or `90s%` (of the safe area), but got `{0}`")]
    Length(String),
    #[error("expected a colour like `#1a73e8`, `#fff` or `#1a73e880`, but got `{0}`")]
    Colour(String),
    #[error(
        "unknown easing `{0}`; use linear, ease-in, ease-out, ease-in-out or cubic-bezier(x1, y1, x2, y2)"
    )]
    UnknownEasing(String),
    #[error("`{0}` is not a valid cubic-bezier: it needs four numbers, the first and third between 0 and 1")]
    CubicBezier(String),
}

/// A time span in seconds, written with a unit in YAML.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Duration(pub f64);

impl Duration {
    pub fn secs(self) -> f64 {
        self.0
    }
}

/// Parses `4s`, `1.5s`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, StyleError> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        return Err(StyleError::DurationUnit(t.into()));
    };
    let num = num.trim();
    match num.parse::<f64>() {
        // `-0s` and `-1e-400s` read as zero, but the author wrote a negative duration.
        Ok(_) if num.starts_with('-') => Err(StyleError::NegativeDuration(t.into())),
        Ok(v) if v.is_finite() => Ok(Duration(v * scale)),
        Ok(_) => Err(StyleError::DurationRange(t.into())),
        Err(source) => Err(StyleError::Duration { text: t.into(), source }),
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, like `4s` or `500ms`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write `{v}s` or `{v}ms`, not the bare number {v}"
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                self.visit_u64(v.unsigned_abs())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write `{v}s` or `{}ms`, not the bare number {v}",
                    v * 1000.0
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A length: pixels, a percentage of the frame along its axis, a percentage of the frame's
/// width, height, smaller or larger side (`vw`, `vh`, `vmin`, `vmax`, so that one value keeps
/// its proportions in every format), or a percentage of the safe area along its axis (`s%`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    Px(f64),
    Percent(f64),
    Vw(f64),
    Vh(f64),
    Vmin(f64),
    Vmax(f64),
    /// Percent of the safe area along the axis; as a position, counted from its start edge.
    Safe(f64),
}

/// An axis of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
}

/// What lengths are measured against: the frame's size and its safe area (the part that
/// platforms do not cover with their own controls), in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// The safe area: x, y, width, height.
    pub safe: [f64; 4],
}

impl Frame {
    /// A frame whose safe area is all of it.
    pub fn full(width: f64, height: f64) -> Frame {
        Frame { width, height, safe: [0.0, 0.0, width, height] }
    }

    /// The frame's extent along `axis`.
    pub fn extent(&self, axis: Axis) -> f64 {
        match axis {
            Axis::X => self.width,
            Axis::Y => self.height,
        }
    }
}

impl Length {
    /// The length as a size along `axis` of `frame`, in pixels.
    pub fn size(self, axis: Axis, frame: &Frame) -> f64 {
        let pc = |p: f64, of: f64| p / 100.0 * of;
        match self {
            Length::Px(v) => v,
            Length::Percent(p) => pc(p, frame.extent(axis)),
            Length::Vw(p) => pc(p, frame.width),
            Length::Vh(p) => pc(p, frame.height),
            Length::Vmin(p) => pc(p, frame.width.min(frame.height)),
            Length::Vmax(p) => pc(p, frame.width.max(frame.height)),
            Length::Safe(p) => pc(p, if axis == Axis::X { frame.safe[2] } else { frame.safe[3] }),
        }
    }

    /// The length as a position along `axis` of `frame`, in pixels from its left or top edge:
    /// a safe-area percentage counts from the safe area's edge.
    pub fn position(self, axis: Axis, frame: &Frame) -> f64 {
        let start = match (self, axis) {
            (Length::Safe(_), Axis::X) => frame.safe[0],
            (Length::Safe(_), Axis::Y) => frame.safe[1],
            _ => 0.0,
        };
        start + self.size(axis, frame)
    }

    /// The number as written, whatever its unit.
    pub fn number(self) -> f64 {
        match self {
            Length::Px(v)
            | Length::Percent(v)
            | Length::Vw(v)
            | Length::Vh(v)
            | Length::Vmin(v)
            | Length::Vmax(v)
            | Length::Safe(v) => v,
        }
    }
}

/// A length unit as written, and the length it makes of its number.
type Unit = (&'static str, fn(f64) -> Length);

pub fn parse_length(text: &str) -> Result<Length, StyleError> {
    let t = text.trim();
    let bad = || StyleError::Length(t.into());
    // Rust's float parser accepts `nan` and `inf`; neither is a length.
    let num = |n: &str| n.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(bad);
    // Longest suffixes first: `s%` before `%`, `vmin` before a bare number.
    let units: [Unit; 7] = [
        ("s%", Length::Safe),
        ("%", Length::Percent),
        ("vmin", Length::Vmin),
        ("vmax", Length::Vmax),
        ("vw", Length::Vw),
        ("vh", Length::Vh),
        ("px", Length::Px),
    ];
    for (unit, make) in units {
        if let Some(n) = t.strip_suffix(unit) {
            return num(n).map(make);
        }
    }
    num(t).map(Length::Px)
}

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Length;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a length like `120`, `120px`, `50%`, `10vmin` (also `vw`, `vh`, `vmax`) or `90s%` (of the safe area)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Length, E> {
                parse_length(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Length, E> {
                Ok(Length::Px(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Length, E> {
                Ok(Length::Px(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Length, E> {
                if v.is_finite() {
                    Ok(Length::Px(v))
                } else {
                    Err(E::custom(format!("a length must be a finite number, but got {v}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A straight-alpha sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Rgba {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba {
        Rgba { r, g, b, a: 255 }
    }
}

/// Parses `#rgb`, `#rrggbb`, `#rrggbbaa` or one of a few names.
pub fn parse_color(text: &str) -> Result<Rgba, StyleError> {
    let t = text.trim();
    let named = match t.to_ascii_lowercase().as_str() {
        "white" => Some(Rgba::rgb(255, 255, 255)),
        "black" => Some(Rgba::rgb(0, 0, 0)),
        "transparent" => Some(Rgba { r: 0, g: 0, b: 0, a: 0 }),
        _ => None,
    };
    if let Some(c) = named {
        return Ok(c);
    }
    let bad = || StyleError::Colour(t.into());
    let hex = t.strip_prefix('#').ok_or_else(bad)?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    let nibble = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).map(|v| v * 17).map_err(|_| bad());
    match hex.len() {
        3 => Ok(Rgba::rgb(nibble(0)?, nibble(1)?, nibble(2)?)),
        6 => Ok(Rgba::rgb(byte(0)?, byte(2)?, byte(4)?)),
        8 => Ok(Rgba { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: byte(6)? }),
        _ => Err(bad()),
    }
}

/// An easing curve: how a value moves from one keyframe to the next.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Easing {
    #[default]
    Linear,
    EaseIn,
    EaseOut,
    EaseInOut,
    /// CSS `cubic-bezier(x1, y1, x2, y2)`.
    CubicBezier(f32, f32, f32, f32),
}

pub fn parse_easing(text: &str) -> Result<Easing, StyleError> {
    let t = text.trim();
    match t {
        "linear" => Ok(Easing::Linear),
        "ease-in" => Ok(Easing::EaseIn),
        "ease-out" => Ok(Easing::EaseOut),
        "ease-in-out" => Ok(Easing::EaseInOut),
        _ => {
            let inner = t
                .strip_prefix("cubic-bezier(")
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| StyleError::UnknownEasing(t.into()))?;
            // Every piece must be a finite number: `cubic-bezier(0.2, x, 0, 0.2, 1)` is a typo, not
            // four numbers and one to skip.
            let nums: Option<Vec<f32>> =
                inner.split(',').map(|s| s.trim().parse().ok().filter(|v: &f32| v.is_finite())).collect();
            match nums.as_deref() {
                Some(&[x1, y1, x2, y2]) if (0.0..=1.0).contains(&x1) && (0.0..=1.0).contains(&x2) => {
                    Ok(Easing::CubicBezier(x1, y1, x2, y2))
                }
                _ => Err(StyleError::CubicBezier(t.into())),
            }
        }
    }
}

impl<'de> Deserialize<'de> for Easing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_easing(&s).map_err(de::Error::custom)
    }
}

impl Easing {
    /// Maps progress `t` in 0..=1 to eased progress.
    pub fn apply(self, t: f32) -> f32 {
        let t = t.clamp(0.0, 1.0);
        match self {
            Easing::Linear => t,
            // The CSS definitions, so that authors get what they know from the web.
            Easing::EaseIn => cubic_bezier(0.42, 0.0, 1.0, 1.0, t),
            Easing::EaseOut => cubic_bezier(0.0, 0.0, 0.58, 1.0, t),
            Easing::EaseInOut => cubic_bezier(0.42, 0.0, 0.58, 1.0, t),
            Easing::CubicBezier(x1, y1, x2, y2) => cubic_bezier(x1, y1, x2, y2, t),
        }
    }
}

/// Solves the CSS cubic Bézier timing function for `x = t` and returns its y.
fn cubic_bezier(x1: f32, y1: f32, x2: f32, y2: f32, x: f32) -> f32 {
    let bez = |a: f32, b: f32, s: f32| {
        let inv = 1.0 - s;
        3.0 * inv * inv * s * a + 3.0 * inv * s * s * b + s * s * s
    };
    // x(s) is monotonic for x1, x2 in 0..=1, so bisection always converges.
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    let mut s = x;
    for _ in 0..40 {
        let xs = bez(x1, x2, s);
        if (xs - x).abs() < 1e-6 {
            break;
        }
        if xs < x {
            lo = s;
        } else {
            hi = s;
        }
        s = 0.5 * (lo + hi);
    }
    bez(y1, y2, s)
}

/// Horizontal alignment of text in its box. `start` and `end` follow the text's direction:
/// the left and right of a left-to-right paragraph, the right and left of a right-to-left one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
    Start,
    End,
}

impl Align {
    /// Left and right swapped (a layout mirrored for a right-to-left reader); `start` and
    /// `end` already follow the text's direction, and `center` stays.
    pub fn mirrored(self) -> Align {
        match self {
            Align::Left => Align::Right,
            Align::Right => Align::Left,
            other @ (Align::Center | Align::Start | Align::End) => other,
        }
    }

    /// Left, center or right for text whose paragraph reads right to left (`rtl`) or not.
    pub fn resolve(self, rtl: bool) -> Align {
        match (self, rtl) {
            (Align::Start, false) | (Align::End, true) => Align::Left,
            (Align::Start, true) | (Align::End, false) => Align::Right,
            (other, _) => other,
        }
    }
}

/// `mirror:` on a scene or a layer. `rtl`: for a record whose locale is written right to left
/// (ar, he, fa, ...), x positions, anchors and left/right alignment are flipped, as a
/// right-to-left reader expects the layout; other records see it as written. `none` (on a
/// layer): not mirrored, whatever its scene says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mirror {
    None,
    Rtl,
}

/// Which way a chart's categories (its time axis) run. `left_to_right` (the default): as
/// written, whatever the language. `reading`: in the reader's direction, so the first month is
/// on the right for a record whose locale is written right to left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeFlow {
    #[default]
    LeftToRight,
    Reading,
}

/// Vertical placement of text in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VAlign {
    #[default]
    Top,
    Middle,
    Bottom,
}

/// A side of the canvas: where a slide comes from, where a wipe starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
    Top,
    Bottom,
}

/// Which point of a layer's box sits at its (x, y); scaling happens around it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    #[default]
    TopLeft,
    Top,
    TopRight,
    Left,
    Center,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

impl Anchor {
    /// The anchor as fractions of the box: (0,0) top-left, (1,1) bottom-right.
    pub fn fractions(self) -> (f32, f32) {
        match self {
            Anchor::TopLeft => (0.0, 0.0),
            Anchor::Top => (0.5, 0.0),
            Anchor::TopRight => (1.0, 0.0),
            Anchor::Left => (0.0, 0.5),
            Anchor::Center => (0.5, 0.5),
            Anchor::Right => (1.0, 0.5),
            Anchor::BottomLeft => (0.0, 1.0),
            Anchor::Bottom => (0.5, 1.0),
            Anchor::BottomRight => (1.0, 1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("4s").unwrap().secs(), 4.0);
        assert_eq!(parse_duration("500ms").unwrap().secs(), 0.5);
        assert_eq!(parse_duration("1.5s").unwrap().secs(), 1.5);
        assert!(parse_duration("4").unwrap_err().to_string().contains("`4s` or `500ms`"));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn lengths_and_colours() {
        let frame = Frame { width: 1280.0, height: 720.0, safe: [0.0, 100.0, 1280.0, 500.0] };
        assert_eq!(parse_length("50%").unwrap().position(Axis::X, &frame), 640.0);
        assert_eq!(parse_length("10vmin").unwrap().size(Axis::X, &frame), 72.0);
        assert_eq!(parse_length("10vmax").unwrap().size(Axis::Y, &frame), 128.0);
        assert_eq!(parse_length("50vw").unwrap().size(Axis::Y, &frame), 640.0);
        assert_eq!(parse_length("25vh").unwrap().position(Axis::X, &frame), 180.0);
        assert_eq!(parse_length("100s%").unwrap().position(Axis::Y, &frame), 600.0);
        assert_eq!(parse_length("50s%").unwrap().size(Axis::Y, &frame), 250.0);
        assert!(parse_length("5vx").is_err() && parse_length("s%").is_err());
        assert_eq!(parse_length("12px").unwrap(), Length::Px(12.0));
        assert_eq!(parse_color("#fff").unwrap(), Rgba::rgb(255, 255, 255));
        assert_eq!(parse_color("#0b1f3a80").unwrap(), Rgba { r: 11, g: 31, b: 58, a: 128 });
        assert!(parse_color("blue-ish").unwrap_err().to_string().contains("expected a colour"));
        assert!(parse_length("nan").is_err() && parse_length("inf%").is_err());
    }

    #[test]
    fn easing_curves_hit_their_ends_and_bend_the_right_way() {
        for e in [Easing::Linear, Easing::EaseIn, Easing::EaseOut, Easing::EaseInOut] {
            assert!(e.apply(0.0).abs() < 1e-4);
            assert!((e.apply(1.0) - 1.0).abs() < 1e-4);
        }
        assert!(Easing::EaseIn.apply(0.5) < 0.5);
        assert!(Easing::EaseOut.apply(0.5) > 0.5);
        assert!((Easing::EaseInOut.apply(0.5) - 0.5).abs() < 1e-3);
        assert!(parse_easing("cubic-bezier(0.2, 0, 0.2, 1)").is_ok());
        assert!(parse_easing("bouncy").unwrap_err().to_string().contains("unknown easing"));
    }
}
