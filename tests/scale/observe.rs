//! Metrics and webhooks of a batch, checked from outside: a real Prometheus scrapes the running
//! batch and its query API is asked for the counters; a local receiver checks every webhook's
//! signature with the Standard Webhooks project's own verifier, fails some first attempts, and
//! after removing duplicates by `webhook-id` must have seen each record once and the run once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{fresh_dir, in_ci, repo, text, HEADER};

/// A `whsec_` secret (base64 of 32 bytes) that the receiver shares with the batch.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `n` sample customers and one record that cannot be bound (no fields): it fails.
fn run_file(dir: &Path, n: u64) -> PathBuf {
    let mut buf = Vec::new();
    billreel::sample::write_run(&mut buf, n, 7).unwrap();
    buf.extend_from_slice(b"{\"id\":\"BAD1\"}\n");
    let path = dir.join("run.jsonl");
    std::fs::write(&path, buf).unwrap();
    path
}

/// `billreel batch tests/batch/tiny.yaml` with demo links, 2 workers and `extra`.
fn batch(data: &Path, out: &Path, extra: &[&str]) -> Output {
    batch_of(&repo().join("tests/batch/tiny.yaml"), data, out, extra)
}

/// Two scenes: an intro the same for every customer (coded once, then taken from the segment
/// cache) and the customer's total.
const INTRO_AND_TOTAL: &str = r##"scenes:
  - id: intro
    duration: 1s
    layers:
      - { type: rect, x: 0, y: 0, width: 320, height: 180, fill: "#123a63" }
      - { type: text, text: "Your bill", size: 30, x: 20, y: 60, width: 280 }
  - id: total
    duration: 1s
    layers:
      - { type: text, text: "{{ customer.first_name }}: {{ bill.total | currency(bill.currency) }}", size: 20, x: 10, y: 10, width: 300 }
"##;

fn batch_of(storyboard: &Path, data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billreel"));
    cmd.arg("batch").arg(storyboard).arg("--data").arg(data).arg("--out").arg(out);
    cmd.args(["--jobs", "2", "--guessable-links"]).args(extra);
    cmd.env_remove("JOB_COMPLETION_INDEX")
        .env_remove("JOB_COMPLETIONS")
        .env("BILLREEL_WEBHOOK_SECRET", SECRET);
    cmd.output().unwrap()
}

/// A child process killed when the test ends, passing or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's `prometheus`; None (skip) where it is missing, except under CI.
fn prometheus_or_skip() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !in_ci(),
            "CI is set, and there is no `prometheus` on PATH: under CI the metrics test must run, not skip. \
             scripts/install-deps.sh installs Debian's `prometheus` (`make test` runs it first)"
        );
        eprintln!("SKIPPED: no prometheus here (scripts/install-deps.sh installs Debian's `prometheus`)");
    }
    found
}

/// Prometheus on 127.0.0.1, scraping `target` every second, ready to answer queries.
fn start_prometheus(bin: &Path, dir: &Path, target: SocketAddr) -> (Killed, String) {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{ scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }}\n\
             scrape_configs:\n  - job_name: billreel\n    static_configs: [{{ targets: ['{target}'] }}]\n"
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address={listen}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let child = Killed(child);
    let base = format!("http://{listen}");
    let started = Instant::now();
    while ureq::get(&format!("{base}/-/ready")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "prometheus not ready after 30 s:\n{}",
            std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Prometheus takes its targets up to 5 s after it starts (its discovery reload interval):
    // wait for the first scrape attempt (failing: nothing listens yet), so none is missed.
    while !get(&format!("{base}/api/v1/targets")).contains("\"health\":\"down\"") {
        assert!(started.elapsed() < Duration::from_secs(30), "prometheus did not scrape its target in 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, base)
}

fn get(url: &str) -> String {
    ureq::get(url).call().unwrap().body_mut().read_to_string().unwrap()
}

/// The value of an instant query that returns one series (None: no series).
fn query(base: &str, promql: &str) -> Option<f64> {
    let body = ureq::get(&format!("{base}/api/v1/query"))
        .query("query", promql)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "success", "{promql}: {body}");
    let result = v["data"]["result"].as_array().unwrap();
    assert!(result.len() <= 1, "{promql}: more than one series: {body}");
    result.first().map(|r| r["value"][1].as_str().unwrap().parse().unwrap())
}

#[test]
fn prometheus_scrapes_a_running_batch_and_its_api_returns_the_counters() {
    let Some(bin) = prometheus_or_skip() else { return };
    let dir = fresh_dir("scale", "observe-prometheus");
    let data = run_file(&dir, 4);
    let target: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let (_prometheus, base) = start_prometheus(&bin, &dir, target);

    let addr = target.to_string();
    let storyboard = dir.join("intro.yaml");
    std::fs::write(&storyboard, format!("{HEADER}{INTRO_AND_TOTAL}")).unwrap();
    let extra = ["--metrics-addr", &addr, "--metrics-hold", "3", "--timings"];
    let out = batch_of(&storyboard, &data, &dir.join("out"), &extra);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(3), "one record fails on purpose:\n{log}");
    assert!(log.contains(&format!("metrics: http://{addr}/metrics")), "{log}");

    // The batch has exited and its target is down: Prometheus marked the series stale, so ask
    // for the last value scraped rather than the value now.
    let last = |m: &str| query(&base, &format!("last_over_time({m}[5m])"));
    let ok = last("billreel_records_total{status=\"ok\"}");
    assert_eq!(
        ok,
        Some(4.0),
        "prometheus log:\n{}",
        std::fs::read_to_string(dir.join("prometheus.log")).unwrap()
    );
    assert_eq!(last("billreel_records_total{status=\"failed\"}"), Some(1.0));
    for stage in ["bind", "raster", "encode", "files"] {
        assert_eq!(
            last(&format!("billreel_render_seconds_count{{stage=\"{stage}\"}}")),
            Some(4.0),
            "{stage}"
        );
    }
    let encode = last("billreel_render_seconds_sum{stage=\"encode\"}").unwrap();
    assert!(encode > 0.0 && encode < 120.0, "encode seconds {encode}");
    // Every record rendered or failed has a wall time: 4 ok + 1 failed.
    assert_eq!(last("billreel_record_seconds_count"), Some(5.0));
    let rate = last("billreel_videos_per_minute").unwrap();
    assert!(rate > 0.0, "videos per minute {rate}");
    // The cache's counts are the ones the batch prints (`--timings`), and the intro was reused.
    let hits = last("billreel_segment_cache_hits_total").unwrap();
    let misses = last("billreel_segment_cache_misses_total").unwrap();
    assert!(
        log.contains(&format!("segment cache: {hits} hits, {misses} misses")),
        "{hits} hits, {misses} misses:\n{log}"
    );
    assert!(hits >= 1.0, "{log}");
    assert_eq!(last("billreel_in_flight"), Some(0.0));
    assert_eq!(last("billreel_queue_lag"), Some(0.0));
    // Prometheus saw the target up while it ran.
    assert_eq!(query(&base, "max_over_time(up{job=\"billreel\"}[5m])"), Some(1.0));
}

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    body: serde_json::Value,
    /// What the receiver answered.
    status: u16,
}

/// A webhook receiver on 127.0.0.1: checks each signature with the `standardwebhooks` crate
/// (401 when it does not verify), and answers the first attempt of two events in three 500 or
/// 429 (with `Retry-After: 1`), after recording it, as a receiver whose answer was lost would.
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    rejected: Arc<Mutex<u32>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(listener: TcpListener) -> Receiver {
        use axum::http::{HeaderMap, StatusCode};
        let verifier = Arc::new(standardwebhooks::Webhook::new(SECRET).unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let rejected: Arc<Mutex<u32>> = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let (s, r) = (seen.clone(), rejected.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
                    let (seen, rejected, verifier) = (s.clone(), r.clone(), verifier.clone());
                    async move {
                        if verifier.verify(&body, &headers).is_err() {
                            *rejected.lock().unwrap() += 1;
                            return (StatusCode::UNAUTHORIZED, HeaderMap::new());
                        }
                        let id = headers["webhook-id"].to_str().unwrap().to_string();
                        let mut seen = seen.lock().unwrap();
                        let earlier = seen.iter().filter(|x| x.id == id).count();
                        // The n-th new event: 500, 429, 200, 500, ... on its first attempt.
                        let new = seen.iter().map(|x| &x.id).collect::<BTreeSet<_>>().len();
                        let mut answer = HeaderMap::new();
                        let status = match (earlier, new % 3) {
                            (0, 0) => StatusCode::INTERNAL_SERVER_ERROR,
                            (0, 1) => {
                                answer.insert("retry-after", "1".parse().unwrap());
                                StatusCode::TOO_MANY_REQUESTS
                            }
                            _ => StatusCode::OK,
                        };
                        let body = serde_json::from_slice(&body).unwrap();
                        seen.push(Seen { id, body, status: status.as_u16() });
                        (status, answer)
                    }
                };
                let app = axum::Router::new().route("/hook", axum::routing::post(handler));
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            })
        });
        Receiver { port, seen, rejected, stop: Some(stop), thread: Some(thread) }
    }

    /// Every event once, by `webhook-id`: (type, data) in the order first seen.
    fn unique(&self) -> Vec<(String, serde_json::Value)> {
        let mut ids = BTreeSet::new();
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| ids.insert(s.id.clone()))
            .map(|s| (s.body["type"].as_str().unwrap().to_string(), s.body["data"].clone()))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.thread.take().unwrap().join();
    }
}

/// Record ids of the `record.finished` events, with how many times each came.
fn records(events: &[(String, serde_json::Value)]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for (_, data) in events.iter().filter(|(t, _)| t == "record.finished") {
        *ids.entry(data["id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    ids
}

fn expected_ids() -> BTreeMap<String, usize> {
    let mut ids: BTreeMap<String, usize> = (1..=5).map(|i| (format!("C{i:04}"), 1)).collect();
    ids.insert("BAD1".into(), 1);
    ids
}

#[test]
fn webhooks_are_signed_retried_and_seen_once_per_record_after_deduplication() {
    let dir = fresh_dir("scale", "observe-webhooks");
    let data = run_file(&dir, 5);
    let receiver = Receiver::start(TcpListener::bind("127.0.0.1:0").unwrap());
    let url = format!("http://127.0.0.1:{}/hook", receiver.port);

    // The receiver refuses a forged event: the check below is not vacuous.
    let forged = ureq::post(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("webhook-id", "msg_forged")
        .header("webhook-timestamp", unix_now().to_string())
        .header("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        .send("{\"type\":\"record.finished\"}")
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    let out = batch(&data, &dir.join("out"), &["--webhook", &url]);
    let log = text(&out);
    assert_eq!(out.status.code(), Some(3), "one record fails on purpose:\n{log}");
    assert_eq!(*receiver.rejected.lock().unwrap(), 1, "every event of the batch verifies:\n{log}");
    let seen = receiver.seen.lock().unwrap().clone();
    let unique = receiver.unique();
    assert!(seen.len() > unique.len(), "some events came twice (500 or 429 to the first attempt): {seen:?}");
    assert!(seen.iter().any(|s| s.status == 429) && seen.iter().any(|s| s.status == 500), "{seen:?}");
    assert_eq!(records(&unique), expected_ids(), "each record exactly once after deduplication");
    let runs: Vec<&serde_json::Value> =
        unique.iter().filter(|(t, _)| t == "run.finished").map(|(_, d)| d).collect();
    assert_eq!(runs.len(), 1, "{unique:?}");
    assert_eq!(
        (runs[0]["ok"].as_u64(), runs[0]["failed"].as_u64(), runs[0]["total"].as_u64()),
        (Some(5), Some(1), Some(6))
    );
    // The events carry the manifest's public fields: a failure says why, an ok has its video.
    let (_, bad) = unique.iter().find(|(_, d)| d["id"] == "BAD1").unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(bad["error"].as_str().unwrap().contains("BAD1"), "{bad}");
    let (_, good) = unique.iter().find(|(_, d)| d["id"] == "C0001").unwrap();
    assert_eq!((good["status"].as_str(), good["video"].as_str()), (Some("ok"), Some("C0001.mp4")));
    assert!(good.get("input_hash").is_none() && good.get("render_ms").is_none(), "{good}");
    let run = &runs[0]["run"];
    assert!(unique.iter().all(|(_, d)| &d["run"] == run), "one run id in every event");
    let retries = seen.len() - unique.len();
    assert!(
        log.contains(&format!(
            "webhooks: {} delivered ({retries} retries), 0 given up",
            seen.len() - retries
        )),
        "{log}"
    );
    assert!(!dir.join("out/webhook-outbox.jsonl").exists(), "nothing left undelivered");
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn a_receiver_that_is_down_never_holds_the_batch_back_and_its_events_are_sent_by_the_next_run() {
    let dir = fresh_dir("scale", "observe-webhooks-down");
    let data = run_file(&dir, 5);
    // What the batch takes without webhooks, for the same records.
    let started = Instant::now();
    let plain = batch(&data, &dir.join("plain"), &[]);
    let plain_secs = started.elapsed().as_secs_f64();
    assert_eq!(plain.status.code(), Some(3), "{}", text(&plain));
    let outcomes = |manifest: &Path| -> BTreeMap<String, (String, String)> {
        let text = std::fs::read_to_string(manifest).unwrap();
        let lines = text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap());
        lines.map(|l| (l["id"].to_string(), (l["status"].to_string(), l["sha256"].to_string()))).collect()
    };

    // Nothing listens on the receiver's port during the first run.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let out = dir.join("out");
    let started = Instant::now();
    let down = batch(&data, &out, &["--webhook", &url, "--webhook-drain", "1"]);
    let down_secs = started.elapsed().as_secs_f64();
    let log = text(&down);
    assert_eq!(down.status.code(), Some(3), "{log}");
    // Rendering went on at its own pace; the end waited the drain time and no more (the
    // margin is for a loaded machine: two runs of a few seconds each).
    assert!(
        down_secs < plain_secs + 1.0 + 4.0,
        "{down_secs:.1} s with the receiver down, {plain_secs:.1} s without"
    );
    // Webhooks change nothing the batch writes: the same videos, byte for byte.
    assert_eq!(outcomes(&out.join("manifest.jsonl")), outcomes(&dir.join("plain/manifest.jsonl")));
    let outbox = out.join("webhook-outbox.jsonl");
    assert!(
        log.contains("webhooks: 0 delivered")
            && log.contains("7 not delivered (last error: http://127.0.0.1:")
            && log.contains(&format!(
                "kept in {}: the next run on this folder sends them again",
                outbox.display()
            )),
        "{log}"
    );
    let kept: Vec<serde_json::Value> =
        std::fs::read_to_string(&outbox).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: BTreeSet<&str> = kept.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!((kept.len(), ids.len()), (7, 7), "6 records and the run, once each: {kept:?}");

    // The receiver is back: a rerun (every record already done, nothing rendered) sends what
    // the first run kept, with the same ids, and its own run event.
    let receiver = Receiver::start(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let rerun = batch(&data, &out, &["--webhook", &url]);
    let log = text(&rerun);
    let unique = receiver.unique();
    assert_eq!(records(&unique), expected_ids(), "{log}");
    let seen_ids: BTreeSet<String> = receiver.seen.lock().unwrap().iter().map(|s| s.id.clone()).collect();
    assert!(
        ids.iter().all(|id| seen_ids.contains(*id)),
        "the kept events came with their ids: {ids:?} {seen_ids:?}"
    );
    let runs: Vec<&serde_json::Value> =
        unique.iter().filter(|(t, _)| t == "run.finished").map(|(_, d)| d).collect();
    assert_eq!(runs.len(), 2, "the first run's event and the rerun's: {runs:?}");
    assert_eq!(runs[1]["skipped"].as_u64(), Some(5), "{runs:?}");
    assert!(!outbox.exists(), "everything delivered: {log}");
}

#[test]
fn a_queue_worker_reports_its_records_to_the_metrics_and_the_webhooks() {
    use crate::queue::{enqueue, RedisServer, SECRET as LINK_SECRET};
    let dir = fresh_dir("scale", "observe-worker");
    let Some(redis) = RedisServer::start(&dir) else { return };
    let mut data = Vec::new();
    billreel::sample::write_run(&mut data, 4, 7).unwrap();
    std::fs::write(dir.join("run.jsonl"), data).unwrap();
    let queued = enqueue(&redis.url(), &dir.join("run.jsonl"), "watched", LINK_SECRET);
    assert!(queued.status.success(), "{}", text(&queued));
    let receiver = Receiver::start(TcpListener::bind("127.0.0.1:0").unwrap());
    let port = free_port();
    let mut worker = Killed(
        Command::new(env!("CARGO_BIN_EXE_billreel"))
            .args(["worker", "--queue", &redis.url(), "--jobs", "1", "--metrics-hold", "20"])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(["--webhook", &format!("http://127.0.0.1:{}/hook", receiver.port), "--out"])
            .arg(dir.join("out"))
            .env("BILLREEL_LINK_SECRET", LINK_SECRET)
            .env("BILLREEL_WEBHOOK_SECRET", SECRET)
            .env("TMPDIR", &dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("worker.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    // While it holds its last figures: every record counted ok, nothing left waiting or rendering.
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let started = Instant::now();
    let body = loop {
        let body = ureq::get(&metrics).call().ok().and_then(|mut r| r.body_mut().read_to_string().ok());
        if let Some(b) = body.filter(|b| b.contains("billreel_records_total{status=\"ok\"} 4")) {
            break b;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the worker's metrics never counted 4 records ok"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for gauge in ["billreel_queue_lag 0", "billreel_in_flight 0"] {
        assert!(body.lines().any(|l| l == gauge), "{gauge} missing from:\n{body}");
    }
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "{}", std::fs::read_to_string(dir.join("worker.log")).unwrap());
    // Each record's event once after deduplication, and the run's, all with the queued run's name.
    let unique = receiver.unique();
    let ids: BTreeMap<String, usize> = (1..=4).map(|i| (format!("C{i:04}"), 1)).collect();
    assert_eq!(records(&unique), ids, "{unique:?}");
    let runs: Vec<&serde_json::Value> =
        unique.iter().filter(|(t, _)| t == "run.finished").map(|(_, d)| d).collect();
    assert_eq!(runs.len(), 1, "{unique:?}");
    assert_eq!((runs[0]["ok"].as_u64(), runs[0]["total"].as_u64()), (Some(4), Some(4)), "{unique:?}");
    assert!(unique.iter().all(|(_, d)| d["run"] == "watched"), "{unique:?}");
}
