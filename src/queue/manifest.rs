//! A queued run's manifest, in the store: one object per record (`RUN/manifest.d/NAME.json`,
//! its line), merged into `RUN/manifest.jsonl` (one line per record, in input order) when the
//! run is done.
//!
//! Why objects rather than one appended file: an object store has no append, and workers on
//! many machines would need a lock to share one file. A record's object has the same name
//! whichever worker renders it and however often (its link name, or `line-N` for input that is
//! not a record), so a redelivered record overwrites its line with the same content, and the
//! merged manifest has exactly one line per record by construction.

use super::QueueError;
use crate::batch::ManifestLine;
use crate::store::Store;

/// The folder of the per-record objects of `run`.
pub fn folder(run: &str) -> String {
    format!("{run}/manifest.d/")
}

/// The object name of the line of a record named `name` (its link name, or `line-N`).
pub fn object(run: &str, name: &str) -> String {
    format!("{}{name}.json", folder(run))
}

/// The merged manifest's name.
pub fn merged(run: &str) -> String {
    format!("{run}/manifest.jsonl")
}

/// Publishes one record's line.
pub fn publish(
    store: &Store,
    run: &str,
    name: &str,
    line: &ManifestLine,
    tag: &str,
) -> Result<(), QueueError> {
    let mut text = serde_json::to_string(line).expect("a manifest line serialises");
    text.push('\n');
    Ok(store.put_bytes(&object(run, name), text.as_bytes(), tag)?)
}

/// Merges the per-record lines of `run` into `RUN/manifest.jsonl`, in input order; returns the
/// lines. Runs again give the same file.
pub fn merge(store: &Store, run: &str, tag: &str) -> Result<Vec<ManifestLine>, QueueError> {
    let mut lines = Vec::new();
    for info in store.list(&folder(run))? {
        let Some(bytes) = store.get(&info.name)? else { continue };
        let line: ManifestLine = serde_json::from_slice(&bytes).map_err(|e| {
            QueueError::Run(format!("{} in {store} is not a manifest line ({e}); delete it and run `billreel status --manifest` again", info.name))
        })?;
        lines.push(line);
    }
    lines.sort_by_key(|a| (a.line, a.key()));
    let mut text = String::new();
    for line in &lines {
        text.push_str(&serde_json::to_string(line).expect("a manifest line serialises"));
        text.push('\n');
    }
    store.put_bytes(&merged(run), text.as_bytes(), tag)?;
    Ok(lines)
}

/// Removes the temporary files writers killed mid-write left in the run's folder of a local
/// store (an object store has none: an upload is whole or absent). Only when the run is done,
/// when nobody writes there any more.
pub fn remove_leftovers(store: &Store, run: &str) -> Result<usize, QueueError> {
    let Some(root) = store.local_root() else { return Ok(0) };
    let mut removed = 0;
    let mut dirs = vec![root.join(run)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if name.starts_with('.') && name.contains(".partial-") {
                tracing::info!(file = %path.display(), "removing a temporary file left by a killed worker");
                std::fs::remove_file(&path).map_err(|source| QueueError::Io {
                    action: "cannot remove",
                    path,
                    source,
                })?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}
