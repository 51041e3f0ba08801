//! The documentation's examples must work: the complete storyboard in docs/storyboard.md is
//! loaded, bound to the record shown beside it, and drawn.

mod common;

use std::path::PathBuf;

use billreel::record::Record;
use billreel::scene::NodeKind;
use common::repo;

/// The contents of the first fenced block of `lang` in `text`.
fn first_block<'a>(text: &'a str, lang: &str) -> &'a str {
    let start =
        text.find(&format!("```{lang}\n")).unwrap_or_else(|| panic!("no ```{lang} block")) + lang.len() + 4;
    let len = text[start..].find("```").unwrap();
    &text[start..start + len]
}

/// Writes the first YAML block of a document to a file and loads it with the repository's assets.
fn load_first_yaml(doc: &str, name: &str) -> billreel::bind::Binder {
    let sb_path: PathBuf = common::fresh_dir("docs-test", name).join("storyboard.yaml");
    std::fs::write(&sb_path, first_block(doc, "yaml")).unwrap();
    billreel::load(&sb_path, Some(&repo().join("assets"))).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn the_storyboard_reference_example_renders() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let data: serde_json::Value = serde_json::from_str(first_block(&doc, "json")).unwrap();
    let binder = load_first_yaml(&doc, "reference");
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
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let binder = load_first_yaml(&readme, "readme");
    let data = serde_json::json!({"id": "A", "customer": {"first_name": "Ann"}, "bill": {"total": 12.5, "overdue_days": 3}});
    let graph = binder.bind(&Record { id: "A".into(), data, line: 1 }).unwrap_or_else(|e| panic!("{e}"));
    let NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!() };
    assert_eq!(t.at(1.0).lines, ["Hello Ann, you owe £12.50"]);
    assert_eq!(graph.scenes.len(), 2);
}

#[test]
fn the_kubernetes_example_is_consistent() {
    let text = std::fs::read_to_string(repo().join("deploy/kubernetes/indexed-job.yaml")).unwrap();
    let job: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["podReplacementPolicy"], "Failed", "no two pods for one index at once");
    let completions = spec["completions"].as_u64().unwrap();
    let container = &spec["template"]["spec"]["containers"][0];
    let env = container["env"].as_sequence().unwrap();
    let shards = env.iter().find(|e| e["name"] == "JOB_COMPLETIONS").unwrap()["value"].as_str().unwrap();
    assert_eq!(shards.parse::<u64>().unwrap(), completions, "JOB_COMPLETIONS must equal completions");
    assert!(env.iter().any(|e| e["name"] == "BILLREEL_LINK_SECRET"));
    let args: Vec<&str> =
        container["args"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[0], "batch");
    // The arguments parse as a billreel command line.
    use clap::Parser;
    let cli = billreel::cli::Cli::try_parse_from(std::iter::once("billreel").chain(args.iter().copied()));
    assert!(cli.is_ok(), "{:?}", cli.err());
}

/// Every YAML snippet of the reference (a layer, a scene) is valid: each is put into a
/// storyboard of its own and loaded, so a misspelt key or a wrong value in the docs fails here.
#[test]
fn every_snippet_in_the_storyboard_reference_loads() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let header = "video: { width: 1280, height: 720, fps: 30 }\nfonts: { body: fonts/Inter-Regular.otf, bold: fonts/Inter-Bold.otf, semibold: fonts/Inter-SemiBold.otf }\n";
    let mut checked = 0;
    for (i, block) in doc.split("```yaml\n").skip(2).enumerate() {
        let block = &block[..block.find("```").unwrap()];
        let indented: String = block.lines().map(|l| format!("      {l}\n")).collect();
        let sb = if block.starts_with("- id:") {
            format!("{header}scenes:\n{}", block.lines().map(|l| format!("  {l}\n")).collect::<String>())
        } else if block.starts_with("- ") {
            format!("{header}scenes:\n  - id: s\n    duration: 3s\n    layers:\n{indented}")
        } else if block.starts_with("formats:") {
            // A whole storyboard in several formats, with its own `video` (see Formats).
            block.to_string()
        } else if block.contains("\nscenes:") {
            // Top-level keys with their own scenes.
            format!("{header}{block}")
        } else {
            // Top-level keys only: add a scene for them to refer to.
            format!("{header}{block}scenes:\n  - {{ id: pay, duration: 5s }}\n")
        };
        let path = common::fresh_dir("docs-test", &format!("snippet-{i}")).join("storyboard.yaml");
        std::fs::write(&path, &sb).unwrap();
        if let Err(d) = billreel::load(&path, Some(&repo().join("assets"))) {
            panic!("snippet {i} of docs/storyboard.md does not load:\n{block}\n{d}");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} snippets found");
}

/// The Formats section's example: it loads in each of its formats, and each makes what it says.
#[test]
fn the_formats_example_renders_in_every_format() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let section = &doc[doc.find("\n## Formats\n").expect("a Formats section")..];
    let sb_path: PathBuf = common::fresh_dir("docs-test", "formats").join("storyboard.yaml");
    std::fs::write(&sb_path, first_block(section, "yaml")).unwrap();
    let data = serde_json::json!({"id": "A", "customer": {"first_name": "Ann"}});
    for (format, size, texts_shown) in
        [("landscape", (1280, 720), 2), ("portrait", (720, 1280), 1), ("square", (1080, 1080), 2)]
    {
        let binder =
            billreel::load_format(&sb_path, Some(&repo().join("assets")), &Default::default(), Some(format))
                .unwrap_or_else(|d| panic!("{format}: {d}"));
        let graph = binder.bind(&Record { id: "A".into(), data: data.clone(), line: 1 }).unwrap();
        assert_eq!((graph.width, graph.height), size, "{format}");
        let texts: Vec<String> = graph.scenes[0]
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Text(t) => Some(t.at(2.0).lines.join(" ")),
                _ => None,
            })
            .collect();
        assert_eq!(texts.len(), texts_shown, "{format}: {texts:?}");
        assert_eq!(texts[0], "Hello Ann");
        if format != "portrait" {
            assert_eq!(texts[1], format!("Your {}x{} bill", size.0, size.1));
        }
        let pix = billreel::raster::render(&graph, 15);
        assert_eq!((pix.width(), pix.height()), size);
    }
}
