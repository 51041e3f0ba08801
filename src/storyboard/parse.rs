//! Parse: YAML text -> [`Storyboard`], piece by piece.
//!
//! serde_yaml does the parsing, behind this one module so that a maintained fork can replace it
//! without touching the rest. Because serde stops at the first error, the document is read piece
//! by piece (the header, each scene; each layer is kept as written for its kind's module), so one
//! pass reports a problem in every piece.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_yaml::Value;

use super::bindable::Expr;
use super::diagnostics::{describe, Diagnostic, Diagnostics, Reporter};
use super::include;
use super::schema::{LayerSource, Scene, Source, Storyboard, Transition, Variant};
use super::spans::{self, Pos};
use yaml_rust2::parser::{Event, Parser};

use crate::limits::Limits;
use crate::style::Duration;

/// Reads and parses a storyboard file: what could be parsed, with the problems (see
/// [`parse_partial`]). Fails outright only when the file cannot be read or is over
/// `limits.storyboard_bytes` (checked before it is read whole).
pub fn load_partial(
    file: &Path,
    limits: &Limits,
) -> Result<(Option<Storyboard>, Vec<Diagnostic>), Diagnostics> {
    let text = read_text(file, limits)?;
    Ok(parse_partial_with(&text, file, limits))
}

/// Reads a storyboard file's text, within `limits.storyboard_bytes` (see [`load_partial`]).
pub fn read_text(file: &Path, limits: &Limits) -> Result<String, Diagnostics> {
    let fail = |message: String, hint: Option<String>| {
        Diagnostics(vec![Diagnostic {
            file: file.to_path_buf(),
            pos: None,
            path: String::new(),
            message,
            hint,
        }])
    };
    let cannot = |e: std::io::Error| fail(format!("cannot read the storyboard: {e}"), None);
    let f = std::fs::File::open(file).map_err(cannot)?;
    if !f.metadata().map_err(cannot)?.is_file() {
        return Err(fail("the storyboard is not a regular file".into(), None));
    }
    // Read one byte past the limit through `take`: the size is known without trusting the
    // metadata (a file can grow while it is read) and without reading more than the limit.
    let mut bytes = Vec::new();
    f.take(limits.storyboard_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > limits.storyboard_bytes {
        return Err(fail(
            format!("the storyboard is over {}, the limit", crate::limits::bytes(limits.storyboard_bytes)),
            Some("split it or move long texts into the billing records; or raise the limit with --limit storyboard-bytes=SIZE".into()),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(
            format!("cannot read the storyboard: byte {} is not UTF-8", e.utf8_error().valid_up_to()),
            Some("it must be UTF-8 text".into()),
        )
    })?;
    Ok(text)
}

/// [`parse_partial_with`] under the default [`Limits`].
pub fn parse_partial(text: &str, file: &Path) -> (Option<Storyboard>, Vec<Diagnostic>) {
    parse_partial_with(text, file, &Limits::default())
}

/// Parses as much as can be parsed: the storyboard holds every scene and layer that was valid,
/// and the diagnostics say what was not. Lets `check` go on to validate the rest in one pass.
/// YAML nested deeper than `limits.yaml_depth` is refused before serde_yaml sees it.
pub fn parse_partial_with(text: &str, file: &Path, limits: &Limits) -> (Option<Storyboard>, Vec<Diagnostic>) {
    parse_partial_for(text, file, limits, None)
}

/// [`parse_partial_with`] as the storyboard reads in the format named `format` (None: its
/// default): the parts it includes merged under it, then its per-format overrides applied (see
/// [`super::include`] and [`super::formats`]).
pub fn parse_partial_for(
    text: &str,
    file: &Path,
    limits: &Limits,
    format: Option<&str>,
) -> (Option<Storyboard>, Vec<Diagnostic>) {
    // The parts it includes are read first, written into one YAML text with it (so that their
    // anchors can be used), and merged under it once parsed.
    let doc = match include::assemble(text, file, limits) {
        Ok(doc) => doc,
        Err(found) => return (None, found),
    };
    let (mut root, mut spans, found) = match read_yaml(doc.text(), file, limits) {
        Ok(root) => doc.merge(root),
        Err(d) => return (None, vec![doc.relocate(d)]),
    };

    let applied = super::formats::apply(&mut root, &mut spans, file, format);
    let mut rep = Reporter::new(file, &spans);
    rep.found = found;
    rep.found.extend(applied.problems);
    let Value::Mapping(mut top) = root else {
        rep.error("", "a storyboard must be a mapping with `video:` and `scenes:`", None);
        return (None, rep.found);
    };
    // Top-level keys starting with `x-` are the author's own (a home for anchors, as in
    // Compose files): merged where they are used, ignored here.
    top.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
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
        sb.format = applied.chosen.clone().unwrap_or_else(|| super::formats::Format {
            name: super::formats::IMPLICIT.into(),
            width: sb.video.width,
            height: sb.video.height,
            safe_area: Default::default(),
        });
        sb.formats = if applied.declared.is_empty() { vec![sb.format.clone()] } else { applied.declared };
        sb
    });
    (sb, rep.found)
}

/// The YAML text as one value, merge keys applied; or the problem that stops it: nesting
/// deeper than `limits.yaml_depth` (refused before serde_yaml sees it), a syntax error, a
/// merge key that cannot be applied.
fn read_yaml(text: &str, file: &Path, limits: &Limits) -> Result<Value, Diagnostic> {
    if let Some((pos, depth)) = too_deep(text, limits.yaml_depth) {
        return Err(Diagnostic {
            file: file.to_path_buf(),
            pos: Some(pos),
            path: String::new(),
            message: format!("the YAML nests {depth} levels deep here; the limit is {}", limits.yaml_depth),
            hint: Some("a storyboard needs a handful of levels: flatten the lists and mappings that open here; or raise the limit with --limit yaml-depth=N".into()),
        });
    }
    let mut root: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let pos = e.location().map(|l| Pos { line: l.line(), column: l.column() });
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; we print the location up front instead.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            let hint = "check the indentation and that every `key: value` has a space after the colon";
            return Err(Diagnostic {
                file: file.to_path_buf(),
                pos,
                path: String::new(),
                message: format!("YAML syntax error: {message}"),
                hint: Some(hint.into()),
            });
        }
    };
    // serde_yaml reads a merge key (`<<: *defaults`) as a key named `<<`; YAML 1.1 means it
    // to bring in the anchored mapping's keys, and authors expect that.
    if let Err(e) = root.apply_merge() {
        let pos = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find("<<").map(|c| Pos { line: i + 1, column: c + 1 }));
        return Err(Diagnostic {
            file: file.to_path_buf(),
            pos,
            path: String::new(),
            message: format!("a YAML merge key (`<<`) cannot be applied: {e}"),
            hint: Some("a merge key takes an anchored mapping or a list of them: `<<: *defaults` or `<<: [*a, *b]`, with `defaults: &defaults { size: 24 }` written earlier".into()),
        });
    }
    Ok(root)
}

/// Where the YAML first nests deeper than `max` mappings and sequences, by one linear pass over
/// the parser's events that stops there (serde_yaml and the span map each take time that grows
/// faster than the depth). A syntax error ends the pass quietly: serde_yaml reports it.
/// The answer is the position and the depth reached there (`more than 255` when the scanner
/// stopped first).
fn too_deep(text: &str, max: usize) -> Option<(Pos, String)> {
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::MappingStart(..) | Event::SequenceStart(..), mark)) => {
                depth += 1;
                if depth > max {
                    return Some((Pos { line: mark.line(), column: mark.col() + 1 }, depth.to_string()));
                }
            }
            Ok((Event::MappingEnd | Event::SequenceEnd, _)) => depth = depth.saturating_sub(1),
            // yaml-rust2's scanner counts flow levels (`[`, `{`) in a byte: past 255 it stops
            // with this error, before the events reach the limit.
            Err(e) if e.info().contains("recursion limit") => {
                let mark = e.marker();
                let pos = Pos { line: mark.line(), column: mark.col() + 1 };
                return Some((pos, "more than 255".into()));
            }
            Ok((Event::StreamEnd, _)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
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
                    when: Option<Expr>,
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
        mirror: None,
        layers: Vec::new(),
        variants: Vec::new(),
        path: String::new(),
    });
    s.layers = layers;
    s.variants = variants;
    s.path = path.to_string();
    Some(s)
}

fn parse_layers(rep: &mut Reporter, path: &str, value: Option<Value>) -> Vec<LayerSource> {
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

/// A layer as written: a mapping. What its `type` and other keys mean is the layer kind's
/// business (`layers`).
fn parse_layer(rep: &mut Reporter, path: &str, value: Value) -> Option<LayerSource> {
    let Value::Mapping(keys) = value else {
        rep.error(path, format!("a layer must be a mapping, but got {}", describe(&value)), None);
        return None;
    };
    Some(LayerSource { keys, path: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storyboard::spans::SpanMap;

    fn parse(text: &str) -> (Option<Storyboard>, Vec<Diagnostic>) {
        parse_partial(text, Path::new("sb.yaml"))
    }

    fn messages(d: &[Diagnostic]) -> String {
        d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
    }

    const HEAD: &str = "video: { width: 640, height: 360, fps: 10 }\n";

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let (sb, d) = parse("video:\n  width: 640\n height: 360\n");
        assert!(sb.is_none());
        let m = messages(&d);
        assert!(m.starts_with("sb.yaml:3:") && m.contains("YAML syntax error"), "{m}");
        assert!(m.contains("hint: check the indentation"), "{m}");
    }

    #[test]
    fn every_broken_piece_is_reported_and_the_rest_is_kept() {
        let text = format!(
            "{HEAD}scenes:\n  - {{ id: a, duration: 1s, colour: red }}\n  - {{ id: b, duration: 2s, layers: [ {{ type: rect }} ] }}\n  - {{ id: c, duration: 3 }}\n"
        );
        let (sb, d) = parse(&text);
        let m = messages(&d);
        assert!(m.contains("unknown key `colour` in a scene"), "{m}");
        assert!(m.contains("sb.yaml:5:"), "the duration without a unit is located: {m}");
        let sb = sb.expect("the header parsed");
        assert_eq!(sb.scenes.len(), 3, "broken scenes are kept as stand-ins so their layers are checked");
        assert_eq!(sb.scenes[1].layers.len(), 1);
        assert_eq!(sb.scenes[1].layers[0].path, "scenes[1].layers[0]");
    }

    #[test]
    fn layers_and_variants_are_kept_as_written_for_their_kinds() {
        let text = format!(
            "{HEAD}scenes:\n  - id: a\n    duration: 1s\n    layers: [ {{ type: text, text: hi }} ]\n    variants:\n      - {{ when: \"x > 1\", layers: [ {{ type: rect }} ] }}\n"
        );
        let (sb, d) = parse(&text);
        assert!(d.is_empty(), "{}", messages(&d));
        let scene = &sb.unwrap().scenes[0];
        assert_eq!(scene.variants[0].when.as_ref().map(|e| e.source()), Some("x > 1"));
        assert_eq!(scene.all_layers().count(), 2);
        let (_, d) = parse(&format!("{HEAD}scenes:\n  - {{ id: a, duration: 1s, layers: [ 7 ] }}\n"));
        assert!(messages(&d).contains("a layer must be a mapping, but got the number 7"));
    }

    #[test]
    fn merge_keys_bring_in_the_anchored_keys_and_keep_their_lines() {
        let text = format!(
            "{HEAD}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - &box {{ type: rect, width: 10, height: 10 }}\n      - <<: *box\n        x: 5\n        widht: 3\n"
        );
        let (sb, d) = parse(&text);
        assert!(d.is_empty(), "{}", messages(&d));
        let layer = &sb.unwrap().scenes[0].layers[1];
        assert_eq!(layer.keys.get("type").and_then(Value::as_str), Some("rect"));
        assert!(layer.keys.get("<<").is_none(), "the merge key itself is gone");
        let spans = SpanMap::build(&text);
        assert_eq!(spans.value("scenes[0].layers[1].width"), Some(Pos { line: 6, column: 35 }));
        assert_eq!(spans.key("scenes[0].layers[1].widht"), Some(Pos { line: 9, column: 9 }));
        let (_, d) = parse(&format!("{HEAD}base: 3\nscenes:\n  - <<: 7\n    id: a\n"));
        let m = messages(&d);
        assert!(m.starts_with("sb.yaml:4:5: a YAML merge key (`<<`) cannot be applied"), "{m}");
    }

    #[test]
    fn a_storyboard_must_be_a_mapping_with_scenes() {
        let (_, d) = parse("- 1\n");
        assert!(messages(&d).contains("a storyboard must be a mapping"));
        let (_, d) = parse(HEAD);
        assert!(messages(&d).contains("the storyboard has no `scenes:`"));
        let (_, d) = parse(&format!("{HEAD}scenes: 3\n"));
        assert!(messages(&d).contains("`scenes` must be a list, but got the number 3"));
    }

    #[test]
    fn deep_yaml_is_refused_at_the_level_that_passes_the_limit() {
        let deep = format!("{HEAD}scenes: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let started = std::time::Instant::now();
        let (sb, d) = parse(&deep);
        assert!(sb.is_none());
        let m = messages(&d);
        // yaml-rust2's scanner reads ahead and stops at 255 levels of `[`, before its events
        // pass 64; its position is the one given.
        assert!(
            m.starts_with("sb.yaml:2:264: the YAML nests more than 255 levels deep here; the limit is 64"),
            "{m}"
        );
        assert!(m.contains("--limit yaml-depth"), "{m}");
        assert!(started.elapsed().as_secs() < 5, "stops at the limit: {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let block: String = (0..100_000).map(|_| "- ").collect();
        let m = messages(&parse(&format!("{HEAD}scenes:\n  {block}x\n")).1);
        assert!(m.starts_with("sb.yaml:3:129: the YAML nests 65 levels deep here; the limit is 64"), "{m}");
        assert!(started.elapsed().as_secs() < 5, "stops at the limit: {:?}", started.elapsed());
        let ok = format!("{HEAD}scenes: {}{}\n", "[".repeat(60), "]".repeat(60));
        assert!(!messages(&parse(&ok).1).contains("levels deep"));
    }
}
