//! Real-time playback: the chosen record's video encoded in the background at preview quality
//! (x264 `ultrafast`, CRF 30, through the same encode path as `render`), played by the page in a
//! `<video>`. Measured on the demo, debug build on the shared 2-core machine: drawing and sending
//! a 720p JPEG took 100-230 ms a frame, so streaming frames would show 4-10 of the video's 30 a
//! second; the preview MP4 of C0002 (35 s) was ready 16 s after the first ask (the release
//! figure is in docs/BENCHMARKS.md). So scrubbing draws frames, and playing plays a video.
//! One video is encoded at a time, on one thread (x264 `threads=1`), so scrubbing keeps a core.
//!
//! In: a bound scene graph. Out: an MP4 in the studio's own temporary folder (never beside the
//! storyboard), named by a counter, and its status for the page to poll.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;

use super::workspace::{Bound, Choice};
use crate::encode::{self, EncodeSettings};

/// Where a preview video is.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    Rendering,
    Ready { file: String, secs: f64 },
    Failed { message: String },
}

/// A studio's folder for preview videos: this, then its process id.
const FOLDER_PREFIX: &str = "billreel-studio-";

pub struct Playback {
    dir: PathBuf,
    jobs: Mutex<HashMap<(u64, Choice), Status>>,
    /// One preview encodes at a time: the other core stays free for scrubbing.
    encoding: Arc<Mutex<()>>,
    next: std::sync::atomic::AtomicU64,
    /// The newest workspace version asked for: a video of an older one still waiting for its
    /// turn is not made (several saves in a row queue one video, not one each).
    newest: std::sync::atomic::AtomicU64,
}

impl Playback {
    /// Preview videos go into a folder of this process under `parent` (the system's temporary
    /// folder), created empty. The folders of studios that ended (killed, say, which leaves no
    /// chance to clean up) are removed first.
    pub fn new(parent: &Path) -> std::io::Result<Playback> {
        sweep_ended(parent);
        let dir = parent.join(format!("{FOLDER_PREFIX}{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Playback {
            dir,
            jobs: Mutex::new(HashMap::new()),
            encoding: Arc::new(Mutex::new(())),
            next: Default::default(),
            newest: Default::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The preview video of `bound`: its status, starting its encoding on first ask.
    pub fn status(self: &Arc<Self>, choice: &Choice, bound: Arc<Bound>) -> Status {
        let key = (bound.version, choice.clone());
        self.newest.fetch_max(bound.version, std::sync::atomic::Ordering::SeqCst);
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = jobs.get(&key) {
            return s.clone();
        }
        // Older versions' videos are stale: forget them and free their disk.
        jobs.retain(|(v, _), s| {
            let keep = *v == bound.version;
            if let (false, Status::Ready { file, .. }) = (keep, &s) {
                let _ = std::fs::remove_file(self.dir.join(file));
            }
            keep
        });
        let Some(_) = &bound.graph else {
            let failed = Status::Failed { message: "this record does not render".into() };
            return failed;
        };
        jobs.insert(key.clone(), Status::Rendering);
        drop(jobs);
        let me = self.clone();
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::thread::Builder::new()
            .name("studio-playback".into())
            .spawn(move || {
                let status = me.encode(&bound, &format!("preview-{n}.mp4"));
                me.jobs.lock().unwrap_or_else(PoisonError::into_inner).insert(key, status);
            })
            .map_or_else(|e| Status::Failed { message: e.to_string() }, |_| Status::Rendering)
    }

    fn encode(&self, bound: &Bound, file: &str) -> Status {
        let Some(graph) = &bound.graph else { return Status::Failed { message: "nothing to play".into() } };
        let _one_at_a_time = self.encoding.lock().unwrap_or_else(PoisonError::into_inner);
        if bound.version < self.newest.load(std::sync::atomic::Ordering::SeqCst) {
            return Status::Failed { message: "a file changed since: reload for the new version".into() };
        }
        let settings =
            EncodeSettings { preset: "ultrafast".into(), crf: 30, tune: None, x264_params: None, cfr: false };
        let started = Instant::now();
        match encode::render_video(graph, &self.dir.join(file), &settings) {
            Ok(stats) => {
                let secs = started.elapsed().as_secs_f64();
                tracing::info!(file, frames = stats.frames, secs, "studio: preview video ready");
                Status::Ready { file: file.to_string(), secs }
            }
            Err(e) => Status::Failed { message: e.to_string() },
        }
    }
}

/// Removes the preview folders of studios whose process is gone.
fn sweep_ended(parent: &Path) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) =
            name.to_str().and_then(|n| n.strip_prefix(FOLDER_PREFIX)).and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill(2) with signal 0 only asks whether the process exists; nothing is sent.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            tracing::debug!(folder = %entry.path().display(), "studio: removing an ended studio's preview videos");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_studios_folders_are_swept_and_live_ones_kept() {
        let parent = std::env::temp_dir().join(format!("billreel-sweep-{}", std::process::id()));
        let dead = parent.join(format!("{FOLDER_PREFIX}{}", i32::MAX - 1));
        let live = parent.join(format!("{FOLDER_PREFIX}1"));
        let other = parent.join("something-else");
        for d in [&dead, &live, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        let playback = Playback::new(&parent).unwrap();
        assert!(!dead.exists() && live.exists() && other.exists());
        assert!(playback.dir().is_dir());
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
