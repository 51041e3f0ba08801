//! Limits: how much one record, one asset and one storyboard may cost.
//!
//! A billing run is millions of records from a CRM nobody fully controls and assets many hands
//! touch. Every bound that keeps one bad input from stopping the run (or eating the machine)
//! lives here, with its default, so that the operator can read them in one place and change any
//! of them with `--limit NAME=VALUE` (repeatable). Each stage takes the [`Limits`] it needs from
//! its caller; nothing reads a global.
//!
//! Sizes take `B`, `KiB`, `MiB`, `GiB` (or no unit: bytes); durations take `ms` or `s`.

use std::fmt;
use std::time::Duration;

/// Every bound, with its default (see [`Limits::default`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest single value of a record, in bytes, refused while reading (never held whole).
    pub field_bytes: u64,
    /// Largest record (one JSON line or one CSV row), in bytes.
    pub record_bytes: u64,
    /// Most items in one list of a record.
    pub list_items: usize,
    /// Most characters one text layer may draw once bound.
    pub text_chars: usize,
    /// Most bytes one template or expression may produce.
    pub template_output_bytes: usize,
    /// minijinja fuel for one template or expression evaluation (every instruction costs one).
    pub fuel: u64,
    /// Largest storyboard file, in bytes (with the parts it includes).
    pub storyboard_bytes: u64,
    /// Deepest nesting of the storyboard's YAML (mappings and sequences).
    pub yaml_depth: usize,
    /// Longest video, in seconds.
    pub video_seconds: f64,
    /// Most frames in one video.
    pub video_frames: u64,
    /// Most pixels in one decoded image (PNG, JPEG, GIF, or an SVG's canvas).
    pub image_pixels: u64,
    /// Most image pixels drawn into one frame, summed over its image layers.
    pub frame_image_pixels: u64,
    /// Largest image, SVG, font or sound file in the assets folder, in bytes.
    pub asset_bytes: u64,
    /// Largest SVG file, in bytes (parsing one costs about 20 bytes of memory per byte).
    pub svg_bytes: u64,
    /// Deepest element nesting of an SVG file.
    pub svg_depth: usize,
    /// Most elements in an SVG file.
    pub svg_nodes: usize,
    /// Wall time one record may take (bind, draw, encode, write) before it fails alone.
    pub record_timeout: Duration,
    /// Deepest chain of storyboard parts including parts (`include:`).
    pub include_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            field_bytes: 64 * KIB,
            record_bytes: MIB,
            list_items: 1_000,
            text_chars: 2_000,
            template_output_bytes: 64 * KIB as usize,
            fuel: 50_000,
            storyboard_bytes: 2 * MIB,
            yaml_depth: 64,
            video_seconds: 600.0,
            video_frames: 36_000,
            image_pixels: 4096 * 4096,
            frame_image_pixels: 3 * 4096 * 4096,
            asset_bytes: 64 * MIB,
            svg_bytes: 4 * MIB,
            svg_depth: 256,
            svg_nodes: 50_000,
            record_timeout: Duration::from_secs(120),
            include_depth: 8,
        }
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// What kind of value a limit takes, for parsing and printing.
#[derive(Clone, Copy)]
enum Unit {
    Bytes,
    Count,
    Seconds,
}

/// Each limit's name on the command line, its unit and what it bounds.
const NAMES: &[(&str, Unit, &str)] = &[
    ("field-bytes", Unit::Bytes, "largest single value of a record"),
    ("record-bytes", Unit::Bytes, "largest record (one JSON line or CSV row)"),
    ("list-items", Unit::Count, "most items in one list of a record"),
    ("text-chars", Unit::Count, "most characters one text layer draws"),
    ("template-output-bytes", Unit::Bytes, "most bytes one template or expression produces"),
    ("fuel", Unit::Count, "template instructions per evaluation"),
    ("storyboard-bytes", Unit::Bytes, "largest storyboard file, its parts included"),
    ("yaml-depth", Unit::Count, "deepest nesting of the storyboard's YAML"),
    ("video-seconds", Unit::Seconds, "longest video"),
    ("video-frames", Unit::Count, "most frames in one video"),
    ("image-pixels", Unit::Count, "most pixels in one decoded image"),
    ("frame-image-pixels", Unit::Count, "most image pixels drawn into one frame"),
    ("asset-bytes", Unit::Bytes, "largest asset file"),
    ("svg-bytes", Unit::Bytes, "largest SVG file"),
    ("svg-depth", Unit::Count, "deepest element nesting of an SVG"),
    ("svg-nodes", Unit::Count, "most elements in an SVG"),
    ("record-timeout", Unit::Seconds, "wall time one record may take"),
    ("include-depth", Unit::Count, "deepest chain of storyboard parts including parts"),
];

impl Limits {
    /// Sets one limit from `NAME=VALUE` (as `--limit` takes it).
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            format!("`--limit {assignment}`: write NAME=VALUE, for example `--limit field-bytes=128KiB`")
        })?;
        let (name, value) = (name.trim(), value.trim());
        let Some(&(_, unit, _)) = NAMES.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<&str> = NAMES.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "`--limit {name}`: there is no such limit; the limits are {}",
                known.join(", ")
            ));
        };
        let bad = |why: &str| format!("`--limit {name}={value}`: {why}");
        let n = match unit {
            Unit::Bytes => {
                parse_bytes(value).ok_or_else(|| bad("expected a size like 65536, 64KiB or 2MiB"))? as f64
            }
            Unit::Count => value.parse::<u64>().map_err(|_| bad("expected a whole number"))? as f64,
            Unit::Seconds => {
                parse_seconds(value).ok_or_else(|| bad("expected a duration like 30s or 500ms"))?
            }
        };
        if n <= 0.0 {
            return Err(bad("a limit must be more than zero"));
        }
        let whole = n as u64;
        match name {
            "field-bytes" => self.field_bytes = whole,
            "record-bytes" => self.record_bytes = whole,
            "list-items" => self.list_items = whole as usize,
            "text-chars" => self.text_chars = whole as usize,
            "template-output-bytes" => self.template_output_bytes = whole as usize,
            "fuel" => self.fuel = whole,
            "storyboard-bytes" => self.storyboard_bytes = whole,
            "yaml-depth" => self.yaml_depth = whole as usize,
            "video-seconds" => self.video_seconds = n,
            "video-frames" => self.video_frames = whole,
            "image-pixels" => self.image_pixels = whole,
            "frame-image-pixels" => self.frame_image_pixels = whole,
            "asset-bytes" => self.asset_bytes = whole,
            "svg-bytes" => self.svg_bytes = whole,
            "svg-depth" => self.svg_depth = whole as usize,
            "svg-nodes" => self.svg_nodes = whole as usize,
            "record-timeout" => self.record_timeout = Duration::from_secs_f64(n),
            "include-depth" => self.include_depth = whole as usize,
            _ => unreachable!("every name of NAMES is matched above"),
        }
        Ok(())
    }

    /// Limits with each `NAME=VALUE` of `assignments` applied over the defaults.
    pub fn from_assignments<'a>(assignments: impl IntoIterator<Item = &'a str>) -> Result<Limits, String> {
        let mut limits = Limits::default();
        for a in assignments {
            limits.set(a)?;
        }
        Ok(limits)
    }

    fn value_of(&self, name: &str) -> String {
        match name {
            "field-bytes" => bytes(self.field_bytes),
            "record-bytes" => bytes(self.record_bytes),
            "list-items" => self.list_items.to_string(),
            "text-chars" => self.text_chars.to_string(),
            "template-output-bytes" => bytes(self.template_output_bytes as u64),
            "fuel" => self.fuel.to_string(),
            "storyboard-bytes" => bytes(self.storyboard_bytes),
            "yaml-depth" => self.yaml_depth.to_string(),
            "video-seconds" => format!("{}s", self.video_seconds),
            "video-frames" => self.video_frames.to_string(),
            "image-pixels" => self.image_pixels.to_string(),
            "frame-image-pixels" => self.frame_image_pixels.to_string(),
            "asset-bytes" => bytes(self.asset_bytes),
            "svg-bytes" => bytes(self.svg_bytes),
            "svg-depth" => self.svg_depth.to_string(),
            "svg-nodes" => self.svg_nodes.to_string(),
            "record-timeout" => format!("{}s", self.record_timeout.as_secs_f64()),
            "include-depth" => self.include_depth.to_string(),
            _ => unreachable!("every name of NAMES is matched above"),
        }
    }
}

/// The table of limits, their current values and what they bound (`billreel limits`).
impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (name, _, what) in NAMES {
            writeln!(f, "{name:<24}{:<12}{what}", self.value_of(name))?;
        }
        Ok(())
    }
}

/// `1.5MiB` style, exact when the size is a whole number of the unit.
pub fn bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{}MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{}KiB", n / KIB)
    } else {
        format!("{n}B")
    }
}

/// `1234567` -> `1,234,567`, for messages.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn parse_bytes(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => KIB,
        "MiB" | "M" | "MB" => MIB,
        "GiB" | "G" | "GB" => 1024 * MIB,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn parse_seconds(s: &str) -> Option<f64> {
    let (number, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(secs) = s.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (s, 1.0)
    };
    let n: f64 = number.trim().parse().ok()?;
    (n.is_finite() && n > 0.0).then_some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_is_settable_by_name_with_units() {
        let l = Limits::from_assignments(["field-bytes=128KiB", "record-timeout=500ms", "list-items=12"])
            .unwrap();
        assert_eq!(l.field_bytes, 128 * 1024);
        assert_eq!(l.record_timeout, Duration::from_millis(500));
        assert_eq!(l.list_items, 12);
        for (name, _, _) in NAMES {
            let mut l = Limits::default();
            let value = l.value_of(name);
            l.set(&format!("{name}={value}")).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(l, Limits::default(), "{name}={value} should round-trip");
        }
    }

    #[test]
    fn a_wrong_limit_says_what_to_write() {
        let e = Limits::default().set("feild-bytes=1").unwrap_err();
        assert!(e.contains("no such limit") && e.contains("field-bytes"), "{e}");
        let e = Limits::default().set("field-bytes=lots").unwrap_err();
        assert!(e.contains("64KiB"), "{e}");
        let e = Limits::default().set("fuel=0").unwrap_err();
        assert!(e.contains("more than zero"), "{e}");
        assert!(Limits::default().set("fuel").unwrap_err().contains("NAME=VALUE"));
    }
}
