//! The manifest: one JSON line per record, for the mailers who embed the results.
//!
//! The promise to mailers: **when `batch` has exited, its manifest holds exactly one line per
//! record** (per id; an unreadable input line is keyed by its line number), whatever came before:
//! runs killed at any moment, `--force` runs, resumes. How it is kept:
//!
//! - Lines are appended (written, flushed and fsynced) as records finish, only after the record's
//!   files are in place and flushed, so a line never points at a file that is not whole.
//! - A line for a record supersedes every earlier line for it. So while a run is going, or after
//!   it was killed, a record may have several lines; the last one counts.
//! - Every run compacts the manifest to one line per record before it starts (dropping the
//!   superseded lines and a torn last line a kill left) and again when it ends, also when it
//!   ends with an error. Compaction writes a temporary file, fsyncs it, renames it over the
//!   manifest and fsyncs the folder: a kill during compaction leaves the old manifest or the new
//!   one, never a mix.
//! - A record whose files `billreel purge` deleted keeps one line, `"status":"deleted"`, which a
//!   resumed run leaves as it is (`batch --recreate-purged` renders the record again).
//! - Only one run at a time writes a manifest: the run holds a lock on it (see
//!   [`super::lock`]), and a second run for the same folder and shard is refused.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bind::ProblemKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// The record's files were deleted by `billreel purge` (on request, or at the end of a
    /// retention period): the line keeps the id and says when and why, and names no file. A
    /// resumed run leaves it so unless told `--recreate-purged`.
    Deleted,
}

/// One record's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestLine {
    /// The record id; absent when the input line could not be read at all.
    pub id: Option<String>,
    /// Line (JSONL) or row (CSV) of the record in the input.
    pub line: usize,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster_url: Option<String>,
    /// WebVTT captions (when the storyboard has captions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions_url: Option<String>,
    /// The same captions as SubRip (`batch --srt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srt: Option<String>,
    /// The animated GIF preview for emails (when the storyboard has `preview`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    /// The landing page (when the storyboard has `page`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// SHA-256 of the MP4 file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// SHA-256 of everything the record's files depend on (one hash of `output_hashes`): it
    /// changes when any of them would.
    #[serde(default)]
    pub input_hash: String,
    /// Each file's own hash (see `batch::reuse`): a rerun remakes only the files whose hash
    /// changed, so a change to the page alone rewrites the pages and keeps the videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_hashes: Option<OutputHashes>,
    #[serde(default)]
    pub render_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure `error` is, as in `check`'s summary (`missing_field`,
    /// `wrong_value`, `missing_asset`, `unreadable_line`, `encode`, `internal`, ...): lets a
    /// mailer or an operator sort failures without parsing messages. Only on failed lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ProblemKind>,
    /// The record field at fault (`bill.overdue_days`), when one is: what to fix in the CRM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_field: Option<String>,
    /// For a storyboard that declares `formats:`, each format rendered, by name, with its
    /// files and URLs (the fields above are the first format's: the default when it is
    /// rendered). The landing page (`page`) is one for all of them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub formats: std::collections::BTreeMap<String, FormatFiles>,
    /// When `billreel purge` deleted the record's files (RFC 3339, UTC). Only on deleted lines,
    /// so the lines of a normal run are byte for byte what they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Why (`purge --reason`, or the retention period that ended). Only on deleted lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_reason: Option<String>,
}

/// One format's files of a record, in its manifest line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FormatFiles {
    /// Frame width and height in pixels.
    pub width: u32,
    pub height: u32,
    pub video: String,
    /// None: the storyboard turned the poster off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster_url: Option<String>,
    /// The animated GIF preview (when the storyboard has `preview`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// SHA-256 of the MP4 file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// SHA-256 of what each of a record's files is made from, in hex (`batch::reuse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputHashes {
    pub video: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl OutputHashes {
    /// The short forms kept in memory, in [`DoneEntry::outputs`] order; 0 for a file not made.
    fn short(&self) -> [u64; 5] {
        let s = |h: Option<&String>| h.map_or(0, |h| short_hash(&hash_bytes(h)));
        [
            s(Some(&self.video)),
            s(self.poster.as_ref()),
            s(self.preview.as_ref()),
            s(self.captions.as_ref()),
            s(self.page.as_ref()),
        ]
    }
}

/// The first 8 bytes of a hash, never 0 (0 marks a file not made): enough to tell a changed
/// input from an unchanged one (a collision needs 2^64 tries), at 8 bytes per file per record.
pub fn short_hash(h: &[u8; 32]) -> u64 {
    u64::from_le_bytes(h[..8].try_into().expect("32 bytes")).max(1)
}

impl ManifestLine {
    /// A line with the identifying fields set and everything about outputs still empty.
    pub fn new(id: Option<String>, line: usize, status: Status, input_hash: String) -> ManifestLine {
        ManifestLine {
            id,
            line,
            status,
            video: None,
            poster: None,
            video_url: None,
            poster_url: None,
            captions: None,
            captions_url: None,
            srt: None,
            preview: None,
            preview_url: None,
            page: None,
            page_url: None,
            duration_s: None,
            bytes: None,
            sha256: None,
            input_hash,
            output_hashes: None,
            render_ms: 0,
            error: None,
            error_kind: None,
            error_field: None,
            formats: Default::default(),
            deleted_at: None,
            deleted_reason: None,
        }
    }

    /// Names the files beside the video, and their public URLs under `base_url`.
    pub fn set_outputs(&mut self, w: crate::outputs::Written, base_url: Option<&str>) {
        let url = |file: Option<&String>| Some(format!("{}{}", base_url?, file?));
        self.poster_url = url(w.poster.as_ref());
        self.captions_url = url(w.captions.as_ref());
        self.preview_url = url(w.preview.as_ref());
        self.page_url = url(w.page.as_ref());
        self.poster = w.poster;
        (self.captions, self.srt, self.preview, self.page) = (w.captions, w.srt, w.preview, w.page);
    }

    /// Marks the line failed, with the message and its kind.
    pub fn fail(&mut self, message: String, kind: ProblemKind) {
        self.status = Status::Failed;
        self.error = Some(message);
        self.error_kind = Some(kind);
    }

    /// What identifies the record this line is about: its id, or for input that could not be
    /// read, its line number.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("line:{}", self.line),
        }
    }

    /// What a completion webhook tells the receiver of this record (`record.finished`): the
    /// line without what only a rerun needs (`input_hash`, `output_hashes`) and without
    /// `render_ms`, which differs between two renders of the same outcome and would give a
    /// re-rendered record's event another id.
    pub fn public_fields(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("a manifest line serialises");
        if let Some(map) = v.as_object_mut() {
            for private in ["input_hash", "output_hashes", "render_ms"] {
                map.remove(private);
            }
        }
        v
    }
}

/// What a rerun needs to know about records already done: for each record whose last line is
/// `ok`, its files' short hashes and a digest of its file names. Kept compact (about 70 bytes a record,
/// keys and values as fixed-size digests) because it holds every done record of the run.
#[derive(Debug, Default)]
pub struct Done {
    ok: HashMap<[u8; 16], DoneEntry>,
    /// Records whose last line failed (usually few).
    failed: HashSet<[u8; 16]>,
    /// Records whose files `billreel purge` deleted: a resumed run leaves them deleted.
    deleted: HashSet<[u8; 16]>,
    /// Lines in the file that are manifest lines (any status).
    pub lines: usize,
    /// Lines that are not (a torn last line from a kill mid-write, an empty line).
    pub torn: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoneEntry {
    /// The short hash of each file (video, poster, preview, captions, page; see
    /// [`short_hash`]); all 0 for a line written before files had their own hashes, so that
    /// everything is remade once.
    pub outputs: [u64; 5],
    /// Digest of the video and poster names (they change with the link secret).
    pub names: u64,
    /// Short form of the video's SHA-256 (the line's `sha256`; 0 when it has none): what an
    /// object store's copy must carry to count as published (`batch::publish`).
    pub video_sha256: u64,
}

/// A record key (see [`ManifestLine::key`]) as a fixed-size digest.
pub fn key_digest(key: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes())[..16].try_into().expect("32-byte digest")
}

/// Digest of a record's file names, as stored in [`DoneEntry::names`].
pub fn names_digest(video: &str, poster: Option<&str>) -> u64 {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{video}\n{}", poster.unwrap_or("")).as_bytes());
    u64::from_le_bytes(h[..8].try_into().expect("32-byte digest"))
}

/// Parses a hex input hash; anything else (an old or hand-edited line) never matches.
pub fn hash_bytes(hex_hash: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hex::decode_to_slice(hex_hash, &mut out).is_err() {
        out = [0xff; 32];
    }
    out
}

/// Each line of a manifest file, as bytes without its newline. Bytes, not text: a kill
/// mid-write can cut a character of an id in half, and that torn line must not make the whole
/// manifest unreadable.
fn raw_lines(file: File) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    BufReader::with_capacity(1 << 16, file).split(b'\n')
}

impl Done {
    /// Reads a manifest; the last line of a record wins. A missing file means nothing is done;
    /// a torn last line (from a kill mid-write) is counted in `torn` and otherwise ignored.
    pub fn read(path: &Path) -> std::io::Result<Done> {
        let mut done = Done::default();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(e),
        };
        for line in raw_lines(file) {
            let Ok(m) = serde_json::from_slice::<ManifestLine>(&line?) else {
                done.torn += 1;
                continue;
            };
            done.lines += 1;
            let key = key_digest(&m.key());
            // Each record in exactly one of the three sets: that of its last line.
            done.ok.remove(&key);
            done.failed.remove(&key);
            done.deleted.remove(&key);
            match (m.status, &m.video) {
                (Status::Ok, Some(video)) => {
                    let entry = DoneEntry {
                        outputs: m.output_hashes.as_ref().map_or([0; 5], OutputHashes::short),
                        names: names_digest(video, m.poster.as_deref()),
                        video_sha256: m.sha256.as_deref().map_or(0, |h| short_hash(&hash_bytes(h))),
                    };
                    done.ok.insert(key, entry);
                }
                // An ok line without a video is not a finished record: render it again.
                (Status::Ok, None) | (Status::Failed, _) => {
                    done.failed.insert(key);
                }
                (Status::Deleted, _) => {
                    done.deleted.insert(key);
                }
            }
        }
        Ok(done)
    }

    pub fn get(&self, key: &str) -> Option<&DoneEntry> {
        self.ok.get(&key_digest(key))
    }

    /// Whether the manifest already has a line for this record (so a new one supersedes it).
    pub fn has_line(&self, key: &str) -> bool {
        let k = key_digest(key);
        self.ok.contains_key(&k) || self.failed.contains(&k) || self.deleted.contains(&k)
    }

    /// Whether the record's last line says `billreel purge` deleted its files.
    pub fn is_deleted(&self, key: &str) -> bool {
        self.deleted.contains(&key_digest(key))
    }

    /// Records with a line.
    pub fn records(&self) -> usize {
        self.ok.len() + self.failed.len() + self.deleted.len()
    }

    /// Whether the file holds anything but one line per record (superseded or torn lines).
    pub fn needs_compaction(&self) -> bool {
        self.torn > 0 || self.lines != self.records()
    }
}

/// Appends lines, flushing each one.
pub struct Writer {
    out: BufWriter<File>,
    pub path: PathBuf,
}

impl Writer {
    pub fn append(path: &Path) -> std::io::Result<Writer> {
        let mut file = OpenOptions::new().create(true).append(true).read(true).open(path)?;
        // A kill mid-write can leave a last line without its newline; start on a fresh line.
        let len = file.metadata()?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Writer { out: BufWriter::new(file), path: path.to_path_buf() })
    }

    pub fn write(&mut self, line: &ManifestLine) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

/// What compaction reads of a line: just enough for its key (see [`ManifestLine::key`]), and
/// its status so that a torn line that happens to be valid JSON is not kept.
#[derive(Deserialize)]
struct KeyOnly {
    id: Option<String>,
    line: usize,
    #[allow(dead_code)]
    status: Status,
}

impl KeyOnly {
    fn digest(&self) -> [u8; 16] {
        match &self.id {
            Some(id) => key_digest(id),
            None => key_digest(&format!("line:{}", self.line)),
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// Lines read (manifest lines and torn ones).
    pub before: usize,
    /// Lines kept: one per record.
    pub after: usize,
}

/// The temporary name a compaction writes to: hidden, beside the manifest (so the rename is
/// atomic). Only the run holding the manifest's lock compacts, so one name is enough; a file
/// left by a kill is overwritten by the next compaction.
pub fn compaction_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.compacting"))
}

/// Rewrites a manifest keeping only the last line of each record (see [`ManifestLine::key`]),
/// in the order those lines appear, and dropping torn lines. Atomic and durable: written beside
/// it, fsynced, renamed over it, and the folder fsynced. A missing manifest is left missing.
pub fn compact(path: &Path) -> std::io::Result<Compacted> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Compacted { before: 0, after: 0 }),
        Err(e) => return Err(e),
    };
    // First pass: where each record's last line is.
    let mut last: HashMap<[u8; 16], usize> = HashMap::new();
    let mut count = 0;
    for (i, line) in raw_lines(file).enumerate() {
        if let Ok(k) = serde_json::from_slice::<KeyOnly>(&line?) {
            last.insert(k.digest(), i);
        }
        count = i + 1;
    }
    // Second pass: keep those lines. Lines appended since the first pass (none: the caller
    // holds the lock) would be beyond `count` and are not read.
    let tmp = compaction_name(path);
    let mut kept = 0;
    {
        let mut out = BufWriter::with_capacity(1 << 16, File::create(&tmp)?);
        for (i, line) in raw_lines(File::open(path)?).enumerate().take(count) {
            let line = line?;
            let keep = match serde_json::from_slice::<KeyOnly>(&line) {
                Ok(k) => last.get(&k.digest()) == Some(&i),
                Err(_) => false, // a torn line from a killed run
            };
            if keep {
                out.write_all(&line)?;
                out.write_all(b"\n")?;
                kept += 1;
            }
        }
        out.flush()?;
        out.get_ref().sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    crate::output::sync_folder(
        path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")),
    )?;
    Ok(Compacted { before: count, after: kept })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, status: Status, hash: &str) -> ManifestLine {
        let mut l = ManifestLine::new(Some(id.into()), 1, status, hash.into());
        l.video = (status == Status::Ok).then(|| format!("{id}.mp4"));
        l.output_hashes = Some(OutputHashes {
            video: hash.into(),
            poster: Some(hash.into()),
            preview: None,
            captions: None,
            page: None,
        });
        l
    }

    #[test]
    fn last_line_wins_and_compaction_keeps_one_per_id() {
        let dir = std::env::temp_dir().join(format!("billreel-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut w = Writer::append(&path).unwrap();
        w.write(&line("A", Status::Ok, &"a1".repeat(32))).unwrap();
        w.write(&line("B", Status::Failed, &"b2".repeat(32))).unwrap();
        w.write(&line("C", Status::Ok, &"c3".repeat(32))).unwrap();
        drop(w);
        // A torn line, as a kill mid-write leaves it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"id\": \"D\", \"sta")
            .unwrap();
        let mut w = Writer::append(&path).unwrap();
        w.write(&line("B", Status::Ok, &"b2".repeat(32))).unwrap();
        w.write(&line("C", Status::Failed, &"c4".repeat(32))).unwrap();
        drop(w);
        let done = Done::read(&path).unwrap();
        let short = |h: &str| short_hash(&hash_bytes(&h.repeat(32)));
        assert_eq!(done.get("A").unwrap().outputs, [short("a1"), short("a1"), 0, 0, 0]);
        assert_eq!(
            done.get("B").unwrap().outputs,
            [short("b2"), short("b2"), 0, 0, 0],
            "the retried record is done now"
        );
        assert_eq!(done.get("B").unwrap().names, names_digest("B.mp4", None));
        assert!(done.get("C").is_none(), "its last line failed");
        assert!(done.has_line("C") && !done.has_line("Z"));
        assert!(done.needs_compaction(), "B and C have two lines each, and D is torn");
        assert_eq!((done.lines, done.torn, done.records()), (5, 1, 3));
        assert_eq!(compact(&path).unwrap(), Compacted { before: 6, after: 3 });
        assert!(!Done::read(&path).unwrap().needs_compaction());
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<String> =
            text.lines().map(|l| serde_json::from_str::<ManifestLine>(l).unwrap().id.unwrap()).collect();
        assert_eq!(ids, ["A", "B", "C"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_deleted_line_marks_its_record_deleted_until_a_later_line_supersedes_it() {
        let dir = std::env::temp_dir().join(format!("billreel-manifest-deleted-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut w = Writer::append(&path).unwrap();
        w.write(&line("A", Status::Ok, &"a1".repeat(32))).unwrap();
        w.write(&line("B", Status::Ok, &"b2".repeat(32))).unwrap();
        let mut gone = ManifestLine::new(Some("A".into()), 1, Status::Deleted, String::new());
        gone.deleted_at = Some("2026-11-28T01:00:00Z".into());
        gone.deleted_reason = Some("erasure request 42".into());
        w.write(&gone).unwrap();
        drop(w);
        let done = Done::read(&path).unwrap();
        assert!(done.is_deleted("A") && done.get("A").is_none() && done.has_line("A"));
        assert!(!done.is_deleted("B") && done.get("B").is_some());
        assert_eq!(done.records(), 2);
        // The deleted line names no file; an ok line carries no deletion fields.
        let text = std::fs::read_to_string(&path).unwrap();
        let last = text.lines().last().unwrap();
        assert_eq!(
            last,
            r#"{"id":"A","line":1,"status":"deleted","input_hash":"","render_ms":0,"deleted_at":"2026-11-28T01:00:00Z","deleted_reason":"erasure request 42"}"#
        );
        assert!(!text.lines().next().unwrap().contains("deleted"), "{text}");
        // Compaction keeps the deleted line as the record's one line.
        assert_eq!(compact(&path).unwrap(), Compacted { before: 3, after: 2 });
        // A record rendered again (`batch --recreate-purged`) is done again.
        let mut w = Writer::append(&path).unwrap();
        w.write(&line("A", Status::Ok, &"a1".repeat(32))).unwrap();
        drop(w);
        let done = Done::read(&path).unwrap();
        assert!(!done.is_deleted("A") && done.get("A").is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_torn_inside_a_character_does_not_stop_the_next_run() {
        let dir = std::env::temp_dir().join(format!("billreel-manifest-torn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut w = Writer::append(&path).unwrap();
        w.write(&line("Zoë", Status::Ok, &"a1".repeat(32))).unwrap();
        drop(w);
        // Killed while writing an id: the last byte is half of "ë".
        let mut torn = serde_json::to_vec(&line("Zoë2", Status::Ok, &"a1".repeat(32))).unwrap();
        torn.truncate(10);
        assert!(std::str::from_utf8(&torn).is_err(), "the cut falls inside a character");
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&torn).unwrap();
        let done = Done::read(&path).unwrap();
        assert_eq!((done.lines, done.torn), (1, 1));
        assert!(done.get("Zoë").is_some());
        assert_eq!(compact(&path).unwrap(), Compacted { before: 2, after: 1 });
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(!compaction_name(&path).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
