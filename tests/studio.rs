//! `billreel studio`: the binary started as an author starts it, then asked over HTTP (frames,
//! customers, problems, reloads, what it refuses) and driven in headless Chromium over the
//! DevTools protocol (pick a customer, scrub, edit the YAML, break it).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{billreel, repo};
use serde_json::Value;

/// A running studio, stopped when dropped.
struct Studio {
    child: Child,
    base: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Studio {
    fn start(storyboard: &Path, data: &Path, extra: &[&str]) -> Studio {
        let mut child = Command::new(env!("CARGO_BIN_EXE_billreel"))
            .arg("studio")
            .arg(storyboard)
            .arg("--data")
            .arg(data)
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in the studio's first line: {first:?}"))
            .trim_end_matches('/')
            .to_string();
        Studio { child, base, stderr }
    }

    fn demo() -> Studio {
        Studio::start(
            &repo().join("scenes/bill-explainer.yaml"),
            &repo().join("scenes/sample-billing-run.jsonl"),
            &[],
        )
    }

    fn get(&self, path: &str) -> Reply {
        request("GET", &format!("{}{path}", self.base), None)
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        serde_json::from_slice(&r.body).unwrap()
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request with `Connection: close` (`host` overrides the Host header).
fn request(method: &str, url: &str, host: Option<&str>) -> Reply {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) =
        rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut s = TcpStream::connect(authority).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let length = if method == "GET" { "" } else { "Content-Length: 0\r\n" };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\n{length}Connection: close\r\n\r\n",
        host.unwrap_or(authority)
    )
    .unwrap();
    // Read to the end of the body: its Content-Length when given (Chromium's DevTools server
    // keeps the connection open whatever it is asked), else the connection's end.
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let (split, length) = loop {
        let n = s.read(&mut buf).unwrap();
        raw.extend_from_slice(&buf[..n]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            break (split, length);
        }
        assert!(n > 0, "the connection closed before the headers");
    };
    match length {
        Some(len) => {
            while raw.len() < split + 4 + len {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "the connection closed before the body's end");
                raw.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            s.read_to_end(&mut raw).unwrap();
        }
    }
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = unchunk(&body);
    }
    Reply { status, headers, body }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 4 + size..];
    }
}

/// `billreel preview --at` of one record, decoded.
fn preview_at(storyboard: &Path, data: &Path, id: &str, at: &str, out: &Path) -> image::RgbaImage {
    let o = billreel([
        "preview".as_ref(),
        storyboard.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
        "--id".as_ref(),
        id.as_ref(),
        "--at".as_ref(),
        at.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", common::text(&o));
    image::open(out).unwrap().to_rgba8()
}

/// Mean absolute difference per channel (RGB), and the largest one.
fn difference(a: &image::RgbaImage, b: &image::RgbaImage) -> (f64, u8) {
    assert_eq!(a.dimensions(), b.dimensions());
    let (mut sum, mut max) = (0u64, 0u8);
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            let d = p.0[c].abs_diff(q.0[c]);
            sum += d as u64;
            max = max.max(d);
        }
    }
    (sum as f64 / (a.width() * a.height() * 3) as f64, max)
}

const DEMO_Q: &str = "storyboard=bill-explainer.yaml&id=C0003";

#[test]
fn a_frame_is_the_frame_preview_at_draws() {
    let studio = Studio::demo();
    let dir = common::fresh_dir("studio", "frame");
    let sb = repo().join("scenes/bill-explainer.yaml");
    let data = repo().join("scenes/sample-billing-run.jsonl");
    for at in ["7.5", "14.2"] {
        let expected = preview_at(&sb, &data, "C0003", &format!("{at}s"), &dir.join(format!("{at}.png")));
        let png = studio.get(&format!("/api/frame?{DEMO_Q}&t={at}&type=png"));
        assert_eq!(png.status, 200, "{}", png.text());
        assert!(png.headers.contains("image/png"), "{}", png.headers);
        let shown = image::load_from_memory(&png.body).unwrap().to_rgba8();
        // The same renderer on the same graph: the same pixels (1 of slack per channel).
        let (mean, max) = difference(&shown, &expected);
        assert!(max <= 1, "PNG at {at}s differs from preview --at by up to {max} (mean {mean:.3})");
        let jpeg = studio.get(&format!("/api/frame?{DEMO_Q}&t={at}"));
        assert!(jpeg.headers.contains("image/jpeg"), "{}", jpeg.headers);
        let (mean, _) = difference(&image::load_from_memory(&jpeg.body).unwrap().to_rgba8(), &expected);
        assert!(mean < 2.0, "JPEG at {at}s is {mean:.2} from preview --at on average");
    }
    // A time past the end says so, with the video's length.
    let late = studio.get(&format!("/api/frame?{DEMO_Q}&t=999"));
    assert_eq!(late.status, 422);
    assert!(late.text().contains("past the end of this record's video"), "{}", late.text());
}

#[test]
fn customers_are_searched_by_id_and_name() {
    let studio = Studio::demo();
    let found = studio.json("/api/customers?q=olivia");
    let ids: Vec<&str> =
        found["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["C0001", "C0019"], "{found}");
    assert_eq!(found["total"], 29);
    let by_id = studio.json("/api/customers?q=c000");
    assert_eq!(by_id["customers"][0]["id"], "C0001");
    assert_eq!(by_id["customers"].as_array().unwrap().len(), 9, "{by_id}");
    let state = studio.json("/api/state?storyboard=bill-explainer.yaml&id=C0002");
    assert_eq!(state["renders"], true);
    let scenes: Vec<&str> =
        state["scenes"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(scenes.first(), Some(&"brand"));
    assert!(state["captions"].as_array().unwrap().len() >= 5, "{state}");
    assert_eq!(studio.get("/api/state?storyboard=bill-explainer.yaml&id=NOPE").status, 404);
    // Only the folder's storyboards can be named.
    assert_eq!(studio.get("/api/state?storyboard=../Cargo.toml&id=C0002").status, 404);
}

/// A small storyboard in its own folder (three levels under the repository, so `assets` is
/// the repository's), with one customer.
fn small(name: &str, body: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = common::fresh_dir("studio", name);
    let sb = dir.join("sb.yaml");
    std::fs::write(&sb, body).unwrap();
    let data = dir.join("data.jsonl");
    std::fs::write(&data, "{\"id\":\"A1\",\"customer\":{\"first_name\":\"Ada\",\"last_name\":\"Byron\"}}\n")
        .unwrap();
    (dir, sb, data)
}

fn small_yaml(background: &str, text: &str) -> String {
    format!(
        "video: {{ width: 320, height: 180, fps: 10, background: \"{background}\" }}\n\
         assets: ../../../assets\n\
         fonts: {{ body: fonts/Inter-Regular.otf }}\n\
         scenes:\n\
         \x20 - id: one\n\
         \x20   duration: 2s\n\
         \x20   layers:\n\
         \x20     - {{ type: text, text: \"{text}\", x: 10, y: 10, size: 20 }}\n"
    )
}

const SMALL_Q: &str = "storyboard=sb.yaml&id=A1";

#[test]
fn a_record_problem_comes_with_its_yaml_line() {
    let (_, sb, data) = small("problem", &small_yaml("#102030", "Hi {{ customer.nickname }}"));
    let studio = Studio::start(&sb, &data, &[]);
    let state = studio.json(&format!("/api/state?{SMALL_Q}"));
    assert_eq!(state["renders"], false, "{state}");
    let p = &state["problems"][0];
    assert_eq!(p["severity"], "error", "{state}");
    assert_eq!(p["line"], 8, "{state}");
    assert!(p["message"].as_str().unwrap().contains("customer.nickname"), "{state}");
    assert!(p["excerpt"].as_str().unwrap().contains("{{ customer.nickname }}"), "{state}");
    assert_eq!(studio.get(&format!("/api/frame?{SMALL_Q}&t=1")).status, 422);
}

/// Reads server-sent events from the studio until one named `reload`; its data.
fn next_reload(events: &mut BufReader<TcpStream>) -> String {
    let mut named = false;
    loop {
        let mut line = String::new();
        assert!(events.read_line(&mut line).unwrap() > 0, "the event stream closed");
        if line.starts_with("event: reload") {
            named = true;
        } else if let (true, Some(d)) = (named, line.strip_prefix("data: ")) {
            return d.trim().to_string();
        }
    }
}

fn open_events(studio: &Studio) -> BufReader<TcpStream> {
    let authority = studio.base.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(authority).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /api/events HTTP/1.1\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    assert!(status.contains("200"), "{status}");
    r
}

fn pixel(png: &[u8], x: u32, y: u32) -> [u8; 4] {
    image::load_from_memory(png).unwrap().to_rgba8().get_pixel(x, y).0
}

#[test]
fn saving_the_yaml_reloads_within_a_second_and_a_broken_one_shows_its_line() {
    let (_, sb, data) = small("reload", &small_yaml("#102030", "Hi {{ customer.first_name }}"));
    let studio = Studio::start(&sb, &data, &[]);
    let before = studio.get(&format!("/api/frame?{SMALL_Q}&t=1&type=png"));
    assert_eq!(pixel(&before.body, 300, 170), [0x10, 0x20, 0x30, 255]);
    let mut events = open_events(&studio);
    std::thread::sleep(Duration::from_millis(300)); // the subscription is made
    let saved = Instant::now();
    std::fs::write(&sb, small_yaml("#c03020", "Hi {{ customer.first_name }}")).unwrap();
    let version = next_reload(&mut events);
    let took = saved.elapsed();
    assert!(took < Duration::from_secs(1), "the reload came {took:?} after the save");
    eprintln!("reload pushed {took:?} after the save");
    assert_eq!(studio.json(&format!("/api/state?{SMALL_Q}"))["version"].to_string(), version);
    let after = studio.get(&format!("/api/frame?{SMALL_Q}&t=1&type=png"));
    assert_eq!(pixel(&after.body, 300, 170), [0xc0, 0x30, 0x20, 255], "the frame after the save");

    // Broken: a mapping never closed on line 1.
    std::fs::write(&sb, small_yaml("#c03020", "x").replacen(" }\n", "\n", 1)).unwrap();
    next_reload(&mut events);
    let state = studio.json(&format!("/api/state?{SMALL_Q}"));
    assert_eq!(state["storyboard_loads"], false, "{state}");
    let p = &state["problems"][0];
    assert!(p["file"].as_str().unwrap().ends_with("sb.yaml"), "{state}");
    assert!(p["line"].as_u64().is_some_and(|l| (1..=3).contains(&l)), "{state}");
    let frame = studio.get(&format!("/api/frame?{SMALL_Q}&t=1"));
    assert_eq!(frame.status, 422, "{}", frame.text());

    // A change of the data file reloads too, and its new customers can be found.
    std::fs::write(&sb, small_yaml("#102030", "Hi")).unwrap();
    next_reload(&mut events);
    std::fs::write(&data, "{\"id\":\"A1\"}\n{\"id\":\"B2\",\"name\":\"Grace Hopper\"}\n").unwrap();
    next_reload(&mut events);
    assert_eq!(studio.json("/api/customers?q=hopper")["customers"][0]["id"], "B2");
}

#[test]
fn it_writes_nothing_and_answers_only_loopback() {
    let (_, sb, data) = small("read-only", &small_yaml("#102030", "Hi"));
    let before = std::fs::read(&sb).unwrap();
    let studio = Studio::start(&sb, &data, &[]);
    assert!(studio.base.starts_with("http://127.0.0.1:"), "{}", studio.base);
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        for path in ["/", "/api/state", "/api/frame", "/api/customers", "/page/sb.yaml/-/A1/index.html"] {
            let r = request(method, &format!("{}{path}", studio.base), None);
            assert_eq!(r.status, 405, "{method} {path}: {}", r.text());
        }
    }
    assert_eq!(std::fs::read(&sb).unwrap(), before);
    // A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) is refused.
    let r = request("GET", &format!("{}/api/customers", studio.base), Some("evil.example"));
    assert_eq!(r.status, 421);
    // Not reachable on the machine's other addresses.
    let port = studio.base.rsplit(':').next().unwrap();
    if let Some(ip) = outward_ip() {
        assert!(TcpStream::connect_timeout(&format!("{ip}:{port}").parse().unwrap(), Duration::from_secs(2))
            .is_err());
    }
    // --listen elsewhere is allowed, with a warning.
    let open = Studio::start(&sb, &data, &["--listen", "0.0.0.0"]);
    let warning = open.stderr.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(warning.contains("not a loopback address"), "{warning}");
}

/// The machine's address towards the outside, when it has one (no packet is sent).
fn outward_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[test]
fn the_landing_page_and_the_preview_video_are_served() {
    let studio = Studio::demo();
    let page = studio.get("/page/bill-explainer.yaml/-/C0003/index.html");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<video") && page.text().contains("video.mp4"), "{}", page.text());
    let poster = studio.get("/page/bill-explainer.yaml/-/C0003/poster.jpg");
    assert!(poster.headers.contains("image/jpeg"));
    let started = Instant::now();
    let ready = loop {
        let s = studio.json(&format!("/api/video?{DEMO_Q}"));
        if s["status"] != "rendering" {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "no preview video after 4 minutes");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(ready["status"], "ready", "{ready}");
    let file = ready["file"].as_str().unwrap();
    let part = request("GET", &format!("{}/api/video/{file}", studio.base), None);
    assert!(part.body.len() > 10_000 && part.body[4..8] == *b"ftyp", "{}", part.headers);
    assert_eq!(studio.get("/api/video/..%2FCargo.toml").status, 404);
}

/// Headless Chromium driven over the DevTools protocol: one page, commands answered in order.
struct Browser {
    child: Child,
    ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
    profile: PathBuf,
}

impl Browser {
    fn start(chromium: &Path, width: u32, height: u32) -> Browser {
        use std::os::unix::process::CommandExt;
        let profile = std::env::temp_dir().join(format!("billreel-chromium-studio-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut child = Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--mute-audio", "--no-first-run"])
            .args(["--remote-debugging-port=0", "--hide-scrollbars"])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group, so its renderer and GPU processes go with it.
            .process_group(0)
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let browser_ws = loop {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "chromium ended without a DevTools address");
            if let Some(url) = line.trim().strip_prefix("DevTools listening on ") {
                break url.to_string();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        let authority = browser_ws.strip_prefix("ws://").unwrap().split('/').next().unwrap().to_string();
        let targets: Value =
            serde_json::from_slice(&request("GET", &format!("http://{authority}/json/list"), None).body)
                .unwrap();
        let page = targets.as_array().unwrap().iter().find(|t| t["type"] == "page").expect("a page target");
        let (ws, _) = tungstenite::connect(page["webSocketDebuggerUrl"].as_str().unwrap()).unwrap();
        Browser { child, ws, next_id: 0, profile }
    }

    /// Sends a command and returns its result (events in between are dropped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = serde_json::json!({ "id": id, "method": method, "params": params });
        self.ws.send(tungstenite::Message::text(msg.to_string())).unwrap();
        loop {
            let m = self.ws.read().unwrap();
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates `expr` in the page (awaiting a promise) and returns its value.
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expr, "awaitPromise": true, "returnByValue": true }),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is truthy in the page; its value.
    fn wait_for(&mut self, what: &str, expr: &str, limit: Duration) -> Value {
        let started = Instant::now();
        // While the page loads, what it asks about may not exist yet.
        let guarded = format!("(() => {{ try {{ return ({expr}); }} catch (e) {{ return null; }} }})()");
        loop {
            let v = self.eval(&guarded);
            if !(v.is_null() || v == false || v == "") {
                return v;
            }
            assert!(started.elapsed() < limit, "waited {limit:?} for {what} ({expr})");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn key(&mut self, key: &str, code: u32) {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                serde_json::json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code }),
            );
        }
    }

    /// The picture the page's frame element shows, decoded by the browser.
    fn shown_frame(&mut self) -> image::RgbaImage {
        let url = self.eval(
            "(() => { const i = document.getElementById('frame'); const c = document.createElement('canvas'); \
             c.width = i.naturalWidth; c.height = i.naturalHeight; c.getContext('2d').drawImage(i, 0, 0); \
             return c.toDataURL('image/png'); })()",
        );
        let b64 = url.as_str().unwrap().strip_prefix("data:image/png;base64,").unwrap();
        image::load_from_memory(&base64(b64)).unwrap().to_rgba8()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this test started; no memory is touched.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &v)| n | (v as u32) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// The time the page shows (its `data-shown`: `version@seconds`), once it shows a frame of a
/// version other than `not`.
fn shown(b: &mut Browser, not: &str) -> (String, String) {
    let expr = format!(
        "(document.body.dataset.shown || '').split('@')[0] !== '{not}' && document.body.dataset.shown"
    );
    let v = b.wait_for("a frame on screen", &expr, Duration::from_secs(60));
    let (version, t) = v.as_str().unwrap().split_once('@').unwrap();
    (version.to_string(), t.to_string())
}

#[test]
fn an_author_picks_scrubs_edits_and_breaks_in_chromium() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let dir = common::fresh_dir("studio", "chromium");
    let yaml = std::fs::read_to_string(repo().join("scenes/bill-explainer.yaml")).unwrap();
    let assets = repo().join("assets");
    let yaml = yaml.replacen("assets: ../assets", &format!("assets: {}", assets.display()), 1);
    let sb = dir.join("bill-explainer.yaml");
    std::fs::write(&sb, &yaml).unwrap();
    common::copy_demo_translations(&dir);
    let data = dir.join("run.jsonl");
    std::fs::copy(repo().join("scenes/sample-billing-run.jsonl"), &data).unwrap();
    let studio = Studio::start(&sb, &data, &[]);
    // `preview --at` writes outside the watched folder: a file written there is a reload.
    let out = common::fresh_dir("studio", "chromium-out");
    let mut b = Browser::start(&chromium, 1500, 900);
    b.call("Page.navigate", serde_json::json!({ "url": format!("{}/", studio.base) }));
    shown(&mut b, "");

    // Search by name, then pick the customer found.
    b.eval("(() => { const c = document.getElementById('customer'); c.value = 'okafor'; c.dispatchEvent(new Event('input')); })()");
    b.wait_for(
        "the search's answer",
        "[...document.querySelectorAll('#customers option')].map(o => o.value).join(',') === 'C0007'",
        Duration::from_secs(10),
    );
    b.eval("(() => { const c = document.getElementById('customer'); c.value = 'C0007'; c.dispatchEvent(new Event('change')); delete document.body.dataset.shown; })()");
    shown(&mut b, "");
    let scenes = b.eval("document.querySelectorAll('#scenes span').length");
    assert!(scenes.as_u64().unwrap() >= 5, "scene boundaries on the timeline: {scenes}");

    // Scrub: the slider to 12 s, then three frames on with the arrow key.
    b.eval("(() => { const s = document.getElementById('scrub'); s.value = 12; s.dispatchEvent(new Event('input')); s.focus(); })()");
    for _ in 0..3 {
        b.key("ArrowRight", 39);
    }
    let t = b.wait_for(
        "the scrubbed frame",
        "(() => { const s = (document.body.dataset.shown || '').split('@')[1]; return Number(s) > 12.05 && s; })()",
        Duration::from_secs(30),
    );
    // Let any frame still in flight land, then read what is shown.
    std::thread::sleep(Duration::from_millis(500));
    let (v1, t_shown) = shown(&mut b, "");
    assert_eq!(t.as_str().unwrap(), t_shown, "the last frame asked is the one shown");
    let expected = preview_at(&sb, &data, "C0007", &format!("{t_shown}s"), &out.join("scrubbed.png"));
    let (mean, _) = difference(&b.shown_frame(), &expected);
    assert!(mean < 2.0, "the frame shown at {t_shown}s is {mean:.2} from preview --at on average");
    if let Some(out) = std::env::var_os("STUDIO_SCREENSHOT") {
        b.wait_for(
            "the page beside",
            "document.getElementById('page').contentDocument?.readyState === 'complete'",
            Duration::from_secs(20),
        );
        b.eval("window.scrollTo(0, 0)");
        let shot = b.call("Page.captureScreenshot", serde_json::json!({ "format": "png" }));
        std::fs::write(out, base64(shot["data"].as_str().unwrap())).unwrap();
    }

    // Edit the YAML on disk: the background turns red, and the page shows the new frame.
    let red = yaml.replacen("stops: [\"#0b1f3a\", \"#123a63\"]", "stops: [\"#5a1010\", \"#7a2020\"]", 1);
    assert_ne!(red, yaml);
    std::fs::write(&sb, &red).unwrap();
    let (_, t2) = shown(&mut b, &v1);
    assert_eq!(t2, t_shown, "the reload keeps the time");
    let expected = preview_at(&sb, &data, "C0007", &format!("{t2}s"), &out.join("edited.png"));
    let (mean, _) = difference(&b.shown_frame(), &expected);
    assert!(mean < 2.0, "after the edit the frame is {mean:.2} from preview --at on average");
    let status = b.eval("document.getElementById('status').textContent");
    assert!(status.as_str().unwrap().contains("Reloaded"), "{status}");

    // Break it: an unknown key under the brand scene; the problem shows with its line and text.
    let mut lines: Vec<&str> = red.lines().collect();
    let brand = lines.iter().position(|l| *l == "  - id: brand").expect("the demo's brand scene");
    lines.insert(brand + 1, "    colr: red");
    let line = brand + 2;
    std::fs::write(&sb, lines.join("\n") + "\n").unwrap();
    let problems = b.wait_for(
        "the error with its line",
        &format!("(() => {{ const t = document.getElementById('problems').textContent; return t.includes('line {line}') && t; }})()"),
        Duration::from_secs(20),
    );
    let problems = problems.as_str().unwrap();
    assert!(
        problems.contains("unknown key `colr`") && problems.contains(&format!("{line} |     colr: red")),
        "{problems}"
    );
    let error = b.wait_for("the frame's error", "!document.getElementById('frame-error').hidden && document.getElementById('frame-error').textContent", Duration::from_secs(10));
    assert!(error.as_str().unwrap().contains("does not render"), "{error}");
}
