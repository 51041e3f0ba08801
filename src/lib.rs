//! billreel turns each customer's bill into a short personalised video.
//!
//! The pipeline: storyboard YAML + one billing record -> resolved scene graph -> frames ->
//! H.264/AAC MP4, and the files that go with it. One module per kind of data, from the ground
//! floor up (docs/ARCHITECTURE.md has the crate map and the rules `tests/architecture.rs` holds
//! the code to):
//!
//! - [`style`]: lengths, durations, colours, easing, alignment, sides: the shared vocabulary.
//! - [`limits`]: every bound on one record's, asset's or storyboard's cost, settable by `--limit`.
//! - [`math`]: the float functions IEEE 754 leaves to the platform (sin, powf, ...), audited.
//! - [`ffmpeg`]: FFmpeg's initialisation and its log lines routed into `tracing`.
//! - [`output`]: publishing a file atomically (temporary name, then rename).
//! - [`timings`]: where a video's time went, stage by stage.
//! - [`convert`]: RGBA frames to YUV 4:2:0 pictures (BT.709, limited range).
//! - [`warnings`]: a warning repeated within a record logged once, with a count.
//! - [`record`]: billing records, streamed from JSON Lines or CSV.
//! - [`assets`]: the assets folder: paths resolved inside it, images decoded once.
//! - [`store`]: where published files live: a local folder (or an object store), whole or absent.
//! - [`metrics`]: Prometheus metrics of a run (records, stage seconds, rate, cache, lag), served over HTTP.
//! - [`webhook`]: signed completion webhooks (Standard Webhooks), sent in the background, never lost silently.
//! - [`audio`]: the sound plan of a video, decoding sound files, mixing.
//! - [`scene`]: the resolved scene graph of one video: nodes, laid-out text and charts.
//! - [`storyboard`]: the YAML template: typed, with every problem located by file:line:column.
//! - [`template`]: `{{ }}` bindings and expressions, compiled once, evaluated per record.
//! - [`layers`]: one module per layer kind: its keys, its checks, its binding into scene nodes.
//! - [`bind`]: storyboard + record -> scene graph: the timeline, captions, sound, page.
//! - [`json_schema`]: the storyboard's JSON Schema for editors (`billreel schema`).
//! - [`raster`]: scene graph + frame index -> RGBA pixels.
//! - [`encode`]: frames -> H.264/AAC MP4 (libx264, BT.709, +faststart, shared segments).
//! - [`outputs`]: the files beside a video: poster, captions, GIF preview, landing page.
//! - [`check`]: a storyboard checked against every record of a run, without rendering.
//! - [`batch`]: a whole billing run on a pool of workers, with its manifest.
//! - [`sample`]: a synthetic, deterministic billing run for demos and benchmarks.
//! - [`studio`]: a local web app for authors: frames on demand, playback, reload on save.
//! - [`purge`]: a customer's outputs deleted on request, or a run's after its retention period.

//! - [`queue`]: a billing run shared by workers anywhere through a Redis stream (enqueue, worker, status).
//! - [`cli`]: the command line (the only module that prints or picks exit codes).

pub mod assets;
pub mod audio;
pub mod batch;
pub mod bind;
pub mod check;
pub mod cli;
pub mod convert;
pub mod encode;
pub mod ffmpeg;
pub mod json_schema;
pub mod layers;
pub mod limits;
pub mod math;
pub mod metrics;
pub mod output;
pub mod outputs;
pub mod purge;

pub mod queue;
pub mod raster;
pub mod record;
pub mod sample;
pub mod scene;
pub mod store;
pub mod storyboard;
pub mod studio;
pub mod style;
pub mod template;
pub mod timings;
pub mod warnings;
pub mod webhook;

use std::path::Path;

/// Loads a storyboard and prepares it for binding, with the assets folder it names (or
/// `assets_override`), under the default [`limits::Limits`]. Every problem in the storyboard
/// comes back at once.
pub fn load(
    storyboard_file: &Path,
    assets_override: Option<&Path>,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    load_with(storyboard_file, assets_override, &limits::Limits::default())
}

/// [`load`] under the operator's `limits`, which the binder then keeps for every record.
pub fn load_with(
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    load_format(storyboard_file, assets_override, limits, None)
}

/// [`load_with`] in the format named `format` (None: the storyboard's default; see
/// [`storyboard::formats`]). The binder's storyboard lists every format it declares.
pub fn load_format(
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
    format: Option<&str>,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    let text = storyboard::parse::read_text(storyboard_file, limits)?;
    load_text_format(&text, storyboard_file, assets_override, limits, format)
}

/// [`load_with`] for a storyboard already in memory: `text` is parsed as if read from
/// `storyboard_file` (which names it in messages and anchors a relative `assets:`; it is not
/// read). For tools and fuzzing, which hold the YAML rather than a file.
pub fn load_text(
    text: &str,
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    load_text_format(text, storyboard_file, assets_override, limits, None)
}

/// The storyboard read in each format of `wanted` (empty: every format it declares), in the
/// storyboard's order, so the default comes first when it is among them. A name it does not
/// declare is an error with a guess.
pub fn load_formats(
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
    wanted: &[String],
) -> Result<Vec<bind::Binder>, storyboard::Diagnostics> {
    let text = storyboard::parse::read_text(storyboard_file, limits)?;
    let first = load_text_format(&text, storyboard_file, assets_override, limits, None)?;
    let declared: Vec<String> = first.storyboard().formats.iter().map(|f| f.name.clone()).collect();
    if let Some(w) = wanted.iter().find(|w| !declared.contains(w)) {
        let list = declared.join(", ");
        let hint = match storyboard::closest(w, declared.iter().map(String::as_str)) {
            Some(g) => format!("did you mean `{g}`? its formats are: {list}"),
            None => format!("its formats are: {list}"),
        };
        return Err(storyboard::Diagnostics(vec![storyboard::Diagnostic {
            file: storyboard_file.to_path_buf(),
            pos: None,
            path: String::new(),
            message: format!("no format `{w}` in the storyboard"),
            hint: Some(hint),
        }]));
    }
    let mut binders = Vec::new();
    let mut first = Some(first);
    for (k, name) in declared.iter().enumerate() {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        binders.push(match (k, first.take()) {
            (0, Some(b)) => b,
            _ => load_text_format(&text, storyboard_file, assets_override, limits, Some(name))?,
        });
    }
    Ok(binders)
}

/// [`load_text`] in the format named `format` (None: the default).
pub fn load_text_format(
    text: &str,
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
    format: Option<&str>,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    let (sb, parse_problems) = storyboard::parse::parse_partial_for(text, storyboard_file, limits, format);
    prepare(sb, parse_problems, storyboard_file, assets_override, limits)
}

/// What [`load_with`] and [`load_text`] share once the YAML is parsed: the assets folder, the
/// checks, the binder.
fn prepare(
    sb: Option<storyboard::Storyboard>,
    parse_problems: Vec<storyboard::Diagnostic>,
    storyboard_file: &Path,
    assets_override: Option<&Path>,
    limits: &limits::Limits,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    // Even when parts did not parse, check the rest, so one run reports every problem.
    let Some(sb) = sb else { return Err(storyboard::Diagnostics(parse_problems)) };
    let assets = match assets_override {
        Some(dir) => assets::Assets::new(dir),
        None => assets::Assets::for_storyboard(storyboard_file, sb.assets.as_deref()),
    };
    let binder = bind::Binder::with_earlier_problems(sb, assets, parse_problems, limits)?;
    tracing::debug!(
        storyboard = %storyboard_file.display(),
        scenes = binder.storyboard().scenes.len(),
        fonts = binder.storyboard().fonts.len(),
        "storyboard loaded"
    );
    Ok(binder)
}
