//! The documentation's examples must work: the complete storyboard in docs/storyboard.md is
//! loaded, bound to the record shown beside it, and drawn.

use std::path::Path;

use billreel::record::Record;
use billreel::scene::NodeKind;

/// The contents of the first fenced block of `lang` in `text`.
fn first_block<'a>(text: &'a str, lang: &str) -> &'a str {
    let start =
        text.find(&format!("```{lang}\n")).unwrap_or_else(|| panic!("no ```{lang} block")) + lang.len() + 4;
    let len = text[start..].find("```").unwrap();
    &text[start..start + len]
}

#[test]
fn the_storyboard_reference_example_renders() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(repo.join("docs/storyboard.md")).unwrap();
    let dir = repo.join("target/docs-test");
    std::fs::create_dir_all(&dir).unwrap();
    let sb_path = dir.join("example.yaml");
    std::fs::write(&sb_path, first_block(&doc, "yaml")).unwrap();
    let data: serde_json::Value = serde_json::from_str(first_block(&doc, "json")).unwrap();

    let binder = billreel::load(&sb_path, Some(&repo.join("assets"))).unwrap_or_else(|d| panic!("{d}"));
    let rec = Record { id: data["id"].as_str().unwrap().into(), data, line: 1 };
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = graph.scenes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["hello", "amount", "usage", "reminder", "pay"],
        "the record is overdue: all scenes play"
    );
    assert!(graph.missing_glyphs().is_empty());
    let NodeKind::Text(greeting) = &graph.scenes[0].nodes[1].kind else { panic!("second layer is text") };
    assert_eq!(greeting.at(2.0).lines, ["Hello Olivia,"]);
    let NodeKind::Text(amount) = &graph.scenes[1].nodes[1].kind else { panic!() };
    assert_eq!(amount.at(4.0).lines, ["£200.27"], "the count-up ends on the exact amount");
    // Every frame of every scene draws without panicking; spot-check the middle of each.
    for s in &graph.scenes {
        let pix = billreel::raster::render(&graph, s.start + s.frames / 2);
        assert_eq!((pix.width(), pix.height()), (1280, 720));
    }
}

#[test]
fn the_readme_example_renders() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let dir = repo.join("target/docs-test");
    std::fs::create_dir_all(&dir).unwrap();
    let sb_path = dir.join("readme.yaml");
    std::fs::write(&sb_path, first_block(&readme, "yaml")).unwrap();
    let binder = billreel::load(&sb_path, Some(&repo.join("assets"))).unwrap_or_else(|d| panic!("{d}"));
    let data = serde_json::json!({"id": "A", "customer": {"first_name": "Ann"}, "bill": {"total": 12.5, "overdue_days": 3}});
    let graph = binder.bind(&Record { id: "A".into(), data, line: 1 }).unwrap_or_else(|e| panic!("{e}"));
    let NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!() };
    assert_eq!(t.at(1.0).lines, ["Hello Ann, you owe £12.50"]);
    assert_eq!(graph.scenes.len(), 2);
}
