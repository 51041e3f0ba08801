//! Queue: one billing run shared by any number of workers through a Redis stream.
//!
//! In: a run published by [`enqueue`] (its options, its bundle — the storyboard, its parts,
//! translations and assets as one tar — and one stream entry per record). Out: per record the
//! files [`crate::batch::record::RecordStep`] makes, published through [`crate::store::Store`]
//! under the run's folder (`RUN/NAME.mp4`, …), and the run's manifest.
//!
//! ```text
//! enqueue ──XADD──▶ billreel:run:R:records ──XREADGROUP (group billreel-workers)──▶ worker threads
//!                          ▲                         render → put_file → manifest.d/NAME.json → XACK
//!     XAUTOCLAIM after ────┘ (a dead or stalled worker's records; a live one renews its own by XCLAIM)
//! ```
//!
//! A record is acknowledged only after its files and its manifest object are published, so a
//! worker killed at any point loses nothing: its record is claimed by another worker once idle
//! for the visibility timeout, and rendered again under the same names (files are published
//! whole, so a reader sees the old bytes or the new, which are the same). A record delivered
//! more than `max_attempts` times goes to the dead-letter stream with its reason. The manifest
//! is one object per record (`RUN/manifest.d/NAME.json`, overwritten with the same line by a
//! redelivery), merged into `RUN/manifest.jsonl` (one line per record) when the run is done: it
//! needs no append, so it works the same on a local folder and an object store.

pub mod bundle;
mod conn;
pub mod enqueue;
mod lease;
pub mod manifest;
pub mod spec;
pub mod status;
pub mod worker;

use thiserror::Error;

pub use conn::Redis;
pub use spec::RunSpec;
pub use status::RunStatus;

use crate::batch::ManifestLine;

/// The consumer group every worker joins (the KEDA trigger in deploy/kubernetes names it too).
pub const GROUP: &str = "billreel-workers";

/// Sorted set of the runs, by enqueue time: what workers work through, in that order.
pub const RUNS_KEY: &str = "billreel:runs";

/// The Redis keys of one run, all under `billreel:run:NAME`.
#[derive(Debug, Clone)]
pub struct Keys {
    base: String,
}

impl Keys {
    pub fn new(run: &str) -> Keys {
        Keys { base: format!("billreel:run:{run}") }
    }
    /// Hash: `spec` (the [`RunSpec`] as JSON), `total`, `finished` (set when the manifest is merged).
    pub fn meta(&self) -> String {
        self.base.clone()
    }
    /// String: the run's bundle (a tar).
    pub fn bundle(&self) -> String {
        format!("{}:bundle", self.base)
    }
    /// Stream: one entry per record (`key`, `line`, and `record` or `error`).
    pub fn records(&self) -> String {
        format!("{}:records", self.base)
    }
    /// Stream: the records given up after too many deliveries, with the reason.
    pub fn dead_letters(&self) -> String {
        format!("{}:dead", self.base)
    }
    /// Set of record keys whose final line is ok / failed / dead-lettered.
    pub fn finished(&self, what: Outcome) -> String {
        format!("{}:{}", self.base, what.as_str())
    }
    /// Hash: record key -> the last reason a worker could not publish it (for the dead letter).
    pub fn errors(&self) -> String {
        format!("{}:errors", self.base)
    }
    /// String with an expiry: the worker merging the manifest.
    pub fn merger(&self) -> String {
        format!("{}:merger", self.base)
    }
    /// Every key of the run (for removing a half-enqueued run).
    pub fn all(&self) -> Vec<String> {
        let mut keys = vec![self.meta(), self.bundle(), self.records(), self.dead_letters(), self.errors()];
        keys.extend(Outcome::ALL.iter().map(|o| self.finished(*o)));
        keys.push(self.merger());
        keys
    }
}

/// How a record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    DeadLettered,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Failed, Outcome::DeadLettered];
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::DeadLettered => "dead-lettered",
        }
    }
}

/// Where a worker tells the rest of the program what it finished: the call points for metrics
/// and completion webhooks. Called from worker threads, after the record's line is published
/// (and before it is acknowledged) and after the run's manifest is merged.
pub trait Observer: Send + Sync {
    /// A record was taken (`started`) by this worker, or its final line published: `status`
    /// is the run's state just after, `here` the records this worker renders now.
    fn progress(&self, _status: &RunStatus, _here: u64) {}
    /// Whether [`Observer::progress`] is wanted: reading the run's state costs Redis round
    /// trips per record, not paid when nobody watches.
    fn wants_progress(&self) -> bool {
        false
    }
    fn record_finished(&self, _run: &str, _line: &ManifestLine) {}
    fn run_finished(&self, _run: &str, _status: &RunStatus) {}
}

/// An observer that does nothing.
pub struct NoObserver;
impl Observer for NoObserver {}

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("`{url}` is not a queue billreel can use: {reason}; write redis://HOST:PORT/ (e.g. redis://127.0.0.1:6379/)")]
    Url { url: String, reason: String },
    #[error("cannot reach Redis at {url}: {reason}; is redis-server running there? (check the host and port of --queue)")]
    Unreachable { url: String, reason: String },
    #[error("Redis at {url} refused {what}: {reason}")]
    Command { url: String, what: String, reason: String },
    /// Something about a run: missing, already there, its bundle or spec unreadable.
    #[error("{0}")]
    Run(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: std::path::PathBuf, source: std::io::Error },
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
