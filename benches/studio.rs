//! `cargo bench --bench studio` (part of `make bench`): the studio's scrub latency.
//!
//! Starts `billreel studio` (the bench profile's binary) on the demo storyboard and sample run,
//! then, per customer, asks for one frame to warm up (the record bound, the renderer's settled
//! layers) and for `N` frames at random times (seeded, so every run asks the same), each as a
//! scrubbing page does: one request at a time, a 720p JPEG. Prints p50, p95 and the largest
//! time from sending the request to the last byte of the answer. Frames asked twice come from
//! the cache; the random times are drawn so that none repeats. Then the time to make one
//! customer's preview video (playback).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CUSTOMERS: [&str; 4] = ["C0001", "C0002", "C0003", "C0007"];
const N: usize = 100;

fn main() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_billreel"))
        .arg("studio")
        .arg(repo.join("scenes/bill-explainer.yaml"))
        .arg("--data")
        .arg(repo.join("scenes/sample-billing-run.jsonl"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("billreel studio starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let authority = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .expect("the studio prints its address")
        .trim_end_matches('/')
        .to_string();
    // xorshift64*, seeded: the same times every run.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = move || {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut all = Vec::new();
    for id in CUSTOMERS {
        let q = format!("storyboard=bill-explainer.yaml&id={id}");
        let warm = get(&authority, &format!("/api/frame?{q}&t=0.5")).0;
        let state = String::from_utf8(get(&authority, &format!("/api/state?{q}")).1).unwrap();
        let duration: f64 = state
            .split("\"duration\":")
            .nth(1)
            .and_then(|r| r.split([',', '}']).next())
            .and_then(|d| d.parse().ok())
            .expect("the state names the duration");
        let mut times = Vec::with_capacity(N);
        let mut frames_seen = std::collections::HashSet::new();
        while times.len() < N {
            let t = random() * (duration - 0.05);
            if !frames_seen.insert((t * 30.0).round() as u32) {
                continue;
            }
            let (took, body) = get(&authority, &format!("/api/frame?{q}&t={t:.4}"));
            assert!(body.len() > 1000, "a frame for {id} at {t:.2}s");
            times.push(took);
        }
        all.extend_from_slice(&times);
        println!("{id}: first frame (bind + settle) {:.0} ms; {}", ms(warm), summary(&mut times));
    }
    println!(
        "studio scrub, 720p JPEG, {} frames of {} customers: {}",
        all.len(),
        CUSTOMERS.len(),
        summary(&mut all)
    );
    // Playback: the preview video of one customer, from the first ask to ready.
    let q = "storyboard=bill-explainer.yaml&id=C0002";
    let started = Instant::now();
    loop {
        let status = String::from_utf8(get(&authority, &format!("/api/video?{q}")).1).unwrap();
        if !status.contains("rendering") {
            let secs = started.elapsed().as_secs_f64();
            println!("preview video, C0002 (35 s): {status}, {secs:.1} s from the first ask");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let at = |p: f64| ms(times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1]);
    format!("p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms", at(0.50), at(0.95), ms(*times.last().unwrap()))
}

/// GET over a fresh connection (as a browser's image request after a scrub); the time to the
/// last byte, and the body.
fn get(authority: &str, path: &str) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut s = TcpStream::connect(authority).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let took = started.elapsed();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(raw.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&raw[..split]));
    (took, raw[split + 4..].to_vec())
}
