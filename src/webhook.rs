//! Completion webhooks (`--webhook URL`): one signed event per finished record and one per
//! finished run, sent by a background thread so that rendering never waits for a receiver.
//!
//! In: events from the run ([`Webhooks::record_finished`], [`Webhooks::run_finished`]). Out:
//! HTTP POSTs signed as the Standard Webhooks spec says: headers `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` of
//! `id.timestamp.body`, keyed with the `whsec_` secret's bytes.
//!
//! Delivery, and what happens when the receiver is down:
//! - events go through a bounded queue to one sender thread; when the queue is full (the
//!   receiver is slow or down), the event is written to the **outbox** (a JSON Lines file, in
//!   a batch's output folder) instead of waiting: rendering is never blocked;
//! - each POST is retried on network errors, 408, 429 and 5xx with exponential backoff and
//!   jitter (`Retry-After` honoured), at most [`WebhookOptions::max_attempts`] times; then it is
//!   given up with a warning, counted in [`Delivery`], and kept in the outbox;
//! - when the run ends, the sender has [`Webhooks::finish`]'s drain time to deliver what is
//!   queued; the rest goes to the outbox. The next run on the same outbox
//!   ([`Webhooks::replay_outbox`]) sends them again, with the same `webhook-id` and body, so a
//!   receiver that already had one drops it as a duplicate.

use std::fs::{File, OpenOptions};
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The secret's prefix, as Standard Webhooks writes secrets.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Error)]
pub enum WebhookError {
    #[error(
        "the webhook secret from {origin} is not a Standard Webhooks secret: {reason}. \
         Write `whsec_` followed by the base64 of at least 24 random bytes, e.g. `whsec_$(openssl rand -base64 32)`"
    )]
    Secret { origin: String, reason: String },
    #[error("--webhook {url}: {reason}; give an http:// or https:// URL")]
    Url { url: String, reason: String },
}

/// The signing key: the bytes behind `whsec_<base64>`. Never logged.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Reads `whsec_<base64>` (surrounding white space ignored); `origin` names where it came
    /// from for the error (`BILLREEL_WEBHOOK_SECRET`, a file).
    pub fn parse(text: &str, origin: &str) -> Result<Secret, WebhookError> {
        let err = |reason: String| WebhookError::Secret { origin: origin.to_string(), reason };
        let b64 = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| err("it does not start with `whsec_`".into()))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| err(format!("its base64 is invalid ({e})")))?;
        if key.len() < 24 {
            return Err(err(format!("it holds {} bytes, fewer than 24", key.len())));
        }
        Ok(Secret(key))
    }

    /// The `webhook-signature` header's value: `v1,` and the base64 of HMAC-SHA256(key,
    /// `id.timestamp.body`).
    pub fn sign(&self, id: &str, timestamp: u64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// One event: its id (the same for every delivery of it), its type and its JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub body: String,
}

impl Event {
    /// `{"type": kind, "timestamp": RFC 3339, "data": {"run": run, ...data}}`, as the spec's
    /// payload structure suggests; the id is a hash of the run, `key` and the data (not the
    /// time), so the same outcome of the same record always has the same id.
    pub fn new(kind: &str, run: &str, key: &str, data: serde_json::Value) -> Event {
        let mut fields = serde_json::Map::new();
        fields.insert("run".into(), run.into());
        match data {
            serde_json::Value::Object(map) => fields.extend(map),
            other => {
                fields.insert("value".into(), other);
            }
        }
        let data = serde_json::Value::Object(fields);
        let mut h = Sha256::new();
        for part in [kind, run, key, &data.to_string()] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let id = format!("msg_{}", hex::encode(&h.finalize()[..16]));
        let body = serde_json::json!({ "type": kind, "timestamp": rfc3339(SystemTime::now()), "data": data });
        Event { id, kind: kind.to_string(), body: body.to_string() }
    }
}

/// `2026-11-28T01:02:03Z` (UTC, whole seconds).
fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Where to send, with what key, and how hard to try.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Every event goes to each of them.
    pub urls: Vec<String>,
    pub secret: Secret,
    /// Where undelivered events are kept (JSON Lines), to be sent again by the next run.
    pub outbox: PathBuf,
    /// POSTs of one event to one URL before it is given up.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Events waiting in memory; beyond, they go straight to the outbox.
    pub queue: usize,
    /// One POST's time limit (connect, send, answer).
    pub timeout: Duration,
}

impl WebhookOptions {
    /// The defaults: 8 attempts over about a minute (0.5 s, 1 s, 2 s, ... up to 30 s between
    /// them), 4096 events in memory, 10 s per POST.
    pub fn new(urls: Vec<String>, secret: Secret, outbox: PathBuf) -> Result<WebhookOptions, WebhookError> {
        for url in &urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(WebhookError::Url { url: url.clone(), reason: "not an http(s) URL".into() });
            }
        }
        Ok(WebhookOptions {
            urls,
            secret,
            outbox,
            max_attempts: 8,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            queue: 4096,
            timeout: Duration::from_secs(10),
        })
    }
}

/// One event on its way to one URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    #[serde(flatten)]
    event: Event,
    url: String,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What became of the events, for the run's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// POSTs answered 2xx.
    pub delivered: u64,
    /// POSTs repeated after a failed attempt.
    pub retries: u64,
    /// Events given up after their last attempt (or refused with a 4xx): in the outbox.
    pub given_up: u64,
    /// Events left in the outbox undelivered: queue full, run over, or given up.
    pub outboxed: u64,
    /// The last failure seen, for the summary.
    pub last_error: Option<String>,
}

/// The outbox file, appended to by the run's thread (queue full) and the sender (given up).
struct Outbox {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl Outbox {
    fn put(&self, job: &Job) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            match OpenOptions::new().create(true).append(true).open(&self.path) {
                Ok(f) => *file = Some(f),
                Err(e) => {
                    return tracing::error!(outbox = %self.path.display(), error = %e, id = %job.event.id, "webhooks: cannot write the outbox; this event is lost");
                }
            }
        }
        let mut line = serde_json::to_string(job).expect("a job serialises");
        line.push('\n');
        if let Some(Err(e)) = file.as_mut().map(|f| f.write_all(line.as_bytes()).and_then(|_| f.sync_data()))
        {
            tracing::error!(outbox = %self.path.display(), error = %e, id = %job.event.id, "webhooks: cannot write the outbox; this event is lost");
        }
    }
}

/// What the run's thread and the sender share.
struct Shared {
    outbox: Outbox,
    delivery: Mutex<Delivery>,
    /// Set by [`Webhooks::finish`]: after it, what is not delivered goes to the outbox.
    deadline: Mutex<Option<Instant>>,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut Delivery)) {
        f(&mut self.delivery.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn past_deadline(&self, at: Instant) -> bool {
        self.deadline.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|d| at >= d)
    }

    /// Sleeps `d`; false (at once) when the run's deadline comes before the end of it: the
    /// retry would be too late, the event goes to the outbox now.
    fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.past_deadline(until) {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        true
    }

    fn to_outbox(&self, job: &Job) {
        self.outbox.put(job);
        self.count(|d| d.outboxed += 1);
    }
}

/// The run's webhooks: events in, a sender thread out.
pub struct Webhooks {
    run: String,
    urls: Vec<String>,
    tx: Option<Sender<Job>>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Webhooks {
    /// Starts the sender thread. `run`: the run's identity, in every event and its id.
    pub fn start(opts: WebhookOptions, run: String) -> Webhooks {
        let (tx, rx) = crossbeam_channel::bounded(opts.queue.max(1));
        let shared = Arc::new(Shared {
            outbox: Outbox { path: opts.outbox.clone(), file: Mutex::new(None) },
            delivery: Mutex::default(),
            deadline: Mutex::new(None),
        });
        let urls = opts.urls.clone();
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("billreel-webhooks".into())
                .spawn(move || Courier::new(opts, shared).run(rx))
                .expect("spawn the webhook thread")
        };
        Webhooks { run, urls, tx: Some(tx), shared, thread: Some(thread) }
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    pub fn outbox(&self) -> &Path {
        &self.shared.outbox.path
    }

    /// A record finished: `key` names it within the run (its id), `data` is what the
    /// receiver is told (the manifest line's public fields).
    pub fn record_finished(&self, key: &str, data: serde_json::Value) {
        self.record_finished_in(&self.run, key, data);
    }

    /// The run finished: `data` holds its counts.
    pub fn run_finished(&self, data: serde_json::Value) {
        self.run_finished_in(&self.run, data);
    }

    /// [`Webhooks::record_finished`] of another run than the one started with (a queue
    /// worker renders the records of every queued run).
    pub fn record_finished_in(&self, run: &str, key: &str, data: serde_json::Value) {
        self.send(Event::new("record.finished", run, key, data));
    }

    /// [`Webhooks::run_finished`] of another run than the one started with.
    pub fn run_finished_in(&self, run: &str, data: serde_json::Value) {
        self.send(Event::new("run.finished", run, "", data));
    }

    fn send(&self, event: Event) {
        for url in &self.urls {
            self.queue(Job { event: event.clone(), url: url.clone(), attempts: 0, error: None });
        }
    }

    /// Queues a job without waiting: when the queue is full, it goes to the outbox.
    fn queue(&self, job: Job) {
        let Some(tx) = &self.tx else { return self.shared.to_outbox(&job) };
        match tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(mut job)) => {
                job.error.get_or_insert_with(|| "the webhook queue was full (receiver slow or down)".into());
                self.shared.to_outbox(&job);
            }
            Err(TrySendError::Disconnected(job)) => self.shared.to_outbox(&job),
        }
    }

    /// Sends again what an earlier run left in the outbox (call it once the run holds its
    /// output folder). Returns how many events were taken from it.
    pub fn replay_outbox(&self) -> std::io::Result<u64> {
        let path = &self.shared.outbox.path;
        let replaying = path.with_extension("replaying");
        // A replay killed half-way left its file: its events are still owed.
        if !replaying.exists() {
            match std::fs::rename(path, &replaying) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        let mut n = 0;
        for line in BufReader::new(File::open(&replaying)?).lines() {
            let line = line?;
            match serde_json::from_str::<Job>(&line) {
                Ok(mut job) => {
                    job.attempts = 0;
                    n += 1;
                    // To the receiver it was for; if this run no longer has it, to this run's.
                    if self.urls.contains(&job.url) {
                        self.queue(job);
                    } else {
                        for url in &self.urls {
                            self.queue(Job { url: url.clone(), ..job.clone() });
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(outbox = %path.display(), error = %e, "webhooks: an unreadable outbox line was dropped")
                }
            }
        }
        std::fs::remove_file(&replaying)?;
        if n > 0 {
            tracing::info!(events = n, outbox = %path.display(), "webhooks: sending again what an earlier run left undelivered");
        }
        Ok(n)
    }

    /// Ends the run's webhooks: waits at most `drain` for the queue to be delivered; what is
    /// left goes to the outbox. Returns what became of the events.
    pub fn finish(mut self, drain: Duration) -> Delivery {
        self.close(drain);
        self.shared.delivery.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn close(&mut self, drain: Duration) {
        *self.shared.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + drain);
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!(
                    "webhooks: the sender thread panicked; undelivered events may be missing from the outbox"
                );
            }
        }
    }
}

/// A run that ended with an error: what is queued goes to the outbox at once.
impl Drop for Webhooks {
    fn drop(&mut self) {
        self.close(Duration::ZERO);
    }
}

/// How one POST went.
enum Attempt {
    Delivered,
    /// Worth trying again (network error, 408, 429, 5xx), after `retry_after` if it said.
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The receiver refused it (another 4xx, a redirect): trying again would not help.
    Refused {
        error: String,
    },
}

/// The sender thread.
struct Courier {
    opts: WebhookOptions,
    shared: Arc<Shared>,
    agent: ureq::Agent,
}

impl Courier {
    fn new(opts: WebhookOptions, shared: Arc<Shared>) -> Courier {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("billreel/", env!("CARGO_PKG_VERSION")))
            .build();
        Courier { opts, shared, agent: ureq::Agent::new_with_config(config) }
    }

    fn run(self, rx: Receiver<Job>) {
        for job in rx {
            if self.shared.past_deadline(Instant::now()) {
                self.shared.to_outbox(&job);
            } else {
                self.deliver(job);
            }
        }
    }

    fn deliver(&self, mut job: Job) {
        loop {
            job.attempts += 1;
            let (error, retry_after) = match self.post(&job) {
                Attempt::Delivered => return self.shared.count(|d| d.delivered += 1),
                Attempt::Refused { error } => return self.give_up(job, error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            if job.attempts >= self.opts.max_attempts {
                return self.give_up(job, error);
            }
            let wait = retry_after
                .unwrap_or_else(|| backoff(&self.opts, job.attempts))
                .min(self.opts.max_backoff * 4);
            tracing::debug!(id = %job.event.id, url = %job.url, attempt = job.attempts, error = %error, wait_ms = wait.as_millis() as u64, "webhooks: retrying");
            job.error = Some(error);
            if !self.shared.sleep(wait) {
                return self.shared.to_outbox(&job);
            }
            self.shared.count(|d| d.retries += 1);
        }
    }

    fn give_up(&self, mut job: Job, error: String) {
        tracing::warn!(id = %job.event.id, r#type = %job.event.kind, url = %job.url, attempts = job.attempts, error = %error,
            outbox = %self.shared.outbox.path.display(), "webhooks: giving up on an event; it is kept in the outbox");
        self.shared.count(|d| {
            d.given_up += 1;
            d.last_error = Some(error.clone());
        });
        job.error = Some(error);
        self.shared.to_outbox(&job);
    }

    fn post(&self, job: &Job) -> Attempt {
        let ts = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let signature = self.opts.secret.sign(&job.event.id, ts, &job.event.body);
        let sent = self
            .agent
            .post(&job.url)
            .header("content-type", "application/json")
            .header("webhook-id", &job.event.id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .send(job.event.body.as_bytes());
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let error = format!("{}: {e}", job.url);
                self.shared.count(|d| d.last_error = Some(error.clone()));
                return Attempt::Retry { error, retry_after: None };
            }
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Attempt::Delivered;
        }
        let error = format!("{} answered HTTP {status}", job.url);
        self.shared.count(|d| d.last_error = Some(error.clone()));
        if status == 408 || status == 429 || status >= 500 {
            let retry_after =
                response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after);
            Attempt::Retry { error, retry_after }
        } else {
            Attempt::Refused { error }
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// The delay before attempt `attempts + 1`: the backoff doubles per attempt up to the cap, and
/// a random half of it is drawn ("equal jitter"), so senders that failed together do not retry
/// together.
fn backoff(opts: &WebhookOptions, attempts: u32) -> Duration {
    let full =
        opts.first_backoff.saturating_mul(1 << attempts.saturating_sub(1).min(20)).min(opts.max_backoff);
    // std's hasher keys are random per process and differ per call: enough for jitter.
    let random = std::collections::hash_map::RandomState::new().hash_one(attempts);
    let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
    full / 2 + full.mul_f64(fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // The vector of the spec's reference libraries (svix/standard-webhooks tests).
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "the test").unwrap();
        let sig = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_without_its_prefix_or_too_short_is_refused_with_the_fix() {
        let msg = Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "BILLREEL_WEBHOOK_SECRET")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("BILLREEL_WEBHOOK_SECRET") && msg.contains("does not start with `whsec_`"),
            "{msg}"
        );
        assert!(msg.contains("openssl rand -base64 32"), "{msg}");
        let msg = Secret::parse("whsec_c2hvcnQ=", "f").unwrap_err().to_string();
        assert!(msg.contains("5 bytes, fewer than 24"), "{msg}");
        let msg = Secret::parse("whsec_***", "f").unwrap_err().to_string();
        assert!(msg.contains("base64 is invalid"), "{msg}");
    }

    #[test]
    fn the_same_outcome_has_the_same_id_and_another_outcome_another() {
        let ok = serde_json::json!({ "id": "C1", "status": "ok" });
        let a = Event::new("record.finished", "run1", "C1", ok.clone());
        let b = Event::new("record.finished", "run1", "C1", ok.clone());
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with("msg_") && a.id.len() == 36, "{}", a.id);
        let failed = serde_json::json!({ "id": "C1", "status": "failed" });
        assert_ne!(a.id, Event::new("record.finished", "run1", "C1", failed).id);
        assert_ne!(a.id, Event::new("record.finished", "run2", "C1", ok).id);
        let body: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["type"], "record.finished");
        assert_eq!(body["data"]["run"], "run1");
        assert_eq!(body["data"]["id"], "C1");
    }

    /// A receiver on 127.0.0.1 that answers each request with the next of `statuses` (then 200),
    /// and the options to send to it with short backoffs.
    fn receiver(statuses: &'static [u16], dir: &str) -> WebhookOptions {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let mut conn = conn.unwrap();
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body (Content-Length): the whole request before answering.
                while !String::from_utf8_lossy(&req).split("\r\n\r\n").nth(1).is_some_and(|body| {
                    let head = String::from_utf8_lossy(&req).to_ascii_lowercase();
                    let len = head
                        .split("content-length: ")
                        .nth(1)
                        .and_then(|v| v.split("\r\n").next()?.parse().ok());
                    len.is_some_and(|l: usize| body.len() >= l)
                }) {
                    let k = conn.read(&mut buf).unwrap();
                    req.extend_from_slice(&buf[..k]);
                }
                let status = statuses.get(n).copied().unwrap_or(200);
                let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                conn.write_all(answer.as_bytes()).unwrap();
            }
        });
        let outbox =
            std::env::temp_dir().join(format!("billreel-webhook-{dir}-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&outbox);
        let mut opts = WebhookOptions::new(vec![url], Secret(vec![7; 32]), outbox).unwrap();
        opts.first_backoff = Duration::from_millis(10);
        opts.max_attempts = 3;
        opts
    }

    #[test]
    fn server_errors_are_retried_until_delivered() {
        let hooks = Webhooks::start(receiver(&[503, 502], "retried"), "run1".into());
        hooks.record_finished("C1", serde_json::json!({ "id": "C1" }));
        let outbox = hooks.outbox().to_path_buf();
        let d = hooks.finish(Duration::from_secs(10));
        assert_eq!((d.delivered, d.retries, d.given_up, d.outboxed), (1, 2, 0, 0), "{d:?}");
        assert!(!outbox.exists());
    }

    #[test]
    fn a_refused_event_is_given_up_at_once_and_kept_in_the_outbox() {
        let hooks = Webhooks::start(receiver(&[400], "refused"), "run1".into());
        hooks.record_finished("C1", serde_json::json!({ "id": "C1" }));
        let outbox = hooks.outbox().to_path_buf();
        let d = hooks.finish(Duration::from_secs(10));
        assert_eq!((d.delivered, d.retries, d.given_up, d.outboxed), (0, 0, 1, 1), "{d:?}");
        assert!(d.last_error.as_deref().is_some_and(|e| e.ends_with("/hook answered HTTP 400")), "{d:?}");
        let kept: Job = serde_json::from_str(std::fs::read_to_string(&outbox).unwrap().trim()).unwrap();
        assert_eq!((kept.attempts, kept.event.kind.as_str()), (1, "record.finished"));
        std::fs::remove_file(outbox).unwrap();
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1614265330)), "2021-02-25T15:02:10Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() {
        let opts = WebhookOptions::new(vec![], Secret(vec![0; 32]), PathBuf::new()).unwrap();
        for (attempt, full) in [(1, 500), (2, 1000), (3, 2000), (7, 30_000), (30, 30_000)] {
            let d = backoff(&opts, attempt).as_millis() as u64;
            assert!(
                (full / 2..=full).contains(&d),
                "attempt {attempt}: {d} ms, not within {}..={full}",
                full / 2
            );
        }
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(retry_after("soon"), None);
    }
}
