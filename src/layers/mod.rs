//! Layers: one module per layer kind.
//!
//! In: a layer as the storyboard wrote it ([`LayerSource`]). Out: its typed spec, every problem
//! with its keys, its bindable fields compiled, and for each record the scene nodes it draws.
//! Everything a kind knows lives in its module: its YAML keys (a serde type), what it checks,
//! which of its fields are templates or expressions, and how it binds into scene nodes. This
//! file only lists the kinds ([`layer_kinds!`]); every `match` over them is generated there and
//! is exhaustive.

mod common;
mod comparison;
mod donut_chart;
mod image;
mod number;
mod progress;
mod qr;
mod rect;
mod table;
mod text;
mod xy_chart;

use serde_yaml::Value;

use crate::storyboard::{closest, describe, spans, LayerSource, Reporter};
use crate::template::{BindError, Compiler};

pub use common::{
    bind_background, bind_paint, compile_paint, Check, Cx, Drawn, Grow, Keyframe, LabelsSpec, LayerCommon,
    Motion, Part, Preset, Stroke, COMMON_KEYS,
};
pub use image::within_frame_budget;
pub use number::{layers_read, Measured, Num, Scope};

/// What each layer kind's module provides.
trait Kind: Sized + serde::de::DeserializeOwned {
    /// Checks what the types cannot: sizes, colours, fonts, assets.
    fn validate(&self, common: &LayerCommon, check: &mut Check<'_, '_>);
    /// Compiles the kind's bindable fields (`path` is the layer's).
    fn compile(&mut self, compiler: &mut Compiler, path: &str);
    /// Binds for one record: what the layer draws, in its box.
    fn bind(&self, cx: &Cx) -> Result<Drawn, BindError>;
}

/// Declares the layer kinds: `"yaml name" => Variant(module::Type)`, in the order the
/// documentation and messages list them. Generates [`LayerKind`], [`LAYER_KINDS`] and the
/// dispatch to each kind's [`Kind`] implementation.
macro_rules! layer_kinds {
    ($($name:literal => $variant:ident($ty:ty)),* $(,)?) => {
        /// A layer's kind and its own keys.
        #[derive(Debug, Clone)]
        pub enum LayerKind {
            $($variant($ty)),*
        }

        /// The `type:` names, in order.
        pub const LAYER_KINDS: &[&str] = &[$($name),*];

        /// Each kind's `type:` name and the JSON Schema of its own keys, its doc comment the
        /// description (for `billreel schema`, which adds the keys every layer has).
        pub fn kind_schemas(generator: &mut schemars::SchemaGenerator) -> Vec<(&'static str, schemars::Schema)> {
            vec![$(($name, <$ty as schemars::JsonSchema>::json_schema(generator))),*]
        }

        impl LayerKind {
            /// Reads the kind's own keys; None when `kind` names no layer kind.
            fn read(kind: &str, rep: &mut Reporter, path: &str, own: Value, what: &str) -> Option<Option<LayerKind>> {
                match kind {
                    $($name => Some(rep.deserialize(path, own, what, common::COMMON_KEYS).map(LayerKind::$variant)),)*
                    _ => None,
                }
            }

            /// The `type:` name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(LayerKind::$variant(_) => $name),*
                }
            }

            fn validate(&self, common: &LayerCommon, check: &mut Check<'_, '_>) {
                match self {
                    $(LayerKind::$variant(k) => k.validate(common, check)),*
                }
            }

            fn compile(&mut self, compiler: &mut Compiler, path: &str) {
                match self {
                    $(LayerKind::$variant(k) => k.compile(compiler, path)),*
                }
            }

            fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
                match self {
                    $(LayerKind::$variant(k) => k.bind(cx)),*
                }
            }
        }
    };
}

layer_kinds! {
    "rect" => Rect(rect::RectLayer),
    "text" => Text(text::TextLayer),
    "image" => Image(image::ImageLayer),
    "bar_chart" => BarChart(xy_chart::BarChart),
    "line_chart" => LineChart(xy_chart::LineChart),
    "donut_chart" => Donut(donut_chart::DonutLayer),
    "comparison" => Comparison(comparison::ComparisonLayer),
    "qr" => Qr(qr::QrLayer),
    "progress" => Progress(progress::ProgressLayer),
    "table" => Table(table::TableLayer),
}

/// One layer: what every layer has, and its kind.
#[derive(Debug, Clone)]
pub struct Layer {
    pub common: LayerCommon,
    pub kind: LayerKind,
    /// Where the layer is in the document (`scenes[2].layers[0]`), for messages.
    pub path: String,
}

impl Layer {
    /// Reads a layer as written, reporting every problem with its keys.
    pub fn parse(source: &LayerSource, rep: &mut Reporter) -> Option<Layer> {
        let path = source.path.as_str();
        let kind = match source.keys.get("type") {
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
        // Split the keys every layer has from the kind's own, so both get deny_unknown_fields.
        let (mut common_map, mut own_map) = (serde_yaml::Mapping::new(), serde_yaml::Mapping::new());
        for (k, v) in source.keys.clone() {
            let is_common = k.as_str().is_some_and(|k| common::COMMON_KEYS.contains(&k));
            if is_common {
                common_map.insert(k, v)
            } else {
                own_map.insert(k, v)
            };
        }
        // "an image layer", "a text layer": the article follows the sound of the kind's name.
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        let what = format!("{article} {kind} layer");
        let Some(kind_spec) = LayerKind::read(&kind, rep, path, Value::Mapping(own_map), &what) else {
            let hint = match closest(&kind, LAYER_KINDS.iter().copied()) {
                Some(g) => format!("did you mean `{g}`? layer types are {}", LAYER_KINDS.join(", ")),
                None => format!("layer types are {}", LAYER_KINDS.join(", ")),
            };
            rep.error(&spans::join_key(path, "type"), format!("unknown layer type `{kind}`"), Some(hint));
            return None;
        };
        let common: Option<LayerCommon> = rep.deserialize(path, Value::Mapping(common_map), &what, &[]);
        Some(Layer { common: common?, kind: kind_spec?, path: path.to_string() })
    }

    /// Checks the layer's keys against each other and the storyboard.
    pub fn validate(&self, check: &mut Check<'_, '_>) {
        check.layer = self.path.clone();
        self.common.validate(check);
        self.kind.validate(&self.common, check);
    }

    /// Compiles the layer's bindable fields.
    pub fn compile(&mut self, compiler: &mut Compiler) {
        self.common.compile(compiler, &self.path);
        self.kind.compile(compiler, &self.path);
    }

    /// Whether this is a text layer, and whether it asked to shrink to fit (`fit: shrink`):
    /// text that still does not fit then fails the record, while `fit: none` cuts it with an
    /// ellipsis as documented (see `bind::lint`).
    pub fn text_fit(&self) -> Option<bool> {
        match &self.kind {
            LayerKind::Text(t) => Some(t.fit == text::TextFit::Shrink),
            _ => None,
        }
    }

    /// The record fields a text layer's text reads (what a problem with the text names).
    pub fn text_fields(&self, cx: &crate::template::Context) -> Vec<String> {
        match &self.kind {
            LayerKind::Text(t) => cx.fields_of(&t.text),
            _ => Vec::new(),
        }
    }

    /// What the layer draws for one record (the box comes from `cx`).
    pub fn bind(&self, cx: &Cx) -> Result<Drawn, BindError> {
        self.kind.bind(cx)
    }
}

/// Builds storyboards around one layer and binds them, for the kinds' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::assets::Assets;
    use crate::bind::Binder;
    use crate::record::Record;
    use crate::scene::{Node, NodeKind};
    use crate::storyboard::{parse_partial, Diagnostics};
    use crate::template::BindError;

    /// A 640x360 storyboard with the repository's fonts and one scene holding `layer` (YAML
    /// flow mapping), prepared for binding.
    pub fn binder(layer: &str) -> Result<Binder, Diagnostics> {
        let text = format!(
            "video: {{ width: 640, height: 360, fps: 10 }}\n\
             fonts: {{ body: fonts/Inter-Regular.otf, bold: fonts/Inter-Bold.otf }}\n\
             currency: EUR\n\
             scenes:\n  - id: s\n    duration: 2s\n    layers:\n      - {layer}\n"
        );
        let (sb, problems) = parse_partial(&text, Path::new("test.yaml"));
        let assets = Assets::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"));
        Binder::with_earlier_problems(
            sb.expect("the test storyboard parses"),
            assets,
            problems,
            &crate::limits::Limits::default(),
        )
    }

    /// The problems of a storyboard with `layer`, as text.
    pub fn problems(layer: &str) -> String {
        match binder(layer) {
            Ok(_) => String::new(),
            Err(d) => d.to_string(),
        }
    }

    /// The nodes `layer` binds into for `data` (a JSON record).
    pub fn nodes(layer: &str, data: serde_json::Value) -> Result<Vec<Node>, BindError> {
        let b = binder(layer).unwrap_or_else(|d| panic!("{d}"));
        let rec = Record { id: "T".into(), data, line: 1 };
        Ok(b.bind(&rec)?.scenes.remove(0).nodes)
    }

    /// The one node `layer` binds into.
    pub fn node(layer: &str, data: serde_json::Value) -> Result<NodeKind, BindError> {
        let mut n = nodes(layer, data)?;
        assert_eq!(n.len(), 1, "one node expected");
        Ok(n.remove(0).kind)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{binder, node, problems};
    use super::LAYER_KINDS;
    use crate::scene::NodeKind;
    use serde_json::json;

    #[test]
    fn an_unknown_kind_is_named_with_a_guess_and_the_list() {
        let p = problems("{ type: txt, text: hi }");
        assert!(p.contains("unknown layer type `txt`"), "{p}");
        assert!(p.contains("did you mean `text`?"), "{p}");
        assert!(p.contains("table"), "the list names every kind: {p}");
    }

    #[test]
    fn a_layer_without_type_says_how_to_add_one() {
        let p = problems("{ text: hi }");
        assert!(p.contains("this layer has no `type`") && p.contains("add `type:`"), "{p}");
    }

    #[test]
    fn unknown_keys_of_a_kind_and_common_keys_are_both_reported() {
        let p = problems("{ type: rect, width: 10, height: 10, opacity: high, radiuss: 3 }");
        assert!(p.contains("unknown key `radiuss`") && p.contains("did you mean `radius`?"), "{p}");
        assert!(p.contains("opacity"), "the common keys are read too: {p}");
    }

    #[test]
    fn the_kind_list_and_the_kinds_agree() {
        assert_eq!(LAYER_KINDS.len(), 10);
        for kind in LAYER_KINDS {
            let p = problems(&format!("{{ type: {kind} }}"));
            assert!(!p.contains("unknown layer type"), "{kind}: {p}");
        }
    }

    #[test]
    fn bound_values_come_from_the_record_never_from_the_raw_template() {
        let k = node("{ type: rect, width: 10, height: 10, fill: \"{{ c }}\" }", json!({"c": "#ff0000"}))
            .unwrap();
        let NodeKind::Rect { fill: Some(crate::scene::Paint::Solid(c)), .. } = k else { panic!("{k:?}") };
        assert_eq!((c.r, c.g, c.b), (255, 0, 0));
        let e = node("{ type: rect, width: 10, height: 10, fill: \"{{ c }}\" }", json!({})).unwrap_err();
        assert_eq!(e.kind, crate::template::ProblemKind::MissingField, "{e}");
        assert!(e.to_string().contains("the record has no field `c`"), "{e}");
        assert!(e.location.as_deref().is_some_and(|l| l.starts_with("test.yaml:8:")), "{e:?}");
    }

    #[test]
    fn a_value_never_compiled_is_an_internal_error_not_its_source() {
        let b = binder("{ type: text, text: \"{{ name }}\" }").unwrap();
        let locate = |_: &str| None;
        let compiled = crate::template::Compiler::new(None).finish();
        let rec = crate::record::Record { id: "T".into(), data: json!({"name": "Ann"}), line: 1 };
        let vars = indexmap::IndexMap::new();
        let cx = crate::template::Context::new(
            &compiled,
            &rec,
            None,
            None,
            &vars,
            &locate,
            crate::template::Mode {
                check_only: false,
                show_values: false,
                output_limit: 1 << 16,
                format: None,
            },
        )
        .unwrap();
        let raw = crate::storyboard::Bindable::<String>::new("{{ name }}");
        let e = cx.text(&raw).unwrap_err();
        assert!(e.message.contains("internal error") && e.message.contains("never compiled"), "{e}");
        drop(b);
    }
}
