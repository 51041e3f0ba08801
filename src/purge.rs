//! Purge: a customer's outputs deleted on request (GDPR art. 17), or a run's outputs at the end
//! of a retention period, in whatever [`Store`] holds them.
//!
//! In: run folders (`--out`, or every run under `--runs ROOT`), what to purge (record ids, an
//! age, or both) and why. Out: each chosen record's files deleted (every file its manifest line
//! names, every format's), its manifest line replaced by a `deleted` one ([`Status::Deleted`]:
//! the id, when, why, no file), one audit line per record, and a [`Report`].
//!
//! A purge killed at any moment leaves nothing that claims more than was done. Per run: the
//! files go first, then the audit object, then the manifest, each written whole. Killed before
//! the manifest, the lines still name files that are gone; purging again finds them absent and
//! finishes (the audit then has a second line for the record, its files `absent`). A record
//! with a file that could not be deleted keeps its line, and the audit says which file failed.
//!
//! The audit log is one object per run and purge, `audit/purge-<UTC time>-<pid>.jsonl`, written
//! once and never changed. An object store has no append, and a read-modify-write of a shared
//! `purge-audit.jsonl` would lose lines when two purges meet (or a purge is killed mid-write);
//! objects written once need neither, work the same in a local folder, and `audit/` listed in
//! name order is the whole log in time order.
//!
//! A local run folder is locked as `batch` locks it ([`crate::batch::lock`]) while it is
//! purged: a running batch makes the purge refuse, and a batch started meanwhile is refused. An
//! object store has no such lock: purge a run there when no worker is writing it.
//!
//! Records are dated by their files' modification times ([`Store::head`]): a manifest line
//! carries no time, so that a run's manifest stays byte-reproducible.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use thiserror::Error;

use crate::batch::lock::{LockError, RunLock};
use crate::batch::{ManifestLine, Status};
use crate::store::{Store, StoreError};

/// Marks this module's temporary files in a local store. One purge at a time holds a run's
/// lock, so one tag is enough: a file left by a killed purge is overwritten by the next.
const TAG: &str = "purge";

/// Where the runs to purge are.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One run's output folder (where `batch` wrote its manifest).
    Out(String),
    /// Every folder under this root (itself included) that holds a manifest.
    Runs(String),
}

/// A retention period: `90d`, `12h`, `2w`, as the operator wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub text: String,
    pub duration: Duration,
}

/// What to purge, where, and why.
#[derive(Debug, Clone)]
pub struct Request {
    pub targets: Vec<Target>,
    /// Records by id (empty: any record).
    pub ids: Vec<String>,
    /// Records whose files are all older than this (None: any age).
    pub older_than: Option<Period>,
    /// Why: the manifest's `deleted_reason` and the audit's `reason`.
    pub reason: Option<String>,
    /// Say what would go; delete and write nothing.
    pub dry_run: bool,
    /// The time of the purge: ages count back from it, and it dates the lines.
    pub now: SystemTime,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    Deleted,
    /// `--dry-run`: it is there and would be deleted.
    WouldDelete,
    /// It was not there (deleted by hand, or by an earlier purge that was cut short).
    Absent,
    /// The store refused: the record keeps its manifest line.
    Failed(String),
}

/// One file of a purged record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileGone {
    /// Relative to the run's folder.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    pub state: FileState,
}

/// One record purged (or, with `--dry-run`, that would be).
#[derive(Debug, Clone, PartialEq)]
pub struct Purged {
    pub id: String,
    /// The manifest the record is in (`manifest.jsonl`, or a shard's).
    pub manifest: String,
    pub files: Vec<FileGone>,
}

impl Purged {
    /// Whether every file went (or was already gone), so its line can say `deleted`.
    pub fn complete(&self) -> bool {
        !self.files.iter().any(|f| matches!(f.state, FileState::Failed(_)))
    }

    /// Bytes of the files that were there.
    pub fn bytes(&self) -> u64 {
        self.files.iter().filter_map(|f| f.bytes).sum()
    }
}

/// What happened in one run.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// The run folder as the user named it (`out/run1`, `s3://bucket/run1`).
    pub label: String,
    pub records: Vec<Purged>,
    /// Ids asked for whose line already said `deleted`.
    pub already: Vec<String>,
    /// The audit object written, relative to the run's folder.
    pub audit: Option<String>,
}

/// What a purge did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub runs: Vec<RunReport>,
    /// Ids asked for that no manifest of any run has.
    pub not_found: Vec<String>,
}

impl Report {
    /// Records whose files went (or would go), over every run.
    pub fn records(&self) -> impl Iterator<Item = (&RunReport, &Purged)> {
        self.runs.iter().flat_map(|r| r.records.iter().map(move |p| (r, p)))
    }

    /// Whether some file could not be deleted.
    pub fn failed(&self) -> bool {
        self.records().any(|(_, p)| !p.complete())
    }
}

#[derive(Debug, Error)]
pub enum PurgeError {
    #[error("--older-than `{text}`: {reason}; write a number and a unit, e.g. `90d` (days), `12h` (hours) or `2w` (weeks)")]
    Period { text: String, reason: String },
    #[error("nothing says what to purge: give --id ID (a customer's record id, repeatable), --older-than PERIOD (e.g. 90d), or both")]
    NoSelection,
    #[error("no run to purge: give --out TARGET (a run's output folder, repeatable) or --runs ROOT (every run under it)")]
    NoTarget,
    #[error("`{target}` does not exist: give the output folder a batch wrote (the one with manifest.jsonl)")]
    Missing { target: String },
    #[error("`{target}` holds no manifest (manifest.jsonl, or manifest-I-of-N.jsonl for shards), so it is not a run's output folder; to purge every run under a folder, give it to --runs")]
    NotARun { target: String },
    #[error("no run under `{root}`: none of its folders holds a manifest (manifest.jsonl, or manifest-I-of-N.jsonl for shards)")]
    NoRuns { root: String },
    #[error(
        "cannot purge {run}: a batch is writing it ({holder}; the lock of its {manifest}). Files deleted under a running \
         batch could be published again and its manifest would be rewritten under it; wait for the batch to end \
         (or stop it), then purge again. Nothing was deleted"
    )]
    Locked { run: String, manifest: String, holder: String },
    #[error("cannot lock {run} for the purge: {source}")]
    Lock { run: String, source: LockError },
    #[error("cannot purge {run}: {source}")]
    Store { run: String, source: StoreError },
}

/// Reads a retention period: a number and a unit (`90d`, `12h`, `2w`, `30min`; humantime's
/// units), more than zero.
pub fn parse_period(text: &str) -> Result<Period, PurgeError> {
    let err = |reason: String| PurgeError::Period { text: text.to_string(), reason };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(err("it is empty".into()));
    }
    if trimmed.chars().all(|c| c.is_ascii_digit()) {
        return Err(err("it has no unit".into()));
    }
    let duration = humantime::parse_duration(trimmed).map_err(|e| err(e.to_string()))?;
    if duration.is_zero() {
        return Err(err("a period of zero would delete every record of the run".into()));
    }
    Ok(Period { text: trimmed.to_string(), duration })
}

/// `2026-11-28T01:02:03Z`.
pub fn utc_time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Runs a purge: every run of every target, one after the other. Every local run is locked
/// first, so a run a batch is writing refuses the purge before anything is deleted anywhere. A
/// store that fails ends the purge with that error; the runs before it are done (each with its
/// audit).
pub fn run(req: &Request) -> Result<Report, PurgeError> {
    if req.ids.is_empty() && req.older_than.is_none() {
        return Err(PurgeError::NoSelection);
    }
    if req.targets.is_empty() {
        return Err(PurgeError::NoTarget);
    }
    let mut runs = Vec::new();
    for t in &req.targets {
        runs.extend(find_runs(t)?);
    }
    let _locks = runs.iter().map(lock).collect::<Result<Vec<_>, _>>()?;
    let mut report = Report::default();
    let mut found: HashSet<String> = HashSet::new();
    for r in &runs {
        report.runs.push(purge_run(r, req, &mut found)?);
    }
    report.not_found = req.ids.iter().filter(|id| !found.contains(*id)).cloned().collect();
    Ok(report)
}

/// One run: its store, the prefix of its folder in it (`""` or `run1/`), its manifests.
struct Run {
    store: Arc<Store>,
    prefix: String,
    label: String,
    manifests: Vec<String>,
}

impl Run {
    fn name(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
    }

    fn store_err(&self) -> impl Fn(StoreError) -> PurgeError + '_ {
        |source| PurgeError::Store { run: self.label.clone(), source }
    }
}

/// Whether `file` (a name in a folder) is a manifest: `manifest.jsonl` or a shard's.
fn is_manifest(file: &str) -> bool {
    file == "manifest.jsonl" || (file.starts_with("manifest-") && file.ends_with(".jsonl"))
}

fn open(target: &str) -> Result<Arc<Store>, PurgeError> {
    // A local folder that is not there is a typo, not an empty run (Store::open would make it).
    if !target.contains("://") && !Path::new(target).is_dir() {
        return Err(PurgeError::Missing { target: target.to_string() });
    }
    Store::open(target).map(Arc::new).map_err(|source| PurgeError::Store { run: target.to_string(), source })
}

fn find_runs(target: &Target) -> Result<Vec<Run>, PurgeError> {
    match target {
        Target::Out(t) => {
            let store = open(t)?;
            let listed =
                store.list("manifest").map_err(|source| PurgeError::Store { run: t.clone(), source })?;
            let manifests: Vec<String> =
                listed.into_iter().map(|o| o.name).filter(|n| is_manifest(n)).collect();
            if manifests.is_empty() {
                return Err(PurgeError::NotARun { target: t.clone() });
            }
            Ok(vec![Run { store, prefix: String::new(), label: t.clone(), manifests }])
        }
        Target::Runs(root) => {
            let store = open(root)?;
            let listed = store.list("").map_err(|source| PurgeError::Store { run: root.clone(), source })?;
            let mut by_folder: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for o in listed {
                let (folder, file) = match o.name.rsplit_once('/') {
                    Some((d, f)) => (format!("{d}/"), f.to_string()),
                    None => (String::new(), o.name.clone()),
                };
                if is_manifest(&file) {
                    by_folder.entry(folder).or_default().push(file);
                }
            }
            if by_folder.is_empty() {
                return Err(PurgeError::NoRuns { root: root.clone() });
            }
            let base = root.trim_end_matches('/');
            Ok(by_folder
                .into_iter()
                .map(|(prefix, manifests)| Run {
                    store: store.clone(),
                    label: format!("{base}/{prefix}").trim_end_matches('/').to_string(),
                    prefix,
                    manifests,
                })
                .collect())
        }
    }
}

/// Holds every manifest lock of a local run while it is purged (none for an object store).
fn lock(run: &Run) -> Result<Vec<RunLock>, PurgeError> {
    let Some(root) = run.store.local_root() else {
        tracing::warn!(run = %run.label, "an object store has no run lock: make sure no worker writes this run while it is purged");
        return Ok(Vec::new());
    };
    let dir = root.join(run.prefix.trim_end_matches('/'));
    let mut locks = Vec::new();
    for m in &run.manifests {
        match RunLock::acquire(&dir, m) {
            Ok(l) => locks.push(l),
            Err(LockError::Held { manifest, holder }) => {
                return Err(PurgeError::Locked { run: run.label.clone(), manifest, holder })
            }
            Err(source) => return Err(PurgeError::Lock { run: run.label.clone(), source }),
        }
    }
    Ok(locks)
}

/// A manifest as bytes, line by line: lines that are not manifest lines (a torn last line) are
/// kept as they are, and so is every line that is not purged.
struct Manifest {
    name: String,
    raw: Vec<Vec<u8>>,
    parsed: Vec<Option<ManifestLine>>,
}

impl Manifest {
    fn read(run: &Run, name: &str) -> Result<Manifest, PurgeError> {
        let bytes = run.store.get(&run.name(name)).map_err(run.store_err())?.unwrap_or_default();
        let raw: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        let parsed = raw.iter().map(|l| serde_json::from_slice::<ManifestLine>(l).ok()).collect();
        Ok(Manifest { name: name.to_string(), raw, parsed })
    }

    /// The index of each record's last line (the one that counts), by id, in file order.
    fn last_lines(&self) -> Vec<(String, usize)> {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, l) in self.parsed.iter().enumerate() {
            if let Some(id) = l.as_ref().and_then(|l| l.id.as_deref()) {
                last.insert(id, i);
            }
        }
        let mut out: Vec<(String, usize)> = last.into_iter().map(|(id, i)| (id.to_string(), i)).collect();
        out.sort_by_key(|&(_, i)| i);
        out
    }

    /// Every file named by any line of `id` (an earlier line may name files a later one does not).
    fn files_of(&self, id: &str) -> BTreeSet<String> {
        let lines = self.parsed.iter().flatten().filter(|l| l.id.as_deref() == Some(id));
        lines.flat_map(line_files).collect()
    }

    /// The manifest with the lines of each record in `deleted` replaced by one `deleted` line
    /// (where its last line was), everything else byte for byte.
    fn rewritten(&self, deleted: &HashMap<String, ManifestLine>) -> Vec<u8> {
        let last: HashMap<String, usize> = self.last_lines().into_iter().collect();
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(self.raw.len());
        for (i, (raw, parsed)) in self.raw.iter().zip(&self.parsed).enumerate() {
            let id = parsed.as_ref().and_then(|l| l.id.as_deref());
            match id.and_then(|id| deleted.get(id).map(|d| (d, last.get(id) == Some(&i)))) {
                None => out.push(raw.clone()),
                Some((line, true)) => out.push(serde_json::to_vec(line).expect("a manifest line serialises")),
                Some((_, false)) => {} // superseded: the deleted line is the record's one line
            }
        }
        out.join(&b'\n')
    }
}

/// Every kind of file `outputs` writes for a record (`outputs::Request::file`). A record's
/// manifest line does not name them all: each format other than the default has its own
/// captions (`NAME-tall.vtt`, `.srt`) that only the default's appear in the line. So each name
/// the line gives is a stem, and each kind beside it that exists goes too.
const KINDS: [&str; 6] = ["mp4", "jpg", "gif", "vtt", "srt", "html"];

/// The files of a record that its line does not name: each kind beside each named stem.
fn siblings(named: &BTreeSet<String>) -> BTreeSet<String> {
    let stems: BTreeSet<&str> = named
        .iter()
        .filter_map(|f| f.rsplit_once('.'))
        .filter(|(_, ext)| KINDS.contains(ext))
        .map(|(stem, _)| stem)
        .collect();
    let all = stems.iter().flat_map(|stem| KINDS.iter().map(move |ext| format!("{stem}.{ext}")));
    all.filter(|f| !named.contains(f)).collect()
}

/// Every file a manifest line names: the default format's and each format's.
pub fn line_files(line: &ManifestLine) -> BTreeSet<String> {
    let top = [&line.video, &line.poster, &line.captions, &line.srt, &line.preview, &line.page];
    let mut files: BTreeSet<String> = top.into_iter().flatten().cloned().collect();
    for f in line.formats.values() {
        files.insert(f.video.clone());
        files.extend(f.poster.iter().chain(&f.preview).cloned());
    }
    files
}

/// The selection, as the audit and the default reason say it.
fn rule(req: &Request) -> String {
    match (req.ids.is_empty(), &req.older_than) {
        (false, Some(p)) => format!("--id, --older-than {}", p.text),
        (true, Some(p)) => format!("--older-than {}", p.text),
        (_, None) => "--id".to_string(),
    }
}

fn default_reason(req: &Request) -> String {
    match &req.older_than {
        Some(p) if req.ids.is_empty() => format!("retention: outputs older than {}", p.text),
        Some(p) => format!("deleted on request (outputs older than {})", p.text),
        None => "deleted on request".to_string(),
    }
}

/// Whether a record's files are all older than the cut-off: its newest file dates it. A record
/// with no file left, or a store that cannot tell a file's time, is not old.
fn is_old(run: &Run, files: &BTreeSet<String>, cutoff: SystemTime) -> Result<bool, PurgeError> {
    let mut newest = None;
    for f in files {
        // A file that is gone does not date the record.
        if let Some(info) = run.store.head(&run.name(f)).map_err(run.store_err())? {
            match info.modified {
                Some(t) => newest = newest.max(Some(t)),
                None => return Ok(false),
            }
        }
    }
    Ok(newest.is_some_and(|t| t < cutoff))
}

/// Deletes (or with `--dry-run`, looks at) each file of a record: those its lines name (listed
/// also when absent) and their [`siblings`] that exist.
fn delete_files(run: &Run, named: &BTreeSet<String>, dry_run: bool) -> Vec<FileGone> {
    let one = |f: &String| -> FileGone {
        let name = run.name(f);
        let head = match run.store.head(&name) {
            Ok(h) => h,
            Err(e) => {
                return FileGone { name: f.clone(), bytes: None, state: FileState::Failed(e.to_string()) }
            }
        };
        let bytes = head.as_ref().map(|h| h.size);
        let state = match (head, dry_run) {
            (None, _) => FileState::Absent,
            (Some(_), true) => FileState::WouldDelete,
            (Some(_), false) => match run.store.delete(&name) {
                Ok(true) => FileState::Deleted,
                Ok(false) => FileState::Absent,
                Err(e) => FileState::Failed(e.to_string()),
            },
        };
        FileGone { name: f.clone(), bytes, state }
    };
    let mut gone: Vec<FileGone> = named.iter().map(one).collect();
    gone.extend(siblings(named).iter().map(one).filter(|g| g.state != FileState::Absent));
    gone.sort_by(|a, b| a.name.cmp(&b.name));
    gone
}

/// One audit line: a record purged, with each of its files.
#[derive(Serialize)]
struct AuditLine<'a> {
    at: &'a str,
    id: &'a str,
    run: &'a str,
    manifest: &'a str,
    reason: &'a str,
    rule: &'a str,
    /// Whether the manifest line now says `deleted` (not when a file could not be deleted).
    marked_deleted: bool,
    files: &'a [FileGone],
    pid: u32,
}

/// Purges one run (locked by the caller): chooses its records, deletes their files, writes the
/// audit object, then rewrites each manifest. `found` collects the ids asked for that the run has.
fn purge_run(run: &Run, req: &Request, found: &mut HashSet<String>) -> Result<RunReport, PurgeError> {
    let wanted: HashSet<&str> = req.ids.iter().map(String::as_str).collect();
    let cutoff =
        req.older_than.as_ref().map(|p| req.now.checked_sub(p.duration).unwrap_or(SystemTime::UNIX_EPOCH));
    let at = utc_time(req.now);
    let reason = req.reason.clone().unwrap_or_else(|| default_reason(req));
    let mut report = RunReport { label: run.label.clone(), ..Default::default() };
    let mut manifests = Vec::new();
    for name in &run.manifests {
        let m = Manifest::read(run, name)?;
        let mut deleted: HashMap<String, ManifestLine> = HashMap::new();
        for (id, i) in m.last_lines() {
            let line = m.parsed[i].as_ref().expect("a last line is a manifest line");
            if !wanted.is_empty() && !wanted.contains(id.as_str()) {
                continue;
            }
            found.insert(id.clone());
            if line.status == Status::Deleted {
                report.already.push(id);
                continue;
            }
            let files = m.files_of(&id);
            if let Some(cutoff) = cutoff {
                if line.status != Status::Ok || !is_old(run, &files, cutoff)? {
                    continue;
                }
            }
            let purged = Purged {
                id: id.clone(),
                manifest: name.clone(),
                files: delete_files(run, &files, req.dry_run),
            };
            if purged.complete() {
                let mut d = ManifestLine::new(Some(id.clone()), line.line, Status::Deleted, String::new());
                (d.deleted_at, d.deleted_reason) = (Some(at.clone()), Some(reason.clone()));
                deleted.insert(id, d);
            }
            report.records.push(purged);
        }
        manifests.push((m, deleted));
    }
    if req.dry_run || report.records.is_empty() {
        return Ok(report);
    }
    // The audit before the manifests: a purge killed between the two leaves an audit line too
    // many (purging again writes the record's line anew), never a deletion without one.
    let rule = rule(req);
    let mut audit = Vec::new();
    for p in &report.records {
        let line = AuditLine {
            at: &at,
            id: &p.id,
            run: &run.label,
            manifest: &p.manifest,
            reason: &reason,
            rule: &rule,
            marked_deleted: p.complete(),
            files: &p.files,
            pid: std::process::id(),
        };
        serde_json::to_writer(&mut audit, &line).expect("an audit line serialises");
        audit.push(b'\n');
    }
    let stamp: String = at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let audit_name = format!("audit/purge-{stamp}-{}.jsonl", std::process::id());
    run.store.put_bytes(&run.name(&audit_name), &audit, TAG).map_err(run.store_err())?;
    report.audit = Some(audit_name);
    for (m, deleted) in manifests.iter().filter(|(_, d)| !d.is_empty()) {
        run.store.put_bytes(&run.name(&m.name), &m.rewritten(deleted), TAG).map_err(run.store_err())?;
        tracing::info!(run = %run.label, manifest = %m.name, records = deleted.len(), "manifest lines marked deleted");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_a_number_and_a_unit() {
        let d = |t: &str| parse_period(t).unwrap().duration.as_secs();
        assert_eq!(d("90d"), 90 * 86_400);
        assert_eq!(d("12h"), 12 * 3_600);
        assert_eq!(d("2w"), 14 * 86_400);
        assert_eq!(d(" 30min "), 1_800);
        assert_eq!(d("1d 12h"), 36 * 3_600);
        assert_eq!(parse_period("90d").unwrap().text, "90d");
    }

    #[test]
    fn a_bad_period_says_what_is_wrong_and_how_to_write_one() {
        let e = |t: &str| parse_period(t).unwrap_err().to_string();
        let how = "write a number and a unit, e.g. `90d` (days), `12h` (hours) or `2w` (weeks)";
        for (text, why) in [
            ("", "it is empty"),
            ("90", "it has no unit"),
            ("90x", "unknown time unit \"x\""),
            ("ninety days", "expected number"),
            ("0d", "a period of zero would delete every record"),
        ] {
            let msg = e(text);
            assert!(msg.starts_with(&format!("--older-than `{text}`: ")), "{msg}");
            assert!(msg.contains(why) && msg.contains(how), "{text}: {msg}");
        }
    }

    #[test]
    fn a_line_names_every_file_of_every_format() {
        let mut l = ManifestLine::new(Some("C1".into()), 1, Status::Ok, String::new());
        (l.video, l.poster, l.captions, l.srt) =
            (Some("n.mp4".into()), Some("n.jpg".into()), Some("n.vtt".into()), Some("n.srt".into()));
        (l.preview, l.page) = (Some("n.gif".into()), Some("n.html".into()));
        let tall = crate::batch::manifest::FormatFiles {
            video: "n-tall.mp4".into(),
            poster: Some("n-tall.jpg".into()),
            preview: Some("n-tall.gif".into()),
            ..Default::default()
        };
        let wide = crate::batch::manifest::FormatFiles {
            video: "n.mp4".into(),
            poster: Some("n.jpg".into()),
            ..Default::default()
        };
        l.formats.insert("tall".into(), tall);
        l.formats.insert("wide".into(), wide);
        let files: Vec<String> = line_files(&l).into_iter().collect();
        assert_eq!(
            files,
            ["n-tall.gif", "n-tall.jpg", "n-tall.mp4", "n.gif", "n.html", "n.jpg", "n.mp4", "n.srt", "n.vtt"]
        );
    }

    #[test]
    fn a_rewrite_changes_only_the_purged_record_and_keeps_one_line_for_it() {
        let ok = |id: &str, video: &str| {
            let mut l = ManifestLine::new(Some(id.into()), 1, Status::Ok, "ab".into());
            l.video = Some(video.into());
            serde_json::to_string(&l).unwrap()
        };
        // A killed run left two lines for A and a torn last line.
        let text = format!(
            "{}\n{}\n{}\n{}\n{{\"id\":\"C",
            ok("A", "a1.mp4"),
            ok("B", "b.mp4"),
            ok("A", "a2.mp4"),
            ok("C", "c.mp4")
        );
        let m = Manifest {
            name: "manifest.jsonl".into(),
            raw: text.as_bytes().split(|b| *b == b'\n').map(<[u8]>::to_vec).collect(),
            parsed: text.lines().map(|l| serde_json::from_str(l).ok()).collect(),
        };
        assert_eq!(m.files_of("A").into_iter().collect::<Vec<_>>(), ["a1.mp4", "a2.mp4"]);
        assert_eq!(m.rewritten(&HashMap::new()), text.as_bytes(), "nothing purged: byte for byte");
        let mut d = ManifestLine::new(Some("A".into()), 1, Status::Deleted, String::new());
        d.deleted_at = Some("2026-11-28T01:00:00Z".into());
        let out = String::from_utf8(m.rewritten(&HashMap::from([("A".to_string(), d)]))).unwrap();
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!((lines[0], lines[3]), (ok("B", "b.mp4").as_str(), "{\"id\":\"C"));
        assert!(lines[1].contains(r#""status":"deleted""#) && !lines[1].contains("mp4"), "{out}");
        assert_eq!(lines[2], ok("C", "c.mp4"));
    }

    #[test]
    fn each_named_stem_brings_the_other_kinds_beside_it() {
        let named: BTreeSet<String> = ["n.mp4", "n.jpg", "n-tall.mp4", "notes.txt"].map(String::from).into();
        let extra: Vec<String> = siblings(&named).into_iter().collect();
        assert_eq!(
            extra,
            [
                "n-tall.gif",
                "n-tall.html",
                "n-tall.jpg",
                "n-tall.srt",
                "n-tall.vtt",
                "n.gif",
                "n.html",
                "n.srt",
                "n.vtt"
            ]
        );
    }

    #[test]
    fn manifests_are_the_run_and_its_shards() {
        assert!(is_manifest("manifest.jsonl") && is_manifest("manifest-0-of-4.jsonl"));
        assert!(
            !is_manifest("manifest.jsonl.lock") && !is_manifest("run.jsonl") && !is_manifest("manifest.json")
        );
    }
}
