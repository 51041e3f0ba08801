//! The work queue and purge on object storage: `worker --out s3://…` and `purge --out s3://…`
//! against the S3 server of `store` (s3s-fs in this process) and the redis-server of `queue`,
//! billreel run through its binary with the AWS_* variables pointing at the server. What it left
//! in the bucket is read back with object_store's own client.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use billreel::batch::{ManifestLine, Status};

use crate::common::{fresh_dir, text};
use crate::queue::{
    enqueue, exit_within, finished, run_file, wait_until, worker_command, RedisServer, SECRET,
};
use crate::store::{batch, files, lines, sample_run, sha256, S3Server};

/// Each file's Content-Type, by extension, as the store sets it.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("mp4") => "video/mp4",
        Some("jpg") => "image/jpeg",
        Some("vtt") => "text/vtt; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        other => panic!("a file billreel does not make: {name} ({other:?})"),
    }
}

/// Asserts `key` is in the bucket with its kind's Content-Type and the SHA-256 of its bytes in
/// its metadata; returns the bytes.
fn published(server: &S3Server, key: &str) -> Vec<u8> {
    let bytes = server.get(key).unwrap_or_else(|| panic!("{key} was not published"));
    let [ctype, _, sha, _] = server.head(key);
    assert_eq!(ctype, content_type(key), "{key}");
    assert_eq!(sha, sha256(&bytes), "{key}: x-amz-meta-sha256 is the SHA-256 of its bytes");
    bytes
}

/// Two workers publish a queued run to the bucket: each record's video is there with its
/// headers and checksum, the merged manifest has one ok line per record, and the bucket holds
/// exactly the records' files, their manifest objects and the merged manifest (nothing
/// temporary, no multipart upload left open); the workers' scratch folders are gone.
#[test]
fn workers_publish_a_queued_run_to_s3() {
    let dir = fresh_dir("test-scale", "remote-worker");
    let Some(redis) = RedisServer::start(&dir) else { return };
    let server = S3Server::start(&dir);
    let (url, n) = (redis.url(), 4);
    let o = enqueue(&url, &run_file(&dir, n, &[]), "s3run", SECRET);
    assert!(o.status.success(), "{}", text(&o));
    let logs = [dir.join("a.log"), dir.join("b.log")];
    let mut workers: Vec<_> = logs
        .iter()
        .map(|log| {
            server.aws_env(&mut worker_command(&url, "s3://videos/q".as_ref(), &dir, log)).spawn().unwrap()
        })
        .collect();
    let mut conn = redis.conn();
    wait_until("the run to finish", Duration::from_secs(60), || finished(&mut conn, "s3run"));
    for (w, log) in workers.iter_mut().zip(&logs) {
        let status = exit_within(w, Duration::from_secs(20));
        assert!(status.success(), "{}", std::fs::read_to_string(log).unwrap());
    }

    let manifest =
        lines(&server.get("q/s3run/manifest.jsonl").expect("the merged manifest is in the bucket"));
    let ids: Vec<_> = manifest.iter().map(|l| l.id.clone().unwrap()).collect();
    let want: Vec<_> = (1..=n).map(|k| format!("C{k:04}")).collect();
    assert_eq!(ids, want, "one line per record, in input order");
    let mut expected = BTreeSet::from(["q/s3run/manifest.jsonl".to_string()]);
    for line in &manifest {
        assert_eq!(line.status, Status::Ok, "{line:?}");
        let names = files(line);
        assert!(!names.is_empty(), "{line:?}");
        for name in names {
            let key = format!("q/s3run/{name}");
            let bytes = published(&server, &key);
            if line.video.as_ref() == Some(&name) {
                assert_eq!(line.sha256.as_deref(), Some(sha256(&bytes).as_str()), "{key}");
            }
            expected.insert(key);
        }
    }
    // The per-record manifest objects the merge read: one each, holding the record's line.
    let objects: Vec<_> = server.keys("q/s3run/manifest.d");
    assert_eq!(objects.len() as u64, n, "{objects:?}");
    let mut from_objects: Vec<ManifestLine> =
        objects.iter().flat_map(|k| lines(&server.get(k).unwrap())).collect();
    from_objects.sort_by_key(|l| l.line);
    assert_eq!(from_objects, manifest);
    expected.extend(objects);
    assert_eq!(server.keys("q").into_iter().collect::<BTreeSet<_>>(), expected, "nothing else in the bucket");
    assert!(server.open_uploads().is_empty(), "no multipart upload left open");
    let scratch: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("billreel-worker-"))
        .collect();
    assert!(scratch.is_empty(), "the workers removed their scratch folders: {scratch:?}");
}

/// A customer purged from a run in the bucket: its objects are gone and no other, its line
/// says deleted, an audit object lists what went, and a resumed batch leaves it deleted.
#[test]
fn purge_deletes_a_record_from_s3_and_a_resumed_batch_leaves_it_deleted() {
    let dir = fresh_dir("test-scale", "remote-purge");
    let server = S3Server::start(&dir);
    server.put("in/run.jsonl", &sample_run(3));
    let work = dir.join("work");
    let run = || batch(&server, "s3://videos/in/run.jsonl", "s3://videos/p1", &work);
    let o = run();
    assert!(o.status.success() && text(&o).contains("done: 3 ok"), "{}", text(&o));
    let before: BTreeMap<String, Vec<u8>> =
        server.keys("p1").into_iter().map(|k| (k.clone(), server.get(&k).unwrap())).collect();
    let lines_before = lines(&before["p1/manifest.jsonl"]);
    let gone = lines_before[1].clone();
    let id = gone.id.clone().unwrap();
    let theirs: BTreeSet<String> = files(&gone).iter().map(|f| format!("p1/{f}")).collect();
    assert_eq!(theirs.len(), 4, "video, poster, captions and page: {theirs:?}");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billreel"));
    cmd.args(["purge", "--out", "s3://videos/p1", "--id", &id, "--reason", "erasure request 9"]);
    let o = server.aws_env(&mut cmd).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("deleted {id} in s3://videos/p1: 4 files")), "{}", text(&o));

    let after = server.keys("p1");
    let audits: Vec<_> = after.iter().filter(|k| k.starts_with("p1/audit/")).cloned().collect();
    assert_eq!(audits.len(), 1, "one audit object: {after:?}");
    let rest: BTreeSet<_> = after.iter().filter(|k| !audits.contains(k)).cloned().collect();
    let kept: BTreeSet<_> = before.keys().filter(|k| !theirs.contains(*k)).cloned().collect();
    assert_eq!(rest, kept, "its objects are gone, and only those");
    for key in kept.iter().filter(|k| !k.ends_with("manifest.jsonl")) {
        assert_eq!(published(&server, key), before[key], "{key} is untouched");
    }
    let purged = server.get("p1/manifest.jsonl").unwrap();
    let lines_after = lines(&purged);
    assert_eq!(lines_after.len(), 3);
    for (now, was) in lines_after.iter().zip(&lines_before) {
        if now.id == gone.id {
            assert_eq!(now.status, Status::Deleted, "{now:?}");
            assert_eq!(now.deleted_reason.as_deref(), Some("erasure request 9"));
            assert!(
                files(now).is_empty() && now.video_url.is_none(),
                "a deleted line names no file: {now:?}"
            );
        } else {
            assert_eq!(now, was, "other records' lines are unchanged");
        }
    }
    let audit: Vec<serde_json::Value> = std::str::from_utf8(&server.get(&audits[0]).unwrap())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        (audit[0]["id"].as_str(), audit[0]["reason"].as_str()),
        (Some(id.as_str()), Some("erasure request 9"))
    );
    let listed: BTreeSet<String> = audit[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|f| assert_eq!(f["state"], "deleted", "{f}"))
        .map(|f| format!("p1/{}", f["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, theirs);

    // A resumed batch does not bring it back.
    let o = run();
    assert!(text(&o).contains("done: 0 ok, 2 skipped (already done), 0 failed, 1 purged"), "{}", text(&o));
    assert_eq!(server.keys("p1"), after, "nothing re-created");
    assert_eq!(server.get("p1/manifest.jsonl").unwrap(), purged, "the deleted line stays as it is");
}
