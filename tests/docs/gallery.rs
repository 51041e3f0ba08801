//! The gallery (docs/gallery.md and its pictures in docs/images/gallery/): every layer kind,
//! enter and exit preset, scene transition and easing curve, drawn by the renderer itself from
//! the snippets below.
//!
//! The page and its pictures are generated, never drawn by hand, so they cannot drift: this test
//! renders every item and compares it with the committed picture (the reference-frame rule: a
//! pixel differs when a channel differs by more than 1; at most `MAX_DIFFERING` may), and the
//! committed page with the one generated. `MAKE_REF=1 cargo test --test docs gallery` rewrites
//! both after a change to the renderer or to this list (look at the pictures before committing).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use billreel::record::Record;
use image::RgbaImage;

use super::common::{self, repo};

const MAX_DIFFERING: usize = 40;
const WIDTH: u32 = 480;
const HEIGHT: u32 = 270;

/// Everything the snippets refer to.
fn record() -> Record {
    let data = serde_json::json!({
        "id": "G1",
        "customer": { "first_name": "Olivia" },
        "bill": {
            "total": 84.2, "previous_total": 91.5,
            "energy": 61.3, "network": 18.9, "taxes": 8.0,
            "items": [
                { "label": "Energy", "amount": 61.3 },
                { "label": "Network", "amount": 18.9 },
                { "label": "Credit", "amount": -4.0 },
                { "label": "Taxes", "amount": 8.0 }
            ]
        },
        "usage": {
            "months": ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"],
            "kwh": [310, 262, 231, 225, 240, 288],
            "kwh_last_year": [342, 300, 251, 230, 262, 320]
        },
        "budget": { "kwh": 2000 },
        "links": { "pay": "https://pay.example.com/G1" }
    });
    Record { id: "G1".into(), data, line: 1 }
}

const HEADER: &str = "version: 1
video: { width: 480, height: 270, fps: 30, background: \"#0b1f3a\" }
fonts: { body: fonts/Inter-Regular.otf, bold: fonts/Inter-Bold.otf }
locale: en-GB
currency: GBP
";

/// How an item's frames become one picture.
enum Shot {
    /// One frame at this time.
    Still(f64),
    /// Frames side by side, each at half size: motion read left to right.
    Strip(Vec<f64>),
    /// Rows of frames at half size, one strip per row (a preset entering, then leaving).
    Rows(Vec<Vec<f64>>),
    /// The band around `y` of frames at these times, stacked downwards: where a moving dot is at
    /// each time, so the picture is the easing curve itself (time runs down, progress right).
    Curve { y: u32, band: u32, times: Vec<f64> },
}

struct Item {
    /// File stem of the picture.
    file: String,
    /// Heading on the page.
    title: String,
    /// What the picture shows, for the page and for the picture's alternative text.
    about: String,
    /// The YAML shown on the page (a layer or a scene list).
    shown: String,
    /// The whole storyboard rendered.
    storyboard: String,
    shot: Shot,
}

/// A storyboard of one 2-second scene holding `layers` (YAML list items, indented 6).
fn one_scene(layers: &str) -> String {
    format!("{HEADER}scenes:\n  - id: s\n    duration: 2s\n    layers:\n{}", indent(layers, 6))
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{:by$}{l}\n", "")).collect()
}

fn layer_kinds() -> Vec<Item> {
    let kinds: [(&str, &str, &str); 10] = [
        ("rect", "A box with rounded corners, a gradient fill and a stroke.",
         "- type: rect\n  x: 50%\n  y: 50%\n  width: 320\n  height: 150\n  anchor: center\n  radius: 24\n  fill: { linear: { angle: 90, stops: [\"#4fc3f7\", \"#7e57c2\"] } }\n  stroke: { color: \"#ffffff\", width: 3 }"),
        ("text", "Wrapped, centred text with a binding and a bold span.",
         "- type: text\n  text: \"Hello [b]{{ customer.first_name }}[/b], your bill for September is ready\"\n  size: 34\n  align: center\n  x: 50%\n  y: 50%\n  width: 400\n  anchor: center"),
        ("image", "An SVG logo drawn at the size shown.",
         "- type: image\n  src: logos/brightwave.svg\n  x: 50%\n  y: 50%\n  width: 320\n  height: 110\n  anchor: center"),
        ("qr", "The pay link as a QR code, with its quiet zone.",
         "- type: qr\n  data: \"{{ links.pay }}\"\n  x: 50%\n  y: 50%\n  width: 220\n  anchor: center"),
        ("progress", "A gauge: the half year's use against a budget, with a marker.",
         "- type: text\n  text: \"{{ usage.kwh | sum }} of {{ budget.kwh }} kWh\"\n  size: 26\n  x: 40\n  y: 90\n- type: progress\n  value: \"usage.kwh | sum\"\n  max: budget.kwh\n  marker: \"1500\"\n  x: 40\n  y: 140\n  width: 400\n  height: 24"),
        ("bar_chart", "This year's use against the year before, month by month.",
         "- type: bar_chart\n  x: 30\n  y: 20\n  width: 420\n  height: 230\n  labels: \"usage.months | map('date', 'month')\"\n  series:\n    - { values: usage.kwh_last_year, label: \"Year before\", color: \"#5c7a99\", show_values: false }\n    - { values: usage.kwh, label: \"This year\" }\n  label_size: 13"),
        ("line_chart", "The same data as lines, with a value axis.",
         "- type: line_chart\n  x: 30\n  y: 20\n  width: 420\n  height: 230\n  labels: \"usage.months | map('date', 'month')\"\n  series:\n    - { values: usage.kwh_last_year, label: \"Year before\", color: \"#5c7a99\", show_values: false }\n    - { values: usage.kwh, label: \"This year\" }\n  axis: true\n  ticks: 4\n  label_size: 13"),
        ("donut_chart", "What the bill is made of, with the total in the hole.",
         "- type: donut_chart\n  x: 40\n  y: 35\n  width: 400\n  height: 200\n  labels: [Energy, Network, Taxes]\n  values: \"[bill.energy, bill.network, bill.taxes]\"\n  center: \"{{ bill.total | currency }}\"\n  center_size: 22\n  label_size: 15"),
        ("comparison", "The amount and its change against the last bill (down is good news).",
         "- type: comparison\n  label: Your bill\n  value: bill.total\n  previous: bill.previous_total\n  format: \"{{ value | currency }}\"\n  delta_format: \"{{ change | abs | percent(1) }} less than last time\"\n  size: 64\n  x: 60\n  y: 60\n  width: 360"),
        ("table", "An itemised bill; the credit in green, a total row under a rule.",
         "- type: table\n  rows: bill.items\n  label: \"{{ row.label }}\"\n  amount: row.amount\n  format: \"{{ value | currency }}\"\n  total: { label: Total, value: bill.total }\n  zebra: \"#ffffff14\"\n  size: 20\n  x: 40\n  y: 20\n  width: 400"),
    ];
    kinds
        .into_iter()
        .map(|(kind, about, yaml)| Item {
            file: format!("layer-{kind}"),
            title: format!("`{kind}`"),
            about: about.into(),
            shown: yaml.into(),
            storyboard: one_scene(yaml),
            shot: Shot::Still(1.9),
        })
        .collect()
}

fn presets() -> Vec<Item> {
    let enter: Vec<f64> = (0..5).map(|k| 0.15 * k as f64).collect();
    let exit: Vec<f64> = (0..5).map(|k| 1.4 + 0.15 * k as f64).map(|t: f64| t.min(1.99)).collect();
    ["fade", "slide-up", "slide-down", "slide-left", "slide-right", "zoom"]
        .into_iter()
        .map(|p| {
            let yaml = format!(
                "- type: text\n  text: \"{{{{ bill.total | currency }}}}\"\n  font: bold\n  size: 72\n  x: 50%\n  y: 50%\n  anchor: center\n  enter: {{ preset: {p}, duration: 600ms }}\n  exit: {{ preset: {p}, duration: 600ms }}"
            );
            Item {
                file: format!("preset-{p}"),
                title: format!("`{p}`"),
                about: format!(
                    "`{p}` entering (top row: 0, 150, 300, 450 and 600 ms into the scene) and leaving (bottom row: the scene's last 600 ms)."
                ),
                shown: yaml.clone(),
                storyboard: one_scene(&yaml),
                shot: Shot::Rows(vec![enter.clone(), exit.clone()]),
            }
        })
        .collect()
}

fn transitions() -> Vec<Item> {
    let forms = [
        ("cut", "cut", "The default: the new scene replaces the old at once (frames from 100 ms before to 100 ms after)."),
        ("fade", "{ type: fade, duration: 500ms }", "A crossfade over 500 ms."),
        ("slide-right", "{ type: slide, from: right, duration: 500ms }", "The new scene slides in from the right, easing to a stop."),
        ("slide-bottom", "{ type: slide, from: bottom, duration: 500ms }", "The same from the bottom."),
        ("wipe-left", "{ type: wipe, from: left, duration: 500ms }", "The new scene is revealed by an edge moving away from the left."),
        ("wipe-top", "{ type: wipe, from: top, duration: 500ms }", "The same from the top."),
    ];
    forms
        .into_iter()
        .map(|(name, transition, about)| {
            let scenes = format!(
                "- id: first\n  duration: 1s\n  background: \"#1565c0\"\n  layers:\n    - {{ type: text, text: First, font: bold, size: 64, x: 50%, y: 50%, anchor: center }}\n- id: second\n  duration: 1.5s\n  transition: {transition}\n  background: \"#c62828\"\n  layers:\n    - {{ type: text, text: Second, font: bold, size: 64, x: 50%, y: 50%, anchor: center }}"
            );
            // The second scene starts when the first ends, less the overlap.
            let (from, step) = if name == "cut" { (0.9, 0.05) } else { (0.5, 0.125) };
            Item {
                file: format!("transition-{name}"),
                title: format!("`{}`", name.split('-').next().unwrap()),
                about: about.into(),
                storyboard: format!("{HEADER}scenes:\n{}", indent(&scenes, 2)),
                shown: scenes,
                shot: Shot::Strip((0..5).map(|k| from + step * k as f64).collect()),
            }
        })
        .collect()
}

fn easings() -> Vec<Item> {
    let curves = [
        ("linear", "The same speed throughout."),
        ("ease-in", "Starts slowly, arrives at full speed."),
        ("ease-out", "Starts at full speed, slows into place: the default of presets."),
        ("ease-in-out", "Slow at both ends."),
        ("cubic-bezier(0.34, 1.56, 0.64, 1)", "Any CSS cubic Bézier; this one overshoots and settles back."),
    ];
    curves
        .into_iter()
        .enumerate()
        .map(|(i, (easing, about))| {
            let yaml = format!(
                "- type: rect\n  width: 24\n  height: 24\n  radius: 12\n  fill: \"#4fc3f7\"\n  y: 123\n  animate:\n    - {{ at: 0s, x: 40 }}\n    - {{ at: 1s, x: 400, easing: \"{easing}\" }}"
            );
            Item {
                file: format!("easing-{}", ["linear", "ease-in", "ease-out", "ease-in-out", "cubic-bezier"][i]),
                title: format!("`{easing}`"),
                about: format!("{about} A dot moving from x 40 to 400 in one second, one row every 100 ms, time running down."),
                shown: yaml.clone(),
                storyboard: one_scene(&yaml),
                shot: Shot::Curve { y: 121, band: 28, times: (0..=10).map(|k| 0.1 * k as f64).collect() },
            }
        })
        .collect()
}

fn draw(item: &Item, dir: &Path) -> RgbaImage {
    let path = dir.join(format!("{}.yaml", item.file));
    std::fs::write(&path, &item.storyboard).unwrap();
    let binder = billreel::load(&path, Some(&repo().join("assets")))
        .unwrap_or_else(|d| panic!("gallery item {}:\n{}\n{d}", item.file, item.storyboard));
    let graph = binder.bind(&record()).unwrap_or_else(|e| panic!("gallery item {}: {e}", item.file));
    let frame =
        |t: f64| billreel::raster::to_rgba_image(&billreel::raster::render(&graph, graph.frame_at(t)));
    let half = |t: f64| {
        image::imageops::resize(&frame(t), WIDTH / 2, HEIGHT / 2, image::imageops::FilterType::Triangle)
    };
    let gap = 4;
    let sheet = |rows: &[Vec<f64>]| {
        let cols = rows.iter().map(Vec::len).max().unwrap() as u32;
        let (w, h) = (WIDTH / 2, HEIGHT / 2);
        let mut out = RgbaImage::from_pixel(
            cols * (w + gap) - gap,
            rows.len() as u32 * (h + gap) - gap,
            image::Rgba([255; 4]),
        );
        for (r, times) in rows.iter().enumerate() {
            for (c, &t) in times.iter().enumerate() {
                image::imageops::replace(
                    &mut out,
                    &half(t),
                    (c as u32 * (w + gap)) as i64,
                    (r as u32 * (h + gap)) as i64,
                );
            }
        }
        out
    };
    match &item.shot {
        Shot::Still(t) => frame(*t),
        Shot::Strip(times) => sheet(std::slice::from_ref(times)),
        Shot::Rows(rows) => sheet(rows),
        Shot::Curve { y, band, times } => {
            let mut out = RgbaImage::new(WIDTH, band * times.len() as u32);
            for (k, &t) in times.iter().enumerate() {
                let f = frame(t);
                let strip = image::imageops::crop_imm(&f, 0, *y, WIDTH, *band).to_image();
                image::imageops::replace(&mut out, &strip, 0, (k as u32 * band) as i64);
            }
            out
        }
    }
}

/// The page: each section's items with their YAML and picture.
fn page(sections: &[(&str, &str, Vec<Item>)]) -> String {
    let mut md = String::from(
        "# Gallery\n\n\
         <!-- Generated by `MAKE_REF=1 cargo test --test docs gallery` from tests/docs/gallery.rs; \
         do not edit by hand. -->\n\n\
         Every layer kind, enter and exit preset, scene transition and easing curve, drawn by \
         billreel from the YAML beside it (the tests draw them again and compare, so the pictures \
         are always what the current build draws). The storyboards are 480×270 with this head:\n\n",
    );
    let _ = write!(
        md,
        "```yaml\n{HEADER}```\n\nand are bound to this record:\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(&record().data).unwrap()
    );
    for (title, intro, items) in sections {
        let _ = write!(md, "\n## {title}\n\n{intro}\n");
        for item in items {
            let alt = item.about.replace('`', "");
            let _ = write!(
                md,
                "\n### {}\n\n{}\n\n```yaml\n{}\n```\n\n![{alt}](images/gallery/{}.png)\n",
                item.title, item.about, item.shown, item.file
            );
        }
    }
    md
}

pub fn differing(expected: &RgbaImage, actual: &RgbaImage) -> usize {
    expected
        .pixels()
        .zip(actual.pixels())
        .filter(|(e, a)| e.0.iter().zip(a.0.iter()).any(|(p, q)| p.abs_diff(*q) > 1))
        .count()
}

#[test]
fn the_gallery_is_what_the_renderer_draws() {
    let sections = [
        ("Layer kinds", "One frame near the end of a 2-second scene. Keys: [Layers](storyboard.md#layers).", layer_kinds()),
        ("Enter and exit presets", "`enter` and `exit` with each preset (`duration: 600ms`, the default easing `ease-out`). Keys: [Layers](storyboard.md#layers).", presets()),
        ("Scene transitions", "The second scene's `transition`, five frames across it. Keys: [Scenes](storyboard.md#scenes).", transitions()),
        ("Easing curves", "`easing` of a keyframe (and of presets, counts and chart growth). Keys: [Layers](storyboard.md#layers).", easings()),
    ];
    let work = common::fresh_dir("docs-test", "gallery");
    let pictures: PathBuf = repo().join("docs/images/gallery");
    let md_path = repo().join("docs/gallery.md");
    let md = page(&sections);
    let make = common::make_ref();
    if make {
        std::fs::create_dir_all(&pictures).unwrap();
        std::fs::write(&md_path, &md).unwrap();
    } else {
        let committed = std::fs::read_to_string(&md_path).unwrap_or_default();
        assert!(committed == md, "docs/gallery.md is not what tests/docs/gallery.rs generates: run `MAKE_REF=1 cargo test --test docs gallery`");
    }
    let mut wrong = Vec::new();
    for item in sections.iter().flat_map(|s| &s.2) {
        let actual = draw(item, &work);
        let path = pictures.join(format!("{}.png", item.file));
        if make {
            actual.save(&path).unwrap();
            continue;
        }
        let expected = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8();
        let n = if expected.dimensions() == actual.dimensions() {
            differing(&expected, &actual)
        } else {
            usize::MAX
        };
        if n > MAX_DIFFERING {
            actual.save(work.join(format!("{}.actual.png", item.file))).unwrap();
            wrong.push(format!("{} ({} pixels differ)", item.file, n));
        }
    }
    assert!(
        wrong.is_empty(),
        "gallery pictures no longer match the renderer (actual frames in {}): {}",
        work.display(),
        wrong.join(", ")
    );
}
