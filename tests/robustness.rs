//! Bad input never panics: mutated storyboards and records either work or fail with an error.
//!
//! Starting from the demo storyboard and a demo record, this truncates the storyboard at many
//! points, deletes lines, and replaces values with hostile ones (negative, huge, NaN, wrong
//! types, broken templates); and replaces every field of the record with wrong types. Each case
//! must load or report diagnostics, bind or report an error, and draw without panicking.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use billreel::assets::Assets;
use billreel::bind::Binder;
use billreel::record::{self, Record};
use billreel::storyboard;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Parses, validates, binds and (optionally) draws two frames. Returns whether it rendered.
fn exercise(text: &str, rec: &Record, draw: bool) -> bool {
    let file = repo().join("scenes/mutant.yaml");
    let (sb, problems) = storyboard::parse_partial(text, &file);
    let Some(sb) = sb else { return false };
    let Ok(binder) = Binder::with_earlier_problems(
        sb,
        Assets::new(repo().join("assets")),
        problems,
        &billreel::limits::Limits::default(),
    ) else {
        return false;
    };
    let Ok(graph) = binder.bind(rec) else { return false };
    if draw && graph.total_frames < 10_000 {
        billreel::raster::render(&graph, 0);
        billreel::raster::render(&graph, graph.total_frames / 2);
    }
    true
}

fn demo() -> (String, Record) {
    let text = std::fs::read_to_string(repo().join("scenes/bill-explainer.yaml")).unwrap();
    let rec = record::find(&repo().join("scenes/sample-billing-run.jsonl"), "C0002", "id").unwrap();
    (text, rec)
}

fn must_not_panic(what: &str, f: impl FnOnce() -> bool) -> bool {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(rendered) => rendered,
        Err(_) => panic!("panicked on {what}"),
    }
}

#[test]
fn mutated_storyboards_fail_cleanly() {
    let (text, rec) = demo();
    assert!(exercise(&text, &rec, true), "the unmutated demo must work");
    let mut cases = 0;
    // Truncations.
    for cut in (0..text.len()).step_by(97).filter(|&i| text.is_char_boundary(i)) {
        must_not_panic(&format!("truncation at byte {cut}"), || exercise(&text[..cut], &rec, cut % 4 == 0));
        cases += 1;
    }
    // Each line deleted, and each value replaced with hostile ones.
    let lines: Vec<&str> = text.lines().collect();
    let hostile = ["-1", ".nan", "[]", "null", "\"{{ 1/0 }}\"", "99999999", "-5%"];
    for (i, line) in lines.iter().enumerate() {
        let mut without = lines.clone();
        without.remove(i);
        must_not_panic(&format!("line {} deleted", i + 1), || exercise(&without.join("\n"), &rec, false));
        cases += 1;
        if let Some(colon) = line.find(": ") {
            if line.trim_start().starts_with('#') {
                continue;
            }
            for (k, h) in hostile.iter().enumerate() {
                let mut changed = lines.clone();
                let replaced = format!("{}: {h}", &line[..colon]);
                changed[i] = &replaced;
                let joined = changed.join("\n");
                must_not_panic(&format!("line {} set to `{replaced}`", i + 1), || {
                    exercise(&joined, &rec, (i + k) % 7 == 0)
                });
                cases += 1;
            }
        }
    }
    assert!(cases > 1000, "only {cases} cases");
}

#[test]
fn records_with_wrong_types_fail_cleanly() {
    let (text, rec) = demo();
    let hostile = [
        serde_json::json!(null),
        serde_json::json!("text"),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([1, "two", null]),
        serde_json::json!("{{ 7*7 }}"),
    ];
    // Every leaf path of the record.
    fn leaves(v: &serde_json::Value, prefix: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    leaves(x, if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, out)
                }
            }
            _ => out.push(prefix),
        }
    }
    let mut paths = Vec::new();
    leaves(&rec.data, String::new(), &mut paths);
    let mut failed = 0;
    for p in &paths {
        for h in &hostile {
            let mut data = rec.data.clone();
            let mut cur = &mut data;
            for k in p.split('.') {
                cur = cur.get_mut(k).unwrap();
            }
            *cur = h.clone();
            let r = Record { id: rec.id.clone(), data, line: 1 };
            if !must_not_panic(&format!("{p} = {h}"), || exercise(&text, &r, false)) {
                failed += 1;
            }
        }
    }
    assert!(
        failed > 0 && failed < paths.len() * hostile.len(),
        "some hostile values must fail, some are harmless"
    );
}
