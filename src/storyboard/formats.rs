//! Formats: one storyboard, several screen shapes.
//!
//! In: the storyboard's YAML value (includes resolved, merge keys applied) and the name of the
//! format to read it in. Out: the same value as it reads in that format, with the span map
//! following, and the declared formats.
//!
//! The top-level `formats:` declares the shapes (`{ landscape: 1280x720, portrait: 720x1280 }`,
//! or `portrait: { size: 720x1280, safe_area: { top: 160, bottom: 220 } }`); the first is the
//! default. Anywhere below the top level, a `formats:` mapping inside a mapping holds per-format
//! overrides of that mapping's keys (`{ x: 10%, formats: { portrait: { x: 50% } } }`): for the
//! format being read they replace the keys they name, for the others they are dropped. The
//! change is made on the YAML value before the typed parse, so every key of every part (layers,
//! scenes, `poster`, `cta`, `page`, …) can be overridden without its type knowing; and the span
//! map is moved with it, so a wrong override is reported on its own line.

use serde_yaml::{Mapping, Value};

use super::diagnostics::{closest, describe, Diagnostic};
use super::spans::{self, SpanMap};
use std::path::Path;

/// The key that declares the formats (top level) and holds overrides (below it).
pub const KEY: &str = "formats";

/// The name of the one format of a storyboard that declares none (its `video` size).
pub const IMPLICIT: &str = "default";

/// One screen shape a storyboard renders in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Format {
    /// The name used in overrides, `--format`, `format.name` and output file names.
    pub name: String,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// The bands along the edges that platforms cover with their own controls (pixels).
    pub safe_area: Insets,
}

/// Distances in pixels from each edge of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insets {
    /// Pixels from the top edge.
    pub top: u32,
    /// Pixels from the right edge.
    pub right: u32,
    /// Pixels from the bottom edge.
    pub bottom: u32,
    /// Pixels from the left edge.
    pub left: u32,
}

impl Format {
    /// The frame less the safe area's insets: (x, y, width, height) in pixels.
    pub fn safe_rect(&self) -> (f64, f64, f64, f64) {
        let s = self.safe_area;
        let w = self.width.saturating_sub(s.left + s.right);
        let h = self.height.saturating_sub(s.top + s.bottom);
        (s.left as f64, s.top as f64, w as f64, h as f64)
    }

    /// What the storyboard's lengths are measured against in this format.
    pub fn frame(&self) -> crate::style::Frame {
        let (x, y, w, h) = self.safe_rect();
        crate::style::Frame { width: self.width as f64, height: self.height as f64, safe: [x, y, w, h] }
    }
}

/// What [`apply`] found: every declared format (empty when the storyboard declares none) and
/// the one the value now reads in.
pub struct Applied {
    pub declared: Vec<Format>,
    pub chosen: Option<Format>,
    pub problems: Vec<Diagnostic>,
}

/// Rewrites `root` (the whole storyboard) as it reads in the format `wanted` (None: the
/// default, the first declared), moving the spans of every override it applies onto the key it
/// replaces. A storyboard that declares no formats keeps its value as it is.
pub fn apply(root: &mut Value, spans: &mut SpanMap, file: &Path, wanted: Option<&str>) -> Applied {
    let mut w = Walk { spans, file, problems: Vec::new(), names: Vec::new(), chosen: None };
    let Value::Mapping(top) = root else {
        return Applied { declared: Vec::new(), chosen: None, problems: Vec::new() };
    };
    let declared = match top.remove(KEY) {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => w.declarations(v),
    };
    w.names = declared.iter().map(|f| f.name.clone()).collect();
    let chosen = match wanted {
        None => declared.first().cloned(),
        Some(name) => match declared.iter().find(|f| f.name == name) {
            Some(f) => Some(f.clone()),
            None if declared.is_empty() && name == IMPLICIT => None,
            None => {
                w.unknown_format(KEY, name, "--format");
                None
            }
        },
    };
    w.chosen = chosen.as_ref().map(|f| f.name.clone());
    // An unknown name was reported; the default's size spares a follow-on "no `video.width`".
    if let Some(f) = chosen.as_ref().or(declared.first()) {
        w.set_video_size(top, f);
    }
    for (k, v) in top.iter_mut() {
        // `x-` keys are the author's own (a home for anchors), read by no one.
        let Some(key) = k.as_str() else { continue };
        if !key.starts_with("x-") {
            w.value(key, v);
        }
    }
    Applied { declared, chosen, problems: w.problems }
}

struct Walk<'a> {
    spans: &'a mut SpanMap,
    file: &'a Path,
    problems: Vec<Diagnostic>,
    /// The declared format names, in order.
    names: Vec<String>,
    /// The format being read (None: none declared, or the one asked for is unknown).
    chosen: Option<String>,
}

impl Walk<'_> {
    fn error(&mut self, path: &str, key: bool, message: String, hint: Option<String>) {
        let pos = if key { self.spans.key(path) } else { self.spans.value(path) };
        self.problems.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos,
            path: path.to_string(),
            message,
            hint,
        });
    }

    fn unknown_format(&mut self, path: &str, name: &str, what: &str) {
        let list = self.names.join(", ");
        let (message, hint) = if self.names.is_empty() {
            (
                format!("{what} names the format `{name}`, but the storyboard declares no formats"),
                format!(
                    "declare them at the top level: `{KEY}: {{ landscape: 1280x720, portrait: 720x1280 }}`"
                ),
            )
        } else {
            let hint = match closest(name, self.names.iter().map(String::as_str)) {
                Some(g) => format!("did you mean `{g}`? the storyboard's formats are: {list}"),
                None => {
                    format!("the storyboard's formats are: {list}; declare more under the top-level `{KEY}:`")
                }
            };
            (format!("{what} names the format `{name}`, which the storyboard does not declare"), hint)
        };
        self.error(path, true, message, Some(hint));
    }

    /// The top-level declaration: a mapping from names to sizes.
    fn declarations(&mut self, v: Value) -> Vec<Format> {
        let Value::Mapping(map) = v else {
            let message = format!("`{KEY}` must be a mapping from names to sizes, but got {}", describe(&v));
            self.error(KEY, false, message, Some(DECLARE_HINT.into()));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let Some(name) = k.as_str().map(str::to_string) else {
                let message = format!("a format's name must be text, but got {}", describe(&k));
                self.error(KEY, false, message, Some(DECLARE_HINT.into()));
                continue;
            };
            let path = spans::join_key(KEY, &name);
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || name.is_empty() {
                let message = format!("the format name `{name}` may hold only letters, digits, `-` and `_`");
                let hint = "the name becomes part of file names (`…-portrait.mp4`)".to_string();
                self.error(&path, true, message, Some(hint));
                continue;
            }
            if let Some(f) = self.declaration(&path, name, v) {
                out.push(f);
            }
        }
        out
    }

    fn declaration(&mut self, path: &str, name: String, v: Value) -> Option<Format> {
        let (size, safe, size_path) = match v {
            Value::Mapping(mut m) => {
                let size = m.remove("size");
                let safe = m.remove("safe_area");
                if let Some((k, _)) = m.into_iter().next() {
                    let k = k.as_str().unwrap_or("?").to_string();
                    let message =
                        format!("unknown key `{k}` in a format; a format has `size` and `safe_area`");
                    self.error(&spans::join_key(path, &k), true, message, Some(DECLARE_HINT.into()));
                }
                let Some(size) = size else {
                    let message = format!("the format `{name}` has no `size`");
                    self.error(path, false, message, Some(DECLARE_HINT.into()));
                    return None;
                };
                (size, safe, spans::join_key(path, "size"))
            }
            other => (other, None, path.to_string()),
        };
        let Some((width, height)) = size.as_str().and_then(parse_size) else {
            let message = format!(
                "a format's size is `WIDTHxHEIGHT` in pixels (`720x1280`), but got {}",
                describe(&size)
            );
            self.error(
                &size_path,
                false,
                message,
                Some("both even numbers from 16 to 8192 (H.264 4:2:0 needs even sizes)".into()),
            );
            return None;
        };
        let safe_area = match safe {
            None | Some(Value::Null) => Insets::default(),
            Some(v) => self.insets(&spans::join_key(path, "safe_area"), v, width, height)?,
        };
        Some(Format { name, width, height, safe_area })
    }

    fn insets(&mut self, path: &str, v: Value, width: u32, height: u32) -> Option<Insets> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            top: u32,
            #[serde(default)]
            right: u32,
            #[serde(default)]
            bottom: u32,
            #[serde(default)]
            left: u32,
        }
        match serde_yaml::from_value::<Raw>(v) {
            Ok(r) if r.top + r.bottom < height && r.left + r.right < width => {
                Some(Insets { top: r.top, right: r.right, bottom: r.bottom, left: r.left })
            }
            Ok(_) => {
                self.error(path, false, "the safe area's insets leave nothing of the frame".into(), None);
                None
            }
            Err(e) => {
                let message = format!("a safe area is `{{ top, right, bottom, left }}` in pixels: {e}");
                self.error(path, false, message, Some("e.g. `safe_area: { top: 160, bottom: 220 }`".into()));
                None
            }
        }
    }

    /// The chosen format's size becomes `video.width` and `video.height`; writing them as well
    /// would leave two answers to one question.
    fn set_video_size(&mut self, top: &mut Mapping, f: &Format) {
        let Some(Value::Mapping(video)) = top.get_mut("video") else { return };
        for key in ["width", "height"] {
            if video.contains_key(key) {
                let message =
                    format!("`video.{key}` is given by the formats when the storyboard declares `{KEY}:`");
                self.error(&format!("video.{key}"), true, message, Some(format!("remove `video.{key}`")));
            }
        }
        video.insert("width".into(), f.width.into());
        video.insert("height".into(), f.height.into());
        if let Some(pos) = self.spans.value(&spans::join_key(KEY, &f.name)) {
            self.spans.set_value("video.width", pos);
            self.spans.set_value("video.height", pos);
        }
    }

    /// Applies the overrides in `v` (found at `path`) and below.
    fn value(&mut self, path: &str, v: &mut Value) {
        match v {
            Value::Mapping(m) => {
                if let Some(overrides) = m.remove(KEY) {
                    self.overrides(path, m, overrides);
                }
                for (k, child) in m.iter_mut() {
                    if let Some(key) = k.as_str() {
                        self.value(&spans::join_key(path, key), child);
                    }
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.value(&spans::join_index(path, i), item);
                }
            }
            _ => {}
        }
    }

    /// `formats: { portrait: { x: 50% } }` inside the mapping `m` at `path`.
    fn overrides(&mut self, path: &str, m: &mut Mapping, overrides: Value) {
        let opath = spans::join_key(path, KEY);
        let Value::Mapping(per_format) = overrides else {
            let message = format!(
                "`{KEY}` here holds per-format overrides, a mapping from format names to keys, but got {}",
                describe(&overrides)
            );
            self.error(&opath, false, message, Some(OVERRIDE_HINT.into()));
            return;
        };
        for (name, keys) in per_format {
            let name = name.as_str().unwrap_or_default().to_string();
            let fpath = spans::join_key(&opath, &name);
            if !self.names.contains(&name) {
                self.unknown_format(&fpath, &name, "an override");
                continue;
            }
            let Value::Mapping(keys) = keys else {
                let message = format!(
                    "the overrides for `{name}` must be a mapping of keys, but got {}",
                    describe(&keys)
                );
                self.error(&fpath, false, message, Some(OVERRIDE_HINT.into()));
                continue;
            };
            if self.chosen.as_deref() != Some(name.as_str()) {
                continue;
            }
            for (k, v) in keys {
                let Some(key) = k.as_str().map(str::to_string) else { continue };
                self.spans.overlay(&spans::join_key(&fpath, &key), &spans::join_key(path, &key));
                m.insert(k, v);
            }
        }
    }
}

const DECLARE_HINT: &str =
    "declare formats as `formats: { landscape: 1280x720, portrait: { size: 720x1280, safe_area: { top: 160, bottom: 220 } } }`";
const OVERRIDE_HINT: &str = "e.g. `formats: { portrait: { x: 50%, size: 64 } }` inside a layer or scene";

/// `1280x720` -> (1280, 720): even, from 16 to 8192 pixels each.
pub fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.trim().split_once(['x', 'X', '×'])?;
    let ok = |n: &str| n.trim().parse::<u32>().ok().filter(|v| (16..=8192).contains(v) && v % 2 == 0);
    Some((ok(w)?, ok(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, wanted: Option<&str>) -> (Value, SpanMap, Applied) {
        let mut v: Value = serde_yaml::from_str(text).unwrap();
        let mut spans = SpanMap::build(text);
        let a = apply(&mut v, &mut spans, Path::new("sb.yaml"), wanted);
        (v, spans, a)
    }

    const SB: &str = "formats:\n  landscape: 1280x720\n  portrait: { size: 720x1280, safe_area: { top: 160, bottom: 200 } }\nvideo: { fps: 10 }\nscenes:\n  - id: a\n    layers:\n      - type: text\n        x: 10%\n        formats:\n          portrait:\n            x: 50%\n            size: 64\n";

    #[test]
    fn the_first_format_is_the_default_and_sets_the_video_size() {
        let (v, _, a) = read(SB, None);
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!(a.declared.len(), 2);
        assert_eq!(a.chosen.as_ref().map(|f| f.name.as_str()), Some("landscape"));
        assert_eq!(v["video"]["width"], Value::from(1280));
        let layer = &v["scenes"][0]["layers"][0];
        assert_eq!(layer["x"], Value::from("10%"));
        assert!(layer.get("formats").is_none() && layer.get("size").is_none());
        assert_eq!(a.declared[1].safe_area, Insets { top: 160, right: 0, bottom: 200, left: 0 });
        assert_eq!(a.declared[1].safe_rect(), (0.0, 160.0, 720.0, 920.0));
    }

    #[test]
    fn overrides_replace_keys_and_take_their_lines_with_them() {
        let (v, spans, a) = read(SB, Some("portrait"));
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!(v["video"]["height"], Value::from(1280));
        let layer = &v["scenes"][0]["layers"][0];
        assert_eq!(layer["x"], Value::from("50%"));
        assert_eq!(layer["size"], Value::from(64));
        assert_eq!(spans.value("scenes[0].layers[0].x").map(|p| p.line), Some(12));
        assert_eq!(spans.key("scenes[0].layers[0].size").map(|p| p.line), Some(13));
    }

    #[test]
    fn an_unknown_format_is_an_error_with_did_you_mean_on_its_line() {
        let text = SB.replace("          portrait:", "          portrat:");
        let (_, _, a) = read(&text, None);
        let d = &a.problems[0];
        assert_eq!(d.pos.map(|p| p.line), Some(11));
        assert!(
            d.message.contains("the format `portrat`, which the storyboard does not declare"),
            "{}",
            d.message
        );
        assert!(d.hint.as_deref().unwrap().starts_with("did you mean `portrait`?"), "{:?}", d.hint);
        let (v, _, a) = read(SB, Some("square"));
        assert!(a.problems[0].message.contains("--format names the format `square`"), "{:?}", a.problems);
        assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
        assert_eq!(v["video"]["width"], Value::from(1280), "no follow-on error about the size");
    }

    #[test]
    fn a_storyboard_without_formats_is_left_alone_and_bad_declarations_are_located() {
        let text = "video: { width: 640, height: 360, fps: 10 }\nscenes: []\n";
        let (v, _, a) = read(text, None);
        assert!(a.declared.is_empty() && a.chosen.is_none() && a.problems.is_empty());
        assert_eq!(v, serde_yaml::from_str::<Value>(text).unwrap());
        let (_, _, a) = read("formats: { wide: 1279x720 }\nvideo: { width: 1, fps: 10 }\n", None);
        let m: Vec<String> = a.problems.iter().map(|d| d.message.clone()).collect();
        assert!(m[0].contains("`WIDTHxHEIGHT`"), "{m:?}");
        let (_, _, a) = read("formats: { wide: 1280x720 }\nvideo: { width: 1, fps: 10 }\n", None);
        assert!(a.problems[0].message.contains("`video.width` is given by the formats"), "{:?}", a.problems);
        assert_eq!(a.problems[0].pos.map(|p| p.line), Some(2));
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1080x1350"), Some((1080, 1350)));
        assert_eq!(parse_size("1080×1350"), Some((1080, 1350)));
        assert_eq!(parse_size("1080x"), None);
        assert_eq!(parse_size("7x8"), None);
    }
}
