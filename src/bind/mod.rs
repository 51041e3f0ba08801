//! Bind: storyboard + record -> scene graph.
//!
//! In: a parsed [`Storyboard`] and one [`Record`] at a time. Out: a [`SceneGraph`] in which every
//! template, expression, condition, unit, default and asset has been resolved for that record.
//!
//! A [`Binder`] is made once per storyboard: it reads each layer through its kind's module
//! (`layers`), checks everything (every problem at once), compiles every bindable value
//! (`template`) and loads the fonts. Binding a record then places the scenes that play on the
//! timeline ([`timeline`]), binds their layers, and resolves what goes with the picture
//! ([`companions`]: captions, sound, the landing page's buttons and text, the email stills).

pub mod companions;
pub mod lint;
pub mod timeline;
pub mod translations;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::assets::Assets;
use crate::audio;
use crate::layers::{compile_paint, Check, Layer};
use crate::limits::Limits;
use crate::record::Record;
use crate::scene::text::{Font, FontBook};
use crate::scene::SceneGraph;
use crate::storyboard::spans::{join_index, join_key};
use crate::storyboard::{self, Diagnostic, Diagnostics, Reporter, Storyboard};
use crate::template::messages::{MessageUse, Messages};
use crate::template::{locale, Compiled, Compiler, Context, Mode};
pub use crate::template::{BindError, ProblemKind, DEFAULT_LOCALE, FUEL};

/// A storyboard made ready to bind records: layers read, templates compiled, fonts loaded,
/// assets checked.
pub struct Binder {
    sb: Storyboard,
    /// Each scene's layers, read by their kinds' modules: `scenes[i]` for `sb.scenes[i]`.
    scenes: Vec<SceneLayers>,
    /// The templates and expressions of `sb` and `scenes`, compiled.
    compiled: Compiled,
    fonts: FontBook,
    assets: Assets,
    /// Decoded sound files: the music bed and the voice-overs recur across records.
    sounds: Mutex<HashMap<PathBuf, Arc<audio::Pcm>>>,
    /// Draw the captions into the picture (`--burn-captions`).
    burn_captions: bool,
    /// The bounds every record is held to.
    limits: Limits,
    /// Quote record values in errors (`--show-values`); off, errors give kind and size only.
    show_values: bool,
    /// The storyboard's translations (`translations:`), and its `t("id")` calls with literal ids.
    messages: Option<Arc<Messages>>,
    message_uses: Vec<MessageUse>,

    /// The storyboard's format as templates read it (`format.name`, `format.width`, …).
    format_value: serde_json::Value,
}

/// A scene's layers and its variants' layers, typed.
#[derive(Debug, Clone, Default)]
pub struct SceneLayers {
    pub layers: Vec<Layer>,
    /// `variants[i]` holds the layers of the scene's `variants[i]`.
    pub variants: Vec<Vec<Layer>>,
}

impl Binder {
    /// Prepares a storyboard that may have been only partly parsed: `earlier` are the parse
    /// problems, reported together with everything found in the parts that did parse, sorted by
    /// their place in the file.
    pub fn with_earlier_problems(
        mut sb: Storyboard,
        assets: Assets,
        earlier: Vec<Diagnostic>,
        limits: &Limits,
    ) -> Result<Binder, Diagnostics> {
        let assets = assets.with_limits(limits);
        let mut found = earlier;
        found.extend(storyboard::validate(&sb, &assets, limits));
        let source = sb.source.clone();
        let mut rep = Reporter::new(&source.file, &source.spans);
        let mut scenes = read_layers(&sb, &assets, &mut rep);
        let mut compiler = Compiler::with_limits(sb.currency.clone(), limits);
        let messages = translations::load(&sb, limits, &mut rep);
        if let Some(m) = &messages {
            compiler.translations(Arc::clone(m));
        }
        compile(&mut sb, &mut scenes, &mut compiler);
        for p in compiler.problems() {
            rep.error(&p.path, p.message.clone(), Some(p.hint.clone()));
        }
        let message_uses = compiler.message_uses().to_vec();
        translations::check_uses(&sb, messages.as_deref(), &message_uses, &mut rep);
        for (key, tag) in [("locale", &sb.locale), ("fallback_locale", &sb.fallback_locale)] {
            if let Some(Err(e)) = tag.as_deref().map(locale::check_locale) {
                rep.error(key, e.to_string(), Some(locale::SUPPORTED_HINT.into()));
            }
        }
        companions::check_ctas(&sb, &scenes, &mut rep);
        check_layer_refs(&sb, &scenes, &mut rep);
        let fonts = load_fonts(&sb, &assets, &mut rep);
        found.extend(rep.found);
        if !found.is_empty() {
            // By file (a storyboard's parts are files of their own), then by place in it.
            found.sort_by(|a, b| {
                let place = |d: &Diagnostic| d.pos.map(|p| (p.line, p.column));
                (&a.file, place(a)).cmp(&(&b.file, place(b)))
            });
            return Err(Diagnostics(found));
        }
        let f = &sb.format;
        let s = f.safe_area;
        let format_value = serde_json::json!({
            "name": f.name, "width": f.width, "height": f.height,
            "safe_area": { "top": s.top, "right": s.right, "bottom": s.bottom, "left": s.left },
        });
        Ok(Binder {
            format_value,
            sb,
            scenes,
            compiled: compiler.finish(),
            fonts,
            assets,
            sounds: Mutex::new(HashMap::new()),
            burn_captions: false,
            limits: *limits,
            show_values: false,
            messages,
            message_uses,
        })
    }

    /// Draws each scene's captions into the picture, at the bottom, instead of (as well as)
    /// writing them to a captions file.
    pub fn burn_captions(mut self, on: bool) -> Binder {
        self.burn_captions = on;
        self
    }

    /// Lets errors quote the record's values (cut to 80 characters, control characters
    /// escaped): the operator's choice, `--show-values`. Off, an error gives a value's kind and
    /// size only, so stdout, logs and the manifest carry no customer data.
    pub fn show_values(mut self, on: bool) -> Binder {
        self.show_values = on;
        self
    }

    pub fn burns_captions(&self) -> bool {
        self.burn_captions
    }

    pub fn storyboard(&self) -> &Storyboard {
        &self.sb
    }

    pub fn assets(&self) -> &Assets {
        &self.assets
    }

    /// The bounds every record is held to (`--limit`).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Resolves the storyboard for one record.
    pub fn bind(&self, record: &Record) -> Result<SceneGraph, BindError> {
        self.bind_with(record, false, None)
    }

    /// Binds for `check`: everything is resolved and laid out as for rendering, except the
    /// in-between frames of count-ups (only the first and final values can fail or overflow).
    pub fn bind_for_check(&self, record: &Record) -> Result<SceneGraph, BindError> {
        self.bind_with(record, true, None)
    }

    /// Binds for `check` and gathers every problem of the record (not only the first) and its
    /// layout warnings. The record renders in `batch` exactly when `problems` is empty.
    /// The graph comes back too when the record binds (the preview's window is read from it).
    pub fn check_record(&self, record: &Record) -> (lint::Gather, Option<SceneGraph>) {
        let mut gather = lint::Gather::default();
        let graph = match self.bind_with(record, true, Some(&mut gather)) {
            Ok(graph) => Some(graph),
            Err(e) => {
                if !gather.problems.contains(&e) {
                    gather.problems.push(e);
                }
                None
            }
        };
        (gather, graph)
    }

    fn bind_with(
        &self,
        record: &Record,
        check_only: bool,
        mut gather: Option<&mut lint::Gather>,
    ) -> Result<SceneGraph, BindError> {
        let started = std::time::Instant::now();
        let locate = |path: &str| self.locate(path);
        let mode = Mode {
            check_only,
            show_values: self.show_values,
            output_limit: self.limits.template_output_bytes,
            format: Some(&self.format_value),
        };
        let (compiled, vars) = (&self.compiled, &self.sb.vars);
        let (locale, fallback) = (self.sb.locale.as_deref(), self.sb.fallback_locale.as_deref());
        // The timeline first (the scenes' `when` and durations), then everything else bound
        // knowing the video's length: `video.seconds` (whole, rounded) and `video.duration`.
        // `vars` are evaluated once, before `video` exists (they cannot read it).
        let mut cx = Context::new(compiled, record, locale, fallback, vars, &locate, mode)?;
        if let Some(g) = gather.as_deref_mut() {
            g.locale = Some(cx.locale());
        }
        let plan = timeline::plan(self, &cx, gather.as_deref_mut())?;
        let secs = plan.total_frames as f64 / self.sb.video.fps as f64;
        if record.data.get("video").is_some() {
            let why = "the record has a field `video`, a name kept for the video's own values \
                       (`video.seconds`, `video.duration`); rename the field in the data";
            return Err(cx.err(ProblemKind::WrongValue, "", why).in_field("video"));
        }
        cx.define("video", serde_json::json!({ "seconds": secs.round() as u64, "duration": secs }));
        let graph = timeline::graph(self, &cx, &plan, gather)?;
        if let Some((scene, layer, chars)) = graph.missing_glyphs().into_iter().next() {
            let err = missing_glyphs_error(&scene, &layer, &chars);
            match self.sb.missing_glyphs {
                storyboard::MissingGlyphs::Fail => {
                    return Err(cx.err(ProblemKind::MissingGlyph, "", err));
                }
                // The characters are the customer's: the log names where, and how many.
                storyboard::MissingGlyphs::Replace => {
                    tracing::warn!(record = %record.id, scene, layer, characters = chars.len(), "text no font can draw is drawn as boxes (missing_glyphs: replace)")
                }
            }
        }
        tracing::debug!(
            record = %record.id,
            scenes = %graph.scenes.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(","),
            frames = graph.total_frames,
            micros = started.elapsed().as_micros() as u64,
            "bound record"
        );
        Ok(graph)
    }

    /// `file:line:column` of a storyboard path (in the part that wrote it, if a part did).
    fn locate(&self, path: &str) -> Option<String> {
        let at = self.sb.source.spans.locate(path, false)?;
        let file = at.part.map_or(&self.sb.source.file, |p| &p.shown);
        Some(format!("{}:{}:{}", file.display(), at.pos.line, at.pos.column))
    }
}

/// Why a record's text cannot be drawn, without quoting it (the characters are the
/// customer's): how many characters, of what sort, where, and the two ways out.
fn missing_glyphs_error(scene: &str, layer: &str, chars: &[char]) -> String {
    let controls = chars.iter().filter(|c| c.is_control()).count();
    let others = chars.len() - controls;
    let what = match (others, controls) {
        (0, n) => {
            format!("{n} kind(s) of control character (NUL, a lone carriage return, ...) that no font draws")
        }
        (n, 0) => format!("{n} character(s) that no font of the storyboard has"),
        (n, k) => format!(
            "{n} character(s) that no font of the storyboard has and {k} kind(s) of control character"
        ),
    };
    format!(
        "scene `{scene}`, layer `{layer}`: the text has {what}; add a font that covers them to \
         `fallback_fonts`, or set `missing_glyphs: replace` to draw them as boxes"
    )
}

/// Reads every layer through its kind's module and checks it.
fn read_layers(sb: &Storyboard, assets: &Assets, rep: &mut Reporter) -> Vec<SceneLayers> {
    let read = |rep: &mut Reporter, sources: &[storyboard::LayerSource]| -> Vec<Layer> {
        sources.iter().filter_map(|s| Layer::parse(s, rep)).collect()
    };
    let scenes: Vec<SceneLayers> = sb
        .scenes
        .iter()
        .map(|s| SceneLayers {
            layers: read(rep, &s.layers),
            variants: s.variants.iter().map(|v| read(rep, &v.layers)).collect(),
        })
        .collect();
    let mut check = Check { rep, fonts: &sb.fonts, assets, layer: String::new() };
    for layer in scenes.iter().flat_map(|s| s.layers.iter().chain(s.variants.iter().flatten())) {
        layer.validate(&mut check);
    }
    scenes
}

/// Compiles every bindable value of the storyboard and its layers.
fn compile(sb: &mut Storyboard, scenes: &mut [SceneLayers], c: &mut Compiler) {
    if let Some(bg) = &mut sb.video.background {
        compile_paint(bg, c, "video.background".into());
    }
    for (name, expr) in sb.vars.iter_mut() {
        c.expr(expr, join_key("vars", name));
    }
    vars_in_order(sb, c);
    if let Some(a) = &mut sb.audio {
        c.template(&mut a.music, "audio.music".into());
    }
    for (i, cta) in sb.cta.iter_mut().enumerate() {
        let cp = join_index("cta", i);
        c.template(&mut cta.label, join_key(&cp, "label"));
        c.template(&mut cta.href, join_key(&cp, "href"));
        c.template(&mut cta.background, join_key(&cp, "background"));
        c.template(&mut cta.color, join_key(&cp, "color"));
        if let Some(fill) = &mut cta.fill {
            compile_paint(fill, c, join_key(&cp, "fill"));
        }
    }
    if let Some(p) = &mut sb.page {
        c.template(&mut p.title, "page.title".into());
        c.template(&mut p.background, "page.background".into());
        c.template(&mut p.color, "page.color".into());
        c.template_opt(&mut p.transcript, "page.transcript".into());
        for (i, l) in p.summary.iter_mut().enumerate() {
            c.template(l, join_index("page.summary", i));
        }
    }
    for (scene, layers) in sb.scenes.iter_mut().zip(scenes.iter_mut()) {
        let sp = scene.path.clone();
        c.expr_opt(&mut scene.when, join_key(&sp, "when"));
        c.template_opt(&mut scene.caption, join_key(&sp, "caption"));
        for (ci, clip) in scene.audio.iter_mut().enumerate() {
            let cp = join_index(&join_key(&sp, "audio"), ci);
            c.template(&mut clip.src, join_key(&cp, "src"));
            c.expr_opt(&mut clip.when, join_key(&cp, "when"));
        }
        if let Some(bg) = &mut scene.background {
            compile_paint(bg, c, join_key(&sp, "background"));
        }
        for v in scene.variants.iter_mut() {
            c.expr_opt(&mut v.when, join_key(&v.path, "when"));
        }
        for layer in layers.layers.iter_mut().chain(layers.variants.iter_mut().flatten()) {
            layer.compile(c);
        }
    }
}

/// A var that reads a var written after it: vars are made in order, so at that point the later
/// one does not exist yet, and the name would read a record field of that name instead (which
/// the later var then hides from every other template). No record can make that mean what the
/// author meant, so it is an error before any record is read.
fn vars_in_order(sb: &Storyboard, c: &mut Compiler) {
    for (i, (name, expr)) in sb.vars.iter().enumerate() {
        for root in crate::template::types::used_in_expression(expr.source()).roots {
            if let Some(j) = sb.vars.get_index_of(&root).filter(|j| *j > i) {
                c.report(
                    join_key("vars", name),
                    format!("var `{name}` reads `{root}`, which is defined after it (vars are made in order, top to bottom)"),
                    format!("move `{root}` above `{name}` in `vars:` (var {} of {})", j + 1, sb.vars.len()),
                );
            }
        }
    }
}

/// Every `layers.NAME` a layer's box or motion reads names a layer bound before it in its scene
/// (the scene's own layers in order, then its variant's): layers are bound top to bottom, so
/// one below is not measured yet. Otherwise an error at the expression, with a guess.
fn check_layer_refs(sb: &Storyboard, scenes: &[SceneLayers], rep: &mut Reporter) {
    for (scene, layers) in sb.scenes.iter().zip(scenes) {
        let own = layers.layers.iter().map(|l| (l, &[][..]));
        let variants = layers.variants.iter().flat_map(|v| v.iter().map(move |l| (l, v.as_slice())));
        let all: Vec<&str> = layers
            .layers
            .iter()
            .chain(layers.variants.iter().flatten())
            .filter_map(|l| l.common.name.as_deref())
            .collect();
        for (layer, variant) in own.chain(variants) {
            // Before it: the scene's own layers above it, or (in a variant) all of them and the
            // variant's layers above it.
            let (list, at): (Vec<&Layer>, usize) = if variant.is_empty() {
                let at = layers.layers.iter().position(|l| std::ptr::eq(l, layer)).unwrap_or(0);
                (layers.layers.iter().collect(), at)
            } else {
                let at = variant.iter().position(|l| std::ptr::eq(l, layer)).unwrap_or(0);
                let list: Vec<&Layer> = layers.layers.iter().chain(variant.iter()).collect();
                (list, layers.layers.len() + at)
            };
            let before: Vec<&str> = list[..at].iter().filter_map(|l| l.common.name.as_deref()).collect();
            for expr in layer.common.exprs() {
                for name in crate::layers::layers_read(expr) {
                    if before.contains(&name.as_str()) {
                        continue;
                    }
                    let (message, hint) = if all.contains(&name.as_str()) {
                        (
                            format!("`{}` reads layer `{name}`, which is bound after this one", expr.source()),
                            format!("layers are bound top to bottom: move `{name}` above this layer in scene `{}`", scene.id),
                        )
                    } else {
                        let hint = match storyboard::closest(&name, all.iter().copied()) {
                            Some(g) => format!(
                                "did you mean `{g}`? named layers of scene `{}`: {}",
                                scene.id,
                                all.join(", ")
                            ),
                            None if all.is_empty() => "give the layer to measure a `name:`".to_string(),
                            None => format!("named layers of scene `{}`: {}", scene.id, all.join(", ")),
                        };
                        (
                            format!(
                                "`{}` reads layer `{name}`, but scene `{}` has no layer named so",
                                expr.source(),
                                scene.id
                            ),
                            hint,
                        )
                    };
                    rep.error(expr.path(), message, Some(hint));
                }
            }
        }
    }
}

/// Loads the storyboard's fonts (missing files were reported by validation).
fn load_fonts(sb: &Storyboard, assets: &Assets, rep: &mut Reporter) -> FontBook {
    let mut fonts = FontBook::default();
    for (name, file) in &sb.fonts {
        if let Ok(bytes) = assets.read(file) {
            match Font::from_bytes(name, bytes) {
                Ok(f) => fonts.insert(f),
                Err(e) => rep.error(
                    &join_key("fonts", name),
                    e.to_string(),
                    Some("use a TrueType (.ttf) or OpenType (.otf) file".into()),
                ),
            }
        }
    }
    for name in sb.fonts.keys() {
        fonts.set_fallbacks(name, sb.fallback_fonts.of(name));
    }
    fonts
}
