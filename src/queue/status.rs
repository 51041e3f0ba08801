//! `billreel status`: each run's progress, from Redis alone.
//!
//! `ok`, `failed` and `dead_lettered` count records whose final line is published (sets, so a
//! redelivered record is counted once); `in_flight` is the consumer group's pending entries
//! (delivered, not yet acknowledged: rendering now, or held by a worker that died and waiting
//! for the visibility timeout); `pending` is what is left: not delivered yet.

use serde::Serialize;

use super::{Keys, Outcome, QueueError, Redis, GROUP, RUNS_KEY};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStatus {
    pub run: String,
    pub total: u64,
    pub pending: u64,
    pub in_flight: u64,
    pub ok: u64,
    pub failed: u64,
    pub dead_lettered: u64,
    /// The run's manifest is merged: nothing more will happen to it.
    pub finished: bool,
}

impl RunStatus {
    /// Records with a final line.
    pub fn done(&self) -> u64 {
        self.ok + self.failed + self.dead_lettered
    }
}

/// Every run's status, in the order they were enqueued.
pub fn all(redis: &mut Redis) -> Result<Vec<RunStatus>, QueueError> {
    let runs: Vec<String> =
        redis.run("ZRANGE", |c| redis::cmd("ZRANGE").arg(RUNS_KEY).arg(0).arg(-1).query(c))?;
    runs.iter().map(|r| of(redis, r)).collect()
}

/// One run's status; an error when there is no such run.
pub fn of(redis: &mut Redis, run: &str) -> Result<RunStatus, QueueError> {
    let keys = Keys::new(run);
    let (total, finished): (Option<u64>, Option<String>) =
        redis.run("HMGET", |c| redis::cmd("HMGET").arg(keys.meta()).arg("total").arg("finished").query(c))?;
    let Some(total) = total else {
        return Err(QueueError::Run(format!("there is no run {run} in the queue at {}", redis.url())));
    };
    let mut pipe = redis::pipe();
    for o in Outcome::ALL {
        pipe.cmd("SCARD").arg(keys.finished(o));
    }
    let (ok, failed, dead_lettered): (u64, u64, u64) = redis.run("SCARD", |c| pipe.query(c))?;
    let in_flight: redis::streams::StreamPendingReply =
        redis.run("XPENDING", |c| redis::cmd("XPENDING").arg(keys.records()).arg(GROUP).query(c))?;
    let in_flight = in_flight.count() as u64;
    let pending = total.saturating_sub(ok + failed + dead_lettered + in_flight);
    Ok(RunStatus {
        run: run.to_string(),
        total,
        pending,
        in_flight,
        ok,
        failed,
        dead_lettered,
        finished: finished.is_some(),
    })
}
