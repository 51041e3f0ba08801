//! The documentation's examples must work: the complete storyboard in docs/storyboard.md is
//! loaded, bound to the record shown beside it, and drawn.

mod common;
#[path = "docs/gallery.rs"]
mod gallery;
#[path = "docs/tutorial.rs"]
mod tutorial;

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
    let mut checked = 0;
    for (i, block) in doc.split("```yaml\n").skip(2).enumerate() {
        let block = &block[..block.find("```").unwrap()];
        // Blocks that need files beside them are loaded with those by their own tests.
        let Some(sb) = common::snippet_storyboard(block) else { continue };
        let path = common::fresh_dir("docs-test", &format!("snippet-{i}")).join("storyboard.yaml");
        std::fs::write(&path, &sb).unwrap();
        if let Err(d) = billreel::load(&path, Some(&repo().join("assets"))) {
            panic!("snippet {i} of docs/storyboard.md does not load:\n{block}\n{d}");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} snippets found");
}

/// docs/limits.md lists every limit with the default `billreel limits` prints.
#[test]
fn the_limits_page_lists_every_limit_with_its_default() {
    let page = std::fs::read_to_string(repo().join("docs/limits.md")).unwrap();
    let table = billreel::limits::Limits::default().to_string();
    for line in table.lines() {
        let mut cols = line.split_whitespace();
        let (name, default) = (cols.next().unwrap(), cols.next().unwrap());
        assert!(
            page.contains(&format!("| `{name}` | {default} |")),
            "docs/limits.md has no row for `{name}` with its default {default}"
        );
    }
}

/// The expressions cheat sheet's examples do what it says, for a record like the tutorial's.
#[test]
fn the_expressions_cheat_sheet_works_as_written() {
    let page = std::fs::read_to_string(repo().join("docs/expressions.md")).unwrap().replace("\\|", "|");
    let cases = [
        ("bill.overdue_days > 0", "True"),
        ("customer.title is defined", "False"),
        ("customer.nickname | default(customer.first_name)", "Olivia"),
        ("bill.tariff in ['green', 'solar']", "True"),
        ("'Hello ' ~ customer.first_name", "Hello Olivia"),
        ("bill.total | currency", "£84.20"),
        ("bill.due_date | date", "15 December 2026"),
        ("usage.kwh | sum", "1556"),
        ("usage.months | map('date', 'month')", "[\"Apr\", \"May\", \"Jun\", \"Jul\", \"Aug\", \"Sept\"]"),
        ("bill.items | selectattr('amount', '<', 0) | list", "[{\"amount\": -4.0, \"label\": \"Credit\"}]"),
        ("usage.kwh is sequence", "True"),
        ("'late' if bill.overdue_days > 0 else 'on time'", "late"),
        ("customer.first_name | upper", "OLIVIA"),
    ];
    let mut sb = String::from(common::HEADER);
    sb.push_str("locale: en-GB\ncurrency: GBP\nscenes:\n  - id: s\n    duration: 1s\n    layers:\n");
    for (expr, _) in &cases {
        assert!(page.contains(&format!("`{expr}`")), "docs/expressions.md does not show `{expr}`");
        sb.push_str(&format!(
            "      - {{ type: text, text: \"{{{{ {} }}}}\" }}\n",
            expr.replace('"', "\\\"")
        ));
    }
    let dir = common::fresh_dir("docs-test", "expressions");
    let path = dir.join("storyboard.yaml");
    std::fs::write(&path, &sb).unwrap();
    let binder = billreel::load(&path, None).unwrap_or_else(|d| panic!("{d}"));
    let data = serde_json::json!({
        "id": "E1", "customer": {"first_name": "Olivia"},
        "bill": {"total": 84.2, "overdue_days": 12, "tariff": "green", "due_date": "2026-12-15",
                 "items": [{"label": "Energy", "amount": 61.3}, {"label": "Credit", "amount": -4.0}]},
        "usage": {"kwh": [310, 262, 231, 225, 240, 288],
                  "months": ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"]}
    });
    let graph = binder.bind(&Record { id: "E1".into(), data, line: 1 }).unwrap_or_else(|e| panic!("{e}"));
    for (i, (expr, want)) in cases.iter().enumerate() {
        let NodeKind::Text(t) = &graph.scenes[0].nodes[i].kind else { panic!("layer {i} is text") };
        assert_eq!(t.at(0.5).lines.join(" "), *want, "{{{{ {expr} }}}}");
    }
}

/// Every relative link in the README and docs/ leads to a file that exists.
#[test]
fn every_relative_link_in_the_docs_leads_somewhere() {
    let mut pages = vec![repo().join("README.md")];
    for e in std::fs::read_dir(repo().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            pages.push(p);
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').unwrap_or(0)];
            let file = target.split('#').next().unwrap();
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") || file.contains(' ') {
                continue;
            }
            if !page.parent().unwrap().join(file).exists() {
                broken.push(format!("{}: {target}", page.strip_prefix(repo()).unwrap().display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing:\n{}", broken.join("\n"));
}

/// The fenced blocks of `lang` in the section of `doc` that starts with `heading`.
fn blocks_in_section<'a>(doc: &'a str, heading: &str, lang: &str) -> Vec<&'a str> {
    let start = doc.find(heading).unwrap_or_else(|| panic!("no section {heading}"));
    let section = &doc[start..];
    let section =
        &section[..section[heading.len()..].find("\n## ").map_or(section.len(), |i| i + heading.len())];
    let fence = format!("```{lang}\n");
    section
        .match_indices(&fence)
        .map(|(i, _)| {
            let body = &section[i + fence.len()..];
            &body[..body.find("```").unwrap()]
        })
        .collect()
}

#[test]
fn the_include_example_renders_and_its_error_is_the_one_shown() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let heading = "## Including shared parts";
    let dir = common::fresh_dir("docs-test", "include");
    let files = blocks_in_section(&doc, heading, "yaml");
    assert_eq!(files.len(), 3, "the storyboard and its two parts");
    for body in &files {
        // Each block starts `# NAME: what it is`.
        let name = body.strip_prefix("# ").and_then(|l| l.split(':').next()).unwrap();
        std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
        std::fs::write(dir.join(name), body).unwrap();
    }
    let sb = dir.join("bill.yaml");
    let binder = billreel::load(&sb, Some(&repo().join("assets"))).unwrap_or_else(|d| panic!("{d}"));
    let data = serde_json::json!({"id": "A", "customer": {"first_name": "Ann"}, "bill": {"total": 12.5},
        "links": {"pay": "https://pay.example/A"}});
    let graph = binder.bind(&Record { id: "A".into(), data, line: 1 }).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = graph.scenes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["hello", "pay", "thanks"]);
    assert_eq!(binder.storyboard().scenes[1].duration.0, 4.0, "the storyboard's duration over the part's");
    let line = |scene: usize, node: usize| {
        let NodeKind::Text(t) = &graph.scenes[scene].nodes[node].kind else { panic!("a text layer") };
        t.at(1.5).lines.join(" ")
    };
    assert_eq!(line(0, 0), "Hello Ann,");
    assert_eq!(line(1, 0), "Pay £12.50");
    assert!(matches!(graph.scenes[1].nodes[1].kind, NodeKind::Qr(_)), "the part's QR code");
    for s in &graph.scenes {
        let pix = billreel::raster::render(&graph, s.start + s.frames / 2);
        assert_eq!((pix.width(), pix.height()), (1280, 720));
    }

    // The mistake the section describes gives the error it shows.
    let pay = std::fs::read_to_string(dir.join("parts/pay.yaml")).unwrap();
    std::fs::write(dir.join("parts/pay.yaml"), pay.replacen("y: 120 }", "y: 120, colr: red }", 1)).unwrap();
    let shown = blocks_in_section(&doc, heading, "text")[0].lines().next().unwrap();
    let got = match billreel::load(&sb, Some(&repo().join("assets"))) {
        Ok(_) => panic!("`colr` is not a key"),
        Err(d) => d.to_string().replace(&format!("{}/", dir.display()), "scenes/"),
    };
    assert_eq!(got.lines().next(), Some(shown), "{got}");
}

#[test]
fn the_translations_example_renders_in_each_language() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let section = &doc[doc.find("\n## Translations\n").expect("a Translations section")..];
    let dir = common::fresh_dir("docs-test", "translations");
    std::fs::write(dir.join("bill.yaml"), first_block(section, "yaml")).unwrap();
    // Each ```ftl block starts with a comment naming its file.
    let mut rest = section;
    let mut files = 0;
    while let Some(i) = rest.find("```ftl\n") {
        let block = first_block(&rest[i..], "ftl");
        let path = block.lines().next().unwrap().trim_start_matches("# ");
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, block).unwrap();
        files += 1;
        rest = &rest[i + 7..];
    }
    assert_eq!(files, 2);
    let binder = billreel::load(&dir.join("bill.yaml"), Some(&repo().join("assets")))
        .unwrap_or_else(|d| panic!("{d}"));
    let texts = |data: serde_json::Value| -> Vec<String> {
        let rec = Record { id: data["id"].as_str().unwrap().into(), data, line: 1 };
        let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for node in &graph.scenes[0].nodes {
            let NodeKind::Text(t) = &node.kind else { continue };
            out.push(t.at(2.0).lines.join(" "));
        }
        out
    };
    let pl: serde_json::Value = serde_json::from_str(first_block(section, "json")).unwrap();
    assert_eq!(texts(pl), ["Dzień dobry Zofia,", "Twój rachunek: 1234,50\u{a0}zł.", "Zaległość od 22 dni."]);
    let en = serde_json::json!({"id": "E1", "locale": "en-GB", "customer": {"first_name": "Ann", "gender": "female"}, "bill": {"total": 12.5, "currency": "GBP", "overdue_days": 1}});
    assert_eq!(texts(en), ["Hello Ann,", "your bill is £12.50.", "She has been overdue for 1 day."]);
}

/// The examples of the sections on expressions, motion over time, chart labels and the poster
/// load, bind to a record and draw; what each shows is checked on the bound scene.
#[test]
fn the_motion_sections_examples_render() {
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let data = serde_json::json!({
        "id": "M1", "locale": "en-GB", "customer": {"first_name": "Olivia"},
        "usage": {"months": ["2026-01", "2026-02", "2026-03"], "kwh": [320, 280, 150]}
    });
    let rec = Record { id: "M1".into(), data, line: 1 };
    let mut graphs = Vec::new();
    for heading in [
        "## Positions and sizes from expressions",
        "## Motion over time",
        "## Chart labels and the zero line",
        "## Turning the poster off",
        "## Background images",
    ] {
        let section = &doc[doc.find(heading).unwrap_or_else(|| panic!("no {heading}"))..];
        let binder = load_first_yaml(section, &heading[3..].replace(' ', "-"));
        let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{heading}: {e}"));
        let last = graph.total_frames - 1;
        for f in [0, graph.total_frames / 2, last] {
            billreel::raster::render(&graph, f);
        }
        graphs.push(graph);
    }
    // The underline is as wide as the greeting and the badge follows its right edge.
    let nodes = &graphs[0].scenes[0].nodes;
    assert_eq!(nodes[1].bounds.w, nodes[0].bounds.w);
    assert_eq!(nodes[2].bounds.x, nodes[0].bounds.x + nodes[0].bounds.w + 16.0);
    // The greeting starts its own width off the left edge.
    assert_eq!(nodes[0].animation.at(0.0).dx, -nodes[0].bounds.w - 40.0);
    // The button pulses: one scale key per frame of the 4 s scene.
    assert_eq!(graphs[1].scenes[0].nodes[0].animation.scale[0].keys.len(), 120);
    assert!(graphs[3].companions.poster.off);
    // The video's background is the picture, fitted to the canvas.
    let billreel::scene::Paint::Image(bg) = &graphs[4].background else { panic!("an image background") };
    assert_eq!((bg.width(), bg.height()), (640, 360));
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
