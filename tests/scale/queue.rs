//! The work queue (`enqueue`, `worker`, `status`) against a real redis-server started per test
//! on 127.0.0.1 (a free port, its own folder, the append-only file on): records rendered once
//! each whatever happens to the workers (killed, stopped) or to Redis (restarted), dead
//! letters, status figures, errors, and the Kubernetes manifests that run it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use billreel::batch::{ManifestLine, Status};
use redis::Commands;
use sha2::{Digest, Sha256};

use crate::common::{fresh_dir, in_ci, repo, text};

pub(crate) const SECRET: &str = "test-secret-0123456789abcdef";
const BIN: &str = env!("CARGO_BIN_EXE_billreel");
const GROUP: &str = "billreel-workers";

fn storyboard() -> String {
    repo().join("tests/scale/queue.yaml").to_string_lossy().into_owned()
}

/// A redis-server for one test; stopped when dropped.
pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// None (the test skips) where redis-server is missing, except under CI, where it fails.
    pub(crate) fn start(dir: &Path) -> Option<RedisServer> {
        if Command::new("redis-server").arg("--version").output().is_err() {
            assert!(
                !in_ci(),
                "CI is set and there is no redis-server on PATH: the queue tests must run under CI. \
                 scripts/install-deps.sh installs Debian's redis-server"
            );
            eprintln!("skipped: no redis-server on PATH (scripts/install-deps.sh installs it)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer { child: None, port, dir: dir.join("redis") };
        std::fs::create_dir_all(&server.dir).unwrap();
        server.spawn();
        Some(server)
    }

    /// Starts the server (again) on its port and folder, and waits until it answers.
    fn spawn(&mut self) {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("redis.log")).unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(&self.dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        while redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server as an operator's restart does (SIGTERM: it flushes its append-only file).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            child.wait().unwrap();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub(crate) fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A sample run of `n` customers, plus extra raw lines appended.
pub(crate) fn run_file(dir: &Path, n: u64, extra_lines: &[&str]) -> PathBuf {
    let path = dir.join("run.jsonl");
    let mut buf = Vec::new();
    billreel::sample::write_run(&mut buf, n, 7).unwrap();
    for l in extra_lines {
        buf.extend_from_slice(l.as_bytes());
        buf.push(b'\n');
    }
    std::fs::write(&path, buf).unwrap();
    path
}

pub(crate) fn enqueue(url: &str, data: &Path, run: &str, secret: &str) -> Output {
    Command::new(BIN)
        .args(["enqueue", &storyboard(), "--queue", url, "--run", run, "--data"])
        .arg(data)
        .env("BILLREEL_LINK_SECRET", secret)
        .output()
        .unwrap()
}

/// A worker rendering one record at a time, its JSON log in `log`, scratch under `dir`.
fn worker(url: &str, out: &Path, dir: &Path, log: &Path) -> Child {
    worker_command(url, out, dir, log).spawn().unwrap()
}

/// The command [`worker`] spawns, for a test to add to (the object store's AWS_* variables).
pub(crate) fn worker_command(url: &str, out: &Path, dir: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "--log-format",
        "json",
        "worker",
        "--queue",
        url,
        "--jobs",
        "1",
        "--visibility-timeout",
        "3s",
        "--out",
    ])
    .arg(out)
    .env("BILLREEL_LINK_SECRET", SECRET)
    .env("TMPDIR", dir)
    // The queue's own events (records rendered, taken over, Redis lost and back) are info.
    .env("BILLREEL_LOG", "warn,billreel::queue=info")
    .stdout(Stdio::null())
    .stderr(std::fs::File::create(log).unwrap());
    cmd
}

/// Records of `run` with a final line.
fn done(conn: &mut redis::Connection, run: &str) -> u64 {
    ["ok", "failed", "dead-lettered"]
        .iter()
        .map(|s| conn.scard::<_, u64>(format!("billreel:run:{run}:{s}")).unwrap())
        .sum()
}

pub(crate) fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < timeout, "gave up waiting {timeout:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn finished(conn: &mut redis::Connection, run: &str) -> bool {
    conn.hexists(format!("billreel:run:{run}"), "finished").unwrap()
}

fn status_json(url: &str, run: &str) -> serde_json::Value {
    let o = Command::new(BIN).args(["status", "--json", "--queue", url, "--run", run]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let all: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    all[0].clone()
}

fn manifest(path: &Path) -> Vec<ManifestLine> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every record of a run of `n` sample customers exactly once `ok`; no temporary file anywhere
/// under `out`; every MP4 decodes cleanly and has the manifest's SHA-256.
fn check_complete(out: &Path, run: &str, n: u64) {
    let lines = manifest(&out.join(run).join("manifest.jsonl"));
    let mut ids = BTreeMap::new();
    for l in &lines {
        assert_eq!(l.status, Status::Ok, "{l:?}");
        *ids.entry(l.id.clone().unwrap()).or_insert(0) += 1;
    }
    let want: BTreeSet<String> = (1..=n).map(|k| format!("C{k:04}")).collect();
    assert_eq!(ids.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert!(ids.values().all(|&c| c == 1), "a record has several lines: {ids:?}");
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with('.') && !name.contains("partial"),
                "a temporary file remains: {}",
                e.path().display()
            );
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    for l in &lines {
        let video = out.join(run).join(l.video.as_ref().unwrap());
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&video)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
            "{}: {}",
            video.display(),
            text(&o)
        );
        let sha = hex::encode(Sha256::digest(std::fs::read(&video).unwrap()));
        assert_eq!(Some(sha), l.sha256, "{}", video.display());
    }
}

/// Renders per input line, from the workers' JSON logs (`record rendered` events).
fn renders(logs: &[PathBuf]) -> BTreeMap<u64, u32> {
    let mut count = BTreeMap::new();
    for log in logs {
        for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if v["fields"]["message"] == "record rendered" {
                *count.entry(v["fields"]["line"].as_u64().unwrap()).or_insert(0) += 1;
            }
        }
    }
    count
}

/// A small deterministic generator (xorshift), seeded from the clock; the seed is printed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

pub(crate) fn exit_within(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(started.elapsed() < timeout, "a worker did not exit within {timeout:?} of its run's end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn workers_killed_at_random_points_lose_no_record_and_render_none_more_than_twice() {
    let dir = fresh_dir("scale", "queue-kill");
    let Some(server) = RedisServer::start(&dir) else { return };
    let url = server.url();
    let mut conn = server.conn();
    let n = 40;
    let o = enqueue(&url, &run_file(&dir, n, &[]), "kill", SECRET);
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.join("out");
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("kill points seeded with {seed}");
    let mut rng = Rng(seed);
    // Ten kills, each when a random number of records (0..30) is done, plus up to 0.4 s.
    let mut points: Vec<u64> = (0..10).map(|_| rng.below(30)).collect();
    points.sort();
    let started = Instant::now();
    let mut logs = Vec::new();
    let spawn = |logs: &mut Vec<PathBuf>| {
        let log = dir.join(format!("worker-{}.log", logs.len()));
        let w = worker(&url, &out, &dir, &log);
        logs.push(log);
        w
    };
    let mut workers: Vec<Child> = (0..3).map(|_| spawn(&mut logs)).collect();
    for &at in &points {
        wait_until("records to finish before a kill point", Duration::from_secs(120), || {
            done(&mut conn, "kill") >= at
        });
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        let victim = rng.below(3) as usize;
        workers[victim].kill().unwrap(); // SIGKILL
        workers[victim].wait().unwrap();
        workers[victim] = spawn(&mut logs);
    }
    wait_until("the run to finish", Duration::from_secs(180), || finished(&mut conn, "kill"));
    for w in &mut workers {
        assert!(exit_within(w, Duration::from_secs(20)).success());
    }
    let wall = started.elapsed();
    check_complete(&out, "kill", n);
    let renders = renders(&logs);
    let most = renders.values().max().copied().unwrap_or(0);
    let logs_text: String = logs.iter().map(|l| std::fs::read_to_string(l).unwrap_or_default()).collect();
    let takeovers = logs_text.matches("took over a record another worker left idle").count();
    eprintln!(
        "10 kills at {points:?} records done; {takeovers} records taken over; {} renders of {n} records, at most {most} per record; {wall:.1?}",
        renders.values().sum::<u32>()
    );
    assert_eq!(renders.len() as u64, n, "every record was rendered: {renders:?}");
    assert!(most <= 2, "a record was rendered more than twice: {renders:?}");
    let st = status_json(&url, "kill");
    assert_eq!(
        (st["ok"].as_u64(), st["in_flight"].as_u64(), st["pending"].as_u64()),
        (Some(n), Some(0), Some(0)),
        "{st}"
    );
}

#[test]
fn a_stopped_workers_record_is_taken_over_after_the_visibility_timeout() {
    let dir = fresh_dir("scale", "queue-stop");
    let Some(server) = RedisServer::start(&dir) else { return };
    let (url, mut conn) = (server.url(), server.conn());
    let n = 12;
    assert!(enqueue(&url, &run_file(&dir, n, &[]), "stop", SECRET).status.success());
    let out = dir.join("out");
    let stream = "billreel:run:stop:records";
    let mut a = worker(&url, &out, &dir, &dir.join("a.log"));
    let owner = format!("-{}", a.id());
    let holds = |conn: &mut redis::Connection| {
        let p: redis::streams::StreamPendingCountReply =
            redis::cmd("XPENDING").arg(stream).arg(GROUP).arg("-").arg("+").arg(10).query(conn).unwrap();
        p.ids.iter().any(|e| e.consumer.ends_with(&owner))
    };
    // Stop the worker while it holds a record (it may finish one between the look and the stop).
    let stopped_at = loop {
        wait_until("the worker to take a record", Duration::from_secs(60), || holds(&mut conn));
        unsafe { libc::kill(a.id() as i32, libc::SIGSTOP) };
        if holds(&mut conn) {
            break Instant::now();
        }
        unsafe { libc::kill(a.id() as i32, libc::SIGCONT) };
    };
    let mut b = worker(&url, &out, &dir, &dir.join("b.log"));
    wait_until("the run to finish", Duration::from_secs(120), || finished(&mut conn, "stop"));
    let took = stopped_at.elapsed();
    assert!(exit_within(&mut b, Duration::from_secs(20)).success());
    a.kill().unwrap();
    a.wait().unwrap();
    let log = std::fs::read_to_string(dir.join("b.log")).unwrap();
    assert!(log.contains("took over a record another worker left idle"), "{log}");
    assert!(
        took >= Duration::from_secs(3),
        "the run finished {took:?} after the stop, before the visibility timeout"
    );
    check_complete(&out, "stop", n);
}

#[test]
fn workers_reconnect_when_redis_restarts_mid_run() {
    let dir = fresh_dir("scale", "queue-restart");
    let Some(mut server) = RedisServer::start(&dir) else { return };
    let url = server.url();
    let n = 20;
    assert!(enqueue(&url, &run_file(&dir, n, &[]), "restart", SECRET).status.success());
    let out = dir.join("out");
    let logs = [dir.join("w0.log"), dir.join("w1.log")];
    let mut workers: Vec<Child> = logs.iter().map(|l| worker(&url, &out, &dir, l)).collect();
    let mut conn = server.conn();
    wait_until("a few records", Duration::from_secs(60), || done(&mut conn, "restart") >= 4);
    server.stop();
    std::thread::sleep(Duration::from_millis(1500));
    server.spawn();
    let mut conn = server.conn();
    assert!(done(&mut conn, "restart") >= 4, "the append-only file kept the records done");
    wait_until("the run to finish", Duration::from_secs(120), || finished(&mut conn, "restart"));
    for w in &mut workers {
        assert!(exit_within(w, Duration::from_secs(20)).success());
    }
    let logs: String = logs.iter().map(|l| std::fs::read_to_string(l).unwrap()).collect();
    assert!(logs.contains("lost Redis; reconnecting") && logs.contains("Redis is back"), "{logs}");
    check_complete(&out, "restart", n);
}

#[test]
fn status_counts_failures_and_dead_letters_and_outputs_match_batch() {
    let dir = fresh_dir("scale", "queue-status");
    let Some(server) = RedisServer::start(&dir) else { return };
    let (url, mut conn) = (server.url(), server.conn());
    // 8 customers, one without `customer` (fails on its data), one line that is not JSON.
    let data = run_file(&dir, 8, &[r#"{"id":"NOCUST","bill":{"total":1,"currency":"EUR"}}"#, "{not json"]);
    let o = enqueue(&url, &data, "figures", SECRET);
    assert!(text(&o).contains("enqueued run figures: 10 records (1 unreadable)"), "{}", text(&o));
    let st = status_json(&url, "figures");
    assert_eq!(
        (st["total"].as_u64(), st["pending"].as_u64(), st["ok"].as_u64()),
        (Some(10), Some(10), Some(0)),
        "{st}"
    );
    // A record some worker took three times and never finished: the next delivery is its 4th.
    let stream = "billreel:run:figures:records";
    let read: redis::streams::StreamReadReply = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(GROUP)
        .arg("ghost")
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg(stream)
        .arg(">")
        .query(&mut conn)
        .unwrap();
    let first = read.keys[0].ids[0].id.clone();
    let _: redis::Value = redis::cmd("XCLAIM")
        .arg(stream)
        .arg(GROUP)
        .arg("ghost")
        .arg(0)
        .arg(&first)
        .arg("IDLE")
        .arg(600_000)
        .arg("RETRYCOUNT")
        .arg(3)
        .query(&mut conn)
        .unwrap();
    let st = status_json(&url, "figures");
    assert_eq!((st["in_flight"].as_u64(), st["pending"].as_u64()), (Some(1), Some(9)), "{st}");

    let out = dir.join("out");
    let o = Command::new(BIN)
        .args(["worker", "--queue", &url, "--jobs", "2", "--visibility-timeout", "3s", "--out"])
        .arg(&out)
        .env("BILLREEL_LINK_SECRET", SECRET)
        .env("TMPDIR", &dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("run figures finished: 7 ok, 2 failed, 1 dead-lettered of 10"), "{}", text(&o));
    let st = status_json(&url, "figures");
    let figures: Vec<Option<u64>> = ["total", "pending", "in_flight", "ok", "failed", "dead_lettered"]
        .iter()
        .map(|k| st[k].as_u64())
        .collect();
    assert_eq!(figures, [10, 0, 0, 7, 2, 1].map(Some), "{st}");
    assert_eq!(st["finished"], true);
    let human = Command::new(BIN).args(["status", "--queue", &url]).output().unwrap();
    assert!(
        text(&human).lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["figures", "10", "0", "0", "7", "2", "1", "finished"]),
        "{}",
        text(&human)
    );

    let lines = manifest(&out.join("figures/manifest.jsonl"));
    assert_eq!(lines.len(), 10);
    let by_line: BTreeMap<usize, &ManifestLine> = lines.iter().map(|l| (l.line, l)).collect();
    let dead = by_line[&1];
    assert_eq!(dead.status, Status::Failed);
    let reason = dead.error.as_deref().unwrap();
    assert!(
        reason.contains("given up after 4 deliveries (--max-attempts 3)")
            && reason.contains("billreel:run:figures:dead"),
        "{reason}"
    );
    let letters: Vec<redis::streams::StreamId> = {
        let r: redis::streams::StreamRangeReply = conn.xrange_all("billreel:run:figures:dead").unwrap();
        r.ids
    };
    assert_eq!(letters.len(), 1);
    assert_eq!(redis::from_redis_value_ref::<String>(&letters[0].map["key"]).unwrap(), "C0001");
    assert!(redis::from_redis_value_ref::<String>(&letters[0].map["reason"])
        .unwrap()
        .contains("died or stalled"));
    assert!(by_line[&9].error.as_deref().unwrap().contains("customer"), "{:?}", by_line[&9]);
    assert_eq!(by_line[&9].id.as_deref(), Some("NOCUST"));
    assert_eq!(by_line[&10].error_kind.map(|k| k.label()), Some("unreadable line"), "{:?}", by_line[&10]);

    // The same records through `batch`: the same names and the same bytes.
    let bout = dir.join("batch");
    let o = Command::new(BIN)
        .args(["batch", &storyboard(), "--jobs", "2", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&bout)
        .env("BILLREEL_LINK_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let batch: BTreeMap<String, ManifestLine> =
        manifest(&bout.join("manifest.jsonl")).into_iter().map(|l| (l.key(), l)).collect();
    for l in lines.iter().filter(|l| l.status == Status::Ok) {
        let b = &batch[&l.key()];
        assert_eq!((&l.video, &l.poster, &l.sha256), (&b.video, &b.poster, &b.sha256), "{}", l.key());
        let file = l.poster.as_ref().unwrap();
        assert_eq!(
            std::fs::read(out.join("figures").join(file)).unwrap(),
            std::fs::read(bout.join(file)).unwrap()
        );
    }
    // `status --manifest` merges the same manifest again.
    let before = std::fs::read(out.join("figures/manifest.jsonl")).unwrap();
    std::fs::remove_file(out.join("figures/manifest.jsonl")).unwrap();
    let o = Command::new(BIN)
        .args(["status", "--queue", &url, "--manifest", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(text(&o).contains("figures/manifest.jsonl: 10 lines"), "{}", text(&o));
    assert_eq!(std::fs::read(out.join("figures/manifest.jsonl")).unwrap(), before);
}

#[test]
fn enqueue_and_worker_errors_say_what_and_how_to_fix() {
    let dir = fresh_dir("scale", "queue-errors");
    let data = run_file(&dir, 2, &[]);
    let err = |args: &[&str], secret: &str| {
        let o = Command::new(BIN)
            .args(args)
            .env("BILLREEL_LINK_SECRET", secret)
            .env("TMPDIR", &dir)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        text(&o)
    };
    let d = data.to_str().unwrap();
    let sb = storyboard();
    let e = err(&["enqueue", &sb, "--data", d, "--queue", "http://127.0.0.1:6379/"], SECRET);
    assert!(e.contains("`http://127.0.0.1:6379/` is not a queue billreel can use: `http://` is not a Redis URL; write redis://HOST:PORT/"), "{e}");
    let e = err(&["enqueue", &sb, "--data", d, "--queue", "redis://127.0.0.1:1/"], SECRET);
    assert!(
        e.contains("cannot reach Redis at redis://127.0.0.1:1/")
            && e.contains("is redis-server running there?"),
        "{e}"
    );
    let e = err(&["enqueue", "nope/missing.yaml", "--data", d, "--queue", "redis://127.0.0.1:1/"], SECRET);
    assert!(e.contains("nope/missing.yaml"), "{e}");
    let e = err(&["enqueue", &sb, "--data", d, "--queue", "redis://127.0.0.1:1/", "--run", "../up"], SECRET);
    assert!(e.contains("the run name `../up` cannot name a folder"), "{e}");

    let Some(server) = RedisServer::start(&dir) else { return };
    let url = server.url();
    assert!(enqueue(&url, &data, "twice", SECRET).status.success());
    let e = text(&enqueue(&url, &data, "twice", SECRET));
    assert!(
        e.contains(&format!("run twice is already in the queue at {url}"))
            && e.contains("give another --run name"),
        "{e}"
    );
    let e = err(
        &["worker", "--queue", &url, "--out", dir.join("out").to_str().unwrap()],
        "another-secret-0123456789",
    );
    assert!(e.contains("run twice was enqueued with another link secret"), "{e}");
    let e = err(&["status", "--queue", &url, "--run", "none"], SECRET);
    assert!(e.contains(&format!("there is no run none in the queue at {url}")), "{e}");
}

#[test]
fn the_kubernetes_manifests_run_what_the_code_expects() {
    let read = |name: &str| -> serde_yaml::Value {
        serde_yaml::from_str(&std::fs::read_to_string(repo().join("deploy/kubernetes").join(name)).unwrap())
            .unwrap()
    };
    let indexed = read("indexed-job.yaml");
    assert_eq!(indexed["kind"], "Job");
    assert_eq!(indexed["spec"]["completionMode"], "Indexed");
    let c = &indexed["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["args"][0], "batch");

    let scaled = read("queue-scaledjob.yaml");
    assert_eq!(scaled["apiVersion"], "keda.sh/v1alpha1");
    assert_eq!(scaled["kind"], "ScaledJob");
    let job = &scaled["spec"]["jobTargetRef"]["template"]["spec"];
    let c = &job["containers"][0];
    assert_eq!(
        c["image"], indexed["spec"]["template"]["spec"]["containers"][0]["image"],
        "both run the same image"
    );
    let args: Vec<&str> = c["args"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[0], "worker");
    let arg = |name: &str| args.iter().position(|a| *a == name).map(|k| args[k + 1]);
    let queue = arg("--queue").expect("the worker is given --queue");
    assert!(queue.starts_with("redis://"), "{queue}");
    assert!(arg("--out").is_some());
    // Each worker exits when the runs are drained: a Job's pod must not wait for more.
    assert!(!args.contains(&"--wait"));
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "redis-streams");
    let meta = &trigger["metadata"];
    assert_eq!(meta["consumerGroup"], GROUP, "the group the workers join");
    let stream = meta["stream"].as_str().unwrap();
    assert!(stream.starts_with("billreel:run:") && stream.ends_with(":records"), "{stream}");
    let run = stream.trim_start_matches("billreel:run:").trim_end_matches(":records");
    let host = queue.trim_start_matches("redis://").trim_end_matches('/');
    assert_eq!(meta["address"].as_str(), Some(host), "the trigger watches the workers' Redis");
    // Lag (entries not yet delivered to the group; Redis 7+): the backlog, and 0 when drained.
    assert!(meta["lagCount"].as_str().unwrap().parse::<u32>().unwrap() > 0);
    assert!(!run.is_empty());
    let secret = &c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "BILLREEL_LINK_SECRET")
        .expect("the worker gets the link secret")["valueFrom"]["secretKeyRef"];
    assert_eq!(secret["name"], "billreel-link-secret");
}
