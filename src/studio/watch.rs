//! Reload on save: the files a storyboard uses (the storyboard's folder, where its included
//! parts and translations live; its assets folder; the billing data) watched through `notify`,
//! an editor's burst of events (write to a temporary, rename over, touch) folded into one by
//! `notify-debouncer-full`, then the workspace's version moved on and every page told.
//!
//! In: the workspace. Out: a running watcher (dropped: stops) and, on the channel, each new
//! version.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use tokio::sync::broadcast;

use super::workspace::Workspace;

/// How long a burst of events is gathered before the reload: short enough that the page shows
/// a save well within a second, long enough for an editor's write-and-rename to be one event.
const DEBOUNCE: Duration = Duration::from_millis(150);

pub type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Starts watching what `ws` uses; each change sends the new version on `tx`.
pub fn start(
    ws: Arc<Workspace>,
    tx: broadcast::Sender<u64>,
) -> notify_debouncer_full::notify::Result<Watcher> {
    let data = absolute(&ws.opts.data);
    let handler_ws = ws.clone();
    let data_dir = data.parent().map(Path::to_path_buf);
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let events = match result {
            Ok(events) => events,
            Err(errors) => {
                for e in errors {
                    tracing::warn!(error = %e, "studio: file watching");
                }
                return;
            }
        };
        let changed: Vec<&PathBuf> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)))
            .flat_map(|e| e.paths.iter())
            .filter(|p| !is_scratch(p))
            .collect();
        if changed.is_empty() {
            return;
        }
        let data_changed = changed.iter().any(|p| absolute(p) == data);
        let version = handler_ws.bump(data_changed);
        tracing::info!(version, files = ?changed, "studio: reloaded after a save");
        let _ = tx.send(version);
    })?;
    let mut watched: Vec<(PathBuf, RecursiveMode)> = vec![(absolute(&ws.folder), RecursiveMode::Recursive)];
    // The assets folder of every storyboard that loads (usually one shared folder).
    for name in ws.storyboards() {
        if let Ok(loaded) = ws.storyboard(&name, None) {
            if let Ok(binder) = loaded.as_ref() {
                watched.push((absolute(binder.assets().root()), RecursiveMode::Recursive));
            }
        }
    }
    if let Some(dir) = data_dir {
        watched.push((dir, RecursiveMode::NonRecursive));
    }
    watched.sort();
    watched.dedup_by(|a, b| a.0.starts_with(&b.0) && b.1 == RecursiveMode::Recursive);
    for (dir, mode) in &watched {
        if dir.is_dir() {
            debouncer.watch(dir, *mode)?;
            tracing::debug!(dir = %dir.display(), "studio: watching");
        }
    }
    Ok(debouncer)
}

/// Editors' swap and backup files, which change on every keystroke and are no input.
fn is_scratch(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".tmp")
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}
