//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An empty folder for one test's files: target/<area>/<name>.
pub fn fresh_dir(area: &str, name: &str) -> PathBuf {
    let dir = repo().join("target").join(area).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// stdout and stderr together, as the user sees them.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Writes `body` to `dir/name` and gives the path as a command-line argument.
pub fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

/// The head of a small test storyboard written in a scratch folder three levels under the
/// repository (`target/<area>/<name>/`): a 320x180 video, the repository's assets, Inter.
pub const HEADER: &str = "video: { width: 320, height: 180, fps: 10 }\nassets: ../../../assets\nfonts: { body: fonts/Inter-Regular.otf }\n";

/// Runs the `billreel` binary.
pub fn billreel<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_billreel")).args(args).output().unwrap()
}

/// The demo storyboard and sample run, as command-line arguments for `record_id`.
pub fn demo_args(command: &str, record_id: &str) -> Vec<String> {
    vec![
        command.to_string(),
        repo().join("scenes/bill-explainer.yaml").to_string_lossy().into_owned(),
        "--data".into(),
        repo().join("scenes/sample-billing-run.jsonl").to_string_lossy().into_owned(),
        "--id".into(),
        record_id.into(),
    ]
}

/// Runs ffprobe on the first video stream and returns its `key=value` lines.
pub fn ffprobe(file: &Path, entries: &str) -> String {
    probe(file, &["-count_frames", "-select_streams", "v:0"], entries)
}

/// Runs ffprobe on the first audio stream and returns its `key=value` lines.
pub fn ffprobe_audio(file: &Path, entries: &str) -> String {
    probe(file, &["-select_streams", "a:0"], entries)
}

fn probe(file: &Path, select: &[&str], entries: &str) -> String {
    let o = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(select)
        .args(["-show_entries", entries, "-of", "default=nw=1"])
        .arg(file)
        .output()
        .expect("ffprobe must be installed (scripts/install-deps.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// How many frames the video shows at its nominal frame rate `fps` (a held picture stored as
/// one long sample counts for every frame it covers), decoded by ffmpeg.
pub fn frames_at(file: &Path, fps: u32) -> usize {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-vf", &format!("fps={fps}"), "-f", "framecrc", "-"])
        .output()
        .expect("ffmpeg must be installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().filter(|l| !l.starts_with('#')).count()
}

/// Decodes every frame (at `fps`, so a held picture stored as one long sample gives every
/// frame it covers) to YUV 4:2:0 with the ffmpeg CLI and converts it to RGB with the BT.709
/// limited-range equations: an independent check of our colour conversion and tags.
pub fn decode_rgb(file: &Path, w: usize, h: usize, fps: u32) -> Vec<Vec<[f32; 3]>> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-vf", &format!("fps={fps}"), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let frame_len = w * h * 3 / 2;
    o.stdout
        .chunks_exact(frame_len)
        .map(|f| {
            let (y, uv) = f.split_at(w * h);
            let (u, v) = uv.split_at(w * h / 4);
            let mut px = Vec::with_capacity(w * h);
            for row in 0..h {
                for col in 0..w {
                    let yy = y[row * w + col] as f32 - 16.0;
                    let ci = (row / 2) * (w / 2) + col / 2;
                    let (cb, cr) = (u[ci] as f32 - 128.0, v[ci] as f32 - 128.0);
                    px.push([
                        1.164 * yy + 1.793 * cr,
                        1.164 * yy - 0.213 * cb - 0.533 * cr,
                        1.164 * yy + 2.112 * cb,
                    ]);
                }
            }
            px
        })
        .collect()
}

/// One `key=value` field of ffprobe's output.
pub fn field<'a>(probe: &'a str, key: &str) -> &'a str {
    probe
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {probe}"))
}

/// Serves `dir` over HTTP on 127.0.0.1 (a free port) from a background thread, with byte
/// ranges, which browsers need to seek in a video. Returns the base URL.
pub fn serve(dir: &Path) -> String {
    serve_with_reports(dir).0
}

/// [`serve`], plus a `POST /report` route: each body posted there comes out of the receiver.
/// A page says what it saw when it has seen it, so a test waits on real events, not on a
/// guess of how long the browser needs.
pub fn serve_with_reports(dir: &Path) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = dir.to_path_buf();
    let (reports, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            let reports = reports.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut range: Option<(u64, Option<u64>)> = None;
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                        let h = h.to_ascii_lowercase();
                        if let Some(v) = h.strip_prefix("range: bytes=") {
                            let (a, b) = v.trim().split_once('-').unwrap_or(("0", ""));
                            range = Some((a.parse().unwrap_or(0), b.parse().ok()));
                        }
                        if let Some(v) = h.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    if request.starts_with("POST /report") {
                        let mut body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        let _ = reports.send(String::from_utf8_lossy(&body).into_owned());
                        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
                        continue;
                    }
                    let path = request.split_whitespace().nth(1).unwrap_or("/");
                    let path = path.split(['?', '#']).next().unwrap().trim_start_matches('/');
                    let file = dir.join(path);
                    let Ok(body) = std::fs::read(&file).map_err(|_| ()).and_then(|b| {
                        if path.contains("..") {
                            Err(())
                        } else {
                            Ok(b)
                        }
                    }) else {
                        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                        continue;
                    };
                    let kind = match file.extension().and_then(|e| e.to_str()) {
                        Some("html") => "text/html; charset=utf-8",
                        Some("mp4") => "video/mp4",
                        Some("vtt") => "text/vtt; charset=utf-8",
                        Some("jpg") => "image/jpeg",
                        Some("gif") => "image/gif",
                        _ => "application/octet-stream",
                    };
                    let len = body.len() as u64;
                    let (status, start, end) = match range {
                        Some((a, b)) if a < len => {
                            ("206 Partial Content", a, b.unwrap_or(len - 1).min(len - 1))
                        }
                        _ => ("200 OK", 0, len.saturating_sub(1)),
                    };
                    let part = if len == 0 { &body[..] } else { &body[start as usize..=end as usize] };
                    let mut head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n",
                        part.len()
                    );
                    if status.starts_with("206") {
                        head.push_str(&format!("Content-Range: bytes {start}-{end}/{len}\r\n"));
                    }
                    head.push_str("\r\n");
                    if stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(part)).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), received)
}

/// Whether the tests run under CI: the environment variable `CI` is set, to anything but an
/// empty string, `0` or `false`. Under CI a test never skips itself and never rewrites its
/// references.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| {
        !matches!(v.to_string_lossy().trim().to_ascii_lowercase().as_str(), "" | "0" | "false")
    })
}

/// Debian's chromium. Where it is absent: under CI (see [`in_ci`]) the test fails, because
/// scripts/install-deps.sh makes chromium a required package there and a browser test that
/// skips itself proves nothing; elsewhere None, after saying that the test is skipped and how
/// to install chromium.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            !in_ci(),
            "CI is set, and there is no chromium (nor chromium-browser, nor google-chrome) on PATH: \
             under CI the browser tests must run, not skip. scripts/install-deps.sh installs \
             Debian's `chromium` as a required package when CI is set (`make test` runs it first)"
        );
        eprintln!("SKIPPED: no chromium here (scripts/install-deps.sh installs Debian's `chromium`)");
    }
    found
}

/// Whether to regenerate reference images instead of comparing with them: `MAKE_REF` is set.
/// Refused under CI (see [`in_ci`]): there, regenerating would turn every comparison into a
/// pass.
pub fn make_ref() -> bool {
    let wanted = std::env::var_os("MAKE_REF").is_some();
    assert!(
        !(wanted && in_ci()),
        "MAKE_REF is set and so is CI: reference images are never regenerated under CI, where that \
         would make every comparison pass. Unset MAKE_REF (or run `MAKE_REF=1 cargo test --test \
         reference` on your machine, look at the new PNGs and commit them)"
    );
    wanted
}

/// Debian's chromium, if installed.
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let o = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().ok()?;
        o.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    })
}

/// Opens `url` in headless chromium in real time (no virtual clock: media decoding runs on
/// its own threads and a virtual clock can run ahead of it) and returns the first report the
/// page posts to `reports` (see [`serve_with_reports`]). Panics after `limit` with no report.
pub fn headless_report(
    chromium: &Path,
    url: &str,
    reports: &std::sync::mpsc::Receiver<String>,
    limit: std::time::Duration,
) -> String {
    headless_report_with(chromium, url, reports, limit, &[])
}

/// [`headless_report`] with `extra` flags for chromium (e.g. `--window-size=390,844`).
pub fn headless_report_with(
    chromium: &Path,
    url: &str,
    reports: &std::sync::mpsc::Receiver<String>,
    limit: std::time::Duration,
    extra: &[&str],
) -> String {
    use std::os::unix::process::CommandExt;
    // One profile per browser: two tests of a file run at once, and chromium hands a second
    // start with the same profile to the first one.
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = std::env::temp_dir().join(format!("billreel-chromium-{}-{n}", std::process::id()));
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--mute-audio"])
        .args(["--autoplay-policy=no-user-gesture-required", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Its own process group, so that the renderer and GPU processes go with it.
        .process_group(0)
        .spawn()
        .unwrap();
    let report = reports.recv_timeout(limit);
    // SAFETY: kill(2) on the process group this test started; no memory is touched.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&profile);
    report.unwrap_or_else(|_| panic!("the page at {url} reported nothing within {limit:?}"))
}

/// Runs headless chromium on `url` with `extra` flags; returns stdout (e.g. the DOM).
pub fn headless(chromium: &Path, url: &str, extra: &[&str]) -> String {
    let o = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--mute-audio", "--virtual-time-budget=10000"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Log lines captured in memory: a `tracing_subscriber` writer (`.with_writer(move ||
/// buffer.clone())`) whose clones share one buffer.
#[derive(Clone, Default)]
pub struct LogBuffer(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    /// What has been written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `n` records of the demo's sample run, from line `skip` on, written as `dir/run.jsonl`.
pub fn demo_records(dir: &Path, skip: usize, n: usize) -> PathBuf {
    let all = std::fs::read_to_string(repo().join("scenes/sample-billing-run.jsonl")).unwrap();
    let lines: Vec<&str> = all.lines().skip(skip).take(n).collect();
    let data = dir.join("run.jsonl");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    data
}

/// Copies the demo's translations (scenes/translations/<lang>/*.ftl) and the parts it includes
/// (scenes/parts/) into `dir`, for a test that writes a variant of the demo storyboard into
/// `dir`: both are read next to the storyboard and must stay inside its folder.
pub fn copy_demo_translations(dir: &Path) {
    for folder in ["translations", "parts"] {
        copy_tree(&repo().join("scenes").join(folder), &dir.join(folder));
    }
}

/// Copies the files of `from` (and of its folders) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, dest).unwrap();
        }
    }
}

/// The head the docs' snippets are loaded under: a 1280x720 video and the Inter faces.
pub const SNIPPET_HEADER: &str = "video: { width: 1280, height: 720, fps: 30 }\nfonts: { body: fonts/Inter-Regular.otf, bold: fonts/Inter-Bold.otf, semibold: fonts/Inter-SemiBold.otf }\n";

/// A ```yaml block of the docs as a whole storyboard: a block that is one already stays as it
/// is; a scene, a layer or top-level keys get [`SNIPPET_HEADER`] (and a scene) they need. None
/// for blocks that load only with files beside them: a file of a several-file example (`#
/// parts/pay.yaml: ...`) and a storyboard with `translations:` (their own tests load those).
pub fn snippet_storyboard(block: &str) -> Option<String> {
    if block.lines().next().is_some_and(|l| l.starts_with("# ") && l.contains(".yaml: ")) {
        return None;
    }
    if block.contains("\ntranslations:") {
        return None;
    }
    let header = SNIPPET_HEADER;
    let indented: String = block.lines().map(|l| format!("      {l}\n")).collect();
    Some(if block.lines().any(|l| l.starts_with("video:")) || block.starts_with("formats:") {
        // A whole storyboard (one in several formats has its own `video` too).
        block.to_string()
    } else if block.starts_with("- id:") {
        format!("{header}scenes:\n{}", block.lines().map(|l| format!("  {l}\n")).collect::<String>())
    } else if block.starts_with("- ") {
        format!("{header}scenes:\n  - id: s\n    duration: 3s\n    layers:\n{indented}")
    } else if block.contains("\nscenes:") || block.starts_with("scenes:") {
        // Top-level keys with their own scenes.
        format!("{header}{block}")
    } else {
        // Top-level keys only: add a scene for them to refer to.
        format!("{header}{block}scenes:\n  - {{ id: pay, duration: 5s }}\n")
    })
}
