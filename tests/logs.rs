//! Logs: a batch of the demo logs no warning per frame (a donut animating in once printed 759
//! lines of tiny-skia's `empty paths` warning for 12 videos), and drawing every frame of the
//! charts as they grow from nothing logs nothing.

mod common;

use std::collections::HashMap;

use common::{fresh_dir, repo, LogBuffer};

/// Log output written by the global subscriber (set up once for this test binary, with `log`
/// records from libraries such as tiny-skia routed into it, as the binary does).
fn captured() -> LogBuffer {
    static OUT: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let out = LogBuffer::default();
        let sink = out.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        out
    })
    .clone()
}

#[test]
fn charts_growing_from_nothing_log_nothing() {
    let out = captured();
    let frames = repo().join("tests/frames");
    // Donuts sweeping in (one all zero: an empty ring), lines drawing on over an area wash
    // (one point drawn: a wash of no width), a gauge filling from zero.
    for (storyboard, records) in
        [("donut", ["R1", "R2"].as_slice()), ("axes", &["R1", "R2", "R3"]), ("progress", &["R1"])]
    {
        let binder = billreel::load(&frames.join(format!("{storyboard}.yaml")), None)
            .unwrap_or_else(|d| panic!("{d}"));
        for id in records {
            let rec = billreel::record::find(&frames.join("data.jsonl"), id, "id").unwrap();
            let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
            for f in 0..graph.total_frames {
                billreel::raster::render(&graph, f);
            }
        }
    }
    let logged = out.text();
    assert!(logged.is_empty(), "drawing logged:\n{logged}");
}

#[test]
fn a_batch_of_the_demo_repeats_no_warning() {
    let d = fresh_dir("logs", "batch");
    // Records 4 to 6: others than tests/players.rs renders.
    let data = common::demo_records(&d, 3, 3);
    let o = common::billreel([
        "batch".into(),
        repo().join("scenes/bill-explainer.yaml"),
        "--data".into(),
        data,
        "--out".into(),
        d.join("out"),
        "--guessable-links".into(),
    ] as [std::path::PathBuf; 7]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    // A line's text without its time stamp.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for line in stderr.lines() {
        let text = line.split_once(' ').map_or(line, |(_, rest)| rest.trim_start());
        *seen.entry(text).or_default() += 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated log lines: {repeated:?}\n{stderr}");
    assert!(!stderr.contains("empty paths"), "{stderr}");
}
