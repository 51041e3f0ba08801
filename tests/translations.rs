//! Translations: the storyboard's `translations:` folder of Fluent files, read by `t()`.
//! The demo's text in two languages as bound, errors with their places, and `check`'s list of
//! messages a locale of the data has no translation of.

mod common;

use std::path::PathBuf;

use billreel::record::{Record, Records};
use billreel::scene::{NodeKind, SceneGraph};
use common::{billreel, repo, text, write, HEADER};

/// A storyboard `sb.yaml` of HEADER, `translations: translations` and `body`, with the
/// translation files `files` (`(path under translations/, text)`), in a fresh folder.
fn storyboard(name: &str, body: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = common::fresh_dir("translations", name);
    for (path, text) in files {
        let p = dir.join("translations").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    PathBuf::from(write(&dir, "sb.yaml", &format!("{HEADER}translations: translations\n{body}")))
}

/// One scene with one text layer showing `text`.
fn one_text(text: &str) -> String {
    format!("scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{text}\", width: 300, size: 12 }}\n")
}

fn record(id: &str, data: serde_json::Value) -> Record {
    Record { id: id.into(), data, line: 1 }
}

/// Every line of text the record's video shows, scene by scene, at rest.
fn shown(graph: &SceneGraph) -> Vec<String> {
    let mut out = Vec::new();
    for scene in &graph.scenes {
        for node in &scene.nodes {
            if let NodeKind::Text(t) = &node.kind {
                out.push(t.at(1000.0).lines.join(" "));
            }
        }
    }
    out
}

fn demo_record(id: &str) -> Record {
    let limits = billreel::limits::Limits::default();
    let path = repo().join("scenes/sample-billing-run.jsonl");
    Records::open(&path, "id", &limits).unwrap().map(Result::unwrap).find(|r| r.id == id).unwrap()
}

#[test]
fn the_demo_reads_its_text_from_the_translations_in_each_language() {
    let binder =
        billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    // en-US, 16 days overdue: the plural, the amount passed already written as money.
    let en = binder.bind(&demo_record("C0002")).unwrap();
    let lines = shown(&en);
    assert!(lines.contains(&"Hello Mateo,".to_string()), "{lines:?}");
    assert!(lines.contains(&"$54.11 of your previous bill is overdue by 16 days.".to_string()), "{lines:?}");
    assert!(lines.contains(&"Higher than your last bill: $16.44 (30%)".to_string()), "the select: {lines:?}");
    let page = en.companions.page.as_ref().unwrap();
    assert_eq!(page.title, "Bill BW-2026-11-00002");
    assert_eq!(page.summary[2], "$54.11 of your previous bill is overdue by 16 days");
    // he-IL, 12 days overdue; ja-JP's own comma and honorific; ar-SA's digits in the intro.
    let he = shown(&binder.bind(&demo_record("C0026")).unwrap());
    assert!(he.iter().any(|l| l.ends_with("מהחשבון הקודם באיחור של 12 ימים.")), "{he:?}");
    let ja = shown(&binder.bind(&demo_record("C0029")).unwrap());
    assert!(ja.contains(&"こんにちは 山田様、".to_string()), "{ja:?}");
    let ar = binder.bind(&demo_record("C0025")).unwrap();
    let ar_lines = shown(&ar);
    assert!(ar_lines.contains(&"مرحباً سارة،".to_string()), "{ar_lines:?}");
    let seconds = billreel::template::locale::format_number("ar-SA", ar.duration_secs().round(), 0).unwrap();
    assert!(ar_lines.iter().any(|l| l.contains(&format!("في {seconds} ثانية"))), "{seconds} {ar_lines:?}");
    assert!(ar_lines.concat().chars().all(|c| !('\u{2066}'..='\u{2069}').contains(&c)), "no isolation marks");
}

#[test]
fn a_message_missing_in_every_locale_tried_fails_the_record_naming_id_chain_and_files() {
    // The id is made from the record, so only binding can find it missing.
    let sb = storyboard(
        "missing",
        &one_text("{{ t('plan-' ~ plan) }}"),
        &[("en/plans.ftl", "plan-basic = Basic\n"), ("de/plans.ftl", "plan-basic = Basis\n")],
    );
    let binder = billreel::load(&sb, None).unwrap_or_else(|d| panic!("{d}"));
    let ok = binder.bind(&record("A", serde_json::json!({"locale": "de-AT", "plan": "basic"}))).unwrap();
    assert_eq!(shown(&ok), ["Basis"]);
    let e =
        binder.bind(&record("B", serde_json::json!({"locale": "de-AT", "plan": "gold-plus"}))).unwrap_err();
    assert_eq!(e.kind, billreel::bind::ProblemKind::MissingMessage);
    let m = e.to_string();
    // The part of the id that is the record's value is kept out, as any record value.
    let id = "plan-‹a string of 9 characters›";
    assert!(
        m.contains(&format!(
            "no message `{id}` for locale de-AT: tried de-AT → de → en-GB → en-001 → en in "
        )),
        "{m}"
    );
    assert!(
        m.contains("de/plans.ftl") && m.contains("en/plans.ftl") && m.contains(&format!("add `{id} = …` to")),
        "{m}"
    );
    assert!(!m.contains("gold"), "{m}");
    assert!(m.contains("sb.yaml:"), "located in the storyboard: {m}");
}

#[test]
fn unknown_ids_and_syntax_errors_are_found_when_the_storyboard_loads() {
    let sb = storyboard(
        "load-errors",
        &one_text("{{ t('amount-duee') }}"),
        &[
            ("en/bill.ftl", "amount-due = Amount due\n"),
            ("it/bill.ftl", "amount-due = Importo\n\nbroken { $x }\n"),
        ],
    );
    let o = billreel(["check", sb.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("no message `amount-duee` in the storyboard's locale en-GB"), "{t}");
    assert!(t.contains("did you mean `amount-due`?"), "{t}");
    assert!(t.contains("sb.yaml:9:"), "the t() call's line: {t}");
    assert!(t.contains("it/bill.ftl:3:8: Fluent syntax error: Expected a token starting with \"=\""), "{t}");
}

#[test]
fn a_variable_a_translation_reads_that_the_call_does_not_pass_is_found_at_load() {
    let sb = storyboard(
        "unpassed",
        &one_text("{{ t('hello', name=name) }}"),
        &[("en/a.ftl", "hello = Hello { $name }\n"), ("de/a.ftl", "# Grüße\nhello = Hallo { $nmae }\n")],
    );
    let t = text(&billreel(["check", sb.to_str().unwrap()]));
    assert!(t.contains("sb.yaml:9:"), "at the call: {t}");
    assert!(t.contains("`t(\"hello\")`: the de text ("), "{t}");
    assert!(t.contains("de/a.ftl:2:1) uses `$nmae`, which the call does not pass (it passes `name`)"), "{t}");
    assert!(t.contains("did you mean `name`?"), "{t}");
    assert!(!t.contains("the en text"), "en reads what the call passes: {t}");
}

#[test]
fn the_translations_folder_stays_inside_the_storyboards_folder() {
    let dir = common::fresh_dir("translations", "outside");
    let outside = common::fresh_dir("translations", "outside-elsewhere");
    std::fs::create_dir_all(outside.join("en")).unwrap();
    std::fs::write(outside.join("en/a.ftl"), "a = A\n").unwrap();
    let sb = write(
        &dir,
        "sb.yaml",
        &format!("{HEADER}translations: ../outside-elsewhere\n{}", one_text("{{ t('a') }}")),
    );
    let t = text(&billreel(["check", &sb]));
    assert!(t.contains("is outside the storyboard's folder"), "{t}");
}

#[test]
fn check_lists_each_untranslated_message_once_per_locale_of_the_data() {
    let body = "scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - { type: text, text: \"{{ t('hello', name=name) }}\", width: 300, size: 12 }\n      - { type: text, text: \"{{ t('bye') }}\", y: 40, width: 300, size: 12 }\n";
    let sb = storyboard(
        "check",
        body,
        &[("en/a.ftl", "hello = Hello { $name }\nbye = Bye\n"), ("pl/a.ftl", "hello = Cześć { $name }\n")],
    );
    let dir = sb.parent().unwrap();
    let data = write(
        dir,
        "run.jsonl",
        "{\"id\":\"P1\",\"locale\":\"pl-PL\",\"name\":\"Ola\"}\n{\"id\":\"P2\",\"locale\":\"pl-PL\",\"name\":\"Jan\"}\n{\"id\":\"F1\",\"locale\":\"fr-FR\",\"name\":\"Luc\"}\n{\"id\":\"E1\",\"locale\":\"en-GB\",\"name\":\"Ann\"}\n",
    );
    let report = dir.join("report.json");
    let o = billreel(["check", sb.to_str().unwrap(), "--data", &data, "--report", report.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "the records render, in English where Polish is missing: {t}");
    let line = format!(
        "warning: translations: message `bye` is missing for pl-PL (looked in pl): the 2 pl-PL records get the en text (t(\"bye\") at {}:10:",
        sb.display()
    );
    assert_eq!(t.matches(&line).count(), 1, "once for the locale, not per record: {t}");
    assert!(t.contains("warning: translations: no folder for fr-FR (looked for fr-FR, fr): the 1 fr-FR record gets the en text of every message"), "{t}");
    assert!(!t.contains("for en-GB"), "{t}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["locales"]["pl-PL"], 2);
    assert_eq!(json["untranslated"].as_array().unwrap().len(), 2, "{json}");
}

#[test]
fn values_passed_to_a_message_are_escaped_in_text_but_the_message_may_hold_tags() {
    let sb = storyboard(
        "markup",
        &one_text("{{ t('hello', name=name) }}"),
        &[("en/a.ftl", "hello = Hello [color=#ffab91]{ $name }[/color]\n")],
    );
    let binder = billreel::load(&sb, None).unwrap_or_else(|d| panic!("{d}"));
    let graph = binder.bind(&record("A", serde_json::json!({"name": "[i]Ann"}))).unwrap();
    let NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!() };
    // The name shows as written, brackets and all; the message's own [color] is a tag.
    assert_eq!(t.at(1.0).lines, ["Hello [i]Ann"]);
}

#[test]
fn a_changed_translation_renders_the_batch_again() {
    let sb = storyboard(
        "batch",
        &one_text("{{ t('hello', name=name) }}"),
        &[("en/a.ftl", "hello = Hello { $name }\n")],
    );
    let dir = sb.parent().unwrap().to_path_buf();
    let data = write(&dir, "run.jsonl", "{\"id\":\"A\",\"name\":\"Ann\"}\n{\"id\":\"B\",\"name\":\"Bo\"}\n");
    let run = || {
        let out = dir.join("out");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_billreel"))
            .args([
                "batch",
                sb.to_str().unwrap(),
                "--data",
                &data,
                "--out",
                out.to_str().unwrap(),
                "--jobs",
                "1",
            ])
            .env("BILLREEL_LINK_SECRET", "test-secret-0123456789abcdef")
            .output()
            .unwrap();
        text(&o)
    };
    assert!(run().contains("done: 2 ok, 0 skipped"));
    assert!(run().contains("done: 0 ok, 2 skipped"), "nothing changed: nothing renders");
    std::fs::write(dir.join("translations/en/a.ftl"), "hello = Hi { $name }\n").unwrap();
    let t = run();
    assert!(t.contains("done: 2 ok, 0 skipped"), "the wording changed: {t}");
}
