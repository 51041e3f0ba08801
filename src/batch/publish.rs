//! Publish: a batch whose `--out` is an object store (`s3://bucket/prefix`).
//!
//! The run itself is the local one, in a staging folder: records are rendered there as usual,
//! then, in the worker thread, each record's files go to the [`Store`] (the video in parts) before
//! its manifest line is written, and are removed from the staging folder. The manifest lives in
//! the store too: read from it when the run starts (the store's copy is the truth), uploaded
//! every [`MANIFEST_EVERY`] while the run goes on and when it ends, also with an error.
//!
//! Resume: a record whose line is `ok` is skipped only when each of its objects is in the store
//! with the SHA-256 billreel stored with it (one HEAD each, nothing downloaded), and for the
//! video that SHA-256 is the manifest line's. Otherwise the whole record is made again (its
//! staged files are gone, so nothing can be kept piecemeal) and published anew under the same
//! names.

use std::path::Path;
use std::time::{Duration, Instant};

use super::manifest::{self, DoneEntry, ManifestLine};
use super::reuse::{self, Hashes, Reuse};
use crate::outputs::Request;
use crate::store::{Store, StoreError};

/// How often a running batch uploads its manifest.
pub const MANIFEST_EVERY: Duration = Duration::from_secs(30);

/// Which of a record's files a rerun keeps: all of them when every object is published with the
/// right checksum, else none.
pub fn decide(store: &Store, previous: Option<&DoneEntry>, hashes: &Hashes, reqs: &[Request]) -> Reuse {
    let Some(previous) = previous else { return Reuse::default() };
    let there = |req: &Request, ext: &str| {
        let name = req.file(ext);
        // The default format's video has its SHA-256 in the manifest line; the other files must
        // carry the one billreel stored with them (an object overwritten by another tool has none).
        let expected = (ext == "mp4" && req.name == reqs[0].name).then_some(previous.video_sha256);
        match store.head(&name) {
            Ok(Some(info)) => info.sha256.is_some_and(|sha| {
                expected.is_none_or(|want| manifest::short_hash(&manifest::hash_bytes(&sha)) == want)
            }),
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(object = %name, error = %e, "cannot check a published object; making the record again");
                false
            }
        }
    };
    let keep = reuse::decide_with(Some(previous), hashes, reqs, &there);
    match keep.everything(hashes) {
        true => keep,
        false => Reuse::default(),
    }
}

/// Every file a manifest line names, relative to the staging folder (videos first: the biggest,
/// and the one a failure is likeliest in).
fn files(line: &ManifestLine) -> Vec<&str> {
    let mut names: Vec<&str> = [&line.poster, &line.captions, &line.srt, &line.preview, &line.page]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    for f in line.formats.values() {
        names.extend([&f.poster, &f.preview].into_iter().flatten().map(String::as_str));
    }
    names.extend(line.formats.values().map(|f| f.video.as_str()));
    names.extend(line.video.as_deref());
    names.sort();
    names.dedup();
    names.sort_by_key(|n| !n.ends_with(".mp4"));
    names
}

/// Uploads a rendered record's staged files and removes them from `dir`. On failure, removes
/// what this attempt had uploaded (a failed record publishes nothing) and says which object
/// failed and what the store answered.
pub fn record(store: &Store, line: &ManifestLine, dir: &Path, tag: &str) -> Result<(), StoreError> {
    let names = files(line);
    let mut result = Ok(());
    for (k, name) in names.iter().enumerate() {
        if let Err(e) = store.put_file(name, &dir.join(name), tag) {
            for done in &names[..k] {
                if let Err(e) = store.delete(done) {
                    tracing::warn!(object = %done, error = %e, "cannot remove an object of a record that failed to publish");
                }
            }
            result = Err(e);
            break;
        }
    }
    // Staged files are not kept either way: a rerun renders what it publishes.
    for name in &names {
        let _ = std::fs::remove_file(dir.join(name));
    }
    result
}

/// Replaces the staging folder's manifest with the store's (or removes it when the store has
/// none): the store's copy is what previous runs published.
pub fn fetch_manifest(store: &Store, name: &str, local: &Path) -> Result<(), StoreError> {
    if !store.download(name, local)? {
        match std::fs::remove_file(local) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Io { action: "remove", path: local.to_path_buf(), source: e })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Uploads the manifest now and then while the run goes on.
pub struct ManifestUploads<'a> {
    store: &'a Store,
    name: String,
    last: Instant,
}

impl<'a> ManifestUploads<'a> {
    pub fn new(store: &'a Store, name: &str) -> ManifestUploads<'a> {
        ManifestUploads { store, name: name.to_string(), last: Instant::now() }
    }

    /// Uploads `local` when [`MANIFEST_EVERY`] has passed since the last upload. A failure is
    /// logged: the final upload, at the end of the run, is the one that must succeed.
    pub fn tick(&mut self, local: &Path) {
        if self.last.elapsed() < MANIFEST_EVERY {
            return;
        }
        self.last = Instant::now();
        if let Err(e) = self.store.put_file(&self.name, local, "manifest") {
            tracing::warn!(error = %e, "cannot upload the manifest; trying again later");
        }
    }
}
