//! The records a worker holds, and the heartbeat that keeps them its own.
//!
//! Another worker takes a record once it has been idle in the group for the visibility timeout
//! (XAUTOCLAIM). A long render must not look idle, so a heartbeat thread re-claims, every third
//! of the timeout, the records this worker's threads are rendering — XCLAIM with a minimum idle
//! time of 0 and JUSTID resets their idle time without counting a delivery. It renews only
//! those the group still gives to this consumer, so a worker that was stopped (SIGSTOP) and
//! resumes never takes back a record another worker has since claimed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{QueueError, Redis, GROUP};

/// Stream key -> ids of the messages being worked on in this process.
#[derive(Default)]
pub struct InFlight {
    held: Mutex<HashMap<String, HashSet<String>>>,
}

/// One held message; let go when dropped (acknowledged, or left for another worker).
pub struct Held<'a> {
    inflight: &'a InFlight,
    stream: String,
    id: String,
}

impl InFlight {
    pub fn hold(&self, stream: &str, id: &str) -> Held<'_> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.entry(stream.to_string()).or_default().insert(id.to_string());
        Held { inflight: self, stream: stream.to_string(), id: id.to_string() }
    }

    fn snapshot(&self) -> Vec<(String, Vec<String>)> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(s, ids)| (s.clone(), ids.iter().cloned().collect()))
            .collect()
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut held = self.inflight.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ids) = held.get_mut(&self.stream) {
            ids.remove(&self.id);
        }
    }
}

/// Resets the idle time of the held messages this consumer still owns.
pub fn renew(redis: &mut Redis, consumer: &str, inflight: &InFlight) -> Result<usize, QueueError> {
    let mut renewed = 0;
    for (stream, ids) in inflight.snapshot() {
        let mine: redis::streams::StreamPendingCountReply = redis.run("XPENDING", |c| {
            redis::cmd("XPENDING").arg(&stream).arg(GROUP).arg("-").arg("+").arg(1000).arg(consumer).query(c)
        })?;
        let owned: HashSet<&str> = mine.ids.iter().map(|p| p.id.as_str()).collect();
        let ids: Vec<&String> = ids.iter().filter(|id| owned.contains(id.as_str())).collect();
        if ids.is_empty() {
            continue;
        }
        redis.run("XCLAIM", |c| {
            redis::cmd("XCLAIM")
                .arg(&stream)
                .arg(GROUP)
                .arg(consumer)
                .arg(0)
                .arg(&ids)
                .arg("JUSTID")
                .query::<redis::Value>(c)
        })?;
        renewed += ids.len();
    }
    Ok(renewed)
}

/// The heartbeat thread's loop: renews every `every` until `stop`.
pub fn heartbeat(mut redis: Redis, consumer: &str, inflight: &InFlight, every: Duration, stop: &AtomicBool) {
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(every));
        if last.elapsed() < every {
            continue;
        }
        last = Instant::now();
        if let Err(e) = renew(&mut redis, consumer, inflight) {
            tracing::warn!(error = %e, "could not renew the records this worker holds; another worker may take them after the visibility timeout");
        }
    }
}
