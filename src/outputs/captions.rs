//! Captions: a record's timed caption text as WebVTT (for web players and the landing page)
//! or SubRip (for tools that want SRT).
//!
//! In: the cues bind resolved ([`Cue`], seconds). Out: the text of a `.vtt` or `.srt` file.
//!
//! Caption text carries customer data, and both formats give meaning to characters a name can
//! hold: a blank line ends a cue, a line with `-->` starts one (SRT readers such as FFmpeg's take
//! a timing line even without the blank line before it), a lone CR is a line break to WebVTT
//! (so two of them end a cue in Chromium), and `<…>` (both) or `{\…}` (SRT, in FFmpeg, VLC and
//! most players) are tags. So the text is first made plain ([`plain`]): every line break (CR, LF,
//! CRLF, NEL, LS, PS, VT, FF) becomes one LF, runs of them and blank lines fold into one, and
//! other control characters go. Then each format makes the rest literal: WebVTT escapes `&`, `<`
//! and `>` (its own character references); SubRip has no escape at all, so `<`, `>`, `{` and `}`
//! become their fullwidth forms (＜ ＞ ｛ ｝), which read the same. A cue whose text is empty once
//! plain is left out. Text without any of these characters is written unchanged.

use std::fmt::Write;

use crate::scene::{text, Cue};

/// WebVTT: plain text with `&`, `<` and `>` escaped, so customer data can never form markup, a
/// `-->` or a blank line.
pub fn to_vtt(cues: &[Cue]) -> String {
    to_vtt_in(cues, "")
}

/// [`to_vtt`] for captions in the language `lang` (BCP 47). When it is written right to left,
/// each cue is a WebVTT language span (`<lang ar-SA>…</lang>`) and each of its lines starts
/// with a RIGHT-TO-LEFT MARK: a WebVTT renderer takes a cue's direction from its first strong
/// character (UAX #9 P2/P3, WebVTT's "cue text rendering"), so a cue that starts with a Latin
/// brand name or a number still reads, and aligns, right to left.
pub fn to_vtt_in(cues: &[Cue], lang: &str) -> String {
    // Only a locale that parses is right to left, so `lang` then holds only letters, digits,
    // `-` and `_`: it cannot end the tag.
    let rtl = text::locale_is_rtl(lang);
    let mut out = String::from("WEBVTT\n");
    for (n, c, text) in numbered(cues) {
        let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let text = if rtl { format!("<lang {lang}>{}</lang>", rtl_lines(&text)) } else { text };
        let _ = write!(out, "\n{n}\n{} --> {}\n{text}\n", stamp(c.start, '.'), stamp(c.end, '.'));
    }
    out
}

/// SubRip, numbered from 1, with comma decimal separators; plain text in which `<`, `>`, `{` and
/// `}` are fullwidth, so data can form neither a tag nor a timing line.
pub fn to_srt(cues: &[Cue]) -> String {
    to_srt_in(cues, "")
}

/// [`to_srt`] for captions in the language `lang`: a right-to-left language's lines each start
/// with a RIGHT-TO-LEFT MARK (SubRip has no language or direction of its own; players lay each
/// line out by the bidi algorithm).
pub fn to_srt_in(cues: &[Cue], lang: &str) -> String {
    let rtl = text::locale_is_rtl(lang);
    let mut out = String::new();
    for (n, c, text) in numbered(cues) {
        let text = if rtl { rtl_lines(&text) } else { text };
        let text: String = text
            .chars()
            .map(|ch| match ch {
                '<' => '\u{FF1C}',
                '>' => '\u{FF1E}',
                '{' => '\u{FF5B}',
                '}' => '\u{FF5D}',
                other => other,
            })
            .collect();
        let _ = write!(out, "{n}\n{} --> {}\n{text}\n\n", stamp(c.start, ','), stamp(c.end, ','));
    }
    out
}

/// Each line of `text` led by a RIGHT-TO-LEFT MARK (U+200F), which makes its paragraph right
/// to left whatever its first letter.
fn rtl_lines(text: &str) -> String {
    text.split('\n').map(|l| format!("\u{200F}{l}")).collect::<Vec<_>>().join("\n")
}

/// The cues with text once made [`plain`], numbered from 1: a cue left empty is left out.
fn numbered(cues: &[Cue]) -> impl Iterator<Item = (usize, &Cue, String)> {
    cues.iter()
        .map(|c| (c, plain(&c.text)))
        .filter(|(_, text)| !text.is_empty())
        .enumerate()
        .map(|(i, (c, text))| (i + 1, c, text))
}

/// `HH:MM:SS.mmm`, rounded to the millisecond.
fn stamp(secs: f64, sep: char) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02}{sep}{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Caption text as plain lines: every kind of line break becomes LF, a tab a space, other
/// control characters go (C0, DEL, C1); lines lose their trailing spaces and blank lines go, so
/// the result is one or more non-blank lines joined by single LFs (or empty).
pub fn plain(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut end_line = |line: &mut String| {
        let kept = line.trim_end();
        if !kept.trim_start().is_empty() {
            lines.push(kept.to_string());
        }
        line.clear();
    };
    for ch in text.chars() {
        match ch {
            // LF, VT, FF, CR, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR (CRLF gives an empty
            // line between, which goes with the blank lines).
            '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => end_line(&mut line),
            '\t' => line.push(' '),
            c if c.is_control() => {}
            c => line.push(c),
        }
    }
    end_line(&mut line);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues() -> Vec<Cue> {
        vec![
            Cue { start: 0.0, end: 3.6, text: "Hello <b>Zoë</b> & co -->".into() },
            Cue { start: 3.6, end: 3723.0456, text: "Two\n\nlines".into() },
        ]
    }

    #[test]
    fn webvtt_is_escaped_and_timed_to_the_millisecond() {
        assert_eq!(
            to_vtt(&cues()),
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:03.600\nHello &lt;b&gt;Zoë&lt;/b&gt; &amp; co --&gt;\n\n2\n00:00:03.600 --> 01:02:03.046\nTwo\nlines\n"
        );
    }

    #[test]
    fn srt_uses_commas_and_blank_lines_between_cues_and_no_tags() {
        assert_eq!(
            to_srt(&cues()),
            "1\n00:00:00,000 --> 00:00:03,600\nHello ＜b＞Zoë＜/b＞ & co --＞\n\n2\n00:00:03,600 --> 01:02:03,046\nTwo\nlines\n\n"
        );
    }

    #[test]
    fn every_line_break_folds_into_one_and_controls_go() {
        assert_eq!(plain("a\r\rb"), "a\nb");
        assert_eq!(plain("a\r\n\r\nb\u{2028}\u{2029}c\u{85}d\u{0B}\u{0C}e"), "a\nb\nc\nd\ne");
        assert_eq!(plain("\n \t\n  lead\tand trail \t\n\n"), "  lead and trail");
        assert_eq!(plain("N\u{0}U\u{1b}[31mL\u{7f}\u{9b}L"), "NU[31mLL");
        assert_eq!(plain("\r\n\u{0}\t"), "");
        // Right-to-left marks and joiners are text, not controls.
        assert_eq!(plain("\u{200f}שלום\u{200d}"), "\u{200f}שלום\u{200d}");
    }

    #[test]
    fn right_to_left_captions_are_language_spans_whose_lines_start_with_a_right_to_left_mark() {
        let cues = vec![Cue {
            start: 0.0, end: 2.0, text: "Brightwave: فاتورتك\n٣٨٤٫١٠ ر.س.".into()
        }];
        assert_eq!(
            to_vtt_in(&cues, "ar-SA"),
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\n<lang ar-SA>\u{200F}Brightwave: فاتورتك\n\u{200F}٣٨٤٫١٠ ر.س.</lang>\n"
        );
        assert_eq!(
            to_srt_in(&cues, "he-IL"),
            "1\n00:00:00,000 --> 00:00:02,000\n\u{200F}Brightwave: فاتورتك\n\u{200F}٣٨٤٫١٠ ر.س.\n\n"
        );
        // Left-to-right languages (and none) are written as before.
        assert_eq!(to_vtt_in(&cues, "en-GB"), to_vtt(&cues));
        assert_eq!(to_srt_in(&cues, "ja-JP"), to_srt(&cues));
    }

    #[test]
    fn a_cue_whose_text_is_only_breaks_or_controls_is_left_out_and_the_rest_renumbered() {
        let cues = vec![
            Cue { start: 0.0, end: 1.0, text: "\r\n\u{0}".into() },
            Cue { start: 1.0, end: 2.0, text: "Bye".into() },
        ];
        assert_eq!(to_vtt(&cues), "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nBye\n");
        assert_eq!(to_srt(&cues), "1\n00:00:01,000 --> 00:00:02,000\nBye\n\n");
    }
}
