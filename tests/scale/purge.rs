//! `billreel purge`: a customer's outputs deleted across runs, a run's deleted after a
//! retention period, and what a purge refuses; run through the binary on tiny batches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use billreel::batch::{ManifestLine, Status};

use crate::common::{fresh_dir, repo, text};

const SECRET: &str = "purge-test-secret-0123456789";

/// Two formats, captions (with `--srt`, two files), a GIF preview and a page: nine files per
/// record, each a kind purge must find.
fn storyboard(dir: &Path) -> PathBuf {
    let assets = repo().join("assets");
    let sb = format!(
        "formats: {{ wide: 160x90, tall: 90x160 }}\nvideo: {{ fps: 10, background: \"#123a63\" }}\nassets: {}\n\
         fonts: {{ body: fonts/Inter-Regular.otf }}\npage: {{ title: \"Bill {{{{ id }}}}\" }}\n\
         preview: {{ from: 0s, duration: 1s, width: 80, fps: 5 }}\nscenes:\n  - id: only\n    duration: 1s\n\
         \x20   caption: \"Hello {{{{ customer.first_name }}}}\"\n    layers:\n\
         \x20     - {{ type: text, text: \"{{{{ customer.first_name }}}}\", size: 14, x: 5, y: 5 }}\n",
        assets.display()
    );
    let path = dir.join("sb.yaml");
    std::fs::write(&path, sb).unwrap();
    path
}

fn data(dir: &Path, ids: &[&str]) -> PathBuf {
    let path = dir.join(format!("{}.jsonl", ids.join("-")));
    let lines: Vec<String> =
        ids.iter().map(|id| format!(r#"{{"id": "{id}", "customer": {{"first_name": "N{id}"}}}}"#)).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn batch(sb: &Path, data: &Path, out: &Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_billreel"))
        .args([
            "batch".as_ref(),
            sb.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .args(["--jobs", "2", "--srt"])
        .args(extra)
        .env("BILLREEL_LINK_SECRET", SECRET)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("JOB_COMPLETIONS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

fn purge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_billreel")).arg("purge").args(args).output().unwrap()
}

fn manifest(out: &Path) -> BTreeMap<String, ManifestLine> {
    let text = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str::<ManifestLine>(l).unwrap());
    lines.map(|l| (l.id.clone().unwrap(), l)).collect()
}

/// Every file of the run folder with its bytes (not the manifest, the hidden lock file or audit/).
fn files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .filter(|(n, _)| !n.starts_with('.') && n != "manifest.jsonl")
        .collect()
}

/// The audit lines of a run, from every audit object.
fn audit(out: &Path) -> Vec<serde_json::Value> {
    let Ok(dir) = std::fs::read_dir(out.join("audit")) else { return Vec::new() };
    let mut names: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
    names.sort();
    let text: String = names.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn one_customer_is_purged_across_two_runs_and_stays_purged_until_asked() {
    let dir = fresh_dir("test-scale", "purge-id");
    let sb = storyboard(&dir);
    let (run1, run2) = (dir.join("runs/run1"), dir.join("runs/run2"));
    batch(&sb, &data(&dir, &["P1", "P2", "P3"]), &run1, &[]);
    batch(&sb, &data(&dir, &["P1", "P2"]), &run2, &[]);
    let before: Vec<_> = [&run1, &run2].iter().map(|r| (files(r), manifest(r))).collect();
    // P2's line names nine files: two formats' video, poster and preview, the captions twice,
    // the page. The tall format's own captions (two more) share the tall video's stem.
    let p2 = billreel::purge::line_files(&before[0].1["P2"]);
    assert_eq!(p2.len(), 9, "{p2:?}");
    let stem = |l: &ManifestLine| l.video.as_ref().unwrap().strip_suffix(".mp4").unwrap().to_string();
    let named = |r: &BTreeMap<String, Vec<u8>>, stem: &str| -> BTreeSet<String> {
        r.keys().filter(|n| n.starts_with(stem)).cloned().collect()
    };
    assert_eq!(named(&before[0].0, &stem(&before[0].1["P2"])).len(), 11);
    assert_eq!(p2.iter().filter(|f| f.ends_with(".mp4")).count(), 2, "{p2:?}");
    let manifest_bytes = |r: &Path| std::fs::read(r.join("manifest.jsonl")).unwrap();
    let manifests_before = [manifest_bytes(&run1), manifest_bytes(&run2)];

    // A dry run lists every file that would go and touches nothing.
    let o = purge(&["--out", s(&run1), "--out", s(&run2), "--id", "P2", "--dry-run"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains(&format!("would delete P2 in {}: 11 files", run1.display())), "{said}");
    assert!(said.contains(&format!("would delete P2 in {}: 11 files", run2.display())), "{said}");
    assert!(p2.iter().all(|f| said.contains(&format!("  {f}\n"))), "{said}");
    assert!(said.contains("purge: 2 records") && said.contains("(dry run: nothing was deleted)"), "{said}");
    for (k, r) in [&run1, &run2].iter().enumerate() {
        assert_eq!(files(r), before[k].0, "a dry run deletes nothing");
        assert_eq!(manifest_bytes(r), manifests_before[k]);
        assert!(!r.join("audit").exists());
    }

    let o = purge(&["--out", s(&run1), "--out", s(&run2), "--id", "P2", "--reason", "erasure request 117"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains(&format!("deleted P2 in {}: 11 files", run1.display())), "{said}");
    for (k, r) in [&run1, &run2].iter().enumerate() {
        let (files_before, lines_before) = &before[k];
        let ours = stem(&lines_before["P2"]);
        let theirs = named(files_before, &ours);
        // Every file of its name is gone, every format's; every other file is there, byte for byte.
        let now = files(r);
        assert!(named(&now, &ours).is_empty(), "{:?}", now.keys());
        let expected: BTreeMap<String, Vec<u8>> = files_before
            .iter()
            .filter(|(n, _)| !theirs.contains(*n))
            .map(|(n, b)| (n.clone(), b.clone()))
            .collect();
        assert_eq!(now.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{}", r.display());
        assert!(now == expected, "other records' files are untouched");
        // Its line says deleted, when and why, and names no file; the others are unchanged.
        let lines = manifest(r);
        let gone = &lines["P2"];
        assert_eq!(gone.status, Status::Deleted);
        assert_eq!(gone.deleted_reason.as_deref(), Some("erasure request 117"));
        assert!(
            gone.deleted_at.as_deref().is_some_and(|t| t.starts_with("20") && t.ends_with('Z')),
            "{gone:?}"
        );
        assert!(
            billreel::purge::line_files(gone).is_empty()
                && gone.video_url.is_none()
                && gone.page_url.is_none()
        );
        for (id, line) in lines_before.iter().filter(|(id, _)| *id != "P2") {
            assert_eq!(&lines[id], line, "{id}");
        }
        // One audit line for the record, listing each file.
        let a = audit(r);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!((a[0]["id"].as_str(), a[0]["reason"].as_str()), (Some("P2"), Some("erasure request 117")));
        assert_eq!(a[0]["marked_deleted"], true);
        let listed: BTreeSet<&str> =
            a[0]["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(listed, theirs.iter().map(String::as_str).collect());
        assert!(a[0]["files"].as_array().unwrap().iter().all(|f| f["state"] == "deleted"), "{a:?}");
    }
    let purged_manifest = manifest_bytes(&run1);

    // A resumed run does not bring P2 back; purging it again finds it already deleted.
    let data3 = dir.join("P1-P2-P3.jsonl");
    let said = batch(&sb, &data3, &run1, &[]);
    assert!(said.contains("done: 0 ok, 2 skipped (already done), 0 failed, 1 purged"), "{said}");
    assert!(p2.iter().all(|f| !run1.join(f).exists()));
    assert_eq!(manifest_bytes(&run1), purged_manifest, "the deleted line stays as it is");
    let o = purge(&["--out", s(&run1), "--id", "P2"]);
    assert!(
        o.status.success() && text(&o).contains(&format!("already deleted: P2 in {}", run1.display())),
        "{}",
        text(&o)
    );
    assert_eq!(audit(&run1).len(), 1, "nothing deleted, no audit line");

    // Unless asked: the same files come back (same link names), and the line is ok again.
    let said = batch(&sb, &data3, &run1, &["--recreate-purged"]);
    assert!(said.contains("done: 1 ok, 2 skipped (already done), 0 failed of 3"), "{said}");
    assert!(p2.iter().all(|f| run1.join(f).exists()));
    assert_eq!(manifest(&run1)["P2"].status, Status::Ok);
    assert_eq!(billreel::purge::line_files(&manifest(&run1)["P2"]), p2);
}

/// Sets a file's modification time `days` ago.
fn age(file: &Path, days: u64) {
    let t = SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options().write(true).open(file).unwrap().set_modified(t).unwrap();
}

#[test]
fn older_than_deletes_only_records_whose_newest_file_is_older() {
    let dir = fresh_dir("test-scale", "purge-age");
    let sb = storyboard(&dir);
    let root = dir.join("runs");
    let run = root.join("2026-08");
    batch(&sb, &data(&dir, &["A1", "A2", "A3"]), &run, &[]);
    let lines = manifest(&run);
    let of = |id: &str| billreel::purge::line_files(&lines[id]);
    // A1: every file 100 days old. A2: 100 days, but its page rewritten 10 days ago (a rerun
    // that changed only the page): its newest file is young. A3: as rendered, now.
    of("A1").iter().for_each(|f| age(&run.join(f), 100));
    of("A2").iter().for_each(|f| age(&run.join(f), 100));
    age(&run.join(lines["A2"].page.as_ref().unwrap()), 10);

    let o = purge(&["--runs", s(&root), "--older-than", "90d"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains(&format!("deleted A1 in {}: 11 files", run.display())), "{said}");
    assert!(said.contains("purge: 1 records"), "{said}");
    let a1 = lines["A1"].video.as_ref().unwrap().strip_suffix(".mp4").unwrap().to_string();
    assert!(files(&run).keys().all(|n| !n.starts_with(&a1)), "every file of A1's name is gone");
    assert!(of("A2").iter().chain(&of("A3")).all(|f| run.join(f).exists()));
    let after = manifest(&run);
    assert_eq!(after["A1"].status, Status::Deleted);
    assert_eq!(after["A1"].deleted_reason.as_deref(), Some("retention: outputs older than 90d"));
    assert_eq!((&after["A2"], &after["A3"]), (&lines["A2"], &lines["A3"]));
    let a = audit(&run);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0]["id"].as_str(), a[0]["rule"].as_str()), (Some("A1"), Some("--older-than 90d")));

    // A shorter period takes A2 too; A3 is younger than any period that is not zero.
    let o = purge(&["--out", s(&run), "--older-than", "1w"]);
    assert!(o.status.success() && text(&o).contains("deleted A2 in"), "{}", text(&o));
    assert_eq!(manifest(&run)["A2"].status, Status::Deleted);
    assert_eq!(manifest(&run)["A3"].status, Status::Ok);
    assert_eq!(audit(&run).len(), 2, "one audit object per purge");
}

/// A run folder made by hand: a manifest naming one file per record.
fn hand_made_run(dir: &Path, name: &str, ids: &[&str]) -> PathBuf {
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    let mut manifest = String::new();
    for (k, id) in ids.iter().enumerate() {
        let mut l = ManifestLine::new(Some(id.to_string()), k + 1, Status::Ok, "ab".into());
        l.video = Some(format!("{id}.mp4"));
        std::fs::write(out.join(format!("{id}.mp4")), b"video").unwrap();
        manifest += &(serde_json::to_string(&l).unwrap() + "\n");
    }
    std::fs::write(out.join("manifest.jsonl"), manifest).unwrap();
    out
}

#[test]
fn a_purge_refuses_with_a_message_that_says_why() {
    let dir = fresh_dir("test-scale", "purge-errors");
    let out = hand_made_run(&dir, "run", &["K1", "K2"]);
    let fails = |args: &[&str], needle: &str| {
        let o = purge(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    };
    fails(
        &["--out", s(&out), "--id", "NOPE"],
        "none of the ids given is in the manifests of the 1 runs: nothing was deleted",
    );
    fails(&["--out", s(&out), "--older-than", "90x"], "--older-than `90x`: unknown time unit \"x\"");
    fails(
        &["--out", s(&out), "--older-than", "90"],
        "it has no unit; write a number and a unit, e.g. `90d` (days)",
    );
    fails(&["--out", s(&out)], "nothing says what to purge: give --id ID");
    fails(&["--id", "K1"], "no run to purge: give --out TARGET");
    let missing = dir.join("no-such-run");
    fails(&["--out", s(&missing), "--id", "K1"], "does not exist: give the output folder a batch wrote");
    assert!(!missing.exists(), "a typo does not make a folder");
    fails(
        &["--out", s(&dir), "--id", "K1"],
        "holds no manifest (manifest.jsonl, or manifest-I-of-N.jsonl for shards)",
    );
    fails(&["--runs", s(&missing), "--id", "K1"], "does not exist");
    std::fs::create_dir_all(dir.join("empty/sub")).unwrap();
    fails(&["--runs", s(&dir.join("empty")), "--id", "K1"], "no run under");

    // A batch holding one folder: refused before anything is deleted, in that run or another.
    let other = hand_made_run(&dir, "other", &["K1"]);
    let held = billreel::batch::lock::RunLock::acquire(&out, "manifest.jsonl").unwrap();
    fails(
        &["--out", s(&other), "--out", s(&out), "--id", "K1"],
        &format!("a batch is writing it (process {} on host", std::process::id()),
    );
    for run in [&out, &other] {
        assert!(run.join("K1.mp4").exists() && manifest(run)["K1"].status == Status::Ok);
    }
    drop(held);

    // A file the store refuses (a hand-edited line naming a file outside the run): the others
    // go, the record keeps its line, the audit says which file failed, and the purge fails.
    let bad = hand_made_run(&dir, "bad", &["B1"]);
    let mut line = manifest(&bad)["B1"].clone();
    line.poster = Some("../escape.jpg".into());
    std::fs::write(bad.join("manifest.jsonl"), serde_json::to_string(&line).unwrap() + "\n").unwrap();
    std::fs::write(dir.join("escape.jpg"), b"not the run's").unwrap();
    let o = purge(&["--out", s(&bad), "--id", "B1"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(
        said.contains("not deleted: ../escape.jpg (`../escape.jpg` is not a file name inside the store"),
        "{said}"
    );
    assert!(
        said.contains(
            "some files could not be deleted (listed above); their records keep their manifest lines"
        ),
        "{said}"
    );
    assert!(dir.join("escape.jpg").exists() && !bad.join("B1.mp4").exists());
    assert_eq!(manifest(&bad)["B1"], line);
    let a = audit(&bad);
    assert_eq!((a.len(), &a[0]["marked_deleted"]), (1, &serde_json::json!(false)), "{a:?}");

    // Some ids found, some not: the others are listed, and the purge succeeds.
    let o = purge(&["--out", s(&out), "--id", "K1", "--id", "NOPE"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains(&format!("deleted K1 in {}: 1 files", out.display())), "{said}");
    assert!(said.contains("not found: NOPE (no line in the manifests of the 1 runs)"), "{said}");
    assert!(!out.join("K1.mp4").exists() && out.join("K2.mp4").exists());
}

/// The deleted line docs/operations.md shows is one purge writes: it reads back as a deleted
/// line and writes back to the same bytes.
#[test]
fn the_deleted_line_in_the_docs_is_a_manifest_line() {
    let doc = std::fs::read_to_string(repo().join("docs/operations.md")).unwrap();
    let section = &doc[doc.find("## Retention and deletion").expect("the section")..];
    let block = section.split("```json\n").nth(1).expect("a json block").split("```").next().unwrap();
    let shown = block.trim_end();
    let line: ManifestLine = serde_json::from_str(shown).unwrap();
    assert_eq!(line.status, Status::Deleted);
    assert!(line.deleted_at.is_some() && line.deleted_reason.is_some());
    assert!(billreel::purge::line_files(&line).is_empty());
    assert_eq!(serde_json::to_string(&line).unwrap(), shown);
}
