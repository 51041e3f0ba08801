//! Captions: a record's timed caption text as WebVTT (for web players and the landing page)
//! or SubRip (for tools that want SRT).
//!
//! In: the cues bind resolved ([`Cue`], seconds). Out: the text of a `.vtt` or `.srt` file.

use std::fmt::Write;

use crate::scene::Cue;

/// WebVTT: cue text is escaped (`&`, `<`, `>`), so customer data can never form markup or a
/// premature `-->`.
pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (i, c) in cues.iter().enumerate() {
        let text = c.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let _ = write!(
            out,
            "\n{}\n{} --> {}\n{}\n",
            i + 1,
            stamp(c.start, '.'),
            stamp(c.end, '.'),
            no_blank_lines(&text)
        );
    }
    out
}

/// SubRip, numbered from 1, with comma decimal separators.
pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            stamp(c.start, ','),
            stamp(c.end, ','),
            no_blank_lines(&c.text)
        );
    }
    out
}

/// `HH:MM:SS.mmm`, rounded to the millisecond.
fn stamp(secs: f64, sep: char) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02}{sep}{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// A blank line ends a cue in both formats: keep the lines, drop the empty ones.
fn no_blank_lines(text: &str) -> String {
    text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
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
    fn srt_uses_commas_and_blank_lines_between_cues() {
        assert_eq!(
            to_srt(&cues()),
            "1\n00:00:00,000 --> 00:00:03,600\nHello <b>Zoë</b> & co -->\n\n2\n00:00:03,600 --> 01:02:03,046\nTwo\nlines\n\n"
        );
    }
}
