//! `enqueue`, `worker` and `status`: a billing run over a Redis work queue (see
//! [`crate::queue`]); this file turns their options into the queue's calls and prints.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::Args;

use super::{encode_settings, links_from, load_formats, Source, X264Args, SHOW_VALUES};
use crate::limits::Limits;
use crate::queue::{self, spec, Redis, RunSpec};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct EnqueueArgs {
    #[command(flatten)]
    pub source: Source,
    /// Billing data: JSON Lines (.jsonl) or CSV (.csv); every record becomes a stream entry.
    #[arg(long)]
    pub data: PathBuf,
    /// The Redis server: redis://HOST:PORT/ (or redis://HOST:PORT/DB).
    #[arg(long, value_name = "URL")]
    pub queue: String,
    /// The run's name: its folder in the workers' --out and its Redis keys (default: `run-`
    /// and 12 hex characters of the storyboard's and the data's SHA-256).
    #[arg(long = "run", value_name = "NAME")]
    pub run_name: Option<String>,
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// The formats to render (default: all the storyboard declares), as for `batch`.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub formats: Vec<String>,
    /// Public URL prefix for the manifest, e.g. https://videos.example.com/run1/ (the run's folder).
    #[arg(long)]
    pub base_url: Option<String>,
    /// File holding the link secret (or set BILLREEL_LINK_SECRET). It is not stored in the
    /// queue: the workers need the same secret; the run keeps a fingerprint to check it.
    #[arg(long)]
    pub link_secret_file: Option<PathBuf>,
    /// Name files after record ids (local demos only: anyone can guess a link).
    #[arg(long)]
    pub guessable_links: bool,
    #[arg(long)]
    pub preset: Option<String>,
    #[arg(long)]
    pub crf: Option<u8>,
    #[command(flatten)]
    pub x264: X264Args,
    /// Also write the captions as SubRip (.srt).
    #[arg(long)]
    pub srt: bool,
    /// Draw the captions into the picture.
    #[arg(long)]
    pub burn_captions: bool,
    /// Memory for shared coded segments, per worker thread.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub segment_cache_mb: usize,
    /// Encode every video whole (no shared segments).
    #[arg(long)]
    pub no_segment_cache: bool,
    /// Wall time one record may take, e.g. 30s (default 120s).
    #[arg(long, value_name = "DURATION")]
    pub record_timeout: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The Redis server the runs were enqueued on: redis://HOST:PORT/.
    #[arg(long, value_name = "URL")]
    pub queue: String,
    /// Where to publish: a local folder (each run in its own folder RUN/ under it).
    #[arg(long, value_name = "DIR")]
    pub out: String,
    /// Records rendered at once, one per thread (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// How long a record may sit unacknowledged before another worker takes it over, e.g. 120s.
    /// A live worker renews its own records every third of it, so only dead or stopped workers
    /// lose theirs.
    #[arg(long, default_value = "120s", value_name = "DURATION")]
    pub visibility_timeout: String,
    /// Deliveries after which a record goes to the run's dead-letter stream.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// Keep waiting for new runs when every queued run is finished (default: exit then).
    #[arg(long)]
    pub wait: bool,
    /// File holding the link secret the runs were enqueued with (or set BILLREEL_LINK_SECRET).
    #[arg(long)]
    pub link_secret_file: Option<PathBuf>,
    /// How long Redis may be unreachable before the worker gives up, e.g. 5m.
    #[arg(long, default_value = "300s", value_name = "DURATION")]
    pub reconnect_for: String,
    /// Metrics (`--metrics-addr`) and webhooks (`--webhook`): as for `batch`; events carry the
    /// queued run's name.
    #[command(flatten)]
    pub observe: super::observe::ObserveArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The Redis server: redis://HOST:PORT/.
    #[arg(long, value_name = "URL")]
    pub queue: String,
    /// Only this run.
    #[arg(long = "run", value_name = "NAME")]
    pub run_name: Option<String>,
    /// One JSON array of the runs, for machines.
    #[arg(long)]
    pub json: bool,
    /// Also merge each run's manifest (RUN/manifest.jsonl) in the workers' --out from the
    /// lines published so far.
    #[arg(long, requires = "out")]
    pub manifest: bool,
    /// The workers' --out, for --manifest.
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,
}

pub fn enqueue(a: EnqueueArgs, limits: &Limits, assignments: &[String]) -> Result<()> {
    let links = links_from(a.link_secret_file.as_deref(), a.guessable_links, a.base_url.is_some())?;
    let mut limits = *limits;
    let mut assignments = assignments.to_vec();
    if let Some(t) = &a.record_timeout {
        let set = format!("record-timeout={t}");
        limits.set(&set).map_err(|e| anyhow!("--record-timeout {t}: {e}"))?;
        assignments.push(set);
    }
    let binders = load_formats(&a.source, &limits, &a.formats)?;
    let settings = encode_settings(&binders[0], a.preset, a.crf, &a.x264)?;
    let spec = RunSpec {
        run: a.run_name.unwrap_or_default(),
        storyboard: String::new(),
        assets: None,
        formats: a.formats,
        base_url: a.base_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") }),
        links: spec::Links::of(&links),
        encode: (&settings).into(),
        srt: a.srt,
        burn_captions: a.burn_captions,
        limits: assignments,
        segment_cache_mb: (!a.no_segment_cache && a.segment_cache_mb > 0).then_some(a.segment_cache_mb),
        total: 0,
    };
    let mut redis = Redis::open(&a.queue, Duration::ZERO)?;
    let done = queue::enqueue::enqueue(
        &mut redis,
        queue::enqueue::Request {
            spec,
            storyboard: &a.source.storyboard,
            assets_override: a.source.assets.as_deref(),
            binder: &binders[0],
            data: &a.data,
            id_field: &a.id_field,
            limits: &limits,
        },
    )?;
    println!(
        "enqueued run {}: {} records ({} unreadable), bundle {:.1} MB, on {}",
        done.run,
        done.records,
        done.unreadable,
        done.bundle_bytes as f64 / 1e6,
        redis.url()
    );
    Ok(())
}

pub fn worker(a: WorkerArgs) -> Result<()> {
    let own = match (&a.link_secret_file, std::env::var_os("BILLREEL_LINK_SECRET")) {
        (None, None) => None,
        _ => Some(links_from(a.link_secret_file.as_deref(), false, false)?),
    };
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let visibility = duration(&a.visibility_timeout, "--visibility-timeout")?;
    if visibility < Duration::from_millis(300) {
        bail!("--visibility-timeout must be at least 300ms (a worker renews its records every third of it), but is {}", a.visibility_timeout);
    }
    if a.max_attempts == 0 {
        bail!("--max-attempts must be at least 1");
    }
    let parent = std::env::temp_dir();
    sweep_scratch(&parent);
    let opts = queue::worker::WorkerOptions {
        queue: a.queue,
        jobs,
        visibility,
        max_attempts: a.max_attempts,
        wait: a.wait,
        links: own,
        scratch: parent.join(format!("billreel-worker-{}", std::process::id())),
        patience: duration(&a.reconnect_for, "--reconnect-for")?,
    };
    Redis::open(&opts.queue, Duration::ZERO)?;
    let store = Store::open(&a.out)?;
    let load = |storyboard: &Path,
                assets: Option<&Path>,
                spec: &RunSpec|
     -> Result<Vec<Arc<crate::bind::Binder>>, String> {
        let limits = Limits::from_assignments(spec.limits.iter().map(String::as_str))?;
        let show = SHOW_VALUES.load(std::sync::atomic::Ordering::Relaxed);
        let binders =
            crate::load_formats(storyboard, assets, &limits, &spec.formats).map_err(|d| d.to_string())?;
        Ok(binders
            .into_iter()
            .map(|b| Arc::new(b.burn_captions(spec.burn_captions).show_values(show)))
            .collect())
    };
    // Undelivered webhook events wait in a local file: the output folder's, else the temp dir's.
    let outbox = store.local_root().unwrap_or(&parent).join("webhook-outbox.jsonl");
    let observers = a.observe.start(format!("worker-{}", queue::worker::consumer_name()), outbox)?;
    observers.started();
    let started = std::time::Instant::now();
    let summary = queue::worker::run(&opts, &store, &load, &Watch(&observers))?;
    println!("worker: {} records rendered, {} dead-lettered", summary.rendered, summary.dead_lettered);
    let per_min = summary.rendered as f64 / started.elapsed().as_secs_f64().max(1e-9) * 60.0;
    // Each queued run sent its own `run.finished` (Watch below); the process is not a run.
    for line in observers.finish(None, per_min) {
        println!("{line}");
    }
    for st in &summary.merged {
        println!(
            "run {} finished: {} ok, {} failed, {} dead-lettered of {}; manifest {store}/{}",
            st.run,
            st.ok,
            st.failed,
            st.dead_lettered,
            st.total,
            queue::manifest::merged(&st.run)
        );
    }
    Ok(())
}

pub fn status(a: StatusArgs) -> Result<()> {
    let mut redis = Redis::open(&a.queue, Duration::ZERO)?;
    let runs = match &a.run_name {
        Some(r) => vec![queue::status::of(&mut redis, r)?],
        None => queue::status::all(&mut redis)?,
    };
    if let Some(out) = a.out.as_deref().filter(|_| a.manifest) {
        let store = Store::open(out)?;
        for st in &runs {
            let lines = queue::manifest::merge(&store, &st.run, &format!("s{}", std::process::id()))?;
            if !a.json {
                println!("{store}/{}: {} lines", queue::manifest::merged(&st.run), lines.len());
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string(&runs)?);
        return Ok(());
    }
    println!(
        "{:<24} {:>8} {:>8} {:>9} {:>8} {:>8} {:>13}  state",
        "run", "total", "pending", "in flight", "ok", "failed", "dead-lettered"
    );
    for s in &runs {
        let state = if s.finished {
            "finished"
        } else if s.done() == s.total {
            "merging"
        } else {
            "running"
        };
        println!(
            "{:<24} {:>8} {:>8} {:>9} {:>8} {:>8} {:>13}  {state}",
            s.run, s.total, s.pending, s.in_flight, s.ok, s.failed, s.dead_lettered
        );
    }
    if runs.is_empty() {
        println!("(no runs in the queue at {})", redis.url());
    }
    Ok(())
}

/// `120s`, `500ms`, `2m`, `1h`, or a number of seconds.
fn duration(text: &str, option: &str) -> Result<Duration> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Duration::from_secs_f64(v * scale)),
        _ => bail!("{option} {text}: not a duration; write e.g. 120s, 500ms or 2m"),
    }
}

/// Removes the scratch folders of workers that were killed (their process is gone).
fn sweep_scratch(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("billreel-worker-").and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The worker's records and runs, told to the metrics and the webhooks.
struct Watch<'a>(&'a super::observe::Observers);

impl queue::Observer for Watch<'_> {
    fn wants_progress(&self) -> bool {
        self.0.metrics.is_some()
    }

    fn progress(&self, status: &queue::status::RunStatus, here: u64) {
        if let Some(m) = &self.0.metrics {
            m.set_queue_lag(status.pending);
            m.set_in_flight(here);
        }
    }

    fn record_finished(&self, run: &str, line: &crate::batch::ManifestLine) {
        use crate::batch::Status;
        use crate::metrics::RecordStatus;
        if let Some(m) = &self.0.metrics {
            let status = match line.status {
                Status::Ok | Status::Deleted => RecordStatus::Ok,
                Status::Failed => RecordStatus::Failed,
            };
            m.record_finished(status, None, Duration::from_millis(line.render_ms));
        }
        if let Some(w) = &self.0.webhooks {
            w.record_finished_in(run, &line.key(), line.public_fields());
        }
    }

    fn run_finished(&self, run: &str, status: &queue::status::RunStatus) {
        if let Some(w) = &self.0.webhooks {
            w.run_finished_in(run, serde_json::to_value(status).unwrap_or_default());
        }
    }
}
