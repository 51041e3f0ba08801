//! `billreel check`: one pass finds every problem of a storyboard (without data) and of each
//! record (with `--data`), each said with where it is and how to fix it. These run the binary
//! as an author would and check the messages it prints.

mod common;

use std::path::PathBuf;

use common::billreel;
use common::{text, write, HEADER};

fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("check-scratch", name)
}

/// `check` on a storyboard made of HEADER and `body`, with `data` (JSON Lines) when given.
fn check(name: &str, body: &str, data: Option<&str>) -> (Option<i32>, String) {
    let dir = scratch(name);
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}{body}"));
    let mut args = vec!["check".to_string(), sb];
    if let Some(d) = data {
        args.push("--data".into());
        args.push(write(&dir, "data.jsonl", d));
    }
    let o = billreel(&args);
    (o.status.code(), text(&o))
}

#[test]
fn every_unknown_key_of_a_section_is_reported_not_only_the_first() {
    let (code, t) = check(
        "every-key",
        "scenes:
  - id: a
    duration: 1s
    colr: red
    backgrund: blue
    layers:
      - { type: text, text: hi, x: 0, y: 0, colr: red, sizee: 3, outline: { colr: red, width: 1 } }
",
        None,
    );
    assert_eq!(code, Some(1), "{t}");
    for expected in [
        "sb.yaml:7:5: unknown key `colr` in a scene",
        "sb.yaml:8:5: unknown key `backgrund` in a scene",
        "did you mean `background`?",
        "unknown key `colr` in a text layer",
        "unknown key `sizee` in a text layer",
        "did you mean `size`?",
        // A nested mapping's hint names that mapping and lists its own keys.
        "unknown key `colr` in `outline`",
        "hint: did you mean `color`? `outline` accepts: `color`, `width`",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }
    assert!(!t.contains("is missing the required key `color`"), "a typo of a key is one problem: {t}");
    assert!(t.contains("5 problems found"), "{t}");
}

#[test]
fn wrong_values_say_what_the_key_wants_and_sections_are_named_right() {
    let (_, t) = check(
        "wants",
        "scenes:
  - id: a
    duration: 1s
    layers:
      - { type: text, text: hi, size: big, max_lines: -1 }
      - { type: image, src: logos/acme.png, width: 10, height: 10, fitt: cover }
",
        None,
    );
    assert!(t.contains("`size` must be a number like 12.5, but is the string \"big\""), "{t}");
    assert!(
        t.contains("`max_lines` must be a whole number of 0 or more, like 12, but is the number -1"),
        "{t}"
    );
    assert!(!t.contains("expected f32") && !t.contains("expected u"), "no raw serde text: {t}");
    assert!(t.contains("unknown key `fitt` in an image layer"), "{t}");
    assert!(t.contains("did you mean `fit`? an image layer accepts:"), "{t}");
    let (_, t) = check("video-key", "video2: 1\nscenes: [ { id: a, duration: 1s } ]\n", None);
    assert!(t.contains("unknown key `video2` in the storyboard"), "{t}");
    let dir = scratch("nested-video");
    let sb = write(
        &dir,
        "sb.yaml",
        "video: { width: 320, height: 180, fps: 10, bakground: red }\nscenes: [ { id: a, duration: 1s } ]\n",
    );
    let t = text(&billreel(["check", &sb]));
    assert!(t.contains("unknown key `bakground` in `video`"), "{t}");
    assert!(t.contains("did you mean `background`? `video` accepts:"), "{t}");
    assert!(!t.contains("`scenes`"), "`video` does not accept `scenes`: {t}");
}

#[test]
fn yaml_merge_keys_bring_in_the_anchored_keys() {
    let (code, t) = check(
        "merge",
        "scenes:
  - id: a
    duration: 1s
    layers:
      - &card { type: rect, x: 0, y: 0, width: 40, height: 40, fill: \"#ff0000\" }
      - <<: *card
        x: 50
        fil: \"#00ff00\"
",
        None,
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(!t.contains("has no `type`"), "the merged `type` is seen: {t}");
    assert!(t.contains("sb.yaml:11:9: unknown key `fil` in a rect layer"), "{t}");
    let (code, t) = check(
        "merge-ok",
        "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - &card { type: rect, x: 0, y: 0, width: 40, height: 40 }\n      - { <<: *card, x: 50 }\n",
        None,
    );
    assert_eq!(code, Some(0), "{t}");
    let (_, t) = check("merge-bad", "base: &b 3\nscenes:\n  - <<: *b\n    id: a\n", None);
    assert!(t.contains("sb.yaml:6:5: a YAML merge key (`<<`) cannot be applied"), "{t}");
    assert!(t.contains("`<<: *defaults`"), "{t}");
}

/// One pass goes on past a bad section: an unknown top-level key, a typo in a layer brought in
/// by a merge key and unknown filters in that layer's text are all reported together; an `x-`
/// key holds anchors and is otherwise ignored.
#[test]
fn problems_in_every_section_come_in_one_pass_and_x_keys_hold_anchors() {
    let (code, t) = check(
        "one-pass",
        "base: 1
x-base: &b { type: text, size: 12, colr: \"#fff\" }
scenes:
  - id: one
    duration: 1s
    layers:
      - <<: *b
        text: \"{{ bill.total | curency }} {{ name | uper }}\"
        x: 10
        sise: 3
",
        None,
    );
    assert_eq!(code, Some(1), "{t}");
    for expected in [
        "sb.yaml:4:1: unknown key `base` in the storyboard",
        "starts with `x-`",
        "sb.yaml:5:36: unknown key `colr` in a text layer",
        "unknown filter `curency`",
        "unknown filter `uper`",
        "sb.yaml:13:9: unknown key `sise` in a text layer",
        "5 problems found",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
    assert!(!t.contains("`x-base`"), "an x- key is the author's own: {t}");
}

#[test]
fn unknown_filters_tests_and_functions_are_found_without_data_with_a_guess() {
    let (code, t) = check(
        "names",
        "vars:
  total: bill.total | rnd(2)
scenes:
  - id: a
    duration: 1s
    when: \"bill.total is nmber\"
    layers:
      - { type: text, text: \"{{ customer.first_name | upperr }} {{ fmt(1) }}\" }
      - { type: text, text: \"{{ bill.total | curency }}\" }
",
        None,
    );
    assert_eq!(code, Some(1), "{t}");
    for expected in [
        "sb.yaml:5:10: unknown filter `rnd` in `bill.total | rnd(2)`",
        "unknown test `nmber` in `bill.total is nmber`",
        "did you mean `number`? the tests are:",
        "unknown filter `upperr` in `{{ customer.first_name | upperr }} {{ fmt(1) }}`",
        "did you mean `upper`? the filters are:",
        "unknown function `fmt`",
        "the functions are: cos, dict, namespace, range, sin",
        "unknown filter `curency`",
        "did you mean `currency`?",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }
    assert!(t.contains("5 problems found"), "{t}");
}

#[test]
fn a_var_that_reads_a_later_var_is_refused_without_data() {
    let (code, t) = check(
        "var-order",
        "vars:\n  due: total * 1.2\n  total: bill.amount\nscenes: [ { id: a, duration: 1s } ]\n",
        None,
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("sb.yaml:5:8: var `due` reads `total`, which is defined after it (vars are made in order, top to bottom)"),
        "{t}"
    );
    assert!(t.contains("hint: move `total` above `due` in `vars:`"), "{t}");
    let (code, t) = check(
        "var-order-ok",
        "vars:\n  total: bill.amount\n  due: total * 1.2\nscenes: [ { id: a, duration: 1s } ]\n",
        None,
    );
    assert_eq!(code, Some(0), "{t}");
}

#[test]
fn check_with_data_reports_every_problem_of_each_record_and_its_layout_warnings() {
    let (code, t) = check(
        "every-problem",
        "scenes:
  - id: a
    duration: 2s
    layers:
      - { type: text, x: 10, y: 10, text: \"Hello {{ customer.name }}\", size: 20 }
      - { type: text, x: 20, y: 15, text: \"Due {{ bill.total }}\", size: 20 }
      - { type: text, x: 250, y: 100, text: \"{{ customer.name }}\", size: 20 }
      - { type: text, x: 10, y: 150, text: \"{{ bill.nope }}\", size: 12 }
      - { type: bar_chart, x: 10, y: 40, width: 200, height: 100, labels: usage.months, series: [ { values: usage.kwh } ] }
",
        Some(concat!(
            "{\"id\":\"R1\",\"customer\":{\"name\":\"Bartholomew\"},\"bill\":{\"total\":3},\"usage\":{\"months\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"],\"kwh\":[1,2,3,4,5]}}\n",
            "{\"id\":\"R2\",\"customer\":{\"name\":\"Al\"},\"bill\":{\"total\":3,\"nope\":1},\"usage\":{\"months\":[\"a\",\"b\"],\"kwh\":[1,2]}}\n",
            "{\"id\":\"R2\",\"customer\":{\"name\":\"Al\"},\"bill\":{\"total\":3,\"nope\":1},\"usage\":{\"months\":[\"a\",\"b\"],\"kwh\":[1,2]}}\n",
        )),
    );
    assert_eq!(code, Some(1), "{t}");
    // Both problems of R1, not only the first.
    assert!(
        t.contains("error: record R1: the record has no field `bill.nope` (in scenes[0].layers[3].text at"),
        "{t}"
    );
    assert!(
        t.contains("error: record R1: series 0 (`usage.kwh`) has 5 values but `labels` (`usage.months`) has 6; each value belongs under one label"),
        "{t}"
    );
    assert!(t.contains("data.jsonl:3: record `R2`: this id is already used on line 2"), "{t}");
    // Layout, for each record's own data: the long name leaves the canvas for R1 only.
    assert!(
        t.contains("warning: record R1: scene `a`, layer `text#2`: the text leaves the 320x180 canvas by 55 px on the right for this record's data"),
        "{t}"
    );
    assert!(t.contains("(in scenes[0].layers[2] at"), "the layer's path and line: {t}");
    assert!(!t.contains("warning: record R2: scene `a`, layer `text#2`"), "Al fits: {t}");
    assert!(
        t.contains("warning: record R1: scene `a`: the texts of layers `text#0` (scenes[0].layers[0]) and `text#1` overlap by"),
        "{t}"
    );
    assert!(t.contains("1 records OK, 2 failed, 3 layout warnings"), "{t}");
    // The JSON report holds every problem and every warning, with the layer's path.
    let dir = common::repo().join("target/check-scratch/every-problem");
    let report = dir.join("report.json");
    let o = billreel([
        "check",
        dir.join("sb.yaml").to_str().unwrap(),
        "--data",
        dir.join("data.jsonl").to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["problems"].as_array().unwrap().len(), 3, "{r}");
    assert_eq!(r["failed"], 2, "{r}");
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 3, "{r}");
    assert!(warnings.iter().any(|w| w["id"] == "R1" && w["layer"] == "scenes[0].layers[2]"), "{r}");
}

#[test]
fn texts_that_take_turns_do_not_overlap() {
    let (code, t) = check(
        "turns",
        "scenes:
  - id: a
    duration: 2s
    layers:
      - { type: text, x: 10, y: 10, text: \"First {{ n }}\", size: 20, exit: { preset: fade, delay: 1s, duration: 200ms } }
      - { type: text, x: 10, y: 10, text: \"Second\", size: 20, enter: { preset: fade, delay: 1100ms, duration: 200ms } }
",
        Some("{\"id\":\"A\",\"n\":1}\n"),
    );
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("1 records OK, 0 failed, 0 layout warnings"), "{t}");
}

#[test]
fn check_and_batch_both_refuse_a_record_whose_text_overflows() {
    let dir = scratch("overflow-agree");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!("{HEADER}scenes:\n  - id: hello\n    duration: 500ms\n    layers:\n      - {{ type: text, name: greeting, text: \"Hello {{{{ n }}}}\", size: 40, width: 200, max_lines: 1, fit: shrink, min_size: 30 }}\n"),
    );
    let data = write(
        &dir,
        "run.jsonl",
        "{\"id\": \"A\", \"n\": \"Ann\"}\n{\"id\": \"B\", \"n\": \"Maximilian-Alexander\"}\n",
    );
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(t.contains("record B: scene `hello`, layer `greeting`: the text (from `n`) does not fit its box even at its smallest size and would be cut after"), "{t}");
    assert!(t.contains("1 records OK, 1 failed"), "{t}");
    let out = dir.join("out");
    let o = billreel([
        "batch",
        &sb,
        "--data",
        &data,
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "1",
        "--guessable-links",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "some records failed: {t}");
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let b: serde_json::Value = manifest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["id"] == "B")
        .unwrap();
    assert_eq!(b["status"], "failed", "{manifest}");
    assert_eq!(b["error_kind"], "text_overflow", "{manifest}");
    assert!(b["error"].as_str().unwrap().contains("would be cut after"), "{manifest}");
}

#[test]
fn record_messages_say_what_is_missing_and_where_once() {
    let data = "{\"id\":\"R1\",\"bill\":{\"total\":3},\"usage\":{\"kwh\":[],\"m\":[1]}}\n";
    let (_, t) = check(
        "msg-missing-var",
        "vars:\n  due: bill.totl\nscenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"{{ due | currency('EUR') }}\" }\n",
        Some(data),
    );
    assert!(
        t.contains("record R1: the record has no field `bill.totl`, which var `due` is made from, so `due` has no value here; did you mean `bill.total`? (in scenes[0].layers[0].text at"),
        "{t}"
    );
    assert!(!t.contains("got nothing"), "{t}");
    // `first_name` is not offered for `last_name`: a guess is only for a likely typo.
    let (_, t) = check(
        "msg-no-guess",
        "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"{{ bill.last_name }}\" }\n",
        Some("{\"id\":\"R1\",\"bill\":{\"first_name\":\"A\"}}\n"),
    );
    assert!(t.contains("the record has no field `bill.last_name` (in"), "{t}");
    let (_, t) = check(
        "msg-empty-var",
        "vars:\n  last: usage.kwh | last\nscenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"{{ last | number }}\" }\n",
        Some(data),
    );
    assert!(
        t.contains("var `last` (`usage.kwh | last`) has no value for this record (it reads `usage.kwh`: is a list empty?); give it a default, e.g. `(usage.kwh | last) | default(0)`"),
        "{t}"
    );
    let (_, t) = check(
        "msg-undefined",
        "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"{% for m in usage.m %}{{ m.x.y }}{% endfor %}\" }\n",
        Some(data),
    );
    assert!(
        t.contains("record R1: `m.x.y` has no value for this record: a name, attribute or item in it does not exist (it reads `usage.m`) (in scenes[0].layers[0].text at"),
        "{t}"
    );
    assert!(
        !t.contains("undefined value") && t.matches("layers[0].text").count() == 1,
        "the place once: {t}"
    );
    let (_, t) = check(
        "msg-highlight",
        "vars:\n  last: usage.kwh | last\nscenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: line_chart, width: 300, height: 150, labels: [a], series: [ { values: usage.m } ], highlight: last }\n",
        Some(data),
    );
    assert!(
        t.contains("`highlight` must be a whole number (an index), but `last` gave no value for this record (is the list it reads empty, or a field missing?)"),
        "{t}"
    );
}

#[test]
fn storyboard_messages_name_the_real_mistake() {
    let (_, t) = check(
        "msg-unclosed",
        "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"[b]Hi {{ customer.first_name[/b]\" }\n",
        None,
    );
    assert!(
        t.contains("`{{` at character 7 of the text is never closed; add `}}` after what it holds"),
        "{t}"
    );
    assert!(!t.contains("is never closed; add `[/b]`"), "{t}");
    let (_, t) = check(
        "msg-asset",
        "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: image, src: logos/nope.png, width: 10, height: 10 }\n",
        None,
    );
    let assets = common::repo().join("assets").canonicalize().unwrap();
    assert!(
        t.contains(&format!(
            "asset `logos/nope.png` does not exist in the assets folder {}",
            assets.display()
        )),
        "{t}"
    );
}

#[test]
fn text_cut_with_an_ellipsis_renders_and_check_warns() {
    let (code, t) = check(
        "cut-warns",
        "scenes:\n  - id: hello\n    duration: 1s\n    layers:\n      - { type: text, name: greeting, text: \"Hello {{ n }}\", size: 40, width: 200, max_lines: 1 }\n",
        Some("{\"id\": \"B\", \"n\": \"Maximilian-Alexander\"}\n"),
    );
    assert_eq!(code, Some(0), "`fit: none` cuts as documented, the record renders: {t}");
    assert!(
        t.contains("warning: record B: scene `hello`, layer `greeting`: the text does not fit its box and is cut after"),
        "{t}"
    );
    assert!(t.contains("1 records OK, 0 failed, 1 layout warnings"), "{t}");
    assert!(!t.contains("Maximilian"), "no customer text in the report: {t}");
}
