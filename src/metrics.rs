//! Prometheus metrics of a run (`--metrics-addr`): what operators graph and alert on.
//!
//! In: what the run reports as it goes (a record finished, with its status and where its time
//! went; the segment cache's counts; records waiting and in flight). Out: the OpenMetrics text
//! at `GET /metrics`, served by axum on a thread of its own (a one-thread tokio runtime), so
//! a scrape never takes a core from rendering and rendering never waits for a scrape.
//!
//! The families (see docs/operations.md, "Metrics"):
//!
//! | name | type | labels |
//! | --- | --- | --- |
//! | `billreel_records_total` | counter | `status`: `ok`, `failed`, `skipped` |
//! | `billreel_render_seconds` | histogram | `stage`: the stages of [`Timings`] |
//! | `billreel_record_seconds` | histogram | (none): one record's wall time |
//! | `billreel_videos_per_minute` | gauge | (none) |
//! | `billreel_segment_cache_hits_total`, `..._misses_total` | counter | (none) |
//! | `billreel_queue_lag` | gauge | (none): records waiting to start |
//! | `billreel_in_flight` | gauge | (none): records being rendered |
//!
//! A run that ends between two scrapes would take its last figures with it: [`MetricsServer::hold`]
//! keeps serving them for a while after the run (`--metrics-hold`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use thiserror::Error;

use crate::timings::{Stage, Timings, STAGES};

/// The OpenMetrics text format, which Prometheus asks for first.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a record ended, as the `status` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Ok,
    Failed,
    /// Already done by an earlier run: nothing rendered.
    Skipped,
}

impl RecordStatus {
    pub fn label(self) -> &'static str {
        match self {
            RecordStatus::Ok => "ok",
            RecordStatus::Failed => "failed",
            RecordStatus::Skipped => "skipped",
        }
    }
}

/// A stage's `stage` label: one word, as PromQL users type it.
pub fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Bind => "bind",
        Stage::Raster => "raster",
        Stage::Convert => "convert",
        Stage::Encode => "encode",
        Stage::Audio => "audio",
        Stage::Mux => "mux",
        Stage::Files => "files",
    }
}

type Label = [(&'static str, &'static str); 1];

/// The metrics of one process: a batch run, or a queue worker over its life.
pub struct Metrics {
    registry: Registry,
    records: Family<Label, Counter>,
    render_seconds: Family<Label, Histogram, fn() -> Histogram>,
    record_seconds: Histogram,
    videos_per_minute: Gauge<f64, AtomicU64>,
    cache_hits: Counter,
    cache_misses: Counter,
    queue_lag: Gauge,
    in_flight: Gauge,
    started: Instant,
    /// The segment cache's totals last seen, so the counters advance by the difference.
    cache_seen: Mutex<(u64, u64)>,
    /// The run has ended: `videos_per_minute` holds its final figure.
    finished: AtomicBool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Metrics").field("started", &self.started).finish_non_exhaustive()
    }
}

/// Buckets from 5 ms to about 80 s: a stage of one short video takes milliseconds (bind) to
/// seconds (encode); a slow record tens of seconds.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let records = Family::<Label, Counter>::default();
        let render_seconds = Family::<Label, Histogram, fn() -> Histogram>::new_with_constructor(
            seconds_histogram as fn() -> Histogram,
        );
        let record_seconds = seconds_histogram();
        let videos_per_minute = Gauge::<f64, AtomicU64>::default();
        let (cache_hits, cache_misses) = (Counter::default(), Counter::default());
        let (queue_lag, in_flight) = (Gauge::default(), Gauge::default());
        // prometheus-client appends `_total` to counters and the unit to the others.
        registry.register("billreel_records", "Records finished, by status", records.clone());
        registry.register(
            "billreel_render_seconds",
            "Seconds one record spent in each stage of rendering (all its formats)",
            render_seconds.clone(),
        );
        registry.register(
            "billreel_record_seconds",
            "Wall time of one rendered record, from its start to its manifest line",
            record_seconds.clone(),
        );
        registry.register(
            "billreel_videos_per_minute",
            "Records rendered ok per minute of wall time since the run started",
            videos_per_minute.clone(),
        );
        registry.register(
            "billreel_segment_cache_hits",
            "Coded segments taken from the shared segment cache",
            cache_hits.clone(),
        );
        registry.register(
            "billreel_segment_cache_misses",
            "Segment cache look-ups that found nothing (the segment was encoded)",
            cache_misses.clone(),
        );
        registry.register("billreel_queue_lag", "Records waiting to be started", queue_lag.clone());
        registry.register("billreel_in_flight", "Records being rendered now", in_flight.clone());
        Metrics {
            registry,
            records,
            render_seconds,
            record_seconds,
            videos_per_minute,
            cache_hits,
            cache_misses,
            queue_lag,
            in_flight,
            started: Instant::now(),
            cache_seen: Mutex::new((0, 0)),
            finished: AtomicBool::new(false),
        }
    }

    /// One record finished. `timings`: where its time went, when it was rendered (summed over
    /// its formats); `wall`: its whole time (the manifest line's `render_ms`).
    pub fn record_finished(&self, status: RecordStatus, timings: Option<&Timings>, wall: Duration) {
        self.records.get_or_create(&[("status", status.label())]).inc();
        if let Some(t) = timings {
            for stage in STAGES {
                self.render_seconds
                    .get_or_create(&[("stage", stage_label(stage))])
                    .observe(t.get(stage).as_secs_f64());
            }
        }
        if status != RecordStatus::Skipped {
            self.record_seconds.observe(wall.as_secs_f64());
        }
        self.refresh_rate();
    }

    /// The segment cache's running totals (`encode::CacheStats`' `hits` and `misses`); the
    /// counters move by what changed since the last call, so a caller can pass totals.
    pub fn set_segment_cache(&self, hits: u64, misses: u64) {
        let mut seen = self.cache_seen.lock().unwrap_or_else(|e| e.into_inner());
        self.cache_hits.inc_by(hits.saturating_sub(seen.0));
        self.cache_misses.inc_by(misses.saturating_sub(seen.1));
        *seen = (seen.0.max(hits), seen.1.max(misses));
    }

    /// Records waiting to be started (a batch: not yet handed to a worker; a queue: waiting
    /// in the stream).
    pub fn set_queue_lag(&self, n: u64) {
        self.queue_lag.set(n as i64);
    }

    pub fn set_in_flight(&self, n: u64) {
        self.in_flight.set(n as i64);
    }

    /// A worker took a record (+1) or finished one (-1).
    pub fn add_in_flight(&self, delta: i64) {
        self.in_flight.inc_by(delta);
    }

    pub fn in_flight(&self) -> u64 {
        self.in_flight.get().max(0) as u64
    }

    /// The run has ended: the rate stays at the run's own figure (ok records over its wall
    /// time) while the final figures are held, instead of decaying as the clock runs on.
    pub fn run_finished(&self, videos_per_minute: f64) {
        self.finished.store(true, Ordering::Relaxed);
        self.videos_per_minute.set(videos_per_minute);
        self.in_flight.set(0);
        self.queue_lag.set(0);
    }

    /// How many records have finished with `status` so far.
    pub fn records(&self, status: RecordStatus) -> u64 {
        self.records.get_or_create(&[("status", status.label())]).get()
    }

    fn refresh_rate(&self) {
        if self.finished.load(Ordering::Relaxed) {
            return;
        }
        let minutes = self.started.elapsed().as_secs_f64().max(1e-3) / 60.0;
        self.videos_per_minute.set(self.records(RecordStatus::Ok) as f64 / minutes);
    }

    /// The metrics as OpenMetrics text (what `GET /metrics` answers).
    pub fn encode(&self) -> String {
        self.refresh_rate();
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String does not fail");
        text
    }
}

#[derive(Debug, Error)]
pub enum MetricsError {
    #[error(
        "cannot serve metrics on {addr}: {source}; pick another --metrics-addr (e.g. 127.0.0.1:9464, or port 0 for any free port)"
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// `GET /metrics` on a thread of its own, until [`MetricsServer::stop`] (or drop).
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts serving `metrics` at `http://ADDR/metrics`. The address is bound before this returns,
/// so a port in use is an error here, not a log line later.
pub fn serve(metrics: Arc<Metrics>, addr: SocketAddr) -> Result<MetricsServer, MetricsError> {
    let bind_err = |source| MetricsError::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let bound = listener.local_addr().map_err(bind_err)?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().map_err(bind_err)?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("billreel-metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!(error = %e, "metrics: cannot listen"),
                };
                let app = axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || {
                        let metrics = metrics.clone();
                        async move { ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()) }
                    }),
                );
                let served = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                });
                if let Err(e) = served.await {
                    tracing::error!(error = %e, "metrics: the server stopped");
                }
            })
        })
        .expect("spawn the metrics thread");
    tracing::info!(addr = %bound, "metrics: serving http://{bound}/metrics");
    Ok(MetricsServer { addr: bound, stop: Some(stop_tx), thread: Some(thread) })
}

impl MetricsServer {
    /// The address served (the port chosen when the one asked for was 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Keeps serving for `d` (the run's final figures, for a last scrape), then stops.
    pub fn hold(self, d: Duration) {
        if !d.is_zero() {
            tracing::info!(addr = %self.addr, seconds = d.as_secs_f64(), "metrics: holding the final figures");
            std::thread::sleep(d);
        }
        self.stop();
    }

    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("metrics: the server thread panicked");
            }
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stages_and_cache_totals_reach_the_text() {
        let m = Metrics::new();
        let mut t = Timings::default();
        t.add(Stage::Encode, Duration::from_millis(300));
        t.add(Stage::Bind, Duration::from_millis(20));
        m.record_finished(RecordStatus::Ok, Some(&t), Duration::from_millis(400));
        m.record_finished(RecordStatus::Failed, None, Duration::from_millis(5));
        m.record_finished(RecordStatus::Skipped, None, Duration::ZERO);
        m.set_segment_cache(3, 2);
        m.set_segment_cache(5, 2);
        m.add_in_flight(2);
        m.add_in_flight(-1);
        m.set_queue_lag(7);
        let text = m.encode();
        for line in [
            "billreel_records_total{status=\"ok\"} 1",
            "billreel_records_total{status=\"failed\"} 1",
            "billreel_records_total{status=\"skipped\"} 1",
            "billreel_render_seconds_count{stage=\"encode\"} 1",
            "billreel_render_seconds_sum{stage=\"encode\"} 0.3",
            "billreel_render_seconds_bucket{le=\"0.32\",stage=\"encode\"} 1",
            "billreel_render_seconds_bucket{le=\"0.16\",stage=\"encode\"} 0",
            "billreel_record_seconds_count 2",
            "billreel_segment_cache_hits_total 5",
            "billreel_segment_cache_misses_total 2",
            "billreel_in_flight 1",
            "billreel_queue_lag 7",
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
        m.run_finished(12.5);
        let text = m.encode();
        assert!(text.contains("billreel_videos_per_minute 12.5"), "{text}");
        assert!(text.contains("billreel_in_flight 0"), "{text}");
    }

    #[test]
    fn a_port_in_use_is_an_error_that_says_what_to_do() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = serve(Arc::new(Metrics::new()), addr).err().expect("the port is taken");
        let msg = err.to_string();
        assert!(msg.contains(&addr.to_string()) && msg.contains("--metrics-addr"), "{msg}");
    }
}
