//! Real-time playback: the chosen record's video encoded in the background at preview quality
//! (x264 `ultrafast`, CRF 30, through the same encode path as `render`), played by the page in a
//! `<video>`. Measured on the demo (C0002, 35 s, debug build beside a test build): a preview
//! MP4 is ready in a few seconds, where drawing and sending JPEG frames kept up with about 10 of
//! the video's 30 frames a second; so scrubbing draws frames and playing plays a video.
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

pub struct Playback {
    dir: PathBuf,
    jobs: Mutex<HashMap<(u64, Choice), Status>>,
    /// One preview encodes at a time: the other core stays free for scrubbing.
    encoding: Arc<Mutex<()>>,
    next: std::sync::atomic::AtomicU64,
}

impl Playback {
    /// Preview videos go into `dir` (created, and emptied of earlier runs' videos).
    pub fn new(dir: PathBuf) -> std::io::Result<Playback> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Playback {
            dir,
            jobs: Mutex::new(HashMap::new()),
            encoding: Arc::new(Mutex::new(())),
            next: Default::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The preview video of `bound`: its status, starting its encoding on first ask.
    pub fn status(self: &Arc<Self>, choice: &Choice, bound: Arc<Bound>) -> Status {
        let key = (bound.version, choice.clone());
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
