//! The JSON Schema (`billreel schema`) of the storyboard types whose YAML serde reads by hand:
//! a value that is one of several shapes (a list or a map, a string or a mapping). The types
//! read by `#[derive(Deserialize)]` derive their schema beside it, from the same attributes.
//!
//! A layer is kept as written here (its keys are its kind's business, in `layers`), so its schema
//! is only a reference, `#/definitions/Layer`, filled in by the crate's `json_schema` module,
//! which knows every kind.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::bindable::Bindable;
use super::schema::{FallbackFonts, LayerSource, LinearSpec, PaintSpec, PlayButtonSpec, Transition};
use crate::style::{Anchor, Duration, Rgba, Side};

/// The name under which a layer's schema is defined; see the module's header.
pub const LAYER: &str = "Layer";

/// The transition names [`Transition`]'s reader knows.
pub const TRANSITIONS: &[&str] = &["cut", "fade", "slide", "wipe"];

/// Written back as written, so that the schema's `default`s read like the docs.
impl<T> serde::Serialize for Bindable<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.source())
    }
}

impl serde::Serialize for super::bindable::Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.source())
    }
}

impl JsonSchema for LayerSource {
    fn schema_name() -> Cow<'static, str> {
        LAYER.into()
    }

    /// A stand-in, used only when no builder has defined every kind's keys under [`LAYER`].
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "required": ["type"],
            "description": "One layer: `type` names its kind, and the kind says which other keys it takes.",
        })
    }
}

impl JsonSchema for FallbackFonts {
    fn schema_name() -> Cow<'static, str> {
        "FallbackFonts".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let list = json_schema!({ "type": "array", "items": { "type": "string" } });
        json_schema!({
            "description": "Fonts (names from `fonts:`) tried in order for characters a layer's font does not have: one list for every font (`[arabic, cjk]`), or a list per font (`{ bold: [arabic-bold], \"*\": [arabic] }`, `\"*\"` for the fonts not named).",
            "anyOf": [list, { "type": "object", "additionalProperties": list }],
        })
    }
}

impl JsonSchema for PlayButtonSpec {
    fn schema_name() -> Cow<'static, str> {
        "PlayButton".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let anchor = generator.subschema_for::<Anchor>();
        json_schema!({
            "description": "A play button over the poster: `true` (placed where it covers no text), `false`, or `{ at: auto | center | top-left | … }`.",
            "anyOf": [
                { "type": "boolean" },
                {
                    "type": "object",
                    "properties": {
                        "at": {
                            "description": "`auto`: the spot nearest the centre that covers no text; or a fixed spot.",
                            "anyOf": [{ "const": "auto" }, anchor],
                        },
                    },
                    "required": ["at"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}

impl JsonSchema for PaintSpec {
    fn schema_name() -> Cow<'static, str> {
        "Paint".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let colour = generator.subschema_for::<Bindable<Rgba>>();
        let linear = generator.subschema_for::<LinearSpec>();
        json_schema!({
            "description": "A fill: a colour (`\"#0b1f3a\"`, may hold `{{ }}`), an image (backgrounds only) or a linear gradient (`{ linear: { angle: 90, stops: [\"#000\", \"#fff\"] } }`).",
            "anyOf": [
                colour,
                {
                    "type": "object",
                    "properties": {
                        "linear": {
                            "description": "A linear gradient: `{ angle: 90, stops: [colours...] }` (CSS angles: 0 up, 90 right, 180 down; stops spread evenly).",
                            "allOf": [linear],
                        },
                    },
                    "required": ["linear"],
                    "additionalProperties": false,
                },
                {
                    "type": "object",
                    "properties": {
                        "image": {
                            "description": "A picture under the assets folder (may hold `{{ }}`); only for `video.background` and a scene's `background`.",
                            "type": "string",
                        },
                        "fit": {
                            "description": "`cover` (default: fills the canvas, cut to its shape), `contain` (all of it, centred) or `fill` (stretched).",
                            "enum": ["cover", "contain", "fill"],
                        },
                    },
                    "required": ["image"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}

impl JsonSchema for Transition {
    fn schema_name() -> Cow<'static, str> {
        "Transition".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<Duration>();
        let side = generator.subschema_for::<Side>();
        json_schema!({
            "description": "How the scene replaces the one before it: `cut` (the default), `fade`, `slide` or `wipe`, or `{ type: slide, from: right, duration: 500ms }`.",
            "anyOf": [
                { "enum": TRANSITIONS },
                {
                    "type": "object",
                    "properties": {
                        "type": { "enum": TRANSITIONS, "description": "The kind of transition." },
                        "duration": {
                            "description": "How long the scenes overlap (default 0.5s).",
                            "allOf": [duration],
                        },
                        "from": {
                            "description": "Where a slide comes from (default right) or where a wipe starts (default left).",
                            "allOf": [side],
                        },
                    },
                    "required": ["type"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}
