//! Bind: storyboard + record -> scene graph.
//!
//! In: a validated [`Storyboard`] and one [`Record`]. Out: a [`SceneGraph`] in which every
//! template, expression, condition, unit, default and asset has been resolved for that record.
//!
//! Templates (`{{ customer.first_name }}`), conditions (`when:`) and derived values (`vars:`)
//! are evaluated by minijinja: an `Environment::empty()` (no loader, so no file access; no
//! auto-escaping, since the output is drawn, not served), strict about undefined values so a
//! missing field is an error that names it, and with a fuel limit so no template can loop
//! forever. Customer data is only ever context, never template source: a name such as
//! `{{ 7*7 }}` is drawn literally.

pub mod locale;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};

use crate::assets::Assets;
use crate::audio;
use crate::record::Record;
use crate::scene::chart::{self, ChartStyle, SeriesData};
use crate::scene::text::{self, Font, FontBook, FontChain, TextStyle};
use crate::scene::{self, Animation, Key, Node, NodeKind, Paint, Rect, SceneGraph, TextNode, Track};
use crate::storyboard::markup;
use crate::storyboard::spans::{join_index, join_key};
use crate::storyboard::{
    self, Diagnostic, Diagnostics, Fit, LabelsSpec, Layer, LayerKind, Motion, PaintSpec, Preset, Reporter,
    Storyboard, Transition,
};
use crate::style::{self as units, Easing, Rgba};

/// Fuel for one template or expression evaluation: generous for real templates, small enough
/// that a runaway loop fails in milliseconds.
pub const FUEL: u64 = 50_000;

/// Locale used when neither the record nor the storyboard names one.
pub const DEFAULT_LOCALE: &str = "en-GB";

/// Why one record could not be bound.
#[derive(Debug, Clone, PartialEq)]
pub struct BindError {
    pub kind: ProblemKind,
    pub record: String,
    /// Storyboard path of the value being resolved (`scenes[1].layers[2].text`).
    pub path: String,
    pub location: Option<String>,
    pub message: String,
}

/// What kind of problem a record has, for `check`'s summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A bound field is not in the record.
    MissingField,
    /// A value has the wrong type or cannot be used (not a number, not a date, bad locale).
    WrongValue,
    /// An image the record selects does not exist or cannot be read.
    MissingAsset,
    /// Text does not fit its box even at its smallest size, or a QR code does not fit.
    TextOverflow,
    /// Text has characters no font has.
    MissingGlyph,
    /// The input line is not a record (bad JSON or CSV, no id, duplicate id).
    UnreadableLine,
    /// Anything else (a template that fails, no scene to play).
    Other,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::MissingField => "missing field",
            ProblemKind::WrongValue => "wrong value",
            ProblemKind::MissingAsset => "missing asset",
            ProblemKind::TextOverflow => "text overflow",
            ProblemKind::MissingGlyph => "missing glyph",
            ProblemKind::UnreadableLine => "unreadable line",
            ProblemKind::Other => "other",
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "record {}: {}", self.record, self.message)?;
        match (&self.location, self.path.is_empty()) {
            (_, true) => Ok(()),
            (Some(loc), false) => write!(f, " (in {} at {loc})", self.path),
            (None, false) => write!(f, " (in {})", self.path),
        }
    }
}

impl std::error::Error for BindError {}

/// A storyboard made ready to bind records: templates compiled, fonts loaded, assets checked.
pub struct Binder {
    sb: Storyboard,
    /// The template environment and the storyboard's expressions compiled in it, by path.
    compiled: Compiled,
    fonts: FontBook,
    assets: Assets,
    /// Resized images, keyed by (asset path, width, height, fit): most records share them.
    images: Mutex<HashMap<ImageKey, Arc<tiny_skia::Pixmap>>>,
    /// Decoded sound files: the music bed and the voice-overs recur across records.
    sounds: Mutex<HashMap<PathBuf, Arc<audio::Pcm>>>,
    /// Draw the captions into the picture (`--burn-captions`).
    burn_captions: bool,
}

/// Expressions (`when`, `vars`, chart data...) compiled once per storyboard, by path.
type Expressions<'env> = HashMap<String, minijinja::Expression<'env, 'static>>;

self_cell::self_cell!(
    /// A minijinja environment and the expressions compiled against it (they borrow it).
    struct Compiled {
        owner: Environment<'static>,
        #[covariant]
        dependent: Expressions,
    }
);

/// A fitted image: (asset file, box width, box height, fit, corner radius in 1/100 px).
type ImageKey = (PathBuf, u32, u32, Fit, u32);

/// The values a record's templates see: the record's fields, then `vars`, then `locale`.
type Context = BTreeMap<String, Value>;

impl Binder {
    /// Prepares a storyboard. Reports every problem at once: the storyboard's own checks,
    /// template and expression syntax, fonts and static assets.
    pub fn new(sb: Storyboard, assets: Assets) -> Result<Binder, Diagnostics> {
        Binder::with_earlier_problems(sb, assets, Vec::new())
    }

    /// Like [`Binder::new`] for a storyboard that was only partly parsed: `earlier` are the
    /// parse problems, reported together with everything found in the parts that did parse.
    pub fn with_earlier_problems(
        sb: Storyboard,
        assets: Assets,
        earlier: Vec<Diagnostic>,
    ) -> Result<Binder, Diagnostics> {
        let mut found = earlier;
        found.extend(storyboard::validate(&sb, &assets));
        let mut rep = Reporter::new(&sb.source.file, &sb.source.spans);
        let env = make_env(sb.currency.clone());
        let mut env = env;
        for (path, source, kind) in bindable_strings(&sb) {
            match kind {
                Kind::Template if source.contains("{{") || source.contains("{%") => {
                    if let Err(e) = env.add_template_owned(path.clone(), source.to_string()) {
                        rep.error(&path, format!("template error: {}", e.detail().unwrap_or(&e.to_string())), Some("templates use minijinja syntax: {{ customer.first_name }}, {{ bill.total | currency }}".into()));
                    }
                }
                Kind::Template => {}
                Kind::Expr => {
                    if let Err(e) = env.compile_expression(source) {
                        rep.error(
                            &path,
                            format!(
                                "expression error in `{source}`: {}",
                                e.detail().unwrap_or(&e.to_string())
                            ),
                            Some(
                                "expressions are written without braces, e.g. `bill.overdue_days > 0`".into(),
                            ),
                        );
                    }
                }
            }
        }
        if let Some(l) = &sb.locale {
            if let Err(e) = locale::parse_locale(l) {
                rep.error("locale", e, None);
            }
        }
        let mut fonts = FontBook::default();
        for (name, file) in &sb.fonts {
            if let Ok(bytes) = assets.read(file) {
                match Font::from_bytes(name, bytes) {
                    Ok(f) => fonts.insert(f),
                    Err(e) => rep.error(
                        &join_key("fonts", name),
                        e,
                        Some("use a TrueType (.ttf) or OpenType (.otf) file".into()),
                    ),
                }
            }
        }
        fonts.set_fallbacks(&sb.fallback_fonts);
        found.extend(rep.found);
        if !found.is_empty() {
            found.sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
            return Err(Diagnostics(found));
        }
        // Compile every expression once; binding a record then only evaluates them.
        let sources: Vec<(String, String)> = bindable_strings(&sb)
            .into_iter()
            .filter(|(_, _, kind)| *kind == Kind::Expr)
            .map(|(path, source, _)| (path, source.to_string()))
            .collect();
        let compiled = Compiled::new(env, |env| {
            sources
                .into_iter()
                .filter_map(|(path, source)| env.compile_expression_owned(source).ok().map(|e| (path, e)))
                .collect()
        });
        Ok(Binder {
            sb,
            compiled,
            fonts,
            assets,
            images: Mutex::new(HashMap::new()),
            sounds: Mutex::new(HashMap::new()),
            burn_captions: false,
        })
    }

    /// Draws each scene's captions into the picture, at the bottom, instead of (as well as)
    /// writing them to a captions file.
    pub fn burn_captions(mut self, on: bool) -> Binder {
        self.burn_captions = on;
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

    /// Resolves the storyboard for one record.
    pub fn bind(&self, record: &Record) -> Result<SceneGraph, BindError> {
        self.bind_with(record, false)
    }

    /// Binds for `check`: everything is resolved and laid out as for rendering, except the
    /// in-between frames of count-ups (only the first and final values can fail or overflow).
    pub fn bind_for_check(&self, record: &Record) -> Result<SceneGraph, BindError> {
        self.bind_with(record, true)
    }

    fn bind_with(&self, record: &Record, check_only: bool) -> Result<SceneGraph, BindError> {
        let started = std::time::Instant::now();
        let mut b = Bound {
            binder: self,
            record,
            ctx: Context::new(),
            scope: Value::UNDEFINED,
            check_only,
            undefined_vars: HashMap::new(),
        };
        b.build_context()?;
        let graph = b.graph()?;
        for (scene, layer, chars) in graph.missing_glyphs() {
            tracing::warn!(record = %record.id, scene, layer, missing = %chars.iter().collect::<String>(), "no font has these characters; they draw as boxes");
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

    fn locate(&self, path: &str) -> Option<String> {
        self.sb
            .source
            .spans
            .value(path)
            .map(|p| format!("{}:{}:{}", self.sb.source.file.display(), p.line, p.column))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Template,
    Expr,
}

/// Every string of a storyboard that bind evaluates, with its path.
fn bindable_strings(sb: &Storyboard) -> Vec<(String, &str, Kind)> {
    let mut out = Vec::new();
    if let Some(bg) = &sb.video.background {
        paint(&mut out, "video.background".into(), bg);
    }
    for (name, expr) in &sb.vars {
        out.push((join_key("vars", name), expr.as_str(), Kind::Expr));
    }
    if let Some(a) = &sb.audio {
        out.push(("audio.music".into(), a.music.as_str(), Kind::Template));
    }
    for (i, c) in sb.cta.iter().enumerate() {
        let cp = join_index("cta", i);
        for (key, v) in
            [("label", &c.label), ("href", &c.href), ("background", &c.background), ("color", &c.color)]
        {
            out.push((join_key(&cp, key), v.as_str(), Kind::Template));
        }
    }
    if let Some(p) = &sb.page {
        out.push(("page.title".into(), p.title.as_str(), Kind::Template));
        out.push(("page.background".into(), p.background.as_str(), Kind::Template));
        out.push(("page.color".into(), p.color.as_str(), Kind::Template));
        if let Some(t) = &p.transcript {
            out.push(("page.transcript".into(), t.as_str(), Kind::Template));
        }
        for (i, l) in p.summary.iter().enumerate() {
            out.push((join_index("page.summary", i), l.as_str(), Kind::Template));
        }
    }
    for scene in &sb.scenes {
        let sp = scene.path.as_str();
        if let Some(w) = &scene.when {
            out.push((join_key(sp, "when"), w.as_str(), Kind::Expr));
        }
        if let Some(c) = &scene.caption {
            out.push((join_key(sp, "caption"), c.as_str(), Kind::Template));
        }
        for (ci, clip) in scene.audio.iter().enumerate() {
            let cp = join_index(&join_key(sp, "audio"), ci);
            out.push((join_key(&cp, "src"), clip.src.as_str(), Kind::Template));
            if let Some(w) = &clip.when {
                out.push((join_key(&cp, "when"), w.as_str(), Kind::Expr));
            }
        }
        if let Some(bg) = &scene.background {
            paint(&mut out, join_key(sp, "background"), bg);
        }
        for v in &scene.variants {
            if let Some(w) = &v.when {
                out.push((join_key(&v.path, "when"), w.as_str(), Kind::Expr));
            }
        }
        for layer in scene.all_layers() {
            let lp = layer.path.as_str();
            if let Some(w) = &layer.common.when {
                out.push((join_key(lp, "when"), w.as_str(), Kind::Expr));
            }
            if let Some(c) = &layer.common.caption {
                out.push((join_key(lp, "caption"), c.as_str(), Kind::Template));
            }
            match &layer.kind {
                LayerKind::Rect(r) => {
                    if let Some(f) = &r.fill {
                        paint(&mut out, join_key(lp, "fill"), f);
                    }
                    if let Some(s) = &r.stroke {
                        out.push((
                            join_key(&join_key(lp, "stroke"), "color"),
                            s.color.as_str(),
                            Kind::Template,
                        ));
                    }
                }
                LayerKind::Text(t) => {
                    out.push((join_key(lp, "text"), t.text.as_str(), Kind::Template));
                    out.push((join_key(lp, "color"), t.color.as_str(), Kind::Template));
                    if let Some(o) = &t.outline {
                        out.push((
                            join_key(&join_key(lp, "outline"), "color"),
                            o.color.as_str(),
                            Kind::Template,
                        ));
                    }
                    if let Some(sh) = &t.shadow {
                        out.push((
                            join_key(&join_key(lp, "shadow"), "color"),
                            sh.color.as_str(),
                            Kind::Template,
                        ));
                    }
                    if let Some(c) = &t.count_up {
                        out.push((join_key(&join_key(lp, "count_up"), "to"), c.to.as_str(), Kind::Expr));
                    }
                }
                LayerKind::Image(i) => out.push((join_key(lp, "src"), i.src.as_str(), Kind::Template)),
                LayerKind::Progress(p) => {
                    out.push((join_key(lp, "value"), p.value.as_str(), Kind::Expr));
                    out.push((join_key(lp, "max"), p.max.as_str(), Kind::Expr));
                    out.push((join_key(lp, "color"), p.color.as_str(), Kind::Template));
                    out.push((join_key(lp, "track"), p.track.as_str(), Kind::Template));
                    out.push((join_key(lp, "marker_color"), p.marker_color.as_str(), Kind::Template));
                    if let Some(m) = &p.marker {
                        out.push((join_key(lp, "marker"), m.as_str(), Kind::Expr));
                    }
                }
                LayerKind::Qr(q) => {
                    out.push((join_key(lp, "data"), q.data.as_str(), Kind::Template));
                    out.push((join_key(lp, "color"), q.color.as_str(), Kind::Template));
                    out.push((join_key(lp, "background"), q.background.as_str(), Kind::Template));
                }
                LayerKind::BarChart(c) | LayerKind::LineChart(c) => {
                    labels_strings(&mut out, lp, &c.labels);
                    out.push((join_key(lp, "value_format"), c.value_format.as_str(), Kind::Template));
                    out.push((join_key(lp, "tick_format"), c.tick_format.as_str(), Kind::Template));
                    out.push((join_key(lp, "label_color"), c.label_color.as_str(), Kind::Template));
                    out.push((join_key(lp, "grid_color"), c.grid_color.as_str(), Kind::Template));
                    if let Some(h) = &c.highlight {
                        out.push((join_key(lp, "highlight"), h.as_str(), Kind::Expr));
                    }
                    for (i, s) in c.series.iter().enumerate() {
                        let p = join_index(&join_key(lp, "series"), i);
                        out.push((join_key(&p, "values"), s.values.as_str(), Kind::Expr));
                        if let Some(color) = &s.color {
                            out.push((join_key(&p, "color"), color.as_str(), Kind::Template));
                        }
                        if let Some(l) = &s.label {
                            out.push((join_key(&p, "label"), l.as_str(), Kind::Template));
                        }
                    }
                }
                LayerKind::Donut(d) => {
                    labels_strings(&mut out, lp, &d.labels);
                    out.push((join_key(lp, "values"), d.values.as_str(), Kind::Expr));
                    out.push((join_key(lp, "label_format"), d.label_format.as_str(), Kind::Template));
                    out.push((join_key(lp, "label_color"), d.label_color.as_str(), Kind::Template));
                    if let Some(c) = &d.center {
                        out.push((join_key(lp, "center"), c.as_str(), Kind::Template));
                    }
                    for (i, c) in d.colors.iter().flatten().enumerate() {
                        out.push((join_index(&join_key(lp, "colors"), i), c.as_str(), Kind::Template));
                    }
                }
                LayerKind::Comparison(k) => {
                    out.push((join_key(lp, "value"), k.value.as_str(), Kind::Expr));
                    out.push((join_key(lp, "previous"), k.previous.as_str(), Kind::Expr));
                    for (key, v) in [
                        ("format", &k.format),
                        ("delta_format", &k.delta_format),
                        ("color", &k.color),
                        ("label_color", &k.label_color),
                        ("good_color", &k.good_color),
                        ("bad_color", &k.bad_color),
                    ] {
                        out.push((join_key(lp, key), v.as_str(), Kind::Template));
                    }
                    if let Some(l) = &k.label {
                        out.push((join_key(lp, "label"), l.as_str(), Kind::Template));
                    }
                }
            }
        }
    }
    out
}

/// A chart's category labels: one expression, or a literal list of templates.
fn labels_strings<'s>(out: &mut Vec<(String, &'s str, Kind)>, lp: &str, labels: &'s LabelsSpec) {
    match labels {
        LabelsSpec::Expr(e) => out.push((join_key(lp, "labels"), e.as_str(), Kind::Expr)),
        LabelsSpec::List(l) => {
            for (i, s) in l.iter().enumerate() {
                out.push((join_index(&join_key(lp, "labels"), i), s.as_str(), Kind::Template));
            }
        }
    }
}

fn paint<'s>(out: &mut Vec<(String, &'s str, Kind)>, path: String, p: &'s PaintSpec) {
    match p {
        PaintSpec::Color(c) => out.push((path, c.as_str(), Kind::Template)),
        PaintSpec::Linear(l) => {
            for (i, s) in l.stops.iter().enumerate() {
                out.push((
                    join_index(&join_key(&join_key(&path, "linear"), "stops"), i),
                    s.as_str(),
                    Kind::Template,
                ));
            }
        }
    }
}

/// The sandboxed template environment with billreel's filters.
fn make_env(default_currency: Option<String>) -> Environment<'static> {
    // `new()` brings the builtin filters and tests (upper, round, default, map, join, ...) but
    // no loader, so templates still cannot read files; auto-escaping is switched off below.
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(
        |name| if name.ends_with(".text") { MARKUP } else { minijinja::AutoEscape::None },
    );
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == MARKUP && !value.is_safe() {
            if !value.is_undefined() && !value.is_none() {
                out.write_str(&markup::escape(&value.to_string()))?;
            }
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("currency", move |state: &State, value: Value, code: Option<String>| {
        let v = number_arg(&value, "currency")?;
        let code = code.or_else(|| default_currency.clone()).ok_or_else(|| {
            op_error("`| currency` needs a currency code: write `| currency('EUR')` or set `currency:` in the storyboard".into())
        })?;
        locale::format_currency(&state_locale(state), v, &code).map_err(op_error)
    });
    env.add_filter("number", |state: &State, value: Value, decimals: Option<u8>| {
        let v = number_arg(&value, "number")?;
        locale::format_number(&state_locale(state), v, decimals.unwrap_or(0).min(12)).map_err(op_error)
    });
    env.add_filter("percent", |state: &State, value: Value, decimals: Option<u8>| {
        let v = number_arg(&value, "percent")?;
        locale::format_percent(&state_locale(state), v, decimals.unwrap_or(0).min(12)).map_err(op_error)
    });
    env.add_filter("date", |state: &State, value: Value, style: Option<String>| {
        let text = value.as_str().ok_or_else(|| {
            op_error(format!("`| date` expects a date string like \"2026-12-15\", but got {value}"))
        })?;
        let date = locale::parse_iso_date(text).map_err(op_error)?;
        let style = locale::DateStyle::parse(style.as_deref().unwrap_or("long")).map_err(op_error)?;
        locale::format_date(&state_locale(state), date, style).map_err(op_error)
    });
    env
}

fn op_error(msg: String) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, msg)
}

fn number_arg(value: &Value, filter: &str) -> Result<f64, minijinja::Error> {
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone())
            .map_err(|_| op_error(format!("`| {filter}` got a value that is not a number: {value}"))),
        _ => Err(op_error(format!("`| {filter}` expects a number, but got {} `{value}`", kind_name(value)))),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Undefined => "nothing",
        ValueKind::None => "null",
        ValueKind::Bool => "the boolean",
        ValueKind::Number => "the number",
        ValueKind::String => "the string",
        ValueKind::Seq => "the list",
        ValueKind::Map => "the object",
        _ => "the value",
    }
}

fn state_locale(state: &State) -> String {
    state
        .lookup("locale")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| DEFAULT_LOCALE.into())
}

/// Binding in progress for one record.
struct Bound<'a> {
    binder: &'a Binder,
    record: &'a Record,
    ctx: Context,
    /// `ctx` as one minijinja map, which templates and expressions read. Built from the
    /// values (shared, not copied) whenever `ctx` changes: handing minijinja the BTreeMap
    /// itself would serialise all of it on every render.
    scope: Value,
    /// Skip work only rendering needs (see [`Binder::bind_for_check`]).
    check_only: bool,
    /// Vars that came out undefined, with the record fields they needed and did not find: a
    /// template that uses one then names those fields, not the var.
    undefined_vars: HashMap<String, Vec<String>>,
}

impl<'a> Bound<'a> {
    fn sb(&self) -> &'a Storyboard {
        &self.binder.sb
    }

    fn err(&self, path: &str, message: impl Into<String>) -> BindError {
        self.err_kind(ProblemKind::Other, path, message)
    }

    fn err_kind(&self, kind: ProblemKind, path: &str, message: impl Into<String>) -> BindError {
        BindError {
            kind,
            record: self.record.id.clone(),
            path: path.to_string(),
            location: self.binder.locate(path),
            message: message.into(),
        }
    }

    /// Turns a minijinja error into one that names the record and, when a field is missing,
    /// the field's path.
    fn template_err(&self, path: &str, e: minijinja::Error, referenced: HashSet<String>) -> BindError {
        if e.kind() == ErrorKind::UndefinedError {
            if let Some(first) = self.missing_fields(referenced).first() {
                return self.err_kind(
                    ProblemKind::MissingField,
                    path,
                    format!("the record has no field `{first}`"),
                );
            }
        }
        let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.to_string());
        let (kind, msg) = match e.kind() {
            ErrorKind::OutOfFuel => (
                ProblemKind::Other,
                "the template ran too long (fuel limit reached); is there a loop that never ends?"
                    .to_string(),
            ),
            ErrorKind::UndefinedError => {
                (ProblemKind::MissingField, format!("a value is undefined: {detail}"))
            }
            // Our filters fail with InvalidOperation when a value cannot be formatted.
            ErrorKind::InvalidOperation => (ProblemKind::WrongValue, detail),
            _ => (ProblemKind::Other, detail),
        };
        self.err_kind(kind, path, msg)
    }

    /// The record fields the expression at `path` refers to and the record lacks (through
    /// undefined vars too).
    fn missing_in(&self, path: &str) -> Vec<String> {
        match self.binder.compiled.borrow_dependent().get(path) {
            Some(expr) => self.missing_fields(expr.undeclared_variables(true)),
            None => Vec::new(),
        }
    }

    /// Of the dotted paths a template or expression refers to, those the record lacks, sorted;
    /// an undefined var stands for the fields it lacked.
    fn missing_fields(&self, referenced: HashSet<String>) -> Vec<String> {
        let mut missing: Vec<String> = referenced
            .into_iter()
            .flat_map(|p| match self.undefined_vars.get(p.split('.').next().unwrap_or_default()) {
                Some(fields) => fields.clone(),
                None => vec![p],
            })
            .filter(|p| !self.has_path(p))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// Whether a dotted path exists in the context (`customer.first_name`).
    fn has_path(&self, dotted: &str) -> bool {
        let mut parts = dotted.split('.');
        let Some(first) = parts.next() else {
            return false;
        };
        let Some(mut v) = self.ctx.get(first).cloned() else {
            return false;
        };
        for p in parts {
            match v.get_attr(p) {
                Ok(next) if !next.is_undefined() => v = next,
                _ => return false,
            }
        }
        true
    }

    fn build_context(&mut self) -> Result<(), BindError> {
        let data = Value::from_serialize(&self.record.data);
        if let Some(obj) = self.record.data.as_object() {
            for k in obj.keys() {
                self.ctx.insert(k.clone(), data.get_attr(k).unwrap_or_default());
            }
        }
        let loc = match self.record.data.get("locale") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(self.err_kind(
                    ProblemKind::WrongValue,
                    "",
                    format!("the record's `locale` must be a string like \"de-DE\", but is {other}"),
                ))
            }
            None => self.sb().locale.clone().unwrap_or_else(|| DEFAULT_LOCALE.into()),
        };
        locale::parse_locale(&loc)
            .map_err(|e| self.err_kind(ProblemKind::WrongValue, "", format!("field `locale`: {e}")))?;
        self.ctx.insert("locale".into(), Value::from(loc));
        self.refresh_scope();
        for (name, expr) in &self.sb().vars {
            let path = join_key("vars", name);
            let v = self.eval(&path, expr)?;
            if v.is_undefined() {
                let missing = self.missing_in(&path);
                self.undefined_vars.insert(name.clone(), missing);
            }
            self.ctx.insert(name.clone(), v);
            self.refresh_scope();
        }
        Ok(())
    }

    fn refresh_scope(&mut self) {
        self.scope = Value::from_iter(self.ctx.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    /// The scope with a few more values (`value` for a label, `count` for a count-up).
    fn scope_with(&self, extra: &[(&str, Value)]) -> Value {
        let extra = Value::from_iter(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        minijinja::value::merge_maps([extra, self.scope.clone()])
    }

    /// Evaluates an expression (a condition, a var, a data reference).
    fn eval(&self, path: &str, source: &str) -> Result<Value, BindError> {
        let eval = |expr: &minijinja::Expression| {
            expr.eval(&self.scope).map_err(|e| self.template_err(path, e, expr.undeclared_variables(true)))
        };
        match self.binder.compiled.borrow_dependent().get(path) {
            Some(expr) => eval(expr),
            // Every storyboard expression is compiled up front; this is only a safety net.
            None => {
                let env = self.binder.compiled.borrow_owner();
                eval(&env.compile_expression(source).map_err(|e| self.err(path, e.to_string()))?)
            }
        }
    }

    fn eval_bool(&self, path: &str, source: &Option<String>) -> Result<bool, BindError> {
        match source {
            None => Ok(true),
            Some(s) => Ok(self.eval(path, s)?.is_true()),
        }
    }

    /// Renders a string that may be a template (compiled under its path) or a literal.
    fn text(&self, path: &str, literal: &str) -> Result<String, BindError> {
        self.text_with(path, literal, &self.scope)
    }

    fn text_with(&self, path: &str, literal: &str, ctx: &Value) -> Result<String, BindError> {
        match self.binder.compiled.borrow_owner().get_template(path) {
            Ok(t) => t.render(ctx).map_err(|e| self.template_err(path, e, t.undeclared_variables(true))),
            Err(_) => Ok(literal.to_string()),
        }
    }

    fn color(&self, path: &str, literal: &str) -> Result<Rgba, BindError> {
        let s = self.text(path, literal)?;
        units::parse_color(&s).map_err(|e| self.err_kind(ProblemKind::WrongValue, path, e))
    }

    fn paint(&self, path: &str, p: &PaintSpec) -> Result<Paint, BindError> {
        Ok(match p {
            PaintSpec::Color(c) => Paint::Solid(self.color(path, c)?),
            PaintSpec::Linear(l) => Paint::Linear {
                angle: l.angle,
                stops: l
                    .stops
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        self.color(&join_index(&join_key(&join_key(path, "linear"), "stops"), i), s)
                    })
                    .collect::<Result<_, _>>()?,
            },
        })
    }

    fn number(&self, path: &str, v: &Value, what: &str) -> Result<f64, BindError> {
        match v.kind() {
            ValueKind::Number => f64::try_from(v.clone()).map_err(|_| {
                self.err_kind(ProblemKind::WrongValue, path, format!("{what} is not a number: {v}"))
            }),
            ValueKind::None | ValueKind::Undefined => Err(self.err_kind(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a number, but is {}", kind_name(v)),
            )),
            _ => Err(self.err_kind(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a number, but is {} `{v}`", kind_name(v)),
            )),
        }
    }

    fn list(&self, path: &str, v: Value, what: &str) -> Result<Vec<Value>, BindError> {
        if v.kind() != ValueKind::Seq {
            return Err(self.err_kind(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a list, but is {} `{v}`", kind_name(&v)),
            ));
        }
        Ok(v.try_iter().map(|it| it.collect()).unwrap_or_default())
    }

    fn graph(&mut self) -> Result<SceneGraph, BindError> {
        let sb = self.sb();
        let (w, h, fps) = (sb.video.width, sb.video.height, sb.video.fps);
        let background = match &sb.video.background {
            Some(p) => self.paint("video.background", p)?,
            None => Paint::Solid(Rgba::rgb(0, 0, 0)),
        };
        let mut scenes: Vec<scene::Scene> = Vec::new();
        let mut captions: Vec<String> = Vec::new();
        let mut clips: Vec<audio::Clip> = Vec::new();
        let mut cursor = 0u32;
        for s in &sb.scenes {
            let sp = s.path.as_str();
            if !self.eval_bool(&join_key(sp, "when"), &s.when)? {
                continue;
            }
            let frames = secs_to_frames(s.duration.secs(), fps).max(1);
            let transition_frames = secs_to_frames(s.transition.duration().secs(), fps).min(frames - 1);
            let transition = match s.transition {
                Transition::Cut | Transition::Fade(_) => scene::TransitionKind::Fade,
                Transition::Slide(_, side) => scene::TransitionKind::Slide(side),
                Transition::Wipe(_, side) => scene::TransitionKind::Wipe(side),
            };
            // A transition overlaps the previous scene; the first scene comes in over the
            // video background.
            let start = match scenes.last() {
                Some(_) => cursor.saturating_sub(transition_frames),
                None => 0,
            };
            let background = match &s.background {
                Some(p) => Some(self.paint(&join_key(sp, "background"), p)?),
                None => None,
            };
            let mut nodes = Vec::new();
            // The scene's own layers, then those of the first variant that applies.
            let mut chosen: Vec<&storyboard::Layer> = s.layers.iter().collect();
            for v in &s.variants {
                if self.eval_bool(&join_key(&v.path, "when"), &v.when)? {
                    chosen.extend(v.layers.iter());
                    break;
                }
            }
            let mut caption: Vec<String> = Vec::new();
            if let Some(c) = &s.caption {
                caption.push(self.text(&join_key(sp, "caption"), c)?);
            }
            for (li, layer) in chosen.into_iter().enumerate() {
                let lp = layer.path.as_str();
                if !self.eval_bool(&join_key(lp, "when"), &layer.common.when)? {
                    continue;
                }
                nodes.push(self.node(lp, li, layer, s.duration.secs() as f32)?);
                if let Some(c) = &layer.common.caption {
                    caption.push(self.text(&join_key(lp, "caption"), c)?);
                }
            }
            captions
                .push(caption.into_iter().filter(|c| !c.trim().is_empty()).collect::<Vec<_>>().join("\n"));
            for (ci, clip) in s.audio.iter().enumerate() {
                let cp = join_index(&join_key(sp, "audio"), ci);
                if self.eval_bool(&join_key(&cp, "when"), &clip.when)? {
                    let pcm = self.sound(&join_key(&cp, "src"), &clip.src)?;
                    clips.push(audio::Clip {
                        pcm,
                        start: start as f64 / fps as f64 + clip.delay.secs(),
                        volume: clip.volume,
                    });
                }
            }
            scenes.push(scene::Scene {
                id: s.id.clone(),
                start,
                frames,
                transition,
                transition_frames,
                background,
                nodes,
            });
            cursor = start + frames;
        }
        if scenes.is_empty() {
            return Err(self.err("scenes", "no scene plays for this record: every scene's `when` is false"));
        }
        let mut graph = SceneGraph {
            width: w,
            height: h,
            fps,
            total_frames: cursor,
            background,
            scenes,
            companions: Default::default(),
        };
        graph.companions = self.companions(&graph, captions, clips)?;
        if self.binder.burn_captions {
            self.burn(&mut graph)?;
        }
        Ok(graph)
    }

    /// Captions (one cue per scene, until the next scene starts), the sound plan, the
    /// landing page's buttons and text, and the email stills.
    fn companions(
        &self,
        graph: &SceneGraph,
        captions: Vec<String>,
        clips: Vec<audio::Clip>,
    ) -> Result<scene::Companions, BindError> {
        let sb = self.sb();
        let fps = graph.fps as f64;
        let total = graph.duration_secs();
        let mut cues = Vec::new();
        for (i, (s, text)) in graph.scenes.iter().zip(captions).enumerate() {
            let end = graph.scenes.get(i + 1).map_or(total, |n| n.start as f64 / fps);
            if !text.is_empty() {
                cues.push(scene::Cue { start: s.start as f64 / fps, end, text });
            }
        }
        let music = match &sb.audio {
            Some(a) => Some(audio::Music {
                pcm: self.sound("audio.music", &a.music)?,
                volume: a.volume,
                fade_in: a.fade_in.secs(),
                fade_out: a.fade_out.secs(),
                looped: a.looped,
                duck: a.duck,
            }),
            None => None,
        };
        let audio = (music.is_some() || !clips.is_empty()).then_some(audio::Plan { music, clips });
        let (cw, ch) = (graph.width as f64, graph.height as f64);
        let mut ctas = Vec::new();
        for (i, c) in sb.cta.iter().enumerate() {
            let cp = join_index("cta", i);
            // Times from the start of a scene, if it plays; else from the video's start.
            let (offset, end) = match &c.scene {
                Some(id) => match graph.scenes.iter().find(|s| &s.id == id) {
                    Some(s) => (s.start as f64 / fps, (s.start + s.frames) as f64 / fps),
                    None => continue,
                },
                None => (0.0, total),
            };
            let hp = join_key(&cp, "href");
            let href = self.text(&hp, &c.href)?;
            let lower = href.trim_start().to_ascii_lowercase();
            if !["https://", "http://", "mailto:", "tel:"].iter().any(|p| lower.starts_with(p)) {
                return Err(self.err_kind(
                    ProblemKind::WrongValue,
                    &hp,
                    format!("the link `{href}` is not an http(s), mailto or tel link"),
                ));
            }
            ctas.push(scene::Cta {
                label: self.text(&join_key(&cp, "label"), &c.label)?,
                href,
                from: offset + c.from.secs(),
                to: c.to.map_or(end, |t| offset + t.secs()).min(total),
                rect: Rect {
                    x: c.x.resolve(cw) as f32,
                    y: c.y.resolve(ch) as f32,
                    w: c.width.resolve(cw) as f32,
                    h: c.height.resolve(ch) as f32,
                },
                background: self.color(&join_key(&cp, "background"), &c.background)?,
                color: self.color(&join_key(&cp, "color"), &c.color)?,
                radius: c.radius,
                size: c.size,
            });
        }
        let page = match &sb.page {
            Some(p) => Some(scene::Page {
                title: self.text("page.title", &p.title)?,
                summary: p
                    .summary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| self.text(&join_index("page.summary", i), l))
                    .collect::<Result<_, _>>()?,
                transcript: match &p.transcript {
                    Some(t) => Some(self.text("page.transcript", t)?),
                    None => None,
                },
                background: self.color("page.background", &p.background)?,
                color: self.color("page.color", &p.color)?,
                lang: self.ctx.get("locale").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            }),
            None => None,
        };
        let poster_at = match &sb.poster {
            Some(p) => p.at.secs(),
            None => {
                let first = &graph.scenes[0];
                (first.start + first.frames - 1) as f64 / fps
            }
        };
        Ok(scene::Companions {
            captions: cues,
            ctas,
            page,
            audio,
            poster: scene::Poster {
                at: poster_at,
                play_button: sb.poster.as_ref().is_some_and(|p| p.play_button),
            },
            preview: sb.preview.as_ref().map(|p| scene::Preview {
                from: p.from.secs(),
                secs: p.duration.secs(),
                width: p.width,
                fps: p.fps,
            }),
        })
    }

    /// Adds each cue to its scene as a line of text on a dark band near the bottom.
    fn burn(&self, graph: &mut SceneGraph) -> Result<(), BindError> {
        let font = self.font("captions", None)?;
        let (w, h) = (graph.width as f32, graph.height as f32);
        let size = (h / 24.0).round().max(12.0);
        let fps = graph.fps as f64;
        for cue in graph.companions.captions.clone() {
            let Some(scene) =
                graph.scenes.iter_mut().find(|s| (s.start as f64 / fps - cue.start).abs() < 1e-6)
            else {
                continue;
            };
            let style = TextStyle {
                max_lines: Some(3),
                ..TextStyle::simple(size, Rgba::rgb(255, 255, 255), storyboard::Align::Center, Some(w * 0.8))
            };
            let block = Arc::new(text::layout_fit(font, &cue.text, style, size * 0.7));
            let pad = size * 0.4;
            let (bw, bh) = (block.width + 2.0 * pad, block.height + 2.0 * pad);
            let y = h - bh - size;
            let still = |bounds: Rect, kind: NodeKind| Node {
                name: "caption".into(),
                bounds,
                origin: (bounds.x, bounds.y),
                opacity: 1.0,
                animation: scene::Animation::default(),
                kind,
            };
            scene.nodes.push(still(
                Rect { x: (w - bw) / 2.0, y, w: bw, h: bh },
                NodeKind::Rect {
                    fill: Some(Paint::Solid(Rgba { r: 0, g: 0, b: 0, a: 166 })),
                    radius: size * 0.3,
                    stroke: None,
                },
            ));
            scene.nodes.push(still(
                Rect { x: (w - block.width) / 2.0, y: y + pad, w: block.width, h: block.height },
                NodeKind::Text(scene::TextNode { variants: vec![(0.0, block)] }),
            ));
        }
        Ok(())
    }

    /// A sound file chosen by `src` (may hold bindings), decoded once per storyboard. `check`
    /// only makes sure the file is there.
    fn sound(&self, path: &str, src: &str) -> Result<Arc<audio::Pcm>, BindError> {
        let rel = self.text(path, src)?;
        let file = self
            .binder
            .assets
            .resolve(&rel)
            .map_err(|e| self.err_kind(ProblemKind::MissingAsset, path, e.to_string()))?;
        if self.check_only {
            return Ok(Arc::new(audio::Pcm::default()));
        }
        if let Some(hit) = self.binder.sounds.lock().expect("sound cache poisoned").get(&file) {
            return Ok(hit.clone());
        }
        let pcm =
            Arc::new(audio::decode(&file).map_err(|e| self.err_kind(ProblemKind::WrongValue, path, e))?);
        self.binder.sounds.lock().expect("sound cache poisoned").insert(file, pcm.clone());
        Ok(pcm)
    }

    fn node(&self, lp: &str, index: usize, layer: &Layer, scene_secs: f32) -> Result<Node, BindError> {
        let sb = self.sb();
        let (cw, ch) = (sb.video.width as f64, sb.video.height as f64);
        let c = &layer.common;
        let x = c.x.resolve(cw) as f32;
        let y = c.y.resolve(ch) as f32;
        let bw = c.width.map(|l| l.resolve(cw) as f32);
        let bh = c.height.map(|l| l.resolve(ch) as f32);
        let (kind, w, h) = match &layer.kind {
            LayerKind::Rect(r) => {
                let fill = match &r.fill {
                    Some(p) => Some(self.paint(&join_key(lp, "fill"), p)?),
                    None => None,
                };
                let stroke = match &r.stroke {
                    Some(s) => {
                        Some((self.color(&join_key(&join_key(lp, "stroke"), "color"), &s.color)?, s.width))
                    }
                    None => None,
                };
                (NodeKind::Rect { fill, radius: r.radius, stroke }, bw.unwrap_or(0.0), bh.unwrap_or(0.0))
            }
            LayerKind::Text(t) => {
                let font = self.font(lp, t.font.as_deref())?;
                let color = self.color(&join_key(lp, "color"), &t.color)?;
                let style = TextStyle {
                    size: t.size,
                    color,
                    align: t.align,
                    line_height: t.line_height,
                    max_width: bw,
                    letter_spacing: t.letter_spacing,
                    max_lines: t.max_lines,
                    max_height: bh,
                    valign: t.valign,
                };
                let fit = (t.fit == storyboard::TextFit::Shrink).then(|| t.min_size.unwrap_or(t.size * 0.6));
                let tp = join_key(lp, "text");
                let mut variants = match &t.count_up {
                    None => {
                        let rich = self.rich(&tp, font, &self.text(&tp, &t.text)?, color)?;
                        vec![(0.0, Arc::new(lay_out(&rich, style, fit)))]
                    }
                    Some(cu) => {
                        let to_path = join_key(&join_key(lp, "count_up"), "to");
                        let to = self.eval(&to_path, &cu.to)?;
                        let to = self.number(&to_path, &to, &format!("count_up.to (`{}`)", cu.to))?;
                        self.count_up(
                            &tp,
                            &t.text,
                            font,
                            style,
                            fit,
                            cu.from,
                            to,
                            cu.delay.secs() as f32,
                            cu.duration.secs() as f32,
                            cu.easing,
                        )?
                    }
                };
                // Outline and shadow decorate every variant (a count-up's frames included).
                if t.outline.is_some() || t.shadow.is_some() {
                    let outline = match &t.outline {
                        Some(o) => Some((
                            self.color(&join_key(&join_key(lp, "outline"), "color"), &o.color)?,
                            o.width,
                        )),
                        None => None,
                    };
                    let shadow = match &t.shadow {
                        Some(sh) => Some((
                            self.color(&join_key(&join_key(lp, "shadow"), "color"), &sh.color)?,
                            sh.dx,
                            sh.dy,
                        )),
                        None => None,
                    };
                    for (_, block) in variants.iter_mut() {
                        let b = Arc::make_mut(block);
                        b.outline = outline;
                        b.shadow = shadow;
                    }
                }
                let w = bw.unwrap_or_else(|| variants.iter().map(|v| v.1.width).fold(0.0, f32::max));
                let h = bh.unwrap_or_else(|| variants.iter().map(|v| v.1.height).fold(0.0, f32::max));
                (NodeKind::Text(TextNode { variants }), w, h)
            }
            LayerKind::Image(img) => {
                let (w, h) = (bw.unwrap_or(0.0), bh.unwrap_or(0.0));
                let sp = join_key(lp, "src");
                let src = self.text(&sp, &img.src)?;
                let (pixels, offset) = self.image(&sp, &src, w, h, img.fit, img.radius)?;
                (NodeKind::Image { pixels, offset }, w, h)
            }
            LayerKind::Progress(p) => {
                let (w, h) = (bw.unwrap_or(0.0), bh.unwrap_or(0.0));
                let num = |key: &str, src: &str| -> Result<f64, BindError> {
                    let path = join_key(lp, key);
                    let v = self.eval(&path, src)?;
                    self.number(&path, &v, &format!("`{key}` (`{src}`)"))
                };
                let (value, max) = (num("value", &p.value)?, num("max", &p.max)?);
                // A zero or negative scale shows an empty bar rather than dividing by zero.
                let frac = |v: f64| if max > 0.0 { (v / max).clamp(0.0, 1.0) as f32 } else { 0.0 };
                let marker = match &p.marker {
                    Some(m) => Some((
                        frac(num("marker", m)?),
                        self.color(&join_key(lp, "marker_color"), &p.marker_color)?,
                    )),
                    None => None,
                };
                let node = scene::Progress {
                    fraction: frac(value),
                    color: self.color(&join_key(lp, "color"), &p.color)?,
                    track: self.color(&join_key(lp, "track"), &p.track)?,
                    radius: p.radius.unwrap_or(h / 2.0).clamp(0.0, h / 2.0),
                    marker,
                    grow: p.grow.as_ref().map(|g| scene::chart::GrowTiming {
                        start: g.delay.secs() as f32,
                        duration: g.duration.secs() as f32,
                        easing: g.easing,
                    }),
                };
                (NodeKind::Progress(node), w, h)
            }
            LayerKind::Qr(q) => {
                let side = bw.unwrap_or(0.0);
                (NodeKind::Qr(self.qr(lp, q, side)?), side, side)
            }
            LayerKind::BarChart(spec) | LayerKind::LineChart(spec) => {
                let (w, h) = (bw.unwrap_or(0.0), bh.unwrap_or(0.0));
                let lines = matches!(layer.kind, LayerKind::LineChart(_));
                let chart = self.xy_chart(lp, spec, lines, Rect { x: 0.0, y: 0.0, w, h })?;
                (NodeKind::Chart(chart), w, h)
            }
            LayerKind::Donut(spec) => {
                let (w, h) = (bw.unwrap_or(0.0), bh.unwrap_or(0.0));
                let chart = self.donut(lp, spec, Rect { x: 0.0, y: 0.0, w, h })?;
                (NodeKind::Chart(chart), w, h)
            }
            LayerKind::Comparison(spec) => {
                let (chart, w, h) = self.card(lp, spec, bw)?;
                (NodeKind::Chart(chart), w, bh.unwrap_or(h))
            }
        };
        let (ax, ay) = c.anchor.fractions();
        let bounds = Rect { x: x - ax * w, y: y - ay * h, w, h };
        let animation = self.animation(layer, x, y, scene_secs);
        let name = c.name.clone().unwrap_or_else(|| format!("{}#{index}", c.kind));
        Ok(Node { name, bounds, origin: (x, y), opacity: c.opacity, animation, kind })
    }

    /// Encodes a QR code and fits its modules, whole pixels each, in a `side` square.
    fn qr(&self, lp: &str, q: &storyboard::QrLayer, side: f32) -> Result<scene::Qr, BindError> {
        use qrcode::{EcLevel as L, QrCode};
        let path = &join_key(lp, "data");
        let data = &self.text(path, &q.data)?;
        let level = match q.error_correction {
            storyboard::EcLevel::L => L::L,
            storyboard::EcLevel::M => L::M,
            storyboard::EcLevel::Q => L::Q,
            storyboard::EcLevel::H => L::H,
        };
        if data.is_empty() {
            return Err(self.err_kind(
                ProblemKind::WrongValue,
                path,
                "the QR code's data is empty for this record",
            ));
        }
        if self.check_only {
            // Only the size can fail: find the version without choosing the best mask (the
            // costly part of encoding), and draw nothing.
            let bits = qrcode::bits::encode_auto(data.as_bytes(), level).map_err(|e| {
                self.err_kind(
                    ProblemKind::WrongValue,
                    path,
                    format!("cannot make a QR code of {} bytes: {e}", data.len()),
                )
            })?;
            let size = bits.version().width() as usize;
            return self.fit_qr(path, q, side, size, vec![false; size * size], lp);
        }
        let code = QrCode::with_error_correction_level(data.as_bytes(), level).map_err(|e| {
            self.err_kind(
                ProblemKind::WrongValue,
                path,
                format!("cannot make a QR code of {} bytes: {e}", data.len()),
            )
        })?;
        let size = code.width();
        let dark: Vec<bool> = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        self.fit_qr(path, q, side, size, dark, lp)
    }

    /// Places `size`x`size` modules, whole pixels each, in a `side` square.
    fn fit_qr(
        &self,
        path: &str,
        q: &storyboard::QrLayer,
        side: f32,
        size: usize,
        dark: Vec<bool>,
        lp: &str,
    ) -> Result<scene::Qr, BindError> {
        let total = (size + 2 * q.quiet_zone as usize) as f32;
        let module = (side / total).floor();
        if module < 2.0 {
            return Err(self.err_kind(
                ProblemKind::TextOverflow,
                path,
                format!("the QR code needs {total} modules across but the layer is {side}px wide; make it at least {}px (2px a module) so it scans", total * 2.0),
            ));
        }
        let inset = ((side - module * size as f32) / 2.0).floor();
        Ok(scene::Qr {
            size,
            dark,
            module,
            origin: (inset, inset),
            color: self.color(&join_key(lp, "color"), &q.color)?,
            background: self.color(&join_key(lp, "background"), &q.background)?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn count_up(
        &self,
        path: &str,
        template: &str,
        font: FontChain,
        style: TextStyle,
        fit: Option<f32>,
        from: f64,
        to: f64,
        delay: f32,
        duration: f32,
        easing: Easing,
    ) -> Result<Vec<(f32, Arc<scene::TextBlock>)>, BindError> {
        let fps = self.sb().video.fps as f32;
        let steps = (duration * fps).ceil().max(1.0) as u32;
        let mut out: Vec<(f32, Arc<scene::TextBlock>)> = Vec::new();
        let mut last = String::new();
        for i in 0..=steps {
            if self.check_only && i != 0 && i != steps {
                continue;
            }
            let p = i as f32 / steps as f32;
            // The last step shows the exact value, whatever the easing's rounding.
            let v = if i == steps { to } else { from + (to - from) * easing.apply(p) as f64 };
            let s = self.text_with(path, template, &self.scope_with(&[("count", Value::from(v))]))?;
            if s != last || out.is_empty() {
                let t = if i == 0 { 0.0 } else { delay + p * duration };
                let rich = self.rich(path, font, &s, style.color)?;
                out.push((t, Arc::new(lay_out(&rich, style, fit))));
                last = s;
            }
        }
        Ok(out)
    }

    /// A chart's category labels.
    fn chart_labels(&self, lp: &str, spec: &LabelsSpec) -> Result<Vec<String>, BindError> {
        match spec {
            LabelsSpec::Expr(e) => {
                let path = join_key(lp, "labels");
                let items = self.list(&path, self.eval(&path, e)?, "labels")?;
                Ok(items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                    .collect())
            }
            LabelsSpec::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, s)| self.text(&join_index(&join_key(lp, "labels"), i), s))
                .collect(),
        }
    }

    /// A list of numbers from an expression (`usage.kwh`).
    fn numbers(&self, path: &str, source: &str) -> Result<Vec<f64>, BindError> {
        let items = self.list(path, self.eval(path, source)?, "values")?;
        items
            .iter()
            .enumerate()
            .map(|(j, v)| self.number(path, v, &format!("value {j} of `{source}`")))
            .collect()
    }

    /// Renders `template` (compiled under `path`) with extra variables.
    fn format_with(&self, path: &str, template: &str, extra: &[(&str, Value)]) -> Result<String, BindError> {
        self.text_with(path, template, &self.scope_with(extra))
    }

    /// The theme's `i`-th colour (palette colours were checked when the storyboard loaded).
    fn palette(&self, i: usize) -> Rgba {
        let p = &self.sb().theme.palette;
        p.get(i % p.len().max(1)).and_then(|c| units::parse_color(c).ok()).unwrap_or(Rgba {
            r: 255,
            g: 255,
            b: 255,
            a: 255,
        })
    }

    fn xy_chart(
        &self,
        lp: &str,
        spec: &storyboard::ChartLayer,
        lines: bool,
        bounds: Rect,
    ) -> Result<scene::Chart, BindError> {
        let font = self.font(lp, spec.font.as_deref())?;
        let labels = self.chart_labels(lp, &spec.labels)?;
        let fp = join_key(lp, "value_format");
        let mut series = Vec::new();
        for (i, s) in spec.series.iter().enumerate() {
            let p = join_index(&join_key(lp, "series"), i);
            let values = self.numbers(&join_key(&p, "values"), &s.values)?;
            let mut value_labels = Vec::new();
            // Line charts label only the highlighted point.
            if s.show_values && !spec.value_format.is_empty() && !lines {
                for v in &values {
                    value_labels.push(self.format_with(
                        &fp,
                        &spec.value_format,
                        &[("value", Value::from(*v))],
                    )?);
                }
            }
            let name = match &s.label {
                Some(l) => Some(self.text(&join_key(&p, "label"), l)?),
                None => None,
            };
            let color = match &s.color {
                Some(c) => self.color(&join_key(&p, "color"), c)?,
                None => self.palette(i),
            };
            series.push(SeriesData { values, labels: value_labels, name, color });
        }
        let axis = if spec.axis {
            let all = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
            let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
            let (lo, hi) = if lo > hi { (0.0, 0.0) } else { (lo, hi) };
            // Bars are measured from zero, so their axis includes it.
            let ticks = if lines {
                chart::nice_ticks(lo, hi, spec.ticks)
            } else {
                chart::nice_ticks(lo.min(0.0), hi.max(0.0), spec.ticks)
            };
            let tp = join_key(lp, "tick_format");
            let tick_labels = ticks
                .values
                .iter()
                .map(|v| {
                    self.format_with(
                        &tp,
                        &spec.tick_format,
                        &[("value", Value::from(*v)), ("decimals", Value::from(ticks.decimals))],
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some((ticks, tick_labels, self.color(&join_key(lp, "grid_color"), &spec.grid_color)?))
        } else {
            None
        };
        let highlight = match &spec.highlight {
            Some(src) => {
                let path = join_key(lp, "highlight");
                let v = self.eval(&path, src)?;
                let n = series.first().map_or(0, |s| s.values.len()) as i64;
                let i = v.as_i64().ok_or_else(|| {
                    self.err_kind(
                        ProblemKind::WrongValue,
                        &path,
                        format!("`highlight` must be a whole number (an index), but `{src}` gave {v}"),
                    )
                })?;
                let idx = if i < 0 { n + i } else { i };
                if n == 0 {
                    None
                } else if !(0..n).contains(&idx) {
                    return Err(self.err_kind(
                        ProblemKind::WrongValue,
                        &path,
                        format!(
                            "`highlight` is {i} but the series has {n} values (use 0..{} or -1 for the last)",
                            n - 1
                        ),
                    ));
                } else {
                    let value = series[0].values[idx as usize];
                    let label = if spec.value_format.is_empty() {
                        None
                    } else {
                        Some(self.format_with(&fp, &spec.value_format, &[("value", Value::from(value))])?)
                    };
                    Some((idx as usize, label))
                }
            }
            None => None,
        };
        let style = ChartStyle {
            label_size: spec.label_size,
            label_color: self.color(&join_key(lp, "label_color"), &spec.label_color)?,
            gap: spec.gap,
            radius: spec.radius,
            legend: spec.legend,
            grow: spec.grow.as_ref().map(|g| {
                (g.delay.secs() as f32, g.stagger.secs() as f32, g.duration.secs() as f32, g.easing)
            }),
            axis,
            lines: lines.then_some((spec.line_width, spec.area)),
            highlight,
        };
        Ok(chart::layout(font, bounds, &labels, &series, &style))
    }

    fn donut(
        &self,
        lp: &str,
        spec: &storyboard::DonutLayer,
        bounds: Rect,
    ) -> Result<scene::Chart, BindError> {
        let font = self.font(lp, spec.font.as_deref())?;
        let labels = self.chart_labels(lp, &spec.labels)?;
        let vp = join_key(lp, "values");
        let values = self.numbers(&vp, &spec.values)?;
        if values.len() != labels.len() {
            return Err(self.err_kind(
                ProblemKind::WrongValue,
                &vp,
                format!(
                    "the donut has {} labels but {} values; give one value per label",
                    labels.len(),
                    values.len()
                ),
            ));
        }
        let colors = match &spec.colors {
            Some(cs) => cs
                .iter()
                .enumerate()
                .map(|(i, c)| self.color(&join_index(&join_key(lp, "colors"), i), c))
                .collect::<Result<Vec<_>, _>>()?,
            None => (0..values.len().max(1)).map(|i| self.palette(i)).collect(),
        };
        let total: f64 = values.iter().filter(|v| v.is_finite() && **v > 0.0).sum();
        let fp = join_key(lp, "label_format");
        let legend = labels
            .iter()
            .zip(&values)
            .map(|(l, v)| {
                let percent = if total > 0.0 && *v > 0.0 { 100.0 * v / total } else { 0.0 };
                self.format_with(
                    &fp,
                    &spec.label_format,
                    &[
                        ("label", Value::from(l.as_str())),
                        ("value", Value::from(*v)),
                        ("percent", Value::from(percent)),
                    ],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let center = match &spec.center {
            Some(c) => Some(self.text(&join_key(lp, "center"), c)?),
            None => None,
        };
        let label_color = self.color(&join_key(lp, "label_color"), &spec.label_color)?;
        let style = chart::DonutStyle {
            hole: spec.hole,
            label_size: spec.label_size,
            label_color,
            center_size: spec.center_size,
            center_color: Rgba { a: 255, ..label_color },
            grow: spec.grow.as_ref().map(|g| {
                (g.delay.secs() as f32, g.stagger.secs() as f32, g.duration.secs() as f32, g.easing)
            }),
        };
        let data =
            chart::DonutData { values: &values, colors: &colors, legend: &legend, center: center.as_deref() };
        Ok(chart::layout_donut(font, bounds, &data, &style))
    }

    fn card(
        &self,
        lp: &str,
        spec: &storyboard::ComparisonLayer,
        width: Option<f32>,
    ) -> Result<(scene::Chart, f32, f32), BindError> {
        let font = self.font(lp, spec.font.as_deref())?;
        let number_font = self.font(lp, spec.number_font.as_deref().or(spec.font.as_deref()))?;
        let num = |key: &str, src: &str| -> Result<f64, BindError> {
            let path = join_key(lp, key);
            let v = self.eval(&path, src)?;
            self.number(&path, &v, &format!("`{key}` (`{src}`)"))
        };
        let (value, previous) = (num("value", &spec.value)?, num("previous", &spec.previous)?);
        let delta = value - previous;
        // No change ratio against nothing: `change` is 0 when the previous value is 0.
        let change = if previous != 0.0 { 100.0 * delta / previous.abs() } else { 0.0 };
        let color = self.color(&join_key(lp, "color"), &spec.color)?;
        let label_color = self.color(&join_key(lp, "label_color"), &spec.label_color)?;
        let rising_is_good = spec.good == storyboard::GoodDirection::Up;
        let delta_color = if delta == 0.0 {
            label_color
        } else if (delta > 0.0) == rising_is_good {
            self.color(&join_key(lp, "good_color"), &spec.good_color)?
        } else {
            self.color(&join_key(lp, "bad_color"), &spec.bad_color)?
        };
        let style = |size: f32, color: Rgba| TextStyle::simple(size, color, storyboard::Align::Left, None);
        // In a box of given width, a line shrinks (down to `least` of its size) to fit `room`;
        // it is then laid out at that size without a box, so the card can align it.
        let fitted_size = |fonts: FontChain, s: &str, size: f32, room: Option<f32>, least: f32| match room {
            Some(w) => {
                let boxed = TextStyle { max_width: Some(w), max_lines: Some(1), ..style(size, color) };
                text::layout_fit(fonts, s, boxed, size * least).size
            }
            None => size,
        };
        let line = |fonts: FontChain, s: &str, size: f32, color: Rgba, room: Option<f32>| {
            Arc::new(text::layout(fonts, s, style(fitted_size(fonts, s, size, room, 0.6), color)))
        };
        let caption = match &spec.label {
            Some(l) => {
                Some(line(font, &self.text(&join_key(lp, "label"), l)?, spec.label_size, label_color, width))
            }
            None => None,
        };
        let fp = join_key(lp, "format");
        let format = |v: f64| self.format_with(&fp, &spec.format, &[("value", Value::from(v))]);
        // In a box of given width the number shrinks (to half its size at most) to fit on one
        // line; every counting step uses the size the final value needs, so nothing jumps.
        let final_text = format(value)?;
        let size = fitted_size(number_font, &final_text, spec.size, width, 0.5);
        let lay = |s: &str| Arc::new(text::layout(number_font, s, style(size, color)));
        let number = |v: f64| -> Result<Arc<scene::TextBlock>, BindError> { Ok(lay(&format(v)?)) };
        let variants = match &spec.count_up {
            None => vec![(0.0, lay(&final_text))],
            Some(cu) => {
                let (delay, duration) = (cu.delay.secs() as f32, cu.duration.secs() as f32);
                let steps = (duration * self.sb().video.fps as f32).ceil().max(1.0) as u32;
                let mut out: Vec<(f32, Arc<scene::TextBlock>)> = Vec::new();
                for i in 0..=steps {
                    if self.check_only && i != 0 && i != steps {
                        continue;
                    }
                    let p = i as f32 / steps as f32;
                    // The last step shows the exact value (already formatted above).
                    let block = if i == steps {
                        lay(&final_text)
                    } else {
                        number(cu.from + (value - cu.from) * cu.easing.apply(p) as f64)?
                    };
                    if out.last().is_none_or(|(_, b)| b.lines != block.lines) {
                        out.push((if i == 0 { 0.0 } else { delay + p * duration }, block));
                    }
                }
                out
            }
        };
        let dp = join_key(lp, "delta_format");
        let delta_text = self.format_with(
            &dp,
            &spec.delta_format,
            &[
                ("delta", Value::from(delta)),
                ("change", Value::from(change)),
                ("previous", Value::from(previous)),
            ],
        )?;
        // The arrow before the change takes 1.4 times the text's size.
        let room = width.map(|w| (w - spec.label_size * 1.3 * 0.9 * 1.4).max(1.0));
        let delta_block = line(font, &delta_text, spec.label_size * 1.3, delta_color, room);
        let data = chart::CardData {
            caption,
            number: scene::TextNode { variants },
            delta: delta_block,
            direction: if delta > 0.0 {
                1
            } else if delta < 0.0 {
                -1
            } else {
                0
            },
            delta_color,
        };
        Ok(chart::layout_card(width.unwrap_or(0.0), spec.align, data))
    }

    /// A text layer's rendered text, its markup turned into runs of font and colour.
    fn rich(
        &self,
        path: &str,
        base: FontChain<'a>,
        rendered: &str,
        color: Rgba,
    ) -> Result<text::Rich<'a>, BindError> {
        let marked = markup::parse(rendered).map_err(|e| self.err_kind(ProblemKind::WrongValue, path, e))?;
        if marked.is_plain() {
            return Ok(text::Rich::plain(base, &marked.text, color));
        }
        let mut runs = Vec::with_capacity(marked.runs.len());
        for (end, span) in &marked.runs {
            let fonts = match (&span.font, span.bold) {
                (Some(f), _) => self.font(path, Some(f))?,
                (None, true) => self.font(path, Some("bold"))?,
                (None, false) => base,
            };
            let color = match &span.color {
                Some(c) => {
                    units::parse_color(c).map_err(|e| self.err_kind(ProblemKind::WrongValue, path, e))?
                }
                None => color,
            };
            runs.push((*end, text::RunStyle { fonts, color }));
        }
        Ok(text::Rich::new(marked.text, text::RunStyle { fonts: base, color }, runs))
    }

    fn font(&self, lp: &str, name: Option<&str>) -> Result<FontChain<'a>, BindError> {
        self.binder.fonts.chain(name).ok_or_else(|| {
            self.err(&join_key(lp, "font"), format!("font `{}` is not loaded", name.unwrap_or("(default)")))
        })
    }

    /// Decodes and fits an image into a `w`x`h` box, once per distinct (file, size, fit,
    /// radius). SVG files are drawn by resvg straight at the size they are shown, so they stay
    /// sharp; bitmaps are resized with a Lanczos filter.
    fn image(
        &self,
        path: &str,
        src: &str,
        w: f32,
        h: f32,
        fit: Fit,
        radius: f32,
    ) -> Result<(Arc<tiny_skia::Pixmap>, (f32, f32)), BindError> {
        let asset_err = |e: String| self.err_kind(ProblemKind::MissingAsset, path, e);
        let file = self.binder.assets.resolve(src).map_err(|e| asset_err(e.to_string()))?;
        let (bw, bh) = (w.round().max(1.0) as u32, h.round().max(1.0) as u32);
        let key = (file.clone(), bw, bh, fit, (radius * 100.0).round() as u32);
        let cached = self.binder.images.lock().expect("image cache poisoned").get(&key).cloned();
        let pix = match cached {
            Some(p) => p,
            None => {
                let is_svg = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
                let mut p = if is_svg {
                    let bytes = self.binder.assets.read(src).map_err(|e| asset_err(e.to_string()))?;
                    render_svg(&bytes, bw, bh, fit)
                        .map_err(|e| asset_err(format!("asset `{src}` is not a usable SVG: {e}")))?
                } else {
                    let img = self.binder.assets.image(src).map_err(|e| asset_err(e.to_string()))?;
                    fit_image(&img, bw, bh, fit)
                };
                round_corners(&mut p, radius);
                let p = Arc::new(p);
                self.binder.images.lock().expect("image cache poisoned").insert(key, p.clone());
                p
            }
        };
        let offset = ((bw as f32 - pix.width() as f32) / 2.0, (bh as f32 - pix.height() as f32) / 2.0);
        Ok((pix, offset))
    }

    fn animation(&self, layer: &Layer, base_x: f32, base_y: f32, scene_secs: f32) -> Animation {
        let c = &layer.common;
        let (cw, ch) = (self.sb().video.width as f64, self.sb().video.height as f64);
        let mut a = Animation::default();
        let track = |sel: &dyn Fn(&storyboard::Keyframe) -> Option<f32>| -> Option<Track> {
            let keys: Vec<Key> = c
                .animate
                .iter()
                .filter_map(|k| sel(k).map(|v| Key { t: k.at.secs() as f32, v, easing: k.easing }))
                .collect();
            (!keys.is_empty()).then_some(Track { keys })
        };
        a.opacity.extend(track(&|k| k.opacity));
        a.dx.extend(track(&|k| k.x.map(|x| x.resolve(cw) as f32 - base_x)));
        a.dy.extend(track(&|k| k.y.map(|y| y.resolve(ch) as f32 - base_y)));
        a.scale.extend(track(&|k| k.scale));
        if let Some(m) = &c.enter {
            let t0 = m.delay.secs() as f32;
            apply_motion(&mut a, m, t0, true, cw, ch);
        }
        if let Some(m) = &c.exit {
            let t0 = scene_secs - m.delay.secs() as f32 - m.duration.secs() as f32;
            apply_motion(&mut a, m, t0.max(0.0), false, cw, ch);
        }
        a
    }
}

/// Adds an enter (`entering`) or exit preset's tracks starting at `t0`.
fn apply_motion(a: &mut Animation, m: &Motion, t0: f32, entering: bool, cw: f64, ch: f64) {
    let d = m.duration.secs() as f32;
    let (from, to) = if entering { (0.0, 1.0) } else { (1.0, 0.0) };
    a.opacity.push(Track::ramp(t0, d, from, to, m.easing));
    let dist_x = m.distance.resolve(cw) as f32;
    let dist_y = m.distance.resolve(ch) as f32;
    // Slides name the direction of travel: entering ends at 0, exiting starts at 0.
    let travel = |a: &mut Vec<Track>, delta: f32| {
        let (f, t) = if entering { (-delta, 0.0) } else { (0.0, delta) };
        a.push(Track::ramp(t0, d, f, t, m.easing));
    };
    match m.preset {
        Preset::Fade => {}
        Preset::SlideUp => travel(&mut a.dy, -dist_y),
        Preset::SlideDown => travel(&mut a.dy, dist_y),
        Preset::SlideLeft => travel(&mut a.dx, -dist_x),
        Preset::SlideRight => travel(&mut a.dx, dist_x),
        Preset::Zoom => {
            let (f, t) = if entering { (0.85, 1.0) } else { (1.0, 0.85) };
            a.scale.push(Track::ramp(t0, d, f, t, m.easing));
        }
    }
}

/// Lays text out, shrinking it first when the layer asks to (`fit` is the minimum size).
fn lay_out(rich: &text::Rich, style: TextStyle, fit: Option<f32>) -> scene::TextBlock {
    match fit {
        Some(min) => text::layout_fit_rich(rich, style, min),
        None => text::layout_rich(rich, style),
    }
}

/// The auto-escape mode of text layers' templates: values they insert have `[` doubled, so
/// record data shows literally and never opens a rich-text tag.
const MARKUP: minijinja::AutoEscape = minijinja::AutoEscape::Custom("billreel-markup");

fn secs_to_frames(secs: f64, fps: u32) -> u32 {
    (secs * fps as f64).round() as u32
}

/// Draws an SVG at the size it will be shown (contain: the whole drawing, letterboxed; cover:
/// the box filled, cropped around the centre; fill: stretched).
fn render_svg(bytes: &[u8], bw: u32, bh: u32, fit: Fit) -> Result<tiny_skia::Pixmap, String> {
    let tree =
        resvg::usvg::Tree::from_data(bytes, &resvg::usvg::Options::default()).map_err(|e| e.to_string())?;
    let (sw, sh) = (tree.size().width().max(1e-3), tree.size().height().max(1e-3));
    let (w, h, sx, sy) = match fit {
        Fit::Fill => (bw, bh, bw as f32 / sw, bh as f32 / sh),
        Fit::Contain => {
            let s = (bw as f32 / sw).min(bh as f32 / sh);
            ((sw * s).round().max(1.0) as u32, (sh * s).round().max(1.0) as u32, s, s)
        }
        Fit::Cover => {
            let s = (bw as f32 / sw).max(bh as f32 / sh);
            (bw, bh, s, s)
        }
    };
    let mut pix = tiny_skia::Pixmap::new(w, h).ok_or("empty size")?;
    // Cover: centre the scaled drawing on the box, cropping what overflows.
    let (dx, dy) = ((w as f32 - sw * sx) / 2.0, (h as f32 - sh * sy) / 2.0);
    resvg::render(&tree, tiny_skia::Transform::from_row(sx, 0.0, 0.0, sy, dx, dy), &mut pix.as_mut());
    Ok(pix)
}

/// Makes the corners of an image transparent outside circles of `radius`, anti-aliased.
fn round_corners(pix: &mut tiny_skia::Pixmap, radius: f32) {
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let r = radius.min(w / 2.0).min(h / 2.0);
    if r <= 0.0 {
        return;
    }
    let width = pix.width() as usize;
    let pixels = pix.pixels_mut();
    let n = r.ceil() as usize;
    for (cx, cy, xs, ys) in [
        (r, r, 0..n, 0..n),
        (w - r, r, (w as usize - n)..w as usize, 0..n),
        (r, h - r, 0..n, (h as usize - n)..h as usize),
        (w - r, h - r, (w as usize - n)..w as usize, (h as usize - n)..h as usize),
    ] {
        for y in ys {
            for x in xs.clone() {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                // Only the part beyond the corner's centre is outside the rounded shape.
                let outward = (px < r && cx == r || px > w - r && cx == w - r)
                    && (py < r && cy == r || py > h - r && cy == h - r);
                if !outward {
                    continue;
                }
                let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
                let coverage = (r - d + 0.5).clamp(0.0, 1.0);
                if coverage < 1.0 {
                    let c = pixels[y * width + x];
                    let scale = |v: u8| (v as f32 * coverage).round() as u8;
                    pixels[y * width + x] = tiny_skia::PremultipliedColorU8::from_rgba(
                        scale(c.red()),
                        scale(c.green()),
                        scale(c.blue()),
                        scale(c.alpha()),
                    )
                    .expect("scaling keeps colour <= alpha");
                }
            }
        }
    }
}

/// Scales an image for its box with a good filter, once, so that drawing it is a plain blit.
fn fit_image(img: &image::RgbaImage, bw: u32, bh: u32, fit: Fit) -> tiny_skia::Pixmap {
    use image::imageops::{self, FilterType};
    let (iw, ih) = (img.width().max(1) as f32, img.height().max(1) as f32);
    let resized = match fit {
        Fit::Fill => imageops::resize(img, bw, bh, FilterType::Lanczos3),
        Fit::Contain => {
            let s = (bw as f32 / iw).min(bh as f32 / ih);
            let (w, h) = ((iw * s).round().max(1.0) as u32, (ih * s).round().max(1.0) as u32);
            imageops::resize(img, w, h, FilterType::Lanczos3)
        }
        Fit::Cover => {
            let s = (bw as f32 / iw).max(bh as f32 / ih);
            let (w, h) = ((iw * s).round().max(1.0) as u32, (ih * s).round().max(1.0) as u32);
            let big = imageops::resize(img, w.max(bw), h.max(bh), FilterType::Lanczos3);
            let (x, y) = ((big.width() - bw) / 2, (big.height() - bh) / 2);
            imageops::crop_imm(&big, x, y, bw, bh).to_image()
        }
    };
    let mut pix = tiny_skia::Pixmap::new(resized.width(), resized.height()).expect("non-empty image");
    for (dst, src) in pix.pixels_mut().iter_mut().zip(resized.pixels()) {
        let [r, g, b, a] = src.0;
        *dst = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
    }
    pix
}

/// For messages that need a storyboard diagnostic from a bind-time problem.
pub fn to_diagnostic(sb: &Storyboard, e: &BindError) -> Diagnostic {
    Diagnostic {
        file: sb.source.file.clone(),
        pos: sb.source.spans.value(&e.path),
        path: e.path.clone(),
        message: e.message.clone(),
        hint: None,
    }
}
