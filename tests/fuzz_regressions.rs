//! Every input the fuzz targets (fuzz/, `make fuzz`) found a crash, a hang or a memory blow-up
//! with, replayed on stable through the same harness (fuzz/harness.rs): fuzz/regressions/<target>/
//! holds one file per finding, named after what it was. Each must now run to an end (an error is
//! fine) within a few seconds.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `target` on every file of fuzz/regressions/<name>/ and names each one that panics or is
/// slow (the fuzzers ran with `-timeout=10`; here, unoptimised, allow more).
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| target(&data));
        let took = started.elapsed();
        if outcome.is_err() {
            failed.push(format!("{}: panicked", f.display()));
        } else if took > Duration::from_secs(30) {
            failed.push(format!("{}: took {took:?}", f.display()));
        }
    }
    assert!(failed.is_empty(), "fuzz regressions of `{name}`:\n{}", failed.join("\n"));
    files.len()
}

#[test]
fn storyboards_that_crashed_the_fuzzer_now_end() {
    replay("storyboard", harness::storyboard);
}

#[test]
fn records_that_crashed_the_fuzzer_now_end() {
    replay("records", harness::records);
}

#[test]
fn demo_records_that_crashed_the_fuzzer_now_end() {
    replay("demo_record", harness::demo_record);
}

#[test]
fn the_harness_draws_and_captions_the_seeds() {
    // The harness itself works on stable: the demo storyboard with its own record, and the
    // reference storyboards with the fixed record (their bind must succeed, or the fuzzer would
    // explore nothing past bind).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    harness::demo_record(
        std::fs::read_to_string(root.join("scenes/sample-billing-run.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .as_bytes(),
    );
    for name in ["text", "rich", "chart"] {
        let yaml = std::fs::read(root.join(format!("tests/frames/{name}.yaml"))).unwrap();
        assert!(harness::binds(&yaml), "tests/frames/{name}.yaml binds to fuzz/record.json");
        harness::storyboard(&yaml);
    }
}
