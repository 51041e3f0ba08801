//! Formats: one storyboard in several screen shapes. The format in bindings and conditions,
//! overrides and their errors, `check`'s layout lint per format, the segment cache per format,
//! `batch` in every format (files probed, manifest entries, reruns), and the landing page that
//! plays the format that fits the window (headless Chromium, with axe-core).

mod common;

use std::path::{Path, PathBuf};

use billreel::scene::{NodeKind, SceneGraph};
use common::{billreel, repo, text};

fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("formats-scratch", name)
}

fn frames_storyboard() -> PathBuf {
    repo().join("tests/frames/formats.yaml")
}

fn record(id: &str) -> billreel::record::Record {
    billreel::record::find(&repo().join("tests/frames/data.jsonl"), id, "id").unwrap()
}

fn graph_in(format: Option<&str>, id: &str) -> SceneGraph {
    let binder = billreel::load_format(&frames_storyboard(), None, &Default::default(), format)
        .unwrap_or_else(|d| panic!("{d}"));
    binder.bind(&record(id)).unwrap_or_else(|e| panic!("{e}"))
}

/// Every text the video shows, as laid out.
fn texts(graph: &SceneGraph) -> Vec<String> {
    let nodes = graph.scenes.iter().flat_map(|s| &s.nodes);
    nodes
        .filter_map(|n| match &n.kind {
            NodeKind::Text(t) => Some(t.variants.iter().map(|(_, b)| b.lines.join(" ")).collect::<String>()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_format_is_bound_by_name_and_size_and_compared_as_its_name() {
    for (format, size, tall_only) in [
        (None, "wide 320x180", false),
        (Some("tall"), "tall 180x320", true),
        (Some("square"), "square 240x240", false),
    ] {
        let g = graph_in(format, "R1");
        let (w, h) = size.split_once(' ').unwrap().1.split_once('x').unwrap();
        assert_eq!((g.width.to_string().as_str(), g.height.to_string().as_str()), (w, h));
        let t = texts(&g);
        assert!(t.contains(&size.to_string()), "{format:?}: {t:?}");
        assert_eq!(t.contains(&"tall only".to_string()), tall_only, "{format:?}: {t:?}");
    }
}

#[test]
fn lengths_follow_the_frame_and_the_safe_area() {
    // The band is `y: 0s%`, `width: 100vw`, `height: 8vmin`; the QR code `width: 40vmin`.
    let band = |g: &SceneGraph| g.scenes[0].nodes[0].bounds;
    let qr =
        |g: &SceneGraph| g.scenes[0].nodes.iter().find(|n| matches!(n.kind, NodeKind::Qr(_))).unwrap().bounds;
    let (wide, tall) = (graph_in(None, "R1"), graph_in(Some("tall"), "R1"));
    let near = |r: billreel::scene::Rect, want: [f32; 3]| {
        [r.y, r.w, r.h].iter().zip(want).all(|(a, b)| (a - b).abs() < 0.01)
    };
    assert!(near(band(&wide), [0.0, 320.0, 14.4]), "{:?}", band(&wide));
    assert!(near(band(&tall), [30.0, 180.0, 14.4]), "{:?}", band(&tall));
    // Wide: bottom-right at (94vw, 94vh); tall (override): bottom-centre on the safe area's
    // bottom edge, 40 px above the frame's.
    let (q, t) = (qr(&wide), qr(&tall));
    assert!((q.x + q.w - 300.8).abs() < 0.01 && (q.y + q.h - 169.2).abs() < 0.01, "{q:?}");
    assert!((t.x + t.w / 2.0 - 90.0).abs() < 0.01 && (t.y + t.h - 280.0).abs() < 0.01, "{t:?}");
    assert!((q.w - 72.0).abs() < 0.01, "{q:?}");
}

/// An override naming a format the storyboard does not declare, and a wrong value in an
/// override, are reported on the override's own line.
#[test]
fn override_errors_point_at_the_override_line() {
    let sb = std::fs::read_to_string(frames_storyboard()).unwrap();
    let file = Path::new("formats.yaml");
    let load = |text: &str| {
        billreel::load_text_format(text, file, Some(&repo().join("assets")), &Default::default(), None)
    };
    let typo = sb.replace("formats: { tall: { size: 20 } }", "formats: { tal: { size: 20 } }");
    let e = load(&typo).err().expect("an undeclared format is refused").to_string();
    let line = sb.lines().position(|l| l.contains("formats: { tall: { size: 20 } }")).unwrap() + 1;
    assert!(e.contains(&format!("formats.yaml:{line}:")), "{e}");
    assert!(e.contains("an override names the format `tal`, which the storyboard does not declare"), "{e}");
    assert!(e.contains("did you mean `tall`? the storyboard's formats are: wide, tall, square"), "{e}");
    // A wrong value only in the tall format's override: found when reading that format, at
    // the override's line, not at the layer's own `anchor:`.
    let bad = sb
        .replace("tall: { x: 50vw, y: 100s%, anchor: bottom }", "tall: { x: 50vw, y: 100s%, anchor: botom }");
    let line = sb.lines().position(|l| l.contains("anchor: bottom }")).unwrap() + 1;
    assert!(load(&bad).is_ok(), "the default format does not read the tall override");
    let e = billreel::load_text_format(
        &bad,
        file,
        Some(&repo().join("assets")),
        &Default::default(),
        Some("tall"),
    )
    .err()
    .expect("the tall format reads it")
    .to_string();
    assert!(e.contains(&format!("formats.yaml:{line}:")) && e.contains("botom"), "{e}");
}

/// `check` lints every format: a QR code off the bottom of one, texts overlapping in another,
/// a text in the band a platform covers; each warning names the format, the layer and its line.
#[test]
fn check_lints_the_layout_of_every_format() {
    let dir = scratch("check");
    let sb = std::fs::read_to_string(frames_storyboard())
        .unwrap()
        .replace("../../assets", &repo().join("assets").to_string_lossy());
    // Square: the format line over the name. Tall: the QR code pushed below the frame, the
    // name up into the top band.
    let sb = sb
        .replace(
            "formats: { tall: { size: 20 } }",
            "formats: { tall: { size: 20, y: 10 }, square: { y: 30s% } }",
        )
        .replace(
            "tall: { x: 50vw, y: 100s%, anchor: bottom }",
            "tall: { x: 50vw, y: 110vh, anchor: bottom }",
        );
    std::fs::write(dir.join("sb.yaml"), &sb).unwrap();
    let data = std::fs::read_to_string(repo().join("tests/frames/data.jsonl")).unwrap();
    std::fs::write(dir.join("run.jsonl"), data.lines().take(2).collect::<Vec<_>>().join("\n") + "\n")
        .unwrap();
    let o = billreel([
        "check".as_ref(),
        dir.join("sb.yaml").as_os_str(),
        "--data".as_ref(),
        dir.join("run.jsonl").as_os_str(),
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("storyboard OK (1 scenes in 3 formats: wide 320x180, tall 180x320, square 240x240)"),
        "{out}"
    );
    let line_of = |needle: &str| sb.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let qr_line = line_of("- type: qr");
    let name_line = line_of("- type: text");
    let format_line = line_of("format.name");
    let warning = |needle: &str| {
        out.lines().find(|l| l.contains("record R1") && l.contains(needle)).map(str::to_string)
    };
    let qr = warning("format `tall`, scene `s`, layer `qr#4`: the QR code leaves the 180x320 canvas by")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(qr.contains(&format!("sb.yaml:{qr_line}:")) && qr.contains("on the bottom"), "{qr}");
    let safe = warning("format `tall`, scene `s`, layer `text#1`: the text leaves the safe area")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(safe.contains(&format!("sb.yaml:{name_line}:")) && safe.contains("on the top"), "{safe}");
    let overlap = warning(
        "format `square`, scene `s`: the texts of layers `text#1` (scenes[0].layers[1]) and `text#2` overlap",
    )
    .unwrap_or_else(|| panic!("{out}"));
    assert!(overlap.contains(&format!("sb.yaml:{format_line}:")), "{overlap}");
    assert!(!out.contains("format `wide`"), "the default format is clean: {out}");
}

/// The segment cache keys a piece by what it shows and the frame it shows it on: the same
/// record's identical scene in two formats never shares a segment.
#[test]
fn segment_keys_differ_between_formats() {
    let settings = billreel::encode::EncodeSettings::default();
    let keys = |g: &SceneGraph| {
        billreel::encode::segment::plan(g, &settings).into_iter().map(|p| p.key).collect::<Vec<_>>()
    };
    let (wide, tall) = (graph_in(None, "R1"), graph_in(Some("tall"), "R1"));
    assert_eq!(keys(&wide), keys(&graph_in(None, "R1")), "the same format gives the same keys");
    let (kw, kt) = (keys(&wide), keys(&tall));
    assert!(kw.iter().all(|k| !kt.contains(k)), "no key is shared: {kw:?} {kt:?}");
}

const PAGE: &str = "page: { title: \"Bill {{ id }}\" }\ncta: [{ label: Pay, href: \"https://pay.example/{{ id }}\", x: 10vw, y: 70vh, width: 40vw, height: 12vmin, formats: { tall: { x: 10vw, y: 60s%, width: 80vw } } }]\npreview: { from: 0s, duration: 1s, width: 120, fps: 5 }\n";

/// Runs a batch of R1 and R2 in `formats` (all when empty) into `dir/out`; the manifest lines.
fn batch(dir: &Path, formats: &str) -> (Vec<serde_json::Value>, String) {
    let sb = std::fs::read_to_string(frames_storyboard())
        .unwrap()
        .replace("../../assets", &repo().join("assets").to_string_lossy());
    std::fs::write(dir.join("sb.yaml"), format!("{sb}{PAGE}")).unwrap();
    let data = repo().join("tests/frames/data.jsonl");
    let all = std::fs::read_to_string(&data).unwrap();
    std::fs::write(dir.join("run.jsonl"), all.lines().take(2).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let at = |s: &str| dir.join(s).to_string_lossy().into_owned();
    let mut args: Vec<String> = vec!["batch".into(), at("sb.yaml"), "--data".into(), at("run.jsonl")];
    args.extend(["--out".into(), at("out"), "--guessable-links".into(), "--jobs".into(), "2".into()]);
    args.extend(["--base-url".into(), "https://v.example/run/".into()]);
    if !formats.is_empty() {
        args.extend(["--formats".into(), formats.into()]);
    }
    let o = billreel(&args);
    assert!(o.status.success(), "{}", text(&o));
    let manifest = std::fs::read_to_string(dir.join("out/manifest.jsonl")).unwrap();
    let mut lines: Vec<serde_json::Value> =
        manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines.sort_by_key(|l| l["id"].as_str().unwrap().to_string());
    (lines, text(&o))
}

#[test]
fn batch_renders_every_format_and_lists_each_in_the_manifest() {
    let dir = scratch("batch");
    let (lines, _) = batch(&dir, "");
    let out = dir.join("out");
    assert_eq!(lines.len(), 2);
    for line in &lines {
        // The existing fields are the default format's, under the record's own name.
        let id = line["video"].as_str().unwrap().strip_suffix(".mp4").unwrap();
        assert!(id.starts_with(line["id"].as_str().unwrap()), "{line:#}");
        assert_eq!(line["page"], format!("{id}.html"));
        let f = &line["formats"];
        assert_eq!(f.as_object().unwrap().len(), 3, "{line:#}");
        for (name, stem, w, h) in [
            ("wide", id.to_string(), 320, 180),
            ("tall", format!("{id}-tall"), 180, 320),
            ("square", format!("{id}-square"), 240, 240),
        ] {
            let e = &f[name];
            assert_eq!((e["width"].as_u64(), e["height"].as_u64()), (Some(w), Some(h)), "{name}");
            assert_eq!(e["video"], format!("{stem}.mp4"));
            assert_eq!(e["video_url"], format!("https://v.example/run/{stem}.mp4"));
            assert_eq!(e["poster"], format!("{stem}.jpg"));
            assert_eq!(e["preview"], format!("{stem}.gif"));
            let video = out.join(format!("{stem}.mp4"));
            let probe = common::ffprobe(&video, "stream=width,height,codec_name:format=duration");
            assert_eq!(common::field(&probe, "width"), w.to_string(), "{stem}: {probe}");
            assert_eq!(common::field(&probe, "height"), h.to_string(), "{stem}: {probe}");
            assert_eq!(common::field(&probe, "codec_name"), "h264", "{stem}: {probe}");
            // 1 s at 10 fps, decoded at a constant rate: ten frames.
            assert_eq!(common::frames_at(&video, 10), 10, "{stem}");
            let (sha, bytes) = (e["sha256"].as_str().unwrap(), e["bytes"].as_u64().unwrap());
            assert_eq!(std::fs::metadata(&video).unwrap().len(), bytes);
            assert_eq!(sha.len(), 64);
            let poster = image::open(out.join(format!("{stem}.jpg"))).unwrap();
            assert_eq!((poster.width(), poster.height()), (w as u32, h as u32));
        }
        assert_eq!(f["wide"]["sha256"], line["sha256"]);
        // One page offers the three videos, each for the window shapes it suits.
        let html = std::fs::read_to_string(out.join(format!("{id}.html"))).unwrap();
        for needle in [
            format!("<source src=\"{id}.mp4\" type=\"video/mp4\" media=\"(min-aspect-ratio: 13333/10000)\">"),
            format!("<source src=\"{id}-tall.mp4\" type=\"video/mp4\" media=\"(max-aspect-ratio: 7500/10000)\">"),
            format!("<source src=\"{id}-square.mp4\" type=\"video/mp4\" media=\"(min-aspect-ratio: 7500/10000) and (max-aspect-ratio: 13333/10000)\">"),
        ] {
            assert!(html.contains(&needle), "{needle}\n{html}");
        }
    }
    // A rerun skips every record; asking for fewer formats is a different run.
    let (again, said) = batch(&dir, "");
    assert!(said.contains("0 ok, 2 skipped"), "{said}");
    assert_eq!(again[0]["formats"].as_object().unwrap().len(), 3);
    let (two, said) = batch(&dir, "tall,wide");
    assert!(said.contains("2 ok, 0 skipped"), "{said}");
    let names: Vec<&String> = two[0]["formats"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["tall", "wide"]);
    assert_eq!(two[0]["video"], lines[0]["video"], "the default first when it is rendered");
    let sb = dir.join("sb.yaml");
    let o = billreel([
        "batch".as_ref(),
        sb.as_os_str(),
        "--data".as_ref(),
        "x".as_ref(),
        "--out".as_ref(),
        "x".as_ref(),
        "--guessable-links".as_ref(),
        "--formats".as_ref(),
        "tal".as_ref(),
    ]);
    assert!(
        text(&o).contains("no format `tal`") && text(&o).contains("did you mean `tall`?"),
        "{}",
        text(&o)
    );
}

/// What the page chose, probed in the browser, with axe-core's verdict.
const PROBE: &str = r#"
(async function () {
  var video = document.querySelector("video"), out = {};
  try {
    if (video.readyState < 1) await new Promise(function (r) { video.addEventListener("loadedmetadata", r, { once: true }); });
    out.format = video.parentNode.dataset.format;
    out.src = video.currentSrc.split("/").pop();
    out.size = [video.videoWidth, video.videoHeight];
    out.poster = video.poster.split("/").pop();
    out.ctas = Array.prototype.map.call(document.querySelectorAll(".cta"), function (b) { return b.id; });
    var r = await axe.run(document, { resultTypes: ["violations"] });
    out.axe = r.violations.map(function (v) { return v.id + ": " + v.nodes.map(function (n) { return n.target.join(" "); }).join(", "); });
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  fetch("/report", { method: "POST", body: JSON.stringify(out) });
})();
"#;

#[test]
fn the_page_plays_the_format_that_fits_the_window() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let dir = scratch("page");
    let (lines, _) = batch(&dir, "");
    let out = dir.join("out");
    let r1 = lines[0]["video"].as_str().unwrap().strip_suffix(".mp4").unwrap().to_string();
    let html = std::fs::read_to_string(out.join(format!("{r1}.html"))).unwrap();
    let tools = "<script src=\"axe.min.js\"></script>\n  <script src=\"probe.js\"></script>\n</body>";
    std::fs::write(out.join("probe.html"), html.replacen("</body>", tools, 1)).unwrap();
    std::fs::copy(repo().join("tests/vendor/axe-core/axe.min.js"), out.join("axe.min.js")).unwrap();
    std::fs::write(out.join("probe.js"), PROBE).unwrap();
    for ((w, h), format, size) in [
        ((390, 844), "tall", [180, 320]),
        ((1280, 800), "wide", [320, 180]),
        ((800, 760), "square", [240, 240]),
    ] {
        let stem = if format == "wide" { r1.clone() } else { format!("{r1}-{format}") };
        let (base, reports) = common::serve_with_reports(&out);
        let report = common::headless_report_with(
            &chromium,
            &format!("{base}/probe.html"),
            &reports,
            std::time::Duration::from_secs(60),
            &[&format!("--window-size={w},{h}")],
        );
        let r: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert!(r.get("error").is_none(), "{w}x{h}: {r:#}");
        assert_eq!(r["format"], format, "{w}x{h}: {r:#}");
        assert_eq!(r["src"], format!("{stem}.mp4"), "{w}x{h}: {r:#}");
        assert_eq!(r["size"], serde_json::json!(size), "{w}x{h}: {r:#}");
        assert_eq!(r["poster"], format!("{stem}.jpg"), "{w}x{h}: {r:#}");
        // Only the chosen format's button is left, placed for that format.
        let id = if format == "wide" { "cta-0".to_string() } else { format!("cta-{format}-0") };
        assert_eq!(r["ctas"], serde_json::json!([id]), "{w}x{h}: {r:#}");
        assert_eq!(r["axe"], serde_json::json!([]), "{w}x{h}: axe-core reports {r:#}");
    }
}
