//! What goes with each video: sound in sync with the picture, captions, the email stills and
//! the landing page, checked in a real browser.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use billreel::record::Record;
use common::{billreel, repo};

fn scratch(name: &str) -> PathBuf {
    common::fresh_dir("test-companions", name)
}

/// A storyboard in `dir` that points at the repository's assets.
fn storyboard(dir: &Path, body: &str) -> PathBuf {
    let text = format!(
        "video: {{ width: 320, height: 180, fps: 30, background: \"#0b1f3a\" }}\nassets: {}\nfonts: {{ body: fonts/Inter-Regular.otf }}\n{body}",
        repo().join("assets").display()
    );
    let p = dir.join("sb.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn record(data: serde_json::Value) -> Record {
    Record { id: data["id"].as_str().unwrap().into(), data, line: 1 }
}

/// Decodes a file's first audio stream to mono f32 at 48 kHz with FFmpeg's own tool.
fn decoded_audio(file: &Path) -> Vec<f32> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn a_click_in_the_audio_lands_within_one_frame_of_its_place() {
    let dir = scratch("sync");
    // Three scenes; the click is placed 0.5 s into the second, which starts at 1.0 s after a
    // 0.3 s crossfade overlap... so at 0.7 + 0.5 = 1.2 s, plus the 10 ms of silence in the file.
    let sb = storyboard(
        &dir,
        "audio: { music: audio/music-bed.ogg, volume: 0.3 }\nscenes:\n  - { id: a, duration: 1s, layers: [{ type: text, text: A }] }\n  - id: b\n    duration: 1s\n    transition: { type: fade, duration: 300ms }\n    audio: [{ src: audio/click.wav, delay: 500ms }]\n    layers: [{ type: text, text: B }]\n  - { id: c, duration: 1s, layers: [{ type: text, text: C }] }\n",
    );
    std::fs::write(dir.join("run.jsonl"), "{\"id\": \"A\"}\n").unwrap();
    let out = dir.join("a.mp4");
    let data = dir.join("run.jsonl");
    let o = billreel([
        "render",
        sb.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--id",
        "A",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let probe = common::ffprobe_audio(&out, "stream=codec_name,sample_rate,channels,duration");
    assert_eq!(common::field(&probe, "codec_name"), "aac");
    assert_eq!(common::field(&probe, "sample_rate"), "48000");
    assert_eq!(common::field(&probe, "channels"), "2");
    let audio_secs: f64 = common::field(&probe, "duration").parse().unwrap();
    assert!((audio_secs - 2.7).abs() < 1.0 / 30.0, "audio lasts {audio_secs} s, the video 2.7 s");

    let samples = decoded_audio(&out);
    let at = samples.iter().position(|s| s.abs() > 0.6).expect("the click is in the mix") as f64 / 48_000.0;
    let expected = 1.2 + 0.010;
    assert!((at - expected).abs() <= 1.0 / 30.0, "click at {at:.4} s, expected {expected:.4} s");
    // The music bed plays under it (and is not silence).
    assert!(samples[48_000 / 2..48_000].iter().any(|s| s.abs() > 0.01));
}

#[test]
fn wav_mp3_ogg_and_m4a_decode_to_the_same_sound() {
    let dir = scratch("formats");
    let click = repo().join("assets/audio/click.wav");
    for (ext, codec) in [("wav", "pcm_s16le"), ("mp3", "libmp3lame"), ("ogg", "libvorbis"), ("m4a", "aac")] {
        let file = dir.join(format!("click.{ext}"));
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&click)
            .args(["-ac", "2", "-c:a", codec])
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{ext}: {}", String::from_utf8_lossy(&o.stderr));
        let pcm = billreel::audio::decode(&file).unwrap_or_else(|e| panic!("{ext}: {e}"));
        let secs = pcm.frames() as f64 / 48_000.0;
        assert!((0.045..0.1).contains(&secs), "{ext}: {secs} s long");
        let peak = pcm.samples().iter().position(|s| s.abs() > 0.3).unwrap() / 2;
        let t = peak as f64 / 48_000.0;
        assert!((t - 0.010).abs() < 0.003, "{ext}: click at {t:.4} s");
    }
    let err =
        billreel::audio::decode(&repo().join("assets/fonts/Inter-Regular.otf")).unwrap_err().to_string();
    assert!(err.contains("Inter-Regular.otf"), "{err}");
}

/// A run for the landing-page tests: one customer whose data tries to inject markup.
fn page_run(dir: &Path) -> serde_json::Value {
    let sb = storyboard(
        dir,
        r##"poster: { at: 0.5s, play_button: true }
preview: { from: 0s, duration: 2s, width: 240, fps: 10 }
cta:
  - { label: "Pay {{ customer.name }}", href: "{{ links.pay }}", scene: pay, from: 200ms, x: 60, y: 60, width: 200, height: 50, radius: 25, size: 20 }
page:
  title: "Bill for {{ customer.name }}"
  summary: ["Amount: {{ total }}", "{{ 'overdue' if late else '' }}"]
  transcript: Transcript
scenes:
  - { id: hello, duration: 1s, caption: "Hello {{ customer.name }}", layers: [{ type: text, text: "Hello" }] }
  - { id: pay, duration: 2s, caption: "Pay here", layers: [{ type: rect, x: 60, y: 60, width: 200, height: 50, radius: 25, fill: "#00c853" }] }
"##,
    );
    let rec = serde_json::json!({
        "id": "EVIL",
        "customer": {"name": "<script>alert(1)</script>"},
        "links": {"pay": "https://pay.example/x?n=\"onmouseover=alert(1)"},
        "total": 12, "late": false
    });
    std::fs::write(dir.join("run.jsonl"), format!("{rec}\n")).unwrap();
    let out = dir.join("out");
    let o = billreel([
        "batch",
        sb.to_str().unwrap(),
        "--data",
        dir.join("run.jsonl").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--guessable-links",
        "--srt",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    serde_json::from_str(manifest.lines().next().unwrap()).unwrap()
}

#[test]
fn captions_previews_and_an_escaped_landing_page_are_written_and_listed() {
    let dir = scratch("page");
    let line = page_run(&dir);
    let out = dir.join("out");
    let file = |key: &str| out.join(line[key].as_str().unwrap_or_else(|| panic!("no {key} in {line}")));

    let vtt = std::fs::read_to_string(file("captions")).unwrap();
    assert_eq!(
        vtt,
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello &lt;script&gt;alert(1)&lt;/script&gt;\n\n2\n00:00:01.000 --> 00:00:03.000\nPay here\n"
    );
    assert!(std::fs::read_to_string(file("srt")).unwrap().starts_with("1\n00:00:00,000 --> 00:00:01,000\n"));

    let html = std::fs::read_to_string(file("page")).unwrap();
    assert!(!html.contains("<script>alert"), "customer data must never become markup");
    assert!(!html.contains("\"onmouseover"), "nor leave an attribute");
    assert!(html.contains("<title>Bill for &lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    assert!(html.contains("href=\"https://pay.example/x?n=&quot;onmouseover=alert(1)\""));
    assert!(html.contains("data-from=\"1.200\" data-to=\"3.000\""), "timed by the pay scene");
    assert!(
        html.contains(&format!("<track kind=\"captions\" src=\"{}\"", line["captions"].as_str().unwrap()))
    );
    assert!(
        html.contains("<p>Amount: 12</p>") && !html.contains("<p></p>"),
        "empty summary lines are left out"
    );
    assert!(html.contains("<p class=\"cue\">Pay here</p>"), "the transcript");

    // The animated preview: 2 s at 240 px, well under 1 MB. Both scenes hold still, so it is
    // two stored pictures of a second each; the second stores only the part that changes (the
    // greeting goes, the pay button comes).
    let gif = file("preview");
    let bytes = std::fs::metadata(&gif).unwrap().len();
    assert!(bytes < 1_000_000, "{bytes} bytes");
    let frames = gif_frames(&gif);
    let delays: Vec<u32> = frames.iter().map(|f| f.delay().numer_denom_ms().0).collect();
    assert_eq!(delays, [1000, 1000]);
    assert_eq!(frames[0].buffer().dimensions(), (240, 135));
    let button = |k: usize| frames[k].buffer().get_pixel(120, 60).0;
    assert!(button(0)[1] < 100 && button(1)[1] > 150, "the pay button shows in the second: {:?}", button(1));
    let stored = gif_rectangles(&gif);
    assert_eq!(stored[0], (0, 0, 240, 135));
    let (x, y, w, h) = stored[1];
    assert!(w * h < 240 * 135 / 2 && (x..x + w).contains(&120) && (y..y + h).contains(&60), "{stored:?}");

    // The poster has a play button: white in the middle of the triangle, the dark disc around.
    let poster = image::open(file("poster")).unwrap().to_rgb8();
    let centre = poster.get_pixel(160, 90).0;
    assert!(centre.iter().all(|c| *c > 220), "triangle centre {centre:?}");
    let disc = poster.get_pixel(160, 90 - 16).0;
    assert!(disc.iter().all(|c| *c < 90), "disc {disc:?}");
}

#[test]
fn the_call_to_action_shows_over_the_video_in_a_real_browser() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let dir = scratch("browser");
    let line = page_run(&dir);
    let out = dir.join("out");
    let base = common::serve(&out);
    let page = format!("{base}/{}", line["page"].as_str().unwrap());
    let cta_tag = |dom: &str| {
        let start = dom.find("<a class=\"cta\"").expect("the button is in the page");
        dom[start..start + dom[start..].find('>').unwrap()].to_string()
    };
    // Seeked into the pay scene (1.2 s to 3 s): the button shows, with the customer's link.
    let during = common::headless(&chromium, &format!("{page}#t=2"), &["--dump-dom"]);
    let tag = cta_tag(&during);
    assert!(!tag.contains("hidden"), "the button must show at 2 s: {tag}");
    assert!(
        tag.contains("href=\"https://pay.example/x?n=%22onmouseover=alert(1)\"")
            || tag.contains("href=\"https://pay.example/x?n=&quot;onmouseover=alert(1)\""),
        "{tag}"
    );
    // Before it, hidden.
    let before = common::headless(&chromium, &format!("{page}#t=0.5"), &["--dump-dom"]);
    assert!(cta_tag(&before).contains("hidden"), "the button must hide at 0.5 s");
    // A screenshot, kept as a test artefact.
    let shot = repo().join("target/artifacts/landing-page.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    common::headless(
        &chromium,
        &format!("{page}#t=2"),
        &[&format!("--screenshot={}", shot.display()), "--window-size=800,700"],
    );
    let img = image::open(&shot).expect("chromium wrote the screenshot").to_rgb8();
    assert_eq!(img.dimensions(), (800, 700));
}

/// An Arabic customer's WebVTT and SubRip captions: each cue a `<lang>` span whose lines start
/// with a RIGHT-TO-LEFT MARK, so a player lays out a cue that starts with a Latin brand name
/// right to left; the text itself is as bound.
#[test]
fn right_to_left_captions_carry_their_language_and_direction() {
    let dir = scratch("rtl-captions");
    let sb = storyboard(
        &dir,
        "scenes:\n  - { id: a, duration: 1s, caption: \"Brightwave: {{ amount }}\", layers: [] }\n",
    );
    let rec = serde_json::json!({"id": "AR", "locale": "ar-SA", "amount": "٣٨٤٫١٠ ر.س."});
    std::fs::write(dir.join("run.jsonl"), format!("{rec}\n")).unwrap();
    let out = dir.join("out");
    let data = dir.join("run.jsonl");
    let o = billreel([
        "batch",
        sb.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--guessable-links",
        "--srt",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(manifest.lines().next().unwrap()).unwrap();
    let file = |key: &str| std::fs::read_to_string(out.join(line[key].as_str().unwrap())).unwrap();
    assert_eq!(
        file("captions"),
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\n<lang ar-SA>\u{200F}Brightwave: ٣٨٤٫١٠ ر.س.</lang>\n"
    );
    assert_eq!(file("srt"), "1\n00:00:00,000 --> 00:00:01,000\n\u{200F}Brightwave: ٣٨٤٫١٠ ر.س.\n\n");
}

#[test]
fn burnt_in_captions_are_drawn_at_the_bottom() {
    let dir = scratch("burn");
    let sb =
        storyboard(&dir, "scenes:\n  - { id: a, duration: 1s, caption: \"Hello {{ name }}\", layers: [] }\n");
    let rec = record(serde_json::json!({"id": "A", "name": "Ann"}));
    let plain = billreel::load(&sb, None).unwrap();
    let burnt = billreel::load(&sb, None).unwrap().burn_captions(true);
    let frame = |b: &billreel::bind::Binder| {
        billreel::raster::to_rgba_image(&billreel::raster::render(&b.bind(&rec).unwrap(), 5))
    };
    let (a, b) = (frame(&plain), frame(&burnt));
    let differs = |y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| a.get_pixel(x, y) != b.get_pixel(x, y))
            .count()
    };
    assert_eq!(differs(0, 120), 0, "nothing changes above the caption band");
    assert!(differs(130, 180) > 500, "the caption is drawn near the bottom");
    let white = (130..180)
        .flat_map(|y| (0..320).map(move |x| (x, y)))
        .filter(|&(x, y)| b.get_pixel(x, y).0[..3].iter().all(|c| *c > 230))
        .count();
    assert!(white > 20, "white text on the band ({white} white pixels)");
}

/// A GIF's frames, each composed onto the whole picture as a viewer shows it, with its delay.
fn gif_frames(gif: &Path) -> Vec<image::Frame> {
    let file = std::io::BufReader::new(std::fs::File::open(gif).unwrap());
    let decoder = image::codecs::gif::GifDecoder::new(file).unwrap();
    image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap()
}

/// Where each stored picture of a GIF goes (left, top, width, height); each is kept under the
/// next.
fn gif_rectangles(gif: &Path) -> Vec<(u16, u16, u16, u16)> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(gif).unwrap()).unwrap();
    let mut rects = Vec::new();
    while let Some(f) = decoder.read_next_frame().unwrap() {
        assert_eq!(f.dispose, gif::DisposalMethod::Keep);
        rects.push((f.left, f.top, f.width, f.height));
    }
    rects
}

#[test]
fn the_preview_shows_every_frame_while_storing_only_what_changes() {
    let dir = scratch("preview");
    let binder = billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap();
    let rec = billreel::record::find(&repo().join("scenes/sample-billing-run.jsonl"), "C0001", "id").unwrap();
    let graph = binder.bind(&rec).unwrap();
    let gif = dir.join("C0001.gif");
    assert!(billreel::outputs::preview::write_preview(&graph, &gif, "test").unwrap());
    let billreel::scene::Preview { from, secs, width, fps } = graph.companions.preview.unwrap();
    let height = graph.height * width / graph.width;
    let frames = gif_frames(&gif);
    let count = (secs * fps as f64).round() as usize;
    assert!(frames.len() < count, "held frames are stored once: {} of {count}", frames.len());
    // Played at its frame rate, every frame is within quantising of the video's frame at that
    // time, scaled down.
    let mut played = Vec::new();
    for f in &frames {
        let (num, den) = f.delay().numer_denom_ms();
        let n = (num as f64 / den as f64 * fps as f64 / 1000.0).round() as usize;
        played.extend(std::iter::repeat_n(f.buffer(), n));
    }
    assert_eq!(played.len(), count);
    for (i, shown) in played.iter().enumerate() {
        let drawn = billreel::raster::render(&graph, graph.frame_at(from + i as f64 / fps as f64));
        let drawn = billreel::raster::to_rgba_image(&drawn);
        let drawn = image::imageops::resize(&drawn, width, height, image::imageops::FilterType::Triangle);
        let diff: u64 = drawn.as_raw().iter().zip(shown.as_raw()).map(|(a, b)| a.abs_diff(*b) as u64).sum();
        let mean = diff as f64 / drawn.as_raw().len() as f64;
        assert!(mean < 2.0, "preview frame {i}: mean difference {mean:.2} from the video's frame");
    }
}
