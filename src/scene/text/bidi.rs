//! Bidirectional text: the Unicode Bidirectional Algorithm (UAX #9) through `unicode-bidi`.
//!
//! In: a paragraph (for its direction) and each of its lines once broken. Out: the line's runs
//! in visual order, left to right, each a byte range of the line and a direction.
//!
//! Lines are broken on the logical text (the order it is typed and stored in); then each line is
//! resolved on its own at its paragraph's level and reordered (rules L1 and L2), which is what a
//! browser does for a wrapped `<p dir=auto>`. Resolving the line alone instead of the whole
//! paragraph differs only for a neutral at a line's edge whose direction would come from the
//! next line, and L1 puts such a neutral at the paragraph's level anyway when it is a space.

use std::ops::Range;

use unicode_bidi::{Level, ParagraphBidiInfo};

/// Whether a paragraph reads right to left: its first strong character (skipping isolates) is
/// right-to-left (rules P2, P3). A paragraph with no strong character (only digits, say) is
/// left to right, as a browser's `dir=auto` takes it.
pub fn paragraph_is_rtl(para: &str) -> bool {
    // ASCII has no right-to-left letter: most text of most bills is answered without the
    // per-character class lookups.
    !para.is_ascii() && ParagraphBidiInfo::new(para, None).paragraph_level.is_rtl()
}

/// One run of a line in visual order: a byte range of the line and whether it runs right to
/// left (an odd embedding level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisualRun {
    pub range: Range<usize>,
    pub rtl: bool,
}

/// A line's runs from left to right, resolved at its paragraph's level (`rtl`). Characters
/// the algorithm removes (embedding controls, rule X9) stay in their run: they shape to nothing.
pub fn visual_runs(line: &str, rtl: bool) -> Vec<VisualRun> {
    if line.is_empty() {
        return Vec::new();
    }
    if !rtl && line.is_ascii() {
        return vec![VisualRun { range: 0..line.len(), rtl: false }];
    }
    let level = if rtl { Level::rtl() } else { Level::ltr() };
    let info = ParagraphBidiInfo::new(line, Some(level));
    if !rtl && !info.has_rtl() {
        return vec![VisualRun { range: 0..line.len(), rtl: false }];
    }
    let (levels, runs) = info.visual_runs(0..line.len());
    runs.into_iter().map(|range| VisualRun { rtl: levels[range.start].is_rtl(), range }).collect()
}

/// Whether a BCP 47 locale's script is written right to left (ar-SA, he-IL, fa-IR: yes;
/// en-GB, ja-JP, a malformed tag: no), by CLDR's likely subtags.
pub fn locale_is_rtl(locale: &str) -> bool {
    // Compiled data: building it costs no I/O (it is not Sync, so it is not kept in a static).
    let directions = icu::locale::LocaleDirectionality::new_common();
    icu::locale::Locale::try_from_str(locale).is_ok_and(|l| directions.is_right_to_left(&l.id))
}

/// Bidi formatting characters (marks, embeddings, overrides, isolates): no font draws them and
/// none needs to; they belong to the run they are in.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests;
