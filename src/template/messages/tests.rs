use std::path::PathBuf;

use fluent_bundle::FluentValue;

use super::*;

/// A storyboard folder `dir` with `translations/<locale>/<file>` for each of `files`.
fn folder(name: &str, files: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("billreel-messages-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join("translations").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::create_dir_all(dir.join("translations")).unwrap();
    (dir.join("translations"), dir)
}

fn load(name: &str, default: &str, files: &[(&str, &str)]) -> Messages {
    let (folder, dir) = folder(name, files);
    let (m, problems) = Messages::load(&folder, &dir, default, &Limits::default());
    assert!(problems.is_empty(), "{problems:?}");
    m.unwrap()
}

fn problems(name: &str, default: &str, files: &[(&str, &str)]) -> Vec<String> {
    let (folder, dir) = folder(name, files);
    let (_, problems) = Messages::load(&folder, &dir, default, &Limits::default());
    problems.iter().map(|d| d.to_string()).collect()
}

fn args(pairs: &[(&str, FluentValue<'static>)]) -> FluentArgs<'static> {
    let mut a = FluentArgs::new();
    for (k, v) in pairs {
        a.set(k.to_string(), v.clone());
    }
    a
}

fn n(v: f64) -> FluentValue<'static> {
    FluentValue::from(v)
}

const DAYS_EN: &str =
    "overdue = Overdue by { $days ->\n    [one] { $days } day\n   *[other] { $days } days\n}.\n";
const DAYS_PL: &str = "overdue = Zaległe od { $days ->\n    [one] { $days } dnia\n    [few] { $days } dni\n    [many] { $days } dni\n   *[other] { $days } dnia\n}.\n";
const DAYS_AR: &str = "overdue = { $days ->\n    [zero] لا أيام\n    [one] يوم واحد\n    [two] يومان\n    [few] { $days } أيام\n    [many] { $days } يوماً\n   *[other] { $days } يوم\n}\n";

#[test]
fn plurals_follow_each_language_rules() {
    let m = load("plural", "en-GB", &[("en/a.ftl", DAYS_EN), ("pl/a.ftl", DAYS_PL), ("ar/a.ftl", DAYS_AR)]);
    let t = |loc: &str, d: f64| m.format(loc, "overdue", &args(&[("days", n(d))])).unwrap();
    assert_eq!(t("en-GB", 1.0), "Overdue by 1 day.");
    assert_eq!(t("en-GB", 16.0), "Overdue by 16 days.");
    // Polish: one (1), few (2-4, 22-24), many (5-21, 25-31), other (fractions).
    assert_eq!(t("pl-PL", 1.0), "Zaległe od 1 dnia.");
    assert_eq!(t("pl-PL", 3.0), "Zaległe od 3 dni.");
    assert_eq!(t("pl-PL", 22.0), "Zaległe od 22 dni.");
    assert_eq!(t("pl-PL", 1.5), "Zaległe od 1,5 dnia.");
    // Arabic: six categories, and the record's digits (ar-SA: Arabic-Indic; -u-nu-latn: 0-9).
    assert_eq!(t("ar-SA", 0.0), "لا أيام");
    assert_eq!(t("ar-SA", 2.0), "يومان");
    assert_eq!(t("ar-SA", 5.0), "٥ أيام");
    assert_eq!(t("ar-SA", 11.0), "١١ يوماً");
    assert_eq!(t("ar-AE-u-nu-latn", 11.0), "11 يوماً");
    assert_eq!(t("ar-SA", 100.0), "١٠٠ يوم");
}

#[test]
fn a_select_picks_by_gender_and_falls_to_the_default_variant() {
    let ftl = "thanks = { $gender ->\n    [female] Sehr geehrte Frau { $name }\n    [male] Sehr geehrter Herr { $name }\n   *[other] Guten Tag { $name }\n},\n";
    let m = load("select", "de-DE", &[("de/a.ftl", ftl)]);
    let t = |g: &str| {
        m.format("de-DE", "thanks", &args(&[("gender", g.to_string().into()), ("name", "Weber".into())]))
            .unwrap()
    };
    assert_eq!(t("female"), "Sehr geehrte Frau Weber,");
    assert_eq!(t("male"), "Sehr geehrter Herr Weber,");
    assert_eq!(t("diverse"), "Guten Tag Weber,");
    assert!(!t("female").contains('\u{2068}'), "no bidi isolation marks around variables");
}

#[test]
fn numbers_are_written_by_the_records_locale() {
    let ftl = "used = { $kwh } kWh\nprice = { NUMBER($p, minimumFractionDigits: 2) }\n";
    let m = load("numbers", "en-GB", &[("en/a.ftl", ftl), ("fr/a.ftl", ftl), ("de/a.ftl", ftl)]);
    let t = |loc: &str, id: &str, v: f64| m.format(loc, id, &args(&[("kwh", n(v)), ("p", n(v))])).unwrap();
    assert_eq!(t("fr-FR", "used", 1234.5), "1\u{202f}234,5 kWh");
    assert_eq!(t("de-DE", "used", 1234.5), "1.234,5 kWh");
    assert_eq!(t("en-GB", "used", 1234.5), "1,234.5 kWh");
    assert_eq!(t("en-GB", "used", 0.1 + 0.2), "0.3 kWh", "at most 3 fraction digits by default");
    assert_eq!(t("de-DE", "price", 3.0), "3,00");
    // A locale without its own folder reads English text, numbers still its own.
    assert_eq!(t("es-ES", "used", 1234.5), "1234,5 kWh");
}

#[test]
fn the_chain_goes_from_region_to_language_to_the_storyboards_locale() {
    let m = load(
        "fallback",
        "en-GB",
        &[
            ("pt-BR/a.ftl", "hello = Olá (Brasil)\n"),
            ("pt/a.ftl", "hello = Olá (pt)\nbye = Tchau (pt)\n"),
            ("en/a.ftl", "hello = Hello\nbye = Bye\nonly-en = English only\n"),
        ],
    );
    let t = |loc: &str, id: &str| m.format(loc, id, &FluentArgs::new()).unwrap();
    assert_eq!(t("pt-BR", "hello"), "Olá (Brasil)");
    assert_eq!(t("pt-BR", "bye"), "Tchau (pt)");
    assert_eq!(t("pt-BR", "only-en"), "English only");
    assert_eq!(t("pt-PT", "hello"), "Olá (pt)");
    assert_eq!(t("ja-JP", "hello"), "Hello");
    assert_eq!(m.chain("pt-BR"), ["pt-BR", "pt", "en-GB", "en-001", "en"]);
}

#[test]
fn a_missing_message_names_the_id_the_locales_tried_and_the_files() {
    let m =
        load("missing", "en-GB", &[("en/bill.ftl", "hello = Hello\n"), ("pl/bill.ftl", "hello = Cześć\n")]);
    let e = m.format("pl-PL", "amount-due", &FluentArgs::new()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(
            "no message `amount-due` for locale pl-PL: tried pl-PL → pl → en-GB → en-001 → en in "
        ),
        "{text}"
    );
    assert!(text.contains("pl/bill.ftl") && text.contains("en/bill.ftl"), "{text}");
    assert!(e.hint().contains("add `amount-due = …` to"), "{}", e.hint());
    // A variable the call does not pass is an error too, not "{$name}" on screen.
    let m = load("unpassed", "en-GB", &[("en/a.ftl", "hi = Hello { $name }\n")]);
    let e = m.format("en-GB", "hi", &FluentArgs::new()).unwrap_err().to_string();
    assert!(
        e.contains("message `hi`") && e.contains("Unknown variable: $name") && e.contains("no variables"),
        "{e}"
    );
}

#[test]
fn syntax_errors_are_reported_with_file_line_and_column() {
    let found = problems(
        "syntax",
        "en-GB",
        &[("en/bill.ftl", "hello = Hello\n\nbroken { $x }\nbye = Bye\nsel = { $n ->\n    [one] one\n}\n")],
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("en/bill.ftl:3:8") && found[0].contains("Fluent syntax error"), "{found:?}");
    // Fluent finds a selector without a default variant at its closing brace.
    assert!(
        found[1].contains("en/bill.ftl:7:1") && found[1].contains("must have a default variant"),
        "{found:?}"
    );
}

#[test]
fn deeply_nested_placeables_are_refused_before_the_parser_recurses_into_them() {
    let deep = format!("a = A\nb = {}\n", "{ ".repeat(200_000));
    let found = problems("deep", "en-GB", &[("en/a.ftl", &deep)]);
    assert!(found[0].contains("en/a.ftl:2:133: the placeables nest over 64 levels deep here"), "{found:?}");
}

#[test]
fn folders_are_named_after_locales_and_the_storyboards_locale_has_one() {
    let found = problems(
        "layout",
        "en-GB",
        &[("engl/a.ftl", "a = A\n"), ("de.ftl", "a = A\n"), ("en/a.ftl", "a = A\n")],
    );
    assert!(found.iter().any(|p| p.contains("`engl` is not named after a locale")), "{found:?}");
    assert!(found.iter().any(|p| p.contains("`de.ftl` is directly in the translations folder")), "{found:?}");
    let found = problems("no-default", "en-GB", &[("de/a.ftl", "a = A\n")]);
    assert!(
        found[0].contains("no folder of the translations is for the storyboard's locale en-GB"),
        "{found:?}"
    );
    let found = problems("twice", "en-GB", &[("en/a.ftl", "a = A\n"), ("en/b.ftl", "b = B\na = A again\n")]);
    assert!(found[0].contains("en/b.ftl:2:1") && found[0].contains("`a` is defined twice"), "{found:?}");
}

#[test]
fn untranslated_messages_are_listed_per_locale() {
    let m = load("untranslated", "en-GB", &[("en/a.ftl", "a = A\nb = B\n"), ("pl/a.ftl", "a = A\n")]);
    let ids = ["a", "b"];
    let pl = m.untranslated("pl-PL", ids.iter().copied());
    assert_eq!(pl.len(), 1);
    assert_eq!(pl[0].id.as_deref(), Some("b"));
    assert_eq!(pl[0].falls_back_to.as_deref(), Some("en"));
    assert!(m.untranslated("en-US", ids.iter().copied()).is_empty());
    let fr = m.untranslated("fr-FR", ids.iter().copied());
    assert_eq!((fr.len(), fr[0].id.as_ref()), (1, None), "a language with no folder is one entry");
}
