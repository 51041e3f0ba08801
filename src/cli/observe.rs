//! What a run tells the outside while it goes: Prometheus metrics (`--metrics-addr`) and
//! completion webhooks (`--webhook`). The options are shared by `batch` (and the queue's
//! `worker`): flatten [`ObserveArgs`] into a command's arguments, [`ObserveArgs::start`] before
//! the work, feed [`Observers`] as records finish, [`Observers::finish`] at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::metrics::{self, Metrics, MetricsServer};
use crate::webhook::{Delivery, Secret, WebhookOptions, Webhooks};

#[derive(Debug, Args, Clone)]
pub struct ObserveArgs {
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (port 0: any free
    /// port). docs/operations.md lists them.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Seconds to go on serving the final figures after the run, so that a last scrape sees
    /// them (a run can end between two scrapes); 15 is Prometheus' default scrape interval.
    #[arg(long, value_name = "SECS", default_value_t = 15.0)]
    pub metrics_hold: f64,
    /// POST a signed event (Standard Webhooks) per finished record and one per run to this URL;
    /// repeat it for more receivers. The secret: BILLREEL_WEBHOOK_SECRET or --webhook-secret-file.
    #[arg(long = "webhook", value_name = "URL")]
    pub webhooks: Vec<String>,
    /// File holding the webhook signing secret, `whsec_` + base64 (or set BILLREEL_WEBHOOK_SECRET).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Seconds the run waits at its end for its webhook events to be delivered; what is not
    /// delivered by then is kept in the outbox file and sent again by the next run.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub webhook_drain: f64,
    /// The run's name in webhook events and their ids (default: derived from the output
    /// folder's path and the shard, so a rerun on the same folder is the same run).
    #[arg(long, value_name = "NAME")]
    pub run_id: Option<String>,
}

/// The metrics and webhooks of one run, started.
pub struct Observers {
    pub metrics: Option<Arc<Metrics>>,
    server: Option<MetricsServer>,
    pub webhooks: Option<Webhooks>,
    hold: Duration,
    drain: Duration,
}

/// Seconds from the command line: finite and not negative.
fn seconds(value: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow!("{flag} {value}: give a number of seconds, 0 or more"))
}

/// A run's default name: a hash of the output folder's absolute path and the manifest's name
/// (one per shard), so each shard of each folder is a run, and a rerun resumes the same one.
pub fn default_run_id(out: &Path, manifest_name: &str) -> String {
    let abs = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let mut h = Sha256::new();
    h.update(abs.as_os_str().as_encoded_bytes());
    h.update([0]);
    h.update(manifest_name.as_bytes());
    format!("run_{}", hex::encode(&h.finalize()[..8]))
}

impl ObserveArgs {
    /// Starts the metrics server and the webhook sender asked for. `run`: the run's name (when
    /// `--run-id` is not given); `outbox`: where undelivered events are kept.
    pub fn start(&self, run: String, outbox: PathBuf) -> Result<Observers> {
        let hold = seconds(self.metrics_hold, "--metrics-hold")?;
        let drain = seconds(self.webhook_drain, "--webhook-drain")?;
        let (metrics, server) = match self.metrics_addr {
            Some(addr) => {
                let m = Arc::new(Metrics::new());
                let server = metrics::serve(m.clone(), addr)?;
                println!("metrics: http://{}/metrics", server.addr());
                (Some(m), Some(server))
            }
            None => (None, None),
        };
        let webhooks = if self.webhooks.is_empty() {
            None
        } else {
            let secret = self.secret()?;
            let opts = WebhookOptions::new(self.webhooks.clone(), secret, outbox)?;
            Some(Webhooks::start(opts, self.run_id.clone().unwrap_or(run)))
        };
        Ok(Observers { metrics, server, webhooks, hold, drain })
    }

    fn secret(&self) -> Result<Secret> {
        Ok(match (&self.webhook_secret_file, std::env::var("BILLREEL_WEBHOOK_SECRET")) {
            (Some(file), _) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read --webhook-secret-file {}", file.display()))?;
                Secret::parse(&text, &file.display().to_string())?
            }
            (None, Ok(text)) => Secret::parse(&text, "BILLREEL_WEBHOOK_SECRET")?,
            (None, Err(_)) => bail!(
                "--webhook needs a signing secret, so that receivers can tell billreel's events from forged ones: \
                 set BILLREEL_WEBHOOK_SECRET (e.g. `export BILLREEL_WEBHOOK_SECRET=whsec_$(openssl rand -base64 32)`) \
                 or pass --webhook-secret-file FILE, and give the receiver the same secret"
            ),
        })
    }
}

impl Observers {
    /// The work has started and holds its output: events an earlier run could not deliver
    /// are sent again.
    pub fn started(&self) {
        if let Some(w) = &self.webhooks {
            if let Err(e) = w.replay_outbox() {
                tracing::error!(outbox = %w.outbox().display(), error = %e, "webhooks: cannot read the outbox");
            }
        }
    }

    /// A record finished (not one skipped as already done: its event was sent by the run that
    /// made it).
    pub fn record_finished(&self, line: &crate::batch::ManifestLine) {
        if let Some(w) = &self.webhooks {
            w.record_finished(&line.key(), line.public_fields());
        }
    }

    /// The run ended: the `run.finished` event (`data`: its counts; None: no event, as for a
    /// queue worker, whose runs send their own), the webhooks drained, the metrics' last
    /// figures held. Returns the summary's lines.
    pub fn finish(mut self, data: Option<serde_json::Value>, videos_per_minute: f64) -> Vec<String> {
        let started = Instant::now();
        if let Some(m) = &self.metrics {
            m.run_finished(videos_per_minute);
        }
        let mut lines = Vec::new();
        if let Some(w) = self.webhooks.take() {
            if let Some(data) = data {
                w.run_finished(data);
            }
            let outbox = w.outbox().to_path_buf();
            lines.push(delivery_line(&w.finish(self.drain), &outbox));
        }
        if let Some(server) = self.server.take() {
            server.hold(self.hold.saturating_sub(started.elapsed()));
        }
        lines
    }
}

/// `webhooks: 41 delivered (3 retries), 0 given up` and, when some were not delivered, where
/// they are and what happens to them.
fn delivery_line(d: &Delivery, outbox: &Path) -> String {
    let mut line =
        format!("webhooks: {} delivered ({} retries), {} given up", d.delivered, d.retries, d.given_up);
    if d.outboxed > 0 {
        line += &format!(
            "; {} not delivered (last error: {}), kept in {}: the next run on this folder sends them again",
            d.outboxed,
            d.last_error.as_deref().unwrap_or("none"),
            outbox.display()
        );
    }
    line
}
