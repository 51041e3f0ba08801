//! Upper, lower and title case by the locale's rules (ICU4X's case mapping, Unicode's
//! SpecialCasing): Turkish and Azeri `i` ↔ `İ` and `ı` ↔ `I`, Lithuanian dots, Greek upper case
//! without accents ("Ιανουάριος" → "ΙΑΝΟΥΑΡΙΟΣ"), Dutch "IJ" at the start of a word. Rust's
//! `to_uppercase` knows none of these: "istanbul" in tr-TR must become "İSTANBUL", not
//! "ISTANBUL".

use icu::casemap::options::TitlecaseOptions;
use icu::casemap::{CaseMapper, TitlecaseMapper};
use icu::locale::LanguageIdentifier;

use super::parse_locale;

/// The language identifier whose case rules apply; root's (plain Unicode) for a tag that does
/// not parse (the record has already failed on it by then).
fn langid(locale: &str) -> LanguageIdentifier {
    parse_locale(locale).map_or(LanguageIdentifier::UNKNOWN, |l| l.id)
}

/// `text` in upper case by `locale`'s rules.
pub fn upper(locale: &str, text: &str) -> String {
    CaseMapper::new().uppercase_to_string(text, &langid(locale)).into_owned()
}

/// `text` in lower case by `locale`'s rules.
pub fn lower(locale: &str, text: &str) -> String {
    CaseMapper::new().lowercase_to_string(text, &langid(locale)).into_owned()
}

/// The first letter in title case, the rest in lower case (as minijinja's `capitalize`).
pub fn capitalize(locale: &str, text: &str) -> String {
    let id = langid(locale);
    let mapper = TitlecaseMapper::new();
    mapper.titlecase_segment_to_string(text, &id, TitlecaseOptions::default()).into_owned()
}

/// Each word with its first letter in title case and the rest in lower case. Words are split
/// where minijinja's `title` splits them (at white space and ASCII punctuation), so only the
/// case rules change.
pub fn title(locale: &str, text: &str) -> String {
    let id = langid(locale);
    let mapper = TitlecaseMapper::new();
    let mut out = String::with_capacity(text.len());
    let mut word_start = None;
    let is_break = |c: char| c.is_ascii_punctuation() || c.is_whitespace();
    for (i, c) in text.char_indices() {
        if is_break(c) {
            if let Some(s) = word_start.take() {
                out.push_str(&mapper.titlecase_segment_to_string(
                    &text[s..i],
                    &id,
                    TitlecaseOptions::default(),
                ));
            }
            out.push(c);
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(s) = word_start {
        out.push_str(&mapper.titlecase_segment_to_string(&text[s..], &id, TitlecaseOptions::default()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_dotted_and_dotless_i() {
        assert_eq!(upper("tr-TR", "istanbul ılık"), "İSTANBUL ILIK");
        assert_eq!(upper("en-GB", "istanbul ılık"), "ISTANBUL ILIK");
        assert_eq!(lower("tr-TR", "İSTANBUL IŞIK"), "istanbul ışık");
        assert_eq!(lower("en-GB", "IŞIK"), "işik");
        assert_eq!(capitalize("tr-TR", "iZMİR"), "İzmir");
        assert_eq!(title("tr-TR", "izmir ve ısparta-istanbul"), "İzmir Ve Isparta-İstanbul");
        assert_eq!(title("en-GB", "hello, wORLD"), "Hello, World");
    }

    #[test]
    fn greek_upper_case_drops_accents() {
        assert_eq!(upper("el-GR", "Ιανουάριος"), "ΙΑΝΟΥΑΡΙΟΣ");
    }
}
