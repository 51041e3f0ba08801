//! Batch: a whole billing run, rendered in parallel.
//!
//! In: a prepared storyboard ([`Binder`]), a billing run file and options. Out: per record a
//! video and a poster under unguessable names, and one manifest line; a [`Summary`].
//!
//! ```text
//! reader thread ──bounded channel──▶ N workers (bind → encode → poster) ──bounded──▶ writer
//! (streams records,                  (one whole video each, x264            (this thread: manifest
//!  shard filter, duplicate ids)       single-threaded)                       lines, progress)
//! ```
//!
//! Channels are bounded, so memory does not depend on the number of records: at most a few
//! records are in flight per worker. Files are written under temporary names, fsynced and renamed
//! when complete, and a manifest line is written only after its files are in place, so a run
//! killed at any moment loses nothing: a rerun skips what is done (manifest line ok, files
//! present, same hashes) and makes the rest; each file has its own hash, so a change to the
//! page alone rewrites the pages and keeps the videos ([`reuse`]). One run at a time holds the output folder
//! (per shard, see [`lock`]); the manifest is compacted to one line per record when a run starts
//! and when it ends (see [`manifest`]). A record whose files `billreel purge` deleted stays
//! deleted (counted as `purged`) unless [`BatchOptions::recreate_purged`]. A record that takes longer than
//! [`Limits::record_timeout`](crate::limits::Limits) fails alone (checked per frame and between
//! stages; no thread is killed).

pub mod formats;
pub mod links;
pub mod lock;
pub mod manifest;
pub mod record;

pub mod publish;
pub mod reuse;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::bind::{BindError, Binder, ProblemKind};
use crate::encode::{self, EncodeSettings};
use crate::limits::Limits;
use crate::outputs::{self, OutputsError, Written as Outputs};
use crate::record::{Record, RecordError, Records};
use crate::store::Store;
use crate::timings::Timings;
pub use links::{LinkNamer, Shard};
pub use manifest::{ManifestLine, Status};
use reuse::Made;

/// Everything a batch run is told.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub data: PathBuf,
    pub id_field: String,
    pub out: PathBuf,
    /// Videos rendered at once (each on one core).
    pub jobs: usize,
    /// Prefix of public URLs in the manifest: `https://videos.example.com/run1/`.
    pub base_url: Option<String>,
    pub links: LinkNamer,
    /// Render every record, even those a previous run finished.
    pub force: bool,
    /// Stop after this many failed records.
    pub max_failures: Option<usize>,
    pub shard: Shard,
    pub settings: EncodeSettings,
    /// Also write captions as SubRip (`.srt`) beside the WebVTT file.
    pub srt: bool,
    /// Megabytes of coded segments the workers share (scenes that look the same in several
    /// videos are encoded once); None: every video is encoded whole.
    pub segment_cache_mb: Option<usize>,
    /// Where to report records, stage times, the cache and the backlog as they happen
    /// (`--metrics-addr`); None: nowhere. It changes nothing the run writes.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,

    /// Render again the records whose files `billreel purge` deleted (their manifest line says
    /// `deleted`); by default they stay deleted and are counted as `purged`.
    pub recreate_purged: bool,

    /// Where the files are published when that is not `out`: an object store. `out` is then
    /// the staging folder records are rendered in (see [`publish`]).
    pub publish: Option<Arc<Store>>,
}

/// What happened, for the progress display.
#[derive(Debug)]
pub enum Event<'a> {
    /// Work is about to start; `total` records are in this shard.
    Started { total: u64, manifest: &'a Path },
    /// One record finished (or was skipped as already done).
    Record { line: &'a ManifestLine, skipped: bool, counts: Counts },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Records left deleted: `billreel purge` deleted their files (see
    /// [`BatchOptions::recreate_purged`]).
    pub purged: u64,
}

impl Counts {
    pub fn done(&self) -> u64 {
        self.ok + self.skipped + self.failed + self.purged
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub total: u64,
    pub counts: Counts,
    /// `--max-failures` was reached and the run stopped before the end.
    pub stopped_early: bool,
    pub elapsed: Duration,
    pub manifest: PathBuf,
    /// Stage times summed over the rendered records.
    pub timings: Timings,
    /// How the segment cache did, when there was one.
    pub cache: Option<encode::CacheStats>,
    /// Files made by this run (a rerun keeps those whose inputs did not change).
    pub made: Made,
}

impl Summary {
    /// Videos rendered (not skipped) per minute of wall time.
    pub fn videos_per_minute(&self) -> f64 {
        self.counts.ok as f64 / self.elapsed.as_secs_f64().max(1e-9) * 60.0
    }
}

#[derive(Debug, Error)]
pub enum BatchError {
    #[error("cannot use the output folder {path}: {reason}")]
    Output { path: PathBuf, reason: String },
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    #[error(transparent)]
    Input(#[from] RecordError),
    #[error("cannot read or write the manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    /// A thread of the run panicked outside a record (a record's own panic fails only that
    /// record): the root cause of a run that ended early, not the closed channels it left.
    #[error(
        "the {thread} thread of the batch failed ({cause}) after {done} records; the run is incomplete: run the same command again to finish it"
    )]
    Crashed { thread: String, cause: String, done: u64 },
}

/// Why one record was not rendered: its manifest line's `error` (the message) and
/// `error_kind` (from [`RecordFailure::kind`]).
#[derive(Debug, Error)]
enum RecordFailure {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("record {record}: {source}")]
    Encode {
        record: String,
        #[source]
        source: encode::EncodeError,
    },
    /// The poster, captions, preview or page could not be written.
    #[error("record {record}: {source}")]
    Outputs {
        record: String,
        #[source]
        source: OutputsError,
    },
    /// The video was written but could not be read back for its SHA-256.
    #[error("record {record}: {source}")]
    Digest {
        record: String,
        #[source]
        source: std::io::Error,
    },
    #[error("record {record}: internal error while rendering ({cause}); please report it")]
    Panic { record: String, cause: String },
    /// The record took longer than its time budget ([`crate::limits::Limits::record_timeout`]).
    #[error(
        "record {record}: given up {stage}: one record may take {budget} (bind, draw, encode, write) and this one took longer; \
         the run goes on without it. If records this long are expected, raise the budget with --record-timeout (e.g. --record-timeout {twice}) \
         or --limit record-timeout=..."
    )]
    Timeout { record: String, stage: String, budget: String, twice: String },
}

/// A time budget as the timeout message shows it: `120s`, `0.5s`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

impl RecordFailure {
    fn timeout(record: &str, stage: String, budget: Duration) -> RecordFailure {
        RecordFailure::Timeout {
            record: record.to_string(),
            stage,
            budget: seconds(budget),
            twice: seconds(budget * 2),
        }
    }
}

impl RecordFailure {
    /// The record field at fault, when the failure is the record's.
    fn field(&self) -> Option<&str> {
        match self {
            RecordFailure::Bind(e) => e.field.as_deref(),
            _ => None,
        }
    }

    fn kind(&self) -> ProblemKind {
        match self {
            RecordFailure::Bind(e) => e.kind,
            RecordFailure::Encode { .. } | RecordFailure::Outputs { .. } | RecordFailure::Digest { .. } => {
                ProblemKind::Encode
            }
            RecordFailure::Panic { .. } => ProblemKind::Internal,
            RecordFailure::Timeout { .. } => ProblemKind::Timeout,
        }
    }
}

/// The message a panic was raised with (`panic!` makes a `String` or a `&str`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Joins a thread of the run: None when it ended normally, else its name and why it did not (a
/// join error is a panic).
fn joined(name: &str, thread: std::thread::JoinHandle<()>) -> Option<(String, String)> {
    thread.join().err().map(|panic| (name.to_string(), panic_message(&*panic)))
}

/// What flows from the workers to the writer.
struct Outcome {
    line: ManifestLine,
    skipped: bool,
    /// The files it made (not kept from a previous run).
    made: Made,
    /// Where the time went, for a record that was rendered.
    timings: Option<Timings>,
}

/// Runs a batch. Returns when every record of the shard is done (or `max_failures` stopped it).
pub fn run(
    binder: Arc<Binder>,
    opts: &BatchOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, BatchError> {
    run_formats(vec![binder], opts, on_event)
}

/// [`run`] in several formats of one storyboard: a binder per format, the default first (see
/// [`formats`] for how their files are named). Each record is read once and rendered in
/// every format; its manifest line lists every format's files.
pub fn run_formats(
    binders: Vec<Arc<Binder>>,
    opts: &BatchOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, BatchError> {
    let binder = binders.first().cloned().expect("a batch renders at least one format");
    let started = Instant::now();
    let out_err = |reason: String| BatchError::Output { path: opts.out.clone(), reason };
    std::fs::create_dir_all(&opts.out).map_err(|e| out_err(e.to_string()))?;
    // This run's, until it returns: nobody else removes its temporary files or writes its manifest.
    let lock = lock::RunLock::acquire(&opts.out, &opts.shard.manifest_name())?;
    if let Some(previous) = &lock.previous {
        tracing::warn!(previous = %previous, "the last run on this output folder was killed (or crashed) before it ended; resuming its work");
    }
    let tag = opts.shard.temp_tag();
    remove_leftovers(&opts.out, &tag).map_err(|e| out_err(e.to_string()))?;
    let manifest_path = opts.out.join(opts.shard.manifest_name());
    if crate::output::same_file(&opts.data, &manifest_path) {
        return Err(out_err(format!(
            "the billing data {} is this folder's manifest, which the run rewrites; read the records from another file",
            opts.data.display()
        )));
    }
    let manifest_err =
        |e: std::io::Error| BatchError::Manifest { path: manifest_path.clone(), reason: e.to_string() };
    let manifest_name = opts.shard.manifest_name();
    if let Some(store) = &opts.publish {
        publish::fetch_manifest(store, &manifest_name, &manifest_path)
            .map_err(|e| BatchError::Manifest { path: manifest_path.clone(), reason: e.to_string() })?;
    }
    let done = manifest::Done::read(&manifest_path).map_err(manifest_err)?;
    // A killed run (or a killed --force run) can leave superseded and torn lines: one line per
    // record again before this run appends.
    if done.needs_compaction() {
        let t = Instant::now();
        let c = manifest::compact(&manifest_path).map_err(manifest_err)?;
        let ms = t.elapsed().as_millis() as u64;
        tracing::info!(before = c.before, after = c.after, ms, "manifest compacted to one line per record");
    }

    let total = count_records(&opts.data, &opts.id_field, opts.shard, binder.limits())?;
    on_event(Event::Started { total, manifest: &manifest_path });

    let jobs = opts.jobs.max(1);
    let (work_tx, work_rx) = crossbeam_channel::bounded::<Result<Record, RecordError>>(jobs * 2);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Outcome>(jobs * 2);
    let abort = Arc::new(AtomicBool::new(false));

    // Reader: streams the input, keeps this shard's records, turns duplicate ids into errors.
    let records = Records::open(&opts.data, &opts.id_field, binder.limits())?;
    let reader = {
        let abort = abort.clone();
        let shard = opts.shard;
        std::thread::Builder::new()
            .name("billreel-reader".into())
            .spawn(move || read_shard(records, shard, &abort, work_tx))
            .expect("spawn the reader thread")
    };

    // Segments encoded once for the whole run, shared by the workers.
    let cache = opts.segment_cache_mb.map(encode::SegmentCache::new);
    let job = Arc::new(Job { binders, opts: opts.clone(), done, tag, cache });
    // Workers: one whole video at a time each.
    let mut workers = Vec::new();
    for w in 0..jobs {
        let (rx, tx, job, abort) = (work_rx.clone(), done_tx.clone(), job.clone(), abort.clone());
        workers.push(
            std::thread::Builder::new()
                .name(format!("billreel-worker-{w}"))
                .spawn(move || work(&job, &abort, rx, tx))
                .expect("spawn a worker thread"),
        );
    }
    drop((work_rx, done_tx));

    // Writer: this thread. One line per finished record, flushed, then progress.
    let mut writer = manifest::Writer::append(&manifest_path)
        .map_err(|e| BatchError::Manifest { path: manifest_path.clone(), reason: e.to_string() })?;
    let mut uploads =
        opts.publish.as_deref().map(|s| (publish::ManifestUploads::new(s, &manifest_name), &*manifest_path));
    let Collected { counts, superseded, write_error, timings, made } =
        collect(done_rx, &mut writer, &job, total, &abort, on_event, uploads.as_mut());
    // Every thread's end is accounted for; the reader first, whose failure explains the rest.
    let mut crashed = vec![joined("reader", reader)];
    crashed.extend(workers.into_iter().enumerate().map(|(w, handle)| joined(&format!("worker {w}"), handle)));
    drop(writer);
    // One line per record again, also when the run ends with an error (the lock is still held).
    let compacted = if superseded { manifest::compact(&manifest_path).map(|_| ()) } else { Ok(()) };
    // The store's manifest follows, also when the run ends with an error.
    let uploaded = match &opts.publish {
        Some(store) => store.put_file(&manifest_name, &manifest_path, &job.tag),
        None => Ok(()),
    };
    if let Some((thread, cause)) = crashed.into_iter().flatten().next() {
        return Err(BatchError::Crashed { thread, cause, done: counts.done() });
    }
    if let Some(reason) = write_error {
        return Err(BatchError::Manifest { path: manifest_path, reason });
    }
    compacted.map_err(manifest_err)?;
    uploaded.map_err(|e| BatchError::Manifest { path: manifest_path.clone(), reason: e.to_string() })?;
    drop(lock);
    Ok(Summary {
        total,
        counts,
        stopped_early: abort.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        manifest: manifest_path,
        timings,
        cache: job.cache.as_ref().map(|c| c.stats()),
        made,
    })
}

/// What the writer gathered from the workers.
struct Collected {
    counts: Counts,
    /// A line was written for an id the manifest already had: compact it at the end.
    superseded: bool,
    write_error: Option<String>,
    timings: Timings,
    made: Made,
}

/// The writer (the batch's own thread): one manifest line per finished record, flushed, then
/// progress; stops the reader and workers after a write error or `--max-failures`.
fn collect(
    done_rx: crossbeam_channel::Receiver<Outcome>,
    writer: &mut manifest::Writer,
    job: &Job,
    total: u64,
    abort: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
    mut uploads: Option<&mut (publish::ManifestUploads, &Path)>,
) -> Collected {
    let mut counts = Counts::default();
    let mut superseded = false;
    let mut write_error = None;
    let mut timings = Timings::default();
    let mut made = Made::default();
    let (done, opts) = (&job.done, &job.opts);
    if let Some(m) = &opts.metrics {
        m.set_queue_lag(total);
    }
    for outcome in done_rx {
        made.add(&outcome.made);
        if let Some(t) = &outcome.timings {
            timings.merge(t);
        }
        if outcome.skipped {
            match outcome.line.status {
                Status::Deleted => counts.purged += 1,
                Status::Ok | Status::Failed => counts.skipped += 1,
            }
        } else {
            match outcome.line.status {
                Status::Ok => counts.ok += 1,
                Status::Failed => counts.failed += 1,
                // Workers never make a deleted line; only a skipped record carries one.
                Status::Deleted => counts.purged += 1,
            }
            // A new line for an id the manifest already has: compact at the end.
            superseded |= done.has_line(&outcome.line.key());
            if let Err(e) = writer.write(&outcome.line) {
                write_error = Some(e.to_string());
                abort.store(true, Ordering::Relaxed);
            }
            if let Some((uploads, manifest)) = uploads.as_mut() {
                uploads.tick(manifest);
            }
        }
        if let Some(m) = &opts.metrics {
            observe(m, job, &outcome, total.saturating_sub(counts.done()));
        }
        on_event(Event::Record { line: &outcome.line, skipped: outcome.skipped, counts });
        if opts.max_failures.is_some_and(|m| counts.failed as usize >= m) {
            abort.store(true, Ordering::Relaxed);
        }
    }
    Collected { counts, superseded, write_error, timings, made }
}

/// Tells the metrics about one finished record; `left`: records of the run not finished.
fn observe(m: &crate::metrics::Metrics, job: &Job, outcome: &Outcome, left: u64) {
    use crate::metrics::RecordStatus;
    let status = match (outcome.skipped, outcome.line.status) {
        // A purged record is left deleted: not rendered, like one already done.
        (true, _) | (false, Status::Deleted) => RecordStatus::Skipped,
        (false, Status::Ok) => RecordStatus::Ok,
        (false, Status::Failed) => RecordStatus::Failed,
    };
    m.record_finished(status, outcome.timings.as_ref(), Duration::from_millis(outcome.line.render_ms));
    if let Some(cache) = &job.cache {
        let stats = cache.stats();
        m.set_segment_cache(stats.hits, stats.misses);
    }
    // Waiting = not finished and not being rendered.
    m.set_queue_lag(left.saturating_sub(m.in_flight()));
}

/// The reader thread: streams the input, keeps this shard's records (and its unreadable lines),
/// turns a repeated id into an error, and stops when told to or when no worker listens.
fn read_shard(
    records: Records,
    shard: Shard,
    abort: &AtomicBool,
    work_tx: crossbeam_channel::Sender<Result<Record, RecordError>>,
) {
    let mut first_seen: HashMap<[u8; 16], usize> = HashMap::new();
    let path = records.path().to_path_buf();
    for item in records {
        if abort.load(Ordering::Relaxed) {
            break;
        }
        let item = match item {
            Ok(rec) if !shard.contains_id(&rec.id) => continue,
            Ok(rec) => {
                let key: [u8; 16] = Sha256::digest(rec.id.as_bytes())[..16].try_into().expect("digest");
                match first_seen.get(&key) {
                    Some(&first) => Err(crate::record::duplicate_id(&path, rec, first)),
                    None => {
                        first_seen.insert(key, rec.line);
                        Ok(rec)
                    }
                }
            }
            Err(e) if !shard.contains_line(e.line()) => continue,
            Err(e) => Err(e),
        };
        if work_tx.send(item).is_err() {
            break;
        }
    }
}
/// What every worker shares: the prepared storyboard, the options, what the manifest says is
/// done, the temporary-file tag and the segment cache.
struct Job {
    /// One per format rendered, the default first.
    binders: Vec<Arc<Binder>>,
    opts: BatchOptions,
    done: manifest::Done,
    tag: String,
    cache: Option<encode::SegmentCache>,
}

/// A worker thread: renders the records it receives, one whole video at a time, until the input
/// ends; after an abort it drains the input quietly so the reader can finish.
fn work(
    job: &Job,
    abort: &AtomicBool,
    rx: crossbeam_channel::Receiver<Result<Record, RecordError>>,
    tx: crossbeam_channel::Sender<Outcome>,
) {
    for item in rx {
        if abort.load(Ordering::Relaxed) {
            continue;
        }
        let outcome = match item {
            Ok(rec) => {
                let metrics = job.opts.metrics.as_deref();
                metrics.inspect(|m| m.add_in_flight(1));
                let outcome = process(job, rec);
                metrics.inspect(|m| m.add_in_flight(-1));
                outcome
            }
            Err(e) => Outcome { line: unreadable(&e), skipped: false, timings: None, made: Made::default() },
        };
        if tx.send(outcome).is_err() {
            break;
        }
    }
}

/// Renders one record in every format, or says why it cannot be, or that it is already done;
/// on a rerun, remakes only the files whose inputs changed (see [`reuse`]).
fn process(job: &Job, rec: Record) -> Outcome {
    let _warnings = crate::warnings::per_record(&rec.id);
    let Job { binders, opts, done, tag, .. } = job;
    if !opts.recreate_purged && done.is_deleted(&rec.id) {
        // Deleted on request or by retention: a resumed run does not bring the files back.
        let line = ManifestLine::new(Some(rec.id.clone()), rec.line, Status::Deleted, String::new());
        return Outcome { line, skipped: true, timings: None, made: Made::default() };
    }
    let started = Instant::now();
    let budget = binders[0].limits().record_timeout;
    let deadline = encode::Deadline { at: started + budget, budget };
    let name = opts.links.name(&rec.id);
    // Every file of the record shares its unguessable name; a format other than the default
    // adds its own (`NAME-portrait.mp4`).
    let stems: Vec<String> = binders.iter().map(|b| formats::stem(&name, b.storyboard())).collect();
    let reqs: Vec<outputs::Request> = stems
        .iter()
        .map(|n| outputs::Request { dir: &opts.out, name: n, tag, srt: opts.srt, deadline: Some(deadline) })
        .collect();
    let video = reqs[0].file("mp4");
    let mut hashes = None;
    let mut made = Made::default();
    let result = catch_unwind(AssertUnwindSafe(|| {
        formats::render(job, &rec, &reqs, deadline, done, (&mut hashes, &mut made))
    }));
    let result = match result {
        Ok(r) => r,
        Err(panic) => Err(RecordFailure::Panic { record: rec.id.clone(), cause: panic_message(&*panic) }),
    };
    let mut line =
        base_line(&rec, Status::Ok, hashes.as_ref().map_or_else(String::new, reuse::Hashes::combined));
    line.output_hashes = hashes.as_ref().map(reuse::Hashes::to_manifest);
    let result = match result {
        Ok(None) => {
            // Nothing changed: the files written then are still right.
            line.video = Some(video);
            line.set_outputs(Outputs::existing(&reqs[0]), None);
            formats::list_existing(&mut line, binders, &reqs);
            return Outcome { line, skipped: true, timings: None, made };
        }
        Ok(Some(rendered)) => Ok(rendered),
        Err(failure) => Err(failure),
    };
    line.render_ms = started.elapsed().as_millis() as u64;
    let mut timings = None;
    match result {
        Ok(rendered) => {
            let first = &rendered[0];
            line.video_url = opts.base_url.as_ref().map(|b| format!("{b}{video}"));
            line.video = Some(video);
            line.set_outputs(first.written.clone(), opts.base_url.as_deref());
            line.duration_s = Some(first.duration_secs);
            line.bytes = Some(first.bytes);
            line.sha256 = Some(first.sha256.clone());
            let mut all = Timings::default();
            rendered.iter().filter_map(|r| r.timings.as_ref()).for_each(|t| all.merge(t));
            timings = Some(all);
            formats::list(&mut line, binders, &reqs, &rendered, opts.base_url.as_deref());
            // Published before its manifest line is written, like a local record's files.
            if let Some(Err(e)) = opts.publish.as_ref().map(|s| publish::record(s, &line, &opts.out, tag)) {
                let mut failed = base_line(&rec, Status::Ok, line.input_hash.clone());
                failed.fail(format!("record {}: {e}", rec.id), ProblemKind::Encode);
                line = failed;
                (made, timings) = (Made::default(), None);
            }
        }
        Err(failure) => {
            line.fail(failure.to_string(), failure.kind());
            line.error_field = failure.field().map(str::to_string);
            made = Made::default();
        }
    }
    Outcome { line, skipped: false, timings, made }
}

fn base_line(rec: &Record, status: Status, input_hash: String) -> ManifestLine {
    ManifestLine::new(Some(rec.id.clone()), rec.line, status, input_hash)
}

/// A manifest line for input that could not be read as a record.
fn unreadable(e: &RecordError) -> ManifestLine {
    let mut line = ManifestLine::new(e.id().map(str::to_string), e.line(), Status::Failed, String::new());
    line.fail(e.to_string(), ProblemKind::UnreadableLine);
    line
}

/// Counts the records of a shard with a quick pass over the input (for the progress bar).
fn count_records(data: &Path, id_field: &str, shard: Shard, limits: &Limits) -> Result<u64, RecordError> {
    let mut n = 0;
    for item in Records::open(data, id_field, limits)? {
        let mine = match &item {
            Ok(rec) => shard.contains_id(&rec.id),
            Err(e) => shard.contains_line(e.line()),
        };
        n += u64::from(mine);
    }
    Ok(n)
}

/// Removes the temporary files a killed run of this shard left behind.
fn remove_leftovers(out: &Path, tag: &str) -> std::io::Result<()> {
    let marker = format!(".partial-{tag}");
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(&marker) {
            tracing::info!(file = %name, "removing a temporary file left by an interrupted run");
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_panicked_is_reported_with_its_message() {
        let fine = std::thread::spawn(|| {});
        assert_eq!(joined("worker 0", fine), None);
        let reader = std::thread::spawn(|| panic!("input vanished at line {}", 7));
        assert_eq!(joined("reader", reader), Some(("reader".into(), "input vanished at line 7".into())));
        let worker = std::thread::spawn(|| std::panic::panic_any(42u8));
        assert_eq!(joined("worker 1", worker), Some(("worker 1".into(), String::new())));
    }
}
