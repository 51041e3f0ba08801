//! The command line: `render`, `preview`, `check`.
//!
//! Only this module (and `main`) prints or decides exit codes; the library logs through
//! `tracing`. Exit codes: 0 success, 1 the work failed (bad storyboard, bad record, encoding
//! error), 2 the command line itself was wrong.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::encode::{self, EncodeSettings};
use crate::record::{self, Records};
use crate::storyboard::units;
use crate::{bind, raster};

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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render one record's video to an MP4 file.
    Render(RenderArgs),
    /// Render one frame of one record's video to a PNG file.
    Preview(PreviewArgs),
    /// Validate a storyboard, and with --data bind every record of a billing run (no video).
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct Source {
    /// The storyboard YAML file.
    pub storyboard: PathBuf,
    /// Assets folder (default: the storyboard's `assets:` key, else assets/ beside it or above it).
    #[arg(long)]
    pub assets: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecordChoice {
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// The id of the record to render.
    #[arg(long)]
    pub id: String,
    /// The record field holding the id (dotted paths allowed).
    #[arg(long, default_value = "id")]
    pub id_field: String,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub record: RecordChoice,
    /// Output MP4 file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// x264 preset (overrides the storyboard's video.encoder.preset; default veryfast).
    #[arg(long)]
    pub preset: Option<String>,
    /// x264 constant rate factor, 0-51 (overrides the storyboard; default 23).
    #[arg(long)]
    pub crf: Option<u8>,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub record: RecordChoice,
    /// Time of the frame, with a unit: `12.5s`, `800ms`.
    #[arg(long, default_value = "0s")]
    pub at: String,
    /// Output PNG file.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: Source,
    /// Also bind every record of this billing run and report each one that fails.
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "id")]
    pub id_field: String,
}

/// Runs a parsed command line; the error is what the user reads.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render(a) => render(a),
        Command::Preview(a) => preview(a),
        Command::Check(a) => check(a),
    }
}

fn load(source: &Source) -> Result<bind::Binder> {
    crate::load(&source.storyboard, source.assets.as_deref()).map_err(|d| anyhow!("{d}"))
}

fn bind_one(binder: &bind::Binder, choice: &RecordChoice) -> Result<crate::scene::SceneGraph> {
    let rec = record::find(&choice.data, &choice.id, &choice.id_field)?;
    Ok(binder.bind(&rec)?)
}

fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    Ok(())
}

fn render(a: RenderArgs) -> Result<()> {
    let started = Instant::now();
    let binder = load(&a.source)?;
    let graph = bind_one(&binder, &a.record)?;
    let spec = &binder.storyboard().video.encoder;
    let settings = EncodeSettings {
        preset: a.preset.or_else(|| spec.preset.clone()).unwrap_or_else(|| EncodeSettings::default().preset),
        crf: a.crf.or(spec.crf).unwrap_or(EncodeSettings::default().crf),
    };
    if settings.crf > 51 {
        bail!("--crf must be between 0 and 51, but is {}", settings.crf);
    }
    ensure_parent(&a.output)?;
    let stats = encode::render_video(&graph, &a.output, &settings)
        .with_context(|| format!("record {}: rendering {}", a.record.id, a.output.display()))?;
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

fn preview(a: PreviewArgs) -> Result<()> {
    let at = units::parse_duration(&a.at).map_err(|e| anyhow!("--at: {e}"))?;
    let binder = load(&a.source)?;
    let graph = bind_one(&binder, &a.record)?;
    if at.secs() > graph.duration_secs() {
        bail!("--at {} is past the end of this record's video ({:.2}s)", a.at, graph.duration_secs());
    }
    let frame = graph.frame_at(at.secs());
    let pix = raster::render(&graph, frame);
    ensure_parent(&a.output)?;
    raster::to_rgba_image(&pix)
        .save_with_format(&a.output, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", a.output.display()))?;
    println!(
        "{}: frame {frame} of {} ({:.2}s)",
        a.output.display(),
        graph.total_frames,
        frame as f64 / graph.fps as f64
    );
    Ok(())
}

fn check(a: CheckArgs) -> Result<()> {
    let binder = load(&a.source)?;
    let sb = binder.storyboard();
    println!("{}: storyboard OK ({} scenes)", a.source.storyboard.display(), sb.scenes.len());
    let Some(data) = &a.data else { return Ok(()) };
    let (ok, failures) = bind::check_records(&binder, Records::open(data, &a.id_field)?);
    for f in &failures {
        println!("error: {f}");
    }
    println!("{}: {ok} records OK, {} failed", data.display(), failures.len());
    if !failures.is_empty() {
        bail!("{} of {} records cannot be rendered", failures.len(), ok + failures.len());
    }
    Ok(())
}
