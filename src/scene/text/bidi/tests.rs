//! The visual order of runs against the Unicode conformance data (a sample of
//! BidiCharacterTest.txt, under tests/unicode with its licence).

use super::*;

const SAMPLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/unicode/BidiCharacterTest-sample.txt"));

/// One case: the text, the paragraph direction asked (0 LTR, 1 RTL, 2 auto), the resolved
/// paragraph level, which characters rule X9 removes, and the expected visual order.
struct Case {
    line: usize,
    text: String,
    chars: Vec<char>,
    direction: u8,
    level: u8,
    removed: Vec<bool>,
    order: Vec<usize>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (i, l) in SAMPLE.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split(';').collect();
        assert_eq!(f.len(), 5, "line {}: {l}", i + 1);
        let chars: Vec<char> = f[0]
            .split_whitespace()
            .map(|h| char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap())
            .collect();
        out.push(Case {
            line: i + 1,
            text: chars.iter().collect(),
            chars,
            direction: f[1].parse().unwrap(),
            level: f[2].parse().unwrap(),
            removed: f[3].split_whitespace().map(|v| v == "x").collect(),
            order: f[4].split_whitespace().map(|v| v.parse().unwrap()).collect(),
        });
    }
    out
}

/// The character indices of a line, left to right, as our runs lay them out: each run's
/// characters in logical order, reversed when it runs right to left.
fn visual_order(c: &Case, rtl: bool) -> Vec<usize> {
    // Byte offset -> character index.
    let starts: Vec<usize> = c.text.char_indices().map(|(b, _)| b).collect();
    let mut order = Vec::new();
    for run in visual_runs(&c.text, rtl) {
        let mut idx: Vec<usize> = (0..c.chars.len()).filter(|&k| run.range.contains(&starts[k])).collect();
        if run.rtl {
            idx.reverse();
        }
        order.extend(idx.into_iter().filter(|&k| !c.removed[k]));
    }
    order
}

#[test]
fn runs_follow_the_unicode_conformance_data() {
    let cases = cases();
    assert!(cases.len() >= 250, "the sample holds {} cases", cases.len());
    let mut failed = Vec::new();
    for c in &cases {
        let rtl = match c.direction {
            0 => false,
            1 => true,
            _ => paragraph_is_rtl(&c.text),
        };
        assert_eq!(rtl, c.level == 1, "line {}: paragraph level", c.line);
        let got = visual_order(c, rtl);
        if got != c.order {
            failed.push(format!("line {}: expected {:?}, got {got:?}", c.line, c.order));
        }
    }
    assert!(failed.is_empty(), "{} of {} cases differ:\n{}", failed.len(), cases.len(), failed.join("\n"));
}

#[test]
fn an_arabic_amount_keeps_its_digits_in_order_and_its_currency_after_it() {
    // "Total: 384.10 SAR" in Arabic, Arabic-Indic digits: the number is one left-to-right run
    // inside the right-to-left line, so it reads ٣٨٤٫١٠ from left to right, and the currency
    // sign ر.س. stays on the number's left (after it, in reading order).
    let line = "المبلغ: ٣٨٤٫١٠ ر.س.";
    assert!(paragraph_is_rtl(line));
    let runs = visual_runs(line, true);
    let pieces: Vec<(&str, bool)> = runs.iter().map(|r| (&line[r.range.clone()], r.rtl)).collect();
    assert_eq!(pieces, [(" ر.س.", true), ("٣٨٤٫١٠", false), ("المبلغ: ", true)]);
}
