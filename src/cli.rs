//! The command line: `render`, `preview`, `check`, `batch`, `studio`, ...
//!
//! Only this module (and `main`) prints or decides exit codes; the library logs through
//! `tracing`. Exit codes: 0 success; 1 the work failed (bad storyboard, bad record, encoding
//! error, a batch that could not run at all); 2 the command line itself was wrong; 3 a batch
//! ran but some records failed (each is in the manifest with its reason).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::encode::{self, EncodeSettings};
use crate::limits::Limits;
use crate::record::{self, Records};
use crate::style as units;
use crate::{bind, raster};

mod args;
pub mod observe;

mod queue;

mod remote;
pub use args::*;
pub use queue::{EnqueueArgs, StatusArgs, WorkerArgs};

#[derive(Debug, Parser)]
#[command(name = "billreel", version, about = "Turns each customer's bill into a short personalised video")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// More log output (-v: debug, -vv: trace, including FFmpeg's own lines).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Change one bound on what a record, asset or storyboard may cost (`billreel limits` lists
    /// them), e.g. `--limit field-bytes=128KiB`. Repeatable.
    #[arg(long = "limit", value_name = "NAME=VALUE", global = true)]
    pub limits: Vec<String>,
    /// Quote record values in error messages (cut to 80 characters, control characters
    /// escaped). Off by default: errors give a value's kind and size, never customer data.
    #[arg(long, global = true)]
    pub show_values: bool,
}

/// `--show-values`, set once by [`run`] before any command: errors may quote record values.
static SHOW_VALUES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one record's video to an MP4 file, with its poster, captions, preview and page beside it.
    Render(RenderArgs),
    /// Render one frame of one record's video to a PNG file.
    Preview(PreviewArgs),
    /// Validate a storyboard, and with --data bind every record of a billing run (no video).
    Check(CheckArgs),
    /// Render a whole billing run in parallel: a video and poster per record, and a manifest.
    Batch(Box<BatchArgs>),
    /// Write a synthetic billing run (deterministic) for demos and benchmarks.
    Sample(SampleArgs),
    /// List the bounds on what one record, asset or storyboard may cost, with their values.
    Limits,
    /// Print the JSON Schema (draft-07) of the storyboard, for editors: autocompletion, the keys'
    /// descriptions and unknown keys flagged as you type (docs/storyboard.md, "Schema and editors").
    Schema,
    /// Open the studio: a local web app to preview a storyboard for any customer while you edit
    /// it (timeline, playback, landing page, problems; reloads on save).
    Studio(StudioArgs),
    /// Delete a customer's outputs (--id, across runs) or a run's older than a period
    /// (--older-than 90d): files, manifest lines marked deleted, an audit line per record.
    Purge(PurgeArgs),

    /// Publish a billing run to a Redis work queue, for `billreel worker`s anywhere to render.
    Enqueue(EnqueueArgs),
    /// Render records from the queued runs until they are done (any number of workers, anywhere).
    Worker(WorkerArgs),
    /// Show the queued runs' progress: pending, in flight, ok, failed, dead-lettered.
    Status(StatusArgs),
}

/// A batch that ran but had failed records: exit code 3.
#[derive(Debug)]
pub struct SomeRecordsFailed(pub String);

impl std::fmt::Display for SomeRecordsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SomeRecordsFailed {}

/// Runs a parsed command line; the error is what the user reads.
pub fn run(cli: Cli) -> Result<()> {
    let limits = Limits::from_assignments(cli.limits.iter().map(String::as_str)).map_err(|e| anyhow!(e))?;
    SHOW_VALUES.store(cli.show_values, std::sync::atomic::Ordering::Relaxed);
    match cli.command {
        Command::Limits => {
            print!("{limits}");
            Ok(())
        }
        Command::Render(a) => render(a, &limits),
        Command::Preview(a) => preview(a, &limits),
        Command::Check(a) => check(a, &limits),
        Command::Batch(a) => batch(*a, &limits),
        Command::Sample(a) => sample(a),
        Command::Schema => {
            print!("{}", crate::json_schema::storyboard_schema_text());
            Ok(())
        }

        Command::Studio(a) => studio(a, &limits),
        Command::Purge(a) => purge(a),

        Command::Enqueue(a) => queue::enqueue(a, &limits, &cli.limits),
        Command::Worker(a) => queue::worker(a),
        Command::Status(a) => queue::status(a),
    }
}

fn load(source: &Source, limits: &Limits) -> Result<bind::Binder> {
    load_in(source, limits, None)
}

/// The storyboard read in the format `format` (None: its default).
fn load_in(source: &Source, limits: &Limits, format: Option<&str>) -> Result<bind::Binder> {
    let binder = crate::load_format(&source.storyboard, source.assets.as_deref(), limits, format)
        .map_err(|d| anyhow!("{d}"))?;
    Ok(binder.show_values(SHOW_VALUES.load(std::sync::atomic::Ordering::Relaxed)))
}

/// The storyboard read in each format of `wanted` (empty: every format it declares).
fn load_formats(source: &Source, limits: &Limits, wanted: &[String]) -> Result<Vec<bind::Binder>> {
    let show = SHOW_VALUES.load(std::sync::atomic::Ordering::Relaxed);
    let binders = crate::load_formats(&source.storyboard, source.assets.as_deref(), limits, wanted)
        .map_err(|d| anyhow!("{d}"))?;
    Ok(binders.into_iter().map(|b| b.show_values(show)).collect())
}

fn bind_one(binder: &bind::Binder, choice: &RecordChoice) -> Result<crate::scene::SceneGraph> {
    let rec = record::find_with(&choice.data, &choice.id, &choice.id_field, binder.limits())?;
    Ok(binder.bind(&rec)?)
}

fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    Ok(())
}

/// The command line's x264 settings, else the storyboard's, else the defaults.
fn encode_settings(
    binder: &bind::Binder,
    preset: Option<String>,
    crf: Option<u8>,
    x264: &X264Args,
) -> Result<EncodeSettings> {
    let spec = &binder.storyboard().video.encoder;
    let settings = EncodeSettings {
        preset: preset.or_else(|| spec.preset.clone()).unwrap_or_else(|| EncodeSettings::default().preset),
        crf: crf.or(spec.crf).unwrap_or(EncodeSettings::default().crf),
        tune: x264.tune.clone().or_else(|| spec.tune.clone()).or(EncodeSettings::default().tune),
        x264_params: x264
            .x264_params
            .clone()
            .or_else(|| spec.x264_params.clone())
            .or(EncodeSettings::default().x264_params),
        cfr: x264.cfr,
    };
    if settings.crf > 51 {
        bail!("--crf must be between 0 and 51, but is {}", settings.crf);
    }
    Ok(settings)
}

/// Refuses to write `outputs` when one of them is an input (the data, the storyboard): a typo
/// like `-o run.jsonl` must not replace the billing run with a video. Checked before anything is
/// written.
fn refuse_overwriting_inputs(outputs: &[PathBuf], inputs: &[(&str, &Path)]) -> Result<()> {
    for out in outputs {
        if let Some((what, input)) = inputs.iter().find(|(_, input)| crate::output::same_file(out, input)) {
            bail!(
                "{} would overwrite {what} {}: choose another output name (nothing was written)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

fn render(a: RenderArgs, limits: &Limits) -> Result<()> {
    let started = Instant::now();
    // The video and every file written beside it (same stem): none may be an input.
    let beside: Vec<PathBuf> =
        ["jpg", "vtt", "srt", "gif", "html"].iter().map(|e| a.output.with_extension(e)).collect();
    refuse_overwriting_inputs(
        &[vec![a.output.clone()], beside].concat(),
        &[("the billing data", &a.record.data), ("the storyboard", &a.source.storyboard)],
    )?;
    let binder = load_in(&a.source, limits, a.format.as_deref())?.burn_captions(a.burn_captions);
    let _warnings = crate::warnings::per_record(&a.record.id);
    let bind_started = Instant::now();
    let graph = bind_one(&binder, &a.record)?;
    let bound = bind_started.elapsed();
    let settings = encode_settings(&binder, a.preset, a.crf, &a.x264)?;
    ensure_parent(&a.output)?;
    let mut stats = encode::render_video(&graph, &a.output, &settings)
        .with_context(|| format!("record {}: rendering {}", a.record.id, a.output.display()))?;
    stats.timings.add(crate::timings::Stage::Bind, bound);
    // The poster, captions, preview and page beside the video, as a batch writes them.
    let dir = a.output.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = a.output.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = std::process::id().to_string();
    let req = crate::outputs::Request { dir, name: &name, tag: &tag, srt: a.srt, deadline: None };
    let written = crate::outputs::write(&graph, &req).with_context(|| {
        format!("record {}: writing the files beside {}", a.record.id, a.output.display())
    })?;
    for file in [
        written.poster.as_ref(),
        written.captions.as_ref(),
        written.srt.as_ref(),
        written.preview.as_ref(),
        written.page.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        println!("{}", dir.join(file).display());
    }
    if a.timings {
        print!("{}", stats.timings);
    }
    println!(
        "{}: {} frames, {:.2}s, {} bytes, rendered in {:.2}s",
        a.output.display(),
        stats.frames,
        stats.duration_secs,
        stats.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn preview(a: PreviewArgs, limits: &Limits) -> Result<()> {
    refuse_overwriting_inputs(
        std::slice::from_ref(&a.output),
        &[("the billing data", &a.data), ("the storyboard", &a.source.storyboard)],
    )?;
    if a.formats.len() > 1 && !a.sheet {
        bail!("several --format are for --sheet; a single frame is of one format");
    }
    let binders = match a.formats.is_empty() {
        true => vec![load(&a.source, limits)?],
        false => load_formats(&a.source, limits, &a.formats)?,
    };
    let mut graphs = Vec::new();
    for id in &a.ids {
        let rec = record::find_with(&a.data, id, &a.id_field, limits)?;
        for binder in &binders {
            graphs.push(binder.bind(&rec)?);
        }
    }
    ensure_parent(&a.output)?;
    let (image, done) = if a.sheet {
        let formats = match binders.len() {
            1 => String::new(),
            n => format!(" in {n} formats"),
        };
        let done = format!("{}: contact sheet of {} records{formats}", a.output.display(), a.ids.len());
        (raster::sheet::contact_sheet(&graphs), done)
    } else {
        if graphs.len() > 1 {
            bail!("several --id are for --sheet; a single frame is of one record");
        }
        let graph = &graphs[0];
        let at = units::parse_duration(&a.at).map_err(|e| anyhow!("--at: {e}"))?;
        let frame =
            crate::outputs::still::frame_at(graph, at.secs()).map_err(|e| anyhow!("--at {}: {e}", a.at))?;
        let done = format!(
            "{}: frame {frame} of {} ({:.2}s)",
            a.output.display(),
            graph.total_frames,
            frame as f64 / graph.fps as f64
        );
        (crate::outputs::still::draw(graph, frame, &mut raster::Cache::default()), done)
    };
    // Encoded in memory, then written under a temporary name, fsynced and renamed: a full disk
    // is an error (exit 1) and leaves no truncated PNG; success is printed only after.
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .with_context(|| format!("cannot encode {} as PNG", a.output.display()))?;
    crate::output::write_bytes(&a.output, &std::process::id().to_string(), &png)
        .with_context(|| format!("cannot write {}", a.output.display()))?;
    println!("{done}");
    Ok(())
}

fn check(a: CheckArgs, limits: &Limits) -> Result<()> {
    // Every format is checked: its overrides, and with --data its layout for every record.
    let binders = load_formats(&a.source, limits, &[])?;
    let sb = binders[0].storyboard();
    let formats = match binders.len() {
        1 => String::new(),
        _ => {
            let list: Vec<String> = binders
                .iter()
                .map(|b| b.storyboard().format.clone())
                .map(|f| format!("{} {}x{}", f.name, f.width, f.height))
                .collect();
            format!(" in {} formats: {}", list.len(), list.join(", "))
        }
    };
    println!("{}: storyboard OK ({} scenes{formats})", a.source.storyboard.display(), sb.scenes.len());
    let Some(data) = &a.data else { return Ok(()) };
    let started = Instant::now();
    let refs: Vec<&bind::Binder> = binders.iter().collect();
    let report = crate::check::check_records_in(&refs, Records::open(data, &a.id_field, limits)?);
    const SHOWN: usize = 50;
    for p in report.problems.iter().take(SHOWN) {
        println!("error: {}", p.message);
    }
    let more = if a.report.is_some() { " (all in the report)" } else { " (use --report FILE for all)" };
    let problems = report.problems.len() + report.not_detailed as usize;
    if problems > SHOWN {
        println!("... and {} more problems{more}", problems - SHOWN);
    }
    for w in report.warnings.iter().take(SHOWN) {
        println!("warning: {}", w.message);
    }
    let warnings = report.warnings.len() + report.warnings_not_detailed as usize;
    if warnings > SHOWN {
        println!("... and {} more warnings{more}", warnings - SHOWN);
    }
    for u in report.untranslated.iter().take(SHOWN) {
        println!("warning: {u}");
    }
    if report.untranslated.len() > SHOWN {
        println!("... and {} more untranslated messages{more}", report.untranslated.len() - SHOWN);
    }
    for (window, records) in &report.previews {
        println!("{window}: {records} record(s)");
    }
    println!("\n{}", report.table());
    if let Some(path) = &a.report {
        ensure_parent(path)?;
        let file =
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), &report)?;
        println!("report: {}", path.display());
    }
    println!(
        "{}: {} records OK, {} failed, {} layout warnings ({:.1}s)",
        data.display(),
        report.ok,
        report.failed,
        warnings,
        started.elapsed().as_secs_f64()
    );
    if report.failed > 0 {
        bail!("{} of {} records cannot be rendered", report.failed, report.records);
    }
    Ok(())
}

fn batch(a: BatchArgs, limits: &Limits) -> Result<()> {
    use std::io::IsTerminal;

    use crate::batch::{self, BatchOptions, Event, Shard};

    let links = link_namer(&a)?;
    let shard = match &a.shard {
        Some(s) => Shard::parse(s).map_err(|e| anyhow!("--shard: {e}"))?,
        None => Shard::from_env(|k| std::env::var(k).ok()).map_err(|e| anyhow!(e))?.unwrap_or(Shard::ALL),
    };
    let mut limits = *limits;
    if let Some(t) = &a.record_timeout {
        limits.set(&format!("record-timeout={t}")).map_err(|e| anyhow!("--record-timeout {t}: {e}"))?;
    }
    let binders: Vec<std::sync::Arc<bind::Binder>> = load_formats(&a.source, &limits, &a.formats)?
        .into_iter()
        .map(|b| std::sync::Arc::new(b.burn_captions(a.burn_captions)))
        .collect();
    let settings = encode_settings(&binders[0], a.preset, a.crf, &a.x264)?;
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let base_url = a.base_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") });
    let (out, publish) = remote::out_target(&a.out, a.work_dir.as_deref())?;
    if let Some(store) = &publish {
        println!("batch: publishing to {store} (staging in {})", out.display());
    }
    let data = remote::DataFile::fetch(&a.data)?;
    let opts = BatchOptions {
        data: data.path.clone(),
        id_field: a.id_field,
        out,
        jobs,
        base_url,
        links,
        force: a.force,
        max_failures: a.max_failures,
        shard,
        settings,
        srt: a.srt,
        segment_cache_mb: (!a.no_segment_cache && a.segment_cache_mb > 0).then_some(a.segment_cache_mb),
        metrics: None,

        recreate_purged: a.recreate_purged,

        publish,
    };
    let manifest_name = shard.manifest_name();
    let outbox = opts.out.join(manifest_name.replacen("manifest", "webhook-outbox", 1));
    let observers = a.observe.start(observe::default_run_id(&opts.out, &manifest_name), outbox)?;
    let opts = BatchOptions { metrics: observers.metrics.clone(), ..opts };

    // A bar on a terminal; plain lines every 10 s otherwise (logs, CI, Kubernetes).
    let interactive = std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::hidden();
    let started = Instant::now();
    let mut last_line = Instant::now();
    let mut total = 0u64;
    let mut on_event = |e: Event| match e {
        Event::Started { total: t, manifest } => {
            total = t;
            observers.started();
            println!(
                "batch: {t} records, {jobs} workers, shard {}/{}, manifest {}",
                shard.index,
                shard.count,
                manifest.display()
            );
            if interactive {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.set_length(t);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ETA {eta}")
                        .expect("valid template"),
                );
            }
        }
        Event::Record { line, counts, skipped } => {
            if !skipped {
                observers.record_finished(line);
            }
            let per_min = counts.ok as f64 / started.elapsed().as_secs_f64().max(1e-9) * 60.0;
            if interactive {
                bar.set_position(counts.done());
                bar.set_message(format!(
                    "ok {} · skipped {} · failed {} · {per_min:.1} videos/min",
                    counts.ok, counts.skipped, counts.failed
                ));
            } else if last_line.elapsed() >= Duration::from_secs(10) || counts.done() == total {
                last_line = Instant::now();
                println!(
                    "progress: {}/{total} done (ok {}, skipped {}, failed {}), {per_min:.1} videos/min",
                    counts.done(),
                    counts.ok,
                    counts.skipped,
                    counts.failed
                );
            }
            if !skipped && line.status == batch::Status::Failed {
                let msg = format!("failed: {}", line.error.as_deref().unwrap_or("unknown error"));
                if interactive {
                    bar.println(msg);
                } else {
                    println!("{msg}");
                }
            }
        }
    };
    let summary = batch::run_formats(binders, &opts, &mut on_event)?;
    bar.finish_and_clear();
    print_summary(&summary, a.timings);
    let c = summary.counts;
    let run = serde_json::json!({
        "total": summary.total, "ok": c.ok, "skipped": c.skipped, "failed": c.failed,
        "stopped_early": summary.stopped_early, "elapsed_s": summary.elapsed.as_secs_f64(),
        "manifest": summary.manifest.file_name().map(|n| n.to_string_lossy()),
    });
    for line in observers.finish(Some(run), summary.videos_per_minute()) {
        println!("{line}");
    }
    if c.failed > 0 {
        return Err(SomeRecordsFailed(format!(
            "{} record{} failed; see the `error` field of their lines in {}",
            c.failed,
            if c.failed == 1 { "" } else { "s" },
            summary.manifest.display()
        ))
        .into());
    }
    Ok(())
}

/// How the batch names files: after an HMAC of the id with the link secret, or (demos only)
/// after the id itself.
fn link_namer(a: &BatchArgs) -> Result<crate::batch::LinkNamer> {
    links_from(a.link_secret_file.as_deref(), a.guessable_links, a.base_url.is_some())
}

/// [`link_namer`] from the options themselves (`enqueue` and `worker` have them too).
fn links_from(
    secret_file: Option<&Path>,
    guessable: bool,
    base_url: bool,
) -> Result<crate::batch::LinkNamer> {
    use crate::batch::{self, LinkNamer};
    Ok(match (secret_file, std::env::var_os("BILLREEL_LINK_SECRET")) {
        (Some(file), _) => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read --link-secret-file {}", file.display()))?;
            LinkNamer::Secret(batch::links::secret_from(&bytes, &file.display().to_string()).map_err(|e| anyhow!(e))?)
        }
        (None, Some(v)) => LinkNamer::Secret(
            batch::links::secret_from(v.to_string_lossy().as_bytes(), "BILLREEL_LINK_SECRET").map_err(|e| anyhow!(e))?,
        ),
        (None, None) if guessable => LinkNamer::Guessable,
        (None, None) => bail!(
            "no link secret: video and poster names must not be guessable from customer ids{}.\n\
             Set BILLREEL_LINK_SECRET (at least 16 random bytes, e.g. `export BILLREEL_LINK_SECRET=$(openssl rand -hex 32)`)\n\
             or pass --link-secret-file FILE; keep the same secret for reruns so links stay stable.\n\
             For a local demo only, --guessable-links names files after the ids.",
            if base_url { ", and --base-url would publish them" } else { "" }
        ),
    })
}

/// The closing lines of a batch: counts, rate, the manifest, and where the time went.
fn print_summary(summary: &crate::batch::Summary, timings: bool) {
    let c = summary.counts;
    // Said only when there are some, so a run without purged records prints what it always did.
    let purged = match c.purged {
        0 => String::new(),
        n => format!(", {n} purged (left deleted; --recreate-purged renders them)"),
    };
    println!(
        "done: {} ok, {} skipped (already done), {} failed{purged} of {} in {:.1}s, {:.1} videos/min{}",
        c.ok,
        c.skipped,
        c.failed,
        summary.total,
        summary.elapsed.as_secs_f64(),
        summary.videos_per_minute(),
        if summary.stopped_early { " (stopped early: --max-failures reached)" } else { "" }
    );
    let m = summary.made;
    if m.partly_kept > 0 {
        // A rerun that kept some files: say what was made, so a change's cost is visible.
        println!(
            "made: {} videos, {} posters, {} GIF previews, {} captions, {} pages (the rest kept: their inputs did not change)",
            m.videos, m.posters, m.previews, m.captions, m.pages
        );
    }
    println!("manifest: {}", summary.manifest.display());
    if timings {
        print!("{}", summary.timings);
        if let Some(c) = summary.cache {
            println!(
                "segment cache: {} hits, {} misses, {} segments and {} sound tracks in {:.1} MB at the end; \
                 {} sound tracks copied",
                c.hits,
                c.misses,
                c.segments,
                c.sounds,
                c.bytes as f64 / (1 << 20) as f64,
                c.sound_hits
            );
        }
    }
}

fn sample(a: SampleArgs) -> Result<()> {
    let write = |w: &mut dyn std::io::Write| crate::sample::write_run(w, a.customers, a.seed);
    if a.output.as_os_str() == "-" {
        write(&mut std::io::stdout().lock())?;
    } else {
        ensure_parent(&a.output)?;
        let file = std::fs::File::create(&a.output)
            .with_context(|| format!("cannot create {}", a.output.display()))?;
        write(&mut std::io::BufWriter::new(file))?;
        println!("{}: {} customers (seed {})", a.output.display(), a.customers, a.seed);
    }
    Ok(())
}

fn studio(a: StudioArgs, limits: &Limits) -> Result<()> {
    let addr = std::net::SocketAddr::new(a.listen, a.port);
    if !a.listen.is_loopback() {
        eprintln!(
            "warning: the studio listens on {addr}, which is not a loopback address: every machine that \
             can reach it sees your customers' data. Use --listen 127.0.0.1 unless you mean it."
        );
        tracing::warn!(%addr, "studio: listening beyond loopback");
    }
    let opts = crate::studio::Options {
        storyboard: a.source.storyboard,
        data: a.data,
        id_field: a.id_field,
        name_field: a.name_field,
        assets: a.source.assets,
        limits: *limits,
        loader: crate::load_with,
    };
    crate::studio::run(opts, addr, |bound| {
        use std::io::Write as _;
        // The first line of stdout is the address, for scripts and tests that start the studio.
        println!("studio: http://{bound}/ (read-only; Ctrl-C to stop)");
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}

/// `billreel purge`: the library deletes and writes the audit; this prints what went and picks
/// the exit code: 1 when no id given was found in any run (a wrong id or folder) or a file could
/// not be deleted; 0 otherwise, also when only some ids were found (the others are listed).
fn purge(a: PurgeArgs) -> Result<()> {
    use crate::purge::{self, FileState, Request, Target};

    let older_than = a.older_than.as_deref().map(purge::parse_period).transpose()?;
    let targets = a.outs.into_iter().map(Target::Out).chain(a.runs.into_iter().map(Target::Runs)).collect();
    let req = Request {
        targets,
        ids: a.ids,
        older_than,
        reason: a.reason,
        dry_run: a.dry_run,
        now: std::time::SystemTime::now(),
    };
    let report = purge::run(&req)?;
    let verb = if req.dry_run { "would delete" } else { "deleted" };
    for (run, p) in report.records() {
        let gone = p.files.iter().filter(|f| matches!(f.state, FileState::Deleted | FileState::WouldDelete));
        println!("{verb} {} in {}: {} files, {}", p.id, run.label, gone.count(), size(p.bytes()));
        for f in &p.files {
            match &f.state {
                FileState::Failed(why) => println!("  not deleted: {} ({why})", f.name),
                FileState::Absent => println!("  already gone: {}", f.name),
                FileState::WouldDelete => println!("  {}", f.name),
                FileState::Deleted => {}
            }
        }
    }
    for run in &report.runs {
        for id in &run.already {
            println!("already deleted: {id} in {}", run.label);
        }
        if let Some(audit) = &run.audit {
            println!("audit: {}/{audit}", run.label.trim_end_matches('/'));
        }
    }
    for id in &report.not_found {
        println!("not found: {id} (no line in the manifests of the {} runs)", report.runs.len());
    }
    let (records, bytes) = report.records().fold((0, 0), |(n, b), (_, p)| (n + 1, b + p.bytes()));
    println!(
        "purge: {records} records, {} {} in {} runs{}",
        size(bytes),
        if req.dry_run { "would be deleted" } else { "deleted" },
        report.runs.len(),
        if req.dry_run { " (dry run: nothing was deleted)" } else { "" }
    );
    if report.failed() {
        bail!("some files could not be deleted (listed above); their records keep their manifest lines: purge again once the store accepts deletions");
    }
    if !req.ids.is_empty() && report.not_found.len() == req.ids.len() {
        bail!(
            "none of the ids given is in the manifests of the {} runs: nothing was deleted; check the ids and the folders",
            report.runs.len()
        );
    }
    Ok(())
}

/// `812 B`, `27.1 kB`, `3.4 MB`, `1.2 GB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.1} GB", bytes as f64 / 1e9),
    }
}
