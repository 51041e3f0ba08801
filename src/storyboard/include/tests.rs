//! The assembled text and its line map; the merged storyboard is tested end to end in
//! tests/include.rs.

use super::*;

/// A scratch folder under target/ with `files` written in it.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/include-unit").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn a_storyboard_without_include_is_parsed_as_written() {
    let text = "video: { width: 10 }\nscenes: []\n";
    let doc = assemble(text, Path::new("sb.yaml"), &Limits::default()).unwrap();
    assert!(matches!(doc.text, Cow::Borrowed(_)) && doc.layout.is_none());
}

#[test]
fn parts_come_first_indented_and_positions_map_back() {
    let dir = folder(
        "layout",
        &[
            ("main.yaml", "# main\ninclude: [parts/a.yaml]\nvideo: { width: 10 }\n"),
            ("parts/a.yaml", "---\ninclude: b.yaml\nfonts:\n  body: x.otf\n"),
            ("parts/b.yaml", "%YAML 1.1\n---\nx-brand: &brand { size: 3 }\n...\n"),
        ],
    );
    let main = dir.join("main.yaml");
    let text = std::fs::read_to_string(&main).unwrap();
    let doc = assemble(&text, &main, &Limits::default()).unwrap();
    let want = "x-billreel-part-2:\n\n     \n  x-brand: &brand { size: 3 }\n\n\
                x-billreel-part-1:\n     \n  include: b.yaml\n  fonts:\n    body: x.otf\n\
                # main\ninclude: [parts/a.yaml]\nvideo: { width: 10 }\n";
    assert_eq!(doc.text(), want, "a part after the parts it includes, the storyboard last");
    let layout = doc.layout.as_ref().unwrap();
    let at = |line, column| layout.translate(Pos { line, column });
    assert_eq!(at(4, 12), (2, Pos { line: 3, column: 10 }), "b.yaml's anchor");
    assert_eq!(at(10, 5), (1, Pos { line: 4, column: 3 }), "a.yaml's font");
    assert_eq!(at(6, 1), (1, Pos { line: 1, column: 1 }), "the hidden key: the part's start");
    assert_eq!(at(13, 8), (0, Pos { line: 3, column: 8 }), "the storyboard's own lines");
    assert_eq!(layout.main_start, Pos { line: 2, column: 1 });
    let shown: Vec<String> = layout.files.iter().map(|f| f.shown.display().to_string()).collect();
    assert!(
        shown[1].ends_with("layout/parts/a.yaml") && shown[2].ends_with("layout/parts/b.yaml"),
        "{shown:?}"
    );
    assert!(
        layout.files[2].included_by.contains("parts/a.yaml:2:10, included by "),
        "{}",
        layout.files[2].included_by
    );
}

#[test]
fn a_second_document_in_a_part_is_refused_at_its_line() {
    let dir = folder("two-docs", &[("main.yaml", "include: p.yaml\n"), ("p.yaml", "a: 1\n---\nb: 2\n")]);
    let main = dir.join("main.yaml");
    let d = assemble("include: p.yaml\n", &main, &Limits::default()).err().unwrap();
    let m = d[0].to_string();
    assert!(m.contains("p.yaml:2:1: a second YAML document starts here"), "{m}");
    assert!(m.contains("(included by ") && m.contains("main.yaml:1:10)"), "{m}");
}

#[test]
fn include_written_wrong_says_how_to_write_it() {
    let d = assemble("include: { a: 1 }\n", Path::new("sb.yaml"), &Limits::default()).err().unwrap();
    let m = d[0].to_string();
    assert!(m.starts_with("sb.yaml:1:10: `include` takes a path or a list of paths"), "{m}");
    assert!(m.contains("hint: write `include: parts/brand.yaml`"), "{m}");
    let d = assemble("include: [[a]]\n", Path::new("sb.yaml"), &Limits::default()).err().unwrap();
    assert!(d[0].to_string().contains("each item of `include` must be a path"), "{}", d[0]);
}

#[test]
fn an_empty_include_is_allowed() {
    let doc = assemble("include: []\nscenes: []\n", Path::new("sb.yaml"), &Limits::default()).unwrap();
    assert!(doc.layout.is_some(), "the key is taken out by the merge");
    assert_eq!(doc.text(), "include: []\nscenes: []\n");
}
