//! Captions and rich text carry customer data, which must never become structure.
//!
//! Rich text: a value inserted into a tag's argument (`[color={{ c }}]`) can neither close the
//! tag nor be anything but a colour there.
//!
//! Captions: neither SubRip nor WebVTT may let data create or end a cue or carry a tag. Each case writes captions with a hostile value and reads them back the way
//! players do: with FFmpeg's own SRT and WebVTT demuxers (which players built on FFmpeg use),
//! and with the WebVTT parsing rules browsers follow (CR, LF and CRLF all end a line; a blank
//! line ends a cue), asserting the number of cues, their timings and their text.

use std::path::PathBuf;

use billreel::outputs::captions::{to_srt, to_vtt};
use billreel::record::Record;
use billreel::scene::{Cue, NodeKind};
use ffmpeg_next as ffmpeg;

/// The cues of a two-scene video whose first caption greets `name`.
fn greeting(name: &str) -> Vec<Cue> {
    vec![
        Cue { start: 0.0, end: 2.5, text: format!("Hello {name},") },
        Cue { start: 2.5, end: 6.0, text: "Your bill is ready".into() },
    ]
}

/// Hostile first names: the ones from the report, and their neighbours.
const HOSTILE: &[(&str, &str)] = &[
    ("srt cue injection", "Ann\n\n3\n00:00:00,000 --> 00:00:09,000\nINJECTED"),
    ("srt cue injection, no blank line", "Ann\n3\n00:00:00,000 --> 00:00:09,000\nINJECTED"),
    ("vtt cue injection", "Ann\n\n00:00:00.000 --> 00:00:09.000\nINJECTED"),
    ("lone CRs", "Ann\r\r00:00:00.000 --> 00:00:09.000\rINJECTED"),
    ("CRLFs", "Ann\r\n\r\n00:00:00,000 --> 00:00:09,000\r\nINJECTED"),
    ("unicode line breaks", "Ann\u{2028}\u{2029}\u{85}00:00:00.000 --> 00:00:09.000\u{0B}\u{0C}INJECTED"),
    ("NUL and escapes", "Ann\u{0}\u{1b}[2J\u{7f}\u{9b}INJECTED"),
    ("script tag", "<script>alert(1)</script>INJECTED"),
    ("font tag", "<font color=\"#ff0000\">INJECTED</font>"),
    ("styling braces", "{\\an8}{\\c&H0000FF&}INJECTED"),
    ("vtt header words", "Ann\n\nNOTE x\n\nSTYLE\n::cue { color: red }\n\nINJECTED"),
    ("only breaks", "\n\r\n\r"),
];

fn scratch(name: &str) -> PathBuf {
    // Under target/ (overwritten by the next run), not a folder per process left in /tmp.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("injection-captions");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One cue as a reader saw it: start and end in milliseconds, and its text.
#[derive(Debug, PartialEq)]
struct Read {
    start_ms: i64,
    end_ms: i64,
    text: String,
}

/// Reads a captions file with FFmpeg's demuxer for its format: one packet per cue.
fn ffmpeg_read(path: &std::path::Path) -> Vec<Read> {
    billreel::ffmpeg::init();
    let mut input = ffmpeg::format::input(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stream = input.streams().best(ffmpeg::media::Type::Subtitle).expect("a subtitle stream");
    let (index, tb) = (stream.index(), stream.time_base());
    let ms = |t: i64| t * 1000 * tb.numerator() as i64 / tb.denominator() as i64;
    let mut cues = Vec::new();
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        let start = packet.pts().expect("a cue has a start");
        let text = String::from_utf8_lossy(packet.data().unwrap_or_default()).trim_end().to_string();
        cues.push(Read { start_ms: ms(start), end_ms: ms(start + packet.duration()), text });
    }
    cues
}

/// Reads WebVTT the way browsers do (the WHATWG WebVTT parser's line and block rules): CRLF, CR
/// and LF each end a line, a blank line ends a block, a block whose first or second line holds
/// `-->` is a cue, and its text runs to the end of the block.
fn browser_read_vtt(text: &str) -> Vec<Read> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let stamp = |s: &str| -> i64 {
        let (hms, millis) = s.trim().split_once('.').expect("hh:mm:ss.mmm");
        let parts: Vec<i64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
        let secs = parts.iter().fold(0, |acc, p| acc * 60 + p);
        secs * 1000 + millis.parse::<i64>().unwrap()
    };
    let mut blocks = text.split("\n\n");
    assert!(blocks.next().unwrap().starts_with("WEBVTT"));
    let mut cues = Vec::new();
    for block in blocks {
        let lines: Vec<&str> = block.lines().collect();
        let Some(t) = lines.iter().take(2).position(|l| l.contains("-->")) else { continue };
        let (a, b) = lines[t].split_once("-->").unwrap();
        cues.push(Read { start_ms: stamp(a), end_ms: stamp(b), text: lines[t + 1..].join("\n") });
    }
    cues
}

/// What a cue's text may not hold once read: a tag, a timing arrow, a blank line.
fn assert_inert(format: &str, case: &str, text: &str) {
    assert!(!text.contains('<'), "{format} {case}: a tag in {text:?}");
    if format == "srt" {
        assert!(!text.contains('{'), "{format} {case}: a style override in {text:?}");
    }
    assert!(!text.contains("-->"), "{format} {case}: an arrow in {text:?}");
    assert!(!text.contains("\n\n") && !text.contains('\r'), "{format} {case}: a blank line in {text:?}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{format} {case}: a control in {text:?}");
}

#[test]
fn no_value_creates_ends_or_styles_a_srt_cue() {
    for (i, (case, name)) in HOSTILE.iter().enumerate() {
        let path = scratch(&format!("c{i}.srt"));
        std::fs::write(&path, to_srt(&greeting(name))).unwrap();
        let cues = ffmpeg_read(&path);
        let timings: Vec<(i64, i64)> = cues.iter().map(|c| (c.start_ms, c.end_ms)).collect();
        assert_eq!(timings, [(0, 2500), (2500, 6000)], "{case}: {cues:?}");
        assert!(cues[0].text.starts_with("Hello"), "{case}: {cues:?}");
        assert_eq!(cues[1].text, "Your bill is ready", "{case}");
        for c in &cues {
            assert_inert("srt", case, &c.text);
        }
    }
}

#[test]
fn no_value_creates_ends_or_styles_a_webvtt_cue() {
    for (i, (case, name)) in HOSTILE.iter().enumerate() {
        let vtt = to_vtt(&greeting(name));
        let path = scratch(&format!("c{i}.vtt"));
        std::fs::write(&path, &vtt).unwrap();
        for (reader, cues) in [("ffmpeg", ffmpeg_read(&path)), ("browser", browser_read_vtt(&vtt))] {
            let timings: Vec<(i64, i64)> = cues.iter().map(|c| (c.start_ms, c.end_ms)).collect();
            assert_eq!(timings, [(0, 2500), (2500, 6000)], "{reader} {case}: {cues:?}");
            assert!(cues[0].text.starts_with("Hello"), "{reader} {case}: {cues:?}");
            assert_eq!(cues[1].text, "Your bill is ready", "{reader} {case}");
            for c in &cues {
                assert_inert(reader, case, &c.text);
            }
        }
    }
}

#[test]
fn hostile_text_still_reads_as_the_customer_wrote_it() {
    // The reported SRT injection becomes lines of the one cue, its timing line defused.
    let srt = to_srt(&greeting("Ann\n\n3\n00:00:00,000 --> 00:00:09,000\nINJECTED"));
    assert!(srt.starts_with(
        "1\n00:00:00,000 --> 00:00:02,500\nHello Ann\n3\n00:00:00,000 --＞ 00:00:09,000\nINJECTED,\n\n2\n"
    ));
    // Tags show as text: fullwidth in SRT (no escape exists), character references in WebVTT.
    let cues = greeting("<b>Zoë</b> & {\\an8}");
    assert!(to_srt(&cues).contains("Hello ＜b＞Zoë＜/b＞ & ｛\\an8｝,\n"));
    assert!(to_vtt(&cues).contains("Hello &lt;b&gt;Zoë&lt;/b&gt; &amp; {\\an8},\n"));
    // A lone CR is a line break, not the end of the cue; NUL and escapes are gone.
    assert!(to_vtt(&greeting("Ann\rMarie\u{0}\u{1b}")).contains("\nHello Ann\nMarie,\n"));
    // A caption that is only line breaks is left out, and the rest numbered from 1.
    let only = vec![Cue { start: 0.0, end: 1.0, text: "\r\n\u{0}".into() }, greeting("Ann").remove(1)];
    assert_eq!(to_srt(&only), "1\n00:00:02,500 --> 00:00:06,000\nYour bill is ready\n\n");
}

/// A text layer whose colour and text both come from the record.
const RICH: &str = r##"
video: { width: 160, height: 90, fps: 10, background: "#000000" }
fonts: { body: fonts/Inter-Regular.otf }
scenes:
  - id: s
    duration: 1s
    layers:
      - { type: text, x: 0, y: 0, width: 160, size: 12, text: "Hi [color={{ c }}]{{ name }}[/color]!" }
"##;

/// The lines drawn by the text layer of [`RICH`] for a record with colour `c` and `name`.
fn rich_lines(c: &str, name: &str) -> Result<Vec<String>, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("tests/rich-injection.yaml");
    let limits = billreel::limits::Limits::default();
    let binder =
        billreel::load_text(RICH, &file, Some(&root.join("assets")), &limits).map_err(|d| d.to_string())?;
    let record = Record { id: "R".into(), data: serde_json::json!({ "c": c, "name": name }), line: 1 };
    let graph = binder.bind(&record).map_err(|e| e.to_string())?;
    let NodeKind::Text(t) = &graph.scenes[0].nodes[0].kind else { panic!("a text node") };
    Ok(t.at(0.0).lines.clone())
}

#[test]
fn a_value_inside_a_tag_argument_neither_closes_the_tag_nor_shows() {
    assert_eq!(rich_lines("#ffb74d", "Ann").unwrap(), ["Hi Ann!"]);
    // The reported case: the colour closed its tag at the data's `]` and drew the rest.
    let e = rich_lines("#fff]INJECTED[b]", "Ann").unwrap_err();
    assert!(e.contains("needs a colour") && e.contains("a string of 16 characters"), "{e}");
    assert!(!e.contains("INJECTED"), "the value is not quoted: {e}");
    // Brackets and tags in the text itself are shown as typed.
    assert_eq!(rich_lines("#fff", "]x[/color][b]y").unwrap(), ["Hi ]x[/color][b]y!"]);
}
