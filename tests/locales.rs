//! Every supported locale formats numbers, money, dates, month names and percentages as CLDR
//! says, and a locale ICU4X has no data for never passes silently.
//!
//! The expected strings are typed from the CLDR JSON (github.com/unicode-org/cldr-json, branch
//! `v48`, CLDR 48.0.0: `cldr-numbers-full/main/<lang>/numbers.json` and `currencies.json`,
//! `cldr-dates-full/main/<lang>/ca-gregorian.json`, `cldr-cal-buddhist-full/main/th`,
//! `cldr-core/supplemental/currencyData.json`), applying each locale's patterns by hand; they
//! are not copied from billreel's output. ICU4X 2.4's compiled data, which billreel formats
//! with, is generated from CLDR 49.0.0 (see the README of `icu_decimal_data` 2.4.0); where 49
//! differs from 48 for a string below, the comment on it says so and cites the 49 source.
//!
//! How billreel's styles map to CLDR: `short`/`medium`/`long` are the calendar's
//! `dateFormats`; `month` is the skeleton `MMM` and `month_long` `MMMM` (in most locales the
//! stand-alone `LLL`/`LLLL` names, in el-GR and ja-JP the format ones); `| number(2)` is the
//! `decimalFormats` standard pattern with two fraction digits; `| percent(1)` the
//! `percentFormats` standard pattern of the value as given (already in percent); `| currency`
//! the `currencyFormats` standard pattern (`alphaNextToNumber` when the symbol is letters) with
//! the currency's own minor digits (`fractions`: DEFAULT 2, JPY 0, KWD 3) and its symbol, or
//! its ISO code when the locale has none.

mod common;

use std::path::{Path, PathBuf};

use billreel::record::Record;
use billreel::scene::NodeKind;
use billreel::template::locale::{self, DateStyle};

/// One locale's expected output. Inputs: the number 1234567.891 with 2 decimals; 1234.56 in
/// the local currency and in a foreign one; 1234.56 JPY; 1234.5678 KWD; 2026-12-15 as a date;
/// March as a month; -3.45 as a percentage with 1 decimal.
struct Cldr {
    tag: &'static str,
    number: &'static str,
    local: (&'static str, &'static str),
    foreign: (&'static str, &'static str),
    jpy: &'static str,
    kwd: &'static str,
    short: &'static str,
    medium: &'static str,
    long: &'static str,
    march: &'static str,
    march_long: &'static str,
    percent: &'static str,
}

const NBSP: &str = "\u{a0}";

#[rustfmt::skip]
const LOCALES: &[Cldr] = &[
    Cldr { tag: "en-GB", number: "1,234,567.89", local: ("GBP", "£1,234.56"), foreign: ("USD", "US$1,234.56"),
        jpy: "JP¥1,235", kwd: "KWD\u{a0}1,234.568", // alphaNextToNumber: ¤ #,##0.00
        short: "15/12/2026", medium: "15 Dec 2026", long: "15 December 2026",
        march: "Mar", march_long: "March", percent: "-3.5%" },
    Cldr { tag: "en-US", number: "1,234,567.89", local: ("USD", "$1,234.56"), foreign: ("EUR", "€1,234.56"),
        jpy: "¥1,235", kwd: "KWD\u{a0}1,234.568",
        short: "12/15/26", medium: "Dec 15, 2026", long: "December 15, 2026",
        march: "Mar", march_long: "March", percent: "-3.5%" },
    // it: minimumGroupingDigits 2, so 1234 has no separator; no symbol for KWD (ISO code).
    Cldr { tag: "it-IT", number: "1.234.567,89", local: ("EUR", "1234,56\u{a0}€"), foreign: ("USD", "1234,56\u{a0}USD"),
        jpy: "1235\u{a0}JPY", kwd: "1234,568\u{a0}KWD",
        short: "15/12/26", medium: "15 dic 2026", long: "15 dicembre 2026",
        march: "mar", march_long: "marzo", percent: "-3,5%" },
    // pl: group separator NBSP, minimumGroupingDigits 2; stand-alone month names (marzec).
    Cldr { tag: "pl-PL", number: "1\u{a0}234\u{a0}567,89", local: ("PLN", "1234,56\u{a0}zł"), foreign: ("EUR", "1234,56\u{a0}€"),
        jpy: "1235\u{a0}JPY", kwd: "1234,568\u{a0}KWD",
        short: "15.12.2026", medium: "15 gru 2026", long: "15 grudnia 2026",
        march: "mar", march_long: "marzec", percent: "-3,5%" },
    Cldr { tag: "de-DE", number: "1.234.567,89", local: ("EUR", "1.234,56\u{a0}€"), foreign: ("USD", "1.234,56\u{a0}$"),
        jpy: "1.235\u{a0}¥", kwd: "1.234,568\u{a0}KWD",
        short: "15.12.26", medium: "15.12.2026", long: "15. Dezember 2026",
        march: "Mär", march_long: "März", percent: "-3,5\u{a0}%" },
    // fr: group separator NARROW NBSP (U+202F), currency and percent after an NBSP.
    Cldr { tag: "fr-FR", number: "1\u{202f}234\u{202f}567,89", local: ("EUR", "1\u{202f}234,56\u{a0}€"), foreign: ("USD", "1\u{202f}234,56\u{a0}$US"),
        jpy: "1\u{202f}235\u{a0}JPY", kwd: "1\u{202f}234,568\u{a0}KWD",
        short: "15/12/2026", medium: "15 déc. 2026", long: "15 décembre 2026",
        march: "mars", march_long: "mars", percent: "-3,5\u{a0}%" },
    Cldr { tag: "es-ES", number: "1.234.567,89", local: ("EUR", "1234,56\u{a0}€"), foreign: ("USD", "1234,56\u{a0}US$"),
        jpy: "1235\u{a0}JPY", kwd: "1234,568\u{a0}KWD",
        short: "15/12/26", medium: "15 dic 2026", long: "15 de diciembre de 2026",
        march: "mar", march_long: "marzo", percent: "-3,5\u{a0}%" },
    Cldr { tag: "pt-BR", number: "1.234.567,89", local: ("BRL", "R$\u{a0}1.234,56"), foreign: ("USD", "US$\u{a0}1.234,56"),
        jpy: "JP¥\u{a0}1.235", kwd: "KWD\u{a0}1.234,568",
        short: "15/12/2026", medium: "15 de dez. de 2026", long: "15 de dezembro de 2026",
        march: "mar.", march_long: "março", percent: "-3,5%" },
    // tr: the percent sign comes first (%#,##0), and the minus before it.
    Cldr { tag: "tr-TR", number: "1.234.567,89", local: ("TRY", "₺1.234,56"), foreign: ("EUR", "€1.234,56"),
        jpy: "¥1.235", kwd: "KWD\u{a0}1.234,568",
        short: "15.12.2026", medium: "15 Ara 2026", long: "15 Aralık 2026",
        march: "Mar", march_long: "Mart", percent: "-%3,5" },
    // el: the skeleton MMM maps to the format (genitive) names: Μαρ, Μαρτίου.
    Cldr { tag: "el-GR", number: "1.234.567,89", local: ("EUR", "1.234,56\u{a0}€"), foreign: ("USD", "1.234,56\u{a0}$"),
        jpy: "1.235\u{a0}JP¥", kwd: "1.234,568\u{a0}KWD",
        short: "15/12/26", medium: "15 Δεκ 2026", long: "15 Δεκεμβρίου 2026",
        march: "Μαρ", march_long: "Μαρτίου", percent: "-3,5%" },
    Cldr { tag: "uk-UA", number: "1\u{a0}234\u{a0}567,89", local: ("UAH", "1\u{a0}234,56\u{a0}₴"), foreign: ("USD", "1\u{a0}234,56\u{a0}USD"),
        jpy: "1\u{a0}235\u{a0}¥", kwd: "1\u{a0}234,568\u{a0}KWD",
        short: "15.12.26", medium: "15 груд. 2026\u{202f}р.", long: "15 грудня 2026\u{202f}р.",
        march: "бер.", march_long: "березень", percent: "-3,5%" },
    Cldr { tag: "zh-CN", number: "1,234,567.89", local: ("CNY", "¥1,234.56"), foreign: ("USD", "US$1,234.56"),
        jpy: "JP¥1,235", kwd: "KWD\u{a0}1,234.568",
        short: "2026/12/15", medium: "2026年12月15日", long: "2026年12月15日",
        march: "3月", march_long: "三月", percent: "-3.5%" },
    // ja: the yen sign is the full-width ￥ (U+FFE5); JPY has no minor unit.
    Cldr { tag: "ja-JP", number: "1,234,567.89", local: ("JPY", "￥1,235"), foreign: ("USD", "$1,234.56"),
        jpy: "￥1,235", kwd: "KWD\u{a0}1,234.568",
        short: "2026/12/15", medium: "2026/12/15", long: "2026年12月15日",
        march: "3月", march_long: "3月", percent: "-3.5%" },
    // hi: Indian grouping #,##,##0.
    Cldr { tag: "hi-IN", number: "12,34,567.89", local: ("INR", "₹1,234.56"), foreign: ("USD", "$1,234.56"),
        jpy: "JP¥1,235", kwd: "KWD\u{a0}1,234.568",
        short: "15/12/26", medium: "15 दिस॰ 2026", long: HI_LONG,
        march: "मार्च", march_long: "मार्च", percent: "-3.5%" },
    // th-TH: CLDR's calendar preference for TH is Buddhist (2026 CE = 2569 BE). Its short
    // pattern d/M/yy has a two-digit year, but ICU4X shows the full year outside 1950-2049 (the
    // `yyyyMd` form d/M/y of ca-buddhist.json).
    Cldr { tag: "th-TH", number: "1,234,567.89", local: ("THB", "฿1,234.56"), foreign: ("USD", "US$1,234.56"),
        jpy: "¥1,235", kwd: "KWD\u{a0}1,234.568",
        short: "15/12/2569", medium: "15 ธ.ค. 2569", long: "15 ธันวาคม 2569",
        march: "มี.ค.", march_long: "มีนาคม", percent: "-3.5%" },
    // he: RLM (U+200F) around the amount and before the symbol; minus is LRM + "-".
    Cldr { tag: "he-IL", number: "1,234,567.89", local: ("ILS", "\u{200f}1,234.56\u{a0}\u{200f}₪"), foreign: ("USD", "\u{200f}1,234.56\u{a0}\u{200f}$"),
        jpy: "\u{200f}1,235\u{a0}\u{200f}¥", kwd: "\u{200f}1,234.568\u{a0}\u{200f}KWD",
        short: "15.12.2026", medium: "15 בדצמ׳ 2026", long: "15 בדצמבר 2026",
        march: "מרץ", march_long: "מרץ", percent: "\u{200e}-3.5%" },
    // ar-SA: default numbering system `arab` (Arabic-Indic digits, ٫ decimal, ٬ group); minus
    // ALM (U+061C) + "-", percent sign ٪ + ALM; RLM in the currency pattern and date slashes.
    Cldr { tag: "ar-SA", number: "١٬٢٣٤٬٥٦٧٫٨٩", local: ("SAR", "\u{200f}١٬٢٣٤٫٥٦\u{a0}ر.س.\u{200f}"), foreign: ("USD", "\u{200f}١٬٢٣٤٫٥٦\u{a0}US$"),
        jpy: "\u{200f}١٬٢٣٥\u{a0}JP¥", kwd: "\u{200f}١٬٢٣٤٫٥٦٨\u{a0}د.ك.\u{200f}",
        short: "١٥\u{200f}/١٢\u{200f}/٢٠٢٦", medium: "١٥\u{200f}/١٢\u{200f}/٢٠٢٦", long: "١٥ ديسمبر ٢٠٢٦",
        march: "مارس", march_long: "مارس", percent: "\u{61c}-٣٫٥٪\u{61c}" },
    // ar-AE with Latin digits: the `latn` symbols of ar (minus LRM + "-", percent LRM % LRM).
    Cldr { tag: "ar-AE-u-nu-latn", number: "1,234,567.89", local: ("AED", "\u{200f}1,234.56\u{a0}د.إ.\u{200f}"), foreign: ("USD", "\u{200f}1,234.56\u{a0}US$"),
        jpy: "\u{200f}1,235\u{a0}JP¥", kwd: "\u{200f}1,234.568\u{a0}د.ك.\u{200f}",
        short: "15\u{200f}/12\u{200f}/2026", medium: "15\u{200f}/12\u{200f}/2026", long: "15 ديسمبر 2026",
        march: "مارس", march_long: "مارس", percent: "\u{200e}-3.5\u{200e}%\u{200e}" },
];

/// hi's long date: CLDR's `long` is `d MMMM y` (48, and the same in unicode-org/cldr's
/// common/main/hi.xml of 2026). ICU4X 2.4 alone writes "15 दिसंबर, 2026"; billreel uses CLDR's
/// pattern there (`template::locale`, CLDR_DATE_PATTERNS).
const HI_LONG: &str = "15 दिसंबर 2026";

#[test]
fn every_supported_locale_formats_as_cldr_says() {
    assert_eq!(
        LOCALES.iter().map(|c| c.tag).collect::<Vec<_>>(),
        locale::TESTED,
        "the list the docs and hints give is the list tested here"
    );
    let mut wrong = Vec::new();
    for c in LOCALES {
        let l = c.tag;
        let d = (2026, 12, 15);
        let march = (2026, 3, 1);
        let got = [
            ("number", locale::format_number(l, 1234567.891, 2).unwrap(), c.number),
            (c.local.0, locale::format_currency(l, 1234.56, c.local.0).unwrap(), c.local.1),
            (c.foreign.0, locale::format_currency(l, 1234.56, c.foreign.0).unwrap(), c.foreign.1),
            ("JPY", locale::format_currency(l, 1234.56, "JPY").unwrap(), c.jpy),
            ("KWD", locale::format_currency(l, 1234.5678, "KWD").unwrap(), c.kwd),
            ("short", locale::format_date(l, d, DateStyle::Short).unwrap(), c.short),
            ("medium", locale::format_date(l, d, DateStyle::Medium).unwrap(), c.medium),
            ("long", locale::format_date(l, d, DateStyle::Long).unwrap(), c.long),
            ("month", locale::format_date(l, march, DateStyle::Month).unwrap(), c.march),
            ("month_long", locale::format_date(l, march, DateStyle::MonthLong).unwrap(), c.march_long),
            ("percent", locale::format_percent(l, -3.45, 1).unwrap(), c.percent),
        ];
        for (what, got, want) in got {
            if got != want {
                wrong.push(format!("{l} {what}: got {got:?}, CLDR says {want:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} differences:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_cldr_pattern_override_keeps_to_its_locale_and_calendar() {
    let d = (2026, 12, 15);
    assert_eq!(locale::format_date("hi-IN", d, DateStyle::Long).unwrap(), HI_LONG);
    assert_eq!(locale::format_date("hi", d, DateStyle::Long).unwrap(), HI_LONG);
    assert_eq!(locale::format_date("hi-IN-u-ca-gregory", d, DateStyle::Long).unwrap(), HI_LONG);
    // In the Indian national calendar the override does not apply: 24 Agrahayana 1948 Saka.
    let indian = locale::format_date("hi-IN-u-ca-indian", d, DateStyle::Long).unwrap();
    assert!(indian.contains("1948") && indian.contains("अग्रहायण"), "{indian}");
    assert_eq!(locale::format_date("hi-IN", d, DateStyle::Medium).unwrap(), "15 दिस॰ 2026");
}

#[test]
fn currencies_keep_their_own_minor_digits_in_any_locale() {
    // currencyData.json fractions: JPY 0, KWD 3, BHD 3, CLP 0, everything else 2. Rounded once.
    assert_eq!(locale::format_currency("en-GB", 1234.5678, "KWD").unwrap(), format!("KWD{NBSP}1,234.568"));
    assert_eq!(locale::format_currency("en-GB", 0.0005, "BHD").unwrap(), format!("BHD{NBSP}0.001"));
    assert_eq!(locale::format_currency("de-DE", 99.6, "JPY").unwrap(), format!("100{NBSP}¥"));
    assert_eq!(locale::format_currency("es-ES", 1999.5, "CLP").unwrap(), format!("2000{NBSP}CLP"));
    assert_eq!(locale::format_currency("ja-JP", 120.0, "JPY").unwrap(), "￥120");
}

/// A scratch storyboard with one text layer showing `text`, and `extra` top-level keys.
fn storyboard(name: &str, extra: &str, text: &str) -> PathBuf {
    let dir = common::fresh_dir("locales", name);
    let assets = common::repo().join("assets");
    let body = format!(
        "video: {{ width: 320, height: 180, fps: 10 }}\nassets: {}\nfonts: {{ body: fonts/Inter-Regular.otf }}\n{extra}scenes:\n  - id: a\n    duration: 1s\n    layers:\n      - {{ type: text, text: \"{text}\", width: 300, size: 12 }}\n",
        assets.display()
    );
    let path = dir.join("sb.yaml");
    std::fs::write(&path, body).unwrap();
    path
}

fn load(path: &Path) -> billreel::bind::Binder {
    billreel::load(path, None).unwrap_or_else(|d| panic!("{d}"))
}

fn record(locale: &str) -> Record {
    let data = serde_json::json!({"id": "C1", "locale": locale, "total": 1234.5, "due": "2027-04-12", "city": "istanbul"});
    Record { id: "C1".into(), data, line: 1 }
}

fn text_of(graph: &billreel::scene::SceneGraph) -> String {
    let NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!("the layer is text") };
    t.at(0.5).lines.join(" ")
}

const TEMPLATE: &str = "{{ total | currency('JPY') }} {{ due | date('medium') }} {{ city | upper }}";

#[test]
fn a_record_with_an_unknown_locale_fails_naming_field_value_and_fix() {
    // Inter has no full-width yen (ja's ￥): drawn as a box, the text is what is checked.
    let binder = load(&storyboard("unknown-record", "missing_glyphs: replace\n", TEMPLATE));
    let e = binder.bind(&record("jp-JP")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("locale"), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("field `locale`"), "{msg}");
    assert!(msg.contains("`jp-JP` is not a locale billreel has data for (did you mean ja-JP?)"), "{msg}");
    assert!(msg.contains("fallback_locale"), "the message says how else to fix it: {msg}");
    // A malformed one too, without quoting it (it could be anything).
    let e = binder.bind(&record("Mary Smith")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("locale"));
    assert!(e.to_string().contains("is not a locale") && !e.to_string().contains("Mary"), "{e}");
    // The right tag renders in Japanese (yen without decimals, ISO-like medium date).
    let graph = binder.bind(&record("ja-JP")).unwrap();
    assert_eq!(text_of(&graph), "￥1,234 2027/04/12 ISTANBUL");
}

/// The log lines written while `f` runs.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    let buf = common::LogBuffer::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = buf.text();
    (out, text)
}

#[test]
fn a_declared_fallback_locale_renders_and_warns() {
    let binder = load(&storyboard("fallback", "fallback_locale: tr-TR\n", TEMPLATE));
    let (graph, log) = logged(|| binder.bind(&record("jp-JP")));
    let graph = graph.unwrap_or_else(|e| panic!("{e}"));
    // tr-TR: yen sign before the amount, "d MMM y" with Turkish month, dotted capital İ.
    assert_eq!(text_of(&graph), "¥1.234 12 Nis 2027 İSTANBUL");
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("`jp-JP` is not a locale billreel has data for (did you mean ja-JP?)"), "{log}");
    assert!(log.contains("formatted with the storyboard's fallback_locale"), "{log}");
    assert!(log.contains("fallback=\"tr-TR\"") || log.contains("fallback=tr-TR"), "{log}");
    assert!(log.contains("record=C1"), "{log}");
    // A known locale is not replaced, and says nothing.
    let (graph, log) = logged(|| binder.bind(&record("de-DE")));
    assert_eq!(text_of(&graph.unwrap()), "1.234\u{a0}¥ 12.04.2027 ISTANBUL");
    assert!(log.is_empty(), "{log}");
}

#[test]
fn an_unknown_storyboard_locale_fails_check_at_its_line() {
    let sb = storyboard("unknown-storyboard", "locale: jp-JP\nfallback_locale: xx-QQ\n", "hi");
    let o = common::billreel(["check", sb.to_str().unwrap()]);
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("sb.yaml:4:9: `jp-JP` is not a locale billreel has data for (did you mean ja-JP?)"),
        "{out}"
    );
    assert!(out.contains("sb.yaml:5:18: `xx-QQ` is not a locale billreel has data for"), "{out}");
    assert!(out.contains("tested: en-GB, en-US"), "the hint lists the tested locales: {out}");
}

#[test]
fn case_filters_follow_the_locale() {
    let binder = load(&storyboard(
        "case",
        "",
        "{{ city | upper }}|{{ 'İZMİR' | lower }}|{{ city | title }}|{{ 'iĞDIR' | capitalize }}",
    ));
    assert_eq!(text_of(&binder.bind(&record("tr-TR")).unwrap()), "İSTANBUL|izmir|İstanbul|İğdır");
    // Outside Turkish and Azeri, i has no dot when capitalised and İ lowers to i + combining dot.
    assert_eq!(
        text_of(&binder.bind(&record("en-GB")).unwrap()),
        "ISTANBUL|i\u{307}zmi\u{307}r|Istanbul|Iğdir"
    );
}

#[test]
fn right_to_left_locales_are_known() {
    assert!(locale::is_rtl("ar-SA") && locale::is_rtl("he-IL") && locale::is_rtl("ar-AE-u-nu-latn"));
    assert!(!locale::is_rtl("tr-TR") && !locale::is_rtl("ja-JP") && !locale::is_rtl("jp-JP"));
}
