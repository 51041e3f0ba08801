//! Object storage: `batch --out s3://…` and `--data s3://…` against a real S3 server.
//!
//! The server is s3s-fs (the s3s project's S3 server over a folder, a dev-dependency pinned in
//! Cargo.lock), started in this process on 127.0.0.1 and a free port, with SigV4 credentials.
//! billreel runs as a user runs it, through the binary, with the AWS_* environment variables
//! pointing at the server. What it published is read back through the S3 API with
//! object_store's own client, not billreel's store code. A switch in the server's access check
//! refuses writes (PutObject and UploadPart with 503 SlowDown, the multipart start and
//! completion with 500 InternalError), for the store's fault test.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use billreel::batch::{ManifestLine, Status};
use billreel::store::Store;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{Attribute, GetOptions, ObjectStore, ObjectStoreExt, PutPayload};
use s3s::access::{S3Access, S3AccessContext};
use s3s::{s3_error, S3Result};
use sha2::{Digest, Sha256};

use crate::common::{fresh_dir, text};

pub(crate) const BUCKET: &str = "videos";
const KEY_ID: &str = "billreel-test";
const SECRET: &str = "billreel-test-secret";

/// Refuses uploads (PutObject, UploadPart) while `all` is set, and any write for the next `next`
/// writes; records every write it lets through.
#[derive(Default)]
struct Writes {
    all: AtomicBool,
    next: AtomicUsize,
    refused: AtomicUsize,
    /// `OperationName key` of each write the server let through.
    seen: Mutex<Vec<String>>,
}

struct Refusals(Arc<Writes>);

#[async_trait::async_trait]
impl S3Access for Refusals {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_none() {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        }
        let op = cx.s3_op().name();
        let write =
            matches!(op, "PutObject" | "UploadPart" | "CreateMultipartUpload" | "CompleteMultipartUpload");
        if !write {
            return Ok(());
        }
        let w = &self.0;
        let take_one = w.next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        let upload = matches!(op, "PutObject" | "UploadPart");
        if (upload && w.all.load(Ordering::SeqCst)) || take_one {
            w.refused.fetch_add(1, Ordering::SeqCst);
            return Err(match op {
                "PutObject" | "UploadPart" => s3_error!(SlowDown, "Please reduce your request rate."),
                _ => s3_error!(InternalError, "We encountered an internal error. Please try again."),
            });
        }
        let key = match cx.s3_path() {
            s3s::path::S3Path::Object { key, .. } => key.to_string(),
            _ => String::new(),
        };
        w.seen.lock().unwrap().push(format!("{op} {key}"));
        Ok(())
    }
}

/// An s3s-fs server on 127.0.0.1 with one bucket, [`BUCKET`].
pub(crate) struct S3Server {
    addr: SocketAddr,
    root: PathBuf,
    writes: Arc<Writes>,
    runtime: tokio::runtime::Runtime,
}

impl S3Server {
    pub(crate) fn start(dir: &Path) -> S3Server {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use hyper_util::server::conn::auto::Builder;

        let root = dir.join("s3");
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let writes = Arc::new(Writes::default());
        let mut b = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
        b.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
        b.set_access(Refusals(writes.clone()));
        let service = b.build();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        S3Server { addr, root, writes, runtime }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of our own, to read what billreel published.
    fn client(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_bucket_name(BUCKET)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .build()
            .unwrap()
    }

    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        let client = self.client();
        self.runtime.block_on(async {
            match client.get(&Key::from(key)).await {
                Ok(r) => Some(r.bytes().await.unwrap().to_vec()),
                Err(object_store::Error::NotFound { .. }) => None,
                Err(e) => panic!("GET {key}: {e}"),
            }
        })
    }

    pub(crate) fn put(&self, key: &str, bytes: &[u8]) {
        let client = self.client();
        self.runtime.block_on(client.put(&Key::from(key), PutPayload::from(bytes.to_vec()))).unwrap();
    }

    /// The object's headers: Content-Type, Cache-Control, x-amz-meta-sha256 and the ETag.
    pub(crate) fn head(&self, key: &str) -> [String; 4] {
        let client = self.client();
        let r = self
            .runtime
            .block_on(client.get_opts(&Key::from(key), GetOptions { head: true, ..Default::default() }))
            .unwrap_or_else(|e| panic!("HEAD {key}: {e}"));
        let attr = |a: Attribute| r.attributes.get(&a).map(|v| v.to_string()).unwrap_or_default();
        [
            attr(Attribute::ContentType),
            attr(Attribute::CacheControl),
            attr(Attribute::Metadata("sha256".into())),
            r.meta.e_tag.clone().unwrap_or_default(),
        ]
    }

    pub(crate) fn keys(&self, prefix: &str) -> Vec<String> {
        let client = self.client();
        self.runtime.block_on(async {
            use futures_util::StreamExt;
            let mut stream = client.list(Some(&Key::from(prefix)));
            let mut keys = Vec::new();
            while let Some(m) = stream.next().await {
                keys.push(m.unwrap().location.to_string());
            }
            keys.sort();
            keys
        })
    }

    /// Multipart uploads the server still holds (s3s-fs keeps one `.upload-ID.json` each).
    pub(crate) fn open_uploads(&self) -> Vec<String> {
        std::fs::read_dir(&self.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".upload"))
            .collect()
    }

    /// Points `cmd` at this server through the AWS_* variables, as a user's deployment does.
    pub(crate) fn aws_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for k in
            ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION"]
        {
            cmd.env_remove(k);
        }
        cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.endpoint())
    }

    fn seen_writes(&self) -> Vec<String> {
        std::mem::take(&mut *self.writes.seen.lock().unwrap())
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A quick storyboard (1 s at 320x180) with a poster, captions and a landing page, written in
/// `dir` (three levels under the repository, as common::HEADER expects).
fn storyboard(dir: &Path) -> PathBuf {
    let body = "page: { title: \"Your bill, {{ customer.first_name }}\" }\nscenes:\n  - id: hello\n    duration: 1s\n    caption: \"Hello {{ customer.first_name }}\"\n    layers:\n      - { type: text, text: \"Hello {{ customer.first_name }}\", x: 20, y: 20 }\n";
    PathBuf::from(crate::common::write(dir, "sb.yaml", &format!("{}{body}", crate::common::HEADER)))
}

/// Runs `billreel batch` on [`storyboard`] with the server's AWS_* variables.
pub(crate) fn batch(server: &S3Server, data: &str, out: &str, work: &Path) -> Output {
    let storyboard = storyboard(work.parent().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_billreel"));
    cmd.arg("batch").arg(storyboard).args(["--data", data, "--out", out, "--jobs", "2", "--guessable-links"]);
    cmd.arg("--work-dir").arg(work);
    server.aws_env(&mut cmd).output().unwrap()
}

pub(crate) fn lines(bytes: &[u8]) -> Vec<ManifestLine> {
    std::str::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A sample run of `n` customers, as JSON Lines.
pub(crate) fn sample_run(n: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    billreel::sample::write_run(&mut buf, n, 7).unwrap();
    buf
}

/// Each record's files by name, from its manifest line.
pub(crate) fn files(line: &ManifestLine) -> Vec<String> {
    let mut names: Vec<String> =
        [&line.video, &line.poster, &line.captions, &line.page].into_iter().flatten().cloned().collect();
    names.sort();
    names
}

/// A run published to the store: every file has its kind's headers and the SHA-256 of its
/// bytes, videos go up as multipart uploads, the manifest has one ok line per record, and the
/// billing data came from the store. A rerun uploads nothing but the manifest; an object
/// overwritten with other bytes is made again.
#[test]
fn a_batch_publishes_to_s3_and_resumes_by_checksum() {
    let dir = fresh_dir("test-scale", "store-publish");
    let server = S3Server::start(&dir);
    server.put("in/run.jsonl", &sample_run(3));
    let work = dir.join("work");
    let run = || batch(&server, "s3://videos/in/run.jsonl", "s3://videos/run1", &work);

    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("done: 3 ok, 0 skipped"), "{}", text(&o));
    let manifest = lines(&server.get("run1/manifest.jsonl").expect("the manifest is in the store"));
    assert_eq!(manifest.len(), 3);
    assert!(manifest.iter().all(|l| l.status == Status::Ok), "{manifest:?}");
    let expect = [
        ("mp4", "video/mp4", "public, max-age=86400"),
        ("jpg", "image/jpeg", "public, max-age=86400"),
        ("vtt", "text/vtt; charset=utf-8", "public, max-age=86400"),
        ("html", "text/html; charset=utf-8", "public, max-age=300, must-revalidate"),
    ];
    let mut published = BTreeMap::new();
    for line in &manifest {
        let names = files(line);
        assert_eq!(names.len(), 4, "video, poster, captions and page: {names:?}");
        for name in names {
            let key = format!("run1/{name}");
            let bytes = server.get(&key).unwrap_or_else(|| panic!("{key} was not published"));
            let [ctype, cache, sha, etag] = server.head(&key);
            let ext = name.rsplit_once('.').unwrap().1;
            let (_, want_type, want_cache) = expect.iter().find(|(e, _, _)| *e == ext).unwrap();
            assert_eq!((ctype.as_str(), cache.as_str()), (*want_type, *want_cache), "{key}");
            assert_eq!(sha, sha256(&bytes), "{key}: x-amz-meta-sha256 is the SHA-256 of its bytes");
            // A multipart upload's ETag ends in -PARTS; a single PUT's is the MD5.
            assert_eq!(etag.trim_matches('"').ends_with("-1"), ext == "mp4", "{key}: ETag {etag}");
            published.insert(key, bytes);
        }
        assert_eq!(
            line.sha256.as_deref(),
            Some(sha256(&published[&format!("run1/{}", line.video.as_ref().unwrap())]).as_str())
        );
    }
    let video = dir.join("a.mp4");
    std::fs::write(&video, published.iter().find(|(k, _)| k.ends_with(".mp4")).unwrap().1).unwrap();
    assert_eq!(crate::common::frames_at(&video, 10), 10, "the published video decodes to its 10 frames");
    let staged: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "manifest.jsonl")
        .collect();
    assert!(staged.is_empty(), "published files leave the staging folder: {staged:?}");
    assert!(server.open_uploads().is_empty());

    // A rerun checks each object with a HEAD and uploads nothing but the manifest.
    server.seen_writes();
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("done: 0 ok, 3 skipped"), "{}", text(&o));
    assert_eq!(server.seen_writes(), ["PutObject run1/manifest.jsonl"]);

    // An object replaced by other bytes (another tool's PUT, without billreel's checksum) is
    // made again, and only that record.
    let tampered = manifest[1].video.clone().unwrap();
    let key = format!("run1/{tampered}");
    server.put(&key, b"not a video");
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("done: 1 ok, 2 skipped"), "{}", text(&o));
    assert_eq!(server.get(&key).as_deref(), Some(published[&key].as_slice()), "the same bytes again");
    assert_eq!(server.head(&key)[2], sha256(&published[&key]));
    let manifest = lines(&server.get("run1/manifest.jsonl").unwrap());
    assert_eq!(manifest.len(), 3, "one line per record: {manifest:?}");
}

/// The store refusing writes: each record retries, then fails with a reason that names the
/// object and what the server said; nothing half-written is visible and no multipart upload is
/// left open. Refusals that stop while a record retries cost nothing; a rerun after the store
/// recovers completes the run.
#[test]
fn refused_writes_fail_records_clearly_and_a_rerun_completes_them() {
    let dir = fresh_dir("test-scale", "store-refusing");
    let server = S3Server::start(&dir);
    std::fs::write(dir.join("run.jsonl"), sample_run(2)).unwrap();
    let data = dir.join("run.jsonl").to_string_lossy().into_owned();
    let work = dir.join("work");

    server.writes.all.store(true, Ordering::SeqCst);
    let o = batch(&server, &data, "s3://videos/run2", &work);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    // The manifest could not be published either: the run says so, and keeps it locally.
    assert!(text(&o).contains("cannot upload `run2/manifest.jsonl` in bucket `videos`"), "{}", text(&o));
    let manifest = lines(&std::fs::read(work.join("manifest.jsonl")).unwrap());
    assert_eq!(manifest.len(), 2);
    for line in &manifest {
        let error = line.error.as_deref().unwrap_or_default();
        assert_eq!(line.status, Status::Failed, "{line:?}");
        assert!(error.contains("cannot upload `run2/") && error.contains("in bucket `videos`"), "{error}");
        assert!(error.contains("503") || error.contains("500"), "what the server said: {error}");
        assert!(error.contains("after 5 retries"), "{error}");
        assert!(line.video.is_none(), "a failed line names no file: {line:?}");
    }
    assert!(server.writes.refused.load(Ordering::SeqCst) >= 2 * 6, "each write tried 6 times");
    assert_eq!(server.keys("run2"), Vec::<String>::new(), "nothing under a final name");
    // Each video's multipart upload was started (only its parts were refused), then aborted.
    assert_eq!(server.seen_writes().iter().filter(|w| w.starts_with("CreateMultipartUpload")).count(), 2);
    assert_eq!(server.open_uploads(), Vec::<String>::new(), "failed multipart uploads are aborted");

    // A short outage: the next 3 writes are refused, the retries ride it out.
    server.writes.all.store(false, Ordering::SeqCst);
    server.writes.next.store(3, Ordering::SeqCst);
    let o = batch(&server, &data, "s3://videos/run2", &work);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("done: 2 ok, 0 skipped"), "{}", text(&o));
    assert_eq!(server.writes.next.load(Ordering::SeqCst), 0, "the refusals happened");
    let manifest = lines(&server.get("run2/manifest.jsonl").unwrap());
    assert!(manifest.len() == 2 && manifest.iter().all(|l| l.status == Status::Ok), "{manifest:?}");
    for line in &manifest {
        for name in files(line) {
            assert!(server.get(&format!("run2/{name}")).is_some(), "{name}");
        }
    }
    assert!(server.open_uploads().is_empty());
}

/// A file above the part size goes up in 8 MiB parts (S3's minimum is 5 MiB but for the last)
/// and reads back whole, through billreel's store API.
#[test]
fn a_big_file_goes_up_in_parts_and_reads_back_whole() {
    let dir = fresh_dir("test-scale", "store-parts");
    let server = S3Server::start(&dir);
    let endpoint = server.endpoint();
    let store = Store::open_with(
        "s3://videos/big",
        &[
            ("aws_endpoint", &endpoint),
            ("aws_access_key_id", KEY_ID),
            ("aws_secret_access_key", SECRET),
            ("aws_region", "us-east-1"),
        ],
    )
    .unwrap();
    // 12 MiB that do not compress: 8 + 4 MiB parts.
    let mut bytes = vec![0u8; 12 << 20];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for b in &mut bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let file = dir.join("big.mp4");
    std::fs::write(&file, &bytes).unwrap();
    let t = std::time::Instant::now();
    store.put_file("a/big.mp4", &file, "t").unwrap();
    let secs = t.elapsed().as_secs_f64();
    eprintln!("uploaded 12 MiB in {secs:.2}s ({:.0} MiB/s)", 12.0 / secs);
    let [ctype, _, sha, etag] = server.head("big/a/big.mp4");
    assert_eq!((ctype.as_str(), sha.as_str()), ("video/mp4", sha256(&bytes).as_str()));
    assert!(etag.trim_matches('"').ends_with("-2"), "two parts: {etag}");
    assert_eq!(server.get("big/a/big.mp4").map(|b| b.len()), Some(bytes.len()));
    let info = store.head("a/big.mp4").unwrap().unwrap();
    assert_eq!((info.size, info.sha256.as_deref()), (bytes.len() as u64, Some(sha.as_str())));
    assert_eq!(store.list("a/").unwrap().into_iter().map(|i| i.name).collect::<Vec<_>>(), ["a/big.mp4"]);
    assert_eq!(store.get("a/none.mp4").unwrap(), None);
    assert!(store.delete("a/big.mp4").unwrap());
    assert!(!store.delete("a/big.mp4").unwrap());
    assert_eq!(server.keys("big"), Vec::<String>::new());
}

/// Not a check: the upload rate of a folder of outputs (`make demo`'s out/, say) to the local
/// S3 server, for docs/BENCHMARKS.md. `BILLREEL_UPLOAD_BENCH_DIR=out cargo test --test scale
/// upload_rate -- --ignored --nocapture`.
#[test]
#[ignore]
fn upload_rate_of_a_folder_of_outputs() {
    let from = PathBuf::from(std::env::var("BILLREEL_UPLOAD_BENCH_DIR").expect("BILLREEL_UPLOAD_BENCH_DIR"));
    let dir = fresh_dir("test-scale", "store-upload-rate");
    let server = S3Server::start(&dir);
    let endpoint = server.endpoint();
    let options = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_access_key_id", KEY_ID),
        ("aws_secret_access_key", SECRET),
        ("aws_region", "us-east-1"),
    ];
    let store = Store::open_with("s3://videos/bench", &options).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    for videos_only in [true, false] {
        let (mut n, mut bytes) = (0u64, 0u64);
        let t = std::time::Instant::now();
        for f in files.iter().filter(|f| !videos_only || f.extension().is_some_and(|e| e == "mp4")) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            store.put_file(&name, f, "bench").unwrap();
            n += 1;
            bytes += std::fs::metadata(f).unwrap().len();
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "{}: {n} files, {:.1} MB in {s:.2}s: {:.1} MB/s, {:.1} files/s (one thread)",
            if videos_only { "videos (multipart)" } else { "all files" },
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / s,
            n as f64 / s
        );
    }
}
