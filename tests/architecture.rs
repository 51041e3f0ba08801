//! The house rules of docs/ARCHITECTURE.md, held against the code.
//!
//! Reads every `crate::` path in src/ (test modules left out: a test may build its fixtures
//! with any stage) and fails on an import that the architecture page forbids: one that does not
//! point to a lower floor of the `floors` block, or one named in the `never` block. A module
//! that the page does not place fails too, and so does a module that `src/lib.rs` does not name
//! in its header.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The lines of the fenced block opened by "```NAME" in the architecture page.
fn block(page: &str, name: &str) -> Vec<String> {
    let open = format!("```{name}");
    let mut lines = page.lines().skip_while(|l| l.trim() != open);
    assert!(lines.next().is_some(), "docs/ARCHITECTURE.md has no ```{name} block");
    lines.take_while(|l| l.trim() != "```").map(str::to_string).collect()
}

/// Floor of each module: `N  module module …`, N counted from the ground (1).
fn floors(page: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for line in block(page, "floors") {
        let mut words = line.split_whitespace();
        let Some(n) = words.next() else { continue };
        let n: u32 = n.parse().unwrap_or_else(|_| panic!("floors: `{line}` does not start with a number"));
        for m in words {
            assert!(out.insert(m.to_string(), n).is_none(), "floors: `{m}` is placed twice");
        }
    }
    out
}

/// Forbidden imports: `a b -> c d` forbids every a or b importing c or d.
fn never(page: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for line in block(page, "never") {
        let Some((from, to)) = line.split_once("->") else { continue };
        for f in from.split_whitespace() {
            for t in to.split_whitespace() {
                out.insert((f.to_string(), t.to_string()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of src/ belongs to (`src/bind/context.rs` -> `bind`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments and its `#[cfg(test)]` modules (brace-matched).
fn code_without_tests(text: &str) -> String {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let mut out = String::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // The item the attribute is on: skip it up to its matching closing brace.
        let Some(open) = after.find('{') else { break };
        // An item without a body (`#[cfg(test)] use …;`) ends at its semicolon.
        if let Some(semi) = after.find(';').filter(|&semi| semi < open) {
            rest = &after[semi + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The modules named by `crate::` paths: `crate::scene::Node`, `use crate::{bind, raster::X}`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // A group: the first word of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        rest = &group[j..];
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        let word: String =
                            group[j..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        out.insert(word);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(word);
        }
    }
    out
}

#[test]
fn imports_point_down_the_floors_and_never_where_the_page_forbids() {
    let page = std::fs::read_to_string(Path::new(ROOT).join("docs/ARCHITECTURE.md")).unwrap();
    let floors = floors(&page);
    let never = never(&page);
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in &files {
        let from = module_of(&src, file);
        if from == "lib" || from == "main" {
            continue;
        }
        let Some(&floor) = floors.get(&from) else {
            problems.push(format!("module `{from}` is on no floor of docs/ARCHITECTURE.md"));
            continue;
        };
        let code = code_without_tests(&std::fs::read_to_string(file).unwrap());
        for to in imports(&code) {
            if to == from || to == "self" || to == "super" {
                continue;
            }
            if !edges.insert((from.clone(), to.clone())) {
                continue;
            }
            let rel = file.strip_prefix(ROOT).unwrap().display();
            if never.contains(&(from.clone(), to.clone())) {
                problems.push(format!("{rel}: `{from}` imports `{to}`, which the page forbids"));
            }
            match floors.get(&to) {
                // Items of the crate root (`crate::load`) are the library's front door: only the
                // command line uses them.
                None if to.chars().next().is_some_and(char::is_lowercase) && !src.join(&to).exists()
                    && !src.join(format!("{to}.rs")).exists() =>
                {
                    if from != "cli" {
                        problems.push(format!("{rel}: `{from}` uses `crate::{to}` from the crate root"));
                    }
                }
                None => problems.push(format!("{rel}: `{to}` is on no floor of docs/ARCHITECTURE.md")),
                Some(&t) if t >= floor => problems.push(format!(
                    "{rel}: `{from}` (floor {floor}) imports `{to}` (floor {t}); imports point to lower floors only"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "the code breaks the house rules:\n{}", problems.join("\n"));
    // The rules are read for real: the crate has imports, and some of them cross floors.
    assert!(edges.len() > 20, "only {} imports found; is the parser broken?", edges.len());
}

#[test]
fn the_crate_header_names_every_module() {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("src/lib.rs")).unwrap();
    let mods: Vec<&str> =
        lib.lines().filter_map(|l| l.strip_prefix("pub mod ").and_then(|m| m.strip_suffix(';'))).collect();
    assert!(mods.len() > 10, "{mods:?}");
    let header: Vec<&str> = lib.lines().filter(|l| l.starts_with("//!")).collect();
    for m in mods {
        let named = format!("[`{m}`]");
        assert_eq!(
            header.iter().filter(|l| l.contains(&named)).count(),
            1,
            "src/lib.rs's header must name module `{m}` on one line, as {named}"
        );
    }
}

#[test]
fn test_modules_are_left_out() {
    let code = "use crate::scene;\n#[cfg(test)]\npub(crate) mod testing {\n    use crate::bind::Binder;\n    fn f() { if x { y } }\n}\nuse crate::style;\n";
    let got: Vec<String> = imports(&code_without_tests(code)).into_iter().collect();
    assert_eq!(got, ["scene", "style"]);
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let code = "use crate::{bind::Binder, raster, scene::{Node, Rect}};\nlet x = crate::style::Align::Left;";
    let got: Vec<String> = imports(code).into_iter().collect();
    assert_eq!(got, ["bind", "raster", "scene", "style"]);
}
