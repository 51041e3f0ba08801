//! The manifest: one JSON line per record, for the mailers who embed the results.
//!
//! Lines are appended (and flushed) as records finish, only after the record's files are in
//! place, so a killed run never lists a file that is not there. A rerun reads the manifest back
//! to know what it may skip; when a rerun replaced lines (a record that failed before, or whose
//! input changed), the manifest is compacted at the end to one line per record.

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
    /// SHA-256 of everything the video depends on: engine version, storyboard, assets, encoder
    /// settings and the record. A rerun skips the record when it is unchanged.
    #[serde(default)]
    pub input_hash: String,
    #[serde(default)]
    pub render_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure `error` is, as in `check`'s summary (`missing_field`,
    /// `wrong_value`, `missing_asset`, `unreadable_line`, `encode`, `internal`, ...): lets a
    /// mailer or an operator sort failures without parsing messages. Only on failed lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ProblemKind>,
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
            render_ms: 0,
            error: None,
            error_kind: None,
        }
    }

    /// Names the files beside the video, and their public URLs under `base_url`.
    pub fn set_outputs(&mut self, w: crate::outputs::Written, base_url: Option<&str>) {
        let url = |file: Option<&String>| Some(format!("{}{}", base_url?, file?));
        self.poster_url = url(Some(&w.poster));
        self.captions_url = url(w.captions.as_ref());
        self.preview_url = url(w.preview.as_ref());
        self.page_url = url(w.page.as_ref());
        self.poster = Some(w.poster);
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
}

/// What a rerun needs to know about records already done: for each record whose last line is
/// `ok`, its input hash and a digest of its file names. Kept compact (about 60 bytes a record,
/// keys and values as fixed-size digests) because it holds every done record of the run.
#[derive(Debug, Default)]
pub struct Done {
    ok: HashMap<[u8; 16], DoneEntry>,
    /// Records whose last line failed (usually few).
    failed: HashSet<[u8; 16]>,
    /// Lines in the file (any status).
    pub lines: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoneEntry {
    pub input_hash: [u8; 32],
    /// Digest of the video and poster names (they change with the link secret).
    pub names: u64,
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

impl Done {
    /// Reads a manifest; the last line of a record wins. A missing file means nothing is done;
    /// a torn last line (from a kill mid-write) is ignored.
    pub fn read(path: &Path) -> std::io::Result<Done> {
        let mut done = Done::default();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            let line = line?;
            let Ok(m) = serde_json::from_str::<ManifestLine>(&line) else { continue };
            done.lines += 1;
            let key = key_digest(&m.key());
            match (m.status, &m.video) {
                (Status::Ok, Some(video)) => {
                    done.failed.remove(&key);
                    let entry = DoneEntry {
                        input_hash: hash_bytes(&m.input_hash),
                        names: names_digest(video, m.poster.as_deref()),
                    };
                    done.ok.insert(key, entry);
                }
                _ => {
                    done.ok.remove(&key);
                    done.failed.insert(key);
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
        self.ok.contains_key(&k) || self.failed.contains(&k)
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

/// Rewrites a manifest keeping only the last line of each record (see [`ManifestLine::key`]),
/// in the order those lines appear. Atomic: written beside it and renamed over it.
pub fn compact(path: &Path) -> std::io::Result<()> {
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut count = 0;
    for (i, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        if let Ok(m) = serde_json::from_str::<ManifestLine>(&line?) {
            last.insert(m.key(), i);
        }
        count = i + 1;
    }
    let tmp = path.with_extension("jsonl.compacting");
    {
        let mut out = BufWriter::new(File::create(&tmp)?);
        for (i, line) in BufReader::new(File::open(path)?).lines().enumerate().take(count) {
            let line = line?;
            let keep = match serde_json::from_str::<ManifestLine>(&line) {
                Ok(m) => last.get(&m.key()) == Some(&i),
                Err(_) => false, // a torn line from a killed run
            };
            if keep {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        out.get_ref().sync_data()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, status: Status, hash: &str) -> ManifestLine {
        let mut l = ManifestLine::new(Some(id.into()), 1, status, hash.into());
        l.video = (status == Status::Ok).then(|| format!("{id}.mp4"));
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
        assert_eq!(done.get("A").unwrap().input_hash, hash_bytes(&"a1".repeat(32)));
        assert_eq!(
            done.get("B").unwrap().input_hash,
            hash_bytes(&"b2".repeat(32)),
            "the retried record is done now"
        );
        assert_eq!(done.get("B").unwrap().names, names_digest("B.mp4", None));
        assert!(done.get("C").is_none(), "its last line failed");
        assert!(done.has_line("C") && !done.has_line("Z"));
        compact(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<String> =
            text.lines().map(|l| serde_json::from_str::<ManifestLine>(l).unwrap().id.unwrap()).collect();
        assert_eq!(ids, ["A", "B", "C"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
