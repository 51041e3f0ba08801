//! `billreel check`: one pass finds every problem of a storyboard (without data) and of each
//! record (with `--data`), each said with where it is and how to fix it. These run the binary
//! as an author would and check the messages it prints.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::billreel;

fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("check-scratch", name)
}

/// stdout and stderr together, as the user sees them.
fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

const HEADER: &str = "video: { width: 320, height: 180, fps: 10 }\nassets: ../../../assets\nfonts: { body: fonts/Inter-Regular.otf }\n";

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
        "the functions are: dict, namespace, range",
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
