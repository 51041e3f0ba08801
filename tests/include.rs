//! `include:`: shared parts (fonts, palette, a pay scene) merged under a storyboard, with every
//! problem reported in the file that holds it, anchors shared across files, and `check`,
//! `preview`, `render` and `batch` all seeing the parts.

mod common;

use std::path::{Path, PathBuf};

use billreel::limits::Limits;
use common::{billreel, fresh_dir, text};

/// Writes `files` under a fresh target/include/<name>/ and gives the folder.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = fresh_dir("include", name);
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// The problems of loading `file`, as printed.
fn problems(file: &Path, limits: &Limits) -> String {
    match billreel::load_with(file, None, limits) {
        Ok(_) => panic!("{} should not load", file.display()),
        Err(d) => d.to_string(),
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A shared brand (fonts, background, vars) and a shared pay scene with an outro.
const BRAND: &str = "\
video: { background: \"#123a63\", fps: 30 }
fonts:
  body: fonts/Inter-Regular.otf
  bold: fonts/Inter-SemiBold.otf
vars: { brand: \"'Brightwave'\" }
";
const PAY: &str = "\
scenes:
  - id: pay
    duration: 3s
    layers: [ { type: text, text: \"Pay {{ brand }}\", x: 10, y: 10 } ]
  - id: outro
    duration: 1s
";
const MAIN: &str = "\
include: [parts/brand.yaml, parts/pay.yaml]
video: { width: 320, height: 180, fps: 10 }
assets: ../../../assets
fonts: { bold: fonts/Inter-Bold.otf }
vars: { greeting: \"'Hi ' ~ customer.first_name\" }
scenes:
  - id: hello
    duration: 1s
    layers: [ { type: text, text: \"{{ greeting }}\", x: 10, y: 10 } ]
  - id: pay
    duration: 2s
";

#[test]
fn parts_merge_under_the_storyboard_as_documented() {
    let dir = folder("merge", &[("main.yaml", MAIN), ("parts/brand.yaml", BRAND), ("parts/pay.yaml", PAY)]);
    let binder = billreel::load(&dir.join("main.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let sb = binder.storyboard();
    // Mappings merge key by key; the storyboard's own keys win.
    let fonts: Vec<(&str, &str)> = sb.fonts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(fonts, [("body", "fonts/Inter-Regular.otf"), ("bold", "fonts/Inter-Bold.otf")]);
    assert_eq!((sb.video.width, sb.video.fps), (320, 10), "the storyboard's fps wins");
    assert!(sb.video.background.is_some(), "the part's background is kept");
    let vars: Vec<&str> = sb.vars.keys().map(String::as_str).collect();
    assert_eq!(vars, ["brand", "greeting"], "the parts' vars first, so the storyboard's can use them");
    // Scenes: the storyboard's list gives the order; the pay scene named there takes the
    // storyboard's duration over the part's and keeps the part's layers; the outro follows.
    let ids: Vec<&str> = sb.scenes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["hello", "pay", "outro"]);
    assert_eq!(sb.scenes[1].duration.0, 2.0);
    assert_eq!(sb.scenes[1].layers.len(), 1);
    let rec = billreel::record::Record {
        id: "A".into(),
        data: serde_json::json!({"id": "A", "customer": {"first_name": "Ann"}}),
        line: 1,
    };
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    let billreel::scene::NodeKind::Text(pay) = &graph.scenes[1].nodes[0].kind else { panic!("a text layer") };
    assert_eq!(pay.at(2.0).lines, ["Pay Brightwave"], "the part's var is bound in the part's scene");
}

#[test]
fn a_mistake_in_a_part_is_reported_at_its_file_line_and_column() {
    let pay = PAY.replace("x: 10, y: 10 }", "x: 10, y: 10, colr: red }");
    let main = MAIN.replace("  - id: pay\n    duration: 2s\n", "  - id: pay\n    duration: 2\n");
    let dir =
        folder("located", &[("main.yaml", &main), ("parts/brand.yaml", BRAND), ("parts/pay.yaml", &pay)]);
    let main_file = dir.join("main.yaml");
    let o = billreel(["check", &s(&main_file)]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let part = s(&dir.join("parts/pay.yaml"));
    assert!(
        t.contains(&format!(
            "{part}:4:68: unknown key `colr` in a text layer (included by {}:1:29)",
            s(&main_file)
        )),
        "the part's line and column, and where it is included:\n{t}"
    );
    assert!(t.contains("at scenes[1].layers[0].colr"), "the path as the storyboard sees it:\n{t}");
    // The storyboard's own lines keep their numbers, though the parts come before them.
    assert!(t.contains(&format!("{}:11:15: ", s(&main_file))), "the storyboard's own mistake:\n{t}");
    assert!(t.contains("2 problems found"), "{t}");

    // A syntax error in a part nested two deep: its own line, and both inclusions.
    let dir = folder(
        "syntax",
        &[
            ("main.yaml", "include: parts/a.yaml\nscenes: []\n"),
            ("parts/a.yaml", "# the brand\ninclude:\n  - b.yaml\n"),
            ("parts/b.yaml", "fonts:\n  body: a.otf\n bold: b.otf\n"),
        ],
    );
    let t = problems(&dir.join("main.yaml"), &Limits::default());
    let (a, b) = (s(&dir.join("parts/a.yaml")), s(&dir.join("parts/b.yaml")));
    assert!(t.starts_with(&format!("error: {b}:3:")), "{t}");
    assert!(t.contains("YAML syntax error"), "{t}");
    assert!(
        t.contains(&format!("(included by {a}:3:5, included by {}:1:10)", s(&dir.join("main.yaml")))),
        "{t}"
    );
}

#[test]
fn a_part_that_is_not_a_mapping_is_refused_at_its_start() {
    let dir = folder(
        "list",
        &[
            ("main.yaml", "include: [ok.yaml, list.yaml]\nscenes: []\n"),
            ("ok.yaml", "# fine\n"),
            ("list.yaml", "# oops\n- 1\n"),
        ],
    );
    let t = problems(&dir.join("main.yaml"), &Limits::default());
    let want = format!(
        "{}:1:1: an included part must be a mapping of storyboard keys (`fonts:`, `scenes:`, …), but this one is a list (included by {}:1:20)",
        s(&dir.join("list.yaml")),
        s(&dir.join("main.yaml"))
    );
    assert!(t.contains(&want), "{t}");
    assert!(!t.contains("ok.yaml"), "an empty part (comments only) is fine: {t}");
}

#[test]
fn a_cycle_is_refused_with_its_chain() {
    let dir = folder(
        "cycle",
        &[
            ("main.yaml", "include: a.yaml\nscenes: []\n"),
            ("a.yaml", "include: [b.yaml]\n"),
            ("b.yaml", "fonts: {}\ninclude: a.yaml\n"),
        ],
    );
    let t = problems(&dir.join("main.yaml"), &Limits::default());
    let (a, b) = (s(&dir.join("a.yaml")), s(&dir.join("b.yaml")));
    assert!(
        t.starts_with(&format!("error: {b}:2:10: `include: a.yaml` makes a cycle: {a} → {b} → {a}")),
        "{t}"
    );
    assert!(t.contains("hint: a part cannot include a file that includes it"), "{t}");

    // A part two files include (not a cycle) is read once, and its scene is one scene.
    let dir = folder(
        "diamond",
        &[
            ("main.yaml", "include: [a.yaml, b.yaml]\nvideo: { width: 320, height: 180, fps: 10 }\n"),
            ("a.yaml", "include: shared.yaml\n"),
            ("b.yaml", "include: shared.yaml\nscenes: [ { id: b, duration: 1s } ]\n"),
            ("shared.yaml", "scenes: [ { id: shared, duration: 1s } ]\n"),
        ],
    );
    let binder = billreel::load(&dir.join("main.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let ids: Vec<&str> = binder.storyboard().scenes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["shared", "b"]);
}

#[test]
fn parts_outside_the_storyboards_folders_are_refused() {
    let dir = folder("escape", &[("outside.yaml", "fonts: {}\n"), ("sb/parts/ok.yaml", "fonts: {}\n")]);
    let main = dir.join("sb/main.yaml");
    let refused = |include: &str| {
        std::fs::write(&main, format!("assets: ../../../../assets\ninclude: {include}\nscenes: []\n"))
            .unwrap();
        problems(&main, &Limits::default())
    };
    let t = refused("../outside.yaml");
    assert!(t.contains("main.yaml:2:10: `include: ../outside.yaml` leaves the folders parts may be in: `..` leads outside"), "{t}");
    assert!(t.contains("hint: keep shared parts in the storyboard's folder"), "{t}");
    let t = refused("/etc/hostname");
    assert!(
        t.contains("main.yaml:2:10: `include: /etc/hostname` must be a path relative to this file"),
        "{t}"
    );
    let t = refused("parts/nope.yaml");
    assert!(
        t.contains("cannot include `parts/nope.yaml`: ") && t.contains("sb/parts/nope.yaml does not exist"),
        "{t}"
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("outside.yaml"), dir.join("sb/parts/link.yaml")).unwrap();
        let t = refused("parts/link.yaml");
        assert!(
            t.contains("`include: parts/link.yaml` leaves the folders parts may be in: a link leads outside"),
            "{t}"
        );
    }
    // `..` that stays inside is fine, and so is a part in the assets folder.
    let t = refused("parts/../parts/ok.yaml");
    assert!(
        t.contains("the storyboard is missing the required key `video`") && !t.contains("`include"),
        "{t}"
    );
    let t = refused("../../../../assets/fonts/Inter-LICENSE.txt");
    assert!(
        t.contains("fonts/Inter-LICENSE.txt") && !t.contains("leaves the folders"),
        "read, not refused: {t}"
    );
}

#[test]
fn includes_are_bounded_in_depth_and_in_size_with_the_storyboard() {
    let mut files: Vec<(String, String)> =
        vec![("main.yaml".into(), "include: p1.yaml\nscenes: []\n".into())];
    for i in 1..=10 {
        files.push((format!("p{i}.yaml"), format!("include: p{}.yaml\n", i + 1)));
    }
    files.push(("p11.yaml".into(), "fonts: {}\n".into()));
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = folder("depth", &refs);
    let t = problems(&dir.join("main.yaml"), &Limits::default());
    assert!(t.contains("p8.yaml:1:10: parts are included 9 deep here; the limit is 8"), "{t}");
    assert!(t.contains("--limit include-depth=N"), "{t}");
    let lifted = Limits { include_depth: 11, ..Limits::default() };
    assert!(!problems(&dir.join("main.yaml"), &lifted).contains("deep"));

    let big = format!(
        "vars:\n{}",
        (0..100).map(|i| format!("  v{i}: \"'{}'\"\n", "x".repeat(20))).collect::<String>()
    );
    let dir = folder("size", &[("main.yaml", "include: big.yaml\nscenes: []\n"), ("big.yaml", &big)]);
    let small = Limits { storyboard_bytes: 2048, ..Limits::default() };
    let t = problems(&dir.join("main.yaml"), &small);
    assert!(t.contains("main.yaml:1:10: cannot include `big.yaml`: the storyboard and its parts are over 2KiB, the limit"), "{t}");
}

#[test]
fn an_anchor_of_a_part_is_used_by_the_storyboard() {
    let part = "\
x-brand: &brand { font: body, size: 30, color: \"#ffcc00\" }
x-blue: &blue \"#0000ff\"
x-label: &label
  type: text
  sise: 12
fonts: { body: fonts/Inter-Regular.otf }
";
    let main = "\
include: parts/brand.yaml
video: { width: 320, height: 180, fps: 10, background: *blue }
assets: ../../../assets
scenes:
  - id: a
    duration: 1s
    layers:
      - { <<: *brand, type: text, text: hi, x: 0, y: 0 }
      - { type: rect, x: 0, y: 100, width: 320, height: 80, fill: *blue }
";
    let dir = folder("anchor", &[("main.yaml", main), ("parts/brand.yaml", part)]);
    let binder = billreel::load(&dir.join("main.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let layer = &binder.storyboard().scenes[0].layers[0];
    assert_eq!(layer.keys.get("color").and_then(|v| v.as_str()), Some("#ffcc00"));
    assert_eq!(layer.keys.get("size").and_then(|v| v.as_u64()), Some(30));
    // The pixels agree: the part's blue under the storyboard's rect, through `preview`.
    let png = dir.join("a.png");
    let data = common::write(&dir, "run.jsonl", "{\"id\": \"A\"}\n");
    let o = billreel([
        "preview",
        &s(&dir.join("main.yaml")),
        "--data",
        &data,
        "--id",
        "A",
        "--at",
        "0.5s",
        "-o",
        &s(&png),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let img = image::open(&png).unwrap().to_rgba8();
    assert_eq!(img.get_pixel(300, 50).0, [0, 0, 255, 255], "the part's background");

    // A mistake inside the anchored mapping is reported where the part wrote it.
    let broken =
        main.replace("- { <<: *brand,", "- { <<: *label, text: hi, x: 0, y: 0 }\n      - { <<: *brand,");
    std::fs::write(dir.join("main.yaml"), broken).unwrap();
    let t = problems(&dir.join("main.yaml"), &Limits::default());
    assert!(
        t.contains(&format!(
            "{}:5:3: unknown key `sise` in a text layer (included by ",
            s(&dir.join("parts/brand.yaml"))
        )),
        "{t}"
    );
    assert!(t.contains("at scenes[0].layers[0].sise"), "{t}");
}

#[test]
fn render_and_batch_see_the_parts_and_a_changed_part_renders_again() {
    let main = MAIN.replace("fonts: { bold: fonts/Inter-Bold.otf }\n", "");
    let dir = folder("batch", &[("main.yaml", &main), ("parts/brand.yaml", BRAND), ("parts/pay.yaml", PAY)]);
    let data = common::write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"Ann\"}}\n{\"id\": \"B\", \"customer\": {\"first_name\": \"Bo\"}}\n");
    let mp4 = dir.join("A.mp4");
    let o = billreel(["render", &s(&dir.join("main.yaml")), "--data", &data, "--id", "A", "-o", &s(&mp4)]);
    assert!(o.status.success(), "{}", text(&o));
    let probe = common::ffprobe(&mp4, "format=duration");
    assert_eq!(
        common::field(&probe, "duration").parse::<f64>().unwrap().round(),
        4.0,
        "hello 1 s, pay 2 s, outro 1 s"
    );

    let out = dir.join("out");
    let batch = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_billreel"))
            .args(["batch", &s(&dir.join("main.yaml")), "--data", &data, "--out", &s(&out), "--jobs", "1"])
            .env("BILLREEL_LINK_SECRET", "test-secret-0123456789abcdef")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    assert!(batch().contains("done: 2 ok, 0 skipped"));
    assert!(batch().contains("done: 0 ok, 2 skipped"), "nothing changed, nothing to do");
    std::fs::write(dir.join("parts/brand.yaml"), BRAND.replace("#123a63", "#0b1f3a")).unwrap();
    let t = batch();
    assert!(t.contains("done: 2 ok, 0 skipped"), "a changed part changes every video: {t}");
}

#[test]
fn a_records_problem_in_a_parts_template_names_the_part() {
    let pay = PAY.replace("Pay {{ brand }}", "Pay {{ bill.total | currency }}");
    let dir = folder("record", &[("main.yaml", MAIN), ("parts/brand.yaml", BRAND), ("parts/pay.yaml", &pay)]);
    let data = common::write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"Ann\"}}\n");
    let o = billreel(["check", &s(&dir.join("main.yaml")), "--data", &data]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let want = format!(
        "record A: the record has no field `bill.total` (in scenes[1].layers[0].text at {}:4:35)",
        s(&dir.join("parts/pay.yaml"))
    );
    assert!(t.contains(&want), "the template's place in the part:\n{t}");
}
