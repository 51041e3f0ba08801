//! Numbers a layer's box and motion take, written as literals or as expressions.
//!
//! `x: 120`, `x: 50%` and `scale: 1.1` are literals, worked out when the storyboard loads;
//! `x: "layers.greeting.right + 16"` and `from`-style keyframes such as `x: "-self.width"` are
//! expressions (minijinja, like `when:`), evaluated once per record when the layer is bound, in
//! pixels. An expression of `t` (seconds from the scene's start) at a layer's `x`, `y`,
//! `opacity` or `scale` follows time: `scale: "1 + 0.04 * sin(2 * pi * t)"`.
//!
//! What an expression sees besides the record: `self` (the layer's own box as its kind laid it
//! out: `width`, `height`; not in `width`/`height` themselves), and `layers` (the boxes of the
//! named layers bound before it in its scene: `x`, `y`, `width`, `height`, `right`, `bottom`,
//! at rest, in canvas pixels). Layers are bound in the order they are written (a scene's own
//! layers, then its variant's), so a layer can measure only the ones above it; naming one below
//! or one that does not exist is an error when the storyboard loads.
//!
//! Expressions of time never reach the scene graph: they are sampled at bind time, once per
//! frame of the scene, into linear keyframe tracks (see [`Scope::track`]). That keeps the scene a
//! closed set of resolved values (its content hash, the raster's settled-layer cache and its
//! held-frame detector all see a track whose value changes every frame, so such a layer is
//! never frozen), at the cost of one key per frame (a 10 s scene at 30 fps: 300 keys of 12
//! bytes). `sin`, `cos` and `pi` are the environment's (`crate::math`, the audited floats).

use std::collections::BTreeMap;

use minijinja::value::Value;
use serde::{Deserialize, Deserializer};

use crate::scene::{Key, Track};
use crate::storyboard::Expr;
use crate::style::{parse_length, Axis, Easing, Frame, Length};
use crate::template::{BindError, Compiler, Context};

/// A literal `T` (its own schema) or any string (an expression, checked when compiled).
impl<T: schemars::JsonSchema> schemars::JsonSchema for Num<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}OrExpression", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let literal = generator.subschema_for::<T>();
        schemars::json_schema!({
            "anyOf": [
                literal,
                {
                    "type": "string",
                    "description": "An expression worked out per record: `\"layers.title.right + 16\"`, `\"-self.width\"`, or of time `t` for periodic motion (`\"1 + 0.04 * sin(2 * pi * t)\"`).",
                },
            ],
        })
    }
}

/// Written back as written (a literal, or the expression's text), so the schema's `default`s
/// read like the docs.
impl<T: serde::Serialize> serde::Serialize for Num<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Num::Lit(v) => v.serialize(s),
            Num::Expr { expr, .. } => s.serialize_str(expr.source()),
        }
    }
}

/// A number as written: a literal `T`, or an expression.
#[derive(Debug, Clone)]
pub enum Num<T> {
    Lit(T),
    /// An expression; `over_time` when it reads `t` (set when compiled).
    Expr {
        expr: Expr,
        over_time: bool,
    },
}

impl<T> Num<T> {
    fn expr(source: &str) -> Num<T> {
        Num::Expr { expr: Expr::new(negate_whole_paths(source)), over_time: false }
    }

    /// The expression, if it is one.
    pub fn as_expr(&self) -> Option<&Expr> {
        match self {
            Num::Lit(_) => None,
            Num::Expr { expr, .. } => Some(expr),
        }
    }

    /// Whether it is an expression of time (`t`).
    pub fn over_time(&self) -> bool {
        matches!(self, Num::Expr { over_time: true, .. })
    }

    /// Compiles the expression found at `path`. `allow` says which of `t` and `self` it may
    /// read; reading another is reported with what to do instead.
    pub fn compile(&mut self, c: &mut Compiler, path: String, allow: Allow) {
        let Num::Expr { expr, over_time } = self else { return };
        let roots = crate::template::types::used_in_expression(expr.source()).roots;
        *over_time = roots.iter().any(|r| r == "t");
        if *over_time && !allow.time {
            c.report(
                path.clone(),
                format!("`{}` reads `t`, but this value is worked out once per record", expr.source()),
                "expressions of time (`t`, seconds from the scene's start) go in a layer's `x`, `y`, \
                 `opacity` or `scale`"
                    .into(),
            );
        }
        if !allow.own_size && roots.iter().any(|r| r == "self") {
            c.report(
                path.clone(),
                format!("`{}` reads `self`, the layer's own size, which this value decides", expr.source()),
                "use `self.width` and `self.height` in `x`, `y`, keyframes and `distance`; size a layer \
                 after another one with `layers.NAME.width`"
                    .into(),
            );
        }
        c.expr(expr, path);
    }
}

/// What an expression may read besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Allow {
    /// `t`: it follows time.
    pub time: bool,
    /// `self`: the layer's own measured box.
    pub own_size: bool,
}

impl Allow {
    /// Once per record, knowing the layer's size (positions, keyframes, distances).
    pub const PLACED: Allow = Allow { time: false, own_size: true };
    /// A layer's `x`, `y`, `opacity`, `scale`: may also follow time.
    pub const MOVING: Allow = Allow { time: true, own_size: true };
    /// `width`, `height`: decide the size, so cannot read it.
    pub const SIZE: Allow = Allow { time: false, own_size: false };
}

impl<'de> Deserialize<'de> for Num<Length> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A number or a length (`120`, `120px`, `50%`) is a literal; any other text an expression.
        match Raw::deserialize(d)? {
            Raw::Number(v) if v.is_finite() => Ok(Num::Lit(Length::Px(v))),
            Raw::Number(v) => {
                Err(serde::de::Error::custom(format!("a length must be a finite number, but got {v}")))
            }
            Raw::Text(s) => Ok(parse_length(&s).map_or_else(|_| Num::expr(&s), Num::Lit)),
        }
    }
}

impl<'de> Deserialize<'de> for Num<f32> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Number(v) if v.is_finite() => Ok(Num::Lit(v as f32)),
            Raw::Number(v) => Err(serde::de::Error::custom(format!("expected a finite number, but got {v}"))),
            Raw::Text(s) => Ok(s
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .map_or_else(|| Num::expr(&s), Num::Lit)),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a number, a length like `120`, `120px` or `50%`, or an expression in quotes")]
enum Raw {
    Number(f64),
    Text(String),
}

/// A layer's box at rest, as later layers read it (`layers.NAME.right`).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Measured {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Measured {
    pub fn of(r: crate::scene::Rect) -> Measured {
        Measured { x: r.x, y: r.y, width: r.w, height: r.h, right: r.x + r.w, bottom: r.y + r.h }
    }
}

/// What a layer's expressions are evaluated in: the record's context, the boxes of the layers
/// bound before it, and (once its kind has laid it out) its own size.
pub struct Scope<'a> {
    pub t: &'a Context<'a>,
    layers: Value,
    me: Option<Value>,
}

impl<'a> Scope<'a> {
    pub fn new(t: &'a Context<'a>, before: &BTreeMap<String, Measured>) -> Scope<'a> {
        Scope { t, layers: Value::from_serialize(before), me: None }
    }

    /// The layer's own size is known from now on (`self.width`, `self.height`).
    pub fn measured(&mut self, width: f32, height: f32) {
        let me: BTreeMap<&str, f32> = [("width", width), ("height", height)].into();
        self.me = Some(Value::from_serialize(me));
    }

    fn eval(&self, expr: &Expr, at: Option<f32>) -> Result<f64, BindError> {
        let mut extra: Vec<(&str, Value)> = vec![("layers", self.layers.clone())];
        if let Some(me) = &self.me {
            extra.push(("self", me.clone()));
        }
        if let Some(secs) = at {
            extra.push(("t", Value::from(secs as f64)));
        }
        let v = self.t.eval_with(expr, &extra)?;
        let key = expr.path().rsplit(['.', '[']).next().unwrap_or_default().trim_end_matches(']');
        self.t.number(expr.path(), &v, &format!("`{key}` (`{}`)", expr.source()))
    }

    /// A length in canvas pixels (`extent`: the canvas along its axis, for percentages).
    pub fn size(&self, n: &Num<Length>, axis: Axis, frame: &Frame) -> Result<f32, BindError> {
        match n {
            Num::Lit(l) => Ok(l.size(axis, frame) as f32),
            Num::Expr { expr, .. } => Ok(self.eval(expr, None)? as f32),
        }
    }

    /// A position along `axis` in canvas pixels: a length placed on `frame` (a safe-area length
    /// counts from the safe area's edge), or an expression's value in pixels.
    pub fn position(&self, n: &Num<Length>, axis: Axis, frame: &Frame) -> Result<f32, BindError> {
        match n {
            Num::Lit(l) => Ok(l.position(axis, frame) as f32),
            Num::Expr { expr, .. } => Ok(self.eval(expr, None)? as f32),
        }
    }

    /// A plain number (an opacity, a scale).
    pub fn amount(&self, n: &Num<f32>) -> Result<f32, BindError> {
        match n {
            Num::Lit(v) => Ok(*v),
            Num::Expr { expr, .. } => Ok(self.eval(expr, None)? as f32),
        }
    }

    /// An expression of time sampled at every frame of a scene of `frames` frames at `fps`, as
    /// a linear track; `map` turns each value into the track's (an offset from the rest
    /// position, an opacity clamped to 0..=1).
    pub fn track(
        &self,
        expr: &Expr,
        frames: u32,
        fps: u32,
        map: &dyn Fn(f64) -> f32,
    ) -> Result<Track, BindError> {
        let keys = (0..frames.max(1))
            .map(|i| {
                let t = i as f32 / fps as f32;
                Ok(Key { t, v: map(self.eval(expr, Some(t))?), easing: Easing::Linear })
            })
            .collect::<Result<Vec<Key>, BindError>>()?;
        Ok(Track { keys })
    }

    /// The value of an expression of time at `secs` (where a moving layer rests).
    pub fn at(&self, expr: &Expr, secs: f32) -> Result<f64, BindError> {
        self.eval(expr, Some(secs))
    }
}

/// `-self.width` as an author means it: minijinja binds a unary minus tighter than attribute
/// access (`(-self).width`, an error on a map), unlike Jinja2 and arithmetic. A minus that
/// starts an operand (at the start, or after `(`, `,`, `[` or an operator) followed by a
/// dotted path negates the whole path: `-(self.width)`.
fn negate_whole_paths(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 4);
    let mut last = None; // the last character written that is not a space
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_operand = last.is_none_or(|p: char| "(,[+-*/%=<>".contains(p));
        if c == '-' && starts_operand {
            let mut j = i + 1;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let path_start = j;
            let mut dots = 0;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '.')
            {
                dots += usize::from(chars[j] == '.');
                j += 1;
            }
            let ident = chars.get(path_start).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_');
            if ident && dots > 0 {
                let path: String = chars[path_start..j].iter().collect();
                out.push_str(&format!("-({path})"));
                last = Some(')');
                i = j;
                continue;
            }
        }
        out.push(c);
        if c != ' ' {
            last = Some(c);
        }
        i += 1;
    }
    out
}

/// The names of the layers an expression reads through `layers.NAME`.
pub fn layers_read(expr: &Expr) -> Vec<String> {
    let mut names: Vec<String> = crate::template::types::dotted_reads(expr.source())
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix("layers.").map(|rest| rest.split('.').next().unwrap_or(rest).to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::super::testing::{nodes, problems};
    use crate::scene::Rect;
    use serde_json::json;

    #[test]
    fn a_layer_read_that_does_not_exist_or_comes_later_is_an_error_at_its_line() {
        let p = problems(
            "{ type: rect, name: title, width: 10, height: 10 }\n      - { type: rect, width: \"layers.titel.width\", height: 4 }",
        );
        assert!(p.contains("test.yaml:9:"), "{p}");
        assert!(p.contains("reads layer `titel`, but scene `s` has no layer named so"), "{p}");
        assert!(p.contains("did you mean `title`?"), "{p}");
        let p = problems(
            "{ type: rect, width: \"layers.title.width\", height: 4 }\n      - { type: rect, name: title, width: 10, height: 10 }",
        );
        assert!(
            p.contains("test.yaml:8:") && p.contains("reads layer `title`, which is bound after this one"),
            "{p}"
        );
        assert!(p.contains("move `title` above this layer in scene `s`"), "{p}");
    }

    #[test]
    fn time_and_self_are_refused_where_they_cannot_mean_anything() {
        let p = problems("{ type: rect, width: \"self.height\", height: 4 }");
        assert!(p.contains("reads `self`, the layer's own size, which this value decides"), "{p}");
        let p = problems("{ type: rect, width: 4, height: 4, animate: [{ at: 1s, x: \"t * 10\" }] }");
        assert!(p.contains("reads `t`, but this value is worked out once per record"), "{p}");
    }

    #[test]
    fn positions_read_measured_boxes_and_time_is_sampled_per_frame() {
        let n = nodes(
            "{ type: rect, name: a, x: 10, y: 20, width: \"w * 2\", height: 30 }\n      - { type: rect, x: \"layers.a.right + 5\", y: \"layers.a.bottom\", width: 4, height: 4, animate: [{ at: 0s, x: \"-self.width\" }, { at: 1s, x: 0 }], scale: \"1 + 0.5 * sin(2 * pi * t)\" }",
            json!({"w": 50}),
        )
        .unwrap();
        assert_eq!(n[0].bounds, Rect { x: 10.0, y: 20.0, w: 100.0, h: 30.0 });
        assert_eq!((n[1].bounds.x, n[1].bounds.y), (115.0, 50.0));
        // The first keyframe puts it at -self.width: 119 px left of where it rests.
        assert_eq!(n[1].animation.dx[0].at(0.0), -119.0);
        // One key per frame of the 2 s scene at 10 fps, each the expression at its time.
        let s = &n[1].animation.scale[0];
        assert_eq!(s.keys.len(), 20);
        let want = 1.0 + 0.5 * crate::math::sin(2.0 * std::f64::consts::PI * 0.2f32 as f64);
        assert_eq!(s.at(0.2), want as f32);
    }

    #[test]
    fn a_minus_before_a_path_negates_the_whole_path() {
        assert_eq!(super::negate_whole_paths("-self.width"), "-(self.width)");
        assert_eq!(super::negate_whole_paths("10 + -layers.a.right * 2"), "10 + -(layers.a.right) * 2");
        assert_eq!(super::negate_whole_paths("a.b - c.d"), "a.b - c.d");
        assert_eq!(super::negate_whole_paths("-x + 1"), "-x + 1");
        assert_eq!(super::negate_whole_paths("-1.5 * t"), "-1.5 * t");
    }

    #[test]
    fn an_expression_that_gives_no_number_names_its_key() {
        let e =
            nodes("{ type: rect, x: \"name\", width: 4, height: 4 }", json!({"name": "Ann"})).unwrap_err();
        assert!(e.to_string().contains("`x` (`name`) must be a number"), "{e}");
    }
}
