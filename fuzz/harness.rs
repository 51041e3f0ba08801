//! What each fuzz target does with one input, shared by the libFuzzer targets (fuzz_targets/)
//! and by the regression test that replays every crash found (tests/fuzz_regressions.rs), so a
//! crash is replayed on stable through exactly the code that found it.
//!
//! Each function takes the input bytes and must return without panicking, whatever they are:
//! an error (a bad storyboard, a bad record) is a normal outcome. Frames are drawn on a canvas cut
//! down to [`MAX_WIDTH`] x [`MAX_HEIGHT`] so one run stays fast; layout has already happened at
//! the storyboard's own size, so everything is placed as in a real video and only the part
//! beyond the cut is not drawn.

#![allow(dead_code)] // each user calls only some of these

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use billreel::bind::Binder;
use billreel::limits::Limits;
use billreel::outputs::captions;
use billreel::record::{Record, Records};
use billreel::scene::SceneGraph;

pub const MAX_WIDTH: u32 = 320;
pub const MAX_HEIGHT: u32 = 240;

/// The repository's root: the crate's own folder for the tests, its parent for fuzz/.
fn repo_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        if manifest.join("scenes/bill-explainer.yaml").is_file() {
            manifest.to_path_buf()
        } else {
            manifest.parent().expect("fuzz/ has a parent").to_path_buf()
        }
    })
}

/// The record every fuzzed storyboard is bound to: the first demo customer merged with the
/// reference-frame records, so the fields the seed storyboards use all exist.
fn fixed_record() -> &'static Record {
    static RECORD: OnceLock<Record> = OnceLock::new();
    RECORD.get_or_init(|| {
        let text = std::fs::read_to_string(repo_root().join("fuzz/record.json")).expect("fuzz/record.json");
        let data: serde_json::Value = serde_json::from_str(&text).expect("fuzz/record.json is JSON");
        Record { id: "FUZZ".into(), data, line: 1 }
    })
}

/// Which frame of `graph` to draw for this input: spread over the video, stable per input.
fn pick_frame(graph: &SceneGraph, data: &[u8]) -> u32 {
    let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    if graph.total_frames == 0 {
        0
    } else {
        (h % graph.total_frames as u64) as u32
    }
}

/// Draws one frame on a cut-down canvas and writes the captions in both formats, checking that
/// each format holds exactly one cue per caption whatever the text.
fn draw_and_caption(mut graph: SceneGraph, data: &[u8]) {
    let frame = pick_frame(&graph, data);
    graph.width = graph.width.clamp(1, MAX_WIDTH);
    graph.height = graph.height.clamp(1, MAX_HEIGHT);
    let pix = billreel::raster::render(&graph, frame);
    assert_eq!(pix.width(), graph.width);
    let cues = &graph.companions.captions;
    let shown = cues.iter().filter(|c| !captions::plain(&c.text).is_empty()).count();
    let vtt = captions::to_vtt(cues);
    let srt = captions::to_srt(cues);
    assert_eq!(vtt.matches("-->").count(), shown, "a caption's text made or hid a WebVTT cue");
    assert_eq!(srt.matches("-->").count(), shown, "a caption's text made or hid an SRT cue");
    assert!(!vtt.contains("\n\n\n") && !vtt.contains('\r') && !srt.contains('\r'), "a blank line in a cue");
}

/// The storyboard `data` bound to the fixed record, if it loads and binds.
fn bind_storyboard(data: &[u8]) -> Option<SceneGraph> {
    let text = std::str::from_utf8(data).ok()?;
    let root = repo_root();
    let file = root.join("fuzz/storyboard.yaml");
    let assets = root.join("assets");
    let binder = billreel::load_text(text, &file, Some(&assets), &Limits::default()).ok()?;
    binder.bind(fixed_record()).ok()
}

/// Whether the storyboard `data` loads and binds to the fixed record (for the seeds' test).
pub fn binds(data: &[u8]) -> bool {
    bind_storyboard(data).is_some()
}

/// Target `storyboard`: YAML text -> parse -> validate -> bind to the fixed record -> one frame.
pub fn storyboard(data: &[u8]) {
    if let Some(graph) = bind_storyboard(data) {
        draw_and_caption(graph, data);
    }
}

/// Target `records`: bytes as a JSON Lines file (first byte even) or a CSV file (odd), read
/// through to the end. The reader wants a file, so the bytes go to a per-process scratch file.
pub fn records(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else { return };
    let ext = if first % 2 == 0 { "jsonl" } else { "csv" };
    let path = std::env::temp_dir().join(format!("billreel-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, body).expect("scratch file for the records target");
    let id_field = if first & 2 == 0 { "id" } else { "customer.id" };
    if let Ok(records) = Records::open(&path, id_field, &Limits::default()) {
        // A bad line does not end the stream; bound the count so a huge input cannot spin.
        for rec in records.take(100_000).flatten() {
            assert!(rec.data.is_object());
            assert!(!rec.id.is_empty());
        }
    }
}

/// The demo storyboard, loaded once.
fn demo_binder() -> &'static Binder {
    static BINDER: OnceLock<Binder> = OnceLock::new();
    BINDER.get_or_init(|| {
        billreel::load(&repo_root().join("scenes/bill-explainer.yaml"), None)
            .unwrap_or_else(|d| panic!("the demo storyboard loads: {d}"))
    })
}

/// Target `demo_record`: one record's JSON -> the demo storyboard -> bind -> one frame.
pub fn demo_record(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if !value.is_object() {
        return;
    }
    let id = match value.get("id") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        _ => "FUZZ".into(),
    };
    let record = Record { id, data: value, line: 1 };
    if let Ok(graph) = demo_binder().bind(&record) {
        draw_and_caption(graph, data);
    }
}
