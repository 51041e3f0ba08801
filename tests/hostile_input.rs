//! Hostile records and storyboards (issue 14, defects 6 and 7): each is refused with an error
//! that says what, where and which limit, never the value, and the run goes on. These run the
//! `billreel` binary as a user would; `check` binds every record without drawing it.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::billreel;
use common::{text, write, HEADER};

fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("test-hostile", name)
}

/// A storyboard of one text layer whose text is `template`.
fn text_storyboard(dir: &Path, template: &str) -> String {
    let template = template.replace('"', "\\\"");
    write(
        dir,
        "sb.yaml",
        &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{template}\" }}\n"),
    )
}

#[test]
fn template_bombs_fail_at_check_naming_the_limit() {
    let dir = scratch("bombs");
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"Ann\"}}\n");
    let over = "a template may produce at most 64KiB (raise it with --limit template-output-bytes=SIZE)";
    let cases: &[(&str, &str)] = &[
        ("{{ '%999999999s'|format('x') }}", "`| format`'s result would be 1000000011 bytes"),
        ("{{ '%.999999999f'|format(1.5) }}", "`| format`'s result would be"),
        ("{{ 'a\\nb'|indent(1000000000) }}", "`| indent`'s result would be 2000000003 bytes"),
        (&format!("{{{{ '{}'|replace('', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') }}}}", "ab".repeat(1000)), "`| replace`'s result would be"),
        ("{{ range(100000)|join('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') }}", "`| join`'s result would be"),
    ];
    // Repeating text with `*` is refused before any record: when the storyboard loads, or
    // because the operand must then be a number.
    for (template, expected) in [
        ("{{ 'x' * 10000000 }}", "`'x' * 10000000` uses `*` on a piece of text"),
        (
            "{% for i in range(30000) %}{{ customer.first_name * 1000 }}{% endfor %}",
            "field `customer.first_name` must be a number for `customer.first_name * 1000`",
        ),
    ] {
        let sb = text_storyboard(&dir, template);
        let o = billreel(["check", &sb, "--data", &data]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{template} must fail:\n{t}");
        assert!(t.contains(expected), "{template}: expected `{expected}` in:\n{t}");
    }
    for (template, expected) in cases {
        let sb = text_storyboard(&dir, template);
        let o = billreel(["check", &sb, "--data", &data]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{template} must fail:\n{t}");
        assert!(t.contains(expected) && t.contains(over), "{template}: expected `{expected}` in:\n{t}");
    }
    let groups: &[(&str, &str)] = &[
        (
            "{{ [1]|batch(1000000000, 'x')|length }}",
            "`| batch(1000000000)` would make groups of 1000000000; at most 1000",
        ),
        (
            "{{ [1]|slice(1000000000)|length }}",
            "`| slice(1000000000)` would make groups of 1000000000; at most 1000",
        ),
        (
            "{{ ([0] * 1000000000)|list|length }}",
            "`| list` got a list of 1000000000 items; a template's lists have at most 100000",
        ),
        ("{{ ([0] * 1000000000)|sum }}", "`| sum` got a list of 1000000000 items"),
    ];
    for (template, expected) in groups {
        let sb = text_storyboard(&dir, template);
        let o = billreel(["check", &sb, "--data", &data]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{template} must fail:\n{t}");
        assert!(t.contains(expected), "{template}: expected `{expected}` in:\n{t}");
    }
    // Ordinary uses of the same filters are untouched.
    let sb = text_storyboard(&dir, "{{ '%5s|%.2f'|format('ab', 1.5) }} {{ 'a\\nb'|indent(2) }} {{ 'xyx'|replace('x', 'z') }} {{ [1, 2]|join(', ') }} {{ [1, 2, 3]|batch(2)|length }}");
    let o = billreel(["check", &sb, "--data", &data]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn debug_is_not_a_template_function() {
    let dir = scratch("debug");
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"CanaryDebug\"}}\n");
    let sb = text_storyboard(&dir, "{{ debug() }}");
    let o = billreel(["check", &sb, "--data", &data]);
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("debug"), "the error names the unknown function: {t}");
    assert!(!t.contains("CanaryDebug"), "the record is not dumped: {t}");
}

/// A JSON Lines file whose second record has a field of `size` bytes, between two good ones.
fn jsonl_with_big_field(dir: &Path, size: usize) -> String {
    let p = dir.join("run.jsonl");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "{{\"id\": \"A\", \"customer\": {{\"first_name\": \"Ann\"}}}}").unwrap();
    write!(f, "{{\"id\": \"BIG\", \"customer\": {{\"first_name\": \"").unwrap();
    f.write_all(&vec![b'Q'; size]).unwrap();
    writeln!(f, "\"}}}}").unwrap();
    writeln!(f, "{{\"id\": \"C\", \"customer\": {{\"first_name\": \"Cy\"}}}}").unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn an_oversized_record_fails_alone_with_its_id_and_size() {
    let dir = scratch("big-record");
    let sb = text_storyboard(&dir, "Hi {{ customer.first_name }}");
    // 3 MiB: over the 1 MiB record limit; the next record is read as usual.
    let data = jsonl_with_big_field(&dir, 3 << 20);
    let o = billreel(["check", &sb, "--data", &data]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("run.jsonl:2: record `BIG`: the line is 3,145,773 bytes; a record may have at most 1MiB (raise it with --limit record-bytes=SIZE)"),
        "{t}"
    );
    let counts = |t: &str, kind: &str| {
        t.lines().find(|l| l.starts_with(kind)).map(|l| l.split_whitespace().last().unwrap().to_string())
    };
    assert_eq!(counts(&t, "unreadable line").as_deref(), Some("1"), "only BIG fails: {t}");
    assert_eq!(counts(&t, "ok").as_deref(), Some("2"), "A and C are read: {t}");
    assert!(!t.contains("QQQQ"), "the value is never shown: {}", &t[..t.len().min(2000)]);
    // Within the record limit but over the field limit: the field is named.
    let o = billreel(["check", &sb, "--data", &data, "--limit", "record-bytes=8MiB"]);
    let t = text(&o);
    assert!(
        t.contains("run.jsonl:2: record `BIG`: field `customer.first_name` is a string of 3,145,728 bytes; a value may have at most 64KiB"),
        "{t}"
    );
}

#[test]
fn an_oversized_csv_row_fails_alone() {
    let dir = scratch("big-row");
    let sb = text_storyboard(&dir, "Hi {{ customer.first_name }}");
    let p = dir.join("run.csv");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "id,customer.first_name\nA,Ann").unwrap();
    write!(f, "BIG,\"").unwrap();
    f.write_all(&vec![b'Q'; 2 << 20]).unwrap();
    writeln!(f, "\"\nC,Cy").unwrap();
    drop(f);
    let o = billreel(["check", &sb, "--data", p.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("run.csv:3: record `BIG`: the row is 2,097,159 bytes (column `customer.first_name` is where it passed the limit)"),
        "{t}"
    );
    assert!(!t.contains("QQQQ"));
}

#[test]
fn deep_yaml_and_endless_videos_are_refused_with_their_place() {
    let dir = scratch("deep");
    let deep = format!("{HEADER}scenes: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let t = text(&billreel(["check", &write(&dir, "deep.yaml", &deep)]));
    assert!(
        t.contains("deep.yaml:4:264: the YAML nests more than 255 levels deep here; the limit is 64"),
        "{t}"
    );
    let scenes: Vec<String> = (0..14).map(|i| format!("{{ id: s{i}, duration: 600s }}")).collect();
    let long = format!(
        "video: {{ width: 320, height: 180, fps: 120 }}\nassets: ../../../assets\nscenes: [ {} ]\n",
        scenes.join(", ")
    );
    let o = billreel(["check", &write(&dir, "long.yaml", &long)]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("long.yaml:3:") && t.contains("a video may have at most 36000 frames"), "{t}");
}
