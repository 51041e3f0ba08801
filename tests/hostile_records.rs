//! Hostile records through the demo storyboard.
//!
//! A billing run comes from a CRM nobody fully controls. Every leaf of a demo record (and every
//! list as a whole) is replaced, one at a time, by values a CRM export really produces: text
//! where a number belongs (`"abc"`, `"NaN"`, `" 42 "`), numbers out of range, empty and huge
//! lists, control characters, scripts no font has, markup and template syntax, null. Each such
//! record must either bind and draw what it holds, or fail with an error that names the field
//! at fault and quotes none of its value; nothing may panic or be a billreel bug. A small
//! batch then runs good and hostile records together through the real binary, with canary
//! values, and checks the manifest, the logs and the memory the run took.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use billreel::bind::{Binder, ProblemKind};
use billreel::record::Record;
use common::{billreel, fresh_dir, repo};
use serde_json::{json, Value};

fn demo() -> Binder {
    billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap_or_else(|d| panic!("{d}"))
}

/// The demo run's records (the second one is overdue, so its overdue scene plays).
fn demo_records() -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("scenes/sample-billing-run.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every leaf's dotted path, and every list's path (a list is replaced whole, too).
fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                paths(child, &p, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

fn set(record: &mut Value, dotted: &str, value: Value) {
    let mut at = record;
    let parts: Vec<&str> = dotted.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        at = at.get_mut(*p).unwrap();
    }
    at[parts[parts.len() - 1]] = value;
}

/// Values a CRM export produces where it should not.
fn hostile_values() -> Vec<(&'static str, Value)> {
    vec![
        ("text", json!("abc")),
        ("NaN text", json!("NaN")),
        ("padded number", json!(" 42 ")),
        ("empty text", json!("")),
        ("huge number", json!(1e308)),
        ("negative", json!(-1)),
        ("zero", json!(0)),
        ("null", Value::Null),
        ("true", json!(true)),
        ("empty list", json!([])),
        ("list of text", json!(["a", "b"])),
        ("1,000 values", json!((0..1000).collect::<Vec<_>>())),
        ("object", json!({"a": 1})),
        ("NUL", json!("Ann\u{0}e")),
        ("lone CR", json!("Ann\re")),
        ("forged log line", json!("Ann\nERROR forged line")),
        ("no font has it", json!("\u{13000}\u{13001}")),
        ("bidi override", json!("\u{202E}Anne")),
        ("markup", json!("[b]Anne[/b] [color=#f00]x")),
        ("template syntax", json!("{{ 7*7 }}")),
        ("long text", json!("x".repeat(5_000))),
        ("date-looking IBAN", json!("DE89370400440532013006")),
    ]
}

/// The plain text of every text node of a bound video, as drawn at the end of each scene.
fn drawn_text(graph: &billreel::scene::SceneGraph) -> String {
    let mut out = String::new();
    for scene in &graph.scenes {
        for node in &scene.nodes {
            if let billreel::scene::NodeKind::Text(t) = &node.kind {
                for (_, block) in &t.variants {
                    out.extend(block.lines.iter().map(|l| l.replace(char::is_whitespace, "")));
                }
            }
        }
    }
    out
}

#[test]
fn every_hostile_value_in_every_field_renders_as_given_or_fails_naming_the_field() {
    let binder = demo();
    let base = demo_records().swap_remove(1);
    let mut fields = Vec::new();
    paths(&base, "", &mut fields);
    fields.retain(|f| f != "id");
    let (mut ok, mut failed) = (0, 0);
    let mut failures = Vec::new();
    for field in &fields {
        for (label, value) in hostile_values() {
            let mut data = base.clone();
            set(&mut data, field, value.clone());
            let rec = Record { id: format!("H{}", ok + failed), data, line: 1 };
            let bound = catch_unwind(AssertUnwindSafe(|| binder.bind(&rec)));
            match &bound {
                Ok(Ok(_)) => ok += 1,
                _ => failed += 1,
            }
            let Ok(bound) = bound else {
                failures.push(format!("{field} = {label}: panicked"));
                continue;
            };
            match bound {
                Ok(graph) => {
                    // What is drawn is what the record holds: a first name shows as given.
                    if field == "customer.first_name" {
                        if let Some(s) = value.as_str().filter(|s| !s.is_empty() && s.len() < 20) {
                            let shown = drawn_text(&graph);
                            let want = s.replace(char::is_whitespace, "");
                            if !shown.contains(&want) {
                                failures
                                    .push(format!("{field} = {label}: rendered ok but not drawn as given"));
                            }
                        }
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    let named = message.contains(field.as_str())
                        || e.field
                            .as_deref()
                            .is_some_and(|f| f == field || field.starts_with(&format!("{f}.")));
                    if !named {
                        failures
                            .push(format!("{field} = {label}: the error does not name the field: {message}"));
                    }
                    if e.kind == ProblemKind::Internal || message.contains("internal error") {
                        failures.push(format!("{field} = {label}: a billreel bug: {message}"));
                    }
                    if let Some(s) = value.as_str().filter(|s| s.len() >= 3) {
                        let visible: String = s.chars().filter(|c| !c.is_control()).collect();
                        if message.contains(s) || (visible.len() >= 3 && message.contains(&visible)) {
                            failures
                                .push(format!("{field} = {label}: the error quotes the value: {message}"));
                        }
                    }
                    if message.chars().any(char::is_control) {
                        failures
                            .push(format!("{field} = {label}: control characters in the error: {message:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        ok + failed,
        failures.join("\n")
    );
    // The suite is hostile: most values are wrong for most fields.
    assert!(failed > ok, "only {failed} of {} hostile records failed", ok + failed);
}

#[test]
fn a_text_where_a_number_belongs_fails_instead_of_passing_a_condition() {
    let binder = demo();
    for bad in [json!("abc"), json!("NaN"), json!([]), json!(" 42 "), json!({"a": 1})] {
        let mut data = demo_records().swap_remove(1);
        set(&mut data, "bill.overdue_days", bad.clone());
        let e = binder.bind(&Record { id: "X".into(), data, line: 1 }).unwrap_err();
        assert_eq!(e.kind, ProblemKind::WrongValue, "{bad}: {e}");
        assert!(e.to_string().contains("`bill.overdue_days` must be a number"), "{bad}: {e}");
        assert_eq!(e.field.as_deref(), Some("bill.overdue_days"));
    }
}

#[test]
fn text_no_font_can_draw_fails_the_record_unless_the_storyboard_says_replace() {
    let binder = demo();
    let mut data = demo_records().swap_remove(0);
    set(&mut data, "customer.first_name", json!("\u{13000}nne"));
    let rec = Record { id: "G".into(), data, line: 1 };
    let e = binder.bind(&rec).unwrap_err();
    assert_eq!(e.kind, ProblemKind::MissingGlyph, "{e}");
    assert!(
        e.to_string().contains("customer.first_name") && e.to_string().contains("missing_glyphs: replace"),
        "{e}"
    );
    // `check` says the same.
    assert_eq!(binder.bind_for_check(&rec).unwrap_err().kind, ProblemKind::MissingGlyph);

    let yaml = std::fs::read_to_string(repo().join("scenes/bill-explainer.yaml")).unwrap();
    let dir = fresh_dir("hostile", "replace");
    let sb = dir.join("replace.yaml");
    std::fs::write(&sb, format!("missing_glyphs: replace\n{yaml}")).unwrap();
    common::copy_demo_translations(&dir);
    let replacing = billreel::load(&sb, Some(&repo().join("assets"))).unwrap_or_else(|d| panic!("{d}"));
    let graph = replacing.bind(&rec).expect("with `missing_glyphs: replace` the record renders");
    assert!(!graph.missing_glyphs().is_empty());
}

/// Where the value of a record shows in the batch's outputs a mailer and an operator read.
const CANARY: &str = "Canary";

#[test]
fn a_batch_of_good_and_hostile_records_keeps_the_good_ones_the_manifest_and_the_logs_clean() {
    let records = demo_records();
    let dir = fresh_dir("hostile", "batch");
    let mut lines: Vec<String> = records[..3].iter().map(|r| r.to_string()).collect();
    let hostile: Vec<(&str, Value)> = vec![
        ("bill.overdue_days", json!("CanaryDays")),
        ("customer.first_name", json!("CanaryFirst5 \u{0}CanaryLast5")),
        // A line break in a name draws as one; it must not forge a log line.
        ("customer.first_name", json!("Canary\nERROR forged line")),
        ("bill.number", json!("\u{13000}CanaryHieroglyph")),
        ("bill.due_date", json!("CanaryDE89370400440532013006")),
        ("usage.kwh", json!((0..100_000).collect::<Vec<_>>())),
        ("bill.total", json!("CanaryTotal")),
        ("customer.first_name", json!("x".repeat(50_000))),
    ];
    for (i, (field, value)) in hostile.iter().enumerate() {
        let mut data = records[1].clone();
        data["id"] = json!(format!("H{i}"));
        set(&mut data, field, value.clone());
        lines.push(data.to_string());
    }
    let data = dir.join("run.jsonl");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    // `-v`: debug logs too must carry no value.
    let (run, peak_kib) = run_measured(&[
        "batch",
        "-v",
        repo().join("scenes/bill-explainer.yaml").to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "some records fail, the batch finishes: {stdout}\n{stderr}");
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let entries: Vec<Value> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 3 + hostile.len(), "one line per record:\n{manifest}");
    let failed = entries.iter().filter(|e| e["status"] == "failed").count();
    assert!(failed >= hostile.len() - 1, "every hostile record but the line break fails:\n{manifest}");
    for e in &entries {
        let id = e["id"].as_str().unwrap();
        if id.starts_with('C') {
            assert_eq!(e["status"], "ok", "a good record next to hostile ones stays ok: {e}");
        } else if e["status"] == "failed" {
            let i: usize = id[1..].parse().unwrap();
            let field = hostile[i].0;
            assert!(
                e["error"].as_str().unwrap().contains(field) || e["error_field"] == field,
                "the error names `{field}`: {e}"
            );
        }
    }
    for (what, text) in [("stdout", &*stdout), ("stderr", &*stderr), ("manifest", &*manifest)] {
        assert!(!text.contains(CANARY), "{what} carries a customer's value:\n{text}");
        assert!(
            !text.contains("forged line\n") && !text.contains("\nERROR forged"),
            "{what} has a forged line"
        );
        let controls: Vec<char> =
            text.chars().filter(|c| c.is_control() && *c != '\n' && *c != '\t').collect();
        assert!(controls.is_empty(), "{what} carries raw control characters {controls:?}");
    }
    // A bound, not a timing: the whole run, hostile records included, stays within 512 MB.
    assert!(peak_kib < 512 * 1024, "the batch peaked at {} MB", peak_kib / 1024);

    // `--show-values` is the operator's choice: the value, cut and escaped.
    let show = billreel([
        "check",
        "--show-values",
        repo().join("scenes/bill-explainer.yaml").to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    let shown = String::from_utf8_lossy(&show.stdout);
    assert!(shown.contains("CanaryDays"), "{shown}");
    assert!(!shown.contains("forged line\n"), "{shown}");
}

/// Runs the binary and returns its output with its peak resident memory in KiB.
fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let bin = env!("CARGO_BIN_EXE_billreel");
    let time = Path::new("/usr/bin/time");
    if time.exists() {
        let mut cmd = std::process::Command::new(time);
        cmd.arg("-f").arg("PEAK_KIB=%M").arg(bin).args(args);
        cmd.env("BILLREEL_LINK_SECRET", "hostile-records-test-secret-0123456789");
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak = stderr
            .lines()
            .find_map(|l| l.strip_prefix("PEAK_KIB="))
            .and_then(|n| n.trim().parse().ok())
            .expect("GNU time prints the peak");
        let cleaned: Vec<u8> = stderr
            .lines()
            .filter(|l| !l.starts_with("PEAK_KIB="))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes();
        return (std::process::Output { stderr: cleaned, ..out }, peak);
    }
    panic!("/usr/bin/time is needed to measure the batch's memory (Debian package `time`; `make deps` installs it)");
}
