//! The batch engine, run as a user runs it: through the binary, on small billing runs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use billreel::batch::{ManifestLine, Status};
use billreel::bind::ProblemKind;
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

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
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
        .contains("record BAD1: `| currency` expects a number, but got the string `ten`"));
    assert!(error_of(&|l| l.id.as_deref() == Some("BAD2"))
        .contains("record BAD2: the record has no field `customer.first_name`"));
    assert!(error_of(&|l| l.id.as_deref() == Some("BAD3")).contains("`xx-!!` is not a locale"));
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
    assert!(error_of(&|l| l.line == 10).contains("duplicate id `C0001` (first on line 1)"));
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
