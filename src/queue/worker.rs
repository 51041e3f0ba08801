//! `billreel worker`: takes records from every queued run in turn and renders them, on `jobs`
//! threads, until the runs are done (or, with `wait`, for as long as it runs).
//!
//! Per record: take it (a stalled worker's first, by XAUTOCLAIM; else a new one, by
//! XREADGROUP), render it into this thread's scratch folder with `batch`'s step, publish its
//! files through the store, then its manifest object, then mark it finished and acknowledge
//! it in one transaction. A record delivered more than `max_attempts` times is dead-lettered
//! instead. Whoever sees a run's last record finished merges its manifest and marks the run
//! finished (one worker at a time, by a lock with an expiry, so a merger killed mid-way is
//! replaced).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};

use super::lease::{self, InFlight};
use super::spec::RunSpec;
use super::status::{self, RunStatus};
use super::{bundle, manifest, now_ms, Keys, Observer, Outcome, QueueError, Redis, GROUP, RUNS_KEY};
use crate::batch::record::RecordStep;
use crate::batch::{BatchOptions, LinkNamer, ManifestLine, Shard, Status};
use crate::bind::{Binder, ProblemKind};
use crate::record::Record;
use crate::store::Store;

/// What a worker is told.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub queue: String,
    /// Records rendered at once (threads).
    pub jobs: usize,
    /// How long a record may sit idle in the group before another worker takes it.
    pub visibility: Duration,
    /// Deliveries after which a record is dead-lettered.
    pub max_attempts: u32,
    /// Keep waiting for new runs when every run is finished.
    pub wait: bool,
    /// The worker's own link secret (None: it has none).
    pub links: Option<LinkNamer>,
    /// This process's scratch folder: bundles unpacked, records rendered before publishing.
    pub scratch: PathBuf,
    /// How long Redis may be away before the worker gives up.
    pub patience: Duration,
}

/// Loads a run's storyboard from its unpacked bundle: (storyboard, `--assets` of the run, spec)
/// -> one binder per format, the default first. Given by the command line, which owns loading.
pub type Loader = dyn Fn(&Path, Option<&Path>, &RunSpec) -> Result<Vec<Arc<Binder>>, String> + Send + Sync;

/// What a worker did.
#[derive(Debug, Default)]
pub struct Summary {
    pub rendered: u64,
    pub dead_lettered: u64,
    /// The runs this worker merged the manifest of.
    pub merged: Vec<RunStatus>,
}

/// One run, loaded once per process.
struct RunCtx {
    spec: RunSpec,
    keys: Keys,
    binders: Vec<Arc<Binder>>,
    links: LinkNamer,
}

/// What the threads of a worker share.
struct Shared<'a> {
    opts: &'a WorkerOptions,
    consumer: String,
    store: &'a Store,
    load: &'a Loader,
    observer: &'a dyn Observer,
    runs: Mutex<HashMap<String, Arc<RunCtx>>>,
    inflight: InFlight,
    rendered: AtomicU64,
    /// Records this process has taken and not finished (for the in-flight gauge).
    taken: AtomicU64,
    dead: AtomicU64,
    merged: Mutex<Vec<RunStatus>>,
    stop: AtomicBool,
}

/// A message taken from a run's stream.
struct Msg {
    id: String,
    fields: HashMap<String, String>,
    /// Deliveries so far, this one included.
    attempts: usize,
}

/// This process's consumer name in the group: host and process id.
pub fn consumer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}", std::process::id())
}

/// Runs a worker until every queued run is finished (or, with `wait`, until an error).
pub fn run(
    opts: &WorkerOptions,
    store: &Store,
    load: &Loader,
    observer: &dyn Observer,
) -> Result<Summary, QueueError> {
    let shared = Shared {
        opts,
        consumer: consumer_name(),
        store,
        load,
        observer,
        runs: Mutex::default(),
        inflight: InFlight::default(),
        rendered: AtomicU64::new(0),
        taken: AtomicU64::new(0),
        dead: AtomicU64::new(0),
        merged: Mutex::default(),
        stop: AtomicBool::new(false),
    };
    std::fs::create_dir_all(&opts.scratch).map_err(|source| QueueError::Io {
        action: "cannot create the scratch folder",
        path: opts.scratch.clone(),
        source,
    })?;
    tracing::info!(consumer = %shared.consumer, jobs = opts.jobs, queue = %opts.queue, "worker started");
    let beat_stop = AtomicBool::new(false);
    let every = (opts.visibility / 3).max(Duration::from_millis(100));
    let results: Vec<Result<(), QueueError>> = std::thread::scope(|s| {
        let beat_redis = Redis::open(&opts.queue, every)?;
        let (consumer, inflight, beat_stop) = (&shared.consumer, &shared.inflight, &beat_stop);
        let beat = std::thread::Builder::new()
            .name("billreel-heartbeat".into())
            .spawn_scoped(s, move || lease::heartbeat(beat_redis, consumer, inflight, every, beat_stop))
            .expect("spawn the heartbeat thread");
        let threads: Vec<_> = (0..opts.jobs.max(1))
            .map(|k| {
                let shared = &shared;
                std::thread::Builder::new()
                    .name(format!("billreel-worker-{k}"))
                    .spawn_scoped(s, move || {
                        let r = thread_main(shared, k);
                        if r.is_err() {
                            shared.stop.store(true, Ordering::Relaxed);
                        }
                        r
                    })
                    .expect("spawn a worker thread")
            })
            .collect();
        let results = threads
            .into_iter()
            .map(|t| {
                t.join().unwrap_or_else(|p| Err(QueueError::Run(format!("a worker thread panicked: {p:?}"))))
            })
            .collect();
        beat_stop.store(true, Ordering::Relaxed);
        let _ = beat.join();
        Ok::<_, QueueError>(results)
    })?;
    let _ = std::fs::remove_dir_all(&opts.scratch);
    if let Some(e) = results.into_iter().find_map(Result::err) {
        return Err(e);
    }
    let merged = std::mem::take(&mut *shared.merged.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Summary { rendered: shared.rendered.into_inner(), dead_lettered: shared.dead.into_inner(), merged })
}

/// One worker thread: its own Redis connection, scratch folder and record step per run.
fn thread_main(sh: &Shared, k: usize) -> Result<(), QueueError> {
    let mut redis = Redis::open(&sh.opts.queue, sh.opts.patience)?;
    let scratch = sh.opts.scratch.join(format!("t{k}"));
    let tag = format!("q{}t{k}", std::process::id());
    let mut steps: HashMap<String, RecordStep> = HashMap::new();
    let mut cursors: HashMap<String, String> = HashMap::new();
    while !sh.stop.load(Ordering::Relaxed) {
        let Some(run) = next_run(&mut redis)? else {
            if !sh.opts.wait {
                return Ok(());
            }
            std::thread::sleep(Duration::from_secs(1));
            continue;
        };
        let ctx = sh.context(&mut redis, &run)?;
        let step = steps
            .entry(run.clone())
            .or_insert_with(|| RecordStep::new(ctx.binders.clone(), batch_options(&ctx, &scratch), &tag));
        let cursor = cursors.entry(run.clone()).or_insert_with(|| "0-0".into());
        match take(&mut redis, sh, &ctx, cursor)? {
            Some(msg) => {
                let here = sh.taken.fetch_add(1, Ordering::Relaxed) + 1;
                report(&mut redis, sh, &ctx, here);
                let handled = handle(&mut redis, sh, &ctx, step, &scratch, &tag, msg);
                let here = sh.taken.fetch_sub(1, Ordering::Relaxed) - 1;
                handled?;
                report(&mut redis, sh, &ctx, here);
            }
            None => {
                if !finish(&mut redis, sh, &ctx, &tag)? {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }
    Ok(())
}

/// Tells the observer (metrics) the run's state; a failure to read it is only logged, since
/// the figures are for watching, not for the work.
fn report(redis: &mut Redis, sh: &Shared, ctx: &RunCtx, here: u64) {
    if !sh.observer.wants_progress() {
        return;
    }
    match super::status::of(redis, &ctx.spec.run) {
        Ok(st) => sh.observer.progress(&st, here),
        Err(e) => {
            tracing::debug!(run = %ctx.spec.run, error = %e, "cannot read the run's status for the metrics")
        }
    }
}

/// The first listed run that is not finished.
fn next_run(redis: &mut Redis) -> Result<Option<String>, QueueError> {
    let runs: Vec<String> =
        redis.run("ZRANGE", |c| redis::cmd("ZRANGE").arg(RUNS_KEY).arg(0).arg(-1).query(c))?;
    for run in runs {
        let finished: Option<String> =
            redis.run("HGET", |c| redis::cmd("HGET").arg(Keys::new(&run).meta()).arg("finished").query(c))?;
        if finished.is_none() {
            return Ok(Some(run));
        }
    }
    Ok(None)
}

impl Shared<'_> {
    /// The run loaded: its spec read, its bundle unpacked, its storyboard loaded (once).
    fn context(&self, redis: &mut Redis, run: &str) -> Result<Arc<RunCtx>, QueueError> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ctx) = runs.get(run) {
            return Ok(ctx.clone());
        }
        let keys = Keys::new(run);
        let spec: Option<String> =
            redis.run("HGET", |c| redis::cmd("HGET").arg(keys.meta()).arg("spec").query(c))?;
        let spec: RunSpec = serde_json::from_str(&spec.unwrap_or_default()).map_err(|e| {
            QueueError::Run(format!(
                "run {run} in the queue has no readable options ({e}); enqueue it again under another name"
            ))
        })?;
        let links = spec.links.namer(run, self.opts.links.as_ref()).map_err(QueueError::Run)?;
        let bytes: Option<Vec<u8>> = redis.run("GET", |c| redis::cmd("GET").arg(keys.bundle()).query(c))?;
        let bytes = bytes.ok_or_else(|| {
            QueueError::Run(format!("run {run} has no bundle in the queue; enqueue it again"))
        })?;
        let dir = self.opts.scratch.join("runs").join(run);
        bundle::unpack(&bytes, &dir)?;
        let storyboard = dir.join(&spec.storyboard);
        let assets = spec.assets.as_ref().map(|a| dir.join(a));
        let binders = (self.load)(&storyboard, assets.as_deref(), &spec).map_err(|e| {
            QueueError::Run(format!("run {run}: its storyboard does not load from its bundle: {e}"))
        })?;
        tracing::info!(run, records = spec.total, formats = binders.len(), "run loaded");
        let ctx = Arc::new(RunCtx { spec, keys, binders, links });
        runs.insert(run.to_string(), ctx.clone());
        Ok(ctx)
    }
}

/// `batch`'s options for a run's records, rendered into `scratch`.
fn batch_options(ctx: &RunCtx, scratch: &Path) -> BatchOptions {
    let s = &ctx.spec;
    BatchOptions {
        data: PathBuf::new(),
        id_field: String::new(),
        out: scratch.to_path_buf(),
        jobs: 1,
        base_url: s.base_url.clone(),
        links: ctx.links.clone(),
        force: true,
        max_failures: None,
        shard: Shard::ALL,
        settings: (&s.encode).into(),
        srt: s.srt,
        segment_cache_mb: s.segment_cache_mb,
        // The worker reports to metrics and webhooks itself, per published record.
        metrics: None,
        // A queued record is rendered whatever an earlier manifest said of it.
        recreate_purged: true,
        // The worker publishes a rendered record through its own store (`publish` below).
        publish: None,
    }
}

/// A record idle for longer than the visibility timeout (a dead or stalled worker's), else a
/// new one (waiting up to 0.1 s, so the end of a run is seen soon), else None.
fn take(
    redis: &mut Redis,
    sh: &Shared,
    ctx: &RunCtx,
    cursor: &mut String,
) -> Result<Option<Msg>, QueueError> {
    let stream = ctx.keys.records();
    let idle = sh.opts.visibility.as_millis() as u64;
    let claimed: StreamAutoClaimReply = redis.run("XAUTOCLAIM", |c| {
        redis::cmd("XAUTOCLAIM")
            .arg(&stream)
            .arg(GROUP)
            .arg(&sh.consumer)
            .arg(idle)
            .arg(&*cursor)
            .arg("COUNT")
            .arg(1)
            .query(c)
    })?;
    *cursor = claimed.next_stream_id;
    if let Some(m) = claimed.claimed.into_iter().next() {
        let pending: StreamPendingCountReply = redis.run("XPENDING", |c| {
            redis::cmd("XPENDING").arg(&stream).arg(GROUP).arg(&m.id).arg(&m.id).arg(1).query(c)
        })?;
        let attempts = pending.ids.first().map_or(1, |p| p.times_delivered);
        tracing::info!(run = %ctx.spec.run, entry = %m.id, attempts, "took over a record another worker left idle");
        return Ok(Some(message(m, attempts)));
    }
    let read: Option<StreamReadReply> = redis.run("XREADGROUP", |c| {
        redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&sh.consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(100)
            .arg("STREAMS")
            .arg(&stream)
            .arg(">")
            .query(c)
    })?;
    Ok(read
        .and_then(|r| r.keys.into_iter().next())
        .and_then(|k| k.ids.into_iter().next())
        .map(|m| message(m, 1)))
}

fn message(m: StreamId, attempts: usize) -> Msg {
    let fields = m
        .map
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), redis::from_redis_value_ref::<String>(v).ok()?)))
        .collect();
    Msg { id: m.id, fields, attempts }
}

/// Renders, publishes and acknowledges one record (or dead-letters it).
fn handle(
    redis: &mut Redis,
    sh: &Shared,
    ctx: &RunCtx,
    step: &RecordStep,
    scratch: &Path,
    tag: &str,
    msg: Msg,
) -> Result<(), QueueError> {
    let stream = ctx.keys.records();
    let _held = sh.inflight.hold(&stream, &msg.id);
    let key = msg.fields.get("key").cloned().unwrap_or_else(|| format!("message:{}", msg.id));
    let line_no: usize = msg.fields.get("line").and_then(|l| l.parse().ok()).unwrap_or(0);
    let id = msg.fields.get("id").cloned().or_else(|| msg.fields.contains_key("record").then(|| key.clone()));
    let name = match msg.fields.contains_key("record") {
        true => ctx.links.name(&key),
        false => format!("line-{line_no}"),
    };
    if msg.attempts > sh.opts.max_attempts as usize {
        return dead_letter(redis, sh, ctx, &msg, &key, id, line_no, &name, tag);
    }
    fresh(scratch)?;
    let line = match (msg.fields.get("record"), msg.fields.get("error")) {
        (Some(json), _) => match serde_json::from_str(json) {
            Ok(data) => {
                let started = Instant::now();
                let out = step.render(Record { id: key.clone(), data, line: line_no });
                sh.rendered.fetch_add(1, Ordering::Relaxed);
                let ms = started.elapsed().as_millis() as u64;
                tracing::info!(run = %ctx.spec.run, entry = %msg.id, line = line_no, attempt = msg.attempts, ms, status = ?out.line.status, "record rendered");
                out.line
            }
            Err(e) => failed_line(
                id,
                line_no,
                format!("record {key}: the queue holds it as unreadable JSON ({e})"),
                ProblemKind::UnreadableLine,
            ),
        },
        (None, error) => failed_line(
            id,
            line_no,
            error.cloned().unwrap_or_else(|| "not a record".into()),
            ProblemKind::UnreadableLine,
        ),
    };
    if let Err(e) = publish(sh.store, &ctx.spec.run, scratch, &name, &line, tag) {
        // Not acknowledged: the record comes back after the visibility timeout, and is
        // dead-lettered with this reason after its last attempt.
        tracing::warn!(run = %ctx.spec.run, entry = %msg.id, error = %e, "could not publish a record; it will be retried");
        let reason = e.to_string();
        redis.run("HSET", |c| {
            redis::cmd("HSET").arg(ctx.keys.errors()).arg(&key).arg(&reason).query::<()>(c)
        })?;
        let _ = std::fs::remove_dir_all(scratch);
        return Ok(());
    }
    // The call point for metrics and webhooks: the record's final line is published.
    sh.observer.record_finished(&ctx.spec.run, &line);
    let outcome = match line.status {
        // Never `Deleted`: the worker renders with `recreate_purged`.
        Status::Ok | Status::Deleted => Outcome::Ok,
        Status::Failed => Outcome::Failed,
    };
    acknowledge(redis, ctx, &msg.id, &key, outcome)?;
    let _ = std::fs::remove_dir_all(scratch);
    Ok(())
}

/// Marks the record finished and acknowledges it, in one transaction (so a Redis restarted
/// from its append-only file never has one without the other).
fn acknowledge(
    redis: &mut Redis,
    ctx: &RunCtx,
    msg_id: &str,
    key: &str,
    outcome: Outcome,
) -> Result<(), QueueError> {
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("SADD")
        .arg(ctx.keys.finished(outcome))
        .arg(key)
        .ignore()
        .cmd("HDEL")
        .arg(ctx.keys.errors())
        .arg(key)
        .ignore()
        .cmd("XACK")
        .arg(ctx.keys.records())
        .arg(GROUP)
        .arg(msg_id)
        .ignore();
    redis.run("XACK", |c| pipe.query::<()>(c))
}

fn failed_line(id: Option<String>, line: usize, message: String, kind: ProblemKind) -> ManifestLine {
    let mut l = ManifestLine::new(id, line, Status::Failed, String::new());
    l.fail(message, kind);
    l
}

/// An empty scratch folder.
fn fresh(scratch: &Path) -> Result<(), QueueError> {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|source| QueueError::Io {
        action: "cannot create the scratch folder",
        path: scratch.to_path_buf(),
        source,
    })
}

/// Publishes the files a record's step left in `scratch` (the page last: it links the others),
/// then its manifest object.
fn publish(
    store: &Store,
    run: &str,
    scratch: &Path,
    name: &str,
    line: &ManifestLine,
    tag: &str,
) -> Result<(), QueueError> {
    if line.status == Status::Ok {
        let io = |source| QueueError::Io { action: "cannot list", path: scratch.to_path_buf(), source };
        let mut files: Vec<String> = std::fs::read_dir(scratch)
            .map_err(io)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| !f.starts_with('.'))
            .collect();
        files.sort_by_key(|f| (f.ends_with(".html"), f.clone()));
        for f in files {
            store.put_file(&format!("{run}/{f}"), &scratch.join(&f), tag)?;
        }
    }
    manifest::publish(store, run, name, line, tag)
}

/// Gives up a record delivered too often: into the dead-letter stream with its reason, a
/// failed manifest line, acknowledged.
#[allow(clippy::too_many_arguments)]
fn dead_letter(
    redis: &mut Redis,
    sh: &Shared,
    ctx: &RunCtx,
    msg: &Msg,
    key: &str,
    id: Option<String>,
    line_no: usize,
    name: &str,
    tag: &str,
) -> Result<(), QueueError> {
    let last: Option<String> =
        redis.run("HGET", |c| redis::cmd("HGET").arg(ctx.keys.errors()).arg(key).query(c))?;
    let why = match &last {
        Some(e) => format!("the last attempt could not publish it: {e}"),
        None => "each worker that took it died or stalled for longer than the visibility timeout before finishing it".into(),
    };
    let reason = format!(
        "record {key}: given up after {} deliveries (--max-attempts {}): {why}; it is in the dead-letter stream {} (render it alone with `billreel render` to see why)",
        msg.attempts,
        sh.opts.max_attempts,
        ctx.keys.dead_letters()
    );
    let mut fields: Vec<(String, String)> = msg.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    fields.extend([
        ("reason".into(), reason.clone()),
        ("attempts".into(), msg.attempts.to_string()),
        ("message".into(), msg.id.clone()),
    ]);
    redis.run("XADD", |c| {
        redis::cmd("XADD").arg(ctx.keys.dead_letters()).arg("*").arg(&fields).query::<String>(c)
    })?;
    let line = failed_line(id, line_no, reason, ProblemKind::Internal);
    manifest::publish(sh.store, &ctx.spec.run, name, &line, tag)?;
    tracing::warn!(run = %ctx.spec.run, entry = %msg.id, line = line_no, attempts = msg.attempts, "record dead-lettered");
    sh.observer.record_finished(&ctx.spec.run, &line);
    acknowledge(redis, ctx, &msg.id, key, Outcome::DeadLettered)?;
    sh.dead.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// When every record of the run has its final line: merges the manifest (one worker at a
/// time), removes leftovers, marks the run finished. True when the run is finished.
fn finish(redis: &mut Redis, sh: &Shared, ctx: &RunCtx, tag: &str) -> Result<bool, QueueError> {
    let run = &ctx.spec.run;
    let mut st = status::of(redis, run)?;
    if st.finished {
        return Ok(true);
    }
    if st.done() < st.total {
        return Ok(false);
    }
    let merger = ctx.keys.merger();
    let got: Option<String> = redis.run("SET", |c| {
        redis::cmd("SET").arg(&merger).arg(&sh.consumer).arg("NX").arg("PX").arg(60_000).query(c)
    })?;
    if got.is_none() {
        return Ok(false);
    }
    let merged = manifest::merge(sh.store, run, tag)
        .and_then(|lines| Ok((lines, manifest::remove_leftovers(sh.store, run)?)));
    let (lines, leftovers) = match merged {
        Ok(m) => m,
        Err(e) => {
            redis.run("DEL", |c| redis::cmd("DEL").arg(&merger).query::<()>(c))?;
            return Err(e);
        }
    };
    redis.run("HSET", |c| {
        redis::cmd("HSET").arg(ctx.keys.meta()).arg("finished").arg(now_ms()).query::<()>(c)
    })?;
    redis.run("DEL", |c| redis::cmd("DEL").arg(&merger).query::<()>(c))?;
    st.finished = true;
    tracing::info!(run = %run, lines = lines.len(), ok = st.ok, failed = st.failed, dead_lettered = st.dead_lettered, leftovers, "run finished; manifest merged");
    // The call point for the run's completion webhook.
    sh.observer.run_finished(run, &st);
    sh.merged.lock().unwrap_or_else(|p| p.into_inner()).push(st);
    Ok(true)
}
