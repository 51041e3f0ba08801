//! The batch engine, run as a user runs it: through the binary, on small billing runs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use billreel::batch::{ManifestLine, Status};
use billreel::bind::ProblemKind;
use common::text;
use common::{fresh_dir, repo};

const SECRET: &str = "test-secret-0123456789abcdef";

fn tiny() -> String {
    repo().join("tests/batch/tiny.yaml").to_string_lossy().into_owned()
}

/// Runs `billreel batch` with the test secret (unless `secret` is None).
fn batch(data: &Path, out: &Path, extra: &[&str], secret: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billreel"));
    cmd.args(["batch", &tiny(), "--data"]).arg(data).arg("--out").arg(out).args(["--jobs", "2"]).args(extra);
    cmd.env_remove("BILLREEL_LINK_SECRET").env_remove("JOB_COMPLETION_INDEX").env_remove("JOB_COMPLETIONS");
    if let Some(s) = secret {
        cmd.env("BILLREEL_LINK_SECRET", s);
    }
    cmd.output().unwrap()
}

fn manifest(path: &Path) -> Vec<ManifestLine> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A sample run of `n` customers, plus extra raw lines appended.
fn run_file(dir: &Path, n: u64, extra_lines: &[&str]) -> PathBuf {
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

fn frames_in(mp4: &Path) -> u32 {
    common::frames_at(mp4, 10) as u32
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect()
}

#[test]
fn one_bad_record_fails_alone() {
    let dir = fresh_dir("test-batch", "bad-record");
    let data = run_file(
        &dir,
        5,
        &[
            r#"{"id": "BAD1", "customer": {"first_name": "Ann"}, "bill": {"total": "ten", "currency": "EUR"}}"#,
            r#"{"id": "BAD2", "customer": {}, "bill": {"total": 1, "currency": "EUR"}}"#,
            r#"{"id": "BAD3", "locale": "xx-!!", "customer": {"first_name": "Bo"}, "bill": {"total": 1, "currency": "EUR"}}"#,
            "this is not json",
            r#"{"id": "C0001", "customer": {"first_name": "Dup"}, "bill": {"total": 1, "currency": "EUR"}}"#,
        ],
    );
    let out = dir.join("out");
    let o = batch(&data, &out, &["--base-url", "https://videos.example.com/run1"], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "exit code 3 when some records failed: {}", text(&o));
    let t = text(&o);
    assert!(t.contains("done: 5 ok, 0 skipped (already done), 5 failed of 10"), "{t}");
    let lines = manifest(&out.join("manifest.jsonl"));
    assert_eq!(lines.len(), 10);
    let ok: Vec<&ManifestLine> = lines.iter().filter(|l| l.status == Status::Ok).collect();
    assert_eq!(ok.len(), 5);
    for l in &ok {
        let video = l.video.as_ref().unwrap();
        assert!(out.join(video).is_file() && out.join(l.poster.as_ref().unwrap()).is_file());
        assert_eq!(l.video_url.as_deref(), Some(format!("https://videos.example.com/run1/{video}").as_str()));
        assert_eq!(l.bytes, Some(std::fs::metadata(out.join(video)).unwrap().len()));
        assert_eq!(l.sha256.as_ref().unwrap().len(), 64);
        assert_eq!(l.duration_s, Some(1.0));
        assert_eq!(l.input_hash.len(), 64);
    }
    let error_of =
        |pred: &dyn Fn(&ManifestLine) -> bool| lines.iter().find(|l| pred(l)).unwrap().error.clone().unwrap();
    assert!(error_of(&|l| l.id.as_deref() == Some("BAD1"))
        .contains("must be a number for `bill.total | currency"));
    assert!(error_of(&|l| l.id.as_deref() == Some("BAD2"))
        .contains("record BAD2: the record has no field `customer.first_name`"));
    // The locale is the record's value: described by its size, not quoted.
    assert!(error_of(&|l| l.id.as_deref() == Some("BAD3"))
        .contains("`‹a string of 5 characters›` is not a locale"));
    // Each failed line says what kind of failure it is, as `check`'s summary does.
    let kind_of = |pred: &dyn Fn(&ManifestLine) -> bool| lines.iter().find(|l| pred(l)).unwrap().error_kind;
    assert_eq!(kind_of(&|l| l.id.as_deref() == Some("BAD1")), Some(ProblemKind::WrongValue));
    assert_eq!(kind_of(&|l| l.id.as_deref() == Some("BAD3")), Some(ProblemKind::WrongValue));
    assert_eq!(kind_of(&|l| l.line == 9), Some(ProblemKind::UnreadableLine));
    assert_eq!(kind_of(&|l| l.line == 10), Some(ProblemKind::UnreadableLine));
    assert!(ok.iter().all(|l| l.error_kind.is_none() && l.error.is_none()));
    assert!(
        error_of(&|l| l.line == 9).contains(":9: invalid JSON"),
        "an unreadable line is reported by its number"
    );
    // A repeated id names the data file and the line, and the manifest line carries the id.
    let dup = error_of(&|l| l.line == 10);
    let file = data.file_name().unwrap().to_string_lossy().into_owned();
    assert!(dup.contains(&format!("{file}:10: record `C0001`: this id is already used on line 1")), "{dup}");
    assert_eq!(lines.iter().find(|l| l.line == 10).unwrap().id.as_deref(), Some("C0001"));
    // The poster is a real JPEG of the video's size.
    let poster = image::open(out.join(ok[0].poster.as_ref().unwrap())).unwrap();
    assert_eq!((poster.width(), poster.height()), (320, 180));
    assert!(leftovers(&out).is_empty());
}

#[test]
fn killed_run_resumes_without_losing_or_repeating_anything() {
    let dir = fresh_dir("test-batch", "resume");
    let data = run_file(&dir, 16, &[]);
    let out = dir.join("out");
    let manifest_path = out.join("manifest.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_billreel"))
        .args(["batch", &tiny(), "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "2"])
        .env("BILLREEL_LINK_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no chance to clean up) once a few videos are done, mid-run.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = std::fs::read_to_string(&manifest_path).map(|t| t.lines().count()).unwrap_or(0);
        if n >= 3 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = manifest(&manifest_path).len();
    assert!((3..16).contains(&before), "killed mid-run: {before} of 16 done");

    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("skipped (already done)"), "{}", text(&o));
    let lines = manifest(&manifest_path);
    let ids: Vec<&str> = lines.iter().map(|l| l.id.as_deref().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 16, "one line per record: {ids:?}");
    assert_eq!(unique.len(), 16);
    assert!(lines.iter().all(|l| l.status == Status::Ok));
    assert!(leftovers(&out).is_empty(), "no temporary files left: {:?}", leftovers(&out));
    for l in &lines {
        assert_eq!(
            frames_in(&out.join(l.video.as_ref().unwrap())),
            10,
            "{} decodes completely",
            l.id.as_ref().unwrap()
        );
    }
    // A third run has nothing to do.
    let o = batch(&data, &out, &[], Some(SECRET));
    assert!(text(&o).contains("done: 0 ok, 16 skipped"), "{}", text(&o));
    // A changed record is rendered again; --force renders everything.
    let changed =
        std::fs::read_to_string(&data).unwrap().replacen("\"total\":", "\"total\": 1.5, \"old_total\":", 1);
    std::fs::write(&data, changed).unwrap();
    let o = batch(&data, &out, &[], Some(SECRET));
    assert!(text(&o).contains("done: 1 ok, 15 skipped"), "{}", text(&o));
    assert_eq!(manifest(&manifest_path).len(), 16, "the new line replaced the old one");
    let o = batch(&data, &out, &["--force"], Some(SECRET));
    assert!(text(&o).contains("done: 16 ok, 0 skipped"), "{}", text(&o));
    assert_eq!(manifest(&manifest_path).len(), 16);
}

#[test]
fn links_are_unguessable_stable_and_required() {
    let dir = fresh_dir("test-batch", "links");
    let data = run_file(&dir, 4, &[]);
    let (a, b) = (dir.join("a"), dir.join("b"));
    assert_eq!(batch(&data, &a, &[], Some(SECRET)).status.code(), Some(0));
    assert_eq!(batch(&data, &b, &[], Some(SECRET)).status.code(), Some(0));
    let names = |d: &Path| -> BTreeMap<String, String> {
        manifest(&d.join("manifest.jsonl")).into_iter().map(|l| (l.id.unwrap(), l.video.unwrap())).collect()
    };
    let (na, nb) = (names(&a), names(&b));
    assert_eq!(na, nb, "the same ids and secret give the same names in another run");
    let distinct: BTreeSet<&String> = na.values().collect();
    assert_eq!(distinct.len(), 4);
    for (id, name) in &na {
        assert!(!name.contains(id.as_str()) && !name.contains(&id[1..]), "{name} must not contain {id}");
        assert_eq!(name.len(), 32 + 4, "128-bit hex name + .mp4");
    }
    let c = dir.join("c");
    assert_eq!(batch(&data, &c, &[], Some("another-secret-0123456789")).status.code(), Some(0));
    assert!(names(&c).values().all(|n| !distinct.contains(n)), "another secret, other names");

    let o = batch(&data, &dir.join("d"), &["--base-url", "https://x.example/"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no link secret") && text(&o).contains("--base-url would publish them"),
        "{}",
        text(&o)
    );
    let o = batch(&data, &dir.join("e"), &["--guessable-links"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // `--guessable-links` names files after the ids, as its help says.
    for line in manifest(&dir.join("e/manifest.jsonl")) {
        let id = line.id.unwrap();
        assert_eq!(line.video.as_deref(), Some(format!("{id}.mp4").as_str()));
        assert!(
            dir.join("e").join(format!("{id}.mp4")).is_file()
                && dir.join("e").join(format!("{id}.jpg")).is_file()
        );
    }
    let o = batch(&data, &dir.join("f"), &[], Some("short"));
    assert!(text(&o).contains("use at least 16 random bytes"), "{}", text(&o));
}

#[test]
fn shards_split_the_run_exactly() {
    let dir = fresh_dir("test-batch", "shards");
    let data = run_file(&dir, 12, &["not json"]);
    let out = dir.join("out");
    let mut all = Vec::new();
    for i in 0..3 {
        let o = batch(&data, &out, &["--shard", &format!("{i}/3")], Some(SECRET));
        assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
        let lines = manifest(&out.join(format!("manifest-{i}-of-3.jsonl")));
        all.extend(lines.into_iter().map(|l| l.key()));
    }
    assert!(!out.join("manifest.jsonl").exists(), "shards write only their own manifests");
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 13, "every record (and the bad line) in exactly one shard: {all:?}");
    assert_eq!(unique.len(), 13);
    // Kubernetes Indexed Job variables choose the shard too.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billreel"));
    let o = cmd
        .args(["batch", &tiny(), "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.join("k8s"))
        .env("BILLREEL_LINK_SECRET", SECRET)
        .env("JOB_COMPLETION_INDEX", "1")
        .env("JOB_COMPLETIONS", "3")
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
    let k8s: BTreeSet<String> =
        manifest(&dir.join("k8s/manifest-1-of-3.jsonl")).into_iter().map(|l| l.key()).collect();
    let shard1: BTreeSet<String> =
        manifest(&out.join("manifest-1-of-3.jsonl")).into_iter().map(|l| l.key()).collect();
    assert_eq!(k8s, shard1);
}

#[test]
fn input_edge_cases() {
    let dir = fresh_dir("test-batch", "edges");
    // Empty file: nothing to do, and that is fine.
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = batch(&empty, &dir.join("o1"), &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("batch: 0 records"));
    // A byte-order mark, blank lines and a line that is not JSON.
    let jsonl = dir.join("bom.jsonl");
    let rec = |id: &str| {
        format!(
            r#"{{"id": "{id}", "customer": {{"first_name": "Ann"}}, "bill": {{"total": 1, "currency": "EUR"}}}}"#
        )
    };
    std::fs::write(&jsonl, format!("\u{feff}{}\n\n   \n{{broken\n{}\n", rec("A"), rec("B"))).unwrap();
    let o = batch(&jsonl, &dir.join("o2"), &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(3));
    let lines = manifest(&dir.join("o2/manifest.jsonl"));
    assert_eq!(lines.iter().filter(|l| l.status == Status::Ok).count(), 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.line == 4 && l.error.as_ref().unwrap().contains(":4: invalid JSON")));
    // CSV: a row with a missing column fails alone, with its row number.
    let csv = dir.join("run.csv");
    std::fs::write(
        &csv,
        "\u{feff}id,customer.first_name,bill.total,bill.currency\nK1,Łucja,12.5,PLN\nK2,Ola\nK3,Zoë,3,EUR\n",
    )
    .unwrap();
    let o = batch(&csv, &dir.join("o3"), &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let lines = manifest(&dir.join("o3/manifest.jsonl"));
    let ok: BTreeSet<String> = lines.iter().filter(|l| l.status == Status::Ok).map(|l| l.key()).collect();
    assert_eq!(ok, ["K1", "K3"].into_iter().map(String::from).collect());
    assert!(
        lines.iter().any(|l| l.line == 3 && l.error.as_ref().unwrap().contains(":3: invalid CSV row")),
        "{lines:?}"
    );
}

#[test]
fn max_failures_stops_early() {
    let dir = fresh_dir("test-batch", "max-failures");
    let bad: Vec<String> = (0..60).map(|i| format!(r#"{{"id": "X{i}", "bill": {{}}}}"#)).collect();
    let refs: Vec<&str> = bad.iter().map(String::as_str).collect();
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, refs.join("\n")).unwrap();
    let o = batch(&path, &dir.join("out"), &["--max-failures", "2"], Some(SECRET));
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("stopped early"), "{}", text(&o));
    // The limit stops the run; only the few records already in flight (bounded channels) finish.
    let n = manifest(&dir.join("out/manifest.jsonl")).len();
    assert!((2..20).contains(&n), "{n} of 60 records processed");
}

#[test]
fn a_missing_field_is_reported_with_its_kind() {
    let dir = fresh_dir("test-batch", "error-kind");
    let data =
        run_file(&dir, 1, &[r#"{"id": "NONAME", "customer": {}, "bill": {"total": 1, "currency": "EUR"}}"#]);
    let out = dir.join("out");
    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let raw = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let failed = raw.lines().find(|l| l.contains("\"NONAME\"")).unwrap();
    // The kind as mailers read it: snake_case, right after the message.
    assert!(failed.contains("\"error_kind\":\"missing_field\""), "{failed}");
    let line: ManifestLine = serde_json::from_str(failed).unwrap();
    assert_eq!(line.status, Status::Failed);
    assert_eq!(line.error_kind, Some(ProblemKind::MissingField));
    assert!(line.error.unwrap().contains("the record has no field `customer.first_name`"));
    let ok = raw.lines().find(|l| !l.contains("\"NONAME\"")).unwrap();
    assert!(!ok.contains("error"), "an ok line has neither error nor error_kind: {ok}");
}

/// A panic inside a shared cache (the font's run cache, its lock held, so the lock is left
/// poisoned) while rendering the first record: that record fails alone, as an internal error,
/// and the next records of the same worker render.
#[test]
fn a_panic_inside_a_shared_cache_fails_one_record_alone() {
    use billreel::batch::{self, BatchOptions, LinkNamer, Shard};

    let dir = fresh_dir("test-batch", "cache-panic");
    let rec = |id: &str, name: &str| {
        format!(
            r#"{{"id": "{id}", "customer": {{"first_name": "{name}"}}, "bill": {{"total": 1, "currency": "EUR"}}}}"#
        )
    };
    let data = dir.join("run.jsonl");
    let lines = [rec("P1", "Faultina"), rec("P2", "Ann"), rec("P3", "Bo")];
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let binder =
        std::sync::Arc::new(billreel::load(Path::new(&tiny()), None).unwrap_or_else(|d| panic!("{d}")));
    let opts = BatchOptions {
        data,
        id_field: "id".into(),
        out: dir.join("out"),
        jobs: 1,
        base_url: None,
        links: LinkNamer::Guessable,
        force: false,
        max_failures: None,
        shard: Shard::ALL,
        settings: billreel::encode::EncodeSettings::default(),
        srt: false,
        segment_cache_mb: None,
        metrics: None,

        recreate_purged: false,

        publish: None,
    };
    billreel::scene::text::inject_shaping_panic(Some("Faultina"));
    let summary = batch::run(binder, &opts, &mut |_| {});
    billreel::scene::text::inject_shaping_panic(None);
    let summary = summary.unwrap();
    assert_eq!((summary.counts.ok, summary.counts.failed), (2, 1), "{:?}", summary.counts);
    let lines = manifest(&summary.manifest);
    let by_id: BTreeMap<&str, &ManifestLine> = lines.iter().map(|l| (l.id.as_deref().unwrap(), l)).collect();
    let l = by_id["P1"];
    assert_eq!(l.status, Status::Failed, "{l:?}");
    assert_eq!(l.error_kind, Some(ProblemKind::Internal), "{l:?}");
    let error = l.error.as_deref().unwrap();
    assert!(error.contains("record P1: internal error") && error.contains("injected fault"), "{error}");
    for id in ["P2", "P3"] {
        let l = by_id[id];
        assert_eq!(l.status, Status::Ok, "{l:?}");
        assert_eq!(frames_in(&dir.join("out").join(l.video.as_ref().unwrap())), 10);
    }
}

/// `billreel batch` on `data` into `out`, started and left running (output discarded).
fn spawn_batch(data: &Path, out: &Path, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_billreel"))
        .args(["batch", &tiny(), "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("BILLREEL_LINK_SECRET", SECRET)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("JOB_COMPLETIONS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Lines in the manifest now (torn or not), 0 when there is none yet.
fn line_count(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count()).unwrap_or(0)
}

/// Waits until the manifest has at least `n` lines (or two minutes passed), then SIGKILLs the run.
fn kill_when(child: &mut std::process::Child, manifest: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while line_count(manifest) < n && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Each record's key once per line of the manifest, and the count of each.
fn lines_per_key(path: &Path) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for l in manifest(path) {
        *n.entry(l.key()).or_insert(0) += 1;
    }
    n
}

/// Issue 14: a `--force` run killed mid-way and a resume used to leave 60 lines for 40 ids. Now
/// every run compacts at its start and end, so whatever the sequence of kill -9, `--force` runs
/// and resumes, the manifest of a run that exited holds exactly one line per record.
#[test]
fn kills_force_runs_and_resumes_end_with_one_line_per_record() {
    let dir = fresh_dir("test-batch", "kill-force");
    let data = run_file(&dir, 12, &["not json"]);
    let out = dir.join("out");
    let path = out.join("manifest.jsonl");
    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(line_count(&path), 13);
    // A --force run killed after 4 new lines: 17 lines for 13 records on disk.
    let mut child = spawn_batch(&data, &out, &["--force", "--jobs", "2"]);
    kill_when(&mut child, &path, 17);
    assert!(line_count(&path) > 13, "the killed run appended lines: {}", line_count(&path));
    // Killed again, a few lines in, by a run that is itself a resume.
    let mut child = spawn_batch(&data, &out, &["--force", "--jobs", "2"]);
    // Once it has compacted what the last one left (17 lines), and written two lines of its own.
    let deadline = Instant::now() + Duration::from_secs(60);
    while line_count(&path) >= 17 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    kill_when(&mut child, &path, 15);
    // The resume: nothing left to render, and one line per record.
    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("0 ok, 12 skipped (already done), 1 failed of 13"), "{}", text(&o));
    // It noticed the killed run through the lock file it left behind.
    assert!(text(&o).contains("was killed (or crashed) before it ended"), "{}", text(&o));
    let per_key = lines_per_key(&path);
    assert_eq!(per_key.len(), 13, "{per_key:?}");
    assert!(per_key.values().all(|&n| n == 1), "one line per record: {per_key:?}");
    assert_eq!(line_count(&path), 13, "and nothing else (no torn line)");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    for l in manifest(&path).iter().filter(|l| l.status == Status::Ok) {
        assert_eq!(frames_in(&out.join(l.video.as_ref().unwrap())), 10);
    }
}

/// Issue 14: two batches on one output folder interleaved their lines and removed each other's
/// temporary files. The second is refused at once, told who holds the folder.
#[test]
fn a_second_batch_on_the_same_folder_is_refused_and_a_killed_ones_lock_is_taken_over() {
    let dir = fresh_dir("test-batch", "lock");
    // Enough records (one worker) that the first run is still going when it is killed below.
    let data = run_file(&dir, 40, &[]);
    let out = dir.join("out");
    let path = out.join("manifest.jsonl");
    let lock = out.join(".manifest.jsonl.lock");
    let mut first = spawn_batch(&data, &out, &["--jobs", "1"]);
    // Wait until the first run holds the lock and has started rendering.
    let deadline = Instant::now() + Duration::from_secs(120);
    while line_count(&path) < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let holder = std::fs::read_to_string(&lock).unwrap();
    assert!(holder.starts_with(&format!("process {} on host ", first.id())), "{holder}");
    let started = Instant::now();
    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("another batch is already writing to this output folder"), "{t}");
    assert!(t.contains(&format!("process {} on host", first.id())) && t.contains("started at 20"), "{t}");
    assert!(started.elapsed() < Duration::from_secs(10), "refused at once, not after waiting");
    // Another shard of the run may share the folder.
    let o = batch(&data, &out, &["--shard", "0/4"], Some(SECRET));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // kill -9 the first: the kernel drops its lock, and the next run takes the folder over.
    assert!(first.try_wait().unwrap().is_none(), "the first run is still going");
    kill_when(&mut first, &path, 2);
    assert!(!std::fs::read_to_string(&lock).unwrap().is_empty(), "a killed run leaves its details");
    let o = batch(&data, &out, &[], Some(SECRET));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("was killed (or crashed) before it ended"), "{}", text(&o));
    let per_key = lines_per_key(&path);
    assert!(per_key.len() == 40 && per_key.values().all(|&n| n == 1), "{per_key:?}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "", "a run that ended empties the lock file");
}

/// A poster that cannot be put in place (a folder where it goes) fails that record alone, with a
/// message that names the poster, not the video.
#[test]
fn a_file_that_cannot_be_renamed_into_place_is_named_in_the_error() {
    let dir = fresh_dir("test-batch", "rename");
    let data = run_file(&dir, 3, &[]);
    let out = dir.join("out");
    let name = billreel::batch::LinkNamer::Guessable.name("C0002");
    std::fs::create_dir_all(out.join(format!("{name}.jpg/in-the-way"))).unwrap();
    let o = batch(&data, &out, &["--guessable-links"], None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let lines = manifest(&out.join("manifest.jsonl"));
    let bad = lines.iter().find(|l| l.id.as_deref() == Some("C0002")).unwrap();
    let error = bad.error.as_deref().unwrap();
    assert!(error.contains("record C0002: cannot put the poster (.jpg) in place: renaming "), "{error}");
    assert!(error.contains(&format!(".{name}.jpg.partial-0of1")) && !error.contains("MP4"), "{error}");
    assert_eq!(lines.iter().filter(|l| l.status == Status::Ok).count(), 2);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// `--record-timeout`: a record over its time budget fails alone (`error_kind` `timeout`, a
/// message saying how to raise it) and the run goes on to the next records.
#[test]
fn a_record_over_its_time_budget_fails_alone() {
    let dir = fresh_dir("test-batch", "timeout");
    let data = run_file(&dir, 3, &[]);
    let out = dir.join("out");
    let o = batch(&data, &out, &["--record-timeout", "1ms"], Some(SECRET));
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let lines = manifest(&out.join("manifest.jsonl"));
    assert_eq!(lines.len(), 3, "every record has its line: the run went on");
    for l in &lines {
        assert_eq!(l.error_kind, Some(ProblemKind::Timeout), "{l:?}");
        let e = l.error.as_deref().unwrap();
        assert!(e.contains("given up") && e.contains("one record may take 0.001s"), "{e}");
        assert!(e.contains("--record-timeout") && e.contains("--limit record-timeout="), "{e}");
    }
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    // The same through --limit, with a budget that is enough.
    let o = batch(&data, &out, &["--limit", "record-timeout=60s"], Some(SECRET));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(lines_per_key(&out.join("manifest.jsonl")).len(), 3);
    let o = batch(&data, &out, &["--record-timeout", "soon"], Some(SECRET));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--record-timeout soon") && text(&o).contains("30s"), "{}", text(&o));
}

/// The deadline is checked before every frame, whole videos and segmented ones alike: a video
/// whose time is up stops there with `Timeout` and publishes nothing.
#[test]
fn the_frame_loop_stops_at_the_deadline_and_publishes_nothing() {
    use billreel::encode::{self, Deadline, EncodeError, EncodeSettings, SegmentCache};

    let dir = fresh_dir("test-batch", "deadline");
    let data = run_file(&dir, 1, &[]);
    let binder = billreel::load(Path::new(&tiny()), None).unwrap_or_else(|d| panic!("{d}"));
    let graph = binder.bind(&billreel::record::find(&data, "C0001", "id").unwrap()).unwrap();
    let budget = Duration::from_millis(1);
    let passed = Deadline { at: Instant::now(), budget };
    let cache = SegmentCache::new(16);
    for cache in [None, Some(&cache)] {
        let out = dir.join("late.mp4");
        let e =
            encode::render_video_until(&graph, &out, &EncodeSettings::default(), "t", cache, Some(passed))
                .unwrap_err();
        assert!(matches!(e, EncodeError::Timeout { frame: 0, frames: 10, .. }), "{e}");
        assert!(e.to_string().contains("gave up at frame 0 of 10"), "{e}");
        assert!(!out.exists() && leftovers(&dir).is_empty(), "nothing published, nothing left");
    }
    // A deadline far enough away changes nothing.
    let later = Deadline { at: Instant::now() + Duration::from_secs(600), budget };
    let out = dir.join("in-time.mp4");
    encode::render_video_until(&graph, &out, &EncodeSettings::default(), "t", None, Some(later)).unwrap();
    assert_eq!(frames_in(&out), 10);
    // The animated preview (the demo storyboard has one) checks it before each of its frames.
    let binder =
        billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let rec = billreel::record::find(&repo().join("scenes/sample-billing-run.jsonl"), "C0001", "id").unwrap();
    let graph = binder.bind(&rec).unwrap();
    let gif = dir.join("late.gif");
    let e = billreel::outputs::preview::write_preview_until(&graph, &gif, "t", Some(passed)).unwrap_err();
    assert!(matches!(e, billreel::outputs::OutputsError::Timeout { .. }), "{e}");
    assert!(!gif.exists() && leftovers(&dir).is_empty(), "nothing published, nothing left");
}

/// A rerun after a change remakes only the files whose inputs changed: a new page title
/// rewrites the pages and keeps every video; a change to a scene that only overdue customers
/// see re-encodes their videos (and posters) only.
#[test]
fn a_rerun_remakes_only_the_files_whose_inputs_changed() {
    let dir = fresh_dir("test-batch", "rerun-changed");
    let storyboard = |title: &str, late: &str| {
        format!(
            "{}page: {{ title: \"{title} {{{{ customer.first_name }}}}\" }}\nscenes:\n  - id: hello\n    duration: 1s\n    caption: \"Hello {{{{ customer.first_name }}}}\"\n    layers:\n      - {{ type: text, text: \"Hello {{{{ customer.first_name }}}}\", x: 20, y: 20 }}\n  - id: late\n    when: bill.overdue_days > 0\n    duration: 1s\n    layers:\n      - {{ type: text, text: Overdue, color: \"{late}\", x: 20, y: 20 }}\n",
            common::HEADER
        )
    };
    let sb = common::write(&dir, "sb.yaml", &storyboard("Your bill,", "#ff0000"));
    let mut data = String::new();
    for (id, days) in [("A", 0), ("B", 0), ("C", 5), ("D", 9)] {
        data.push_str(&format!(
            "{{\"id\": \"{id}\", \"customer\": {{\"first_name\": \"N{id}\"}}, \"bill\": {{\"overdue_days\": {days}}}}}\n"
        ));
    }
    let data = common::write(&dir, "run.jsonl", &data);
    let out = dir.join("out");
    let run = || {
        let o = common::billreel([
            "batch",
            &sb,
            "--data",
            &data,
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "2",
            "--guessable-links",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        text(&o)
    };
    // Each record's files, by extension (named as the manifest says).
    let sha = |id: &str| -> BTreeMap<String, Vec<u8>> {
        let lines = manifest(&out.join("manifest.jsonl"));
        let video = lines.iter().find(|l| l.id.as_deref() == Some(id)).unwrap().video.clone().unwrap();
        let stem = video.strip_suffix(".mp4").unwrap().to_string();
        ["mp4", "jpg", "vtt", "html"]
            .iter()
            .map(|ext| (ext.to_string(), std::fs::read(out.join(format!("{stem}.{ext}"))).unwrap()))
            .collect()
    };
    let first = run();
    assert!(first.contains("done: 4 ok, 0 skipped"), "{first}");
    assert!(!first.contains("made:"), "a first run makes everything and says nothing more: {first}");
    let lines = manifest(&out.join("manifest.jsonl"));
    let hashes = lines[0].output_hashes.as_ref().expect("each file's hash is in the manifest");
    assert_eq!((hashes.video.len(), hashes.page.as_ref().map(String::len)), (64, Some(64)));
    let before: BTreeMap<&str, _> = ["A", "B", "C", "D"].into_iter().map(|id| (id, sha(id))).collect();

    // The page alone.
    std::fs::write(&sb, storyboard("Your new bill,", "#ff0000")).unwrap();
    let second = run();
    assert!(second.contains("made: 0 videos, 0 posters, 0 GIF previews, 0 captions, 4 pages"), "{second}");
    for id in ["A", "B", "C", "D"] {
        let now = sha(id);
        for ext in ["mp4", "jpg", "vtt"] {
            assert_eq!(now[ext], before[id][ext], "{id}.{ext} is kept");
        }
        assert!(String::from_utf8_lossy(&now["html"]).contains(&format!("Your new bill, N{id}")));
    }

    // One scene that only C and D play.
    std::fs::write(&sb, storyboard("Your new bill,", "#ff8a80")).unwrap();
    let third = run();
    assert!(third.contains("made: 2 videos, 2 posters, 0 GIF previews, 0 captions, 0 pages"), "{third}");
    for id in ["A", "B"] {
        assert_eq!(sha(id)["mp4"], before[id]["mp4"], "{id} does not play the changed scene");
    }
    for id in ["C", "D"] {
        assert_ne!(sha(id)["mp4"], before[id]["mp4"], "{id} plays the changed scene");
        let l =
            manifest(&out.join("manifest.jsonl")).into_iter().find(|l| l.id.as_deref() == Some(id)).unwrap();
        assert_eq!(frames_in(&out.join(l.video.unwrap())), 20);
    }
    let lines = manifest(&out.join("manifest.jsonl"));
    assert_eq!(lines.len(), 4, "one line per record");
    for l in &lines {
        let file = out.join(l.video.as_ref().unwrap());
        assert_eq!(l.bytes, Some(std::fs::metadata(&file).unwrap().len()), "{:?}", l.id);
    }

    // Nothing changed: nothing to do.
    let fourth = run();
    assert!(fourth.contains("done: 0 ok, 4 skipped"), "{fourth}");
}
