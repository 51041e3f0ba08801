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
  - { label: "Pay {{ customer.name }}", href: "{{ links.pay }}", scene: pay, from: 200ms, x: 160, y: 85, anchor: center, width: 200, height: 50, radius: 25, size: 20, fill: { linear: { angle: 90, stops: ["#00796b", "#0277bd"] } }, font: body, follow: button }
page:
  title: "Bill for {{ customer.name }}"
  summary: ["Amount: {{ total }}", "{{ 'overdue' if late else '' }}"]
  transcript: Transcript
scenes:
  - { id: hello, duration: 1s, caption: "Hello {{ customer.name }}", layers: [{ type: text, text: "Hello" }] }
  - id: pay
    duration: 2s
    caption: "Pay here"
    layers:
      - type: rect
        name: button
        x: 160
        y: 85
        anchor: center
        width: 200
        height: 50
        radius: 25
        fill: "#00c853"
        animate: [{ at: 1.2s, scale: 1 }, { at: 1.5s, scale: 1.1 }, { at: 1.8s, scale: 1 }]
"##,
    );
    let rec = serde_json::json!({
        "id": "EVIL",
        "customer": {"name": "<script>alert(1)</script>"},
        "links": {"pay": "https://pay.example/x?n=\"onmouseover=alert(1)"},
        "total": 12, "late": false, "locale": "ar-SA"
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
        // The record is ar-SA: each cue a language span, each line opening with a right-to-left mark.
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\n<lang ar-SA>\u{200f}Hello &lt;script&gt;alert(1)&lt;/script&gt;</lang>\n\n2\n00:00:01.000 --> 00:00:03.000\n<lang ar-SA>\u{200f}Pay here</lang>\n"
    );
    assert!(std::fs::read_to_string(file("srt")).unwrap().starts_with("1\n00:00:00,000 --> 00:00:01,000\n"));

    let html = std::fs::read_to_string(file("page")).unwrap();
    assert!(!html.contains("<script>alert"), "customer data must never become markup");
    assert!(!html.contains("\"onmouseover"), "nor leave an attribute");
    assert!(html.contains("<title>Bill for &lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    assert!(html.contains("href=\"https://pay.example/x?n=&quot;onmouseover=alert(1)\""));
    // Timed by the pay scene, which ends the video: shown until the end, and after it.
    assert!(html.contains("data-from=\"1.200\" data-to=\"end\""), "timed by the pay scene");
    assert!(html.contains("<html lang=\"ar-SA\" dir=\"rtl\">"), "{}", &html[..200]);
    assert!(html.contains("<link rel=\"icon\" href=\"data:,\">"), "no favicon request");
    assert!(html
        .contains("background-image:linear-gradient(90deg, rgba(0,121,107,1.000), rgba(2,119,189,1.000))"));
    // The drawn button's pulse, as the page follows it: 1 at 2.2 s, 1.1 at 2.5 s, 1 at 2.8 s.
    assert!(
        html.contains("[2.200,1.0000]") && html.contains("[2.500,1.1000]") && html.contains("[2.800,1.0000]")
    );
    // The label's font is published beside the pages, with its licence.
    assert!(html.contains("src: url(\"fonts/Inter-Regular.otf\")"));
    assert_eq!(
        std::fs::read(out.join("fonts/Inter-Regular.otf")).unwrap(),
        std::fs::read(repo().join("assets/fonts/Inter-Regular.otf")).unwrap()
    );
    assert!(out.join("fonts/Inter-LICENSE.txt").is_file());
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
    let preview = graph.companions.preview.unwrap();
    let billreel::scene::Preview { width, fps, .. } = preview;
    // The window asked for (3.3 s to 6.3 s) would end on the first frame of the fade into the
    // amount (6.2 s): the preview takes the nearest window clear of transitions instead.
    let billreel::outputs::preview::Window { from, secs, as_asked, .. } =
        billreel::outputs::preview::window(&graph, &preview);
    assert!(!as_asked && (from - (3.3 - 1.0 / 30.0)).abs() < 1e-9 && secs == 3.0, "{from} + {secs}");
    for i in 0..(secs * fps as f64).round() as u32 {
        let f = graph.frame_at(from + i as f64 / fps as f64);
        for s in &graph.scenes {
            assert!(
                !(s.start..s.start + s.transition_frames).contains(&f),
                "preview frame {i} (video frame {f}) is inside the transition into `{}`",
                s.id
            );
        }
    }
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

/// Drives a landing page in the browser and posts what it saw to /report as JSON: axe-core's
/// violations on load, while playing, with the CTA shown and after `ended`; where the CTA is
/// and what a click at its centre would hit after `ended` and paused on the last frame; its
/// scale at the drawn button's pulse; and where focus goes when a focused CTA hides.
const PROBE: &str = r#"
(async function () {
  var video = document.querySelector("video"), cta = document.querySelector(".cta"), out = {};
  function once(ev) { return new Promise(function (r) { video.addEventListener(ev, r, { once: true }); }); }
  async function seek(t) { var s = once("seeked"); video.currentTime = t; await s; }
  async function audit(name) {
    var r = await axe.run(document, { resultTypes: ["violations"] });
    out["axe_" + name] = r.violations.map(function (v) {
      return v.id + " (" + v.impact + "): " + v.nodes.map(function (n) { return n.target.join(" "); }).join(", ");
    });
  }
  function hit() {
    var r = cta.getBoundingClientRect();
    var at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    var link = at && at.closest("a");
    return { hidden: cta.hidden, width: r.width, height: r.height,
             display: getComputedStyle(cta).display, link: link === cta ? "cta" : String(link), href: cta.href };
  }
  try {
    if (video.readyState < 1) await once("loadedmetadata");
    await audit("load");
    video.muted = true;
    await video.play();
    await new Promise(function (r) { setTimeout(r, 300); });
    out.playing = !video.paused;
    await audit("playing");
    video.pause();
    await seek(parseFloat(cta.dataset.from) + 0.3);
    out.shown = !cta.hidden;
    await document.fonts.ready;
    out.fonts = Array.from(document.fonts, function (f) { return f.family + " " + f.status; });
    out.cta_font = getComputedStyle(cta).fontFamily;
    await audit("cta");
    await seek(2.5);
    out.pulse = getComputedStyle(cta).transform;
    await seek(video.duration - 0.3);
    var ended = once("ended");
    await video.play();
    await ended;
    out.ended_at = video.currentTime;
    out.after_ended = hit();
    await audit("ended");
    await seek(video.duration - 0.01);
    out.paused_on_last_frame = hit();
    await seek(parseFloat(cta.dataset.from) + 0.3);
    cta.focus();
    out.focused = document.activeElement === cta;
    await seek(0.2);
    out.focus_after_hide = cta.hidden ? document.activeElement.tagName : "cta still shown";
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  fetch("/report", { method: "POST", body: JSON.stringify(out) });
})();
"#;

/// The page of `page_run` with axe-core and [`PROBE`] added, opened in headless chromium at
/// `size` (`WIDTHxHEIGHT`): what the probe reported.
fn probe_page(chromium: &Path, out: &Path, page: &str, size: (u32, u32)) -> serde_json::Value {
    let html = std::fs::read_to_string(out.join(page)).unwrap();
    let tools = "<script src=\"axe.min.js\"></script>\n  <script src=\"probe.js\"></script>\n</body>";
    let probed = format!("probe-{}x{}.html", size.0, size.1);
    std::fs::write(out.join(&probed), html.replacen("</body>", tools, 1)).unwrap();
    std::fs::copy(repo().join("tests/vendor/axe-core/axe.min.js"), out.join("axe.min.js")).unwrap();
    std::fs::write(out.join("probe.js"), PROBE).unwrap();
    let (base, reports) = common::serve_with_reports(out);
    let report = common::headless_report_with(
        chromium,
        &format!("{base}/{probed}"),
        &reports,
        std::time::Duration::from_secs(120),
        &[&format!("--window-size={},{}", size.0, size.1)],
    );
    serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}: {report}"))
}

#[test]
fn the_landing_page_has_no_axe_violations_and_its_pay_button_outlives_the_video() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let dir = scratch("axe");
    let line = page_run(&dir);
    let out = dir.join("out");
    let page = line["page"].as_str().unwrap();
    let href = "https://pay.example/x?n=%22onmouseover=alert(1)";
    for size in [(390, 844), (1280, 800)] {
        let r = probe_page(&chromium, &out, page, size);
        assert!(r.get("error").is_none(), "{size:?}: {r:#}");
        assert_eq!(r["playing"], true, "{size:?}: {r:#}");
        for stage in ["load", "playing", "cta", "ended"] {
            let found = &r[format!("axe_{stage}")];
            assert_eq!(found, &serde_json::json!([]), "{size:?}, {stage}: axe-core reports {found:#}");
        }
        assert_eq!(r["shown"], true, "{size:?}: the CTA shows in its time range");
        // The label's font, published beside the page, is the one it is drawn in.
        assert_eq!(r["fonts"], serde_json::json!(["billreel-0 loaded"]), "{size:?}");
        assert!(r["cta_font"].as_str().unwrap().starts_with("billreel-0"), "{size:?}: {}", r["cta_font"]);
        // The drawn button is 1.1 times its size at 2.5 s: so is the page's.
        assert_eq!(r["pulse"], "matrix(1.1, 0, 0, 1.1, 0, 0)", "{size:?}");
        // After `ended`, and paused on the last frame: shown, and a click at its centre is the link.
        let ended_at = r["ended_at"].as_f64().unwrap();
        assert!((ended_at - 3.0).abs() < 0.05, "{size:?}: ended at {ended_at}");
        for when in ["after_ended", "paused_on_last_frame"] {
            let h = &r[when];
            assert_eq!(h["hidden"], false, "{size:?}, {when}: {h}");
            assert_eq!(h["display"], "flex", "{size:?}, {when}: {h}");
            assert_eq!(h["link"], "cta", "{size:?}, {when}: a click at its centre must hit it: {h}");
            assert_eq!(h["href"], href, "{size:?}, {when}");
            // WCAG 2.2's target size (24 CSS pixels) at a phone's width too.
            assert!(h["height"].as_f64().unwrap() >= 24.0, "{size:?}, {when}: {h}");
        }
        // A focused CTA that hides hands focus to the player, not to the page's body.
        assert_eq!(r["focused"], true, "{size:?}");
        assert_eq!(r["focus_after_hide"], "VIDEO", "{size:?}");
    }
}

/// The demo's posters for every customer of the sample run: the play button covers no text.
/// Checked on pixels, not on the boxes the placement used: the poster frame drawn with its
/// text alone (every other node and background gone) has nothing inside the button's disc.
#[test]
fn the_demo_posters_play_button_covers_no_text() {
    use billreel::scene::{NodeKind, Paint, Rgba};
    let binder = billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap();
    let data = repo().join("scenes/sample-billing-run.jsonl");
    let ids: Vec<String> = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 24);
    for id in &ids {
        let graph = binder.bind(&billreel::record::find(&data, id, "id").unwrap()).unwrap();
        let disc =
            billreel::outputs::poster::play_button(&graph).expect("the demo's poster has a play button");
        let mut text_only = graph.clone();
        text_only.background = Paint::Solid(Rgba { r: 0, g: 0, b: 0, a: 0 });
        for scene in &mut text_only.scenes {
            scene.background = None;
            scene.nodes.retain(|n| matches!(n.kind, NodeKind::Text(_) | NodeKind::Chart(_)));
        }
        let frame = graph.frame_at(graph.companions.poster.at);
        let pix = billreel::raster::render(&text_only, frame);
        let (mut inked, mut text_pixels) = (0, 0);
        for y in 0..graph.height {
            for x in 0..graph.width {
                if pix.pixel(x, y).unwrap().alpha() == 0 {
                    continue;
                }
                text_pixels += 1;
                let (dx, dy) = (x as f32 + 0.5 - disc.x, y as f32 + 0.5 - disc.y);
                if dx * dx + dy * dy <= (disc.r + 1.0) * (disc.r + 1.0) {
                    inked += 1;
                }
            }
        }
        if id == "C0005" {
            // The German one, kept as a test artefact to look at.
            let shot = repo().join("target/artifacts/poster-C0005.png");
            std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
            billreel::outputs::poster::poster_image(&graph).save(&shot).unwrap();
        }
        assert!(text_pixels > 1000, "{id}: the poster frame shows text ({text_pixels} pixels)");
        assert_eq!(inked, 0, "{id}: the play button at ({}, {}) covers {inked} text pixels", disc.x, disc.y);
    }
}

/// `check` says which window each record's preview takes, and the demo's "explained in N
/// seconds" says the video's real length.
#[test]
fn check_names_the_preview_window_and_the_demo_says_its_real_length() {
    let o = billreel(common::demo_args("check", "C0001").iter().filter(|a| *a != "--id" && *a != "C0001"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("preview: 3.27–6.27 s (scene `intro`), moved from 3.30–6.30 s, which takes frames from a transition: 29 record(s)"),
        "{stdout}"
    );
    let binder = billreel::load(&repo().join("scenes/bill-explainer.yaml"), None).unwrap();
    let data = repo().join("scenes/sample-billing-run.jsonl");
    let mut lengths = std::collections::BTreeSet::new();
    for id in ["C0001", "C0002", "C0003", "C0004", "C0005", "C0006"] {
        let graph = binder.bind(&billreel::record::find(&data, id, "id").unwrap()).unwrap();
        let secs = graph.duration_secs().round() as u64;
        lengths.insert(secs);
        let intro = &graph.companions.captions[1].text;
        let said: Vec<u64> =
            intro.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
        assert_eq!(
            said,
            [secs],
            "{id}: the video lasts {:.2} s; its intro says {intro:?}",
            graph.duration_secs()
        );
    }
    assert!(lengths.len() > 1, "the sample's videos differ in length: {lengths:?}");
}

/// A record with a field `video` of its own is refused, not silently shadowed by the video's.
#[test]
fn a_record_field_named_video_is_refused() {
    let dir = scratch("video-field");
    let sb = storyboard(
        &dir,
        "scenes:\n  - { id: a, duration: 2s, layers: [{ type: text, text: \"{{ video.seconds }} s\" }] }\n",
    );
    let binder = billreel::load(&sb, None).unwrap();
    let graph = binder.bind(&record(serde_json::json!({"id": "A"}))).unwrap();
    assert_eq!(graph.duration_secs(), 2.0);
    let err = binder.bind(&record(serde_json::json!({"id": "B", "video": "x"}))).unwrap_err().to_string();
    assert!(err.contains("`video`") && err.contains("rename the field"), "{err}");
}

/// A fixed play button goes where it is told; a place, a followed layer or a font that does not
/// exist is an error at load that names it, with the place in the file.
#[test]
fn play_button_places_and_cta_looks_are_checked_when_the_storyboard_loads() {
    let dir = scratch("looks");
    let scenes = "scenes:\n  - { id: pay, duration: 1s, layers: [{ type: rect, name: button, x: 10, y: 10, width: 50, height: 20 }] }\n";
    let sb = storyboard(&dir, &format!("poster: {{ at: 0s, play_button: {{ at: top-right }} }}\n{scenes}"));
    let graph = billreel::load(&sb, None).unwrap().bind(&record(serde_json::json!({"id": "A"}))).unwrap();
    // Radius 11% of 180 px, the centre 1.4 radii from the edges.
    let disc = billreel::outputs::poster::play_button(&graph).unwrap();
    let (r, inset) = (180.0 * 0.11, 180.0 * 0.11 * 1.4);
    assert!(
        (disc.r - r).abs() < 1e-4 && (disc.x - (320.0 - inset)).abs() < 1e-3 && (disc.y - inset).abs() < 1e-3
    );

    let refused = |extra: &str| {
        let sb = storyboard(&dir, &format!("{extra}\n{scenes}"));
        billreel::load(&sb, None).err().unwrap_or_else(|| panic!("`{extra}` loads")).to_string()
    };
    let e = refused("poster: { at: 0s, play_button: { at: middle } }");
    assert!(
        e.contains("sb.yaml:4:")
            && e.contains("unknown play button place `middle`")
            && e.contains("top-left"),
        "{e}"
    );
    let cta =
        "cta: [{ label: Pay, href: \"https://pay.example\", scene: pay, x: 0, y: 0, width: 10, height: 10";
    let e = refused(&format!("{cta}, follow: buton }}]"));
    assert!(
        e.contains("scene `pay` has no layer named `buton`") && e.contains("its named layers: button"),
        "{e}"
    );
    let e = refused(&format!("{cta}, font: heavy }}]"));
    assert!(e.contains("no font is named `heavy`") && e.contains("fonts: body"), "{e}");
}

/// The demo's own page, for a customer of the sample run: the same audit on the page as the
/// demo storyboard makes it (its pay button in Inter Bold on a gradient, following the drawn one).
#[test]
fn the_demo_landing_page_has_no_axe_violations() {
    let Some(chromium) = common::chromium_or_skip() else { return };
    let dir = scratch("demo-page");
    let mut args = common::demo_args("render", "C0005");
    args.extend(["-o".into(), dir.join("C0005.mp4").to_string_lossy().into_owned()]);
    let o = billreel(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for size in [(390, 844), (1280, 800)] {
        let r = probe_page(&chromium, &dir, "C0005.html", size);
        assert!(r.get("error").is_none(), "{size:?}: {r:#}");
        for stage in ["load", "playing", "cta", "ended"] {
            let found = &r[format!("axe_{stage}")];
            assert_eq!(found, &serde_json::json!([]), "{size:?}, {stage}: axe-core reports {found:#}");
        }
        assert_eq!(r["fonts"], serde_json::json!(["billreel-0 loaded"]), "{size:?}");
        for when in ["after_ended", "paused_on_last_frame"] {
            assert_eq!(r[when]["link"], "cta", "{size:?}, {when}: {}", r[when]);
            assert_eq!(r[when]["href"], "https://pay.brightwave.example/0005", "{size:?}, {when}");
        }
        assert_eq!(r["focus_after_hide"], "VIDEO", "{size:?}");
    }
}

/// `poster: false` (or `poster: { enabled: false }`): `batch` and `render` write no `.jpg`, the
/// manifest line has no poster, the page's video has no `poster` attribute, and a rerun still
/// finds the record done.
#[test]
fn a_poster_turned_off_is_not_written_listed_or_referred_to() {
    for (i, off) in ["poster: false", "poster: { enabled: false, at: 500ms }"].iter().enumerate() {
        let dir = scratch(&format!("poster-off-{i}"));
        let scene = "scenes:\n  - { id: a, duration: 1s, layers: [{ type: text, text: Hi }] }\n";
        let sb = storyboard(&dir, &format!("{off}\npage: {{ title: Bill }}\n{scene}"));
        std::fs::write(dir.join("run.jsonl"), "{\"id\":\"A1\"}\n").unwrap();
        let out = dir.join("out");
        let run = || {
            let (sb, data, out) = (sb.to_str().unwrap(), dir.join("run.jsonl"), out.to_str().unwrap());
            billreel(["batch", sb, "--data", data.to_str().unwrap(), "--out", out, "--guessable-links"])
        };
        let o = run();
        assert!(o.status.success(), "{off}: {}", String::from_utf8_lossy(&o.stderr));
        let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
        let line: serde_json::Value = serde_json::from_str(manifest.lines().next().unwrap()).unwrap();
        assert_eq!(line["status"], "ok", "{line}");
        assert!(line.get("poster").is_none() && line.get("poster_url").is_none(), "{off}: {line}");
        let files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(files.contains(&"A1.mp4".to_string()), "{files:?}");
        assert!(!files.iter().any(|f| f.ends_with(".jpg")), "{off}: {files:?}");
        let html = std::fs::read_to_string(out.join(line["page"].as_str().unwrap())).unwrap();
        assert!(html.contains("<video controls playsinline preload=\"metadata\">"), "{off}: {html}");
        assert!(!html.contains("poster="), "{off}");
        let again = run();
        let said = String::from_utf8_lossy(&again.stdout);
        assert!(again.status.success() && said.contains("1 skipped"), "{off}: {said}");

        let video = dir.join("one/A1.mp4");
        let (sb, data) = (sb.to_str().unwrap(), dir.join("run.jsonl"));
        let o = billreel([
            "render",
            sb,
            "--data",
            data.to_str().unwrap(),
            "--id",
            "A1",
            "-o",
            video.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{off}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(video.is_file() && !video.with_extension("jpg").exists(), "{off}: render wrote a poster");
    }
    let e = billreel::load(&storyboard(&scratch("poster-bad"), "poster: sometimes\nscenes: []\n"), None)
        .err()
        .expect("`poster: sometimes` is refused")
        .to_string();
    assert!(e.contains("sb.yaml:4:") && e.contains("expected `false`, `true` or `{ at: 6s"), "{e}");
}
