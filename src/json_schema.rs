//! The storyboard's JSON Schema, for editors (`billreel schema`): draft-07, derived with
//! schemars from the serde types the parser reads, so a key the parser takes is a key the
//! schema knows, with the field's doc comment as its description.
//!
//! In: the storyboard's types (`storyboard`) and each layer kind's (`layers`). Out: one
//! document. Draft-07 because it is the draft editors implement in full (the YAML language
//! server behind VS Code's YAML extension validates draft-07, not 2019-09 or 2020-12).
//!
//! The storyboard keeps a layer as written; here a layer becomes "the keys every layer has plus
//! its kind's own", one definition per kind, chosen by `type` (an `if`/`then` per kind), each
//! with `additionalProperties: false` as the parser refuses an unknown key. Top-level keys
//! starting with `x-` (the author's own, a home for YAML anchors) are allowed, as the parser
//! ignores them.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};

use crate::layers::{kind_schemas, LayerCommon, LAYER_KINDS};
use crate::storyboard::json_schema::LAYER;
use crate::storyboard::Storyboard;

/// Top-level keys the parser ignores: the author's own.
pub const AUTHOR_KEYS: &str = "^x-";

/// The whole schema.
pub fn storyboard_schema() -> Schema {
    let mut generator = SchemaSettings::draft07().into_generator();
    let common = object_of(&mut generator, LayerCommon::json_schema);
    let mut branches = Vec::new();
    for (kind, own) in kind_schemas(&mut generator) {
        let own = resolve(generator.definitions(), own.to_value());
        let name = definition_name(kind);
        let merged = layer_of_kind(kind, &common, &own);
        generator.definitions_mut().insert(name.clone(), merged);
        branches.push(json!({
            "if": { "properties": { "type": { "const": kind } }, "required": ["type"] },
            "then": { "$ref": format!("#/definitions/{name}") },
        }));
    }
    let kinds = LAYER_KINDS.join(", ");
    generator.definitions_mut().insert(
        LAYER.into(),
        json!({
            "type": "object",
            "description": format!("One layer: `type` names its kind ({kinds}); the keys every layer has (its box, visibility, motion, caption) and its kind's own."),
            "required": ["type"],
            "properties": { "type": { "enum": LAYER_KINDS, "description": "The layer's kind." } },
            "allOf": branches,
        }),
    );
    let mut schema = generator.into_root_schema_for::<Storyboard>();
    let root = schema.ensure_object();
    root.insert("title".into(), "billreel storyboard".into());
    root.insert(
        "description".into(),
        "A billreel storyboard: a video template, its canvas, fonts and scenes, filled from each customer's billing record (docs/storyboard.md).".into(),
    );
    root.insert("patternProperties".into(), json!({ AUTHOR_KEYS: { "description": "Your own key (a home for YAML anchors), ignored by billreel." } }));
    add_formats(root);
    prune_unused_definitions(root);
    for_each_description(root, &mut |d| *d = plain(d));
    schema
}

/// A doc comment as an editor shows it: a paragraph on one line, rustdoc's links (`` [`x`] ``)
/// as code.
fn plain(doc: &str) -> String {
    let paragraphs: Vec<String> =
        doc.split("\n\n").map(|p| p.split('\n').collect::<Vec<_>>().join(" ")).collect();
    paragraphs.join("\n\n").replace("[`", "`").replace("`]", "`")
}

/// Calls `f` on every `description` in the document.
fn for_each_description(v: &mut Map<String, Value>, f: &mut dyn FnMut(&mut String)) {
    for (k, child) in v.iter_mut() {
        match child {
            Value::String(s) if k == "description" => f(s),
            Value::Object(o) => for_each_description(o, f),
            Value::Array(a) => {
                for item in a.iter_mut() {
                    if let Value::Object(o) = item {
                        for_each_description(o, f);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The document as `billreel schema` prints it: pretty JSON and a final newline.
pub fn storyboard_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&storyboard_schema()).expect("a schema is JSON");
    text.push('\n');
    text
}

/// `text` -> `TextLayer`, `bar_chart` -> `BarChartLayer`.
fn definition_name(kind: &str) -> String {
    let mut name: String = kind
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    name.push_str("Layer");
    name
}

/// A type's own schema (not a reference), references to other types left as they are.
fn object_of(
    generator: &mut schemars::SchemaGenerator,
    schema: fn(&mut schemars::SchemaGenerator) -> Schema,
) -> Value {
    let s = schema(generator).to_value();
    resolve(generator.definitions(), s)
}

/// A schema that is only a `$ref` (a newtype's, e.g. `bar_chart`'s) as the schema it refers
/// to, with its own description kept.
fn resolve(definitions: &Map<String, Value>, schema: Value) -> Value {
    let target = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next());
    let Some(found) = target.and_then(|name| definitions.get(name)).cloned() else { return schema };
    let mut found = found;
    if let (Some(d), Some(obj)) = (schema.get("description"), found.as_object_mut()) {
        obj.insert("description".into(), d.clone());
    }
    found
}

/// One kind's definition: its `type`, the keys every layer has and its own, nothing else.
fn layer_of_kind(kind: &str, common: &Value, own: &Value) -> Value {
    let mut properties = Map::new();
    properties.insert("type".into(), json!({ "const": kind, "description": "The layer's kind." }));
    let mut required = vec![Value::from("type")];
    for part in [common, own] {
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            for (k, v) in p.iter().filter(|(k, _)| *k != "type") {
                properties.insert(k.clone(), v.clone());
            }
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().filter(|k| *k != "type").cloned());
        }
    }
    let mut out = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if let Some(d) = own.get("description") {
        out["description"] = d.clone();
    }
    out
}

/// Drops the definitions nothing refers to (a kind's own keys, once merged into its layer).
/// `formats:`: at the top level the screen shapes the storyboard declares; in every mapping
/// below it (a scene, a layer, `video`, a button), that mapping's keys per format, merged over
/// it for that format only (`storyboard::formats` rewrites the YAML before it is read, so any
/// key may be overridden; the override's keys are checked when that format is read).
fn add_formats(root: &mut Map<String, Value>) {
    let size = json!({ "type": "string", "pattern": "^\\s*[0-9]+\\s*x\\s*[0-9]+\\s*$", "description": "`WIDTHxHEIGHT` in pixels, e.g. `1280x720`." });
    let declaration = json!({
        "type": "object",
        "description": "The screen shapes the storyboard is made in, the first the default: `{ landscape: 1280x720, portrait: { size: 720x1280, safe_area: { top: 120, bottom: 200 } } }`.",
        "additionalProperties": {
            "anyOf": [
                size,
                {
                    "type": "object",
                    "properties": {
                        "size": size,
                        "safe_area": {
                            "type": "object",
                            "description": "Insets in pixels that platforms cover with their own controls: `top`, `right`, `bottom`, `left`.",
                            "properties": {
                                "top": { "type": "number", "description": "Pixels covered along the top edge." },
                                "right": { "type": "number", "description": "Pixels covered along the right edge." },
                                "bottom": { "type": "number", "description": "Pixels covered along the bottom edge." },
                                "left": { "type": "number", "description": "Pixels covered along the left edge." },
                            },
                            "additionalProperties": false,
                        },
                    },
                    "required": ["size"],
                    "additionalProperties": false,
                },
            ],
        },
    });
    let overrides = json!({
        "type": "object",
        "description": "This mapping's keys for one format only (`portrait: { x: 50%, size: 64 }`), merged over it when the video is made in that format.",
        "additionalProperties": { "type": "object" },
    });
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        props.insert("formats".into(), declaration);
    }
    if let Some(Value::Object(defs)) = root.get_mut("definitions") {
        // With `formats:` the video's size is each format's: `video.width` and `height` are
        // then not written (the parser says which is wrong when they are missing or doubled).
        if let Some(Value::Object(video)) = defs.get_mut("Video") {
            video.remove("required");
        }
        for def in defs.values_mut() {
            if let Some(Value::Object(props)) = def.get_mut("properties") {
                if !props.contains_key("formats") {
                    props.insert("formats".into(), overrides.clone());
                }
            }
        }
    }
}

fn prune_unused_definitions(root: &mut Map<String, Value>) {
    loop {
        let text = serde_json::to_string(&root).expect("JSON");
        let Some(Value::Object(defs)) = root.get_mut("definitions") else { return };
        let unused: Vec<String> = defs
            .keys()
            .filter(|name| !text.contains(&format!("\"#/definitions/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            defs.remove(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::COMMON_KEYS;

    fn document() -> Value {
        storyboard_schema().to_value()
    }

    /// Every `properties` map in the document, with where it is.
    fn property_maps<'a>(at: &str, v: &'a Value, out: &mut Vec<(String, &'a Map<String, Value>)>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Object(p)) = o.get("properties") {
                    out.push((at.to_string(), p));
                }
                for (k, child) in o {
                    property_maps(&format!("{at}/{k}"), child, out);
                }
            }
            Value::Array(a) => {
                a.iter().enumerate().for_each(|(i, c)| property_maps(&format!("{at}/{i}"), c, out))
            }
            _ => {}
        }
    }

    #[test]
    fn every_key_has_a_description() {
        let doc = document();
        let mut maps = Vec::new();
        property_maps("#", &doc, &mut maps);
        let missing: Vec<String> = maps
            .iter()
            // An `if` names the key it tests; the key itself is described where it is defined.
            .filter(|(at, _)| !at.ends_with("/if"))
            .flat_map(|(at, p)| {
                p.iter()
                    .filter(|(_, s)| s.get("description").is_none())
                    .map(move |(k, _)| format!("{at}: {k}"))
            })
            .collect();
        assert!(maps.len() > 30, "{}", maps.len());
        assert!(
            missing.is_empty(),
            "keys without a description (write a `///` doc comment on the field):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_kind_has_the_common_keys_its_own_and_a_branch() {
        let doc = document();
        let defs = &doc["definitions"];
        let branches = defs[LAYER]["allOf"].as_array().unwrap();
        assert_eq!(branches.len(), LAYER_KINDS.len());
        for (kind, branch) in LAYER_KINDS.iter().zip(branches) {
            assert_eq!(branch["if"]["properties"]["type"]["const"], *kind);
            let name = definition_name(kind);
            assert_eq!(branch["then"]["$ref"], format!("#/definitions/{name}"));
            let def = &defs[&name];
            assert_eq!(def["additionalProperties"], false, "{kind}");
            assert_eq!(def["properties"]["type"]["const"], *kind);
            for key in COMMON_KEYS {
                assert!(def["properties"].get(*key).is_some(), "{kind} lacks the common key {key}");
            }
            assert!(
                def["properties"].as_object().unwrap().len() > COMMON_KEYS.len(),
                "{kind} has keys of its own"
            );
            assert!(
                def["description"].as_str().is_some_and(|d| d.contains(&format!("`{kind}`"))),
                "{kind}: {}",
                def["description"]
            );
        }
        assert_eq!(defs[LAYER]["properties"]["type"]["enum"], json!(LAYER_KINDS));
    }

    #[test]
    fn the_top_level_takes_its_keys_and_the_authors_x_keys_only() {
        let doc = document();
        assert_eq!(doc["additionalProperties"], false);
        assert!(doc["patternProperties"].get(AUTHOR_KEYS).is_some());
        assert_eq!(doc["required"], json!(["video", "scenes"]));
        let scene = &doc["definitions"]["Scene"];
        assert_eq!(scene["additionalProperties"], false);
        assert!(scene.get("patternProperties").is_none(), "x- keys are the top level's only");
    }

    #[test]
    fn defaults_are_written_as_an_author_writes_them() {
        let doc = document();
        let defs = &doc["definitions"];
        let text = &defs["TextLayer"]["properties"];
        assert_eq!(text["color"]["default"], "#ffffff");
        assert_eq!(text["size"]["default"], 32.0);
        assert_eq!(text["anchor"]["default"], "top-left");
        assert_eq!(text["x"]["default"], 0.0);
        assert_eq!(defs["Motion"]["properties"]["duration"]["default"], "0.5s");
        assert_eq!(defs["Motion"]["properties"]["easing"]["default"], "ease-out");
        assert_eq!(
            defs["ComparisonLayer"]["properties"]["delta_format"]["default"],
            "{{ change | percent }}"
        );
        assert_eq!(defs["QrLayer"]["properties"]["error_correction"]["default"], "M");
    }

    #[test]
    fn only_what_is_referred_to_is_defined() {
        let doc = document();
        let text = doc.to_string();
        for name in doc["definitions"].as_object().unwrap().keys() {
            assert!(text.contains(&format!("\"#/definitions/{name}\"")), "{name} is defined but unused");
        }
        assert!(doc["definitions"].get("ChartLayer").is_none(), "merged into the chart kinds");
    }
}
