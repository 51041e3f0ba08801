//! `billreel enqueue`: publishes a run — its options, its bundle and one stream entry per
//! record — so that workers anywhere can render it.
//!
//! Order matters for workers that are already waiting: the bundle, the stream with its group
//! and the options are written first, and the run is listed in [`RUNS_KEY`] last, so a worker
//! never sees a half-published run. A run published half (enqueue killed) is not listed and is
//! replaced by the next `enqueue` of the same name.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::spec::{check_run_name, RunSpec};
use super::{bundle, now_ms, Keys, QueueError, Redis, GROUP, RUNS_KEY};
use crate::bind::Binder;
use crate::limits::Limits;
use crate::record::{self, Record, RecordError, Records};

/// Entries written to Redis per round trip.
const PIPELINE: usize = 500;

/// What `enqueue` is given.
pub struct Request<'a> {
    /// The options; `run` may be empty (then named after the storyboard and data), `storyboard`,
    /// `assets` and `total` are filled in here.
    pub spec: RunSpec,
    pub storyboard: &'a Path,
    pub assets_override: Option<&'a Path>,
    /// The run's storyboard as loaded (its default format): where its assets and translations are.
    pub binder: &'a Binder,
    pub data: &'a Path,
    pub id_field: &'a str,
    pub limits: &'a Limits,
}

/// What was published.
#[derive(Debug)]
pub struct Enqueued {
    pub run: String,
    /// Stream entries: one per record, unreadable lines included (they fail in the manifest).
    pub records: u64,
    pub unreadable: u64,
    pub bundle_bytes: usize,
}

/// One stream entry's fields: `key` (the record's id, or `line:N` for input that is not a
/// record), `line`, and `record` (the record as JSON) or `error` (why it is not one).
pub type Fields = Vec<(&'static str, String)>;

pub fn enqueue(redis: &mut Redis, req: Request) -> Result<Enqueued, QueueError> {
    let packed = pack(&req)?;
    let mut spec = req.spec;
    if spec.run.is_empty() {
        spec.run = default_name(req.storyboard, req.data)?;
    }
    check_run_name(&spec.run).map_err(QueueError::Run)?;
    spec.storyboard = packed.name_of(req.storyboard)?;
    spec.assets = req.assets_override.map(|a| packed.name_of(a)).transpose()?;
    let keys = Keys::new(&spec.run);

    let listed: Option<f64> =
        redis.run("ZSCORE", |c| redis::cmd("ZSCORE").arg(RUNS_KEY).arg(&spec.run).query(c))?;
    if listed.is_some() {
        return Err(QueueError::Run(format!(
            "run {} is already in the queue at {}: `billreel status --queue {}` shows its progress; to queue it again, give another --run name",
            spec.run,
            redis.url(),
            redis.url()
        )));
    }
    // What a killed enqueue of this name left, unlisted.
    redis.run("DEL", |c| redis::cmd("DEL").arg(keys.all()).query::<()>(c))?;
    redis.run("SET bundle", |c| redis::cmd("SET").arg(keys.bundle()).arg(&packed.bytes).query::<()>(c))?;
    redis.run("XGROUP CREATE", |c| {
        redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(keys.records())
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query::<()>(c)
    })?;

    let mut records =
        Records::open(req.data, req.id_field, req.limits).map_err(|e| QueueError::Run(e.to_string()))?;
    let (mut total, mut unreadable) = (0u64, 0u64);
    let mut first_seen: HashMap<[u8; 16], usize> = HashMap::new();
    let mut batch: Vec<Fields> = Vec::with_capacity(PIPELINE);
    loop {
        let item = records.next();
        let done = item.is_none();
        if let Some(item) = item {
            let item = item.and_then(|rec| unique(rec, &mut first_seen, req.data));
            unreadable += u64::from(item.is_err());
            batch.push(entry(item));
            total += 1;
        }
        if batch.len() == PIPELINE || (done && !batch.is_empty()) {
            let mut pipe = redis::pipe();
            for fields in &batch {
                pipe.cmd("XADD").arg(keys.records()).arg("*").arg(fields).ignore();
            }
            redis.run("XADD", |c| pipe.query::<()>(c))?;
            batch.clear();
        }
        if done {
            break;
        }
    }
    spec.total = total;
    let spec_json = serde_json::to_string(&spec).expect("a run spec serialises");
    redis.run("HSET", |c| {
        redis::cmd("HSET").arg(keys.meta()).arg("spec").arg(&spec_json).arg("total").arg(total).query::<()>(c)
    })?;
    redis.run("ZADD", |c| redis::cmd("ZADD").arg(RUNS_KEY).arg(now_ms()).arg(&spec.run).query::<()>(c))?;
    tracing::info!(run = %spec.run, records = total, unreadable, bundle_bytes = packed.bytes.len(), "run enqueued");
    Ok(Enqueued { run: spec.run, records: total, unreadable, bundle_bytes: packed.bytes.len() })
}

/// The fields of a record's entry (see [`Fields`]).
pub fn entry(item: Result<Record, RecordError>) -> Fields {
    match item {
        Ok(rec) => vec![
            ("key", rec.id),
            ("line", rec.line.to_string()),
            ("record", serde_json::to_string(&rec.data).expect("a record serialises")),
        ],
        Err(e) => {
            let mut f = vec![("key", format!("line:{}", e.line())), ("line", e.line().to_string())];
            if let Some(id) = e.id() {
                f.push(("id", id.to_string()));
            }
            f.push(("error", e.to_string()));
            f
        }
    }
}

/// The record, or the error of a second record with the same id (as `batch` reports it).
fn unique(
    rec: Record,
    first_seen: &mut HashMap<[u8; 16], usize>,
    path: &Path,
) -> Result<Record, RecordError> {
    let key: [u8; 16] = Sha256::digest(rec.id.as_bytes())[..16].try_into().expect("digest");
    match first_seen.get(&key) {
        Some(&first) => Err(record::duplicate_id(path, rec, first)),
        None => {
            first_seen.insert(key, rec.line);
            Ok(rec)
        }
    }
}

/// Packs the storyboard, its parts, its translations folder and its assets folder.
fn pack(req: &Request) -> Result<bundle::Packed, QueueError> {
    let text = crate::storyboard::parse::read_text(req.storyboard, req.limits)
        .map_err(|d| QueueError::Run(d.to_string()))?;
    let assembled = crate::storyboard::include::assemble(&text, req.storyboard, req.limits)
        .map_err(|d| QueueError::Run(crate::storyboard::Diagnostics(d).to_string()))?;
    let mut files = vec![req.storyboard];
    files.extend(assembled.parts());
    let sb = req.binder.storyboard();
    let folder = req.storyboard.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let translations = sb.translations.as_deref().map(|t| folder.join(t));
    let mut dirs: Vec<&Path> = Vec::new();
    let assets = req.assets_override.unwrap_or(req.binder.assets().root());
    if assets.is_dir() {
        dirs.push(assets);
    }
    if let Some(t) = translations.as_deref() {
        dirs.push(t);
    }
    bundle::pack(&files, &dirs)
}

/// `run-` and 12 hex characters of the SHA-256 of the storyboard and the data: the same files
/// give the same name, so enqueuing a run twice by mistake is refused.
fn default_name(storyboard: &Path, data: &Path) -> Result<String, QueueError> {
    let mut h = Sha256::new();
    for path in [storyboard, data] {
        let mut f = std::fs::File::open(path).map_err(|source| QueueError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(|source| QueueError::Io {
                action: "cannot read",
                path: path.to_path_buf(),
                source,
            })?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(format!("run-{}", &hex::encode(h.finalize())[..12]))
}
