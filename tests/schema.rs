//! `billreel schema`: the JSON Schema editors use, held to the parser from both sides with an
//! independent validator (Python's `jsonschema`, through scripts/validate-storyboards.py): every
//! storyboard the parser accepts (the demo's, the docs' and README's examples, the tests' own)
//! validates, and each wrong file under tests/schema/ is refused by both, for the reason it names
//! in its first lines (`# schema: PATH: MESSAGE`, `# parser: MESSAGE`).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::repo;
use serde_json::Value;

const SCHEMA_FILE: &str = "docs/storyboard.schema.json";

#[test]
fn the_committed_schema_is_what_billreel_schema_prints() {
    let out = common::billreel(["schema"]);
    assert!(out.status.success(), "{}", common::text(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(repo().join(SCHEMA_FILE)).unwrap_or_default();
    assert!(
        printed == committed,
        "{SCHEMA_FILE} differs from `billreel schema`: a storyboard type changed. Regenerate it with \
         `cargo run -- schema > {SCHEMA_FILE}` and commit it"
    );
    let schema: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn every_storyboard_the_parser_accepts_validates() {
    let Some(python) = validator() else { return };
    let dir = common::fresh_dir("schema-test", "accepted");
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in ["scenes", "tests/frames", "tests/e2e", "tests/batch", "tests/segments"] {
        for f in yaml_files(&repo().join(folder)) {
            // The tests' storyboards that the parser refuses on purpose are not for this test.
            if folder == "scenes" || loads(&f) {
                files.push(f);
            }
        }
    }
    let storyboards = files.len();
    for (doc, header) in [("docs/storyboard.md", true), ("README.md", false)] {
        for (i, sb) in doc_storyboards(doc, header).into_iter().enumerate() {
            let f = dir.join(format!("{}-{i}.yaml", doc.replace(['/', '.'], "-")));
            std::fs::write(&f, sb).unwrap();
            assert!(
                loads(&f),
                "example {i} of {doc} does not load:\n{}",
                std::fs::read_to_string(&f).unwrap()
            );
            files.push(f);
        }
    }
    assert!(
        storyboards >= 20 && files.len() >= storyboards + 15,
        "{storyboards} storyboards, {} files",
        files.len()
    );
    eprintln!("{storyboards} storyboards and {} examples of the docs", files.len() - storyboards);
    let results = run(&python, &files);
    let bad: Vec<String> = results
        .iter()
        .filter(|(_, errors)| !errors.is_empty())
        .map(|(f, errors)| format!("{f}:\n  {}", errors.join("\n  ")))
        .collect();
    assert!(bad.is_empty(), "the parser accepts these, the schema does not:\n{}", bad.join("\n"));
    assert_eq!(results.len(), files.len());
}

#[test]
fn each_wrong_file_is_refused_by_the_schema_and_the_parser_for_its_reason() {
    let Some(python) = validator() else { return };
    let files = yaml_files(&repo().join("tests/schema"));
    assert!(files.len() >= 10, "{files:?}");
    let results = run(&python, &files);
    for (f, (name, errors)) in files.iter().zip(&results) {
        let text = std::fs::read_to_string(f).unwrap();
        let expect = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
                .unwrap_or_else(|| panic!("{name} has no `# {key}:` line"))
                .to_string()
        };
        let schema_says = expect("schema");
        assert!(
            errors.iter().any(|e| e.starts_with(&schema_says)),
            "{name}: expected a schema error starting `{schema_says}`, got {errors:#?}"
        );
        let parser_says = expect("parser");
        let refused = billreel::load(f, Some(&repo().join("assets"))).err().map(|d| d.to_string());
        assert!(
            refused.as_deref().is_some_and(|m| m.contains(&parser_says)),
            "{name}: expected the parser to refuse it with `{parser_says}`, got {refused:?}"
        );
    }
}

/// Every key the reference's tables name is in the schema, where the table puts it: the top
/// level, a scene, every layer, and each kind's own (`### \`text\``).
#[test]
fn every_key_of_the_reference_is_in_the_schema() {
    let schema = billreel::json_schema::storyboard_schema().to_value();
    let defs = &schema["definitions"];
    let keys_of = |v: &Value| -> BTreeSet<String> {
        v["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
    };
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let mut checked = 0;
    for (section, table_keys) in tables(&doc) {
        let known = match section.as_str() {
            "Top level" => keys_of(&schema),
            "`video`" => keys_of(&defs["Video"]),
            "Scenes" => keys_of(&defs["Scene"]),
            "Layers" => keys_of(&defs["RectLayer"]),
            s if s.starts_with("`bar_chart`") => keys_of(&defs["BarChartLayer"]),
            s if s.starts_with('`') => {
                let kind = s.trim_matches('`');
                let name = format!("{}Layer", pascal(kind));
                assert!(defs.get(&name).is_some(), "no definition {name} for section {s}");
                keys_of(&defs[&name])
            }
            _ => continue,
        };
        for key in table_keys {
            assert!(
                known.contains(&key),
                "docs/storyboard.md, section {section}: `{key}` is not in the schema"
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} keys found in the reference's tables");
}

/// And the other way: every key the schema knows is named in the reference (as `` `key` `` or
/// `key:` in an example), so a key added to a type is a key documented.
#[test]
fn every_key_of_the_schema_is_in_the_reference() {
    let schema = billreel::json_schema::storyboard_schema().to_value();
    let doc = std::fs::read_to_string(repo().join("docs/storyboard.md")).unwrap();
    let mut keys = BTreeSet::new();
    let mut maps = vec![&schema];
    maps.extend(schema["definitions"].as_object().unwrap().values());
    for m in maps {
        keys.extend(m["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()));
    }
    let undocumented: Vec<&String> =
        keys.iter().filter(|k| !doc.contains(&format!("`{k}`")) && !doc.contains(&format!("{k}:"))).collect();
    assert!(keys.len() > 100, "{}", keys.len());
    assert!(
        undocumented.is_empty(),
        "keys of the schema that docs/storyboard.md never names: {undocumented:?}"
    );
}

/// A Python with `jsonschema` and `yaml`: Debian's (where install-deps.sh puts them) before the
/// first on PATH. Without one the test fails under CI (install-deps.sh installs them there) and
/// is skipped elsewhere, saying so.
fn validator() -> Option<String> {
    let found = ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import jsonschema, yaml"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if let Some(python) = found {
        return Some(python.to_string());
    }
    assert!(
        !common::in_ci(),
        "CI is set, and python3 cannot import jsonschema and yaml: scripts/install-deps.sh installs \
         Debian's python3-jsonschema and python3-yaml as required packages when CI is set"
    );
    eprintln!("SKIPPED: no python3 with jsonschema and yaml here (scripts/install-deps.sh installs them)");
    None
}

/// Each file's name and its errors (`path: message`, `<root>` for the top level).
fn run(python: &str, files: &[PathBuf]) -> Vec<(String, Vec<String>)> {
    let out = Command::new(python)
        .arg(repo().join("scripts/validate-storyboards.py"))
        .arg(repo().join(SCHEMA_FILE))
        .args(files)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let errors = v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let path = e["path"].as_str().unwrap();
                    let path = if path.is_empty() { "<root>" } else { path };
                    format!("{path}: {}", e["message"].as_str().unwrap())
                })
                .collect();
            (v["file"].as_str().unwrap().to_string(), errors)
        })
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn loads(file: &Path) -> bool {
    billreel::load(file, Some(&repo().join("assets"))).is_ok()
}

/// The ```yaml blocks of a document as whole storyboards ([`common::snippet_storyboard`]; a
/// README block is taken as written).
fn doc_storyboards(doc: &str, header_needed: bool) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(doc)).unwrap();
    let blocks = text.split("```yaml\n").skip(1).map(|b| &b[..b.find("```").unwrap()]);
    blocks
        .filter_map(|block| match header_needed {
            true => common::snippet_storyboard(block),
            false => common::snippet_storyboard(block).map(|_| block.to_string()),
        })
        .collect()
}

/// The keys named in the first column of each table, by the heading above the table.
fn tables(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("### ").or_else(|| line.strip_prefix("## ")) {
            out.push((h.trim().to_string(), Vec::new()));
        } else if let (Some(cell), Some(last)) = (line.strip_prefix("| `"), out.last_mut()) {
            let cell = &cell[..cell.find(" |").unwrap_or(cell.len())];
            // `font`, `label_size` (`18`), `label_color` (`#ffffffcc`): the keys, not the defaults.
            let cell = format!("`{cell}");
            for (i, piece) in cell.split('`').enumerate() {
                let outside_parens = !cell.split('`').take(i).collect::<String>().ends_with('(');
                if i % 2 == 1 && outside_parens && piece.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    last.1.push(piece.to_string());
                }
            }
        }
    }
    out.retain(|(s, keys)| !keys.is_empty() && !s.is_empty());
    out
}

fn pascal(kind: &str) -> String {
    kind.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}
