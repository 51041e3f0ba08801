//! Bad input gets a clear error: these run the `billreel` binary as a user would and check
//! what it prints and its exit code.

mod common;

use std::path::{Path, PathBuf};

use common::{billreel, demo_args};
use common::{text, write, HEADER};

/// A scratch folder per test, holding storyboards that point at the repository's assets.
fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("test-scratch", name)
}

#[test]
fn yaml_syntax_error_gives_line_and_column() {
    let dir = scratch("syntax");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - type: text\n       text: oops\n"));
    let o = billreel(["check", &sb]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("sb.yaml:9:8: YAML syntax error"), "{t}");
    assert!(t.contains("hint: check the indentation"), "{t}");
}

#[test]
fn every_storyboard_problem_is_reported_in_one_pass() {
    let dir = scratch("many");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!(
            "{HEADER}scenes:
  - id: a
    duration: 4
    layers:
      - type: text
        text: \"Hi {{{{ customer.first_name }}}}\"
        colr: \"#fff\"
      - type: rect
        width: 10
        height: 10
        fill: \"#zzz\"
      - type: image
        src: ../secret.png
        width: 10
        height: 10
      - type: image
        src: /etc/passwd
        width: 10
        height: 10
      - type: image
        src: logos/missing.png
        width: 10
        height: 10
      - type: txt
  - id: b
    duration: 2s
    when: \"bill.total >\"
    layers:
      - type: text
        text: \"{{{{ customer.name \"
        font: bolt
"
        ),
    );
    let o = billreel(["check", &sb]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    let expected = [
        "sb.yaml:6:15: a duration needs a unit: write `4s` or `4ms`, not the bare number 4",
        "sb.yaml:10:9: unknown key `colr` in a text layer",
        "hint: did you mean `color`?",
        "sb.yaml:14:15: expected a colour like `#1a73e8`, `#fff` or `#1a73e880`, but got `#zzz`",
        "sb.yaml:16:14: asset path `../secret.png` leaves the assets folder",
        "sb.yaml:20:14: asset path `/etc/passwd` is absolute",
        "sb.yaml:24:14: asset `logos/missing.png` does not exist in the assets folder",
        "sb.yaml:27:15: unknown layer type `txt`",
        "sb.yaml:30:11: expression error in `bill.total >`",
        "sb.yaml:33:15: `{{` at character 1 of the text is never closed; add `}}` after what it holds",
        "sb.yaml:34:15: unknown font `bolt`",
        "10 problems found",
    ];
    for e in expected {
        assert!(t.contains(e), "missing `{e}` in:\n{t}");
    }
}

#[test]
fn unknown_keys_are_errors_everywhere() {
    let dir = scratch("unknown");
    let sb = write(&dir, "sb.yaml", "video: { width: 320, height: 180, fps: 10, backgroud: \"#000\" }\nscenes:\n  - id: a\n    duraton: 1s\n");
    let t = text(&billreel(["check", &sb]));
    assert!(t.contains("sb.yaml:1:44: unknown key `backgroud` in `video`"), "{t}");
    assert!(t.contains("did you mean `background`?"), "{t}");
    assert!(t.contains("sb.yaml:4:5: unknown key `duraton` in a scene"), "{t}");
}

#[test]
fn wrong_units_and_values_are_explained() {
    let dir = scratch("units");
    let sb = write(
        &dir,
        "sb.yaml",
        "video: { width: 321, height: 180, fps: 10 }\nscenes:\n  - id: a\n    duration: 2 seconds\n  - id: b\n    duration: 1s\n    transition: swirl\n",
    );
    let t = text(&billreel(["check", &sb]));
    assert!(t.contains("sb.yaml:4:15: expected a duration like `4s` or `500ms`, but got `2 seconds`"), "{t}");
    assert!(t.contains("sb.yaml:7:17: unknown transition `swirl`"), "{t}");
    assert!(t.contains("width and height must be even for 4:2:0 video, but are 321x180"), "{t}");
    assert!(t.contains("hint: use 320x180"), "{t}");
}

#[test]
fn a_record_missing_a_bound_field_names_the_record_and_field() {
    let dir = scratch("missing-field");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"Hello {{{{ customer.first_name }}}}\" }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"C1\", \"customer\": {\"first_name\": \"Ann\"}}\n{\"id\": \"C2\", \"customer\": {\"last_name\": \"Lee\"}}\nnot json\n");
    let o = billreel(["check", &sb, "--data", &data]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains(
            "record C2: the record has no field `customer.first_name` (in scenes[0].layers[0].text at"
        ),
        "{t}"
    );
    assert!(t.contains("sb.yaml:8:29"), "{t}");
    assert!(t.contains("run.jsonl:3: invalid JSON"), "{t}");
    assert!(t.contains("1 records OK, 2 failed"), "{t}");

    // Rendering that record fails the same way, and leaves no file behind.
    let out = dir.join("C2.mp4");
    let o = billreel(["render", &sb, "--data", &data, "--id", "C2", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("record C2: the record has no field `customer.first_name`"));
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("partial"))
            .count(),
        0
    );
}

#[test]
fn a_field_missing_behind_a_var_is_named_too() {
    // `name` is a var computed from the record; a template that uses it names the field the
    // var could not find, not the var.
    let dir = scratch("missing-behind-var");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}vars:\n  name: \"customer.last_name ~ customer.first_name if locale[:2] == 'zh' else customer.first_name\"\nscenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"Hello {{{{ name }}}}\" }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"C1\", \"customer\": {\"first_name\": \"Ann\"}}\n{\"id\": \"C2\", \"customer\": {\"last_name\": \"Lee\"}}\n");
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(
        t.contains(
            "record C2: the record has no field `customer.first_name`, which var `name` is made from, so `name` has no value here (in scenes[0].layers[0].text at"
        ),
        "{t}"
    );
    assert!(t.contains("1 records OK, 1 failed"), "{t}");
}

#[test]
fn wrong_types_and_bad_locales_in_records_are_named() {
    let dir = scratch("bad-values");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{{{{ bill.total | currency('EUR') }}}} {{{{ bill.due | date }}}}\" }}\n"));
    let data = write(
        &dir,
        "run.jsonl",
        "{\"id\": \"A\", \"bill\": {\"total\": \"ten\", \"due\": \"2026-12-15\"}}\n{\"id\": \"B\", \"locale\": \"not a locale!\", \"bill\": {\"total\": 1, \"due\": \"2026-12-15\"}}\n{\"id\": \"C\", \"bill\": {\"total\": 1, \"due\": \"15/12/2026\"}}\n",
    );
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(t.contains("record A: field `bill.total` must be a number for `bill.total | currency('EUR')`, but is a string of 3 characters"), "{t}");
    assert!(t.contains("record B: field `locale`: `‹a string of 13 characters›` is not a locale"), "{t}");
    assert!(
        t.contains("record C: `‹a string of 10 characters›` is not a date; write it as YYYY-MM-DD"),
        "{t}"
    );
}

#[test]
fn a_record_that_is_not_there_is_reported() {
    let mut args = demo_args("preview", "NOPE");
    args.extend(["-o".into(), "/tmp/never.png".into()]);
    let o = billreel(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no record with id = `NOPE`"), "{}", text(&o));
}

#[test]
fn templates_cannot_loop_forever_or_read_files() {
    let dir = scratch("sandbox");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{{% for i in range(100000) %}}{{% for j in range(100000) %}}x{{% endfor %}}{{% endfor %}}\" }}\n"),
    );
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\"}\n");
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(t.contains("record A: the template ran too long (fuel limit reached)"), "{t}");
    // There is no way to name another file: include/import are not part of the language here.
    let sb2 = write(&dir, "sb2.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{{% include '/etc/passwd' %}}\" }}\n"));
    let t = text(&billreel(["check", &sb2]));
    assert!(t.contains("sb2.yaml:8:29: template error: unknown statement include"), "{t}");
}

#[test]
fn customer_data_is_never_template_source() {
    let dir = scratch("literal");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{{{{ customer.first_name }}}}\" }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"{{ 7*7 }}\"}}\n");
    let rec = billreel::record::find(Path::new(&data), "A", "id").unwrap();
    let binder = billreel::load(Path::new(&sb), None).unwrap();
    let graph = binder.bind(&rec).unwrap();
    let billreel::scene::NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!() };
    assert_eq!(t.at(0.0).lines, vec!["{{ 7*7 }}".to_string()]);
}

#[test]
fn csv_records_render_like_json_ones() {
    let dir = scratch("csv");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{{{{ customer.first_name }}}} {{{{ usage.kwh | sum }}}} {{{{ bill.total | currency('EUR') }}}}\" }}\n"));
    let csv = write(
        &dir,
        "run.csv",
        "id,customer.first_name,usage.kwh,bill.total,locale\nK1,Łucja,\"[1, 2, 3]\",1234.5,pl-PL\n",
    );
    let rec = billreel::record::find(Path::new(&csv), "K1", "id").unwrap();
    let graph = billreel::load(Path::new(&sb), None).unwrap().bind(&rec).unwrap();
    let billreel::scene::NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!() };
    assert_eq!(t.at(0.0).lines, vec!["Łucja 6 1234,50\u{a0}€".to_string()]);
}

#[test]
fn check_reports_characters_no_font_has() {
    let dir = scratch("glyphs");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: hello\n    duration: 1s\n    layers:\n      - {{ type: text, name: greeting, text: \"Hello {{{{ customer.first_name }}}}\" }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"Ann\"}}\n{\"id\": \"B\", \"customer\": {\"first_name\": \"张伟\"}}\n");
    let o = billreel(["check", &sb, "--data", &data]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("record B: the text (from `customer.first_name`) has 2 character(s) that no font of the storyboard has; add a font that covers them to `fallback_fonts`"), "{t}");
    assert!(t.contains("1 records OK, 1 failed"), "{t}");
}

#[test]
fn a_qr_code_too_small_to_scan_is_refused() {
    let dir = scratch("qr-small");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: qr, name: code, data: \"{{{{ link }}}}\", width: 40 }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"link\": \"https://pay.example.com/0001\"}\n");
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(
        t.contains(
            "record A: the QR code needs 37 modules across but the layer is 40px wide; make it at least 74px"
        ),
        "{t}"
    );
}

#[test]
fn check_reports_text_that_overflows_even_at_minimum_size() {
    let dir = scratch("overflow");
    let sb = write(&dir, "sb.yaml", &format!("{HEADER}scenes:\n  - id: hello\n    duration: 1s\n    layers:\n      - {{ type: text, name: greeting, text: \"Hello {{{{ customer.first_name }}}}\", size: 40, width: 200, max_lines: 1, fit: shrink, min_size: 30 }}\n"));
    let data = write(&dir, "run.jsonl", "{\"id\": \"A\", \"customer\": {\"first_name\": \"Ann\"}}\n{\"id\": \"B\", \"customer\": {\"first_name\": \"Maximilian-Alexander\"}}\n");
    let t = text(&billreel(["check", &sb, "--data", &data]));
    assert!(t.contains("record B: scene `hello`, layer `greeting`: the text (from `customer.first_name`) does not fit its box even at its smallest size and would be cut after "), "{t}");
    assert!(!t.contains("Maximilian"), "the report quotes no customer's text: {t}");
    assert!(t.contains("1 records OK, 1 failed"), "{t}");
}

#[test]
fn check_finds_each_kind_of_problem_and_writes_a_report() {
    let dir = scratch("check-report");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!(
            "{HEADER}scenes:\n  - id: s\n    duration: 1s\n    layers:\n      - {{ type: text, name: hello, text: \"Hi {{{{ customer.first_name }}}}\", size: 30, width: 200, max_lines: 1, fit: shrink, min_size: 24 }}\n      - {{ type: text, name: amount, text: \"{{{{ bill.total | currency('EUR') }}}}\", y: 40 }}\n      - {{ type: image, name: logo, src: \"logos/{{{{ brand }}}}.png\", y: 80, width: 40, height: 40 }}\n"
        ),
    );
    let rec = |id: &str, name: &str, total: &str, brand: &str| {
        format!(
            r#"{{"id": "{id}", "customer": {{"first_name": "{name}"}}, "bill": {{"total": {total}}}, "brand": "{brand}"}}"#
        )
    };
    let lines = [
        rec("OK1", "Ann", "12.5", "brightwave"),
        r#"{"id": "MISS", "customer": {}, "bill": {"total": 1}, "brand": "brightwave"}"#.to_string(),
        rec("TYPE", "Bo", "\"ten\"", "brightwave"),
        rec("ASSET", "Cy", "1", "nonexistent"),
        rec("LONG", "Maximilian-Alexander-Konstantin", "1", "brightwave"),
        rec("GLYPH", "Ωμέγα ☃", "1", "brightwave"),
        "{not json".to_string(),
        rec("OK2", "Dee", "3", "brightwave"),
    ];
    let data = write(&dir, "run.jsonl", &(lines.join("\n") + "\n"));
    let report_path = dir.join("report.json");
    let o = billreel(["check", &sb, "--data", &data, "--report", report_path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    for expected in [
        "record MISS: the record has no field `customer.first_name`",
        "record TYPE: field `bill.total` must be a number",
        "record ASSET: asset `logos/‹a string of 11 characters›.png` does not exist in the assets folder",
        "record LONG: scene `s`, layer `hello`: the text (from `customer.first_name`) does not fit its box even at its smallest size",
        "record GLYPH: the text (from `customer.first_name`) has 1 character(s) that no font of the storyboard has",
        ":7: invalid JSON",
        "missing field              1",
        "wrong value                1",
        "missing asset              1",
        "text overflow              1",
        "missing glyph              1",
        "unreadable line            1",
        "ok                         2",
        "2 records OK, 6 failed",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["records"], 8);
    assert_eq!(report["failed"], 6);
    assert_eq!(report["by_kind"]["text_overflow"], 1);
    let kinds: Vec<(&str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap_or("-"), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("MISS", "missing_field"),
            ("TYPE", "wrong_value"),
            ("ASSET", "missing_asset"),
            ("LONG", "text_overflow"),
            ("GLYPH", "missing_glyph"),
            ("-", "unreadable_line")
        ]
    );
}

#[test]
fn preview_contact_sheet_has_a_row_per_record_and_a_tile_per_scene() {
    let dir = scratch("sheet");
    // Three scenes of their own colour; the green one only for overdue records.
    let sb = write(
        &dir,
        "sb.yaml",
        &format!(
            "{HEADER}scenes:
  - {{ id: red, duration: 1s, background: \"#d03030\" }}
  - {{ id: green, when: \"overdue_days > 0\", duration: 1s, background: \"#20a040\" }}
  - {{ id: blue, duration: 1s, background: \"#2050c0\" }}
"
        ),
    );
    let data = write(
        &dir,
        "data.jsonl",
        "{\"id\": \"A\", \"overdue_days\": 3}\n{\"id\": \"B\", \"overdue_days\": 0}\n",
    );
    let out = dir.join("sheet.png");
    let args = |ids: &[&str], sheet: bool| {
        let mut a = vec!["preview".to_string(), sb.clone(), "--data".into(), data.clone()];
        for id in ids {
            a.extend(["--id".to_string(), id.to_string()]);
        }
        if sheet {
            a.push("--sheet".into());
        }
        a.extend(["-o".to_string(), out.to_string_lossy().into_owned()]);
        a
    };
    let o = billreel(args(&["A", "B"], true));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let img = image::open(&out).unwrap().to_rgb8();
    // A plays 3 scenes (it is overdue), B 2; tiles are 320/3 x 180/3 with 8 px gaps: as many
    // columns as the longest row, a row per record.
    let (tw, th) = (320 / 3, 180 / 3);
    assert_eq!((img.width(), img.height()), (3 * (tw + 8) + 8, 2 * (th + 8) + 8));
    // Each tile is its scene's middle frame, in the order the record plays them; B's row ends
    // early, on the sheet's own background.
    let tile = |row: u32, col: u32| img.get_pixel(8 + col * (tw + 8) + tw / 2, 8 + row * (th + 8) + th / 2).0;
    let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 8);
    let (red, green, blue, empty) =
        ([0xd0, 0x30, 0x30], [0x20, 0xa0, 0x40], [0x20, 0x50, 0xc0], [24, 24, 28]);
    for (row, col, want) in
        [(0, 0, red), (0, 1, green), (0, 2, blue), (1, 0, red), (1, 1, blue), (1, 2, empty)]
    {
        assert!(near(tile(row, col), want), "tile ({row}, {col}) is {:?}, expected {want:?}", tile(row, col));
    }
    // Two ids without --sheet is a mistake.
    assert!(text(&billreel(args(&["A", "B"], false))).contains("several --id are for --sheet"));
}

#[test]
fn rich_text_mistakes_point_at_the_text_and_say_how_to_write_it() {
    let dir = scratch("markup");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!(
            "{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - type: text\n        text: \"Pay [b]{{{{ bill.total }}}}\"\n      - type: text\n        text: \"[i]tilted[/i]\"\n      - type: text\n        text: \"[color=#ff0]{{{{ x }}}}[/color] [font=heavy]y[/font]\"\n"
        ),
    );
    let o = billreel(["check", &sb]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    for expected in [
        "sb.yaml:9:15: `[b]` is never closed; add `[/b]`",
        "sb.yaml:11:15: unknown tag `[i]`; the tags are [b]…[/b], [color=#rrggbb]…[/color], [font=name]…[/font], and `[[` writes a literal bracket",
        "sb.yaml:13:15: unknown font `heavy`",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }

    // Bold needs a font named `bold`.
    let sb = write(&dir, "bold.yaml", &format!("{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"[b]x[/b]\" }}\n"));
    let t = text(&billreel(["check", &sb]));
    assert!(t.contains("`[b]` draws with the font named `bold`, and `fonts:` has none"), "{t}");
    assert!(t.contains("hint: add e.g. `bold: fonts/Inter-Bold.otf` under `fonts:`"), "{t}");
}

#[test]
fn chart_data_problems_name_the_record_and_the_key() {
    let dir = scratch("chart-data");
    let sb = write(
        &dir,
        "sb.yaml",
        &format!(
            "{HEADER}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: line_chart, width: 200, height: 100, labels: [a, b, c], series: [{{ values: kwh }}], highlight: pick }}\n      - {{ type: donut_chart, width: 200, height: 100, labels: names, values: shares }}\n      - {{ type: comparison, value: total, previous: before }}\n"
        ),
    );
    let rec = |id: &str, kwh: &str, pick: &str, names: &str, shares: &str, before: &str| {
        format!(
            r#"{{"id": "{id}", "kwh": {kwh}, "pick": {pick}, "names": {names}, "shares": {shares}, "total": 10, "before": {before}}}"#
        )
    };
    let lines = [
        rec("OK", "[1, 2, 3]", "-1", r#"["x", "y"]"#, "[1, 2]", "8"),
        rec("FAR", "[1, 2, 3]", "7", r#"["x", "y"]"#, "[1, 2]", "8"),
        rec("TEXT", r#"[1, "two", 3]"#, "0", r#"["x", "y"]"#, "[1, 2]", "8"),
        rec("UNEVEN", "[1, 2, 3]", "0", r#"["x", "y"]"#, "[1]", "8"),
        rec("NOPREV", "[1, 2, 3]", "0", r#"["x", "y"]"#, "[1, 2]", "null"),
    ];
    let data = write(&dir, "run.jsonl", &(lines.join("\n") + "\n"));
    let o = billreel(["check", &sb, "--data", &data]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    for expected in [
        "record FAR: `highlight` is 7 but the series has 3 values (use 0..2 or -1 for the last) (in scenes[0].layers[0].highlight at",
        "record TEXT: value 1 of `kwh`",
        "record UNEVEN: the donut has 2 labels but 1 values; give one value per label (in scenes[0].layers[1].values",
        "record NOPREV: `previous` (`before`) must be a number, but is null (in",
        "1 records OK, 4 failed",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }
}
