//! The tutorial (docs/tutorial.md) works as written: its data block is the records, each YAML
//! block is the whole storyboard at that step, and each step's picture is what
//! `preview --sheet` draws for it (the middle of every scene, a third of the size, one row per
//! customer), compared like the gallery's. `MAKE_REF=1 cargo test --test docs tutorial`
//! redraws the pictures.

use billreel::record::Record;
use image::imageops::{self, FilterType};
use image::RgbaImage;

use super::common::{self, repo};
use super::gallery::differing;

const MAX_DIFFERING: usize = 40;

/// Every fenced block of `lang` in `text`, in order.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let open = format!("```{lang}\n");
    text.split(open.as_str()).skip(1).map(|b| &b[..b.find("```").unwrap()]).collect()
}

/// What `billreel preview --sheet` draws (src/cli.rs `contact_sheet`).
fn sheet(graphs: &[billreel::scene::SceneGraph]) -> RgbaImage {
    let (w, h) = (graphs[0].width / 3, graphs[0].height / 3);
    let gap = 8;
    let cols = graphs.iter().map(|g| g.scenes.len()).max().unwrap_or(1) as u32;
    let mut out = RgbaImage::from_pixel(
        cols * (w + gap) + gap,
        graphs.len() as u32 * (h + gap) + gap,
        image::Rgba([24, 24, 28, 255]),
    );
    for (row, graph) in graphs.iter().enumerate() {
        for (col, scene) in graph.scenes.iter().enumerate() {
            let full = billreel::raster::to_rgba_image(&billreel::raster::render(
                graph,
                scene.start + scene.frames / 2,
            ));
            let tile = imageops::resize(&full, w, h, FilterType::Triangle);
            imageops::replace(
                &mut out,
                &tile,
                (gap + col as u32 * (w + gap)) as i64,
                (gap + row as u32 * (h + gap)) as i64,
            );
        }
    }
    out
}

#[test]
fn every_step_of_the_tutorial_draws_its_picture() {
    let doc = std::fs::read_to_string(repo().join("docs/tutorial.md")).unwrap();
    let records: Vec<Record> = blocks(&doc, "json")[0]
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let data: serde_json::Value = serde_json::from_str(l).unwrap();
            Record { id: data["id"].as_str().unwrap().into(), data, line: i + 1 }
        })
        .collect();
    assert_eq!(records.len(), 2);
    let steps = blocks(&doc, "yaml");
    assert_eq!(steps.len(), 4, "the tutorial has four storyboards");
    // Written where the tutorial puts it, so `assets: ../assets` finds the repository's assets.
    let dir = common::fresh_dir("docs-test", "tutorial").join("tutorial");
    std::fs::create_dir_all(&dir).unwrap();
    let make = common::make_ref();
    let mut wrong = Vec::new();
    for (i, yaml) in steps.iter().enumerate() {
        let n = i + 1;
        let picture = format!("images/tutorial/step-{n}.png");
        assert!(doc.contains(&format!("]({picture})")), "step {n} shows no picture {picture}");
        let sb = dir.join("bill.yaml");
        std::fs::write(&sb, yaml).unwrap();
        let binder =
            billreel::load(&sb, Some(&repo().join("assets"))).unwrap_or_else(|d| panic!("step {n}:\n{d}"));
        let graphs: Vec<_> = records
            .iter()
            .map(|r| binder.bind(r).unwrap_or_else(|e| panic!("step {n}, {}: {e}", r.id)))
            .collect();
        assert_eq!(graphs[0].scenes.len(), n, "step {n} adds a scene");
        let actual = sheet(&graphs);
        let path = repo().join("docs").join(&picture);
        if make {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            actual.save(&path).unwrap();
            continue;
        }
        let expected = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8();
        let d = if expected.dimensions() == actual.dimensions() {
            differing(&expected, &actual)
        } else {
            usize::MAX
        };
        if d > MAX_DIFFERING {
            actual.save(dir.join(format!("step-{n}.actual.png"))).unwrap();
            wrong.push(format!("step {n} ({d} pixels differ)"));
        }
    }
    assert!(
        wrong.is_empty(),
        "tutorial pictures no longer match (actual in {}): {}",
        dir.display(),
        wrong.join(", ")
    );
}
